#!/usr/bin/env bash
# Viewer under load: a collector, netvigil-viewer under Xvfb, and a fake sensor feeding
# RATE records/s for SECONDS seconds (defaults 100000 and 30). Not a ctest test.
#
#   tests/bench/bench-viewer.sh [--renderers | --sort | --one] [BUILD_DIR] [SECONDS] [RATE] [RING]
#
# --renderers: one run per renderer: the default (what a user gets: the viewer's own choice,
#   GSK_RENDERER unset), gl (GTK's choice without the viewer's, forced) and cairo (forced);
#   for each the longest main-loop stall, frames per second while the feed runs, peak memory
#   (VmHWM) with the ring full; then a summary table.
# --sort: fill the ring (RATE records/s for 3 s), sort its RING rows by length through
#   app.packet-columns and report the time to sort and the longest main-loop stall meanwhile
#   (D-Bus round trips every 5 ms); then with the list sorted, feed RATE records/s for
#   SECONDS more and report the stall while live rows are merged into the sorted list.
# --one: a single run with whatever GSK_RENDERER the caller set (the old behaviour).
# Without a mode: --renderers, then --sort.
set -euo pipefail

mode=all
case "${1:-}" in --renderers | --sort | --one | --all) mode=${1#--}; shift ;; esac
build=$(cd "${1:-$(dirname "$0")/../../build}" && pwd)
seconds=${2:-30}
rate=${3:-100000}
ring=${4:-200000}
here=$(cd "$(dirname "$0")" && pwd)

for b in collector/netvigil-collector viewer/gtk/netvigil-viewer tests/tools/nvg-fake-sensor; do
    [ -x "$build/$b" ] || { echo "bench-viewer: missing $build/$b (build first)" >&2; exit 1; }
done

# run_viewer NAME RENDERER(""=unset) FEED_SECONDS SORT(0/1): prints the run's figures and
# leaves "name stall fps mib" in $summary.
summary=""
run_viewer() {
    local name=$1 renderer=$2 feed_s=$3 sort=$4
    local records=$((feed_s * rate)) work base
    work=$(mktemp -d /tmp/nvg-bench-viewer.XXXXXX)
    base=$((27700 + RANDOM % 2000 * 3))
    local ports=("$base" $((base + 1)) $((base + 2)))
    "$build/collector/netvigil-collector" -o "$work/data" --sensor-port "${ports[0]}" \
        --feed-port "${ports[1]}" --control-port "${ports[2]}" > "$work/collector.log" 2>&1 &
    local cpid=$!
    local fake="\"$build/tests/tools/nvg-fake-sensor\" --endpoint tcp://127.0.0.1:${ports[0]} \
--name bench --rate $rate --pps $rate --batch 1024 --eos --quiet --timeout-ms 60000"
    cat > "$work/inner.sh" <<INNER
set -eu
app=org.netvigil.ViewerBench
env ${renderer:+GSK_RENDERER=$renderer} NVG_VIEWER_STATS=1 G_MESSAGES_DEBUG=netvigil-viewer \\
    GTK_A11Y=none "$build/viewer/gtk/netvigil-viewer" --app-id \$app --ring-size $ring \\
    --feed-endpoint tcp://127.0.0.1:${ports[1]} --control-endpoint tcp://127.0.0.1:${ports[2]} \\
    > "$work/viewer.out" 2> "$work/viewer.log" &
vpid=\$!
for i in \$(seq 1 100); do grep -q ': connected' "$work/viewer.out" && break; sleep 0.2; done
grep -q ': connected' "$work/viewer.out" || { echo "viewer did not connect" >&2; exit 1; }
t0=\$(date +%s.%N)
$fake --records $records &
fpid=\$!
peak=0
while kill -0 \$fpid 2>/dev/null; do
    rss=\$(awk '/VmRSS/ {print \$2}' /proc/\$vpid/status)
    [ "\$rss" -gt "\$peak" ] && peak=\$rss
    sleep 0.5
done
wait \$fpid || echo "fake sensor exit status \$?" >&2
t1=\$(date +%s.%N)
sleep 1
echo "sampled_peak_rss_kb=\$peak feed_seconds=\$(echo "\$t1 - \$t0" | bc)" > "$work/sampled"
if [ $sort = 1 ]; then
    /usr/bin/python3 "$here/viewer_sort_probe.py" \$app ";sort=len:desc" > "$work/sort1"
    $fake --records $((seconds * rate)) &
    fpid=\$!
    /usr/bin/python3 "$here/viewer_sort_probe.py" \$app ";sort=ttl:asc" $((seconds - 1)) \\
        > "$work/sort2"
    wait \$fpid || echo "fake sensor exit status \$?" >&2
fi
gdbus call --session --dest \$app --object-path /org/netvigil/ViewerBench \\
    --method org.gtk.Actions.Activate quit '[]' '{}' > /dev/null
wait \$vpid
INNER
    xvfb-run -a -s "-screen 0 1440x900x24" dbus-run-session -- bash ${NVG_BENCH_TRACE:+-x} \
        "$work/inner.sh" 2>> "$work/inner.log" || true
    kill $cpid 2> /dev/null || true
    wait $cpid 2> /dev/null || true

    local stats
    stats=$(grep viewer-stats "$work/viewer.out" || true)
    [ -n "$stats" ] || { echo "bench-viewer: no stats; see $work" >&2; exit 1; }
    val() { echo "$stats" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
    local chosen
    chosen=$(grep -o 'renderer: .*' "$work/viewer.log" | head -1)
    echo "bench-viewer [$name]: feed $rate records/s for ${feed_s}s ($records records), ring $ring rows"
    echo "  $chosen"
    echo "  $(cat "$work/sampled")"
    echo "  records received by the viewer: $(val records) (hand-over drops: $(val dropped_handover))"
    echo "  rows in ring: $(val in_ring)"
    echo "  longest main-loop stall: $(val max_stall_ms) ms overall (the first rows create the row widgets)"
    echo "  longest main-loop stall after the first 2 s of feed: $(val steady_max_stall_ms) ms (10 ms tick; target < 50 ms)"
    echo "  longest drain (list update): $(val max_drain_ms) ms"
    echo "  frames: $(val frames) in $(val seconds) s = $(val fps) fps (target >= 30)"
    echo "  peak memory (VmHWM): $(($(val vmhwm_kb) / 1024)) MiB (target < 400 MiB)"
    if [ "$sort" = 1 ]; then
        local s1 s2
        s1=$(cat "$work/sort1") s2=$(cat "$work/sort2")
        sv() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
        echo "  sort of the full ring by length: $(sv "$s1" sort_rows) rows in $(sv "$s1" sort_ms) ms," \
            "longest main-loop part $(sv "$s1" sort_main_ms) ms, longest D-Bus round trip" \
            "meanwhile $(sv "$s1" sort_max_rtt_ms) ms (target < 100 ms)"
        echo "  sort by TTL while $rate records/s stream in: $(sv "$s2" sort_rows) rows in" \
            "$(sv "$s2" sort_ms) ms, longest round trip $(sv "$s2" sort_max_rtt_ms) ms; then" \
            "$((seconds - 1)) s live and sorted: longest round trip $(sv "$s2" after_max_rtt_ms) ms"
    fi
    echo "  raw: $stats"
    summary+="$(printf '%-9s %-60.60s %8s %8s %8s %6s' "$name" "${chosen#renderer: }" \
        "$(val max_stall_ms)" "$(val steady_max_stall_ms)" "$(val fps)" \
        "$(($(val vmhwm_kb) / 1024))")"$'\n'
    [ -n "${NVG_BENCH_KEEP:-}" ] && echo "  kept $work" || rm -rf "$work"
}

case $mode in
one) run_viewer "${GSK_RENDERER:-default}" "${GSK_RENDERER:-}" "$seconds" 0 ;;
renderers | all)
    if [ -n "${GSK_RENDERER:-}" ]; then
        echo "bench-viewer: unset GSK_RENDERER for --renderers (each run sets its own)" >&2
        exit 2
    fi
    run_viewer default "" "$seconds" 0
    run_viewer gl gl "$seconds" 0
    run_viewer cairo cairo "$seconds" 0
    echo
    printf '%-9s %-60s %8s %8s %8s %6s\n' run "renderer (the viewer's log)" stall_ms \
        steady_ms fps MiB
    printf '%s' "$summary"
    ;;
esac
case $mode in sort | all) run_viewer sort "" 3 1 ;; esac
