#!/usr/bin/env bash
# run-bench.sh BUILD_DIR [PACKETS]
#
# Times netvigil against its peers on one deterministic capture, in one run, and prints
# packets/s and the ratios issue 2 sets as targets:
#   sensor --csv / tshark fields       >= 25x
#   sensor --csv / TZ=UTC tcpdump -nn  >= 1.5x
#   bench-decode / bare libpcap loop   >= 0.8x
#
# It builds nothing: BUILD_DIR must already hold nvg-gen-pcap, bench-read-floor, bench-decode
# and netvigil-sensor (`cmake --build BUILD --target bench` builds them and runs this).
# A missing program or peer (tcpdump, tshark) is reported and its rows are left out.
#
# Environment: NVG_BENCH_PACKETS (default 1000000), NVG_BENCH_TSHARK_PACKETS (200000),
# NVG_BENCH_RUNS (3), NVG_BENCH_SEED (1), TMPDIR.
set -euo pipefail

if [ $# -lt 1 ] || [ ! -d "$1" ]; then
    echo "usage: $0 BUILD_DIR [PACKETS]" >&2
    exit 2
fi
build=$(cd "$1" && pwd)
packets=${2:-${NVG_BENCH_PACKETS:-1000000}}
tshark_packets=${NVG_BENCH_TSHARK_PACKETS:-200000}
runs=${NVG_BENCH_RUNS:-3}
seed=${NVG_BENCH_SEED:-1}

gen=$build/tests/tools/nvg-gen-pcap
floor=$build/tests/bench/bench-read-floor
decode=$build/tests/bench/bench-decode
sensor=$build/sensor/netvigil-sensor

for prog in "$gen" "$floor" "$decode" "$sensor"; do
    [ -x "$prog" ] || echo "run-bench: not built: $prog (its rows are skipped)" >&2
done
if [ ! -x "$gen" ]; then
    echo "run-bench: cannot make the capture without nvg-gen-pcap" >&2
    exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/nvg-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cap=$tmp/bench.pcap

now_ns() { date +%s%N; }

# ---- the capture -----------------------------------------------------------------------
t0=$(now_ns)
"$gen" -o "$cap" -n "$packets" --seed "$seed" -v 2>"$tmp/gen.txt"
t1=$(now_ns)
cat "$cap" >/dev/null # into the page cache before anything is timed

echo "netvigil benchmark — $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "host: $(nproc) CPU(s), $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)," \
     "$(uname -sr)"
echo "capture: nvg-gen-pcap -n $packets --seed $seed (Ethernet, $(stat -c %s "$cap") bytes," \
     "made in $(awk -v ns=$((t1 - t0)) 'BEGIN { printf "%.2f", ns / 1e9 }') s)"
sed 's/^nvg-gen-pcap: /  /' "$tmp/gen.txt"
echo "method: wall clock per process (date +%s%N), file in page cache (read once first)," \
     "best of $runs runs;"
echo "        tshark: one run over the first $tshark_packets packets only (-c), compared as" \
     "packets/s."
echo

# ---- timing helpers --------------------------------------------------------------------
declare -A pps_of
rows=()

# best_of NAME COUNT FUNC: runs FUNC $runs times, keeps the shortest, records the row.
best_of() {
    local name=$1 count=$2 fn=$3 n=${4:-$runs} best=0 i s e
    for ((i = 0; i < n; i++)); do
        s=$(now_ns)
        if ! "$fn"; then
            echo "run-bench: $name failed (exit status above); row skipped" >&2
            rows+=("$name|$count|FAILED|")
            return 0
        fi
        e=$(now_ns)
        if [ "$best" -eq 0 ] || [ $((e - s)) -lt "$best" ]; then
            best=$((e - s))
        fi
    done
    local pps
    pps=$(awk -v c="$count" -v ns="$best" 'BEGIN { printf "%.0f", c / (ns / 1e9) }')
    pps_of[$name]=$pps
    rows+=("$name|$count|$(awk -v ns="$best" 'BEGIN { printf "%.3f", ns / 1e9 }')|$pps")
}

run_floor() { "$floor" "$cap" >"$tmp/floor.out"; }
run_decode() { "$decode" "$cap" >"$tmp/decode.out"; }
run_sensor() { "$sensor" -r "$cap" --csv /dev/null 2>"$tmp/sensor.err"; }
run_tcpdump() { tcpdump -nn -r "$cap" >/dev/null 2>"$tmp/tcpdump.err"; }
run_tcpdump_utc() { TZ=UTC tcpdump -nn -r "$cap" >/dev/null 2>"$tmp/tcpdump.err"; }
run_tshark() {
    TZ=UTC tshark -n -r "$cap" -c "$tshark_packets" -T fields -e frame.time_epoch \
        -e ip.src -e ipv6.src -e ip.dst -e ipv6.dst -e tcp.srcport -e tcp.dstport \
        -e udp.srcport -e udp.dstport -e tcp.flags -e ip.ttl -e ipv6.hlim -e frame.len \
        -E separator=, >/dev/null 2>"$tmp/tshark.err"
}

# ---- the runs --------------------------------------------------------------------------
[ -x "$floor" ] && best_of "libpcap read loop (floor)" "$packets" run_floor
[ -x "$decode" ] && best_of "bench-decode" "$packets" run_decode
[ -x "$sensor" ] && best_of "netvigil-sensor --csv" "$packets" run_sensor
if command -v tcpdump >/dev/null; then
    best_of "tcpdump -nn" "$packets" run_tcpdump
    best_of "TZ=UTC tcpdump -nn" "$packets" run_tcpdump_utc
else
    echo "run-bench: tcpdump not installed; its rows are skipped" >&2
fi
if command -v tshark >/dev/null; then
    best_of "tshark -T fields (first $tshark_packets)" "$tshark_packets" run_tshark 1
    pps_of[tshark]=${pps_of["tshark -T fields (first $tshark_packets)"]:-}
else
    echo "run-bench: tshark not installed; its rows are skipped" >&2
fi

# Every packet must have been read: the floor and the decoder say how many they saw.
for out in floor decode; do
    if [ -s "$tmp/$out.out" ]; then
        seen=$(sed -n 's/^packets=\([0-9]*\).*/\1/p' "$tmp/$out.out")
        [ "$seen" = "$packets" ] || echo "run-bench: WARNING: $out read $seen of $packets" >&2
    fi
done

# ---- table -----------------------------------------------------------------------------
printf '%-40s %10s %9s %12s\n' tool packets seconds packets/s
printf '%-40s %10s %9s %12s\n' ---- ------- ------- ---------
for row in "${rows[@]}"; do
    IFS='|' read -r name count secs pps <<<"$row"
    printf '%-40s %10s %9s %12s\n' "$name" "$count" "$secs" "$pps"
done
echo

# ratio LABEL NUMERATOR DENOMINATOR TARGET
ratio() {
    local label=$1 a=${pps_of[$2]:-} b=${pps_of[$3]:-} target=$4
    if [ -z "$a" ] || [ -z "$b" ]; then
        printf '%-44s %8s   n/a (a row is missing)\n' "$label" -
        return
    fi
    awk -v l="$label" -v a="$a" -v b="$b" -v t="$target" 'BEGIN {
        r = a / b
        if (t == "-")
            printf "%-44s %7.2fx   (for information)\n", l, r
        else
            printf "%-44s %7.2fx   (target >= %sx) %s\n", l, r, t, (r >= t ? "PASS" : "MISS")
    }'
}
echo "ratios (packets/s against packets/s, same run):"
ratio "sensor --csv / tshark fields" "netvigil-sensor --csv" tshark 25
ratio "sensor --csv / TZ=UTC tcpdump -nn" "netvigil-sensor --csv" "TZ=UTC tcpdump -nn" 1.5
ratio "bench-decode / libpcap read loop" bench-decode "libpcap read loop (floor)" 0.8
ratio "sensor --csv / tcpdump -nn (local TZ)" "netvigil-sensor --csv" "tcpdump -nn" -
echo

# ---- the sensor: peak memory and a sanity check of its output ---------------------------
if [ -x "$sensor" ]; then
    if [ -x /usr/bin/time ]; then
        /usr/bin/time -f '%M' -o "$tmp/rss" "$sensor" -r "$cap" --csv /dev/null 2>/dev/null || true
        rss_kb=$(tail -1 "$tmp/rss")
    else # no GNU time: ask the kernel about the finished child through python3
        rss_kb=$(python3 -c 'import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' \
            "$sensor" -r "$cap" --csv /dev/null 2>/dev/null || echo "?")
    fi
    echo "netvigil-sensor -r F --csv /dev/null: peak RSS ${rss_kb} KiB"
    rows_out=$("$sensor" -r "$cap" --csv - 2>/dev/null | wc -l || true)
    echo "netvigil-sensor -r F --csv -: $rows_out lines (expected $((packets + 1)) with the header)"
    if [ -s "$tmp/sensor.err" ]; then
        echo "sensor stderr (last run):"
        sed 's/^/  /' "$tmp/sensor.err" | tail -5
    fi
fi
