/* transport_udp.c - the lean UDP transport: our own sockets on libuv, getdns for text.
 * SPDX-License-Identifier: MIT */
#include <getdns/getdns_extra.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "gdrecords.h"
#include "transport.h"

/* IMPLEMENTATION NOTES
 * Why: the getdns stub path opens a UDP socket per query (about 21 syscalls, 12 of
 * them epoll_ctl) and builds a reply dict with ~150 mallocs. Here each server has a
 * small pool of connected UDP sockets that live for the whole run.
 * - Sockets: NSOCK per server, each bound to a kernel-chosen (random) source port and
 *   connected to the server, so the kernel already drops datagrams from any other
 *   address or port. Receive with recvmmsg batches (UV_UDP_RECVMMSG) into one buffer
 *   shared by every socket of the runner (callbacks never overlap).
 * - Matching: random 16-bit IDs, unique per socket, in an open-addressing table sized
 *   to a power of two above the socket's share of in-flight queries. An answer must
 *   carry a known ID, QR set, one question equal (case-insensitively) to ours, same
 *   type and class IN; anything else is counted as stray and ignored, so the real
 *   answer, or the timeout, still comes.
 * - Timeouts: every query has the same per-attempt timeout, so deadlines are in send
 *   order: one FIFO list and one timer armed for its head. O(1) per query.
 * - Records: only answers with ancount > 0 are decoded, through getdns
 *   (getdns_wire2msg_dict, then getdns_rr_dict2str as the getdns transport does), so
 *   both transports give the same text (and the same checks: a cut answer section is
 *   malformed). The header's authority and additional counts are zeroed first, so
 *   getdns decodes the question and answer sections only. Header-only answers
 *   (NXDOMAIN, NODATA, SERVFAIL, REFUSED, TC) cost no decoding at all.
 * - TC: the engine asks again with tcp set; that goes to a getdns TCP transport for
 *   the same server, created on first use.
 * - No malloc per query: query slots come from a free list grown in blocks. */

#define NSOCK       4
#define RXBUF_SIZE  (64 * 1024 * 16) /* room for 16 datagrams per recvmmsg call */
#define QWIRE_MAX   256
#define EDNS_UDP_SZ 1232

typedef struct uq uq;
struct uq {
    uq *next, *prev; /* deadline FIFO, or the free list (next) */
    uint64_t deadline_ns;
    uint16_t id, qtype;
    uint16_t qlen;
    int sock;
    pdns__reply_cb cb;
    void *arg;
    uint8_t qname[QWIRE_MAX]; /* wire-format name, as sent */
};

typedef struct lean_shared {
    void *gd_shared; /* getdns transport's shared state (TCP fallback) */
    char *rxbuf;
    int rx_in_use;
    int refs;
} lean_shared;

typedef struct usock {
    uv_udp_t h;
    pdns__transport *t;
    uq **slots;
    size_t mask;
    size_t used;
} usock;

struct pdns__transport {
    uv_loop_t *loop;
    lean_shared *sh;
    pdns__addr addr;
    unsigned timeout_ms;
    int dnssec;
    usock socks[NSOCK];
    int nsock;
    unsigned next_sock;
    uv_timer_t timer;
    uq *to_head, *to_tail;
    uq *free_list;
    void **blocks;
    size_t n_blocks;
    uint64_t rng;
    uint64_t stray;       /* datagrams that matched no pending query */
    uint64_t send_failed; /* sends refused by the socket (buffer full) */
    pdns__transport *tcp; /* getdns transport for TC fallback */
    int handles;
    int destroyed;
};

static uint16_t rand16(pdns__transport *t)
{
    uint64_t x = t->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    t->rng = x;
    return (uint16_t)((x * 0x2545F4914F6CDD1DULL) >> 48);
}

/* ---- query slots ---------------------------------------------------------------- */

static uq *uq_get(pdns__transport *t)
{
    uq *q;
    if (!t->free_list) {
        enum { BLOCK = 256 };
        uq *b = calloc(BLOCK, sizeof *b);
        void **nb = realloc(t->blocks, (t->n_blocks + 1) * sizeof *nb);
        if (!b || !nb) {
            free(b);
            if (nb)
                t->blocks = nb;
            return NULL;
        }
        t->blocks = nb;
        t->blocks[t->n_blocks++] = b;
        for (int i = 0; i < BLOCK; i++) {
            b[i].next = t->free_list;
            t->free_list = &b[i];
        }
    }
    q = t->free_list;
    t->free_list = q->next;
    return q;
}

static void uq_put(pdns__transport *t, uq *q)
{
    q->next = t->free_list;
    t->free_list = q;
}

/* ID table of one socket: open addressing with linear probing, keyed by ID. */
static int table_grow(usock *s)
{
    size_t ncap = s->slots ? (s->mask + 1) * 2 : 256;
    uq **n = calloc(ncap, sizeof *n);
    if (!n || ncap > 65536) {
        free(n);
        return -1;
    }
    for (size_t i = 0; s->slots && i <= s->mask; i++) {
        uq *q = s->slots[i];
        if (q) {
            size_t k = q->id & (ncap - 1);
            while (n[k])
                k = (k + 1) & (ncap - 1);
            n[k] = q;
        }
    }
    free(s->slots);
    s->slots = n;
    s->mask = ncap - 1;
    return 0;
}

static size_t table_find(const usock *s, uint16_t id)
{
    size_t k = id & s->mask;
    while (s->slots[k]) {
        if (s->slots[k]->id == id)
            return k;
        k = (k + 1) & s->mask;
    }
    return (size_t)-1;
}

/* Remove slot k, re-inserting the rest of its probe cluster (no tombstones). */
static void table_del(usock *s, size_t k)
{
    s->slots[k] = NULL;
    s->used--;
    for (size_t j = (k + 1) & s->mask; s->slots[j]; j = (j + 1) & s->mask) {
        uq *q = s->slots[j];
        size_t h = q->id & s->mask;
        s->slots[j] = NULL;
        while (s->slots[h])
            h = (h + 1) & s->mask;
        s->slots[h] = q;
    }
}

/* ---- deadlines ------------------------------------------------------------------- */

static void timer_cb(uv_timer_t *tm);

static void to_unlink(pdns__transport *t, uq *q)
{
    if (q->prev)
        q->prev->next = q->next;
    else
        t->to_head = q->next;
    if (q->next)
        q->next->prev = q->prev;
    else
        t->to_tail = q->prev;
    q->next = q->prev = NULL;
}

static void arm(pdns__transport *t, uint64_t now)
{
    if (!t->to_head) {
        uv_timer_stop(&t->timer);
        return;
    }
    uint64_t d = t->to_head->deadline_ns > now ? t->to_head->deadline_ns - now : 0;
    uv_timer_start(&t->timer, timer_cb, (d + 999999) / 1000000, 0);
}

/* Deliver one outcome for q and release it (it must be out of the table and list). */
static void finish(pdns__transport *t, uq *q, const pdns__reply *rep)
{
    pdns__reply_cb cb = q->cb;
    void *arg = q->arg;
    uq_put(t, q);
    cb(arg, rep);
}

static void timer_cb(uv_timer_t *tm)
{
    pdns__transport *t = tm->data;
    uint64_t now = uv_hrtime();
    pdns__reply rep = {.kind = PDNS__T_TIMEOUT, .rcode = -1};
    while (t->to_head && t->to_head->deadline_ns <= now + 500000) {
        uq *q = t->to_head;
        usock *s = &t->socks[q->sock];
        size_t k = table_find(s, q->id);
        to_unlink(t, q);
        if (k != (size_t)-1)
            table_del(s, k);
        finish(t, q, &rep);
    }
    arm(t, uv_hrtime());
}

/* ---- receiving ------------------------------------------------------------------- */

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    usock *s = h->data;
    lean_shared *sh = s->t->sh;
    (void)suggested;
    if (sh->rx_in_use) { /* never expected: callbacks do not nest */
        buf->base = NULL;
        buf->len = 0;
        return;
    }
    sh->rx_in_use = 1;
    buf->base = sh->rxbuf;
    buf->len = RXBUF_SIZE;
}

/* Compare wire names case-insensitively (the question is never compressed). */
static int qname_equal(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    if (alen != blen)
        return 0;
    for (size_t i = 0; i < alen; i++) {
        uint8_t x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z')
            x = (uint8_t)(x + 32);
        if (y >= 'A' && y <= 'Z')
            y = (uint8_t)(y + 32);
        if (x != y)
            return 0;
    }
    return 1;
}

/* Check one datagram against the socket's pending queries; deliver when it matches. */
static void on_datagram(usock *s, uint8_t *p, size_t n)
{
    pdns__transport *t = s->t;
    uint16_t id, flags, qd, an, qtype, qclass;
    size_t k, off = 12, qstart;
    uq *q;

    if (n < 12) {
        t->stray++;
        return;
    }
    id = (uint16_t)(p[0] << 8 | p[1]);
    flags = (uint16_t)(p[2] << 8 | p[3]);
    qd = (uint16_t)(p[4] << 8 | p[5]);
    an = (uint16_t)(p[6] << 8 | p[7]);
    if (!(flags & 0x8000) || qd > 1 || (k = table_find(s, id)) == (size_t)-1) {
        t->stray++;
        return;
    }
    q = s->slots[k];
    if (qd == 0) {
        /* some servers send error answers without the question: accept those
         * (FORMERR, SERVFAIL, NOTIMP, REFUSED) on the ID alone, nothing else */
        int rc = flags & 0xF;
        if ((rc != 1 && rc != 2 && rc != 4 && rc != 5) || an) {
            t->stray++;
            return;
        }
        table_del(s, k);
        to_unlink(t, q);
        pdns__reply er = {.kind = PDNS__T_ANSWER, .rcode = rc, .tc = 0};
        finish(t, q, &er);
        return;
    }
    /* the question: labels up to the root, then type and class */
    qstart = off;
    while (off < n && p[off] != 0) {
        if (p[off] & 0xC0) { /* a compressed question is not ours */
            t->stray++;
            return;
        }
        off += (size_t)p[off] + 1;
    }
    if (off + 5 > n) {
        t->stray++;
        return;
    }
    off++;
    qtype = (uint16_t)(p[off] << 8 | p[off + 1]);
    qclass = (uint16_t)(p[off + 2] << 8 | p[off + 3]);
    if (qtype != q->qtype || qclass != 1 ||
        !qname_equal(p + qstart, off - qstart, q->qname, q->qlen)) {
        t->stray++;
        return;
    }
    table_del(s, k);
    to_unlink(t, q);

    pdns__reply rep = {.kind = PDNS__T_ANSWER, .rcode = flags & 0xF, .tc = !!(flags & 0x0200)};
    if (an == 0 || rep.tc) {
        finish(t, q, &rep);
        return;
    }
    getdns_dict *msg = NULL;
    pdns__gdrecs recs;
    /* Only the answer section is used, and getdns decodes every section it is given:
     * zero NSCOUNT and ARCOUNT in the header (ours: the receive buffer) so that it stops
     * after the answer. An authoritative answer often carries NS records and glue (6 of
     * the 7 records of a host's A answer from NSD); getdns still decodes every record
     * that is used. */
    p[8] = p[9] = p[10] = p[11] = 0;
    if (getdns_wire2msg_dict(p, n, &msg) != GETDNS_RETURN_GOOD || !msg) {
        rep.kind = PDNS__T_MALFORMED;
        rep.error = "malformed answer";
        finish(t, q, &rep);
        return;
    }
    pdns__gdrecs_from_reply(msg, &rep, &recs);
    finish(t, q, &rep);
    pdns__gdrecs_free(&recs);
    getdns_dict_destroy(msg);
}

static void recv_cb(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf, const struct sockaddr *addr,
                    unsigned flags)
{
    usock *s = h->data;
    lean_shared *sh = s->t->sh;
    if (nread > 0 && addr)
        on_datagram(s, (uint8_t *)buf->base, (size_t)nread);
    /* the buffer is ours again unless more chunks of the same batch follow */
    if (!(flags & UV_UDP_MMSG_CHUNK))
        sh->rx_in_use = 0;
}

/* ---- sending ------------------------------------------------------------------- */

/* Presentation name (absolute, "\\DDD" and "\\X" escapes allowed) to wire format.
 * Returns the length, or -1. */
static int name_to_wire(const char *name, uint8_t *out, size_t cap)
{
    size_t o = 0;
    const char *p = name;
    if (!strcmp(name, ".")) {
        out[0] = 0;
        return 1;
    }
    while (*p) {
        size_t lenpos = o++;
        int len = 0;
        if (o >= cap)
            return -1;
        while (*p && *p != '.') {
            int c = (unsigned char)*p++;
            if (c == '\\') {
                if (p[0] >= '0' && p[0] <= '9' && p[1] >= '0' && p[1] <= '9' && p[2] >= '0' &&
                    p[2] <= '9') {
                    c = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
                    p += 3;
                    if (c > 255)
                        return -1;
                } else if (*p) {
                    c = (unsigned char)*p++;
                } else {
                    return -1;
                }
            }
            if (o >= cap || ++len > 63)
                return -1;
            out[o++] = (uint8_t)c;
        }
        if (len == 0)
            return -1; /* empty label */
        out[lenpos] = (uint8_t)len;
        if (*p == '.')
            p++;
    }
    if (o >= cap)
        return -1;
    out[o++] = 0;
    return o > 255 ? -1 : (int)o;
}

static pdns_status lean_query(pdns__transport *t, const char *qname, uint16_t qtype, int tcp,
                              pdns__reply_cb cb, void *arg)
{
    uint8_t pkt[12 + QWIRE_MAX + 4 + 11];
    uq *q;
    usock *s;
    int qlen, rc;
    size_t k, len;
    uint64_t now;

    if (tcp) {
        if (!t->tcp) {
            char err[128];
            pdns_status st =
                pdns__transport_getdns.create(t->loop, &t->sh->gd_shared, &t->addr, t->timeout_ms,
                                              t->dnssec, &t->tcp, err, sizeof err);
            if (st != PDNS_OK)
                return st;
        }
        return pdns__transport_getdns.query(t->tcp, qname, qtype, 1, cb, arg);
    }
    if (!(q = uq_get(t)))
        return PDNS_ERR_NOMEM;
    if ((qlen = name_to_wire(qname, q->qname, sizeof q->qname)) < 0) {
        uq_put(t, q);
        return PDNS_ERR_INVALID;
    }
    q->qlen = (uint16_t)qlen;
    q->qtype = qtype;
    q->cb = cb;
    q->arg = arg;
    q->sock = (int)(t->next_sock++ % (unsigned)t->nsock);
    s = &t->socks[q->sock];
    if ((s->used + 1) * 2 > s->mask + 1 && table_grow(s) != 0) {
        uq_put(t, q);
        return PDNS_ERR_NOMEM;
    }
    do
        q->id = rand16(t);
    while (table_find(s, q->id) != (size_t)-1);

    /* header: ID, RD, one question, one additional (EDNS0 OPT) */
    memset(pkt, 0, 12);
    pkt[0] = (uint8_t)(q->id >> 8);
    pkt[1] = (uint8_t)q->id;
    pkt[2] = 0x01; /* RD */
    pkt[5] = 1;
    pkt[11] = 1;
    memcpy(pkt + 12, q->qname, q->qlen);
    len = 12 + q->qlen;
    pkt[len++] = (uint8_t)(qtype >> 8);
    pkt[len++] = (uint8_t)qtype;
    pkt[len++] = 0;
    pkt[len++] = 1; /* IN */
    /* OPT: root name, type 41, UDP size, ext-rcode/version/flags 0, no rdata */
    pkt[len++] = 0;
    pkt[len++] = 0;
    pkt[len++] = 41;
    pkt[len++] = (uint8_t)(EDNS_UDP_SZ >> 8);
    pkt[len++] = (uint8_t)(EDNS_UDP_SZ & 0xFF);
    memset(pkt + len, 0, 6);
    len += 6;

    uv_buf_t b = uv_buf_init((char *)pkt, (unsigned)len);
    rc = uv_udp_try_send(&s->h, &b, 1, NULL);
    if (rc < 0)
        t->send_failed++; /* like a dropped packet: the timeout, then a retry, follow */
    k = q->id & s->mask;
    while (s->slots[k])
        k = (k + 1) & s->mask;
    s->slots[k] = q;
    s->used++;
    now = uv_hrtime();
    q->deadline_ns = now + (uint64_t)t->timeout_ms * 1000000ull;
    q->next = NULL;
    q->prev = t->to_tail;
    if (t->to_tail)
        t->to_tail->next = q;
    else
        t->to_head = q;
    t->to_tail = q;
    if (t->to_head == q)
        arm(t, now);
    return PDNS_OK;
}

/* ---- lifecycle ----------------------------------------------------------------- */

static void free_transport(pdns__transport *t)
{
    for (int i = 0; i < NSOCK; i++)
        free(t->socks[i].slots);
    for (size_t i = 0; i < t->n_blocks; i++)
        free(t->blocks[i]);
    free(t->blocks);
    free(t);
}

static void on_closed(uv_handle_t *h)
{
    pdns__transport *t = h->type == UV_UDP ? ((usock *)h->data)->t : (pdns__transport *)h->data;
    if (--t->handles == 0 && t->destroyed)
        free_transport(t);
}

/* One reference per transport plus the creator's; the last one frees. */
static void lean_release_shared(void *shared)
{
    lean_shared *sh = shared;
    if (!sh || --sh->refs > 0)
        return;
    if (sh->gd_shared)
        pdns__transport_getdns.release_shared(sh->gd_shared);
    free(sh->rxbuf);
    free(sh);
}

static void lean_destroy(pdns__transport *t)
{
    if (!t)
        return;
    if (t->tcp)
        pdns__transport_getdns.destroy(t->tcp);
    t->tcp = NULL;
    t->destroyed = 1;
    lean_release_shared(t->sh);
    if (t->handles == 0) {
        free_transport(t);
        return;
    }
    for (int i = 0; i < t->nsock; i++)
        uv_close((uv_handle_t *)&t->socks[i].h, on_closed);
    uv_close((uv_handle_t *)&t->timer, on_closed);
}

static pdns_status lean_create(uv_loop_t *loop, void **shared, const pdns__addr *server,
                               unsigned timeout_ms, int dnssec, pdns__transport **out, char *err,
                               size_t errcap)
{
    pdns__transport *t;
    lean_shared *sh = *shared;
    struct sockaddr_storage ss, any;
    socklen_t sl;
    int rc = 0;

    if (!sh) {
        if (!(sh = calloc(1, sizeof *sh)) || !(sh->rxbuf = malloc(RXBUF_SIZE))) {
            free(sh);
            return PDNS_ERR_NOMEM;
        }
        sh->refs = 1; /* the creator's hold, dropped by release_shared */
        *shared = sh;
    }
    if (!(t = calloc(1, sizeof *t)))
        return PDNS_ERR_NOMEM;
    t->loop = loop;
    t->sh = sh;
    t->addr = *server;
    t->timeout_ms = timeout_ms;
    t->dnssec = dnssec;
    t->rng = uv_hrtime() ^ ((uint64_t)(uintptr_t)t << 17) ^ 0x9E3779B97F4A7C15ULL;
    sl = pdns__addr_sockaddr(server, &ss);
    memset(&any, 0, sizeof any);
    any.ss_family = ss.ss_family;
    if ((rc = uv_timer_init(loop, &t->timer)) != 0)
        goto fail;
    t->timer.data = t;
    t->handles++;
    for (int i = 0; i < NSOCK; i++) {
        usock *s = &t->socks[i];
        int bufsz = 4 << 20;
        s->t = t;
        if ((rc = uv_udp_init_ex(loop, &s->h, ss.ss_family | UV_UDP_RECVMMSG)) != 0)
            goto fail;
        s->h.data = s;
        t->handles++;
        t->nsock++;
        if ((rc = uv_udp_bind(&s->h, (const struct sockaddr *)&any, 0)) != 0 ||
            (rc = uv_udp_connect(&s->h, (const struct sockaddr *)&ss)) != 0)
            goto fail;
        (void)uv_recv_buffer_size((uv_handle_t *)&s->h, &bufsz);
        if ((rc = table_grow(s)) != 0) {
            rc = UV_ENOMEM;
            goto fail;
        }
        if ((rc = uv_udp_recv_start(&s->h, alloc_cb, recv_cb)) != 0)
            goto fail;
    }
    (void)sl;
    sh->refs++;
    *out = t;
    return PDNS_OK;
fail:
    snprintf(err, errcap, "UDP socket for %s: %s", server->text, uv_strerror(rc));
    sh->refs++;
    lean_destroy(t);
    return PDNS_ERR_UV;
}

static uint64_t lean_ignored(const pdns__transport *t)
{
    return t->stray;
}

const pdns__transport_vt pdns__transport_udp = {
    .ignored = lean_ignored,
    .name = "udp",
    .create = lean_create,
    .query = lean_query,
    .destroy = lean_destroy,
    .release_shared = lean_release_shared,
};
