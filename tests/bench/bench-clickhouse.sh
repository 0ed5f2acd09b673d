#!/usr/bin/env bash
# The pipeline with the ClickHouse sink on against CSV only, in the same run (issue 14).
#
#   tests/bench/bench-clickhouse.sh BUILD_DIR [RECORDS]
#
# Starts a clickhouse-server of its own (temporary config and data, 127.0.0.1, a random port),
# generates a RECORDS-packet capture (default 1,000,000) and runs `netvigil-sensor -r F -c` into
# a collector REPEAT times (default 3) each way, alternating (CSV only, then CSV + --clickhouse),
# so both see the same machine load. Prints per run: records/s end to end (the sensor's file
# acknowledged: every row in the CSV log), for the ClickHouse runs also the rate until
# `SELECT count()` shows every row in ClickHouse, and the collector's CPU; then the medians and
# the ratios. Not a ctest test: it prints figures, it does not fail.
set -euo pipefail

BUILD=${1:?usage: bench-clickhouse.sh BUILD_DIR [RECORDS]}
N=${2:-1000000}
REPEAT=${REPEAT:-3}
BUILD=$(cd "$BUILD" && pwd)
find_bin() { find "$BUILD" -type f -name "$1" -perm -u+x | head -n1; }
COLLECTOR=$(find_bin netvigil-collector)
SENSOR=$(find_bin netvigil-sensor)
GEN=$(find_bin nvg-gen-pcap)
SERVER=$(command -v clickhouse-server || echo /usr/sbin/clickhouse-server)
[ -x "$SERVER" ] || { echo "no clickhouse-server (Debian package clickhouse-server)" >&2; exit 1; }
[ -n "$COLLECTOR" ] && [ -n "$SENSOR" ] && [ -n "$GEN" ] || { echo "build first" >&2; exit 1; }

WORK=$(mktemp -d /tmp/nvg-bench-ch.XXXXXX)
COL_PID= CH_PID=
cleanup() {
    [ -n "$COL_PID" ] && kill "$COL_PID" 2>/dev/null
    [ -n "$CH_PID" ] && kill "$CH_PID" 2>/dev/null && wait "$CH_PID" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT

PORT=$((20000 + RANDOM % 10000))
CH_HTTP=$((PORT + 10)) CH_TCP=$((PORT + 11))
mkdir -p "$WORK/ch/data" "$WORK/ch/tmp" "$WORK/ch/log"
cat >"$WORK/ch/config.xml" <<EOF
<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>$WORK/ch/log/server.log</log>
    <errorlog>$WORK/ch/log/error.log</errorlog><console>0</console></logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>$CH_HTTP</http_port><tcp_port>$CH_TCP</tcp_port>
  <path>$WORK/ch/data/</path><tmp_path>$WORK/ch/tmp/</tmp_path>
  <user_files_path>$WORK/ch/user_files/</user_files_path>
  <format_schema_path>$WORK/ch/format_schemas/</format_schema_path>
  <mark_cache_size>5368709</mark_cache_size>
  <users_config>$WORK/ch/users.xml</users_config>
  <default_profile>default</default_profile><default_database>default</default_database>
  <timezone>UTC</timezone>
</yandex>
EOF
cat >"$WORK/ch/users.xml" <<EOF
<?xml version="1.0"?>
<yandex><profiles><default></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip></networks>
    <profile>default</profile><quota>default</quota></default></users>
  <quotas><default></default></quotas></yandex>
EOF
"$SERVER" --config-file="$WORK/ch/config.xml" >"$WORK/ch/out.log" 2>&1 &
CH_PID=$!
query() { curl -sf "http://127.0.0.1:$CH_HTTP/" --data-binary "$1"; }
for _ in $(seq 1 100); do query "SELECT 1" >/dev/null 2>&1 && break; sleep 0.2; done
query "SELECT version()" | sed 's/^/== clickhouse-server /'

echo "== generating a $N-packet capture"
"$GEN" -o "$WORK/cap.pcap" -n "$N" >/dev/null

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
now() { date +%s.%N; }
HZ=$(getconf CLK_TCK)

run_once() { # mode (csv | clickhouse), run number: prints "rate chrate cpu server_cpu"
    local extra=() db="bench$2"
    [ "$1" = clickhouse ] && extra=(--clickhouse "http://127.0.0.1:$CH_HTTP/?database=$db")
    rm -rf "$WORK/out"
    "$COLLECTOR" -o "$WORK/out" --sensor-port $PORT --feed-port $((PORT + 1)) \
        --control-port $((PORT + 2)) "${extra[@]}" 2>>"$WORK/collector.log" &
    COL_PID=$!
    sleep 0.5
    [ "$1" = clickhouse ] && for _ in $(seq 1 50); do
        query "EXISTS TABLE $db.packets" 2>/dev/null | grep -q 1 && break; sleep 0.1
    done
    local t0 s e c chrate=- rows
    t0=$(cpu_ticks "$COL_PID")
    local h0 h1
    h0=$(cpu_ticks "$CH_PID")
    s=$(now)
    "$SENSOR" -r "$WORK/cap.pcap" -c "tcp://127.0.0.1:$PORT" -n bench >"$WORK/sensor.out" 2>&1 ||
        echo "   sensor failed: $(tail -1 "$WORK/sensor.out")" >&2
    e=$(now)
    if [ "$1" = clickhouse ]; then
        for _ in $(seq 1 600); do
            rows=$(query "SELECT count() FROM $db.packets" 2>/dev/null || echo 0)
            [ "$rows" -ge "$N" ] && break
            sleep 0.05
        done
        chrate=$(awk -v s="$s" -v e="$(now)" -v n="$rows" 'BEGIN { printf "%.0f", n / (e - s) }')
    fi
    c=$(cpu_ticks "$COL_PID")
    h1=$(cpu_ticks "$CH_PID")
    kill -TERM "$COL_PID"; wait "$COL_PID" || true; COL_PID=
    rows=$(($(cat "$WORK"/out/packets-*.csv | wc -l) - $(ls "$WORK"/out/packets-*.csv | wc -l)))
    [ "$rows" -eq "$N" ] || echo "   LOSS: $rows/$N rows in the CSV log" >&2
    [ "$1" = clickhouse ] && query "DROP DATABASE $db" >/dev/null
    awk -v s="$s" -v e="$e" -v n="$rows" -v c0="$t0" -v c1="$c" -v hz="$HZ" -v ch="$chrate" \
        -v h0="$h0" -v h1="$h1" 'BEGIN { printf "%.0f %s %.2f %.2f\n", n / (e - s), ch, (c1 - c0) / hz, (h1 - h0) / hz }'
}

CSV=() CH=() CHIN=()
for run in $(seq 1 "$REPEAT"); do
    read -r r _ c h <<<"$(run_once csv "$run")"
    echo "run $run CSV only:          $r records/s end to end (collector CPU $c s)"
    CSV+=("$r")
    read -r r chr c h <<<"$(run_once clickhouse "$run")"
    echo "run $run CSV + ClickHouse:  $r records/s end to end, every row in ClickHouse at $chr records/s (collector CPU $c s, clickhouse-server CPU $h s)"
    CH+=("$r") CHIN+=("$chr")
done
median() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $0 } END { print a[int((NR + 1) / 2)] }'; }
MC=$(median "${CSV[@]}") MH=$(median "${CH[@]}") MI=$(median "${CHIN[@]}")
echo "median CSV only: $MC records/s; CSV + ClickHouse: $MH records/s end to end, $MI records/s into ClickHouse"
awk -v a="$MH" -v b="$MC" -v i="$MI" 'BEGIN { printf "ratio: the ClickHouse sink keeps %.2fx the CSV-only rate end to end; rows reach ClickHouse at %.2fx it\n", a / b, i / b }'
