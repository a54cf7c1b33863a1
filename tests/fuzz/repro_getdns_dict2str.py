#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Reproduce the getdns 1.6.0 getdns_rr_dict2str crash through the CLI: NSD on loopback
(private network namespace, killed on exit) serves TXT records whose presentation line
is 4093..4097 bytes long; `pacedns resolve -t TXT` gets SIGSEGV on the 4095-byte one
(big189) while the transport calls getdns_rr_dict2str. Prints one line per name; exits 1
when any run crashed. PACEDNS=path/to/pacedns (default build/pacedns)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures"))
import lab  # noqa: E402

lab.isolate_network()
crashed = False
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
    for k in range(187, 192):
        rc, out, err = L.run_pacedns(["resolve", "-t", "TXT", "-s", ns.addr, "-"],
                                     input_text="big%d.example.test\n" % k, timeout=30)
        crashed |= rc < 0
        print("big%d.example.test: rc=%d, %d bytes of output" % (k, rc, len(out)))
sys.exit(1 if crashed else 0)
