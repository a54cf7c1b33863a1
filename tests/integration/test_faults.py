#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Faulty servers (tools/lab/faulty.py) in front of or beside a real NSD.

The rule every scenario asserts: exactly one record per input (name, type); exit 0; a
bounded wall time (stated per scenario); well-formed records; and no bad answer ever
accepted (bogus data from faulty.py is in 192.0.2.0/24 or 2001:db8:bad::/48, which the
zones never use, so it would show up in the records).

  (a) random loss 5 % and 20 % (seeded proxy in front of NSD): NOERROR/NODATA exactly as
      expected.json; TIMEOUTs only within an honest binomial bound;
  (b) garbage / truncated / wrongid / wrongport / wrongquestion / mixed, beside NSD: all
      correct; alone: TIMEOUT or ERROR, never an answer with wrong data;
  (c) SERVFAIL and REFUSED storms alone: that status after retries + 1 attempts; beside
      NSD: all correct;
  (d) NSD paused with SIGSTOP for 3 s mid-run, then SIGCONT (alone and beside a second
      NSD): the run completes with every record correct;
  (e) every server dead (two black holes): TIMEOUT records, exit 0, bounded time.

FAULTS_ONLY=a,c runs a subset (debugging)."""
import collections
import ipaddress
import math
import os
import re
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "lab"))
import lab  # noqa: E402
import faulty  # noqa: E402

lab.isolate_network()

BOGUS_NETS = [ipaddress.ip_network("192.0.2.0/24"), ipaddress.ip_network("2001:db8:bad::/48")]
ONLY = set(filter(None, os.environ.get("FAULTS_ONLY", "").split(",")))


def want(s):
    return not ONLY or s in ONLY


# ---------------------------------------------------------------- helpers


def names_text(names):
    return "".join(n + "\n" for n in names)


def is_bogus(data):
    try:
        ip = ipaddress.ip_address(data)
    except ValueError:
        return False
    return any(ip in n for n in BOGUS_NETS)


def wellformed(C, r, what):
    """Schema of one ndjson record (README 'Output formats')."""
    k = "%s %r" % (what, r.get("name"))
    ok = C.check(isinstance(r.get("name"), str), "%s: name %r" % (k, r.get("name")))
    ok &= C.check(isinstance(r.get("line"), int) and r["line"] >= 1, "%s: line %r" % (k, r.get("line")))
    ok &= C.check(isinstance(r.get("type"), str) and r["type"], "%s: type %r" % (k, r.get("type")))
    st = r.get("status")
    ok &= C.check(st in lab.STATUSES, "%s: status %r" % (k, st))
    ok &= C.check(r.get("rcode") is None or isinstance(r.get("rcode"), str), "%s: rcode %r" % (k, r.get("rcode")))
    ans = r.get("answers")
    ok &= C.check(isinstance(ans, list), "%s: answers %r" % (k, ans))
    for a in ans if isinstance(ans, list) else []:
        ok &= C.check(isinstance(a, dict) and isinstance(a.get("name"), str) and isinstance(a.get("type"), str)
                      and isinstance(a.get("ttl"), int) and isinstance(a.get("data"), str),
                      "%s: answer %r" % (k, a))
    ok &= C.check(isinstance(r.get("cname"), list) and all(isinstance(c, str) for c in r.get("cname") or []),
                  "%s: cname %r" % (k, r.get("cname")))
    ok &= C.check(r.get("server") is None or isinstance(r.get("server"), str), "%s: server %r" % (k, r.get("server")))
    ok &= C.check(isinstance(r.get("attempts"), int) and r["attempts"] >= 0, "%s: attempts %r" % (k, r.get("attempts")))
    rtt = r.get("rtt_ms")
    ok &= C.check(rtt is None or (isinstance(rtt, (int, float)) and rtt >= 0), "%s: rtt_ms %r" % (k, rtt))
    if "error" in r:
        ok &= C.check(isinstance(r["error"], str) and r["error"], "%s: error %r" % (k, r.get("error")))
    if st == "TIMEOUT":
        # a TIMEOUT's last attempt got nothing: no rcode, no rtt (as test_timeouts)
        ok &= C.check(not ans and r.get("rcode") is None and r.get("rtt_ms") is None,
                      "%s: TIMEOUT with rcode/rtt_ms/answers: %r" % (k, r))
    if st == "NOERROR":
        ok &= C.check(bool(ans), "%s: NOERROR without answers" % k)
    if st == "ERROR":
        ok &= C.check(isinstance(r.get("error"), str) and r["error"], "%s: ERROR without error text" % k)
    return ok


def one_per_job(C, recs, jobs, what):
    """Exactly one record per (line, type); jobs is [(line, name, type)]."""
    got = collections.Counter((r.get("line"), r.get("type")) for r in recs)
    wantc = collections.Counter((ln, t) for ln, _, t in jobs)
    dup = sorted(k for k, v in got.items() if v > 1)
    missing = sorted(set(wantc) - set(got))
    extra = sorted(set(got) - set(wantc))
    C.check(not dup, "%s: %d (line, type) with several records, e.g. %r" % (what, len(dup), dup[:5]))
    C.check(not missing, "%s: %d jobs without a record, e.g. %r" % (what, len(missing), missing[:5]))
    C.check(not extra, "%s: %d unexpected records, e.g. %r" % (what, len(extra), extra[:5]))
    C.eq(len(recs), len(jobs), "%s: record count" % what)
    byline = {ln: n for ln, n, _ in jobs}
    bad = [r for r in recs if byline.get(r.get("line")) != r.get("name")]
    C.check(not bad, "%s: %d records whose name is not their line's, e.g. %r" % (what, len(bad), bad[:2]))


def no_bogus(C, recs, what):
    bad = [r for r in recs if any(is_bogus(a.get("data", "")) for a in r.get("answers") or [])]
    C.check(not bad, "%s: %d records carry bogus data from the faulty server, e.g. %r" % (
        what, len(bad), bad[:2]))


def correct(C, r, exp, what):
    key = "%s|%s" % (lab.norm(r["name"]).rstrip("."), r.get("type"))
    e = exp.get(key)
    if not C.check(e is not None, "%s: no expected entry for %s" % (what, key)):
        return False
    # the faulty proxy does not touch TTLs, so they are checked too
    return lab.compare_record(C, "%s %s" % (what, key), r, e)


class Quiet(lab.Checker):
    """A Checker that only collects its failure messages (one summary check per
    scenario keeps the log readable when many records go wrong the same way)."""

    def __init__(self):
        lab.Checker.__init__(self, "quiet")
        self.msgs = []

    def check(self, cond, msg="", *a):
        if not cond:
            self.failed += 1
            self.msgs.append(msg % a if a else msg)
        else:
            self.passed += 1
        return bool(cond)


def summarize(C, Q, what, n=3):
    C.check(Q.failed == 0, "%s: %d failed checks, e.g.:\n    %s" % (
        what, Q.failed, "\n    ".join(m[:300] for m in Q.msgs[:n])))


def run_resolve(L, servers, text, extra, timeout_s, what):
    args = ["resolve", "-q"]
    for s in servers:
        args += ["-s", s.addr if hasattr(s, "addr") else s]
    args += extra
    t0 = time.monotonic()
    rc, out, err = L.run_pacedns(args, input_text=text, timeout=timeout_s + 30)
    wall = time.monotonic() - t0
    print("%s: exit %d in %.2f s" % (what, rc, wall), flush=True)
    return rc, lab.parse_ndjson(out), err, wall


def binom_bound(n, q, eps=1e-6):
    """Smallest k with P(Binomial(n, q) > k) < eps (exact sum in log space)."""
    if q <= 0:
        return 0
    if q >= 1:
        return n
    tail = 1.0
    lq, l1q = math.log(q), math.log1p(-q)
    for k in range(n + 1):
        pk = math.exp(math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1) + k * lq + (n - k) * l1q)
        tail -= pk
        if tail < eps:
            return k
    return n


def blackhole_count(L, bh):
    L.kill(bh)
    m = re.findall(r"received (\d+) datagrams", bh.log_tail(5))
    return int(m[-1]) if m else None


# ---------------------------------------------------------------- (a) random loss


def scen_loss(C, L, ns, exp, hosts):
    names = ["host%d.example.test" % i for i in range(hosts)]
    types = ["A", "AAAA"]
    jobs = [(i + 1, n, t) for i, n in enumerate(names) for t in types]
    text = names_text(names)
    timeout_ms, retries, qps = 500, 3, 500
    for loss in (0.05, 0.20):
        what = "loss %d%%" % round(loss * 100)
        px = faulty.start(L, "proxy", upstream=ns, loss=loss, seed=7, tcp=False)
        # Bound: the proxy drops each query independently with probability p; a job ends
        # TIMEOUT only if all retries + 1 attempts are dropped: q = p^(retries + 1)
        # (5 %: 6.25e-6, 20 %: 1.6e-3, i.e. 6.4 of the 4,000 jobs expected). Allowed:
        # the k with P(Binomial(jobs, q) > k) < 1e-6 (5 %: 3, 20 %: 22).
        q = loss ** (retries + 1)
        bound = binom_bound(len(jobs), q)
        # wall: jobs / qps of sending, plus timeouts on the tail; 60 s is generous
        limit = 60.0
        rc, recs, err, wall = run_resolve(L, [px], text, ["-t", ",".join(types), "--qps", str(qps),
                                                          "--timeout", str(timeout_ms), "--retries", str(retries)],
                                          limit, what)
        counts = faulty.stop(L, px)
        C.eq(rc, 0, "%s: exit code (stderr: %s)" % (what, err[-500:]))
        C.check(wall < limit, "%s: wall %.1f s >= %.0f s" % (what, wall, limit))
        one_per_job(C, recs, jobs, what)
        no_bogus(C, recs, what)
        st = collections.Counter(r.get("status") for r in recs)
        n_to = st.get("TIMEOUT", 0)
        print("%s: statuses %s; TIMEOUT allowed <= %d (q = %.3g, expected %.2f); proxy %s" % (
            what, dict(st), bound, q, q * len(jobs), counts), flush=True)
        C.check(n_to <= bound, "%s: %d TIMEOUT records > bound %d" % (what, n_to, bound))
        retried = 0
        for r in recs:
            wellformed(C, r, what)
            if r.get("status") == "TIMEOUT":
                C.eq(r.get("attempts"), retries + 1, "%s %s: TIMEOUT attempts" % (what, r.get("name")))
                continue
            correct(C, r, exp, what)
            C.check(isinstance(r.get("attempts"), int) and 1 <= r["attempts"] <= retries + 1,
                    "%s %s: attempts %r" % (what, r.get("name"), r.get("attempts")))
            retried += (r.get("attempts") or 0) > 1
        # the retries actually happened: about p of the jobs needed one
        C.check(retried >= len(jobs) * loss * 0.5, "%s: only %d jobs retried" % (what, retried))
        if C.check(counts is not None, "%s: proxy printed no counts" % what):
            total = sum(r.get("attempts") or 0 for r in recs)
            C.eq(counts["received"], total, "%s: datagrams the proxy got == sum(attempts)" % what)
            rec, drop = counts["received"], counts["dropped"]
            sd = math.sqrt(rec * loss * (1 - loss))
            C.check(abs(drop - rec * loss) <= 6 * sd + 1, "%s: proxy dropped %d of %d (p=%.2f)" % (
                what, drop, rec, loss))


# ---------------------------------------------------------------- (b) bad answers


def scen_bad(C, L, ns, exp):
    names = ["host%d.example.test" % i for i in range(60)]
    jobs = [(i + 1, n, "A") for i, n in enumerate(names)]
    text = names_text(names)
    retries, timeout_ms = 2, 300
    base = ["--qps", "100", "--timeout", str(timeout_ms), "--retries", str(retries)]
    # wall bound: 60 names x 3 attempts at 100 qps/server = 1.8 s + 0.9 s of timeouts;
    # 15 s is generous
    limit = 15.0
    for mode in ("garbage", "truncated", "wrongid", "wrongport", "wrongquestion", "mixed"):
        # -- beside NSD: the bad server's answers are all rejected, NSD's accepted
        fx = faulty.start(L, mode, upstream=ns, seed=3)
        what = "%s + nsd" % mode
        rc, recs, err, wall = run_resolve(L, [fx, ns], text, base, limit, what)
        counts = faulty.stop(L, fx)
        C.eq(rc, 0, "%s: exit code (stderr: %s)" % (what, err[-500:]))
        C.check(wall < limit, "%s: wall %.1f s" % (what, wall))
        one_per_job(C, recs, jobs, what)
        no_bogus(C, recs, what)
        nbad = 0
        Q = Quiet()
        for r in recs:
            wellformed(C, r, what)
            if not correct(Q, r, exp, what):
                nbad += 1
            elif mode not in ("truncated", "mixed"):
                # only NSD ever sends the right data (a truncated answer may still carry
                # NSD's real records when the cut only lost the OPT record)
                Q.eq(r.get("server"), ns.addr, "%s %s: server of the accepted answer" % (what, r.get("name")))
        summarize(C, Q, what)
        print("%s: %d of %d records wrong; statuses %s; faulty %s" % (
            what, nbad, len(recs), dict(collections.Counter(r.get("status") for r in recs)),
            counts and counts.get("kinds")), flush=True)

        # -- alone: TIMEOUT or ERROR, never data that is not NSD's
        fx = faulty.start(L, mode, upstream=ns, seed=4)
        what = "%s alone" % mode
        rc, recs, err, wall = run_resolve(L, [fx], text, base, limit, what)
        faulty.stop(L, fx)
        C.eq(rc, 0, "%s: exit code (stderr: %s)" % (what, err[-500:]))
        C.check(wall < limit, "%s: wall %.1f s" % (what, wall))
        one_per_job(C, recs, jobs, what)
        no_bogus(C, recs, what)
        allowed = {"TIMEOUT", "ERROR"}
        if mode == "mixed":
            allowed |= {"SERVFAIL", "REFUSED"}  # a job's last attempt may meet those
        bad = []
        for r in recs:
            wellformed(C, r, what)
            if r.get("status") in allowed:
                C.eq(r.get("answers") or [], [], "%s %s: answers of a %s" % (what, r.get("name"), r.get("status")))
                continue
            if mode in ("truncated", "mixed"):
                # a cut that only loses the OPT record leaves NSD's real answer intact;
                # accepting that is harmless, anything else is not
                key = "%s|A" % r.get("name")
                if (r.get("status") == exp[key]["status"]
                        and lab.norm_answers(r.get("answers")) == lab.norm_answers(exp[key]["answers"])):
                    continue
            bad.append(r)
        C.check(not bad, "%s: %d records accepted a bad answer (want %s), e.g. %s" % (
            what, len(bad), "/".join(sorted(allowed)),
            "; ".join("%s %s rcode=%s answers=%s" % (r.get("name"), r.get("status"), r.get("rcode"),
                                                     [a.get("data") for a in r.get("answers") or []])
                      for r in bad[:3])))
        print("%s: statuses %s" % (what, dict(collections.Counter(r.get("status") for r in recs))), flush=True)


# ---------------------------------------------------------------- (c) SERVFAIL / REFUSED storms


def scen_storm(C, L, ns, exp):
    names = ["host%d.example.test" % i for i in range(60)]
    jobs = [(i + 1, n, "A") for i, n in enumerate(names)]
    text = names_text(names)
    retries = 2
    base = ["--qps", "100", "--timeout", "300", "--retries", str(retries)]
    limit = 15.0  # 180 attempts at 100 qps = 1.8 s; nothing times out
    for mode, status in (("servfail", "SERVFAIL"), ("refused", "REFUSED")):
        fx = faulty.start(L, mode, seed=5)
        what = "%s storm alone" % mode
        rc, recs, err, wall = run_resolve(L, [fx], text, base, limit, what)
        counts = faulty.stop(L, fx)
        C.eq(rc, 0, "%s: exit code (stderr: %s)" % (what, err[-500:]))
        C.check(wall < limit, "%s: wall %.1f s" % (what, wall))
        one_per_job(C, recs, jobs, what)
        for r in recs:
            wellformed(C, r, what)
            k = "%s %s" % (what, r.get("name"))
            C.eq(r.get("status"), status, k + ": status")
            C.eq(r.get("rcode"), status, k + ": rcode")
            C.eq(r.get("attempts"), retries + 1, k + ": attempts")
            C.eq(r.get("answers") or [], [], k + ": answers")
            C.eq(r.get("server"), fx.addr, k + ": server")
        if C.check(counts is not None, "%s: no counts" % what):
            C.eq(counts["received"], len(names) * (retries + 1), "%s: queries the storm server got" % what)

        fx = faulty.start(L, mode, seed=6)
        what = "%s storm + nsd" % mode
        rc, recs, err, wall = run_resolve(L, [fx, ns], text, base, limit, what)
        counts = faulty.stop(L, fx)
        C.eq(rc, 0, "%s: exit code (stderr: %s)" % (what, err[-500:]))
        C.check(wall < limit, "%s: wall %.1f s" % (what, wall))
        one_per_job(C, recs, jobs, what)
        for r in recs:
            wellformed(C, r, what)
            if correct(C, r, exp, what):
                C.eq(r.get("server"), ns.addr, "%s %s: server" % (what, r.get("name")))
        print("%s: statuses %s; storm server got %s" % (
            what, dict(collections.Counter(r.get("status") for r in recs)), counts and counts["received"]),
            flush=True)


# ---------------------------------------------------------------- (d) SIGSTOP / SIGCONT


def scen_pause(C, L, info, exp):
    n = 1500
    names = ["host%d.example.test" % i for i in range(n)]
    jobs = [(i + 1, nm, "A") for i, nm in enumerate(names)]
    inp = L.path("pause-input.txt")
    with open(inp, "w") as f:
        f.write(names_text(names))
    # With --timeout 1500 --retries 3 a job's 4 attempts span at least 4.5 s, longer than
    # the 3 s pause, so even alone NSD answers every job (no TIMEOUT is legitimate).
    # Wall bound: 1500 names at 300 qps = 5 s, + 3 s pause, + 4.5 s of retries; 40 s.
    limit = 40.0
    ns1 = L.start_nsd(info["zones"])
    ns2 = L.start_nsd(info["zones"])
    for variant, servers in (("alone", [ns1]), ("beside a second NSD", [ns1, ns2])):
        what = "SIGSTOP %s" % variant
        args = ["resolve", "-q", "--qps", "300", "--timeout", "1500", "--retries", "3", inp]
        for s in servers:
            args += ["-s", s.addr]
        t0 = time.monotonic()
        ch = L.spawn_pacedns(args)
        stopped = False
        try:
            time.sleep(1.5)
            C.check(ch.alive(), "%s: pacedns ended before the pause (rc %s)" % (what, ch.proc.poll()))
            os.killpg(ns1.pid, signal.SIGSTOP)  # NSD's whole process group (its workers too)
            stopped = True
            time.sleep(3.0)
        finally:
            if stopped:
                os.killpg(ns1.pid, signal.SIGCONT)
        try:
            rc = ch.proc.wait(timeout=max(1.0, limit - (time.monotonic() - t0)))
        except Exception:
            rc = None
        wall = time.monotonic() - t0
        L.kill(ch)
        print("%s: exit %s in %.2f s" % (what, rc, wall), flush=True)
        C.eq(rc, 0, "%s: exit code (log: %s)" % (what, ch.log_tail(5)))
        C.check(wall < limit, "%s: wall %.1f s >= %.0f s" % (what, wall, limit))
        with open(ch.stdout_path) as f:
            recs = lab.parse_ndjson(f.read())
        one_per_job(C, recs, jobs, what)
        retried = 0
        for r in recs:
            wellformed(C, r, what)
            correct(C, r, exp, what)
            retried += (r.get("attempts") or 0) > 1
        print("%s: %d jobs retried; statuses %s" % (
            what, retried, dict(collections.Counter(r.get("status") for r in recs))), flush=True)
        C.check(retried > 0, "%s: no job was retried: the pause did not hit the run" % what)
    L.kill(ns2)


# ---------------------------------------------------------------- (e) all dead


def scen_dead(C, L):
    n, timeout_ms, retries, qps = 50, 300, 2, 100
    names = ["host%d.example.test" % i for i in range(n)]
    jobs = [(i + 1, nm, "A") for i, nm in enumerate(names)]
    text = names_text(names)
    for label, extra in (("--qps %d" % qps, ["--qps", str(qps)]), ("controller", [])):
        bhs = [L.start_blackhole(), L.start_blackhole()]
        what = "all dead (%s)" % label
        if extra:
            # each job ends after timeout x (retries + 1) = 0.9 s from its first send; the
            # n x (retries + 1) = 150 sends take 150 / (2 x 100 qps) = 0.75 s; + 2 s slack
            limit = timeout_ms / 1000.0 * (retries + 1) + n * (retries + 1) / (2.0 * qps) + 2.0
        else:
            # the controller backs a dead server off, to min_qps = 10 at the lowest: the
            # 150 sends take at most 150 / (2 x 10) = 7.5 s; + 0.9 s + 2 s slack
            limit = timeout_ms / 1000.0 * (retries + 1) + n * (retries + 1) / (2.0 * 10) + 2.0
        rc, recs, err, wall = run_resolve(L, bhs, text, extra + ["--timeout", str(timeout_ms),
                                                                "--retries", str(retries)], limit, what)
        C.eq(rc, 0, "%s: exit code (stderr: %s)" % (what, err[-500:]))
        C.check(wall < limit, "%s: wall %.2f s >= bound %.2f s" % (what, wall, limit))
        print("%s: bound %.2f s" % (what, limit), flush=True)
        one_per_job(C, recs, jobs, what)
        addrs = {b.addr for b in bhs}
        for r in recs:
            wellformed(C, r, what)
            k = "%s %s" % (what, r.get("name"))
            C.eq(r.get("status"), "TIMEOUT", k + ": status")
            C.eq(r.get("attempts"), retries + 1, k + ": attempts")
            C.check(r.get("server") in addrs, "%s: server %r" % (k, r.get("server")))
        got = [blackhole_count(L, b) for b in bhs]
        C.check(None not in got and sum(got) == n * (retries + 1),
                "%s: datagrams the black holes got %r, want %d in total" % (what, got, n * (retries + 1)))
        C.check(None not in got and min(got) > 0, "%s: one black hole got nothing: %r" % (what, got))


def run():
    C = lab.Checker("test_faults")
    t0 = time.monotonic()
    with lab.Lab() as L:
        info = L.zones(hosts=2000)
        exp = lab.load_expected(info)
        ns = L.start_nsd(info["zones"])
        if want("a"):
            scen_loss(C, L, ns, exp, 2000)
        if want("b"):
            scen_bad(C, L, ns, exp)
        if want("c"):
            scen_storm(C, L, ns, exp)
        if want("d"):
            scen_pause(C, L, info, exp)
        if want("e"):
            scen_dead(C, L)
    print("test_faults: %.1f s" % (time.monotonic() - t0))
    return C.done()


if __name__ == "__main__":
    sys.exit(lab.main(run))
