#!/usr/bin/python3
"""flow-oracle: netvigil-sensor's conversation records against tshark 4.0 (issue 12).

For every capture in the shared corpus (MANIFEST.tsv) and for generated chaotic ones
(tcpgen.py), `netvigil-sensor -r F --flows out.csv` is compared per conversation with tshark:

  * TCP, per tcp.stream (tshark starts a new stream when a SYN reuses the ports, so do we):
    frames each way as `-z conv,tcp` prints them; bytes each way as the sum of frame.len of the
    stream's frames (tshark 4.0's conversation table rounds bytes to kB, so the exact figure is
    taken from the frames it counts); per direction the number of frames tshark marks
    tcp.analysis.retransmission, out_of_order, duplicate_ack, zero_window, window_full; the
    handshake RTT against tcp.analysis.initial_rtt to the nanosecond.
  * UDP, per address/port pair (ours summed over records: an idle timeout splits what tshark
    keeps as one): frames each way from `-z conv,udp`, bytes from frame.len.

Any disagreement fails, except those in INTENDED (README "Conversations" gives the reasons).
Exit 77 when tshark is missing; the corpus part is skipped (with the reason printed) when the
folder is absent."""
import argparse
import csv
import decimal
import os
import re
import shutil
import subprocess
import sys
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tcpgen  # noqa: E402

MAX_BYTES = 2_000_000  # corpus files larger than this are skipped (bounded run time)
DIRS = ("orig", "resp")
COUNTERS = [("retrans", "tcp.analysis.retransmission"), ("ooo", "tcp.analysis.out_of_order"),
            ("dup_ack", "tcp.analysis.duplicate_ack"), ("zero_window", "tcp.analysis.zero_window"),
            ("window_full", "tcp.analysis.window_full")]
# (what, reason): disagreements of these kinds are reported but do not fail the test.
INTENDED = {
    "invalid-timestamps": "timestamp_invalid_*.pcap hold fractions of a second out of range; "
                          "the sensor clamps them (issue 10, tests/sensor/ORACLE.md), tshark "
                          "carries them over, so times and RTT differ",
    "rtt-without-synack": "tshark's initial RTT needs only a SYN and an ACK; ours is the sum of "
                          "the two halves, so it needs the SYN/ACK before that ACK too",
}


def run(cmd, **kw):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


FIELDS = ["frame.number", "tcp.stream", "udp.stream", "ip.src", "ipv6.src", "tcp.srcport",
          "udp.srcport", "ip.dst", "ipv6.dst", "tcp.dstport", "udp.dstport", "frame.len",
          "frame.protocols", "tcp.flags.str"] + [c[1] for c in COUNTERS] + [
          "tcp.analysis.initial_rtt"]
PREFS = ["-o", "ip.defragment:FALSE", "-o", "ipv6.defragment:FALSE"]
_cache = {}


def quoted_by_icmp(r, proto):
    """A header quoted by an ICMP error (icmp before tcp/udp in frame.protocols)."""
    layers = r["frame.protocols"].split(":")
    first = next((i for i, x in enumerate(layers) if x in ("icmp", "icmpv6")), None)
    return first is not None and proto in layers and first < layers.index(proto)


def tshark_frames(path, proto):
    """The frames of TCP or UDP (one tshark run per file for both, cached)."""
    if path not in _cache:
        cmd = ["tshark", "-n", "-r", path] + PREFS + ["-Y", "tcp or udp", "-T", "fields", "-E",
                                                      "occurrence=f"]
        for x in FIELDS:
            cmd += ["-e", x]
        rows = []
        for line in run(cmd).stdout.splitlines():
            v = line.split("\t")
            rows.append(dict(zip(FIELDS, v + [""] * (len(FIELDS) - len(v)))))
        _cache[path] = rows
    return [r for r in _cache[path] if r[f"{proto}.stream"] and not quoted_by_icmp(r, proto)]


def tshark_conv(path, proto):
    """(endpoint A, endpoint B, frames B->A, frames A->B), in order of appearance; one tshark
    run per file for both tables, cached."""
    key = (path, "conv")
    if key not in _cache:
        out = run(["tshark", "-n", "-r", path] + PREFS + ["-q", "-z", "conv,tcp", "-z",
                                                          "conv,udp"]).stdout
        tables, cur = {"TCP": [], "UDP": []}, None
        for line in out.splitlines():
            m = re.match(r"^(TCP|UDP) Conversations", line)
            if m:
                cur = tables[m.group(1)]
                continue
            m = re.match(r"^(\S+)\s+<->\s+(\S+)\s+(\d+)\s+\S+\s+\S+\s+(\d+)\s", line)
            if m and cur is not None:
                cur.append((m.group(1), m.group(2), int(m.group(3)), int(m.group(4))))
        _cache[key] = tables
    return _cache[key][proto.upper()]


def endpoint(addr, port):
    return f"[{addr}]:{port}" if ":" in addr else f"{addr}:{port}"


def ours(csv_path):
    with open(csv_path, newline="") as f:
        return [r for r in csv.DictReader(f) if r["end"] != "active"]


def rtt_ns(text, unit):
    return None if text == "" else int(decimal.Decimal(text) * unit)


class Report:
    def __init__(self, name):
        self.name, self.bad, self.intended, self.checked = name, [], [], 0

    def check(self, what, conv, a, b, kind=None):
        self.checked += 1
        if a == b:
            return
        line = f"{self.name}: {conv}: {what}: ours {a} tshark {b}"
        (self.intended if kind in INTENDED else self.bad).append(line)


def tcp_streams(rows):
    streams = defaultdict(lambda: {"frames": [], "rtt": ""})
    for r in rows:
        s = streams[int(r["tcp.stream"])]
        s["frames"].append(r)
        if r["tcp.analysis.initial_rtt"] and not s["rtt"]:
            s["rtt"] = r["tcp.analysis.initial_rtt"]
    return streams


def frame_src(r):
    return endpoint(r["ip.src"] or r["ipv6.src"], r["tcp.srcport"])


def compare_tcp(rep, path, mine):
    streams = tcp_streams(tshark_frames(path, "tcp"))
    by_pair = defaultdict(list)
    for sid in sorted(streams):
        fr = streams[sid]["frames"]
        r0 = fr[0]
        a = frame_src(r0)
        b = endpoint(r0["ip.dst"] or r0["ipv6.dst"], r0["tcp.dstport"])
        by_pair[frozenset((a, b))].append(sid)
    ourpairs = defaultdict(list)
    for r in mine:
        if r["proto"] == "TCP" and r["orig_port"]:
            o, p = endpoint(r["orig"], r["orig_port"]), endpoint(r["resp"], r["resp_port"])
            ourpairs[frozenset((o, p))].append(r)
    for pair in set(by_pair) | set(ourpairs):
        sids, recs = by_pair.get(pair, []), sorted(ourpairs.get(pair, []), key=lambda r: r["first"])
        name = " <-> ".join(sorted(pair))
        rep.check("conversations", name, len(recs), len(sids))
        for sid, rec in zip(sids, recs):
            compare_stream(rep, f"{name} stream {sid}", streams[sid], rec)


def compare_stream(rep, name, s, rec):
    orig = endpoint(rec["orig"], rec["orig_port"])
    tot = {d: defaultdict(int) for d in DIRS}
    for r in s["frames"]:
        d = tot["orig" if frame_src(r) == orig else "resp"]
        d["packets"] += 1
        d["bytes"] += int(r["frame.len"])
        for ours_name, field in COUNTERS:
            if r[field]:
                d[ours_name] += 1
    for d in DIRS:
        rep.check(f"{d} packets", name, int(rec[f"{d}_packets"]), tot[d]["packets"])
        rep.check(f"{d} bytes", name, int(rec[f"{d}_bytes"]), tot[d]["bytes"])
        for c, _ in COUNTERS:
            rep.check(f"{d} {c}", name, int(rec[f"{d}_{c}"]), tot[d][c])
    mine, theirs = rtt_ns(rec["rtt_us"], 1000), rtt_ns(s["rtt"], 10**9)
    kind = None
    if mine is None and theirs is not None:
        first_rtt = next(i for i, r in enumerate(s["frames"]) if r["tcp.analysis.initial_rtt"])
        synack = [i for i, r in enumerate(s["frames"][:first_rtt]) if r["tcp.flags.str"][-2:] == "S·"
                  and "A" in r["tcp.flags.str"]]
        kind = None if synack else "rtt-without-synack"
    if rep.name.startswith("timestamp_invalid_"):
        kind = "invalid-timestamps"
    rep.check("initial rtt (ns)", name, mine, theirs, kind)


def compare_udp(rep, path, mine):
    rows = tshark_frames(path, "udp")
    theirs = defaultdict(lambda: defaultdict(int))
    for r in rows:
        src = endpoint(r["ip.src"] or r["ipv6.src"], r["udp.srcport"])
        dst = endpoint(r["ip.dst"] or r["ipv6.dst"], r["udp.dstport"])
        theirs[frozenset((src, dst))][(src, "packets")] += 1
        theirs[frozenset((src, dst))][(src, "bytes")] += int(r["frame.len"])
    conv = {frozenset((a, b)): (a, b, ba, ab) for a, b, ba, ab in tshark_conv(path, "udp")}
    mine_by = defaultdict(lambda: defaultdict(int))
    for r in mine:
        if r["proto"] == "UDP" and r["orig_port"]:
            o, p = endpoint(r["orig"], r["orig_port"]), endpoint(r["resp"], r["resp_port"])
            for d, ep in (("orig", o), ("resp", p)):
                mine_by[frozenset((o, p))][(ep, "packets")] += int(r[f"{d}_packets"])
                mine_by[frozenset((o, p))][(ep, "bytes")] += int(r[f"{d}_bytes"])
    for pair in set(theirs) | set(mine_by):
        name = " <-> ".join(sorted(pair))
        for ep in sorted(pair):
            for k in ("packets", "bytes"):
                rep.check(f"from {ep} {k}", name, mine_by[pair][(ep, k)], theirs[pair][(ep, k)])
        if pair in conv:  # the conversation table's frame counts, as it prints them
            a, b, ba, ab = conv[pair]
            rep.check(f"conv,udp frames {a}->{b}", name, mine_by[pair][(a, "packets")], ab)
            rep.check(f"conv,udp frames {b}->{a}", name, mine_by[pair][(b, "packets")], ba)


def compare_tcp_conv(rep, path, mine):
    """Frame counts of -z conv,tcp, conversation by conversation in stream order."""
    pairs = defaultdict(list)
    for a, b, ba, ab in tshark_conv(path, "tcp"):
        pairs[frozenset((a, b))].append((a, b, ba, ab))
    ourpairs = defaultdict(list)
    for r in mine:
        if r["proto"] == "TCP" and r["orig_port"]:
            o, p = endpoint(r["orig"], r["orig_port"]), endpoint(r["resp"], r["resp_port"])
            ourpairs[frozenset((o, p))].append(r)
    for pair, convs in pairs.items():
        recs = sorted(ourpairs.get(pair, []), key=lambda r: r["first"])
        for (a, b, ba, ab), rec in zip(convs, recs):
            o = endpoint(rec["orig"], rec["orig_port"])
            mine_ab = int(rec["orig_packets" if o == a else "resp_packets"])
            mine_ba = int(rec["resp_packets" if o == a else "orig_packets"])
            rep.check(f"conv,tcp frames {a}->{b}", f"{a} <-> {b}", mine_ab, ab)
            rep.check(f"conv,tcp frames {b}->{a}", f"{a} <-> {b}", mine_ba, ba)


def one_file(sensor, path, work, name):
    rep = Report(name)
    out = os.path.join(work, name + ".flows.csv")
    p = run([sensor, "-r", path, "--flows", out, "-n", "oracle", "--flow-active-timeout", "0",
             "--user", "root", "--seccomp", "off"])
    if p.returncode < 0 or "Sanitizer" in p.stderr or "runtime error" in p.stderr:
        rep.bad.append(f"{name}: sensor died or sanitizer report: {p.stderr[-2000:]}")
        return rep
    if not os.path.exists(out):
        return rep  # a file the sensor refuses (and says so): nothing to compare
    mine = ours(out)
    compare_tcp(rep, path, mine)
    compare_tcp_conv(rep, path, mine)
    compare_udp(rep, path, mine)
    return rep


def corpus_files(corpus):
    manifest = os.path.join(corpus, "MANIFEST.tsv")
    with open(manifest) as f:
        names = [line.split("\t")[0] for line in f.read().splitlines()[1:] if line]
    for n in names:
        p = os.path.join(corpus, n)
        if os.path.exists(p) and os.path.getsize(p) <= MAX_BYTES:
            yield n, p


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sensor", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--corpus")
    ap.add_argument("--generated", type=int, default=6, help="chaotic captures to generate")
    a = ap.parse_args()
    if not shutil.which("tshark"):
        print("SKIP: tshark not found")
        return 77
    os.makedirs(a.workdir, exist_ok=True)
    files = []
    if a.corpus and os.path.isfile(os.path.join(a.corpus, "MANIFEST.tsv")):
        files += list(corpus_files(a.corpus))
    else:
        print(f"corpus skipped: no MANIFEST.tsv in {a.corpus}")
    for i in range(a.generated):
        p = os.path.join(a.workdir, f"chaotic-{i}.pcap")
        tcpgen.chaotic(p, seed=1000 + i, v6=(i % 2 == 1))
        files.append((f"chaotic-{i}.pcap", p))
    bad = intended = checked = 0
    for name, path in files:
        rep = one_file(a.sensor, path, a.workdir, name)
        for line in rep.bad[:20]:
            print("DISAGREE", line)
        for line in rep.intended[:5]:
            print("intended", line)
        print(f"{name}: {rep.checked} checks, {len(rep.bad)} disagreements, "
              f"{len(rep.intended)} intended differences")
        bad += len(rep.bad)
        intended += len(rep.intended)
        checked += rep.checked
    for k, why in INTENDED.items():
        print(f"intended difference {k}: {why}")
    print(f"flow-oracle: {len(files)} files, {checked} checks, {bad} disagreements, "
          f"{intended} intended")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
