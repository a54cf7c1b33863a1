/* select.c - the engine's one transport: per server, the transport its URL asks for.
 * SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "transport/transport.h"

/* IMPLEMENTATION NOTES
 * The engine creates one pdns__transport_select per server and never knows which
 * transport runs underneath. The choice, made once at create:
 *   ADDR[:PORT]  UDP: the lean transport (or getdns for everything with
 *                --transport getdns); a TCP query after a TC answer goes to a getdns
 *                TCP transport for the same server, created on first use, with the
 *                server's flags and EDNS options (a copy of cfg->qopts kept here; no
 *                cookie: the server cookie lives in the UDP transport);
 *   tcp://, tls://   the stream transport (stream.c; TCP and TC never differ there);
 *   https://         the DoH transport (doh.c).
 * Each underlying transport keeps its per-loop shared state here (one slot per kind),
 * released with the select's own shared state. */

enum { K_UDP, K_GETDNS, K_STREAM, K_DOH, K_N };

static const pdns__transport_vt *const kinds[K_N] = {&pdns__transport_udp, &pdns__transport_getdns,
                                                     &pdns__transport_stream, &pdns__transport_doh};

typedef struct sel_shared {
    void *sub[K_N];
} sel_shared;

struct pdns__transport {
    sel_shared *sh;
    int main_kind;
    pdns__transport *main;
    pdns__transport *tcp; /* getdns over TCP after TC (plain servers only), or NULL */
    int tcp_fallback;     /* 1: tcp queries go to a getdns TCP transport */
    pdns__addr addr;
    pdns__tcfg cfg;
    int shaped; /* cfg->qopts was given: qo is its copy, for the TC fallback */
    pdns__qopts qo;
    struct uv_loop_s *loop;
};

static pdns_status sel_create(struct uv_loop_s *loop, void **shared, const pdns__addr *server,
                              const pdns__tcfg *cfg, pdns__transport **out, char *err,
                              size_t errcap)
{
    sel_shared *sh = *shared;
    pdns__transport *t;
    pdns_status st;

    if (!sh && !(sh = *shared = calloc(1, sizeof *sh)))
        return PDNS_ERR_NOMEM;
    if (!(t = calloc(1, sizeof *t)))
        return PDNS_ERR_NOMEM;
    t->sh = sh;
    t->addr = *server;
    t->cfg = *cfg;
    t->cfg.qopts = NULL; /* the caller's, valid during create only: copied */
    if (cfg->qopts) {
        t->qo = *cfg->qopts;
        t->qo.cookie = 0; /* see IMPLEMENTATION NOTES */
        t->shaped = 1;
    }
    t->loop = loop;
    switch (server->proto) {
    case PDNS__PROTO_TCP:
    case PDNS__PROTO_TLS:
        t->main_kind = K_STREAM;
        break;
    case PDNS__PROTO_HTTPS:
        t->main_kind = K_DOH;
        break;
    case PDNS__PROTO_UDP:
    default:
        t->main_kind = cfg->mode == PDNS_TRANSPORT_GETDNS ? K_GETDNS : K_UDP;
        t->tcp_fallback = t->main_kind == K_UDP;
        break;
    }
    if (cfg->conn) {
        snprintf(cfg->conn->transport, sizeof cfg->conn->transport, "%s",
                 pdns__proto_name(server->proto));
        cfg->conn->active = server->proto != PDNS__PROTO_UDP;
    }
    st = kinds[t->main_kind]->create(loop, &sh->sub[t->main_kind], server, cfg, &t->main, err,
                                     errcap);
    if (st != PDNS_OK) {
        free(t);
        return st;
    }
    *out = t;
    return PDNS_OK;
}

static pdns_status sel_query(pdns__transport *t, const char *qname, uint16_t qtype, int tcp,
                             const pdns__ecs *ecs, pdns__reply_cb cb, void *arg)
{
    if (tcp && t->tcp_fallback) {
        if (!t->tcp) {
            char err[256];
            pdns__tcfg c = t->cfg;
            pdns_status st;
            c.conn = NULL; /* TC fallback: not the server's own stream figures */
            c.qopts = t->shaped ? &t->qo : NULL;
            st = pdns__transport_getdns.create(t->loop, &t->sh->sub[K_GETDNS], &t->addr, &c,
                                               &t->tcp, err, sizeof err);
            if (st != PDNS_OK)
                return st;
        }
        return pdns__transport_getdns.query(t->tcp, qname, qtype, 1, ecs, cb, arg);
    }
    /* streams are TCP already; getdns takes the flag itself */
    return kinds[t->main_kind]->query(t->main, qname, qtype, t->main_kind == K_GETDNS ? tcp : 0,
                                      ecs, cb, arg);
}

static void sel_destroy(pdns__transport *t)
{
    if (!t)
        return;
    if (t->tcp)
        pdns__transport_getdns.destroy(t->tcp);
    kinds[t->main_kind]->destroy(t->main);
    free(t);
}

static uint64_t sel_ignored(const pdns__transport *t)
{
    const pdns__transport_vt *vt = kinds[t->main_kind];
    return vt->ignored ? vt->ignored(t->main) : 0;
}

static uint64_t sel_rest_ns(const pdns__transport *t, uint64_t now_ns)
{
    const pdns__transport_vt *vt = kinds[t->main_kind];
    return vt->rest_ns ? vt->rest_ns(t->main, now_ns) : 0;
}

static void sel_release_shared(void *shared)
{
    sel_shared *sh = shared;
    if (!sh)
        return;
    for (int k = 0; k < K_N; k++)
        if (sh->sub[k])
            kinds[k]->release_shared(sh->sub[k]);
    free(sh);
}

const pdns__transport_vt pdns__transport_select = {
    .name = "select",
    .create = sel_create,
    .query = sel_query,
    .destroy = sel_destroy,
    .ignored = sel_ignored,
    .rest_ns = sel_rest_ns,
    .release_shared = sel_release_shared,
};
