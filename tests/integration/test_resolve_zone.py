#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""pacedns resolve against a generated zone on a real NSD (and Knot for cross-zone
CNAMEs): every (name, type) exactly once with the right status, answers and CNAME chain;
the text, hosts and zone formats; PTR and --fcrdns."""
import collections
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "lab"))
import lab  # noqa: E402

lab.isolate_network()
TYPES = ["A", "AAAA", "MX", "TXT"]
HOSTS = 3000


def check_ndjson(C, what, recs, names, types, exp, server):
    """names: [(line, name)]. Every (name,type) once, fields per the spec."""
    want = collections.Counter((n, t) for _, n in names for t in types)
    got = collections.Counter((r.get("name"), r.get("type")) for r in recs)
    missing = want - got
    extra = got - want
    C.check(not missing, "%s: %d records missing, e.g. %r" % (what, sum(missing.values()), list(missing)[:5]))
    C.check(not extra, "%s: %d unexpected/duplicate records, e.g. %r" % (what, sum(extra.values()), list(extra)[:5]))
    line_of = {n: ln for ln, n in names}
    for r in recs:
        key = "%s|%s" % (r.get("name"), r.get("type"))
        if key not in exp:
            continue
        e = exp[key]
        lab.compare_record(C, "%s %s" % (what, key), r, e)
        C.eq(r.get("line"), line_of.get(r.get("name")), "%s %s: line" % (what, key))
        C.check(r.get("qname") is None, "%s %s: qname set for a non-PTR query: %r" % (what, key, r.get("qname")))
        C.check("fcrdns" not in r, "%s %s: fcrdns without --fcrdns" % (what, key))
        a = r.get("attempts")
        C.check(isinstance(a, int) and a >= 1, "%s %s: attempts %r" % (what, key, a))
        if e["status"] in ("NOERROR", "NODATA", "NXDOMAIN"):
            C.eq(r.get("server"), server, "%s %s: server" % (what, key))
            rtt = r.get("rtt_ms")
            C.check(isinstance(rtt, (int, float)) and 0 <= rtt < 5000, "%s %s: rtt_ms %r" % (what, key, rtt))
        for ans in r.get("answers") or []:
            C.check(set(ans) >= {"name", "type", "ttl", "data"}, "%s %s: answer fields %r" % (what, key, ans))
            C.eq(ans.get("type"), r.get("type"), "%s %s: answer of another type" % (what, key))


def text_lines(out):
    return [ln for ln in out.splitlines() if ln.strip() and not ln.startswith("#")]


def run():
    C = lab.Checker("test_resolve_zone")
    with lab.Lab() as L:
        info = L.zones(hosts=HOSTS)
        exp = lab.load_expected(info)
        names = lab.read_names(info["names"])
        ns = L.start_nsd(info["zones"])
        base = ["resolve", "-s", ns.addr, "--qps", "2000", "-t", ",".join(TYPES)]

        # ---- ndjson
        t0 = time.monotonic()
        rc, out, err = L.run_pacedns(base + ["-f", "ndjson", info["names"]], timeout=300)
        print("ndjson run: %.1f s, %d bytes" % (time.monotonic() - t0, len(out)))
        C.eq(rc, 0, "ndjson exit code (stderr: %s)" % err[-500:])
        recs = lab.parse_ndjson(out)
        C.eq(len(recs), len(names) * len(TYPES), "ndjson record count")
        check_ndjson(C, "nsd", recs, names, TYPES, exp, ns.addr)
        st = collections.Counter(r.get("status") for r in recs)
        print("statuses:", dict(st))
        # attempts stays 1 for plain answers from a loopback NSD
        plain = [r for r in recs if r.get("name", "").startswith("host") and r.get("attempts") != 1]
        C.check(len(plain) == 0, "%d host records needed more than one attempt, e.g. %r" % (len(plain), plain[:2]))

        # ---- text: name<TAB>TYPE<TAB>data per answer, or name<TAB>TYPE<TAB>STATUS
        rc, out, err = L.run_pacedns(base + ["-f", "text", info["names"]], timeout=300)
        C.eq(rc, 0, "text exit code (stderr: %s)" % err[-500:])
        want = collections.Counter()
        for _, n in names:
            for t in TYPES:
                e = exp["%s|%s" % (n, t)]
                if e["status"] == "NOERROR":
                    for a in e["answers"]:
                        want[(lab.norm(n), t, a["data"])] += 1
                else:
                    want[(lab.norm(n), t, e["status"])] += 1
        got = collections.Counter()
        bad = []
        for ln in text_lines(out):
            f = ln.split("\t")
            if len(f) != 3:
                bad.append(ln)
                continue
            got[(lab.norm(f[0]), f[1], f[2])] += 1
        C.check(not bad, "text: %d lines without 3 tab-separated fields, e.g. %r" % (len(bad), bad[:3]))
        C.check(got == want, "text: lines differ: missing %r extra %r" % (
            list((want - got).items())[:5], list((got - want).items())[:5]))

        # ---- hosts: ADDR<TAB>name, A and AAAA answers only
        rc, out, err = L.run_pacedns(base + ["-f", "hosts", info["names"]], timeout=300)
        C.eq(rc, 0, "hosts exit code (stderr: %s)" % err[-500:])
        want = collections.Counter()
        for _, n in names:
            for t in ("A", "AAAA"):
                for a in exp["%s|%s" % (n, t)]["answers"]:
                    want[(a["data"], lab.norm(n))] += 1
        got = collections.Counter()
        bad = []
        for ln in text_lines(out):
            f = ln.split("\t")
            if len(f) != 2:
                bad.append(ln)
                continue
            got[(f[0], lab.norm(f[1]))] += 1
        C.check(not bad, "hosts: %d malformed lines, e.g. %r" % (len(bad), bad[:3]))
        C.check(got == want, "hosts: lines differ: missing %r extra %r" % (
            list((want - got).items())[:5], list((got - want).items())[:5]))

        # ---- zone: owner<TAB>ttl<TAB>IN<TAB>TYPE<TAB>data, "; name TYPE STATUS" for failures
        rc, out, err = L.run_pacedns(base + ["-f", "zone", info["names"]], timeout=300)
        C.eq(rc, 0, "zone exit code (stderr: %s)" % err[-500:])
        want_rr, want_fail = collections.Counter(), collections.Counter()
        for _, n in names:
            for t in TYPES:
                e = exp["%s|%s" % (n, t)]
                if e["status"] == "NOERROR":
                    for a in e["answers"]:
                        want_rr[(a["name"], a["ttl"], "IN", t, a["data"])] += 1
                else:
                    want_fail[(lab.norm(n), t, e["status"])] += 1
        # each record's CNAME chain (as the ndjson run reported it) as CNAME lines, TTL 0
        for r in recs:
            prev = lab.norm(r.get("name", ""))
            for c in r.get("cname") or []:
                want_rr[(prev, 0, "IN", "CNAME", c.rstrip(".") + ".")] += 1
                prev = lab.norm(c)
        got_rr, got_fail = collections.Counter(), collections.Counter()
        bad = []
        for ln in out.splitlines():
            if not ln.strip():
                continue
            if ln.startswith(";"):
                f = ln[1:].split()
                if len(f) == 3 and f[2] in lab.STATUSES:
                    got_fail[(lab.norm(f[0]), f[1], f[2])] += 1
                continue
            f = ln.split("\t")
            if len(f) != 5 or not f[1].isdigit():
                bad.append(ln)
                continue
            got_rr[(lab.norm(f[0]), int(f[1]), f[2], f[3], f[4])] += 1
        C.check(not bad, "zone: %d malformed lines, e.g. %r" % (len(bad), bad[:3]))
        C.check(got_rr == want_rr, "zone: records differ: missing %r extra %r" % (
            list((want_rr - got_rr).items())[:5], list((got_rr - want_rr).items())[:5]))
        C.check(got_fail == want_fail, "zone: failure comments differ: missing %r extra %r" % (
            list((want_fail - got_fail).items())[:5], list((got_fail - want_fail).items())[:5]))
        zf = L.path("out.test.zone")
        with open(zf, "w") as f:
            f.write("$ORIGIN test.\n$TTL 3600\n"
                    "test.\t3600\tIN\tSOA\tns.test. hostmaster.test. 1 3600 900 604800 300\n"
                    "test.\t3600\tIN\tNS\tns.test.\n")
            f.write(out)
        r = lab.run_tool(["nsd-checkzone", "test.", zf])
        C.check(r.returncode == 0, "zone output does not load in nsd-checkzone: %s%s" % (r.stdout, r.stderr[-1500:]))

        # ---- PTR, IPv4 and IPv6 addresses as input
        ptrs = lab.read_names(info["ptr"])
        for extra in ([], ["--fcrdns"]):
            rc, out, err = L.run_pacedns(["resolve", "-s", ns.addr, "--qps", "2000", "-t", "PTR"]
                                         + extra + [info["ptr"]], timeout=120)
            what = "PTR" + (" --fcrdns" if extra else "")
            C.eq(rc, 0, "%s exit code (stderr: %s)" % (what, err[-500:]))
            recs = lab.parse_ndjson(out)
            C.eq(sorted(r.get("name") for r in recs), sorted(n for _, n in ptrs), "%s: names" % what)
            for r in recs:
                key = "%s|PTR" % r.get("name")
                if key not in exp:
                    continue
                e = exp[key]
                # with --fcrdns the record still reports the PTR answer's rcode
                lab.compare_record(C, "%s %s" % (what, key), r, e)
                C.eq(r.get("type"), "PTR", "%s %s: type" % (what, key))
                C.eq(lab.norm(r.get("qname") or ""), e["qname"], "%s %s: qname" % (what, key))
                if extra and e["status"] == "NOERROR":
                    C.eq(r.get("fcrdns"), e["fcrdns"], "%s %s: fcrdns" % (what, key))
                elif extra:
                    C.check(r.get("fcrdns") in (False, None), "%s %s: fcrdns %r on a failed lookup" % (
                        what, key, r.get("fcrdns")))
                else:
                    C.check("fcrdns" not in r, "%s %s: fcrdns without --fcrdns" % (what, key))
            if extra:
                f = {r.get("name"): r.get("fcrdns") for r in recs}
                C.eq(f.get("10.99.99.99"), False, "fcrdns of the mismatching PTR")
                C.eq(f.get("10.0.0.1"), True, "fcrdns of host0's PTR")
                C.eq(f.get("2001:db8::1"), True, "fcrdns of host0's IPv6 PTR")

        # ---- Knot does not chase cross-zone CNAMEs (NSD does): pacedns must follow up
        kn = L.start_knot(info["zones"])
        special = [(ln, n) for ln, n in names if not n.startswith("host")]
        sf = L.path("special.txt")
        with open(sf, "w") as f:
            # keep the original line numbers: blank lines in place of the hosts
            last = 0
            for ln, n in special:
                f.write("\n" * (ln - last - 1) + n + "\n")
                last = ln
        rc, out, err = L.run_pacedns(["resolve", "-s", kn.addr, "--qps", "2000", "-t", ",".join(TYPES), sf],
                                     timeout=120)
        C.eq(rc, 0, "knot run exit code (stderr: %s)" % err[-500:])
        recs = lab.parse_ndjson(out)
        check_ndjson(C, "knot", recs, special, TYPES, exp, kn.addr)
        for r in recs:
            if r.get("name") in ("xalias.example.test", "xchain.example.test") and r.get("type") == "A":
                C.check((r.get("attempts") or 0) >= 2, "knot %s: attempts %r, a cross-zone CNAME needs a second query" % (
                    r.get("name"), r.get("attempts")))
    return C.done()


if __name__ == "__main__":
    sys.exit(lab.main(run))
