#!/usr/bin/env python3
"""The viewer's Alerts page against a fake collector (Xvfb + private D-Bus session).

Run it inside `xvfb-run -a dbus-run-session -- test_viewer_alerts.py --bin-dir DIR ...`. The
collector is hostile_collector.FakeCollector (pyzmq PUB + ROUTER) publishing `alert` events
(Netvigil__Alert, encoded by field number) and answering COMMAND_ALERTS with a history; the
desktop's notification server is fake_notifications.py (org.freedesktop.Notifications on the
private bus). The viewer is read through app.alerts (org.gtk.Actions.Describe): the rows its
page lists, the active count and the page switcher's title (the badge).

  1. on connecting, the viewer asks COMMAND_ALERTS with since_ms = now - 1 h, and lists the
     history's alert (started and ended before it came: listed ended, not counted);
  2. a high alert starts, is updated, a medium one starts: 3 listed, badge "Alerts (2)", the
     update's summary shown; one desktop notification for the high start;
  3. the medium alert ends: badge "Alerts (1)", the row says ended;
  4. two more high starts within 10 s of the first notification: no notification at once, one
     "2 more" notification when the 10 s are over;
  5. activating the high alert's row (app.activate-alert, which emits the list's "activate"):
     the packet list shows exactly the records from the alert's source;
  6. alerts a hostile peer may send: escaped or left out;
  7. the collector goes away and comes back: the viewer asks for the history again; then it
     restarts (its uptime goes back): the alerts held end ("collector restarted"), the badge
     goes, and the viewer fetches the history again.
Screenshots: viewer-alerts.png (the page), viewer-alerts-packets.png (the filtered list)."""
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hostile_collector as hc  # noqa: E402
import test_viewer_gui as g  # noqa: E402
import test_viewer_hostile as h  # noqa: E402
import test_viewer_reconnect as r  # noqa: E402
import nvgtest  # noqa: E402  (on the path through test_viewer_gui)
from nvgpb import decode, f_bytes, f_sfixed64, f_varint, one  # noqa: E402
from nvgtest import wait_for  # noqa: E402

from gi.repository import Gio, GLib  # noqa: E402

log = g.log
START, UPDATE, END = 1, 2, 3
LOW, MEDIUM, HIGH = 1, 2, 3
COMMAND_ALERTS = 7
HOUR_MS = 3600 * 1000
SCANNER, SWEEPER, OTHER = b"\x0a\x00\x00\x05", b"\x0a\x00\x00\x09", b"\x0a\x00\x00\x01"
VICTIM = b"\x0a\x00\x00\x07"


def now_ms():
    return int(time.time() * 1000)


def alert(aid, event, sev, summary, src=SCANNER, targets=(VICTIM,), detector=b"portscan",
          sensors=(b"web-1",), time_ms=None, span_s=4, target_count=None):
    t = now_ms() if time_ms is None else time_ms
    first = (t - span_s * 1000) * 1000000
    m = f_varint(1, aid) + f_varint(2, event) + f_varint(3, sev) + f_bytes(4, detector)
    m += f_varint(5, 4) + (f_bytes(6, src) if src else b"")
    m += b"".join(f_bytes(7, x) for x in targets) + f_varint(8, target_count or len(targets))
    m += f_varint(9, 1) + b"".join(f_bytes(11, s) for s in sensors)
    m += f_sfixed64(12, first) + f_sfixed64(13, t * 1000000) + f_varint(14, 1000)
    m += f_varint(15, 64000) + f_varint(16, 1000) + f_bytes(19, summary) + f_varint(22, t)
    return m


def record(src, n, t0_ns=1722193121123456789):
    """n UDP/IPv4 records from src to VICTIM (PacketRecord fields by number; proto 4 = UDP)."""
    out = b""
    for i in range(n):
        rec = f_sfixed64(1, t0_ns + i) + f_varint(2, 4) + f_bytes(3, src)
        rec += f_bytes(4, VICTIM) + f_varint(5, 4) + f_varint(6, 17) + f_varint(7, 40000 + i)
        rec += f_varint(8, 53) + f_varint(12, 64) + f_varint(13, 80) + f_varint(14, 80)
        rec += f_varint(17, 0x04 | 0x08 | 0x80)
        out += f_bytes(4, rec)
    return out


class Collector:
    """The fake collector, its status (uptime that grows, or starts again) and history."""

    def __init__(self, feed_port, control_port):
        t = now_ms()
        self.history = [alert(1, START, LOW, b"old: 10.0.0.5 pinged 30 hosts", time_ms=t - 20 * 60000),
                        alert(1, END, LOW, b"old: 10.0.0.5 pinged 30 hosts", time_ms=t - 19 * 60000)]
        self.fetches = []  # (time, since_ms) of each COMMAND_ALERTS
        self.boot = time.monotonic() - 100
        self.fc = hc.FakeCollector(feed_port, control_port, reply=self.reply)
        self.seq = 0

    def reply(self, body):
        d = decode(body)
        rid = one(d, 2)
        if one(d, 3) == COMMAND_ALERTS:
            self.fetches.append((now_ms(), one(d, 8)))
            return f_varint(1, 1) + f_varint(2, rid) + f_varint(3, 1) + b"".join(
                f_bytes(7, a) for a in self.history)
        return hc.control_reply(rid, True)

    def status(self):
        up = int((time.monotonic() - self.boot) * 1000)
        return hc.collector_status([hc.summary(hc.sensor_status(b"web-1")),
                                    hc.summary(hc.sensor_status(b"db-2"))], uptime_ms=up)

    def pump(self, seconds):
        end = time.monotonic() + seconds
        while True:
            self.fc.publish(b"status", self.status())
            if time.monotonic() >= end:
                return
            time.sleep(0.2)

    def publish(self, topic, body):
        self.fc.publish(topic, body)

    def records(self, src, n, t0_ns=1722193121123456789):
        self.seq += 1
        self.fc.publish(b"rec/web-1", f_bytes(1, b"web-1") + f_varint(2, 7) +
                        f_varint(3, self.seq) + record(src, n, t0_ns))


def alerts_state():
    """app.alerts: (listed, active, title, [(id, state, severity, summary)])."""
    bus = Gio.bus_get_sync(Gio.BusType.SESSION, None)
    res = bus.call_sync(g.APP_ID, g.OBJ, "org.gtk.Actions", "Describe",
                        GLib.Variant("(s)", ("alerts",)), None, Gio.DBusCallFlags.NONE, 5000,
                        None)
    (_enabled, _sig, state), = res.unpack()
    return state[0]


def rows(state):
    return {row[0]: row for row in state[3]}


def notifications(path):
    with open(path) as f:
        return [json.loads(line) for line in f if '"ready"' not in line]


def wait_state(col, pred, what, timeout=10):
    def ok():
        col.pump(0.2)
        return pred(alerts_state())
    wait_for(ok, timeout, what)
    return alerts_state()


def start_notifier(st):
    path = st.work.path("notifications.jsonl")
    open(path, "w").close()
    st.spawn([sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                           "fake_notifications.py"), path], "notifier.log")
    wait_for(lambda: '"ready"' in open(path).read(), 10, "the fake notification server")
    return path


def test_history(st, col):
    h.start_viewer(st, col.feed_port, col.control_port)
    col.pump(1)
    wait_for(lambda: (col.pump(0.2), r.state())[1] == "connected", 10, "connected")
    wait_for(lambda: (col.pump(0.2), col.fetches)[1], 15, "a COMMAND_ALERTS request")
    t, since = col.fetches[0]
    assert abs((t - since) - HOUR_MS) < 60000, "since_ms %d is not now - 1 h" % since
    s = wait_state(col, lambda s: s[0] == 1, "the history's alert listed")
    assert s[1] == 0 and s[2] == "Alerts", "history: %r" % (s,)
    assert rows(s)[1][1] == "ended", s
    log("on connect: COMMAND_ALERTS since now-%.0f s; the ended history alert listed, badge %r"
        % ((t - since) / 1000, s[2]))


def test_live(st, col, notes):
    col.publish(b"alert", alert(2, START, HIGH, b"10.0.0.5 scanned 20 TCP ports of 10.0.0.7"))
    col.publish(b"alert", alert(2, UPDATE, HIGH,
                                b"10.0.0.5 scanned 1,000 TCP ports of 10.0.0.7 in 4.2 s"))
    col.publish(b"alert", alert(3, START, MEDIUM, b"10.0.0.9 swept 25 hosts on port 22",
                                src=SWEEPER, targets=(), detector=b"sweep", target_count=25,
                                sensors=(b"web-1", b"db-2")))
    s = wait_state(col, lambda s: s[0] == 3 and s[1] == 2, "3 listed, 2 active")
    assert s[2] == "Alerts (2)", "badge: %r" % s[2]
    rw = rows(s)
    assert rw[2][1:] == ("active", str(HIGH),
                         "10.0.0.5 scanned 1,000 TCP ports of 10.0.0.7 in 4.2 s"), rw[2]
    assert rw[3][1:3] == ("active", str(MEDIUM)), rw[3]
    assert [x[0] for x in s[3]] == [3, 2, 1], "newest first: %r" % s[3]
    log("live: 3 listed, badge %r, the update's summary shown" % s[2])
    wait_for(lambda: notifications(notes), 5, "a desktop notification")
    n = notifications(notes)
    assert len(n) == 1 and "High-severity alert" in n[0]["summary"], n
    assert n[0]["body"] == "10.0.0.5 scanned 20 TCP ports of 10.0.0.7", n
    log("notification: %r / %r" % (n[0]["summary"], n[0]["body"]))

    col.publish(b"alert", alert(3, END, MEDIUM, b"10.0.0.9 swept 25 hosts on port 22",
                                src=SWEEPER, targets=(), detector=b"sweep", target_count=25,
                                sensors=(b"web-1", b"db-2")))
    s = wait_state(col, lambda s: s[1] == 1, "1 active after the end")
    assert s[0] == 3 and s[2] == "Alerts (1)" and rows(s)[3][1] == "ended", s
    log("after an end: badge %r, the row ended and still listed" % s[2])

    # the page follows the sensor selector; the badge counts the whole fleet
    g.action("select-sensor", g.s("db-2"))
    s = wait_state(col, lambda s: s[0] == 1, "only db-2's alert listed")
    assert [x[0] for x in s[3]] == [3] and s[2] == "Alerts (1)", s
    g.action("select-sensor", g.s(""))
    wait_state(col, lambda s: s[0] == 3, "every alert listed again")
    log("sensor db-2 selected: its one alert listed, badge still %r" % s[2])
    return n[0]["t"]


def test_rate_limit(st, col, notes, first_t):
    for aid in (4, 5):
        col.publish(b"alert", alert(aid, START, HIGH, b"SYN flood on 10.0.0.7", src=b"",
                                    detector=b"synflood"))
    s = wait_state(col, lambda s: s[1] == 3, "3 active")
    assert s[2] == "Alerts (3)", s[2]
    assert len(notifications(notes)) == 1, "notified at once: %r" % notifications(notes)
    wait_for(lambda: (col.pump(0.2), len(notifications(notes)) >= 2)[1], 15,
             "the summary notification")
    n = notifications(notes)
    gap = n[1]["t"] - first_t
    assert n[1]["summary"] == "2 more high-severity alerts", n[1]
    assert 9.5 <= gap <= 12.5, "summary %.1f s after the first notification" % gap
    col.pump(1)
    assert len(notifications(notes)) == 2, notifications(notes)
    log("rate limit: 2 high starts held, then %r %.1f s after the first" % (n[1]["summary"], gap))


def test_activate(st, col):
    """Alert 2 (active) covers the last seconds: the scanner's 3 records from an hour ago are
    its source but outside its time span; the other sources' are inside it."""
    recent = (now_ms() - 2000) * 1000000
    col.records(SCANNER, 3, recent - 3600 * 10**9)
    for src, n in ((SCANNER, 7), (SWEEPER, 5), (OTHER, 4)):
        col.records(src, n, recent)
    wait_for(lambda: (col.pump(0.2), len(st.export("all.csv")) == 19)[1], 10, "19 rows listed")
    g.action("activate-alert", "<uint64 2>")
    got = st.export("alert.csv")
    srcs = {g.fields(x)[3] for x in got}
    assert len(got) == 7 and srcs == {"10.0.0.5"}, "filtered list: %d rows from %s" % (
        len(got), srcs)
    log("activating the alert's row: the packet list shows its source's %d rows of its time "
        "span only (3 older ones of the same source left out)" % len(got))
    time.sleep(0.8)
    st.screenshot("viewer-alerts-packets.png")
    g.action("clear-filter")


def test_hostile(st, col):
    """What a peer may send: bad UTF-8 and markup in the summary, a 7-byte source, an unknown
    event, no id. Shown escaped or left out; the viewer goes on."""
    col.publish(b"alert", alert(6, START, LOW, b"\xff<b>bold</b>\x1b[2J", src=b"\x01" * 7,
                                targets=(b"\x02" * 3,), detector=b"\xfe"))
    col.publish(b"alert", alert(7, 9, HIGH, b"unknown event"))
    col.publish(b"alert", alert(0, START, HIGH, b"no id"))
    col.publish(b"alert", b"\xff\xff\xff")
    s = wait_state(col, lambda s: 6 in rows(s), "the hostile alert listed")
    summary = rows(s)[6][3]
    assert summary == "\\xff<b>bold</b>\\x1b[2J", "shown as %r" % summary
    assert 7 not in rows(s) and 0 not in rows(s) and s[1] == 4, s
    log("hostile alert shown escaped (%r); unknown event, no id, garbage left out" % summary)


def reconnect(st, col):
    """The collector goes away and comes back (same run): the alerts stay, the viewer asks for
    the history again once connected."""
    n = len(col.fetches)
    col.fc.close()
    wait_for(lambda: r.state() == "reconnecting", 10, "app.connection = 'reconnecting'")
    col.fc = hc.FakeCollector(col.feed_port, col.control_port, reply=col.reply)
    s = wait_state(col, lambda s: len(col.fetches) > n and r.state() == "connected",
                   "the history asked again after the reconnect", timeout=20)
    assert s[1] == 4, "active after a reconnect: %r" % (s,)
    log("reconnect: history asked again, the 4 active alerts kept")


def test_restart(st, col):
    reconnect(st, col)
    n = len(col.fetches)
    col.boot = time.monotonic()  # uptime starts again: a new collector run
    s = wait_state(col, lambda s: s[1] == 0 and len(col.fetches) > n, "restart noticed")
    assert s[2] == "Alerts", s
    assert all(x[1] == "ended" for x in s[3]), s
    # the new run's history (alert 1, ended) is listed again next to the old run's
    s = wait_state(col, lambda s: s[0] == 7, "the new run's history listed")
    log("collector restart: every alert held ended, badge %r, history fetched again" % s[2])


def run(st):
    notes = start_notifier(st)
    feed_port, control_port = nvgtest.free_ports(2)
    col = Collector(feed_port, control_port)
    col.feed_port, col.control_port = feed_port, control_port
    try:
        test_history(st, col)
        first_t = test_live(st, col, notes)
        g.action("show-page", g.s("alerts"))
        col.pump(1.5)  # the age column ticks
        st.screenshot("viewer-alerts.png")
        test_rate_limit(st, col, notes, first_t)
        test_activate(st, col)
        test_hostile(st, col)
        test_restart(st, col)
        g.action("quit")
        assert st.viewer.wait(timeout=10) == 0, "viewer exit status"
        text = h.viewer_log(st)
        assert "-CRITICAL **" not in text and "-WARNING **" not in text, \
            "GLib warnings or criticals: see " + st.viewer_log
        log("viewer quit cleanly")
    finally:
        col.fc.close()


def main():
    return g.run_gui_test("nvg-viewer-alerts-", run, ("netvigil-viewer",))


if __name__ == "__main__":
    sys.exit(main())
