#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/probe.sh - how well `pacedns probe` finds a server's capacity, beside resperf.
#
# For each cap C and action, dnsdist in front of NSD caps the whole server with
#   addAction(NotRule(MaxQPSRule(C, C/100)), ACTION)     ACTION = drop | REFUSED | TC
# and, against that same dnsdist, one after the other:
#   pacedns probe -s 127.0.0.1:PORT --zone example.test --duration D --stats FILE
#     (profile "bench"; random labels under example.test: uncacheable NXDOMAIN load)
#   resperf -s 127.0.0.1 -p PORT -d datafile -m 2C -r RAMP -t 2
#     (datafile: random labels under example.test, type A; its "Maximum throughput"
#      and "Lost at that point" lines are parsed)
# Prints one row per (C, action): pacedns' found rate, its error vs C, time to converge
# (converged_after_s from the stats), loss at the found rate (the probe table's loss_%:
# lost + errors + TC over sent in the intervals run near the found rate), whether the
# target (within +-5 % of C in at most 5 s) was met; resperf's maximum throughput, its
# error vs C and its loss at that point. resperf counts REFUSED and TC answers as
# throughput, so with those actions it does not see the cap (max throughput ~ 2C).
#
# Usage: bench/probe.sh
# Env:   PACEDNS (default build/pacedns)  BENCH_CAPS ("500 2000 5000")
#        BENCH_ACTIONS ("drop refused tc")  BENCH_PROBE_DURATION (15 s)
#        BENCH_RESPERF_RAMP (10 s)  BENCH_JSON (write the rows there as JSON)
# Bounded: every tool run has a hard timeout (probe: duration + 30 s, resperf: ramp +
# 30 s). Loopback only, inside a private network namespace when unshare is permitted
# (PACEDNS_LAB_NETNS=0 turns this off). Every process started is killed by PID (the lab
# of tools/lab/lab.py); the work directory is removed. A load test: do not run it
# beside another one on the same 2 cores.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/.." && pwd)
export BENCH_FIX="$SRC/tools/lab"
PACEDNS=${PACEDNS:-$SRC/build/pacedns}
case "$PACEDNS" in /*) ;; *) PACEDNS="$PWD/$PACEDNS" ;; esac
export PACEDNS

# ---- a private network namespace: nothing can leave the machine
if [ -z "${_PACEDNS_BENCH_NETNS:-}" ] && [ "${PACEDNS_LAB_NETNS:-1}" != 0 ] &&
   command -v unshare >/dev/null && command -v ip >/dev/null && unshare --net true 2>/dev/null; then
  export _PACEDNS_BENCH_NETNS=1
  exec unshare --net -- bash "$0" "$@"
fi
BENCH_NETNS=no
if [ -n "${_PACEDNS_BENCH_NETNS:-}" ]; then
  ip link set lo up
  BENCH_NETNS=yes
fi
export BENCH_NETNS

for t in nsd dnsdist resperf python3; do
  command -v "$t" >/dev/null || { echo "bench: $t not found (scripts/install-deps.sh)" >&2; exit 2; }
done
[ -x "$PACEDNS" ] || { echo "bench: $PACEDNS is not executable (build pacedns first)" >&2; exit 2; }

# The lab's kill-by-PID cleanup (also on SIGINT/SIGTERM, and PR_SET_PDEATHSIG) runs in
# the Python process; exec so that no shell is left between it and the caller.
exec python3 - <<'PY'
import json
import os
import random
import re
import sys
import time

sys.path.insert(0, os.environ["BENCH_FIX"])
import lab  # noqa: E402

CAPS = [int(x) for x in os.environ.get("BENCH_CAPS", "500 2000 5000").split()]
ACTIONS = os.environ.get("BENCH_ACTIONS", "drop refused tc").split()
DURATION = float(os.environ.get("BENCH_PROBE_DURATION", "15"))
RAMP = float(os.environ.get("BENCH_RESPERF_RAMP", "10"))
LUA = {"drop": "DropAction()", "refused": "RCodeAction(DNSRCode.REFUSED)", "tc": "TCAction()"}
TARGET_ERR, TARGET_S = 0.05, 5.0
HEADER = ["server", "optimal_qps", "loss_%", "p50_ms", "p99_ms", "converged_s", "edges"]


def say(*a):
    print("bench:", *a, file=sys.stderr, flush=True)


def num(s):
    try:
        return float(s)
    except (TypeError, ValueError):
        return None


def probe(L, dd, tag):
    stats = L.path("probe-%s.json" % tag)
    t0 = time.monotonic()
    try:
        rc, out, err = L.run_pacedns(["probe", "-s", dd.addr, "--zone", "example.test",
                                      "--duration", "%g" % DURATION, "--stats", stats, "-q"],
                                     timeout=DURATION + 30)
    except lab.LabError as e:
        say("pacedns probe %s: %s" % (tag, e))
        return {}
    wall = time.monotonic() - t0
    if rc != 0:
        say("pacedns probe %s exited %d: %s" % (tag, rc, err[-300:]))
    row = {}
    for ln in out.splitlines():
        f = ln.split()
        if len(f) == len(HEADER) and f[0] == dd.addr:
            row = dict(zip(HEADER, f))
    r = {"found_qps": num(row.get("optimal_qps")), "loss_pct": num(row.get("loss_%")),
         "converged_s": None, "edges": num(row.get("edges")), "wall_s": wall, "rc": rc}
    try:
        with open(stats) as f:
            s = json.load(f)["servers"][0]
        r["converged_s"] = s.get("converged_after_s")
        r["timeouts"], r["tc"] = s.get("timeouts"), s.get("tc")
    except (OSError, ValueError, KeyError, IndexError):
        pass
    return r


def resperf(L, dd, cap, tag):
    data = L.path("resperf-%d.txt" % cap)
    if not os.path.exists(data):
        rng = random.Random(cap)
        n = int(cap * RAMP * 1.2) + 1000  # about 2C x RAMP / 2 queries over the ramp
        with open(data, "w") as f:
            f.write("".join("r%08x.example.test A\n" % rng.getrandbits(32) for _ in range(n)))
    argv = ["resperf", "-s", "127.0.0.1", "-p", str(dd.port), "-d", data, "-m", str(2 * cap),
            "-r", "%g" % RAMP, "-t", "2", "-P", L.path("resperf-%s.gnuplot" % tag)]
    t0 = time.monotonic()
    # resperf runs in its own process group, killed by PID by the lab on any exit
    with open(L.path("resperf-%s.out" % tag), "wb") as out:
        ch = L.spawn("resperf", argv, stdout=out)
    try:
        ch.proc.wait(timeout=RAMP + 30)
    except Exception:
        say("resperf %s did not finish in %.0f s" % (tag, RAMP + 30))
    L.kill(ch)
    wall = time.monotonic() - t0
    with open(L.path("resperf-%s.out" % tag), errors="replace") as f:
        out = f.read()
    m = re.search(r"Maximum throughput:\s+([\d.]+)", out)
    lost = re.search(r"Lost at that point:\s+([\d.]+)%", out)
    if not m:
        say("resperf %s: no 'Maximum throughput' line: %s" % (tag, out[-300:]))
    return {"max_qps": float(m.group(1)) if m else None,
            "lost_pct": float(lost.group(1)) if lost else None, "wall_s": wall}


def fmt(v, f, none="-"):
    return f % v if v is not None else none


def run():
    rows = []
    with lab.Lab() as L:
        info = L.zones(hosts=100, ptr_count=0, with_expected=False)
        ns = L.start_nsd(info["zones"])
        say("NSD on %s; network namespace: %s; pacedns %s" % (ns.addr, os.environ.get("BENCH_NETNS"),
                                                               lab.pacedns_path()))
        for cap in CAPS:
            for act in ACTIONS:
                tag = "%d-%s" % (cap, act)
                dd = L.start_dnsdist(backend=ns, ready_query=("example.test.", "SOA"), rule_lua_lines=[
                    "addAction(NotRule(MaxQPSRule(%d, %d)), %s)" % (cap, max(1, cap // 100), LUA[act])])
                say("C=%d %s: pacedns probe" % (cap, act))
                p = probe(L, dd, tag)
                say("C=%d %s: resperf -m %d -r %g" % (cap, act, 2 * cap, RAMP))
                r = resperf(L, dd, cap, tag)
                L.kill(dd)
                f = p.get("found_qps")
                perr = (f / cap - 1) * 100 if f else None
                rerr = (r["max_qps"] / cap - 1) * 100 if r.get("max_qps") else None
                conv = p.get("converged_s")
                met = (perr is not None and abs(perr) <= TARGET_ERR * 100 and conv is not None
                       and conv <= TARGET_S)
                rows.append({"cap": cap, "action": act, "pacedns_qps": f, "pacedns_err_pct": perr,
                             "converged_s": conv, "loss_pct": p.get("loss_pct"),
                             "probe_wall_s": p.get("wall_s"), "target_met": met,
                             "resperf_qps": r.get("max_qps"), "resperf_err_pct": rerr,
                             "resperf_lost_pct": r.get("lost_pct")})
                say("  pacedns %s q/s (%s %%) converged %s s; resperf %s q/s" % (
                    fmt(f, "%.0f"), fmt(perr, "%+.1f"), fmt(conv, "%.1f", "no"),
                    fmt(r.get("max_qps"), "%.0f")))
    print("pacedns probe (profile bench) vs resperf against dnsdist "
          "addAction(NotRule(MaxQPSRule(C, C/100)), ACTION); target: within +-5 % in <= 5 s")
    print("%6s %-8s | %9s %7s %8s %7s %6s | %9s %7s %7s" % (
        "C", "action", "pacedns", "err", "conv_s", "loss_%", "target", "resperf", "err", "lost_%"))
    for x in rows:
        print("%6d %-8s | %9s %7s %8s %7s %6s | %9s %7s %7s" % (
            x["cap"], x["action"], fmt(x["pacedns_qps"], "%.0f"), fmt(x["pacedns_err_pct"], "%+.1f%%"),
            fmt(x["converged_s"], "%.1f", "no"), fmt(x["loss_pct"], "%.2f"),
            "met" if x["target_met"] else "MISSED", fmt(x["resperf_qps"], "%.0f"),
            fmt(x["resperf_err_pct"], "%+.1f%%"), fmt(x["resperf_lost_pct"], "%.2f")))
    met = sum(1 for x in rows if x["target_met"])
    print("pacedns target met in %d of %d runs" % (met, len(rows)))
    if os.environ.get("BENCH_JSON"):
        with open(os.environ["BENCH_JSON"], "w") as f:
            json.dump({"rows": rows, "probe_duration_s": DURATION, "resperf_ramp_s": RAMP}, f, indent=1)
    return 0


sys.exit(lab.main(run))
PY
