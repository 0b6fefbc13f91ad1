#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite:
#   1. the integration tests and the test servers' self-tests on the default (optimised)
#      build (CTest; they start Prosody, the npm smpp SMSC simulator, the in-tree protocol
#      test servers and the daemon on 127.0.0.1 and stop them by PID);
#   2. the unit tests, under AddressSanitizer + UndefinedBehaviorSanitizer (clang: it builds
#      them in 8.6 min on two cores where GCC took about 10; UBSan's "function" check is off,
#      clang 14 cannot compile coroutines with it);
#   3. every libFuzzer target for a short run from its seed corpus.
# Set PASSERELLE_FUZZ_SECONDS (default 15) to fuzz longer, PASSERELLE_SKIP_SANITIZERS=1 or
# PASSERELLE_SKIP_FUZZ=1 to skip a stage while developing.
#
# Builds carry line tables only (-g1, -gline-tables-only): enough for backtraces, sanitizer
# reports and perf, and a quarter less compile time than full debug info. The sanitizer
# build compiles each unit test executable as one translation unit (PASSERELLE_UNITY_TESTS):
# half the compile time of one per test file.
# Each piece of code is compiled for the tests that need it: the default build has no unit
# tests (PASSERELLE_UNIT_TESTS=OFF), the sanitizer build only the unit tests (target
# unit_tests). Stages 2 and 3 compile (at the lowest CPU priority) while the tests of stage
# 1 run: those mostly wait on sockets and on the servers they start, and get the CPU first
# when they need it.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
jobs=$(nproc)
fuzz_seconds=${PASSERELLE_FUZZ_SECONDS:-15}
with_sanitizers=$([ "${PASSERELLE_SKIP_SANITIZERS:-0}" = 1 ] && echo 0 || echo 1)
with_fuzz=$([ "${PASSERELLE_SKIP_FUZZ:-0}" = 1 ] && echo 0 || echo 1)

./contrib/install-deps.sh --test

echo "== build (default preset)"
cmake --preset default -DPASSERELLE_UNIT_TESTS=OFF >/dev/null
cmake --build --preset default -j "$jobs"

scratch=$(mktemp -d)
background=""
cleanup() {
  # The background builds run in their own process group (set -m below): stop all of it.
  if [ -n "$background" ]; then kill -- "-$background" 2>/dev/null || true; fi
  rm -rf "$scratch"
}
trap cleanup EXIT

if [ "$with_sanitizers" = 1 ] || [ "$with_fuzz" = 1 ]; then
  echo "== building the ASan + UBSan unit tests and the fuzz targets in the background"
  set -m
  (
    set -e
    if [ "$with_sanitizers" = 1 ]; then
      cmake --preset asan -DPASSERELLE_UNIT_TESTS=ON >/dev/null
      nice -n 19 cmake --build --preset asan -j "$jobs" --target unit_tests
    fi
    if [ "$with_fuzz" = 1 ]; then
      cmake --preset fuzz >/dev/null
      nice -n 19 cmake --build --preset fuzz -j "$jobs"
    fi
  ) >"$scratch/background.log" 2>&1 &
  background=$!
  set +m
fi

echo "== integration tests (default preset)"
# Everything they drive was installed above: a test that would skip for a missing peer
# fails instead (tests/integration/lib/require.py).
export PASSERELLE_REQUIRE_PEERS=1
ctest --preset default -j "$jobs" --timeout 600

if [ -n "$background" ]; then
  if ! wait "$background"; then
    background=""
    echo "passerelle: the sanitizer or fuzz build failed:" >&2
    cat "$scratch/background.log" >&2
    exit 1
  fi
  background=""
  grep -E "warning:|error:" "$scratch/background.log" || true
fi

if [ "$with_sanitizers" = 1 ]; then
  echo "== unit tests under ASan + UBSan"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --preset asan -j "$jobs" --timeout 600
fi

if [ "$with_fuzz" = 1 ]; then
  echo "== fuzz targets, $fuzz_seconds s each, $jobs at a time"
  # Each fuzzer works on a copy of its corpus (new inputs are not written into the tree).
  fuzz_one() {
    local target=$1 name work
    name=$(basename "$target")
    work="$scratch/corpus-$name"
    mkdir -p "$work"
    if [ -d "tests/fuzz/corpus/$name" ]; then cp -r "tests/fuzz/corpus/$name/." "$work/"; fi
    local rc=0
    "$target" -max_total_time="$fuzz_seconds" -rss_limit_mb=1024 -timeout=5 "$work" \
      >"$scratch/$name.log" 2>&1 || rc=$?
    echo "$rc" >"$scratch/$name.rc"
  }
  names=()
  for target in build/fuzz/tests/fuzz/fuzz_*; do
    [ -x "$target" ] || continue
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
    fuzz_one "$target" &
    names+=("$(basename "$target")")
  done
  wait
  failed=0
  for name in "${names[@]}"; do
    echo "-- $name"
    rc=$(cat "$scratch/$name.rc" 2>/dev/null || echo 1)
    if [ "$rc" = 0 ]; then
      tail -n 3 "$scratch/$name.log"
    else
      cat "$scratch/$name.log"
      echo "passerelle: $name failed (exit $rc)" >&2
      failed=1
    fi
  done
  [ "$failed" = 0 ]
fi
echo "passerelle: all tests passed"
