#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""-j/--threads: names shared out over N event loops on N threads.

Against a real NSD and a real Knot serving the same generated zones:
- `resolve -j 2` gives exactly one record per (name, type), each the expected one, and
  the same statuses and answers as `-j 1`;
- the stats merge the threads per server: each server's sent/answered/timeouts/retries
  equal the sum of its per-thread figures ("threads"), both threads did work, and the
  merged figures agree with the records themselves (queries per server == records
  answered by that server, when every record took one attempt; histogram total ==
  answered; rcodes sum == answered);
- rate limits are divided: with --qps Q and -j 2 the merged target rate is Q per
  server and the run takes at least the time Q allows;
- an interrupted -j 2 run (SIGINT) resumed with -j 2 has every line exactly once;
- `probe -j 2` still finds a capped server's rate (dnsdist MaxQPSRule drop), when
  dnsdist is installed."""
import collections
import json
import os
import shutil
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "lab"))
import lab  # noqa: E402

lab.isolate_network()
TYPES = ["A", "AAAA", "MX", "TXT"]
HOSTS = 2000
QPS = 3000


def by_key(recs):
    out = collections.defaultdict(list)
    for r in recs:
        out[(r.get("name"), r.get("type"))].append(r)
    return out


def check_once(C, what, recs, names, types):
    want = collections.Counter((n, t) for _, n in names for t in types)
    got = collections.Counter((r.get("name"), r.get("type")) for r in recs)
    missing, extra = want - got, got - want
    C.check(not missing, "%s: %d records missing, e.g. %r" % (what, sum(missing.values()), list(missing)[:5]))
    C.check(not extra, "%s: %d duplicate/unexpected records, e.g. %r" % (what, sum(extra.values()), list(extra)[:5]))


def answers_of(r):
    return sorted((a.get("name", "").lower(), a.get("type"), a.get("data")) for a in r.get("answers") or [])


def run():
    C = lab.Checker("test_threads")
    with lab.Lab() as L:
        info = L.zones(hosts=HOSTS)
        exp = lab.load_expected(info)
        names = lab.read_names(info["names"])
        ns = L.start_nsd(info["zones"])
        kn = L.start_knot(info["zones"])
        servers = [ns.addr, kn.addr]
        base = ["resolve", "-s", ns.addr, "-s", kn.addr, "-t", ",".join(TYPES), "--qps", str(QPS),
                "--interval", "0.25", "--no-progress"]

        # ---- -j 1 and -j 2, same input
        recs = {}
        stats = {}
        walls = {}
        for j in (1, 2):
            out, st = L.path("out%d.ndjson" % j), L.path("stats%d.json" % j)
            t0 = time.monotonic()
            rc, _, err = L.run_pacedns(base + ["-j", str(j), "-o", out, "--stats", st, info["names"]],
                                       timeout=180)
            walls[j] = time.monotonic() - t0
            C.eq(rc, 0, "-j %d: exit code (stderr: %s)" % (j, err[-800:]))
            with open(out) as f:
                recs[j] = lab.parse_ndjson(f.read())
            with open(st) as f:
                stats[j] = json.load(f)
            check_once(C, "-j %d" % j, recs[j], names, TYPES)
        n_checked = 0
        for r in recs[2]:
            key = "%s|%s" % (r.get("name"), r.get("type"))
            if key in exp:
                lab.compare_record(C, "-j 2 " + key, r, exp[key])
                n_checked += 1
        C.check(n_checked >= len(names), "-j 2: only %d records had an expected answer" % n_checked)
        one, two = by_key(recs[1]), by_key(recs[2])
        diff = [k for k in one if k in two and (one[k][0].get("status"), answers_of(one[k][0])) !=
                (two[k][0].get("status"), answers_of(two[k][0]))]
        C.check(not diff, "-j 1 and -j 2 differ on %d records, e.g. %r" % (len(diff), diff[:3]))

        # ---- the merged stats
        st = stats[2]
        C.eq(st.get("threads"), 2, "-j 2: stats threads")
        C.eq(stats[1].get("threads"), 1, "-j 1: stats threads")
        tot = st.get("totals") or {}
        C.eq(tot.get("names"), len(names), "-j 2: totals.names")
        C.eq(tot.get("records"), len(recs[2]), "-j 2: totals.records")
        tt = st.get("thread_totals") or []
        C.eq(len(tt), 2, "-j 2: thread_totals entries")
        C.eq(sum(t.get("names", 0) for t in tt), len(names), "-j 2: sum of the threads' names")
        C.eq(sum(t.get("records", 0) for t in tt), len(recs[2]), "-j 2: sum of the threads' records")
        C.check(all(t.get("names", 0) >= len(names) // 10 for t in tt),
                "-j 2: a thread did (almost) nothing: %r" % tt)
        statuses = collections.Counter(r.get("status") for r in recs[2])
        C.eq(tot.get("statuses"), dict(statuses), "-j 2: totals.statuses vs records")
        one_attempt = all(r.get("attempts") == 1 for r in recs[2] if r.get("status") != "INVALID_NAME")
        per_server = collections.Counter(r.get("server") for r in recs[2] if r.get("attempts"))
        sl = {s.get("server"): s for s in st.get("servers") or []}
        C.eq(sorted(sl), sorted(servers), "-j 2: servers in stats")
        dur = st.get("duration_s") or 0
        for name in servers:
            s = sl.get(name) or {}
            th = s.get("threads") or []
            C.eq(len(th), 2, "%s: per-thread entries" % name)
            for f in ("sent", "answered", "timeouts", "retries"):
                C.eq(s.get(f), sum(t.get(f, 0) for t in th), "%s: %s == sum of the threads'" % (name, f))
            C.check(all(t.get("sent", 0) > 0 for t in th), "%s: a thread sent nothing: %r" % (name, th))
            C.eq(s.get("answered"), s.get("sent"), "%s: every query answered" % name)
            if one_attempt:
                C.eq(s.get("sent"), per_server[name], "%s: queries sent == records it answered" % name)
            C.eq(sum(h[2] for h in s.get("histogram") or []), s.get("answered"), "%s: histogram total" % name)
            C.eq(sum((s.get("rcodes") or {}).values()), s.get("answered"), "%s: rcodes total" % name)
            ts = s.get("timeseries") or []
            tsent = sum(e.get("sent", 0) for e in ts)
            C.check(0.9 * s.get("sent", 0) <= tsent <= s.get("sent", 0),
                    "%s: timeseries sent %d vs sent %r" % (name, tsent, s.get("sent")))
            tq = [e.get("target_qps") for e in ts]
            C.check(tq and all(abs(q - QPS) <= QPS * 0.001 for q in tq[:-1]),
                    "%s: merged target_qps is not --qps %d: %r" % (name, QPS, tq[:8]))
            sent = s.get("sent", 0)
            C.check(dur >= (sent - QPS * 0.1) / QPS * 0.9,
                    "%s: %d queries in %.2f s: more than --qps %d with 2 threads" % (name, sent, dur, QPS))

        # ---- interrupt a -j 2 run, resume it with -j 2
        out, ck = L.path("resume.ndjson"), L.path("resume.ckpt")
        slow = ["resolve", "-s", ns.addr, "-s", kn.addr, "-t", ",".join(TYPES), "--qps", "600",
                "--no-progress", "-j", "2"]
        ch = L.spawn_pacedns(slow + ["-o", out, "--checkpoint", ck, info["names"]])
        time.sleep(2.5)
        os.kill(ch.pid, signal.SIGINT)
        try:
            rc1 = ch.proc.wait(timeout=30)
        except Exception:
            rc1 = None
        C.eq(rc1, 130, "resume: first run's exit status after SIGINT")
        with open(out) as f:
            part = lab.parse_ndjson(f.read())
        C.check(0 < len(part) < len(names) * len(TYPES), "resume: first run wrote %d records" % len(part))
        rc, _, err = L.run_pacedns(["resolve", "-s", ns.addr, "-s", kn.addr, "-t", ",".join(TYPES),
                                    "--qps", str(QPS), "--no-progress", "-j", "2", "--resume", ck,
                                    info["names"]], timeout=180)
        C.eq(rc, 0, "resume: exit code (stderr: %s)" % err[-800:])
        with open(out) as f:
            allr = lab.parse_ndjson(f.read())
        check_once(C, "resume -j 2", allr, names, TYPES)

        # ---- probe -j 2: two controllers per server still find its capacity
        if shutil.which("dnsdist"):
            cap = 2000
            dd = L.start_dnsdist(backend=ns, ready_query=("example.test.", "SOA"), rule_lua_lines=[
                "addAction(NotRule(MaxQPSRule(%d, %d)), DropAction())" % (cap, cap // 100)])
            pst = L.path("probe.json")
            rc, out_t, err = L.run_pacedns(["probe", "-j", "2", "-s", dd.addr, "--zone", "example.test",
                                            "--duration", "15", "--stats", pst, "-q"], timeout=90)
            C.eq(rc, 0, "probe -j 2: exit code (stderr: %s)" % err[-800:])
            with open(pst) as f:
                ps = json.load(f)
            s = (ps.get("servers") or [{}])[0]
            opt = s.get("optimal_qps")
            C.check(isinstance(opt, (int, float)) and abs(opt / cap - 1) <= 0.15,
                    "probe -j 2: optimal_qps %r, cap %d (+-15 %%)" % (opt, cap))
            C.eq(len(s.get("threads") or []), 2, "probe -j 2: per-thread entries")
            print("probe -j 2: optimal_qps %s for a cap of %d" % (opt, cap))
        else:
            print("SKIP probe -j 2: dnsdist not installed")
        print("-j 1: %.2f s, -j 2: %.2f s (wall, %d names x %d types, --qps %d per server)" % (
            walls[1], walls[2], len(names), len(TYPES), QPS))
    return C.done()


if __name__ == "__main__":
    sys.exit(run())
