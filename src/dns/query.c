/* dns/query.c - the query encoder (see dns/query.h).
 * SPDX-License-Identifier: MIT */
#include <string.h>
#include "dns/query.h"

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Bytes that end a run of plain label bytes: the end, a dot, an escape. */
static const unsigned char name_stop[256] = {[0] = 1, ['.'] = 1, ['\\'] = 1};

/* Labels are written length byte first; the length is filled in once the label ends.
 * Runs of plain bytes are found by table and copied whole (once per name queried). */
int pdns__dns_name_to_wire(const char *name, uint8_t *out, size_t cap)
{
    size_t o = 0;
    const char *p = name;
    if (!name || !out || cap == 0 || !*name)
        return -1;
    if (!strcmp(name, ".")) {
        out[0] = 0;
        return 1;
    }
    while (*p) {
        size_t lenpos = o++, len = 0;
        if (o >= cap)
            return -1;
        for (;;) {
            const char *run = p;
            size_t k;
            int c;
            while (!name_stop[(unsigned char)*p])
                p++;
            k = (size_t)(p - run);
            if (o + k > cap || len + k > PDNS__WIRE_LABEL_MAX)
                return -1;
            memcpy(out + o, run, k);
            o += k;
            len += k;
            if (*p != '\\')
                break; /* the end of the label */
            p++;
            if (is_digit(p[0]) && is_digit(p[1]) && is_digit(p[2])) {
                c = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
                p += 3;
                if (c > 255)
                    return -1;
            } else if (*p) {
                c = (unsigned char)*p++;
            } else {
                return -1; /* dangling backslash */
            }
            if (o >= cap || ++len > PDNS__WIRE_LABEL_MAX)
                return -1;
            out[o++] = (uint8_t)c;
        }
        if (len == 0)
            return -1; /* empty label */
        out[lenpos] = (uint8_t)len;
        if (*p == '.')
            p++;
    }
    if (o >= cap)
        return -1;
    out[o++] = 0;
    return o > PDNS__WIRE_NAME_MAX ? -1 : (int)o;
}

/* The plain query is the shaped one with nothing but the payload size. */
size_t pdns__dns_query_encode(uint8_t *pkt, size_t cap, uint16_t id, const uint8_t *qname,
                              size_t qlen, uint16_t qtype, uint16_t edns_udp_size)
{
    const pdns__qopts o = {.udp_size = edns_udp_size};
    if (cap < PDNS__WIRE_HDR_LEN + qlen + PDNS__WIRE_QFIXED + PDNS__WIRE_OPT_LEN)
        return 0;
    return pdns__dns_query_encode_opts(pkt, cap, id, qname, qlen, qtype, &o);
}

size_t pdns__base64url(const uint8_t *src, size_t n, char *out, size_t cap)
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t o = 0;
    if (!out || cap < 4 * ((n + 2) / 3) + 1)
        return 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)src[i] << 16;
        size_t left = n - i;
        if (left > 1)
            v |= (uint32_t)src[i + 1] << 8;
        if (left > 2)
            v |= src[i + 2];
        out[o++] = abc[(v >> 18) & 63];
        out[o++] = abc[(v >> 12) & 63];
        if (left > 1)
            out[o++] = abc[(v >> 6) & 63];
        if (left > 2)
            out[o++] = abc[v & 63];
    }
    out[o] = '\0';
    return o;
}

size_t pdns__ecs_option_data(const pdns__qopts *o, uint8_t out[20])
{
    size_t alen = ((size_t)o->ecs_prefix + 7) / 8;
    if (alen > 16)
        alen = 16;
    pdns__wire_write_u16(out, o->ecs_family);
    out[2] = o->ecs_prefix;
    out[3] = 0;
    memcpy(out + 4, o->ecs_addr, alen);
    return 4 + alen;
}

void pdns__qopts_set_ecs(pdns__qopts *o, const pdns__ecs *e)
{
    if (!e)
        return;
    o->ecs = 1;
    o->ecs_family = e->family;
    o->ecs_prefix = e->prefix;
    memcpy(o->ecs_addr, e->addr, sizeof o->ecs_addr);
}

/* Append one option (code, len, data) at pkt[*len]; returns -1 when it does not fit. */
static int put_option(uint8_t *pkt, size_t cap, size_t *len, uint16_t code, const uint8_t *data,
                      uint16_t dlen)
{
    if (*len + PDNS__EDNS_OPT_HDR + dlen > cap)
        return -1;
    pdns__wire_write_u16(pkt + *len, code);
    pdns__wire_write_u16(pkt + *len + 2, dlen);
    if (dlen)
        memcpy(pkt + *len + PDNS__EDNS_OPT_HDR, data, dlen);
    *len += PDNS__EDNS_OPT_HDR + dlen;
    return 0;
}

size_t pdns__dns_query_encode_opts(uint8_t *pkt, size_t cap, uint16_t id, const uint8_t *qname,
                                   size_t qlen, uint16_t qtype, const pdns__qopts *o)
{
    static const pdns__qopts none;
    size_t len = PDNS__WIRE_HDR_LEN, opt_at, rd_at;
    if (!o)
        o = &none;
    if (!pkt || !qname || qlen == 0 || qlen > PDNS__WIRE_NAME_MAX ||
        cap < PDNS__WIRE_HDR_LEN + qlen + PDNS__WIRE_QFIXED + (o->no_edns ? 0 : PDNS__WIRE_OPT_LEN))
        return 0;
    memset(pkt, 0, PDNS__WIRE_HDR_LEN);
    pdns__wire_set_id(pkt, id);
    pdns__wire_set_flags(pkt, o->no_rd ? 0 : PDNS__WIRE_RD);
    pdns__wire_set_qdcount(pkt, 1);
    pdns__wire_set_arcount(pkt, o->no_edns ? 0 : 1);
    memcpy(pkt + len, qname, qlen);
    len += qlen;
    pdns__wire_write_u16(pkt + len, qtype);
    pdns__wire_write_u16(pkt + len + 2, PDNS__CLASS_IN);
    len += PDNS__WIRE_QFIXED;
    if (o->no_edns)
        return len;
    /* OPT: root name, type, UDP payload size, extended rcode 0, version 0, flags, rdata */
    opt_at = len;
    pkt[len] = 0;
    pdns__wire_write_u16(pkt + len + 1, PDNS__TYPE_OPT);
    pdns__wire_write_u16(pkt + len + 3, o->udp_size ? o->udp_size : PDNS__EDNS_DEFAULT_SIZE);
    pkt[len + 5] = 0; /* extended rcode */
    pkt[len + 6] = 0; /* version */
    pdns__wire_write_u16(pkt + len + 7, o->do_bit ? PDNS__EDNS_DO : 0);
    pdns__wire_write_u16(pkt + len + 9, 0); /* rdlength, filled in below */
    len += PDNS__WIRE_OPT_LEN;
    rd_at = len;
    if (o->nsid && put_option(pkt, cap, &len, PDNS__EDNS_NSID, NULL, 0))
        return 0;
    if (o->cookie) {
        /* RFC 7873 5.1: the client cookie, then the server cookie last received, if any */
        uint8_t c[PDNS__COOKIE_CLIENT_LEN + PDNS__COOKIE_SERVER_MAX];
        size_t slen = o->server_cookie_len <= PDNS__COOKIE_SERVER_MAX ? o->server_cookie_len : 0;
        memcpy(c, o->client_cookie, PDNS__COOKIE_CLIENT_LEN);
        memcpy(c + PDNS__COOKIE_CLIENT_LEN, o->server_cookie, slen);
        if (put_option(pkt, cap, &len, PDNS__EDNS_COOKIE, c,
                       (uint16_t)(PDNS__COOKIE_CLIENT_LEN + slen)))
            return 0;
    }
    if (o->ecs) {
        /* RFC 7871 6: family, source prefix, scope prefix 0, the address cut to the
         * prefix's octets */
        uint8_t e[4 + 16];
        size_t elen = pdns__ecs_option_data(o, e);
        if (put_option(pkt, cap, &len, PDNS__EDNS_ECS, e, (uint16_t)elen))
            return 0;
    }
    pdns__wire_write_u16(pkt + opt_at + 9, (uint16_t)(len - rd_at));
    return len;
}
