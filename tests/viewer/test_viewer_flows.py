#!/usr/bin/env python3
"""The viewer's Conversations page against a fake collector (Xvfb + private D-Bus session).

Run it inside `xvfb-run -a dbus-run-session -- test_viewer_flows.py --bin-dir DIR ...`. The
collector is hostile_collector.FakeCollector (pyzmq PUB + ROUTER) publishing `flow` messages
(FlowBatch, encoded by field number) and answering COMMAND_HOSTS. The viewer is read through
app.flows (org.gtk.Actions.Describe): the rows its page lists in the table's order, the rows it
holds, and the top hosts it shows.

  1. before any record: nothing listed (the empty state); the page polls COMMAND_HOSTS and
     shows the hosts by their 60 s figure (the collector's order is by 10 s: ours differs);
  2. four conversations (two sensors, one id on both): four rows; an update of one replaces its
     row (four still, its bytes the update's); a stale update is ignored;
  3. sorting by bytes puts the heaviest first, by RTT the slowest, by retransmissions the
     lossiest (app.sort-flows, as a click on the header);
  4. the display filter hides rows (proto, originator, responder + port), the sensor selector
     too;
  5. activating a conversation (app.activate-flow, the list's "activate") filters the packet
     list to it: the records of its tuple within its time span, no other;
  6. hostile batches: a record of another format, a 5-byte address, markup in the state,
     an escape in the history: left out; markup and bad UTF-8 in the sensor name: shown
     escaped; garbage: dropped; the viewer goes on and quits cleanly.
Screenshots: viewer-flows.png (the page, sorted by bytes), viewer-flows-packets.png."""
import os
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hostile_collector as hc  # noqa: E402
import test_viewer_gui as g  # noqa: E402
import test_viewer_hostile as h  # noqa: E402
import test_viewer_reconnect as r  # noqa: E402
import nvgtest  # noqa: E402  (on the path through test_viewer_gui)
from nvgpb import decode, f_bytes, f_double, f_sfixed64, f_varint, one  # noqa: E402
from nvgtest import wait_for  # noqa: E402

from gi.repository import Gio, GLib  # noqa: E402

log = g.log
COMMAND_HOSTS = 8
TCP, UDP = 3, 4
ACTIVE, FIN, RST = 0, 1, 2
HAS_RTT = 0x02 | 0x04
HAS_PORTS = 0x10
A1, A2, A3, A4, A5, A9 = (bytes([10, 0, 0, x]) for x in (1, 2, 3, 4, 5, 9))
SEC = 10**9


def zigzag(v):
    return (v << 1) ^ (v >> 63)


def direction(packets, nbytes, retrans=0):
    return (f_varint(1, packets) + f_varint(2, nbytes) + f_varint(3, nbytes // 2) +
            f_varint(5, retrans))


def flow(fid, seq, end, proto, orig, oport, resp, rport, b0, b1, first_ns, last_ns,
         rtt_ns=None, retrans=(0, 0), state=b"SF", history=b"ShADadFf", fmt=1):
    flags = HAS_PORTS | (HAS_RTT if rtt_ns is not None else 0)
    m = f_varint(1, fmt) + f_varint(2, fid) + f_varint(3, seq) + f_varint(4, end)
    m += f_sfixed64(5, first_ns) + f_sfixed64(6, last_ns) + f_varint(7, 4)
    m += f_varint(8, proto) + f_varint(9, 6 if proto == TCP else 17)
    m += f_bytes(10, orig) + f_bytes(11, resp) + f_varint(12, oport) + f_varint(13, rport)
    m += f_varint(15, flags)
    if rtt_ns is not None:
        m += f_varint(16, zigzag(rtt_ns * 3 // 4)) + f_varint(17, zigzag(rtt_ns - rtt_ns * 3 // 4))
    m += f_bytes(18, direction(max(1, b0 // 1000), b0, retrans[0]))
    m += f_bytes(19, direction(max(1, b1 // 1000), b1, retrans[1]))
    m += f_bytes(20, state) + f_bytes(21, history)
    return m


def flow_batch(sensor, flows):
    return f_bytes(1, sensor) + b"".join(f_bytes(2, x) for x in flows)


def host(addr, in10, out10, in60, out60, conv=3):
    return (f_varint(1, 4) + f_bytes(2, addr) + f_varint(3, int(in60 * 60)) +
            f_varint(4, int(out60 * 60)) + f_double(5, in10) + f_double(6, out10) +
            f_double(7, in60) + f_double(8, out60) + f_varint(9, conv) + f_varint(10, 1000) +
            f_varint(11, 12))


def tcp_records(src, sport, dst, dport, n, t0_ns):
    """n TCP/IPv4 PacketRecords (fields by number) from src:sport to dst:dport."""
    out = b""
    for i in range(n):
        rec = f_sfixed64(1, t0_ns + i * 1000) + f_varint(2, 4) + f_bytes(3, src)
        rec += f_bytes(4, dst) + f_varint(5, TCP) + f_varint(6, 6) + f_varint(7, sport)
        rec += f_varint(8, dport) + f_varint(12, 64) + f_varint(13, 1500) + f_varint(14, 1500)
        rec += f_varint(17, 0x04 | 0x08)
        out += f_bytes(4, rec)
    return out


class Collector:
    def __init__(self, feed_port, control_port):
        self.feed_port, self.control_port = feed_port, control_port
        self.host_polls = 0
        self.seq = 0
        self.fc = hc.FakeCollector(feed_port, control_port, reply=self.reply)

    def reply(self, body):
        d = decode(body)
        rid = one(d, 2)
        if one(d, 3) != COMMAND_HOSTS:
            return hc.control_reply(rid, True)
        self.host_polls += 1
        self.limit = one(d, 9)
        # the collector's order (by 10 s): A5 first; by 60 s A1 is the heaviest
        hosts = [host(A5, 9e6, 1e6, 1e5, 1e5), host(A1, 1e3, 2e3, 4e6, 3e6),
                 host(A2, 5e3, 5e3, 2e6, 2e6), host(b"\x01" * 5, 1e9, 1e9, 1e9, 1e9)]
        table = f_varint(1, 4096) + f_varint(2, 4)
        return (f_varint(1, 1) + f_varint(2, rid) + f_varint(3, 1) +
                b"".join(f_bytes(8, x) for x in hosts) + f_bytes(9, table))

    def pump(self, seconds):
        end = time.monotonic() + seconds
        while True:
            self.fc.publish(b"status", hc.collector_status(
                [hc.summary(hc.sensor_status(b"web-1")), hc.summary(hc.sensor_status(b"db-2"))]))
            if time.monotonic() >= end:
                return
            time.sleep(0.2)

    def records(self, body):
        self.seq += 1
        self.fc.publish(b"rec/web-1", f_bytes(1, b"web-1") + f_varint(2, 7) +
                        f_varint(3, self.seq) + body)


def flows_state():
    """app.flows: (listed, held, [(id, sensor, proto, orig, resp, end, bytes, rate)], hosts,
    rows dropped (cap), feed messages dropped (hand-over queue full))."""
    bus = Gio.bus_get_sync(Gio.BusType.SESSION, None)
    res = bus.call_sync(g.APP_ID, g.OBJ, "org.gtk.Actions", "Describe",
                        GLib.Variant("(s)", ("flows",)), None, Gio.DBusCallFlags.NONE, 5000,
                        None)
    (_enabled, _sig, state), = res.unpack()
    return state[0]


def wait_state(col, pred, what, timeout=10):
    def ok():
        col.pump(0.2)
        return pred(flows_state())
    wait_for(ok, timeout, what)
    return flows_state()


def keys(s):
    return [(x[1], x[0]) for x in s[2]]


def test_empty_and_hosts(st, col):
    s = flows_state()
    assert s[0] == 0 and s[1] == 0, s
    s = wait_state(col, lambda s: len(s[3]) > 0, "the top hosts from COMMAND_HOSTS")
    assert [x.split()[0] for x in s[3]] == ["10.0.0.1", "10.0.0.2", "10.0.0.5"], s[3]
    assert s[3][0] == "10.0.0.1 4000000 3000000", s[3]
    assert col.limit >= 10, col.limit
    polls = col.host_polls
    col.pump(3)
    assert 2 <= col.host_polls - polls <= 5, "polls in 3 s: %d" % (col.host_polls - polls)
    shown = col.host_polls - polls
    g.action("show-page", g.s("packets"))  # nobody looks: no polls
    col.pump(0.5)
    hidden = col.host_polls
    col.pump(3)
    assert col.host_polls - hidden == 0, "polls while hidden: %d" % (col.host_polls - hidden)
    g.action("show-page", g.s("flows"))
    log("no conversation listed yet; hosts by their 60 s figure %r (the collector's 10 s order "
        "put 10.0.0.5 first); COMMAND_HOSTS polled %d times in 3 s while shown, 0 while "
        "hidden, limit %d; a host with a 5-byte address left out" %
        ([x.split()[0] for x in s[3]], shown, col.limit))


def test_rows(st, col, now_ns):
    t0 = now_ns - 10 * SEC
    col.fc.publish(b"flow", flow_batch(b"web-1", [
        flow(1, 0, ACTIVE, TCP, A1, 40000, A2, 80, 100000, 5000000, t0, now_ns - SEC,
             rtt_ns=2000000, state=b"S1", history=b"ShAD"),
        flow(2, 0, FIN, UDP, A3, 5353, A4, 53, 120, 180, t0, t0 + SEC // 10),
        flow(3, 0, RST, TCP, A5, 41000, A2, 443, 20000, 30000, t0, t0 + 2 * SEC,
             rtt_ns=80000000, retrans=(7, 2), state=b"RSTO", history=b"ShADdR")]))
    col.fc.publish(b"flow", flow_batch(b"db-2", [
        flow(1, 0, FIN, TCP, A9, 50000, A2, 22, 4000, 6000, t0, t0 + 3 * SEC, rtt_ns=500000)]))
    s = wait_state(col, lambda s: s[0] == 4, "4 conversations listed")
    assert sorted(keys(s)) == [("db-2", 1), ("web-1", 1), ("web-1", 2), ("web-1", 3)], keys(s)
    row = {(x[1], x[0]): x for x in s[2]}
    assert row[("web-1", 1)][2:7] == ("TCP", "10.0.0.1:40000", "10.0.0.2:80", "active",
                                      5100000), row[("web-1", 1)]
    # first export: rate over its life, 5.1 MB in 9 s
    assert abs(row[("web-1", 1)][7] - 5100000 / 9) < 1, row[("web-1", 1)]
    # an update 4 s later with 4 MB more: the row replaced, rate since the previous export
    col.fc.publish(b"flow", flow_batch(b"web-1", [
        flow(1, 1, ACTIVE, TCP, A1, 40000, A2, 80, 150000, 9050000, t0, now_ns + 3 * SEC,
             rtt_ns=2000000, state=b"S1", history=b"ShAD")]))
    s = wait_state(col, lambda s: {(x[1], x[0]): x for x in s[2]}[("web-1", 1)][6] == 9200000,
                   "the update applied")
    assert s[0] == 4 and s[1] == 4, s
    rate = {(x[1], x[0]): x for x in s[2]}[("web-1", 1)][7]
    assert abs(rate - 4100000 / 4) < 1, rate
    # a stale one (seq 0 again): ignored
    col.fc.publish(b"flow", flow_batch(b"web-1", [
        flow(1, 0, ACTIVE, TCP, A1, 40000, A2, 80, 1, 1, t0, now_ns - SEC)]))
    col.pump(1)
    s = flows_state()
    assert {(x[1], x[0]): x for x in s[2]}[("web-1", 1)][6] == 9200000, s
    log("4 conversations listed (id 1 on two sensors: two rows); an update replaced its row "
        "(9.2 MB, %.0f B/s since the previous export), a stale one ignored" % rate)


def test_sort(st, col):
    want = {"bytes": ("web-1", 1), "rtt": ("web-1", 3), "retrans": ("web-1", 3),
            "duration": ("web-1", 1), "rate": ("web-1", 1)}
    for key, first in want.items():
        g.action("sort-flows", g.s(key))
        s = wait_state(col, lambda s: s[2] and (s[2][0][1], s[2][0][0]) == first,
                       "sorted by %s: %r first" % (key, first))
    g.action("sort-flows", g.s("bytes"))
    s = wait_state(col, lambda s: keys(s)[0] == ("web-1", 1), "sorted by bytes")
    b = [x[6] for x in s[2]]
    assert b == sorted(b, reverse=True), "not heaviest first: %r" % b
    log("sorted by bytes: %r (heaviest first); rtt, retrans, duration, rate: their heaviest "
        "first" % b)


def test_filter(st, col):
    cases = [("proto=udp", [("web-1", 2)]), ("src=10.0.0.5", [("web-1", 3)]),
             ("dst=10.0.0.2;port=443", [("web-1", 3)]),
             ("dst=10.0.0.2", [("web-1", 1), ("web-1", 3), ("db-2", 1)]),
             ("src=10.0.0.2", [])]
    for spec, want in cases:
        g.action("flows-filter", g.s(spec))
        s = wait_state(col, lambda s: sorted(keys(s)) == sorted(want), "filter %s" % spec)
        assert s[1] == 4, s
    g.action("flows-filter", g.s("port=notaport"))  # not applied: the last filter stays
    col.pump(0.5)
    assert flows_state()[0] == 0
    g.action("flows-filter", g.s(""))
    wait_state(col, lambda s: s[0] == 4, "no filter: 4 listed")
    g.action("select-sensor", g.s("db-2"))
    wait_state(col, lambda s: keys(s) == [("db-2", 1)], "sensor db-2: its one conversation")
    g.action("select-sensor", g.s(""))
    wait_state(col, lambda s: s[0] == 4, "all sensors: 4 listed")
    log("display filter: %s; an invalid port not applied; the sensor selector scopes the list"
        % ", ".join("%s -> %d" % (spec, len(want)) for spec, want in cases))


def test_activate(st, col, now_ns):
    t0 = now_ns - 10 * SEC
    body = tcp_records(A1, 40000, A2, 80, 6, t0 + SEC)            # the conversation
    body += tcp_records(A1, 40000, A2, 80, 2, t0 - 3600 * SEC)    # same tuple, an hour before
    body += tcp_records(A1, 40000, A9, 80, 3, t0 + SEC)           # another responder
    body += tcp_records(A2, 80, A1, 40000, 3, t0 + SEC)            # its answers
    body += tcp_records(A3, 5353, A4, 53, 4, t0 + SEC)
    col.records(body)
    wait_for(lambda: (col.pump(0.2), len(st.export("all.csv")) == 18)[1], 10, "18 rows listed")
    g.action("activate-flow", "<('web-1', uint64 1)>")
    time.sleep(0.5)
    got = st.export("flow.csv")
    tuples = {tuple(g.fields(x)[3:7]) for x in got}
    assert len(got) == 9, "filtered list: %d rows %r" % (len(got), tuples)
    assert tuples == {("10.0.0.1", "10.0.0.2", "40000", "80"),
                      ("10.0.0.2", "10.0.0.1", "80", "40000")}, tuples
    assert "flows: conversation 1 activated" in h.viewer_log(st)
    log("activating web-1's conversation 1: the packet list shows its 9 records, both "
        "directions (2 of the same tuple an hour earlier, 7 of other conversations left out)")
    time.sleep(0.5)
    st.screenshot("viewer-flows-packets.png")
    g.action("clear-filter")


def test_hostile(st, col, now_ns):
    t0 = now_ns - 5 * SEC
    good = flow(9, 0, FIN, TCP, A1, 1, A2, 2, 10, 10, t0, t0 + SEC)
    col.fc.publish(b"flow", flow_batch(b"\xff<b>x</b>", [
        good,
        flow(10, 0, FIN, TCP, A1, 1, A2, 2, 10, 10, t0, t0 + SEC, fmt=2),
        flow(11, 0, FIN, TCP, b"\x01\x02\x03\x04\x05", 1, A2, 2, 10, 10, t0, t0 + SEC),
        flow(12, 0, FIN, TCP, A1, 1, A2, 2, 10, 10, t0, t0 + SEC, state=b"<b>S0</b>"),
        flow(13, 0, FIN, TCP, A1, 1, A2, 2, 10, 10, t0, t0 + SEC, history=b"Sh\x1b[2J"),
        flow(14, 0, 99, TCP, A1, 1, A2, 2, 10, 10, t0, t0 + SEC)]))
    col.fc.publish(b"flow", b"\xff\xff\xff")
    col.fc.publish(b"flow", flow_batch(b"web-1", [b"\x0a\x05garbage"]))
    s = wait_state(col, lambda s: s[1] == 5, "the hostile batch's good record listed")
    col.pump(1)
    s = flows_state()
    assert s[1] == 5, s
    bad = [x for x in s[2] if x[0] == 9]
    assert len(bad) == 1 and bad[0][1] == "\\xff<b>x</b>", bad
    assert not [x for x in s[2] if x[0] in (10, 11, 12, 13, 14)], s
    log("hostile: a record of format 2, a 5-byte address, markup in the state, an escape in "
        "the history, an unknown end left out; sensor name shown escaped as %r; garbage "
        "dropped" % bad[0][1])


def describe_ms():
    """How long the viewer's main loop takes to answer a D-Bus call, in ms."""
    bus = Gio.bus_get_sync(Gio.BusType.SESSION, None)
    t = time.monotonic()
    bus.call_sync(g.APP_ID, g.OBJ, "org.gtk.Actions", "Describe",
                  GLib.Variant("(s)", ("connection",)), None, Gio.DBusCallFlags.NONE, 10000, None)
    return (time.monotonic() - t) * 1000


def test_load(st, col, now_ns):
    """21,000 more conversations in 84 batches as fast as the socket takes them: the store
    keeps 20,000 (the oldest ended go, the active one stays), the main loop keeps answering,
    and a resort of 20,000 rows is quick."""
    t0 = now_ns - 60 * SEC
    ids = range(1000, 22000)
    start = time.monotonic()
    for i in range(0, len(ids), 250):
        col.fc.publish(b"flow", flow_batch(b"bulk", [
            flow(x, 0, FIN, TCP, A3, x % 60000, A4, 443, x, x, t0, t0 + (x % 97) * SEC // 10)
            for x in ids[i:i + 250]]))
    worst, s, last, seen = 0.0, None, None, time.monotonic()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        col.pump(0)
        worst = max(worst, describe_ms())
        s = flows_state()
        if s[1] == 20000 and len(s[2]) > 1 and (s[2][1][1], s[2][1][0]) == ("bulk", 21999):
            break
        if (s[1], s[4], s[5]) != last:
            last, seen = (s[1], s[4], s[5]), time.monotonic()
        elif s[5] and time.monotonic() - seen > 5:
            break  # batches dropped at the hand-over (counted): nothing more is coming
        time.sleep(0.1)
    took = time.monotonic() - start
    assert s[1] == 20000, (s[:2], s[4:])
    if s[5]:
        # a main thread too slow (sanitizer builds): whole messages dropped, counted
        assert s[4] == 21000 - 250 * s[5] + 5 - 20000, "dropped: %d rows, %d messages" % (
            s[4], s[5])
        log("load: %d flow messages dropped at the hand-over (queue full), counted" % s[5])
    else:
        # sorted by bytes: web-1's active conversation (9.2 MB, kept), the heaviest bulk one
        assert keys(s)[:2] == [("web-1", 1), ("bulk", 21999)], (s[:2], s[2][:2])
        assert s[4] == 21000 + 5 - 20000, "dropped: %d" % s[4]
    worst_load = worst
    t = time.monotonic()
    g.action("sort-flows", g.s("duration"))
    s = wait_state(col, lambda s: keys(s)[0] == ("web-1", 1) and s[2][1][0] % 97 == 96,
                   "sorted by duration", timeout=30)
    resort = time.monotonic() - t
    worst = max(worst, describe_ms())
    # A burst of 21,000 in under a second on a shared 2-core machine: measured 0.4-1.6 s at
    # worst; the bound is "never frozen", the figure goes to the log.
    assert worst < 3000, "the main loop stalled %.0f ms" % worst
    log("load: %d of 21,000 conversations applied in %.1f s to a sorted list of 20,000 (%d "
        "oldest ended dropped, counted; the active one kept); the main loop answered D-Bus "
        "within %.0f ms at worst meanwhile; resort of 20,000 rows by duration in %.2f s" %
        (21000 - 250 * s[5], took, s[4], worst_load, resort))


def run(st):
    feed_port, control_port = nvgtest.free_ports(2)
    col = Collector(feed_port, control_port)
    try:
        h.start_viewer(st, feed_port, control_port)
        wait_for(lambda: (col.pump(0.2), r.state())[1] == "connected", 10, "connected")
        g.action("show-page", g.s("flows"))
        test_empty_and_hosts(st, col)
        st.screenshot("viewer-flows-empty.png")
        now_ns = time.time_ns()
        test_rows(st, col, now_ns)
        test_sort(st, col)
        test_filter(st, col)
        g.action("sort-flows", g.s("bytes"))
        g.action("show-page", g.s("flows"))
        col.pump(1)
        st.screenshot("viewer-flows.png")
        test_activate(st, col, now_ns)
        test_hostile(st, col, now_ns)
        test_load(st, col, now_ns)
        g.action("quit")
        assert st.viewer.wait(timeout=10) == 0, "viewer exit status"
        text = h.viewer_log(st)
        assert "-CRITICAL **" not in text and "-WARNING **" not in text, \
            "GLib warnings or criticals: see " + st.viewer_log
        log("viewer quit cleanly")
    finally:
        col.fc.close()


def main():
    return g.run_gui_test("nvg-viewer-flows-", run, ("netvigil-viewer",))


if __name__ == "__main__":
    sys.exit(main())
