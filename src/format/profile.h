/* profile.h - controller profiles: JSON files setting pdns__aimd_params fields.
 * SPDX-License-Identifier: MIT */
#ifndef PDNS_PROFILE_H
#define PDNS_PROFILE_H

#include <stddef.h>
#include "pacedns.h"
#include "core/aimd.h"

/* A profile is a JSON object whose keys are the field names of pdns__aimd_params (plus
 * an optional "description" string), each a number ("converge_edges" an integer);
 * max_qps and max_total_qps use 0 for unlimited. Keys left out keep the compiled-in
 * default (pdns__aimd_params_default); the shipped profiles set every key.
 *
 * Errors never print: a message goes to err (if errcap > 0, always NUL-terminated,
 * truncated to errcap), naming the file and the key, e.g.
 *   profiles/x.json: key "loss_threshold": must be a number in [0,1]
 * On error *out is left unchanged. */

/* Load a profile. name_or_path is a path when it contains '/' or ends with ".json";
 * otherwise it is a name looked up as DIR/NAME.json in dirs[0..ndirs), first found wins.
 * NULL loads the compiled-in defaults.
 * Returns PDNS_OK; PDNS_ERR_IO ("cannot open ...") when the file is missing or
 * unreadable; PDNS_ERR_PARSE for invalid JSON, an unknown or duplicate key, a wrong
 * type, an out-of-range value or inconsistent values (e.g. start_qps < min_qps);
 * PDNS_ERR_INVALID for an empty name. */
pdns_status pdns__profile_load(const char *name_or_path, const char *const *dirs, size_t ndirs,
                               pdns__aimd_params *out, char *err, size_t errcap);

/* Parse profile text (len bytes) on top of the defaults; origin names the source in
 * messages. Same statuses as pdns__profile_load (minus I/O). */
pdns_status pdns__profile_parse(const char *text, size_t len, const char *origin,
                                pdns__aimd_params *out, char *err, size_t errcap);

/* Check every field's range and the cross-field rules (min_qps <= start_qps <= max_qps
 * unless max_qps is 0). Returns PDNS_OK or PDNS_ERR_PARSE, the message naming origin and
 * the first bad key. For parameters changed after loading (CLI overrides). */
pdns_status pdns__profile_validate(const pdns__aimd_params *p, const char *origin, char *err,
                                   size_t errcap);

/* Set one field by key name (CLI overrides), range-checked on its own (run
 * pdns__profile_validate afterwards for the cross-field rules). Returns PDNS_OK,
 * PDNS_ERR_INVALID for an unknown key, PDNS_ERR_RANGE for a bad value. */
pdns_status pdns__profile_set(pdns__aimd_params *p, const char *key, double value, char *err,
                              size_t errcap);

/* Read one field by key name into *value; returns 0, or -1 for an unknown key. */
int pdns__profile_get(const pdns__aimd_params *p, const char *key, double *value);

/* Number of parameter keys, and the i-th key name (NULL when i is out of range). */
size_t pdns__profile_nkeys(void);
const char *pdns__profile_key(size_t i);

#endif
