#!/usr/bin/env bash
# Installs what is missing, checks the format and size rules (tests/lint/check-style.py), builds
# netvigil twice (plain with -Werror, and with AddressSanitizer + UndefinedBehaviorSanitizer) and
# runs every test in both builds. A style problem fails the run, but only after the builds and
# tests ran, so that one formatting slip does not hide the test results.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

bash deploy/install-deps.sh --test

jobs=$(nproc 2>/dev/null || echo 2)
status=0

echo "== format and size rules =="
style=0
python3 tests/lint/check-style.py || style=1

run_build() {
    local dir=$1
    shift
    cmake -S . -B "$dir" -DNVG_WERROR=ON "$@" >/dev/null
    cmake --build "$dir" -j "$jobs"
}

echo "== plain build =="
run_build build
ctest --test-dir build --output-on-failure -j "$jobs" --timeout 600 || status=1

echo "== sanitizer build (address,undefined) =="
run_build build-asan -DNVG_SANITIZE=address,undefined -DCMAKE_BUILD_TYPE=Debug
# Leak checks stay on; the GTK viewer is checked in the plain build only (GTK's own caches
# read as leaks to LeakSanitizer).
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir build-asan --output-on-failure -j "$jobs" --timeout 900 -LE gui || status=1

if [ $style -ne 0 ]; then
    echo "== FAILED: format and size rules (see the start of this run) =="
    status=1
fi
exit $status
