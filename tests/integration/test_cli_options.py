#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The CLI's option table (src/cli/options.c): --help lists every option with its
explanation, README and the man page name each one, every option is accepted by the
commands it belongs to (resolve, probe, report) and refused (exit 1, "is for X only",
"is for X and Y only") by the others; and the CLI
is built on the public header alone (no src/*.h internals included from src/cli/).
No query is sent: every run stops at a configuration error before the run starts."""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "lab"))
import lab  # noqa: E402

lab.isolate_network()

SRC = os.environ.get("PACEDNS_SRC") or os.path.abspath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

# (long name, short name or None, a valid value or None for a flag, commands taking it)
BOTH = ("resolve", "probe")
ALL = BOTH + ("report",)
OPTIONS = [
    ("server", "s", "127.0.0.2", BOTH),
    ("servers-file", "S", "@servers", BOTH),
    ("type", "t", "AAAA,MX", BOTH),
    ("fcrdns", None, None, ("resolve",)),
    ("output", "o", "@out", ("resolve", "report")),
    ("format", "f", "text", ("resolve", "report")),
    ("stats", None, "@stats", BOTH),
    ("profile", "p", "default", BOTH),
    ("set", None, "max_qps=100", BOTH),
    ("qps", None, "10", BOTH),
    ("max-qps", None, "10", BOTH),
    ("max-inflight", None, "100", BOTH),
    ("timeout", None, "100", BOTH),
    ("retries", None, "1", BOTH),
    ("transport", None, "udp", BOTH),
    ("tls-ca", None, "@servers", BOTH),
    ("tls-name", None, "dns.example", BOTH),
    ("tls-insecure", None, None, BOTH),
    ("conns", None, "2", BOTH),
    ("doh-method", None, "get", BOTH),
    ("threads", "j", "2", BOTH),
    ("dnssec", None, None, BOTH),
    ("nsid", None, None, BOTH),
    ("ecs", None, "192.0.2.0/24", BOTH),
    ("cookies", None, None, BOTH),
    ("no-rd", None, None, BOTH),
    ("edns-size", None, "4096", BOTH),
    ("no-edns", None, None, BOTH),
    ("interval", None, "1", BOTH),
    ("names", None, "@names", ("probe",)),
    ("zone", None, "example.test", ("probe",)),
    ("duration", None, "1", ("probe",)),
    ("i-own-this-server", None, None, ("probe",)),
    ("shard", None, "0/2", BOTH),
    ("shard-by", None, "zone", ("resolve",)),
    ("atlas", None, "@atlas", BOTH),
    ("atlas-max-age", None, "60", BOTH),
    ("trusted", None, "127.0.0.2", ("resolve",)),
    ("trusted-file", None, "@servers", ("resolve",)),
    ("trusted-qps", None, "10", ("resolve",)),
    ("canaries", None, None, ("resolve",)),
    ("verify", None, None, ("resolve",)),
    ("wildcards", None, "mark", ("resolve",)),
    ("checkpoint", None, "@ckpt", ("resolve",)),
    ("resume", None, "@ckpt", ("resolve",)),
    ("quiet", "q", None, BOTH + ("report",)),
    ("progress", None, None, BOTH),
    ("no-progress", None, None, BOTH),
]


def help_options(text):
    """(long, short) of each option line of --help, and its explanation lines."""
    found, cur = {}, None
    for ln in text.splitlines():
        m = re.match(r"^  (?:-(\w), |    )--([a-z-]+)(?: (\S+)|\[=\w+\])?\s+(\S.*)$", ln)
        if m:
            cur = m.group(2)
            found[cur] = (m.group(1), [m.group(4)])
        elif cur and re.match(r"^ {29}\S", ln):
            found[cur][1].append(ln.strip())
        else:
            cur = None
    return found


def run():
    C = lab.Checker("test_cli_options")
    with lab.Lab() as L:
        files = {"@servers": L.path("servers.txt"), "@out": L.path("out.txt"),
                 "@stats": L.path("stats.json"), "@names": L.path("names.txt"),
                 "@ckpt": L.path("ckpt.json"), "@atlas": L.path("atlas.json")}
        with open(files["@servers"], "w") as f:
            f.write("127.0.0.3\n")
        with open(files["@names"], "w") as f:
            f.write("host0.example.test\n")
        missing_input = L.path("no-such-input.txt")

        # 1. --help: every option, with its short name and explanation, nothing else
        rc, out, err = L.run_pacedns(["--help"], allow_no_server=True, timeout=30)
        C.eq(rc, 0, "--help exit code")
        listed = help_options(out)
        C.eq(sorted(listed), sorted(o[0] for o in OPTIONS), "options listed by --help")
        for name, short, _, _ in OPTIONS:
            if name in listed:
                C.eq(listed[name][0], short, "--help: short name of --%s" % name)
                C.check(len(" ".join(listed[name][1])) >= 10, "--help: --%s is explained" % name)
        for cmd in ALL:
            rc, out2, _ = L.run_pacedns([cmd, "--help"], allow_no_server=True, timeout=30)
            C.eq((rc, out2), (0, out), "%s --help: the same text" % cmd)

        # 2. README and the man page name every option
        readme = open(os.path.join(SRC, "README.md")).read()
        man = open(os.path.join(SRC, "man", "pacedns.1")).read()
        for name, short, _, _ in OPTIONS:
            C.check("--" + name in readme, "README names --%s" % name)
            C.check("\\-\\-" + name.replace("-", "\\-") in man, "man page names --%s" % name)

        # 3. each option is parsed by its commands and refused by the other; a run that
        # parses stops at a missing input (resolve) or a bad zone (probe), before any query
        for name, short, value, cmds in OPTIONS:
            for spelled in ["--" + name] + (["-" + short] if short else []):
                for cmd in ALL:
                    v = "md" if cmd == "report" and name == "format" else value
                    opt = [spelled] + ([files.get(v, v)] if v else [])
                    if cmd == "report":
                        tail, want = [missing_input], "cannot open"
                    elif cmd == "resolve":
                        tail = ["-s", "127.0.0.1", missing_input]
                        if name == "resume":
                            tail = ["-s", "127.0.0.1"]
                        want = "cannot open" if name != "resume" else "option --resume"
                    else:
                        tail = ["-s", "127.0.0.1", "--zone", "..bad"]
                        if name in ("names", "zone"):
                            tail = ["-s", "127.0.0.1", "--duration", "x"]
                        want = "not a usable zone" if name not in ("names", "zone") \
                            else "option --duration"
                    rc, _, err = L.run_pacedns([cmd] + opt + tail, allow_no_server=True,
                                               timeout=30)
                    what = "%s %s" % (cmd, " ".join(opt))
                    C.eq(rc, 1, "%s: exit code (stderr: %s)" % (what, err.strip()[-300:]))
                    if cmd in cmds:
                        C.check(want in err and "only" not in err,
                                "%s: parsed (want %r in stderr: %s)" % (what, want, err.strip()))
                    else:
                        other = " and ".join(cmds)
                        C.check("pacedns: %s: option" % cmd in err and
                                "is for %s only" % other in err,
                                "%s: refused as %s only (stderr: %s)" % (what, other, err.strip()))

        # 4. a missing value and an unknown option are named
        rc, _, err = L.run_pacedns(["resolve", "-s"], allow_no_server=True, timeout=30)
        C.check(rc == 1 and "option -s needs a value" in err, "-s without value: %s" % err)
        rc, _, err = L.run_pacedns(["probe", "--no-such"], allow_no_server=True, timeout=30)
        C.check(rc == 1 and "unknown option '--no-such'" in err, "unknown option: %s" % err)

    # 5. the CLI includes only the public header and its own headers
    cli = os.path.join(SRC, "src", "cli")
    own = set(f for f in os.listdir(cli) if f.endswith(".h"))
    for f in sorted(os.listdir(cli)):
        if not f.endswith((".c", ".h")):
            continue
        for inc in re.findall(r'^\s*#\s*include\s+"([^"]+)"', open(os.path.join(cli, f)).read(),
                              re.M):
            C.check(inc == "pacedns.h" or inc in own,
                    "src/cli/%s includes \"%s\" (only pacedns.h and src/cli/*.h)" % (f, inc))
    return C.done()


if __name__ == "__main__":
    sys.exit(lab.main(run))
