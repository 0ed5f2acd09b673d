#!/bin/bash
# The collector's ZAP handler on loopback, the cases the three-hosts test does not reach: a
# key on a socket its role may not use (a viewer key on the sensor port, a sensor key on the
# control port) is refused and counted as role_refused; a reload that does not load keeps the
# previous allow-lists; one public key in two lists stops the collector at start-up; --key FILE
# takes the collector's own pair from outside DIR.
#
# Usage: keys-roles.sh COLLECTOR_DIR CTL_DIR. Bounded (< 40 s), loopback only, free ports.
set -u
COLLECTOR="$1/netvigil-collector"
CTL_BIN="$2/netvigil-ctl"
TMP=$(mktemp -d /tmp/nvg-keys-roles.XXXXXX)
COL_PID=
FAILS=0
cleanup() { [ -n "$COL_PID" ] && kill "$COL_PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
pass() { echo "ok   $*"; }

PORT=$(( 21000 + RANDOM % 20000 ))
K="$TMP/keys"
mkdir -p "$K/sensors" "$K/viewers" "$K/admins" "$TMP/me"
for n in collector; do "$CTL_BIN" keygen $n --out "$K" >/dev/null; done
for n in alice bob s1; do "$CTL_BIN" keygen $n --out "$TMP/me" >/dev/null; done
cp "$TMP/me/alice.key" "$K/admins/"; cp "$TMP/me/bob.key" "$K/viewers/"; cp "$TMP/me/s1.key" "$K/sensors/"

ctl_as() { # NAME ENDPOINT-PORT ARGS...
    local who=$1 port=$2; shift 2
    HOME="$TMP/home" XDG_CONFIG_HOME="$TMP/home" timeout 10 "$CTL_BIN" \
        --feed-endpoint "tcp://127.0.0.1:$((PORT + 1))" --control-endpoint "tcp://127.0.0.1:$port" \
        --key "$TMP/me/$who.key_secret" --collector-key "$K/collector.key" --timeout 3000 "$@"
}
counter() { # NAME: a SecurityCounters field, as alice sees it
    ctl_as alice $((PORT + 2)) --json status 2>/dev/null |
        python3 -c 'import json,sys; print(json.load(sys.stdin).get("security", {}).get(sys.argv[1], 0))' "$1"
}

"$COLLECTOR" -o "$TMP/out" --keys "$K" --sensor-port $PORT --feed-port $((PORT + 1)) \
    --control-port $((PORT + 2)) 2>"$TMP/collector.log" &
COL_PID=$!
for _ in $(seq 50); do ctl_as alice $((PORT + 2)) status >/dev/null 2>&1 && break; sleep 0.1; done
ctl_as alice $((PORT + 2)) status >/dev/null 2>&1 && pass "admin key answered" || { fail "collector not up"; cat "$TMP/collector.log"; exit 1; }

before=$(counter role_refused)
ctl_as bob $PORT status >/dev/null 2>&1; rc_bob=$?
ctl_as s1 $((PORT + 2)) status >/dev/null 2>&1; rc_s1=$?
[ $rc_bob = 3 ] && pass "viewer key on the sensor port refused (exit 3)" || fail "viewer key on 7700: exit $rc_bob"
[ $rc_s1 = 3 ] && pass "sensor key on the control port refused (exit 3)" || fail "sensor key on 7702: exit $rc_s1"
after=$(counter role_refused)
[ "$after" -ge $((before + 2)) ] && pass "role_refused counted ($before -> $after)" || fail "role_refused $before -> $after"

echo "not a certificate" >"$K/viewers/broken.key"
kill -HUP "$COL_PID"
sleep 0.5
ctl_as bob $((PORT + 2)) status >/dev/null 2>&1 && pass "a bad reload keeps the previous lists (viewer still in)" ||
    fail "viewer refused after a bad reload"
grep -q "keeping the previous allow-lists" "$TMP/collector.log" && pass "the bad reload is logged with its reason" ||
    fail "no log line for the bad reload"
rm "$K/viewers/broken.key"
kill "$COL_PID"; wait "$COL_PID"; COL_PID=

cp "$TMP/me/bob.key" "$K/admins/bob.key"
timeout 10 "$COLLECTOR" -o "$TMP/out" --keys "$K" --sensor-port $PORT --feed-port $((PORT + 1)) \
    --control-port $((PORT + 2)) 2>"$TMP/dup.log"; rc=$?
[ $rc != 0 ] && grep -q "already in the allow-lists" "$TMP/dup.log" &&
    pass "one key in two lists refused at start: $(grep -o 'already in the allow-lists.*' "$TMP/dup.log" | head -n1)" ||
    fail "duplicate key: exit $rc: $(tail -n2 "$TMP/dup.log")"

rm "$K/admins/bob.key"
# --key: the own pair from elsewhere (a systemd credential, mode 0400), none in DIR.
mkdir "$TMP/cred"; mv "$K/collector.key_secret" "$TMP/cred/"; chmod 400 "$TMP/cred/collector.key_secret"
"$COLLECTOR" -o "$TMP/out" --keys "$K" --key "$TMP/cred/collector.key_secret" --sensor-port $PORT \
    --feed-port $((PORT + 1)) --control-port $((PORT + 2)) 2>"$TMP/cred.log" &
COL_PID=$!
for _ in $(seq 50); do ctl_as alice $((PORT + 2)) status >/dev/null 2>&1 && break; sleep 0.1; done
ctl_as alice $((PORT + 2)) status >/dev/null 2>&1 && pass "--key FILE: own pair outside DIR, admin answered" ||
    fail "--key FILE: no answer: $(tail -n2 "$TMP/cred.log")"
kill "$COL_PID"; wait "$COL_PID"; COL_PID=

[ "$FAILS" = 0 ] && echo PASS || echo "$FAILS check(s) failed"
[ "$FAILS" = 0 ]
