/* test_pacer.c - unit tests of the token-bucket pacer with a scripted clock.
 * SPDX-License-Identifier: MIT */
#include <stdint.h>
#include <stdlib.h>
#include "check.h"
#include "core/pacer.h"

#define MS  UINT64_C(1000000)
#define SEC UINT64_C(1000000000)

/* Take while available at now; returns the number of sends released. */
static unsigned drain(pdns__pacer *p, uint64_t now)
{
    unsigned n = 0;
    while (pdns__pacer_take(p, now))
        n++;
    return n;
}

static void test_100qps_spacing(void)
{
    pdns__pacer p;
    pdns__pacer_init(&p, 100, 0);
    unsigned sends = 0, max_per_ms = 0;
    int spacing_ok = 1;
    uint64_t last = 0;
    for (uint64_t t = 0; t < 10 * SEC; t += MS) {
        unsigned n = drain(&p, t);
        if (n > max_per_ms)
            max_per_ms = n;
        if (n) {
            if (sends > 0) {
                uint64_t gap = t - last;
                if (gap < 9 * MS || gap > 11 * MS)
                    spacing_ok = 0;
            }
            last = t;
        }
        sends += n;
    }
    CHECK(sends >= 999 && sends <= 1001);
    CHECK(spacing_ok);
    CHECK(max_per_ms == 1);
}

static void test_1000qps_windows(void)
{
    pdns__pacer p;
    pdns__pacer_init(&p, 1000, 0);
    unsigned win[10] = {0};
    for (uint64_t t = 0; t < SEC; t += MS)
        win[t / (100 * MS)] += drain(&p, t);
    for (int i = 0; i < 10; i++)
        CHECK(win[i] >= 99 && win[i] <= 101);
}

static void test_100k_qps(void)
{
    pdns__pacer p;
    pdns__pacer_init(&p, 100000, 0);
    unsigned win[100] = {0};
    unsigned total = 0;
    for (uint64_t t = 0; t < SEC; t += MS) {
        unsigned n = drain(&p, t);
        win[t / (10 * MS)] += n;
        total += n;
    }
    /* window 0 starts with the single initial token: 1 + 9 polls x 100 */
    CHECK(win[0] == 901);
    int ok = 1;
    for (int i = 1; i < 100; i++)
        if (win[i] < 950 || win[i] > 1050)
            ok = 0;
    CHECK(ok);
    CHECK(total >= 99900 && total <= 100100);

    /* a coarse 1 ms poll still gets the full rate: the bucket (500) covers 100 per ms */
    pdns__pacer_init(&p, 100000, 0);
    total = 0;
    for (uint64_t t = 0; t < SEC; t += 3 * MS)
        total += drain(&p, t);
    CHECK(total >= 99000 && total <= 100100);
}

static void test_idle_burst(void)
{
    static const double rates[] = {1, 100, 1000, 100000, 1e6};
    for (size_t i = 0; i < sizeof rates / sizeof rates[0]; i++) {
        pdns__pacer p;
        pdns__pacer_init(&p, rates[i], 0);
        for (uint64_t t = 0; t < 100 * MS; t += MS)
            drain(&p, t);
        uint64_t later = 10 * SEC + 100 * MS;
        double burst = rates[i] * 0.005 > 1 ? rates[i] * 0.005 : 1;
        unsigned avail = pdns__pacer_available(&p, later);
        CHECK(avail >= 1 && avail <= (unsigned)burst);
        unsigned n = drain(&p, later);
        CHECK(n >= 1 && n <= (unsigned)burst);
        CHECK(n == avail);
        CHECK(pdns__pacer_available(&p, later) == 0);
    }

    /* a smaller burst via set_burst; 0 means one token */
    pdns__pacer p;
    pdns__pacer_init(&p, 100000, 0);
    pdns__pacer_set_burst(&p, 0.001);
    CHECK(drain(&p, 10 * SEC) == 100);
    pdns__pacer_set_burst(&p, 0);
    CHECK(drain(&p, 20 * SEC) == 1);
    pdns__pacer_set_burst(&p, -1); /* back to the default */
    CHECK(drain(&p, 30 * SEC) == 500);
}

static void test_set_rate(void)
{
    pdns__pacer p;
    pdns__pacer_init(&p, 100, 0);
    unsigned before = 0, after = 0;
    for (uint64_t t = 0; t < 6 * SEC; t += MS) {
        if (t == 5 * SEC)
            pdns__pacer_set_rate(&p, 1000, t);
        unsigned n = drain(&p, t);
        if (t >= 4 * SEC && t < 5 * SEC)
            before += n;
        else if (t >= 5 * SEC)
            after += n;
    }
    CHECK(before >= 99 && before <= 101);
    CHECK(after >= 990 && after <= 1010);

    /* takes effect at once: right after the switch the wait is 1 ms, not 10 ms */
    pdns__pacer_init(&p, 100, 0);
    CHECK(pdns__pacer_take(&p, 0));
    CHECK(pdns__pacer_wait_ns(&p, 0) == 10 * MS);
    pdns__pacer_set_rate(&p, 1000, 0);
    CHECK(pdns__pacer_wait_ns(&p, 0) == MS);
    /* and down again: tokens accrued at the old rate are kept */
    CHECK(pdns__pacer_take(&p, MS));
    pdns__pacer_set_rate(&p, 1000, MS + MS / 2); /* half a token accrued */
    pdns__pacer_set_rate(&p, 10, MS + MS / 2);
    CHECK(pdns__pacer_wait_ns(&p, MS + MS / 2) == 50 * MS);

    /* lowering the rate clamps held tokens to the new burst */
    pdns__pacer_init(&p, 100000, 0);
    pdns__pacer_set_rate(&p, 100000, SEC); /* 500 tokens held */
    CHECK(pdns__pacer_available(&p, SEC) == 500);
    pdns__pacer_set_rate(&p, 1000, SEC);
    CHECK(pdns__pacer_available(&p, SEC) == 5);
}

static void test_refund(void)
{
    pdns__pacer p;
    pdns__pacer_init(&p, 10, 0);
    CHECK(pdns__pacer_available(&p, 0) == 1);
    CHECK(pdns__pacer_take(&p, 0));
    CHECK(!pdns__pacer_take(&p, 0));
    CHECK(pdns__pacer_available(&p, 0) == 0);
    pdns__pacer_refund(&p);
    CHECK(pdns__pacer_available(&p, 0) == 1);
    CHECK(pdns__pacer_wait_ns(&p, 0) == 0);
    CHECK(pdns__pacer_take(&p, 0));
    CHECK(!pdns__pacer_take(&p, 0));
    /* refunds never overfill the bucket */
    pdns__pacer_refund(&p);
    pdns__pacer_refund(&p);
    pdns__pacer_refund(&p);
    CHECK(pdns__pacer_available(&p, 0) == 1);
}

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ULL;
}

/* wait_ns is exact: take fails 1 ns before now+wait and succeeds at now+wait. */
static void test_wait_exact(void)
{
    static const double rates[] = {0.5, 1, 3, 7, 100, 333.3, 1000, 12345.678, 100000, 3e6};
    uint64_t rng = 12345;
    int fails = 0, checked = 0;
    for (size_t i = 0; i < sizeof rates / sizeof rates[0]; i++) {
        pdns__pacer p;
        uint64_t now = rng_next(&rng) % SEC;
        pdns__pacer_init(&p, rates[i], now);
        for (int k = 0; k < 2000; k++) {
            now += rng_next(&rng) % (2 * SEC / (uint64_t)(rates[i] + 1) + 1);
            if (rng_next(&rng) % 50 == 0)
                pdns__pacer_set_rate(&p, rates[i] * (0.5 + (double)(k % 3)), now);
            drain(&p, now);
            uint64_t w = pdns__pacer_wait_ns(&p, now);
            if (w == 0) {
                fails++;
                continue;
            }
            pdns__pacer early = p, exact = p;
            checked++;
            if (pdns__pacer_take(&early, now + w - 1))
                fails++;
            if (pdns__pacer_available(&early, now + w - 1) != 0)
                fails++;
            if (pdns__pacer_wait_ns(&early, now + w - 1) != 1)
                fails++;
            /* the failed take changed nothing */
            if (!pdns__pacer_take(&early, now + w))
                fails++;
            if (!pdns__pacer_take(&exact, now + w))
                fails++;
            if (pdns__pacer_available(&p, now + w) < 1)
                fails++;
            /* and taking at an arbitrary later time agrees with wait_ns too */
            uint64_t at = now + rng_next(&rng) % (2 * w);
            pdns__pacer later = p;
            if (pdns__pacer_take(&later, at) != (at >= now + w))
                fails++;
        }
    }
    CHECK(fails == 0);
    CHECK(checked > 10000);
}

static void test_misc(void)
{
    pdns__pacer p;
    /* non-positive rates are raised to a tiny rate: finite wait, no division by zero */
    pdns__pacer_init(&p, 0, 0);
    CHECK(pdns__pacer_take(&p, 0));
    uint64_t w = pdns__pacer_wait_ns(&p, 0);
    CHECK(w > 0 && w < UINT64_MAX / 2);
    pdns__pacer_init(&p, -5, 0);
    CHECK(p.rate > 0);

    /* a clock going backwards accrues nothing and does not move last_ns back */
    pdns__pacer_init(&p, 100, SEC);
    CHECK(pdns__pacer_take(&p, SEC));
    CHECK(!pdns__pacer_take(&p, SEC - 5 * MS));
    CHECK(pdns__pacer_wait_ns(&p, SEC - 5 * MS) == 15 * MS);
    CHECK(pdns__pacer_take(&p, SEC + 10 * MS));

    /* long run: average rate is exact, no drift from rounding */
    pdns__pacer_init(&p, 333.3, 0);
    unsigned n = 0;
    for (uint64_t t = 0; t < 100 * SEC; t += MS / 4)
        n += drain(&p, t);
    CHECK(n >= 33330 && n <= 33331);
}

int main(void)
{
    test_100qps_spacing();
    test_1000qps_windows();
    test_100k_qps();
    test_idle_burst();
    test_set_rate();
    test_refund();
    test_wait_exact();
    test_misc();
    return CHECK_DONE();
}
