#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Huge input: 100,000, 1,000,000 and 10,000,000 names streamed from a generator through
a pipe into `pacedns resolve` against a local NSD at a high rate, 1,000 in flight, full
NDJSON records (the default output) to /dev/null; peak RSS (from /usr/bin/time) of every
run must stay at most 64 MiB and within 10 % of the smallest run's. Every name must be
accounted for (records == names). Loopback only, in a private network namespace when
possible; everything started is killed by PID.

Usage: bench/huge.py [NAMES...]   (default 100000 1000000 10000000)
Env:   BENCH_QPS (default 100000), BENCH_FORMAT (default ndjson)"""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools", "lab"))
import lab  # noqa: E402

lab.isolate_network()
SIZES = sorted(int(a) for a in sys.argv[1:]) if len(sys.argv) > 1 else [100_000, 1_000_000, 10_000_000]
QPS = os.environ.get("BENCH_QPS", "100000")
FORMAT = os.environ.get("BENCH_FORMAT", "ndjson")
HOSTS = 20000


def run_one(L, ns, n):
    """Generator | pacedns; returns (elapsed, peak RSS KiB, records, exit)."""
    gen = [sys.executable, "-c",
           "import sys\nw=sys.stdout.write\nfor i in range(%d): w('host%%d.example.test\\n' %% (i %% %d))" % (n, HOSTS)]
    stats = L.path("stats-%d.json" % n)
    cmd = ["/usr/bin/time", "-f", "TIME %e %U %S %M", lab.pacedns_path(), "resolve", "-q", "-s", ns.addr,
           "--qps", QPS, "--max-inflight", "1000", "-f", FORMAT, "-o", "/dev/null", "--stats", stats, "-"]
    g = subprocess.Popen(gen, stdout=subprocess.PIPE)
    t0 = time.monotonic()
    p = subprocess.run(cmd, stdin=g.stdout, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=3600)
    g.stdout.close()
    g.wait()
    el = time.monotonic() - t0
    line = [x for x in p.stderr.decode().splitlines() if x.startswith("TIME ")][-1].split()
    import json
    s = json.load(open(stats))
    return el, int(line[4]), s["totals"]["records"], s["totals"]["statuses"], p.returncode, float(line[2]) + float(line[3])


def main():
    with lab.Lab() as L:
        info = L.zones(hosts=HOSTS)
        ns = L.start_nsd(info["zones"], server_count=1)
        rows = []
        for n in SIZES:
            el, rss, recs, st, rc, cpu = run_one(L, ns, n)
            rows.append((n, el, rss, recs, st, rc, cpu))
            print("%10d names: %7.1f s  %8.0f names/s  peak RSS %6.1f MiB  cpu %.1f s  records %d  exit %d  %s" % (
                n, el, n / el, rss / 1024, cpu, recs, rc, st), flush=True)
        small = rows[0]
        ok = True
        for n, el, rss, recs, st, rc, cpu in rows:
            growth = rss / small[2] - 1
            good = rss <= 64 * 1024 and growth <= 0.10 and recs == n and rc == 0
            ok = ok and good
            print("peak RSS %d names %.1f MiB vs %d names %.1f MiB: %+.1f %% (limit +10 %%, 64 MiB; records %d) -> %s" % (
                n, rss / 1024, small[0], small[2] / 1024, growth * 100, recs, "PASS" if good else "FAIL"))
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(lab.main(main))
