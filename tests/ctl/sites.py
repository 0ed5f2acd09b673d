"""Two "sites" for the several-collectors tests (ctl-multi-*, viewer-multi-*): each a network
namespace joined to the root namespace by a veth pair, with its own collector and its own
sensors (nvg-ctl-peer sensor: the real sensor link, commands executed on a model capture, one
small batch a second). netvigil-ctl and the viewer run in the root namespace and reach both
collectors over the veths, as they would two machines.

    site A: netns nvgmA-PID, 10.231.1.2 (root side 10.231.1.1), collector on :7700-7702
    site B: netns nvgmB-PID, 10.231.2.2 (root side 10.231.2.1), collector on :7700-7702

Needs root and ip(8) (else nvgtest.Skip). Everything is removed on every exit path: the
processes by the Work they were spawned in, the namespaces (and with them the veths) here.
The addresses are fixed, so the tests run one at a time (RESOURCE_LOCK in CMakeLists.txt)."""
import os
import shutil
import subprocess
import time

import nvgtest
from nvgtest import prog

AUDIT_COLUMNS = ["time", "requester", "sensor", "command", "filter", "outcome"]


def _ip(*args, check=True):
    r = subprocess.run(["ip"] + list(args), capture_output=True, text=True, timeout=10)
    if check and r.returncode != 0:
        raise nvgtest.Skip("ip %s: %s" % (" ".join(args), r.stderr.strip()))
    return r


class Site:
    """One namespace, its collector (netvigil-collector bound to the site's address) and its
    sensors."""

    def __init__(self, work, label, index):
        self.work = work
        self.label = label
        self.ns = "nvgm%s-%d" % (label[-1], os.getpid())
        self.addr = "10.231.%d.2" % index
        self.root_addr = "10.231.%d.1" % index
        self.veth = "nvm%s%d" % (label[-1].lower(), os.getpid() % 100000)
        self.out = work.path("out-%s" % label)
        os.makedirs(self.out, exist_ok=True)
        self.collector = None
        self.sensors = {}

    def create(self):
        _ip("netns", "add", self.ns)
        _ip("link", "add", self.veth, "type", "veth", "peer", "name", "v0", "netns", self.ns)
        _ip("addr", "add", self.root_addr + "/24", "dev", self.veth)
        _ip("link", "set", self.veth, "up")
        for cmd in (["link", "set", "lo", "up"], ["addr", "add", self.addr + "/24", "dev", "v0"],
                    ["link", "set", "v0", "up"]):
            _ip("-n", self.ns, *cmd)

    def delete(self):
        r = _ip("netns", "pids", self.ns, check=False)
        for pid in r.stdout.split():
            try:
                os.kill(int(pid), 9)
            except (OSError, ValueError):
                pass
        _ip("netns", "del", self.ns, check=False)
        _ip("link", "del", self.veth, check=False)  # gone with the namespace, normally

    def run_in(self, args, log, **kw):
        return self.work.spawn(["ip", "netns", "exec", self.ns] + [str(a) for a in args],
                               log=log, **kw)

    @property
    def endpoint(self):
        return self.addr  # the feed on 7701, control on 7702: what --collector HOST implies

    def start_collector(self):
        self.collector = self.run_in(
            [prog("netvigil-collector"), "--bind", self.addr, "--insecure", "-o", self.out],
            log="collector-%s.log" % self.label)
        nvgtest.wait_for(lambda: self.collector.poll() is not None or self.status(check=False),
                         15, "collector %s to answer" % self.label)
        assert self.collector.poll() is None, "collector %s exited" % self.label

    def kill_collector(self):
        self.collector.kill()
        self.collector.wait(10)

    def start_sensor(self, name):
        self.sensors[name] = self.run_in(
            [prog("nvg-ctl-peer"), "sensor", "-e", "tcp://%s:7700" % self.addr, "-n", name],
            log="peer-%s-%s.log" % (self.label, name))

    def ctl(self, *args, timeout=30):
        """netvigil-ctl against this site's collector alone."""
        return subprocess.run([prog("netvigil-ctl"), "--collector", self.addr]
                              + [str(a) for a in args], capture_output=True, text=True,
                              timeout=timeout)

    def status(self, check=True):
        r = self.ctl("--timeout", 1000, "status", "--json")
        if r.returncode != 0:
            assert not check, r.stderr
            return None
        import json
        return json.loads(r.stdout)

    def sensor_state(self, name):
        for s in self.status()["sensors"]:
            if s["sensor"] == name:
                return s["state"]
        return None

    def audit_rows(self):
        """The audit log's rows as dicts (the log is flushed at least once a second)."""
        return [dict(zip(AUDIT_COLUMNS, row)) for path in nvgtest.log_files(self.out, "audit")
                for row in nvgtest.read_csv_log(path, AUDIT_COLUMNS, empty_ok=True)]


class Sites:
    """Sites A and B, their collectors started and sensors connected; a context manager that
    deletes both namespaces at the end."""

    def __init__(self, work, sensors_a=("a1", "a2"), sensors_b=("b1",)):
        if os.geteuid() != 0:
            raise nvgtest.Skip("needs root (network namespaces)")
        if not shutil.which("ip"):
            raise nvgtest.Skip("no ip(8)")
        self.work = work
        self.a = Site(work, "siteA", 1)
        self.b = Site(work, "siteB", 2)
        self.wanted = {self.a: sensors_a, self.b: sensors_b}

    def __enter__(self):
        try:
            for site in (self.a, self.b):
                site.create()
            for site in (self.a, self.b):
                site.start_collector()
                for name in self.wanted[site]:
                    site.start_sensor(name)
            for site in (self.a, self.b):
                for name in self.wanted[site]:
                    nvgtest.wait_for(lambda: site.sensor_state(name) not in (None, "unknown"),
                                     15, "sensor %s on %s" % (name, site.label))
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc):
        self.work.stop_all(timeout=5)
        for site in (self.a, self.b):
            site.delete()
        return False

    def collector_args(self, named=True):
        """--collector for both sites: siteA=10.231.1.2 ... (named) or the bare addresses."""
        args = []
        for site in (self.a, self.b):
            args += ["--collector", ("%s=%s" % (site.label, site.addr)) if named else site.addr]
        return args

    def ctl(self, *args, named=True, timeout=30):
        """netvigil-ctl against both collectors."""
        return subprocess.run([prog("netvigil-ctl")] + self.collector_args(named)
                              + [str(a) for a in args], capture_output=True, text=True,
                              timeout=timeout)

    def ctl_spawn(self, *args, log=None):
        return self.work.spawn([prog("netvigil-ctl")] + self.collector_args()
                               + [str(a) for a in args], stdout=subprocess.PIPE, text=True,
                               log=log)


def wait_state(site, name, state, timeout=5):
    """The sensor's state on its own collector becomes state (heartbeats come every second)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        got = site.sensor_state(name)
        if got == state:
            return
        time.sleep(0.1)
    raise AssertionError("%s on %s: state %r, not %r" % (name, site.label, got, state))
