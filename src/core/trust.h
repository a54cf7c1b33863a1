/* trust.h - pure trust decisions: answer sets, canary scheduling and verdicts, quarantine
 * state, wildcard inference.
 * SPDX-License-Identifier: MIT
 *
 * Pure: no I/O, no clock, no randomness of its own. Times (ns, monotonic) and random
 * bits are arguments; answers come in as records in presentation format. The engine's
 * glue (engine/trust.c) sends the queries these decisions ask for. */
#ifndef PDNS_CORE_TRUST_H
#define PDNS_CORE_TRUST_H

#include <stddef.h>
#include <stdint.h>

#include "pacedns.h"

/* ---- answer sets ---------------------------------------------------------------- */

/* What an answer says, reduced to what the comparisons look at. */
typedef enum pdns__obs {
    PDNS__OBS_NONE = 0, /* no usable answer (timeout, SERVFAIL, REFUSED, other rcode) */
    PDNS__OBS_NX,       /* NXDOMAIN */
    PDNS__OBS_NODATA,   /* NOERROR without records */
    PDNS__OBS_POS       /* NOERROR with records (of the type, or a CNAME chain) */
} pdns__obs;

#define PDNS__ASET_MAX 64 /* elements kept; beyond it the set is marked cut */

/* An answer set: the observation and, when positive, the sorted distinct hashes of its
 * elements: each CNAME target ("C:" + lower-cased name) and each record of the asked
 * type (lower-cased data). Order and TTLs do not matter; a wildcard CNAME compares by
 * its target. */
typedef struct pdns__aset {
    pdns__obs obs;
    unsigned n;
    int cut; /* more elements than PDNS__ASET_MAX: only the first are kept */
    uint64_t h[PDNS__ASET_MAX];
} pdns__aset;

/* The set of a record: rcode (-1: none), answers of the asked type and the chain's
 * CNAME targets (as a record carries them). */
void pdns__aset_from_record(pdns__aset *s, int rcode, const pdns_answer *ans, size_t n_ans,
                            const char *const *cname, size_t n_cname);
/* The set of a raw answer section to a question of type qtype: CNAME records give
 * their targets, records of qtype their data, others are ignored. */
void pdns__aset_from_rrs(pdns__aset *s, int rcode, uint16_t qtype, const pdns_answer *rr,
                         size_t n_rr);
/* Same observation and, when positive, the same elements. */
int pdns__aset_equal(const pdns__aset *a, const pdns__aset *b);
/* Every element of a is in b (both positive). */
int pdns__aset_subset(const pdns__aset *a, const pdns__aset *b);
/* Some element of a is in b (both positive). */
int pdns__aset_overlap(const pdns__aset *a, const pdns__aset *b);
/* Add b's elements to u; returns how many were new. u becomes positive. */
unsigned pdns__aset_union(pdns__aset *u, const pdns__aset *b);

/* ---- verdicts ------------------------------------------------------------------- */

typedef enum pdns__tj {
    PDNS__TJ_PASS = 0, /* the answer agrees with the references */
    PDNS__TJ_FAIL,     /* the answer contradicts them: *why says how */
    PDNS__TJ_MORE,     /* one reference is not enough: ask another */
    PDNS__TJ_UNSURE    /* no stable answer to compare with (CDN, rotation, no answers) */
} pdns__tj;

/* Agreeing references a stable answer needs: two, or PDNS__TRUST_NEED_POS when it and
 * the judged answer are both positive (they may be two draws of a rotating pool). */
#define PDNS__TRUST_NEED     2
#define PDNS__TRUST_NEED_POS 6
#define PDNS__TRUST_MAX_REFS PDNS__TRUST_NEED_POS /* references asked about one answer */

/* Judge own (one server's answer) against refs (other servers' answers to the same
 * question, a server possibly asked more than once). src[i] names refs[i]'s server: a
 * bulk server's id (>= 0) counts once however often it is asked; a trusted server's
 * ask (< 0) counts each time (src NULL: every answer counts). Own equal to any reference
 * passes. Own positive where a reference says NXDOMAIN fails (NXDOMAIN hijack).
 * References that disagree: UNSURE. A stable answer is one all usable references agree
 * on, at least PDNS__TRUST_NEED answers (PDNS__TRUST_NEED_POS when it and own are both
 * positive) from at least two counted sources (one bulk server repeating itself is no
 * stable answer): own differing from it fails. Otherwise MORE when more_possible, else
 * UNSURE. *why gets a static text for FAIL. */
pdns__tj pdns__trust_judge(const pdns__aset *own, const pdns__aset *refs, const int *src,
                           size_t n_refs, int more_possible, const char **why);

/* What a random label (a canary's NXDOMAIN-hijack check) proves about the server asked. */
typedef enum pdns__lv {
    PDNS__LV_DENIED = 0, /* the server denies it (NXDOMAIN, NODATA): it does not hijack */
    PDNS__LV_FAIL,       /* it answers where a reference says NXDOMAIN: a hijack (*why) */
    PDNS__LV_MORE,       /* ask another reference */
    PDNS__LV_WILD,       /* a reference answers it too (a wildcard): proves nothing, and
                          * the zone is no use for random labels */
    PDNS__LV_UNSURE      /* no answer from the server, or none from the references:
                          * proves nothing (a slow or lossy path), ask again */
} pdns__lv;

/* Judge the server's answer own to a random label against refs (as pdns__trust_judge).
 * Only a denial is proof: a positive answer that a reference repeats (a wildcard zone)
 * and an answer that cannot be judged prove nothing. A positive answer with no reference
 * at all (n_refs 0, !more_possible: no other server) is taken as a wildcard: nothing can
 * tell it from one. */
pdns__lv pdns__trust_label_judge(const pdns__aset *own, const pdns__aset *refs, const int *src,
                                 size_t n_refs, int more_possible, const char **why);

/* ---- canary scheduling ---------------------------------------------------------- */

/* The canary guarantee: a round's sample is drawn from the records its server answered
 * and that wait for it; a server lying on a fraction >= PDNS__CANARY_F of its answers
 * (answers with a stable reference answer) is caught by a round with probability
 * >= 1 - PDNS__CANARY_DELTA. */
#define PDNS__CANARY_F     0.3
#define PDNS__CANARY_DELTA 1e-3

/* The sample size for that guarantee: the smallest k with (1 - f)^k <= delta (drawn
 * without replacement the miss probability is smaller still); 1 when f >= 1, 0 for a
 * meaningless f or delta (f <= 0 or delta <= 0: no k is enough; delta >= 1: none is
 * needed; at most 100000). f = 0.3, delta = 1e-3: 20. */
unsigned pdns__canary_k(double f, double delta);

/* When a server's next canary round is due. */
typedef struct pdns__canary_sched {
    uint64_t period_ns;     /* at least every period (while the run goes on) */
    uint64_t every_answers; /* ... or every so many answers */
    uint64_t tail_gap_ns;   /* at the tail, with records held: after this gap */
    uint64_t last_ns;       /* when the last round was sent */
    uint64_t answers;       /* answers since the last round was sent */
    int started;            /* a first round was sent */
    int in_flight;          /* a round is out */
} pdns__canary_sched;

void pdns__canary_init(pdns__canary_sched *c, uint64_t period_ns, uint64_t every_answers,
                       uint64_t tail_gap_ns);
/* Due now? held: records of this server wait for a round; tail: input is exhausted (then
 * a round is due tail_gap after the last, answers or not: the last records need a second
 * look, see pdns__trust_pass). A first round is due at once ("before the run"); never
 * two at a time. */
int pdns__canary_due(const pdns__canary_sched *c, uint64_t now, int held, int tail);
void pdns__canary_sent(pdns__canary_sched *c, uint64_t now);
void pdns__canary_done(pdns__canary_sched *c);
void pdns__canary_on_answer(pdns__canary_sched *c);

/* Canary rounds in a row that prove nothing before the server is judged anyway. */
#define PDNS__CANARY_UNSURE_MAX 3

/* The random-label part of a round: */
#define PDNS__RL_NONE   0 /* none possible: every zone of the input has a wildcard */
#define PDNS__RL_OPEN   1 /* asked, not concluded (no denial yet) */
#define PDNS__RL_DENIED 2 /* the server denied a random label */

typedef enum pdns__rv {
    PDNS__RV_PASS = 0,  /* release the records the round vouches for */
    PDNS__RV_WAIT,      /* proves nothing: the records wait for the next round */
    PDNS__RV_QUARANTINE /* PDNS__CANARY_UNSURE_MAX rounds without a denial: quarantine */
} pdns__rv;

/* The verdict of a round without a failed check. label: PDNS__RL_*; passed: samples that
 * passed; *unsure: rounds in a row that proved nothing (updated). A round passes only
 * with a denied random label, or, when no random label is possible, with a passed sample;
 * after PDNS__CANARY_UNSURE_MAX rounds that prove nothing, a server whose random labels
 * were never denied is quarantined (a hijacker must not pass because its canaries were
 * not judged in time), and one without a possible random label passes (nothing of the
 * input can be hijacked: every zone has a wildcard). */
pdns__rv pdns__canary_round(int label, unsigned passed, unsigned *unsure);

/* ---- quarantine ----------------------------------------------------------------- */

typedef enum pdns__tstate {
    PDNS__TS_UNCHECKED = 0, /* no canary passed yet: its records wait */
    PDNS__TS_HEALTHY,       /* its last canary passed */
    PDNS__TS_QUARANTINED    /* a canary failed: no more bulk queries */
} pdns__tstate;

typedef struct pdns__trust_srv {
    pdns__tstate state;
    char reason[240];
    double at_s;              /* when it was quarantined (seconds since start) */
    uint64_t epoch;           /* answers seen (a held record's mark) */
    uint64_t passed_epoch;    /* records with a mark below this are believed */
    uint64_t vetted_epoch;    /* records with a mark below this were in the population of a
                               * passed round (looked at once) */
    uint64_t canaries;        /* canary queries sent to it (and about it, to others) */
    uint64_t canaries_failed; /* canary rounds failed (0 or 1: it is quarantined) */
    uint64_t wildcard_probes; /* wildcard probes sent to it */
    uint64_t verify;          /* verification queries answered by it (trusted servers) */
    unsigned unsure_rounds;   /* canary rounds in a row that proved nothing (glue's) */
    pdns__canary_sched sched;
} pdns__trust_srv;

const char *pdns__tstate_name(pdns__tstate st);
/* Two looks. A round draws its sample from the records not yet looked at by a passed
 * round (pdns__trust_fresh), when there are any (else: at the tail, or when no answer
 * came since, from every record that waits). A round that drew from fresh records and
 * passes releases the records the previous passed round looked at (marks below
 * vetted_epoch), not its own: its own wait for the next round, whose sample comes after
 * them. So a server that turns liar in the middle of a round's records (a small part of
 * that round's sample population lies: that round may well miss it) must also pass the
 * next round, whose population lies whole after the turn. A round without fresh records
 * (fresh 0) was a second look: it releases every record it looked at.
 *
 * A round sent when the server's epoch was mark - 1 passed (records marked below mark
 * were in the queue when it drew). Returns 1 when the state changed. */
int pdns__trust_pass(pdns__trust_srv *t, uint64_t mark, int fresh);
/* A record marked mark is fresh: no passed round looked at it yet. */
int pdns__trust_fresh(const pdns__trust_srv *t, uint64_t mark);
/* A canary failed at at_s: quarantine with reason (first failure wins). Returns 1 when
 * the server was not quarantined before. */
int pdns__trust_fail(pdns__trust_srv *t, double at_s, const char *reason);
/* A record of this server marked mark may be written. */
int pdns__trust_believed(const pdns__trust_srv *t, uint64_t mark);

/* ---- wildcards ------------------------------------------------------------------ */

#define PDNS__WC_NEED    4  /* probes in a row without a new answer before settling */
#define PDNS__WC_CAP     64 /* probes per ancestor at most */
#define PDNS__WC_ENTRIES 4096
#define PDNS__WC_MAX_TTL 3600 /* re-checked at least hourly */
#define PDNS__WC_FAILS   3    /* failed probes before giving up (not a wildcard) */

typedef enum pdns__wcs {
    PDNS__WCS_PROBING = 0, /* more probes needed */
    PDNS__WCS_NONE,        /* random labels do not exist: no wildcard */
    PDNS__WCS_WILD         /* random labels get answers: their union is in set */
} pdns__wcs;

/* One ancestor (and type): what random labels under it got. */
typedef struct pdns__wc_entry {
    char zone[256]; /* the ancestor, absolute, lower-cased */
    uint16_t qtype;
    pdns__wcs state;
    pdns__aset set;      /* union of the answers random labels got */
    uint64_t last_h;     /* the last probe's answer set, to see rotation */
    int rotates;         /* probes got different sets: load-balanced */
    unsigned probes;     /* probes answered */
    unsigned since_new;  /* answered probes since the union last grew */
    unsigned fails;      /* probes without a usable answer */
    unsigned in_flight;  /* probes out */
    uint32_t min_ttl;    /* of the probes' answers */
    uint64_t expires_ns; /* settled until then */
    uint64_t used;       /* last use, for eviction */
} pdns__wc_entry;

typedef struct pdns__wcache {
    pdns__wc_entry *e;
    size_t n, cap;
    uint64_t clock; /* use counter */
} pdns__wcache;

typedef enum pdns__wcv {
    PDNS__WCV_NO = 0, /* not explained by a wildcard at this ancestor */
    PDNS__WCV_YES,    /* every element is among the wildcard's answers */
    PDNS__WCV_WAIT    /* probe more first (pdns__wc_want_probe) */
} pdns__wcv;

/* cap entries at most (0: PDNS__WC_ENTRIES). Returns 0 or -1 (no memory). */
int pdns__wc_init(pdns__wcache *c, size_t cap);
void pdns__wc_free(pdns__wcache *c);
/* The entry of (zone, qtype), created (probing) when missing or expired; the least
 * recently used settled entry without probes out makes room. NULL when full of probing
 * entries or the zone is too long. Valid until the next pdns__wc_get. */
pdns__wc_entry *pdns__wc_get(pdns__wcache *c, const char *zone, uint16_t qtype, uint64_t now);
/* A probe's answer (set; ttl the smallest TTL of its records) arrived at now. */
void pdns__wc_on_probe(pdns__wc_entry *e, const pdns__aset *probe, uint32_t ttl, uint64_t now);
/* Whether another probe should go out now (at most two at a time). */
int pdns__wc_want_probe(const pdns__wc_entry *e);
/* Is rec (a positive record's set) explained by this ancestor's wildcard? A record that
 * shares some answers with a wildcard that rotates, but has one not seen yet, asks for
 * more probes (up to the cap) before it is judged. */
pdns__wcv pdns__wc_explain(pdns__wc_entry *e, const pdns__aset *rec);

/* ---- names ---------------------------------------------------------------------- */

/* A random label of 12 letters and digits from rnd (writes 13 bytes with the NUL). */
void pdns__trust_label(char out[13], uint64_t rnd);
/* The parent of an absolute name ("a.b.test." -> "b.test."), NULL for the root or a
 * single label (no probe goes to a top-level domain), and for a name whose second label
 * is empty ("a..b."). */
const char *pdns__trust_parent(const char *name);

#endif
