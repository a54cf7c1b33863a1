/* profile.c - controller profiles: JSON files setting pdns__aimd_params fields.
 * SPDX-License-Identifier: MIT */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "format/profile.h"

#define PDNS__PROFILE_MAX_BYTES (1u << 20) /* a profile is a few hundred bytes */
#define PDNS__PROFILE_PATH_MAX  4096

/* One parameter: its key, where it lives, its type and its inclusive/exclusive range;
 * rule is the message for a wrong type or a value out of range. */
typedef struct pdns__pkey {
    const char *key;
    size_t off;
    int is_int;
    double lo, hi;
    int lo_open, hi_open;
    const char *rule;
} pdns__pkey;

#define PDNS__PK(name, isint, lo, hi, lo_open, hi_open, rule)                                      \
    {                                                                                              \
#name, offsetof(pdns__aimd_params, name), isint, lo, hi, lo_open, hi_open, rule            \
    }

static const pdns__pkey pdns__pkeys[] = {
    PDNS__PK(start_qps, 0, 0, 1e7, 1, 0, "must be a number in (0,10000000]"),
    PDNS__PK(min_qps, 0, 0, 1e7, 1, 0, "must be a number in (0,10000000]"),
    PDNS__PK(max_qps, 0, 0, 1e7, 0, 0, "must be a number in [0,10000000] (0 = unlimited)"),
    PDNS__PK(max_total_qps, 0, 0, 1e8, 0, 0, "must be a number in [0,100000000] (0 = unlimited)"),
    PDNS__PK(interval_ms, 0, 10, 10000, 0, 0, "must be a number in [10,10000]"),
    PDNS__PK(rtt_intervals, 0, 1, 100, 0, 0, "must be a number in [1,100]"),
    PDNS__PK(min_samples, 0, 1, 100000, 0, 0, "must be a number in [1,100000]"),
    PDNS__PK(slow_start_factor, 0, 1, 10, 1, 0, "must be a number in (1,10]"),
    PDNS__PK(increase_qps, 0, 0, 1e6, 0, 0, "must be a number in [0,1000000]"),
    PDNS__PK(increase_fraction, 0, 0, 1, 0, 0, "must be a number in [0,1]"),
    PDNS__PK(decrease_factor, 0, 0, 1, 1, 1, "must be a number in (0,1)"),
    PDNS__PK(loss_threshold, 0, 0, 1, 0, 0, "must be a number in [0,1]"),
    PDNS__PK(error_threshold, 0, 0, 1, 0, 0, "must be a number in [0,1]"),
    PDNS__PK(tc_threshold, 0, 0, 1, 0, 0, "must be a number in [0,1]"),
    PDNS__PK(latency_factor, 0, 1, 1000, 0, 0, "must be a number in [1,1000]"),
    PDNS__PK(latency_min_ms, 0, 0, 60000, 0, 0, "must be a number in [0,60000]"),
    PDNS__PK(hold_fraction, 0, 0, 1, 1, 1, "must be a number in (0,1)"),
    PDNS__PK(probe_period_ms, 0, 0, 3600000, 0, 0, "must be a number in [0,3600000]"),
    PDNS__PK(loss_target, 0, 0, 1, 0, 0, "must be a number in [0,1]"),
    PDNS__PK(converge_tolerance, 0, 0, 1, 1, 1, "must be a number in (0,1)"),
    PDNS__PK(converge_edges, 1, 2, PDNS__AIMD_EDGES, 0, 0, "must be an integer in [2,32]"),
    PDNS__PK(baseline_window_ms, 0, 100, 3600000, 0, 0, "must be a number in [100,3600000]"),
    PDNS__PK(use_fraction, 0, 0, 1, 0, 0, "must be a number in [0,1]"),
};

#define PDNS__NKEYS (sizeof pdns__pkeys / sizeof pdns__pkeys[0])

/* Format a message into err (if any room), always NUL-terminated. */
static void pdns__perr(char *err, size_t errcap, const char *fmt, ...)
{
    va_list ap;
    if (!err || errcap == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errcap, fmt, ap);
    va_end(ap);
}

static const pdns__pkey *pdns__pkey_find(const char *key)
{
    for (size_t i = 0; i < PDNS__NKEYS; i++)
        if (strcmp(pdns__pkeys[i].key, key) == 0)
            return &pdns__pkeys[i];
    return NULL;
}

static double pdns__pkey_read(const pdns__aimd_params *p, const pdns__pkey *k)
{
    const char *base = (const char *)p + k->off;
    if (k->is_int) {
        int v;
        memcpy(&v, base, sizeof v);
        return v;
    }
    {
        double v;
        memcpy(&v, base, sizeof v);
        return v;
    }
}

static void pdns__pkey_write(pdns__aimd_params *p, const pdns__pkey *k, double v)
{
    char *base = (char *)p + k->off;
    if (k->is_int) {
        int iv = (int)v;
        memcpy(base, &iv, sizeof iv);
    } else {
        memcpy(base, &v, sizeof v);
    }
}

/* Whether v is acceptable for k (finite, integral for integers, within the range). */
static int pdns__pkey_ok(const pdns__pkey *k, double v)
{
    if (!isfinite(v))
        return 0;
    if (k->is_int && v != floor(v))
        return 0;
    if (k->lo_open ? v <= k->lo : v < k->lo)
        return 0;
    if (k->hi_open ? v >= k->hi : v > k->hi)
        return 0;
    return 1;
}

size_t pdns__profile_nkeys(void)
{
    return PDNS__NKEYS;
}

const char *pdns__profile_key(size_t i)
{
    return i < PDNS__NKEYS ? pdns__pkeys[i].key : NULL;
}

int pdns__profile_get(const pdns__aimd_params *p, const char *key, double *value)
{
    const pdns__pkey *k = pdns__pkey_find(key);
    if (!k)
        return -1;
    *value = pdns__pkey_read(p, k);
    return 0;
}

pdns_status pdns__profile_set(pdns__aimd_params *p, const char *key, double value, char *err,
                              size_t errcap)
{
    const pdns__pkey *k = pdns__pkey_find(key);
    if (!k) {
        pdns__perr(err, errcap, "unknown profile key \"%s\"", key);
        return PDNS_ERR_INVALID;
    }
    if (!pdns__pkey_ok(k, value)) {
        pdns__perr(err, errcap, "key \"%s\": %s", key, k->rule);
        return PDNS_ERR_RANGE;
    }
    pdns__pkey_write(p, k, value);
    return PDNS_OK;
}

pdns_status pdns__profile_validate(const pdns__aimd_params *p, const char *origin, char *err,
                                   size_t errcap)
{
    const char *key = NULL, *rule = NULL;
    char buf[96];

    for (size_t i = 0; i < PDNS__NKEYS && !key; i++)
        if (!pdns__pkey_ok(&pdns__pkeys[i], pdns__pkey_read(p, &pdns__pkeys[i]))) {
            key = pdns__pkeys[i].key;
            rule = pdns__pkeys[i].rule;
        }
    if (key) {
        /* reported below */
    } else if (p->start_qps < p->min_qps) {
        key = "start_qps";
        snprintf(buf, sizeof buf, "must be >= min_qps (%g), is %g", p->min_qps, p->start_qps);
        rule = buf;
    } else if (p->max_qps > 0 && p->max_qps < p->start_qps) {
        key = "max_qps";
        snprintf(buf, sizeof buf, "must be 0 (unlimited) or >= start_qps (%g), is %g", p->start_qps,
                 p->max_qps);
        rule = buf;
    } else if (p->increase_qps <= 0 && p->increase_fraction <= 0) {
        key = "increase_fraction";
        rule = "must be > 0 when increase_qps is 0";
    }
    if (!key)
        return PDNS_OK;
    pdns__perr(err, errcap, "%s: key \"%s\": %s", origin ? origin : "profile", key, rule);
    return PDNS_ERR_PARSE;
}

/* Line and column (1-based) of position pos in text. */
static void pdns__linecol(const char *text, size_t pos, unsigned *line, unsigned *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < pos; i++) {
        if (text[i] == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
    }
}

pdns_status pdns__profile_parse(const char *text, size_t len, const char *origin,
                                pdns__aimd_params *out, char *err, size_t errcap)
{
    pdns__aimd_params p;
    const char *end = NULL;
    char *buf;
    cJSON *root, *it;
    pdns_status st = PDNS_OK;

    if (!origin)
        origin = "profile";
    if (memchr(text, '\0', len)) {
        pdns__perr(err, errcap, "%s: invalid JSON: NUL byte", origin);
        return PDNS_ERR_PARSE;
    }
    /* cJSON needs the terminating NUL inside the length to accept the end of input */
    buf = malloc(len + 1);
    if (!buf) {
        pdns__perr(err, errcap, "%s: out of memory", origin);
        return PDNS_ERR_NOMEM;
    }
    memcpy(buf, text, len);
    buf[len] = '\0';
    root = cJSON_ParseWithLengthOpts(buf, len + 1, &end, 1);
    if (!root) {
        unsigned line, col;
        size_t pos = end && end >= buf && end <= buf + len ? (size_t)(end - buf) : len;
        pdns__linecol(buf, pos, &line, &col);
        pdns__perr(err, errcap, "%s: invalid JSON at line %u, column %u", origin, line, col);
        free(buf);
        return PDNS_ERR_PARSE;
    }
    free(buf);
    if (!cJSON_IsObject(root)) {
        pdns__perr(err, errcap, "%s: must be a JSON object", origin);
        cJSON_Delete(root);
        return PDNS_ERR_PARSE;
    }

    pdns__aimd_params_default(&p);
    for (it = root->child; it && st == PDNS_OK; it = it->next) {
        const pdns__pkey *k;
        const char *key = it->string ? it->string : "";

        for (cJSON *prev = root->child; prev != it; prev = prev->next)
            if (prev->string && strcmp(prev->string, key) == 0) {
                pdns__perr(err, errcap, "%s: key \"%s\": duplicate key", origin, key);
                st = PDNS_ERR_PARSE;
                break;
            }
        if (st != PDNS_OK)
            break;
        if (strcmp(key, "description") == 0) {
            if (!cJSON_IsString(it)) {
                pdns__perr(err, errcap, "%s: key \"%s\": must be a string", origin, key);
                st = PDNS_ERR_PARSE;
            }
            continue;
        }
        k = pdns__pkey_find(key);
        if (!k) {
            pdns__perr(err, errcap, "%s: key \"%s\": unknown key", origin, key);
            st = PDNS_ERR_PARSE;
        } else if (!cJSON_IsNumber(it) || !pdns__pkey_ok(k, it->valuedouble)) {
            pdns__perr(err, errcap, "%s: key \"%s\": %s", origin, key, k->rule);
            st = PDNS_ERR_PARSE;
        } else {
            pdns__pkey_write(&p, k, it->valuedouble);
        }
    }
    cJSON_Delete(root);
    if (st == PDNS_OK)
        st = pdns__profile_validate(&p, origin, err, errcap);
    if (st == PDNS_OK)
        *out = p;
    return st;
}

/* Read a whole file into a malloc'd buffer; errno set on failure (EFBIG: too large). */
static char *pdns__slurp(FILE *f, size_t *len)
{
    size_t cap = 1024, n = 0;
    char *buf = malloc(cap);

    if (!buf)
        return NULL;
    errno = 0;
    for (;;) {
        size_t got;
        if (n == cap) {
            char *nb;
            if (cap >= PDNS__PROFILE_MAX_BYTES) {
                free(buf);
                errno = EFBIG;
                return NULL;
            }
            nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                errno = ENOMEM;
                return NULL;
            }
            buf = nb;
            cap *= 2;
        }
        got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            if (ferror(f)) {
                int e = errno ? errno : EIO;
                free(buf);
                errno = e;
                return NULL;
            }
            break;
        }
    }
    *len = n;
    return buf;
}

/* Load the profile file at path (already opened as f, closed here). */
static pdns_status pdns__profile_file(FILE *f, const char *path, pdns__aimd_params *out, char *err,
                                      size_t errcap)
{
    size_t len = 0;
    char *text = pdns__slurp(f, &len);
    int e = errno;
    pdns_status st;

    fclose(f);
    if (!text) {
        if (e == ENOMEM) {
            pdns__perr(err, errcap, "%s: out of memory", path);
            return PDNS_ERR_NOMEM;
        }
        if (e == EFBIG) {
            pdns__perr(err, errcap, "%s: file too large for a profile", path);
            return PDNS_ERR_PARSE;
        }
        pdns__perr(err, errcap, "cannot read %s: %s", path, strerror(e));
        return PDNS_ERR_IO;
    }
    st = pdns__profile_parse(text, len, path, out, err, errcap);
    free(text);
    return st;
}

/* Whether s names a file rather than a profile: contains '/' or ends with ".json". */
static int pdns__is_path(const char *s)
{
    size_t n = strlen(s);
    return strchr(s, '/') != NULL || (n >= 5 && strcmp(s + n - 5, ".json") == 0);
}

pdns_status pdns__profile_load(const char *name_or_path, const char *const *dirs, size_t ndirs,
                               pdns__aimd_params *out, char *err, size_t errcap)
{
    char path[PDNS__PROFILE_PATH_MAX];
    FILE *f;

    if (!name_or_path) {
        pdns__aimd_params_default(out);
        return PDNS_OK;
    }
    if (!*name_or_path) {
        pdns__perr(err, errcap, "empty profile name");
        return PDNS_ERR_INVALID;
    }
    if (pdns__is_path(name_or_path)) {
        f = fopen(name_or_path, "rb");
        if (!f) {
            pdns__perr(err, errcap, "cannot open %s: %s", name_or_path, strerror(errno));
            return PDNS_ERR_IO;
        }
        return pdns__profile_file(f, name_or_path, out, err, errcap);
    }
    for (size_t i = 0; i < ndirs; i++) {
        int n;
        if (!dirs[i] || !*dirs[i])
            continue;
        n = snprintf(path, sizeof path, "%s/%s.json", dirs[i], name_or_path);
        if (n < 0 || (size_t)n >= sizeof path)
            continue;
        f = fopen(path, "rb");
        if (f)
            return pdns__profile_file(f, path, out, err, errcap);
        if (errno != ENOENT && errno != ENOTDIR) {
            pdns__perr(err, errcap, "cannot open %s: %s", path, strerror(errno));
            return PDNS_ERR_IO;
        }
    }
    if (ndirs == 0) {
        pdns__perr(err, errcap, "cannot open profile \"%s\": no profile directory", name_or_path);
    } else {
        /* name the directories searched: "d1, d2, ..." as far as err has room */
        size_t used;
        pdns__perr(err, errcap, "cannot open profile \"%s\": no %s.json in ", name_or_path,
                   name_or_path);
        for (size_t i = 0; err && errcap > 0 && i < ndirs; i++) {
            used = strlen(err);
            if (used + 1 >= errcap)
                break;
            snprintf(err + used, errcap - used, "%s%s", i ? ", " : "",
                     dirs[i] ? dirs[i] : "(null)");
        }
    }
    return PDNS_ERR_IO;
}
