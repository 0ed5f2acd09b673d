#!/usr/bin/env python3
"""The collector's Prometheus endpoint (--metrics-listen, issue 13).

Usage: test_metrics.py --bin-dir DIR [--bin-dir DIR...] TEST

  prometheus  a REAL Prometheus (the Debian package's binary, started here with a temporary
              config and data dir on 127.0.0.1, scraping every second) scrapes the collector
              while a real netvigil-sensor sends a generated capture of a known size and a fake
              sensor sends a stream with known gaps and drop counters; PromQL through
              Prometheus's /api/v1/query must return exactly those records and drops
  promtool    `promtool check metrics` on a live scrape: no error, no lint complaint
  hostile     hundreds of connections from several addresses, slow readers that never read,
              a 1 MiB request: the collector's memory and descriptors stay within a bound,
              records keep flowing into it, and a normal scrape works at once afterwards
  http        404 for another path, 405 for another method, HEAD, the content type, IPv6
              [::1], and the non-loopback refusal without --insecure

prometheus and promtool skip (77) where the prometheus package is not installed.
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import nvgtest  # noqa: E402
from nvgtest import Skip, free_ports, prog, wait_for  # noqa: E402

PROGRAMS = ("netvigil-collector", "netvigil-ctl", "netvigil-sensor", "nvg-fake-sensor",
            "nvg-gen-pcap")
W = None


def log(*a):
    print("[metrics %s]" % time.strftime("%H:%M:%S"), *a, flush=True)


def collector(extra=()):
    port = free_ports(1)[0]
    col = nvgtest.Collector(W, extra=["--metrics-listen", "127.0.0.1:%d" % port] + list(extra))
    col.metrics_url = "http://127.0.0.1:%d/metrics" % port
    col.metrics_port = port
    return col.start()


def http(url, method="GET", timeout=5, data=None):
    """(status, headers, body) of one request."""
    req = urllib.request.Request(url, method=method, data=data)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def scrape(col):
    code, headers, body = http(col.metrics_url)
    assert code == 200, (code, body[:200])
    return body.decode()


def samples(text):
    """{'name{labels}': value} of an exposition."""
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.rpartition(" ")
            out[key] = float(value)
    return out


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def fds(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def wait_ok(p, timeout, what):
    try:
        rc = p.wait(timeout)
    except subprocess.TimeoutExpired:
        raise AssertionError("%s did not finish within %d s" % (what, timeout))
    assert rc == 0, "%s exit status %d" % (what, rc)


def sanitized():
    """Whether the collector is an AddressSanitizer build: its quarantine keeps freed memory
    (every answer's copy), so its RSS says nothing about what the collector holds."""
    with open(prog("netvigil-collector"), "rb") as f:
        return b"__asan_init" in f.read()


def need_prometheus():
    for tool in ("prometheus", "promtool"):
        if not shutil.which(tool):
            raise Skip("no %s (Debian package prometheus)" % tool)


# ---- a real Prometheus ----------------------------------------------------------------------

class Prometheus:
    def __init__(self, target):
        self.port = free_ports(1)[0]
        self.url = "http://127.0.0.1:%d" % self.port
        cfg = W.path("prometheus.yml")
        with open(cfg, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 900ms\n"
                    "scrape_configs:\n  - job_name: netvigil\n    static_configs:\n"
                    "      - targets: ['%s']\n" % target)
        data = W.path("prometheus-data")
        os.makedirs(data)
        self.proc = W.spawn(["prometheus", "--config.file=" + cfg, "--storage.tsdb.path=" + data,
                             "--web.listen-address=127.0.0.1:%d" % self.port,
                             "--log.level=warn"], log="prometheus.log", merge=True)
        wait_for(lambda: self.proc.poll() is not None or self.ready(), 60,
                 "Prometheus to be ready")
        assert self.proc.poll() is None, "prometheus exited (see prometheus.log)"

    def ready(self):
        try:
            return http(self.url + "/-/ready", timeout=1)[0] == 200
        except OSError:
            return False

    def query(self, promql):
        """The instant vector of promql now: {labels-json: value}."""
        code, _, body = http(self.url + "/api/v1/query?" + urllib.parse.urlencode(
            {"query": promql}))
        assert code == 200, (code, body)
        r = json.loads(body)
        assert r["status"] == "success", r
        return {json.dumps(v["metric"], sort_keys=True): float(v["value"][1])
                for v in r["data"]["result"]}

    def value(self, promql):
        v = self.query(promql)
        return next(iter(v.values())) if len(v) == 1 else None

    def stop(self):
        self.proc.terminate()
        self.proc.wait(20)


def test_prometheus():
    need_prometheus()
    col = collector()
    prom = Prometheus("127.0.0.1:%d" % col.metrics_port)
    wait_for(lambda: prom.value('up{job="netvigil"}') == 1, 30, "Prometheus to scrape the target")
    n = 20000
    pcap = W.path("known.pcap")
    subprocess.run([prog("nvg-gen-pcap"), "-o", pcap, "-n", str(n), "--seed", "13"], check=True,
                   timeout=120, stdout=subprocess.DEVNULL)
    wait_ok(col.start_sensor("real", "-r", pcap), 300, "netvigil-sensor -r")
    # Known losses: 20 batches of 512, batches 3 and 7 never sent, drop counters in the status.
    col.run_fake("--name", "lossy", "--records", "10240", "--batch", "512", "--skip-seq", "3",
                 "--skip-seq", "7", "--status", "--kernel-drops", "17", "--sensor-drops", "5",
                 "--eos")
    st = col.status()
    rows = col.sensor("real", st)["records_received"]
    assert rows == n, "status says %d records, not %d" % (rows, n)
    want = {
        'netvigil_records_total{sensor="real"}': n,
        'netvigil_records_total{sensor="lossy"}': 10240 - 2 * 512,
        'netvigil_link_lost_batches_total{sensor="lossy"}': 2,
        'netvigil_kernel_drops_total{sensor="lossy"}': 17,
        'netvigil_sensor_drops_total{sensor="lossy"}': 5,
        'netvigil_collector_drops_total{sensor="lossy"}': 0,
        'sum(netvigil_link_lost_batches_total{sensor="real"})'
        ' + sum(netvigil_kernel_drops_total{sensor="real"})'
        ' + sum(netvigil_sensor_drops_total{sensor="real"})'
        ' + sum(netvigil_collector_drops_total{sensor="real"})': 0,
        'netvigil_csv_rows_total{log="packets"}': n + 10240 - 1024,
        'netvigil_csv_write_failures_total{log="packets"}': 0,
        'sum(netvigil_rejected_messages_total)': 0,
    }
    got = {}

    def all_equal():
        got.clear()
        got.update({q: prom.value(q) for q in want})
        return got == want
    wait_for(all_equal, 30, "PromQL to return the exact counts")
    for q, v in want.items():
        log("PromQL %s = %g" % (q, got[q]))
    state = prom.query('netvigil_sensor_state{sensor="lossy"} == 1')
    assert list(json.loads(k)["state"] for k in state) == ["finished"], state
    up = prom.value('up{job="netvigil"}')
    assert up == 1, up
    prom.stop()
    col.stop()


# ---- promtool -------------------------------------------------------------------------------

def test_promtool():
    need_prometheus()
    col = collector(["--retain-size", "64M", "--retain-time", "2d", "--min-free", "1%"])
    col.run_fake("--name", "a", "--records", "3000", "--skip-seq", "2", "--status", "--eos",
                 "--batch", "500")
    col.run_fake("--name", "b.2", "--records", "100", "--syn-flood", "--eos")
    wait_for(lambda: 'sensor="b.2"' in scrape(col), 5, "both sensors in the metrics")
    text = scrape(col)
    r = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True,
                       text=True, timeout=30)
    log("promtool check metrics: rc %d, %d bytes, %d samples; %s" % (
        r.returncode, len(text), len(samples(text)), (r.stdout + r.stderr).strip() or "clean"))
    assert r.returncode == 0 and not (r.stdout + r.stderr).strip(), r.stdout + r.stderr
    s = samples(text)
    assert s['netvigil_records_total{sensor="a"}'] == 2500, s
    assert s['netvigil_link_lost_batches_total{sensor="a"}'] == 1, s
    for name in ("netvigil_feed_subscribers", "netvigil_output_free_bytes",
                 'netvigil_csv_written_bytes_total{log="packets"}',
                 'netvigil_alerts_total{detector="synflood",severity="high"}'):
        assert name in s, name
    assert s['netvigil_csv_written_bytes_total{log="packets"}'] > 0, s
    # the retention limits in force and the floor, as status reports them
    assert s["netvigil_retain_size_bytes"] == 64 << 20, s
    assert s["netvigil_retain_time_seconds"] == 2 * 86400, s
    assert s["netvigil_min_free_bytes"] > 0 and s["netvigil_below_min_free"] == 0, s
    assert s["netvigil_output_files"] >= 1 and s["netvigil_retention_deleted_files_total"] == 0, s
    col.stop()


# ---- hostile scrapers -----------------------------------------------------------------------

def hold_connections(sources, per_source, port):
    """Connections that send half a request and then nothing."""
    socks = []
    for src in sources:
        for _ in range(per_source):
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.settimeout(0.3)
            try:
                s.bind((src, 0))
                s.connect(("127.0.0.1", port))
                s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
            except OSError:
                pass
            socks.append(s)
    return socks


def slow_readers(n, port):
    """Whole requests whose answers are never read (receive buffers of 4 KiB)."""
    socks = []
    for i in range(n):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.settimeout(0.3)
        try:
            s.bind(("127.0.0.%d" % (10 + i % 4), 0))
            s.connect(("127.0.0.1", port))
            s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        except OSError:
            pass
        socks.append(s)
    return socks


def huge_request(port):
    """A request with 1 MiB of headers: refused, and what the collector answered."""
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (1 << 20) + b"\r\n\r\n")
    except OSError:
        pass  # closed under us: refused
    try:
        answer = s.recv(200)
    except OSError:
        answer = b""
    s.close()
    return answer


def records(col):
    return col.sensor("stream", col.status())["records_received"]


def test_hostile():
    col = collector()
    pid = col.proc.pid
    # 300 sensors make the text large (an answer copy is what a slow reader pins).
    col.run_fake("--name", "s", "--parallel", "300", "--records", "50", "--eos", timeout=120)
    text = wait_for(lambda: (lambda t: samples(t)["netvigil_sensors"] >= 300 and t)(scrape(col)),
                    5, "the 300 sensors in the metrics")
    log("exposition: %d bytes with 300 sensors" % len(text))
    stream = col.start_fake("--name", "stream", "--records", "100000000", "--rate", "20000",
                            "--batch", "200", "--quiet", log="stream.log")
    wait_for(lambda: col.find_sensor("stream") and records(col) > 0, 10, "the stream to flow")
    time.sleep(1)
    rss0, fds0 = rss_kib(pid), fds(pid)
    r0, t0 = records(col), time.time()
    held = hold_connections(["127.0.0.%d" % i for i in range(2, 6)], 25, col.metrics_port)
    slow = slow_readers(60, col.metrics_port)
    peak_fds = fds(pid)
    answer = huge_request(col.metrics_port)
    log("1 MiB request answered: %r" % answer[:40])
    assert answer == b"" or answer.startswith(b"HTTP/1.1 4"), answer[:200]
    peak_rss = 0
    flow = []
    for _ in range(6):  # 6 s of the attack, while the held connections are still open
        time.sleep(1)
        peak_rss, peak_fds = max(peak_rss, rss_kib(pid)), max(peak_fds, fds(pid))
        t = time.time()
        flow.append(records(col))
        assert time.time() - t < 2, "status took %.1f s under the attack" % (time.time() - t)
        slow += slow_readers(10, col.metrics_port)  # keep coming
    dt = time.time() - t0
    rate = (flow[-1] - r0) / dt
    log("under attack: RSS %d -> %d KiB peak (+%d), descriptors %d -> %d peak, records %d -> %d "
        "(%.0f/s, sent at 20000/s)" % (rss0, peak_rss, peak_rss - rss0, fds0, peak_fds, r0,
                                       flow[-1], rate))
    assert all(b > a for a, b in zip(flow, flow[1:])), "records stalled: %r" % flow
    assert rate > 10000, "records flowed at %.0f/s under the attack" % rate
    if sanitized():
        log("RSS not checked under ASan (its quarantine keeps every freed answer copy)")
    else:
        assert peak_rss - rss0 < 24 * 1024, "RSS grew by %d KiB" % (peak_rss - rss0)
    limit = 16 + 8  # the connection limit, plus what the kernel queued before accept
    assert peak_fds - fds0 <= limit, "descriptors grew by %d" % (peak_fds - fds0)
    for s in held + slow:
        s.close()
    t = time.time()
    wait_for(lambda: http(col.metrics_url, timeout=2)[0] == 200, 15,
             "a normal scrape after the attack")
    log("normal scrape answered %.2f s after the attack ended" % (time.time() - t))
    report = nvgtest.sanitizer_report(col.log_text())
    assert not report, "sanitizer report in collector.log at %d" % report.start()
    s = samples(scrape(col))
    log("metrics refused: %r" % {k: v for k, v in s.items() if "metrics_" in k})
    stream.terminate()
    stream.wait(10)
    col.stop()


# ---- HTTP ----------------------------------------------------------------------------------

def test_http():
    col = collector()
    code, headers, body = http(col.metrics_url)
    assert code == 200 and headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8", \
        (code, dict(headers))
    assert body.startswith(b"# HELP "), body[:100]
    base = col.metrics_url[:-len("/metrics")]
    for path in ("/", "/metricsx", "/metrics/", "/api"):
        assert http(base + path)[0] == 404, path
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        code, headers, _ = http(col.metrics_url, method=method, data=b"x=1")
        assert code == 405 and "GET" in headers.get("Allow", ""), (method, code, dict(headers))
    code, headers, body = http(col.metrics_url, method="HEAD")
    assert code == 200 and body == b"", (code, body[:50])
    # The text is rendered once a second: the counts show within about that.
    wait_for(lambda: (lambda s: s['netvigil_metrics_refused_total{reason="not_found"}'] == 4 and
                      s['netvigil_metrics_refused_total{reason="method"}'] == 4)(
                          samples(scrape(col))), 3, "the refusals counted")
    col.stop()

    port = free_ports(1)[0]
    v6 = nvgtest.Collector(W, extra=["--metrics-listen", "[::1]:%d" % port], log="v6.log")
    try:
        v6.start()
    except AssertionError:
        if not socket.has_ipv6 or "Cannot assign" in v6.log_text():
            raise Skip("no IPv6 loopback")
        raise
    code, _, body = http("http://[::1]:%d/metrics" % port)
    assert code == 200 and b"netvigil_build_info" in body, code
    v6.stop()

    for addr in ("0.0.0.0:%d" % port, "[::]:%d" % port):
        r = subprocess.run([prog("netvigil-collector"), "-o", W.path("x"), "--metrics-listen",
                            addr], capture_output=True, text=True, timeout=10)
        assert r.returncode == 2 and "--insecure" in r.stderr, (addr, r.returncode, r.stderr)
    for bad in ("9464", "localhost", "1.2.3.4:0", "[::1]", "host.example:9464", "1.2.3.4:99999"):
        r = subprocess.run([prog("netvigil-collector"), "--metrics-listen", bad],
                           capture_output=True, text=True, timeout=10)
        assert r.returncode == 2 and "invalid value" in r.stderr, (bad, r.stderr)
    ins = nvgtest.Collector(W, extra=["--metrics-listen", "0.0.0.0:%d" % port, "--insecure"],
                            log="insecure.log").start()
    assert http("http://127.0.0.1:%d/metrics" % port)[0] == 200
    assert "WARNING: --insecure" in ins.log_text()
    ins.stop()


def run(args, work):
    global W
    W = work
    args.fn()


if __name__ == "__main__":
    sys.exit(nvgtest.main(run, "nvg-metrics-", PROGRAMS, tests=globals()))
