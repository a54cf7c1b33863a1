/* shards.h - a runner's worker threads (pdns_options.threads > 1): one engine per thread.
 * SPDX-License-Identifier: MIT */
#ifndef PDNS_SHARDS_H
#define PDNS_SHARDS_H

#include <cjson/cJSON.h>
#include "pacedns.h"

/* A parent runner (r->sh set) runs no queries itself: the public functions of runner.c,
 * ctl.c and api.c hand it to these, which drive one engine (a plain pdns_runner on its
 * own loop) per worker thread. Contracts are those of the public functions. */
typedef struct pdns__shards pdns__shards;

/* Create the n engines of parent (options copied from opt, rates divided by n). */
pdns_status pdns__shards_new(pdns_runner *parent, const pdns_options *opt, unsigned n);
/* Called after the parent accepted the server: add it to every engine. */
pdns_status pdns__shards_add_server(pdns_runner *parent, const char *server);
pdns_status pdns__shards_set_profile(pdns_runner *parent, const char *name_or_path);
pdns_status pdns__shards_set_param(pdns_runner *parent, const char *key, double value);
/* Before run only: the names go round-robin to the engines. */
pdns_status pdns__shards_submit(pdns_runner *parent, const char *name, uint64_t line, void *user);
pdns_status pdns__shards_set_source(pdns_runner *parent, pdns_source_fn fn, void *user);
pdns_status pdns__shards_run(pdns_runner *parent);
/* Any thread. */
void pdns__shards_stop(pdns_runner *parent);
/* Any thread: every engine has ended (or the start failed). */
int pdns__shards_done(const pdns_runner *parent);
/* Any thread: figures from the engines' latest snapshots (at most 100 ms old while
 * running, exact once done). */
pdns_status pdns__shards_server_info(const pdns_runner *parent, size_t i, pdns_server_info *out);
void pdns__shards_totals(const pdns_runner *parent, pdns_totals *out);
/* Once done: add "thread_totals" ([{names, records}] per thread) to the stats document and
 * "threads" ([{sent, answered, timeouts, retries}] per thread) to each of its servers. */
void pdns__shards_stats_json(pdns_runner *parent, cJSON *doc);
/* Stops and joins the threads if still running, frees the engines and their loops. */
void pdns__shards_free(pdns_runner *parent);

#endif
