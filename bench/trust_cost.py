#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The cost of the trust checks (#14), side by side in one run on the same servers.

NSD serves example.test (N hosts) and 50 wildcard zones wc0.test .. wc49.test; two
dnsdist front-ends (bulk) and a third (trusted) stand in front of it. The same list is
resolved with the same fixed rate under each configuration, the configurations
alternating (REPS rounds), and the medians are printed:

- plain:      no trust checks
- canaries:   --canaries
- trusted:    --trusted T (canaries with a trusted reference)
- verify:     --trusted T --verify --trusted-qps 100000
- wildcards:  --wildcards mark

Figures: names/s (names / wall time), queries sent to the bulk servers (and to the
trusted one), the extra queries in % of the plain run's, and wildcard false positives
(records marked on example.test). A second list, half the names under the 50 wildcard
parents, gives the wildcard probes per parent.

Usage: bench/trust_cost.py [NAMES] (default 100000; env BENCH_QPS per server, default
20000; BENCH_REPS, default 2). Loopback only, in a private network namespace."""
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools", "lab"))
import lab  # noqa: E402

lab.isolate_network()
N = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
QPS = os.environ.get("BENCH_QPS", "20000")
REPS = int(os.environ.get("BENCH_REPS", "2"))
HOSTS = 20000


def zones(L):
    soa = "@ 3600 IN SOA ns.%s admin.%s 1 3600 600 86400 300\n@ 3600 IN NS ns.%s\nns 3600 IN A 127.0.0.1\n"
    z = {}

    def zone(name, body):
        p = L.path("%s.zone" % name)
        with open(p, "w") as f:
            f.write("$ORIGIN %s.\n$TTL 300\n" % name + soa % ((name + ".",) * 3) + body)
        z[name + "."] = p

    zone("example.test", "".join("host%d A 10.1.%d.%d\n" % (i, i // 250, i % 250 + 1)
                                 for i in range(HOSTS)))
    for k in range(50):
        zone("wc%d.test" % k, "* A 10.50.%d.1\nreal A 10.50.%d.2\n" % (k, k))
    return z


def run(L, servers, extra, names_path, what):
    stats = L.path("%s.json" % what)
    args = ["resolve", "-q", "--qps", QPS, "--max-inflight", "1000", "--timeout", "1000",
            "-f", "ndjson", "-o", L.path("%s.out" % what), "--stats", stats] + extra
    for s in servers:
        args += ["-s", s]
    t0 = time.monotonic()
    rc, _, err = L.run_pacedns(args + [names_path], timeout=1800)
    el = time.monotonic() - t0
    st = json.load(open(stats))
    marked = 0
    with open(L.path("%s.out" % what)) as f:
        for line in f:
            if '"wildcard"' in line and "example.test" in line:
                marked += 1
    sent = sum(s["sent"] for s in st["servers"])
    tsent = sum(s["sent"] for s in st.get("trusted", []))
    probes = sum(s.get("wildcard_probes", 0) for s in st["servers"])
    return {"rc": rc, "el": el, "names_s": st["totals"]["names"] / el, "sent": sent,
            "trusted_sent": tsent, "records": st["totals"]["records"], "marked": marked,
            "probes": probes, "err": err[-300:]}


def body():
    with lab.Lab() as L:
        ns = L.start_nsd(zones(L), server_count=1)
        d1 = L.start_dnsdist(backend=ns, ready_query=("host1.example.test.", "A"))
        d2 = L.start_dnsdist(backend=ns, ready_query=("host1.example.test.", "A"))
        tr = L.start_dnsdist(backend=ns, ready_query=("host1.example.test.", "A"))
        plain_list = L.path("names.txt")
        with open(plain_list, "w") as f:
            for i in range(N):
                f.write("host%d.example.test\n" % (i % HOSTS))
        configs = [("plain", []), ("canaries", ["--canaries"]),
                   ("trusted", ["--trusted", tr.addr]),
                   ("verify", ["--trusted", tr.addr, "--verify", "--trusted-qps", "100000"]),
                   ("wildcards", ["--wildcards", "mark"])]
        res = {c: [] for c, _ in configs}
        for rep in range(REPS):
            for c, extra in configs:
                r = run(L, [d1.addr, d2.addr], extra, plain_list, "%s-%d" % (c, rep))
                if r["rc"] != 0 or r["records"] != N:
                    print("FAIL %s: rc %d records %d %s" % (c, r["rc"], r["records"], r["err"]))
                    return 1
                res[c].append(r)
        base = statistics.median(r["names_s"] for r in res["plain"])
        base_q = statistics.median(r["sent"] for r in res["plain"])
        print("%d names (host%%d.example.test, %d distinct), 2 bulk servers at --qps %s, "
              "%d rounds, medians:" % (N, HOSTS, QPS, REPS))
        print("%-10s %10s %8s %10s %8s %9s %8s" % ("config", "names/s", "vs plain", "queries",
                                                   "extra", "trusted", "wc false+"))
        for c, _ in configs:
            ns_ = statistics.median(r["names_s"] for r in res[c])
            q = statistics.median(r["sent"] for r in res[c])
            t = statistics.median(r["trusted_sent"] for r in res[c])
            print("%-10s %10.0f %7.1f%% %10d %7.2f%% %9d %8d" % (
                c, ns_, 100.0 * ns_ / base, q, 100.0 * (q - base_q) / base_q, t,
                max(r["marked"] for r in res[c])))
        # wildcard detection: half the names under 50 wildcard parents
        wl = L.path("wild.txt")
        with open(wl, "w") as f:
            for i in range(N):
                if i % 2:
                    f.write("n%d.wc%d.test\n" % (i, i % 50))
                else:
                    f.write("host%d.example.test\n" % (i % HOSTS))
        r = run(L, [d1.addr, d2.addr], ["--wildcards", "mark"], wl, "wild")
        marked = 0
        with open(L.path("wild.out")) as f:
            for line in f:
                marked += '"wildcard":"*.wc' in line
        print("wildcard detection: %d names, half under 50 wildcard parents: %.0f names/s, "
              "%d probes (%.1f per parent, example.test included), %d of %d marked" % (
                  N, r["names_s"], r["probes"], r["probes"] / 51.0, marked, N // 2))
    return 0


if __name__ == "__main__":
    sys.exit(lab.main(body))
