#!/usr/bin/env python3
"""The sensor confines itself (issue 9, deliverable 8). Started as root on a veth in a network
namespace of its own, capturing live in promiscuous mode and sending to a collector in the same
namespace, it must show in /proc/PID/status a non-root uid, no effective capabilities,
CAP_NET_RAW (and nothing else) permitted, an empty bounding set, no-new-privs and seccomp in
filter mode (2), and still obey stop, start, set-filter, restart and clear-filter from
netvigil-ctl (restart reopens the capture with CAP_NET_RAW raised for the moment: the proof
that CAP_NET_ADMIN is not needed), keep capturing, and end with status 0 on SIGTERM. The
ZeroMQ threads hold no capability at all. Also: --user root keeps root (like tcpdump -Z root),
--user with an unknown user is a clear error, and a file read as root drops too.

Usage: privdrop.py --bin-dir DIR... [TEST]; needs root and ip(8), else exit 77. Bounded (every
wait has a timeout), and the namespace is removed on every exit path."""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import nvgtest  # noqa: E402
from nvgtest import prog  # noqa: E402

PROGRAMS = ("netvigil-sensor", "netvigil-collector", "netvigil-ctl")
CAP_NET_RAW = 1 << 13
NS = "nvg-priv-%d" % os.getpid()
A4, B4 = "198.18.233.1", "198.18.233.2"


def sh(*args, check=True):
    return subprocess.run(list(args), capture_output=True, text=True, check=check, timeout=20)


def in_ns(*args):
    return ["ip", "netns", "exec", NS] + [str(a) for a in args]


def status_fields(pid, task=None):
    path = "/proc/%d/task/%d/status" % (pid, task) if task else "/proc/%d/status" % pid
    out = {}
    with open(path) as f:
        for line in f:
            k, _, v = line.partition(":")
            out[k] = v.strip()
    return out


def check_confined(pid):
    st = status_fields(pid)
    uids = [int(u) for u in st["Uid"].split()]
    assert all(u != 0 for u in uids), "still root: Uid %s" % st["Uid"]
    assert int(st["CapEff"], 16) == 0, "CapEff %s" % st["CapEff"]
    assert int(st["CapPrm"], 16) == CAP_NET_RAW, "CapPrm %s (want net_raw only)" % st["CapPrm"]
    assert int(st["CapBnd"], 16) == 0, "CapBnd %s" % st["CapBnd"]
    assert int(st["CapAmb"], 16) == 0 and int(st["CapInh"], 16) == 0, st
    assert st["NoNewPrivs"] == "1", "NoNewPrivs %s" % st["NoNewPrivs"]
    assert st["Seccomp"] == "2", "Seccomp %s (want 2: filter)" % st["Seccomp"]
    assert st["Groups"] == "", "supplementary groups kept: %r" % st["Groups"]
    for tid in (int(t) for t in os.listdir("/proc/%d/task" % pid)):
        if tid != pid:
            t = status_fields(pid, tid)
            assert int(t["CapPrm"], 16) == 0 and int(t["CapEff"], 16) == 0, (
                "thread %d keeps capabilities: %s / %s" % (tid, t["CapPrm"], t["CapEff"]))
            assert t["Seccomp"] == "2", "thread %d without seccomp" % tid
    print("ok   confined: Uid %s, CapPrm %s, CapEff %s, Seccomp %s, %d threads" % (
        st["Uid"], st["CapPrm"], st["CapEff"], st["Seccomp"],
        len(os.listdir("/proc/%d/task" % pid))), flush=True)


def setup_ns():
    sh("ip", "netns", "add", NS)
    sh("ip", "link", "add", "pv0", "netns", NS, "type", "veth", "peer", "name", "pv1", "netns", NS)
    for cmd in (["ip", "link", "set", "lo", "up"], ["ip", "addr", "add", A4 + "/30", "dev", "pv0"],
                ["ip", "addr", "add", B4 + "/30", "dev", "pv1"], ["ip", "link", "set", "pv0", "up"],
                ["ip", "link", "set", "pv1", "up"]):
        sh(*in_ns(*cmd))


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


def sensor_pid(launcher):
    """The sensor's own pid: `ip netns exec` execs it, so the launcher is the sensor."""
    return launcher.pid


def command(col, *args):
    r = col.ctl(*args)
    assert r.returncode == 0 and " ok" in r.stdout, "%s: rc %d %s %s" % (
        " ".join(args), r.returncode, r.stdout, r.stderr)
    print("ok   %s" % " ".join(args), flush=True)


def records_for(col, name):
    s = col.find_sensor(name)
    return int(s.get("records_received", 0)) if s else 0


def test_live(work):
    col = NsCollector(work).start()
    p = work.spawn(in_ns(prog("netvigil-sensor"), "-i", "pv0", "-n", "priv1", "-c",
                         col.sensor_ep, "--batch-ms", "20", "--csv", work.path("s.csv")),
                   log="sensor.log")
    ping = work.spawn(in_ns("ping", "-q", "-i", "0.05", "-I", "pv1", A4), log="ping.log")
    nvgtest.wait_for(lambda: (col.find_sensor("priv1") or {}).get("connected"), 10,
                     "the sensor to connect")
    nvgtest.wait_for(lambda: "running as user" in open(work.path("sensor.log")).read(), 5,
                     "the sensor to drop privileges")
    check_confined(sensor_pid(p))
    for cmd in (["stop", "priv1"], ["start", "priv1"], ["filter", "priv1", "icmp"],
                ["restart", "priv1"], ["clear-filter", "priv1"], ["restart", "priv1"]):
        command(col, *cmd)
    check_confined(sensor_pid(p))
    before = records_for(col, "priv1")
    nvgtest.wait_for(lambda: records_for(col, "priv1") > before + 10, 10,
                     "records after the restarts (capture goes on)")
    print("ok   capturing after restart (%d records)" % records_for(col, "priv1"), flush=True)
    ping.terminate()
    p.terminate()
    rc = p.wait(15)
    assert rc == 0, "sensor exit status %d after SIGTERM" % rc
    log = open(work.path("sensor.log")).read()
    assert "dropped by kernel" in log, log
    with open(work.path("s.csv")) as f:  # opened before the drop, written after it
        assert len(f.readlines()) > 10
    print("ok   SIGTERM: exit 0, CSV written", flush=True)


def test_options(work):
    r = subprocess.run(in_ns(prog("netvigil-sensor"), "-i", "pv0", "--user", "nvg-no-such-user",
                             "--count", "1"), capture_output=True, text=True, timeout=20)
    assert r.returncode == 1 and "no user 'nvg-no-such-user'" in r.stderr, r
    print("ok   unknown --user: %s" % r.stderr.strip().splitlines()[-1], flush=True)
    p = work.spawn(in_ns(prog("netvigil-sensor"), "-i", "pv0", "--user", "root", "--csv",
                         work.path("r.csv")), log="root.log")
    nvgtest.wait_for(lambda: status_fields(p.pid).get("Seccomp") == "2", 10, "seccomp on")
    st = status_fields(p.pid)
    assert st["Uid"].split()[0] == "0" and st["NoNewPrivs"] == "1", st
    print("ok   --user root stays root (seccomp and no-new-privs still on)", flush=True)
    p.terminate()
    assert p.wait(15) == 0
    pcap = work.path("t.pcap")
    nvgtest.write_pcap(pcap, [(1000000 * i, bytes(60)) for i in range(3)])
    r = subprocess.run([prog("netvigil-sensor"), "-r", pcap, "--csv", work.path("f.csv")],
                       capture_output=True, text=True, timeout=20)
    assert r.returncode == 0 and "running as user nobody" in r.stderr, r
    print("ok   file mode as root drops too", flush=True)


def run(args, work):
    if os.geteuid() != 0:
        raise nvgtest.Skip("needs root (network namespaces, privilege drop)")
    try:
        setup_ns()
    except (subprocess.CalledProcessError, FileNotFoundError) as e:
        raise nvgtest.Skip("cannot create a network namespace: %s" % e)
    try:
        args.fn(work)
        work.stop_all()
    finally:
        work.kill_all()
        sh("ip", "netns", "del", NS, check=False)


if __name__ == "__main__":
    sys.exit(nvgtest.main(run, "nvg-privdrop-", PROGRAMS, tests=globals()))
