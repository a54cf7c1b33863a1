/* main.c - the pacedns command line: options, output, signals, summaries.
 * SPDX-License-Identifier: MIT */
#include <errno.h>
#include <arpa/inet.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>
#include <cjson/cJSON.h>

#include "pacedns.h"
#include "checkpoint.h"
#include "progress.h"

#define EXIT_USAGE   1
#define EXIT_RUNTIME 2

typedef struct cli {
    int probe; /* 0: resolve, 1: probe */
    pdns_options opt;
    uint16_t types[32];
    const char **servers;
    size_t n_servers;
    const char *servers_file;
    const char *output;
    const char *stats;
    const char *profile;
    const char *sets[64];
    size_t n_sets;
    const char *fmt;
    int quiet;
    int progress; /* -1 auto (stderr is a terminal), 0 off, 1 forced */
    const char *ckpt_path;
    const char *resume_path;
    cli_ckpt ckpt;
    int use_ckpt;
    int ckpt_timer_init;
    int stop_seen; /* a signal asked the run to stop (under mu) */
    FILE *ms;      /* with a checkpoint: one record is formatted here first */
    char *ms_buf;  /* open_memstream buffer of ms */
    size_t ms_size;
    pdns_writer *mw; /* writer on ms */
    uv_timer_t ckpt_timer;
    cli_progress prog;
    const char **inputs;
    size_t n_inputs;
    /* probe */
    const char *names_file;
    const char *zone;
    double duration_s;
    uint64_t rng;
    char zone_abs[256];
    uint64_t probe_line;
    uint64_t probe_pass_ok;  /* usable lines in the current pass */
    uint64_t probe_bad_line; /* first line that gave no query, 0 none */
    char probe_bad_why[128];
    int probe_bad;   /* a whole pass gave no usable line */
    int own_servers; /* probe --i-own-this-server: non-local servers allowed */

    /* run state */
    uv_mutex_t mu; /* records, input and checkpoint: worker threads vs the main loop */
    uv_loop_t loop;
    pdns_runner *runner;
    pdns_reader *in;
    pdns_writer *w;
    FILE *out_fp;
    int out_error;
    int signo;
    int sig_count;
    uv_signal_t sigint, sigterm;
    uv_timer_t probe_timer;
} cli;

static void usage(FILE *fp)
{
    fputs("usage: pacedns resolve [OPTIONS] [FILE...]\n"
          "       pacedns probe -s SERVER [-s ...] [--names FILE | --zone ZONE] [OPTIONS]\n"
          "       pacedns --version | --help\n"
          "\n"
          "resolve: resolve every name of FILE (or stdin; '-' is stdin), one per line,\n"
          "paced per server. Blank lines and '#' comments are skipped.\n"
          "probe: drive each server with its AIMD controller until its optimal rate is\n"
          "found (stable within 3 %) or --duration ends; print the rates found.\n"
          "\n"
          "  -s, --server ADDR[:PORT]   nameserver (repeatable; IPv6 as [addr]:port)\n"
          "  -S, --servers-file FILE    nameservers, one per line, '#' comments\n"
          "                             (resolve default: nameservers of /etc/resolv.conf)\n"
          "  -t, --type T[,T...]        record types (default A): A AAAA MX TXT NS CNAME SOA\n"
          "                             SRV CAA PTR ... ; PTR turns addresses into .arpa names\n"
          "      --fcrdns               with PTR: check the PTR name resolves back\n"
          "  -o, --output FILE          records to FILE (default stdout)\n"
          "  -f, --format FMT           ndjson (default), text, hosts, zone\n"
          "      --stats FILE           write per-server stats JSON to FILE\n"
          "  -p, --profile NAME|FILE    controller profile: polite, default, bench, or a\n"
          "                             JSON file (resolve default: default, but polite\n"
          "                             for resolv.conf servers or any server outside\n"
          "                             loopback and private ranges; probe: bench)\n"
          "      --set KEY=VALUE        override one profile parameter\n"
          "      --qps N                fixed per-server queries/s (controller off)\n"
          "      --max-qps N            cap on the total over all servers\n"
          "      --max-inflight N       per-server in-flight cap (default 100 with --qps,\n"
          "                             1000 with the controller; probe 2000)\n"
          "      --timeout MS           per-attempt timeout (default 2000; probe 1000)\n"
          "      --retries N            retries on timeout/SERVFAIL/REFUSED (default 3;\n"
          "                             probe 0)\n"
          "      --transport T          udp (default: lean sockets, getdns for TCP) or\n"
          "                             getdns (getdns stub queries for everything)\n"
          "  -j, --threads N|auto       N event loops on N threads (default 1; auto: one\n"
          "                             per core); names are shared out, every thread\n"
          "                             uses every server with 1/N of each rate limit\n"
          "      --interval S           stats time-series interval (default 1; probe 0.25)\n"
          "      --names FILE           probe: query names from FILE (cycled)\n"
          "      --zone ZONE            probe: random labels under ZONE (uncacheable)\n"
          "      --duration S           probe: give up after S seconds (default 15)\n"
          "      --i-own-this-server    probe: allow servers outside loopback and private\n"
          "                             ranges (probing drives a server to its limit)\n"
          "                             (probe --qps N: offer N q/s per server for S\n"
          "                             seconds, controller off, then print a load table)\n"
          "      --checkpoint FILE      record which input lines are done (every second;\n"
          "                             needs -o FILE)\n"
          "      --resume FILE          continue an interrupted run from its checkpoint,\n"
          "                             appending to its output; refused unless the output,\n"
          "                             inputs, -t, -f and --fcrdns are the same\n"
          "  -q, --quiet                no summary and no progress on stderr\n"
          "      --progress             progress line on stderr even when not a terminal\n"
          "      --no-progress          no progress line (default when stderr is not a\n"
          "                             terminal)\n"
          "\n"
          "Statuses: NOERROR NODATA NXDOMAIN SERVFAIL REFUSED FORMERR NOTIMP RCODE TIMEOUT\n"
          "          CNAME_LOOP INVALID_NAME ERROR UNREACHABLE\n"
          "Exit status: 0 the run completed (whatever the names' statuses); 1 usage or\n"
          "configuration error; 2 runtime failure; 130/143 interrupted by SIGINT/SIGTERM\n"
          "(in-flight queries finished, their records and the stats written).\n",
          fp);
}

static int parse_double(const char *opt, const char *v, double lo, double hi, double *out)
{
    char *end;
    double d;
    errno = 0;
    d = strtod(v, &end);
    if (errno || end == v || *end || !isfinite(d) || d < lo || d > hi) {
        fprintf(stderr, "pacedns: option %s: '%s' is not a number in [%g, %g]\n", opt, v, lo, hi);
        return -1;
    }
    *out = d;
    return 0;
}

static int parse_uint(const char *opt, const char *v, unsigned lo, unsigned hi, unsigned *out)
{
    char *end;
    unsigned long u;
    errno = 0;
    if (!*v || *v == '-') {
        fprintf(stderr, "pacedns: option %s: '%s' is not a whole number in [%u, %u]\n", opt, v, lo,
                hi);
        return -1;
    }
    u = strtoul(v, &end, 10);
    if (errno || *end || u < lo || u > hi) {
        fprintf(stderr, "pacedns: option %s: '%s' is not a whole number in [%u, %u]\n", opt, v, lo,
                hi);
        return -1;
    }
    *out = (unsigned)u;
    return 0;
}

static int parse_types(cli *c, const char *v)
{
    char buf[512];
    char *save = NULL, *tok;
    size_t n = 0;
    if (strlen(v) >= sizeof buf) {
        fprintf(stderr, "pacedns: option --type: list too long\n");
        return -1;
    }
    strcpy(buf, v);
    for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (n == sizeof c->types / sizeof c->types[0]) {
            fprintf(stderr, "pacedns: option --type: at most 32 types\n");
            return -1;
        }
        if (pdns_rrtype_from_name(tok, &c->types[n]) != PDNS_OK) {
            fprintf(stderr, "pacedns: option --type: unknown record type '%s'\n", tok);
            return -1;
        }
        n++;
    }
    if (n == 0) {
        fprintf(stderr, "pacedns: option --type: empty type list\n");
        return -1;
    }
    c->opt.types = c->types;
    c->opt.n_types = n;
    return 0;
}

enum {
    OPT_FCRDNS = 1000,
    OPT_STATS,
    OPT_QPS,
    OPT_MAXQPS,
    OPT_INFLIGHT,
    OPT_TIMEOUT,
    OPT_RETRIES,
    OPT_INTERVAL,
    OPT_SET,
    OPT_NAMES,
    OPT_ZONE,
    OPT_DURATION,
    OPT_PROGRESS,
    OPT_NO_PROGRESS,
    OPT_THREADS,
    OPT_CHECKPOINT,
    OPT_TRANSPORT,
    OPT_RESUME,
    OPT_OWN_SERVER,
};

/* Whether name is an output format (a writer accepts it). */
static int format_known(const char *name)
{
    pdns_writer *w = NULL;
    if (pdns_writer_new(stdout, name, &w) != PDNS_OK)
        return 0;
    pdns_writer_free(w);
    return 1;
}

/* Parse the options of resolve and probe (probe rejects resolve-only ones). */
static int parse_args(cli *c, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"server", required_argument, NULL, 's'},
        {"servers-file", required_argument, NULL, 'S'},
        {"type", required_argument, NULL, 't'},
        {"fcrdns", no_argument, NULL, OPT_FCRDNS},
        {"output", required_argument, NULL, 'o'},
        {"format", required_argument, NULL, 'f'},
        {"stats", required_argument, NULL, OPT_STATS},
        {"profile", required_argument, NULL, 'p'},
        {"set", required_argument, NULL, OPT_SET},
        {"qps", required_argument, NULL, OPT_QPS},
        {"max-qps", required_argument, NULL, OPT_MAXQPS},
        {"max-inflight", required_argument, NULL, OPT_INFLIGHT},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"retries", required_argument, NULL, OPT_RETRIES},
        {"interval", required_argument, NULL, OPT_INTERVAL},
        {"names", required_argument, NULL, OPT_NAMES},
        {"zone", required_argument, NULL, OPT_ZONE},
        {"duration", required_argument, NULL, OPT_DURATION},
        {"quiet", no_argument, NULL, 'q'},
        {"progress", no_argument, NULL, OPT_PROGRESS},
        {"checkpoint", required_argument, NULL, OPT_CHECKPOINT},
        {"transport", required_argument, NULL, OPT_TRANSPORT},
        {"resume", required_argument, NULL, OPT_RESUME},
        {"no-progress", no_argument, NULL, OPT_NO_PROGRESS},
        {"threads", required_argument, NULL, 'j'},
        {"i-own-this-server", no_argument, NULL, OPT_OWN_SERVER},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int ch;
    const char *why;

    c->servers = calloc((size_t)argc + 1, sizeof *c->servers);
    if (!c->servers)
        return -1;
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":s:S:t:o:f:p:j:qh", longopts, NULL)) != -1) {
        if (c->probe && (ch == 'o' || ch == 'f' || ch == OPT_FCRDNS)) {
            fprintf(stderr, "pacedns: probe: option '%s' is for resolve only\n", argv[optind - 1]);
            return -1;
        }
        if (c->probe && (ch == OPT_CHECKPOINT || ch == OPT_RESUME)) {
            fprintf(stderr, "pacedns: probe: option '%s' is for resolve only\n", argv[optind - 1]);
            return -1;
        }
        if (!c->probe &&
            (ch == OPT_NAMES || ch == OPT_ZONE || ch == OPT_DURATION || ch == OPT_OWN_SERVER)) {
            fprintf(stderr, "pacedns: resolve: option '%s' is for probe only\n", argv[optind - 1]);
            return -1;
        }
        switch (ch) {
        case 's':
            if (pdns_server_parse(optarg, NULL, 0, &why) != PDNS_OK) {
                fprintf(stderr, "pacedns: option --server: bad address '%s': %s\n", optarg, why);
                return -1;
            }
            c->servers[c->n_servers++] = optarg;
            break;
        case 'S':
            c->servers_file = optarg;
            break;
        case 't':
            if (parse_types(c, optarg))
                return -1;
            break;
        case OPT_FCRDNS:
            c->opt.fcrdns = 1;
            break;
        case 'o':
            c->output = optarg;
            break;
        case 'f':
            if (!format_known(optarg)) {
                fprintf(stderr,
                        "pacedns: option --format: unknown format '%s' (ndjson, text, "
                        "hosts, zone)\n",
                        optarg);
                return -1;
            }
            c->fmt = optarg;
            break;
        case OPT_STATS:
            c->stats = optarg;
            break;
        case 'p':
            c->profile = optarg;
            break;
        case OPT_SET:
            if (!strchr(optarg, '=') || c->n_sets == sizeof c->sets / sizeof c->sets[0]) {
                fprintf(stderr, "pacedns: option --set: expected KEY=VALUE, got '%s'\n", optarg);
                return -1;
            }
            c->sets[c->n_sets++] = optarg;
            break;
        case OPT_QPS:
            if (parse_double("--qps", optarg, 0.001, 1e7, &c->opt.qps))
                return -1;
            break;
        case OPT_MAXQPS:
            if (parse_double("--max-qps", optarg, 0.001, 1e8, &c->opt.max_total_qps))
                return -1;
            break;
        case OPT_INFLIGHT:
            if (parse_uint("--max-inflight", optarg, 1, 100000, &c->opt.max_inflight))
                return -1;
            break;
        case OPT_TIMEOUT:
            if (parse_uint("--timeout", optarg, 1, 600000, &c->opt.timeout_ms))
                return -1;
            break;
        case OPT_RETRIES:
            if (parse_uint("--retries", optarg, 0, 100, &c->opt.retries))
                return -1;
            break;
        case OPT_INTERVAL:
            if (parse_double("--interval", optarg, 0.01, 3600, &c->opt.interval_s))
                return -1;
            break;
        case OPT_NAMES:
            c->names_file = optarg;
            break;
        case OPT_ZONE:
            c->zone = optarg;
            break;
        case OPT_DURATION:
            if (parse_double("--duration", optarg, 0.1, 86400, &c->duration_s))
                return -1;
            break;
        case OPT_OWN_SERVER:
            c->own_servers = 1;
            break;
        case 'q':
            c->quiet = 1;
            break;
        case OPT_PROGRESS:
            c->progress = 1;
            break;
        case OPT_TRANSPORT:
            if (!strcmp(optarg, "udp")) {
                c->opt.transport = PDNS_TRANSPORT_UDP;
            } else if (!strcmp(optarg, "getdns")) {
                c->opt.transport = PDNS_TRANSPORT_GETDNS;
            } else {
                fprintf(stderr, "pacedns: option --transport: '%s' is not udp or getdns\n", optarg);
                return -1;
            }
            break;
        case OPT_CHECKPOINT:
            c->ckpt_path = optarg;
            break;
        case OPT_RESUME:
            c->resume_path = optarg;
            break;
        case OPT_NO_PROGRESS:
            c->progress = 0;
            break;
        case 'j':
            if (!strcmp(optarg, "auto")) {
                c->opt.threads = uv_available_parallelism();
                if (c->opt.threads > PDNS_MAX_THREADS) /* -j auto on a big machine */
                    c->opt.threads = PDNS_MAX_THREADS;
            } else if (parse_uint("--threads", optarg, 1, 64, &c->opt.threads)) {
                return -1;
            }
            break;
        case 'h':
            usage(stdout);
            exit(0);
        case ':':
            fprintf(stderr, "pacedns: option %s needs a value\n", argv[optind - 1]);
            return -1;
        default:
            fprintf(stderr, "pacedns: unknown option '%s' (see pacedns --help)\n",
                    argv[optind - 1]);
            return -1;
        }
    }
    c->inputs = (const char **)(argv + optind);
    c->n_inputs = (size_t)(argc - optind);
    if (c->opt.threads > 1 && c->opt.max_inflight && c->opt.max_inflight < c->opt.threads) {
        fprintf(stderr,
                "pacedns: option --max-inflight: %u is less than --threads %u (each thread "
                "takes its share of the in-flight limit; give at least one per thread)\n",
                c->opt.max_inflight, c->opt.threads);
        return -1;
    }
    if (c->probe) {
        if (c->n_inputs) {
            fprintf(stderr,
                    "pacedns: probe: unexpected argument '%s' (names come from "
                    "--names or --zone)\n",
                    c->inputs[0]);
            return -1;
        }
        if (!c->names_file == !c->zone) {
            fprintf(stderr, "pacedns: probe: give exactly one of --names FILE or --zone ZONE\n");
            return -1;
        }
    }
    return 0;
}

/* ---- input sources -------------------------------------------------------------- */

/* Records the runner gives for one input line: one for "NAME TYPE", else one per -t
 * type (an unusable line too: it gets one INVALID_NAME record per type). */
static unsigned records_of_line(const cli *c, const char *text)
{
    char name[1024];
    uint16_t type;
    if (pdns_query_line_parse(text, name, sizeof name, &type, NULL) == PDNS_OK && type)
        return 1;
    return c->opt.n_types ? (unsigned)c->opt.n_types : 1;
}

static int source_next(cli *c, char *name, size_t cap, uint64_t *line)
{
    for (;;) {
        int rc = pdns_reader_next(c->in, name, cap, line);
        if (rc != 1 || !c->use_ckpt)
            return rc;
        if (cli_ckpt_skip(&c->ckpt, *line))
            continue; /* done by the interrupted run */
        if (cli_ckpt_admit(&c->ckpt, *line, records_of_line(c, name)) != 0)
            return -1;
        return 1;
    }
}

static int source_fn(void *user, char *name, size_t cap, uint64_t *line)
{
    cli *c = user;
    int rc;
    uv_mutex_lock(&c->mu);
    rc = source_next(c, name, cap, line);
    uv_mutex_unlock(&c->mu);
    return rc;
}

/* Flush the records and get them to disk (fdatasync), then record which lines they
 * cover. After a write error nothing is recorded: the last good checkpoint stays. */
static void checkpoint_now(cli *c)
{
    long long bytes;
    uv_mutex_lock(&c->mu);
    if (c->out_error) {
        /* records may be missing from the output: keep the last good checkpoint */
    } else if (fflush(c->out_fp) != 0 ||
               (fdatasync(fileno(c->out_fp)) != 0 && errno != EINVAL && errno != EROFS) ||
               (bytes = ftello(c->out_fp)) < 0) {
        c->out_error = errno ? errno : EIO;
    } else if (cli_ckpt_write(&c->ckpt, c->ckpt_path, bytes) != 0) {
        fprintf(stderr, "pacedns: cannot write checkpoint %s: %s\n", c->ckpt_path, strerror(errno));
        c->out_error = errno ? errno : EIO;
        pdns_runner_stop(c->runner);
    }
    uv_mutex_unlock(&c->mu);
}

static void checkpoint_tick(uv_timer_t *t)
{
    checkpoint_now(t->data);
}

/* Whether an input line gives at least one query: "NAME [TYPE]" with a valid name or
 * an address literal (a PTR query). *why gets the reason when not. */
static int line_usable(const char *text, const char **why)
{
    char name[1024];
    char abs[256];
    unsigned char addr[16];
    uint16_t type;
    if (pdns_query_line_parse(text, name, sizeof name, &type, why) != PDNS_OK)
        return 0;
    if (inet_pton(AF_INET6, name, addr) == 1 || inet_pton(AF_INET, name, addr) == 1)
        return 1;
    return pdns_name_normalize(name, abs, sizeof abs, why) == PDNS_OK;
}

#define PROBE_SKIP_PER_CALL 1024

/* probe --names: cycle through the file. Lines that give no query are skipped (at most
 * PROBE_SKIP_PER_CALL per call, so one call stays short; beyond that one is handed to
 * the runner, which reports it and yields); a pass through the whole file that gives
 * no usable line is an input error (see probe_bad), never an endless loop. */
static int probe_names_fn(void *user, char *name, size_t cap, uint64_t *line)
{
    cli *c = user;
    char err[256];
    for (int skipped = 0;; skipped++) {
        const char *why = NULL;
        int rc = pdns_reader_next(c->in, name, cap, line);
        if (rc == 0 && c->probe_line > 0) {
            if (c->probe_pass_ok == 0) {
                c->probe_bad = 1;
                return -1;
            }
            pdns_reader_close(c->in);
            c->in = NULL;
            if (pdns_reader_open(&c->names_file, 1, &c->in, err, sizeof err) != PDNS_OK)
                return -1;
            c->probe_line = 0;
            c->probe_pass_ok = 0;
            rc = pdns_reader_next(c->in, name, cap, line);
        }
        if (rc != 1)
            return rc;
        c->probe_line++;
        if (line_usable(name, &why)) {
            c->probe_pass_ok++;
            return 1;
        }
        if (!c->probe_bad_line) {
            c->probe_bad_line = *line;
            snprintf(c->probe_bad_why, sizeof c->probe_bad_why, "%s",
                     why ? why : "not a valid name");
        }
        if (skipped >= PROBE_SKIP_PER_CALL)
            return 1;
    }
}

/* probe --zone: random labels that no cache can answer (xorshift64*) */
static int probe_zone_fn(void *user, char *name, size_t cap, uint64_t *line)
{
    cli *c = user;
    uint64_t x = c->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    c->rng = x;
    x *= 0x2545F4914F6CDD1DULL;
    *line = ++c->probe_line;
    snprintf(name, cap, "pdns-%012llx.%s", (unsigned long long)(x >> 16), c->zone_abs);
    return 1;
}

/* ---- results, signals, timers ----------------------------------------------------- */

/* With a checkpoint (under mu): format the record, then let the checkpoint decide. A
 * line's records are written together once all are in, so the output never holds part
 * of a line that a resume would redo. A failure that only ended because the run was
 * stopping (it would have been retried) drops its line: the line stays not done and a
 * resume redoes it. Returns 0 or -1 (errno). */
static int ckpt_record(cli *c, const pdns_result *res)
{
    const char *p = NULL;
    size_t n = 0;
    off_t len;
    int act,
        cut = c->stop_seen && (res->status == PDNS_R_TIMEOUT || res->status == PDNS_R_SERVFAIL ||
                               res->status == PDNS_R_REFUSED || res->status == PDNS_R_ERROR ||
                               res->status == PDNS_R_UNREACHABLE);
    if (fseeko(c->ms, 0, SEEK_SET) != 0 || pdns_writer_write(c->mw, res) != PDNS_OK ||
        fflush(c->ms) != 0 || (len = ftello(c->ms)) < 0)
        return -1;
    act = cli_ckpt_record(&c->ckpt, res->line, c->ms_buf, (size_t)len, cut, &p, &n);
    if (act < 0) {
        errno = ENOMEM;
        return -1;
    }
    if (act == CLI_CKPT_WRITE && n && fwrite(p, 1, n, c->out_fp) != n)
        return -1;
    return 0;
}

static void on_result(const pdns_result *res, void *user)
{
    cli *c = user;
    if (c->probe)
        return;
    uv_mutex_lock(&c->mu);
    if (c->out_error) {
        /* dropped: the run is stopping with an error */
    } else if (c->use_ckpt ? ckpt_record(c, res) != 0 : pdns_writer_write(c->w, res) != PDNS_OK) {
        c->out_error = errno ? errno : EIO;
        pdns_runner_stop(c->runner);
    }
    uv_mutex_unlock(&c->mu);
}

static void on_signal(uv_signal_t *h, int signo)
{
    cli *c = h->data;
    c->sig_count++;
    if (!c->signo)
        c->signo = signo;
    if (c->sig_count == 1) { /* failures from now on may be cut short (see ckpt_record) */
        uv_mutex_lock(&c->mu);
        c->stop_seen = 1;
        uv_mutex_unlock(&c->mu);
    }
    if (c->sig_count > 1) {
        /* second signal: leave at once (flushing what a worker thread is not writing) */
        if (c->out_fp && uv_mutex_trylock(&c->mu) == 0)
            fflush(c->out_fp);
        _exit(128 + signo);
    }
    pdns_runner_stop(c->runner);
}

/* probe: stop once every server converged or the duration is over */
static void probe_check(uv_timer_t *t)
{
    cli *c = t->data;
    pdns_totals tot;
    int all = 1;
    pdns_runner_totals(c->runner, &tot);
    for (size_t i = 0; i < pdns_runner_server_count(c->runner); i++) {
        pdns_server_info si;
        if (pdns_runner_server_info(c->runner, i, &si) != PDNS_OK || !si.converged)
            all = 0;
    }
    if (all || tot.elapsed_s >= c->duration_s || pdns_runner_done(c->runner)) {
        pdns_runner_stop(c->runner);
        uv_timer_stop(t);
    }
}

static void raise_nofile(unsigned need)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return;
    if (rl.rlim_cur < need + 64) {
        rlim_t want = need + 64;
        if (rl.rlim_max != RLIM_INFINITY && want > rl.rlim_max)
            want = rl.rlim_max;
        rl.rlim_cur = want;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
    }
}

/* ---- summaries -------------------------------------------------------------------- */

static void print_summary(cli *c)
{
    pdns_totals t;
    pdns_runner_totals(c->runner, &t);
    fprintf(stderr, "pacedns: %llu names, %llu records in %.2f s (%.0f names/s)\n",
            (unsigned long long)t.names, (unsigned long long)t.records, t.elapsed_s,
            t.elapsed_s > 0 ? (double)t.names / t.elapsed_s : 0.0);
    fprintf(stderr, "statuses:");
    for (int i = 0; i < PDNS_R_COUNT; i++)
        if (t.statuses[i])
            fprintf(stderr, " %s=%llu", pdns_rstatus_name((pdns_rstatus)i),
                    (unsigned long long)t.statuses[i]);
    fprintf(stderr, "\n%-24s %9s %9s %8s %9s %9s %8s %8s %9s\n", "server", "sent", "answered",
            "timeouts", "rate_qps", "ans_qps", "p50_ms", "p99_ms", "opt_qps");
    for (size_t i = 0; i < pdns_runner_server_count(c->runner); i++) {
        pdns_server_info s;
        char opt[32] = "-";
        if (pdns_runner_server_info(c->runner, i, &s) != PDNS_OK)
            continue;
        if (s.controlled && s.optimal_qps >= 0)
            snprintf(opt, sizeof opt, "%.0f", s.optimal_qps);
        fprintf(stderr, "%-24s %9llu %9llu %8llu %9.0f %9.0f %8.2f %8.2f %9s\n", s.server,
                (unsigned long long)s.sent, (unsigned long long)s.answered,
                (unsigned long long)s.timeouts, s.rate_qps, s.answered_qps, s.p50_ms, s.p99_ms,
                opt);
    }
}

/* Loss and latency of the intervals run near the found rate: those whose target was
 * within [0.85, 1.05] x optimal. Reads the stats document (public API). */
static void near_optimal(const cJSON *srv, double opt, double *loss, double *p50, double *p99)
{
    const cJSON *ts = cJSON_GetObjectItemCaseSensitive(srv, "timeseries"), *pt;
    double sent = 0, lost = 0, v50[4096], v99[4096];
    size_t n = 0;
    *loss = *p50 = *p99 = -1;
    cJSON_ArrayForEach(pt, ts)
    {
        double tq = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(pt, "target_qps"));
        double q50 = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(pt, "p50_ms"));
        double q99 = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(pt, "p99_ms"));
        if (opt <= 0 || tq < 0.85 * opt || tq > 1.05 * opt)
            continue;
        sent += cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(pt, "sent"));
        lost += cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(pt, "lost")) +
                cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(pt, "errors")) +
                cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(pt, "tc"));
        if (q50 >= 0 && n < 4096) {
            v50[n] = q50;
            v99[n] = q99;
            n++;
        }
    }
    if (sent > 0)
        *loss = lost / sent;
    if (n) {
        /* medians by partial insertion sort: n is small */
        for (size_t i = 1; i < n; i++)
            for (size_t k = i; k > 0 && v50[k] < v50[k - 1]; k--) {
                double t = v50[k];
                v50[k] = v50[k - 1];
                v50[k - 1] = t;
            }
        for (size_t i = 1; i < n; i++)
            for (size_t k = i; k > 0 && v99[k] < v99[k - 1]; k--) {
                double t = v99[k];
                v99[k] = v99[k - 1];
                v99[k - 1] = t;
            }
        *p50 = v50[n / 2];
        *p99 = v99[n / 2];
    }
}

static void print_probe_table(cli *c)
{
    char *js = pdns_runner_stats_json(c->runner, 0);
    cJSON *doc = js ? cJSON_Parse(js) : NULL;
    const cJSON *servers = cJSON_GetObjectItemCaseSensitive(doc, "servers");
    printf("%-24s %11s %8s %8s %8s %12s %9s\n", "server", "optimal_qps", "loss_%", "p50_ms",
           "p99_ms", "converged_s", "edges");
    for (size_t i = 0; i < pdns_runner_server_count(c->runner); i++) {
        pdns_server_info s;
        double loss = -1, p50 = -1, p99 = -1;
        const cJSON *sj = cJSON_GetArrayItem(servers, (int)i);
        int edges = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(sj, "edges"));
        char conv[32], optq[32], lbuf[32], b50[32], b99[32];
        if (pdns_runner_server_info(c->runner, i, &s) != PDNS_OK)
            continue;
        if (sj)
            near_optimal(sj, s.optimal_qps, &loss, &p50, &p99);
        snprintf(optq, sizeof optq, s.optimal_qps >= 0 ? "%.0f" : "unknown", s.optimal_qps);
        snprintf(conv, sizeof conv, s.converged_after_s >= 0 ? "%.1f" : "no", s.converged_after_s);
        snprintf(lbuf, sizeof lbuf, loss >= 0 ? "%.2f" : "-", loss * 100);
        snprintf(b50, sizeof b50, p50 >= 0 ? "%.2f" : "-", p50);
        snprintf(b99, sizeof b99, p99 >= 0 ? "%.2f" : "-", p99);
        printf("%-24s %11s %8s %8s %8s %12s %9d\n", s.server, optq, lbuf, b50, b99, conv, edges);
    }
    fflush(stdout);
    cJSON_Delete(doc);
    pdns_free(js);
}

/* probe --qps: a fixed-rate load run (the controller off): what each server did. Rates
 * are over the sending time (--duration, or the run if it ended sooner), not the wait
 * for the last answers after it. */
static void print_load_table(cli *c)
{
    pdns_totals t;
    double span;
    pdns_runner_totals(c->runner, &t);
    span = t.elapsed_s < c->duration_s ? t.elapsed_s : c->duration_s;
    printf("%-24s %10s %10s %10s %10s %8s %8s %8s\n", "server", "sent", "answered", "sent_qps",
           "ans_qps", "loss_%", "p50_ms", "p99_ms");
    for (size_t i = 0; i < pdns_runner_server_count(c->runner); i++) {
        pdns_server_info s;
        if (pdns_runner_server_info(c->runner, i, &s) != PDNS_OK)
            continue;
        printf("%-24s %10llu %10llu %10.0f %10.0f %8.2f %8.2f %8.2f\n", s.server,
               (unsigned long long)s.sent, (unsigned long long)s.answered,
               span > 0 ? (double)s.sent / span : 0.0, span > 0 ? (double)s.answered / span : 0.0,
               s.sent ? 100.0 * (double)(s.sent - s.answered) / (double)s.sent : 0.0, s.p50_ms,
               s.p99_ms);
    }
    fflush(stdout);
}

static int write_stats(cli *c)
{
    char *js = pdns_runner_stats_json(c->runner, 1);
    FILE *fp;
    int ok;
    if (!js) {
        fprintf(stderr, "pacedns: out of memory writing stats\n");
        return -1;
    }
    if (!(fp = fopen(c->stats, "w"))) {
        fprintf(stderr, "pacedns: cannot write stats file %s: %s\n", c->stats, strerror(errno));
        pdns_free(js);
        return -1;
    }
    ok = fputs(js, fp) >= 0 && fputc('\n', fp) != EOF;
    ok = (fclose(fp) == 0) && ok;
    pdns_free(js);
    if (!ok) {
        fprintf(stderr, "pacedns: cannot write stats file %s\n", c->stats);
        return -1;
    }
    return 0;
}

/* ---- the run ------------------------------------------------------------------------- */

/* Whether a server ("127.0.0.1:53", "[::1]:53", as pdns_runner_server_info gives it) is
 * on this machine or a private network: 127/8, 10/8, 172.16/12, 192.168/16, 169.254/16,
 * ::1, fc00::/7, fe80::/10 (and those IPv4 ranges IPv4-mapped). Anything else, or text
 * that does not parse, is not. */
static int server_is_local(const char *text)
{
    char host[INET6_ADDRSTRLEN];
    unsigned char b[16];
    const char *end;
    size_t len;
    if (!text)
        return 0;
    if (text[0] == '[') {
        text++;
        end = strchr(text, ']');
    } else {
        end = strchr(text, ':');
    }
    len = end ? (size_t)(end - text) : strlen(text);
    if (len >= sizeof host)
        return 0;
    memcpy(host, text, len);
    host[len] = '\0';
    if (inet_pton(AF_INET6, host, b) == 1) {
        static const unsigned char loop6[16] = {[15] = 1};
        static const unsigned char mapped[12] = {[10] = 0xff, [11] = 0xff};
        if (!memcmp(b, loop6, 16) || (b[0] & 0xfe) == 0xfc ||
            (b[0] == 0xfe && (b[1] & 0xc0) == 0x80))
            return 1;
        if (memcmp(b, mapped, 12) != 0)
            return 0;
        memmove(b, b + 12, 4);
    } else if (inet_pton(AF_INET, host, b) != 1) {
        return 0;
    }
    return b[0] == 127 || b[0] == 10 || (b[0] == 172 && (b[1] & 0xf0) == 16) ||
           (b[0] == 192 && b[1] == 168) || (b[0] == 169 && b[1] == 254);
}

/* Politeness by default: resolve uses the polite profile (one line on stderr says so)
 * when the servers come from resolv.conf (usually an ISP's or a public resolver) or any
 * server is outside loopback and private ranges, unless -p or a fixed --qps is given;
 * probe refuses such a server without --i-own-this-server. Returns 0 or an exit code. */
static int choose_politeness(cli *c, const char *resolv_conf)
{
    pdns_server_info si;
    const char *public = NULL;
    for (size_t i = 0; !public && i < pdns_runner_server_count(c->runner); i++)
        if (pdns_runner_server_info(c->runner, i, &si) == PDNS_OK && !server_is_local(si.server))
    public = si.server;
    if (c->probe) {
        if (public && !c->own_servers) {
            fprintf(stderr,
                    "pacedns: probe: server %s is not on loopback or a private network; "
                    "probing drives a server to its limit: give --i-own-this-server if you "
                    "run it\n",
                    public);
            return EXIT_USAGE;
        }
        return 0;
    }
    if (c->profile || c->opt.qps > 0 || (!resolv_conf && !public))
        return 0;
    c->profile = "polite";
    if (!c->quiet) {
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
    return 0;
}

/* Servers, profile and overrides. Returns 0 or an exit code. */
static int configure(cli *c)
{
    pdns_status st;
    pdns_runner *r = c->runner;
    const char *resolv_conf = NULL;
    int rc;

    for (size_t i = 0; i < c->n_servers; i++) {
        if ((st = pdns_runner_add_server(r, c->servers[i])) != PDNS_OK) {
            fprintf(stderr, "pacedns: option --server: '%s': %s\n", c->servers[i],
                    st == PDNS_ERR_INVALID ? "duplicate server" : pdns_runner_errmsg(r));
            return EXIT_USAGE;
        }
    }
    if (c->servers_file && (st = pdns_runner_add_servers_file(r, c->servers_file)) != PDNS_OK) {
        fprintf(stderr, "pacedns: option --servers-file: %s\n", pdns_runner_errmsg(r));
        return EXIT_USAGE;
    }
    if (!c->n_servers && !c->servers_file) {
        if (c->probe) {
            fprintf(stderr, "pacedns: probe: give the servers to probe with -s or -S\n");
            return EXIT_USAGE;
        }
        /* PACEDNS_RESOLV_CONF: another file in place of /etc/resolv.conf */
        resolv_conf = getenv("PACEDNS_RESOLV_CONF");
        if (!resolv_conf || !*resolv_conf)
            resolv_conf = "/etc/resolv.conf";
        if ((st = pdns_runner_add_resolv_conf(r, resolv_conf)) != PDNS_OK) {
            fprintf(stderr, "pacedns: default servers: %s\n", pdns_runner_errmsg(r));
            return EXIT_USAGE;
        }
    }
    if (pdns_runner_server_count(r) == 0) {
        fprintf(stderr, "pacedns: no nameserver: give -s ADDR or -S FILE\n");
        return EXIT_USAGE;
    }
    if ((rc = choose_politeness(c, resolv_conf)) != 0)
        return rc;
    if (c->profile && (st = pdns_runner_set_profile(r, c->profile)) != PDNS_OK) {
        fprintf(stderr, "pacedns: option --profile: %s\n", pdns_runner_errmsg(r));
        return EXIT_USAGE;
    }
    for (size_t i = 0; i < c->n_sets; i++) {
        char key[128], *end;
        const char *eq = strchr(c->sets[i], '=');
        size_t kl = (size_t)(eq - c->sets[i]);
        double v;
        if (kl >= sizeof key)
            kl = sizeof key - 1;
        memcpy(key, c->sets[i], kl);
        key[kl] = '\0';
        errno = 0;
        v = strtod(eq + 1, &end);
        if (errno || end == eq + 1 || *end) {
            fprintf(stderr, "pacedns: option --set: '%s': value is not a number\n", c->sets[i]);
            return EXIT_USAGE;
        }
        if ((st = pdns_runner_set_param(r, key, v)) != PDNS_OK) {
            fprintf(stderr, "pacedns: option --set: '%s': %s\n", c->sets[i],
                    pdns_runner_errmsg(r)[0] ? pdns_runner_errmsg(r) : pdns_strerror(st));
            return EXIT_USAGE;
        }
    }
    return 0;
}

/* The record writer on the output and, with a checkpoint, the one that formats a
 * record in memory first (see ckpt_record). Returns 0 or an exit code. */
static int open_writers(cli *c)
{
    if (c->ckpt_path) {
        c->use_ckpt = 1;
        if (!(c->ms = open_memstream(&c->ms_buf, &c->ms_size)) ||
            pdns_writer_new(c->ms, c->fmt, &c->mw) != PDNS_OK) {
            fprintf(stderr, "pacedns: out of memory\n");
            return EXIT_RUNTIME;
        }
    }
    if (pdns_writer_new(c->out_fp, c->fmt, &c->w) != PDNS_OK) {
        fprintf(stderr, "pacedns: out of memory\n");
        return EXIT_RUNTIME;
    }
    pdns_runner_set_source(c->runner, source_fn, c);
    return 0;
}

/* --resume: load the checkpoint and reopen the output it names (its absolute path),
 * refusing when it is not the same file (device/inode), is shorter than recorded or
 * does not end a record at the recorded size, or when the inputs or record-shaping
 * options differ. Only then are the records written after the checkpoint cut off.
 * Returns 0 or an exit code. */
static int open_resume(cli *c)
{
    char err[2048];
    const char *ck = c->resume_path, *out;
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
    if (cli_ckpt_fingerprint(&c->ckpt, c->inputs, c->n_inputs, c->opt.types, c->opt.n_types, c->fmt,
                             c->opt.fcrdns, ck, err, sizeof err) != 0) {
        fprintf(stderr, "pacedns: option --resume: %s; not resuming\n", err);
        goto fail;
    }
    /* records written after the checkpoint are cut off and redone */
    if (ftruncate(fd, (off_t)c->ckpt.out_bytes) != 0 || !(c->out_fp = fdopen(fd, "r+"))) {
        fprintf(stderr, "pacedns: option --resume: cannot reopen %s: %s\n", out, strerror(errno));
        goto fail;
    }
    fd = -1; /* the stream owns it now */
    if (fseeko(c->out_fp, 0, SEEK_END) != 0) {
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

/* Open inputs and outputs. Returns 0 or an exit code. */
static int open_io(cli *c)
{
    char err[512];
    if (c->probe) {
        if (c->names_file) {
            if (pdns_reader_open(&c->names_file, 1, &c->in, err, sizeof err) != PDNS_OK) {
                fprintf(stderr, "pacedns: option --names: %s\n", err);
                return EXIT_USAGE;
            }
            pdns_runner_set_source(c->runner, probe_names_fn, c);
        } else {
            const char *why;
            if (pdns_name_normalize(c->zone, c->zone_abs, sizeof c->zone_abs, &why) != PDNS_OK ||
                strlen(c->zone_abs) > 200) {
                fprintf(stderr, "pacedns: option --zone: '%s' is not a usable zone name%s%s\n",
                        c->zone, why ? ": " : "", why ? why : "");
                return EXIT_USAGE;
            }
            c->rng = uv_hrtime() ^ ((uint64_t)getpid() << 32) ^ 0x9E3779B97F4A7C15ULL;
            if (!c->rng)
                c->rng = 1;
            pdns_runner_set_source(c->runner, probe_zone_fn, c);
        }
        return 0;
    }
    if (pdns_reader_open(c->inputs, c->n_inputs, &c->in, err, sizeof err) != PDNS_OK) {
        fprintf(stderr, "pacedns: input: %s\n", err);
        return EXIT_USAGE;
    }
    cli_ckpt_init(&c->ckpt);
    if (c->resume_path)
        return open_resume(c);
    if (c->ckpt_path && (!c->output || !strcmp(c->output, "-"))) {
        fprintf(stderr, "pacedns: option --checkpoint: needs -o FILE (on resume, records "
                        "after the checkpoint are cut from that file)\n");
        return EXIT_USAGE;
    }
    c->out_fp = stdout;
    if (c->output && strcmp(c->output, "-") != 0 && !(c->out_fp = fopen(c->output, "w"))) {
        fprintf(stderr, "pacedns: option --output: cannot open %s: %s\n", c->output,
                strerror(errno));
        c->out_fp = NULL;
        return EXIT_USAGE;
    }
    if (c->ckpt_path) {
        struct stat st;
        if (fstat(fileno(c->out_fp), &st) != 0 || !realpath(c->output, c->ckpt.output)) {
            fprintf(stderr, "pacedns: option --output: %s: %s\n", c->output, strerror(errno));
            return EXIT_USAGE;
        }
        c->ckpt.out_dev = (unsigned long long)st.st_dev;
        c->ckpt.out_ino = (unsigned long long)st.st_ino;
        if (cli_ckpt_fingerprint(&c->ckpt, c->inputs, c->n_inputs, c->opt.types, c->opt.n_types,
                                 c->fmt, c->opt.fcrdns, NULL, err, sizeof err) != 0) {
            fprintf(stderr, "pacedns: option --checkpoint: %s\n", err);
            return EXIT_USAGE;
        }
    }
    return open_writers(c);
}

static int run(cli *c, int argc, char **argv)
{
    pdns_status st;
    pdns_totals tot;
    int rc = 0, uvrc, run_failed = 0;

    pdns_options_init(&c->opt);
    c->progress = -1;
    if (c->probe) {
        c->opt.timeout_ms = 1000;
        c->opt.retries = 0;
        c->opt.max_inflight = 2000;
        c->opt.interval_s = 0.25;
        c->duration_s = 15;
        c->profile = "bench";
    }
    if (parse_args(c, argc, argv) != 0)
        return EXIT_USAGE;
    c->opt.on_result = on_result;
    c->opt.user = c;
    if ((uvrc = uv_mutex_init(&c->mu)) != 0) {
        fprintf(stderr, "pacedns: uv_mutex_init: %s\n", uv_strerror(uvrc));
        return EXIT_RUNTIME;
    }

    if ((uvrc = uv_loop_init(&c->loop)) != 0) {
        fprintf(stderr, "pacedns: uv_loop_init: %s\n", uv_strerror(uvrc));
        return EXIT_RUNTIME;
    }
    if ((st = pdns_runner_new(&c->loop, &c->opt, &c->runner)) != PDNS_OK) {
        fprintf(stderr, "pacedns: cannot create runner: %s\n", pdns_strerror(st));
        rc = EXIT_RUNTIME;
        goto out_loop;
    }
    if ((rc = configure(c)) != 0 || (rc = open_io(c)) != 0)
        goto out;
    raise_nofile((c->opt.max_inflight ? c->opt.max_inflight : 1000) *
                 (unsigned)pdns_runner_server_count(c->runner) * 2);

    if ((uvrc = uv_signal_init(&c->loop, &c->sigint)) != 0 ||
        (uvrc = uv_signal_init(&c->loop, &c->sigterm)) != 0 ||
        (uvrc = uv_timer_init(&c->loop, &c->probe_timer)) != 0) {
        fprintf(stderr, "pacedns: cannot set up signal handling: %s\n", uv_strerror(uvrc));
        rc = EXIT_RUNTIME;
        goto out;
    }
    c->sigint.data = c->sigterm.data = c->probe_timer.data = c;
    if ((uvrc = uv_signal_start(&c->sigint, on_signal, SIGINT)) != 0 ||
        (uvrc = uv_signal_start(&c->sigterm, on_signal, SIGTERM)) != 0) {
        fprintf(stderr, "pacedns: cannot set up signal handling: %s\n", uv_strerror(uvrc));
        rc = EXIT_RUNTIME;
        goto out_handles;
    }
    uv_unref((uv_handle_t *)&c->sigint);
    uv_unref((uv_handle_t *)&c->sigterm);
    if (c->probe) {
        if ((uvrc = uv_timer_start(&c->probe_timer, probe_check, 100, 100)) != 0) {
            fprintf(stderr, "pacedns: probe timer: %s\n", uv_strerror(uvrc));
            rc = EXIT_RUNTIME;
            goto out_handles;
        }
        uv_unref((uv_handle_t *)&c->probe_timer);
    }

    if (c->use_ckpt) {
        if ((uvrc = uv_timer_init(&c->loop, &c->ckpt_timer)) != 0) {
            fprintf(stderr, "pacedns: checkpoint timer: %s\n", uv_strerror(uvrc));
            rc = EXIT_RUNTIME;
            goto out_handles;
        }
        c->ckpt_timer.data = c;
        c->ckpt_timer_init = 1;
        checkpoint_now(c); /* a run killed in its first second can be resumed too */
        if ((uvrc = uv_timer_start(&c->ckpt_timer, checkpoint_tick, 1000, 1000)) != 0) {
            fprintf(stderr, "pacedns: checkpoint timer: %s\n", uv_strerror(uvrc));
            rc = EXIT_RUNTIME;
            goto out_handles;
        }
        uv_unref((uv_handle_t *)&c->ckpt_timer);
    }
    if (c->progress < 0)
        c->progress = !c->quiet && isatty(STDERR_FILENO);
    if (c->progress) {
        uint64_t total = c->probe ? 0 : cli_progress_count(c->inputs, c->n_inputs);
        if (cli_progress_start(&c->prog, &c->loop, c->runner, total,
                               c->opt.n_types ? (unsigned)c->opt.n_types : 1, stderr) != 0)
            c->progress = 0;
    }

    if ((st = pdns_runner_run(c->runner)) != PDNS_OK) {
        const char *msg = pdns_runner_errmsg(c->runner);
        fprintf(stderr, "pacedns: %s\n", msg[0] ? msg : pdns_strerror(st));
        rc = st == PDNS_ERR_PARSE || st == PDNS_ERR_RANGE ? EXIT_USAGE : EXIT_RUNTIME;
        run_failed = 1;
    } else if ((uvrc = uv_run(&c->loop, UV_RUN_DEFAULT)) < 0) {
        fprintf(stderr, "pacedns: event loop: %s\n", uv_strerror(uvrc));
        rc = EXIT_RUNTIME;
    }
    if (c->progress)
        cli_progress_stop(&c->prog);
    if (c->ckpt_timer_init) {
        uv_timer_stop(&c->ckpt_timer);
        checkpoint_now(c);
        if (c->ckpt.n_cut && !c->quiet)
            fprintf(stderr,
                    "pacedns: %llu line(s) whose queries were cut short by the interrupt were "
                    "not written; --resume %s redoes them\n",
                    (unsigned long long)c->ckpt.n_cut, c->ckpt_path);
    }
    if (c->out_fp && fflush(c->out_fp) != 0 && !c->out_error)
        c->out_error = errno;
    if (c->out_error) {
        fprintf(stderr, "pacedns: writing records: %s\n", strerror(c->out_error));
        rc = EXIT_RUNTIME;
    }
    pdns_runner_totals(c->runner, &tot);
    if (c->probe_bad) {
        fprintf(stderr,
                "pacedns: option --names: %s: no line gives a query (first bad line %llu: "
                "%s; want NAME or NAME TYPE per line)\n",
                c->names_file, (unsigned long long)c->probe_bad_line, c->probe_bad_why);
        rc = EXIT_USAGE;
    } else if (tot.input_error) {
        fprintf(stderr, "pacedns: reading input: %s\n",
                c->in ? pdns_reader_error(c->in) : "cannot reopen the names file");
        rc = EXIT_RUNTIME;
    }
    if (c->stats && write_stats(c) != 0 && rc == 0)
        rc = EXIT_RUNTIME;
    if (c->probe && rc == 0) {
        if (c->opt.qps > 0)
            print_load_table(c);
        else
            print_probe_table(c);
    }
    if (!c->quiet && !run_failed)
        print_summary(c);
    if (rc == 0 && c->signo)
        rc = 128 + c->signo;
out_handles:
    uv_close((uv_handle_t *)&c->sigint, NULL);
    uv_close((uv_handle_t *)&c->sigterm, NULL);
    uv_close((uv_handle_t *)&c->probe_timer, NULL);
    if (c->ckpt_timer_init)
        uv_close((uv_handle_t *)&c->ckpt_timer, NULL);
out:
    cli_ckpt_free(&c->ckpt);
    pdns_writer_free(c->mw);
    if (c->ms)
        fclose(c->ms);
    free(c->ms_buf);
    pdns_writer_free(c->w);
    if (c->out_fp && c->out_fp != stdout)
        fclose(c->out_fp);
    pdns_reader_close(c->in);
    pdns_runner_free(c->runner);
out_loop:
    uv_run(&c->loop, UV_RUN_DEFAULT);
    if (uv_loop_close(&c->loop) != 0) {
        fprintf(stderr, "pacedns: internal error: event loop not closed cleanly\n");
        if (rc == 0)
            rc = EXIT_RUNTIME;
    }
    uv_mutex_destroy(&c->mu);
    return rc;
}

int main(int argc, char **argv)
{
    cli c;
    int rc;
    memset(&c, 0, sizeof c);
    signal(SIGPIPE, SIG_IGN);
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
        printf("pacedns %s\n", PDNS_VERSION);
        return 0;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "resolve")) {
        rc = run(&c, argc - 1, argv + 1);
    } else if (!strcmp(argv[1], "probe")) {
        c.probe = 1;
        rc = run(&c, argc - 1, argv + 1);
    } else {
        fprintf(stderr, "pacedns: unknown command '%s' (see pacedns --help)\n", argv[1]);
        rc = EXIT_USAGE;
    }
    free(c.servers);
    return rc;
}
