/* cli_checkpoint.c - --checkpoint / --resume: which input lines are done, on disk.
 * SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "cli_checkpoint.h"

void cli_ckpt_init(cli_ckpt *c)
{
    memset(c, 0, sizeof *c);
    c->low = 1;
    c->high = 0;
}

void cli_ckpt_free(cli_ckpt *c)
{
    free(c->pend);
    free(c->skip);
    memset(c, 0, sizeof *c);
}

static uint8_t *slot(const cli_ckpt *c, uint64_t line)
{
    return &c->pend[(c->head + (size_t)(line - c->low)) % c->cap];
}

/* Grow the ring so it can hold lines [low, line]. */
static int reserve(cli_ckpt *c, uint64_t line)
{
    size_t need = (size_t)(line - c->low + 1), ncap;
    uint8_t *n;
    if (need <= c->cap)
        return 0;
    ncap = c->cap ? c->cap : 1024;
    while (ncap < need)
        ncap *= 2;
    if (!(n = calloc(ncap, 1)))
        return -1;
    for (size_t i = 0; c->cap && i < (size_t)(c->high - c->low + 1); i++)
        n[i] = c->pend[(c->head + i) % c->cap];
    free(c->pend);
    c->pend = n;
    c->cap = ncap;
    c->head = 0;
    return 0;
}

static void advance(cli_ckpt *c)
{
    while (c->low <= c->high && *slot(c, c->low) == 0) {
        c->head = (c->head + 1) % c->cap;
        c->low++;
    }
}

int cli_ckpt_admit(cli_ckpt *c, uint64_t line, unsigned n)
{
    if (line < c->low || (line <= c->high))
        return 0;           /* a line is admitted once; numbers only grow */
    if (c->low > c->high) { /* nothing pending: every line before `line` is done */
        c->low = line;
        c->head = 0;
    }
    if (reserve(c, line) != 0)
        return -1;
    for (uint64_t l = c->high + 1 < c->low ? c->low : c->high + 1; l < line; l++)
        *slot(c, l) = 0; /* blank, comment or skipped lines */
    c->high = line;
    *slot(c, line) = (uint8_t)(n > 255 ? 255 : n);
    advance(c);
    return 0;
}

void cli_ckpt_done(cli_ckpt *c, uint64_t line)
{
    c->records++;
    if (line < c->low || line > c->high)
        return;
    if (*slot(c, line))
        (*slot(c, line))--;
    advance(c);
}

int cli_ckpt_skip(cli_ckpt *c, uint64_t line)
{
    if (line < c->skip_below)
        return 1;
    while (c->skip_i < c->n_skip && c->skip[c->skip_i] < line)
        c->skip_i++;
    return c->skip_i < c->n_skip && c->skip[c->skip_i] == line;
}

int cli_ckpt_write(const cli_ckpt *c, const char *path, const char *output, long long out_bytes)
{
    cJSON *doc = cJSON_CreateObject(), *above;
    char tmp[4096];
    char *text = NULL;
    FILE *fp = NULL;
    int ok = 0, saved;
    uint64_t below = c->low;

    if (!doc)
        goto done;
    cJSON_AddNumberToObject(doc, "version", 1);
    cJSON_AddStringToObject(doc, "output", output ? output : "");
    cJSON_AddNumberToObject(doc, "output_bytes", (double)out_bytes);
    cJSON_AddNumberToObject(doc, "records", (double)c->records);
    /* lines done by an earlier run and not reached yet by this one stay done */
    if (c->skip_below > below && c->high < c->skip_below)
        below = c->skip_below;
    cJSON_AddNumberToObject(doc, "done_below", (double)below);
    if (!(above = cJSON_AddArrayToObject(doc, "done_above")))
        goto done;
    for (uint64_t l = c->low; l <= c->high; l++)
        if (*slot(c, l) == 0)
            cJSON_AddItemToArray(above, cJSON_CreateNumber((double)l));
    for (size_t i = 0; i < c->n_skip; i++) /* earlier run's lines not yet passed */
        if (c->skip[i] > c->high && c->skip[i] >= below)
            cJSON_AddItemToArray(above, cJSON_CreateNumber((double)c->skip[i]));
    if (!(text = cJSON_PrintUnformatted(doc)))
        goto done;
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    if (!(fp = fopen(tmp, "w")))
        goto done;
    ok = fputs(text, fp) >= 0 && fputc('\n', fp) != EOF;
    ok = fflush(fp) == 0 && ok;
    ok = fclose(fp) == 0 && ok;
    ok = ok && rename(tmp, path) == 0;
done:
    saved = errno;
    free(text);
    cJSON_Delete(doc);
    errno = saved;
    return ok ? 0 : -1;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

int cli_ckpt_load(cli_ckpt *c, const char *path, char *output, size_t cap, long long *out_bytes,
                  char *err, size_t errcap)
{
    FILE *fp = fopen(path, "r");
    char *text = NULL;
    long len;
    cJSON *doc = NULL, *v, *arr;
    int rc = -1;

    if (!fp) {
        snprintf(err, errcap, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    if (fseek(fp, 0, SEEK_END) != 0 || (len = ftell(fp)) < 0 || fseek(fp, 0, SEEK_SET) != 0 ||
        !(text = malloc((size_t)len + 1)) || fread(text, 1, (size_t)len, fp) != (size_t)len) {
        snprintf(err, errcap, "cannot read %s", path);
        goto out;
    }
    text[len] = '\0';
    if (!(doc = cJSON_Parse(text)) || !cJSON_IsObject(doc)) {
        snprintf(err, errcap, "%s: not a pacedns checkpoint (invalid JSON)", path);
        goto out;
    }
    v = cJSON_GetObjectItemCaseSensitive(doc, "done_below");
    arr = cJSON_GetObjectItemCaseSensitive(doc, "done_above");
    if (!cJSON_IsNumber(v) || v->valuedouble < 1 || !cJSON_IsArray(arr)) {
        snprintf(err, errcap, "%s: not a pacedns checkpoint (no done_below/done_above)", path);
        goto out;
    }
    c->skip_below = (uint64_t)v->valuedouble;
    c->n_skip = (size_t)cJSON_GetArraySize(arr);
    if (c->n_skip && !(c->skip = calloc(c->n_skip, sizeof *c->skip))) {
        snprintf(err, errcap, "out of memory");
        goto out;
    }
    size_t i = 0;
    cJSON_ArrayForEach(v, arr)
    {
        if (!cJSON_IsNumber(v) || v->valuedouble < 1) {
            snprintf(err, errcap, "%s: bad line number in done_above", path);
            goto out;
        }
        c->skip[i++] = (uint64_t)v->valuedouble;
    }
    if (c->n_skip)
        qsort(c->skip, c->n_skip, sizeof *c->skip, cmp_u64);
    v = cJSON_GetObjectItemCaseSensitive(doc, "output_bytes");
    *out_bytes = cJSON_IsNumber(v) ? (long long)v->valuedouble : 0;
    v = cJSON_GetObjectItemCaseSensitive(doc, "output");
    snprintf(output, cap, "%s", cJSON_IsString(v) ? v->valuestring : "");
    v = cJSON_GetObjectItemCaseSensitive(doc, "records");
    c->records = cJSON_IsNumber(v) ? (uint64_t)v->valuedouble : 0;
    rc = 0;
out:
    cJSON_Delete(doc);
    free(text);
    fclose(fp);
    return rc;
}
