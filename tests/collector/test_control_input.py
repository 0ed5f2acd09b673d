#!/usr/bin/env python3
"""Control input and the audit trail (issue 10, item 10), with a raw control client that sends
what netvigil-ctl never would:

  strings   a NUL inside the filter, the sensor name and the requester (protobuf-c would cut the
            C string there and pass the rest as valid), invalid UTF-8 and control characters:
            each refused with an error naming the field, counted as invalid_strings, and in the
            audit file, which stays valid UTF-8
  refused   malformed bytes, a wrong version, an unknown kind: refused and audited; a burst of
            refusals from one peer is coalesced into one row + "N more" for the second
  oversized a request over the 64 KiB cap: answered "request too large", counted in
            control_oversized, one log line; one over the socket's cap (256 KiB) is cut by
            libzmq, and the collector goes on answering
  filter    the sensor with -f and -c: a filter at the 1023-byte cap works combined with the
            self-exclusion; a bad one exits 2 with libpcap's whole message; one over the cap
            exits 2 (needs root for live capture on lo, else that part is skipped)

Usage: test_control_input.py --bin-dir DIR... TEST. Bounded; cleans up on every exit path."""
import os
import subprocess
import sys
import time

import zmq

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, os.path.join(HERE, "..", "security"))
import nvgtest  # noqa: E402
import wire  # noqa: E402
from nvgtest import prog  # noqa: E402
from wire import msg  # noqa: E402

PROGRAMS = ("netvigil-collector", "netvigil-ctl", "netvigil-sensor")
AUDIT = ["time", "requester", "sensor", "command", "filter", "outcome"]


def audit_rows(col):
    return [r for p in nvgtest.log_files(col.out, "audit")
            for r in nvgtest.read_csv_log(p, AUDIT)]  # read_csv_log decodes UTF-8 strictly


def raw_request(rid, kind, sensor=b"", filt=b"", requester=b"raw@test", version=1):
    return msg((1, version), (2, rid), (3, kind), (4, sensor or None), (5, filt or None),
               (6, requester))


class Client:
    def __init__(self, col):
        self.ctx = zmq.Context()
        self.sock = wire.dealer(self.ctx, col.control_ep)

    def ask(self, data, timeout_ms=5000):
        self.sock.send(data)
        return wire.reply(self.sock, timeout_ms)

    def close(self):
        self.sock.close()
        self.ctx.term()


def expect_refused(cl, data, rid, words):
    r = cl.ask(data)
    assert r is not None, "no reply to request %d" % rid
    got_id, ok, error, _ = r
    assert not ok and all(w in error for w in words), "request %d: ok=%s error=%r" % (
        rid, ok, error)
    return error


def wait_rows(col, pred, n, what):
    nvgtest.wait_for(lambda: len([r for r in audit_rows(col) if pred(r)]) >= n, 5,
                     "%s in the audit file" % what)
    return [r for r in audit_rows(col) if pred(r)]


def test_strings(work):
    col = nvgtest.Collector(work).start()
    cl = Client(col)
    try:
        before = col.status()
        cases = [
            (raw_request(11, 4, b"s1", b"tcp\x00 or udp"), ["filter", "NUL"]),
            (raw_request(12, 2, b"s1\x00evil"), ["invalid sensor name"]),
            (raw_request(13, 2, b"s1", requester=b"ok\x00\xff\xfe"), ["requester"]),
            (raw_request(14, 4, b"s1", b"tcp or \xff\xfe udp"), ["filter", "UTF-8"]),
            (raw_request(15, 5, requester=b"bell\x07"), ["requester"]),
            (raw_request(16, 4, b"s1", b"udp\x1b[31m"), ["filter"]),
        ]
        for i, (data, words) in enumerate(cases):
            err = expect_refused(cl, data, 11 + i, words)
            print("ok   request %d refused: %s" % (11 + i, err), flush=True)
            time.sleep(1.05)  # one per second: none of them is coalesced away
        after = col.status()
        got = after["security"]["invalid_strings"] - before["security"]["invalid_strings"]
        assert got == len(cases), "invalid_strings went up by %d, want %d" % (got, len(cases))
        rows = wait_rows(col, lambda r: "bad request:" in r[5], len(cases), "refusals")
        for r in rows:
            assert "\x00" not in "".join(r) and "\x1b" not in "".join(r), r
        print("ok   %d refusals counted (invalid_strings) and audited, audit file UTF-8" % (
            len(rows)), flush=True)
    finally:
        cl.close()


def test_refused(work):
    col = nvgtest.Collector(work).start()
    cl = Client(col)
    try:
        expect_refused(cl, b"\xff\xff\xff\xff", 0, ["malformed"])
        time.sleep(1.05)
        expect_refused(cl, raw_request(21, 2, b"s1", version=99), 21, ["protocol version 99"])
        time.sleep(1.05)
        expect_refused(cl, raw_request(22, 99, b"s1"), 22, ["unknown command kind 99"])
        time.sleep(1.05)
        r = cl.ask(raw_request(23, 2, b"nosuch"))
        assert r and not r[1] and "unknown sensor" in r[2], r
        rows = wait_rows(col, lambda r: True, 4, "four rows")
        outcomes = [r[5] for r in rows]
        for want in ("malformed request", "protocol version 99", "unknown command kind 99",
                     "unknown sensor 'nosuch'"):
            assert any(want in o for o in outcomes), "%r not audited: %r" % (want, outcomes)
        print("ok   malformed, wrong version, unknown kind and a routed command all audited",
              flush=True)
        # A burst from one peer in one second: the first row at once, the rest as one row.
        n_before = len(audit_rows(col))
        while time.time() % 1 > 0.5:  # start early in a second so the burst stays inside it
            time.sleep(0.05)
        for i in range(10):
            expect_refused(cl, raw_request(100 + i, 4, b"s1", b"x\x00y"), 100 + i, ["NUL"])
        rows = wait_rows(col, lambda r: "more request(s) refused" in r[5], 1, "the summary")
        new = audit_rows(col)[n_before:]
        assert len(new) == 2 and "9 more request(s) refused" in new[1][5], new
        print("ok   10 refusals in one second: 2 audit rows (%s)" % new[1][5], flush=True)
    finally:
        cl.close()


def test_oversized(work):
    col = nvgtest.Collector(work).start()
    cl = Client(col)
    try:
        big = raw_request(31, 4, b"s1", b"tcp or " * (100 * 1024 // 7))
        err = expect_refused(cl, big, 0, ["request too large", "65536"])
        st = col.status()
        assert st["control_oversized"] == 1, st["control_oversized"]
        nvgtest.wait_for(lambda: "over the 65536-byte cap" in col.log_text(), 5,
                         "the log line")
        print("ok   %d-byte request: '%s', control_oversized 1, logged" % (len(big), err),
              flush=True)
        # The same connection still works after the refusal.
        r = cl.ask(raw_request(32, 5))
        assert r and r[1], r
        rows = wait_rows(col, lambda r: "request too large" in r[5], 1, "the refusal")
        assert rows[0][3] == "(too large)", rows
        # Over the socket's cap libzmq closes the connection without a word; the collector goes
        # on answering everyone else.
        huge = raw_request(33, 4, b"s1", b"x" * (300 * 1024))
        assert cl.ask(huge, timeout_ms=1500) is None
        assert col.status()["control_oversized"] == 1
        print("ok   over the socket cap: connection cut by libzmq, collector answers status",
              flush=True)
    finally:
        cl.close()


def test_filter(work):
    if os.geteuid() != 0:
        raise nvgtest.Skip("needs root for live capture on lo")
    col = nvgtest.Collector(work).start()
    # 1023 bytes: tcp port 10000 or tcp port 10001 ... padded with spaces to the cap.
    terms, n = [], 10000
    while len(" or ".join(terms + ["tcp port %d" % n])) <= 1023:
        terms.append("tcp port %d" % n)
        n += 1
    expr = " or ".join(terms)
    expr += " " * (1023 - len(expr))
    assert len(expr) == 1023
    p = col.start_sensor("flt1", "-i", "lo", "--user", "root", "-f", expr)
    nvgtest.wait_for(lambda: (col.find_sensor("flt1") or {}).get("state") == "running", 15,
                     "the sensor with a 1023-byte filter and -c to run")
    assert col.find_sensor("flt1")["filter"] == expr
    p.terminate()
    assert p.wait(15) == 0
    print("ok   -f of 1023 bytes with -c (combined with the self-exclusion) runs", flush=True)
    for f, words in (("tcp and (", ["bad filter expression 'tcp and ('", "syntax error"]),
                     ("tcp port 99999", ["bad filter expression", "port 99999"]),
                     ("tcp or " * 1400 + "udp", ["at most 1023"])):
        r = subprocess.run([prog("netvigil-sensor"), "-i", "lo", "-n", "flt2", "-c", col.sensor_ep,
                            "-f", f], capture_output=True, text=True, timeout=20)
        assert r.returncode == 2 and all(w in r.stderr for w in words), (r.returncode, r.stderr)
        print("ok   -f %d bytes with -c: exit 2, %s" % (len(f), r.stderr.strip()[-90:]),
              flush=True)


def run(args, work):
    args.fn(work)
    work.stop_all()


if __name__ == "__main__":
    sys.exit(nvgtest.main(run, "nvg-ctlin-", PROGRAMS, tests=globals()))
