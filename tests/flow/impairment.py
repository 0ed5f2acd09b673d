#!/usr/bin/python3
"""flow-impairment: a real lossy TCP transfer, the live sensor's flow records against tshark.

Two network namespaces of our own over a veth pair; in each, an nftables input-hook rule drops
2 % of the TCP segments of port 8080 at random (this kernel has no netem; a drop on the output
hook would be invisible on the wire). A Python http.server in one serves 4 MB three times to
a client in the other. In the client namespace `tcpdump -w` and `netvigil-sensor -i IFACE
--flows FILE` capture the same interface at the same time. Asserts: retransmissions > 0, the
two captures hold the same packets (else it says by how many they differ), per TCP stream the
live records' packets and bytes equal tshark's on the tcpdump file, and the sensor reading
that file agrees with tshark on everything (analysis counts, RTT). The live records' analysis
counts are compared and printed too, but packet sockets stamp received frames each on their
own, so those may differ by the few segments near Wireshark's time thresholds.
Needs root, ip, nft, tcpdump, tshark: exit 77 otherwise."""
import argparse
import csv
import os
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import flow_oracle  # noqa: E402

PID = os.getpid()
C, S = f"nvg-fc-{PID}", f"nvg-fs-{PID}"
CI, SI = "vc", "vs"
CA, SA = "198.18.232.1", "198.18.232.2"
SIZE = 4 << 20


def sh(*cmd, ns=None, check=True, **kw):
    full = (["ip", "netns", "exec", ns] if ns else []) + list(cmd)
    return subprocess.run(full, check=check, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, timeout=60, **kw)


def bg(*cmd, ns, out):
    return subprocess.Popen(["ip", "netns", "exec", ns] + list(cmd), stdout=out,
                            stderr=subprocess.STDOUT, start_new_session=True)


def setup(work):
    sh("ip", "netns", "add", C)
    sh("ip", "netns", "add", S)
    sh("ip", "link", "add", CI, "netns", C, "type", "veth", "peer", SI, "netns", S)
    for ns, ifc, addr in ((C, CI, CA), (S, SI, SA)):
        sh("ip", "addr", "add", addr + "/30", "dev", ifc, ns=ns)
        sh("ip", "link", "set", ifc, "up", ns=ns)
        sh("ip", "link", "set", "lo", "up", ns=ns)
        if shutil.which("ethtool"):  # segments on the wire as the stacks send them
            sh("ethtool", "-K", ifc, "tso", "off", "gso", "off", "gro", "off", ns=ns, check=False)
        rules = ("add table inet nvgloss\n"
                 "add chain inet nvgloss input { type filter hook input priority 0; }\n"
                 "add rule inet nvgloss input tcp sport 8080 numgen random mod 100 < 2 drop\n"
                 "add rule inet nvgloss input tcp dport 8080 numgen random mod 100 < 2 drop\n")
        sh("nft", "-f", "-", ns=ns, input=rules)
    with open(os.path.join(work, "blob"), "wb") as f:
        f.write(os.urandom(SIZE))


def cleanup():
    for ns in (C, S):
        subprocess.run(["ip", "netns", "del", ns], stderr=subprocess.DEVNULL)


def stop(p):
    if p and p.poll() is None:
        os.killpg(p.pid, signal.SIGTERM)
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()


def transfer(work, sensor):
    logs = {n: open(os.path.join(work, n + ".log"), "w") for n in ("server", "tcpdump", "sensor")}
    pcap, flows = os.path.join(work, "client.pcap"), os.path.join(work, "live.flows.csv")
    procs = []
    try:
        procs.append(bg("python3", "-m", "http.server", "8080", "--bind", SA, "--directory", work,
                        ns=S, out=logs["server"]))
        procs.append(bg("tcpdump", "-i", CI, "-U", "-n", "-B", "65536", "--time-stamp-precision", "nano", "-w", pcap, "tcp port 8080",
                        ns=C, out=logs["tcpdump"]))
        extra = ["--csv", os.path.join(work, "live.csv")] if os.environ.get("NVG_FLOW_DEBUG") else []
        procs.append(bg(sensor, "-i", CI, "--flows", flows, "-n", "impair", "--user", "root", *extra,
                        "--seccomp", "off", "tcp port 8080", ns=C, out=logs["sensor"]))
        time.sleep(2.0)
        for i in range(3):
            sh("python3", "-c", f"import urllib.request as u; d=u.urlopen('http://{SA}:8080/blob',"
               f" timeout=30).read(); assert len(d) == {SIZE}", ns=C)
        time.sleep(1.5)
    finally:
        for p in reversed(procs):
            stop(p)
        for f in logs.values():
            f.close()
    return pcap, flows, open(os.path.join(work, "sensor.log")).read()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sensor", required=True)
    ap.add_argument("--workdir", required=True)
    a = ap.parse_args()
    if os.geteuid() != 0:
        print("SKIP: needs root for network namespaces")
        return 77
    for tool in ("ip", "nft", "tcpdump", "tshark"):
        if not shutil.which(tool):
            print(f"SKIP: {tool} is not installed")
            return 77
    os.makedirs(a.workdir, exist_ok=True)
    try:
        setup(a.workdir)
        pcap, flows, log = transfer(a.workdir, os.path.abspath(a.sensor))
    finally:
        cleanup()
    print(log.strip())
    mine = [r for r in csv.DictReader(open(flows, newline="")) if r["end"] != "active"]
    ours_packets = sum(int(r["orig_packets"]) + int(r["resp_packets"]) for r in mine)
    theirs = flow_oracle.run(["tshark", "-n", "-r", pcap, "-T", "fields", "-e", "frame.number"])
    tcpdump_packets = len(theirs.stdout.split())
    retrans = sum(int(r["orig_retrans"]) + int(r["resp_retrans"]) for r in mine)
    print(f"{len(mine)} conversations, {ours_packets} packets (tcpdump: {tcpdump_packets}), "
          f"{retrans} retransmissions")
    if ours_packets != tcpdump_packets:
        print(f"FAIL: the sensor and tcpdump saw {abs(ours_packets - tcpdump_packets)} packets "
              "apart (kernel drops on one of the two sockets? see the sensor's statistics)")
        return 1
    if retrans == 0:
        print("FAIL: no retransmission over a link dropping 2 % each way")
        return 1
    # Live against tcpdump's file: the same packets, but each packet socket stamps a received
    # frame itself (a few µs apart, two close frames may even swap), and Wireshark's
    # out-of-order test weighs gaps against an RTT of ~50 µs here: the analysis counts of
    # the live records may differ for that reason alone, packets and bytes may not.
    live = flow_oracle.Report("live")
    flow_oracle.compare_tcp(live, pcap, mine)
    exact = ("packets", "bytes", "conversations")
    hard = [x for x in live.bad if any(f" {k}:" in x for k in exact)]
    for line in live.bad:
        print("DISAGREE" if line in hard else "live timestamps", line)
    # The same analysis on the same packets with the same times: exact.
    off = flow_oracle.one_file(os.path.abspath(a.sensor), pcap, a.workdir, "offline")
    for line in off.bad:
        print("DISAGREE (offline)", line)
    print(f"flow-impairment: live {live.checked} checks, {len(hard)} disagreements on packets or "
          f"bytes, {len(live.bad) - len(hard)} analysis counts off by live timestamps; the "
          f"sensor on tcpdump's file: {off.checked} checks, {len(off.bad)} disagreements")
    return 1 if hard or off.bad else 0


if __name__ == "__main__":
    sys.exit(main())
