#!/usr/bin/env python3
"""Exact loss accounting across collector crashes.

Several fake sensors stream fixed-size batches while the collector is SIGKILLed at random
moments and restarted, several times. Afterwards, for every sensor:

    rows in the packet CSV files + batches_lost * batch size == records sent

exactly: nothing is lost silently (rows missing without a gap) and nothing is counted twice
(rows present for batches counted as lost). Stronger still, every batch is either wholly in
the log, once, or wholly absent, and the absent ones are exactly the batches counted lost.

Usage: test_crash_accounting.py --bin-dir DIR [--bin-dir DIR...] [--seed N] [--kills N]
(the collector, the fake sensors and the log readers come from tests/lib/nvgtest.py).
NVG_TEST_SEED in the environment also sets the seed; the seed is printed so a failure can be
replayed.
"""
import calendar
import os
import random
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import nvgtest  # noqa: E402

PROGRAMS = ("netvigil-collector", "netvigil-ctl", "nvg-fake-sensor")

SENSORS = 3
BATCH = 500
BATCHES = 480                 # per sensor
RECORDS = BATCH * BATCHES     # per sensor
RATE = 20000                  # records per wall second per sensor: about 12 s of stream, so that
                              # five kills and slow restarts (ASan, a loaded machine) fit in it
START_S = 1700000000          # fake sensor defaults: capture time of record i is
PPS = 1000                    # START_S + i / PPS seconds


def record_index(t, cache={}):
    """Record number from the time column ("2023-11-14T22:13:20.123000Z")."""
    sec = cache.get(t[:19])
    if sec is None:
        sec = cache[t[:19]] = calendar.timegm(time.strptime(t[:19], "%Y-%m-%dT%H:%M:%S"))
    us = int(t[20:26])
    return ((sec - START_S) * 1000000 + us) * PPS // 1000000


def run(args, work):
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1, 1 << 31)
    kills = args.kills
    rng = random.Random(seed)
    print("seed %d, %d kills" % (seed, kills))
    col = nvgtest.Collector(work).start()
    sensor = col.start_fake("--name", "cr", "--parallel", SENSORS, "--records", RECORDS,
                            "--batch", BATCH, "--pps", PPS, "--start-time", START_S, "--rate",
                            RATE, "--eos", "--no-check", "--timeout-ms", "60000",
                            stdout=subprocess.PIPE, text=True)
    for k in range(kills):
        time.sleep(rng.uniform(0.15, 1.0))
        assert sensor.poll() is None, "the stream ended before kill %d: make it longer" % k
        col.stop(signal.SIGKILL)
        time.sleep(rng.uniform(0.0, 0.3))
        col.start()
    assert sensor.poll() is None, "the stream ended during the kills: make it longer"
    out_text, _ = sensor.communicate(timeout=120)
    assert sensor.returncode == 0, out_text
    col.stop()
    check(out_text, col.out, kills)
    print("ok crash-accounting")


def check(out_text, out_dir, kills):
    acks = nvgtest.fake_acks(out_text)
    names = ["cr-%d" % (i + 1) for i in range(SENSORS)]
    assert sorted(acks) == names, out_text

    rows = nvgtest.read_packets(out_dir)  # every file: header, 13 columns, no torn line
    seen = {n: {} for n in names}
    for r in rows:
        per = seen[r[1]]
        i = record_index(r[0])
        assert i not in per, "record %d of %s is in the log twice" % (i, r[1])
        per[i] = True

    total_lost = 0
    for n in names:
        received, lost, wfail, sent = acks[n]
        have = seen[n]
        assert sent == RECORDS and wfail == 0, (n, acks[n])
        # Whole batches only: batch b holds records b*BATCH .. b*BATCH+BATCH-1.
        present = set()
        for b in range(BATCHES):
            k = sum(1 for i in range(b * BATCH, (b + 1) * BATCH) if i in have)
            assert k in (0, BATCH), "%s: batch %d is partly in the log (%d/%d rows)" % (
                n, b + 1, k, BATCH)
            if k:
                present.add(b)
        print("%s: %d rows, %d batches lost, ack records_received %d" % (
            n, len(have), lost, received))
        assert len(have) == received, \
            "%s: %d rows in the log but the collector counts %d received" % (n, len(have), received)
        assert len(have) + lost * BATCH == sent, \
            "%s: %d rows + %d lost batches x %d != %d sent (%s)" % (
                n, len(have), lost, BATCH, sent,
                "silent loss" if len(have) + lost * BATCH < sent else "double counting")
        assert BATCHES - len(present) == lost, (n, BATCHES - len(present), lost)
        total_lost += lost
    # Kills while rows sat in the buffer: the test did exercise recovery.
    assert total_lost > 0, "no loss at all across %d kills: nothing was tested" % kills


def options(ap):
    ap.add_argument("--seed", type=int, default=int(os.environ.get("NVG_TEST_SEED", "0")) or None)
    ap.add_argument("--kills", type=int, default=5)


if __name__ == "__main__":
    sys.exit(nvgtest.main(run, "nvg-crash-", PROGRAMS, add_args=options))
