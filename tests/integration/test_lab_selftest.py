#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Self-test of the test lab (does not need pacedns): genzone's expected answers agree
with what NSD and Knot really serve (queried with python sockets through the reference
stub lab.ref_resolve), the blackhole never answers, dnsdist forwards and applies rules,
and every process is gone afterwards."""
import filecmp
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "lab"))
import lab  # noqa: E402
import genzone  # noqa: E402

ISOLATED = lab.isolate_network()


def dead(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(")")[-1].split()[0] in ("Z", "X")
    except OSError:
        return True


def run():
    C = lab.Checker("test_lab_selftest")
    print("network namespace isolation:", ISOLATED)
    pids = []
    with lab.Lab() as L:
        # genzone: deterministic, zones valid
        info = L.zones(hosts=3000, seed=7)
        again = genzone.generate(L.path("again"), hosts=3000, seed=7)
        other = genzone.generate(L.path("other"), hosts=3000, seed=8, with_expected=False)
        for z, z2, z3 in zip(info["zones"], again["zones"], other["zones"]):
            C.check(filecmp.cmp(z["file"], z2["file"], shallow=False), "%s not deterministic" % z["name"])
            r = lab.run_tool(["nsd-checkzone", z["name"], z["file"]])
            C.check(r.returncode == 0, "nsd-checkzone %s: %s%s" % (z["name"], r.stdout, r.stderr))
        C.check(not filecmp.cmp(info["zones"][0]["file"], other["zones"][0]["file"], shallow=False),
                "seed does not change the zone")
        exp = lab.load_expected(info)
        names = [n for _, n in lab.read_names(info["names"])]
        C.check(len(names) >= 3000, "names.txt has %d names" % len(names))
        C.eq(len(set(names)), len(names), "names.txt has duplicates")
        for n in names:
            for t in info["types"]:
                C.check("%s|%s" % (n, t) in exp, "expected.json lacks %s|%s" % (n, t))
        statuses = {v["status"] for v in exp.values()}
        for s in ("NOERROR", "NODATA", "NXDOMAIN", "CNAME_LOOP"):
            C.check(s in statuses, "expected.json has no %s case" % s)

        # ports
        ports = [lab.free_port() for _ in range(20)]
        C.eq(len(set(ports)), 20, "free_port repeats")
        C.check(all(20000 <= p <= 29999 for p in ports), "free_port range %r" % ports)

        # NSD vs expected.json, every record (names x types + PTR)
        t0 = time.monotonic()
        ns = L.start_nsd(info["zones"])
        pids.append(ns.pid)
        print("nsd ready on %s in %.2f s" % (ns.addr, time.monotonic() - t0))
        t0 = time.monotonic()
        n = 0
        for key, e in sorted(exp.items()):
            name, t = key.rsplit("|", 1)
            qn = e.get("qname", name)
            got = lab.ref_resolve("127.0.0.1", ns.port, qn, t)
            lab.compare_record(C, "nsd " + key, got, e)
            n += 1
            if t == "PTR" and e["status"] == "NOERROR":
                fwd = "A" if "." in name else "AAAA"
                conf = False
                for a in got["answers"]:
                    f = lab.ref_resolve("127.0.0.1", ns.port, a["data"], fwd)
                    conf |= any(lab.ip_equal(x["data"], name) for x in f["answers"])
                C.eq(conf, e["fcrdns"], "fcrdns of %s" % name)
        print("nsd: %d records checked in %.1f s" % (n, time.monotonic() - t0))
        xa = lab.ref_resolve("127.0.0.1", ns.port, "xalias.example.test", "A")
        print("nsd chases the cross-zone CNAME itself: %s" % (xa["queries"] == 1))

        # Knot: does NOT chase cross-zone CNAMEs, cuts long chains -> the stub follows up
        kn = L.start_knot(info["zones"])
        pids.append(kn.pid)
        special = [k for k in exp if not k.startswith("host")]
        for key in special:
            name, t = key.rsplit("|", 1)
            e = exp[key]
            got = lab.ref_resolve("127.0.0.1", kn.port, e.get("qname", name), t)
            lab.compare_record(C, "knot " + key, got, e)
        xa = lab.ref_resolve("127.0.0.1", kn.port, "xalias.example.test", "A")
        C.check(xa["queries"] >= 2, "knot chased the cross-zone CNAME (queries=%d)" % xa["queries"])
        print("knot: %d records checked" % len(special))

        # blackhole: reads, never answers
        bh = L.start_blackhole()
        pids.append(bh.pid)
        C.check(lab.query("127.0.0.1", bh.port, "host1.example.test", "A", timeout=0.3) is None,
                "blackhole answered")

        # dnsdist: forwards; rules drop or rewrite rcodes
        dd = L.start_dnsdist(backend=ns, ready_query=("example.test.", "SOA"), rule_lua_lines=[
            'addAction(QNameRule("host1.example.test."), DropAction())',
            'addAction(QNameRule("host2.example.test."), RCodeAction(DNSRCode.SERVFAIL))',
            'addAction(QNameRule("host3.example.test."), RCodeAction(DNSRCode.REFUSED))'])
        pids.append(dd.pid)
        m = lab.query("127.0.0.1", dd.port, "host5.example.test", "A")
        C.check(m is not None and m["answer"] and m["answer"][0]["data"] == exp["host5.example.test|A"]["answers"][0]["data"],
                "dnsdist did not forward: %r" % m)
        C.check(lab.query("127.0.0.1", dd.port, "host1.example.test", "A", timeout=0.3) is None,
                "dnsdist DropAction answered")
        m = lab.query("127.0.0.1", dd.port, "host2.example.test", "A")
        C.check(m is not None and m["rcode"] == "SERVFAIL", "dnsdist SERVFAIL rule: %r" % m)
        m = lab.query("127.0.0.1", dd.port, "host3.example.test", "A")
        C.check(m is not None and m["rcode"] == "REFUSED", "dnsdist REFUSED rule: %r" % m)
        dd2 = L.start_dnsdist(backend=bh)
        pids.append(dd2.pid)
        C.check(lab.query("127.0.0.1", dd2.port, "host5.example.test", "A", timeout=0.3) is None,
                "dnsdist in front of the blackhole answered")

        # kill() of one child
        L.kill(dd2)
        C.check(dead(dd2.pid), "kill() left dnsdist pid %d" % dd2.pid)

        # ndjson parser
        C.eq(len(lab.parse_ndjson('{"a":1}\n{"b":2}\n')), 2, "parse_ndjson")
        try:
            lab.parse_ndjson('{"a":1}\n{"b":\n')
            C.check(False, "parse_ndjson accepted a broken line")
        except lab.LabError as e:
            C.check("line 2" in str(e), "parse_ndjson error names the line: %s" % e)
        workdir = L.dir

    time.sleep(0.2)
    for pid in pids:
        C.check(dead(pid), "process %d still running after Lab exit" % pid)
    C.check(not os.path.exists(workdir), "work dir %s left behind" % workdir)
    return C.done()


if __name__ == "__main__":
    sys.exit(lab.main(run))
