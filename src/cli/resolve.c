/* resolve.c - "pacedns resolve": every input name through the runner, records to the
 * output, with --checkpoint/--resume.
 * SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cjson/cJSON.h>

#include "atlas.h"
#include "pipein.h"
#include "shard.h"
#include "checkpoint.h"
#include "options.h"
#include "session.h"
#include "summary.h"

/* The state of one resolve run. */
typedef struct resolve {
    cli_args a;
    cli_session s;
    const char *output;    /* -o, or the checkpoint's output on --resume */
    const char *ckpt_path; /* --checkpoint, or the --resume file */
    pdns_reader *in;
    cli_pipein *pipe; /* reads `in` on a thread of its own when an input is a pipe */
    int pipe_flushed; /* the output was flushed since the pipe last went silent */
    pdns_writer *w;   /* records to s.out_fp */
    int out_error;    /* errno of a failed write (under s.mu) */
    cli_ckpt ckpt;
    int use_ckpt;
    int ckpt_timer_init;
    uv_timer_t ckpt_timer;
    FILE *ms;        /* with a checkpoint: one record is formatted here first */
    char *ms_buf;    /* open_memstream buffer of ms */
    size_t ms_size;  /* */
    pdns_writer *mw; /* writer on ms */
    cli_inmap inmap; /* the whole input's lines, for pacedns merge */
    char *paths[4];  /* -o, --checkpoint, --resume, --stats with {shard} replaced */
} resolve;

#define SHARD_SKIP_PER_CALL 65536 /* other shards' lines passed over in one source call */

/* The next input line not done by an interrupted run (under s.mu). */
static int source_next(resolve *c, char *name, size_t cap, uint64_t *line)
{
    unsigned skipped = 0;
    for (;;) {
        int rc = c->pipe ? cli_pipein_next(c->pipe, name, cap, line)
                         : pdns_reader_next(c->in, name, cap, line);
        if (rc == 0)
            c->inmap.complete = 1;
        if (rc == 1 && cli_inmap_add(&c->inmap, *line, name) != 0)
            return -1;
        if (rc == 1 && !cli_shard_mine(&c->a.com, *line, name)) {
            /* another shard's line; a long run of them yields to the loop now and then */
            if (++skipped >= SHARD_SKIP_PER_CALL)
                return PDNS_SOURCE_AGAIN;
            continue;
        }
        if (rc != 1 || !c->use_ckpt) /* 2 (a pipe has no line yet) goes to the runner */
            return rc;
        if (cli_ckpt_skip(&c->ckpt, *line))
            continue; /* done by the interrupted run */
        if (cli_ckpt_admit(&c->ckpt, *line) != 0)
            return -1;
        return 1;
    }
}

static int source_fn(void *user, char *name, size_t cap, uint64_t *line)
{
    resolve *c = user;
    int rc;
    uv_mutex_lock(&c->s.mu);
    rc = source_next(c, name, cap, line);
    /* the input went silent: what is resolved so far reaches the output now, not when
     * the stdio buffer fills (the records stay whole: a flush writes whole lines) */
    if (rc == PDNS_SOURCE_AGAIN && !c->pipe_flushed && c->s.out_fp && !c->out_error) {
        if (fflush(c->s.out_fp) != 0)
            c->out_error = errno ? errno : EIO;
        c->pipe_flushed = 1;
    } else if (rc == 1) {
        c->pipe_flushed = 0;
    }
    uv_mutex_unlock(&c->s.mu);
    return rc;
}

/* Flush the records and get them to disk (fdatasync), then record which lines they
 * cover. After a write error nothing is recorded: the last good checkpoint stays. */
static void checkpoint_now(resolve *c)
{
    FILE *fp = c->s.out_fp;
    long long bytes;
    uv_mutex_lock(&c->s.mu);
    if (c->out_error) {
        /* records may be missing from the output: keep the last good checkpoint */
    } else if (fflush(fp) != 0 ||
               (fdatasync(fileno(fp)) != 0 && errno != EINVAL && errno != EROFS) ||
               (bytes = ftello(fp)) < 0) {
        c->out_error = errno ? errno : EIO;
    } else if (cli_ckpt_write(&c->ckpt, c->ckpt_path, bytes) != 0) {
        fprintf(stderr, "pacedns: cannot write checkpoint %s: %s\n", c->ckpt_path, strerror(errno));
        c->out_error = errno ? errno : EIO;
        pdns_runner_stop(c->s.runner);
    }
    uv_mutex_unlock(&c->s.mu);
}

static void checkpoint_tick(uv_timer_t *t)
{
    checkpoint_now(t->data);
}

/* With a checkpoint (under s.mu): format the record, then let the checkpoint decide. A
 * line's records are written together once all are in, so the output never holds part
 * of a line that a resume would redo. A failure that only ended because the run was
 * stopping (it would have been retried) drops its line: the line stays not done and a
 * resume redoes it. Returns 0 or -1 (errno). */
static int ckpt_record(resolve *c, const pdns_result *res)
{
    const char *p = NULL;
    size_t n = 0;
    off_t len;
    int act,
        cut = res->unfinished ||
              (c->s.stop_seen && (res->status == PDNS_R_TIMEOUT || res->status == PDNS_R_SERVFAIL ||
                                  res->status == PDNS_R_REFUSED || res->status == PDNS_R_ERROR ||
                                  res->status == PDNS_R_UNREACHABLE));
    if (fseeko(c->ms, 0, SEEK_SET) != 0 || pdns_writer_write(c->mw, res) != PDNS_OK ||
        fflush(c->ms) != 0 || (len = ftello(c->ms)) < 0)
        return -1;
    act = cli_ckpt_record(&c->ckpt, res->line, res->line_records, c->ms_buf, (size_t)len, cut, &p,
                          &n);
    if (act < 0) {
        errno = ENOMEM;
        return -1;
    }
    if (act == CLI_CKPT_WRITE && n && fwrite(p, 1, n, c->s.out_fp) != n)
        return -1;
    return 0;
}

static void on_result(const pdns_result *res, void *user)
{
    resolve *c = user;
    uv_mutex_lock(&c->s.mu);
    if (c->out_error) {
        /* dropped: the run is stopping with an error */
    } else if (c->use_ckpt ? ckpt_record(c, res) != 0 : pdns_writer_write(c->w, res) != PDNS_OK) {
        c->out_error = errno ? errno : EIO;
        pdns_runner_stop(c->s.runner);
    }
    uv_mutex_unlock(&c->s.mu);
}

/* Politeness by default: the polite profile (one line on stderr says so) when the
 * servers come from resolv.conf (usually an ISP's or a public resolver) or any server
 * is outside loopback and private ranges, unless -p or a fixed --qps is given. Returns
 * the profile to use (NULL: the compiled-in defaults). */
static const char *choose_profile(resolve *c, const char *resolv_conf)
{
    const char *public = cli_session_public_server(&c->s);
    if (c->a.com.profile || c->a.com.opt.qps > 0 || (!resolv_conf && !public))
        return c->a.com.profile;
    if (!c->a.com.quiet) {
        if (resolv_conf)
            fprintf(stderr,
                    "pacedns: servers from %s: using the polite profile (-p NAME to choose)\n",
                    resolv_conf);
        else
            fprintf(stderr,
                    "pacedns: server %s is not on loopback or a private network: using the "
                    "polite profile (-p NAME to choose)\n",
                    public);
    }
    return "polite";
}

/* The record writer on the output and, with a checkpoint, the one that formats a
 * record in memory first (see ckpt_record). Returns 0 or an exit code. */
static int open_writers(resolve *c)
{
    if (c->ckpt_path) {
        c->use_ckpt = 1;
        if (!(c->ms = open_memstream(&c->ms_buf, &c->ms_size)) ||
            pdns_writer_new(c->ms, c->a.res.fmt, &c->mw) != PDNS_OK) {
            fprintf(stderr, "pacedns: out of memory\n");
            return EXIT_RUNTIME;
        }
    }
    if (pdns_writer_new(c->s.out_fp, c->a.res.fmt, &c->w) != PDNS_OK) {
        fprintf(stderr, "pacedns: out of memory\n");
        return EXIT_RUNTIME;
    }
    pdns_runner_set_source(c->s.runner, source_fn, c);
    return 0;
}

/* The inputs and record-shaping options as the checkpoint's fingerprint (checked
 * against a loaded one when path is its file). Returns 0 or -1 with err set. */
static int fingerprint(resolve *c, const char *path, char *err, size_t errcap)
{
    const pdns_options *o = &c->a.com.opt;
    static const char *const wc[] = {"off", "mark", "filter"};
    cli_ckpt_trust t = {.trusted = c->a.res.trusted,
                        .n_trusted = c->a.res.n_trusted,
                        .trusted_file = c->a.res.trusted_file,
                        .canaries = o->canaries,
                        .verify = o->verify,
                        .wildcards = (unsigned)o->wildcards < 3 ? wc[o->wildcards] : "off"};
    char shard[64];
    snprintf(shard, sizeof shard, "%u/%u by %s", o->shard_index, o->shards,
             c->a.com.shard_by_zone ? "zone" : "line");
    return cli_ckpt_fingerprint(&c->ckpt, c->a.operands, c->a.n_operands, o->types, o->n_types,
                                c->a.res.fmt, o->fcrdns, o->shards > 1 ? shard : NULL, &t, path,
                                err, errcap);
}

/* --resume: load the checkpoint and reopen the output it names (its absolute path),
 * refusing when it is not the same file (device/inode), is shorter than recorded or
 * does not end a record at the recorded size, or when the inputs or record-shaping
 * options differ. Only then are the records written after the checkpoint cut off.
 * Returns 0 or an exit code. */
static int open_resume(resolve *c)
{
    char err[2048];
    const char *ck = c->a.res.resume_path, *out;
    struct stat st;
    int fd = -1;
    char last;

    if (cli_ckpt_load(&c->ckpt, ck, err, sizeof err) != 0) {
        fprintf(stderr, "pacedns: option --resume: %s\n", err);
        return EXIT_USAGE;
    }
    out = c->ckpt.output;
    if (c->output && (!strcmp(c->output, "-") || stat(c->output, &st) != 0 ||
                      (unsigned long long)st.st_dev != c->ckpt.out_dev ||
                      (unsigned long long)st.st_ino != c->ckpt.out_ino)) {
        fprintf(stderr,
                "pacedns: option --resume: -o %s is not the output of checkpoint %s (%s); "
                "leave -o out to append to it\n",
                c->output, ck, out);
        return EXIT_USAGE;
    }
    if ((fd = open(out, O_RDWR | O_CLOEXEC)) < 0 || fstat(fd, &st) != 0) {
        fprintf(stderr, "pacedns: option --resume: checkpoint %s: cannot open its output %s: %s\n",
                ck, out, strerror(errno));
        goto fail;
    }
    if (!S_ISREG(st.st_mode) || (unsigned long long)st.st_dev != c->ckpt.out_dev ||
        (unsigned long long)st.st_ino != c->ckpt.out_ino) {
        fprintf(stderr,
                "pacedns: option --resume: checkpoint %s: %s is not the output file it was "
                "written for (device/inode differ: the file was replaced); not resuming\n",
                ck, out);
        goto fail;
    }
    if ((long long)st.st_size < c->ckpt.out_bytes) {
        fprintf(stderr,
                "pacedns: option --resume: checkpoint %s: output %s has %lld bytes, fewer than "
                "the %lld recorded: records were lost; not resuming (start the run again)\n",
                ck, out, (long long)st.st_size, c->ckpt.out_bytes);
        goto fail;
    }
    if (c->ckpt.out_bytes > 0 &&
        (pread(fd, &last, 1, (off_t)(c->ckpt.out_bytes - 1)) != 1 || last != '\n')) {
        fprintf(stderr,
                "pacedns: option --resume: checkpoint %s: output %s does not end a record at "
                "the recorded %lld bytes: the file was changed; not resuming\n",
                ck, out, c->ckpt.out_bytes);
        goto fail;
    }
    if (fingerprint(c, ck, err, sizeof err) != 0) {
        fprintf(stderr, "pacedns: option --resume: %s; not resuming\n", err);
        goto fail;
    }
    /* records written after the checkpoint are cut off and redone */
    if (ftruncate(fd, (off_t)c->ckpt.out_bytes) != 0 || !(c->s.out_fp = fdopen(fd, "r+"))) {
        fprintf(stderr, "pacedns: option --resume: cannot reopen %s: %s\n", out, strerror(errno));
        goto fail;
    }
    fd = -1; /* the stream owns it now */
    if (fseeko(c->s.out_fp, 0, SEEK_END) != 0) {
        fprintf(stderr, "pacedns: option --resume: cannot reopen %s: %s\n", out, strerror(errno));
        goto fail;
    }
    c->output = out;
    if (!c->ckpt_path)
        c->ckpt_path = ck;
    return open_writers(c);
fail:
    if (fd >= 0)
        close(fd);
    return EXIT_USAGE;
}

/* Whether an input is stdin or another file that is not a regular one (a pipe, a FIFO, a
 * terminal): reads of those can block for as long as the writer likes. */
static int input_may_block(const resolve *c)
{
    struct stat sb;
    if (c->a.n_operands == 0)
        return 1;
    for (size_t i = 0; i < c->a.n_operands; i++)
        if (!strcmp(c->a.operands[i], "-") || stat(c->a.operands[i], &sb) != 0 ||
            !S_ISREG(sb.st_mode))
            return 1;
    return 0;
}

/* Open the inputs and the output (or resume). Returns 0 or an exit code. */
static int open_io(resolve *c)
{
    char err[512];
    if (pdns_reader_open(c->a.operands, c->a.n_operands, &c->in, err, sizeof err) != PDNS_OK) {
        fprintf(stderr, "pacedns: input: %s\n", err);
        return EXIT_USAGE;
    }
    /* a pipe is read on a thread of its own: a stalled writer must not stall the loop
     * (signals, timers, checkpoints); without the thread, read it directly */
    if (input_may_block(c) && cli_pipein_start(&c->pipe, c->in) != 0)
        c->pipe = NULL;
    cli_ckpt_init(&c->ckpt);
    if (c->a.res.resume_path)
        return open_resume(c);
    if (c->ckpt_path && (!c->output || !strcmp(c->output, "-"))) {
        fprintf(stderr, "pacedns: option --checkpoint: needs -o FILE (on resume, records "
                        "after the checkpoint are cut from that file)\n");
        return EXIT_USAGE;
    }
    c->s.out_fp = stdout;
    if (c->output && strcmp(c->output, "-") != 0 && !(c->s.out_fp = fopen(c->output, "w"))) {
        fprintf(stderr, "pacedns: option --output: cannot open %s: %s\n", c->output,
                strerror(errno));
        return EXIT_USAGE;
    }
    if (c->ckpt_path) {
        struct stat st;
        if (fstat(fileno(c->s.out_fp), &st) != 0 || !realpath(c->output, c->ckpt.output)) {
            fprintf(stderr, "pacedns: option --output: %s: %s\n", c->output, strerror(errno));
            return EXIT_USAGE;
        }
        c->ckpt.out_dev = (unsigned long long)st.st_dev;
        c->ckpt.out_ino = (unsigned long long)st.st_ino;
        if (fingerprint(c, NULL, err, sizeof err) != 0) {
            fprintf(stderr, "pacedns: option --checkpoint: %s\n", err);
            return EXIT_USAGE;
        }
    }
    return open_writers(c);
}

/* A server was quarantined: one line on stderr. */
static void on_trust(const char *server, const char *state, const char *reason, void *user)
{
    (void)user;
    fprintf(stderr, "pacedns: server %s %s: %s\n", server, state, reason);
}

/* --trusted and --trusted-file. Returns 0 or an exit code. */
static int add_trusted(resolve *c)
{
    pdns_runner *r = c->s.runner;
    pdns_status st;
    for (size_t i = 0; i < c->a.res.n_trusted; i++)
        if ((st = pdns_runner_add_trusted(r, c->a.res.trusted[i])) != PDNS_OK) {
            fprintf(stderr, "pacedns: option --trusted: '%s': %s\n", c->a.res.trusted[i],
                    st == PDNS_ERR_INVALID ? "duplicate server" : pdns_runner_errmsg(r));
            return EXIT_USAGE;
        }
    if (c->a.res.trusted_file &&
        pdns_runner_add_trusted_file(r, c->a.res.trusted_file) != PDNS_OK) {
        fprintf(stderr, "pacedns: option --trusted-file: %s\n", pdns_runner_errmsg(r));
        return EXIT_USAGE;
    }
    return 0;
}

/* The trust options' cross checks (after the inputs are opened: a missing input is
 * named first). Returns 0 or an exit code. */
static int check_trust(resolve *c)
{
    if (c->a.com.opt.verify && !c->a.res.n_trusted && !c->a.res.trusted_file) {
        fprintf(stderr, "pacedns: option --verify: needs --trusted or --trusted-file\n");
        return EXIT_USAGE;
    }
    if (c->a.com.opt.threads > 1 &&
        (c->a.res.n_trusted || c->a.res.trusted_file || c->a.com.opt.canaries ||
         c->a.com.opt.verify || c->a.com.opt.wildcards != PDNS_WILDCARDS_OFF)) {
        fprintf(stderr, "pacedns: options --trusted, --canaries, --verify and --wildcards need "
                        "one thread (-j 1)\n");
        return EXIT_USAGE;
    }
    return 0;
}

/* Servers, profile, input and output. Returns 0 or an exit code. */
static int configure(resolve *c)
{
    const char *resolv_conf;
    int rc;
    if ((rc = cli_session_add_servers(&c->s, &c->a.com, &resolv_conf)) != 0 ||
        (rc = add_trusted(c)) != 0 ||
        (rc = cli_session_set_profile(&c->s, &c->a.com, choose_profile(c, resolv_conf))) != 0 ||
        (rc = open_io(c)) != 0 || (rc = cli_atlas_apply(c->s.runner, &c->a.com)) != 0 ||
        (rc = check_trust(c)) != 0)
        return rc;
    cli_session_raise_nofile(&c->s, &c->a.com.opt);
    return cli_session_signals(&c->s);
}

#define CKPT_EVERY_MS 1000 /* checkpoints are written every second */

/* The checkpoint timer: one now (a run killed in its first second can be resumed too),
 * then every second. Returns 0 or an exit code. */
static int start_checkpoints(resolve *c)
{
    checkpoint_now(c);
    return cli_session_timer(&c->s, &c->ckpt_timer, checkpoint_tick, c, CKPT_EVERY_MS,
                             &c->ckpt_timer_init, "checkpoint timer");
}

/* The stats document's "input" object (the input map, see shard.h), or NULL. */
static void *cli_stats_extra(resolve *c)
{
    cJSON *x = cJSON_CreateObject(), *in = cli_inmap_json(&c->inmap, &c->a.com);
    if (!x || !in) {
        cJSON_Delete(x);
        cJSON_Delete(in);
        return NULL;
    }
    cJSON_AddItemToObject(x, "input", in);
    return x;
}

/* After the run: the last checkpoint, the output flushed, input and write errors,
 * the stats file and the summary. Returns the exit status given rc of the run. */
static int finish(resolve *c, int rc)
{
    pdns_totals tot;
    if (c->ckpt_timer_init) {
        uv_timer_stop(&c->ckpt_timer);
        checkpoint_now(c);
        if (c->ckpt.n_cut && !c->a.com.quiet)
            fprintf(stderr,
                    "pacedns: %llu line(s) whose queries were cut short by the interrupt were "
                    "not written; --resume %s redoes them\n",
                    (unsigned long long)c->ckpt.n_cut, c->ckpt_path);
    }
    if (c->s.out_fp && fflush(c->s.out_fp) != 0 && !c->out_error)
        c->out_error = errno;
    if (c->out_error) {
        fprintf(stderr, "pacedns: writing records: %s\n", strerror(c->out_error));
        rc = EXIT_RUNTIME;
    }
    pdns_runner_totals(c->s.runner, &tot);
    if (tot.halted) {
        fprintf(stderr, "pacedns: run stopped: %s%s%s\n", pdns_runner_errmsg(c->s.runner),
                c->ckpt_path ? "; --resume " : "", c->ckpt_path ? c->ckpt_path : "");
        rc = EXIT_RUNTIME;
    }
    if (tot.input_error) {
        fprintf(stderr, "pacedns: reading input: %s\n",
                c->pipe ? cli_pipein_error(c->pipe) : pdns_reader_error(c->in));
        rc = EXIT_RUNTIME;
    }
    if (c->a.com.stats && cli_write_stats(c->s.runner, c->a.com.stats, cli_stats_extra(c)) != 0 &&
        rc == 0)
        rc = EXIT_RUNTIME;
    if (!c->s.run_failed && cli_atlas_record(c->s.runner, &c->a.com) != 0 && rc == 0)
        rc = EXIT_RUNTIME;
    if (!c->s.run_failed)
        cli_print_conn_errors(c->s.runner);
    if (!c->a.com.quiet && !c->s.run_failed)
        cli_print_summary(c->s.runner);
    if (rc == 0 && c->s.signo)
        rc = 128 + c->s.signo;
    return rc;
}

/* Release what the run opened (the loop still runs their close callbacks). */
static void release(resolve *c)
{
    if (c->ckpt_timer_init)
        uv_close((uv_handle_t *)&c->ckpt_timer, NULL);
    cli_session_close_handles(&c->s);
    cli_ckpt_free(&c->ckpt);
    cli_inmap_free(&c->inmap);
    pdns_writer_free(c->mw);
    if (c->ms)
        fclose(c->ms);
    free(c->ms_buf);
    pdns_writer_free(c->w);
    if (c->s.out_fp && c->s.out_fp != stdout)
        fclose(c->s.out_fp);
    if (c->pipe) /* it owns the reader */
        cli_pipein_release(c->pipe);
    else
        pdns_reader_close(c->in);
}

int cli_resolve_main(int argc, char **argv)
{
    resolve *c = calloc(1, sizeof *c);
    int rc;

    if (!c || cli_args_init(&c->a, CLI_RESOLVE, argc) != 0) {
        fprintf(stderr, "pacedns: out of memory\n");
        free(c);
        return EXIT_RUNTIME;
    }
    if ((rc = cli_args_parse(&c->a, argc, argv)) != 0) {
        rc = rc > 0 ? 0 : EXIT_USAGE;
        goto out_args;
    }
    /* one command line serves every shard: {shard} in the file names */
    if (cli_shard_path(&c->a.com, c->a.res.output, &c->paths[0]) != 0 ||
        cli_shard_path(&c->a.com, c->a.res.ckpt_path, &c->paths[1]) != 0 ||
        cli_shard_path(&c->a.com, c->a.res.resume_path, &c->paths[2]) != 0 ||
        cli_shard_path(&c->a.com, c->a.com.stats, &c->paths[3]) != 0) {
        fprintf(stderr, "pacedns: out of memory\n");
        rc = EXIT_RUNTIME;
        goto out_args;
    }
    c->a.res.output = c->paths[0];
    c->a.res.ckpt_path = c->paths[1];
    c->a.res.resume_path = c->paths[2];
    c->a.com.stats = c->paths[3];
    c->output = c->a.res.output;
    c->ckpt_path = c->a.res.ckpt_path;
    c->a.com.opt.on_result = on_result;
    c->a.com.opt.on_trust = on_trust;
    c->a.com.opt.user = c;
    if ((rc = cli_session_open(&c->s, &c->a.com.opt)) == 0 && (rc = configure(c)) == 0 &&
        (!c->use_ckpt || (rc = start_checkpoints(c)) == 0)) {
        rc = cli_session_run(&c->s, &c->a.com, c->pipe ? NULL : c->in);
        rc = finish(c, rc);
    }
    release(c);
    rc = cli_session_end(&c->s, rc);
out_args:
    for (size_t i = 0; i < sizeof c->paths / sizeof c->paths[0]; i++)
        free(c->paths[i]);
    cli_args_free(&c->a);
    free(c);
    return rc;
}
