#!/usr/bin/python3
"""flow-live-timeout: conversations of a live capture time out on the wall clock.

A live sensor whose link goes quiet sees no packet times move on; after a quiet second it moves
the flow table's clock by the wall clock (sensor/pipeline.c flow_tick). Two network namespaces
of our own over a veth pair; `netvigil-sensor -i IFACE --flows FILE --flow-idle-timeout 2`
captures UDP port 9999 on one end. Three datagrams of one conversation, 4 s of silence, then
three of another, then the sensor is stopped. Asserts: the first conversation ended "idle"
(exported by the quiet-link timeout, before the capture stopped) with its 3 packets, the second
"stopped". Needs root and ip: exit 77 otherwise."""
import argparse
import csv
import os
import shutil
import signal
import subprocess
import sys
import time

PID = os.getpid()
A, B = f"nvg-ta-{PID}", f"nvg-tb-{PID}"
AA, BA = "198.18.233.1", "198.18.233.2"


def sh(*cmd, ns=None, **kw):
    full = (["ip", "netns", "exec", ns] if ns else []) + list(cmd)
    return subprocess.run(full, check=True, timeout=30, **kw)


def send(sport, n):
    sh("python3", "-c", "import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); "
       f"s.bind(('{BA}', {sport}));\nfor i in range({n}): s.sendto(b'x' * 20, ('{AA}', 9999))",
       ns=B)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sensor", required=True)
    ap.add_argument("--workdir", required=True)
    a = ap.parse_args()
    if os.geteuid() != 0 or not shutil.which("ip"):
        print("SKIP: needs root and ip for network namespaces")
        return 77
    os.makedirs(a.workdir, exist_ok=True)
    flows = os.path.join(a.workdir, "live.flows.csv")
    log = open(os.path.join(a.workdir, "sensor.log"), "w")
    p = None
    try:
        sh("ip", "netns", "add", A)
        sh("ip", "netns", "add", B)
        sh("ip", "link", "add", "va", "netns", A, "type", "veth", "peer", "vb", "netns", B)
        for ns, ifc, addr in ((A, "va", AA), (B, "vb", BA)):
            sh("ip", "addr", "add", addr + "/30", "dev", ifc, ns=ns)
            sh("ip", "link", "set", ifc, "up", ns=ns)
        p = subprocess.Popen(["ip", "netns", "exec", A, a.sensor, "-i", "va", "--flows", flows,
                              "--flow-idle-timeout", "2", "-n", "quiet", "--user", "root",
                              "--seccomp", "off", "udp port 9999"], stdout=log,
                             stderr=subprocess.STDOUT, start_new_session=True)
        time.sleep(1.5)
        send(40001, 3)
        time.sleep(4.0)
        send(40002, 3)
        time.sleep(0.5)
    finally:
        if p:
            os.killpg(p.pid, signal.SIGTERM)
            p.wait(10)
        log.close()
        for ns in (A, B):
            subprocess.run(["ip", "netns", "del", ns], stderr=subprocess.DEVNULL)
    print(open(os.path.join(a.workdir, "sensor.log")).read().strip())
    rows = {int(r["orig_port"]): r for r in csv.DictReader(open(flows, newline=""))}
    assert set(rows) == {40001, 40002}, rows
    first, second = rows[40001], rows[40002]
    assert first["end"] == "idle", first
    assert first["orig_packets"] == "3" and first["resp_packets"] == "0", first
    assert second["end"] == "stopped" and second["orig_packets"] == "3", second
    print("the quiet link's conversation ended idle (3 packets), the later one stopped with the "
          "capture")
    return 0


if __name__ == "__main__":
    sys.exit(main())
