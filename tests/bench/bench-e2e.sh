#!/usr/bin/env bash
# One collector's per-record cost (issue 14): the same capture through
#   A: netvigil-sensor -r F --csv FILE             (the sensor's own CSV, one process)
#   B: netvigil-sensor -r F -c EP -> collector -> CSV   (end to end, zero loss checked)
# alternated REPEAT times (default 3) in the same run, on a capture of N frames cut to 64
# bytes (editcap -s 64, as a 64-byte-frame capture; default N 3,000,000). Prints each run, the
# medians and the ratio B/A (target >= 0.6x), and the collector's CPU seconds per run (from
# /proc, so it means something on a loaded machine too).
#
#   tests/bench/bench-e2e.sh BUILD_DIR [N]
set -euo pipefail
BUILD=$(cd "${1:?usage: bench-e2e.sh BUILD_DIR [N]}" && pwd)
N=${2:-3000000}
REPEAT=${REPEAT:-3}
find_bin() { find "$BUILD" -type f -name "$1" -perm -u+x | head -n1; }
SENSOR=$(find_bin netvigil-sensor)
COLLECTOR=$(find_bin netvigil-collector)
GEN=$(find_bin nvg-gen-pcap)
WORK=$(mktemp -d /tmp/nvg-bench-e2e.XXXXXX)
COL_PID=
cleanup() { [ -n "$COL_PID" ] && kill "$COL_PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
PORT=$(( 21000 + RANDOM % 9000 ))
now() { date +%s.%N; }
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
HZ=$(getconf CLK_TCK)

echo "== a $N-frame capture, frames cut to 64 bytes"
"$GEN" -o "$WORK/full.pcap" -n "$N" >/dev/null
if command -v editcap >/dev/null; then
    editcap -s 64 "$WORK/full.pcap" "$WORK/cap.pcap" && rm "$WORK/full.pcap"
else
    echo "   (no editcap: whole frames)"; mv "$WORK/full.pcap" "$WORK/cap.pcap"
fi
cat "$WORK/cap.pcap" >/dev/null # in the page cache for both

A=() B=() CPU=()
for run in $(seq 1 "$REPEAT"); do
    rm -f "$WORK/sensor.csv"
    s=$(now)
    "$SENSOR" -r "$WORK/cap.pcap" --csv "$WORK/sensor.csv" -n bench 2>/dev/null
    e=$(now)
    A+=("$(awk -v s="$s" -v e="$e" -v n="$N" 'BEGIN { printf "%.0f", n / (e - s) }')")
    rm -f "$WORK/sensor.csv"
    rm -rf "$WORK/out"
    "$COLLECTOR" -o "$WORK/out" --sensor-port $PORT --feed-port $((PORT + 1)) \
        --control-port $((PORT + 2)) 2>>"$WORK/collector.log" &
    COL_PID=$!
    sleep 0.5
    t0=$(ticks "$COL_PID")
    s=$(now)
    rc=0
    "$SENSOR" -r "$WORK/cap.pcap" -c "tcp://127.0.0.1:$PORT" -n bench 2>"$WORK/sensor.log" || rc=$?
    e=$(now)
    t1=$(ticks "$COL_PID")
    kill -TERM "$COL_PID"; wait "$COL_PID" || true; COL_PID=
    rows=$(cat "$WORK"/out/packets-*.csv | wc -l)
    rows=$((rows - $(ls "$WORK"/out/packets-*.csv | wc -l)))
    B+=("$(awk -v s="$s" -v e="$e" -v n="$N" 'BEGIN { printf "%.0f", n / (e - s) }')")
    CPU+=("$(awk -v a="$t0" -v b="$t1" -v hz="$HZ" 'BEGIN { printf "%.2f", (b - a) / hz }')")
    loss="zero loss"
    [ "$rc" = 0 ] && [ "$rows" -eq "$N" ] || loss="LOSS: $rows/$N rows, sensor exit $rc"
    echo "run $run: sensor --csv ${A[-1]} records/s; sensor -c -> collector -> CSV ${B[-1]} records/s ($loss); collector CPU ${CPU[-1]} s"
done
med() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $0 } END { print a[int((NR + 1) / 2)] }'; }
MA=$(med "${A[@]}") MB=$(med "${B[@]}") MC=$(med "${CPU[@]}")
echo "median: sensor --csv $MA records/s; end to end $MB records/s; collector CPU $MC s for $N records"
awk -v a="$MA" -v b="$MB" 'BEGIN { printf "ratio: end to end is %.2fx the sensor'"'"'s own CSV rate (target >= 0.6x)\n", b / a }'
