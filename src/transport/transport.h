/* transport.h - the small interface between the engine and a DNS transport.
 * SPDX-License-Identifier: MIT */
#ifndef PDNS_TRANSPORT_H
#define PDNS_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>
#include "pacedns.h"
#include "core/stats.h"
#include "format/server.h"
#include "dns/edns.h"

struct uv_loop_s;

/* One answer-section record in presentation format (strings owned by the reply):
 * the public pdns_answer (name = owner, absolute with trailing dot). */
typedef pdns_answer pdns__rr;

typedef enum pdns__tkind {
    PDNS__T_ANSWER = 0,  /* a reply arrived: rcode, tc and records are valid */
    PDNS__T_TIMEOUT,     /* no reply within the timeout */
    PDNS__T_ERROR,       /* local failure; error says why */
    PDNS__T_MALFORMED,   /* an answer that cannot be used (undecodable, other question,
                            an error answer without the question); error says why */
    PDNS__T_UNREACHABLE, /* ended at once without an answer: the network reported the
                           server unreachable (ICMP), the send failed (send_error), or
                           a stream could not be opened (refused, TLS failure); error
                           says why. Not a sign of load: retry elsewhere at once */
    PDNS__T_RESET        /* a stream (TCP, TLS, HTTP/2) ended while the query was pending
                           on it: retry at once; a congestion signal (a stream's loss) */
} pdns__tkind;

typedef struct pdns__reply {
    pdns__tkind kind;
    int rcode;
    int tc;
    size_t n_rr;
    const pdns__rr *rr;          /* answer section, in order */
    const char *error;           /* static text */
    uint64_t sent_ns;            /* uv_hrtime() taken right before the query left (0: unknown) */
    int send_error;              /* UNREACHABLE: 1 a local send failure, 0 reported by ICMP */
    const pdns__edns_info *edns; /* ANSWER to a shaped query (pdns__tcfg.qopts): what it
                                    said about flags and EDNS; NULL otherwise */
} pdns__reply;

/* Called exactly once per successful query() call, from the loop, never from inside
 * query() itself. The reply is valid during the call only. */
typedef void (*pdns__reply_cb)(void *arg, const pdns__reply *rep);

typedef struct pdns__transport pdns__transport;

/* What a transport is created with (per server; strings live as long as the engine). */
typedef struct pdns__tcfg {
    unsigned timeout_ms;      /* per attempt, from the send */
    pdns_transport mode;      /* the run's --transport: GETDNS sends plain servers to getdns */
    const char *tls_ca;       /* CA file (PEM) for tls:// and https://; NULL: system store */
    const char *tls_name;     /* name to verify; NULL: the URL's address */
    int tls_insecure;         /* 1: no certificate verification */
    unsigned conns;           /* stream connections per server (0: the default) */
    int doh_get;              /* https://: HTTP GET with ?dns= (RFC 8484 4.1); 0: POST */
    pdns__conn_stats *conn;   /* where a stream transport counts its connections (or NULL) */
    const pdns__qopts *qopts; /* NULL: plain queries; else (copied by the UDP, stream and
                                 DoH transports) flags, EDNS options and the server's
                                 client cookie; answers then carry pdns__reply.edns */
} pdns__tcfg;

typedef struct pdns__transport_vt {
    const char *name;
    /* One transport instance per server. timeout_ms is per attempt, from the send.
     * *shared is state common to all instances of this transport on the loop (NULL
     * at first; created by the first create, released by release_shared). */
    pdns_status (*create)(struct uv_loop_s *loop, void **shared, const pdns__addr *server,
                          const pdns__tcfg *cfg, pdns__transport **out, char *err, size_t errcap);
    /* Send one query now (qname absolute). tcp selects TCP (after a TC answer). ecs: an
     * ECS prefix for this query over the server's options (an input line's ecs=; the
     * answer is then read as a shaped query's: pdns__reply.edns), or NULL. */
    pdns_status (*query)(pdns__transport *t, const char *qname, uint16_t qtype, int tcp,
                         const pdns__ecs *ecs, pdns__reply_cb cb, void *arg);
    /* Release; only when no query is outstanding. Handles close asynchronously: run
     * the loop afterwards. */
    void (*destroy)(pdns__transport *t);
    /* Datagrams received that matched no pending query (0 if not tracked). */
    uint64_t (*ignored)(const pdns__transport *t);
    /* Nanoseconds until the server may be tried again (0: now): a stream transport whose
     * connections failed rests for a back-off, and queries sent meanwhile end at once
     * (NULL: never rests). */
    uint64_t (*rest_ns)(const pdns__transport *t, uint64_t now_ns);
    /* Drop the creator's hold on the shared state (after every destroy). */
    void (*release_shared)(void *shared);
} pdns__transport_vt;

extern const pdns__transport_vt pdns__transport_getdns;
extern const pdns__transport_vt pdns__transport_udp;
extern const pdns__transport_vt pdns__transport_stream; /* tcp:// and tls:// (stream.c) */
extern const pdns__transport_vt pdns__transport_doh;    /* https:// (doh.c) */
/* The engine's one transport: picks, per server, the transport its URL and the run's
 * mode ask for (select.c) and sends TCP after TC to getdns. */
extern const pdns__transport_vt pdns__transport_select;

#endif
