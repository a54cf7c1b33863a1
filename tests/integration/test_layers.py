#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The source folders are layers that call one way, checked twice: on the includes
(source text) and on the calls (the linker's view: which object file's undefined
symbols another object file defines, from `nm` on each source file's object).

    cli -> (include/pacedns.h) -> api -> pool -> engine -> transport -> format -> core -> dns

A folder may use its own files and any folder to its right, never one to its left; no
two modules form an include or call circle (a module: a .c with its own .h, or the
files of one folder that share its private *_int.h header); the pure layers (core, dns) include
neither libuv, getdns nor cJSON; the CLI includes the public header and its own only."""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "lab"))
import lab  # noqa: E402

ORDER = ["cli", "api", "pool", "engine", "transport", "format", "core", "dns"]
RANK = {name: i for i, name in enumerate(ORDER)}
PURE = {"core", "dns"}
IMPURE_HEADERS = re.compile(r"^(uv\.h|uv/|getdns/|cjson/|cJSON\.h)")


def sources(src):
    out = []
    for layer in ORDER:
        d = os.path.join(src, "src", layer)
        for f in sorted(os.listdir(d)):
            if f.endswith((".c", ".h")):
                out.append("%s/%s" % (layer, f))
    return out


def includes(src, rel):
    with open(os.path.join(src, "src", rel), encoding="utf-8") as f:
        text = f.read()
    return (re.findall(r'^\s*#\s*include\s+"([^"]+)"', text, re.M),
            re.findall(r"^\s*#\s*include\s+<([^>]+)>", text, re.M))


def find_cycle(edges):
    """A cycle in the directed graph {node: set(nodes)} as a list, or None."""
    state, stack = {}, []

    def visit(n):
        state[n] = 1
        stack.append(n)
        for m in sorted(edges.get(n, ())):
            if state.get(m) == 1:
                return stack[stack.index(m):] + [m]
            if m not in state:
                c = visit(m)
                if c:
                    return c
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(edges):
        if n not in state:
            c = visit(n)
            if c:
                return c
    return None


def modules(src, files):
    """{file: module} for the .c files and the headers of a .c; header-only headers
    have none."""
    mods = {}
    for rel in files:
        if rel.endswith(".c"):
            layer = rel.split("/")[0]
            mods[rel] = rel[:-2]
            for h in includes(src, rel)[0]:
                t = h if "/" in h else "%s/%s" % (layer, h)
                if t.startswith(layer + "/") and t.endswith("_int.h"):
                    mods[rel] = t[:-len("_int.h")]
    for rel in files:
        if rel.endswith(".h") and rel[:-2] + ".c" in mods:
            mods[rel] = mods[rel[:-2] + ".c"]
    return mods


def check_includes(C, src):
    files = sources(src)
    known = set(files)
    edges = {}
    for rel in files:
        layer = rel.split("/")[0]
        local, system = includes(src, rel)
        for h in local:
            if h == "pacedns.h":
                continue
            if layer == "cli":
                C.check("/" not in h and os.path.exists(os.path.join(src, "src", "cli", h)),
                        "%s includes %s: the CLI uses the public header and its own only", rel, h)
                continue
            target = h if "/" in h else "%s/%s" % (layer, h)
            C.check(target in known, "%s includes %s, not a source header", rel, h)
            tl = target.split("/")[0]
            C.check(tl in RANK and RANK[tl] >= RANK[layer],
                    "%s (layer %s) includes %s (layer %s): upward", rel, layer, h, tl)
            edges.setdefault(rel, set()).add(target)
        if layer in PURE:
            for h in system:
                C.check(not IMPURE_HEADERS.match(h), "%s (pure layer) includes <%s>", rel, h)
    # Modules: a .c and its own .h are one; so are the files of one folder that share
    # its private header (`engine/engine_int.h`: engine.c, ctl.c and trust.c are the
    # engine in three files). A header with no .c of its own (wire.h, transport.h) is
    # looked through. Circles are looked for between modules.
    mods = modules(src, files)

    def reach(f, seen):
        out = set()
        for t in edges.get(f, ()):
            if mods.get(t):
                out.add(mods[t])
            elif t not in seen:
                seen.add(t)
                out |= reach(t, seen)
        return out

    medges = {}
    for f in files:
        if mods.get(f):
            for m in reach(f, set()):
                if m != mods[f]:
                    medges.setdefault(mods[f], set()).add(m)
    cyc = find_cycle(medges)
    C.check(cyc is None, "include circle: %s", " -> ".join(cyc or []))
    print("includes: %d files, %d module edges" % (len(files), sum(len(v) for v in medges.values())))


def nm_symbols(obj):
    """(defined set, undefined set) of one object file, from `nm`."""
    out = subprocess.run(["nm", obj], capture_output=True, text=True, check=True).stdout
    d, u = set(), set()
    for ln in out.splitlines():
        parts = ln.split()
        if len(parts) == 2 and parts[0] == "U":
            u.add(parts[1])
        elif len(parts) == 3 and parts[1] in "TDBRCV":
            d.add(parts[2])
    return d, u


def check_calls(C, src, build):
    """Each source file's object (CMakeFiles/pacedns_{,core_}obj.dir/src/LAYER/F.c.o)."""
    objs = {}
    for rel in sources(src):
        if not rel.endswith(".c") or rel.startswith("cli/"):
            continue
        cands = [os.path.join(build, "CMakeFiles", t, "src", rel + ".o")
                 for t in ("pacedns_obj.dir", "pacedns_core_obj.dir")]
        found = [c for c in cands if os.path.exists(c)]
        if C.check(len(found) == 1, "one object file for src/%s", rel):
            objs[rel] = nm_symbols(found[0])
    definer = {}
    for rel, (d, _) in objs.items():
        for sym in d:
            definer[sym] = rel
    edges = {}
    for rel, (_, u) in objs.items():
        la = rel.split("/")[0]
        for sym in u:
            other = definer.get(sym)
            if not other or other == rel:
                continue
            lb = other.split("/")[0]
            C.check(RANK[lb] >= RANK[la], "%s (%s) calls %s in %s (%s): upward",
                    rel, la, sym, other, lb)
            edges.setdefault(rel, set()).add(other)
    mods = modules(src, sources(src))
    medges = {}
    for a, bs in edges.items():
        for b in bs:
            if mods[a] != mods[b]:
                medges.setdefault(mods[a], set()).add(mods[b])
    cyc = find_cycle(medges)
    C.check(cyc is None, "call circle between modules: %s", " -> ".join(cyc or []))
    print("calls: %d objects, %d edges" % (len(objs), sum(len(v) for v in edges.values())))


def run():
    C = lab.Checker("test_layers")
    src = os.environ.get("PACEDNS_SRC") or os.path.join(os.path.dirname(__file__), "..", "..")
    build = os.path.dirname(lab.pacedns_path())
    check_includes(C, src)
    check_calls(C, src, build)
    return C.done()


if __name__ == "__main__":
    sys.exit(lab.main(run))
