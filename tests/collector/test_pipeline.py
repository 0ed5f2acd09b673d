#!/usr/bin/env python3
"""Multi-process tests of netvigil-collector, netvigil-ctl and nvg-fake-sensor over loopback.

Usage: test_pipeline.py --bin-dir DIR TEST   (DIR holds the three programs; TEST is one of
the functions named test_* below, without the prefix). Each test starts its own collector on
free ports with its own output directory and stops it at the end.
"""
import argparse
import csv
import datetime
import glob
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from nvgtest import free_ports  # noqa: E402

COLUMNS = ["time", "sensor", "proto", "src", "dst", "sport", "dport", "flags", "ttl", "len",
           "payload"]
BIN = {}


class Collector:
    def __init__(self, out_dir, ports=None, extra=()):
        self.out = out_dir
        self.ports = ports or free_ports(3)
        self.extra = list(extra)
        self.proc = None
        self.log = open(os.path.join(out_dir, "..", "collector.log"), "ab")

    def start(self):
        args = [BIN["collector"], "-o", self.out, "--sensor-port", str(self.ports[0]),
                "--feed-port", str(self.ports[1]), "--control-port", str(self.ports[2])]
        self.proc = subprocess.Popen(args + self.extra, stderr=self.log)
        deadline = time.time() + 10
        while time.time() < deadline:
            if self.status(timeout=300, check=False) is not None:
                return self
            assert self.proc.poll() is None, "collector exited at start"
        raise AssertionError("collector did not answer status")

    @property
    def sensor_ep(self):
        return "tcp://127.0.0.1:%d" % self.ports[0]

    def ctl(self, *args, **kw):
        base = [BIN["ctl"], "--feed-endpoint", "tcp://127.0.0.1:%d" % self.ports[1],
                "--control-endpoint", "tcp://127.0.0.1:%d" % self.ports[2]]
        return subprocess.run(base + list(args), capture_output=True, text=True, **kw)

    def status(self, timeout=3000, check=True):
        r = self.ctl("--timeout", str(timeout), "status", "--json")
        if r.returncode != 0:
            assert not check, "status failed: " + r.stderr
            return None
        return json.loads(r.stdout)

    def sensor(self, st, name):
        for s in st["sensors"]:
            if s["sensor"] == name:
                return s
        raise AssertionError("no sensor %r in status" % name)

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            rc = self.proc.wait(timeout=20)
            if sig == signal.SIGTERM:
                assert rc == 0, "collector exit status %d after SIGTERM" % rc
        self.proc = None


def fake(col, *args, check=True, timeout=120):
    r = subprocess.run([BIN["fake"], "--endpoint", col.sensor_ep] + list(args),
                       capture_output=True, text=True, timeout=timeout)
    if check:
        assert r.returncode == 0, "nvg-fake-sensor %s failed (%d):\n%s%s" % (
            " ".join(args), r.returncode, r.stdout, r.stderr)
    return r


def read_packets(out_dir):
    """Every row of every packet CSV, checking the header and the column count on the way."""
    rows = []
    for path in sorted(glob.glob(os.path.join(out_dir, "packets-*.csv"))):
        with open(path, "rb") as f:
            data = f.read()
        assert data.endswith(b"\n"), "%s ends in a torn line" % path
        reader = csv.reader(data.decode("utf-8").splitlines())
        header = next(reader)
        assert header == COLUMNS, "%s: header %r" % (path, header)
        for i, row in enumerate(reader):
            assert len(row) == 11, "%s line %d: %d columns: %r" % (path, i + 2, len(row), row)
            rows.append(row)
    return rows


def read_rates(out_dir):
    sums = {}
    for path in sorted(glob.glob(os.path.join(out_dir, "rates-*.csv"))):
        with open(path, newline="") as f:
            r = csv.reader(f)
            assert next(r) == ["time", "sensor", "proto", "packets", "bytes"]
            for t, sensor, proto, pk, by in r:
                sec = int(datetime.datetime.strptime(t, "%Y-%m-%dT%H:%M:%SZ").replace(
                    tzinfo=datetime.timezone.utc).timestamp())
                k = (sensor, sec, proto)
                a = sums.get(k, (0, 0))
                sums[k] = (a[0] + int(pk), a[1] + int(by))
    return sums


# ---- tests ---------------------------------------------------------------------------------

def test_hostile(col, tmp):
    """Garbage, truncated protobuf, invalid records, unknown bodies, extra frames, a wrong
    version and a 100 MB message: the collector stays up, counts them, and keeps logging the
    good sensor that streams at the same time."""
    good = subprocess.Popen([BIN["fake"], "--endpoint", col.sensor_ep, "--name", "good",
                             "--records", "30000", "--rate", "20000", "--eos"],
                            stdout=subprocess.PIPE, text=True)
    fake(col, "--name", "evil", "--records", "100", "--garbage", "50", "--truncated", "5",
         "--bad-addr", "3", "--unknown", "4", "--extra-frames", "6", "--eos", "--huge")
    fake(col, "--name", "old", "--version", "99")
    out, _ = good.communicate(timeout=60)
    assert good.returncode == 0, out
    st = col.status()
    assert col.proc.poll() is None, "collector died"
    assert st["malformed_messages"] >= 50 + 5 + 6 - 10, st  # a few garbage frames may parse
    assert st["invalid_batches"] >= 3, st
    assert st["unknown_messages"] >= 4, st
    assert st["refused_messages"] >= 1, st
    assert st["disconnects"] >= 1, st
    assert col.sensor(st, "good")["records_received"] == 30000
    assert col.sensor(st, "good")["batches_lost"] == 0
    assert col.sensor(st, "evil")["invalid_batches"] == 3
    col.stop()
    rows = read_packets(col.out)
    assert sum(1 for r in rows if r[1] == "good") == 30000
    assert sum(1 for r in rows if r[1] == "evil") == 100


def test_multi(col, tmp):
    """Several sensors at once: every row present and attributed to its sensor."""
    a = subprocess.Popen([BIN["fake"], "--endpoint", col.sensor_ep, "--name", "alpha",
                          "--records", "50000", "--start-time", "1600000000", "--eos", "--quiet"])
    b = subprocess.Popen([BIN["fake"], "--endpoint", col.sensor_ep, "--name", "beta,\"q\"",
                          "--records", "40000", "--start-time", "1700000000", "--eos", "--quiet"])
    fake(col, "--name", "par", "--parallel", "4", "--records", "10000", "--eos", "--quiet")
    assert a.wait(60) == 0 and b.wait(60) == 0
    col.stop()
    rows = read_packets(col.out)
    by = {}
    for r in rows:
        by.setdefault(r[1], []).append(r[0])
    assert len(by["alpha"]) == 50000 and len(by["beta,\"q\""]) == 40000, {k: len(v) for k, v in by.items()}
    assert all(t.startswith("2020-09-13") for t in by["alpha"])
    assert all(t.startswith("2023-11-14") for t in by["beta,\"q\""])
    for i in range(1, 5):
        assert len(by["par-%d" % i]) == 10000


def test_rates(col, tmp):
    """Known per-second counts come out of the rates CSV exactly (records drive the seconds)."""
    exp_path = os.path.join(tmp, "expected.csv")
    fake(col, "--name", "r", "--per-second", "1000,2500,7,0,300,12345,1", "--start-time",
         "1700000000", "--expected-rates", exp_path, "--eos", "--batch", "333")
    col.stop()
    got = read_rates(col.out)
    want = {}
    with open(exp_path) as f:
        for sec, proto, pk, by in csv.reader(f):
            want[("r", int(sec), proto)] = (int(pk), int(by))
    assert got == want, "rates differ:\n got %r\nwant %r" % (sorted(got.items()), sorted(want.items()))


def test_seqgap(col, tmp):
    """Skipped sequence numbers are counted as lost batches; a new boot id is no loss."""
    fake(col, "--name", "g", "--boot-id", "111", "--records", "20480", "--batch", "1024",
         "--skip-seq", "3", "--skip-seq", "7", "--eos")
    st = col.status()
    assert col.sensor(st, "g")["batches_lost"] == 2, st
    # The same sensor restarts: a new boot id, seq from 1 again: no false gap.
    fake(col, "--name", "g", "--boot-id", "222", "--records", "5000", "--eos")
    st = col.status()
    s = col.sensor(st, "g")
    assert s["batches_lost"] == 2 and s["boot_id"] == "%016x" % 222, s
    assert s["records_received"] == 20480 - 2048 + 5000


def test_status(col, tmp):
    """netvigil-ctl status (table and JSON) shows the sensor and the drops at each hop."""
    fake(col, "--name", "st", "--records", "3000", "--skip-seq", "2", "--status",
         "--kernel-drops", "17", "--sensor-drops", "5", "--eos", "--batch", "500")
    st = col.status()
    s = col.sensor(st, "st")
    assert (s["kernel_drops"], s["sensor_drops"], s["link_drops"], s["write_failures"]) == \
        (17, 5, 1, 0), s
    assert s["records_received"] == 2500 and s["state"] == "finished", s
    table = col.ctl("status")
    assert table.returncode == 0 and re.search(r"^st\s+finished\s+generated", table.stdout, re.M), table.stdout
    assert "17/5/1/0" in table.stdout, table.stdout
    # A collector that is not there: a clear error, non-zero, no hang.
    r = subprocess.run([BIN["ctl"], "--control-endpoint", "tcp://127.0.0.1:%d" % free_ports(1)[0],
                        "--timeout", "300", "status"], capture_output=True, text=True, timeout=10)
    assert r.returncode != 0 and "no answer" in r.stderr, r


def test_tail(col, tmp):
    """tail --proto udp --port 53 prints only matching packets, with the sensor name."""
    tail = subprocess.Popen(col.ctl_args if hasattr(col, "ctl_args") else
                            [BIN["ctl"], "--feed-endpoint", "tcp://127.0.0.1:%d" % col.ports[1],
                             "tail", "--proto", "udp", "--port", "53", "--count", "200"],
                            stdout=subprocess.PIPE, text=True)
    time.sleep(0.7)  # let the subscription reach the PUB socket
    fake(col, "--name", "t", "--records", "5000", "--eos")
    out, _ = tail.communicate(timeout=20)
    lines = out.splitlines()
    assert len(lines) == 200, out[:500]
    for ln in lines:
        assert re.match(r"^\[\d{4}-\d\d-\d\d [\d:.]+\] t UDP \S+:\d+ -> \S+:53 ", ln) or \
            re.match(r"^\[\d{4}-\d\d-\d\d [\d:.]+\] t UDP \S+:53 -> ", ln), ln


def test_sigkill(col, tmp):
    """SIGKILL the collector mid-stream and restart it: every CSV parses (11 columns, no torn
    line), and what the restarted collector did not get shows as a sequence gap."""
    sensor = subprocess.Popen([BIN["fake"], "--endpoint", col.sensor_ep, "--name", "k",
                               "--boot-id", "4242", "--records", "400000", "--rate", "100000",
                               "--eos", "--no-check", "--timeout-ms", "30000"],
                              stdout=subprocess.PIPE, text=True)
    time.sleep(1.6)
    col.stop(signal.SIGKILL)
    time.sleep(0.5)
    col.start()
    out, _ = sensor.communicate(timeout=60)
    m = re.search(r"ack records_received=(\d+) batches_lost=(\d+)", out)
    assert m, out
    received, lost = int(m.group(1)), int(m.group(2))
    assert 0 < received <= 400000, out
    assert received == 400000 or lost > 0, "loss went unnoticed: " + out
    assert received + lost * 1024 >= 400000, out
    print("sigkill: received %d, batches lost %d" % (received, lost))
    col.stop()
    rows = read_packets(col.out)
    assert len(rows) >= received - 0, (len(rows), received)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin-dir", action="append", required=True)
    ap.add_argument("test")
    a = ap.parse_args()
    for name, exe in (("collector", "netvigil-collector"), ("ctl", "netvigil-ctl"),
                      ("fake", "nvg-fake-sensor")):
        for d in a.bin_dir:
            if os.path.exists(os.path.join(d, exe)):
                BIN[name] = os.path.join(d, exe)
        assert name in BIN, "%s not found in %s" % (exe, a.bin_dir)
    fn = globals()["test_" + a.test]
    with tempfile.TemporaryDirectory(prefix="nvg-pipe-") as tmp:
        out = os.path.join(tmp, "out")
        os.mkdir(out)
        col = Collector(out).start()
        try:
            fn(col, tmp)
        except BaseException:
            col.stop(signal.SIGKILL)
            log = os.path.join(tmp, "collector.log")
            sys.stderr.write(open(log, errors="replace").read()[-4000:])
            raise
        col.stop()
    print("ok", a.test)


if __name__ == "__main__":
    main()
