#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Regenerate tests/unit/data/codec/: real NSD answers (captured on 127.0.0.1 at a high
port through tools/lab/lab.py, which kills NSD on exit) for records whose text is easy
to get wrong: TXT with escapes and non-ASCII bytes, unknown types (RFC 3597), CAA, SRV,
MX, NAPTR, SSHFP, TLSA, DS, HINFO, LOC, long and odd owner names, and EDNS answers with
extended rcodes built by hand. test_codec_diff runs every file here and every file of
tests/fuzz/corpus/fuzz_wire through both codecs (libknot and getdns).
Run: python3 tests/unit/capture_codec_answers.py (under flock /work/helpers/load.lock
when the machine is shared)."""
import os
import random
import socket
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools", "lab"))
import lab  # noqa: E402

OUT = os.path.join(HERE, "data", "codec")
WEIRD = r'weird\@\(\"\;\)x.example.test.'
LONG = ".".join(["a" * 63, "b" * 63, "c" * 63]) + ".example.test."  # 202 octets
ODD = r"odd\032owner\.dot\$x.example.test."

ZONE = r"""$ORIGIN example.test.
$TTL 3600
@       IN SOA ns1 hostmaster 2024010101 7200 3600 1209600 300
@       IN NS ns1
ns1     IN A 10.0.0.53
@       IN MX 10 mail
@       IN MX 20 mail2.other.test.
mail    IN A 10.0.0.25
@       IN CAA 0 issue "letsencrypt.org"
@       IN CAA 128 tbs "Unknown"
@       IN CAA 0 iodef "mailto:sec@example.test"
_sip._udp IN SRV 10 60 5060 sip
_sip._udp IN SRV 0 0 0 .
sip     IN A 10.0.0.60
txt1    IN TXT "plain"
txt2    IN TXT "two" "strings"
txt3    IN TXT "quote\"inside" "back\\slash" "semi;colon" "tab\009x" "nul\000x"
txt4    IN TXT "high\200\377bytes" "utf8 \195\169t\195\169" ""
txt5    IN TXT "dollar$ paren( ) at@ brace{}"
txt6    IN TXT ( "a very long string aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" "second" )
unk1    IN TYPE65280 \# 5 000a7fff22
unk2    IN TYPE65400 \# 0
unk3    IN TYPE999 \# 3 414243
naptr   IN NAPTR 100 10 "u" "E2U+sip" "!^.*$!sip:info@example.test!" .
naptr   IN NAPTR 102 10 "s" "SIP+D2U" "" _sip._udp
sshfp   IN SSHFP 1 1 dd465c09cfa51fb45020cc83316fff21b9ec74ac
tlsa    IN TLSA 3 1 1 0d6fce3320bc9d28d9c6f8f5b1a5e1b5f4a4e0e8b0a7f3b6a7c6e4f1a3b2c1d0
ds      IN DS 12345 13 2 3490a6806d47f17a34c29e2ce80e8a999ffbe4be
hinfo   IN HINFO "PC" "Linux 6"
loc     IN LOC 52 22 23.000 N 4 53 32.000 E -2.00m 0.00m 10000m 10m
rp      IN RP admin.example.test. txt1
aaaa    IN AAAA 2001:db8::1
aaaa    IN AAAA ::ffff:10.0.0.1
aaaa    IN AAAA 2001:db8:0:0:1:0:0:1
Case    IN A 10.1.2.3
ptr     IN PTR Target.Example.Test.
spf     IN SPF "v=spf1 -all"
cname   IN CNAME txt3
dname   IN DNAME other.test.
wks-ish IN TYPE11 \# 5 0a000001 06
txt7    IN TXT "del\127x" "semi;" "paren(" "at@" "\\\"both"
oddcname IN CNAME odd\032owner\.dot\$x
oddmx   IN MX 5 weird\@\(\"\;\)x
""" + LONG + " IN A 10.9.9.9\n" + ODD + " IN A 10.8.8.8\n" + WEIRD + " IN A 10.7.7.7\n"

QUERIES = [
    ("example.test.", "MX"), ("example.test.", "CAA"), ("example.test.", "SOA"),
    ("_sip._udp.example.test.", "SRV"),
    ("txt1.example.test.", "TXT"), ("txt2.example.test.", "TXT"), ("txt3.example.test.", "TXT"),
    ("txt4.example.test.", "TXT"), ("txt5.example.test.", "TXT"), ("txt6.example.test.", "TXT"),
    ("unk1.example.test.", "TYPE65280"), ("unk2.example.test.", "TYPE65400"),
    ("unk3.example.test.", "TYPE999"),
    ("naptr.example.test.", "NAPTR"), ("sshfp.example.test.", "SSHFP"),
    ("tlsa.example.test.", "TLSA"), ("ds.example.test.", "DS"), ("hinfo.example.test.", "HINFO"),
    ("loc.example.test.", "LOC"), ("rp.example.test.", "RP"), ("aaaa.example.test.", "AAAA"),
    ("case.example.test.", "A"), ("ptr.example.test.", "PTR"), ("spf.example.test.", "SPF"),
    ("cname.example.test.", "TXT"), ("x.dname.example.test.", "A"),
    ("wks-ish.example.test.", "TYPE11"),
    (LONG, "A"), (ODD, "A"), (WEIRD, "A"), ("txt7.example.test.", "TXT"),
    ("oddcname.example.test.", "A"), ("oddmx.example.test.", "MX"), ("nx.example.test.", "A"), ("txt1.example.test.", "AAAA"),
    ("example.test.", "ANY"),
]

TYPES = {"TYPE65280": 65280, "TYPE65400": 65400, "TYPE999": 999, "TYPE11": 11, "NAPTR": 35,
         "SSHFP": 44, "TLSA": 52, "DS": 43, "HINFO": 13, "LOC": 29, "RP": 17, "SPF": 99,
         "ANY": 255}


def wire_name(name):
    """Presentation name (with \\DDD and \\c escapes) to wire."""
    out, label, i = b"", b"", 0
    while i < len(name):
        c = name[i]
        if c == "\\":
            if name[i + 1:i + 4].isdigit():
                label += bytes([int(name[i + 1:i + 4])])
                i += 4
                continue
            label += name[i + 1].encode()
            i += 2
            continue
        if c == ".":
            out += bytes([len(label)]) + label
            label = b""
        else:
            label += c.encode()
        i += 1
    if label:
        out += bytes([len(label)]) + label
    return out + b"\0"


def raw_query(port, qname, qtype):
    t = TYPES.get(qtype) or lab.type_num(qtype)
    qid = random.randrange(65536)
    opt = b"\0" + struct.pack("!HHIH", 41, 1232, 0, 0)
    msg = struct.pack("!HHHHHH", qid, 0, 1, 0, 0, 1) + wire_name(qname) + struct.pack("!HH", t, 1) + opt
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2.0)
    try:
        s.sendto(msg, ("127.0.0.1", port))
        while True:
            data, _ = s.recvfrom(65535)
            if struct.unpack("!H", data[:2])[0] == qid:
                return data
    finally:
        s.close()


def handmade():
    q = lab.encode_name("a.test.") + struct.pack("!HH", 1, 1)
    a = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + bytes([192, 0, 2, 1])
    soa_auth = b"\xc0\x0c" + struct.pack("!HHIH", 2, 1, 60, 2) + b"\xc0\x0c"

    def opt(ext_rcode):
        return b"\0" + struct.pack("!HHBBHH", 41, 1232, ext_rcode, 0, 0, 0)
    # BADVERS: header rcode 0, OPT extended rcode 1 -> 16
    yield "edns-badvers", struct.pack("!HHHHHH", 7, 0x8180, 1, 0, 0, 1) + q + opt(1)
    # BADCOOKIE: header rcode 7, OPT extended rcode 1 -> 23, after an authority record
    yield "edns-badcookie", struct.pack("!HHHHHH", 8, 0x8187, 1, 0, 1, 1) + q + soa_auth + opt(1)
    # an answer with a record, OPT after glue, extended rcode 0 (plain NOERROR)
    yield "edns-noerror-glue", (struct.pack("!HHHHHH", 9, 0x8180, 1, 1, 1, 2) + q + a + soa_auth +
                                a + opt(0))
    # OPT cut short: the additional section runs past the datagram
    yield "edns-cut", struct.pack("!HHHHHH", 10, 0x8180, 1, 1, 0, 1) + q + a + opt(0)[:7]


def main():
    lab.isolate_network()
    os.makedirs(OUT, exist_ok=True)
    with lab.Lab() as L:
        zf = L.path("example.test.zone")
        with open(zf, "w") as fh:
            fh.write(ZONE)
        ns = L.start_nsd([("example.test", zf)])
        for qname, qtype in QUERIES:
            data = raw_query(ns.port, qname, qtype)
            safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in qname.rstrip("."))
            fn = "nsd-%s-%s" % (safe[:60], qtype)
            with open(os.path.join(OUT, fn), "wb") as fh:
                fh.write(data)
    for fn, data in handmade():
        with open(os.path.join(OUT, fn), "wb") as fh:
            fh.write(data)
    print("wrote", len(os.listdir(OUT)), "files to", OUT)


if __name__ == "__main__":
    main()
