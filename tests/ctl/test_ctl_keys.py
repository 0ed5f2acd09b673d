#!/usr/bin/env python3
"""netvigil-ctl's keys: `keygen` (files, modes, read by pyzmq's zmq.auth), pyzmq-made
certificates used with --key, and CURVE against a pyzmq collector with a ZAP allow-list
(ThreadAuthenticator, fakecollector.py): an accepted key works, a refused key says so with exit
status 3, a wrong --collector-key or keys on one side only say so with exit status 4, and the
defaults come from $XDG_CONFIG_HOME/netvigil/.

Usage: test_ctl_keys.py --bin-dir DIR [--bin-dir DIR...] TEST
"""
import os
import stat
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, HERE)
import nvgtest  # noqa: E402
from nvgtest import prog  # noqa: E402
import fakecollector as fc  # noqa: E402
import zmq  # noqa: E402
import zmq.auth  # noqa: E402

PROGRAMS = ("netvigil-ctl",)


def check(cond, what):
    if not cond:
        raise AssertionError(what)


class Keys:
    """A work dir with key pairs: the collector's, an allowed client's, a refused one's."""

    def __init__(self, work):
        self.work = work
        self.dir = work.path("keys")
        self.allow = work.path("allow")
        os.makedirs(self.dir)
        os.makedirs(self.allow)
        self.env = dict(os.environ, XDG_CONFIG_HOME=work.path("no-config"))
        for name in ("collector", "allowed", "refused", "other"):
            r = self.ctl("keygen", name, "--out", self.dir)
            check(r.returncode == 0, r.stderr)
        os.link(self.path("allowed.key"), os.path.join(self.allow, "allowed.key"))
        self.server_public, self.server_secret = zmq.auth.load_certificate(
            self.path("collector.key_secret"))

    def path(self, name):
        return os.path.join(self.dir, name)

    def ctl(self, *args, env=None, timeout=20):
        return subprocess.run([prog("netvigil-ctl")] + [str(a) for a in args],
                              capture_output=True, text=True, timeout=timeout,
                              env=env or self.env)

    def collector(self, curve=True):
        st = fc.collector_status([fc.summary(fc.sensor_status("s1"))], keys=curve)
        feed = [[b"event", fc.event(text="hello")]]
        handler = (lambda req: [fc.control_reply(req.get(2, 0), status=st)] if req.get(3) == 5
                   else [fc.control_reply(req.get(2, 0), ok=False,
                                          error="not allowed: key 'allowed' (viewer) may not "
                                                "send stop")])
        if not curve:
            return fc.FakeCollector(handler, feed)
        return fc.FakeCollector(handler, feed, server_public=self.server_public,
                                server_secret=self.server_secret, allow_dir=self.allow)

    def with_key(self, f, name, *args, collector="collector.key", **kw):
        return self.ctl(*(f.endpoints() + ["--key", self.path(name + ".key_secret"),
                                           "--collector-key", self.path(collector)] +
                          list(args)), **kw)


# ---- tests ---------------------------------------------------------------------------------

def test_keygen(work):
    """Two files with the right modes, in the ZPL format pyzmq reads; never overwritten."""
    k = work.path("k")
    os.makedirs(k)
    r = subprocess.run([prog("netvigil-ctl"), "keygen", "host-a.example:1", "--out", k],
                       capture_output=True, text=True, timeout=10)
    check(r.returncode == 0, r.stderr)
    pub = os.path.join(k, "host-a.example:1.key")
    sec = pub + "_secret"
    check(stat.S_IMODE(os.stat(pub).st_mode) == 0o644, oct(os.stat(pub).st_mode))
    check(stat.S_IMODE(os.stat(sec).st_mode) == 0o600, oct(os.stat(sec).st_mode))
    p1, s_none = zmq.auth.load_certificate(pub)
    p2, s2 = zmq.auth.load_certificate(sec)
    check(s_none is None and p1 == p2 and len(p1) == 40 and len(s2) == 40, (p1, p2, s2))
    check(zmq.curve_public(s2) == p1, "secret key does not match the public one")
    check(pub in r.stdout and sec in r.stdout and p1.decode() in r.stdout, r.stdout)
    check("sensors/" in r.stdout and "viewers/" in r.stdout and "admins/" in r.stdout, r.stdout)
    with open(pub) as f:
        text = f.read()
    check('name = "host-a.example:1"' in text and "secret-key" not in text, text)
    before = open(sec).read()
    r = subprocess.run([prog("netvigil-ctl"), "keygen", "host-a.example:1", "--out", k],
                       capture_output=True, text=True, timeout=10)
    check(r.returncode == 1 and "already exists" in r.stderr, r)
    check(open(sec).read() == before, "keygen overwrote a key")
    for bad in ("a b", "x/y", "", "é", "=HYPERLINK", "a" * 64):
        r = subprocess.run([prog("netvigil-ctl"), "keygen", bad, "--out", k],
                           capture_output=True, text=True, timeout=10)
        check(r.returncode == 2 and "A-Z a-z 0-9 . _ : @ -" in r.stderr,
              "keygen %r: %s %s" % (bad, r.returncode, r.stderr))
    check(sorted(os.listdir(k)) == ["host-a.example:1.key", "host-a.example:1.key_secret"],
          os.listdir(k))


def test_pyzmq_cert(work):
    """A pyzmq-made certificate (chmod 600) works with --key; group-readable, it is refused."""
    keys = Keys(work)
    pz = work.path("pz")
    os.makedirs(pz)
    pub, sec = zmq.auth.create_certificates(pz, "pyclient")
    os.chmod(sec, 0o600)
    os.link(pub, os.path.join(keys.allow, "pyclient.key"))
    f = keys.collector()
    try:
        r = keys.ctl(*(f.endpoints() + ["--key", sec, "--collector-key",
                                        keys.path("collector.key"), "status"]))
        check(r.returncode == 0 and r.stdout.startswith("SENSOR"), r)
        check("security: keys on" in r.stdout, r.stdout)
        os.chmod(sec, 0o640)
        r = keys.ctl(*(f.endpoints() + ["--key", sec, "--collector-key",
                                        keys.path("collector.key"), "status"]))
        check(r.returncode == 2 and "chmod 600" in r.stderr, r)
    finally:
        f.stop()


def test_allow_deny(work):
    """An allowed key reads status and the feed; a refused key is told so at once (exit 3),
    on the control socket and on the feed."""
    keys = Keys(work)
    f = keys.collector()
    try:
        r = keys.with_key(f, "allowed", "status")
        check(r.returncode == 0 and "s1" in r.stdout, r)
        r = keys.with_key(f, "allowed", "events", "--count", "1")
        check(r.returncode == 0 and "hello" in r.stdout, r)
        r = keys.with_key(f, "allowed", "stop", "s1")
        check(r.returncode == 5 and "not allowed" in r.stdout, r)
        for what in (["status"], ["stop", "s1"], ["tail"], ["events"]):
            t0 = time.time()
            r = keys.with_key(f, "refused", *what)
            dt = time.time() - t0
            check(r.returncode == 3, "%s: exit %d, want 3: %s" % (what, r.returncode, r.stderr))
            check("the collector does not accept this key (refused)" in r.stderr, r.stderr)
            check(dt < 2.0, "%s: refusal took %.1f s" % (what, dt))
    finally:
        f.stop()


def test_wrong_server_key(work):
    """--collector-key of another key: the server cannot decrypt our HELLO and closes; within
    the timeout, exit 4 naming --collector-key."""
    keys = Keys(work)
    f = keys.collector()
    try:
        for what in (["--timeout", "1500", "status"], ["--timeout", "1500", "tail"]):
            t0 = time.time()
            r = keys.with_key(f, "allowed", *what, collector="other.key")
            dt = time.time() - t0
            check(r.returncode == 4 and "--collector-key" in r.stderr, (what, r))
            check(dt < 5, "%s took %.1f s" % (what, dt))
    finally:
        f.stop()


def test_mismatch(work):
    """Keys on one side only: a clear word about keys, exit 4, at once."""
    keys = Keys(work)
    f = keys.collector(curve=True)
    try:
        r = keys.ctl(*(f.endpoints() + ["--timeout", "3000", "status"]))
        check(r.returncode == 4 and "requires keys" in r.stderr, r)
    finally:
        f.stop()
    f = keys.collector(curve=False)
    try:
        t0 = time.time()
        r = keys.with_key(f, "allowed", "--timeout", "3000", "status")
        check(r.returncode == 4 and "does it use keys?" in r.stderr, r)
        check(time.time() - t0 < 2, "mismatch took too long")
    finally:
        f.stop()


def test_defaults(work):
    """Without options, the keys come from $XDG_CONFIG_HOME/netvigil/; half a configuration is
    an error."""
    keys = Keys(work)
    cfg = work.path("cfg")
    d = os.path.join(cfg, "netvigil")
    os.makedirs(d)
    os.link(keys.path("collector.key"), os.path.join(d, "collector.key"))
    env = dict(os.environ, XDG_CONFIG_HOME=cfg)
    f = keys.collector()
    try:
        r = keys.ctl(*(f.endpoints() + ["status"]), env=env)
        check(r.returncode == 2 and "--key" in r.stderr, r)  # collector.key alone
        os.link(keys.path("allowed.key_secret"), os.path.join(d, "allowed.key_secret"))
        r = keys.ctl(*(f.endpoints() + ["status"]), env=env)
        check(r.returncode == 0 and "s1" in r.stdout, r)
        os.link(keys.path("refused.key_secret"), os.path.join(d, "refused.key_secret"))
        r = keys.ctl(*(f.endpoints() + ["status"]), env=env)
        check(r.returncode == 2 and "several" in r.stderr, r)
        r = keys.ctl(*(f.endpoints() + ["--key", keys.path("refused.key_secret"), "status"]),
                     env=env)
        check(r.returncode == 3 and "(refused)" in r.stderr, r)
    finally:
        f.stop()


def run(args, work):
    args.fn(work)
    print("PASS %s" % args.test)


if __name__ == "__main__":
    sys.exit(nvgtest.main(run, "nvg-ctl-keys-", PROGRAMS, tests=globals()))
