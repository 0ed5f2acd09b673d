#!/usr/bin/env python3
"""A filter that takes long to compile never stalls capture (issue 9). libpcap compiles
'host NAME' with a DNS lookup; here the resolver of a network namespace of our own points at a
server that never answers, so that lookup hangs. The sensor captures lo (ping traffic) and
sends to a collector played by pyzmq; a set-filter with such a filter must be answered
"did not compile within 2 s" after about 2 s (not after the resolver's timeout), batches must
keep arriving meanwhile, a second set-filter during the compile is answered "busy", and the
filter in force stays.

Usage: slow_filter.py --bin-dir DIR... run; needs root and ip(8), else 77. The namespace and
its /etc/netns/NAME directory are removed on every exit path."""
import os
import shutil
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nvgtest  # noqa: E402
from nvgtest import prog  # noqa: E402
from test_link_security import FakeCollector, SET_FILTER, command, parse  # noqa: E402

PROGRAMS = ("netvigil-sensor",)
NS = "nvg-slowf-%d" % os.getpid()
DNS = "127.0.0.53"
SLOW = b"icmp or host slow.example.test"


def mute_dns(stop):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((DNS, 53))
    s.settimeout(0.2)
    while not stop.is_set():
        try:
            s.recvfrom(2048)  # and never answer
        except socket.timeout:
            pass
    s.close()


def reply_to(col, cid, timeout, batches):
    deadline = time.time() + timeout
    while time.time() < deadline:
        got = col.recv(max(0.05, deadline - time.time()))
        if not got:
            continue
        if 3 in got[1]:
            batches.append(time.time())
        if 6 in got[1]:
            rep = parse(got[1][6][0])
            if rep.get(1) == [cid]:
                return rep
    raise AssertionError("no reply to command %d within %s s" % (cid, timeout))


def inner(work):
    stop = threading.Event()
    threading.Thread(target=mute_dns, args=(stop,), daemon=True).start()
    col = FakeCollector(work)
    try:
        work.spawn(["ping", "-q", "-i", "0.02", "127.0.0.1"], log="ping.log")
        work.spawn([prog("netvigil-sensor"), "-i", "lo", "-n", "slow1", "-c", col.endpoint,
                    "--batch-ms", "20", "icmp"], log="sensor.log")
        ident, _ = col.wait_body(2, 10)
        col.wait_body(3, 10)  # capture runs
        batches = []
        t0 = time.time()
        col.sock.send_multipart([ident, command(1, SET_FILTER, SLOW)])
        col.sock.send_multipart([ident, command(2, SET_FILTER, b"udp")])
        busy = reply_to(col, 2, 5, batches)
        err = busy.get(3, [b""])[0].decode()
        assert not busy.get(2) and "busy" in err, busy
        print("ok   second set-filter while compiling: %s" % err, flush=True)
        rep = reply_to(col, 1, 10, batches)
        took = time.time() - t0
        err = rep.get(3, [b""])[0].decode()
        assert not rep.get(2) and "did not compile within 2 s" in err, rep
        assert 1.5 < took < 4.5, "the slow filter was answered after %.1f s" % took
        print("ok   slow filter refused after %.1f s: %s" % (took, err), flush=True)
        during = [t for t in batches if t0 + 0.2 < t < t0 + took - 0.2]
        assert len(during) >= 10, "only %d batches while the filter compiled" % len(during)
        print("ok   %d batches arrived while it compiled (capture went on)" % len(during),
              flush=True)
        status = parse(rep[4][0])
        assert status[6] == [b"icmp"], status
        print("ok   the filter in force stays: %r" % status[6][0], flush=True)
    finally:
        stop.set()
        col.close()


def outer(args):
    etc = "/etc/netns/" + NS
    try:
        subprocess.run(["ip", "netns", "add", NS], check=True, capture_output=True, timeout=20)
    except (subprocess.CalledProcessError, FileNotFoundError) as e:
        raise nvgtest.Skip("cannot create a network namespace: %s" % e)
    try:
        os.makedirs(etc)
        with open(etc + "/resolv.conf", "w") as f:
            f.write("nameserver %s\noptions timeout:5 attempts:2\n" % DNS)
        subprocess.run(["ip", "netns", "exec", NS, "ip", "link", "set", "lo", "up"], check=True,
                       timeout=20)
        cmd = ["ip", "netns", "exec", NS, sys.executable, os.path.abspath(__file__), "inner"]
        for d in args.bin_dir:
            cmd += ["--bin-dir", d]
        r = subprocess.run(cmd, timeout=50)
        assert r.returncode == 0, "the test in the namespace failed (%d)" % r.returncode
    finally:
        subprocess.run(["ip", "netns", "del", NS], capture_output=True, timeout=20)
        shutil.rmtree(etc, ignore_errors=True)


def run(args, work):
    if os.geteuid() != 0:
        raise nvgtest.Skip("needs root (a network namespace with its own resolver)")
    if args.test == "inner":
        inner(work)
    else:
        outer(args)


def test_run(work):
    pass


def test_inner(work):
    pass


if __name__ == "__main__":
    sys.exit(nvgtest.main(run, "nvg-slowf-", PROGRAMS, tests=globals()))
