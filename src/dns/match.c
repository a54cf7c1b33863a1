/* dns/match.c - does a datagram answer our query? (see dns/match.h)
 * SPDX-License-Identifier: MIT */
#include <string.h>
#include "dns/match.h"

static uint8_t lower(uint8_t c)
{
    return c >= 'A' && c <= 'Z' ? (uint8_t)(c + ('a' - 'A')) : c;
}

int pdns__dns_wname_equal(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    /* length bytes are 1..63, below 'A': folding every byte leaves them alone */
    if (alen != blen)
        return 0;
    if (memcmp(a, b, alen) == 0) /* the usual case: the server echoes our bytes */
        return 1;
    for (size_t i = 0; i < alen; i++)
        if (lower(a[i]) != lower(b[i]))
            return 0;
    return 1;
}

/* Text of a header-only error answer (static), or NULL when the rcode is not one. */
static const char *header_only_error(int rcode)
{
    switch (rcode) {
    case PDNS__RCODE_FORMERR:
        return "FORMERR answer without the question";
    case PDNS__RCODE_SERVFAIL:
        return "SERVFAIL answer without the question";
    case PDNS__RCODE_NOTIMP:
        return "NOTIMP answer without the question";
    case PDNS__RCODE_REFUSED:
        return "REFUSED answer without the question";
    default:
        return NULL;
    }
}

const char *pdns__dns_match_name(pdns__dns_match m)
{
    static const char *const names[] = {
        [PDNS__MATCH_ANSWER] = "answer",
        [PDNS__MATCH_HEADER_ERROR] = "header-only error",
        [PDNS__MATCH_SHORT] = "shorter than a header",
        [PDNS__MATCH_OTHER_ID] = "another ID",
        [PDNS__MATCH_NOT_RESPONSE] = "QR not set",
        [PDNS__MATCH_QDCOUNT] = "bad QDCOUNT",
        [PDNS__MATCH_QUESTION_CUT] = "question cut",
        [PDNS__MATCH_COMPRESSED] = "compressed question",
        [PDNS__MATCH_OTHER_QUESTION] = "another question",
    };
    if ((unsigned)m < sizeof names / sizeof names[0] && names[m])
        return names[m];
    return "unknown verdict";
}

/* Header first (length, ID, QR, QDCOUNT; a header-only error ends there), then the
 * question: labels up to the root (no compression), then type and class. */
pdns__dns_match pdns__dns_match_answer(const uint8_t *p, size_t n, const pdns__dns_query *q,
                                       pdns__dns_match_result *res)
{
    pdns__dns_match_result dummy;
    pdns__dns_match_result *r = res ? res : &dummy;
    size_t off = PDNS__WIRE_HDR_LEN, qstart = PDNS__WIRE_HDR_LEN;
    uint16_t qtype, qclass;

    r->qend = 0;
    r->why = NULL;
    if (n < PDNS__WIRE_HDR_LEN) {
        r->id = r->flags = r->qdcount = r->ancount = 0;
        r->opcode = 0;
        r->rcode = r->tc = 0;
        return PDNS__MATCH_SHORT;
    }
    r->id = pdns__wire_get_id(p);
    r->flags = pdns__wire_get_flags(p);
    r->qdcount = pdns__wire_get_qdcount(p);
    r->ancount = pdns__wire_get_ancount(p);
    r->opcode = pdns__wire_get_opcode(p);
    r->rcode = pdns__wire_get_rcode(p);
    r->tc = pdns__wire_get_tc(p);
    if (r->id != q->id)
        return PDNS__MATCH_OTHER_ID;
    if (!(r->flags & PDNS__WIRE_QR))
        return PDNS__MATCH_NOT_RESPONSE;
    if (r->qdcount > 1)
        return PDNS__MATCH_QDCOUNT;
    if (r->qdcount == 0) {
        /* some servers send error answers without the question */
        const char *why = header_only_error(r->rcode);
        if (!why || r->ancount)
            return PDNS__MATCH_QDCOUNT;
        r->why = why;
        return PDNS__MATCH_HEADER_ERROR;
    }
    while (off < n && p[off] != 0) {
        if (p[off] & PDNS__WIRE_PTR_MASK)
            return PDNS__MATCH_COMPRESSED;
        off += (size_t)p[off] + 1;
    }
    if (off >= n || n - off < 1 + PDNS__WIRE_QFIXED)
        return PDNS__MATCH_QUESTION_CUT;
    off++; /* the root label */
    qtype = pdns__wire_read_u16(p + off);
    qclass = pdns__wire_read_u16(p + off + 2);
    if (qtype != q->qtype || qclass != PDNS__CLASS_IN ||
        !pdns__dns_wname_equal(p + qstart, off - qstart, q->qname, q->qlen))
        return PDNS__MATCH_OTHER_QUESTION;
    r->qend = off + PDNS__WIRE_QFIXED;
    return PDNS__MATCH_ANSWER;
}
