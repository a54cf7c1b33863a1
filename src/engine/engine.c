/* engine.c - one loop's engine: admission, pacing, sending, hedging, records, stats.
 * SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <uv.h>

#include "pacedns.h"
#include "core/job.h"
#include "core/split.h"
#include "dns/name.h"
#include "dns/qline.h"
#include "dns/wire.h"
#include "engine/engine_int.h"
#include "engine/trust.h"

/* IMPLEMENTATION NOTES
 * Jobs. One job per (input name, type). A job lives from admission to its one record;
 * jobs_alive counts them and the run ends only when it is zero and input is exhausted,
 * so every input name yields exactly one record per type, whatever the servers do.
 *
 * Admission. Input is pulled lazily: a server that has a pacer token and a free
 * in-flight slot takes the next ready job (retries and CNAME follow-ups first), and
 * only when none is ready is the next input line read. Memory is thus bounded by the
 * in-flight total, not by input length.
 *
 * Pacing. Each server has a token bucket (pacer.c) at its target rate. The tick timer
 * runs dispatch(), which serves the servers round-robin one send at a time while any
 * has a token, a slot and work, then re-arms itself for the earliest next token
 * (libuv timers have 1 ms granularity; the pacer accrues fractional tokens, so average
 * rates are exact and sends are spread evenly). Completions re-arm it at 0 ms; sends
 * never happen inside a transport callback (getdns recurses when re-entered).
 *
 * Jobs' verdicts. What an answer or a failure means for a job (retries, TCP after TC,
 * CNAME hops, fcrdns) is decided by the pure state machine in core/job.c; this file
 * sends what it asks for and reports the records. Per-attempt timeouts run from the
 * actual send (the transport is called at send time).
 *
 * Tail hedging. Once input is exhausted and nothing is queued, a server with a free
 * token and slot sends a copy of the oldest in-flight query that has waited longer
 * than max(50 ms, 4 x its server's p99 latency) on another server that answered within
 * the last two timeouts (once per hop). The
 * first usable answer wins; the other copy is marked stale and only counted when it
 * returns, and a failure of one copy is ignored while the other is in flight. This
 * keeps a lost packet near the end from stretching the run by a whole --timeout;
 * it adds at most one query per name still in flight at the end.
 *
 * CNAME chasing and loop detection: see core/job.c. */

#define SCAN_LIMIT            64
#define PDNS__SOURCE_RETRY_MS 5 /* a source with no name yet is asked again after this */
#define PDNS__ADMIT_PER_TURN  1024

typedef struct job job;
struct job {
    pdns__link rlink; /* on the ready list */
    char *name;       /* input name as given */
    uint64_t line;
    void *user;
    unsigned line_records; /* records its input line yields in all */
    int attempts;          /* all queries sent for the job (copies too) */
    uint64_t sent_ns;      /* send time of the current hop's live attempt */
    /* queries in flight for this job: the current attempt, and at the tail of a run
     * possibly a hedge copy on another server (see IMPLEMENTATION NOTES) */
    struct att {
        job *j;
        int srv;
        uint64_t sent_ns;
        int busy;  /* in flight */
        int stale; /* the job moved on: its answer is only counted */
    } att[2];
    int outstanding;  /* busy attempts */
    int finished;     /* record reported; freed once nothing is in flight */
    int hedged;       /* the current hop already has a hedge copy */
    pdns__link flink; /* on the in-flight list (live attempt) or, in_zomb, the zombies */
    int in_zomb;
    pdns__engine *r_owner;
    /* the last answer's EDNS reading (shaped queries only): AD, RRSIG count, NSID
     * (PDNS_Q_NSID_RECORD: heap text, freed with the job) */
    int has_edns, ad, rrsig;
    char *nsid;
    int has_ecs;    /* the line's ecs=PREFIX, over the run's --ecs (every hop, every retry) */
    pdns__ecs ecs;  /* (has_ecs) */
    int ecs_scope;  /* the last answer's ECS scope, -1 without an ECS option */
    job *pool_next; /* in the engine's pool of finished jobs (free_job) */
    pdns__job c;    /* the query's state machine (core/job.c); after the fields new_job
                       zeroes */
    char name_inline[PDNS__NAME_MAX]; /* name, when it fits (else malloc'd) */
};

static void kick(pdns__engine *r);
static void release(pdns__engine *r);
static void finish_job(pdns__engine *r, job *j, pdns_rstatus st, const pdns_answer *ans,
                       size_t n_ans, const char *error);

/* ---- servers -------------------------------------------------------------------- */

static pdns_status add_server_addr(pdns__engine *r, const pdns__addr *a)
{
    for (size_t i = 0; i < r->n_srv; i++)
        if (strcmp(r->srv[i].addr.text, a->text) == 0)
            return PDNS_ERR_INVALID;
    if (r->n_srv == r->cap_srv) {
        size_t cap = r->cap_srv ? r->cap_srv * 2 : 4;
        pdns__srv *n = realloc(r->srv, cap * sizeof *n);
        if (!n)
            return PDNS_ERR_NOMEM;
        r->srv = n;
        r->cap_srv = cap;
    }
    pdns__srv *s = &r->srv[r->n_srv];
    memset(s, 0, sizeof *s);
    s->addr = *a;
    pdns__stats_init(&s->st, a->text);
    r->n_srv++;
    return PDNS_OK;
}

/* ---- creation ------------------------------------------------------------------- */

pdns_status pdns__engine_new(uv_loop_t *loop, const pdns__engine_cfg *cfg, pdns__engine **out,
                             char *err, size_t errcap)
{
    static const uint16_t def_type = PDNS__TYPE_A;
    pdns__engine *r;
    pdns_status st = PDNS_ERR_NOMEM;

    if (!(r = calloc(1, sizeof *r)))
        return PDNS_ERR_NOMEM;
    r->loop = loop;
    r->opt = cfg->opt;
    r->n_types = cfg->n_types ? cfg->n_types : 1;
    if (!(r->types = malloc(r->n_types * sizeof *r->types)))
        goto fail;
    memcpy(r->types, cfg->n_types ? cfg->types : &def_type, r->n_types * sizeof *r->types);
    r->opt.types = r->types;
    r->opt.n_types = r->n_types;
    r->source = cfg->source;
    r->source_user = cfg->source_user;
    r->source_eof = cfg->source == NULL;
    r->qopts = cfg->qopts;
    if ((st = pdns__ctl_init(r, cfg)) != PDNS_OK || (st = pdns__tg_new(r, cfg)) != PDNS_OK)
        goto fail;
    for (size_t i = 0; i < cfg->n_servers; i++)
        if ((st = add_server_addr(r, &cfg->servers[i])) != PDNS_OK)
            goto fail;
    r->state = PDNS__RS_NEW;
    *out = r;
    return PDNS_OK;
fail:
    snprintf(err, errcap, "%s", pdns_strerror(st));
    release(r);
    return st;
}

const char *pdns__engine_error(const pdns__engine *r)
{
    return r->errbuf;
}

pdns_status pdns__engine_submit(pdns__engine *r, const char *name, uint64_t line, void *user)
{
    pdns_status st;
    if (r->state == PDNS__RS_CLOSING || r->state == PDNS__RS_DONE)
        return PDNS_ERR_STATE;
    if ((st = pdns__pendq_push(&r->pend, name, line, user)) != PDNS_OK)
        return st;
    if (r->state == PDNS__RS_RUNNING)
        kick(r);
    return PDNS_OK;
}

/* ---- job queue ------------------------------------------------------------------ */

#define READY_JOB(l)  PDNS__ELEM(l, job, rlink)
#define FLIGHT_JOB(l) PDNS__ELEM(l, job, flink)
#define IN_FLIGHT(j)  (pdns__linked(&(j)->flink) && !(j)->in_zomb)

static void enqueue(pdns__engine *r, job *j)
{
    pdns__list_push(&r->ready, &j->rlink);
}

/* Jobs are reused: a finished job goes back to the engine's pool (up to JOB_POOL_MAX
 * of them, about the in-flight count), so a name costs no malloc or free once warm. */
#define JOB_POOL_MAX 4096

static void free_job(pdns__engine *r, job *j)
{
    pdns__job_free(&j->c);
    free(j->nsid);
    j->nsid = NULL;
    if (j->name != j->name_inline)
        free(j->name);
    if (r->job_pool_n < JOB_POOL_MAX) {
        j->pool_next = r->job_pool;
        r->job_pool = j;
        r->job_pool_n++;
    } else {
        free(j);
    }
}

/* A job with its engine fields zeroed and its name set (kept inline when it fits);
 * pdns__job_init sets up the rest (not calloc: the state machine's name buffers are
 * 2 KB that need no zeroing). NULL when out of memory. */
static job *new_job(pdns__engine *r, const char *name)
{
    size_t n = strlen(name) + 1;
    job *j = r->job_pool;
    if (j) {
        r->job_pool = j->pool_next;
        r->job_pool_n--;
    } else if (!(j = malloc(sizeof *j))) {
        return NULL;
    }
    memset(j, 0, offsetof(job, c));
    if (n <= sizeof j->name_inline) {
        memcpy(j->name_inline, name, n);
        j->name = j->name_inline;
    } else if (!(j->name = malloc(n))) {
        free(j);
        return NULL;
    } else {
        memcpy(j->name, name, n);
    }
    return j;
}

/* Report a record for (line, type) before any job exists: INVALID_NAME or ERROR. */
static void report_early(pdns__engine *r, const char *name, uint64_t line, void *user,
                         unsigned line_records, uint16_t qtype, pdns_rstatus st, const char *why)
{
    pdns_result res = {.name = name,
                       .qname = NULL,
                       .line = line,
                       .line_records = line_records,
                       .qtype = qtype,
                       .status = st,
                       .rcode = -1,
                       .rtt_ms = -1,
                       .error = why,
                       .fcrdns = -1,
                       .user = user};
    r->counts[st]++;
    r->records++;
    r->opt.on_result(&res, r->opt.user);
}

/* Create the jobs of one input line ("NAME", or "NAME TYPE" whose type replaces the
 * configured ones) and queue them, or report INVALID_NAME records at once: one per
 * type the line stands for, so every line yields exactly one record per type. */
static void admit_name(pdns__engine *r, const char *text, uint64_t line, void *user)
{
    char name[sizeof r->namebuf]; /* UTF-8 may shrink to a valid A-label name */
    const char *why = NULL;
    uint16_t line_type = 0;
    const uint16_t *types = r->types;
    size_t n_types = r->n_types;
    pdns__ecs ecs;
    int has_ecs = 0, bad;

    r->names_read++;
    bad = pdns__qline_parse(text, name, sizeof name, &line_type, &ecs, &has_ecs, &why, r->whybuf,
                            sizeof r->whybuf) != PDNS_OK;
    if (!bad && has_ecs && (r->qopts.no_edns || r->opt.transport == PDNS_TRANSPORT_GETDNS)) {
        snprintf(r->whybuf, sizeof r->whybuf, "%s",
                 r->qopts.no_edns ? "ecs= needs EDNS (--no-edns is given)"
                                  : "ecs= is not supported with --transport getdns");
        bad = 1;
    }
    if (bad) {
        if (line_type) { /* the line's one record */
            types = &line_type;
            n_types = 1;
        }
        for (size_t t = 0; t < n_types; t++)
            report_early(r, text, line, user, (unsigned)n_types, types[t], PDNS_R_INVALID_NAME,
                         r->whybuf);
        return;
    }
    if (line_type) {
        types = &line_type;
        n_types = 1;
    }
    for (size_t t = 0; t < n_types; t++) {
        job *j = new_job(r, name);
        if (!j) {
            report_early(r, name, line, user, (unsigned)n_types, types[t], PDNS_R_ERROR,
                         "out of memory");
            continue;
        }
        j->line = line;
        j->user = user;
        j->line_records = (unsigned)n_types;
        j->has_ecs = has_ecs;
        j->ecs = ecs;
        r->jobs_alive++;
        if (pdns__job_init(&j->c, name, types[t], &why) != PDNS_OK) {
            finish_job(r, j, PDNS_R_INVALID_NAME, NULL, 0, why ? why : "invalid name");
            continue;
        }
        enqueue(r, j);
    }
}

/* Pull one name from pending submissions or the source. Returns 1 if a name was
 * admitted (it may have produced only INVALID_NAME records), 0 if input is empty. */
static int pull_input(pdns__engine *r)
{
    if (r->stopping)
        return 0;
    if (r->admit_left == 0) { /* bounded work per loop turn: see dispatch */
        r->admit_yield = 1;
        return 0;
    }
    r->admit_left--;
    if (!pdns__pendq_empty(&r->pend)) {
        pdns__pending *p = pdns__pendq_pop(&r->pend);
        admit_name(r, p->name, p->line, p->user);
        free(p);
        return 1;
    }
    if (r->source && !r->source_eof) {
        uint64_t line = 0;
        int rc = r->source(r->source_user, r->namebuf, sizeof r->namebuf, &line);
        if (rc == 1) {
            admit_name(r, r->namebuf, line, NULL);
            return 1;
        }
        if (rc == PDNS_SOURCE_AGAIN) { /* nothing yet: asked again in a few ms */
            r->source_again = 1;
            return 0;
        }
        r->source_eof = 1;
        if (rc < 0)
            r->source_error = 1;
    }
    return 0;
}

/* Take the first ready job that may go to server s (not avoiding it, unless s is the
 * only server), pulling input when nothing is ready. */
static job *take_job(pdns__engine *r, size_t s)
{
    for (;;) {
        pdns__link *l = r->ready.first;
        int scanned = 0;
        while (l && scanned < SCAN_LIMIT) {
            job *j = READY_JOB(l);
            if (j->c.avoid != (int)s || r->n_srv == 1 || (r->tg && pdns__tg_usable_count(r) == 1)) {
                pdns__list_del(&r->ready, l);
                return j;
            }
            l = l->next;
            scanned++;
        }
        if (!pdns__list_empty(&r->ready) && scanned >= SCAN_LIMIT)
            return NULL;
        if (!pdns__list_empty(&r->ready) && !l && scanned) {
            /* only jobs avoiding s are ready; read more input only if we are not
             * holding a big backlog already */
            if (scanned >= 8)
                return NULL;
        }
        if (!pull_input(r))
            return NULL;
    }
}

/* ---- sending and replies ---------------------------------------------------------- */

static void on_reply(void *arg, const pdns__reply *rep);

/* Send the job's current hop to server s; hedge = a second copy beside a live one. */
static int send_job(pdns__engine *r, size_t s, job *j, uint64_t now, int hedge)
{
    pdns__srv *sv = &r->srv[s];
    pdns_status st;
    int is_retry = j->c.tries > 0 || hedge;
    struct att *a = !j->att[0].busy ? &j->att[0] : &j->att[1];
    a->j = j;
    a->srv = (int)s;
    a->sent_ns = now;
    a->busy = 1;
    a->stale = 0;
    if (!hedge) {
        pdns__job_on_send(&j->c, (int)s);
        j->sent_ns = now;
        j->hedged = 0;
        if (!pdns__linked(&j->flink)) {
            pdns__list_push(&r->flying, &j->flink);
        }
    } else {
        j->hedged = 1;
    }
    j->attempts++;
    j->outstanding++;
    sv->inflight++;
    r->inflight++;
    pdns__stats_on_send(&sv->st, is_retry);
    pdns__ctl_on_send(r, s, now);
    st = r->tvt->query(sv->tp, j->c.cur, j->c.cur_type, j->c.tcp, j->has_ecs ? &j->ecs : NULL,
                       on_reply, a);
    if (st != PDNS_OK) {
        sv->inflight--;
        r->inflight--;
        a->busy = 0;
        j->outstanding--;
        if (hedge)
            return -1; /* the original is still in flight */
        if (IN_FLIGHT(j))
            pdns__list_del(&r->flying, &j->flink);
        finish_job(r, j, PDNS_R_ERROR, NULL, 0, pdns_strerror(st));
        return -1;
    }
    return 0;
}

/* The settings that shape the jobs' verdicts. */
static pdns__job_cfg job_cfg(const pdns__engine *r)
{
    pdns__job_cfg cfg = {.retries = r->opt.retries,
                         .fcrdns = r->opt.fcrdns,
                         .n_srv = r->n_srv,
                         .stopping = r->stopping};
    return cfg;
}

/* Act on the job's verdict: send its current hop (again) or report its record. */
static void apply_verdict(pdns__engine *r, job *j, const pdns__jv *v)
{
    if (v->kind == PDNS__JV_SEND)
        enqueue(r, j);
    else
        finish_job(r, j, v->status, v->ans, v->n_ans, v->error);
}

/* Copies of the job's current hop still in flight (stale copies of an earlier hop or
 * of a lost race do not count: nothing waits for them). */
static int live_copies(const job *j)
{
    int n = 0;
    for (int k = 0; k < 2; k++)
        n += j->att[k].busy && !j->att[k].stale;
    return n;
}

/* The job keeps what its latest answer said about EDNS (the record reports the final
 * answer's): AD and the RRSIG count, and with PDNS_Q_NSID_RECORD the NSID as text. An
 * answer read without it (over TCP) clears it. */
static void keep_edns(const pdns__engine *r, job *j, const pdns__edns_info *e)
{
    j->has_edns = e != NULL;
    j->ad = e && e->ad;
    j->rrsig = e ? (int)e->rrsig : 0;
    j->ecs_scope = e ? e->ecs_scope : -1;
    free(j->nsid);
    j->nsid = NULL;
    if (e && e->has_nsid && (r->opt.query_flags & PDNS_Q_NSID_RECORD)) {
        char txt[2 * PDNS__NSID_MAX + 1];
        j->nsid = strdup(pdns__nsid_text(e->nsid, e->nsid_len, txt, sizeof txt));
    }
}

static void on_reply(void *arg, const pdns__reply *rep)
{
    struct att *a = arg;
    job *j = a->j;
    pdns__engine *r = j->r_owner;
    pdns__srv *sv = &r->srv[a->srv];
    uint64_t now = uv_hrtime();
    /* from the transport's own send time when it has one (taken right before the send) */
    uint64_t sent = rep->sent_ns && rep->sent_ns <= now ? rep->sent_ns : a->sent_ns;
    uint64_t rtt = now - sent;
    int stale = a->stale, usable;
    pdns__job_cfg cfg;
    pdns__jv v;

    sv->inflight--;
    r->inflight--;
    a->busy = 0;
    a->stale = 0;
    j->outstanding--;
    /* every copy counts in the server's stats and controller */
    if (rep->kind == PDNS__T_TIMEOUT) {
        pdns__stats_on_timeout(&sv->st);
        pdns__ctl_on_loss(r, (size_t)a->srv, a->sent_ns, now);
    } else if (rep->kind == PDNS__T_MALFORMED) {
        pdns__stats_on_malformed(&sv->st);
    } else if (rep->kind == PDNS__T_UNREACHABLE) {
        pdns__stats_on_unreachable(&sv->st, rep->send_error); /* not a loss: no ctl */
    } else if (rep->kind == PDNS__T_RESET) {
        pdns__stats_on_reset(&sv->st); /* a stream's loss */
        pdns__ctl_on_loss(r, (size_t)a->srv, a->sent_ns, now);
    } else if (rep->kind == PDNS__T_ANSWER) {
        sv->last_answer_ns = now;
        if (r->tg)
            pdns__tg_on_answer(r, (size_t)a->srv);
        pdns__stats_on_answer(&sv->st, rep->rcode, rep->tc, rtt);
        pdns__ctl_on_answer(r, (size_t)a->srv, rep->rcode, rep->tc, rtt, now);
        if (rep->edns)
            pdns__stats_on_edns(&sv->st, rep->edns);
    }
    if (stale || j->finished) {
        if (j->finished && j->outstanding == 0) {
            if (j->in_zomb)
                pdns__list_del(&r->zombies, &j->flink);
            free_job(r, j);
        }
        kick(r);
        return;
    }
    if (r->abandon) /* pdns__engine_close cancelled it: report nothing */
        return;
    usable = rep->kind == PDNS__T_ANSWER && !(rep->tc && !j->c.tcp) &&
             !pdns__rcode_server_failure(rep->rcode);
    if (live_copies(j) > 0) {
        if (!usable) { /* the other copy may still answer */
            kick(r);
            return;
        }
        for (int k = 0; k < 2; k++) /* it lost the race */
            if (j->att[k].busy)
                j->att[k].stale = 1;
    }
    if (IN_FLIGHT(j))
        pdns__list_del(&r->flying, &j->flink);
    j->c.srv = a->srv;
    j->sent_ns = a->sent_ns;
    if (rep->kind == PDNS__T_ANSWER)
        keep_edns(r, j, rep->edns);
    cfg = job_cfg(r);
    switch (rep->kind) {
    case PDNS__T_ANSWER:
        v = pdns__job_on_answer(&j->c, &cfg, rep->rcode, rep->tc, rep->rr, rep->n_rr,
                                (double)rtt / 1e6);
        break;
    case PDNS__T_TIMEOUT:
        v = pdns__job_on_failure(&j->c, &cfg, PDNS__JF_TIMEOUT, rep->error);
        break;
    case PDNS__T_UNREACHABLE: /* ended at once: retry (elsewhere) at once */
        v = pdns__job_on_failure(&j->c, &cfg, PDNS__JF_UNREACHABLE, rep->error);
        break;
    case PDNS__T_ERROR:
    case PDNS__T_RESET:     /* the stream ended under it (ERROR "connection reset") */
    case PDNS__T_MALFORMED: /* a local failure or an unusable answer */
    default:
        v = pdns__job_on_failure(&j->c, &cfg, PDNS__JF_ERROR, rep->error);
        break;
    }
    apply_verdict(r, j, &v);
    kick(r);
}

/* Report the job's one record and free it. */
static void finish_job(pdns__engine *r, job *j, pdns_rstatus st, const pdns_answer *ans,
                       size_t n_ans, const char *error)
{
    pdns_result res;
    char ecs_text[PDNS__ECS_TEXT_MAX];
    memset(&res, 0, sizeof res);
    pdns__job_cfg cfg = job_cfg(r);
    res.name = j->name;
    res.qname = j->c.qname[0] ? j->c.qname : NULL;
    res.line = j->line;
    res.line_records = j->line_records;
    res.qtype = j->c.qtype;
    res.status = st;
    res.rcode = pdns__job_rcode(&j->c);
    res.answers = ans;
    res.n_answers = n_ans;
    res.cname = (const char *const *)j->c.cname;
    res.n_cname = j->c.n_cname;
    res.server = j->c.srv >= 0 ? r->srv[j->c.srv].addr.text : NULL;
    res.attempts = j->attempts;
    res.rtt_ms = j->c.rtt_ms;
    res.error = error;
    res.user = j->user;
    res.fcrdns = pdns__job_fcrdns(&j->c, &cfg, st);
    res.has_dnssec = (r->opt.query_flags & PDNS_Q_DNSSEC) && j->has_edns;
    res.ad = j->ad;
    res.rrsig = j->rrsig;
    res.nsid = j->nsid;
    res.ecs_scope = -1;
    if (j->has_ecs || r->qopts.ecs) { /* the line's prefix, else the run's */
        pdns__ecs e = j->ecs;
        if (!j->has_ecs) {
            e.family = r->qopts.ecs_family;
            e.prefix = r->qopts.ecs_prefix;
            memcpy(e.addr, r->qopts.ecs_addr, sizeof e.addr);
        }
        res.ecs = pdns__ecs_text(&e, ecs_text, sizeof ecs_text);
        res.ecs_scope = j->has_edns ? j->ecs_scope : -1;
    }
    if (r->halted) { /* every server is quarantined: nothing here can be believed */
        res.status = PDNS_R_ERROR;
        res.n_answers = 0;
        res.n_cname = 0;
        res.error = "every server is quarantined";
        res.unfinished = 1;
    }
    /* the trust glue may hold it until it is believed (see engine/trust.c) */
    if (!r->tg || !pdns__tg_take(r, &res, j->c.srv))
        pdns__engine_emit(r, &res);
    j->finished = 1;
    if (j->outstanding > 0) { /* a stale copy is still in flight: free it on return */
        for (int k = 0; k < 2; k++)
            if (j->att[k].busy)
                j->att[k].stale = 1;
        if (IN_FLIGHT(j))
            pdns__list_del(&r->flying, &j->flink);
        pdns__list_push(&r->zombies, &j->flink);
        j->in_zomb = 1;
        return;
    }
    if (IN_FLIGHT(j))
        pdns__list_del(&r->flying, &j->flink);
    free_job(r, j);
}

/* ---- for the trust glue --------------------------------------------------------- */

void pdns__engine_emit(pdns__engine *r, const pdns_result *res)
{
    r->counts[res->status]++;
    r->records++;
    r->jobs_alive--;
    r->opt.on_result(res, r->opt.user);
}

void pdns__engine_readmit(pdns__engine *r, const pdns_result *res)
{
    const char *why = NULL;
    job *j = new_job(r, res->name);
    if (!j) {
        pdns_result e = {.name = res->name,
                         .line = res->line,
                         .qtype = res->qtype,
                         .status = PDNS_R_ERROR,
                         .rcode = -1,
                         .rtt_ms = -1,
                         .error = "out of memory",
                         .fcrdns = -1,
                         .user = res->user,
                         .line_records = res->line_records};
        pdns__engine_emit(r, &e);
        return;
    }
    j->line = res->line;
    j->user = res->user; /* the held record's life (jobs_alive) goes on in this job */
    j->line_records = res->line_records;
    /* the line's ECS prefix, if it had one (the run's own gives the same bytes again) */
    j->has_ecs = res->ecs && pdns__ecs_parse_one(res->ecs, &j->ecs, &why) == 0;
    why = NULL;
    if (pdns__job_init(&j->c, res->name, res->qtype, &why) != PDNS_OK || r->halted) {
        finish_job(r, j, r->halted ? PDNS_R_ERROR : PDNS_R_INVALID_NAME, NULL, 0,
                   why ? why : "every server is quarantined");
        return;
    }
    enqueue(r, j);
    kick(r);
}

pdns__tcfg pdns__engine_tcfg(const pdns__engine *r, const pdns__qopts *qopts,
                             pdns__conn_stats *conn)
{
    pdns__tcfg tc = {.timeout_ms = r->opt.timeout_ms,
                     .qopts = qopts,
                     .mode = r->opt.transport,
                     .tls_ca = r->opt.tls_ca,
                     .tls_name = r->opt.tls_name,
                     .tls_insecure = r->opt.tls_insecure,
                     .conns = r->opt.stream_conns,
                     .doh_get = r->opt.doh_method == PDNS_DOH_GET,
                     .conn = conn};
    return tc;
}

void pdns__engine_kick(pdns__engine *r)
{
    kick(r);
}

void pdns__engine_halt(pdns__engine *r)
{
    r->halted = 1;
    r->stopping = 1;
    pdns__link *l;
    while ((l = pdns__list_pop(&r->ready))) /* they end unfinished (a resume redoes them) */
        finish_job(r, READY_JOB(l), PDNS_R_ERROR, NULL, 0, "every server is quarantined");
    kick(r);
}

/* ---- dispatch ------------------------------------------------------------------- */

static void tick_cb(uv_timer_t *t);

static int input_pending(const pdns__engine *r)
{
    return !pdns__list_empty(&r->ready) ||
           (!r->stopping && (!pdns__pendq_empty(&r->pend) || (r->source && !r->source_eof)));
}

static void maybe_finish(pdns__engine *r);

#define HEDGE_MIN_NS (50 * 1000000ull)

/* The oldest job whose one live copy, on another server than s, waited longer than
 * its server's hedge delay; NULL if none (the list is in send order). */
static job *hedge_candidate(pdns__engine *r, size_t s, uint64_t now)
{
    for (pdns__link *l = r->flying.first; l; l = l->next) {
        job *j = FLIGHT_JOB(l);
        struct att *a = j->att[0].busy && !j->att[0].stale ? &j->att[0] : &j->att[1];
        if (!a->busy || a->stale)
            continue;
        if (now - a->sent_ns < r->srv[a->srv].hedge_ns)
            return NULL;
        if (j->hedged || j->c.tcp || j->outstanding != 1 || a->srv == (int)s ||
            j->c.avoid == (int)s)
            continue;
        return j;
    }
    return NULL;
}

/* At the tail of a run (input exhausted, nothing queued): hedge old in-flight queries
 * on servers with a free token and slot. Returns 1 when hedging may be due later. */
static int hedge(pdns__engine *r, uint64_t now)
{
    if (r->n_srv < 2 || r->stopping || pdns__list_empty(&r->flying))
        return 0;
    for (size_t s = 0; s < r->n_srv; s++) {
        pdns__srv *sv = &r->srv[s];
        uint64_t p99 = pdns__hist_quantile(&sv->st.lat, 0.99) * 1000ull * 4;
        uint64_t cap = (uint64_t)r->opt.timeout_ms * 1000000ull / 2;
        sv->hedge_ns = p99 > HEDGE_MIN_NS ? p99 : HEDGE_MIN_NS;
        if (sv->hedge_ns > cap)
            sv->hedge_ns = cap;
    }
    for (size_t s = 0; s < r->n_srv; s++) {
        pdns__srv *sv = &r->srv[s];
        job *j;
        /* only onto a server that answers: copies to a dead one would add nothing */
        if (!pdns__tg_usable(r, s))
            continue;
        if (!sv->last_answer_ns || now - sv->last_answer_ns > 2ull * r->opt.timeout_ms * 1000000ull)
            continue;
        while (sv->inflight < sv->max_inflight && (j = hedge_candidate(r, s, now))) {
            if (!pdns__pacer_take(&sv->pacer, now))
                break;
            if (r->have_global && !pdns__pacer_take(&r->global, now)) {
                pdns__pacer_refund(&sv->pacer); /* hedges obey --max-qps too */
                return 1;
            }
            send_job(r, s, j, now, 1);
        }
    }
    return 1;
}

static void dispatch(pdns__engine *r);

/* How long server s rests before it may take queries again (0: now). */
static uint64_t server_rest_ns(const pdns__engine *r, size_t s, uint64_t now)
{
    return r->srv[s].tp && r->tvt->rest_ns ? r->tvt->rest_ns(r->srv[s].tp, now) : 0;
}

/* The kick: dispatch once after the loop's current turn. IMPLEMENTATION NOTES: a
 * check handle runs after the turn's I/O callbacks, so the completions of one poll are
 * all counted before one dispatch serves them (a 0-ms timer ran dispatch on the next
 * turn, and re-armed the timer heap at every completion). An active idle handle makes
 * that turn's poll return at once, so a kick from a timer or from the run's start does
 * not wait for I/O. Signals and timers still run between two dispatches. */
static void after_cb(uv_check_t *h)
{
    pdns__engine *r = h->data;
    uv_check_stop(&r->after);
    uv_idle_stop(&r->nosleep);
    r->kicked = 0;
    dispatch(r);
}

static void nosleep_cb(uv_idle_t *h)
{
    (void)h; /* being active is its job */
}

static void kick_stop(pdns__engine *r)
{
    uv_check_stop(&r->after);
    uv_idle_stop(&r->nosleep);
    r->kicked = 0;
}

/* Serve servers round-robin, one send each per round, while any can send. Then arm
 * the tick timer for the earliest next token. At most PDNS__ADMIT_PER_TURN input lines
 * are admitted per call: lines that yield no query (invalid names) would otherwise keep
 * it from returning to the loop, so signals, timers and checkpoints would never run. */
static void dispatch(pdns__engine *r)
{
    uint64_t now = uv_hrtime();
    int progress = 1, any_awake = 0;
    size_t start = r->rr_next;

    if (r->state != PDNS__RS_RUNNING)
        return;
    /* a server whose connections fail rests (see transport.h rest_ns) while another can
     * take its queries; when all rest, they are tried anyway (their queries end at once
     * with the reason, and the run ends instead of waiting) */
    for (size_t s = 0; s < r->n_srv && !any_awake; s++)
        any_awake = server_rest_ns(r, s, now) == 0;
    r->admit_left = PDNS__ADMIT_PER_TURN;
    r->admit_yield = 0;
    r->source_again = 0;
    r->rr_next = (r->rr_next + 1) % (r->n_srv ? r->n_srv : 1);
    if (r->tg)
        pdns__tg_dispatch(r, now); /* canaries, references, probes, verification first */
    while (progress && input_pending(r)) {
        progress = 0;
        for (size_t k = 0; k < r->n_srv && input_pending(r); k++) {
            size_t s = (start + k) % r->n_srv;
            pdns__srv *sv = &r->srv[s];
            job *j;
            if (!pdns__tg_usable(r, s))
                continue; /* quarantined: no more bulk queries */
            if (sv->inflight >= sv->max_inflight) {
                pdns__ctl_on_limited(r, s);
                continue;
            }
            if (any_awake && server_rest_ns(r, s, now))
                continue;
            if (!pdns__pacer_take(&sv->pacer, now))
                continue;
            if (r->have_global && !pdns__pacer_take(&r->global, now)) {
                pdns__pacer_refund(&sv->pacer);
                continue;
            }
            if (!(j = take_job(r, s))) {
                if (!r->admit_yield)
                    pdns__ctl_on_limited(r, s);
                pdns__pacer_refund(&sv->pacer);
                if (r->have_global)
                    pdns__pacer_refund(&r->global);
                continue;
            }
            j->r_owner = r;
            send_job(r, s, j, now, 0);
            progress = 1;
        }
    }
    maybe_finish(r);
    if (r->state != PDNS__RS_RUNNING)
        return;
    /* more lines to admit: after this turn's I/O and signals */
    if (r->admit_yield)
        kick(r);
    if (input_pending(r)) {
        uint64_t wait = UINT64_MAX;
        for (size_t s = 0; s < r->n_srv; s++) {
            pdns__srv *sv = &r->srv[s];
            uint64_t w;
            if (sv->inflight >= sv->max_inflight)
                continue;
            w = pdns__pacer_wait_ns(&sv->pacer, now);
            if (any_awake && server_rest_ns(r, s, now) > w)
                w = server_rest_ns(r, s, now);
            if (r->have_global) {
                uint64_t g = pdns__pacer_wait_ns(&r->global, now);
                if (g > w)
                    w = g;
            }
            if (w < wait)
                wait = w;
        }
        if (wait != UINT64_MAX) {
            uint64_t ms = (wait + 999999) / 1000000;
            if (r->source_again && pdns__list_empty(&r->ready) && ms < PDNS__SOURCE_RETRY_MS)
                ms = PDNS__SOURCE_RETRY_MS; /* only the source to wait for */
            uv_timer_start(&r->tick, tick_cb, ms ? ms : 1, 0);
        }
        /* else every server is at its in-flight cap: a completion will kick */
    } else if (hedge(r, now)) {
        uv_timer_start(&r->tick, tick_cb, 10, 0);
    }
}

static void tick_cb(uv_timer_t *t)
{
    dispatch(t->data);
}

static void kick(pdns__engine *r)
{
    if (r->state != PDNS__RS_RUNNING || r->kicked)
        return;
    if (uv_check_start(&r->after, after_cb) != 0 || uv_idle_start(&r->nosleep, nosleep_cb) != 0) {
        kick_stop(r);
        uv_timer_start(&r->tick, tick_cb, 0, 0); /* cannot fail on an initialised timer */
        return;
    }
    r->kicked = 1;
}

/* ---- stats and the end of a run ---------------------------------------------------- */

static void stats_cb(uv_timer_t *t)
{
    pdns__engine *r = t->data;
    double el = (double)(uv_hrtime() - r->start_ns) / 1e9;
    for (size_t s = 0; s < r->n_srv; s++)
        pdns__stats_close_interval(&r->srv[s].st, el, r->srv[s].pacer.rate);
}

static void on_handle_closed(uv_handle_t *h)
{
    pdns__engine *r = h->data;
    if (--r->handles_open == 0 && r->release_pending) /* closed after pdns__engine_close */
        release(r);
}

/* Destroy the transports and close every handle the runner initialised (their close
 * callbacks run on the loop). Safe on a partly started runner. */
static void teardown(pdns__engine *r)
{
    for (size_t s = 0; s < r->n_srv; s++) {
        if (r->srv[s].tp) {
            if (r->tvt->ignored)
                r->srv[s].st.ignored = r->tvt->ignored(r->srv[s].tp);
            r->tvt->destroy(r->srv[s].tp);
            r->srv[s].tp = NULL;
        }
    }
    pdns__tg_close(r, on_handle_closed); /* the trusted servers' transports, its timer */
    if (r->tshared) {
        r->tvt->release_shared(r->tshared);
        r->tshared = NULL;
    }
    pdns__ctl_close(r, on_handle_closed);
    if (r->h_init & PDNS__H_TICK)
        uv_close((uv_handle_t *)&r->tick, on_handle_closed);
    if (r->h_init & PDNS__H_STATS)
        uv_close((uv_handle_t *)&r->stats_timer, on_handle_closed);
    if (r->h_init & PDNS__H_TEARDOWN)
        uv_close((uv_handle_t *)&r->teardown, on_handle_closed);
    if (r->h_init & PDNS__H_AFTER)
        uv_close((uv_handle_t *)&r->after, on_handle_closed);
    if (r->h_init & PDNS__H_NOSLEEP)
        uv_close((uv_handle_t *)&r->nosleep, on_handle_closed);
    r->h_init = 0;
    r->state = PDNS__RS_DONE;
}

static void teardown_cb(uv_timer_t *t)
{
    teardown(t->data);
}

static void maybe_finish(pdns__engine *r)
{
    double el;
    if (r->state != PDNS__RS_RUNNING || r->jobs_alive || input_pending(r))
        return;
    r->end_ns = uv_hrtime();
    el = (double)(r->end_ns - r->start_ns) / 1e9;
    for (size_t s = 0; s < r->n_srv; s++)
        pdns__stats_close_interval(&r->srv[s].st, el, r->srv[s].pacer.rate);
    uv_timer_stop(&r->tick);
    uv_timer_stop(&r->stats_timer);
    kick_stop(r);
    pdns__ctl_stop(r);
    pdns__tg_stop(r);
    r->state = PDNS__RS_CLOSING;
    /* getdns contexts must not be destroyed from inside their own callbacks */
    uv_timer_start(&r->teardown, teardown_cb, 0, 0);
}

/* Initialise the runner's own handles before anything else can fail, so that every
 * failure path can close exactly what exists. */
static int init_handles(pdns__engine *r)
{
    int rc;
    if ((rc = uv_timer_init(r->loop, &r->tick)) != 0)
        return rc;
    r->tick.data = r;
    r->h_init |= PDNS__H_TICK;
    r->handles_open++;
    if ((rc = uv_timer_init(r->loop, &r->stats_timer)) != 0)
        return rc;
    r->stats_timer.data = r;
    r->h_init |= PDNS__H_STATS;
    r->handles_open++;
    if ((rc = uv_timer_init(r->loop, &r->teardown)) != 0)
        return rc;
    r->teardown.data = r;
    r->h_init |= PDNS__H_TEARDOWN;
    r->handles_open++;
    if ((rc = uv_check_init(r->loop, &r->after)) != 0)
        return rc;
    r->after.data = r;
    r->h_init |= PDNS__H_AFTER;
    r->handles_open++;
    if ((rc = uv_idle_init(r->loop, &r->nosleep)) != 0)
        return rc;
    r->nosleep.data = r;
    r->h_init |= PDNS__H_NOSLEEP;
    r->handles_open++;
    return 0;
}

/* The query flags and EDNS options of server sv's queries into *q, with a client cookie
 * of its own (RFC 7873 4.1: one per server, random); NULL with the defaults (plain
 * queries). *st: PDNS_OK or why not. */
static const pdns__qopts *server_qopts(pdns__engine *r, pdns__srv *sv, pdns__qopts *q,
                                       pdns_status *st)
{
    static const pdns__qopts none;
    *st = PDNS_OK;
    *q = r->qopts;
    if (!memcmp(q, &none, sizeof *q))
        return NULL;
    if (q->cookie && getrandom(q->client_cookie, sizeof q->client_cookie, 0) !=
                         (ssize_t)sizeof q->client_cookie) {
        snprintf(r->errbuf, sizeof r->errbuf, "client cookie: getrandom failed");
        *st = PDNS_ERR_IO;
        return NULL;
    }
    sv->st.cookies = q->cookie;
    return q;
}

pdns_status pdns__engine_run(pdns__engine *r)
{
    pdns_status st;
    uint64_t now;
    int rc;

    if (r->state != PDNS__RS_NEW)
        return PDNS_ERR_STATE;
    if (!r->source && pdns__pendq_empty(&r->pend))
        r->source_eof = 1;
    r->tvt = &pdns__transport_select; /* picks each server's transport (transport/select.c) */
    if ((rc = init_handles(r)) != 0)
        goto fail_uv;
    now = uv_hrtime();
    for (size_t s = 0; s < r->n_srv; s++) {
        pdns__srv *sv = &r->srv[s];
        pdns__qopts qo;
        const pdns__qopts *qp = server_qopts(r, sv, &qo, &st);
        if (st != PDNS_OK)
            goto fail;
        pdns__tcfg tc = pdns__engine_tcfg(r, qp, &sv->st.conn);
        st = r->tvt->create(r->loop, &r->tshared, &sv->addr, &tc, &sv->tp, r->errbuf,
                            sizeof r->errbuf);
        if (st != PDNS_OK)
            goto fail;
        sv->max_inflight = pdns__default_inflight(&r->opt);
    }
    if ((st = pdns__ctl_start(r, now)) != PDNS_OK)
        goto fail;
    r->start_ns = now;
    if ((st = pdns__tg_start(r, now)) != PDNS_OK)
        goto fail;
    r->started_wall = time(NULL);
    r->state = PDNS__RS_RUNNING;
    {
        uint64_t iv = (uint64_t)(r->opt.interval_s * 1000.0 + 0.5);
        if (iv == 0)
            iv = 1;
        if ((rc = uv_timer_start(&r->stats_timer, stats_cb, iv, iv)) != 0)
            goto fail_uv;
    }
    kick(r);
    return PDNS_OK;
fail_uv:
    snprintf(r->errbuf, sizeof r->errbuf, "libuv: %s", uv_strerror(rc));
    st = PDNS_ERR_UV;
fail:
    /* synchronous: nothing was sent; the close callbacks run on the loop */
    uv_timer_stop(&r->tick);
    uv_timer_stop(&r->stats_timer);
    teardown(r);
    return st;
}

void pdns__engine_stop(pdns__engine *r)
{
    if (r->stopping)
        return;
    r->stopping = 1;
    kick(r);
}

int pdns__engine_done(const pdns__engine *r)
{
    return r->state == PDNS__RS_DONE || r->state == PDNS__RS_CLOSING;
}

/* Free everything but the handles (all closed by now). */
static void release(pdns__engine *r)
{
    pdns__link *l;
    while ((l = pdns__list_pop(&r->ready)))
        free_job(r, READY_JOB(l));
    /* transports are gone: no callback will come for what was still in flight */
    while ((l = pdns__list_pop(&r->zombies)))
        free_job(r, FLIGHT_JOB(l));
    while ((l = pdns__list_pop(&r->flying)))
        free_job(r, FLIGHT_JOB(l));
    while (r->job_pool) {
        job *j = r->job_pool;
        r->job_pool = j->pool_next;
        free(j);
    }
    r->job_pool_n = 0;
    pdns__pendq_clear(&r->pend);
    for (size_t s = 0; s < r->n_srv; s++)
        pdns__stats_free(&r->srv[s].st);
    pdns__ctl_free(r);
    pdns__tg_free(r);
    free(r->srv);
    free(r->types);
    free(r);
}

void pdns__engine_close(pdns__engine *r)
{
    if (r->state == PDNS__RS_RUNNING || r->state == PDNS__RS_CLOSING) {
        /* not finished yet: tear down now (outstanding queries are cancelled) */
        if (r->state == PDNS__RS_RUNNING) {
            uv_timer_stop(&r->tick);
            uv_timer_stop(&r->stats_timer);
            pdns__ctl_stop(r);
            pdns__tg_stop(r);
        }
        uv_timer_stop(&r->teardown);
        kick_stop(r);
        r->state = PDNS__RS_CLOSING;
        r->abandon = 1; /* replies of cancelled queries report nothing */
        teardown(r);
    } else if (r->state == PDNS__RS_NEW) {
        r->state = PDNS__RS_DONE;
    }
    r->release_pending = 1;
    if (r->handles_open == 0)
        release(r);
}

/* ---- figures -------------------------------------------------------------------- */

const pdns__server_stats *pdns__engine_server_stats(pdns__engine *r, size_t k)
{
    if (r->srv[k].tp && r->tvt->ignored)
        r->srv[k].st.ignored = r->tvt->ignored(r->srv[k].tp);
    return &r->srv[k].st;
}

void pdns__engine_server_info(pdns__engine *r, size_t k, pdns_server_info *out)
{
    const pdns__server_stats *st = pdns__engine_server_stats(r, k);
    double el = pdns__engine_elapsed(r);
    memset(out, 0, sizeof *out);
    out->server = r->srv[k].addr.text;
    out->sent = st->sent;
    out->answered = st->answered;
    out->timeouts = st->timeouts;
    out->retries = st->retries;
    out->errors = st->errors;
    out->tc = st->tc;
    out->rate_qps = r->srv[k].pacer.rate;
    out->answered_qps = el > 0 ? (double)st->answered / el : 0;
    out->p50_ms = (double)pdns__hist_quantile(&st->lat, 0.5) / 1000.0;
    out->p99_ms = (double)pdns__hist_quantile(&st->lat, 0.99) / 1000.0;
    out->controlled = pdns__ctl_server(r, k, &out->optimal_qps, &out->converged,
                                       &out->converged_after_s, &out->phase);
    out->edges = st->n_edges;
    {
        pdns__near_figures nf;
        pdns__stats_near(st, out->optimal_qps, &nf);
        out->near_loss = nf.loss;
        out->near_p50_ms = nf.p50_ms;
        out->near_p99_ms = nf.p99_ms;
    }
    out->transport = pdns__proto_name(r->srv[k].addr.proto);
    out->conn_opened = st->conn.opened;
    out->conn_failures = st->conn.failures;
    out->conn_error = st->conn.last_error;
}

void pdns__engine_totals(const pdns__engine *r, pdns_totals *out)
{
    memset(out, 0, sizeof *out);
    out->names = r->names_read;
    out->records = r->records;
    out->elapsed_s = pdns__engine_elapsed(r);
    memcpy(out->statuses, r->counts, sizeof out->statuses);
    out->input_error = r->source_error;
    out->halted = r->halted;
}

double pdns__engine_elapsed(const pdns__engine *r)
{
    uint64_t end = r->end_ns ? r->end_ns : uv_hrtime();
    return r->start_ns ? (double)(end - r->start_ns) / 1e9 : 0.0;
}

time_t pdns__engine_started(const pdns__engine *r)
{
    return r->started_wall;
}
