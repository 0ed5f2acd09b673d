#!/usr/bin/env python3
"""systemd's notify protocol (issue 13, Type=notify units): the collector and a live sensor
are started with $NOTIFY_SOCKET naming a datagram socket this test reads, as systemd would
hand it, and $WATCHDOG_USEC set. Each must say READY=1 only once it serves (the collector
answers status, the sensor is capturing and confined by its seccomp allow-list, which must
let sd_notify through), keep kicking WATCHDOG=1 at half the interval, give `systemctl status`
a line that follows what it does (sensors and records/s; packets/s and the collector link),
say RELOADING=1 / READY=1 around SIGHUP (the sensor, which reloads nothing, says so and keeps
capturing) and STOPPING=1 before it exits 0 on SIGTERM."""
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import nvgtest  # noqa: E402

PROGRAMS = ["netvigil-collector", "netvigil-ctl", "netvigil-sensor", "nvg-fake-sensor"]
WATCHDOG_USEC = 1000000  # kicks every 0.5 s


class Notify:
    """The service manager's end: an AF_UNIX datagram socket, every message kept with the
    time it came. A thread reads it all the time, as systemd does: sd_notify blocks on a full
    socket, so a reader that pauses would stall the program under test."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        os.chmod(path, 0o777)  # a sensor that dropped to nobody still writes to it
        self.sock.settimeout(0.1)
        self.msgs = []  # (time, {key: value}), appended by the reader only
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        while True:
            try:
                data = self.sock.recv(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            fields = dict(line.split("=", 1) for line in data.decode().split("\n") if "=" in line)
            self.msgs.append((time.time(), fields))

    def env(self):
        env = dict(os.environ, NOTIFY_SOCKET=self.path, WATCHDOG_USEC=str(WATCHDOG_USEC))
        env.pop("WATCHDOG_PID", None)
        return env

    def wait(self, pred, timeout, what):
        end = time.time() + timeout
        while time.time() < end:
            for i, (_, m) in enumerate(self.msgs):
                if pred(m):
                    return i
            time.sleep(0.2)
        raise AssertionError("no %s within %.0f s; got %r" % (what, timeout,
                                                             [m for _, m in self.msgs][-20:]))

    def index(self, key, value=None, after=-1):
        for i, (_, m) in enumerate(self.msgs):
            if i > after and key in m and (value is None or m[key] == value):
                return i
        return None

    def wait_index(self, key, value, after, timeout):
        """The index of the first KEY=VALUE after message number after, waiting for it."""
        end = time.time() + timeout
        while time.time() < end:
            i = self.index(key, value, after)
            if i is not None:
                return i
            time.sleep(0.2)
        raise AssertionError("no %s=%s within %.0f s after %r" % (key, value, timeout,
                                                               self.msgs[after + 1:]))

    def statuses(self, after=0):
        return [m["STATUS"] for _, m in self.msgs[after:] if "STATUS" in m]

    def kicks(self, after=0):
        return [t for t, m in self.msgs[after:] if m.get("WATCHDOG") == "1"]


def check_kicks(n, after, what):
    """Kicks at about half the interval: over 3 s at least 4, never a gap of a whole one."""
    time.sleep(3)
    kicks = n.kicks(after)
    assert len(kicks) >= 4, "%s: %d watchdog kicks in 3 s" % (what, len(kicks))
    gaps = [b - a for a, b in zip(kicks, kicks[1:])]
    assert max(gaps) < WATCHDOG_USEC / 1e6, "%s: a watchdog gap of %.2f s" % (what, max(gaps))


def test_collector(work):
    n = Notify(work.path("notify"))
    saved = dict(os.environ)
    os.environ.update(n.env())
    try:
        col = nvgtest.Collector(work).start()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    ready = n.wait(lambda m: m.get("READY") == "1", 10, "READY=1")
    first = n.statuses()[0]
    assert first == "0 sensors (0 connected), 0 records/s", first
    check_kicks(n, ready, "collector")
    fake = col.start_fake("--name", "s1", "--records", 40000, "--rate", 5000, "--batch", 500,
                          "--start-time", int(time.time()), "--eos", log="fake.log", merge=True)
    live = re.compile(r"^1 sensor \(1 connected\), (\d+(\.\d)?k?) records/s$")
    i = n.wait(lambda m: bool(live.match(m.get("STATUS", ""))) and
               m["STATUS"].split(", ")[1] != "0 records/s", 15, "a status with records/s")
    rate = live.match(n.msgs[i][1]["STATUS"]).group(1)
    value = float(rate[:-1]) * 1000 if rate.endswith("k") else float(rate)
    assert 2500 <= value <= 10000, "records/s %r for a 5000/s sensor" % rate
    rc = fake.wait(30)
    assert rc == 0, "fake sensor failed: %d" % rc
    col.proc.send_signal(signal.SIGHUP)
    r = n.wait_index("RELOADING", "1", len(n.msgs) - 1, 10)
    n.wait_index("READY", "1", r, 10)
    mark = len(n.msgs)
    col.proc.send_signal(signal.SIGTERM)
    rc = col.proc.wait(30)
    time.sleep(0.5)
    assert rc == 0, "collector exit %d" % rc
    assert n.index("STOPPING", "1", mark - 1) is not None, "no STOPPING=1: %r" % n.msgs[mark:]
    col.proc = None


def test_sensor(work):
    """A live sensor on lo in a namespace of its own, started as root: it drops to nobody and
    installs --seccomp kill; sd_notify must still get through."""
    ns = "nvg-sdn-%d" % os.getpid()
    if os.geteuid() != 0:
        raise nvgtest.Skip("needs root for a network namespace")
    subprocess.run(["ip", "netns", "add", ns], check=True)
    try:
        subprocess.run(["ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up"], check=True)
        sensor_in_netns(work, ns)
    finally:
        subprocess.run(["ip", "netns", "del", ns])


def sensor_in_netns(work, ns):
    col = nvgtest.Collector(work).start()
    os.chmod(work.dir, 0o755)
    n = Notify(work.path("notify"))
    # The collector is in the root namespace, out of this sensor's reach: this one writes
    # CSV, and a second sensor, in the root namespace, checks the link's part of the line.
    p = work.spawn(["ip", "netns", "exec", ns, nvgtest.prog("netvigil-sensor"), "-i", "lo",
                    "-n", "sd1", "--csv", work.path("sd1.csv"), "--seccomp", "kill"],
                   log="sensor-sd1.log", env=n.env())
    ready = n.wait(lambda m: m.get("READY") == "1", 15, "READY=1 from the sensor")
    assert n.statuses()[0] == "capturing on lo", n.statuses()
    check_kicks(n, ready, "sensor")
    ping = subprocess.run(["ip", "netns", "exec", ns, "ping", "-c", "20", "-i", "0.05", "-q",
                           "127.0.0.1"], capture_output=True, timeout=20)
    assert ping.returncode == 0, ping
    # SIGHUP (systemctl reload out of habit) must not end the capture
    p.send_signal(signal.SIGHUP)
    time.sleep(0.5)
    assert p.poll() is None, "SIGHUP ended the sensor (exit %s)" % p.returncode
    with open(work.path("sensor-sd1.log")) as f:
        assert "SIGHUP: nothing is reloaded while running" in f.read()
    mark = len(n.msgs)
    p.send_signal(signal.SIGTERM)
    rc = p.wait(15)
    time.sleep(0.3)
    assert rc == 0, "sensor exit %d (a seccomp kill is -31)" % rc
    stop = n.index("STOPPING", "1", mark - 1)
    assert stop is not None, "no STOPPING=1: %r" % n.msgs[mark:]
    line = n.statuses(stop)[0]
    m = re.match(r"^stopping: (\d+) packets processed$", line)
    assert m and int(m.group(1)) >= 40, line  # 20 echo requests, 20 replies
    linked_sensor(work, col)


def linked_sensor(work, col):
    """In the root namespace, with the collector: the status line says it is connected."""
    n = Notify(work.path("notify2"))
    p = work.spawn([nvgtest.prog("netvigil-sensor"), "-i", "lo", "-n", "sd2", "-c",
                    col.sensor_ep, "-f", "icmp", "--seccomp", "kill"],
                   log="sensor-sd2.log", env=n.env())
    n.wait(lambda m: m.get("READY") == "1", 15, "READY=1 from the linked sensor")
    n.wait(lambda m: re.match(r"^lo: \d+(\.\d)?k? packets/s, 0 dropped by the kernel, 0 by "
                              r"the link, collector connected$", m.get("STATUS", "")), 15,
           "a status line with the collector connected")
    p.send_signal(signal.SIGTERM)
    assert p.wait(15) == 0
    col.stop()


def run(args, work):
    args.fn(work)


if __name__ == "__main__":
    sys.exit(nvgtest.main(run, "nvg-sdnotify-", PROGRAMS, tests=globals()))
