#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A CNAME target whose presentation form is longer than 255 characters (a valid name:
63-octet labels of bytes that print as "\\DDD") is followed over both transports.

The getdns transport used to keep the name it asked in a 256-byte buffer and compare
the answer's question with that text: the cut copy never matched, so every answer for
such a target was "answer for another question" (MALFORMED) and the record ended as
ERROR after its retries. It now compares the wire names (src/dns/match.c), as the UDP
transport does. The UDP transport's TCP fallback (TC) is the getdns transport too, so
the long target is also asked with a big answer over TCP.

Loopback only, in a private network namespace; Knot is started and stopped by the lab."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "lab"))
import lab  # noqa: E402

lab.isolate_network()

# a 63-octet label of byte 1 ("\\001" x 63: 252 characters), twice: 516 characters of
# text, 140 wire octets. In another zone, on Knot (which, unlike NSD, does not follow a
# CNAME into another zone it serves): pacedns asks the target itself.
LABEL = "\\001" * 63
TARGET = "%s.%s.other.test." % (LABEL, LABEL)
# enough TXT data to exceed the 1232-byte EDNS size: the UDP answer comes back TC
BIG_TXT = " ".join(['"' + "b" * 200 + '"'] * 8)


def run():
    C = lab.Checker("test_long_target")
    C.check(len(TARGET) > 255, "the target's text is longer than 255 characters")
    with lab.Lab() as L:
        zone, other = L.path("example.zone"), L.path("other.zone")
        with open(zone, "w") as f:
            f.write("$ORIGIN example.test.\n$TTL 3600\n"
                    "@ SOA ns.example.test. h.example.test. 1 3600 600 86400 60\n"
                    "@ NS ns\nns A 127.0.0.1\n"
                    "a CNAME %s\n"
                    "big CNAME %s\n" % (TARGET, TARGET))
        with open(other, "w") as f:
            f.write("$ORIGIN other.test.\n$TTL 3600\n"
                    "@ SOA ns.example.test. h.example.test. 1 3600 600 86400 60\n"
                    "@ NS ns.example.test.\n"
                    "%s A 192.0.2.7\n"
                    "%s TXT %s\n" % (TARGET, TARGET, BIG_TXT))
        ns = L.start_knot([("example.test.", zone), ("other.test.", other)])
        cases = [
            ("udp", "A", "a.example.test"),
            ("getdns", "A", "a.example.test"),
            ("udp", "TXT", "big.example.test"),  # TC: the TCP fallback asks the target
            ("getdns", "TXT", "big.example.test"),
        ]
        for tr, qtype, name in cases:
            what = "%s %s %s" % (tr, qtype, name)
            rc, out, err = L.run_pacedns(
                ["resolve", "-q", "--transport", tr, "-t", qtype, "--timeout", "1000",
                 "--retries", "1", "-s", ns.addr, "-"], input_text=name + "\n", timeout=60)
            C.eq(rc, 0, "%s: exit (stderr %s)" % (what, err[-300:]))
            recs = lab.parse_ndjson(out)
            C.eq(len(recs), 1, "%s: one record" % what)
            r = recs[0] if recs else {}
            C.eq(r.get("status"), "NOERROR", "%s: status (record %s)" % (what, str(r)[:300]))
            C.eq(r.get("cname"), [TARGET], "%s: the chain" % what)
            answers = r.get("answers") or [{}]
            if qtype == "A":
                C.eq(answers[0].get("data"), "192.0.2.7", "%s: the address" % what)
            else:
                C.eq(answers[0].get("data", "").count('"b'), 8, "%s: the TXT strings" % what)
            C.eq(answers[0].get("name"), TARGET, "%s: the owner" % what)
            # A: the name, then the target; TXT: the name, then the target over UDP (TC)
            # and again over TCP
            C.eq(r.get("attempts"), 2 if qtype == "A" else 3, "%s: attempts" % what)
    return C.done()


if __name__ == "__main__":
    sys.exit(lab.main(run))
