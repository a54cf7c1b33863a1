/* cli_checkpoint.h - --checkpoint / --resume: which input lines are done, on disk.
 * SPDX-License-Identifier: MIT */
#ifndef PDNS_CLI_CHECKPOINT_H
#define PDNS_CLI_CHECKPOINT_H

#include <stdint.h>
#include <stdio.h>

/* Progress of a run over numbered input lines. A line is done when all its records
 * (one per type) were written. The state is "every line below done_below is done"
 * plus the done lines above it (bounded by what is in flight). A checkpoint also
 * stores the output file's size after a flush: records written after it are cut off
 * on resume and redone, so the union of the runs has every line exactly once. */
typedef struct cli_ckpt {
    uint64_t low;  /* every line < low is done */
    uint64_t high; /* highest line admitted so far (low - 1 when none pending) */
    uint8_t *pend; /* ring over [low, high]: records still owed per line */
    size_t cap, head;
    /* lines done by an earlier run (resume): skip them */
    uint64_t skip_below;
    uint64_t *skip;
    size_t n_skip, skip_i;
    uint64_t records;
} cli_ckpt;

void cli_ckpt_init(cli_ckpt *c);
void cli_ckpt_free(cli_ckpt *c);
/* Line `line` was read and owes n records. Returns 0, or -1 on no memory. */
int cli_ckpt_admit(cli_ckpt *c, uint64_t line, unsigned n);
/* One record of `line` was written. */
void cli_ckpt_done(cli_ckpt *c, uint64_t line);
/* Whether an earlier run already did `line` (lines must be asked in increasing order). */
int cli_ckpt_skip(cli_ckpt *c, uint64_t line);
/* Write the checkpoint to path atomically (tmp + rename). Returns 0 or -1 (errno). */
int cli_ckpt_write(const cli_ckpt *c, const char *path, const char *output, long long out_bytes);
/* Load a checkpoint: sets the skip state; *out_bytes and output (cap bytes) receive the
 * output file and its size. Returns 0, or -1 with a message in err. */
int cli_ckpt_load(cli_ckpt *c, const char *path, char *output, size_t cap, long long *out_bytes,
                  char *err, size_t errcap);

#endif
