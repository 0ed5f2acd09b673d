#!/usr/bin/env python3
"""The packet list's columns under Xvfb + a private D-Bus session: sorting, layout, Follow.

Run it inside `xvfb-run -a dbus-run-session -- test_viewer_columns.py --bin-dir DIR ... TEST`
(TEST: sort, layout or follow). A real collector and two fake sensors (nvg-fake-sensor: five
record kinds over IPv4 and IPv6) give the viewer 9,000 known rows; the viewer is driven through
app.packet-columns (state: the page's "column-layout" text; SetState applies one), read through
app.packet-sort-status and app.export, and clicked with xdotool.

  sort:   every column, ascending and descending: the exported rows equal the collector's log
          sorted the same way in Python (stable: ties keep arrival order in both directions);
          a sort while records stream in stays sorted and holds every row; arrival order again
          equals the log.
  layout: the layout text round-trips (canonical form), invalid texts change nothing, hiding /
          reordering / resizing change the header's pixels; a click on a title sorts
          (ascending, descending, arrival order), a drag on a title's edge resizes, the
          secondary button opens the columns menu.
  follow: unsorted, Follow is on and enabled; sorted, app.follow is disabled (the sort bar
          says why) and records still arrive in order; back to arrival order it is enabled.
Screenshots (viewer-columns-*.png) go to --artifacts and the work dir (kept with NVG_TEST_KEEP).
"""
import ipaddress
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_viewer_gui as g  # noqa: E402
import nvgtest  # noqa: E402  (on the path through test_viewer_gui)
from nvgtest import wait_for  # noqa: E402

from gi.repository import Gio, GLib  # noqa: E402

log = g.log
COLUMNS = ["time", "sensor", "proto", "src", "dst", "sport", "dport", "flags", "ttl", "len",
           "payload"]
CSV_INDEX = {c: i for i, c in enumerate(COLUMNS)}  # the CSV's first 11 fields, same order
# explicit widths, so that a title's x is known for the clicks
WIDTHS = [150, 90, 80, 160, 160, 80, 80, 70, 50, 70, 80]
FIXED = ",".join("%s:%d" % (c, w) for c, w in zip(COLUMNS, WIDTHS))
HEADER_Y = 111  # the header's middle below the window's top (Adwaita, Xvfb, no window manager)


def bus():
    return Gio.bus_get_sync(Gio.BusType.SESSION, None)


def describe(name):
    res = bus().call_sync(g.APP_ID, g.OBJ, "org.gtk.Actions", "Describe",
                          GLib.Variant("(s)", (name,)), None, Gio.DBusCallFlags.NONE, 5000, None)
    (enabled, _sig, state), = res.unpack()
    return enabled, (state[0] if state else None)


def layout():
    return describe("packet-columns")[1]


def set_layout(text):
    bus().call_sync(g.APP_ID, g.OBJ, "org.gtk.Actions", "SetState",
                    GLib.Variant("(sva{sv})", ("packet-columns", GLib.Variant("s", text), {})),
                    None, Gio.DBusCallFlags.NONE, 5000, None)


def sort_status():
    """(sorting, column, rows, total ms, longest main-loop part ms)"""
    return describe("packet-sort-status")[1]


def wait_sorted(column, rows=None, timeout=15):
    def done():
        st = sort_status()
        return (not st[0] and st[1] == column and (rows is None or st[2] == rows)) and st
    return wait_for(done, timeout, "the sort by %s to be applied" % column)


def addr_key(text):
    if not text:
        return (0, 0)
    a = ipaddress.ip_address(text)
    return (1 if a.version == 4 else 2, int(a))


def opt_int(text):
    return (1, int(text)) if text else (0, 0)


def key_of(column):
    i = CSV_INDEX[column]
    if column in ("src", "dst"):
        return lambda row: addr_key(g.fields(row)[i])
    if column in ("sport", "dport", "ttl"):
        return lambda row: opt_int(g.fields(row)[i])
    if column == "len":
        return lambda row: int(g.fields(row)[i])
    if column == "flags":  # '~' marks a clamped time in the CSV; the list shows the letters
        return lambda row: g.fields(row)[i].replace("~", "").encode()
    # time (ISO 8601, fixed width), sensor, proto, payload: the text, bytewise
    return lambda row: g.fields(row)[i].encode()


def expected(rows, column, desc):
    # Python's sort is stable, also with reverse=True: ties keep arrival order as the viewer's
    return sorted(rows, key=key_of(column), reverse=desc)


class Screen:
    """The viewer's window and the pointer, through xdotool."""

    def __init__(self, st):
        self.st = st
        if not shutil.which("xdotool"):
            raise nvgtest.Skip("xdotool is not installed (deploy/install-deps.sh test_pkgs)")
        wid = wait_for(lambda: self._window(), 10, "the viewer's window")
        out = subprocess.run(["xdotool", "getwindowgeometry", "--shell", wid], check=True,
                             capture_output=True, text=True).stdout
        geo = dict(line.split("=", 1) for line in out.split())
        self.x0, self.y0 = int(geo["X"]), int(geo["Y"])

    def _window(self):
        r = subprocess.run(["xdotool", "search", "--onlyvisible", "--pid",
                            str(self.st.viewer.pid)], capture_output=True, text=True)
        ids = r.stdout.split()
        return ids[-1] if ids else None

    def xdo(self, *args):
        subprocess.run(["xdotool"] + [str(a) for a in args], check=True, timeout=10)

    def click_title(self, index, button=1):
        x = self.x0 + sum(WIDTHS[:index]) + WIDTHS[index] // 2
        self.xdo("mousemove", x, self.y0 + HEADER_Y, "click", button)
        time.sleep(0.3)

    def drag_edge(self, index, dx):
        x = self.x0 + sum(WIDTHS[:index + 1])
        y = self.y0 + HEADER_Y
        self.xdo("mousemove", x, y, "mousedown", 1)
        for step in range(1, 6):
            self.xdo("mousemove", x + dx * step // 5, y)
            time.sleep(0.05)
        self.xdo("mouseup", 1)
        time.sleep(0.3)

    def shot(self, name):
        self.st.screenshot(name)
        path = os.path.join(self.st.artifacts, name)
        if os.path.exists(path):
            shutil.copy(path, self.st.work.path(name))
        return path

    def header_differs(self, a, b):
        """Pixels differing between two screenshots in the header's strip."""
        crop = "%dx%d+%d+%d" % (1400, 24, self.x0, self.y0 + HEADER_Y - 12)
        r = subprocess.run(["compare", "-metric", "AE", "-extract", crop, a, b, "null:"],
                           capture_output=True, text=True)
        return int(float(r.stderr.split()[0]))


def feed(st):
    """The collector's log of 9,000 rows from two sensors, all shown by the viewer."""
    fakes = []
    for name, n in (("web-1", 6000), ("db-2", 3000)):
        fakes.append(st.col.start_fake("--name", name, "--records", n, "--rate", "20000",
                                       "--pps", "2000", "--status", "--eos", "--quiet",
                                       log="fake-%s.log" % name, merge=True))
    for p in fakes:
        assert p.wait(timeout=60) == 0, "fake sensor failed"
    wait_for(lambda: len(st.packet_log()) == 9000, 15, "the collector's log to hold all rows")
    logrows = st.packet_log()
    wait_for(lambda: len(st.export("all.csv")) >= 9000, 15, "the viewer to show every row")
    g.check_same(st.export("all.csv"), logrows, "arrival order")
    return logrows


def test_sort(st):
    logrows = feed(st)
    for column in COLUMNS:
        for desc in (False, True):
            set_layout("%s;sort=%s:%s" % (FIXED, column, "desc" if desc else "asc"))
            status = wait_sorted(column, 9000)
            got = st.export("sorted.csv")
            want = expected(logrows, column, desc)
            assert got == want, "sort by %s %s: first difference at row %d: %r != %r" % (
                column, "desc" if desc else "asc",
                next(i for i, (a, b) in enumerate(zip(got, want)) if a != b) if
                len(got) == len(want) else -1, got[:1], want[:1])
            log("sorted by %s %s: %d rows equal the log sorted in Python (%.1f ms, longest "
                "main-loop part %.1f ms)" % (column, "desc" if desc else "asc", len(got),
                                             status[3], status[4]))
    st.screenshot("viewer-columns-sorted.png")
    # live: sorted by length, descending, while 4,000 more records stream in
    set_layout("%s;sort=len:desc" % FIXED)
    wait_sorted("len", 9000)
    p = st.col.start_fake("--name", "live-3", "--records", 4000, "--rate", "2000", "--pps",
                          "2000", "--status", "--eos", "--quiet", log="fake-live.log", merge=True)
    checks = 0
    while p.poll() is None:
        rows = st.export("live.csv")
        lens = [int(g.fields(r)[9]) for r in rows]
        assert lens == sorted(lens, reverse=True), "live rows out of order"
        checks += 1
        time.sleep(0.3)
    assert p.wait() == 0
    wait_for(lambda: len(st.export("live.csv")) == 13000, 15, "the live rows")
    logrows = st.packet_log()
    assert len(logrows) == 13000, len(logrows)
    assert st.export("live.csv") == expected(logrows, "len", True), "live sorted rows"
    log("sorted live: %d exports in order while 4,000 records arrived; then all 13,000 rows in "
        "the order Python gives" % checks)
    set_layout(FIXED)
    wait_for(lambda: sort_status()[1] == "", 5, "arrival order")
    g.check_same(st.export("all.csv"), logrows, "arrival order again")


def test_layout(st):
    feed(st)
    screen = Screen(st)
    set_layout(FIXED)
    wait_for(lambda: layout() == FIXED, 5, "the fixed-width layout")
    base = screen.shot("viewer-columns-fixed.png")
    # round trip, canonical form: missing columns appended, default widths left out
    set_layout(" dst:200,!proto,time ; sort=ttl:asc ")
    want = "dst:200,!proto,time,sensor,src,sport,dport,flags,ttl,len,payload;sort=ttl:asc"
    wait_for(lambda: layout() == want, 5, "the canonical layout %r" % want)
    wait_sorted("ttl")
    # invalid: nothing changes
    for bad in ("time,bogus", "time,time", "time:5", "time:99999", "!" + ",!".join(COLUMNS),
                "time;sort=len", "time;sort=nope:asc", "time;colour=red"):
        set_layout(bad)
        time.sleep(0.1)
        assert layout() == want, "invalid layout %r applied: %r" % (bad, layout())
    log("layout text round-trips in canonical form; 8 invalid texts refused, layout kept")
    # hide, reorder, resize: each changes the header
    for name, text in (("hidden", FIXED.replace("proto:80", "!proto:80")),
                       ("reordered", ",".join(reversed(FIXED.split(",")))),
                       ("resized", FIXED.replace("time:150", "time:300"))):
        set_layout(text)
        wait_for(lambda: layout() == text, 5, "layout %s" % name)
        time.sleep(0.5)
        path = screen.shot("viewer-columns-%s.png" % name)
        diff = screen.header_differs(base, path)
        assert diff > 200, "%s: the header did not change (%d pixels)" % (name, diff)
        log("%s: layout applied, %d header pixels changed" % (name, diff))
    # the pointer: clicks on "Length" cycle its sort; a drag on Sensor's edge resizes it
    set_layout(FIXED)
    wait_for(lambda: layout() == FIXED, 5, "the fixed-width layout")
    time.sleep(0.5)
    ilen = COLUMNS.index("len")
    for want_sort in (";sort=len:asc", ";sort=len:desc", ""):
        screen.click_title(ilen)
        wait_for(lambda: layout() == FIXED + want_sort, 5,
                 "a click on Length to give %r (layout %r)" % (want_sort or "arrival order",
                                                              layout()))
        if want_sort:
            wait_sorted("len", 9000)
    log("clicks on the Length title: ascending, descending, arrival order")
    screen.drag_edge(COLUMNS.index("sensor"), 60)
    want = FIXED.replace("sensor:90", "sensor:150")
    wait_for(lambda: layout() == want, 5, "the drag to widen Sensor (layout %r)" % layout())
    log("a 60 px drag on Sensor's right edge: width 90 -> 150")
    screen.click_title(COLUMNS.index("time"), button=3)
    time.sleep(0.5)
    screen.shot("viewer-columns-menu.png")
    screen.xdo("key", "Escape")
    time.sleep(0.3)
    assert layout() == want, "the menu changed the layout"


def test_follow(st):
    feed(st)
    enabled, follow = describe("follow")
    assert enabled and follow, "follow: enabled %s state %s" % (enabled, follow)
    set_layout("%s;sort=sport:asc" % FIXED)
    wait_sorted("sport", 9000)
    wait_for(lambda: not describe("follow")[0], 5, "app.follow disabled while sorted")
    st.screenshot("viewer-columns-follow-sorted.png")
    p = st.col.start_fake("--name", "live-3", "--records", 2000, "--rate", "2000", "--pps",
                          "2000", "--status", "--eos", "--quiet", log="fake-live.log", merge=True)
    assert p.wait(timeout=60) == 0
    wait_for(lambda: len(st.export("live.csv")) == 11000, 15, "the live rows while sorted")
    assert st.export("live.csv") == expected(st.packet_log(), "sport", False)
    set_layout(FIXED)
    wait_for(lambda: describe("follow")[0], 5, "app.follow enabled in arrival order")
    assert describe("follow")[1], "follow state lost"
    g.check_same(st.export("all.csv"), st.packet_log(), "arrival order after the sort")
    log("follow: enabled unsorted, disabled while sorted (2,000 live rows merged in order), "
        "enabled again in arrival order")


def run(st, fn):
    st.start_collector()
    st.start_viewer()
    fn(st)
    g.action("quit")
    assert st.viewer.wait(timeout=10) == 0, "viewer exit status"
    log("viewer quit cleanly")


def main():
    which = sys.argv[-1]
    fn = globals().get("test_" + which)
    if not callable(fn):
        print("usage: %s ... sort|layout|follow" % sys.argv[0], file=sys.stderr)
        return 2
    sys.argv.pop()
    return g.run_gui_test("nvg-viewer-columns-", lambda st: run(st, fn),
                          ("netvigil-viewer", "netvigil-collector", "netvigil-ctl", "nvg-fake-sensor"))


if __name__ == "__main__":
    sys.exit(main())
