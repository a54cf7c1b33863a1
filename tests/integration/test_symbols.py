#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The shared library exports only the public API: every dynamic symbol it defines is a
pdns_ function declared in include/pacedns.h, and every function declared there is
exported (hidden visibility by default, PDNS_API on the public ones)."""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "lab"))
import lab  # noqa: E402


def run():
    C = lab.Checker("test_symbols")
    so = os.path.join(os.path.dirname(lab.pacedns_path()), "libpacedns.so")
    src = os.environ.get("PACEDNS_SRC") or os.path.join(os.path.dirname(__file__), "..", "..")
    out = subprocess.run(["nm", "-D", "--defined-only", so], capture_output=True, text=True,
                         check=True).stdout
    exported = {ln.split()[-1] for ln in out.splitlines() if ln.strip()}
    with open(os.path.join(src, "include", "pacedns.h")) as f:
        declared = set(re.findall(r"^PDNS_API [^(]*?\b(pdns_[a-z0-9_]+)\(", f.read(), re.M))
    print("exported %d, declared %d" % (len(exported), len(declared)))
    C.check(len(declared) > 20, "declared public functions found in pacedns.h")
    for sym in sorted(exported - declared):
        C.check(False, "exported but not public: %s" % sym)
    for sym in sorted(declared - exported):
        C.check(False, "public but not exported: %s" % sym)
    C.check(exported == declared, "exports == public declarations")
    return C.done()


if __name__ == "__main__":
    sys.exit(lab.main(run))
