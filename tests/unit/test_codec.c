/* test_codec.c - unit tests of the libknot codec (dns/codec.c): records as text, the
 * extended rcode from OPT, malformed answers, the in-place parse giving the datagram
 * back, reuse of one codec over many answers and its buffers growing for big ones.
 * Pure: links pacedns_core (libknot) alone.
 * SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include <libknot/descriptor.h>
#include <libknot/rrset-dump.h>
#include <libknot/rrset.h>

#include "check.h"
#include "dns/codec.h"
#include "dns/query.h"
#include "dns/wire.h"

/* ---- a small message builder ------------------------------------------------------ */
typedef struct msg {
    uint8_t b[65535];
    size_t n;
} msg;

static void put(msg *m, const void *p, size_t n)
{
    memcpy(m->b + m->n, p, n);
    m->n += n;
}

static void put16(msg *m, uint16_t v)
{
    uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    put(m, b, 2);
}

static void put32(msg *m, uint32_t v)
{
    put16(m, (uint16_t)(v >> 16));
    put16(m, (uint16_t)v);
}

/* Header and the question "www.example.com. A IN" (ends at offset 33). */
static void start(msg *m, uint16_t flags, uint16_t an, uint16_t ns, uint16_t ar)
{
    uint8_t q[PDNS__WIRE_NAME_MAX];
    int l = pdns__dns_name_to_wire("www.example.com.", q, sizeof q);
    m->n = 0;
    put16(m, 0x1234);
    put16(m, flags);
    put16(m, 1);
    put16(m, an);
    put16(m, ns);
    put16(m, ar);
    put(m, q, (size_t)l);
    put16(m, PDNS__TYPE_A);
    put16(m, 1);
}

/* One record owned by the question name (pointer C0 0C). */
static void rr(msg *m, uint16_t type, uint32_t ttl, const void *rd, uint16_t rdlen)
{
    put16(m, 0xc00c);
    put16(m, type);
    put16(m, 1);
    put32(m, ttl);
    put16(m, rdlen);
    put(m, rd, rdlen);
}

/* An OPT record: CLASS (the UDP payload size) cls, extended rcode ext_rcode, and
 * rdlen bytes of rdata (zeros: option code 0 of length 0 when 4). */
static void opt_class(msg *m, uint16_t cls, uint8_t ext_rcode, uint16_t rdlen)
{
    uint8_t root = 0, zero[8] = {0};
    put(m, &root, 1);
    put16(m, PDNS__TYPE_OPT);
    put16(m, cls);
    uint8_t ttl[4] = {ext_rcode, 0, 0, 0};
    put(m, ttl, 4);
    put16(m, rdlen);
    put(m, zero, rdlen);
}

static void opt(msg *m, uint8_t ext_rcode)
{
    opt_class(m, 1232, ext_rcode, 0);
}

static const uint8_t A1[4] = {192, 0, 2, 1};
static const uint8_t NS1[] = {3, 'n', 's', '1', 0xc0, 0x10}; /* ns1.example.com. */

static pdns__codec_status decode(pdns__codec *c, msg *m, pdns__codec_answer *a)
{
    static uint8_t copy[65535];
    pdns__codec_status st;
    memcpy(copy, m->b, m->n);
    st = pdns__codec_decode(c, m->b, m->n, a);
    CHECK(memcmp(copy, m->b, m->n) == 0); /* the datagram is given back */
    return st;
}

static void test_answer_with_glue(pdns__codec *c)
{
    msg m;
    pdns__codec_answer a;
    start(&m, 0x8180, 1, 1, 2);
    rr(&m, PDNS__TYPE_A, 300, A1, 4);
    rr(&m, PDNS__TYPE_NS, 3600, NS1, sizeof NS1);
    rr(&m, PDNS__TYPE_A, 3600, A1, 4);
    opt(&m, 0);
    CHECK(decode(c, &m, &a) == PDNS__CODEC_OK);
    CHECK(a.rcode == 0 && a.tc == 0 && a.edns == 1);
    CHECK(a.n_rr == 1);
    if (a.n_rr == 1) {
        CHECK_STR(a.rr[0].name, "www.example.com.");
        CHECK_STR(a.rr[0].data, "192.0.2.1");
        CHECK(a.rr[0].type == PDNS__TYPE_A && a.rr[0].ttl == 300);
    }
}

static void test_extended_rcode(pdns__codec *c)
{
    msg m;
    pdns__codec_answer a;
    /* BADVERS: header rcode 0, OPT's extended bits 1 (after an authority record) */
    start(&m, 0x8180, 0, 1, 1);
    rr(&m, PDNS__TYPE_NS, 60, NS1, sizeof NS1);
    opt(&m, 1);
    CHECK(pdns__codec_rcode(c, m.b, m.n, 0, &a) == PDNS__CODEC_OK);
    CHECK(a.rcode == PDNS__RCODE_BADVERS && a.edns);
    CHECK(pdns__codec_rcode(c, m.b, m.n, 33, &a) == PDNS__CODEC_OK); /* question end given */
    CHECK(a.rcode == PDNS__RCODE_BADVERS);
    CHECK(decode(c, &m, &a) == PDNS__CODEC_OK && a.rcode == PDNS__RCODE_BADVERS);
    /* BADCOOKIE: header rcode 7 (YXRRSET), extended bits 1 */
    start(&m, 0x8187, 1, 0, 1);
    rr(&m, PDNS__TYPE_A, 60, A1, 4);
    opt(&m, 1);
    CHECK(decode(c, &m, &a) == PDNS__CODEC_OK && a.rcode == PDNS__RCODE_BADCOOKIE);
    CHECK(a.n_rr == 1);
    /* the OPT record as libknot's parser reads it: any payload size, any rdata, but an
     * empty one in class 1 (IN) is refused (knot_rrset_rr_from_wire) */
    for (int k = 0; k < 4; k++) {
        /* not 192.x: a C0 byte before a small one sends the decode to the full parse */
        static const uint8_t a2[4] = {198, 51, 100, 7};
        uint16_t cls = k < 2 ? 1 : 512;
        uint16_t rdlen = k % 2 ? 4 : 0;
        int ok = !(cls == 1 && rdlen == 0);
        start(&m, 0x8180, 1, 1, 2);
        rr(&m, PDNS__TYPE_A, 60, a2, 4);
        rr(&m, PDNS__TYPE_NS, 60, NS1, sizeof NS1);
        rr(&m, PDNS__TYPE_A, 60, a2, 4);
        opt_class(&m, cls, 1, rdlen);
        CHECK(decode(c, &m, &a) == (ok ? PDNS__CODEC_OK : PDNS__CODEC_MALFORMED));
        CHECK(!ok || (a.rcode == PDNS__RCODE_BADVERS && a.edns && a.n_rr == 1));
        /* the header-only path (it walks the answer section too) */
        CHECK(pdns__codec_rcode(c, m.b, m.n, 0, &a) ==
              (ok ? PDNS__CODEC_OK : PDNS__CODEC_MALFORMED));
        CHECK(!ok || (a.rcode == PDNS__RCODE_BADVERS && a.edns));
    }
    /* no OPT: the header's rcode */
    start(&m, 0x8183, 0, 0, 0);
    CHECK(pdns__codec_rcode(c, m.b, m.n, 0, &a) == PDNS__CODEC_OK && a.rcode == 3 && !a.edns);
}

static void test_malformed(pdns__codec *c)
{
    msg m;
    pdns__codec_answer a;
    /* the answer section cut inside its record */
    start(&m, 0x8180, 1, 0, 0);
    rr(&m, PDNS__TYPE_A, 60, A1, 4);
    m.n -= 2;
    CHECK(decode(c, &m, &a) == PDNS__CODEC_MALFORMED && a.n_rr == 0 && a.why);
    /* an A record of 3 bytes */
    start(&m, 0x8180, 1, 0, 0);
    rr(&m, PDNS__TYPE_A, 60, A1, 3);
    CHECK(decode(c, &m, &a) == PDNS__CODEC_MALFORMED);
    /* a CNAME with empty rdata (libknot alone accepts it) */
    start(&m, 0x8180, 1, 0, 0);
    rr(&m, PDNS__TYPE_CNAME, 60, "", 0);
    CHECK(decode(c, &m, &a) == PDNS__CODEC_MALFORMED);
    /* ... but an unknown type's empty rdata is \# 0 */
    start(&m, 0x8180, 1, 0, 0);
    rr(&m, 65280, 60, "", 0);
    CHECK(decode(c, &m, &a) == PDNS__CODEC_OK && a.n_rr == 1 && !strcmp(a.rr[0].data, "\\# 0"));
    /* the additional section cut: the OPT record runs past the end */
    start(&m, 0x8180, 1, 0, 1);
    rr(&m, PDNS__TYPE_A, 60, A1, 4);
    opt(&m, 0);
    m.n -= 3;
    CHECK(decode(c, &m, &a) == PDNS__CODEC_MALFORMED);
    CHECK(pdns__codec_rcode(c, m.b, m.n, 0, &a) == PDNS__CODEC_MALFORMED);
    /* shorter than a header */
    CHECK(pdns__codec_decode(c, m.b, 11, &a) == PDNS__CODEC_MALFORMED);
    CHECK(pdns__codec_rcode(c, m.b, 11, 0, &a) == PDNS__CODEC_MALFORMED);
    /* an NSEC3 with rdata libknot's printer reads past: RFC 3597 form, no crash */
    start(&m, 0x8180, 1, 0, 0);
    rr(&m, 50, 60, "\x08say \"hi\"", 9);
    CHECK(decode(c, &m, &a) == PDNS__CODEC_OK && a.n_rr == 1 &&
          !strcmp(a.rr[0].data, "\\# 9 087361792022686922"));
}

static void test_text_forms(pdns__codec *c)
{
    msg m;
    pdns__codec_answer a;
    static const uint8_t v6[16] = {0, 0, 0, 0, 0, 0x40, 0, 0, 0, 0, 0xff, 0xff, 0xa, 0, 0, 1};
    static const uint8_t caa[] = {0, 5, 'i', 's', 's', 'u', 'e', 'c', 'a', '.', 'n', 'e', 't'};
    start(&m, 0x8180, 3, 0, 0);
    rr(&m, PDNS__TYPE_AAAA, 60, v6, 16);
    rr(&m, 257, 60, caa, sizeof caa);
    rr(&m, PDNS__TYPE_TXT, 60,
       "\x05"
       "a\tb\"c",
       6);
    CHECK(decode(c, &m, &a) == PDNS__CODEC_OK && a.n_rr == 3);
    if (a.n_rr == 3) {
        CHECK_STR(a.rr[0].data, "::40:0:0:ffff:a00:1"); /* RFC 5952: the first run */
        CHECK_STR(a.rr[1].data, "0 issue \"ca.net\"");  /* no trailing blank */
        CHECK_STR(a.rr[2].data, "\"a\\009b\\\"c\"");    /* control bytes as \DDD */
    }
}

/* A big answer: 230 TXT records of 255 bytes (about 63 KB) grow the text buffer and
 * the arena past their first sizes; then small answers reuse them. */
static void test_growth_and_reuse(pdns__codec *c)
{
    msg m;
    pdns__codec_answer a;
    uint8_t txt[256];
    txt[0] = 255;
    start(&m, 0x8180, 230, 0, 0);
    for (int i = 0; i < 230; i++) {
        memset(txt + 1, 'a' + i % 26, 255);
        rr(&m, PDNS__TYPE_TXT, (uint32_t)i, txt, sizeof txt);
    }
    CHECK(decode(c, &m, &a) == PDNS__CODEC_OK && a.n_rr == 230);
    for (size_t i = 0; i < a.n_rr; i++) {
        CHECK(strlen(a.rr[i].data) == 257 && a.rr[i].data[1] == 'a' + (int)i % 26 &&
              a.rr[i].ttl == i);
        CHECK_STR(a.rr[i].name, "www.example.com.");
    }
    for (int k = 0; k < 20000; k++) {
        start(&m, 0x8180, 1, 1, 1);
        uint8_t ip[4] = {10, (uint8_t)(k >> 16), (uint8_t)(k >> 8), (uint8_t)k};
        char want[32];
        rr(&m, PDNS__TYPE_A, (uint32_t)k, ip, 4);
        rr(&m, PDNS__TYPE_NS, 60, NS1, sizeof NS1);
        opt(&m, 0);
        snprintf(want, sizeof want, "10.%d.%d.%d", ip[1], ip[2], ip[3]);
        if (decode(c, &m, &a) != PDNS__CODEC_OK || a.n_rr != 1 || strcmp(a.rr[0].data, want) ||
            a.rr[0].ttl != (uint32_t)k) {
            CHECK(!"reused codec gave another text");
            break;
        }
    }
}

/* libknot's own text for the A rdata ip, printed on its own (outside an answer). */
static void knot_a_text(const uint8_t ip[4], char *out, size_t cap)
{
    static const uint8_t owner[] = {0};
    knot_dump_style_t style = KNOT_DUMP_STYLE_DEFAULT;
    knot_rrset_t rrs;
    knot_rrset_init(&rrs, (knot_dname_t *)owner, KNOT_RRTYPE_A, KNOT_CLASS_IN, 60);
    style.wrap = style.show_class = style.show_ttl = false;
    out[0] = '\0';
    if (knot_rrset_add_rdata(&rrs, ip, 4, NULL) != KNOT_EOK ||
        knot_rrset_txt_dump_data(&rrs, 0, out, cap, &style) < 0)
        snprintf(out, cap, "(libknot failed)");
    knot_rdataset_clear(&rrs.rrs, NULL); /* the owner is static */
}

/* A records: the codec's text equals libknot's printer's for every octet value in every
 * position (the others varied too), in answers of one record and of four. */
static void test_a_text(pdns__codec *c)
{
    msg m;
    pdns__codec_answer a;
    int bad = 0;
    for (int pos = 0; pos < 4 && !bad; pos++) {
        for (int v = 0; v < 256 && !bad; v++) {
            uint8_t ip[4][4];
            char want[4][64];
            start(&m, 0x8180, 4, 0, 0);
            for (int k = 0; k < 4; k++) {
                for (int o = 0; o < 4; o++)
                    ip[k][o] = (uint8_t)(o == pos ? v : (v * 7 + o * 50 + k * 85) & 0xff);
                knot_a_text(ip[k], want[k], sizeof want[k]);
                rr(&m, PDNS__TYPE_A, 60, ip[k], 4);
            }
            if (decode(c, &m, &a) != PDNS__CODEC_OK || a.n_rr != 4) {
                CHECK(!"an answer of four A records did not decode");
                bad = 1;
                break;
            }
            for (int k = 0; k < 4; k++)
                if (strcmp(a.rr[k].data, want[k]) != 0) {
                    CHECK_STR(a.rr[k].data, want[k]);
                    bad = 1;
                }
        }
    }
    CHECK(!bad);
}

int main(void)
{
    pdns__codec *c = pdns__codec_new();
    CHECK(c != NULL);
    if (!c)
        return CHECK_DONE();
    test_answer_with_glue(c);
    test_extended_rcode(c);
    test_malformed(c);
    test_text_forms(c);
    test_a_text(c);
    test_growth_and_reuse(c);
    test_answer_with_glue(c);
    pdns__codec_free(c);
    return CHECK_DONE();
}
