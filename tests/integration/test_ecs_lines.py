#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""EDNS Client Subnet per input line (`NAME [TYPE] ecs=PREFIX`) against a real server that
answers by subnet: Knot with mod-geoip in subnet mode and `edns-client-subnet: on` (it
answers with an ECS option whose scope is the matched network's length).

1. Each line's prefix reaches the server and decides the answer: 192.0.2.0/24,
   2001:db8::/56 and 10.9.0.0/16 get three different addresses with scopes 24, 48 and 8;
   the record says "ecs" (the prefix sent) and "ecs_scope"; a line without a prefix gets
   the zone's own address and no "ecs" field (also with -j 2); with --ecs 10.0.0.0/8 it gets the /8's answer
   and "ecs": "10.0.0.0/8", while the lines with their own prefix keep theirs.
2. The prefix stays on every hop: a CNAME to another zone (pacedns asks the target itself)
   gets the target's answer for the line's subnet.
3. And on every retry: with a black hole beside Knot, the lines' records all carry their
   subnet's answers, some after a timeout on the black hole.
4. Over tcp:// to Knot, and DoT and DoH through dnsdist in front of it: the same records.
5. Bad prefixes are INVALID_NAME records naming the field and what is wrong, one per
   record the line stands for, and the run goes on; ecs= with --no-edns is one too.
6. probe --names (the strict reader): a file whose every line has a bad prefix is refused
   (exit 1) naming the file, its first bad line and why; a file of good ones is probed."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools", "lab"))
import lab  # noqa: E402

lab.isolate_network()

ZONE1 = """$ORIGIN ecs.test.
$TTL 300
@ IN SOA ns.ecs.test. h.ecs.test. 1 3600 600 86400 300
@ IN NS ns.ecs.test.
ns IN A 10.0.0.53
a IN A 10.0.0.1
cn IN CNAME a.ecs2.test.
"""
ZONE2 = """$ORIGIN ecs2.test.
$TTL 300
@ IN SOA ns.ecs2.test. h.ecs2.test. 1 3600 600 86400 300
@ IN NS ns.ecs2.test.
ns IN A 10.0.0.53
a IN A 10.0.0.2
"""
GEO = """a.ecs.test:
  - net: 192.0.2.0/24
    A: 198.51.100.1
  - net: 2001:db8::/48
    A: 198.51.100.2
  - net: 10.0.0.0/8
    A: 198.51.100.3
a.ecs2.test:
  - net: 192.0.2.0/24
    A: 198.51.100.11
  - net: 10.0.0.0/8
    A: 198.51.100.13
"""

LINES = ["a.ecs.test A ecs=192.0.2.0/24",
         "a.ecs.test A ecs=2001:db8::/56",
         "a.ecs.test\tA\tecs=10.9.0.0/16",
         "a.ecs.test A",
         "a.ecs.test ecs=192.0.2.0/24",
         "cn.ecs.test A ecs=192.0.2.0/24",
         "a.ecs.test A ecs=203.0.113.0/24"]
# line -> (address, ecs sent, scope) without --ecs
WANT = {1: ("198.51.100.1", "192.0.2.0/24", 24),
        2: ("198.51.100.2", "2001:db8::/56", 48),
        3: ("198.51.100.3", "10.9.0.0/16", 8),
        4: ("10.0.0.1", None, None),
        5: ("198.51.100.1", "192.0.2.0/24", 24),
        6: ("198.51.100.11", "192.0.2.0/24", 24),
        7: ("10.0.0.1", "203.0.113.0/24", 0)}


def start_geo_knot(L):
    d = L.path("ecs")
    os.makedirs(d, exist_ok=True)
    for name, text in (("ecs.test.zone", ZONE1), ("ecs2.test.zone", ZONE2), ("geo.conf", GEO)):
        with open(os.path.join(d, name), "w") as f:
            f.write(text)
    return L.start_knot([("ecs.test.", os.path.join(d, "ecs.test.zone")),
                         ("ecs2.test.", os.path.join(d, "ecs2.test.zone"))],
                        module_lines=["mod-geoip:", "  - id: ecs",
                                      '    config-file: "%s"' % os.path.join(d, "geo.conf"),
                                      "    mode: subnet", "    ttl: 60"],
                        template_lines=["    module: mod-geoip/ecs"],
                        server_lines=["  edns-client-subnet: on"])


def by_line(out):
    return {r["line"]: r for r in lab.parse_ndjson(out)}


def check_records(C, what, recs, want):
    C.eq(sorted(recs), sorted(want), "%s: one record per line" % what)
    for ln, (addr, ecs, scope) in sorted(want.items()):
        r = recs.get(ln, {})
        got = [a["data"] for a in r.get("answers", []) if a["type"] == "A"]
        C.check(r.get("status") == "NOERROR" and got == [addr],
                "%s: line %d (%s): want %s, got %s %s" % (what, ln, LINES[ln - 1], addr,
                                                          r.get("status"), got))
        C.eq(r.get("ecs"), ecs, "%s: line %d: ecs" % (what, ln))
        C.eq(r.get("ecs_scope"), scope, "%s: line %d: ecs_scope" % (what, ln))


def run():
    C = lab.Checker("test_ecs_lines")
    with lab.Lab() as L:
        kn = start_geo_knot(L)
        text = "\n".join(LINES) + "\n"
        base = ["resolve", "--retries", "2", "--timeout", "1000", "-q"]

        # 1, 2: each line's prefix decides its answer, on every hop
        rc, out, err = L.run_pacedns(base + ["-s", kn.addr], input_text=text)
        C.eq(rc, 0, "udp: exit (stderr %s)" % err[-300:])
        recs = by_line(out)
        check_records(C, "udp", recs, WANT)
        C.eq(recs.get(6, {}).get("cname"), ["a.ecs2.test."], "udp: line 6 chased its CNAME")

        # -j 2: two engines share the lines out; the same records
        rc, out, err = L.run_pacedns(base + ["-s", kn.addr, "-j", "2"], input_text=text)
        C.eq(rc, 0, "-j 2: exit (stderr %s)" % err[-300:])
        check_records(C, "-j 2", by_line(out), WANT)

        # --ecs: the lines without a prefix get the run's; the others keep theirs
        rc, out, err = L.run_pacedns(base + ["-s", kn.addr, "--ecs", "10.0.0.0/8"],
                                     input_text=text)
        want = dict(WANT)
        want[4] = ("198.51.100.3", "10.0.0.0/8", 8)
        check_records(C, "udp --ecs 10.0.0.0/8", by_line(out), want)

        # 3: every retry keeps the prefix (a black hole takes some first attempts)
        bh = L.start_blackhole()
        many = []
        want_many = {}
        for i in range(40):
            ln = i % len(LINES)
            many.append(LINES[ln])
            want_many[i + 1] = WANT[ln + 1]
        rc, out, err = L.run_pacedns(["resolve", "--retries", "3", "--timeout", "300", "-q",
                                      "--qps", "200", "-s", bh.addr, "-s", kn.addr],
                                     input_text="\n".join(many) + "\n")
        recs = by_line(out)
        saved = LINES[:]
        LINES[:] = many  # check_records names lines by index
        check_records(C, "retries", recs, want_many)
        LINES[:] = saved
        C.check(any(r.get("attempts", 0) > 1 for r in recs.values()),
                "retries: some records were retried after the black hole: %r"
                % sorted({r.get("attempts") for r in recs.values()}))
        L.kill(bh)

        # 4: tcp:// to Knot; DoT and DoH through dnsdist (it passes the option on)
        certs = L.make_certs()
        dd = L.start_dnsdist_tls(kn.addr, certs)
        for url in ("tcp://" + kn.addr, dd.dot_url, dd.doh_url):
            rc, out, err = L.run_pacedns(base + ["-s", url, "--tls-ca", certs["ca"],
                                                 "--tls-name", certs["name"]], input_text=text)
            C.eq(rc, 0, "%s: exit (stderr %s)" % (url, err[-300:]))
            check_records(C, url, by_line(out), WANT)

        # 5: bad prefixes: INVALID_NAME records naming what is wrong; the run goes on
        bad = ["a.ecs.test A ecs=10.1.2.3/16",
               "a.ecs.test ecs=10.0.0.0/33",
               "a.ecs.test A ecs=bogus/8",
               "a.ecs.test A ecs=",
               "a.ecs.test A x ecs=10.0.0.0/8",
               "a.ecs.test A ecs=192.0.2.0/24"]
        rc, out, err = L.run_pacedns(["resolve", "-s", kn.addr, "-t", "A,TXT", "-q"],
                                     input_text="\n".join(bad) + "\n")
        recs = lab.parse_ndjson(out)
        per = {}
        for r in recs:
            per.setdefault(r["line"], []).append(r)
        # a bad line stands for the -t types (its type is not believed); a good one for its
        C.eq({k: len(v) for k, v in per.items()}, {1: 2, 2: 2, 3: 2, 4: 2, 5: 2, 6: 1},
             "bad prefixes: records per line")
        want_err = {1: "bad ECS prefix 'ecs=10.1.2.3/16': address bits set past the prefix length",
                    2: "bad ECS prefix 'ecs=10.0.0.0/33': prefix length not in 0-32",
                    3: "bad ECS prefix 'ecs=bogus/8': not an IPv4 or IPv6 address",
                    4: "bad ECS prefix 'ecs=': expected ADDR/PREFIX",
                    5: "more than two fields (want NAME [TYPE] [ecs=PREFIX])"}
        for ln, msg in want_err.items():
            C.check(all(r["status"] == "INVALID_NAME" and r.get("error") == msg
                        for r in per.get(ln, [])),
                    "bad line %d: want %r, got %r" % (ln, msg, per.get(ln)))
        r6 = (per.get(6) or [{}])[0]
        C.check(r6.get("status") == "NOERROR" and r6.get("ecs") == "192.0.2.0/24",
                "the good line after the bad ones: %r" % r6)
        rc, out, err = L.run_pacedns(["resolve", "-s", kn.addr, "--no-edns", "-q"],
                                     input_text="a.ecs.test A ecs=192.0.2.0/24\na.ecs.test A\n")
        recs = by_line(out)
        C.check(recs.get(1, {}).get("status") == "INVALID_NAME" and
                "ecs= needs EDNS" in (recs.get(1, {}).get("error") or ""),
                "--no-edns with ecs=: %r" % recs.get(1))
        C.eq(recs.get(2, {}).get("status"), "NOERROR", "--no-edns: the plain line")

        # 6: probe --names, the strict reader
        badf = L.path("bad-ecs.txt")
        with open(badf, "w") as f:
            f.write("# only bad prefixes\na.ecs.test A ecs=10.1.2.3/16\na.ecs.test A ecs=x\n")
        rc, out, err = L.run_pacedns(["probe", "-s", kn.addr, "--names", badf, "--qps", "50",
                                      "--duration", "2"], input_text="")
        C.check(rc == 1 and badf in err and "first bad line 2: bad ECS prefix" in err,
                "probe: a file of bad prefixes: exit %s, stderr %r" % (rc, err[-400:]))
        goodf = L.path("good-ecs.txt")
        with open(goodf, "w") as f:
            f.write("a.ecs.test A ecs=192.0.2.0/24\n")
        stats = L.path("probe.json")
        rc, out, err = L.run_pacedns(["probe", "-s", kn.addr, "--names", goodf, "--qps", "50",
                                      "--duration", "2", "--stats", stats], input_text="")
        C.eq(rc, 0, "probe with ecs= lines: exit (stderr %s)" % err[-300:])
    return C.done()


if __name__ == "__main__":
    sys.exit(lab.main(run))
