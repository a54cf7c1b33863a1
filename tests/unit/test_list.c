/* test_list.c - the intrusive list of core/list.h: push, pop, del, insert_before, and
 * an element on two lists at once, against an array model over random operations.
 * SPDX-License-Identifier: MIT */
#include <stdint.h>

#include "check.h"
#include "core/list.h"

#define N 64

typedef struct item {
    int id;
    pdns__link a, b;
} item;

#define ITEM_A(l) PDNS__ELEM(l, item, a)

/* The list q (through link a) holds exactly the ids model[0..n), in order, both ways. */
static int same(const pdns__list *q, const int *model, int n)
{
    int k = 0;
    const pdns__link *prev = NULL;
    for (const pdns__link *l = q->first; l; prev = l, l = l->next, k++) {
        if (k >= n || ITEM_A(l)->id != model[k] || l->prev != prev || !l->on)
            return 0;
    }
    return k == n && q->last == prev;
}

static uint64_t rng = 88172645463325252ull;
static unsigned rnd(unsigned n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng % n);
}

int main(void)
{
    item it[N];
    pdns__list q = {0}, other = {0};
    int model[N], n = 0, bad = 0;

    for (int i = 0; i < N; i++) {
        it[i] = (item){.id = i};
        pdns__list_push(&other, &it[i].b); /* every item on a second list throughout */
    }
    CHECK(pdns__list_empty(&q) && pdns__list_pop(&q) == NULL);
    for (int step = 0; step < 20000 && !bad; step++) {
        int i = (int)rnd(N), op = (int)rnd(4), at;
        if (!pdns__linked(&it[i].a)) {
            if (op < 2 || n == 0) { /* push */
                pdns__list_push(&q, &it[i].a);
                model[n++] = i;
            } else { /* insert before the element at a random place (or at the end) */
                at = (int)rnd((unsigned)n + 1);
                pdns__list_insert_before(&q, at < n ? &it[model[at]].a : NULL, &it[i].a);
                for (int k = n; k > at; k--)
                    model[k] = model[k - 1];
                model[at] = i;
                n++;
            }
        } else if (op == 0) { /* pop */
            pdns__link *l = pdns__list_pop(&q);
            bad |= !l || ITEM_A(l)->id != model[0] || pdns__linked(l);
            for (int k = 1; k < n; k++)
                model[k - 1] = model[k];
            n--;
        } else { /* del */
            int k = 0;
            while (model[k] != i)
                k++;
            pdns__list_del(&q, &it[i].a);
            for (; k + 1 < n; k++)
                model[k] = model[k + 1];
            n--;
            bad |= pdns__linked(&it[i].a);
        }
        bad |= !same(&q, model, n) || pdns__list_empty(&q) != (n == 0);
    }
    CHECK(!bad);
    /* the second list was not disturbed */
    {
        int k = 0;
        for (pdns__link *l = other.first; l; l = l->next, k++)
            bad |= PDNS__ELEM(l, item, b)->id != k;
        CHECK(!bad && k == N);
    }
    return CHECK_DONE();
}
