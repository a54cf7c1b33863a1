#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Big records: TXT records whose presentation line is 4093..4097 bytes (getdns 1.6.0's
getdns_rr_dict2str writes through NULL at exactly 4095; found by fuzz_wire) come back
intact over both transports (they are truncated over UDP, so this also exercises the
TCP fallback)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "lab"))
import lab  # noqa: E402

lab.isolate_network()


def run():
    C = lab.Checker("test_big_records")
    with lab.Lab() as L:
        zone = L.path("big.zone")
        strings = " ".join(['"' + "a" * 255 + '"'] * 15)
        with open(zone, "w") as f:
            f.write("$ORIGIN example.test.\n$TTL 3600\n"
                    "@ SOA ns.example.test. h.example.test. 1 3600 600 86400 60\n"
                    "@ NS ns\nns A 127.0.0.1\n")
            for k in range(187, 192):
                f.write('big%d TXT %s "%s"\n' % (k, strings, "a" * k))
        ns = L.start_nsd([("example.test.", zone)])
        names = "".join("big%d.example.test\n" % k for k in range(187, 192))
        for tr in ("udp", "getdns"):
            rc, out, err = L.run_pacedns(["resolve", "-q", "--transport", tr, "-t", "TXT", "-s", ns.addr, "-"],
                                         input_text=names, timeout=60)
            C.eq(rc, 0, "%s: exit (stderr %s)" % (tr, err[-300:]))
            recs = {r["name"]: r for r in lab.parse_ndjson(out)}
            for k in range(187, 192):
                r = recs.get("big%d.example.test" % k, {})
                C.eq(r.get("status"), "NOERROR", "%s big%d: status" % (tr, k))
                data = (r.get("answers") or [{}])[0].get("data", "")
                C.eq(data.count('"a'), 16, "%s big%d: 16 strings" % (tr, k))
                C.eq(len(data), 15 * 258 + k + 2, "%s big%d: data length" % (tr, k))
    return C.done()


if __name__ == "__main__":
    sys.exit(lab.main(run))
