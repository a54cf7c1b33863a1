/* pacer.c - per-server token bucket releasing sends evenly in time.
 * SPDX-License-Identifier: MIT
 *
 * IMPLEMENTATION NOTES
 *
 * Units: time in nanoseconds (uint64_t, monotonic, passed in), rate in tokens (sends) per
 * second, burst_s in seconds, tokens as a double so fractional credit is never lost.
 *
 * State is (tokens, last_ns): the bucket held `tokens` at time last_ns. Tokens at a later
 * time t are min(burst, tokens + (t - last_ns) * rate / 1e9), burst = max(1, rate * burst_s).
 * burst_s defaults to 0.005 s: deep enough that a caller polling every 1 ms can keep up
 * with high rates (100 k qps = 100 tokens per ms, bucket 500), shallow enough that an idle
 * server never receives more than 5 ms worth of sends at once; at low rates the bucket is
 * one token, so sends are spaced exactly 1/rate apart.
 *
 * Exactness of wait_ns: when fewer than one token is held, the instant the next token
 * becomes available is a pure function of the state,
 *     next_ns = last_ns + ceil((1 - tokens) * 1e9 / rate),
 * and take()/available() decide "is a token there?" by comparing now_ns with next_ns, not
 * by the floating-point accrual (which may round to 0.9999999 at that very nanosecond).
 * A failed take() leaves the state untouched, so wait_ns(now) = next_ns - now predicts the
 * successful take() to the nanosecond. The state only moves on a successful take, a
 * refund, set_rate and set_burst.
 *
 * A new pacer holds one token: the first send goes at once, then sends follow at 1/rate
 * (starting with a full bucket would front-load up to burst sends). Time going backwards
 * accrues nothing. Rates <= 0 or NaN are raised to PACER_MIN_RATE (one send per 1000 s)
 * so waits stay finite.
 */
#include <limits.h>
#include <math.h>
#include "core/pacer.h"

#define PACER_DEFAULT_BURST_S 0.005
#define PACER_MIN_RATE        1e-3

static double sane_rate(double rate)
{
    return rate >= PACER_MIN_RATE ? rate : PACER_MIN_RATE; /* NaN fails >= */
}

static double burst_tokens(const pdns__pacer *p)
{
    double b = p->rate * p->burst_s;
    return b > 1.0 ? b : 1.0;
}

/* Instant (ns) the next whole token is available; 0 if one is held already. */
static uint64_t next_ns(const pdns__pacer *p)
{
    if (p->tokens >= 1.0)
        return 0;
    double need = ceil((1.0 - p->tokens) * 1e9 / p->rate);
    return p->last_ns + (uint64_t)need;
}

/* Tokens held at now_ns (not stored). At or after next_ns it is at least 1. */
static double tokens_at(const pdns__pacer *p, uint64_t now_ns)
{
    double t = p->tokens;
    if (now_ns > p->last_ns)
        t += (double)(now_ns - p->last_ns) * p->rate / 1e9;
    double b = burst_tokens(p);
    if (t > b)
        t = b;
    if (now_ns >= next_ns(p) && t < 1.0)
        t = 1.0;
    return t;
}

void pdns__pacer_init(pdns__pacer *p, double rate, uint64_t now_ns)
{
    p->rate = sane_rate(rate);
    p->burst_s = PACER_DEFAULT_BURST_S;
    p->tokens = 1.0;
    p->last_ns = now_ns;
}

/* Accrue at the old rate up to now_ns, then switch; the held tokens are clamped to the
 * new burst. */
void pdns__pacer_set_rate(pdns__pacer *p, double rate, uint64_t now_ns)
{
    double t = tokens_at(p, now_ns);
    if (now_ns > p->last_ns)
        p->last_ns = now_ns;
    p->rate = sane_rate(rate);
    double b = burst_tokens(p);
    p->tokens = t > b ? b : t;
}

/* burst_s < 0 or NaN restores the default; 0 means a one-token bucket. */
void pdns__pacer_set_burst(pdns__pacer *p, double burst_s)
{
    p->burst_s = burst_s >= 0.0 ? burst_s : PACER_DEFAULT_BURST_S;
    double b = burst_tokens(p);
    if (p->tokens > b)
        p->tokens = b;
}

/* Succeeds iff now_ns >= next_ns; on success the bucket is advanced to now_ns minus one
 * token. A failure changes nothing. */
int pdns__pacer_take(pdns__pacer *p, uint64_t now_ns)
{
    if (now_ns < next_ns(p))
        return 0;
    double t = tokens_at(p, now_ns);
    if (now_ns > p->last_ns)
        p->last_ns = now_ns;
    p->tokens = t - 1.0;
    return 1;
}

void pdns__pacer_refund(pdns__pacer *p)
{
    double b = burst_tokens(p);
    p->tokens += 1.0;
    if (p->tokens > b)
        p->tokens = b;
}

unsigned pdns__pacer_available(pdns__pacer *p, uint64_t now_ns)
{
    if (now_ns < next_ns(p))
        return 0;
    double t = tokens_at(p, now_ns);
    return t >= (double)UINT_MAX ? UINT_MAX : (unsigned)t;
}

uint64_t pdns__pacer_wait_ns(pdns__pacer *p, uint64_t now_ns)
{
    uint64_t n = next_ns(p);
    return now_ns < n ? n - now_ns : 0;
}
