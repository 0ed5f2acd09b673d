#!/usr/bin/env python3
"""The attack regression suite (issue 9), collector side, without keys: every attack of the
issue tried as a peer on loopback would, against a real netvigil-collector, with real test
sensors (nvg-ctl-peer runs the real sensor link) and netvigil-ctl as the operator. Each test
asserts the hardened behaviour and a bound on the collector's resident memory (VmRSS), and
prints the growth it measured. The attacks that need keys are in the auth suite.

Usage: test_attacks.py --bin-dir DIR [--bin-dir DIR...] TEST
"""
import os
import random
import subprocess
import sys
import threading
import time

import zmq

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, HERE)
import nvgtest  # noqa: E402
import wire  # noqa: E402
from nvgtest import prog, wait_for  # noqa: E402

PROGRAMS = ("netvigil-collector", "netvigil-ctl", "nvg-fake-sensor", "nvg-ctl-peer")
MB = 1024 * 1024


def rss(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS for %d" % pid)


class World(nvgtest.Collector):
    def __init__(self, work, extra=()):
        super().__init__(work, extra=extra)
        self.ctx = zmq.Context.instance()
        self.start()

    def peer(self, name, *extra):
        return self.work.spawn([prog("nvg-ctl-peer"), "sensor", "-e", self.sensor_ep, "-n", name]
                               + list(extra), log="peer-%s.log" % name)

    def wait_connected(self, *names, timeout=15):
        def ok():
            st = self.status(check=False)
            return st and all((self.find_sensor(n, st) or {}).get("connected") and
                              self.find_sensor(n, st)["state"] != "unknown" for n in names)
        wait_for(ok, timeout, "sensors %s connected" % (names,))

    def st(self):
        return wire.collector_status(self.ctx, self.control_ep)

    def rss(self):
        return rss(self.proc.pid)

    def rogue(self):
        return wire.dealer(self.ctx, self.sensor_ep)

    def settle(self, t=0.5):
        time.sleep(t)


def sanitized(pid):
    """Whether the program runs under AddressSanitizer, whose quarantine keeps freed memory
    resident: RSS bounds say nothing there."""
    with open("/proc/%d/maps" % pid) as f:
        return "libasan" in f.read()


def growth(w, before, what, limit):
    after = w.rss()
    asan = sanitized(w.proc.pid)
    print("%s: RSS %.1f MB -> %.1f MB (+%.1f MB, bound %.0f MB%s)" % (
        what, before / MB, after / MB, (after - before) / MB, limit / MB,
        "; not checked under ASan" if asan else ""), flush=True)
    assert asan or after - before < limit, "%s grew the collector by %.1f MB" % (
        what, (after - before) / MB)


# ---- identity ---------------------------------------------------------------------------------

def test_rogue_name(w):
    """A rogue claiming a connected sensor's name is refused; the real one keeps its commands."""
    w.peer("s1")
    w.wait_connected("s1")
    before = w.rss()
    boot = w.st()["sensors"]["s1"]["boot_id"]
    r = w.rogue()
    r.send(wire.hello("s1", 777))
    r.send(wire.status("s1", 777))
    r.send(wire.batch("s1", 777, 1))
    w.settle()
    st = w.st()
    assert st["security"]["name_refused"] >= 3, st["security"]
    assert st["sensors"]["s1"]["boot_id"] == boot, st["sensors"]["s1"]
    assert st["sensors"]["s1"]["peer_address"] == "127.0.0.1", st["sensors"]["s1"]
    for cmd in (("stop", "s1"), ("start", "s1"), ("filter", "s1", "udp")):
        res = w.ctl(*cmd)
        assert res.returncode == 0 and "ok" in res.stdout, (cmd, res.stdout, res.stderr)
    assert w.find_sensor("s1")["filter"] == "udp", "the real sensor did not get the command"
    got = []
    while r.poll(200):
        got.append(wire.collector_message(r.recv())[0])
    assert "command" not in got, "the rogue received a command: %r" % got
    r.close()
    growth(w, before, "rogue name", 10 * MB)


def test_forged_eos(w):
    """A forged batch and end of stream for a pinned sensor cannot touch its batches_lost; an
    end of stream below what arrived does not underflow."""
    w.peer("victim")
    w.wait_connected("victim")
    before = w.rss()
    boot = w.st()["sensors"]["victim"]["boot_id"]
    r = w.rogue()
    r.send(wire.batch("victim", boot, 2**64 - 2))
    r.send(wire.eos(boot, 2**64 - 1))
    got = r.poll(1000)
    v = w.st()["sensors"]["victim"]
    assert v["batches_lost"] == 0, v
    assert not got, "the forger got an answer to its end of stream"
    assert w.st()["security"]["name_refused"] >= 2
    r.close()
    # Its own stream: seq 5 after nothing (4 lost), then an end of stream claiming seq 3.
    own = w.rogue()
    own.send(wire.hello("own", 4242))
    own.send(wire.batch("own", 4242, 5))
    own.send(wire.eos(4242, 3))
    assert own.poll(3000), "no ack"
    kind, ack = wire.collector_message(own.recv())
    assert kind == "ack" and wire.one(ack, 4) == 4, (kind, ack)
    own.close()
    # Implausible gaps are refused, not counted.
    g = w.rogue()
    g.send(wire.hello("gap", 99))
    g.send(wire.batch("gap", 99, 2**63))
    w.settle()
    assert w.st()["sensors"]["gap"]["batches_lost"] == 0
    g.close()
    growth(w, before, "forged end of stream", 10 * MB)


def test_rogue_names(w):
    """1000 invented names (from 200 connections) leave the real sensors connected and
    commandable, and none of them reaches sensors.state across a restart."""
    w.peer("real1")
    w.peer("real2")
    w.wait_connected("real1", "real2")
    before = w.rss()
    socks = [w.rogue() for _ in range(200)]
    for i in range(1000):
        socks[i % 200].send(wire.hello("rogue-%d" % i, i + 1))
    w.settle(1.5)
    st = w.st()
    rogues = [n for n in st["sensors"] if n.startswith("rogue-")]
    print("rogue names with an entry: %d of 1000; name_refused %d" % (
        len(rogues), st["security"]["name_refused"]))
    assert len(rogues) <= 200, len(rogues)
    assert st["security"]["name_refused"] >= 800, st["security"]
    assert st["sensors"]["real1"]["connected"] and st["sensors"]["real2"]["connected"]
    for name in ("real1", "real2"):
        res = w.ctl("stop", name)
        assert res.returncode == 0, res.stdout + res.stderr
    growth(w, before, "1000 rogue names", 20 * MB)
    for s in socks:
        s.close()
    w.stop()
    with open(os.path.join(w.out, "sensors.state")) as f:
        state = f.read()
    assert "rogue-" not in state, state
    assert "real1" in state and "real2" in state, state
    w.start()
    st = w.st()
    assert not [n for n in st["sensors"] if n.startswith("rogue-")], st["sensors"].keys()


def test_forget(w):
    """FORGET drops a silent sensor and its pin; a connected one is refused with the reason."""
    w.peer("keep")
    w.wait_connected("keep")
    g = w.rogue()
    g.send(wire.hello("gone", 5))
    g.send(wire.batch("gone", 5, 1))
    w.settle()  # LINGER 0: sent before the close
    g.close()
    c = wire.dealer(w.ctx, w.control_ep)
    c.send(wire.control_request(1, "forget", "keep"))
    rid, ok, err, _ = wire.reply(c)
    assert not ok and "connected" in err, err
    time.sleep(3.3)  # "gone" is silent for more than three heartbeats
    c.send(wire.control_request(2, "forget", "gone"))
    rid, ok, err, _ = wire.reply(c)
    assert ok, err
    assert "gone" not in w.st()["sensors"]
    c.close()
    rows = [r for p in nvgtest.log_files(w.out, "audit") for r in nvgtest.read_csv_log(
        p, ["time", "requester", "sensor", "command", "filter", "outcome"])]
    assert [r[2:4] for r in rows if r[3] == "forget"] == [["keep", "forget"], ["gone", "forget"]]


# ---- byte budgets -----------------------------------------------------------------------------

def populate(w, n):
    """n validated sensors (one batch each, end of stream) so that a status is large."""
    w.run_fake("--name", "pop", "--parallel", n, "--records", 1, "--eos", "--quiet",
               timeout=300)
    wait_for(lambda: len(w.st()["sensors"]) >= n, 20, "%d sensors in status" % n)


def test_status_flood(w):
    """600 status requests never read grow the collector by less than 20 MB."""
    populate(w, 800)
    time.sleep(1.2)
    before = w.rss()
    s = wire.dealer(w.ctx, w.control_ep, rcvhwm=1)
    s.setsockopt(zmq.RCVBUF, 4096)
    for i in range(600):
        s.send(wire.control_request(i + 1, "status"))
    time.sleep(3)
    st = w.st()
    print("quota_refused %d budget_dropped %d" % (st["security"]["quota_refused"],
                                                  st["security"]["budget_dropped"]))
    assert st["security"]["quota_refused"] >= 590, st["security"]
    growth(w, before, "600 unread status requests", 20 * MB)
    s.close()


def test_stalled_subscriber(w):
    """One subscriber that never reads, large batches: the collector grows by less than its
    memory budget (64 MiB here)."""
    sub = w.ctx.socket(zmq.SUB)
    sub.setsockopt(zmq.RCVHWM, 1)
    sub.setsockopt(zmq.RCVBUF, 4096)
    sub.setsockopt(zmq.SUBSCRIBE, b"")
    sub.connect(w.feed_ep)
    time.sleep(0.5)
    w.run_fake("--name", "warm", "--records", 20000, "--batch", 16384, "--eos", "--quiet")
    time.sleep(1)
    before = w.rss()
    w.run_fake("--name", "big", "--records", 16384 * 60, "--batch", 16384, "--eos", "--quiet",
               timeout=300)
    time.sleep(1)
    st = w.st()
    print("feed messages dropped for the budget: %d" % st["security"]["budget_dropped"])
    assert st["sensors"]["big"]["records_received"] == 16384 * 60
    growth(w, before, "stalled subscriber", 64 * MB)
    sub.close()


def flood(w, stop, counts, kind, sensor, filt=""):
    """One connection sending kind requests as fast as it can, reading the replies."""
    s = wire.dealer(w.ctx, w.control_ep)
    i = 0
    while not stop.is_set():
        for _ in range(50):
            i += 1
            s.send(wire.control_request(i, kind, sensor, filt + str(i % 7) if filt else ""))
        while s.poll(1):
            s.recv_multipart()
            counts[0] += 1
    s.close()


def operator(w, n, *cmd):
    fails = []
    for _ in range(n):
        r = w.ctl(*cmd)
        if r.returncode != 0:
            fails.append(r.stdout + r.stderr)
        time.sleep(0.2)
    return fails


def test_command_flood(w):
    """A 5 s set-filter flood from four connections: the operator's commands succeed, and the
    audit CSV and the log stay small."""
    w.peer("op")
    w.wait_connected("op")
    before = w.rss()
    log0 = len(w.log_text())
    stop, counts = threading.Event(), [0]
    th = [threading.Thread(target=flood, args=(w, stop, counts, "set-filter", "op", "port "))
          for _ in range(4)]
    for t in th:
        t.start()
    t0 = time.time()
    fails = operator(w, 10, "filter", "op", "udp") + operator(w, 5, "stop", "op")
    while time.time() - t0 < 5:
        time.sleep(0.1)
    stop.set()
    for t in th:
        t.join()
    audit = sum(os.path.getsize(p) for p in nvgtest.log_files(w.out, "audit"))
    logged = len(w.log_text()) - log0
    st = w.st()
    print("flood: %d replies; audit %d bytes, log %d bytes; quota_refused %d" % (
        counts[0], audit, logged, st["security"]["quota_refused"]))
    assert not fails, fails
    assert counts[0] > 1000, "the flood did not flood"
    assert audit < 1 * MB and logged < 1 * MB, (audit, logged)
    growth(w, before, "command flood", 20 * MB)


def test_silent_rogue(w):
    """64 commands waiting on a sensor that never answers leave the others' commands alone."""
    w.peer("op")
    w.peer("mute", "--mute")
    w.wait_connected("op", "mute")
    before = w.rss()
    socks = [wire.dealer(w.ctx, w.control_ep) for _ in range(8)]
    for k, s in enumerate(socks):
        for i in range(8):
            s.send(wire.control_request(k * 100 + i + 1, "stop", "mute"))
    time.sleep(0.3)
    fails = operator(w, 5, "stop", "op") + operator(w, 5, "start", "op")
    assert not fails, fails
    busy = 0
    for s in socks:
        while s.poll(100):
            r = wire.decode(s.recv_multipart()[-1])
            busy += "busy" in wire.one(r, 4, b"").decode()
        s.close()
    print("commands to the silent sensor refused as busy at once: %d of 64" % busy)
    assert busy >= 64 - 8, busy
    growth(w, before, "64 pending commands", 10 * MB)


# ---- strings ----------------------------------------------------------------------------------

def test_log_injection(w):
    """A Hello whose source holds a newline and a journald level cannot forge a log line."""
    before = w.rss()
    r = w.rogue()
    r.send(wire.hello("inj", 1, source="eth0\n<0>EMERGENCY: forged by a peer"))
    r.send(wire.hello("inj2", 2, version="\x1b]0;owned\x07"))
    w.settle()
    st = w.st()
    assert st["security"]["invalid_strings"] >= 2, st["security"]
    assert "inj" not in st["sensors"] and "inj2" not in st["sensors"]
    log = w.log_text()
    assert not any(line.startswith("<0>") for line in log.splitlines()), "forged log line"
    assert "\x1b" not in log
    r.close()
    growth(w, before, "log injection", 10 * MB)


def test_bad_names(w):
    """Formula, invalid UTF-8 and lookalike names are refused; none reaches status or a log."""
    before = w.rss()
    r = w.rogue()
    names = ['=HYPERLINK("http://evil","x")', "s\udcff", "s1\u200b", "a b", "x" * 64]
    for i, n in enumerate(names):
        r.send(wire.hello(n, 10 + i))
        r.send(wire.batch(n, 10 + i, 1))
    w.settle()
    st = w.st()
    assert st["security"]["invalid_strings"] >= 2 * len(names), st["security"]
    assert not st["sensors"], st["sensors"]
    r.close()
    w.stop()
    rows = [row for p in nvgtest.log_files(w.out, "packets")
            for row in nvgtest.read_csv_log(p, nvgtest.COLUMNS)]
    assert not rows, rows[:3]
    w.start()
    growth(w, before, "bad names", 10 * MB)


def run(args, work):
    extra = ("--memory-budget", "64M") if args.test == "stalled-subscriber" else ()
    w = World(work, extra=extra)
    args.fn(w)
    assert w.proc.poll() is None, "the collector died"
    w.stop()
    print("PASS %s" % args.test)


if __name__ == "__main__":
    random.seed(9)
    sys.exit(nvgtest.main(run, "nvg-attack-", PROGRAMS, tests=globals()))
