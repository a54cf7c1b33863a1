/* gdrecords.c - a getdns reply dict's answer section as presentation-format records
 * (test-only reference printer: see gdrecords.h).
 * SPDX-License-Identifier: MIT */
#include <getdns/getdns_extra.h>
#include <stdlib.h>
#include <string.h>

#include "gdrecords.h"

/* Split getdns's "owner ttl class type rdata" text in place into rr. */
static int split_rr(char *line, pdns__rr *rr)
{
    char *f[4];
    char *p = line;
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == ' ' || line[n - 1] == '\t'))
        line[--n] = '\0';
    for (int i = 0; i < 4; i++) {
        while (*p == ' ' || *p == '\t')
            p++;
        f[i] = p;
        while (*p && *p != ' ' && *p != '\t')
            p++;
        if (!*p)
            return -1;
        *p++ = '\0';
    }
    while (*p == ' ' || *p == '\t')
        p++;
    rr->name = f[0];
    rr->ttl = (uint32_t)strtoul(f[1], NULL, 10);
    rr->data = p;
    return 0;
}

/* getdns_rr_dict2str crashes (NULL write, getdns 1.6.0) when a record's text fills its
 * buffer exactly (4095 bytes in its own 4096-byte buffer), and the length it reports
 * for malformed rdata can be short by a byte (an IPSECKEY of 2 bytes, found by
 * fuzz_wire), so a buffer sized to the reported length can fit exactly too.
 * Fast path (one conversion): offer a buffer larger than any text the record can have,
 * TEXT_PER_BYTE characters per rdata byte plus TEXT_FIXED for the owner name (up to
 * 4 x 255 escaped), TTL, class and type; the densest presentation forms known use far
 * less (an NSEC or WKS bit map byte: 8 type names or ports, at most ~80 characters; a
 * TXT byte: 4). So no exact fit can happen. Slow path, when the rdata's size is not at
 * hand or the text does not fit: ask the length first (a zero-length buffer only
 * answers NEED_MORE_SPACE), then convert with RR_TEXT_SLACK bytes to spare. */
#define RR_TEXT_SLACK 64
#define TEXT_PER_BYTE 100
#define TEXT_FIXED    2048

static char *rr_text_slow(const getdns_dict *rr)
{
    char one[1], *s;
    size_t need = 0, len;
    if (getdns_rr_dict2str_buf(rr, one, &need) != GETDNS_RETURN_NEED_MORE_SPACE)
        return NULL;
    len = need + RR_TEXT_SLACK;
    if (!(s = malloc(len + 1)))
        return NULL;
    if (getdns_rr_dict2str_buf(rr, s, &len) != GETDNS_RETURN_GOOD) {
        free(s);
        return NULL;
    }
    return s;
}

static char *rr_text(const getdns_dict *rr)
{
    getdns_bindata *raw = NULL;
    size_t cap, len;
    char *s;
    getdns_return_t r;
    if (getdns_dict_get_bindata(rr, "/rdata/rdata_raw", &raw) != GETDNS_RETURN_GOOD || !raw ||
        raw->size > 65535)
        return rr_text_slow(rr);
    cap = TEXT_FIXED + TEXT_PER_BYTE * raw->size;
    if (!(s = malloc(cap + RR_TEXT_SLACK)))
        return NULL;
    len = cap;
    r = getdns_rr_dict2str_buf(rr, s, &len);
    if (r == GETDNS_RETURN_GOOD)
        return s;
    free(s);
    return r == GETDNS_RETURN_NEED_MORE_SPACE ? rr_text_slow(rr) : NULL;
}

int pdns__gdrecs_from_reply(getdns_dict *reply, pdns__reply *rep, pdns__gdrecs *recs)
{
    getdns_list *answer = NULL;
    uint32_t rcode = 0, tc = 0, ancount = 0;
    size_t n = 0, k = 0;

    memset(recs, 0, sizeof *recs);
    (void)getdns_dict_get_int(reply, "/header/rcode", &rcode);
    (void)getdns_dict_get_int(reply, "/header/tc", &tc);
    rep->kind = PDNS__T_ANSWER;
    rep->rcode = (int)rcode;
    rep->tc = tc ? 1 : 0;
    rep->n_rr = 0;
    rep->rr = NULL;
    if (getdns_dict_get_list(reply, "answer", &answer) == GETDNS_RETURN_GOOD)
        (void)getdns_list_get_length(answer, &n);
    /* a datagram cut inside the answer section parses as fewer records than the header
     * announces: unusable */
    (void)getdns_dict_get_int(reply, "/header/ancount", &ancount);
    if (n < ancount)
        goto malformed;
    if (!n)
        return 0;
    recs->rr = calloc(n, sizeof *recs->rr);
    recs->text = calloc(n, sizeof *recs->text);
    if (!recs->rr || !recs->text) {
        pdns__gdrecs_free(recs);
        rep->kind = PDNS__T_ERROR;
        rep->error = "out of memory";
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        getdns_dict *rr = NULL;
        uint32_t type = 0;
        if (getdns_list_get_dict(answer, i, &rr) || getdns_dict_get_int(rr, "type", &type))
            goto malformed;
        if (type == GETDNS_RRTYPE_OPT || type == GETDNS_RRTYPE_RRSIG)
            continue;
        /* a record getdns cannot print (cut or bad rdata) makes the answer unusable */
        if (!(recs->text[k] = rr_text(rr)))
            goto malformed;
        if (split_rr(recs->text[k], &recs->rr[k]) != 0) {
            free(recs->text[k]);
            recs->text[k] = NULL;
            goto malformed;
        }
        recs->rr[k].type = (uint16_t)type;
        k++;
    }
    recs->n = k;
    rep->n_rr = k;
    rep->rr = recs->rr;
    /* rdata getdns could only show in the generic RFC 3597 form for a type it knows
     * (e.g. an A record of 1 byte) is unusable */
    for (size_t i = 0; i < k; i++) {
        char tb[16];
        if (!strncmp(recs->rr[i].data, "\\# ", 3) &&
            strncmp(pdns_rrtype_name(recs->rr[i].type, tb), "TYPE", 4) != 0)
            goto malformed;
    }
    return 0;
malformed:
    recs->n = k;
    rep->kind = PDNS__T_MALFORMED;
    rep->error = "malformed answer";
    rep->n_rr = 0;
    rep->rr = NULL;
    return 0;
}

void pdns__gdrecs_free(pdns__gdrecs *recs)
{
    for (size_t i = 0; recs->text && i < recs->n; i++)
        free(recs->text[i]);
    free(recs->text);
    free(recs->rr);
    memset(recs, 0, sizeof *recs);
}
