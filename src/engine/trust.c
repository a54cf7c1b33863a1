/* trust.c - the engine's trust glue: trusted servers, canary rounds, quarantine, held
 * records, --verify and wildcard probes. Decisions are core/trust.c's.
 * SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <uv.h>

#include "core/job.h"
#include "core/list.h"
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
 * when it still needs something: a canary round of its server (canaries on), its
 * wildcard verdict, its verification. The engine counts it as alive, so the run does
 * not end before it is written. It is written (through pdns__engine_emit) once nothing
 * is missing; if its server is quarantined first, it is dropped and its (name, type)
 * admitted again (pdns__engine_readmit): healthy servers answer it, and exactly one
 * record is written. A held record is one allocation (struct, answers, strings); its
 * answer set and --verify's state are allocated only for wildcards and --verify. Each
 * server keeps its records that wait for a round in a queue, in answer order (mark).
 *
 * Canary rounds. A round for server s (due: core/trust.c's schedule) sends one random
 * label under a zone of the input to s, and draws k = pdns__canary_k(PDNS__CANARY_F,
 * PDNS__CANARY_DELTA) = 20 samples uniformly, without replacement, from s's queue (all of
 * it when it holds fewer): the records it is to vouch for. A random label answered
 * NXDOMAIN or NODATA is denied at once; a positive answer, and each sample, is asked of
 * references (pdns__trust_judge; ref_dest, the least asked first) one at a time until the judge
 * decides. The random label and TG_TFIRST sample per round ask the trusted servers first
 * (servers of one operator tell the same lie: they must not vouch for each other); the
 * other samples ask the healthy, then unchecked bulk servers first and the trusted ones
 * when those disagree: an honest sample costs one bulk query, and the trusted servers'
 * pacer (--trusted-qps, 50 by default) does not hold the records up, above all at the
 * tail of the run, where the last records wait for their round. A random label that is
 * not denied (a wildcard zone, no answer, no reference answering) is followed by
 * another, up to TG_LABEL_TRIES per round. A FAIL quarantines s with the reason; a round
 * without failure passes (core/trust.c's pdns__canary_round: a denied label, or a passed
 * sample when every zone has a wildcard). Two looks (core/trust.h, pdns__trust_pass): a
 * round draws from the records no passed round looked at yet, and its pass releases
 * those the previous passed round looked at: each record is released by the round after
 * the one that sampled its stretch of answers (at the tail, with nothing fresh, a round
 * looks again at every record that waits and releases them all). Released records are
 * the head of the queue, passed on at most TG_RELEASE per callback (the rest on the next
 * ticks), so the work per callback is bounded. A server lying on a fraction >= 0.3 of
 * a round's population (with a stable answer) has a lie among the 20 samples with
 * probability >= 1 - 0.7^20 = 1 - 8e-4; one that turns liar in the middle of a round's
 * population (a smaller fraction: that round may miss it) is caught by the next round,
 * whose population lies whole after the turn, before the first round's records are
 * written. Records answered while the round is out wait for the next.
 *
 * Wildcards. A positive record waits on the wildcard entry of its parent (core/trust.c
 * decides; this file sends the probes to healthy servers only, so a server hijacking
 * NXDOMAIN is caught by its canary before its answers can make a zone look wildcard).
 * When the parent explains the record, the next ancestor is checked, to name the
 * highest wildcard that explains it. */

/* Human text (reasons, errors) into a fixed buffer; cut short when longer, on purpose:
 * an answer's text can be a kilobyte, a reason is one line. */
static void say(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *buf, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, n, fmt, ap);
    va_end(ap);
}

#define TG_TICK_MS     20
#define TG_PERIOD_NS   (2000ull * 1000000ull) /* a round at least every 2 s ... */
#define TG_EVERY       2000                   /* ... or every 2,000 answers */
#define TG_TAIL_GAP_NS (20ull * 1000000ull)
#define TG_MAX_REFS    PDNS__TRUST_MAX_REFS /* references asked about one answer at most */
#define TG_RELEASE     1024 /* vetted records passed on per server per callback at most */
#define TG_TFIRST      1    /* samples per round compared with trusted servers first */
#define TG_ZONES       32
#define TG_LABEL_TRIES 4 /* random labels per round at most (until one is denied) */

typedef struct hrec hrec;
typedef struct cround cround;
typedef struct check check;

typedef enum sqkind { SQ_CHECK = 0, SQ_WILD, SQ_VERIFY } sqkind;

typedef struct sq {
    pdns__link queued; /* on the queue of side queries not sent yet */
    pdns__link alive;  /* on the list of every side query alive, for the final free */
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
    int tfirst;       /* trusted servers are the first references (else bulk ones) */
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
    int fresh;     /* its sample came from records no passed round looked at */
    int pending;   /* checks not decided */
    int failed;
    int passed;          /* samples that passed (a round of unsure samples proves nothing) */
    int label;           /* PDNS__RL_*: the random label's part */
    unsigned label_sent; /* random labels sent (TG_LABEL_TRIES at most) */
};

typedef struct hver {             /* --verify's state of one record */
    pdns__aset vref[TG_MAX_REFS]; /* references asked (a trusted one first) */
    int vused[TG_MAX_REFS];       /* their dests */
    int n_vref;
    char tstatus[16];
    pdns_answer *tans; /* the trusted server's answers */
    size_t n_tans;
} hver;

/* A held record: small (its copy in one allocation); what only wildcards or --verify
 * need is allocated for them alone. */
struct hrec {
    pdns__link held;   /* on every held record's list */
    pdns__link queued; /* on its server's queue: records no round vetted yet, mark order */
    hrec *wc_next;     /* waiters of one wildcard entry */
    int srv;
    uint64_t mark;
    int dead;        /* dropped (readmitted): freed once nothing refers to it */
    int refs;        /* side queries and checks pointing at it */
    int wc_wait;     /* waiting on a wildcard entry */
    int wc_idx;      /* that entry's index */
    int verify_wait; /* verification out */
    int sampled;     /* taken as a canary sample */
    int verified;
    int verify_sent;     /* the first verification query went out */
    int wc_yes;          /* index of the wildcard entry that explains it, -1 none */
    pdns__aset *set;     /* its answer set (wildcards, --verify), else NULL */
    hver *v;             /* --verify */
    const char *wc_zone; /* the ancestor it waits on: a suffix of qname */
    char *wildcard;      /* "*.zone." of the wildcard that explains it, or NULL */
    /* the record's own copy (strings and arrays follow the struct) */
    pdns_result res;
    char *name, *qname;
    pdns_answer *ans;
    char **cname;
};

typedef struct hq { /* a server's records waiting for a canary round */
    pdns__list l;
    size_t n;
} hq;

#define HELD(l)   PDNS__ELEM(l, hrec, held)
#define SQ(l)     PDNS__ELEM(l, sq, queued)
#define ALIVE(l)  PDNS__ELEM(l, sq, alive)
#define QUEUED(l) PDNS__ELEM(l, hrec, queued)

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
    pdns__list sq_queue; /* side queries not sent yet */
    pdns__list sq_alive; /* every side query alive */
    pdns__list held;     /* every held record */
    size_t n_held;
    hq *q;        /* [n_srv] */
    unsigned k;   /* records sampled per canary round (pdns__canary_k) */
    int vet_more; /* vetted records still to pass on (next tick) */
    uint64_t rng; /* sampling (splitmix64) */
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

static uint64_t rng_next(pdns__tglue *g)
{
    uint64_t z = (g->rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static void hrec_free(hrec *h)
{
    if (h->v) {
        for (size_t i = 0; i < h->v->n_tans; i++) {
            free((char *)h->v->tans[i].name);
            free((char *)h->v->tans[i].data);
        }
        free(h->v->tans);
        free(h->v);
    }
    free(h->set);
    free(h->wildcard);
    free(h);
}

static size_t zsize(const char *s)
{
    return s ? strlen(s) + 1 : 0;
}

static char *zput(char **p, const char *s)
{
    size_t n;
    char *at = *p;
    if (!s)
        return NULL;
    n = strlen(s) + 1;
    memcpy(at, s, n);
    *p += n;
    return at;
}

/* The record's own copy, in one allocation: the struct, the answers, the CNAME
 * targets, then every string. */
static hrec *hrec_copy(const pdns_result *res)
{
    size_t sz = sizeof(hrec) + res->n_answers * sizeof(pdns_answer) + res->n_cname * sizeof(char *);
    hrec *h;
    char *p;
    sz += zsize(res->name) + zsize(res->qname) + zsize(res->error) + zsize(res->server) +
          zsize(res->nsid) + zsize(res->ecs);
    for (size_t i = 0; i < res->n_answers; i++)
        sz += zsize(res->answers[i].name) + zsize(res->answers[i].data);
    for (size_t i = 0; i < res->n_cname; i++)
        sz += zsize(res->cname[i]);
    if (!(h = calloc(1, sz)))
        return NULL;
    p = (char *)(h + 1);
    h->res = *res;
    h->wc_yes = -1;
    h->ans = res->n_answers ? (pdns_answer *)p : NULL;
    p += res->n_answers * sizeof(pdns_answer);
    h->cname = res->n_cname ? (char **)p : NULL;
    p += res->n_cname * sizeof(char *);
    h->name = zput(&p, res->name);
    h->qname = zput(&p, res->qname);
    h->res.error = zput(&p, res->error);
    h->res.server = zput(&p, res->server);
    h->res.nsid = zput(&p, res->nsid); /* the job (and its NSID text) is freed meanwhile */
    h->res.ecs = zput(&p, res->ecs);   /* the line's ECS prefix, as the job's */
    for (size_t i = 0; i < res->n_answers; i++) {
        h->ans[i] = res->answers[i];
        h->ans[i].name = zput(&p, res->answers[i].name);
        h->ans[i].data = zput(&p, res->answers[i].data);
    }
    for (size_t i = 0; i < res->n_cname; i++)
        h->cname[i] = zput(&p, res->cname[i]);
    h->res.name = h->name;
    h->res.qname = h->qname;
    h->res.answers = h->ans;
    h->res.cname = (const char *const *)h->cname;
    return h;
}

/* The record's answer set. */
static void hrec_set(const hrec *h, pdns__aset *s)
{
    pdns__aset_from_record(s, h->res.rcode, h->ans, h->res.n_answers, (const char *const *)h->cname,
                           h->res.n_cname);
}

static void q_push(pdns__tglue *g, hrec *h)
{
    pdns__list_push(&g->q[h->srv].l, &h->queued);
    g->q[h->srv].n++;
}

static void q_del(pdns__tglue *g, hrec *h)
{
    if (!pdns__linked(&h->queued))
        return;
    pdns__list_del(&g->q[h->srv].l, &h->queued);
    g->q[h->srv].n--;
}

static void held_del(pdns__tglue *g, hrec *h)
{
    pdns__list_del(&g->held, &h->held);
    g->n_held--;
    q_del(g, h);
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

/* No canary round is missing: a round drawn after its answer passed (the round took it
 * out of its server's queue), or it never waited for one. */
static int believed(const hrec *h)
{
    return !pdns__linked(&h->queued);
}

/* Write the record if nothing is missing any more. */
static void try_release(pdns__engine *r, hrec *h)
{
    pdns__tglue *g = r->tg;
    pdns_result res;
    if (h->dead || h->wc_wait || h->verify_wait || !believed(h))
        return;
    held_del(g, h);
    h->dead = 1;
    res = h->res;
    if (h->wildcard && g->wildcards != PDNS_WILDCARDS_OFF) {
        res.wildcard = h->wildcard;
        if (g->wildcards == PDNS_WILDCARDS_FILTER) {
            res.status = PDNS_R_WILDCARD;
            res.n_answers = 0;
            res.answers = NULL;
        }
    }
    res.verified = h->verified;
    if (h->verified < 0 && h->v) {
        res.trusted_answers = h->v->tans;
        res.n_trusted_answers = h->v->n_tans;
        res.trusted_status = h->v->tstatus;
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
    pdns__list_push(&g->sq_alive, &q->alive);
    pdns__list_push(&g->sq_queue, &q->queued);
    pdns__engine_kick(r);
    return q;
}

static void sq_free(pdns__tglue *g, sq *q)
{
    pdns__list_del(&g->sq_alive, &q->alive);
    if (pdns__linked(&q->queued))
        pdns__list_del(&g->sq_queue, &q->queued);
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
    size_t budget = 256; /* bounded work per dispatch */
    if (!g || r->state != PDNS__RS_RUNNING)
        return;
    for (pdns__link *l = g->sq_queue.first, *next; l && budget--; l = next) {
        sq *q = SQ(l);
        next = l->next;
        /* unlink first: a failed send frees it */
        pdns__list_del(&g->sq_queue, l);
        if (!sq_try_send(r, q, now)) /* not sent: back where it was */
            pdns__list_insert_before(&g->sq_queue, next, l);
    }
}

/* ---- quarantine ----------------------------------------------------------------- */

static void quarantine(pdns__engine *r, int s, const char *reason)
{
    pdns__tglue *g = r->tg;
    hrec *h;
    if (!pdns__trust_fail(&g->ts[s], secs(r), reason))
        return;
    if (r->opt.on_trust)
        r->opt.on_trust(r->srv[s].addr.text, "quarantined", g->ts[s].reason, r->opt.user);
    if (pdns__tg_usable_count(r) == 0) {
        g->halted = 1;
        say(r->errbuf, sizeof r->errbuf, "every server is quarantined (last: %s: %s)",
            r->srv[s].addr.text, g->ts[s].reason);
        pdns__engine_halt(r);
    }
    /* what it answered and was not written yet is asked again elsewhere */
    for (pdns__link *l = g->held.first, *nl; l; l = nl) {
        nl = l->next;
        h = HELD(l);
        if (h->srv == s || g->halted)
            hrec_drop(r, h, 1);
    }
}

/* Pass on up to budget records of server s that its last passed round vetted (those
 * answered before the round drew its sample: the head of its queue); each is written,
 * or waits on for its wildcard verdict or verification. Returns 1 when some remain. */
static int vet_some(pdns__engine *r, size_t s, size_t budget)
{
    pdns__tglue *g = r->tg;
    hq *q = &g->q[s];
    while (q->l.first && pdns__trust_believed(&g->ts[s], QUEUED(q->l.first)->mark)) {
        hrec *h = QUEUED(q->l.first);
        if (!budget--)
            return 1;
        q_del(g, h);
        try_release(r, h);
    }
    return 0;
}

static void round_done_check(pdns__engine *r, cround *rd)
{
    pdns__tglue *g = r->tg;
    if (--rd->pending > 0)
        return;
    pdns__canary_done(&g->ts[rd->srv].sched);
    /* a round passes with a denied random label (the server does not hijack NXDOMAIN),
     * or, when no zone of the input can take a random label (all have wildcards), with
     * a passed sample; one that proves nothing leaves the records waiting (see
     * pdns__canary_round: after 3 such rounds a server never seen denying a random
     * label is quarantined, so that nothing unchecked is written however slow the run) */
    if (!rd->failed) {
        switch (
            pdns__canary_round(rd->label, (unsigned)rd->passed, &g->ts[rd->srv].unsure_rounds)) {
        case PDNS__RV_PASS:
            pdns__trust_pass(&g->ts[rd->srv], rd->mark + 1, rd->fresh);
            g->vet_more |= vet_some(r, (size_t)rd->srv, TG_RELEASE);
            /* records were written: the engine sees whether the run is over (a round
             * decided inside the tick, without a side query, left a lone server's run
             * waiting for an event that never came) */
            pdns__engine_kick(r);
            break;
        case PDNS__RV_QUARANTINE:
            quarantine(r, rd->srv,
                       "no canary could be judged: its answers to random labels were "
                       "never a denial, nor compared with a reference, in 3 rounds");
            pdns__engine_kick(r); /* its records are asked again */
            break;
        case PDNS__RV_WAIT:
            break;
        }
    }
    free(rd);
}

/* Ask the next reference about ck, or decide. */
static void check_step(pdns__engine *r, check *ck);
static int start_label(pdns__engine *r, cround *rd);

static void check_end(pdns__engine *r, check *ck, pdns__tj v, const char *why)
{
    cround *rd = ck->rd;
    if (v == PDNS__TJ_FAIL && rd->failed != 1) {
        char reason[240];
        char tb[16];
        rd->failed = 1;
        say(reason, sizeof reason, "%s: %s %s answered %s", why, ck->qname,
            pdns_rrtype_name(ck->qtype, tb), ck->own_txt);
        /* with the first reference that answered */
        for (int i = 0; i < ck->n_ref; i++)
            if (ck->ref[i].obs != PDNS__OBS_NONE) {
                say(reason, sizeof reason, "%s: %s %s answered %s; %s", why, ck->qname,
                    pdns_rrtype_name(ck->qtype, tb), ck->own_txt, ck->ref_txt[i]);
                break;
            }
        quarantine(r, rd->srv, reason);
    }
    if (ck->h) {
        ck->h->sampled = 0;
        hrec_unref(ck->h);
        if (v == PDNS__TJ_PASS)
            rd->passed++;
    } else if (v == PDNS__TJ_PASS) {
        rd->label = PDNS__RL_DENIED;
    } else if (!rd->failed && rd->label == PDNS__RL_OPEN && rd->label_sent < TG_LABEL_TRIES &&
               !start_label(r, rd)) {
        rd->label = PDNS__RL_NONE; /* every zone has a wildcard now */
    }
    round_done_check(r, rd);
    free(ck);
}

/* The next reference for judging server s: the one asked least so far, the first in
 * class order on a tie: trusted servers, healthy bulk servers, unchecked bulk servers
 * (other than s) when tfirst, else the bulk servers before the trusted ones. Each is
 * asked once before any is asked again, and a reference asked again must give the same
 * answer (a rotating answer does not: no stable answer; see core/trust.c). -1: none. */
static int ref_dest(const pdns__engine *r, int s, const int *used, int n, int tfirst)
{
    const pdns__tglue *g = r->tg;
    int best = -1, best_uses = 0;
    size_t nc = g->n_tr + 2 * r->n_srv;
    for (size_t i = 0; i < nc; i++) {
        /* class order: trusted [0, n_tr), healthy, unchecked; or healthy, unchecked,
         * trusted */
        size_t c = tfirst ? i : (i + g->n_tr) % nc;
        int d, uses = 0;
        if (c < g->n_tr) {
            d = (int)(r->n_srv + c);
        } else {
            size_t k = (c - g->n_tr) % r->n_srv;
            pdns__tstate want = c - g->n_tr < r->n_srv ? PDNS__TS_HEALTHY : PDNS__TS_UNCHECKED;
            if ((int)k == s || g->ts[k].state != want)
                continue;
            d = (int)k;
        }
        for (int j = 0; j < n; j++)
            uses += used[j] == d;
        if (best < 0 || uses < best_uses) {
            best = d;
            best_uses = uses;
        }
    }
    return best;
}

/* The references as the judge takes them (n of them: answers in, their dests used):
 * a bulk server by its index, each ask of a trusted server as -1; the answers of a bulk
 * server quarantined since count for nothing. */
static void judge_refs(const pdns__engine *r, const pdns__aset *in, const int *used, int n,
                       pdns__aset *out, int *src)
{
    for (int i = 0; i < n; i++) {
        out[i] = in[i];
        src[i] = (size_t)used[i] >= r->n_srv ? -1 : used[i];
        if (src[i] >= 0 && r->tg->ts[src[i]].state == PDNS__TS_QUARANTINED) {
            out[i].obs = PDNS__OBS_NONE; /* a liar's word */
            out[i].n = 0;
        }
    }
}

/* Ask check ck's question of one more reference (the next ref_dest), counted as a
 * canary of its server. 1 when the side query is queued, 0 when none could be made. */
static int ask_more(pdns__engine *r, check *ck)
{
    int d = ref_dest(r, ck->rd->srv, ck->used, ck->n_ref, ck->tfirst);
    sq *q = sq_new(r, SQ_CHECK, d, ck->qname, ck->qtype);
    if (!q)
        return 0;
    ck->used[ck->n_ref] = d;
    q->ck = ck;
    r->tg->ts[ck->rd->srv].canaries++;
    return 1;
}

static void check_step(pdns__engine *r, check *ck)
{
    const char *why = NULL;
    pdns__tj v;
    int more =
        ck->n_ref < TG_MAX_REFS && ref_dest(r, ck->rd->srv, ck->used, ck->n_ref, ck->tfirst) >= 0;
    if (!ck->h) { /* a random label: only a denial proves something */
        pdns__aset refs[TG_MAX_REFS];
        int src[TG_MAX_REFS];
        pdns__lv lv;
        judge_refs(r, ck->ref, ck->used, ck->n_ref, refs, src);
        lv = pdns__trust_label_judge(&ck->own, refs, src, (size_t)ck->n_ref, more, &why);
        if (lv == PDNS__LV_MORE) {
            if (ask_more(r, ck))
                return;
            lv = PDNS__LV_UNSURE;
        }
        if (lv == PDNS__LV_WILD) /* answered everywhere: a wildcard zone, no use for labels */
            for (size_t i = 0; i < r->tg->n_zones; i++)
                if (strlen(ck->qname) > 13 &&
                    pdns__name_equal(r->tg->zones[i].name, ck->qname + 13))
                    r->tg->zones[i].wild = 1;
        check_end(r, ck,
                  lv == PDNS__LV_DENIED ? PDNS__TJ_PASS
                  : lv == PDNS__LV_FAIL ? PDNS__TJ_FAIL
                                        : PDNS__TJ_UNSURE,
                  why);
        return;
    }
    if (ck->n_ref) {
        pdns__aset refs[TG_MAX_REFS];
        int src[TG_MAX_REFS];
        judge_refs(r, ck->ref, ck->used, ck->n_ref, refs, src);
        v = pdns__trust_judge(&ck->own, refs, src, (size_t)ck->n_ref, more, &why);
    } else {
        v = more ? PDNS__TJ_MORE : PDNS__TJ_UNSURE;
    }
    if (v == PDNS__TJ_MORE) {
        if (ask_more(r, ck))
            return;
        v = PDNS__TJ_UNSURE;
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
            say(ck->ref_txt[i], sizeof ck->ref_txt[i], "%s says %s", dest_text(r, q->dest), d);
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

/* Send rd's server a random label under a zone of the input without a known wildcard
 * (the NXDOMAIN-hijack check; another is sent, up to TG_LABEL_TRIES, while none is
 * denied). Returns 0 when no zone is left (every zone has a wildcard). */
static int start_label(pdns__engine *r, cround *rd)
{
    pdns__tglue *g = r->tg;
    size_t nz = 0, pick[TG_ZONES];
    check *ck;
    sq *q;
    char label[13];
    for (size_t i = 0; i < g->n_zones; i++)
        if (!g->zones[i].wild)
            pick[nz++] = i;
    if (!nz)
        return 0;
    rd->label_sent++;
    if (!(ck = check_new(rd)))
        return 1;   /* (no memory: the label stays open, the round proves nothing) */
    ck->tfirst = 1; /* servers of one hijacking operator agree with each other */
    pdns__trust_label(label, rnd64());
    snprintf(ck->qname, sizeof ck->qname, "%s.%s", label, g->zones[pick[rnd64() % nz]].name);
    ck->qtype = PDNS__TYPE_A;
    if ((q = sq_new(r, SQ_CHECK, rd->srv, ck->qname, ck->qtype))) {
        q->ck = ck;
        g->ts[rd->srv].canaries++;
    } else {
        rd->label_sent = TG_LABEL_TRIES; /* no retry from its end */
        check_end(r, ck, PDNS__TJ_UNSURE, NULL);
    }
    return 1;
}

/* Whether h is in a round's sample population: not being checked, not explained by a
 * wildcard, and (fresh) not looked at by a passed round yet. */
static int in_pop(const pdns__trust_srv *t, const hrec *h, int fresh)
{
    return !h->sampled && !h->wildcard && (!fresh || pdns__trust_fresh(t, h->mark));
}

/* A canary round for server s: a random label under a zone of the input (NXDOMAIN
 * hijack), and g->k samples drawn uniformly without replacement (selection sampling, one
 * walk) from the records in s's queue no passed round looked at (all that wait when there
 * are none), all answered before now; records explained by a wildcard are not drawn
 * (their answers are among those healthy servers gave to random labels). A pass
 * releases what pdns__trust_pass says (two looks). */
static void start_round(pdns__engine *r, size_t s, uint64_t now)
{
    pdns__tglue *g = r->tg;
    pdns__trust_srv *t = &g->ts[s];
    cround *rd;
    size_t nz = 0;
    size_t n_pop = 0, want, taken = 0;
    int pop_fresh = 0;
    hrec *h;

    for (size_t i = 0; i < g->n_zones; i++)
        nz += !g->zones[i].wild;
    /* the population: the records no passed round looked at yet, else (none: the tail,
     * or no answer since) every record that waits, for a second look */
    for (int fresh = 1; fresh >= 0 && !n_pop; fresh--) {
        for (pdns__link *l = g->q[s].l.first; l; l = l->next) {
            h = QUEUED(l);
            n_pop += in_pop(t, h, fresh);
        }
        if (n_pop)
            pop_fresh = fresh;
    }
    if (!nz && !n_pop)
        return; /* nothing to check yet: nothing held either */
    if (!(rd = calloc(1, sizeof *rd)))
        return;
    rd->srv = (int)s;
    rd->mark = t->epoch;
    rd->fresh = pop_fresh;
    rd->pending = 1; /* held by this function until every check is started */
    pdns__canary_sent(&t->sched, now);
    rd->label = nz ? PDNS__RL_OPEN : PDNS__RL_NONE;
    if (nz)
        start_label(r, rd);
    want = n_pop < g->k ? n_pop : g->k;
    for (pdns__link *l = g->q[s].l.first; l && taken < want; l = l->next) {
        check *ck;
        h = QUEUED(l);
        if (!in_pop(t, h, pop_fresh))
            continue;
        /* selection sampling: take it with probability (want - taken) / n_pop left */
        if (rng_next(g) % n_pop-- >= want - taken)
            continue;
        taken++;
        if (!(ck = check_new(rd))) {
            rd->failed = -1; /* a sample not compared: the round proves nothing */
            break;
        }
        ck->h = h;
        h->refs++;
        h->sampled = 1;
        ck->phase = 1;
        ck->tfirst = taken <= TG_TFIRST; /* the first samples: trusted first */
        hrec_set(h, &ck->own);
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
    if (g->vet_more) {
        g->vet_more = 0;
        for (size_t s = 0; s < r->n_srv; s++)
            g->vet_more |= vet_some(r, s, TG_RELEASE);
        /* records were written: the engine sees whether the run is over (else it would
         * wait for its next event, up to seconds at the end of a run) */
        pdns__engine_kick(r);
    }
    for (size_t s = 0; s < r->n_srv && !g->halted; s++) {
        pdns__trust_srv *t = &g->ts[s];
        if (t->state == PDNS__TS_QUARANTINED)
            continue;
        if (pdns__canary_due(&t->sched, now, g->q[s].n > 0, tail))
            start_round(r, s, now);
    }
    if (!pdns__list_empty(&g->sq_queue))
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
        v = pdns__wc_explain(e, h->set);
        if (v == PDNS__WCV_WAIT) {
            h->wc_next = keep;
            keep = h;
        } else {
            h->wc_wait = 0;
            if (v == PDNS__WCV_YES) {
                const char *up;
                size_t zl = strlen(e->zone) + 3;
                char *w = malloc(zl);
                if (w) { /* (no memory: the older, lower wildcard stays) */
                    snprintf(w, zl, "*.%s", e->zone);
                    free(h->wildcard);
                    h->wildcard = w;
                }
                h->wc_yes = idx;
                up = pdns__trust_parent(h->wc_zone); /* e->zone's parent, inside qname */
                if (up) { /* a higher wildcard may explain it too: name the highest */
                    h->wc_zone = up;
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

static void copy_tans(hver *v, const pdns__reply *rep, uint16_t qtype)
{
    size_t n = 0;
    if (!rep)
        return;
    snprintf(v->tstatus, sizeof v->tstatus, "%s",
             pdns_rstatus_name(pdns__rstatus_from_rcode(rep->rcode)));
    if (!rep->n_rr || !(v->tans = calloc(rep->n_rr, sizeof *v->tans)))
        return;
    for (size_t i = 0; i < rep->n_rr; i++) {
        if (rep->rr[i].type != qtype)
            continue;
        v->tans[n] = rep->rr[i];
        v->tans[n].name = dupz(rep->rr[i].name);
        v->tans[n].data = dupz(rep->rr[i].data);
        if (!v->tans[n].name || !v->tans[n].data) {
            free((char *)v->tans[n].name);
            free((char *)v->tans[n].data);
            break;
        }
        n++;
    }
    v->n_tans = n;
    if (n > 0 && v->tstatus[0] == 'N' && !strcmp(v->tstatus, "NOERROR"))
        return;
    if (rep->rcode == PDNS__RCODE_NOERROR && n == 0)
        snprintf(v->tstatus, sizeof v->tstatus, "NODATA");
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
    hver *hv = h->v;
    if (rep)
        pdns__aset_from_rrs(&set, rep->rcode, h->res.qtype, rep->rr, rep->n_rr);
    else
        pdns__aset_from_rrs(&set, -1, h->res.qtype, NULL, 0);
    if (hv->n_vref == 0) {
        if (set.obs == PDNS__OBS_NONE) { /* the trusted server did not answer */
            h->verify_wait = 0;
            h->verified = 0;
            try_release(r, h);
            return;
        }
        if (pdns__aset_equal(h->set, &set) ||
            (h->wc_yes >= 0 && pdns__aset_subset(&set, &g->wc.e[h->wc_yes].set))) {
            h->verified = 1; /* equal, or the same (load-balanced) wildcard's answers */
            h->verify_wait = 0;
            try_release(r, h);
            return;
        }
        h->verified = -1;
        copy_tans(hv, rep, h->res.qtype);
    }
    if (hv->n_vref < TG_MAX_REFS) {
        hv->vused[hv->n_vref] = dest;
        hv->vref[hv->n_vref++] = set;
    }
    more = hv->n_vref < TG_MAX_REFS && ref_dest(r, h->srv, hv->vused, hv->n_vref, 1) >= 0;
    {
        pdns__aset refs[TG_MAX_REFS];
        int src[TG_MAX_REFS];
        judge_refs(r, hv->vref, hv->vused, hv->n_vref, refs, src);
        v = pdns__trust_judge(h->set, refs, src, (size_t)hv->n_vref, more, &why);
    }
    if (v == PDNS__TJ_FAIL) {
        char reason[240];
        say(reason, sizeof reason, "%s: %s answered %s; trusted %s says %s%s%s", why, h->qname,
            h->res.n_answers ? h->ans[0].data : pdns_rstatus_name(h->res.status),
            g->n_tr ? g->tr[0].addr.text : "-", hv->n_tans ? hv->tans[0].data : hv->tstatus,
            hv->n_vref > 1 ? ", and so does " : "", hv->n_vref > 1 ? dest_text(r, dest) : "");
        quarantine(r, h->srv, reason); /* drops h (asked again elsewhere) */
        return;
    }
    if (v == PDNS__TJ_MORE) {
        int d = ref_dest(r, h->srv, hv->vused, hv->n_vref, 1);
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
    if (!(g->ts = calloc(r->n_srv ? r->n_srv : 1, sizeof *g->ts)) ||
        !(g->q = calloc(r->n_srv ? r->n_srv : 1, sizeof *g->q)))
        return PDNS_ERR_NOMEM;
    g->k = pdns__canary_k(PDNS__CANARY_F, PDNS__CANARY_DELTA);
    g->rng = rnd64();
    for (size_t s = 0; s < r->n_srv; s++)
        pdns__canary_init(&g->ts[s].sched, TG_PERIOD_NS, TG_EVERY, TG_TAIL_GAP_NS);
    if (!g->canaries) /* wildcards only: every server is taken as it is */
        for (size_t s = 0; s < r->n_srv; s++)
            g->ts[s].state = PDNS__TS_HEALTHY;
    pdns__pacer_init(&g->tpacer, g->trusted_qps, now);
    for (size_t k = 0; k < g->n_tr; k++) {
        pdns__tcfg tc = pdns__engine_tcfg(r, NULL, &g->tr[k].st.conn);
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
    if (((need_wc || need_verify) && !(h->set = malloc(sizeof *h->set))) ||
        (need_verify && !(h->v = calloc(1, sizeof *h->v)))) {
        hrec_free(h);
        return 0;
    }
    if (h->set)
        hrec_set(h, h->set);
    h->srv = srv;
    h->mark = g->ts[srv].epoch;
    pdns__list_push(&g->held, &h->held);
    g->n_held++;
    if (need_canary)
        q_push(g, h);
    h->verify_wait = need_verify;
    if (need_verify && !need_wc)
        start_verify(r, h);
    if (need_wc) {
        h->wc_zone = pdns__trust_parent(h->qname);
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
    for (pdns__link *l; (l = pdns__list_pop(&g->sq_alive));)
        free(ALIVE(l)); /* their checks and rounds are gone with the transports */
    for (pdns__link *l; (l = pdns__list_pop(&g->held));)
        hrec_free(HELD(l));
    for (size_t k = 0; k < g->n_tr; k++)
        pdns__stats_free(&g->tr[k].st);
    free(g->tr);
    free(g->ts);
    free(g->q);
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
