#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""--checkpoint after an interrupt, and over a long run.

1. A query that fails only because SIGINT stopped the run (it would have been retried)
   is not marked done: its line (all its types) is left out of the interrupted run's
   output and the resume redoes it, so the union has the real answer, every line and type
   exactly once.
2. The checkpoint stays small while one line is stuck in flight and thousands of lines
   after it complete (it used to list every completed line above the stuck one, so it
   grew with the run), and the process memory does not grow with it either."""
import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "lab"))
import lab  # noqa: E402

lab.isolate_network()


def records(path):
    out = []
    with open(path, "rb") as f:
        for x in f:
            try:
                out.append(json.loads(x))
            except ValueError:
                out.append({})
    return out


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for ln in f:
            if ln.startswith("VmRSS:"):
                return int(ln.split()[1])
    return -1


def run():
    C = lab.Checker("test_resume_interrupt")
    with lab.Lab() as L:
        info = L.zones(hosts=3000)
        exp = lab.load_expected(info)
        ns = L.start_nsd(info["zones"])
        # a name with both A and AAAA answers: its AAAA query is dropped
        victim = next("host%d.example.test" % i for i in range(5, 3000)
                      if exp.get("host%d.example.test|AAAA" % i, {}).get("status") == "NOERROR"
                      and exp.get("host%d.example.test|A" % i, {}).get("status") == "NOERROR")
        dd = L.start_dnsdist(backend=ns, ready_query=("example.test.", "SOA"), rule_lua_lines=[
            'addAction(AndRule({QNameRule("%s."), QTypeRule(DNSQType.AAAA)}), DropAction())' % victim,
            'addAction(QNameRule("stuck.example.test."), DropAction())'])

        # ---- 1. SIGINT while the victim's AAAA query is in flight
        names = L.path("names.txt")
        want = {}
        with open(names, "w") as f:
            for i, n in enumerate(["host%d.example.test" % i for i in range(41)
                                    if "host%d.example.test" % i != victim][:39] + [victim]):
                f.write(n + "\n")
                want[i + 1] = n
        vline = max(want)
        out, ck = L.path("out.ndjson"), L.path("ck.json")
        argv = [lab.pacedns_path(), "resolve", "-s", dd.addr, "--qps", "200", "--timeout", "4000",
                "--retries", "3", "-t", "A,AAAA", names, "--checkpoint", ck, "-o", out]
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(1.5)
        p.send_signal(signal.SIGINT)
        rc = p.wait(timeout=30)
        err = p.stderr.read().decode(errors="replace")
        C.eq(rc, 130, "SIGINT: exit (%s)" % err[-300:])
        first = records(out)
        C.eq([r.get("status") for r in first if r.get("line") == vline], [],
             "SIGINT: the line cut short is not in the interrupted run's output")
        C.check("cut short" in err and "ck.json" in err, "SIGINT: stderr says so (%s)" % err[-300:])
        C.eq(len(first), 2 * (len(want) - 1), "SIGINT: the other lines are written whole")
        rc, _, err = L.run_pacedns(["resolve", "-s", ns.addr, "--qps", "500", "-t", "AAAA,A", names,
                                    "--resume", ck],
                                   timeout=60)
        C.eq(rc, 0, "resume: exit (%s)" % err[-300:])
        recs = records(out)
        keys = [(r.get("line"), r.get("type")) for r in recs]
        C.eq(len(keys), 2 * len(want), "resume: records in the union")
        C.eq(len(set(keys)), len(keys), "resume: no (line, type) twice")
        C.eq(set(keys), {(ln, t) for ln in want for t in ("A", "AAAA")}, "resume: every line and type")
        for r in recs:
            e = exp.get("%s|%s" % (r.get("name"), r.get("type"))) or {}
            C.eq(r.get("status"), e.get("status"), "resume: line %s %s %s status" % (
                r.get("line"), r.get("name"), r.get("type")))

        # ---- 2. one line stuck in flight while thousands complete: the checkpoint stays small
        big = L.path("big.txt")
        M = 40000
        with open(big, "w") as f:
            f.write("stuck.example.test\n")
            for i in range(M):
                f.write("host%d.example.test\n" % (i % 3000))
        out2, ck2 = L.path("out2.ndjson"), L.path("ck2.json")
        argv = [lab.pacedns_path(), "resolve", "-q", "-s", dd.addr, "--qps", "2000", "--timeout", "60000",
                "--retries", "0", big, "--checkpoint", ck2, "-o", out2]
        # under ASan, freed memory waits in a quarantine: RSS would grow without a leak
        env = dict(os.environ)
        env["ASAN_OPTIONS"] = ":".join(x for x in (env.get("ASAN_OPTIONS"), "quarantine_size_mb=0") if x)
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        try:
            samples = []
            t0 = time.monotonic()
            for t in (2.5, 4.5, 6.5):
                time.sleep(max(0.0, t0 + t - time.monotonic()))
                with open(out2, "rb") as f:
                    done = f.read().count(b"\n")
                samples.append((done, os.path.getsize(ck2), rss_kb(p.pid)))
        finally:
            p.send_signal(signal.SIGKILL)
            p.wait(timeout=30)
        print("(records written, checkpoint bytes, RSS kB):", samples)
        C.check(samples[-1][0] - samples[0][0] >= 4000,
                "long run: thousands of lines completed between the samples (%s)" % samples)
        C.check(max(s[1] for s in samples) < 4096, "long run: the checkpoint stays small (%s)" % samples)
        C.check(samples[-1][1] - samples[0][1] < 256,
                "long run: the checkpoint does not grow with lines done (%s)" % samples)
        C.check(samples[-1][2] - samples[0][2] < 4096, "long run: RSS does not grow (%s)" % samples)
        rc, _, err = L.run_pacedns(["resolve", "-q", "-s", ns.addr, "--qps", "6000", big, "--resume", ck2],
                                   timeout=120)
        C.eq(rc, 0, "long run resume: exit (%s)" % err[-300:])
        recs = records(out2)
        lines = [r.get("line") for r in recs]
        C.eq(len(lines), M + 1, "long run resume: records in the union")
        C.eq(len(set(lines)), len(lines), "long run resume: no line twice")
        stuck = [r.get("status") for r in recs if r.get("line") == 1]
        C.eq(stuck, ["NXDOMAIN"], "long run resume: the stuck line was redone")
    return C.done()


if __name__ == "__main__":
    sys.exit(lab.main(run))
