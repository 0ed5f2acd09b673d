#!/usr/bin/env python3
"""pcap extraction (issue 15, item 5), end to end in network namespaces of its own: a sensor
with --pcap-ring captures one end of a veth pair while `tcpdump -w` (nanosecond stamps)
captures the same interface; bounded traffic comes from the other end (ping, and hping3 when
installed). A collector with keys (sensor, viewer and admin key pairs) carries the extraction.

- wrap: a first burst of large frames is more than the ring holds (it wraps), then, more than
  10 s later, the traffic that is compared.
- extract: `netvigil-ctl pcap SENSOR --last 10s -f EXPR -o F` with the admin key: the frames
  of F are tcpdump's frames of that span (as the reply names it) that EXPR matches: same
  times, lengths and bytes, frame for frame (our own parse of both files, and tshark's
  frame.time_epoch / frame.len fields); capinfos / tshark read F and show the sensor's name
  (section comment, application, interface name).
- viewer key: refused (exit 5, "not allowed"), no file left behind.
- cap: the whole span without a filter is over the collector's --pcap-max: refused with the
  size and the cap in the message.
- audit: every extraction is a row of the audit log (who, sensor, filter, bytes, span).

Usage: test_pcap.py --bin-dir DIR... run; needs root, ip(8), tcpdump and tshark, else 77.
Bounded (every wait has a timeout); the namespaces are removed on every exit path."""
import csv
import glob
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import time
from decimal import Decimal

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import nvgtest  # noqa: E402
from nvgtest import prog  # noqa: E402

PROGRAMS = ("netvigil-sensor", "netvigil-collector", "netvigil-ctl")
NS = "nvg-pcap-%d" % os.getpid()
PEER = "nvg-pcap-%dp" % os.getpid()
A4, B4 = "198.18.235.1", "198.18.235.2"
NAME = "pcap1"
RING = 256 * 1024
CAP = 96 * 1024
EXPR = "udp or icmp[icmptype] == icmp-echo"


def sh(*args, check=True, timeout=30):
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, check=check,
                          timeout=timeout)


def in_ns(*args, ns=NS):
    return ["ip", "netns", "exec", ns] + [str(a) for a in args]


def keys(work):
    d = work.path("keys")
    for sub in ("sensors", "viewers", "admins"):
        os.makedirs(os.path.join(d, sub), exist_ok=True)
    for name, sub in (("collector", None), (NAME, "sensors"), ("v1", "viewers"),
                      ("a1", "admins")):
        sh(prog("netvigil-ctl"), "keygen", name, "--out", d)
        if sub:
            os.rename(os.path.join(d, name + ".key"), os.path.join(d, sub, name + ".key"))
    return d


class NsCollector(nvgtest.Collector):
    """The harness's collector inside the namespace, with keys; ctl as admin by default."""

    def __init__(self, work, kdir, cap=CAP, **kw):
        super().__init__(work, **kw)
        self.kdir = kdir
        self.cap = cap
        self.as_key = "a1"

    def start(self, timeout=15):
        args = in_ns(prog("netvigil-collector"), "-o", self.out, "--sensor-port", self.ports[0],
                     "--feed-port", self.ports[1], "--control-port", self.ports[2],
                     "--keys", self.kdir, "--pcap-max", self.cap)
        self.proc = self.work.spawn(args, log=self.log)
        nvgtest.wait_for(lambda: self.proc.poll() is not None or self.status(300, check=False),
                         timeout, "the collector to answer status")
        return self

    def ctl_args(self, *args):
        key = os.path.join(self.kdir, self.as_key + ".key_secret")
        return in_ns(prog("netvigil-ctl"), "--key", key, "--collector-key",
                     os.path.join(self.kdir, "collector.key"),
                     *super().ctl_args(*args)[1:])


def ping(size, count, interval="0.01"):
    r = subprocess.run(in_ns("ping", "-n", "-q", "-c", count, "-i", interval, "-W", "2", "-s",
                             size, A4, ns=PEER), capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, "ping failed: %s %s" % (r.stdout, r.stderr)


def hping_udp(count):
    if not shutil.which("hping3"):
        return 0
    subprocess.run(in_ns("hping3", "--udp", "-p", "5353", "-d", "60", "-c", count, "-i",
                         "u20000", A4, ns=PEER), capture_output=True, timeout=60)
    return count


def read_pcap(path):
    """[(ts_ns, wirelen, bytes)] of a classic pcap with nanosecond stamps (tcpdump's)."""
    data = open(path, "rb").read()
    magic = data[:4]
    assert magic in (b"\x4d\x3c\xb2\xa1", b"\xd4\xc3\xb2\xa1"), "not little-endian pcap"
    nano = magic == b"\x4d\x3c\xb2\xa1"
    out, off = [], 24
    while off + 16 <= len(data):
        sec, frac, incl, orig = struct.unpack("<IIII", data[off:off + 16])
        out.append((sec * 10**9 + (frac if nano else frac * 1000), orig,
                    data[off + 16:off + 16 + incl]))
        off += 16 + incl
    return out


def read_pcapng(path):
    """(section options, interface options, [(ts_ns, wirelen, bytes)]) of our pcapng."""
    data = open(path, "rb").read()
    off, frames, shb, idb = 0, [], {}, {}
    while off + 12 <= len(data):
        btype, blen = struct.unpack("<II", data[off:off + 8])
        body = data[off + 8:off + blen - 4]
        if btype == 0x0A0D0D0A:
            shb = options(body[16:])
        elif btype == 1:
            idb = options(body[8:])
            idb["linktype"] = struct.unpack("<H", body[:2])[0]
        elif btype == 6:
            _, hi, lo, cap, wire = struct.unpack("<IIIII", body[:20])
            frames.append(((hi << 32) | lo, wire, body[20:20 + cap]))
        off += blen
    assert off == len(data), "trailing bytes in %s" % path
    return shb, idb, frames


def options(b):
    out, off = {}, 0
    while off + 4 <= len(b):
        code, ln = struct.unpack("<HH", b[off:off + 4])
        if code == 0:
            break
        out[code] = b[off + 4:off + 4 + ln]
        off += 4 + ((ln + 3) & ~3)
    return out


def tshark_fields(path):
    r = sh("tshark", "-r", path, "-T", "fields", "-e", "frame.time_epoch", "-e", "frame.len")
    return [(Decimal(t), int(n)) for t, n in (ln.split("\t") for ln in r.stdout.splitlines())]


def audit_rows(col):
    rows = []
    for f in sorted(glob.glob(os.path.join(col.out, "audit-*.csv"))):
        with open(f, newline="") as fh:
            rows += [r for r in csv.DictReader(fh) if r["command"].startswith("pcap")]
    return rows


def start_capture(work, kdir, col, ring):
    """tcpdump and the sensor (with a ring of ring bytes) on vp0; returns tcpdump."""
    tcpdump = work.spawn(in_ns("tcpdump", "-i", "vp0", "-n", "-U", "-w", work.path("td.pcap"),
                               "--time-stamp-precision=nano", "-s", "262144"),
                         log="tcpdump.log")
    nvgtest.wait_for(lambda: "listening on" in open(work.path("tcpdump.log")).read(), 10,
                     "tcpdump to listen")
    work.spawn(in_ns(prog("netvigil-sensor"), "-i", "vp0", "-n", NAME, "-c", col.sensor_ep,
                     "--key", os.path.join(kdir, NAME + ".key_secret"), "--collector-key",
                     os.path.join(kdir, "collector.key"), "--pcap-ring", ring, "--batch-ms", 20,
                     "--seccomp", "kill"), log="sensor.log")
    nvgtest.wait_for(lambda: (col.find_sensor(NAME) or {}).get("state") == "running", 15,
                     "the sensor to run")
    return tcpdump


def stop_tcpdump(work, tcpdump):
    """tcpdump stops reading at SIGTERM: first let it write what its buffer still holds (its
    file stops growing), or a loaded machine leaves frames out of it."""
    size, t0 = -1, time.time()
    while size != os.path.getsize(work.path("td.pcap")) and time.time() - t0 < 10:
        size = os.path.getsize(work.path("td.pcap"))
        time.sleep(0.5)
    tcpdump.terminate()
    tcpdump.wait(10)


def same_as_tcpdump(work, out, summary, expr=None, held_only=False):
    """The extraction out equals tcpdump's frames of its span (and expr); returns them. With
    held_only, the span starts at the oldest frame the ring still held (it wrapped inside the
    span asked for)."""
    td = work.path("td.pcap")
    if expr:
        sh("tcpdump", "-r", td, "-w", work.path("td-f.pcap"), expr)
        td = work.path("td-f.pcap")
    shb, idb, got = read_pcapng(out)
    lo, hi = summary["from_ns"], summary["to_ns"]
    if held_only and got:
        lo = got[0][0]
    want = [f for f in read_pcap(td) if lo // 1000 <= f[0] // 1000 <= hi // 1000]
    assert summary["frames"] == len(got) and summary["bytes"] == os.path.getsize(out), summary
    assert len(got) == len(want), "%d frames extracted, tcpdump has %d" % (len(got), len(want))
    # tcpdump's stamps come with whole microseconds here (its socket's), ours with the
    # nanoseconds the kernel gave the sensor: equal to the microsecond.
    for i, (g, w) in enumerate(zip(got, want)):
        assert (g[0] // 1000, g[1], g[2]) == (w[0] // 1000, w[1], w[2]), "frame %d differs: ours (%d, %d, %d bytes), tcpdump's (%d, %d, %d)" % (
            i, g[0], g[1], len(g[2]), w[0], w[1], len(w[2]))
    return shb, idb, got, want, td


def test_chunks(work):
    """An extraction of several 1 MiB chunks: 3,000 frames of 1,442 bytes into a 4 MiB ring,
    the whole ring fetched in one `netvigil-ctl pcap` (about four chunks, each checked and
    appended in order) equals tcpdump's frames of the span."""
    kdir = keys(work)
    col = NsCollector(work, kdir, cap=64 << 20).start()
    tcpdump = start_capture(work, kdir, col, 4 << 20)
    ping(1400, 1500, "0.002")
    time.sleep(0.5)
    out = work.path("chunks.pcapng")
    r = col.ctl("--json", "pcap", NAME, "--last", "60s", "-o", out)
    assert r.returncode == 0, "pcap failed (%d): %s %s" % (r.returncode, r.stdout, r.stderr)
    summary = json.loads(r.stdout)
    stop_tcpdump(work, tcpdump)
    assert summary["bytes"] > 3 << 20, "%d bytes: not several 1 MiB chunks" % summary["bytes"]
    _, _, got, _, _ = same_as_tcpdump(work, out, summary, held_only=True)
    assert len(got) > 2500, "%d frames: the ring held fewer than it can" % len(got)
    print("ok   %d frames (%d bytes, %d chunks of 1 MiB) equal tcpdump's for the span" %
          (len(got), summary["bytes"], (summary["bytes"] + (1 << 20) - 1) >> 20), flush=True)


def test_run(work):
    kdir = keys(work)
    col = NsCollector(work, kdir).start()
    tcpdump = start_capture(work, kdir, col, RING)

    ping(1400, 150)  # 300 frames of 1442 bytes: more than the ring holds
    time.sleep(11)   # out of the "last 10 s" that follow
    t_traffic = time.time()
    ping(100, 60, "0.02")
    udp = hping_udp(40)
    time.sleep(0.5)
    print("ok   traffic: 300 large frames (wrap), then 120 ICMP + %d UDP frames" % udp,
          flush=True)

    out = work.path("x.pcapng")
    r = col.ctl("--json", "pcap", NAME, "--last", "10s", "-f", EXPR, "-o", out)
    assert r.returncode == 0, "pcap failed (%d): %s %s" % (r.returncode, r.stdout, r.stderr)
    summary = json.loads(r.stdout)
    print("ok   extracted: %s" % r.stdout.strip(), flush=True)
    assert os.stat(out).st_mode & 0o077 == 0, "the file is readable by others"
    stop_tcpdump(work, tcpdump)

    # tcpdump's frames of the span that EXPR matches
    shb, idb, got, want, _ = same_as_tcpdump(work, out, summary, EXPR)
    lo, hi = summary["from_ns"], summary["to_ns"]
    assert len(want) >= 60 + udp, "tcpdump saw %d frames in the span" % len(want)
    assert t_traffic * 1e9 > lo, "the span reaches back into the wrap burst"
    print("ok   %d frames equal tcpdump's for the span and filter (time, length, bytes)" %
          len(got), flush=True)

    us = Decimal("0.000001")
    ours = [(t.quantize(us, rounding="ROUND_DOWN"), n) for t, n in tshark_fields(out)]
    theirs = [(t.quantize(us, rounding="ROUND_DOWN"), n)
              for t, n in tshark_fields(work.path("td-f.pcap"))
              if lo // 1000 <= int(t * 10**6) <= hi // 1000]
    assert ours == theirs, "tshark fields differ:\n%s\n%s" % (ours[:5], theirs[:5])
    print("ok   tshark frame.time_epoch / frame.len agree on %d frames" % len(ours), flush=True)

    ci = sh("capinfos", out).stdout
    assert ("sensor %s" % NAME) in ci and "vp0" in ci, ci
    assert NAME.encode() in shb.get(4, b"") and idb.get(2) == b"vp0" and idb["linktype"] == 1
    names = sh("tshark", "-r", out, "-T", "fields", "-e", "frame.interface_name",
               "-c", "1").stdout.strip()
    assert names == "vp0", names
    print("ok   capinfos: %s" % " | ".join(ln.strip() for ln in ci.splitlines()
                                              if "sensor" in ln), flush=True)

    col.as_key = "v1"
    denied = work.path("denied.pcapng")
    r = col.ctl("pcap", NAME, "--last", "10s", "-o", denied)
    assert r.returncode == 5 and "not allowed" in r.stderr, r
    assert not os.path.exists(denied) and not os.path.exists(denied + ".part")
    print("ok   viewer key refused: %s" % r.stderr.strip(), flush=True)

    col.as_key = "a1"
    big = work.path("big.pcapng")
    r = col.ctl("pcap", NAME, "--last", "60s", "-o", big)
    assert r.returncode == 1 and "too large" in r.stderr and str(CAP) in r.stderr, r
    assert not os.path.exists(big) and not os.path.exists(big + ".part")
    # The ring holds fewer frames than were sent in those 60 s: it wrapped.
    held = int(re.search(r"\((\d+) frames\)", r.stderr).group(1))
    assert held < 300 + 120 + udp, "the ring did not wrap (%d frames held)" % held
    print("ok   over the cap refused: %s" % r.stderr.strip(), flush=True)

    rows = audit_rows(col)
    ok = [x for x in rows if x["outcome"].startswith("ok:")]
    assert len(ok) == 1 and ok[0]["sensor"] == NAME and ok[0]["filter"] == EXPR, rows
    assert ("%d bytes" % summary["bytes"]) in ok[0]["outcome"] and "a1" in ok[0]["requester"]
    assert any("too large" in x["outcome"] for x in rows), rows
    assert any("not allowed" in x["outcome"] and "v1" in x["requester"] for x in rows), rows
    print("ok   audit: %s" % ok[0]["outcome"], flush=True)


def run(args, work):
    if os.geteuid() != 0:
        raise nvgtest.Skip("needs root (network namespaces, capture)")
    for tool in ("ip", "tcpdump", "tshark", "capinfos"):
        if not shutil.which(tool):
            raise nvgtest.Skip("needs %s" % tool)
    try:
        sh("ip", "netns", "add", NS)
        sh("ip", "netns", "add", PEER)
        sh(*in_ns("ip", "link", "set", "lo", "up"))
        sh(*in_ns("ip", "link", "add", "vp0", "type", "veth", "peer", "name", "vp1", "netns",
                  PEER))
        sh(*in_ns("ip", "addr", "add", A4 + "/30", "dev", "vp0"))
        sh(*in_ns("ip", "link", "set", "vp0", "up"))
        sh(*in_ns("ip", "addr", "add", B4 + "/30", "dev", "vp1", ns=PEER))
        sh(*in_ns("ip", "link", "set", "vp1", "up", ns=PEER))
    except (subprocess.CalledProcessError, FileNotFoundError) as e:
        sh("ip", "netns", "del", NS, check=False)
        sh("ip", "netns", "del", PEER, check=False)
        raise nvgtest.Skip("cannot create a network namespace: %s" % e)
    try:
        args.fn(work)
        work.stop_all()
    finally:
        work.kill_all()
        sh("ip", "netns", "del", NS, check=False)
        sh("ip", "netns", "del", PEER, check=False)


if __name__ == "__main__":
    sys.exit(nvgtest.main(run, "nvg-pcap-", PROGRAMS, tests=globals()))
