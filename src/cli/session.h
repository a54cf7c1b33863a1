/* session.h - the run both commands share: loop, runner, servers, profile, signals,
 * progress line.
 * SPDX-License-Identifier: MIT */
#ifndef PDNS_CLI_SESSION_H
#define PDNS_CLI_SESSION_H

#include <stdio.h>
#include <uv.h>

#include "cli.h"
#include "progress.h"

typedef struct cli_session {
    uv_mutex_t mu; /* records, input and checkpoint: worker threads vs the main loop */
    uv_loop_t loop;
    pdns_runner *runner;
    int mu_init, loop_init, signals_init;
    int signo;      /* first signal received, 0 none */
    int sig_count;  /* signals received */
    int stop_seen;  /* a signal asked the run to stop (under mu) */
    int run_failed; /* pdns_runner_run failed: no summary */
    FILE *out_fp;   /* records stream, flushed when a second signal ends the process */
    uv_signal_t sigint, sigterm;
    int progress; /* the progress line is on */
    cli_progress prog;
} cli_session;

/* Initialise s: mutex, loop and a runner with opt. Returns 0 or an exit code (message
 * printed); cli_session_end releases what was made either way. */
int cli_session_open(cli_session *s, const pdns_options *opt);

/* Add the -s servers then the -S file; with neither, resolv.conf's
 * (PACEDNS_RESOLV_CONF replaces /etc/resolv.conf), whose path goes to *resolv_conf
 * (else NULL). Returns 0 or an exit code. */
int cli_session_add_servers(cli_session *s, const cli_common *com, const char **resolv_conf);

/* The first server outside loopback and private ranges, or NULL. */
const char *cli_session_public_server(const cli_session *s);

/* Apply the profile (NULL: none) and the --set overrides. Returns 0 or an exit code. */
int cli_session_set_profile(cli_session *s, const cli_common *com, const char *profile);

/* Raise the open-file limit for the run's sockets (max_inflight x servers x 2). */
void cli_session_raise_nofile(cli_session *s, const pdns_options *opt);

/* Watch SIGINT/SIGTERM: the first stops the runner gracefully, a second exits at once.
 * Returns 0 or an exit code. */
int cli_session_signals(cli_session *s);

/* Start t on the loop: cb(t) every ms, t->data = data, unref'd (the run does not wait
 * for it); *init is set once t must be closed. Returns 0 or an exit code (message names
 * what). */
int cli_session_timer(cli_session *s, uv_timer_t *t, uv_timer_cb cb, void *data, uint64_t ms,
                      int *init, const char *what);

/* Start the progress line (per com: forced, off or when stderr is a terminal; its total
 * estimated from the bytes of `in`, the reader of regular-file inputs read on this
 * thread, or NULL: no total), run the runner and its loop to the end, stop the progress
 * line. Returns 0 or an exit code (run_failed set when the run did not start). */
int cli_session_run(cli_session *s, const cli_common *com, const pdns_reader *in);

/* Stop watching signals (after the run; before the command's own cleanup). */
void cli_session_close_handles(cli_session *s);

/* Free the runner, run the loop until its handles are closed, close it. Returns rc, or
 * EXIT_RUNTIME when rc was 0 and the loop did not close cleanly. */
int cli_session_end(cli_session *s, int rc);

/* Write the stats document of the run to path, with the members of extra (a cJSON
 * object, consumed; NULL: none) added at the top level. Returns 0 or -1 (message
 * printed). */
int cli_write_stats(pdns_runner *r, const char *path, void *extra);

#endif
