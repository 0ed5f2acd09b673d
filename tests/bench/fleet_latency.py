#!/usr/bin/env python3
"""Capture-to-CSV latency of the collector's packet log while a fleet streams (bench-fleet.sh).

Every 100 ms, the rows that appeared in the newest packets-*.csv since the last look are
sampled at 32 evenly spaced offsets; a sampled row's latency is now minus its capture time
(nvg-fleet stamps records with the wall clock as it makes them). A row became visible at some
point since the previous look, so a latency is over-stated by at most the 100 ms interval.
Reading a few hundred bytes per look keeps the sampler off the two cores the collector and
the fleet need. Runs until SIGTERM, then prints p50, p99 and max in milliseconds.

Usage: fleet_latency.py OUT_DIR"""
import datetime
import glob
import os
import signal
import sys
import time

SAMPLES, INTERVAL = 32, 0.1
stop = False


def on_term(*_):
    global stop
    stop = True


def capture_time(line):
    stamp = line.split(b",", 1)[0].decode()
    return datetime.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()


def main():
    out = sys.argv[1]
    signal.signal(signal.SIGTERM, on_term)
    seen = {}  # path -> bytes already looked at
    lat = []
    while not stop:
        time.sleep(INTERVAL)
        files = sorted(glob.glob(os.path.join(out, "packets-*.csv")))
        if not files:
            continue
        path = files[-1]
        size = os.path.getsize(path)
        start = seen.get(path, 0)
        seen[path] = size
        if size - start < 200:
            continue
        now = time.time()
        with open(path, "rb") as f:
            for k in range(SAMPLES):
                f.seek(start + (size - start) * k // SAMPLES)
                f.readline()  # to the next row start
                line = f.readline()
                if line.endswith(b"\n") and not line.startswith(b"time,"):
                    try:
                        lat.append(now - capture_time(line))
                    except ValueError:
                        pass
    lat.sort()
    if not lat:
        print("latency: no samples")
        return
    q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] * 1000  # noqa: E731
    print("latency capture->CSV: p50 %.0f ms, p99 %.0f ms, max %.0f ms (%d samples)" % (
        q(0.5), q(0.99), lat[-1] * 1000, len(lat)))


if __name__ == "__main__":
    main()
