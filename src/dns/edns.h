/* dns/edns.h - query flags and EDNS options (RD, DO, UDP size, NSID, COOKIE, ECS) for
 * the query encoder, and what an answer says about them (AD, RRSIG count, NSID, the
 * server cookie, the ECS scope). Pure: no I/O, no allocation, no libuv/getdns/cJSON.
 * SPDX-License-Identifier: MIT */
#ifndef PDNS_DNS_EDNS_H
#define PDNS_DNS_EDNS_H

#include <stddef.h>
#include <stdint.h>
#include "dns/query.h"
#include "dns/wire.h"

/* EDNS option codes (IANA "DNS EDNS0 Option Codes") */
#define PDNS__EDNS_NSID   3  /* RFC 5001 */
#define PDNS__EDNS_ECS    8  /* RFC 7871 */
#define PDNS__EDNS_COOKIE 10 /* RFC 7873 */

#define PDNS__EDNS_DO           0x8000 /* the DO bit of the OPT TTL's flags (RFC 3225) */
#define PDNS__EDNS_DEFAULT_SIZE 1232   /* UDP payload size offered by default */
#define PDNS__EDNS_OPT_HDR      4      /* option code and length */
#define PDNS__COOKIE_CLIENT_LEN 8      /* RFC 7873 4.1 */
#define PDNS__COOKIE_SERVER_MIN 8      /* RFC 7873 4.2: a server cookie is 8 to 32 octets */
#define PDNS__COOKIE_SERVER_MAX 32
#define PDNS__ECS_FAMILY_IPV4   1 /* RFC 7871 6: address family numbers */
#define PDNS__ECS_FAMILY_IPV6   2
#define PDNS__NSID_MAX          128 /* NSID octets kept */

/* What a query carries beyond the question. All zero: RD set, EDNS0 with the default
 * payload size and no option (what pdns__dns_query_encode sends). */
typedef struct pdns__qopts {
    int no_rd;         /* RD clear (authoritative benchmarking) */
    int no_edns;       /* no OPT record at all (then no DO and no option) */
    uint16_t udp_size; /* payload size offered; 0: PDNS__EDNS_DEFAULT_SIZE */
    int do_bit;        /* DO: ask for DNSSEC records */
    int nsid;          /* an empty NSID option */
    int cookie;        /* a COOKIE option with client_cookie */
    uint8_t client_cookie[PDNS__COOKIE_CLIENT_LEN];
    int ecs;             /* an ECS option: family, source prefix, address */
    uint16_t ecs_family; /* PDNS__ECS_FAMILY_* */
    uint8_t ecs_prefix;  /* source prefix length */
    uint8_t ecs_addr[16];
} pdns__qopts;

/* The options' octets at most (NSID, COOKIE, ECS), and the longest shaped query. */
#define PDNS__EDNS_OPTS_MAX      (3 * PDNS__EDNS_OPT_HDR + PDNS__COOKIE_CLIENT_LEN + 4 + 16)
#define PDNS__DNS_QUERY_OPTS_MAX (PDNS__DNS_QUERY_MAX + PDNS__EDNS_OPTS_MAX)

/* Parse "ADDR/PREFIX" (IPv4 prefix 0-32, IPv6 0-128; "ADDR" alone is a full-length
 * prefix) into o's ECS fields and set o->ecs. Bits past the prefix must be zero (RFC
 * 7871 6). Returns 0, or -1 with *why a static reason. */
int pdns__ecs_parse(const char *text, pdns__qopts *o, const char **why);

/* Write a query like pdns__dns_query_encode (dns/query.h), shaped by o (NULL: all
 * zero). Returns the length, or 0 when it does not fit in cap. */
size_t pdns__dns_query_encode_opts(uint8_t *pkt, size_t cap, uint16_t id, const uint8_t *qname,
                                   size_t qlen, uint16_t qtype, const pdns__qopts *o);

/* What a cookie check of an answer found (RFC 7873 5.3). */
typedef enum pdns__cookie_state {
    PDNS__COOKIE_NOT_ASKED = 0, /* we sent no cookie */
    PDNS__COOKIE_MISSING,       /* no COOKIE option, or our client cookie alone */
    PDNS__COOKIE_BAD,           /* another client cookie, or a malformed option */
    PDNS__COOKIE_OK             /* our client cookie and a server cookie of 8-32 octets */
} pdns__cookie_state;

/* What an answer says about flags and EDNS. */
typedef struct pdns__edns_info {
    int ad;            /* the header's AD bit */
    unsigned rrsig;    /* RRSIG records in the answer section */
    int has_opt;       /* an OPT record in the additional section */
    uint16_t udp_size; /* its payload size */
    int do_bit;        /* its DO bit */
    size_t nsid_len;   /* NSID octets (0: none; at most PDNS__NSID_MAX kept) */
    int has_nsid;      /* an NSID option (possibly empty) */
    uint8_t nsid[PDNS__NSID_MAX];
    pdns__cookie_state cookie;
    int ecs_scope; /* ECS scope prefix length, -1 without an ECS option */
} pdns__edns_info;

/* Walk answer p[0..n) past its question (which the matcher already checked) and its
 * sections: count the answer section's RRSIG records and read the OPT record's payload
 * size, DO, NSID, COOKIE (checked against q->client_cookie when q->cookie) and ECS
 * scope. Names may be compressed; nothing is followed, only skipped. Returns 0, or -1
 * when the sections run past the end or a count is wrong (*out then holds what came
 * before). q may be NULL (no cookie sent). */
int pdns__edns_parse(const uint8_t *p, size_t n, const pdns__qopts *q, pdns__edns_info *out);

/* NSID octets as text into out[0..cap): the octets themselves when all are printable
 * ASCII other than '"' and '\\', else lower-case hex. Returns out. */
const char *pdns__nsid_text(const uint8_t *nsid, size_t len, char *out, size_t cap);

#endif
