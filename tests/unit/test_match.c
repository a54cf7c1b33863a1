/* test_match.c - unit tests of the dns layer: the wire header accessors (dns/wire.h),
 * the query encoder (dns/query.c) and the answer matcher the UDP transport applies to
 * every datagram (dns/match.c).
 * SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "dns/match.h"
#include "dns/query.h"
#include "dns/wire.h"

#define QID 0x1234

static uint8_t qwire[PDNS__WIRE_NAME_MAX];
static size_t qwlen;

/* The query every matcher test answers: www.example.com. A, ID QID. */
static pdns__dns_query the_query(void)
{
    int n = pdns__dns_name_to_wire("www.example.com.", qwire, sizeof qwire);
    CHECK(n == 17);
    qwlen = n > 0 ? (size_t)n : 0;
    return (pdns__dns_query){.id = QID, .qtype = PDNS__TYPE_A, .qname = qwire, .qlen = qwlen};
}

/* An answer as a server builds it: header (flags, counts), then the question (a
 * presentation name, type, class), then extra bytes standing for the answer section. */
static size_t answer(uint8_t *buf, uint16_t id, uint16_t flags, uint16_t qd, uint16_t an,
                     const char *name, uint16_t type, uint16_t cls, size_t extra)
{
    size_t len = PDNS__WIRE_HDR_LEN;
    int n;
    memset(buf, 0, PDNS__WIRE_HDR_LEN);
    pdns__wire_set_id(buf, id);
    pdns__wire_set_flags(buf, flags);
    pdns__wire_set_qdcount(buf, qd);
    pdns__wire_set_ancount(buf, an);
    if (!name)
        return len;
    n = pdns__dns_name_to_wire(name, buf + len, PDNS__WIRE_NAME_MAX);
    CHECK(n > 0);
    len += (size_t)n;
    pdns__wire_write_u16(buf + len, type);
    pdns__wire_write_u16(buf + len + 2, cls);
    len += PDNS__WIRE_QFIXED;
    memset(buf + len, 0xAB, extra);
    return len + extra;
}

/* Match a copy of p[0..n) in a buffer of exactly n bytes (an over-read is a finding for
 * the sanitizers). */
static pdns__dns_match match_exact(const uint8_t *p, size_t n, const pdns__dns_query *q,
                                   pdns__dns_match_result *r)
{
    uint8_t *c = malloc(n ? n : 1);
    pdns__dns_match m;
    if (!c)
        abort();
    memcpy(c, p, n);
    m = pdns__dns_match_answer(c, n, q, r);
    free(c);
    return m;
}

#define RESP (PDNS__WIRE_QR | PDNS__WIRE_RD | PDNS__WIRE_RA) /* 0x8180 */

static void test_wire_accessors(void)
{
    uint8_t h[PDNS__WIRE_HDR_LEN] = {0};
    pdns__wire_set_id(h, 0xBEEF);
    pdns__wire_set_flags(h, 0x8000 | (2u << 11) | 0x0200 | 0x0005);
    pdns__wire_set_qdcount(h, 0x0102);
    pdns__wire_set_ancount(h, 0x0304);
    pdns__wire_set_nscount(h, 0x0506);
    pdns__wire_set_arcount(h, 0x0708);
    static const uint8_t want[PDNS__WIRE_HDR_LEN] = {0xBE, 0xEF, 0x92, 0x05, 1, 2,
                                                     3,    4,    5,    6,    7, 8};
    CHECK(memcmp(h, want, sizeof h) == 0);
    CHECK(pdns__wire_get_id(h) == 0xBEEF);
    CHECK(pdns__wire_get_flags(h) == 0x9205);
    CHECK(pdns__wire_get_qdcount(h) == 0x0102);
    CHECK(pdns__wire_get_ancount(h) == 0x0304);
    CHECK(pdns__wire_get_nscount(h) == 0x0506);
    CHECK(pdns__wire_get_arcount(h) == 0x0708);
    CHECK(pdns__wire_get_qr(h) == 1);
    CHECK(pdns__wire_get_opcode(h) == 2);
    CHECK(pdns__wire_get_tc(h) == 1);
    CHECK(pdns__wire_get_rcode(h) == PDNS__RCODE_REFUSED);
    pdns__wire_set_flags(h, PDNS__WIRE_RD);
    CHECK(h[2] == 0x01 && h[3] == 0x00);
    CHECK(pdns__wire_get_qr(h) == 0 && pdns__wire_get_tc(h) == 0 && pdns__wire_get_rcode(h) == 0);
    for (int rc = -1; rc <= 23; rc++)
        CHECK(pdns__rcode_server_failure(rc) == (rc == 2 || rc == 5));
}

/* Encode name; expect the wire bytes want[0..wlen), or rejection when want is NULL. */
static void enc(const char *name, const char *want, size_t wlen)
{
    uint8_t out[PDNS__WIRE_NAME_MAX + 8];
    int n = pdns__dns_name_to_wire(name, out, sizeof out);
    if (!want) {
        CHECK(n == -1);
        if (n != -1)
            fprintf(stderr, "  accepted: \"%s\"\n", name);
        return;
    }
    CHECK(n == (int)wlen && memcmp(out, want, wlen) == 0);
    if (n != (int)wlen)
        fprintf(stderr, "  \"%s\": length %d, want %zu\n", name, n, wlen);
}

#define ENC(name, lit) enc((name), (lit), sizeof(lit) - 1)

/* A name of labels of the given lengths (letters), with a trailing dot. */
static void make_name(char *buf, const int *lens, size_t n)
{
    char *p = buf;
    for (size_t i = 0; i < n; i++) {
        memset(p, 'a' + (int)i, (size_t)lens[i]);
        p += lens[i];
        *p++ = '.';
    }
    *p = '\0';
}

static void test_encoder(void)
{
    char name[1100];
    uint8_t out[PDNS__WIRE_NAME_MAX + 8];

    ENC("www.example.com.", "\3www\7example\3com\0");
    ENC("www.example.com", "\3www\7example\3com\0");  /* the root is implied */
    ENC("WwW.Example.COM.", "\3WwW\7Example\3COM\0"); /* case kept as given */
    ENC(".", "\0");
    ENC("a.", "\1a\0");
    /* escapes: "\." and "\\" are label bytes; "\DDD" is one octet (000..255) */
    ENC("a\\.b.c.", "\3a.b\1c\0");
    ENC("a\\\\b.", "\3a\\b\0");
    ENC("\\065bc.", "\3Abc\0");
    ENC("\\000\\255.", "\2\0\377\0");
    ENC("a\\ b.", "\3a b\0");
    ENC("\\.", "\1.\0");
    enc("", NULL, 0);
    enc("a..b.", NULL, 0);
    enc(".a.", NULL, 0);
    enc("a..", NULL, 0);
    enc("..", NULL, 0);
    enc("\\256.", NULL, 0);
    enc("\\999.", NULL, 0);
    enc("a\\", NULL, 0);
    enc("a.\\", NULL, 0);

    /* labels: 63 octets fit, 64 do not; "\DDD" counts as one octet */
    make_name(name, (int[]){63}, 1);
    CHECK(pdns__dns_name_to_wire(name, out, sizeof out) == 65 && out[0] == 63 && out[64] == 0);
    make_name(name, (int[]){64}, 1);
    enc(name, NULL, 0);
    name[0] = '\0';
    for (int i = 0; i < 63; i++)
        strcat(name, "\\065");
    strcat(name, ".");
    CHECK(pdns__dns_name_to_wire(name, out, sizeof out) == 65 && out[1] == 'A' && out[63] == 'A');
    strcat(name, "\\065"); /* a second label: still fine */
    CHECK(pdns__dns_name_to_wire(name, out, sizeof out) == 67);
    name[0] = '\0';
    for (int i = 0; i < 64; i++)
        strcat(name, "\\065");
    enc(name, NULL, 0);

    /* names: 255 wire octets fit (63+63+63+61 and four length bytes and the root), 256
     * do not */
    make_name(name, (int[]){63, 63, 63, 61}, 4);
    CHECK(pdns__dns_name_to_wire(name, out, sizeof out) == 255 && out[254] == 0);
    make_name(name, (int[]){63, 63, 63, 62}, 4);
    enc(name, NULL, 0);
    make_name(name, (int[]){63, 63, 63, 61, 1}, 5);
    enc(name, NULL, 0);

    /* the buffer's size is honoured: 17 octets need cap 17 */
    CHECK(pdns__dns_name_to_wire("www.example.com.", out, 16) == -1);
    CHECK(pdns__dns_name_to_wire("www.example.com.", out, 17) == 17);
    CHECK(pdns__dns_name_to_wire(".", out, 1) == 1);
    CHECK(pdns__dns_name_to_wire(".", out, 0) == -1);
    CHECK(pdns__dns_name_to_wire("a.", out, 2) == -1);
    CHECK(pdns__dns_name_to_wire(NULL, out, sizeof out) == -1);
}

/* The encoder as it was, one byte at a time: the reference for test_encoder_same. */
static int ref_name_to_wire(const char *name, uint8_t *out, size_t cap)
{
    size_t o = 0;
    const char *p = name;
    if (!name || !out || cap == 0 || !*name)
        return -1;
    if (!strcmp(name, ".")) {
        out[0] = 0;
        return 1;
    }
    while (*p) {
        size_t lenpos = o++;
        int len = 0;
        if (o >= cap)
            return -1;
        while (*p && *p != '.') {
            int c = (unsigned char)*p++;
            if (c == '\\') {
                if (p[0] >= '0' && p[0] <= '9' && p[1] >= '0' && p[1] <= '9' && p[2] >= '0' &&
                    p[2] <= '9') {
                    c = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
                    p += 3;
                    if (c > 255)
                        return -1;
                } else if (*p) {
                    c = (unsigned char)*p++;
                } else {
                    return -1;
                }
            }
            if (o >= cap || ++len > PDNS__WIRE_LABEL_MAX)
                return -1;
            out[o++] = (uint8_t)c;
        }
        if (len == 0)
            return -1;
        out[lenpos] = (uint8_t)len;
        if (*p == '.')
            p++;
    }
    if (o >= cap)
        return -1;
    out[o++] = 0;
    return o > PDNS__WIRE_NAME_MAX ? -1 : (int)o;
}

/* The encoder (plain runs copied whole) gives what the byte-at-a-time one gave, for
 * 50,000 pseudo-random names of up to 300 bytes drawn from letters, dots, escapes and
 * digits, at buffer sizes around the result (and nothing written past the size). */
static void test_encoder_same(void)
{
    static const char alphabet[] = "ab.\\0129x.";
    uint32_t seed = 12345;
    int bad = 0;
    for (int k = 0; k < 50000 && !bad; k++) {
        char name[320];
        uint8_t a[300], b[300];
        size_t n;
        seed = seed * 1103515245u + 12345u;
        n = (seed >> 8) % 300;
        for (size_t i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            /* mostly long plain runs, so that label and name limits are reached */
            name[i] = (seed >> 24) % 8 ? 'a' + (char)((seed >> 16) % 3)
                                       : alphabet[(seed >> 16) % (sizeof alphabet - 1)];
        }
        name[n] = '\0';
        int want = ref_name_to_wire(name, a, sizeof a);
        for (size_t cap = want > 2 ? (size_t)want - 2 : 0; cap < sizeof b; cap += 1 + cap / 8) {
            int ra, rb;
            memset(b, 0xee, sizeof b); /* nothing is written past cap */
            ra = ref_name_to_wire(name, a, cap);
            rb = pdns__dns_name_to_wire(name, b, cap);
            int past = 0;
            for (size_t i = cap; i < sizeof b; i++)
                past |= b[i] != 0xee;
            if (ra != rb || (ra > 0 && memcmp(a, b, (size_t)ra) != 0) || past) {
                fprintf(stderr, "encoder differs on \"%s\" (cap %zu): %d vs %d\n", name, cap, rb,
                        ra);
                bad = 1;
                break;
            }
        }
    }
    CHECK(!bad);
}

static void test_query_encode(void)
{
    uint8_t pkt[PDNS__DNS_QUERY_MAX], qn[PDNS__WIRE_NAME_MAX];
    char name[300];
    static const uint8_t want[] = {
        0xBE, 0xEF, 0x01, 0x00, 0,    1, 0, 0, 0, 0, 0, 1, /* ID, RD, QD 1, AR 1 */
        1,    'a',  0,    0,    28,   0, 1,                /* a. AAAA IN */
        0,    0,    41,   0x04, 0xD0, 0, 0, 0, 0, 0, 0,    /* OPT, 1232, no flags, no rdata */
    };
    int n = pdns__dns_name_to_wire("a.", qn, sizeof qn);
    CHECK(n == 3);
    CHECK(pdns__dns_query_encode(pkt, sizeof pkt, 0xBEEF, qn, 3, PDNS__TYPE_AAAA, 1232) ==
          sizeof want);
    CHECK(memcmp(pkt, want, sizeof want) == 0);
    CHECK(pdns__dns_query_encode(pkt, sizeof want - 1, 0xBEEF, qn, 3, PDNS__TYPE_AAAA, 1232) == 0);
    CHECK(pdns__dns_query_encode(pkt, sizeof pkt, 0xBEEF, qn, 0, PDNS__TYPE_AAAA, 1232) == 0);

    /* the longest name fits PDNS__DNS_QUERY_MAX exactly */
    make_name(name, (int[]){63, 63, 63, 61}, 4);
    n = pdns__dns_name_to_wire(name, qn, sizeof qn);
    CHECK(n == 255);
    CHECK(pdns__dns_query_encode(pkt, sizeof pkt, 7, qn, 255, PDNS__TYPE_TXT, 512) ==
          PDNS__DNS_QUERY_MAX);

    /* a query echoed with QR set is the answer to itself */
    pdns__dns_query q = {.id = 7, .qtype = PDNS__TYPE_TXT, .qname = qn, .qlen = 255};
    pdns__wire_set_flags(pkt, PDNS__WIRE_QR | PDNS__WIRE_RD);
    pdns__dns_match_result r;
    CHECK(match_exact(pkt, PDNS__DNS_QUERY_MAX, &q, &r) == PDNS__MATCH_ANSWER);
    CHECK(r.qend == PDNS__WIRE_HDR_LEN + 255 + PDNS__WIRE_QFIXED);
}

static void test_match_answer(void)
{
    pdns__dns_query q = the_query();
    pdns__dns_match_result r;
    uint8_t b[600];
    size_t n;

    /* NOERROR with 2 answers (the section itself is not the matcher's business) */
    n = answer(b, QID, RESP, 1, 2, "www.example.com.", PDNS__TYPE_A, PDNS__CLASS_IN, 40);
    CHECK(match_exact(b, n, &q, &r) == PDNS__MATCH_ANSWER);
    CHECK(r.id == QID && r.qdcount == 1 && r.ancount == 2 && r.rcode == 0 && r.tc == 0);
    CHECK(r.flags == RESP && r.opcode == PDNS__OPCODE_QUERY);
    CHECK(r.qend == PDNS__WIRE_HDR_LEN + 17 + PDNS__WIRE_QFIXED);
    CHECK(r.why == NULL);
    CHECK_STR(pdns__dns_match_name(PDNS__MATCH_ANSWER), "answer");
    CHECK(pdns__dns_match_answer(b, n, &q, NULL) == PDNS__MATCH_ANSWER);

    /* rcodes other than the header-only ones are answers too, with the question */
    n = answer(b, QID, RESP | PDNS__RCODE_NXDOMAIN, 1, 0, "www.example.com.", PDNS__TYPE_A,
               PDNS__CLASS_IN, 0);
    CHECK(match_exact(b, n, &q, &r) == PDNS__MATCH_ANSWER && r.rcode == PDNS__RCODE_NXDOMAIN);
    n = answer(b, QID, RESP | PDNS__RCODE_SERVFAIL, 1, 0, "www.example.com.", PDNS__TYPE_A,
               PDNS__CLASS_IN, 0);
    CHECK(match_exact(b, n, &q, &r) == PDNS__MATCH_ANSWER && r.rcode == PDNS__RCODE_SERVFAIL);
    n = answer(b, QID, RESP | 0x000B, 1, 0, "www.example.com.", PDNS__TYPE_A, PDNS__CLASS_IN, 0);
    CHECK(match_exact(b, n, &q, &r) == PDNS__MATCH_ANSWER && r.rcode == 11);

    /* TC: an answer, flagged */
    n = answer(b, QID, RESP | PDNS__WIRE_TC, 1, 0, "www.example.com.", PDNS__TYPE_A, PDNS__CLASS_IN,
               0);
    CHECK(match_exact(b, n, &q, &r) == PDNS__MATCH_ANSWER && r.tc == 1 && r.rcode == 0);

    /* the name compares case-insensitively (RFC 4343) */
    n = answer(b, QID, RESP, 1, 1, "WWW.eXample.COM.", PDNS__TYPE_A, PDNS__CLASS_IN, 16);
    CHECK(match_exact(b, n, &q, &r) == PDNS__MATCH_ANSWER);

    /* the opcode is reported, not checked (as before the move) */
    n = answer(b, QID, RESP | (2u << PDNS__WIRE_OPCODE_SHIFT), 1, 0, "www.example.com.",
               PDNS__TYPE_A, PDNS__CLASS_IN, 0);
    CHECK(match_exact(b, n, &q, &r) == PDNS__MATCH_ANSWER && r.opcode == 2);
}

static void test_match_not_ours(void)
{
    pdns__dns_query q = the_query();
    pdns__dns_match_result r;
    uint8_t b[600];
    size_t n;

    /* another ID, even one bit off */
    n = answer(b, QID ^ 1, RESP, 1, 0, "www.example.com.", PDNS__TYPE_A, PDNS__CLASS_IN, 0);
    CHECK(match_exact(b, n, &q, &r) == PDNS__MATCH_OTHER_ID && r.id == (QID ^ 1));
    n = answer(b, QID ^ 0x8000, RESP, 1, 0, "www.example.com.", PDNS__TYPE_A, PDNS__CLASS_IN, 0);
    CHECK(match_exact(b, n, &q, &r) == PDNS__MATCH_OTHER_ID);

    /* QR not set: a query (e.g. our own, reflected) */
    n = answer(b, QID, PDNS__WIRE_RD, 1, 0, "www.example.com.", PDNS__TYPE_A, PDNS__CLASS_IN, 0);
    CHECK(match_exact(b, n, &q, &r) == PDNS__MATCH_NOT_RESPONSE);
    n = answer(b, QID, PDNS__WIRE_RD | PDNS__RCODE_SERVFAIL, 0, 0, NULL, 0, 0, 0);
    CHECK(match_exact(b, n, &q, &r) == PDNS__MATCH_NOT_RESPONSE);

    /* QDCOUNT 2 (even with our question first), QDCOUNT 0 with NOERROR or NXDOMAIN */
    n = answer(b, QID, RESP, 2, 0, "www.example.com.", PDNS__TYPE_A, PDNS__CLASS_IN, 0);
    CHECK(match_exact(b, n, &q, &r) == PDNS__MATCH_QDCOUNT && r.qdcount == 2);
    n = answer(b, QID, RESP, 0xFFFF, 0, "www.example.com.", PDNS__TYPE_A, PDNS__CLASS_IN, 0);
    CHECK(match_exact(b, n, &q, &r) == PDNS__MATCH_QDCOUNT);
    n = answer(b, QID, RESP, 0, 0, NULL, 0, 0, 0);
    CHECK(match_exact(b, n, &q, &r) == PDNS__MATCH_QDCOUNT);
    n = answer(b, QID, RESP | PDNS__RCODE_NXDOMAIN, 0, 0, NULL, 0, 0, 0);
    CHECK(match_exact(b, n, &q, &r) == PDNS__MATCH_QDCOUNT);
    /* QDCOUNT 0 but records: no header-only error */
    n = answer(b, QID, RESP | PDNS__RCODE_SERVFAIL, 0, 1, NULL, 0, 0, 0);
    CHECK(match_exact(b, n, &q, &r) == PDNS__MATCH_QDCOUNT);

    /* another question: name, type, class */
    n = answer(b, QID, RESP, 1, 0, "www.example.org.", PDNS__TYPE_A, PDNS__CLASS_IN, 0);
    CHECK(match_exact(b, n, &q, &r) == PDNS__MATCH_OTHER_QUESTION);
    n = answer(b, QID, RESP, 1, 0, "www.example.com.x.", PDNS__TYPE_A, PDNS__CLASS_IN, 0);
    CHECK(match_exact(b, n, &q, &r) == PDNS__MATCH_OTHER_QUESTION);
    n = answer(b, QID, RESP, 1, 0, "example.com.", PDNS__TYPE_A, PDNS__CLASS_IN, 0);
    CHECK(match_exact(b, n, &q, &r) == PDNS__MATCH_OTHER_QUESTION);
    n = answer(b, QID, RESP, 1, 0, ".", PDNS__TYPE_A, PDNS__CLASS_IN, 0);
    CHECK(match_exact(b, n, &q, &r) == PDNS__MATCH_OTHER_QUESTION);
    /* same letters, other label split: \3www\7example\3com vs \7www.exa... */
    n = answer(b, QID, RESP, 1, 0, "www\\.example.com.", PDNS__TYPE_A, PDNS__CLASS_IN, 0);
    CHECK(match_exact(b, n, &q, &r) == PDNS__MATCH_OTHER_QUESTION);
    n = answer(b, QID, RESP, 1, 0, "www.example.com.", PDNS__TYPE_AAAA, PDNS__CLASS_IN, 0);
    CHECK(match_exact(b, n, &q, &r) == PDNS__MATCH_OTHER_QUESTION);
    n = answer(b, QID, RESP, 1, 0, "www.example.com.", PDNS__TYPE_A + 256, PDNS__CLASS_IN, 0);
    CHECK(match_exact(b, n, &q, &r) == PDNS__MATCH_OTHER_QUESTION);
    n = answer(b, QID, RESP, 1, 0, "www.example.com.", PDNS__TYPE_A, PDNS__CLASS_CH, 0);
    CHECK(match_exact(b, n, &q, &r) == PDNS__MATCH_OTHER_QUESTION);
    n = answer(b, QID, RESP, 1, 0, "www.example.com.", PDNS__TYPE_A, PDNS__CLASS_ANY, 0);
    CHECK(match_exact(b, n, &q, &r) == PDNS__MATCH_OTHER_QUESTION);
    CHECK(r.why == NULL && r.qend == 0);
}

/* Only ASCII letters fold: '@' (0x40) is not '`' (0x60), '[' is not '{'. */
static void test_case_folding(void)
{
    uint8_t a[PDNS__WIRE_NAME_MAX], b[PDNS__WIRE_NAME_MAX];
    int na, nb;
    static const char *const pairs[][3] = {
        /* name, other, equal? ("y"/"n") */
        {"AbC.", "aBc.", "y"}, {"zZ.", "Zz.", "y"},       {"@.", "`.", "n"},
        {"[.", "{.", "n"},     {"\\193.", "\\225.", "n"}, /* Á vs á: bytes, not ASCII */
        {"a-b.", "A-B.", "y"}, {"a.b.", "ab.", "n"},      {"\\000.", "\\032.", "n"},
    };
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        na = pdns__dns_name_to_wire(pairs[i][0], a, sizeof a);
        nb = pdns__dns_name_to_wire(pairs[i][1], b, sizeof b);
        CHECK(na > 0 && nb > 0);
        CHECK(pdns__dns_wname_equal(a, (size_t)na, b, (size_t)nb) == (pairs[i][2][0] == 'y'));
    }
}

static void test_header_only(void)
{
    pdns__dns_query q = the_query();
    pdns__dns_match_result r;
    uint8_t b[64];
    size_t n;
    static const struct {
        int rcode;
        const char *why;
    } errs[] = {
        {PDNS__RCODE_FORMERR, "FORMERR answer without the question"},
        {PDNS__RCODE_SERVFAIL, "SERVFAIL answer without the question"},
        {PDNS__RCODE_NOTIMP, "NOTIMP answer without the question"},
        {PDNS__RCODE_REFUSED, "REFUSED answer without the question"},
    };
    for (size_t i = 0; i < sizeof errs / sizeof errs[0]; i++) {
        n = answer(b, QID, (uint16_t)(PDNS__WIRE_QR | errs[i].rcode), 0, 0, NULL, 0, 0, 0);
        CHECK(n == PDNS__WIRE_HDR_LEN);
        CHECK(match_exact(b, n, &q, &r) == PDNS__MATCH_HEADER_ERROR);
        CHECK(r.rcode == errs[i].rcode);
        CHECK_STR(r.why, errs[i].why);
        /* trailing bytes change nothing; another ID still is not ours */
        n = answer(b, QID, (uint16_t)(PDNS__WIRE_QR | errs[i].rcode), 0, 0, NULL, 0, 0, 0);
        memset(b + n, 0, 11);
        CHECK(match_exact(b, n + 11, &q, &r) == PDNS__MATCH_HEADER_ERROR);
        pdns__wire_set_id(b, QID + 1);
        CHECK(match_exact(b, n, &q, &r) == PDNS__MATCH_OTHER_ID);
    }
}

static void test_question_shape(void)
{
    pdns__dns_query q = the_query();
    pdns__dns_match_result r;
    uint8_t b[600];
    size_t n, full;

    /* a compression pointer to the header, or to a copy of our name further on */
    n = answer(b, QID, RESP, 1, 0, NULL, 0, 0, 0);
    b[n++] = 0xC0;
    b[n++] = 0x0C;
    pdns__wire_write_u16(b + n, PDNS__TYPE_A);
    pdns__wire_write_u16(b + n + 2, PDNS__CLASS_IN);
    n += 4;
    CHECK(match_exact(b, n, &q, &r) == PDNS__MATCH_COMPRESSED);
    /* a pointer after a first label */
    n = answer(b, QID, RESP, 1, 0, NULL, 0, 0, 0);
    memcpy(b + n, "\3www\xC0\x20\0\1\0\1", 10);
    CHECK(match_exact(b, n + 10, &q, &r) == PDNS__MATCH_COMPRESSED);
    /* the reserved label types 01 and 10 */
    n = answer(b, QID, RESP, 1, 0, NULL, 0, 0, 0);
    memcpy(b + n,
           "\x41"
           "a\0\0\1\0\1",
           7);
    CHECK(match_exact(b, n + 7, &q, &r) == PDNS__MATCH_COMPRESSED);
    b[n] = 0x81;
    CHECK(match_exact(b, n + 7, &q, &r) == PDNS__MATCH_COMPRESSED);

    /* every cut of a good answer: shorter than a header, then a cut question */
    full = answer(b, QID, RESP, 1, 0, "www.example.com.", PDNS__TYPE_A, PDNS__CLASS_IN, 0);
    CHECK(match_exact(b, full, &q, &r) == PDNS__MATCH_ANSWER);
    for (size_t len = 0; len < full; len++) {
        pdns__dns_match m = match_exact(b, len, &q, &r);
        CHECK(m == (len < PDNS__WIRE_HDR_LEN ? PDNS__MATCH_SHORT : PDNS__MATCH_QUESTION_CUT));
        if (m != (len < PDNS__WIRE_HDR_LEN ? PDNS__MATCH_SHORT : PDNS__MATCH_QUESTION_CUT))
            fprintf(stderr, "  cut at %zu: %s\n", len, pdns__dns_match_name(m));
    }
    CHECK(pdns__dns_match_answer(b, 0, &q, NULL) == PDNS__MATCH_SHORT);

    /* a label length that runs past the end */
    n = answer(b, QID, RESP, 1, 0, NULL, 0, 0, 0);
    memcpy(b + n, "\x3fwww", 4);
    CHECK(match_exact(b, n + 4, &q, &r) == PDNS__MATCH_QUESTION_CUT);
    /* a name with no root label before the end */
    n = answer(b, QID, RESP, 1, 0, NULL, 0, 0, 0);
    memcpy(b + n, "\3www\7example\3com", 16);
    CHECK(match_exact(b, n + 16, &q, &r) == PDNS__MATCH_QUESTION_CUT);
    /* a name longer than any we send: another question, not a crash */
    n = answer(b, QID, RESP, 1, 0, NULL, 0, 0, 0);
    for (int i = 0; i < 5; i++) {
        b[n++] = 63;
        memset(b + n, 'x', 63);
        n += 63;
    }
    b[n++] = 0;
    memcpy(b + n, "\0\1\0\1", 4);
    CHECK(match_exact(b, n + 4, &q, &r) == PDNS__MATCH_OTHER_QUESTION);
}

static void test_names(void)
{
    for (int m = 0; m < PDNS__MATCH_N_VERDICTS; m++)
        CHECK(strcmp(pdns__dns_match_name((pdns__dns_match)m), "unknown verdict") != 0);
    CHECK_STR(pdns__dns_match_name(PDNS__MATCH_N_VERDICTS), "unknown verdict");
}

int main(void)
{
    test_encoder_same();
    test_wire_accessors();
    test_encoder();
    test_query_encode();
    test_match_answer();
    test_match_not_ours();
    test_case_folding();
    test_header_only();
    test_question_shape();
    test_names();
    return CHECK_DONE();
}
