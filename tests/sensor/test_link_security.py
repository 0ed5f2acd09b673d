#!/usr/bin/env python3
"""The sensor's side of the secure link (issue 9), against a collector played by pyzmq: a
ROUTER with CURVE and a ZAP handler (zmq.auth's ThreadAuthenticator, domain "sensor") that
accepts or denies the sensor's key, as collector/auth.c does.

  accepted   the sensor's key is allowed: it connects over CURVE, says Hello under its name,
             answers commands; a 1100-byte set-filter is refused by the sensor itself with a
             clear error, a normal one is ok
  denied     its key is not in the list: it says "does not accept this key (sensor NAME)" and
             exits with status 3 within seconds instead of reconnecting for ever
  wrong-key  --collector-key is some other key: the collector falls silent; the sensor warns
             "no CURVE handshake ... is --collector-key the collector's key?" and keeps trying
  plain      the collector runs without CURVE: exit 3, saying so

Keys are made with zmq.auth.create_certificates (pyzmq's format, no metadata name: the name
is the file name), which is also the cross-tool check of nvg-cert. Live capture on lo (root)
or, without root, the test skips. Bounded: every wait has a timeout."""
import os
import shutil
import subprocess
import sys
import time

import zmq
import zmq.auth
from zmq.auth.thread import ThreadAuthenticator

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import nvgtest  # noqa: E402
from nvgtest import prog  # noqa: E402
from nvgpb import decode as parse, f_bytes, f_varint  # noqa: E402

PROGRAMS = ("netvigil-sensor",)
EXIT_KEY = 3
SECCOMP = os.environ.get("NVG_SECCOMP_TEST", "").split()


# ---- SensorMessage / CollectorMessage (protobuf by hand: tests/lib/nvgpb.py) -----------------

def field(num, value):
    return f_varint(num, value) if isinstance(value, int) else f_bytes(num, value)


def command(cid, kind, filt=b""):
    return field(1, 1) + field(4, field(1, cid) + field(2, kind) + field(3, filt))


SET_FILTER = 4


class FakeCollector:
    def __init__(self, work, allow_dir=None, server_secret=None):
        self.ctx = zmq.Context()
        self.auth = None
        self.sock = self.ctx.socket(zmq.ROUTER)
        self.sock.linger = 0
        if server_secret:
            if allow_dir:
                self.auth = ThreadAuthenticator(self.ctx)
                self.auth.start()
                self.auth.configure_curve(domain="sensor", location=allow_dir)
            pub, sec = zmq.auth.load_certificate(server_secret)
            self.sock.curve_secretkey = sec
            self.sock.curve_publickey = pub
            self.sock.curve_server = True
            self.sock.zap_domain = b"sensor"
        self.port = self.sock.bind_to_random_port("tcp://127.0.0.1", 21000, 32000)
        self.endpoint = "tcp://127.0.0.1:%d" % self.port

    def recv(self, timeout):
        if not self.sock.poll(timeout * 1000):
            return None
        frames = self.sock.recv_multipart()
        return frames[0], parse(frames[-1])

    def wait_body(self, body, timeout, pred=lambda m: True):
        deadline = time.time() + timeout
        while time.time() < deadline:
            got = self.recv(max(0.1, deadline - time.time()))
            if got and body in got[1] and pred(parse(got[1][body][0])):
                return got[0], parse(got[1][body][0])
        raise AssertionError("no message with body %d within %s s" % (body, timeout))

    def close(self):
        self.sock.close()
        if self.auth:
            self.auth.stop()
        self.ctx.term()


def make_keys(work):
    keys = work.path("keys")
    allowed, others = os.path.join(keys, "allowed"), os.path.join(keys, "others")
    for d in (keys, allowed, others):
        os.makedirs(d, exist_ok=True)
    zmq.auth.create_certificates(keys, "collector")
    zmq.auth.create_certificates(keys, "edge1")
    zmq.auth.create_certificates(keys, "stranger")
    for name in ("collector", "edge1", "stranger"):  # pyzmq leaves them 0644; we insist on 0600
        os.chmod(os.path.join(keys, name + ".key_secret"), 0o600)
    shutil.copy(os.path.join(keys, "edge1.key"), allowed)
    shutil.copy(os.path.join(keys, "stranger.key"), others)
    return keys


def start_sensor(work, col, keys, collector_key="collector.key", log="sensor.log"):
    return work.spawn([prog("netvigil-sensor"), "-i", "lo", "-n", "edge1", "-c", col.endpoint,
                       "--key", os.path.join(keys, "edge1.key_secret"), "--collector-key",
                       os.path.join(keys, collector_key), "icmp"] + SECCOMP, log=log)


def log_of(work, name="sensor.log"):
    with open(work.path(name), errors="replace") as f:
        return f.read()


def test_accepted(work, keys):
    col = FakeCollector(work, os.path.join(keys, "allowed"), os.path.join(keys, "collector.key_secret"))
    try:
        start_sensor(work, col, keys)
        ident, hello = col.wait_body(2, 10)
        assert hello[1] == [b"edge1"], hello
        print("ok   Hello over CURVE as edge1", flush=True)
        col.sock.send_multipart([ident, command(7, SET_FILTER, b"udp " + b" " * 1096)])
        _, rep = col.wait_body(6, 10, lambda r: r.get(1) == [7])
        err = rep.get(3, [b""])[0].decode()
        assert not rep.get(2) and "at most 1023" in err, rep
        print("ok   1100-byte filter refused by the sensor: %s" % err, flush=True)
        col.sock.send_multipart([ident, command(8, SET_FILTER, b"icmp or udp")])
        _, rep = col.wait_body(6, 10, lambda r: r.get(1) == [8])
        assert rep.get(2) == [1], rep
        status = parse(rep[4][0])
        assert status[6] == [b"icmp or udp"], status
        print("ok   set-filter over CURVE: ok, status shows the new filter", flush=True)
        assert "key accepted" in log_of(work), log_of(work)
    finally:
        col.close()


def wait_exit(p, timeout):
    try:
        return p.wait(timeout)
    except subprocess.TimeoutExpired:
        raise AssertionError("the sensor still runs after %s s" % timeout)


def test_denied(work, keys):
    col = FakeCollector(work, os.path.join(keys, "others"), os.path.join(keys, "collector.key_secret"))
    try:
        p = start_sensor(work, col, keys)
        rc = wait_exit(p, 15)
        log = log_of(work)
        assert rc == EXIT_KEY, "exit status %d, want %d\n%s" % (rc, EXIT_KEY, log)
        assert "does not accept this key (sensor edge1" in log, log
        print("ok   denied key: exit %d, '%s'" % (rc, [l for l in log.splitlines()
                                                     if "does not accept" in l][0]), flush=True)
    finally:
        col.close()


def test_wrong_key(work, keys):
    col = FakeCollector(work, os.path.join(keys, "allowed"), os.path.join(keys, "collector.key_secret"))
    try:
        p = start_sensor(work, col, keys, collector_key="stranger.key")
        nvgtest.wait_for(lambda: "is --collector-key the collector's key" in log_of(work), 15,
                         "the no-handshake warning")
        assert p.poll() is None, "the sensor gave up; it should keep retrying"
        assert col.recv(0.2) is None, "a message got through with the wrong collector key"
        print("ok   wrong collector key: warned, still retrying", flush=True)
    finally:
        col.close()


def test_plain(work, keys):
    col = FakeCollector(work)
    try:
        p = start_sensor(work, col, keys)
        rc = wait_exit(p, 15)
        log = log_of(work)
        assert rc == EXIT_KEY and "does the collector run with --keys" in log, (rc, log)
        print("ok   collector without CURVE: exit %d" % rc, flush=True)
    finally:
        col.close()


def run(args, work):
    if os.geteuid() != 0:
        raise nvgtest.Skip("needs root for live capture on lo")
    if not zmq.has("curve"):
        raise nvgtest.Skip("libzmq without CURVE")
    args.fn(work, make_keys(work))


if __name__ == "__main__":
    sys.exit(nvgtest.main(run, "nvg-linksec-", PROGRAMS, tests=globals()))
