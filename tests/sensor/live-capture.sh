#!/usr/bin/env bash
# live-capture.sh SENSOR — live capture between two network namespaces.
#
# Namespaces nvg-a-PID and nvg-b-PID are joined by a veth pair (198.18.231.0/30 from the
# benchmarking range and fd00:6e76:6731::/64 ULA; no routes, so nothing leaves them). The
# sensor captures in A on its veth with a BPF filter while B sends known traffic to A:
#   ICMP echo x3, ICMPv6 echo x2, one TCP connection (hello / world, then FIN both ways),
#   K UDP datagrams to A:9000 over IPv4 and K6 over IPv6 (kept by the filter),
#   M UDP datagrams to A:9100 (excluded by the filter), plus the ARP and neighbour
#   discovery they cause (excluded by the filter).
# Case 1 asserts the exact records the sensor wrote (counts per protocol, addresses, ports,
# TCP flag sequence, TTL 64, lengths) and that nothing the filter excludes is there, then
# stops the sensor with SIGINT and asserts exit status 0 and the statistics on stderr.
# Case 2 (when tcpdump can capture LINUX_SLL2) reads tcpdump's unfiltered SLL2 capture of
# the same traffic with `netvigil-sensor -r F --csv -` and asserts the same flows, plus the
# ARP and the port-9100 datagrams case 1 had to leave out.
#
# Needs root and `ip netns`; otherwise it prints why and exits 77 (skipped). Everything it
# starts runs under a timeout, and the namespaces go away on every exit path.
# NVG_LIVE_KEEP=1 keeps the work directory (CSV files, captures, logs) for a look;
# NVG_LIVE_TIMEOUT (seconds, default 55) bounds the whole run.
set -uo pipefail

sensor=${1:-}
if [ -z "$sensor" ]; then
    echo "usage: $0 PATH/TO/netvigil-sensor" >&2
    exit 2
fi

skip() {
    echo "SKIP: $*"
    ok=1 # nothing worth keeping
    exit 77
}
fail() {
    echo "FAIL: $*"
    exit 1
}

[ "$(id -u)" -eq 0 ] || skip "needs root to create network namespaces"
for tool in ip python3 timeout; do
    command -v "$tool" >/dev/null || skip "$tool is not installed"
done
[ -x "$sensor" ] || fail "sensor not found or not executable: $sensor"

A=nvg-a-$$
B=nvg-b-$$
A4=198.18.231.1
B4=198.18.231.2
A6=fd00:6e76:6731::1
B6=fd00:6e76:6731::2
K=20  # UDP datagrams to A:9000 over IPv4 (captured)
K6=5  # ... over IPv6 (captured)
M=10  # UDP datagrams to A:9100 (excluded by the filter)
FILTER="(ip host $B4 or ip6 host $B6) and not udp port 9100 and not (icmp6 and ip6[40] >= 133 and ip6[40] <= 137)"

work=$(mktemp -d "${TMPDIR:-/tmp}/nvg-live.XXXXXX")
started=$(date +%s)
ok=0
cleanup() {
    local ns pid
    trap '' INT TERM # finish cleaning up even if asked to stop again
    for ns in "$A" "$B"; do
        # Everything still running inside our own namespaces was started by this script.
        for pid in $(ip netns pids "$ns" 2>/dev/null); do
            kill -KILL "$pid" 2>/dev/null
        done
        ip netns del "$ns" 2>/dev/null
    done
    [ -n "${watchdog:-}" ] && kill "$watchdog" 2>/dev/null && wait "$watchdog" 2>/dev/null
    if [ "$ok" -eq 1 ] && [ -z "${NVG_LIVE_KEEP:-}" ]; then
        rm -rf "$work"
    else
        echo "work directory kept: $work"
    fi
}
trap cleanup EXIT
trap 'echo "FAIL: interrupted, or the watchdog (NVG_LIVE_TIMEOUT) fired"; exit 1' INT TERM

# The whole test is bounded even if something below hangs despite its own timeout. The
# watchdog holds no copy of our stdout (ctest waits for every holder) and takes its sleep
# with it when it is stopped.
(
    trap 'kill "$sleeper" 2>/dev/null; exit 0' TERM
    sleep "${NVG_LIVE_TIMEOUT:-55}" &
    sleeper=$!
    wait "$sleeper" && kill -TERM $$
) >/dev/null 2>&1 &
watchdog=$!

# ---- namespaces --------------------------------------------------------------------------
if ! ip netns add "$A" 2>"$work/netns.err"; then
    skip "cannot create a network namespace: $(cat "$work/netns.err")"
fi
ip netns add "$B" || fail "ip netns add $B"
ip -n "$A" link add veth-a type veth peer name veth-b netns "$B" || fail "cannot create veth pair"
ip -n "$A" link set lo up && ip -n "$B" link set lo up || fail "lo up"
ip -n "$A" addr add "$A4/30" dev veth-a || fail "addr A4"
ip -n "$B" addr add "$B4/30" dev veth-b || fail "addr B4"
ip -n "$A" addr add "$A6/64" dev veth-a nodad || fail "addr A6"
ip -n "$B" addr add "$B6/64" dev veth-b nodad || fail "addr B6"
ip -n "$A" link set veth-a up && ip -n "$B" link set veth-b up || fail "veth up"

# wait_for SECONDS CMD...: polls CMD every 20 ms until it succeeds.
wait_for() {
    local deadline=$((SECONDS + $1))
    shift
    until "$@"; do
        [ "$SECONDS" -lt "$deadline" ] || return 1
        sleep 0.02
    done
}
link_up() { ip -n "$1" -o link show "$2" | grep -q 'state UP'; }
wait_for 5 link_up "$A" veth-a && wait_for 5 link_up "$B" veth-b || fail "veth did not come up"

# ---- the listener in A -------------------------------------------------------------------
cat >"$work/listener.py" <<'EOF'
import select, socket, sys, time
ready, k, m = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
tcp.bind(("0.0.0.0", 8080)); tcp.listen(1)
udp = {}
for fam, port in ((socket.AF_INET, 9000), (socket.AF_INET6, 9000),
                  (socket.AF_INET, 9100)):
    s = socket.socket(fam, socket.SOCK_DGRAM)
    if fam == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", port))
    udp[s] = [fam, port, 0]
open(ready, "w").write("ready\n")
conn, tcp_done, deadline = None, False, time.time() + 20
socks = [tcp] + list(udp)
while time.time() < deadline:
    r, _, _ = select.select(socks + ([conn] if conn else []), [], [], 0.2)
    for s in r:
        if s is tcp:
            conn, _ = tcp.accept()
        elif s is conn:
            data = conn.recv(100)
            if data == b"hello\n":
                conn.sendall(b"world\n")
            elif not data:
                conn.close(); conn = None; tcp_done = True
        else:
            s.recv(2000); udp[s][2] += 1
    counts = [c for _, _, c in udp.values()]
    if tcp_done and counts[0] >= k and counts[2] >= m:
        break
print("tcp_done=%d udp4_9000=%d udp6_9000=%d udp4_9100=%d" % ((tcp_done,) + tuple(counts)))
EOF
timeout 25 ip netns exec "$A" python3 "$work/listener.py" "$work/listener.ready" "$K" "$M" \
    >"$work/listener.out" 2>&1 &
listener=$!
wait_for 5 test -s "$work/listener.ready" || fail "listener did not start: $(cat "$work/listener.out")"

# ---- control capture (unfiltered, LINUX_SLL2) for case 2 ---------------------------------
sll2=0
start_tcpdump() { # IFACE
    : >"$work/tcpdump.err"
    # Immediate mode: with TPACKET_V3 blocks the last packets would still sit in an
    # unretired block when tcpdump is stopped, and never reach the file. Immediate mode uses
    # one ring slot per snaplen, so keep snaplen small and the ring large to drop nothing.
    timeout 30 ip netns exec "$A" tcpdump -Z root -U --immediate-mode -s 2048 -B 8192 -n \
        -i "$1" -y LINUX_SLL2 \
        -w "$work/sll2.pcap" >/dev/null 2>"$work/tcpdump.err" &
    tcpdump_pid=$!
    if wait_for 5 grep -q 'listening on' "$work/tcpdump.err"; then
        sll2=1
        return 0
    fi
    kill -INT "$tcpdump_pid" 2>/dev/null
    wait "$tcpdump_pid" 2>/dev/null
    return 1
}
if command -v tcpdump >/dev/null; then
    # Linux libpcap offers SLL2 on "any" (here: veth-a and lo); newer ones on any device.
    start_tcpdump veth-a || start_tcpdump any ||
        echo "note: tcpdump cannot capture LINUX_SLL2 here: $(cat "$work/tcpdump.err"); case 2 skipped"
else
    echo "note: tcpdump is not installed; case 2 (SLL2 file) skipped"
fi

# ---- the sensor in A -----------------------------------------------------------------------
ip netns exec "$A" "$sensor" -i veth-a --no-promisc -n live-a -f "$FILTER" \
    --csv "$work/live.csv" >"$work/sensor.out" 2>"$work/sensor.err" &
spid=$! # ip netns exec execs the sensor: same pid

# Ready when it waits in poll(): the filter is installed before the capture loop starts.
in_poll() {
    kill -0 "$spid" 2>/dev/null || return 0 # died: stop waiting, reported below
    local nr
    read -r nr _ <"/proc/$spid/syscall" 2>/dev/null || return 1
    case "$(uname -m):$nr" in
    x86_64:7 | x86_64:271 | x86_64:232 | x86_64:281 | aarch64:73 | aarch64:22) return 0 ;;
    esac
    return 1
}
case "$(uname -m)" in
x86_64 | aarch64) wait_for 5 in_poll || echo "note: sensor not seen in poll() after 5 s" ;;
*) sleep 1 ;;
esac
kill -0 "$spid" 2>/dev/null || fail "sensor exited at start: $(cat "$work/sensor.err")"
sleep 0.2

# ---- traffic from B ----------------------------------------------------------------------
# Forget the neighbours so that ARP and neighbour discovery happen while we capture.
ip -n "$A" neigh flush all 2>/dev/null
ip -n "$B" neigh flush all 2>/dev/null

cat >"$work/client.py" <<'EOF'
import socket, struct, sys, time
a4, a6, b4, b6 = sys.argv[1:5]
k, k6, m = (int(x) for x in sys.argv[5:8])
def csum(b):
    if len(b) % 2: b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
def ping(fam, dst, n, ident):
    v6 = fam == socket.AF_INET6
    s = socket.socket(fam, socket.SOCK_RAW, socket.IPPROTO_ICMPV6 if v6 else socket.IPPROTO_ICMP)
    s.settimeout(3)
    for seq in range(1, n + 1):
        body = struct.pack("!HH", ident, seq) + bytes(range(56))
        typ = 128 if v6 else 8
        hdr = struct.pack("!BBH", typ, 0, 0)
        if not v6:  # the kernel fills in the ICMPv6 checksum itself
            hdr = struct.pack("!BBH", typ, 0, csum(hdr + body))
        s.sendto(hdr + body, (dst, 0))
        while True:
            pkt, _ = s.recvfrom(2000)
            if not v6:
                pkt = pkt[(pkt[0] & 15) * 4:]
            t, _, _, i, q = struct.unpack("!BBHHH", pkt[:8])
            if t == (129 if v6 else 0) and i == ident and q == seq:
                break
        time.sleep(0.05)
    s.close()
ping(socket.AF_INET, a4, 3, 0x4e56)
ping(socket.AF_INET6, a6, 2, 0x4e57)
c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
c.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
c.settimeout(5)
c.bind((b4, 40001)); c.connect((a4, 8080))
c.sendall(b"hello\n")
got = b""
while not got.endswith(b"\n"):
    got += c.recv(100)
assert got == b"world\n", got
c.shutdown(socket.SHUT_WR)
while c.recv(100):
    pass
c.close()
time.sleep(0.1)
def burst(fam, src, dst, sport, dport, n):
    u = socket.socket(fam, socket.SOCK_DGRAM)
    u.bind((src, sport))
    for i in range(n):
        u.sendto(b"netvigil-live-%04d-%s" % (i, b"x" * 13), (dst, dport))  # 32 bytes
        time.sleep(0.002)
    u.close()
burst(socket.AF_INET, b4, a4, 40002, 9000, k)
burst(socket.AF_INET6, b6, a6, 40004, 9000, k6)
burst(socket.AF_INET, b4, a4, 40003, 9100, m)
print("client done")
EOF
timeout 20 ip netns exec "$B" python3 "$work/client.py" "$A4" "$A6" "$B4" "$B6" "$K" "$K6" "$M" \
    >"$work/client.out" 2>&1 || fail "client in $B failed: $(cat "$work/client.out")"
wait "$listener" || fail "listener failed: $(cat "$work/listener.out")"
echo "listener: $(cat "$work/listener.out")"

# ---- stop the sensor with SIGINT --------------------------------------------------------
# The sensor's TPACKET_V3 blocks retire after 100 ms; give the last ones time to be read.
sleep 0.5
kill -INT "$spid" || fail "sensor is gone before SIGINT: $(cat "$work/sensor.err")"
for _ in $(seq 1 250); do
    kill -0 "$spid" 2>/dev/null || break
    sleep 0.02
done
if kill -0 "$spid" 2>/dev/null; then
    kill -KILL "$spid"
    fail "sensor did not stop within 5 s of SIGINT"
fi
wait "$spid"
src=$?
echo "sensor stderr:"
sed 's/^/  /' "$work/sensor.err"
[ "$src" -eq 0 ] || fail "sensor exit status $src after SIGINT (want 0)"
grep -Eiq 'received' "$work/sensor.err" && grep -Eiq 'dropped' "$work/sensor.err" ||
    fail "no capture statistics (received / dropped) on the sensor's stderr"
if [ "$sll2" -eq 1 ]; then
    # Everything sent should be in the file already; allow a moment if the host is loaded.
    frames_in() {
        python3 -c 'import struct, sys
d = open(sys.argv[1], "rb").read(); o, n = 24, 0
while o + 16 <= len(d):
    o += 16 + struct.unpack("<I", d[o + 8:o + 12])[0]; n += 1
sys.exit(0 if o <= len(d) and n >= int(sys.argv[2]) else 1)' "$work/sll2.pcap" "$1"
    }
    wait_for 3 frames_in $((6 + 4 + 4 + K + K6 + M + 2)) ||
        echo "note: the SLL2 capture holds fewer frames than expected"
    kill -INT "$tcpdump_pid" 2>/dev/null
    wait "$tcpdump_pid" 2>/dev/null
    echo "tcpdump (SLL2 control capture): $(grep -E 'captured|dropped by kernel' "$work/tcpdump.err" | paste -sd, -)"
fi

# ---- assertions -------------------------------------------------------------------------
cat >"$work/check.py" <<'EOF'
import calendar, csv, re, sys, time
mode, path = sys.argv[1], sys.argv[2]
a4, b4, a6, b6 = sys.argv[3:7]
k, k6, m, linkhdr = (int(x) for x in sys.argv[7:11])
filtered = mode == "filtered"
errors = []
def check(cond, what):
    if not cond:
        errors.append(what)
    return cond
rows = list(csv.reader(open(path, newline="")))
check(rows and rows[0] == "time,sensor,proto,src,dst,sport,dport,flags,ttl,len,payload,src_mac,dst_mac".split(","),
      "header row: %r" % (rows[0] if rows else None))
cols = rows[0] if rows else []
recs = [dict(zip(cols, r)) for r in rows[1:]]
check(all(len(r) == 13 for r in rows), "every row has 13 fields")
iso = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
check(all(iso.match(r["time"]) for r in recs), "time is ISO 8601 UTC with microseconds")
# Within the test's own time window (the order is the kernel's, so it is not checked).
t_start, t_end = int(sys.argv[11]) - 2, time.time() + 2
for r in recs:
    if iso.match(r["time"]):
        t = calendar.timegm(time.strptime(r["time"][:19], "%Y-%m-%dT%H:%M:%S"))
        t += float("0" + r["time"][19:26])
        if not check(t_start <= t <= t_end, "time %s outside the test's run" % r["time"]):
            break
if filtered:
    check(all(r["sensor"] == "live-a" for r in recs), "sensor name is live-a")
by = {}
for r in recs:
    by.setdefault(r["proto"], []).append(r)
def between(r, x, y):
    return {r["src"], r["dst"]} == {x, y}

# ICMP echo: 3 requests B->A and 3 replies A->B, alternating.
icmp = by.get("ICMP", [])
if check(len(icmp) == 6, "ICMP records: %d, want 6" % len(icmp)):
    for i, r in enumerate(icmp):
        s, d = (b4, a4) if i % 2 == 0 else (a4, b4)
        check((r["src"], r["dst"], r["sport"], r["dport"], r["flags"], r["ttl"], r["len"])
              == (s, d, "", "", "", "64", str(linkhdr + 20 + 64)), "ICMP record %d: %r" % (i, r))
# ICMPv6 echo: 2 requests, 2 replies; neighbour discovery only when unfiltered.
icmp6 = by.get("ICMPv6", [])
echo6 = [r for r in icmp6 if between(r, a6, b6) and r["len"] == str(linkhdr + 40 + 64)]
if check(len(echo6) == 4, "ICMPv6 echo records: %d, want 4" % len(echo6)):
    for i, r in enumerate(echo6):
        s, d = (b6, a6) if i % 2 == 0 else (a6, b6)
        check((r["src"], r["dst"], r["ttl"]) == (s, d, "64"), "ICMPv6 record %d: %r" % (i, r))
if filtered:
    check(len(icmp6) == 4, "ICMPv6 records: %d, want 4 (ND must be filtered out)" % len(icmp6))
else:
    check(len(icmp6) > 4, "ICMPv6 records: %d, want neighbour discovery too" % len(icmp6))
# TCP: one connection B:40001 -> A:8080.
tcp = by.get("TCP", [])
c2s = ("%s|40001|%s|8080" % (b4, a4))
s2c = ("%s|8080|%s|40001" % (a4, b4))
dirs = []
for r in tcp:
    key = "|".join((r["src"], r["sport"], r["dst"], r["dport"]))
    check(key in (c2s, s2c), "TCP record of another flow: %r" % r)
    check(r["ttl"] == "64", "TCP ttl %s, want 64" % r["ttl"])
    dirs.append(("c" if key == c2s else "s") + ":" + r["flags"])
check(dirs[:3] == ["c:S", "s:SA", "c:A"], "TCP handshake: %s, want c:S s:SA c:A" % dirs[:3])
for side in "cs":
    mine = [d.split(":")[1] for d in dirs if d[0] == side]
    check(sum("P" in f for f in mine) == 1, "%s: one data segment with P: %s" % (side, dirs))
    check(sum("F" in f for f in mine) == 1, "%s: one FIN: %s" % (side, dirs))
    check(all(set(f) <= set("FSPA") for f in mine), "%s: flags only from FSPA: %s" % (side, dirs))
check(dirs[-1:] == ["c:A"], "TCP ends with the client's ACK of the server's FIN: %s" % dirs)
check(4 <= len(tcp) <= 12, "TCP records: %d" % len(tcp))
# UDP.
udp = by.get("UDP", [])
def udp_of(src, sport, dst, dport):
    return [r for r in udp if (r["src"], r["sport"], r["dst"], r["dport"]) == (src, sport, dst, dport)]
u4 = udp_of(b4, "40002", a4, "9000")
u6 = udp_of(b6, "40004", a6, "9000")
u9100 = [r for r in udp if "9100" in (r["sport"], r["dport"])]
check(len(u4) == k, "UDP B:40002 -> A:9000 records: %d, want %d" % (len(u4), k))
check(len(u6) == k6, "UDP6 B:40004 -> A:9000 records: %d, want %d" % (len(u6), k6))
check(all((r["ttl"], r["len"], r["flags"]) == ("64", str(linkhdr + 20 + 8 + 32), "") for r in u4),
      "UDP ttl 64, len %d" % (linkhdr + 60))
check(all((r["ttl"], r["len"]) == ("64", str(linkhdr + 40 + 8 + 32)) for r in u6),
      "UDP6 hop limit 64, len %d" % (linkhdr + 80))
want9100 = 0 if filtered else m
check(len(u9100) == want9100, "UDP port 9100 records: %d, want %d" % (len(u9100), want9100))
check(len(udp) == k + k6 + want9100, "UDP records: %d, want %d" % (len(udp), k + k6 + want9100))
check(all(r["payload"] in ("", "raw", "padding") for r in recs), "payload column values")
# ARP: filtered out in case 1; in case 2 it is B asking for A and A answering.
arp = by.get("ARP", [])
if filtered:
    check(not arp, "ARP records: %d, want 0" % len(arp))
else:
    check(len(arp) >= 2 and all(between(r, a4, b4) for r in arp),
          "ARP records between A and B: %r" % arp)
others = set(by) - {"ICMP", "ICMPv6", "TCP", "UDP", "ARP"}
check(not others, "unexpected protocols: %s" % sorted(others))
if filtered:
    check(len(recs) == 6 + 4 + len(tcp) + k + k6,
          "total records %d, want %d" % (len(recs), 6 + 4 + len(tcp) + k + k6))
print("%s: %d records: %s; TCP %s" % (mode, len(recs),
      ", ".join("%s %d" % (p, len(v)) for p, v in sorted(by.items())), " ".join(dirs)))
for e in errors:
    print("  MISMATCH:", e)
sys.exit(1 if errors else 0)
EOF

failed=0
[ -s "$work/live.csv" ] || fail "the sensor wrote no CSV file"
python3 "$work/check.py" filtered "$work/live.csv" "$A4" "$B4" "$A6" "$B6" "$K" "$K6" "$M" 14 "$started" ||
    failed=1

if [ "$sll2" -eq 1 ]; then
    dlt=$(python3 -c 'import struct,sys; h=open(sys.argv[1],"rb").read(24); print(struct.unpack(("<" if h[0]==0xd4 else ">")+"I",h[20:24])[0])' "$work/sll2.pcap")
    if [ "$dlt" != 276 ]; then
        echo "case 2: tcpdump wrote link type $dlt, not LINUX_SLL2 (276)"
        failed=1
    elif ! timeout 10 "$sensor" -r "$work/sll2.pcap" --csv - >"$work/sll2.csv" 2>"$work/sll2.err"; then
        echo "case 2: sensor -r failed: $(cat "$work/sll2.err")"
        failed=1
    else
        python3 "$work/check.py" sll2-file "$work/sll2.csv" "$A4" "$B4" "$A6" "$B6" "$K" "$K6" "$M" 20 "$started" ||
            failed=1
    fi
fi

[ "$failed" -eq 0 ] || fail "records differ from the traffic sent (see MISMATCH lines)"
ok=1
echo "PASS: live capture (filtered, SIGINT, stats)$([ "$sll2" -eq 1 ] && echo " and SLL2 file")"
