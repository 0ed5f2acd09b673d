#!/usr/bin/env python3
"""The sensor's disk spool across a collector outage (issue 14, item 3). In a network namespace
of its own: the collector on its loopback, a live sensor with --spool capturing one end of a
veth pair (started as root: it drops to nobody, seccomp kill), and flood pings (bounded count)
from a second namespace at the other end. IPv6 is off and the neighbours are static, so the
only frames on the wire are the pings: none is in flight when the collector is killed.

  outage    collector SIGKILLed for 10 s and restarted on the same ports and out dir; pings
            before, during and right after the outage: the CSV holds exactly the packets the
            sensor processed (its final log line), no duplicates, no batch lost, and every
            batch spooled was replayed
  overflow  a spool smaller than the outage: rows + spool_dropped == processed, and the spool's
            drops are the sensor's drops (records_dropped)
  torn      the sensor SIGKILLed with a full spool while the collector is down, the last
            segment then cut in the middle of its last batch (what a kill mid-write leaves):
            the restarted sensor cuts the torn batch and counts it, replays the rest under the
            boot id it was written with, then its own: rows == what the spool held intact +
            rows before the outage + processed by the second run, no batch lost

Usage: test_spool.py --bin-dir DIR... TEST; needs root and ip(8), else exit 77. Bounded (every
wait has a timeout); the namespaces are removed on every exit path."""
import glob
import os
import re
import signal
import struct
import subprocess
import sys
import time
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import nvgtest  # noqa: E402
from nvgtest import prog  # noqa: E402

PROGRAMS = ("netvigil-sensor", "netvigil-collector", "netvigil-ctl")
NS = "nvg-spool-%d" % os.getpid()
PEER = "nvg-spool-%dp" % os.getpid()
A4, B4 = "198.18.235.1", "198.18.235.2"
MAC_A, MAC_B = "02:00:5e:35:00:01", "02:00:5e:35:00:02"
NAME = "spool1"
OUTAGE_S = 10.0


def sh(*args, check=True):
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, check=check,
                          timeout=20)


def in_ns(*args, ns=NS):
    return ["ip", "netns", "exec", ns] + [str(a) for a in args]


def make_namespaces():
    for ns in (NS, PEER):
        sh("ip", "netns", "add", ns)
        sh(*in_ns("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", ns=ns))
        sh(*in_ns("sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1", ns=ns))
        sh(*in_ns("ip", "link", "set", "lo", "up", ns=ns))
    sh(*in_ns("ip", "link", "add", "sp0", "address", MAC_A, "type", "veth", "peer", "name", "sp1",
              "address", MAC_B, "netns", PEER))
    sh(*in_ns("ip", "addr", "add", A4 + "/30", "dev", "sp0"))
    sh(*in_ns("ip", "addr", "add", B4 + "/30", "dev", "sp1", ns=PEER))
    # Static neighbours: no ARP at some moment of the kernel's choosing.
    sh(*in_ns("ip", "neigh", "replace", B4, "lladdr", MAC_B, "dev", "sp0", "nud", "permanent"))
    sh(*in_ns("ip", "neigh", "replace", A4, "lladdr", MAC_A, "dev", "sp1", "nud", "permanent",
              ns=PEER))
    sh(*in_ns("ip", "link", "set", "sp0", "up"))
    sh(*in_ns("ip", "link", "set", "sp1", "up", ns=PEER))


def flood(count):
    """count echo requests from sp1 to sp0's address, answered: 2 * count frames on sp0."""
    r = subprocess.run(in_ns("ping", "-n", "-q", "-f", "-c", count, "-W", "1", A4, ns=PEER),
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, "ping failed: %s %s" % (r.stdout, r.stderr)


class NsCollector(nvgtest.Collector):
    """The harness's collector inside the namespace (its own loopback), ctl inside it too."""

    def start(self, timeout=15):
        args = in_ns(prog("netvigil-collector"), "-o", self.out, "--sensor-port", self.ports[0],
                     "--feed-port", self.ports[1], "--control-port", self.ports[2])
        self.proc = self.work.spawn(args, log=self.log)
        nvgtest.wait_for(lambda: self.proc.poll() is not None or self.status(300, check=False),
                         timeout, "the collector to answer status")
        assert self.proc.poll() is None, "collector exited at start, see %s" % self.log
        return self

    def ctl_args(self, *args):
        return in_ns(*super().ctl_args(*args))


def start_sensor(work, col, spool, *extra, log="sensor.log"):
    return work.spawn(in_ns(prog("netvigil-sensor"), "-i", "sp0", "-n", NAME, "-c", col.sensor_ep,
                            "--batch-ms", "20", "--batch-size", "128", "--seccomp", "kill",
                            "--spool", spool, *extra),
                      log=log)


def state(col):
    st = col.status(1000, check=False)
    return (col.find_sensor(NAME, st) if st else None) or {}


def rows(col):
    return [r for r in nvgtest.read_packets(col.out, empty_ok=True) if r[1] == NAME]


def log_text(work, name="sensor.log"):
    with open(work.path(name), errors="replace") as f:
        return f.read()


def processed(work, name="sensor.log"):
    m = re.findall(r"(\d+) packets processed", log_text(work, name))
    assert m, "no final count in %s" % name
    return int(m[-1])


def spool_line(work, name="sensor.log"):
    m = re.findall(r"spool \S+: (\d+) batches spooled, (\d+) replayed, (\d+) batches \((\d+) "
                   r"records, \d+ bytes\) left for the next start, (\d+) records dropped \(no "
                   r"room\), (\d+) batches cut", log_text(work, name))
    assert m, "no spool summary in %s" % name
    return dict(zip(("spooled", "replayed", "left", "left_records", "dropped", "cut"),
                    (int(x) for x in m[-1])))


def settle(col, want_rows, what):
    """Waits until the CSV holds want_rows rows of the sensor, then a flush more (so that the
    collector's state names them too)."""
    nvgtest.wait_for(lambda: len(rows(col)) >= want_rows, 15, what)
    time.sleep(1.5)
    got = len(rows(col))
    assert got == want_rows, "%s: %d rows, expected %d" % (what, got, want_rows)


def before_outage(work, col, spool, *extra):
    sensor = start_sensor(work, col, spool, *extra)
    nvgtest.wait_for(lambda: state(col).get("state") == "running", 10, "the sensor to run")
    nvgtest.wait_for(lambda: "running as user" in log_text(work), 5, "the privilege drop")
    flood(300)
    settle(col, 600, "the traffic before the outage in the CSV")
    col.kill()
    time.sleep(0.5)  # the sensor sees the connection go
    return sensor


def finish(work, sensor, col, log="sensor.log"):
    """Waits for the spool to drain, stops the sensor and then the collector; returns the
    sensor's last status as the collector had it, and the rows."""
    nvgtest.wait_for(lambda: (lambda s: s.get("spool_batches") == 0 and
                              s.get("replayed_total", 0) > 0)(state(col)), 30,
                     "the spool to be replayed")
    sensor.terminate()
    assert sensor.wait(15) == 0, "sensor exit status after SIGTERM"
    report = nvgtest.sanitizer_report(log_text(work, log))
    assert not report, "sanitizer report in %s: %s" % (log, report)
    n = processed(work, log)
    nvgtest.wait_for(lambda: state(col).get("records_sent") == state(col).get("boot_records_received"),
                     10, "the collector to hold the sensor's last records")
    s = state(col)
    col.stop()
    # In sequence order, each batch once: the collector saw no gap and nothing go back.
    text = col.log_text()
    assert "lost before seq" not in text and "replayed or reordered" not in text, text[-3000:]
    got = rows(col)
    assert len(set(tuple(r) for r in got)) == len(got), "duplicate rows in the CSV"
    return s, got, n


def test_outage(work, spool):
    col = NsCollector(work).start()
    sensor = before_outage(work, col, spool)
    t0 = time.monotonic()
    flood(1500)  # during the outage: spooled
    time.sleep(max(0.0, OUTAGE_S - (time.monotonic() - t0)))
    col.start()
    flood(500)  # while the spool replays: behind it
    s, got, n = finish(work, sensor, col)
    summary = spool_line(work)
    print("ok   %d rows, %d processed; spooled %d, replayed %d; status %s" % (
        len(got), n, summary["spooled"], summary["replayed"],
        {k: s[k] for k in ("spool_batches", "spooled_total", "replayed_total", "spool_dropped",
                           "link_drops", "sensor_drops", "kernel_drops")}), flush=True)
    assert len(got) == n == 2 * (300 + 1500 + 500), (len(got), n)
    assert s["link_drops"] == 0 and s["sensor_drops"] == 0 and s["spool_dropped"] == 0, s
    assert summary["spooled"] > 0 and summary["replayed"] == summary["spooled"], summary
    assert summary["left"] == 0 and summary["dropped"] == 0 and summary["cut"] == 0, summary


def test_overflow(work, spool):
    col = NsCollector(work).start()
    sensor = before_outage(work, col, spool, "--spool-size", "96K")
    flood(3000)  # ~6000 records: several times the spool
    time.sleep(OUTAGE_S - 2)
    col.start()
    s, got, n = finish(work, sensor, col)
    summary = spool_line(work)
    print("ok   %d rows + %d dropped (spool full) = %d processed; status spool_dropped %d, "
          "sensor_drops %d" % (len(got), summary["dropped"], n, s["spool_dropped"],
                               s["sensor_drops"]), flush=True)
    assert summary["dropped"] > 0, summary
    assert len(got) + summary["dropped"] == n, (len(got), summary, n)
    assert s["spool_dropped"] == summary["dropped"] == s["sensor_drops"], s
    assert s["link_drops"] == 0, s


def spool_frames(path):
    """(offset, length, records) of each intact frame of a segment file, as the sensor writes
    them (sensor/spool.h), CRCs checked."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:8] == b"NVGSPOOL", path
    out, off = [], 128
    while off + 24 <= len(data):
        length, crc, _seq, records, _flows = struct.unpack_from("<IIQII", data, off)
        payload = data[off + 24:off + 24 + length]
        if len(payload) < length or zlib.crc32(data[off + 8:off + 24] + payload) != crc:
            break
        out.append((off, length, records))
        off += 24 + length
    return out


def test_torn(work, spool):
    col = NsCollector(work).start()
    sensor = before_outage(work, col, spool)
    flood(1000)
    time.sleep(1.0)  # every batch closed and written (each tick writes what is staged)
    sensor.send_signal(signal.SIGKILL)
    sensor.wait(5)
    segs = sorted(glob.glob(os.path.join(spool, "seg-*.nvgspool")))
    assert segs, "no segment in %s" % spool
    frames = spool_frames(segs[-1])
    assert len(frames) >= 2, frames
    off, length, _ = frames[-1]
    os.truncate(segs[-1], off + 24 + length // 2)  # torn in the middle of its last batch
    intact = sum(r for p in segs[:-1] for _, _, r in spool_frames(p)) + sum(
        r for _, _, r in frames[:-1])
    print("ok   spool of %d segment(s) torn: %d records intact, %d in the torn batch" % (
        len(segs), intact, frames[-1][2]), flush=True)
    sensor = start_sensor(work, col, spool, log="sensor2.log")
    nvgtest.wait_for(lambda: "from earlier runs to replay" in log_text(work, "sensor2.log"), 10,
                     "the restarted sensor to open its spool")
    text = log_text(work, "sensor2.log")
    assert "ends in a torn batch" in text and "1 torn or damaged batches cut" in text, text
    col.start()
    flood(400)
    s, got, n = finish(work, sensor, col, log="sensor2.log")
    print("ok   %d rows = 600 before + %d intact + %d processed after the restart; status %s" % (
        len(got), intact, n, {k: s[k] for k in ("spool_cut", "replayed_total", "link_drops")}),
        flush=True)
    assert s["spool_cut"] == 1, s
    assert len(got) == 600 + intact + n, (len(got), intact, n)
    assert s["link_drops"] == 0, s
    assert "replaying spooled batches of boot id" in log_text(work, "sensor2.log")


def run(args, work):
    if os.geteuid() != 0:
        raise nvgtest.Skip("needs root (network namespaces, privilege drop)")
    try:
        make_namespaces()
    except (subprocess.CalledProcessError, FileNotFoundError) as e:
        sh("ip", "netns", "del", NS, check=False)
        sh("ip", "netns", "del", PEER, check=False)
        raise nvgtest.Skip("cannot create network namespaces: %s" % e)
    try:
        os.chmod(work.dir, 0o711)  # the sensor, once nobody, reaches its spool below it
        args.fn(work, work.path("spool"))
        work.stop_all()
    finally:
        work.kill_all()
        sh("ip", "netns", "del", NS, check=False)
        sh("ip", "netns", "del", PEER, check=False)


if __name__ == "__main__":
    sys.exit(nvgtest.main(run, "nvg-spool-", PROGRAMS, tests=globals()))
