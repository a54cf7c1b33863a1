/* pending.h - a FIFO of submitted names (pdns_runner_submit), for the façade and the engine.
 * SPDX-License-Identifier: MIT */
#ifndef PDNS_CORE_PENDING_H
#define PDNS_CORE_PENDING_H

#include <stdint.h>

#include "core/list.h"
#include "pacedns.h"

typedef struct pdns__pending {
    pdns__link link;
    uint64_t line;
    void *user;
    char name[];
} pdns__pending;

typedef struct pdns__pendq {
    pdns__list q;
} pdns__pendq;

static inline int pdns__pendq_empty(const pdns__pendq *q)
{
    return pdns__list_empty(&q->q);
}

/* Append a copy of name. Returns PDNS_OK or PDNS_ERR_NOMEM. */
pdns_status pdns__pendq_push(pdns__pendq *q, const char *name, uint64_t line, void *user);
/* The oldest entry, taken off the queue (the caller frees it), or NULL. */
pdns__pending *pdns__pendq_pop(pdns__pendq *q);
/* Free every entry. */
void pdns__pendq_clear(pdns__pendq *q);

#endif
