#!/usr/bin/env python3
"""Alerts reach the viewer from a real collector (Xvfb + private D-Bus session).

Run it inside `xvfb-run -a dbus-run-session -- test_viewer_alerts_e2e.py --bin-dir DIR ...`.
A netvigil-collector with its built-in detection, a fake sensor sending a spoofed-source SYN
flood (nvg-fake-sensor --syn-flood), the viewer, and fake_notifications.py as the desktop's
notification server:

  1. the viewer lists the collector's SYN-flood alert (high) within seconds of the flood, the
     switcher's badge counts it, one desktop notification carries its summary;
  2. a viewer started after the alert began (the first one quit) lists it too, from
     COMMAND_ALERTS (the collector's ring of recent events), with the same id.
Screenshot: viewer-alerts-e2e.png."""
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_viewer_alerts as ta  # noqa: E402
import test_viewer_gui as g  # noqa: E402
from nvgtest import wait_for  # noqa: E402  (on the path through test_viewer_gui)

from gi.repository import GLib  # noqa: E402

log = g.log
ALERT_WITHIN_S = 10


def listed(pred):
    def f():
        try:
            s = ta.alerts_state()
        except GLib.Error:  # not (yet) on the bus
            return None
        return s if pred(s) else None
    return f


def run(st):
    notes = ta.start_notifier(st)
    st.start_collector()
    st.start_viewer()
    flood = st.col.start_fake("--name", "edge-1", "--syn-flood", "--records", "30000", "--rate",
                              "10000", "--quiet", "--no-check", log="fake.log", merge=True)
    t0 = time.monotonic()
    s = None
    try:
        s = wait_for(listed(lambda s: s[0] >= 1), ALERT_WITHIN_S, "the SYN-flood alert listed")
    finally:
        assert flood.wait(timeout=60) == 0, "fake sensor failed"
    dt = time.monotonic() - t0
    aid, state, sev, summary = s[3][0]
    assert sev == "3" and "SYN flood" in summary, s
    assert s[1] >= 1 and s[2] == "Alerts (%d)" % s[1], "badge: %r" % (s,)
    log("collector's alert listed %.1f s after the flood began: #%d %s %r, badge %r" %
        (dt, aid, state, summary, s[2]))
    wait_for(lambda: ta.notifications(notes), 5, "a desktop notification")
    n = ta.notifications(notes)[0]
    assert "High-severity alert: synflood" in n["summary"] and "SYN flood" in n["body"], n
    log("notification: %r" % n["summary"])
    g.action("show-page", g.s("alerts"))
    time.sleep(1.2)
    st.screenshot("viewer-alerts-e2e.png")
    g.action("quit")
    assert st.viewer.wait(timeout=10) == 0, "viewer exit status"

    # a viewer that comes later: the alert from the collector's recent events
    st.start_viewer()
    s = wait_for(listed(lambda s: any(r[0] == aid for r in s[3])), 15,
                 "the alert listed by a viewer started after it")
    assert s[2] == ("Alerts (%d)" % s[1] if s[1] else "Alerts"), s
    # (viewer.log holds both viewers' lines: the last fetch is the late one's.) The alert may
    # reach the late viewer first as a live update on the feed; its fetch is logged when the
    # reply comes.
    def fetches():
        with open(st.viewer_log, errors="replace") as f:
            return re.findall(r"alerts: (\d+) recent alert events fetched", f.read())
    wait_for(lambda: len(fetches()) >= 2, 10, "the late viewer's COMMAND_ALERTS reply")
    fetched = fetches()
    assert len(fetched) >= 2 and int(fetched[-1]) >= 1, "fetches: %r" % fetched
    log("late viewer: alert #%d listed (%s) from the %s events COMMAND_ALERTS returned, badge %r"
        % (aid, [r[1] for r in s[3] if r[0] == aid][0], fetched[-1], s[2]))
    g.action("quit")
    assert st.viewer.wait(timeout=10) == 0, "viewer exit status"
    with open(st.viewer_log, errors="replace") as f:
        text = f.read()
    assert "-CRITICAL **" not in text, "GLib criticals: see " + st.viewer_log


def main():
    return g.run_gui_test("nvg-viewer-alerts-e2e-", run,
                          ("netvigil-viewer", "netvigil-collector", "netvigil-ctl",
                           "nvg-fake-sensor"))


if __name__ == "__main__":
    sys.exit(main())
