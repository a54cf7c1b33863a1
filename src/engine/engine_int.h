/* engine_int.h - the engine's internal state, shared by engine.c and the controller glue
 * (ctl.c) only; everything else uses engine.h.
 * SPDX-License-Identifier: MIT */
#ifndef PDNS_ENGINE_INT_H
#define PDNS_ENGINE_INT_H

#include <stdint.h>
#include <time.h>
#include <uv.h>

#include "pacedns.h"
#include "core/list.h"
#include "core/pending.h"
#include "engine/engine.h"
#include "core/pacer.h"
#include "format/server.h"
#include "core/stats.h"
#include "transport/transport.h"

typedef struct pdns__ctl pdns__ctl;     /* controller state (ctl.c) */
typedef struct pdns__tglue pdns__tglue; /* trust glue state (trust.c), NULL when off */

typedef struct pdns__srv {
    pdns__addr addr;
    pdns__transport *tp;
    pdns__pacer pacer;
    pdns__server_stats st;
    unsigned inflight;
    unsigned max_inflight;
    uint64_t hedge_ns;       /* tail hedging delay for this server's queries */
    uint64_t last_answer_ns; /* when it last answered (0: never) */
} pdns__srv;

typedef enum pdns__rstate {
    PDNS__RS_NEW = 0,
    PDNS__RS_RUNNING,
    PDNS__RS_CLOSING,
    PDNS__RS_DONE
} pdns__rstate;

struct job;

#define PDNS__H_TICK     1u
#define PDNS__H_STATS    2u
#define PDNS__H_TEARDOWN 4u
#define PDNS__H_AFTER    8u
#define PDNS__H_NOSLEEP  16u

struct pdns__engine {
    uv_loop_t *loop;
    pdns_options opt;
    uint16_t *types;
    size_t n_types;
    const pdns__transport_vt *tvt;
    void *tshared; /* the transport's per-loop state */
    pdns__srv *srv;
    size_t n_srv, cap_srv;
    size_t rr_next;
    pdns__pacer global;
    int have_global;
    pdns__ctl *ctl;
    pdns__tglue *tg;
    int halted; /* every server quarantined: the run stops (errbuf says why) */

    uv_timer_t tick, stats_timer, teardown;
    uv_check_t after;  /* runs dispatch once after this turn's I/O (see kick) */
    uv_idle_t nosleep; /* while a kick is due: the loop polls without blocking */
    int kicked;        /* after/nosleep are started */
    unsigned h_init;   /* PDNS__H_* of the handles initialised */
    int handles_open;
    unsigned admit_left; /* input lines this dispatch turn may still admit */
    int admit_yield;     /* the turn stopped admitting: continue on the next turn */
    int source_again;    /* the source had no name yet (PDNS_SOURCE_AGAIN) this turn */
    pdns__rstate state;
    int stopping;
    int abandon;

    pdns__list ready;     /* jobs waiting for a send, oldest first */
    pdns__list flying;    /* jobs with a live query, oldest first */
    pdns__list zombies;   /* reported jobs whose stale copy is in flight */
    struct job *job_pool; /* finished jobs kept for reuse (engine.c) */
    size_t job_pool_n;
    pdns__pendq pend; /* submitted names not admitted yet */
    pdns_source_fn source;
    void *source_user;
    int source_eof;
    int source_error;
    char namebuf[1024];
    char whybuf[160]; /* the reason of an INVALID_NAME record being reported */

    uint64_t jobs_alive;
    unsigned inflight;
    uint64_t names_read, records;
    uint64_t counts[PDNS_R_COUNT];
    uint64_t start_ns, end_ns;
    time_t started_wall;
    char errbuf[256];

    int release_pending; /* pdns__engine_close: free once the handles are closed */
    pdns__qopts qopts;   /* query flags and EDNS options (cfg's) */
};

/* Controller glue (ctl.c): sets each server's pacer rate, fixed or AIMD-driven. */
pdns_status pdns__ctl_init(pdns__engine *r, const pdns__engine_cfg *cfg);
pdns_status pdns__ctl_start(pdns__engine *r, uint64_t now_ns);
void pdns__ctl_on_send(pdns__engine *r, size_t srv, uint64_t now_ns);
void pdns__ctl_on_answer(pdns__engine *r, size_t srv, int rcode, int tc, uint64_t rtt_ns,
                         uint64_t now_ns);
void pdns__ctl_on_loss(pdns__engine *r, size_t srv, uint64_t sent_ns, uint64_t now_ns);
/* The server could have sent but had no ready name or hit its in-flight cap. */
void pdns__ctl_on_limited(pdns__engine *r, size_t srv);
/* Controller view of server s; returns 0 when the controller is off (fixed rate). */
int pdns__ctl_server(const pdns__engine *r, size_t s, double *optimal, int *converged,
                     double *after_s, const char **phase);
void pdns__ctl_stop(pdns__engine *r);
void pdns__ctl_close(pdns__engine *r, uv_close_cb cb);
void pdns__ctl_free(pdns__engine *r);

/* For the trust glue (trust.c). Report a record the glue held (counts it, ends its job's
 * life); admit (name, type) again as a new query of the same line (the record it held
 * was dropped: the job stays alive); re-run dispatch soon; stop the run because no
 * server can be used (ready queries end as unfinished ERROR records). */
void pdns__engine_emit(pdns__engine *r, const pdns_result *res);
void pdns__engine_readmit(pdns__engine *r, const pdns_result *res);
void pdns__engine_kick(pdns__engine *r);
void pdns__engine_halt(pdns__engine *r);

/* The transport settings of the run's options (--timeout, --transport, --tls-*,
 * --conns, --doh-method) for one server: its query shape qopts (or NULL) and where its
 * stream transport counts connections. Bulk and trusted servers both take them. */
pdns__tcfg pdns__engine_tcfg(const pdns__engine *r, const pdns__qopts *qopts,
                             pdns__conn_stats *conn);

#endif
