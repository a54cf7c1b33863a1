/* wire.h - named DNS wire values (RR types, classes, rcodes) used by the engine.
 * SPDX-License-Identifier: MIT */
#ifndef PDNS_WIRE_H
#define PDNS_WIRE_H

/* RR types (IANA "Resource Record (RR) TYPEs") */
#define PDNS__TYPE_A     1
#define PDNS__TYPE_NS    2
#define PDNS__TYPE_CNAME 5
#define PDNS__TYPE_SOA   6
#define PDNS__TYPE_PTR   12
#define PDNS__TYPE_MX    15
#define PDNS__TYPE_TXT   16
#define PDNS__TYPE_AAAA  28
#define PDNS__TYPE_OPT   41
#define PDNS__TYPE_ANY   255

/* RCODEs (RFC 1035 4.1.1) */
#define PDNS__RCODE_NOERROR  0
#define PDNS__RCODE_FORMERR  1
#define PDNS__RCODE_SERVFAIL 2
#define PDNS__RCODE_NXDOMAIN 3
#define PDNS__RCODE_NOTIMP   4
#define PDNS__RCODE_REFUSED  5

#endif
