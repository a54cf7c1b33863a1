/* fuzz_profile.c - controller profile parser (pdns__profile_parse), with oracles.
 * SPDX-License-Identifier: MIT */
#include "fuzz_common.h"
#include "format/profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pdns__aimd_params p, before, q;
    char err[200];
    pdns_status st;

    memset(&p, 0, sizeof p);
    pdns__aimd_params_default(&p);
    memset(&p.start_qps, 0x5a, sizeof p.start_qps); /* a marker: must stay on error */
    memcpy(&before, &p, sizeof p);
    memset(err, 'x', sizeof err);
    st = pdns__profile_parse((const char *)data, size, "fuzz.json", &p, err, sizeof err);
    if (st != PDNS_OK) {
        FUZZ_CHECK(memchr(err, '\0', sizeof err) != NULL, "err not terminated");
        FUZZ_CHECK(st == PDNS_ERR_PARSE || st == PDNS_ERR_NOMEM, "status %d", st);
        FUZZ_CHECK(memcmp(&p, &before, sizeof p) == 0, "*out changed on error");
        FUZZ_CHECK(strncmp(err, "fuzz.json: ", 11) == 0, "message '%s'", err);
        return 0;
    }
    /* an accepted profile validates, and every key reads back and sets to itself */
    FUZZ_CHECK(pdns__profile_validate(&p, "fuzz.json", err, sizeof err) == PDNS_OK,
               "accepted but invalid: %s", err);
    memcpy(&q, &p, sizeof p);
    for (size_t i = 0; i < pdns__profile_nkeys(); i++) {
        const char *key = pdns__profile_key(i);
        double v;
        FUZZ_CHECK(key && pdns__profile_get(&p, key, &v) == 0, "key %zu", i);
        FUZZ_CHECK(pdns__profile_set(&q, key, v, err, sizeof err) == PDNS_OK, "set %s: %s", key,
                   err);
    }
    FUZZ_CHECK(memcmp(&p, &q, sizeof p) == 0, "get/set round trip changed the params");
    return 0;
}
