/* stats.h - per-server counters, latency histograms and time series (pure; the JSON of
 * one server is format/report.c's).
 * SPDX-License-Identifier: MIT */
#ifndef PDNS_STATS_H
#define PDNS_STATS_H

#include <stddef.h>
#include <stdint.h>
#include "core/hist.h"
#include "dns/edns.h"

/* Pure: no clock reads; the engine passes times in. Only pdns__stats_close_interval and
 * the JSON export allocate (once per interval / at the end), never per query. */

#define PDNS__RCODE_SLOTS 24 /* rcodes 0..22 counted by value, slot 23 = "other" */
#define PDNS__RCODE_OTHER (PDNS__RCODE_SLOTS - 1)
/* Time-series points kept at most: a full series merges its points in pairs, so memory
 * does not grow with the run's length (a day at 1 s intervals: 21 s per point). */
#define PDNS__TS_MAX 4096

typedef struct pdns__ts_point {
    double t;          /* seconds since start, end of the interval */
    double target_qps; /* pacer rate at the end of the interval */
    uint64_t sent, answered, lost, errors, tc;
    double p50_ms, p99_ms; /* of answers received in the interval; -1 if none */
} pdns__ts_point;

/* Connection figures of a stream transport (tcp://, tls://, https://); filled by the
 * transport through the pointer it is given at creation. */
typedef struct pdns__conn_stats {
    int active;           /* 1: the server is reached over streams (these figures count) */
    char transport[8];    /* "udp", "tcp", "tls", "https" */
    uint64_t opened;      /* connections attempted */
    uint64_t handshakes;  /* connections that became usable (TCP connected, TLS/HTTP ready) */
    uint64_t failures;    /* connections that never became usable (refused, TLS error) */
    uint64_t resets;      /* usable connections that ended with queries pending on them */
    uint64_t queries;     /* queries handed to a connection (queued or written) */
    uint64_t http2;       /* https: answers that came over HTTP/2 */
    pdns__hist handshake; /* from connect() to usable, per connection */
    char last_error[160]; /* the last connection failure, "" when none */
} pdns__conn_stats;

typedef struct pdns__server_stats {
    char server[176]; /* "127.0.0.1:5300", "[::1]:5300", "tls://127.0.0.1:853" (URL forms) */
    uint64_t sent, answered, timeouts, retries, tc, errors; /* errors: SERVFAIL+REFUSED */
    uint64_t malformed;   /* answers that matched a query but could not be used */
    uint64_t ignored;     /* datagrams that matched no query (stray, spoofed, late) */
    uint64_t unreachable; /* attempts ended by an ICMP error (port/host unreachable) */
    uint64_t send_errors; /* attempts ended by a failed send */
    uint64_t resets;      /* attempts ended by their stream's end (tcp://, tls://, https://) */
    uint64_t rcodes[PDNS__RCODE_SLOTS];
    pdns__hist lat;    /* whole run */
    pdns__hist lat_iv; /* current interval */
    uint64_t iv_sent, iv_answered, iv_lost, iv_errors, iv_tc;
    pdns__ts_point *ts;
    size_t ts_len, ts_cap;
    /* controller results (probe / AIMD); optimal_qps < 0 when unknown */
    double optimal_qps;
    double converged_after_s; /* < 0 when not converged */
    double *edges;
    size_t n_edges, edges_cap;
    pdns__conn_stats conn;
    /* EDNS (pdns__stats_on_edns): the last NSID seen (text, "" none); with cookies on,
     * answers by what their cookie check found */
    char nsid[2 * PDNS__NSID_MAX + 1];
    int cookies;
    uint64_t cookie_ok, cookie_missing, cookie_bad;
} pdns__server_stats;

void pdns__stats_init(pdns__server_stats *s, const char *server);
void pdns__stats_free(pdns__server_stats *s);
void pdns__stats_on_send(pdns__server_stats *s, int is_retry);
/* An answer arrived: rcode, TC flag, round-trip time in nanoseconds. SERVFAIL (2) and
 * REFUSED (5) also count as errors. */
void pdns__stats_on_answer(pdns__server_stats *s, int rcode, int tc, uint64_t rtt_ns);
/* What an answer (read over UDP) said about EDNS: keeps its NSID as text, counts its
 * cookie check. */
void pdns__stats_on_edns(pdns__server_stats *s, const pdns__edns_info *e);
void pdns__stats_on_timeout(pdns__server_stats *s);
void pdns__stats_on_malformed(pdns__server_stats *s);
/* An attempt ended at once without reaching the server: an ICMP error (send_error 0)
 * or a failed send (1). Neither is a loss nor an answer. */
void pdns__stats_on_unreachable(pdns__server_stats *s, int send_error);
/* An attempt ended by the end of its stream (a reset): counted as lost in its interval,
 * as a timeout is (a stream has no other loss). */
void pdns__stats_on_reset(pdns__server_stats *s);
/* End the current interval at t seconds: append a time-series point and reset the
 * interval counters. Returns 0, or -1 on allocation failure (the point is dropped). */
int pdns__stats_close_interval(pdns__server_stats *s, double t, double target_qps);
int pdns__stats_add_edge(pdns__server_stats *s, double qps);

/* Add the figures of src (the same server, measured by another thread over the same
 * run) into dst: counters, rcodes and histograms are summed (exact); time-series points
 * are merged by index (counts and target rates summed, p50 the answered-weighted mean,
 * p99 the larger: per-interval histograms are not kept); optimal_qps is the sum when
 * both are known, converged_after_s the later, edges summed pairwise (both threads see
 * a server's limit at the same moment); the NSID is dst's, or src's when dst saw none;
 * cookie counts are summed. Returns 0, or -1 on allocation failure (dst
 * then lacks some points or edges). */
int pdns__stats_merge(pdns__server_stats *dst, const pdns__server_stats *src);

/* Figures of the intervals run near a found rate opt (target within [0.85, 1.05] x opt):
 * loss (lost + errors + TC over sent) and the medians of their p50 and p99 latencies;
 * each -1 when no interval qualifies (or opt <= 0). */
typedef struct pdns__near_figures {
    double loss, p50_ms, p99_ms;
} pdns__near_figures;
void pdns__stats_near(const pdns__server_stats *s, double opt, pdns__near_figures *out);

/* Connection events (stream transports). ns: the handshake's duration. */
void pdns__conn_on_open(pdns__conn_stats *c);
void pdns__conn_on_ready(pdns__conn_stats *c, uint64_t handshake_ns);
void pdns__conn_on_fail(pdns__conn_stats *c, const char *why);
void pdns__conn_on_reset(pdns__conn_stats *c, const char *why);

#endif
