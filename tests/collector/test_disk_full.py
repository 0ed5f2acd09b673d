#!/usr/bin/env python3
"""A full disk under the collector and under the sensor's CSV output.

The collector runs with --min-free 0 here: this is the ENOSPC path itself; the free-space
floor that normally stops writing first is test_retention.py's.

DESIGN.md promises that a full disk gets a clear error, loses nothing already accepted, never
crashes, and that the collector counts the records it failed to write. Each scenario mounts
its own small tmpfs (root only; exit 77 = skipped when that is not possible) and unmounts it
in a finally block whatever happens:

  collector   fill the collector's -o directory to within a few KiB and stream a known number
              of records: the collector stays up, logs ENOSPC at a rate-limited pace, shows
              write_failures in `netvigil-ctl status --json` and in the end-of-stream ack, and
              no file ends in a torn row meanwhile; delete the filler: the pending
              rows reach the file without any new input; at the end rows in the CSV files +
              write_failures == records sent, exactly, no record twice, and every file parses
              (header, 13 columns, no torn line).
  sensor      `netvigil-sensor -r F --csv MNT/out.csv` on a full tmpfs (a few KiB free, and
              none at all): an error naming the file and ENOSPC, exit status 1, and the rows
              in the file are whole rows (no torn last line).
  sigterm     the collector starts on an already full disk, takes a stream, and gets SIGTERM
              while the disk is still full: it exits 0 within a bounded time, logs how many
              rows could not be written, every file it leaves ends on a whole row, and rows +
              write_failures + rows lost at the close == records sent.

Usage: test_disk_full.py --bin-dir DIR [--bin-dir DIR...] [SCENARIO...]   (default: all)
"""
import argparse
import glob
import os
import re
import signal
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import nvgtest  # noqa: E402
from nvgtest import Skip, prog, tmpfs  # noqa: E402

PROGRAMS = ("netvigil-collector", "netvigil-ctl", "nvg-fake-sensor", "netvigil-sensor")
ENOSPC_TEXT = "No space left on device"
TMPFS_SIZE = "8m"    # more than the collector's 4 MiB packet buffer: it must fit once freed
LEFT_FREE = 30000
RECORDS = 60000      # ~6 MB of rows: more than the buffer and the free space together
BATCH = 500
RATE = 30000



def fill(mnt, leave):
    """A filler file taking all the space of mnt but `leave` bytes (page-rounded by tmpfs)."""
    path = os.path.join(mnt, "filler")
    chunk = b"\0" * (256 * 1024)
    with open(path, "wb", buffering=0) as f:
        try:
            while True:
                f.write(chunk)
        except OSError as e:
            assert e.errno == 28, e
        # A short write before ENOSPC may have been taken; measure what is there.
        size = os.fstat(f.fileno()).st_size
        try:
            while True:
                f.write(b"\0" * 4096)
        except OSError:
            pass
        size = os.fstat(f.fileno()).st_size
        if leave:
            f.truncate(max(0, size - leave))
    st = os.statvfs(mnt)
    return path, st.f_bavail * st.f_frsize


def complete_rows(out_dir, prefix="packets"):
    """Complete data lines in the files now (a running writer may be mid-file)."""
    n = 0
    for path in glob.glob(os.path.join(out_dir, prefix + "-*.csv")):
        with open(path, "rb") as f:
            data = f.read()
        n += max(0, data.count(b"\n") - 1)
    return n


def check_unique(rows):
    seen = set()
    for r in rows:
        k = (r[1], r[0])
        assert k not in seen, "row written twice: %r" % (r,)
        seen.add(k)


def start_stream(col, name, records, extra=()):
    return col.start_fake("--name", name, "--records", records, "--batch", BATCH, "--rate", RATE,
                          "--eos", "--no-check", "--timeout-ms", "20000", *extra,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


# ---- scenarios ---------------------------------------------------------------------------

def scenario_collector(w):
    mnt = w.path("mnt")
    with tmpfs(mnt, TMPFS_SIZE):
        col = nvgtest.Collector(w, out=mnt, extra=["--rotate-size", "1M", "--min-free", "0"]).start()
        try:
            filler, free = fill(mnt, LEFT_FREE)
            print("collector: disk filled, %d bytes free" % free)
            t_full = time.time()
            sensor = start_stream(col, "df", RECORDS)
            # Visible while it happens: the collector is up and counts the failures.
            deadline = time.time() + 30
            while True:
                assert col.proc.poll() is None, "collector died on a full disk"
                st = col.status()
                s = [x for x in st["sensors"] if x["sensor"] == "df"]
                if s and s[0]["write_failures"] > 0:
                    break
                assert time.time() < deadline, "no write_failures while the disk is full: %r" % st
                time.sleep(0.2)
            assert st["write_failures"] >= s[0]["write_failures"] > 0, st
            # The end-of-stream ack waits while rows of the stream are buffered, not on disk.
            deadline = time.time() + 30
            while (col.find_sensor("df") or {}).get("records_received", 0) < RECORDS:
                assert time.time() < deadline, col.status()
                time.sleep(0.2)
            time.sleep(1.5)  # a few more failed flush attempts
            st = col.status()
            assert st["write_pending"] > 0, st
            assert sensor.poll() is None, "acked while rows were not on disk"
            assert col.proc.poll() is None, "collector died on a full disk"
            full_s = time.time() - t_full
            # Even now, with rows pending, no file ends inside a row (a reader or a crash
            # would see half a row otherwise).
            for path in glob.glob(os.path.join(mnt, "*-*.csv")):
                with open(path, "rb") as f:
                    data = f.read()
                assert not data or data.endswith(b"\n"), \
                    "%s ends in a torn line while the disk is full: %r" % (path, data[-120:])
            log = col.log_text()
            nospc = [ln for ln in log.splitlines() if ENOSPC_TEXT in ln or "ENOSPC" in ln]
            assert nospc, "no ENOSPC error in the log:\n" + log[-3000:]
            # Rate-limited: about one line a second per log (packets, rates), not one per batch.
            assert len(nospc) <= 3 * full_s + 6, "%d ENOSPC lines in %.1f s" % (len(nospc), full_s)

            # Space again: the pending rows go out by themselves, without new input, and the
            # held ack follows with the failures that really are missing.
            before = complete_rows(mnt)
            os.unlink(filler)
            out, _ = sensor.communicate(timeout=60)
            received, lost, ack_wf, sent = nvgtest.fake_ack(out)
            assert (received, lost, sent) == (RECORDS, 0, RECORDS), out
            st = col.status()
            s = col.sensor("df", st)
            wf = s["write_failures"]
            assert wf == ack_wf > 0, (s, out)
            assert st["write_pending"] == 0, st
            assert s["batches_lost"] == 0 and s["records_received"] == RECORDS, s
            print("collector: %d write failures, %d ENOSPC log lines in %.1f s, e.g. %s" % (
                wf, len(nospc), full_s, nospc[0].strip()))
            print("collector: resumed, %d -> %d rows" % (before, complete_rows(mnt)))
            # And new input is written normally.
            sensor = start_stream(col, "df-after", 5000)
            out, _ = sensor.communicate(timeout=60)
            assert nvgtest.fake_ack(out) == (5000, 0, 0, 5000), out
            st = col.status()
            assert col.sensor("df", st)["write_failures"] == wf, st
            col.stop()  # SIGTERM, exit status 0
        except BaseException:
            w.kill_all()  # before the unmount
            raise
        rows = nvgtest.read_packets(mnt)  # header, 13 columns, whole lines, every file
        check_unique(rows)
        n_df = sum(1 for r in rows if r[1] == "df")
        n_after = sum(1 for r in rows if r[1] == "df-after")
        print("collector: %d rows + %d write failures = %d (sent %d); %d files" % (
            n_df, wf, n_df + wf, RECORDS, len(glob.glob(os.path.join(mnt, "packets-*.csv")))))
        assert n_df + wf == RECORDS, (n_df, wf, RECORDS)
        assert n_after == 5000, n_after
        # The rates log parses too.
        nvgtest.read_rates(mnt)


def udp_frames(n):
    """n Ethernet/IPv4/UDP frames, 1 ms apart: (time in microseconds, frame)."""
    for i in range(n):
        payload = b"x" * (i % 40)
        udp = struct.pack("!HHHH", 1024 + i % 5000, 53, 8 + len(payload), 0) + payload
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i & 0xffff, 0, 64, 17, 0,
                         bytes([10, 0, (i >> 8) & 255, i & 255]), bytes([192, 168, 1, 1]))
        frame = b"\x02\0\0\0\0\x01" + b"\x02\0\0\0\0\x02" + b"\x08\x00" + ip + udp
        yield 1700000000 * 1000000 + i * 1000, frame


def scenario_sensor(w):
    pcap = w.path("in.pcap")
    n = 60000
    nvgtest.write_pcap(pcap, udp_frames(n))
    # tmpfs takes whole pages, so where the file stops depends on the free space: several
    # amounts (with this input 28 KiB, 48 KiB and 68 KiB all stop inside a row), and none.
    for leave in (30000, 50000, 70000, 0):
        mnt = w.path("full-%d" % leave)
        with tmpfs(mnt, "1m"):
            fill(mnt, leave)
            out = os.path.join(mnt, "out.csv")
            r = subprocess.run([prog("netvigil-sensor"), "-r", pcap, "-n", "s1", "--csv", out],
                               capture_output=True, text=True, timeout=60)
            assert r.returncode == 1, "exit status %d on a full disk:\n%s" % (r.returncode, r.stderr)
            assert out in r.stderr and ENOSPC_TEXT in r.stderr, r.stderr
            assert "Sanitizer" not in r.stderr and "runtime error" not in r.stderr, r.stderr
            with open(out, "rb") as f:
                data = f.read()
            err_line = [ln for ln in r.stderr.splitlines() if ENOSPC_TEXT in ln][0]
            print("sensor (%d bytes free): %d bytes written; %s" % (leave, len(data), err_line))
            if data:  # whole rows: no torn last line, the header, 13 columns
                assert len(nvgtest.read_csv_log(out, nvgtest.COLUMNS)) < n
            if leave:
                assert len(data) > 0, "nothing written although %d bytes were free" % leave


def scenario_sigterm(w):
    """Full before the collector starts; SIGTERM while the sensor waits for its held ack: the
    rows still buffered are counted per sensor and the ack says so, exactly."""
    mnt = w.path("mnt-term")
    with tmpfs(mnt, TMPFS_SIZE):
        filler, free = fill(mnt, LEFT_FREE)  # full before the collector starts
        col = nvgtest.Collector(w, out=mnt, extra=["--min-free", "0"]).start()
        try:
            sensor = start_stream(col, "tt", RECORDS)
            deadline = time.time() + 30
            while (col.find_sensor("tt") or {}).get("records_received", 0) < RECORDS:
                assert time.time() < deadline, col.status()
                time.sleep(0.2)
            time.sleep(0.5)
            assert sensor.poll() is None, "acked while rows were not on disk"
            proc = col.proc
            t0 = time.time()
            proc.send_signal(signal.SIGTERM)
            try:
                rc = proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                raise AssertionError("collector hangs after SIGTERM on a full disk")
            took = time.time() - t0
            col.proc = None
            assert rc == 0, "collector exit status %d after SIGTERM on a full disk" % rc
            out, _ = sensor.communicate(timeout=30)
            received, lost, ack_wf, sent = nvgtest.fake_ack(out)
            assert (received, lost, sent) == (RECORDS, 0, RECORDS), out
        except BaseException:
            w.kill_all()  # before the unmount
            raise
        log = col.log_text()
        assert "Sanitizer" not in log and "runtime error" not in log, log[-3000:]
        assert re.search(r"\d+ buffered row\(s\) could not be written", log), log[-3000:]
        rows = nvgtest.read_packets(mnt, empty_ok=True)  # a file may lack even its header
        check_unique(rows)
        print("sigterm: exit 0 in %.1f s; %d rows on disk + %d write failures in the ack = %d "
              "(sent %d)" % (took, len(rows), ack_wf, len(rows) + ack_wf, RECORDS))
        assert len(rows) + ack_wf == RECORDS, (len(rows), ack_wf)
        for path in glob.glob(os.path.join(mnt, "rates-*.csv")):
            with open(path, "rb") as f:
                data = f.read()
            assert not data or data.endswith(b"\n"), "%s ends in a torn line" % path


def scenario_restart(w):
    """Issue 10 item 2: a restart after a disk-full shutdown deletes no row and invents no
    loss: rows on disk + write failures (ack) == sent, and the next start cuts nothing."""
    mnt = w.path("mnt-restart")
    with tmpfs(mnt, TMPFS_SIZE):
        filler, free = fill(mnt, 200000)
        col = nvgtest.Collector(w, out=mnt, extra=["--min-free", "0"]).start()
        try:
            sensor = start_stream(col, "rs", RECORDS)
            deadline = time.time() + 30
            while (col.find_sensor("rs") or {}).get("records_received", 0) < RECORDS:
                assert time.time() < deadline, col.status()
                time.sleep(0.2)
            col.stop()
            out, _ = sensor.communicate(timeout=30)
            received, lost, ack_wf, sent = nvgtest.fake_ack(out)
            before = len(nvgtest.read_packets(mnt, empty_ok=True))
            assert before + ack_wf == RECORDS, (before, ack_wf)
            os.unlink(filler)
            col.start()
            st = col.status()
            assert st["state_rejected"] == 0, st
            col.stop()
        except BaseException:
            w.kill_all()
            raise
        after = len(nvgtest.read_packets(mnt, empty_ok=True))
        print("restart: %d rows before the restart, %d after, %d write failures" % (
            before, after, ack_wf))
        assert after == before, "the restart cut %d rows" % (before - after)
        assert "cut " not in col.log_text(), col.log_text()[-2000:]


SCENARIOS = {"collector": scenario_collector, "sensor": scenario_sensor,
             "sigterm": scenario_sigterm, "restart": scenario_restart}
def scenario(name):
    if name not in SCENARIOS:
        raise argparse.ArgumentTypeError("unknown scenario %r" % name)
    return name


def run(args, work):
    if os.geteuid() != 0:
        raise Skip("needs root to mount a tmpfs")
    # Each scenario in a work dir of its own (its own collector log). A failure, or SIGTERM (a
    # ctest timeout, ^C), still runs the finally blocks that unmount.
    for name in args.scenario or ["collector", "sensor", "sigterm", "restart"]:
        with nvgtest.Work("nvg-diskfull-%s-" % name) as w:
            SCENARIOS[name](w)
        print("ok", name)
    print("ok disk-full")


if __name__ == "__main__":
    sys.exit(nvgtest.main(run, "nvg-diskfull-", PROGRAMS, add_args=lambda ap: ap.add_argument(
        "scenario", nargs="*", type=scenario, help=", ".join(sorted(SCENARIOS)))))
