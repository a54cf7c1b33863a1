#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A server dies mid-run and comes back. Two NSD servers; `pacedns resolve` of 20,000
host%d names at the controller's pace (profile "default", --interval 0.25). About 1 s
into the run one NSD is killed with SIGKILL (its whole process group, so no NSD worker
survives); about 2 s later a new NSD is started on the same port.

Checked:
- the run was still going when the server came back (else the scenario did not happen);
- the run completes (exit 0) and every name has exactly one record, NOERROR with the
  expected answer (queries lost with the dead server are retried on the other one);
- stats timeseries: in every interval lying wholly inside the down time the dead server
  answered nothing, the other server answered in each of them and took all the answers,
  and its answer rate while the other was down was not below its rate just before the
  kill (it rose or at least carried the load);
- the restarted server answers again before the run ends.
Time in the stats is pacedns' own clock (from its start), which lags the test's clock
by the exec time: an interval whose start (pacedns time) is after the kill (test time)
is surely after it; the end of the down window is taken 0.25 s before the restart began
(the new NSD needs longer than that to load the zone and answer)."""
import json
import os
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "lab"))
import lab  # noqa: E402

lab.isolate_network()

N = 20000
INTERVAL = 0.25
KILL_AT = 1.0
DOWN_FOR = 2.0


def run():
    C = lab.Checker("test_server_restart")
    with lab.Lab() as L:
        info = L.zones(hosts=N)
        exp = lab.load_expected(info)
        a = L.start_nsd(info["zones"])
        b = L.start_nsd(info["zones"])
        names = ["host%d.example.test" % i for i in range(N)]
        stats = L.path("stats.json")
        t0 = time.monotonic()
        p = L.spawn_pacedns(["resolve", "--stats", stats, "--interval", str(INTERVAL),
                             "-s", a.addr, "-s", b.addr, info["hosts_file"]])
        time.sleep(max(0.0, KILL_AT - (time.monotonic() - t0)))
        C.check(p.alive(), "pacedns ended before the kill (%.2f s): the scenario did not happen"
                % (time.monotonic() - t0))
        os.killpg(a.pid, signal.SIGKILL)     # kill -9 the NSD and its workers, by PID
        t_kill = time.monotonic() - t0
        L.kill(a)                            # reap; nothing is left to signal
        time.sleep(max(0.0, t_kill + DOWN_FOR - (time.monotonic() - t0)))
        t_restart = time.monotonic() - t0
        a2 = L.start_nsd(info["zones"], port=a.port)
        t_ready = time.monotonic() - t0
        still_running = p.alive()
        try:
            rc = p.proc.wait(timeout=120)
        except Exception:
            L.kill(p)
            rc = None
        wall = time.monotonic() - t0
        print("killed %s at %.2f s, restart began %.2f s, answering at %.2f s; run ended at %.2f s"
              % (a.addr, t_kill, t_restart, t_ready, wall), flush=True)
        C.check(still_running, "pacedns ended before the server came back: the scenario did not happen")
        C.eq(rc, 0, "exit code (log: %s)" % p.log_tail(10))
        print(p.log_tail(10), flush=True)

        # ---- every name exactly once, NOERROR, the expected answer
        with open(p.stdout_path) as f:
            recs = lab.parse_ndjson(f.read())
        C.eq(len(recs), N, "number of records")
        seen = {}
        for r in recs:
            seen[r.get("name")] = seen.get(r.get("name"), 0) + 1
        C.eq(sorted(n for n, k in seen.items() if k != 1), [], "names with more than one record")
        C.eq(sorted(set(names) - set(seen)), [], "names without a record")
        statuses, attempts, bad = {}, {}, 0
        for r in recs:
            statuses[r.get("status")] = statuses.get(r.get("status"), 0) + 1
            attempts[r.get("attempts")] = attempts.get(r.get("attempts"), 0) + 1
            key = "%s|A" % r.get("name")
            if key not in exp:
                C.check(False, "unexpected record name %r" % r.get("name"))
                continue
            if not lab.compare_record(lab.Checker("record", max_print=0), key, r, exp[key]):
                bad += 1
                if bad <= 10:
                    lab.compare_record(C, key, r, exp[key])
        print("statuses %s, attempts %s" % (statuses, attempts), flush=True)
        C.eq(statuses, {"NOERROR": N}, "statuses")
        C.eq(bad, 0, "records that differ from the expected ones")

        # ---- the time series
        with open(stats) as f:
            doc = json.load(f)
        srv = {s["server"]: s for s in doc["servers"]}
        ta, tb = srv[a.addr]["timeseries"], srv[b.addr]["timeseries"]
        n = min(len(ta), len(tb))
        down_from, down_to = t_kill, t_restart - 0.25
        down, before, after = [], [], []
        for i in range(n):
            end = ta[i]["t"]
            start = ta[i - 1]["t"] if i else 0.0
            if start >= down_from and end <= down_to:
                down.append(i)
            elif end <= t_kill - 0.05 and start >= t_kill - 0.55:
                before.append(i)          # up to 0.5 s just before the kill
            elif start >= t_ready:
                after.append(i)
        print("%6s | %8s %6s %6s %5s | %8s %6s %6s %5s" % ("t", "A target", "sent", "answ", "lost",
                                                           "B target", "sent", "answ", "lost"))
        for i in range(n):
            tag = " down" if i in down else (" before" if i in before else "")
            print("%6.2f | %8.0f %6d %6d %5d | %8.0f %6d %6d %5d%s" % (
                ta[i]["t"], ta[i]["target_qps"], ta[i]["sent"], ta[i]["answered"], ta[i]["lost"],
                tb[i]["target_qps"], tb[i]["sent"], tb[i]["answered"], tb[i]["lost"], tag))
        if C.check(len(down) >= 4, "only %d intervals wholly inside the down time %.2f..%.2f s"
                   % (len(down), down_from, down_to)):
            C.eq(sum(ta[i]["answered"] for i in down), 0, "answers from the dead server while down")
            C.check(all(tb[i]["answered"] > 0 for i in down),
                    "the live server had an interval without answers while the other was down")

            def rate(ts, idx):
                dur = sum(ts[i]["t"] - (ts[i - 1]["t"] if i else 0.0) for i in idx)
                return sum(ts[i]["answered"] for i in idx) / dur if dur > 0 else 0.0
            rb_down = rate(tb, down)
            rb_before = rate(tb, before) if before else None
            ra_before = rate(ta, before) if before else None
            print("B answered %.0f/s while A was down; before the kill A %s/s, B %s/s" % (
                rb_down, "%.0f" % ra_before if ra_before is not None else "-",
                "%.0f" % rb_before if rb_before is not None else "-"), flush=True)
            C.check(rb_before is not None and rb_down >= rb_before,
                    "B's answer rate while A was down %.0f/s < its rate before the kill %s/s"
                    % (rb_down, rb_before))
        C.check(sum(ta[i]["answered"] for i in after) > 0,
                "the restarted server answered nothing after %.2f s" % t_ready)
        print("A answered %d after the restart (intervals after %.2f s); final A target %.0f q/s"
              % (sum(ta[i]["answered"] for i in after), t_ready, ta[n - 1]["target_qps"] if n else -1))
    return C.done()


if __name__ == "__main__":
    sys.exit(lab.main(run))
