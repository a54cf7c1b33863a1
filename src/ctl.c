/* ctl.c - controller glue: drives each server's pacer rate (fixed, or AIMD).
 * SPDX-License-Identifier: MIT */
#include <stdlib.h>

#include "runner.h"

struct pdns__ctl {
    double fixed_qps;
};

pdns_status pdns__ctl_init(pdns_runner *r, const pdns_options *opt)
{
    if (!(r->ctl = calloc(1, sizeof *r->ctl)))
        return PDNS_ERR_NOMEM;
    r->ctl->fixed_qps = opt->qps > 0 ? opt->qps : 100.0;
    return PDNS_OK;
}

pdns_status pdns__ctl_start(pdns_runner *r, uint64_t now_ns)
{
    for (size_t s = 0; s < r->n_srv; s++)
        pdns__pacer_init(&r->srv[s].pacer, r->ctl->fixed_qps, now_ns);
    if (r->opt.max_total_qps > 0) {
        pdns__pacer_init(&r->global, r->opt.max_total_qps, now_ns);
        r->have_global = 1;
    }
    return PDNS_OK;
}

void pdns__ctl_on_send(pdns_runner *r, size_t srv, uint64_t now_ns) {}

void pdns__ctl_on_answer(pdns_runner *r, size_t srv, int rcode, int tc, uint64_t rtt_ns,
                         uint64_t now_ns)
{
}

void pdns__ctl_on_loss(pdns_runner *r, size_t srv, uint64_t sent_ns, uint64_t now_ns) {}

void pdns__ctl_stop(pdns_runner *r) {}

void pdns__ctl_close(pdns_runner *r, uv_close_cb cb) {}

void pdns__ctl_free(pdns_runner *r)
{
    free(r->ctl);
    r->ctl = NULL;
}

void pdns__ctl_stats_json(pdns_runner *r, cJSON *doc) {}
