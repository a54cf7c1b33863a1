/* pool.h - N engines on N worker threads (pdns_options.threads > 1), one record stream.
 * SPDX-License-Identifier: MIT
 *
 * Built by the façade (api/runner.c) from the same configuration as one engine; knows
 * engines only through engine/engine.h. Unless said otherwise, calls are made on the
 * thread of the caller's loop. */
#ifndef PDNS_POOL_H
#define PDNS_POOL_H

#include <time.h>

#include "engine/engine.h"
#include "pacedns.h"
#include "core/stats.h"

struct uv_loop_s;
typedef struct pdns__pool pdns__pool;

/* n engines, each with its share of cfg's limits; *out is set even on failure (close
 * it). The source and on_result of cfg are called one at a time from the threads. */
pdns_status pdns__pool_new(struct uv_loop_s *loop, const pdns__engine_cfg *cfg, unsigned n,
                           pdns__pool **out);
const char *pdns__pool_error(const pdns__pool *g);
/* Before run only: the names go round-robin to the engines. */
pdns_status pdns__pool_submit(pdns__pool *g, const char *name, uint64_t line, void *user);
/* Start the engines and their threads; the caller's loop is woken when all have ended. */
pdns_status pdns__pool_run(pdns__pool *g);
/* Any thread. */
void pdns__pool_stop(pdns__pool *g);
/* Any thread: every engine has ended. */
int pdns__pool_done(const pdns__pool *g);
/* Any thread: figures from the engines' latest snapshots (at most 100 ms old while
 * running, exact once done). */
void pdns__pool_totals(const pdns__pool *g, pdns_totals *out);
pdns_status pdns__pool_server_info(const pdns__pool *g, size_t k, pdns_server_info *out);
double pdns__pool_elapsed(const pdns__pool *g);
time_t pdns__pool_started(const pdns__pool *g);
unsigned pdns__pool_threads(const pdns__pool *g);
/* Once the caller's loop saw the end (else NULL): per server, the threads' figures
 * merged; and thread i's own. */
const pdns__server_stats *pdns__pool_server_stats(const pdns__pool *g, size_t k);
const pdns__server_stats *pdns__pool_thread_server_stats(const pdns__pool *g, unsigned i, size_t k);
void pdns__pool_thread_totals(const pdns__pool *g, unsigned i, pdns_totals *out);
/* Stop (abandoning a run still going: no record reaches the caller from here on), join
 * the threads, close the engines. The memory goes when the caller's loop has run the
 * close callback of the pool's handle. */
void pdns__pool_close(pdns__pool *g);

#endif
