#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Progress line: under a pseudo-terminal, progress lines appear on stderr; with stderr
redirected to a file there is none (unless --progress); stdout holds only records in
every case."""
import json
import os
import pty
import re
import select
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "lab"))
import lab  # noqa: E402

lab.isolate_network()


def run_with_pty_stderr(argv, timeout=60):
    """Run argv with stderr on a pty (a terminal) and stdout on a pipe."""
    master, slave = pty.openpty()
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    err = b""
    out_chunks = []
    deadline = time.monotonic() + timeout
    os.set_blocking(p.stdout.fileno(), False)
    watch = [master, p.stdout]
    while watch:
        r, _, _ = select.select(watch, [], [], 0.2)
        if master in r:
            try:
                d = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                d = b""
            if d:
                err += d
            else:
                watch.remove(master)
        if p.stdout in r:
            d = p.stdout.read()
            if d:
                out_chunks.append(d)
            elif d == b"":
                watch.remove(p.stdout)
        if time.monotonic() > deadline:
            p.kill()
            break
    rest = p.stdout.read()
    if rest:
        out_chunks.append(rest)
    os.close(master)
    return p.wait(), b"".join(out_chunks).decode(), err.decode(errors="replace")


def records_only(C, what, out, n):
    lines = out.splitlines()
    C.eq(len(lines), n, "%s: stdout lines" % what)
    for ln in lines:
        try:
            json.loads(ln)
        except ValueError:
            C.check(False, "%s: stdout line is not a record: %r" % (what, ln[:80]))
            return


def check_totals(C, what, frames):
    """Each frame's total of names is 3000, or an estimate ("~N", from the bytes read so
    far) within 10 % of it."""
    totals = [re.search(r"\d+/(~?)(\d+) names", f) for f in frames]
    C.check(frames and all(totals), "%s: every frame shows done/total (%r)" % (what, frames[:2]))
    for m in filter(None, totals):
        n = int(m.group(2))
        if m.group(1):
            C.check(2700 <= n <= 3300, "%s: estimated total %d within 10%% of 3000" % (what, n))
        else:
            C.eq(n, 3000, "%s: exact total" % what)


def run():
    C = lab.Checker("test_progress")
    with lab.Lab() as L:
        info = L.zones(hosts=3000)
        ns = L.start_nsd(info["zones"])
        names = L.path("names.txt")
        with open(names, "w") as f:
            for i in range(3000):
                f.write("host%d.example.test\n" % i)
        base = [lab.pacedns_path(), "resolve", "-s", ns.addr, "--qps", "1000", names]

        # 1. stderr is a terminal: progress lines with done/total, rate and ETA
        rc, out, err = run_with_pty_stderr(base)
        C.eq(rc, 0, "pty run exit code")
        records_only(C, "pty run", out, 3000)
        frames = [f for f in err.split("\r") if "names" in f and "ETA" in f]
        C.check(len(frames) >= 4, "pty run: %d progress frames (run ~3 s, 4/s)" % len(frames))
        check_totals(C, "pty run", frames)
        C.check(any("q/s" in f and ns.addr in f for f in frames), "pty run: per-server rate")
        C.check(len(frames) <= 4 * 10, "pty run: at most 4 redraws a second (%d)" % len(frames))

        # 2. -q on a terminal: no progress
        rc, out, err = run_with_pty_stderr(base[:2] + ["-q"] + base[2:])
        C.eq(rc, 0, "pty -q exit code")
        records_only(C, "pty -q", out, 3000)
        C.check("ETA" not in err, "pty -q: no progress")

        # 3. stderr redirected to a file: no progress, summary only
        errf = L.path("stderr.txt")
        with open(errf, "w") as ef:
            p = subprocess.run(base, stdout=subprocess.PIPE, stderr=ef, timeout=60)
        err = open(errf).read()
        C.eq(p.returncode, 0, "redirected exit code")
        records_only(C, "redirected", p.stdout.decode(), 3000)
        C.check("ETA" not in err and "\r" not in err, "redirected: no progress in the file")
        C.check("names/s" in err, "redirected: summary present")

        # 4. --progress forces it into the file
        with open(errf, "w") as ef:
            p = subprocess.run(base[:2] + ["--progress"] + base[2:], stdout=subprocess.PIPE,
                               stderr=ef, timeout=60)
        err = open(errf).read()
        C.eq(p.returncode, 0, "--progress exit code")
        records_only(C, "--progress", p.stdout.decode(), 3000)
        C.check("ETA" in err, "--progress: progress written")

        # 5. the input is read once: the total comes from its bytes, not from a second
        # pass that counts lines (the first frames are an estimate, marked "~")
        if shutil.which("strace"):
            trace = L.path("strace.txt")
            with open(errf, "w") as ef:
                # LeakSanitizer cannot run under ptrace: an ASan build skips only that
                env = dict(os.environ)
                env["ASAN_OPTIONS"] = ":".join(filter(None, [env.get("ASAN_OPTIONS"),
                                                             "detect_leaks=0"]))
                p = subprocess.run(["strace", "-f", "-qq", "-e", "trace=open,openat", "-o", trace]
                                   + base[:2] + ["--progress"] + base[2:], stdout=subprocess.PIPE,
                                   stderr=ef, timeout=60, env=env)
            C.eq(p.returncode, 0, "strace --progress exit code")
            opens = [ln for ln in open(trace) if "names.txt" in ln and "= -1" not in ln]
            C.eq(len(opens), 1, "--progress: the input is opened once (%r)" % opens)
            check_totals(C, "strace --progress", [f for f in open(errf).read().split("\r") if "ETA" in f])
        else:
            C.check(False, "strace is installed (scripts/install-deps.sh)")
    return C.done()


if __name__ == "__main__":
    sys.exit(lab.main(run))
