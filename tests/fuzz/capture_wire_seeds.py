#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Regenerate tests/fuzz/corpus/fuzz_wire/: real NSD answers for the genzone test zones
(captured on 127.0.0.1 at a high port through tools/lab/lab.py, which kills NSD on
exit) plus a few hand-built messages (compression pointers, a pointer loop, truncation)."""
import os
import random
import socket
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools", "lab"))
import lab  # noqa: E402

OUT = os.path.join(HERE, "corpus", "fuzz_wire")

QUERIES = [
    ("host1.example.test.", "A"), ("host0.example.test.", "AAAA"),
    ("example.test.", "MX"), ("example.test.", "SOA"), ("example.test.", "NS"),
    ("example.test.", "CAA"), ("txt2.example.test.", "TXT"), ("txt3.example.test.", "TXT"),
    ("_sip._udp.example.test.", "SRV"), ("alias.example.test.", "A"),
    ("xchain.example.test.", "A"), ("loop1.example.test.", "A"),
    ("dangling.example.test.", "A"), ("nxd.example.test.", "A"),
    ("nodata-alias.example.test.", "A"), ("99.99.99.10.in-addr.arpa.", "PTR"),
]


def raw_query(port, qname, qtype):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2.0)
    try:
        qid = random.randrange(65536)
        s.sendto(lab.make_query(qname, qtype, qid, edns=1232), ("127.0.0.1", port))
        while True:
            data, _ = s.recvfrom(65535)
            if struct.unpack("!H", data[:2])[0] == qid:
                return data
    finally:
        s.close()


def handmade():
    hdr = struct.pack("!HHHHHH", 0x1234, 0x8180, 1, 2, 0, 0)
    q = lab.encode_name("a.test.") + struct.pack("!HH", 1, 1)
    # CNAME a.test -> b.a.test via compression pointers, then b.a.test A
    rr1 = b"\xc0\x0c" + struct.pack("!HHIH", 5, 1, 60, 4) + b"\x01b\xc0\x0c"
    rr2 = b"\xc0\x24" + struct.pack("!HHIH", 1, 1, 60, 4) + bytes([192, 0, 2, 1])
    yield "handmade-cname-ptr", hdr + q + rr1 + rr2
    # answer whose owner is a compression pointer to itself (loop)
    hdr = struct.pack("!HHHHHH", 1, 0x8180, 1, 1, 0, 0)
    yield "handmade-ptr-loop", hdr + q + b"\xc0\x18" + struct.pack("!HHIH", 1, 1, 1, 4) + b"\0\0\0\0"
    # truncated answer, TC bit, odd rcode, unknown type with binary rdata
    hdr = struct.pack("!HHHHHH", 2, 0x8389, 1, 1, 0, 0)
    yield "handmade-unknown-type", hdr + q + b"\xc0\x0c" + struct.pack("!HHIH", 65280, 1, 7, 5) + b"\x00\n\x7f\xff\""
    yield "handmade-truncated", (hdr + q + b"\xc0\x0c" + struct.pack("!HHIH", 16, 1, 7, 9) + b"\x08ab")


def main():
    lab.isolate_network()
    os.makedirs(OUT, exist_ok=True)
    with lab.Lab() as L:
        info = L.zones(hosts=4)
        ns = L.start_nsd(info["zones"])
        for qname, qtype in QUERIES:
            data = raw_query(ns.port, qname, qtype)
            fn = "nsd-%s-%s" % (qname.rstrip(".").replace(".", "_"), qtype)
            with open(os.path.join(OUT, fn), "wb") as fh:
                fh.write(data)
    for fn, data in handmade():
        with open(os.path.join(OUT, fn), "wb") as fh:
            fh.write(data)
    print("wrote", len(os.listdir(OUT)), "files to", OUT)


if __name__ == "__main__":
    main()
