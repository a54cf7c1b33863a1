#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Hostile input and bad configuration.

Input lines (binary garbage, NUL bytes, 1 MB lines, CRLF line ends, spaces and tabs in
names, overlong labels and names, invalid UTF-8, whitespace-only lines, a last line
without a newline, IDN names in UTF-8): each gives one well-formed record (INVALID_NAME
with an `error` that describes the line, or the real answer), blank lines none, and the
run goes on to the next line: exit 0 within 60 s, from a file (LF) and from stdin
(CRLF). IDN: bücher.example / münchen.example must reach NSD as xn--bcher-kva.example /
xn--mnchen-3ya.example, which only an NSD zone serves (10.77.0.1 / 10.77.0.2).

Configuration errors exit 1 within 20 s, write no records, and the message on stderr
names the problem (and the file and line where one applies): missing, unreadable and
directory input files; bad server address, port 0 and 65536; duplicate servers; an empty
servers file and one with only comments; a servers file with a bad line (FILE:LINE);
unknown -t type; unknown profile; bad profile files (the file and the key)."""
import json
import os
import shutil
import stat
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "lab"))
import lab  # noqa: E402

lab.isolate_network()

IDN_ZONE = """$ORIGIN example.
$TTL 3600
@ IN SOA ns1.example. hostmaster.example. 1 3600 900 604800 300
@ IN NS ns1.example.
ns1 IN A 10.77.0.53
xn--bcher-kva IN A 10.77.0.1
xn--mnchen-3ya IN A 10.77.0.2
"""

MB = 1 << 20

# (line bytes without the line end, expected status or None for "no record",
#  expected answer data, what the error must mention (any of), qname wanted)
LINES = [
    (b"host1.example.test", "NOERROR", "10.0.0.2", None, None),
    (b"\x00\x01\x02garbage\xff\xfe\x7f\x1b[31m", "INVALID_NAME", None, None, None),
    (b"ho\x00st2.example.test", "INVALID_NAME", None, None, None),
    (b"a" * MB, "INVALID_NAME", None, ("label", "long", "line"), None),
    (b"host3.example.test", "NOERROR", "10.0.0.4", None, None),
    # a blank separates "NAME TYPE" (dnsperf query files): the second field is no type
    (b"has space.example.test", "INVALID_NAME", None, ("unknown record type 'space.example.test'",), None),
    (b"has\ttab.example.test", "INVALID_NAME", None, ("unknown record type 'tab.example.test'",), None),
    (b"x" * 64 + b".example.test", "INVALID_NAME", None, ("label", "63"), None),
    (b".".join([b"abcdefghi"] * 26), "INVALID_NAME", None, ("253", "long"), None),
    (b"ab." * (MB // 3), "INVALID_NAME", None, ("253", "long", "line"), None),
    ("bücher.example".encode(), "NOERROR", "10.77.0.1", None, "xn--bcher-kva.example."),
    (b" \t  ", None, None, None, None),  # whitespace only: a blank line, skipped
    ("münchen.example.".encode(), "NOERROR", "10.77.0.2", None, "xn--mnchen-3ya.example."),
    (b"\x00", "INVALID_NAME", None, None, None),
    (b"\xc3\x28.example.test", "INVALID_NAME", None, None, None),  # invalid UTF-8
    (b"", None, None, None, None),
    (b"host4.example.test", "NOERROR", "10.0.0.5", None, None),
    (b"host5.example.test", "NOERROR", "10.0.0.6", None, None),  # written without a line end
]


def build_input(eol):
    out = b""
    for i, (ln, _, _, _, _) in enumerate(LINES):
        out += ln
        if i < len(LINES) - 1:
            out += eol
    return out


def check_records(C, L, ns, what, rc, out, err, wall):
    C.eq(rc, 0, "%s: exit code (stderr: %s)" % (what, err[-400:]))
    C.check(wall < 60, "%s: wall %.1f s >= 60 s" % (what, wall))
    try:
        recs = lab.parse_ndjson(out)
    except lab.LabError as e:
        C.check(False, "%s: output is not ndjson: %s" % (what, e))
        return
    want = {i + 1: x for i, x in enumerate(LINES) if x[1] is not None}
    got_lines = [r.get("line") for r in recs]
    C.eq(sorted(got_lines), sorted(want), "%s: exactly one record per non-blank line" % what)
    for r in recs:
        ln = r.get("line")
        if ln not in want:
            continue
        src, st, data, needles, qname = want[ln]
        k = "%s line %d" % (what, ln)
        C.eq(r.get("status"), st, k + ": status (error %r)" % r.get("error"))
        C.eq(r.get("type"), "A", k + ": type")
        C.check(isinstance(r.get("name"), str) and r["name"], k + ": name %r" % str(r.get("name"))[:80])
        if st == "INVALID_NAME":
            e = r.get("error")
            if not C.check(isinstance(e, str) and e, k + ": no error text"):
                continue
            C.eq(r.get("attempts"), 0, k + ": attempts")
            C.eq(r.get("server"), None, k + ": server")
            C.eq(r.get("answers") or [], [], k + ": answers")
            if needles:
                C.check(any(n in e for n in needles), "%s: error %r mentions none of %r" % (k, e, needles))
            # the error must describe the input, not its escaped echo: a line without a
            # backslash has no invalid character '\'
            if b"\\" not in src:
                C.check("'\\'" not in e, "%s: error %r blames a backslash the input (%r) does not contain"
                        % (k, e, src[:24]))
        else:
            C.check("error" not in r, k + ": error %r on a valid name" % r.get("error"))
            C.eq([a.get("data") for a in r.get("answers") or []], [data], k + ": answers")
            C.eq(r.get("server"), ns.addr, k + ": server")
            C.eq(r.get("name"), src.decode("utf-8").strip(), k + ": name is the input line")
            if qname:
                C.eq(lab.norm(r.get("qname") or ""), qname, k + ": qname (A-labels)")
                C.eq(lab.norm(r["answers"][0].get("name", "")) if r.get("answers") else None, qname,
                     k + ": answer owner")


def input_cases(C, L, ns):
    base = ["resolve", "-q", "-s", ns.addr, "--qps", "200", "--timeout", "1000", "--retries", "1"]
    f = L.path("bad-input.txt")
    with open(f, "wb") as fh:
        fh.write(build_input(b"\n"))
    t0 = time.monotonic()
    rc, out, err = L.run_pacedns(base + [f], timeout=90)
    check_records(C, L, ns, "file (LF)", rc, out, err, time.monotonic() - t0)
    t0 = time.monotonic()
    rc, out, err = L.run_pacedns(base, input_text=build_input(b"\r\n"), timeout=90)
    check_records(C, L, ns, "stdin (CRLF)", rc, out, err, time.monotonic() - t0)


def run_err(L, args, inp="host1.example.test\n"):
    t0 = time.monotonic()
    rc, out, err = L.run_pacedns(args, input_text=inp, timeout=20, allow_no_server=True)
    return rc, out, err, time.monotonic() - t0


def config_cases(C, L, ns):
    d = L.dir
    s = ns.addr

    def w(name, text, mode=None):
        p = os.path.join(d, name)
        with open(p, "w") as fh:
            fh.write(text)
        if mode is not None:
            os.chmod(p, mode)
        return p

    os.mkdir(os.path.join(d, "a-directory"))
    empty = w("servers-empty.txt", "")
    comments = w("servers-comments.txt", "# no servers here\n\n   \n")
    badline = w("servers-bad.txt", "# servers\n%s\n\n300.1.2.3\n" % s)
    badport = w("servers-badport.txt", "%s\n127.0.0.1:65536\n" % s)
    dupfile = w("servers-dup.txt", "%s\n%s\n" % (s, s))
    prof_val = w("prof-value.json", '{"start_qps": "fast"}\n')
    prof_key = w("prof-key.json", '{"start_qps": 10, "no_such_knob": 1}\n')
    prof_json = w("prof-syntax.json", '{\n  "start_qps": 10,\n')
    prof_neg = w("prof-neg.json", '{"min_qps": -3}\n')

    # (what, args, strings stderr must all contain, any-of groups)
    cases = [
        ("missing input file", ["resolve", "-s", s, os.path.join(d, "no-such-input.txt")],
         ["no-such-input.txt"], []),
        ("input is a directory", ["resolve", "-s", s, os.path.join(d, "a-directory")],
         ["a-directory"], []),
        ("bad server address", ["resolve", "-s", "bogus!addr"], ["bogus!addr"], []),
        ("port 0", ["resolve", "-s", "127.0.0.1:0"], ["127.0.0.1:0"], [("port",)]),
        ("port 65536", ["resolve", "-s", "127.0.0.1:65536"], ["65536"], [("port",)]),
        ("port 65536 (IPv6)", ["resolve", "-s", "[::1]:65536"], ["65536"], [("port",)]),
        ("duplicate servers", ["resolve", "-s", s, "-s", s], [s], [("duplicate",)]),
        ("duplicate servers (default port)", ["resolve", "-s", "127.0.0.1", "-s", "127.0.0.1:53"],
         ["127.0.0.1"], [("duplicate",)]),
        ("duplicate in servers file", ["resolve", "-S", dupfile], ["servers-dup.txt:2"], [("duplicate",)]),
        ("empty servers file", ["resolve", "-S", empty], ["servers-empty.txt"], []),
        ("servers file with only comments", ["resolve", "-S", comments], ["servers-comments.txt"], []),
        ("servers file bad line", ["resolve", "-S", badline], ["servers-bad.txt:4", "300.1.2.3"], []),
        ("servers file bad port", ["resolve", "-S", badport], ["servers-badport.txt:2", "65536"], []),
        ("unknown type", ["resolve", "-s", s, "-t", "A,NOSUCHTYPE"], ["NOSUCHTYPE"], []),
        ("unknown type number", ["resolve", "-s", s, "-t", "TYPE70000"], ["TYPE70000"], []),
        ("unknown profile", ["resolve", "-s", s, "-p", "no-such-profile"], ["no-such-profile"], []),
        ("profile bad value", ["resolve", "-s", s, "-p", prof_val], ["prof-value.json", "start_qps"], []),
        ("profile unknown key", ["resolve", "-s", s, "-p", prof_key], ["prof-key.json", "no_such_knob"], []),
        ("profile negative value", ["resolve", "-s", s, "-p", prof_neg], ["prof-neg.json", "min_qps"], []),
        ("profile bad JSON", ["resolve", "-s", s, "-p", prof_json], ["prof-syntax.json"],
         [("line", "JSON", "json")]),
        ("--set unknown key", ["resolve", "-s", s, "--set", "no_such_knob=1"], ["no_such_knob"], []),
    ]
    for what, args, needles, groups in cases:
        rc, out, err, wall = run_err(L, args)
        e = err.strip()
        print("%s: exit %d: %s" % (what, rc, e[-200:]), flush=True)
        C.eq(rc, 1, "%s: exit code (stderr: %r)" % (what, e[-300:]))
        C.eq(out, "", "%s: records written on a configuration error" % what)
        C.check(wall < 20, "%s: took %.1f s" % (what, wall))
        C.check(e != "", "%s: no message" % what)
        for n in needles:
            C.check(n in e, "%s: message %r does not name %r" % (what, e[-300:], n))
        for g in groups:
            C.check(any(x in e for x in g), "%s: message %r mentions none of %r" % (what, e[-300:], g))

    # ---- unreadable input file (chmod 000). root ignores file modes, so as root the
    # check runs pacedns as nobody (setpriv) on a file in a directory nobody can search.
    sub = os.path.join(d, "perm")
    os.mkdir(sub)
    unreadable = os.path.join(sub, "unreadable.txt")
    with open(unreadable, "w") as fh:
        fh.write("host1.example.test\n")
    os.chmod(unreadable, 0)
    argv = [lab.pacedns_path(), "resolve", "-s", s, unreadable]
    setpriv = shutil.which("setpriv")
    if os.geteuid() != 0:
        prefix = []
    elif setpriv and _others_can_run(argv[0]):
        os.chmod(d, 0o711)
        os.chmod(sub, 0o711)
        prefix = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", "--"]
    else:
        prefix = None
    if prefix is None:
        print("SKIP: unreadable input file (running as root without setpriv)", flush=True)
    else:
        t0 = time.monotonic()
        p = lab.run_tool(prefix + argv, timeout=20, stdin=subprocess.DEVNULL)
        e = p.stderr.strip()
        print("unreadable input file%s: exit %d: %s" % (" (as nobody)" if prefix else "", p.returncode, e[-200:]))
        C.eq(p.returncode, 1, "unreadable input file: exit code (stderr: %r)" % e[-300:])
        C.eq(p.stdout, "", "unreadable input file: records written")
        C.check("unreadable.txt" in e, "unreadable input file: message %r does not name the file" % e)
        C.check("ermission" in e or "EACCES" in e or "readable" in e,
                "unreadable input file: message %r does not say why" % e)
        C.check(time.monotonic() - t0 < 20, "unreadable input file: too slow")
        os.chmod(d, 0o700)


def _others_can_run(path):
    """True when user nobody could execute path (every directory on the way searchable)."""
    p = os.path.abspath(path)
    try:
        if not os.stat(p).st_mode & stat.S_IXOTH:
            return False
        while True:
            p = os.path.dirname(p)
            if not os.stat(p).st_mode & stat.S_IXOTH:
                return False
            if p == "/":
                return True
    except OSError:
        return False


def run():
    C = lab.Checker("test_bad_input")
    with lab.Lab() as L:
        info = L.zones(hosts=20)
        idn = L.path("example.zone")
        with open(idn, "w") as f:
            f.write(IDN_ZONE)
        ns = L.start_nsd(info["zones"] + [{"name": "example.", "file": idn}])
        # the A-label names are served, the U-label ones are not (sanity of the fixture)
        m = lab.query("127.0.0.1", ns.port, "xn--bcher-kva.example", "A")
        C.check(m is not None and [a["data"] for a in m["answer"]] == ["10.77.0.1"],
                "fixture: NSD does not serve xn--bcher-kva.example: %r" % (m,))
        input_cases(C, L, ns)
        config_cases(C, L, ns)
    return C.done()


if __name__ == "__main__":
    sys.exit(lab.main(run))
