#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""liar.py - a lying resolver: forwards every UDP query to a backend on loopback and
tampers with the answers, for the trust tests (behaviour no real server shows on cue).

  --hijack IP           NXDOMAIN answers to A queries become NOERROR "qname A IP"
  --poison IP --poison-fraction F
                        a fraction F of the names (by a hash of the name, so the same
                        names every time) get "qname A IP" instead of their A answer
  --bad-after N         honest for the first N queries, lying afterwards
  --names-log FILE      log each lie: {"qname","qtype","lie"} per line

Prints READY once bound; exits after --max-seconds or on SIGTERM/SIGINT.
Loopback only; Python 3 standard library only."""
import argparse
import hashlib
import json
import os
import select
import signal
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scripted  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--backend", required=True, help="127.0.0.1:PORT")
    ap.add_argument("--hijack")
    ap.add_argument("--poison")
    ap.add_argument("--poison-fraction", type=float, default=0.0)
    ap.add_argument("--bad-after", type=int, default=0)
    ap.add_argument("--names-log")
    ap.add_argument("--max-seconds", type=float, default=300)
    a = ap.parse_args()
    host, port = a.backend.rsplit(":", 1)
    if not host.startswith("127."):
        sys.exit("backend must be on loopback")
    backend = (host, int(port))
    cs = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    cs.bind(("127.0.0.1", a.port))
    up = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    up.bind(("127.0.0.1", 0))
    log = open(a.names_log, "a") if a.names_log else None
    pending = {}  # upstream id -> (client addr, client id, flags, qname wire, qtype, t)
    next_id = 1
    seen = 0
    deadline = time.monotonic() + a.max_seconds

    def stop(*_):
        sys.exit(0)

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, stop)
    print("READY", flush=True)
    while time.monotonic() < deadline:
        rd, _, _ = select.select([cs, up], [], [], 0.2)
        now = time.monotonic()
        for k in [k for k, v in pending.items() if now - v[5] > 5]:
            del pending[k]
        for s in rd:
            try:
                msg, addr = s.recvfrom(65535)
            except OSError:
                continue
            if s is cs:
                pq = scripted.parse_query(msg)
                if not pq:
                    continue
                qid, flags, qname, qtype, _ = pq
                uid = next_id
                next_id = next_id % 65535 + 1
                pending[uid] = (addr, qid, flags, qname, qtype, now)
                up.sendto(struct.pack("!H", uid) + msg[2:], backend)
                continue
            if len(msg) < 12:
                continue
            uid = struct.unpack("!H", msg[:2])[0]
            p = pending.pop(uid, None)
            if not p:
                continue
            caddr, qid, flags, qname, qtype, _ = p
            seen += 1
            out = struct.pack("!H", qid) + msg[2:]
            rcode = msg[3] & 0x0F
            an = struct.unpack("!H", msg[6:8])[0]
            qtext = scripted.wire_text(qname)
            lie = None
            if seen > a.bad_after and qtype == 1:
                if a.hijack and rcode == 3:
                    lie = a.hijack
                elif a.poison and rcode == 0 and an > 0 and a.poison_fraction > 0:
                    h = int(hashlib.sha1(qtext.lower().encode()).hexdigest()[:8], 16)
                    if h % 10000 < a.poison_fraction * 10000:
                        lie = a.poison
            if lie:
                out = scripted.build(qid, flags, qname, qtype, 0, [[qtext, "A", 60, lie]])
                if log:
                    log.write(json.dumps({"qname": qtext, "qtype": qtype, "lie": lie}) + "\n")
                    log.flush()
            cs.sendto(out, caddr)


if __name__ == "__main__":
    main()
