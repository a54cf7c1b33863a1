/* transport_getdns.c - the getdns stub transport (one upstream per context) on libuv.
 * SPDX-License-Identifier: MIT */
#include <getdns/getdns.h>
#include <getdns/getdns_extra.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "dns/codec.h"
#include "dns/match.h"
#include "dns/query.h"
#include "transport/gdloop.h"
#include "transport/transport.h"

/* IMPLEMENTATION NOTES
 * - Contexts run on the runner's libuv loop through gdloop.c (our own event-loop
 *   extension; see there why not getdns_extension_set_libuv_loop).
 * - One getdns context per server and protocol: UDP only for normal queries, TCP only
 *   (created lazily) for names whose UDP answer was truncated. Keeping UDP alone on the
 *   first context lets the engine see TC answers (rate limiters' "slip") instead of
 *   getdns silently retrying over TCP.
 * - Contexts are created with set_from_os = 0, so getdns reads neither resolv.conf nor
 *   /etc/hosts; stub mode; no DNSSEC (so no trust-anchor fetches).
 * - getdns_context_set_limit_outstanding_queries is never used: its internal queue
 *   lets queued queries time out (getdns #257, #406). The engine admits queries itself.
 * - getdns does not retransmit lost UDP queries; the engine retries.
 * - Records: the reply's wire form ("replies_full", the datagram or TCP message as
 *   received) is decoded by dns/codec.c (libknot), as the UDP transport decodes its
 *   datagrams: both transports give the same text and the same rcode (extended by
 *   OPT), whatever getdns's own printer does (README, IMPLEMENTATION NOTES: record
 *   text, lists where getdns_rr_dict2str differs).
 * - getdns does not check that an answer is for our question: the reply's question
 *   name (wire format in the dict) is compared with the name we asked, encoded once
 *   at send time (dns/query.c), by the UDP transport's wire comparison (dns/match.c).
 *   Wire form, not text: a name's text can be up to 4 x 255 characters ("\DDD").
 * - Flags and EDNS options (cfg->qopts: the TC fallback of a run with --dnssec, --nsid,
 *   --ecs or an input line's ecs=, --no-rd, --edns-size, --no-edns): each query gets an
 *   extensions dict (shape_ext): "header" {"rd": 0} for --no-rd (getdns writes the
 *   header dict over its query header), "add_opt_parameters" with do_bit,
 *   maximum_udp_payload_size (512 and nothing else for --no-edns: getdns then sends no
 *   OPT) and the options NSID (empty) and ECS. No cookie (select.c). Not
 *   dnssec_return_status or any dnssec_* extension: those make getdns validate (and
 *   fetch trust anchors); DO alone asks the server for the records. The answer is then
 *   read by pdns__edns_parse like a UDP answer (pdns__reply.edns). */

struct pdns__transport {
    uv_loop_t *loop;
    pdns__gdloop *gl;
    pdns__addr addr;
    unsigned timeout_ms;
    getdns_context *ctx[2]; /* [0] UDP, [1] TCP */
    pdns__codec *codec;     /* records as text, as the UDP transport prints them;
                               created with the first answer */
    int shaped;             /* cfg->qopts given: queries carry qo (shape_ext) */
    pdns__qopts qo;
};

typedef struct gd_query {
    pdns__transport *t;
    pdns__reply_cb cb;
    void *arg;
    uint16_t qtype;
    int shaped;       /* the query carried flags or EDNS options: its answer is read */
    uint64_t sent_ns; /* taken right before getdns_general */
    size_t qlen;
    uint8_t qname[PDNS__WIRE_NAME_MAX]; /* the name asked, wire format */
} gd_query;

static pdns_status gd_context(pdns__transport *t, int tcp, char *err, size_t errcap)
{
    getdns_context *ctx = NULL;
    getdns_list *ups = NULL;
    getdns_dict *up = NULL;
    getdns_transport_list_t tl = tcp ? GETDNS_TRANSPORT_TCP : GETDNS_TRANSPORT_UDP;
    getdns_bindata addr = {t->addr.family == AF_INET ? 4 : 16, t->addr.bytes};
    getdns_return_t rc;

    if ((rc = getdns_context_create(&ctx, 0)) != GETDNS_RETURN_GOOD)
        goto fail;
    if ((rc = getdns_context_set_resolution_type(ctx, GETDNS_RESOLUTION_STUB)))
        goto fail;
    if (!(ups = getdns_list_create()) || !(up = getdns_dict_create())) {
        rc = GETDNS_RETURN_MEMORY_ERROR;
        goto fail;
    }
    if ((rc = getdns_dict_util_set_string(up, "address_type",
                                          t->addr.family == AF_INET ? "IPv4" : "IPv6")))
        goto fail;
    if ((rc = getdns_dict_set_bindata(up, "address_data", &addr)))
        goto fail;
    if ((rc = getdns_dict_set_int(up, "port", t->addr.port)))
        goto fail;
    if ((rc = getdns_list_set_dict(ups, 0, up)))
        goto fail;
    if ((rc = getdns_context_set_upstream_recursive_servers(ctx, ups)))
        goto fail;
    if ((rc = getdns_context_set_dns_transport_list(ctx, 1, &tl)))
        goto fail;
    if ((rc = getdns_context_set_timeout(ctx, t->timeout_ms)))
        goto fail;
    if ((rc = getdns_context_set_idle_timeout(ctx, tcp ? 2000 : 0)))
        goto fail;
    /* follow_redirects stays at its default: DO_NOT_FOLLOW makes getdns cut the answer
     * section after the first CNAME (the engine follows chains itself either way) */
    if ((rc = pdns__gdloop_attach(t->gl, ctx)))
        goto fail;
    getdns_dict_destroy(up);
    getdns_list_destroy(ups);
    t->ctx[tcp] = ctx;
    return PDNS_OK;
fail:
    snprintf(err, errcap, "getdns context for %s: %s", t->addr.text,
             getdns_get_errorstr_by_id(rc) ? getdns_get_errorstr_by_id(rc) : "error");
    if (up)
        getdns_dict_destroy(up);
    if (ups)
        getdns_list_destroy(ups);
    if (ctx)
        getdns_context_destroy(ctx);
    return rc == GETDNS_RETURN_MEMORY_ERROR ? PDNS_ERR_NOMEM : PDNS_ERR_GETDNS;
}

static pdns_status gd_create(uv_loop_t *loop, void **shared, const pdns__addr *server,
                             const pdns__tcfg *cfg, pdns__transport **out, char *err, size_t errcap)
{
    pdns__transport *t;
    pdns_status st;
    if (!*shared && !(*shared = pdns__gdloop_new(loop)))
        return PDNS_ERR_NOMEM;
    if (!(t = calloc(1, sizeof *t)))
        return PDNS_ERR_NOMEM;
    t->loop = loop;
    t->gl = *shared;
    t->addr = *server;
    t->timeout_ms = cfg->timeout_ms;
    if (cfg->qopts) {
        t->qo = *cfg->qopts;
        t->shaped = 1;
    }
    if ((st = gd_context(t, 0, err, errcap)) != PDNS_OK) {
        free(t);
        return st;
    }
    *out = t;
    return PDNS_OK;
}

/* Decode getdns's reply (its wire form, by dns/codec.c) into a pdns__reply and hand it
 * to the engine. */
static void deliver_answer(gd_query *q, getdns_dict *resp)
{
    getdns_list *replies = NULL, *full = NULL;
    getdns_dict *reply = NULL;
    getdns_bindata *wire = NULL;
    pdns__reply rep = {.kind = PDNS__T_ANSWER, .sent_ns = q->sent_ns};
    pdns__edns_info ei;
    pdns__codec_answer ca;
    pdns__codec_status cs;

    if (getdns_dict_get_list(resp, "replies_tree", &replies) ||
        getdns_list_get_dict(replies, 0, &reply) ||
        getdns_dict_get_list(resp, "replies_full", &full) ||
        getdns_list_get_bindata(full, 0, &wire) || !wire) {
        rep.kind = PDNS__T_ERROR;
        rep.error = "reply without replies_tree";
        q->cb(q->arg, &rep);
        return;
    }
    /* the answer must be for our question (getdns does not check) */
    {
        getdns_bindata *qn = NULL;
        uint32_t qt = 0;
        int ok = getdns_dict_get_bindata(reply, "/question/qname", &qn) == GETDNS_RETURN_GOOD &&
                 getdns_dict_get_int(reply, "/question/qtype", &qt) == GETDNS_RETURN_GOOD &&
                 qt == q->qtype && qn &&
                 pdns__dns_wname_equal(qn->data, qn->size, q->qname, q->qlen);
        if (!ok) {
            rep.kind = PDNS__T_MALFORMED;
            rep.error = "answer for another question";
            q->cb(q->arg, &rep);
            return;
        }
    }
    if (!q->t->codec && !(q->t->codec = pdns__codec_new())) {
        rep.kind = PDNS__T_ERROR;
        rep.error = "out of memory";
        q->cb(q->arg, &rep);
        return;
    }
    /* the bytes are ours (resp is destroyed after this call); the codec puts back
     * what it changes */
    if (q->shaped) { /* what the answer says about flags and EDNS (no cookie was sent) */
        pdns__qopts none;
        memset(&none, 0, sizeof none);
        (void)pdns__edns_parse(wire->data, wire->size, &none, &ei);
        rep.edns = &ei;
    }
    cs = pdns__codec_decode(q->t->codec, wire->data, wire->size, &ca);
    if (cs == PDNS__CODEC_OK) {
        rep.rcode = ca.rcode;
        rep.tc = ca.tc;
        rep.n_rr = ca.n_rr;
        rep.rr = ca.rr;
    } else {
        rep.kind = cs == PDNS__CODEC_NOMEM ? PDNS__T_ERROR : PDNS__T_MALFORMED;
        rep.rcode = -1;
        rep.error = cs == PDNS__CODEC_NOMEM ? "out of memory" : "malformed answer";
    }
    q->cb(q->arg, &rep);
}

static void gd_callback(getdns_context *ctx, getdns_callback_type_t type, getdns_dict *resp,
                        void *userarg, getdns_transaction_t tid)
{
    gd_query *q = userarg;
    pdns__reply rep = {.kind = PDNS__T_ERROR, .rcode = -1, .sent_ns = q->sent_ns};
    (void)ctx;
    (void)tid;
    switch (type) {
    case GETDNS_CALLBACK_COMPLETE:
        deliver_answer(q, resp);
        break;
    case GETDNS_CALLBACK_TIMEOUT:
        rep.kind = PDNS__T_TIMEOUT;
        q->cb(q->arg, &rep);
        break;
    case GETDNS_CALLBACK_CANCEL:
        rep.error = "query cancelled";
        q->cb(q->arg, &rep);
        break;
    default:
        rep.error = "getdns reported an error";
        q->cb(q->arg, &rep);
        break;
    }
    if (resp)
        getdns_dict_destroy(resp);
    free(q);
}

/* The extensions that shape one query as o says (see IMPLEMENTATION NOTES): into *out
 * (NULL when o asks for nothing getdns would not send anyway). Returns a getdns code. */
static getdns_return_t shape_ext(const pdns__qopts *o, getdns_dict **out)
{
    getdns_dict *ext = NULL, *opt = NULL, *hdr = NULL, *item = NULL;
    getdns_list *opts = NULL;
    getdns_return_t rc = GETDNS_RETURN_MEMORY_ERROR;
    size_t n = 0;

    *out = NULL;
    if (!(ext = getdns_dict_create()) || !(opt = getdns_dict_create()))
        goto fail;
    if (o->no_rd) {
        if (!(hdr = getdns_dict_create()))
            goto fail;
        if ((rc = getdns_dict_set_int(hdr, "rd", 0)) ||
            (rc = getdns_dict_set_dict(ext, "header", hdr)))
            goto fail;
    }
    if (o->no_edns) { /* 512 and nothing else: getdns sends no OPT record */
        if ((rc = getdns_dict_set_int(opt, "maximum_udp_payload_size", 512)))
            goto fail;
    } else {
        if ((rc = getdns_dict_set_int(opt, "maximum_udp_payload_size",
                                      o->udp_size ? o->udp_size : PDNS__EDNS_DEFAULT_SIZE)) ||
            (rc = getdns_dict_set_int(opt, "do_bit", o->do_bit ? 1 : 0)))
            goto fail;
        if (!(opts = getdns_list_create())) {
            rc = GETDNS_RETURN_MEMORY_ERROR;
            goto fail;
        }
        for (int k = 0; k < 2; k++) {
            uint8_t data[20];
            getdns_bindata bd = {0, data};
            uint32_t code = k == 0 ? PDNS__EDNS_NSID : PDNS__EDNS_ECS;
            if (k == 0 ? !o->nsid : !o->ecs)
                continue;
            if (k == 1)
                bd.size = pdns__ecs_option_data(o, data);
            if (!(item = getdns_dict_create())) {
                rc = GETDNS_RETURN_MEMORY_ERROR;
                goto fail;
            }
            if ((rc = getdns_dict_set_int(item, "option_code", code)) ||
                (rc = getdns_dict_set_bindata(item, "option_data", &bd)) ||
                (rc = getdns_list_set_dict(opts, n++, item)))
                goto fail;
            getdns_dict_destroy(item);
            item = NULL;
        }
        if (n && (rc = getdns_dict_set_list(opt, "options", opts)))
            goto fail;
    }
    if ((rc = getdns_dict_set_dict(ext, "add_opt_parameters", opt)))
        goto fail;
    rc = GETDNS_RETURN_GOOD;
    *out = ext;
    ext = NULL;
fail:
    if (item)
        getdns_dict_destroy(item);
    if (opts)
        getdns_list_destroy(opts);
    if (hdr)
        getdns_dict_destroy(hdr);
    if (opt)
        getdns_dict_destroy(opt);
    if (ext)
        getdns_dict_destroy(ext);
    return rc;
}

static pdns_status gd_query_send(pdns__transport *t, const char *qname, uint16_t qtype, int tcp,
                                 const pdns__ecs *ecs, pdns__reply_cb cb, void *arg)
{
    gd_query *q;
    getdns_transaction_t tid;
    getdns_return_t rc;
    char err[128];
    int qlen;
    getdns_dict *ext = NULL;

    if (!t->ctx[tcp ? 1 : 0]) {
        pdns_status st = gd_context(t, tcp ? 1 : 0, err, sizeof err);
        if (st != PDNS_OK)
            return st;
    }
    if (!(q = malloc(sizeof *q)))
        return PDNS_ERR_NOMEM;
    if ((qlen = pdns__dns_name_to_wire(qname, q->qname, sizeof q->qname)) < 0) {
        free(q);
        return PDNS_ERR_INVALID;
    }
    q->qlen = (size_t)qlen;
    q->t = t;
    q->cb = cb;
    q->arg = arg;
    q->qtype = qtype;
    q->shaped = t->shaped || ecs;
    if (q->shaped) {
        pdns__qopts o = t->qo;
        pdns__qopts_set_ecs(&o, ecs);
        if ((rc = shape_ext(&o, &ext)) != GETDNS_RETURN_GOOD) {
            free(q);
            return rc == GETDNS_RETURN_MEMORY_ERROR ? PDNS_ERR_NOMEM : PDNS_ERR_GETDNS;
        }
    }
    q->sent_ns = uv_hrtime();
    rc = getdns_general(t->ctx[tcp ? 1 : 0], qname, qtype, ext, q, &tid, gd_callback);
    if (ext) /* read while the request is made */
        getdns_dict_destroy(ext);
    if (rc != GETDNS_RETURN_GOOD) {
        free(q);
        return rc == GETDNS_RETURN_MEMORY_ERROR ? PDNS_ERR_NOMEM : PDNS_ERR_GETDNS;
    }
    return PDNS_OK;
}

static void gd_destroy(pdns__transport *t)
{
    if (!t)
        return;
    for (int i = 0; i < 2; i++)
        if (t->ctx[i])
            getdns_context_destroy(t->ctx[i]);
    pdns__codec_free(t->codec);
    free(t);
}

static void gd_release_shared(void *shared)
{
    pdns__gdloop_release(shared);
}

const pdns__transport_vt pdns__transport_getdns = {
    .release_shared = gd_release_shared,
    .name = "getdns",
    .create = gd_create,
    .query = gd_query_send,
    .destroy = gd_destroy,
};
