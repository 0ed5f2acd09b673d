#!/usr/bin/env python3
"""Capture times at the edges, both classic pcap resolutions and pcapng (issue 10, item 9).

Crafted files read by `netvigil-sensor -r F --csv -` (under UBSan in the sanitizer build, with
halt_on_error: a signed overflow fails the run), each row's time and flags column checked:

  classic pcap, usec and nsec magic   seconds are unsigned 32-bit (2038-01-19T03:14:08 and
                                      2106, as tshark shows); a fraction of 0xFFFFFFFF (libpcap
                                      hands it over as -1) is not -1 ns: the time is the
                                      second itself and the row is flagged '~' (clamped)
  pcapng                              year 3000 and the largest 64-bit stamp saturate to
                                      2262-04-11T23:47:16.854775Z, flagged; a negative
                                      if_tsoffset gives a time before 1970 (as tshark shows),
                                      not 2042

tshark's frame.time_epoch is the oracle for every row where it is right (not for clamped
rows: it prints the year-3000 value we cannot hold, and a negative value for a broken
fraction).

Usage: test_time_edges.py --bin-dir DIR [--bin-dir DIR...]
"""
import os
import shutil
import struct
import subprocess
import sys
from decimal import Decimal

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import nvgtest  # noqa: E402

ETH = b"\x00\x11\x22\x33\x44\x55" * 2 + b"\x08\x00"
IP = bytes.fromhex("450000200001000040110000") + bytes([10, 0, 0, 1, 10, 0, 0, 2])
FRAME = ETH + IP + struct.pack(">HHHH", 1234, 53, 12, 0) + b"abcd"
LAST = "2262-04-11T23:47:16.854775Z"


def classic(path, nano):
    magic = 0xa1b23c4d if nano else 0xa1b2c3d4
    top = 999999999 if nano else 999999
    recs = [(0x80000000, 0), (0xFFFFFFFF, top), (1700000000, 0xFFFFFFFF), (1700000000, 1)]
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", magic, 2, 4, 0, 0, 65535, 1))
        for sec, frac in recs:
            f.write(struct.pack("<IIII", sec, frac, len(FRAME), len(FRAME)) + FRAME)
    last = "2106-02-07T06:28:15.999999Z"
    return [("2038-01-19T03:14:08.000000Z", False), (last, False),
            ("2023-11-14T22:13:20.000000Z", True),
            ("2023-11-14T22:13:20.000000Z" if nano else "2023-11-14T22:13:20.000001Z", False)]


def block(kind, body):
    body += b"\0" * ((4 - len(body) % 4) % 4)
    n = 12 + len(body)
    return struct.pack("<II", kind, n) + body + struct.pack("<I", n)


def epb(iface, ts):
    return block(6, struct.pack("<IIIII", iface, ts >> 32, ts & 0xFFFFFFFF, len(FRAME),
                                len(FRAME)) + FRAME)


def pcapng(path):
    shb = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    idb0 = block(1, struct.pack("<HHI", 1, 0, 65535))  # microseconds
    # if_tsresol 9 (ns) and if_tsoffset -2,000,000,000 s
    opts = struct.pack("<HHB3x", 9, 1, 9) + struct.pack("<HHq", 14, 8, -2000000000) + \
        struct.pack("<HH", 0, 0)
    idb1 = block(1, struct.pack("<HHI", 1, 0, 65535) + opts)
    with open(path, "wb") as f:
        f.write(shb + idb0 + idb1 + epb(0, 32503680000 * 10**6) + epb(0, 2**64 - 1) +
                epb(1, 1500000000) + epb(0, 1700000000 * 10**6))
    return [(LAST, True), (LAST, True), ("1906-08-16T20:26:41.500000Z", False),
            ("2023-11-14T22:13:20.000000Z", False)]


def sensor_rows(path):
    env = dict(os.environ, UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1")
    r = subprocess.run([nvgtest.prog("netvigil-sensor"), "-r", path, "--csv", "-"],
                       capture_output=True, text=True, timeout=30, env=env)
    assert r.returncode == 0, "sensor -r %s: exit %d\n%s" % (path, r.returncode, r.stderr)
    assert not nvgtest.sanitizer_report(r.stderr), r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith("time,sensor,proto"), lines
    rows = [line.split(",") for line in lines[1:]]
    return [(row[0], row[7].endswith("~")) for row in rows]


def tshark_epochs(path):
    if not shutil.which("tshark"):
        return None
    r = subprocess.run(["tshark", "-r", path, "-T", "fields", "-e", "frame.time_epoch"],
                       capture_output=True, text=True, timeout=30)
    return [line.strip() for line in r.stdout.splitlines()] if r.returncode == 0 else None


def epoch_of(iso):
    """Decimal seconds of our ISO text (µs), for comparing with tshark."""
    import calendar
    import time
    sec = calendar.timegm(time.strptime(iso[:19], "%Y-%m-%dT%H:%M:%S"))
    return Decimal(sec) + Decimal(iso[20:26]) / 1000000


def tshark_value(text):
    """tshark's text for a time before 1970 is the negative second with a positive fraction
    after it ("-2000000000.5" for -1999999999.5), so only later times are compared."""
    return Decimal(text) if not text.startswith("-") else None


def check(path, want):
    got = sensor_rows(path)
    assert got == want, "%s:\n got  %r\n want %r" % (path, got, want)
    ts = tshark_epochs(path)
    compared = 0
    if ts:
        assert len(ts) == len(want), ts
        for (iso, clamped), t in zip(want, ts):
            v = tshark_value(t)
            if clamped or v is None:
                continue  # tshark is not the oracle there (see the docstring)
            assert abs(epoch_of(iso) - v) < Decimal("0.000001"), (path, iso, t)
            compared += 1
    print("%s: %d rows as expected, %d agree with tshark" % (os.path.basename(path), len(got),
                                                            compared))


def run(args, work):
    for name, nano in (("usec.pcap", False), ("nsec.pcap", True)):
        p = work.path(name)
        check(p, classic(p, nano))
    p = work.path("edges.pcapng")
    check(p, pcapng(p))


if __name__ == "__main__":
    sys.exit(nvgtest.main(run, "nvg-time-edges-", ["netvigil-sensor"]))
