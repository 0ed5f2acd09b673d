#!/usr/bin/env python3
"""A vanished interface is visible to the fleet, and the sensor comes back by itself (issue 10,
item 8). In a network namespace of its own: a veth pair, a collector, and the sensor capturing
one end, started as root so that it drops to nobody with seccomp in kill mode (the real
deployment). Known traffic (ping, bounded count, a payload size of its own) from the other end;
then `ip link del`: within a few seconds `netvigil-ctl status` must show the sensor connected,
in state error, with the reason, and the process alive. The pair is created again with the same
names, more traffic: the state returns to running by itself, the rows captured after the return
are in the collector's CSV, capture_reopens is 1 and capture_down_ms is the time it was down.
Every record sent is a row on disk (nothing in flight at the failure is lost), and SIGTERM
still ends the sensor with status 0.

Usage: test_iface_vanish.py --bin-dir DIR... run; needs root and ip(8), else exit 77. Bounded
(every wait has a timeout); the namespace is removed on every exit path."""
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import nvgtest  # noqa: E402
from nvgtest import prog  # noqa: E402

PROGRAMS = ("netvigil-sensor", "netvigil-collector", "netvigil-ctl")
NS = "nvg-vanish-%d" % os.getpid()  # the sensor's host (and the collector)
PEER = "nvg-vanish-%dp" % os.getpid()  # the other end of the veth pair
A4, B4 = "198.18.234.1", "198.18.234.2"
NAME = "vanish1"
# ICMP payload sizes that mark the traffic before and after the outage: frame = size + 42.
BEFORE, AFTER = 111, 222
PINGS = 15


def sh(*args, check=True):
    return subprocess.run(list(args), capture_output=True, text=True, check=check, timeout=20)


def in_ns(*args, ns=NS):
    return ["ip", "netns", "exec", ns] + [str(a) for a in args]


def make_pair():
    sh(*in_ns("ip", "link", "add", "vn0", "type", "veth", "peer", "name", "vn1", "netns", PEER))
    sh(*in_ns("ip", "addr", "add", A4 + "/30", "dev", "vn0"))
    sh(*in_ns("ip", "link", "set", "vn0", "up"))
    sh(*in_ns("ip", "addr", "add", B4 + "/30", "dev", "vn1", ns=PEER))
    sh(*in_ns("ip", "link", "set", "vn1", "up", ns=PEER))


def ping(size):
    """PINGS echo requests from vn1 to vn0's address, each answered: 2 * PINGS frames on vn0."""
    r = subprocess.run(in_ns("ping", "-n", "-q", "-c", PINGS, "-i", "0.05", "-W", "2", "-s", size,
                             A4, ns=PEER), capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, "ping failed: %s %s" % (r.stdout, r.stderr)


class NsCollector(nvgtest.Collector):
    """The harness's collector, run inside the namespace, with ctl inside it too."""

    def start(self, timeout=15):
        args = in_ns(prog("netvigil-collector"), "-o", self.out, "--sensor-port", self.ports[0],
                     "--feed-port", self.ports[1], "--control-port", self.ports[2])
        self.proc = self.work.spawn(args, log=self.log)
        nvgtest.wait_for(lambda: self.proc.poll() is not None or self.status(300, check=False),
                         timeout, "the collector to answer status")
        return self

    def ctl_args(self, *args):
        return in_ns(*super().ctl_args(*args))


def rows_of(col, size):
    return [r for r in nvgtest.read_packets(col.out, empty_ok=True)
            if r[1] == NAME and r[2] == "ICMP" and r[9] == str(size + 42)]


def state(col):
    return col.find_sensor(NAME) or {}


def test_run(work):
    col = NsCollector(work).start()
    sensor = work.spawn(in_ns(prog("netvigil-sensor"), "-i", "vn0", "-n", NAME, "-c",
                              col.sensor_ep, "--batch-ms", "20", "--seccomp", "kill"),
                        log="sensor.log")
    nvgtest.wait_for(lambda: state(col).get("state") == "running", 10, "the sensor to run")
    nvgtest.wait_for(lambda: "running as user" in open(work.path("sensor.log")).read(), 5,
                     "the sensor to drop privileges")
    ping(BEFORE)
    nvgtest.wait_for(lambda: len(rows_of(col, BEFORE)) >= 2 * PINGS, 10,
                     "the traffic before the outage in the CSV")
    print("ok   %d rows before the outage" % len(rows_of(col, BEFORE)), flush=True)

    # Deleted while the sensor cannot run (as on a loaded machine): the kernel's two
    # notifications (down, unregister) then reach it as one socket error, and only libpcap's
    # later check of the device tells it the interface is gone.
    sensor.send_signal(signal.SIGSTOP)
    t_del = time.monotonic()
    try:
        sh(*in_ns("ip", "link", "del", "vn0"))
        time.sleep(0.3)
    finally:
        sensor.send_signal(signal.SIGCONT)
    nvgtest.wait_for(lambda: state(col).get("state") == "error", 5, "status to show error")
    s = state(col)
    assert s["connected"], s
    assert "vn0" in s["error"] and "failed" in s["error"], "reason: %r" % s["error"]
    assert sensor.poll() is None, "the sensor exited (%s)" % sensor.returncode
    table = col.ctl("status").stdout
    assert "error: capture on vn0 failed" in table, table
    print("ok   error within %.1f s: %s" % (time.monotonic() - t_del, s["error"]), flush=True)
    # Still linked: a command is answered (refused while down, with the reason).
    r = col.ctl("stop", NAME)
    assert r.returncode == 1 and "capture is down" in r.stdout, r
    print("ok   linked while down: stop answered '%s'" % r.stdout.strip().splitlines()[-1],
          flush=True)

    time.sleep(2.0)
    make_pair()
    t_back = time.monotonic()
    nvgtest.wait_for(lambda: state(col).get("state") == "running", 40,
                     "the sensor to reopen the capture by itself")
    t_running = time.monotonic()
    assert sensor.poll() is None
    ping(AFTER)
    nvgtest.wait_for(lambda: len(rows_of(col, AFTER)) >= 2 * PINGS, 10,
                     "the traffic after the return in the CSV")
    s = state(col)
    print("ok   running again %.1f s after the interface returned; %d rows after it" % (
        t_running - t_back, len(rows_of(col, AFTER))), flush=True)
    # The heartbeat that said running was sent after the reopen, so it carries the final figure.
    down = s["capture_down_ms"] / 1000.0
    assert s["capture_reopens"] == 1, s
    assert t_back - t_del - 0.2 <= down <= t_running - t_del + 0.2, (
        "capture_down_ms %d, deleted %.1f s before the return, running seen after %.1f s" % (
            s["capture_down_ms"], t_back - t_del, t_running - t_del))
    print("ok   capture_reopens 1, capture_down_ms %d (interface gone %.1f s)" % (
        s["capture_down_ms"], t_back - t_del), flush=True)

    sensor.terminate()
    rc = sensor.wait(15)
    assert rc == 0, "sensor exit status %d after SIGTERM" % rc
    log = open(work.path("sensor.log")).read()
    assert "reopened after" in log, log
    # The sensor's last heartbeat (sent as it stops) holds its final count of records sent.
    nvgtest.wait_for(lambda: state(col).get("records_received") == state(col).get("records_sent"),
                     5, "the collector to hold every record the sensor sent")
    s = state(col)
    col.stop()
    rows = [r for r in nvgtest.read_packets(col.out) if r[1] == NAME]
    assert len(rows_of(col, BEFORE)) == 2 * PINGS and len(rows_of(col, AFTER)) == 2 * PINGS
    # rows on disk + counted losses = records sent (and none are lost here).
    assert len(rows) + s["write_failures"] == s["records_sent"], (len(rows), s)
    assert s["sensor_drops"] == 0 and s["link_drops"] == 0 and s["write_failures"] == 0, s
    print("ok   %d rows on disk = %d records sent; exit 0 after SIGTERM" % (
        len(rows), s["records_sent"]), flush=True)


def run(args, work):
    if os.geteuid() != 0:
        raise nvgtest.Skip("needs root (network namespaces, privilege drop)")
    try:
        sh("ip", "netns", "add", NS)
        sh("ip", "netns", "add", PEER)
        sh(*in_ns("ip", "link", "set", "lo", "up"))
        make_pair()
    except (subprocess.CalledProcessError, FileNotFoundError) as e:
        raise nvgtest.Skip("cannot create a network namespace: %s" % e)
    try:
        args.fn(work)
        work.stop_all()
    finally:
        work.kill_all()
        sh("ip", "netns", "del", NS, check=False)
        sh("ip", "netns", "del", PEER, check=False)


if __name__ == "__main__":
    sys.exit(nvgtest.main(run, "nvg-vanish-", PROGRAMS, tests=globals()))
