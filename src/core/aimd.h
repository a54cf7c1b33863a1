/* aimd.h - per-nameserver AIMD rate controller with a capacity estimate (pure).
 * SPDX-License-Identifier: MIT */
#ifndef PDNS_AIMD_H
#define PDNS_AIMD_H

#include <stddef.h>
#include <stdint.h>

/* Pure: time is passed in as now_ns (monotonic nanoseconds); no clock reads, no malloc,
 * no globals. One pdns__aimd per nameserver, embedded by the caller.
 *
 * Units: rates in queries per second (qps), latencies in milliseconds, time in ns.
 *
 * Use:
 *   pdns__aimd_init(&a, &params, now);
 *   every pdns__aimd_interval_ns(&a) (the caller may be late; dt is measured):
 *       fill a pdns__aimd_sample with what happened since the previous update;
 *       rate = pdns__aimd_update(&a, &sample, now);   -> set the pacer to rate
 *   whenever a query times out (any time, even many intervals later):
 *       pdns__aimd_report_late_loss(&a, query_sent_ns, 1);
 *
 * Every field of pdns__aimd_params is a profile key of the same name (profile.h). */

typedef struct pdns__aimd_params {
    double start_qps;          /* initial rate (slow start begins here), > 0 */
    double min_qps;            /* lower clamp, > 0 */
    double max_qps;            /* upper clamp per server; 0 = unlimited */
    double max_total_qps;      /* cap on the sum over servers (engine); 0 = unlimited */
    double interval_ms;        /* shortest control interval */
    double rtt_intervals;      /* the interval is at least this many smoothed RTTs */
    double min_samples;        /* the interval is long enough to send this many queries */
    double slow_start_factor;  /* rate multiplier per interval in slow start, > 1 */
    double increase_qps;       /* additive step per interval, floor (qps) */
    double increase_fraction;  /* additive step per interval as a fraction of the last edge */
    double decrease_factor;    /* multiplicative decrease before convergence, in (0,1) */
    double loss_threshold;     /* loss ratio above which the interval is congested */
    double error_threshold;    /* SERVFAIL+REFUSED ratio (of answers) that is congestion */
    double tc_threshold;       /* TC ratio (of answers) that is congestion */
    double latency_factor;     /* p90 above this x baseline RTT is congestion (queueing) */
    double latency_min_ms;     /* ... and only when p90 exceeds the baseline by this much */
    double hold_fraction;      /* once converged, hold at this x estimate, in (0,1) */
    double probe_period_ms;    /* time held before probing upward again */
    double loss_target;        /* max (lost+errors+tc)/sent of a "good" interval */
    double converge_tolerance; /* converged: last converge_edges edges within +-this */
    int converge_edges;        /* number of edges for convergence and the estimate, 2..16 */
    double baseline_window_ms; /* min-RTT baseline is the minimum over 1-2 such windows */
    double use_fraction;       /* sent < this x rate in an interval = sender-limited */
} pdns__aimd_params;

/* Controller phases (pdns__aimd_phase_name gives "slow_start", "avoid", "hold", "probe"). */
typedef enum pdns__aimd_phase {
    PDNS__AIMD_SLOW_START = 0, /* x slow_start_factor per interval until the 1st signal */
    PDNS__AIMD_AVOID,          /* congestion avoidance: + step per interval */
    PDNS__AIMD_HOLD,           /* converged: hold_fraction x estimate until the next probe */
    PDNS__AIMD_PROBE           /* converged: from the estimate + step per interval */
} pdns__aimd_phase;

/* Congestion signals (bit mask, see pdns__aimd_last_signals). */
#define PDNS__AIMD_SIG_LOSS      1u  /* answers fell behind sends in the interval */
#define PDNS__AIMD_SIG_ERRORS    2u  /* SERVFAIL/REFUSED ratio */
#define PDNS__AIMD_SIG_TC        4u  /* TC ratio */
#define PDNS__AIMD_SIG_LATENCY   8u  /* p90 inflated over the baseline */
#define PDNS__AIMD_SIG_LATE_LOSS 16u /* timeouts reported later for an earlier interval */
#define PDNS__AIMD_SIG_EDGE      32u /* near the estimate: rejections > loss_target */

/* What happened in one control interval (since the previous update). */
typedef struct pdns__aimd_sample {
    uint64_t sent;     /* queries sent in the interval (retries included) */
    uint64_t answered; /* answers received in the interval (any rcode, TC included) */
    uint64_t lost;     /* timeouts NOT reported through pdns__aimd_report_late_loss
                        * (counted against this interval); normally 0 */
    uint64_t errors;   /* answers with SERVFAIL or REFUSED (subset of answered) */
    uint64_t tc;       /* answers with the TC bit (subset of answered) */
    double p50_ms;     /* latency quantiles of the interval's answers; <= 0 unknown */
    double p90_ms;
    double min_rtt_ms; /* smallest RTT in the interval; <= 0 unknown */
    int limited;       /* non-zero: the sender could not use the rate (no names ready,
                        * in-flight cap reached); no increase this interval */
} pdns__aimd_sample;

#define PDNS__AIMD_HIST  64 /* intervals remembered for late loss attribution */
#define PDNS__AIMD_EDGES 32 /* edges remembered (ring) */

/* One closed interval (internal, kept for late loss). */
typedef struct pdns__aimd_iv {
    uint64_t start_ns, end_ns;
    uint64_t sent, answered, errors, tc, lost;
    double rate;     /* target rate during the interval */
    double sent_qps; /* rate actually sent */
    double spill;    /* fraction of the sends possibly still in flight at end_ns (p90) */
    double inflight; /* fraction typically still in flight at end_ns (p50) */
    double dq;       /* what the server delivered (qps; 0: an outage), for the share */
    double p90_ms;   /* the interval's p90 (0: unknown) */
    unsigned sig;    /* PDNS__AIMD_SIG_* seen */
    int lat_high;    /* p90 above the latency thresholds (a LATENCY signal only when it
                        persists at a rate above those that recently had low latency) */
    int late_new;    /* late loss arrived since the last update */
    int limited;
    int stalled;   /* the caller's host stalled in it or just before: no signal, no step */
    unsigned pend; /* signals that wait for the next interval to confirm them (answers
                      behind sends, latency: late answers, not lost ones, come back) */
} pdns__aimd_iv;

typedef struct pdns__aimd {
    pdns__aimd_params p;
    pdns__aimd_phase phase;
    double rate;
    uint64_t start_ns, last_ns, hold_since_ns;
    uint64_t seq;                     /* number of closed intervals */
    uint64_t react_seq;               /* first interval sent after the last decrease */
    double lat_cap;                   /* low latency vouches for rates up to this only: the
                                         last edge of loss, errors or TC (0: no bound) */
    uint64_t open_stall_ns;           /* host stalls reported in the open interval */
    int stall_prev;                   /* the interval before it had one */
    unsigned stall_run;               /* intervals in a row set aside for stalls */
    uint64_t stalled_intervals;       /* intervals set aside for stalls, in all */
    uint64_t unconfirmed;             /* pending signals the next interval did not confirm */
    uint64_t unconf_seq;              /* the interval that last did not confirm */
    double pend_rate;                 /* the rate before a pending signal's dip (0: none) */
    uint64_t lat_test_seq;            /* a latency-only decrease is under test from this
                                         interval on (0: none): does the latency respond? */
    double lat_test_p90;              /* the p90 that caused it, then the lowest since */
    double lat_test_rate;             /* the target rate it was seen at */
    uint64_t lat_test_edge;           /* n_edges after the edge it recorded */
    unsigned lat_test_n;              /* intervals since that kept the latency */
    uint64_t lat_foreign;             /* latency found not to respond (the host's) */
    uint64_t open_lost;               /* late loss reported for the still open interval */
    uint64_t stale_lost;              /* late loss older than the remembered intervals */
    double base_cur_ms, base_prev_ms; /* min RTT: this and the previous window */
    double p90_cur_ms, p90_prev_ms;   /* lowest interval p90: this and the previous window */
    uint64_t base_win_ns;             /* start of the current window */
    double srtt_ms;                   /* EWMA of p50, 0 = unknown */
    double probe_step;                /* current probe step (qps per interval) */
    double s_best;                    /* best sustained rate after edges were invalidated */
    double estimate;                  /* optimal_qps; < 0 unknown */
    double edges[PDNS__AIMD_EDGES];
    uint64_t edge_ns[PDNS__AIMD_EDGES];
    unsigned char edge_void[PDNS__AIMD_EDGES]; /* withdrawn (the host's latency, not load) */
    uint64_t n_edges;         /* total edges seen (ring index = n % PDNS__AIMD_EDGES) */
    uint64_t edge_valid_from; /* edges before this index no longer bound the estimate */
    int converged;
    uint64_t converged_ns;       /* when the current convergence was reached */
    uint64_t first_converged_ns; /* first convergence ever (valid when ever_converged) */
    int ever_converged;
    int collapsed;      /* the server stopped answering: no edges until it answers */
    unsigned last_sig;  /* signals of the last decrease */
    uint64_t decreases; /* number of decreases */
    int siblings;       /* controllers sharing this server's budget (pdns__aimd_siblings) */
    double share_num;   /* share: sum of w x rejected x dq over intervals ... */
    double share_den;   /* ... and of w x rejected (w: decay over PDNS__AIMD_SHARE_TAU_MS) */
    pdns__aimd_iv iv[PDNS__AIMD_HIST];
} pdns__aimd;

/* The compiled-in parameters; equal to profiles/default.json (tested). */
void pdns__aimd_params_default(pdns__aimd_params *p);

/* Start a controller at p->start_qps (clamped to [min_qps, max_qps]) at now_ns. The
 * parameters are copied; they must be valid (pdns__profile_validate). */
void pdns__aimd_init(pdns__aimd *a, const pdns__aimd_params *p, uint64_t now_ns);

/* Warm start (a capacity known from an earlier run): the estimate becomes estimate and
 * the rate hold_fraction x estimate (clamped), in congestion avoidance, so the controller
 * skips slow start, keeps stepping upward and records edges as usual; its first edge
 * replaces the remembered estimate. Call right after pdns__aimd_init; estimate <= 0
 * (or not finite) changes nothing. */
void pdns__aimd_warm(pdns__aimd *a, double estimate);

/* This controller is one of n that drive the same server from one budget (n shards x
 * threads, each with 1/n of every limit). Its optimal_qps is then its share of the
 * server (pdns__aimd_optimal_qps), so that the n of them add up to the server's
 * capacity. n <= 1: alone (the default). */
void pdns__aimd_siblings(pdns__aimd *a, int n);

/* Close the interval (previous update or init .. now_ns) with sample s: evaluate the
 * signals of this interval and of earlier intervals that got late loss, then decrease
 * (congestion) or increase (per phase; never while sender-limited). Returns the new
 * target rate in qps, in [min_qps, max_qps]. A call with now_ns not after the previous
 * update changes nothing and returns the current rate. */
double pdns__aimd_update(pdns__aimd *a, const pdns__aimd_sample *s, uint64_t now_ns);

/* The caller's own process did not run for ns (its event loop was late: the host is
 * busy, or the machine was descheduled). Answers that arrived meanwhile wait, so the
 * open interval's latency, its answers-behind-sends and what the server did with the
 * burst after it say nothing about the server: an interval with PDNS__AIMD_STALL_MS or
 * more of stalls, and the one after it, are set aside when they show a signal (no
 * signal, no step; at most PDNS__AIMD_STALL_RUN in a row, and never the interval that
 * decides an earlier pending signal). An interval that looks clean despite a stall
 * counts as it is. */
void pdns__aimd_report_stall(pdns__aimd *a, uint64_t ns);
#define PDNS__AIMD_STALL_MS  5
#define PDNS__AIMD_STALL_RUN 3

/* Report n queries sent at sent_ns that timed out. They count against the interval in
 * which they were sent (or the open one) and take effect at the next update; loss older
 * than PDNS__AIMD_HIST intervals is counted but ignored. */
void pdns__aimd_report_late_loss(pdns__aimd *a, uint64_t sent_ns, uint64_t n);

/* The control interval the controller wants now, in ns: max(interval_ms, rtt_intervals x
 * smoothed RTT, time to send min_samples queries at the current rate), at most 10 s. */
uint64_t pdns__aimd_interval_ns(const pdns__aimd *a);

/* Current target rate (qps). */
double pdns__aimd_rate(const pdns__aimd *a);

/* Capacity estimate (qps): median of the last converge_edges valid edges, raised by a
 * sustained good rate above them; < 0 while unknown (no congestion seen yet). With
 * siblings (pdns__aimd_siblings), the smaller of that and this controller's share: what
 * the server delivered to it when it turned queries away (see aimd.c). */
double pdns__aimd_optimal_qps(const pdns__aimd *a);

/* Copy the most recent edges (qps, oldest first) into out[0..cap); returns how many. */
size_t pdns__aimd_edges(const pdns__aimd *a, double *out, size_t cap);

/* Total number of edges seen. */
uint64_t pdns__aimd_n_edges(const pdns__aimd *a);

/* 1 when the estimate is converged (last converge_edges edges within +-converge_tolerance
 * of their median); *since_ns (if not NULL) receives when the current convergence was
 * reached (0 when not converged). */
int pdns__aimd_converged(const pdns__aimd *a, uint64_t *since_ns);

/* Seconds from init to the first convergence; < 0 when never converged. */
double pdns__aimd_converged_after_s(const pdns__aimd *a);

/* Min-RTT baseline in ms; <= 0 while unknown. */
double pdns__aimd_baseline_ms(const pdns__aimd *a);

/* Phase and its name ("slow_start", "avoid", "hold", "probe"). */
pdns__aimd_phase pdns__aimd_phase_of(const pdns__aimd *a);
const char *pdns__aimd_phase_name(const pdns__aimd *a);

/* The significance rule of every ratio signal: count events out of n exceed the
 * threshold ratio thr by more than binomial noise, i.e. count > thr n + 2 sqrt(thr n), and
 * count >= 3 (one or two stray timeouts or SERVFAILs are never congestion). */
int pdns__aimd_over(double count, double n, double thr);

/* Signals (PDNS__AIMD_SIG_*) behind the last decrease; 0 if none yet. */
unsigned pdns__aimd_last_signals(const pdns__aimd *a);

#endif
