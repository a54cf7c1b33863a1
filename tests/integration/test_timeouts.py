#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Timeouts and retries: a blackhole alone gives TIMEOUT after retries + 1 attempts and
the run still completes (exit 0); a blackhole beside NSD loses nothing (the retry goes
to the other server); SERVFAIL/REFUSED from dnsdist are retried then reported."""
import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "lab"))
import lab  # noqa: E402

lab.isolate_network()
N = 20


def blackhole_count(L, bh):
    L.kill(bh)
    m = re.findall(r"received (\d+) datagrams", bh.log_tail(5))
    return int(m[-1]) if m else None


def run():
    C = lab.Checker("test_timeouts")
    with lab.Lab() as L:
        info = L.zones(hosts=200)
        exp = lab.load_expected(info)
        names = ["host%d.example.test" % i for i in range(N)]
        text = "".join(n + "\n" for n in names)

        # ---- blackhole only: every name TIMEOUT after 3 attempts; with a fixed rate and
        # with the default (controller) rate
        for extra in (["--qps", "100"], []):
            bh = L.start_blackhole()
            what = "blackhole%s" % (" " + " ".join(extra) if extra else " (default rate)")
            t0 = time.monotonic()
            rc, out, err = L.run_pacedns(["resolve", "-s", bh.addr, "--timeout", "300", "--retries", "2"]
                                         + extra, input_text=text, timeout=90)
            wall = time.monotonic() - t0
            print("%s: %.2f s" % (what, wall))
            C.eq(rc, 0, "%s: exit code (stderr: %s)" % (what, err[-500:]))
            # spec: < 20 s, with a fixed rate and with the controller (which backs a dead
            # server off to min_qps, 10 in the default profile, but no lower)
            C.check(wall < 20, "%s: wall time %.1f s >= 20 s" % (what, wall))
            recs = lab.parse_ndjson(out)
            C.eq(sorted(r.get("name") for r in recs), sorted(names), "%s: record names" % what)
            for r in recs:
                k = "%s %s" % (what, r.get("name"))
                C.eq(r.get("status"), "TIMEOUT", k + ": status")
                C.eq(r.get("attempts"), 3, k + ": attempts")
                C.eq(r.get("answers") or [], [], k + ": answers")
                C.eq(r.get("rcode"), None, k + ": rcode")
                C.eq(r.get("rtt_ms"), None, k + ": rtt_ms")
                C.eq(r.get("server"), bh.addr, k + ": server")
                C.eq(r.get("type"), "A", k + ": type")
            n = blackhole_count(L, bh)
            C.eq(n, N * 3, "%s: datagrams the blackhole received" % what)

        # ---- blackhole + NSD (both orders): nothing lost, answers from NSD
        ns = L.start_nsd(info["zones"])
        for order in ("bh-first", "nsd-first"):
            bh = L.start_blackhole()
            srv = [bh.addr, ns.addr] if order == "bh-first" else [ns.addr, bh.addr]
            args = ["resolve", "--timeout", "300", "--retries", "2", "--qps", "100"]
            for s in srv:
                args += ["-s", s]
            t0 = time.monotonic()
            rc, out, err = L.run_pacedns(args, input_text=text, timeout=60)
            wall = time.monotonic() - t0
            what = "blackhole+nsd %s" % order
            print("%s: %.2f s" % (what, wall))
            C.eq(rc, 0, "%s: exit code (stderr: %s)" % (what, err[-500:]))
            C.check(wall < 20, "%s: wall time %.1f s" % (what, wall))
            recs = lab.parse_ndjson(out)
            C.eq(sorted(r.get("name") for r in recs), sorted(names), "%s: record names" % what)
            retried = extra_attempts = 0
            for r in recs:
                key = "%s|A" % r.get("name")
                lab.compare_record(C, "%s %s" % (what, key), r, exp[key])
                C.eq(r.get("server"), ns.addr, "%s %s: server of the last attempt" % (what, key))
                C.check(isinstance(r.get("attempts"), int) and 1 <= r["attempts"] <= 3,
                        "%s %s: attempts %r" % (what, key, r.get("attempts")))
                retried += (r.get("attempts") or 0) > 1
                extra_attempts += max(0, (r.get("attempts") or 1) - 1)
            n = blackhole_count(L, bh)
            print("%s: %d of %d records retried, blackhole got %s datagrams" % (what, retried, N, n))
            # every attempt but the last (answered by NSD) went to the blackhole
            C.eq(n, extra_attempts, "%s: blackhole datagrams == sum(attempts - 1)" % what)

        # ---- SERVFAIL and REFUSED are retried, then reported; a dropped name times out
        dd = L.start_dnsdist(backend=ns, ready_query=("example.test.", "SOA"), rule_lua_lines=[
            'addAction(QNameRule("host1.example.test."), RCodeAction(DNSRCode.SERVFAIL))',
            'addAction(QNameRule("host2.example.test."), RCodeAction(DNSRCode.REFUSED))',
            'addAction(QNameRule("host3.example.test."), DropAction())'])
        rc, out, err = L.run_pacedns(["resolve", "-s", dd.addr, "--timeout", "300", "--retries", "2",
                                      "--qps", "100"], input_text=text, timeout=60)
        C.eq(rc, 0, "dnsdist: exit code (stderr: %s)" % err[-500:])
        recs = {r.get("name"): r for r in lab.parse_ndjson(out)}
        C.eq(sorted(recs), sorted(names), "dnsdist: record names")
        want = {"host1.example.test": ("SERVFAIL", "SERVFAIL"), "host2.example.test": ("REFUSED", "REFUSED"),
                "host3.example.test": ("TIMEOUT", None)}
        for n, (st, rcode) in want.items():
            r = recs.get(n, {})
            C.eq(r.get("status"), st, "dnsdist %s: status" % n)
            C.eq(r.get("rcode"), rcode, "dnsdist %s: rcode" % n)
            C.eq(r.get("attempts"), 3, "dnsdist %s: attempts" % n)
        for n in names:
            if n not in want and n in recs:
                lab.compare_record(C, "dnsdist %s" % n, recs[n], exp["%s|A" % n])
    return C.done()


if __name__ == "__main__":
    sys.exit(lab.main(run))
