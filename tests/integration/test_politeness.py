#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Polite by default: resolve uses the `polite` profile, and says so in one stderr line,
when its servers come from resolv.conf or any server is outside loopback and private
ranges, unless -p (or a fixed --qps) is given; probe refuses a server outside those
ranges without --i-own-this-server.

No packet may leave the machine: the resolv.conf runs use a file (PACEDNS_RESOLV_CONF)
naming a loopback NSD, and the run with input starts only once a run without input
showed that the file is read; the public-address runs of resolve get no input (no query
is sent; the profile is in the stats); probe runs that could send to a public address
happen only inside the lab's private network namespace, whose only interface is
loopback."""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "lab"))
import lab  # noqa: E402

ISOLATED = lab.isolate_network()
PUBLIC = "192.0.2.1"  # TEST-NET-1: never routed, and unreachable in the namespace
POLITE_LINE = "using the polite profile"


def stats_of(path):
    with open(path) as f:
        return json.load(f)


def profile_of(doc):
    return (doc.get("controller") or {}).get("profile")


def polite_lines(err):
    return [ln for ln in err.splitlines() if POLITE_LINE in ln]


def run():
    C = lab.Checker("test_politeness")
    if ISOLATED:
        links = lab.run_tool(["ip", "-o", "link", "show"]).stdout.splitlines()
        C.eq([ln.split(":")[1].strip() for ln in links], ["lo"], "namespace interfaces")
        # every address routes into loopback (where a packet to a foreign address is
        # dropped): sockets to the public and private test addresses can be created
        for fam in ("-4", "-6"):
            lab.run_tool(["ip", fam, "route", "add", "default", "dev", "lo"])
    else:
        print("note: no private network namespace; runs that could send to a public "
              "address are skipped")
    with lab.Lab() as L:
        info = L.zones(hosts=20)
        names = [n for _, n in lab.read_names(info["names"]) if n.startswith("host")][:20]
        nf = L.path("names.txt")
        with open(nf, "w") as f:
            f.write("\n".join(names) + "\n")
        empty = L.path("empty.txt")
        open(empty, "w").close()
        ns = L.start_nsd(info["zones"])
        rconf = L.path("resolv.conf")
        with open(rconf, "w") as f:
            f.write("# test resolv.conf\nsearch example.test\nnameserver %s\n" % ns.addr)
        env = dict(os.environ, PACEDNS_RESOLV_CONF=rconf)
        st = L.path("stats.json")

        # ---- resolv.conf servers: the file is honoured (no input: nothing is sent) ...
        rc, out, err = L.run_pacedns(["resolve", "-q", "--stats", st, empty], env=env,
                                     allow_no_server=True, timeout=30)
        C.eq(rc, 0, "resolv.conf, no input: exit code (stderr %s)" % err[-300:])
        doc = stats_of(st) if rc == 0 else {}
        servers = [s.get("server") for s in doc.get("servers", [])]
        honoured = C.eq(servers, [ns.addr], "servers read from PACEDNS_RESOLV_CONF")
        C.eq(profile_of(doc), "polite", "resolv.conf servers, -q: profile")
        C.eq(polite_lines(err), [], "-q: no polite line")
        # ... then a real run against the loopback NSD it names
        if honoured:
            rc, out, err = L.run_pacedns(["resolve", "--stats", st, nf], env=env,
                                         allow_no_server=True, timeout=60)
            C.eq(rc, 0, "resolv.conf run: exit code (stderr %s)" % err[-300:])
            lines = polite_lines(err)
            C.eq(len(lines), 1, "resolv.conf run: one polite line (stderr %r)" % err[-300:])
            C.check(lines and rconf in lines[0], "the polite line names the file: %r" % lines)
            C.eq(profile_of(stats_of(st)), "polite", "resolv.conf run: profile in the stats")
            recs = lab.parse_ndjson(out)
            C.eq(sorted(r.get("name") for r in recs), sorted(names), "resolv.conf run: one record per name")
            C.check(all(r.get("status") == "NOERROR" for r in recs),
                    "resolv.conf run: statuses %r" % sorted({r.get("status") for r in recs}))
            # -p wins: no line, the chosen profile
            rc, out, err = L.run_pacedns(["resolve", "-p", "default", "--stats", st, nf], env=env,
                                         allow_no_server=True, timeout=60)
            C.eq(rc, 0, "resolv.conf -p default: exit code")
            C.eq(polite_lines(err), [], "-p default: no polite line")
            C.eq(profile_of(stats_of(st)), "default", "-p default: profile")

        # ---- -s: a public address makes it polite; loopback and private ranges do not.
        # No input: no query is sent anywhere.
        # Outside the namespace only the loopback case: the others need a route to the
        # address to create their socket (nothing is sent: there is no input).
        cases = [(["-s", ns.addr], "default", 0)]
        if ISOLATED:
            cases += [
                (["-s", PUBLIC], "polite", 1),
                (["-s", "10.1.2.3", "-s", "172.16.0.1:5353", "-s", "192.168.0.1", "-s", "127.0.0.2"],
                 "default", 0),
                (["-s", "172.32.0.1"], "polite", 1),  # just outside 172.16/12
                (["-s", PUBLIC, "-p", "bench"], "bench", 0),
                (["-s", ns.addr, "-s", "[2001:db8::53]:53"], "polite", 1),
                (["-s", "[fd00::1]", "-s", "[::1]:53", "-s", "[::ffff:10.0.0.1]:53"], "default", 0),
            ]
        for args, want, nlines in cases:
            rc, out, err = L.run_pacedns(["resolve", "--stats", st] + args + [empty], timeout=30)
            C.eq(rc, 0, "%s: exit code (stderr %s)" % (args, err[-300:]))
            lines = polite_lines(err)
            C.eq(len(lines), nlines, "%s: polite lines %r" % (args, lines))
            if nlines:
                C.check(lines and "not on loopback or a private network" in lines[0],
                        "%s: the line says why: %r" % (args, lines))
            doc = stats_of(st) if rc == 0 else {}
            C.eq(profile_of(doc), want, "%s: profile" % args)
            C.eq(sum(s.get("sent", 0) for s in doc.get("servers", [])), 0, "%s: queries sent" % args)
        if ISOLATED:  # a fixed --qps runs without the controller: no profile, no line
            rc, out, err = L.run_pacedns(["resolve", "-s", PUBLIC, "--qps", "5", empty], timeout=30)
            C.eq((rc, polite_lines(err)), (0, []), "--qps with a public server: no polite line")

        # ---- probe: refused for a public server unless --i-own-this-server (only in the
        # namespace: a build without the check would probe it)
        if ISOLATED:
            for srv in (PUBLIC, "[2001:db8::53]:53"):
                t0 = time.monotonic()
                rc, out, err = L.run_pacedns(["probe", "-s", ns.addr, "-s", srv, "--zone", "example.test",
                                              "--duration", "2"], timeout=60)
                C.eq(rc, 1, "probe %s: exit code (stderr %s)" % (srv, err[-300:]))
                C.check("--i-own-this-server" in err and srv.strip("[]").split("]")[0] in err,
                        "probe %s: message names the server and the flag: %r" % (srv, err[-300:]))
                C.check(time.monotonic() - t0 < 1.5, "probe %s: refused before running" % srv)
            rc, out, err = L.run_pacedns(["probe", "-s", PUBLIC, "--i-own-this-server", "--zone",
                                          "example.test", "--duration", "0.5", "--timeout", "200"],
                                         timeout=60)
            C.check("--i-own-this-server" not in err, "probe with --i-own-this-server refused: %r" % err[-300:])
            C.check(rc in (0, 2), "probe with --i-own-this-server: exit code %r (stderr %s)" % (rc, err[-300:]))
            # loopback and private servers need no flag
            rc, out, err = L.run_pacedns(["probe", "-s", ns.addr, "--zone", "example.test",
                                          "--duration", "0.5"], timeout=60)
            C.eq(rc, 0, "probe of the loopback NSD: exit code (stderr %s)" % err[-300:])
        rc, out, err = L.run_pacedns(["resolve", "-s", ns.addr, "--i-own-this-server", empty], timeout=30)
        C.eq(rc, 1, "resolve --i-own-this-server: exit code")
    return C.done()


if __name__ == "__main__":
    sys.exit(lab.main(run))
