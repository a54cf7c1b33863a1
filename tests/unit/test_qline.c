/* test_qline.c - unit tests of one input line's split: "NAME", "NAME TYPE", each with an
 * optional "ecs=PREFIX".
 * SPDX-License-Identifier: MIT */
#include <string.h>

#include "check.h"
#include "pacedns.h"
#include "dns/qline.h"
#include "dns/wire.h"

/* NAME [TYPE] ecs=PREFIX: the prefix's bytes, the error naming the bad field. */
static void test_ecs(void)
{
    char name[256], err[160];
    uint16_t t = 99;
    const char *why = NULL;
    pdns__ecs e;
    int has = -1;

    memset(&e, 0xee, sizeof e);
    CHECK(pdns__qline_parse("a.test A ecs=192.0.2.0/24", name, sizeof name, &t, &e, &has, &why, err,
                            sizeof err) == PDNS_OK);
    CHECK_STR(name, "a.test");
    CHECK(t == 1 && has == 1 && e.family == PDNS__ECS_FAMILY_IPV4 && e.prefix == 24);
    CHECK(e.addr[0] == 192 && e.addr[1] == 0 && e.addr[2] == 2 && e.addr[3] == 0);
    /* IPv6, a tab, no type, the key in capitals */
    CHECK(pdns__qline_parse("b.test\tECS=2001:db8::/48", name, sizeof name, &t, &e, &has, &why, err,
                            sizeof err) == PDNS_OK);
    CHECK(t == 0 && has == 1 && e.family == PDNS__ECS_FAMILY_IPV6 && e.prefix == 48);
    CHECK(e.addr[0] == 0x20 && e.addr[1] == 0x01 && e.addr[2] == 0x0d && e.addr[3] == 0xb8);
    CHECK(pdns__qline_parse("c.test AAAA ecs=0.0.0.0/0", name, sizeof name, &t, &e, &has, &why, err,
                            sizeof err) == PDNS_OK &&
          t == 28 && has == 1 && e.prefix == 0);
    /* a line without it says so */
    CHECK(pdns__qline_parse("d.test MX", name, sizeof name, &t, &e, &has, &why, err, sizeof err) ==
              PDNS_OK &&
          has == 0 && t == 15);
    /* bad prefixes: the error names the field and what is wrong */
    CHECK(pdns__qline_parse("a.test A ecs=10.1.2.3/16", name, sizeof name, &t, &e, &has, &why, err,
                            sizeof err) == PDNS_ERR_PARSE);
    CHECK(has == 0 && t == 0);
    CHECK_STR(err, "bad ECS prefix 'ecs=10.1.2.3/16': address bits set past the prefix length");
    CHECK(pdns__qline_parse("a.test ecs=10.0.0.0/33", name, sizeof name, &t, &e, &has, &why, err,
                            sizeof err) == PDNS_ERR_PARSE);
    CHECK_STR(err, "bad ECS prefix 'ecs=10.0.0.0/33': prefix length not in 0-32");
    CHECK(pdns__qline_parse("a.test A ecs=", name, sizeof name, &t, &e, &has, &why, err,
                            sizeof err) == PDNS_ERR_PARSE);
    CHECK(strstr(err, "expected ADDR/PREFIX") != NULL);
    CHECK(pdns__qline_parse("a.test A ecs=example.com/24", name, sizeof name, &t, &e, &has, &why,
                            err, sizeof err) == PDNS_ERR_PARSE);
    CHECK(strstr(err, "not an IPv4 or IPv6 address") != NULL);
    CHECK(pdns__qline_parse("a.test A ecs=::/-1", name, sizeof name, &t, &e, &has, &why, err,
                            sizeof err) == PDNS_ERR_PARSE);
    CHECK(
        pdns__qline_parse(
            "a.test A ecs=1111111111111111111111111111111111111111111111111111111111111111111111/8",
            name, sizeof name, &t, &e, &has, &why, err, sizeof err) == PDNS_ERR_PARSE);
    CHECK(strstr(err, "longer than any ADDR/PREFIX") != NULL);
    /* the type still checked first; ecs= only last; at most three fields */
    CHECK(pdns__qline_parse("a.test NOSUCH ecs=10.0.0.0/8", name, sizeof name, &t, &e, &has, &why,
                            err, sizeof err) == PDNS_ERR_PARSE);
    CHECK_STR(err, "unknown record type 'NOSUCH'");
    CHECK(pdns__qline_parse("a.test ecs=10.0.0.0/8 A", name, sizeof name, &t, &e, &has, &why, err,
                            sizeof err) == PDNS_ERR_PARSE);
    CHECK(strstr(err, "more than two fields") != NULL);
    CHECK(pdns__qline_parse("a.test A x ecs=10.0.0.0/8", name, sizeof name, &t, &e, &has, &why, err,
                            sizeof err) == PDNS_ERR_PARSE);
    CHECK(pdns__qline_parse("a.test A ecs=10.0.0.0/8 ecs=10.0.0.0/8", name, sizeof name, &t, &e,
                            &has, &why, err, sizeof err) == PDNS_ERR_PARSE);
    /* the public form accepts the field (checked, not returned) and refuses a bad one */
    CHECK(pdns_query_line_parse("a.test A ecs=192.0.2.0/24", name, sizeof name, &t, &why) ==
              PDNS_OK &&
          t == 1);
    CHECK(pdns_query_line_parse("a.test A ecs=192.0.2.1/24", name, sizeof name, &t, &why) ==
          PDNS_ERR_PARSE);
    CHECK(why && strstr(why, "bad ECS prefix"));
    /* NULL ecs and has_ecs: the prefix is checked only */
    CHECK(pdns__qline_parse("a.test A ecs=192.0.2.0/24", name, sizeof name, &t, NULL, NULL, &why,
                            NULL, 0) == PDNS_OK);
}

int main(void)
{
    char name[256];
    uint16_t t = 99;
    const char *why = NULL;

    CHECK(pdns_query_line_parse("example.com", name, sizeof name, &t, &why) == PDNS_OK);
    CHECK_STR(name, "example.com");
    CHECK(t == 0 && why == NULL);
    CHECK(pdns_query_line_parse("example.com AAAA", name, sizeof name, &t, &why) == PDNS_OK);
    CHECK_STR(name, "example.com");
    CHECK(t == 28);
    CHECK(pdns_query_line_parse("  a.b   mx  ", name, sizeof name, &t, &why) == PDNS_OK);
    CHECK_STR(name, "a.b");
    CHECK(t == 15);
    CHECK(pdns_query_line_parse("a.b\tTYPE65", name, sizeof name, &t, &why) == PDNS_OK);
    CHECK(t == 65);
    CHECK(pdns_query_line_parse("a.b A extra", name, sizeof name, &t, &why) == PDNS_ERR_PARSE);
    CHECK(why && strstr(why, "more than two fields"));
    CHECK(pdns_query_line_parse("a b c d e", name, sizeof name, &t, &why) == PDNS_ERR_PARSE);
    CHECK(why && strstr(why, "more than two fields"));
    CHECK(pdns_query_line_parse("a.b NOSUCH", name, sizeof name, &t, &why) == PDNS_ERR_PARSE);
    CHECK(why && strstr(why, "unknown record type") && t == 0);
    CHECK(pdns_query_line_parse("a.b TYPE70000", name, sizeof name, &t, &why) == PDNS_ERR_PARSE);
    CHECK(pdns_query_line_parse("a.b AVERYLONGTYPENAMEINDEED", name, sizeof name, &t, &why) ==
          PDNS_ERR_PARSE);
    CHECK(pdns_query_line_parse("", name, sizeof name, &t, &why) == PDNS_ERR_PARSE);
    CHECK(pdns_query_line_parse("   ", name, sizeof name, &t, &why) == PDNS_ERR_PARSE);
    char small[4];
    CHECK(pdns_query_line_parse("abcd A", small, sizeof small, &t, &why) == PDNS_ERR_PARSE);
    CHECK(pdns_query_line_parse("abc A", small, sizeof small, &t, NULL) == PDNS_OK);
    CHECK_STR(small, "abc");
    CHECK(pdns_query_line_parse(NULL, name, sizeof name, &t, &why) == PDNS_ERR_INVALID);
    test_ecs();
    return CHECK_DONE();
}
