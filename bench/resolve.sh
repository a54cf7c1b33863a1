#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/resolve.sh - the seed benchmark: host%d names from a local NSD, side by side:
#   pacedns resolve (fixed high --qps; the lean UDP transport, whose answers libknot
#   decodes (dns/codec.c), with -j 1 and -j N, and --transport getdns, getdns's stub with
#   the same codec), dnsperf (-q 100, one pass), and a one-at-a-time
#   baseline (python UDP loop, one query outstanding = the seed's gethostbyname loop).
# Prints names/s, client CPU s per 1000 names and peak RSS (from /usr/bin/time), ratios
# vs dnsperf, then pacedns' peak RSS for BIG names vs the 100,000 run (must be within 10 %).
# adnshost is skipped: adns only talks to port 53 (its "nameserver" takes an address,
# no port) and it rejects answers without RA, which an authoritative NSD never sets.
#
# Usage: bench/resolve.sh [--quick]
# Env:   PACEDNS (default build/pacedns)  BENCH_SIZES ("20000 100000")  BENCH_BIG (1000000)
#        BENCH_QPS (100000)  BENCH_INFLIGHT (100)  BENCH_BASELINE_MAX (20000)
#        BENCH_TOOL_TIMEOUT (300 s per tool run)  BENCH_JSON (write results there)
#        BENCH_THREADS (2: also pacedns -j 2; 1 skips that row)
#        BENCH_REPEAT (3: pacedns and dnsperf runs per size, interleaved; medians reported)
# Loopback only, inside a private network namespace when unshare is permitted. Every
# process started is killed by PID on exit; the work directory is removed.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/.." && pwd)
FIX="$SRC/tools/lab"

SIZES=${BENCH_SIZES:-"20000 100000"}
BIG=${BENCH_BIG:-1000000}
QPS=${BENCH_QPS:-100000}
INFLIGHT=${BENCH_INFLIGHT:-100}
BASE_MAX=${BENCH_BASELINE_MAX:-20000}
TOOL_TIMEOUT=${BENCH_TOOL_TIMEOUT:-300}
THREADS=${BENCH_THREADS:-2}
REPEAT=${BENCH_REPEAT:-3}
if [ "${1:-}" = "--quick" ]; then
  SIZES="2000 10000"; BIG=${BENCH_BIG:-100000}; BASE_MAX=2000
fi
PACEDNS=${PACEDNS:-$SRC/build/pacedns}
NETNS=no

# ---- a private network namespace: nothing can leave the machine
if [ -z "${_PACEDNS_BENCH_NETNS:-}" ] && [ "${PACEDNS_LAB_NETNS:-1}" != 0 ] &&
   command -v unshare >/dev/null && command -v ip >/dev/null && unshare --net true 2>/dev/null; then
  export _PACEDNS_BENCH_NETNS=1
  exec unshare --net -- bash "$0" "$@"
fi
if [ -n "${_PACEDNS_BENCH_NETNS:-}" ]; then
  ip link set lo up
  NETNS=yes
fi

for t in nsd dnsperf python3 /usr/bin/time timeout; do
  command -v "$t" >/dev/null || { echo "bench: $t not found (scripts/install-deps.sh)" >&2; exit 2; }
done

WORK=$(mktemp -d /tmp/pacedns-bench.XXXXXX)
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do
    kill -TERM "$p" 2>/dev/null || true
  done
  for p in "${PIDS[@]}"; do
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$p" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say() { printf '%s\n' "$*" >&2; }

# ---- zone and NSD
maxn=0
for n in $SIZES; do [ "$n" -gt "$maxn" ] && maxn=$n; done
say "bench: generating a zone with $maxn hosts"
python3 "$FIX/genzone.py" --out "$WORK/zones" --hosts "$maxn" --ptr-count 0 --no-expected >/dev/null
PORT=$(python3 -c "import sys; sys.path.insert(0, '$FIX'); import lab; print(lab.free_port())")
mkdir -p "$WORK/nsd"
{
  cat <<EOF
server:
  ip-address: 127.0.0.1@$PORT
  port: $PORT
  do-ip6: no
  username: ""
  chroot: ""
  zonesdir: "$WORK/nsd"
  pidfile: "$WORK/nsd/nsd.pid"
  database: ""
  zonelistfile: "$WORK/nsd/zone.list"
  xfrdfile: "$WORK/nsd/xfrd.state"
  xfrdir: "$WORK/nsd"
  zonefiles-write: 0
  server-count: 1
  verbosity: 1
  logfile: "$WORK/nsd/nsd.log"
  rrl-ratelimit: 0
  rrl-whitelist-ratelimit: 0
  receive-buffer-size: 8388608
  send-buffer-size: 8388608
remote-control:
  control-enable: no
EOF
  for z in example.test other.test; do
    printf 'zone:\n  name: %s.\n  zonefile: "%s/zones/%s.zone"\n' "$z" "$WORK" "$z"
  done
} >"$WORK/nsd/nsd.conf"
nsd -d -c "$WORK/nsd/nsd.conf" >"$WORK/nsd/nsd.out" 2>&1 &
PIDS+=($!)
python3 - "$FIX" "$PORT" <<'EOF'
import sys, time
sys.path.insert(0, sys.argv[1])
import lab
end = time.monotonic() + 30
while time.monotonic() < end:
    if lab.query("127.0.0.1", int(sys.argv[2]), "example.test.", "SOA", timeout=0.2):
        sys.exit(0)
sys.exit("bench: NSD did not answer")
EOF
say "bench: NSD on 127.0.0.1:$PORT (network namespace: $NETNS)"

# ---- one measured run: NAME LABEL N CMD... -> appends a row to $WORK/rows
# /usr/bin/time -f "%e %U %S %M": elapsed, user, system, max RSS (KiB)
measure() {
  local label=$1 n=$2
  shift 2
  local tf="$WORK/time.$label.$n" rc=0
  /usr/bin/time -f "%e %U %S %M" -o "$tf" timeout -k 5 "$TOOL_TIMEOUT" "$@" \
    >"$WORK/out.$label.$n" 2>"$WORK/err.$label.$n" || rc=$?
  if [ "$rc" -ne 0 ]; then
    say "bench: $label ($n names) exited $rc: $(tail -n 3 "$WORK/err.$label.$n" | tr '\n' ' ')"
  fi
  read -r el us sy rss < <(tail -n 1 "$tf")
  printf '%s %s %s %s %s %s %s\n' "$label" "$n" "$el" "$us" "$sy" "$rss" "$rc" >>"$WORK/rows"
}

BASELINE_PY="$WORK/baseline.py"
cat >"$BASELINE_PY" <<'EOF'
# one query outstanding at a time, a new socket per name (like gethostbyname)
import sys
sys.path.insert(0, sys.argv[1])
import lab
port, path = int(sys.argv[2]), sys.argv[3]
ok = bad = 0
with open(path) as f:
    for line in f:
        m = lab.query("127.0.0.1", port, line.strip(), "A", timeout=2.0, edns=0)
        if m is not None and m["rcode"] == "NOERROR" and m["answer"]:
            ok += 1
        else:
            bad += 1
print("ok %d failed %d" % (ok, bad))
EOF

HAVE_PACEDNS=no
if [ -x "$PACEDNS" ]; then HAVE_PACEDNS=yes; else say "bench: $PACEDNS not found: pacedns rows skipped"; fi
: >"$WORK/rows"
for n in $SIZES; do
  head -n "$n" "$WORK/zones/hosts.txt" >"$WORK/names.$n"
  awk '{print $1 " A"}' "$WORK/names.$n" >"$WORK/dnsperf.$n"
  say "bench: $n names"
  for ((rep = 0; rep < REPEAT; rep++)); do
  if [ "$HAVE_PACEDNS" = yes ]; then
    measure pacedns "$n" "$PACEDNS" resolve -s "127.0.0.1:$PORT" --qps "$QPS" --max-inflight "$INFLIGHT" \
      --timeout 2000 --retries 3 -t A -f ndjson -o "$WORK/pacedns.$n.ndjson" \
      --stats "$WORK/stats.$n.json" -q "$WORK/names.$n"
    if [ "$THREADS" -gt 1 ]; then
      measure pacedns-j "$n" "$PACEDNS" resolve -j "$THREADS" -s "127.0.0.1:$PORT" --qps "$QPS" \
        --max-inflight "$INFLIGHT" --timeout 2000 --retries 3 -t A -f ndjson -o "$WORK/pacedns-j.$n.ndjson" \
        --stats "$WORK/stats-j.$n.json" -q "$WORK/names.$n"
    fi
    measure pacedns-getdns "$n" "$PACEDNS" resolve --transport getdns -s "127.0.0.1:$PORT" --qps "$QPS" \
      --max-inflight "$INFLIGHT" --timeout 2000 --retries 3 -t A -f ndjson -o "$WORK/pacedns-getdns.$n.ndjson" \
      --stats "$WORK/stats-getdns.$n.json" -q "$WORK/names.$n"
  fi
  measure dnsperf "$n" dnsperf -s 127.0.0.1 -p "$PORT" -d "$WORK/dnsperf.$n" -q 100 -n 1 -t 5
  done
  bn=$n
  [ "$bn" -gt "$BASE_MAX" ] && bn=$BASE_MAX
  if [ ! -e "$WORK/base.$bn" ]; then  # capped: one-at-a-time is slow, names/s does not depend on n
    head -n "$bn" "$WORK/names.$n" >"$WORK/base.$bn"
    measure baseline "$bn" python3 "$BASELINE_PY" "$FIX" "$PORT" "$WORK/base.$bn"
  fi
done

if [ "$HAVE_PACEDNS" = yes ] && [ "$BIG" -gt 0 ]; then
  say "bench: pacedns with $BIG names (peak RSS)"
  reps=$(((BIG + maxn - 1) / maxn))
  for ((i = 0; i < reps; i++)); do cat "$WORK/zones/hosts.txt"; done | head -n "$BIG" >"$WORK/names.big"
  measure pacedns-big "$BIG" "$PACEDNS" resolve -s "127.0.0.1:$PORT" --qps "$QPS" --max-inflight "$INFLIGHT" \
    --timeout 2000 --retries 3 -t A -f ndjson -o /dev/null --stats "$WORK/stats.big.json" -q "$WORK/names.big"
fi

# ---- report
BENCH_THREADS=$THREADS BENCH_REPEAT=$REPEAT python3 - "$WORK" "$SIZES" "$BIG" "$QPS" "$INFLIGHT" "$BASE_MAX" "${BENCH_JSON:-}" <<'EOF'
import json, os, re, sys
work, sizes, big, qps, infl = sys.argv[1], sys.argv[2].split(), int(sys.argv[3]), sys.argv[4], sys.argv[5]
base_max, jpath = int(sys.argv[6]), sys.argv[7]
rows = {}
for line in open(os.path.join(work, "rows")):
    label, n, el, us, sy, rss, rc = line.split()
    n, el, cpu, rss, rc = int(n), float(el), float(us) + float(sy), int(rss), int(rc)
    r = {"tool": label, "names": n, "elapsed_s": el, "cpu_s": cpu, "rss_kib": rss, "rc": rc,
         "names_per_s": n / el if el > 0 else 0.0, "cpu_s_per_1000": cpu / n * 1000 if n else 0.0}
    out = open(os.path.join(work, "out.%s.%d" % (label, n)), errors="replace").read()
    if label == "dnsperf":
        m = re.search(r"Queries completed:\s+(\d+)", out)
        r["ok"] = int(m.group(1)) if m else None
        m = re.search(r"Queries per second:\s+([\d.]+)", out)
        r["tool_qps"] = float(m.group(1)) if m else None
    elif label == "baseline":
        m = re.search(r"ok (\d+) failed (\d+)", out)
        r["ok"] = int(m.group(1)) if m else None
    else:
        prefix = {"pacedns-getdns": "stats-getdns", "pacedns-j": "stats-j"}.get(label, "stats")
        st = os.path.join(work, "%s.%s.json" % (prefix, "big" if label == "pacedns-big" else n))
        try:
            s = json.load(open(st))
            r["ok"] = s["totals"]["statuses"].get("NOERROR", 0)
        except Exception:
            r["ok"] = None
    rows.setdefault((label, n), []).append(r)
# the median run (by names/s) of each tool and size
for key, runs in rows.items():
    runs.sort(key=lambda x: x["names_per_s"])
    med = dict(runs[len(runs) // 2])
    med["runs"] = len(runs)
    med["names_per_s_all"] = [round(x["names_per_s"]) for x in runs]
    rows[key] = med

print("pacedns bench: NSD on loopback, --qps %s --max-inflight %s; dnsperf -q 100 -n 1; pacedns-j: -j %s"
      % (qps, infl, os.environ.get("BENCH_THREADS", "2")))
print("medians of %s runs per tool (interleaved); cpu x: CPU per name vs dnsperf's" % os.environ.get("BENCH_REPEAT", "3"))
print("%-14s %9s %9s %10s %12s %10s %9s %7s %8s" % ("tool", "names", "ok", "names/s", "cpu s/1000", "peak RSS", "vs dnsperf", "cpu x", "elapsed"))
report = []
for n in sizes:
    n = int(n)
    dp = rows.get(("dnsperf", n))
    for label in ("pacedns", "pacedns-j", "pacedns-getdns", "dnsperf", "baseline"):
        r = rows.get((label, min(n, base_max) if label == "baseline" else n))
        if r is None:
            continue
        ratio = r["names_per_s"] / dp["names_per_s"] if dp and dp["names_per_s"] else 0
        r["cpu_vs_dnsperf"] = r["cpu_s_per_1000"] / dp["cpu_s_per_1000"] if dp and dp["cpu_s_per_1000"] else None
        print("%-14s %9d %9s %10.0f %12.4f %8.1fMB %8.2fx %6.2fx %7.2fs%s" % (
            label, r["names"], r["ok"], r["names_per_s"], r["cpu_s_per_1000"], r["rss_kib"] / 1024.0,
            ratio, r["cpu_vs_dnsperf"] or 0, r["elapsed_s"], "" if r["rc"] == 0 else "  (exit %d)" % r["rc"]))
        r["speed_vs_dnsperf"] = ratio
        report.append(r)
b = rows.get(("pacedns-big", big))
ref = rows.get(("pacedns", max(int(x) for x in sizes)))
verdict = None
if b and ref:
    growth = b["rss_kib"] / ref["rss_kib"] - 1
    verdict = growth <= 0.10
    print("%-14s %9d %9s %10.0f %12.4f %8.1fMB" % ("pacedns", b["names"], b["ok"], b["names_per_s"], b["cpu_s_per_1000"], b["rss_kib"] / 1024.0))
    print("peak RSS %d names vs %d names: %+.1f %% -> %s (limit +10 %%)" % (big, ref["names"], growth * 100, "PASS" if verdict else "FAIL"))
    report.append(b)
if jpath:
    json.dump({"qps": qps, "max_inflight": infl, "rows": report, "rss_flat": verdict}, open(jpath, "w"), indent=1)
sys.exit(0 if verdict in (None, True) else 1)
EOF
