#!/usr/bin/env python3
"""What `--bind` accepts besides an IPv4 address (issue 9: "--bind localhost and [::1] work").

libzmq binds addresses and interface names, not host names, so the collector gives
"localhost" its meaning itself: both loopback addresses.

  localhost   --bind localhost: netvigil-ctl reaches it on 127.0.0.1 and on [::1], and a sensor
              connected over [::1] gets every record written (ack and rows agree)
  v6          --bind ::1 and --bind [::1]: the same over IPv6 only, and nothing listens on
              127.0.0.1

Skips (77) when the host has no IPv6 loopback.

Usage: test_bind.py --bin-dir DIR [--bin-dir DIR...] TEST
"""
import os
import socket
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import nvgtest  # noqa: E402

PROGRAMS = ["netvigil-collector", "netvigil-ctl", "nvg-fake-sensor"]


def have_ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


class HostCollector(nvgtest.Collector):
    """A collector whose clients (ctl, fake sensor, start-up check) use host."""

    def __init__(self, work, host, **kw):
        super().__init__(work, **kw)
        self.host = host

    def _ep(self, i):
        return "tcp://%s:%d" % (self.host, self.ports[i])

    sensor_ep = property(lambda self: self._ep(0))
    feed_ep = property(lambda self: self._ep(1))
    control_ep = property(lambda self: self._ep(2))


def stream_over(col, name, records=5000):
    r = col.run_fake("--name", name, "--records", records, "--eos")
    received, lost, failures, sent = nvgtest.fake_ack(r.stdout + r.stderr)
    assert (received, lost, failures, sent) == (records, 0, 0, records), r.stdout + r.stderr


def reaches(col, host):
    r = subprocess.run(
        [nvgtest.prog("netvigil-ctl"), "--control-endpoint",
         "tcp://%s:%d" % (host, col.ports[2]), "--feed-endpoint",
         "tcp://%s:%d" % (host, col.ports[1]), "--timeout", "1500", "status"],
        capture_output=True, text=True, timeout=20)
    return r.returncode == 0


def test_localhost(work):
    col = HostCollector(work, "[::1]", extra=["--bind", "localhost"]).start()
    assert reaches(col, "127.0.0.1"), "ctl cannot reach --bind localhost on 127.0.0.1"
    assert reaches(col, "[::1]"), "ctl cannot reach --bind localhost on [::1]"
    stream_over(col, "over-v6")
    col.host = "127.0.0.1"
    stream_over(col, "over-v4")
    col.stop()
    rows = nvgtest.read_packets(col.out)
    by = {n: sum(1 for r in rows if r[1] == n) for n in ("over-v6", "over-v4")}
    assert by == {"over-v6": 5000, "over-v4": 5000}, by


def test_v6(work):
    for spelling in ("::1", "[::1]"):
        col = HostCollector(work, "[::1]", extra=["--bind", spelling]).start()
        assert not reaches(col, "127.0.0.1"), "--bind %s also listens on 127.0.0.1" % spelling
        stream_over(col, "v6")
        col.stop()


def run(args, work):
    if not have_ipv6_loopback():
        raise nvgtest.Skip("no IPv6 loopback on this host")
    args.fn(work)


if __name__ == "__main__":
    sys.exit(nvgtest.main(run, "nvg-bind-", PROGRAMS, tests=globals()))
