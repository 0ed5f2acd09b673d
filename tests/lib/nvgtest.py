"""The harness of netvigil's multi-process Python suites (tests/collector, tests/ctl,
tests/viewer) and of the scripts that read captures (tests/sensor/oracle, tests/fuzz).

What a suite needs to start programs and check their output, once:

  main()          the frame of a suite: --bin-dir (repeatable: where the programs are), --keep,
                  the TEST to run, the work dir; exit 0 pass, 1 fail, 77 (SKIP) skipped
  prog()          the path of a program found in the --bin-dir list
  free_ports()    ports for a collector (below the ephemeral range, above the fixed ranges of
                  the e2e and control suites)
  Work            a test's work dir and the processes it starts: on every exit path they are
                  ended, on failure the tail of every *.log is shown, then the dir is removed
  Collector       netvigil-collector on its own ports with its output dir and log; status,
                  netvigil-ctl, fake and real sensors pointed at it; stopped with a signal
  wait_for()      poll a predicate until it holds or a timeout says what did not happen
  read_packets(), read_rates(), read_csv_log(), log_files()   the collector's CSV logs
  fake_acks()     the end-of-stream acks nvg-fake-sensor prints
  write_pcap(), pcap_records()   classic pcap files
  sanitizer_report()   the start of an ASan/LSan/UBSan report in a program's output

A suite looks like

    def run(args, work):
        col = nvgtest.Collector(work).start()
        args.fn(col)
        col.stop()

    if __name__ == "__main__":
        sys.exit(nvgtest.main(run, "nvg-pipe-", PROGRAMS, tests=globals()))
"""
import argparse
import collections
import contextlib
import csv
import ctypes
import datetime
import glob
import io
import json
import os
import random
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

SKIP = 77
COLUMNS = ["time", "sensor", "proto", "src", "dst", "sport", "dport", "flags", "ttl", "len",
           "payload", "src_mac", "dst_mac"]
RATE_COLUMNS = ["time", "sensor", "proto", "packets", "bytes"]

# Below Linux's ephemeral range (32768-60999 by default), so that a port a test hands to its
# collector is never also picked by the kernel as the source port of some client connection
# in between (which would make a collector restarted on the same ports fail to bind), and
# above the fixed port ranges the e2e (18100-18649) and control (19000-19899) tests use.
PORT_LOW, PORT_HIGH = 21000, 32000


class Skip(Exception):
    """The test cannot run here (no root, no display, no capture rights): exit status 77."""


# ---- programs -------------------------------------------------------------------------------

_programs = {}


@contextlib.contextmanager
def tmpfs(path, size):
    """A tmpfs of size mounted at path for the with block (a small disk to fill); Skip when
    it cannot be mounted. Always unmounted, lazily if still busy after 5 s."""
    os.makedirs(path, exist_ok=True)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%s,mode=0755" % size, "tmpfs", path],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise Skip("mount -t tmpfs failed: %s" % r.stderr.strip())
    try:
        yield path
    finally:
        for _ in range(50):
            if subprocess.run(["umount", path], capture_output=True).returncode == 0:
                break
            time.sleep(0.1)
        else:
            subprocess.run(["umount", "-l", path], capture_output=True)


def find_programs(bin_dirs, names):
    """Looks each program up in bin_dirs (the first executable wins); returns those missing."""
    missing = []
    for name in names:
        for d in bin_dirs:
            path = os.path.join(d, name)
            if os.access(path, os.X_OK):
                _programs[name] = path
                break
        else:
            missing.append(name)
    return missing


def prog(name):
    """The path of a program the suite named in main()'s programs."""
    assert name in _programs, "%s is not among the suite's programs" % name
    return _programs[name]


# ---- ports and waiting ----------------------------------------------------------------------

def free_ports(n):
    """n distinct TCP ports that were free on 127.0.0.1 a moment ago (all held at once while
    choosing, so they cannot repeat)."""
    rng = random.SystemRandom()
    socks, ports = [], []
    try:
        while len(ports) < n:
            port = rng.randrange(PORT_LOW, PORT_HIGH)
            if port in ports:
                continue
            s = socket.socket()
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                s.close()
                continue
            socks.append(s)
            ports.append(port)
    finally:
        for s in socks:
            s.close()
    return ports


def port_free(port):
    """Whether a listener could bind port now (SO_REUSEADDR, as ZeroMQ binds)."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def wait_for(pred, timeout, what, interval=0.1):
    """The first true value pred() returns within timeout seconds; AssertionError naming what
    did not happen otherwise."""
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = pred()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError("timed out after %.0f s waiting for %s (last: %r)" % (timeout, what,
                                                                               last))


# ---- the work dir and its processes ---------------------------------------------------------

_libc = ctypes.CDLL(None, use_errno=True)


def _die_with_parent():
    _libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: no orphans if ctest kills the test


class Work:
    """A test's work dir and every process started through it. Leaving the `with` block ends
    the processes still running (newest first; SIGTERM, or SIGKILL when the test failed),
    shows the tail of each *.log on failure and removes the dir, unless it is kept: always
    with keep (or NVG_TEST_KEEP set), on failure with keep_failed (or NVG_TEST_KEEP_FAILED)."""

    def __init__(self, prefix, keep=False, keep_failed=False):
        self.dir = tempfile.mkdtemp(prefix=prefix)
        self.procs = []
        self.keep = keep or bool(os.environ.get("NVG_TEST_KEEP"))
        self.keep_failed = keep_failed or bool(os.environ.get("NVG_TEST_KEEP_FAILED"))

    def path(self, *names):
        return os.path.join(self.dir, *names)

    def logfile(self, name):
        return open(self.path(name), "ab")

    def _popen_args(self, args, log, merge, kw):
        if log:
            f = self.logfile(log)
            kw["stderr"] = f
            if merge:
                kw["stdout"] = f
        return [str(a) for a in args], kw

    def spawn(self, args, log=None, merge=False, **kw):
        """Popen(args) that dies with the test; its stderr (with merge, stdout too) appended to
        the file log in the work dir; kw as for Popen."""
        args, kw = self._popen_args(args, log, merge, kw)
        p = subprocess.Popen(args, preexec_fn=_die_with_parent, **kw)
        if log:
            kw["stderr"].close()  # the child has its own copy
        self.procs.append(p)
        return p

    def run(self, args, log=None, merge=False, **kw):
        """subprocess.run(args), otherwise as spawn()."""
        args, kw = self._popen_args(args, log, merge, kw)
        try:
            return subprocess.run(args, preexec_fn=_die_with_parent, **kw)
        finally:
            if log:
                kw["stderr"].close()

    def stop_all(self, sig=signal.SIGTERM, timeout=10):
        """Sends sig to every process still running, newest first, and reaps them all
        (SIGKILL after timeout seconds)."""
        for p in reversed(self.procs):
            if p.poll() is None:
                p.send_signal(sig)
        for p in reversed(self.procs):
            try:
                p.wait(timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    def kill_all(self):
        self.stop_all(signal.SIGKILL)

    def logs(self):
        return sorted(glob.glob(self.path("*.log")))

    def dump_logs(self, tail=4000):
        sys.stdout.flush()
        for path in self.logs():
            with open(path, errors="replace") as f:
                text = f.read()
            sys.stderr.write("---- %s (last %d chars)\n%s\n" % (os.path.basename(path), tail,
                                                             text[-tail:]))
        sys.stderr.flush()

    def __enter__(self):
        return self

    def __exit__(self, typ, exc, tb):
        failed = typ is not None and not issubclass(typ, Skip)
        self.stop_all(signal.SIGKILL if failed else signal.SIGTERM)
        if failed:
            self.dump_logs()
        if self.keep or (failed and self.keep_failed):
            print("work dir kept:", self.dir, flush=True)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)
        return False


def main(run, prefix, programs, tests=None, add_args=None, keep=False, keep_failed=False):
    """The frame of a suite: options (--bin-dir DIR..., --keep, TEST when tests (a module's
    globals()) is given: test_TEST, dashes read as underscores, becomes args.fn; add_args(ap)
    adds a suite's own), every program in programs found, SIGTERM (ctest's timeout) cleaned up
    like any failure, then run(args, work) in a fresh Work. Returns the exit status: 0, or
    SKIP when run raised Skip; a failure propagates (traceback, exit status 1)."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin-dir", action="append", required=True,
                    help="a directory holding programs the suite runs (repeatable)")
    ap.add_argument("--keep", action="store_true", help="keep the work dir")
    if tests is not None:
        ap.add_argument("test")
    if add_args:
        add_args(ap)
    a = ap.parse_args()
    if tests is not None:
        a.fn = tests.get("test_" + a.test.replace("-", "_"))
        if not callable(a.fn):
            ap.error("no test %r" % a.test)
    missing = find_programs(a.bin_dir, programs)
    if missing:
        print("missing program(s) %s in %s" % (", ".join(missing), a.bin_dir), file=sys.stderr)
        return 1
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    try:
        with Work(prefix, keep=keep or a.keep, keep_failed=keep_failed) as work:
            run(a, work)
    except Skip as e:
        print("SKIP:", e, flush=True)
        return SKIP
    return 0


# ---- the collector --------------------------------------------------------------------------

class Collector:
    """netvigil-collector on three ports of its own (free ones, or given: base, base+1, base+2
    for sensors, feed and control), writing its CSV logs to out (default WORK/out), its stderr
    appended to the file log in the work dir across restarts."""

    def __init__(self, work, out=None, ports=None, extra=(), log="collector.log"):
        self.work = work
        self.out = out or work.path("out")
        os.makedirs(self.out, exist_ok=True)
        self.ports = tuple(ports or free_ports(3))
        self.extra = [str(a) for a in extra]
        self.log = log
        self.proc = None

    @property
    def sensor_ep(self):
        return "tcp://127.0.0.1:%d" % self.ports[0]

    @property
    def feed_ep(self):
        return "tcp://127.0.0.1:%d" % self.ports[1]

    @property
    def control_ep(self):
        return "tcp://127.0.0.1:%d" % self.ports[2]

    def start(self, timeout=15):
        """Starts it and waits until it answers status; returns self."""
        deadline = time.time() + 10
        for p in self.ports:  # a collector just SIGKILLed may hold them for a moment
            wait_for(lambda: port_free(p), max(0.5, deadline - time.time()),
                     "port %d to be free (another test or program holds it?)" % p)
        args = [prog("netvigil-collector"), "-o", self.out, "--sensor-port", self.ports[0],
                "--feed-port", self.ports[1], "--control-port", self.ports[2]] + self.extra
        self.proc = self.work.spawn(args, log=self.log)
        wait_for(lambda: self.proc.poll() is not None or self.status(300, check=False),
                 timeout, "the collector to answer status")
        assert self.proc.poll() is None, "collector exited at start (rc %s), see %s" % (
            self.proc.returncode, self.log)
        return self

    def stop(self, sig=signal.SIGTERM, timeout=60):
        """Ends it with sig (if it still runs). After SIGTERM it must have flushed, closed and
        exited 0, whoever sent the signal."""
        p, self.proc = self.proc, None
        if p is None:
            return None
        if p.poll() is None:
            p.send_signal(sig)
        rc = p.wait(timeout)
        if sig == signal.SIGTERM:
            assert rc == 0, "collector exit status %s after SIGTERM (see %s)" % (rc, self.log)
        return rc

    def kill(self):
        self.stop(signal.SIGKILL)

    def log_text(self):
        with open(self.work.path(self.log), errors="replace") as f:
            return f.read()

    # -- netvigil-ctl

    def ctl_args(self, *args):
        return [prog("netvigil-ctl"), "--feed-endpoint", self.feed_ep, "--control-endpoint",
                self.control_ep] + [str(a) for a in args]

    def ctl(self, *args, timeout=30):
        """netvigil-ctl ARGS against this collector, run to the end (stdout, stderr as text)."""
        return subprocess.run(self.ctl_args(*args), capture_output=True, text=True,
                              timeout=timeout)

    def status(self, timeout=3000, check=True):
        """`netvigil-ctl status --json`, parsed; None when it fails and not check."""
        r = self.ctl("--timeout", timeout, "status", "--json", timeout=timeout / 1000 + 10)
        if r.returncode != 0:
            assert not check, "netvigil-ctl status failed (%d): %s" % (r.returncode, r.stderr)
            return None
        return json.loads(r.stdout)

    def find_sensor(self, name, st=None):
        """The sensor's entry in status st (default: a fresh one), or None."""
        for s in (st or self.status())["sensors"]:
            if s["sensor"] == name:
                return s
        return None

    def sensor(self, name, st=None):
        """As find_sensor, but the sensor must be there."""
        s = self.find_sensor(name, st)
        assert s is not None, "no sensor %r in status: %r" % (name, st)
        return s

    # -- sensors

    def fake_args(self, *args):
        return [prog("nvg-fake-sensor"), "--endpoint", self.sensor_ep] + [str(a) for a in args]

    def run_fake(self, *args, check=True, timeout=120):
        """nvg-fake-sensor ARGS into this collector, run to the end; with check it must exit 0."""
        r = subprocess.run(self.fake_args(*args), capture_output=True, text=True,
                           timeout=timeout)
        if check:
            assert r.returncode == 0, "nvg-fake-sensor %s failed (%d):\n%s%s" % (
                " ".join(str(a) for a in args), r.returncode, r.stdout, r.stderr)
        return r

    def start_fake(self, *args, log=None, merge=False, **kw):
        """nvg-fake-sensor ARGS into this collector, started (as Work.spawn)."""
        return self.work.spawn(self.fake_args(*args), log=log, merge=merge, **kw)

    def start_sensor(self, name, *args, log=None, merge=False):
        """netvigil-sensor -n NAME -c (this collector) ARGS, started; its stderr in
        sensor-NAME.log unless log says otherwise."""
        return self.work.spawn([prog("netvigil-sensor"), "-n", name, "-c", self.sensor_ep]
                               + list(args), log=log or "sensor-%s.log" % name, merge=merge)


# ---- what the programs write ----------------------------------------------------------------

_LOG_NAME = re.compile(r"^(?P<prefix>[a-z]+)-(?P<stamp>\d{8}T\d{6}Z)-(?P<n>\d+)\.csv$")


def log_files(out_dir, prefix):
    """The rotated files of one of the collector's logs (packets, rates, audit) in the order
    they were written (stamp, then -N)."""
    found = []
    for path in glob.glob(os.path.join(out_dir, prefix + "-*.csv")):
        m = _LOG_NAME.match(os.path.basename(path))
        assert m, "unexpected file name %s" % path
        found.append((m.group("stamp"), int(m.group("n")), path))
    return [p for _, _, p in sorted(found)]


def read_csv_log(path, header, empty_ok=True):
    """All rows of one CSV file, checking the header, the column count of every row, UTF-8 and
    that it ends in a complete line. An empty file (opened, nothing flushed yet: the header goes
    with the first flush, or the disk was full from the start) has no rows if empty_ok."""
    with open(path, "rb") as f:
        data = f.read()
    if not data and empty_ok:
        return []
    assert data.endswith(b"\n"), "%s ends in a torn line: %r" % (path, data[-120:])
    assert b"\r" not in data, "%s has CR line ends" % path
    reader = csv.reader(io.StringIO(data.decode("utf-8"), newline=""), strict=True)
    got = next(reader)
    assert got == header, "%s: header %r" % (path, got)
    rows = []
    for row in reader:
        assert len(row) == len(header), "%s line %d: %d columns: %r" % (
            path, reader.line_num, len(row), row)
        rows.append(row)
    return rows


def read_packets(out_dir, empty_ok=False):
    """Every row of every packet file in out_dir, in order (each file checked as above)."""
    return [row for path in log_files(out_dir, "packets")
            for row in read_csv_log(path, COLUMNS, empty_ok)]


def parse_iso_second(t):
    """Unix second of a CSV time ("2023-11-14T22:13:20.123456Z")."""
    return int(datetime.datetime.strptime(t[:19], "%Y-%m-%dT%H:%M:%S").replace(
        tzinfo=datetime.timezone.utc).timestamp())


def read_rates(out_dir):
    """The rates logs summed: Counter {(second, sensor, proto, "packets"|"bytes"): n}."""
    sums = collections.Counter()
    for path in log_files(out_dir, "rates"):
        for t, sensor, proto, pk, by in read_csv_log(path, RATE_COLUMNS):
            assert t.endswith("Z") and len(t) == 20, "rates time %r" % t
            k = (parse_iso_second(t), sensor, proto)
            sums[k + ("packets",)] += int(pk)
            sums[k + ("bytes",)] += int(by)
    return sums


_ACK = re.compile(r"^(\S+): ack records_received=(\d+) batches_lost=(\d+) write_failures=(\d+) "
                  r"sent=(\d+)", re.M)


def fake_acks(out):
    """The end-of-stream acks in nvg-fake-sensor's output: {sensor: (records_received,
    batches_lost, write_failures, sent)}."""
    return {m.group(1): tuple(int(x) for x in m.group(2, 3, 4, 5)) for m in _ACK.finditer(out)}


def fake_ack(out):
    """The ack of the one sensor a nvg-fake-sensor run played."""
    acks = fake_acks(out)
    assert len(acks) == 1, out
    return next(iter(acks.values()))


_SANITIZER = re.compile(r"ERROR: \w*Sanitizer|runtime error:|SUMMARY: \w*Sanitizer")


def sanitizer_report(text):
    """The match where an ASan / LSan / UBSan report starts in text, or None."""
    return _SANITIZER.search(text)


# ---- pcap files -----------------------------------------------------------------------------

def write_pcap(path, packets):
    """A classic pcap file (little-endian, microseconds, Ethernet) of packets: (time in
    microseconds, frame bytes), each captured whole."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for ts_us, frame in packets:
            f.write(struct.pack("<IIII", ts_us // 1000000, ts_us % 1000000, len(frame),
                                len(frame)))
            f.write(frame)


def pcap_records(data):
    """(link type, [(offset, captured length, original length), ...]) of the bytes of a classic
    pcap file in either byte order and resolution; a record cut off at the end is listed as its
    header says. None when data is not a classic pcap file (pcapng, too short)."""
    if len(data) < 24:
        return None
    if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        end = "<"
    elif data[:4] in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        end = ">"
    else:
        return None
    link = struct.unpack(end + "I", data[20:24])[0] & 0x3FFFFFF
    records, off = [], 24
    while off + 16 <= len(data):
        incl, orig = struct.unpack(end + "II", data[off + 8:off + 16])
        records.append((off, incl, orig))
        off += 16 + incl
    return link, records
