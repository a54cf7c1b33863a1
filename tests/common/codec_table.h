/* codec_table.h - the table of differences between getdns_rr_dict2str's record text
 * (pacedns's before libknot) and libknot's (dns/codec.c, both transports now): README,
 * IMPLEMENTATION NOTES, "Record text". Shared by test_codec_diff and fuzz_codec.
 * SPDX-License-Identifier: MIT */
#ifndef PDNS_CODEC_TABLE_H
#define PDNS_CODEC_TABLE_H

#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <libknot/descriptor.h>

#include "dns/codec.h"

/* The table of README (IMPLEMENTATION NOTES: record text), one row per difference
 * between getdns_rr_dict2str (the text pacedns printed before) and libknot (the text it
 * prints now, both transports). Every difference found must be one of these; each row
 * must be seen at least once, so that the table stays true. */
enum {
    D_NAME_ESCAPE = 0, /* names: libknot escapes all punctuation (\@ \$ \" \` ..., # as
                          \035) but - _ * /; getdns only . ; ( ) \ */
    D_CONTROL,         /* character-strings: control bytes as \DDD; getdns raw */
    D_LOC,             /* LOC: another layout */
    D_GENERIC,         /* \# len hex (RFC 3597): types libknot has no text form for,
                          and those whose libknot printer is unsafe (pdns__codec_generic) */
    D_EXT_RCODE,       /* the whole rcode (OPT's extended bits); getdns: the header's 4 */
    D_GETDNS_REFUSES,  /* getdns cannot print it, libknot shows the rdata as \# len hex:
                          an unknown type's empty rdata (\# 0), a bad rdata of a
                          pdns__codec_generic type */
    D_KNOT_STRICTER,   /* answers libknot refuses and getdns prints (listed files) */
    D_GETDNS_ERROR,    /* getdns prints its own error text as data
                          ("ErrorComprPtrOutOfBounds"); libknot the decoded rdata */
    D_GETDNS_COMMENT,  /* getdns ends DNSKEY data with a comment (" ;{id = 5240,
                          size = 0b}"); libknot prints the rdata alone */
    D_KNOT_FALLBACK,   /* a known type whose rdata libknot cannot read by the type's
                          layout (a malformed SIG, found by fuzz_codec): libknot \# len
                          hex, getdns its own reading of the bytes */
    D_TYPE_NUMBER,     /* a type libknot has no mnemonic for (the obsolete MD, MF, MB...)
                          inside rdata (NSEC bitmaps, RRSIG type covered): libknot
                          TYPEn, getdns the mnemonic */
    D_HEX_CASE,        /* NID, L64 (ILNP), EUI48, EUI64: libknot upper-case hex, getdns
                          lower-case */
    D_CERT_TYPE,       /* CERT's certificate type: libknot the number (1), getdns the
                          mnemonic of RFC 4398 2.1 (PKIX) */
    D_ROWS
};
static const char *const codec_row_name[D_ROWS] = {"name escapes",
                                                   "control bytes",
                                                   "LOC",
                                                   "generic form",
                                                   "extended rcode",
                                                   "getdns refuses",
                                                   "libknot stricter",
                                                   "getdns error text",
                                                   "getdns comment",
                                                   "libknot generic fallback",
                                                   "type number",
                                                   "hex case",
                                                   "CERT type"};

/* s with libknot's extra name escapes undone (row D_NAME_ESCAPE), into out: libknot
 * writes every punctuation character but - _ * / as "\c" and '#' as "\035", getdns
 * only . ; ( ) and the backslash. */
static inline void strip_name_escapes(const char *s, char *out)
{
    while (*s) {
        if (s[0] == '\\' && s[1] && strchr(".;()\\", s[1]) == NULL && s[1] > ' ' && s[1] < 0x7f &&
            !(s[1] >= '0' && s[1] <= '9') && !(s[1] >= 'a' && s[1] <= 'z') &&
            !(s[1] >= 'A' && s[1] <= 'Z')) {
            *out++ = s[1];
            s += 2;
        } else if (!strncmp(s, "\\035", 4)) {
            *out++ = '#';
            s += 4;
        } else if (s[0] == '\\' && s[1]) {
            *out++ = *s++;
            *out++ = *s++;
        } else {
            *out++ = *s++;
        }
    }
    *out = '\0';
}

/* s with control bytes written as \DDD (row D_CONTROL), into out. */
static inline void escape_controls(const char *s, char *out)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c == 0x7f)
            out += sprintf(out, "\\%03u", c);
        else
            *out++ = (char)c;
    }
    *out = '\0';
}

/* Whether libknot knows a text form for type t. */
static inline int knot_knows(uint16_t t)
{
    char b[32];
    return knot_rrtype_to_string(t, b, sizeof b) > 0 && strncmp(b, "TYPE", 4) != 0;
}

/* How often tok stands as a whole label of s: after the start, a '.' or a blank, and
 * before the end, a '.' or a blank. An escaped "\\." is inside a label, not its end. */
static inline int whole_label_count(const char *s, const char *tok)
{
    size_t n = strlen(tok);
    int count = 0;
    for (const char *e = strstr(s, tok); e; e = strstr(e + 1, tok)) {
        int starts = e == s || ((e[-1] == '.' || e[-1] == ' ') && (e - s < 2 || e[-2] != '\\'));
        int ends = e[n] == '\0' || e[n] == '.' || e[n] == ' ';
        count += starts && ends;
    }
    return count;
}

/* Whether g holds one of getdns's error tokens ("Error" and a capital: "ErrorCompr-
 * PtrOutOfBounds") as a whole label more often than k does. getdns puts the token where
 * the name it could not read should be, as a label of its own; the same letters inside
 * one of libknot's labels are data (fuzz_codec put the token inside a label, where a
 * plain substring test took it for libknot's). */
static inline int getdns_error_token(const char *g, const char *k)
{
    for (const char *e = strstr(g, "Error"); e; e = strstr(e + 1, "Error")) {
        char tok[64];
        size_t n = 0;
        if (e[5] < 'A' || e[5] > 'Z')
            continue;
        while (n + 1 < sizeof tok && ((e[n] >= 'A' && e[n] <= 'Z') || (e[n] >= 'a' && e[n] <= 'z')))
            tok[n] = e[n], n++;
        tok[n] = '\0';
        if (whole_label_count(g, tok) > whole_label_count(k, tok))
            return 1;
    }
    return 0;
}

/* Whether k and g are the same blank-separated tokens but for tokens "TYPEn" in k (a
 * type libknot has no mnemonic for) where g has a mnemonic (row D_TYPE_NUMBER), and for
 * names with libknot's escapes (row D_NAME_ESCAPE; an NSEC's next name beside its
 * bitmap); and the other way round, "TYPEn" in g where libknot has a mnemonic for n
 * (SVCB, which getdns 1.7 does not name). */
static inline int type_numbers_only(const char *k, const char *g)
{
    int seen = 0;
    while (*k && *g) {
        size_t kn = strcspn(k, " "), gn = strcspn(g, " ");
        char kt[1100], st[1100];
        if (kn < sizeof kt && gn < sizeof kt) { /* a name: libknot's escapes (row 1) */
            memcpy(kt, k, kn);
            kt[kn] = '\0';
            strip_name_escapes(kt, st);
        } else {
            st[0] = '\0';
        }
        if ((kn != gn || strncmp(k, g, kn) != 0) && !(strlen(st) == gn && !strncmp(st, g, gn))) {
            char num[8], b[32];
            unsigned long t;
            char *end;
            if (gn > 4 && gn - 4 < sizeof num && !strncmp(g, "TYPE", 4) && kn > 0 &&
                kn < sizeof b && strncmp(k, "TYPE", 4) != 0) {
                /* the other way: a type getdns has no mnemonic for (SVCB), libknot's */
                uint16_t kt_num;
                memcpy(num, g + 4, gn - 4);
                num[gn - 4] = '\0';
                t = strtoul(num, &end, 10);
                memcpy(b, k, kn);
                b[kn] = '\0';
                if (*end || t > 65535 || knot_rrtype_from_string(b, &kt_num) != 0 || kt_num != t)
                    return 0;
                seen = 1;
                goto next;
            }
            if (kn < 5 || kn - 4 >= sizeof num || strncmp(k, "TYPE", 4) != 0 || gn == 0 ||
                !strncmp(g, "TYPE", 4))
                return 0;
            memcpy(num, k + 4, kn - 4);
            num[kn - 4] = '\0';
            t = strtoul(num, &end, 10);
            /* only a type libknot prints as a number itself */
            if (*end || t > 65535 || knot_rrtype_to_string((uint16_t)t, b, sizeof b) <= 0 ||
                strncmp(b, "TYPE", 4) != 0)
                return 0;
            for (size_t i = 0; i < gn; i++)
                if (!((g[i] >= 'A' && g[i] <= 'Z') || (g[i] >= '0' && g[i] <= '9') || g[i] == '-'))
                    return 0;
            seen = 1;
        }
    next:
        k += kn;
        g += gn;
        if (*k != *g)
            return 0;
        while (*k == ' ' && *g == ' ')
            k++, g++;
    }
    return seen && !*k && !*g;
}

/* Whether k and g are the same CERT rdata but for the certificate type: a number in k,
 * its RFC 4398 (2.1) mnemonic in g (row D_CERT_TYPE). */
static inline int cert_type_mnemonic(const char *k, const char *g)
{
    static const struct {
        unsigned n;
        const char *m;
    } types[] = {{1, "PKIX"}, {2, "SPKI"},   {3, "PGP"},     {4, "IPKIX"}, {5, "ISPKI"},
                 {6, "IPGP"}, {7, "ACPKIX"}, {8, "IACPKIX"}, {253, "URI"}, {254, "OID"}};
    size_t kn = strcspn(k, " "), gn = strcspn(g, " ");
    char *end;
    unsigned long n = strtoul(k, &end, 10);
    if (end != k + kn || strcmp(k + kn, g + gn) != 0)
        return 0;
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (types[i].n == n && strlen(types[i].m) == gn && !strncmp(g, types[i].m, gn))
            return 1;
    return 0;
}

/* The row that explains why libknot's text k and getdns's text g of one field (owner,
 * or data when data is set) of a record of type `type` differ, or -1 when none does.
 * a and b: scratch buffers of 4 * strlen + 1 bytes at least. */
static inline int codec_diff_row(uint16_t type, const char *k, const char *g, int data, char *a,
                                 char *b)
{
    if (data && type == KNOT_RRTYPE_LOC)
        return D_LOC;
    if (data && !strncmp(k, "\\# ", 3) && strncmp(g, "\\# ", 3) != 0 &&
        (!knot_knows(type) || pdns__codec_generic(type)))
        return D_GENERIC;
    if (data && getdns_error_token(g, k))
        return D_GETDNS_ERROR;
    if (data && !strncmp(g, k, strlen(k)) && !strncmp(g + strlen(k), " ;{", 3))
        return D_GETDNS_COMMENT;
    if (data && !strncmp(k, "\\# ", 3) && strncmp(g, "\\# ", 3) != 0)
        return D_KNOT_FALLBACK;
    if (data &&
        (type == KNOT_RRTYPE_NID || type == KNOT_RRTYPE_L64 || type == KNOT_RRTYPE_EUI48 ||
         type == KNOT_RRTYPE_EUI64) &&
        !strcasecmp(k, g))
        return D_HEX_CASE;
    if (data && type == KNOT_RRTYPE_CERT && cert_type_mnemonic(k, g))
        return D_CERT_TYPE;
    if (data && type_numbers_only(k, g))
        return D_TYPE_NUMBER;
    strip_name_escapes(k, a);
    escape_controls(g, b);
    if (!strcmp(a, g))
        return D_NAME_ESCAPE;
    if (!strcmp(k, b))
        return D_CONTROL;
    return -1;
}

#endif
