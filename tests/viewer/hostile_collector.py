"""A collector that lies: pyzmq PUB (feed) and ROUTER (control) sockets that speak netvigil's
wire format (proto/netvigil.proto, encoded by hand with tests/lib/nvgpb.py: the tests need no protobuf
module) and
send whatever a test asks, valid or not. Optionally CURVE with a ZAP authenticator
(zmq.auth.ThreadAuthenticator) that knows only the keys it is given.

Used by test_viewer_hostile.py and test_viewer_keys.py."""
import os
import sys
import threading

import zmq
import zmq.auth.thread

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from nvgpb import f_bytes, f_double, f_sfixed64, f_varint, read_varint, varint  # noqa: E402,F401

# ---- messages (protobuf by hand: tests/lib/nvgpb.py) --------------------------------------


def record(sport=40000, dport=53):
    """A valid UDP/IPv4 PacketRecord (fields as tests/fuzz/gen-seeds.py writes them)."""
    r = f_sfixed64(1, 1722193121123456789) + f_varint(2, 4) + f_bytes(3, b"\x0a\x00\x00\x01")
    r += f_bytes(4, b"\xc0\xa8\x01\x02") + f_varint(5, 2) + f_varint(6, 17)
    r += f_varint(7, sport) + f_varint(8, dport) + f_varint(12, 64) + f_varint(13, 80)
    r += f_varint(14, 80) + f_varint(17, 0x04 | 0x08 | 0x80)
    return r


def batch(sensor, seq=1, n=10):
    return f_bytes(1, sensor) + f_varint(2, 7) + f_varint(3, seq) + \
        b"".join(f_bytes(4, record(sport=40000 + i)) for i in range(n))


def sensor_status(sensor=b"s1", state=1, source=b"eth0", filt=b"", error=b""):
    m = f_bytes(1, sensor) + f_varint(2, 7) + f_varint(3, state) + f_bytes(5, source)
    if filt:
        m += f_bytes(6, filt)
    if error:
        m += f_bytes(17, error)
    return m


def summary(status=None, connected=True, key_name=b"", peer=b"", last_seen_ms=0, pps=0.0):
    m = b""
    if status is not None:
        m += f_bytes(1, status)
    m += f_varint(2, 1 if connected else 0)
    if last_seen_ms:
        m += f_varint(3, last_seen_ms)
    if pps:
        m += f_double(8, pps)
    if key_name:
        m += f_bytes(13, key_name)
    if peer:
        m += f_bytes(14, peer)
    return m


SECURITY_FIELDS = ("handshakes_failed", "keys_unknown", "mechanism_refused", "role_refused",
                   "name_refused", "command_refused", "quota_refused", "invalid_strings",
                   "budget_dropped", "revoked_disconnects", "idle_expired")


def security(**counts):
    return b"".join(f_varint(i + 1, counts[n]) for i, n in enumerate(SECURITY_FIELDS)
                    if counts.get(n))


def collector_status(summaries=(), sec=None, keys=False, uptime_ms=1000):
    m = b"".join(f_bytes(1, s) for s in summaries) + f_varint(3, uptime_ms)
    if sec is not None:
        m += f_bytes(17, sec)
    if keys:
        m += f_varint(18, 1)
    return m


def event(kind=b"command", sensor=b"", text=b"", requester=b"", time_ms=0):
    return (f_varint(1, time_ms) + f_bytes(2, kind) + f_bytes(3, requester) +
            f_bytes(4, sensor) + f_bytes(5, text))


def control_reply(req_id, ok, error=b""):
    return f_varint(1, 1) + f_varint(2, req_id) + f_varint(3, 1 if ok else 0) + \
        (f_bytes(4, error) if error else b"")


def request_id(body):
    """The id (field 2) of a ControlRequest, or 0."""
    i = 0
    while i < len(body):
        key, i = read_varint(body, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, i = read_varint(body, i)
            if num == 2:
                return v
        elif wt == 2:
            n, i = read_varint(body, i)
            i += n
        elif wt == 1:
            i += 8
        elif wt == 5:
            i += 4
        else:
            return 0
    return 0


# ---- the collector ----------------------------------------------------------------------

class FakeCollector:
    """PUB on tcp://127.0.0.1:feed_port, ROUTER on control_port. With server_secret (a
    zmq.auth key pair: public, secret) both sockets are CURVE servers and a ZAP handler
    allows only the public certificates in allowed_dir (an empty directory: nobody). reply(body) -> bytes or None
    answers each control request (default: ok)."""

    def __init__(self, feed_port, control_port, server_keys=None, allowed_dir=None, reply=None):
        self.ctx = zmq.Context()
        self.auth = None
        if server_keys:
            self.auth = zmq.auth.thread.ThreadAuthenticator(self.ctx)
            self.auth.start()
            # the public certificates in allowed_dir, nobody else (an empty dir: nobody)
            # (pyzmq matches the domain exactly: "*" is only for sockets without one)
            for domain in ("feed", "control"):
                self.auth.configure_curve(domain=domain, location=allowed_dir)
        self.pub = self._socket(zmq.PUB, feed_port, server_keys)
        self.router = self._socket(zmq.ROUTER, control_port, server_keys)
        self.reply = reply or (lambda body: control_reply(request_id(body), True))
        self.requests = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _socket(self, kind, port, keys):
        s = self.ctx.socket(kind)
        s.setsockopt(zmq.LINGER, 0)
        if kind == zmq.PUB:
            s.setsockopt(zmq.SNDHWM, 100000)
        if keys:
            s.curve_publickey, s.curve_secretkey = keys
            s.curve_server = True
            s.zap_domain = b"feed" if kind == zmq.PUB else b"control"
        s.bind("tcp://127.0.0.1:%d" % port)
        return s

    def _serve(self):
        poller = zmq.Poller()
        poller.register(self.router, zmq.POLLIN)
        while not self._stop.is_set():
            if not poller.poll(100):
                continue
            frames = self.router.recv_multipart()
            self.requests.append(frames[-1])
            out = self.reply(frames[-1])
            if out is not None:
                self.router.send_multipart(frames[:-1] + [out])

    def publish(self, topic, body):
        """Not thread-safe with itself: call from one thread (the test's)."""
        self.pub.send_multipart([topic, body])

    def close(self):
        self._stop.set()
        self._thread.join(5)
        self.pub.close()
        self.router.close()
        if self.auth:
            self.auth.stop()
        self.ctx.term()
