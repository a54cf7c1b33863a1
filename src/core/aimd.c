/* aimd.c - per-nameserver AIMD rate controller with a capacity estimate (pure).
 * SPDX-License-Identifier: MIT */
#include <math.h>
#include <string.h>
#include "core/aimd.h"

/* IMPLEMENTATION NOTES
 *
 * Units. Rates are queries per second (qps), latencies milliseconds, time nanoseconds
 * (now_ns from the caller; this file never reads a clock). Every step below happens once
 * per control interval, i.e. once per pdns__aimd_update(); dt is measured, not assumed.
 *
 * Interval. pdns__aimd_interval_ns() asks for max(interval_ms, rtt_intervals x smoothed
 * RTT, time to send N queries), N = min_samples in slow start and afterwards at least
 * 2 / converge_tolerance (67 at 3 %): an edge measured from n answers has a resolution
 * of 1/n, and edges must be able to agree within the tolerance. So most answers to an
 * interval's queries come back inside it (answered/sent is meaningful) and ratios rest
 * on enough queries (at 10 qps in slow start the interval is 1 s). Capped at 10 s.
 *
 * Significance. Every ratio signal uses pdns__aimd_over(): count > thr n +
 * PDNS__AIMD_NOISE_SD sqrt(thr n) and count >= PDNS__AIMD_MIN_EVENTS, i.e. above the
 * threshold by more than two standard deviations of binomial noise, so a few stray
 * timeouts or SERVFAILs (background loss, broken names) are not congestion.
 *
 * Signals (PDNS__AIMD_SIG_*, each against a profile threshold):
 *  - LOSS: answers falling behind sends, visible at once: unanswered = sent - answered,
 *    minus the share that may legitimately still be in flight (spill = RTT/dt, RTT =
 *    max(p90, smoothed RTT)), above loss_threshold. Used only when the RTT is at most
 *    1/PDNS__AIMD_DEFICIT_RTTS of the interval. sample.lost counts here too.
 *  - LATE_LOSS: timeouts reported later (pdns__aimd_report_late_loss) are attributed to
 *    the interval that sent them (ring of PDNS__AIMD_HIST intervals). At the next update
 *    an interval whose loss ratio exceeds loss_threshold is congested -- unless it was
 *    sent before the last decrease (react_seq), whose effect is already under way: TCP's
 *    "one reaction per window", so one overload is not punished twice (early through
 *    LOSS, then again when its timeouts fire).
 *  - ERRORS: (SERVFAIL+REFUSED)/answered > error_threshold: what rate limiters answer.
 *  - TC: TC/answered > tc_threshold: RRL "slip".
 *  - LATENCY: p90 > latency_factor x baseline and p90 - baseline > latency_min_ms:
 *    queueing. The baseline is the larger of the minimum RTT and the lowest interval
 *    p90 over the last one to two baseline_window_ms windows (so it can rise again
 *    after a route change; the p90 floor is what a busy host delivers at best). Only when
 *    it is queueing that our load causes: with loss beside it (a full queue drops), or
 *    at a target rate above every target rate of the remembered intervals
 *    (PDNS__AIMD_HIST) whose latency was low, counting none above the last edge of
 *    loss, errors or TC (the capacity may have fallen below them). The caller's own host adds
 * latency spikes that do not depend on the rate (a busy machine: a few ms on loopback); read as
 * queueing, each lowered the rate and recorded a lower edge, a spiral down to min_qps with no loss
 * at all. Queueing that our rate causes cannot appear at a rate that had low latency a moment ago;
 * a server that really slows down overflows its queue and shows as loss. In slow start only with
 * loss beside it (slow start otherwise ends on loss, errors or TC, which every overloaded server
 * shows within a doubling).
 *    Latency that does not respond. A host busy for longer than the remembered intervals
 *    leaves no low-latency rate to compare with, and then every interval read as queueing:
 *    one decrease per interval, edges at the current rate, the estimate down to min_qps
 *    (3000 -> 500 in a CI trace, no loss at all). So a latency-only decrease is tested:
 *    queueing that our rate caused drains once the rate is cut, and the p90 falls. While
 *    the test runs (PDNS__AIMD_LAT_TEST intervals sent after the cut) latency alone is no
 *    signal (one reaction per window, as for late loss). If each of those intervals, at
 *    the lower rate, still has a p90 of at least PDNS__AIMD_LAT_RESPOND x the one that
 *    caused the cut, the latency is not ours: the p90 floor is raised to the lowest p90
 *    seen (latency must rise latency_factor x above it to count again; lower p90s bring
 *    the floor down at once) and the edge the cut recorded is withdrawn (it measured the
 *    host, not the server). A queue that our rate still overfills after the cut grows on,
 *    and shows as loss, or as latency over the raised floor.
 *  - EDGE: near a known capacity (avoid/probe, rate in [1 - tol, 1 + 2 tol] x estimate)
 *    any lost + errors + tc above loss_target x sent; above that band one stray
 *    rejection per interval is forgiven. The estimate predicts rejections there, so the
 *    climb stops at the first one instead of overshooting until the (noise-proof, hence
 *    slower) thresholds fire; this is what keeps steady-state loss under loss_target.
 *
 * Phases.
 *  - slow_start: rate x slow_start_factor per interval from start_qps until the first
 *    signal (finds the order of magnitude in log2(C/start) intervals).
 *  - warm start (pdns__aimd_warm, a capacity remembered from an earlier run): no slow
 *    start; avoid from hold_fraction x the remembered estimate, so the first intervals
 *    already run near capacity and the first edge measures it afresh.
 *  - avoid: congestion avoidance, rate + step per interval, step = max(increase_qps,
 *    increase_fraction x last edge): additive inside an epoch yet scale-free across
 *    servers. Below the hold level the step is at least a quarter of the gap to it
 *    (fast recovery after a decrease caused by noise).
 *  - on a signal (multiplicative decrease): an edge is recorded (below), then
 *    rate = decrease_factor x min(rate, edge) while not converged, or
 *    rate = hold_fraction x min(estimate, rate) once converged. Both are < rate, so any
 *    signal lowers the rate. Taking the edge rather than the rate as the base matters
 *    after slow start, where the rate may be twice the capacity.
 *  - hold: converged; the rate sits at hold_fraction x estimate, just under capacity, so
 *    steady-state loss is ~0 instead of a sawtooth overshooting every few seconds.
 *  - probe: after probe_period_ms in hold, the rate jumps to the estimate and climbs a
 *    step per interval until a signal (a fresh edge, back to hold): typically one
 *    interval with a few rejections per probe period.
 *  No phase increases while the interval was sender-limited (sample.limited, or sent <
 *  use_fraction x rate x dt), and no increase goes above slow_start_factor x the rate
 *  actually sent, so the rate never runs away from what the sender can use.
 *
 * Edges and the estimate. An edge is the rate at which congestion appeared, measured as
 * what the server delivered in the congested interval: min(rate sent, good / dt) with
 * good = min(sent x answered / expected, sent - lost) - errors - tc. Answers to the last
 * p50 of an interval arrive in the next one, so the answers counted in an interval are
 * those to the queries sent in the last p50 of the previous interval and the first
 * dt - p50 of this one: expected = prev.sent x prev.p50/dt + sent x (1 - p50/dt). When
 * latency jumps in the congested interval this is answered / (1 - p50/dt); when it is
 * steadily high (a busy host) it is answered, not answered inflated by p50/dt (that
 * inflation put shards' summed optima 10 % over a shared cap on a loaded machine). A rate limiter
 * or a saturated server delivers its capacity whatever the overshoot, so a slow-start overshoot to
 * 2 C still gives an edge of ~C; a latency-only signal gives the rate sent. An EDGE hit (a few
 * rejections, possibly background loss) takes the mean of delivered and sent rate.
 * Edges go into a ring (PDNS__AIMD_EDGES). optimal_qps (the estimate) is the median of
 * the last converge_edges valid edges: one spurious edge does not move it, a real
 * capacity drop moves it after two low edges. Converged = those edges all within
 * +-converge_tolerance of the median; converged_ns is when that last became true.
 *
 * Capacity rise. "Sustained" = the lowest sent rate of PDNS__AIMD_SUSTAIN consecutive
 * good intervals (no signal, lost + errors + tc not significantly above loss_target)
 * since the last decrease. When the best sustained rate exceeds estimate x (1 +
 * converge_tolerance), the old edges no longer bound the capacity: they are invalidated
 * (kept for stats), the estimate becomes the sustained rate, and the probe accelerates
 * (its step doubles per interval) until the next signal gives a new edge.
 *
 * Host stalls. The caller reports when its own loop ran late (pdns__aimd_report_stall):
 * the process was not running, so answers waited in the socket and came back late, the
 * interval's p90 jumped (10-70 ms on loopback) and its answers fell behind its sends.
 * That read as queueing or loss: in a run with the machine frozen 10-60 ms every 0.2-0.8 s,
 * edges fell from 3000 to 300 with no query lost. An interval with PDNS__AIMD_STALL_MS of
 * stalls, and the next (the late answers and the server's view of the burst land there),
 * is set aside when it shows a signal or a pending one: no signal, no late loss signal,
 * no share weight, no increase (an interval that looks clean counts as it is; neither
 * gives an RTT sample). At most PDNS__AIMD_STALL_RUN in a row, and never the interval
 * that decides an earlier pending signal, so a host that stalls without end still has
 * its intervals judged (as before) every few intervals.
 *
 * Share (siblings only: n controllers, shards or threads, drive one server from one
 * budget). Each controller measures its edge while the others run below theirs (in hold,
 * or lower in their sawtooth), so it finds its share of the server plus what the others
 * leave spare: n edges add up to about n C / (1 + (n - 1) m), m the others' mean fraction
 * of their edge (measured here: 105-110 % of C for 3 shards). What the server delivers to
 * a controller at a moment it turns queries away is that controller's share of C at that
 * moment, whoever caused the overload, and the shares at one moment add up to C. So the
 * share is that delivered rate averaged over the rejected queries: sum over intervals of
 * rejected x dq / sum of rejected, dq = the interval's delivered rate (as an edge's),
 * rejected = lost (timeouts attributed to the sending interval as they are reported) +
 * errors + tc, weights decaying with time constant PDNS__AIMD_SHARE_TAU_MS (5 s: a few
 * probe periods). A server turning away a fraction l of everyone's queries weighs each
 * controller's dq by l x its rate: a slight bias to its busier moments (var/mean^2 of the
 * rate, well under 1 %). Intervals that delivered under PDNS__AIMD_COLLAPSE of the rate
 * sent (an outage) do not count. Reported as min(estimate, share) once 3 rejections
 * weigh in; the controller itself still runs on its edges.
 *
 * Constants: PDNS__AIMD_MIN_EVENTS 3 and PDNS__AIMD_NOISE_SD 2 (false alarms from
 * 0.2 % background loss become rarer than 1e-4 per interval); PDNS__AIMD_DEFICIT_RTTS 4
 * (in-flight share <= 25 %, so a real loss shows above it); PDNS__AIMD_MIN_LAT_ANSWERS 5
 * (a p90 of fewer answers is noise); srtt EWMA gain 1/8 (as TCP); PDNS__AIMD_SUSTAIN 3
 * intervals; the 10 s interval cap keeps a server at min_qps observable.
 */

#define PDNS__AIMD_MIN_EVENTS      3
#define PDNS__AIMD_NOISE_SD        2.0
#define PDNS__AIMD_DEFICIT_RTTS    4.0
#define PDNS__AIMD_MIN_LAT_ANSWERS 5
#define PDNS__AIMD_SUSTAIN         3
#define PDNS__AIMD_MAX_INTERVAL_MS 10000.0
#define PDNS__AIMD_MAX_SPILL       0.5
#define PDNS__AIMD_SHARE_TAU_MS    5000.0
/* Delivered below this fraction of the rate sent: an outage, not a capacity edge. */
#define PDNS__AIMD_COLLAPSE 0.1
/* Latency responds to a cut in the rate when the p90 falls below this fraction of the
 * p90 that caused it, within PDNS__AIMD_LAT_TEST intervals (see LATENCY). */
#define PDNS__AIMD_LAT_RESPOND 0.7
#define PDNS__AIMD_LAT_TEST    2
/* Intervals after an unconfirmed pending signal in which a new one acts at once. */
#define PDNS__AIMD_PEND_WINDOW 2

static double pdns__dmin(double a, double b)
{
    return a < b ? a : b;
}

static double pdns__dmax(double a, double b)
{
    return a > b ? a : b;
}

void pdns__aimd_params_default(pdns__aimd_params *p)
{
    memset(p, 0, sizeof *p);
    p->start_qps = 50;
    p->min_qps = 10; /* a dead server is still probed 10 times a second */
    p->max_qps = 5000;
    p->max_total_qps = 20000;
    p->interval_ms = 100;
    p->rtt_intervals = 4;
    p->min_samples = 10;
    p->slow_start_factor = 2;
    p->increase_qps = 1;
    p->increase_fraction = 0.02;
    p->decrease_factor = 0.7;
    p->loss_threshold = 0.02;
    p->error_threshold = 0.03;
    p->tc_threshold = 0.03;
    p->latency_factor = 3;
    p->latency_min_ms = 2;
    p->hold_fraction = 0.93;
    p->probe_period_ms = 2000;
    p->loss_target = 0.01;
    p->converge_tolerance = 0.03;
    p->converge_edges = 3;
    p->baseline_window_ms = 10000;
    p->use_fraction = 0.8;
}

static double pdns__aimd_clamp(const pdns__aimd *a, double r)
{
    if (a->p.max_qps > 0 && r > a->p.max_qps)
        r = a->p.max_qps;
    if (r < a->p.min_qps)
        r = a->p.min_qps;
    return r;
}

void pdns__aimd_init(pdns__aimd *a, const pdns__aimd_params *p, uint64_t now_ns)
{
    memset(a, 0, sizeof *a);
    a->p = *p;
    if (a->p.converge_edges < 1)
        a->p.converge_edges = 1;
    if (a->p.converge_edges > PDNS__AIMD_EDGES)
        a->p.converge_edges = PDNS__AIMD_EDGES;
    a->phase = PDNS__AIMD_SLOW_START;
    a->rate = pdns__aimd_clamp(a, p->start_qps);
    a->start_ns = a->last_ns = a->base_win_ns = now_ns;
    a->estimate = -1;
}

double pdns__aimd_baseline_ms(const pdns__aimd *a)
{
    if (a->base_cur_ms > 0 && a->base_prev_ms > 0)
        return pdns__dmin(a->base_cur_ms, a->base_prev_ms);
    return a->base_cur_ms > 0 ? a->base_cur_ms : a->base_prev_ms;
}

/* The lowest interval p90 of the last one to two baseline windows (0 unknown): what the
 * path delivers at its best, host scheduling included. */
static double pdns__aimd_p90_floor_ms(const pdns__aimd *a)
{
    if (a->p90_cur_ms > 0 && a->p90_prev_ms > 0)
        return pdns__dmin(a->p90_cur_ms, a->p90_prev_ms);
    return a->p90_cur_ms > 0 ? a->p90_cur_ms : a->p90_prev_ms;
}

uint64_t pdns__aimd_interval_ns(const pdns__aimd *a)
{
    double ms = a->p.interval_ms;
    if (a->srtt_ms > 0)
        ms = pdns__dmax(ms, a->p.rtt_intervals * a->srtt_ms);
    if (a->rate > 0) {
        double n = a->p.min_samples;
        /* once edges are measured: enough answers for a resolution of tolerance / 2 */
        if (a->phase != PDNS__AIMD_SLOW_START)
            n = pdns__dmax(n, 2 / a->p.converge_tolerance);
        ms = pdns__dmax(ms, 1000.0 * n / a->rate);
    }
    ms = pdns__dmin(ms, pdns__dmax(PDNS__AIMD_MAX_INTERVAL_MS, a->p.interval_ms));
    if (ms < 1)
        ms = 1;
    return (uint64_t)(ms * 1e6);
}

/* Feed the interval's RTT figures into the windowed min-RTT baseline and the smoothed
 * RTT (EWMA of p50, gain 1/8). */
static void pdns__aimd_rtt(pdns__aimd *a, const pdns__aimd_sample *s, uint64_t now_ns)
{
    if (now_ns - a->base_win_ns >= (uint64_t)(a->p.baseline_window_ms * 1e6)) {
        if (a->base_cur_ms > 0)
            a->base_prev_ms = a->base_cur_ms;
        if (a->p90_cur_ms > 0)
            a->p90_prev_ms = a->p90_cur_ms;
        a->base_cur_ms = 0;
        a->p90_cur_ms = 0;
        a->base_win_ns = now_ns;
    }
    if (s->min_rtt_ms > 0 && (a->base_cur_ms <= 0 || s->min_rtt_ms < a->base_cur_ms))
        a->base_cur_ms = s->min_rtt_ms;
    if (s->p90_ms > 0 && s->answered >= PDNS__AIMD_MIN_LAT_ANSWERS &&
        (a->p90_cur_ms <= 0 || s->p90_ms < a->p90_cur_ms))
        a->p90_cur_ms = s->p90_ms;
    if (s->p50_ms > 0)
        a->srtt_ms = a->srtt_ms > 0 ? a->srtt_ms + (s->p50_ms - a->srtt_ms) / 8 : s->p50_ms;
}

int pdns__aimd_over(double count, double n, double thr)
{
    double mean = thr * n;
    return count >= PDNS__AIMD_MIN_EVENTS && count > mean + PDNS__AIMD_NOISE_SD * sqrt(mean);
}

/* What the server delivered of the queries sent in interval iv (prev: the interval before
 * it, NULL when unknown). The answers counted in iv are those to the queries sent in the
 * last p50 of prev and in the first dt - p50 of iv: the delivered fraction is answered
 * over those, applied to iv's sends. cautious (for the loss signal): the spill from prev
 * taken with the smaller of the two p50s, so that a p50 that fell (or a high p50 whose
 * answers were not in fact late) cannot read as loss; it can only hide some. */
static double pdns__aimd_delivered(const pdns__aimd_iv *iv, const pdns__aimd_iv *prev, int cautious)
{
    double expect = (1 - iv->inflight) * (double)iv->sent;
    double good = 0;

    if (prev && prev->end_ns > prev->start_ns) {
        double dt_prev = (double)(prev->end_ns - prev->start_ns) / 1e9;
        double p50_prev = prev->inflight * dt_prev;
        if (cautious && iv->end_ns > iv->start_ns)
            p50_prev =
                pdns__dmin(p50_prev, iv->inflight * (double)(iv->end_ns - iv->start_ns) / 1e9);
        expect += (double)prev->sent / dt_prev * p50_prev;
    }
    if (expect > 0)
        good = (double)iv->answered * (double)iv->sent / expect;
    return pdns__dmin(good, (double)iv->sent - (double)iv->lost);
}

/* Answers that did not come back beyond the share still legitimately in flight. */
static double pdns__aimd_unanswered(const pdns__aimd_iv *iv)
{
    double un = (double)iv->sent - (double)iv->answered - iv->spill * (double)iv->sent;
    return un > 0 ? un : 0;
}

/* Whether high latency in the interval just closed (iv, index a->seq) is queueing that our
 * load causes, rather than noise of the caller's own host. With loss beside it, it is (a
 * full queue drops). Without, never in slow start, and otherwise only at a target rate
 * above every target rate of the remembered intervals whose latency was low. */
static int pdns__aimd_latency_is_load(const pdns__aimd *a, const pdns__aimd_iv *iv)
{
    uint64_t back = a->seq < PDNS__AIMD_HIST - 1 ? a->seq : PDNS__AIMD_HIST - 1;
    double ok_qps = 0;
    if (iv->lost > 0 || pdns__aimd_unanswered(iv) >= 1) /* a full queue drops: load */
        return 1;
    if (a->phase == PDNS__AIMD_SLOW_START || a->lat_test_seq) /* no signal; or wait for
                                                               * the cut's effect */
        return 0;
    for (uint64_t k = 1; k <= back; k++) {
        const pdns__aimd_iv *o = &a->iv[(a->seq - k) % PDNS__AIMD_HIST];
        if (!o->lat_high && o->answered >= PDNS__AIMD_MIN_LAT_ANSWERS && o->rate > ok_qps)
            ok_qps = o->rate;
    }
    if (a->lat_cap > 0 && ok_qps > a->lat_cap)
        ok_qps = a->lat_cap;
    return iv->rate > ok_qps;
}

/* Signals of the interval just closed (PDNS__AIMD_SIG_* mask). */
static unsigned pdns__aimd_signals(pdns__aimd *a, pdns__aimd_iv *iv, const pdns__aimd_iv *prev,
                                   const pdns__aimd_sample *s, double dt_ms)
{
    const pdns__aimd_params *p = &a->p;
    unsigned sig = 0;
    double base = pdns__aimd_baseline_ms(a);
    double rtt = pdns__dmax(s->p90_ms, a->srtt_ms);
    double mid = s->p50_ms > 0 ? s->p50_ms : a->srtt_ms;

    iv->spill = rtt > 0 ? pdns__dmin(PDNS__AIMD_MAX_SPILL, rtt / dt_ms) : PDNS__AIMD_MAX_SPILL;
    iv->inflight = mid > 0 ? pdns__dmin(iv->spill, mid / dt_ms) : 0;
    iv->pend = 0;
    if (pdns__aimd_over((double)iv->lost, (double)iv->sent, p->loss_threshold))
        sig |= PDNS__AIMD_SIG_LOSS;
    if (rtt > 0 && rtt * PDNS__AIMD_DEFICIT_RTTS <= dt_ms &&
        pdns__aimd_over(pdns__dmax(pdns__aimd_unanswered(iv),
                                   (double)iv->sent - pdns__aimd_delivered(iv, prev, 1)),
                        (double)iv->sent, p->loss_threshold))
        iv->pend |= PDNS__AIMD_SIG_LOSS; /* answers behind: lost, or only late? */
    iv->p90_ms = s->p90_ms;
    double base90 = pdns__dmax(base, pdns__aimd_p90_floor_ms(a));
    iv->lat_high = base > 0 && s->p90_ms > 0 && iv->answered >= PDNS__AIMD_MIN_LAT_ANSWERS &&
                   s->p90_ms > p->latency_factor * base90 && s->p90_ms - base90 > p->latency_min_ms;
    /* a rate limiter's refusals come at once; with a latency spike beside them they may be
     * the burst a stalled server (or path) let through at once: wait for the next interval */
    if (pdns__aimd_over((double)iv->errors, (double)iv->answered, p->error_threshold)) {
        if (iv->lat_high)
            iv->pend |= PDNS__AIMD_SIG_ERRORS;
        else
            sig |= PDNS__AIMD_SIG_ERRORS;
    }
    if (pdns__aimd_over((double)iv->tc, (double)iv->answered, p->tc_threshold)) {
        if (iv->lat_high)
            iv->pend |= PDNS__AIMD_SIG_TC;
        else
            sig |= PDNS__AIMD_SIG_TC;
    }
    if (iv->lat_high && pdns__aimd_latency_is_load(a, iv)) {
        if (iv->lost > 0) /* a full queue drops */
            sig |= PDNS__AIMD_SIG_LATENCY;
        else /* a queue our rate causes persists while the rate does */
            iv->pend |= PDNS__AIMD_SIG_LATENCY;
    }
    iv->pend &= ~sig;
    return sig;
}

/* A good interval (prev: the one before it, or NULL): no signal, and (lost + errors +
 * tc) not significantly above loss_target x sent (pdns__aimd_over), lost counting the
 * queries not delivered (pdns__aimd_delivered) before their timeouts are known: with
 * latency a large part of the interval, the signals' allowance (p90/dt) hid a server
 * that delivered 4 % less than it was sent, and the estimate rose to the rate sent. */
static int pdns__aimd_good(const pdns__aimd *a, const pdns__aimd_iv *iv, const pdns__aimd_iv *prev)
{
    double bad = pdns__dmax((double)iv->lost, pdns__aimd_unanswered(iv));
    bad = pdns__dmax(bad, (double)iv->sent - pdns__aimd_delivered(iv, prev, 0));
    bad += (double)iv->errors + (double)iv->tc;
    return iv->sent > 0 && iv->sig == 0 &&
           !pdns__aimd_over(bad, (double)iv->sent, a->p.loss_target);
}

/* Near or above the estimate (avoid or probe phase, rate >= estimate x (1 - tolerance))
 * an interval is congested when its lost + errors + tc exceed loss_target x sent: more
 * sensitive than the significance rule, since the estimate already predicts rejections
 * there (a false alarm costs a step back to the hold level). Above estimate x (1 + 2
 * tolerance) one stray rejection per interval is forgiven, so that background loss does
 * not stop a probe that is following a capacity rise. */
static int pdns__aimd_edge_hit(const pdns__aimd *a, const pdns__aimd_iv *iv, double missing)
{
    double bad, slack;

    if ((a->phase != PDNS__AIMD_PROBE && a->phase != PDNS__AIMD_AVOID) || a->estimate <= 0 ||
        iv->rate < a->estimate * (1 - a->p.converge_tolerance))
        return 0;
    slack = iv->rate > a->estimate * (1 + 2 * a->p.converge_tolerance) ? 1 : 0;
    bad = pdns__dmax((double)iv->lost, missing);
    bad += (double)iv->errors + (double)iv->tc;
    return bad >= 1 + slack && bad > a->p.loss_target * (double)iv->sent + slack;
}

/* Answers still missing after interval prev and the one after it (iv), beyond what may
 * still be in flight: answers that a stall held back (ours or the server's) come back in
 * the second interval; those a full queue dropped never do. */
static double pdns__aimd_missing2(const pdns__aimd_iv *prev, const pdns__aimd_iv *iv)
{
    double m = (double)prev->sent + (double)iv->sent - (double)prev->answered -
               (double)iv->answered - iv->spill * (double)iv->sent;
    return m > 0 ? m : 0;
}

/* Which of prev's pending signals the interval after it (iv) confirms: answers behind
 * sends that are still missing (LOSS: significantly; EDGE: any beyond loss_target, as
 * its own rule), latency that persisted at the rate held. */
static unsigned pdns__aimd_confirm(const pdns__aimd *a, const pdns__aimd_iv *prev,
                                   const pdns__aimd_iv *iv)
{
    unsigned c = 0;
    double m = pdns__aimd_missing2(prev, iv), n = (double)prev->sent + (double)iv->sent;
    if ((prev->pend & PDNS__AIMD_SIG_LOSS) && pdns__aimd_over(m, n, a->p.loss_threshold))
        c |= PDNS__AIMD_SIG_LOSS;
    if ((prev->pend & PDNS__AIMD_SIG_EDGE) && m >= 1 && m > a->p.loss_target * n)
        c |= PDNS__AIMD_SIG_EDGE;
    if ((prev->pend & PDNS__AIMD_SIG_LATENCY) && iv->lat_high)
        c |= PDNS__AIMD_SIG_LATENCY;
    /* refusals that go on at the lower rate */
    if ((prev->pend & PDNS__AIMD_SIG_ERRORS) && iv->errors >= 1 &&
        (double)iv->errors > a->p.loss_target * (double)iv->answered)
        c |= PDNS__AIMD_SIG_ERRORS;
    if ((prev->pend & PDNS__AIMD_SIG_TC) && iv->tc >= 1 &&
        (double)iv->tc > a->p.loss_target * (double)iv->answered)
        c |= PDNS__AIMD_SIG_TC;
    return c;
}

/* Best sustained rate since the last decrease: max over runs of PDNS__AIMD_SUSTAIN
 * consecutive good intervals of their lowest sent rate; 0 when none. */
static double pdns__aimd_sustained(const pdns__aimd *a)
{
    uint64_t first = a->react_seq;
    double best = 0;
    if (a->seq + 1 > PDNS__AIMD_HIST && first < a->seq + 1 - PDNS__AIMD_HIST)
        first = a->seq + 1 - PDNS__AIMD_HIST;
    for (uint64_t q = first; q + PDNS__AIMD_SUSTAIN <= a->seq + 1; q++) {
        double lo = -1;
        int ok = 1;
        for (uint64_t k = q; k < q + PDNS__AIMD_SUSTAIN; k++) {
            const pdns__aimd_iv *iv = &a->iv[k % PDNS__AIMD_HIST];
            const pdns__aimd_iv *prev = k > first ? &a->iv[(k - 1) % PDNS__AIMD_HIST] : NULL;
            if (!pdns__aimd_good(a, iv, prev)) {
                ok = 0;
                break;
            }
            if (lo < 0 || iv->sent_qps < lo)
                lo = iv->sent_qps;
        }
        if (ok && lo > best)
            best = lo;
    }
    return best;
}

/* Recompute the estimate (median of the last converge_edges valid edges) and the
 * converged flag after an edge was added. */
static void pdns__aimd_estimate(pdns__aimd *a, uint64_t now_ns)
{
    double v[PDNS__AIMD_EDGES];
    uint64_t from = a->edge_valid_from;
    size_t n = 0;
    int conv;

    if (a->n_edges > PDNS__AIMD_EDGES && from < a->n_edges - PDNS__AIMD_EDGES)
        from = a->n_edges - PDNS__AIMD_EDGES;
    /* the newest converge_edges valid edges that were not withdrawn */
    for (uint64_t i = a->n_edges; i > from && n < (size_t)a->p.converge_edges; i--) {
        double e = a->edges[(i - 1) % PDNS__AIMD_EDGES];
        size_t j;
        if (a->edge_void[(i - 1) % PDNS__AIMD_EDGES])
            continue;
        j = n++;
        while (j > 0 && v[j - 1] > e) {
            v[j] = v[j - 1];
            j--;
        }
        v[j] = e;
    }
    if (n == 0)
        return;
    a->estimate = (n % 2) ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    conv = n >= (size_t)a->p.converge_edges;
    for (size_t i = 0; conv && i < n; i++)
        if (v[i] < a->estimate * (1 - a->p.converge_tolerance) ||
            v[i] > a->estimate * (1 + a->p.converge_tolerance))
            conv = 0;
    if (conv && !a->converged) {
        a->converged_ns = now_ns;
        if (!a->ever_converged) {
            a->ever_converged = 1;
            a->first_converged_ns = now_ns;
        }
    }
    a->converged = conv;
}

/* What the server delivered of interval iv's queries as a rate (prev the interval before
 * it or NULL, dt_s its length): the delivered queries less errors and TC answers, at most
 * the rate sent. An edge's value, and what the share weighs. */
static double pdns__aimd_delivered_qps(const pdns__aimd_iv *iv, const pdns__aimd_iv *prev,
                                       double dt_s)
{
    double good = pdns__aimd_delivered(iv, prev, 0) - (double)iv->errors - (double)iv->tc;
    return pdns__dmin(iv->sent_qps, pdns__dmax(0, good) / dt_s);
}

/* Congestion seen in interval iv (signals sig; prev the interval before it or NULL):
 * record the edge, update the estimate and return the decreased rate. */
static double pdns__aimd_decrease(pdns__aimd *a, const pdns__aimd_iv *iv, const pdns__aimd_iv *prev,
                                  unsigned sig, double dt_s, uint64_t now_ns)
{
    double edge = pdns__aimd_delivered_qps(iv, prev, dt_s), r;

    /* a server that (almost) stopped answering shows no capacity, only an outage: back
     * off without recording an edge (a dead server's edges would drag the estimate to
     * the floor); slow start resumes once it answers again */
    if (edge < PDNS__AIMD_COLLAPSE * iv->sent_qps &&
        !(sig & (PDNS__AIMD_SIG_ERRORS | PDNS__AIMD_SIG_TC))) {
        a->collapsed = 1;
        a->phase = PDNS__AIMD_AVOID;
        a->react_seq = a->seq + 1;
        a->last_sig = sig;
        a->decreases++;
        return a->p.decrease_factor * a->rate;
    }
    edge = pdns__dmax(edge, a->p.min_qps);
    if (sig & ~PDNS__AIMD_SIG_LATENCY) /* the capacity may have fallen: see LATENCY */
        a->lat_cap = edge;
    a->edges[a->n_edges % PDNS__AIMD_EDGES] = edge;
    a->edge_void[a->n_edges % PDNS__AIMD_EDGES] = 0;
    a->edge_ns[a->n_edges % PDNS__AIMD_EDGES] = now_ns;
    a->n_edges++;
    pdns__aimd_estimate(a, now_ns);

    if (a->converged) {
        r = a->p.hold_fraction * pdns__dmin(a->estimate, a->rate);
        a->phase = PDNS__AIMD_HOLD;
        a->hold_since_ns = now_ns;
    } else {
        r = a->p.decrease_factor * pdns__dmin(a->rate, edge);
        a->phase = PDNS__AIMD_AVOID;
    }
    a->react_seq = a->seq + 1;
    a->last_sig = sig;
    a->decreases++;
    if (sig == PDNS__AIMD_SIG_LATENCY && iv->p90_ms > 0) { /* does it respond? */
        a->lat_test_seq = a->seq + 1;
        a->lat_test_p90 = iv->p90_ms;
        a->lat_test_rate = iv->rate;
        a->lat_test_edge = a->n_edges;
        a->lat_test_n = 0;
    }
    return r;
}

/* The interval just closed (iv) in a latency test (see LATENCY in the notes): a p90 that
 * fell, a loss, an error or TC signal, or an unchanged rate ends it; a p90 that stayed
 * at the lower rate for PDNS__AIMD_LAT_TEST intervals makes the latency the host's:
 * the p90 floor rises to it and the cut's edge is withdrawn. */
static void pdns__aimd_lat_test(pdns__aimd *a, const pdns__aimd_iv *iv, uint64_t now_ns)
{
    double keep = PDNS__AIMD_LAT_RESPOND * a->lat_test_p90;
    if (!a->lat_test_seq || a->seq < a->lat_test_seq)
        return;
    if (iv->sig || iv->limited || iv->answered < PDNS__AIMD_MIN_LAT_ANSWERS ||
        !(iv->p90_ms >= keep) || iv->rate >= a->lat_test_rate) {
        a->lat_test_seq = 0; /* it responded, or something else decides */
        return;
    }
    a->lat_test_p90 = pdns__dmin(a->lat_test_p90, iv->p90_ms);
    if (++a->lat_test_n < PDNS__AIMD_LAT_TEST)
        return;
    a->lat_test_seq = 0;
    a->lat_foreign++;
    a->p90_cur_ms = pdns__dmax(a->p90_cur_ms, a->lat_test_p90);
    a->p90_prev_ms = pdns__dmax(a->p90_prev_ms, a->lat_test_p90);
    if (a->n_edges == a->lat_test_edge && a->n_edges > a->edge_valid_from) {
        a->edge_void[(a->n_edges - 1) % PDNS__AIMD_EDGES] = 1; /* kept in the list, unused */
        pdns__aimd_estimate(a, now_ns);
    }
}

void pdns__aimd_warm(pdns__aimd *a, double estimate)
{
    if (!(estimate > 0) || !isfinite(estimate))
        return;
    a->estimate = estimate;
    a->rate = pdns__aimd_clamp(a, a->p.hold_fraction * estimate);
    a->phase = PDNS__AIMD_AVOID;
}

/* Additive step: max(increase_qps, increase_fraction x reference). */
static double pdns__aimd_step(const pdns__aimd *a, double ref)
{
    return pdns__dmax(a->p.increase_qps, a->p.increase_fraction * ref);
}

/* The newest valid edge, or the estimate, or the rate: reference for the step. */
static double pdns__aimd_ref(const pdns__aimd *a)
{
    for (uint64_t i = a->n_edges; i > a->edge_valid_from && i + PDNS__AIMD_EDGES > a->n_edges; i--)
        if (!a->edge_void[(i - 1) % PDNS__AIMD_EDGES])
            return a->edges[(i - 1) % PDNS__AIMD_EDGES];
    return a->estimate > 0 ? a->estimate : a->rate;
}

/* No congestion in the interval: the phase's increase (none while sender-limited). */
static double pdns__aimd_increase(pdns__aimd *a, const pdns__aimd_iv *iv, uint64_t now_ns)
{
    double r = a->rate;
    double cap = pdns__dmax(a->rate, iv->sent_qps * a->p.slow_start_factor);

    if (a->collapsed && iv->answered > 0) {
        /* answering again after an outage: slow start back to the hold level */
        a->collapsed = 0;
        a->phase = PDNS__AIMD_SLOW_START;
    }
    switch (a->phase) {
    case PDNS__AIMD_SLOW_START:
        if (!iv->limited)
            r = a->rate * a->p.slow_start_factor;
        if (a->estimate > 0 && r >= a->p.hold_fraction * a->estimate) {
            /* back at the known capacity (after an outage) */
            r = pdns__dmax(a->rate, a->p.hold_fraction * a->estimate);
            a->phase = a->converged ? PDNS__AIMD_HOLD : PDNS__AIMD_AVOID;
            a->hold_since_ns = now_ns;
        }
        break;
    case PDNS__AIMD_AVOID:
        if (!iv->limited) {
            double step = pdns__aimd_step(a, pdns__aimd_ref(a));
            /* fast recovery: a quarter of the way back to the hold level at least */
            if (a->estimate > 0)
                step = pdns__dmax(step, (a->p.hold_fraction * a->estimate - a->rate) / 4);
            r = a->rate + step;
        }
        break;
    case PDNS__AIMD_HOLD:
        r = a->p.hold_fraction * a->estimate;
        if (iv->limited) {
            r = pdns__dmin(r, a->rate);
        } else if ((double)(now_ns - a->hold_since_ns) >= a->p.probe_period_ms * 1e6) {
            a->phase = PDNS__AIMD_PROBE;
            a->probe_step = pdns__aimd_step(a, a->estimate);
            r = pdns__dmax(r, a->estimate);
        }
        break;
    case PDNS__AIMD_PROBE:
        if (!iv->limited) {
            r = a->rate + a->probe_step;
            if (a->n_edges == a->edge_valid_from) /* capacity rose: accelerate */
                a->probe_step *= 2;
        }
        break;
    }
    return r > a->rate ? pdns__dmin(r, cap) : r;
}

/* The estimate follows a sustained good rate above it (capacity rise). */
static void pdns__aimd_rise(pdns__aimd *a)
{
    double s;

    if (a->estimate <= 0 || a->phase == PDNS__AIMD_SLOW_START)
        return;
    s = pdns__aimd_sustained(a);
    if (a->n_edges == a->edge_valid_from) {
        if (s > a->estimate)
            a->estimate = s;
        return;
    }
    if (s > a->estimate * (1 + a->p.converge_tolerance)) {
        a->edge_valid_from = a->n_edges;
        a->lat_cap = 0;
        a->estimate = s;
        a->converged = 0;
        a->converged_ns = 0;
        if (a->phase != PDNS__AIMD_PROBE) {
            a->phase = PDNS__AIMD_PROBE;
            a->probe_step = pdns__aimd_step(a, s);
        }
    }
}

/* w queries of interval iv were turned away: its delivered rate weighs w more in the
 * share (nothing for an outage, dq 0). */
static void pdns__aimd_share_weigh(pdns__aimd *a, const pdns__aimd_iv *iv, double w)
{
    if (iv->dq > 0 && w > 0) {
        a->share_num += w * iv->dq;
        a->share_den += w;
    }
}

/* The share's bookkeeping for the interval just closed (iv, prev the one before or
 * NULL, dt_s its length): decay the weights, record what the server delivered (iv->dq)
 * and weigh it by the rejections known now (the open interval's late loss, errors, tc).
 * Timeouts reported later add their weight in pdns__aimd_report_late_loss. */
static void pdns__aimd_share_add(pdns__aimd *a, pdns__aimd_iv *iv, const pdns__aimd_iv *prev,
                                 double dt_s)
{
    double decay = exp(-dt_s * 1e3 / PDNS__AIMD_SHARE_TAU_MS);

    a->share_num *= decay;
    a->share_den *= decay;
    iv->dq = pdns__aimd_delivered_qps(iv, prev, dt_s);
    if (iv->dq < PDNS__AIMD_COLLAPSE * iv->sent_qps)
        iv->dq = 0;
    pdns__aimd_share_weigh(a, iv, (double)iv->lost + (double)iv->errors + (double)iv->tc);
}

double pdns__aimd_update(pdns__aimd *a, const pdns__aimd_sample *s, uint64_t now_ns)
{
    pdns__aimd_iv *iv, *src = NULL, *src_prev = NULL;
    pdns__aimd_iv *prev = a->seq > 0 ? &a->iv[(a->seq - 1) % PDNS__AIMD_HIST] : NULL;
    double dt_s, src_dt = 0, r;
    unsigned sig;
    uint64_t back;
    int aside, stall_now = a->open_stall_ns >= (uint64_t)PDNS__AIMD_STALL_MS * 1000000ull;

    if (now_ns <= a->last_ns)
        return a->rate;
    dt_s = (double)(now_ns - a->last_ns) / 1e9;

    iv = &a->iv[a->seq % PDNS__AIMD_HIST];
    memset(iv, 0, sizeof *iv);
    iv->start_ns = a->last_ns;
    iv->end_ns = now_ns;
    iv->sent = s->sent;
    iv->answered = s->answered;
    iv->errors = s->errors;
    iv->tc = s->tc;
    iv->lost = s->lost + a->open_lost;
    a->open_lost = 0;
    iv->rate = a->rate;
    iv->sent_qps = (double)s->sent / dt_s;
    iv->limited = s->limited || iv->sent_qps < a->p.use_fraction * a->rate;

    /* our loop stalled in this interval or the one before: its marks may be the stall's
     * (not when the interval before left signals pending: this one decides them) */
    aside = (stall_now || a->stall_prev) && a->stall_run < PDNS__AIMD_STALL_RUN &&
            !(prev && prev->pend);
    a->stall_prev = stall_now;
    a->open_stall_ns = 0;
    if (!aside)
        pdns__aimd_rtt(a, s, now_ns);
    iv->sig = pdns__aimd_signals(a, iv, prev, s, dt_s * 1e3);
    if (!iv->sig && !iv->lat_high && pdns__aimd_edge_hit(a, iv, 0))
        iv->sig = PDNS__AIMD_SIG_EDGE;
    else if (!iv->sig && pdns__aimd_edge_hit(a, iv, pdns__aimd_unanswered(iv)))
        iv->pend |= PDNS__AIMD_SIG_EDGE;
    /* a pending signal right after one that was not confirmed: no second benefit of the
     * doubt (else a real overload could alternate dip and restore without an edge) */
    if (iv->pend && a->unconfirmed && a->seq - a->unconf_seq <= PDNS__AIMD_PEND_WINDOW) {
        iv->sig |= iv->pend;
        iv->pend = 0;
    }
    /* set aside only when the stall left marks (a signal, a pending one): an interval
     * that looks clean despite it counts as it is (a host that stalls often still ramps) */
    iv->stalled = aside && (iv->sig || iv->pend);
    a->stall_run = iv->stalled ? a->stall_run + 1 : 0;
    a->stalled_intervals += (uint64_t)iv->stalled;
    if (iv->stalled) {
        iv->sig = 0;
        iv->pend = 0;
        iv->limited = 1;  /* no increase either */
        iv->lat_high = 1; /* vouches for no rate */
    } else {
        pdns__aimd_lat_test(a, iv, now_ns);
        pdns__aimd_share_add(a, iv, prev, dt_s);
    }
    sig = iv->sig;
    if (sig) {
        src = iv;
        src_dt = dt_s;
        src_prev = prev;
    } else if (prev && prev->pend) {
        /* the interval before left signals pending: does this one confirm them? */
        pdns__aimd_iv *pv = prev;
        unsigned c = iv->stalled ? 0 : pdns__aimd_confirm(a, pv, iv);
        if (c && a->seq - 1 >= a->react_seq) {
            pv->sig |= c;
            sig = c;
            src = pv;
            src_dt = (double)(pv->end_ns - pv->start_ns) / 1e9;
            src_prev = a->seq > 1 ? &a->iv[(a->seq - 2) % PDNS__AIMD_HIST] : NULL;
        } else if (!iv->stalled && (pv->pend & ~c)) {
            a->unconfirmed++;
            a->unconf_seq = a->seq;
        }
        pv->pend = 0;
    }

    /* Late loss for earlier intervals: the oldest one sent after the last decrease. */
    back = a->seq < PDNS__AIMD_HIST - 1 ? a->seq : PDNS__AIMD_HIST - 1;
    for (uint64_t k = back; k >= 1; k--) {
        uint64_t q = a->seq - k;
        pdns__aimd_iv *old = &a->iv[q % PDNS__AIMD_HIST];
        if (!old->late_new)
            continue;
        old->late_new = 0;
        if (q < a->react_seq || old->stalled ||
            !pdns__aimd_over((double)old->lost, (double)old->sent, a->p.loss_threshold))
            continue;
        old->sig |= PDNS__AIMD_SIG_LATE_LOSS;
        if (!src) {
            src = old;
            src_dt = (double)(old->end_ns - old->start_ns) / 1e9;
            src_prev = k + 1 < PDNS__AIMD_HIST && q > 0 ? &a->iv[(q - 1) % PDNS__AIMD_HIST] : NULL;
            sig = PDNS__AIMD_SIG_LATE_LOSS;
        }
    }

    if (src) {
        double dipped = a->rate;
        int had = a->pend_rate > 0;
        if (had) /* decrease from the rate before the dip ... */
            a->rate = a->pend_rate;
        a->pend_rate = 0;
        r = pdns__aimd_decrease(a, src, src_prev, sig, src_dt, now_ns);
        if (had) /* ... but never above the dip */
            r = pdns__dmin(r, dipped);
        iv->pend = 0; /* one reaction */
    } else if (iv->pend) {
        /* until the next interval confirms or clears them the rate dips as a decrease
         * would cut it (from what the server delivered; hold_fraction x rate for latency),
         * so that a real overload is not prolonged (shards' summed rate rose to 1.11 C
         * with a shallower dip); no edge: an unconfirmed signal restores the rate */
        double dip = a->p.hold_fraction * a->rate;
        if (iv->pend & ~PDNS__AIMD_SIG_LATENCY) {
            double dq = pdns__aimd_delivered_qps(iv, prev, dt_s);
            dip = a->converged
                      ? a->p.hold_fraction * pdns__dmin(a->estimate, pdns__dmin(a->rate, dq))
                      : a->p.decrease_factor * pdns__dmin(a->rate, dq);
        }
        if (!(a->pend_rate > 0))
            a->pend_rate = a->rate;
        r = pdns__dmin(a->rate, dip);
    } else {
        if (a->pend_rate > 0) { /* not confirmed: back to the rate before the dip */
            a->rate = a->pend_rate;
            a->pend_rate = 0;
        }
        r = pdns__aimd_increase(a, iv, now_ns);
        pdns__aimd_rise(a);
    }
    a->rate = pdns__aimd_clamp(a, r);
    a->last_ns = now_ns;
    a->seq++;
    return a->rate;
}

void pdns__aimd_report_stall(pdns__aimd *a, uint64_t ns)
{
    a->open_stall_ns += ns;
}

void pdns__aimd_report_late_loss(pdns__aimd *a, uint64_t sent_ns, uint64_t n)
{
    uint64_t back = a->seq < PDNS__AIMD_HIST - 1 ? a->seq : PDNS__AIMD_HIST - 1;

    if (n == 0)
        return;
    if (sent_ns >= a->last_ns) {
        a->open_lost += n;
        return;
    }
    for (uint64_t k = 1; k <= back; k++) {
        pdns__aimd_iv *iv = &a->iv[(a->seq - k) % PDNS__AIMD_HIST];
        if (sent_ns >= iv->start_ns) {
            iv->lost += n;
            iv->late_new = 1;
            pdns__aimd_share_weigh(a, iv, (double)n);
            return;
        }
    }
    a->stale_lost += n;
}

double pdns__aimd_rate(const pdns__aimd *a)
{
    return a->rate;
}

void pdns__aimd_siblings(pdns__aimd *a, int n)
{
    a->siblings = n;
}

double pdns__aimd_optimal_qps(const pdns__aimd *a)
{
    if (a->siblings > 1 && a->estimate > 0 && a->share_den >= PDNS__AIMD_MIN_EVENTS)
        return pdns__dmin(a->estimate, a->share_num / a->share_den);
    return a->estimate;
}

size_t pdns__aimd_edges(const pdns__aimd *a, double *out, size_t cap)
{
    uint64_t n = a->n_edges < PDNS__AIMD_EDGES ? a->n_edges : PDNS__AIMD_EDGES;
    if (n > cap)
        n = cap;
    for (uint64_t i = 0; i < n; i++)
        out[i] = a->edges[(a->n_edges - n + i) % PDNS__AIMD_EDGES];
    return (size_t)n;
}

uint64_t pdns__aimd_n_edges(const pdns__aimd *a)
{
    return a->n_edges;
}

int pdns__aimd_converged(const pdns__aimd *a, uint64_t *since_ns)
{
    if (since_ns)
        *since_ns = a->converged ? a->converged_ns : 0;
    return a->converged;
}

double pdns__aimd_converged_after_s(const pdns__aimd *a)
{
    if (!a->ever_converged)
        return -1;
    return (double)(a->first_converged_ns - a->start_ns) / 1e9;
}

pdns__aimd_phase pdns__aimd_phase_of(const pdns__aimd *a)
{
    return a->phase;
}

const char *pdns__aimd_phase_name(const pdns__aimd *a)
{
    switch (a->phase) {
    case PDNS__AIMD_SLOW_START:
        return "slow_start";
    case PDNS__AIMD_AVOID:
        return "avoid";
    case PDNS__AIMD_HOLD:
        return "hold";
    case PDNS__AIMD_PROBE:
        return "probe";
    }
    return "unknown";
}

unsigned pdns__aimd_last_signals(const pdns__aimd *a)
{
    return a->last_sig;
}
