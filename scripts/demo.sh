#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The README's first command: install what is missing, build, and run the demo
# (scripts/demo.py): a local lab of one NSD and three rate-limited dnsdist front-ends on
# 127.0.0.1 high ports, `pacedns resolve` of 20,000 names across them, `pacedns probe` of
# each, stats and plots under ./demo-out (or $PACEDNS_DEMO_OUT / --out DIR). Nothing
# leaves the machine; everything started is stopped at the end and on Ctrl-C.
#
#   bash scripts/demo.sh [--out DIR] [--quick]      (as root or as a normal user)
#
# PACEDNS_DEMO_QUICK=1 (or --quick) is a short run; PACEDNS_BUILD names the build
# directory (default build). Arguments go to scripts/demo.py.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${PACEDNS_BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
bash "$ROOT/scripts/install-deps.sh"
cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build "$BUILD" -j"$(nproc)"
export PACEDNS="$BUILD/pacedns"
# from the caller's directory: ./demo-out (or --out DIR) is relative to it
exec python3 "$ROOT/scripts/demo.py" "$@"
