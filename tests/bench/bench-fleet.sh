#!/usr/bin/env bash
# The fleet benchmark (issue 14): SENSORS simulated live sensors (nvg-fleet: one process, one
# DEALER socket each) at RATE records/s each into one collector for SECONDS, for each count in
# the list (default "50 200", 5,000 records/s, 60 s). Prints per run: records/s written, loss
# at every hop (the simulator's own drops when its socket is full, batches lost, write
# failures, rows on disk against records acked), the collector's CPU, its RSS (VmHWM), and the
# latency from capture time to the CSV row (p50/p99, sampled); then RSS at the largest count
# over RSS at the smallest (target <= 1.3x) and whether 200 x 5k/s = 1 M records/s was written
# with zero loss.
#
#   tests/bench/bench-fleet.sh BUILD_DIR [COUNTS] [RATE] [SECONDS]
set -euo pipefail
BUILD=$(cd "${1:?usage: bench-fleet.sh BUILD_DIR [COUNTS] [RATE] [SECONDS]}" && pwd)
COUNTS=${2:-50 200}
RATE=${3:-5000}
SECS=${4:-60}
find_bin() { find "$BUILD" -type f -name "$1" -perm -u+x | head -n1; }
COLLECTOR=$(find_bin netvigil-collector)
FLEET=$(find_bin nvg-fleet)
CTL=$(find_bin netvigil-ctl)
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d /tmp/nvg-bench-fleet.XXXXXX)
COL_PID= LAT_PID=
cleanup() {
    [ -n "$LAT_PID" ] && kill "$LAT_PID" 2>/dev/null
    [ -n "$COL_PID" ] && kill "$COL_PID" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT
PORT=$(( 21000 + RANDOM % 9000 ))
HZ=$(getconf CLK_TCK)
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hwm_kb() { awk '/VmHWM/ {print $2}' "/proc/$1/status"; }

declare -A RSS
for n in $COUNTS; do
    rm -rf "$WORK/out"
    "$COLLECTOR" -o "$WORK/out" --sensor-port $PORT --feed-port $((PORT + 1)) \
        --control-port $((PORT + 2)) 2>>"$WORK/collector.log" &
    COL_PID=$!
    sleep 0.5
    /usr/bin/python3 "$HERE/fleet_latency.py" "$WORK/out" >"$WORK/latency.txt" &
    LAT_PID=$!
    t0=$(ticks "$COL_PID")
    echo "== $n sensors x $RATE records/s for $SECS s"
    rc=0
    "$FLEET" --endpoint "tcp://127.0.0.1:$PORT" --sensors "$n" --rate "$RATE" \
        --seconds "$SECS" >"$WORK/fleet.txt" || rc=$?
    t1=$(ticks "$COL_PID")
    hwm=$(hwm_kb "$COL_PID")
    RSS[$n]=$hwm
    kill -TERM "$LAT_PID"; wait "$LAT_PID" || true; LAT_PID=
    kill -TERM "$COL_PID"; wait "$COL_PID" || true; COL_PID=
    rows=$(cat "$WORK"/out/packets-*.csv | wc -l)
    rows=$((rows - $(ls "$WORK"/out/packets-*.csv | wc -l)))
    cat "$WORK/fleet.txt"
    awk -v f="$(cat "$WORK/fleet.txt")" -v rows="$rows" -v c0="$t0" -v c1="$t1" -v hz="$HZ" \
        -v hwm="$hwm" -v rc="$rc" 'BEGIN {
        n = split(f, kv, /[ =]/); for (i = 1; i < n; i++) v[kv[i]] = kv[i + 1]
        loss = v["dropped_by_simulator"] + v["batches_lost"] + v["write_failures"] + (v["received"] - rows)
        printf "written: %d rows in %.1f s = %.0f records/s; acked %s of %s sensors\n", rows, v["seconds"], rows / v["seconds"], v["acked"], v["sensors"]
        printf "loss: simulator drops %d records (%d batches), batches lost %d, write failures %d, acked-but-missing rows %d => %s\n", v["dropped_by_simulator"], v["dropped_batches"], v["batches_lost"], v["write_failures"], v["received"] - rows, (loss == 0 && rc == 0) ? "ZERO LOSS" : "LOSS"
        printf "collector CPU %.1f s (%.0f%% of a core), VmHWM %.1f MB\n", (c1 - c0) / hz, 100 * (c1 - c0) / hz / v["seconds"], hwm / 1024
    }'
    cat "$WORK/latency.txt"
done
first=${COUNTS%% *} last=${COUNTS##* }
if [ "$first" != "$last" ]; then
    awk -v a="${RSS[$first]}" -v b="${RSS[$last]}" -v f="$first" -v l="$last" \
        'BEGIN { printf "RSS at %s sensors / RSS at %s: %.2fx (target <= 1.3x)\n", l, f, b / a }'
fi
