#!/usr/bin/env python3
"""Capture times at the edges (issue 10, item 9), crafted files read by `netvigil-sensor -r F
--csv -` and compared with tshark where tshark is right:

  classic pcap   seconds are unsigned 32-bit: 2074-01-01 (libpcap hands it over as negative)
                 and 0xFFFFFFFF (2106) come out as tshark shows them, never before 1970; a
                 fraction of 0xFFFFFFFF is not -1 us (tshark goes negative: we say .000000)
  pcapng         a year-3000 stamp and the largest 64-bit stamp saturate to the last
                 representable time (2262-04-11T23:47:16.854775Z) instead of overflowing;
                 an ordinary stamp after them is exact

Under the sanitizer build a signed overflow aborts the sensor (UBSAN_OPTIONS halt_on_error),
so the test also proves there is none.

Usage: test_extreme_times.py --bin-dir DIR [--bin-dir DIR...]
"""
import os
import shutil
import struct
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import nvgtest  # noqa: E402

ETH = b"\x00\x11\x22\x33\x44\x55" * 2 + b"\x08\x00"
IP = bytes.fromhex("450000200001000040110000") + bytes([10, 0, 0, 1, 10, 0, 0, 2])
FRAME = ETH + IP + struct.pack(">HHHH", 1234, 53, 12, 0) + b"abcd"
LAST = "2262-04-11T23:47:16.854775Z"


def classic(path):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for sec, usec in [(3281990400, 5), (1700000000, 0xFFFFFFFF), (0xFFFFFFFF, 999999)]:
            f.write(struct.pack("<IIII", sec, usec, len(FRAME), len(FRAME)) + FRAME)


def block(kind, body):
    body += b"\0" * ((4 - len(body) % 4) % 4)
    n = 12 + len(body)
    return struct.pack("<II", kind, n) + body + struct.pack("<I", n)


def pcapng(path):
    shb = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    idb = block(1, struct.pack("<HHI", 1, 0, 65535))  # no if_tsresol: microseconds

    def epb(ts):
        return block(6, struct.pack("<IIIII", 0, ts >> 32, ts & 0xFFFFFFFF, len(FRAME),
                                    len(FRAME)) + FRAME)
    with open(path, "wb") as f:
        f.write(shb + idb + epb(32503680000 * 10**6) + epb(2**64 - 1) +
                epb(1700000000 * 10**6))


def times(path):
    env = dict(os.environ, UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1")
    r = subprocess.run([nvgtest.prog("netvigil-sensor"), "-r", path, "--csv", "-"],
                       capture_output=True, text=True, timeout=30, env=env)
    assert r.returncode == 0, "sensor -r %s: exit %d\n%s" % (path, r.returncode, r.stderr)
    assert not nvgtest.sanitizer_report(r.stderr), r.stderr
    return [line.split(",")[0] for line in r.stdout.splitlines()[1:]]


def tshark_epochs(path):
    if not shutil.which("tshark"):
        return None
    r = subprocess.run(["tshark", "-r", path, "-T", "fields", "-e", "frame.time_epoch"],
                       capture_output=True, text=True, timeout=30)
    return [line.strip() for line in r.stdout.splitlines()] if r.returncode == 0 else None


def run(args, work):
    p1, p2 = work.path("edges.pcap"), work.path("edges.pcapng")
    classic(p1)
    pcapng(p2)
    got = times(p1)
    assert got == ["2074-01-01T00:00:00.000005Z", "2023-11-14T22:13:20.000000Z",
                   "2106-02-07T06:28:15.999999Z"], got
    ts = tshark_epochs(p1)
    if ts:
        assert ts[0].startswith("3281990400.000005") and ts[2].startswith("4294967295.999999"), ts
        print("classic pcap agrees with tshark on the unsigned seconds:", ts[0], ts[2])
    got = times(p2)
    assert got == [LAST, LAST, "2023-11-14T22:13:20.000000Z"], got
    print("pcapng past int64 ns saturates to", LAST)


if __name__ == "__main__":
    sys.exit(nvgtest.main(run, "nvg-times-", ["netvigil-sensor"]))
