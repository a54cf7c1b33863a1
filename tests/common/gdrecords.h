/* gdrecords.h - a getdns reply dict's answer section as presentation-format records, by
 * getdns_rr_dict2str: the text pacedns printed before libknot (dns/codec.c) took over.
 * Test-only: the reference side of test_codec_diff and fuzz_codec.
 * SPDX-License-Identifier: MIT */
#ifndef PDNS_GDRECORDS_H
#define PDNS_GDRECORDS_H

#include <getdns/getdns.h>

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

#endif
