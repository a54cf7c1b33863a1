/* summary.c - the tables printed after a run, drawn from the public API's plain
 * structs. One figure set is not in them: the probe table's per-interval loss and
 * latency near the found rate and its count of controller edges, which only the
 * stats document holds; probe_extras() reads just those from it.
 * SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <cjson/cJSON.h>

#include "summary.h"

#define NEAR_LO      0.85 /* intervals run near the found rate: target within ... */
#define NEAR_HI      1.05 /* ... [NEAR_LO, NEAR_HI] x optimal */
#define NEAR_MAX_PTS 4096 /* intervals kept for the latency medians */

void cli_print_summary(pdns_runner *r)
{
    pdns_totals t;
    pdns_runner_totals(r, &t);
    fprintf(stderr, "pacedns: %llu names, %llu records in %.2f s (%.0f names/s)\n",
            (unsigned long long)t.names, (unsigned long long)t.records, t.elapsed_s,
            t.elapsed_s > 0 ? (double)t.names / t.elapsed_s : 0.0);
    fprintf(stderr, "statuses:");
    for (int i = 0; i < PDNS_R_COUNT; i++)
        if (t.statuses[i])
            fprintf(stderr, " %s=%llu", pdns_rstatus_name((pdns_rstatus)i),
                    (unsigned long long)t.statuses[i]);
    fprintf(stderr, "\n%-24s %9s %9s %8s %9s %9s %8s %8s %9s\n", "server", "sent", "answered",
            "timeouts", "rate_qps", "ans_qps", "p50_ms", "p99_ms", "opt_qps");
    for (size_t i = 0; i < pdns_runner_server_count(r); i++) {
        pdns_server_info s;
        char opt[32] = "-";
        if (pdns_runner_server_info(r, i, &s) != PDNS_OK)
            continue;
        if (s.controlled && s.optimal_qps >= 0)
            snprintf(opt, sizeof opt, "%.0f", s.optimal_qps);
        fprintf(stderr, "%-24s %9llu %9llu %8llu %9.0f %9.0f %8.2f %8.2f %9s\n", s.server,
                (unsigned long long)s.sent, (unsigned long long)s.answered,
                (unsigned long long)s.timeouts, s.rate_qps, s.answered_qps, s.p50_ms, s.p99_ms,
                opt);
    }
}

/* Sort v[0..n) in place (insertion sort: n is small) and return its median. */
static double median(double *v, size_t n)
{
    for (size_t i = 1; i < n; i++)
        for (size_t k = i; k > 0 && v[k] < v[k - 1]; k--) {
            double t = v[k];
            v[k] = v[k - 1];
            v[k - 1] = t;
        }
    return v[n / 2];
}

static double num(const cJSON *obj, const char *key)
{
    return cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(obj, key));
}

/* The probe figures only the stats document has, for server object srv: loss and the
 * median p50/p99 of the intervals run near the found rate opt (-1 when none), and the
 * number of controller edges. */
static void probe_extras(const cJSON *srv, double opt, double *loss, double *p50, double *p99,
                         int *edges)
{
    const cJSON *pt;
    double sent = 0, lost = 0, v50[NEAR_MAX_PTS], v99[NEAR_MAX_PTS];
    size_t n = 0;
    *loss = *p50 = *p99 = -1;
    *edges = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(srv, "edges"));
    if (!srv)
        return;
    cJSON_ArrayForEach(pt, cJSON_GetObjectItemCaseSensitive(srv, "timeseries"))
    {
        double tq = num(pt, "target_qps"), q50 = num(pt, "p50_ms"), q99 = num(pt, "p99_ms");
        if (opt <= 0 || tq < NEAR_LO * opt || tq > NEAR_HI * opt)
            continue;
        sent += num(pt, "sent");
        lost += num(pt, "lost") + num(pt, "errors") + num(pt, "tc");
        if (q50 >= 0 && n < NEAR_MAX_PTS) {
            v50[n] = q50;
            v99[n] = q99;
            n++;
        }
    }
    if (sent > 0)
        *loss = lost / sent;
    if (n) {
        *p50 = median(v50, n);
        *p99 = median(v99, n);
    }
}

void cli_print_probe_table(pdns_runner *r)
{
    char *js = pdns_runner_stats_json(r, 0);
    cJSON *doc = js ? cJSON_Parse(js) : NULL;
    const cJSON *servers = cJSON_GetObjectItemCaseSensitive(doc, "servers");
    printf("%-24s %11s %8s %8s %8s %12s %9s\n", "server", "optimal_qps", "loss_%", "p50_ms",
           "p99_ms", "converged_s", "edges");
    for (size_t i = 0; i < pdns_runner_server_count(r); i++) {
        pdns_server_info s;
        double loss, p50, p99;
        int edges;
        char conv[32], optq[32], lbuf[32], b50[32], b99[32];
        if (pdns_runner_server_info(r, i, &s) != PDNS_OK)
            continue;
        probe_extras(cJSON_GetArrayItem(servers, (int)i), s.optimal_qps, &loss, &p50, &p99, &edges);
        snprintf(optq, sizeof optq, s.optimal_qps >= 0 ? "%.0f" : "unknown", s.optimal_qps);
        snprintf(conv, sizeof conv, s.converged_after_s >= 0 ? "%.1f" : "no", s.converged_after_s);
        snprintf(lbuf, sizeof lbuf, loss >= 0 ? "%.2f" : "-", loss * 100);
        snprintf(b50, sizeof b50, p50 >= 0 ? "%.2f" : "-", p50);
        snprintf(b99, sizeof b99, p99 >= 0 ? "%.2f" : "-", p99);
        printf("%-24s %11s %8s %8s %8s %12s %9d\n", s.server, optq, lbuf, b50, b99, conv, edges);
    }
    fflush(stdout);
    cJSON_Delete(doc);
    pdns_free(js);
}

void cli_print_load_table(pdns_runner *r, double duration_s)
{
    pdns_totals t;
    double span;
    pdns_runner_totals(r, &t);
    span = t.elapsed_s < duration_s ? t.elapsed_s : duration_s;
    printf("%-24s %10s %10s %10s %10s %8s %8s %8s\n", "server", "sent", "answered", "sent_qps",
           "ans_qps", "loss_%", "p50_ms", "p99_ms");
    for (size_t i = 0; i < pdns_runner_server_count(r); i++) {
        pdns_server_info s;
        if (pdns_runner_server_info(r, i, &s) != PDNS_OK)
            continue;
        printf("%-24s %10llu %10llu %10.0f %10.0f %8.2f %8.2f %8.2f\n", s.server,
               (unsigned long long)s.sent, (unsigned long long)s.answered,
               span > 0 ? (double)s.sent / span : 0.0, span > 0 ? (double)s.answered / span : 0.0,
               s.sent ? 100.0 * (double)(s.sent - s.answered) / (double)s.sent : 0.0, s.p50_ms,
               s.p99_ms);
    }
    fflush(stdout);
}
