#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""pacedns probe finds a server's capacity: dnsdist in front of NSD caps the whole server
at C queries/s with addAction(NotRule(MaxQPSRule(C, C/100)), ACTION), for ACTION = drop,
REFUSED and TC. `pacedns probe --zone example.test` (random labels: uncacheable NXDOMAIN
load) must report an optimal rate within +-15 % of C within 15 s (wall time of the whole
run, which ends when the estimate converged), for C = 1000 and 3000 (6 runs).

Also checked: the table on stdout and the stats JSON agree (optimal_qps, edges,
converged_after_s), and the cap was really hit (timeouts for drop, REFUSED rcodes for
REFUSED, TC answers for TC), so the estimate did not come from some other limit.

And `probe --qps N` (fixed-rate load generation, controller off) against the capped
dnsdist at 1000 q/s offers N per second for --duration (sent within 10 %), prints its
load table, and shows the cap: answered/s near C, the rest lost."""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "lab"))
import lab  # noqa: E402

lab.isolate_network()

CAPS = (1000, 3000)
ACTIONS = (("drop", "DropAction()"),
           ("REFUSED", "RCodeAction(DNSRCode.REFUSED)"),
           ("TC", "TCAction()"))
TOLERANCE = 0.15      # spec: within +-15 % of C
LIMIT_S = 15.0        # spec: within 15 s
HEADER = ["server", "optimal_qps", "loss_%", "p50_ms", "p99_ms", "converged_s", "edges"]


def num(s):
    try:
        return float(s)
    except (TypeError, ValueError):
        return None


def parse_table(out):
    """{server: {column: text}} from the probe table; None when the header is missing."""
    lines = [ln for ln in out.splitlines() if ln.strip()]
    if not lines or lines[0].split() != HEADER:
        return None
    rows = {}
    for ln in lines[1:]:
        f = ln.split()
        if len(f) == len(HEADER):
            rows[f[0]] = dict(zip(HEADER, f))
    return rows


LOAD_HEADER = ["server", "sent", "answered", "sent_qps", "ans_qps", "loss_%", "p50_ms", "p99_ms"]


def check_load(C, L, ns):
    """probe --qps: 2000 q/s offered for 3 s to a server capped at 1000 q/s (drop)."""
    cap, qps, secs = 1000, 2000, 3
    dd = L.start_dnsdist(backend=ns, ready_query=("example.test.", "SOA"), rule_lua_lines=[
        "addAction(NotRule(MaxQPSRule(%d, %d)), DropAction())" % (cap, cap // 100)])
    stats = L.path("load.json")
    rc, out, err = L.run_pacedns(["probe", "-s", dd.addr, "--zone", "example.test", "--qps", str(qps),
                                  "--duration", str(secs), "--timeout", "500", "--stats", stats], timeout=60)
    L.kill(dd)
    C.eq(rc, 0, "load: exit code (stderr: %s)" % err[-500:])
    lines = [ln.split() for ln in out.splitlines() if ln.strip()]
    if not C.check(lines and lines[0] == LOAD_HEADER, "load: table header %r" % (lines[:1],)):
        return
    row = dict(zip(LOAD_HEADER, lines[1])) if len(lines) > 1 else {}
    sent, ans = num(row.get("sent")), num(row.get("answered"))
    C.check(sent is not None and abs(sent - qps * secs) <= 0.1 * qps * secs,
            "load: sent %s, want %d +-10 %%" % (row.get("sent"), qps * secs))
    C.check(ans is not None and abs(ans - cap * secs) <= 0.2 * cap * secs,
            "load: answered %s, want about %d (the cap)" % (row.get("answered"), cap * secs))
    with open(stats) as f:
        doc = json.load(f)
    s = doc["servers"][0]
    C.eq(doc.get("controller", {}).get("mode"), "fixed", "load: controller mode")
    C.eq(str(s.get("sent")), row.get("sent"), "load: stats sent vs table")
    C.check(all(abs(p["target_qps"] - qps) < 1 for p in s.get("timeseries") or []),
            "load: target_qps not %d throughout" % qps)
    print("load: %s" % " ".join(lines[1]), flush=True)


def near_figures(ts, opt):
    """(loss %, median p50, median p99) of the intervals whose target is within
    0.85..1.05 x opt; None for a figure with no interval."""
    if not isinstance(opt, (int, float)) or opt <= 0:
        return None, None, None
    near = [p for p in ts if 0.85 * opt <= p["target_qps"] <= 1.05 * opt]
    sent = sum(p["sent"] for p in near)
    lost = sum(p["lost"] + p["errors"] + p["tc"] for p in near)
    lat = [p for p in near if p.get("p50_ms") is not None and p["p50_ms"] >= 0]
    med = lambda v: sorted(v)[len(v) // 2] if v else None  # noqa: E731
    return (100.0 * lost / sent if sent else None, med([p["p50_ms"] for p in lat]),
            med([p["p99_ms"] for p in lat]))


def run():
    C = lab.Checker("test_probe")
    results = []
    with lab.Lab() as L:
        info = L.zones(hosts=100)
        ns = L.start_nsd(info["zones"])
        check_load(C, L, ns)
        for cap in CAPS:
            for act, lua in ACTIONS:
                what = "C=%d %s" % (cap, act)
                dd = L.start_dnsdist(backend=ns, ready_query=("example.test.", "SOA"), rule_lua_lines=[
                    "addAction(NotRule(MaxQPSRule(%d, %d)), %s)" % (cap, cap // 100, lua)])
                stats = L.path("probe-%d-%s.json" % (cap, act))
                t0 = time.monotonic()
                rc, out, err = L.run_pacedns(["probe", "-s", dd.addr, "--zone", "example.test",
                                              "--duration", "15", "--stats", stats], timeout=60)
                wall = time.monotonic() - t0
                L.kill(dd)
                C.eq(rc, 0, "%s: exit code (stderr: %s)" % (what, err[-500:]))
                rows = parse_table(out)
                if not C.check(rows is not None and dd.addr in rows,
                               "%s: no table row for %s in stdout:\n%s" % (what, dd.addr, out)):
                    continue
                row = rows[dd.addr]
                found = num(row["optimal_qps"])
                conv = num(row["converged_s"])
                err_pct = (found / cap - 1) * 100 if found else None
                results.append((cap, act, found, err_pct, conv, row["loss_%"], wall))
                print("%s: optimal_qps %s (%s), converged_s %s, edges %s, loss %s %%, wall %.2f s"
                      % (what, row["optimal_qps"], "%+.1f %%" % err_pct if err_pct is not None else "-",
                         row["converged_s"], row["edges"], row["loss_%"], wall), flush=True)
                C.check(found is not None and abs(found - cap) <= TOLERANCE * cap,
                        "%s: optimal_qps %s not within +-15 %% of %d" % (what, row["optimal_qps"], cap))
                C.check(conv is not None and conv <= LIMIT_S,
                        "%s: converged_s %s, want <= %.0f" % (what, row["converged_s"], LIMIT_S))
                C.check(wall <= LIMIT_S, "%s: wall time %.2f s > %.0f s" % (what, wall, LIMIT_S))

                # the stats JSON says the same
                try:
                    with open(stats) as f:
                        doc = json.load(f)
                    srv = [s for s in doc["servers"] if s.get("server") == dd.addr]
                except (OSError, ValueError, KeyError, TypeError) as e:
                    C.check(False, "%s: stats %s unreadable: %s" % (what, stats, e))
                    continue
                if not C.eq(len(srv), 1, "%s: servers in stats" % what):
                    continue
                s = srv[0]
                opt, edges, cas = s.get("optimal_qps"), s.get("edges"), s.get("converged_after_s")
                if found is None or abs(found - cap) > TOLERANCE * cap or conv is None or conv > LIMIT_S:
                    # for the log of a failed run: what the controller met, interval by interval
                    print("%s: diagnosis: edges %s; per interval t:target/sent/answered/lost/p99_ms: %s" % (
                        what, [round(e) for e in edges or []],
                        " ".join("%.2f:%.0f/%d/%d/%d/%.1f" % (p.get("t", 0), p.get("target_qps", 0), p.get("sent", 0),
                                                           p.get("answered", 0), p.get("lost", 0), p.get("p99_ms", 0))
                                 for p in (s.get("timeseries") or [])[:80])), flush=True)
                C.check(isinstance(opt, (int, float)) and found is not None and abs(opt - found) <= 1,
                        "%s: stats optimal_qps %r vs table %s" % (what, opt, row["optimal_qps"]))
                C.check(isinstance(edges, list) and str(len(edges)) == row["edges"],
                        "%s: stats edges %r vs table %s" % (what, edges, row["edges"]))
                C.check(isinstance(cas, (int, float)) and conv is not None and abs(cas - conv) <= 0.05,
                        "%s: stats converged_after_s %r vs table %s" % (what, cas, row["converged_s"]))
                C.check(isinstance(s.get("timeseries"), list) and len(s["timeseries"]) > 0,
                        "%s: empty timeseries" % what)
                # loss and latency near the found rate: the table's figures (from the
                # library's structs) are those of the intervals in the stats document
                # whose target is within 0.85..1.05 of optimal_qps
                want = near_figures(s.get("timeseries") or [], opt)
                for col, w in zip(("loss_%", "p50_ms", "p99_ms"), want):
                    got = num(row[col])
                    C.check((w is None and row[col] == "-") or
                            (w is not None and got is not None and abs(got - w) <= 0.006),
                            "%s: table %s %s vs stats %r" % (what, col, row[col], w))
                # the cap was what stopped the controller
                if act == "drop":
                    C.check((s.get("timeouts") or 0) > 0, "%s: no timeouts: the cap was never hit" % what)
                elif act == "REFUSED":
                    C.check(((s.get("rcodes") or {}).get("REFUSED") or 0) > 0,
                            "%s: no REFUSED answers: the cap was never hit" % what)
                else:
                    C.check((s.get("tc") or 0) > 0, "%s: no TC answers: the cap was never hit" % what)

    print("\n%6s %-8s %10s %8s %12s %8s %8s" % ("C", "action", "found_qps", "error", "converged_s",
                                               "loss_%", "wall_s"))
    for cap, act, found, e, conv, loss, wall in results:
        print("%6d %-8s %10s %8s %12s %8s %8.2f" % (
            cap, act, "%.0f" % found if found else "-", "%+.1f%%" % e if e is not None else "-",
            "%.1f" % conv if conv is not None else "no", loss, wall))
    return C.done()


if __name__ == "__main__":
    sys.exit(lab.main(run))
