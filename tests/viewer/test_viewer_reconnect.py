#!/usr/bin/env python3
"""netvigil-viewer loses its collector and gets it back (Xvfb + private D-Bus session).

Run it inside `xvfb-run -a dbus-run-session -- test_viewer_reconnect.py --bin-dir DIR ...`.
Only public interfaces are used: the viewer's read-only app.connection action, whose state
('connecting', 'connected', 'reconnecting', 'failed') is what the window's badge shows, read
with org.gtk.Actions.Describe; and app.export for the rows shown.

  1. records flow from a fake sensor, the viewer shows them and says 'connected';
  2. SIGKILL the collector: the viewer says 'reconnecting' within a few seconds, and while the
     collector is away its main loop keeps answering D-Bus (each Describe within 1 s, for
     several seconds); a screenshot of the badge is saved (viewer-reconnecting.png);
  3. restart the collector on the same ports: the viewer says 'connected' again by itself and
     rows of a sensor that only sent to the new collector appear in its list.
"""
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_viewer_gui as g  # noqa: E402  (the viewer's helpers: Stack, action, export, ...)
from nvgtest import wait_for  # noqa: E402  (test_viewer_gui put tests/lib on the path)

log = g.log


def connection(timeout=1.0):
    """app.connection's state via org.gtk.Actions.Describe, or None when no answer in time."""
    args = ["gdbus", "call", "--session", "--dest", g.APP_ID, "--object-path", g.OBJ,
            "--timeout", str(max(1, int(timeout))), "--method", "org.gtk.Actions.Describe",
            "connection"]
    t0 = time.monotonic()
    try:
        r = subprocess.run(args, capture_output=True, text=True, timeout=timeout + 2)
    except subprocess.TimeoutExpired:
        return None, time.monotonic() - t0
    dt = time.monotonic() - t0
    if r.returncode != 0:
        return None, dt
    # (true, signature '', [<'connected'>])
    m = re.search(r"\[<'([a-z-]+)'>\]", r.stdout)
    assert m, "unexpected Describe answer: " + r.stdout
    return m.group(1), dt


def state():
    return connection()[0]


def fake(st, name, records, rate):
    return st.col.start_fake("--name", name, "--records", records, "--rate", rate, "--pps", rate,
                             "--batch", "50", "--quiet", "--no-check", "--timeout-ms", "2000",
                             log="fake-%s.log" % name, merge=True)


def rows_of(st, sensor):
    return [r for r in st.export("shown.csv") if g.fields(r)[1] == sensor]


def run(st):
    st.start_collector()
    st.start_viewer()
    wait_for(lambda: state() == "connected", 10, "app.connection = 'connected'")
    log("app.connection: connected")

    # 1. records flowing (a steady trickle, so the collector dies mid-stream)
    before = fake(st, "before", 100000, 500)
    wait_for(lambda: len(rows_of(st, "before")) >= 500, 20, "rows of sensor 'before'")
    log("rows flowing: %d from 'before'" % len(rows_of(st, "before")))

    # 2. the collector dies
    st.col.kill()
    t_kill = time.monotonic()
    wait_for(lambda: state() == "reconnecting", 8, "app.connection = 'reconnecting'",
               interval=0.1)
    log("app.connection: reconnecting %.1f s after SIGKILL" % (time.monotonic() - t_kill))
    time.sleep(0.3)  # the badge's next redraw
    st.screenshot("viewer-reconnecting.png")
    # the main loop keeps running while the collector is away: every Describe answers in < 1 s
    worst, n = 0.0, 0
    away_until = time.monotonic() + 4
    while time.monotonic() < away_until:
        s, dt = connection(timeout=1.0)
        assert s is not None, "the viewer did not answer org.gtk.Actions.Describe within 1 s"
        assert s == "reconnecting", "app.connection is %r with the collector gone" % s
        worst, n = max(worst, dt), n + 1
        time.sleep(0.1)
    rows = len(st.export("shown.csv"))
    assert rows >= 500, "the list lost its rows while the collector was away"
    log("collector away: %d Describe calls answered, slowest %.0f ms (incl. gdbus start); "
        "%d rows still shown" % (n, worst * 1000, rows))
    before.kill()
    before.wait()

    # 3. the collector comes back on the same ports; the viewer reconnects by itself
    st.start_collector()
    t_back = time.monotonic()
    wait_for(lambda: state() == "connected", 10, "app.connection back to 'connected'",
               interval=0.1)
    log("app.connection: connected again %.1f s after the restart" %
        (time.monotonic() - t_back))
    after = fake(st, "after", 2000, 2000)
    assert after.wait(timeout=30) == 0, "fake sensor 'after' failed"
    wait_for(lambda: len(rows_of(st, "after")) == 2000, 15,
               "the 2000 rows of sensor 'after' in the viewer")
    log("new rows after the reconnect: 2000 from 'after'")
    assert state() == "connected"
    # read-only: a request to change the state is ignored
    subprocess.run(["gdbus", "call", "--session", "--dest", g.APP_ID, "--object-path", g.OBJ,
                    "--method", "org.gtk.Actions.SetState", "connection", "<'failed'>", "{}"],
                   capture_output=True, timeout=10)
    assert state() == "connected", "app.connection accepted a state change"
    g.action("quit")
    assert st.viewer.wait(timeout=10) == 0, "viewer exit status"
    log("viewer quit cleanly")


def main():
    return g.run_gui_test("nvg-viewer-reconnect-", run,
                          ("netvigil-viewer", "netvigil-collector", "netvigil-ctl",
                           "nvg-fake-sensor"))


if __name__ == "__main__":
    sys.exit(main())
