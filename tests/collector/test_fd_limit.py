#!/usr/bin/env python3
"""Out of file descriptors (issue 10, item 7): the collector under `prlimit --nofile=64`, three
sensors streaming, then 100 more ZeroMQ clients on the sensor port. libzmq 4.3 alone would spin
on accept4 = EMFILE (a full core) without a word; the collector must instead

  - stay cheap: below 20% of a core over 5 s with the 100 clients knocking (the figure is
    printed),
  - say so: a log line naming LimitNOFILE, fds_refused > 0 in `netvigil-ctl status`,
  - keep serving the sensors already connected: every record they send is a row on disk
    (rows == sent, per sensor, and the end-of-stream acks agree),
  - take new peers again once the 100 clients are gone: a new sensor connects and is written.

Usage: test_fd_limit.py --bin-dir DIR [--bin-dir DIR...]
"""
import collections
import os
import shutil
import subprocess
import sys
import time

import zmq

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import nvgtest  # noqa: E402

PROGRAMS = ["netvigil-collector", "netvigil-ctl", "nvg-fake-sensor"]
LIMIT = 64
CLIENTS = 100
EARLY = 3
RECORDS = 24000
RATE = 1500  # records per second per sensor: they stream through the whole flood
CPU_BOUND = 20.0


def start_limited(col):
    """col started under prlimit (which execs it: the pid is the collector's)."""
    args = ["prlimit", "--nofile=%d" % LIMIT, nvgtest.prog("netvigil-collector"), "-o", col.out,
            "--sensor-port", col.ports[0], "--feed-port", col.ports[1], "--control-port",
            col.ports[2]]
    col.proc = col.work.spawn(args, log=col.log, stdin=subprocess.DEVNULL)
    nvgtest.wait_for(lambda: col.proc.poll() is not None or col.status(300, check=False), 15,
                     "the collector to answer status")
    assert col.proc.poll() is None, "collector exited at start:\n" + col.log_text()


def cpu_percent(pid, seconds):
    def ticks():
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime + stime
    a = ticks()
    time.sleep(seconds)
    return (ticks() - a) / os.sysconf("SC_CLK_TCK") / seconds * 100


def fds_refused(col):
    st = col.status(check=False)
    return st["security"].get("fds_refused", 0) if st else 0


def rows_by_sensor(out):
    return collections.Counter(r[1] for r in nvgtest.read_packets(out, empty_ok=True))


def run(args, work):
    if not shutil.which("prlimit"):
        raise nvgtest.Skip("no prlimit(1)")
    col = nvgtest.Collector(work)
    start_limited(col)
    early = ["early%d" % i for i in range(EARLY)]
    fakes = [col.start_fake("--name", n, "--records", RECORDS, "--rate", RATE, "--eos",
                            "--timeout-ms", 30000, log=n + ".log", merge=True) for n in early]
    nvgtest.wait_for(lambda: all((col.find_sensor(n) or {}).get("records_received", 0) > 0
                                 for n in early), 20, "the early sensors to be written")

    ctx = zmq.Context()
    ctx.setsockopt(zmq.MAX_SOCKETS, 4 * CLIENTS)
    flood = []
    for _ in range(CLIENTS):
        s = ctx.socket(zmq.DEALER)
        s.setsockopt(zmq.LINGER, 0)
        s.connect(col.sensor_ep)
        flood.append(s)
    nvgtest.wait_for(lambda: fds_refused(col) > 0, 20, "fds_refused > 0 in status")
    used = len(os.listdir("/proc/%d/fd" % col.proc.pid))
    cpu = cpu_percent(col.proc.pid, 5)
    print("collector CPU with %d clients under nofile=%d: %.1f%% of a core over 5 s "
          "(%d descriptors open)" % (CLIENTS, LIMIT, cpu, used), flush=True)
    assert cpu < CPU_BOUND, "collector took %.1f%% of a core (bound %.0f%%)" % (cpu, CPU_BOUND)
    assert used <= LIMIT
    text = col.log_text()
    assert "LimitNOFILE" in text, "no log line names LimitNOFILE:\n" + text[-3000:]
    assert text.count("out of file descriptors") <= 6, "not rate-limited:\n" + text[-3000:]
    r = col.ctl("status")
    assert r.returncode == 0 and "refused: no fds" in r.stdout, r.stdout + r.stderr
    print("fds_refused =", fds_refused(col), flush=True)

    for s in flood:
        s.close()
    ctx.term()
    for n, p in zip(early, fakes):
        assert p.wait(90) == 0, "%s failed, see %s.log" % (n, n)
    rows = rows_by_sensor(col.out)
    for n in early:
        assert rows[n] == RECORDS, "%s: %d rows on disk, %d sent" % (n, rows[n], RECORDS)

    # The clients are gone: the listener takes connections again (within a tick or two).
    late = col.run_fake("--name", "late", "--records", 1000, "--eos", "--timeout-ms", 20000,
                        timeout=60)
    assert nvgtest.fake_ack(late.stdout)[0] == 1000, late.stdout
    rows = rows_by_sensor(col.out)
    assert rows["late"] == 1000, rows
    col.stop()
    report = nvgtest.sanitizer_report(col.log_text())
    assert not report, col.log_text()[report.start():][:3000] if report else ""
    print("ok: rows == sent for %s; a new sensor connected after the flood" % ", ".join(early))


if __name__ == "__main__":
    sys.exit(nvgtest.main(run, "nvg-fdlimit-", PROGRAMS))
