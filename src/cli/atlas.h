/* atlas.h - the capacity atlas (--atlas FILE, "pacedns atlas"): what runs learned about
 * each server, shared by later runs and by shards on other machines.
 * SPDX-License-Identifier: MIT */
#ifndef PDNS_CLI_ATLAS_H
#define PDNS_CLI_ATLAS_H

#include "cli.h"

/* Before a run: every server of r with an entry in com->atlas younger than
 * com->atlas_max_age_s starts from that capacity (pdns_runner_set_server_estimate).
 * A missing file is an empty atlas. Returns 0 or an exit code (message names the file). */
int cli_atlas_apply(pdns_runner *r, const cli_common *com);

/* After a run: merge what r learned (servers with a capacity estimate) into com->atlas
 * under its lock. Returns 0 or -1 (message printed). */
int cli_atlas_record(pdns_runner *r, const cli_common *com);

/* "pacedns atlas show FILE" / "pacedns atlas add FILE SERVER QPS". */
int cli_atlas_main(int argc, char **argv);

#endif
