#!/usr/bin/env python3
"""Retention, the free-space floor and compression of rotated files (issue 13 item 4).

Every scenario runs the collector on a small tmpfs of its own (root only; exit 77 = skipped
otherwise), always unmounted, and nvg-fake-sensor for the rows:

  size       --retain-size 2M with 256 KiB rotations while ~6 MB of rows arrive: files are
             deleted oldest first (every deleted file older than every kept one, per log), the
             directory stays near the limit, the counters and the log say so, every kept file
             parses whole, and the kept packet rows are the newest records, contiguous.
  floor      --min-free 3M with 1.5 MB free: writing stops (write_failures per sensor ==
             retention.rows_refused), a critical "disk" alert starts in alerts-*.csv, nothing
             torn; the filler deleted: the alert ends, rows are written again; rows + failures
             == records sent.
  time       --retain-time 1h: files whose mtime is set 2 h back go at the next listing, the
             others stay.
  zstd, gzip --compress: rotated files become NAME.csv.zst / .csv.gz that decompress to
             exactly the rows sent (with the last plain file), no .tmp left; pandas.read_csv
             reads them as they are (when pandas is installed).
  crash      kill -9 while files are being compressed, plus a planted half-written .tmp: the
             restart removes the .tmp, keeps and compresses the original, and no row of a
             closed file is lost or doubled.

Usage: test_retention.py --bin-dir DIR [--bin-dir DIR...] [SCENARIO...]   (default: all)
"""
import argparse
import csv
import gzip
import io
import os
import re
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import nvgtest  # noqa: E402
from nvgtest import Skip, prog, tmpfs  # noqa: E402

PROGRAMS = ("netvigil-collector", "netvigil-ctl", "nvg-fake-sensor")
NAME = re.compile(r"^(?P<prefix>[a-z]+)-(?P<stamp>\d{8}T\d{6}Z)-(?P<n>\d+)\.csv"
                  r"(?P<ext>\.zst|\.gz)?(?P<tmp>\.tmp)?$")

try:
    import zstandard
except ImportError:
    zstandard = None



def our_files(d):
    """{name: (prefix, (stamp, n), ext, tmp)} of the collector's files in d."""
    out = {}
    for name in os.listdir(d):
        m = NAME.match(name)
        if m:
            out[name] = (m.group("prefix"), (m.group("stamp"), int(m.group("n"))),
                         m.group("ext") or "", bool(m.group("tmp")))
    return out


def content(path):
    with open(path, "rb") as f:
        data = f.read()
    if path.endswith(".zst"):
        if zstandard is None:
            r = subprocess.run(["zstd", "-dc", path], capture_output=True, check=True)
            return r.stdout
        return zstandard.ZstdDecompressor().stream_reader(io.BytesIO(data)).read()
    if path.endswith(".gz"):
        return gzip.decompress(data)
    return data


def parse_rows(path, header):
    data = content(path)
    if not data:
        return []
    assert data.endswith(b"\n"), "%s ends in a torn line: %r" % (path, data[-120:])
    reader = csv.reader(io.StringIO(data.decode("utf-8"), newline=""), strict=True)
    assert next(reader) == header, path
    rows = list(reader)
    for r in rows:
        assert len(r) == len(header), (path, r)
    return rows


def packet_rows(d, names=None):
    """Rows of every packets file (compressed or not, no .tmp) in write order."""
    files = our_files(d)
    keep = sorted((v[1], n) for n, v in files.items()
                  if v[0] == "packets" and not v[3] and (names is None or n in names))
    rows = []
    for _, n in keep:
        rows += parse_rows(os.path.join(d, n), nvgtest.COLUMNS)
    return rows


def check_all_parse(d):
    """Every file of the collector's in d is whole: a header and complete rows."""
    for name, v in our_files(d).items():
        if v[3]:
            continue
        data = content(os.path.join(d, name))
        assert not data or data.endswith(b"\n"), "%s is torn: %r" % (name, data[-100:])


def stream(col, name, records, rate=30000, batch=500, wait=True):
    p = col.start_fake("--name", name, "--records", records, "--batch", batch, "--rate", rate,
                       "--eos", "--no-check", "--timeout-ms", "30000",
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if not wait:
        return p
    out, _ = p.communicate(timeout=120)
    return nvgtest.fake_ack(out)


def retention(col):
    return col.status()["retention"]


def check_unique(rows, sensor):
    times = [r[0] for r in rows if r[1] == sensor]
    assert len(times) == len(set(times)), "a row twice (sensor %s)" % sensor
    return times


# ---- scenarios ---------------------------------------------------------------------------

def scenario_size(w):
    mnt = w.path("mnt-size")
    limit = 2 << 20
    with tmpfs(mnt, "16m"):
        col = nvgtest.Collector(w, out=mnt, extra=[
            "--rotate-size", "256K", "--retain-size", "2M", "--min-free", "0"]).start()
        try:
            seen = {}
            p = stream(col, "sz", 60000, wait=False)
            while p.poll() is None:
                seen.update(our_files(mnt))
                time.sleep(0.1)
            out, _ = p.communicate()
            received, lost, wf, sent = nvgtest.fake_ack(out)
            assert (received, lost, wf) == (60000, 0, 0), out
            time.sleep(1.5)  # a listing after the last rotation
            seen.update(our_files(mnt))
            r = retention(col)
            col.stop()
        except BaseException:
            w.kill_all()
            raise
        now = our_files(mnt)
        gone = set(seen) - set(now)
        assert r["files_deleted"] >= len(gone) > 5, (r, len(gone))
        assert r["bytes_deleted"] > 2 << 20 and r["dir_bytes"] <= limit + (512 << 10), r
        for prefix in ("packets", "rates", "alerts", "audit", "flows"):
            g = [seen[n][1] for n in gone if seen[n][0] == prefix]
            k = [now[n][1] for n in now if now[n][0] == prefix]
            if g and k:
                assert max(g) < min(k), "%s: a newer file deleted before an older one" % prefix
        total = sum(os.path.getsize(os.path.join(mnt, n)) for n in now)
        # Closed files within the limit; the open ones (at most one rotation each) on top.
        assert total <= limit + 5 * (256 << 10) + (64 << 10), total
        check_all_parse(mnt)
        rows = packet_rows(mnt)
        times = check_unique(rows, "sz")
        assert 0 < len(times) < 60000, len(times)
        log = col.log_text()
        dlines = [ln for ln in log.splitlines() if "retention: deleted" in ln]
        assert dlines and len(dlines) < r["files_deleted"] + 2, len(dlines)
        print("size: %d files deleted (%d bytes), %d kept (%d bytes, limit %d), %d of 60000 "
              "rows kept; %d log lines, e.g. %s" % (r["files_deleted"], r["bytes_deleted"],
                                                    len(now), total, limit, len(times),
                                                    len(dlines), dlines[0].strip()))
        # Kept rows are the newest: the fake sensor's times increase, so they end the stream.
        all_times = sorted(times)
        assert all_times == times, "rows out of order"


def fill(mnt, leave):
    path = os.path.join(mnt, "filler")
    with open(path, "wb", buffering=0) as f:
        try:
            while True:
                f.write(b"\0" * (64 * 1024))
        except OSError as e:
            assert e.errno == 28, e
        size = os.fstat(f.fileno()).st_size
        f.truncate(max(0, size - leave))
    st = os.statvfs(mnt)
    return path, st.f_bavail * st.f_frsize


def alert_rows(mnt):
    rows = []
    for name, v in sorted(our_files(mnt).items(), key=lambda kv: kv[1][1]):
        if v[0] == "alerts" and not v[3]:
            data = content(os.path.join(mnt, name)).decode()
            rows += list(csv.reader(io.StringIO(data, newline="")))[1:]
    return [r for r in rows if len(r) > 4 and r[4] == "disk"]


def scenario_floor(w):
    mnt = w.path("mnt-floor")
    with tmpfs(mnt, "12m"):
        col = nvgtest.Collector(w, out=mnt, extra=["--min-free", "3M"]).start()
        try:
            filler, free = fill(mnt, 1500 << 10)
            nvgtest.wait_for(lambda: retention(col)["below_floor"], 5, "the floor to be seen")
            t0 = time.time()
            received, lost, wf, sent = stream(col, "fl", 20000)
            assert (received, lost) == (20000, 0) and wf > 0, (received, lost, wf)
            # rows_refused is brought up to date every tick (100 ms), not per row.
            nvgtest.wait_for(lambda: retention(col)["rows_refused"] >= wf, 3, "rows_refused")
            st = col.status()
            r = st["retention"]
            s = col.sensor("fl", st)
            assert r["below_floor"] and r["floor_episodes"] == 1, r
            assert s["write_failures"] == wf == r["rows_refused"], (s, r)
            assert r["floor_bytes"] == 3 << 20 and r["free_bytes"] < r["floor_bytes"], r
            check_all_parse(mnt)
            nvgtest.wait_for(lambda: alert_rows(mnt), 5, "the disk alert in alerts-*.csv")
            a = alert_rows(mnt)
            assert a[0][2] == "start" and a[0][3] == "critical", a
            below_s = time.time() - t0
            os.unlink(filler)
            nvgtest.wait_for(lambda: not retention(col)["below_floor"], 5, "writing to resume")
            nvgtest.wait_for(lambda: len(alert_rows(mnt)) >= 2, 5, "the disk alert's end")
            a = alert_rows(mnt)
            assert a[-1][2] == "end" and a[-1][1] == a[0][1], a
            after = stream(col, "fl-after", 5000)
            assert after == (5000, 0, 0, 5000), after
            r = retention(col)
            assert r["rows_refused"] == wf and not r["below_floor"], r
            col.stop()
        except BaseException:
            w.kill_all()
            raise
        check_all_parse(mnt)
        rows = packet_rows(mnt)
        n_fl = len(check_unique(rows, "fl"))
        n_after = len(check_unique(rows, "fl-after"))
        assert n_fl + wf == 20000 and n_after == 5000, (n_fl, wf, n_after)
        print("floor: %d KiB free < 3 MiB floor: %d of 20000 rows refused (counted as "
              "write_failures, rows_refused) in %.1f s, %d written; alert %s -> %s; after the "
              "filler went: 5000/5000 written" % (free >> 10, wf, below_s, n_fl, a[0][2],
                                                  a[-1][2]))


def scenario_time(w):
    mnt = w.path("mnt-time")
    with tmpfs(mnt, "16m"):
        col = nvgtest.Collector(w, out=mnt, extra=[
            "--rotate-size", "128K", "--retain-time", "1h", "--min-free", "0"]).start()
        try:
            assert stream(col, "tm", 10000)[:3] == (10000, 0, 0)
            time.sleep(1.2)
            files = our_files(mnt)
            pk = sorted((v[1], n) for n, v in files.items() if v[0] == "packets")
            assert len(pk) >= 6, pk
            old = [n for _, n in pk[:3]]
            past = time.time() - 7200
            for n in old:
                os.utime(os.path.join(mnt, n), (past, past))
            assert stream(col, "tm2", 3000)[:3] == (3000, 0, 0)  # rotations: a listing
            nvgtest.wait_for(lambda: not any(os.path.exists(os.path.join(mnt, n)) for n in old),
                             12, "the old files to go")
            r = retention(col)
            col.stop()
        except BaseException:
            w.kill_all()
            raise
        now = our_files(mnt)
        assert all(n in now for _, n in pk[3:]), "a recent file was deleted"
        assert r["files_deleted"] == 3, r
        print("time: 3 files aged 2 h deleted under --retain-time 1h, %d younger kept" %
              (len(pk) - 3))


def compressed(w, method, ext, records):
    mnt = w.path("mnt-" + method)
    with tmpfs(mnt, "32m"):
        col = nvgtest.Collector(w, out=mnt, extra=[
            "--rotate-size", "256K", "--compress", method, "--min-free", "0"]).start()
        try:
            t0 = time.time()
            assert stream(col, "cz", records)[:3] == (records, 0, 0)

            def done():
                r = retention(col)
                files = our_files(mnt).values()
                plain = [v for v in files if v[0] == "packets" and v[2] == ""]
                done = [v for v in files if v[2] == ext]
                # The counters are brought up to date every tick: wait for them too.
                return (r["compress_queued"] == 0 and len(plain) == 1
                        and r["files_compressed"] >= len(done) and r)
            r = nvgtest.wait_for(done, 20, "the rotated files to be compressed")
            took = time.time() - t0
            col.stop()
        except BaseException:
            w.kill_all()
            raise
        files = our_files(mnt)
        assert not any(v[3] for v in files.values()), "a .tmp left: %r" % files
        comp = [n for n, v in files.items() if v[0] == "packets" and v[2] == ext]
        assert len(comp) >= 5 and r["files_compressed"] >= len(comp), (comp, r)
        assert r["compress_failures"] == 0, r
        rows = packet_rows(mnt)
        times = check_unique(rows, "cz")
        assert len(times) == records and times == sorted(times), len(times)
        ratio = r["compress_bytes_in"] / max(1, r["compress_bytes_out"])
        msg = "%s: %d rotated packet files compressed (%d files in all, %.1fx), %d rows back " \
              "exactly, %.1f s" % (method, len(comp), r["files_compressed"], ratio, len(rows), took)
        try:
            import pandas
        except ImportError:
            print(msg + "; pandas not installed")
            return
        path = os.path.join(mnt, sorted(comp, key=lambda n: files[n][1])[0])
        df = pandas.read_csv(path)
        assert list(df.columns) == nvgtest.COLUMNS, list(df.columns)
        assert len(df) == len(parse_rows(path, nvgtest.COLUMNS)), len(df)
        print(msg + "; pandas.read_csv(%s): %d rows" % (os.path.basename(path), len(df)))


def scenario_zstd(w):
    if zstandard is None and shutil.which("zstd") is None:
        raise Skip("neither python3-zstandard nor zstd installed")
    compressed(w, "zstd", ".zst", 40000)


def scenario_gzip(w):
    compressed(w, "gzip", ".gz", 20000)


def closed_rows(mnt, exclude):
    """{base name: rows} of every closed packets file, compressed or not (a .csv and its .zst
    both there: the same file, taken once)."""
    out = {}
    for name, v in our_files(mnt).items():
        if v[0] != "packets" or v[3]:
            continue
        base = name[:name.index(".csv") + 4]
        if base in exclude:
            continue
        rows = parse_rows(os.path.join(mnt, name), nvgtest.COLUMNS)
        assert out.get(base, rows) == rows, "%s and its copy differ" % base
        out[base] = rows
    return out


def scenario_crash(w):
    mnt = w.path("mnt-crash")
    with tmpfs(mnt, "32m"):
        extra = ["--rotate-size", "256K", "--compress", "gzip", "--min-free", "0"]
        col = nvgtest.Collector(w, out=mnt, extra=extra).start()
        try:
            p = stream(col, "cr", 40000, rate=40000, wait=False)
            nvgtest.wait_for(lambda: retention(col)["files_compressed"] >= 3, 20,
                             "compression to be under way")
            col.kill()
            p.kill()
            p.wait()
            files = our_files(mnt)
            newest = max((v[1], n) for n, v in files.items()
                         if v[0] == "packets" and not v[3])[1]
            before = closed_rows(mnt, {newest})
            # A crash inside a compression, for sure: half a copy beside a closed original.
            victim = sorted(n for n, v in files.items() if v[0] == "packets" and v[2] == ""
                            and n != newest)
            planted = None
            if victim:
                planted = os.path.join(mnt, victim[0] + ".gz.tmp")
                with open(os.path.join(mnt, victim[0]), "rb") as f:
                    whole = gzip.compress(f.read())
                with open(planted, "wb") as f:
                    f.write(whole[:len(whole) // 2])
            tmps = [n for n, v in our_files(mnt).items() if v[3]]
            col.start()
            nvgtest.wait_for(lambda: retention(col)["compress_queued"] == 0 and not [
                n for n, v in our_files(mnt).items()
                if v[0] == "packets" and v[2] == "" and n != newest
                and n not in col.status()["packets_file"]], 20, "the leftovers compressed")
            log = col.log_text()
            col.stop()
        except BaseException:
            w.kill_all()
            raise
        files = our_files(mnt)
        assert not any(v[3] for v in files.values()), "a .tmp survived the restart: %r" % files
        after = closed_rows(mnt, {newest})
        missing = set(before) - set(after)
        assert not missing, "closed files lost: %r" % missing
        for base, rows in before.items():
            assert after[base] == rows, "%s changed across the crash" % base
        assert not planted or "did not finish" in log, log[-2000:]
        print("crash: kill -9 mid-compression (%d .tmp left by it, 1 half-written one "
              "planted): removed at restart, %d closed files identical after it" % (
                  len(tmps) - (1 if planted else 0), len(before)))


SCENARIOS = {"size": scenario_size, "floor": scenario_floor, "time": scenario_time,
             "zstd": scenario_zstd, "gzip": scenario_gzip, "crash": scenario_crash}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin-dir", action="append", required=True)
    ap.add_argument("scenario", nargs="*")
    a = ap.parse_args()
    if os.geteuid() != 0:
        print("SKIP: needs root (mount -t tmpfs)")
        return nvgtest.SKIP
    missing = nvgtest.find_programs(a.bin_dir, PROGRAMS)
    if missing:
        print("missing program(s) %s" % ", ".join(missing), file=sys.stderr)
        return 1
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    for name in a.scenario or SCENARIOS:
        try:
            with nvgtest.Work("nvg-retention-") as w:
                SCENARIOS[name](w)
        except Skip as e:
            print("SKIP %s: %s" % (name, e))
            if a.scenario:
                return nvgtest.SKIP
    return 0


if __name__ == "__main__":
    sys.exit(main())
