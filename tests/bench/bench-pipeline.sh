#!/usr/bin/env bash
# End-to-end benchmark of the sensor -> collector -> CSV pipeline, against tshark, in one run.
#
#   tests/bench/bench-pipeline.sh BUILD_DIR [RECORDS]
#
# Prints: records/s end to end with a zero-loss check, tshark's records/s writing CSV fields
# of (a prefix of) the same capture and the ratio, the collector's CPU per 100k records/s, and
# its peak memory (VmHWM) with 50 sensors connected. When the collector has --keys and the
# sensor --key, the pipeline runs again with CURVE on every socket (keys made by
# `netvigil-ctl keygen`) and the CURVE/plain ratio of the medians is printed.
#
# The sensor side: netvigil-sensor -r F -c ENDPOINT when the sensor has its link (--collector in
# its --help); until then nvg-fake-sensor plays the sensor with a generated record stream of
# the same size (said so in the output). Not a ctest test: it prints figures, it does not fail.
# The pipeline run is repeated REPEAT times (default 3; each figure printed, then the median);
# with netvigil-ctl built, zero loss is checked in the collector's status (batches lost, sensor
# and kernel drops, write failures), not only by counting rows.
set -euo pipefail
# --help has an option: grep reads all of it (grep -q would stop early, the program would get
# SIGPIPE on its next write, and pipefail would make a long help look like a missing option).
has_opt() { "$1" --help 2>&1 | grep -c -- "$2" >/dev/null; }

BUILD=${1:?usage: bench-pipeline.sh BUILD_DIR [RECORDS]}
N=${2:-2000000}
TSHARK_N=${TSHARK_N:-200000}
BUILD=$(cd "$BUILD" && pwd)
find_bin() { find "$BUILD" -type f -name "$1" -perm -u+x | head -n1; }
COLLECTOR=$(find_bin netvigil-collector)
FAKE=$(find_bin nvg-fake-sensor)
SENSOR=$(find_bin netvigil-sensor || true)
CTL=$(find_bin netvigil-ctl || true)
REPEAT=${REPEAT:-3}
GEN=$(find_bin nvg-gen-pcap || true)
[ -n "$COLLECTOR" ] && [ -n "$FAKE" ] || { echo "build netvigil-collector and nvg-fake-sensor first" >&2; exit 1; }

WORK=$(mktemp -d /tmp/nvg-bench.XXXXXX)
COL_PID=
cleanup() { [ -n "$COL_PID" ] && kill "$COL_PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

if [ -z "$GEN" ]; then
    # The generator is self-contained; build it here if the tree did not.
    GEN=$WORK/nvg-gen-pcap
    cc -O2 -o "$GEN" "$(dirname "$0")"/../tools/gen-pcap*.c
fi

PORT=$(( 20000 + RANDOM % 20000 ))
KEYS=() SENSOR_KEYS=() CTL_KEYS=() # set by make_keys for the CURVE runs
COL_EXTRA=()                        # --no-alerts for the detection-off runs
start_collector() { # out_dir
    "$COLLECTOR" -o "$1" --sensor-port $PORT --feed-port $((PORT + 1)) \
        --control-port $((PORT + 2)) "${KEYS[@]}" "${COL_EXTRA[@]}" 2>>"$WORK/collector.log" &
    COL_PID=$!
    sleep 0.3
}
stop_collector() {
    kill -TERM "$COL_PID"; wait "$COL_PID" || true; COL_PID=
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
now() { date +%s.%N; }

echo "== generating a $N-packet capture"
"$GEN" -o "$WORK/cap.pcap" -n "$N" >/dev/null

# ---- 1. the pipeline ----------------------------------------------------------------------
USE_SENSOR=0
if [ -n "$SENSOR" ] && has_opt "$SENSOR" --collector; then
    USE_SENSOR=1
fi
status_loss() { # sensor name, expected records: prints "ok" or what is wrong
    [ -n "$CTL" ] || { echo "unchecked (no netvigil-ctl)"; return; }
    "$CTL" --feed-endpoint "tcp://127.0.0.1:$((PORT + 1))" \
        --control-endpoint "tcp://127.0.0.1:$((PORT + 2))" "${CTL_KEYS[@]}" status --json 2>/dev/null |
        python3 -c '
import json, sys
name, n = sys.argv[1], int(sys.argv[2])
st = json.load(sys.stdin)
s = [x for x in st["sensors"] if x["sensor"] == name]
if not s:
    print("sensor missing from status"); sys.exit()
s = s[0]
bad = ["%s=%s" % (k, s[k]) for k in ("batches_lost", "sensor_drops", "kernel_drops",
                                      "write_failures", "invalid_batches") if s.get(k)]
if s["records_received"] != n:
    bad.append("records_received=%d" % s["records_received"])
if st.get("write_failures"):
    bad.append("collector write_failures=%d" % st["write_failures"])
print("; ".join(bad) if bad else "ok")' "$1" "$2"
}

run_pipeline() { # label ("plain" or "CURVE"); sets RPS and COLCPU to the median run's
    RUNS=()
    for run in $(seq 1 "$REPEAT"); do
        rm -rf "$WORK/out"
        start_collector "$WORK/out"
        T0=$(cpu_ticks "$COL_PID")
        S=$(now)
        SENSOR_RC=0
        if [ $USE_SENSOR = 1 ]; then
            [ "$run" = 1 ] && echo "== sensor -r cap.pcap -> collector -> CSV, $1 ($REPEAT runs)"
            "$SENSOR" -r "$WORK/cap.pcap" -c "tcp://127.0.0.1:$PORT" -n bench "${SENSOR_KEYS[@]}" >"$WORK/sensor.out" 2>&1 ||
                SENSOR_RC=$?
        else
            [ "$run" = 1 ] && echo "== nvg-fake-sensor ($N generated records) -> collector -> CSV" &&
                echo "   (netvigil-sensor has no --collector yet: the fake sensor plays it)"
            "$FAKE" --endpoint "tcp://127.0.0.1:$PORT" --name bench --records "$N" --pps 1000000 \
                --eos --timeout-ms 60000 >"$WORK/sensor.out" || SENSOR_RC=$?
        fi
        E=$(now)
        T1=$(cpu_ticks "$COL_PID")
        STATUS=$(status_loss bench "$N")
        stop_collector
        ROWS=$(cat "$WORK"/out/packets-*.csv | wc -l)
        ROWS=$((ROWS - $(ls "$WORK"/out/packets-*.csv | wc -l)))
        HZ=$(getconf CLK_TCK)
        read -r SECS RPS COLCPU <<<"$(awk -v s="$S" -v e="$E" -v n="$ROWS" -v t0="$T0" -v t1="$T1" -v hz="$HZ" \
            'BEGIN { d = e - s; c = (t1 - t0) / hz; printf "%.3f %.0f %.3f", d, n / d, c }')"
        if [ "$SENSOR_RC" = 0 ] && [ "$ROWS" -eq "$N" ] && { [ "$STATUS" = ok ] || [ $USE_SENSOR = 0 ]; }; then
            LOSS="zero loss ($ROWS/$N rows, status $STATUS)"
        else
            LOSS="LOSS: $ROWS/$N rows, sensor exit $SENSOR_RC, status: $STATUS"
        fi
        echo "pipeline ($1) run $run: $N records in $SECS s = $RPS records/s end to end; $LOSS"
        awk -v c="$COLCPU" -v n="$N" -v d="$SECS" 'BEGIN { printf "   collector CPU: %.3f s (%.0f%% of a core while it ran) = %.1f%% of a core per 100k records/s\n", c, 100 * c / d, 100 * c / (n / 100000) }'
        RUNS+=("$RPS $COLCPU")
    done
    read -r RPS COLCPU <<<"$(printf '%s\n' "${RUNS[@]}" | sort -n | awk '{ a[NR] = $0 } END { print a[int((NR + 1) / 2)] }')"
    echo "pipeline ($1): median of $REPEAT runs: $RPS records/s end to end"
    awk -v c="$COLCPU" -v n="$N" -v m="$1" 'BEGIN { printf "collector CPU (%s, median run): %.1f%% of a core per 100k records/s\n", m, 100 * c / (n / 100000) }'
}

make_keys() { # the collector's pair, the sensor "bench" and an admin for status, in $WORK/keys
    local k=$WORK/keys
    mkdir -p "$k/sensors" "$k/admins" "$k/viewers"
    "$CTL" keygen collector --out "$k" >/dev/null &&
        "$CTL" keygen bench --out "$k" >/dev/null &&
        "$CTL" keygen admin --out "$k" >/dev/null || return 1
    cp "$k/bench.key" "$k/sensors/" && cp "$k/admin.key" "$k/admins/"
    KEYS=(--keys "$k")
    SENSOR_KEYS=(--key "$k/bench.key_secret" --collector-key "$k/collector.key")
    CTL_KEYS=(--key "$k/admin.key_secret" --collector-key "$k/collector.key")
}

run_pipeline plain
PLAIN_RPS=$RPS
if has_opt "$COLLECTOR" --no-alerts; then
    # Detection runs by default (the plain runs above): the same pipeline without it.
    COL_EXTRA=(--no-alerts)
    run_pipeline "detection off"
    COL_EXTRA=()
    awk -v a="$PLAIN_RPS" -v b="$RPS" 'BEGIN { printf "ratio: detection on keeps %.2fx the detection-off rate (medians; target >= 0.9x)\n", a / b }'
    # On a machine with other load the medians drift apart with it: pairs run back to back
    # (on, off) see the same load, so the median of the pairs' ratios is the fairer figure.
    PAIRS=()
    SAVED_REPEAT=$REPEAT REPEAT=1
    for pair in $(seq 1 "$SAVED_REPEAT"); do
        run_pipeline "pair $pair, detection on" >/dev/null
        ON=$RPS
        COL_EXTRA=(--no-alerts)
        run_pipeline "pair $pair, detection off" >/dev/null
        COL_EXTRA=()
        PAIRS+=("$(awk -v a="$ON" -v b="$RPS" 'BEGIN { printf "%.3f", a / b }')")
        echo "pair $pair: detection on $ON, off $RPS records/s: ${PAIRS[-1]}x"
    done
    REPEAT=$SAVED_REPEAT
    printf '%s\n' "${PAIRS[@]}" | sort -n | awk '{ a[NR] = $0 } END { printf "ratio: detection on keeps %.2fx the detection-off rate (median of %d back-to-back pairs; target >= 0.9x)\n", a[int((NR + 1) / 2)], NR }'
    RPS=$PLAIN_RPS
fi
if [ $USE_SENSOR = 1 ] && [ -n "$CTL" ] && has_opt "$COLLECTOR" --keys &&
    has_opt "$SENSOR" --collector-key && make_keys; then
    run_pipeline CURVE
    awk -v a="$RPS" -v b="$PLAIN_RPS" 'BEGIN { printf "ratio: CURVE keeps %.2fx the plain pipeline rate (target >= 0.8x)\n", a / b }'
    KEYS=() SENSOR_KEYS=() CTL_KEYS=()
    RPS=$PLAIN_RPS
else
    echo "CURVE: not measured (needs netvigil-sensor -c with --key, collector --keys, netvigil-ctl keygen)"
fi

# ---- 2. tshark on a prefix of the same capture ---------------------------------------------
if command -v tshark >/dev/null; then
    "$GEN" -o "$WORK/prefix.pcap" -n "$TSHARK_N" >/dev/null  # same generator: the same first packets
    S=$(now)
    tshark -r "$WORK/prefix.pcap" -T fields -e frame.time_epoch -e _ws.col.Protocol \
        -e ip.src -e ip.dst -e tcp.srcport -e tcp.dstport -e udp.srcport -e udp.dstport \
        -e tcp.flags.str -e ip.ttl -e frame.len -E separator=, >"$WORK/tshark.csv" 2>/dev/null
    E=$(now)
    TROWS=$(wc -l <"$WORK/tshark.csv")
    TRPS=$(awk -v s="$S" -v e="$E" -v n="$TROWS" 'BEGIN { printf "%.0f", n / (e - s) }')
    echo "tshark: $TROWS records in $(awk -v s="$S" -v e="$E" 'BEGIN{printf "%.2f", e-s}') s = $TRPS records/s"
    awk -v a="$RPS" -v b="$TRPS" 'BEGIN { printf "ratio: netvigil pipeline is %.1fx tshark\n", a / b }'
else
    echo "tshark: not installed, no ratio"
fi

# ---- 3. 50 sensors connected: peak memory ---------------------------------------------------
start_collector "$WORK/out50"
"$FAKE" --endpoint "tcp://127.0.0.1:$PORT" --name s --parallel 50 --records 20000 \
    --rate 20000 --hold 2 --eos --quiet --timeout-ms 60000
HWM=$(awk '/VmHWM/ {print $2, $3}' "/proc/$COL_PID/status")
RSS=$(awk '/VmRSS/ {print $2, $3}' "/proc/$COL_PID/status")
stop_collector
echo "collector with 50 sensors (1M records, 50 x 20k/s): VmHWM $HWM, VmRSS $RSS"

# ---- 4. a spoofed-source SYN flood: detection's memory stays fixed -------------------------
if { "$FAKE" --help 2>&1 || true; } | grep -q -- --syn-flood; then
    for mode in on off; do
        [ $mode = off ] && COL_EXTRA=(--no-alerts)
        start_collector "$WORK/flood-$mode"
        "$FAKE" --endpoint "tcp://127.0.0.1:$PORT" --name flood --records 1000000 --pps 200000 \
            --syn-flood --eos --quiet --timeout-ms 60000 || echo "flood: the fake sensor failed"
        sleep 1.5 # the alert starts on the next tick
        HWM=$(awk '/VmHWM/ {print $2, $3}' "/proc/$COL_PID/status")
        DET=
        [ -n "$CTL" ] && [ $mode = on ] && DET=$("$CTL" --control-endpoint "tcp://127.0.0.1:$((PORT + 2))" status --json |
            python3 -c 'import json,sys; d=json.load(sys.stdin)["detection"]; print("detection memory %d KiB, %d evictions, %d alert(s) started" % (d["memory_bytes"] >> 10, d["evictions"], d["started"]))')
        stop_collector
        echo "1M-record spoofed-source SYN flood, detection $mode: collector VmHWM $HWM${DET:+; $DET}"
    done
    COL_EXTRA=()
fi
