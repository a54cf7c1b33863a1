#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""--checkpoint / --resume: interrupt a run at random points (SIGINT and kill -9), resume
it (possibly interrupted again), and check that the union of all runs' records has every
input line exactly once, with the right answers."""
import json
import os
import random
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "lab"))
import lab  # noqa: E402

lab.isolate_network()
N = 6000


def run():
    C = lab.Checker("test_resume")
    rnd = random.Random(int(os.environ.get("PACEDNS_TEST_SEED", "7")))
    with lab.Lab() as L:
        info = L.zones(hosts=3000)
        exp = lab.load_expected(info)
        ns = L.start_nsd(info["zones"])
        names = L.path("names.txt")
        want = {}
        with open(names, "w") as f:
            f.write("# header comment\n\n")
            line = 2
            for i in range(N):
                line += 1
                n = "host%d.example.test" % (i % 3000) if i % 50 else "bad..name"
                f.write(n + "\n")
                want[line] = n
                if i % 1000 == 999:  # blank lines inside the input keep numbering honest
                    f.write("\n")
                    line += 1
        # the last round has two types: a line is done only when both records are written,
        # and the output never holds half a line that the resume would write again
        for rnd_i, (sigs, types) in enumerate([([signal.SIGKILL], "A"), ([signal.SIGINT], "A"),
                                               ([signal.SIGKILL, signal.SIGINT], "A"),
                                               ([signal.SIGINT, signal.SIGKILL], "A"),
                                               ([signal.SIGKILL, signal.SIGKILL], "A,AAAA")]):
            tl = types.split(",")
            what = "round %d (%s, -t %s)" % (rnd_i, "+".join(s.name for s in sigs), types)
            out = L.path("out-%d.ndjson" % rnd_i)
            ck = L.path("ck-%d.json" % rnd_i)
            base = [lab.pacedns_path(), "resolve", "-q", "-s", ns.addr, "--qps", "2500", "-t", types, names]
            argv = base + ["--checkpoint", ck, "-o", out]
            for k, sig in enumerate(sigs):
                p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stderr=subprocess.PIPE)
                time.sleep(rnd.uniform(0.4, 1.6))
                p.send_signal(sig)
                rc = p.wait(timeout=60)
                err = p.stderr.read().decode(errors="replace")
                C.eq(rc, 130 if sig == signal.SIGINT else -9, "%s: exit after %s (%s)" % (what, sig.name, err[-300:]))
                C.check(os.path.exists(ck), "%s: checkpoint written before %s" % (what, sig.name))
                argv = base + ["--resume", ck]
            t0 = time.monotonic()
            p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=120)
            C.eq(p.returncode, 0, "%s: final resume exit (%s)" % (what, p.stderr.decode()[-300:]))
            recs = [json.loads(x) for x in open(out, encoding="utf-8")]
            lines = [(r.get("line"), r.get("type")) for r in recs]
            C.eq(len(lines), N * len(tl), "%s: records in the union" % what)
            C.eq(len(set(lines)), len(lines), "%s: no (line, type) twice" % what)
            C.eq(set(lines), {(ln, t) for ln in want for t in tl}, "%s: every input line once per type" % what)
            bad = 0
            for r in recs:
                n = want.get(r.get("line"))
                if r.get("name") != n:
                    bad += 1
                    continue
                if n == "bad..name":
                    bad += r.get("status") != "INVALID_NAME"
                    continue
                e = exp.get("%s|%s" % (n, r.get("type")))
                if not e or not lab.compare_record(C, "%s %s" % (what, n), r, e):
                    bad += 1
            C.eq(bad, 0, "%s: records with a wrong name, status or answers" % what)
            print("%s: resumed run %.2f s" % (what, time.monotonic() - t0))
        # errors: --checkpoint without -o, a bad checkpoint file
        rc, out, err = L.run_pacedns(["resolve", "-s", ns.addr, "--checkpoint", L.path("x.json"), names])
        C.eq(rc, 1, "--checkpoint without -o: exit 1")
        C.check("-o FILE" in err, "--checkpoint without -o: message (%s)" % err.strip())
        with open(L.path("bad.json"), "w") as f:
            f.write("{nope")
        rc, out, err = L.run_pacedns(["resolve", "-s", ns.addr, "--resume", L.path("bad.json"), names])
        C.eq(rc, 1, "bad checkpoint: exit 1")
        C.check("bad.json" in err, "bad checkpoint: message names the file (%s)" % err.strip())
    return C.done()


if __name__ == "__main__":
    sys.exit(lab.main(run))
