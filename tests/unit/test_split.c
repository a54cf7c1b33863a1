/* test_split.c - one engine's share of the limits (core/split.c).
 * SPDX-License-Identifier: MIT */
#include <math.h>
#include <string.h>

#include "check.h"
#include "core/split.h"

int main(void)
{
    pdns_options o, s;
    pdns__aimd_params p, q;
    memset(&o, 0, sizeof o); /* pdns_options_init's defaults that matter here */
    o.timeout_ms = 2000;
    o.retries = 3;
    pdns__aimd_params_default(&p);

    CHECK(pdns__default_inflight(&o) == 1000); /* the controller */
    o.qps = 300;
    CHECK(pdns__default_inflight(&o) == 100);
    o.max_inflight = 7;
    CHECK(pdns__default_inflight(&o) == 7);

    /* one engine: everything as configured */
    pdns__split_share(&o, &p, 1, 0, &s, &q);
    CHECK(s.qps == 300 && s.max_inflight == 7 && q.start_qps == p.start_qps);

    /* three engines: rates divided, the in-flight cap split exactly (3 + 2 + 2 = 7) */
    o.max_total_qps = 900;
    unsigned sum = 0;
    for (unsigned i = 0; i < 3; i++) {
        pdns__split_share(&o, &p, 3, i, &s, &q);
        CHECK(s.qps == 100 && s.max_total_qps == 300 && s.threads == 1);
        CHECK(s.max_inflight == (i == 0 ? 3u : 2u));
        CHECK(q.start_qps == p.start_qps / 3 && q.min_qps == p.min_qps / 3);
        CHECK(q.max_qps == p.max_qps / 3 && q.increase_qps == p.increase_qps / 3);
        CHECK(q.max_total_qps == p.max_total_qps / 3);
        CHECK(q.hold_fraction == p.hold_fraction); /* fractions are not rates */
        sum += s.max_inflight;
    }
    CHECK(sum == 7);
    /* the controller's default cap (1000) over 3: 334 + 333 + 333 */
    o.max_inflight = 0;
    o.qps = 0;
    sum = 0;
    for (unsigned i = 0; i < 3; i++) {
        pdns__split_share(&o, &p, 3, i, &s, &q);
        sum += s.max_inflight;
        CHECK(s.qps == 0 && s.max_inflight >= 333);
    }
    CHECK(sum == 1000);

    /* shards: the same division one level up, the thread count kept, and each shard's
     * in-flight share at least its thread count (each thread needs a slot) */
    o.qps = 0;
    o.max_total_qps = 3000;
    o.threads = 2;
    o.max_inflight = 0;
    sum = 0;
    for (unsigned i = 0; i < 3; i++) {
        pdns__split_shard(&o, &p, 3, i, &s, &q);
        CHECK(s.threads == 2 && s.max_total_qps == 1000);
        CHECK(q.start_qps == p.start_qps / 3 && q.max_qps == p.max_qps / 3);
        sum += s.max_inflight;
        /* then the shard's pool splits its share again: 1/6 of every rate */
        pdns_options t;
        pdns__aimd_params u;
        pdns__split_share(&s, &q, 2, 1, &t, &u);
        CHECK(fabs(u.start_qps - p.start_qps / 6) < 1e-9 && t.max_total_qps == 500);
    }
    CHECK(sum == 1000);
    o.max_inflight = 4; /* 4 over 3 shards of 2 threads: 2 + 2 + 2 (raised to the threads) */
    for (unsigned i = 0; i < 3; i++) {
        pdns__split_shard(&o, &p, 3, i, &s, &q);
        CHECK(s.max_inflight == 2);
    }
    o.threads = 1;
    pdns__split_shard(&o, &p, 1, 0, &s, &q); /* one shard: unchanged */
    CHECK(s.max_inflight == 4 && s.max_total_qps == 3000 && q.start_qps == p.start_qps);
    return CHECK_DONE();
}
