/* fuzz_match.c - arbitrary bytes -> the UDP transport's answer matcher (dns/match.c)
 * against a fixed query, and the query encoder (dns/query.c) round trips.
 *
 * Oracles (abort = finding):
 * - the verdict agrees with a flat reference check written here: ANSWER exactly when
 *   the ID matches, QR is set, QDCOUNT is 1 and the question is our wire name
 *   (letters folded), type A, class IN; HEADER_ERROR exactly when the ID matches, QR
 *   is set, QDCOUNT and ANCOUNT are 0 and the rcode is FORMERR, SERVFAIL, NOTIMP or
 *   REFUSED; SHORT exactly below 12 bytes; the header fields reported are the bytes';
 * - the input as a presentation name: when the encoder accepts it, the result is a
 *   valid wire name (labels 1..63 octets, at most 255 in all, no pointer), and printing
 *   it (with "\DDD" and "\X" escapes) and encoding again gives the same bytes;
 * - the input as a wire name: when it is a valid uncompressed one, printing and encoding
 *   gives it back byte for byte, and the query built for it, echoed with QR set, is its
 *   own answer (and with another ID, not).
 * SPDX-License-Identifier: MIT */
#include "fuzz_common.h"
#include "dns/edns.h"
#include "dns/match.h"
#include "dns/query.h"
#include "dns/wire.h"

/* www.example.com. */
static const uint8_t QNAME[] = "\3www\7example\3com";
#define QNAME_LEN sizeof QNAME /* the string's NUL is the root label */
#define QTYPE     PDNS__TYPE_A
#define FIXED_ID  0x1234

static uint8_t fold(uint8_t c)
{
    return c >= 'A' && c <= 'Z' ? (uint8_t)(c | 0x20) : c;
}

/* The reference: a flat byte comparison of the question with ours. */
static pdns__dns_match reference(const uint8_t *p, size_t n, uint16_t id)
{
    if (n < PDNS__WIRE_HDR_LEN)
        return PDNS__MATCH_SHORT;
    uint16_t flags = (uint16_t)(p[2] << 8 | p[3]), qd = (uint16_t)(p[4] << 8 | p[5]);
    uint16_t an = (uint16_t)(p[6] << 8 | p[7]);
    int rcode = flags & 0xF;
    if ((uint16_t)(p[0] << 8 | p[1]) != id || !(flags & 0x8000))
        return PDNS__MATCH_N_VERDICTS; /* not ours, any reason */
    if (qd == 0 && an == 0 && (rcode == 1 || rcode == 2 || rcode == 4 || rcode == 5))
        return PDNS__MATCH_HEADER_ERROR;
    if (qd != 1 || n < PDNS__WIRE_HDR_LEN + QNAME_LEN + 4)
        return PDNS__MATCH_N_VERDICTS;
    for (size_t i = 0; i < QNAME_LEN; i++)
        if (fold(p[PDNS__WIRE_HDR_LEN + i]) != fold(QNAME[i]))
            return PDNS__MATCH_N_VERDICTS;
    const uint8_t *t = p + PDNS__WIRE_HDR_LEN + QNAME_LEN;
    if (t[0] != 0 || t[1] != QTYPE || t[2] != 0 || t[3] != PDNS__CLASS_IN)
        return PDNS__MATCH_N_VERDICTS;
    return PDNS__MATCH_ANSWER;
}

static void check_match(const uint8_t *p, size_t n, uint16_t id)
{
    pdns__dns_query q = {.id = id, .qtype = QTYPE, .qname = QNAME, .qlen = QNAME_LEN};
    pdns__dns_match_result r;
    pdns__dns_match m = pdns__dns_match_answer(p, n, &q, &r), want = reference(p, n, id);

    FUZZ_CHECK(m >= PDNS__MATCH_ANSWER && m < PDNS__MATCH_N_VERDICTS, "verdict %d", (int)m);
    FUZZ_CHECK((r.why != NULL) == (m == PDNS__MATCH_HEADER_ERROR), "why for verdict %d", (int)m);
    FUZZ_CHECK(m == pdns__dns_match_answer(p, n, &q, NULL), "not deterministic");
    if (want == PDNS__MATCH_N_VERDICTS)
        FUZZ_CHECK(m > PDNS__MATCH_HEADER_ERROR, "verdict %s, reference: not ours",
                   pdns__dns_match_name(m));
    else
        FUZZ_CHECK(m == want, "verdict %s, reference %s", pdns__dns_match_name(m),
                   pdns__dns_match_name(want));
    if (n >= PDNS__WIRE_HDR_LEN) {
        FUZZ_CHECK(r.id == pdns__wire_get_id(p) && r.flags == pdns__wire_get_flags(p) &&
                       r.qdcount == pdns__wire_get_qdcount(p) &&
                       r.ancount == pdns__wire_get_ancount(p) && r.rcode == (p[3] & 0xF) &&
                       r.tc == !!(p[2] & 0x02) && r.opcode == ((p[2] >> 3) & 0xF),
                   "header fields");
    }
    if (m == PDNS__MATCH_ANSWER)
        FUZZ_CHECK(r.qend == PDNS__WIRE_HDR_LEN + QNAME_LEN + 4 && r.qend <= n, "qend %zu", r.qend);
}

/* Wire name w (valid, uncompressed) in presentation form, every byte that is not a
 * letter, digit, '-' or '_' escaped: '.' and '\' as "\X", the rest as "\DDD". */
static void print_name(const uint8_t *w, char *out)
{
    char *o = out;
    if (w[0] == 0) {
        strcpy(out, ".");
        return;
    }
    for (size_t i = 0; w[i]; i += (size_t)w[i] + 1) {
        for (size_t k = 1; k <= w[i]; k++) {
            uint8_t c = w[i + k];
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '-' || c == '_') {
                *o++ = (char)c;
            } else if (c == '.' || c == '\\') {
                *o++ = '\\';
                *o++ = (char)c;
            } else {
                o += sprintf(o, "\\%03u", c);
            }
        }
        *o++ = '.';
    }
    *o = '\0';
}

/* Length of the valid uncompressed wire name at w[0..n), or 0. */
static size_t wire_name_len(const uint8_t *w, size_t n)
{
    size_t i = 0;
    while (i < n && w[i] != 0) {
        if (w[i] > PDNS__WIRE_LABEL_MAX)
            return 0;
        i += (size_t)w[i] + 1;
    }
    if (i >= n || i + 1 > PDNS__WIRE_NAME_MAX)
        return 0;
    return i + 1;
}

static void check_encoder_text(const uint8_t *data, size_t size)
{
    char text[1100], printed[4 * PDNS__WIRE_NAME_MAX + 2];
    uint8_t w1[PDNS__WIRE_NAME_MAX], w2[PDNS__WIRE_NAME_MAX];
    if (size >= sizeof text)
        return;
    memcpy(text, data, size);
    text[size] = '\0';
    int n1 = pdns__dns_name_to_wire(text, w1, sizeof w1);
    if (n1 < 0)
        return;
    FUZZ_CHECK(n1 >= 1 && wire_name_len(w1, (size_t)n1) == (size_t)n1,
               "encoded \"%s\" to no valid wire name (%d octets)", text, n1);
    print_name(w1, printed);
    int n2 = pdns__dns_name_to_wire(printed, w2, sizeof w2);
    FUZZ_CHECK(n2 == n1 && memcmp(w1, w2, (size_t)n1) == 0,
               "\"%s\" -> %d octets -> \"%s\" -> %d octets", text, n1, printed, n2);
}

static void check_encoder_wire(const uint8_t *data, size_t size)
{
    char printed[4 * PDNS__WIRE_NAME_MAX + 2];
    uint8_t w[PDNS__WIRE_NAME_MAX], pkt[PDNS__DNS_QUERY_MAX];
    size_t len = wire_name_len(data, size), plen;
    if (!len)
        return;
    print_name(data, printed);
    int n = pdns__dns_name_to_wire(printed, w, sizeof w);
    FUZZ_CHECK(n == (int)len && memcmp(w, data, len) == 0, "wire -> \"%s\" -> %d octets, want %zu",
               printed, n, len);
    uint16_t qtype = size >= len + 2 ? (uint16_t)(data[len] << 8 | data[len + 1]) : QTYPE;
    plen = pdns__dns_query_encode(pkt, sizeof pkt, 0xABCD, w, len, qtype, 1232);
    FUZZ_CHECK(plen == PDNS__WIRE_HDR_LEN + len + 4 + PDNS__WIRE_OPT_LEN, "query length %zu", plen);
    pdns__wire_set_flags(pkt, PDNS__WIRE_QR | PDNS__WIRE_RD);
    pdns__dns_query q = {.id = 0xABCD, .qtype = qtype, .qname = data, .qlen = len};
    FUZZ_CHECK(pdns__dns_match_answer(pkt, plen, &q, NULL) == PDNS__MATCH_ANSWER,
               "the echoed query does not answer itself");
    q.id = 0xABCC;
    FUZZ_CHECK(pdns__dns_match_answer(pkt, plen, &q, NULL) == PDNS__MATCH_OTHER_ID, "other ID");
}

/* The EDNS reader (dns/edns.c) on the same untrusted datagram: it only reads p[0..n), its
 * figures stay in range, and a second read gives the same answer. */
static void check_edns(const uint8_t *p, size_t n)
{
    pdns__qopts q;
    pdns__edns_info a, b;
    char txt[2 * PDNS__NSID_MAX + 1];
    memset(&q, 0, sizeof q);
    q.cookie = 1;
    memcpy(q.client_cookie, "\1\2\3\4\5\6\7\10", PDNS__COOKIE_CLIENT_LEN);
    int ra = pdns__edns_parse(p, n, &q, &a);
    int rb = pdns__edns_parse(p, n, &q, &b);
    if (ra != rb || a.rrsig != b.rrsig || a.cookie != b.cookie || a.nsid_len != b.nsid_len)
        abort();
    if (a.nsid_len > PDNS__NSID_MAX || a.ecs_scope > 255 || a.ecs_scope < -1 ||
        (n >= PDNS__WIRE_HDR_LEN && a.rrsig > pdns__wire_get_ancount(p)))
        abort();
    pdns__nsid_text(a.nsid, a.nsid_len, txt, sizeof txt);
    if (strlen(txt) > 2 * PDNS__NSID_MAX)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* an exact-size copy: an over-read is an ASan finding */
    uint8_t *p = malloc(size ? size : 1);
    if (!p)
        return 0;
    memcpy(p, data, size);
    check_match(p, size, FIXED_ID);
    if (size >= 2) /* the datagram's own ID: the rest of the check is reached */
        check_match(p, size, pdns__wire_read_u16(p));
    check_encoder_text(p, size);
    check_encoder_wire(p, size);
    check_edns(p, size);
    free(p);
    return 0;
}
