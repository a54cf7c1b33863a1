#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""One integration run under valgrind memcheck: both transports, streams (tcp://, tls://,
https://, a wrong CA, -j 2), answers, CNAME chains,
NXDOMAIN, invalid names, timeouts and retries to a black hole beside NSD, and a probe.
Zero errors and no definite leaks."""
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "lab"))
import lab  # noqa: E402

lab.isolate_network()


def run():
    C = lab.Checker("test_valgrind")
    vg = shutil.which("valgrind")
    if not vg:
        print("valgrind not installed: FAIL (scripts/install-deps.sh installs it)")
        return 1
    with lab.Lab() as L:
        info = L.zones(hosts=300)
        ns = L.start_nsd(info["zones"])
        bh = L.start_blackhole()
        certs = L.make_certs()
        dd = L.start_dnsdist_tls(ns, certs)
        names = L.path("names.txt")
        with open(names, "w") as f:
            for i in range(300):
                f.write("host%d.example.test\n" % i)
            for _, n in lab.read_names(info["names"])[:200]:
                f.write(n + "\n")
            f.write("bad..name\nnxdomain-x.example.test\n")
        runs = [
            ("udp", ["resolve", "-q", "-s", ns.addr, "-s", bh.addr, "--timeout", "300", "--retries", "2",
                     "-t", "A,AAAA,MX,TXT", "--stats", L.path("s1.json"), names]),
            ("getdns", ["resolve", "-q", "--transport", "getdns", "-s", ns.addr, "-s", bh.addr,
                        "--timeout", "300", "--retries", "2", "-t", "A,MX", names]),
            ("probe", ["probe", "-q", "-s", ns.addr, "--zone", "example.test", "--duration", "2"]),
            # streams (#15): TCP, DoT, DoH and a TCP server that never answers
            ("streams", ["resolve", "-q", "-s", dd.tcp_url, "-s", dd.dot_url, "-s", dd.doh_url,
                         "-s", "tcp://" + bh.addr, "--tls-ca", certs["ca"], "--timeout", "300",
                         "--retries", "2", "-t", "A,MX", names]),
            # a wrong CA: the TLS and DoH servers fail, the run goes on over UDP; two threads
            ("streams-bad-ca", ["resolve", "-q", "-j", "2", "-s", dd.dot_url, "-s", dd.doh_url,
                                "-s", ns.addr, "--tls-ca", certs["other_ca"], "-t", "A,MX", names]),
        ]
        for what, args in runs:
            log = L.path("vg-%s.log" % what)
            argv = [vg, "--error-exitcode=99", "--leak-check=full", "--errors-for-leak-kinds=definite",
                    "--show-leak-kinds=definite", "--log-file=" + log, lab.pacedns_path()] + args
            p = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=300)
            text = open(log).read()
            C.eq(p.returncode, 0, "%s: exit code (99 = valgrind errors; stderr %s)" % (what, p.stderr.decode()[-300:]))
            m = re.search(r"ERROR SUMMARY: (\d+) errors", text)
            C.check(m and m.group(1) == "0", "%s: valgrind error summary: %s" % (what, m.group(0) if m else "missing"))
            m = re.search(r"definitely lost: ([\d,]+) bytes", text)
            C.check(not m or m.group(1) == "0", "%s: definitely lost: %s" % (what, m.group(1) if m else "?"))
            if what != "probe":
                recs = lab.parse_ndjson(p.stdout.decode())
                ntypes = 4 if what == "udp" else 2
                if what.startswith("streams"):  # (a black hole may still time some out)
                    bad = [r for r in recs if r["status"] in ("ERROR", "UNREACHABLE")]
                    C.eq(len(bad), 0, "%s: records failed (first %r)" % (what, bad[:1]))
                C.eq(len(recs), 502 * ntypes, "%s: one record per name and type" % what)
            print("%s: %s" % (what, (re.search(r"ERROR SUMMARY.*", text) or [""])[0]))
    return C.done()


if __name__ == "__main__":
    sys.exit(lab.main(run))
