#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Tail hedging and long CNAME targets, against a scripted responder on two ports that
share one state (so "the first query for x anywhere is lost" can be said).

- hedge wins: the first query for x is lost; the copy on the other server answers; the
  run ends long before --timeout.
- hedge loses: the original answers (late); the copy answers later still; exactly one
  record, with the original's answer.
- next hop fails fast: the hedge wins with a CNAME whose target is SERVFAIL everywhere;
  the job must not wait for the lost copy (it used to wait forever).
- the same with --fcrdns: the PTR is hedged, the forward lookup fails fast.
- a CNAME target whose presentation form is longer than 255 characters (escaped
  bytes) is asked as it is, not cut to another name."""
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools", "lab"))
import lab  # noqa: E402
import scripted  # noqa: E402

lab.isolate_network()
TIMEOUT_MS = 4000


def ok(name, addr):
    return {"qname": name, "qtype": "A", "actions": [{"answers": [[name, "A", 60, addr]]}]}


def base_rules():
    return [ok("a.test.", "198.51.100.1"), ok("b.test.", "198.51.100.2"),
            ok("c.test.", "198.51.100.3")]


def run_case(L, C, what, rules, names, extra=(), want_max_s=3.0, n_ports=2):
    ports = [lab.free_port() for _ in range(n_ports)]
    log = L.path("q-%s.log" % what.replace(" ", "_"))
    ch = scripted.start(L, rules, ports, log=log)
    servers = []
    for p in ports:
        servers += ["-s", "127.0.0.1:%d" % p]
    t0 = time.monotonic()
    try:
        rc, out, err = L.run_pacedns(
            ["resolve"] + servers + ["--timeout", str(TIMEOUT_MS), "--qps", "200"] + list(extra),
            input_text="".join(n + "\n" for n in names), timeout=20)
    except lab.LabError as e:  # a hang: the later cases still run
        rc, out, err = None, "", str(e)
    took = time.monotonic() - t0
    scripted.stop(L, ch)
    recs = lab.parse_ndjson(out)
    print("%s: exit %s in %.2f s, %d records" % (what, rc, took, len(recs)))
    C.eq(rc, 0, "%s: exit code (stderr %s)" % (what, err[-500:]))
    C.eq(len(recs), len(names), "%s: one record per name" % what)
    C.check(took < want_max_s, "%s: took %.2f s (a lost query must not cost --timeout %d ms)"
            % (what, took, TIMEOUT_MS))
    queries = [json.loads(x) for x in open(log)] if os.path.exists(log) else []
    return {r["name"]: r for r in recs}, queries


def run():
    C = lab.Checker("test_hedge")
    with lab.Lab() as L:
        names = ["a.test", "b.test", "c.test", "x.test"]

        # hedge wins
        rules = base_rules() + [{"qname": "x.test.", "qtype": "A", "actions": [
            "drop", {"answers": [["x.test.", "A", 60, "198.51.100.9"]]}]}]
        by, q = run_case(L, C, "hedge wins", rules, names)
        x = by.get("x.test", {})
        C.eq(x.get("status"), "NOERROR", "hedge wins: status")
        C.eq([a.get("data") for a in x.get("answers", [])], ["198.51.100.9"], "hedge wins: answer")
        xq = [e for e in q if e["qname"] == "x.test."]
        C.eq(len(xq), 2, "hedge wins: queries for x (original + one copy)")
        C.check(len({e["port"] for e in xq}) == 2, "hedge wins: the copy went to the other server")

        # hedges obey --max-qps: at 5 queries/s in total, no two queries (copies included)
        # less than 1/5 s apart (the copies of x and y, both due when the input ends, used
        # to go out together). Three servers, so that the names go round all of them and
        # every one has answered.
        rules = base_rules() + [{"qname": n, "qtype": "A", "actions": [
            "drop", {"answers": [[n, "A", 60, "198.51.100.9"]]}]} for n in ("x.test.", "y.test.")]
        by, q = run_case(L, C, "hedge under --max-qps", rules, names + ["y.test"],
                         extra=["--max-qps", "5"], want_max_s=3.0, n_ports=3)
        ts = sorted(e["t"] for e in q)
        gaps = [b - a for a, b in zip(ts, ts[1:])]
        print("hedge under --max-qps: %d queries, smallest gap %.3f s; %s" % (len(ts), min(gaps or [0]), [(e["qname"], e["port"], round(e["t"] - ts[0], 3)) for e in q]))
        C.check(len(ts) == 7, "hedge under --max-qps: the 5 names and two copies (%d)" % len(ts))
        for n in ("x.test.", "y.test."):
            C.check(len({e["port"] for e in q if e["qname"] == n}) == 2,
                    "hedge under --max-qps: %s asked on two servers (a copy, not a retry)" % n)
        C.check(gaps and min(gaps) >= 0.15, "hedge under --max-qps: gaps %s" % [round(g, 3) for g in gaps])
        C.eq(by.get("x.test", {}).get("status"), "NOERROR", "hedge under --max-qps: status")
        C.eq(by.get("y.test", {}).get("status"), "NOERROR", "hedge under --max-qps: status of y")

        # hedge loses: the original answers after 150 ms, the copy after 1500 ms
        rules = base_rules() + [{"qname": "x.test.", "qtype": "A", "actions": [
            {"answers": [["x.test.", "A", 60, "198.51.100.10"]], "delay_ms": 150},
            {"answers": [["x.test.", "A", 60, "198.51.100.11"]], "delay_ms": 1500}]}]
        by, q = run_case(L, C, "hedge loses", rules, names)
        x = by.get("x.test", {})
        C.eq([a.get("data") for a in x.get("answers", [])], ["198.51.100.10"],
             "hedge loses: the original's answer")
        C.eq(len([e for e in q if e["qname"] == "x.test."]), 2, "hedge loses: x asked twice")

        # next hop fails fast (the reproduction)
        rules = base_rules() + [
            {"qname": "x.test.", "qtype": "A", "actions": [
                "drop", {"answers": [["x.test.", "CNAME", 60, "y.test."]]}]},
            {"qname": "y.test.", "qtype": "A", "actions": [{"rcode": "SERVFAIL"}]}]
        by, q = run_case(L, C, "next hop fails fast", rules, names)
        x = by.get("x.test", {})
        C.eq(x.get("status"), "SERVFAIL", "next hop fails fast: status")
        C.eq(x.get("cname"), ["y.test."], "next hop fails fast: chain")

        # --fcrdns: the PTR is hedged, the forward A of its target is SERVFAIL
        rules = [
            {"qname": "1.2.0.192.in-addr.arpa.", "qtype": "PTR", "actions": [
                {"answers": [["1.2.0.192.in-addr.arpa.", "PTR", 60, "h1.test."]]}]},
            {"qname": "h1.test.", "qtype": "A", "actions": [
                {"answers": [["h1.test.", "A", 60, "192.0.2.1"]]}]},
            {"qname": "2.2.0.192.in-addr.arpa.", "qtype": "PTR", "actions": [
                "drop", {"answers": [["2.2.0.192.in-addr.arpa.", "PTR", 60, "h2.test."]]}]},
            {"qname": "h2.test.", "qtype": "A", "actions": [{"rcode": "SERVFAIL"}]}]
        by, q = run_case(L, C, "fcrdns next hop fails fast", rules, ["192.0.2.1", "192.0.2.2"],
                         extra=["-t", "PTR", "--fcrdns"])
        C.eq(by.get("192.0.2.1", {}).get("fcrdns"), True, "fcrdns: confirmed name")
        r2 = by.get("192.0.2.2", {})
        C.eq(r2.get("status"), "NOERROR", "fcrdns hedged: status")
        C.eq(r2.get("fcrdns"), False, "fcrdns hedged: not confirmed (forward SERVFAIL)")
        C.eq([a.get("data") for a in r2.get("answers", [])], ["h2.test."], "fcrdns hedged: PTR")

        # a CNAME target of 255 wire octets whose text form is about 900 characters
        label = "\\000" * 60
        long_target = ".".join([label] * 4) + "."  # 4 x 61 + 1 = 245 octets
        rules = [{"qname": "l.test.", "qtype": "A", "actions": [
                     {"answers": [["l.test.", "CNAME", 60, long_target]]}]},
                 {"qname": long_target, "qtype": "A", "actions": [
                     {"answers": [[long_target, "A", 60, "198.51.100.77"]]}]}]
        by, q = run_case(L, C, "long target", rules, ["l.test"])
        lrec = by.get("l.test", {})
        C.eq(lrec.get("status"), "NOERROR", "long target: status (error %s)" % lrec.get("error"))
        C.eq([a.get("data") for a in lrec.get("answers", [])], ["198.51.100.77"],
             "long target: answer of the whole target")
        asked = [e["qname"] for e in q if e["qname"] != "l.test."]
        C.check(asked and all(a.lower() == long_target.lower() for a in asked),
                "long target: asked %r" % asked[:2])
    return C.done()


if __name__ == "__main__":
    sys.exit(lab.main(run))
