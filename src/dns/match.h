/* dns/match.h - does a datagram answer our query? The check the UDP transport applies
 * to every untrusted datagram, apart from any I/O: header, ID, QR, QDCOUNT, the
 * question (name compared case-insensitively, type, class IN), header-only error
 * answers, TC and the rcode. Pure: no libuv, getdns or cJSON.
 * SPDX-License-Identifier: MIT */
#ifndef PDNS_DNS_MATCH_H
#define PDNS_DNS_MATCH_H

#include <stddef.h>
#include <stdint.h>
#include "dns/wire.h"

/* The query a datagram must answer. */
typedef struct pdns__dns_query {
    uint16_t id;
    uint16_t qtype;       /* class is always IN */
    const uint8_t *qname; /* wire name as sent (uncompressed) */
    size_t qlen;          /* its length, the root label included */
} pdns__dns_query;

/* The verdicts, "ours" first: only ANSWER and HEADER_ERROR end the query's attempt;
 * every other one is a stray datagram to ignore (the real answer or the timeout still
 * comes). */
typedef enum pdns__dns_match {
    PDNS__MATCH_ANSWER = 0,     /* answers the query: rcode, tc, ancount, qend are set */
    PDNS__MATCH_HEADER_ERROR,   /* an error answer without the question (QDCOUNT 0,
                                   ANCOUNT 0, rcode FORMERR, SERVFAIL, NOTIMP or REFUSED):
                                   only the ID matched, so it may only make us ask
                                   elsewhere, never be a result; why says which */
    PDNS__MATCH_SHORT,          /* shorter than a header */
    PDNS__MATCH_OTHER_ID,       /* another ID */
    PDNS__MATCH_NOT_RESPONSE,   /* QR not set */
    PDNS__MATCH_QDCOUNT,        /* QDCOUNT over 1, or 0 without being a header-only error */
    PDNS__MATCH_QUESTION_CUT,   /* the question runs past the end of the datagram */
    PDNS__MATCH_COMPRESSED,     /* a compression pointer (or reserved label type) in the
                                   question: never in a question we sent */
    PDNS__MATCH_OTHER_QUESTION, /* another name, type or class */
    PDNS__MATCH_N_VERDICTS
} pdns__dns_match;

/* What the header and question said: the header fields once the datagram has a header
 * (zero before), qend for ANSWER only (else 0). */
typedef struct pdns__dns_match_result {
    uint16_t id, flags, qdcount, ancount;
    unsigned opcode; /* not checked: kept for the caller */
    int rcode;       /* the header's 4-bit rcode */
    int tc;          /* 1 when TC is set */
    size_t qend;     /* ANSWER: offset just past the question */
    const char *why; /* HEADER_ERROR: static text saying which (else NULL; the verdict's
                        own text is pdns__dns_match_name) */
} pdns__dns_match_result;

/* Check datagram p[0..n) against q (the bytes are only read). Returns the verdict and
 * fills *r (r may be NULL). */
pdns__dns_match pdns__dns_match_answer(const uint8_t *p, size_t n, const pdns__dns_query *q,
                                       pdns__dns_match_result *r);

/* Whether two uncompressed wire names of alen and blen octets are equal, ASCII letters
 * compared case-insensitively (RFC 4343). */
int pdns__dns_wname_equal(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen);

/* Static name of a verdict ("answer", "other-id", ...), for tests and logs. */
const char *pdns__dns_match_name(pdns__dns_match m);

#endif
