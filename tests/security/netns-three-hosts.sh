#!/bin/bash
# A keyed deployment across "hosts": four network namespaces on one bridge (in a fifth, the
# switch), addresses in 198.18.0.0/15 (the benchmark range: nothing here leaves the bridge).
#
#   collector host  198.18.7.1  netvigil-collector --bind 198.18.7.1 --keys DIR (no --insecure)
#   sensor host 1   198.18.7.2  netvigil-sensor -i e1 -n s1 --key s1.key_secret, ping to host 2
#   sensor host 2   198.18.7.3  netvigil-sensor -i e2 -n s2 --key s2.key_secret, ping to host 1
#   viewer host     198.18.7.4  netvigil-ctl with an admin key, a viewer key, and worse
#
# Every key is made on the host that owns it (netvigil-ctl keygen); only public certificates
# travel, into the collector's sensors/, viewers/ and admins/ directories.
#
# Checks: real traffic of both sensors reaches the collector's log; the admin key stops and
# starts a sensor; the viewer key reads status and the feed but its stop is refused clearly;
# a key in no list, a client without CURVE, and a fresh key pair that knows the collector's
# public key get no data and no command through, and the collector counts each; a sensor
# certificate named "a" publishing as "b" is refused and counted; after removing s2's key
# and SIGHUP, s2 is disconnected and stays out.
#
# Usage: netns-three-hosts.sh COLLECTOR_DIR CTL_DIR SENSOR_DIR
# Needs root; exits 77 (skip) without it. Bounded (< 100 s); every namespace and process is
# removed on every exit path.
set -u

COLLECTOR="$1/netvigil-collector"
CTL_BIN="$2/netvigil-ctl"
SENSOR="$3/netvigil-sensor"

. "$(dirname "$0")/../lib/netns.sh"
[ "$(id -u)" = 0 ] || skip "needs root (network namespaces, live capture)"
command -v ip >/dev/null || skip "no ip(8)"
"$COLLECTOR" --help 2>&1 | grep -q -- "--keys" || skip "netvigil-collector has no --keys"
"$SENSOR" --help 2>&1 | grep -q -- "--collector-key" || skip "netvigil-sensor has no --key"

ID=$$
NS_SW="nvg3sw-$ID" NS_C="nvg3c-$ID" NS_S1="nvg3s1-$ID" NS_S2="nvg3s2-$ID" NS_V="nvg3v-$ID"
NVG_NS=("$NS_C" "$NS_S1" "$NS_S2" "$NS_V" "$NS_SW")
TMP=$(mktemp -d /tmp/nvg-three-hosts.XXXXXX)
OUT="$TMP/C/out"
on_failure() {
    echo "---- collector log (tail) ----"; tail -n 40 "$TMP/collector.log" 2>/dev/null
    for s in s1 s2 ab; do
        echo "---- sensor $s log (tail) ----"; tail -n 10 "$TMP/sensor-$s.log" 2>/dev/null
    done
}
nvg_netns_frame 95

in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# ---- the network: one bridge in the switch namespace, one veth per host -------------------
for ns in "${NVG_NS[@]}"; do ip netns add "$ns" || skip "cannot create network namespaces"; done
in_ns "$NS_SW" ip link add br0 type bridge || skip "cannot create a bridge"
in_ns "$NS_SW" ip link set br0 up
n=1
for ns in "$NS_C" "$NS_S1" "$NS_S2" "$NS_V"; do
    ip link add "p$n" netns "$NS_SW" type veth peer name "e$n" netns "$ns" || skip "cannot create veth"
    in_ns "$NS_SW" ip link set "p$n" master br0 up
    in_ns "$ns" ip link set lo up
    in_ns "$ns" ip addr add "198.18.7.$n/24" dev "e$n"
    in_ns "$ns" ip link set "e$n" up
    n=$((n + 1))
done
for _ in $(seq 50); do in_ns "$NS_V" ping -c1 -W1 198.18.7.1 >/dev/null 2>&1 && break; sleep 0.1; done

# ---- keys: each made on its own host, public halves copied to the collector ---------------
mkdir -p "$TMP/C/keys/sensors" "$TMP/C/keys/viewers" "$TMP/C/keys/admins" "$TMP/S1" "$TMP/S2" "$TMP/V"
keygen() { "$CTL_BIN" keygen "$1" --out "$2" >/dev/null || { fail "keygen $1"; exit 1; }; }
keygen collector "$TMP/C/keys"
keygen s1 "$TMP/S1"
keygen s2 "$TMP/S2"
keygen a "$TMP/S1"                              # a sensor certificate that will claim "b"
keygen alice "$TMP/V"                           # admin
keygen bob "$TMP/V"                             # viewer
keygen mallory "$TMP/V"                         # in no list
cp "$TMP/S1/s1.key" "$TMP/S2/s2.key" "$TMP/S1/a.key" "$TMP/C/keys/sensors/"
cp "$TMP/V/alice.key" "$TMP/C/keys/admins/"
cp "$TMP/V/bob.key" "$TMP/C/keys/viewers/"
for d in S1 S2 V; do cp "$TMP/C/keys/collector.key" "$TMP/$d/"; done
[ "$(stat -c %a "$TMP/V/alice.key_secret")" = 600 ] && pass "keygen writes secret keys 0600" ||
    fail "alice.key_secret mode $(stat -c %a "$TMP/V/alice.key_secret")"

# ctl on the viewer host as one of its identities, with no defaults from anyone's $HOME.
ctl_as() { # NAME ARGS...: NAME = alice|bob|mallory|none
    local who=$1; shift
    local keys=()
    [ "$who" != none ] && keys=(--key "$TMP/V/$who.key_secret" --collector-key "$TMP/V/collector.key")
    in_ns "$NS_V" env HOME="$TMP/V/home" XDG_CONFIG_HOME="$TMP/V/home" \
        timeout 20 "$CTL_BIN" --collector 198.18.7.1 "${keys[@]}" "$@"
}
status_field() { # PYTHON-EXPRESSION over st (the status JSON), as alice
    ctl_as alice --json status 2>/dev/null | python3 -c '
import json, sys
st = json.load(sys.stdin)
sensors = {s["sensor"]: s for s in st["sensors"]}
sec = st.get("security", {})
print(eval(sys.argv[1]))' "$1"
}

# ---- collector on its non-loopback address, keys, no --insecure ---------------------------
# Background processes run through ip(8) directly, not a shell function, so that $! is the
# program itself (ip netns exec execs it) and signals reach it.
ip netns exec "$NS_C" "$COLLECTOR" --bind 198.18.7.1 --keys "$TMP/C/keys" -o "$OUT" \
    2>"$TMP/collector.log" &
COL_PID=$!
PIDS+=($COL_PID)
for _ in $(seq 50); do ctl_as alice status >/dev/null 2>&1 && break; sleep 0.1; done
ctl_as alice status >/dev/null 2>&1 && pass "collector bound to 198.18.7.1 with keys, no --insecure" ||
    { fail "collector not answering an admin"; exit 1; }

start_sensor() { # NS IFACE NAME KEYNAME HOSTDIR
    ip netns exec "$1" "$SENSOR" -i "$2" -n "$3" -c tcp://198.18.7.1:7700 --batch-ms 20 \
        --key "$TMP/$5/$4.key_secret" --collector-key "$TMP/$5/collector.key" \
        2>"$TMP/sensor-$3.log" &
    PIDS+=($!)
}
start_sensor "$NS_S1" e2 s1 s1 S1
S1_PID=$!
start_sensor "$NS_S2" e3 s2 s2 S2
S2_PID=$!
ip netns exec "$NS_S1" ping -q -i 0.02 198.18.7.3 >/dev/null 2>&1 & PIDS+=($!)
ip netns exec "$NS_S2" ping -q -i 0.05 198.18.7.2 >/dev/null 2>&1 & PIDS+=($!)

for _ in $(seq 100); do
    [ "$(status_field 'sensors.get("s1", {}).get("connected") and sensors.get("s2", {}).get("connected")')" = True ] && break
    sleep 0.1
done

records() { # SENSOR [AFTER_EPOCH]: rows of that sensor in the packet log
    python3 - "$OUT" "$1" "${2:-0}" <<'EOF'
import csv, datetime, glob, sys
out, sensor, after = sys.argv[1], sys.argv[2], float(sys.argv[3])
n = 0
for path in sorted(glob.glob(out + "/packets-*.csv")):
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            if row["sensor"] != sensor:
                continue
            t = datetime.datetime.strptime(row["time"], "%Y-%m-%dT%H:%M:%S.%fZ")
            if t.replace(tzinfo=datetime.timezone.utc).timestamp() > after:
                n += 1
print(n)
EOF
}
sleep 2.5
n1=$(records s1) n2=$(records s2)
[ "$n1" -gt 20 ] && [ "$n2" -gt 20 ] && pass "real traffic of both sensor hosts in the log (s1 $n1, s2 $n2)" ||
    fail "too few records: s1 $n1, s2 $n2"
[ "$(status_field 'sensors["s1"].get("key_name")')" = s1 ] && pass "status names s1's key" ||
    fail "s1 key_name: $(status_field 'sensors["s1"].get("key_name")')"

# ---- admin: stop and start ------------------------------------------------------------------
out=$(ctl_as alice stop s1 2>&1); rc=$?
[ $rc = 0 ] && pass "admin key: stop s1" || fail "admin stop s1: rc $rc: $out"
sleep 1
[ "$(status_field 'sensors["s1"]["state"]')" = stopped ] && pass "s1 reported stopped" ||
    fail "s1 state after stop: $(status_field 'sensors["s1"]["state"]')"
out=$(ctl_as alice start s1 2>&1); rc=$?
[ $rc = 0 ] && pass "admin key: start s1" || fail "admin start s1: rc $rc: $out"

# ---- viewer: status and the feed, but no command ---------------------------------------------
out=$(ctl_as bob status 2>&1); rc=$?
[ $rc = 0 ] && echo "$out" | grep -q s2 && pass "viewer key reads status" || fail "viewer status: rc $rc: $out"
out=$(ctl_as bob tail --count 5 2>&1); rc=$?
[ $rc = 0 ] && [ "$(echo "$out" | grep -c -E 's1|s2')" -ge 5 ] && pass "viewer key reads the feed" ||
    fail "viewer tail: rc $rc: $out"
out=$(ctl_as bob stop s2 2>&1); rc=$?
[ $rc != 0 ] && echo "$out" | grep -qi "not allowed" && pass "viewer key's stop refused: $(echo "$out" | head -n1)" ||
    fail "viewer stop: rc $rc: $out"
[ "$(status_field 'sensors["s2"]["state"]')" = running ] && pass "s2 still running" ||
    fail "s2 state after a refused stop: $(status_field 'sensors["s2"]["state"]')"

# ---- outsiders: nothing through, each counted -------------------------------------------------
before_unknown=$(status_field 'sec.get("keys_unknown", 0)')
before_mech=$(status_field 'sec.get("mechanism_refused", 0) + sec.get("handshakes_failed", 0)')
out=$(ctl_as mallory --timeout 3000 stop s2 2>&1); rc=$?
[ $rc != 0 ] && echo "$out" | grep -qi "does not accept this key" && pass "unknown key refused: $(echo "$out" | head -n1)" ||
    fail "unknown key: rc $rc: $out"
out=$(ctl_as mallory --timeout 3000 tail --count 1 2>&1); rc=$?
[ $rc != 0 ] && pass "unknown key gets no feed" || fail "unknown key tail: rc $rc: $out"
out=$(ctl_as none --timeout 3000 stop s2 2>&1); rc=$?
[ $rc != 0 ] && pass "client without CURVE refused: $(echo "$out" | head -n1)" || fail "no-CURVE client: rc $rc: $out"
# A fresh pair that knows the collector's public key, as pyzmq would make it for an attacker.
/usr/bin/python3 - "$TMP/V" <<'EOF' && pass "fresh key pair made with pyzmq" || fail "pyzmq keys"
import os, sys, zmq.auth
pub, sec = zmq.auth.create_certificates(sys.argv[1], "eve")
os.chmod(sec, 0o600)
EOF
out=$(ctl_as eve --timeout 3000 stop s2 2>&1); rc=$?
[ $rc != 0 ] && pass "fresh key pair refused" || fail "fresh pair: rc $rc: $out"
sleep 0.5
[ "$(status_field 'sensors["s2"]["state"]')" = running ] && pass "s2 still running after the outsiders" ||
    fail "s2 state after outsiders: $(status_field 'sensors["s2"]["state"]')"
after_unknown=$(status_field 'sec.get("keys_unknown", 0)')
after_mech=$(status_field 'sec.get("mechanism_refused", 0) + sec.get("handshakes_failed", 0)')
[ "$after_unknown" -ge $((before_unknown + 2)) ] && pass "unknown keys counted ($before_unknown -> $after_unknown)" ||
    fail "keys_unknown $before_unknown -> $after_unknown"
[ "$after_mech" -gt "$before_mech" ] && pass "the client without CURVE counted ($before_mech -> $after_mech)" ||
    fail "mechanism_refused + handshakes_failed $before_mech -> $after_mech"

# ---- a sensor certificate named "a" publishing as "b" ----------------------------------------
before_name=$(status_field 'sec.get("name_refused", 0)')
ip netns exec "$NS_S1" "$SENSOR" -i e2 -n b -c tcp://198.18.7.1:7700 --batch-ms 20 \
    --key "$TMP/S1/a.key_secret" --collector-key "$TMP/S1/collector.key" 2>"$TMP/sensor-ab.log" &
AB_PID=$!
PIDS+=($AB_PID)
sleep 2
kill "$AB_PID" 2>/dev/null
[ "$(records b)" = 0 ] && [ "$(status_field '"b" in sensors')" = False ] &&
    pass "certificate a publishing as b: no record, no sensor b" || fail "records of b: $(records b)"
after_name=$(status_field 'sec.get("name_refused", 0)')
[ "$after_name" -gt "$before_name" ] && pass "name_refused counted ($before_name -> $after_name)" ||
    fail "name_refused $before_name -> $after_name"

# ---- revocation: remove s2's key, SIGHUP ------------------------------------------------------
rm "$TMP/C/keys/sensors/s2.key"
kill -HUP "$COL_PID"
T_REVOKE=$(now)
# "connected" means heard from within the last 3 s: after the cut it turns False 3 s after s2's
# last message, which may itself come a moment after the SIGHUP. Up to 8 s, then a failure.
s2_gone=0
for _ in $(seq 1 16); do
    sleep 0.5
    [ "$(status_field 'sensors["s2"]["connected"]')" = False ] && { s2_gone=1; break; }
done
[ $s2_gone = 1 ] && pass "s2 disconnected after its key was revoked" ||
    fail "s2 connected after revocation"
late=$(records s2 "$(python3 -c "print($T_REVOKE + 1.5)")")
[ "$late" = 0 ] && pass "no record of s2 after the revocation" || fail "$late records of s2 after the revocation"
[ "$(status_field 'sec.get("revoked_disconnects", 0)')" -ge 1 ] && pass "revocation counted" ||
    fail "revoked_disconnects: $(status_field 'sec.get("revoked_disconnects", 0)')"
n1_before=$(records s1 "$T_REVOKE")
sleep 1.5
[ "$(records s1 "$T_REVOKE")" -gt "$n1_before" ] && pass "s1 unaffected by s2's revocation" ||
    fail "s1 stopped flowing after the revocation"
grep -qi "does not accept this key" "$TMP/sensor-s2.log" && pass "s2 says why: $(grep -i 'does not accept' "$TMP/sensor-s2.log" | head -n1)" ||
    fail "s2's log does not say it was refused"

nvg_netns_result
