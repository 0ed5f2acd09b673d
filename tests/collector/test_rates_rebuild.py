#!/usr/bin/env python3
"""The rates log is crash-consistent with the packet log (issue 10, item 5).

Fake sensors stream while the collector is SIGKILLed mid-stream, several times; each restart
rebuilds the rates rows the kill left out from the packet log's tail. At the end, for every
sensor, second and protocol:

    rates packets (rows with the same key summed) == rows in the packet log
    rates bytes == the sum of their len column

exactly, apart from what status reports as rate_records_lost (which must then account for the
whole difference); status' rate_records_rebuilt must be > 0 (the kills did cut rates rows) and
the rows rebuilt must not count anything twice (no key with more rates than packet rows).

Usage: test_rates_rebuild.py --bin-dir DIR [--bin-dir DIR...] [--seed N] [--kills N]
"""
import collections
import os
import random
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import nvgtest  # noqa: E402

PROGRAMS = ("netvigil-collector", "netvigil-ctl", "nvg-fake-sensor")
SENSORS = 2
BATCH = 500
RECORDS = 400000   # per sensor: far more than the kills let through
RATE = 20000       # records per wall second per sensor
PPS = 1000         # capture time: 20 record seconds per wall second

_REBUILT = re.compile(r"rates rebuilt from the packet log: (\d+) record\(s\) in (\d+) row\(s\); "
                      r"(\d+) record\(s\) lost")


def packet_counts(out_dir):
    pk, by = collections.Counter(), collections.Counter()
    for r in nvgtest.read_packets(out_dir):
        k = (nvgtest.parse_iso_second(r[0]), r[1], r[2])
        pk[k] += 1
        by[k] += int(r[9])
    return pk, by


def run(args, work):
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1, 1 << 31)
    rng = random.Random(seed)
    print("seed %d, %d kills" % (seed, args.kills))
    col = nvgtest.Collector(work).start()
    rebuilt_status = lost_status = 0  # summed over the restarts (each process counts its own)
    for k in range(args.kills):
        # A new stream each round (its own capture seconds), killed in the middle.
        sensor = col.start_fake("--name", "rb%d" % k, "--parallel", SENSORS, "--records",
                                RECORDS, "--batch", BATCH, "--pps", PPS, "--start-time",
                                1700000000 + k * 100000, "--rate", RATE, "--no-check",
                                "--timeout-ms", "3000", stdout=subprocess.DEVNULL)
        time.sleep(rng.uniform(1.2, 2.5))
        col.stop(signal.SIGKILL)
        sensor.kill()
        sensor.wait(10)
        col.start()
        st = col.status()
        rebuilt_status += st["rate_records_rebuilt"]
        lost_status += st["rate_records_lost"]
        print("kill %d: status after the restart: rate_records_rebuilt=%d rate_records_lost=%d"
              % (k + 1, st["rate_records_rebuilt"], st["rate_records_lost"]))
    col.stop()
    log = col.log_text()
    runs = [tuple(int(x) for x in m.groups()) for m in _REBUILT.finditer(log)]
    assert len(runs) >= 1, "no restart rebuilt anything: the kills did not cut rates rows\n" + log
    total_rebuilt = sum(r[0] for r in runs)
    total_lost = sum(r[2] for r in runs)
    print("rebuilds: %r (records, rows, lost)" % runs)
    assert total_rebuilt > 0
    assert (rebuilt_status, lost_status) == (total_rebuilt, total_lost), \
        "status says %d rebuilt, %d lost; the log %d, %d" % (rebuilt_status, lost_status,
                                                             total_rebuilt, total_lost)

    pk, by = packet_counts(col.out)
    rates = nvgtest.read_rates(col.out)
    assert pk, "no packet rows at all"
    short = 0
    for key in sorted(set(pk) | {k[:3] for k in rates}):
        have_pk, have_by = rates[key + ("packets",)], rates[key + ("bytes",)]
        assert have_pk <= pk[key], "%r: %d rates packets for %d rows: counted twice" % (
            key, have_pk, pk[key])
        if have_pk < pk[key]:
            short += pk[key] - have_pk
            print("short: %r rates %d, rows %d" % (key, have_pk, pk[key]))
        elif have_by != by[key]:
            raise AssertionError("%r: rates bytes %d, rows' len sum %d" % (key, have_by, by[key]))
    per = collections.Counter()
    for (sec, sensor, proto), n in pk.items():
        per[(sensor, proto)] += n
    for (sensor, proto), n in sorted(per.items()):
        r = sum(v for (s, se, pr, what), v in rates.items()
                if se == sensor and pr == proto and what == "packets")
        print("%s %s: %d rows, %d in rates" % (sensor, proto, n, r))
    assert short == total_lost, "%d records without rates rows, %d counted lost" % (
        short, total_lost)
    print("ok rates-rebuild: %d records rebuilt across %d kills, %d lost, %d packet rows"
          % (total_rebuilt, args.kills, total_lost, sum(pk.values())))


def options(ap):
    ap.add_argument("--seed", type=int, default=int(os.environ.get("NVG_TEST_SEED", "0")) or None)
    ap.add_argument("--kills", type=int, default=3)


if __name__ == "__main__":
    sys.exit(nvgtest.main(run, "nvg-rebuild-", PROGRAMS, add_args=options))
