/* ctl.c - controller glue: drives each server's pacer rate, fixed or by its AIMD.
 * SPDX-License-Identifier: MIT */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/aimd.h"
#include "core/hist.h"
#include "engine/engine_int.h"
#include "dns/wire.h"

/* IMPLEMENTATION NOTES
 * The engine reports sends, answers, timeouts and "could not use the rate" moments per
 * server; this file turns them into one pdns__aimd_sample per control interval and sets
 * the server's pacer to the controller's new rate. The AIMD logic itself is pure
 * (aimd.c); this is only bookkeeping and a libuv timer.
 * - The timer ticks every CTL_TICK_MS; a server is updated when its controller's own
 *   interval (pdns__aimd_interval_ns: >= interval_ms and a few RTTs) has elapsed.
 * - Timeouts are reported to the controller with the query's send time, so loss counts
 *   against the interval in which the query was sent, not when the timeout fired.
 * - "Limited": the server had a token but no name was ready, or its in-flight cap was
 *   reached; the controller then does not raise the rate (an unused rate proves
 *   nothing).
 * - With a fixed --qps the controller is off: the pacer keeps that rate.
 * - A server with a remembered capacity (cfg.warm_qps, this engine's share of it)
 *   starts warm (pdns__aimd_warm): no slow start.
 * - The tick is also the loop's heartbeat: one that comes more than CTL_STALL_MIN_MS
 *   late means this thread did not run (a busy or descheduled host; a callback that ran
 *   long), and every answer in flight came back late by as much. Each controller is told
 *   (pdns__aimd_report_stall), so the latency and the answers behind sends a stall
 *   leaves are not taken for the server's. */

#define CTL_TICK_MS 10
/* The tick later than CTL_TICK_MS by more than this: the loop did not run (host stall) */
#define CTL_STALL_MIN_MS 2

typedef struct ctl_srv {
    pdns__aimd a;
    uint64_t sent, answered, errors, tc;
    pdns__hist lat;
    uint64_t min_rtt_ns;
    uint64_t last_ns;
    int limited;
    uint64_t edges_seen;
} ctl_srv;

struct pdns__ctl {
    int aimd; /* 0: fixed rate */
    double fixed_qps;
    pdns__aimd_params p;
    char origin[256]; /* profile name or path, for messages */
    double *warm;     /* [n] this engine's share of a remembered capacity, or NULL */
    int siblings;     /* engines driving each server from one budget (shards x threads) */
    ctl_srv *s;
    size_t n;
    uv_timer_t timer;
    int timer_init;
    uint64_t last_tick_ns; /* the heartbeat: when the tick last ran */
};

pdns_status pdns__ctl_init(pdns__engine *r, const pdns__engine_cfg *cfg)
{
    if (!(r->ctl = calloc(1, sizeof *r->ctl)))
        return PDNS_ERR_NOMEM;
    r->ctl->aimd = cfg->aimd;
    r->ctl->fixed_qps = cfg->opt.qps;
    r->ctl->p = cfg->prof;
    snprintf(r->ctl->origin, sizeof r->ctl->origin, "%s", cfg->origin ? cfg->origin : "default");
    r->ctl->siblings = cfg->share > 0 && cfg->share < 1 ? (int)lround(1 / cfg->share) : 1;
    if (cfg->warm_qps && cfg->n_servers) {
        if (!(r->ctl->warm = malloc(cfg->n_servers * sizeof *r->ctl->warm)))
            return PDNS_ERR_NOMEM;
        for (size_t s = 0; s < cfg->n_servers; s++)
            r->ctl->warm[s] = cfg->warm_qps[s] * (cfg->share > 0 ? cfg->share : 1);
    }
    return PDNS_OK;
}

static void ctl_tick(uv_timer_t *t);

pdns_status pdns__ctl_start(pdns__engine *r, uint64_t now_ns)
{
    pdns__ctl *c = r->ctl;
    double total;
    int rc;

    if (!(c->s = calloc(r->n_srv, sizeof *c->s)))
        return PDNS_ERR_NOMEM;
    c->n = r->n_srv;
    for (size_t s = 0; s < r->n_srv; s++) {
        ctl_srv *cs = &c->s[s];
        double rate = c->fixed_qps;
        if (c->aimd) {
            pdns__aimd_init(&cs->a, &c->p, now_ns);
            pdns__aimd_siblings(&cs->a, c->siblings);
            if (c->warm)
                pdns__aimd_warm(&cs->a, c->warm[s]);
            rate = pdns__aimd_rate(&cs->a);
        }
        pdns__hist_reset(&cs->lat);
        cs->last_ns = now_ns;
        pdns__pacer_init(&r->srv[s].pacer, rate, now_ns);
    }
    total = r->opt.max_total_qps > 0 ? r->opt.max_total_qps : (c->aimd ? c->p.max_total_qps : 0);
    if (total > 0) {
        pdns__pacer_init(&r->global, total, now_ns);
        r->have_global = 1;
    }
    if (!c->aimd)
        return PDNS_OK;
    if ((rc = uv_timer_init(r->loop, &c->timer)) != 0)
        goto fail;
    c->timer.data = r;
    c->timer_init = 1;
    r->handles_open++;
    c->last_tick_ns = now_ns;
    if ((rc = uv_timer_start(&c->timer, ctl_tick, CTL_TICK_MS, CTL_TICK_MS)) != 0)
        goto fail;
    return PDNS_OK;
fail:
    snprintf(r->errbuf, sizeof r->errbuf, "controller timer: %s", uv_strerror(rc));
    return PDNS_ERR_UV;
}

void pdns__ctl_on_send(pdns__engine *r, size_t srv, uint64_t now_ns)
{
    if (r->ctl->aimd)
        r->ctl->s[srv].sent++;
}

void pdns__ctl_on_limited(pdns__engine *r, size_t srv)
{
    if (r->ctl->aimd)
        r->ctl->s[srv].limited = 1;
}

void pdns__ctl_on_answer(pdns__engine *r, size_t srv, int rcode, int tc, uint64_t rtt_ns,
                         uint64_t now_ns)
{
    ctl_srv *cs;
    if (!r->ctl->aimd)
        return;
    cs = &r->ctl->s[srv];
    cs->answered++;
    if (pdns__rcode_server_failure(rcode))
        cs->errors++;
    if (tc)
        cs->tc++;
    pdns__hist_add(&cs->lat, rtt_ns / 1000);
    if (!cs->min_rtt_ns || rtt_ns < cs->min_rtt_ns)
        cs->min_rtt_ns = rtt_ns;
}

void pdns__ctl_on_loss(pdns__engine *r, size_t srv, uint64_t sent_ns, uint64_t now_ns)
{
    if (r->ctl->aimd)
        pdns__aimd_report_late_loss(&r->ctl->s[srv].a, sent_ns, 1);
}

/* Close one server's control interval and apply the controller's new rate. */
static void update_server(pdns__engine *r, size_t s, uint64_t now)
{
    ctl_srv *cs = &r->ctl->s[s];
    pdns__aimd_sample smp;
    pdns__server_stats *st = &r->srv[s].st;
    double rate, edges[PDNS__AIMD_EDGES];
    uint64_t n_edges;

    memset(&smp, 0, sizeof smp);
    smp.sent = cs->sent;
    smp.answered = cs->answered;
    smp.errors = cs->errors;
    smp.tc = cs->tc;
    smp.p50_ms = cs->lat.count ? (double)pdns__hist_quantile(&cs->lat, 0.5) / 1000.0 : 0;
    smp.p90_ms = cs->lat.count ? (double)pdns__hist_quantile(&cs->lat, 0.9) / 1000.0 : 0;
    smp.min_rtt_ms = cs->min_rtt_ns ? (double)cs->min_rtt_ns / 1e6 : 0;
    smp.limited = cs->limited;
    rate = pdns__aimd_update(&cs->a, &smp, now);
    pdns__pacer_set_rate(&r->srv[s].pacer, rate, now);

    /* record new edges and the estimate in the stats */
    n_edges = pdns__aimd_n_edges(&cs->a);
    if (n_edges > cs->edges_seen) {
        size_t k = pdns__aimd_edges(&cs->a, edges, PDNS__AIMD_EDGES);
        uint64_t fresh = n_edges - cs->edges_seen;
        for (size_t i = fresh < k ? k - fresh : 0; i < k; i++)
            pdns__stats_add_edge(st, edges[i]);
        cs->edges_seen = n_edges;
    }
    st->optimal_qps = pdns__aimd_optimal_qps(&cs->a);
    st->converged_after_s = pdns__aimd_converged_after_s(&cs->a);

    cs->sent = cs->answered = cs->errors = cs->tc = 0;
    cs->min_rtt_ns = 0;
    cs->limited = 0;
    pdns__hist_reset(&cs->lat);
    cs->last_ns = now;
}

static void ctl_tick(uv_timer_t *t)
{
    pdns__engine *r = t->data;
    pdns__ctl *c = r->ctl;
    uint64_t now = uv_hrtime();
    if (c->last_tick_ns && now - c->last_tick_ns > (CTL_TICK_MS + CTL_STALL_MIN_MS) * 1000000ull) {
        uint64_t late = now - c->last_tick_ns - CTL_TICK_MS * 1000000ull;
        for (size_t s = 0; s < c->n; s++)
            pdns__aimd_report_stall(&c->s[s].a, late);
    }
    c->last_tick_ns = now;
    for (size_t s = 0; s < r->ctl->n; s++) {
        ctl_srv *cs = &r->ctl->s[s];
        if (now - cs->last_ns >= pdns__aimd_interval_ns(&cs->a))
            update_server(r, s, now);
    }
}

void pdns__ctl_stop(pdns__engine *r)
{
    if (r->ctl && r->ctl->timer_init)
        uv_timer_stop(&r->ctl->timer);
}

void pdns__ctl_close(pdns__engine *r, uv_close_cb cb)
{
    if (r->ctl && r->ctl->timer_init) {
        uv_timer_stop(&r->ctl->timer);
        uv_close((uv_handle_t *)&r->ctl->timer, cb);
        r->ctl->timer_init = 0;
    }
}

void pdns__ctl_free(pdns__engine *r)
{
    if (!r->ctl)
        return;
    free(r->ctl->s);
    free(r->ctl->warm);
    free(r->ctl);
    r->ctl = NULL;
}

int pdns__ctl_server(const pdns__engine *r, size_t s, double *optimal, int *converged,
                     double *after_s, const char **phase)
{
    const pdns__ctl *c = r->ctl;
    if (!c->aimd || s >= c->n) {
        *optimal = -1;
        *converged = 0;
        *after_s = -1;
        *phase = c->aimd ? "none" : "fixed";
        return 0;
    }
    *optimal = pdns__aimd_optimal_qps(&c->s[s].a);
    *converged = pdns__aimd_converged(&c->s[s].a, NULL);
    *after_s = pdns__aimd_converged_after_s(&c->s[s].a);
    *phase = pdns__aimd_phase_name(&c->s[s].a);
    return 1;
}
