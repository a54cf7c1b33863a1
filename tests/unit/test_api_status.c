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
    CHECK(PDNS_R_UNREACHABLE == PDNS_R_ERROR + 1);    /* appended: no value renumbered */
    CHECK(PDNS_R_WILDCARD == PDNS_R_UNREACHABLE + 1); /* appended too (#14) */
    CHECK(PDNS_R_COUNT == PDNS_R_WILDCARD + 1);
    CHECK_STR(pdns_rstatus_name(PDNS_R_WILDCARD), "WILDCARD");
    CHECK_STR(pdns_rstatus_name(PDNS_R_UNREACHABLE), "UNREACHABLE");
    CHECK_STR(pdns_rstatus_name(PDNS_R_ERROR), "ERROR");
    CHECK(sizeof t.statuses / sizeof t.statuses[0] == PDNS_R_COUNT);
    /* every status has its own name (an unknown one would fall back to "ERROR") */
    for (int i = 0; i < PDNS_R_COUNT; i++)
        for (int k = i + 1; k < PDNS_R_COUNT; k++)
            CHECK(strcmp(pdns_rstatus_name((pdns_rstatus)i), pdns_rstatus_name((pdns_rstatus)k)) !=
                  0);
}

/* Shards: the options' range checks, and the remembered-capacity call's arguments. */
static void test_shards(void)
{
    pdns_options opt;
    pdns_runner *r = NULL;
    char *js;

    pdns_options_init(&opt);
    opt.on_result = on_result;
    opt.shards = 3;
    opt.shard_index = 3; /* not below shards */
    CHECK(pdns_runner_new(NULL, &opt, &r) == PDNS_ERR_RANGE && r == NULL);
    opt.shards = 0;
    opt.shard_index = 1; /* an index without shards */
    CHECK(pdns_runner_new(NULL, &opt, &r) == PDNS_ERR_RANGE && r == NULL);
    opt.shards = PDNS_MAX_SHARDS + 1;
    opt.shard_index = 0;
    CHECK(pdns_runner_new(NULL, &opt, &r) == PDNS_ERR_RANGE && r == NULL);
    opt.shards = 3;
    opt.shard_index = 2;
    CHECK(pdns_runner_new(NULL, &opt, &r) == PDNS_OK && r != NULL);
    CHECK(pdns_runner_add_server(r, "127.0.0.1:5300") == PDNS_OK);
    CHECK(pdns_runner_set_server_estimate(r, "127.0.0.1:5300", 900) == PDNS_OK);
    CHECK(pdns_runner_set_server_estimate(r, "127.0.0.1:5301", 900) == PDNS_ERR_INVALID);
    CHECK(strstr(pdns_runner_errmsg(r), "127.0.0.1:5301") != NULL);
    CHECK(pdns_runner_set_server_estimate(r, "127.0.0.1:5300", 0) == PDNS_ERR_RANGE);
    CHECK(pdns_runner_set_server_estimate(r, "127.0.0.1:5300", -1) == PDNS_ERR_RANGE);
    CHECK(pdns_runner_set_server_estimate(r, "not an address", 5) == PDNS_ERR_PARSE);
    CHECK(pdns_runner_set_server_estimate(r, NULL, 5) == PDNS_ERR_INVALID);
    /* not started: the stats say which shard this is */
    js = pdns_runner_stats_json(r, 0);
    CHECK(js && strstr(js, "\"shard\":{\"index\":2,\"count\":3}") != NULL);
    pdns_free(js);
    pdns_runner_free(r);
}

int main(void)
{
    test_shards();
    test_dnssec_refused();
    test_unreachable_status();
    return CHECK_DONE();
}
