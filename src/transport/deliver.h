/* deliver.h - the one path from a matched DNS message to a reply (UDP, stream, DoH).
 * SPDX-License-Identifier: MIT */
#ifndef PDNS_DELIVER_H
#define PDNS_DELIVER_H

#include "dns/match.h"
#include "transport/transport.h"

/* Deliver a DNS message p[0..n) that pdns__dns_match_answer found to be ANSWER or
 * HEADER_ERROR (m, mr) for a query sent at sent_ns: builds the reply and calls
 * cb(arg, &reply). Records are decoded by libknot (dns/codec.c) when the answer section
 * is not empty and TC is clear; otherwise only the rcode is read (extended by an OPT
 * record). p is modified during the call and restored. The one answer path of the UDP,
 * stream and DoH transports. With qo (the transport's shaped queries; NULL: plain) the answer is
 * first read by pdns__edns_parse and the reply carries that reading (pdns__reply.edns). */
void pdns__wire_deliver(uint8_t *p, size_t n, pdns__dns_match m, const pdns__dns_match_result *mr,
                        uint64_t sent_ns, pdns__qopts *qo, pdns__reply_cb cb, void *arg);

#endif
