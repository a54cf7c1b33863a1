#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Extended rcodes (RFC 6891 6.1.3): the high 8 bits of an rcode travel in the OPT
record. A BADVERS (16) answer has rcode 0 in its header, a BADCOOKIE (23) answer 7
(YXRRSET): read from the header alone they pass for NOERROR/NODATA and YXRRSET. Both
transports must report the whole rcode (status RCODE, "rcode":"BADVERS"/"BADCOOKIE"), and
an answer with an OPT record whose extended bits are 0 stays NOERROR with its record.
Against a scripted responder (no real server answers BADVERS on cue)."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools", "lab"))
import lab  # noqa: E402
import scripted  # noqa: E402

lab.isolate_network()


def main():
    C = lab.Checker("ext_rcode")
    rules = [
        {"qname": "badvers.test.", "qtype": "A", "actions": [{"rcode": "BADVERS"}]},
        {"qname": "badcookie.test.", "qtype": "A", "actions": [{"rcode": "BADCOOKIE"}]},
        {"qname": "plain.test.", "qtype": "A",
         "actions": [{"edns": True, "answers": [["plain.test.", "A", 60, "192.0.2.7"]]}]},
    ]
    want = {"badvers.test": ("RCODE", "BADVERS", 0), "badcookie.test": ("RCODE", "BADCOOKIE", 0),
            "plain.test": ("NOERROR", "NOERROR", 1)}
    with lab.Lab() as L:
        port = lab.free_port()
        ch = scripted.start(L, rules, [port])
        for transport in ("udp", "getdns"):
            rc, out, err = L.run_pacedns(
                ["resolve", "-s", "127.0.0.1:%d" % port, "--qps", "100", "--retries", "0",
                 "--timeout", "1000", "--transport", transport],
                input_text="".join(n + "\n" for n in sorted(want)), timeout=30)
            C.eq(rc, 0, "%s: exit (stderr %s)" % (transport, err[-300:]))
            recs = {r["name"]: r for r in lab.parse_ndjson(out)}
            for name, (status, rcode, n_ans) in sorted(want.items()):
                r = recs.get(name, {})
                print("%s %s: %s %s %s" % (transport, name, r.get("status"), r.get("rcode"),
                                           r.get("answers")))
                C.eq(r.get("status"), status, "%s %s: status" % (transport, name))
                C.eq(r.get("rcode"), rcode, "%s %s: rcode" % (transport, name))
                C.eq(len(r.get("answers", [])), n_ans, "%s %s: answers" % (transport, name))
        scripted.stop(L, ch)
    return C.done()


if __name__ == "__main__":
    sys.exit(main())
