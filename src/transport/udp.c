/* udp.c - the lean UDP transport: our own sockets on libuv, libknot for text.
 * SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <sys/random.h>
#include <string.h>
#include <uv.h>

#include "dns/edns.h"
#include "dns/match.h"
#include "dns/query.h"
#include "transport/deliver.h"
#include "transport/transport.h"

/* IMPLEMENTATION NOTES
 * Why: the getdns stub path opens a UDP socket per query (about 21 syscalls, 12 of
 * them epoll_ctl) and builds a reply dict with ~150 mallocs. Here each server has a
 * small pool of connected UDP sockets, reused for many queries.
 * - Sockets: at least NSOCK_MIN per server, each bound to a kernel-chosen (random)
 *   source port and connected to the server, so the kernel already drops datagrams
 *   from any other address or port. Receive with recvmmsg batches (UV_UDP_RECVMMSG)
 *   into one buffer shared by every socket of the runner (callbacks never overlap).
 * - Source ports rotate: a socket sends at most SOCK_QUERIES queries; then a fresh
 *   socket (a new kernel-chosen port) takes its place and the old one only waits for
 *   the answers to its pending queries; it is closed once none is left (from the send
 *   path or the timer, never from inside its own receive callback). A blind spoofer
 *   thus has to guess the port of the moment as well as the ID.
 * - Matching: IDs from getrandom() (ID_BATCH at a time: one syscall per 256 queries),
 *   unique per socket, in an open-addressing table of SOCK_TABLE slots. A socket holds
 *   at most SOCK_PENDING queries (load <= 1/2); when every socket is full, one more is
 *   opened, so high in-flight counts spread over more ports. An answer must carry a
 *   known ID, QR set, one question equal (case-insensitively) to ours, same type and
 *   class IN; anything else is counted as stray and ignored, so the real answer, or
 *   the timeout, still comes. An error answer without the question (header-only
 *   FORMERR, SERVFAIL, NOTIMP, REFUSED: some servers send those) proves nothing but
 *   the ID: it ends the attempt as MALFORMED, i.e. "retry elsewhere", never a final
 *   status. That check is the pure dns/match.c (unit-tested, fuzzed: fuzz_match);
 *   the query datagram comes from dns/query.c. This file only finds the pending query
 *   by the datagram's ID and acts on the verdict.
 * - Timeouts: every query has the same per-attempt timeout, so deadlines are in send
 *   order: one FIFO list and one timer armed for its head. O(1) per query. The send
 *   time is taken right before the send (the RTT covers the network and the server
 *   only) and reported in the reply.
 * - Unreachable: an ICMP error (port or host unreachable) is reported on a connected
 *   socket as an error of its next receive or send, without saying which query it
 *   was for. Every query pending on that socket then ends at once as UNREACHABLE
 *   (their server is not listening; a query that still gets an answer elsewhere costs
 *   one retry). A send that fails ends its attempt at once too (UNREACHABLE with
 *   send_error), delivered from the timer (never from inside query()).
 * - Records: answers with ancount > 0 are decoded by libknot (transport/deliver.c,
 *   dns/codec.c: parsed in place, records printed straight into one reused buffer; a
 *   cut answer section is malformed); header-only answers (NXDOMAIN, NODATA, SERVFAIL,
 *   REFUSED) and TC answers only have their rcode read (extended by an OPT record when
 *   there is one). Every transport prints with the same codec (README: Record text).
 * - TC: the engine asks again with tcp set; select.c sends that to getdns over TCP,
 *   never this transport.
 * - Flags and EDNS options (pdns__tcfg.qopts: --no-rd, --no-edns, --edns-size,
 *   --dnssec, --nsid, --cookies, --ecs): the query is shaped by dns/query.c, and every
 *   answer is read by pdns__edns_parse in pdns__wire_deliver (AD, RRSIG count, NSID, the
 *   cookie check, the extended rcode) beside the codec's decoding; the reply carries that
 *   reading. Plain transports (the default) pay nothing for it. Cookies
 *   (RFC 7873): a client cookie per server; the server cookie of an answer whose check
 *   passed is sent back from then on; a BADCOOKIE answer is unusable (MALFORMED: the
 *   engine asks again, then with the server's cookie). The stream and DoH transports do
 *   the same.
 * - No malloc per query: query slots come from a free list grown in blocks. */

#define NSOCK_MIN    4    /* sockets per server at least */
#define SOCK_PENDING 256  /* pending queries per socket at most */
#define SOCK_TABLE   512  /* ID table slots per socket (a power of two, 2 x SOCK_PENDING) */
#define SOCK_QUERIES 1000 /* queries from one source port before it is replaced */
#define ID_BATCH     256  /* IDs drawn per getrandom() call */
#define RXBUF_SIZE   (64 * 1024 * 16)          /* room for 16 datagrams per recvmmsg call */
#define QWIRE_MAX    (PDNS__WIRE_NAME_MAX + 1) /* room for a name, with a byte to spare */
#define EDNS_UDP_SZ  1232

typedef struct usock usock;

typedef struct uq uq;
struct uq {
    uq *next, *prev; /* deadline FIFO, the failed list (next) or the free list (next) */
    uint64_t sent_ns, deadline_ns;
    uint16_t id, qtype;
    uint16_t qlen;
    uint8_t shaped;    /* sent shaped (the server's options or an ECS of its own) */
    int send_error;    /* failed list: 1 the send failed, 0 ICMP */
    const char *error; /* failed list: why */
    usock *sock;
    pdns__reply_cb cb;
    void *arg;
    uint8_t qname[QWIRE_MAX]; /* wire-format name, as sent */
};

typedef struct lean_shared {
    char *rxbuf;
    int rx_in_use;
    int refs;
    unsigned n_ids;         /* unused IDs left in ids[] */
    uint16_t ids[ID_BATCH]; /* from getrandom() */
} lean_shared;

struct usock {
    uv_udp_t h;
    pdns__transport *t;
    usock *next;   /* on the retired list */
    unsigned used; /* pending queries */
    unsigned sent; /* queries sent from this port */
    int retired;   /* replaced: takes no new query; closed once used == 0 */
    int closing;   /* uv_close called */
    uq *slots[SOCK_TABLE];
};

struct pdns__transport {
    uv_loop_t *loop;
    lean_shared *sh;
    pdns__addr addr;
    struct sockaddr_storage ss; /* the server */
    unsigned timeout_ms;
    usock **act; /* sockets taking new queries */
    size_t n_act, cap_act;
    size_t next_sock;
    usock *retired; /* replaced sockets still waiting for answers */
    uv_timer_t timer;
    uq *to_head, *to_tail;
    uq *fail_head, *fail_tail; /* ended at once; delivered from the timer */
    uq *free_list;
    void **blocks;
    size_t n_blocks;
    uint64_t stray; /* datagrams that matched no pending query */
    int handles;
    int destroyed;
    int shaped;     /* cfg->qopts given: queries shaped by qo, answers read */
    pdns__qopts qo; /* flags and EDNS options of every query */
};

/* Next query ID: random from the kernel, drawn ID_BATCH at a time. 0, or -1 when
 * getrandom() fails. */
static int next_id(lean_shared *sh, uint16_t *id)
{
    if (sh->n_ids == 0) {
        size_t got = 0;
        while (got < sizeof sh->ids) {
            ssize_t n = getrandom((char *)sh->ids + got, sizeof sh->ids - got, 0);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                return -1;
            got += (size_t)n;
        }
        sh->n_ids = ID_BATCH;
    }
    *id = sh->ids[--sh->n_ids];
    return 0;
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
static size_t table_find(const usock *s, uint16_t id)
{
    size_t k = id & (SOCK_TABLE - 1);
    while (s->slots[k]) {
        if (s->slots[k]->id == id)
            return k;
        k = (k + 1) & (SOCK_TABLE - 1);
    }
    return (size_t)-1;
}

static void table_add(usock *s, uq *q)
{
    size_t k = q->id & (SOCK_TABLE - 1);
    while (s->slots[k])
        k = (k + 1) & (SOCK_TABLE - 1);
    s->slots[k] = q;
    s->used++;
}

/* Remove slot k, re-inserting the rest of its probe cluster (no tombstones). */
static void table_del(usock *s, size_t k)
{
    const size_t mask = SOCK_TABLE - 1;
    s->slots[k] = NULL;
    s->used--;
    for (size_t j = (k + 1) & mask; s->slots[j]; j = (j + 1) & mask) {
        uq *q = s->slots[j];
        size_t h = q->id & mask;
        s->slots[j] = NULL;
        while (s->slots[h])
            h = (h + 1) & mask;
        s->slots[h] = q;
    }
}

/* ---- sockets --------------------------------------------------------------------- */

static void free_transport(pdns__transport *t)
{
    for (size_t i = 0; i < t->n_blocks; i++)
        free(t->blocks[i]);
    free(t->blocks);
    free(t->act);
    free(t);
}

static void on_sock_closed(uv_handle_t *h)
{
    usock *s = h->data;
    pdns__transport *t = s->t;
    free(s);
    if (--t->handles == 0 && t->destroyed)
        free_transport(t);
}

static void sock_close(usock *s)
{
    if (s->closing)
        return;
    s->closing = 1;
    uv_close((uv_handle_t *)&s->h, on_sock_closed);
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf);
static void recv_cb(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf, const struct sockaddr *addr,
                    unsigned flags);

/* A new socket on a kernel-chosen port, connected to the server and receiving.
 * Returns it, or NULL with *rcp set to the libuv error. */
static usock *sock_open(pdns__transport *t, int *rcp)
{
    struct sockaddr_storage any;
    int rc, bufsz = 4 << 20;
    usock *s = calloc(1, sizeof *s);

    if (!s) {
        *rcp = UV_ENOMEM;
        return NULL;
    }
    s->t = t;
    if ((rc = uv_udp_init_ex(t->loop, &s->h, t->ss.ss_family | UV_UDP_RECVMMSG)) != 0) {
        free(s);
        *rcp = rc;
        return NULL;
    }
    s->h.data = s;
    t->handles++;
    memset(&any, 0, sizeof any);
    any.ss_family = t->ss.ss_family;
    if ((rc = uv_udp_bind(&s->h, (const struct sockaddr *)&any, 0)) != 0 ||
        (rc = uv_udp_connect(&s->h, (const struct sockaddr *)&t->ss)) != 0)
        goto fail;
    (void)uv_recv_buffer_size((uv_handle_t *)&s->h, &bufsz); /* best effort */
    if ((rc = uv_udp_recv_start(&s->h, alloc_cb, recv_cb)) != 0)
        goto fail;
    return s;
fail:
    sock_close(s);
    *rcp = rc;
    return NULL;
}

/* Close the retired sockets whose queries have all ended (not from their callbacks). */
static void sweep_retired(pdns__transport *t)
{
    usock **pp = &t->retired;
    while (*pp) {
        usock *s = *pp;
        if (s->used == 0) {
            *pp = s->next;
            sock_close(s);
        } else {
            pp = &s->next;
        }
    }
}

/* The socket for the next query: round-robin over the active sockets; one that has
 * sent SOCK_QUERIES is replaced by a fresh one first; when all are full, one more is
 * opened. NULL with *rcp set when a socket cannot be opened. */
static usock *pick_sock(pdns__transport *t, int *rcp)
{
    usock *s;
    for (size_t k = 0; k < t->n_act; k++) {
        size_t i = (t->next_sock + k) % t->n_act;
        s = t->act[i];
        if (s->sent >= SOCK_QUERIES) {
            usock *n = sock_open(t, rcp);
            if (!n)
                return NULL;
            s->retired = 1;
            s->next = t->retired;
            t->retired = s;
            t->act[i] = s = n;
        }
        if (s->used < SOCK_PENDING) {
            t->next_sock = i + 1;
            return s;
        }
    }
    if (t->n_act == t->cap_act) {
        size_t cap = t->cap_act ? t->cap_act * 2 : NSOCK_MIN;
        usock **n = realloc(t->act, cap * sizeof *n);
        if (!n) {
            *rcp = UV_ENOMEM;
            return NULL;
        }
        t->act = n;
        t->cap_act = cap;
    }
    if (!(s = sock_open(t, rcp)))
        return NULL;
    t->act[t->n_act++] = s;
    t->next_sock = t->n_act;
    return s;
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

/* Arm the timer for the first due event: a failed attempt (now) or the oldest deadline. */
static void arm(pdns__transport *t, uint64_t now)
{
    uint64_t d;
    if (t->fail_head) {
        d = 0;
    } else if (t->to_head) {
        d = t->to_head->deadline_ns > now ? t->to_head->deadline_ns - now : 0;
    } else {
        uv_timer_stop(&t->timer);
        return;
    }
    uv_timer_start(&t->timer, timer_cb, (d + 999999) / 1000000, 0);
}

/* Deliver one outcome for q and release it (it must be out of the table and lists). */
static void finish(pdns__transport *t, uq *q, const pdns__reply *rep)
{
    pdns__reply_cb cb = q->cb;
    void *arg = q->arg;
    uq_put(t, q);
    cb(arg, rep);
}

/* Queue q (in no table or list) to end as UNREACHABLE from the timer. */
static void fail_later(pdns__transport *t, uq *q, const char *why, int send_error)
{
    q->error = why;
    q->send_error = send_error;
    q->next = NULL;
    if (t->fail_tail)
        t->fail_tail->next = q;
    else
        t->fail_head = q;
    t->fail_tail = q;
}

/* Take every query pending on s out of its table and the deadline list; they are
 * chained through next, in no particular order. */
static uq *take_pending(pdns__transport *t, usock *s)
{
    uq *list = NULL;
    for (size_t k = 0; k < SOCK_TABLE && s->used; k++) {
        uq *q = s->slots[k];
        if (!q)
            continue;
        s->slots[k] = NULL;
        s->used--;
        to_unlink(t, q);
        q->next = list;
        list = q;
    }
    return list;
}

static void timer_cb(uv_timer_t *tm)
{
    pdns__transport *t = tm->data;
    uint64_t now;
    pdns__reply rep = {.kind = PDNS__T_TIMEOUT, .rcode = -1};

    while (t->fail_head) {
        uq *q = t->fail_head;
        pdns__reply fr = {.kind = PDNS__T_UNREACHABLE,
                          .rcode = -1,
                          .error = q->error,
                          .sent_ns = q->sent_ns,
                          .send_error = q->send_error};
        t->fail_head = q->next;
        if (!t->fail_head)
            t->fail_tail = NULL;
        finish(t, q, &fr);
    }
    now = uv_hrtime();
    while (t->to_head && t->to_head->deadline_ns <= now + 500000) {
        uq *q = t->to_head;
        size_t k = table_find(q->sock, q->id);
        to_unlink(t, q);
        if (k != (size_t)-1)
            table_del(q->sock, k);
        rep.sent_ns = q->sent_ns;
        finish(t, q, &rep);
    }
    sweep_retired(t);
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

/* Check one datagram against the socket's pending queries (dns/match.c decides);
 * deliver when it answers one. */
static void on_datagram(usock *s, uint8_t *p, size_t n)
{
    pdns__transport *t = s->t;
    pdns__dns_match_result mr;
    pdns__dns_match m;
    size_t k;
    uq *q;

    if (n < PDNS__WIRE_HDR_LEN || (k = table_find(s, pdns__wire_get_id(p))) == (size_t)-1) {
        t->stray++;
        return;
    }
    q = s->slots[k];
    m = pdns__dns_match_answer(
        p, n,
        &(pdns__dns_query){.id = q->id, .qtype = q->qtype, .qname = q->qname, .qlen = q->qlen},
        &mr);
    if (m != PDNS__MATCH_ANSWER && m != PDNS__MATCH_HEADER_ERROR) {
        t->stray++;
        return;
    }
    table_del(s, k);
    to_unlink(t, q);
    {
        pdns__reply_cb cb = q->cb;
        void *arg = q->arg;
        uint64_t sent_ns = q->sent_ns;
        int shaped = q->shaped;
        uq_put(t, q);
        pdns__wire_deliver(p, n, m, &mr, sent_ns, shaped ? &t->qo : NULL, cb, arg);
    }
}

/* Text for an error that means "the server cannot be reached" (ICMP, reported on a
 * connected socket), or NULL for any other error. */
static const char *unreachable_error(int err)
{
    switch (err) {
    case UV_ECONNREFUSED:
        return "port unreachable (ICMP: connection refused)";
    case UV_EHOSTUNREACH:
        return "host unreachable (ICMP)";
    case UV_ENETUNREACH:
        return "network unreachable (ICMP)";
    default:
        return NULL;
    }
}

static void recv_cb(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf, const struct sockaddr *addr,
                    unsigned flags)
{
    usock *s = h->data;
    pdns__transport *t = s->t;
    lean_shared *sh = t->sh;
    const char *why;
    if (nread > 0 && addr) {
        on_datagram(s, (uint8_t *)buf->base, (size_t)nread);
    } else if (nread < 0 && (why = unreachable_error((int)nread)) != NULL) {
        /* ICMP for one of this socket's queries (which one is not said): the server
         * does not listen, so every query pending here ends now */
        uq *q = take_pending(t, s);
        while (q) {
            uq *next = q->next;
            pdns__reply rep = {
                .kind = PDNS__T_UNREACHABLE, .rcode = -1, .error = why, .sent_ns = q->sent_ns};
            finish(t, q, &rep);
            q = next;
        }
        arm(t, uv_hrtime());
    }
    /* the buffer is ours again unless more chunks of the same batch follow */
    if (!(flags & UV_UDP_MMSG_CHUNK))
        sh->rx_in_use = 0;
}

/* ---- sending ------------------------------------------------------------------- */

/* Text of a failed send (static). */
static const char *send_error_text(int err)
{
    switch (err) {
    case UV_EAGAIN:
        return "send failed: socket buffer full";
    case UV_ENOBUFS:
        return "send failed: no buffer space";
    case UV_EPERM:
    case UV_EACCES:
        return "send failed: not permitted (firewall?)";
    default:
        return "send failed";
    }
}

static pdns_status lean_query(pdns__transport *t, const char *qname, uint16_t qtype, int tcp,
                              const pdns__ecs *ecs, pdns__reply_cb cb, void *arg)
{
    uint8_t pkt[PDNS__DNS_QUERY_OPTS_MAX];
    uq *q;
    usock *s;
    int qlen, rc;
    size_t len;
    const char *why;

    if (tcp) /* select.c sends TCP elsewhere */
        return PDNS_ERR_INVALID;
    sweep_retired(t);
    if (!(q = uq_get(t)))
        return PDNS_ERR_NOMEM;
    if ((qlen = pdns__dns_name_to_wire(qname, q->qname, sizeof q->qname)) < 0) {
        uq_put(t, q);
        return PDNS_ERR_INVALID;
    }
    if (!(s = pick_sock(t, &rc))) {
        uq_put(t, q);
        return rc == UV_ENOMEM ? PDNS_ERR_NOMEM : PDNS_ERR_UV;
    }
    q->qlen = (uint16_t)qlen;
    q->qtype = qtype;
    q->cb = cb;
    q->arg = arg;
    q->sock = s;
    do {
        if (next_id(t->sh, &q->id) != 0) {
            uq_put(t, q);
            return PDNS_ERR_IO;
        }
    } while (table_find(s, q->id) != (size_t)-1);

    q->shaped = t->shaped || ecs;
    if (ecs) { /* the server's options with this query's prefix */
        pdns__qopts o = t->qo;
        pdns__qopts_set_ecs(&o, ecs);
        len = pdns__dns_query_encode_opts(pkt, sizeof pkt, q->id, q->qname, q->qlen, qtype, &o);
    } else if (t->shaped)
        len = pdns__dns_query_encode_opts(pkt, sizeof pkt, q->id, q->qname, q->qlen, qtype, &t->qo);
    else
        len = pdns__dns_query_encode(pkt, sizeof pkt, q->id, q->qname, q->qlen, qtype, EDNS_UDP_SZ);
    if (len == 0) { /* never: pkt has room for the longest name */
        uq_put(t, q);
        return PDNS_ERR_INVALID;
    }

    uv_buf_t b = uv_buf_init((char *)pkt, (unsigned)len);
    s->sent++;
    q->sent_ns = uv_hrtime(); /* right before the send: the RTT starts here */
    rc = uv_udp_try_send(&s->h, &b, 1, NULL);
    if (rc < 0 && (why = unreachable_error(rc)) != NULL) {
        /* an ICMP error for an earlier query of this socket, reported (and cleared)
         * by this send: those queries end now; this one goes out again */
        uq *p = take_pending(t, s);
        while (p) {
            uq *next = p->next;
            fail_later(t, p, why, 0);
            p = next;
        }
        q->sent_ns = uv_hrtime();
        rc = uv_udp_try_send(&s->h, &b, 1, NULL);
    }
    q->deadline_ns = q->sent_ns + (uint64_t)t->timeout_ms * 1000000ull;
    if (rc < 0) {
        /* nothing left: the attempt ends now (from the timer, not from inside query) */
        if ((why = unreachable_error(rc)) != NULL)
            fail_later(t, q, why, 0);
        else
            fail_later(t, q, send_error_text(rc), 1);
        arm(t, q->sent_ns);
        return PDNS_OK;
    }
    table_add(s, q);
    q->next = NULL;
    q->prev = t->to_tail;
    if (t->to_tail)
        t->to_tail->next = q;
    else
        t->to_head = q;
    t->to_tail = q;
    if (t->fail_head || t->to_head == q)
        arm(t, q->sent_ns);
    return PDNS_OK;
}

/* ---- lifecycle ----------------------------------------------------------------- */

static void on_timer_closed(uv_handle_t *h)
{
    pdns__transport *t = h->data;
    if (--t->handles == 0 && t->destroyed)
        free_transport(t);
}

/* One reference per transport plus the creator's; the last one frees. */
static void lean_release_shared(void *shared)
{
    lean_shared *sh = shared;
    if (!sh || --sh->refs > 0)
        return;
    free(sh->rxbuf);
    free(sh);
}

/* Close every handle (pending and failed queries are dropped without a callback);
 * the memory goes with the last close callback. */
static void lean_destroy(pdns__transport *t)
{
    int timer_open;
    if (!t)
        return;
    t->destroyed = 1;
    lean_release_shared(t->sh);
    t->sh = NULL;
    timer_open = t->timer.data == t;
    if (t->handles == 0) {
        free_transport(t);
        return;
    }
    for (size_t i = 0; i < t->n_act; i++)
        sock_close(t->act[i]);
    t->n_act = 0;
    while (t->retired) {
        usock *s = t->retired;
        t->retired = s->next;
        sock_close(s);
    }
    if (timer_open)
        uv_close((uv_handle_t *)&t->timer, on_timer_closed);
}

static pdns_status lean_create(uv_loop_t *loop, void **shared, const pdns__addr *server,
                               const pdns__tcfg *cfg, pdns__transport **out, char *err,
                               size_t errcap)
{
    pdns__transport *t;
    lean_shared *sh = *shared;
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
    sh->refs++; /* released by lean_destroy */
    t->addr = *server;
    t->timeout_ms = cfg->timeout_ms;
    if (cfg->qopts) {
        t->qo = *cfg->qopts;
        t->shaped = 1;
    }
    pdns__addr_sockaddr(server, &t->ss);
    if ((rc = uv_timer_init(loop, &t->timer)) != 0)
        goto fail;
    t->timer.data = t;
    t->handles++;
    if (!(t->act = calloc(NSOCK_MIN, sizeof *t->act))) {
        rc = UV_ENOMEM;
        goto fail;
    }
    t->cap_act = NSOCK_MIN;
    for (int i = 0; i < NSOCK_MIN; i++) {
        usock *s = sock_open(t, &rc);
        if (!s)
            goto fail;
        t->act[t->n_act++] = s;
    }
    *out = t;
    return PDNS_OK;
fail:
    snprintf(err, errcap, "UDP socket for %s: %s", server->text, uv_strerror(rc));
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
