/* dns/edns.c - the ECS prefix parser and what answers say about flags and EDNS (see
 * dns/edns.h).
 * SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/edns.h"
#include "dns/query.h"

int pdns__ecs_parse(const char *text, pdns__qopts *o, const char **why)
{
    char addr[64];
    const char *slash = text ? strchr(text, '/') : NULL;
    size_t alen = slash ? (size_t)(slash - text) : (text ? strlen(text) : 0);
    unsigned long prefix;
    unsigned max;
    uint8_t bytes[16];
    char *end;

    if (!text || alen == 0 || alen >= sizeof addr) {
        *why = "expected ADDR/PREFIX";
        return -1;
    }
    memcpy(addr, text, alen);
    addr[alen] = '\0';
    memset(bytes, 0, sizeof bytes);
    if (inet_pton(AF_INET, addr, bytes) == 1) {
        o->ecs_family = PDNS__ECS_FAMILY_IPV4;
        max = 32;
    } else if (inet_pton(AF_INET6, addr, bytes) == 1) {
        o->ecs_family = PDNS__ECS_FAMILY_IPV6;
        max = 128;
    } else {
        *why = "not an IPv4 or IPv6 address";
        return -1;
    }
    prefix = max;
    if (slash) {
        if (!slash[1] || slash[1] == '-' || slash[1] == '+') {
            *why = "bad prefix length";
            return -1;
        }
        prefix = strtoul(slash + 1, &end, 10);
        if (*end || prefix > max) {
            *why = o->ecs_family == PDNS__ECS_FAMILY_IPV4 ? "prefix length not in 0-32"
                                                          : "prefix length not in 0-128";
            return -1;
        }
    }
    for (unsigned bit = (unsigned)prefix; bit < max; bit++)
        if (bytes[bit / 8] & (0x80 >> (bit % 8))) {
            *why = "address bits set past the prefix length";
            return -1;
        }
    memcpy(o->ecs_addr, bytes, sizeof bytes);
    o->ecs_prefix = (uint8_t)prefix;
    o->ecs = 1;
    return 0;
}

int pdns__ecs_parse_one(const char *text, pdns__ecs *e, const char **why)
{
    pdns__qopts q;
    memset(&q, 0, sizeof q);
    if (pdns__ecs_parse(text, &q, why) != 0)
        return -1;
    e->family = q.ecs_family;
    e->prefix = q.ecs_prefix;
    memcpy(e->addr, q.ecs_addr, sizeof e->addr);
    return 0;
}

const char *pdns__ecs_text(const pdns__ecs *e, char *out, size_t cap)
{
    char a[INET6_ADDRSTRLEN];
    int v4 = e->family == PDNS__ECS_FAMILY_IPV4;
    if (!cap)
        return out;
    if (!inet_ntop(v4 ? AF_INET : AF_INET6, e->addr, a, sizeof a))
        a[0] = '\0';
    snprintf(out, cap, "%s/%u", a, (unsigned)e->prefix);
    return out;
}

/* Skip a (possibly compressed) name at p[*off]; -1 when it runs past n. */
static int skip_name(const uint8_t *p, size_t n, size_t *off)
{
    size_t o = *off;
    for (;;) {
        if (o >= n)
            return -1;
        uint8_t l = p[o];
        if ((l & PDNS__WIRE_PTR_MASK) == PDNS__WIRE_PTR_MASK) {
            if (o + 2 > n)
                return -1;
            *off = o + 2;
            return 0;
        }
        if (l & PDNS__WIRE_PTR_MASK)
            return -1; /* reserved label types */
        if (l == 0) {
            *off = o + 1;
            return 0;
        }
        o += 1u + l;
    }
}

/* Read the OPT record's rdata (options) into out. */
static void read_options(const uint8_t *d, size_t dlen, const pdns__qopts *q, pdns__edns_info *out)
{
    size_t o = 0;
    int cookie_seen = 0;
    while (o + PDNS__EDNS_OPT_HDR <= dlen) {
        uint16_t code = pdns__wire_read_u16(d + o), len = pdns__wire_read_u16(d + o + 2);
        const uint8_t *v = d + o + PDNS__EDNS_OPT_HDR;
        if (o + PDNS__EDNS_OPT_HDR + len > dlen)
            break; /* cut option: what came before stands */
        switch (code) {
        case PDNS__EDNS_NSID:
            out->has_nsid = 1;
            out->nsid_len = len < PDNS__NSID_MAX ? len : PDNS__NSID_MAX;
            memcpy(out->nsid, v, out->nsid_len);
            break;
        case PDNS__EDNS_COOKIE:
            cookie_seen = 1;
            if (!q || !q->cookie)
                break;
            if (len < PDNS__COOKIE_CLIENT_LEN ||
                memcmp(v, q->client_cookie, PDNS__COOKIE_CLIENT_LEN) != 0)
                out->cookie = PDNS__COOKIE_BAD;
            else if (len == PDNS__COOKIE_CLIENT_LEN)
                out->cookie = PDNS__COOKIE_MISSING;
            else if (len < PDNS__COOKIE_CLIENT_LEN + PDNS__COOKIE_SERVER_MIN ||
                     len > PDNS__COOKIE_CLIENT_LEN + PDNS__COOKIE_SERVER_MAX)
                out->cookie = PDNS__COOKIE_BAD;
            else {
                out->cookie = PDNS__COOKIE_OK;
                out->server_cookie_len = len - PDNS__COOKIE_CLIENT_LEN;
                memcpy(out->server_cookie, v + PDNS__COOKIE_CLIENT_LEN, out->server_cookie_len);
            }
            break;
        case PDNS__EDNS_ECS:
            if (len >= 4)
                out->ecs_scope = v[3];
            break;
        default:
            break;
        }
        o += PDNS__EDNS_OPT_HDR + len;
    }
    if (q && q->cookie && !cookie_seen)
        out->cookie = PDNS__COOKIE_MISSING;
}

int pdns__edns_parse(const uint8_t *p, size_t n, const pdns__qopts *q, pdns__edns_info *out)
{
    size_t off = PDNS__WIRE_HDR_LEN;
    unsigned qd, an, ns, ar;
    memset(out, 0, offsetof(pdns__edns_info, nsid));
    out->server_cookie_len = 0;
    out->ecs_scope = -1;
    out->cookie = q && q->cookie ? PDNS__COOKIE_MISSING : PDNS__COOKIE_NOT_ASKED;
    if (!p || n < PDNS__WIRE_HDR_LEN)
        return -1;
    out->ad = (pdns__wire_get_flags(p) & PDNS__WIRE_AD) != 0;
    out->rcode = pdns__wire_get_rcode(p);
    qd = pdns__wire_get_qdcount(p);
    an = pdns__wire_get_ancount(p);
    ns = pdns__wire_get_nscount(p);
    ar = pdns__wire_get_arcount(p);
    for (unsigned i = 0; i < qd; i++) {
        if (skip_name(p, n, &off) || off + PDNS__WIRE_QFIXED > n)
            return -1;
        off += PDNS__WIRE_QFIXED;
    }
    for (unsigned i = 0; i < an + ns + ar; i++) {
        uint16_t type, rdlen;
        size_t start = off;
        if (skip_name(p, n, &off) || off + 10 > n)
            return -1;
        type = pdns__wire_read_u16(p + off);
        rdlen = pdns__wire_read_u16(p + off + 8);
        if (off + 10 + rdlen > n)
            return -1;
        if (i < an && type == PDNS__TYPE_RRSIG)
            out->rrsig++;
        if (i >= an + ns && type == PDNS__TYPE_OPT && !out->has_opt && off == start + 1 &&
            p[start] == 0) {
            out->has_opt = 1;
            out->udp_size = pdns__wire_read_u16(p + off + 2);
            out->do_bit = (pdns__wire_read_u16(p + off + 6) & PDNS__EDNS_DO) != 0;
            out->rcode |= p[off + 4] << 4; /* RFC 6891 6.1.3: the upper 8 bits of 12 */
            read_options(p + off + 10, rdlen, q, out);
        }
        off += 10u + rdlen;
    }
    return 0;
}

const char *pdns__nsid_text(const uint8_t *nsid, size_t len, char *out, size_t cap)
{
    int printable = len > 0;
    size_t o = 0;
    if (!cap)
        return out;
    for (size_t i = 0; i < len; i++)
        if (nsid[i] < 0x20 || nsid[i] > 0x7e || nsid[i] == '"' || nsid[i] == '\\')
            printable = 0;
    for (size_t i = 0; i < len && o + 3 <= cap; i++) {
        if (printable) {
            out[o++] = (char)nsid[i];
        } else {
            snprintf(out + o, cap - o, "%02x", nsid[i]);
            o += 2;
        }
    }
    out[o < cap ? o : cap - 1] = '\0';
    return out;
}
