#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""bench/loadgen.py - load generation: `pacedns probe --qps R` beside `dnsperf -Q R`.

Both offer R queries/s of random labels under example.test (uncacheable NXDOMAIN) to the
same local NSD for D seconds, one after the other; "max" offers as fast as each can
(pacedns --qps 1000000, dnsperf without -Q). For each run: queries sent per second,
answered per second, loss, client CPU (user + system, from wait4) per query sent in
microseconds, peak RSS, and the ratios against dnsperf at the same rate. With
BENCH_THREADS > 1 pacedns also runs with -j BENCH_THREADS.

Usage: bench/loadgen.py
Env:   PACEDNS (default build/pacedns)  BENCH_RATES ("50000 100000 max")
       BENCH_SECONDS (5)  BENCH_THREADS (2)  BENCH_INFLIGHT (2000)  BENCH_JSON (rows)
Loopback only, inside a private network namespace when unshare is permitted; every
process is killed by PID (tools/lab/lab.py); every run has a hard timeout
(D + 30 s). A load test: do not run it beside another one on the same 2 cores."""
import json
import os
import random
import re
import resource
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tools", "lab"))
import lab  # noqa: E402

lab.isolate_network()
RATES = os.environ.get("BENCH_RATES", "50000 100000 max").split()
SECS = float(os.environ.get("BENCH_SECONDS", "5"))
THREADS = int(os.environ.get("BENCH_THREADS", "2"))
INFLIGHT = int(os.environ.get("BENCH_INFLIGHT", "2000"))


def measured(argv, timeout):
    """Run argv to completion (killed after timeout); returns (rc, stdout, stderr, wall_s)."""
    t0 = time.monotonic()
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    lab._children[p.pid] = lab.Child(argv[0], p, None)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        lab.kill(p.pid, grace=1.0)
        out, err = p.communicate()
    finally:
        lab._children.pop(p.pid, None)
    wall = time.monotonic() - t0
    return p.returncode, out.decode(errors="replace"), err.decode(errors="replace"), wall


def child_cpu():
    """CPU seconds of the reaped children so far (communicate() reaps: a run's CPU is the
    difference around it; the servers are still running, so they are not in it)."""
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def run_one(argv):
    """(rc, stdout, stderr, wall_s, cpu_s) of one bounded run."""
    before = child_cpu()
    rc, out, err, wall = measured(argv, SECS + 30)
    cpu = child_cpu() - before
    return rc, out, err, wall, cpu


def main():
    pacedns = lab.pacedns_path()
    rows = []
    with lab.Lab() as L:
        info = L.zones(hosts=100)
        ns = L.start_nsd(info["zones"], extra="  receive-buffer-size: 8388608\n  send-buffer-size: 8388608")
        rnd = random.Random(7)
        dfile = L.path("dnsperf.txt")
        with open(dfile, "w") as f:
            for _ in range(200000):
                f.write("pdns-%012x.example.test A\n" % rnd.getrandbits(48))
        print("loadgen: NSD on %s, %g s per run, rates %s" % (ns.addr, SECS, " ".join(RATES)), file=sys.stderr)
        for rate in RATES:
            q = 1000000 if rate == "max" else int(rate)
            runs = [("pacedns", 1), ("dnsperf", 1)]
            if THREADS > 1:
                runs.insert(1, ("pacedns", THREADS))
            for tool, j in runs:
                if tool == "pacedns":
                    st = L.path("stats-%s-%d.json" % (rate, j))
                    argv = [pacedns, "probe", "-s", ns.addr, "--zone", "example.test", "--qps", str(q),
                            "--duration", str(SECS), "--max-inflight", str(INFLIGHT), "--timeout", "1000",
                            "--stats", st, "-q", "-j", str(j)]
                    rc, out, err, wall, cpu = run_one(argv)
                    try:
                        s = json.load(open(st))
                        srv = s["servers"][0]
                        sent, ans, dur = srv["sent"], srv["answered"], s["duration_s"]
                    except Exception as e:  # a failed run is reported, not hidden
                        print("loadgen: pacedns -j %d at %s: no stats (%s): %s" % (j, rate, e, err[-300:]),
                              file=sys.stderr)
                        continue
                    label = "pacedns" if j == 1 else "pacedns -j%d" % j
                else:
                    argv = ["dnsperf", "-s", "127.0.0.1", "-p", str(ns.port), "-d", dfile, "-l", str(SECS),
                            "-q", str(INFLIGHT), "-t", "1"]
                    if rate != "max":
                        argv += ["-Q", str(q)]
                    rc, out, err, wall, cpu = run_one(argv)
                    m1 = re.search(r"Queries sent:\s+(\d+)", out)
                    m2 = re.search(r"Queries completed:\s+(\d+)", out)
                    m3 = re.search(r"Run time \(s\):\s+([\d.]+)", out)
                    if not (m1 and m2 and m3):
                        print("loadgen: dnsperf at %s: cannot parse its output: %s" % (rate, (out + err)[-300:]),
                              file=sys.stderr)
                        continue
                    sent, ans, dur = int(m1.group(1)), int(m2.group(1)), float(m3.group(1))
                    label = "dnsperf"
                rows.append({"rate": rate, "tool": label, "rc": rc, "sent": sent, "answered": ans,
                             "duration_s": dur, "sent_qps": sent / dur if dur else 0,
                             "answered_qps": ans / dur if dur else 0,
                             "loss_pct": 100.0 * (sent - ans) / sent if sent else 0,
                             "cpu_s": cpu, "cpu_us_per_query": cpu / sent * 1e6 if sent else 0})
    print("%-6s %-12s %10s %10s %7s %12s %10s %10s" % ("rate", "tool", "sent/s", "answered/s", "loss%",
                                                     "cpu us/query", "sent/s vs", "cpu vs"))
    for r in rows:
        ref = next((x for x in rows if x["rate"] == r["rate"] and x["tool"] == "dnsperf"), None)
        r["sent_vs_dnsperf"] = r["sent_qps"] / ref["sent_qps"] if ref and ref["sent_qps"] else None
        r["cpu_vs_dnsperf"] = (r["cpu_us_per_query"] / ref["cpu_us_per_query"]
                               if ref and ref["cpu_us_per_query"] else None)
        print("%-6s %-12s %10.0f %10.0f %7.2f %12.2f %9s %9s%s" % (
            r["rate"], r["tool"], r["sent_qps"], r["answered_qps"], r["loss_pct"], r["cpu_us_per_query"],
            "%.2fx" % r["sent_vs_dnsperf"] if r["sent_vs_dnsperf"] else "-",
            "%.2fx" % r["cpu_vs_dnsperf"] if r["cpu_vs_dnsperf"] else "-",
            "" if r["rc"] == 0 else "  (exit %s)" % r["rc"]))
    if os.environ.get("BENCH_JSON"):
        with open(os.environ["BENCH_JSON"], "w") as f:
            json.dump(rows, f, indent=1)
    return 0 if rows else 1


if __name__ == "__main__":
    sys.exit(main())
