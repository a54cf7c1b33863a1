/* output.h - result records as ndjson, text, hosts or zone lines.
 * SPDX-License-Identifier: MIT */
#ifndef PDNS_OUTPUT_H
#define PDNS_OUTPUT_H

#include <stdio.h>
#include "pacedns.h"

typedef enum pdns__format {
    PDNS__FMT_NDJSON = 0,
    PDNS__FMT_TEXT,
    PDNS__FMT_HOSTS,
    PDNS__FMT_ZONE
} pdns__format;

/* "ndjson", "text", "hosts", "zone" -> format; returns PDNS_ERR_PARSE otherwise. */
pdns_status pdns__format_from_name(const char *name, pdns__format *fmt);

/* A run of ndjson text that depends only on a few values (type, status, rcode), kept
 * while consecutive records share them (see output.c). */
typedef struct pdns__jcache {
    int valid;
    int k1, k2, k3; /* the values it was made from */
    size_t len;
    char text[112];
} pdns__jcache;

typedef struct pdns__output {
    FILE *fp;
    pdns__format fmt;
    char *buf; /* reusable line buffer */
    size_t cap;
    pdns__jcache head;  /* ,"type":..,"status":..,"rcode":..,"answers":[ */
    pdns__jcache atype; /* an answer's ,"type":..,"ttl": */
} pdns__output;

void pdns__output_init(pdns__output *o, FILE *fp, pdns__format fmt);
/* Write one record. Returns PDNS_OK or PDNS_ERR_IO / PDNS_ERR_NOMEM. */
pdns_status pdns__output_write(pdns__output *o, const pdns_result *r);
void pdns__output_free(pdns__output *o);

#endif
