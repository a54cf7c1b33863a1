/* dns/query.h - the query encoder: presentation names to wire format, and the query
 * datagram the UDP transport sends, plain or shaped by flags and EDNS options (RD, OPT,
 * payload size, DO, NSID, COOKIE, ECS; what answers say about them: dns/edns.h). Pure:
 * no I/O, no allocation, no libuv/getdns.
 * SPDX-License-Identifier: MIT */
#ifndef PDNS_DNS_QUERY_H
#define PDNS_DNS_QUERY_H

#include <stddef.h>
#include <stdint.h>
#include "dns/wire.h"

/* The longest query pdns__dns_query_encode writes: header, question with the longest
 * name, one EDNS0 OPT record. */
#define PDNS__DNS_QUERY_MAX                                                                        \
    (PDNS__WIRE_HDR_LEN + PDNS__WIRE_NAME_MAX + PDNS__WIRE_QFIXED + PDNS__WIRE_OPT_LEN)

/* Presentation name to wire format in out[0..cap). The name is absolute or relative
 * to the root (the trailing dot is optional); "." is the root; "\DDD" (decimal, at
 * most 255) and "\X" escapes stand for one octet of a label. Rejected (-1): the empty
 * string, an empty label ("a..b", ".a"), a label over 63 octets, a name over 255 wire
 * octets, a dangling "\" or a "\DDD" over 255, or too small a cap. Returns the wire
 * length (1..255). */
int pdns__dns_name_to_wire(const char *name, uint8_t *out, size_t cap);

/* Write a standard query into pkt[0..cap): ID id, RD set, one question (qname: a
 * wire name of qlen octets as pdns__dns_name_to_wire makes it; qtype; class IN) and
 * one EDNS0 OPT record offering edns_udp_size (version 0, no flags, no options).
 * Returns the length, or 0 when it does not fit in cap. */
size_t pdns__dns_query_encode(uint8_t *pkt, size_t cap, uint16_t id, const uint8_t *qname,
                              size_t qlen, uint16_t qtype, uint16_t edns_udp_size);

/* What a query carries beyond the question. All zero: RD set, EDNS0 with the default
 * payload size and no option (what pdns__dns_query_encode sends). */
typedef struct pdns__qopts {
    int no_rd;         /* RD clear (authoritative benchmarking) */
    int no_edns;       /* no OPT record at all (then no DO and no option) */
    uint16_t udp_size; /* payload size offered; 0: PDNS__EDNS_DEFAULT_SIZE */
    int do_bit;        /* DO: ask for DNSSEC records */
    int nsid;          /* an empty NSID option */
    int cookie;        /* a COOKIE option with client_cookie (and the server's, once known) */
    uint8_t client_cookie[PDNS__COOKIE_CLIENT_LEN];
    uint8_t server_cookie[PDNS__COOKIE_SERVER_MAX]; /* learned from the server's answers */
    uint8_t server_cookie_len;                      /* 0: none yet (8-32 when known) */
    int ecs;             /* an ECS option: family, source prefix, address */
    uint16_t ecs_family; /* PDNS__ECS_FAMILY_* */
    uint8_t ecs_prefix;  /* source prefix length */
    uint8_t ecs_addr[16];
} pdns__qopts;

/* One EDNS Client Subnet prefix (RFC 7871 6): what an input line's ecs=PREFIX gives a
 * query over the run's options (pdns__qopts_set_ecs). */
typedef struct pdns__ecs {
    uint16_t family; /* PDNS__ECS_FAMILY_* */
    uint8_t prefix;  /* source prefix length */
    uint8_t addr[16];
} pdns__ecs;

/* RFC 4648 5 base64url of src[0..n) without padding (RFC 8484 4.1: a GET's dns=
 * parameter) into out[0..cap), NUL-terminated. Returns the length, or 0 when it does not
 * fit (cap must be at least 4 * ceil(n / 3) + 1). */
size_t pdns__base64url(const uint8_t *src, size_t n, char *out, size_t cap);

/* The ECS option's data for o's prefix (RFC 7871 6: family, source prefix, scope 0, the
 * address cut to the prefix's octets) into out[0..20). Returns its length (4-20). */
size_t pdns__ecs_option_data(const pdns__qopts *o, uint8_t out[20]);

/* Put ECS e into o (replacing the run's --ecs for one query); NULL e: o unchanged. */
void pdns__qopts_set_ecs(pdns__qopts *o, const pdns__ecs *e);

/* The options' octets at most (NSID, COOKIE, ECS), and the longest shaped query. */
#define PDNS__EDNS_OPTS_MAX                                                                        \
    (3 * PDNS__EDNS_OPT_HDR + PDNS__COOKIE_CLIENT_LEN + PDNS__COOKIE_SERVER_MAX + 4 + 16)
#define PDNS__DNS_QUERY_OPTS_MAX (PDNS__DNS_QUERY_MAX + PDNS__EDNS_OPTS_MAX)

/* Write a query like pdns__dns_query_encode, shaped by o (NULL: all
 * zero). Returns the length, or 0 when it does not fit in cap. */
size_t pdns__dns_query_encode_opts(uint8_t *pkt, size_t cap, uint16_t id, const uint8_t *qname,
                                   size_t qlen, uint16_t qtype, const pdns__qopts *o);

#endif
