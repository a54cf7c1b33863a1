/* merge.c - "pacedns merge": the shards' stats into one document, the check that every
 * input line (and type) is there exactly once, the records in line order.
 * SPDX-License-Identifier: MIT */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cjson/cJSON.h>

#include "cli.h"

/* IMPLEMENTATION NOTES
 * Input: the shards' stats documents (each with "shard" {index, count} and the input
 * map "input" every shard builds while reading the whole input, see shard.c) and,
 * optionally, their NDJSON record files.
 * The check. The shards must agree on the count and on the input map (the same input
 * read by all); every index 0..N-1 must be there once. The map says which (line, type)
 * records the run owes: every line up to "lines" except "skipped" ranges; a "typed"
 * line owes one record (of its own type), any other line one per "types" entry. With
 * --records, every record is read (line and type only) into an array of (line, type,
 * file, offset) sorted by line and type; one walk over it and the map lists the lines
 * missing a record, the duplicated ones and those the input does not have. Without
 * records, a missing shard's lines follow from the map (by line: (line - 1) mod N = I).
 * Line lists are printed and stored as runs [from, to, step] ("2-29999 step 3": every third
 * line), so a missing shard of a mod-N split is one run, not 10,000 lines.
 * The stats. Counts, rcodes and histograms are summed exactly per server; latency
 * quantiles come from the summed histogram (bucket midpoints clamped to [min, max], as
 * one run reports them); optimal_qps is the shards' sum. Time series are aligned on the
 * wall clock: a point at t of a shard that started at started_unix falls in the bin
 * ceil((started_unix + t - origin) / w) of width w (the widest of the shards' intervals),
 * origin the earliest start; counts are summed, target_qps is each shard's mean in the
 * bin summed over shards, p50 the answered-weighted mean, p99 the largest. Every shard's
 * own figures are kept in "shard_breakdown".
 * Memory: 24 bytes per record with --records (sorting needs them all). */

#define MERGE_MAX_FILE  (1024L * 1024 * 1024) /* a stats file larger than this is not ours */
#define MERGE_MAX_PRINT 8                     /* runs printed per list (all are in the JSON) */

typedef struct rec {
    uint64_t line;
    uint64_t off;  /* byte offset in its file */
    uint32_t len;  /* bytes, newline included */
    uint16_t type; /* 0: none / unknown */
    uint16_t file;
} rec;

typedef struct shard_doc {
    const char *path;
    cJSON *doc;
    unsigned index, count;
} shard_doc;

/* A list of line numbers being collected in increasing order, as runs. */
typedef struct runs {
    cJSON *arr; /* [[from, to, step], ...] */
    uint64_t from, last, step, n;
    uint64_t total; /* lines */
    int open;
} runs;

static void runs_init(runs *r)
{
    memset(r, 0, sizeof *r);
    r->arr = cJSON_CreateArray();
}

static void runs_flush(runs *r)
{
    cJSON *p;
    if (!r->open)
        return;
    if ((p = cJSON_CreateArray())) {
        cJSON_AddItemToArray(p, cJSON_CreateNumber((double)r->from));
        cJSON_AddItemToArray(p, cJSON_CreateNumber((double)r->last));
        cJSON_AddItemToArray(p, cJSON_CreateNumber((double)(r->step ? r->step : 1)));
        cJSON_AddItemToArray(r->arr, p);
    }
    r->open = 0;
}

static void runs_add(runs *r, uint64_t line)
{
    r->total++;
    if (r->open && r->n == 1) {
        r->step = line - r->from;
        r->last = line;
        r->n = 2;
        return;
    }
    if (r->open && line - r->last == r->step) {
        r->last = line;
        r->n++;
        return;
    }
    runs_flush(r);
    r->open = 1;
    r->from = r->last = line;
    r->step = 0;
    r->n = 1;
}

/* Print "what: N line(s): a-b/step, ..." on stderr. */
static void runs_print(const char *what, runs *r)
{
    int n = cJSON_GetArraySize(r->arr), i = 0;
    const cJSON *p;
    fprintf(stderr, "pacedns: merge: %s: %llu line(s):", what, (unsigned long long)r->total);
    cJSON_ArrayForEach(p, r->arr)
    {
        double a = cJSON_GetArrayItem(p, 0)->valuedouble, b = cJSON_GetArrayItem(p, 1)->valuedouble,
               s = cJSON_GetArrayItem(p, 2)->valuedouble;
        if (i++ == MERGE_MAX_PRINT) {
            fprintf(stderr, " ... and %d more range(s) (all in the merged stats' \"check\")",
                    n - MERGE_MAX_PRINT);
            break;
        }
        if (a == b)
            fprintf(stderr, "%s %.0f", i > 1 ? "," : "", a);
        else if (s == 1)
            fprintf(stderr, "%s %.0f-%.0f", i > 1 ? "," : "", a, b);
        else
            fprintf(stderr, "%s %.0f-%.0f step %.0f", i > 1 ? "," : "", a, b, s);
    }
    fputc('\n', stderr);
}

static double num_of(const cJSON *o, const char *key, double dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

static cJSON *get(const cJSON *o, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(o, key);
}

/* Read and parse a stats file. */
static cJSON *read_json(const char *path)
{
    FILE *fp = fopen(path, "r");
    char *buf = NULL;
    long len = -1;
    cJSON *doc = NULL;
    if (!fp) {
        fprintf(stderr, "pacedns: merge: cannot read %s: %s\n", path, strerror(errno));
        return NULL;
    }
    if (fseek(fp, 0, SEEK_END) == 0 && (len = ftell(fp)) >= 0 && len <= MERGE_MAX_FILE &&
        fseek(fp, 0, SEEK_SET) == 0 && (buf = malloc((size_t)len + 1)) &&
        fread(buf, 1, (size_t)len, fp) == (size_t)len) {
        buf[len] = '\0';
        doc = cJSON_Parse(buf);
    }
    fclose(fp);
    free(buf);
    if (!doc || !cJSON_IsArray(get(doc, "servers")) || !cJSON_IsObject(get(doc, "totals")))
        fprintf(stderr, "pacedns: merge: %s is not a pacedns stats document\n", path);
    else
        return doc;
    cJSON_Delete(doc);
    return NULL;
}

/* The "input" members that must be the same in every shard. */
static int same_input(const cJSON *a, const cJSON *b)
{
    static const char *const keys[] = {"lines", "names", "skipped", "typed", "types", "shard_by"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (!cJSON_Compare(get(a, keys[i]), get(b, keys[i]), 1))
            return 0;
    return 1;
}

/* Whether line is in the ranges [[from, to], ...] (sorted), advancing *k. */
static int in_ranges(const cJSON *ranges, int *k, uint64_t line)
{
    int n = cJSON_GetArraySize(ranges);
    while (*k < n) {
        const cJSON *p = cJSON_GetArrayItem(ranges, *k);
        double from = cJSON_GetArrayItem(p, 0)->valuedouble,
               to = cJSON_GetArrayItem(p, 1)->valuedouble;
        if ((double)line < from)
            return 0;
        if ((double)line <= to)
            return 1;
        (*k)++;
    }
    return 0;
}

static int cmp_rec(const void *x, const void *y)
{
    const rec *a = x, *b = y;
    if (a->line != b->line)
        return a->line < b->line ? -1 : 1;
    if (a->type != b->type)
        return a->type < b->type ? -1 : 1;
    if (a->file != b->file)
        return a->file < b->file ? -1 : 1;
    return a->off < b->off ? -1 : a->off > b->off;
}

/* Read every record of the files (NDJSON): line and type. Returns 0 or -1. */
static int read_records(char **files, size_t n, rec **out, size_t *n_out)
{
    rec *v = NULL;
    size_t nv = 0, cap = 0;
    char *buf = NULL;
    size_t bcap = 0;
    for (size_t f = 0; f < n; f++) {
        FILE *fp = fopen(files[f], "r");
        uint64_t off = 0, lineno = 0;
        ssize_t len;
        if (!fp) {
            fprintf(stderr, "pacedns: merge: cannot read records %s: %s\n", files[f],
                    strerror(errno));
            goto fail;
        }
        while ((len = getline(&buf, &bcap, fp)) > 0) {
            cJSON *o;
            const cJSON *l, *t;
            lineno++;
            if (len == 1 && buf[0] == '\n') {
                off += 1;
                continue;
            }
            o = cJSON_Parse(buf);
            l = get(o, "line");
            t = get(o, "type");
            if (!o || !cJSON_IsNumber(l) || l->valuedouble < 1 || !cJSON_IsString(t)) {
                fprintf(stderr,
                        "pacedns: merge: %s:%llu: not an NDJSON record with \"line\" and "
                        "\"type\" (merge reads -f ndjson output)\n",
                        files[f], (unsigned long long)lineno);
                cJSON_Delete(o);
                fclose(fp);
                goto fail;
            }
            if (nv == cap) {
                size_t nc = cap ? cap * 2 : 4096;
                rec *nr = realloc(v, nc * sizeof *nr);
                if (!nr) {
                    cJSON_Delete(o);
                    fclose(fp);
                    fprintf(stderr, "pacedns: merge: out of memory\n");
                    goto fail;
                }
                v = nr;
                cap = nc;
            }
            v[nv].line = (uint64_t)l->valuedouble;
            v[nv].off = off;
            v[nv].len = (uint32_t)len;
            v[nv].file = (uint16_t)f;
            if (pdns_rrtype_from_name(t->valuestring, &v[nv].type) != PDNS_OK)
                v[nv].type = 0;
            nv++;
            off += (uint64_t)len;
            cJSON_Delete(o);
        }
        fclose(fp);
    }
    free(buf);
    qsort(v, nv, sizeof *v, cmp_rec);
    *out = v;
    *n_out = nv;
    return 0;
fail:
    free(buf);
    free(v);
    return -1;
}

/* The check with records: walk lines 1..lines of the map and the sorted records.
 * Fills missing/dup/extra; returns the number of problems. */
static uint64_t check_records(const cJSON *in, const rec *v, size_t n, runs *missing, runs *dup,
                              runs *extra)
{
    uint64_t lines = (uint64_t)num_of(in, "lines", 0), problems = 0;
    const cJSON *skipped = get(in, "skipped"), *typed = get(in, "typed"), *t;
    uint16_t want[64];
    size_t nw = 0, i = 0;
    int ks = 0, kt = 0;
    cJSON_ArrayForEach(t, get(in, "types"))
    {
        if (cJSON_IsString(t) && nw < 64 && pdns_rrtype_from_name(t->valuestring, &want[nw]) == 0)
            nw++;
    }
    for (uint64_t line = 1; line <= lines || i < n; line++) {
        size_t j = i;
        int expected, own, miss = 0, dupl = 0;
        if (line > lines && v[i].line > line)
            line = v[i].line; /* past the input: only records it does not have */
        expected = line <= lines && !in_ranges(skipped, &ks, line);
        own = expected && in_ranges(typed, &kt, line);
        while (j < n && v[j].line == line)
            j++;
        for (size_t k = i + 1; k < j; k++)
            if (v[k].type == v[k - 1].type)
                dupl = 1;
        if (!expected) {
            if (j > i) {
                runs_add(extra, line);
                problems++;
            }
        } else if (own) {
            miss = j == i;
            dupl |= j - i > 1;
        } else {
            for (size_t w = 0; w < nw && !miss; w++) {
                size_t k = i;
                while (k < j && v[k].type != want[w])
                    k++;
                miss = k == j;
            }
            /* a record of a type the line does not owe is one too many */
            for (size_t k = i; k < j && !dupl; k++) {
                size_t w = 0;
                while (w < nw && want[w] != v[k].type)
                    w++;
                dupl = w == nw;
            }
        }
        if (miss) {
            runs_add(missing, line);
            problems++;
        }
        if (dupl) {
            runs_add(dup, line);
            problems++;
        }
        i = j;
    }
    return problems;
}

/* Lines of shard `idx` of `count` by the map (shard-by line), into r. */
static void shard_lines(const cJSON *in, unsigned idx, unsigned count, runs *r)
{
    uint64_t lines = (uint64_t)num_of(in, "lines", 0);
    int ks = 0;
    for (uint64_t line = 1 + idx; line <= lines; line += count) {
        if (!in_ranges(get(in, "skipped"), &ks, line))
            runs_add(r, line);
    }
}

/* Records the map says the whole input owes. */
static uint64_t owed_records(const cJSON *in)
{
    uint64_t names = (uint64_t)num_of(in, "names", 0), typed = 0;
    const cJSON *p;
    cJSON_ArrayForEach(p, get(in, "typed"))
    {
        typed += (uint64_t)(cJSON_GetArrayItem(p, 1)->valuedouble -
                            cJSON_GetArrayItem(p, 0)->valuedouble + 1);
    }
    return typed + (names - typed) * (uint64_t)cJSON_GetArraySize(get(in, "types"));
}

/* ---- the merged stats ---------------------------------------------------------------- */

/* Add number key of src into dst (created at 0). */
static void sum_num(cJSON *dst, const cJSON *src, const char *key)
{
    const cJSON *s = get(src, key);
    cJSON *d = get(dst, key);
    if (!cJSON_IsNumber(s))
        return;
    if (!d)
        cJSON_AddNumberToObject(dst, key, s->valuedouble);
    else
        cJSON_SetNumberValue(d, d->valuedouble + s->valuedouble);
}

/* Sum every number of object src into object dst. */
static void sum_obj(cJSON *dst, const cJSON *src)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, src)
    {
        sum_num(dst, src, e->string);
    }
}

typedef struct bin {
    double sent, answered, lost, errors, tc, target, p50w, p99;
    int has;
} bin;

/* Time series of server `name` over the shards, on the wall clock. */
static cJSON *merged_series(shard_doc *sd, size_t ns, const char *name, double origin, double w)
{
    bin *b = NULL;
    size_t nb = 0;
    cJSON *arr = cJSON_CreateArray();
    for (size_t k = 0; arr && k < ns; k++) {
        double st = num_of(sd[k].doc, "started_unix", origin);
        const cJSON *s, *p;
        bin *mine = NULL; /* this shard's target per bin: sum and count */
        double *cnt = NULL;
        size_t nm = 0;
        cJSON_ArrayForEach(s, get(sd[k].doc, "servers"))
        {
            const cJSON *nm_ = get(s, "server");
            if (!cJSON_IsString(nm_) || strcmp(nm_->valuestring, name) != 0)
                continue;
            cJSON_ArrayForEach(p, get(s, "timeseries"))
            {
                double wall = st + num_of(p, "t", 0) - origin;
                size_t i = (size_t)fmax(1, ceil(wall / w - 1e-9));
                if (i >= nb) {
                    size_t nn = i + 1;
                    bin *x = realloc(b, nn * sizeof *x);
                    if (!x)
                        break;
                    memset(x + nb, 0, (nn - nb) * sizeof *x);
                    b = x;
                    nb = nn;
                }
                if (i >= nm) {
                    size_t nn = i + 1;
                    bin *x = realloc(mine, nn * sizeof *x);
                    double *c = realloc(cnt, nn * sizeof *c);
                    if (x)
                        mine = x;
                    if (c)
                        cnt = c;
                    if (!x || !c)
                        break;
                    memset(mine + nm, 0, (nn - nm) * sizeof *mine);
                    memset(cnt + nm, 0, (nn - nm) * sizeof *cnt);
                    nm = nn;
                }
                b[i].has = 1;
                b[i].sent += num_of(p, "sent", 0);
                b[i].answered += num_of(p, "answered", 0);
                b[i].lost += num_of(p, "lost", 0);
                b[i].errors += num_of(p, "errors", 0);
                b[i].tc += num_of(p, "tc", 0);
                if (num_of(p, "p50_ms", -1) >= 0)
                    b[i].p50w += num_of(p, "p50_ms", 0) * num_of(p, "answered", 0);
                b[i].p99 = fmax(b[i].p99, num_of(p, "p99_ms", -1));
                mine[i].target += num_of(p, "target_qps", 0);
                cnt[i] += 1;
            }
        }
        for (size_t i = 0; i < nm && i < nb; i++)
            if (cnt[i] > 0)
                b[i].target += mine[i].target / cnt[i];
        free(mine);
        free(cnt);
    }
    for (size_t i = 1; arr && i < nb; i++) {
        cJSON *o = cJSON_CreateObject();
        if (!o)
            break;
        cJSON_AddNumberToObject(o, "t", round(i * w * 1000) / 1000);
        cJSON_AddNumberToObject(o, "target_qps", round(b[i].target * 10) / 10);
        cJSON_AddNumberToObject(o, "sent", b[i].sent);
        cJSON_AddNumberToObject(o, "answered", b[i].answered);
        cJSON_AddNumberToObject(o, "lost", b[i].lost);
        cJSON_AddNumberToObject(o, "errors", b[i].errors);
        cJSON_AddNumberToObject(o, "tc", b[i].tc);
        cJSON_AddNumberToObject(
            o, "p50_ms", b[i].answered > 0 ? round(b[i].p50w / b[i].answered * 1000) / 1000 : -1);
        cJSON_AddNumberToObject(o, "p99_ms", b[i].answered > 0 ? b[i].p99 : -1);
        cJSON_AddItemToArray(arr, o);
    }
    free(b);
    return arr;
}

/* Latency figures from a summed histogram [[lo, hi, count], ...]. */
static void latency_of(cJSON *srv, const cJSON *hist, double mn, double mx)
{
    static const struct {
        const char *key;
        double q;
    } qs[] = {{"p50", 0.5}, {"p90", 0.9}, {"p99", 0.99}, {"p999", 0.999}};
    cJSON *l = cJSON_AddObjectToObject(srv, "latency_ms");
    double total = 0, sum = 0;
    const cJSON *r;
    if (!l)
        return;
    cJSON_ArrayForEach(r, hist)
    {
        double lo = cJSON_GetArrayItem(r, 0)->valuedouble,
               hi = cJSON_GetArrayItem(r, 1)->valuedouble,
               c = cJSON_GetArrayItem(r, 2)->valuedouble;
        total += c;
        sum += c * (lo + hi) / 2;
    }
    cJSON_AddNumberToObject(l, "min", total > 0 ? mn : 0);
    cJSON_AddNumberToObject(l, "mean", total > 0 ? round(sum / total * 1000) / 1000 : 0);
    for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++) {
        double rank = ceil(qs[i].q * total - qs[i].q * total * 1e-12), acc = 0, v = 0;
        if (rank < 1)
            rank = 1;
        cJSON_ArrayForEach(r, hist)
        {
            double lo = cJSON_GetArrayItem(r, 0)->valuedouble,
                   hi = cJSON_GetArrayItem(r, 1)->valuedouble;
            acc += cJSON_GetArrayItem(r, 2)->valuedouble;
            if (acc >= rank) {
                v = fmin(fmax((lo + hi) / 2, mn), mx);
                break;
            }
        }
        cJSON_AddNumberToObject(l, qs[i].key, total > 0 ? round(v * 1000) / 1000 : 0);
    }
    cJSON_AddNumberToObject(l, "max", total > 0 ? mx : 0);
}

static int cmp_hist(const void *x, const void *y)
{
    const double *a = x, *b = y;
    return a[0] < b[0] ? -1 : a[0] > b[0];
}

/* One merged server object for `name`. */
static cJSON *merged_server(shard_doc *sd, size_t ns, const char *name, double origin, double w,
                            double dur)
{
    static const char *const counts[] = {"sent",        "answered",   "timeouts",  "retries",
                                         "tc",          "errors",     "malformed", "ignored",
                                         "unreachable", "send_errors"};
    cJSON *o = cJSON_CreateObject(), *rc, *hist;
    double *h = NULL, mn = INFINITY, mx = 0, opt = 0, conv = -1;
    size_t nh = 0, ch = 0;
    int have_opt = 0;
    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "server", name);
    for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++)
        cJSON_AddNumberToObject(o, counts[c], 0);
    rc = cJSON_AddObjectToObject(o, "rcodes");
    for (size_t k = 0; k < ns; k++) {
        const cJSON *s;
        cJSON_ArrayForEach(s, get(sd[k].doc, "servers"))
        {
            const cJSON *nm = get(s, "server"), *r;
            if (!cJSON_IsString(nm) || strcmp(nm->valuestring, name) != 0)
                continue;
            for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++)
                sum_num(o, s, counts[c]);
            sum_obj(rc, get(s, "rcodes"));
            if (num_of(s, "answered", 0) > 0) {
                mn = fmin(mn, num_of(get(s, "latency_ms"), "min", mn));
                mx = fmax(mx, num_of(get(s, "latency_ms"), "max", 0));
            }
            cJSON_ArrayForEach(r, get(s, "histogram"))
            {
                if (nh == ch) {
                    size_t nc = ch ? ch * 2 : 256;
                    double *x = realloc(h, nc * 3 * sizeof *x);
                    if (!x)
                        break;
                    h = x;
                    ch = nc;
                }
                h[3 * nh] = cJSON_GetArrayItem(r, 0)->valuedouble;
                h[3 * nh + 1] = cJSON_GetArrayItem(r, 1)->valuedouble;
                h[3 * nh + 2] = cJSON_GetArrayItem(r, 2)->valuedouble;
                nh++;
            }
            if (num_of(s, "optimal_qps", -1) >= 0) {
                opt += num_of(s, "optimal_qps", 0);
                have_opt = 1;
            }
            conv = fmax(conv, num_of(s, "converged_after_s", -1));
        }
    }
    /* the histogram: rows with the same bucket summed */
    qsort(h, nh, 3 * sizeof *h, cmp_hist);
    hist = cJSON_CreateArray();
    for (size_t i = 0; hist && i < nh;) {
        double row[3] = {h[3 * i], h[3 * i + 1], 0};
        size_t j = i;
        while (j < nh && h[3 * j] == row[0])
            row[2] += h[3 * j++ + 2];
        cJSON_AddItemToArray(hist, cJSON_CreateDoubleArray(row, 3));
        i = j;
    }
    latency_of(o, hist, isfinite(mn) ? mn : 0, mx);
    cJSON_AddNumberToObject(o, "answered_qps", dur > 0 ? num_of(o, "answered", 0) / dur : 0);
    cJSON_AddItemToObject(o, "histogram", hist);
    cJSON_AddItemToObject(o, "timeseries", merged_series(sd, ns, name, origin, w));
    if (have_opt)
        cJSON_AddNumberToObject(o, "optimal_qps", round(opt * 10) / 10);
    if (conv >= 0)
        cJSON_AddNumberToObject(o, "converged_after_s", conv);
    free(h);
    return o;
}

/* The widest time-series interval over the shards (the mean spacing of each shard's
 * first server's points, to the millisecond), at least 0.01 s. */
static double bin_width(shard_doc *sd, size_t ns)
{
    double w = 0.01;
    for (size_t k = 0; k < ns; k++) {
        const cJSON *s = cJSON_GetArrayItem(get(sd[k].doc, "servers"), 0);
        const cJSON *ts = get(s, "timeseries");
        int n = cJSON_GetArraySize(ts);
        if (n >= 2) {
            double a = num_of(cJSON_GetArrayItem(ts, 0), "t", 0),
                   b = num_of(cJSON_GetArrayItem(ts, n - 1), "t", 0);
            double d = round((b - a) / (n - 1) * 1000) / 1000;
            if (d > w)
                w = d;
        }
    }
    return w;
}

/* The whole merged document. */
static cJSON *merged_doc(shard_doc *sd, size_t ns, cJSON *check)
{
    cJSON *doc = cJSON_CreateObject(), *tot, *st, *servers, *bd;
    double origin = INFINITY, end = 0, dur, w = bin_width(sd, ns);
    char started[32];
    time_t t0;
    struct tm tm;
    const cJSON *s;

    for (size_t k = 0; k < ns; k++) {
        double a = num_of(sd[k].doc, "started_unix", 0);
        origin = fmin(origin, a);
        end = fmax(end, a + num_of(sd[k].doc, "duration_s", 0));
    }
    dur = end - origin;
    t0 = (time_t)origin;
    gmtime_r(&t0, &tm);
    strftime(started, sizeof started, "%Y-%m-%dT%H:%M:%SZ", &tm);
    cJSON_AddStringToObject(doc, "pacedns_version", PDNS_VERSION);
    cJSON_AddStringToObject(doc, "started", started);
    cJSON_AddNumberToObject(doc, "started_unix", origin);
    cJSON_AddNumberToObject(doc, "duration_s", round(dur * 1000) / 1000);
    cJSON_AddNumberToObject(doc, "shards", sd[0].count);
    cJSON_AddNumberToObject(doc, "interval_s", w);
    if (get(sd[0].doc, "controller"))
        cJSON_AddItemToObject(doc, "controller", cJSON_Duplicate(get(sd[0].doc, "controller"), 1));
    tot = cJSON_AddObjectToObject(doc, "totals");
    cJSON_AddNumberToObject(tot, "names", 0);
    cJSON_AddNumberToObject(tot, "records", 0);
    st = cJSON_AddObjectToObject(tot, "statuses");
    for (size_t k = 0; k < ns; k++) {
        const cJSON *t = get(sd[k].doc, "totals");
        sum_num(tot, t, "names");
        sum_num(tot, t, "records");
        sum_obj(st, get(t, "statuses"));
    }
    cJSON_AddNumberToObject(tot, "records_per_s",
                            dur > 0 ? round(num_of(tot, "records", 0) / dur * 10) / 10 : 0);
    servers = cJSON_AddArrayToObject(doc, "servers");
    for (size_t k = 0; k < ns; k++)
        cJSON_ArrayForEach(s, get(sd[k].doc, "servers"))
        {
            const cJSON *nm = get(s, "server"), *m;
            int seen = 0;
            if (!cJSON_IsString(nm))
                continue;
            cJSON_ArrayForEach(m, servers)
            {
                seen |= !strcmp(get(m, "server")->valuestring, nm->valuestring);
            }
            if (!seen)
                cJSON_AddItemToArray(servers,
                                     merged_server(sd, ns, nm->valuestring, origin, w, dur));
        }
    bd = cJSON_AddArrayToObject(doc, "shard_breakdown");
    for (size_t k = 0; k < ns; k++) {
        cJSON *o = cJSON_CreateObject(), *sv;
        cJSON_AddNumberToObject(o, "index", sd[k].index);
        cJSON_AddStringToObject(o, "file", sd[k].path);
        cJSON_AddItemToObject(o, "started", cJSON_Duplicate(get(sd[k].doc, "started"), 1));
        cJSON_AddNumberToObject(o, "started_unix", num_of(sd[k].doc, "started_unix", 0));
        cJSON_AddNumberToObject(o, "duration_s", num_of(sd[k].doc, "duration_s", 0));
        cJSON_AddItemToObject(o, "totals", cJSON_Duplicate(get(sd[k].doc, "totals"), 1));
        sv = cJSON_AddArrayToObject(o, "servers");
        cJSON_ArrayForEach(s, get(sd[k].doc, "servers"))
        {
            static const char *const keep[] = {"server",  "sent",        "answered", "timeouts",
                                               "retries", "optimal_qps", "edges"};
            cJSON *x = cJSON_CreateObject();
            for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++)
                if (get(s, keep[i]))
                    cJSON_AddItemToObject(x, keep[i], cJSON_Duplicate(get(s, keep[i]), 1));
            cJSON_AddItemToArray(sv, x);
        }
        cJSON_AddItemToArray(bd, o);
    }
    cJSON_AddItemToObject(doc, "check", check);
    return doc;
}

/* Copy the records in line order into path. Returns 0 or -1. */
static int write_merged(const char *path, char **files, size_t nf, const rec *v, size_t n)
{
    FILE **in = calloc(nf + 1, sizeof *in), *out = NULL;
    char *buf = NULL;
    size_t cap = 0;
    int rc = -1;
    if (!in)
        return -1;
    for (size_t f = 0; f < nf; f++)
        if (!(in[f] = fopen(files[f], "r"))) {
            fprintf(stderr, "pacedns: merge: cannot read %s: %s\n", files[f], strerror(errno));
            goto out;
        }
    if (!(out = strcmp(path, "-") ? fopen(path, "w") : stdout)) {
        fprintf(stderr, "pacedns: merge: cannot write %s: %s\n", path, strerror(errno));
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        if (v[i].len > cap) {
            char *b = realloc(buf, v[i].len);
            if (!b)
                goto out;
            buf = b;
            cap = v[i].len;
        }
        if (fseeko(in[v[i].file], (off_t)v[i].off, SEEK_SET) != 0 ||
            fread(buf, 1, v[i].len, in[v[i].file]) != v[i].len ||
            fwrite(buf, 1, v[i].len, out) != v[i].len) {
            fprintf(stderr, "pacedns: merge: copying records to %s failed\n", path);
            goto out;
        }
    }
    rc = 0;
out:
    if (out && out != stdout && fclose(out) != 0 && rc == 0) {
        fprintf(stderr, "pacedns: merge: cannot write %s\n", path);
        rc = -1;
    } else if (out == stdout && fflush(stdout) != 0) {
        rc = -1;
    }
    for (size_t f = 0; f < nf; f++)
        if (in[f])
            fclose(in[f]);
    free(in);
    free(buf);
    return rc;
}

static void usage(void)
{
    fprintf(stderr, "usage: pacedns merge STATS... [--records FILE... [-o MERGED.ndjson]] "
                    "[--stats OUT.json] [-q]\n");
}

int cli_merge_main(int argc, char **argv)
{
    char **stats = calloc((size_t)argc + 1, sizeof *stats),
         **recs = calloc((size_t)argc + 1, sizeof *recs);
    const char *out_stats = NULL, *out_recs = NULL;
    size_t n_stats = 0, n_recs = 0;
    shard_doc *sd = NULL;
    rec *v = NULL;
    size_t nv = 0;
    unsigned count = 0;
    const cJSON *in = NULL;
    cJSON *check = NULL, *doc = NULL, *ms;
    runs missing, dup, extra;
    uint64_t problems = 0;
    int rc = EXIT_USAGE, quiet = 0, mode = 0; /* mode 1: after --records */
    char *text = NULL;

    runs_init(&missing);
    runs_init(&dup);
    runs_init(&extra);
    if (!stats || !recs)
        goto out;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--records")) {
            mode = 1;
        } else if (!strcmp(a, "-o") || !strcmp(a, "--output") || !strcmp(a, "--stats")) {
            if (i + 1 == argc) {
                fprintf(stderr, "pacedns: merge: option %s needs a value\n", a);
                goto out;
            }
            if (!strcmp(a, "--stats"))
                out_stats = argv[++i];
            else
                out_recs = argv[++i];
            mode = 0;
        } else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
            quiet = 1;
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage();
            rc = 0;
            goto out;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "pacedns: merge: unknown option '%s'\n", a);
            usage();
            goto out;
        } else if (mode) {
            recs[n_recs++] = argv[i];
        } else {
            stats[n_stats++] = argv[i];
        }
    }
    if (!n_stats) {
        usage();
        goto out;
    }
    if (out_recs && !n_recs) {
        fprintf(stderr, "pacedns: merge: -o writes the merged records: give --records\n");
        goto out;
    }
    if (n_recs > 65535) {
        fprintf(stderr, "pacedns: merge: at most 65535 record files\n");
        goto out;
    }
    if (!(sd = calloc(n_stats, sizeof *sd)))
        goto out;
    /* the shards: one count, each index once, one input */
    for (size_t k = 0; k < n_stats; k++) {
        const cJSON *sh;
        sd[k].path = stats[k];
        if (!(sd[k].doc = read_json(stats[k])))
            goto out;
        sh = get(sd[k].doc, "shard");
        sd[k].index = (unsigned)num_of(sh, "index", 0);
        sd[k].count = (unsigned)num_of(sh, "count", 1);
        if (k == 0)
            count = sd[0].count;
        if (sd[k].count != count) {
            fprintf(stderr, "pacedns: merge: %s is shard %u of %u, %s of %u: not one run\n",
                    stats[k], sd[k].index, sd[k].count, stats[0], count);
            goto out;
        }
        for (size_t j = 0; j < k; j++)
            if (sd[j].index == sd[k].index) {
                fprintf(stderr, "pacedns: merge: %s and %s are both shard %u/%u\n", stats[j],
                        stats[k], sd[k].index, count);
                goto out;
            }
        if (!in) {
            in = get(sd[k].doc, "input");
        } else if (get(sd[k].doc, "input") && !same_input(in, get(sd[k].doc, "input"))) {
            fprintf(stderr,
                    "pacedns: merge: %s read another input than %s (its \"input\" lines, "
                    "names, types or shard_by differ): not one run\n",
                    stats[k], sd[0].path);
            goto out;
        }
    }
    rc = EXIT_RUNTIME;
    if (!(check = cJSON_CreateObject()))
        goto out;
    /* shards that are not there */
    for (unsigned i = 0; i < count; i++) {
        size_t k = 0;
        while (k < n_stats && sd[k].index != i)
            k++;
        if (k < n_stats)
            continue;
        problems++;
        if (in && cJSON_IsString(get(in, "shard_by")) &&
            !strcmp(get(in, "shard_by")->valuestring, "line")) {
            runs r;
            char what[64];
            cJSON *o, *arr = get(check, "missing_shard_lines");
            runs_init(&r);
            shard_lines(in, i, count, &r);
            runs_flush(&r);
            snprintf(what, sizeof what, "shard %u/%u missing (no stats file)", i, count);
            if (!quiet)
                runs_print(what, &r);
            if (!arr)
                arr = cJSON_AddArrayToObject(check, "missing_shard_lines");
            if ((o = cJSON_CreateObject())) {
                cJSON_AddNumberToObject(o, "shard", i);
                cJSON_AddItemToObject(o, "lines", r.arr);
                cJSON_AddItemToArray(arr, o);
            } else {
                cJSON_Delete(r.arr);
            }
        } else if (!quiet) {
            fprintf(stderr,
                    "pacedns: merge: shard %u/%u missing (no stats file); its lines are not "
                    "known without the input map (shard-by zone or no \"input\")\n",
                    i, count);
        }
        if (!(ms = get(check, "missing_shards")))
            ms = cJSON_AddArrayToObject(check, "missing_shards");
        cJSON_AddItemToArray(ms, cJSON_CreateNumber(i));
    }
    if (n_recs) {
        if (read_records(recs, n_recs, &v, &nv) != 0) {
            rc = EXIT_USAGE; /* a file named that is not records (message printed) */
            goto out;
        }
        if (!in || !cJSON_IsTrue(get(in, "exact")) || !cJSON_IsTrue(get(in, "complete"))) {
            fprintf(stderr, "pacedns: merge: the stats carry no complete input map (an "
                            "interrupted run, or a pacedns without --shard support): only "
                            "duplicates are checked\n");
            for (size_t i = 1; i < nv; i++)
                if (v[i].line == v[i - 1].line && v[i].type == v[i - 1].type &&
                    (dup.total == 0 || dup.last != v[i].line)) {
                    runs_add(&dup, v[i].line);
                    problems++;
                }
        } else {
            problems += check_records(in, v, nv, &missing, &dup, &extra);
        }
        runs_flush(&missing);
        runs_flush(&dup);
        runs_flush(&extra);
        if (!quiet && missing.total)
            runs_print("lines missing a record", &missing);
        if (!quiet && dup.total)
            runs_print("lines with a duplicated record", &dup);
        if (!quiet && extra.total)
            runs_print("records of lines the input does not have", &extra);
        cJSON_AddNumberToObject(check, "records", (double)nv);
    } else if (in && !get(check, "missing_shards")) {
        /* no records: the counts must add up */
        double got = 0;
        for (size_t k = 0; k < n_stats; k++)
            got += num_of(get(sd[k].doc, "totals"), "records", 0);
        if (got != (double)owed_records(in)) {
            problems++;
            fprintf(stderr,
                    "pacedns: merge: the shards wrote %.0f records, the input owes %llu (give "
                    "--records to find which lines)\n",
                    got, (unsigned long long)owed_records(in));
        }
    }
    if (in)
        cJSON_AddNumberToObject(check, "owed_records", (double)owed_records(in));
    cJSON_AddBoolToObject(check, "ok", problems == 0);
    cJSON_AddBoolToObject(check, "records_checked", n_recs > 0);
    cJSON_AddItemToObject(check, "missing", missing.arr);
    cJSON_AddItemToObject(check, "duplicated", dup.arr);
    cJSON_AddItemToObject(check, "unexpected", extra.arr);
    missing.arr = dup.arr = extra.arr = NULL;
    doc = merged_doc(sd, n_stats, check);
    check = NULL;
    if (!doc || !(text = cJSON_Print(doc))) {
        fprintf(stderr, "pacedns: merge: out of memory\n");
        goto out;
    }
    if (out_stats) {
        FILE *fp = fopen(out_stats, "w");
        int ok = fp && fputs(text, fp) >= 0 && fputc('\n', fp) != EOF;
        if (fp && fclose(fp) != 0)
            ok = 0;
        if (!ok) {
            fprintf(stderr, "pacedns: merge: cannot write %s\n", out_stats);
            goto out;
        }
    } else if (!out_recs || strcmp(out_recs, "-") != 0) {
        puts(text);
    }
    if (problems) {
        fprintf(stderr, "pacedns: merge: %llu problem(s); %s\n", (unsigned long long)problems,
                out_recs ? "merged records not written" : "see \"check\" in the merged stats");
        rc = EXIT_USAGE;
        goto out;
    }
    if (out_recs && write_merged(out_recs, recs, n_recs, v, nv) != 0)
        goto out;
    if (!quiet)
        fprintf(stderr, "pacedns: merge: %zu shard(s) of %u, every input line %s\n", n_stats, count,
                n_recs ? "present exactly once per type" : "accounted for (by counts)");
    rc = 0;
out:
    free(text);
    cJSON_Delete(doc);
    cJSON_Delete(check);
    cJSON_Delete(missing.arr);
    cJSON_Delete(dup.arr);
    cJSON_Delete(extra.arr);
    for (size_t k = 0; sd && k < n_stats; k++)
        cJSON_Delete(sd[k].doc);
    free(sd);
    free(v);
    free(stats);
    free(recs);
    return rc;
}
