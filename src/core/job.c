/* job.c - the state machine of one (name, type) query (pure; see job.h).
 * SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "core/job.h"
#include "dns/name.h"
#include "dns/wire.h"

/* IMPLEMENTATION NOTES
 * Retries. A timeout, SERVFAIL, REFUSED, unreachable server or unusable answer is
 * retried up to cfg->retries times in the hop, each time avoiding the server that failed
 * when there is another. A TC answer is asked again over TCP without spending a retry.
 *
 * CNAME. The answer section is walked from the hop's name: records of the asked type at
 * the current target end the walk; else the target's CNAME (the first one) is followed
 * inside the same answer. A name seen twice, or more than PDNS__MAX_HOPS targets, ends the
 * job with CNAME_LOOP. When the chain ends at a name the answer does not cover, that name
 * is asked in a new hop (the seed's behaviour), at most PDNS__MAX_HOPS hops.
 *
 * fcrdns. With cfg->fcrdns, a PTR answer for an address starts phase 1: the first PTR
 * target is resolved to A/AAAA; the record reports the PTR answers, with fcrdns 1 when a
 * forward answer equals the address and 0 otherwise (a failed forward lookup too). */

static pdns__jv pdns__jv_send(void)
{
    pdns__jv v = {.kind = PDNS__JV_SEND};
    return v;
}

static pdns__jv pdns__jv_done(pdns_rstatus st, const pdns_answer *ans, size_t n, const char *error)
{
    pdns__jv v = {.kind = PDNS__JV_DONE, .status = st, .ans = ans, .n_ans = n, .error = error};
    return v;
}

pdns_status pdns__job_init(pdns__job *j, const char *name, uint16_t qtype, const char **why)
{
    memset(j, 0, offsetof(pdns__job, addr)); /* the buffers need no zeroing (2 KB) */
    j->qname[0] = '\0';
    j->qtype = j->cur_type = qtype;
    j->srv = j->avoid = -1;
    j->rcode = -1;
    j->rtt_ms = -1;
    j->ans = j->ansbuf;
    j->ans_cap = PDNS__JOB_ANS;
    if (qtype == PDNS__TYPE_PTR && pdns__name_ptr(name, j->qname, sizeof j->qname)) {
        j->addr_family = strchr(name, ':') ? AF_INET6 : AF_INET;
        if (inet_pton(j->addr_family, name, j->addr) != 1)
            j->addr_family = 0;
    } else if (pdns__name_normalize(name, j->qname, sizeof j->qname, why) != PDNS_OK) {
        j->qname[0] = '\0';
        return PDNS_ERR_PARSE;
    }
    strcpy(j->cur, j->qname);
    return PDNS_OK;
}

void pdns__job_on_send(pdns__job *j, int srv)
{
    j->srv = srv;
    j->tries++;
    j->rcode = -1; /* rcode and rtt describe the last attempt */
    j->rtt_ms = -1;
}

/* The current hop failed with st: again (elsewhere) while retries are left, else the
 * final record. */
static pdns__jv pdns__retry_or_fail(pdns__job *j, const pdns__job_cfg *cfg, pdns_rstatus st)
{
    if (j->tries < (int)cfg->retries + 1 && !cfg->stopping) {
        j->avoid = cfg->n_srv > 1 ? j->srv : -1;
        return pdns__jv_send();
    }
    return pdns__jv_done(st, NULL, 0,
                         st == PDNS_R_ERROR || st == PDNS_R_UNREACHABLE ? j->error : NULL);
}

/* The forward lookup of phase 1 failed: reported as not confirmed. */
static pdns__jv pdns__fc_unconfirmed(pdns__job *j)
{
    j->fcrdns = 0;
    j->n_cname = j->fc_chain_base;
    return pdns__jv_done(PDNS_R_NOERROR, j->saved, j->n_saved, NULL);
}

pdns__jv pdns__job_on_failure(pdns__job *j, const pdns__job_cfg *cfg, pdns__jfail why,
                              const char *error)
{
    if (j->phase == 1)
        return pdns__fc_unconfirmed(j);
    switch (why) {
    case PDNS__JF_TIMEOUT:
        j->error = error;
        return pdns__retry_or_fail(j, cfg, PDNS_R_TIMEOUT);
    case PDNS__JF_UNREACHABLE:
        j->error = error;
        return pdns__retry_or_fail(j, cfg, PDNS_R_UNREACHABLE);
    case PDNS__JF_ERROR:
    default:
        j->error = error ? error : "transport error";
        return pdns__retry_or_fail(j, cfg, PDNS_R_ERROR);
    }
}

static int pdns__in_chain(const pdns__job *j, const char *name)
{
    if (pdns__name_equal(j->qname, name))
        return 1;
    for (size_t i = 0; i < j->n_cname; i++)
        if (pdns__name_equal(j->cname[i], name))
            return 1;
    return 0;
}

static int pdns__chain_add(pdns__job *j, const char *name)
{
    char **n = realloc(j->cname, (j->n_cname + 1) * sizeof *n);
    if (!n)
        return -1;
    j->cname = n;
    if (!(n[j->n_cname] = strdup(name)))
        return -1;
    j->n_cname++;
    return 0;
}

/* Deep-copy answers into the job (the fcrdns phase reports them). */
static int pdns__save_answers(pdns__job *j, const pdns_answer *a, size_t n)
{
    if (!(j->saved = calloc(n ? n : 1, sizeof *j->saved)))
        return -1;
    for (size_t i = 0; i < n; i++) {
        j->saved[i].type = a[i].type;
        j->saved[i].ttl = a[i].ttl;
        j->saved[i].name = strdup(a[i].name);
        j->saved[i].data = strdup(a[i].data);
        j->n_saved++;
        if (!j->saved[i].name || !j->saved[i].data)
            return -1;
    }
    return 0;
}

/* Whether any forward answer equals the job's address. */
static int pdns__forward_confirms(const pdns__job *j, const pdns_answer *a, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char b[16];
        if (inet_pton(j->addr_family, a[i].data, b) == 1 &&
            memcmp(b, j->addr, j->addr_family == AF_INET ? 4 : 16) == 0)
            return 1;
    }
    return 0;
}

/* Room for n answers in j->ans. */
static int pdns__ans_room(pdns__job *j, size_t n)
{
    pdns_answer *a;
    if (n <= j->ans_cap)
        return 0;
    if (!(a = malloc(n * sizeof *a)))
        return -1;
    if (j->ans != j->ansbuf)
        free(j->ans);
    j->ans = a;
    j->ans_cap = n;
    return 0;
}

/* A usable answer for the current hop (see IMPLEMENTATION NOTES). */
static pdns__jv pdns__process_answer(pdns__job *j, const pdns__job_cfg *cfg, int rcode,
                                     const pdns_answer *rr, size_t n_rr)
{
    const char *target = j->cur;
    size_t n_ans = 0;
    int chase = j->cur_type != PDNS__TYPE_CNAME && j->cur_type != PDNS__TYPE_ANY;
    pdns_rstatus st;

    if (pdns__ans_room(j, n_rr) != 0)
        return pdns__jv_done(PDNS_R_ERROR, NULL, 0, "out of memory");
    for (int guard = 0; guard <= (int)n_rr; guard++) {
        const char *next = NULL;
        n_ans = 0;
        for (size_t i = 0; i < n_rr; i++) {
            const pdns_answer *a = &rr[i];
            if (!pdns__name_equal(a->name, target))
                continue;
            if (a->type == j->cur_type || j->cur_type == PDNS__TYPE_ANY)
                j->ans[n_ans++] = *a;
            else if (chase && a->type == PDNS__TYPE_CNAME && !next)
                next = a->data;
        }
        if (n_ans || !next)
            break;
        if (pdns__in_chain(j, next) || j->n_cname >= PDNS__MAX_HOPS)
            return pdns__jv_done(PDNS_R_CNAME_LOOP, NULL, 0,
                                 j->n_cname >= PDNS__MAX_HOPS ? "CNAME chain longer than 8"
                                                              : "CNAME loop");
        if (pdns__chain_add(j, next) != 0)
            return pdns__jv_done(PDNS_R_ERROR, NULL, 0, "out of memory");
        target = j->cname[j->n_cname - 1];
    }

    st = pdns__rstatus_from_rcode(rcode);
    if (st == PDNS_R_NOERROR && n_ans == 0) {
        if (target != j->cur) {
            /* the chain ends at a name the answer does not cover: ask it in a new hop */
            if (++j->hops > PDNS__MAX_HOPS)
                return pdns__jv_done(PDNS_R_CNAME_LOOP, NULL, 0, "CNAME chain longer than 8");
            if (strlen(target) >= sizeof j->cur)
                return pdns__jv_done(PDNS_R_ERROR, NULL, 0,
                                     "CNAME target is not a valid name (longer than 255 octets)");
            memmove(j->cur, target, strlen(target) + 1);
            j->tries = 0;
            j->avoid = -1;
            return pdns__jv_send();
        }
        st = PDNS_R_NODATA;
    }
    if (j->phase == 0 && cfg->fcrdns && j->qtype == PDNS__TYPE_PTR && j->addr_family &&
        st == PDNS_R_NOERROR && n_ans > 0) {
        /* forward-confirm: resolve the first PTR target to A/AAAA */
        if (strlen(j->ans[0].data) >= sizeof j->cur)
            return pdns__jv_done(PDNS_R_ERROR, NULL, 0,
                                 "PTR target is not a valid name (longer than 255 octets)");
        if (pdns__save_answers(j, j->ans, n_ans) != 0)
            return pdns__jv_done(PDNS_R_ERROR, NULL, 0, "out of memory");
        j->phase = 1;
        j->ptr_rcode = j->rcode;
        strcpy(j->cur, j->saved[0].data);
        j->cur_type = j->addr_family == AF_INET ? PDNS__TYPE_A : PDNS__TYPE_AAAA;
        j->tries = 0;
        j->hops = 0;
        j->avoid = -1;
        j->fc_chain_base = j->n_cname;
        return pdns__jv_send();
    }
    if (j->phase == 1) {
        j->fcrdns = pdns__forward_confirms(j, j->ans, n_ans);
        j->n_cname = j->fc_chain_base; /* the record reports the PTR answers */
        return pdns__jv_done(PDNS_R_NOERROR, j->saved, j->n_saved, NULL);
    }
    return pdns__jv_done(st, j->ans, n_ans, NULL);
}

pdns__jv pdns__job_on_answer(pdns__job *j, const pdns__job_cfg *cfg, int rcode, int tc,
                             const pdns_answer *rr, size_t n_rr, double rtt_ms)
{
    j->rcode = rcode;
    j->rtt_ms = rtt_ms;
    if (tc && !j->tcp) {
        j->tcp = 1;
        j->avoid = -1;
        j->tries--; /* a TC answer is not a failed attempt */
        return pdns__jv_send();
    }
    if (pdns__rcode_server_failure(rcode)) {
        if (j->phase == 1)
            return pdns__fc_unconfirmed(j);
        return pdns__retry_or_fail(j, cfg, pdns__rstatus_from_rcode(rcode));
    }
    return pdns__process_answer(j, cfg, rcode, rr, n_rr);
}

int pdns__job_fcrdns(const pdns__job *j, const pdns__job_cfg *cfg, pdns_rstatus st)
{
    int v;
    if (!(cfg->fcrdns && j->qtype == PDNS__TYPE_PTR && j->addr_family &&
          (st == PDNS_R_NOERROR || j->phase == 1)))
        return -1;
    v = j->phase == 1 ? j->fcrdns : 0;
    if (j->phase == 0 && st != PDNS_R_NOERROR)
        v = -1;
    return v;
}

int pdns__job_rcode(const pdns__job *j)
{
    return j->phase == 1 ? j->ptr_rcode : j->rcode;
}

void pdns__job_free(pdns__job *j)
{
    for (size_t i = 0; i < j->n_cname; i++)
        free(j->cname[i]);
    free(j->cname);
    for (size_t i = 0; i < j->n_saved; i++) {
        free((char *)j->saved[i].name);
        free((char *)j->saved[i].data);
    }
    free(j->saved);
    if (j->ans != j->ansbuf)
        free(j->ans);
    j->cname = NULL;
    j->saved = NULL;
    j->ans = j->ansbuf;
    j->n_cname = j->n_saved = 0;
}
