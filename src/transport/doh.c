/* doh.c - https://: DNS over HTTPS (RFC 8484) through libcurl's multi interface on libuv.
 * SPDX-License-Identifier: MIT */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "dns/match.h"
#include "dns/query.h"
#include "transport/deliver.h"
#include "transport/transport.h"

/* IMPLEMENTATION NOTES
 * - One CURLM per loop (the shared state), driven from the loop as libcurl's
 *   multi_socket API asks: CURLMOPT_SOCKETFUNCTION starts and stops one uv_poll per
 *   socket, CURLMOPT_TIMERFUNCTION arms one uv_timer; both call
 *   curl_multi_socket_action and then collect finished transfers. No thread, no
 *   blocking call: libcurl never resolves a name here (the URL's host is an address,
 *   or --tls-name mapped to it with CURLOPT_RESOLVE), and proxies are off
 *   (CURLOPT_NOPROXY "*": an https_proxy variable must not send queries elsewhere).
 * - Each query is one HTTP/2 POST of application/dns-message (ID 0, as RFC 8484
 *   recommends), or with --doh-method get one GET of URL?dns=BASE64URL (RFC 8484 4.1:
 *   base64url without padding, after the URL's own query with '&'; ID 0 makes equal
 *   queries equal URLs, which HTTP caches like), multiplexed: CURLOPT_PIPEWAIT makes a transfer
 * wait for a stream on an existing connection instead of opening another;
 * CURLMOPT_MAX_HOST_CONNECTIONS caps a server's connections at cfg->conns (default 2). Easy handles
 * are kept per server and reused (their options are set once).
 * - The answer body goes through dns/match.c (question, type, class; ID 0) and
 *   pdns__wire_deliver, the UDP path. An HTTP status other than 200 is RESET (the
 *   error says which status): a DoH front-end that drops a query (dnsdist) or is
 *   overloaded (429, 503) says so that way, so it counts as the stream's loss.
 * - Timeouts: CURLOPT_TIMEOUT_MS per transfer (the attempt timeout) -> TIMEOUT.
 *   Connection failures (refused, TLS handshake, certificate, name) -> UNREACHABLE
 *   with curl's message, and a back-off as in stream.c: queries end at once until it
 *   passes. A transfer cut by its connection (send/receive error, HTTP/2 stream or
 *   connection error, empty reply) -> RESET.
 * - Connection figures: sockets opened (CURLOPT_OPENSOCKETFUNCTION); a transfer that
 *   made a new connection (CURLINFO_NUM_CONNECTS > 0) gives a handshake and its
 *   latency (CURLINFO_APPCONNECT_TIME_T: TCP connect + TLS, HTTP/2 set-up). */

#define DOH_CONNS_DEFAULT   2
#define DOH_BODY_MAX        65535
#define FAIL_BACKOFF_MS     500
#define FAIL_BACKOFF_MAX_MS 8000

typedef struct doh_shared doh_shared;
typedef struct dq dq;

typedef struct sockctx {
    uv_poll_t poll;
    curl_socket_t fd;
    doh_shared *sh;
    struct sockctx *prev, *next;
} sockctx;

struct doh_shared {
    uv_loop_t *loop;
    CURLM *multi;
    uv_timer_t timer;
    sockctx *socks; /* every poll handle open */
    int handles;    /* open uv handles (timer + polls) */
    int releasing;
};

struct dq {
    dq *next, *prev; /* in flight on the transport, or free / failed list (next) */
    pdns__transport *t;
    CURL *e;
    pdns__reply_cb cb;
    void *arg;
    uint64_t sent_ns;
    uint16_t qtype, qlen;
    int shaped;        /* sent shaped (the server's options or an ECS of its own) */
    const char *error; /* failed list */
    char errbuf[CURL_ERROR_SIZE];
    uint8_t qname[PDNS__WIRE_NAME_MAX + 1];
    uint8_t *body;
    size_t blen, bcap;
    int too_big;
};

struct pdns__transport {
    int shaped;     /* cfg->qopts given: queries shaped by qo, answers read */
    pdns__qopts qo; /* flags and EDNS options of every query */
    doh_shared *sh;
    pdns__addr addr;
    char url[PDNS__ADDR_TEXT_MAX + 256];
    struct curl_slist *resolve; /* "name:port:address" when --tls-name is given */
    struct curl_slist *headers;
    char tls_ca[512];
    int have_ca;
    int insecure;
    int get; /* GET with ?dns= (cfg->doh_get); 0: POST */
    unsigned timeout_ms;
    unsigned conns;
    pdns__conn_stats *cs;
    pdns__conn_stats own_cs;
    dq *inflight; /* doubly linked */
    dq *free_list;
    dq *fail_head, *fail_tail;
    uv_timer_t fail_timer;
    int timer_open;
    uint64_t backoff_until_ns;
    unsigned backoff_ms;
    char fail_why[CURL_ERROR_SIZE + 512];
    int destroyed;
};

static uv_once_t curl_once = UV_ONCE_INIT;
static int curl_init_rc;

static void curl_init_once(void)
{
    curl_init_rc = (int)curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* ---- the multi handle on libuv ------------------------------------------------------ */

static void check_done(doh_shared *sh);

static void shared_free_if_done(doh_shared *sh)
{
    if (sh->releasing && sh->handles == 0) {
        if (sh->multi)
            curl_multi_cleanup(sh->multi);
        free(sh);
    }
}

static void on_sh_handle_closed(uv_handle_t *h)
{
    doh_shared *sh;
    if (h->type == UV_POLL) {
        sockctx *c = h->data;
        sh = c->sh;
        free(c);
    } else {
        sh = h->data;
    }
    sh->handles--;
    shared_free_if_done(sh);
}

static void poll_cb(uv_poll_t *p, int status, int events)
{
    sockctx *c = p->data;
    int flags = 0, running = 0;
    if (status < 0)
        flags = CURL_CSELECT_ERR;
    if (events & UV_READABLE)
        flags |= CURL_CSELECT_IN;
    if (events & UV_WRITABLE)
        flags |= CURL_CSELECT_OUT;
    doh_shared *sh = c->sh;
    (void)curl_multi_socket_action(sh->multi, c->fd, flags, &running);
    check_done(sh);
}

static void sock_close(sockctx *c)
{
    doh_shared *sh = c->sh;
    if (c->prev)
        c->prev->next = c->next;
    else
        sh->socks = c->next;
    if (c->next)
        c->next->prev = c->prev;
    uv_close((uv_handle_t *)&c->poll, on_sh_handle_closed);
}

static int socket_cb(CURL *e, curl_socket_t s, int what, void *userp, void *socketp)
{
    doh_shared *sh = userp;
    sockctx *c = socketp;
    int events = 0;
    (void)e;
    if (what == CURL_POLL_REMOVE) {
        if (c) {
            (void)uv_poll_stop(&c->poll);
            curl_multi_assign(sh->multi, s, NULL);
            sock_close(c);
        }
        return 0;
    }
    if (!c) {
        if (!(c = calloc(1, sizeof *c)))
            return -1;
        c->fd = s;
        c->sh = sh;
        if (uv_poll_init_socket(sh->loop, &c->poll, s) != 0) {
            free(c);
            return -1;
        }
        c->poll.data = c;
        sh->handles++;
        c->next = sh->socks;
        if (sh->socks)
            sh->socks->prev = c;
        sh->socks = c;
        curl_multi_assign(sh->multi, s, c);
    }
    if (what & CURL_POLL_IN)
        events |= UV_READABLE;
    if (what & CURL_POLL_OUT)
        events |= UV_WRITABLE;
    return uv_poll_start(&c->poll, events, poll_cb) == 0 ? 0 : -1;
}

static void timer_cb(uv_timer_t *tm)
{
    doh_shared *sh = tm->data;
    int running = 0;
    (void)curl_multi_socket_action(sh->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_done(sh);
}

static int multi_timer_cb(CURLM *m, long timeout_ms, void *userp)
{
    doh_shared *sh = userp;
    (void)m;
    if (timeout_ms < 0)
        return uv_timer_stop(&sh->timer) == 0 ? 0 : -1;
    return uv_timer_start(&sh->timer, timer_cb, (uint64_t)timeout_ms, 0) == 0 ? 0 : -1;
}

/* ---- queries ------------------------------------------------------------------------ */

static size_t write_cb(char *p, size_t size, size_t n, void *ud)
{
    dq *q = ud;
    size_t len = size * n;
    if (q->blen + len > DOH_BODY_MAX) {
        q->too_big = 1;
        return 0; /* ends the transfer (CURLE_WRITE_ERROR) */
    }
    if (q->blen + len > q->bcap) {
        size_t cap = q->bcap ? q->bcap : 1024;
        while (cap < q->blen + len)
            cap *= 2;
        uint8_t *nb = realloc(q->body, cap);
        if (!nb)
            return 0;
        q->body = nb;
        q->bcap = cap;
    }
    memcpy(q->body + q->blen, p, len);
    q->blen += len;
    return len;
}

static curl_socket_t open_cb(void *ud, curlsocktype purpose, struct curl_sockaddr *a)
{
    pdns__transport *t = ud;
    curl_socket_t s = socket(a->family, a->socktype, a->protocol);
    (void)purpose;
    if (s != CURL_SOCKET_BAD)
        pdns__conn_on_open(t->cs);
    return s;
}

static void dq_unlink(pdns__transport *t, dq *q)
{
    if (q->prev)
        q->prev->next = q->next;
    else
        t->inflight = q->next;
    if (q->next)
        q->next->prev = q->prev;
    q->next = q->prev = NULL;
}

static void dq_put(pdns__transport *t, dq *q)
{
    q->blen = 0;
    q->too_big = 0;
    q->next = t->free_list;
    t->free_list = q;
}

static void dq_free(dq *q)
{
    if (q->e)
        curl_easy_cleanup(q->e);
    free(q->body);
    free(q);
}

static void start_backoff(pdns__transport *t, const char *why)
{
    uint64_t now = uv_hrtime();
    snprintf(t->fail_why, sizeof t->fail_why, "%s: %s", t->addr.text, why);
    pdns__conn_on_fail(t->cs, t->fail_why);
    t->backoff_ms = t->backoff_ms ? t->backoff_ms * 2 : FAIL_BACKOFF_MS;
    if (t->backoff_ms > FAIL_BACKOFF_MAX_MS)
        t->backoff_ms = FAIL_BACKOFF_MAX_MS;
    t->backoff_until_ns = now + (uint64_t)t->backoff_ms * 1000000ull;
}

/* One finished transfer: its outcome for the engine. */
static void on_done(dq *q, CURLcode rc, const char *errbuf)
{
    pdns__transport *t = q->t;
    pdns__reply rep = {.kind = PDNS__T_ERROR, .rcode = -1, .sent_ns = q->sent_ns};
    long status = 0, nconn = 0;
    curl_off_t appc = 0;
    char why[CURL_ERROR_SIZE + 64];

    (void)curl_easy_getinfo(q->e, CURLINFO_NUM_CONNECTS, &nconn);
    if (nconn > 0 && rc == CURLE_OK &&
        curl_easy_getinfo(q->e, CURLINFO_APPCONNECT_TIME_T, &appc) == CURLE_OK && appc > 0)
        pdns__conn_on_ready(t->cs, (uint64_t)appc * 1000u);
    dq_unlink(t, q);
    switch (rc) {
    case CURLE_OK:
        (void)curl_easy_getinfo(q->e, CURLINFO_RESPONSE_CODE, &status);
        {
            long hv = 0;
            if (curl_easy_getinfo(q->e, CURLINFO_HTTP_VERSION, &hv) == CURLE_OK &&
                hv == CURL_HTTP_VERSION_2_0)
                t->cs->http2++;
        }
        t->backoff_ms = 0;
        t->backoff_until_ns = 0;
        if (status != 200) {
            /* a front-end refusing the transfer (dnsdist answers a dropped query with
             * an HTTP error; 429 and 503 are overload): the stream's loss */
            snprintf(why, sizeof why, "HTTP status %ld", status);
            rep.kind = PDNS__T_RESET;
            rep.error = why;
            break;
        }
        {
            pdns__dns_match_result mr;
            pdns__dns_match m = pdns__dns_match_answer(
                q->body, q->blen,
                &(pdns__dns_query){.id = 0, .qtype = q->qtype, .qname = q->qname, .qlen = q->qlen},
                &mr);
            if (m == PDNS__MATCH_ANSWER || m == PDNS__MATCH_HEADER_ERROR) {
                pdns__reply_cb cb = q->cb;
                void *arg = q->arg;
                uint64_t sent = q->sent_ns;
                /* the body stays ours until the callback returns */
                pdns__wire_deliver(q->body, q->blen, m, &mr, sent, q->shaped ? &t->qo : NULL, cb,
                                   arg);
                dq_put(t, q);
                return;
            }
            rep.kind = PDNS__T_MALFORMED;
            rep.error = "DoH body is not an answer to the query";
        }
        break;
    case CURLE_OPERATION_TIMEDOUT:
        rep.kind = PDNS__T_TIMEOUT;
        break;
    case CURLE_COULDNT_CONNECT:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
        snprintf(why, sizeof why, "%s%s%s",
                 rc == CURLE_PEER_FAILED_VERIFICATION ? "TLS certificate verify failed: " : "",
                 errbuf[0] ? errbuf : curl_easy_strerror(rc), "");
        start_backoff(t, why);
        rep.kind = PDNS__T_UNREACHABLE;
        rep.error = t->fail_why;
        break;
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
        snprintf(why, sizeof why, "%s: %s", t->addr.text,
                 errbuf[0] ? errbuf : curl_easy_strerror(rc));
        pdns__conn_on_reset(t->cs, why);
        rep.kind = PDNS__T_RESET;
        rep.error = "connection reset";
        break;
    case CURLE_WRITE_ERROR:
        rep.kind = PDNS__T_MALFORMED;
        rep.error = q->too_big ? "DoH body over 65535 bytes" : "out of memory";
        break;
    default:
        rep.error = curl_easy_strerror(rc);
        break;
    }
    pdns__reply_cb cb = q->cb;
    void *arg = q->arg;
    dq_put(t, q);
    cb(arg, &rep);
}

static void check_done(doh_shared *sh)
{
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(sh->multi, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        CURL *e = msg->easy_handle;
        CURLcode rc = msg->data.result;
        dq *q = NULL;
        (void)curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&q);
        (void)curl_multi_remove_handle(sh->multi, e);
        if (q)
            on_done(q, rc, q->errbuf);
    }
}

/* A fresh easy handle for t with every option that does not change per query. */
static CURL *easy_new(pdns__transport *t, dq *q)
{
    CURL *e = curl_easy_init();
    if (!e)
        return NULL;
    int bad = 0;
    bad |= curl_easy_setopt(e, CURLOPT_URL, t->url) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "https") != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_NOPROXY, "*") != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)t->timeout_ms) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_WRITEDATA, q) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_PRIVATE, q) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, open_cb) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, t) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_ERRORBUFFER, q->errbuf) != CURLE_OK;
    if (t->resolve)
        bad |= curl_easy_setopt(e, CURLOPT_RESOLVE, t->resolve) != CURLE_OK;
    if (t->get)
        bad |= curl_easy_setopt(e, CURLOPT_HTTPGET, 1L) != CURLE_OK;
    if (t->insecure) {
        bad |= curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L) != CURLE_OK;
        bad |= curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L) != CURLE_OK;
    } else if (t->have_ca) {
        bad |= curl_easy_setopt(e, CURLOPT_CAINFO, t->tls_ca) != CURLE_OK;
    }
    if (bad) {
        curl_easy_cleanup(e);
        return NULL;
    }
    return e;
}

static void fail_timer_cb(uv_timer_t *tm)
{
    pdns__transport *t = tm->data;
    while (t->fail_head) {
        dq *q = t->fail_head;
        pdns__reply rep = {
            .kind = PDNS__T_UNREACHABLE, .rcode = -1, .error = q->error, .sent_ns = q->sent_ns};
        t->fail_head = q->next;
        if (!t->fail_head)
            t->fail_tail = NULL;
        pdns__reply_cb cb = q->cb;
        void *arg = q->arg;
        dq_put(t, q);
        cb(arg, &rep);
    }
}

static pdns_status doh_query(pdns__transport *t, const char *qname, uint16_t qtype, int tcp,
                             const pdns__ecs *ecs, pdns__reply_cb cb, void *arg)
{
    uint8_t pkt[PDNS__DNS_QUERY_OPTS_MAX];
    dq *q = t->free_list;
    int qlen;
    size_t len;
    (void)tcp;

    if (q) {
        t->free_list = q->next;
    } else {
        if (!(q = calloc(1, sizeof *q)))
            return PDNS_ERR_NOMEM;
        q->t = t;
        if (!(q->e = easy_new(t, q))) {
            free(q);
            return PDNS_ERR_NOMEM;
        }
    }
    q->next = q->prev = NULL;
    q->errbuf[0] = '\0';
    if ((qlen = pdns__dns_name_to_wire(qname, q->qname, sizeof q->qname)) < 0) {
        dq_put(t, q);
        return PDNS_ERR_INVALID;
    }
    q->qlen = (uint16_t)qlen;
    q->qtype = qtype;
    q->cb = cb;
    q->arg = arg;
    q->sent_ns = uv_hrtime();
    if (t->backoff_until_ns && q->sent_ns < t->backoff_until_ns) {
        q->error = t->fail_why;
        if (t->fail_tail)
            t->fail_tail->next = q;
        else
            t->fail_head = q;
        t->fail_tail = q;
        return uv_timer_start(&t->fail_timer, fail_timer_cb, 0, 0) == 0 ? PDNS_OK : PDNS_ERR_UV;
    }
    q->shaped = t->shaped || ecs;
    if (q->shaped) {
        pdns__qopts o = t->qo;
        pdns__qopts_set_ecs(&o, ecs);
        o.udp_size = o.udp_size ? o.udp_size : 65535;
        len = pdns__dns_query_encode_opts(pkt, sizeof pkt, 0, q->qname, q->qlen, qtype, &o);
    } else {
        len = pdns__dns_query_encode(pkt, sizeof pkt, 0, q->qname, q->qlen, qtype, 65535);
    }
    if (len == 0) {
        dq_put(t, q);
        return PDNS_ERR_INVALID;
    }
    if (t->get) {
        /* URL?dns=... (or URL&dns=... after the URL's own query); libcurl copies it */
        char url[sizeof t->url + 8 + 4 * ((PDNS__DNS_QUERY_OPTS_MAX + 2) / 3) + 1];
        size_t ul =
            (size_t)snprintf(url, sizeof url, "%s%cdns=", t->url, strchr(t->url, '?') ? '&' : '?');
        if (ul >= sizeof url || !pdns__base64url(pkt, len, url + ul, sizeof url - ul) ||
            curl_easy_setopt(q->e, CURLOPT_URL, url) != CURLE_OK) {
            dq_put(t, q);
            return PDNS_ERR_INVALID;
        }
    } else if (curl_easy_setopt(q->e, CURLOPT_POSTFIELDSIZE, (long)len) != CURLE_OK ||
               curl_easy_setopt(q->e, CURLOPT_COPYPOSTFIELDS, pkt) != CURLE_OK) {
        dq_put(t, q);
        return PDNS_ERR_INVALID;
    }
    if (curl_multi_add_handle(t->sh->multi, q->e) != CURLM_OK) {
        dq_put(t, q);
        return PDNS_ERR_NOMEM;
    }
    t->cs->queries++;
    q->next = t->inflight;
    if (t->inflight)
        t->inflight->prev = q;
    t->inflight = q;
    return PDNS_OK;
}

static void free_transport(pdns__transport *t)
{
    while (t->free_list) {
        dq *q = t->free_list;
        t->free_list = q->next;
        dq_free(q);
    }
    curl_slist_free_all(t->resolve);
    curl_slist_free_all(t->headers);
    free(t);
}

static void on_fail_timer_closed(uv_handle_t *h)
{
    free_transport(h->data);
}

/* Drop every transfer (no callback), close the timer; memory goes in its close cb. */
static void doh_destroy(pdns__transport *t)
{
    if (!t)
        return;
    t->destroyed = 1;
    while (t->inflight) {
        dq *q = t->inflight;
        dq_unlink(t, q);
        (void)curl_multi_remove_handle(t->sh->multi, q->e);
        dq_put(t, q);
    }
    while (t->fail_head) {
        dq *q = t->fail_head;
        t->fail_head = q->next;
        dq_put(t, q);
    }
    t->fail_tail = NULL;
    if (t->timer_open)
        uv_close((uv_handle_t *)&t->fail_timer, on_fail_timer_closed);
    else
        free_transport(t);
}

static pdns_status doh_create(uv_loop_t *loop, void **shared, const pdns__addr *server,
                              const pdns__tcfg *cfg, pdns__transport **out, char *err,
                              size_t errcap)
{
    doh_shared *sh = *shared;
    pdns__transport *t;
    const char *host;
    char hostbuf[300];

    uv_once(&curl_once, curl_init_once);
    if (curl_init_rc != 0) {
        snprintf(err, errcap, "%s: libcurl initialisation failed", server->text);
        return PDNS_ERR_IO;
    }
    if (!sh) {
        if (!(sh = calloc(1, sizeof *sh)))
            return PDNS_ERR_NOMEM;
        sh->loop = loop;
        if (!(sh->multi = curl_multi_init()) || uv_timer_init(loop, &sh->timer) != 0) {
            if (sh->multi)
                curl_multi_cleanup(sh->multi);
            free(sh);
            return PDNS_ERR_NOMEM;
        }
        sh->timer.data = sh;
        sh->handles++;
        (void)curl_multi_setopt(sh->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
        (void)curl_multi_setopt(sh->multi, CURLMOPT_SOCKETDATA, sh);
        (void)curl_multi_setopt(sh->multi, CURLMOPT_TIMERFUNCTION, multi_timer_cb);
        (void)curl_multi_setopt(sh->multi, CURLMOPT_TIMERDATA, sh);
        (void)curl_multi_setopt(sh->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
        (void)curl_multi_setopt(sh->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
                                (long)(cfg->conns ? cfg->conns : DOH_CONNS_DEFAULT));
        *shared = sh;
    }
    if (!(t = calloc(1, sizeof *t)))
        return PDNS_ERR_NOMEM;
    t->sh = sh;
    t->addr = *server;
    t->timeout_ms = cfg->timeout_ms;
    if (cfg->qopts) {
        t->qo = *cfg->qopts;
        t->shaped = 1;
    }
    t->conns = cfg->conns ? cfg->conns : DOH_CONNS_DEFAULT;
    t->cs = cfg->conn ? cfg->conn : &t->own_cs;
    t->insecure = cfg->tls_insecure;
    t->get = cfg->doh_get;
    if (cfg->tls_ca) {
        snprintf(t->tls_ca, sizeof t->tls_ca, "%s", cfg->tls_ca);
        t->have_ca = 1;
    }
    if (cfg->tls_name) {
        /* verify the name: the URL names it, CURLOPT_RESOLVE maps it to the address */
        char entry[400];
        if (strlen(cfg->tls_name) > 253 || strpbrk(cfg->tls_name, ":/[]@ ")) {
            snprintf(err, errcap, "--tls-name '%s': not a host name", cfg->tls_name);
            free(t);
            return PDNS_ERR_PARSE;
        }
        snprintf(entry, sizeof entry, "%s:%u:%s", cfg->tls_name, (unsigned)server->port,
                 server->host);
        host = cfg->tls_name;
        if (!(t->resolve = curl_slist_append(NULL, entry)))
            goto nomem;
    } else {
        snprintf(hostbuf, sizeof hostbuf, server->family == AF_INET6 ? "[%s]" : "%s", server->host);
        host = hostbuf;
    }
    snprintf(t->url, sizeof t->url, "https://%s:%u%s", host, (unsigned)server->port, server->path);
    {
        /* a GET has no body, so no Content-Type */
        struct curl_slist *h =
            t->get ? NULL : curl_slist_append(NULL, "Content-Type: application/dns-message");
        struct curl_slist *h2 =
            h || t->get ? curl_slist_append(h, "Accept: application/dns-message") : NULL;
        if (!h2) {
            curl_slist_free_all(h);
            goto nomem;
        }
        t->headers = h2;
    }
    if (uv_timer_init(loop, &t->fail_timer) != 0)
        goto nomem;
    t->fail_timer.data = t;
    t->timer_open = 1;
    *out = t;
    return PDNS_OK;
nomem:
    curl_slist_free_all(t->resolve);
    curl_slist_free_all(t->headers);
    free(t);
    return PDNS_ERR_NOMEM;
}

/* The creator's hold: once every transport is destroyed, close the loop handles; the
 * multi handle goes with the last close callback. */
static void doh_release_shared(void *shared)
{
    doh_shared *sh = shared;
    if (!sh)
        return;
    sh->releasing = 1;
    /* no callback into a closing loop from here on (curl_multi_cleanup closes sockets) */
    (void)curl_multi_setopt(sh->multi, CURLMOPT_SOCKETFUNCTION, NULL);
    (void)curl_multi_setopt(sh->multi, CURLMOPT_TIMERFUNCTION, NULL);
    (void)uv_timer_stop(&sh->timer);
    uv_close((uv_handle_t *)&sh->timer, on_sh_handle_closed);
    while (sh->socks) {
        sockctx *c = sh->socks;
        (void)uv_poll_stop(&c->poll);
        curl_multi_assign(sh->multi, c->fd, NULL);
        sock_close(c);
    }
}

static uint64_t doh_rest_ns(const pdns__transport *t, uint64_t now_ns)
{
    return t->backoff_until_ns > now_ns ? t->backoff_until_ns - now_ns : 0;
}

const pdns__transport_vt pdns__transport_doh = {
    .name = "doh",
    .create = doh_create,
    .query = doh_query,
    .destroy = doh_destroy,
    .release_shared = doh_release_shared,
    .rest_ns = doh_rest_ns,
};
