#!/usr/bin/env python3
"""Writes the seed files of tests/fuzz/corpus/ (run once; the corpus is committed).

    tests/fuzz/gen-seeds.py [PCAP_DIR]

Seeds are small: a handful of real frames per link type from PCAP_DIR (default
../shared/pcaps), and hand-built protobuf messages (tests/lib/nvgpb.py, field numbers from
proto/netvigil.proto). Files are named seed-*; fuzzer finds added later keep libFuzzer's
hash names."""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import nvgtest  # noqa: E402
from nvgpb import f_bytes, f_sfixed64, f_varint, varint  # noqa: E402,F401

CORPUS = os.path.join(HERE, "corpus")
LINKS = [0, 1, 9, 12, 14, 50, 101, 108, 113, 228, 229, 276, 147]
SEP = b"\xf0NVG\xf0"


def write(harness, name, data):
    d = os.path.join(CORPUS, harness)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


# ---- protobuf ---------------------------------------------------------------------------

def record(ipv=4, src=b"\x0a\x00\x00\x01", dst=b"\xc0\xa8\x01\x02", proto=3, sport=40000,
           dport=443, tcp_flags=0x18, ttl=64, flags=0x04 | 0x08 | 0x80, payload=b"",
           kind=0, event=0, vlan=0, icmp=(0, 0)):
    r = f_sfixed64(1, 1722193121123456789)
    r += f_varint(2, ipv) + f_bytes(3, src) + f_bytes(4, dst) + f_varint(5, proto)
    r += f_varint(6, 6 if proto == 3 else 17) + f_varint(7, sport) + f_varint(8, dport)
    r += f_varint(9, tcp_flags) + f_varint(10, icmp[0]) + f_varint(11, icmp[1])
    r += f_varint(12, ttl) + f_varint(13, 66) + f_varint(14, 66) + f_varint(15, vlan)
    r += f_varint(16, kind) + f_varint(17, flags) + f_varint(18, event)
    if payload:
        r += f_bytes(19, payload)
    return r


def sensor_msg(body_field, body, version=1):
    return (f_varint(1, version) if version else b"") + f_bytes(body_field, body)


def hello(name="s1", boot=7, mode=0):
    return sensor_msg(2, f_bytes(1, name) + f_varint(2, boot) + f_varint(3, mode) +
                      f_bytes(4, "eth0") + f_bytes(5, "tcp") + f_bytes(6, "0.1.0"))


def batch(name="s1", boot=7, seq=1, records=(), flows=()):
    b = f_bytes(1, name) + f_varint(2, boot) + f_varint(3, seq)
    for r in records:
        b += f_bytes(4, r)
    for fr in flows:
        b += f_bytes(6, fr)
    return sensor_msg(3, b)


def status(name="s1", boot=7):
    st = f_bytes(1, name) + f_varint(2, boot) + f_varint(3, 1) + f_bytes(5, "eth0")
    st += f_bytes(6, "port 443") + f_varint(7, 1000) + f_varint(8, 3) + f_varint(16, 2)
    st += f_bytes(15, "0.1.0") + f_bytes(17, "")
    return sensor_msg(4, st)


def eos(boot=7, last=2, records=3):
    return sensor_msg(5, f_varint(1, boot) + f_varint(2, last) + f_varint(3, records))


def cmd_reply(id_=1, ok=True, error=""):
    return sensor_msg(6, f_varint(1, id_) + f_varint(2, int(ok)) + f_bytes(3, error))


V6A = bytes.fromhex("20010db8000000000000000000000001")
V6B = bytes.fromhex("ff0200000000000000000000000000fb")
RECORDS = [
    record(),
    record(ipv=6, src=V6A, dst=V6B, proto=4, sport=5353, dport=5353, tcp_flags=0,
           flags=0x04 | 0x08, payload=b"\x00\x01abc", kind=1),
    record(ipv=4, proto=5, sport=0, dport=0, tcp_flags=0, flags=0x08 | 0x20, icmp=(8, 0)),
    record(ipv=0, src=b"", dst=b"", proto=0, sport=0, dport=0, tcp_flags=0, flags=0x02,
           event=1),
    record(ipv=4, proto=7, sport=0, dport=0, tcp_flags=0, flags=0x10, vlan=100, kind=2),
]
BAD_RECORDS = [
    record(ipv=5),
    record(src=b"\x01\x02\x03"),
    record(proto=9),
    record(sport=70000),
    record(payload=b"x" * 65),
    record(event=99),
    record(flags=0x100),
    record(vlan=4096),
]


def wire_seeds():
    seeds = {
        "empty": b"",
        "hello": hello(),
        "hello-file": hello(mode=1, name='a,"b"'),
        "batch-1": batch(records=RECORDS[:1]),
        "batch-all": batch(records=RECORDS),
        "batch-empty": batch(records=()),
        "batch-noname": batch(name="", records=RECORDS[:1]),
        "batch-ctlname": batch(name="a\nb", records=RECORDS[:1]),
        "status": status(),
        "eos": eos(),
        "cmd-reply": cmd_reply(),
        "old-version": f_varint(1, 0) + hello()[2:],
        "version-2": f_varint(1, 2) + hello()[2:],
        "no-body": f_varint(1, 1),
        "unknown-body": f_varint(1, 1) + f_bytes(9, b"\x08\x01"),
        "two-batches": batch(records=RECORDS[:1]) + f_bytes(3, f_bytes(1, "s2")),
        "truncated": batch(records=RECORDS)[:-7],
    }
    for i, r in enumerate(BAD_RECORDS):
        seeds["bad-record-%d" % i] = batch(records=[RECORDS[0], r])
    return seeds


def ingest_seeds():
    w = wire_seeds()
    seeds = {k: w[k] for k in ("hello", "batch-all", "status", "eos", "bad-record-0",
                               "version-2", "no-body")}
    seeds["session"] = SEP.join([hello(), batch(seq=1, records=RECORDS),
                                 batch(seq=3, records=RECORDS[:2]), status(), eos(last=4)])
    seeds["restart"] = SEP.join([hello(boot=1), batch(boot=1, seq=1, records=RECORDS[:1]),
                                 hello(boot=2), batch(boot=2, seq=1, records=RECORDS[1:3]),
                                 eos(boot=1), eos(boot=2, last=1)])
    seeds["two-sensors"] = SEP.join([batch(name="a", records=RECORDS[:2]),
                                     batch(name='b,"x"', records=RECORDS[2:]),
                                     eos(boot=7, last=1)])
    # Conversation records in batches: good ones (counted into the host totals), then a newer
    # format, a 5-byte address and a 4 KiB history refused beside a good record.
    good = [flow_record(), flow_record(orig=b"\x20\x01" + b"\x00" * 14, resp=b"\xff" * 16)]
    bad = [flow_record(fmt=2), flow_record(orig=b"\x01\x02\x03\x04\x05"),
           flow_record(history="S" * 4096)]
    seeds["flows"] = SEP.join([hello(), batch(seq=1, records=RECORDS[:1], flows=good),
                               batch(seq=2, records=RECORDS[:1], flows=bad + good[:1]),
                               batch(seq=3, flows=good * 3), eos(last=3)])
    return seeds


def control_req(kind, sensor="", flt="", requester="fuzz@host", id_=1, version=1):
    r = (f_varint(1, version) if version else b"") + f_varint(2, id_) + f_varint(3, kind)
    if sensor:
        r += f_bytes(4, sensor)
    if flt:
        r += f_bytes(5, flt)
    return r + f_bytes(6, requester)


def control_seeds():
    reply_ok = f_varint(2, 1) + f_bytes(4, f_bytes(1, "s1") + f_varint(3, 2))
    reply_err = f_varint(2, 0) + f_bytes(3, "syntax error in filter expression")
    return {
        "status": b"\x00" + control_req(5),
        "status-req": b"\x01" + control_req(5),
        "stop-s1": b"\x00" + control_req(2, sensor="s1"),
        "stop-all": b"\x00" + control_req(2),
        "start-old": b"\x02" + control_req(1, sensor="old"),
        "start-never": b"\x00" + control_req(1, sensor="never"),
        "restart-unknown": b"\x00" + control_req(3, sensor="nosuch"),
        "filter-s1": b"\x00" + control_req(4, sensor="s1", flt="tcp port 443"),
        "filter-empty": b"\x00" + control_req(4, sensor="s1"),
        "filter-ctl": b"\x00" + control_req(4, sensor="s1", flt="tcp\nport 1"),
        "filter-long": b"\x00" + control_req(4, flt="x" * 1100),
        "bad-name": b"\x00" + control_req(2, sensor="a\x01b"),
        "kind-0": b"\x00" + control_req(0),
        "kind-9": b"\x00" + control_req(9),
        "version-0": b"\x00" + control_req(5, version=0),
        "garbage": b"\x00\xff\xff\xff",
        "env-long": b"\x03" + control_req(5),
        "env-big": b"\x04" + control_req(5),
        "reply-ok": SEP.join([b"\x00" + control_req(2, sensor="s1", id_=5), b"\x05" + reply_ok]),
        "reply-err": SEP.join([b"\x01" + control_req(4, flt="bad(", id_=6),
                               b"\x05" + reply_err]),
        "many": SEP.join([b"\x00" + control_req(2, id_=i) for i in range(70)]),
        "reply-none": b"\x05" + reply_ok,
    }


def ctl_reply_seeds():
    """ControlReplies as netvigil-ctl reads them (fuzz-ctl-reply): good ones, and the shapes a
    hostile collector sends."""
    esc = "\x1b]0;pwned\x07"
    sstatus = (f_bytes(1, "s1") + f_varint(2, 7) + f_varint(3, 1) + f_bytes(5, "eth0") +
               f_bytes(6, "port 443") + f_varint(8, 3))
    summary = f_bytes(1, sstatus) + f_varint(2, 1) + f_varint(3, 1722193121123) + \
        f_bytes(13, "s1") + f_bytes(14, "127.0.0.1:5555")
    security = b"".join(f_varint(i, i) for i in range(1, 12))
    coll = f_bytes(1, summary) + f_varint(3, 5000) + f_bytes(16, "audit.csv") + \
        f_bytes(17, security) + f_varint(18, 1)
    result = f_bytes(1, "s1") + f_varint(2, 1)
    return {
        "status": f_varint(1, 1) + f_varint(2, 9) + f_varint(3, 1) + f_bytes(6, coll),
        "no-last-status": f_varint(1, 1) + f_varint(3, 1) + f_bytes(6, f_bytes(1, b"") +
                                                                   f_bytes(1, summary)),
        "escapes": f_varint(3, 1) + f_bytes(6, f_bytes(1, f_bytes(1, f_bytes(1, esc) +
                                                                  f_bytes(5, "\u202e")) +
                                                       f_bytes(13, esc)) + f_bytes(16, esc)),
        "bad-utf8": f_varint(3, 1) + f_bytes(6, f_bytes(1, f_bytes(1, b"\xff\xc0\xaf"))),
        "times": f_varint(3, 1) + f_bytes(6, f_bytes(1, f_varint(3, -(1 << 63)) +
                                                     b"\x41" + b"\xff" * 7 + b"\x7f") +
                                          f_varint(3, -1)),
        "results": f_varint(2, 9) + f_varint(3, 1) + f_bytes(5, result) +
        f_bytes(5, f_bytes(1, esc) + f_bytes(3, "syntax error\n")),
        "not-allowed": f_varint(2, 9) + f_bytes(4, "not allowed: viewer may not stop"),
        "forget-ok": f_varint(2, 9) + f_varint(3, 1),
        "empty": b"",
        "amplify": f_varint(3, 1) + f_bytes(6, b"\x0a\x00" * 2000),
    }


def zigzag(v):
    return (v << 1) ^ (v >> 63)


def flow_record(fmt=1, orig=b"\x0a\x00\x00\x01", resp=b"\xc0\xa8\x01\x02", state="SF",
                history="ShADadFf", rtt=(1000000, 500000)):
    """A FlowRecord (issue 12) as nvg_flow_to_pb fills it."""
    d = f_varint(1, 10) + f_varint(2, 10000) + f_varint(3, 4) + f_varint(5, 1)
    return (f_varint(1, fmt) + f_varint(2, 42) + f_varint(3, 1) + f_varint(4, 1) +
            f_sfixed64(5, 1722193121123456789) + f_sfixed64(6, 1722193123123456789) +
            f_varint(7, 4 if len(orig) == 4 else 6) + f_varint(8, 3) + f_varint(9, 6) +
            f_bytes(10, orig) + f_bytes(11, resp) + f_varint(12, 40000) + f_varint(13, 443) +
            f_varint(15, 0x16) + f_varint(16, zigzag(rtt[0])) + f_varint(17, zigzag(rtt[1])) +
            f_bytes(18, d) + f_bytes(19, d) + f_bytes(20, state) + f_bytes(21, history))


def host_total(addr=b"\xc0\xa8\x01\x02", rate=1.5e6):
    return (f_varint(1, 4 if len(addr) == 4 else 6) + f_bytes(2, addr) + f_varint(3, 1000) +
            f_varint(4, 2000) + f_double(5, rate) + f_double(6, rate / 2) + f_double(7, 1e300) +
            f_double(8, float("nan")) + f_varint(9, 3) + f_varint(10, 100) + f_varint(11, 7) +
            f_varint(12, 0) + f_varint(13, 1722193121000))


def ctl_hosts_seeds():
    """COMMAND_HOSTS replies (fuzz-ctl-reply): good, and hostile entries."""
    table = f_varint(1, 2048) + f_varint(2, 3) + f_varint(3, 1) + f_varint(4, 9)
    good = f_varint(3, 1) + b"".join(f_bytes(8, host_total(a)) for a in
                                     (b"\x0a\x00\x00\x01", b"\x20\x01" + b"\x00" * 14)) + \
        f_bytes(9, table)
    bad = f_varint(3, 1) + f_bytes(8, host_total(b"\x01\x02\x03\x04\x05")) + \
        f_bytes(8, f_varint(1, 6) + f_bytes(2, b"\x01\x02\x03\x04")) + f_bytes(8, b"") + \
        f_bytes(8, host_total(rate=-1e308))
    return {"hosts": good, "hosts-hostile": bad}


def ctl_feed_seeds():
    """Feed pieces (fuzz-ctl-feed): [printer][limit][body], several per file."""
    esc = "\x1b]0;x\x07"
    b1 = f_bytes(1, "s1") + f_varint(2, 7) + f_varint(3, 1) + b"".join(f_bytes(4, r)
                                                                     for r in RECORDS)
    b4 = f_bytes(1, "s1") + f_varint(2, 7) + f_varint(3, 4) + f_bytes(4, RECORDS[0])
    bad = f_bytes(1, esc) + f_varint(3, 2) + f_bytes(4, BAD_RECORDS[0]) + f_bytes(4, RECORDS[1])
    rates = f_bytes(1, f_varint(1, 1722193121) + f_bytes(2, "s1") + f_varint(3, 4) +
                    f_varint(4, 10) + f_varint(5, 600))
    rates_bad = f_bytes(1, f_varint(1, (1 << 63) - 1) + f_bytes(2, esc) + f_varint(3, 99))
    event = f_varint(1, 1722193121123) + f_bytes(2, "command") + f_bytes(3, "a@b") + \
        f_bytes(4, "s1") + f_bytes(5, "stop: ok")
    event_bad = f_varint(1, -(1 << 63)) + f_bytes(2, esc) + f_bytes(5, b"\xff\n")
    flows = f_bytes(1, "s1") + f_bytes(2, flow_record()) + \
        f_bytes(2, flow_record(orig=b"\x20\x01" + b"\x00" * 14, resp=b"\xff" * 16)) + \
        f_bytes(2, flow_record(rtt=(-(1 << 63), (1 << 63) - 1))) + f_varint(3, 5)
    flows_bad = f_bytes(1, esc) + f_bytes(2, flow_record(fmt=2)) + \
        f_bytes(2, flow_record(orig=b"\x01\x02\x03\x04\x05")) + \
        f_bytes(2, flow_record(state=esc)) + f_bytes(2, flow_record(history="S" * 4096))
    return {
        "tail": b"\x00\x00" + b1,
        "tail-gap": SEP.join([b"\x00\x00" + b1, b"\x00\x02" + b4, b"\x00\x00" + bad]),
        "rates": SEP.join([b"\x01\x00" + rates, b"\x01\x01" + rates_bad]),
        "events": SEP.join([b"\x02\x00" + event, b"\x02\x00" + event_bad, b"\x03\x00"]),
        "amplify": b"\x00\x00" + b"\x22\x00" * 2000,
        "garbage": SEP.join([b"\x00\x00\xff\xff", b"\x01\x00\x0a\x05", b"\x02\x00\x12"]),
        # FlowBatch (printer 4; 9 = 4 + 5: sorted by rate, 29 = 4 + 25: JSON): good flows, then
        # another format, a 5-byte address, an ESC in the state, a 4 KiB history.
        "flows": SEP.join([b"\x04\x00" + flows, b"\x09\x01" + flows, b"\x1d\x00" + flows,
                           b"\x04\x00" + flows_bad]),
    }


# ---- frames ----------------------------------------------------------------------------

def pcap_frames(path, limit):
    """(linktype, frame) of the first small frames of a pcap (not pcapng) file."""
    with open(path, "rb") as f:
        data = f.read()
    parsed = nvgtest.pcap_records(data)
    if not parsed:
        return []
    link, records = parsed
    out = []
    for off, incl, orig in records:
        frame = data[off + 16:off + 16 + incl]
        if len(frame) <= 256:
            out.append((link, orig, frame))
            if len(out) == limit:
                break
    return out


def decode_seeds(pcap_dir):
    seeds = {}
    per_link = {}
    if os.path.isdir(pcap_dir):
        for name in sorted(os.listdir(pcap_dir)):
            if not name.endswith(".pcap"):
                continue
            for i, (link, orig, frame) in enumerate(pcap_frames(os.path.join(pcap_dir, name), 2)):
                if link not in LINKS or per_link.get(link, 0) >= 6:
                    continue
                per_link[link] = per_link.get(link, 0) + 1
                wire = 0 if orig <= len(frame) else 1
                seeds["%s-%d" % (name[:-5], i)] = bytes([LINKS.index(link), 64, wire]) + frame
    # Hand-made: each link type with a tiny IPv4/TCP packet behind the right link header.
    ip = bytes.fromhex("45000028000140004006000a0a0000010a000002")
    tcp = bytes.fromhex("9c4001bb00000001000000005012ffff00000000")
    v6 = bytes.fromhex("6000000000083a40") + V6A + V6B + bytes.fromhex("8000000000010001")
    eth = bytes(6) + bytes.fromhex("020000000001") + b"\x08\x00"
    heads = {
        0: b"\x02\x00\x00\x00", 1: eth, 9: b"\x00\x21", 12: b"", 14: b"", 50: b"\xff\x03\x00\x21",
        101: b"", 108: b"\x00\x00\x00\x02", 113: bytes(14) + b"\x08\x00",
        228: b"", 276: b"\x08\x00" + bytes(18), 147: b"",
    }
    for link, head in heads.items():
        seeds["made-%d" % link] = bytes([LINKS.index(link), 16, 0]) + head + ip + tcp
    seeds["made-229"] = bytes([LINKS.index(229), 64, 0]) + v6
    seeds["made-vlan-mpls"] = bytes([1, 8, 3]) + bytes(12) + b"\x81\x00\x00\x64\x88\x47" + \
        b"\x00\x01\x01\x40" + ip + tcp
    seeds["made-ether-trunc"] = bytes([1, 0, 255]) + eth + ip[:10]
    seeds["made-wire-short"] = bytes([7, 64, 254]) + ip + tcp + b"payload!"
    return seeds


def f_double(num, v):
    return varint(num << 3 | 1) + struct.pack("<d", v)


def viewer_seeds():
    """fuzz-viewer-feed: [kind][body], kind 0 status, 1 rates, 2 talkers, 3 event, 4 reply,
    5 records batch, 6 alert (viewer/gtk/nvg-feed-parse.h)."""
    def status(name=b"s1", source=b"eth0"):
        return f_bytes(1, name) + f_varint(2, 7) + f_varint(3, 1) + f_bytes(5, source)

    def summary(st=None, key=b"k1", seen=1722193121000):
        return (f_bytes(1, st) if st is not None else b"") + f_varint(2, 1) + \
            f_varint(3, seen) + f_double(8, 12.5) + f_bytes(13, key) + f_bytes(14, b"10.0.0.1")
    sec = f_varint(1, 2) + f_varint(2, 3) + f_varint(6, 1)
    good = f_bytes(1, summary(status())) + f_bytes(1, summary(status(b"s2"))) + \
        f_varint(3, 5000) + f_bytes(11, b"/var/log/p.csv") + f_bytes(17, sec) + f_varint(18, 1)
    bad = f_bytes(1, summary(None)) + \
        f_bytes(1, summary(status(b"s\xff<b>x</b>\x1b]0;t\x07", b"\xc3\x28" * 300),
                           key=b"\xff", seen=(1 << 63) - 1)) + f_bytes(1, b"") + \
        f_bytes(1, summary(status(b"a" * 100)))
    rates = f_bytes(1, f_varint(1, 1722193121) + f_bytes(2, b"s1") + f_varint(3, 1) +
                    f_varint(4, 10) + f_varint(5, 900)) + \
        f_bytes(1, f_varint(1, (1 << 64) - 5) + f_bytes(2, b"\xfe") + f_varint(3, 99))
    talkers = f_bytes(1, b"s1") + f_varint(2, 1722193120) + f_varint(3, 10) + \
        b"".join(f_bytes(4, f_bytes(1, bytes([10, 0, 0, i])) + f_varint(2, 1000 - i) +
                         f_varint(3, 5)) for i in range(70))
    event = f_varint(1, 1722193121000) + f_bytes(2, b"command") + \
        f_bytes(3, b"key:ops@10.0.0.9") + f_bytes(4, b"s1") + f_bytes(5, b"stop <b>\xff")
    reply = f_varint(1, 1) + f_varint(2, 42) + f_bytes(4, b"not allowed: role viewer") + \
        f_bytes(5, f_bytes(1, b"s1") + f_varint(2, 0) + f_bytes(3, b"\x1b[2J")) + \
        f_bytes(6, good)
    alert = f_varint(1, 7) + f_varint(2, 1) + f_varint(3, 3) + f_bytes(4, b"portscan") + \
        f_varint(5, 4) + f_bytes(6, bytes([10, 0, 0, 5])) + f_bytes(7, bytes([10, 0, 0, 7])) + \
        f_varint(8, 1) + f_varint(9, 1) + f_bytes(11, b"s1") + f_varint(16, 983) + \
        f_bytes(19, b"10.0.0.5 scanned 983 TCP ports of 10.0.0.7") + f_varint(22, 1722193121000)
    alert_bad = f_varint(1, 8) + f_varint(2, 9) + f_bytes(4, b"\x1b]0;x\x07") + \
        b"".join(f_bytes(11, b"s\xff%d" % i) for i in range(40)) + \
        b"".join(f_bytes(7, b"\x01" * 5) for i in range(40)) + f_bytes(19, b"\xc3\x28" * 500) + \
        f_varint(22, (1 << 64) - 1) + f_varint(12, (1 << 63) + 5)
    return {
        "status": b"\x00" + good,
        "status-hostile": b"\x00" + bad,
        "status-empty-summaries": b"\x00" + f_bytes(1, b"") * 200,
        "rates": b"\x01" + rates,
        "talkers": b"\x02" + talkers,
        "event": b"\x03" + event,
        "reply": b"\x04" + reply,
        "batch": b"\x05" + batch(records=RECORDS[:3]),
        "batch-bad-name": b"\x05" + batch(name="s\xff\x1b", records=RECORDS[:1]),
        "alert": b"\x06" + alert,
        "alert-hostile": b"\x06" + alert_bad,
    }


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--ctl-only":  # the netvigil-ctl harnesses alone
        for name, data in ctl_reply_seeds().items():
            write("fuzz-ctl-reply", name, data)
        for name, data in ctl_feed_seeds().items():
            write("fuzz-ctl-feed", name, data)
        for name, data in ctl_hosts_seeds().items():
            write("fuzz-ctl-reply", name, data)
        return
    pcap_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "../../../shared/pcaps")
    for name, data in decode_seeds(pcap_dir).items():
        write("fuzz-decode", name, data)
    for name, data in wire_seeds().items():
        write("fuzz-wire", name, data)
    for name, data in ingest_seeds().items():
        write("fuzz-ingest", name, data)
    for name, data in control_seeds().items():
        write("fuzz-control", name, data)
    for name, data in viewer_seeds().items():
        write("fuzz-viewer-feed", name, data)
    for name, data in ctl_reply_seeds().items():
        write("fuzz-ctl-reply", name, data)
    for name, data in ctl_feed_seeds().items():
        write("fuzz-ctl-feed", name, data)
    for name, data in ctl_hosts_seeds().items():
        write("fuzz-ctl-reply", name, data)
    filters = {
        "v4": b"tcp\n10.0.0.0/8\n192.168.7.1\n443\ns1",
        "v6": b"UDP\n2001:db8::/32\nff02::fb/128\n5353\n",
        "mapped": b"icmpv6\n::ffff:10.1.2.3/100\n::\n0\n",
        "bad": b"nope\n10.0.0.0/33\n1.2.3.4/\n65536\n" + b"x" * 80,
        "prefix0": b"\n0.0.0.0/0\n::/0\n-1\ns1",
        "empty": b"",
    }
    for name, data in filters.items():
        write("fuzz-filter", name, data)
    pkt_size = 136  # sizeof(struct nvg_pkt) on x86-64; shorter inputs are zero-filled
    fmt = {
        "zeros": bytes(pkt_size) + b"sensor",
        "ones": b"\xff" * pkt_size + b'a,"b"\nc',
        "short": b"\x01\x02\x03",
        "pattern": bytes(range(pkt_size)) + b"x" * 64,
        "quote": bytes(pkt_size) + b'"' * 64,
    }
    for name, data in fmt.items():
        write("fuzz-format", name, data)


if __name__ == "__main__":
    main()
