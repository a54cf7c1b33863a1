/* gdloop.h - getdns event-loop extension on libuv: one poll handle per descriptor.
 * SPDX-License-Identifier: MIT */
#ifndef PDNS_GDLOOP_H
#define PDNS_GDLOOP_H

#include <getdns/getdns.h>
#include <uv.h>

/* A descriptor table shared by every getdns context of one libuv loop. */
typedef struct pdns__gdloop pdns__gdloop;

/* Create the shared table for loop. Returns NULL on no memory. */
pdns__gdloop *pdns__gdloop_new(uv_loop_t *loop);
/* Attach a getdns context to the loop through the shared table (takes a reference). */
getdns_return_t pdns__gdloop_attach(pdns__gdloop *g, getdns_context *ctx);
/* Drop the creator's reference; the table is freed when the last context is gone. */
void pdns__gdloop_release(pdns__gdloop *g);

#endif
