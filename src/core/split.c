/* split.c - one engine's share of the configured limits (pure; see split.h).
 * SPDX-License-Identifier: MIT */
#include "core/split.h"

unsigned pdns__default_inflight(const pdns_options *opt)
{
    return opt->max_inflight ? opt->max_inflight : opt->qps > 0 ? 100 : 1000;
}

void pdns__split_share(const pdns_options *opt, const pdns__aimd_params *prof, unsigned n,
                       unsigned i, pdns_options *o, pdns__aimd_params *q)
{
    unsigned inflight = pdns__default_inflight(opt);
    *o = *opt;
    *q = *prof;
    if (n <= 1)
        return;
    o->threads = 1;
    o->qps = opt->qps > 0 ? opt->qps / n : 0;
    o->max_total_qps = opt->max_total_qps > 0 ? opt->max_total_qps / n : 0;
    o->max_inflight = inflight / n + (i < inflight % n ? 1 : 0);
    if (o->max_inflight == 0)
        o->max_inflight = 1;
    q->start_qps /= n;
    q->min_qps /= n;
    q->max_qps /= n;
    q->max_total_qps /= n;
    q->increase_qps /= n;
}

void pdns__split_shard(const pdns_options *opt, const pdns__aimd_params *prof, unsigned n,
                       unsigned i, pdns_options *o, pdns__aimd_params *q)
{
    pdns__split_share(opt, prof, n, i, o, q);
    o->threads = opt->threads;
    if (n > 1 && opt->threads > 1 && o->max_inflight < opt->threads)
        o->max_inflight = opt->threads;
}
