#!/usr/bin/python3
"""flow-syn-flood: 20,000 SYNs from random sources through a 1,024-conversation table, with one
real transfer in the middle of them. The real conversation must come out whole (one record,
end=fin, state SF, every one of its packets), the flood as evicted records, and the sensor
must say how many it evicted: the table stays usable because unanswered SYNs go first."""
import argparse
import csv
import os
import struct
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tcpgen  # noqa: E402

REAL = {("10.0.0.1", "33333"), ("10.9.9.9", "80")}


def real_packets(path):
    n = 0
    with open(path, "rb") as f:
        f.read(24)
        while True:
            h = f.read(16)
            if len(h) < 16:
                return n
            _, _, incl, _ = struct.unpack("<IIII", h)
            d = f.read(incl)
            src, dst = d[26:30], d[30:34]
            sp, dp = struct.unpack("!HH", d[34:38])
            if {(src, sp), (dst, dp)} == {(bytes([10, 0, 0, 1]), 33333), (bytes([10, 9, 9, 9]), 80)}:
                n += 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sensor", required=True)
    ap.add_argument("--workdir", required=True)
    a = ap.parse_args()
    os.makedirs(a.workdir, exist_ok=True)
    pcap = os.path.join(a.workdir, "flood.pcap")
    out = os.path.join(a.workdir, "flood.flows.csv")
    syns = 20000
    tcpgen.syn_flood(pcap, seed=7, syns=syns)
    p = subprocess.run([a.sensor, "-r", pcap, "--flows", out, "--flow-table", "1024",
                        "--user", "root", "--seccomp", "off"],
                       stderr=subprocess.PIPE, text=True, timeout=50)
    print(p.stderr.strip())
    assert p.returncode == 0, p.returncode
    rows = list(csv.DictReader(open(out, newline="")))
    real = [r for r in rows if {(r["orig"], r["orig_port"]), (r["resp"], r["resp_port"])} == REAL]
    evicted = [r for r in rows if r["end"] == "evicted"]
    want = real_packets(pcap)
    print(f"{len(rows)} records, {len(evicted)} evicted, real conversation: "
          + (", ".join(f"{r['end']} {r['state']} {r['history']} "
                       f"{int(r['orig_packets']) + int(r['resp_packets'])} packets" for r in real)))
    assert len(real) == 1, f"the real conversation is in {len(real)} records"
    r = real[0]
    assert r["end"] == "fin" and r["state"] == "SF", (r["end"], r["state"])
    assert int(r["orig_packets"]) + int(r["resp_packets"]) == want, want
    assert all(e["state"] == "S0" for e in evicted), "only unanswered SYNs are evicted"
    assert len(evicted) >= syns + 2000 - 1024, len(evicted)
    assert len(rows) == syns + 2000 + 1, len(rows)  # every SYN is reported: evicted or stopped
    assert f"{len(evicted)} evicted early" in p.stderr
    print("flow-syn-flood: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
