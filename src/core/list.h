/* list.h - an intrusive doubly-linked list (a link inside each element; no allocation).
 * SPDX-License-Identifier: MIT
 *
 * A zeroed pdns__list is empty and a zeroed pdns__link is on no list, so structs that
 * hold them need no set-up. Every operation is O(1); an element may sit on several lists
 * through several links. Pure: no I/O, no allocation. */
#ifndef PDNS_CORE_LIST_H
#define PDNS_CORE_LIST_H

#include <stddef.h>

typedef struct pdns__link {
    struct pdns__link *prev, *next;
    int on; /* on a list */
} pdns__link;

typedef struct pdns__list {
    pdns__link *first, *last;
} pdns__list;

/* The element holding link l, as `type` whose link member is `member`. */
#define PDNS__ELEM(l, type, member) ((type *)(void *)((char *)(l)-offsetof(type, member)))

static inline int pdns__list_empty(const pdns__list *q)
{
    return q->first == NULL;
}

static inline int pdns__linked(const pdns__link *l)
{
    return l->on;
}

/* Append l (not on a list) at the end of q. */
static inline void pdns__list_push(pdns__list *q, pdns__link *l)
{
    l->next = NULL;
    l->prev = q->last;
    if (q->last)
        q->last->next = l;
    else
        q->first = l;
    q->last = l;
    l->on = 1;
}

/* Take l off q (l must be on q). */
static inline void pdns__list_del(pdns__list *q, pdns__link *l)
{
    if (l->prev)
        l->prev->next = l->next;
    else
        q->first = l->next;
    if (l->next)
        l->next->prev = l->prev;
    else
        q->last = l->prev;
    l->prev = l->next = NULL;
    l->on = 0;
}

/* Put l (not on a list) into q before at (a link on q), or at the end when at is NULL. */
static inline void pdns__list_insert_before(pdns__list *q, pdns__link *at, pdns__link *l)
{
    if (!at) {
        pdns__list_push(q, l);
        return;
    }
    l->next = at;
    l->prev = at->prev;
    if (at->prev)
        at->prev->next = l;
    else
        q->first = l;
    at->prev = l;
    l->on = 1;
}

/* Take the first link off q and return it, or NULL when q is empty. */
static inline pdns__link *pdns__list_pop(pdns__list *q)
{
    pdns__link *l = q->first;
    if (l)
        pdns__list_del(q, l);
    return l;
}

#endif
