#!/usr/bin/env python3
"""Record times from the network at the ends of int64 (issue 10, item 9, collector side).

A hand-made sensor sends one batch with capture times INT64_MIN, INT64_MIN + 1, -1, 0, a normal
time and INT64_MAX (sfixed64 carries any of them, with no clamped flag set) into a real
collector (the sanitizer build aborts on a signed overflow). Every record must be a packet row
with the right time text, the two ends marked clamped ('~' in the flags column) and no other,
the rates log must count each record in its own second (1677-09-21T00:12:43Z,
2262-04-11T23:47:16Z, ...), the end-of-stream ack must count all six, and SIGTERM must end the
collector cleanly with no sanitizer report.

Usage: test_wire_times.py --bin-dir DIR [--bin-dir DIR...]
"""
import collections
import os
import sys
import time

import zmq

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "security"))
import nvgtest  # noqa: E402
import wire  # noqa: E402

INT64_MIN, INT64_MAX = -2**63, 2**63 - 1
TIMES = [
    (INT64_MIN, "1677-09-21T00:12:43.145224Z", True, "1677-09-21T00:12:43Z"),
    (INT64_MIN + 1, "1677-09-21T00:12:43.145224Z", False, "1677-09-21T00:12:43Z"),
    (-1, "1969-12-31T23:59:59.999999Z", False, "1969-12-31T23:59:59Z"),
    (0, "1970-01-01T00:00:00.000000Z", False, "1970-01-01T00:00:00Z"),
    (1700000000 * 10**9 + 5000, "2023-11-14T22:13:20.000005Z", False, "2023-11-14T22:13:20Z"),
    (INT64_MAX, "2262-04-11T23:47:16.854775Z", True, "2262-04-11T23:47:16Z"),
]


def record(ts):
    return wire.msg((1, ("f64", ts)), (2, 4), (3, b"\x0a\x00\x00\x01"), (4, b"\xc0\xa8\x00\x01"),
                    (5, 4), (7, 1000), (8, 53), (13, 60), (14, 60), (17, 4))  # UDP, ports


def run(args, work):
    col = nvgtest.Collector(work).start()
    ctx = zmq.Context()
    try:
        s = ctx.socket(zmq.DEALER)
        s.setsockopt(zmq.LINGER, 0)
        s.connect(col.sensor_ep)
        s.send(wire.hello("edges", 77, version="test"))
        recs = [(4, record(t[0])) for t in TIMES]
        s.send(wire.msg((1, wire.VERSION), (3, wire.msg((1, "edges"), (2, 77), (3, 1), *recs))))
        s.send(wire.eos(77, 1, len(TIMES)))
        ack = None
        deadline = time.time() + 15
        while time.time() < deadline and ack is None:
            if s.poll(500):
                name, body = wire.collector_message(s.recv())
                if name == "ack":
                    ack = body
        assert ack is not None, "no end-of-stream ack\n" + col.log_text()
        assert wire.one(ack, 3) == len(TIMES), "ack %r" % ack  # records_received
        s.close()
    finally:
        ctx.term()
    col.stop()
    log = col.log_text()
    assert not nvgtest.sanitizer_report(log), log

    rows = [r for r in nvgtest.read_packets(col.out) if r[1] == "edges"]
    got = [(r[0], r[7]) for r in rows]
    want = [(iso, "~" if clamped else "") for _, iso, clamped, _ in TIMES]
    assert got == want, "packet rows:\n got  %r\n want %r" % (got, want)

    rates = collections.Counter()
    for path in nvgtest.log_files(col.out, "rates"):
        for t, sensor, proto, pk, by in nvgtest.read_csv_log(path, nvgtest.RATE_COLUMNS):
            if sensor == "edges":
                rates[(t, proto)] += int(pk)
    want_rates = collections.Counter((sec, "UDP") for _, _, _, sec in TIMES)
    assert rates == want_rates, "rates:\n got  %r\n want %r" % (rates, want_rates)
    print("ok wire-times: %d rows, the two ends clamped, rates %r" % (len(rows), dict(rates)))


if __name__ == "__main__":
    sys.exit(nvgtest.main(run, "nvg-wire-times-", ["netvigil-collector", "netvigil-ctl"]))
