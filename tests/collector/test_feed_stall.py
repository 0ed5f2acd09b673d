#!/usr/bin/env python3
"""Stalled feed subscribers against a collector taking millions of records (issue 10 item 6).

Before, one `netvigil-ctl tail` stopped with SIGSTOP grew the collector from 12 to 224 MB,
three kept 442 MB after they were killed, the tail resumed with no hint of what it had missed,
and under `ulimit -v` the collector lost most of a file-mode sensor's batches. Now the feed is
bounded in bytes (collector/budget.h, fanout.c) and every Batch carries feed_offset, from which
tail prints "skipped N records of NAME (the subscriber fell behind)".

  stall    --memory-budget 32M. Tail A sees a 1,000-record warm-up (offset 0), is stopped, a
           fake sensor sends 4,000,000 records (tails B and C stopped 1 s and 2 s into it),
           A is continued, and a last 1,000 records follow once it has caught up. Asserts:
           (a) the collector's VmRSS stays under start + the budget + 16 MiB (its CSV buffer
           and unpacking arena, outside the budget); (b) A printed at least one skipped line
           and records printed + skipped == records published, exactly (4,002,000: A received
           the first batch, offset 0, and the last one, so every record in between is either a
           line or in a skip), its exit summary giving the same total; (c) rows on disk ==
           records sent, batches_lost == write_failures == 0; (d) once the tails are killed
           the RSS is no more than at the peak and within 16 MiB of the start.
  ulimit   the smallest `ulimit -v` under which a collector starts and answers status is found
           by bisection (1 MiB steps), the collector runs under 1.5 times that with sixteen
           tails stopped one after another while a fake sensor in file mode sends 3,000,000
           records: its end-of-stream ack counts every record, status says batches_lost 0 and
           invalid_batches 0, every record is a row on disk; what the feed could not hold is
           dropped and counted (budget_dropped, printed). Skipped (77) in a sanitizer build,
           which cannot run under an address-space limit.

Usage: test_feed_stall.py --bin-dir DIR [--bin-dir DIR...] stall|ulimit
"""
import os
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import nvgtest  # noqa: E402
from nvgtest import Skip, prog  # noqa: E402

PROGRAMS = ("netvigil-collector", "netvigil-ctl", "nvg-fake-sensor")
MIB = 1 << 20
BUDGET = 32 * MIB
SLACK = 16 * MIB  # the 4 MiB CSV buffer, the unpacking arena, malloc's rounding
WARM = FINAL = 1000
BIG = 4000000
ULIMIT_RECORDS = 3000000
ULIMIT_TAILS = 16
SKIP_LINE = re.compile(r"^skipped (\d+) records of (\S+) \(the subscriber fell behind\)$")
SKIP_TOTAL = re.compile(r"feed: skipped (\d+) records in all")


def sanitized():
    """Whether the collector is an AddressSanitizer build: its quarantine keeps freed memory
    (256 MiB) and its redzones inflate every allocation, so RSS bounds are printed, not checked,
    and no address-space limit can be set."""
    with open(prog("netvigil-collector"), "rb") as f:
        return b"__asan_init" in f.read()


def rss(pid):
    """VmRSS of pid in bytes."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS for %d" % pid)


def line_count(path):
    with open(path, "rb") as f:
        return f.read().count(b"\n")


def rows_on_disk(out_dir):
    """Rows of every packet file (header left out), each file ending on a whole row."""
    n = 0
    for path in nvgtest.log_files(out_dir, "packets"):
        with open(path, "rb") as f:
            data = f.read()
        if not data:
            continue
        assert data.endswith(b"\n"), "%s ends in a torn row" % path
        n += data.count(b"\n") - 1
    return n


def start_tail(col, work, name):
    out = open(work.path(name + ".out"), "wb")
    try:
        return work.spawn(col.ctl_args("tail"), stdout=out, log=name + ".log")
    finally:
        out.close()


def stream(col, records, tails_to_stop=(), every_s=1.0, timeout=60):
    """A fake sensor "stall" sends records (file mode, end of stream); the tails in
    tails_to_stop are stopped every_s apart meanwhile. Returns the collector's peak RSS."""
    fake = col.start_fake("--name", "stall", "--records", records, "--eos", "--quiet",
                          "--timeout-ms", 20000, log="fake.log", merge=True)
    t0, peak, todo = time.time(), 0, list(tails_to_stop)
    while fake.poll() is None:
        assert time.time() - t0 < timeout, "the fake sensor did not finish in %d s" % timeout
        if todo and time.time() - t0 >= every_s * (len(tails_to_stop) - len(todo) + 1):
            todo.pop(0).send_signal(signal.SIGSTOP)
        assert col.proc.poll() is None, "the collector died (rc %s), see collector.log" % (
            col.proc.returncode)
        peak = max(peak, rss(col.proc.pid))
        time.sleep(0.05)
    assert fake.returncode == 0, "the fake sensor's ack did not count what it sent (fake.log)"
    print("  %d records in %.1f s" % (records, time.time() - t0), flush=True)
    return peak


def check_disk(col, sent):
    st = col.status()
    s = col.sensor("stall", st)
    assert s["batches_lost"] == 0 and s["write_failures"] == 0 and s["invalid_batches"] == 0, s
    col.stop()
    report = nvgtest.sanitizer_report(col.log_text())
    assert not report, "sanitizer report in collector.log at %d" % report.start()
    rows = rows_on_disk(col.out)
    print("  rows on disk %d, sent %d, batches_lost 0, write_failures 0, budget_dropped %d"
          % (rows, sent, st["security"]["budget_dropped"]), flush=True)
    assert rows == sent, "%d rows on disk, %d records sent" % (rows, sent)
    return st


def tail_account(work, name):
    """(record lines, skipped records from the skip lines, the exit summary's total)."""
    printed, skipped = 0, 0
    with open(work.path(name + ".out"), errors="replace") as f:
        for line in f:
            m = SKIP_LINE.match(line.rstrip("\n"))
            if m:
                assert m.group(2) == "stall", line
                skipped += int(m.group(1))
            else:
                printed += 1
    with open(work.path(name + ".log"), errors="replace") as f:
        m = SKIP_TOTAL.search(f.read())
    return printed, skipped, int(m.group(1)) if m else 0


def test_stall(col, work):
    a = start_tail(col, work, "tail-a")
    more = [start_tail(col, work, n) for n in ("tail-b", "tail-c")]
    time.sleep(0.5)  # subscribed before the first batch: A must see offset 0
    col.run_fake("--name", "stall", "--records", WARM, "--eos", "--quiet")
    nvgtest.wait_for(lambda: line_count(work.path("tail-a.out")) >= WARM, 10,
                     "tail A to print the warm-up")
    base = rss(col.proc.pid)
    bound = base + BUDGET + SLACK
    a.send_signal(signal.SIGSTOP)
    peak = stream(col, BIG, more)
    asan = sanitized()
    print("  (a) collector RSS: start %.1f MiB, peak %.1f MiB, bound %.1f MiB (start + the %d MiB "
          "budget + %d MiB)%s" % (base / MIB, peak / MIB, bound / MIB, BUDGET // MIB,
                                  SLACK // MIB, "; not checked under ASan" if asan else ""),
          flush=True)
    assert asan or peak <= bound, "collector RSS %.1f MiB over the bound" % (peak / MIB)

    a.send_signal(signal.SIGCONT)
    sizes = []

    def caught_up():
        sizes.append(os.path.getsize(work.path("tail-a.out")))
        return len(sizes) > 10 and sizes[-1] == sizes[-11]  # no growth for 1 s
    nvgtest.wait_for(caught_up, 30, "tail A to drain what it had queued")
    col.run_fake("--name", "stall", "--records", FINAL, "--eos", "--quiet")
    published = WARM + BIG + FINAL

    def accounted():
        p, s, _ = tail_account(work, "tail-a")
        return p + s >= published
    nvgtest.wait_for(accounted, 15, "tail A to print the last batch")
    a.send_signal(signal.SIGTERM)
    a.wait(10)
    printed, skipped, total = tail_account(work, "tail-a")
    print("  (b) tail A: %d records printed + %d skipped = %d, published %d; exit summary %d"
          % (printed, skipped, printed + skipped, published, total), flush=True)
    assert skipped > 0, "the stopped tail skipped nothing: the feed was not bounded?"
    assert printed + skipped == published
    assert total == skipped, "the exit summary says %d skipped" % total

    for t in more:
        t.kill()
        t.wait(10)
    time.sleep(1.5)
    after = rss(col.proc.pid)
    print("  (d) collector RSS once the tails are gone: %.1f MiB (peak %.1f, start %.1f)"
          % (after / MIB, peak / MIB, base / MIB), flush=True)
    assert asan or after <= base + SLACK, "the collector keeps %.1f MiB after its subscribers left" % (
        (after - base) / MIB)
    check_disk(col, published)


class LimitedCollector(nvgtest.Collector):
    """A collector under `ulimit -v kb`."""

    def __init__(self, work, kb, **kw):
        super().__init__(work, **kw)
        self.kb = kb

    def start(self, timeout=15):
        args = [prog("netvigil-collector"), "-o", self.out, "--sensor-port", self.ports[0],
                "--feed-port", self.ports[1], "--control-port", self.ports[2]] + self.extra
        self.proc = self.work.spawn(["bash", "-c", 'ulimit -v %d && exec "$@"' % self.kb,
                                     "ulimit"] + args, log=self.log)
        nvgtest.wait_for(lambda: self.proc.poll() is not None or self.status(300, check=False),
                         timeout, "the collector to answer status")
        assert self.proc.poll() is None, "collector exited at start (rc %s) under ulimit -v %d" % (
            self.proc.returncode, self.kb)
        return self


def starts_under(work, kb):
    col = LimitedCollector(work, kb, out=work.path("probe"), log="probe.log")
    try:
        col.start(timeout=5)
    except AssertionError:
        if col.proc and col.proc.poll() is None:
            col.proc.kill()
            col.proc.wait()
        return False
    col.stop(signal.SIGKILL)
    return True


def smallest_limit(work, lo=8 * 1024, hi=1024 * 1024):
    """The smallest ulimit -v (KiB, 1 MiB steps) under which a collector answers status."""
    assert starts_under(work, hi), "no collector under ulimit -v %d" % hi
    while hi - lo > 1024:
        mid = (lo + hi) // 2
        if starts_under(work, mid):
            hi = mid
        else:
            lo = mid
    return hi


def test_ulimit(work):
    if sanitized():
        raise Skip("a sanitizer build reserves terabytes of address space: no ulimit -v")
    n = smallest_limit(work)
    kb = n * 3 // 2
    print("  the smallest ulimit -v a collector starts under: %d KiB; running under %d KiB"
          % (n, kb), flush=True)
    col = LimitedCollector(work, kb).start()
    tails = [start_tail(col, work, "tail-%d" % i) for i in range(ULIMIT_TAILS)]
    time.sleep(0.5)
    peak = stream(col, ULIMIT_RECORDS, tails, every_s=0.25)
    print("  collector RSS peak %.1f MiB under the %d KiB limit" % (peak / MIB, kb), flush=True)
    for t in tails:
        t.kill()
        t.wait(10)
    check_disk(col, ULIMIT_RECORDS)
    note = re.search(r"feed: \d+ KiB for slow subscribers[^\n]*", col.log_text())
    print("  %s" % (note.group(0) if note else "(no feed limit logged)"), flush=True)


def run(args, work):
    if args.test == "stall":
        col = nvgtest.Collector(work, extra=("--memory-budget", "%dM" % (BUDGET // MIB))).start()
        test_stall(col, work)
    else:
        test_ulimit(work)
    print("PASS", args.test, flush=True)


if __name__ == "__main__":
    sys.exit(nvgtest.main(run, "nvg-feed-stall-", PROGRAMS,
                          tests={"test_stall": test_stall, "test_ulimit": test_ulimit}))
