#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Install what is missing, build, and run every test: unit tests and integration tests
# against real servers the tests start on loopback (in a private network namespace),
# then the whole suite again on an AddressSanitizer + UndefinedBehaviorSanitizer build,
# the -j test on a ThreadSanitizer build, and (when present) a short run of each fuzz
# target. This is the README's test command
# and what CI runs (.ci/run).
#
#   bash scripts/test.sh        (as root, or as a normal user: then it re-runs itself
#                               through sudo when there is sudo, so that the tests get
#                               their private network namespace; the build directories
#                               are given back to that user at the end)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then
  exec sudo -E bash "$0" "$@"
fi
if [ "$(id -u)" -eq 0 ] && [ -n "${SUDO_UID:-}" ]; then
  give_back() {
    for d in build build-asan build-tsan; do
      [ -d "$d" ] && chown -R "$SUDO_UID:${SUDO_GID:-$SUDO_UID}" "$d" || true
    done
  }
  trap give_back EXIT
fi
bash scripts/install-deps.sh
JOBS=$(nproc)

echo "== build and test (RelWithDebInfo)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j"$JOBS"
ctest --test-dir build --output-on-failure

echo "== build and test (ASan + UBSan)"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DPACEDNS_ASAN=ON -DPACEDNS_UBSAN=ON
cmake --build build-asan -j"$JOBS"
# valgrind cannot run an ASan binary; install and demo only repeat the first build's
# checks; the load tests' timing figures belong to the optimised build. test_trust runs
# here too: nothing a liar says may be written however slow the build (its ASan runs
# found the canary round that passed on a label under a wildcard zone)
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan --output-on-failure \
  -E 'integ_test_(valgrind|install|demo|plots|multiserver|probe|lab_selftest|shared_budget|atlas_efficiency|report_probe)$'

echo "== build and test the threads (ThreadSanitizer)"
cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPACEDNS_TSAN=ON
cmake --build build-tsan -j"$JOBS" --target pacedns_cli
# halt_on_error: a data race ends pacedns with an error, which fails the test
TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 PACEDNS="$PWD/build-tsan/pacedns" \
  python3 tests/integration/test_threads.py

if [ -x tests/fuzz/run.sh ]; then
  echo "== fuzz targets (${PACEDNS_FUZZ_SECONDS:-30} s each)"
  bash tests/fuzz/run.sh "${PACEDNS_FUZZ_SECONDS:-30}"
fi
echo "== all tests passed"
