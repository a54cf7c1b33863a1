/* main.c - the pacedns command line: option parsing, output, signals, summary.
 * SPDX-License-Identifier: MIT */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <uv.h>

#include "pacedns.h"
#include "input.h"
#include "output.h"
#include "runner.h"
#include "server.h"

#define EXIT_USAGE   1
#define EXIT_RUNTIME 2

typedef struct cli {
    const char *cmd;
    pdns_options opt;
    uint16_t types[32];
    const char **servers;
    size_t n_servers;
    const char *servers_file;
    const char *output;
    const char *stats;
    pdns__format fmt;
    int quiet;
    const char **inputs;
    size_t n_inputs;

    /* run state */
    uv_loop_t loop;
    pdns_runner *runner;
    pdns__input *in;
    pdns__output out;
    FILE *out_fp;
    int out_error;
    int signo;
    int sig_count;
    uv_signal_t sigint, sigterm;
} cli;

static void usage(FILE *fp)
{
    fputs("usage: pacedns resolve [OPTIONS] [FILE...]\n"
          "       pacedns --version | --help\n"
          "\n"
          "resolve: resolve every name of FILE (or stdin; '-' is stdin), one per line,\n"
          "paced per server. Blank lines and '#' comments are skipped.\n"
          "\n"
          "  -s, --server ADDR[:PORT]   nameserver (repeatable; IPv6 as [addr]:port)\n"
          "  -S, --servers-file FILE    nameservers, one per line, '#' comments\n"
          "                             (default: nameservers of /etc/resolv.conf)\n"
          "  -t, --type T[,T...]        record types (default A): A AAAA MX TXT NS CNAME SOA\n"
          "                             SRV CAA PTR ... ; PTR turns addresses into .arpa names\n"
          "      --fcrdns               with PTR: check the PTR name resolves back\n"
          "  -o, --output FILE          records to FILE (default stdout)\n"
          "  -f, --format FMT           ndjson (default), text, hosts, zone\n"
          "      --stats FILE           write per-server stats JSON to FILE\n"
          "      --qps N                fixed per-server queries/s (default 100)\n"
          "      --max-qps N            cap on the total over all servers\n"
          "      --max-inflight N       per-server in-flight cap (default 100)\n"
          "      --timeout MS           per-attempt timeout (default 2000)\n"
          "      --retries N            retries on timeout/SERVFAIL/REFUSED (default 3)\n"
          "      --interval S           stats time-series interval (default 1)\n"
          "  -q, --quiet                no summary on stderr\n"
          "\n"
          "Statuses: NOERROR NODATA NXDOMAIN SERVFAIL REFUSED FORMERR NOTIMP RCODE TIMEOUT\n"
          "          CNAME_LOOP INVALID_NAME ERROR\n"
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
    OPT_VERSION,
};

static int parse_resolve(cli *c, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"server", required_argument, NULL, 's'},
        {"servers-file", required_argument, NULL, 'S'},
        {"type", required_argument, NULL, 't'},
        {"fcrdns", no_argument, NULL, OPT_FCRDNS},
        {"output", required_argument, NULL, 'o'},
        {"format", required_argument, NULL, 'f'},
        {"stats", required_argument, NULL, OPT_STATS},
        {"qps", required_argument, NULL, OPT_QPS},
        {"max-qps", required_argument, NULL, OPT_MAXQPS},
        {"max-inflight", required_argument, NULL, OPT_INFLIGHT},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"retries", required_argument, NULL, OPT_RETRIES},
        {"interval", required_argument, NULL, OPT_INTERVAL},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int ch;
    const char *why;
    pdns__addr a;

    c->servers = calloc((size_t)argc + 1, sizeof *c->servers);
    if (!c->servers)
        return -1;
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":s:S:t:o:f:qh", longopts, NULL)) != -1) {
        switch (ch) {
        case 's':
            if (pdns__addr_parse(optarg, &a, &why) != PDNS_OK) {
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
            if (pdns__format_from_name(optarg, &c->fmt) != PDNS_OK) {
                fprintf(stderr,
                        "pacedns: option --format: unknown format '%s' (ndjson, text, "
                        "hosts, zone)\n",
                        optarg);
                return -1;
            }
            break;
        case OPT_STATS:
            c->stats = optarg;
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
        case 'q':
            c->quiet = 1;
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
    return 0;
}

/* ---- run ----------------------------------------------------------------------- */

static int source_fn(void *user, char *name, size_t cap, uint64_t *line)
{
    cli *c = user;
    return pdns__input_next(c->in, name, cap, line);
}

static void on_result(const pdns_result *res, void *user)
{
    cli *c = user;
    if (c->out_error)
        return;
    if (pdns__output_write(&c->out, res) != PDNS_OK) {
        c->out_error = errno ? errno : EIO;
        pdns_runner_stop(c->runner);
    }
}

static void on_signal(uv_signal_t *h, int signo)
{
    cli *c = h->data;
    c->sig_count++;
    if (!c->signo)
        c->signo = signo;
    if (c->sig_count > 1) {
        /* second signal: leave at once */
        fflush(c->out_fp);
        _exit(128 + signo);
    }
    pdns_runner_stop(c->runner);
}

static pdns_status add_server_cb(const char *text, void *ud)
{
    return pdns_runner_add_server(ud, text);
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

static void print_summary(cli *c)
{
    pdns_runner *r = c->runner;
    double el = pdns__runner_elapsed(r);
    const uint64_t *counts = pdns__runner_counts(r);
    uint64_t names = pdns__runner_names(r), recs = pdns__runner_records(r);
    fprintf(stderr, "pacedns: %llu names, %llu records in %.2f s (%.0f names/s)\n",
            (unsigned long long)names, (unsigned long long)recs, el,
            el > 0 ? (double)names / el : 0.0);
    fprintf(stderr, "statuses:");
    for (int i = 0; i <= PDNS_R_ERROR; i++)
        if (counts[i])
            fprintf(stderr, " %s=%llu", pdns_rstatus_name((pdns_rstatus)i),
                    (unsigned long long)counts[i]);
    fprintf(stderr, "\n%-24s %9s %9s %8s %9s %9s %8s %8s\n", "server", "sent", "answered",
            "timeouts", "rate_qps", "ans_qps", "p50_ms", "p99_ms");
    for (size_t i = 0; i < pdns__runner_nservers(r); i++) {
        const pdns__server_stats *s = pdns__runner_server_stats(r, i);
        fprintf(stderr, "%-24s %9llu %9llu %8llu %9.0f %9.0f %8.2f %8.2f\n", s->server,
                (unsigned long long)s->sent, (unsigned long long)s->answered,
                (unsigned long long)s->timeouts, pdns__runner_server_rate(r, i),
                el > 0 ? (double)s->answered / el : 0.0,
                (double)pdns__hist_quantile(&s->lat, 0.5) / 1000.0,
                (double)pdns__hist_quantile(&s->lat, 0.99) / 1000.0);
    }
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

static int cmd_resolve(cli *c, int argc, char **argv)
{
    char err[512];
    pdns_status st;
    int rc = 0, uvrc;

    pdns_options_init(&c->opt);
    if (parse_resolve(c, argc, argv) != 0)
        return EXIT_USAGE;
    c->opt.on_result = on_result;
    c->opt.user = c;

    if ((uvrc = uv_loop_init(&c->loop)) != 0) {
        fprintf(stderr, "pacedns: uv_loop_init: %s\n", uv_strerror(uvrc));
        return EXIT_RUNTIME;
    }
    if ((st = pdns_runner_new(&c->loop, &c->opt, &c->runner)) != PDNS_OK) {
        fprintf(stderr, "pacedns: cannot create runner: %s\n", pdns_strerror(st));
        rc = EXIT_RUNTIME;
        goto out_loop;
    }
    for (size_t i = 0; i < c->n_servers; i++) {
        if ((st = pdns_runner_add_server(c->runner, c->servers[i])) != PDNS_OK) {
            fprintf(stderr, "pacedns: option --server: '%s': %s\n", c->servers[i],
                    st == PDNS_ERR_INVALID ? "duplicate server" : pdns__runner_error(c->runner));
            rc = EXIT_USAGE;
            goto out_runner;
        }
    }
    if (c->servers_file) {
        st = pdns__servers_file(c->servers_file, add_server_cb, c->runner, err, sizeof err);
        if (st != PDNS_OK) {
            fprintf(stderr, "pacedns: option --servers-file: %s\n", err);
            rc = EXIT_USAGE;
            goto out_runner;
        }
    }
    if (!c->n_servers && !c->servers_file) {
        st = pdns__servers_resolv_conf("/etc/resolv.conf", add_server_cb, c->runner, err,
                                       sizeof err);
        if (st != PDNS_OK) {
            fprintf(stderr, "pacedns: default servers: %s\n", err);
            rc = EXIT_USAGE;
            goto out_runner;
        }
    }
    if (pdns__runner_nservers(c->runner) == 0) {
        fprintf(stderr, "pacedns: no nameserver: give -s ADDR or -S FILE\n");
        rc = EXIT_USAGE;
        goto out_runner;
    }
    if (pdns__input_open(&c->in, c->inputs, c->n_inputs, err, sizeof err) != PDNS_OK) {
        fprintf(stderr, "pacedns: input: %s\n", err);
        rc = EXIT_USAGE;
        goto out_runner;
    }
    c->out_fp = stdout;
    if (c->output && strcmp(c->output, "-") != 0 && !(c->out_fp = fopen(c->output, "w"))) {
        fprintf(stderr, "pacedns: option --output: cannot open %s: %s\n", c->output,
                strerror(errno));
        rc = EXIT_USAGE;
        goto out_input;
    }
    pdns__output_init(&c->out, c->out_fp, c->fmt);
    raise_nofile(c->opt.max_inflight * (unsigned)pdns__runner_nservers(c->runner) * 2);

    pdns_runner_set_source(c->runner, source_fn, c);
    if (uv_signal_init(&c->loop, &c->sigint) || uv_signal_init(&c->loop, &c->sigterm)) {
        fprintf(stderr, "pacedns: cannot set up signal handling\n");
        rc = EXIT_RUNTIME;
        goto out_output;
    }
    c->sigint.data = c->sigterm.data = c;
    uv_signal_start(&c->sigint, on_signal, SIGINT);
    uv_signal_start(&c->sigterm, on_signal, SIGTERM);
    uv_unref((uv_handle_t *)&c->sigint);
    uv_unref((uv_handle_t *)&c->sigterm);

    if ((st = pdns_runner_run(c->runner)) != PDNS_OK) {
        fprintf(stderr, "pacedns: %s: %s\n", pdns_strerror(st), pdns__runner_error(c->runner));
        rc = EXIT_RUNTIME;
    } else if ((uvrc = uv_run(&c->loop, UV_RUN_DEFAULT)) < 0) {
        fprintf(stderr, "pacedns: event loop: %s\n", uv_strerror(uvrc));
        rc = EXIT_RUNTIME;
    }
    if (fflush(c->out_fp) != 0 && !c->out_error)
        c->out_error = errno;
    if (c->out_error) {
        fprintf(stderr, "pacedns: writing records: %s\n", strerror(c->out_error));
        rc = EXIT_RUNTIME;
    }
    if (pdns__runner_source_error(c->runner)) {
        fprintf(stderr, "pacedns: reading input: %s\n", pdns__input_error(c->in));
        rc = EXIT_RUNTIME;
    }
    if (c->stats && write_stats(c) != 0 && rc == 0)
        rc = EXIT_RUNTIME;
    if (!c->quiet)
        print_summary(c);
    if (rc == 0 && c->signo)
        rc = 128 + c->signo;
    uv_close((uv_handle_t *)&c->sigint, NULL);
    uv_close((uv_handle_t *)&c->sigterm, NULL);
out_output:
    pdns__output_free(&c->out);
    if (c->out_fp && c->out_fp != stdout)
        fclose(c->out_fp);
out_input:
    pdns__input_close(c->in);
out_runner:
    pdns_runner_free(c->runner);
out_loop:
    uv_run(&c->loop, UV_RUN_DEFAULT);
    if (uv_loop_close(&c->loop) != 0) {
        fprintf(stderr, "pacedns: internal error: event loop not closed cleanly\n");
        if (rc == 0)
            rc = EXIT_RUNTIME;
    }
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
    c.cmd = argv[1];
    if (!strcmp(argv[1], "resolve")) {
        rc = cmd_resolve(&c, argc - 1, argv + 1);
    } else {
        fprintf(stderr, "pacedns: unknown command '%s' (see pacedns --help)\n", argv[1]);
        rc = EXIT_USAGE;
    }
    free(c.servers);
    return rc;
}
