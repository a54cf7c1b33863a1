#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Zone output of answers from a hostile server (tools/lab/hostile_names.py): owner
names such as "$INCLUDE.evil.test" and "$ORIGIN.evil.test", names with '"', '(', ';',
'@', ' ' in a label, and records outside the queried name's CNAME chain. The output must
load into a real NSD (nsd-checkzone, then NSD serving it) with no directive taking
effect, serve the same chains the hostile server gave, and hold no out-of-chain record;
every (name, type) still gives exactly one record."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "lab"))
import lab  # noqa: E402

lab.isolate_network()
HERE = os.path.dirname(os.path.abspath(__file__))
NAMES = ["x.test", "o.test", "q.test", "stray.test"]
OUT_OF_CHAIN = ["192.0.2.66", "192.0.2.67", "192.0.2.68"]
HEAD = ("$ORIGIN test.\n$TTL 3600\n"
        "test.\t3600\tIN\tSOA\tns.test. hostmaster.test. 1 3600 900 604800 300\n"
        "test.\t3600\tIN\tNS\tns.test.\n")


def start_hostile(L):
    port = lab.free_port()
    ch = L.spawn("hostile", [sys.executable, os.path.join(HERE, "..", "..", "tools", "lab", "hostile_names.py"),
                             "--port", str(port), "--max-seconds", "300"])
    ch.port, ch.addr = port, "127.0.0.1:%d" % port
    L._wait_ready(ch, lambda: "READY" in ch.log_tail(5), 10, "bound")
    return ch


def chain_of(msg, qname):
    """The answer records on qname's CNAME chain as {(name, type, data)}, lowercased."""
    recs = [(r["name"].lower(), r["type"], r["data"].lower()) for r in msg["answer"]]
    want, out = qname.lower().rstrip(".") + ".", set()
    for _ in range(10):
        nxt = None
        for n, t, d in recs:
            if n == want:
                out.add((n, t, d))
                if t == "CNAME":
                    nxt = d
        if not nxt:
            break
        want = nxt
    return out


def run():
    C = lab.Checker("test_zone_hostile")
    with lab.Lab() as L:
        hs = start_hostile(L)
        names = L.path("names.txt")
        with open(names, "w") as f:
            f.write("\n".join(NAMES) + "\n")
        rc, out, err = L.run_pacedns(["resolve", "-s", hs.addr, "--qps", "200", "--timeout", "500",
                                      "--retries", "1", "-t", "A", "-f", "zone", names], timeout=60)
        C.eq(rc, 0, "exit code (stderr: %s)" % err[-500:])
        print(out)
        lines = [ln for ln in out.splitlines() if ln.strip()]
        C.check(all(ln[0] not in "$@\"()" for ln in lines),
                "a line starts with master-file syntax: %r" % [ln for ln in lines if ln[0] in "$@\"()"])
        C.check("\\x" not in out, "\\xHH escape in zone output")
        for addr in OUT_OF_CHAIN:
            C.check(addr not in out, "out-of-chain record %s written" % addr)
        for addr in ("192.0.2.1", "192.0.2.2", "192.0.2.3"):
            C.check(("\tA\t%s" % addr) in out, "in-chain A %s missing" % addr)
        # one record per name: the stray answer (no record of the name: NODATA) leaves a
        # comment, the others their A
        C.eq([ln for ln in lines if ln.startswith(";")], ["; stray.test A NODATA"], "comment lines")
        rr = [ln.split("\t") for ln in lines if not ln.startswith(";")]
        C.check(all(len(f) == 5 for f in rr), "record lines without 5 fields: %r" % [f for f in rr if len(f) != 5])
        C.eq(sum(1 for f in rr if len(f) == 5 and f[3] == "CNAME"), 4, "CNAME lines of the chains")

        zf = L.path("hostile.test.zone")
        with open(zf, "w") as f:
            f.write(HEAD + out)
        r = lab.run_tool(["nsd-checkzone", "test.", zf])
        C.check(r.returncode == 0, "zone output does not load in nsd-checkzone: %s%s" % (r.stdout, r.stderr[-1500:]))
        if r.returncode != 0:
            return C.done()

        # NSD serving the zone answers each name with the chain the hostile server gave
        ns = L.start_nsd([("test.", zf)])
        for n in NAMES:
            want = chain_of(lab.query("127.0.0.1", hs.port, n, "A", timeout=1.0, tries=3), n)
            got_msg = lab.query("127.0.0.1", ns.port, n, "A", timeout=1.0, tries=3)
            C.check(got_msg is not None, "NSD did not answer %s" % n)
            if got_msg is None:
                continue
            got = chain_of(got_msg, n)
            C.eq(got, want if n != "stray.test" else set(), "%s: NSD's chain from the zone output" % n)
        for bad in ("$INCLUDE.evil.test", "$ORIGIN.evil.test"):
            m = lab.query("127.0.0.1", ns.port, bad, "A", timeout=1.0, tries=3)
            C.check(m is not None and not any(a["data"] in OUT_OF_CHAIN for a in m["answer"]),
                    "%s: out-of-chain data served: %r" % (bad, m))
    return C.done()


if __name__ == "__main__":
    sys.exit(lab.main(run))
