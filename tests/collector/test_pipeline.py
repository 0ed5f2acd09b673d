#!/usr/bin/env python3
"""Multi-process tests of netvigil-collector, netvigil-ctl and nvg-fake-sensor over loopback.

Usage: test_pipeline.py --bin-dir DIR [--bin-dir DIR...] TEST   (TEST is one of the functions
named test_* below, without the prefix). Each test starts its own collector on free ports with
its own output directory (tests/lib/nvgtest.py) and stops it at the end.
"""
import csv
import os
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import nvgtest  # noqa: E402
from nvgtest import free_ports, prog  # noqa: E402

PROGRAMS = ("netvigil-collector", "netvigil-ctl", "nvg-fake-sensor")


# ---- tests ---------------------------------------------------------------------------------

def test_hostile(col, tmp):
    """Garbage, truncated protobuf, invalid records, unknown bodies, extra frames, a wrong
    version and a 100 MB message: the collector stays up, counts them, and keeps logging the
    good sensor that streams at the same time."""
    good = col.start_fake("--name", "good", "--records", "30000", "--rate", "20000", "--eos",
                          stdout=subprocess.PIPE, text=True)
    col.run_fake("--name", "evil", "--records", "100", "--garbage", "50", "--truncated", "5",
                 "--bad-addr", "3", "--unknown", "4", "--extra-frames", "6", "--eos", "--huge")
    col.run_fake("--name", "old", "--version", "99")
    out, _ = good.communicate(timeout=60)
    assert good.returncode == 0, out
    st = col.status()
    assert col.proc.poll() is None, "collector died"
    assert st["malformed_messages"] >= 50 + 5 + 6 - 10, st  # a few garbage frames may parse
    assert st["invalid_batches"] >= 3, st
    assert st["unknown_messages"] >= 4, st
    assert st["refused_messages"] >= 1, st
    assert st["disconnects"] >= 1, st
    assert col.sensor("good", st)["records_received"] == 30000
    assert col.sensor("good", st)["batches_lost"] == 0
    assert col.sensor("evil", st)["invalid_batches"] == 3
    col.stop()
    rows = nvgtest.read_packets(col.out)
    assert sum(1 for r in rows if r[1] == "good") == 30000
    assert sum(1 for r in rows if r[1] == "evil") == 100


def test_multi(col, tmp):
    """Several sensors at once: every row present and attributed to its sensor."""
    a = col.start_fake("--name", "alpha", "--records", "50000", "--start-time", "1600000000",
                       "--eos", "--quiet")
    # A name that starts with '-' is valid; its CSV cell is neutralised (OWASP) with a quote.
    b = col.start_fake("--name", "-beta.q:1", "--records", "40000", "--start-time",
                       "1700000000", "--eos", "--quiet")
    col.run_fake("--name", "par", "--parallel", "4", "--records", "10000", "--eos", "--quiet")
    assert a.wait(60) == 0 and b.wait(60) == 0
    col.stop()
    rows = nvgtest.read_packets(col.out)
    by = {}
    for r in rows:
        by.setdefault(r[1], []).append(r[0])
    assert len(by["alpha"]) == 50000 and len(by["'-beta.q:1"]) == 40000, {k: len(v) for k, v in by.items()}
    assert all(t.startswith("2020-09-13") for t in by["alpha"])
    assert all(t.startswith("2023-11-14") for t in by["'-beta.q:1"])
    for i in range(1, 5):
        assert len(by["par-%d" % i]) == 10000


def test_rates(col, tmp):
    """Known per-second counts come out of the rates CSV exactly (records drive the seconds)."""
    exp_path = os.path.join(tmp, "expected.csv")
    col.run_fake("--name", "r", "--per-second", "1000,2500,7,0,300,12345,1", "--start-time",
                 "1700000000", "--expected-rates", exp_path, "--eos", "--batch", "333")
    col.stop()
    # dicts, not Counters: a (second, proto) present with zero counts on one side only differs
    got = dict(nvgtest.read_rates(col.out))
    want = {}
    with open(exp_path) as f:
        for sec, proto, pk, by in csv.reader(f):
            want[(int(sec), "r", proto, "packets")] = int(pk)
            want[(int(sec), "r", proto, "bytes")] = int(by)
    assert got == want, "rates differ:\n got %r\nwant %r" % (sorted(got.items()), sorted(want.items()))


def test_seqgap(col, tmp):
    """Skipped sequence numbers are counted as lost batches; a new boot id is no loss."""
    col.run_fake("--name", "g", "--boot-id", "111", "--records", "20480", "--batch", "1024",
                 "--skip-seq", "3", "--skip-seq", "7", "--eos")
    st = col.status()
    assert col.sensor("g", st)["batches_lost"] == 2, st
    # The same sensor restarts: a new boot id, seq from 1 again: no false gap.
    col.run_fake("--name", "g", "--boot-id", "222", "--records", "5000", "--eos")
    st = col.status()
    s = col.sensor("g", st)
    assert s["batches_lost"] == 2 and s["boot_id"] == "%016x" % 222, s
    assert s["records_received"] == 20480 - 2048 + 5000


def test_status(col, tmp):
    """netvigil-ctl status (table and JSON) shows the sensor and the drops at each hop."""
    col.run_fake("--name", "st", "--records", "3000", "--skip-seq", "2", "--status",
                 "--kernel-drops", "17", "--sensor-drops", "5", "--eos", "--batch", "500")
    st = col.status()
    s = col.sensor("st", st)
    assert (s["kernel_drops"], s["sensor_drops"], s["link_drops"], s["write_failures"]) == \
        (17, 5, 1, 0), s
    assert s["records_received"] == 2500 and s["state"] == "finished", s
    table = col.ctl("status")
    assert table.returncode == 0 and re.search(r"^st\s+finished\s+generated", table.stdout, re.M), table.stdout
    assert "17/5/1/0" in table.stdout, table.stdout
    # A collector that is not there: a clear error, non-zero, no hang.
    r = subprocess.run([prog("netvigil-ctl"), "--control-endpoint",
                        "tcp://127.0.0.1:%d" % free_ports(1)[0], "--timeout", "300", "status"],
                       capture_output=True, text=True, timeout=10)
    assert r.returncode != 0 and "no answer" in r.stderr, r


def test_tail(col, tmp):
    """tail --proto udp --port 53 prints only matching packets, with the sensor name."""
    tail = col.work.spawn(col.ctl_args("tail", "--proto", "udp", "--port", "53", "--count",
                                       "200"), stdout=subprocess.PIPE, text=True)
    time.sleep(0.7)  # let the subscription reach the PUB socket
    col.run_fake("--name", "t", "--records", "5000", "--eos")
    out, _ = tail.communicate(timeout=20)
    lines = out.splitlines()
    assert len(lines) == 200, out[:500]
    for ln in lines:
        assert re.match(r"^\[\d{4}-\d\d-\d\d [\d:.]+\] t UDP \S+:\d+ -> \S+:53 ", ln) or \
            re.match(r"^\[\d{4}-\d\d-\d\d [\d:.]+\] t UDP \S+:53 -> ", ln), ln


def test_sigkill(col, tmp):
    """SIGKILL the collector mid-stream and restart it: every CSV parses (13 columns, no torn
    line), and what the restarted collector did not get shows as a sequence gap."""
    sensor = col.start_fake("--name", "k", "--boot-id", "4242", "--records", "400000", "--rate",
                            "100000", "--eos", "--no-check", "--timeout-ms", "30000",
                            stdout=subprocess.PIPE, text=True)
    time.sleep(1.6)
    col.stop(signal.SIGKILL)
    time.sleep(0.5)
    col.start()
    out, _ = sensor.communicate(timeout=60)
    received, lost = nvgtest.fake_ack(out)[:2]
    assert 0 < received <= 400000, out
    assert received == 400000 or lost > 0, "loss went unnoticed: " + out
    assert received + lost * 1024 >= 400000, out
    print("sigkill: received %d, batches lost %d" % (received, lost))
    col.stop()
    rows = nvgtest.read_packets(col.out)
    assert len(rows) >= received - 0, (len(rows), received)


def run(args, work):
    col = nvgtest.Collector(work).start()
    args.fn(col, work.dir)
    col.stop()
    print("ok", args.test)


if __name__ == "__main__":
    sys.exit(nvgtest.main(run, "nvg-pipe-", PROGRAMS, tests=globals()))
