/* output.c - result records as ndjson, text, hosts or zone lines.
 * SPDX-License-Identifier: MIT */
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <cjson/cJSON.h>
#include "input.h"
#include "name.h"
#include "output.h"

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

/* A JSON string; text that is not printable ASCII goes through pdns__escape_bytes so
 * the document is valid UTF-8 and reads like the other formats. */
static cJSON *pdns__jstr(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (!pdns__needs_escape(s, n))
        return cJSON_CreateString(s ? s : "");
    if (n > (SIZE_MAX - 1) / 4)
        return NULL;
    char *tmp = malloc(4 * n + 1);
    if (!tmp)
        return NULL;
    pdns__escape_bytes(s, n, tmp, 4 * n + 1);
    cJSON *item = cJSON_CreateString(tmp);
    free(tmp);
    return item;
}

/* Add `item` under `key`; on failure free it. Returns 1 on success. */
static int pdns__jadd(cJSON *obj, const char *key, cJSON *item)
{
    if (!item)
        return 0;
    if (!cJSON_AddItemToObject(obj, key, item)) {
        cJSON_Delete(item);
        return 0;
    }
    return 1;
}

static int pdns__jpush(cJSON *arr, cJSON *item)
{
    if (!item)
        return 0;
    if (!cJSON_AddItemToArray(arr, item)) {
        cJSON_Delete(item);
        return 0;
    }
    return 1;
}

static cJSON *pdns__jraw_u64(uint64_t v)
{
    char num[24];
    snprintf(num, sizeof num, "%" PRIu64, v);
    return cJSON_CreateRaw(num);
}

static cJSON *pdns__janswers(const pdns_result *r)
{
    char tbuf[16];
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; arr && i < r->n_answers; i++) {
        const pdns_answer *a = &r->answers[i];
        cJSON *ans = cJSON_CreateObject();
        if (!pdns__jpush(arr, ans) || !pdns__jadd(ans, "name", pdns__jstr(a->name)) ||
            !pdns__jadd(ans, "type", cJSON_CreateString(pdns_rrtype_name(a->type, tbuf))) ||
            !pdns__jadd(ans, "ttl", pdns__jraw_u64(a->ttl)) ||
            !pdns__jadd(ans, "data", pdns__jstr(a->data))) {
            cJSON_Delete(arr);
            return NULL;
        }
    }
    return arr;
}

static cJSON *pdns__jcnames(const pdns_result *r)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; arr && i < r->n_cname; i++) {
        if (!pdns__jpush(arr, pdns__jstr(r->cname[i]))) {
            cJSON_Delete(arr);
            return NULL;
        }
    }
    return arr;
}

/* Build the ndjson object of r, keys in the documented order; NULL on no memory. */
static cJSON *pdns__jresult(const pdns_result *r)
{
    char tbuf[16], num[400]; /* %.3f of DBL_MAX needs 314 bytes */
    cJSON *obj = cJSON_CreateObject();
    if (!obj)
        return NULL;
    int ok = pdns__jadd(obj, "name", pdns__jstr(r->name));
    if (ok && r->qname && !pdns__name_equal(r->name ? r->name : "", r->qname))
        ok = pdns__jadd(obj, "qname", pdns__jstr(r->qname));
    if (ok && r->line)
        ok = pdns__jadd(obj, "line", pdns__jraw_u64(r->line));
    ok = ok && pdns__jadd(obj, "type", cJSON_CreateString(pdns_rrtype_name(r->qtype, tbuf)));
    ok = ok && pdns__jadd(obj, "status", cJSON_CreateString(pdns_rstatus_name(r->status)));
    ok = ok && pdns__jadd(obj, "rcode",
                          r->rcode >= 0 ? cJSON_CreateString(pdns_rcode_name(r->rcode))
                                        : cJSON_CreateNull());
    ok = ok && pdns__jadd(obj, "answers", pdns__janswers(r));
    ok = ok && pdns__jadd(obj, "cname", pdns__jcnames(r));
    ok = ok && pdns__jadd(obj, "server", r->server ? pdns__jstr(r->server) : cJSON_CreateNull());
    ok = ok && pdns__jadd(obj, "attempts", cJSON_CreateNumber(r->attempts));
    if (ok && isfinite(r->rtt_ms) && r->rtt_ms >= 0) {
        snprintf(num, sizeof num, "%.3f", r->rtt_ms);
        ok = pdns__jadd(obj, "rtt_ms", cJSON_CreateRaw(num));
    } else if (ok) {
        ok = pdns__jadd(obj, "rtt_ms", cJSON_CreateNull());
    }
    if (ok && r->error)
        ok = pdns__jadd(obj, "error", pdns__jstr(r->error));
    if (ok && r->fcrdns >= 0)
        ok = pdns__jadd(obj, "fcrdns", cJSON_CreateBool(r->fcrdns > 0));
    if (!ok) {
        cJSON_Delete(obj);
        return NULL;
    }
    return obj;
}

static pdns_status pdns__fmt_ndjson(pdns__output *o, const pdns_result *r, size_t *len)
{
    cJSON *obj = pdns__jresult(r);
    if (!obj)
        return PDNS_ERR_NOMEM;
    pdns_status st = pdns__out_reserve(o, PDNS__OUT_INITIAL);
    /* Print into the reused buffer; it fails (without writing past it) when too small. */
    while (st == PDNS_OK && !cJSON_PrintPreallocated(obj, o->buf, (int)o->cap, 0))
        st = o->cap > INT_MAX / 2 ? PDNS_ERR_NOMEM : pdns__out_reserve(o, o->cap * 2);
    cJSON_Delete(obj);
    if (st != PDNS_OK)
        return st;
    *len = strlen(o->buf);
    o->buf[(*len)++] = '\n'; /* replaces the NUL, which was inside the buffer */
    return PDNS_OK;
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

static pdns_status pdns__fmt_hosts(pdns__output *o, const pdns_result *r, size_t *len)
{
    char host[PDNS__NAME_MAX];
    const char *name = r->name ? r->name : "";
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
        if (a->type != 1 && a->type != 28) /* A, AAAA */
            continue;
        const char *f[] = {a->data ? a->data : "", name, NULL};
        if (pdns__out_row(o, len, f) != PDNS_OK)
            return PDNS_ERR_NOMEM;
    }
    return PDNS_OK;
}

static pdns_status pdns__fmt_zone(pdns__output *o, const pdns_result *r, size_t *len)
{
    char tbuf[16], ttl[16];
    if (r->n_answers == 0) {
        const char *f[] = {"; ", r->name,
                           " ",  pdns_rrtype_name(r->qtype, tbuf),
                           " ",  pdns_rstatus_name(r->status)};
        for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
            if (pdns__out_put(o, len, f[i]) != PDNS_OK)
                return PDNS_ERR_NOMEM;
        o->buf[(*len)++] = '\n'; /* out_put kept room for two bytes */
        return PDNS_OK;
    }
    for (size_t i = 0; i < r->n_answers; i++) {
        const pdns_answer *a = &r->answers[i];
        const char *owner = a->name ? a->name : r->qname ? r->qname : r->name;
        size_t n = owner ? strlen(owner) : 0;
        snprintf(ttl, sizeof ttl, "%" PRIu32, a->ttl);
        if (pdns__out_put(o, len, owner) != PDNS_OK)
            return PDNS_ERR_NOMEM;
        if (n == 0 || owner[n - 1] != '.')
            o->buf[(*len)++] = '.'; /* absolute; out_put kept room for two bytes */
        o->buf[(*len)++] = '\t';
        const char *f[] = {ttl, "IN", pdns_rrtype_name(a->type, tbuf), a->data ? a->data : "",
                           NULL};
        if (pdns__out_row(o, len, f) != PDNS_OK)
            return PDNS_ERR_NOMEM;
    }
    return PDNS_OK;
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
