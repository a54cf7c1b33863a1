/* profile_mirror.h - the shipped profiles' values, for the unit tests.
 * SPDX-License-Identifier: MIT
 * test_profile checks that profiles/polite.json and bench.json load to exactly these;
 * test_aimd simulates servers with them. */
#ifndef PDNS_PROFILE_MIRROR_H
#define PDNS_PROFILE_MIRROR_H

#include "core/aimd.h"

/* profiles/polite.json */
static void params_polite(pdns__aimd_params *p)
{
    pdns__aimd_params_default(p);
    p->start_qps = 10;
    p->min_qps = 2;
    p->max_qps = 500;
    p->max_total_qps = 1000;
    p->increase_fraction = 0.01;
    p->decrease_factor = 0.5;
    p->loss_threshold = 0.01;
    p->error_threshold = 0.02;
    p->tc_threshold = 0.02;
    p->latency_factor = 2;
    p->hold_fraction = 0.9;
    p->probe_period_ms = 5000;
    p->loss_target = 0.005;
}

/* profiles/bench.json */
static void params_bench(pdns__aimd_params *p)
{
    pdns__aimd_params_default(p);
    p->start_qps = 100;
    p->max_qps = 0;
    p->max_total_qps = 0;
    p->increase_qps = 5;
    p->increase_fraction = 0.03;
    p->decrease_factor = 0.8;
    p->loss_threshold = 0.05;
    p->error_threshold = 0.1;
    p->tc_threshold = 0.1;
    p->latency_factor = 5;
    p->hold_fraction = 0.95;
    p->probe_period_ms = 1000;
}

#endif
