/* test_qline.c - unit tests of one input line's split: "NAME" or "NAME TYPE".
 * SPDX-License-Identifier: MIT */
#include <string.h>

#include "check.h"
#include "pacedns.h"

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
    return CHECK_DONE();
}
