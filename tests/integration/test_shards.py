#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""--shard I/N, --shard auto and pacedns merge against a real NSD (30,000 names).

- 3 shards as local processes, run three ways (--shard I/3; the Kubernetes variables
  JOB_COMPLETION_INDEX + PACEDNS_SHARDS; the Slurm variables SLURM_ARRAY_TASK_ID -
  SLURM_ARRAY_TASK_MIN + SLURM_ARRAY_TASK_COUNT), one command line each with {shard} in
  -o/--stats/--checkpoint: `pacedns merge` finds every input line (and type) exactly
  once and the merged totals (names, records, statuses) equal a single run's; the merged
  records come in line order and equal the single run's records line by line;
- each shard took its part (by line: (line - 1) mod 3) and 1/3 of the budget (its
  target rate is --qps / 3), and the stats say "shard": {"index", "count"};
- --shard-by zone keeps each zone's names on one shard and still merges exactly;
- a missing shard is reported with its line ranges (exit 1): without its stats file
  (from the input map) and without its records file (from the records);
- duplicated records are reported (exit 1);
- --shard auto with missing or inconsistent variables exits 1 naming the variable.
Input: a comment, blank lines and typed "NAME AAAA" lines among the names, so the line
numbers the merge checks have gaps and lines owe one or two records."""
import collections
import json
import os
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "lab"))
import lab  # noqa: E402

lab.isolate_network()
HOSTS = 30000
N = 3
QPS = 6000  # the whole run's per-server rate; each shard takes 1/3


def make_input(path, info):
    """names with a comment first, a blank line every 1000 and a typed line every 700;
    returns {line: (name, types)} of the lines that give records."""
    owed = {}
    lines = ["# 30,000 host names, some typed"]
    for i in range(HOSTS):
        if i and i % 1000 == 0:
            lines.append("")
        name = "host%d.example.test" % i
        if i % 700 == 3:
            lines.append(name + " AAAA")
            owed[len(lines)] = (name, ("AAAA",))
        else:
            lines.append(name)
            owed[len(lines)] = (name, ("A", "MX"))
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return owed


def load(path):
    with open(path) as f:
        return lab.parse_ndjson(f.read())


def expand(runs):
    """[[from, to, step], ...] -> sorted list of lines."""
    out = []
    for a, b, s in runs:
        out.extend(range(int(a), int(b) + 1, int(s)))
    return out


def check_exact(C, what, recs, owed):
    got = collections.Counter((r["line"], r["type"]) for r in recs)
    want = collections.Counter((ln, t) for ln, (_, ts) in owed.items() for t in ts)
    C.check(got == want, "%s: records differ from what the input owes: missing %r, extra %r" % (
        what, list(want - got)[:5], list(got - want)[:5]))


def run():
    C = lab.Checker("test_shards")
    with lab.Lab() as L:
        info = L.zones(hosts=HOSTS, with_expected=False)
        ns = L.start_nsd(info["zones"])
        inp = L.path("input.txt")
        owed = make_input(inp, info)
        common = ["resolve", "-s", ns.addr, "-t", "A,MX", "--qps", str(QPS), "--no-progress",
                  "-q", "--interval", "0.5"]

        # ---- one process: the reference
        rc, _, err = L.run_pacedns(common + ["-o", L.path("single.ndjson"), "--stats",
                                             L.path("single.json"), inp], timeout=180)
        C.eq(rc, 0, "single run: exit code (%s)" % err[-500:])
        single = load(L.path("single.ndjson"))
        with open(L.path("single.json")) as f:
            single_st = json.load(f)
        check_exact(C, "single run", single, owed)

        variants = [
            ("i", [{} for i in range(N)], lambda i: ["--shard", "%d/%d" % (i, N)]),
            ("k8s", [{"JOB_COMPLETION_INDEX": str(i), "PACEDNS_SHARDS": str(N)} for i in range(N)],
             lambda i: ["--shard", "auto"]),
            ("slurm", [{"SLURM_ARRAY_TASK_ID": str(i + 5), "SLURM_ARRAY_TASK_MIN": "5",
                        "SLURM_ARRAY_TASK_MAX": str(N + 4), "SLURM_ARRAY_TASK_COUNT": str(N)}
                       for i in range(N)], lambda i: ["--shard", "auto"]),
            ("zone", [{} for i in range(N)], lambda i: ["--shard", "%d/%d" % (i, N), "--shard-by", "zone"]),
        ]
        for tag, envs, shard_args in variants:
            for e in envs:
                for k in ("JOB_COMPLETION_INDEX", "PACEDNS_SHARDS", "SLURM_ARRAY_TASK_ID"):
                    e.setdefault(k, None)
            # one command line per variant: {shard} in the file names ("i": args differ)
            outs, stats = [], []
            kids = []
            for i in range(N):
                env = {k: v for k, v in os.environ.items()
                       if not k.startswith(("SLURM_", "JOB_COMPLETION", "PACEDNS_SHARDS"))}
                env.update({k: v for k, v in envs[i].items() if v is not None})
                argv = common + shard_args(i) + [
                    "-o", L.path(tag + "-out-{shard}.ndjson"), "--stats", L.path(tag + "-stats-{shard}.json"),
                    "--checkpoint", L.path(tag + "-ckpt-{shard}.json"), inp]
                kids.append(L.spawn("shard-%s-%d" % (tag, i), [lab.pacedns_path()] + argv, env=env))
            for i, k in enumerate(kids):
                rc = k.proc.wait(timeout=240)
                C.eq(rc, 0, "%s shard %d: exit code (log: %s)" % (tag, i, k.log_tail()))
                outs.append(L.path("%s-out-%d.ndjson" % (tag, i)))
                stats.append(L.path("%s-stats-%d.json" % (tag, i)))
            per = []
            for i in range(N):
                C.check(os.path.exists(outs[i]) and os.path.exists(stats[i]),
                        "%s: {shard} made %s and %s" % (tag, outs[i], stats[i]))
                if not os.path.exists(stats[i]):
                    return C.done()
                with open(stats[i]) as f:
                    st = json.load(f)
                C.eq(st.get("shard"), {"index": i, "count": N}, "%s shard %d: stats 'shard'" % (tag, i))
                tq = [p["target_qps"] for p in st["servers"][0]["timeseries"]]
                C.check(tq and all(abs(q - QPS / N) < 1e-6 for q in tq),
                        "%s shard %d: target rate %r, want the shard's share %g" % (tag, i, tq[:3], QPS / N))
                recs = load(outs[i])
                per.append(recs)
                if tag != "zone":
                    bad = [r["line"] for r in recs if (r["line"] - 1) % N != i]
                    C.check(not bad, "%s shard %d has other shards' lines %r" % (tag, i, bad[:5]))
            if tag == "zone":  # one zone, one shard: every name of example.test on one shard
                busy = [i for i in range(N) if per[i]]
                C.eq(len(busy), 1, "zone: the one zone's names went to one shard (records per shard %r)" % (
                    [len(p) for p in per],))
            merged = L.path(tag + "-merged.ndjson")
            mstats = L.path(tag + "-merged.json")
            rc, out, err = L.run_pacedns(["merge"] + stats + ["--records"] + outs +
                                         ["-o", merged, "--stats", mstats], allow_no_server=True)
            C.eq(rc, 0, "%s: merge exit code (stderr: %s)" % (tag, err[-800:]))
            if rc != 0:
                continue
            m = load(merged)
            check_exact(C, tag + " merged", m, owed)
            C.check([r["line"] for r in m] == sorted(r["line"] for r in m), "%s: merged records in line order" % tag)
            key = lambda r: (r["line"], r["type"])  # noqa: E731
            C.check([(key(r), r["status"], sorted(a["data"] for a in r.get("answers") or []))
                     for r in m] ==
                    [(key(r), r["status"], sorted(a["data"] for a in r.get("answers") or []))
                     for r in sorted(single, key=key)],
                    "%s: merged records equal the single run's" % tag)
            with open(mstats) as f:
                ms = json.load(f)
            for k in ("names", "records", "statuses"):
                C.eq(ms["totals"][k], single_st["totals"][k], "%s: merged totals.%s vs a single run" % (tag, k))
            C.check(ms["check"]["ok"] and ms["check"]["records_checked"], "%s: merged check %r" % (tag, ms["check"]))
            srv = ms["servers"][0]
            C.eq(srv["sent"], sum(json.load(open(s))["servers"][0]["sent"] for s in stats),
                 "%s: merged sent is the shards' sum" % tag)
            C.eq(sum(h[2] for h in srv["histogram"]), srv["answered"], "%s: merged histogram total" % tag)
            C.eq(sum(srv["rcodes"].values()), srv["answered"], "%s: merged rcodes total" % tag)
            C.eq(sum(p["sent"] for p in srv["timeseries"]), srv["sent"], "%s: merged series sent" % tag)
            C.eq(len(ms["shard_breakdown"]), N, "%s: per-shard breakdown kept" % tag)

        # ---- one shard interrupted and resumed on its own (--resume with {shard})
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("SLURM_", "JOB_COMPLETION", "PACEDNS_SHARDS"))}
        slow = [a if a != str(QPS) else "900" for a in common]
        k = L.spawn("resume-1", [lab.pacedns_path()] + slow + [
            "--shard", "1/3", "-o", L.path("r-out-{shard}.ndjson"), "--stats", L.path("r-stats-{shard}.json"),
            "--checkpoint", L.path("r-ckpt-{shard}.json"), inp], env=env)
        time.sleep(2.5)
        os.kill(k.proc.pid, signal.SIGINT)
        C.eq(k.proc.wait(timeout=60), 130, "interrupted shard: exit 130")
        part = load(L.path("r-out-1.ndjson"))
        C.check(0 < len(part) < 2 * len(owed) // 3, "the interrupted shard wrote part of its lines (%d)" % len(part))
        rc, _, err = L.run_pacedns(common + ["--shard", "2/3", "--resume", L.path("r-ckpt-1.json"), inp])
        C.eq(rc, 1, "resuming shard 1's checkpoint as shard 2: exit 1")
        C.check("--shard" in err, "the refusal names --shard: %s" % err.strip())
        rc, _, err = L.run_pacedns(common + ["--shard", "1/3", "--resume", L.path("r-ckpt-{shard}.json"), "--stats",
                                             L.path("r-stats-{shard}.json"), inp])
        C.eq(rc, 0, "resumed shard: exit 0 (%s)" % err[-300:])
        rc, _, err = L.run_pacedns(["merge", L.path("i-stats-0.json"), L.path("r-stats-1.json"), L.path("i-stats-2.json"),
                                    "--records", L.path("i-out-0.ndjson"), L.path("r-out-1.ndjson"),
                                    L.path("i-out-2.ndjson"), "-o", L.path("r-merged.ndjson"), "--stats",
                                    L.path("r-merged.json")], allow_no_server=True)
        C.eq(rc, 0, "merge with the resumed shard: exit 0 (%s)" % err[-500:])
        if rc == 0:
            check_exact(C, "merged with a resumed shard", load(L.path("r-merged.ndjson")), owed)

        # ---- a shard missing: its lines, from the map (no stats) and from the records
        outs = [L.path("i-out-%d.ndjson" % i) for i in range(N)]
        stats = [L.path("i-stats-%d.json" % i) for i in range(N)]
        shard1 = sorted(ln for ln in owed if (ln - 1) % N == 1)
        rc, _, err = L.run_pacedns(["merge", stats[0], stats[2], "--records", outs[0], outs[2],
                                    "-o", L.path("bad.ndjson"), "--stats", L.path("bad.json")],
                                   allow_no_server=True)
        C.eq(rc, 1, "merge without shard 1: exit 1 (stderr %s)" % err[-300:])
        C.check("shard 1/3 missing" in err, "merge names the missing shard: %s" % err[-500:])
        C.check("lines missing a record" in err and "step 3" in err,
                "merge lists the missing line ranges: %s" % err[-500:])
        C.check(not os.path.exists(L.path("bad.ndjson")), "no merged records written on failure")
        with open(L.path("bad.json")) as f:
            chk = json.load(f)["check"]
        C.eq(expand(chk["missing_shard_lines"][0]["lines"]), shard1, "missing shard's lines from the map")
        C.eq(expand(chk["missing"]), shard1, "missing lines from the records")
        C.check(not chk["ok"], "check.ok false")

        rc, _, err = L.run_pacedns(["merge"] + stats + ["--records", outs[0], outs[2], "--stats",
                                                        L.path("bad2.json")], allow_no_server=True)
        C.eq(rc, 1, "merge without shard 1's records: exit 1")
        with open(L.path("bad2.json")) as f:
            C.eq(expand(json.load(f)["check"]["missing"]), shard1, "records missing: shard 1's lines")

        rc, _, err = L.run_pacedns(["merge"] + stats + ["--records"] + outs + [outs[1], "--stats",
                                                                               L.path("bad3.json")],
                                   allow_no_server=True)
        C.eq(rc, 1, "merge with shard 1's records twice: exit 1")
        C.check("duplicated" in err, "merge reports duplicates: %s" % err[-300:])
        with open(L.path("bad3.json")) as f:
            C.eq(expand(json.load(f)["check"]["duplicated"]), shard1, "duplicated: shard 1's lines")

        rc, _, err = L.run_pacedns(["merge", stats[0], stats[0]], allow_no_server=True)
        C.eq(rc, 1, "the same shard twice: exit 1")
        with open(L.path("text.out"), "w") as f:
            f.write("host1.example.test\tA\t10.0.0.1\n")
        rc, _, err = L.run_pacedns(["merge"] + stats + ["--records", outs[0], L.path("text.out")],
                                   allow_no_server=True)
        C.eq(rc, 1, "records that are not NDJSON: exit 1")
        C.check("text.out:1:" in err, "the message names the file and line: %s" % err.strip())

        # ---- --shard auto: missing or inconsistent variables (refused before sending)
        cases = [
            ({}, "JOB_COMPLETION_INDEX"),
            ({"JOB_COMPLETION_INDEX": "1"}, "PACEDNS_SHARDS"),
            ({"JOB_COMPLETION_INDEX": "3", "PACEDNS_SHARDS": "3"}, "JOB_COMPLETION_INDEX=3"),
            ({"JOB_COMPLETION_INDEX": "x", "PACEDNS_SHARDS": "3"}, "JOB_COMPLETION_INDEX='x'"),
            ({"SLURM_ARRAY_TASK_ID": "2"}, "SLURM_ARRAY_TASK_MIN"),
            ({"SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_MIN": "0"}, "SLURM_ARRAY_TASK_COUNT"),
            ({"SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_COUNT": "3",
              "PACEDNS_SHARDS": "4"}, "SLURM_ARRAY_TASK_COUNT=3"),
            ({"SLURM_ARRAY_TASK_ID": "7", "SLURM_ARRAY_TASK_MIN": "2", "SLURM_ARRAY_TASK_COUNT": "3"},
             "SLURM_ARRAY_TASK_MIN=2"),
            ({"SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_COUNT": "3",
              "SLURM_ARRAY_TASK_STEP": "2"}, "SLURM_ARRAY_TASK_STEP"),
        ]
        for extra, word in cases:
            env = {k: v for k, v in os.environ.items()
                   if not k.startswith(("SLURM_", "JOB_COMPLETION", "PACEDNS_SHARDS"))}
            env.update(extra)
            rc, _, err = L.run_pacedns(common + ["--shard", "auto", inp], env=env)
            C.eq(rc, 1, "--shard auto with %r: exit 1" % extra)
            C.check(word in err, "--shard auto with %r: message names %s: %s" % (extra, word, err.strip()))
        for bad in ("3/3", "1", "a/3", "1/0", "-1/3"):
            rc, _, err = L.run_pacedns(common + ["--shard", bad, inp])
            C.eq(rc, 1, "--shard %s: exit 1" % bad)
            C.check("--shard" in err, "--shard %s: message names the option: %s" % (bad, err.strip()))
    return C.done()


if __name__ == "__main__":
    sys.exit(lab.main(run))
