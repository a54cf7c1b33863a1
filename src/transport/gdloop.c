/* gdloop.c - getdns event-loop extension on libuv: one poll handle per descriptor.
 * SPDX-License-Identifier: MIT */
#include <getdns/getdns_extra.h>
#include <stdlib.h>
#include <string.h>

#include "transport/gdloop.h"

/* IMPLEMENTATION NOTES
 * Why not getdns_extension_set_libuv_loop: Debian's libgetdns_ex_uv (getdns 1.6.0)
 * ignores the results of uv_poll_init and uv_poll_start (uv_poll_init fails with
 * UV_EEXIST when libuv still watches that descriptor number, leaving the handle
 * uninitialised). Under load (1,500 queries at 1,000 qps against a local NSD) it
 * aborted in uv_poll_start ("!uv__is_closing(handle)") or segfaulted there; this glue
 * ran the same loads cleanly.
 *
 * Here libuv's rule "one uv_poll_t per descriptor" is kept with a table indexed by fd,
 * shared by all contexts of the loop. A descriptor's handle carries one getdns event
 * (read and/or write callbacks). Scheduling an fd that still has a handle for another
 * event means the old descriptor was closed and its number reused: the old handle is
 * detached (stopped and closed) and a fresh one made. Timers belong to the event.
 * Every handle is freed only in its close callback, as libuv requires. */

typedef struct fdh fdh;
typedef struct gev {
    uv_timer_t timer;
    int has_timer;
    fdh *fd;                    /* descriptor handle, NULL when detached */
    getdns_eventloop_event *el; /* NULL once cleared */
    pdns__gdloop *g;
} gev;

struct fdh {
    uv_poll_t poll;
    int fdnum;
    gev *owner;
    pdns__gdloop *g;
};

struct pdns__gdloop {
    uv_loop_t *loop;
    fdh **fds;
    size_t nfds;
    int refs;
};

typedef struct gd_ext {
    getdns_eventloop base;
    pdns__gdloop *g;
} gd_ext;

static void g_unref(pdns__gdloop *g)
{
    if (--g->refs == 0) {
        free(g->fds);
        free(g);
    }
}

static void fdh_closed(uv_handle_t *h)
{
    fdh *f = h->data;
    pdns__gdloop *g = f->g;
    free(f);
    g_unref(g);
}

static void fdh_close(fdh *f)
{
    pdns__gdloop *g = f->g;
    if ((size_t)f->fdnum < g->nfds && g->fds[f->fdnum] == f)
        g->fds[f->fdnum] = NULL;
    if (f->owner)
        f->owner->fd = NULL;
    f->owner = NULL;
    uv_poll_stop(&f->poll);
    f->poll.data = f;
    uv_close((uv_handle_t *)&f->poll, fdh_closed);
}

static void gev_timer_closed(uv_handle_t *h)
{
    gev *e = h->data;
    pdns__gdloop *g = e->g;
    free(e);
    g_unref(g);
}

static void poll_cb(uv_poll_t *p, int status, int events)
{
    fdh *f = p->data;
    gev *e = f->owner;
    getdns_eventloop_event *el;
    if (!e || !(el = e->el))
        return;
    /* on error wake whichever side is waiting: getdns reads the error from the fd */
    if (status < 0)
        events = (el->read_cb ? UV_READABLE : 0) | (el->write_cb ? UV_WRITABLE : 0);
    if ((events & UV_WRITABLE) && el->write_cb) {
        el->write_cb(el->userarg);
        /* the callback may have cleared or rescheduled the event */
        if (f->owner != e || e->el != el)
            return;
    }
    if ((events & UV_READABLE) && el->read_cb)
        el->read_cb(el->userarg);
}

static void timer_cb(uv_timer_t *t)
{
    gev *e = t->data;
    getdns_eventloop_event *el = e->el;
    if (el && el->timeout_cb)
        el->timeout_cb(el->userarg);
}

static getdns_return_t ext_schedule(getdns_eventloop *loop, int fd, uint64_t timeout,
                                    getdns_eventloop_event *el)
{
    pdns__gdloop *g = ((gd_ext *)loop)->g;
    getdns_return_t rc = GETDNS_RETURN_GENERIC_ERROR;
    gev *e;
    int want = (el->read_cb ? UV_READABLE : 0) | (el->write_cb ? UV_WRITABLE : 0);

    if (!(e = calloc(1, sizeof *e)))
        return GETDNS_RETURN_MEMORY_ERROR;
    e->g = g;
    e->el = el;
    g->refs++;
    if (want && fd >= 0) {
        fdh *f;
        if ((size_t)fd >= g->nfds) {
            size_t n = g->nfds ? g->nfds : 64;
            fdh **nf;
            while (n <= (size_t)fd)
                n *= 2;
            if (!(nf = realloc(g->fds, n * sizeof *nf)))
                goto nomem;
            memset(nf + g->nfds, 0, (n - g->nfds) * sizeof *nf);
            g->fds = nf;
            g->nfds = n;
        }
        if (g->fds[fd]) /* stale: the descriptor number was reused */
            fdh_close(g->fds[fd]);
        if (!(f = calloc(1, sizeof *f)))
            goto nomem;
        f->fdnum = fd;
        f->g = g;
        f->poll.data = f;
        if (uv_poll_init(g->loop, &f->poll, fd) != 0) {
            free(f);
            goto fail;
        }
        g->refs++;
        g->fds[fd] = f;
        f->owner = e;
        e->fd = f;
        if (uv_poll_start(&f->poll, want, poll_cb) != 0) {
            fdh_close(f);
            goto fail;
        }
    }
    if (el->timeout_cb && timeout != (uint64_t)-1) {
        if (uv_timer_init(g->loop, &e->timer) != 0)
            goto fail;
        e->timer.data = e;
        e->has_timer = 1;
        if (uv_timer_start(&e->timer, timer_cb, timeout, 0) != 0)
            goto fail;
    }
    el->ev = e;
    return GETDNS_RETURN_GOOD;
nomem:
    rc = GETDNS_RETURN_MEMORY_ERROR;
fail:
    el->ev = NULL;
    if (e->fd)
        fdh_close(e->fd);
    if (e->has_timer) {
        e->el = NULL;
        uv_close((uv_handle_t *)&e->timer, gev_timer_closed);
    } else {
        free(e);
        g_unref(g);
    }
    return rc;
}

static getdns_return_t ext_clear(getdns_eventloop *loop, getdns_eventloop_event *el)
{
    gev *e = el->ev;
    (void)loop;
    if (!e)
        return GETDNS_RETURN_GOOD;
    el->ev = NULL;
    e->el = NULL;
    if (e->fd)
        fdh_close(e->fd);
    if (e->has_timer) {
        uv_timer_stop(&e->timer);
        uv_close((uv_handle_t *)&e->timer, gev_timer_closed);
    } else {
        pdns__gdloop *g = e->g;
        free(e);
        g_unref(g);
    }
    return GETDNS_RETURN_GOOD;
}

static void ext_cleanup(getdns_eventloop *loop)
{
    gd_ext *x = (gd_ext *)loop;
    g_unref(x->g);
    free(x);
}

static void ext_run(getdns_eventloop *loop)
{
    uv_run(((gd_ext *)loop)->g->loop, UV_RUN_DEFAULT);
}

static void ext_run_once(getdns_eventloop *loop, int blocking)
{
    uv_run(((gd_ext *)loop)->g->loop, blocking ? UV_RUN_ONCE : UV_RUN_NOWAIT);
}

static getdns_eventloop_vmt ext_vmt = {
    ext_cleanup, ext_schedule, ext_clear, ext_run, ext_run_once,
};

pdns__gdloop *pdns__gdloop_new(uv_loop_t *loop)
{
    pdns__gdloop *g = calloc(1, sizeof *g);
    if (g) {
        g->loop = loop;
        g->refs = 1;
    }
    return g;
}

getdns_return_t pdns__gdloop_attach(pdns__gdloop *g, getdns_context *ctx)
{
    gd_ext *x = calloc(1, sizeof *x);
    getdns_return_t rc;
    if (!x)
        return GETDNS_RETURN_MEMORY_ERROR;
    x->base.vmt = &ext_vmt;
    x->g = g;
    g->refs++;
    if ((rc = getdns_context_set_eventloop(ctx, &x->base)) != GETDNS_RETURN_GOOD) {
        g_unref(g);
        free(x);
    }
    return rc;
}

void pdns__gdloop_release(pdns__gdloop *g)
{
    if (g)
        g_unref(g);
}
