/* test_edns.c - unit tests of dns/edns.c: queries shaped by flags and EDNS options (RD,
 * OPT, payload size, DO, NSID, COOKIE, ECS) byte for byte, the ECS prefix parser, and
 * the answer reader (AD, RRSIG count, OPT payload size and DO, NSID, cookie states, ECS
 * scope) on hand-built answers, cut ones and hostile lengths.
 * SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "dns/edns.h"

/* "a." A, ID 0xBEEF, with o: the bytes up to the OPT record are fixed. */
static size_t encode(uint8_t *pkt, size_t cap, const pdns__qopts *o)
{
    static const uint8_t qn[] = {1, 'a', 0};
    return pdns__dns_query_encode_opts(pkt, cap, 0xBEEF, qn, sizeof qn, PDNS__TYPE_A, o);
}

static void test_encode(void)
{
    uint8_t pkt[PDNS__DNS_QUERY_OPTS_MAX];
    size_t n;
    pdns__qopts o;

    /* all zero: what pdns__dns_query_encode sends (RD, OPT 1232, no flags, no option) */
    static const uint8_t plain[] = {0xBE, 0xEF, 0x01, 0x00, 0, 1, 0, 0, 0, 0,
                                    0,    1,    1,    'a',  0, 0, 1, 0, 1, 0,
                                    0,    41,   0x04, 0xD0, 0, 0, 0, 0, 0, 0};
    memset(&o, 0, sizeof o);
    n = encode(pkt, sizeof pkt, &o);
    CHECK(n == sizeof plain && memcmp(pkt, plain, sizeof plain) == 0);
    CHECK(encode(pkt, sizeof pkt, NULL) == sizeof plain && memcmp(pkt, plain, sizeof plain) == 0);
    {
        uint8_t old[PDNS__DNS_QUERY_MAX];
        static const uint8_t qn[] = {1, 'a', 0};
        CHECK(pdns__dns_query_encode(old, sizeof old, 0xBEEF, qn, 3, PDNS__TYPE_A, 1232) ==
                  sizeof plain &&
              memcmp(old, plain, sizeof plain) == 0);
    }

    /* --no-rd: flags 0; --edns-size 4096; --dnssec: DO */
    o.no_rd = 1;
    o.udp_size = 4096;
    o.do_bit = 1;
    n = encode(pkt, sizeof pkt, &o);
    CHECK(n == sizeof plain);
    CHECK(pdns__wire_get_flags(pkt) == 0);
    CHECK(pdns__wire_read_u16(pkt + 15 + 4 + 3) == 4096); /* OPT CLASS */
    CHECK(pdns__wire_read_u16(pkt + 15 + 4 + 7) == PDNS__EDNS_DO);

    /* --no-edns: no OPT, ARCOUNT 0, whatever else was asked */
    memset(&o, 0, sizeof o);
    o.no_edns = 1;
    o.nsid = 1;
    n = encode(pkt, sizeof pkt, &o);
    CHECK(n == 15 + 4);
    CHECK(pdns__wire_get_arcount(pkt) == 0 && pdns__wire_get_flags(pkt) == PDNS__WIRE_RD);

    /* NSID, COOKIE, ECS 192.0.2.0/24: options in that order, RDLENGTH their sum */
    {
        static const uint8_t opts[] = {0, 3,  0, 0,                            /* NSID */
                                       0, 10, 0, 8, 1, 2, 3,  4, 5,   6, 7, 8, /* COOKIE */
                                       0, 8,  0, 7, 0, 1, 24, 0, 192, 0, 2};   /* ECS */
        const char *why = NULL;
        memset(&o, 0, sizeof o);
        o.nsid = 1;
        o.cookie = 1;
        memcpy(o.client_cookie, "\1\2\3\4\5\6\7\10", 8);
        CHECK(pdns__ecs_parse("192.0.2.0/24", &o, &why) == 0);
        n = encode(pkt, sizeof pkt, &o);
        CHECK(n == sizeof plain + sizeof opts);
        CHECK(pdns__wire_read_u16(pkt + 15 + 4 + 9) == sizeof opts);
        CHECK(memcmp(pkt + sizeof plain, opts, sizeof opts) == 0);
        /* too small a buffer: 0, never a cut query */
        CHECK(encode(pkt, sizeof plain + sizeof opts - 1, &o) == 0);
        CHECK(encode(pkt, sizeof plain - 1, &o) == 0);
    }
    /* the longest name with every option fits PDNS__DNS_QUERY_OPTS_MAX */
    {
        uint8_t name[PDNS__WIRE_NAME_MAX];
        const char *why;
        memset(name, 0, sizeof name);
        for (int i = 0; i < 4; i++)
            name[i * 64] = i < 3 ? 63 : 61;
        for (int i = 0; i < 4; i++)
            memset(name + i * 64 + 1, 'x', i < 3 ? 63 : 61);
        name[254] = 0;
        memset(&o, 0, sizeof o);
        o.nsid = o.cookie = 1;
        o.server_cookie_len = PDNS__COOKIE_SERVER_MAX;
        CHECK(pdns__ecs_parse("2001:db8::1/128", &o, &why) == 0);
        CHECK(pdns__dns_query_encode_opts(pkt, sizeof pkt, 1, name, 255, 1, &o) == sizeof pkt);
    }
}

/* RFC 7873 5.1: once a server cookie is known, the COOKIE option carries it after ours. */
static void test_encode_server_cookie(void)
{
    uint8_t pkt[PDNS__DNS_QUERY_OPTS_MAX];
    pdns__qopts o;
    size_t n;
    memset(&o, 0, sizeof o);
    o.cookie = 1;
    memcpy(o.client_cookie, "CLIENT!!", 8);
    memcpy(o.server_cookie, "0123456789abcdef", 16);
    o.server_cookie_len = 16;
    n = encode(pkt, sizeof pkt, &o);
    CHECK(n == 30 + 4 + 24);
    CHECK(pdns__wire_read_u16(pkt + 30) == PDNS__EDNS_COOKIE &&
          pdns__wire_read_u16(pkt + 32) == 24);
    CHECK(memcmp(pkt + 34, "CLIENT!!0123456789abcdef", 24) == 0);
    o.server_cookie_len = 200; /* never past the buffer: treated as none */
    CHECK(encode(pkt, sizeof pkt, &o) == 30 + 4 + 8);
}

static void test_ecs_parse(void)
{
    pdns__qopts o;
    const char *why = NULL;
    memset(&o, 0, sizeof o);
    CHECK(pdns__ecs_parse("10.1.0.0/16", &o, &why) == 0 && o.ecs && o.ecs_prefix == 16 &&
          o.ecs_family == PDNS__ECS_FAMILY_IPV4 && o.ecs_addr[0] == 10 && o.ecs_addr[1] == 1);
    CHECK(pdns__ecs_parse("2001:db8::/32", &o, &why) == 0 && o.ecs_prefix == 32 &&
          o.ecs_family == PDNS__ECS_FAMILY_IPV6);
    CHECK(pdns__ecs_parse("192.0.2.1", &o, &why) == 0 && o.ecs_prefix == 32);
    CHECK(pdns__ecs_parse("0.0.0.0/0", &o, &why) == 0 && o.ecs_prefix == 0);
    CHECK(pdns__ecs_parse("10.1.2.3/16", &o, &why) == -1);
    CHECK_STR(why, "address bits set past the prefix length");
    CHECK(pdns__ecs_parse("10.0.0.0/33", &o, &why) == -1);
    CHECK_STR(why, "prefix length not in 0-32");
    CHECK(pdns__ecs_parse("::/129", &o, &why) == -1);
    CHECK(pdns__ecs_parse("10.0.0.0/", &o, &why) == -1);
    CHECK(pdns__ecs_parse("10.0.0.0/-1", &o, &why) == -1);
    CHECK(pdns__ecs_parse("10.0.0.0/8x", &o, &why) == -1);
    CHECK(pdns__ecs_parse("example.com/8", &o, &why) == -1);
    CHECK_STR(why, "not an IPv4 or IPv6 address");
    CHECK(pdns__ecs_parse("", &o, &why) == -1);
    CHECK(pdns__ecs_parse(NULL, &o, &why) == -1);
}

/* An answer to "a." A: header (flags, counts), question, then the records given as raw
 * bytes. */
static size_t answer(uint8_t *buf, uint16_t flags, uint16_t an, uint16_t ns, uint16_t ar,
                     const uint8_t *rrs, size_t rrlen)
{
    static const uint8_t q[] = {1, 'a', 0, 0, 1, 0, 1};
    memset(buf, 0, PDNS__WIRE_HDR_LEN);
    pdns__wire_set_id(buf, 0xBEEF);
    pdns__wire_set_flags(buf, (uint16_t)(PDNS__WIRE_QR | flags));
    pdns__wire_set_qdcount(buf, 1);
    pdns__wire_set_ancount(buf, an);
    pdns__wire_set_nscount(buf, ns);
    pdns__wire_set_arcount(buf, ar);
    memcpy(buf + PDNS__WIRE_HDR_LEN, q, sizeof q);
    if (rrlen) /* rrs may be NULL then: memcpy's arguments must not be */
        memcpy(buf + PDNS__WIRE_HDR_LEN + sizeof q, rrs, rrlen);
    return PDNS__WIRE_HDR_LEN + sizeof q + rrlen;
}

/* Parse a copy of exactly n bytes (an over-read is a finding for the sanitizers). */
static int parse_exact(const uint8_t *p, size_t n, const pdns__qopts *q, pdns__edns_info *e)
{
    uint8_t *c = malloc(n ? n : 1);
    int rc;
    if (!c)
        abort();
    memcpy(c, p, n);
    rc = pdns__edns_parse(c, n, q, e);
    free(c);
    return rc;
}

static void test_parse(void)
{
    /* answer: a. A 192.0.2.1 (compressed owner), a. RRSIG (rdata 4 bytes standing for
     * it); authority: one NS; additional: OPT 1232, DO, NSID "ns1", COOKIE ours + 8 */
    static const uint8_t rrs[] = {
        0xC0, 12, 0,  1,    0,    1,   0,   0,    0, 60, 0,  4, 192,  0,  2, 1, /* A */
        0xC0, 12, 0,  46,   0,    1,   0,   0,    0, 60, 0,  4, 9,    9,  9, 9, /* RRSIG */
        0xC0, 12, 0,  2,    0,    1,   0,   0,    0, 60, 0,  2, 0xC0, 12,       /* NS */
        0,    0,  41, 0x04, 0xD0, 0,   0,   0x80, 0, 0,  27,                    /* OPT, rdlen 27 */
        0,    3,  0,  3,    'n',  's', '1',                                     /* NSID */
        0,    10, 0,  16,   1,    2,   3,   4,    5, 6,  7,  8, 9,    9,  9, 9,
        9,    9,  9,  9, /* COOKIE */
    };
    uint8_t buf[512];
    pdns__edns_info e;
    pdns__qopts q;
    char txt[2 * PDNS__NSID_MAX + 1];
    size_t n = answer(buf, PDNS__WIRE_AD, 2, 1, 1, rrs, sizeof rrs);

    memset(&q, 0, sizeof q);
    q.cookie = 1;
    memcpy(q.client_cookie, "\1\2\3\4\5\6\7\10", 8);
    CHECK(parse_exact(buf, n, &q, &e) == 0);
    CHECK(e.ad == 1 && e.rrsig == 1 && e.has_opt && e.udp_size == 1232 && e.do_bit);
    CHECK(e.has_nsid && e.nsid_len == 3 && memcmp(e.nsid, "ns1", 3) == 0);
    CHECK(e.cookie == PDNS__COOKIE_OK && e.ecs_scope == -1);
    CHECK(e.server_cookie_len == 8 && memcmp(e.server_cookie, "\11\11\11\11\11\11\11\11", 8) == 0);
    CHECK(e.rcode == 0);
    CHECK_STR(pdns__nsid_text(e.nsid, e.nsid_len, txt, sizeof txt), "ns1");

    /* no cookie asked: not checked */
    CHECK(parse_exact(buf, n, NULL, &e) == 0 && e.cookie == PDNS__COOKIE_NOT_ASKED);
    /* another client cookie: BAD */
    q.client_cookie[0] = 7;
    CHECK(parse_exact(buf, n, &q, &e) == 0 && e.cookie == PDNS__COOKIE_BAD);
    q.client_cookie[0] = 1;

    /* every cut of the datagram: -1 or 0, never a read past the end */
    for (size_t cut = 0; cut < n; cut++) {
        int rc = parse_exact(buf, cut, &q, &e);
        CHECK(rc == -1 || rc == 0);
        if (cut < n - 27 - 11) /* the OPT record not complete: not seen */
            CHECK(!e.has_opt);
    }

    /* cookie option with our client cookie only: MISSING; server cookie of 7 octets or
     * 33: BAD; no cookie option at all: MISSING */
    {
        uint8_t r2[64];
        static const uint8_t opt[] = {0,  0, 41, 0x04, 0xD0, 0, 0, 0, 0, 0, 12, 0,
                                      10, 0, 8,  1,    2,    3, 4, 5, 6, 7, 8};
        memcpy(r2, opt, sizeof opt);
        n = answer(buf, 0, 0, 0, 1, r2, sizeof opt);
        CHECK(parse_exact(buf, n, &q, &e) == 0 && e.cookie == PDNS__COOKIE_MISSING && !e.ad);
        static const uint8_t opt7[] = {0, 0, 41, 0x04, 0xD0, 0, 0, 0, 0, 0, 19, 0, 10, 0, 15,
                                       1, 2, 3,  4,    5,    6, 7, 8, 1, 1, 1,  1, 1,  1, 1};
        n = answer(buf, 0, 0, 0, 1, opt7, sizeof opt7);
        CHECK(parse_exact(buf, n, &q, &e) == 0 && e.cookie == PDNS__COOKIE_BAD);
        static const uint8_t noopt[] = {0, 0, 41, 0x04, 0xD0, 0, 0, 0, 0, 0, 0};
        n = answer(buf, 0, 0, 0, 1, noopt, sizeof noopt);
        CHECK(parse_exact(buf, n, &q, &e) == 0 && e.cookie == PDNS__COOKIE_MISSING && e.has_opt &&
              !e.has_nsid);
        n = answer(buf, 0, 0, 0, 0, NULL, 0);
        CHECK(parse_exact(buf, n, &q, &e) == 0 && e.cookie == PDNS__COOKIE_MISSING && !e.has_opt);
    }
    /* an option whose length runs past the rdata: what came before stands; an ECS
     * scope; binary NSID as hex */
    {
        static const uint8_t opt[] = {0, 0,  41, 0x04, 0xD0, 0, 0,    0,    0,
                                      0, 18, 0,  3,    0,    2, 0xFF, 0x00, /* NSID binary */
                                      0, 8,  0,  4,    0,    1, 24,   16,   /* ECS scope 16 */
                                      0, 10, 0,  40};                       /* cut COOKIE */
        n = answer(buf, 0, 0, 0, 1, opt, sizeof opt);
        CHECK(parse_exact(buf, n, &q, &e) == 0);
        CHECK(e.has_nsid && e.nsid_len == 2 && e.ecs_scope == 16 &&
              e.cookie == PDNS__COOKIE_MISSING);
        CHECK_STR(pdns__nsid_text(e.nsid, e.nsid_len, txt, sizeof txt), "ff00");
        CHECK_STR(pdns__nsid_text((const uint8_t *)"a\"b", 3, txt, sizeof txt), "612262");
    }
    /* BADCOOKIE (23): header rcode 7, OPT extended rcode 1 */
    {
        static const uint8_t opt[] = {0, 0, 41, 0x04, 0xD0, 1, 0, 0, 0, 0, 0};
        n = answer(buf, 7, 0, 0, 1, opt, sizeof opt);
        CHECK(parse_exact(buf, n, &q, &e) == 0 && e.rcode == PDNS__RCODE_BADCOOKIE);
        n = answer(buf, 7, 0, 0, 0, NULL, 0);
        CHECK(parse_exact(buf, n, &q, &e) == 0 && e.rcode == 7 && e.server_cookie_len == 0);
    }
    /* counts larger than the records: -1; a reserved label type: -1 */
    {
        static const uint8_t one[] = {0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 1, 2, 3, 4};
        n = answer(buf, 0, 2, 0, 0, one, sizeof one);
        CHECK(parse_exact(buf, n, &q, &e) == -1);
        static const uint8_t bad[] = {0x80, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 0};
        n = answer(buf, 0, 1, 0, 0, bad, sizeof bad);
        CHECK(parse_exact(buf, n, &q, &e) == -1);
        CHECK(pdns__edns_parse(buf, 5, &q, &e) == -1);
    }
    /* an NSID longer than PDNS__NSID_MAX is kept cut */
    {
        uint8_t big[11 + 4 + 300];
        static const uint8_t head[] = {0, 0, 41, 0x04, 0xD0, 0, 0, 0, 0, 1, 48, 0, 3, 1, 44};
        memcpy(big, head, sizeof head);
        memset(big + sizeof head, 'n', 300);
        n = answer(buf, 0, 0, 0, 1, big, sizeof big);
        CHECK(n <= sizeof buf);
        CHECK(parse_exact(buf, n, &q, &e) == 0 && e.nsid_len == PDNS__NSID_MAX);
    }
}

/* base64url for DoH GET: RFC 4648 10's vectors without padding, the URL-safe letters,
 * RFC 8484 4.1.1's example query, the cap. */
static void test_base64url(void)
{
    static const struct {
        const char *in, *out;
    } v[] = {{"", ""},           {"f", "Zg"},          {"fo", "Zm8"},         {"foo", "Zm9v"},
             {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"}};
    /* RFC 8484 4.1.1: www.example.com A, ID 0, RD */
    static const uint8_t q[] = {0x00, 0x00, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
                                0x00, 0x03, 'w',  'w',  'w',  0x07, 'e',  'x',  'a',  'm',  'p',
                                'l',  'e',  0x03, 'c',  'o',  'm',  0x00, 0x00, 0x01, 0x00, 0x01};
    static const uint8_t urlsafe[] = {0xfb, 0xff, 0xbf};
    char out[64];
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        size_t n = strlen(v[i].in);
        CHECK(pdns__base64url((const uint8_t *)v[i].in, n, out, sizeof out) == strlen(v[i].out));
        CHECK_STR(out, v[i].out);
    }
    CHECK(pdns__base64url(q, sizeof q, out, sizeof out) == 44);
    CHECK_STR(out, "AAABAAABAAAAAAAAA3d3dwdleGFtcGxlA2NvbQAAAQAB");
    CHECK(pdns__base64url(urlsafe, sizeof urlsafe, out, sizeof out) == 4);
    CHECK_STR(out, "-_-_");
    CHECK(pdns__base64url(q, sizeof q, out, 44) == 0);
    CHECK(pdns__base64url(q, sizeof q, out, 45) == 44);
}

int main(void)
{
    test_base64url();
    test_encode();
    test_encode_server_cookie();
    test_ecs_parse();
    test_parse();
    return CHECK_DONE();
}
