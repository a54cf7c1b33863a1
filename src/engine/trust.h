/* trust.h - the engine's trust glue: trusted servers, canaries, quarantine, held records,
 * --verify and wildcard probes (decisions in core/trust.c).
 * SPDX-License-Identifier: MIT */
#ifndef PDNS_ENGINE_TRUST_H
#define PDNS_ENGINE_TRUST_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "core/stats.h"
#include "core/trust.h"
#include "pacedns.h"

typedef struct pdns__engine pdns__engine;
struct pdns__engine_cfg;
typedef struct pdns__tglue pdns__tglue;

/* Set up r->tg when the configuration asks for any trust check (else r->tg stays NULL
 * and every hook below is skipped by the engine). */
pdns_status pdns__tg_new(pdns__engine *r, const struct pdns__engine_cfg *cfg);
/* Trusted transports, the timer; the first canary rounds are due at once. */
pdns_status pdns__tg_start(pdns__engine *r, uint64_t now);
/* Send the side queries (canaries, references, probes, verification) that have a token;
 * called at the start of every dispatch. */
void pdns__tg_dispatch(pdns__engine *r, uint64_t now);
/* Bulk queries may go to server s (it is not quarantined). */
int pdns__tg_usable(const pdns__engine *r, size_t s);
/* Servers not quarantined. */
size_t pdns__tg_usable_count(const pdns__engine *r);
/* Server s answered a bulk query (the canary schedule counts answers). */
void pdns__tg_on_answer(pdns__engine *r, size_t s);
/* A record is ready (srv: the index of the server that answered, -1 none). Returns 1
 * when the glue took it (held until believed, or asked again): the engine must not
 * report it; the glue reports it later through pdns__engine_emit (or readmits it). */
int pdns__tg_take(pdns__engine *r, const pdns_result *res, int srv);
void pdns__tg_stop(pdns__engine *r);
void pdns__tg_close(pdns__engine *r, uv_close_cb cb);
void pdns__tg_free(pdns__engine *r);

/* The figures for the stats are engine.h's pdns__engine_server_trust and
 * pdns__engine_trusted_*. */

#endif
