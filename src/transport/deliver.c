/* deliver.c - the one path from a matched DNS message to a reply (see deliver.h).
 * SPDX-License-Identifier: MIT */
#include <pthread.h>
#include <string.h>

#include "dns/codec.h"
#include "dns/edns.h"
#include "transport/deliver.h"

/* IMPLEMENTATION NOTES
 * - One codec (dns/codec.c: a reused knot_pkt_t, its arena and text buffers) per
 *   thread, i.e. per event loop: every transport of a loop delivers from that loop's
 *   thread and callbacks never nest, so the buffers of one answer are never in use
 *   while another is decoded. It is created with the thread's first answer and freed
 *   when the thread ends (a pthread key's destructor); the main thread's stays until
 *   the process exits. */

static pthread_key_t codec_key;
static pthread_once_t codec_once = PTHREAD_ONCE_INIT;
static int codec_key_ok;

static void codec_destroy(void *c)
{
    pdns__codec_free(c);
}

static void codec_key_init(void)
{
    codec_key_ok = pthread_key_create(&codec_key, codec_destroy) == 0;
}

/* This thread's codec, or NULL when out of memory. */
static pdns__codec *thread_codec(void)
{
    pdns__codec *c;
    if (pthread_once(&codec_once, codec_key_init) != 0 || !codec_key_ok)
        return NULL;
    if ((c = pthread_getspecific(codec_key)) != NULL)
        return c;
    if (!(c = pdns__codec_new()))
        return NULL;
    if (pthread_setspecific(codec_key, c) != 0) {
        pdns__codec_free(c);
        return NULL;
    }
    return c;
}

/* Contract: see deliver.h. */
void pdns__wire_deliver(uint8_t *p, size_t n, pdns__dns_match m, const pdns__dns_match_result *mr,
                        uint64_t sent_ns, pdns__qopts *qo, pdns__reply_cb cb, void *arg)
{
    pdns__reply rep = {.kind = PDNS__T_ANSWER, .tc = mr->tc, .sent_ns = sent_ns};
    pdns__edns_info ei;
    pdns__codec *c;
    pdns__codec_answer ca;
    pdns__codec_status cs;

    if (m == PDNS__MATCH_HEADER_ERROR) {
        /* matched on the ID alone: such an answer may only make us ask elsewhere */
        pdns__reply er = {
            .kind = PDNS__T_MALFORMED, .rcode = -1, .error = mr->why, .sent_ns = sent_ns};
        cb(arg, &er);
        return;
    }
    if (!(c = thread_codec())) {
        rep.kind = PDNS__T_ERROR;
        rep.rcode = -1;
        rep.error = "out of memory";
        cb(arg, &rep);
        return;
    }
    if (qo) { /* what the answer says about flags and EDNS (a cut section: what came before) */
        (void)pdns__edns_parse(p, n, qo, &ei);
        rep.edns = &ei;
        if (ei.cookie == PDNS__COOKIE_OK) { /* RFC 7873 5.3: send it from now on */
            memcpy(qo->server_cookie, ei.server_cookie, ei.server_cookie_len);
            qo->server_cookie_len = (uint8_t)ei.server_cookie_len;
        }
        if (ei.rcode == PDNS__RCODE_BADCOOKIE) {
            /* the server wants its cookie: unusable, asked again (with it when it came) */
            rep.kind = PDNS__T_MALFORMED;
            rep.rcode = -1;
            rep.edns = NULL;
            rep.error = ei.cookie == PDNS__COOKIE_OK
                            ? "BADCOOKIE (asked again with the server cookie it sent)"
                            : "BADCOOKIE without a valid server cookie";
            cb(arg, &rep);
            return;
        }
    }
    /* header-only answers (NXDOMAIN, NODATA, errors) and TC answers need no records:
     * only the rcode, extended by an OPT record when there is one */
    if (mr->ancount == 0 || mr->tc)
        cs = pdns__codec_rcode(c, p, n, mr->qend, &ca);
    else
        cs = pdns__codec_decode(c, p, n, &ca);
    if (cs == PDNS__CODEC_OK) {
        rep.rcode = ca.rcode;
        rep.n_rr = ca.n_rr;
        rep.rr = ca.rr;
    } else {
        rep.kind = cs == PDNS__CODEC_NOMEM ? PDNS__T_ERROR : PDNS__T_MALFORMED;
        rep.rcode = -1;
        rep.error = cs == PDNS__CODEC_NOMEM ? "out of memory" : "malformed answer";
    }
    cb(arg, &rep);
}
