#!/usr/bin/env python3
"""netvigil-viewer connected to two collectors at once (--collector given twice), each in a site
of its own (a network namespace behind a veth, tests/ctl/sites.py), under Xvfb and a private
D-Bus session, driven through its GApplication actions only.

Run it inside `xvfb-run -a dbus-run-session -- test_viewer_multi.py --bin-dir DIR ... TEST`:

  streams  both collectors' records reach the packet list, named siteA/a1 and siteB/b1; the
           merged status puts both sensors in the selector (selecting siteB/b1 filters the list
           to its rows); app.collectors says both are connected;
  control  app.stop siteB/b1 reaches siteB's collector (b1 stopped there, its audit log has the
           stop, siteA's has nothing, a1 keeps running); app.start brings it back;
  killed   siteB's collector SIGKILLed: app.collectors says siteB is away, app.connection is
           'partial', and siteA's records keep arriving in the list; a screenshot of the badge.
Needs root (namespaces); skips (77) without it or without a display.
"""
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "ctl"))
import test_viewer_gui as g  # noqa: E402  (the viewer's helpers; puts tests/lib on the path)
import nvgtest  # noqa: E402
import sites  # noqa: E402
from nvgtest import prog, wait_for  # noqa: E402

log = g.log
PROGRAMS = ("netvigil-viewer", "netvigil-collector", "netvigil-ctl", "nvg-ctl-peer")


def describe(name):
    r = subprocess.run(["gdbus", "call", "--session", "--dest", g.APP_ID, "--object-path", g.OBJ,
                        "--method", "org.gtk.Actions.Describe", name],
                       capture_output=True, text=True, timeout=10)
    return r.stdout if r.returncode == 0 else ""  # not on the bus yet


def collectors():
    """app.collectors: {label: state}."""
    return {m.group(1): m.group(3)
            for m in re.finditer(r"\('([^']*)', '([^']*)', '([a-z-]+)'\)", describe("collectors"))}


def connection():
    m = re.search(r"\[<'([a-z-]+)'>\]", describe("connection"))
    return m.group(1) if m else None


class Viewer:
    def __init__(self, work, s, artifacts):
        self.work = work
        self.artifacts = artifacts
        env = dict(os.environ, G_MESSAGES_DEBUG="netvigil-viewer", GTK_A11Y="none",
                   NO_AT_BRIDGE="1", XDG_CONFIG_HOME=work.path("config"))
        self.proc = work.spawn([prog("netvigil-viewer"), "--app-id", g.APP_ID, "--ring-size",
                                "50000"] + s.collector_args(), log="viewer.log", merge=True,
                               env=env)
        wait_for(lambda: self.alive() and collectors() == {"siteA": "connected",
                                                            "siteB": "connected"},
                 20, "the viewer to connect to both collectors")
        assert connection() == "connected", connection()

    def alive(self):
        assert self.proc.poll() is None, "viewer exited: see viewer.log"
        return True

    def rows(self, sensor=None):
        path = self.work.path("shown.csv")
        if os.path.exists(path):
            os.unlink(path)
        g.action("export", g.s(path))
        rows = g.read_rows(path)
        return [r for r in rows if sensor is None or g.fields(r)[1] == sensor]

    def screenshot(self, name):
        g.Stack.screenshot(self, name)

    def quit(self):
        g.action("quit")
        assert self.proc.wait(timeout=10) == 0, "viewer exit status"


def test_streams(work, artifacts):
    with sites.Sites(work, ("a1",), ("b1",)) as s:
        v = Viewer(work, s, artifacts)
        wait_for(lambda: v.rows("siteA/a1") and v.rows("siteB/b1"), 15,
                 "rows of siteA/a1 and siteB/b1 in the list")
        names = {g.fields(r)[1] for r in v.rows()}
        assert names == {"siteA/a1", "siteB/b1"}, names
        # the merged status lists both sensors: the selector knows siteB/b1
        time.sleep(1.5)
        g.action("select-sensor", g.s("siteB/b1"))
        time.sleep(0.3)
        shown = {g.fields(r)[1] for r in v.rows()}
        assert shown == {"siteB/b1"}, "select-sensor siteB/b1 shows %s" % shown
        g.action("select-sensor", g.s(""))
        g.action("show-page", g.s("sensors"))
        time.sleep(0.5)
        v.screenshot("viewer-multi-sensors.png")
        log("both collectors stream; the selector lists siteA/a1 and siteB/b1")
        v.quit()


def test_control(work, artifacts):
    with sites.Sites(work, ("a1",), ("b1",)) as s:
        v = Viewer(work, s, artifacts)
        time.sleep(1.5)  # a merged status: the sensors page knows both
        g.action("stop", g.s("siteB/b1"))
        sites.wait_state(s.b, "b1", "stopped", timeout=10)
        assert s.a.sensor_state("a1") == "running", "a1 touched"
        rows = wait_for(s.b.audit_rows, 5, "siteB's audit row")
        assert [(x["sensor"], x["command"], x["outcome"]) for x in rows] == [
            ("b1", "stop", "ok")], rows
        assert s.a.audit_rows() == [], s.a.audit_rows()
        log("app.stop siteB/b1: stopped on siteB's collector, audited there, siteA untouched")
        g.action("start", g.s("siteB/b1"))
        sites.wait_state(s.b, "b1", "running", timeout=10)
        log("app.start siteB/b1: running again")
        v.quit()


def test_killed(work, artifacts):
    with sites.Sites(work, ("a1",), ("b1",)) as s:
        v = Viewer(work, s, artifacts)
        wait_for(lambda: v.rows("siteA/a1") and v.rows("siteB/b1"), 15, "rows of both")
        s.b.kill_collector()
        wait_for(lambda: collectors().get("siteB") == "reconnecting", 10,
                 "app.collectors to say siteB is away")
        assert collectors()["siteA"] == "connected", collectors()
        assert connection() == "partial", connection()
        t_away = time.time()
        before = len(v.rows("siteA/a1"))
        b_before = len(v.rows("siteB/b1"))
        time.sleep(3.5)
        after = len(v.rows("siteA/a1"))
        assert after > before, "siteA's rows stopped: %d then %d" % (before, after)
        assert len(v.rows("siteB/b1")) == b_before, "rows of siteB/b1 after its collector died"
        v.screenshot("viewer-multi-partial.png")
        log("siteB killed: siteB away after %.1f s, siteA rows %d -> %d in 3.5 s" % (
            t_away - time.time() + 3.5, before, after))
        assert connection() == "partial" and v.alive()
        v.quit()


def main():
    def run(args, work):
        if not os.environ.get("DISPLAY") or not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
            raise nvgtest.Skip("run under xvfb-run and dbus-run-session")
        os.makedirs(args.artifacts, exist_ok=True)
        args.fn(work, args.artifacts)

    return nvgtest.main(run, "nvg-viewer-multi-", PROGRAMS, globals(), keep_failed=True,
                        add_args=lambda ap: ap.add_argument("--artifacts", default="."))


if __name__ == "__main__":
    sys.exit(main())
