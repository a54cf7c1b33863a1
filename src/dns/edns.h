/* dns/edns.h - EDNS beside the query encoder (dns/query.h, which shapes queries with a
 * pdns__qopts): the ECS prefix parser, and what an answer says about flags and EDNS (AD,
 * RRSIG count, NSID, the server cookie, the ECS scope). Pure: no I/O, no allocation, no
 * libuv/getdns/cJSON.
 * SPDX-License-Identifier: MIT */
#ifndef PDNS_DNS_EDNS_H
#define PDNS_DNS_EDNS_H

#include <stddef.h>
#include <stdint.h>
#include "dns/query.h"
#include "dns/wire.h"

/* Parse "ADDR/PREFIX" (IPv4 prefix 0-32, IPv6 0-128; "ADDR" alone is a full-length
 * prefix) into o's ECS fields and set o->ecs. Bits past the prefix must be zero (RFC
 * 7871 6). Returns 0, or -1 with *why a static reason. */
int pdns__ecs_parse(const char *text, pdns__qopts *o, const char **why);

/* The same for one prefix alone (an input line's ecs=PREFIX). */
int pdns__ecs_parse_one(const char *text, pdns__ecs *e, const char **why);

/* Prefix e as text, "ADDR/LEN" ("192.0.2.0/24", "2001:db8::/32"), into out[0..cap)
 * (PDNS__ECS_TEXT_MAX is enough). Returns out. */
#define PDNS__ECS_TEXT_MAX 48
const char *pdns__ecs_text(const pdns__ecs *e, char *out, size_t cap);

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
    uint8_t server_cookie[PDNS__COOKIE_SERVER_MAX]; /* cookie OK: the server's */
    size_t server_cookie_len;
    int rcode;     /* the full rcode: the OPT record's extended bits over the header's 4 */
    int ecs_scope; /* ECS scope prefix length, -1 without an ECS option */
} pdns__edns_info;

/* Walk answer p[0..n) past its question (which the matcher already checked) and its
 * sections: count the answer section's RRSIG records and read the OPT record's payload
 * size, DO, NSID, COOKIE (checked against q->client_cookie when q->cookie) and ECS
 * scope, and the full rcode (BADCOOKIE, BADVERS need the OPT's upper bits). Names may be
 * compressed; nothing is followed, only skipped. Returns 0, or -1
 * when the sections run past the end or a count is wrong (*out then holds what came
 * before). q may be NULL (no cookie sent). */
int pdns__edns_parse(const uint8_t *p, size_t n, const pdns__qopts *q, pdns__edns_info *out);

/* NSID octets as text into out[0..cap): the octets themselves when all are printable
 * ASCII other than '"' and '\\', else lower-case hex. Returns out. */
const char *pdns__nsid_text(const uint8_t *nsid, size_t len, char *out, size_t cap);

#endif
