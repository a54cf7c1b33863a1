/* hist.h - fixed-memory log-bucketed latency histogram (HDR-style, <= 2 % error).
 * SPDX-License-Identifier: MIT */
#ifndef PDNS_HIST_H
#define PDNS_HIST_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

/* Values are microseconds, 0 .. 2^42 us (~51 days; values above are counted in the top
 * bucket, 0 goes to the first). Sub-buckets per power of two: 64 (relative error
 * <= 1/64 ~ 1.6 %). Fixed array, no malloc. */
#define PDNS__HIST_SUB      64
#define PDNS__HIST_EXP      37
#define PDNS__HIST_NBUCKETS (PDNS__HIST_SUB * PDNS__HIST_EXP)

typedef struct pdns__hist {
    uint64_t count;
    uint64_t sum_us;
    uint64_t min_us, max_us;
    uint64_t buckets[PDNS__HIST_NBUCKETS];
} pdns__hist;

/* Microseconds as milliseconds, rounded to 1 ns (how figures are reported). */
static inline double pdns__us_to_ms(double us)
{
    return round(us) / 1000.0;
}

void pdns__hist_reset(pdns__hist *h);
void pdns__hist_add(pdns__hist *h, uint64_t value_us);
/* Add every count of src into dst. */
void pdns__hist_merge(pdns__hist *dst, const pdns__hist *src);
/* Value (us) at quantile q in [0,1]: the representative (midpoint) value of the bucket
 * holding the ceil(q*count)-th smallest sample, clamped into [min, max]. 0 if empty. */
uint64_t pdns__hist_quantile(const pdns__hist *h, double q);
double pdns__hist_mean(const pdns__hist *h);
/* Iterate non-empty buckets: call fn(lo_us, hi_us, count, ud) in increasing order; a
 * bucket holds the values in [lo_us, hi_us). */
void pdns__hist_foreach(const pdns__hist *h,
                        void (*fn)(uint64_t lo_us, uint64_t hi_us, uint64_t count, void *ud),
                        void *ud);

#endif
