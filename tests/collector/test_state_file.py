#!/usr/bin/env python3
"""sensors.state that cannot be trusted (issue 10, items 3 and 4): the packet log is the truth.

A collector takes 20 batches of 1024 records from a fake sensor (fixed boot id) and stops;
then its sensors.state is spoiled in one way, the collector restarts, and the same sensor goes
on with batches 21..40. Each case asserts:

  * no byte of the packet log is cut (its rows before the restart are all still there);
  * no false loss: batches_lost == 0 in the ack and in status, and the ack says
    history_unknown, so the sensor's count check accepts a lower bound;
  * rows on disk == records sent, exactly;
  * state_rejected counts the files that failed validation, and a rejected file is kept
    aside (sensors.state.rejected-*), never deleted.

  edited-log   the "log LENGTH" line changed to "log 100" (that cut a 3.75 MB log to its header)
  empty        an empty file
  random       random bytes
  torn         the last 7 bytes cut off
  torn-name    a line cut inside a sensor name (that made a phantom sensor)
  directory    a directory where the file should be
  missing      deleted, with the packet logs still there (counted lost batches before)
  short-log    the state is fine but the packet log is shorter than it says (a power loss
               after a flush that did not fdatasync): the positions are dropped, not trusted

Usage: test_state_file.py --bin-dir DIR [--bin-dir DIR...] CASE
"""
import glob
import os
import random
import shutil
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import nvgtest  # noqa: E402

PROGRAMS = ["netvigil-collector", "netvigil-ctl", "nvg-fake-sensor"]
BATCH, BATCHES, BOOT = 1024, 20, 4242


def cut_log(out, rows):
    """The newest packet log loses its last rows, as a power loss would take them."""
    path = sorted(glob.glob(os.path.join(out, "packets-*.csv")))[-1]
    with open(path, "rb") as f:
        data = f.read()
    end = len(data)
    for _ in range(rows):
        end = data.rindex(b"\n", 0, end - 1) + 1
    with open(path, "rb+") as f:
        f.truncate(end)


def spoil(case, path):
    if case == "short-log":
        cut_log(os.path.dirname(path), 5)
    elif case == "edited-log":
        with open(path) as f:
            lines = f.read().splitlines(True)
        lines = ["log 100 " + ln.split(" ", 2)[2] if ln.startswith("log ") else ln for ln in lines]
        with open(path, "w") as f:
            f.write("".join(lines))
    elif case == "empty":
        open(path, "w").close()
    elif case == "random":
        with open(path, "wb") as f:
            f.write(bytes(random.Random(7).randrange(256) for _ in range(300)))
    elif case == "torn":
        with open(path, "rb+") as f:
            f.truncate(os.path.getsize(path) - 7)
    elif case == "torn-name":
        with open(path) as f:
            text = f.read()
        cut = text.index("state-s") + len("state-s") - 3
        with open(path, "w") as f:
            f.write(text[:cut])
    elif case == "directory":
        os.unlink(path)
        os.mkdir(path)
    elif case == "missing":
        os.unlink(path)
    else:
        raise AssertionError("no case %r" % case)


def stream(col, seq_start):
    r = col.run_fake("--name", "state-s", "--boot-id", BOOT, "--records", BATCH * BATCHES,
                     "--batch", BATCH, "--seq-start", seq_start, "--eos", "--no-check")
    return nvgtest.fake_ack(r.stdout + r.stderr), r.stdout + r.stderr


def run(args, work):
    case = args.case
    col = nvgtest.Collector(work).start()
    (received, lost, failures, sent), _ = stream(col, 1)
    assert (received, lost, failures) == (sent, 0, 0), (received, lost, failures, sent)
    col.stop()
    state = os.path.join(col.out, "sensors.state")
    rows_before = len(nvgtest.read_packets(col.out))
    assert rows_before == sent, rows_before
    spoil(case, state)
    if case == "short-log":
        rows_before -= 5
    size_before = sum(os.path.getsize(p) for p in glob.glob(os.path.join(col.out, "packets-*")))

    col.start()
    size_now = sum(os.path.getsize(p) for p in glob.glob(os.path.join(col.out, "packets-*")))
    assert size_now >= size_before, "the packet log was cut: %d -> %d bytes" % (
        size_before, size_now)
    (received, lost, failures, sent2), out = stream(col, BATCHES + 1)
    assert lost == 0 and failures == 0, "false loss after a spoiled state: %s" % out
    assert received == sent2, (received, sent2)
    st = col.status()
    s = col.sensor("state-s", st)
    assert s.get("batches_lost", 0) == 0, s
    assert s.get("history_unknown") is True, s
    want_rejected = 0 if case in ("missing", "short-log") else 1
    assert st.get("state_rejected", 0) == want_rejected, (st.get("state_rejected"), case)
    col.stop()
    log = col.log_text()
    if case == "short-log":
        assert "names more rows than" in log and "bytes shorter than" in log, log[-2000:]
    else:
        assert "keeping every log as it is" in log, log[-2000:]
    rows = nvgtest.read_packets(col.out)
    assert len(rows) == rows_before + sent2, "rows %d, sent %d" % (len(rows), rows_before + sent2)
    assert {r[1] for r in rows} == {"state-s"}, {r[1] for r in rows}
    if case not in ("missing", "directory", "short-log"):
        assert glob.glob(state + ".rejected-*"), "the rejected state was not kept"
    if case == "directory":
        assert "Is a directory" in log, log[-2000:]
        shutil.rmtree(state, ignore_errors=True)
    print("%s: %d rows kept, %d more, no false loss" % (case, rows_before, sent2))


def add_args(ap):
    ap.add_argument("case")


if __name__ == "__main__":
    sys.exit(nvgtest.main(run, "nvg-state-", PROGRAMS, add_args=add_args))
