/* test_name.c - unit tests for name validation, IDN, PTR names and rrtype mnemonics.
 * SPDX-License-Identifier: MIT */
#include <string.h>
#include "check.h"
#include "dns/name.h"

typedef struct name_case {
    const char *in;
    const char *out; /* NULL: must be rejected with reason `why` */
    const char *why;
} name_case;

static void repeat(char *dst, char c, size_t n)
{
    memset(dst, c, n);
    dst[n] = '\0';
}

static void test_normalize(void)
{
    static const name_case cases[] = {
        {"example.com", "example.com.", NULL},
        {"example.com.", "example.com.", NULL},
        {"Example.COM", "Example.COM.", NULL},
        {".", ".", NULL},
        {"com", "com.", NULL},
        {"123.456", "123.456.", NULL},
        {"-a-.b-", "-a-.b-.", NULL},
        {"_srv._tcp.x", "_srv._tcp.x.", NULL},
        {"*.x", "*.x.", NULL},
        {"xn--", "xn--.", NULL},
        {"xn--bcher-kva.example", "xn--bcher-kva.example.", NULL},
        {"bücher.example", "xn--bcher-kva.example.", NULL},
        {"bücher.example.", "xn--bcher-kva.example.", NULL},
        /* IDNA2008 with UTS #46 non-transitional mapping, as browsers resolve: sharp s
         * and final sigma are kept (transitional mapping gave fass.de, xn--nxasmq6b) */
        {"faß.de", "xn--fa-hia.de.", NULL},
        {"Faß.de", "xn--fa-hia.de.", NULL},
        {"βόλος.gr", "xn--nxasmm1c.gr.", NULL},
        {"", NULL, "empty name"},
        {"a..b", NULL, "empty label"},
        {".a", NULL, "empty label"},
        {"a..", NULL, "empty label"},
        {"..", NULL, "empty label"},
        {"a b", NULL, "invalid character ' '"},
        {"a\\b", NULL, "invalid character '\\'"},
        {"a\\x00b", NULL, "NUL byte (shown as \\x00)"},
        {"a\\x09b", NULL, "tab character (shown as \\x09)"},
        {"a\\x1fb", NULL, "control character (shown as \\xHH)"},
        {"a\\xc3b", NULL, "invalid UTF-8 byte (shown as \\xHH)"},
        {"a\\b", NULL, "invalid character '\\'"},
        {"a\tb", NULL, "invalid control character"},
        {"a*.x", NULL, "invalid character '*'"},
        {"x.*", NULL, "invalid character '*'"},
        {"a/b", NULL, "invalid character '/'"},
        {"b\xff.example", NULL, "invalid IDN label"},
        {"b\xc3.example", NULL, "invalid IDN label"},
        {"-b\xc3\xbc.example", NULL, "invalid IDN label"},
        {"b\xc3\xbc x.example", NULL, "invalid character ' '"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[PDNS__NAME_MAX] = "untouched";
        const char *why = NULL;
        pdns_status st = pdns__name_normalize(cases[i].in, out, sizeof out, &why);
        if (cases[i].out) {
            CHECK(st == PDNS_OK);
            CHECK_STR(out, cases[i].out);
        } else {
            CHECK(st == PDNS_ERR_PARSE);
            CHECK_STR(why, cases[i].why);
        }
    }
}

static void test_lengths(void)
{
    char in[600], out[PDNS__NAME_MAX];
    const char *why = NULL;

    repeat(in, 'a', 63); /* 63-octet label is fine */
    CHECK(pdns__name_normalize(in, out, sizeof out, &why) == PDNS_OK);
    repeat(in, 'a', 64);
    CHECK(pdns__name_normalize(in, out, sizeof out, &why) == PDNS_ERR_PARSE);
    CHECK_STR(why, "label longer than 63 octets");

    /* 4 x 63 + 3 dots = 255: too long; 3 x 63 + 61 + 3 dots = 253: fine. */
    char label[64];
    repeat(label, 'b', 63);
    snprintf(in, sizeof in, "%s.%s.%s.%.61s", label, label, label, label);
    CHECK(strlen(in) == 253);
    CHECK(pdns__name_normalize(in, out, sizeof out, &why) == PDNS_OK);
    CHECK(strlen(out) == 254);
    snprintf(in, sizeof in, "%s.%s.%s.%.61s.", label, label, label, label);
    CHECK(pdns__name_normalize(in, out, sizeof out, &why) == PDNS_OK);
    snprintf(in, sizeof in, "%s.%s.%s.%.62s", label, label, label, label);
    CHECK(strlen(in) == 254);
    CHECK(pdns__name_normalize(in, out, sizeof out, &why) == PDNS_ERR_PARSE);
    CHECK_STR(why, "name longer than 253 octets");
    snprintf(in, sizeof in, "%s.%s.%s.%s.%s", label, label, label, label, label);
    CHECK(pdns__name_normalize(in, out, sizeof out, &why) == PDNS_ERR_PARSE);
    CHECK_STR(why, "name longer than 253 octets");

    /* Long UTF-8 labels: libidn2 refuses an A-label over 63 octets; a U-label of 256+
     * bytes is refused before conversion. */
    repeat(in, 'a', 62);
    strcat(in, "\xc3\xbc");
    CHECK(pdns__name_normalize(in, out, sizeof out, &why) == PDNS_ERR_PARSE);
    CHECK_STR(why, "invalid IDN label");
    in[0] = '\0';
    for (int i = 0; i < 200; i++)
        strcat(in, "\xc3\xbc");
    CHECK(pdns__name_normalize(in, out, sizeof out, &why) == PDNS_ERR_PARSE);
    CHECK_STR(why, "label longer than 63 octets");

    /* A NULL why is allowed; a too small output buffer is an error. */
    CHECK(pdns__name_normalize("a..b", out, sizeof out, NULL) == PDNS_ERR_PARSE);
    CHECK(pdns__name_normalize("example.com", out, 5, &why) == PDNS_ERR_PARSE);
}

static void test_ptr(void)
{
    char out[PDNS__NAME_MAX];
    CHECK(pdns__name_ptr("192.0.2.1", out, sizeof out) == 1);
    CHECK_STR(out, "1.2.0.192.in-addr.arpa.");
    CHECK(pdns__name_ptr("10.20.30.255", out, sizeof out) == 1);
    CHECK_STR(out, "255.30.20.10.in-addr.arpa.");
    CHECK(pdns__name_ptr("2001:db8::567:89ab", out, sizeof out) == 1);
    CHECK_STR(out, "b.a.9.8.7.6.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.");
    CHECK(pdns__name_ptr("::1", out, sizeof out) == 1);
    CHECK_STR(out, "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa.");
    CHECK(pdns__name_ptr("2001:DB8::1", out, sizeof out) == 1);
    CHECK(strncmp(out, "1.0.0.0.", 8) == 0);

    strcpy(out, "untouched");
    CHECK(pdns__name_ptr("example.com", out, sizeof out) == 0);
    CHECK(pdns__name_ptr("1.2.3", out, sizeof out) == 0);
    CHECK(pdns__name_ptr("1.2.3.4.", out, sizeof out) == 0);
    CHECK(pdns__name_ptr("256.1.1.1", out, sizeof out) == 0);
    CHECK(pdns__name_ptr("", out, sizeof out) == 0);
    CHECK(pdns__name_ptr("192.0.2.1", out, 10) == 0); /* does not fit */
    CHECK_STR(out, "untouched");
}

static void test_equal(void)
{
    CHECK(pdns__name_equal("example.com", "EXAMPLE.com."));
    CHECK(pdns__name_equal("example.com.", "example.com."));
    CHECK(pdns__name_equal(".", ""));
    CHECK(!pdns__name_equal("example.com", "example.co"));
    CHECK(!pdns__name_equal("example.com..", "example.com"));
    CHECK(!pdns__name_equal("a.example", "b.example"));
    CHECK(!pdns__name_equal(NULL, "a"));
}

static void test_rrtype(void)
{
    char buf[16];
    uint16_t t = 0;
    CHECK(pdns_rrtype_from_name("A", &t) == PDNS_OK && t == 1);
    CHECK(pdns_rrtype_from_name("aaaa", &t) == PDNS_OK && t == 28);
    CHECK(pdns_rrtype_from_name("Https", &t) == PDNS_OK && t == 65);
    CHECK(pdns_rrtype_from_name("CAA", &t) == PDNS_OK && t == 257);
    CHECK(pdns_rrtype_from_name("ANY", &t) == PDNS_OK && t == 255);
    CHECK(pdns_rrtype_from_name("NSAP-PTR", &t) == PDNS_OK && t == 23);
    CHECK(pdns_rrtype_from_name("TYPE65", &t) == PDNS_OK && t == 65);
    CHECK(pdns_rrtype_from_name("type65535", &t) == PDNS_OK && t == 65535);
    CHECK(pdns_rrtype_from_name("TYPE65536", &t) == PDNS_ERR_PARSE);
    CHECK(pdns_rrtype_from_name("TYPE0", &t) == PDNS_ERR_PARSE);
    CHECK(pdns_rrtype_from_name("TYPE", &t) == PDNS_ERR_PARSE);
    CHECK(pdns_rrtype_from_name("TYPE1x", &t) == PDNS_ERR_PARSE);
    CHECK(pdns_rrtype_from_name("TYPE000001", &t) == PDNS_ERR_PARSE);
    CHECK(pdns_rrtype_from_name("BOGUS", &t) == PDNS_ERR_PARSE);
    CHECK(pdns_rrtype_from_name("", &t) == PDNS_ERR_PARSE);
    CHECK_STR(pdns_rrtype_name(1, buf), "A");
    CHECK_STR(pdns_rrtype_name(15, buf), "MX");
    CHECK_STR(pdns_rrtype_name(64, buf), "SVCB");
    CHECK_STR(pdns_rrtype_name(257, buf), "CAA");
    CHECK_STR(pdns_rrtype_name(32769, buf), "DLV");
    CHECK_STR(pdns_rrtype_name(54, buf), "TYPE54");
    CHECK_STR(pdns_rrtype_name(65535, buf), "TYPE65535");
    CHECK_STR(pdns_rrtype_name(0, buf), "TYPE0");
    /* Every mnemonic maps back to the same number. */
    static const char *const names[] = {
        "A",     "NS",    "CNAME",      "SOA",   "PTR",     "MX",         "TXT",
        "AAAA",  "SRV",   "NAPTR",      "DS",    "RRSIG",   "NSEC",       "DNSKEY",
        "NSEC3", "TLSA",  "SMIMEA",     "CDS",   "CDNSKEY", "OPENPGPKEY", "SVCB",
        "HTTPS", "SPF",   "CAA",        "HINFO", "RP",      "AFSDB",      "LOC",
        "DNAME", "SSHFP", "NSEC3PARAM", "URI",   "ANY"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        CHECK(pdns_rrtype_from_name(names[i], &t) == PDNS_OK);
        CHECK_STR(pdns_rrtype_name(t, buf), names[i]);
    }
}

/* Every byte value inside a label (first, middle and last place of the first and of a
 * later label): accepted, and copied as it is, exactly when it is a letter, a digit,
 * '-' or '_' (a lone byte of 0x80 or more is no UTF-8: refused too). */
static void test_every_byte(void)
{
    static const char *const forms[] = {"%cxy.test", "x%cy.test", "xy%c.test", "a.x%cy.test"};
    int bad = 0;
    for (int b = 1; b < 256; b++) {
        int ldh = (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9') ||
                  b == '-' || b == '_';
        if (b == '.' || b == '*')
            continue; /* a separator; a wildcard label */
        for (size_t f = 0; f < sizeof forms / sizeof forms[0]; f++) {
            char in[32], want[34], out[PDNS__NAME_MAX];
            const char *why = NULL;
            snprintf(in, sizeof in, forms[f], b);
            snprintf(want, sizeof want, "%s.", in);
            pdns_status st = pdns__name_normalize(in, out, sizeof out, &why);
            if (ldh ? st != PDNS_OK || strcmp(out, want) != 0 : st == PDNS_OK) {
                fprintf(stderr, "byte 0x%02x in \"%s\": %s\n", b, forms[f], why ? why : out);
                bad++;
            }
        }
    }
    CHECK(bad == 0);
}

/* Names of letters, digits, '-', '_' and dots, pseudo-random, of 1 to 300 bytes with
 * labels around 63: accepted exactly when every label has 1 to 63 octets and the name
 * at most 253 (a final dot aside), written as given with a final dot; refused with a
 * reason otherwise; the output size is honoured to the byte. */
static void test_ldh_names(void)
{
    static const char alphabet[] = "ab-_9.";
    uint32_t seed = 7;
    int bad = 0;
    for (int k = 0; k < 20000 && !bad; k++) {
        char in[320], out[400], want[322];
        const char *why = NULL;
        size_t n, lab = 0, len;
        int ok = 1;
        seed = seed * 1103515245u + 12345u;
        n = 1 + (seed >> 8) % 300;
        for (size_t i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            /* a dot about every 60 bytes, so that labels of 63 and 64 octets occur */
            in[i] = (seed >> 16) % 60 ? alphabet[(seed >> 24) % 5] : '.';
        }
        in[n] = '\0';
        len = in[n - 1] == '.' ? n - 1 : n;
        for (size_t i = 0; i <= len; i++) {
            if (i == len || in[i] == '.') {
                ok &= lab >= 1 && lab <= 63;
                lab = 0;
            } else {
                lab++;
            }
        }
        ok &= len <= 253;
        snprintf(want, sizeof want, "%.*s.", (int)len, in);
        for (size_t cap = len + 1; cap <= len + 3; cap++) {
            memset(out, 'z', sizeof out);
            pdns_status st = pdns__name_normalize(in, out, cap, &why);
            int fits = cap >= len + 2;
            if (ok && fits ? st != PDNS_OK || strcmp(out, want) != 0 : st == PDNS_OK || !why)
                bad = 1;
            if (out[cap] != 'z' || out[cap + 1] != 'z')
                bad = 1; /* written past the size */
            if (bad)
                fprintf(stderr, "\"%s\" (cap %zu): %s\n", in, cap, st == PDNS_OK ? out : why);
        }
    }
    CHECK(!bad);
}

int main(void)
{
    test_ldh_names();
    test_every_byte();
    test_normalize();
    test_lengths();
    test_ptr();
    test_equal();
    test_rrtype();
    return CHECK_DONE();
}
