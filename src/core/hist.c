/* hist.c - fixed-memory log-bucketed latency histogram (HDR-style, <= 2 % error).
 * SPDX-License-Identifier: MIT
 *
 * IMPLEMENTATION NOTES
 *
 * Units: every value is an integer number of microseconds.
 *
 * Layout (HdrHistogram with 64 sub-buckets, no malloc): the PDNS__HIST_NBUCKETS =
 * 64 * 37 counters are split in 37 groups of 64.
 *  - group 0 holds the values 0..63 exactly, one bucket per value (width 1);
 *  - group g >= 1 holds [2^(g+5), 2^(g+6)) split in 64 equal buckets of width 2^(g-1).
 * For v >= 64 with e = floor(log2 v) the index is (e - 5) * 64 + (v >> (e - 6)) - 64, which
 * for e = 6 equals v: the index is continuous from group 0 to group 1 and monotonic in v.
 * The top group (g = 36) ends at 2^42 us (~51 days); larger values are counted in the last
 * bucket (their exact value still feeds min/max/sum).
 *
 * Error bound: a bucket's width is at most 1/64 of its lower edge, and a quantile reports
 * the bucket midpoint lo + width/2, so the reported value is within 1/128 (~0.8 %) of any
 * value in the bucket (exact for values < 128). Clamping into [min, max] only moves it
 * closer to the true sample. This is well inside the 2 % contract.
 *
 * min/max are 0 while the histogram is empty (count == 0 means "no data"); the first add
 * sets both. Counters are uint64_t, per bucket too: a long run, or the merge of many
 * threads' or shards' histograms, may put more than 4 G samples in one bucket.
 */
#include <math.h>
#include "core/hist.h"

#define SUB_BITS 6 /* log2(PDNS__HIST_SUB) */

_Static_assert(PDNS__HIST_SUB == (1 << SUB_BITS), "PDNS__HIST_SUB must be 2^SUB_BITS");

static unsigned ilog2_u64(uint64_t v)
{
    return 63u - (unsigned)__builtin_clzll(v);
}

/* Bucket index of value v (us); values past the top group map to the last bucket. */
static size_t bucket_of(uint64_t v)
{
    if (v < PDNS__HIST_SUB)
        return (size_t)v;
    unsigned e = ilog2_u64(v);
    size_t idx = (size_t)(e - (SUB_BITS - 1)) * PDNS__HIST_SUB +
                 (size_t)((v >> (e - SUB_BITS)) - PDNS__HIST_SUB);
    return idx < PDNS__HIST_NBUCKETS ? idx : PDNS__HIST_NBUCKETS - 1;
}

/* Bounds [lo, hi) in us of bucket idx. */
static void bucket_bounds(size_t idx, uint64_t *lo, uint64_t *hi)
{
    size_t g = idx / PDNS__HIST_SUB, s = idx % PDNS__HIST_SUB;
    if (g == 0) {
        *lo = s;
        *hi = s + 1;
        return;
    }
    *lo = (uint64_t)(PDNS__HIST_SUB + s) << (g - 1);
    *hi = *lo + ((uint64_t)1 << (g - 1));
}

void pdns__hist_reset(pdns__hist *h)
{
    h->count = 0;
    h->sum_us = 0;
    h->min_us = 0;
    h->max_us = 0;
    for (size_t i = 0; i < PDNS__HIST_NBUCKETS; i++)
        h->buckets[i] = 0;
}

void pdns__hist_add(pdns__hist *h, uint64_t value_us)
{
    if (h->count == 0) {
        h->min_us = h->max_us = value_us;
    } else {
        if (value_us < h->min_us)
            h->min_us = value_us;
        if (value_us > h->max_us)
            h->max_us = value_us;
    }
    h->count++;
    h->sum_us += value_us;
    h->buckets[bucket_of(value_us)]++;
}

void pdns__hist_merge(pdns__hist *dst, const pdns__hist *src)
{
    if (src->count == 0)
        return;
    if (dst->count == 0) {
        dst->min_us = src->min_us;
        dst->max_us = src->max_us;
    } else {
        if (src->min_us < dst->min_us)
            dst->min_us = src->min_us;
        if (src->max_us > dst->max_us)
            dst->max_us = src->max_us;
    }
    dst->count += src->count;
    dst->sum_us += src->sum_us;
    for (size_t i = 0; i < PDNS__HIST_NBUCKETS; i++)
        dst->buckets[i] += src->buckets[i];
}

/* Rank r = ceil(q * count) (at least 1, at most count); walk the buckets to the one holding
 * the r-th smallest sample and return its midpoint clamped into [min, max]. */
uint64_t pdns__hist_quantile(const pdns__hist *h, double q)
{
    if (h->count == 0)
        return 0;
    if (!(q > 0.0)) /* also NaN */
        q = 0.0;
    if (q > 1.0)
        q = 1.0;
    double r = q * (double)h->count;
    /* tolerate the rounding of q * count (0.999 * 100000 = 99900.00000000001) */
    uint64_t rank = (uint64_t)ceil(r - r * 1e-12);
    if (rank < 1)
        rank = 1;
    if (rank > h->count)
        rank = h->count;

    uint64_t seen = 0;
    size_t idx = 0;
    for (; idx < PDNS__HIST_NBUCKETS; idx++) {
        seen += h->buckets[idx];
        if (seen >= rank)
            break;
    }
    if (idx == PDNS__HIST_NBUCKETS) /* buckets inconsistent with count: be safe */
        return h->max_us;
    uint64_t lo, hi;
    bucket_bounds(idx, &lo, &hi);
    uint64_t mid = lo + (hi - lo) / 2;
    if (mid < h->min_us)
        mid = h->min_us;
    if (mid > h->max_us)
        mid = h->max_us;
    return mid;
}

double pdns__hist_mean(const pdns__hist *h)
{
    return h->count ? (double)h->sum_us / (double)h->count : 0.0;
}

void pdns__hist_foreach(const pdns__hist *h,
                        void (*fn)(uint64_t lo_us, uint64_t hi_us, uint64_t count, void *ud),
                        void *ud)
{
    for (size_t i = 0; i < PDNS__HIST_NBUCKETS; i++) {
        if (!h->buckets[i])
            continue;
        uint64_t lo, hi;
        bucket_bounds(i, &lo, &hi);
        fn(lo, hi, h->buckets[i], ud);
    }
}
