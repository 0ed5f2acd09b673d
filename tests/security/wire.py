"""The messages a hostile peer sends and the replies it reads, for the attack suite, built
on tests/lib/nvgpb.py (protobuf by hand: a rogue must be able to send what no netvigil
program would). Field numbers from proto/netvigil.proto."""
import os
import sys

import zmq

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from nvgpb import decode, field, msg, one, varint  # noqa: E402,F401  (the suite's API)

VERSION = 1
KIND = {"start": 1, "stop": 2, "restart": 3, "set-filter": 4, "status": 5, "forget": 6}


# ---- sensor link -----------------------------------------------------------------------------

def hello(name, boot_id, source="generated", version="rogue", mode=1):
    return msg((1, VERSION), (2, msg((1, name), (2, boot_id), (3, mode), (4, source),
                                     (6, version))))


def record(i=0):
    return msg((1, ("f64", 1700000000 * 10**9 + i)), (2, 4), (3, b"\x0a\x00\x00\x01"),
               (4, b"\xc0\xa8\x00\x01"), (5, 4), (7, 1000), (8, 53), (13, 60), (14, 60))


def batch(name, boot_id, seq, n=1):
    recs = [(4, record(i)) for i in range(n)]
    return msg((1, VERSION), (3, msg((1, name), (2, boot_id), (3, seq), *recs)))


def status(name, boot_id, source="generated"):
    return msg((1, VERSION), (4, msg((1, name), (2, boot_id), (3, 1), (4, 1), (5, source))))


def eos(boot_id, last_seq, records=0):
    return msg((1, VERSION), (5, msg((1, boot_id), (2, last_seq), (3, records))))


def collector_message(data):
    """(body name, decoded body) of a CollectorMessage."""
    d = decode(data)
    for num, name in ((2, "refused"), (3, "ack"), (4, "command")):
        if num in d:
            return name, decode(d[num][-1])
    return "empty", {}


# ---- control ---------------------------------------------------------------------------------

def control_request(rid, kind, sensor="", filt="", requester="rogue@test", clear=False):
    return msg((1, VERSION), (2, rid), (3, KIND[kind]), (4, sensor or None), (5, filt or None),
               (6, requester), (7, clear or None))


def dealer(ctx, endpoint, rcvhwm=1000):
    s = ctx.socket(zmq.DEALER)
    s.setsockopt(zmq.LINGER, 0)
    s.setsockopt(zmq.RCVHWM, rcvhwm)
    s.setsockopt(zmq.SNDHWM, 100000)
    s.connect(endpoint)
    return s


def reply(sock, timeout_ms=5000):
    """The next ControlReply on sock as (id, ok, error, decoded), or None."""
    if not sock.poll(timeout_ms):
        return None
    d = decode(sock.recv_multipart()[-1])
    return one(d, 2), bool(one(d, 3)), one(d, 4, b"").decode(), d


SECURITY = ["handshakes_failed", "keys_unknown", "mechanism_refused", "role_refused",
            "name_refused", "command_refused", "quota_refused", "invalid_strings",
            "budget_dropped", "revoked_disconnects", "idle_expired"]


def collector_status(ctx, endpoint, timeout_ms=5000):
    """The CollectorStatus over a fresh connection: {"security": {...}, "sensors": {name:
    {...}}, "control_rejected": n}."""
    s = dealer(ctx, endpoint)
    try:
        s.send(control_request(1, "status"))
        r = reply(s, timeout_ms)
        assert r and r[1], "no status reply: %r" % (r,)
        st = decode(one(r[3], 6, b""))
    finally:
        s.close()
    sec = decode(one(st, 17, b""))
    sensors = {}
    for raw in st.get(1, []):
        sm = decode(raw)
        hb = decode(one(sm, 1, b""))
        name = one(hb, 1, b"").decode("utf-8", "replace")
        sensors[name] = {"connected": bool(one(sm, 2)), "records_received": one(sm, 4),
                         "batches_received": one(sm, 5), "batches_lost": one(sm, 6),
                         "boot_id": one(hb, 2), "key_name": one(sm, 13, b"").decode(),
                         "peer_address": one(sm, 14, b"").decode(), "state": one(hb, 3)}
    return {"security": {n: one(sec, i + 1) for i, n in enumerate(SECURITY)},
            "sensors": sensors, "control_rejected": one(st, 13), "keys": bool(one(st, 18))}
