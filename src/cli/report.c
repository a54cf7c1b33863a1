/* report.c - "pacedns report STATS.json [...] [-o FILE] [-f html|md]": every server of
 * one or more runs compared side by side (see report.h). Sends nothing.
 * SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"
#include "report.h"

/* Whether s ends with suffix. */
static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && !strcmp(s + n - k, suffix);
}

int cli_report_main(int argc, char **argv)
{
    cli_args a;
    rpt_doc d = {0};
    char err[1024];
    const char *out, *fmt;
    FILE *fp = stdout;
    int rc, to_file;

    if (cli_args_init(&a, CLI_REPORT, argc)) {
        fprintf(stderr, "pacedns: out of memory\n");
        return EXIT_RUNTIME;
    }
    rc = cli_args_parse(&a, argc, argv);
    if (rc) {
        cli_args_free(&a);
        return rc > 0 ? 0 : EXIT_USAGE;
    }
    if (a.n_operands == 0) {
        fprintf(stderr, "pacedns: report: no stats file given (pacedns report STATS.json "
                        "[STATS.json...] [-o FILE] [-f html|md])\n");
        cli_args_free(&a);
        return EXIT_USAGE;
    }
    for (size_t i = 0; i < a.n_operands; i++) {
        if (rpt_load(&d, a.operands[i], err, sizeof err)) {
            fprintf(stderr, "pacedns: report: %s\n", err);
            rpt_free(&d);
            cli_args_free(&a);
            return EXIT_USAGE;
        }
    }
    out = a.report.output;
    to_file = out && strcmp(out, "-") != 0;
    fmt = a.report.fmt ? a.report.fmt : to_file && ends_with(out, ".md") ? "md" : "html";
    if (to_file && !(fp = fopen(out, "w"))) {
        fprintf(stderr, "pacedns: report: cannot write %s: %s\n", out, strerror(errno));
        rpt_free(&d);
        cli_args_free(&a);
        return EXIT_RUNTIME;
    }
    rc = !strcmp(fmt, "md") ? rpt_write_md(&d, fp) : rpt_write_html(&d, fp);
    if (to_file && fclose(fp) != 0)
        rc = -1;
    if (rc)
        fprintf(stderr, "pacedns: report: cannot write %s: %s\n", to_file ? out : "stdout",
                errno ? strerror(errno) : "write error");
    else if (to_file && !a.com.quiet)
        fprintf(stderr, "pacedns: report: %zu servers of %zu runs written to %s (%s)\n",
                d.n_servers, d.n_runs, out, fmt);
    rpt_free(&d);
    cli_args_free(&a);
    return rc ? EXIT_RUNTIME : 0;
}
