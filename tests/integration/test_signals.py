#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""SIGINT / SIGTERM mid-run: exit 130 / 143, the names already started finish, every
record written is whole, the stats file is written and agrees with the records."""
import json
import os
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "lab"))
import lab  # noqa: E402

lab.isolate_network()
NAMES = 20000
QPS = 200


def run():
    C = lab.Checker("test_signals")
    with lab.Lab() as L:
        info = L.zones(hosts=3000)
        exp = lab.load_expected(info)
        ns = L.start_nsd(info["zones"])
        inp = L.path("big.txt")
        with open(inp, "w") as f:
            for i in range(NAMES):
                f.write("host%d.example.test\n" % (i % 3000))

        for sig, want_rc, use_o in ((signal.SIGINT, 130, True), (signal.SIGTERM, 143, False)):
            what = signal.Signals(sig).name
            stats = L.path("stats-%s.json" % what)
            outp = L.path("out-%s.ndjson" % what)
            args = ["resolve", "-s", ns.addr, "--qps", str(QPS), "--interval", "0.2", "--stats", stats,
                    "-t", "A,AAAA"]
            if use_o:
                args += ["-o", outp]
            args.append(inp)
            ch = L.spawn_pacedns(args, stdout_path=L.path("stdout-%s" % what))
            time.sleep(1.0)
            C.check(ch.alive(), "%s: pacedns ended before the signal (rc %s): %s" % (what, ch.proc.returncode, ch.log_tail()))
            t0 = time.monotonic()
            os.kill(ch.pid, sig)
            try:
                rc = ch.proc.wait(timeout=15)
            except Exception:
                rc = None
            took = time.monotonic() - t0
            L.kill(ch)
            print("%s: exit %s %.2f s after the signal" % (what, rc, took))
            C.eq(rc, want_rc, "%s: exit code (stderr: %s)" % (what, ch.log_tail(10)))
            C.check(took < 10, "%s: took %.1f s to stop" % (what, took))
            with open(outp if use_o else ch.stdout_path, "rb") as f:
                raw = f.read()
            C.check(raw == b"" or raw.endswith(b"\n"), "%s: output ends in a partial line" % what)
            try:
                recs = lab.parse_ndjson(raw.decode())
            except lab.LabError as e:
                C.check(False, "%s: %s" % (what, e))
                recs = []
            C.check(0 < len(recs) < NAMES * 2, "%s: %d records (want some, not all)" % (what, len(recs)))
            for r in recs:
                k = "%s|%s" % (r.get("name"), r.get("type"))
                if k in exp:
                    lab.compare_record(C, "%s %s" % (what, k), r, exp[k])
                else:
                    C.check(False, "%s: unexpected record %r" % (what, r))
            C.check(os.path.exists(stats), "%s: stats file not written" % what)
            if not os.path.exists(stats):
                continue
            with open(stats) as f:
                st = json.load(f)
            tot = st.get("totals") or {}
            C.eq(tot.get("records"), len(recs), "%s: totals.records == records written" % what)
            n = tot.get("names")
            C.eq(len(recs), (n or 0) * 2, "%s: every name read has both records (names read %r)" % (what, n))
            lines = sorted(set(r.get("line") for r in recs if isinstance(r.get("line"), int)))
            C.eq(lines, list(range(1, (n or 0) + 1)), "%s: the lines done are exactly 1..names" % what)
            sent = sum(s.get("sent", 0) for s in st.get("servers") or [])
            C.eq(sent, sum(r.get("attempts") or 0 for r in recs), "%s: sent == sum of attempts" % what)
            C.check(sent <= QPS * (1.0 + took) * 1.3 + 50, "%s: %d queries sent in %.1f s at --qps %d" % (
                what, sent, 1.0 + took, QPS))
    return C.done()


if __name__ == "__main__":
    sys.exit(lab.main(run))
