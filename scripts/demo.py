#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""demo.py - pacedns against a local lab of rate-limited DNS servers.

Starts, on 127.0.0.1 high ports only (inside a private network namespace when the lab can
make one):
  - NSD serving a generated zone example.test with host0..host19999;
  - three dnsdist front-ends before that NSD that drop what exceeds 800, 2000 and 5000
    queries/s.
Then:
  1. pacedns resolve  - the 20,000 names host%d.example.test across the three servers,
                        default profile: each server is paced by its own AIMD controller;
  2. pacedns probe    - each server's optimal rate (random names under example.test);
  3. plots/pacedns-plot - rate.png, latency.png and cdf.png for both runs.
Everything goes under one folder (default ./demo-out):
  lab.json                      the servers and their caps
  resolve-stats.json            resolve's stats (--stats)
  resolve-records.ndjson        its records, one per name
  resolve-summary.txt           its summary table
  probe-stats.json              probe's stats
  probe-summary.txt             its summary and the table of optimal rates
  resolve/, probe/              rate.png, latency.png and cdf.png of each run
Every process started is stopped at the end, on error and on Ctrl-C (exit status 130).

Usage: scripts/demo.py [--out DIR] [--quick]
Environment: PACEDNS (the binary; default build/pacedns), PACEDNS_DEMO_OUT (the folder),
PACEDNS_DEMO_QUICK=1 (3,000 names, a 6 s probe: for CI), PACEDNS_LAB_NETNS=0 (no private
network namespace). Python 3 standard library only.
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.join(ROOT, "tools", "lab"))
import lab  # noqa: E402

CAPS = (800, 2000, 5000)  # dnsdist front-ends: queries/s above which they drop
FULL = {"hosts": 20000, "probe_s": 15}
QUICK = {"hosts": 3000, "probe_s": 6}
PLOT = os.path.join(ROOT, "plots", "pacedns-plot")


class Interrupted(Exception):
    pass


def on_sigint(signo, frame):
    # Ignore further Ctrl-C while cleaning up; cleanup is bounded (kill by PID, grace 3 s).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    raise Interrupted()


def say(*a):
    print("demo:", *a, file=sys.stderr, flush=True)


def pacedns_bin():
    p = os.environ.get("PACEDNS")
    if p:
        return os.path.abspath(p)
    return os.path.join(ROOT, "build", "pacedns")


def run_child(L, name, argv, stdout, tee=None, env=None):
    """Run argv to completion as a lab child (own process group, killed with the lab and
    on Ctrl-C). Its stderr is copied to ours as it comes and returned as text (the
    progress line's carriage-return updates dropped)."""
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=stdout,
                            stderr=subprocess.PIPE, cwd=L.dir, env=env,
                            start_new_session=True, preexec_fn=lab._pdeathsig)
    ch = lab.Child(name, proc, None)
    lab._children[proc.pid] = ch  # only while it runs: lab.stop_all() kills it by PID
    L.log("started %s pid %d: %s" % (name, proc.pid, " ".join(argv)))
    buf = bytearray()
    try:
        fd = proc.stderr.fileno()
        while True:
            chunk = os.read(fd, 4096)
            if not chunk:
                break
            buf += chunk
            sys.stderr.buffer.write(chunk)
            sys.stderr.flush()
        proc.wait()
    finally:
        proc.stderr.close()
        if proc.poll() is not None:
            lab._children.pop(proc.pid, None)
    lines = []
    for line in buf.decode(errors="replace").split("\n"):
        line = line.rsplit("\r", 1)[-1]
        while "\x1b[" in line:  # drop ANSI sequences (e.g. erase-line)
            i = line.index("\x1b[")
            j = i + 2
            while j < len(line) and not line[j].isalpha():
                j += 1
            line = line[:i] + line[j + 1:]
        if line.strip():
            lines.append(line)
    text = "\n".join(lines) + "\n"
    if tee:
        with open(tee, "w") as f:
            f.write(text)
    return proc.returncode, text


def plot(L, stats, outdir):
    rc, _ = run_child(L, "pacedns-plot", [sys.executable, PLOT, stats, outdir],
                      stdout=subprocess.DEVNULL)
    if rc != 0:
        raise lab.LabError("pacedns-plot %s exited with %d" % (stats, rc))
    return [os.path.join(outdir, p) for p in ("rate.png", "latency.png", "cdf.png")]


def demo(args, L):
    p = QUICK if args.quick else FULL
    out = args.out
    rdir, pdir = os.path.join(out, "resolve"), os.path.join(out, "probe")
    for d in (rdir, pdir):
        os.makedirs(d, exist_ok=True)
    pacedns = pacedns_bin()
    if not os.access(pacedns, os.X_OK):
        raise lab.LabError("no pacedns binary at %s (build it, or set PACEDNS)" % pacedns)
    for tool in ("nsd", "dnsdist", "gnuplot"):
        if not shutil.which(tool):
            raise lab.LabError("%s not found: run scripts/install-deps.sh (or scripts/demo.sh)" % tool)

    t0 = time.monotonic()
    say("generating example.test with %d hosts" % p["hosts"])
    info = L.zones(hosts=p["hosts"], with_expected=False)
    ns = L.start_nsd(info["zones"])
    say("NSD (pid %d) on %s" % (ns.pid, ns.addr))
    fronts = []
    for cap in CAPS:
        dd = L.start_dnsdist(backend=ns, rule_lua_lines=[
            "addAction(NotRule(MaxQPSRule(%d, %d)), DropAction())" % (cap, max(1, cap // 100))],
            ready_query=("example.test", "SOA"))
        fronts.append((dd, cap))
        say("dnsdist (pid %d) on %s: drops above %d queries/s" % (dd.pid, dd.addr, cap))
    with open(os.path.join(out, "lab.json"), "w") as f:
        json.dump({"backend": ns.addr, "zone": "example.test", "hosts": p["hosts"],
                   "servers": [{"server": d.addr, "cap_qps": c} for d, c in fronts]}, f, indent=1)
        f.write("\n")
    servers = []
    for d, _ in fronts:
        servers += ["-s", d.addr]
    prog = ["--progress"] if sys.stderr.isatty() else []

    # 1. resolve the benchmark names across the three servers (default profile)
    say("pacedns resolve: %d names across 3 servers, default profile" % p["hosts"])
    rstats = os.path.join(out, "resolve-stats.json")
    # a 0.25 s stats interval: the run is short, the plot needs more than a few steps
    argv = [pacedns, "resolve"] + servers + ["--interval", "0.25", "--stats", rstats, "-o",
                                             os.path.join(out, "resolve-records.ndjson")] + prog + [info["hosts_file"]]
    rc, rsum = run_child(L, "pacedns", argv, stdout=subprocess.DEVNULL,
                         tee=os.path.join(out, "resolve-summary.txt"))
    if rc != 0:
        raise lab.LabError("pacedns resolve exited with %d" % rc)

    # 2. probe each server's optimal rate (one run, all three servers)
    say("pacedns probe: each server's optimal rate, up to %d s" % p["probe_s"])
    pstats = os.path.join(out, "probe-stats.json")
    argv = [pacedns, "probe"] + servers + ["--zone", "example.test", "--duration",
                                           str(p["probe_s"]), "--stats", pstats] + prog
    with open(L.path("probe-table.txt"), "w+") as tf:
        rc, psum = run_child(L, "pacedns", argv, stdout=tf)
        tf.seek(0)
        ptable = tf.read()
    if rc != 0:
        raise lab.LabError("pacedns probe exited with %d" % rc)
    with open(os.path.join(out, "probe-summary.txt"), "w") as f:
        f.write(psum + ptable)

    # 3. plots
    pngs = plot(L, rstats, rdir) + plot(L, pstats, pdir)
    L.close()  # stop the servers before the report
    elapsed = time.monotonic() - t0

    caps = "\n".join("  %-22s dnsdist, drops above %5d q/s" % (d.addr, c) for d, c in fronts)
    print("\n==== pacedns demo: %d names, %.0f s ====" % (p["hosts"], elapsed))
    print("servers (all in front of one NSD):\n" + caps)
    print("\n-- pacedns resolve (summary) --\n" + rsum.rstrip())
    print("\n-- pacedns probe (optimal rate per server) --\n" + ptable.rstrip())
    print("\noutputs in %s:" % out)
    print("  lab.json  resolve-stats.json  resolve-records.ndjson  resolve-summary.txt")
    print("  probe-stats.json  probe-summary.txt")
    for png in pngs:
        print("  " + os.path.relpath(png, out))
    print("\nreading rate.png (resolve/ and probe/): one colour per server;")
    print("  dashed = the rate pacedns paced it at, solid = answers/s, dash-dot = optimal rate found;")
    print("  red x = queries lost (dnsdist dropped them above its cap): the controller backs off,")
    print("  then climbs again, so each server settles near its own cap (800, 2000, 5000 q/s).")
    sys.stdout.flush()
    return 0


def chown_to_sudo_user(path):
    """Under sudo, give the output back to the user who ran it."""
    uid, gid = os.environ.get("SUDO_UID"), os.environ.get("SUDO_GID")
    if os.geteuid() != 0 or not uid or not uid.isdigit():
        return
    uid, gid = int(uid), int(gid) if gid and gid.isdigit() else -1
    for base, dirs, files in os.walk(path):
        for n in [base] + [os.path.join(base, x) for x in dirs + files]:
            try:
                os.lchown(n, uid, gid)
            except OSError:
                pass


def main():
    ap = argparse.ArgumentParser(description="pacedns demo against a local rate-limited lab")
    ap.add_argument("--out", default=os.environ.get("PACEDNS_DEMO_OUT") or "demo-out",
                    help="output folder (default ./demo-out, or $PACEDNS_DEMO_OUT)")
    ap.add_argument("--quick", action="store_true",
                    default=os.environ.get("PACEDNS_DEMO_QUICK") == "1",
                    help="short run for CI (also PACEDNS_DEMO_QUICK=1)")
    args = ap.parse_args()
    args.out = os.path.abspath(args.out)
    # nsd lives in /usr/sbin, not on a normal user's PATH on Debian
    path = os.environ.get("PATH", "").split(os.pathsep)
    for d in ("/usr/sbin", "/sbin"):
        if d not in path:
            path.append(d)
    os.environ["PATH"] = os.pathsep.join(p for p in path if p)

    # Private network namespace (loopback only) when permitted; re-execs this script
    # (same cwd and environment). Without it, everything still listens on 127.0.0.1 only.
    lab.isolate_network()
    signal.signal(signal.SIGINT, on_sigint)
    os.makedirs(args.out, exist_ok=True)
    rc = 1
    L = None
    try:
        L = lab.Lab()
        rc = demo(args, L)
    except Interrupted:
        say("interrupted: stopping everything")
        rc = 130
    except lab.LabError as e:
        say("error: %s" % e)
        if L is not None:
            L.dump_logs()
        rc = 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        if L is not None:
            L.close()
        lab.stop_all()
        chown_to_sudo_user(args.out)
    return rc


if __name__ == "__main__":
    sys.exit(main())
