# The frame of the shell suites that build "hosts" out of network namespaces (sourced, bash):
# pass/fail bookkeeping, a hard time bound, and one cleanup that every exit path runs.
#
# The caller sets, before nvg_netns_frame:
#   NVG_NS   array of the namespaces it creates (all are emptied and deleted at the end)
#   TMP      its work directory (removed at the end)
# and may define on_failure (print logs; called on a failing exit, not on pass or skip).
# Processes it starts in the background go into PIDS (killed at the end, then SIGKILLed).
#
#   skip REASON                 exit 77 (ctest: skipped) with the reason
#   nvg_netns_frame SECONDS     traps, and a watchdog that fails the test after SECONDS
#   fail TEXT / pass TEXT       one check; FAILS counts the failed ones
#   nvg_netns_result            "PASS" or how many failed; its status is the test's
#   now                         the time, in seconds with a fraction
PIDS=()
FAILS=0

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
pass() { echo "ok   $*"; }
now() { date +%s.%N; }

nvg_netns_cleanup() {
    local rc=$?
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    sleep 0.3
    for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
    for ns in "${NVG_NS[@]}"; do
        ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
        ip netns del "$ns" 2>/dev/null
    done
    if [ "$rc" != 0 ] && [ "$rc" != 77 ] && declare -F on_failure >/dev/null; then
        on_failure
    fi
    rm -rf "$TMP"
    exit "$rc"
}

nvg_netns_frame() {
    local limit=$1
    trap nvg_netns_cleanup EXIT
    trap 'exit 1' INT TERM HUP
    # (sleep gets no stdout/stderr: a leftover sleep must not keep ctest's pipe open.)
    ( sleep "$limit" </dev/null >/dev/null 2>&1; echo "FAIL: test took more than $limit s"
      kill -TERM $$ ) &
    PIDS+=($!)
}

nvg_netns_result() {
    [ "$FAILS" = 0 ] && echo PASS || echo "$FAILS check(s) failed"
    [ "$FAILS" = 0 ]
}
