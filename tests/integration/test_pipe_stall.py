#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A stalled pipe on stdin never stalls the event loop: names that arrived are resolved
and written while the writer is silent, and SIGINT ends the run at once (exit 130, every
record whole) although the pipe is still open and silent. The input used to be read
inside the loop, so a silent writer blocked it: no records, no timers, no signals."""
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "lab"))
import lab  # noqa: E402

lab.isolate_network()


def run():
    C = lab.Checker("test_pipe_stall")
    with lab.Lab() as L:
        info = L.zones(hosts=200)
        ns = L.start_nsd(info["zones"])
        rd, wr = os.pipe()
        out = L.path("out.ndjson")
        ch = L.spawn("pacedns", [lab.pacedns_path(), "resolve", "-s", ns.addr, "--qps", "500",
                                 "-o", out], stdin=rd)
        os.close(rd)
        try:
            os.write(wr, "".join("host%d.example.test\n" % i for i in range(50)).encode())
            # the writer now stalls with the pipe open: the 50 names must still be done
            deadline = time.monotonic() + 5
            n = 0
            while time.monotonic() < deadline:
                if os.path.exists(out):
                    with open(out) as f:
                        n = sum(1 for _ in f)
                if n >= 50:
                    break
                time.sleep(0.1)
            C.eq(n, 50, "records written while the pipe is silent")
            t0 = time.monotonic()
            os.kill(ch.pid, signal.SIGINT)
            try:
                rc = ch.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                rc = None
            took = time.monotonic() - t0
            print("exit %s %.2f s after SIGINT with the pipe open and silent" % (rc, took))
            C.eq(rc, 130, "exit code after SIGINT (stderr %s)" % ch.log_tail(5))
            C.check(took < 3, "SIGINT took %.2f s" % took)
        finally:
            os.close(wr)
            L.kill(ch)
        raw = b""
        if os.path.exists(out):
            with open(out, "rb") as f:
                raw = f.read()
        C.check(raw.endswith(b"\n"), "output ends in a whole record")
        recs = lab.parse_ndjson(raw.decode())
        C.eq(sorted(r["line"] for r in recs), list(range(1, 51)), "each line exactly once")
        C.check(all(r["status"] == "NOERROR" for r in recs), "statuses")
        C.check(all(0 <= r["rtt_ms"] < 500 for r in recs), "rtt from the send, not the wait")
    return C.done()


if __name__ == "__main__":
    sys.exit(lab.main(run))
