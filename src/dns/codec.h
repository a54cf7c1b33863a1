/* dns/codec.h - answers decoded with libknot: rcode (extended), TC and the answer section
 * as presentation-format records, with no allocation per answer once warm. Pure: libknot
 * only (no libuv, getdns or cJSON).
 * SPDX-License-Identifier: MIT */
#ifndef PDNS_DNS_CODEC_H
#define PDNS_DNS_CODEC_H

#include <stddef.h>
#include <stdint.h>
#include "pacedns.h"

/* One decoder: a reusable knot_pkt_t, an arena for libknot's allocations and the text
 * and record buffers of the last answer. One per loop (never used from two threads). */
typedef struct pdns__codec pdns__codec;

typedef enum pdns__codec_status {
    PDNS__CODEC_OK = 0,    /* rcode, tc and the records are set */
    PDNS__CODEC_MALFORMED, /* the answer cannot be used; why says which part */
    PDNS__CODEC_NOMEM      /* no memory for the text */
} pdns__codec_status;

/* A decoded answer. rr and its strings belong to the codec: valid until its next
 * decode or free. */
typedef struct pdns__codec_answer {
    int rcode;             /* the whole rcode: the header's 4 bits and, when an OPT
                              record is present, its 8 extended bits (RFC 6891 6.1.3) */
    int tc;                /* 1 when TC is set */
    int edns;              /* 1 when an OPT record was found */
    size_t n_rr;           /* answer-section records (OPT and RRSIG left out) */
    const pdns_answer *rr; /* in wire order; name: owner with trailing dot */
    const char *why;       /* MALFORMED: static text */
} pdns__codec_answer;

/* A new codec, or NULL when out of memory. */
pdns__codec *pdns__codec_new(void);
void pdns__codec_free(pdns__codec *c);

/* Decode datagram p[0..n). The header and question are taken as they are (the matcher,
 * dns/match.c, has checked them); the answer section is parsed by knot_pkt_parse in
 * place and every record printed (owner: knot_dname_to_str; rdata:
 * knot_rrset_txt_dump_data, in RFC 3597 form for the types of pdns__codec_generic; AAAA:
 * inet_ntop); the authority and additional sections are only walked to find the OPT
 * record (its extended rcode). Malformed: a header or question that does not parse, an
 * answer section cut short or holding an undecodable record (or an OPT/TSIG where it
 * may not be), a record with empty rdata (libknot accepts those for dynamic updates) or
 * one libknot cannot print, authority or additional sections that run past the
 * datagram, an OPT record that does not parse. p is modified during the call (NSCOUNT
 * and ARCOUNT) and restored before it returns. */
pdns__codec_status pdns__codec_decode(pdns__codec *c, uint8_t *p, size_t n,
                                      pdns__codec_answer *out);

/* Whether records of this type are printed in RFC 3597 generic form ("\# len hex")
 * although libknot knows a presentation form: libknot 3.2's printer reads past the
 * rdata of these types when it is malformed (a type sweep and fuzz_codec crashed it on
 * IPSECKEY, NSEC3, NSEC3PARAM, SVCB, HTTPS and TSIG), and its parser does not check
 * their inner structure. */
int pdns__codec_generic(uint16_t type);

/* Only the rcode (extended as above) and TC, records left out: for answers whose
 * records are not needed (ANCOUNT 0, TC). qend: where the question section ends when
 * the caller knows it (dns/match.c's qend), else 0. Same checks on the header and on
 * the walk to the OPT record; p is only read. */
pdns__codec_status pdns__codec_rcode(pdns__codec *c, const uint8_t *p, size_t n, size_t qend,
                                     pdns__codec_answer *out);

#endif
