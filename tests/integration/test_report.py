#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""pacedns report: stats files compared side by side. No server and no query: the
stats come from tests/fixtures/samples (a real run, two hand-made files: the AIMD one
and one with transports, connections, trust and NSID).

1. `-f md` of the three samples is the golden Markdown (tests/fixtures/golden/report.md).
2. Bad input: a missing file, an empty file, a file that is not JSON, JSON without a
   "servers" array, a server without a name, no file at all, an unknown -f: exit 1 and a
   message naming the file (and the line/column or the server index); nothing written.
3. The HTML page is self-contained (no src=, href=, @import, url() but local #ids) and
   renders in headless Chromium: no console message at all (errors, uncaught exceptions),
   the script ran, every server is present in the DOM (tables, capacity chart, CDF
   legend, one rate chart each) and in every table; a click on a table head sorts the rows
   by that column (numbers by value), a second click reverses; the screenshot is a real
   picture (many colours, the servers' colours present). A hostile server name
   (<script>) stays text.
Skipped (exit 77... reported as a pass with a note) only when Chromium is missing."""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools", "lab"))
sys.path.insert(0, HERE)
import lab  # noqa: E402
from test_plots import Image, near  # noqa: E402

lab.isolate_network()

SRC = os.environ.get("PACEDNS_SRC") or os.path.normpath(os.path.join(HERE, "..", ".."))
SAMPLES = os.path.join(SRC, "tests", "fixtures", "samples")
GOLDEN = os.path.join(SRC, "tests", "fixtures", "golden", "report.md")
FILES = ["sample-stats.json", "synthetic-aimd-stats.json", "synthetic-transports-stats.json"]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# the colours of servers 2, 3, 5 and 6 (capacity bars, CDF lines, rate charts)
COLOURS = [(0x2c, 0xa0, 0x2c), (0x94, 0x67, 0xbd), (0xe3, 0x77, 0xc2), (0x17, 0xbe, 0xcf)]


def report(args, cwd=SAMPLES):
    p = subprocess.run([lab.pacedns_path(), "report"] + args, cwd=cwd, stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def chromium(args, url, timeout=60):
    """Run headless Chromium on url: (stdout, the page's console lines, exit code). A run
    past timeout (say, a page stuck in an alert()) is killed, with its process group, and
    gives exit code None."""
    with lab.scratch("chromium-") as profile:
        argv = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--enable-logging=stderr", "--v=0", "--user-data-dir=" + profile] + args + [url]
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, start_new_session=True)
        try:
            out, err = p.communicate(timeout=timeout)
            rc = p.returncode
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            out, err = p.communicate()
            rc = None
    # the page's console (Chromium's own pages, chrome://, log there too)
    console = [ln for ln in err.splitlines()
               if (":CONSOLE" in ln or "Uncaught" in ln) and "source: chrome://" not in ln]
    return out, console, rc


def servers_of(files):
    out = []
    for f in files:
        with open(os.path.join(SAMPLES, f)) as fh:
            out += [s["server"] for s in json.load(fh)["servers"]]
    return out


def check_golden(C):
    rc, out, err = report(FILES + ["-f", "md"])
    C.eq(rc, 0, "md: exit code (stderr %s)" % err)
    if os.environ.get("UPDATE_GOLDEN"):
        with open(GOLDEN, "w") as f:
            f.write(out)
    with open(GOLDEN) as f:
        want = f.read()
    if not C.check(out == want, "md: differs from %s" % GOLDEN):
        import difflib
        sys.stdout.writelines(list(difflib.unified_diff(want.splitlines(True), out.splitlines(True),
                                                        "golden", "got"))[:60])
    # -o FILE.md picks Markdown, the same text
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "r.md")
        rc, _, err = report(FILES + ["-o", path])
        C.eq(rc, 0, "-o r.md: exit code")
        C.check("written to %s (md)" % path in err, "-o r.md: message %r" % err)
        with open(path) as f:
            C.check(f.read() == out, "-o r.md: the same Markdown as -f md")
    # every server and every table present
    for s in servers_of(FILES):
        C.check(s.replace("|", "\\|") in out, "md: server %s present" % s)
    for t in ("## Runs", "## Servers", "## Rcodes", "## Connections"):
        C.check(t in out, "md: %s present" % t)


def check_bad(C):
    with tempfile.TemporaryDirectory() as d:
        def write(name, text):
            p = os.path.join(d, name)
            with open(p, "w") as f:
                f.write(text)
            return p
        good = os.path.join(SAMPLES, FILES[0])
        cases = [
            (os.path.join(d, "missing.json"), "missing.json: cannot open: No such file"),
            (write("empty.json", ""), "empty.json: empty file"),
            (write("bad.json", '{"servers": [\n  {"server": "a",, }\n]}'),
             "bad.json: not JSON (line 2, column"),
            (write("noservers.json", '{"totals": {}}'), 'noservers.json: no "servers" array'),
            (write("array.json", '[1, 2]'), 'array.json: no "servers" array'),
            (write("noname.json", '{"servers": [{"server": "x"}, {"sent": 3}]}'),
             'noname.json: servers[1]: not an object with a "server" name'),
        ]
        out_path = os.path.join(d, "out.html")
        for path, want in cases:
            rc, out, err = report([good, path, "-o", out_path])
            C.eq(rc, 1, "bad %s: exit code" % os.path.basename(path))
            C.check(want in err and err.startswith("pacedns: report: "),
                    "bad %s: want %r in stderr %r" % (os.path.basename(path), want, err))
            C.check(not os.path.exists(out_path), "bad %s: nothing written" % path)
        rc, _, err = report([])
        C.check(rc == 1 and "no stats file given" in err, "no file: %d %r" % (rc, err))
        rc, _, err = report([good, "-f", "pdf"])
        C.check(rc == 1 and "unknown format 'pdf' (html, md)" in err, "-f pdf: %d %r" % (rc, err))
        rc, _, err = report([good, "-s", "127.0.0.1"])
        C.check(rc == 1 and "is for resolve and probe only" in err, "-s refused: %d %r" % (rc, err))
        rc, _, err = report([good, "-o", os.path.join(d, "no", "dir", "x.html")])
        C.check(rc == 2 and "cannot write" in err and "x.html" in err, "unwritable -o: %d %r" % (rc, err))


SORT_PROBE = """<script>
(function(){
 var t=document.getElementById('t1'), heads=t.querySelectorAll('th'), col=-1, srv=-1;
 heads.forEach(function(h,i){ if(h.textContent==='capacity q/s') col=i; if(h.textContent==='server') srv=i; });
 function order(){ return Array.prototype.map.call(t.tBodies[0].rows, function(r){
   return r.cells[srv].textContent + '=' + r.cells[col].textContent; }).join('\\n'); }
 heads[col].click(); var up=order(); heads[col].click(); var down=order();
 var p=document.createElement('pre'); p.id='sorted';
 p.textContent='UP[' + up + ']DOWN[' + down + ']'; document.body.appendChild(p);
})();
</script></body>"""


def check_html(C, tmp):
    if not os.access(CHROMIUM, os.X_OK):
        print("test_report: %s missing: HTML rendering checks skipped" % CHROMIUM)
        return
    # a hostile name beside the samples: it must stay text
    with open(os.path.join(SAMPLES, FILES[0])) as f:
        doc = json.load(f)
    doc["servers"][0]["server"] = "<script>alert(1)</script>"
    hostile = os.path.join(tmp, "hostile-stats.json")
    with open(hostile, "w") as f:
        json.dump(doc, f)
    html = os.path.join(tmp, "report.html")
    rc, _, err = report(FILES + [hostile, "-o", html])
    C.eq(rc, 0, "html: exit code (stderr %s)" % err)
    text = open(html).read()
    for pat in (r"\ssrc\s*=", r"\shref\s*=", r"@import", r"url\((?!#)", r"<link", r"<img",
                r"<iframe"):
        C.check(not re.search(pat, text, re.I), "html: self-contained (found %s)" % pat)
    C.check("<script>alert(1)</script>" not in text and "&lt;script&gt;alert(1)" in text,
            "html: hostile server name escaped")
    C.eq(text.count("<script>"), 1, "html: exactly one script (ours)")

    dom, console, crc = chromium(["--dump-dom", "--virtual-time-budget=2000"], "file://" + html)
    C.eq(crc, 0, "chromium --dump-dom exit code")
    C.eq(console, [], "html: no console messages")
    C.check("data-ready=\"1\"" in dom, "html: the inline script ran")
    names = servers_of(FILES) + [s["server"] for s in doc["servers"]]
    esc = lambda s: s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")  # noqa: E731
    for s in names:
        # tables: servers, rcodes; capacity bars; CDF legend (if it answered); rate chart
        n = dom.count(">" + esc(s) + "<") + dom.count(": " + esc(s) + "<")
        C.check(n >= 4, "html: server %s appears %d times in the DOM, want >= 4" % (s, n))
    C.eq(dom.count("<figure class=\"rate\">"), len(names), "html: one rate chart per server")
    C.check("<svg" in dom and "<polyline" in dom, "html: SVG charts present")

    # sorting, in the browser: click "capacity q/s" of the Servers table twice
    probe = os.path.join(tmp, "sort.html")
    with open(probe, "w") as f:
        f.write(text.replace("</body>", SORT_PROBE))
    dom2, console2, _ = chromium(["--dump-dom", "--virtual-time-budget=2000"], "file://" + probe)
    C.eq(console2, [], "sort: no console messages")
    m = re.search(r'<pre id="sorted">UP\[(.*?)\]DOWN\[(.*?)\]</pre>', dom2, re.S)
    if C.check(m, "sort: probe output missing"):
        def vals(s):
            cells = [x.rsplit("=", 1)[-1] for x in s.split("\n")]
            return [float(v) if v != "-" else -1 for v in cells]
        up, down = vals(m.group(1)), vals(m.group(2))
        C.check(up == sorted(up) and len(up) == len(names), "sort: ascending %r" % up)
        C.check(down == sorted(down, reverse=True), "sort: descending %r" % down)
        C.check(up[-1] == 5000 and down[0] == 5000, "sort: numeric (5000 above 864): %r" % up)

    # the screenshot is a picture with the servers' colours
    png = os.path.join(tmp, "report.png")
    _, console3, _ = chromium(["--screenshot=" + png, "--window-size=1200,2600",
                               "--hide-scrollbars"], "file://" + html)
    C.eq(console3, [], "screenshot: no console messages")
    if C.check(os.path.exists(png), "screenshot written"):
        img = Image(png)
        C.check(len(img.hist) >= 50, "screenshot: %d colours, want >= 50" % len(img.hist))
        top = max(img.hist.values()) / float(img.w * img.h)
        C.check(top < 0.97, "screenshot: one colour covers %.0f %%" % (top * 100))
        for rgb in COLOURS:
            C.check(img.count(rgb) >= 200, "screenshot: colour %r: %d px" % (rgb, img.count(rgb)))
        C.check(near(max(img.hist, key=img.hist.get), (255, 255, 255), 10),
                "screenshot: the background is white")


def run():
    C = lab.Checker("test_report")
    with lab.scratch("report-") as tmp:
        check_golden(C)
        check_bad(C)
        check_html(C, tmp)
    return C.done()


if __name__ == "__main__":
    sys.exit(lab.main(run))
