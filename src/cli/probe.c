/* probe.c - "pacedns probe": drive each server with its controller until its optimal
 * rate is found or --duration ends (or, with --qps, offer a fixed load), then print
 * the rates found.
 * SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atlas.h"
#include "options.h"
#include "shard.h"
#include "session.h"
#include "summary.h"

#define PROBE_TIMEOUT_MS    1000 /* probe defaults (resolve's are pdns_options_init's) */
#define PROBE_RETRIES       0
#define PROBE_MAX_INFLIGHT  2000
#define PROBE_INTERVAL_S    0.25
#define PROBE_DURATION_S    15
#define PROBE_PROFILE       "bench"
#define PROBE_CHECK_MS      100  /* how often convergence and the duration are checked */
#define PROBE_SKIP_PER_CALL 1024 /* unusable --names lines skipped in one source call */
#define PROBE_ZONE_MAX      200  /* longest --zone that leaves room for the label */

/* The state of one probe run. */
typedef struct probe {
    cli_args a;
    cli_session s;
    pdns_reader *in; /* --names, reopened for each pass */
    uint64_t rng;    /* --zone: xorshift64* state */
    char zone_abs[256];
    uint64_t line;     /* lines given in the current pass (--zone: names made) */
    uint64_t pass_ok;  /* usable lines in the current pass */
    uint64_t bad_line; /* first line that gave no query, 0 none */
    char bad_why[128];
    int bad; /* a whole pass gave no usable line */
    uv_timer_t timer;
    int timer_init;
    char *stats_path; /* --stats with {shard} replaced */
} probe;

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

/* probe --names: cycle through the file. Lines that give no query are skipped (at most
 * PROBE_SKIP_PER_CALL per call, so one call stays short; beyond that one is handed to
 * the runner, which reports it and yields); a pass through the whole file that gives
 * no usable line is an input error (see probe.bad), never an endless loop. */
static int names_fn(void *user, char *name, size_t cap, uint64_t *line)
{
    probe *c = user;
    char err[256];
    for (int skipped = 0;; skipped++) {
        const char *why = NULL;
        int rc = pdns_reader_next(c->in, name, cap, line);
        if (rc == 0 && c->line > 0) {
            if (c->pass_ok == 0) {
                c->bad = 1;
                return -1;
            }
            pdns_reader_close(c->in);
            c->in = NULL;
            if (pdns_reader_open(&c->a.probe.names_file, 1, &c->in, err, sizeof err) != PDNS_OK)
                return -1;
            c->line = 0;
            c->pass_ok = 0;
            rc = pdns_reader_next(c->in, name, cap, line);
        }
        if (rc != 1)
            return rc;
        c->line++;
        if (line_usable(name, &why)) {
            c->pass_ok++;
            return 1;
        }
        if (!c->bad_line) {
            c->bad_line = *line;
            snprintf(c->bad_why, sizeof c->bad_why, "%s", why ? why : "not a valid name");
        }
        if (skipped >= PROBE_SKIP_PER_CALL)
            return 1;
    }
}

/* probe --zone: random labels that no cache can answer (xorshift64*) */
static int zone_fn(void *user, char *name, size_t cap, uint64_t *line)
{
    probe *c = user;
    uint64_t x = c->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    c->rng = x;
    x *= 0x2545F4914F6CDD1DULL;
    *line = ++c->line;
    snprintf(name, cap, "pdns-%012llx.%s", (unsigned long long)(x >> 16), c->zone_abs);
    return 1;
}

/* probe reports rates, not records */
static void on_result(const pdns_result *res, void *user) {}

/* Stop once every server converged or the duration is over. */
static void check(uv_timer_t *t)
{
    probe *c = t->data;
    pdns_runner *r = c->s.runner;
    pdns_totals tot;
    int all = 1;
    pdns_runner_totals(r, &tot);
    /* a shard runs its whole --duration: stopping at its own convergence would hand its
     * share of the servers to the other shards, whose estimates would then grow past
     * their shares (the shards' estimates add up to a server's capacity only while all
     * of them run) */
    if (c->a.com.opt.shards > 1)
        all = 0;
    for (size_t i = 0; all && i < pdns_runner_server_count(r); i++) {
        pdns_server_info si;
        if (pdns_runner_server_info(r, i, &si) != PDNS_OK || !si.converged)
            all = 0;
    }
    if (all || tot.elapsed_s >= c->a.probe.duration_s || pdns_runner_done(r)) {
        pdns_runner_stop(r);
        uv_timer_stop(t);
    }
}

/* What spans options: names come from exactly one of --names and --zone. Returns 0 or
 * -1 (message printed). */
static int check_args(const cli_args *a)
{
    if (a->n_operands) {
        fprintf(stderr,
                "pacedns: probe: unexpected argument '%s' (names come from --names or --zone)\n",
                a->operands[0]);
        return -1;
    }
    if (!a->probe.names_file == !a->probe.zone) {
        fprintf(stderr, "pacedns: probe: give exactly one of --names FILE or --zone ZONE\n");
        return -1;
    }
    return 0;
}

/* The source of names: the --names file or random labels under --zone. Returns 0 or
 * an exit code. */
static int open_source(probe *c)
{
    char err[512];
    const char *why;
    if (c->a.probe.names_file) {
        if (pdns_reader_open(&c->a.probe.names_file, 1, &c->in, err, sizeof err) != PDNS_OK) {
            fprintf(stderr, "pacedns: option --names: %s\n", err);
            return EXIT_USAGE;
        }
        pdns_runner_set_source(c->s.runner, names_fn, c);
        return 0;
    }
    if (pdns_name_normalize(c->a.probe.zone, c->zone_abs, sizeof c->zone_abs, &why) != PDNS_OK ||
        strlen(c->zone_abs) > PROBE_ZONE_MAX) {
        fprintf(stderr, "pacedns: option --zone: '%s' is not a usable zone name%s%s\n",
                c->a.probe.zone, why ? ": " : "", why ? why : "");
        return EXIT_USAGE;
    }
    c->rng = uv_hrtime() ^ ((uint64_t)getpid() << 32) ^ 0x9E3779B97F4A7C15ULL;
    if (!c->rng)
        c->rng = 1;
    pdns_runner_set_source(c->s.runner, zone_fn, c);
    return 0;
}

/* Servers (only local ones without --i-own-this-server), profile, source, signals and
 * the check timer. Returns 0 or an exit code. */
static int configure(probe *c)
{
    const char *resolv_conf, *public;
    int rc;
    if (!c->a.com.n_servers && !c->a.com.servers_file) {
        fprintf(stderr, "pacedns: probe: give the servers to probe with -s or -S\n");
        return EXIT_USAGE;
    }
    if ((rc = cli_session_add_servers(&c->s, &c->a.com, &resolv_conf)) != 0)
        return rc;
    if ((public = cli_session_public_server(&c->s)) && !c->a.probe.own_servers) {
        fprintf(stderr,
                "pacedns: probe: server %s is not on loopback or a private network; "
                "probing drives a server to its limit: give --i-own-this-server if you "
                "run it\n",
                public);
        return EXIT_USAGE;
    }
    if ((rc = cli_session_set_profile(&c->s, &c->a.com, c->a.com.profile)) != 0 ||
        (rc = open_source(c)) != 0 || (rc = cli_atlas_apply(c->s.runner, &c->a.com)) != 0)
        return rc;
    cli_session_raise_nofile(&c->s, &c->a.com.opt);
    if ((rc = cli_session_signals(&c->s)) != 0)
        return rc;
    return cli_session_timer(&c->s, &c->timer, check, c, PROBE_CHECK_MS, &c->timer_init,
                             "probe timer");
}

/* After the run: input errors, the stats file, the table and the summary. Returns the
 * exit status given rc of the run. */
static int finish(probe *c, int rc)
{
    pdns_totals tot;
    pdns_runner_totals(c->s.runner, &tot);
    if (c->bad) {
        fprintf(stderr,
                "pacedns: option --names: %s: no line gives a query (first bad line %llu: "
                "%s; want NAME [TYPE] [ecs=PREFIX] per line)\n",
                c->a.probe.names_file, (unsigned long long)c->bad_line, c->bad_why);
        rc = EXIT_USAGE;
    } else if (tot.input_error) {
        fprintf(stderr, "pacedns: reading input: %s\n",
                c->in ? pdns_reader_error(c->in) : "cannot reopen the names file");
        rc = EXIT_RUNTIME;
    }
    if (c->a.com.stats && cli_write_stats(c->s.runner, c->a.com.stats, NULL) != 0 && rc == 0)
        rc = EXIT_RUNTIME;
    if (!c->s.run_failed && !c->bad && cli_atlas_record(c->s.runner, &c->a.com) != 0 && rc == 0)
        rc = EXIT_RUNTIME;
    if (rc == 0) {
        if (c->a.com.opt.qps > 0)
            cli_print_load_table(c->s.runner, c->a.probe.duration_s);
        else
            cli_print_probe_table(c->s.runner);
    }
    if (!c->s.run_failed)
        cli_print_conn_errors(c->s.runner);
    if (!c->a.com.quiet && !c->s.run_failed)
        cli_print_summary(c->s.runner);
    if (rc == 0 && c->s.signo)
        rc = 128 + c->s.signo;
    return rc;
}

int cli_probe_main(int argc, char **argv)
{
    probe *c = calloc(1, sizeof *c);
    pdns_options *opt;
    int rc;

    if (!c || cli_args_init(&c->a, CLI_PROBE, argc) != 0) {
        fprintf(stderr, "pacedns: out of memory\n");
        free(c);
        return EXIT_RUNTIME;
    }
    opt = &c->a.com.opt;
    opt->timeout_ms = PROBE_TIMEOUT_MS;
    opt->retries = PROBE_RETRIES;
    opt->max_inflight = PROBE_MAX_INFLIGHT;
    opt->interval_s = PROBE_INTERVAL_S;
    c->a.probe.duration_s = PROBE_DURATION_S;
    c->a.com.profile = PROBE_PROFILE;
    if ((rc = cli_args_parse(&c->a, argc, argv)) != 0 || (rc = check_args(&c->a)) != 0) {
        rc = rc > 0 ? 0 : EXIT_USAGE;
        goto out_args;
    }
    if (cli_shard_path(&c->a.com, c->a.com.stats, &c->stats_path) != 0) {
        fprintf(stderr, "pacedns: out of memory\n");
        rc = EXIT_RUNTIME;
        goto out_args;
    }
    c->a.com.stats = c->stats_path;
    opt->on_result = on_result;
    opt->user = c;
    if ((rc = cli_session_open(&c->s, opt)) == 0 && (rc = configure(c)) == 0) {
        rc = cli_session_run(&c->s, &c->a.com, NULL);
        rc = finish(c, rc);
    }
    if (c->timer_init)
        uv_close((uv_handle_t *)&c->timer, NULL);
    cli_session_close_handles(&c->s);
    pdns_reader_close(c->in);
    rc = cli_session_end(&c->s, rc);
out_args:
    free(c->stats_path);
    cli_args_free(&c->a);
    free(c);
    return rc;
}
