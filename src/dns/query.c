/* dns/query.c - the query encoder (see dns/query.h).
 * SPDX-License-Identifier: MIT */
#include <string.h>
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

size_t pdns__dns_query_encode(uint8_t *pkt, size_t cap, uint16_t id, const uint8_t *qname,
                              size_t qlen, uint16_t qtype, uint16_t edns_udp_size)
{
    size_t len = PDNS__WIRE_HDR_LEN;
    if (!pkt || !qname || qlen == 0 || qlen > PDNS__WIRE_NAME_MAX ||
        cap < PDNS__WIRE_HDR_LEN + qlen + PDNS__WIRE_QFIXED + PDNS__WIRE_OPT_LEN)
        return 0;
    /* header: ID, RD, one question, one additional (the OPT record) */
    memset(pkt, 0, PDNS__WIRE_HDR_LEN);
    pdns__wire_set_id(pkt, id);
    pdns__wire_set_flags(pkt, PDNS__WIRE_RD);
    pdns__wire_set_qdcount(pkt, 1);
    pdns__wire_set_arcount(pkt, 1);
    memcpy(pkt + len, qname, qlen);
    len += qlen;
    pdns__wire_write_u16(pkt + len, qtype);
    pdns__wire_write_u16(pkt + len + 2, PDNS__CLASS_IN);
    len += PDNS__WIRE_QFIXED;
    /* OPT: root name, type, UDP payload size, extended rcode/version/flags 0, no rdata */
    pkt[len] = 0;
    pdns__wire_write_u16(pkt + len + 1, PDNS__TYPE_OPT);
    pdns__wire_write_u16(pkt + len + 3, edns_udp_size);
    memset(pkt + len + 5, 0, PDNS__WIRE_OPT_LEN - 5);
    return len + PDNS__WIRE_OPT_LEN;
}
