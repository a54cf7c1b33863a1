#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Whole-run efficiency over many capped servers, side by side with a reference.

Three dnsdist front-ends of one NSD drop what exceeds 500, 1500 and 3000 q/s (sum C).
BENCH_NAMES names (30,000) are resolved, ramp-up and tail included:
- pacedns cold: `resolve -s A -s B -s C` with the default profile, nothing known;
- pacedns warm: the same with `--atlas`, written by a `probe` of the three beforehand;
- reference: three dnsperf processes at once, each given its server's part of the names
  (in proportion to the caps) at exactly its cap (`-Q cap`): a client that knows every
  capacity in advance and does not keep below it (no politeness margin, no retries).
Each row runs BENCH_REPEAT times (3), interleaved; the median (by records/s) is reported
as records/s, % of C, and the ratio to the reference's records/s in the same run.

Targets (#16): warm >= 90 % of C, cold >= 80 % of C. They are speed targets and so live
here, not in ctest (the project's rule; a busy host moved the whole-run figure between
84 % and 92 % in one afternoon, for the old and the new controller alike); the reference
run beside them shows how much of a shortfall the host itself took. Exit 1 when a
target is missed. BENCH_JSON writes every run."""
import json
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools", "lab"))
import lab  # noqa: E402

lab.isolate_network()
CAPS = (500, 1500, 3000)
N = int(os.environ.get("BENCH_NAMES", "30000"))
REPEAT = int(os.environ.get("BENCH_REPEAT", "3"))


def dnsperf_answered(out):
    for line in out.splitlines():
        line = line.strip()
        if line.startswith("Queries completed:"):
            return int(line.split()[2])
    return 0


def reference(L, dds, names):
    """Three dnsperf at once, each at its cap over its part of the names; records/s over
    the longest of the three."""
    total, parts, start = sum(CAPS), [], 0
    for i, c in enumerate(CAPS):
        n = N * c // total if i < len(CAPS) - 1 else N - start
        p = L.path("ref-%d.txt" % i)
        with open(p, "w") as f:
            f.write("".join("%s A\n" % x for x in names[start:start + n]))
        parts.append((p, n))
        start += n
    t0 = time.monotonic()
    procs = [subprocess.Popen(["dnsperf", "-s", "127.0.0.1", "-p", str(d.port), "-d", p, "-n", "1",
                               "-q", "100", "-Q", str(c), "-t", "2"], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
             for d, (p, _), c in zip(dds, parts, CAPS)]
    answered = 0
    for pr in procs:
        out, _ = pr.communicate(timeout=300)
        answered += dnsperf_answered(out)
    wall = time.monotonic() - t0
    return answered / wall, answered


def main():
    runs = {"cold": [], "warm": [], "reference": []}
    with lab.Lab() as L:
        info = L.zones(hosts=N, with_expected=False)
        ns = L.start_nsd(info["zones"])
        dds = [L.start_dnsdist(backend=ns, ready_query=("example.test.", "SOA"), rule_lua_lines=[
            "addAction(NotRule(MaxQPSRule(%d, %d)), DropAction())" % (c, max(1, c // 100))]) for c in CAPS]
        srv = sum((["-s", d.addr] for d in dds), [])
        with open(info["hosts_file"]) as f:
            names = [ln.split()[0] for ln in f if ln.strip()]
        atlas = L.path("atlas.json")
        rc, _, err = L.run_pacedns(["probe"] + srv + ["--zone", "example.test", "--duration", "15",
                                                      "--atlas", atlas, "-q"], timeout=60)
        if rc != 0:
            print("probe failed: %s" % err[-300:])
            return 1
        for _ in range(REPEAT):
            for tag, extra in (("cold", []), ("warm", ["--atlas", atlas])):
                st = L.path(tag + ".json")
                rc, _, err = L.run_pacedns(["resolve"] + srv + extra + ["-q", "--no-progress", "-o",
                                                                       L.path(tag + ".ndjson"), "--stats", st,
                                                                       info["hosts_file"]], timeout=300)
                with open(st) as f:
                    t = json.load(f)["totals"]
                runs[tag].append(t["records_per_s"])
            rate, answered = reference(L, dds, names)
            runs["reference"].append(rate)
            print("run: cold %.0f, warm %.0f, reference %.0f records/s (reference answered %d of %d)"
                  % (runs["cold"][-1], runs["warm"][-1], rate, answered, N), flush=True)
    total = sum(CAPS)
    med = {k: statistics.median(v) for k, v in runs.items()}
    print("\n| row | records/s | %% of C = %d | vs reference |" % total)
    print("|---|---:|---:|---:|")
    for k in ("cold", "warm", "reference"):
        print("| %s | %.0f | %.1f %% | %.2fx |" % (k, med[k], 100 * med[k] / total, med[k] / med["reference"]))
    if os.environ.get("BENCH_JSON"):
        with open(os.environ["BENCH_JSON"], "w") as f:
            json.dump(runs, f, indent=1)
    ok = med["warm"] >= 0.9 * total and med["cold"] >= 0.8 * total
    print("targets: warm >= 90 %% of C: %s; cold >= 80 %% of C: %s" % (
        "met" if med["warm"] >= 0.9 * total else "MISSED", "met" if med["cold"] >= 0.8 * total else "MISSED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(lab.main(main))
