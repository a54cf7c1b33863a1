/* pool.c - N engines on N worker threads (pdns_options.threads > 1), one stream of records.
 * SPDX-License-Identifier: MIT */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "core/split.h"
#include "engine/engine.h"
#include "core/hist.h"
#include "pool/pool.h"

/* IMPLEMENTATION NOTES
 * Split. Each of the N engines runs on a loop of its own, in one thread, with every
 * server and its own pacer, in-flight slots and controller per server. Its limits are
 * its share of the configured ones (core/split.c: rates divided by N, the in-flight cap
 * split exactly), so the N engines together offer what one would: the controllers of
 * one server in different threads see the same congestion and back off together, as TCP
 * flows sharing a link do. This file knows engines only through engine/engine.h.
 *
 * Names. Engines pull names from the caller's source through pull(), and report records
 * through report(); both hold cb_mu, so the caller's callbacks run one at a time (the
 * caller needs no lock of its own) and every name goes to exactly one engine, which
 * reports exactly one record per type for it.
 *
 * Start and end. pdns__pool_run starts every engine on the calling thread (so a socket
 * error is returned at once), then starts the threads; each runs its loop until its
 * engine is done, publishes a last snapshot and wakes the caller's loop through
 * `finished` (uv_async_send is the one libuv call safe across threads). When all have
 * ended, the pool joins them and merges their stats per server (pdns__stats_merge).
 *
 * Live figures. Totals and per-server figures are read by other threads (progress,
 * probe's convergence check), so each engine publishes a snapshot every PUBLISH_MS under
 * its own mutex (counters and a copy of each server's latency histogram); the pool sums
 * the snapshots. Stop requests reach the engines through an async handle each, sent
 * under the same mutex and never after the handle is closed.
 *
 * Freed early. pdns__pool_close before the end sets `abandon` (no record reaches the
 * caller from then on), makes every engine's loop return at once, joins the threads and
 * closes the engines on this thread; the pool's memory goes in `finished`'s close
 * callback, which the caller's loop runs. */

#define PUBLISH_MS 100

typedef struct snap_srv {
    pdns_server_info info;
    pdns__hist lat;
} snap_srv;

typedef struct shard {
    pdns__pool *g;
    pdns__engine *e;
    uv_loop_t loop;
    int loop_init;
    uv_async_t stop_async;
    uv_timer_t publish;
    int handles_init; /* stop_async and publish initialised */
    int closed;       /* stop_async closed: no more uv_async_send (under mu) */
    uv_thread_t tid;
    int thread_started;
    uv_mutex_t mu; /* guards the snapshot and closed */
    int mu_init;
    pdns_totals tot;
    snap_srv *srv;
} shard;

struct pdns__pool {
    uv_loop_t *loop; /* the caller's */
    unsigned n;
    shard *sh;
    size_t n_srv;
    char (*names)[PDNS__ADDR_TEXT_MAX]; /* the servers' texts */
    size_t rr;                          /* submit: next engine */
    uv_mutex_t cb_mu;
    uv_mutex_t state_mu; /* stopping, abandon, start/end */
    int mutexes;         /* 0, 1: cb_mu, 2: both */
    int stopping;
    int abandon; /* closed before it finished (under cb_mu and state_mu) */
    int running, done;
    pdns_result_cb on_result;
    void *user;
    pdns_source_fn source;
    void *source_user;
    uv_async_t finished;
    int finished_init;
    uint64_t start_ns, end_ns;
    time_t started_wall;
    pdns__server_stats *merged; /* per server, once done */
    pdns_totals total;          /* once done */
    char errbuf[256];
};

/* ---- trampolines: the caller's callbacks, one at a time ------------------------------ */

static void report(const pdns_result *res, void *user)
{
    pdns__pool *g = user;
    uv_mutex_lock(&g->cb_mu);
    if (!g->abandon) /* closed first: the caller wants no more records */
        g->on_result(res, g->user);
    uv_mutex_unlock(&g->cb_mu);
}

static int pull(void *user, char *name, size_t cap, uint64_t *line)
{
    pdns__pool *g = user;
    int rc;
    uv_mutex_lock(&g->cb_mu);
    rc = g->source(g->source_user, name, cap, line);
    uv_mutex_unlock(&g->cb_mu);
    return rc;
}

/* ---- creation ------------------------------------------------------------------------ */

pdns_status pdns__pool_new(uv_loop_t *loop, const pdns__engine_cfg *cfg, unsigned n,
                           pdns__pool **out)
{
    pdns__pool *g;
    pdns_status st = PDNS_ERR_NOMEM;

    if (!(g = calloc(1, sizeof *g)))
        return PDNS_ERR_NOMEM;
    *out = g;
    g->loop = loop;
    g->on_result = cfg->opt.on_result;
    g->user = cfg->opt.user;
    g->source = cfg->source;
    g->source_user = cfg->source_user;
    g->n_srv = cfg->n_servers;
    if (uv_mutex_init(&g->cb_mu) != 0)
        goto fail_uv;
    g->mutexes = 1;
    if (uv_mutex_init(&g->state_mu) != 0)
        goto fail_uv;
    g->mutexes = 2;
    if (!(g->sh = calloc(n, sizeof *g->sh)) ||
        !(g->names = calloc(g->n_srv + 1, sizeof *g->names)) ||
        !(g->merged = calloc(g->n_srv + 1, sizeof *g->merged)))
        goto fail;
    g->n = n;
    for (size_t k = 0; k < g->n_srv; k++) {
        snprintf(g->names[k], sizeof g->names[k], "%s", cfg->servers[k].text);
        pdns__stats_init(&g->merged[k], cfg->servers[k].text);
    }
    for (unsigned i = 0; i < n; i++) {
        shard *s = &g->sh[i];
        pdns__engine_cfg ec = *cfg;
        s->g = g;
        if (!(s->srv = calloc(g->n_srv + 1, sizeof *s->srv)))
            goto fail;
        if (uv_mutex_init(&s->mu) != 0)
            goto fail_uv;
        s->mu_init = 1;
        if (uv_loop_init(&s->loop) != 0)
            goto fail_uv;
        s->loop_init = 1;
        pdns__split_share(&cfg->opt, &cfg->prof, n, i, &ec.opt, &ec.prof);
        ec.share = (cfg->share > 0 ? cfg->share : 1) / n;
        ec.opt.on_result = report;
        ec.opt.user = g;
        ec.source = cfg->source ? pull : NULL;
        ec.source_user = cfg->source ? g : NULL;
        if ((st = pdns__engine_new(&s->loop, &ec, &s->e, g->errbuf, sizeof g->errbuf)) != PDNS_OK)
            goto fail;
    }
    return PDNS_OK;
fail_uv:
    st = PDNS_ERR_UV;
fail:
    /* pdns__pool_close releases what was made */
    return st;
}

const char *pdns__pool_error(const pdns__pool *g)
{
    return g->errbuf;
}

pdns_status pdns__pool_submit(pdns__pool *g, const char *name, uint64_t line, void *user)
{
    if (g->running)
        return PDNS_ERR_STATE; /* the engines' loops belong to their threads now */
    return pdns__engine_submit(g->sh[g->rr++ % g->n].e, name, line, user);
}

/* ---- snapshots ------------------------------------------------------------------------ */

/* On the engine's thread: copy its figures into the snapshot. */
static void publish(shard *s)
{
    pdns_totals tot;
    pdns__engine_totals(s->e, &tot);
    uv_mutex_lock(&s->mu);
    s->tot = tot;
    for (size_t k = 0; k < s->g->n_srv; k++) {
        pdns__engine_server_info(s->e, k, &s->srv[k].info);
        s->srv[k].lat = pdns__engine_server_stats(s->e, k)->lat;
    }
    uv_mutex_unlock(&s->mu);
}

static void publish_cb(uv_timer_t *t)
{
    publish(t->data);
}

static int abandoned(pdns__pool *g)
{
    int a;
    uv_mutex_lock(&g->state_mu);
    a = g->abandon;
    uv_mutex_unlock(&g->state_mu);
    return a;
}

static void stop_cb(uv_async_t *a)
{
    shard *s = a->data;
    if (abandoned(s->g)) /* leave the loop now: pdns__pool_close tears the engine down */
        uv_stop(&s->loop);
    else
        pdns__engine_stop(s->e);
}

static void shard_main(void *arg)
{
    shard *s = arg;
    pdns__pool *g = s->g;
    uv_run(&s->loop, UV_RUN_DEFAULT); /* until the engine is done (our handles are unref'd) */
    if (abandoned(g))                 /* pdns__pool_close closes what is left after the join */
        return;
    publish(s);
    uv_mutex_lock(&s->mu);
    s->closed = 1;
    uv_mutex_unlock(&s->mu);
    uv_close((uv_handle_t *)&s->stop_async, NULL);
    uv_close((uv_handle_t *)&s->publish, NULL);
    uv_run(&s->loop, UV_RUN_DEFAULT);
    uv_async_send(&g->finished);
}

/* Merge the engines' figures per server (threads joined), for the stats document. */
static void absorb(pdns__pool *g)
{
    for (size_t k = 0; k < g->n_srv; k++) {
        pdns__server_stats *dst = &g->merged[k];
        dst->optimal_qps = 0; /* sums; any unknown makes it unknown */
        dst->converged_after_s = 0;
        for (unsigned i = 0; i < g->n; i++) {
            (void)pdns__stats_merge(dst, pdns__engine_server_stats(g->sh[i].e, k));
        }
    }
    memset(&g->total, 0, sizeof g->total);
    for (unsigned i = 0; i < g->n; i++) {
        pdns_totals t;
        pdns__engine_totals(g->sh[i].e, &t);
        g->total.names += t.names;
        g->total.records += t.records;
        for (int k = 0; k < PDNS_R_COUNT; k++)
            g->total.statuses[k] += t.statuses[k];
        g->total.input_error |= t.input_error;
    }
}

/* Any thread: how many engines have ended (their threads closed their handles). */
static unsigned engines_ended(const pdns__pool *g)
{
    unsigned ended = 0;
    for (unsigned i = 0; i < g->n; i++) {
        uv_mutex_lock(&g->sh[i].mu);
        ended += g->sh[i].closed;
        uv_mutex_unlock(&g->sh[i].mu);
    }
    return ended;
}

static void finished_closed(uv_handle_t *h)
{
    (void)h;
}

static void finished_cb(uv_async_t *a)
{
    pdns__pool *g = a->data;
    /* async sends coalesce: count the threads that have ended */
    if (engines_ended(g) < g->n || g->done)
        return;
    for (unsigned i = 0; i < g->n; i++) {
        if (g->sh[i].thread_started) {
            uv_thread_join(&g->sh[i].tid);
            g->sh[i].thread_started = 0;
        }
    }
    absorb(g);
    uv_mutex_lock(&g->state_mu); /* read by other threads (elapsed) */
    g->end_ns = uv_hrtime();
    g->done = 1;
    uv_mutex_unlock(&g->state_mu);
    uv_close((uv_handle_t *)&g->finished, finished_closed);
    g->finished_init = 0;
}

/* ---- run, stop -------------------------------------------------------------------------- */

pdns_status pdns__pool_run(pdns__pool *g)
{
    pdns_status st;
    int rc, stopping;

    if ((rc = uv_async_init(g->loop, &g->finished, finished_cb)) != 0)
        goto fail_uv;
    g->finished.data = g;
    g->finished_init = 1;
    uv_mutex_lock(&g->state_mu);
    g->start_ns = uv_hrtime();
    g->started_wall = time(NULL);
    uv_mutex_unlock(&g->state_mu);
    for (unsigned i = 0; i < g->n; i++) {
        shard *s = &g->sh[i];
        if ((st = pdns__engine_run(s->e)) != PDNS_OK) {
            snprintf(g->errbuf, sizeof g->errbuf, "%s", pdns__engine_error(s->e));
            return st;
        }
        if ((rc = uv_async_init(&s->loop, &s->stop_async, stop_cb)) != 0)
            goto fail_uv;
        s->stop_async.data = s;
        if ((rc = uv_timer_init(&s->loop, &s->publish)) != 0) {
            uv_close((uv_handle_t *)&s->stop_async, NULL);
            goto fail_uv;
        }
        s->publish.data = s;
        s->handles_init = 1;
        if ((rc = uv_timer_start(&s->publish, publish_cb, PUBLISH_MS, PUBLISH_MS)) != 0)
            goto fail_uv;
        uv_unref((uv_handle_t *)&s->stop_async);
        uv_unref((uv_handle_t *)&s->publish);
        publish(s);
    }
    g->running = 1;
    uv_mutex_lock(&g->state_mu);
    stopping = g->stopping;
    uv_mutex_unlock(&g->state_mu);
    for (unsigned i = 0; i < g->n; i++) {
        shard *s = &g->sh[i];
        if (stopping)
            pdns__engine_stop(s->e);
        if ((rc = uv_thread_create(&s->tid, shard_main, s)) != 0) {
            /* stop the started threads (pdns__pool_close joins them); the engines without
             * a thread end here: stopped before their first send, they end at once */
            snprintf(g->errbuf, sizeof g->errbuf, "cannot start a thread: %s", uv_strerror(rc));
            pdns__pool_stop(g);
            for (unsigned k = i; k < g->n; k++) {
                pdns__engine_stop(g->sh[k].e);
                shard_main(&g->sh[k]);
            }
            return PDNS_ERR_UV;
        }
        s->thread_started = 1;
    }
    return PDNS_OK;
fail_uv:
    snprintf(g->errbuf, sizeof g->errbuf, "libuv: %s", uv_strerror(rc));
    return PDNS_ERR_UV;
}

void pdns__pool_stop(pdns__pool *g)
{
    uv_mutex_lock(&g->state_mu);
    g->stopping = 1;
    uv_mutex_unlock(&g->state_mu);
    for (unsigned i = 0; i < g->n; i++) {
        shard *s = &g->sh[i];
        uv_mutex_lock(&s->mu);
        if (s->handles_init && !s->closed)
            uv_async_send(&s->stop_async);
        uv_mutex_unlock(&s->mu);
    }
}

int pdns__pool_done(const pdns__pool *g)
{
    if (!g->running)
        return 0;
    return engines_ended(g) == g->n;
}

/* ---- figures --------------------------------------------------------------------------- */

double pdns__pool_elapsed(const pdns__pool *g)
{
    double el;
    uint64_t end;
    uv_mutex_lock((uv_mutex_t *)&g->state_mu);
    end = g->end_ns ? g->end_ns : uv_hrtime();
    el = g->start_ns ? (double)(end - g->start_ns) / 1e9 : 0.0;
    uv_mutex_unlock((uv_mutex_t *)&g->state_mu);
    return el;
}

time_t pdns__pool_started(const pdns__pool *g)
{
    return g->started_wall;
}

void pdns__pool_totals(const pdns__pool *g, pdns_totals *out)
{
    memset(out, 0, sizeof *out);
    for (unsigned i = 0; i < g->n; i++) {
        shard *s = &g->sh[i];
        uv_mutex_lock(&s->mu);
        out->names += s->tot.names;
        out->records += s->tot.records;
        for (int k = 0; k < PDNS_R_COUNT; k++)
            out->statuses[k] += s->tot.statuses[k];
        out->input_error |= s->tot.input_error;
        uv_mutex_unlock(&s->mu);
    }
    out->elapsed_s = pdns__pool_elapsed(g);
}

pdns_status pdns__pool_server_info(const pdns__pool *g, size_t k, pdns_server_info *out)
{
    pdns__hist lat;
    double el = pdns__pool_elapsed(g);
    int all_opt = 1, all_conv = 1;

    memset(out, 0, sizeof *out);
    out->server = g->names[k];
    out->phase = "none";
    pdns__hist_reset(&lat);
    for (unsigned i = 0; i < g->n; i++) {
        shard *s = &g->sh[i];
        const pdns_server_info *si;
        uv_mutex_lock(&s->mu);
        si = &s->srv[k].info;
        out->sent += si->sent;
        out->answered += si->answered;
        out->timeouts += si->timeouts;
        out->retries += si->retries;
        out->errors += si->errors;
        out->tc += si->tc;
        out->rate_qps += si->rate_qps;
        if (i == 0) {
            out->controlled = si->controlled;
            out->phase = si->phase ? si->phase : "none";
            out->transport = si->transport;
            out->conn_error = si->conn_error;
        }
        out->conn_opened += si->conn_opened;
        out->conn_failures += si->conn_failures;
        if (si->conn_error && si->conn_error[0])
            out->conn_error = si->conn_error;
        if (si->optimal_qps >= 0)
            out->optimal_qps += si->optimal_qps;
        else
            all_opt = 0;
        if (si->converged && si->converged_after_s >= 0)
            out->converged_after_s = fmax(out->converged_after_s, si->converged_after_s);
        else
            all_conv = 0;
        pdns__hist_merge(&lat, &s->srv[k].lat);
        uv_mutex_unlock(&s->mu);
    }
    if (!all_opt)
        out->optimal_qps = -1;
    out->converged = all_conv;
    if (!all_conv)
        out->converged_after_s = -1;
    out->answered_qps = el > 0 ? (double)out->answered / el : 0;
    out->p50_ms = (double)pdns__hist_quantile(&lat, 0.5) / 1000.0;
    out->p99_ms = (double)pdns__hist_quantile(&lat, 0.99) / 1000.0;
    out->near_loss = out->near_p50_ms = out->near_p99_ms = -1;
    if (g->done) { /* the figures of the merged series, as the stats document has them */
        pdns__near_figures nf;
        pdns__stats_near(&g->merged[k], out->optimal_qps, &nf);
        out->edges = g->merged[k].n_edges;
        out->near_loss = nf.loss;
        out->near_p50_ms = nf.p50_ms;
        out->near_p99_ms = nf.p99_ms;
    }
    return PDNS_OK;
}

unsigned pdns__pool_threads(const pdns__pool *g)
{
    return g->n;
}

const pdns__server_stats *pdns__pool_server_stats(const pdns__pool *g, size_t k)
{
    return g->done ? &g->merged[k] : NULL;
}

const pdns__server_stats *pdns__pool_thread_server_stats(const pdns__pool *g, unsigned i, size_t k)
{
    return g->done ? pdns__engine_server_stats(g->sh[i].e, k) : NULL;
}

void pdns__pool_thread_totals(const pdns__pool *g, unsigned i, pdns_totals *out)
{
    pdns__engine_totals(g->sh[i].e, out);
}

/* ---- the end --------------------------------------------------------------------------- */

/* Free the pool's memory (its handles closed, its threads joined, its engines gone). */
static void pool_release(pdns__pool *g)
{
    for (size_t k = 0; g->merged && k < g->n_srv; k++)
        pdns__stats_free(&g->merged[k]);
    free(g->merged);
    free(g->names);
    free(g->sh);
    if (g->mutexes > 0)
        uv_mutex_destroy(&g->cb_mu);
    if (g->mutexes > 1)
        uv_mutex_destroy(&g->state_mu);
    free(g);
}

static void finished_closed_free(uv_handle_t *h)
{
    pool_release(h->data);
}

void pdns__pool_close(pdns__pool *g)
{
    /* still running: no more records for the caller; the engines leave their loops at
     * once and are torn down here after their threads are joined */
    if (g->mutexes > 1 && g->running && !g->done) {
        uv_mutex_lock(&g->cb_mu);
        uv_mutex_lock(&g->state_mu);
        g->abandon = 1;
        uv_mutex_unlock(&g->state_mu);
        uv_mutex_unlock(&g->cb_mu);
        pdns__pool_stop(g);
    }
    for (unsigned i = 0; i < g->n; i++) {
        if (g->sh[i].thread_started) {
            uv_thread_join(&g->sh[i].tid);
            g->sh[i].thread_started = 0;
        }
    }
    for (unsigned i = 0; g->sh && i < g->n; i++) {
        shard *s = &g->sh[i];
        if (s->e)
            pdns__engine_close(s->e); /* its memory goes with its handles' close */
        if (s->handles_init && !s->closed) {
            uv_close((uv_handle_t *)&s->stop_async, NULL);
            uv_close((uv_handle_t *)&s->publish, NULL);
            s->closed = 1;
        }
        if (s->loop_init) { /* the engine's own loop: no thread runs it any more */
            uv_run(&s->loop, UV_RUN_DEFAULT);
            (void)uv_loop_close(&s->loop);
        }
        if (s->mu_init)
            uv_mutex_destroy(&s->mu);
        free(s->srv);
    }
    if (g->finished_init) {
        /* closed before it finished: g holds the handle, so g goes in its close callback
         * (run by the caller's loop) */
        g->finished_init = 0;
        uv_close((uv_handle_t *)&g->finished, finished_closed_free);
        return;
    }
    pool_release(g);
}
