#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""scripts/demo.py in its quick form (PACEDNS_DEMO_QUICK=1): exit 0, the stats JSON and
the three PNGs of both runs written, resolve across 3 servers with every name answered,
and nothing it started left running. Then the same run interrupted with SIGINT: exit 130,
nothing left running. (demo.sh is not run: CI has already installed and built.)"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools", "lab"))
import lab  # noqa: E402

lab.isolate_network()
DEMO = os.path.abspath(os.path.join(HERE, "..", "..", "scripts", "demo.py"))
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
PNGS = ("rate.png", "latency.png", "cdf.png")


def proc_cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return None


def proc_state(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None


def check_nothing_left(C, what, err, tmp):
    """The servers the demo named (by PID) are gone, and no process mentions the test's
    temporary tree (TMPDIR: the lab's work dir, the output folder) in its command line:
    that covers NSD's workers, pacedns and the plot script too."""
    pids = [int(p) for p in re.findall(r"\(pid (\d+)\)", err)]
    C.check(len(pids) >= 4 if "resolve" in err else True,
            "%s: the demo named %d server PIDs, want NSD + 3 dnsdist: %r" % (what, len(pids), pids))
    deadline = time.monotonic() + 5
    while True:
        left = []
        for pid in pids:
            cmd = proc_cmdline(pid)
            if cmd and proc_state(pid) != "Z" and ("nsd" in cmd or "dnsdist" in cmd):
                left.append("%d %s" % (pid, cmd))
        for d in os.listdir("/proc"):
            if d.isdigit() and int(d) != os.getpid():
                cmd = proc_cmdline(int(d))
                if cmd and tmp in cmd and proc_state(int(d)) != "Z":
                    left.append("%s %s" % (d, cmd))
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    C.check(not left, "%s: processes left running: %r" % (what, left))


def run_demo(tmp, out, extra_env=None, interrupt_after=None):
    env = dict(os.environ, PACEDNS=lab.pacedns_path(), PACEDNS_DEMO_QUICK="1", TMPDIR=tmp)
    env.pop("PACEDNS_LAB_KEEP", None)
    env.update(extra_env or {})
    errpath = os.path.join(tmp, "demo.err")
    with open(errpath, "wb") as ef:
        p = subprocess.Popen([sys.executable, DEMO, "--out", out], stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=ef, env=env, start_new_session=True)
        try:
            if interrupt_after:
                deadline = time.monotonic() + 120
                while time.monotonic() < deadline and p.poll() is None:
                    with open(errpath, errors="replace") as f:
                        if interrupt_after in f.read():
                            break
                    time.sleep(0.05)
                time.sleep(0.5)
                p.send_signal(signal.SIGINT)
            out_text, _ = p.communicate(timeout=240)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.communicate()
            raise
    with open(errpath, errors="replace") as f:
        err = f.read()
    return p.returncode, out_text.decode(errors="replace"), err


def is_png(path):
    try:
        with open(path, "rb") as f:
            head = f.read(24)
    except OSError:
        return False
    # signature, then the IHDR chunk
    return head[:8] == PNG_MAGIC and head[12:16] == b"IHDR"


def test_full(C, tmp):
    out = os.path.join(tmp, "out")
    t0 = time.monotonic()
    rc, so, se = run_demo(tmp, out)
    print("quick demo: rc %d in %.1f s" % (rc, time.monotonic() - t0), flush=True)
    if not C.eq(rc, 0, "demo exit status"):
        print("---- demo stderr ----\n%s\n---- demo stdout ----\n%s" % (se[-4000:], so[-2000:]))
    for sub in ("resolve", "probe"):
        st = os.path.join(out, sub + "-stats.json")
        C.check(os.path.isfile(st), "%s missing" % st)
        for png in PNGS:
            path = os.path.join(out, sub, png)
            C.check(is_png(path), "%s missing or not a PNG" % path)
            C.check(os.path.isfile(path) and os.path.getsize(path) > 10000,
                    "%s: smaller than 10 KB" % path)
    try:
        with open(os.path.join(out, "resolve-stats.json")) as f:
            rs = json.load(f)
        with open(os.path.join(out, "lab.json")) as f:
            labinfo = json.load(f)
    except (OSError, ValueError) as e:
        C.check(False, "resolve stats / lab.json unreadable: %s" % e)
        rs, labinfo = {}, {}
    servers = rs.get("servers") or []
    C.eq(len(servers), 3, "resolve: number of servers")
    C.eq(sorted(s.get("server") for s in servers),
         sorted(s.get("server") for s in labinfo.get("servers", [])), "resolve servers vs lab.json")
    C.eq(sorted(s.get("cap_qps") for s in labinfo.get("servers", [])), [800, 2000, 5000],
         "lab.json caps")
    tot = rs.get("totals") or {}
    n = labinfo.get("hosts")
    C.eq(n, 3000, "quick demo's name count")
    C.eq(tot.get("names"), n, "resolve totals.names")
    C.eq(tot.get("statuses"), {"NOERROR": n}, "resolve: every name answered NOERROR")
    C.check(sum(s.get("answered", 0) for s in servers) >= n, "resolve: fewer answers than names")
    with open(os.path.join(out, "probe-stats.json")) as f:
        ps = json.load(f)
    C.eq(len(ps.get("servers") or []), 3, "probe: number of servers")
    for s in ("resolve/rate.png", "probe/rate.png", "optimal_qps", "drops above"):
        C.check(s in so + se, "demo output does not mention %r" % s)
    check_nothing_left(C, "after the demo", se, tmp)
    for port in [int(s["server"].rsplit(":", 1)[1]) for s in labinfo.get("servers", [])]:
        C.check(not lab.udp_bound(port), "UDP port %d still bound after the demo" % port)
    lab_dirs = [d for d in os.listdir(tmp) if d.startswith("pacedns-lab-")]
    C.eq(lab_dirs, [], "lab work dirs left behind")


def test_sigint(C, tmp):
    out = os.path.join(tmp, "out-int")
    rc, so, se = run_demo(tmp, out, interrupt_after="pacedns resolve")
    if not C.eq(rc, 130, "SIGINT during resolve: exit status"):
        print("---- demo stderr ----\n%s" % se[-4000:])
    C.check("interrupted" in se, "SIGINT: no 'interrupted' message: %r" % se[-500:])
    check_nothing_left(C, "after SIGINT", se, tmp)


def main():
    C = lab.Checker("test_demo")
    for tool in ("nsd", "dnsdist", "gnuplot"):
        if not (shutil.which(tool) or os.path.exists("/usr/sbin/" + tool)):
            print("SKIP: %s not installed" % tool)
            return 0
    with lab.scratch("test_demo.") as tmp:
        test_full(C, tmp)
        test_sigint(C, tmp)
    return C.done()


if __name__ == "__main__":
    sys.exit(lab.main(main))
