/* stats.c - per-server counters, latency histograms and time series; JSON export.
 * SPDX-License-Identifier: MIT */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dns/wire.h"
#include "pacedns.h"
#include "core/stats.h"

#define STATS_INITIAL_CAP 16

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
    pdns__hist_reset(&s->conn.handshake);
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
    s->rcodes[rcode >= 0 && rcode < PDNS__RCODE_OTHER ? rcode : PDNS__RCODE_OTHER]++;
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

void pdns__stats_on_reset(pdns__server_stats *s)
{
    s->resets++;
    s->iv_lost++;
}

void pdns__stats_on_timeout(pdns__server_stats *s)
{
    s->timeouts++;
    s->iv_lost++;
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
            pt->p50_ms = pdns__us_to_ms((double)pdns__hist_quantile(&s->lat_iv, 0.50));
            pt->p99_ms = pdns__us_to_ms((double)pdns__hist_quantile(&s->lat_iv, 0.99));
        } else {
            pt->p50_ms = pt->p99_ms = -1.0;
        }
    }
    s->iv_sent = s->iv_answered = s->iv_lost = s->iv_errors = s->iv_tc = 0;
    pdns__hist_reset(&s->lat_iv);
    return rc;
}

void pdns__stats_on_edns(pdns__server_stats *s, const pdns__edns_info *e)
{
    if (e->has_nsid)
        pdns__nsid_text(e->nsid, e->nsid_len, s->nsid, sizeof s->nsid);
    switch (e->cookie) {
    case PDNS__COOKIE_OK:
        s->cookie_ok++;
        break;
    case PDNS__COOKIE_MISSING:
        s->cookie_missing++;
        break;
    case PDNS__COOKIE_BAD:
        s->cookie_bad++;
        break;
    case PDNS__COOKIE_NOT_ASKED:
    default:
        break;
    }
}

int pdns__stats_merge(pdns__server_stats *dst, const pdns__server_stats *src)
{
    int rc = 0;
    if (!dst->nsid[0])
        memcpy(dst->nsid, src->nsid, sizeof dst->nsid);
    dst->cookies |= src->cookies;
    dst->cookie_ok += src->cookie_ok;
    dst->cookie_missing += src->cookie_missing;
    dst->cookie_bad += src->cookie_bad;
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
    dst->resets += src->resets;
    for (size_t i = 0; i < PDNS__RCODE_SLOTS; i++)
        dst->rcodes[i] += src->rcodes[i];
    pdns__hist_merge(&dst->lat, &src->lat);
    pdns__hist_merge(&dst->lat_iv, &src->lat_iv);
    if (src->conn.active) {
        dst->conn.active = 1;
        memcpy(dst->conn.transport, src->conn.transport, sizeof dst->conn.transport);
        dst->conn.opened += src->conn.opened;
        dst->conn.handshakes += src->conn.handshakes;
        dst->conn.failures += src->conn.failures;
        dst->conn.resets += src->conn.resets;
        dst->conn.queries += src->conn.queries;
        dst->conn.http2 += src->conn.http2;
        pdns__hist_merge(&dst->conn.handshake, &src->conn.handshake);
        if (src->conn.last_error[0])
            memcpy(dst->conn.last_error, src->conn.last_error, sizeof dst->conn.last_error);
    }
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

/* IMPLEMENTATION NOTES (near figures): "near" is a target rate within NEAR_LO..NEAR_HI
 * of the estimate: the intervals the controller spent holding or probing around it, not
 * its slow start or its deep backoffs. The medians are of per-interval quantiles (the
 * per-interval histograms are not kept), so one bad interval does not move them. */
#define NEAR_LO 0.85
#define NEAR_HI 1.05

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void pdns__stats_near(const pdns__server_stats *s, double opt, pdns__near_figures *out)
{
    double v50[PDNS__TS_MAX], v99[PDNS__TS_MAX], sent = 0, lost = 0;
    size_t n = 0;
    out->loss = out->p50_ms = out->p99_ms = -1;
    if (opt <= 0)
        return;
    for (size_t i = 0; i < s->ts_len; i++) {
        const pdns__ts_point *pt = &s->ts[i];
        if (pt->target_qps < NEAR_LO * opt || pt->target_qps > NEAR_HI * opt)
            continue;
        sent += (double)pt->sent;
        lost += (double)(pt->lost + pt->errors + pt->tc);
        if (pt->p50_ms >= 0 && n < PDNS__TS_MAX) {
            v50[n] = pt->p50_ms;
            v99[n] = pt->p99_ms;
            n++;
        }
    }
    if (sent > 0)
        out->loss = lost / sent;
    if (n) {
        qsort(v50, n, sizeof *v50, cmp_double);
        qsort(v99, n, sizeof *v99, cmp_double);
        out->p50_ms = v50[n / 2];
        out->p99_ms = v99[n / 2];
    }
}

void pdns__conn_on_open(pdns__conn_stats *c)
{
    c->opened++;
}

void pdns__conn_on_ready(pdns__conn_stats *c, uint64_t handshake_ns)
{
    c->handshakes++;
    pdns__hist_add(&c->handshake, (handshake_ns + 500) / 1000);
}

void pdns__conn_on_fail(pdns__conn_stats *c, const char *why)
{
    c->failures++;
    snprintf(c->last_error, sizeof c->last_error, "%s", why ? why : "connection failed");
}

void pdns__conn_on_reset(pdns__conn_stats *c, const char *why)
{
    c->resets++;
    snprintf(c->last_error, sizeof c->last_error, "%s", why ? why : "connection reset");
}
