#!/usr/bin/env python3
"""netvigil-ctl against a hostile collector (fakecollector.py: a pyzmq ROUTER and PUB on free
loopback ports): a SensorSummary without last_status, escape sequences and invalid UTF-8 in
every string, replies and feed messages built to amplify protobuf-c's allocations, absurd
times, stray replies. ctl must not crash, must print only escaped text, must stay bounded in
memory, and must say what it dropped.

Usage: test_ctl_hostile.py --bin-dir DIR [--bin-dir DIR...] TEST
"""
import json
import re
import os
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, HERE)
import nvgtest  # noqa: E402
from nvgtest import prog  # noqa: E402
import fakecollector as fc  # noqa: E402

PROGRAMS = ("netvigil-ctl",)
ESC = "\x1b]0;pwned\x07"
NASTY = [ESC + "s1", "\n<0>forged", "a\u202eb", "\u200bzw", "\x9bc1"]
BAD_UTF8 = [b"\xff\xfe", b"\xc0\xaf", b"\xed\xa0\x80", b"ok\xe2\x82"]
MAX_MSG = 4 * 1024 * 1024  # NVG_CLIENT_MAX_MSG


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def asan_build():
    with open(prog("netvigil-ctl"), "rb") as f:
        return b"__asan_init" in f.read()


def rss_bound_mb():
    # Plain: 32 MiB arena cap + a 4 MiB message + the process. ASan keeps freed memory in
    # quarantine and adds redzones, so its bound is looser but still far from unbounded
    # (which is hundreds of MB for these messages).
    return 220 if asan_build() else 90


def ctl(f, *args, timeout=20, env=None, sig_after=None):
    """Runs netvigil-ctl against f; returns (rc, stdout bytes, stderr text, max RSS in MB)."""
    p = subprocess.Popen([prog("netvigil-ctl")] + f.endpoints() + [str(a) for a in args],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    if sig_after is not None:
        time.sleep(sig_after)
        p.send_signal(signal.SIGINT)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        raise AssertionError("netvigil-ctl %s did not finish in %d s" % (args, timeout))
    # communicate() reaped it; its peak RSS is in our children's rusage only after wait4, so
    # read it from /proc is too late: use the children total, which only grows.
    rss = _children_maxrss_mb()
    err = err.decode("utf-8", "replace")
    check(not nvgtest.sanitizer_report(err), "sanitizer report from ctl %s:\n%s" % (args, err))
    check(p.returncode >= 0, "ctl %s died of signal %d:\n%s" % (args, -p.returncode, err))
    return p.returncode, out, err, rss


def _children_maxrss_mb():
    import resource
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0


def clean(out, what):
    """out is printable UTF-8: no control byte but newline, no C1, bidi or zero-width char."""
    text = out.decode("utf-8")  # strict: invalid UTF-8 must not reach the terminal
    for ch in text:
        o = ord(ch)
        bad = (o < 0x20 and ch != "\n") or 0x7f <= o <= 0x9f or 0x200b <= o <= 0x200f or \
            0x2028 <= o <= 0x202e or 0x2066 <= o <= 0x2069 or o == 0xfeff
        check(not bad, "%s: unescaped U+%04X in output:\n%r" % (what, o, text[:2000]))
    return text


def status_handler(status, **reply):
    return lambda req: [fc.control_reply(req.get(2, 0), status=status, **reply)]


def with_fake(work, f, fn):
    try:
        fn(f)
    finally:
        f.stop()


# ---- tests ---------------------------------------------------------------------------------

def test_no_last_status(work):
    """The known crash: a SensorSummary without last_status (SIGSEGV before)."""
    st = fc.collector_status([fc.summary(None), fc.summary(fc.sensor_status("real"))])
    f = fc.FakeCollector(status_handler(st))
    try:
        rc, out, err, _ = ctl(f, "status")
        text = clean(out, "status")
        check(rc == 0, "status rc %d: %s" % (rc, err))
        rows = text.splitlines()
        check(rows[0].startswith("SENSOR ") and rows[0].rstrip().endswith("KEY              PEER"),
              rows[0])
        check(rows[1].startswith("? ") and rows[2].startswith("real "), text)
        check(any(r.startswith("security: keys off") for r in rows), text)
        rc, out, err, _ = ctl(f, "status", "--json")
        j = json.loads(clean(out, "status --json"))
        check(rc == 0 and [s["has_status"] for s in j["sensors"]] == [False, True], j)
        check(j["sensors"][0]["sensor"] == "?" and j["security"]["present"] is False, j)
    finally:
        f.stop()


def test_escapes(work):
    """Escape sequences, bidi and zero-width characters in every string: printed escaped."""
    sums = [fc.summary(fc.sensor_status(n, source=n, flt=n, error=n), key_name=n,
                       peer_address=n) for n in NASTY]
    st = fc.collector_status(sums, keys=True, security={"keys_unknown": 3}, audit_file=ESC)

    def handler(req):
        if req.get(3) == 5:
            return [fc.control_reply(req.get(2, 0), status=st)]
        return [fc.control_reply(req.get(2, 0), ok=False, error=ESC + "no",
                                 results=[(n, False, n) for n in NASTY])]
    feed = [[b"event", fc.event(kind=ESC, requester=ESC, sensor=ESC, text=ESC + "\r\n")],
            [b"rates", fc.rate_batch([(1722193121, ESC, 3, 1, 60)])],
            [b"rec/" + ESC.encode(), fc.batch(ESC, 1, [fc.record()])]]
    f = fc.FakeCollector(handler, feed)
    try:
        rc, out, err, _ = ctl(f, "status")
        text = clean(out, "status")
        check(rc == 0 and "\\x1b]0;pwned\\x07s1" in text, text)
        check("security: keys on; handshakes failed 0, keys unknown 3," in text, text)
        rc, out, err, _ = ctl(f, "status", "--json")
        j = json.loads(clean(out, "status --json"))
        check(j["sensors"][0]["sensor"] == ESC + "s1" and j["keys"] is True, j["sensors"][0])
        check(j["security"]["keys_unknown"] == 3, j["security"])
        rc, out, err, _ = ctl(f, "stop")
        text = clean(out, "stop")
        check(rc == 1 and "\\x1b]0;pwned" in text, text)
        clean(err.encode(), "stop stderr")
        rc, out, err, _ = ctl(f, "--json", "stop")
        json.loads(clean(out, "stop --json"))
        for what in ("events", "rates", "tail"):
            rc, out, err, _ = ctl(f, what, "--count", "1")
            text = clean(out, what)
            check(rc == 0 and "\\x1b]0;pwned" in text, "%s: %r" % (what, text))
            clean(err.encode(), what + " stderr")
    finally:
        f.stop()


def test_invalid_utf8(work):
    """Invalid UTF-8 (overlong, surrogate, truncated) never reaches the terminal or the JSON."""
    sums = [fc.summary(fc.sensor_status(b"x" + b, source=b)) for b in BAD_UTF8]
    f = fc.FakeCollector(status_handler(fc.collector_status(sums)))
    try:
        rc, out, err, _ = ctl(f, "status")
        text = clean(out, "status")
        check(rc == 0 and "x\\xff\\xfe" in text, text)
        rc, out, err, _ = ctl(f, "status", "--json")
        j = json.loads(clean(out, "status --json"))
        check(j["sensors"][0]["sensor"] == "x\\xff\\xfe", j["sensors"][0])
    finally:
        f.stop()


def test_huge(work):
    """Big messages: bounded memory, bounded output, a clear error."""
    bound = rss_bound_mb()
    # ~2M empty SensorSummaries in one reply: unpacked without a cap, hundreds of MB.
    n = (MAX_MSG - 4096) // 2
    amplify = fc.collector_status(raw_sensors=b"\x0a\x00" * n)
    f = fc.FakeCollector(status_handler(amplify))
    try:
        rc, out, err, rss = ctl(f, "--timeout", "1500", "status")
        check(rc == 1 and "cannot read" in err and "32 MiB" in err, (rc, err))
        check(rss < bound, "ctl grew to %.0f MB on an amplifying status (bound %d)" % (rss, bound))
        print("amplifying status (%d bytes): rc %d, max RSS %.0f MB" % (len(amplify), rc, rss))
    finally:
        f.stop()
    # 1 MiB strings (source, audit file, error text): printed cut, not whole.
    big = "e" * (1 << 20)
    st = fc.collector_status([fc.summary(fc.sensor_status("s1", source=big))], audit_file=big)
    f = fc.FakeCollector(lambda req: [fc.control_reply(
        req.get(2, 0), ok=req.get(3) == 5, error=big, status=st if req.get(3) == 5 else None,
        results=[] if req.get(3) == 5 else [("s1", False, big)])])
    try:
        rc, out, err, rss = ctl(f, "status")
        check(rc == 0 and len(out) < 8192 and "..." in clean(out, "status"), (rc, len(out), err))
        rc, out, err, rss = ctl(f, "stop", "s1")
        check(rc == 1 and len(out) < 8192 and "error: eee" in clean(out, "stop"),
              (rc, len(out), err))
        check(rss < bound, "max RSS %.0f MB" % rss)
    finally:
        f.stop()
    # The feed: amplifying batches (past the arena cap: dropped, counted) between good ones.
    feed = [[b"rec/a", fc.batch("a", 1, [fc.record()])],
            [b"rec/b", b"\x22\x00" * ((MAX_MSG - 4096) // 2)]]
    f = fc.FakeCollector(feed=feed, feed_ms=50)
    try:
        rc, out, err, rss = ctl(f, "tail", "--count", "3", timeout=30)
        text = clean(out, "tail")
        check(rc == 0 and text.count(" a TCP ") == 3, (rc, text, err))
        check("messages dropped" in err, err)
        check(rss < bound, "tail: max RSS %.0f MB" % rss)
        print("amplifying feed: %s" % err.strip())
    finally:
        f.stop()
    # A message over ZMQ_MAXMSGSIZE: libzmq drops the connection and does not dial again; ctl
    # says so and exits instead of waiting for ever.
    feed = [[b"rec/a", fc.batch("a", 1, [fc.record()])], [b"rec/c", b"x" * (MAX_MSG + 1024)]]
    f = fc.FakeCollector(feed=feed, feed_ms=50)
    try:
        for _ in range(3):
            t0 = time.time()
            rc, out, err, rss = ctl(f, "tail", timeout=30)
            check(rc == 1 and "closed the feed" in err and time.time() - t0 < 10, (rc, err))
            check(rss < bound, "tail: max RSS %.0f MB" % rss)
    finally:
        f.stop()


def test_times(work):
    """Absurd times saturate instead of overflowing (UBSan would report an overflow)."""
    lo, hi = -(1 << 63), (1 << 63) - 1
    sums = [fc.summary(fc.sensor_status("t%d" % i), last_seen_ms=t, pps=x, bps=x)
            for i, (t, x) in enumerate([(lo, float("nan")), (hi, float("inf")), (-1, -5.0),
                                        (1, 1e308)])]
    st = fc.collector_status(sums, uptime_ms=lo)
    feed = [[b"event", fc.event(time_ms=hi)], [b"event", fc.event(time_ms=lo)],
            [b"rates", fc.rate_batch([(hi, "r", 99, 1, 2), (lo, "r", 3, 1, 2)])]]
    f = fc.FakeCollector(status_handler(st), feed)
    try:
        rc, out, err, _ = ctl(f, "status")
        check(rc == 0 and out.count(b"\n") == 8, clean(out, "status"))
        rc, out, err, _ = ctl(f, "status", "--json")
        j = json.loads(clean(out, "status --json"))
        check(j["sensors"][0]["packets_per_s"] is None and j["uptime_ms"] == lo, j)
        for what in ("events", "rates"):
            rc, out, err, _ = ctl(f, what, "--count", "2")
            check(rc == 0 and out.count(b"\n") == 2, clean(out, what))
    finally:
        f.stop()


def test_stray(work):
    """Garbage, replies to other ids and multi-frame messages before ours: ours is used."""
    def handler(req):
        me = req.get(2, 0)
        good = fc.control_reply(me, results=[("s1", True, "")])
        return [b"\xff\xff\xff", fc.control_reply(me + 1, ok=False, error="not yours"),
                b"\x0a" * 50, good]
    f = fc.FakeCollector(handler)
    try:
        rc, out, err, _ = ctl(f, "stop", "s1")
        check(rc == 0 and re.search(r"^s1\s+ok$", out.decode(), re.M), (rc, out, err))
    finally:
        f.stop()
    f = fc.FakeCollector(lambda req: [b"\xff" * 10])
    try:
        t0 = time.time()
        rc, out, err, _ = ctl(f, "--timeout", "800", "status")
        check(rc == 1 and "cannot read" in err and time.time() - t0 < 5, (rc, err))
    finally:
        f.stop()


def test_not_allowed(work):
    """A refusal of our key's role is printed plainly with exit status 5."""
    f = fc.FakeCollector(lambda req: [fc.control_reply(
        req.get(2, 0), ok=False, error="not allowed: key 'v1' (viewer) may not send stop")])
    try:
        rc, out, err, _ = ctl(f, "stop", "alpha")
        check(rc == 5, "exit %d, want 5: %s %s" % (rc, out, err))
        check("stop alpha: failed: not allowed: key 'v1' (viewer)" in out.decode(), out)
        check("not allowed for key" in err, err)
        rc, out, err, _ = ctl(f, "status")
        check(rc == 5 and "not allowed" in err, (rc, err))
    finally:
        f.stop()


def test_forget(work):
    """forget SENSOR: COMMAND_FORGET for that one name; ok without per-sensor results."""
    def handler(req):
        if req["bytes"][4] == b"alpha":
            return [fc.control_reply(req.get(2, 0))]
        return [fc.control_reply(req.get(2, 0), ok=False, error="unknown sensor 'nosuch'")]
    f = fc.FakeCollector(handler)
    try:
        rc, out, err, _ = ctl(f, "forget", "alpha")
        check(rc == 0 and out.decode() == "forget alpha: ok\n", (rc, out, err))
        check(f.requests[-1][3] == 6 and f.requests[-1]["bytes"][4] == b"alpha", f.requests)
        rc, out, err, _ = ctl(f, "forget", "nosuch")
        check(rc == 1 and "failed: unknown sensor 'nosuch'" in out.decode(), (rc, out))
        rc, out, err, _ = ctl(f, "forget")
        check(rc == 2, "forget without a sensor is a usage error")
    finally:
        f.stop()


def test_gaps(work):
    """Batches the feed never delivered show as sequence gaps in the report on exit."""
    feed = [[b"rec/g", fc.batch("g", s, [fc.record(sport=1000 + s)])] for s in (1, 2, 5)]
    f = fc.FakeCollector(feed=feed)
    try:
        rc, out, err, _ = ctl(f, "tail", "--count", "6")
        check(rc == 0 and out.count(b"\n") == 6, out)
        check("batches missed" in err and " 0 batches missed" not in err, err)
    finally:
        f.stop()


def run(args, work):
    args.fn(work)
    print("PASS %s" % args.test)


if __name__ == "__main__":
    sys.exit(nvgtest.main(run, "nvg-ctl-hostile-", PROGRAMS, tests=globals()))
