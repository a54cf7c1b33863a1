/* test_profile.c - controller profiles: shipped files, defaults, and every error path.
 * SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "format/profile.h"
#include "check.h"
#include "profile_mirror.h"

/* Run from tests/unit (ctest's working directory). */
#define PROFILE_DIR "../../profiles"
#define BAD_DIR     "profiles_bad"

static const char *const dirs[] = {"no-such-dir", PROFILE_DIR};

/* Whether every parameter of a and b is equal (by key). */
static int params_equal(const pdns__aimd_params *a, const pdns__aimd_params *b, const char *what)
{
    int eq = 1;
    for (size_t i = 0; i < pdns__profile_nkeys(); i++) {
        double x, y;
        const char *k = pdns__profile_key(i);
        if (pdns__profile_get(a, k, &x) != 0 || pdns__profile_get(b, k, &y) != 0 || x != y) {
            fprintf(stderr, "%s: key %s differs\n", what, k);
            eq = 0;
        }
    }
    return eq;
}

/* A shipped profile file sets every key (and nothing else but "description"). */
static void check_complete(const char *path)
{
    char buf[8192];
    FILE *f = fopen(path, "rb");
    size_t n;
    cJSON *root;

    CHECK(f != NULL);
    if (!f)
        return;
    n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    root = cJSON_Parse(buf);
    CHECK(root != NULL);
    for (size_t i = 0; root && i < pdns__profile_nkeys(); i++) {
        int has = cJSON_HasObjectItem(root, pdns__profile_key(i));
        if (!has)
            fprintf(stderr, "%s: missing key %s\n", path, pdns__profile_key(i));
        CHECK(has);
    }
    CHECK(root && (size_t)cJSON_GetArraySize(root) == pdns__profile_nkeys() + 1);
    CHECK(root && cJSON_IsString(cJSON_GetObjectItem(root, "description")));
    cJSON_Delete(root);
}

static void test_shipped(void)
{
    pdns__aimd_params p, d, e;
    char err[256];

    pdns__aimd_params_default(&d);
    CHECK(pdns__profile_validate(&d, "defaults", err, sizeof err) == PDNS_OK);

    /* by name, found in the second directory */
    CHECK(pdns__profile_load("default", dirs, 2, &p, err, sizeof err) == PDNS_OK);
    CHECK(params_equal(&p, &d, "default.json vs compiled defaults"));
    CHECK(memcmp(&p, &d, sizeof p) == 0);

    CHECK(pdns__profile_load("polite", dirs, 2, &p, err, sizeof err) == PDNS_OK);
    CHECK(p.start_qps == 10);
    CHECK(p.max_qps == 500);
    CHECK(p.loss_threshold < d.loss_threshold);
    CHECK(p.error_threshold < d.error_threshold);
    CHECK(p.tc_threshold < d.tc_threshold);
    CHECK(p.latency_factor < d.latency_factor);
    params_polite(&e);
    CHECK(params_equal(&p, &e, "polite.json vs test_aimd's mirror"));

    CHECK(pdns__profile_load("bench", dirs, 2, &p, err, sizeof err) == PDNS_OK);
    CHECK(p.start_qps == 100);
    CHECK(p.max_qps == 0);
    params_bench(&e);
    CHECK(params_equal(&p, &e, "bench.json vs test_aimd's mirror"));

    /* by path: contains '/' or ends with .json */
    CHECK(pdns__profile_load(PROFILE_DIR "/bench.json", NULL, 0, &p, err, sizeof err) == PDNS_OK);
    CHECK(p.start_qps == 100);

    check_complete(PROFILE_DIR "/default.json");
    check_complete(PROFILE_DIR "/polite.json");
    check_complete(PROFILE_DIR "/bench.json");

    /* NULL: compiled defaults */
    memset(&p, 0xff, sizeof p);
    CHECK(pdns__profile_load(NULL, NULL, 0, &p, err, sizeof err) == PDNS_OK);
    CHECK(memcmp(&p, &d, sizeof p) == 0);
}

/* Load a bad fixture: expect status st and a message containing file and key. */
static void expect_bad(const char *file, pdns_status st, const char *key, const char *text)
{
    char path[256], err[256];
    pdns__aimd_params p, before;

    snprintf(path, sizeof path, BAD_DIR "/%s", file);
    pdns__aimd_params_default(&p);
    p.start_qps = 12345;
    before = p;
    err[0] = '\0';
    CHECK(pdns__profile_load(path, NULL, 0, &p, err, sizeof err) == st);
    CHECK(memcmp(&p, &before, sizeof p) == 0); /* untouched on error */
    if (strstr(err, path) == NULL || (key && strstr(err, key) == NULL) ||
        (text && strstr(err, text) == NULL)) {
        fprintf(stderr, "%s: unexpected message: %s\n", file, err);
        CHECK(0);
    }
}

static void test_errors(void)
{
    char err[256], small[12];
    pdns__aimd_params p;
    pdns_status st;

    expect_bad("unknown_key.json", PDNS_ERR_PARSE, "key \"loss_treshold\"", "unknown key");
    expect_bad("wrong_type.json", PDNS_ERR_PARSE, "key \"tc_threshold\"",
               "must be a number in [0,1]");
    expect_bad("out_of_range.json", PDNS_ERR_PARSE, "key \"loss_threshold\"",
               "must be a number in [0,1]");
    expect_bad("not_integer.json", PDNS_ERR_PARSE, "key \"converge_edges\"", "must be an integer");
    expect_bad("duplicate.json", PDNS_ERR_PARSE, "key \"start_qps\"", "duplicate");
    expect_bad("start_below_min.json", PDNS_ERR_PARSE, "key \"start_qps\"", ">= min_qps");
    expect_bad("max_below_start.json", PDNS_ERR_PARSE, "key \"max_qps\"", "0 (unlimited)");
    expect_bad("null_value.json", PDNS_ERR_PARSE, "key \"max_qps\"", "must be a number");
    expect_bad("bad_description.json", PDNS_ERR_PARSE, "key \"description\"", "string");
    expect_bad("invalid.json", PDNS_ERR_PARSE, NULL, "invalid JSON at line 5");
    expect_bad("trailing.json", PDNS_ERR_PARSE, NULL, "invalid JSON");
    expect_bad("not_object.json", PDNS_ERR_PARSE, NULL, "must be a JSON object");
    expect_bad("missing.json", PDNS_ERR_IO, NULL, "cannot open");

    /* the exact message of the issue */
    CHECK(pdns__profile_load(BAD_DIR "/out_of_range.json", NULL, 0, &p, err, sizeof err) ==
          PDNS_ERR_PARSE);
    CHECK_STR(err, BAD_DIR "/out_of_range.json: key \"loss_threshold\": must be a number in "
                           "[0,1]");

    /* a name found in no directory */
    CHECK(pdns__profile_load("nope", dirs, 2, &p, err, sizeof err) == PDNS_ERR_IO);
    CHECK(strstr(err, "cannot open profile \"nope\"") != NULL);
    CHECK(strstr(err, PROFILE_DIR) != NULL);
    CHECK(pdns__profile_load("nope", NULL, 0, &p, err, sizeof err) == PDNS_ERR_IO);
    CHECK(strstr(err, "cannot open") != NULL);
    CHECK(pdns__profile_load("", dirs, 2, &p, err, sizeof err) == PDNS_ERR_INVALID);

    /* a tiny error buffer is truncated, NUL-terminated; a NULL one is fine */
    memset(small, 'x', sizeof small);
    st = pdns__profile_load(BAD_DIR "/unknown_key.json", NULL, 0, &p, small, sizeof small);
    CHECK(st == PDNS_ERR_PARSE);
    CHECK(strlen(small) == sizeof small - 1);
    CHECK(pdns__profile_load(BAD_DIR "/unknown_key.json", NULL, 0, &p, NULL, 0) == PDNS_ERR_PARSE);
    memset(small, 'x', sizeof small);
    CHECK(pdns__profile_load("nope", dirs, 2, &p, small, sizeof small) == PDNS_ERR_IO);
    CHECK(strlen(small) == sizeof small - 1);
}

static void test_parse_set(void)
{
    static const char partial[] = "{\"loss_threshold\": 0.005, \"max_qps\": 0}";
    pdns__aimd_params p, d;
    char err[256];
    double v;

    /* a partial profile keeps the defaults for the keys it leaves out */
    pdns__aimd_params_default(&d);
    CHECK(pdns__profile_parse(partial, strlen(partial), "inline", &p, err, sizeof err) == PDNS_OK);
    CHECK(p.loss_threshold == 0.005);
    CHECK(p.max_qps == 0);
    CHECK(p.start_qps == d.start_qps);
    /* embedded NUL */
    CHECK(pdns__profile_parse("{}\0{}", 5, "inline", &p, err, sizeof err) == PDNS_ERR_PARSE);
    CHECK(strstr(err, "inline") != NULL);

    /* CLI overrides */
    CHECK(pdns__profile_set(&p, "start_qps", 20, err, sizeof err) == PDNS_OK);
    CHECK(p.start_qps == 20);
    CHECK(pdns__profile_set(&p, "converge_edges", 4, err, sizeof err) == PDNS_OK);
    CHECK(p.converge_edges == 4);
    CHECK(pdns__profile_get(&p, "converge_edges", &v) == 0 && v == 4);
    CHECK(pdns__profile_get(&p, "bogus", &v) == -1);
    CHECK(pdns__profile_set(&p, "converge_edges", 4.5, err, sizeof err) == PDNS_ERR_RANGE);
    CHECK(pdns__profile_set(&p, "hold_fraction", 1, err, sizeof err) == PDNS_ERR_RANGE);
    CHECK(strstr(err, "hold_fraction") != NULL);
    CHECK(pdns__profile_set(&p, "bogus", 1, err, sizeof err) == PDNS_ERR_INVALID);
    CHECK(strstr(err, "bogus") != NULL);
    p.min_qps = 50;
    CHECK(pdns__profile_validate(&p, "--min-qps", err, sizeof err) == PDNS_ERR_PARSE);
    CHECK_STR(err, "--min-qps: key \"start_qps\": must be >= min_qps (50), is 20");
    p.min_qps = 2;
    p.max_qps = 10;
    CHECK(pdns__profile_validate(&p, "--set", err, sizeof err) == PDNS_ERR_PARSE);
    CHECK_STR(err, "--set: key \"max_qps\": must be 0 (unlimited) or >= start_qps (20), is 10");
    p.max_qps = 0;
    CHECK(pdns__profile_validate(&p, "--set", err, sizeof err) == PDNS_OK);

    /* key table */
    CHECK(pdns__profile_nkeys() > 20);
    CHECK_STR(pdns__profile_key(0), "start_qps");
    CHECK(pdns__profile_key(pdns__profile_nkeys()) == NULL);
}

int main(void)
{
    test_shipped();
    test_errors();
    test_parse_set();
    return CHECK_DONE();
}
