#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Shards share one politeness budget; the capacity atlas remembers a server.

One dnsdist in front of NSD caps the whole server at C q/s (MaxQPSRule, drop):
- 3 `probe --shard I/3` processes at once (each its own AIMD controller, 1/3 of every
  limit): merged on the wall clock (`pacedns merge`), their summed sent rate stays
  <= 1.1 C in every 1 s window after the first congestion, and their summed optimal
  rates are within 10 % of C (AIMD shares the cap);
- atlas: `probe --atlas A` writes C's estimate; a following `resolve --atlas A` answers
  >= 80 % of C in its first second (a cold run, slow start from 50 q/s, is shown beside
  it and must be far below); `pacedns atlas show` lists the server; an entry older than
  --atlas-max-age is not used (the run is cold again);
- two processes updating one atlas at once (200 `pacedns atlas add` each, distinct
  servers) lose no entry, and a probe and an `atlas add` racing keep both."""
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "lab"))
import lab  # noqa: E402

lab.isolate_network()
CAP = 2000
N = 3
WINDOW_S = 1.0


def first_second_answered(st):
    """answers per second over the first interval of a stats document (--interval 1: its
    first second, measured to the moment the interval closed)."""
    p = st["servers"][0]["timeseries"][0]
    assert p["t"] <= 1.2, p
    return p["answered"] / p["t"]


def run():
    C = lab.Checker("test_shared_budget")
    with lab.Lab() as L:
        info = L.zones(hosts=8000, with_expected=False)
        names = L.path("names8000.txt")
        with open(info["hosts_file"]) as f, open(names, "w") as g:
            g.write("".join(f.readlines()[:8000]))
        ns = L.start_nsd(info["zones"])
        dd = L.start_dnsdist(backend=ns, ready_query=("example.test.", "SOA"), rule_lua_lines=[
            "addAction(NotRule(MaxQPSRule(%d, %d)), DropAction())" % (CAP, CAP // 100)])
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("SLURM_", "JOB_COMPLETION", "PACEDNS_SHARDS"))}

        # ---- 3 shards, one cap: probe shards run their whole --duration side by side
        kids = []
        for i in range(N):
            kids.append(L.spawn("probe%d" % i, [lab.pacedns_path(), "probe", "-s", dd.addr, "--zone",
                                                "example.test", "--duration", "20", "--shard", "%d/%d" % (i, N),
                                                "--stats", L.path("p-{shard}.json"), "-q"], env=env))
        for i, k in enumerate(kids):
            C.eq(k.proc.wait(timeout=120), 0, "probe shard %d: exit code (%s)" % (i, k.log_tail()))
        stats = [L.path("p-%d.json" % i) for i in range(N)]
        rc, _, err = L.run_pacedns(["merge"] + stats + ["--stats", L.path("p-merged.json")],
                                   allow_no_server=True)
        C.eq(rc, 0, "merge of the probe shards (%s)" % err[-400:])
        with open(L.path("p-merged.json")) as f:
            ms = json.load(f)
        srv = ms["servers"][0]
        opt_sum = srv.get("optimal_qps", -1)
        print("shared budget: cap %d, shards' optimal_qps %s, sum %.0f (%.1f %% of C)" % (
            CAP, [round(json.load(open(s))["servers"][0].get("optimal_qps", -1)) for s in stats],
            opt_sum, 100.0 * opt_sum / CAP))
        C.check(abs(opt_sum - CAP) <= 0.1 * CAP, "summed optimal rates %.0f not within 10 %% of C %d" % (opt_sum, CAP))
        w = ms["interval_s"]
        ts = srv["timeseries"]
        first = next((k for k, p in enumerate(ts) if p["lost"] > 0), None)
        C.check(first is not None, "the shards met the cap (some interval lost queries)")
        per = max(1, int(round(WINDOW_S / w)))
        worst = 0.0
        print("summed sent rate per %g s interval: %s (first congestion at interval %s)" % (
            w, [round(p["sent"] / w) for p in ts], first))
        end = max(k for k, p in enumerate(ts) if p["sent"] > 0) if ts else 0
        if first is not None:
            # windows after the first congested interval, while all three still ran
            for k in range(first + 1, end - per + 1):
                rate = sum(p["sent"] for p in ts[k:k + per]) / (per * w)
                worst = max(worst, rate)
        print("shared budget: highest summed sent rate over %g s after the first congestion: "
              "%.0f q/s (%.2f C)" % (WINDOW_S, worst, worst / CAP))
        C.check(worst <= 1.1 * CAP, "summed rate %.0f above 1.1 C after the first congestion" % worst)

        # ---- atlas: probe writes, resolve starts warm
        atlas = L.path("atlas.json")
        rc, out, err = L.run_pacedns(["probe", "-s", dd.addr, "--zone", "example.test", "--duration", "12",
                                      "--atlas", atlas, "-q"], timeout=120)
        C.eq(rc, 0, "probe --atlas: exit (%s)" % err[-300:])
        with open(atlas) as f:
            a = json.load(f)
        ent = a["servers"].get(dd.addr)
        C.check(ent is not None, "atlas has the probed server: %r" % a)
        if ent is None:
            return C.done()
        C.check(abs(ent["optimal_qps"] - CAP) <= 0.15 * CAP, "atlas estimate %r near C" % ent["optimal_qps"])
        for k in ("edges", "loss_near", "p50_ms", "p99_ms", "when", "profile", "shards"):
            C.check(k in ent, "atlas entry has %s" % k)
        rc, out, _ = L.run_pacedns(["atlas", "show", atlas], allow_no_server=True)
        C.eq(rc, 0, "atlas show: exit")
        C.check(dd.addr in out and "optimal_qps" in out, "atlas show lists the server:\n%s" % out)

        base = ["resolve", "-s", dd.addr, "--no-progress", "--interval", "1", names]
        runs = {}
        for tag, extra in (("cold", []), ("warm", ["--atlas", atlas]),
                           ("stale", ["--atlas", atlas, "--atlas-max-age", "0"])):
            if tag == "stale":
                time.sleep(1.1)
            rc, _, err = L.run_pacedns(base + extra + ["-o", L.path(tag + ".ndjson"), "--stats",
                                                       L.path(tag + ".json")], timeout=180)
            C.eq(rc, 0, "resolve %s: exit (%s)" % (tag, err[-300:]))
            with open(L.path(tag + ".json")) as f:
                runs[tag] = json.load(f)
            C.eq("start from their known capacity" in err, tag == "warm", "%s run: warm start message: %s" % (tag, err))
        fs = {t: first_second_answered(runs[t]) for t in runs}
        print("atlas start-up: answers per second in the first second: cold %.0f, warm %.0f (%.0f %% of C), "
              "stale entry %.0f" % (fs["cold"], fs["warm"], 100.0 * fs["warm"] / CAP, fs["stale"]))
        C.check(fs["warm"] >= 0.8 * CAP, "warm start: %d answers in the first second < 80 %% of C" % fs["warm"])
        C.check(fs["cold"] < 0.5 * CAP, "cold start is slow start (%d in the first second)" % fs["cold"])
        C.check(fs["stale"] < 0.5 * CAP, "a stale atlas entry is not used (%d)" % fs["stale"])
        for t in runs:
            C.eq(runs[t]["totals"]["records"], 8000, "resolve %s: every name has its record" % t)

        # ---- two writers at once lose nothing
        shared = L.path("shared-atlas.json")
        script = ("for i in $(seq 0 199); do \"$P\" atlas add \"$A\" 127.0.$W.$((i % 250 + 1)):$((1000 + i)) 100 "
                  "|| exit 1; done")
        procs = [subprocess.Popen(["bash", "-c", script], env=dict(env, P=lab.pacedns_path(), A=shared, W=str(w)),
                                  cwd=L.dir) for w in (1, 2)]
        # and a probe finishing at the same moment (its server is the third writer)
        rc, _, err = L.run_pacedns(["probe", "-s", dd.addr, "--zone", "example.test", "--duration", "4",
                                    "--atlas", shared, "-q"], timeout=60)
        C.eq(rc, 0, "probe writing the shared atlas: exit (%s)" % err[-300:])
        for p in procs:
            C.eq(p.wait(timeout=120), 0, "atlas add loop: exit")
        with open(shared) as f:
            got = json.load(f)["servers"]
        want = {"127.0.%d.%d:%d" % (w, i % 250 + 1, 1000 + i) for w in (1, 2) for i in range(200)}
        lost = want - set(got)
        C.check(not lost, "concurrent writers lost %d entries, e.g. %r" % (len(lost), sorted(lost)[:3]))
        C.check(dd.addr in got, "the probe's entry survived the concurrent writers")
        C.check(not [f for f in os.listdir(L.dir) if ".tmp." in f], "no temporary atlas files left")
        rc, _, err = L.run_pacedns(["resolve", "-s", dd.addr, "--atlas", L.path("zones"), names],
                                   timeout=30)
        C.eq(rc, 1, "--atlas naming a directory: exit 1")
        with open(L.path("notatlas.json"), "w") as f:
            f.write('{"x": 1}')
        rc, _, err = L.run_pacedns(["resolve", "-s", dd.addr, "--atlas", L.path("notatlas.json"), names],
                                   timeout=30)
        C.eq(rc, 1, "--atlas on a file that is no atlas: exit 1")
        C.check("notatlas.json is not a pacedns atlas" in err, "message names the file: %s" % err)
    return C.done()


if __name__ == "__main__":
    sys.exit(lab.main(run))
