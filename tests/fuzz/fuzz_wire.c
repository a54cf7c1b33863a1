/* fuzz_wire.c - arbitrary DNS wire bytes -> getdns message dict -> the transport's
 * record conversion (getdns_rr_dict2str per answer RR, split into owner/ttl/type/data)
 * -> the runner's CNAME walk -> a pdns_result through every output formatter, with
 * oracles on the formatted text.
 *
 * Records come from the library's pdns__gdrecs_from_reply (src/gdrecords.c, which both
 * transports use); cname_walk() replicates the chain walk of the static process_answer()
 * in src/runner.c: keep it in step.
 * SPDX-License-Identifier: MIT */
#include <cjson/cJSON.h>
#include <getdns/getdns.h>
#include <getdns/getdns_extra.h>
#include "fuzz_common.h"
#include "name.h"
#include "output.h"
#include "gdrecords.h"
#include "runner.h"
#include "transport.h"

#define MAX_HOPS 8 /* PDNS__MAX_HOPS of runner.c */

/* ---- the library's record conversion (src/gdrecords.c, used by both transports) ---- */
typedef pdns__gdrecs records;

/* ---- the chain walk of runner.c: process_answer (one reply, no new hops) -------- */
typedef struct walk {
    pdns_answer *ans;
    size_t n_ans;
    const char *chain[MAX_HOPS + 1];
    size_t n_chain;
    int loop;
} walk;

static int in_chain(const walk *w, const char *qname, const char *name)
{
    if (pdns__name_equal(qname, name))
        return 1;
    for (size_t i = 0; i < w->n_chain; i++)
        if (pdns__name_equal(w->chain[i], name))
            return 1;
    return 0;
}

static void cname_walk(const records *rec, const char *qname, uint16_t qtype, walk *w)
{
    const char *target = qname;
    int chase = qtype != 5 && qtype != 255;
    memset(w, 0, sizeof *w);
    w->ans = calloc(rec->n ? rec->n : 1, sizeof *w->ans);
    if (!w->ans)
        abort();
    for (int guard = 0; guard <= (int)rec->n; guard++) {
        const char *next = NULL;
        w->n_ans = 0;
        for (size_t i = 0; i < rec->n; i++) {
            const pdns_answer *a = &rec->rr[i];
            if (!pdns__name_equal(a->name, target))
                continue;
            if (a->type == qtype || qtype == 255)
                w->ans[w->n_ans++] = *a;
            else if (chase && a->type == 5 && !next)
                next = a->data;
        }
        if (w->n_ans || !next)
            break;
        if (in_chain(w, qname, next) || w->n_chain >= MAX_HOPS) {
            w->loop = 1;
            return;
        }
        w->chain[w->n_chain++] = next;
        target = next;
    }
}

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
    case PDNS__FMT_ZONE:
        FUZZ_CHECK(lines == want, "zone: %zu lines for %zu", lines, want);
        FUZZ_CHECK(tabs_per_line(s, n, r->n_answers ? 4 : 0), "zone: fields");
        FUZZ_CHECK(r->n_answers || strncmp(s, "; ", 2) == 0, "zone: comment");
        break;
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
    uint8_t *heap;
    getdns_bindata *qbin = NULL;
    char *qname = NULL;
    uint32_t rcode = 0, qtype = 1;
    records rec;
    walk w;

    const uint8_t *wire = wire_copy(data, size, &heap);
    getdns_return_t grc = getdns_wire2msg_dict(wire, size, &msg);
    free(heap);
    if (grc != GETDNS_RETURN_GOOD || !msg)
        return 0;
    (void)getdns_dict_get_int(msg, "/header/rcode", &rcode);
    (void)getdns_dict_get_int(msg, "/question/qtype", &qtype);
    if (getdns_dict_get_bindata(msg, "/question/qname", &qbin) == GETDNS_RETURN_GOOD)
        (void)getdns_convert_dns_name_to_fqdn(qbin, &qname);
    pdns__reply rep;
    if (pdns__gdrecs_from_reply(msg, &rep, &rec) != 0)
        abort();
    if (rep.kind != PDNS__T_ANSWER) { /* unusable: the engine retries; nothing to format */
        pdns__gdrecs_free(&rec);
        getdns_dict_destroy(msg);
        free(qname);
        return 0;
    }
    for (size_t i = 0; i < rec.n; i++)
        FUZZ_CHECK(rec.rr[i].name[0] && rec.rr[i].data, "empty owner");

    const char *q = qname ? qname : ".";
    cname_walk(&rec, q, (uint16_t)qtype, &w);

    /* the record the runner would report for this one reply */
    pdns_result r;
    memset(&r, 0, sizeof r);
    r.name = q;
    r.qname = q;
    r.line = size;
    r.qtype = (uint16_t)qtype;
    r.rcode = (int)rcode;
    r.status = w.loop ? PDNS_R_CNAME_LOOP : pdns__rstatus_from_rcode((int)rcode);
    if (r.status == PDNS_R_NOERROR && !w.n_ans)
        r.status = PDNS_R_NODATA;
    r.answers = w.loop ? NULL : w.ans;
    r.n_answers = w.loop ? 0 : w.n_ans;
    r.cname = w.chain;
    r.n_cname = w.n_chain;
    r.server = "127.0.0.1:53";
    r.attempts = 1;
    r.rtt_ms = size ? data[0] / 7.0 : -1;
    r.error = w.loop ? "CNAME loop" : NULL;
    r.fcrdns = size > 1 ? (int)(data[1] % 3) - 1 : -1;
    write_all(&r);

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

    free(w.ans);
    pdns__gdrecs_free(&rec);
    free(qname);
    getdns_dict_destroy(msg);
    return 0;
}
