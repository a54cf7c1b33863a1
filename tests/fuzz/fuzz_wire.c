/* fuzz_wire.c - arbitrary DNS wire bytes -> the transports' record decoding (dns/codec.c:
 * libknot parses and prints; the question's name and type come from getdns's message
 * dict) -> the engine's job state machine (src/core/job.c, the real one) -> a
 * pdns_result through every output formatter, with oracles on the formatted text.
 *
 * Records come from the library's pdns__codec_decode (src/dns/codec.c, which both
 * transports use). A verdict that asks for another query (a new CNAME hop, TCP after TC,
 * the fcrdns forward lookup) is followed by a timeout with no retries left, so every
 * input ends in the record the engine would write.
 * SPDX-License-Identifier: MIT */
#include <cjson/cJSON.h>
#include <getdns/getdns.h>
#include <getdns/getdns_extra.h>
#include "fuzz_common.h"
#include "dns/name.h"
#include "format/output.h"
#include "dns/codec.h"
#include "core/job.h"
#include "dns/wire.h"
#include "transport/transport.h"

static pdns__codec *codec;

/* ---- formatting and oracles ----------------------------------------------------- */
static size_t count_char(const char *s, size_t n, char c)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += s[i] == c;
    return k;
}

/* Every line of s[0..n) has exactly `tabs` TABs (tabs < 0: any). */
static int tabs_per_line(const char *s, size_t n, int tabs)
{
    size_t t = 0;
    if (tabs < 0)
        return 1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\t')
            t++;
        else if (s[i] == '\n') {
            if (t != (size_t)tabs)
                return 0;
            t = 0;
        }
    }
    return 1;
}

static void check_output(pdns__format fmt, const pdns_result *r, const char *s, size_t n)
{
    size_t lines = count_char(s, n, '\n');
    FUZZ_CHECK(n == 0 || s[n - 1] == '\n', "fmt %d: no final newline", fmt);
    FUZZ_CHECK(fuzz_utf8_valid(s, n), "fmt %d: invalid UTF-8", fmt);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        FUZZ_CHECK((c >= 0x20 && c != 0x7f) || c == '\t' || c == '\n',
                   "fmt %d: control byte 0x%02x", fmt, c);
    }
    size_t want = r->n_answers ? r->n_answers : 1;
    switch (fmt) {
    case PDNS__FMT_NDJSON: {
        FUZZ_CHECK(lines == 1, "ndjson: %zu lines", lines);
        FUZZ_CHECK(count_char(s, n, '\t') == 0, "ndjson: raw TAB");
        cJSON *o = cJSON_ParseWithLength(s, n);
        FUZZ_CHECK(o && cJSON_IsObject(o), "ndjson: not a JSON object: %.*s", (int)n, s);
        cJSON *ans = cJSON_GetObjectItemCaseSensitive(o, "answers");
        cJSON *cn = cJSON_GetObjectItemCaseSensitive(o, "cname");
        cJSON *name = cJSON_GetObjectItemCaseSensitive(o, "name");
        FUZZ_CHECK(cJSON_IsArray(ans) && (size_t)cJSON_GetArraySize(ans) == r->n_answers,
                   "ndjson: answers");
        FUZZ_CHECK(cJSON_IsArray(cn) && (size_t)cJSON_GetArraySize(cn) == r->n_cname,
                   "ndjson: cname");
        FUZZ_CHECK(cJSON_IsString(name), "ndjson: name");
        cJSON_Delete(o);
        break;
    }
    case PDNS__FMT_TEXT:
        FUZZ_CHECK(lines == want, "text: %zu lines for %zu", lines, want);
        FUZZ_CHECK(tabs_per_line(s, n, 2), "text: fields");
        break;
    case PDNS__FMT_ZONE: {
        /* the chain's CNAME lines, then the answers owned by the name or the chain (or
         * one comment line when there is none) */
        const char *qn = r->qname ? r->qname : r->name ? r->name : "";
        size_t in = 0;
        for (size_t i = 0; i < r->n_answers; i++) {
            const char *owner = r->answers[i].name ? r->answers[i].name : qn;
            int ok = pdns__name_equal(owner, qn);
            for (size_t k = 0; !ok && k < r->n_cname; k++)
                ok = pdns__name_equal(r->cname[k], owner);
            in += ok;
        }
        FUZZ_CHECK(lines == r->n_cname + (in ? in : 1), "zone: %zu lines for %zu + %zu", lines,
                   r->n_cname, in ? in : 1);
        if (in) {
            FUZZ_CHECK(tabs_per_line(s, n, 4), "zone: fields");
        } else {
            const char *last = s; /* the last line */
            for (size_t i = 0; i + 1 < n; i++)
                if (s[i] == '\n')
                    last = s + i + 1;
            FUZZ_CHECK(strncmp(last, "; ", 2) == 0, "zone: comment");
        }
        break;
    }
    case PDNS__FMT_HOSTS:
        FUZZ_CHECK(lines <= r->n_answers, "hosts: %zu lines", lines);
        FUZZ_CHECK(tabs_per_line(s, n, 1), "hosts: fields");
        break;
    }
}

/* PDNS_FUZZ_PRINT=1: show the formatted records on stderr (to look at a corpus). */
static int print_outputs(void)
{
    static int on = -1;
    if (on < 0) {
        const char *e = getenv("PDNS_FUZZ_PRINT");
        on = e && *e == '1';
    }
    return on;
}

static void write_all(const pdns_result *r)
{
    static const pdns__format fmts[] = {PDNS__FMT_NDJSON, PDNS__FMT_TEXT, PDNS__FMT_HOSTS,
                                        PDNS__FMT_ZONE};
    for (size_t i = 0; i < sizeof fmts / sizeof fmts[0]; i++) {
        char *buf = NULL;
        size_t len = 0;
        FILE *fp = open_memstream(&buf, &len);
        pdns__output o;
        if (!fp)
            abort();
        pdns__output_init(&o, fp, fmts[i]);
        pdns_status st = pdns__output_write(&o, r);
        /* a second record through the same (grown) buffer */
        if (st == PDNS_OK)
            st = pdns__output_write(&o, r);
        pdns__output_free(&o);
        fclose(fp);
        FUZZ_CHECK(st == PDNS_OK, "fmt %d: status %d", fmts[i], st);
        FUZZ_CHECK(len % 2 == 0 && memcmp(buf, buf + len / 2, len / 2) == 0,
                   "fmt %d: two writes differ", fmts[i]);
        check_output(fmts[i], r, buf, len / 2);
        if (print_outputs())
            fprintf(stderr, "--- format %d\n%.*s", fmts[i], (int)(len / 2), buf);
        free(buf);
    }
}

/* getdns 1.6.0 (Debian 12) reads past the end of malformed messages in
 * getdns_wire2msg_dict (upstream getdnsapi/getdns#549, open: unchecked RDLENGTH, section
 * counts, compression pointers). Its reply parser on the query path reads from its own
 * receive buffer, larger than the packet; likewise the message is handed to getdns here
 * at the start of a zero-padded static buffer, so those over-reads stay inside it and
 * the fuzzer can go on testing our code. PDNS_FUZZ_WIRE_EXACT=1 passes an exact-size
 * heap copy instead (ASan then reports the getdns over-reads). */
#define WIRE_PAD 65536
static uint8_t wire_buf[65536 + WIRE_PAD];

static const uint8_t *wire_copy(const uint8_t *data, size_t size, uint8_t **heap)
{
    static int exact = -1;
    static size_t prev = sizeof wire_buf;
    if (exact < 0) {
        const char *e = getenv("PDNS_FUZZ_WIRE_EXACT");
        exact = e && *e == '1';
    }
    *heap = NULL;
    if (exact || size > sizeof wire_buf - WIRE_PAD) {
        if (!(*heap = malloc(size ? size : 1)))
            abort();
        memcpy(*heap, data, size);
        return *heap;
    }
    memcpy(wire_buf, data, size);
    if (prev > size)
        memset(wire_buf + size, 0, prev - size);
    prev = size;
    return wire_buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    getdns_dict *msg = NULL;
    uint8_t *heap, *kw;
    getdns_bindata *qbin = NULL;
    char *qname = NULL;
    uint32_t rcode = 0, qtype = 1;
    pdns__codec_answer ca;
    struct {
        const pdns__rr *rr;
        size_t n;
    } rec;
    const uint8_t *wire = wire_copy(data, size, &heap);
    getdns_return_t grc = getdns_wire2msg_dict(wire, size, &msg);
    free(heap);
    if (grc != GETDNS_RETURN_GOOD || !msg || size > 65535) {
        if (msg)
            getdns_dict_destroy(msg);
        return 0;
    }
    (void)getdns_dict_get_int(msg, "/question/qtype", &qtype);
    if (getdns_dict_get_bindata(msg, "/question/qname", &qbin) == GETDNS_RETURN_GOOD)
        (void)getdns_convert_dns_name_to_fqdn(qbin, &qname);
    if (!codec && !(codec = pdns__codec_new()))
        abort();
    if (!(kw = malloc(size ? size : 1)))
        abort();
    memcpy(kw, data, size);
    if (pdns__codec_decode(codec, kw, size, &ca) != PDNS__CODEC_OK) {
        /* unusable: the engine retries; nothing to format */
        free(kw);
        getdns_dict_destroy(msg);
        free(qname);
        return 0;
    }
    rcode = (uint32_t)ca.rcode;
    rec.rr = ca.rr;
    rec.n = ca.n_rr;
    pdns__reply rep = {.kind = PDNS__T_ANSWER, .rcode = ca.rcode, .tc = ca.tc};
    for (size_t i = 0; i < rec.n; i++)
        FUZZ_CHECK(rec.rr[i].name[0] && rec.rr[i].data, "empty owner");

    const char *q = qname ? qname : ".";
    pdns__job j;
    const char *why = NULL;
    pdns__job_cfg cfg = {.retries = 0, .fcrdns = size > 2 && (data[2] & 1), .n_srv = 1};
    pdns__jv v;
    if (pdns__job_init(&j, q, (uint16_t)qtype, &why) != PDNS_OK) {
        v.kind = PDNS__JV_DONE;
        v.status = PDNS_R_INVALID_NAME;
        v.ans = NULL;
        v.n_ans = 0;
        v.error = why ? why : "invalid name";
    } else {
        pdns__job_on_send(&j, 0);
        v = pdns__job_on_answer(&j, &cfg, (int)rcode, rep.tc, rec.rr, rec.n, 1.5);
        if (v.kind == PDNS__JV_SEND) { /* the next query is lost: no retry left */
            FUZZ_CHECK(j.cur[0] && strlen(j.cur) < sizeof j.cur, "next hop without a name");
            pdns__job_on_send(&j, 0);
            v = pdns__job_on_failure(&j, &cfg, PDNS__JF_TIMEOUT, NULL);
        }
    }
    FUZZ_CHECK(v.kind == PDNS__JV_DONE, "no record after a lost query with no retries");
    FUZZ_CHECK(j.n_cname <= PDNS__MAX_HOPS, "chain longer than the hop limit");
    for (size_t i = 0; v.status == PDNS_R_NOERROR && j.phase == 0 && i < v.n_ans; i++)
        FUZZ_CHECK(v.ans[i].type == qtype || qtype == PDNS__TYPE_ANY, "answer of another type");

    /* the record the engine would report */
    pdns_result r;
    memset(&r, 0, sizeof r);
    r.name = q;
    r.qname = j.qname[0] ? j.qname : NULL;
    r.line = size;
    r.qtype = (uint16_t)qtype;
    r.rcode = pdns__job_rcode(&j);
    r.status = v.status;
    r.answers = v.ans;
    r.n_answers = v.n_ans;
    r.cname = (const char *const *)j.cname;
    r.n_cname = j.n_cname;
    r.server = "127.0.0.1:53";
    r.attempts = 1;
    r.rtt_ms = size ? data[0] / 7.0 : -1;
    r.error = v.error;
    r.fcrdns = pdns__job_fcrdns(&j, &cfg, v.status);
    write_all(&r);
    pdns__job_free(&j);

    /* every converted record at once (as for ANY), named by the first owner */
    memset(&r, 0, sizeof r);
    r.name = rec.n ? rec.rr[0].name : q;
    r.qname = q;
    r.qtype = 255;
    r.status = PDNS_R_NOERROR;
    r.rcode = (int)rcode;
    r.answers = rec.rr;
    r.n_answers = rec.n;
    r.rtt_ms = -1;
    r.fcrdns = -1;
    write_all(&r);

    free(kw);
    free(qname);
    getdns_dict_destroy(msg);
    return 0;
}
