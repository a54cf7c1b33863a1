/* options.c - the one option table of the command line: getopt_long's array, the
 * --help text and the "option X is for resolve only" check all come from it (as
 * Knot's kdig_params.c does).
 * SPDX-License-Identifier: MIT */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "options.h"
#include "shard.h"

/* One option: how it is spelled, which commands take it, what it does, its help. */
typedef struct cli_option {
    const char *name; /* long name */
    char short_name;  /* 0: none */
    const char *arg;  /* argument in --help; NULL: takes none */
    unsigned cmds;    /* cli_cmd bits of the commands taking it */
    /* the handler: 0, 1 (stop: --help was printed) or -1 (message printed) */
    int (*set)(cli_args *a, const struct cli_option *o, const char *optarg);
    size_t off;       /* set_str, set_flag: offset of the field in cli_args */
    int val;          /* set_flag: the value stored */
    const char *help; /* lines ('\n'); NULL: not listed */
} cli_option;

#define BOTH (CLI_RESOLVE | CLI_PROBE)

/* Parse a number in [lo, hi] for option opt. Returns 0 or -1 (message printed). */
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

/* Parse a whole number in [lo, hi] for option opt. Returns 0 or -1 (message printed). */
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

/* An option that stores its value (text) in the field at o->off. */
static int set_str(cli_args *a, const cli_option *o, const char *v)
{
    *(const char **)(void *)((char *)a + o->off) = v;
    return 0;
}

/* An option without a value that stores o->val in the int field at o->off. */
static int set_flag(cli_args *a, const cli_option *o, const char *v)
{
    *(int *)(void *)((char *)a + o->off) = o->val;
    return 0;
}

static int set_server(cli_args *a, const cli_option *o, const char *v)
{
    const char *why;
    if (pdns_server_parse(v, NULL, 0, &why) != PDNS_OK) {
        fprintf(stderr, "pacedns: option --server: bad %s '%s': %s\n",
                strstr(v, "://") ? "URL" : "address", v, why);
        return -1;
    }
    a->com.servers[a->com.n_servers++] = v;
    return 0;
}

/* -t T[,T...]: at most CLI_MAX_TYPES known types. */
static int set_types(cli_args *a, const cli_option *o, const char *v)
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
        if (n == CLI_MAX_TYPES) {
            fprintf(stderr, "pacedns: option --type: at most 32 types\n");
            return -1;
        }
        if (pdns_rrtype_from_name(tok, &a->com.types[n]) != PDNS_OK) {
            fprintf(stderr, "pacedns: option --type: unknown record type '%s'\n", tok);
            return -1;
        }
        n++;
    }
    if (n == 0) {
        fprintf(stderr, "pacedns: option --type: empty type list\n");
        return -1;
    }
    a->com.opt.types = a->com.types;
    a->com.opt.n_types = n;
    return 0;
}

/* -o FILE: resolve's records or report's page. */
static int set_output(cli_args *a, const cli_option *o, const char *v)
{
    if (a->cmd == CLI_REPORT)
        a->report.output = v;
    else
        a->res.output = v;
    return 0;
}

/* -f: resolve: a format a writer accepts; report: html or md. */
static int set_format(cli_args *a, const cli_option *o, const char *v)
{
    if (a->cmd == CLI_REPORT) {
        if (strcmp(v, "html") != 0 && strcmp(v, "md") != 0) {
            fprintf(stderr, "pacedns: report: option --format: unknown format '%s' (html, md)\n",
                    v);
            return -1;
        }
        a->report.fmt = v;
        return 0;
    }
    pdns_writer *w = NULL;
    if (pdns_writer_new(stdout, v, &w) != PDNS_OK) {
        fprintf(stderr,
                "pacedns: option --format: unknown format '%s' (ndjson, text, hosts, zone)\n", v);
        return -1;
    }
    pdns_writer_free(w);
    a->res.fmt = v;
    return 0;
}

/* --set KEY=VALUE: kept as text; the value is checked when applied (session.c). */
static int set_param(cli_args *a, const cli_option *o, const char *v)
{
    if (!strchr(v, '=') || a->com.n_sets == CLI_MAX_SETS) {
        fprintf(stderr, "pacedns: option --set: expected KEY=VALUE, got '%s'\n", v);
        return -1;
    }
    a->com.sets[a->com.n_sets++] = v;
    return 0;
}

static int set_qps(cli_args *a, const cli_option *o, const char *v)
{
    return parse_double("--qps", v, 0.001, 1e7, &a->com.opt.qps);
}

static int set_trusted(cli_args *a, const cli_option *o, const char *v)
{
    const char *why;
    if (pdns_server_parse(v, NULL, 0, &why) != PDNS_OK) {
        fprintf(stderr, "pacedns: option --trusted: bad address '%s': %s\n", v, why);
        return -1;
    }
    a->res.trusted[a->res.n_trusted++] = v;
    return 0;
}

static int set_trusted_qps(cli_args *a, const cli_option *o, const char *v)
{
    return parse_double("--trusted-qps", v, 0.1, 1e6, &a->com.opt.trusted_qps);
}

static int set_wildcards(cli_args *a, const cli_option *o, const char *v)
{
    if (!strcmp(v, "off")) {
        a->com.opt.wildcards = PDNS_WILDCARDS_OFF;
    } else if (!strcmp(v, "mark")) {
        a->com.opt.wildcards = PDNS_WILDCARDS_MARK;
    } else if (!strcmp(v, "filter")) {
        a->com.opt.wildcards = PDNS_WILDCARDS_FILTER;
    } else {
        fprintf(stderr, "pacedns: option --wildcards: '%s' is not off, mark or filter\n", v);
        return -1;
    }
    return 0;
}

static int set_max_qps(cli_args *a, const cli_option *o, const char *v)
{
    return parse_double("--max-qps", v, 0.001, 1e8, &a->com.opt.max_total_qps);
}

static int set_max_inflight(cli_args *a, const cli_option *o, const char *v)
{
    return parse_uint("--max-inflight", v, 1, 100000, &a->com.opt.max_inflight);
}

static int set_timeout(cli_args *a, const cli_option *o, const char *v)
{
    return parse_uint("--timeout", v, 1, 600000, &a->com.opt.timeout_ms);
}

static int set_retries(cli_args *a, const cli_option *o, const char *v)
{
    return parse_uint("--retries", v, 0, 100, &a->com.opt.retries);
}

static int set_transport(cli_args *a, const cli_option *o, const char *v)
{
    if (!strcmp(v, "udp")) {
        a->com.opt.transport = PDNS_TRANSPORT_UDP;
    } else if (!strcmp(v, "getdns")) {
        a->com.opt.transport = PDNS_TRANSPORT_GETDNS;
    } else {
        fprintf(stderr, "pacedns: option --transport: '%s' is not udp or getdns\n", v);
        return -1;
    }
    return 0;
}

static int set_conns(cli_args *a, const cli_option *o, const char *v)
{
    return parse_uint("--conns", v, 1, 64, &a->com.opt.stream_conns);
}

/* --doh-method post|get (RFC 8484 4.1). */
static int set_doh_method(cli_args *a, const cli_option *o, const char *v)
{
    (void)o;
    if (!strcmp(v, "post")) {
        a->com.opt.doh_method = PDNS_DOH_POST;
    } else if (!strcmp(v, "get")) {
        a->com.opt.doh_method = PDNS_DOH_GET;
    } else {
        fprintf(stderr, "pacedns: option --doh-method: '%s' is not post or get\n", v);
        return -1;
    }
    return 0;
}

/* -j N|auto: auto is one thread per core, at most PDNS_MAX_THREADS. */
static int set_threads(cli_args *a, const cli_option *o, const char *v)
{
    if (strcmp(v, "auto") != 0)
        return parse_uint("--threads", v, 1, PDNS_MAX_THREADS, &a->com.opt.threads);
    a->com.opt.threads = uv_available_parallelism();
    if (a->com.opt.threads > PDNS_MAX_THREADS) /* -j auto on a big machine */
        a->com.opt.threads = PDNS_MAX_THREADS;
    return 0;
}

/* A query flag (PDNS_Q_* bit o->val). */
static int set_qflag(cli_args *a, const cli_option *o, const char *v)
{
    a->com.opt.query_flags |= (unsigned)o->val;
    return 0;
}

/* --nsid (per server, in the stats) or --nsid=record (also per record). */
static int set_nsid(cli_args *a, const cli_option *o, const char *v)
{
    if (v && strcmp(v, "record") != 0) {
        fprintf(stderr, "pacedns: option --nsid: '%s' is not 'record' (--nsid or --nsid=record)\n",
                v);
        return -1;
    }
    a->com.opt.query_flags |= PDNS_Q_NSID | (v ? PDNS_Q_NSID_RECORD : 0);
    return 0;
}

static int set_ecs(cli_args *a, const cli_option *o, const char *v)
{
    const char *why = NULL;
    if (pdns_ecs_check(v, &why) != PDNS_OK) {
        fprintf(stderr, "pacedns: option --ecs: bad prefix '%s': %s\n", v, why);
        return -1;
    }
    a->com.opt.ecs = v;
    return 0;
}

static int set_edns_size(cli_args *a, const cli_option *o, const char *v)
{
    return parse_uint("--edns-size", v, 512, 65535, &a->com.opt.edns_size);
}

static int set_interval(cli_args *a, const cli_option *o, const char *v)
{
    return parse_double("--interval", v, 0.01, 3600, &a->com.opt.interval_s);
}

static int set_duration(cli_args *a, const cli_option *o, const char *v)
{
    return parse_double("--duration", v, 0.1, 86400, &a->probe.duration_s);
}

/* --shard-by line|zone */
static int set_shard_by(cli_args *a, const cli_option *o, const char *v)
{
    if (!strcmp(v, "line")) {
        a->com.shard_by_zone = 0;
    } else if (!strcmp(v, "zone")) {
        a->com.shard_by_zone = 1;
    } else {
        fprintf(stderr, "pacedns: option --shard-by: '%s' is not line or zone\n", v);
        return -1;
    }
    return 0;
}

static int set_atlas_max_age(cli_args *a, const cli_option *o, const char *v)
{
    return parse_double("--atlas-max-age", v, 0, 1e9, &a->com.atlas_max_age_s);
}

static int show_help(cli_args *a, const cli_option *o, const char *v)
{
    cli_usage(stdout);
    return 1;
}

/* The handler columns of an entry: a text value into field f of cli_args, a flag that
 * stores v into int field f, or a handler of its own. */
#define STR(f)     set_str, offsetof(cli_args, f), 0
#define FLAG(f, v) set_flag, offsetof(cli_args, f), v
#define FN(fn)     fn, 0, 0
#define QF(bit)    set_qflag, 0, (int)(bit)

/* Every option, in the order --help lists them. */
static const cli_option options[] = {
    {"server", 's', "ADDR[:PORT]|URL", BOTH, FN(set_server),
     "nameserver (repeatable; IPv6 as [addr]:port);\n"
     "URL: tcp://ADDR[:PORT], tls://ADDR[:PORT] (853),\n"
     "https://ADDR[:PORT]/PATH (443; DoH, HTTP/2)"},
    {"servers-file", 'S', "FILE", BOTH, STR(com.servers_file),
     "nameservers, one per line, '#' comments\n"
     "(resolve default: nameservers of /etc/resolv.conf)"},
    {"type", 't', "T[,T...]", BOTH, FN(set_types),
     "record types (default A): A AAAA MX TXT NS CNAME SOA\n"
     "SRV CAA PTR ... ; PTR turns addresses into .arpa names"},
    {"fcrdns", 0, NULL, CLI_RESOLVE, FLAG(com.opt.fcrdns, 1),
     "with PTR: check the PTR name resolves back"},
    {"output", 'o', "FILE", CLI_RESOLVE | CLI_REPORT, FN(set_output),
     "records (report: the page) to FILE (default stdout)"},
    {"format", 'f', "FMT", CLI_RESOLVE | CLI_REPORT, FN(set_format),
     "ndjson (default), text, hosts, zone;\n"
     "report: html (default) or md (Markdown)"},
    {"stats", 0, "FILE", BOTH, STR(com.stats), "write per-server stats JSON to FILE"},
    {"profile", 'p', "NAME|FILE", BOTH, STR(com.profile),
     "controller profile: polite, default, bench, or a\n"
     "JSON file (resolve default: default, but polite\n"
     "for resolv.conf servers or any server outside\n"
     "loopback and private ranges; probe: bench)"},
    {"set", 0, "KEY=VALUE", BOTH, FN(set_param), "override one profile parameter"},
    {"qps", 0, "N", BOTH, FN(set_qps), "fixed per-server queries/s (controller off)"},
    {"max-qps", 0, "N", BOTH, FN(set_max_qps), "cap on the total over all servers"},
    {"max-inflight", 0, "N", BOTH, FN(set_max_inflight),
     "per-server in-flight cap (default 100 with --qps,\n"
     "1000 with the controller; probe 2000)"},
    {"timeout", 0, "MS", BOTH, FN(set_timeout), "per-attempt timeout (default 2000; probe 1000)"},
    {"retries", 0, "N", BOTH, FN(set_retries),
     "retries on timeout/SERVFAIL/REFUSED (default 3;\n"
     "probe 0)"},
    {"transport", 0, "T", BOTH, FN(set_transport),
     "udp (default: lean sockets, getdns for TCP) or\n"
     "getdns (getdns stub queries for everything)"},
    {"tls-ca", 0, "FILE", BOTH, STR(com.opt.tls_ca),
     "CA certificates (PEM) for tls:// and https://\n"
     "servers (default: the system's)"},
    {"tls-name", 0, "NAME", BOTH, STR(com.opt.tls_name),
     "name the servers' certificates must carry\n"
     "(default: the URL's address)"},
    {"tls-insecure", 0, NULL, BOTH, FLAG(com.opt.tls_insecure, 1),
     "do not verify certificates (a warning says so)"},
    {"conns", 0, "N", BOTH, FN(set_conns),
     "connections per tcp:// or tls:// server (1-64,\n"
     "default 4; queries are pipelined on each)"},
    {"doh-method", 0, "post|get", BOTH, FN(set_doh_method),
     "https:// servers: one HTTP POST per query (default)\n"
     "or a GET of URL?dns=BASE64URL (RFC 8484 4.1)"},
    {"threads", 'j', "N|auto", BOTH, FN(set_threads),
     "N event loops on N threads (default 1; auto: one\n"
     "per core); names are shared out, every thread\n"
     "uses every server with 1/N of each rate limit"},
    {"dnssec", 0, NULL, BOTH, QF(PDNS_Q_DNSSEC),
     "set DO: records say \"ad\" and their \"rrsig\" count\n"
     "(no validation here: AD is the server's)"},
    {"nsid", 0, "[=record]", BOTH, FN(set_nsid),
     "ask for NSID: each server's in the stats;\n"
     "=record: also in each record"},
    {"ecs", 0, "PREFIX", BOTH, FN(set_ecs),
     "EDNS Client Subnet ADDR/LEN on every query\n(a line's ecs=ADDR/LEN wins for that line)"},
    {"cookies", 0, NULL, BOTH, QF(PDNS_Q_COOKIES),
     "send an RFC 7873 client cookie; the stats count\n"
     "answers without a valid server cookie"},
    {"no-rd", 0, NULL, BOTH, QF(PDNS_Q_NO_RD), "RD clear (authoritative benchmarking)"},
    {"edns-size", 0, "N", BOTH, FN(set_edns_size),
     "UDP payload size offered (512-65535; default 1232)"},
    {"no-edns", 0, NULL, BOTH, QF(PDNS_Q_NO_EDNS), "send no OPT record (plain DNS)"},
    {"interval", 0, "S", BOTH, FN(set_interval),
     "stats time-series interval (default 1; probe 0.25)"},
    {"names", 0, "FILE", CLI_PROBE, STR(probe.names_file), "probe: query names from FILE (cycled)"},
    {"zone", 0, "ZONE", CLI_PROBE, STR(probe.zone),
     "probe: random labels under ZONE (uncacheable)"},
    {"duration", 0, "S", CLI_PROBE, FN(set_duration),
     "probe: give up after S seconds (default 15)"},
    {"i-own-this-server", 0, NULL, CLI_PROBE, FLAG(probe.own_servers, 1),
     "probe: allow servers outside loopback and private\n"
     "ranges (probing drives a server to its limit)\n"
     "(probe --qps N: offer N q/s per server for S\n"
     "seconds, controller off, then print a load table)"},
    {"trusted", 0, "ADDR[:PORT]", CLI_RESOLVE, FN(set_trusted),
     "trusted server (repeatable): the truth for canaries\n"
     "and --verify, never used for bulk; turns canaries on"},
    {"trusted-file", 0, "FILE", CLI_RESOLVE, STR(res.trusted_file),
     "trusted servers, one per line, '#' comments"},
    {"trusted-qps", 0, "N", CLI_RESOLVE, FN(set_trusted_qps),
     "total rate to the trusted servers (default 50)"},
    {"canaries", 0, NULL, CLI_RESOLVE, FLAG(com.opt.canaries, 1),
     "check every server with canaries (random names,\n"
     "sampled answers compared); a server failing one is\n"
     "quarantined and its unwritten records asked again"},
    {"verify", 0, NULL, CLI_RESOLVE, FLAG(com.opt.verify, 1),
     "ask every positive answer again of the trusted\n"
     "servers: \"verified\": true|false (needs --trusted)"},
    {"wildcards", 0, "off|mark|filter", CLI_RESOLVE, FN(set_wildcards),
     "wildcard detection (default off): mark adds\n"
     "\"wildcard\": \"*.parent.\"; filter gives status WILDCARD"},
    {"checkpoint", 0, "FILE", CLI_RESOLVE, STR(res.ckpt_path),
     "record which input lines are done (every second;\n"
     "needs -o FILE)"},
    {"resume", 0, "FILE", CLI_RESOLVE, STR(res.resume_path),
     "continue an interrupted run from its checkpoint,\n"
     "appending to its output; refused unless the output,\n"
     "inputs, -t, -f and --fcrdns are the same"},
    {"shard", 0, "I/N|auto", BOTH, STR(com.shard),
     "this process is shard I of N (0-based): it takes\n"
     "its part of the input and 1/N of every rate and\n"
     "in-flight limit; auto: from JOB_COMPLETION_INDEX +\n"
     "PACEDNS_SHARDS (Kubernetes) or SLURM_ARRAY_TASK_ID -\n"
     "SLURM_ARRAY_TASK_MIN + SLURM_ARRAY_TASK_COUNT (Slurm);\n"
     "{shard} in -o, --stats, --checkpoint, --resume\n"
     "is replaced by I"},
    {"shard-by", 0, "line|zone", CLI_RESOLVE, FN(set_shard_by),
     "line (default): line number mod N, even shares;\n"
     "zone: hash of the parent zone, a zone's names on\n"
     "one shard (local caches), uneven when few zones"},
    {"atlas", 0, "FILE", BOTH, STR(com.atlas),
     "capacity atlas: servers found in FILE (recent\n"
     "entries) start near their known capacity instead\n"
     "of slow start; what this run learned is merged in"},
    {"atlas-max-age", 0, "S", BOTH, FN(set_atlas_max_age),
     "atlas entries older than S seconds are not used\n"
     "(default 86400)"},
    {"quiet", 'q', NULL, BOTH | CLI_REPORT, FLAG(com.quiet, 1),
     "no summary and no progress on stderr"},
    {"progress", 0, NULL, BOTH, FLAG(com.progress, 1),
     "progress line on stderr even when not a terminal"},
    {"no-progress", 0, NULL, BOTH, FLAG(com.progress, 0),
     "no progress line (default when stderr is not a\n"
     "terminal)"},
    {"help", 'h', NULL, BOTH | CLI_REPORT, FN(show_help), NULL},
};

#define N_OPTIONS   (sizeof options / sizeof options[0])
#define LONG_VAL0   1000 /* getopt value of an option with no short name: LONG_VAL0 + index */
#define HELP_INDENT 29   /* column of the help text */

void cli_usage(FILE *fp)
{
    fputs("usage: pacedns resolve [OPTIONS] [FILE...]\n"
          "       pacedns probe -s SERVER [-s ...] [--names FILE | --zone ZONE] [OPTIONS]\n"
          "       pacedns merge STATS... [--records FILE... [-o MERGED]] [--stats OUT]\n"
          "       pacedns atlas show FILE | atlas add FILE SERVER QPS\n"
          "       pacedns report STATS.json [STATS.json...] [-o FILE] [-f html|md]\n"
          "       pacedns --version | --help\n"
          "\n"
          "resolve: resolve every name of FILE (or stdin; '-' is stdin), one per line,\n"
          "paced per server: NAME [TYPE] [ecs=PREFIX] (the line's own ECS prefix, over\n"
          "--ecs). Blank lines and '#' comments are skipped.\n"
          "probe: drive each server with its AIMD controller until its optimal rate is\n"
          "found (stable within 3 %) or --duration ends; print the rates found.\n"
          "report: compare every server of one or more stats files (--stats) side by\n"
          "side: one self-contained HTML page (tables, charts) or Markdown.\n"
          "\n",
          fp);
    for (size_t i = 0; i < N_OPTIONS; i++) {
        const cli_option *o = &options[i];
        char left[64];
        const char *h = o->help;
        if (!h)
            continue;
        /* a value that may be left out is shown glued on: --nsid[=record] */
        const char *sep = o->arg && o->arg[0] != '[' ? " " : "";
        if (o->short_name)
            snprintf(left, sizeof left, "-%c, --%s%s%s", o->short_name, o->name, sep,
                     o->arg ? o->arg : "");
        else
            snprintf(left, sizeof left, "    --%s%s%s", o->name, sep, o->arg ? o->arg : "");
        fprintf(fp, "  %-*s", HELP_INDENT - 2, left);
        for (;;) {
            const char *nl = strchr(h, '\n');
            int len = nl ? (int)(nl - h) : (int)strlen(h);
            fprintf(fp, "%.*s\n", len, h);
            if (!nl)
                break;
            h = nl + 1;
            fprintf(fp, "%*s", HELP_INDENT, "");
        }
    }
    fputs("\n"
          "Statuses: NOERROR NODATA NXDOMAIN SERVFAIL REFUSED FORMERR NOTIMP RCODE TIMEOUT\n"
          "          CNAME_LOOP INVALID_NAME ERROR UNREACHABLE WILDCARD\n"
          "Exit status: 0 the run completed (whatever the names' statuses); 1 usage or\n"
          "configuration error; 2 runtime failure; 130/143 interrupted by SIGINT/SIGTERM\n"
          "(in-flight queries finished, their records and the stats written).\n",
          fp);
}

int cli_args_init(cli_args *a, cli_cmd cmd, int argc)
{
    memset(a, 0, sizeof *a);
    a->cmd = cmd;
    pdns_options_init(&a->com.opt);
    a->com.progress = -1;
    a->com.atlas_max_age_s = 86400;
    a->com.servers = calloc((size_t)argc + 1, sizeof *a->com.servers);
    a->res.trusted = calloc((size_t)argc + 1, sizeof *a->res.trusted);
    return a->com.servers && a->res.trusted ? 0 : -1;
}

void cli_args_free(cli_args *a)
{
    free(a->com.servers);
    a->com.servers = NULL;
    free(a->res.trusted);
    a->res.trusted = NULL;
}

/* The option getopt_long returned as ch, or NULL (not an option of the table). */
static const cli_option *option_of(int ch)
{
    if (ch >= LONG_VAL0 && (size_t)(ch - LONG_VAL0) < N_OPTIONS)
        return &options[ch - LONG_VAL0];
    for (size_t i = 0; i < N_OPTIONS; i++)
        if (options[i].short_name && options[i].short_name == ch)
            return &options[i];
    return NULL;
}

/* getopt_long's arrays from the table: longopts (N_OPTIONS + 1 entries) and the
 * short-option string (':' first: a missing value is reported as ':'). */
static void getopt_tables(struct option *longopts, char *shortopts)
{
    char *p = shortopts;
    *p++ = ':';
    for (size_t i = 0; i < N_OPTIONS; i++) {
        const cli_option *o = &options[i];
        int has_arg = !o->arg            ? no_argument
                      : o->arg[0] == '[' ? optional_argument /* "[=VALUE]" */
                                         : required_argument;
        longopts[i] = (struct option){o->name, has_arg, NULL,
                                      o->short_name ? o->short_name : LONG_VAL0 + (int)i};
        if (o->short_name) {
            *p++ = o->short_name;
            if (o->arg)
                *p++ = ':';
        }
    }
    longopts[N_OPTIONS] = (struct option){NULL, 0, NULL, 0};
    *p = '\0';
}

/* The commands of the bits cmd, as text ("resolve", "resolve and report"). */
static const char *cmd_name(unsigned cmd)
{
    static const char *const names[] = {"resolve", "probe", "report"};
    static char buf[64];
    buf[0] = '\0';
    for (unsigned i = 0; i < 3; i++)
        if (cmd & (1u << i))
            snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%s", buf[0] ? " and " : "",
                     names[i]);
    return buf;
}

int cli_args_parse(cli_args *a, int argc, char **argv)
{
    struct option longopts[N_OPTIONS + 1];
    char shortopts[2 + 2 * N_OPTIONS];
    int ch, rc;

    getopt_tables(longopts, shortopts);
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
        const cli_option *o = option_of(ch);
        if (ch == ':') {
            fprintf(stderr, "pacedns: option %s needs a value\n", argv[optind - 1]);
            return -1;
        }
        if (!o) {
            fprintf(stderr, "pacedns: unknown option '%s' (see pacedns --help)\n",
                    argv[optind - 1]);
            return -1;
        }
        if (!(o->cmds & a->cmd)) {
            char self[64];
            snprintf(self, sizeof self, "%s", cmd_name(a->cmd));
            fprintf(stderr, "pacedns: %s: option '%s' is for %s only\n", self, argv[optind - 1],
                    cmd_name(o->cmds));
            return -1;
        }
        if ((rc = o->set(a, o, optarg)) != 0)
            return rc;
    }
    a->operands = (const char **)(argv + optind);
    a->n_operands = (size_t)(argc - optind);
    if (cli_shard_resolve(&a->com) != 0)
        return -1;
    if ((a->com.opt.query_flags & PDNS_Q_NO_EDNS) &&
        ((a->com.opt.query_flags & ~(unsigned)(PDNS_Q_NO_EDNS | PDNS_Q_NO_RD)) ||
         a->com.opt.edns_size || a->com.opt.ecs)) {
        fprintf(stderr, "pacedns: option --no-edns: an EDNS option (--dnssec, --nsid, "
                        "--cookies, --ecs, --edns-size) needs EDNS\n");
        return -1;
    }
    if (a->com.opt.transport == PDNS_TRANSPORT_GETDNS &&
        (a->com.opt.query_flags || a->com.opt.edns_size || a->com.opt.ecs)) {
        fprintf(stderr, "pacedns: option --transport getdns: query flags and EDNS options "
                        "(--dnssec, --nsid, --ecs, --cookies, --no-rd, --edns-size, --no-edns) "
                        "do not work with getdns\n");
        return -1;
    }
    if (a->com.opt.threads > 1 && a->com.opt.max_inflight &&
        a->com.opt.max_inflight < a->com.opt.threads) {
        fprintf(stderr,
                "pacedns: option --max-inflight: %u is less than --threads %u (each thread "
                "takes its share of the in-flight limit; give at least one per thread)\n",
                a->com.opt.max_inflight, a->com.opt.threads);
        return -1;
    }
    return 0;
}
