#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""--resume refuses what would damage data: a resume from another directory appends to the
run's own output (absolute path, same file) and never touches a same-named file there; an
output shorter than the checkpoint records, or not ending a record where it says, is
refused and left alone; a different input file, a changed input, or other -t/-f is
refused naming what differs; a corrupted checkpoint (bad or huge numbers, truncated JSON,
an old format) gives exit 1 and a message naming the file and the field, never a crash.
Every refusal leaves the output as it was; a proper resume afterwards completes the run
with every line exactly once."""
import json
import os
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "lab"))
import lab  # noqa: E402

lab.isolate_network()
N = 3000


def interrupted_run(L, C, ns, names, cwd, out, ck, what):
    """A run killed (SIGKILL) part-way, from cwd, with relative -o/--checkpoint paths."""
    argv = [lab.pacedns_path(), "resolve", "-q", "-s", ns.addr, "--qps", "1000", names,
            "--checkpoint", ck, "-o", out]
    p = subprocess.Popen(argv, cwd=cwd, stdin=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(1.6)
    p.send_signal(signal.SIGKILL)
    p.wait(timeout=30)
    err = p.stderr.read().decode(errors="replace")
    ckp = os.path.join(cwd, ck)
    C.check(os.path.exists(ckp), "%s: checkpoint written (%s)" % (what, err[-300:]))
    with open(ckp) as f:
        doc = json.load(f)
    size = os.path.getsize(os.path.join(cwd, out))
    C.check(0 < doc.get("output_bytes", -1) <= size, "%s: the killed run recorded part of its output "
            "(output_bytes %r, file %d)" % (what, doc.get("output_bytes"), size))
    with open(os.path.join(cwd, out), "rb") as f:
        done = f.read().count(b"\n")
    C.check(done < N, "%s: the run was killed before the end (%d records)" % (what, done))
    return ckp, doc


def resume(L, args, cwd):
    p = subprocess.run([lab.pacedns_path(), "resolve", "-q"] + args, cwd=cwd, stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=120)
    return p.returncode, p.stderr.decode(errors="replace")


def snapshot(path):
    with open(path, "rb") as f:
        return f.read()


def same(C, got, want, what):
    """got == want (bytes), without printing files."""
    C.check(got == want, "%s: %d bytes (NULs: %d), want the %d bytes it had" % (
        what, len(got), got.count(b"\0"), len(want)))


def check_union(C, out, want, what):
    recs = []
    with open(out, "rb") as f:
        for x in f:
            try:
                recs.append(json.loads(x))
            except ValueError:
                recs.append({})
    lines = [r.get("line") for r in recs]
    C.eq(len(lines), len(want), "%s: records in the union" % what)
    C.eq((len(set(want) - set(lines)), len(set(lines) - set(want))), (0, 0),
         "%s: (input lines missing, unknown lines)" % what)
    C.eq(sum(1 for r in recs if r.get("name") != want.get(r.get("line"))), 0,
         "%s: records with the wrong name" % what)


def run():
    C = lab.Checker("test_resume_safety")
    with lab.Lab() as L:
        info = L.zones(hosts=3000)
        ns = L.start_nsd(info["zones"])
        names = L.path("names.txt")
        want = {}
        with open(names, "w") as f:
            for i in range(N):
                f.write("host%d.example.test\n" % i)
                want[i + 1] = "host%d.example.test" % i
        a, b = L.path("a"), L.path("b")
        os.makedirs(a)
        os.makedirs(b)

        # ---- 1. resume from another directory: the original output, never ./out.ndjson
        ckp, doc = interrupted_run(L, C, ns, names, a, "out.ndjson", "ck.json", "other dir")
        precious = b"precious data, not pacedns output\n"
        with open(os.path.join(b, "out.ndjson"), "wb") as f:
            f.write(precious)
        rc, err = resume(L, [names, "-s", ns.addr, "--qps", "3000", "--resume", ckp], b)
        C.eq(rc, 0, "other dir: resume exit (%s)" % err[-300:])
        same(C, snapshot(os.path.join(b, "out.ndjson")), precious, "other dir: ./out.ndjson untouched")
        check_union(C, os.path.join(a, "out.ndjson"), want, "other dir")
        # a -o naming another file is refused, not used
        rc, err = resume(L, [names, "-s", ns.addr, "-o", "out.ndjson", "--resume", ckp], b)
        C.eq(rc, 1, "other dir, -o ./out.ndjson: exit (%s)" % err.strip())
        C.check("ck.json" in err and "-o" in err, "other dir, -o: message (%s)" % err.strip())
        same(C, snapshot(os.path.join(b, "out.ndjson")), precious, "other dir, -o: ./out.ndjson untouched")
        # the output replaced by another file of the same name (another inode)
        outa = os.path.join(a, "out.ndjson")
        shutil.copyfile(outa, outa + ".copy")
        os.replace(outa + ".copy", outa)
        before = snapshot(outa)
        rc, err = resume(L, [names, "-s", ns.addr, "--resume", ckp], b)
        C.eq(rc, 1, "replaced output: exit (%s)" % err.strip())
        C.check("ck.json" in err and "inode" in err, "replaced output: message (%s)" % err.strip())
        same(C, snapshot(outa), before, "replaced output: left alone")

        # ---- 2. an output shorter than recorded, or not ending a record there
        ckp, doc = interrupted_run(L, C, ns, names, a, "short.ndjson", "ck2.json", "short")
        outp = os.path.join(a, "short.ndjson")
        rec = doc["output_bytes"]
        with open(outp, "r+b") as f:
            f.truncate(rec // 2)
        before = snapshot(outp)
        rc, err = resume(L, [names, "-s", ns.addr, "--resume", ckp], a)
        C.eq(rc, 1, "short output: exit (%s)" % err.strip())
        C.check("ck2.json" in err and "short.ndjson" in err and "fewer" in err,
                "short output: message names the checkpoint, the file and the loss (%s)" % err.strip())
        after = snapshot(outp)
        C.eq(len(after), len(before), "short output: not padded")
        C.check(b"\0" not in after, "short output: no NUL bytes")
        # a file whose recorded end is not a newline (the file was edited)
        ckp, doc = interrupted_run(L, C, ns, names, a, "edit.ndjson", "ck3.json", "edited")
        outp = os.path.join(a, "edit.ndjson")
        with open(outp, "r+b") as f:
            f.seek(doc["output_bytes"] - 1)
            f.write(b"X")
        before = snapshot(outp)
        rc, err = resume(L, [names, "-s", ns.addr, "--resume", ckp], a)
        C.eq(rc, 1, "edited output: exit (%s)" % err.strip())
        C.check("ck3.json" in err and "record" in err, "edited output: message (%s)" % err.strip())
        same(C, snapshot(outp), before, "edited output: left alone")

        # ---- 3. other input or options: refused, naming what differs
        ckp, doc = interrupted_run(L, C, ns, names, a, "fp.ndjson", "ck4.json", "fingerprint")
        outp = os.path.join(a, "fp.ndjson")
        before = snapshot(outp)
        names2 = L.path("names2.txt")
        shutil.copyfile(names, names2)
        cases = [
            ("another input file", [names2], ["input", "names2.txt"]),
            ("two inputs", [names, names2], ["input"]),
            ("-t A,AAAA", [names, "-t", "A,AAAA"], ["-t", "A,AAAA"]),
            ("-t AAAA", [names, "-t", "AAAA"], ["-t", "AAAA"]),
            ("-f text", [names, "-f", "text"], ["-f", "text"]),
            ("--fcrdns", [names, "--fcrdns"], ["--fcrdns"]),
            # the trust options decide which records are believed and shape them (#14)
            ("--trusted", [names, "--trusted", ns.addr], ["--trusted", ns.addr]),
            ("--trusted --verify", [names, "--trusted", ns.addr, "--verify"], ["--trusted"]),
            ("--canaries", [names, "--canaries"], ["--canaries", "off", "on"]),
            ("--wildcards mark", [names, "--wildcards", "mark"], ["--wildcards", "mark"]),
        ]
        for what, args, words in cases:
            rc, err = resume(L, args + ["-s", ns.addr, "--resume", ckp], a)
            C.eq(rc, 1, "%s: exit (%s)" % (what, err.strip()))
            C.check("ck4.json" in err and all(w in err for w in words),
                    "%s: message names the checkpoint and %s (%s)" % (what, words, err.strip()))
            same(C, snapshot(outp), before, "%s: output left alone" % what)
        # the same input, changed since (a line appended)
        saved = snapshot(names)
        st = os.stat(names)
        with open(names, "ab") as f:
            f.write(b"extra.example.test\n")
        rc, err = resume(L, [names, "-s", ns.addr, "--resume", ckp], a)
        C.eq(rc, 1, "changed input: exit (%s)" % err.strip())
        C.check("ck4.json" in err and "names.txt" in err and "changed" in err,
                "changed input: message (%s)" % err.strip())
        same(C, snapshot(outp), before, "changed input: output left alone")
        with open(names, "wb") as f:
            f.write(saved)
        os.utime(names, ns=(st.st_atime_ns, st.st_mtime_ns))
        # the types in another order are the same run; then it completes
        rc, err = resume(L, [names, "-s", ns.addr, "--qps", "3000", "--resume", ckp], a)
        C.eq(rc, 0, "same run: resume exit (%s)" % err.strip())
        check_union(C, outp, want, "fingerprint, then a proper resume")

        # ---- 4. corrupted checkpoints: exit 1, the file and the field named, no crash
        ckp, doc = interrupted_run(L, C, ns, names, a, "bad.ndjson", "ck5.json", "corrupt")
        outp = os.path.join(a, "bad.ndjson")
        before = snapshot(outp)
        good = snapshot(ckp)
        bad = L.path("bad-ck.json")
        variants = []
        for key, val in doc.items():
            if isinstance(val, bool):
                continue
            if isinstance(val, (int, float)):
                for v in (-1, 1.5, 1e300, -1e300, 2 ** 64, "12", None):
                    variants.append(("%s=%r" % (key, v), dict(doc, **{key: v}), key))
            elif isinstance(val, list):
                for v in ([1e30], [-3], [2.5], ["x"], [1, 1], 7):
                    variants.append(("%s=%r" % (key, v), dict(doc, **{key: v}), key))
        for key in doc:
            if key == "pacedns_version":  # for information only
                continue
            d = dict(doc)
            del d[key]
            variants.append(("no %s" % key, d, key))
        for what, d, key in variants:
            with open(bad, "w") as f:
                json.dump(d, f)
            rc, err = resume(L, [names, "-s", ns.addr, "--resume", bad], a)
            C.eq(rc, 1, "corrupt %s: exit (%s)" % (what, err.strip()[-300:]))
            C.check("bad-ck.json" in err and key in err,
                    "corrupt %s: message names the file and the field (%s)" % (what, err.strip()))
        same(C, snapshot(outp), before, "corrupt: output left alone")
        for cut in (len(good) // 2, len(good) - 3, 1):
            with open(bad, "wb") as f:
                f.write(good[:cut])
            rc, err = resume(L, [names, "-s", ns.addr, "--resume", bad], a)
            C.eq(rc, 1, "truncated at %d: exit (%s)" % (cut, err.strip()))
            C.check("bad-ck.json" in err, "truncated at %d: message names the file (%s)" % (cut, err.strip()))
        # a checkpoint of the old format (version 1) is refused, not half understood
        with open(bad, "w") as f:
            json.dump({"version": 1, "output": "bad.ndjson", "output_bytes": 0, "records": 0,
                       "done_below": 1, "done_above": []}, f)
        rc, err = resume(L, [names, "-s", ns.addr, "--resume", bad], a)
        C.eq(rc, 1, "version 1: exit (%s)" % err.strip())
        C.check("bad-ck.json" in err and "version" in err, "version 1: message (%s)" % err.strip())
        same(C, snapshot(outp), before, "version 1: output left alone")
        rc, err = resume(L, [names, "-s", ns.addr, "--qps", "3000", "--resume", ckp], a)
        C.eq(rc, 0, "corrupt, then the good checkpoint: exit (%s)" % err.strip())
        check_union(C, outp, want, "corrupt, then the good checkpoint")
    return C.done()


if __name__ == "__main__":
    sys.exit(lab.main(run))
