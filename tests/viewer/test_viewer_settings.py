#!/usr/bin/env python3
"""What netvigil-viewer remembers (viewer.ini under a temporary XDG_CONFIG_HOME), under Xvfb and
a private D-Bus session. Run inside `xvfb-run -a dbus-run-session -- test_viewer_settings.py
--bin-dir DIR ... restart|corrupt`.

restart: a first run changes the page, both display filters, the chart's unit and window, and
  connects (app.connect) to the collector by HOST:PORT: each change is in viewer.ini within
  3 s, before any exit (saved when changed). The window size in the file is then edited, as a
  person's resize would leave it (1250 x 700: GTK keeps a window at least as wide as its
  header bar needs, 1167 px here); a second run opens the window at that size (xwininfo), shows
  the remembered page, lists only the rows the remembered filter lets through, offers the
  collector under Recent in the Connect dialog, and what it writes at its exit (its widgets'
  state) is what the first run left. Screenshots: viewer-settings-restored.png,
  viewer-settings-connect-recent.png.
corrupt: a viewer.ini that does not parse (binary junk), then one whose width is not a number:
  each time the viewer starts, connects, says so once in its log and a toast (screenshot
  viewer-settings-corrupt.png), keeps the old file as viewer.ini.corrupt and writes the
  defaults; the start after that is quiet.
"""
import configparser
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_viewer_gui as g  # noqa: E402
import nvgtest  # noqa: E402
from nvgtest import prog, wait_for  # noqa: E402

log = g.log
CORRUPT_MSG = "Settings could not be read"


def consecutive_ports():
    """Three free ports in a row: HOST:PORT names the feed port, control is the next one."""
    for _ in range(200):
        base = nvgtest.free_ports(1)[0]
        if base + 2 < 65535 and all(nvgtest.port_free(base + i) for i in range(3)):
            return (base, base + 1, base + 2)
    raise AssertionError("no three free ports in a row")


class Viewer:
    """One run of the viewer with the test's config directory and a log of its own."""

    def __init__(self, st, name, extra=()):
        self.st = st
        self.log = st.work.path(name + ".log")
        env = dict(os.environ, G_MESSAGES_DEBUG="netvigil-viewer", GTK_A11Y="none",
                   NO_AT_BRIDGE="1", XDG_CONFIG_HOME=st.work.path("config"))
        self.proc = st.work.spawn([prog("netvigil-viewer"), "--app-id", g.APP_ID,
                                   "--feed-endpoint", st.col.feed_ep, "--control-endpoint",
                                   st.col.control_ep, "--ring-size", "20000"] + list(extra),
                                  log=name + ".log", merge=True, env=env)
        wait_for(lambda: ": connected" in self.text(), 20, "the viewer to connect")

    def text(self):
        assert self.proc.poll() is None or self.proc.returncode == 0, \
            "viewer exited %s: see %s" % (self.proc.returncode, self.log)
        with open(self.log, errors="replace") as f:
            return f.read()

    def quit(self):
        g.action("quit")
        assert self.proc.wait(timeout=10) == 0, "viewer exit status"


def ini_path(st):
    return os.path.join(st.work.path("config"), "netvigil", "viewer.ini")


def read_ini(st):
    cp = configparser.ConfigParser(interpolation=None, strict=False)
    with open(ini_path(st)) as f:
        cp.read_string(f.read())
    return cp


def value(st, group, key):
    try:
        return read_ini(st).get(group, key)
    except (OSError, configparser.Error):
        return None


def window_size(title="netvigil"):
    """The viewer's X window size (the largest window of that title in xwininfo's tree: GTK
    keeps 1x1 helper windows of the same name), or None without the tool."""
    if not shutil.which("xwininfo"):
        return None
    r = subprocess.run(["xwininfo", "-root", "-tree"], capture_output=True, text=True,
                       timeout=10)
    sizes = [(int(m.group(1)), int(m.group(2))) for m in
             re.finditer(r'"%s":.*?\s(\d+)x(\d+)[+-]' % re.escape(title), r.stdout)]
    return max(sizes, key=lambda s: s[0] * s[1]) if sizes else None


def packet_columns(text=None):
    """The packet list's column layout (app.packet-columns' state); with text, set it first."""
    from gi.repository import Gio, GLib
    bus = Gio.bus_get_sync(Gio.BusType.SESSION, None)
    if text is not None:
        bus.call_sync(g.APP_ID, g.OBJ, "org.gtk.Actions", "SetState",
                      GLib.Variant("(sva{sv})", ("packet-columns", GLib.Variant("s", text), {})),
                      None, Gio.DBusCallFlags.NONE, 5000, None)
    res = bus.call_sync(g.APP_ID, g.OBJ, "org.gtk.Actions", "Describe",
                        GLib.Variant("(s)", ("packet-columns",)), None, Gio.DBusCallFlags.NONE,
                        5000, None)
    (_enabled, _sig, state), = res.unpack()
    return state[0] if state else None


def test_restart(st):
    st.col = nvgtest.Collector(st.work, out=st.work.path("data"), ports=consecutive_ports())
    st.col.start()
    host = "127.0.0.1:%d" % st.col.ports[1]
    v = Viewer(st, "viewer-1")
    wait_for(lambda: value(st, "window", "page") == "packets", 5, "viewer.ini written at start")

    # 1. each change reaches the file by itself, within the second's check
    g.action("show-page", g.s("traffic"))
    g.action("apply-filter", g.s("proto=udp;port=53"))
    g.action("flows-filter", g.s("proto=tcp"))
    g.action("chart", "<('bytes', uint32 900)>")
    g.action("show-page", g.s("packets"))  # the page adds its column action when first shown
    wait_for(lambda: packet_columns() is not None, 5, "app.packet-columns")
    cols = packet_columns().split(";")[0].split(",")
    cols = [c if c.split(":")[0] != "ttl" else "!ttl" for c in cols]  # hide one column
    layout = ",".join([cols[1], cols[0]] + cols[2:]) + ";sort=len:desc"  # swap two, sort
    packet_columns(layout)
    layout = packet_columns()
    assert "!ttl" in layout and "sort=len:desc" in layout, layout
    g.action("show-page", g.s("traffic"))
    g.action("connect", "<('%s', '', '')>" % host)
    t0 = time.monotonic()
    wait_for(lambda: ": connected" in v.text().split("connect: " + host)[-1], 20,
             "connected again through app.connect")
    want = {("window", "page"): "traffic", ("packets", "filter"): "proto=udp;port=53",
            ("conversations", "filter"): "proto=tcp", ("traffic", "unit"): "bytes",
            ("traffic", "window"): "900", ("recent-1", "host"): host,
            ("packets", "column-layout"): layout}
    wait_for(lambda: all(value(st, *k) == w for k, w in want.items()), 3,
             "every change in viewer.ini before the exit: %s" % want)
    log("changes saved while running, %.1f s after the last one" % (time.monotonic() - t0))
    v.quit()
    first = read_ini(st)
    assert first.get("collector", "host") == host, "the [collector] group was lost"

    # 2. as if the window had been resized to 1250 x 700 before that exit
    text = open(ini_path(st)).read()
    text = re.sub(r"(?m)^width=\d+$", "width=1250", text)
    text = re.sub(r"(?m)^height=\d+$", "height=700", text)
    with open(ini_path(st), "w") as f:
        f.write(text)

    # 3. a second run comes back as the first left it
    v = Viewer(st, "viewer-2")
    time.sleep(1.0)
    size = window_size()
    if size is None:
        log("xwininfo missing: the window's size is checked in viewer.ini only")
    else:
        assert size == (1250, 700), "window opened at %s, not the remembered 1250x700" % (size,)
        log("window opened at the remembered 1250 x 700")
    st.col.run_fake("--name", "mix", "--records", "2000", "--rate", "20000", "--pps", "20000",
                    "--status", "--eos", "--quiet")
    wait_for(lambda: len(st.packet_log()) == 2000, 15, "the collector's log to hold all rows")
    exp = [r for r in st.packet_log() if g.matches(r, proto="UDP", port=53)]
    assert exp, "no udp port 53 rows: bad test data"
    wait_for(lambda: len(st.export("shown.csv")) == len(exp), 15,
             "the %d udp port 53 rows in the list" % len(exp))
    g.action("show-page", g.s("packets"))
    wait_for(lambda: packet_columns() == layout, 5, "the remembered column layout %s" % layout)
    log("the column layout came back: %s" % layout)
    g.action("show-page", g.s("traffic"))  # as the first run left it, for the check at the end
    g.check_same(sorted(st.export("shown.csv")), sorted(exp),
                 "remembered packet filter proto=udp;port=53 (rows sorted by length: compared as sets)")
    st.screenshot("viewer-settings-restored.png")
    g.action("connect-dialog")
    time.sleep(0.8)
    st.screenshot("viewer-settings-connect-recent.png")
    v.quit()
    second = read_ini(st)
    for (grp, key), w in list(want.items()) + [(("window", "width"), "1250"),
                                               (("window", "height"), "700")]:
        assert second.get(grp, key) == w, "[%s] %s is %r after the second run, not %r" % (
            grp, key, second.get(grp, key), w)
    log("the second run's widgets came back as the first left them: %s" % sorted(
        "%s.%s=%s" % (k[0], k[1], w) for k, w in want.items()))


def start_corrupt(st, name, junk):
    os.makedirs(os.path.dirname(ini_path(st)), exist_ok=True)
    with open(ini_path(st), "wb") as f:
        f.write(junk)
    v = Viewer(st, name)
    wait_for(lambda: CORRUPT_MSG in v.text(), 5, "the corrupt file reported")
    time.sleep(0.5)
    return v


def test_corrupt(st):
    st.col = nvgtest.Collector(st.work, out=st.work.path("data"))
    st.col.start()
    for i, junk in enumerate([b"\x00\xff\xfe[[[window\nthis is not a key file\x89PNG\r\n",
                              b"[window]\nwidth=wide\nheight=650\npage=traffic\n"]):
        v = start_corrupt(st, "viewer-corrupt-%d" % i, junk)
        if i == 0:
            st.screenshot("viewer-settings-corrupt.png")
        n = v.text().count(CORRUPT_MSG)
        assert n == 1, "reported %d times" % n
        line = [x for x in v.text().splitlines() if CORRUPT_MSG in x][0]
        log("reported once: %s" % line.strip()[:160])
        with open(ini_path(st) + ".corrupt", "rb") as f:
            assert f.read() == junk, "viewer.ini.corrupt is not the old file"
        page = value(st, "window", "page")
        assert page == "packets", "defaults not written (page %r)" % page
        v.quit()
        v = Viewer(st, "viewer-after-%d" % i)
        time.sleep(1.5)
        assert CORRUPT_MSG not in v.text(), "reported again on the next start"
        v.quit()
        os.unlink(ini_path(st) + ".corrupt")
    log("a file that does not parse and one with a wrong value: defaults, said once")


def main():
    mode = sys.argv.pop() if sys.argv[-1] in ("restart", "corrupt") else "restart"
    body = test_restart if mode == "restart" else test_corrupt
    return g.run_gui_test("nvg-viewer-settings-", body,
                          ("netvigil-viewer", "netvigil-collector", "netvigil-ctl",
                           "nvg-fake-sensor"))


if __name__ == "__main__":
    sys.exit(main())
