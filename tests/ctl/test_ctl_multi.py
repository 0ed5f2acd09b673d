#!/usr/bin/env python3
"""netvigil-ctl connected to two collectors at once (--collector given twice), each in a site of
its own (a network namespace behind a veth, tests/ctl/sites.py) with its own sensors.

Usage: test_ctl_multi.py --bin-dir DIR [--bin-dir DIR...] TEST   (TEST: a test_* below without
the prefix). Needs root; skips (77) without it.
"""
import json
import os
import signal
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, HERE)
import nvgtest  # noqa: E402
import sites  # noqa: E402

PROGRAMS = ("netvigil-collector", "netvigil-ctl", "nvg-ctl-peer")


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def by_name(st):
    return {(s["collector"], s["sensor"]): s for s in st["sensors"]}


def test_status(work):
    """status merges both tables: each sensor once with the collector that holds it (JSON
    "collector", table COLLECTOR column), a name on both shows twice; labels default to the
    host as typed."""
    with sites.Sites(work, ("a1", "a2", "dup"), ("b1", "dup")) as s:
        r = s.ctl("status", "--json")
        check(r.returncode == 0, r.stderr)
        st = json.loads(r.stdout)
        got = sorted(by_name(st))
        check(got == [("siteA", "a1"), ("siteA", "a2"), ("siteA", "dup"), ("siteB", "b1"),
                      ("siteB", "dup")], got)
        check([c["collector"] for c in st["collectors"]] == ["siteA", "siteB"], st["collectors"])
        check(all(c["answered"] for c in st["collectors"]), st["collectors"])
        r = s.ctl("status")
        check(r.returncode == 0, r.stderr)
        lines = r.stdout.splitlines()
        check(lines[0].split()[:2] == ["COLLECTOR", "SENSOR"], lines[0])
        rows = {tuple(line.split()[:2]) for line in lines[1:6]}
        check(rows == set(got), r.stdout)
        check(any(line.startswith("[siteB] collector: ") for line in lines), r.stdout)
        r = s.ctl("status", "--json", named=False)
        check(r.returncode == 0, r.stderr)
        check(("10.231.2.2", "b1") in by_name(json.loads(r.stdout)), r.stdout)


def test_route(work):
    """stop/start of a named sensor go to the collector that holds it (its state there, its
    audit log, none on the other); a name on both collectors is refused as ambiguous, and
    COLLECTOR/SENSOR picks one; a command to all reaches every sensor of both."""
    with sites.Sites(work, ("a1", "dup"), ("b1", "dup")) as s:
        r = s.ctl("stop", "b1")
        check(r.returncode == 0, r.stdout + r.stderr)
        check("[siteB] stop b1: 1 of 1 sensor(s) ok" in r.stdout, r.stdout)
        sites.wait_state(s.b, "b1", "stopped")
        check(s.a.sensor_state("a1") == "running", "a1 touched")
        rows_b = nvgtest.wait_for(s.b.audit_rows, 5, "siteB's audit row")
        check([(x["sensor"], x["command"], x["outcome"]) for x in rows_b] == [("b1", "stop", "ok")],
              rows_b)
        check(s.a.audit_rows() == [], s.a.audit_rows())
        r = s.ctl("start", "b1")
        check(r.returncode == 0, r.stdout + r.stderr)
        sites.wait_state(s.b, "b1", "running")

        r = s.ctl("stop", "dup")
        check(r.returncode == 2 and "ambiguous" in r.stderr and "siteA/dup" not in r.stdout,
              (r.returncode, r.stdout, r.stderr))
        check("COLLECTOR/dup" in r.stderr, r.stderr)
        r = s.ctl("stop", "siteA/dup")
        check(r.returncode == 0 and "[siteA] stop dup: 1 of 1" in r.stdout, r.stdout + r.stderr)
        sites.wait_state(s.a, "dup", "stopped")
        check(s.b.sensor_state("dup") == "running", "siteB's dup touched")
        check(s.ctl("stop", "nosuch/dup").returncode == 2, "unknown collector")
        r = s.ctl("filter", "siteB/b1", "udp")
        check(r.returncode == 0 and "[siteB] filter 'udp' on b1" in r.stdout, r.stdout)

        r = s.ctl("start")
        check(r.returncode == 0, r.stdout + r.stderr)
        check("[siteA] start all sensors: 2 of 2 sensor(s) ok" in r.stdout, r.stdout)
        check("[siteB] start all sensors: 2 of 2 sensor(s) ok" in r.stdout, r.stdout)
        sites.wait_state(s.a, "dup", "running")
        r = s.ctl("stop", "--json")
        check(r.returncode == 0, r.stderr)
        objs = [json.loads(line) for line in r.stdout.splitlines()]
        check(sorted(o["collector"] for o in objs) == ["siteA", "siteB"], objs)
        check(s.ctl("start").returncode == 0, "start all")


def test_killed(work):
    """One collector SIGKILLed: status says "collector siteB: no answer", still prints siteA's
    sensors, exits 6; a tail running across the kill says the connection was lost and goes on
    with siteA's records; a command to all reaches siteA's sensors and exits 6; a command to a
    sensor of siteA is routed without waiting for siteB longer than the status timeout."""
    with sites.Sites(work, ("a1",), ("b1",)) as s:
        tail = s.ctl_spawn("tail", log="tail.log")
        lines = []
        deadline = time.time() + 15
        while time.time() < deadline and not (any(x.startswith("[siteA] ") for x in lines) and
                                              any(x.startswith("[siteB] ") for x in lines)):
            lines.append(tail.stdout.readline())
        check(any(x.startswith("[siteB] ") and " b1 " in x for x in lines), lines)
        check(any(x.startswith("[siteA] ") and " a1 " in x for x in lines), lines)

        s.b.kill_collector()
        t_kill = time.time()
        r = s.ctl("--timeout", 1500, "status")
        check(r.returncode == 6, (r.returncode, r.stderr))
        check("netvigil-ctl: collector siteB: no answer" in r.stderr, r.stderr)
        check(any(line.split()[:2] == ["siteA", "a1"] for line in r.stdout.splitlines()),
              r.stdout)
        check("[siteB] no answer" in r.stdout, r.stdout)
        r = s.ctl("--timeout", 1500, "status", "--json")
        check(r.returncode == 6, r.stderr)
        st = json.loads(r.stdout)
        check(list(by_name(st)) == [("siteA", "a1")], st["sensors"])
        check([c["answered"] for c in st["collectors"]] == [True, False], st["collectors"])

        # the tail goes on with siteA's records after siteB went away
        after = []
        deadline = time.time() + 10
        while time.time() < deadline and len(after) < 3:
            line = tail.stdout.readline()
            if line.startswith("[siteA] ") and time.time() > t_kill + 1:
                after.append(line)
        check(len(after) == 3, after)
        tail.send_signal(signal.SIGINT)
        tail.wait(10)
        check(tail.returncode == 6, tail.returncode)
        log = open(work.path("tail.log")).read()
        check("collector siteB: connection lost" in log, log)

        r = s.ctl("--timeout", 1500, "stop")
        check(r.returncode == 6 and "[siteA] stop all sensors: 1 of 1" in r.stdout,
              (r.returncode, r.stdout, r.stderr))
        check("collector siteB: no answer" in r.stderr, r.stderr)
        sites.wait_state(s.a, "a1", "stopped")
        t0 = time.time()
        r = s.ctl("--timeout", 1500, "start", "a1")
        check(r.returncode == 0 and "[siteA] start a1: 1 of 1" in r.stdout, r.stdout + r.stderr)
        check("found on siteA only" in r.stderr, r.stderr)
        check(time.time() - t0 < 5, "routing took %.1f s" % (time.time() - t0))
        r = s.ctl("--timeout", 1500, "start", "b1")
        check(r.returncode == 1 and "no collector that answered holds it" in r.stderr, r.stderr)

        # a tail started while siteB is away says so and shows siteA
        r = s.ctl("--timeout", 1000, "tail", "--count", 2, timeout=20)
        check(r.returncode == 6, (r.returncode, r.stderr))
        check("collector siteB: no answer" in r.stderr, r.stderr)
        check(all(x.startswith("[siteA] ") for x in r.stdout.splitlines()), r.stdout)


def test_options(work):
    """The command line: endpoints with several collectors, a label twice, key files that do
    not match the collectors in number (no network needed)."""
    ctl = nvgtest.prog("netvigil-ctl")
    import subprocess

    def run(*a):
        return subprocess.run([ctl] + list(a), capture_output=True, text=True, timeout=10)
    r = run("--collector", "a", "--collector", "b", "--feed-endpoint", "tcp://x:1", "status")
    check(r.returncode == 2 and "name one collector" in r.stderr, r.stderr)
    r = run("--collector", "x=a", "--collector", "x=b", "status")
    check(r.returncode == 2 and "named twice" in r.stderr, r.stderr)
    r = run("--collector", "a", "--collector", "b", "--collector", "c", "--collector-key",
            "k1", "--collector-key", "k2", "status")
    check(r.returncode == 2 and "2 --collector-key for 3 --collector" in r.stderr, r.stderr)
    r = run("--collector", "tcp://a:1", "status")
    check(r.returncode == 2, r.stderr)
    r = run("--collector", "a", "--collector", "b", "--sensor", "c/x", "tail")
    check(r.returncode == 2 and "no such collector" in r.stderr, r.stderr)


def run(args, work):
    args.fn(work)


if __name__ == "__main__":
    sys.exit(nvgtest.main(run, "nvg-ctl-multi-", PROGRAMS, globals()))
