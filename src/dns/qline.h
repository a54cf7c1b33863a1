/* dns/qline.h - one input line, "NAME [TYPE] [ecs=PREFIX]", split for the engine (the
 * public pdns_query_line_parse is this without the ECS prefix). Pure.
 * SPDX-License-Identifier: MIT */
#ifndef PDNS_DNS_QLINE_H
#define PDNS_DNS_QLINE_H

#include <stddef.h>
#include <stdint.h>
#include "pacedns.h"
#include "dns/query.h"

/* Split line into its name (into name[0..cap), not validated), its type (*type, 0 when
 * the line gives none) and its ECS prefix (*has_ecs 1 and *ecs set when the last field
 * is ecs=PREFIX; checked as --ecs is: pdns__ecs_parse). ecs and has_ecs may be NULL (the
 * prefix is then checked only). On error returns PDNS_ERR_PARSE (PDNS_ERR_INVALID for
 * NULL arguments) with *why a static reason and, when errcap > 0, err[0..errcap) the
 * reason naming the bad field ("bad ECS prefix 'ecs=10.1.2.3/16': address bits set past
 * the prefix length", "unknown record type 'FOO'"). */
pdns_status pdns__qline_parse(const char *line, char *name, size_t cap, uint16_t *type,
                              pdns__ecs *ecs, int *has_ecs, const char **why, char *err,
                              size_t errcap);

#endif
