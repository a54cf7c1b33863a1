/* test_hist.c - unit tests of the log-bucketed latency histogram.
 * SPDX-License-Identifier: MIT */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "core/hist.h"

#define N_MAX 100000

static uint64_t rng_next(uint64_t *s)
{
    /* xorshift64* */
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ULL;
}

static double rng_unit(uint64_t *s)
{
    return ((double)(rng_next(s) >> 11) + 0.5) / 9007199254740992.0; /* (0,1) */
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static int within(double got, double want, double rel)
{
    if (want == 0.0)
        return got == 0.0;
    return fabs(got - want) <= rel * fabs(want);
}

/* Exact quantile with the histogram's rank rule: the ceil(q*n)-th smallest sample. */
static uint64_t exact_q(const uint64_t *sorted, size_t n, double q)
{
    size_t rank = (size_t)ceil(q * (double)n - 1e-9);
    if (rank < 1)
        rank = 1;
    if (rank > n)
        rank = n;
    return sorted[rank - 1];
}

/* Feed data into a histogram and compare every statistic against the exact values. */
static void check_dataset(const char *name, uint64_t *data, size_t n)
{
    pdns__hist h;
    pdns__hist_reset(&h);
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        pdns__hist_add(&h, data[i]);
        sum += (double)data[i];
    }
    qsort(data, n, sizeof *data, cmp_u64);
    static const double qs[] = {0.5, 0.9, 0.99, 0.999};
    CHECK(h.count == n);
    for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++) {
        uint64_t got = pdns__hist_quantile(&h, qs[i]);
        uint64_t want = exact_q(data, n, qs[i]);
        if (!within((double)got, (double)want, 0.02))
            fprintf(stderr, "%s: q%.3f got %llu want %llu\n", name, qs[i], (unsigned long long)got,
                    (unsigned long long)want);
        CHECK(within((double)got, (double)want, 0.02));
    }
    CHECK(h.min_us == data[0]);
    CHECK(h.max_us == data[n - 1]);
    CHECK(within((double)pdns__hist_quantile(&h, 0.0), (double)data[0], 0.02));
    CHECK(within((double)pdns__hist_quantile(&h, 1.0), (double)data[n - 1], 0.02));
    CHECK(pdns__hist_quantile(&h, 0.0) >= data[0]);
    CHECK(pdns__hist_quantile(&h, 1.0) <= data[n - 1]);
    CHECK(within(pdns__hist_mean(&h), sum / (double)n, 1e-9));
}

static void test_datasets(uint64_t *data)
{
    uint64_t rng = 0x9e3779b97f4a7c15ULL;

    /* uniform 1..100000 us, shuffled */
    for (size_t i = 0; i < N_MAX; i++)
        data[i] = i + 1;
    for (size_t i = N_MAX - 1; i > 0; i--) {
        size_t j = (size_t)(rng_next(&rng) % (i + 1));
        uint64_t t = data[i];
        data[i] = data[j];
        data[j] = t;
    }
    check_dataset("uniform", data, N_MAX);

    /* exponential-ish: 300 us floor + exp(mean 5 ms) */
    for (size_t i = 0; i < N_MAX; i++)
        data[i] = 300 + (uint64_t)(-5000.0 * log(rng_unit(&rng)));
    check_dataset("exponential", data, N_MAX);

    /* constant */
    for (size_t i = 0; i < 1000; i++)
        data[i] = 1234;
    check_dataset("constant", data, 1000);
    for (size_t i = 0; i < 10; i++)
        data[i] = 7;
    check_dataset("constant-small", data, 10);

    /* two spikes: 95 % around 200 us, 5 % around 50 ms */
    for (size_t i = 0; i < N_MAX; i++)
        data[i] = (i % 20 == 0 ? 50000 : 200) + rng_next(&rng) % 5;
    check_dataset("spikes", data, N_MAX);

    /* heavy tail up to tens of seconds */
    for (size_t i = 0; i < N_MAX; i++)
        data[i] = 1 + (uint64_t)(100.0 / pow(rng_unit(&rng), 1.5));
    check_dataset("pareto", data, N_MAX);
}

/* The midpoint of the bucket of any value is within 1/128 of it (checked via a histogram
 * {0, v, huge} whose median is v's bucket midpoint, unaffected by clamping). */
static void test_bucket_error(void)
{
    pdns__hist h;
    int bad = 0;
    double worst = 0;
    for (uint64_t v = 1; v < ((uint64_t)1 << 41); v = v < 4096 ? v + 1 : v + v / 997 + 1) {
        pdns__hist_reset(&h);
        pdns__hist_add(&h, 0);
        pdns__hist_add(&h, v);
        pdns__hist_add(&h, (uint64_t)1 << 50);
        double got = (double)pdns__hist_quantile(&h, 0.5);
        double err = fabs(got - (double)v) / (double)v;
        if (err > worst)
            worst = err;
        if (err > 1.0 / 128 + 1e-12)
            bad++;
        if (v < 128 && got != (double)v)
            bad++;
    }
    CHECK(bad == 0);
    CHECK(worst > 0.0 && worst <= 1.0 / 128 + 1e-12);
}

struct fe_state {
    uint64_t prev_hi;
    uint64_t total;
    int calls, order_ok, nonempty_ok;
    uint64_t lo[8], hi[8];
};

static void fe_cb(uint64_t lo, uint64_t hi, uint64_t count, void *ud)
{
    struct fe_state *st = ud;
    if (lo >= hi || (st->calls > 0 && lo < st->prev_hi))
        st->order_ok = 0;
    if (count == 0)
        st->nonempty_ok = 0;
    if (st->calls < 8) {
        st->lo[st->calls] = lo;
        st->hi[st->calls] = hi;
    }
    st->prev_hi = hi;
    st->total += count;
    st->calls++;
}

static void test_foreach(uint64_t *data)
{
    pdns__hist h;
    pdns__hist_reset(&h);
    uint64_t rng = 42;
    for (size_t i = 0; i < N_MAX; i++) {
        data[i] = rng_next(&rng) >> (rng_next(&rng) % 60 + 4);
        pdns__hist_add(&h, data[i]);
    }
    struct fe_state st = {0, 0, 0, 1, 1, {0}, {0}};
    pdns__hist_foreach(&h, fe_cb, &st);
    CHECK(st.order_ok);
    CHECK(st.nonempty_ok);
    CHECK(st.total == h.count);
    CHECK(st.calls > 100);

    /* each value lies in [lo, hi) of the one bucket reported for it (below the top) */
    static const uint64_t vals[] = {
        0,    1,       63,        64,           65,   127,  128,  129,
        1000, 1000000, 123456789, (1ULL << 41), 4095, 4096, 4097, (1ULL << 42) - 1};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        pdns__hist_reset(&h);
        pdns__hist_add(&h, vals[i]);
        struct fe_state one = {0, 0, 0, 1, 1, {0}, {0}};
        pdns__hist_foreach(&h, fe_cb, &one);
        CHECK(one.calls == 1 && one.total == 1);
        CHECK(one.lo[0] <= vals[i] && vals[i] < one.hi[0]);
        CHECK(one.hi[0] - one.lo[0] <= (one.lo[0] / 64 > 1 ? one.lo[0] / 64 : 1));
    }

    /* values above the range go to the top bucket; min/max/mean stay exact */
    pdns__hist_reset(&h);
    pdns__hist_add(&h, UINT64_C(1) << 50);
    pdns__hist_add(&h, UINT64_C(1) << 60);
    struct fe_state top = {0, 0, 0, 1, 1, {0}, {0}};
    pdns__hist_foreach(&h, fe_cb, &top);
    CHECK(top.calls == 1 && top.total == 2);
    CHECK(top.hi[0] == (UINT64_C(1) << 42));
    CHECK(h.min_us == (UINT64_C(1) << 50) && h.max_us == (UINT64_C(1) << 60));
    CHECK(pdns__hist_quantile(&h, 0.5) == (UINT64_C(1) << 50)); /* clamped to min */
}

static void test_merge(uint64_t *data)
{
    pdns__hist a, b, u, m;
    pdns__hist_reset(&a);
    pdns__hist_reset(&b);
    pdns__hist_reset(&u);
    uint64_t rng = 7;
    for (size_t i = 0; i < N_MAX; i++) {
        data[i] = 50 + (uint64_t)(-20000.0 * log(rng_unit(&rng)));
        pdns__hist_add(i % 3 ? &a : &b, data[i]);
        pdns__hist_add(&u, data[i]);
    }
    m = a;
    pdns__hist_merge(&m, &b);
    CHECK(memcmp(&m, &u, sizeof m) == 0);
    m = b;
    pdns__hist_merge(&m, &a);
    CHECK(memcmp(&m, &u, sizeof m) == 0);

    /* merging with an empty histogram, either way round */
    pdns__hist e;
    pdns__hist_reset(&e);
    m = a;
    pdns__hist_merge(&m, &e);
    CHECK(memcmp(&m, &a, sizeof m) == 0);
    m = e;
    pdns__hist_merge(&m, &a);
    CHECK(memcmp(&m, &a, sizeof m) == 0);
}

static void fe_count(uint64_t lo, uint64_t hi, uint64_t count, void *ud)
{
    (void)lo, (void)hi, (void)count;
    ++*(int *)ud;
}

static void test_empty(void)
{
    pdns__hist h;
    memset(&h, 0xab, sizeof h);
    pdns__hist_reset(&h);
    CHECK(h.count == 0);
    CHECK(pdns__hist_quantile(&h, 0.0) == 0);
    CHECK(pdns__hist_quantile(&h, 0.5) == 0);
    CHECK(pdns__hist_quantile(&h, 1.0) == 0);
    CHECK(pdns__hist_mean(&h) == 0.0);
    CHECK(h.min_us == 0 && h.max_us == 0);
    int fe_calls = 0;
    pdns__hist_foreach(&h, fe_count, &fe_calls);
    CHECK(fe_calls == 0);

    /* a single zero, out-of-range q */
    pdns__hist_add(&h, 0);
    CHECK(pdns__hist_quantile(&h, 0.5) == 0);
    CHECK(pdns__hist_quantile(&h, -1.0) == 0);
    CHECK(pdns__hist_quantile(&h, 2.0) == 0);
    CHECK(pdns__hist_quantile(&h, NAN) == 0);
}

static void fe_sum(uint64_t lo, uint64_t hi, uint64_t count, void *ud)
{
    (void)lo;
    (void)hi;
    *(uint64_t *)ud += count;
}

/* Merging histograms whose buckets each hold 3 G samples: 6 G in one bucket must not
 * wrap (buckets used to be 32-bit). White-box: the counts are set directly. */
static void test_big_counts(void)
{
    pdns__hist a, b;
    pdns__hist_reset(&a);
    pdns__hist_add(&a, 1000);
    for (size_t k = 0; k < PDNS__HIST_NBUCKETS; k++)
        if (a.buckets[k]) {
            a.buckets[k] = 3000000000u;
            a.count = 3000000000u;
        }
    pdns__hist_reset(&b);
    pdns__hist_merge(&b, &a);
    pdns__hist_merge(&b, &a);
    CHECK(b.count == 6000000000ull);
    uint64_t total = 0;
    pdns__hist_foreach(&b, fe_sum, &total);
    CHECK(total == 6000000000ull);
    uint64_t q = pdns__hist_quantile(&b, 0.99);
    CHECK(q >= 990 && q <= 1010);
}

int main(void)
{
    uint64_t *data = malloc(N_MAX * sizeof *data);
    if (!data)
        return 1;
    test_datasets(data);
    test_bucket_error();
    test_foreach(data);
    test_merge(data);
    test_empty();
    test_big_counts();
    free(data);
    return CHECK_DONE();
}
