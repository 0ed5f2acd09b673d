#!/usr/bin/env python3
"""A bad sensors.state never deletes a row and never invents a loss (issue 10 items 3, 4).

For each variant, a fake sensor (fixed boot id) streams 50 batches into a collector that is
then stopped; sensors.state is damaged (a `log 100` line, empty, random bytes, torn, torn
inside a sensor name, a directory, missing) and the collector restarted; the same boot goes
on with batches 51..100 and ends its stream. Then: every byte of the first packet log is still
there, rows on disk == records sent (100 batches), batches_lost == 0, the ack counts the
second half as a lower bound with history_unknown in `status --json`, and state_rejected
counts the rejection (0 for a missing file).

Usage: test_state_file.py --bin-dir DIR [--bin-dir DIR...] [VARIANT...]
"""
import argparse
import glob
import os
import random
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import nvgtest  # noqa: E402

PROGRAMS = ("netvigil-collector", "netvigil-ctl", "nvg-fake-sensor")
BATCH = 500
HALF = 50  # batches per half
BOOT = "4242"


def damage(path, how):
    text = open(path, "rb").read() if os.path.isfile(path) else b""
    if how == "log100":
        lines = text.split(b"\n")
        lines = [b"log 100 " + ln.split(b" ", 2)[2] if ln.startswith(b"log ") else ln
                 for ln in lines]
        data = b"\n".join(lines)
    elif how == "empty":
        data = b""
    elif how == "random":
        data = bytes(random.Random(7).randrange(256) for _ in range(300))
    elif how == "torn":
        data = text[:len(text) // 2]
    elif how == "name":
        i = text.index(b" st\n") + 2  # inside the sensor name "st"
        data = text[:i]
    elif how == "dir":
        os.unlink(path)
        os.mkdir(path)
        return
    elif how == "missing":
        os.unlink(path)
        return
    with open(path, "wb") as f:
        f.write(data)


def run_variant(w, how):
    col = nvgtest.Collector(w).start()
    s1 = col.start_fake("--name", "st", "--boot-id", BOOT, "--records", HALF * BATCH, "--batch",
                        BATCH, "--eos", "--no-check", stdout=subprocess.PIPE, text=True)
    s1.communicate(timeout=60)
    col.stop()
    logs = sorted(glob.glob(os.path.join(col.out, "packets-*.csv")))
    before = {p: open(p, "rb").read() for p in logs}
    assert sum(b.count(b"\n") - 1 for b in before.values()) == HALF * BATCH
    state = os.path.join(col.out, "sensors.state")
    assert open(state, "rb").read().startswith(b"netvigil-sensors-state 2\n")
    damage(state, how)

    col.start()
    s2 = col.start_fake("--name", "st", "--boot-id", BOOT, "--seq-start", HALF + 1, "--records",
                        HALF * BATCH, "--batch", BATCH, "--eos", "--no-check",
                        stdout=subprocess.PIPE, text=True)
    out, _ = s2.communicate(timeout=60)
    received, lost, wf, sent = nvgtest.fake_ack(out)
    st = col.status()
    s = col.sensor("st", st)
    col.stop()
    log = col.log_text()
    for p, data in before.items():
        now = open(p, "rb").read()
        assert now[:len(data)] == data, "%s: %s lost bytes (%d -> %d)" % (how, p, len(data),
                                                                          len(now))
    rows = nvgtest.read_packets(col.out)
    mine = sum(1 for r in rows if r[1] == "st")
    print("%s: %d rows on disk of %d sent; ack received %d lost %d wf %d; history_unknown %s, "
          "state_rejected %d" % (how, mine, 2 * HALF * BATCH, received, lost, wf,
                                 s["history_unknown"], st["state_rejected"]))
    assert mine == 2 * HALF * BATCH, (how, mine)
    assert lost == 0 and s["batches_lost"] == 0, (how, out, s)
    assert received == HALF * BATCH and wf == 0, (how, out)
    assert s["history_unknown"] is True, (how, s)
    assert st["state_rejected"] == (0 if how == "missing" else 1), (how, st)
    if how != "missing":
        assert "sensors.state rejected" in log, log[-2000:]
    # No phantom sensor from a torn name.
    assert [x["sensor"] for x in st["sensors"]] == ["st"], st["sensors"]


VARIANTS = ("log100", "empty", "random", "torn", "name", "dir", "missing")


def run(args, work):
    for how in args.variant or VARIANTS:
        with nvgtest.Work("nvg-state-%s-" % how) as w:
            run_variant(w, how)
        print("ok", how)
    print("ok state-file")


if __name__ == "__main__":
    sys.exit(nvgtest.main(run, "nvg-state-", PROGRAMS, add_args=lambda ap: ap.add_argument(
        "variant", nargs="*", help=", ".join(VARIANTS))))
