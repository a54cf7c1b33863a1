/* progress.h - the CLI's live progress line on stderr (a terminal).
 * SPDX-License-Identifier: MIT */
#ifndef PDNS_CLI_PROGRESS_H
#define PDNS_CLI_PROGRESS_H

#include <stdint.h>
#include <stdio.h>
#include <uv.h>

#include "pacedns.h"

typedef struct cli_progress {
    uv_timer_t timer;
    int active;
    pdns_runner *r;
    uint64_t total; /* names in the input; 0 unknown (a pipe) */
    unsigned n_types;
    FILE *fp;
    int drawn;
} cli_progress;

/* Count the name lines of regular-file inputs (0 when any input is not a regular
 * file or reading fails). */
uint64_t cli_progress_count(const char *const *paths, size_t n);

/* Start redrawing every 250 ms (at most 4 times a second) on fp. */
int cli_progress_start(cli_progress *p, uv_loop_t *loop, pdns_runner *r, uint64_t total,
                       unsigned n_types, FILE *fp);

/* Draw once more, clear the line and close the timer (run the loop to free it). */
void cli_progress_stop(cli_progress *p);

#endif
