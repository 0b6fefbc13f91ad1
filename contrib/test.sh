#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite:
#   1. unit and integration tests (CTest; the integration tests start Prosody, the npm
#      smpp SMSC simulator and the daemon on 127.0.0.1 and stop them by PID);
#   2. the unit tests again under AddressSanitizer + UndefinedBehaviorSanitizer;
#   3. every libFuzzer target for a short run from its seed corpus.
# Set PASSERELLE_FUZZ_SECONDS (default 15) to fuzz longer, PASSERELLE_SKIP_SANITIZERS=1 or
# PASSERELLE_SKIP_FUZZ=1 to skip a stage while developing.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
jobs=$(nproc)

./contrib/install-deps.sh --test

echo "== build and test (default preset)"
cmake --preset default >/dev/null
cmake --build --preset default -j "$jobs"
ctest --preset default -j "$jobs" --timeout 600

if [ "${PASSERELLE_SKIP_SANITIZERS:-0}" != 1 ]; then
  echo "== unit tests under ASan + UBSan"
  cmake --preset asan >/dev/null
  cmake --build --preset asan -j "$jobs"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --preset asan -j "$jobs" --timeout 600
fi

if [ "${PASSERELLE_SKIP_FUZZ:-0}" != 1 ]; then
  echo "== fuzz targets, ${PASSERELLE_FUZZ_SECONDS:-15} s each"
  cmake --preset fuzz >/dev/null
  cmake --build --preset fuzz -j "$jobs"
  for target in build/fuzz/tests/fuzz/fuzz_*; do
    [ -x "$target" ] || continue
    name=$(basename "$target")
    corpus="tests/fuzz/corpus/$name"
    work=$(mktemp -d)
    [ -d "$corpus" ] && cp -r "$corpus/." "$work/"
    echo "-- $name"
    "$target" -max_total_time="${PASSERELLE_FUZZ_SECONDS:-15}" -rss_limit_mb=1024 -timeout=5 "$work" 2>&1 | tail -n 3
    rm -rf "$work"
  done
fi
echo "passerelle: all tests passed"
