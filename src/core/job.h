/* job.h - the state machine of one (name, type) query: CNAME chase, retries, TC, fcrdns.
 * SPDX-License-Identifier: MIT
 *
 * Pure: no I/O, no clock, no libuv/getdns/cJSON. The engine sends what the job asks
 * for, feeds back what came of it (an answer or a failure) and acts on the verdict:
 * send the current hop (again) or report the final record. */
#ifndef PDNS_CORE_JOB_H
#define PDNS_CORE_JOB_H

#include <stddef.h>
#include <stdint.h>

#include "dns/name.h"
#include "pacedns.h"

#define PDNS__MAX_HOPS 8  /* CNAME targets followed at most */
#define PDNS__JOB_ANS  16 /* answers kept without an allocation */

typedef struct pdns__job {
    uint16_t qtype;    /* asked type (record type) */
    uint16_t cur_type; /* type of the current hop's query (fcrdns: A/AAAA) */
    int hops;          /* CNAME targets followed in new hops */
    int tries;         /* attempts in the current hop */
    int srv;           /* server of the last attempt, -1 none (engine's) */
    int avoid;         /* server to avoid for the next attempt, -1 none */
    int tcp;           /* next attempt over TCP */
    int rcode;         /* rcode of the last answer, -1 none */
    double rtt_ms;     /* RTT of the last answer, -1 none */
    char **cname;      /* CNAME chain targets */
    size_t n_cname;
    /* forward-confirmed reverse DNS: phase 1 resolves the PTR target forward */
    int phase;
    int addr_family;
    pdns_answer *saved; /* the PTR answers (phase 1 reports them) */
    size_t n_saved;
    int fcrdns;
    size_t fc_chain_base; /* chain length when the forward phase began */
    int ptr_rcode;        /* rcode of the PTR answer (the record reports it) */
    const char *error;    /* static text of the last failure */
    pdns_answer *ans;     /* the final record's answers: ansbuf or heap */
    size_t ans_cap;
    /* the buffers last: pdns__job_init leaves them uninitialised but for a NUL */
    unsigned char addr[16];
    char qname[PDNS__NAME_MAX];    /* first query name (absolute) */
    char cur[PDNS__NAME_TEXT_MAX]; /* current hop's name (a target: any escaped name) */
    pdns_answer ansbuf[PDNS__JOB_ANS];
} pdns__job;

/* What the engine must do next. */
typedef enum pdns__jv_kind {
    PDNS__JV_SEND = 0, /* send the current hop (cur, cur_type, tcp, avoiding avoid) */
    PDNS__JV_DONE      /* report the record below; the job is finished */
} pdns__jv_kind;

typedef struct pdns__jv {
    pdns__jv_kind kind;
    pdns_rstatus status;
    const pdns_answer *ans; /* owned by the job or the caller's reply: valid until the
                               next call on the job or pdns__job_free */
    size_t n_ans;
    const char *error; /* static text, or NULL */
} pdns__jv;

/* Settings that shape a job's verdicts. */
typedef struct pdns__job_cfg {
    unsigned retries; /* retries per hop on timeout, SERVFAIL, REFUSED, errors */
    int fcrdns;       /* PTR: forward-confirm */
    size_t n_srv;     /* servers: with more than one, a retry avoids the last */
    int stopping;     /* the run stops: no more retries */
} pdns__job_cfg;

/* How an attempt failed without a usable answer. */
typedef enum pdns__jfail {
    PDNS__JF_TIMEOUT = 0, /* no answer in time */
    PDNS__JF_UNREACHABLE, /* ICMP unreachable or a failed send */
    PDNS__JF_ERROR        /* a local failure or an unusable answer */
} pdns__jfail;

/* The record status of a final answer's rcode (rcode.c). */
pdns_rstatus pdns__rstatus_from_rcode(int rcode);

/* Set up a job for one input name and type. Returns PDNS_OK, or PDNS_ERR_PARSE with *why
 * set when the name is not valid (with PTR an address literal becomes its .arpa name). */
pdns_status pdns__job_init(pdns__job *j, const char *name, uint16_t qtype, const char **why);

/* An answer to the current hop (rr: its answer section). rtt_ms is recorded. */
pdns__jv pdns__job_on_answer(pdns__job *j, const pdns__job_cfg *cfg, int rcode, int tc,
                             const pdns_answer *rr, size_t n_rr, double rtt_ms);

/* A failed attempt; error is a static text (may be NULL). */
pdns__jv pdns__job_on_failure(pdns__job *j, const pdns__job_cfg *cfg, pdns__jfail why,
                              const char *error);

/* The engine is about to send the current hop: counts the attempt. */
void pdns__job_on_send(pdns__job *j, int srv);

/* fcrdns value of the final record of status st: -1 not checked, 0 failed, 1 confirmed. */
int pdns__job_fcrdns(const pdns__job *j, const pdns__job_cfg *cfg, pdns_rstatus st);

/* rcode the final record reports (the PTR answer's in the forward phase). */
int pdns__job_rcode(const pdns__job *j);

/* Release what the job allocated (not the job itself). */
void pdns__job_free(pdns__job *j);

#endif
