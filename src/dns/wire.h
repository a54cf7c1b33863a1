/* dns/wire.h - the DNS wire format: named values (RR types, classes, rcodes, header
 * offsets and flag masks, size limits) and small inline accessors for the header
 * fields, in the manner of Knot's libknot/packet/wire.h. Pure: no I/O, no allocation.
 * The accessors take a pointer to at least PDNS__WIRE_HDR_LEN bytes: check the length
 * first.
 * SPDX-License-Identifier: MIT */
#ifndef PDNS_DNS_WIRE_H
#define PDNS_DNS_WIRE_H

#include <stdint.h>

/* RR types (IANA "Resource Record (RR) TYPEs") */
#define PDNS__TYPE_A     1
#define PDNS__TYPE_NS    2
#define PDNS__TYPE_CNAME 5
#define PDNS__TYPE_SOA   6
#define PDNS__TYPE_PTR   12
#define PDNS__TYPE_MX    15
#define PDNS__TYPE_TXT   16
#define PDNS__TYPE_AFSDB 18
#define PDNS__TYPE_AAAA  28
#define PDNS__TYPE_SRV   33
#define PDNS__TYPE_KX    36
#define PDNS__TYPE_DNAME 39
#define PDNS__TYPE_OPT   41
#define PDNS__TYPE_RRSIG 46
#define PDNS__TYPE_ANY   255

/* CLASSes (RFC 1035 3.2.4) */
#define PDNS__CLASS_IN  1
#define PDNS__CLASS_CH  3
#define PDNS__CLASS_ANY 255

/* RCODEs (RFC 1035 4.1.1, RFC 6891 for BADVERS: an extended rcode) */
#define PDNS__RCODE_NOERROR   0
#define PDNS__RCODE_FORMERR   1
#define PDNS__RCODE_SERVFAIL  2
#define PDNS__RCODE_NXDOMAIN  3
#define PDNS__RCODE_NOTIMP    4
#define PDNS__RCODE_REFUSED   5
#define PDNS__RCODE_BADVERS   16
#define PDNS__RCODE_BADCOOKIE 23 /* RFC 7873 */

/* Whether an rcode says the server, not the name, failed: SERVFAIL or REFUSED (ask
 * elsewhere; a load signal). One definition for the engine, the controller and stats. */
static inline int pdns__rcode_server_failure(int rcode)
{
    return rcode == PDNS__RCODE_SERVFAIL || rcode == PDNS__RCODE_REFUSED;
}

/* OPCODEs (RFC 1035 4.1.1) */
#define PDNS__OPCODE_QUERY 0

/* Header (RFC 1035 4.1.1): six 16-bit fields in network byte order */
#define PDNS__WIRE_HDR_LEN     12
#define PDNS__WIRE_OFF_ID      0
#define PDNS__WIRE_OFF_FLAGS   2
#define PDNS__WIRE_OFF_QDCOUNT 4
#define PDNS__WIRE_OFF_ANCOUNT 6
#define PDNS__WIRE_OFF_NSCOUNT 8
#define PDNS__WIRE_OFF_ARCOUNT 10

/* The 16-bit flags field */
#define PDNS__WIRE_QR           0x8000
#define PDNS__WIRE_OPCODE_MASK  0x7800
#define PDNS__WIRE_OPCODE_SHIFT 11
#define PDNS__WIRE_AA           0x0400
#define PDNS__WIRE_TC           0x0200
#define PDNS__WIRE_RD           0x0100
#define PDNS__WIRE_RA           0x0080
#define PDNS__WIRE_AD           0x0020
#define PDNS__WIRE_CD           0x0010
#define PDNS__WIRE_RCODE_MASK   0x000F

/* Names (RFC 1035 2.3.4, 4.1.4) */
#define PDNS__WIRE_LABEL_MAX 63   /* octets in one label */
#define PDNS__WIRE_NAME_MAX  255  /* octets in a wire name, the root label included */
#define PDNS__WIRE_PTR_MASK  0xC0 /* the top bits of a length byte: 11 = compression pointer */

/* Question: the name, then QTYPE and QCLASS */
#define PDNS__WIRE_QFIXED 4
/* octets after a resource record's owner: type, class, TTL, RDLENGTH (RFC 1035 4.1.3) */
#define PDNS__WIRE_RR_FIXED 10
/* offsets within those octets */
#define PDNS__WIRE_RR_OFF_TYPE  0
#define PDNS__WIRE_RR_OFF_CLASS 2
#define PDNS__WIRE_RR_OFF_TTL   4
#define PDNS__WIRE_RR_OFF_RDLEN 8
/* EDNS0 OPT record with no options (RFC 6891 6.1.2): root name, TYPE, CLASS (the UDP
 * payload size), TTL (extended rcode, version, flags), RDLENGTH */
#define PDNS__WIRE_OPT_LEN 11

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

static inline uint16_t pdns__wire_read_u16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t pdns__wire_read_u32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void pdns__wire_write_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline uint16_t pdns__wire_get_id(const uint8_t *p)
{
    return pdns__wire_read_u16(p + PDNS__WIRE_OFF_ID);
}

static inline uint16_t pdns__wire_get_flags(const uint8_t *p)
{
    return pdns__wire_read_u16(p + PDNS__WIRE_OFF_FLAGS);
}

static inline uint16_t pdns__wire_get_qdcount(const uint8_t *p)
{
    return pdns__wire_read_u16(p + PDNS__WIRE_OFF_QDCOUNT);
}

static inline uint16_t pdns__wire_get_ancount(const uint8_t *p)
{
    return pdns__wire_read_u16(p + PDNS__WIRE_OFF_ANCOUNT);
}

static inline uint16_t pdns__wire_get_nscount(const uint8_t *p)
{
    return pdns__wire_read_u16(p + PDNS__WIRE_OFF_NSCOUNT);
}

static inline uint16_t pdns__wire_get_arcount(const uint8_t *p)
{
    return pdns__wire_read_u16(p + PDNS__WIRE_OFF_ARCOUNT);
}

static inline int pdns__wire_get_qr(const uint8_t *p)
{
    return (pdns__wire_get_flags(p) & PDNS__WIRE_QR) != 0;
}

static inline int pdns__wire_get_tc(const uint8_t *p)
{
    return (pdns__wire_get_flags(p) & PDNS__WIRE_TC) != 0;
}

static inline unsigned pdns__wire_get_opcode(const uint8_t *p)
{
    return (unsigned)(pdns__wire_get_flags(p) & PDNS__WIRE_OPCODE_MASK) >> PDNS__WIRE_OPCODE_SHIFT;
}

/* The header's 4-bit rcode (without an OPT record's extended bits). */
static inline int pdns__wire_get_rcode(const uint8_t *p)
{
    return pdns__wire_get_flags(p) & PDNS__WIRE_RCODE_MASK;
}

static inline void pdns__wire_set_id(uint8_t *p, uint16_t v)
{
    pdns__wire_write_u16(p + PDNS__WIRE_OFF_ID, v);
}

static inline void pdns__wire_set_flags(uint8_t *p, uint16_t v)
{
    pdns__wire_write_u16(p + PDNS__WIRE_OFF_FLAGS, v);
}

static inline void pdns__wire_set_qdcount(uint8_t *p, uint16_t v)
{
    pdns__wire_write_u16(p + PDNS__WIRE_OFF_QDCOUNT, v);
}

static inline void pdns__wire_set_ancount(uint8_t *p, uint16_t v)
{
    pdns__wire_write_u16(p + PDNS__WIRE_OFF_ANCOUNT, v);
}

static inline void pdns__wire_set_nscount(uint8_t *p, uint16_t v)
{
    pdns__wire_write_u16(p + PDNS__WIRE_OFF_NSCOUNT, v);
}

static inline void pdns__wire_set_arcount(uint8_t *p, uint16_t v)
{
    pdns__wire_write_u16(p + PDNS__WIRE_OFF_ARCOUNT, v);
}

#endif
