#!/usr/bin/env bash
# bench-flows.sh BUILD_DIR [PACKETS]
#
# The cost of conversation tracking (issue 12), in one run:
#   netvigil-sensor -r F --csv /dev/null, without (--no-flows) and with (--flows /dev/null)
#   the flow table, on nvg-gen-pcap's deterministic capture: packets/s both ways, the ratio
#   (target: with >= 0.8x without) and conversations per second;
#   memory (VmHWM, peak resident set) with 1,000,000 concurrent conversations: a generated
#   capture of 1 M UDP packets, each its own 5-tuple, read with --flow-table 1048576, against
#   the same read with --no-flows.
# Best of NVG_BENCH_RUNS (default 3) runs, wall clock per process, file in the page cache.
set -euo pipefail

if [ $# -lt 1 ] || [ ! -d "$1" ]; then
    echo "usage: $0 BUILD_DIR [PACKETS]" >&2
    exit 2
fi
build=$(cd "$1" && pwd)
packets=${2:-${NVG_BENCH_PACKETS:-1000000}}
runs=${NVG_BENCH_RUNS:-3}
gen=$build/tests/tools/nvg-gen-pcap
sensor=$build/sensor/netvigil-sensor
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/nvg-bench-flows.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

now_ns() { date +%s%N; }
best_ns() { # best_ns CMD...: the fastest of $runs runs, in ns; stderr of the last kept
    local best=0 t0 t1
    for _ in $(seq "$runs"); do
        t0=$(now_ns)
        "$@" 2>"$tmp/last.err" >/dev/null
        t1=$(now_ns)
        if [ "$best" -eq 0 ] || [ $((t1 - t0)) -lt "$best" ]; then best=$((t1 - t0)); fi
    done
    echo "$best"
}
rate() { awk -v n="$1" -v ns="$2" 'BEGIN { printf "%.0f", n / (ns / 1e9) }'; }
hwm_kib() { # the peak resident set of CMD..., KiB, from /proc while it runs
    "$@" >/dev/null 2>&1 &
    local pid=$! peak=0 v
    while kill -0 "$pid" 2>/dev/null; do
        v=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || true)
        [ -n "$v" ] && peak=$v
        sleep 0.05
    done
    wait "$pid" || true
    echo "$peak"
}

cap=$tmp/bench.pcap
"$gen" -o "$cap" -n "$packets" --seed 1
cat "$cap" >/dev/null
common=(-r "$cap" --csv /dev/null --user root --seccomp off)
without=$(best_ns "$sensor" "${common[@]}" --no-flows)
with=$(best_ns "$sensor" "${common[@]}" --flows /dev/null)
convs=$(sed -n 's/.* \([0-9]*\) conversations,.*/\1/p' "$tmp/last.err")
echo "flow tracking on $packets packets (nvg-gen-pcap --seed 1), best of $runs:"
echo "  without (--no-flows):    $(rate "$packets" "$without") packets/s"
echo "  with (--flows /dev/null): $(rate "$packets" "$with") packets/s," \
     "$convs conversations, $(rate "${convs:-0}" "$with") conversations/s"
echo "  ratio with/without: $(awk -v a="$without" -v b="$with" 'BEGIN { printf "%.2f", a / b }')" \
     "(target >= 0.80)"

many=$tmp/many.pcap
/usr/bin/python3 - "$many" <<'PY'
import struct, sys
sys.path.insert(0, sys.argv[0] and "")
n = 1_000_000
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    eth = b"\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\x00"
    for i in range(n):
        ip = struct.pack("!BBHHHBBHBBBB4s", 0x45, 0, 28 + 4, 0, 0, 64, 17, 0, 10,
                         (i >> 16) & 255, (i >> 8) & 255, i & 255, b"\x0a\xff\x00\x01")
        udp = struct.pack("!HHHH", 1024 + (i % 50000), 53, 12, 0) + b"abcd"
        d = eth + ip + udp
        f.write(struct.pack("<IIII", 1700000000 + i // 100000, (i % 100000) * 10, len(d), len(d)))
        f.write(d)
PY
base=$(hwm_kib "$sensor" -r "$many" --csv /dev/null --no-flows --user root --seccomp off)
full=$(hwm_kib "$sensor" -r "$many" --flows /dev/null --flow-table 1048576 --user root \
       --seccomp off)
echo "1,000,000 concurrent conversations (--flow-table 1048576): VmHWM $((full / 1024)) MiB," \
     "without flow tracking $((base / 1024)) MiB: $(((full - base) / 1024)) MiB for the table" \
     "($(awk -v d=$(((full - base) * 1024)) 'BEGIN { printf "%.0f", d / 1000000 }') bytes per conversation)"
