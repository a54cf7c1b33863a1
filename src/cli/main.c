/* main.c - the pacedns command line: dispatch to the resolve, probe and report commands.
 * SPDX-License-Identifier: MIT */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "atlas.h"
#include "cli.h"
#include "options.h"

/* A command: its name and its entry (argv[0] is the name). */
static const struct {
    const char *name;
    int (*main)(int argc, char **argv);
} commands[] = {
    {"resolve", cli_resolve_main}, {"probe", cli_probe_main},   {"merge", cli_merge_main},
    {"atlas", cli_atlas_main},     {"report", cli_report_main},
};

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    if (argc < 2) {
        cli_usage(stderr);
        return EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
        printf("pacedns %s\n", PDNS_VERSION);
        return 0;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        cli_usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].main(argc - 1, argv + 1);
    fprintf(stderr, "pacedns: unknown command '%s' (see pacedns --help)\n", argv[1]);
    return EXIT_USAGE;
}
