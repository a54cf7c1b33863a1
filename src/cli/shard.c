/* shard.c - --shard I/N|auto, --shard-by, {shard} in file names, the input map.
 * SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "shard.h"

/* IMPLEMENTATION NOTES
 * Every shard reads the whole input and keeps the lines that are its own, so a shard
 * needs nothing but its index and the count, and the records keep the input's line
 * numbers: the shards' outputs merge by line. By line ((line - 1) mod N) the shares are
 * even to one line, but the names of one zone go to every shard: each shard's resolvers
 * see the zone (N cache misses for its NS and SOA, wildcard checks repeated per shard).
 * By zone (FNV-1a of the parent zone, case-folded, mod N) one zone's names stay on one
 * shard (its cache and wildcard work stays local), at the price of uneven shares when a
 * few zones hold most names (one zone of a million names is one shard's work).
 * While reading, each shard also maps the whole input (the lines that gave no name and
 * those of the form "NAME TYPE", as ranges): `pacedns merge` derives from it which
 * (line, type) records the shards together owe. */

/* A whole number in [0, max] from the text of variable or option `what`. */
static int parse_count(const char *what, const char *text, unsigned long max, unsigned long *out)
{
    char *end;
    unsigned long v;
    if (!text || !*text || !isdigit((unsigned char)*text)) {
        fprintf(stderr, "pacedns: option --shard auto: %s='%s' is not a whole number\n", what,
                text ? text : "");
        return -1;
    }
    errno = 0;
    v = strtoul(text, &end, 10);
    if (errno || *end || v > max) {
        fprintf(stderr, "pacedns: option --shard auto: %s='%s' is not a whole number in [0, %lu]\n",
                what, text, max);
        return -1;
    }
    *out = v;
    return 0;
}

/* --shard auto: the index and count from the batch system's variables. */
static int shard_auto(unsigned long *index, unsigned long *count)
{
    const char *k8s = getenv("JOB_COMPLETION_INDEX"), *n_env = getenv("PACEDNS_SHARDS");
    const char *id = getenv("SLURM_ARRAY_TASK_ID");
    unsigned long n_given = 0;

    if (n_env && (parse_count("PACEDNS_SHARDS", n_env, PDNS_MAX_SHARDS, &n_given) != 0))
        return -1;
    if (n_env && n_given == 0) {
        fprintf(stderr, "pacedns: option --shard auto: PACEDNS_SHARDS must be at least 1\n");
        return -1;
    }
    if (k8s) {
        if (parse_count("JOB_COMPLETION_INDEX", k8s, PDNS_MAX_SHARDS, index) != 0)
            return -1;
        if (!n_env) {
            fprintf(stderr, "pacedns: option --shard auto: JOB_COMPLETION_INDEX is set (a "
                            "Kubernetes Indexed Job) but PACEDNS_SHARDS is not: set it to the "
                            "Job's completions\n");
            return -1;
        }
        *count = n_given;
        if (*index >= *count) {
            fprintf(stderr,
                    "pacedns: option --shard auto: JOB_COMPLETION_INDEX=%lu is not below "
                    "PACEDNS_SHARDS=%lu\n",
                    *index, *count);
            return -1;
        }
        return 0;
    }
    if (id) {
        const char *min = getenv("SLURM_ARRAY_TASK_MIN"), *cnt = getenv("SLURM_ARRAY_TASK_COUNT");
        const char *step = getenv("SLURM_ARRAY_TASK_STEP");
        unsigned long vid, vmin, vcnt = 0;
        if (parse_count("SLURM_ARRAY_TASK_ID", id, 4294967295ul, &vid) != 0)
            return -1;
        if (!min) {
            fprintf(stderr, "pacedns: option --shard auto: SLURM_ARRAY_TASK_ID is set but "
                            "SLURM_ARRAY_TASK_MIN is not\n");
            return -1;
        }
        if (parse_count("SLURM_ARRAY_TASK_MIN", min, 4294967295ul, &vmin) != 0)
            return -1;
        if (step && strcmp(step, "1") != 0) {
            fprintf(stderr,
                    "pacedns: option --shard auto: SLURM_ARRAY_TASK_STEP=%s: the array must "
                    "be contiguous (--array=0-%s, no step)\n",
                    step, "N-1");
            return -1;
        }
        if (cnt && parse_count("SLURM_ARRAY_TASK_COUNT", cnt, PDNS_MAX_SHARDS, &vcnt) != 0)
            return -1;
        if (!cnt && !n_env) {
            fprintf(stderr, "pacedns: option --shard auto: SLURM_ARRAY_TASK_ID is set but "
                            "neither SLURM_ARRAY_TASK_COUNT nor PACEDNS_SHARDS is\n");
            return -1;
        }
        if (cnt && n_env && vcnt != n_given) {
            fprintf(stderr,
                    "pacedns: option --shard auto: PACEDNS_SHARDS=%lu and "
                    "SLURM_ARRAY_TASK_COUNT=%lu differ\n",
                    n_given, vcnt);
            return -1;
        }
        *count = n_env ? n_given : vcnt;
        if (vid < vmin || vid - vmin >= *count) {
            fprintf(stderr,
                    "pacedns: option --shard auto: SLURM_ARRAY_TASK_ID=%lu minus "
                    "SLURM_ARRAY_TASK_MIN=%lu is not below the shard count %lu\n",
                    vid, vmin, *count);
            return -1;
        }
        *index = vid - vmin;
        return 0;
    }
    fprintf(stderr, "pacedns: option --shard auto: neither JOB_COMPLETION_INDEX (Kubernetes "
                    "Indexed Job) nor SLURM_ARRAY_TASK_ID (Slurm job array) is set\n");
    return -1;
}

int cli_shard_resolve(cli_common *com)
{
    unsigned long index = 0, count = 1;
    if (!com->shard)
        return 0;
    if (!strcmp(com->shard, "auto")) {
        if (shard_auto(&index, &count) != 0)
            return -1;
    } else {
        char *end, *slash;
        errno = 0;
        index = strtoul(com->shard, &slash, 10);
        if (errno || slash == com->shard || !isdigit((unsigned char)com->shard[0]) ||
            *slash != '/' || !isdigit((unsigned char)slash[1]) ||
            ((count = strtoul(slash + 1, &end, 10)), errno) || *end || count == 0 ||
            count > PDNS_MAX_SHARDS || index >= count) {
            fprintf(stderr,
                    "pacedns: option --shard: '%s' is not I/N with 0 <= I < N <= %u (or auto)\n",
                    com->shard, PDNS_MAX_SHARDS);
            return -1;
        }
    }
    com->opt.shards = (unsigned)count;
    com->opt.shard_index = (unsigned)index;
    return 0;
}

/* FNV-1a of the parent zone of the name field of text, case-folded, trailing dot off. */
static uint64_t zone_hash(const char *text)
{
    char name[1024];
    uint16_t type;
    const char *p, *end;
    uint64_t h = 14695981039346656037ull;
    if (pdns_query_line_parse(text, name, sizeof name, &type, NULL) != PDNS_OK)
        snprintf(name, sizeof name, "%s", text);
    end = name + strlen(name);
    if (end > name && end[-1] == '.')
        end--;
    p = memchr(name, '.', (size_t)(end - name));
    p = p ? p + 1 : name; /* a single label is its own zone */
    for (; p < end; p++) {
        h ^= (unsigned char)tolower((unsigned char)*p);
        h *= 1099511628211ull;
    }
    return h;
}

int cli_shard_mine(const cli_common *com, uint64_t line, const char *text)
{
    unsigned n = com->opt.shards;
    if (n <= 1)
        return 1;
    if (com->shard_by_zone)
        return zone_hash(text) % n == com->opt.shard_index;
    return (line - 1) % n == com->opt.shard_index;
}

int cli_shard_path(const cli_common *com, const char *path, char **out)
{
    static const char key[] = "{shard}";
    char idx[16];
    size_t n = 0, cap;
    const char *p;
    *out = NULL;
    if (!path)
        return 0;
    snprintf(idx, sizeof idx, "%u", com->opt.shards > 1 ? com->opt.shard_index : 0);
    cap = strlen(path) + 1;
    for (p = path; (p = strstr(p, key)); p += sizeof key - 1)
        cap += strlen(idx);
    if (!(*out = malloc(cap)))
        return -1;
    for (p = path; *p;) {
        if (!strncmp(p, key, sizeof key - 1)) {
            memcpy(*out + n, idx, strlen(idx));
            n += strlen(idx);
            p += sizeof key - 1;
        } else {
            (*out)[n++] = *p++;
        }
    }
    (*out)[n] = '\0';
    return 0;
}

/* Extend the range list (pairs) with [line, line]: grows the last pair when adjacent. */
static int range_add(uint64_t **v, size_t *n, size_t *cap, uint64_t from, uint64_t to, int *inexact)
{
    if (*n && (*v)[2 * *n - 1] + 1 == from) {
        (*v)[2 * *n - 1] = to;
        return 0;
    }
    if (*n >= CLI_INMAP_MAX_RANGES) {
        *inexact = 1;
        return 0;
    }
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        uint64_t *nv = realloc(*v, nc * 2 * sizeof *nv);
        if (!nv)
            return -1;
        *v = nv;
        *cap = nc;
    }
    (*v)[2 * *n] = from;
    (*v)[2 * *n + 1] = to;
    (*n)++;
    return 0;
}

int cli_inmap_add(cli_inmap *m, uint64_t line, const char *text)
{
    char name[1024];
    uint16_t type = 0;
    if (line <= m->last)
        return 0; /* seen (a reader never goes back; a probe pass would) */
    if (line > m->last + 1 &&
        range_add(&m->skip, &m->n_skip, &m->cap_skip, m->last + 1, line - 1, &m->inexact) != 0)
        return -1;
    m->last = line;
    m->names++;
    /* a line with no blank is one field: no type (no second parse of every name) */
    if (text[strcspn(text, " \t")] != '\0' &&
        pdns_query_line_parse(text, name, sizeof name, &type, NULL) == PDNS_OK && type &&
        range_add(&m->typed, &m->n_typed, &m->cap_typed, line, line, &m->inexact) != 0)
        return -1;
    return 0;
}

void cli_inmap_free(cli_inmap *m)
{
    free(m->skip);
    free(m->typed);
    memset(m, 0, sizeof *m);
}

static cJSON *ranges_json(const uint64_t *v, size_t n)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; arr && i < n; i++) {
        cJSON *p = cJSON_CreateArray();
        if (!p) {
            cJSON_Delete(arr);
            return NULL;
        }
        cJSON_AddItemToArray(p, cJSON_CreateNumber((double)v[2 * i]));
        cJSON_AddItemToArray(p, cJSON_CreateNumber((double)v[2 * i + 1]));
        cJSON_AddItemToArray(arr, p);
    }
    return arr;
}

void *cli_inmap_json(const cli_inmap *m, const cli_common *com)
{
    cJSON *o = cJSON_CreateObject(), *types, *sk, *ty;
    static const uint16_t type_a = 1;
    const uint16_t *t = com->opt.n_types ? com->opt.types : &type_a;
    size_t nt = com->opt.n_types ? com->opt.n_types : 1;
    char nb[16];
    if (!o)
        return NULL;
    cJSON_AddNumberToObject(o, "lines", (double)m->last);
    cJSON_AddNumberToObject(o, "names", (double)m->names);
    cJSON_AddBoolToObject(o, "complete", m->complete);
    cJSON_AddBoolToObject(o, "exact", !m->inexact);
    cJSON_AddStringToObject(o, "shard_by", com->shard_by_zone ? "zone" : "line");
    if ((types = cJSON_AddArrayToObject(o, "types")))
        for (size_t i = 0; i < nt; i++)
            cJSON_AddItemToArray(types, cJSON_CreateString(pdns_rrtype_name(t[i], nb)));
    if (!(sk = ranges_json(m->skip, m->n_skip)) || !(ty = ranges_json(m->typed, m->n_typed))) {
        cJSON_Delete(sk);
        cJSON_Delete(o);
        return NULL;
    }
    cJSON_AddItemToObject(o, "skipped", sk);
    cJSON_AddItemToObject(o, "typed", ty);
    return o;
}
