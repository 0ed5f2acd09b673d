#!/usr/bin/env python3
"""bench-viewer.sh's sort probe: ask the viewer (APP_ID on the session bus) to sort its packet
list through app.packet-columns, and measure the main loop meanwhile by the round trip of a
D-Bus call every 5 ms (the viewer answers from its main loop: a slow answer is a stall).

  viewer_sort_probe.py APP_ID LAYOUT [SECONDS]

Waits until app.packet-sort-status says the sort is applied, then, with SECONDS, goes on
probing that long (the list stays sorted: records that stream in are merged). Prints one line:
sort_rows= sort_ms= sort_main_ms= sort_max_rtt_ms= after_max_rtt_ms="""
import sys
import time

from gi.repository import Gio, GLib


def main():
    app_id, layout = sys.argv[1], sys.argv[2]
    after = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0
    obj = "/" + app_id.replace(".", "/")
    bus = Gio.bus_get_sync(Gio.BusType.SESSION, None)

    def call(method, args):
        return bus.call_sync(app_id, obj, "org.gtk.Actions", method, args, None,
                             Gio.DBusCallFlags.NONE, 20000, None)

    def status():
        (_e, _s, state), = call("Describe", GLib.Variant("(s)", ("packet-sort-status",))).unpack()
        return state[0]

    column = layout.split("sort=")[1].split(":")[0]
    call("SetState", GLib.Variant("(sva{sv})", ("packet-columns", GLib.Variant("s", layout), {})))
    worst = 0.0
    deadline = time.monotonic() + 60
    while True:
        t = time.monotonic()
        st = status()
        worst = max(worst, time.monotonic() - t)
        if not st[0] and st[1] == column:
            break
        if t > deadline:
            sys.exit("viewer_sort_probe: no sort applied in 60 s: %r" % (st,))
        time.sleep(0.005)
    worst_after = 0.0
    end = time.monotonic() + after
    while time.monotonic() < end:
        t = time.monotonic()
        status()
        worst_after = max(worst_after, time.monotonic() - t)
        time.sleep(0.005)
    print("sort_rows=%d sort_ms=%.1f sort_main_ms=%.1f sort_max_rtt_ms=%.1f "
          "after_max_rtt_ms=%.1f" % (st[2], st[3], st[4], worst * 1000, worst_after * 1000))


if __name__ == "__main__":
    main()
