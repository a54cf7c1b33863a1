/* trust.c - pure trust decisions: answer sets, verdicts, canary schedule, wildcards.
 * SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/trust.h"
#include "dns/name.h"
#include "dns/wire.h"

/* IMPLEMENTATION NOTES
 * Answer sets. Answers are compared as sets of 64-bit FNV-1a hashes of their lower-cased
 * presentation data (CNAME targets prefixed "C:"), sorted: equality, subset and union
 * are merges. Order, TTLs and case do not matter; a CNAME chain compares by its targets.
 *
 * Verdicts. CDNs answer by location, so a difference alone proves nothing. A stable
 * answer is one two references (trusted or other bulk servers) agree on; a server whose
 * answer differs from a stable one fails. A bulk server asked again counts once as a
 * source (its repeated answer shows it is not rotating, not that it is true: a liar asked
 * twice about an honest server's answer must not quarantine it); each ask of a trusted
 * server counts. A positive answer where any reference says
 * NXDOMAIN fails (the NXDOMAIN hijack: liars turn non-existent names into ads or
 * search pages; honest servers do not invent NXDOMAIN). Agreement with one reference
 * passes. References that disagree among themselves mean no stable answer (unsure).
 * Two positive answer sets that differ may be a CDN or a load-balanced wildcard picking
 * pools at random; the references are then draws of the same pool too, and agree by
 * chance: with P equally likely pools, m references agree 1 time in P^(m-1). Three (the
 * former rule) falsely quarantined an honest server behind an 8-pool wildcard 7/8 *
 * 1/64 = 1.4 % of such checks, so a run with a few of them failed about 1 run in 64.
 * Positive against positive therefore needs PDNS__TRUST_NEED_POS = 6 agreeing answers
 * (the glue asks a reference again when it runs out of servers, a trusted server first):
 * 7/8 * 8^-5 = 2.7e-5 per check with 8 pools. The references of a rotating answer
 * usually disagree at the second ask, which ends the check (unsure) at once; a liar
 * costs up to six reference queries per caught sample, once. Anything else (NXDOMAIN or
 * NODATA against an answer) needs two. Fewer: ask another.
 *
 * Canary sample size. A round compares k records drawn without replacement from those
 * its server answered and that wait for it; the round releases only those records. A
 * server lying on a fraction >= f of them escapes a round with probability <= (1-f)^k;
 * pdns__canary_k picks the smallest k with (1-f)^k <= delta (f = 0.3, delta = 1e-3:
 * k = 20, 0.7^20 = 8.0e-4). A sample whose references are no stable answer (a CDN, a
 * rotating pool, no reference answering) catches nothing: the guarantee is about names
 * with a stable answer.
 *
 * Random labels. A round also asks its server a random label under a zone of the input
 * (pdns__trust_label_judge). Only a denial (NXDOMAIN, NODATA) proves the server does not
 * hijack NXDOMAIN; a positive answer fails against a reference's NXDOMAIN; one a
 * reference repeats is a wildcard (the zone is dropped from the labels) and proves
 * nothing, like a label the server or the references did not answer. The sample above
 * does not stand in for it: a hijacker lies on the names that do not exist, a fraction
 * of the input that may be far below f (test_trust's canary run: 10 %; a round of 20
 * missed them all 12 % of the time and, its label under a wildcard zone counted as a
 * pass, released 72 hijacked records). pdns__canary_round: a round passes only with a
 * denied label, or, when no zone without a wildcard is known, with a passed sample;
 * rounds that prove nothing leave the records held, and after PDNS__CANARY_UNSURE_MAX of
 * them in a row a server never seen denying a label is quarantined (a run so slow that
 * its canaries are not answered makes the checks late, never lenient), one without a
 * possible label passes (no name of the input can be hijacked).
 *
 * Canary schedule. A round is due at once at the start, then every period_ns or every
 * every_answers answers of the server, whichever comes first; at the tail of the run
 * (input exhausted) with records held, after tail_gap_ns, so that the last records are
 * not held for a whole period. One round at a time per server.
 *
 * Quarantine. Each server counts its answers (epoch); a held record carries the epoch at
 * its answer. A round sent at epoch m that passes releases the records marked below m.
 * A round that fails quarantines the server: its held records are asked again on
 * healthy servers.
 *
 * Wildcards. For a positive record of name N, the parent P of N is probed with random
 * labels ("<12 random>.P"). NXDOMAIN (or NODATA) for a random label: no wildcard
 * answers under P, so none explains N (had N been synthesised by a wildcard higher up,
 * a random label under P would be too). Positive: the union of the probes' answers is
 * the wildcard's answer set; probing goes on while new answers appear (PDNS__WC_NEED
 * answered probes in a row without a new element; half the probes so far when the
 * answers rotate, as load-balanced wildcards do), up to PDNS__WC_CAP probes. N's record
 * is explained when its set is a subset of the union; a record with an answer not in
 * the union, under a rotating wildcard, asks for more probes until the cap first. The
 * name reported ("*.A.") is the highest ancestor A, walking up from P, whose wildcard
 * also explains the record. Entries are cached per (ancestor, type) for the smallest
 * TTL seen (at most PDNS__WC_MAX_TTL s) in a bounded table (least recently used
 * settled entry evicted). */

static uint64_t fnv(const char *prefix, const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (const char *p = prefix; p && *p; p++) {
        h ^= (unsigned char)*p;
        h *= 1099511628211ull;
    }
    for (const char *p = s; p && *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c >= 'A' && c <= 'Z')
            c = (unsigned char)(c + 32);
        h ^= c;
        h *= 1099511628211ull;
    }
    /* a trailing dot is optional in names: "a.test" and "a.test." are one element */
    if (s && *s && s[strlen(s) - 1] != '.') {
        h ^= '.';
        h *= 1099511628211ull;
    }
    return h;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void aset_add(pdns__aset *s, uint64_t h)
{
    for (unsigned i = 0; i < s->n; i++)
        if (s->h[i] == h)
            return;
    if (s->n == PDNS__ASET_MAX) {
        s->cut = 1;
        return;
    }
    s->h[s->n++] = h;
}

static pdns__obs obs_of(int rcode, unsigned n)
{
    if (rcode == PDNS__RCODE_NXDOMAIN)
        return PDNS__OBS_NX;
    if (rcode != PDNS__RCODE_NOERROR)
        return PDNS__OBS_NONE;
    return n ? PDNS__OBS_POS : PDNS__OBS_NODATA;
}

void pdns__aset_from_record(pdns__aset *s, int rcode, const pdns_answer *ans, size_t n_ans,
                            const char *const *cname, size_t n_cname)
{
    s->n = 0;
    s->cut = 0;
    for (size_t i = 0; i < n_cname; i++)
        aset_add(s, fnv("C:", cname[i]));
    for (size_t i = 0; i < n_ans; i++)
        aset_add(s, fnv(NULL, ans[i].data));
    qsort(s->h, s->n, sizeof s->h[0], cmp_u64);
    s->obs = obs_of(rcode, s->n);
    if (s->obs != PDNS__OBS_POS)
        s->n = 0;
}

void pdns__aset_from_rrs(pdns__aset *s, int rcode, uint16_t qtype, const pdns_answer *rr,
                         size_t n_rr)
{
    s->n = 0;
    s->cut = 0;
    for (size_t i = 0; i < n_rr; i++) {
        if (rr[i].type == PDNS__TYPE_CNAME && qtype != PDNS__TYPE_CNAME)
            aset_add(s, fnv("C:", rr[i].data));
        else if (rr[i].type == qtype)
            aset_add(s, fnv(NULL, rr[i].data));
    }
    qsort(s->h, s->n, sizeof s->h[0], cmp_u64);
    s->obs = obs_of(rcode, s->n);
    if (s->obs != PDNS__OBS_POS)
        s->n = 0;
}

int pdns__aset_equal(const pdns__aset *a, const pdns__aset *b)
{
    if (a->obs != b->obs)
        return 0;
    if (a->obs != PDNS__OBS_POS)
        return 1;
    return a->n == b->n && memcmp(a->h, b->h, a->n * sizeof a->h[0]) == 0;
}

int pdns__aset_subset(const pdns__aset *a, const pdns__aset *b)
{
    unsigned i = 0, j = 0;
    if (a->obs != PDNS__OBS_POS || b->obs != PDNS__OBS_POS)
        return 0;
    while (i < a->n && j < b->n) {
        if (a->h[i] == b->h[j])
            i++, j++;
        else if (a->h[i] > b->h[j])
            j++;
        else
            return 0;
    }
    return i == a->n;
}

int pdns__aset_overlap(const pdns__aset *a, const pdns__aset *b)
{
    unsigned i = 0, j = 0;
    if (a->obs != PDNS__OBS_POS || b->obs != PDNS__OBS_POS)
        return 0;
    while (i < a->n && j < b->n) {
        if (a->h[i] == b->h[j])
            return 1;
        if (a->h[i] > b->h[j])
            j++;
        else
            i++;
    }
    return 0;
}

unsigned pdns__aset_union(pdns__aset *u, const pdns__aset *b)
{
    unsigned added = 0;
    if (u->obs != PDNS__OBS_POS) {
        u->obs = PDNS__OBS_POS;
        u->n = 0;
        u->cut = 0;
    }
    for (unsigned i = 0; i < b->n; i++) {
        unsigned before = u->n;
        aset_add(u, b->h[i]);
        added += u->n > before;
    }
    if (added)
        qsort(u->h, u->n, sizeof u->h[0], cmp_u64);
    return added;
}

/* ---- verdicts ------------------------------------------------------------------- */

pdns__tj pdns__trust_judge(const pdns__aset *own, const pdns__aset *refs, const int *src,
                           size_t n_refs, int more_possible, const char **why)
{
    size_t usable = 0, need = PDNS__TRUST_NEED;
    *why = NULL;
    if (own->obs == PDNS__OBS_NONE)
        return PDNS__TJ_UNSURE; /* no answer is not a lie */
    for (size_t i = 0; i < n_refs; i++) {
        if (refs[i].obs == PDNS__OBS_NONE)
            continue;
        usable++;
        if (pdns__aset_equal(own, &refs[i]))
            return PDNS__TJ_PASS;
        if (own->obs == PDNS__OBS_POS && refs[i].obs == PDNS__OBS_POS)
            need = PDNS__TRUST_NEED_POS; /* answers that may differ at random */
    }
    for (size_t i = 0; i < n_refs; i++)
        if (own->obs == PDNS__OBS_POS && refs[i].obs == PDNS__OBS_NX) {
            *why = "answers a name that does not exist (NXDOMAIN hijack)";
            return PDNS__TJ_FAIL;
        }
    for (size_t i = 0; i < n_refs; i++) {
        size_t agree = 0, sources = 0;
        if (refs[i].obs == PDNS__OBS_NONE)
            continue;
        for (size_t k = 0; k < n_refs; k++) {
            int again = 0;
            if (refs[k].obs == PDNS__OBS_NONE || !pdns__aset_equal(&refs[i], &refs[k]))
                continue;
            agree++;
            for (size_t m = 0; src && src[k] >= 0 && m < k; m++)
                again |= src[m] == src[k] && refs[m].obs != PDNS__OBS_NONE;
            sources += !again;
        }
        if (agree < usable)
            return PDNS__TJ_UNSURE; /* the references disagree: no stable answer */
        if (agree >= need && sources >= 2) {
            *why = own->obs == PDNS__OBS_NX ? "denies a name that exists"
                                            : "answer differs from the stable answer";
            return PDNS__TJ_FAIL;
        }
        break; /* (they all agree: one answer to look at) */
    }
    /* too few answers, or from too few sources (one bulk server repeating itself) */
    return more_possible ? PDNS__TJ_MORE : PDNS__TJ_UNSURE;
}

pdns__lv pdns__trust_label_judge(const pdns__aset *own, const pdns__aset *refs, const int *src,
                                 size_t n_refs, int more_possible, const char **why)
{
    pdns__tj v;
    *why = NULL;
    if (own->obs == PDNS__OBS_NX || own->obs == PDNS__OBS_NODATA)
        return PDNS__LV_DENIED;
    if (own->obs == PDNS__OBS_NONE)
        return PDNS__LV_UNSURE; /* no answer: ask again (a timeout is no denial) */
    if (n_refs == 0)
        return more_possible ? PDNS__LV_MORE : PDNS__LV_WILD; /* nothing to compare with */
    v = pdns__trust_judge(own, refs, src, n_refs, more_possible, why);
    if (v == PDNS__TJ_FAIL)
        return PDNS__LV_FAIL;
    if (v == PDNS__TJ_MORE)
        return PDNS__LV_MORE;
    /* PASS (a reference gives the same answer) or UNSURE: a wildcard when a reference
     * answered the label positively, else nothing was learnt (the references did not
     * answer: a slow machine must not take a zone out of the random labels) */
    for (size_t i = 0; i < n_refs; i++)
        if (refs[i].obs == PDNS__OBS_POS)
            return PDNS__LV_WILD;
    return PDNS__LV_UNSURE;
}

/* ---- canary scheduling ---------------------------------------------------------- */

unsigned pdns__canary_k(double f, double delta)
{
    double miss = 1.0;
    unsigned k = 0;
    if (!(f > 0) || !(delta > 0))
        return 0;
    if (delta >= 1)
        return 0;
    if (f >= 1)
        return 1;
    while (miss > delta && k < 100000) {
        miss *= 1.0 - f;
        k++;
    }
    return k;
}

void pdns__canary_init(pdns__canary_sched *c, uint64_t period_ns, uint64_t every_answers,
                       uint64_t tail_gap_ns)
{
    memset(c, 0, sizeof *c);
    c->period_ns = period_ns;
    c->every_answers = every_answers;
    c->tail_gap_ns = tail_gap_ns;
}

int pdns__canary_due(const pdns__canary_sched *c, uint64_t now, int held, int tail)
{
    uint64_t since;
    if (c->in_flight)
        return 0;
    if (!c->started)
        return 1;
    since = now >= c->last_ns ? now - c->last_ns : 0;
    if (since >= c->period_ns || (c->every_answers && c->answers >= c->every_answers))
        return 1;
    return held && tail && since >= c->tail_gap_ns;
}

void pdns__canary_sent(pdns__canary_sched *c, uint64_t now)
{
    c->started = 1;
    c->in_flight = 1;
    c->last_ns = now;
    c->answers = 0;
}

void pdns__canary_done(pdns__canary_sched *c)
{
    c->in_flight = 0;
}

void pdns__canary_on_answer(pdns__canary_sched *c)
{
    c->answers++;
}

pdns__rv pdns__canary_round(int label, unsigned passed, unsigned *unsure)
{
    if (label == PDNS__RL_DENIED || (label == PDNS__RL_NONE && passed > 0)) {
        *unsure = 0;
        return PDNS__RV_PASS;
    }
    if (++*unsure < PDNS__CANARY_UNSURE_MAX)
        return PDNS__RV_WAIT;
    *unsure = 0;
    return label == PDNS__RL_OPEN ? PDNS__RV_QUARANTINE : PDNS__RV_PASS;
}

/* ---- quarantine ----------------------------------------------------------------- */

const char *pdns__tstate_name(pdns__tstate st)
{
    switch (st) {
    case PDNS__TS_UNCHECKED:
        return "unchecked";
    case PDNS__TS_HEALTHY:
        return "healthy";
    case PDNS__TS_QUARANTINED:
        return "quarantined";
    }
    return "?";
}

int pdns__trust_pass(pdns__trust_srv *t, uint64_t mark, int fresh)
{
    uint64_t believe = fresh ? t->vetted_epoch : mark;
    if (t->state == PDNS__TS_QUARANTINED)
        return 0;
    if (believe > mark)
        believe = mark;
    if (believe > t->passed_epoch)
        t->passed_epoch = believe;
    if (mark > t->vetted_epoch)
        t->vetted_epoch = mark;
    if (t->state == PDNS__TS_HEALTHY)
        return 0;
    t->state = PDNS__TS_HEALTHY;
    return 1;
}

int pdns__trust_fail(pdns__trust_srv *t, double at_s, const char *reason)
{
    if (t->state == PDNS__TS_QUARANTINED)
        return 0;
    t->state = PDNS__TS_QUARANTINED;
    t->at_s = at_s;
    t->canaries_failed++;
    snprintf(t->reason, sizeof t->reason, "%s", reason ? reason : "failed a canary");
    return 1;
}

int pdns__trust_fresh(const pdns__trust_srv *t, uint64_t mark)
{
    return mark >= t->vetted_epoch;
}

int pdns__trust_believed(const pdns__trust_srv *t, uint64_t mark)
{
    return t->state != PDNS__TS_QUARANTINED && mark < t->passed_epoch;
}

/* ---- wildcards ------------------------------------------------------------------ */

int pdns__wc_init(pdns__wcache *c, size_t cap)
{
    memset(c, 0, sizeof *c);
    c->cap = cap ? cap : PDNS__WC_ENTRIES;
    if (!(c->e = calloc(c->cap, sizeof *c->e)))
        return -1;
    return 0;
}

void pdns__wc_free(pdns__wcache *c)
{
    free(c->e);
    memset(c, 0, sizeof *c);
}

/* zone may be e->zone itself (a re-check on TTL): copied before e is cleared (fuzz_trust
 * found the entry's zone wiped, its probes then asking random top-level names). */
static void wc_reset(pdns__wc_entry *e, const char *zone, uint16_t qtype)
{
    char z[sizeof e->zone];
    snprintf(z, sizeof z, "%s", zone);
    memset(e, 0, sizeof *e);
    for (size_t i = 0; z[i]; i++)
        e->zone[i] = z[i] >= 'A' && z[i] <= 'Z' ? (char)(z[i] + 32) : z[i];
    e->qtype = qtype;
    e->state = PDNS__WCS_PROBING;
    e->min_ttl = UINT32_MAX;
}

static int settled(const pdns__wc_entry *e)
{
    return e->state != PDNS__WCS_PROBING;
}

pdns__wc_entry *pdns__wc_get(pdns__wcache *c, const char *zone, uint16_t qtype, uint64_t now)
{
    pdns__wc_entry *victim = NULL;
    if (strlen(zone) >= sizeof c->e[0].zone)
        return NULL;
    c->clock++;
    for (size_t i = 0; i < c->n; i++) {
        pdns__wc_entry *e = &c->e[i];
        if (e->qtype == qtype && pdns__name_equal(e->zone, zone)) {
            if (settled(e) && e->in_flight == 0 && now >= e->expires_ns)
                wc_reset(e, e->zone, qtype); /* re-checked on TTL */
            e->used = c->clock;
            return e;
        }
    }
    if (c->n < c->cap) {
        victim = &c->e[c->n++];
    } else {
        for (size_t i = 0; i < c->n; i++) {
            pdns__wc_entry *e = &c->e[i];
            if (!settled(e) || e->in_flight)
                continue;
            if (!victim || e->used < victim->used)
                victim = e;
        }
        if (!victim)
            return NULL;
    }
    wc_reset(victim, zone, qtype);
    victim->used = c->clock;
    return victim;
}

void pdns__wc_on_probe(pdns__wc_entry *e, const pdns__aset *probe, uint32_t ttl, uint64_t now)
{
    if (e->in_flight)
        e->in_flight--;
    if (settled(e) && e->state == PDNS__WCS_NONE)
        return;
    if (probe->obs == PDNS__OBS_NONE) {
        if (++e->fails >= PDNS__WC_FAILS && e->probes == 0) {
            e->state = PDNS__WCS_NONE; /* cannot tell: not a wildcard (nothing marked) */
            e->expires_ns = now + 60ull * 1000000000ull;
        }
        return;
    }
    if (ttl < e->min_ttl)
        e->min_ttl = ttl;
    if (probe->obs != PDNS__OBS_POS) {
        if (e->probes == 0) { /* a random label does not exist: no wildcard */
            e->state = PDNS__WCS_NONE;
            e->expires_ns =
                now + (uint64_t)(ttl < PDNS__WC_MAX_TTL ? ttl : PDNS__WC_MAX_TTL) * 1000000000ull;
        }
        return; /* after positive probes: a glitch, ignored */
    }
    {
        uint64_t h = 1469598103934665603ull;
        for (unsigned i = 0; i < probe->n; i++)
            h = (h ^ probe->h[i]) * 1099511628211ull;
        if (e->probes && h != e->last_h)
            e->rotates = 1;
        e->last_h = h;
    }
    e->probes++;
    if (pdns__aset_union(&e->set, probe))
        e->since_new = 0;
    else
        e->since_new++;
    {
        unsigned need = PDNS__WC_NEED;
        if (e->rotates && e->probes / 2 > need)
            need = e->probes / 2;
        if (e->since_new >= need || e->probes >= PDNS__WC_CAP) {
            uint32_t t = e->min_ttl < PDNS__WC_MAX_TTL ? e->min_ttl : PDNS__WC_MAX_TTL;
            e->state = PDNS__WCS_WILD;
            e->expires_ns = now + (uint64_t)t * 1000000000ull;
        } else {
            e->state = PDNS__WCS_PROBING;
        }
    }
}

int pdns__wc_want_probe(const pdns__wc_entry *e)
{
    return e->state == PDNS__WCS_PROBING && e->in_flight < 2 &&
           e->probes + e->in_flight < PDNS__WC_CAP && e->fails < PDNS__WC_FAILS + e->probes;
}

pdns__wcv pdns__wc_explain(pdns__wc_entry *e, const pdns__aset *rec)
{
    if (e->state == PDNS__WCS_NONE)
        return PDNS__WCV_NO;
    if (e->state == PDNS__WCS_PROBING)
        return PDNS__WCV_WAIT;
    if (pdns__aset_subset(rec, &e->set))
        return PDNS__WCV_YES;
    if ((e->rotates || pdns__aset_overlap(rec, &e->set)) && e->probes < PDNS__WC_CAP) {
        e->state = PDNS__WCS_PROBING; /* an answer not seen yet: a pool not seen yet? */
        e->since_new = 0;
        return PDNS__WCV_WAIT;
    }
    return PDNS__WCV_NO;
}

/* ---- names ---------------------------------------------------------------------- */

void pdns__trust_label(char out[13], uint64_t rnd)
{
    static const char al[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    out[0] = al[rnd % 26]; /* a letter first */
    rnd /= 26;
    for (int i = 1; i < 12; i++) {
        out[i] = al[rnd % 36];
        rnd /= 36;
    }
    out[12] = '\0';
}

const char *pdns__trust_parent(const char *name)
{
    const char *p = name;
    const char *dot;
    /* skip the first label (escapes: "\." is not a separator) */
    while (*p && *p != '.') {
        if (*p == '\\' && p[1])
            p++;
        p++;
    }
    if (*p != '.' || !p[1] || p[1] == '.')
        return NULL; /* root or one label (or an empty label: no name, fuzz_trust) */
    p++;
    dot = p;
    while (*dot && *dot != '.') {
        if (*dot == '\\' && dot[1])
            dot++;
        dot++;
    }
    if (*dot != '.' || !dot[1])
        return NULL; /* the parent would be a top-level domain */
    return p;
}
