#!/usr/bin/env python3
"""The units' SystemCallFilter= against what the programs really call (issue 13). systemd is
not PID 1 on every machine the tests run on (CI's is not), so instead of starting the units
this runs the collector and the sensor under `strace -f` through a workload and checks that
every system call they made is in the allow-list of their unit in deploy/systemd, expanded
with `systemd-analyze syscall-filter`: a call outside it would fail with EPERM under the unit
(SystemCallErrorNumber=EPERM). Both run as the units run them: an unprivileged user, no new
privileges, the sensor with only CAP_NET_RAW (ambient).

Collector workload: a capture replayed by a sensor with rotation, zstd compression, retention
and /metrics on, status, SIGHUP, a second replay, SIGTERM. Sensor workload (root only: a live
capture on lo, else skipped): records to a collector, a restart and a set-filter command,
SIGTERM. The filter lines are read as systemd reads them: the first makes it an allow-list,
a later ~ line takes calls away."""
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import nvgtest  # noqa: E402

PROGRAMS = ["netvigil-collector", "netvigil-sensor", "netvigil-ctl"]
_sets = {}


def expand(name):
    """The system calls of a systemd syscall set (@name, recursively) or a single call."""
    if not name.startswith("@"):
        return {name}
    if name not in _sets:
        r = subprocess.run(["systemd-analyze", "syscall-filter", name], capture_output=True,
                           text=True, check=True)
        calls = set()
        for line in r.stdout.splitlines()[1:]:
            line = line.strip()
            if line and not line.startswith("#"):
                calls |= expand(line)
        _sets[name] = calls
    return _sets[name]


def unit_filter(path):
    """The allow-list of a unit's SystemCallFilter= lines."""
    allowed = None
    with open(path) as f:
        for line in f:
            m = re.match(r"SystemCallFilter=(~?)(.*)", line.strip())
            if not m:
                continue
            calls = set().union(*(expand(w) for w in m.group(2).split()))
            if m.group(1):
                assert allowed is not None, "%s: a deny line first is not an allow-list" % path
                allowed -= calls
            else:
                allowed = calls if allowed is None else allowed | calls
    assert allowed, "%s has no SystemCallFilter=" % path
    return allowed


def traced_calls(path):
    calls = set()
    with open(path) as f:
        for line in f:
            m = re.match(r"\d+\s+(?:<\.\.\. )?([a-z0-9_]+)[( ]", line)
            if m and m.group(1) not in ("exited", "killed"):
                calls.add(m.group(1))
    return calls


def check(name, trace, unit, report):
    calls = traced_calls(trace)
    assert len(calls) > 20, "%s: only %s traced" % (name, sorted(calls))
    outside = sorted(calls - unit_filter(unit))
    assert not outside, "%s called %s, outside the SystemCallFilter= of %s" % (
        name, outside, os.path.basename(unit))
    report.append("%s: %d distinct system calls, all in %s's filter" % (
        name, len(calls), os.path.basename(unit)))


def unprivileged(work, args, caps=False):
    """args as the unit runs them: user nobody (root) or ourselves, no new privileges, the
    capability bounding set empty or CAP_NET_RAW alone, ambient."""
    pre = []
    if os.geteuid() == 0:
        pre = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
        if caps:
            pre += ["--inh-caps=+net_raw", "--ambient-caps=+net_raw",
                    "--bounding-set=-all,+net_raw"]
        else:
            pre += ["--bounding-set=-all"]
        pre += ["--no-new-privs", "--"]
    return pre + args


def frames(n):
    for i in range(n):
        udp = struct.pack("!HHHH", 1024 + i % 3000, 53, 12, 0) + b"ping"
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i & 0xFFFF, 0, 64, 17, 0,
                         bytes([10, 0, i >> 8 & 255, i & 255]), bytes([10, 9, 0, 2]))
        yield 1700000000 * 1000000 + i * 100, b"\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\x00" + ip + udp


def ctl(ports, *args):
    return subprocess.run([nvgtest.prog("netvigil-ctl"), "--feed-endpoint",
                           "tcp://127.0.0.1:%d" % ports[1], "--control-endpoint",
                           "tcp://127.0.0.1:%d" % ports[2], "--timeout", "3000"] + list(args),
                          capture_output=True, text=True, timeout=30)


def start_collector(work, ports, out, extra, strace_to=None):
    args = [nvgtest.prog("netvigil-collector"), "-o", out, "--sensor-port", ports[0],
            "--feed-port", ports[1], "--control-port", ports[2]] + extra
    if strace_to:
        args = unprivileged(work, ["strace", "-f", "-qq", "-o", strace_to] + args)
    p = work.spawn(args, log="collector.log")
    nvgtest.wait_for(lambda: p.poll() is not None or ctl(ports, "status").returncode == 0, 20,
                     "the collector to answer status")
    assert p.poll() is None, "collector exited %s (collector.log)" % p.returncode
    return p


def traced_pid(p):
    """The program strace runs (strace's child), to signal it rather than strace."""
    for _ in range(50):
        r = subprocess.run(["pgrep", "-P", str(p.pid)], capture_output=True, text=True)
        if r.stdout.split():
            return int(r.stdout.split()[0])
        time.sleep(0.1)
    raise AssertionError("no child of strace %d" % p.pid)


def collector_workload(args, work, tdir, report):
    out = os.path.join(tdir, "out")
    os.makedirs(out)
    os.chmod(out, 0o777)
    ports, mport = nvgtest.free_ports(3), nvgtest.free_ports(1)[0]
    trace = os.path.join(tdir, "collector.trace")
    col = start_collector(work, ports, out, ["--rotate-size", "200K", "--compress", "zstd",
                                             "--retain-size", "2M", "--metrics-listen",
                                             "127.0.0.1:%d" % mport], strace_to=trace)
    pid = traced_pid(col)
    pcap = work.path("in.pcap")
    nvgtest.write_pcap(pcap, frames(20000))
    for name in ("s1", "s2"):
        r = work.run([nvgtest.prog("netvigil-sensor"), "-r", pcap, "-n", name, "-c",
                      "tcp://127.0.0.1:%d" % ports[0]], log="replay.log", timeout=120)
        assert r.returncode == 0, "replay %s: exit %d (replay.log)" % (name, r.returncode)
        body = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % mport, timeout=10).read()
        assert b"netvigil_" in body, "no metrics"
        os.kill(pid, signal.SIGHUP)
        assert ctl(ports, "status").returncode == 0, "status"
    os.kill(pid, signal.SIGTERM)
    assert col.wait(60) == 0, "collector (traced) exit %s" % col.returncode
    check("netvigil-collector", trace, os.path.join(args.unit_dir,
                                                    "netvigil-collector.service"), report)


def udp_burst(port, n):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for i in range(n):
        s.sendto(b"netvigil syscalls %d" % i, ("127.0.0.1", port))
    s.close()


def sensor_workload(args, work, tdir, report):
    if os.geteuid() != 0:
        report.append("netvigil-sensor: not checked (a live capture needs root)")
        return
    ports = nvgtest.free_ports(3)
    os.makedirs(work.path("out2"))
    start_collector(work, ports, work.path("out2"), [])
    trace = os.path.join(tdir, "sensor.trace")
    sen = work.spawn(unprivileged(work, ["strace", "-f", "-qq", "-o", trace,
                                         nvgtest.prog("netvigil-sensor"), "-i", "lo", "-n",
                                         "sys-lo", "-c", "tcp://127.0.0.1:%d" % ports[0]],
                                  caps=True), log="sensor.log")
    pid = traced_pid(sen)

    def running():
        r = ctl(ports, "status")
        return r.returncode == 0 and re.search(r"^sys-lo\s+running", r.stdout, re.M)
    nvgtest.wait_for(running, 20, "the sensor to be running")
    udp_burst(ports[0] + 50, 200)
    for cmd in (["restart", "sys-lo"], ["filter", "sys-lo", "udp"]):
        r = ctl(ports, *cmd)
        assert r.returncode == 0, "%s: %s%s" % (cmd, r.stdout, r.stderr)
    nvgtest.wait_for(running, 20, "the sensor to run again after restart")
    udp_burst(ports[0] + 50, 200)
    time.sleep(1)
    os.kill(pid, signal.SIGTERM)
    assert sen.wait(30) == 0, "sensor (traced) exit %s (sensor.log)" % sen.returncode
    check("netvigil-sensor", trace, os.path.join(args.unit_dir, "netvigil-sensor@.service"),
          report)


def run(args, work):
    for tool in ("strace", "systemd-analyze"):
        if not shutil.which(tool):
            raise nvgtest.Skip("%s is not installed" % tool)
    # The traced programs may run as nobody: their trace files go to a directory anyone can
    # write.
    tdir = work.path("trace")
    os.makedirs(tdir)
    os.chmod(work.dir, 0o755)
    os.chmod(tdir, 0o1777)
    report = []
    collector_workload(args, work, tdir, report)
    sensor_workload(args, work, tdir, report)
    print("\n".join(report))


def add_args(ap):
    ap.add_argument("--unit-dir", required=True, help="deploy/systemd")


if __name__ == "__main__":
    sys.exit(nvgtest.main(run, "nvg-sysc-", PROGRAMS, add_args=add_args))
