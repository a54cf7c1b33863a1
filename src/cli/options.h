/* options.h - the one option table of the command line.
 * SPDX-License-Identifier: MIT */
#ifndef PDNS_CLI_OPTIONS_H
#define PDNS_CLI_OPTIONS_H

#include <stdio.h>

#include "cli.h"

/* Fill a with the defaults shared by both commands (pdns_options_init, progress auto).
 * Returns 0, or -1 on no memory (a->com.servers is sized for argc). */
int cli_args_init(cli_args *a, cli_cmd cmd, int argc);

/* Parse the options of a->cmd from argv (argv[0] is the command's name) into a, over
 * the defaults already there: an option of the other command only is refused. Checks
 * what spans options (--max-inflight against --threads). Returns 0, 1 when --help was
 * printed (exit 0), or -1 after a message on stderr naming the option. */
int cli_args_parse(cli_args *a, int argc, char **argv);

/* Release what cli_args_init allocated. */
void cli_args_free(cli_args *a);

/* The --help text, options listed from the table. */
void cli_usage(FILE *fp);

#endif
