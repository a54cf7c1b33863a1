/* gdrecords.h - a getdns reply dict's answer section as presentation-format records, and
 * the one path from a matched DNS message to a reply.
 * SPDX-License-Identifier: MIT */
#ifndef PDNS_GDRECORDS_H
#define PDNS_GDRECORDS_H

#include <getdns/getdns.h>

#include "dns/match.h"
#include "transport/transport.h"

/* Converted answer records; owns their text. */
typedef struct pdns__gdrecs {
    pdns__rr *rr;
    char **text;
    size_t n;
} pdns__gdrecs;

/* Read rcode, TC and the answer records (OPT and RRSIG left out) of one reply dict (an
 * element of replies_tree, or getdns_wire2msg_dict's result) into rep; rep->rr points
 * into recs. Text comes from getdns_rr_dict2str. Returns 0, or -1 on no memory (rep
 * then says ERROR). Release with pdns__gdrecs_free. */
int pdns__gdrecs_from_reply(getdns_dict *reply, pdns__reply *rep, pdns__gdrecs *recs);
void pdns__gdrecs_free(pdns__gdrecs *recs);

/* Deliver a DNS message p[0..n) that pdns__dns_match_answer found to be ANSWER or
 * HEADER_ERROR (m, mr) for a query sent at sent_ns: builds the reply (records decoded
 * through getdns only when the answer section is not empty and TC is clear) and calls
 * cb(arg, &reply). p is modified (NSCOUNT and ARCOUNT zeroed). The one answer path of
 * the UDP, stream and DoH transports. */
void pdns__wire_deliver(uint8_t *p, size_t n, pdns__dns_match m, const pdns__dns_match_result *mr,
                        uint64_t sent_ns, pdns__reply_cb cb, void *arg);

#endif
