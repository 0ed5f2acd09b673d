#!/usr/bin/env python3
"""Start-up under small resource limits is clean (issue 10, item 7): under `ulimit -v 32000`
the collector used to die in a libzmq assertion (SIGABRT, status 134) when pthread_create
failed for ZeroMQ's threads. For each address-space limit below, and for a small process
limit (ulimit -u, so that no thread can start), the collector must either

  - exit 1 with an error message on stderr, or
  - run normally: answer status, write what a sensor sends (rows == sent), exit 0 on SIGTERM;

never end by a signal. Below about 10 MB the dynamic loader itself cannot map the libraries
and exits 127 before any of our code runs; that is accepted, and only that (with ld.so's
message).

The sanitizer build cannot run under ulimit -v (ASan reserves terabytes of shadow memory), so
there the test skips (77).

Usage: test_start_limits.py --bin-dir DIR [--bin-dir DIR...] [--sanitized]
"""
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import nvgtest  # noqa: E402

PROGRAMS = ["netvigil-collector", "netvigil-ctl", "nvg-fake-sensor"]
LIMITS_KIB = [8000, 10500, 11000, 11500, 12000, 16000, 20000, 24000, 28000, 32000, 36000, 40000, 48000, 64000,
              100000]
RECORDS = 2000


def start(work, col, prlimit_args, log):
    args = ["prlimit"] + prlimit_args + [
        nvgtest.prog("netvigil-collector"), "-o", col.out, "--sensor-port", col.ports[0],
        "--feed-port", col.ports[1], "--control-port", col.ports[2]]
    return work.spawn(args, log=log, stdin=subprocess.DEVNULL)


def read(work, log):
    with open(work.path(log), errors="replace") as f:
        return f.read()


def try_limit(work, what, prlimit_args, i):
    """One start under prlimit_args; returns 'exit 1' or 'ran'."""
    col = nvgtest.Collector(work, out=work.path("out%d" % i))
    log = "collector-%d.log" % i
    p = start(work, col, prlimit_args, log)
    deadline = time.time() + 15
    st = None
    while time.time() < deadline and p.poll() is None and st is None:
        st = col.status(500, check=False)
    if p.poll() is not None:
        rc, text = p.returncode, read(work, log)
        assert rc >= 0, "%s: killed by signal %d:\n%s" % (what, -rc, text[-2000:])
        if rc == 127 and "error while loading shared libraries" in text:
            return "127 (ld.so: %s)" % text.strip().splitlines()[-1][-60:]
        assert rc == 1, "%s: exit status %d:\n%s" % (what, rc, text[-2000:])
        assert re.search(r"^<3>netvigil-collector: \S", text, re.M), (
            "%s: exit 1 without an error message:\n%s" % (what, text[-2000:]))
        return "exit 1: " + [l for l in text.splitlines() if l.startswith("<3>")][-1][22:][:90]
    assert st is not None, "%s: neither exited nor answered status" % what
    col.proc = p
    r = col.run_fake("--name", "lim%d" % i, "--records", RECORDS, "--eos", check=False,
                     timeout=60)
    assert p.poll() is None, "%s: the collector died taking a sensor (status %s):\n%s" % (
        what, p.returncode, read(work, log)[-2000:])
    assert r.returncode == 0, "%s: the sensor failed:\n%s%s" % (what, r.stdout, r.stderr)
    rc = col.stop()
    rows = [x for x in nvgtest.read_packets(col.out) if x[1] == "lim%d" % i]
    assert len(rows) == RECORDS, "%s: %d rows of %d" % (what, len(rows), RECORDS)
    assert rc == 0
    return "ran, %d rows written" % RECORDS


def run(args, work):
    if args.sanitized:
        raise nvgtest.Skip("the sanitizer runtime does not run under ulimit -v")
    if not shutil.which("prlimit"):
        raise nvgtest.Skip("no prlimit(1)")
    results = []
    for i, kib in enumerate(LIMITS_KIB):
        what = "ulimit -v %d" % kib
        results.append((what, try_limit(work, what, ["--as=%d" % (kib * 1024)], i)))
    if os.geteuid() == 0:
        # RLIMIT_NPROC is not enforced for root (CAP_SYS_RESOURCE): nothing to learn there.
        results.append(("ulimit -u 1", "skipped: root is not held to RLIMIT_NPROC"))
    else:
        what = "ulimit -u 1"
        results.append((what, try_limit(work, what, ["--nproc=1"], len(LIMITS_KIB))))
    for what, r in results:
        print("%-18s %s" % (what, r), flush=True)
    assert any(r.startswith("exit 1") for _, r in results), "no limit made it exit 1"
    assert any(r.startswith("ran") for _, r in results), "no limit let it run"


def add_args(ap):
    ap.add_argument("--sanitized", action="store_true", help="the programs are sanitizer builds")


if __name__ == "__main__":
    sys.exit(nvgtest.main(run, "nvg-startlim-", PROGRAMS, add_args=add_args))
