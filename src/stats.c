/* stats.c - per-server counters, latency histograms and time series; JSON export.
 * SPDX-License-Identifier: MIT */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dns/wire.h"
#include "pacedns.h"
#include "stats.h"

#define STATS_INITIAL_CAP 16
#define RCODE_OTHER       (PDNS__RCODE_SLOTS - 1)

/* Grow *arr (elements of size elem) so that one more fits after *len; doubles the capacity.
 * Returns 0, or -1 on allocation failure (the array is left as it was). */
static int grow(void **arr, size_t *cap, size_t len, size_t elem)
{
    if (len < *cap)
        return 0;
    size_t ncap = *cap ? *cap * 2 : STATS_INITIAL_CAP;
    if (ncap < *cap || ncap > SIZE_MAX / elem)
        return -1;
    void *n = realloc(*arr, ncap * elem);
    if (!n)
        return -1;
    *arr = n;
    *cap = ncap;
    return 0;
}

void pdns__stats_init(pdns__server_stats *s, const char *server)
{
    memset(s, 0, sizeof *s);
    snprintf(s->server, sizeof s->server, "%s", server ? server : "");
    pdns__hist_reset(&s->lat);
    pdns__hist_reset(&s->lat_iv);
    s->optimal_qps = -1.0;
    s->converged_after_s = -1.0;
}

void pdns__stats_free(pdns__server_stats *s)
{
    free(s->ts);
    s->ts = NULL;
    s->ts_len = s->ts_cap = 0;
    free(s->edges);
    s->edges = NULL;
    s->n_edges = s->edges_cap = 0;
}

void pdns__stats_on_send(pdns__server_stats *s, int is_retry)
{
    s->sent++;
    s->iv_sent++;
    if (is_retry)
        s->retries++;
}

/* Counts the answer, its rcode slot (0..22 by value, else "other"), TC, errors
 * (SERVFAIL/REFUSED) and its RTT rounded to the microsecond in both histograms. */
void pdns__stats_on_answer(pdns__server_stats *s, int rcode, int tc, uint64_t rtt_ns)
{
    s->answered++;
    s->iv_answered++;
    s->rcodes[rcode >= 0 && rcode < RCODE_OTHER ? rcode : RCODE_OTHER]++;
    if (tc) {
        s->tc++;
        s->iv_tc++;
    }
    if (pdns__rcode_server_failure(rcode)) {
        s->errors++;
        s->iv_errors++;
    }
    uint64_t us = rtt_ns / 1000 + (rtt_ns % 1000 >= 500);
    pdns__hist_add(&s->lat, us);
    pdns__hist_add(&s->lat_iv, us);
}

void pdns__stats_on_malformed(pdns__server_stats *s)
{
    s->malformed++;
}

void pdns__stats_on_unreachable(pdns__server_stats *s, int send_error)
{
    if (send_error)
        s->send_errors++;
    else
        s->unreachable++;
}

void pdns__stats_on_timeout(pdns__server_stats *s)
{
    s->timeouts++;
    s->iv_lost++;
}

static double us_to_ms(double us)
{
    return round(us) / 1000.0;
}

/* Appends {t, target_qps, interval counters, p50/p99 of lat_iv (-1 if none)} and resets
 * the interval counters and histogram, also when the append fails. */
/* Merge b (the later point) into a: the pair becomes one point ending at b's time. */
static void ts_merge_pair(pdns__ts_point *a, const pdns__ts_point *b)
{
    double na = (double)a->answered, nb = (double)b->answered;
    if (a->p50_ms < 0 || b->p50_ms < 0)
        a->p50_ms = a->p50_ms < 0 ? b->p50_ms : a->p50_ms;
    else if (na + nb > 0)
        a->p50_ms = (a->p50_ms * na + b->p50_ms * nb) / (na + nb);
    a->p99_ms = a->p99_ms > b->p99_ms ? a->p99_ms : b->p99_ms;
    a->t = b->t;
    a->target_qps = b->target_qps;
    a->sent += b->sent;
    a->answered += b->answered;
    a->lost += b->lost;
    a->errors += b->errors;
    a->tc += b->tc;
}

/* A full series keeps its memory: adjacent points are merged in pairs (older data
 * coarser; every point keeps its own end time, counts are exact). */
static void ts_compact(pdns__server_stats *s)
{
    size_t n = 0;
    for (size_t i = 0; i + 1 < s->ts_len; i += 2) {
        s->ts[n] = s->ts[i];
        ts_merge_pair(&s->ts[n], &s->ts[i + 1]);
        n++;
    }
    if (s->ts_len % 2)
        s->ts[n++] = s->ts[s->ts_len - 1];
    s->ts_len = n;
}

int pdns__stats_close_interval(pdns__server_stats *s, double t, double target_qps)
{
    int rc;
    if (s->ts_len >= PDNS__TS_MAX)
        ts_compact(s);
    rc = grow((void **)&s->ts, &s->ts_cap, s->ts_len, sizeof *s->ts);
    if (rc == 0) {
        pdns__ts_point *pt = &s->ts[s->ts_len++];
        pt->t = t;
        pt->target_qps = target_qps;
        pt->sent = s->iv_sent;
        pt->answered = s->iv_answered;
        pt->lost = s->iv_lost;
        pt->errors = s->iv_errors;
        pt->tc = s->iv_tc;
        if (s->lat_iv.count) {
            pt->p50_ms = us_to_ms((double)pdns__hist_quantile(&s->lat_iv, 0.50));
            pt->p99_ms = us_to_ms((double)pdns__hist_quantile(&s->lat_iv, 0.99));
        } else {
            pt->p50_ms = pt->p99_ms = -1.0;
        }
    }
    s->iv_sent = s->iv_answered = s->iv_lost = s->iv_errors = s->iv_tc = 0;
    pdns__hist_reset(&s->lat_iv);
    return rc;
}

int pdns__stats_merge(pdns__server_stats *dst, const pdns__server_stats *src)
{
    int rc = 0;
    dst->sent += src->sent;
    dst->answered += src->answered;
    dst->timeouts += src->timeouts;
    dst->retries += src->retries;
    dst->tc += src->tc;
    dst->errors += src->errors;
    dst->malformed += src->malformed;
    dst->ignored += src->ignored;
    dst->unreachable += src->unreachable;
    dst->send_errors += src->send_errors;
    for (size_t i = 0; i < PDNS__RCODE_SLOTS; i++)
        dst->rcodes[i] += src->rcodes[i];
    pdns__hist_merge(&dst->lat, &src->lat);
    pdns__hist_merge(&dst->lat_iv, &src->lat_iv);
    for (size_t i = 0; i < src->ts_len; i++) {
        const pdns__ts_point *b = &src->ts[i];
        if (i >= dst->ts_len) {
            if (grow((void **)&dst->ts, &dst->ts_cap, dst->ts_len, sizeof *dst->ts) != 0) {
                rc = -1;
                break;
            }
            dst->ts[dst->ts_len++] = *b;
            continue;
        }
        pdns__ts_point *a = &dst->ts[i];
        if (b->p50_ms >= 0 && a->p50_ms >= 0 && a->answered + b->answered > 0)
            a->p50_ms = (a->p50_ms * (double)a->answered + b->p50_ms * (double)b->answered) /
                        (double)(a->answered + b->answered);
        else if (b->p50_ms >= 0)
            a->p50_ms = b->p50_ms;
        if (b->p99_ms > a->p99_ms)
            a->p99_ms = b->p99_ms;
        a->target_qps += b->target_qps;
        a->sent += b->sent;
        a->answered += b->answered;
        a->lost += b->lost;
        a->errors += b->errors;
        a->tc += b->tc;
    }
    for (size_t i = 0; i < src->n_edges; i++) {
        if (i < dst->n_edges) {
            dst->edges[i] += src->edges[i];
        } else if (pdns__stats_add_edge(dst, src->edges[i]) != 0) {
            rc = -1;
            break;
        }
    }
    dst->optimal_qps =
        dst->optimal_qps >= 0 && src->optimal_qps >= 0 ? dst->optimal_qps + src->optimal_qps : -1.0;
    dst->converged_after_s = dst->converged_after_s >= 0 && src->converged_after_s >= 0
                                 ? fmax(dst->converged_after_s, src->converged_after_s)
                                 : -1.0;
    return rc;
}

int pdns__stats_add_edge(pdns__server_stats *s, double qps)
{
    if (grow((void **)&s->edges, &s->edges_cap, s->n_edges, sizeof *s->edges) != 0)
        return -1;
    s->edges[s->n_edges++] = qps;
    return 0;
}

/* ---- JSON export ---- */

struct hist_ctx {
    cJSON *arr;
    int fail;
};

static void hist_row(uint64_t lo_us, uint64_t hi_us, uint64_t count, void *ud)
{
    struct hist_ctx *c = ud;
    if (c->fail)
        return;
    const double row[3] = {(double)lo_us / 1000.0, (double)hi_us / 1000.0, (double)count};
    cJSON *r = cJSON_CreateDoubleArray(row, 3);
    if (!r || !cJSON_AddItemToArray(c->arr, r)) {
        cJSON_Delete(r);
        c->fail = 1;
    }
}

static int add_num(cJSON *o, const char *key, double v)
{
    return cJSON_AddNumberToObject(o, key, v) ? 0 : -1;
}

static int add_latency(cJSON *root, const pdns__hist *h)
{
    cJSON *l = cJSON_AddObjectToObject(root, "latency_ms");
    if (!l)
        return -1;
    int fail = 0;
    fail |= add_num(l, "min", us_to_ms((double)h->min_us));
    fail |= add_num(l, "mean", us_to_ms(pdns__hist_mean(h)));
    fail |= add_num(l, "p50", us_to_ms((double)pdns__hist_quantile(h, 0.50)));
    fail |= add_num(l, "p90", us_to_ms((double)pdns__hist_quantile(h, 0.90)));
    fail |= add_num(l, "p99", us_to_ms((double)pdns__hist_quantile(h, 0.99)));
    fail |= add_num(l, "p999", us_to_ms((double)pdns__hist_quantile(h, 0.999)));
    fail |= add_num(l, "max", us_to_ms((double)h->max_us));
    return fail;
}

static int add_rcodes(cJSON *root, const pdns__server_stats *s)
{
    cJSON *r = cJSON_AddObjectToObject(root, "rcodes");
    if (!r)
        return -1;
    for (int i = 0; i < PDNS__RCODE_SLOTS; i++) {
        if (!s->rcodes[i])
            continue;
        const char *name = i == RCODE_OTHER ? "OTHER" : pdns_rcode_name(i);
        if (add_num(r, name, (double)s->rcodes[i]))
            return -1;
    }
    return 0;
}

static int add_timeseries(cJSON *root, const pdns__server_stats *s)
{
    cJSON *arr = cJSON_AddArrayToObject(root, "timeseries");
    if (!arr)
        return -1;
    for (size_t i = 0; i < s->ts_len; i++) {
        const pdns__ts_point *p = &s->ts[i];
        cJSON *o = cJSON_CreateObject();
        if (!o || !cJSON_AddItemToArray(arr, o)) {
            cJSON_Delete(o);
            return -1;
        }
        int fail = 0;
        fail |= add_num(o, "t", p->t);
        fail |= add_num(o, "target_qps", p->target_qps);
        fail |= add_num(o, "sent", (double)p->sent);
        fail |= add_num(o, "answered", (double)p->answered);
        fail |= add_num(o, "lost", (double)p->lost);
        fail |= add_num(o, "errors", (double)p->errors);
        fail |= add_num(o, "tc", (double)p->tc);
        fail |= add_num(o, "p50_ms", p->p50_ms);
        fail |= add_num(o, "p99_ms", p->p99_ms);
        if (fail)
            return -1;
    }
    return 0;
}

/* Builds the per-server object documented in stats.h. Latency figures are in ms rounded to
 * the microsecond (3 decimals), all 0 when nothing was answered; rcodes lists only non-zero
 * slots, keyed by pdns_rcode_name() ("OTHER" for rcodes > 22); optimal_qps, edges and
 * converged_after_s appear only when known (>= 0, non-empty, >= 0). */
cJSON *pdns__stats_server_json(const pdns__server_stats *s, double duration_s)
{
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return NULL;
    int fail = 0;
    fail |= !cJSON_AddStringToObject(root, "server", s->server);
    fail |= add_num(root, "sent", (double)s->sent);
    fail |= add_num(root, "answered", (double)s->answered);
    fail |= add_num(root, "timeouts", (double)s->timeouts);
    fail |= add_num(root, "retries", (double)s->retries);
    fail |= add_rcodes(root, s);
    fail |= add_num(root, "tc", (double)s->tc);
    fail |= add_num(root, "errors", (double)s->errors);
    fail |= add_num(root, "malformed", (double)s->malformed);
    fail |= add_num(root, "ignored", (double)s->ignored);
    fail |= add_num(root, "unreachable", (double)s->unreachable);
    fail |= add_num(root, "send_errors", (double)s->send_errors);
    fail |= add_latency(root, &s->lat);
    fail |=
        add_num(root, "answered_qps", duration_s > 0.0 ? (double)s->answered / duration_s : 0.0);
    if (!fail) {
        struct hist_ctx hc = {cJSON_AddArrayToObject(root, "histogram"), 0};
        if (hc.arr)
            pdns__hist_foreach(&s->lat, hist_row, &hc);
        fail |= !hc.arr || hc.fail;
    }
    if (!fail)
        fail |= add_timeseries(root, s);
    if (!fail && s->optimal_qps >= 0.0)
        fail |= add_num(root, "optimal_qps", s->optimal_qps);
    if (!fail && s->n_edges > 0) {
        cJSON *e = cJSON_CreateDoubleArray(s->edges, (int)s->n_edges);
        if (!e || !cJSON_AddItemToObject(root, "edges", e)) {
            cJSON_Delete(e);
            fail = 1;
        }
    }
    if (!fail && s->converged_after_s >= 0.0)
        fail |= add_num(root, "converged_after_s", s->converged_after_s);
    if (fail) {
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}
