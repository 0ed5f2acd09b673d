#!/usr/bin/env python3
"""Multi-process tests of the control plane: netvigil-collector, netvigil-ctl and nvg-ctl-peer
(test sensors on the real sensor link) over loopback.

Usage: test_control.py --bin-dir DIR [--bin-dir DIR...] TEST   (TEST is one of the functions
named test_* below, without the prefix). Each test starts its own collector on free ports with
its own output directory, and stops everything it started on every exit path.
"""
import json
import os
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import nvgtest  # noqa: E402
from nvgtest import prog  # noqa: E402

PROGRAMS = ("netvigil-collector", "netvigil-ctl", "nvg-ctl-peer")
AUDIT_COLUMNS = ["time", "requester", "sensor", "command", "filter", "outcome"]


class World(nvgtest.Collector):
    """The collector of one test and its peers (sensors on the real sensor link)."""

    def __init__(self, work):
        super().__init__(work)
        self.start()

    def peer(self, name, *extra):
        return self.work.spawn([prog("nvg-ctl-peer"), "sensor", "-e", self.sensor_ep, "-n", name]
                               + list(extra), log="peer-%s.log" % name)

    def wait_connected(self, *names, timeout=10):
        deadline = time.time() + timeout
        while time.time() < deadline:
            st = self.status()
            if all((self.find_sensor(n, st) or {}).get("connected") and
                   self.find_sensor(n, st)["state"] != "unknown" for n in names):  # heartbeat seen
                return st
            time.sleep(0.1)
        raise AssertionError("sensors %s did not connect" % (names,))

    def audit_rows(self):
        return [row for path in nvgtest.log_files(self.out, "audit")
                for row in nvgtest.read_csv_log(path, AUDIT_COLUMNS, empty_ok=False)]


def results(out):
    """Parse netvigil-ctl's command table into {sensor: result text}."""
    lines = out.splitlines()
    assert len(lines) >= 2 and lines[1].split()[:2] == ["SENSOR", "RESULT"], out
    res = {}
    for line in lines[2:]:
        name, _, text = line.partition(" ")
        res[name] = text.strip()
    return res


def check(cond, what):
    if not cond:
        raise AssertionError(what)


# ---- tests -------------------------------------------------------------------------------------

def test_route(w):
    """A command to one sensor goes to that one only; to all, one result per sensor."""
    w.peer("alpha")
    w.peer("beta")
    w.wait_connected("alpha", "beta")
    r = w.ctl("stop", "alpha")
    check(r.returncode == 0, "stop alpha: %s %s" % (r.stdout, r.stderr))
    check(results(r.stdout) == {"alpha": "ok"}, r.stdout)
    st = w.status()  # the reply carried the sensor's status: stopped at once
    check(w.find_sensor("alpha", st)["state"] == "stopped", st)
    check(w.find_sensor("beta", st)["state"] == "running", st)
    r = w.ctl("--json", "start")
    check(r.returncode == 0, r.stdout + r.stderr)
    j = json.loads(r.stdout)
    check(j["ok"] and sorted(x["sensor"] for x in j["results"]) == ["alpha", "beta"], j)
    st = w.status()
    check(all(w.find_sensor(n, st)["state"] == "running" for n in ("alpha", "beta")), st)
    r = w.ctl("stop")
    check(r.returncode == 0 and results(r.stdout) == {"alpha": "ok", "beta": "ok"}, r.stdout)


def test_filter(w):
    """set-filter: ok replaces; a bad expression returns libpcap's message, the old stays."""
    w.peer("alpha")
    w.peer("beta")
    w.wait_connected("alpha", "beta")
    r = w.ctl("filter", "alpha", "udp port 53")
    check(r.returncode == 0 and results(r.stdout) == {"alpha": "ok"}, r.stdout + r.stderr)
    check(w.find_sensor("alpha")["filter"] == "udp port 53", "filter not in status")
    r = w.ctl("filter", "alpha", "udp port ((")
    check(r.returncode == 1, "bad filter must fail: " + r.stdout)
    res = results(r.stdout)["alpha"]
    check(res.startswith("error: ") and "syntax error" in res, res)
    check(w.find_sensor("alpha")["filter"] == "udp port 53", "old filter must stay")
    r = w.ctl("filter", "tcp")  # one argument: the expression, for all sensors
    check(r.returncode == 0 and results(r.stdout) == {"alpha": "ok", "beta": "ok"}, r.stdout)
    st = w.status()
    check(all(w.find_sensor(n, st)["filter"] == "tcp" for n in ("alpha", "beta")), st)
    r = w.ctl("filter", "alpha", "")
    check(r.returncode == 2, "empty filter is a usage error")


def test_restart(w):
    """restart: the sensor continues under a new boot id, without a false loss."""
    w.peer("alpha")
    st = w.wait_connected("alpha")
    time.sleep(2.2)  # a couple of batches (one record a second)
    before = w.find_sensor("alpha")
    r = w.ctl("restart", "alpha")
    check(r.returncode == 0, r.stdout + r.stderr)
    time.sleep(1.5)
    after = w.find_sensor("alpha")
    check(after["boot_id"] != before["boot_id"], "boot id unchanged")
    check(after["batches_lost"] == 0, "false loss after restart: %s" % after)
    check(after["state"] == "running", after)


def test_unknown(w):
    """An unknown sensor is an immediate, clear error; a sensor gone quiet is not connected."""
    w.peer("alpha")
    w.wait_connected("alpha")
    t0 = time.time()
    r = w.ctl("stop", "nosuch")
    check(r.returncode == 1, r.stdout)
    check("unknown sensor 'nosuch'" in results(r.stdout)["nosuch"], r.stdout)
    check(time.time() - t0 < 1.5, "unknown sensor must fail at once")
    r = w.ctl("restart", "nosuch")
    check(r.returncode == 1 and "unknown sensor" in r.stdout, r.stdout)


def test_timeout(w):
    """A sensor that never answers: 'timed out after 3 s' for it, ok for the others, no hang."""
    w.peer("alpha")
    w.peer("mute", "--mute")
    w.wait_connected("alpha", "mute")
    t0 = time.time()
    r = w.ctl("stop")
    dt = time.time() - t0
    check(r.returncode == 1, "must fail: " + r.stdout)
    res = results(r.stdout)
    check(res == {"alpha": "ok", "mute": "error: timed out after 3 s"}, res)
    check(2.8 < dt < 4.5, "took %.1f s" % dt)
    st = w.status()
    check(st["commands_timed_out"] == 1, st)
    # A slow sensor with a shorter ctl timeout: ctl gives up cleanly (exit 1, message).
    r = w.ctl("--timeout", "500", "stop", "mute")
    check(r.returncode == 1 and "no answer" in r.stderr, r.stderr)
    # The collector shutting down answers what is still in flight instead of dropping it.
    time.sleep(3)  # the previous request times out
    p = subprocess.Popen(w.ctl_args("stop", "mute"), stdout=subprocess.PIPE, text=True)
    time.sleep(0.5)
    w.proc.send_signal(signal.SIGTERM)
    out, _ = p.communicate(timeout=10)
    check(p.returncode == 1 and "collector is shutting down" in out, out)


def test_concurrent(w):
    """Two clients at once, each gets its own answer; the requests are not serialised."""
    w.peer("slow1", "--delay-ms", "1000")
    w.peer("slow2", "--delay-ms", "1000")
    w.wait_connected("slow1", "slow2")
    out = {}

    def run(key, *args):
        out[key] = w.ctl(*args)

    t0 = time.time()
    th = [threading.Thread(target=run, args=("a", "--requester", "alice@a", "stop", "slow1")),
          threading.Thread(target=run, args=("b", "--requester", "bob@b", "filter", "slow2",
                                             "icmp"))]
    for t in th:
        t.start()
    for t in th:
        t.join()
    dt = time.time() - t0
    check(out["a"].returncode == 0 and results(out["a"].stdout) == {"slow1": "ok"}, out["a"])
    check(out["b"].returncode == 0 and results(out["b"].stdout) == {"slow2": "ok"}, out["b"])
    check(dt < 1.9, "two 1 s commands on two sensors took %.1f s: serialised?" % dt)
    rows = w.audit_rows()
    # The requester column names the peer, then what the client says it is (issue 9).
    who = {(r[1].split('(says "')[-1].rstrip('")'), r[2], r[3]) for r in rows}
    check(("alice@a", "slow1", "stop") in who and ("bob@b", "slow2", "set-filter") in who, rows)
    # Both clients on the same slow sensor: both answered (the sensor serialises, 2 s).
    th = [threading.Thread(target=run, args=("c", "stop", "slow1")),
          threading.Thread(target=run, args=("d", "start", "slow1"))]
    for t in th:
        t.start()
    for t in th:
        t.join()
    check(out["c"].returncode == 0 and out["d"].returncode == 0, (out["c"], out["d"]))


def test_hostile(w):
    """Malformed requests get error replies and a counter; the collector stays up."""
    w.peer("alpha")
    w.wait_connected("alpha")
    r = subprocess.run([prog("nvg-ctl-peer"), "hostile", "-c", w.control_ep],
                       capture_output=True, text=True, timeout=30)
    sys.stdout.write(r.stdout)
    check(r.returncode == 0, r.stdout + r.stderr)
    check(w.proc.poll() is None, "collector died")
    st = w.status()
    check(st["control_rejected"] >= 9, st)
    r = w.ctl("stop", "alpha")  # and it still routes commands
    check(r.returncode == 0, r.stdout)


def test_flood(w):
    """The table of requests in flight is bounded: past it, an immediate 'busy' answer, and
    every request still gets exactly one answer."""
    w.peer("slow", "--delay-ms", "20")
    w.wait_connected("slow")
    r = subprocess.run([prog("nvg-ctl-peer"), "flood", "-c", w.control_ep, "-n", "slow",
                        "--count", "100", "--expect-busy", "1"],
                       capture_output=True, text=True, timeout=40)
    sys.stdout.write(r.stdout)
    check(r.returncode == 0, r.stdout + r.stderr)
    check(w.proc.poll() is None, "collector died")
    check(w.ctl("stop", "slow").returncode == 0, "commands work after the flood")


def test_killed(w):
    """A killed sensor: its command fails with a clear error (link closed, timed out, or not
    connected), never a hang; the others are unaffected."""
    a = w.peer("alpha")
    w.peer("beta")
    w.wait_connected("alpha", "beta")
    a.kill()
    a.wait()
    t0 = time.time()
    r = w.ctl("stop", "alpha")
    check(r.returncode == 1, r.stdout)
    res = results(r.stdout)["alpha"]
    check(any(k in res for k in ("not connected", "timed out after 3 s")), res)
    check(time.time() - t0 < 4.5, "too slow")
    time.sleep(3.2)  # no heartbeat for > 3 s: disconnected, left out of "all"
    r = w.ctl("stop", "alpha")
    check(r.returncode == 1 and "not connected: last heard from" in r.stdout, r.stdout)
    r = w.ctl("stop")
    check(r.returncode == 0 and results(r.stdout) == {"beta": "ok"}, r.stdout)
    st = w.status()
    check(w.find_sensor("alpha", st)["state"] == "silent", st)


def test_audit(w):
    """Every command outcome is in the audit CSV and on the feed as an event."""
    w.peer("alpha")
    w.wait_connected("alpha")
    ev = w.work.spawn(w.ctl_args("events", "--count", "3"), stdout=subprocess.PIPE, text=True)
    time.sleep(0.5)  # the subscription reaches the collector
    check(w.ctl("--requester", "carol, \"the admin\"", "stop", "alpha").returncode == 0, "stop")
    check(w.ctl("filter", "alpha", "udp or (tcp").returncode == 1, "bad filter")
    check(w.ctl("start", "nosuch").returncode == 1, "unknown")
    out, _ = ev.communicate(timeout=10)
    lines = out.splitlines()
    check(len(lines) == 3, out)
    # Who the collector knows the peer to be comes first, the self-asserted name after it.
    check("command sensor=alpha by=anonymous@127.0.0.1 (says \"carol, \"the admin\"\") stop: ok"
          in lines[0], lines)
    check("set-filter 'udp or (tcp': error:" in lines[1], lines)
    rows = w.audit_rows()
    check(len(rows) == 3, rows)
    check(rows[0][1:] == ["anonymous@127.0.0.1 (says \"carol, \"the admin\"\")", "alpha", "stop", "",
                          "ok"], rows[0])
    check(rows[1][2:5] == ["alpha", "set-filter", "udp or (tcp"] and
          rows[1][5].startswith("error: "), rows[1])
    check(rows[2][2:4] == ["nosuch", "start"] and "unknown sensor" in rows[2][5], rows[2])
    check(rows[0][0].endswith("Z") and "T" in rows[0][0], rows[0])
    log = w.log_text()
    check("audit: anonymous@127.0.0.1 (says \"carol" in log and "stop on sensor 'alpha': ok" in log, "no audit log line")


def run(args, work):
    w = World(work)
    args.fn(w)
    w.stop()  # SIGTERM: a clean shutdown exits 0 (under ASan/LSan also: no error, no leak)
    print("PASS %s" % args.test)


if __name__ == "__main__":
    sys.exit(nvgtest.main(run, "nvg-control-", PROGRAMS, tests=globals()))
