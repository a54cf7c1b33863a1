/* summary.h - the tables printed after a run, drawn from the public API's plain
 * structs (pdns_runner_totals, pdns_runner_server_info).
 * SPDX-License-Identifier: MIT */
#ifndef PDNS_CLI_SUMMARY_H
#define PDNS_CLI_SUMMARY_H

#include "pacedns.h"

/* resolve and probe: totals, statuses and one line per server, on stderr. */
void cli_print_summary(pdns_runner *r);
/* One stderr line per server whose connections failed (refused, TLS certificate or
 * name), printed even with -q: the run went on over the other servers. */
void cli_print_conn_errors(pdns_runner *r);

/* probe: the rate found per server, with the loss and latency near it, on stdout. */
void cli_print_probe_table(pdns_runner *r);

/* probe --qps: what each server did under a fixed offered load over the sending time
 * (duration_s, or the run if it ended sooner), on stdout. */
void cli_print_load_table(pdns_runner *r, double duration_s);

#endif
