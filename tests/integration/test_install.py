#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Install and consume pacedns: `cmake --install` into a temporary prefix, check the
installed files, the CLI's --version and the man page (man --warnings), then build
examples/ against the prefix twice (find_package via CMAKE_PREFIX_PATH; pkg-config via
PKG_CONFIG_PATH) and run every built example (shared and static, caller's loop and
runner-owned loop) against an NSD this test starts on 127.0.0.1 at a free high port.

Environment (set by ctest): PACEDNS = the built CLI (its directory is the build dir
reused for the install when it holds a CMakeCache.txt of this source tree without
sanitizers; otherwise the project is configured and built into a temporary directory),
PACEDNS_SRC = the source tree. PACEDNS_KEEP_TMP=1 keeps the temporary directory.
Python 3 standard library only. The shared examples find libpacedns through their
RUNPATH (set by examples/CMakeLists.txt); LD_LIBRARY_PATH is removed for their runs."""
import glob
import os
import random
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

SRC = os.path.abspath(os.environ.get("PACEDNS_SRC") or
                      os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
ZONE = "example.test"
EXPECT = [("host1." + ZONE, "10.0.0.1"), ("host2." + ZONE, "10.0.0.2"), ("nope." + ZONE, None)]

failures = []


def check(cond, what):
    if cond:
        print("ok   " + what)
    else:
        print("FAIL " + what)
        failures.append(what)
    return cond


def run(argv, env=None, cwd=None, timeout=900, quiet=False):
    """Run argv; returns (rc, stdout, stderr). Prints the command."""
    print("$ " + " ".join(argv), flush=True)
    p = subprocess.run(argv, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True, timeout=timeout)
    if p.returncode != 0 and not quiet:
        sys.stdout.write(p.stdout[-3000:])
        sys.stdout.write(p.stderr[-3000:])
    return p.returncode, p.stdout, p.stderr


def header_version():
    with open(os.path.join(SRC, "include", "pacedns.h")) as fh:
        m = re.search(r'#define PDNS_VERSION\s+"([^"]+)"', fh.read())
    return m.group(1)


# ------------------------------------------------------------------ build dir


def cache_vars(build):
    out = {}
    try:
        with open(os.path.join(build, "CMakeCache.txt")) as fh:
            for line in fh:
                m = re.match(r"^([A-Za-z_0-9]+):[A-Z]+=(.*)$", line.rstrip("\n"))
                if m:
                    out[m.group(1)] = m.group(2)
    except OSError:
        return None
    return out


def build_dir(tmp):
    exe = os.environ.get("PACEDNS")
    if exe:
        b = os.path.dirname(os.path.abspath(exe))
        cv = cache_vars(b)
        if (cv and os.path.realpath(cv.get("CMAKE_HOME_DIRECTORY", "")) == os.path.realpath(SRC)
                and cv.get("PACEDNS_ASAN", "OFF").upper() in ("OFF", "0", "NO", "FALSE", "")
                and cv.get("PACEDNS_UBSAN", "OFF").upper() in ("OFF", "0", "NO", "FALSE", "")):
            print("reusing build dir %s" % b)
            return b
    b = os.path.join(tmp, "build")
    print("configuring a fresh build in %s" % b)
    rc, _, _ = run(["cmake", "-S", SRC, "-B", b, "-DPACEDNS_TESTS=OFF",
                    "-DCMAKE_BUILD_TYPE=RelWithDebInfo"])
    if rc != 0:
        raise SystemExit("FAIL configure")
    rc, _, _ = run(["cmake", "--build", b, "-j2"])
    if rc != 0:
        raise SystemExit("FAIL build")
    return b


# ------------------------------------------------------------------ NSD


def free_port():
    rng = random.Random(os.getpid() ^ int(time.time() * 1000))
    for _ in range(500):
        p = rng.randint(20000, 29999)
        ok = True
        for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
            s = socket.socket(socket.AF_INET, kind)
            try:
                s.bind(("127.0.0.1", p))
            except OSError:
                ok = False
            finally:
                s.close()
        if ok:
            return p
    raise SystemExit("FAIL no free port")


def soa_query(port, timeout=0.2):
    """True when 127.0.0.1:port answers a SOA query for ZONE (NOERROR, QR set)."""
    qid = random.randrange(65536)
    q = struct.pack("!HHHHHH", qid, 0, 1, 0, 0, 0)
    for label in ZONE.split("."):
        q += bytes([len(label)]) + label.encode()
    q += b"\0" + struct.pack("!HH", 6, 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    try:
        s.sendto(q, ("127.0.0.1", port))
        data, _ = s.recvfrom(4096)
    except OSError:
        return False
    finally:
        s.close()
    if len(data) < 12:
        return False
    rid, flags = struct.unpack("!HH", data[:4])
    return rid == qid and flags & 0x8000 and flags & 0xF == 0


def start_nsd(d):
    port = free_port()
    with open(os.path.join(d, ZONE + ".zone"), "w") as fh:
        fh.write("$ORIGIN %s.\n$TTL 300\n"
                 "@ IN SOA ns1 hostmaster 1 3600 600 86400 300\n"
                 "@ IN NS ns1\n"
                 "ns1 IN A 10.0.0.53\n"
                 "host1 IN A 10.0.0.1\n"
                 "host2 IN A 10.0.0.2\n" % ZONE)
    conf = os.path.join(d, "nsd.conf")
    with open(conf, "w") as fh:
        fh.write("server:\n"
                 "  ip-address: 127.0.0.1@%d\n"
                 "  port: %d\n"
                 "  do-ip4: yes\n"
                 "  do-ip6: no\n"
                 '  username: ""\n'
                 '  chroot: ""\n'
                 '  database: ""\n'
                 '  zonesdir: "%s"\n'
                 '  pidfile: "%s/nsd.pid"\n'
                 '  xfrdfile: "%s/xfrd.state"\n'
                 '  xfrdir: "%s"\n'
                 '  zonelistfile: "%s/zone.list"\n'
                 '  logfile: "%s/nsd.log"\n'
                 "  zonefiles-write: 0\n"
                 "  server-count: 1\n"
                 "  verbosity: 1\n"
                 "  rrl-ratelimit: 0\n"
                 "remote-control:\n"
                 "  control-enable: no\n"
                 "zone:\n"
                 "  name: %s\n"
                 '  zonefile: "%s/%s.zone"\n' % (port, port, d, d, d, d, d, d, ZONE, d, ZONE))
    nsd = shutil.which("nsd") or ("/usr/sbin/nsd" if os.path.exists("/usr/sbin/nsd") else None)
    if not nsd:
        raise SystemExit("FAIL nsd not found (apt-get install nsd)")
    log = open(os.path.join(d, "nsd.out"), "w")
    proc = subprocess.Popen([nsd, "-d", "-c", conf], stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True, preexec_fn=die_with_parent)
    log.close()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        if soa_query(port):
            print("nsd pid %d answering on 127.0.0.1:%d" % (proc.pid, port))
            return proc, port
        time.sleep(0.1)
    stop(proc)
    with open(os.path.join(d, "nsd.out")) as fh:
        sys.stdout.write(fh.read()[-2000:])
    raise SystemExit("FAIL nsd did not answer on 127.0.0.1:%d" % port)


def die_with_parent():
    """In the child: SIGKILL when this test process dies (PR_SET_PDEATHSIG)."""
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)
    except Exception:  # noqa: BLE001 - best effort; stop() kills it normally
        pass


def stop(proc):
    """Kill the child by its PID (its own session/process group) and reap it."""
    if proc is None or proc.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, 5), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            pass


# ------------------------------------------------------------------ checks


def check_files(prefix):
    def one(pattern, what=None):
        hits = glob.glob(os.path.join(prefix, pattern))
        check(bool(hits), "installed %s%s" % (pattern, (" (%s)" % what) if what else ""))
        return hits

    one("bin/pacedns")
    check(os.access(os.path.join(prefix, "bin", "pacedns"), os.X_OK), "bin/pacedns executable")
    one("lib*/libpacedns.so")
    one("lib*/libpacedns.so.*")
    one("lib*/libpacedns.a")
    one("include/pacedns.h")
    pcs = one("lib*/pkgconfig/pacedns.pc")
    one("lib*/cmake/pacedns/pacednsConfig.cmake")
    one("lib*/cmake/pacedns/pacednsConfigVersion.cmake")
    one("lib*/cmake/pacedns/pacednsTargets.cmake")
    one("share/man/man1/pacedns.1")
    for f in glob.glob(os.path.join(SRC, "profiles", "*.json")):
        one("share/pacedns/profiles/" + os.path.basename(f))
    if os.path.exists(os.path.join(SRC, "plots", "pacedns-plot")):
        one("bin/pacedns-plot")
    with open(os.path.join(prefix, "include", "pacedns.h")) as a, \
            open(os.path.join(SRC, "include", "pacedns.h")) as b:
        check(a.read() == b.read(), "installed pacedns.h equals the source header")
    return pcs[0] if pcs else None


def check_cli(prefix, version):
    exe = os.path.join(prefix, "bin", "pacedns")
    rc, out, err = run([exe, "--version"])
    check(rc == 0 and out.strip() == "pacedns " + version,
          "installed pacedns --version prints 'pacedns %s' (got rc %d, %r)" % (version, rc, out))
    rc, out, err = run([exe, "resolve", "--help"])
    check(rc == 0 and "--server" in out, "installed pacedns resolve --help")


def check_man(prefix):
    page = os.path.join(prefix, "share", "man", "man1", "pacedns.1")
    if not shutil.which("man"):
        check(False, "man(1) available to render the page")
        return
    env = dict(os.environ, MANWIDTH="80", MANPAGER="cat", PAGER="cat", LC_ALL="C.UTF-8")
    rc, out, err = run(["man", "--warnings", "-l", page], env=env)
    check(rc == 0, "man -l renders the installed page (rc %d)" % rc)
    check(err == "", "man --warnings: no warnings (stderr: %r)" % err[:2000])
    for sec in ("NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "EXIT STATUS", "FILES",
                "EXAMPLES"):
        check(re.search(r"^%s\s*$" % sec, out, re.M) is not None, "man page section %s" % sec)


def build_examples(tmp, prefix, mode):
    b = os.path.join(tmp, "examples-" + mode)
    env = dict(os.environ)
    argv = ["cmake", "-S", os.path.join(SRC, "examples"), "-B", b]
    if mode == "find_package":
        argv.append("-DCMAKE_PREFIX_PATH=" + prefix)
        env.pop("PKG_CONFIG_PATH", None)
    else:
        pcdirs = sorted(glob.glob(os.path.join(prefix, "lib*", "pkgconfig")))
        env["PKG_CONFIG_PATH"] = os.pathsep.join(pcdirs)
        argv.append("-DUSE_PKGCONFIG=ON")
    rc, out, err = run(argv, env=env)
    if not check(rc == 0, "examples configure (%s)" % mode):
        return None
    m = re.search(r"-- pacedns: (.*)", out)
    check(m is not None and prefix in m.group(1),
          "examples (%s) found the installed pacedns: %s" % (mode, m.group(1) if m else out[-500:]))
    rc, out, err = run(["cmake", "--build", b, "-j2"], env=env)
    if not check(rc == 0, "examples build (%s)" % mode):
        return None
    warn = [ln for ln in (out + err).splitlines() if "warning:" in ln]
    check(not warn, "examples build (%s) without compiler warnings: %r" % (mode, warn[:5]))
    return b


def run_example(exe, port, extra, what, stdin=None):
    env = dict(os.environ)
    env.pop("LD_LIBRARY_PATH", None)  # the shared example relies on its RUNPATH
    names = [n for n, _ in EXPECT]
    argv = [exe, "-s", "127.0.0.1:%d" % port, "-q", "50"] + extra
    if stdin is None:
        argv += names
    print("$ " + " ".join(argv), flush=True)
    p = subprocess.run(argv, env=env, input=stdin, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, universal_newlines=True, timeout=120)
    want = "".join("%s resolved to %s\n" % (n, ip) if ip else "%s could not be resolved.\n" % n
                   for n, ip in EXPECT)
    check(p.returncode == 0, "%s: exit 0 (got %d; stderr %r)" % (what, p.returncode, p.stderr[-500:]))
    ok = p.stdout == want
    check(ok, "%s: output in input order%s" % (what, "" if ok else "\n  want %r\n  got  %r" % (want, p.stdout)))
    check(p.stderr == "", "%s: nothing on stderr (%r)" % (what, p.stderr[-500:]))


def check_runpath(exe, prefix):
    if not shutil.which("ldd"):
        return
    rc, out, _ = run(["ldd", exe], env={k: v for k, v in os.environ.items() if k != "LD_LIBRARY_PATH"})
    lib = [ln for ln in out.splitlines() if "libpacedns.so" in ln]
    check(lib and prefix in lib[0], "%s loads the installed libpacedns via RUNPATH: %r" % (exe, lib))


def on_signal(signo, _frame):
    raise SystemExit("interrupted by signal %d" % signo)


def main():
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, on_signal)
    version = header_version()
    tmp = tempfile.mkdtemp(prefix="pacedns-install-")
    tmp = os.path.realpath(tmp)
    nsd = None
    try:
        b = build_dir(tmp)
        prefix = os.path.join(tmp, "prefix")
        rc, _, _ = run(["cmake", "--install", b, "--prefix", prefix])
        if not check(rc == 0, "cmake --install %s --prefix %s" % (b, prefix)):
            return 1
        check_files(prefix)
        check_cli(prefix, version)
        check_man(prefix)

        builds = {}
        for mode in ("find_package", "pkgconfig"):
            builds[mode] = build_examples(tmp, prefix, mode)

        os.makedirs(os.path.join(tmp, "nsd"))
        nsd, port = start_nsd(os.path.join(tmp, "nsd"))
        for mode, bd in builds.items():
            if not bd:
                continue
            shared = os.path.join(bd, "seed_resolve")
            static = os.path.join(bd, "seed_resolve_static")
            check_runpath(shared, prefix)
            run_example(shared, port, [], "%s shared, caller's loop" % mode)
            run_example(shared, port, ["-L"], "%s shared, runner-owned loop" % mode)
            run_example(static, port, [], "%s static, caller's loop" % mode)
            run_example(static, port, ["-L"], "%s static, runner-owned loop, names on stdin" % mode,
                        stdin="# names\n" + "".join(n + "\n" for n, _ in EXPECT) + "\n")
            # API errors exit non-zero with pdns_strerror's text
            p = subprocess.run([shared, "-s", "not an address", "x." + ZONE],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               universal_newlines=True, timeout=60)
            check(p.returncode == 2 and "seed_resolve: server 'not an address'" in p.stderr,
                  "%s: bad server gives exit 2 and a message (rc %d, %r)" % (mode, p.returncode, p.stderr))
            p = subprocess.run([shared, "x." + ZONE], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, universal_newlines=True, timeout=60)
            check(p.returncode == 1, "%s: no -s gives exit 1 (usage)" % mode)
        check(nsd.poll() is None, "nsd still running at the end (did not crash)")
    finally:
        stop(nsd)
        if os.environ.get("PACEDNS_KEEP_TMP") == "1":
            print("kept %s" % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        print("\n%d check(s) failed:" % len(failures))
        for f in failures:
            print("  " + f.splitlines()[0])
        return 1
    print("\nall install checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
