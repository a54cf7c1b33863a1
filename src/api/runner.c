/* runner.c - the façade: the public pdns_runner handle, its configuration, one engine or
 * one pool.
 * SPDX-License-Identifier: MIT */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uv.h>

#include "core/aimd.h"
#include "core/pending.h"
#include "core/split.h"
#include "engine/engine.h"
#include "format/report.h"
#include "pacedns.h"
#include "pool/pool.h"
#include "format/profile.h"
#include "format/server.h"
#include "dns/edns.h"
#include "dns/wire.h"

/* IMPLEMENTATION NOTES
 * While new, the runner only records configuration: options, types, servers, the
 * profile's parameters (a profile file is read once, here), submissions and the source.
 * pdns_runner_run checks it once (the profile's cross-key rules), then builds either one
 * engine on the runner's loop or, with options.threads > 1, one pool of engines on
 * worker threads; this is the only place that chooses. Every call after that goes to
 * the one or the other. pdns_runner_free never runs the caller's loop: it closes what
 * is open, and the memory of the engine or pool goes in their close callbacks, which
 * the caller's next uv_run runs (with the runner's own loop, it runs that loop).
 * Shards (options.shards > 1): this process is one of N sharing the servers; the run
 * takes its share of every limit here (core/split.c, pdns__split_shard), before a pool
 * splits that share again over its threads, so shards x threads engines together offer
 * what one would. Remembered capacities (pdns_runner_set_server_estimate) go to the
 * engines as whole-server figures with the engine's share (1 / (shards x threads)). */

typedef enum rstate { RS_NEW = 0, RS_RUNNING, RS_FAILED } rstate;

struct pdns_runner {
    uv_loop_t *loop;
    uv_loop_t *own_loop;
    pdns_options opt;
    uint16_t *types;
    size_t n_types;
    char *tls_ca, *tls_name; /* copies of the options' strings */
    pdns__addr *srv;
    double *warm; /* [cap_srv] remembered capacities (pdns_runner_set_server_estimate) */
    size_t n_srv, cap_srv;
    pdns__addr *tr; /* trusted servers */
    size_t n_tr, cap_tr;
    pdns__aimd_params prof;
    char origin[256];
    pdns__pendq pend; /* submitted while new */
    pdns_source_fn source;
    void *source_user;
    rstate state;
    pdns__engine *eng;
    pdns__pool *pool;
    double started_unix; /* wall clock at pdns_runner_run, seconds (sub-second) */
    pdns__qopts qopts;   /* query flags and EDNS options, from opt */
    char errbuf[256];
};

#define EDNS_SIZE_MIN 512 /* pdns_options.edns_size range (RFC 6891 6.2.5) */
#define EDNS_SIZE_MAX 65535
#define Q_EDNS_OPTS   (PDNS_Q_DNSSEC | PDNS_Q_NSID | PDNS_Q_NSID_RECORD | PDNS_Q_COOKIES)

/* opt's query flags and EDNS options as the query encoder takes them (the client
 * cookie itself is drawn per server by the engine). Returns PDNS_OK or the status of
 * pdns_runner_new's contract. */
static pdns_status query_opts(const pdns_options *opt, pdns__qopts *q)
{
    unsigned f = opt->query_flags;
    const char *why;
    memset(q, 0, sizeof *q);
    if (!f && !opt->edns_size && !opt->ecs)
        return PDNS_OK;
    if (opt->transport == PDNS_TRANSPORT_GETDNS)
        return PDNS_ERR_UNSUPPORTED;
    if ((f & PDNS_Q_NO_EDNS) && ((f & Q_EDNS_OPTS) || opt->edns_size || opt->ecs))
        return PDNS_ERR_INVALID;
    if (opt->edns_size && (opt->edns_size < EDNS_SIZE_MIN || opt->edns_size > EDNS_SIZE_MAX))
        return PDNS_ERR_RANGE;
    if (opt->ecs && pdns__ecs_parse(opt->ecs, q, &why) != 0)
        return PDNS_ERR_PARSE;
    q->no_rd = (f & PDNS_Q_NO_RD) != 0;
    q->no_edns = (f & PDNS_Q_NO_EDNS) != 0;
    q->udp_size = (uint16_t)opt->edns_size;
    q->do_bit = (f & PDNS_Q_DNSSEC) != 0;
    q->nsid = (f & (PDNS_Q_NSID | PDNS_Q_NSID_RECORD)) != 0;
    q->cookie = (f & PDNS_Q_COOKIES) != 0;
    return PDNS_OK;
}

pdns_status pdns_ecs_check(const char *prefix, const char **why)
{
    pdns__qopts q;
    const char *w = NULL;
    int rc = pdns__ecs_parse(prefix, &q, &w);
    if (why)
        *why = w;
    return rc == 0 ? PDNS_OK : PDNS_ERR_PARSE;
}

void pdns_options_init(pdns_options *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->qps = 0;
    opt->max_inflight = 0; /* auto: 100 with a fixed rate, 1000 with the controller */
    opt->timeout_ms = 2000;
    opt->retries = 3;
    opt->interval_s = 1.0;
}

pdns_status pdns_runner_new(uv_loop_t *loop, const pdns_options *opt, pdns_runner **out)
{
    static const uint16_t def_type = PDNS__TYPE_A;
    pdns_runner *r;

    if (!opt || !out || !opt->on_result)
        return PDNS_ERR_INVALID;
    /* the documented ranges of pdns_options (see pacedns.h) */
    if (opt->timeout_ms == 0 || opt->timeout_ms > PDNS_MAX_TIMEOUT_MS ||
        !(opt->interval_s >= PDNS_MIN_INTERVAL_S && opt->interval_s <= PDNS_MAX_INTERVAL_S) ||
        opt->retries > PDNS_MAX_RETRIES || opt->threads > PDNS_MAX_THREADS ||
        (opt->threads > 1 && opt->max_inflight && opt->max_inflight < opt->threads) ||
        !(opt->qps <= 0 || isfinite(opt->qps)) ||
        !(opt->max_total_qps <= 0 || isfinite(opt->max_total_qps)) || opt->stream_conns > 64 ||
        (opt->doh_method != PDNS_DOH_POST && opt->doh_method != PDNS_DOH_GET) ||
        opt->shards > PDNS_MAX_SHARDS || (opt->shards > 1 && opt->shard_index >= opt->shards) ||
        (opt->shards <= 1 && opt->shard_index != 0))
        return PDNS_ERR_RANGE;
    if (opt->dnssec) /* reserved: validation is not implemented */
        return PDNS_ERR_UNSUPPORTED;
    {
        pdns__qopts q;
        pdns_status st = query_opts(opt, &q);
        if (st != PDNS_OK)
            return st;
    }
    if (!(r = calloc(1, sizeof *r)))
        return PDNS_ERR_NOMEM;
    r->opt = *opt;
    query_opts(opt, &r->qopts); /* checked above */
    r->opt.ecs = NULL;          /* parsed: the caller's string is not kept */
    r->n_types = opt->n_types ? opt->n_types : 1;
    if (!(r->types = malloc(r->n_types * sizeof *r->types)))
        goto fail;
    memcpy(r->types, opt->n_types ? opt->types : &def_type, r->n_types * sizeof *r->types);
    r->opt.types = r->types;
    r->opt.n_types = r->n_types;
    if ((opt->tls_ca && !(r->tls_ca = strdup(opt->tls_ca))) ||
        (opt->tls_name && !(r->tls_name = strdup(opt->tls_name))))
        goto fail;
    r->opt.tls_ca = r->tls_ca;
    r->opt.tls_name = r->tls_name;
    pdns__aimd_params_default(&r->prof);
    snprintf(r->origin, sizeof r->origin, "default");
    if (loop) {
        r->loop = loop;
    } else {
        if (!(r->own_loop = malloc(sizeof *r->own_loop)))
            goto fail;
        if (uv_loop_init(r->own_loop) != 0) {
            free(r->own_loop);
            r->own_loop = NULL;
            free(r->tls_ca);
            free(r->tls_name);
            free(r->types);
            free(r);
            return PDNS_ERR_UV;
        }
        r->loop = r->own_loop;
    }
    *out = r;
    return PDNS_OK;
fail:
    free(r->tls_ca);
    free(r->tls_name);
    free(r->types);
    free(r);
    return PDNS_ERR_NOMEM;
}

const char *pdns_runner_errmsg(const pdns_runner *r)
{
    if (r && r->eng && pdns__engine_halted(r->eng))
        return pdns__engine_error(r->eng);
    return r ? r->errbuf : "";
}

/* ---- configuration (while new) ----------------------------------------------------- */

pdns_status pdns_runner_add_server(pdns_runner *r, const char *server)
{
    pdns__addr a;
    const char *why;
    if (!r || !server)
        return PDNS_ERR_INVALID;
    if (r->state != RS_NEW)
        return PDNS_ERR_STATE;
    if (pdns__addr_parse(server, &a, &why) != PDNS_OK) {
        snprintf(r->errbuf, sizeof r->errbuf, "bad server %s '%s': %s",
                 strstr(server, "://") ? "URL" : "address", server, why);
        return PDNS_ERR_PARSE;
    }
    for (size_t i = 0; i < r->n_srv; i++)
        if (strcmp(r->srv[i].text, a.text) == 0)
            return PDNS_ERR_INVALID;
    if (r->n_srv == r->cap_srv) {
        size_t cap = r->cap_srv ? r->cap_srv * 2 : 4;
        pdns__addr *n = realloc(r->srv, cap * sizeof *n);
        double *w;
        if (!n)
            return PDNS_ERR_NOMEM;
        r->srv = n;
        if (!(w = realloc(r->warm, cap * sizeof *w)))
            return PDNS_ERR_NOMEM;
        r->warm = w;
        r->cap_srv = cap;
    }
    r->warm[r->n_srv] = 0;
    r->srv[r->n_srv++] = a;
    return PDNS_OK;
}

pdns_status pdns_runner_set_server_estimate(pdns_runner *r, const char *server, double optimal_qps)
{
    pdns__addr a;
    const char *why;
    if (!r || !server)
        return PDNS_ERR_INVALID;
    if (r->state != RS_NEW)
        return PDNS_ERR_STATE;
    if (!(optimal_qps > 0) || !isfinite(optimal_qps))
        return PDNS_ERR_RANGE;
    if (pdns__addr_parse(server, &a, &why) != PDNS_OK) {
        snprintf(r->errbuf, sizeof r->errbuf, "bad server address '%s': %s", server, why);
        return PDNS_ERR_PARSE;
    }
    for (size_t i = 0; i < r->n_srv; i++)
        if (strcmp(r->srv[i].text, a.text) == 0) {
            r->warm[i] = optimal_qps;
            return PDNS_OK;
        }
    snprintf(r->errbuf, sizeof r->errbuf, "server %s was not added", a.text);
    return PDNS_ERR_INVALID;
}

pdns_status pdns_runner_add_trusted(pdns_runner *r, const char *server)
{
    pdns__addr a;
    const char *why;
    if (!r || !server)
        return PDNS_ERR_INVALID;
    if (r->state != RS_NEW)
        return PDNS_ERR_STATE;
    if (pdns__addr_parse(server, &a, &why) != PDNS_OK) {
        snprintf(r->errbuf, sizeof r->errbuf, "bad trusted server address '%s': %s", server, why);
        return PDNS_ERR_PARSE;
    }
    for (size_t i = 0; i < r->n_tr; i++)
        if (strcmp(r->tr[i].text, a.text) == 0)
            return PDNS_ERR_INVALID;
    if (r->n_tr == r->cap_tr) {
        size_t cap = r->cap_tr ? r->cap_tr * 2 : 4;
        pdns__addr *n = realloc(r->tr, cap * sizeof *n);
        if (!n)
            return PDNS_ERR_NOMEM;
        r->tr = n;
        r->cap_tr = cap;
    }
    r->tr[r->n_tr++] = a;
    return PDNS_OK;
}

static pdns_status add_trusted_cb(const char *text, void *ud)
{
    return pdns_runner_add_trusted(ud, text);
}

/* Add every server of a servers file through cb; a file with none is an error. count is
 * the list the file grows (to tell whether it added any). */
static pdns_status add_file(pdns_runner *r, const char *path,
                            pdns_status (*cb)(const char *, void *), const size_t *count)
{
    size_t before;
    pdns_status st;
    if (!r || !path)
        return PDNS_ERR_INVALID;
    before = *count;
    st = pdns__servers_file(path, cb, r, r->errbuf, sizeof r->errbuf);
    if (st == PDNS_OK && *count == before) {
        snprintf(r->errbuf, sizeof r->errbuf, "%s: no servers in the file", path);
        return PDNS_ERR_NOSERVER;
    }
    return st;
}

pdns_status pdns_runner_add_trusted_file(pdns_runner *r, const char *path)
{
    return r ? add_file(r, path, add_trusted_cb, &r->n_tr) : PDNS_ERR_INVALID;
}

static pdns_status add_cb(const char *text, void *ud)
{
    return pdns_runner_add_server(ud, text);
}

pdns_status pdns_runner_add_servers_file(pdns_runner *r, const char *path)
{
    return r ? add_file(r, path, add_cb, &r->n_srv) : PDNS_ERR_INVALID;
}

pdns_status pdns_runner_add_resolv_conf(pdns_runner *r, const char *path)
{
    if (!r)
        return PDNS_ERR_INVALID;
    return pdns__servers_resolv_conf(path ? path : "/etc/resolv.conf", add_cb, r, r->errbuf,
                                     sizeof r->errbuf);
}

/* Profile lookup: $PACEDNS_PROFILE_DIR, the installed data dir, the source tree. */
pdns_status pdns_runner_set_profile(pdns_runner *r, const char *name_or_path)
{
    const char *dirs[3];
    size_t nd = 0;
    pdns__aimd_params p;
    pdns_status st;
    if (!r || !name_or_path)
        return PDNS_ERR_INVALID;
    if (r->state != RS_NEW)
        return PDNS_ERR_STATE;
    if (getenv("PACEDNS_PROFILE_DIR"))
        dirs[nd++] = getenv("PACEDNS_PROFILE_DIR");
#ifdef PDNS_DATADIR
    dirs[nd++] = PDNS_DATADIR "/profiles";
#endif
#ifdef PDNS_SOURCE_PROFILES
    dirs[nd++] = PDNS_SOURCE_PROFILES;
#endif
    st = pdns__profile_load(name_or_path, dirs, nd, &p, r->errbuf, sizeof r->errbuf);
    if (st != PDNS_OK) {
        if (st == PDNS_ERR_IO && !strchr(name_or_path, '/') && !strstr(name_or_path, ".json"))
            snprintf(r->errbuf, sizeof r->errbuf,
                     "profile '%s' not found (looked in $PACEDNS_PROFILE_DIR, %s)", name_or_path,
                     nd > 1 ? dirs[nd - 2] : dirs[0]);
        return st;
    }
    r->prof = p;
    snprintf(r->origin, sizeof r->origin, "%s", name_or_path);
    return PDNS_OK;
}

pdns_status pdns_runner_set_param(pdns_runner *r, const char *key, double value)
{
    if (!r || !key)
        return PDNS_ERR_INVALID;
    if (r->state != RS_NEW)
        return PDNS_ERR_STATE;
    return pdns__profile_set(&r->prof, key, value, r->errbuf, sizeof r->errbuf);
}

pdns_status pdns_runner_set_source(pdns_runner *r, pdns_source_fn fn, void *user)
{
    if (!r)
        return PDNS_ERR_INVALID;
    if (r->state != RS_NEW)
        return PDNS_ERR_STATE;
    r->source = fn;
    r->source_user = user;
    return PDNS_OK;
}

pdns_status pdns_runner_submit(pdns_runner *r, const char *name, uint64_t line, void *user)
{
    if (!r || !name)
        return PDNS_ERR_INVALID;
    if (r->eng)
        return pdns__engine_submit(r->eng, name, line, user);
    if (r->pool || r->state != RS_NEW)
        return PDNS_ERR_STATE; /* a pool's loops belong to its threads */
    return pdns__pendq_push(&r->pend, name, line, user);
}

/* ---- the run ------------------------------------------------------------------------ */

/* Hand the submissions made while new to the engine or pool. */
static pdns_status hand_over(pdns_runner *r)
{
    pdns__pending *p;
    while ((p = pdns__pendq_pop(&r->pend))) {
        pdns_status st = r->eng ? pdns__engine_submit(r->eng, p->name, p->line, p->user)
                                : pdns__pool_submit(r->pool, p->name, p->line, p->user);
        free(p);
        if (st != PDNS_OK)
            return st;
    }
    return PDNS_OK;
}

pdns_status pdns_runner_run(pdns_runner *r)
{
    pdns__engine_cfg cfg;
    pdns_status st;
    int aimd;

    if (!r)
        return PDNS_ERR_INVALID;
    if (r->state != RS_NEW)
        return PDNS_ERR_STATE;
    if (r->n_srv == 0)
        return PDNS_ERR_NOSERVER;
    aimd = !(r->opt.qps > 0);
    /* the profile's cross-key rules, before any thread or handle exists */
    if (aimd &&
        (st = pdns__profile_validate(&r->prof, r->origin, r->errbuf, sizeof r->errbuf)) != PDNS_OK)
        return st;
    if (r->opt.verify && r->n_tr == 0) {
        snprintf(r->errbuf, sizeof r->errbuf, "verify needs a trusted server");
        return PDNS_ERR_INVALID;
    }
    if (r->opt.threads > 1 &&
        (r->n_tr || r->opt.canaries || r->opt.verify || r->opt.wildcards != PDNS_WILDCARDS_OFF)) {
        snprintf(r->errbuf, sizeof r->errbuf,
                 "trust checks (trusted servers, canaries, verify, wildcards) need one thread");
        return PDNS_ERR_UNSUPPORTED;
    }
    memset(&cfg, 0, sizeof cfg);
    cfg.opt = r->opt;
    cfg.trusted = r->tr;
    cfg.n_trusted = r->n_tr;
    cfg.types = r->types;
    cfg.n_types = r->n_types;
    cfg.servers = r->srv;
    cfg.n_servers = r->n_srv;
    cfg.aimd = aimd;
    cfg.prof = r->prof;
    cfg.origin = r->origin;
    cfg.warm_qps = r->warm;
    cfg.share = 1;
    if (r->opt.shards > 1) { /* this process's share; a pool splits it again */
        pdns__split_shard(&r->opt, &r->prof, r->opt.shards, r->opt.shard_index, &cfg.opt,
                          &cfg.prof);
        cfg.share = 1.0 / r->opt.shards;
    }
    cfg.source = r->source;
    cfg.source_user = r->source_user;
    cfg.qopts = r->qopts;
    r->state = RS_RUNNING;
    {
        struct timespec ts;
        if (clock_gettime(CLOCK_REALTIME, &ts) == 0)
            r->started_unix = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
    }
    if (r->opt.threads > 1) {
        st = pdns__pool_new(r->loop, &cfg, r->opt.threads, &r->pool);
        if (st == PDNS_OK)
            st = hand_over(r);
        if (st == PDNS_OK)
            st = pdns__pool_run(r->pool);
        if (st != PDNS_OK && r->pool)
            snprintf(r->errbuf, sizeof r->errbuf, "%s", pdns__pool_error(r->pool));
    } else {
        st = pdns__engine_new(r->loop, &cfg, &r->eng, r->errbuf, sizeof r->errbuf);
        if (st == PDNS_OK)
            st = hand_over(r);
        if (st == PDNS_OK && (st = pdns__engine_run(r->eng)) != PDNS_OK)
            snprintf(r->errbuf, sizeof r->errbuf, "%s", pdns__engine_error(r->eng));
    }
    if (st != PDNS_OK) {
        r->state = RS_FAILED;
        if (r->own_loop)
            uv_run(r->loop, UV_RUN_DEFAULT); /* the close callbacks of what was opened */
        return st;
    }
    if (r->own_loop)
        uv_run(r->loop, UV_RUN_DEFAULT);
    return PDNS_OK;
}

void pdns_runner_stop(pdns_runner *r)
{
    if (!r)
        return;
    if (r->pool)
        pdns__pool_stop(r->pool); /* any thread */
    else if (r->eng)
        pdns__engine_stop(r->eng);
}

int pdns_runner_done(const pdns_runner *r)
{
    if (!r)
        return 0;
    if (r->pool)
        return pdns__pool_done(r->pool) || r->state == RS_FAILED;
    if (r->eng)
        return pdns__engine_done(r->eng);
    return r->state == RS_FAILED;
}

void pdns_runner_free(pdns_runner *r)
{
    if (!r)
        return;
    if (r->pool)
        pdns__pool_close(r->pool);
    if (r->eng)
        pdns__engine_close(r->eng);
    if (r->own_loop) {
        uv_run(r->own_loop, UV_RUN_DEFAULT);
        (void)uv_loop_close(r->own_loop);
        free(r->own_loop);
    }
    pdns__pendq_clear(&r->pend);
    free(r->srv);
    free(r->tls_ca);
    free(r->tls_name);
    free(r->warm);
    free(r->tr);
    free(r->types);
    free(r);
}

void pdns_free(void *p)
{
    free(p);
}

/* ---- figures ------------------------------------------------------------------------- */

size_t pdns_runner_server_count(const pdns_runner *r)
{
    return r ? r->n_srv : 0;
}

pdns_status pdns_runner_server_info(const pdns_runner *r, size_t i, pdns_server_info *out)
{
    if (!r || !out || i >= r->n_srv)
        return PDNS_ERR_INVALID;
    if (r->pool)
        return pdns__pool_server_info(r->pool, i, out);
    if (r->eng) {
        pdns__engine_server_info(r->eng, i, out);
        return PDNS_OK;
    }
    memset(out, 0, sizeof *out); /* not started */
    out->server = r->srv[i].text;
    out->transport = pdns__proto_name(r->srv[i].proto);
    out->conn_error = "";
    out->optimal_qps = -1;
    out->converged_after_s = -1;
    out->phase = "none";
    return PDNS_OK;
}

void pdns_runner_totals(const pdns_runner *r, pdns_totals *out)
{
    memset(out, 0, sizeof *out);
    if (!r)
        return;
    if (r->pool)
        pdns__pool_totals(r->pool, out);
    else if (r->eng)
        pdns__engine_totals(r->eng, out);
}

char *pdns_runner_stats_json(pdns_runner *r, int pretty)
{
    pdns__report rep;
    pdns_totals tot;
    const pdns__server_stats **servers = NULL, **tsrv = NULL;
    pdns_totals *ttot = NULL;
    pdns__server_stats *zero = NULL;
    pdns__report_trust *trust = NULL;
    const pdns__server_stats **trusted = NULL;
    char *out = NULL;

    if (!r)
        return NULL;
    memset(&rep, 0, sizeof rep);
    pdns_runner_totals(r, &tot);
    rep.totals = &tot;
    rep.duration_s = tot.elapsed_s;
    rep.threads = r->opt.threads > 1 ? r->opt.threads : 1;
    rep.aimd = !(r->opt.qps > 0);
    rep.fixed_qps = r->opt.qps;
    rep.profile = r->origin;
    rep.params = &r->prof;
    rep.started_unix = r->started_unix;
    rep.shards = r->opt.shards > 1 ? r->opt.shards : 1;
    rep.shard_index = r->opt.shard_index;
    if (!(servers = calloc(r->n_srv + 1, sizeof *servers)))
        return NULL;
    rep.servers = servers;
    if (r->pool && pdns__pool_server_stats(r->pool, 0)) { /* merged once it is done */
        unsigned n = pdns__pool_threads(r->pool);
        rep.started = pdns__pool_started(r->pool);
        for (size_t k = 0; k < r->n_srv; k++)
            servers[k] = pdns__pool_server_stats(r->pool, k);
        rep.n_servers = r->n_srv;
        if (!(tsrv = calloc((size_t)n * r->n_srv + 1, sizeof *tsrv)) ||
            !(ttot = calloc(n, sizeof *ttot)))
            goto out;
        for (unsigned i = 0; i < n; i++) {
            pdns__pool_thread_totals(r->pool, i, &ttot[i]);
            for (size_t k = 0; k < r->n_srv; k++)
                tsrv[i * r->n_srv + k] = pdns__pool_thread_server_stats(r->pool, i, k);
        }
        rep.n_threads = n;
        rep.thread_totals = ttot;
        rep.thread_servers = tsrv;
    } else if (r->eng) {
        rep.started = pdns__engine_started(r->eng);
        for (size_t k = 0; k < r->n_srv; k++)
            servers[k] = pdns__engine_server_stats(r->eng, k);
        rep.n_servers = r->n_srv;
        if (!(trust = calloc(r->n_srv + 1, sizeof *trust)) ||
            !(trusted = calloc(pdns__engine_trusted_count(r->eng) + 1, sizeof *trusted)))
            goto out;
        for (size_t k = 0; k < r->n_srv; k++)
            pdns__engine_server_trust(r->eng, k, &trust[k].state, &trust[k].reason, &trust[k].at_s,
                                      &trust[k].canaries, &trust[k].wildcard_probes);
        rep.trust = trust;
        rep.n_trusted = pdns__engine_trusted_count(r->eng);
        for (size_t k = 0; k < rep.n_trusted; k++)
            trusted[k] = pdns__engine_trusted_stats(r->eng, k);
        rep.trusted = trusted;
    } else { /* not started (or a pool still running): the servers, no figures yet */
        if (!(zero = calloc(r->n_srv + 1, sizeof *zero)))
            goto out;
        for (size_t k = 0; k < r->n_srv; k++) {
            pdns__stats_init(&zero[k], r->srv[k].text);
            servers[k] = &zero[k];
        }
        rep.n_servers = r->n_srv;
    }
    out = pdns__report_json(&rep, pretty);
out:
    for (size_t k = 0; zero && k < r->n_srv; k++)
        pdns__stats_free(&zero[k]);
    free(zero);
    free(servers);
    free(tsrv);
    free(ttot);
    free(trust);
    free(trusted);
    return out;
}
