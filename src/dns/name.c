/* name.c - domain-name validation, IDN conversion and reverse (PTR) names.
 * SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <ctype.h>
#include <string.h>
#include <strings.h>
#include <idn2.h>
#include "dns/wire.h"
#include "dns/name.h"

/* presentation length without the trailing dot: the wire name less its first length
 * byte and the root label */
#define PDNS__NAME_OCTETS (PDNS__WIRE_NAME_MAX - 2)

/* Static reasons for each printable ASCII character 0x20..0x7e. */
static const char *const pdns__bad_char[] = {
    "invalid character ' '",  "invalid character '!'", "invalid character '\"'",
    "invalid character '#'",  "invalid character '$'", "invalid character '%'",
    "invalid character '&'",  "invalid character '''", "invalid character '('",
    "invalid character ')'",  "invalid character '*'", "invalid character '+'",
    "invalid character ','",  "invalid character '-'", "invalid character '.'",
    "invalid character '/'",  "invalid character '0'", "invalid character '1'",
    "invalid character '2'",  "invalid character '3'", "invalid character '4'",
    "invalid character '5'",  "invalid character '6'", "invalid character '7'",
    "invalid character '8'",  "invalid character '9'", "invalid character ':'",
    "invalid character ';'",  "invalid character '<'", "invalid character '='",
    "invalid character '>'",  "invalid character '?'", "invalid character '@'",
    "invalid character 'A'",  "invalid character 'B'", "invalid character 'C'",
    "invalid character 'D'",  "invalid character 'E'", "invalid character 'F'",
    "invalid character 'G'",  "invalid character 'H'", "invalid character 'I'",
    "invalid character 'J'",  "invalid character 'K'", "invalid character 'L'",
    "invalid character 'M'",  "invalid character 'N'", "invalid character 'O'",
    "invalid character 'P'",  "invalid character 'Q'", "invalid character 'R'",
    "invalid character 'S'",  "invalid character 'T'", "invalid character 'U'",
    "invalid character 'V'",  "invalid character 'W'", "invalid character 'X'",
    "invalid character 'Y'",  "invalid character 'Z'", "invalid character '['",
    "invalid character '\\'", "invalid character ']'", "invalid character '^'",
    "invalid character '_'",  "invalid character '`'", "invalid character 'a'",
    "invalid character 'b'",  "invalid character 'c'", "invalid character 'd'",
    "invalid character 'e'",  "invalid character 'f'", "invalid character 'g'",
    "invalid character 'h'",  "invalid character 'i'", "invalid character 'j'",
    "invalid character 'k'",  "invalid character 'l'", "invalid character 'm'",
    "invalid character 'n'",  "invalid character 'o'", "invalid character 'p'",
    "invalid character 'q'",  "invalid character 'r'", "invalid character 's'",
    "invalid character 't'",  "invalid character 'u'", "invalid character 'v'",
    "invalid character 'w'",  "invalid character 'x'", "invalid character 'y'",
    "invalid character 'z'",  "invalid character '{'", "invalid character '|'",
    "invalid character '}'",  "invalid character '~'",
};

static void pdns__set_why(const char **why, const char *reason)
{
    if (why)
        *why = reason;
}

static int pdns__ldh(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
}

/* Bytes of a name by class: letters, digits, '-' and '_' (what pdns__ldh takes) 0, the
 * dot 1, anything else 2 (test_name tries every byte in a label). */
enum { NC_LDH = 0, NC_DOT = 1, NC_OTHER = 2 };
static const unsigned char pdns__name_class[256] = {
    [0 ... 0x2c] = NC_OTHER,    [0x2e] = NC_DOT,
    [0x2f] = NC_OTHER,          [0x3a ... 0x40] = NC_OTHER,
    [0x5b ... 0x5e] = NC_OTHER, [0x60] = NC_OTHER,
    [0x7b ... 0xff] = NC_OTHER,
};

/* Reason for an ASCII byte that may not appear in a label. */
static const char *pdns__char_reason(unsigned char c)
{
    if (c >= 0x20 && c < 0x7f)
        return pdns__bad_char[c - 0x20];
    return "invalid control character";
}

/* Reason for a byte the input reader wrote as "\\xHH" (hex at h): it could not be
 * shown as text (control character, NUL, invalid UTF-8). */
static const char *pdns__escaped_reason(const char *h)
{
    int v =
        (isdigit((unsigned char)h[0]) ? h[0] - '0' : (tolower((unsigned char)h[0]) - 'a' + 10)) *
            16 +
        (isdigit((unsigned char)h[1]) ? h[1] - '0' : (tolower((unsigned char)h[1]) - 'a' + 10));
    if (v == 0)
        return "NUL byte (shown as \\x00)";
    if (v == 9)
        return "tab character (shown as \\x09)";
    if (v < 0x20 || v == 0x7f)
        return "control character (shown as \\xHH)";
    if (v >= 0x80)
        return "invalid UTF-8 byte (shown as \\xHH)";
    return "invalid character '\\'";
}

/* Convert one UTF-8 label (len bytes at s) to its A-label, appended at out[*pos], with
 * libidn2: IDNA2008 with UTS #46 non-transitional mapping (what browsers resolve:
 * "faß" -> "xn--fa-hia", not "fass"), input NFC-normalised first.
 * Returns NULL on success or a static reason. */
static const char *pdns__idn_label(const char *s, size_t len, char *out, size_t *pos)
{
    char ulabel[PDNS__NAME_MAX];
    uint8_t *alabel8 = NULL;
    /* A U-label of >= 256 bytes has >= 64 code points: its A-label cannot fit. */
    if (len >= sizeof ulabel)
        return "label longer than 63 octets";
    memcpy(ulabel, s, len);
    ulabel[len] = '\0';
    if (idn2_lookup_u8((const uint8_t *)ulabel, &alabel8, IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT) !=
            IDN2_OK ||
        !alabel8) {
        idn2_free(alabel8);
        return "invalid IDN label";
    }
    char *alabel = (char *)alabel8;
    const char *why = NULL;
    size_t alen = strlen(alabel);
    if (alen == 0)
        why = "invalid IDN label";
    else if (alen > PDNS__WIRE_LABEL_MAX)
        why = "label longer than 63 octets";
    for (size_t i = 0; !why && i < alen; i++)
        if (!pdns__ldh((unsigned char)alabel[i]))
            why = "invalid IDN label";
    if (!why && *pos + alen > PDNS__NAME_OCTETS)
        why = "name longer than 253 octets";
    if (!why) {
        memcpy(out + *pos, alabel, alen);
        *pos += alen;
    }
    idn2_free(alabel);
    return why;
}

/* Validate one label at s (len bytes, first says whether it is the leftmost one) and
 * append its (possibly IDN-converted) form to out at *pos. NULL or a static reason. */
static const char *pdns__label(const char *s, size_t len, int first, char *out, size_t *pos)
{
    int utf8 = 0;
    if (len == 0)
        return "empty label";
    if (len == 1 && s[0] == '*' && first) {
        out[(*pos)++] = '*';
        return NULL;
    }
    { /* the usual label, letters, digits, '-' and '_' only: one table look-up a byte */
        unsigned char other = 0;
        for (size_t i = 0; i < len; i++)
            other |= pdns__name_class[(unsigned char)s[i]]; /* no dot in a label */
        if (!other)
            goto plain;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x80)
            utf8 = 1;
        else if (c == '\\' && i + 3 < len && s[i + 1] == 'x' && isxdigit((unsigned char)s[i + 2]) &&
                 isxdigit((unsigned char)s[i + 3]))
            return pdns__escaped_reason(s + i + 2);
        else if (!pdns__ldh(c))
            return pdns__char_reason(c);
    }
    if (utf8)
        return pdns__idn_label(s, len, out, pos);
plain:
    if (len > PDNS__WIRE_LABEL_MAX)
        return "label longer than 63 octets";
    if (*pos + len > PDNS__NAME_OCTETS)
        return "name longer than 253 octets";
    memcpy(out + *pos, s, len);
    *pos += len;
    return NULL;
}

pdns_status pdns__name_normalize(const char *in, char *out, size_t cap, const char **why)
{
    char tmp[PDNS__NAME_MAX];
    size_t pos = 0;
    if (!in || !*in) {
        pdns__set_why(why, "empty name");
        return PDNS_ERR_PARSE;
    }
    size_t len = strlen(in);
    if (in[len - 1] == '.')
        len--;
    if (len == 0) { /* the root */
        if (!out || cap < 2) {
            pdns__set_why(why, "output buffer too small");
            return PDNS_ERR_PARSE;
        }
        memcpy(out, ".", 2);
        return PDNS_OK;
    }
    { /* the usual name, labels of 1 to 63 letters, digits, '-' and '_': what the
       * label-by-label checks below would write, with one table look-up a byte (in[len]
       * is the NUL or the final dot: the scan stops there at the latest) */
        size_t i = 0, start = 0;
        for (;;) {
            while (pdns__name_class[(unsigned char)in[i]] == NC_LDH)
                i++;
            if (i == start || i - start > PDNS__WIRE_LABEL_MAX)
                break; /* the checks below say what */
            if (i == len) {
                if (len <= PDNS__NAME_OCTETS && out && cap >= len + 2) {
                    memcpy(out, in, len);
                    out[len] = '.';
                    out[len + 1] = '\0';
                    return PDNS_OK;
                }
                break;
            }
            if (in[i] != '.')
                break;
            start = ++i;
        }
    }
    for (size_t start = 0; start <= len;) {
        const char *dot = memchr(in + start, '.', len - start);
        size_t end = dot ? (size_t)(dot - in) : len;
        if (pos > 0)
            tmp[pos++] = '.';
        const char *reason = pdns__label(in + start, end - start, start == 0, tmp, &pos);
        if (!reason && pos > PDNS__NAME_OCTETS)
            reason = "name longer than 253 octets";
        if (reason) {
            pdns__set_why(why, reason);
            return PDNS_ERR_PARSE;
        }
        start = end + 1;
    }
    tmp[pos++] = '.';
    tmp[pos++] = '\0';
    if (!out || cap < pos) {
        pdns__set_why(why, "output buffer too small");
        return PDNS_ERR_PARSE;
    }
    memcpy(out, tmp, pos);
    return PDNS_OK;
}

int pdns__name_ptr(const char *addr, char *out, size_t cap)
{
    unsigned char b[16];
    char tmp[80]; /* 32 nibbles x 2 + "ip6.arpa." + NUL = 74 */
    size_t n = 0;
    static const char hex[] = "0123456789abcdef";
    if (!addr || !out)
        return 0;
    if (inet_pton(AF_INET, addr, b) == 1) {
        n = (size_t)snprintf(tmp, sizeof tmp, "%u.%u.%u.%u.in-addr.arpa.", b[3], b[2], b[1], b[0]);
    } else if (inet_pton(AF_INET6, addr, b) == 1) {
        for (int i = 15; i >= 0; i--) {
            tmp[n++] = hex[b[i] & 0xf];
            tmp[n++] = '.';
            tmp[n++] = hex[b[i] >> 4];
            tmp[n++] = '.';
        }
        memcpy(tmp + n, "ip6.arpa.", sizeof "ip6.arpa.");
        n += sizeof "ip6.arpa." - 1;
    } else {
        return 0;
    }
    if (n + 1 > cap)
        return 0;
    memcpy(out, tmp, n + 1);
    return 1;
}

int pdns__name_equal(const char *a, const char *b)
{
    if (!a || !b)
        return 0;
    size_t la = strlen(a), lb = strlen(b);
    if (la > 0 && a[la - 1] == '.')
        la--;
    if (lb > 0 && b[lb - 1] == '.')
        lb--;
    return la == lb && strncasecmp(a, b, la) == 0;
}
