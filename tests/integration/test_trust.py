#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Trust (#14): lying resolvers and wildcard answers, against real servers.

NSD serves example.test (real names), w.test (*.w.test A, a real name beside it),
cw.test (a wildcard CNAME), nw.test (a deeper wildcard *.d.nw.test under a parent
without one) and rot.test. Two dnsdist front-ends to that NSD answer every name under
rot.test from one of 8 pools over 31 addresses, chosen at random per query (a
load-balanced wildcard): H is the honest bulk resolver, T the trusted one. Two lying
resolvers (tools/lab/liar.py, in front of H): L1 hijacks NXDOMAIN, L2 poisons 30 % of
the names after its first 300 answers (it turns bad halfway).

1. --trusted T --verify --wildcards mark over H, L1, L2: every record is true, every
   wildcard answer is marked with the right wildcard (rotating pools too), the real
   names under wildcard zones are not, L1 and L2 are quarantined with their reasons
   (stderr and stats), exactly one record per line.
2. --canaries --wildcards filter over H, L1, L2 (no trusted server): L1 is caught by a
   canary before any hijacked answer is written; wildcard names get WILDCARD; one
   record per line. Then one honest server alone (no reference) over wildcard names:
   the run ends, one record per line.
3. No wildcard false positive on 20,000 names without wildcards (--wildcards mark);
   the names/s of the same run with and without trust checks, side by side."""
import json
import os
import random
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools", "lab"))
import lab  # noqa: E402

lab.isolate_network()

POOLS = [["10.80.0.%d" % i for i in range(31) if i % 8 == p] for p in range(8)]
HIJACK = "192.0.2.66"
POISON = "192.0.2.77"


def write_zones(L, hosts):
    soa = "@ 3600 IN SOA ns.%s admin.%s 1 3600 600 86400 300\n@ 3600 IN NS ns.%s\nns 3600 IN A 127.0.0.1\n"
    z = {}

    def zone(name, body):
        p = L.path("%s.zone" % name)
        with open(p, "w") as f:
            f.write("$ORIGIN %s.\n$TTL 300\n" % name + soa % ((name + ".",) * 3) + body)
        z[name + "."] = p

    zone("example.test", "".join("host%d A 10.1.%d.%d\n" % (i, i // 250, i % 250 + 1)
                                 for i in range(hosts)))
    zone("w.test", "* A 10.77.0.1\nreal A 10.77.0.9\n")
    zone("cw.test", "* CNAME target.cw.test.\ntarget A 10.78.0.1\nreal A 10.78.0.9\n")
    zone("nw.test", "*.d A 10.79.0.1\nd A 10.79.0.2\nx A 10.79.0.3\n")
    zone("rot.test", "* A 10.80.0.250\n")
    return z


def rotating_lua():
    pools = ",".join("{%s}" % ",".join('"%s"' % a for a in p) for p in POOLS)
    return ['pools = {%s}' % pools,
            'function rot(dq) local p = pools[math.random(#pools)] '
            'return DNSAction.Spoof, table.concat(p, ",") end',
            'smn = newSuffixMatchNode() smn:add(newDNSName("rot.test."))',
            'addAction(AndRule{SuffixMatchNodeRule(smn), QTypeRule(DNSQType.A)}, LuaAction(rot))']


def names_and_truth(hosts):
    """[(name, truth)] where truth is ("NXDOMAIN",) or ("A", set, wildcard or None)."""
    out = []
    rnd = random.Random(7)
    for i in range(hosts):
        out.append(("host%d.example.test" % i, ("A", {"10.1.%d.%d" % (i // 250, i % 250 + 1)}, None)))
    for i in range(200):
        out.append(("nx%d.example.test" % i, ("NXDOMAIN",)))
    for i in range(60):
        out.append(("g%d-%d.w.test" % (i, rnd.randrange(10**6)), ("A", {"10.77.0.1"}, "*.w.test.")))
    out.append(("real.w.test", ("A", {"10.77.0.9"}, None)))
    for i in range(40):
        out.append(("c%d.cw.test" % i, ("A", {"10.78.0.1"}, "*.cw.test.")))
    out.append(("real.cw.test", ("A", {"10.78.0.9"}, None)))
    for i in range(40):
        out.append(("h%d.d.nw.test" % i, ("A", {"10.79.0.1"}, "*.d.nw.test.")))
    out.append(("x.nw.test", ("A", {"10.79.0.3"}, None)))
    out.append(("d.nw.test", ("A", {"10.79.0.2"}, None)))
    out.append(("nx.nw.test", ("NXDOMAIN",)))
    for i in range(60):
        out.append(("lb%d.rot.test" % i, ("POOL", None, "*.rot.test.")))
    rnd.shuffle(out)
    return out


def check_records(C, what, recs, names, mode):
    byline = {}
    for r in recs:
        byline.setdefault(r["line"], []).append(r)
    C.eq(len(recs), len(names), "%s: one record per line", what)
    C.check(all(len(v) == 1 for v in byline.values()), "%s: a line with two records", what)
    wrong = []
    for ln, (name, truth) in enumerate(names, 1):
        got = byline.get(ln, [None])[0]
        if got is None:
            wrong.append((name, "missing"))
            continue
        data = {a["data"] for a in got.get("answers", []) if a["type"] == "A"}
        if truth[0] == "NXDOMAIN":
            if got["status"] != "NXDOMAIN":
                wrong.append((name, got["status"], sorted(data)))
            continue
        wc = truth[2]
        if mode == "filter" and wc:
            if got["status"] != "WILDCARD" or got.get("wildcard") != wc or data:
                wrong.append((name, got["status"], got.get("wildcard"), sorted(data)))
            continue
        ok = got["status"] == "NOERROR" and (
            data == truth[1] if truth[0] == "A" else any(data == set(p) for p in POOLS))
        if not ok:
            wrong.append((name, got["status"], sorted(data), got.get("server")))
        if got.get("wildcard") != wc:
            wrong.append((name, "wildcard", got.get("wildcard"), "want", wc))
    C.check(not wrong, "%s: %d wrong records, first: %s", what, len(wrong), wrong[:5])


def run(L, C, what, servers, extra, names, timeout=240, qps=400):
    args = ["resolve", "--qps", str(qps), "--timeout", "800", "--retries", "3", "--stats",
            L.path(what + ".stats.json"), "-q"] + extra
    for s in servers:
        args += ["-s", s]
    t0 = time.monotonic()
    rc, out, err = L.run_pacedns(args, "".join(n + "\n" for n, _ in names), timeout=timeout)
    el = time.monotonic() - t0
    with open(L.path(what + ".stats.json")) as f:
        stats = json.load(f)
    return rc, lab.parse_ndjson(out), err, stats, el


def body():
    C = lab.Checker("test_trust")
    with lab.Lab() as L:
        zones = write_zones(L, 4000)
        nsd = L.start_nsd(zones)
        H = L.start_dnsdist(backend=nsd, rule_lua_lines=rotating_lua(),
                            ready_query=("host1.example.test.", "A"))
        T = L.start_dnsdist(backend=nsd, rule_lua_lines=rotating_lua(),
                            ready_query=("host1.example.test.", "A"))
        liar = os.path.join(HERE, "..", "..", "tools", "lab", "liar.py")

        def start_liar(name, *args):
            port = lab.free_port()
            ch = L.spawn(name, [sys.executable, liar, "--port", str(port), "--backend", H.addr,
                                "--names-log", L.path(name + ".lies")] + list(args))
            L._wait_ready(ch, lambda: "READY" in open(ch.log).read(), what="liar READY")
            return "127.0.0.1:%d" % port

        L1 = start_liar("liar-hijack", "--hijack", HIJACK)
        L2 = start_liar("liar-poison", "--poison", POISON, "--poison-fraction", "0.3",
                        "--bad-after", "300")
        # the rotating wildcard is real: T gives several pools for one name
        seen = set()
        for _ in range(30):
            m = lab.query("127.0.0.1", T.port, "x.rot.test.", "A")
            seen.add(tuple(sorted(a["data"] for a in m["answer"])))
        C.check(len(seen) >= 3, "dnsdist rotation: %d distinct pools", len(seen))

        names = names_and_truth(1500)

        # 1. trusted + verify + mark
        rc, recs, err, st, el = run(L, C, "verify", [H.addr, L1, L2],
                                    ["--trusted", T.addr, "--trusted-qps", "2000", "--verify", "--wildcards", "mark"], names)
        C.eq(rc, 0, "verify run: exit status; stderr %s", err[-600:])
        check_records(C, "verify", recs, names, "mark")
        srv = {s["server"]: s for s in st["servers"]}
        C.eq(srv[L1]["trust"]["state"], "quarantined", "L1 quarantined")
        C.check("NXDOMAIN hijack" in srv[L1]["trust"].get("reason", ""), "L1 reason: %s",
                srv[L1]["trust"].get("reason"))
        C.eq(srv[L2]["trust"]["state"], "quarantined", "L2 quarantined")
        C.check(POISON in srv[L2]["trust"].get("reason", ""), "L2 reason: %s",
                srv[L2]["trust"].get("reason"))
        C.check(srv[H.addr]["trust"]["state"] == "healthy", "H healthy: %s", srv[H.addr]["trust"])
        C.check("server %s quarantined" % L1 in err and "server %s quarantined" % L2 in err,
                "one stderr line per liar: %s", err[-600:])
        C.check(st.get("trusted") and st["trusted"][0]["server"] == T.addr and
                st["trusted"][0]["sent"] > 0, "trusted stats section")
        C.check(all(r.get("verified") is True for r in recs if r["status"] == "NOERROR"),
                "every positive record verified true")
        C.check(srv[H.addr]["wildcard_probes"] > 0, "wildcard probes counted")
        print("verify run: %d names in %.2f s; canaries per server %s; wildcard probes %s" % (
            len(names), el, {k: v.get("canaries") for k, v in srv.items()},
            {k: v.get("wildcard_probes") for k, v in srv.items()}), flush=True)

        # 2. canaries only (no trusted server), filter, over H and the hijacker
        rc, recs, err, st, el = run(L, C, "canaries", [H.addr, L1],
                                    ["--canaries", "--wildcards", "filter"], names)
        C.eq(rc, 0, "canary run: exit status; stderr %s", err[-600:])
        srv = {s["server"]: s for s in st["servers"]}
        C.eq(srv[L1]["trust"]["state"], "quarantined", "canaries: L1 quarantined")
        C.check("NXDOMAIN hijack" in srv[L1]["trust"].get("reason", ""), "canaries: L1 reason")
        C.check(not any(a["data"] == HIJACK for r in recs for a in r.get("answers", [])),
                "no hijacked answer written")
        check_records(C, "canaries", recs, names, "filter")
        print("canary run: %d names in %.2f s; canaries %s" % (
            len(names), el, {k: v.get("canaries") for k, v in srv.items()}), flush=True)

        # 2b. one honest server, no reference, only wildcard names: its random labels
        # prove nothing, its samples are unsure; the third round passes inside the
        # canary tick, without a side query: the run must still end (it waited forever)
        wnames = [("g%d-%d.w.test" % (i, i * 7919 % 10**6), None) for i in range(300)]
        rc, recs, err, st, el = run(L, C, "lone", [H.addr], ["--canaries"], wnames, timeout=60)
        C.eq(rc, 0, "lone server: exit status; stderr %s", err[-300:])
        C.eq(sorted(r["line"] for r in recs), list(range(1, len(wnames) + 1)),
             "lone server: every line once")
        print("lone server, wildcard names: %d names in %.2f s" % (len(wnames), el), flush=True)

        # 3. a server that turns bad halfway, caught by canaries (trusted, no --verify)
        L3 = start_liar("liar-halfway", "--poison", POISON, "--poison-fraction", "0.3",
                        "--bad-after", "1000")
        more = names + [("host%d.example.test" % i, None) for i in range(1500, 4000)]
        rc, recs, err, st, el = run(L, C, "halfway", [H.addr, L3],
                                    ["--trusted", T.addr, "--trusted-qps", "500"], more)
        srv = {s["server"]: s for s in st["servers"]}
        C.eq(rc, 0, "halfway run: exit status; stderr %s", err[-600:])
        C.eq(srv[L3]["trust"]["state"], "quarantined", "halfway: L3 quarantined")
        C.check(POISON in srv[L3]["trust"].get("reason", ""), "halfway: L3 reason: %s",
                srv[L3]["trust"].get("reason"))
        C.eq(len(recs), len(more), "halfway: one record per line")
        C.eq(len({r["line"] for r in recs}), len(more), "halfway: every line")
        lies = sum(1 for _ in open(L.path("liar-halfway.lies")))
        bad = sum(1 for r in recs for a in r.get("answers", []) if a["data"] == POISON)
        print("halfway run: %d names in %.2f s; L3 told %d lies, %d written, quarantined at "
              "%.2f s: %s" % (len(more), el, lies, bad, srv[L3]["trust"].get("at_s", -1),
                              srv[L3]["trust"].get("reason")), flush=True)
        C.eq(bad, 0, "halfway: no poisoned record written (held until a canary round drawn "
             "from the held records passes)")
        # 4. no wildcard false positive on 20,000 names without wildcards (wildcards only:
        # no canaries), the probes counted
        many = [("host%d.example.test" % (i % 4000), None) for i in range(20000)]
        rc, recs, err, st, el = run(L, C, "nofalse", [H.addr], ["--wildcards", "mark"], many,
                                    qps=5000)
        C.eq(rc, 0, "20k run: exit status; stderr %s", err[-300:])
        C.eq(len(recs), 20000, "20k run: one record per line")
        C.eq(sum(1 for r in recs if "wildcard" in r), 0, "20k run: no wildcard false positive")
        C.eq(sum(1 for r in recs if r["status"] != "NOERROR"), 0, "20k run: all NOERROR")
        probes = st["servers"][0].get("wildcard_probes")
        C.check(probes is not None and 0 < probes <= 5, "20k run: probes counted (%s)", probes)
        C.check("trust" not in st["servers"][0], "20k run: no trust state without canaries")
        print("20k run: %.2f s, %s wildcard probes" % (el, probes), flush=True)
        # 5. every server quarantined: exit 2 with the reason, a resumable checkpoint, and
        # the resume (on the honest server) gives each line exactly once
        out, ck = L.path("all-q.ndjson"), L.path("all-q.ckpt")
        inp = L.path("all-q.txt")
        with open(inp, "w") as f:
            f.write("".join(n + "\n" for n, _ in names))
        rc, _, err = L.run_pacedns(["resolve", "-q", "--qps", "400", "-s", L1, "--trusted",
                                    T.addr, "-o", out, "--checkpoint", ck, inp], timeout=120)
        C.eq(rc, 2, "all quarantined: exit 2 (stderr %s)", err[-400:])
        C.check("every server is quarantined" in err and "--resume" in err,
                "all quarantined: the reason and the resume on stderr: %s", err[-400:])
        C.check(not any(a["data"] == HIJACK for r in lab.parse_ndjson(open(out).read())
                        for a in r.get("answers", [])), "all quarantined: no hijacked answer")
        # the trust options are part of the checkpoint's fingerprint: a resume without the
        # trusted server, or with other --wildcards, is refused naming the option
        before = open(out).read()
        for what, extra, words in (("no --trusted", [], ["--trusted", T.addr, "none"]),
                                   ("--wildcards mark", ["--trusted", T.addr, "--wildcards",
                                                         "mark"], ["--wildcards", "mark"])):
            rc, _, err = L.run_pacedns(["resolve", "-q", "--qps", "400", "-s", H.addr] + extra +
                                       ["--resume", ck, inp], timeout=120)
            C.eq(rc, 1, "resume with %s: refused (stderr %s)", what, err[-400:])
            C.check(all(w in err for w in words) and "all-q.ckpt" in err,
                    "resume with %s: the message names the option: %s", what, err[-400:])
            C.eq(open(out).read(), before, "resume with %s: output left alone", what)
        rc, _, err = L.run_pacedns(["resolve", "-q", "--qps", "400", "-s", H.addr, "--trusted",
                                    T.addr, "--resume", ck, inp], timeout=120)
        C.eq(rc, 0, "resume: exit 0 (stderr %s)", err[-400:])
        recs = lab.parse_ndjson(open(out).read())
        C.eq(sorted(r["line"] for r in recs), list(range(1, len(names) + 1)),
             "resume: every line exactly once")
        C.check(not any(r["status"] == "ERROR" for r in recs), "resume: no ERROR record")
    return C.done()


if __name__ == "__main__":
    sys.exit(lab.main(body))
