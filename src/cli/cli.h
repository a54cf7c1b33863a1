/* cli.h - the pacedns command line: the settings of its two commands.
 * SPDX-License-Identifier: MIT
 *
 * Layout of src/cli/: main.c dispatches; options.c holds the one option table (getopt,
 * --help and the per-command check come from it) and fills a cli_args; session.c is
 * the run both commands share (loop, runner, servers, signals); resolve.c and probe.c
 * are the commands (report.c the comparison report: report_data.c reads stats files
 * into plain structs, report_table.c makes its tables, report_md.c and report_html.c
 * render them); summary.c draws the tables from the public API's plain structs;
 * progress.c and checkpoint.c are the progress line and --checkpoint/--resume. Only
 * include/pacedns.h of the library is used. */
#ifndef PDNS_CLI_H
#define PDNS_CLI_H

#include <stddef.h>
#include <stdint.h>

#include "pacedns.h"

#define EXIT_USAGE   1 /* usage or configuration error */
#define EXIT_RUNTIME 2 /* runtime failure */

/* The commands, as bits: an option lists the commands that accept it. */
typedef enum cli_cmd { CLI_RESOLVE = 1u << 0, CLI_PROBE = 1u << 1, CLI_REPORT = 1u << 2 } cli_cmd;

#define CLI_MAX_TYPES 32
#define CLI_MAX_SETS  64

/* Settings both commands take. */
typedef struct cli_common {
    pdns_options opt;               /* runner options (types point into types[]) */
    uint16_t types[CLI_MAX_TYPES];  /* -t */
    const char **servers;           /* -s, in order */
    size_t n_servers;               /* */
    const char *servers_file;       /* -S */
    const char *stats;              /* --stats FILE */
    const char *profile;            /* -p (probe default: bench) */
    const char *sets[CLI_MAX_SETS]; /* --set KEY=VALUE */
    size_t n_sets;                  /* */
    int quiet;                      /* -q */
    int progress;                   /* -1 auto (stderr is a terminal), 0 off, 1 forced */
    const char *shard;              /* --shard I/N|auto (resolved into opt.shards) */
    int shard_by_zone;              /* --shard-by zone (default: line) */
    const char *atlas;              /* --atlas FILE */
    double atlas_max_age_s;         /* --atlas-max-age (default 86400) */
} cli_common;

/* Settings only resolve takes (--fcrdns is opt.fcrdns). */
typedef struct cli_resolve_args {
    const char *output;       /* -o FILE, NULL or "-" for stdout */
    const char *fmt;          /* -f, NULL for ndjson */
    const char *ckpt_path;    /* --checkpoint */
    const char *resume_path;  /* --resume */
    const char **trusted;     /* --trusted, in order */
    size_t n_trusted;         /* */
    const char *trusted_file; /* --trusted-file */
} cli_resolve_args;

/* Settings only probe takes. */
typedef struct cli_probe_args {
    const char *names_file; /* --names */
    const char *zone;       /* --zone */
    double duration_s;      /* --duration */
    int own_servers;        /* --i-own-this-server: non-local servers allowed */
} cli_probe_args;

/* Settings only report takes. */
typedef struct cli_report_args {
    const char *output; /* -o FILE, NULL or "-" for stdout */
    const char *fmt;    /* -f html|md, NULL: md when FILE ends in ".md", else html */
} cli_report_args;

/* The parsed command line of one command. */
typedef struct cli_args {
    cli_cmd cmd;
    cli_common com;
    cli_resolve_args res;
    cli_probe_args probe;
    cli_report_args report;
    const char **operands; /* arguments after the options (resolve: input files) */
    size_t n_operands;
} cli_args;

/* The commands: argv[0] is the command's name. Return the exit status. */
int cli_resolve_main(int argc, char **argv);
int cli_probe_main(int argc, char **argv);
int cli_merge_main(int argc, char **argv); /* merge.c: the shards' stats and records */
int cli_report_main(int argc, char **argv);

#endif
