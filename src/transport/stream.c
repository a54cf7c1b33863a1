/* stream.c - tcp:// and tls://: pipelined DNS over TCP and over TLS (OpenSSL) on libuv.
 * SPDX-License-Identifier: MIT */
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "dns/match.h"
#include "dns/query.h"
#include "transport/deliver.h"
#include "transport/transport.h"

/* IMPLEMENTATION NOTES
 * Why our own: getdns's stub TLS gives no connection figures (handshakes, their
 * latency, resets) and no per-server handshake error the engine can report; the
 * connections, framing and TLS here are plain libuv + OpenSSL (memory BIOs).
 * - Connections: up to cfg->conns per server (default CONN_DEFAULT), opened on
 *   first use, kept open and reused; queries go round-robin over them, pipelined
 *   (RFC 7766: many queries written without waiting, answers in any order, matched by
 *   ID). A connection holds at most CONN_PENDING queries; when all are full the query
 *   goes to the least loaded one anyway (the engine's in-flight cap bounds the total).
 * - Writes: queries are framed (2-byte length) into the connection's pending buffer;
 *   one uv_write at a time: while one is in flight, new queries accumulate and go
 *   out together from its callback. TLS: the pending plaintext goes through SSL_write
 *   into the write BIO, whose bytes are what uv_write sends.
 * - Reads: bytes (decrypted for TLS) accumulate until a whole frame is there; each
 *   message is checked by dns/match.c against the query with its ID on that
 *   connection, and delivered through the same path as a UDP answer
 *   (pdns__wire_deliver). A message that matches nothing is counted as ignored.
 * - Timeouts: one deadline FIFO per server (every query has the same timeout) and one
 *   timer, as in udp.c. A timed-out query leaves its connection's table: a late
 *   answer is ignored.
 * - Ends of a connection: the server closing it while queries are pending on it (or a
 *   read/write error) is a reset: those queries end as RESET (the engine retries them
 *   at once and counts a loss for the controller: on a stream, resets and queueing
 *   latency are what congestion looks like). Closed while idle: nothing to report; the
 *   next query opens a new one. A connection that never became usable (refused, TLS
 *   handshake or certificate failure) ends its queries as UNREACHABLE with the reason,
 *   and, unless another of its connections is usable, the server is not tried again
 *   for a back-off (FAIL_BACKOFF_MS, doubling to FAIL_BACKOFF_MAX_MS): queries sent
 *   meanwhile end at once with the same reason (and the engine sends none while
 *   another server can take them), so a server with a wrong certificate costs the run
 *   nothing but retries elsewhere.
 * - TLS: TLS 1.2 or later; verification against cfg->tls_ca (else the system store)
 *   and the name cfg->tls_name (else the URL's address, as an IP SAN), unless
 *   tls_insecure. Sessions are resumed (the last one of the server is offered).
 * - Figures (cfg->conn): connections opened, usable (handshakes) and their latency
 *   from connect() to usable, failures, resets and queries written. */

#define CONN_DEFAULT        4
#define CONN_PENDING        1024 /* queries pending per connection before others are preferred */
#define CONN_TABLE          4096 /* ID slots per connection (a power of two, >= 2 x pending) */
#define FAIL_BACKOFF_MS     500
#define FAIL_BACKOFF_MAX_MS 8000
#define RDBUF_INIT          16384
#define DNS_TCP_MAX         65535

typedef struct sconn sconn;
typedef struct sq sq;

struct sq {
    sq *next, *prev; /* deadline FIFO, failed list or free list */
    uint64_t sent_ns, deadline_ns;
    uint16_t id, qtype, qlen;
    int shaped; /* sent shaped (the server's options or an ECS of its own) */
    sconn *c;   /* NULL on the failed list */
    const char *error;
    pdns__reply_cb cb;
    void *arg;
    uint8_t qname[PDNS__WIRE_NAME_MAX + 1];
};

typedef struct buf {
    uint8_t *p;
    size_t len, cap;
} buf;

enum { C_CONNECTING, C_HANDSHAKE, C_READY, C_CLOSING };

struct sconn {
    uv_tcp_t h;
    uv_connect_t creq;
    uv_write_t wreq;
    pdns__transport *t;
    int state;
    int writing;
    int ever_ready;
    uint64_t opened_ns;
    uint16_t next_id;
    unsigned used;
    SSL *ssl;
    BIO *rbio, *wbio; /* TLS: ciphertext in, ciphertext out (memory BIOs, owned by ssl) */
    buf pend;         /* framed queries not yet handed to the socket (TLS: plaintext) */
    buf wbuf;         /* the bytes of the write in flight */
    buf rd;           /* received (TLS: decrypted) bytes not yet framed */
    sq *slots[CONN_TABLE];
};

typedef struct stream_shared {
    int refs;
} stream_shared;

struct pdns__transport {
    int shaped;     /* cfg->qopts given: queries shaped by qo, answers read */
    pdns__qopts qo; /* flags and EDNS options of every query */
    uv_loop_t *loop;
    stream_shared *sh;
    pdns__addr addr;
    struct sockaddr_storage ss;
    unsigned timeout_ms;
    int tls;
    SSL_CTX *ctx;
    SSL_SESSION *session; /* the last session, offered for resumption */
    char tls_name[256];
    int name_is_ip;
    int insecure;
    pdns__conn_stats *cs;
    pdns__conn_stats own_cs; /* when the engine gives none */
    sconn **conns;
    unsigned n_conns;
    unsigned next_conn;
    uv_timer_t timer;
    sq *to_head, *to_tail;
    sq *fail_head, *fail_tail;
    sq *free_list;
    void **blocks;
    size_t n_blocks;
    uint64_t stray;
    uint64_t backoff_until_ns;
    unsigned backoff_ms;
    char fail_why[200]; /* the last connection failure, for queries in the back-off */
    int handles;
    int destroyed;
};

/* ---- small helpers ---------------------------------------------------------------- */

static int buf_reserve(buf *b, size_t more)
{
    if (b->len + more <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + more)
        cap *= 2;
    uint8_t *n = realloc(b->p, cap);
    if (!n)
        return -1;
    b->p = n;
    b->cap = cap;
    return 0;
}

static sq *sq_get(pdns__transport *t)
{
    if (!t->free_list) {
        enum { BLOCK = 256 };
        sq *b = calloc(BLOCK, sizeof *b);
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
    sq *q = t->free_list;
    t->free_list = q->next;
    return q;
}

static void sq_put(pdns__transport *t, sq *q)
{
    q->next = t->free_list;
    t->free_list = q;
}

static size_t table_find(const sconn *c, uint16_t id)
{
    size_t k = id & (CONN_TABLE - 1);
    while (c->slots[k]) {
        if (c->slots[k]->id == id)
            return k;
        k = (k + 1) & (CONN_TABLE - 1);
    }
    return (size_t)-1;
}

static void table_add(sconn *c, sq *q)
{
    size_t k = q->id & (CONN_TABLE - 1);
    while (c->slots[k])
        k = (k + 1) & (CONN_TABLE - 1);
    c->slots[k] = q;
    c->used++;
}

static void table_del(sconn *c, size_t k)
{
    const size_t mask = CONN_TABLE - 1;
    c->slots[k] = NULL;
    c->used--;
    for (size_t j = (k + 1) & mask; c->slots[j]; j = (j + 1) & mask) {
        sq *q = c->slots[j];
        size_t h = q->id & mask;
        c->slots[j] = NULL;
        while (c->slots[h])
            h = (h + 1) & mask;
        c->slots[h] = q;
    }
}

static void to_unlink(pdns__transport *t, sq *q)
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

static void timer_cb(uv_timer_t *tm);

static void arm(pdns__transport *t)
{
    uint64_t now = uv_hrtime(), d;
    if (t->destroyed)
        return;
    if (t->fail_head) {
        d = 0;
    } else if (t->to_head) {
        d = t->to_head->deadline_ns > now ? t->to_head->deadline_ns - now : 0;
    } else {
        uv_timer_stop(&t->timer);
        return;
    }
    (void)uv_timer_start(&t->timer, timer_cb, (d + 999999) / 1000000, 0);
}

static void fail_later(pdns__transport *t, sq *q, const char *why)
{
    q->error = why;
    q->c = NULL;
    q->next = NULL;
    if (t->fail_tail)
        t->fail_tail->next = q;
    else
        t->fail_head = q;
    t->fail_tail = q;
}

static void finish(pdns__transport *t, sq *q, const pdns__reply *rep)
{
    pdns__reply_cb cb = q->cb;
    void *arg = q->arg;
    sq_put(t, q);
    cb(arg, rep);
}

/* ---- connections ------------------------------------------------------------------ */

static void free_transport(pdns__transport *t)
{
    for (size_t i = 0; i < t->n_blocks; i++)
        free(t->blocks[i]);
    free(t->blocks);
    free(t->conns);
    if (t->session)
        SSL_SESSION_free(t->session);
    if (t->ctx)
        SSL_CTX_free(t->ctx);
    free(t);
}

static void on_conn_closed(uv_handle_t *h)
{
    sconn *c = h->data;
    pdns__transport *t = c->t;
    if (c->ssl)
        SSL_free(c->ssl); /* frees both BIOs */
    free(c->pend.p);
    free(c->wbuf.p);
    free(c->rd.p);
    free(c);
    if (--t->handles == 0 && t->destroyed)
        free_transport(t);
}

/* Take c out of the server's set and close it; every query pending on it ends: as
 * RESET when it had been usable, else UNREACHABLE with why (and the back-off starts). */
static void conn_end(sconn *c, const char *why)
{
    pdns__transport *t = c->t;
    int was_ready = c->ever_ready;
    unsigned pending = c->used;

    if (c->state == C_CLOSING)
        return;
    c->state = C_CLOSING;
    for (unsigned i = 0; i < t->n_conns; i++)
        if (t->conns[i] == c)
            t->conns[i] = NULL;
    if (!was_ready) {
        uint64_t now = uv_hrtime();
        int others_ready = 0;
        for (unsigned i = 0; i < t->n_conns; i++)
            others_ready |= t->conns[i] && t->conns[i]->state == C_READY;
        snprintf(t->fail_why, sizeof t->fail_why, "%s: %s", t->addr.text, why);
        pdns__conn_on_fail(t->cs, t->fail_why);
        if (others_ready)
            goto end_queries; /* the server works: no rest, the slot reconnects later */
        t->backoff_ms = t->backoff_ms ? t->backoff_ms * 2 : FAIL_BACKOFF_MS;
        if (t->backoff_ms > FAIL_BACKOFF_MAX_MS)
            t->backoff_ms = FAIL_BACKOFF_MAX_MS;
        t->backoff_until_ns = now + (uint64_t)t->backoff_ms * 1000000ull;
    } else if (pending) {
        char msg[200];
        snprintf(msg, sizeof msg, "%s: %s", t->addr.text, why);
        pdns__conn_on_reset(t->cs, msg);
    }
end_queries:
    for (size_t k = 0; k < CONN_TABLE && c->used; k++) {
        sq *q = c->slots[k];
        if (!q)
            continue;
        c->slots[k] = NULL;
        c->used--;
        to_unlink(t, q);
        pdns__reply rep = {.kind = was_ready ? PDNS__T_RESET : PDNS__T_UNREACHABLE,
                           .rcode = -1,
                           .error = was_ready ? "connection reset" : t->fail_why,
                           .sent_ns = q->sent_ns};
        finish(t, q, &rep);
    }
    uv_close((uv_handle_t *)&c->h, on_conn_closed);
    arm(t);
}

static void write_cb(uv_write_t *req, int status);

/* Hand what is pending to the socket when no write is in flight. */
static void conn_flush(sconn *c)
{
    pdns__transport *t = c->t;
    int rc;
    if (c->writing || c->state == C_CLOSING || c->state == C_CONNECTING)
        return;
    c->wbuf.len = 0;
    if (c->ssl) {
        if (c->state == C_READY && c->pend.len) {
            int n = SSL_write(c->ssl, c->pend.p, (int)c->pend.len);
            if (n <= 0 || (size_t)n != c->pend.len) {
                conn_end(c, "TLS write failed");
                return;
            }
            c->pend.len = 0;
        }
        size_t avail = (size_t)BIO_ctrl_pending(c->wbio);
        if (avail) {
            if (buf_reserve(&c->wbuf, avail) != 0) {
                conn_end(c, "out of memory");
                return;
            }
            int n = BIO_read(c->wbio, c->wbuf.p, (int)avail);
            if (n > 0)
                c->wbuf.len = (size_t)n;
        }
    } else if (c->state == C_READY && c->pend.len) {
        buf tmp = c->wbuf;
        c->wbuf = c->pend;
        c->pend = tmp;
        c->pend.len = 0;
    }
    if (!c->wbuf.len)
        return;
    uv_buf_t b = uv_buf_init((char *)c->wbuf.p, (unsigned)c->wbuf.len);
    if ((rc = uv_write(&c->wreq, (uv_stream_t *)&c->h, &b, 1, write_cb)) != 0) {
        conn_end(c, uv_strerror(rc));
        return;
    }
    c->writing = 1;
    (void)t;
}

static void write_cb(uv_write_t *req, int status)
{
    sconn *c = req->data;
    c->writing = 0;
    if (c->state == C_CLOSING)
        return;
    if (status < 0) {
        conn_end(c, status == UV_ECONNRESET || status == UV_EPIPE ? "connection reset"
                                                                  : uv_strerror(status));
        return;
    }
    conn_flush(c);
}

static void conn_ready(sconn *c)
{
    pdns__transport *t = c->t;
    c->state = C_READY;
    c->ever_ready = 1;
    t->backoff_ms = 0;
    t->backoff_until_ns = 0;
    pdns__conn_on_ready(t->cs, uv_hrtime() - c->opened_ns);
    if (c->ssl) {
        SSL_SESSION *s = SSL_get1_session(c->ssl);
        if (s) {
            if (t->session)
                SSL_SESSION_free(t->session);
            t->session = s;
        }
    }
    conn_flush(c);
}

/* Why a TLS handshake failed, as one line (static buffer of the transport). */
static const char *tls_error(sconn *c, char *out, size_t cap)
{
    long vr = SSL_get_verify_result(c->ssl);
    unsigned long e = ERR_get_error();
    if (vr != X509_V_OK)
        snprintf(out, cap, "TLS certificate verify failed: %s", X509_verify_cert_error_string(vr));
    else if (e)
        snprintf(out, cap, "TLS handshake failed: %s", ERR_reason_error_string(e));
    else
        snprintf(out, cap, "TLS handshake failed");
    ERR_clear_error();
    return out;
}

static void do_handshake(sconn *c)
{
    int r = SSL_do_handshake(c->ssl);
    if (r == 1) {
        conn_ready(c);
        return;
    }
    int e = SSL_get_error(c->ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        conn_flush(c);
        return;
    }
    char why[160];
    conn_end(c, tls_error(c, why, sizeof why));
}

/* One whole DNS message from the server. */
static void on_message(sconn *c, uint8_t *p, size_t n)
{
    pdns__transport *t = c->t;
    pdns__dns_match_result mr;
    pdns__dns_match m;
    size_t k;
    sq *q;

    if (n < PDNS__WIRE_HDR_LEN || (k = table_find(c, pdns__wire_get_id(p))) == (size_t)-1) {
        t->stray++;
        return;
    }
    q = c->slots[k];
    m = pdns__dns_match_answer(
        p, n,
        &(pdns__dns_query){.id = q->id, .qtype = q->qtype, .qname = q->qname, .qlen = q->qlen},
        &mr);
    if (m != PDNS__MATCH_ANSWER && m != PDNS__MATCH_HEADER_ERROR) {
        t->stray++;
        return;
    }
    table_del(c, k);
    to_unlink(t, q);
    pdns__reply_cb cb = q->cb;
    void *arg = q->arg;
    uint64_t sent_ns = q->sent_ns;
    int shaped = q->shaped;
    sq_put(t, q);
    pdns__wire_deliver(p, n, m, &mr, sent_ns, shaped ? &t->qo : NULL, cb, arg);
}

/* Frame the received bytes: deliver every whole message, keep the rest. */
static void drain_frames(sconn *c)
{
    size_t off = 0;
    while (c->state != C_CLOSING && c->rd.len - off >= 2) {
        size_t mlen = ((size_t)c->rd.p[off] << 8) | c->rd.p[off + 1];
        if (c->rd.len - off - 2 < mlen)
            break;
        on_message(c, c->rd.p + off + 2, mlen);
        off += 2 + mlen;
    }
    if (c->state == C_CLOSING)
        return;
    if (off) {
        memmove(c->rd.p, c->rd.p + off, c->rd.len - off);
        c->rd.len -= off;
    }
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
    sconn *c = h->data;
    buf *dst = &c->rd;
    static __thread uint8_t tlsbuf[65536];
    (void)suggested;
    if (c->ssl) { /* ciphertext goes to the read BIO: a scratch buffer will do */
        b->base = (char *)tlsbuf;
        b->len = sizeof tlsbuf;
        return;
    }
    if (buf_reserve(dst, RDBUF_INIT) != 0) {
        b->base = NULL;
        b->len = 0;
        return;
    }
    b->base = (char *)dst->p + dst->len;
    b->len = dst->cap - dst->len;
}

static void read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *b)
{
    sconn *c = s->data;
    if (c->state == C_CLOSING)
        return;
    if (nread < 0) {
        conn_end(c, nread == UV_EOF          ? "connection closed by the server"
                    : nread == UV_ECONNRESET ? "connection reset"
                                             : uv_strerror((int)nread));
        return;
    }
    if (nread == 0)
        return;
    if (!c->ssl) {
        c->rd.len += (size_t)nread;
        drain_frames(c);
        return;
    }
    if (BIO_write(c->rbio, b->base, (int)nread) != (int)nread) {
        conn_end(c, "out of memory");
        return;
    }
    if (c->state == C_HANDSHAKE) {
        do_handshake(c);
        if (c->state != C_READY)
            return;
    }
    for (;;) {
        if (buf_reserve(&c->rd, RDBUF_INIT) != 0) {
            conn_end(c, "out of memory");
            return;
        }
        int n = SSL_read(c->ssl, c->rd.p + c->rd.len, (int)(c->rd.cap - c->rd.len));
        if (n > 0) {
            c->rd.len += (size_t)n;
            continue;
        }
        int e = SSL_get_error(c->ssl, n);
        if (e == SSL_ERROR_WANT_READ)
            break;
        if (e == SSL_ERROR_ZERO_RETURN) {
            drain_frames(c);
            if (c->state != C_CLOSING)
                conn_end(c, "connection closed by the server (TLS close_notify)");
            return;
        }
        char why[160];
        drain_frames(c);
        if (c->state != C_CLOSING)
            conn_end(c, tls_error(c, why, sizeof why));
        return;
    }
    drain_frames(c);
    if (c->state == C_READY)
        conn_flush(c); /* TLS 1.3 may want to write (key updates, tickets) */
}

static void connect_cb(uv_connect_t *req, int status)
{
    sconn *c = req->data;
    int rc;
    if (c->state == C_CLOSING)
        return;
    if (status < 0) {
        conn_end(c, status == UV_ECONNREFUSED ? "connection refused" : uv_strerror(status));
        return;
    }
    (void)uv_tcp_nodelay(&c->h, 1);
    if ((rc = uv_read_start((uv_stream_t *)&c->h, alloc_cb, read_cb)) != 0) {
        conn_end(c, uv_strerror(rc));
        return;
    }
    if (!c->ssl) {
        conn_ready(c);
        return;
    }
    c->state = C_HANDSHAKE;
    do_handshake(c);
}

/* A new connection to the server (connecting). NULL with why set on failure. */
static sconn *conn_open(pdns__transport *t, const char **why)
{
    sconn *c = calloc(1, sizeof *c);
    int rc;
    if (!c) {
        *why = "out of memory";
        return NULL;
    }
    c->t = t;
    c->next_id = (uint16_t)(uv_hrtime() & 0xffff);
    if ((rc = uv_tcp_init(t->loop, &c->h)) != 0) {
        free(c);
        *why = uv_strerror(rc);
        return NULL;
    }
    c->h.data = c;
    c->creq.data = c;
    c->wreq.data = c;
    t->handles++;
    pdns__conn_on_open(t->cs);
    c->opened_ns = uv_hrtime();
    if (t->tls) {
        if (!(c->ssl = SSL_new(t->ctx)) || !(c->rbio = BIO_new(BIO_s_mem())) ||
            !(c->wbio = BIO_new(BIO_s_mem()))) {
            BIO_free(c->rbio);
            BIO_free(c->wbio);
            c->rbio = c->wbio = NULL;
            goto fail_tls;
        }
        SSL_set_bio(c->ssl, c->rbio, c->wbio);
        SSL_set_connect_state(c->ssl);
        if (!t->name_is_ip && SSL_set_tlsext_host_name(c->ssl, t->tls_name) != 1)
            goto fail_tls;
        if (!t->insecure) {
            X509_VERIFY_PARAM *vp = SSL_get0_param(c->ssl);
            if (t->name_is_ip ? X509_VERIFY_PARAM_set1_ip_asc(vp, t->tls_name) != 1
                              : SSL_set1_host(c->ssl, t->tls_name) != 1)
                goto fail_tls;
        }
        if (t->session)
            (void)SSL_set_session(c->ssl, t->session);
    }
    c->state = C_CONNECTING;
    if ((rc = uv_tcp_connect(&c->creq, &c->h, (const struct sockaddr *)&t->ss, connect_cb)) != 0) {
        c->state = C_CLOSING;
        uv_close((uv_handle_t *)&c->h, on_conn_closed);
        *why = uv_strerror(rc);
        return NULL;
    }
    return c;
fail_tls:
    c->state = C_CLOSING;
    uv_close((uv_handle_t *)&c->h, on_conn_closed);
    *why = "TLS setup failed";
    return NULL;
}

/* The connection for the next query: round-robin over the slots, opening one on an
 * empty slot; NULL with why when none can be opened. */
static sconn *pick_conn(pdns__transport *t, const char **why)
{
    sconn *best = NULL;
    for (unsigned k = 0; k < t->n_conns; k++) {
        unsigned i = (t->next_conn + k) % t->n_conns;
        sconn *c = t->conns[i];
        if (!c) {
            if (!(c = conn_open(t, why)))
                return NULL;
            t->conns[i] = c;
        }
        if (c->used < CONN_PENDING) {
            t->next_conn = i + 1;
            return c;
        }
        if (!best || c->used < best->used)
            best = c;
    }
    return best;
}

/* ---- timer ------------------------------------------------------------------------ */

static void timer_cb(uv_timer_t *tm)
{
    pdns__transport *t = tm->data;
    uint64_t now;
    while (t->fail_head) {
        sq *q = t->fail_head;
        pdns__reply fr = {
            .kind = PDNS__T_UNREACHABLE, .rcode = -1, .error = q->error, .sent_ns = q->sent_ns};
        t->fail_head = q->next;
        if (!t->fail_head)
            t->fail_tail = NULL;
        finish(t, q, &fr);
    }
    now = uv_hrtime();
    while (t->to_head && t->to_head->deadline_ns <= now + 500000) {
        sq *q = t->to_head;
        size_t k = table_find(q->c, q->id);
        pdns__reply rep = {.kind = PDNS__T_TIMEOUT, .rcode = -1, .sent_ns = q->sent_ns};
        to_unlink(t, q);
        if (k != (size_t)-1)
            table_del(q->c, k);
        finish(t, q, &rep);
    }
    arm(t);
}

/* ---- the vtable --------------------------------------------------------------------- */

static pdns_status st_query(pdns__transport *t, const char *qname, uint16_t qtype, int tcp,
                            const pdns__ecs *ecs, pdns__reply_cb cb, void *arg)
{
    uint8_t pkt[2 + PDNS__DNS_QUERY_OPTS_MAX];
    const char *why = NULL;
    sconn *c;
    sq *q;
    int qlen;
    size_t len;
    (void)tcp;

    if (!(q = sq_get(t)))
        return PDNS_ERR_NOMEM;
    if ((qlen = pdns__dns_name_to_wire(qname, q->qname, sizeof q->qname)) < 0) {
        sq_put(t, q);
        return PDNS_ERR_INVALID;
    }
    q->qlen = (uint16_t)qlen;
    q->qtype = qtype;
    q->cb = cb;
    q->arg = arg;
    q->sent_ns = uv_hrtime();
    if (t->backoff_until_ns && q->sent_ns < t->backoff_until_ns) {
        fail_later(t, q, t->fail_why);
        arm(t);
        return PDNS_OK;
    }
    if (!(c = pick_conn(t, &why))) {
        snprintf(t->fail_why, sizeof t->fail_why, "%s: %s", t->addr.text, why);
        fail_later(t, q, t->fail_why);
        arm(t);
        return PDNS_OK;
    }
    do
        q->id = c->next_id++;
    while (table_find(c, q->id) != (size_t)-1);
    /* a stream has room: offer the largest EDNS size (answers are never truncated) */
    q->shaped = t->shaped || ecs;
    if (q->shaped) {
        pdns__qopts o = t->qo;
        pdns__qopts_set_ecs(&o, ecs);
        o.udp_size = o.udp_size ? o.udp_size : DNS_TCP_MAX;
        len = pdns__dns_query_encode_opts(pkt + 2, sizeof pkt - 2, q->id, q->qname, q->qlen, qtype,
                                          &o);
    } else {
        len = pdns__dns_query_encode(pkt + 2, sizeof pkt - 2, q->id, q->qname, q->qlen, qtype,
                                     DNS_TCP_MAX);
    }
    if (len == 0 || buf_reserve(&c->pend, len + 2) != 0) {
        sq_put(t, q);
        return len == 0 ? PDNS_ERR_INVALID : PDNS_ERR_NOMEM;
    }
    pkt[0] = (uint8_t)(len >> 8);
    pkt[1] = (uint8_t)len;
    memcpy(c->pend.p + c->pend.len, pkt, len + 2);
    c->pend.len += len + 2;
    q->c = c;
    q->deadline_ns = q->sent_ns + (uint64_t)t->timeout_ms * 1000000ull;
    table_add(c, q);
    q->next = NULL;
    q->prev = t->to_tail;
    if (t->to_tail)
        t->to_tail->next = q;
    else
        t->to_head = q;
    t->to_tail = q;
    t->cs->queries++;
    conn_flush(c); /* writes now when the connection is usable and idle */
    if (t->to_head == q)
        arm(t);
    return PDNS_OK;
}

static void on_timer_closed(uv_handle_t *h)
{
    pdns__transport *t = h->data;
    if (--t->handles == 0 && t->destroyed)
        free_transport(t);
}

/* Close everything; queries still pending are dropped without a callback. */
static void st_destroy(pdns__transport *t)
{
    if (!t)
        return;
    t->destroyed = 1;
    if (t->sh && --t->sh->refs == 0)
        free(t->sh);
    t->sh = NULL;
    for (unsigned i = 0; t->conns && i < t->n_conns; i++) {
        sconn *c = t->conns[i];
        if (c && c->state != C_CLOSING) {
            c->state = C_CLOSING;
            uv_close((uv_handle_t *)&c->h, on_conn_closed);
        }
        t->conns[i] = NULL;
    }
    if (t->timer.data == t)
        uv_close((uv_handle_t *)&t->timer, on_timer_closed);
    else if (t->handles == 0)
        free_transport(t);
}

static pdns_status tls_setup(pdns__transport *t, const pdns__tcfg *cfg, char *err, size_t errcap)
{
    unsigned char tmp[16];
    if (!(t->ctx = SSL_CTX_new(TLS_client_method()))) {
        snprintf(err, errcap, "%s: cannot create a TLS context", t->addr.text);
        return PDNS_ERR_NOMEM;
    }
    (void)SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION);
    SSL_CTX_set_session_cache_mode(t->ctx, SSL_SESS_CACHE_CLIENT);
    snprintf(t->tls_name, sizeof t->tls_name, "%s", cfg->tls_name ? cfg->tls_name : t->addr.host);
    t->name_is_ip =
        inet_pton(AF_INET, t->tls_name, tmp) == 1 || inet_pton(AF_INET6, t->tls_name, tmp) == 1;
    t->insecure = cfg->tls_insecure;
    if (t->insecure) {
        SSL_CTX_set_verify(t->ctx, SSL_VERIFY_NONE, NULL);
        return PDNS_OK;
    }
    SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER, NULL);
    if (cfg->tls_ca ? SSL_CTX_load_verify_locations(t->ctx, cfg->tls_ca, NULL) != 1
                    : SSL_CTX_set_default_verify_paths(t->ctx) != 1) {
        unsigned long e = ERR_get_error();
        snprintf(err, errcap, "--tls-ca %s: cannot load CA certificates: %s",
                 cfg->tls_ca ? cfg->tls_ca : "(system)", e ? ERR_reason_error_string(e) : "error");
        ERR_clear_error();
        return PDNS_ERR_IO;
    }
    return PDNS_OK;
}

static pdns_status st_create(uv_loop_t *loop, void **shared, const pdns__addr *server,
                             const pdns__tcfg *cfg, pdns__transport **out, char *err, size_t errcap)
{
    stream_shared *sh = *shared;
    pdns__transport *t;
    pdns_status st;
    int rc;

    if (!sh) {
        if (!(sh = calloc(1, sizeof *sh)))
            return PDNS_ERR_NOMEM;
        sh->refs = 1;
        *shared = sh;
    }
    if (!(t = calloc(1, sizeof *t)))
        return PDNS_ERR_NOMEM;
    t->loop = loop;
    t->addr = *server;
    t->timeout_ms = cfg->timeout_ms;
    if (cfg->qopts) {
        t->qo = *cfg->qopts;
        t->shaped = 1;
    }
    t->tls = server->proto == PDNS__PROTO_TLS;
    t->cs = cfg->conn ? cfg->conn : &t->own_cs;
    t->n_conns = cfg->conns ? cfg->conns : CONN_DEFAULT;
    pdns__addr_sockaddr(server, &t->ss);
    if (!(t->conns = calloc(t->n_conns, sizeof *t->conns))) {
        free(t);
        return PDNS_ERR_NOMEM;
    }
    if (t->tls && (st = tls_setup(t, cfg, err, errcap)) != PDNS_OK) {
        free_transport(t);
        return st;
    }
    if ((rc = uv_timer_init(loop, &t->timer)) != 0) {
        snprintf(err, errcap, "%s: %s", server->text, uv_strerror(rc));
        free_transport(t);
        return PDNS_ERR_UV;
    }
    t->timer.data = t;
    t->handles++;
    t->sh = sh;
    sh->refs++;
    *out = t;
    return PDNS_OK;
}

static uint64_t st_ignored(const pdns__transport *t)
{
    return t->stray;
}

static void st_release_shared(void *shared)
{
    stream_shared *sh = shared;
    if (sh && --sh->refs == 0)
        free(sh);
}

static uint64_t st_rest_ns(const pdns__transport *t, uint64_t now_ns)
{
    return t->backoff_until_ns > now_ns ? t->backoff_until_ns - now_ns : 0;
}

const pdns__transport_vt pdns__transport_stream = {
    .name = "stream",
    .create = st_create,
    .query = st_query,
    .destroy = st_destroy,
    .ignored = st_ignored,
    .release_shared = st_release_shared,
    .rest_ns = st_rest_ns,
};
