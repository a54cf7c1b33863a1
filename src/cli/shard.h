/* shard.h - --shard I/N|auto and --shard-by: which input lines this process takes, the
 * input map the merge checks against, and {shard} in file names.
 * SPDX-License-Identifier: MIT */
#ifndef PDNS_CLI_SHARD_H
#define PDNS_CLI_SHARD_H

#include <stddef.h>
#include <stdint.h>

#include "cli.h"

/* Resolve the --shard text of com (NULL: no sharding) into com->opt.shards and
 * .shard_index: "I/N" (0 <= I < N <= PDNS_MAX_SHARDS) or "auto" from the environment
 * (Kubernetes: JOB_COMPLETION_INDEX and PACEDNS_SHARDS; Slurm: SLURM_ARRAY_TASK_ID -
 * SLURM_ARRAY_TASK_MIN and PACEDNS_SHARDS or SLURM_ARRAY_TASK_COUNT). Returns 0 or -1
 * after a message naming the option or the variable that is missing or inconsistent. */
int cli_shard_resolve(cli_common *com);

/* Whether this process takes input line `line` (text: the line, "NAME [TYPE]"): by
 * line, (line - 1) mod N = I; by zone, a hash of the name's parent zone (the name
 * without its first label, case-folded) mod N = I. Always 1 without sharding. */
int cli_shard_mine(const cli_common *com, uint64_t line, const char *text);

/* path with every "{shard}" replaced by the shard index ("0" without sharding); a new
 * string (free()), or NULL on no memory. NULL stays NULL (*out = NULL, returns 0).
 * Returns 0 or -1. */
int cli_shard_path(const cli_common *com, const char *path, char **out);

/* The lines of the whole input, as every shard reads them: which line numbers gave no
 * name (blank, comment) and which names carried their own type. Ranges are kept up to
 * CLI_INMAP_MAX_RANGES each (beyond that the map is marked inexact). */
typedef struct cli_inmap {
    uint64_t last;  /* highest line number that gave a name */
    uint64_t names; /* lines that gave a name (all shards) */
    uint64_t *skip; /* pairs [from, to] of lines that gave none, below last */
    size_t n_skip, cap_skip;
    uint64_t *typed; /* pairs [from, to] of lines of the form "NAME TYPE" */
    size_t n_typed, cap_typed;
    int inexact;  /* too many ranges: only counts are exact */
    int complete; /* the input was read to its end */
} cli_inmap;

#define CLI_INMAP_MAX_RANGES (1u << 20)

/* Account for input line `line` (increasing) with text `text`. Returns 0 or -1 (no
 * memory). */
int cli_inmap_add(cli_inmap *m, uint64_t line, const char *text);
void cli_inmap_free(cli_inmap *m);

/* The map as the stats document's "input" object (a cJSON object, returned as void *
 * so that this header needs no cJSON): {"lines", "names", "complete", "exact",
 * "skipped": [[from, to], ...], "typed": [[from, to], ...], "types": ["A", ...],
 * "shard_by"}. NULL on no memory. */
void *cli_inmap_json(const cli_inmap *m, const cli_common *com);

#endif
