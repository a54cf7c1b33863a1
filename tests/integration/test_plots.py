#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""plots/pacedns-plot: stats JSON -> rate.png, latency.png, cdf.png (gnuplot pngcairo).

Runs the script on the samples in tests/fixtures/samples (a real run against NSD + a black
hole, and a synthetic one with optimal_qps/edges) and on data sets made here (30 servers,
no data, broken input). The PNGs are checked for: `file` type, 1200x700 IHDR, size, and,
decoded with zlib, real content: many colours, no single colour covering nearly the whole
image, and enough pixels of the server colours (plus red loss markers and the horizontal
optimal-QPS line where the data has them). A blank or axes-only image fails these.
Python 3 standard library only; needs gnuplot (skipped without it), not the pacedns binary.
"""
import copy
import json
import os
import shutil
import struct
import subprocess
import sys
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ.get("PACEDNS_SRC") or os.path.normpath(os.path.join(HERE, "..", ".."))
SCRIPT = os.path.join(SRC, "plots", "pacedns-plot")
sys.path.insert(0, os.path.join(SRC, "tools", "lab"))
import lab  # noqa: E402
SAMPLES = os.path.join(SRC, "tests", "fixtures", "samples")
REAL = os.path.join(SAMPLES, "sample-stats.json")
SYNTH = os.path.join(SAMPLES, "synthetic-aimd-stats.json")
PNGS = ("rate.png", "latency.png", "cdf.png")
BLUE, ORANGE, RED = (0x1f, 0x77, 0xb4), (0xff, 0x7f, 0x0e), (0xe0, 0x00, 0x00)  # first colours, loss


# ------------------------------------------------------------------ PNG reading


def png_chunks(data):
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("no PNG signature")
    off = 8
    while off + 8 <= len(data):
        n, typ = struct.unpack(">I4s", data[off:off + 8])
        yield typ, data[off + 8:off + 8 + n]
        off += 12 + n


def png_ihdr(data):
    for typ, body in png_chunks(data):
        if typ == b"IHDR":
            return struct.unpack(">IIBBBBB", body)
    raise ValueError("no IHDR")


def png_decode(data):
    """(width, height, rows of bytes RGB-or-RGBA) for 8-bit RGB/RGBA non-interlaced PNGs."""
    w, h, depth, ctype, _, _, interlace = png_ihdr(data)
    if depth != 8 or ctype not in (2, 6) or interlace:
        raise ValueError("unsupported PNG (depth %d, colour type %d, interlace %d)" % (depth, ctype, interlace))
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(b"".join(b for t, b in png_chunks(data) if t == b"IDAT"))
    stride = w * bpp
    rows, prev = [], bytearray(stride)
    for y in range(h):
        f = raw[y * (stride + 1)]
        cur = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if f == 1:
            for i in range(bpp, stride):
                cur[i] = (cur[i] + cur[i - bpp]) & 255
        elif f == 2:
            cur = bytearray((a + b) & 255 for a, b in zip(cur, prev))
        elif f == 3:
            for i in range(stride):
                left = cur[i - bpp] if i >= bpp else 0
                cur[i] = (cur[i] + ((left + prev[i]) >> 1)) & 255
        elif f == 4:
            for i in range(stride):
                a = cur[i - bpp] if i >= bpp else 0
                b = prev[i]
                c = prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                cur[i] = (cur[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        elif f != 0:
            raise ValueError("bad filter %d in row %d" % (f, y))
        rows.append(bytes(cur))
        prev = cur
    return w, h, bpp, rows


def near(px, rgb, tol=40):
    return abs(px[0] - rgb[0]) + abs(px[1] - rgb[1]) + abs(px[2] - rgb[2]) <= tol


class Image:
    def __init__(self, path):
        with open(path, "rb") as f:
            self.data = f.read()
        self.w, self.h, bpp, rows = png_decode(self.data)
        self.rows = [[r[i:i + 3] for i in range(0, len(r), bpp)] for r in rows]
        self.hist = {}
        for r in self.rows:
            for px in r:
                self.hist[px] = self.hist.get(px, 0) + 1

    def count(self, rgb):
        return sum(n for px, n in self.hist.items() if near(px, rgb))

    def longest_row(self, rgb):
        """Largest number of pixels of colour rgb in one row (a horizontal line)."""
        return max(sum(1 for px in r if near(px, rgb)) for r in self.rows)


# ------------------------------------------------------------------ running


def run(args, env=None):
    r = subprocess.run([SCRIPT] + args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=180, env=env)
    return r.returncode, r.stdout.decode(), r.stderr.decode()


def check_png(C, what, path, min_kb=10):
    if not C.check(os.path.isfile(path), "%s: %s not written" % (what, path)):
        return None
    out = subprocess.run(["file", "-b", path], stdout=subprocess.PIPE).stdout.decode() \
        if shutil.which("file") else "PNG image data (file(1) missing)"
    C.check("PNG image data" in out, "%s: file(1) says %r" % (what, out.strip()))
    try:
        img = Image(path)
    except (ValueError, zlib.error, OSError) as e:
        C.check(False, "%s: cannot decode %s: %s" % (what, path, e))
        return None
    C.eq((img.w, img.h), (1200, 700), "%s: size" % what)
    C.check(len(img.data) > min_kb * 1024, "%s: only %d bytes" % (what, len(img.data)))
    top = max(img.hist.values())
    C.check(len(img.hist) >= 50, "%s: only %d distinct colours" % (what, len(img.hist)))
    C.check(top < 0.97 * img.w * img.h, "%s: one colour covers %.1f%% of the image"
            % (what, 100.0 * top / (img.w * img.h)))
    return img


def check_set(C, what, outdir, expect=PNGS, colours=(BLUE,)):
    imgs = {}
    for name in expect:
        img = check_png(C, "%s %s" % (what, name), os.path.join(outdir, name))
        if img:
            imgs[name] = img
            for col in colours:
                n = img.count(col)
                C.check(n >= 300, "%s %s: only %d pixels of server colour #%02x%02x%02x (no data drawn?)"
                        % (what, name, n, col[0], col[1], col[2]))
    return imgs


def blank_png(path, rgb=(255, 255, 255)):
    row = b"\x00" + bytes(rgb) * 1200
    ihdr = struct.pack(">IIBBBBB", 1200, 700, 8, 2, 0, 0, 0)

    def chunk(t, b):
        return struct.pack(">I", len(b)) + t + b + struct.pack(">I", zlib.crc32(t + b) & 0xffffffff)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(row * 700))
                + chunk(b"IEND", b""))


def test(C, tmp):
    # 0. the image checks themselves must reject a blank 1200x700 PNG
    blank = os.path.join(tmp, "blank")
    os.mkdir(blank)
    blank_png(os.path.join(blank, "rate.png"))
    B = lab.Checker("blank control", max_print=0)
    check_set(B, "blank", blank, expect=("rate.png",))
    C.check(B.failed >= 4, "the PNG checks accept a blank image (%d of %d checks failed)"
            % (B.failed, B.failed + B.passed))
    env = dict(os.environ, TMPDIR=os.path.join(tmp, "tmpdir"))
    os.mkdir(env["TMPDIR"])

    # 1. the real sample: NSD (answers, TC and loss) + a black hole (never answers)
    out = os.path.join(tmp, "real")
    rc, so, se = run([REAL, out], env)
    C.eq(rc, 0, "real: exit code (stderr %r)" % se)
    C.eq(so.split(), [os.path.join(out, n) for n in PNGS], "real: printed paths")
    imgs = check_set(C, "real", out)
    if "rate.png" in imgs:
        C.check(imgs["rate.png"].count(RED) >= 100, "real rate.png: no red loss markers")
        C.check(imgs["rate.png"].count(ORANGE) >= 300, "real rate.png: black-hole server not drawn")
    for name in ("latency.png", "cdf.png"):  # the black hole has no latency data
        if name in imgs:
            C.check(imgs[name].count(ORANGE) < 50, "real %s: black-hole server drawn" % name)
    C.eq(os.listdir(env["TMPDIR"]), [], "real: temp dir left behind")

    # 2. synthetic: 3 servers, optimal_qps/edges/converged_after_s on two, latency over
    # >2 decades (log axis), an underscore name. The optimal line is long and horizontal.
    out = os.path.join(tmp, "synth")
    rc, so, se = run([SYNTH, out], env)
    C.eq(rc, 0, "synthetic: exit code (stderr %r)" % se)
    imgs = check_set(C, "synthetic", out, colours=(BLUE, ORANGE, (0x2c, 0xa0, 0x2c)))
    with open(SYNTH) as f:
        synth = json.load(f)
    C.check(sum(1 for s in synth["servers"] if s.get("optimal_qps")) == 2, "synthetic sample lost optimal_qps")
    no_opt = copy.deepcopy(synth)
    for s in no_opt["servers"]:
        s.pop("optimal_qps", None)
    p = os.path.join(tmp, "synthetic-no-optimal.json")
    with open(p, "w") as f:
        json.dump(no_opt, f)
    out2 = os.path.join(tmp, "synth-noopt")
    rc, so, se = run([p, out2], env)
    C.eq(rc, 0, "synthetic without optimal: exit code (stderr %r)" % se)
    if "rate.png" in imgs and os.path.isfile(os.path.join(out2, "rate.png")):
        with_line = imgs["rate.png"].longest_row(BLUE)
        without = Image(os.path.join(out2, "rate.png")).longest_row(BLUE)
        C.check(with_line >= 300 and with_line >= 2 * without,
                "synthetic rate.png: no optimal-QPS line (longest blue row %d px, %d px without optimal_qps)"
                % (with_line, without))

    # 3. default OUTDIR: the JSON's directory
    d = os.path.join(tmp, "default")
    os.mkdir(d)
    shutil.copy(REAL, os.path.join(d, "stats.json"))
    rc, so, se = run([os.path.join(d, "stats.json")], env)
    C.eq(rc, 0, "default outdir: exit code (stderr %r)" % se)
    C.eq(sorted(os.listdir(d)), sorted(PNGS + ("stats.json",)), "default outdir: files")

    # 4. 30 servers (colours cycle, point types added)
    many = copy.deepcopy(synth)
    many["servers"] = []
    for i in range(30):
        s = copy.deepcopy(synth["servers"][i % 3])
        s["server"] = "ns_%02d.example:53" % i
        f = 1 + 0.1 * i
        for e in s["timeseries"]:
            e["answered"] = int(e["answered"] * f / 3)
            e["target_qps"] = e["target_qps"] * f / 3
            e["p50_ms"], e["p99_ms"] = e["p50_ms"] * f, e["p99_ms"] * f
        s["histogram"] = [[a * f, b * f, c] for a, b, c in s["histogram"]]
        many["servers"].append(s)
    p = os.path.join(tmp, "many.json")
    with open(p, "w") as f:
        json.dump(many, f)
    rc, so, se = run([p, os.path.join(tmp, "many")], env)
    C.eq(rc, 0, "30 servers: exit code (stderr %r)" % se)
    check_set(C, "30 servers", os.path.join(tmp, "many"))

    # 5. no data at all: nothing written, exit 2, a message per plot naming the file
    p = os.path.join(tmp, "empty.json")
    with open(p, "w") as f:
        json.dump({"pacedns_version": "0.1.0", "servers": [
            {"server": "a", "timeseries": [], "histogram": []}, {"server": "b"}]}, f)
    out = os.path.join(tmp, "empty")
    rc, so, se = run([p, out], env)
    C.eq(rc, 2, "no data: exit code")
    C.eq(so, "", "no data: printed paths")
    C.eq(sorted(os.listdir(out)) if os.path.isdir(out) else [], [], "no data: files written")
    C.eq(sum(1 for l in se.splitlines() if l.startswith("pacedns-plot: %s: " % p)), 3,
         "no data: messages naming the file (%r)" % se)

    # 6. only the black hole: rate.png (it has a timeseries), no latency/CDF, exit 2
    with open(REAL) as f:
        bh = json.load(f)
    bh["servers"] = [s for s in bh["servers"] if not s.get("answered")]
    p = os.path.join(tmp, "blackhole.json")
    with open(p, "w") as f:
        json.dump(bh, f)
    out = os.path.join(tmp, "bh")
    rc, so, se = run([p, out], env)
    C.eq(rc, 2, "black hole only: exit code (stderr %r)" % se)
    C.eq(sorted(os.listdir(out)) if os.path.isdir(out) else [], ["rate.png"], "black hole only: files")
    C.check("latency.png" in se and "cdf.png" in se, "black hole only: stderr %r" % se)

    # 7. bad input: exit 1, "pacedns-plot: FILE: reason", nothing written
    bad = {"broken.json": '{"servers": [{"server": "x", ', "noservers.json": '{"pacedns_version": "0.1.0"}',
           "servers-not-array.json": '{"servers": {"a": 1}}', "array.json": "[1, 2]", "empty-file.json": ""}
    for name, text in sorted(bad.items()):
        p = os.path.join(tmp, name)
        with open(p, "w") as f:
            f.write(text)
        out = os.path.join(tmp, "bad-" + name)
        rc, so, se = run([p, out], env)
        C.eq(rc, 1, "%s: exit code" % name)
        C.check(se.startswith("pacedns-plot: %s: " % p), "%s: stderr %r" % (name, se))
        C.check(not os.path.exists(out), "%s: output dir created" % name)
    p = os.path.join(tmp, "does-not-exist.json")
    rc, so, se = run([p, os.path.join(tmp, "bad-missing")], env)
    C.eq(rc, 1, "missing file: exit code")
    C.check(se.startswith("pacedns-plot: %s: " % p), "missing file: stderr %r" % se)
    rc, so, se = run([], env)
    C.check(rc != 0 and "usage" in se.lower(), "no arguments: rc %d stderr %r" % (rc, se))
    C.eq(os.listdir(env["TMPDIR"]), [], "temp dirs left behind")


def main():
    C = lab.Checker("test_plots")
    if not shutil.which("gnuplot"):
        print("SKIP: gnuplot not installed")
        return 0
    C.check(os.access(SCRIPT, os.X_OK), "%s not executable" % SCRIPT)
    with lab.scratch("test_plots.") as tmp:
        test(C, tmp)
    return C.done()


if __name__ == "__main__":
    sys.exit(main())
