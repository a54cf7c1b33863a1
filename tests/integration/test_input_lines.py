#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Input lines and start-up failures, against a real NSD:

- "NAME TYPE" lines (dnsperf/resperf query files) in resolve and probe: the type on the
  line wins over -t; a bare name gets the -t types; more than two fields or an unknown
  type is INVALID_NAME with a reason; exactly one record per line and type.
- no spin: probe --names with a file in which no line gives a query ends at once with
  exit 1 naming the file and the first bad line; resolve reading endless invalid lines
  from a pipe still stops on SIGINT (it used to spin at 100 % CPU, deaf to signals).
- start-up failures exit cleanly instead of crashing: a profile whose max_qps is below
  its start_qps (with and without -j), and sockets that cannot be created."""
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "lab"))
import lab  # noqa: E402

lab.isolate_network()


def run():
    C = lab.Checker("test_input_lines")
    with lab.Lab() as L:
        info = L.zones(hosts=200)
        exp = lab.load_expected(info)
        ns = L.start_nsd(info["zones"])
        names = [k.split("|")[0].rstrip(".") for k, v in sorted(exp.items())
                 if k.endswith("|A") and v["status"] == "NOERROR"][:50]

        # ---- NAME TYPE lines
        lines = []
        for i, n in enumerate(names):
            if i % 3 == 0:
                lines.append("%s AAAA" % n)
            elif i % 3 == 1:
                lines.append("%s\tmx" % n)
            else:
                lines.append(n)
        lines += ["%s A extra" % names[0], "%s BOGUSTYPE" % names[0], "bad name"]
        rc, out, err = L.run_pacedns(["resolve", "-s", ns.addr, "-t", "A,TXT", "--qps", "2000"],
                                     input_text="\n".join(lines) + "\n")
        C.eq(rc, 0, "NAME TYPE: exit (stderr %s)" % err[-300:])
        recs = lab.parse_ndjson(out)
        by_line = {}
        for r in recs:
            by_line.setdefault(r["line"], []).append(r)
        for i, text in enumerate(lines, 1):
            got = by_line.get(i, [])
            f = text.split()
            if i <= len(names):
                want_types = [f[1].upper()] if len(f) == 2 else ["A", "TXT"]
                C.eq(sorted(r["type"] for r in got), sorted(want_types), "line %d %r: types" % (i, text))
                for r in got:
                    C.eq(r["name"], f[0], "line %d: record name" % i)
                    want = exp.get("%s.|%s" % (f[0], r["type"]))
                    if want:
                        C.eq(r["status"], want["status"], "line %d %s: status" % (i, r["type"]))
                    else:
                        C.check(r["status"] in ("NOERROR", "NODATA"),
                                "line %d %s: status %s" % (i, r["type"], r["status"]))
            else:
                C.eq(sorted(r["type"] for r in got), ["A", "TXT"], "line %d %r: one record per -t type" % (i, text))
                C.check(all(r["status"] == "INVALID_NAME" for r in got), "line %d: INVALID_NAME" % i)
                why = " ".join(str(r.get("error")) for r in got)
                key = {"extra": "more than two fields", "BOGUSTYPE": "unknown record type",
                       "bad name": "unknown record type"}
                k = "extra" if "extra" in text else "BOGUSTYPE" if "BOGUS" in text else "bad name"
                C.check(key[k] in why, "line %d %r: reason %r" % (i, text, why))
        C.eq(len(recs), sum(1 if len(l.split()) == 2 and l.split()[1].upper() in ("AAAA", "MX") else 2
                            for l in lines), "NAME TYPE: record count")

        # ---- probe with a dnsperf query file
        qf = L.path("queries.txt")
        with open(qf, "w") as f:
            for n in names:
                f.write("%s A\n%s AAAA\n" % (n, n))
        try:
            rc, out, err = L.run_pacedns(["probe", "-s", ns.addr, "--names", qf, "--qps", "300",
                                          "--duration", "1", "-q"], timeout=30)
        except lab.LabError as e:  # a spin: the later cases still run
            rc, err = None, str(e)
        C.eq(rc, 0, "probe with a dnsperf query file: exit (stderr %s)" % err[-300:])

        # ---- probe with a file that gives no query: exit 1 at once, naming file and line
        bad = L.path("bad.txt")
        with open(bad, "w") as f:
            f.write("# comment\nh1 lab test A\nfoo BOGUS\n")
        t0 = time.monotonic()
        try:
            rc, out, err = L.run_pacedns(["probe", "-s", ns.addr, "--names", bad, "--duration", "2"],
                                         timeout=15)
        except lab.LabError as e:
            rc, err = None, str(e)
        took = time.monotonic() - t0
        C.eq(rc, 1, "probe, no usable line: exit code (stderr %s)" % err[-300:])
        C.check(took < 5, "probe, no usable line: took %.1f s" % took)
        C.check(bad in err and "line 2" in err, "probe, no usable line: message %r" % err[-300:])

        # ---- resolve: endless invalid lines on a pipe, then SIGINT. Six times: the
        # pipe reader's thread and the release at exit once raced (a use after free in
        # cli_pipein_release, a segfault in about half the runs)
        for attempt in range(6):
            gen = subprocess.Popen([sys.executable, "-c",
                                    "import sys\nw=sys.stdout.write\nwhile True: w('bad name here\\n' * 1000)"],
                                   stdout=subprocess.PIPE, start_new_session=True)
            try:
                ch = L.spawn("pacedns", [lab.pacedns_path(), "resolve", "-s", ns.addr, "-o", "/dev/null"],
                             stdin=gen.stdout)
                time.sleep(1.0 if attempt == 0 else 0.3)
                C.check(ch.alive(), "endless invalid stdin: ended early: %s" % ch.log_tail())
                os.kill(ch.pid, signal.SIGINT)
                try:
                    rc = ch.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    rc = None
                C.eq(rc, 130, "endless invalid stdin #%d: exit after SIGINT (a spin ignores it)"
                     % attempt)
                L.kill(ch)
            finally:
                gen.kill()
                gen.wait()

        # ---- start-up failures
        for extra in ([], ["-j", "2"]):
            rc, out, err = L.run_pacedns(["resolve", "-s", ns.addr, "--set", "max_qps=20"] + extra,
                                         input_text=names[0] + "\n")
            C.eq(rc, 1, "--set max_qps=20 %s: exit code (stderr %s)" % (extra, err[-300:]))
            C.check("max_qps" in err and "start_qps (50)" in err,
                    "--set max_qps=20 %s: message %r" % (extra, err[-300:]))
            C.eq(out, "", "--set max_qps=20 %s: no records" % extra)
        servers = []
        for i in range(6):
            servers += ["-s", "127.0.0.1:%d" % (ns.port if i == 0 else lab.free_port())]
        cmd = "ulimit -n 10; exec %s resolve %s" % (lab.pacedns_path(), " ".join(servers))
        p = subprocess.run(["bash", "-c", cmd], input=names[0] + "\n", capture_output=True,
                           text=True, timeout=30, cwd=L.dir)
        C.eq(p.returncode, 2, "sockets cannot be created: exit code (stderr %s)" % p.stderr[-300:])
        C.check("too many open files" in p.stderr.lower(), "sockets: message %r" % p.stderr[-300:])
    return C.done()


if __name__ == "__main__":
    sys.exit(lab.main(run))
