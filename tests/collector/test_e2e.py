#!/usr/bin/env python3
"""End-to-end tests: the real netvigil-sensor, netvigil-collector and netvigil-ctl.

Usage: test_e2e.py --bin-dir DIR [--bin-dir DIR...] --port-base N TEST

TEST is one of the test_* functions below without the prefix. The collector of a test listens
on the fixed ports N (sensors), N+1 (feed), N+2 (control); live traffic of a test uses N+5..N+9.
CMake gives every test its own N (18xxx), so the tests run in parallel with each other and
with other suites. Every process a test starts is killed when the test ends, however it ends
(and, through PR_SET_PDEATHSIG, when the test itself is killed by ctest's timeout).

Environment:
  NVG_E2E_PACKETS   packets of the big capture in file-equality (default 1000000); the
                    sanitizer build passes a smaller number. The other tests scale from it.
  NVG_E2E_KEEP      keep the work directory (printed) instead of removing it;
                    NVG_E2E_KEEP_FAILED only when the test fails (tests/lib/nvgtest.py).
Exit status: 0 pass, 1 fail, 77 skipped (e.g. no capture rights for the live test).
"""
import collections
import csv
import hashlib
import json
import os
import random
import re
import signal
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import nvgtest  # noqa: E402
from nvgtest import COLUMNS, RATE_COLUMNS, Skip, prog, wait_for  # noqa: E402
from nvgtest import log_files, parse_iso_second, read_csv_log  # noqa: E402

PROGRAMS = ("netvigil-sensor", "netvigil-collector", "netvigil-ctl", "nvg-gen-pcap",
            "nvg-e2e-sub")
W = None         # the nvgtest.Work of the test: its processes are killed at exit
WORK = None      # its directory
PORT = None


def log(*a):
    print("[e2e %s]" % time.strftime("%H:%M:%S"), *a, flush=True)


def check_logs():
    """No ASan / UBSan / LSan report in any log of the test."""
    bad = []
    for path in W.logs():
        with open(path, "rb") as f:
            text = f.read().decode("utf-8", "replace")
        m = nvgtest.sanitizer_report(text)
        if m:
            bad.append("%s:\n%s" % (path, text[max(0, m.start() - 200):m.start() + 3000]))
    assert not bad, "sanitizer report(s):\n" + "\n".join(bad)


# ---- the programs ---------------------------------------------------------------------------

def collector(extra=()):
    """The test's collector on its fixed ports: PORT (sensors), PORT+1 (feed), PORT+2
    (control)."""
    return nvgtest.Collector(W, ports=(PORT, PORT + 1, PORT + 2), extra=extra)


def gen_pcap(path, count, seed=None, pps=None):
    args = [prog("nvg-gen-pcap"), "-o", path, "-n", count]
    if seed is not None:
        args += ["--seed", seed]
    if pps is not None:
        args += ["--pps", pps]
    subprocess.run([str(a) for a in args], check=True, timeout=600,
                   stdout=subprocess.DEVNULL)
    return path


def sensor_csv(pcap, name, out_csv, extra=()):
    """The sensor's own CSV of a capture: the reference the collector's output must equal."""
    r = W.run([prog("netvigil-sensor"), "-r", pcap, "-n", name, "--csv", out_csv] + list(extra),
              log="sensor-local-%s.log" % name, timeout=900)
    assert r.returncode == 0, "netvigil-sensor --csv exit %d (sensor-local-%s.log)" % (
        r.returncode, name)
    return out_csv


def wait_ok(p, timeout, what):
    try:
        rc = p.wait(timeout)
    except subprocess.TimeoutExpired:
        raise AssertionError("%s did not finish within %d s" % (what, timeout))
    assert rc == 0, "%s exit status %d (see its log in %s)" % (what, rc, WORK)


# ---- the collector's files ------------------------------------------------------------------

def csv_body_lines(paths):
    """The raw lines after the header of each file, in order (bytes, with their \\n)."""
    for path in paths:
        with open(path, "rb") as f:
            first = f.readline()
            if not first:
                continue
            assert first == (",".join(COLUMNS) + "\n").encode(), "%s: header %r" % (path, first)
            for line in f:
                yield line


def first_difference(a_lines, b_lines):
    for i, (a, b) in enumerate(zip(a_lines, b_lines)):
        if a != b:
            return i, a, b
    return None


def rates_from_sensor_csv(path):
    """What the rates must be: the sensor's own CSV grouped by second, sensor and proto."""
    sums = collections.Counter()
    with open(path, newline="") as f:
        r = csv.reader(f)
        assert next(r) == COLUMNS
        for row in r:
            k = (parse_iso_second(row[0]), row[1], row[2])
            sums[k + ("packets",)] += 1
            sums[k + ("bytes",)] += int(row[9])
    return sums


def diff_counters(got, want, limit=10):
    keys = sorted(set(got) | set(want))
    out = ["%r: got %s want %s" % (k, got.get(k), want.get(k)) for k in keys
           if got.get(k) != want.get(k)]
    return "%d difference(s):\n  " % len(out) + "\n  ".join(out[:limit])


def zero_loss(st, name, records, need_heartbeat=False):
    """Zero loss at every hop for a finished file sensor. The sensor's own counters (records
    sent, sensor and kernel drops) reach the collector only in its 1 s heartbeat; a file run
    that ends within its first second sends none (reported: nvg_link_finish sends no final
    SensorStatus), so those are checked only when a heartbeat arrived, or demanded with
    need_heartbeat (a run that lasted well over a second)."""
    s = [x for x in st["sensors"] if x["sensor"] == name]
    assert s, "sensor %r not in status: %r" % (name, st)
    s = s[0]
    problems = []
    if s["state"] == "unknown" and s.get("records_sent", 0) == 0:
        if need_heartbeat:
            problems.append("no SensorStatus ever received from the sensor (state unknown)")
        else:
            log("NOTE: sensor %s finished before its first heartbeat: its own counters are not "
                "in the status (known issue: no final SensorStatus at end of stream)" % name)
            s = dict(s, records_sent=records)
    for key in ("batches_lost", "link_drops", "sensor_drops", "kernel_drops", "pcap_dropped",
                "pcap_ifdropped", "write_failures", "invalid_batches"):
        if s.get(key, 0) != 0:
            problems.append("%s=%s" % (key, s.get(key)))
    if s["records_received"] != records:
        problems.append("records_received=%s (want %d)" % (s["records_received"], records))
    if s.get("records_sent") != records:
        problems.append("records_sent=%s (want %d)" % (s.get("records_sent"), records))
    assert not problems, "sensor %s: loss reported: %s\n%s" % (name, ", ".join(problems),
                                                               json.dumps(s, indent=1))
    return s


def packets_env():
    n = int(os.environ.get("NVG_E2E_PACKETS", "1000000"))
    assert n > 0
    return n


# ---- 1. file equality -----------------------------------------------------------------------

def test_file_equality():
    """netvigil-sensor -r F -c collector: the collector's packet CSV (all rotated files, in
    order, after their headers) equals the sensor's own --csv of F byte for byte, and the
    status reports zero loss at every hop."""
    n = packets_env()
    if n < 1000000:
        log("NOTE: %d packets, not 1,000,000 (NVG_E2E_PACKETS, set smaller in the sanitizer "
            "build); the plain build runs the full size" % n)
    pcap = gen_pcap(os.path.join(WORK, "big.pcap"), n, seed=1)
    log("generated %d packets (%d MB)" % (n, os.path.getsize(pcap) >> 20))
    ref = sensor_csv(pcap, "one", os.path.join(WORK, "one.csv"))

    # Rotation by size on purpose: the comparison must see the files join without a seam.
    col = collector(["--rotate-size", "8M"]).start()
    t0 = time.time()
    s = col.start_sensor("one", "-r", pcap)
    wait_ok(s, 600, "netvigil-sensor -r -c")
    dt = time.time() - t0
    log("sensor -> collector: %d records in %.2f s (%.0f records/s, including start-up)" % (
        n, dt, n / dt))
    st = col.status()
    zero_loss(st, "one", n, need_heartbeat=dt > 1.5)
    assert st["sensors"][0]["state"] in ("finished", "unknown"), st
    assert st["write_failures"] == 0 and st["rejected_messages"] == 0, st
    assert st["records_written"] == n, st
    col.stop()

    files = log_files(col.out, "packets")
    log("%d packet file(s): %s" % (len(files), ", ".join(os.path.basename(f) for f in files)))
    assert len(files) > 1 or n < 200000, "expected rotation with --rotate-size 8M"
    for f in files:  # each closed file: complete lines, header
        with open(f, "rb") as fh:
            fh.seek(0, 2)
            if fh.tell():
                fh.seek(-1, 2)
                assert fh.read(1) == b"\n", "%s ends in a torn line" % f

    h_ref, h_got = hashlib.sha256(), hashlib.sha256()
    n_ref = n_got = 0
    with open(ref, "rb") as f:
        assert f.readline() == (",".join(COLUMNS) + "\n").encode()
        for line in f:
            h_ref.update(line)
            n_ref += 1
    for line in csv_body_lines(files):
        h_got.update(line)
        n_got += 1
    assert n_ref == n, "sensor --csv has %d rows for %d packets" % (n_ref, n)
    if (n_got, h_got.digest()) != (n_ref, h_ref.digest()):
        with open(ref, "rb") as f:
            f.readline()
            d = first_difference(f, csv_body_lines(files))
        raise AssertionError("collector CSV differs from the sensor's --csv: %d vs %d rows; "
                             "first difference at body line %s" % (n_got, n_ref, d))
    log("PASS: %d rows equal byte for byte (sha256 %s), zero loss at every hop"
        % (n_got, h_got.hexdigest()[:16]))


# ---- 2. several sensors ---------------------------------------------------------------------

def test_multi_sensor():
    """Three real sensors at once, each its own capture: each one's rows all present, in its
    order, attributed to it."""
    n = max(20000, packets_env() // 5)
    names = ["s1", "s2", "s3"]
    batch = {"s1": [], "s2": ["--batch-size", "333", "--batch-ms", "5"],
             "s3": ["--batch-size", "4096"]}
    pcaps, refs = {}, {}
    for i, name in enumerate(names):
        pcaps[name] = gen_pcap(os.path.join(WORK, name + ".pcap"), n + i * 1000, seed=100 + i)
        refs[name] = sensor_csv(pcaps[name], name, os.path.join(WORK, name + ".csv"))
    col = collector().start()
    procs = {name: col.start_sensor(name, "-r", pcaps[name], *batch[name]) for name in names}
    for name, p in procs.items():
        wait_ok(p, 600, "sensor " + name)
    st = col.status()
    for i, name in enumerate(names):
        zero_loss(st, name, n + i * 1000)
    col.stop()

    got = collections.defaultdict(list)
    for path in log_files(col.out, "packets"):
        for row in read_csv_log(path, COLUMNS):
            got[row[1]].append(row)
    assert sorted(got) == names, "sensors in the CSV: %r" % sorted(got)
    for name in names:
        with open(refs[name], newline="") as f:
            r = csv.reader(f)
            next(r)
            want = list(r)
        g = got[name]
        if collections.Counter(map(tuple, g)) != collections.Counter(map(tuple, want)):
            missing = collections.Counter(map(tuple, want)) - collections.Counter(map(tuple, g))
            extra = collections.Counter(map(tuple, g)) - collections.Counter(map(tuple, want))
            raise AssertionError("sensor %s: %d rows, want %d; missing %d (e.g. %r), extra %d "
                                 "(e.g. %r)" % (name, len(g), len(want), sum(missing.values()),
                                                next(iter(missing), None), sum(extra.values()),
                                                next(iter(extra), None)))
        assert g == want, "sensor %s: the same rows, but not in capture order" % name
        log("%s: %d rows present, attributed and in order" % (name, len(g)))
    log("PASS")


# ---- 3. collector and sensor killed ---------------------------------------------------------

UDP_SENDER = r"""
import socket, sys, time
dport, sport, seconds, pps = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", sport))
n, t0, burst = 0, time.monotonic(), 10
payload = b"netvigil-e2e" * 3
while True:
    el = time.monotonic() - t0
    if el >= seconds:
        break
    ahead = n / pps - el
    if ahead > 0:
        time.sleep(ahead)
    for _ in range(burst):
        s.sendto(payload, ("127.0.0.1", dport))
        n += 1
print(n, flush=True)
"""


def udp_stream(dport, sport, seconds, pps):
    return W.spawn([sys.executable, "-c", UDP_SENDER, dport, sport, seconds, pps],
                   stdout=subprocess.PIPE)


def udp_sent(p, timeout):
    out, _ = p.communicate(timeout=timeout)
    assert p.returncode == 0, "UDP sender failed"
    return int(out.split()[0])


def live_sensor(col, name, dport, tag):
    return col.start_sensor(name, "-i", "lo", "--batch-ms", "20", "udp and dst port %d" % dport,
                            log="sensor-%s.log" % tag)


def check_capture_rights(col, dport):
    """A live sensor on lo needs CAP_NET_RAW; without it the test is skipped (77)."""
    p = live_sensor(col, "probe", dport, "probe")
    time.sleep(1.0)
    if p.poll() is not None:
        with open(os.path.join(WORK, "sensor-probe.log"), errors="replace") as f:
            text = f.read()
        if re.search(r"permission|not permitted|CAP_NET", text, re.I):
            raise Skip("no capture rights on lo: " + text.strip()[-200:])
        raise AssertionError("live sensor on lo exited (rc %s): %s" % (p.returncode, text))
    p.send_signal(signal.SIGTERM)
    wait_ok(p, 20, "probe sensor")


def test_collector_kill():
    """A live sensor on lo (BPF: a dedicated UDP port) streams to a collector. The collector is
    SIGKILLed mid-stream and started again: the sensor reconnects by itself, the loss shows as a
    sequence gap, every missing packet is explained by a counter, every closed CSV file parses.
    Then the sensor is SIGKILLed and started again: a new boot id and no false gap.

    A slow keep-alive stream (its own source port) runs all along: a live sensor on an idle
    interface never runs its link (libpcap's TPACKET_V3 poll waits without a timeout until a
    packet comes; reported), so without it the sensor would neither say hello, nor heartbeat,
    nor close its last batch."""
    dport, sport_a, sport_b, sport_k = PORT + 5, PORT + 6, PORT + 7, PORT + 8
    col = collector().start()
    check_capture_rights(col, dport)
    keep = udp_stream(dport, sport_k, 60.0, 200)

    # Phase A: stream, kill the collector in the middle, restart it.
    s1 = live_sensor(col, "live", dport, "live-1")
    wait_for(lambda: (col.find_sensor("live") or {}).get("connected"), 15,
             "the live sensor in status")
    gen = udp_stream(dport, sport_a, 6.0, 5000)
    wait_for(lambda: col.sensor("live")["records_received"] > 3000, 15, "records flowing")
    # Kill half a second after a flush (the packet file grew): ~25 batches received but not
    # yet on disk nor in sensors.state, so the restarted collector must see a gap.
    def file_size():
        return sum(os.path.getsize(p) for p in log_files(col.out, "packets"))
    size0 = file_size()
    wait_for(lambda: file_size() != size0, 5, "a flush of the packet file", interval=0.01)
    time.sleep(0.5)
    before = col.sensor("live")
    boot1 = before["boot_id"]
    log("collector 1 got %d records; SIGKILL" % before["records_received"])
    col.kill()
    time.sleep(0.7)
    col.start()
    log("collector restarted")
    wait_for(lambda: (col.find_sensor("live") or {}).get("records_received", 0) > 500, 20,
             "the sensor to reconnect and records to flow again")
    sent_a = udp_sent(gen, 30)
    # The sensor's heartbeat has handled every phase-A packet (sent, dropped or kernel-dropped).
    a = wait_for(lambda: (lambda x: x if x["records_sent"] + x["sensor_drops"] + x["kernel_drops"]
                          >= sent_a else None)(col.sensor("live")), 20,
                 "the sensor to account for all phase-A packets")
    time.sleep(1.5)  # a flush of the collector after the last phase-A batch
    a = col.sensor("live")
    assert a["boot_id"] == boot1 and a["connected"], "sensor restarted or gone? %r" % a
    lost = a["batches_lost"]
    rows_a = sum(1 for p in log_files(col.out, "packets")
                 for r in read_csv_log(p, COLUMNS) if r[5] == str(sport_a))
    log("phase A: %d packets sent; on disk %d; sensor: %d dropped while the link was down, "
        "%d kernel drops; collector: %d batch(es) lost (sequence gap)" % (
            sent_a, rows_a, a["sensor_drops"], a["kernel_drops"], lost))
    # The collector crashed with batches received but not flushed: a sequence gap, not silence.
    assert lost > 0, ("no sequence gap after SIGKILL of the collector half a second after its "
                      "last flush under a steady stream: %r" % a)
    assert rows_a < sent_a, "nothing lost although the collector was SIGKILLed? %d/%d" % (
        rows_a, sent_a)
    # Every missing packet is explained by a counter: sensor drops (link down), kernel drops,
    # or a lost batch (at most --batch-size 1024 records each; 20 ms of 5000/s here).
    unexplained = sent_a - rows_a - a["sensor_drops"] - a["kernel_drops"]
    assert unexplained <= lost * 1024, ("%d missing packets not explained by %d drops and %d "
                                       "lost batches" % (sent_a - rows_a, a["sensor_drops"], lost))

    # Phase B: SIGKILL the sensor, start it again under the same name.
    s1.kill()
    s1.wait(10)
    s2 = live_sensor(col, "live", dport, "live-2")
    wait_for(lambda: col.sensor("live")["boot_id"] != boot1 and col.sensor("live")["connected"],
             20, "the new boot id in status")
    gen = udp_stream(dport, sport_b, 3.0, 5000)
    sent_b = udp_sent(gen, 30)
    time.sleep(0.5)
    s2.send_signal(signal.SIGTERM)  # flushes its last batch
    wait_ok(s2, 20, "the restarted live sensor after SIGTERM")
    keep.kill()
    time.sleep(1.5)
    b = col.sensor("live")
    log("phase B: boot id %s -> %s, %d sent, batches lost %d" % (boot1, b["boot_id"], sent_b,
                                                                b["batches_lost"]))
    assert b["boot_id"] != boot1
    assert b["batches_lost"] == lost, "a sensor restart counted as loss: %d -> %d" % (
        lost, b["batches_lost"])
    assert b["sensor_drops"] == 0 and b["kernel_drops"] == 0, b
    col.stop()

    # Every closed file parses: header, 13 columns, no torn line; rates 5 columns.
    n_rows = collections.Counter()
    pk_files = log_files(col.out, "packets")
    assert len(pk_files) >= 2, pk_files
    for p in pk_files:
        for r in read_csv_log(p, COLUMNS):
            assert r[1] == "live" and r[2] == "UDP" and r[6] == str(dport), r
            assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$", r[0]), r
            n_rows[r[5]] += 1
    for p in log_files(col.out, "rates"):
        read_csv_log(p, RATE_COLUMNS)
    assert n_rows[str(sport_b)] == sent_b, "phase B: %d rows for %d packets" % (
        n_rows[str(sport_b)], sent_b)
    assert set(n_rows) == {str(sport_a), str(sport_b), str(sport_k)}, n_rows
    log("PASS: %d packet file(s) parse; gap of %d batch(es) after the collector crash, every "
        "missing packet counted; sensor restart: new boot id, no false gap, phase B complete "
        "(%d rows)" % (len(pk_files), lost, sent_b))


# ---- 4. rates -------------------------------------------------------------------------------

def ip_checksum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def frame_for(proto, i, extra):
    eth = b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01"
    src, dst = bytes([198, 18, 0, 1 + i % 200]), bytes([198, 19, 0, 1 + (i // 200) % 200])
    if proto == "ARP":
        body = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + eth[6:] + src + b"\0" * 6 + dst
        return eth + b"\x08\x06" + body + b"\0" * 18
    if proto == "TCP":
        l4 = struct.pack("!HHIIBBHHH", 40000 + i % 1000, 443, i, 0, 5 << 4, 0x18, 65535, 0, 0)
        ipp = 6
    elif proto == "UDP":
        l4 = struct.pack("!HHHH", 50000 + i % 1000, 53, 8 + extra, 0)
        ipp = 17
    elif proto == "ICMP":
        l4 = struct.pack("!BBHHH", 8, 0, 0, 1, i & 0xffff)
        ipp = 1
    else:  # "IPv4": GRE, no decoder above IP
        l4 = b"\0\0\x08\x00"
        ipp = 47
    l4 += b"\xab" * extra
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), i & 0xffff, 0, 64, ipp, 0, src, dst)
    hdr = hdr[:10] + struct.pack("!H", ip_checksum(hdr)) + hdr[12:]
    return eth + b"\x08\x00" + hdr + l4


def test_rates():
    """Rates CSV against known per-second counts: (a) a crafted capture whose counts per
    second and protocol are chosen here (including empty seconds and a second with one
    packet); (b) a generated capture (nvg-gen-pcap --pps) with the expectation computed from the
    sensor's own --csv. Summed over rows with the same time, sensor and proto, packets and
    bytes must match exactly."""
    # (a) crafted: second offset -> {proto: count}
    plan = {0: {"TCP": 1000, "UDP": 250, "ICMP": 7, "ARP": 3, "IPv4": 2},
            1: {"TCP": 2500},
            2: {"UDP": 1},
            4: {"ICMP": 300, "TCP": 12345},  # second 3 has no packet at all
            5: {"ARP": 1, "UDP": 4321, "IPv4": 11},
            9: {"TCP": 1}}
    t0 = 1700000000
    pkts, want = [], collections.Counter()
    i = 0
    for sec, counts in sorted(plan.items()):
        total = sum(counts.values())
        order = [p for p, c in sorted(counts.items()) for _ in range(c)]
        # interleave the protocols (deterministically), spread over the second up to .999999
        random.Random(sec).shuffle(order)
        for k, proto in enumerate(order):
            frame = frame_for(proto, i, i % 37)
            ts = (t0 + sec) * 1000000 + (k * 999999) // max(1, total - 1)
            pkts.append((ts, frame))
            want[(t0 + sec, "crafted", proto, "packets")] += 1
            want[(t0 + sec, "crafted", proto, "bytes")] += len(frame)
            i += 1
    crafted = os.path.join(WORK, "crafted.pcap")
    nvgtest.write_pcap(crafted, pkts)
    ref_c = sensor_csv(crafted, "crafted", os.path.join(WORK, "crafted.csv"))
    from_csv = rates_from_sensor_csv(ref_c)
    assert from_csv == want, "the sensor decodes the crafted capture differently than " \
        "planned: " + diff_counters(from_csv, want)

    # (b) generated, 20000 packets per second on average over a known span
    n = max(50000, packets_env() // 5)
    gen = gen_pcap(os.path.join(WORK, "gen.pcap"), n, seed=7, pps=20000)
    ref_g = sensor_csv(gen, "generated", os.path.join(WORK, "generated.csv"))
    want_g = rates_from_sensor_csv(ref_g)

    col = collector().start()
    for pcap, name in ((crafted, "crafted"), (gen, "generated")):
        wait_ok(col.start_sensor(name, "-r", pcap, "--batch-size", "333"), 300, "sensor " + name)
    st = col.status()
    zero_loss(st, "crafted", len(pkts))
    zero_loss(st, "generated", n)
    col.stop()
    got = nvgtest.read_rates(col.out)
    got_c = collections.Counter({k: v for k, v in got.items() if k[1] == "crafted"})
    got_g = collections.Counter({k: v for k, v in got.items() if k[1] == "generated"})
    assert got_c == want, "crafted capture: " + diff_counters(got_c, want)
    assert got_g == want_g, "generated capture: " + diff_counters(got_g, want_g)
    log("PASS: crafted %d (second, proto) cells over %d packets; generated %d cells over %d "
        "packets, %d seconds" % (len(want) // 2, len(pkts), len(want_g) // 2, n,
                                 len({k[0] for k in want_g})))


# ---- 5. live feed ---------------------------------------------------------------------------

def text_lines(pcap, name):
    """(csv row, text line) pairs from the sensor's own --csv and --print of one run."""
    csv_path = os.path.join(WORK, name + "-feed.csv")
    r = W.run([prog("netvigil-sensor"), "-r", pcap, "-n", name, "--csv", csv_path, "--print"],
              stdout=subprocess.PIPE, log="sensor-local-print.log", timeout=300)
    assert r.returncode == 0
    lines = r.stdout.decode().splitlines()
    with open(csv_path, newline="") as f:
        rows = list(csv.reader(f))[1:]
    assert len(rows) == len(lines), "--csv %d rows, --print %d lines" % (len(rows), len(lines))
    return rows, lines


def test_feed():
    """The live feed carries records, rates and status to subscribers (nvg-e2e-sub, which
    decodes every topic; netvigil-ctl tail; netvigil-ctl rates; netvigil-ctl status), and
    `netvigil-ctl tail --proto udp --port 53` prints exactly the matching packets of a real
    sensor run."""
    n = max(20000, packets_env() // 20)
    pcap = gen_pcap(os.path.join(WORK, "feed.pcap"), n, seed=5, pps=20000)
    rows, lines = text_lines(pcap, "feedy")
    want_tail = [l for r, l in zip(rows, lines)
                 if r[2] == "UDP" and (r[5] == "53" or r[6] == "53")]
    want_all = len(rows)
    assert want_tail, "the generated capture has no UDP port 53"
    want_rates = rates_from_sensor_csv(os.path.join(WORK, "feedy-feed.csv"))

    # Every record must reach every subscriber here, so each gets the feed's high-water mark of
    # a 1 GiB budget (128 messages) rather than the default's 32: at the collector's rate 32
    # batches are ~16 ms, and a subscriber descheduled that long on a loaded 2-core machine
    # loses one (by design, counted through feed_offset).
    col = collector(["--memory-budget", "1G"]).start()
    sub = W.spawn([prog("nvg-e2e-sub"), col.feed_ep, 120], stdout=subprocess.PIPE, log="sub.log")
    tail = W.spawn(col.ctl_args("tail", "--proto", "udp", "--port", "53"),
                   stdout=open(os.path.join(WORK, "tail.out"), "wb"), log="tail.log")
    tail_all = W.spawn(col.ctl_args("tail", "--sensor", "feedy", "--count", want_all),
                       stdout=open(os.path.join(WORK, "tail-all.out"), "wb"), log="tail-all.log")
    rates = W.spawn(col.ctl_args("rates"), stdout=open(os.path.join(WORK, "rates.out"), "wb"),
                    log="rates.log")
    # The subscription is live once a status message (published every second) arrived.
    seen = []
    deadline = time.time() + 15
    while time.time() < deadline:
        line = sub.stdout.readline().decode()
        assert line, "nvg-e2e-sub ended early"
        seen.append(line.split())
        if line.startswith("status-end"):
            break
    else:
        raise AssertionError("no status message on the feed within 15 s")
    time.sleep(1.0)  # ctl's SUB sockets connected at the same time; give them the same margin

    wait_ok(col.start_sensor("feedy", "-r", pcap, "--batch-size", "512"), 300, "sensor feedy")
    zero_loss(col.status(), "feedy", want_all)
    wait_ok(tail_all, 20, "netvigil-ctl tail --count %d" % want_all)

    # Read the subscriber until a status says every record was received, then a bit more.
    recs = collections.Counter()
    rates_feed = collections.Counter()
    status_ok = False
    deadline = time.time() + 20
    while time.time() < deadline and not status_ok:
        line = sub.stdout.readline().decode()
        if not line:
            break
        f = line.split()
        if f[0] == "rec":
            recs[f[1]] += int(f[2])
        elif f[0] == "rate":
            rates_feed[(int(f[1]), f[2], f[3], "packets")] += int(f[4])
            rates_feed[(int(f[1]), f[2], f[3], "bytes")] += int(f[5])
        elif f[0] == "status" and f[1] == "feedy" and int(f[2]) == want_all:
            status_ok = True
        assert f[0] != "bad", line
    time.sleep(1.0)
    for p in (tail, rates, sub):
        p.send_signal(signal.SIGINT)
    for p, what in ((tail, "tail"), (rates, "rates"), (sub, "nvg-e2e-sub")):
        try:
            rc = p.wait(10)
        except subprocess.TimeoutExpired:
            raise AssertionError("%s did not stop on SIGINT" % what)
        assert rc == 0, "%s exit %d" % (what, rc)
    rest = sub.stdout.read().decode().splitlines()
    for line in rest:
        f = line.split()
        if f and f[0] == "rate":
            rates_feed[(int(f[1]), f[2], f[3], "packets")] += int(f[4])
            rates_feed[(int(f[1]), f[2], f[3], "bytes")] += int(f[5])
        elif f and f[0] == "rec":
            recs[f[1]] += int(f[2])
    col.stop()

    assert status_ok, "no status on the feed showing %d records of feedy" % want_all
    assert recs == {"feedy": want_all}, "records on the feed: %r, want %d" % (recs, want_all)
    assert rates_feed == want_rates, "rates on the feed: " + diff_counters(rates_feed,
                                                                            want_rates)
    with open(os.path.join(WORK, "tail.out")) as f:
        got_tail = f.read().splitlines()
    with open(os.path.join(WORK, "tail-all.out")) as f:
        got_all = f.read().splitlines()
    assert len(got_all) == want_all, "tail (all): %d lines, want %d" % (len(got_all), want_all)

    # tail's text line: the sensor's --print line, with the sensor name somewhere in it.
    def norm(line):
        return line.replace(" feedy ", " ", 1) if " feedy " in line else line
    got_n = [norm(l) for l in got_tail]
    if got_n != want_tail:
        extra = collections.Counter(got_n) - collections.Counter(want_tail)
        missing = collections.Counter(want_tail) - collections.Counter(got_n)
        raise AssertionError("tail --proto udp --port 53: %d lines, want %d; extra %r; missing "
                             "%r; first got %r want %r" % (
                                 len(got_n), len(want_tail), list(extra)[:3], list(missing)[:3],
                                 got_tail[:1], want_tail[:1]))
    with open(os.path.join(WORK, "rates.out")) as f:
        rl = f.read().splitlines()
    ctl_rates = collections.Counter()
    for l in rl:
        m = re.match(r"^(\S+Z) (\S+) (\S+) packets=(\d+) bytes=(\d+)$", l)
        assert m, "netvigil-ctl rates line %r" % l
        k = (parse_iso_second(m.group(1)), m.group(2), m.group(3))
        ctl_rates[k + ("packets",)] += int(m.group(4))
        ctl_rates[k + ("bytes",)] += int(m.group(5))
    assert ctl_rates == want_rates, "netvigil-ctl rates: " + diff_counters(ctl_rates, want_rates)
    log("PASS: feed: %d records, %d rate cells, status; tail --proto udp --port 53: %d of %d "
        "lines, exactly the matching ones; ctl rates exact" % (
            want_all, len(want_rates) // 2, len(got_tail), want_all))


# ---- main -----------------------------------------------------------------------------------

def run(args, work):
    global W, WORK, PORT
    W, WORK, PORT = work, work.dir, args.port_base
    log("%s: work dir %s, ports %d..%d" % (args.test, WORK, PORT, PORT + 9))
    args.fn()
    work.kill_all()
    check_logs()


if __name__ == "__main__":
    sys.exit(nvgtest.main(run, "nvg-e2e-", PROGRAMS, tests=globals(),
                          add_args=lambda ap: ap.add_argument("--port-base", type=int,
                                                              required=True),
                          keep=bool(os.environ.get("NVG_E2E_KEEP")),
                          keep_failed=bool(os.environ.get("NVG_E2E_KEEP_FAILED"))))
