#!/usr/bin/env python3
"""Idle connections are reaped (issue 9: "idle connections are never expired, about 25 KiB and
one fd each").

A collector with --sensor-idle-timeout 2s and --control-idle-timeout 3s. Connections that say
nothing: two raw TCP connections to each of the sensor and control ports, and one ZeroMQ
DEALER to each (its ZMTP handshake done, then silence; reconnection off so that each is
counted once). Connections that must stay: a fake sensor that keeps its link up with a
SensorStatus every second (as a real sensor's heartbeat does) for longer than both timeouts,
and a feed subscriber (which never sends after subscribing).

Expected: each silent connection is closed by the collector within a few seconds of its
timeout (the raw ones read EOF, the DEALERs see DISCONNECTED); idle_expired counts exactly the
six of them; a log line says so; the fake sensor's stream is whole (rows == sent, ack exact) and
it was never cut; the subscriber still receives the feed after the reaping.

Usage: test_idle_reap.py --bin-dir DIR [--bin-dir DIR...]
"""
import os
import socket
import sys
import time

import zmq
import zmq.utils.monitor

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import nvgtest  # noqa: E402

PROGRAMS = ["netvigil-collector", "netvigil-ctl", "nvg-fake-sensor"]
SENSOR_IDLE_S, CONTROL_IDLE_S = 2, 3
HOLD_S = 9  # the fake sensor's link stays up well past both timeouts


def raw(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.settimeout(0.2)
    return s


def closed_by_peer(s):
    try:
        return s.recv(4096) == b""
    except socket.timeout:
        return False
    except ConnectionResetError:
        return True


def silent_dealer(ctx, ep):
    d = ctx.socket(zmq.DEALER)
    d.setsockopt(zmq.LINGER, 0)
    d.setsockopt(zmq.RECONNECT_IVL, -1)
    mon = d.get_monitor_socket(zmq.EVENT_HANDSHAKE_SUCCEEDED | zmq.EVENT_DISCONNECTED)
    d.connect(ep)
    return d, mon


def events(mon):
    out = []
    while mon.poll(0):
        out.append(zmq.utils.monitor.recv_monitor_message(mon)["event"])
    return out


def run(args, work):
    col = nvgtest.Collector(work, extra=["--sensor-idle-timeout", "%ds" % SENSOR_IDLE_S,
                                         "--control-idle-timeout", "%ds" % CONTROL_IDLE_S])
    col.start()
    ctx = zmq.Context()
    sub = ctx.socket(zmq.SUB)
    sub.setsockopt(zmq.LINGER, 0)
    sub.setsockopt(zmq.SUBSCRIBE, b"")
    sub_mon = sub.get_monitor_socket(zmq.EVENT_DISCONNECTED)
    sub.connect(col.feed_ep)
    fake = col.start_fake("--name", "beating", "--records", 500, "--rate", 200, "--hold", HOLD_S,
                          "--eos", "--timeout-ms", 20000, log="fake.log", merge=True)
    t0 = time.time()
    raws = {"sensor": [raw(col.ports[0]) for _ in range(2)],
            "control": [raw(col.ports[2]) for _ in range(2)]}
    dealers = {"sensor": silent_dealer(ctx, col.sensor_ep),
               "control": silent_dealer(ctx, col.control_ep)}
    seen = {k: [] for k in dealers}

    def dealer_gone(k):
        seen[k] += events(dealers[k][1])
        return zmq.EVENT_DISCONNECTED in seen[k]

    for kind in ("sensor", "control"):
        for s in raws[kind]:
            nvgtest.wait_for(lambda: closed_by_peer(s), 15, "a raw %s connection closed" % kind)
        nvgtest.wait_for(lambda: dealer_gone(kind), 15, "the silent %s DEALER cut" % kind)
        assert zmq.EVENT_HANDSHAKE_SUCCEEDED in seen[kind], seen[kind]
    elapsed = time.time() - t0
    print("all six silent connections closed %.1f s after they opened" % elapsed, flush=True)
    assert elapsed >= SENSOR_IDLE_S, "closed before the timeout"

    st = col.status()
    assert st["security"]["idle_expired"] == 6, st["security"]
    assert fake.poll() is None, "the fake sensor ended early, see fake.log"
    assert col.sensor("beating", st)["connected"], st
    assert "idle connection" in col.log_text(), col.log_text()[-2000:]

    # The subscriber is still served: messages keep coming, and it was never disconnected.
    while sub.poll(0):
        sub.recv_multipart()
    assert sub.poll(5000), "the feed subscriber receives nothing after the reaping"
    assert events(sub_mon) == [], "the feed subscriber was disconnected"

    assert fake.wait(60) == 0, "the heartbeating fake sensor failed, see fake.log"
    rows = [r for r in nvgtest.read_packets(col.out) if r[1] == "beating"]
    assert len(rows) == 500, len(rows)
    st = col.status()
    assert st["security"]["idle_expired"] == 6, "more reaped than the silent six: %r" % (
        st["security"],)
    for s in raws["sensor"] + raws["control"]:
        s.close()
    for d, mon in dealers.values():
        mon.close()
        d.close()
    sub_mon.close()
    sub.close()
    ctx.term()
    col.stop()
    report = nvgtest.sanitizer_report(col.log_text())
    assert not report, col.log_text()[report.start():][:3000] if report else ""
    print("ok: 6 idle connections reaped and counted; the sensor and the subscriber kept")


if __name__ == "__main__":
    sys.exit(nvgtest.main(run, "nvg-idle-", PROGRAMS))
