#!/usr/bin/env python3
"""Detection against real attack tools (issue 11), in two network namespaces of our own: an
attacker (198.18.240.1) and a victim (198.18.240.2) on a veth pair, nothing else reachable.
The victim runs the collector, a live sensor on its end of the pair, and a few services (TCP 22,
23 and 80; UDP ports stay closed, and its ICMP error rate limit is off so a UDP scan ends
quickly). Each case starts a fresh collector and sensor, so "exactly one alert" is about that
case alone, and checks the alert three ways: alerts-*.csv, `netvigil-ctl alerts --since`, and a
`netvigil-ctl alerts` subscriber started before the attack (the feed).

Cases: nmap -sS, -sT, -sU (one portscan each), nmap -sn over the /24 (one sweep), hping3 --flood
-S at the open port (one synflood), a burst of short connections to 22 (one bruteforce), a
policy rule "no telnet" and one connection to 23 (one policy alert), ARP replies crafted with
scapy claiming the victim's address (one arpspoof naming the address and both MACs), a threshold
rule changed by SIGHUP (and a bad edit that keeps the rules in force), and a benign mix (HTTP
download, DNS lookups, dozens of TCP connections, pings) that raises none.

Usage: test_attacks.py --bin-dir DIR... CASE; needs root, ip(8) and the tool of the case (nmap,
hping3, python3-scapy), else exit 77. Bounded: every wait has a timeout, every attack a count
or a timeout; both namespaces are removed on every exit path."""
import os
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import nvgtest  # noqa: E402
from nvgtest import prog  # noqa: E402

PROGRAMS = ("netvigil-sensor", "netvigil-collector", "netvigil-ctl")
NS_A = "nvg-atk-%da" % os.getpid()
NS_V = "nvg-atk-%dv" % os.getpid()
A4, V4 = "198.18.240.1", "198.18.240.2"
V_MAC = "02:00:00:24:00:02"
FAKE_MAC = "02:00:00:de:ad:01"
SYS_PYTHON = "/usr/bin/python3"  # Debian's, which has python3-scapy
ALERT_COLUMNS = ["time", "id", "event", "severity", "detector", "src", "targets", "target_count",
                 "proto", "port", "sensors", "first", "last", "packets", "bytes", "count",
                 "closed", "rule", "summary"]
SERVICES = r"""
import socket, threading, http.server, os
def tcp(port):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port)); s.listen(64)
    while True:
        c, _ = s.accept(); c.close()
def udp53():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("0.0.0.0", 53))
    while True:
        d, a = s.recvfrom(512); s.sendto(d[:2] + b"\x81\x80" + d[4:], a)
for p in (22, 23):
    threading.Thread(target=tcp, args=(p,), daemon=True).start()
threading.Thread(target=udp53, daemon=True).start()
os.chdir(os.environ["WWW"])
http.server.ThreadingHTTPServer(("0.0.0.0", 80), http.server.SimpleHTTPRequestHandler).serve_forever()
"""


def sh(*args, check=True, timeout=60):
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, check=check,
                          timeout=timeout)


def ns(name, *args):
    return ["ip", "netns", "exec", name] + [str(a) for a in args]


def need(tool):
    if not shutil.which(tool):
        raise nvgtest.Skip("%s is not installed (deploy/install-deps.sh --test)" % tool)


class NsCollector(nvgtest.Collector):
    """The harness's collector inside the victim namespace, ctl inside it too."""

    def start(self, timeout=15):
        args = ns(NS_V, prog("netvigil-collector"), "-o", self.out, "--sensor-port",
                  self.ports[0], "--feed-port", self.ports[1], "--control-port", self.ports[2],
                  *self.extra)
        self.proc = self.work.spawn(args, log=self.log)
        nvgtest.wait_for(lambda: self.proc.poll() is not None or self.status(300, check=False),
                         timeout, "the collector to answer status")
        assert self.proc.poll() is None, "collector exited at start, see %s" % self.log
        return self

    def ctl_args(self, *args):
        return ns(NS_V, *super().ctl_args(*args))


class Case:
    """A fresh collector and a live sensor on the victim's interface, and an alerts subscriber
    on the feed, for one attack."""

    def __init__(self, work, name, extra=()):
        self.work, self.name = work, name
        self.col = NsCollector(work, out=work.path("out-" + name), extra=extra,
                               log="collector-%s.log" % name).start()
        self.sensor = work.spawn(ns(NS_V, prog("netvigil-sensor"), "-i", "vv", "-n", "victim",
                                    "-c", self.col.sensor_ep, "--batch-ms", "20"),
                                 log="sensor-%s.log" % name)
        nvgtest.wait_for(lambda: (self.col.find_sensor("victim") or {}).get("state") == "running",
                         10, "the sensor to run")
        self.feed_path = work.path("feed-%s.txt" % name)
        with open(self.feed_path, "w") as out:
            self.feed = work.spawn(self.col.ctl_args("alerts"), stdout=out,
                                   log="ctl-%s.log" % name)
        time.sleep(0.5)  # the subscription reaches the collector
        self.t0 = time.time()

    def alerts(self):
        rows = []
        for path in nvgtest.log_files(self.col.out, "alerts"):
            rows += nvgtest.read_csv_log(path, ALERT_COLUMNS)
        return rows

    def starts(self):
        return [r for r in self.alerts() if r[2] == "start"]

    def expect_one(self, detector, src=None, targets=(), within=None, settle=2.0):
        """Exactly one alert started, of this detector, from src, naming targets; the same on
        the feed and in `ctl alerts --since`. Returns its CSV start row."""
        nvgtest.wait_for(lambda: self.starts(), 10, "an alert to start (%s)" % detector)
        time.sleep(settle)  # a second alert would start within this
        starts = self.starts()
        assert len(starts) == 1, "%d alerts started: %s" % (
            len(starts), [(r[4], r[18]) for r in starts])
        row = starts[0]
        assert row[4] == detector, "detector %s: %s" % (row[4], row[18])
        if src is not None:
            assert row[5] == src, "source %r: %s" % (row[5], row[18])
        for t in targets:
            assert t in row[6].split(), "target %s not in %r: %s" % (t, row[6], row[18])
        delay = nvgtest.parse_iso_second(row[0]) - self.t0
        if within is not None:
            assert delay <= within, "started %.1f s after the attack began" % delay
        since = self.col.ctl("alerts", "--since", "10m")
        assert since.returncode == 0 and ("#%s " % row[1]) in since.stdout, since
        nvgtest.wait_for(lambda: ("#%s " % row[1]) in open(self.feed_path).read(), 5,
                         "the alert on the feed")
        print("ok   %s: one %s alert %.1f s after the start: %s" % (
            self.name, detector, delay, row[18]), flush=True)
        return row

    def close(self):
        self.feed.terminate()
        self.sensor.terminate()
        self.sensor.wait(10)
        self.col.stop()


def attacker(*args, timeout=120, check=True):
    r = subprocess.run(ns(NS_A, *args), capture_output=True, text=True, timeout=timeout)
    if check:
        assert r.returncode == 0, "%s failed (%d): %s %s" % (args[0], r.returncode, r.stdout,
                                                             r.stderr)
    return r


def nmap_case(work, name, *flags):
    need("nmap")
    c = Case(work, name)
    attacker("nmap", "-n", "-Pn", "-T4", "--max-retries", "1", *flags, V4)
    row = c.expect_one("portscan", A4, [V4], within=3.0)
    c.close()
    return row


def test_syn_scan(work):
    nmap_case(work, "syn", "-sS", "-p", "1-1000")


def test_connect_scan(work):
    nmap_case(work, "connect", "-sT", "-p", "1-1000")


def test_udp_scan(work):
    row = nmap_case(work, "udp", "-sU", "-p", "1-200", "--max-retries", "0")
    assert row[8] == "UDP", row


def test_sweep(work):
    need("nmap")
    c = Case(work, "sweep")
    attacker("nmap", "-n", "-sn", "-T4", "--max-retries", "0", "198.18.240.0/24")
    row = c.expect_one("sweep", A4, within=3.0)
    assert int(row[7]) >= 100, "only %s hosts: %s" % (row[7], row[18])
    c.close()


def test_syn_flood(work):
    need("hping3")
    c = Case(work, "synflood")
    attacker("timeout", "3", "hping3", "--flood", "-S", "-p", "80", V4, check=False, timeout=30)
    c.expect_one("synflood", targets=[V4], within=3.0)
    c.close()


def test_brute_force(work):
    c = Case(work, "bruteforce")
    code = ("import socket\nfor i in range(20):\n s=socket.create_connection(('%s',22),2)\n"
            " s.close()\n" % V4)
    attacker(SYS_PYTHON, "-c", code)
    c.expect_one("bruteforce", A4, [V4], within=3.0)
    c.close()


def test_policy(work):
    conf = work.path("policy.conf")
    with open(conf, "w") as f:
        f.write("[policy]\nno-telnet = dport 23 severity high\n")
    c = Case(work, "policy", extra=("--alerts-config", conf))
    attacker(SYS_PYTHON, "-c", "import socket; socket.create_connection(('%s', 23), 2).close()"
             % V4)
    row = c.expect_one("policy", A4, [V4], within=3.0)
    assert row[17] == "no-telnet" and row[3] == "high", row
    c.close()


def test_arp_spoof(work):
    if subprocess.run([SYS_PYTHON, "-c", "import scapy"], capture_output=True).returncode:
        raise nvgtest.Skip("python3-scapy is not installed (deploy/install-deps.sh --test)")
    c = Case(work, "arpspoof")
    # Forget what setup resolved, so the ping's ARP exchange shows the engine the true binding.
    sh(*ns(NS_A, "ip", "neigh", "flush", "dev", "va"))
    sh(*ns(NS_V, "ip", "neigh", "flush", "dev", "vv"))
    attacker("ping", "-n", "-c", "2", "-i", "0.2", V4)
    code = ("from scapy.all import ARP, Ether, sendp\n"
            "sendp(Ether(src='%s', dst='ff:ff:ff:ff:ff:ff') / ARP(op=2, hwsrc='%s', psrc='%s',"
            " hwdst='ff:ff:ff:ff:ff:ff', pdst='%s'), iface='va', count=3, inter=0.1,"
            " verbose=False)\n" % (FAKE_MAC, FAKE_MAC, V4, V4))
    attacker(SYS_PYTHON, "-c", code)
    row = c.expect_one("arpspoof", within=4.0)
    assert ("%s claimed by %s, bound to %s" % (V4, FAKE_MAC, V_MAC)) in row[18], row[18]
    c.close()


def flood_pings(count=400):
    attacker("ping", "-n", "-q", "-c", count, "-i", "0.002", V4, check=False)


def test_threshold_reload(work):
    conf = work.path("threshold.conf")

    def write(text):
        with open(conf, "w") as f:
            f.write(text)
    write("[alerts]\nquiet = 2s\n[threshold]\npings = proto icmp dst %s pps 50\n" % V4)
    c = Case(work, "threshold", extra=("--alerts-config", conf))
    flood_pings()
    row = c.expect_one("threshold", targets=[V4], within=3.0)
    assert row[17] == "pings", row
    nvgtest.wait_for(lambda: any(r[2] == "end" for r in c.alerts()), 10, "the alert to end")
    write("[alerts]\nquiet = 2s\n[threshold]\npings = proto icmp dst %s pps 100000\n" % V4)
    c.col.proc.send_signal(signal.SIGHUP)
    nvgtest.wait_for(lambda: "alert rules reloaded" in c.col.log_text(), 5, "the reload")
    flood_pings()
    time.sleep(2.5)
    assert len(c.starts()) == 1, "the raised threshold did not take: %s" % c.starts()
    write("[threshold]\npings = proto icmp pps lots\n")
    c.col.proc.send_signal(signal.SIGHUP)
    nvgtest.wait_for(lambda: c.col.status()["detection"]["config_errors"] == 1, 5,
                     "the bad reload to be counted")
    assert "the rules in force stay" in c.col.log_text()
    flood_pings()
    time.sleep(2.5)
    assert len(c.starts()) == 1, "a bad reload changed the rules: %s" % c.starts()
    print("ok   threshold: pps 100000 after SIGHUP raised none; a bad edit kept it "
          "(config_errors 1)", flush=True)
    c.close()


def test_benign(work):
    c = Case(work, "benign")
    code = (
        "import socket, urllib.request\n"
        "data = urllib.request.urlopen('http://%s/big', timeout=10).read()\n"
        "assert len(data) == 4 << 20\n"
        "for i in range(40):\n"
        "    urllib.request.urlopen('http://%s/', timeout=5).read()\n"
        "u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.settimeout(2)\n"
        "for i in range(20):\n"
        "    u.sendto(bytes([0, i]) + b'\\x01\\x00\\x00\\x01\\x00\\x00\\x00\\x00\\x00\\x00"
        "\\x07example\\x03com\\x00\\x00\\x01\\x00\\x01', ('%s', 53)); u.recv(512)\n"
        % (V4, V4, V4))
    attacker(SYS_PYTHON, "-c", code)
    attacker("ping", "-n", "-q", "-c", "20", "-i", "0.1", V4)
    time.sleep(3)
    st = c.col.status()
    rows = c.alerts()
    assert not rows, "benign traffic raised alerts: %s" % [r[18] for r in rows]
    s = c.col.sensor("victim", st)
    # (veth offloads carry the download in 64 KiB frames: a few hundred records)
    assert st["detection"]["records"] > 300, st["detection"]
    print("ok   benign: %d records (HTTP 4 MiB + 40 requests, 20 DNS, 20 pings), no alert" % (
        st["detection"]["records"]), flush=True)
    assert s["records_received"] > 0
    c.close()


def setup(work):
    sh("ip", "netns", "add", NS_A)
    sh("ip", "netns", "add", NS_V)
    for n in (NS_A, NS_V):
        sh(*ns(n, "ip", "link", "set", "lo", "up"))
    sh(*ns(NS_A, "ip", "link", "add", "va", "type", "veth", "peer", "name", "vv", "netns", NS_V))
    sh(*ns(NS_V, "ip", "link", "set", "vv", "address", V_MAC))
    sh(*ns(NS_A, "ip", "addr", "add", A4 + "/24", "dev", "va"))
    sh(*ns(NS_V, "ip", "addr", "add", V4 + "/24", "dev", "vv"))
    sh(*ns(NS_A, "ip", "link", "set", "va", "up"))
    sh(*ns(NS_V, "ip", "link", "set", "vv", "up"))
    sh(*ns(NS_V, "sysctl", "-q", "-w", "net.ipv4.icmp_ratelimit=0"))
    www = work.path("www")
    os.makedirs(www)
    with open(os.path.join(www, "big"), "wb") as f:
        f.write(os.urandom(4 << 20))
    work.spawn(ns(NS_V, sys.executable, "-c", SERVICES), log="services.log", env=dict(
        os.environ, WWW=www))
    code = "import socket; socket.create_connection(('%s', 80), 1).close()" % V4
    nvgtest.wait_for(lambda: subprocess.run(ns(NS_A, sys.executable, "-c", code),
                                            capture_output=True).returncode == 0, 10,
                     "the victim's services")


def run(args, work):
    if os.geteuid() != 0:
        raise nvgtest.Skip("needs root (network namespaces, live capture)")
    try:
        try:
            setup(work)
        except (subprocess.CalledProcessError, FileNotFoundError) as e:
            raise nvgtest.Skip("cannot build the namespaces: %s" % e)
        args.fn(work)
        work.stop_all()
    finally:
        work.kill_all()
        sh("ip", "netns", "del", NS_A, check=False)
        sh("ip", "netns", "del", NS_V, check=False)


if __name__ == "__main__":
    sys.exit(nvgtest.main(run, "nvg-attacks-", PROGRAMS, tests=globals()))
