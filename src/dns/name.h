/* name.h - domain-name validation, normalisation and reverse (PTR) names.
 * SPDX-License-Identifier: MIT */
#ifndef PDNS_NAME_H
#define PDNS_NAME_H

#include <stddef.h>
#include "pacedns.h"

/* Longest presentation name we produce, with trailing dot and NUL. */
#define PDNS__NAME_MAX 256
/* Longest presentation form of any valid name (255 wire octets, every label byte as
 * "\DDD"), with NUL: what a CNAME or PTR target from a server may take. */
#define PDNS__NAME_TEXT_MAX 1024

/* Validate `in` (one trimmed input name, trailing dot optional) and write its absolute
 * form with a trailing dot to `out` (cap >= PDNS__NAME_MAX). Accepts LDH labels plus
 * '_' (SRV/DKIM style) and a leading "*" label; UTF-8 labels are converted to A-labels
 * with libidn2 (IDNA2008, UTS #46 non-transitional: "faß.de" -> "xn--fa-hia.de.").
 * Rejects: empty input, empty label, label over 63 octets, name over 253 octets, any
 * other character (space, control, backslash...).
 * Returns PDNS_OK, or PDNS_ERR_PARSE with *why set to a static reason such as
 * "empty label", "label longer than 63 octets", "name longer than 253 octets",
 * "invalid character ' '", "invalid IDN label". */
pdns_status pdns__name_normalize(const char *in, char *out, size_t cap, const char **why);

/* If `addr` is an IPv4 or IPv6 address literal, write its in-addr.arpa. / ip6.arpa.
 * name (trailing dot) to out and return 1; otherwise return 0 (out untouched). */
int pdns__name_ptr(const char *addr, char *out, size_t cap);

/* Case-insensitive comparison of two presentation names, ignoring one trailing dot.
 * Returns 1 when equal. */
int pdns__name_equal(const char *a, const char *b);

#endif
