/* test_api_status.c - public API: the reserved dnssec option is refused, and the
 * UNREACHABLE result status has its name and place.
 * SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "pacedns.h"

static void on_result(const pdns_result *res, void *user)
{
    (void)res;
    (void)user;
}

/* pdns_options.dnssec promised validation and did nothing: it is now refused. */
static void test_dnssec_refused(void)
{
    pdns_options opt;
    pdns_runner *r = NULL;

    pdns_options_init(&opt);
    CHECK(opt.dnssec == 0);
    opt.on_result = on_result;
    opt.dnssec = 1;
    CHECK(pdns_runner_new(NULL, &opt, &r) == PDNS_ERR_UNSUPPORTED);
    CHECK(r == NULL);
    CHECK_STR(pdns_strerror(PDNS_ERR_UNSUPPORTED), "dnssec validation is not supported");

    opt.threads = 2; /* the same with worker threads */
    CHECK(pdns_runner_new(NULL, &opt, &r) == PDNS_ERR_UNSUPPORTED);
    CHECK(r == NULL);

    opt.threads = 0;
    opt.dnssec = 0;
    CHECK(pdns_runner_new(NULL, &opt, &r) == PDNS_OK);
    CHECK(r != NULL);
    pdns_runner_free(r);
}

static void test_unreachable_status(void)
{
    pdns_totals t;
    CHECK(PDNS_R_UNREACHABLE == PDNS_R_ERROR + 1); /* appended: no value renumbered */
    CHECK(PDNS_R_COUNT == PDNS_R_UNREACHABLE + 1);
    CHECK_STR(pdns_rstatus_name(PDNS_R_UNREACHABLE), "UNREACHABLE");
    CHECK_STR(pdns_rstatus_name(PDNS_R_ERROR), "ERROR");
    CHECK(sizeof t.statuses / sizeof t.statuses[0] == PDNS_R_COUNT);
    /* every status has its own name (an unknown one would fall back to "ERROR") */
    for (int i = 0; i < PDNS_R_COUNT; i++)
        for (int k = i + 1; k < PDNS_R_COUNT; k++)
            CHECK(strcmp(pdns_rstatus_name((pdns_rstatus)i), pdns_rstatus_name((pdns_rstatus)k)) !=
                  0);
}

int main(void)
{
    test_dnssec_refused();
    test_unreachable_status();
    return CHECK_DONE();
}
