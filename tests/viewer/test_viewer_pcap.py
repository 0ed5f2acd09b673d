#!/usr/bin/env python3
"""The viewer's "Save packets as pcapng…" and "Open in Wireshark" (issue 15, item 5) against a
real collector with keys and a real sensor with --pcap-ring, under Xvfb and a private D-Bus
session, driven through the viewer's actions.

The sensor captures one end of a veth pair in a network namespace of its own (the collector
runs there too); bounded traffic is a ping from a second namespace. The viewer runs in the root
namespace and reaches the collector over a second veth pair, as it would another machine.

  admin    the viewer with the admin key: app.save-pcap (sensor, span, "icmp", path) writes a
           pcapng (mode 0600) that tshark reads with the ping's frame count, capinfos names the
           sensor; a span larger than the collector's --pcap-max is refused ("too large" in the
           log) and leaves no file;
  page     the display filter proto=icmp, then app.open-wireshark with a fake `wireshark` in
           PATH: it gets `-r FILE` where FILE holds as many frames as the list shows ICMP rows
           of the sensor, and the temporary file is gone once it exits; the Packets page's
           menu open (xdotool) in a screenshot (viewer-pcap-menu.png); the button's tooltip
           names the rows, the sensor, the BPF and what does not map;
  viewer   the viewer with a viewer-role key and no wireshark in PATH: app.open-wireshark is
           disabled; app.save-pcap says "not allowed" and leaves no file.

Needs root (namespaces, capture), ip(8), tshark and capinfos, else 77."""
import os
import re
import shutil
import stat
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_viewer_gui as g  # noqa: E402  (puts tests/lib on the path)
import nvgtest  # noqa: E402
from nvgtest import prog, wait_for  # noqa: E402

log = g.log
PROGRAMS = ("netvigil-viewer", "netvigil-collector", "netvigil-sensor", "netvigil-ctl")
PID = os.getpid()
NS, PEER = "nvg-vpc-%d" % PID, "nvg-vpc-%dp" % PID
ROOT_VETH = "nvpc%d" % (PID % 100000)
ROOT_ADDR, COL_ADDR = "198.18.238.1", "198.18.238.2"  # root <-> collector namespace
A4, B4 = "198.18.238.5", "198.18.238.6"               # the captured link
NAME = "pcap1"
CAP = 32 * 1024
PINGS = 20


def sh(*args, check=True, timeout=30):
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, check=check,
                          timeout=timeout)


def in_ns(*args, ns=NS):
    return ["ip", "netns", "exec", ns] + [str(a) for a in args]


def make_net():
    sh("ip", "netns", "add", NS)
    sh("ip", "netns", "add", PEER)
    sh("ip", "link", "add", ROOT_VETH, "type", "veth", "peer", "name", "vr0", "netns", NS)
    sh("ip", "addr", "add", ROOT_ADDR + "/30", "dev", ROOT_VETH)
    sh("ip", "link", "set", ROOT_VETH, "up")
    for cmd in (["link", "set", "lo", "up"], ["addr", "add", COL_ADDR + "/30", "dev", "vr0"],
                ["link", "set", "vr0", "up"],
                ["link", "add", "vp0", "type", "veth", "peer", "name", "vp1", "netns", PEER],
                ["addr", "add", A4 + "/30", "dev", "vp0"], ["link", "set", "vp0", "up"]):
        sh(*in_ns("ip", *cmd))
    sh(*in_ns("ip", "addr", "add", B4 + "/30", "dev", "vp1", ns=PEER))
    sh(*in_ns("ip", "link", "set", "vp1", "up", ns=PEER))


def delete_net():
    for ns in (NS, PEER):
        for pid in sh("ip", "netns", "pids", ns, check=False).stdout.split():
            try:
                os.kill(int(pid), 9)
            except (OSError, ValueError):
                pass
        sh("ip", "netns", "del", ns, check=False)
    sh("ip", "link", "del", ROOT_VETH, check=False)  # gone with the namespace, normally


def keys(work):
    d = work.path("keys")
    for sub in ("sensors", "viewers", "admins"):
        os.makedirs(os.path.join(d, sub), exist_ok=True)
    for name, sub in (("collector", None), (NAME, "sensors"), ("v1", "viewers"),
                      ("a1", "admins")):
        sh(prog("netvigil-ctl"), "keygen", name, "--out", d)
        if sub:
            os.rename(os.path.join(d, name + ".key"), os.path.join(d, sub, name + ".key"))
    return d


def ping(size, count, interval="0.05"):
    r = subprocess.run(in_ns("ping", "-n", "-q", "-c", count, "-i", interval, "-W", "2", "-s",
                             size, A4, ns=PEER), capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, "ping failed: %s %s" % (r.stdout, r.stderr)


def frames(path):
    r = sh("tshark", "-r", path, "-T", "fields", "-e", "frame.protocols")
    return r.stdout.split()


def fake_wireshark(work):
    """A `wireshark` that copies the file it is given and says how it was called."""
    d = work.path("fakebin")
    os.makedirs(d)
    path = os.path.join(d, "wireshark")
    with open(path, "w") as f:
        f.write('#!/bin/sh\necho "$@" > %s/wireshark.args\ncp "$2" %s/wireshark.pcapng\n'
                % (work.path(), work.path()))
    os.chmod(path, 0o755)
    return d


class Viewer:
    def __init__(self, st, kdir, key, path_dirs):
        self.st = st
        run = st.work.path("run-" + key)
        os.makedirs(run, mode=0o700)
        env = dict(os.environ, G_MESSAGES_DEBUG="netvigil-viewer", GTK_A11Y="none",
                   NO_AT_BRIDGE="1", XDG_CONFIG_HOME=st.work.path("config"),
                   XDG_RUNTIME_DIR=run,
                   PATH=os.pathsep.join(path_dirs + ["/usr/sbin", "/usr/bin", "/sbin", "/bin"]))
        self.run_dir = run
        self.log_path = st.work.path("viewer-%s.log" % key)
        self.proc = st.work.spawn([prog("netvigil-viewer"), "--app-id", g.APP_ID, "--collector",
                                   COL_ADDR, "--key", os.path.join(kdir, key + ".key_secret"),
                                   "--collector-key", os.path.join(kdir, "collector.key"),
                                   "--ring-size", "10000"], log=os.path.basename(self.log_path),
                                  merge=True, env=env)
        wait_for(lambda: self.alive() and ": connected" in self.log(), 20,
                 "the viewer to connect")

    def alive(self):
        assert self.proc.poll() is None, "viewer exited: see " + self.log_path
        return True

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def wait_log(self, pattern, timeout, what):
        wait_for(lambda: self.alive() and re.search(pattern, self.log()), timeout, what)
        return re.findall(pattern, self.log())[-1]

    def save_pcap(self, sensor, from_ns, to_ns, bpf, path):
        g.action("save-pcap", "<(%s, int64 %d, int64 %d, %s, %s)>" % (
            g.s(sensor)[1:-1], from_ns, to_ns, g.s(bpf)[1:-1], g.s(path)[1:-1]))

    def enabled(self, name):
        r = sh("gdbus", "call", "--session", "--dest", g.APP_ID, "--object-path", g.OBJ,
               "--method", "org.gtk.Actions.Describe", name)
        return r.stdout.startswith("((true,")

    def quit(self):
        g.action("quit")
        assert self.proc.wait(timeout=10) == 0, "viewer exit status"


def test_admin(st, v, t0, t1):
    out = st.work.path("ping.pcapng")
    v.save_pcap(NAME, t0, t1, "icmp", out)
    line = v.wait_log(r"pcap: (Saved .*|No packets saved.*)", 20, "the extraction's result")
    assert line.startswith("Saved"), line
    assert os.path.exists(out) and not os.path.exists(out + ".part"), line
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600, oct(os.stat(out).st_mode)
    got = frames(out)
    assert len(got) == 2 * PINGS and all("icmp" in p for p in got), got
    assert ("Saved %d frames" % (2 * PINGS)) in line, line
    ci = sh("capinfos", out).stdout
    assert ("sensor %s" % NAME) in ci and "vp0" in ci, ci
    log("save-pcap: %s; tshark: %d ICMP frames; capinfos names sensor %s" % (line, len(got),
                                                                               NAME))


def test_over_cap(st, v, t0):

    big = st.work.path("big.pcapng")
    v.save_pcap(NAME, t0 - 10**9, time.time_ns(), "", big)
    line = v.wait_log(r"pcap: (No packets saved.*|Saved .*big.*)", 20, "the refusal")
    assert "too large" in line and str(CAP) in line, line
    assert not os.path.exists(big) and not os.path.exists(big + ".part")
    log("over the cap: %s" % line)


def shown_icmp_rows(st):
    path = st.work.path("shown.csv")
    if os.path.exists(path):
        os.unlink(path)
    g.action("export", g.s(path))
    return [r for r in g.read_rows(path) if g.fields(r)[1] == NAME and g.fields(r)[2] == "ICMP"]


def test_page(st, v):
    g.action("apply-filter", g.s("proto=icmp"))
    rows = shown_icmp_rows(st)
    assert len(rows) >= 2 * PINGS, "the list shows %d ICMP rows" % len(rows)
    assert v.enabled("open-wireshark"), "open-wireshark disabled with wireshark in PATH"
    g.action("open-wireshark")
    v.wait_log(r"pcap: wireshark -r .*", 20, "wireshark started")
    wait_for(lambda: os.path.exists(st.work.path("wireshark.pcapng")), 10, "wireshark's copy")
    args = open(st.work.path("wireshark.args")).read().split()
    assert args[0] == "-r" and args[1].startswith(v.run_dir), args
    got = frames(st.work.path("wireshark.pcapng"))
    assert len(got) == len(rows), "%d frames for %d rows shown" % (len(got), len(rows))
    wait_for(lambda: not os.path.exists(args[1]) and not os.listdir(v.run_dir), 10,
             "the temporary file removed after wireshark exited")
    log("open-wireshark: wireshark %s; %d frames = the %d ICMP rows shown; temporary file gone"
        % (" ".join(args), len(got), len(rows)))
    screenshot_menu(st, v, len(rows))


def screenshot_menu(st, v, rows):
    """The Packets page with the pcap menu open (a click on the button at the filter bar's
    end), then its tooltip."""
    g.action("show-page", g.s("packets"))
    wid = sh("xdotool", "search", "--onlyvisible", "--name", "netvigil").stdout.split()
    if not wid:
        log("no window found for the menu screenshot")
        return
    geo = dict(re.findall(r"(\w+)=(\d+)", sh("xdotool", "getwindowgeometry", "--shell",
                                             wid[0]).stdout))
    # the button is the filter bar's last child: 24 px in from the right edge, under the
    # header bar (~47 px) in the middle of the bar (~20 px)
    x, y = int(geo["X"]) + int(geo["WIDTH"]) - 26, int(geo["Y"]) + 47 + 20
    sh("xdotool", "mousemove", x, y, "click", "1")
    time.sleep(0.8)
    st.screenshot("viewer-pcap-menu.png")
    sh("xdotool", "key", "Escape")
    # the tooltip (asked for on hover, logged): the rows' span, the BPF, what does not map
    time.sleep(0.5)
    sh("xdotool", "mousemove", x - 300, y + 300)
    for dx in (60, 30, 10, 0):
        time.sleep(0.1)
        sh("xdotool", "mousemove", x - dx, y)
    tip = v.wait_log(r"pcap button tooltip: (.*\n.*\n.*)", 10, "the tooltip")
    assert ("the %d rows shown" % rows) in tip and "sensor %s" % NAME in tip, tip
    assert "BPF filter: (icmp) or (vlan and (icmp))" in tip and "MPLS" in tip, tip
    log("tooltip: " + " | ".join(tip.splitlines()))


def test_viewer_key(st, v):
    assert not v.enabled("open-wireshark"), "open-wireshark enabled without wireshark"
    out = st.work.path("denied.pcapng")
    v.save_pcap(NAME, time.time_ns() - 5 * 10**9, time.time_ns(), "", out)
    line = v.wait_log(r"pcap: (Not allowed.*|Saved .*|No packets saved.*)", 20, "the refusal")
    assert line.startswith("Not allowed") and "not allowed" in line[1:], line
    assert not os.path.exists(out) and not os.path.exists(out + ".part")
    log("viewer key: %s; no file left; open-wireshark disabled" % line)


def body(st):
    if os.geteuid() != 0:
        raise nvgtest.Skip("needs root (network namespaces, capture)")
    for tool in ("ip", "tshark", "capinfos", "ping"):
        if not shutil.which(tool):
            raise nvgtest.Skip("needs %s" % tool)
    try:
        make_net()
    except (subprocess.CalledProcessError, FileNotFoundError) as e:
        delete_net()
        raise nvgtest.Skip("cannot create the network namespaces: %s" % e)
    try:
        run(st)
        st.work.stop_all()
    finally:
        st.work.kill_all()
        delete_net()


def run(st):
    kdir = keys(st.work)
    out = st.work.path("collector-out")
    os.makedirs(out)
    col = st.work.spawn(in_ns(prog("netvigil-collector"), "--bind", COL_ADDR, "-o", out, "--keys",
                              kdir, "--pcap-max", CAP), log="collector.log")
    st.work.spawn(in_ns(prog("netvigil-sensor"), "-i", "vp0", "-n", NAME, "-c",
                        "tcp://%s:7700" % COL_ADDR, "--key",
                        os.path.join(kdir, NAME + ".key_secret"), "--collector-key",
                        os.path.join(kdir, "collector.key"), "--pcap-ring", "1M", "--batch-ms",
                        20), log="sensor.log")
    ctl_dir = os.path.dirname(prog("netvigil-ctl"))
    v = Viewer(st, kdir, "a1", [fake_wireshark(st.work), ctl_dir])
    assert col.poll() is None
    wait_for(lambda: v.alive() and re.search(r"\b%s\b" % NAME, sh(
        prog("netvigil-ctl"), "--collector", COL_ADDR, "--key", os.path.join(kdir, "a1.key_secret"),
        "--collector-key", os.path.join(kdir, "collector.key"), "status", check=False).stdout),
        20, "the sensor at the collector")
    t0 = time.time_ns()
    ping(56, PINGS)
    t1 = time.time_ns()
    time.sleep(0.5)  # the records reach the list (batches every 20 ms, the drain every 50 ms)
    log("traffic: %d ICMP frames in %.2f s" % (2 * PINGS, (t1 - t0) / 1e9))
    test_admin(st, v, t0, t1)
    test_page(st, v)
    ping(1000, 24, "0.02")  # 48 frames of 1042 bytes: more than the cap
    time.sleep(0.3)
    test_over_cap(st, v, t0)
    v.quit()
    v = Viewer(st, kdir, "v1", [ctl_dir])
    test_viewer_key(st, v)
    v.quit()


def main():
    return g.run_gui_test("nvg-viewer-pcap-", body, PROGRAMS)


if __name__ == "__main__":
    sys.exit(main())
