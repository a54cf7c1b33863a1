/* test_job.c - the per-name job state machine (core/job.c) with scripted answers.
 * SPDX-License-Identifier: MIT */
#include <string.h>

#include "check.h"
#include "core/job.h"
#include "dns/wire.h"

static pdns_answer rr(const char *name, uint16_t type, const char *data)
{
    pdns_answer a = {.name = name, .type = type, .ttl = 60, .data = data};
    return a;
}

static const pdns__job_cfg CFG = {.retries = 2, .fcrdns = 0, .n_srv = 2, .stopping = 0};

static void test_direct_and_chains(void)
{
    pdns__job j;
    const char *why = NULL;
    pdns__jv v;

    CHECK(pdns__job_init(&j, "a..b", PDNS__TYPE_A, &why) == PDNS_ERR_PARSE && why);
    pdns__job_free(&j);

    CHECK(pdns__job_init(&j, "x.test", PDNS__TYPE_A, &why) == PDNS_OK);
    CHECK_STR(j.cur, "x.test.");
    pdns__job_on_send(&j, 0);
    pdns_answer a1[] = {rr("x.test.", PDNS__TYPE_A, "192.0.2.1")};
    v = pdns__job_on_answer(&j, &CFG, PDNS__RCODE_NOERROR, 0, a1, 1, 0.5);
    CHECK(v.kind == PDNS__JV_DONE && v.status == PDNS_R_NOERROR && v.n_ans == 1);
    CHECK(v.n_ans == 1 && !strcmp(v.ans[0].data, "192.0.2.1"));
    CHECK(j.rtt_ms == 0.5 && pdns__job_rcode(&j) == 0);
    pdns__job_free(&j);

    /* a chain inside one answer */
    pdns__job_init(&j, "x.test", PDNS__TYPE_A, &why);
    pdns__job_on_send(&j, 0);
    pdns_answer a2[] = {rr("x.test.", PDNS__TYPE_CNAME, "y.test."),
                        rr("Y.TEST.", PDNS__TYPE_A, "192.0.2.2")};
    v = pdns__job_on_answer(&j, &CFG, PDNS__RCODE_NOERROR, 0, a2, 2, 1);
    CHECK(v.kind == PDNS__JV_DONE && v.status == PDNS_R_NOERROR && v.n_ans == 1);
    CHECK(j.n_cname == 1 && !strcmp(j.cname[0], "y.test."));
    pdns__job_free(&j);

    /* the chain ends at a name the answer does not cover: a new hop, then its answer */
    pdns__job_init(&j, "x.test", PDNS__TYPE_A, &why);
    pdns__job_on_send(&j, 1);
    pdns_answer a3[] = {rr("x.test.", PDNS__TYPE_CNAME, "z.other.")};
    v = pdns__job_on_answer(&j, &CFG, PDNS__RCODE_NOERROR, 0, a3, 1, 1);
    CHECK(v.kind == PDNS__JV_SEND);
    CHECK_STR(j.cur, "z.other.");
    CHECK(j.tries == 0 && j.avoid == -1 && j.hops == 1);
    pdns__job_on_send(&j, 0);
    pdns_answer a4[] = {rr("z.other.", PDNS__TYPE_A, "192.0.2.3")};
    v = pdns__job_on_answer(&j, &CFG, PDNS__RCODE_NOERROR, 0, a4, 1, 1);
    CHECK(v.kind == PDNS__JV_DONE && v.status == PDNS_R_NOERROR && v.n_ans == 1);
    CHECK(j.n_cname == 1);
    pdns__job_free(&j);

    /* a loop inside one answer, and across hops */
    pdns__job_init(&j, "x.test", PDNS__TYPE_A, &why);
    pdns__job_on_send(&j, 0);
    pdns_answer a5[] = {rr("x.test.", PDNS__TYPE_CNAME, "y.test."),
                        rr("y.test.", PDNS__TYPE_CNAME, "x.test.")};
    v = pdns__job_on_answer(&j, &CFG, PDNS__RCODE_NOERROR, 0, a5, 2, 1);
    CHECK(v.kind == PDNS__JV_DONE && v.status == PDNS_R_CNAME_LOOP);
    pdns__job_free(&j);

    pdns__job_init(&j, "h0.test", PDNS__TYPE_A, &why);
    char names[12][32];
    int hops = 0;
    for (;;) { /* h0 -> h1 -> h2 ... each in its own hop */
        pdns__job_on_send(&j, 0);
        snprintf(names[hops % 12], sizeof names[0], "h%d.test.", hops + 1);
        pdns_answer c = rr(j.cur, PDNS__TYPE_CNAME, names[hops % 12]);
        v = pdns__job_on_answer(&j, &CFG, PDNS__RCODE_NOERROR, 0, &c, 1, 1);
        hops++;
        if (v.kind == PDNS__JV_DONE || hops > 20)
            break;
    }
    CHECK(v.kind == PDNS__JV_DONE && v.status == PDNS_R_CNAME_LOOP);
    CHECK(hops == PDNS__MAX_HOPS + 1);
    pdns__job_free(&j);

    /* NXDOMAIN, NODATA, ANY, CNAME asked for itself */
    pdns__job_init(&j, "x.test", PDNS__TYPE_A, &why);
    pdns__job_on_send(&j, 0);
    v = pdns__job_on_answer(&j, &CFG, PDNS__RCODE_NXDOMAIN, 0, NULL, 0, 1);
    CHECK(v.kind == PDNS__JV_DONE && v.status == PDNS_R_NXDOMAIN && pdns__job_rcode(&j) == 3);
    pdns__job_free(&j);
    pdns__job_init(&j, "x.test", PDNS__TYPE_MX, &why);
    pdns__job_on_send(&j, 0);
    v = pdns__job_on_answer(&j, &CFG, PDNS__RCODE_NOERROR, 0, a1, 1, 1);
    CHECK(v.kind == PDNS__JV_DONE && v.status == PDNS_R_NODATA);
    pdns__job_free(&j);
    pdns__job_init(&j, "x.test", PDNS__TYPE_ANY, &why);
    pdns__job_on_send(&j, 0);
    v = pdns__job_on_answer(&j, &CFG, PDNS__RCODE_NOERROR, 0, a2, 2, 1);
    CHECK(v.kind == PDNS__JV_DONE && v.n_ans == 1 && v.ans[0].type == PDNS__TYPE_CNAME);
    pdns__job_free(&j);

    /* a target longer than any name fails the record, not another name */
    pdns__job_init(&j, "x.test", PDNS__TYPE_A, &why);
    pdns__job_on_send(&j, 0);
    static char longname[1200];
    memset(longname, 'a', sizeof longname - 1);
    pdns_answer a6 = rr("x.test.", PDNS__TYPE_CNAME, longname);
    v = pdns__job_on_answer(&j, &CFG, PDNS__RCODE_NOERROR, 0, &a6, 1, 1);
    CHECK(v.kind == PDNS__JV_DONE && v.status == PDNS_R_ERROR && v.error);
    pdns__job_free(&j);

    /* more answers than the job keeps without allocating */
    pdns__job_init(&j, "x.test", PDNS__TYPE_A, &why);
    pdns__job_on_send(&j, 0);
    pdns_answer many[40];
    for (int i = 0; i < 40; i++)
        many[i] = rr("x.test.", PDNS__TYPE_A, "192.0.2.9");
    v = pdns__job_on_answer(&j, &CFG, PDNS__RCODE_NOERROR, 0, many, 40, 1);
    CHECK(v.kind == PDNS__JV_DONE && v.n_ans == 40);
    pdns__job_free(&j);
}

static void test_retries(void)
{
    pdns__job j;
    const char *why;
    pdns__jv v;
    pdns__job_cfg one = CFG;

    /* SERVFAIL: two retries, each avoiding the server that failed, then the record */
    pdns__job_init(&j, "x.test", PDNS__TYPE_A, &why);
    for (int k = 0; k < 3; k++) {
        pdns__job_on_send(&j, k % 2);
        v = pdns__job_on_answer(&j, &CFG, PDNS__RCODE_SERVFAIL, 0, NULL, 0, 1);
        if (k < 2)
            CHECK(v.kind == PDNS__JV_SEND && j.avoid == k % 2);
    }
    CHECK(v.kind == PDNS__JV_DONE && v.status == PDNS_R_SERVFAIL);
    pdns__job_free(&j);

    /* one server: nothing to avoid; a stop ends at once */
    one.n_srv = 1;
    pdns__job_init(&j, "x.test", PDNS__TYPE_A, &why);
    pdns__job_on_send(&j, 0);
    v = pdns__job_on_failure(&j, &one, PDNS__JF_TIMEOUT, NULL);
    CHECK(v.kind == PDNS__JV_SEND && j.avoid == -1);
    one.stopping = 1;
    pdns__job_on_send(&j, 0);
    v = pdns__job_on_failure(&j, &one, PDNS__JF_TIMEOUT, NULL);
    CHECK(v.kind == PDNS__JV_DONE && v.status == PDNS_R_TIMEOUT && !v.error);
    pdns__job_free(&j);

    /* unreachable and errors keep their text */
    pdns__job_init(&j, "x.test", PDNS__TYPE_A, &why);
    for (int k = 0; k < 3; k++) {
        pdns__job_on_send(&j, 0);
        v = pdns__job_on_failure(&j, &CFG, PDNS__JF_UNREACHABLE, "port unreachable");
    }
    CHECK(v.kind == PDNS__JV_DONE && v.status == PDNS_R_UNREACHABLE);
    CHECK(v.error && !strcmp(v.error, "port unreachable"));
    pdns__job_free(&j);
    pdns__job_init(&j, "x.test", PDNS__TYPE_A, &why);
    for (int k = 0; k < 3; k++) {
        pdns__job_on_send(&j, 0);
        v = pdns__job_on_failure(&j, &CFG, PDNS__JF_ERROR, NULL);
    }
    CHECK(v.kind == PDNS__JV_DONE && v.status == PDNS_R_ERROR && v.error);
    pdns__job_free(&j);

    /* TC: again over TCP without spending a retry */
    pdns__job_init(&j, "x.test", PDNS__TYPE_A, &why);
    pdns__job_on_send(&j, 0);
    v = pdns__job_on_answer(&j, &CFG, PDNS__RCODE_NOERROR, 1, NULL, 0, 1);
    CHECK(v.kind == PDNS__JV_SEND && j.tcp == 1 && j.tries == 0);
    pdns__job_on_send(&j, 0);
    pdns_answer a1 = rr("x.test.", PDNS__TYPE_A, "192.0.2.1");
    v = pdns__job_on_answer(&j, &CFG, PDNS__RCODE_NOERROR, 1, &a1, 1, 1); /* TC over TCP */
    CHECK(v.kind == PDNS__JV_DONE && v.status == PDNS_R_NOERROR);
    pdns__job_free(&j);
}

static void test_fcrdns(void)
{
    pdns__job j;
    const char *why;
    pdns__jv v;
    pdns__job_cfg fc = CFG;
    fc.fcrdns = 1;

    for (int variant = 0; variant < 3; variant++) {
        CHECK(pdns__job_init(&j, "192.0.2.7", PDNS__TYPE_PTR, &why) == PDNS_OK);
        CHECK_STR(j.qname, "7.2.0.192.in-addr.arpa.");
        pdns__job_on_send(&j, 0);
        pdns_answer p = rr("7.2.0.192.in-addr.arpa.", PDNS__TYPE_PTR, "h7.test.");
        v = pdns__job_on_answer(&j, &fc, PDNS__RCODE_NOERROR, 0, &p, 1, 1);
        CHECK(v.kind == PDNS__JV_SEND && j.phase == 1 && j.cur_type == PDNS__TYPE_A);
        CHECK_STR(j.cur, "h7.test.");
        pdns__job_on_send(&j, 1);
        pdns_answer f = rr("h7.test.", PDNS__TYPE_A, variant == 0 ? "192.0.2.7" : "192.0.2.8");
        if (variant < 2)
            v = pdns__job_on_answer(&j, &fc, PDNS__RCODE_NOERROR, 0, &f, 1, 1);
        else
            v = pdns__job_on_answer(&j, &fc, PDNS__RCODE_SERVFAIL, 0, NULL, 0, 1);
        CHECK(v.kind == PDNS__JV_DONE && v.status == PDNS_R_NOERROR && v.n_ans == 1);
        CHECK(v.n_ans == 1 && !strcmp(v.ans[0].data, "h7.test."));
        CHECK(pdns__job_fcrdns(&j, &fc, v.status) == (variant == 0 ? 1 : 0));
        CHECK(pdns__job_rcode(&j) == 0);
        pdns__job_free(&j);
    }
    /* without fcrdns a PTR record is not checked */
    pdns__job_init(&j, "192.0.2.7", PDNS__TYPE_PTR, &why);
    pdns__job_on_send(&j, 0);
    pdns_answer p = rr("7.2.0.192.in-addr.arpa.", PDNS__TYPE_PTR, "h7.test.");
    v = pdns__job_on_answer(&j, &CFG, PDNS__RCODE_NOERROR, 0, &p, 1, 1);
    CHECK(v.kind == PDNS__JV_DONE && pdns__job_fcrdns(&j, &CFG, v.status) == -1);
    pdns__job_free(&j);
}

int main(void)
{
    test_direct_and_chains();
    test_retries();
    test_fcrdns();
    return CHECK_DONE();
}
