#!/usr/bin/env python3
"""A desktop notification server for tests: owns org.freedesktop.Notifications on the session
bus (the private one of dbus-run-session) and writes every Notify call to a file as a JSON
line {"t", "app", "replaces", "summary", "body", "hints"}; the first line is {"ready": true},
written once the name is owned. GLib's GNotification uses this interface (its "freedesktop"
backend) when no GNOME Shell (org.gtk.Notifications) or portal is there.

  fake_notifications.py LOGFILE          runs until SIGTERM"""
import json
import signal
import sys
import time

from gi.repository import Gio, GLib

XML = """<node><interface name="org.freedesktop.Notifications">
<method name="Notify">
  <arg type="s" direction="in"/><arg type="u" direction="in"/><arg type="s" direction="in"/>
  <arg type="s" direction="in"/><arg type="s" direction="in"/><arg type="as" direction="in"/>
  <arg type="a{sv}" direction="in"/><arg type="i" direction="in"/><arg type="u" direction="out"/>
</method>
<method name="GetCapabilities"><arg type="as" direction="out"/></method>
<method name="GetServerInformation">
  <arg type="s" direction="out"/><arg type="s" direction="out"/><arg type="s" direction="out"/>
  <arg type="s" direction="out"/>
</method>
<method name="CloseNotification"><arg type="u" direction="in"/></method>
<signal name="NotificationClosed"><arg type="u"/><arg type="u"/></signal>
<signal name="ActionInvoked"><arg type="u"/><arg type="s"/></signal>
</interface></node>"""


def main():
    out = open(sys.argv[1], "a", buffering=1)
    loop = GLib.MainLoop()
    next_id = [0]

    def on_call(conn, sender, path, iface, method, params, invocation):
        if method == "Notify":
            app, replaces, _icon, summary, body, _actions, hints, _timeout = params.unpack()
            next_id[0] += 1
            out.write(json.dumps({"t": time.time(), "app": app, "replaces": replaces,
                                  "summary": summary, "body": body,
                                  "hints": sorted(hints)}) + "\n")
            invocation.return_value(GLib.Variant("(u)", (replaces or next_id[0],)))
        elif method == "GetCapabilities":
            invocation.return_value(GLib.Variant("(as)", (["body", "actions"],)))
        elif method == "GetServerInformation":
            invocation.return_value(GLib.Variant("(ssss)", ("fake", "netvigil-tests", "1", "1.2")))
        else:
            invocation.return_value(None)

    def on_bus(conn, name):
        node = Gio.DBusNodeInfo.new_for_xml(XML)
        conn.register_object("/org/freedesktop/Notifications", node.interfaces[0], on_call,
                             None, None)

    def on_name(conn, name):
        out.write(json.dumps({"ready": True}) + "\n")

    def on_lost(conn, name):
        print("fake_notifications: could not own", name, file=sys.stderr)
        loop.quit()

    Gio.bus_own_name(Gio.BusType.SESSION, "org.freedesktop.Notifications",
                     Gio.BusNameOwnerFlags.NONE, on_bus, on_name, on_lost)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, loop.quit)
    loop.run()


if __name__ == "__main__":
    main()
