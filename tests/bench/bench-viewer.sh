#!/usr/bin/env bash
# Viewer under load: a collector, netvigil-viewer under Xvfb, and a fake sensor feeding
# RATE records/s for SECONDS seconds (defaults 100000 and 30). Prints the viewer's longest
# main-loop stall, frames per second while the feed runs, records received, and peak memory
# (VmHWM) with the ring full. Not a ctest test.
#
#   tests/bench/bench-viewer.sh [BUILD_DIR] [SECONDS] [RATE] [RING]
set -euo pipefail

build=$(cd "${1:-$(dirname "$0")/../../build}" && pwd)
seconds=${2:-30}
rate=${3:-100000}
ring=${4:-200000}
records=$((seconds * rate))
work=$(mktemp -d /tmp/nvg-bench-viewer.XXXXXX)
base=$((27700 + RANDOM % 2000 * 3))
ports=("$base" $((base + 1)) $((base + 2)))

for b in collector/netvigil-collector viewer/gtk/netvigil-viewer tests/tools/nvg-fake-sensor; do
    [ -x "$build/$b" ] || { echo "bench-viewer: missing $build/$b (build first)" >&2; exit 1; }
done

"$build/collector/netvigil-collector" -o "$work/data" --sensor-port "${ports[0]}" \
    --feed-port "${ports[1]}" --control-port "${ports[2]}" > "$work/collector.log" 2>&1 &
cpid=$!
trap 'kill $cpid 2>/dev/null || true; wait 2>/dev/null || true' EXIT

cat > "$work/inner.sh" <<INNER
set -eu
app=org.netvigil.ViewerBench
NVG_VIEWER_STATS=1 G_MESSAGES_DEBUG=netvigil-viewer GTK_A11Y=none ${GSK_RENDERER:+GSK_RENDERER=$GSK_RENDERER} \\
    "$build/viewer/gtk/netvigil-viewer" --app-id \$app --ring-size $ring \\
    --feed-endpoint tcp://127.0.0.1:${ports[1]} --control-endpoint tcp://127.0.0.1:${ports[2]} \\
    > "$work/viewer.out" 2> "$work/viewer.log" &
vpid=\$!
for i in \$(seq 1 100); do grep -q ': connected' "$work/viewer.out" && break; sleep 0.2; done
grep -q ': connected' "$work/viewer.out" || { echo "viewer did not connect" >&2; exit 1; }
t0=\$(date +%s.%N)
"$build/tests/tools/nvg-fake-sensor" --endpoint tcp://127.0.0.1:${ports[0]} --name bench \\
    --records $records --rate $rate --pps $rate --batch 1024 --eos --quiet --timeout-ms 60000 &
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
gdbus call --session --dest \$app --object-path /org/netvigil/ViewerBench \\
    --method org.gtk.Actions.Activate quit '[]' '{}' > /dev/null
wait \$vpid
INNER
xvfb-run -a -s "-screen 0 1440x900x24" dbus-run-session -- bash ${NVG_BENCH_TRACE:+-x} "$work/inner.sh" 2>>"$work/inner.log"

stats=$(grep viewer-stats "$work/viewer.out" || true)
[ -n "$stats" ] || { echo "bench-viewer: no stats; see $work" >&2; exit 1; }
val() { echo "$stats" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
sampled=$(cat "$work/sampled")
echo "bench-viewer: feed $rate records/s for ${seconds}s ($records records), ring $ring rows"
echo "  $sampled"
echo "  records received by the viewer: $(val records) (hand-over drops: $(val dropped_handover))"
echo "  rows in ring: $(val in_ring)"
echo "  longest main-loop stall: $(val max_stall_ms) ms overall (the first rows create the row widgets)"
echo "  longest main-loop stall after the first 2 s of feed: $(val steady_max_stall_ms) ms (10 ms tick; target < 100 ms)"
echo "  longest drain (list update): $(val max_drain_ms) ms"
echo "  frames: $(val frames) in $(val seconds) s = $(val fps) fps"
echo "  peak memory (VmHWM): $(( $(val vmhwm_kb) / 1024 )) MiB (target < 400 MiB)"
echo "  raw: $stats"
rm -rf "$work"
