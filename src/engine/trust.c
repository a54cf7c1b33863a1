/* trust.c - the engine's trust glue: trusted servers, canary rounds, quarantine, held
 * records, --verify and wildcard probes. Decisions are core/trust.c's.
 * SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <uv.h>

#include "core/job.h"
#include "core/pacer.h"
#include "core/trust.h"
#include "dns/name.h"
#include "dns/wire.h"
#include "engine/engine_int.h"
#include "engine/trust.h"

/* IMPLEMENTATION NOTES
 * Side queries. Canaries, their references, wildcard probes and verification queries
 * are "side queries": queued here and sent at the start of each dispatch when their
 * server has a pacer token and a free slot (a trusted server: the one trusted pacer at
 * --trusted-qps in total). They count in the server's stats and controller like any
 * query, and in its "canaries" or "wildcard_probes".
 *
 * Held records. A record answered by a bulk server (NOERROR, NODATA, NXDOMAIN) is held
 * when it still needs something: its server's next canary round to pass (canaries on),
 * its wildcard verdict, its verification. The engine counts it as alive, so the run does
 * not end before it is written. It is written (through pdns__engine_emit) once nothing
 * is missing; if its server is quarantined first, it is dropped and its (name, type)
 * admitted again (pdns__engine_readmit): healthy servers answer it, and exactly one
 * record is written.
 *
 * Canary rounds. A round for server s (due: core/trust.c's schedule) sends one random
 * label under a zone of the input to s, and takes up to TG_SAMPLES records s answered
 * (held) as samples. A random label answered NXDOMAIN passes at once; a positive answer,
 * and each sample, is asked of references (trusted servers first, then other servers not
 * quarantined, healthy ones first) one at a time until pdns__trust_judge decides. A FAIL
 * quarantines s with the reason; a round without failure passes: the records s answered
 * before the round was sent are believed.
 *
 * Wildcards. A positive record waits on the wildcard entry of its parent (core/trust.c
 * decides; this file sends the probes to healthy servers only, so a server hijacking
 * NXDOMAIN is caught by its canary before its answers can make a zone look wildcard).
 * When the parent explains the record, the next ancestor is checked, to name the
 * highest wildcard that explains it. */

#define TG_TICK_MS     20
#define TG_PERIOD_NS   (2000ull * 1000000ull) /* a round at least every 2 s ... */
#define TG_EVERY       2000                   /* ... or every 2,000 answers */
#define TG_TAIL_GAP_NS (20ull * 1000000ull)
#define TG_SAMPLES     4 /* held records compared per round */
#define TG_MAX_REFS    3 /* references asked about one answer at most */
#define TG_ZONES       32
#define TG_UNSURE_MAX  3 /* rounds in a row with nothing conclusive before giving up */

typedef struct hrec hrec;
typedef struct cround cround;
typedef struct check check;

typedef enum sqkind { SQ_CHECK = 0, SQ_WILD, SQ_VERIFY } sqkind;

typedef struct sq {
    struct sq *next;     /* queue, then the list of those out */
    struct sq *all_next; /* every side query alive, for the final free */
    struct sq *all_prev;
    pdns__engine *r;
    sqkind kind;
    int dest; /* < n_srv: bulk server; n_srv + k: trusted k; -1: any healthy server */
    int busy;
    uint64_t sent_ns;
    check *ck;         /* SQ_CHECK */
    pdns__wc_entry *e; /* SQ_WILD */
    hrec *h;           /* SQ_VERIFY */
    uint16_t qtype;
    char qname[PDNS__NAME_TEXT_MAX + 16];
} sq;

/* One answer being judged against references (a random label, or a sample). */
struct check {
    cround *rd;
    hrec *h;          /* a sample: the held record (own = its set) */
    int phase;        /* random label: 0 asking s itself, 1 references */
    pdns__aset own;   /* the judged server's answer */
    char own_txt[80]; /* its first answer or status, for the reason */
    pdns__aset ref[TG_MAX_REFS];
    char ref_txt[TG_MAX_REFS][120];
    int n_ref;
    int used[TG_MAX_REFS]; /* the references' dests */
    uint16_t qtype;
    char qname[PDNS__NAME_TEXT_MAX + 16];
};

struct cround {
    int srv;
    uint64_t mark; /* the server's epoch when it was sent */
    int pending;   /* checks not decided */
    int failed;
    int passed; /* checks that passed (a round of unsure checks proves nothing) */
};

struct hrec {
    hrec *prev, *next; /* the held list */
    hrec *wc_next;     /* waiters of one wildcard entry */
    int srv;
    uint64_t mark;
    int dead;        /* dropped (readmitted): freed once nothing refers to it */
    int refs;        /* side queries and checks pointing at it */
    int wc_wait;     /* waiting on a wildcard entry */
    int wc_idx;      /* that entry's index */
    int verify_wait; /* verification out */
    int sampled;     /* taken as a canary sample */
    pdns__aset set;
    char wc_zone[PDNS__NAME_TEXT_MAX];
    char wildcard[PDNS__NAME_TEXT_MAX + 3];
    int verified;
    int verify_sent;              /* the first verification query went out */
    int wc_yes;                   /* index of the wildcard entry that explains it, -1 none */
    pdns__aset tset;              /* the trusted server's answer */
    pdns__aset vref[TG_MAX_REFS]; /* references asked (the trusted one first) */
    int vused[TG_MAX_REFS];       /* their dests */
    int n_vref;
    char tstatus[16];
    pdns_answer *tans;
    size_t n_tans;
    /* the record's own copy */
    pdns_result res;
    char *name, *qname, *error, *server, *nsid, *ecs;
    pdns_answer *ans;
    char **cname;
};

typedef struct tsrv { /* a trusted server */
    pdns__addr addr;
    pdns__transport *tp;
    pdns__server_stats st;
    unsigned inflight;
} tsrv;

struct pdns__tglue {
    int canaries, verify;
    pdns_wildcards wildcards;
    pdns__trust_srv *ts; /* [n_srv] */
    tsrv *tr;
    size_t n_tr, tr_next;
    pdns__pacer tpacer;
    double trusted_qps;
    sq *q_head, *q_tail; /* queued side queries */
    sq *all;             /* every side query alive */
    hrec *held_head, *held_tail;
    size_t n_held;
    pdns__wcache wc;
    hrec **wc_waiters; /* [wc.cap] */
    struct {
        char name[PDNS__NAME_TEXT_MAX];
        int wild;
    } zones[TG_ZONES];
    size_t n_zones, zone_next;
    size_t any_next;
    uv_timer_t timer;
    int timer_init;
    int halted;
    uint64_t start_ns;
};

static uint64_t rnd64(void)
{
    uint64_t v = 0;
    if (getrandom(&v, sizeof v, 0) != (ssize_t)sizeof v)
        v = uv_hrtime() * 6364136223846793005ull + 1442695040888963407ull;
    return v;
}

static double secs(const pdns__engine *r)
{
    return (double)(uv_hrtime() - r->start_ns) / 1e9;
}

/* ---- held records --------------------------------------------------------------- */

static char *dupz(const char *s)
{
    return s ? strdup(s) : NULL;
}

static void hrec_free(hrec *h)
{
    for (size_t i = 0; i < h->res.n_answers; i++) {
        free((char *)h->ans[i].name);
        free((char *)h->ans[i].data);
    }
    for (size_t i = 0; i < h->n_tans; i++) {
        free((char *)h->tans[i].name);
        free((char *)h->tans[i].data);
    }
    for (size_t i = 0; i < h->res.n_cname; i++)
        free(h->cname[i]);
    free(h->ans);
    free(h->tans);
    free(h->cname);
    free(h->name);
    free(h->qname);
    free(h->error);
    free(h->server);
    free(h->nsid);
    free(h->ecs);
    free(h);
}

static hrec *hrec_copy(const pdns_result *res)
{
    hrec *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    h->res = *res;
    h->res.n_answers = 0;
    h->res.n_cname = 0;
    h->verified = 0;
    h->wc_yes = -1;
    if ((res->name && !(h->name = dupz(res->name))) ||
        (res->qname && !(h->qname = dupz(res->qname))) ||
        (res->error && !(h->error = dupz(res->error))) ||
        (res->server && !(h->server = dupz(res->server))) ||
        (res->nsid && !(h->nsid = dupz(res->nsid))) || (res->ecs && !(h->ecs = dupz(res->ecs))))
        goto fail;
    if (res->n_answers) {
        if (!(h->ans = calloc(res->n_answers, sizeof *h->ans)))
            goto fail;
        for (size_t i = 0; i < res->n_answers; i++) {
            h->ans[i] = res->answers[i];
            h->ans[i].name = dupz(res->answers[i].name);
            h->ans[i].data = dupz(res->answers[i].data);
            h->res.n_answers++;
            if (!h->ans[i].name || !h->ans[i].data)
                goto fail;
        }
    }
    if (res->n_cname) {
        if (!(h->cname = calloc(res->n_cname, sizeof *h->cname)))
            goto fail;
        for (size_t i = 0; i < res->n_cname; i++) {
            h->res.n_cname++;
            if (!(h->cname[i] = strdup(res->cname[i])))
                goto fail;
        }
    }
    h->res.name = h->name;
    h->res.qname = h->qname;
    h->res.error = h->error;
    h->res.server = h->server;
    h->res.nsid = h->nsid; /* the job (and its NSID text) is freed while the record waits */
    h->res.ecs = h->ecs;
    h->res.answers = h->ans;
    h->res.cname = (const char *const *)h->cname;
    pdns__aset_from_record(&h->set, res->rcode, res->answers, res->n_answers, res->cname,
                           res->n_cname);
    return h;
fail:
    hrec_free(h);
    return NULL;
}

static void held_del(pdns__tglue *g, hrec *h)
{
    if (h->prev)
        h->prev->next = h->next;
    else
        g->held_head = h->next;
    if (h->next)
        h->next->prev = h->prev;
    else
        g->held_tail = h->prev;
    h->prev = h->next = NULL;
    g->n_held--;
}

static void hrec_unref(hrec *h)
{
    if (--h->refs == 0 && h->dead)
        hrec_free(h);
}

/* Drop a held record (its line is asked again, or reported unfinished). */
static void hrec_drop(pdns__engine *r, hrec *h, int readmit)
{
    pdns__tglue *g = r->tg;
    held_del(g, h);
    h->dead = 1;
    if (readmit && !g->halted) {
        pdns__engine_readmit(r, &h->res);
    } else {
        pdns_result res = h->res;
        res.status = PDNS_R_ERROR;
        res.n_answers = 0;
        res.n_cname = 0;
        res.error = "every server is quarantined";
        res.unfinished = 1;
        pdns__engine_emit(r, &res);
    }
    if (h->refs == 0)
        hrec_free(h);
}

static int believed(const pdns__tglue *g, const hrec *h)
{
    return !g->canaries || h->srv < 0 || pdns__trust_believed(&g->ts[h->srv], h->mark);
}

/* Write the record if nothing is missing any more. */
static void try_release(pdns__engine *r, hrec *h)
{
    pdns__tglue *g = r->tg;
    pdns_result res;
    if (h->dead || h->wc_wait || h->verify_wait || !believed(g, h))
        return;
    held_del(g, h);
    h->dead = 1;
    res = h->res;
    if (h->wildcard[0] && g->wildcards != PDNS_WILDCARDS_OFF) {
        res.wildcard = h->wildcard;
        if (g->wildcards == PDNS_WILDCARDS_FILTER) {
            res.status = PDNS_R_WILDCARD;
            res.n_answers = 0;
            res.answers = NULL;
        }
    }
    res.verified = h->verified;
    if (h->verified < 0) {
        res.trusted_answers = h->tans;
        res.n_trusted_answers = h->n_tans;
        res.trusted_status = h->tstatus;
    }
    pdns__engine_emit(r, &res);
    if (h->refs == 0)
        hrec_free(h);
}

/* ---- side queries --------------------------------------------------------------- */

static void sq_reply(void *arg, const pdns__reply *rep);

static sq *sq_new(pdns__engine *r, sqkind kind, int dest, const char *qname, uint16_t qtype)
{
    pdns__tglue *g = r->tg;
    sq *q = calloc(1, sizeof *q);
    if (!q)
        return NULL;
    q->r = r;
    q->kind = kind;
    q->dest = dest;
    q->qtype = qtype;
    snprintf(q->qname, sizeof q->qname, "%s", qname);
    q->all_next = g->all;
    if (g->all)
        g->all->all_prev = q;
    g->all = q;
    if (g->q_tail)
        g->q_tail->next = q;
    else
        g->q_head = q;
    g->q_tail = q;
    pdns__engine_kick(r);
    return q;
}

static void sq_free(pdns__tglue *g, sq *q)
{
    if (q->all_prev)
        q->all_prev->all_next = q->all_next;
    else
        g->all = q->all_next;
    if (q->all_next)
        q->all_next->all_prev = q->all_prev;
    free(q);
}

static const char *dest_text(const pdns__engine *r, int dest)
{
    if (dest < 0)
        return "?";
    if ((size_t)dest < r->n_srv)
        return r->srv[dest].addr.text;
    return r->tg->tr[dest - (int)r->n_srv].addr.text;
}

/* A healthy bulk server with a token and a free slot (round robin), or -1. */
static int take_healthy(pdns__engine *r, uint64_t now)
{
    pdns__tglue *g = r->tg;
    for (size_t k = 0; k < r->n_srv; k++) {
        size_t s = (g->any_next + k) % r->n_srv;
        pdns__srv *sv = &r->srv[s];
        if (g->ts[s].state != PDNS__TS_HEALTHY && g->canaries)
            continue;
        if (g->ts[s].state == PDNS__TS_QUARANTINED || sv->inflight >= sv->max_inflight)
            continue;
        if (!pdns__pacer_take(&sv->pacer, now))
            continue;
        g->any_next = s + 1;
        return (int)s;
    }
    return -1;
}

/* Send q if its server has a token; returns 1 when sent (or ended), 0 to keep it. */
static int sq_try_send(pdns__engine *r, sq *q, uint64_t now)
{
    pdns__tglue *g = r->tg;
    pdns__transport *tp;
    pdns_status st;
    if (q->dest < 0) {
        int s = take_healthy(r, now);
        if (s < 0)
            return 0;
        q->dest = s;
    } else if ((size_t)q->dest < r->n_srv) {
        pdns__srv *sv = &r->srv[q->dest];
        if (sv->inflight >= sv->max_inflight || !pdns__pacer_take(&sv->pacer, now))
            return 0;
    } else if (!pdns__pacer_take(&g->tpacer, now)) {
        return 0;
    }
    q->busy = 1;
    q->sent_ns = now;
    if ((size_t)q->dest < r->n_srv) {
        pdns__srv *sv = &r->srv[q->dest];
        sv->inflight++;
        pdns__stats_on_send(&sv->st, 0);
        pdns__ctl_on_send(r, (size_t)q->dest, now);
        if (q->kind == SQ_WILD)
            g->ts[q->dest].wildcard_probes++;
        tp = sv->tp;
    } else {
        tsrv *t = &g->tr[q->dest - (int)r->n_srv];
        t->inflight++;
        pdns__stats_on_send(&t->st, 0);
        tp = t->tp;
    }
    st = r->tvt->query(tp, q->qname, q->qtype, 0, NULL, sq_reply, q);
    if (st != PDNS_OK) {
        pdns__reply rep;
        memset(&rep, 0, sizeof rep);
        rep.kind = PDNS__T_ERROR;
        rep.error = pdns_strerror(st);
        rep.send_error = 1;
        sq_reply(q, &rep); /* ends it as a failure (frees q) */
    }
    return 1;
}

void pdns__tg_dispatch(pdns__engine *r, uint64_t now)
{
    pdns__tglue *g = r->tg;
    sq *prev = NULL, *q;
    size_t budget = 256; /* bounded work per dispatch */
    if (!g || r->state != PDNS__RS_RUNNING)
        return;
    q = g->q_head;
    while (q && budget--) {
        sq *next = q->next;
        /* unlink first: a failed send frees it */
        if (prev)
            prev->next = next;
        else
            g->q_head = next;
        if (g->q_tail == q)
            g->q_tail = prev;
        q->next = NULL;
        if (!sq_try_send(r, q, now)) { /* keep it where it was */
            q->next = next;
            if (prev)
                prev->next = q;
            else
                g->q_head = q;
            if (!next)
                g->q_tail = q;
            prev = q;
        }
        q = next;
    }
}

/* ---- quarantine ----------------------------------------------------------------- */

static void quarantine(pdns__engine *r, int s, const char *reason)
{
    pdns__tglue *g = r->tg;
    hrec *h, *next;
    if (!pdns__trust_fail(&g->ts[s], secs(r), reason))
        return;
    if (r->opt.on_trust)
        r->opt.on_trust(r->srv[s].addr.text, "quarantined", g->ts[s].reason, r->opt.user);
    if (pdns__tg_usable_count(r) == 0) {
        g->halted = 1;
        snprintf(r->errbuf, sizeof r->errbuf, "every server is quarantined (last: %s: %s)",
                 r->srv[s].addr.text, g->ts[s].reason);
        pdns__engine_halt(r);
    }
    /* what it answered and was not written yet is asked again elsewhere */
    for (h = g->held_head; h; h = next) {
        next = h->next;
        if (h->srv == s || g->halted)
            hrec_drop(r, h, 1);
    }
}

static void round_done_check(pdns__engine *r, cround *rd)
{
    pdns__tglue *g = r->tg;
    if (--rd->pending > 0)
        return;
    pdns__canary_done(&g->ts[rd->srv].sched);
    /* a round of unsure checks only (random labels under wildcard zones, CDN answers)
     * proves nothing; after TG_UNSURE_MAX such rounds in a row the server is taken as it
     * is, so that held records are not held forever */
    if (!rd->failed && !rd->passed && ++g->ts[rd->srv].unsure_rounds < TG_UNSURE_MAX)
        rd->failed = -1;
    if (!rd->failed) {
        hrec *h, *next;
        g->ts[rd->srv].unsure_rounds = 0;
        pdns__trust_pass(&g->ts[rd->srv], rd->mark + 1);
        for (h = g->held_head; h; h = next) {
            next = h->next;
            if (h->srv == rd->srv)
                try_release(r, h);
        }
    }
    free(rd);
}

/* Ask the next reference about ck, or decide. */
static void check_step(pdns__engine *r, check *ck);

static void check_end(pdns__engine *r, check *ck, pdns__tj v, const char *why)
{
    cround *rd = ck->rd;
    if (v == PDNS__TJ_FAIL && !rd->failed) {
        char reason[240];
        char tb[16];
        rd->failed = 1;
        snprintf(reason, sizeof reason, "%s: %s %s answered %s", why, ck->qname,
                 pdns_rrtype_name(ck->qtype, tb), ck->own_txt);
        /* with the first reference that answered */
        for (int i = 0; i < ck->n_ref; i++)
            if (ck->ref[i].obs != PDNS__OBS_NONE) {
                snprintf(reason, sizeof reason, "%s: %s %s answered %s; %s", why, ck->qname,
                         pdns_rrtype_name(ck->qtype, tb), ck->own_txt, ck->ref_txt[i]);
                break;
            }
        quarantine(r, rd->srv, reason);
    }
    if (ck->h) {
        ck->h->sampled = 0;
        hrec_unref(ck->h);
    }
    if (v == PDNS__TJ_PASS)
        rd->passed++;
    round_done_check(r, rd);
    free(ck);
}

/* The next reference for judging server s: the trusted servers, the first trusted one
 * a second time (a trusted answer that changes between two asks is no stable answer:
 * load-balanced names), then healthy, then unchecked bulk servers; none of the n in used
 * but that repeat. -1: none left. */
static int ref_dest(const pdns__engine *r, int s, const int *used, int n)
{
    const pdns__tglue *g = r->tg;
    int t0 = 0;
    for (size_t k = 0; k < g->n_tr; k++) {
        int d = (int)(r->n_srv + k), u = 0;
        for (int i = 0; i < n; i++)
            u += used[i] == d;
        if (!u)
            return d;
    }
    for (int i = 0; i < n; i++)
        t0 += g->n_tr && used[i] == (int)r->n_srv;
    if (g->n_tr && t0 == 1)
        return (int)r->n_srv;
    for (int pass = 0; pass < 2; pass++)
        for (size_t k = 0; k < r->n_srv; k++) {
            pdns__tstate want = pass == 0 ? PDNS__TS_HEALTHY : PDNS__TS_UNCHECKED;
            int u = 0;
            if ((int)k == s || g->ts[k].state != want)
                continue;
            for (int i = 0; i < n; i++)
                u |= used[i] == (int)k;
            if (!u)
                return (int)k;
        }
    return -1;
}

static void check_step(pdns__engine *r, check *ck)
{
    const char *why = NULL;
    pdns__tj v;
    int more = ck->n_ref < TG_MAX_REFS && ref_dest(r, ck->rd->srv, ck->used, ck->n_ref) >= 0;
    if (ck->n_ref == 0 && ck->own.obs != PDNS__OBS_POS && !ck->h) {
        check_end(r, ck, PDNS__TJ_PASS, NULL); /* a random label that does not exist */
        return;
    }
    v = ck->n_ref ? pdns__trust_judge(&ck->own, ck->ref, (size_t)ck->n_ref, more, &why)
                  : (more ? PDNS__TJ_MORE : PDNS__TJ_UNSURE);
    if (v == PDNS__TJ_MORE) {
        int d = ref_dest(r, ck->rd->srv, ck->used, ck->n_ref);
        sq *q = sq_new(r, SQ_CHECK, d, ck->qname, ck->qtype);
        if (q) {
            ck->used[ck->n_ref] = d;
            q->ck = ck;
            r->tg->ts[ck->rd->srv].canaries++;
            return;
        }
        v = PDNS__TJ_UNSURE;
    }
    if (v == PDNS__TJ_UNSURE && !ck->h && ck->own.obs == PDNS__OBS_POS) {
        /* a random label answered everywhere: a wildcard zone, no use for canaries */
        for (size_t i = 0; i < r->tg->n_zones; i++)
            if (strlen(ck->qname) > 13 && pdns__name_equal(r->tg->zones[i].name, ck->qname + 13))
                r->tg->zones[i].wild = 1;
    }
    check_end(r, ck, v, why);
}

static void describe(char *out, size_t cap, const pdns__reply *rep, uint16_t qtype)
{
    if (rep->kind != PDNS__T_ANSWER) {
        snprintf(out, cap, "no answer");
        return;
    }
    for (size_t i = 0; i < rep->n_rr; i++)
        if (rep->rr[i].type == qtype || rep->rr[i].type == PDNS__TYPE_CNAME) {
            snprintf(out, cap, "%.60s%s", rep->rr[i].data, rep->n_rr > 1 ? " ..." : "");
            return;
        }
    snprintf(out, cap, "%s", pdns_rcode_name(rep->rcode));
}

/* ---- replies -------------------------------------------------------------------- */

static void wc_pump(pdns__engine *r, pdns__wc_entry *e);
static void wc_wake(pdns__engine *r, int idx);
static void verify_reply(pdns__engine *r, hrec *h, int dest, const pdns__reply *rep);

static void sq_reply(void *arg, const pdns__reply *rep)
{
    sq *q = arg;
    pdns__engine *r = q->r;
    pdns__tglue *g = r->tg;
    uint64_t now = uv_hrtime();
    uint64_t sent = rep->sent_ns && rep->sent_ns <= now ? rep->sent_ns : q->sent_ns;
    pdns__aset set;
    int usable = rep->kind == PDNS__T_ANSWER && !rep->tc;

    if ((size_t)q->dest < r->n_srv) {
        pdns__srv *sv = &r->srv[q->dest];
        sv->inflight--;
        if (rep->kind == PDNS__T_TIMEOUT) {
            pdns__stats_on_timeout(&sv->st);
            pdns__ctl_on_loss(r, (size_t)q->dest, q->sent_ns, now);
        } else if (rep->kind == PDNS__T_ANSWER) {
            sv->last_answer_ns = now;
            pdns__stats_on_answer(&sv->st, rep->rcode, rep->tc, now - sent);
            pdns__ctl_on_answer(r, (size_t)q->dest, rep->rcode, rep->tc, now - sent, now);
        } else if (rep->kind == PDNS__T_MALFORMED) {
            pdns__stats_on_malformed(&sv->st);
        } else if (rep->kind == PDNS__T_UNREACHABLE) {
            pdns__stats_on_unreachable(&sv->st, rep->send_error);
        }
    } else {
        tsrv *t = &g->tr[q->dest - (int)r->n_srv];
        t->inflight--;
        if (rep->kind == PDNS__T_TIMEOUT)
            pdns__stats_on_timeout(&t->st);
        else if (rep->kind == PDNS__T_ANSWER)
            pdns__stats_on_answer(&t->st, rep->rcode, rep->tc, now - sent);
        else if (rep->kind == PDNS__T_MALFORMED)
            pdns__stats_on_malformed(&t->st);
    }
    if (r->abandon || g->halted) {
        if (q->kind == SQ_WILD && q->e->in_flight)
            q->e->in_flight--;
        if (q->kind == SQ_VERIFY)
            hrec_unref(q->h);
        sq_free(g, q);
        pdns__engine_kick(r);
        return;
    }
    if (usable)
        pdns__aset_from_rrs(&set, rep->rcode, q->qtype, rep->rr, rep->n_rr);
    else
        pdns__aset_from_rrs(&set, -1, q->qtype, NULL, 0);
    switch (q->kind) {
    case SQ_CHECK: {
        check *ck = q->ck;
        if (ck->phase == 0) { /* the judged server's own answer to a random label */
            ck->own = set;
            describe(ck->own_txt, sizeof ck->own_txt, rep, q->qtype);
            ck->phase = 1;
        } else {
            int i = ck->n_ref++;
            char d[80];
            ck->ref[i] = set;
            describe(d, sizeof d, rep, q->qtype);
            snprintf(ck->ref_txt[i], sizeof ck->ref_txt[i], "%s says %s", dest_text(r, q->dest), d);
        }
        sq_free(g, q);
        check_step(r, ck);
        break;
    }
    case SQ_WILD: {
        pdns__wc_entry *e = q->e;
        int dest = q->dest;
        uint32_t ttl = UINT32_MAX;
        for (size_t i = 0; usable && i < rep->n_rr; i++)
            if (rep->rr[i].ttl < ttl)
                ttl = rep->rr[i].ttl;
        if (ttl == UINT32_MAX)
            ttl = 300;
        sq_free(g, q);
        if (g->ts[dest].state == PDNS__TS_QUARANTINED) /* its word counts for nothing */
            pdns__aset_from_rrs(&set, -1, 0, NULL, 0);
        pdns__wc_on_probe(e, &set, ttl, now);
        wc_wake(r, (int)(e - g->wc.e));
        break;
    }
    case SQ_VERIFY: {
        hrec *h = q->h;
        int dest = q->dest;
        sq_free(g, q);
        if (!h->dead)
            verify_reply(r, h, dest, usable ? rep : NULL);
        hrec_unref(h);
        break;
    }
    }
    pdns__engine_kick(r);
}

/* ---- canary rounds -------------------------------------------------------------- */

static void note_zone(pdns__tglue *g, const char *qname)
{
    const char *p = qname ? pdns__trust_parent(qname) : NULL;
    if (!p)
        return;
    for (size_t i = 0; i < g->n_zones; i++)
        if (pdns__name_equal(g->zones[i].name, p))
            return;
    snprintf(g->zones[g->zone_next].name, sizeof g->zones[0].name, "%s", p);
    g->zones[g->zone_next].wild = 0;
    g->zone_next = (g->zone_next + 1) % TG_ZONES;
    if (g->n_zones < TG_ZONES)
        g->n_zones++;
}

static check *check_new(cround *rd)
{
    check *ck = calloc(1, sizeof *ck);
    if (!ck)
        return NULL;
    ck->rd = rd;
    rd->pending++;
    return ck;
}

static void start_round(pdns__engine *r, size_t s, uint64_t now)
{
    pdns__tglue *g = r->tg;
    pdns__trust_srv *t = &g->ts[s];
    cround *rd;
    size_t nz = 0, pick[TG_ZONES];
    hrec *samples[TG_SAMPLES];
    size_t n_s = 0, seen = 0;

    for (size_t i = 0; i < g->n_zones; i++)
        if (!g->zones[i].wild)
            pick[nz++] = i;
    /* reservoir sample of the records s answered and holds */
    for (hrec *h = g->held_head; h; h = h->next) {
        if (h->srv != (int)s || h->sampled || h->mark > t->epoch || h->wc_wait || h->wildcard[0])
            continue; /* (a load-balanced wildcard's answers differ by design) */
        seen++;
        if (n_s < TG_SAMPLES)
            samples[n_s++] = h;
        else {
            size_t j = (size_t)(rnd64() % seen);
            if (j < TG_SAMPLES)
                samples[j] = h;
        }
    }
    if (!nz && !n_s)
        return; /* nothing to check yet: nothing held either */
    if (!(rd = calloc(1, sizeof *rd)))
        return;
    rd->srv = (int)s;
    rd->mark = t->epoch;
    rd->pending = 1; /* held by this function until every check is started */
    pdns__canary_sent(&t->sched, now);
    if (nz) {
        check *ck = check_new(rd);
        char label[13];
        sq *q;
        if (ck) {
            pdns__trust_label(label, rnd64());
            snprintf(ck->qname, sizeof ck->qname, "%s.%s", label,
                     g->zones[pick[rnd64() % nz]].name);
            ck->qtype = PDNS__TYPE_A;
            if ((q = sq_new(r, SQ_CHECK, (int)s, ck->qname, ck->qtype))) {
                q->ck = ck;
                t->canaries++;
            } else {
                check_end(r, ck, PDNS__TJ_UNSURE, NULL);
            }
        }
    }
    for (size_t i = 0; i < n_s; i++) {
        check *ck = check_new(rd);
        hrec *h = samples[i];
        if (!ck)
            break;
        ck->h = h;
        h->refs++;
        h->sampled = 1;
        ck->phase = 1;
        ck->own = h->set;
        ck->qtype = h->res.qtype;
        snprintf(ck->qname, sizeof ck->qname, "%s", h->qname ? h->qname : h->name);
        if (h->res.n_answers)
            snprintf(ck->own_txt, sizeof ck->own_txt, "%.60s", h->ans[0].data);
        else if (h->res.n_cname)
            snprintf(ck->own_txt, sizeof ck->own_txt, "%.60s", h->cname[0]);
        else
            snprintf(ck->own_txt, sizeof ck->own_txt, "%s", pdns_rstatus_name(h->res.status));
        check_step(r, ck);
    }
    round_done_check(r, rd);
}

static void tick_cb(uv_timer_t *tm)
{
    pdns__engine *r = tm->data;
    pdns__tglue *g = r->tg;
    uint64_t now = uv_hrtime();
    int tail = pdns__list_empty(&r->ready) && (r->source_eof || r->stopping) &&
               pdns__pendq_empty(&r->pend);
    if (!g->canaries || g->halted || r->state != PDNS__RS_RUNNING)
        return;
    for (size_t s = 0; s < r->n_srv; s++) {
        pdns__trust_srv *t = &g->ts[s];
        int held = 0;
        if (t->state == PDNS__TS_QUARANTINED)
            continue;
        if (tail)
            for (hrec *h = g->held_head; h && !held; h = h->next)
                held = h->srv == (int)s;
        if (pdns__canary_due(&t->sched, now, held, tail))
            start_round(r, s, now);
    }
    if (g->q_head)
        pdns__engine_kick(r);
}

/* ---- wildcards ------------------------------------------------------------------ */

static void wc_attach(pdns__engine *r, hrec *h);
static void start_verify(pdns__engine *r, hrec *h);

/* The wildcard verdict is in: verification goes out now (it needs the verdict to judge
 * a load-balanced wildcard's answers), or the record is written. */
static void wc_finished(pdns__engine *r, hrec *h)
{
    if (h->verify_wait && !h->verify_sent)
        start_verify(r, h);
    try_release(r, h);
}

/* Probes for entry e while it wants them. */
static void wc_pump(pdns__engine *r, pdns__wc_entry *e)
{
    while (pdns__wc_want_probe(e)) {
        char label[13], qn[PDNS__NAME_TEXT_MAX + 16];
        sq *q;
        pdns__trust_label(label, rnd64());
        snprintf(qn, sizeof qn, "%s.%s", label, e->zone);
        if (!(q = sq_new(r, SQ_WILD, -1, qn, e->qtype)))
            return;
        q->e = e;
        e->in_flight++;
    }
}

/* Entry idx learned something: judge the records waiting on it. */
static void wc_wake(pdns__engine *r, int idx)
{
    pdns__tglue *g = r->tg;
    pdns__wc_entry *e = &g->wc.e[idx];
    hrec *h = g->wc_waiters[idx], *keep = NULL;
    g->wc_waiters[idx] = NULL;
    while (h) {
        hrec *next = h->wc_next;
        pdns__wcv v;
        h->wc_next = NULL;
        if (h->dead) {
            h->wc_wait = 0;
            hrec_unref(h);
            h = next;
            continue;
        }
        v = pdns__wc_explain(e, &h->set);
        if (v == PDNS__WCV_WAIT) {
            h->wc_next = keep;
            keep = h;
        } else {
            h->wc_wait = 0;
            if (v == PDNS__WCV_YES) {
                const char *up;
                snprintf(h->wildcard, sizeof h->wildcard, "*.%s", e->zone);
                h->wc_yes = idx;
                up = pdns__trust_parent(e->zone);
                if (up) { /* a higher wildcard may explain it too: name the highest */
                    snprintf(h->wc_zone, sizeof h->wc_zone, "%s", up);
                    h->refs--; /* wc_attach takes its own */
                    wc_attach(r, h);
                    h = next;
                    continue;
                }
            }
            h->refs--; /* not dead: nothing to free */
            wc_finished(r, h);
        }
        h = next;
    }
    while (keep) {
        hrec *next = keep->wc_next;
        keep->wc_next = g->wc_waiters[idx];
        g->wc_waiters[idx] = keep;
        keep = next;
    }
    if (g->wc_waiters[idx])
        wc_pump(r, e);
}

/* Wait on the entry of h->wc_zone (or decide at once when it is settled). */
static void wc_attach(pdns__engine *r, hrec *h)
{
    pdns__tglue *g = r->tg;
    pdns__wc_entry *e = pdns__wc_get(&g->wc, h->wc_zone, h->res.qtype, uv_hrtime());
    int idx;
    if (!e) { /* the table is full of probing entries: not judged */
        h->wc_wait = 0;
        wc_finished(r, h);
        return;
    }
    idx = (int)(e - g->wc.e);
    h->wc_wait = 1;
    h->wc_idx = idx;
    h->refs++;
    h->wc_next = g->wc_waiters[idx];
    g->wc_waiters[idx] = h;
    if (e->state != PDNS__WCS_PROBING)
        wc_wake(r, idx);
    else
        wc_pump(r, e);
}

/* ---- verify --------------------------------------------------------------------- */

static void copy_tans(hrec *h, const pdns__reply *rep, uint16_t qtype)
{
    size_t n = 0;
    if (!rep)
        return;
    snprintf(h->tstatus, sizeof h->tstatus, "%s",
             pdns_rstatus_name(pdns__rstatus_from_rcode(rep->rcode)));
    if (!rep->n_rr || !(h->tans = calloc(rep->n_rr, sizeof *h->tans)))
        return;
    for (size_t i = 0; i < rep->n_rr; i++) {
        if (rep->rr[i].type != qtype)
            continue;
        h->tans[n] = rep->rr[i];
        h->tans[n].name = dupz(rep->rr[i].name);
        h->tans[n].data = dupz(rep->rr[i].data);
        n++;
    }
    h->n_tans = n;
    if (n > 0 && h->tstatus[0] == 'N' && !strcmp(h->tstatus, "NOERROR"))
        return;
    if (rep->rcode == PDNS__RCODE_NOERROR && n == 0)
        snprintf(h->tstatus, sizeof h->tstatus, "NODATA");
}

static void start_verify(pdns__engine *r, hrec *h)
{
    pdns__tglue *g = r->tg;
    sq *q = sq_new(r, SQ_VERIFY, (int)(r->n_srv + g->tr_next++ % g->n_tr), h->qname, h->res.qtype);
    h->verify_sent = 1;
    if (!q) {
        h->verify_wait = 0;
        return;
    }
    q->h = h;
    h->refs++;
}

/* A verification answer (rep NULL: none). The first comes from a trusted server: equal
 * sets verify the record. Otherwise the record keeps its answer with verified false,
 * unless a wildcard explains both; and the server is judged against more references
 * (pdns__trust_judge): a failure quarantines it (the record is then asked again). */
static void verify_reply(pdns__engine *r, hrec *h, int dest, const pdns__reply *rep)
{
    pdns__tglue *g = r->tg;
    pdns__aset set;
    const char *why = NULL;
    pdns__tj v;
    int more;
    if (rep)
        pdns__aset_from_rrs(&set, rep->rcode, h->res.qtype, rep->rr, rep->n_rr);
    else
        pdns__aset_from_rrs(&set, -1, h->res.qtype, NULL, 0);
    if (h->n_vref == 0) {
        h->tset = set;
        if (set.obs == PDNS__OBS_NONE) { /* the trusted server did not answer */
            h->verify_wait = 0;
            h->verified = 0;
            try_release(r, h);
            return;
        }
        if (pdns__aset_equal(&h->set, &set) ||
            (h->wc_yes >= 0 && pdns__aset_subset(&set, &g->wc.e[h->wc_yes].set))) {
            h->verified = 1; /* equal, or the same (load-balanced) wildcard's answers */
            h->verify_wait = 0;
            try_release(r, h);
            return;
        }
        h->verified = -1;
        copy_tans(h, rep, h->res.qtype);
    }
    if (h->n_vref < TG_MAX_REFS) {
        h->vused[h->n_vref] = dest;
        h->vref[h->n_vref++] = set;
    }
    more = h->n_vref < TG_MAX_REFS && ref_dest(r, h->srv, h->vused, h->n_vref) >= 0;
    v = pdns__trust_judge(&h->set, h->vref, (size_t)h->n_vref, more, &why);
    if (v == PDNS__TJ_FAIL) {
        char reason[240];
        snprintf(reason, sizeof reason, "%s: %s answered %s; trusted %s says %s%s%s", why, h->qname,
                 h->res.n_answers ? h->ans[0].data : pdns_rstatus_name(h->res.status),
                 g->n_tr ? g->tr[0].addr.text : "-", h->n_tans ? h->tans[0].data : h->tstatus,
                 h->n_vref > 1 ? ", and so does " : "", h->n_vref > 1 ? dest_text(r, dest) : "");
        quarantine(r, h->srv, reason);
        return;
    }
    if (v == PDNS__TJ_MORE) {
        int d = ref_dest(r, h->srv, h->vused, h->n_vref);
        sq *q = d >= 0 ? sq_new(r, SQ_VERIFY, d, h->qname, h->res.qtype) : NULL;
        if (q) {
            q->h = h;
            h->refs++;
            return;
        }
    }
    h->verify_wait = 0;
    try_release(r, h);
}

/* ---- hooks ---------------------------------------------------------------------- */

pdns_status pdns__tg_new(pdns__engine *r, const pdns__engine_cfg *cfg)
{
    pdns__tglue *g;
    int canaries = cfg->opt.canaries || cfg->n_trusted > 0 || cfg->opt.verify;
    if (!canaries && cfg->opt.wildcards == PDNS_WILDCARDS_OFF)
        return PDNS_OK;
    if (!(g = calloc(1, sizeof *g)))
        return PDNS_ERR_NOMEM;
    r->tg = g;
    g->canaries = canaries;
    g->verify = cfg->opt.verify && cfg->n_trusted > 0;
    g->wildcards = cfg->opt.wildcards;
    g->trusted_qps = cfg->opt.trusted_qps > 0 ? cfg->opt.trusted_qps : 50;
    if (pdns__wc_init(&g->wc, 0) != 0 ||
        !(g->wc_waiters = calloc(g->wc.cap, sizeof *g->wc_waiters)))
        return PDNS_ERR_NOMEM;
    if (cfg->n_trusted) {
        if (!(g->tr = calloc(cfg->n_trusted, sizeof *g->tr)))
            return PDNS_ERR_NOMEM;
        for (size_t k = 0; k < cfg->n_trusted; k++) {
            g->tr[k].addr = cfg->trusted[k];
            pdns__stats_init(&g->tr[k].st, cfg->trusted[k].text);
            g->n_tr++;
        }
    }
    return PDNS_OK;
}

pdns_status pdns__tg_start(pdns__engine *r, uint64_t now)
{
    pdns__tglue *g = r->tg;
    int rc;
    if (!g)
        return PDNS_OK;
    if (!(g->ts = calloc(r->n_srv ? r->n_srv : 1, sizeof *g->ts)))
        return PDNS_ERR_NOMEM;
    for (size_t s = 0; s < r->n_srv; s++)
        pdns__canary_init(&g->ts[s].sched, TG_PERIOD_NS, TG_EVERY, TG_TAIL_GAP_NS);
    if (!g->canaries) /* wildcards only: every server is taken as it is */
        for (size_t s = 0; s < r->n_srv; s++)
            g->ts[s].state = PDNS__TS_HEALTHY;
    pdns__pacer_init(&g->tpacer, g->trusted_qps, now);
    for (size_t k = 0; k < g->n_tr; k++) {
        pdns__tcfg tc = {.timeout_ms = r->opt.timeout_ms,
                         .mode = r->opt.transport,
                         .tls_ca = r->opt.tls_ca,
                         .tls_name = r->opt.tls_name,
                         .tls_insecure = r->opt.tls_insecure,
                         .conns = r->opt.stream_conns,
                         .doh_get = r->opt.doh_method == PDNS_DOH_GET,
                         .conn = &g->tr[k].st.conn};
        pdns_status st = r->tvt->create(r->loop, &r->tshared, &g->tr[k].addr, &tc, &g->tr[k].tp,
                                        r->errbuf, sizeof r->errbuf);
        if (st != PDNS_OK)
            return st;
    }
    g->start_ns = now;
    if ((rc = uv_timer_init(r->loop, &g->timer)) != 0) {
        snprintf(r->errbuf, sizeof r->errbuf, "libuv: %s", uv_strerror(rc));
        return PDNS_ERR_UV;
    }
    g->timer.data = r;
    g->timer_init = 1;
    r->handles_open++;
    if ((rc = uv_timer_start(&g->timer, tick_cb, TG_TICK_MS, TG_TICK_MS)) != 0) {
        snprintf(r->errbuf, sizeof r->errbuf, "libuv: %s", uv_strerror(rc));
        return PDNS_ERR_UV;
    }
    return PDNS_OK;
}

int pdns__tg_usable(const pdns__engine *r, size_t s)
{
    return !r->tg || !r->tg->ts || r->tg->ts[s].state != PDNS__TS_QUARANTINED;
}

size_t pdns__tg_usable_count(const pdns__engine *r)
{
    size_t n = 0;
    for (size_t s = 0; s < r->n_srv; s++)
        n += pdns__tg_usable(r, s);
    return n;
}

void pdns__tg_on_answer(pdns__engine *r, size_t s)
{
    pdns__tglue *g = r->tg;
    if (!g || !g->ts)
        return;
    g->ts[s].epoch++;
    pdns__canary_on_answer(&g->ts[s].sched);
}

int pdns__tg_take(pdns__engine *r, const pdns_result *res, int srv)
{
    pdns__tglue *g = r->tg;
    hrec *h;
    int answered = srv >= 0 && (res->status == PDNS_R_NOERROR || res->status == PDNS_R_NODATA ||
                                res->status == PDNS_R_NXDOMAIN);
    int positive = res->status == PDNS_R_NOERROR && (res->n_answers || res->n_cname);
    int need_canary, need_wc, need_verify;
    if (!g || !g->ts || res->unfinished || !answered)
        return 0;
    note_zone(g, res->qname);
    if (g->halted || g->ts[srv].state == PDNS__TS_QUARANTINED) {
        if (g->halted) {
            pdns_result u = *res;
            u.status = PDNS_R_ERROR;
            u.n_answers = 0;
            u.n_cname = 0;
            u.error = "every server is quarantined";
            u.unfinished = 1;
            pdns__engine_emit(r, &u);
        } else {
            pdns__engine_readmit(r, res);
        }
        return 1;
    }
    need_canary = g->canaries && !pdns__trust_believed(&g->ts[srv], g->ts[srv].epoch);
    need_wc = g->wildcards != PDNS_WILDCARDS_OFF && positive && res->qname &&
              pdns__trust_parent(res->qname);
    need_verify = g->verify && positive;
    if (!need_canary && !need_wc && !need_verify)
        return 0;
    if (!(h = hrec_copy(res)))
        return 0; /* no memory: written as it is */
    h->srv = srv;
    h->mark = g->ts[srv].epoch;
    h->prev = g->held_tail;
    if (g->held_tail)
        g->held_tail->next = h;
    else
        g->held_head = h;
    g->held_tail = h;
    g->n_held++;
    h->verify_wait = need_verify;
    if (need_verify && !need_wc)
        start_verify(r, h);
    if (need_wc) {
        snprintf(h->wc_zone, sizeof h->wc_zone, "%s", pdns__trust_parent(res->qname));
        wc_attach(r, h);
    } else {
        try_release(r, h);
    }
    return 1;
}

void pdns__tg_stop(pdns__engine *r)
{
    if (r->tg && r->tg->timer_init)
        uv_timer_stop(&r->tg->timer);
}

void pdns__tg_close(pdns__engine *r, uv_close_cb cb)
{
    pdns__tglue *g = r->tg;
    if (!g)
        return;
    for (size_t k = 0; k < g->n_tr; k++)
        if (g->tr[k].tp) {
            if (r->tvt->ignored)
                g->tr[k].st.ignored = r->tvt->ignored(g->tr[k].tp);
            r->tvt->destroy(g->tr[k].tp);
            g->tr[k].tp = NULL;
        }
    if (g->timer_init) {
        uv_timer_stop(&g->timer);
        uv_close((uv_handle_t *)&g->timer, cb);
        g->timer_init = 0;
    }
}

void pdns__tg_free(pdns__engine *r)
{
    pdns__tglue *g = r->tg;
    if (!g)
        return;
    while (g->all) {
        sq *q = g->all;
        g->all = q->all_next;
        free(q); /* their checks and rounds are gone with the transports */
    }
    while (g->held_head) {
        hrec *h = g->held_head;
        g->held_head = h->next;
        hrec_free(h);
    }
    for (size_t k = 0; k < g->n_tr; k++)
        pdns__stats_free(&g->tr[k].st);
    free(g->tr);
    free(g->ts);
    free(g->wc_waiters);
    pdns__wc_free(&g->wc);
    free(g);
    r->tg = NULL;
}

void pdns__engine_server_trust(const pdns__engine *r, size_t s, const char **state,
                               const char **reason, double *at_s, uint64_t *canaries,
                               uint64_t *wildcard_probes)
{
    const pdns__tglue *g = r->tg;
    *state = NULL;
    *reason = NULL;
    *at_s = 0;
    *canaries = *wildcard_probes = 0;
    if (!g || !g->ts)
        return;
    *state = g->canaries ? pdns__tstate_name(g->ts[s].state) : "off"; /* wildcards only */
    *reason = g->ts[s].reason[0] ? g->ts[s].reason : NULL;
    *at_s = g->ts[s].at_s;
    *canaries = g->ts[s].canaries;
    *wildcard_probes = g->ts[s].wildcard_probes;
}

size_t pdns__engine_trusted_count(const pdns__engine *r)
{
    return r->tg ? r->tg->n_tr : 0;
}

const pdns__server_stats *pdns__engine_trusted_stats(const pdns__engine *r, size_t k)
{
    return &r->tg->tr[k].st;
}

int pdns__engine_halted(const pdns__engine *r)
{
    return r->halted;
}
