#!/usr/bin/env python3
"""netvigil-viewer with CURVE keys against a pyzmq collector with a ZAP handler
(zmq.auth.ThreadAuthenticator), under Xvfb + a private D-Bus session.

Run it inside `xvfb-run -a dbus-run-session -- test_viewer_keys.py --bin-dir DIR ...`. Keys are
made by pyzmq (zmq.auth.create_certificates), so this also checks that netvigil loads them.

  1. --key stranger (in no allow-list) --collector-key collector: app.connection says 'refused'
     (the badge: "Refused: the collector does not accept this key"), not 'reconnecting';
  2. app.connect to the same collector with the friend key (what the Connect dialog does):
     'connected' without a restart, and viewer.ini remembers host and keys;
  3. the collector answers Stop with "not allowed: ...": the viewer says so (its log line of
     the reply, which is also the toast);
  4. app.connect with the friend key but the wrong collector key: 'handshake-failed' (the
     badge: "Refused: wrong collector key, or keys on one side only");
  5. the Connect dialog opens (app.connect-dialog); screenshots viewer-keys-*.png."""
import os
import shutil
import sys
import time

import zmq
import zmq.auth

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hostile_collector as hc  # noqa: E402
import test_viewer_gui as g  # noqa: E402
import test_viewer_reconnect as r  # noqa: E402
import test_viewer_hostile as h  # noqa: E402
import nvgtest  # noqa: E402
from nvgtest import wait_for  # noqa: E402

log = g.log


def make_keys(work):
    keys = work.path("keys")
    allowed = work.path("allowed")
    os.makedirs(keys)
    os.makedirs(allowed)
    paths = {}
    for name in ("collector", "friend", "stranger", "other-collector"):
        pub, sec = zmq.auth.create_certificates(keys, name)
        os.chmod(sec, 0o600)
        paths[name] = (pub, sec)
    shutil.copy(paths["friend"][0], allowed)
    return paths, allowed


def free_pair():
    """Two free ports in a row: app.connect names the feed port, control is the next one."""
    for _ in range(50):
        p = nvgtest.free_ports(1)[0]
        if p < 65535 and nvgtest.port_free(p + 1):
            return p, p + 1
    raise AssertionError("no two free ports in a row")


def wait_state(want, timeout, fc):
    """Publishes the status meanwhile: a connected viewer gets data."""
    end = time.monotonic() + timeout
    last = None
    while time.monotonic() < end:
        fc.publish(b"status", h.good_status())
        last = r.state()
        if last == want:
            return
        time.sleep(0.2)
    raise AssertionError("app.connection is %r, not %r after %.0f s" % (last, want, timeout))


def refuse_stop(body):
    return hc.control_reply(hc.request_id(body), False, b"not allowed: key friend has role viewer")


def run(st):
    paths, allowed = make_keys(st.work)
    feed_port, control_port = free_pair()
    server = zmq.auth.load_certificate(paths["collector"][1])
    fc = hc.FakeCollector(feed_port, control_port, server_keys=server, allowed_dir=allowed,
                          reply=refuse_stop)
    host = "127.0.0.1:%d" % feed_port
    try:
        # 1. a key the collector does not know
        h.start_viewer(st, feed_port, control_port, ["--key", paths["stranger"][1],
                                                     "--collector-key", paths["collector"][0]])
        wait_state("refused", 15, fc)
        log("unknown key: app.connection = refused")
        time.sleep(0.5)
        st.screenshot("viewer-keys-refused.png")
        # stays refused (libzmq retries; each retry is refused again)
        time.sleep(3)
        assert r.state() == "refused", r.state()

        # 2. the friend key, through app.connect (the Connect dialog's action)
        g.action("connect", "<('%s', '%s', '%s')>" % (host, paths["collector"][0],
                                                      paths["friend"][1]))
        wait_state("connected", 15, fc)
        log("friend key via app.connect: connected, no restart")
        ini = os.path.join(st.work.path("config"), "netvigil", "viewer.ini")
        with open(ini) as f:
            text = f.read()
        assert host in text and paths["friend"][1] in text, text
        log("viewer.ini remembers the collector and the keys")

        # 3. a command the collector refuses for this key's role
        g.action("stop", g.s(""))
        wait_for(lambda: "Not allowed: the collector does not let this key stop" in
                 h.viewer_log(st), 10, "the 'not allowed' answer shown")
        log("'not allowed' reply shown")
        time.sleep(0.3)
        st.screenshot("viewer-keys-not-allowed.png")

        # 4. the wrong collector key
        g.action("connect", "<('%s', '%s', '%s')>" % (host, paths["other-collector"][0],
                                                      paths["friend"][1]))
        wait_state("handshake-failed", 15, fc)
        log("wrong collector key: app.connection = handshake-failed")
        time.sleep(0.5)
        st.screenshot("viewer-keys-handshake.png")

        # 5. the dialog
        g.action("connect-dialog")
        time.sleep(0.8)
        st.screenshot("viewer-keys-dialog.png")
        g.action("quit")
        assert st.viewer.wait(timeout=10) == 0, "viewer exit status"
        log("viewer quit cleanly")
    finally:
        fc.close()


def main():
    return g.run_gui_test("nvg-viewer-keys-", run, ("netvigil-viewer",))


if __name__ == "__main__":
    sys.exit(main())
