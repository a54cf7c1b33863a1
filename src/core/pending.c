/* pending.c - a FIFO of submitted names (see pending.h).
 * SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "core/pending.h"

pdns_status pdns__pendq_push(pdns__pendq *q, const char *name, uint64_t line, void *user)
{
    size_t n = strlen(name) + 1;
    pdns__pending *p = malloc(sizeof *p + n);
    if (!p)
        return PDNS_ERR_NOMEM;
    p->next = NULL;
    p->line = line;
    p->user = user;
    memcpy(p->name, name, n);
    if (q->tail)
        q->tail->next = p;
    else
        q->head = p;
    q->tail = p;
    return PDNS_OK;
}

pdns__pending *pdns__pendq_pop(pdns__pendq *q)
{
    pdns__pending *p = q->head;
    if (p) {
        q->head = p->next;
        if (!q->head)
            q->tail = NULL;
        p->next = NULL;
    }
    return p;
}

void pdns__pendq_clear(pdns__pendq *q)
{
    pdns__pending *p;
    while ((p = pdns__pendq_pop(q)))
        free(p);
}
