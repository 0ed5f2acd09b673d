#!/usr/bin/env python3
"""netvigil-viewer's first-run and empty states (Xvfb + private D-Bus session, a temporary
XDG_CONFIG_HOME). Run inside `xvfb-run -a dbus-run-session -- test_viewer_firstrun.py --bin-dir
DIR ...`.

  1. no collector at the endpoints: within a few seconds the first-run page covers the pages
     (the viewer logs "first-run page shown: No Collector Answers"), saying where the viewer is
     trying to connect; app.connection stays 'connecting'; screenshot viewer-firstrun.png;
  2. a collector starts on those ports: the page goes by itself ("first-run page hidden") and
     app.connection is 'connected'; it does not come back when the collector is killed (the
     rows stay in view, the badge says reconnecting);
  3. a collector with no sensor yet: each page's empty state, as screenshots
     viewer-empty-{packets,sensors,traffic,alerts,flows}.png, and the viewer log says which
     empty states it showed.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_viewer_gui as g  # noqa: E402
import test_viewer_reconnect as rc  # noqa: E402
from nvgtest import wait_for  # noqa: E402

log = g.log


def viewer_text(st):
    assert st.viewer.poll() is None, "viewer exited: see " + st.viewer_log
    with open(st.viewer_log, errors="replace") as f:
        return f.read()


def run(st):
    # 1. nothing listens at the endpoints
    t0 = time.monotonic()
    st.start_viewer(wait=False)
    wait_for(lambda: "first-run page shown: No Collector Answers" in viewer_text(st), 10,
             "the first-run page")
    log("first-run page shown %.1f s after the start" % (time.monotonic() - t0))
    assert rc.state() == "connecting", rc.state()
    line = [x for x in viewer_text(st).splitlines() if "first-run page shown" in x][0]
    assert "hidden" not in viewer_text(st), "the page came and went without a collector"
    time.sleep(0.5)
    st.screenshot("viewer-firstrun.png")
    log(line.strip())

    # 2. the collector starts where the viewer looks
    st.start_collector()
    t1 = time.monotonic()
    wait_for(lambda: "first-run page hidden" in viewer_text(st), 10,
             "the first-run page to go when the collector starts")
    log("first-run page hidden %.1f s after the collector started" % (time.monotonic() - t1))
    wait_for(lambda: rc.state() == "connected", 5, "app.connection = 'connected'")

    # 3. empty states of a collector without sensors
    for page in ("packets", "sensors", "traffic", "alerts", "flows"):
        g.action("show-page", g.s(page))
        time.sleep(0.6)
        st.screenshot("viewer-empty-%s.png" % page)
    text = viewer_text(st)
    for what in ("sensors", "alerts", "traffic"):
        assert "empty state: %s" % what in text, "no empty state for %s in the log" % what
    log("empty states shown: sensors, alerts, traffic (and conversations)")

    # a collector lost later: the pages stay, no first-run page
    st.col.kill()
    wait_for(lambda: rc.state() == "reconnecting", 8, "app.connection = 'reconnecting'")
    time.sleep(3)
    assert viewer_text(st).count("first-run page shown") == 1, "first-run page came back"
    log("collector killed: reconnecting, the pages stay in view")
    g.action("quit")
    assert st.viewer.wait(timeout=10) == 0, "viewer exit status"


def main():
    return g.run_gui_test("nvg-viewer-firstrun-", run,
                          ("netvigil-viewer", "netvigil-collector", "netvigil-ctl"))


if __name__ == "__main__":
    sys.exit(main())
