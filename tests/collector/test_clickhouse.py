#!/usr/bin/env python3
"""The collector's ClickHouse sink (issue 14) against a real clickhouse-server that each test
starts (a temporary config and data directory, 127.0.0.1, free ports; killed and removed at the
end).

  e2e        netvigil-sensor -r a generated capture and a SYN flood (nvg-fake-sensor) through a
             collector whose config file gives --clickhouse, user and password: count() and a
             per-field comparison of every packet row against the CSV log, the rates summed per
             second, sensor and protocol, the alerts and the conversation records against their
             CSV logs; status and /metrics say nothing dropped; a password on the command line
             is refused
  outage     ClickHouse SIGKILLed while a fake sensor streams 400,000 records, restarted 3 s
             later: every row arrives, none twice (within the buffer bound nothing is lost)
  overflow   the server down, --clickhouse-buffer 1M under 200,000 records, then started: rows
             in ClickHouse + clickhouse_dropped == rows in the CSV log, exactly, per table; the
             drop is logged and in /metrics
  retention  day partitions of a 2024 capture dropped at the start of a collector with
             --clickhouse-retain 30 (ClickHouse 18.16 has no TTL), today's rows kept
  no-csv     --no-csv (refused without --clickhouse): netvigil-sensor -r exits 0 only once
             every row is in ClickHouse, no packets/rates/flows/alerts CSV (the audit log
             stays), sensors.state holds the position with no log named, status and /metrics
             say CSV is off; then ClickHouse killed, a 256K buffer: the held ack waits for the
             server's return and counts the overflow (records == inserted + dropped); killed
             again and the collector stopped: the rows it never inserted are in the ack

Skips (77) with a printed reason when clickhouse-server is not installed.

Usage: test_clickhouse.py --bin-dir DIR [--bin-dir DIR...] TEST
"""
import collections
import csv
import datetime
import ipaddress
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import nvgtest  # noqa: E402
from nvgtest import prog, wait_for  # noqa: E402

USER, PASSWORD = "netvigil", "s3cret-Pw"
DB = "nvtest"

CONFIG = """<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>{d}/log/server.log</log>
    <errorlog>{d}/log/error.log</errorlog><console>0</console></logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>{http}</http_port>
  <tcp_port>{tcp}</tcp_port>
  <path>{d}/data/</path>
  <tmp_path>{d}/tmp/</tmp_path>
  <user_files_path>{d}/user_files/</user_files_path>
  <format_schema_path>{d}/format_schemas/</format_schema_path>
  <mark_cache_size>5368709</mark_cache_size>
  <max_concurrent_queries>20</max_concurrent_queries>
  <users_config>{d}/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
</yandex>
"""
USERS = """<?xml version="1.0"?>
<yandex>
  <profiles><default></default></profiles>
  <users>
    <default><password></password><networks><ip>127.0.0.1</ip></networks>
      <profile>default</profile><quota>default</quota></default>
    <{user}><password>{password}</password><networks><ip>127.0.0.1</ip></networks>
      <profile>default</profile><quota>default</quota></{user}>
  </users>
  <quotas><default></default></quotas>
</yandex>
"""


def log(msg):
    print(msg, flush=True)


def server_binary():
    for p in (shutil.which("clickhouse-server"), "/usr/sbin/clickhouse-server",
              "/usr/bin/clickhouse-server"):
        if p and os.access(p, os.X_OK):
            return p
    raise nvgtest.Skip("clickhouse-server is not installed (Debian package clickhouse-server; "
                       "deploy/install-deps.sh --test installs it)")


class ClickHouse:
    """clickhouse-server on two free ports of 127.0.0.1 with its data under WORK/clickhouse; a
    user with a password besides the passwordless default one."""

    def __init__(self, work):
        self.work = work
        self.binary = server_binary()
        self.dir = work.path("clickhouse")
        self.http, self.tcp = nvgtest.free_ports(2)
        for sub in ("log", "data", "tmp"):
            os.makedirs(os.path.join(self.dir, sub), exist_ok=True)
        with open(os.path.join(self.dir, "config.xml"), "w") as f:
            f.write(CONFIG.format(d=self.dir, http=self.http, tcp=self.tcp))
        with open(os.path.join(self.dir, "users.xml"), "w") as f:
            f.write(USERS.format(user=USER, password=PASSWORD))
        self.proc = None

    @property
    def url(self):
        return "http://127.0.0.1:%d/?database=%s" % (self.http, DB)

    def start(self):
        self.proc = self.work.spawn([self.binary, "--config-file=%s/config.xml" % self.dir],
                                    log="clickhouse.log", merge=True)
        wait_for(lambda: self.proc.poll() is not None or self.alive(), 60,
                 "clickhouse-server to answer")
        assert self.proc.poll() is None, "clickhouse-server exited (%s): see clickhouse.log" % (
            self.proc.returncode)
        return self

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(30)

    def alive(self):
        try:
            return self.query("SELECT 1").strip() == "1"
        except (OSError, urllib.error.URLError):
            return False

    def query(self, sql):
        req = urllib.request.Request("http://127.0.0.1:%d/" % self.http, data=sql.encode())
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.read().decode()

    def rows(self, sql):
        return [line.split("\t") for line in self.query(sql + " FORMAT TabSeparated").splitlines()]

    def count(self, table, where="1"):
        try:
            return int(self.query("SELECT count() FROM %s.%s WHERE %s" % (DB, table, where)))
        except urllib.error.HTTPError:
            return -1  # not created yet


def collector(work, ch, extra=(), config_lines=()):
    """A collector with --clickhouse and the credentials in its config file."""
    conf = work.path("collector.conf")
    with open(conf, "w") as f:
        f.write("[collector]\nclickhouse = %s\nclickhouse-user = %s\nclickhouse-password = %s\n"
                % (ch.url, USER, PASSWORD))
        for line in config_lines:
            f.write(line + "\n")
    return nvgtest.Collector(work, extra=["--config", conf] + list(extra)).start()


def ch_status(col):
    st = col.status()["clickhouse"]
    return st, st["tables"]


def settled(col):
    """Status once nothing waits for ClickHouse any more."""
    def done():
        st, t = ch_status(col)
        return st if st["buffered_bytes"] == 0 and all(
            v["rows_buffered"] == 0 for v in t.values()) else None
    return wait_for(done, 60, "every row out of the ClickHouse buffer")


def gen_pcap(work, n, seed):
    path = work.path("gen-%d.pcap" % n)
    subprocess.run([prog("nvg-gen-pcap"), "-o", path, "-n", str(n), "--seed", str(seed)],
                   check=True)
    return path


def read_log(out, prefix):
    rows = []
    for p in nvgtest.log_files(out, prefix):
        with open(p, newline="") as f:
            r = list(csv.reader(f, strict=True))
        rows.extend(dict(zip(r[0], row)) for row in r[1:])
    return rows


# ---- packet rows as the CSV writes them -----------------------------------------------------

HAS_PORTS, HAS_TTL, HAS_TCPFLAGS, TIME_CLAMPED, HAS_MAC = 0x04, 0x08, 0x80, 0x100, 0x200
PACKET_SQL = ("SELECT time_ns, sensor, proto, ip_version, hex(src), hex(dst), sport, dport, "
              "tcp_flags, ttl, len, payload, hex(src_mac), hex(dst_mac), record_flags FROM %s."
              "packets" % DB)


def addr_text(hexaddr, version):
    b = bytes.fromhex(hexaddr)
    if version == 4:
        return str(ipaddress.IPv4Address(b[12:]))
    return str(ipaddress.IPv6Address(b)) if version == 6 else ""


def mac_text(hexmac):
    return ":".join(hexmac[i:i + 2].lower() for i in range(0, 12, 2))


def as_csv(r):
    """A packets row of ClickHouse as the CSV log's columns."""
    (ns, sensor, proto, ver, src, dst, sport, dport, tflags, ttl, length, payload, smac, dmac,
     rf) = r
    ns, ver, rf, tflags = int(ns), int(ver), int(rf), int(tflags)
    sec, frac = divmod(ns, 10**9)
    t = datetime.datetime.fromtimestamp(sec, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%S") + ".%06dZ" % (frac // 1000)
    flags = "".join(c for i, c in enumerate("FSRPAUECN") if tflags >> i & 1) if (
        rf & HAS_TCPFLAGS) else ""
    flags += "~" if rf & TIME_CLAMPED else ""
    ports = rf & HAS_PORTS
    mac = rf & HAS_MAC
    return (t, sensor, proto, addr_text(src, ver), addr_text(dst, ver), sport if ports else "",
            dport if ports else "", flags, ttl if rf & HAS_TTL else "", length,
            "" if payload == "none" else payload, mac_text(smac) if mac else "",
            mac_text(dmac) if mac else "")


def compare_packets(col, ch):
    want = sorted(tuple(r) for r in nvgtest.read_packets(col.out))
    got = sorted(as_csv(r) for r in ch.rows(PACKET_SQL))
    assert len(got) == len(want), "ClickHouse %d packet rows, CSV %d" % (len(got), len(want))
    for g, w in zip(got, want):
        assert g == w, "a packet row differs:\n ClickHouse %r\n CSV        %r" % (g, w)
    return len(want)


def compare_rates(col, ch):
    want = nvgtest.read_rates(col.out)
    got = collections.Counter()
    for sec, sensor, proto, pk, by in ch.rows(
            "SELECT toUInt32(time), sensor, proto, packets, bytes FROM %s.rates" % DB):
        got[(int(sec), sensor, proto, "packets")] += int(pk)
        got[(int(sec), sensor, proto, "bytes")] += int(by)
    assert got == want, "rates differ: %d keys in ClickHouse, %d in CSV; first differences %r" % (
        len(got), len(want), [k for k in set(got) | set(want) if got[k] != want[k]][:5])
    return len(want) // 2


def compare_alerts(col, ch):
    keys = ("id", "event", "severity", "detector", "target_count", "port", "packets", "bytes",
            "count", "closed", "summary")
    want = sorted(tuple(r[k] for k in keys) for r in read_log(col.out, "alerts"))
    got = sorted(tuple(r) for r in ch.rows(
        "SELECT %s FROM %s.alerts" % (", ".join(keys), DB)))
    assert want, "no alert in the CSV log"
    assert got == want, "alerts differ:\n ClickHouse %r\n CSV        %r" % (got[:3], want[:3])
    return len(want)


def compare_flows(col, ch):
    keys = ("sensor", "id", "update", "end", "orig_packets", "orig_bytes", "resp_packets",
            "resp_bytes", "state", "history", "orig_retrans", "resp_retrans")
    want = sorted(tuple(r[k] for k in keys) for r in read_log(col.out, "flows"))
    got = sorted(tuple(r) for r in ch.rows("SELECT %s FROM %s.flows" % (", ".join(keys), DB)))
    assert len(got) == len(want), "ClickHouse %d flows, CSV %d" % (len(got), len(want))
    assert got == want, "flows differ: %r / %r" % (
        [g for g in got if g not in set(want)][:2], [w for w in want if w not in set(got)][:2])
    return len(want)


def scrape(port):
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=10) as r:
        return r.read().decode()


def metric(text, name):
    for line in text.splitlines():
        if line.startswith(name + " "):
            return int(float(line.split()[1]))
    raise AssertionError("no %s in the metrics" % name)


# ---- tests ----------------------------------------------------------------------------------

def test_e2e(work):
    ch = ClickHouse(work).start()
    r = subprocess.run([prog("netvigil-collector"), "--clickhouse", ch.url,
                        "--clickhouse-password", "x"], capture_output=True, text=True)
    assert r.returncode == 2 and "ps" in r.stderr, (r.returncode, r.stderr)
    pcap = gen_pcap(work, 100000, 21)
    mport = nvgtest.free_ports(1)[0]
    col = collector(work, ch, ["--metrics-listen", "127.0.0.1:%d" % mport])
    s = col.start_sensor("edge-1", "-r", pcap)
    assert s.wait(120) == 0, "sensor failed: see sensor-edge-1.log"
    col.run_fake("--name", "flood.2", "--records", "30000", "--syn-flood", "--eos")
    wait_for(lambda: ch_status(col)[1]["alerts"]["rows_inserted"] > 0, 30,
             "the flood's alert in ClickHouse")
    text = scrape(mport)
    col.stop()  # the last rates seconds and the alert's end go out at shutdown
    assert ch.count("packets") == 130000, ch.count("packets")
    n = compare_packets(col, ch)
    nr = compare_rates(col, ch)
    na = compare_alerts(col, ch)
    nf = compare_flows(col, ch)
    assert metric(text, 'netvigil_clickhouse_dropped_total{table="packets"}') == 0
    assert metric(text, "netvigil_clickhouse_up") == 1
    log("e2e: %d packet rows identical field by field to the CSV log, %d rates keys, %d alert "
        "events, %d conversation records equal to their CSV logs; user and password from the "
        "config file; a command-line password refused" % (n, nr, na, nf))


def test_outage(work):
    ch = ClickHouse(work).start()
    col = collector(work, ch)
    records = 400000
    fake = col.start_fake("--name", "steady", "--records", records, "--rate", "100000",
                          "--pps", "100000", "--eos", log="fake.log", merge=True)
    wait_for(lambda: ch.count("packets") > 0, 30, "the first rows in ClickHouse")
    ch.kill()
    at_kill = ch_status(col)[1]["packets"]["rows_inserted"]
    time.sleep(3)
    mid = ch_status(col)
    assert not mid[0]["connected"] and mid[1]["packets"]["rows_buffered"] > 0, mid
    ch.start()
    assert fake.wait(120) == 0, "fake sensor failed: see fake.log"
    st = settled(col)
    t = st["tables"]["packets"]
    got = ch.rows("SELECT count(), uniqExact(time_ns) FROM %s.packets" % DB)[0]
    csv_rows = len(nvgtest.read_packets(col.out))
    assert csv_rows == records, csv_rows
    assert int(got[0]) == records and int(got[1]) == records, (
        "ClickHouse holds %s rows, %s distinct, of %d" % (got[0], got[1], records))
    assert t["rows_dropped"] == 0 and t["rows_inserted"] == records, t
    assert st["insert_failures"] > 0, st
    col.stop()
    text = col.log_text()
    assert "ClickHouse" in text and "retrying with back-off" in text, "no outage logged"
    log("outage: ClickHouse SIGKILLed after %d rows, down 3 s (status: down, %d rows waiting), "
        "restarted: %d/%d rows, none twice, %d failed requests retried" % (
            at_kill, mid[1]["packets"]["rows_buffered"], int(got[0]), records,
            st["insert_failures"]))


def test_overflow(work):
    ch = ClickHouse(work)  # not started: the server is down
    mport = nvgtest.free_ports(1)[0]
    col = collector(work, ch, ["--metrics-listen", "127.0.0.1:%d" % mport],
                    ["clickhouse-buffer = 1M"])
    records = 200000
    col.run_fake("--name", "burst", "--records", records, "--pps", "50000", "--eos")
    col.run_fake("--name", "burst2", "--records", 1000, "--pps", "1000", "--eos")
    before = ch_status(col)[1]
    assert before["packets"]["rows_dropped"] > 0, before
    ch.start()
    st = settled(col)
    text = scrape(mport)
    col.stop()
    tables = st["tables"]
    counts = {}
    for name, prefix in (("packets", "packets"), ("rates", "rates")):
        in_csv = len(read_log(col.out, prefix))
        in_ch = ch.count(name)
        dropped = tables[name]["rows_dropped"]
        counts[name] = (in_ch, dropped, in_csv)
        assert in_ch + dropped == in_csv, "%s: %d in ClickHouse + %d dropped != %d in CSV" % (
            name, in_ch, dropped, in_csv)
    pk = counts["packets"]
    assert pk[0] > 0 and pk[1] > 0, pk
    assert metric(text, 'netvigil_clickhouse_dropped_total{table="packets"}') == pk[1], text
    assert "ClickHouse buffer full" in col.log_text()
    log("overflow: --clickhouse-buffer 1M with the server down: packets %d in ClickHouse + %d "
        "dropped == %d in CSV; rates %d + %d == %d; the drop logged and in /metrics" % (
            pk + counts["rates"]))


def test_retention(work):
    ch = ClickHouse(work).start()
    pcap = gen_pcap(work, 20000, 5)  # its times are of 2024-07-28
    col = collector(work, ch)
    s = col.start_sensor("old", "-r", pcap)
    assert s.wait(60) == 0
    settled(col)
    col.stop()
    old = ch.count("packets")
    parts = ch.rows("SELECT DISTINCT table, partition FROM system.parts WHERE database = '%s' "
                    "AND active" % DB)
    assert old == 20000 and parts, (old, parts)
    col = collector(work, ch, ["--clickhouse-retain", "30"])
    wait_for(lambda: ch_status(col)[0]["partitions_dropped"] >= len(parts), 30,
             "the old partitions dropped")
    assert ch.count("packets") == 0
    now = int(time.time())
    col.run_fake("--name", "today", "--records", 5000, "--start-time", now - 60, "--eos")
    settled(col)
    assert ch.count("packets") == 5000
    st = ch_status(col)[0]
    col.stop()
    log("retention: --clickhouse-retain 30 dropped %d day partition(s) of a 2024 capture "
        "(%d rows) at start; 5000 rows of today kept (%d partitions dropped in all)" % (
            len(parts), old, st["partitions_dropped"]))


def sensor_lost(proc, logfile, work):
    """The ack's write failures, from a sensor that exited on an ack counting some."""
    with open(work.path(logfile), errors="replace") as f:
        text = f.read()
    m = re.search(r"received (\d+) of (\d+) records but could not write (\d+)", text)
    assert proc.returncode != 0 and m, "sensor rc %s, no write failures in its log:\n%s" % (
        proc.returncode, text[-2000:])
    return int(m.group(1)), int(m.group(2)), int(m.group(3))


def state_lines(out):
    try:
        with open(os.path.join(out, "sensors.state")) as f:
            return f.read().splitlines()
    except FileNotFoundError:
        return []


def state_of(out, name):
    """(boot, seq, records, lost) of name in sensors.state, or None."""
    for line in state_lines(out)[1:-1]:
        f = line.split(" ")
        if len(f) == 5 and f[4] == name:
            return tuple(int(v) for v in f[:4])
    return None


def csv_logs(out):
    return sorted(f for f in os.listdir(out) if f.endswith(".csv"))


def held(sensor, seconds):
    """The sensor is still waiting for its ack after seconds."""
    try:
        sensor.wait(seconds)
    except subprocess.TimeoutExpired:
        return True
    return False


def test_no_csv(work):
    r = subprocess.run([prog("netvigil-collector"), "--no-csv", "-o", work.path("refused")],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "--no-csv needs --clickhouse" in r.stderr, (r.returncode,
                                                                           r.stderr)
    ch = ClickHouse(work).start()
    records = 50000
    pcap = gen_pcap(work, records, 33)
    mport = nvgtest.free_ports(1)[0]
    col = collector(work, ch, ["--metrics-listen", "127.0.0.1:%d" % mport], ["no-csv = true"])
    s = col.start_sensor("solo", "-r", pcap)
    assert s.wait(120) == 0, "sensor failed: see sensor-solo.log"
    at_exit = ch.count("packets", "sensor = 'solo'")  # the ack promised every row is in
    assert at_exit == records, "%d rows in ClickHouse when the sensor exited, of %d" % (
        at_exit, records)
    with open(work.path("sensor-solo.log"), errors="replace") as f:
        flows = int(re.search(r"(\d+) flow records exported", f.read()).group(1))
    flows_at_exit = ch.count("flows", "sensor = 'solo'")
    assert flows > 0 and flows_at_exit == flows, (flows, flows_at_exit)
    st = col.status()
    assert st.get("csv_off") is True and st["packets_file"] == "" and st["rates_file"] == "", st
    assert metric(scrape(mport), "netvigil_csv_enabled") == 0
    pos = wait_for(lambda: state_of(col.out, "solo"), 10, "solo's position in sensors.state")
    assert pos[2] == records and pos[3] == 0, pos
    assert not any(line.startswith("log ") for line in state_lines(col.out)), state_lines(col.out)
    logs = csv_logs(col.out)
    assert logs and all(f.startswith("audit-") for f in logs), logs
    col.stop()
    assert ch.count("rates", "sensor = 'solo'") > 0, "no rates rows"

    # Overflow: the server down, a 256K buffer. The ack waits for the rows that fit, until the
    # server is back; the others are dropped and the ack counts them.
    ch.kill()
    col = collector(work, ch, [], ["no-csv = true", "clickhouse-buffer = 256K"])
    n2 = 20000
    pcap2 = gen_pcap(work, n2, 34)
    s = col.start_sensor("late", "-r", pcap2)
    wait_for(lambda: (col.find_sensor("late") or {}).get("records_received") == n2, 60,
             "late's records at the collector")
    assert held(s, 3), "the ack went out while the rows waited for a down server"
    waiting = ch_status(col)[1]["packets"]["rows_buffered"]
    assert waiting > 0, ch_status(col)
    ch.start()
    s.wait(60)
    got, sent, lost = sensor_lost(s, "sensor-late.log", work)
    inserted = ch.count("packets", "sensor = 'late'")
    dropped = ch_status(col)[1]["packets"]["rows_dropped"]
    assert got == sent == n2 and lost > 0 and inserted + lost == n2 and dropped == lost, (
        got, sent, lost, inserted, dropped)
    col.stop()

    # Stopped while the server is down: what never reached it is in the ack (counted at the
    # end of the sink's drain), and nothing of it is in ClickHouse.
    ch.kill()
    col = collector(work, ch, [], ["no-csv = true"])
    n3 = 10000
    s = col.start_sensor("cut", "-r", gen_pcap(work, n3, 35))
    wait_for(lambda: (col.find_sensor("cut") or {}).get("records_received") == n3, 60,
             "cut's records at the collector")
    assert held(s, 2), "the ack went out while the rows waited for a down server"
    col.stop()
    s.wait(30)
    got3, sent3, lost3 = sensor_lost(s, "sensor-cut.log", work)
    ch.start()
    in3 = ch.count("packets", "sensor = 'cut'")
    assert got3 == sent3 == n3 and in3 == 0 and lost3 == n3, (got3, sent3, lost3, in3)
    pos3 = state_of(col.out, "cut")
    assert pos3 and pos3[2] == n3, pos3
    assert csv_logs(col.out) and all(f.startswith("audit-") for f in csv_logs(col.out))
    log("no-csv: refused without --clickhouse; a sensor's %d rows and %d flows all in "
        "ClickHouse when it exited 0, no CSV but the audit log, sensors.state %r with no log named, status and "
        "/metrics say CSV off; server down with a 256K buffer: ack held %d rows until it came "
        "back, then %d inserted + %d dropped == %d; stopped with the server down: %d of %d in "
        "the ack, none inserted" % (records, flows, pos, waiting, inserted, lost, n2, lost3, n3))


def run(args, work):
    server_binary()
    args.fn(work)


if __name__ == "__main__":
    sys.exit(nvgtest.main(run, "nvg-ch-", ["netvigil-collector", "netvigil-sensor",
                                           "netvigil-ctl", "nvg-fake-sensor", "nvg-gen-pcap"],
                          tests=globals()))
