/* qline.c - one input line: "NAME [TYPE] [ecs=PREFIX]" (the dnsperf/resperf query file
 * form, with an optional EDNS Client Subnet prefix).
 * SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "pacedns.h"
#include "dns/edns.h"
#include "dns/qline.h"

#define ECS_KEY     "ecs="
#define ECS_KEY_LEN 4

#define PDNS__BLANKS " \t" /* what separates the fields */

static int is_ecs_field(const char *f, size_t len)
{
    return len >= ECS_KEY_LEN && strncasecmp(f, ECS_KEY, ECS_KEY_LEN) == 0;
}

/* Split the line into at most three blank-separated fields: NAME, then an optional
 * TYPE, then an optional ecs=PREFIX (always the last field). Pure: no I/O, no
 * allocation. */
pdns_status pdns__qline_parse(const char *line, char *name, size_t cap, uint16_t *type,
                              pdns__ecs *ecs, int *has_ecs, const char **why, char *err,
                              size_t errcap)
{
    const char *p = line, *f[4];
    size_t len[4], n = 0, n_plain;
    const char *dummy;
    if (!why)
        why = &dummy;
    *why = NULL;
    if (err && errcap)
        err[0] = '\0';
    if (has_ecs)
        *has_ecs = 0;
    if (!line || !name || cap == 0 || !type) {
        *why = "invalid argument";
        goto fail_invalid;
    }
    *type = 0;
    name[0] = '\0';
    for (;;) { /* strspn/strcspn: this runs for every input line */
        p += strspn(p, PDNS__BLANKS);
        if (!*p || n == 4)
            break;
        f[n] = p;
        p += strcspn(p, PDNS__BLANKS);
        len[n] = (size_t)(p - f[n]);
        n++;
    }
    if (n == 0) {
        *why = "empty line";
        goto fail;
    }
    /* an ecs= field is the last of two or three */
    n_plain = n >= 2 && n <= 3 && is_ecs_field(f[n - 1], len[n - 1]) ? n - 1 : n;
    if (n_plain > 2 || (n_plain == 2 && is_ecs_field(f[1], len[1]))) {
        *why = "more than two fields (want NAME [TYPE] [ecs=PREFIX])";
        goto fail;
    }
    if (len[0] >= cap) {
        *why = "name longer than 253 octets";
        goto fail;
    }
    memcpy(name, f[0], len[0]);
    name[len[0]] = '\0';
    if (n_plain == 2) {
        char tbuf[16];
        if (len[1] >= sizeof tbuf || (memcpy(tbuf, f[1], len[1]), tbuf[len[1]] = '\0',
                                      pdns_rrtype_from_name(tbuf, type) != PDNS_OK)) {
            *type = 0;
            *why = "unknown record type";
            if (err && errcap)
                snprintf(err, errcap, "%s '%.*s'", *why, (int)len[1], f[1]);
            return PDNS_ERR_PARSE;
        }
    }
    if (n_plain < n) {
        char text[64];
        const char *v = f[n - 1] + ECS_KEY_LEN, *ewhy = NULL;
        size_t vlen = len[n - 1] - ECS_KEY_LEN;
        pdns__ecs e;
        if (vlen >= sizeof text)
            ewhy = "longer than any ADDR/PREFIX";
        else {
            memcpy(text, v, vlen);
            text[vlen] = '\0';
            if (pdns__ecs_parse_one(text, &e, &ewhy) != 0 && !ewhy)
                ewhy = "expected ADDR/PREFIX";
        }
        if (ewhy) {
            *why = "bad ECS prefix (want ecs=ADDR/LEN, no address bit set past LEN)";
            if (err && errcap)
                snprintf(err, errcap, "bad ECS prefix '%.*s': %s",
                         (int)(len[n - 1] > 80 ? 80 : len[n - 1]), f[n - 1], ewhy);
            *type = 0;
            return PDNS_ERR_PARSE;
        }
        if (ecs)
            *ecs = e;
        if (has_ecs)
            *has_ecs = 1;
    }
    return PDNS_OK;
fail:
    if (err && errcap)
        snprintf(err, errcap, "%s", *why);
    return PDNS_ERR_PARSE;
fail_invalid:
    if (err && errcap)
        snprintf(err, errcap, "%s", *why);
    return PDNS_ERR_INVALID;
}

/* The public form: the ECS prefix is checked, not returned. */
pdns_status pdns_query_line_parse(const char *line, char *name, size_t cap, uint16_t *type,
                                  const char **why)
{
    return pdns__qline_parse(line, name, cap, type, NULL, NULL, why, NULL, 0);
}
