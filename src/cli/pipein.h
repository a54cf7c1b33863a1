/* pipein.h - read names from a pipe on a thread of its own, so a stalled pipe never blocks
 * the event loop (signals, timers and checkpoints go on).
 * SPDX-License-Identifier: MIT */
#ifndef PDNS_CLI_PIPEIN_H
#define PDNS_CLI_PIPEIN_H

#include <stddef.h>
#include <stdint.h>

#include "pacedns.h"

typedef struct cli_pipein cli_pipein;

/* Start a thread that reads rd (which it owns from now on) into a bounded queue.
 * Returns 0, or -1 (rd untouched, read it directly). */
int cli_pipein_start(cli_pipein **out, pdns_reader *rd);

/* The next line as pdns_reader_next gives it: 1, 0 at the end, -1 on a read error; or 2
 * when none has arrived yet (a pdns_source_fn may return that as it is). */
int cli_pipein_next(cli_pipein *p, char *buf, size_t cap, uint64_t *line);

/* The reader's error text once cli_pipein_next returned -1. */
const char *cli_pipein_error(cli_pipein *p);

/* Done with it: when the thread has ended it is joined and everything freed; when it is
 * still blocked in a read (a pipe that never ends), it is left to end with the process
 * and frees what it owns itself if its read ever returns. */
void cli_pipein_release(cli_pipein *p);

#endif
