#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The library through its public API only (tests/api/api_client.c, linked with the
shared library) against a real NSD: submit/callback, a lazy source, both loop modes,
the controller with a profile, stats, writers, errors, worker threads (options.threads);
the caller's loop closes cleanly; a runner freed before it finished (with threads, and
with getdns queries in flight) frees cleanly and reports nothing from inside the free."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "lab"))
import lab  # noqa: E402

lab.isolate_network()


def run():
    C = lab.Checker("test_api")
    client = os.path.join(os.path.dirname(lab.pacedns_path()), "tests", "api_client")
    if not os.access(client, os.X_OK):
        print("FAIL: %s not built" % client)
        return 1
    with lab.Lab() as L:
        info = L.zones(hosts=200)
        ns = L.start_nsd(info["zones"])
        bh = L.start_blackhole()
        p = subprocess.run([client, ns.addr, "example.test", bh.addr], capture_output=True,
                           timeout=120)
        out = p.stdout.decode() + p.stderr.decode()
        print(out.strip())
        C.eq(p.returncode, 0, "api_client exit")
        C.check(" 0 failed" in out, "api_client checks")
    return C.done()


if __name__ == "__main__":
    sys.exit(lab.main(run))
