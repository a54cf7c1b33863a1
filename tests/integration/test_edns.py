#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Query flags and EDNS options, on the wire and in what pacedns reports.

1. On the wire (the scripted responder logs every query in hex): the default query has
   RD and an OPT record offering 1232 with no flag and no option; --no-rd clears RD;
   --edns-size 4096 offers 4096; --no-edns sends no OPT (ARCOUNT 0); --dnssec sets DO;
   --nsid sends an empty NSID option; --cookies an 8-octet client cookie, the same for
   every query to one server and another for another server; --ecs 192.0.2.0/24 an ECS
   option (family 1, source 24, scope 0, 3 address octets).
2. Cookies: Knot with mod-cookies answers BADCOOKIE to a client cookie alone: asked
   again with its server cookie, every record is NOERROR. Servers answering with a valid server cookie, with our client cookie alone,
   with another client cookie, without the option: the stats count them as valid,
   missing, missing, bad and missing ("cookies" per server); the server cookie learned
   is sent back in every later query; an NSID served by the
   scripted responder shows in the stats and, with --nsid=record, in each record.
3. NSD with `nsid:` reports it: `--nsid` puts it in the stats per server (two NSDs, two
   NSIDs), `--nsid=record` in every record, nothing without the option.
4. --dnssec against a zone signed at test time (ldns-keygen, ldns-signzone) served by NSD,
   through a validating unbound (its trust anchor: our key; a stub to our NSD only):
   every record says "ad": true and its RRSIG count (1 per answer RRset); NSD itself says
   "ad": false with the same RRSIGs; without --dnssec no "ad" field; a record of an
   unsigned answer... (NXDOMAIN) has rrsig 0 in the answer section.
5. A truncated answer's retry over TCP (through getdns) carries the flags and options:
   dnsdist in front of NSD logs each query it gets (a Lua rule: TCP or not, DO, RD, the
   NSID and ECS options); the big TXT set of the signed zone comes back TC over UDP, and
   its TCP query has DO, RD clear (--no-rd), NSID and the ECS prefix (the run's, or the
   input line's ecs=); the record has its 30 TXT answers, "rrsig": 1 and "ad": false,
   read from the TCP answer; with --no-edns the TCP query has no OPT record (its length).
6. Bad combinations are refused before anything is sent: --no-edns with an EDNS option,
   --transport getdns with any, --ecs 10.1.2.3/16, --edns-size 100, --nsid=foo."""
import json
import os
import shutil
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools", "lab"))
import lab  # noqa: E402
import scripted  # noqa: E402

lab.isolate_network()


def parse_query(hexwire):
    """{'rd', 'arcount', 'opt': None or {'size','do','options': {code: [bytes...]}}}."""
    q = bytes.fromhex(hexwire)
    flags, qd, an, ns, ar = struct.unpack("!HHHHH", q[2:12])
    i = 12
    while q[i]:
        i += 1 + q[i]
    i += 5
    out = {"rd": bool(flags & 0x0100), "arcount": ar, "opt": None}
    if ar and q[i] == 0 and struct.unpack("!H", q[i + 1:i + 3])[0] == 41:
        size, _, _, fl, rdlen = struct.unpack("!HBBHH", q[i + 3:i + 11])
        opts, o = {}, i + 11
        while o + 4 <= i + 11 + rdlen:
            code, ln = struct.unpack("!HH", q[o:o + 4])
            opts.setdefault(code, []).append(q[o + 4:o + 4 + ln])
            o += 4 + ln
        out["opt"] = {"size": size, "do": bool(fl & 0x8000), "options": opts}
    return out


def read_log(path):
    with open(path) as f:
        return [json.loads(ln) for ln in f if ln.strip()]


def check_wire(C, L):
    port, port2 = lab.free_port(), lab.free_port()
    rules = [{"qname": "w%d.test." % i, "actions": [{"answers": [["w%d.test." % i, "A", 5,
                                                                   "192.0.2.%d" % (i + 1)]]}]}
             for i in range(4)]
    log = L.path("wire.log")
    ch = scripted.start(L, rules, [port, port2], log=log)
    names = "".join("w%d.test\n" % i for i in range(4))

    def run(opts, servers=("127.0.0.1:%d" % port,)):
        open(log, "w").close()
        args = ["resolve", "--retries", "0", "--timeout", "1000"]
        for s in servers:
            args += ["-s", s]
        rc, out, err = L.run_pacedns(args + opts, input_text=names)
        C.eq(rc, 0, "%s: exit code (stderr %s)" % (opts, err[-300:]))
        recs = lab.parse_ndjson(out)
        C.eq(sorted(r["status"] for r in recs), ["NOERROR"] * 4, "%s: statuses" % opts)
        return [parse_query(e["wire"]) for e in read_log(log)], recs

    qs, _ = run([])
    C.check(qs and all(q["rd"] and q["opt"] and q["opt"]["size"] == 1232 and not q["opt"]["do"]
                       and q["opt"]["options"] == {} for q in qs), "default: RD, OPT 1232: %r" % qs[:1])
    qs, _ = run(["--no-rd"])
    C.check(qs and all(not q["rd"] and q["opt"] for q in qs), "--no-rd: RD clear: %r" % qs[:1])
    qs, _ = run(["--edns-size", "4096"])
    C.check(qs and all(q["opt"]["size"] == 4096 for q in qs), "--edns-size 4096: %r" % qs[:1])
    qs, _ = run(["--no-edns"])
    C.check(qs and all(q["opt"] is None and q["arcount"] == 0 and q["rd"] for q in qs),
            "--no-edns: no OPT: %r" % qs[:1])
    qs, recs = run(["--dnssec"])
    C.check(qs and all(q["opt"]["do"] for q in qs), "--dnssec: DO: %r" % qs[:1])
    C.check(all(r.get("ad") is False and r.get("rrsig") == 0 for r in recs),
            "--dnssec: records say ad false, rrsig 0 (the scripted server signs nothing): %r"
            % recs[:1])
    qs, _ = run(["--nsid"])
    C.check(qs and all(q["opt"]["options"] == {3: [b""]} for q in qs), "--nsid: empty NSID: %r" % qs[:1])
    qs, _ = run(["--ecs", "192.0.2.0/24"])
    C.check(qs and all(q["opt"]["options"].get(8) == [bytes([0, 1, 24, 0, 192, 0, 2])] for q in qs),
            "--ecs: option: %r" % qs[:1])
    # cookies: one per server, the same for all its queries
    open(log, "w").close()
    qs, _ = run(["--cookies"], servers=("127.0.0.1:%d" % port, "127.0.0.1:%d" % port2))
    entries = read_log(log)
    by_port = {}
    for e, q in zip(entries, qs):
        c = (q["opt"] or {}).get("options", {}).get(10, [b""])[0]
        by_port.setdefault(e["port"], set()).add(c)
    C.check(all(len(c) == 1 and len(next(iter(c))) == 8 for c in by_port.values()) and by_port,
            "--cookies: one 8-octet client cookie per server: %r" % by_port)
    if len(by_port) == 2:
        a, b = [next(iter(c)) for c in by_port.values()]
        C.check(a != b, "--cookies: the two servers get different client cookies")
    scripted.stop(L, ch)


def check_cookies(C, L):
    cases = [("echo", "valid"), ("client-only", "missing"), ("wrong", "bad"), ("none", "missing")]
    ports = {}
    chans = []
    for mode, _ in cases:
        p = lab.free_port()
        rules = [{"qname": "c%d.test." % i, "actions": [{"answers": [["c%d.test." % i, "A", 5, "192.0.2.9"]],
                                                           "cookie": mode, "nsid": "scripted-" + mode}]}
                 for i in range(20)]
        chans.append(scripted.start(L, rules, [p]))
        ports[mode] = "127.0.0.1:%d" % p
    stats = L.path("cookies.json")
    names = "".join("c%d.test\n" % i for i in range(20))
    for mode, want in cases:
        rc, out, err = L.run_pacedns(["resolve", "-s", ports[mode], "--cookies", "--nsid=record",
                                      "--stats", stats, "--retries", "0"], input_text=names)
        C.eq(rc, 0, "cookies %s: exit code (%s)" % (mode, err[-300:]))
        with open(stats) as f:
            s = json.load(f)["servers"][0]
        c = s.get("cookies") or {}
        got = {k: c.get(k) for k in ("valid", "missing", "bad")}
        exp = {"valid": 0, "missing": 0, "bad": 0}
        exp[want] = 20
        C.eq(got, exp, "cookies %s: stats" % mode)
        C.eq(s.get("nsid"), "scripted-" + mode, "cookies %s: stats nsid" % mode)
        recs = lab.parse_ndjson(out)
        C.check(len(recs) == 20 and all(r.get("nsid") == "scripted-" + mode for r in recs),
                "cookies %s: nsid per record: %r" % (mode, recs[:1]))
    # without --cookies: no "cookies" object
    rc, out, _ = L.run_pacedns(["resolve", "-s", ports["echo"], "--stats", stats], input_text=names)
    with open(stats) as f:
        s = json.load(f)["servers"][0]
    C.check("cookies" not in s and "nsid" not in s, "no --cookies/--nsid: no cookies, no nsid in stats")
    C.check(all("nsid" not in r and "ad" not in r for r in lab.parse_ndjson(out)),
            "no --nsid/--dnssec: no nsid/ad in records")
    # RFC 7873 5.1: once the server sent its cookie, every later query carries it back
    # (one query at a time, so every query but the first comes after an answer)
    log = L.path("echo.log")
    p = lab.free_port()
    ch = scripted.start(L, [{"qname": "e%d.test." % i, "actions": [
        {"answers": [["e%d.test." % i, "A", 5, "192.0.2.9"]], "cookie": "echo"}]} for i in range(5)],
        [p], log=log)
    rc, _, _ = L.run_pacedns(["resolve", "-s", "127.0.0.1:%d" % p, "--cookies", "--qps", "50",
                              "--max-inflight", "1"], input_text="".join("e%d.test\n" % i for i in range(5)))
    cookies = [(parse_query(e["wire"])["opt"] or {}).get("options", {}).get(10, [b""])[0]
               for e in read_log(log)]
    C.check(len(cookies) == 5 and len(cookies[0]) == 8 and
            all(c == cookies[0] + b"S" * 16 for c in cookies[1:]),
            "cookies: the server cookie is sent back once known: %r" % cookies)
    scripted.stop(L, ch)
    for ch in chans:
        scripted.stop(L, ch)


def check_knot_cookies(C, L, info):
    """Knot with mod-cookies answers a query with our client cookie alone BADCOOKIE (rcode
    23: 7 in the header, 1 in the OPT) and its server cookie: that answer is asked again
    with the cookie, so every record is NOERROR (before: 50 records of rcode YXRRSET)."""
    k = L.start_knot(info["zones"], template_lines=["    global-module: mod-cookies"])
    stats = L.path("knot-cookies.json")
    rc, out, err = L.run_pacedns(["resolve", "-s", k.addr, "--cookies", "--nsid", "--stats", stats],
                                 input_text="".join("host%d.example.test\n" % i for i in range(50)))
    C.eq(rc, 0, "knot cookies: exit code (%s)" % err[-300:])
    recs = lab.parse_ndjson(out)
    C.check(len(recs) == 50 and all(r["status"] == "NOERROR" for r in recs),
            "knot cookies: every record NOERROR: %r" % [r for r in recs if r["status"] != "NOERROR"][:2])
    with open(stats) as f:
        s = json.load(f)["servers"][0]
    C.eq(s.get("cookies"), {"valid": 50, "missing": 0, "bad": 0}, "knot cookies: stats")
    C.check(s.get("malformed", 0) >= 1, "knot cookies: the BADCOOKIE answers counted as unusable: %r"
            % s.get("malformed"))
    C.check(bool(s.get("nsid")), "knot: an NSID (its host name by default): %r" % s.get("nsid"))
    C.check("BADCOOKIE" not in json.dumps(s.get("rcodes")) and "YXRRSET" not in json.dumps(s.get("rcodes")),
            "knot cookies: no BADCOOKIE/YXRRSET among the usable answers: %r" % s.get("rcodes"))
    L.kill(k)


def check_nsid(C, L, info):
    a = L.start_nsd(info["zones"], extra='  nsid: "ascii_nsd-lab-a"')
    b = L.start_nsd(info["zones"], extra='  nsid: "ascii_nsd-lab-b"')
    stats = L.path("nsid.json")
    names = "".join("host%d.example.test\n" % i for i in range(200))
    rc, out, err = L.run_pacedns(["resolve", "-s", a.addr, "-s", b.addr, "--nsid=record", "--stats",
                                  stats], input_text=names)
    C.eq(rc, 0, "nsid: exit code (%s)" % err[-300:])
    with open(stats) as f:
        srv = {s["server"]: s for s in json.load(f)["servers"]}
    C.eq(srv.get(a.addr, {}).get("nsid"), "nsd-lab-a", "nsid: NSD a in the stats")
    C.eq(srv.get(b.addr, {}).get("nsid"), "nsd-lab-b", "nsid: NSD b in the stats")
    recs = lab.parse_ndjson(out)
    want = {a.addr: "nsd-lab-a", b.addr: "nsd-lab-b"}
    C.check(len(recs) == 200 and all(r.get("nsid") == want.get(r.get("server")) for r in recs),
            "nsid: every record has its server's NSID: %r" % [r for r in recs
                                                             if r.get("nsid") != want.get(r.get("server"))][:2])
    rc, out, _ = L.run_pacedns(["resolve", "-s", a.addr, "--nsid", "--stats", stats], input_text=names)
    with open(stats) as f:
        C.eq(json.load(f)["servers"][0].get("nsid"), "nsd-lab-a", "--nsid: stats")
    C.check(all("nsid" not in r for r in lab.parse_ndjson(out)), "--nsid: not per record")
    # over TCP (tcp://: the stream transport shapes its queries the same way)
    rc, out, err = L.run_pacedns(["resolve", "-s", "tcp://" + a.addr, "--nsid=record", "--dnssec",
                                  "--stats", stats], input_text=names)
    recs = lab.parse_ndjson(out)
    with open(stats) as f:
        C.eq(json.load(f)["servers"][0].get("nsid"), "nsd-lab-a", "--nsid over tcp://: stats")
    C.check(rc == 0 and len(recs) == 200 and all(r.get("nsid") == "nsd-lab-a" and r.get("ad") is False
                                                 for r in recs),
            "--nsid=record --dnssec over tcp://: every record: %r" % recs[:1])
    L.kill(a)
    L.kill(b)


ZONE = "secure.test."


def signed_zone(L):
    """secure.test signed with a KSK and a ZSK made now; (signed file, DS-less anchor)."""
    d = L.path("dnssec")
    os.makedirs(d, exist_ok=True)
    zf = os.path.join(d, "secure.test.zone")
    lines = ["$ORIGIN secure.test.", "$TTL 300",
             "@ IN SOA ns1 hostmaster 1 3600 600 86400 300", "@ IN NS ns1", "ns1 IN A 127.0.0.1"]
    lines += ["h%d IN A 192.0.2.%d" % (i, i + 1) for i in range(50)]
    lines += ["mx IN MX 10 h1", "txt IN TXT \"signed\""]
    # a TXT set too big for 1232 octets over UDP: its answer is truncated (TC)
    lines += ["big IN TXT \"t%02d-%s\"" % (i, "x" * 60) for i in range(30)]
    with open(zf, "w") as f:
        f.write("\n".join(lines) + "\n")
    ksk = subprocess.run(["ldns-keygen", "-a", "ECDSAP256SHA256", "-k", ZONE], cwd=d, check=True,
                         capture_output=True, text=True).stdout.strip()
    zsk = subprocess.run(["ldns-keygen", "-a", "ECDSAP256SHA256", ZONE], cwd=d, check=True,
                         capture_output=True, text=True).stdout.strip()
    subprocess.run(["ldns-signzone", "-n", zf, ksk, zsk], cwd=d, check=True, capture_output=True)
    with open(os.path.join(d, ksk + ".key")) as f:
        anchor = f.read().strip()
    return zf + ".signed", anchor


def start_unbound(L, stub_port, anchor):
    port = lab.free_port()
    d = L.path("unbound")
    os.makedirs(d, exist_ok=True)
    conf = os.path.join(d, "unbound.conf")
    with open(conf, "w") as f:
        f.write("\n".join([
            "server:",
            "  interface: 127.0.0.1@%d" % port, "  port: %d" % port,
            "  do-ip6: no", "  do-daemonize: no", '  username: ""', '  chroot: ""',
            '  directory: "%s"' % d, '  pidfile: "%s/unbound.pid"' % d,
            "  use-syslog: no", "  logfile: \"\"", "  verbosity: 1",
            "  access-control: 127.0.0.0/8 allow",
            "  do-not-query-localhost: no",
            '  local-zone: "test." nodefault',  # unbound serves test. as NXDOMAIN by default
            "  module-config: \"validator iterator\"",
            "  trust-anchor: \"%s\"" % anchor,
            "  val-log-level: 2",
            "  harden-dnssec-stripped: yes",
            "stub-zone:", '  name: "secure.test."', "  stub-addr: 127.0.0.1@%d" % stub_port,
            "remote-control:", "  control-enable: no", ""]))
    ch = L.spawn("unbound", ["unbound", "-d", "-c", conf], log=os.path.join(d, "unbound.out"))
    ch.port, ch.addr = port, "127.0.0.1:%d" % port
    def validated():
        m = lab.query("127.0.0.1", port, "h0.secure.test", "A", timeout=0.5, rd=True)
        return m is not None and m["rcode"] == "NOERROR"
    L._wait_ready(ch, validated, 15, "answering")
    return ch


def check_dnssec(C, L):
    if not shutil.which("ldns-signzone") or not shutil.which("unbound"):
        C.check(False, "ldns-signzone and unbound are needed (scripts/install-deps.sh)")
        return
    signed, anchor = signed_zone(L)
    ns = L.start_nsd([(ZONE, signed)])
    ub = start_unbound(L, ns.port, anchor)
    names = "".join("h%d.secure.test\n" % i for i in range(50)) + "mx.secure.test MX\nnope.secure.test\n"
    for srv, want_ad in ((ub, True), (ns, False)):
        rc, out, err = L.run_pacedns(["resolve", "-s", srv.addr, "--dnssec"], input_text=names)
        C.eq(rc, 0, "dnssec %s: exit code (%s)" % (srv.addr, err[-300:]))
        recs = {r["name"]: r for r in lab.parse_ndjson(out)}
        C.eq(len(recs), 52, "dnssec %s: records" % srv.addr)
        pos = [r for n, r in recs.items() if n != "nope.secure.test"]
        C.check(all(r["status"] == "NOERROR" and r.get("ad") is want_ad and r.get("rrsig") == 1
                    for r in pos),
                "dnssec via %s: ad %s and 1 RRSIG per record: %r" % (
                    "unbound" if srv is ub else "NSD", want_ad,
                    [r for r in pos if r.get("ad") is not want_ad or r.get("rrsig") != 1][:2]))
        nx = recs.get("nope.secure.test", {})
        C.check(nx.get("status") == "NXDOMAIN" and nx.get("ad") is want_ad and nx.get("rrsig") == 0,
                "dnssec via %s: NXDOMAIN: ad %s, rrsig 0 in the answer section: %r"
                % (srv.addr, want_ad, nx))
    rc, out, _ = L.run_pacedns(["resolve", "-s", ub.addr], input_text=names)
    C.check(all("ad" not in r and "rrsig" not in r for r in lab.parse_ndjson(out)),
            "without --dnssec: no ad/rrsig fields")
    L.kill(ub)
    L.kill(ns)


def check_refused(C, L):
    cases = [(["--no-edns", "--dnssec"], "option --no-edns"),
             (["--no-edns", "--ecs", "10.0.0.0/8"], "option --no-edns"),
             (["--transport", "getdns", "--nsid"], "option --transport getdns"),
             (["--ecs", "10.1.2.3/16"], "bad prefix '10.1.2.3/16': address bits set past"),
             (["--edns-size", "100"], "option --edns-size"),
             (["--nsid=foo"], "option --nsid: 'foo' is not 'record'")]
    for opts, want in cases:
        rc, _, err = L.run_pacedns(["resolve", "-s", "127.0.0.1:9"] + opts, input_text="a.test\n")
        C.check(rc == 1 and want in err, "%s: exit %d, want %r in %r" % (opts, rc, want, err))


LOGQ = [
    "function logq(dq)",
    "  local opts = dq:getEDNSOptions()",
    "  local ecs = ''",
    "  if opts[8] ~= nil then",
    "    local v = opts[8]:getValues()[1] or ''",
    "    for i = 1, #v do ecs = ecs .. string.format('%02x', string.byte(v, i)) end",
    "  end",
    "  infolog(string.format('QLOG %s tcp=%s do=%s rd=%s nsid=%s ecs=%s len=%d',",
    "    dq.qname:toString(), tostring(dq.tcp), tostring(dq:getDO()), tostring(dq.dh:getRD()),",
    "    tostring(opts[3] ~= nil), ecs, dq.len))",
    "  return DNSAction.None, ''",
    "end",
    "addAction(AllRule(), LuaAction(logq))"]


def qlog(ch):
    """dnsdist's QLOG lines: [{name, tcp, do, rd, nsid, ecs}]."""
    out = []
    with open(os.path.join(ch.workdir, "dnsdist.out"), errors="replace") as f:
        for ln in f:
            if "QLOG " not in ln:
                continue
            parts = ln.split("QLOG ", 1)[1].split()
            e = {"name": parts[0]}
            for kv in parts[1:]:
                k, _, v = kv.partition("=")
                e[k] = v
            out.append(e)
    return out


def check_tc_retry(C, L):
    if not shutil.which("ldns-signzone"):
        C.check(False, "ldns-signzone is needed (scripts/install-deps.sh)")
        return
    signed, _ = signed_zone(L)
    ns = L.start_nsd([(ZONE, signed)])
    dd = L.start_dnsdist(backend=ns, rule_lua_lines=LOGQ)
    names = "big.secure.test TXT\nbig.secure.test TXT ecs=198.51.100.0/24\nh1.secure.test A\n"
    rc, out, err = L.run_pacedns(["resolve", "-s", dd.addr, "--dnssec", "--nsid", "--no-rd",
                                  "--ecs", "192.0.2.0/24", "--stats", L.path("tc.json")],
                                 input_text=names)
    C.eq(rc, 0, "tc: exit (%s)" % err[-300:])
    recs = {r["line"]: r for r in lab.parse_ndjson(out)}
    for ln in (1, 2):
        r = recs.get(ln, {})
        C.check(r.get("status") == "NOERROR" and len(r.get("answers", [])) == 30 and
                r.get("rrsig") == 1 and r.get("ad") is False,
                "tc: line %d: 30 TXT answers, rrsig 1, ad false, read over TCP: %r" % (
                    ln, {k: r.get(k) for k in ("status", "rrsig", "ad", "ecs")}))
    C.eq(recs.get(2, {}).get("ecs"), "198.51.100.0/24", "tc: line 2 says its own prefix")
    st = json.load(open(L.path("tc.json")))["servers"][0]
    C.eq(st.get("tc"), 2, "tc: two answers were truncated over UDP")
    log = [e for e in qlog(dd) if e["name"] == "big.secure.test."]
    tcp = [e for e in log if e.get("tcp") == "true"]
    udp = [e for e in log if e.get("tcp") == "false"]
    C.eq(len(tcp), 2, "tc: two TCP queries for the big set (%r)" % log)
    want = {"00011800c00002", "00011800c63364"}  # 192.0.2.0/24, 198.51.100.0/24
    C.eq({e.get("ecs") for e in tcp}, want, "tc: TCP queries carry the run's and the line's ECS")
    C.eq({e.get("ecs") for e in udp}, want, "tc: as the UDP ones do")
    C.check(tcp and all(e.get("do") == "true" and e.get("rd") == "false" and e.get("nsid") == "true"
                        for e in tcp), "tc: TCP queries with DO, RD clear, NSID: %r" % tcp)
    # --no-edns: no OPT over TCP either (the UDP answer is cut at 512 octets)
    rc, out, err = L.run_pacedns(["resolve", "-s", dd.addr, "--no-edns"],
                                 input_text="big.secure.test TXT\n")
    r = (lab.parse_ndjson(out) or [{}])[0]
    C.check(r.get("status") == "NOERROR" and len(r.get("answers", [])) == 30,
            "tc --no-edns: 30 answers over TCP: %r" % r.get("status"))
    tcp = [e for e in qlog(dd) if e["name"] == "big.secure.test." and e.get("tcp") == "true"][2:]
    # header 12 + big.secure.test. 17 + type and class 4: 33 octets, no OPT record
    C.check(len(tcp) == 1 and tcp[0].get("len") == "33" and tcp[0].get("rd") == "true",
            "tc --no-edns: the TCP query has no OPT (33 octets), RD set: %r" % tcp)
    L.kill(dd)
    L.kill(ns)


def run():
    C = lab.Checker("test_edns")
    with lab.Lab() as L:
        info = L.zones(hosts=300)
        check_refused(C, L)
        check_wire(C, L)
        check_cookies(C, L)
        check_knot_cookies(C, L, info)
        check_nsid(C, L, info)
        check_dnssec(C, L)
        check_tc_retry(C, L)
    return C.done()


if __name__ == "__main__":
    sys.exit(lab.main(run))
