"""A collector that says what a test wants it to say: a ROUTER on the control port answering
each ControlRequest through a handler, and a PUB on the feed port repeating a list of
messages, optionally with CURVE and a ZAP allow-list (pyzmq's ThreadAuthenticator). For
netvigil-ctl's tests against a hostile or a key-checking collector (test_ctl_hostile.py,
test_ctl_keys.py).

Messages are built with tests/lib/nvgpb.py (protobuf by hand); field numbers from
proto/netvigil.proto."""
import struct
import threading

import zmq
import zmq.auth
from zmq.auth.thread import ThreadAuthenticator

import nvgtest
from nvgpb import f_bytes, f_double, f_varint, read_varint, varint


# ---- protobuf, by hand ---------------------------------------------------------------------

fv, fb, fd = f_varint, f_bytes, f_double


def parse_varints(data):
    """{field: value} of the top-level varint fields of a message (others skipped)."""
    out, i = {}, 0
    while i < len(data):
        key, i = read_varint(data, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            out[num], i = read_varint(data, i)
        elif wt == 2:
            n, i = read_varint(data, i)
            out.setdefault("bytes", {})[num] = data[i:i + n]
            i += n
        elif wt == 1:
            i += 8
        elif wt == 5:
            i += 4
        else:
            break
    return out


def sensor_status(name="s1", state=1, source="eth0", flt="", error="", **extra):
    m = fb(1, name) + fv(2, extra.get("boot_id", 7)) + fv(3, state) + fb(5, source)
    if flt:
        m += fb(6, flt)
    m += fv(8, extra.get("pcap_dropped", 0)) + fv(9, extra.get("pcap_ifdropped", 0))
    m += fv(12, extra.get("records_dropped", 0))
    if error:
        m += fb(17, error)
    return m


def summary(status=None, connected=True, last_seen_ms=1722193121123, key_name="",
            peer_address="", pps=10.0, bps=1000.0, **counters):
    m = fb(1, status) if status is not None else b""
    m += fv(2, int(connected)) + fv(3, last_seen_ms) + fv(4, counters.get("records", 5))
    m += fd(8, pps) + fd(9, bps) + fv(6, counters.get("batches_lost", 0))
    if key_name:
        m += fb(13, key_name)
    if peer_address:
        m += fb(14, peer_address)
    return m


SECURITY_FIELDS = ["handshakes_failed", "keys_unknown", "mechanism_refused", "role_refused",
                   "name_refused", "command_refused", "quota_refused", "invalid_strings",
                   "budget_dropped", "revoked_disconnects", "idle_expired"]


def collector_status(summaries=(), keys=False, security=None, uptime_ms=5000, audit_file="",
                     raw_sensors=b""):
    m = b"".join(fb(1, s) for s in summaries) + raw_sensors
    m += fv(3, uptime_ms) + fv(9, 42)
    if audit_file:
        m += fb(16, audit_file)
    if security is not None:
        m += fb(17, b"".join(fv(i + 1, security.get(k, 0))
                             for i, k in enumerate(SECURITY_FIELDS)))
    if keys:
        m += fv(18, 1)
    return m


def control_reply(id_, ok=True, error="", results=(), status=None, version=1):
    m = fv(1, version) + fv(2, id_) + fv(3, int(ok))
    if error:
        m += fb(4, error)
    for name, rok, rerr in results:
        m += fb(5, fb(1, name) + fv(2, int(rok)) + (fb(3, rerr) if rerr else b""))
    if status is not None:
        m += fb(6, status)
    return m


def event(time_ms=1722193121123, kind="command", requester="", sensor="s1", text="stop: ok"):
    return fv(1, time_ms) + fb(2, kind) + fb(3, requester) + fb(4, sensor) + fb(5, text)


def rate_batch(samples):
    return b"".join(fb(1, fv(1, t) + fb(2, s) + fv(3, p) + fv(4, n) + fv(5, b))
                    for t, s, p, n, b in samples)


def record(sport=40000):
    """A valid IPv4/TCP PacketRecord (as tests/fuzz/gen-seeds.py builds it)."""
    r = varint(1 << 3 | 1) + struct.pack("<q", 1722193121123456789)
    r += fv(2, 4) + fb(3, b"\x0a\x00\x00\x01") + fb(4, b"\xc0\xa8\x01\x02") + fv(5, 3)
    r += fv(6, 6) + fv(7, sport) + fv(8, 443) + fv(9, 0x18) + fv(12, 64) + fv(13, 66)
    r += fv(14, 66) + fv(17, 0x04 | 0x08 | 0x80)
    return r


def batch(name, seq, records, boot=7):
    return fb(1, name) + fv(2, boot) + fv(3, seq) + b"".join(fb(4, r) for r in records)


# ---- the fake collector --------------------------------------------------------------------

class FakeCollector:
    """handler(request_fields) -> list of reply bodies (sent in order) for each request; feed: a
    list of [topic, body] messages published in a loop every feed_ms. With server_secret (and
    allow_dir: the client certificates ZAP accepts), both sockets run CURVE."""

    def __init__(self, handler=None, feed=(), feed_ms=100, server_public=None,
                 server_secret=None, allow_dir=None):
        self.ctx = zmq.Context()
        self.handler = handler or (lambda req: [control_reply(req.get(2, 0), status=b"")])
        self.feed = list(feed)
        self.feed_ms = feed_ms
        self.requests = []
        self.auth = None
        self.feed_port, self.control_port = nvgtest.free_ports(2)
        self.router = self.ctx.socket(zmq.ROUTER)
        self.pub = self.ctx.socket(zmq.PUB)
        if server_secret:
            self.auth = ThreadAuthenticator(self.ctx)
            self.auth.start()
            for dom in ("control", "feed"):  # pyzmq's "*" matches no domain but ""
                self.auth.configure_curve(domain=dom, location=allow_dir)
            for s, dom in ((self.router, b"control"), (self.pub, b"feed")):
                s.curve_server = True
                s.curve_publickey = server_public
                s.curve_secretkey = server_secret
                s.zap_domain = dom
        for s in (self.router, self.pub):
            s.linger = 0
            s.sndhwm = 100000
        self.router.bind("tcp://127.0.0.1:%d" % self.control_port)
        self.pub.bind("tcp://127.0.0.1:%d" % self.feed_port)
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def endpoints(self):
        return ["--feed-endpoint", "tcp://127.0.0.1:%d" % self.feed_port,
                "--control-endpoint", "tcp://127.0.0.1:%d" % self.control_port]

    def _loop(self):
        poller = zmq.Poller()
        poller.register(self.router, zmq.POLLIN)
        while not self.stopping.is_set():
            if poller.poll(self.feed_ms):
                frames = self.router.recv_multipart()
                req = parse_varints(frames[-1])
                self.requests.append(req)
                for body in self.handler(req):
                    self.router.send_multipart([frames[0], body])
            for topic, body in self.feed:
                try:
                    self.pub.send_multipart([topic, body], zmq.NOBLOCK)
                except zmq.Again:
                    pass

    def stop(self):
        self.stopping.set()
        self.thread.join(5)
        self.router.close(0)
        self.pub.close(0)
        if self.auth:
            self.auth.stop()
        self.ctx.term()
