#!/usr/bin/env python3
"""Conversation records through a real collector (issue 12): nvg-fake-sensor --flows into
netvigil-collector, read back from flows-*.csv, the feed topic "flow" (netvigil-ctl flows) and
COMMAND_HOSTS (netvigil-ctl hosts).

  - every flow sent is one row of flows-*.csv (RFC 4180, the header NVG_FLOW_CSV_HEADER, every
    column parses), rotated into several files by --rotate-size;
  - hostile FlowRecords (a newer format, a 5-byte address, a 4 KiB history) are refused and
    counted (flows_refused, the end-of-stream ack), the batch's packet records still taken and
    the collector goes on;
  - a batch lost in transit (--skip-seq) loses its flows, counted at the end as flows_missing;
  - `ctl flows --json` prints the flows of the feed, filtered by --dst;
  - `ctl hosts --json` gives each responder host exactly the totals the CSV rows add up to
    (the last export of each conversation: updates counted once);
  - a `ctl flows` stopped (SIGSTOP) while 200,000 flows go by skips some, says so on stderr
    from FlowBatch.feed_offset, and printed + skipped == published exactly;
  - a collector SIGKILLed and restarted under a stream: its end-of-stream ack says
    flows_partial (flow counts are not in sensors.state) and counts no more than were sent.

Usage: test_flows.py --bin-dir DIR [--bin-dir DIR...]
"""
import collections
import json
import os
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import nvgtest  # noqa: E402

FLOW_COLUMNS = (
    "first,last,sensor,id,update,end,proto,ip_proto,orig,orig_port,resp,resp_port,vlan,"
    "orig_packets,orig_bytes,resp_packets,resp_bytes,orig_payload,resp_payload,orig_flags,"
    "resp_flags,state,history,rtt_us,rtt_server_us,rtt_client_us,orig_retrans,resp_retrans,"
    "orig_ooo,resp_ooo,orig_dup_ack,resp_dup_ack,orig_zero_window,resp_zero_window,"
    "orig_window_full,resp_window_full").split(",")
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
INTS = ["id", "update", "ip_proto", "orig_packets", "orig_bytes", "resp_packets", "resp_bytes",
        "orig_payload", "resp_payload", "orig_retrans", "resp_retrans", "orig_ooo", "resp_ooo",
        "orig_dup_ack", "resp_dup_ack", "orig_zero_window", "resp_zero_window",
        "orig_window_full", "resp_window_full"]


def log(*a):
    print(*a, flush=True)


def read_flows(out):
    files = nvgtest.log_files(out, "flows")
    rows = []
    for path in files:
        for r in nvgtest.read_csv_log(path, FLOW_COLUMNS):
            d = dict(zip(FLOW_COLUMNS, r))
            assert ISO.match(d["first"]) and ISO.match(d["last"]), d
            for k in INTS:
                int(d[k])
            for k in ("rtt_us", "rtt_server_us", "rtt_client_us"):
                if d[k]:
                    float(d[k])
            assert d["end"] in ("active", "fin", "rst", "idle", "evicted", "stopped"), d
            rows.append(d)
    return files, rows


def ack_value(out, key):
    m = re.findall(r"\b%s=(\d+)" % key, out)
    assert m, "no %s in the fake sensor's output:\n%s" % (key, out)
    return int(m[-1])


def expected_hosts(rows):
    """Per responder host: the last export of each conversation, summed."""
    last = {}
    for d in rows:
        key = (d["sensor"], d["id"])
        if key not in last or int(d["update"]) >= int(last[key]["update"]):
            last[key] = d
    hosts = collections.defaultdict(collections.Counter)
    for d in last.values():
        h = hosts[d["resp"]]
        h["bytes_in"] += int(d["orig_bytes"])
        h["bytes_out"] += int(d["resp_bytes"])
        h["conversations"] += 1
        if d["proto"] == "TCP":
            h["tcp_frames"] += int(d["resp_packets"])
            h["tcp_retransmissions"] += int(d["resp_retrans"])
    return hosts


def stalled_flows(col, work):
    out = open(work.path("stall.out"), "wb")
    t = work.spawn(col.ctl_args("flows"), log="stall.log", stdout=out)
    time.sleep(1.0)
    col.run_fake("--name", "gamma", "--records", 1000, "--batch", 10, "--flows", 100, "--eos")
    nvgtest.wait_for(lambda: os.path.getsize(work.path("stall.out")) > 0, 10, "the first flows")
    t.send_signal(signal.SIGSTOP)
    col.run_fake("--name", "gamma", "--boot-id", 99, "--records", 20000, "--batch", 10,
                 "--flows", 200000, "--eos", "--quiet", timeout=300)
    t.send_signal(signal.SIGCONT)
    sizes = []

    def caught_up():
        sizes.append(os.path.getsize(work.path("stall.out")))
        return len(sizes) > 10 and sizes[-1] == sizes[-11]
    nvgtest.wait_for(caught_up, 60, "ctl flows to drain its queue")
    # A last batch after the stall: what was dropped at the end shows as skipped before it.
    col.run_fake("--name", "gamma", "--boot-id", 100, "--records", 10, "--flows", 100, "--eos")
    sizes.clear()
    nvgtest.wait_for(caught_up, 30, "ctl flows to print the last flows")
    t.send_signal(signal.SIGTERM)
    t.wait(10)
    with open(work.path("stall.out")) as f:
        printed = sum(1 for line in f if line.strip())
    with open(work.path("stall.log")) as f:
        skipped = sum(int(n) for n in re.findall(r"skipped (\d+) conversation records of gamma",
                                                  f.read()))
    log("stalled ctl flows: %d printed + %d skipped = %d of %d published"
        % (printed, skipped, printed + skipped, 200200))
    assert skipped > 0, "nothing skipped: the feed was not bounded?"
    assert printed + skipped == 200200


def crash(work):
    col = nvgtest.Collector(work, out=work.path("crash-out"), log="crash-collector.log").start()
    fake = col.start_fake("--name", "delta", "--records", 30000, "--batch", 100, "--rate", 10000,
                          "--flows", 3000, "--eos", "--no-check", "--timeout-ms", 30000,
                          stdout=subprocess.PIPE, text=True)
    time.sleep(1.0)
    assert fake.poll() is None, "the stream ended before the kill"
    col.stop(signal.SIGKILL)
    time.sleep(0.2)
    col.start()
    out, _ = fake.communicate(timeout=120)
    log([x for x in out.splitlines() if "flows_received" in x][-1])
    assert ack_value(out, "flows_partial") == 1, out
    assert 0 < ack_value(out, "flows_received") <= ack_value(out, "flows_sent"), out
    col.stop()


def run(args, work):
    col = nvgtest.Collector(work, extra=["--rotate-size", "100K"]).start()
    feed = work.spawn(col.ctl_args("flows", "--json", "--dst", "192.168.1.0/24", "--count", "50"),
                      log="ctl-flows.log", stdout=open(work.path("ctl-flows.out"), "wb"))
    time.sleep(1.0)  # the subscription travels before the flows

    a = col.run_fake("--name", "alpha", "--records", 6000, "--batch", 500, "--flows", 1500,
                     "--bad-flows", 6, "--eos")
    log(a.stdout.strip())
    assert ack_value(a.stdout, "flows_received") == 1500, a.stdout
    assert ack_value(a.stdout, "flows_refused") == 6, a.stdout
    assert ack_value(a.stdout, "records_received") == 6000, a.stdout

    b = col.run_fake("--name", "beta", "--records", 2000, "--batch", 200, "--flows", 300,
                     "--skip-seq", 3, "--eos")
    log(b.stdout.strip())
    skipped = ack_value(b.stdout, "skipped")  # the flows of the skipped batch (last match)
    assert skipped > 0, b.stdout
    assert ack_value(b.stdout, "flows_received") == 300 - skipped, b.stdout

    st = col.status()
    sa, sb = col.sensor("alpha", st), col.sensor("beta", st)
    assert sa["flows_received"] == 1500 and sa["flows_refused"] == 6, sa
    assert sb["flows_received"] == 300 - skipped and sb["flows_missing"] == skipped, sb
    assert sa["records_received"] == 6000, sa
    assert st["flows_file"].endswith(".csv"), st
    log("status: alpha %d taken, %d refused; beta %d taken, %d missing (lost batch)"
        % (sa["flows_received"], sa["flows_refused"], sb["flows_received"], sb["flows_missing"]))

    hosts_r = col.ctl("hosts", "--json", "--count", 1000)
    assert hosts_r.returncode == 0, hosts_r.stderr
    got_hosts = {}
    for line in hosts_r.stdout.splitlines():
        h = json.loads(line)
        got_hosts[h["host"]] = h

    nvgtest.wait_for(lambda: feed.poll() is not None, 20, "ctl flows to print 50 flows")
    stalled_flows(col, work)
    col.stop()
    crash(work)
    text = col.log_text()
    assert not nvgtest.sanitizer_report(text), text

    files, rows = read_flows(col.out)
    per = collections.Counter(d["sensor"] for d in rows)
    assert per["alpha"] == 1500 and per["beta"] == 300 - skipped, per
    assert per["gamma"] == 200200, per
    assert len(files) >= 2, "no rotation: %r" % files
    log("flows-*.csv: %d rows in %d files (alpha %d, beta %d)"
        % (len(rows), len(files), per["alpha"], per["beta"]))

    with open(work.path("ctl-flows.out")) as f:
        lines = [json.loads(x) for x in f if x.strip()]
    assert len(lines) == 50, len(lines)
    assert all(x["resp"].startswith("192.168.1.") for x in lines), lines[:3]
    log("ctl flows --dst 192.168.1.0/24: %d JSON lines, all to that network" % len(lines))

    want = expected_hosts([d for d in rows if d["sensor"] in ("alpha", "beta")])  # asked then
    checked = 0
    for host in ("192.168.0.1", "192.168.1.1", "192.168.2.1", "2001:db8::ff"):
        g = got_hosts.get(host)
        assert g is not None, "%s not in ctl hosts: %r" % (host, list(got_hosts)[:10])
        for k, v in want[host].items():
            assert g[k] == v, "%s %s: ctl hosts %d, the CSV rows %d" % (host, k, g[k], v)
        checked += 1
    log("ctl hosts: %d responder hosts match the CSV's totals exactly (%d hosts listed)"
        % (checked, len(got_hosts)))


if __name__ == "__main__":
    sys.exit(nvgtest.main(run, "nvg-flows-", ["netvigil-collector", "netvigil-ctl",
                                              "nvg-fake-sensor"]))
