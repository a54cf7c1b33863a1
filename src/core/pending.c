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
    memset(&p->link, 0, sizeof p->link);
    p->line = line;
    p->user = user;
    memcpy(p->name, name, n);
    pdns__list_push(&q->q, &p->link);
    return PDNS_OK;
}

pdns__pending *pdns__pendq_pop(pdns__pendq *q)
{
    pdns__link *l = pdns__list_pop(&q->q);
    return l ? PDNS__ELEM(l, pdns__pending, link) : NULL;
}

void pdns__pendq_clear(pdns__pendq *q)
{
    pdns__pending *p;
    while ((p = pdns__pendq_pop(q)))
        free(p);
}
