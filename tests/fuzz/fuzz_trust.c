/* fuzz_trust.c - arbitrary bytes -> a program over the pure trust decisions (core/trust.c):
 * answer sets, verdicts, the canary schedule and sample size, quarantine marks, the
 * wildcard cache, names.
 *
 * The input is read as a list of operations (one byte each, then their arguments), with
 * arbitrary answers (from a small pool, so that sets meet), rcodes, times and TTLs.
 * Oracles (abort = finding):
 * - a set's elements are sorted and distinct, at most PDNS__ASET_MAX (cut beyond); only a
 *   positive set has elements; equal is reflexive and symmetric; a positive set is a
 *   subset of itself and of its union with another; a non-empty subset overlaps; union
 *   reports how many elements were new;
 * - a verdict: own without an answer is UNSURE; own equal to a usable reference is PASS;
 *   FAIL names why and only when own is not equal to any reference; MORE only when more
 *   was possible;
 * - the schedule: never due while a round is out, always due before the first round
 *   otherwise; answers counted since the last round;
 * - pdns__canary_k: (1-f)^k <= delta < (1-f)^(k-1) for 0 < f < 1, 0 < delta < 1, and no
 *   hang for any double;
 * - quarantine: a quarantined server believes nothing; marks below the passed epoch are
 *   believed otherwise, and never beyond what a passed round looked at (two looks);
 * - the wildcard cache: at most cap entries; an entry's zone is the lower-cased zone
 *   asked; a YES verdict means the record is inside the union; probes out never exceed
 *   what was sent; want_probe never with two out or at the cap;
 * - names: a random label is 12 letters/digits starting with a letter; a parent is a
 *   suffix of the name, after a dot.
 * SPDX-License-Identifier: MIT */
#include <math.h>

#include "core/trust.h"
#include "dns/wire.h"
#include "fuzz_common.h"

typedef struct rd {
    const uint8_t *p;
    size_t n;
} rd;

static unsigned byte(rd *r)
{
    if (!r->n)
        return 0;
    r->n--;
    return *r->p++;
}

static uint64_t u64(rd *r)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | byte(r);
    return v;
}

static const char *const POOL[] = {
    "10.0.0.1", "10.0.0.2",      "10.0.0.3",       "192.0.2.77",  "10.0.0.1.", "A.TEST.",
    "a.test",   "target.w.test", "Target.W.Test.", "2001:db8::1", "",          "\\.",
};
#define NPOOL (sizeof POOL / sizeof POOL[0])

static int rcode_of(unsigned b)
{
    static const int rc[] = {-1, PDNS__RCODE_NOERROR, PDNS__RCODE_NXDOMAIN, 2, 5, 1};
    return rc[b % (sizeof rc / sizeof rc[0])];
}

/* An answer set from the input: an rcode, then up to 80 elements (some CNAME targets). */
static void read_set(rd *r, pdns__aset *s)
{
    pdns_answer a[80];
    const char *cn[8];
    unsigned n = byte(r) % 81, nc = byte(r) % 9;
    int rcode = rcode_of(byte(r));
    char buf[80][16];
    for (unsigned i = 0; i < n; i++) {
        unsigned b = byte(r);
        a[i].name = "x.test.";
        a[i].type = PDNS__TYPE_A;
        a[i].ttl = 60;
        if (b >= 0xc0) { /* more distinct elements than the pool holds */
            snprintf(buf[i], sizeof buf[i], "10.9.%u.%u", b & 0x3f, i);
            a[i].data = buf[i];
        } else {
            a[i].data = POOL[b % NPOOL];
        }
    }
    for (unsigned i = 0; i < nc; i++)
        cn[i] = POOL[byte(r) % NPOOL];
    if (byte(r) & 1) {
        pdns__aset_from_record(s, rcode, a, n, cn, nc);
    } else { /* a raw section: CNAMEs and another type mixed in */
        pdns_answer rr[88];
        size_t m = 0;
        for (unsigned i = 0; i < n; i++)
            rr[m++] = a[i];
        for (unsigned i = 0; i < nc; i++) {
            pdns_answer c = {"x.test.", (i & 1) ? PDNS__TYPE_CNAME : PDNS__TYPE_TXT, 60, cn[i]};
            rr[m++] = c;
        }
        pdns__aset_from_rrs(s, rcode, PDNS__TYPE_A, rr, m);
    }
}

static void check_set(const pdns__aset *s)
{
    FUZZ_CHECK(s->n <= PDNS__ASET_MAX, "n %u", s->n);
    FUZZ_CHECK(s->obs == PDNS__OBS_POS || s->n == 0, "obs %d with %u elements", s->obs, s->n);
    FUZZ_CHECK(s->obs != PDNS__OBS_POS || s->n > 0, "positive without elements");
    for (unsigned i = 1; i < s->n; i++)
        FUZZ_CHECK(s->h[i - 1] < s->h[i], "not sorted and distinct at %u", i);
}

static void op_sets(rd *r)
{
    pdns__aset a, b, u;
    unsigned added, before;
    read_set(r, &a);
    read_set(r, &b);
    check_set(&a);
    check_set(&b);
    FUZZ_CHECK(pdns__aset_equal(&a, &a), "equal not reflexive");
    FUZZ_CHECK(pdns__aset_equal(&a, &b) == pdns__aset_equal(&b, &a), "equal not symmetric");
    if (a.obs == PDNS__OBS_POS) {
        FUZZ_CHECK(pdns__aset_subset(&a, &a) && pdns__aset_overlap(&a, &a), "a not in a");
        if (b.obs == PDNS__OBS_POS && pdns__aset_subset(&a, &b))
            FUZZ_CHECK(pdns__aset_overlap(&a, &b), "subset without overlap");
    }
    if (b.obs != PDNS__OBS_POS)
        return; /* (the wildcard cache adds positive answers only) */
    u = a;
    before = u.obs == PDNS__OBS_POS ? u.n : 0;
    added = pdns__aset_union(&u, &b);
    check_set(&u);
    FUZZ_CHECK(u.obs == PDNS__OBS_POS, "union not positive");
    FUZZ_CHECK(u.n == before + added, "union: %u + %u != %u", before, added, u.n);
    if (!u.cut)
        FUZZ_CHECK(pdns__aset_subset(&b, &u), "b not in the union");
    if (!u.cut && a.obs == PDNS__OBS_POS)
        FUZZ_CHECK(pdns__aset_subset(&a, &u), "a not in the union");
}

static void op_judge(rd *r)
{
    pdns__aset own, refs[PDNS__TRUST_MAX_REFS + 2];
    int src[PDNS__TRUST_MAX_REFS + 2], with_src = byte(r) & 1, counted = 0;
    size_t n = byte(r) % (PDNS__TRUST_MAX_REFS + 3);
    int more = byte(r) & 1, eq = 0;
    const char *why = (const char *)1;
    pdns__tj v;
    read_set(r, &own);
    for (size_t i = 0; i < n; i++) {
        if (byte(r) & 1)
            refs[i] = own; /* an agreeing reference now and then */
        else
            read_set(r, &refs[i]);
        src[i] = (int)(byte(r) % 4) - 1; /* -1: a trusted ask; 0..2: bulk servers */
        eq |= refs[i].obs != PDNS__OBS_NONE && pdns__aset_equal(&own, &refs[i]);
    }
    /* the counted sources among the usable references */
    for (size_t i = 0; i < n; i++) {
        int again = 0;
        if (refs[i].obs == PDNS__OBS_NONE)
            continue;
        for (size_t m = 0; with_src && src[i] >= 0 && m < i; m++)
            again |= src[m] == src[i] && refs[m].obs != PDNS__OBS_NONE;
        counted += !again;
    }
    v = pdns__trust_judge(&own, refs, with_src ? src : NULL, n, more, &why);
    FUZZ_CHECK(v <= PDNS__TJ_UNSURE, "verdict %d", v);
    if (own.obs == PDNS__OBS_NONE)
        FUZZ_CHECK(v == PDNS__TJ_UNSURE, "no answer judged %d", v);
    else if (eq)
        FUZZ_CHECK(v == PDNS__TJ_PASS, "equal to a reference, judged %d", v);
    else
        FUZZ_CHECK(v != PDNS__TJ_PASS, "passed without an equal reference");
    FUZZ_CHECK((v == PDNS__TJ_FAIL) == (why != NULL), "why %p for %d", (const void *)why, v);
    FUZZ_CHECK(v != PDNS__TJ_MORE || more, "MORE when no more is possible");
    /* a stable answer needs two sources, unless NXDOMAIN itself convicts (hijack) */
    if (v == PDNS__TJ_FAIL && !strstr(why, "NXDOMAIN hijack"))
        FUZZ_CHECK(counted >= 2, "failed on %d source(s)", counted);
}

static void op_sched(rd *r, pdns__canary_sched *c)
{
    unsigned what = byte(r) % 4;
    uint64_t now = u64(r);
    int held = byte(r) & 1, tail = byte(r) & 1;
    int due = pdns__canary_due(c, now, held, tail);
    if (c->in_flight)
        FUZZ_CHECK(!due, "due with a round out");
    else if (!c->started)
        FUZZ_CHECK(due, "not due before the first round");
    switch (what) {
    case 0:
        if (due) {
            pdns__canary_sent(c, now);
            FUZZ_CHECK(c->in_flight && c->answers == 0, "sent");
        }
        break;
    case 1:
        pdns__canary_done(c);
        break;
    default: {
        uint64_t a = c->answers;
        pdns__canary_on_answer(c);
        FUZZ_CHECK(c->answers == a + 1, "answers");
    }
    }
}

static void op_k(rd *r)
{
    union {
        uint64_t u;
        double d;
    } f, d;
    unsigned k;
    f.u = u64(r);
    d.u = u64(r);
    if (byte(r) & 1) { /* mostly meaningful values */
        f.d = (double)(f.u % 1000000) / 1000000.0;
        d.d = (double)(d.u % 1000000) / 1000000.0;
    }
    k = pdns__canary_k(f.d, d.d);
    if (f.d > 0 && f.d < 1 && d.d > 0 && d.d < 1 && k < 100000) {
        double miss = pow(1 - f.d, (double)k);
        FUZZ_CHECK(k >= 1, "k 0 for f %g delta %g", f.d, d.d);
        FUZZ_CHECK(miss <= d.d * (1 + 1e-9), "f %g delta %g k %u: miss %g", f.d, d.d, k, miss);
        FUZZ_CHECK(pow(1 - f.d, (double)k - 1) > d.d * (1 - 1e-9), "f %g delta %g: k %u not least",
                   f.d, d.d, k);
    }
}

static void op_quarantine(rd *r, pdns__trust_srv *t)
{
    uint64_t mark = u64(r) % 64;
    switch (byte(r) % 3) {
    case 0:
        pdns__trust_pass(t, mark, byte(r) & 1); /* a fresh round, or a second look */
        break;
    case 1:
        pdns__trust_fail(t, 1.5, (byte(r) & 1) ? NULL : "why");
        FUZZ_CHECK(t->state == PDNS__TS_QUARANTINED && t->reason[0], "quarantine");
        break;
    default:
        break;
    }
    mark = u64(r) % 64;
    if (t->state == PDNS__TS_QUARANTINED)
        FUZZ_CHECK(!pdns__trust_believed(t, mark), "a quarantined server believed");
    else
        FUZZ_CHECK(pdns__trust_believed(t, mark) == (mark < t->passed_epoch), "believed");
    /* two looks: nothing is believed that no passed round looked at */
    FUZZ_CHECK(t->passed_epoch <= t->vetted_epoch, "believed %llu beyond looked at %llu",
               (unsigned long long)t->passed_epoch, (unsigned long long)t->vetted_epoch);
    FUZZ_CHECK(pdns__trust_fresh(t, mark) == (mark >= t->vetted_epoch), "fresh");
    FUZZ_CHECK(pdns__tstate_name(t->state)[0] != '?', "state name");
}

static const char *const ZONES[] = {"w.test.",     "W.Test.", "a.w.test.", "rot.test.",
                                    "x.y.z.test.", "test.",   "b.w.test."};
#define NZONES (sizeof ZONES / sizeof ZONES[0])

static void op_wild(rd *r, pdns__wcache *c, unsigned *sent)
{
    const char *zone = ZONES[byte(r) % NZONES];
    uint16_t qtype = (byte(r) & 1) ? PDNS__TYPE_A : PDNS__TYPE_AAAA;
    uint64_t now = u64(r) % (7200ull * 1000000000ull);
    pdns__wc_entry *e = pdns__wc_get(c, zone, qtype, now);
    unsigned steps = byte(r) % 8;
    FUZZ_CHECK(c->n <= c->cap, "entries %zu > cap %zu", c->n, c->cap);
    if (!e)
        return;
    {
        size_t i = 0;
        for (; zone[i]; i++) {
            char z = zone[i] >= 'A' && zone[i] <= 'Z' ? (char)(zone[i] + 32) : zone[i];
            FUZZ_CHECK(e->zone[i] == z, "zone %s for %s", e->zone, zone);
        }
        FUZZ_CHECK(e->zone[i] == '\0', "zone %s for %s", e->zone, zone);
    }
    for (unsigned s = 0; s < steps; s++) {
        size_t idx = (size_t)(e - c->e);
        switch (byte(r) % 3) {
        case 0:
            if (pdns__wc_want_probe(e)) {
                FUZZ_CHECK(e->in_flight < 2 && e->probes + e->in_flight < PDNS__WC_CAP,
                           "probe wanted with %u out, %u answered", e->in_flight, e->probes);
                e->in_flight++;
                sent[idx]++;
            }
            break;
        case 1: {
            pdns__aset p;
            read_set(r, &p);
            if (sent[idx]) { /* only answers to probes sent */
                sent[idx]--;
                pdns__wc_on_probe(e, &p, (uint32_t)u64(r), now + u64(r) % 1000000000ull);
                check_set(&e->set);
                FUZZ_CHECK(e->probes <= PDNS__WC_CAP, "probes %u", e->probes);
            }
            break;
        }
        default: {
            pdns__aset rec;
            pdns__wcv v;
            read_set(r, &rec);
            if (rec.obs != PDNS__OBS_POS)
                break;
            v = pdns__wc_explain(e, &rec);
            if (v == PDNS__WCV_YES)
                FUZZ_CHECK(pdns__aset_subset(&rec, &e->set), "explained outside the union");
            if (e->state == PDNS__WCS_NONE)
                FUZZ_CHECK(v == PDNS__WCV_NO, "no wildcard, verdict %d", v);
        }
        }
        FUZZ_CHECK(e->in_flight == sent[idx], "in flight %u, sent %u", e->in_flight, sent[idx]);
    }
}

static void op_names(rd *r)
{
    char label[13], name[64];
    size_t n = byte(r) % sizeof name;
    const char *p;
    pdns__trust_label(label, u64(r));
    FUZZ_CHECK(strlen(label) == 12 && label[0] >= 'a' && label[0] <= 'z', "label %s", label);
    for (int i = 1; i < 12; i++)
        FUZZ_CHECK((label[i] >= 'a' && label[i] <= 'z') || (label[i] >= '0' && label[i] <= '9'),
                   "label %s", label);
    for (size_t i = 0; i < n; i++) {
        unsigned b = byte(r);
        name[i] = (char)(b % 4 == 0 ? '.' : b % 4 == 1 ? '\\' : 'a' + (int)(b % 26));
    }
    name[n] = '\0';
    p = pdns__trust_parent(name);
    if (p) {
        FUZZ_CHECK(p > name && p <= name + n && p[-1] == '.', "parent of %s: %s", name, p);
        FUZZ_CHECK(*p && *p != '.', "parent of %s: %s", name, p);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rd r = {data, size};
    pdns__canary_sched c;
    pdns__trust_srv t;
    pdns__wcache wc;
    unsigned sent[4] = {0};
    if (pdns__wc_init(&wc, 4) != 0)
        return 0;
    pdns__canary_init(&c, 2000000000ull, byte(&r) % 4 ? 2000 : 0, 20000000ull);
    memset(&t, 0, sizeof t);
    while (r.n) {
        switch (byte(&r) % 7) {
        case 0:
            op_sets(&r);
            break;
        case 1:
            op_judge(&r);
            break;
        case 2:
            op_sched(&r, &c);
            break;
        case 3:
            op_k(&r);
            break;
        case 4:
            op_quarantine(&r, &t);
            break;
        case 5:
            op_wild(&r, &wc, sent);
            break;
        default:
            op_names(&r);
        }
    }
    pdns__wc_free(&wc);
    return 0;
}
