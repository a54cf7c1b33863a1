/* checkpoint.h - --checkpoint / --resume: which input lines are done, on disk.
 * SPDX-License-Identifier: MIT */
#ifndef PDNS_CLI_CHECKPOINT_H
#define PDNS_CLI_CHECKPOINT_H

#include <stddef.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>

#define CLI_CKPT_VERSION 2

/* One input line admitted by this run and not yet written: the records it still owes
 * and the bytes of those already formatted (a line is written whole or not at all). */
typedef struct cli_ckpt_line {
    uint64_t line;
    unsigned owed; /* records still to come; 0: complete; CLI_CKPT_OWED_UNKNOWN until
                      its first record says how many the line yields */
    int cut;       /* a record failed only because the run was stopping: never written */
    char *buf;     /* formatted records of the line so far */
    size_t len, cap;
} cli_ckpt_line;

/* Progress of a run over numbered input lines. A line is done when all its records
 * (one per type) were written. The state is "every line <= done_through is done except
 * the lines listed as not done"; only lines still in flight (or cut by an interrupt)
 * are kept, so memory and the checkpoint file stay bounded by the in-flight work, not
 * by the run's length. A checkpoint also stores the output file's identity and its
 * size after a flush (and fdatasync): records written after it are cut off on resume
 * and redone, so the union of the runs has every line exactly once. */
typedef struct cli_ckpt {
    uint64_t high;       /* highest line admitted so far, 0 none */
    cli_ckpt_line *pend; /* lines admitted and not done (or cut), increasing */
    size_t head, n, cap; /* live window [head, n) of pend */
    size_t n_done;       /* complete entries left in the window (compacted lazily) */
    uint64_t n_cut;      /* lines dropped because the run was stopping */
    /* an earlier run (resume): lines <= prev_high are done except prev_todo */
    uint64_t prev_high;
    uint64_t *prev_todo;
    size_t n_prev_todo, prev_i;
    uint64_t records;
    char *wbuf; /* bytes of the last line handed out by cli_ckpt_record */
    /* what the checkpoint describes */
    char output[4096]; /* absolute path */
    unsigned long long out_dev, out_ino;
    long long out_bytes;
    void *fingerprint; /* cJSON object: inputs and record-shaping options */
} cli_ckpt;

#define CLI_CKPT_OWED_UNKNOWN UINT_MAX

/* What cli_ckpt_record asks the caller to do with a record. */
typedef enum { CLI_CKPT_HOLD, CLI_CKPT_WRITE, CLI_CKPT_DROP } cli_ckpt_action;

void cli_ckpt_init(cli_ckpt *c);
void cli_ckpt_free(cli_ckpt *c);
/* Line `line` was read (it owes records: how many, its first record tells). Returns 0,
 * or -1 on no memory. */
int cli_ckpt_admit(cli_ckpt *c, uint64_t line);
/* One record of `line`, formatted as bytes[0..len); line_records: how many the line
 * yields in all (pdns_result.line_records). cut: it failed only because the
 * run was stopping (it would have been retried). Returns CLI_CKPT_WRITE with *out,
 * *outlen the bytes of the whole line to write now (valid until the next call; the
 * line counts as done), CLI_CKPT_HOLD when the line owes more records, CLI_CKPT_DROP
 * when the complete line had a cut record (it stays not done: a resume redoes it), or
 * -1 on no memory. */
int cli_ckpt_record(cli_ckpt *c, uint64_t line, unsigned line_records, const char *bytes,
                    size_t len, int cut, const char **out, size_t *outlen);
/* Whether an earlier run already did `line` (lines must be asked in increasing order). */
int cli_ckpt_skip(cli_ckpt *c, uint64_t line);

/* The trust options of a run (they decide which records are believed and shape them). */
typedef struct cli_ckpt_trust {
    const char *const *trusted; /* --trusted values */
    size_t n_trusted;
    const char *trusted_file; /* --trusted-file, or NULL */
    int canaries;             /* --canaries */
    int verify;               /* --verify */
    const char *wildcards;    /* "off", "mark" or "filter" */
} cli_ckpt_trust;

/* Set the fingerprint of this run: the inputs (absolute paths, sizes, mtimes; "-" is
 * stdin) and the options that shape records, and the shard ("I/N by line|zone", NULL
 * when not sharded: a shard's checkpoint resumes only that shard), and the trust options
 * (trust NULL: none; each is written only when set, so a checkpoint without them is one
 * of a run without them). When a loaded checkpoint (`path`) already set one, the two
 * must match. Returns 0, or -1 with a message naming what differs. */
int cli_ckpt_fingerprint(cli_ckpt *c, const char *const *inputs, size_t n_inputs,
                         const uint16_t *types, size_t n_types, const char *format, int fcrdns,
                         const char *shard, const cli_ckpt_trust *trust, const char *path,
                         char *err, size_t errcap);

/* Write the checkpoint (c->output, out_dev/out_ino, the fingerprint, out_bytes) to path
 * atomically and durably: temp file, fsync, rename, fsync of the directory. Returns 0
 * or -1 (errno). */
int cli_ckpt_write(const cli_ckpt *c, const char *path, long long out_bytes);
/* Load a checkpoint into c (skip state, output identity, fingerprint). Every field is
 * checked and range-checked. Returns 0, or -1 with a message naming the file and the
 * field in err. */
int cli_ckpt_load(cli_ckpt *c, const char *path, char *err, size_t errcap);

#endif
