/* report.h - the stats JSON document, built from plain figures (one engine or a pool).
 * SPDX-License-Identifier: MIT */
#ifndef PDNS_REPORT_H
#define PDNS_REPORT_H

#include <cjson/cJSON.h>
#include <time.h>

#include "core/aimd.h"
#include "pacedns.h"
#include "core/stats.h"

/* One server's trust figures (state NULL: no trust checks in the run). */
typedef struct pdns__report_trust {
    const char *state; /* "unchecked", "healthy", "quarantined"; "off": wildcards only */
    const char *reason;
    double at_s;
    uint64_t canaries, wildcard_probes;
} pdns__report_trust;

typedef struct pdns__report {
    time_t started;
    double started_unix;  /* the same, in seconds with a fraction; 0 unknown */
    unsigned shards;      /* > 1: one of this many shards ... */
    unsigned shard_index; /* ... this one */
    double duration_s;
    unsigned threads;
    int aimd;            /* controller on */
    double fixed_qps;    /* when off */
    const char *profile; /* the profile's name or path */
    const pdns__aimd_params *params;
    const pdns_totals *totals;
    size_t n_servers;
    const pdns__server_stats *const *servers; /* [n_servers] */
    /* a pool's breakdown (n_threads > 1): thread i's totals and its server k's figures
     * at thread_servers[i * n_servers + k] */
    unsigned n_threads;
    const pdns_totals *thread_totals;
    const pdns__server_stats *const *thread_servers;
    /* trust checks: per server (NULL when none), and the trusted servers */
    const pdns__report_trust *trust;
    size_t n_trusted;
    const pdns__server_stats *const *trusted;
} pdns__report;

/* One server as JSON:
 * {"server","sent","answered","timeouts","retries","rcodes":{"NOERROR":n,...},"tc",
 *  "errors","malformed","ignored","unreachable","send_errors","latency_ms":{"min","mean","p50","p90","p99","p999","max"},"answered_qps",
 *  "histogram":[[lo_ms,hi_ms,count],...],"timeseries":[{"t","target_qps","sent",
 *  "answered","lost","errors","tc","p50_ms","p99_ms"}],"optimal_qps","edges",
 *  "converged_after_s","near":{"loss","p50_ms","p99_ms"},"nsid","cookies":{"valid",
 *  "missing","bad"}} -- optimal/edges/converged only when known, near with optimal, nsid
 *  when seen, cookies when sent.
 * duration_s is used for answered_qps. Returns NULL on no memory. */
cJSON *pdns__stats_server_json(const pdns__server_stats *s, double duration_s);

/* The document as text (caller frees with free()), or NULL on no memory. */
char *pdns__report_json(const pdns__report *rep, int pretty);

#endif
