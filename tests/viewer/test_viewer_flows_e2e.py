#!/usr/bin/env python3
"""Conversations reach the viewer from a real collector (Xvfb + private D-Bus session).

Run it inside `xvfb-run -a dbus-run-session -- test_viewer_flows_e2e.py --bin-dir DIR ...`.
A netvigil-collector, nvg-fake-sensor --flows N (N conversation records spread over its
batches, on the link as a real sensor's flow table exports them) and the viewer:

  1. the Conversations page lists the conversations of the collector's flows CSV, each with
     its last export's end and bytes (the fake sensor sends updates of some: one row each),
     from the collector's `flow` feed topic, under the sensor's name;
  2. its top hosts panel shows the collector's per-host totals (COMMAND_HOSTS);
  3. sorted by bytes, the heaviest first.
Screenshot: viewer-flows-e2e.png."""
import csv
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_viewer_flows as tf  # noqa: E402
import test_viewer_gui as g  # noqa: E402
import nvgtest  # noqa: E402  (on the path through test_viewer_gui)
from nvgtest import wait_for  # noqa: E402  (on the path through test_viewer_gui)

from gi.repository import GLib  # noqa: E402

log = g.log
FLOWS = 40


def state_when(pred):
    def f():
        try:
            s = tf.flows_state()
        except GLib.Error:  # not (yet) on the bus
            return None
        return s if pred(s) else None
    return f


def run(st):
    st.start_collector()
    st.start_viewer()
    g.action("show-page", g.s("flows"))
    fake = st.col.start_fake("--name", "fs-flows", "--records", "4000", "--rate", "2000",
                             "--flows", str(FLOWS), "--quiet", log="fake.log", merge=True)
    assert fake.wait(timeout=60) == 0, "fake sensor failed: see fake.log"
    # what the collector wrote (flushed within a second or so): every record the sensor sent
    def written():
        rows = []
        for path in nvgtest.log_files(st.data, "flows"):
            with open(path, newline="") as f:
                rows += list(csv.DictReader(f))
        return rows if len(rows) >= FLOWS else None
    rows = wait_for(written, 15, "the collector's flows CSV to hold %d records" % FLOWS)
    want = {}  # the last export of each conversation (updates share an id)
    for row in rows:
        want[int(row["id"])] = (row["end"], int(row["orig_bytes"]) + int(row["resp_bytes"]))
    assert len(want) > FLOWS // 2, "the collector's flows CSV: %d conversations" % len(want)

    def same(s):
        got = {x[0]: (x[5], x[6]) for x in s[2]}
        return s[1] == len(want) and got == want
    s = wait_for(state_when(same), 15, "the collector's %d conversations listed" % len(want))
    assert {x[1] for x in s[2]} == {"fs-flows"}, {x[1] for x in s[2]}
    log("%d flow records sent, %d conversations in the collector's flows CSV: the page lists "
        "the same %d, each with its last export's end and bytes (updates replaced their row)" %
        (FLOWS, len(want), s[1]))
    s = wait_for(state_when(lambda s: len(s[3]) > 0), 15, "the top hosts")
    log("top hosts from COMMAND_HOSTS: %r" % s[3][:3])
    g.action("sort-flows", g.s("bytes"))
    s = wait_for(state_when(lambda s: [x[6] for x in s[2]] == sorted(
        [x[6] for x in s[2]], reverse=True)), 10, "sorted by bytes")
    log("sorted by bytes: %r ..." % [x[6] for x in s[2]][:5])
    time.sleep(0.5)
    st.screenshot("viewer-flows-e2e.png")
    g.action("quit")
    assert st.viewer.wait(timeout=10) == 0, "viewer exit status"
    with open(st.viewer_log, errors="replace") as f:
        text = f.read()
    assert "-CRITICAL **" not in text and "-WARNING **" not in text, \
        "GLib warnings or criticals: see " + st.viewer_log


def main():
    return g.run_gui_test("nvg-viewer-flows-e2e-", run, ("netvigil-viewer", "netvigil-collector", "netvigil-ctl",
                           "nvg-fake-sensor"))


if __name__ == "__main__":
    sys.exit(main())
