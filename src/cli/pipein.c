/* pipein.c - names from a pipe, read on a thread of its own (see pipein.h).
 * SPDX-License-Identifier: MIT */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "pipein.h"

/* IMPLEMENTATION NOTES
 * The thread reads lines with pdns_reader_next into a ring of PIPEIN_SLOTS lines and
 * waits on `room` when it is full, so memory stays bounded whatever the pipe delivers.
 * The loop's side never waits: an empty ring that has not seen the end is "not yet" (2),
 * and the runner asks again a few milliseconds later. Both sides hold `mu`. Release
 * while the thread is blocked in read() cannot join it (the pipe may never deliver):
 * the thread is then the last owner and frees the state when its read returns. */

#define PIPEIN_SLOTS 1024
#define PIPEIN_LINE  1024

typedef struct slot {
    uint64_t line;
    char text[PIPEIN_LINE];
} slot;

struct cli_pipein {
    pdns_reader *rd;
    uv_thread_t tid;
    uv_mutex_t mu;
    uv_cond_t room;
    slot *ring;
    size_t head, count;
    int end;      /* 0 running, 1 end of input, -1 read error */
    int released; /* the loop's side is gone: stop, and free on the way out */
    int exited;   /* the thread has returned from its loop */
    char err[256];
};

static void pipein_free(cli_pipein *p)
{
    pdns_reader_close(p->rd);
    uv_cond_destroy(&p->room);
    uv_mutex_destroy(&p->mu);
    free(p->ring);
    free(p);
}

static void reader_main(void *arg)
{
    cli_pipein *p = arg;
    char buf[PIPEIN_LINE];
    uint64_t line = 0;
    int rc, last;
    for (;;) {
        rc = pdns_reader_next(p->rd, buf, sizeof buf, &line); /* may block: no lock held */
        uv_mutex_lock(&p->mu);
        while (rc == 1 && p->count == PIPEIN_SLOTS && !p->released)
            uv_cond_wait(&p->room, &p->mu);
        if (p->released || rc != 1) {
            if (!p->released) {
                p->end = rc == 0 ? 1 : -1;
                if (rc < 0)
                    snprintf(p->err, sizeof p->err, "%s", pdns_reader_error(p->rd));
            }
            break;
        }
        slot *s = &p->ring[(p->head + p->count) % PIPEIN_SLOTS];
        s->line = line;
        memcpy(s->text, buf, sizeof s->text);
        p->count++;
        uv_mutex_unlock(&p->mu);
    }
    p->exited = 1;
    last = p->released; /* the loop's side is gone: nobody else will free */
    uv_mutex_unlock(&p->mu);
    if (last)
        pipein_free(p);
}

int cli_pipein_start(cli_pipein **out, pdns_reader *rd)
{
    cli_pipein *p = calloc(1, sizeof *p);
    if (!p || !(p->ring = calloc(PIPEIN_SLOTS, sizeof *p->ring))) {
        free(p);
        return -1;
    }
    if (uv_mutex_init(&p->mu) != 0) {
        free(p->ring);
        free(p);
        return -1;
    }
    if (uv_cond_init(&p->room) != 0) {
        uv_mutex_destroy(&p->mu);
        free(p->ring);
        free(p);
        return -1;
    }
    p->rd = rd;
    if (uv_thread_create(&p->tid, reader_main, p) != 0) {
        p->rd = NULL;
        pipein_free(p);
        return -1;
    }
    *out = p;
    return 0;
}

int cli_pipein_next(cli_pipein *p, char *buf, size_t cap, uint64_t *line)
{
    int rc;
    uv_mutex_lock(&p->mu);
    if (p->count > 0) {
        slot *s = &p->ring[p->head];
        size_t n = strlen(s->text);
        if (n >= cap)
            n = cap - 1;
        memcpy(buf, s->text, n);
        buf[n] = '\0';
        *line = s->line;
        p->head = (p->head + 1) % PIPEIN_SLOTS;
        if (p->count-- == PIPEIN_SLOTS)
            uv_cond_signal(&p->room);
        rc = 1;
    } else {
        rc = p->end == 0 ? 2 : p->end > 0 ? 0 : -1;
    }
    uv_mutex_unlock(&p->mu);
    return rc;
}

const char *cli_pipein_error(cli_pipein *p)
{
    return p->err;
}

void cli_pipein_release(cli_pipein *p)
{
    int exited;
    uv_thread_t tid;
    if (!p)
        return;
    uv_mutex_lock(&p->mu);
    p->released = 1;
    exited = p->exited;
    tid = p->tid; /* once unlocked, a thread that has not exited may free p at any time */
    uv_cond_signal(&p->room);
    uv_mutex_unlock(&p->mu);
    if (exited) {
        uv_thread_join(&tid);
        pipein_free(p);
    } else {
        /* blocked in read() or about to exit: the thread frees the state when (if) its
         * read returns; p is not touched from here on */
        (void)pthread_detach(tid); /* uv_thread_t is a pthread_t on Unix */
    }
}
