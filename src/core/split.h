/* split.h - one engine's share of the configured limits when N engines run (pure).
 * SPDX-License-Identifier: MIT */
#ifndef PDNS_CORE_SPLIT_H
#define PDNS_CORE_SPLIT_H

#include "core/aimd.h"
#include "pacedns.h"

/* The in-flight cap per server when the options give none: 100 with a fixed rate, 1000
 * with the controller (whose drops would otherwise hold every slot for a timeout). */
unsigned pdns__default_inflight(const pdns_options *opt);

/* Engine i of n: every rate limit divided by n (fixed qps, max_total_qps and the
 * profile's start/min/max/max_total/increase rates), so that the engines together offer
 * what one would; the in-flight cap split exactly (the shares add up to it, the first
 * cap % n engines take one more; each gets at least 1). */
void pdns__split_share(const pdns_options *opt, const pdns__aimd_params *prof, unsigned n,
                       unsigned i, pdns_options *o_out, pdns__aimd_params *prof_out);

/* Shard i of n processes: the same division as pdns__split_share (one level up: each
 * shard's pool then splits its share over its threads), keeping opt->threads; the
 * in-flight share is at least the thread count so each thread keeps one slot. */
void pdns__split_shard(const pdns_options *opt, const pdns__aimd_params *prof, unsigned n,
                       unsigned i, pdns_options *o_out, pdns__aimd_params *prof_out);

#endif
