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
    const pdns_reader *in; /* the input read on the loop's thread, or NULL (a pipe) */
    unsigned n_types;
    FILE *fp;
    int drawn;
} cli_progress;

/* Start redrawing every 250 ms (at most 4 times a second) on fp. in (may be NULL) is
 * the reader of regular-file inputs: the total is estimated from its bytes, exact once
 * it has read everything. */
int cli_progress_start(cli_progress *p, uv_loop_t *loop, pdns_runner *r, const pdns_reader *in,
                       unsigned n_types, FILE *fp);

/* Draw once more, clear the line and close the timer (run the loop to free it). */
void cli_progress_stop(cli_progress *p);

#endif
