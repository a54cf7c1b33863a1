/* dns/query.c - the query encoder (see dns/query.h).
 * SPDX-License-Identifier: MIT */
#include <string.h>
#include "dns/edns.h"
#include "dns/query.h"

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Labels are written length byte first; the length is filled in once the label ends. */
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
        size_t lenpos = o++;
        int len = 0;
        if (o >= cap)
            return -1;
        while (*p && *p != '.') {
            int c = (unsigned char)*p++;
            if (c == '\\') {
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
