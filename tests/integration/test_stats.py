#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""--stats FILE: the JSON schema, sums that agree with the records (and with what the
servers really received), the fixed --qps honoured, a time series every --interval."""
import collections
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "lab"))
import lab  # noqa: E402

lab.isolate_network()
NUM = (int, float)
SERVER_KEYS = {"server", "sent", "answered", "timeouts", "retries", "rcodes", "tc", "errors",
               "latency_ms", "answered_qps", "histogram", "timeseries"}
TS_KEYS = {"t", "target_qps", "sent", "answered", "lost", "errors", "tc", "p50_ms", "p99_ms"}
LAT_KEYS = ("min", "p50", "p90", "p99", "p999", "max")


def check_schema(C, what, st, n_names, recs, servers, qps=None, interval=None):
    for k in ("pacedns_version", "started", "duration_s", "totals", "servers"):
        C.check(k in st, "%s: stats lacks %r" % (what, k))
    C.check(isinstance(st.get("pacedns_version"), str) and st["pacedns_version"], "%s: pacedns_version" % what)
    C.check(isinstance(st.get("started"), (str, int, float)), "%s: started %r" % (what, st.get("started")))
    dur = st.get("duration_s")
    C.check(isinstance(dur, NUM) and dur > 0, "%s: duration_s %r" % (what, dur))
    tot = st.get("totals") or {}
    C.eq(tot.get("names"), n_names, "%s: totals.names" % what)
    C.eq(tot.get("records"), len(recs), "%s: totals.records" % what)
    stc = tot.get("statuses") or {}
    C.eq(sum(stc.values()), tot.get("records"), "%s: sum of totals.statuses" % what)
    want = collections.Counter(r.get("status") for r in recs)
    C.eq({k: v for k, v in stc.items() if v}, dict(want), "%s: totals.statuses vs records" % what)
    sl = st.get("servers") or []
    C.eq(sorted(s.get("server") for s in sl), sorted(servers), "%s: servers" % what)
    C.eq(sum(s.get("sent", 0) for s in sl), sum(r.get("attempts") or 0 for r in recs),
         "%s: sum of servers' sent == sum of records' attempts" % what)
    C.check(sum(s.get("sent", 0) for s in sl) >= sum(1 for r in recs if r.get("status") != "INVALID_NAME"),
            "%s: fewer queries sent than records" % what)
    by = {}
    for s in sl:
        k = "%s %s" % (what, s.get("server"))
        by[s.get("server")] = s
        C.check(SERVER_KEYS <= set(s), "%s: server keys missing %r" % (k, SERVER_KEYS - set(s)))
        for f in ("sent", "answered", "timeouts", "retries", "tc", "errors"):
            C.check(isinstance(s.get(f), int) and s[f] >= 0, "%s: %s %r" % (k, f, s.get(f)))
        sent, ans, to = s.get("sent", 0), s.get("answered", 0), s.get("timeouts", 0)
        C.check(ans <= sent, "%s: answered %d > sent %d" % (k, ans, sent))
        C.check(ans + to <= sent, "%s: answered %d + timeouts %d > sent %d" % (k, ans, to, sent))
        C.check(ans + to + s.get("errors", 0) >= sent,
                "%s: %d sent queries neither answered, timed out nor failed" % (k, sent - ans - to))
        C.eq(sum((s.get("rcodes") or {}).values()), ans, "%s: sum of rcodes == answered" % k)
        lat = s.get("latency_ms") or {}
        if ans:
            vals = [lat.get(x) for x in LAT_KEYS]
            C.check(all(isinstance(v, NUM) for v in vals) and vals == sorted(vals) and vals[0] >= 0,
                    "%s: latency_ms not ordered min<=p50<=...<=max: %r" % (k, lat))
            C.check(isinstance(lat.get("mean"), NUM) and vals[0] <= lat["mean"] <= vals[-1],
                    "%s: latency mean %r" % (k, lat.get("mean")))
            C.check(isinstance(s.get("answered_qps"), NUM) and s["answered_qps"] > 0,
                    "%s: answered_qps %r" % (k, s.get("answered_qps")))
        hist = s.get("histogram") or []
        C.check(all(isinstance(h, list) and len(h) == 3 and h[0] < h[1] and h[2] >= 0 for h in hist),
                "%s: histogram entries [lo,hi,n]: %r" % (k, hist[:3]))
        C.eq(sum(h[2] for h in hist if isinstance(h, list) and len(h) == 3), ans, "%s: histogram total" % k)
        los = [h[0] for h in hist if isinstance(h, list) and len(h) == 3]
        C.eq(los, sorted(los), "%s: histogram sorted" % k)
        ts = s.get("timeseries") or []
        if interval and dur and dur > 3 * interval and sent:
            C.check(len(ts) >= 2, "%s: timeseries has %d entries over %.1f s at interval %s" % (k, len(ts), dur, interval))
        for e in ts:
            C.check(TS_KEYS <= set(e), "%s: timeseries keys missing %r" % (k, TS_KEYS - set(e)))
            if e.get("p50_ms") is not None and e.get("p99_ms") is not None:
                C.check(e["p50_ms"] <= e["p99_ms"], "%s: timeseries p50 %r > p99 %r" % (k, e["p50_ms"], e["p99_ms"]))
        t = [e.get("t") for e in ts]
        C.check(all(isinstance(x, NUM) for x in t) and t == sorted(t), "%s: timeseries t not increasing: %r" % (k, t[:10]))
        tsent = sum(e.get("sent", 0) for e in ts)
        C.check(tsent <= sent and tsent >= 0.9 * sent, "%s: timeseries sent %d vs sent %d" % (k, tsent, sent))
        tans = sum(e.get("answered", 0) for e in ts)
        C.check(tans <= ans and tans >= 0.9 * ans, "%s: timeseries answered %d vs answered %d" % (k, tans, ans))
        if qps:
            C.check(all((e.get("target_qps") or 0) <= qps * 1.001 for e in ts),
                    "%s: target_qps above --qps %s: %r" % (k, qps, [e.get("target_qps") for e in ts][:10]))
            if sent > qps:  # the rate cap, with slack for the first burst
                C.check(dur >= (sent - qps * 0.2) / qps * 0.9,
                        "%s: %d queries in %.2f s exceeds --qps %s" % (k, sent, dur, qps))
    return by


def run():
    C = lab.Checker("test_stats")
    with lab.Lab() as L:
        info = L.zones(hosts=1500)
        exp = lab.load_expected(info)
        ns = L.start_nsd(info["zones"])
        names = lab.read_names(info["hosts_file"])

        # ---- one NSD, fixed rate 1000/s, 1500 names -> about 1.5 s; records to -o FILE
        stats, outf = L.path("stats1.json"), L.path("out1.ndjson")
        t0 = time.monotonic()
        rc, out, err = L.run_pacedns(["resolve", "-s", ns.addr, "--qps", "1000", "--interval", "0.2",
                                      "--stats", stats, "-o", outf, info["hosts_file"]], timeout=120)
        wall = time.monotonic() - t0
        C.eq(rc, 0, "nsd: exit code (stderr: %s)" % err[-500:])
        C.eq(out, "", "nsd: stdout not empty with -o")
        with open(outf) as f:
            recs = lab.parse_ndjson(f.read())
        C.eq(len(recs), len(names), "nsd: records")
        for r in recs[:200]:
            k = "%s|A" % r.get("name")
            if k in exp:
                lab.compare_record(C, k, r, exp[k])
        with open(stats) as f:
            st = json.load(f)
        by = check_schema(C, "nsd", st, len(names), recs, [ns.addr], qps=1000, interval=0.2)
        s = by.get(ns.addr, {})
        C.eq(s.get("answered"), s.get("sent"), "nsd: every query answered")
        C.eq(s.get("timeouts"), 0, "nsd: timeouts")
        C.eq((s.get("rcodes") or {}).get("NOERROR"), len(names), "nsd: NOERROR rcodes")
        C.check(s.get("answered_qps", 0) <= 1000 * 1.1, "nsd: answered_qps %r above --qps 1000" % s.get("answered_qps"))
        C.check(len(s.get("timeseries") or []) >= 4, "nsd: timeseries entries %d" % len(s.get("timeseries") or []))
        C.check(st.get("duration_s", 0) <= wall + 0.5, "nsd: duration_s %r > wall %.2f" % (st.get("duration_s"), wall))
        print("nsd: %d records, %.2f s, %d timeseries entries, answered_qps %.0f" % (
            len(recs), st.get("duration_s", 0), len(s.get("timeseries") or []), s.get("answered_qps") or 0))

        # ---- blackhole + NSD: the blackhole's queries all time out, nothing is lost
        bh = L.start_blackhole()
        stats = L.path("stats2.json")
        few = "".join("%s\n" % n for _, n in names[:100])
        rc, out, err = L.run_pacedns(["resolve", "-s", bh.addr, "-s", ns.addr, "--qps", "200", "--timeout", "300",
                                      "--retries", "2", "--interval", "0.2", "--stats", stats, "-t", "A,AAAA"],
                                     input_text=few, timeout=120)
        C.eq(rc, 0, "bh+nsd: exit code (stderr: %s)" % err[-500:])
        recs = lab.parse_ndjson(out)
        C.eq(len(recs), 200, "bh+nsd: records")
        C.check(all(r.get("status") in ("NOERROR", "NODATA") for r in recs), "bh+nsd: lost records: %r" % [
            r for r in recs if r.get("status") not in ("NOERROR", "NODATA")][:3])
        with open(stats) as f:
            st = json.load(f)
        by = check_schema(C, "bh+nsd", st, 100, recs, [bh.addr, ns.addr], qps=200, interval=0.2)
        b, n = by.get(bh.addr, {}), by.get(ns.addr, {})
        C.eq(b.get("answered"), 0, "bh+nsd: blackhole answered")
        C.eq(b.get("timeouts"), b.get("sent"), "bh+nsd: blackhole timeouts == sent")
        C.check(b.get("sent", 0) > 0, "bh+nsd: nothing sent to the blackhole")
        C.eq(n.get("timeouts"), 0, "bh+nsd: nsd timeouts")
        C.eq(sum(s.get("retries", 0) for s in by.values()), b.get("timeouts"),
             "bh+nsd: retries (all servers) == timeouts (every timeout was retried)")
        ts = b.get("timeseries") or []
        C.check(sum(e.get("lost", 0) for e in ts) >= 0.9 * b.get("timeouts", 0),
                "bh+nsd: blackhole timeseries lost %d vs timeouts %s" % (sum(e.get("lost", 0) for e in ts), b.get("timeouts")))
        print("bh+nsd: blackhole sent %s timeouts %s, nsd sent %s" % (b.get("sent"), b.get("timeouts"), n.get("sent")))
    return C.done()


if __name__ == "__main__":
    sys.exit(lab.main(run))
