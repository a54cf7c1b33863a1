/* output.c - result records as ndjson, text, hosts or zone lines.
 * SPDX-License-Identifier: MIT */
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "dns/wire.h"
#include "format/input.h"
#include "dns/name.h"
#include "format/output.h"

#define PDNS__OUT_INITIAL 4096

pdns_status pdns__format_from_name(const char *name, pdns__format *fmt)
{
    static const struct {
        const char *name;
        pdns__format fmt;
    } formats[] = {
        {"ndjson", PDNS__FMT_NDJSON},
        {"text", PDNS__FMT_TEXT},
        {"hosts", PDNS__FMT_HOSTS},
        {"zone", PDNS__FMT_ZONE},
    };
    for (size_t i = 0; name && i < sizeof formats / sizeof formats[0]; i++) {
        if (strcasecmp(name, formats[i].name) == 0) {
            *fmt = formats[i].fmt;
            return PDNS_OK;
        }
    }
    return PDNS_ERR_PARSE;
}

void pdns__output_init(pdns__output *o, FILE *fp, pdns__format fmt)
{
    o->fp = fp;
    o->fmt = fmt;
    o->buf = NULL;
    o->cap = 0;
    o->head.valid = 0;
    o->atype.valid = 0;
}

void pdns__output_free(pdns__output *o)
{
    free(o->buf);
    o->buf = NULL;
    o->cap = 0;
}

/* Grow o->buf (doubling) to hold at least `need` bytes. */
static pdns_status pdns__out_reserve(pdns__output *o, size_t need)
{
    if (need <= o->cap)
        return PDNS_OK;
    size_t cap = o->cap ? o->cap : PDNS__OUT_INITIAL;
    while (cap < need) {
        if (cap > SIZE_MAX / 2)
            return PDNS_ERR_NOMEM;
        cap *= 2;
    }
    char *buf = realloc(o->buf, cap);
    if (!buf)
        return PDNS_ERR_NOMEM;
    o->buf = buf;
    o->cap = cap;
    return PDNS_OK;
}

/* Whether s holds anything but printable ASCII (controls or non-ASCII bytes). */
static int pdns__needs_escape(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
            return 1;
    return 0;
}

/* Append s (NULL as "") to o->buf at *len, with controls and invalid UTF-8 as "\xHH"
 * so that one record stays one line. Leaves room for two more bytes. */
static pdns_status pdns__out_put(pdns__output *o, size_t *len, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (pdns__out_reserve(o, *len + 2) != PDNS_OK)
        return PDNS_ERR_NOMEM;
    if (n == 0)
        return PDNS_OK;
    if (n > (SIZE_MAX - *len - 2) / 4 || pdns__out_reserve(o, *len + 4 * n + 2) != PDNS_OK)
        return PDNS_ERR_NOMEM;
    if (pdns__needs_escape(s, n)) {
        *len += pdns__escape_bytes(s, n, o->buf + *len, o->cap - *len);
    } else {
        memcpy(o->buf + *len, s, n);
        *len += n;
    }
    return PDNS_OK;
}

/* Append the NUL-terminated fields f[0..] (NULL-terminated list), separated by TABs
 * and ended by a newline. */
static pdns_status pdns__out_row(pdns__output *o, size_t *len, const char *const *f)
{
    for (size_t i = 0; f[i]; i++) {
        if (pdns__out_put(o, len, f[i]) != PDNS_OK)
            return PDNS_ERR_NOMEM;
        o->buf[(*len)++] = f[i + 1] ? '\t' : '\n';
    }
    return PDNS_OK;
}

/* ---- ndjson: written straight into the reused buffer (no per-record tree) ---------
 * The record has a fixed shape, so it is streamed: strings are first made printable
 * (pdns__escape_bytes writes controls and invalid UTF-8 as "\xHH", as in the other
 * formats), then JSON-escaped ('"' and '\\'; controls cannot remain). The bytes equal
 * what cJSON printed for the same record (the golden files check it).
 * IMPLEMENTATION NOTES (the writer runs once per name; callgrind, marginal per name):
 * - Strings are copied eight bytes at a time while no byte needs care
 *   (pdns__bytes_special: a word-wide test); the last 1 to 7 bytes as one more word
 *   (the last eight, overlapping what was written, or the string padded with plain
 *   bytes when it is shorter). Only a word holding a byte to escape goes byte by byte.
 * - The run ,"type":..,"status":..,"rcode":..,"answers":[ depends on three values, and
 *   an answer's ,"type":..,"ttl": on one: each is kept in the writer (pdns__jcache,
 *   made by snprintf when its values change) and copied whole while records repeat
 *   them, as they do in bulk runs. Three table look-ups, strlen and memcpy per record
 *   cost 260 instructions before.
 * - Numbers: two digits per division (the line number, TTLs, attempts; rtt_ms by
 *   pdns__ms3). No printf on the path of an ordinary record. */

static inline __attribute__((always_inline)) pdns_status pdns__j_raw(pdns__output *o, size_t *len,
                                                                     const char *s, size_t n)
{
    if (pdns__out_reserve(o, *len + n + 2) != PDNS_OK)
        return PDNS_ERR_NOMEM;
    memcpy(o->buf + *len, s, n);
    *len += n;
    return PDNS_OK;
}

#define PDNS__J_LIT(o, len, lit) pdns__j_raw((o), (len), (lit), sizeof(lit) - 1)

/* Bytes a JSON string cannot hold as they are: '"' and '\\' take a backslash (J_ESC);
 * controls and non-ASCII bytes go through pdns__escape_bytes first (J_SLOW). */
enum { J_PLAIN = 0, J_ESC = 1, J_SLOW = 2 };
static const unsigned char pdns__jclass[256] = {
    [0 ... 0x1f] = J_SLOW, ['"'] = J_ESC, ['\\'] = J_ESC, [0x7f ... 0xff] = J_SLOW};

/* A JSON string value of s (NULL as ""). One pass for printable ASCII (the usual
 * case): quotes and backslashes escaped while copying; a control or non-ASCII byte
 * sends the string through pdns__escape_bytes first ("\xHH", UTF-8 kept). */
static pdns_status pdns__j_str(pdns__output *o, size_t *len, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    char stackbuf[1024];
    char *tmp = NULL;
    const char *src = s ? s : "";
    pdns_status st = pdns__out_reserve(o, *len + 2 * n + 12);
    if (st != PDNS_OK)
        return st;
    {
        char *w = o->buf + *len;
        size_t i;
        uint64_t x;
        *w++ = '"';
        /* whole words of plain text first (room for 2n + 12 bytes was reserved); while
         * they are plain, text byte i goes to w = start + 1 + i */
        for (i = 0; i + 8 <= n; i += 8) {
            memcpy(&x, src + i, 8);
            if (pdns__bytes_special(x, '"', '\\'))
                break;
            memcpy(w, &x, 8);
            w += 8;
        }
        if (i + 8 > n && i < n) { /* the last n - i < 8 bytes as one word too */
            if (n >= 8) {         /* the last 8 bytes: some written again, the same */
                memcpy(&x, src + n - 8, 8);
                if (!pdns__bytes_special(x, '"', '\\')) {
                    memcpy(w - 8 + (n - i), &x, 8);
                    w += n - i;
                    i = n;
                }
            } else { /* a short string, padded with plain bytes (overwritten after) */
                x = 0x6161616161616161ull;
                memcpy(&x, src, n);
                if (!pdns__bytes_special(x, '"', '\\')) {
                    memcpy(w, &x, 8);
                    w += n;
                    i = n;
                }
            }
        }
        for (; i < n; i++) {
            unsigned char c = (unsigned char)src[i];
            if (pdns__jclass[c]) {
                if (pdns__jclass[c] == J_SLOW)
                    break;
                *w++ = '\\';
            }
            *w++ = (char)c;
        }
        if (i == n) {
            *w++ = '"';
            *len = (size_t)(w - o->buf);
            return PDNS_OK;
        }
    }
    /* slow path: make it printable, then escape */
    if (n > (SIZE_MAX - 1) / 4)
        return PDNS_ERR_NOMEM;
    tmp = 4 * n + 1 <= sizeof stackbuf ? stackbuf : malloc(4 * n + 1);
    if (!tmp)
        return PDNS_ERR_NOMEM;
    n = pdns__escape_bytes(src, n, tmp, 4 * n + 1);
    src = tmp;
    st = pdns__out_reserve(o, *len + 2 * n + 4);
    if (st == PDNS_OK) {
        char *w = o->buf + *len;
        *w++ = '"';
        for (size_t i = 0; i < n; i++) {
            if (src[i] == '"' || src[i] == '\\')
                *w++ = '\\';
            *w++ = src[i];
        }
        *w++ = '"';
        *len = (size_t)(w - o->buf);
    }
    if (tmp != stackbuf)
        free(tmp);
    return st;
}

/* Decimal digits of v into the end of a 20-byte buffer; returns where they start
 * (printf-free: the record writer runs once per name). */
static char *pdns__u64_digits(char end[20], uint64_t v)
{
    static const char two[201] = "00010203040506070809101112131415161718192021222324"
                                 "25262728293031323334353637383940414243444546474849"
                                 "50515253545556575859606162636465666768697071727374"
                                 "75767778798081828384858687888990919293949596979899";
    char *p = end + 20;
    while (v >= 100) { /* two digits a division */
        unsigned r = (unsigned)(v % 100);
        v /= 100;
        p -= 2;
        memcpy(p, two + 2 * r, 2);
    }
    if (v >= 10) {
        p -= 2;
        memcpy(p, two + 2 * v, 2);
    } else {
        *--p = (char)('0' + v);
    }
    return p;
}

static pdns_status pdns__j_u64(pdns__output *o, size_t *len, uint64_t v)
{
    char num[20];
    char *p = pdns__u64_digits(num, v);
    return pdns__j_raw(o, len, p, (size_t)(num + sizeof num - p));
}

/* x (finite, >= 0) as printf's "%.3f" writes it, into buf (room for 400 bytes); returns
 * the length. printf-free for the values an RTT takes (under 10^6 ms): x * 1000 is
 * within 2^-23 of the exact product there, so unless its fraction lies that close to
 * one half, rounding it to the nearest integer gives printf's (exactly rounded) digits;
 * near a tie, or for larger values, snprintf decides. */
static int pdns__ms3(char *buf, double x)
{
    if (x < 1e6) {
        double v = x * 1000.0, m = floor(v), f = v - m;
        if (fabs(f - 0.5) > 1e-6) {
            uint64_t u = (uint64_t)m + (f > 0.5), ip = u / 1000;
            unsigned fr = (unsigned)(u % 1000);
            char num[20], *p = pdns__u64_digits(num, ip);
            int n = (int)(num + sizeof num - p);
            memcpy(buf, p, (size_t)n);
            buf[n++] = '.';
            buf[n++] = (char)('0' + fr / 100);
            buf[n++] = (char)('0' + fr / 10 % 10);
            buf[n++] = (char)('0' + fr % 10);
            return n;
        }
    }
    return snprintf(buf, 400, "%.3f", x);
}
static pdns_status pdns__fmt_trust(pdns__output *o, const pdns_result *r, size_t *len);

/* Append the text made by snprintf(fmt, s1, s2, s3), from c when c was made from the
 * same k1, k2, k3 (make: whether the caller has to set c up first), else into c. A text
 * too long for c (never for pacedns's names) is made on the stack. */
static pdns_status pdns__jc_put(pdns__output *o, size_t *len, pdns__jcache *c, int k1, int k2,
                                int k3, const char *fmt, const char *s1, const char *s2,
                                const char *s3)
{
    char big[512];
    int n = snprintf(c->text, sizeof c->text, fmt, s1, s2, s3);
    c->k1 = k1;
    c->k2 = k2;
    c->k3 = k3;
    c->valid = n >= 0 && (size_t)n < sizeof c->text;
    c->len = c->valid ? (size_t)n : 0;
    if (c->valid)
        return pdns__j_raw(o, len, c->text, c->len);
    n = snprintf(big, sizeof big, fmt, s1, s2, s3);
    if (n < 0 || (size_t)n >= sizeof big)
        return PDNS_ERR_INVALID;
    return pdns__j_raw(o, len, big, (size_t)n);
}

static int pdns__jc_hit(const pdns__jcache *c, int k1, int k2, int k3)
{
    return c->valid && c->k1 == k1 && c->k2 == k2 && c->k3 == k3;
}

/* ,"type":"T","status":"S","rcode":"R" (or null),"answers":[ -- the same for all the
 * records of a bulk run that share type, status and rcode (most do): kept in o->head,
 * so that the names are not looked up, measured and copied one by one for every record
 * (260 instructions). The names of pacedns's tables need no escaping. */
static pdns_status pdns__j_head(pdns__output *o, size_t *len, const pdns_result *r)
{
    char tbuf[16];
    int rc = r->rcode >= 0 ? r->rcode : -1;
    const char *t, *st;
    if (pdns__jc_hit(&o->head, r->qtype, (int)r->status, rc))
        return pdns__j_raw(o, len, o->head.text, o->head.len);
    t = pdns_rrtype_name(r->qtype, tbuf);
    st = pdns_rstatus_name(r->status);
    if (rc < 0)
        return pdns__jc_put(o, len, &o->head, r->qtype, (int)r->status, rc,
                            ",\"type\":\"%s\",\"status\":\"%s\",\"rcode\":null%s,\"answers\":[", t,
                            st, "");
    return pdns__jc_put(o, len, &o->head, r->qtype, (int)r->status, rc,
                        ",\"type\":\"%s\",\"status\":\"%s\",\"rcode\":\"%s\",\"answers\":[", t, st,
                        pdns_rcode_name(rc));
}

/* ,"type":"T","ttl": of an answer: kept in o->atype while the answers share a type. */
static pdns_status pdns__j_atype(pdns__output *o, size_t *len, uint16_t type)
{
    char tbuf[16];
    if (pdns__jc_hit(&o->atype, type, 0, 0))
        return pdns__j_raw(o, len, o->atype.text, o->atype.len);
    return pdns__jc_put(o, len, &o->atype, type, 0, 0, ",\"type\":\"%s\",\"ttl\":%s%s",
                        pdns_rrtype_name(type, tbuf), "", "");
}

static pdns_status pdns__fmt_ndjson(pdns__output *o, const pdns_result *r, size_t *len)
{
    char num[400]; /* %.3f of DBL_MAX needs 314 bytes */
    pdns_status st = PDNS__J_LIT(o, len, "{\"name\":");
    st = st ? st : pdns__j_str(o, len, r->name);
    if (!st && r->qname && !pdns__name_equal(r->name ? r->name : "", r->qname)) {
        st = PDNS__J_LIT(o, len, ",\"qname\":");
        st = st ? st : pdns__j_str(o, len, r->qname);
    }
    if (!st && r->line) {
        st = PDNS__J_LIT(o, len, ",\"line\":");
        st = st ? st : pdns__j_u64(o, len, r->line);
    }
    st = st ? st : pdns__j_head(o, len, r);
    for (size_t i = 0; !st && i < r->n_answers; i++) {
        const pdns_answer *a = &r->answers[i];
        st = i ? PDNS__J_LIT(o, len, ",{\"name\":") : PDNS__J_LIT(o, len, "{\"name\":");
        st = st ? st : pdns__j_str(o, len, a->name);
        st = st ? st : pdns__j_atype(o, len, a->type);
        st = st ? st : pdns__j_u64(o, len, a->ttl);
        st = st ? st : PDNS__J_LIT(o, len, ",\"data\":");
        st = st ? st : pdns__j_str(o, len, a->data);
        st = st ? st : PDNS__J_LIT(o, len, "}");
    }
    st = st ? st : PDNS__J_LIT(o, len, "],\"cname\":[");
    for (size_t i = 0; !st && i < r->n_cname; i++) {
        st = i ? PDNS__J_LIT(o, len, ",") : PDNS_OK;
        st = st ? st : pdns__j_str(o, len, r->cname[i]);
    }
    st = st ? st : PDNS__J_LIT(o, len, "],\"server\":");
    if (!st)
        st = r->server ? pdns__j_str(o, len, r->server) : PDNS__J_LIT(o, len, "null");
    st = st ? st : PDNS__J_LIT(o, len, ",\"attempts\":");
    if (!st && r->attempts >= 0) {
        st = pdns__j_u64(o, len, (uint64_t)r->attempts);
    } else if (!st) {
        int n = snprintf(num, sizeof num, "%d", r->attempts);
        st = pdns__j_raw(o, len, num, (size_t)n);
    }
    st = st ? st : PDNS__J_LIT(o, len, ",\"rtt_ms\":");
    if (!st && isfinite(r->rtt_ms) && r->rtt_ms >= 0) {
        int n = pdns__ms3(num, r->rtt_ms);
        st = pdns__j_raw(o, len, num, (size_t)n);
    } else if (!st) {
        st = PDNS__J_LIT(o, len, "null");
    }
    if (!st && r->error) {
        st = PDNS__J_LIT(o, len, ",\"error\":");
        st = st ? st : pdns__j_str(o, len, r->error);
    }
    if (!st && r->fcrdns >= 0)
        st = r->fcrdns > 0 ? PDNS__J_LIT(o, len, ",\"fcrdns\":true")
                           : PDNS__J_LIT(o, len, ",\"fcrdns\":false");
    st = st ? st : pdns__fmt_trust(o, r, len);
    if (!st && r->has_dnssec) {
        st = r->ad ? PDNS__J_LIT(o, len, ",\"ad\":true,\"rrsig\":")
                   : PDNS__J_LIT(o, len, ",\"ad\":false,\"rrsig\":");
        st = st ? st : pdns__j_u64(o, len, r->rrsig > 0 ? (uint64_t)r->rrsig : 0);
    }
    if (!st && r->nsid) {
        st = PDNS__J_LIT(o, len, ",\"nsid\":");
        st = st ? st : pdns__j_str(o, len, r->nsid);
    }
    if (!st && r->ecs) {
        st = PDNS__J_LIT(o, len, ",\"ecs\":");
        st = st ? st : pdns__j_str(o, len, r->ecs);
        if (!st && r->ecs_scope >= 0) {
            st = PDNS__J_LIT(o, len, ",\"ecs_scope\":");
            st = st ? st : pdns__j_u64(o, len, (uint64_t)r->ecs_scope);
        }
    }
    st = st ? st : PDNS__J_LIT(o, len, "}\n");
    return st;
}

/* The trust fields of an ndjson record: "wildcard", "verified", "trusted_answers",
 * "trusted_status" (only those that apply). */
static pdns_status pdns__fmt_trust(pdns__output *o, const pdns_result *r, size_t *len)
{
    pdns_status st = PDNS_OK;
    char tbuf[16];
    if (r->wildcard) {
        st = PDNS__J_LIT(o, len, ",\"wildcard\":");
        st = st ? st : pdns__j_str(o, len, r->wildcard);
    }
    if (!st && r->verified > 0)
        st = PDNS__J_LIT(o, len, ",\"verified\":true");
    if (!st && r->verified < 0) {
        st = PDNS__J_LIT(o, len, ",\"verified\":false,\"trusted_status\":");
        st = st ? st : pdns__j_str(o, len, r->trusted_status ? r->trusted_status : "ERROR");
        st = st ? st : PDNS__J_LIT(o, len, ",\"trusted_answers\":[");
        for (size_t i = 0; !st && i < r->n_trusted_answers; i++) {
            const pdns_answer *a = &r->trusted_answers[i];
            st = i ? PDNS__J_LIT(o, len, ",{\"name\":") : PDNS__J_LIT(o, len, "{\"name\":");
            st = st ? st : pdns__j_str(o, len, a->name);
            st = st ? st : PDNS__J_LIT(o, len, ",\"type\":");
            st = st ? st : pdns__j_str(o, len, pdns_rrtype_name(a->type, tbuf));
            st = st ? st : PDNS__J_LIT(o, len, ",\"ttl\":");
            st = st ? st : pdns__j_u64(o, len, a->ttl);
            st = st ? st : PDNS__J_LIT(o, len, ",\"data\":");
            st = st ? st : pdns__j_str(o, len, a->data);
            st = st ? st : PDNS__J_LIT(o, len, "}");
        }
        st = st ? st : PDNS__J_LIT(o, len, "]");
    }
    return st;
}

static pdns_status pdns__fmt_text(pdns__output *o, const pdns_result *r, size_t *len)
{
    char tbuf[16];
    for (size_t i = 0; i < r->n_answers; i++) {
        const char *f[] = {r->name, pdns_rrtype_name(r->answers[i].type, tbuf),
                           r->answers[i].data ? r->answers[i].data : "", NULL};
        if (pdns__out_row(o, len, f) != PDNS_OK)
            return PDNS_ERR_NOMEM;
    }
    if (r->n_answers == 0) {
        const char *f[] = {r->name, pdns_rrtype_name(r->qtype, tbuf), pdns_rstatus_name(r->status),
                           NULL};
        return pdns__out_row(o, len, f);
    }
    return PDNS_OK;
}

/* hosts: "ADDR<TAB>name" per A/AAAA answer of a NOERROR record. The name is the queried
 * one (A-labels: a hosts file is read by resolvers that know no IDN), without the
 * trailing dot; the input as given only when there is no queried name. */
static pdns_status pdns__fmt_hosts(pdns__output *o, const pdns_result *r, size_t *len)
{
    char host[PDNS__NAME_MAX];
    const char *name = r->qname ? r->qname : r->name ? r->name : "";
    size_t n = strlen(name);
    if (r->status != PDNS_R_NOERROR || n == 0)
        return PDNS_OK;
    if (name[n - 1] == '.') { /* names longer than a DNS name were rejected anyway */
        if (n > sizeof host)
            return PDNS_OK;
        memcpy(host, name, n - 1);
        host[n - 1] = '\0';
        name = host;
    }
    for (size_t i = 0; i < r->n_answers; i++) {
        const pdns_answer *a = &r->answers[i];
        if (a->type != PDNS__TYPE_A && a->type != PDNS__TYPE_AAAA)
            continue;
        const char *f[] = {a->data ? a->data : "", name, NULL};
        if (pdns__out_row(o, len, f) != PDNS_OK)
            return PDNS_ERR_NOMEM;
    }
    return PDNS_OK;
}

/* ---- zone: master-file lines that load into NSD, Knot or BIND as data only ----------
 * Names and rdata come from the answering server, so nothing in them may act as
 * master-file syntax: a line starting with '$' is a directive ($INCLUDE, $ORIGIN, $TTL),
 * '@' is the origin, '"' opens a string, ';' a comment, '(' ')' group lines, blanks
 * separate fields. In names these bytes, and every byte that is not printable ASCII,
 * are written as "\DDD" (decimal, RFC 1035 5.1; never "\xHH", which a master file does
 * not know). Only records owned by the queried name or a name on its CNAME chain are
 * written, and the chain's CNAME records themselves, so that the zone resolves the
 * queried name as the server did. */

/* Whether byte c is a blank, a control or not ASCII: it would end a field or the line. */
static int pdns__zone_blank(unsigned char c)
{
    return c <= ' ' || c >= 0x7f;
}

/* Whether byte c, unescaped in a name, could be read as master-file syntax or is not
 * printable ASCII. */
static int pdns__zone_special(unsigned char c)
{
    return pdns__zone_blank(c) || c == '$' || c == '@' || c == '"' || c == ';' || c == '(' ||
           c == ')' || c == '\\';
}

/* Append "\DDD" for byte c at o->buf + *len (room was reserved). */
static void pdns__zone_ddd(pdns__output *o, size_t *len, unsigned char c)
{
    char *w = o->buf + *len;
    w[0] = '\\';
    w[1] = (char)('0' + c / 100);
    w[2] = (char)('0' + c / 10 % 10);
    w[3] = (char)('0' + c % 10);
    *len += 4;
}

/* Append the presentation name s (n bytes; as getdns writes it, with "\.", "\\" and
 * "\DDD" escapes) as a master-file name: escapes of ordinary characters are kept, every
 * special byte (pdns__zone_special), escaped or not, becomes "\DDD"; a trailing dot is
 * added when the name does not end with an unescaped one (NULL or "" is the root).
 * Leaves room for two more bytes. */
static pdns_status pdns__zone_name(pdns__output *o, size_t *len, const char *s, size_t n)
{
    int dot = 0; /* the last byte written is an unescaped '.' */
    if (n > (SIZE_MAX - *len - 8) / 4 || pdns__out_reserve(o, *len + 4 * n + 8) != PDNS_OK)
        return PDNS_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        dot = 0;
        if (c == '\\' && i + 3 < n && s[i + 1] >= '0' && s[i + 1] <= '9' && s[i + 2] >= '0' &&
            s[i + 2] <= '9' && s[i + 3] >= '0' && s[i + 3] <= '9') {
            memcpy(o->buf + *len, s + i, 4); /* "\DDD" stays */
            *len += 4;
            i += 3;
        } else if (c == '\\' && i + 1 < n) {
            c = (unsigned char)s[++i]; /* "\X": X itself, escaped as needed */
            if (pdns__zone_special(c)) {
                pdns__zone_ddd(o, len, c);
            } else {
                o->buf[(*len)++] = '\\';
                o->buf[(*len)++] = (char)c;
            }
        } else if (pdns__zone_special(c)) {
            pdns__zone_ddd(o, len, c); /* a lone trailing '\\' too */
        } else {
            o->buf[(*len)++] = (char)c;
            dot = c == '.';
        }
    }
    if (!dot)
        o->buf[(*len)++] = '.';
    return PDNS_OK;
}

/* Append rdata text s as is, but with every byte that is not printable ASCII (a control
 * could end the line) as "\DDD". Leaves room for two more bytes. */
static pdns_status pdns__zone_text(pdns__output *o, size_t *len, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n > (SIZE_MAX - *len - 2) / 4 || pdns__out_reserve(o, *len + 4 * n + 2) != PDNS_OK)
        return PDNS_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (pdns__zone_blank(c) && c != ' ')
            pdns__zone_ddd(o, len, c);
        else
            o->buf[(*len)++] = (char)c;
    }
    return PDNS_OK;
}

/* Append the rdata of a record of `type`: for the types whose rdata ends with a domain
 * name (NS, CNAME, PTR, DNAME; MX, KX, AFSDB, SRV after their numbers), that name as a
 * master-file name, the rest as text. */
static pdns_status pdns__zone_rdata(pdns__output *o, size_t *len, uint16_t type, const char *d)
{
    size_t skip; /* fields before the name */
    switch (type) {
    case PDNS__TYPE_NS:
    case PDNS__TYPE_CNAME:
    case PDNS__TYPE_PTR:
    case PDNS__TYPE_DNAME:
        skip = 0;
        break;
    case PDNS__TYPE_MX:
    case PDNS__TYPE_KX:
    case PDNS__TYPE_AFSDB:
        skip = 1;
        break;
    case PDNS__TYPE_SRV:
        skip = 3;
        break;
    default:
        return pdns__zone_text(o, len, d);
    }
    const char *p = d ? d : "";
    for (size_t f = 0; f < skip; f++) { /* numbers: no escapes, single blanks */
        const char *sp = strchr(p, ' ');
        if (!sp)
            return pdns__zone_text(o, len, d); /* not the expected shape: text */
        p = sp + 1;
    }
    char head[64];
    size_t hl = (size_t)(p - (d ? d : ""));
    if (hl >= sizeof head)
        return pdns__zone_text(o, len, d);
    memcpy(head, d ? d : "", hl);
    head[hl] = '\0';
    pdns_status st = pdns__zone_text(o, len, head);
    return st ? st : pdns__zone_name(o, len, p, strlen(p));
}

/* One line "owner<TAB>ttl<TAB>IN<TAB>TYPE<TAB>rdata". */
static pdns_status pdns__zone_rr(pdns__output *o, size_t *len, const char *owner, uint32_t ttl,
                                 uint16_t type, const char *data)
{
    char tbuf[16], num[20];
    char *t = pdns__u64_digits(num, ttl);
    pdns_status st = pdns__zone_name(o, len, owner, owner ? strlen(owner) : 0);
    o->buf[(*len)++] = '\t'; /* zone_name kept room for two bytes */
    st = st ? st : pdns__j_raw(o, len, t, (size_t)(num + sizeof num - t));
    st = st ? st : PDNS__J_LIT(o, len, "\tIN\t");
    if (!st) {
        const char *tn = pdns_rrtype_name(type, tbuf);
        st = pdns__j_raw(o, len, tn, strlen(tn));
    }
    st = st ? st : PDNS__J_LIT(o, len, "\t");
    st = st ? st : pdns__zone_rdata(o, len, type, data);
    if (!st)
        o->buf[(*len)++] = '\n'; /* the writers kept room for two bytes */
    return st;
}

/* Whether name is the queried name or on its CNAME chain. */
static int pdns__zone_in_chain(const pdns_result *r, const char *owner, const char *name)
{
    if (pdns__name_equal(owner, name))
        return 1;
    for (size_t i = 0; i < r->n_cname; i++)
        if (pdns__name_equal(r->cname[i], name))
            return 1;
    return 0;
}

static pdns_status pdns__fmt_zone(pdns__output *o, const pdns_result *r, size_t *len)
{
    char tbuf[16];
    const char *qname = r->qname ? r->qname : r->name ? r->name : "";
    /* the chain: qname CNAME c0, c0 CNAME c1, ... (their TTLs are not kept: 0) */
    for (size_t i = 0; i < r->n_cname; i++)
        if (pdns__zone_rr(o, len, i ? r->cname[i - 1] : qname, 0, PDNS__TYPE_CNAME, r->cname[i]) !=
            PDNS_OK)
            return PDNS_ERR_NOMEM;
    size_t written = 0;
    for (size_t i = 0; i < r->n_answers; i++) {
        const pdns_answer *a = &r->answers[i];
        const char *owner = a->name ? a->name : qname;
        if (!pdns__zone_in_chain(r, qname, owner))
            continue; /* not an answer to this query: never written */
        if (pdns__zone_rr(o, len, owner, a->ttl, a->type, a->data ? a->data : "") != PDNS_OK)
            return PDNS_ERR_NOMEM;
        written++;
    }
    if (written)
        return PDNS_OK;
    /* no record to write: "; name TYPE STATUS", the input as given with blanks and
     * controls as \DDD, so that it stays one field of one comment line */
    const char *type = pdns_rrtype_name(r->qtype, tbuf), *stn = pdns_rstatus_name(r->status);
    pdns_status st = PDNS__J_LIT(o, len, "; ");
    for (const char *p = r->name ? r->name : ""; !st && *p; p++) {
        if ((st = pdns__out_reserve(o, *len + 6)) != PDNS_OK)
            break;
        if (pdns__zone_blank((unsigned char)*p))
            pdns__zone_ddd(o, len, (unsigned char)*p);
        else
            o->buf[(*len)++] = *p;
    }
    st = st ? st : PDNS__J_LIT(o, len, " ");
    st = st ? st : pdns__j_raw(o, len, type, strlen(type));
    st = st ? st : PDNS__J_LIT(o, len, " ");
    st = st ? st : pdns__j_raw(o, len, stn, strlen(stn));
    st = st ? st : PDNS__J_LIT(o, len, "\n");
    return st;
}

pdns_status pdns__output_write(pdns__output *o, const pdns_result *r)
{
    size_t len = 0;
    pdns_status st;
    switch (o->fmt) {
    case PDNS__FMT_NDJSON:
        st = pdns__fmt_ndjson(o, r, &len);
        break;
    case PDNS__FMT_TEXT:
        st = pdns__fmt_text(o, r, &len);
        break;
    case PDNS__FMT_HOSTS:
        st = pdns__fmt_hosts(o, r, &len);
        break;
    case PDNS__FMT_ZONE:
        st = pdns__fmt_zone(o, r, &len);
        break;
    default:
        return PDNS_ERR_INVALID;
    }
    if (st != PDNS_OK)
        return st;
    if (len > 0 && fwrite(o->buf, 1, len, o->fp) != len)
        return PDNS_ERR_IO;
    return PDNS_OK;
}
