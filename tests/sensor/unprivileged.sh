#!/usr/bin/env bash
# The sensor as a deployment runs it: an unprivileged user holding only CAP_NET_RAW
# (deploy/systemd/netvigil-sensor@.service; CAP_NET_ADMIN is not needed). Every command must
# still work, restart included (it reopens the capture). Without the capabilities the sensor must refuse
# with a clear permission error. Loopback only; needs root (to hand out the capabilities) and
# setpriv, else exit 77.
#   unprivileged.sh COLLECTOR_DIR CTL_DIR SENSOR_DIR
set -u
COLLECTOR=$1/netvigil-collector CTL_BIN=$2/netvigil-ctl SENSOR=$3/netvigil-sensor
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root to hand out capabilities"; exit 77; }
command -v setpriv >/dev/null || { echo "SKIP: setpriv not installed"; exit 77; }

TMP=$(mktemp -d)
chmod 755 "$TMP"
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT
fails=0
pass() { echo "ok   $*"; }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# Ports from the pid, away from the other tests' ranges.
base=$((19000 + ($$ % 300) * 3))
ctl() {
    timeout 20 "$CTL_BIN" --control-endpoint "tcp://127.0.0.1:$((base + 2))" \
        --feed-endpoint "tcp://127.0.0.1:$((base + 1))" "$@"
}
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }

"$COLLECTOR" -o "$TMP/out" --sensor-port "$base" --feed-port $((base + 1)) \
    --control-port $((base + 2)) 2>"$TMP/collector.log" &
PIDS+=($!)
for _ in $(seq 50); do ctl --timeout 300 status >/dev/null 2>&1 && break; sleep 0.1; done

# Without capabilities: a clear refusal, not a crash.
out=$(as_nobody "$SENSOR" -i lo --count 1 2>&1); rc=$?
if [ $rc = 1 ] && echo "$out" | grep -qi "permission denied"; then
    pass "no capabilities: clear refusal ($(echo "$out" | head -1))"
else
    fail "no capabilities: rc $rc: $out"
fi

# setpriv execs the sensor, so $! is the sensor itself (a shell function would add a subshell).
setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=+net_raw \
    --ambient-caps=+net_raw "$SENSOR" -i lo -n unpriv -c "tcp://127.0.0.1:$base" icmp 2>"$TMP/sensor.log" &
PIDS+=($!)
for _ in $(seq 50); do ctl status --json 2>/dev/null | grep -q '"unpriv"' && break; sleep 0.1; done
user=$(ps -o user= -p "${PIDS[1]}" | tr -d ' ')
[ "$user" = nobody ] && pass "sensor runs as nobody" || fail "sensor runs as '$user'"
# Not root: it keeps CAP_NET_RAW permitted (for restart) but not effective, and confines itself.
st=$(grep -E '^(CapPrm|CapEff|CapAmb|NoNewPrivs|Seccomp):' "/proc/${PIDS[1]}/status" | tr -s '\t ' ' ')
if echo "$st" | grep -q "CapPrm: 0000000000002000" && echo "$st" | grep -q "CapEff: 0000000000000000" &&
    echo "$st" | grep -q "CapAmb: 0000000000000000" && echo "$st" | grep -q "Seccomp: 2"; then
    pass "confined: $(echo "$st" | tr '\n' ' ')"
else
    fail "not confined: $st"
fi

for cmd in "stop unpriv" "start unpriv" "filter unpriv udp" "restart unpriv" "clear-filter unpriv"; do
    # shellcheck disable=SC2086
    out=$(ctl $cmd); rc=$?
    if [ $rc = 0 ] && echo "$out" | grep -q "^unpriv  *ok"; then
        pass "$cmd without root"
    else
        fail "$cmd: rc $rc: $out"
    fi
done
kill -0 "${PIDS[1]}" 2>/dev/null && pass "sensor still running" || fail "sensor died"
if [ $fails -gt 0 ]; then
    echo "---- sensor log ----"; cat "$TMP/sensor.log"
    echo "FAILED: $fails check(s)"
    exit 1
fi
echo "all checks passed"
