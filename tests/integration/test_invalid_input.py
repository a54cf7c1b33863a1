#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Input handling and option errors: one record per non-blank, non-comment line (CRLF,
padding, duplicates, invalid names with the right "line"), stdin input, exit 0; usage
errors exit 1 with a message naming the option, file and line."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "lab"))
import lab  # noqa: E402

ISOLATED = lab.isolate_network()

# (line bytes, expected status or None for "skipped"); line numbers are 1-based positions
LINES = [
    (b"host0.example.test", "NOERROR"),
    (b"", None),
    (b"# a comment", None),
    (b"   ", None),
    (b"  # an indented comment", None),
    (b"a..b", "INVALID_NAME"),
    (b"x" * 64 + b".example.test", "INVALID_NAME"),
    (b"has space.example.test", "INVALID_NAME"),
    (b"bin\x01\xff\xfe.example.test", "INVALID_NAME"),
    (b"host1.example.test\r", "NOERROR"),        # CRLF line end
    (b"\thost2.example.test  ", "NOERROR"),      # padding is trimmed
    (b"host0.example.test", "NOERROR"),          # duplicates give records too
    (b".", None),                                # root: valid or invalid, not checked
    (b"a" * 63 + b".example.test", "NXDOMAIN"),  # 63 is fine
    (b"nx1.example.test", "NXDOMAIN"),
    (b"under_score.example.test", "NXDOMAIN"),
    (b"back\\slash.example.test", "INVALID_NAME"),
    (b".".join([b"abcdefghi"] * 26) + b".example.test", "INVALID_NAME"),  # > 253 octets
    (b"empty-label-end..", "INVALID_NAME"),
    (b"host3.example.test\r", "NOERROR"),
]


def run():
    C = lab.Checker("test_invalid_input")
    with lab.Lab() as L:
        info = L.zones(hosts=50)
        ns = L.start_nsd(info["zones"])
        data = b"\n".join(ln for ln, _ in LINES) + b"\n"
        data = data.replace(b"\r\n", b"\r\n")  # CR already in the lines that need it
        inp = L.path("input.txt")
        with open(inp, "wb") as f:
            f.write(data)
        want = {i + 1: st for i, (ln, st) in enumerate(LINES) if ln.strip() and not ln.strip().startswith(b"#")}

        for how in ("file", "stdin", "dash"):
            args = ["resolve", "-s", ns.addr, "--qps", "500", "--timeout", "500", "--retries", "1"]
            if how == "file":
                rc, out, err = L.run_pacedns(args + [inp], timeout=60)
            elif how == "stdin":
                rc, out, err = L.run_pacedns(args, input_text=data, timeout=60)
            else:
                rc, out, err = L.run_pacedns(args + ["-"], input_text=data, timeout=60)
            C.eq(rc, 0, "%s: exit code (stderr: %s)" % (how, err[-500:]))
            recs = lab.parse_ndjson(out)
            lines = sorted(r.get("line") for r in recs)
            C.eq(lines, sorted(want), "%s: one record per non-blank non-comment line" % how)
            for r in recs:
                ln = r.get("line")
                st = want.get(ln)
                if st is None:
                    continue
                k = "%s line %s (%r)" % (how, ln, r.get("name"))
                C.eq(r.get("status"), st, k + ": status")
                C.eq(r.get("type"), "A", k + ": type")
                if st == "INVALID_NAME":
                    C.check(isinstance(r.get("error"), str) and r["error"], k + ": error detail %r" % r.get("error"))
                    C.eq(r.get("answers") or [], [], k + ": answers")
                    C.eq(r.get("attempts"), 0, k + ": attempts")
                    C.eq(r.get("server"), None, k + ": server")
                    C.check(isinstance(r.get("name"), str), k + ": name is a string")
                else:
                    C.check("error" not in r, k + ": error set on a valid name")
                    src = LINES[ln - 1][0].strip().decode()
                    C.eq(r.get("name"), src, "%s line %d: name is the trimmed input" % (how, ln))
            # the binary line comes out as valid JSON text (parse_ndjson succeeded)

        # ---- usage errors: exit 1, message names the option / file / line
        sf = L.path("servers.txt")
        with open(sf, "w") as f:
            f.write("# servers\n%s\n\nnot an address\n" % ns.addr)
        bad_server = "1.2.3.4:99999" if ISOLATED else "127.0.0.1:99999"
        cases = [
            ("unknown option", ["resolve", "-s", ns.addr, "--bogus-option"], ["bogus-option"]),
            ("bad port", ["resolve", "-s", bad_server], ["99999"]),
            ("bad address", ["resolve", "-s", "nonsense"], ["nonsense"]),
            ("bad v6 address", ["resolve", "-s", "[::1"], ["::1"]),
            ("missing input file", ["resolve", "-s", ns.addr, L.path("no-such-file.txt")], ["no-such-file.txt"]),
            ("missing servers file", ["resolve", "-S", L.path("no-such-servers.txt")], ["no-such-servers.txt"]),
            ("servers file bad line", ["resolve", "-S", sf], ["servers.txt", "4"]),
            ("unknown type", ["resolve", "-s", ns.addr, "-t", "A,NOTATYPE"], ["NOTATYPE"]),
            ("unknown format", ["resolve", "-s", ns.addr, "-f", "xml"], ["xml"]),
            ("bad qps", ["resolve", "-s", ns.addr, "--qps", "fast"], ["qps"]),
            ("bad timeout", ["resolve", "-s", ns.addr, "--timeout", "-5"], ["timeout"]),
            ("missing value", ["resolve", "-s", ns.addr, "--retries"], ["retries"]),
        ]
        for what, args, needles in cases:
            rc, out, err = L.run_pacedns(args, input_text="host0.example.test\n", timeout=20,
                                         allow_no_server=True)
            C.eq(rc, 1, "%s: exit code (stderr: %s)" % (what, err.strip()[-300:]))
            for nd in needles:
                C.check(nd in err, "%s: stderr does not name %r: %r" % (what, nd, err.strip()[-300:]))
            C.check("servers.txt:4" in err or "line 4" in err or what != "servers file bad line",
                    "%s: stderr lacks file:line: %r" % (what, err.strip()[-300:]))
            C.eq(out, "", "%s: records written on a usage error" % what)
    return C.done()


if __name__ == "__main__":
    sys.exit(lab.main(run))
