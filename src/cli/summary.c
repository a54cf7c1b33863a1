/* summary.c - the tables printed after a run, drawn from the public API's plain
 * structs (pdns_runner_totals, pdns_runner_server_info); no stats JSON is re-parsed.
 * SPDX-License-Identifier: MIT */
#include <stdio.h>

#include "summary.h"

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

void cli_print_conn_errors(pdns_runner *r)
{
    for (size_t i = 0; i < pdns_runner_server_count(r); i++) {
        pdns_server_info s;
        if (pdns_runner_server_info(r, i, &s) != PDNS_OK || !s.conn_failures)
            continue;
        fprintf(stderr, "pacedns: server %s: %llu of %llu connections failed; last: %s\n", s.server,
                (unsigned long long)s.conn_failures, (unsigned long long)s.conn_opened,
                s.conn_error && s.conn_error[0] ? s.conn_error : "?");
    }
}

void cli_print_probe_table(pdns_runner *r)
{
    printf("%-24s %11s %8s %8s %8s %12s %9s\n", "server", "optimal_qps", "loss_%", "p50_ms",
           "p99_ms", "converged_s", "edges");
    for (size_t i = 0; i < pdns_runner_server_count(r); i++) {
        pdns_server_info s;
        char conv[32], optq[32], lbuf[32], b50[32], b99[32];
        if (pdns_runner_server_info(r, i, &s) != PDNS_OK)
            continue;
        snprintf(optq, sizeof optq, s.optimal_qps >= 0 ? "%.0f" : "unknown", s.optimal_qps);
        snprintf(conv, sizeof conv, s.converged_after_s >= 0 ? "%.1f" : "no", s.converged_after_s);
        snprintf(lbuf, sizeof lbuf, s.near_loss >= 0 ? "%.2f" : "-", s.near_loss * 100);
        snprintf(b50, sizeof b50, s.near_p50_ms >= 0 ? "%.2f" : "-", s.near_p50_ms);
        snprintf(b99, sizeof b99, s.near_p99_ms >= 0 ? "%.2f" : "-", s.near_p99_ms);
        printf("%-24s %11s %8s %8s %8s %12s %9zu\n", s.server, optq, lbuf, b50, b99, conv, s.edges);
    }
    fflush(stdout);
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
