#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/fuzz/run.sh [SECONDS] - build the libFuzzer targets in build-fuzz (CC=clang,
# -DPACEDNS_FUZZ=ON) and run each for SECONDS (default 60), one at a time, -jobs=1.
# Exits non-zero when any target crashes, leaks, hangs or fails an oracle.
# Env: PACEDNS_FUZZ_BUILD (build dir, default <repo>/build-fuzz), PACEDNS_FUZZ_TARGETS
# (space-separated subset), PACEDNS_FUZZ_ARGS (extra libFuzzer flags).
set -eu

SECS=${1:-60}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=${PACEDNS_FUZZ_BUILD:-$ROOT/build-fuzz}
TARGETS=${PACEDNS_FUZZ_TARGETS:-fuzz_input fuzz_servers fuzz_profile fuzz_wire fuzz_match fuzz_codec fuzz_trust}
EXTRA=${PACEDNS_FUZZ_ARGS:-}

case $SECS in '' | *[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2 ;; esac

CC=${CC:-clang}
export CC
if ! grep -q 'add_subdirectory(tests/fuzz)' "$ROOT/CMakeLists.txt"; then
    echo "$0: the top-level CMakeLists.txt does not add tests/fuzz when PACEDNS_FUZZ" >&2
    exit 2
fi
mkdir -p "$BUILD"
cmake -S "$ROOT" -B "$BUILD" -DPACEDNS_FUZZ=ON -DPACEDNS_TESTS=OFF \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$BUILD/configure.log" 2>&1 ||
    { cat "$BUILD/configure.log" >&2; exit 1; }
# shellcheck disable=SC2086
cmake --build "$BUILD" -j2 --target $TARGETS

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

fail=0
for t in $TARGETS; do
    bin=$BUILD/tests/fuzz/$t
    work=$BUILD/fuzz-run/$t
    rm -rf "$work/artifacts" "$work/logs" # this run's findings only
    mkdir -p "$work/corpus" "$work/artifacts" "$work/logs"
    dict=
    [ -f "$HERE/$t.dict" ] && dict=-dict=$HERE/$t.dict
    # libFuzzer with -jobs runs the fuzzer in a child that logs to fuzz-0.log in the cwd;
    # new inputs go to $work/corpus (the seed corpus in the source tree is only read).
    rc=0
    # shellcheck disable=SC2086
    (cd "$work/logs" && "$bin" -jobs=1 -workers=1 -max_total_time="$SECS" -timeout=10 \
        -print_final_stats=1 -artifact_prefix="$work/artifacts/" $dict $EXTRA \
        "$work/corpus" "$HERE/corpus/$t" >/dev/null 2>&1) || rc=$?
    log=$work/logs/fuzz-0.log
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" 2>/dev/null | tail -n 1)
    secs=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" 2>/dev/null | tail -n 1)
    crashes=$(find "$work/artifacts" -type f | wc -l)
    if [ "$rc" -ne 0 ] || [ "$crashes" -ne 0 ] || [ -z "$execs" ]; then
        fail=1
        printf '%-13s FAILED  executions=%s rc=%s artifacts=%s (log: %s)\n' \
            "$t" "${execs:-?}" "$rc" "$crashes" "$log"
        grep -E 'ERROR: |FUZZ_CHECK|runtime error|SUMMARY|Test unit written' "$log" 2>/dev/null |
            head -n 20 | sed 's/^/    /'
    else
        printf '%-13s ok      executions=%s seconds=%s corpus=%s\n' "$t" "$execs" "${secs:-?}" \
            "$(find "$work/corpus" -type f | wc -l)"
    fi
done
exit $fail
