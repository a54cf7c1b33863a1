/* shards.c - a runner's worker threads (pdns_options.threads > 1): one engine per thread.
 * SPDX-License-Identifier: MIT */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "pacedns.h"
#include "hist.h"
#include "runner.h"
#include "shards.h"

/* IMPLEMENTATION NOTES
 * Split. The parent keeps the server list, the profile and the options; each of the N
 * engines is a plain pdns_runner on a loop of its own, run by one thread, with every
 * server and its own pacer, in-flight slots and controller per server. Every rate limit
 * is divided by N (fixed qps, max_total_qps, max_inflight rounded up, and the profile's
 * start/min/max/increase rates, see rate_scale in ctl.c), so the N engines together
 * offer what one would: the controllers of one server in different threads see the
 * same congestion and back off together, as TCP flows sharing a link do.
 *
 * Names. Engines pull names from the caller's source through pull(), and report
 * records through report(); both hold cb_mu, so the caller's callbacks run one at a
 * time (the caller needs no lock of its own for them) and every name goes to exactly
 * one engine, which reports exactly one record per type for it.
 *
 * Start and end. pdns__shards_run starts every engine on the calling thread (so a bad
 * profile or a socket error is returned at once), then starts the threads; each runs
 * its loop until its engine is done, publishes a last snapshot and wakes the parent's
 * loop through `finished` (uv_async_send is the one libuv call safe across threads).
 * When all have ended, the parent joins them and merges their stats into its own
 * servers' stats (pdns__stats_merge), so the stats document is built as for one engine.
 *
 * Live figures. Totals and per-server figures are read by other threads (progress,
 * probe's convergence check), so each engine publishes a snapshot every PUBLISH_MS
 * under its own mutex (counters and a copy of each server's latency histogram); the
 * parent sums the snapshots. Stop requests reach the engines through an async handle
 * each, sent under the same mutex and never after the handle is closed. */

#define PUBLISH_MS 100

typedef struct snap_srv {
    pdns_server_info info;
    pdns__hist lat;
} snap_srv;

typedef struct shard {
    pdns__shards *g;
    pdns_runner *r;
    uv_loop_t loop;
    int loop_init;
    uv_async_t stop_async;
    uv_timer_t publish;
    int handles_init; /* stop_async and publish initialised */
    int closed;       /* stop_async closed: no more uv_async_send (under mu) */
    uv_thread_t tid;
    int thread_started;
    uv_mutex_t mu; /* guards the snapshot and closed */
    pdns_totals tot;
    snap_srv *srv;
    size_t n_srv;
} shard;

struct pdns__shards {
    pdns_runner *parent;
    unsigned n;
    shard *sh;
    size_t rr; /* submit: next engine */
    uv_mutex_t cb_mu;
    uv_mutex_t state_mu; /* stopping, the parent's end_ns */
    int mutexes;         /* 0, 1: cb_mu, 2: both */
    int stopping;
    pdns_result_cb on_result;
    void *user;
    pdns_source_fn source;
    void *source_user;
    uv_async_t finished;
    int finished_init;
    int abandon; /* freed before it finished (under cb_mu and state_mu) */
};

/* ---- trampolines: the caller's callbacks, one at a time ------------------------------ */

static void report(const pdns_result *res, void *user)
{
    pdns__shards *g = user;
    uv_mutex_lock(&g->cb_mu);
    if (!g->abandon) /* pdns_runner_free came first: the caller wants no more records */
        g->on_result(res, g->user);
    uv_mutex_unlock(&g->cb_mu);
}

static int pull(void *user, char *name, size_t cap, uint64_t *line)
{
    pdns__shards *g = user;
    int rc;
    uv_mutex_lock(&g->cb_mu);
    rc = g->source(g->source_user, name, cap, line);
    uv_mutex_unlock(&g->cb_mu);
    return rc;
}

/* ---- creation and configuration ---------------------------------------------------- */

pdns_status pdns__shards_new(pdns_runner *parent, const pdns_options *opt, unsigned n)
{
    pdns__shards *g;
    pdns_options so = *opt;
    unsigned inflight = opt->max_inflight ? opt->max_inflight : opt->qps > 0 ? 100 : 1000;
    pdns_status st = PDNS_ERR_NOMEM;

    if (!(g = calloc(1, sizeof *g)))
        return PDNS_ERR_NOMEM;
    parent->sh = g;
    g->parent = parent;
    g->on_result = opt->on_result;
    g->user = opt->user;
    if (uv_mutex_init(&g->cb_mu) != 0)
        goto fail_uv;
    g->mutexes = 1;
    if (uv_mutex_init(&g->state_mu) != 0)
        goto fail_uv;
    g->mutexes = 2;
    if (!(g->sh = calloc(n, sizeof *g->sh)))
        goto fail;
    g->n = n;

    so.threads = 1;
    so.qps = opt->qps > 0 ? opt->qps / n : 0;
    so.max_total_qps = opt->max_total_qps > 0 ? opt->max_total_qps / n : 0;
    /* every limit is split so that the engines' sum is the configured one exactly */
    so.types = parent->types;
    so.on_result = report;
    so.user = g;
    for (unsigned i = 0; i < n; i++) {
        shard *s = &g->sh[i];
        s->g = g;
        if (uv_mutex_init(&s->mu) != 0)
            goto fail_uv;
        if (uv_loop_init(&s->loop) != 0) {
            uv_mutex_destroy(&s->mu);
            goto fail_uv;
        }
        s->loop_init = 1;
        so.max_inflight = inflight / n + (i < inflight % n ? 1 : 0);
        if ((st = pdns_runner_new(&s->loop, &so, &s->r)) != PDNS_OK)
            goto fail;
        s->r->rate_scale = 1.0 / n;
    }
    return PDNS_OK;
fail_uv:
    st = PDNS_ERR_UV;
fail:
    /* pdns__shards_free (from pdns_runner_free of the parent) releases what was made */
    return st;
}

/* One configuration call, applied to every engine in turn; the first failure stops it
 * and its message becomes the parent's. */
typedef enum { OP_SERVER, OP_PROFILE, OP_PARAM } config_op;

static pdns_status each_engine(pdns_runner *parent, config_op op, const char *text, double value)
{
    pdns__shards *g = parent->sh;
    for (unsigned i = 0; i < g->n; i++) {
        pdns_runner *e = g->sh[i].r;
        pdns_status st = op == OP_SERVER    ? pdns_runner_add_server(e, text)
                         : op == OP_PROFILE ? pdns_runner_set_profile(e, text)
                                            : pdns_runner_set_param(e, text, value);
        if (st != PDNS_OK) {
            snprintf(parent->errbuf, sizeof parent->errbuf, "%s", e->errbuf);
            return st;
        }
    }
    return PDNS_OK;
}

pdns_status pdns__shards_add_server(pdns_runner *parent, const char *server)
{
    return each_engine(parent, OP_SERVER, server, 0);
}

pdns_status pdns__shards_set_profile(pdns_runner *parent, const char *name_or_path)
{
    return each_engine(parent, OP_PROFILE, name_or_path, 0);
}

pdns_status pdns__shards_set_param(pdns_runner *parent, const char *key, double value)
{
    return each_engine(parent, OP_PARAM, key, value);
}

pdns_status pdns__shards_submit(pdns_runner *parent, const char *name, uint64_t line, void *user)
{
    pdns__shards *g = parent->sh;
    if (parent->state != PDNS__RS_NEW)
        return PDNS_ERR_STATE; /* the engines' loops belong to their threads now */
    return pdns_runner_submit(g->sh[g->rr++ % g->n].r, name, line, user);
}

pdns_status pdns__shards_set_source(pdns_runner *parent, pdns_source_fn fn, void *user)
{
    pdns__shards *g = parent->sh;
    if (parent->state != PDNS__RS_NEW)
        return PDNS_ERR_STATE;
    g->source = fn;
    g->source_user = user;
    for (unsigned i = 0; i < g->n; i++)
        pdns_runner_set_source(g->sh[i].r, fn ? pull : NULL, fn ? g : NULL);
    return PDNS_OK;
}

/* ---- snapshots --------------------------------------------------------------------- */

/* On the engine's thread: copy its figures into the snapshot. */
static void publish(shard *s)
{
    pdns_totals tot;
    pdns_runner_totals(s->r, &tot);
    uv_mutex_lock(&s->mu);
    s->tot = tot;
    for (size_t i = 0; i < s->n_srv; i++) {
        pdns_runner_server_info(s->r, i, &s->srv[i].info);
        s->srv[i].lat = s->r->srv[i].st.lat;
    }
    uv_mutex_unlock(&s->mu);
}

static void publish_cb(uv_timer_t *t)
{
    publish(t->data);
}

static void stop_cb(uv_async_t *a)
{
    shard *s = a->data;
    int abandon;
    uv_mutex_lock(&s->g->state_mu);
    abandon = s->g->abandon;
    uv_mutex_unlock(&s->g->state_mu);
    if (abandon) /* leave the loop now: pdns__shards_free tears the engine down */
        uv_stop(&s->loop);
    else
        pdns_runner_stop(s->r);
}

static void shard_main(void *arg)
{
    shard *s = arg;
    pdns__shards *g = s->g;
    int abandon;
    uv_run(&s->loop, UV_RUN_DEFAULT); /* until the engine is done (our handles are unref'd) */
    uv_mutex_lock(&g->state_mu);
    abandon = g->abandon;
    uv_mutex_unlock(&g->state_mu);
    if (abandon) /* stopped by pdns__shards_free: it closes what is left after the join */
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

/* Merge the engines' figures into the parent's own servers and totals (main thread,
 * threads joined), so that pdns_runner_stats_json works on the parent as on one. */
static void absorb(pdns__shards *g)
{
    pdns_runner *p = g->parent;
    for (size_t k = 0; k < p->n_srv; k++) {
        pdns__server_stats *dst = &p->srv[k].st;
        dst->optimal_qps = 0; /* sums; any unknown makes it unknown */
        dst->converged_after_s = 0;
        for (unsigned i = 0; i < g->n; i++) {
            pdns_runner *e = g->sh[i].r; /* done: its teardown counted `ignored` */
            (void)pdns__stats_merge(dst, &e->srv[k].st);
            p->srv[k].pacer.rate += e->srv[k].pacer.rate;
        }
    }
    for (unsigned i = 0; i < g->n; i++) {
        pdns_runner *e = g->sh[i].r;
        p->names_read += e->names_read;
        p->records += e->records;
        for (int k = 0; k < PDNS_R_COUNT; k++)
            p->counts[k] += e->counts[k];
        if (e->source_error)
            p->source_error = 1;
    }
}

static void finished_closed(uv_handle_t *h)
{
    pdns_runner *p = h->data;
    p->handles_open--;
}

/* The handle's close callback when the runner was freed early: release the state. */
static void finished_closed_free(uv_handle_t *h)
{
    pdns__shards *g = (pdns__shards *)((char *)h - offsetof(pdns__shards, finished));
    g->parent->handles_open--;
    free(g);
}

/* Any thread: how many engines have ended (their threads closed their handles). */
static unsigned engines_ended(const pdns__shards *g)
{
    unsigned ended = 0;
    for (unsigned i = 0; i < g->n; i++) {
        uv_mutex_lock(&g->sh[i].mu);
        ended += g->sh[i].closed;
        uv_mutex_unlock(&g->sh[i].mu);
    }
    return ended;
}

static void finished_cb(uv_async_t *a)
{
    pdns_runner *p = a->data;
    pdns__shards *g = p->sh;
    /* async sends coalesce: count the threads that have ended */
    if (engines_ended(g) < g->n || p->state != PDNS__RS_RUNNING)
        return;
    for (unsigned i = 0; i < g->n; i++) {
        if (g->sh[i].thread_started) {
            uv_thread_join(&g->sh[i].tid);
            g->sh[i].thread_started = 0;
        }
    }
    absorb(g);
    uv_mutex_lock(&g->state_mu); /* read by other threads (elapsed) */
    p->end_ns = uv_hrtime();
    uv_mutex_unlock(&g->state_mu);
    p->state = PDNS__RS_DONE;
    uv_close((uv_handle_t *)&g->finished, finished_closed);
    g->finished_init = 0;
}

/* ---- run, stop ----------------------------------------------------------------------- */

pdns_status pdns__shards_run(pdns_runner *p)
{
    pdns__shards *g = p->sh;
    pdns_status st;
    int rc, stopping;

    for (unsigned i = 0; i < g->n; i++) {
        shard *s = &g->sh[i];
        if (!(s->srv = calloc(p->n_srv, sizeof *s->srv)))
            return PDNS_ERR_NOMEM;
        s->n_srv = p->n_srv;
    }
    if ((rc = uv_async_init(p->loop, &g->finished, finished_cb)) != 0)
        goto fail_uv;
    g->finished.data = p;
    g->finished_init = 1;
    p->handles_open++;
    p->start_ns = uv_hrtime();
    p->started_wall = time(NULL);
    for (unsigned i = 0; i < g->n; i++) {
        shard *s = &g->sh[i];
        if ((st = pdns_runner_run(s->r)) != PDNS_OK) {
            snprintf(p->errbuf, sizeof p->errbuf, "%s", s->r->errbuf);
            goto fail;
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
    p->state = PDNS__RS_RUNNING;
    uv_mutex_lock(&g->state_mu);
    stopping = g->stopping;
    uv_mutex_unlock(&g->state_mu);
    for (unsigned i = 0; i < g->n; i++) {
        shard *s = &g->sh[i];
        if (stopping)
            pdns_runner_stop(s->r);
        if ((rc = uv_thread_create(&s->tid, shard_main, s)) != 0) {
            /* stop the started threads (pdns_runner_free joins them); the engines without
             * a thread end here: stopped before their first send, they end at once */
            snprintf(p->errbuf, sizeof p->errbuf, "cannot start a thread: %s", uv_strerror(rc));
            pdns__shards_stop(p);
            for (unsigned k = i; k < g->n; k++) {
                pdns_runner_stop(g->sh[k].r);
                shard_main(&g->sh[k]);
            }
            return PDNS_ERR_UV;
        }
        s->thread_started = 1;
    }
    if (p->own_loop)
        uv_run(p->loop, UV_RUN_DEFAULT);
    return PDNS_OK;
fail_uv:
    snprintf(p->errbuf, sizeof p->errbuf, "libuv: %s", uv_strerror(rc));
    st = PDNS_ERR_UV;
fail:
    /* nothing runs yet: pdns_runner_free of the parent tears the engines down */
    p->state = PDNS__RS_CLOSING;
    return st;
}

void pdns__shards_stop(pdns_runner *p)
{
    pdns__shards *g = p->sh;
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

int pdns__shards_done(const pdns_runner *p)
{
    if (p->state == PDNS__RS_NEW)
        return 0;
    return engines_ended(p->sh) == p->sh->n || p->state == PDNS__RS_CLOSING;
}

/* ---- figures ------------------------------------------------------------------------- */

/* The parent's elapsed time, from any thread (end_ns is set on the parent's loop). */
static double elapsed(const pdns__shards *g)
{
    double el;
    uv_mutex_lock((uv_mutex_t *)&g->state_mu);
    el = pdns__runner_elapsed(g->parent);
    uv_mutex_unlock((uv_mutex_t *)&g->state_mu);
    return el;
}

void pdns__shards_totals(const pdns_runner *p, pdns_totals *out)
{
    const pdns__shards *g = p->sh;
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
    out->elapsed_s = elapsed(g);
}

pdns_status pdns__shards_server_info(const pdns_runner *p, size_t k, pdns_server_info *out)
{
    const pdns__shards *g = p->sh;
    pdns__hist lat;
    double el = elapsed(g);
    int all_opt = 1, all_conv = 1;

    memset(out, 0, sizeof *out);
    out->server = p->srv[k].addr.text;
    out->phase = "none";
    pdns__hist_reset(&lat);
    for (unsigned i = 0; i < g->n; i++) {
        shard *s = &g->sh[i];
        const pdns_server_info *si;
        uv_mutex_lock(&s->mu);
        if (k >= s->n_srv) { /* not started */
            uv_mutex_unlock(&s->mu);
            all_opt = all_conv = 0;
            continue;
        }
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
        }
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
    return PDNS_OK;
}

void pdns__shards_stats_json(pdns_runner *p, cJSON *doc)
{
    pdns__shards *g = p->sh;
    cJSON *servers = cJSON_GetObjectItemCaseSensitive(doc, "servers");
    cJSON *tt = cJSON_AddArrayToObject(doc, "thread_totals");
    for (unsigned i = 0; tt && i < g->n; i++) {
        cJSON *o = cJSON_CreateObject();
        if (!o)
            break;
        cJSON_AddNumberToObject(o, "names", (double)g->sh[i].r->names_read);
        cJSON_AddNumberToObject(o, "records", (double)g->sh[i].r->records);
        cJSON_AddItemToArray(tt, o);
    }
    for (size_t k = 0; k < p->n_srv; k++) {
        cJSON *sj = cJSON_GetArrayItem(servers, (int)k);
        cJSON *arr = sj ? cJSON_AddArrayToObject(sj, "threads") : NULL;
        for (unsigned i = 0; arr && i < g->n; i++) {
            const pdns__server_stats *st = &g->sh[i].r->srv[k].st;
            cJSON *o = cJSON_CreateObject();
            if (!o)
                break;
            cJSON_AddNumberToObject(o, "sent", (double)st->sent);
            cJSON_AddNumberToObject(o, "answered", (double)st->answered);
            cJSON_AddNumberToObject(o, "timeouts", (double)st->timeouts);
            cJSON_AddNumberToObject(o, "retries", (double)st->retries);
            cJSON_AddItemToArray(arr, o);
        }
    }
}

/* ---- the end ------------------------------------------------------------------------- */

void pdns__shards_free(pdns_runner *p)
{
    pdns__shards *g = p->sh;
    if (!g)
        return;
    /* still running: no more records for the caller; the engines leave their loops at
     * once and are torn down here after their threads are joined */
    if (g->mutexes > 1) {
        uv_mutex_lock(&g->cb_mu);
        uv_mutex_lock(&g->state_mu);
        g->abandon = 1;
        uv_mutex_unlock(&g->state_mu);
        uv_mutex_unlock(&g->cb_mu);
        pdns__shards_stop(p);
    }
    for (unsigned i = 0; i < g->n; i++) {
        if (g->sh[i].thread_started) {
            uv_thread_join(&g->sh[i].tid);
            g->sh[i].thread_started = 0;
        }
    }
    for (unsigned i = 0; g->sh && i < g->n; i++) {
        shard *s = &g->sh[i];
        if (s->r)
            pdns_runner_free(s->r);
        if (s->handles_init && !s->closed) {
            uv_close((uv_handle_t *)&s->stop_async, NULL);
            uv_close((uv_handle_t *)&s->publish, NULL);
            s->closed = 1;
        }
        if (s->loop_init) {
            uv_run(&s->loop, UV_RUN_DEFAULT);
            (void)uv_loop_close(&s->loop);
            uv_mutex_destroy(&s->mu);
        }
        free(s->srv);
    }
    free(g->sh);
    g->sh = NULL;
    if (g->mutexes > 0)
        uv_mutex_destroy(&g->cb_mu);
    if (g->mutexes > 1)
        uv_mutex_destroy(&g->state_mu);
    g->mutexes = 0;
    p->sh = NULL;
    if (g->finished_init) {
        /* freed before it finished: g holds the handle, so g goes in its close callback
         * (which pdns_runner_free lets run before it frees the parent) */
        g->finished_init = 0;
        uv_close((uv_handle_t *)&g->finished, finished_closed_free);
        return;
    }
    free(g);
}
