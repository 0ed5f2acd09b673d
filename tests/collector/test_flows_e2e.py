#!/usr/bin/env python3
"""Conversation records end to end (issue 12): a real netvigil-sensor reads a generated capture
(nvg-gen-pcap) into a real collector, and flows-*.csv must equal, row for row, what the same
sensor writes offline with `--flows FILE` (the sensor column is the same name in both). The
collector's status counts every flow taken (flows_received) and the sensor's own heartbeat
counts them exported (flows_exported), nothing refused, missing or dropped.

Skips (77) with a sensor that has no flow table (`--flows` not in its --help).

Usage: test_flows_e2e.py --bin-dir DIR [--bin-dir DIR...]
"""
import csv
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import nvgtest  # noqa: E402
from nvgtest import prog  # noqa: E402

PACKETS = 100000


def read_rows(paths):
    rows = []
    header = None
    for p in paths:
        with open(p, newline="") as f:
            r = list(csv.reader(f, strict=True))
        assert r, "%s is empty" % p
        header = header or r[0]
        assert r[0] == header, "%s: header %r" % (p, r[0])
        rows.extend(r[1:])
    return header, rows


def run(args, work):
    helptext = subprocess.run([prog("netvigil-sensor"), "--help"], capture_output=True,
                              text=True).stdout
    if "--flows" not in helptext:
        raise nvgtest.Skip("this netvigil-sensor has no flow table (--flows)")
    pcap = work.path("gen.pcap")
    subprocess.run([prog("nvg-gen-pcap"), "-o", pcap, "-n", str(PACKETS), "--seed", "12"],
                   check=True)
    own = work.path("own-flows.csv")
    r = work.run([prog("netvigil-sensor"), "-r", pcap, "-n", "e2e", "--flows", own],
                 log="sensor-offline.log")
    assert r.returncode == 0, "offline sensor failed"

    col = nvgtest.Collector(work).start()
    s = col.start_sensor("e2e", "-r", pcap)
    assert s.wait(120) == 0, "sensor -c failed:\n" + open(work.path("sensor-e2e.log")).read()
    st = col.sensor("e2e")
    col.stop()

    header, want = read_rows([own])
    got_header, got = read_rows(nvgtest.log_files(col.out, "flows"))
    assert got_header == header, "headers differ: %r / %r" % (got_header, header)
    assert len(want) > 1000, "only %d conversations in the capture" % len(want)
    assert len(got) == len(want), "collector %d rows, sensor %d" % (len(got), len(want))
    for i, (g, w) in enumerate(zip(got, want)):
        assert g == w, "row %d differs:\n collector %r\n sensor    %r" % (i + 1, g, w)
    assert st["flows_received"] == len(want), st
    assert st["flows_exported"] == len(want), st
    assert st["flows_refused"] == 0 and st["flows_missing"] == 0 and st["flows_dropped"] == 0, st
    print("flows-e2e: %d conversation records, collector's flows-*.csv == the sensor's --flows "
          "row for row; status flows_received = flows_exported = %d" % (len(want), len(want)),
          flush=True)


if __name__ == "__main__":
    sys.exit(nvgtest.main(run, "nvg-flows-e2e-", ["netvigil-sensor", "netvigil-collector",
                                                  "netvigil-ctl", "nvg-gen-pcap"]))
