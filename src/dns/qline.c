/* qline.c - one input line: "NAME" or "NAME TYPE" (the dnsperf/resperf query file form).
 * SPDX-License-Identifier: MIT */
#include <string.h>

#include "pacedns.h"

static int pdns__blank(char c)
{
    return c == ' ' || c == '\t';
}

/* Split the line into at most two blank-separated fields; more is an error.
 * Pure: no I/O, no allocation. */
pdns_status pdns_query_line_parse(const char *line, char *name, size_t cap, uint16_t *type,
                                  const char **why)
{
    const char *p = line, *f[3];
    size_t len[3], n = 0;
    const char *dummy;
    if (!why)
        why = &dummy;
    *why = NULL;
    if (!line || !name || cap == 0 || !type) {
        *why = "invalid argument";
        return PDNS_ERR_INVALID;
    }
    *type = 0;
    name[0] = '\0';
    while (*p) {
        while (pdns__blank(*p))
            p++;
        if (!*p)
            break;
        if (n == 3)
            break;
        f[n] = p;
        while (*p && !pdns__blank(*p))
            p++;
        len[n] = (size_t)(p - f[n]);
        n++;
    }
    if (n == 0) {
        *why = "empty line";
        return PDNS_ERR_PARSE;
    }
    if (n > 2) {
        *why = "more than two fields (want NAME [TYPE])";
        return PDNS_ERR_PARSE;
    }
    if (len[0] >= cap) {
        *why = "name longer than 253 octets";
        return PDNS_ERR_PARSE;
    }
    memcpy(name, f[0], len[0]);
    name[len[0]] = '\0';
    if (n == 2) {
        char tbuf[16];
        if (len[1] >= sizeof tbuf || (memcpy(tbuf, f[1], len[1]), tbuf[len[1]] = '\0',
                                      pdns_rrtype_from_name(tbuf, type) != PDNS_OK)) {
            *type = 0;
            *why = "unknown record type";
            return PDNS_ERR_PARSE;
        }
    }
    return PDNS_OK;
}
