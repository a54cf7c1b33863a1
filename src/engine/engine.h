/* engine.h - one event loop's engine: its servers, pacers, controllers, transports and
 * jobs. The interface the façade (api/runner.c) and the pool (pool/pool.c) use.
 * SPDX-License-Identifier: MIT
 *
 * Threads: an engine belongs to the thread that runs its loop; every call below is made
 * from that thread, except pdns__engine_stop, which the pool makes on the engine's
 * thread through its own async handle. */
#ifndef PDNS_ENGINE_H
#define PDNS_ENGINE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/aimd.h"
#include "pacedns.h"
#include "format/server.h"
#include "core/stats.h"
#include "dns/edns.h"

struct uv_loop_s;
typedef struct pdns__engine pdns__engine;

/* Everything an engine is built from, resolved by the façade (rates already this
 * engine's share when it is one of a pool's). Copied by pdns__engine_new. */
typedef struct pdns__engine_cfg {
    pdns_options opt; /* threads ignored; on_result/user: where records go */
    const uint16_t *types;
    size_t n_types;
    const pdns__addr *servers;
    size_t n_servers;
    int aimd;                  /* 1: the controller; 0: the fixed opt.qps */
    pdns__aimd_params prof;    /* the controller's parameters (validated) */
    const char *origin;        /* the profile's name or path, for the stats */
    const double *warm_qps;    /* [n_servers] remembered whole-server capacities (<= 0:
                                  none), or NULL: those servers skip slow start */
    double share;              /* this engine's share of every server (of its budget, its
                                  capacity, warm_qps): 1/(shards x threads) */
    const pdns__addr *trusted; /* trusted servers (canaries, verify), never bulk */
    size_t n_trusted;
    pdns_source_fn source; /* names, or NULL (submissions only) */
    void *source_user;
    pdns__qopts qopts; /* query flags and EDNS options (client cookie: per server) */
} pdns__engine_cfg;

pdns_status pdns__engine_new(struct uv_loop_s *loop, const pdns__engine_cfg *cfg,
                             pdns__engine **out, char *err, size_t errcap);
/* Queue a name before or during the run. */
pdns_status pdns__engine_submit(pdns__engine *e, const char *name, uint64_t line, void *user);
/* Start sending (the caller runs the loop). Fills errbuf of the engine on failure. */
pdns_status pdns__engine_run(pdns__engine *e);
void pdns__engine_stop(pdns__engine *e);
/* Finished: every record reported and its handles closing or closed. */
int pdns__engine_done(const pdns__engine *e);
const char *pdns__engine_error(const pdns__engine *e);

void pdns__engine_totals(const pdns__engine *e, pdns_totals *out);
/* Server k's figures (k < n_servers); stats valid until the engine is freed. */
const pdns__server_stats *pdns__engine_server_stats(pdns__engine *e, size_t k);
/* Server k's figures as the public summary gives them. */
void pdns__engine_server_info(pdns__engine *e, size_t k, pdns_server_info *out);
double pdns__engine_elapsed(const pdns__engine *e);
time_t pdns__engine_started(const pdns__engine *e);

/* Trust checks (engine/trust.c): the run halted because every server was quarantined
 * (pdns__engine_error says why); server k's trust figures (*state NULL: no checks); the
 * trusted servers' stats. */
int pdns__engine_halted(const pdns__engine *e);
void pdns__engine_server_trust(const pdns__engine *e, size_t k, const char **state,
                               const char **reason, double *at_s, uint64_t *canaries,
                               uint64_t *wildcard_probes);
size_t pdns__engine_trusted_count(const pdns__engine *e);
const pdns__server_stats *pdns__engine_trusted_stats(const pdns__engine *e, size_t k);

/* Close the engine's handles (a run still going is abandoned: no record is reported from
 * here on). Its memory is released by the last close callback, or at once when it
 * has no handle open; the caller runs the loop for the callbacks. */
void pdns__engine_close(pdns__engine *e);

#endif
