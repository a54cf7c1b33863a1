/* pacer.h - per-server token bucket releasing sends evenly in time.
 * SPDX-License-Identifier: MIT */
#ifndef PDNS_PACER_H
#define PDNS_PACER_H

#include <stdint.h>

/* Pure: time is passed in as now_ns (monotonic nanoseconds); no clock reads, no malloc.
 * Tokens accrue continuously at `rate` per second; the bucket holds at most `burst`
 * tokens (burst = max(1, rate * burst_s), burst_s default 0.005 s), so an idle server
 * never gets a second's worth of sends at once. */
typedef struct pdns__pacer {
    double rate;    /* tokens per second, > 0 */
    double burst_s; /* bucket depth expressed in seconds of rate */
    double tokens;  /* current tokens (may be fractional) */
    uint64_t last_ns;
} pdns__pacer;

void pdns__pacer_init(pdns__pacer *p, double rate, uint64_t now_ns);
/* Change the rate at once: tokens accrued so far at the old rate are kept (clamped to
 * the new burst); from now_ns on they accrue at the new rate. */
void pdns__pacer_set_rate(pdns__pacer *p, double rate, uint64_t now_ns);
void pdns__pacer_set_burst(pdns__pacer *p, double burst_s);
/* Take one token if available; returns 1 when a send may go now, else 0. */
int pdns__pacer_take(pdns__pacer *p, uint64_t now_ns);
/* Give a token back (a taken send that could not go out). */
void pdns__pacer_refund(pdns__pacer *p);
/* Whole tokens available at now_ns (without taking). */
unsigned pdns__pacer_available(pdns__pacer *p, uint64_t now_ns);
/* Nanoseconds from now_ns until the next token is available (0 if one is). */
uint64_t pdns__pacer_wait_ns(pdns__pacer *p, uint64_t now_ns);

#endif
