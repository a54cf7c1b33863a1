#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/transports.sh - pacedns vs dnsperf over UDP, TCP, DoT and DoH (POST and GET) against the same
# dnsdist (see bench/transports.py for what is measured and the environment knobs).
# Usage: bench/transports.sh [--quick]     (--quick: 5,000 names)
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
for t in nsd dnsdist dnsperf openssl python3; do
  command -v "$t" >/dev/null || { echo "bench: $t not found (scripts/install-deps.sh)" >&2; exit 2; }
done
if [ "${1:-}" = "--quick" ]; then
  export BENCH_NAMES=${BENCH_NAMES:-5000}
fi
export PACEDNS=${PACEDNS:-$HERE/../build/pacedns}
exec python3 "$HERE/transports.py"
