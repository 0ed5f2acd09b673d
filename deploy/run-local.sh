#!/usr/bin/env bash
# The main job on an embedded default, all on this host and loopback only: a collector, a
# sensor capturing on `lo`, and the GTK viewer (or, without a display, `netvigil-ctl tail`)
# watching the live feed. Closing the viewer or Ctrl-C stops everything; the collector's CSV
# files stay in ./netvigil-data.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

bash deploy/install-deps.sh
cmake -S . -B build >/dev/null
cmake --build build -j "$(nproc 2>/dev/null || echo 2)" >/dev/null

bin=$top/build
out=${NVG_OUT:-$top/netvigil-data}
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    echo "netvigil: stopped; logs in $out"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$bin/collector/netvigil-collector" --bind 127.0.0.1 -o "$out" &
pids+=($!)
# The sensor leaves out its own link (7700) by itself; the filter also leaves out the feed and
# control traffic of the viewer, which would otherwise show the feed's own packets on the feed.
"$bin/sensor/netvigil-sensor" -i lo -n "$(hostname)-lo" -c tcp://127.0.0.1:7700 \
    -f 'not (tcp port 7701 or tcp port 7702)' &
pids+=($!)
# A little loopback traffic so there is always something to watch (2 pings a second,
# to 127.0.0.1 only).
if command -v ping >/dev/null; then
    ping -q -i 0.5 127.0.0.1 >/dev/null 2>&1 &
    pids+=($!)
fi
if { [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; } && [ -x "$bin/viewer/gtk/netvigil-viewer" ]; then
    "$bin/viewer/gtk/netvigil-viewer" --collector 127.0.0.1
else
    echo "netvigil: no display (or no viewer built): following the live feed with netvigil-ctl tail" >&2
    "$bin/viewer/ctl/netvigil-ctl" --collector 127.0.0.1 tail
fi
