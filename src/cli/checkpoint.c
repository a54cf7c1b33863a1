/* checkpoint.c - --checkpoint / --resume: which input lines are done, on disk.
 * SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cjson/cJSON.h>

#include "pacedns.h"
#include "checkpoint.h"

/* JSON numbers are doubles: every whole number we store stays below 2^53 */
#define CKPT_MAX_UINT    9007199254740992.0
#define CKPT_MAX_FILE    (256L * 1024 * 1024) /* a checkpoint file larger than this is not ours */
#define CKPT_MAX_NOTDONE (16u * 1024 * 1024)  /* lines in flight are far fewer */

void cli_ckpt_init(cli_ckpt *c)
{
    memset(c, 0, sizeof *c);
}

void cli_ckpt_free(cli_ckpt *c)
{
    for (size_t i = c->head; i < c->n; i++)
        free(c->pend[i].buf);
    free(c->pend);
    free(c->prev_todo);
    free(c->wbuf);
    cJSON_Delete(c->fingerprint);
    memset(c, 0, sizeof *c);
}

/* A complete line that was written: it needs no slot any more. */
static int removable(const cli_ckpt_line *e)
{
    return e->owed == 0 && !e->cut;
}

/* Drop complete lines at the front of the window. */
static void tidy(cli_ckpt *c)
{
    while (c->head < c->n && removable(&c->pend[c->head])) {
        c->head++;
        c->n_done--;
    }
    if (c->head == c->n)
        c->head = c->n = c->n_done = 0;
}

/* Make room for one more line: squeeze out complete lines, grow when that frees too
 * little. The window then holds only lines still in flight (or cut). */
static int reserve(cli_ckpt *c)
{
    size_t k = 0;
    cli_ckpt_line *n;
    if (c->n < c->cap)
        return 0;
    for (size_t i = c->head; i < c->n; i++)
        if (!removable(&c->pend[i]))
            c->pend[k++] = c->pend[i];
    c->head = 0;
    c->n = k;
    c->n_done = 0;
    if (c->n < c->cap - c->cap / 4)
        return 0;
    size_t ncap = c->cap ? c->cap * 2 : 1024;
    if (!(n = realloc(c->pend, ncap * sizeof *n)))
        return -1;
    c->pend = n;
    c->cap = ncap;
    return 0;
}

int cli_ckpt_admit(cli_ckpt *c, uint64_t line)
{
    cli_ckpt_line *e;
    if (line <= c->high)
        return 0; /* a line is admitted once; numbers only grow */
    c->high = line;
    tidy(c);
    if (reserve(c) != 0)
        return -1;
    e = &c->pend[c->n++];
    memset(e, 0, sizeof *e);
    e->line = line;
    e->owed = CLI_CKPT_OWED_UNKNOWN;
    return 0;
}

/* Index of `line` in the window, or -1 (binary search: lines are increasing). */
static long find(const cli_ckpt *c, uint64_t line)
{
    size_t lo = c->head, hi = c->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->pend[mid].line < line)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < c->n && c->pend[lo].line == line ? (long)lo : -1;
}

static int append(cli_ckpt_line *e, const char *bytes, size_t len)
{
    if (e->len + len > e->cap) {
        size_t ncap = e->cap ? e->cap : 256;
        char *n;
        while (ncap < e->len + len)
            ncap *= 2;
        if (!(n = realloc(e->buf, ncap)))
            return -1;
        e->buf = n;
        e->cap = ncap;
    }
    memcpy(e->buf + e->len, bytes, len);
    e->len += len;
    return 0;
}

int cli_ckpt_record(cli_ckpt *c, uint64_t line, unsigned line_records, const char *bytes,
                    size_t len, int cut, const char **out, size_t *outlen)
{
    long i = find(c, line);
    cli_ckpt_line *e;

    if (i < 0 || c->pend[i].owed == 0) {
        /* not tracked (cannot happen for admitted lines): never lose a record */
        c->records++;
        *out = bytes;
        *outlen = len;
        return CLI_CKPT_WRITE;
    }
    e = &c->pend[i];
    if (e->owed == CLI_CKPT_OWED_UNKNOWN)
        e->owed = line_records ? line_records : 1;
    e->owed--;
    e->cut |= cut;
    if (e->owed > 0) {
        if (!e->cut && len && append(e, bytes, len) != 0)
            return -1;
        return CLI_CKPT_HOLD;
    }
    if (e->cut) { /* stays not done: a resume redoes the whole line */
        free(e->buf);
        e->buf = NULL;
        e->len = e->cap = 0;
        c->n_cut++;
        return CLI_CKPT_DROP;
    }
    c->n_done++;
    if (e->len == 0) {
        *out = bytes;
        *outlen = len;
    } else {
        if (len && append(e, bytes, len) != 0) {
            e->owed++;
            c->n_done--;
            return -1;
        }
        free(c->wbuf);
        c->wbuf = e->buf;
        *out = e->buf;
        *outlen = e->len;
        e->buf = NULL;
        e->len = e->cap = 0;
    }
    c->records++;
    tidy(c);
    return CLI_CKPT_WRITE;
}

int cli_ckpt_skip(cli_ckpt *c, uint64_t line)
{
    if (line > c->prev_high)
        return 0;
    while (c->prev_i < c->n_prev_todo && c->prev_todo[c->prev_i] < line)
        c->prev_i++;
    return !(c->prev_i < c->n_prev_todo && c->prev_todo[c->prev_i] == line);
}

/* ---- fingerprint ---------------------------------------------------------------- */

static int cmp_u16(const void *a, const void *b)
{
    return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

/* One input as {"path", "size", "mtime"}: absolute path; size and mtime of a regular
 * file; stdin and other streams only by name. */
static cJSON *input_json(const char *in, char *err, size_t errcap)
{
    cJSON *o = cJSON_CreateObject();
    char abs[PATH_MAX], mt[64];
    struct stat st;
    if (!o)
        goto nomem;
    if (!strcmp(in, "-")) {
        if (!cJSON_AddStringToObject(o, "path", "-"))
            goto nomem;
        return o;
    }
    if (!realpath(in, abs) || stat(abs, &st) != 0) {
        snprintf(err, errcap, "input %s: %s", in, strerror(errno));
        cJSON_Delete(o);
        return NULL;
    }
    if (!cJSON_AddStringToObject(o, "path", abs))
        goto nomem;
    if (S_ISREG(st.st_mode)) {
        snprintf(mt, sizeof mt, "%lld.%09ld", (long long)st.st_mtim.tv_sec,
                 (long)st.st_mtim.tv_nsec);
        if (!cJSON_AddNumberToObject(o, "size", (double)st.st_size) ||
            !cJSON_AddStringToObject(o, "mtime", mt))
            goto nomem;
    }
    return o;
nomem:
    cJSON_Delete(o);
    snprintf(err, errcap, "out of memory");
    return NULL;
}

static const char *str_of(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring
           : cJSON_IsBool(v) ? (cJSON_IsTrue(v) ? "on" : "off")
                             : "(none)";
}

/* Name the first difference between the loaded fingerprint `was` and this run's `now`. */
static int compare_fp(const cJSON *was, const cJSON *now, const char *path, char *err,
                      size_t errcap)
{
    static const struct {
        const char *key, *opt, *unset;
    } opts[] = {{"types", "-t/--type", "(none)"},
                {"format", "-f/--format", "(none)"},
                {"fcrdns", "--fcrdns", "(none)"},
                {"shard", "--shard/--shard-by", "(none)"},
                {"trusted", "--trusted/--trusted-file", "none"},
                {"canaries", "--canaries", "off"},
                {"verify", "--verify", "off"},
                {"wildcards", "--wildcards", "off"}};
    const cJSON *wi = cJSON_GetObjectItemCaseSensitive(was, "inputs");
    const cJSON *ni = cJSON_GetObjectItemCaseSensitive(now, "inputs");
    const cJSON *wo = cJSON_GetObjectItemCaseSensitive(was, "options");
    const cJSON *no = cJSON_GetObjectItemCaseSensitive(now, "options");
    int n = cJSON_GetArraySize(ni);

    if (cJSON_GetArraySize(wi) != n) {
        snprintf(err, errcap,
                 "%s: the inputs differ: the checkpoint was written for %d input(s), this run "
                 "reads %d",
                 path, cJSON_GetArraySize(wi), n);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        const cJSON *a = cJSON_GetArrayItem(wi, i), *b = cJSON_GetArrayItem(ni, i);
        const char *pa = str_of(a, "path"), *pb = str_of(b, "path");
        if (strcmp(pa, pb) != 0) {
            snprintf(err, errcap,
                     "%s: input %d differs: the checkpoint was written for %s, this run reads %s",
                     path, i + 1, pa, pb);
            return -1;
        }
        if (!cJSON_Compare(cJSON_GetObjectItemCaseSensitive(a, "size"),
                           cJSON_GetObjectItemCaseSensitive(b, "size"), 1) ||
            strcmp(str_of(a, "mtime"), str_of(b, "mtime")) != 0) {
            snprintf(err, errcap,
                     "%s: input %s changed since the checkpoint was written (its size or "
                     "modification time differs)",
                     path, pb);
            return -1;
        }
    }
    for (size_t k = 0; k < sizeof opts / sizeof opts[0]; k++) {
        const char *a = str_of(wo, opts[k].key), *b = str_of(no, opts[k].key);
        if (!strcmp(a, "(none)"))
            a = opts[k].unset;
        if (!strcmp(b, "(none)"))
            b = opts[k].unset;
        if (strcmp(a, b) != 0) {
            snprintf(err, errcap,
                     "%s: option %s differs: the checkpoint was written with %s, this run has %s",
                     path, opts[k].opt, a, b);
            return -1;
        }
    }
    if (!cJSON_Compare(was, now, 1)) {
        snprintf(err, errcap, "%s: the run's inputs or options differ from the checkpoint's", path);
        return -1;
    }
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The trust options into opt, each only when set: "trusted" (the --trusted values
 * sorted, then "file:" and --trusted-file's absolute path), "canaries", "verify",
 * "wildcards". Returns 0 or -1 (no memory). */
static int add_trust(cJSON *opt, const cli_ckpt_trust *t)
{
    size_t len = 1, n = t->n_trusted;
    const char **v = NULL;
    char *s = NULL, abs[PATH_MAX];
    const char *file = NULL;
    int rc = -1;
    if (t->trusted_file)
        file = realpath(t->trusted_file, abs) ? abs : t->trusted_file;
    if (n || file) {
        if (n && !(v = malloc(n * sizeof *v)))
            return -1;
        for (size_t i = 0; i < n; i++) {
            v[i] = t->trusted[i];
            len += strlen(v[i]) + 1;
        }
        if (n)
            qsort(v, n, sizeof *v, cmp_str);
        if (file)
            len += strlen(file) + 6;
        if (!(s = malloc(len)))
            goto out;
        s[0] = '\0';
        for (size_t i = 0; i < n; i++) {
            if (i)
                strcat(s, ",");
            strcat(s, v[i]);
        }
        if (file) {
            if (n)
                strcat(s, ",");
            strcat(s, "file:");
            strcat(s, file);
        }
        if (!cJSON_AddStringToObject(opt, "trusted", s))
            goto out;
    }
    if ((t->canaries && !cJSON_AddBoolToObject(opt, "canaries", 1)) ||
        (t->verify && !cJSON_AddBoolToObject(opt, "verify", 1)) ||
        (t->wildcards && strcmp(t->wildcards, "off") != 0 &&
         !cJSON_AddStringToObject(opt, "wildcards", t->wildcards)))
        goto out;
    rc = 0;
out:
    free(v);
    free(s);
    return rc;
}

int cli_ckpt_fingerprint(cli_ckpt *c, const char *const *inputs, size_t n_inputs,
                         const uint16_t *types, size_t n_types, const char *format, int fcrdns,
                         const char *shard, const cli_ckpt_trust *trust, const char *path,
                         char *err, size_t errcap)
{
    static const char *const stdin_only[] = {"-"};
    static const uint16_t type_a = 1;
    cJSON *fp = cJSON_CreateObject(), *arr, *opt, *in;
    uint16_t sorted[64];
    char tl[64 * 17] = "", nb[16];
    size_t nt = 0;

    if (!n_inputs) {
        inputs = stdin_only;
        n_inputs = 1;
    }
    if (!n_types) {
        types = &type_a;
        n_types = 1;
    }
    if (!fp || !(arr = cJSON_AddArrayToObject(fp, "inputs")) ||
        !(opt = cJSON_AddObjectToObject(fp, "options")))
        goto nomem;
    for (size_t i = 0; i < n_inputs; i++) {
        if (!(in = input_json(inputs[i], err, errcap)))
            goto fail;
        cJSON_AddItemToArray(arr, in);
    }
    /* the set of types shapes the records, not the order they were given in */
    for (size_t i = 0; i < n_types && i < sizeof sorted / sizeof sorted[0]; i++)
        sorted[nt++] = types[i];
    qsort(sorted, nt, sizeof *sorted, cmp_u16);
    for (size_t i = 0; i < nt; i++) {
        if (i && sorted[i] == sorted[i - 1])
            continue;
        if (tl[0])
            strcat(tl, ",");
        strcat(tl, pdns_rrtype_name(sorted[i], nb));
    }
    if (!cJSON_AddStringToObject(opt, "types", tl) ||
        !cJSON_AddStringToObject(opt, "format", format ? format : "ndjson") ||
        !cJSON_AddBoolToObject(opt, "fcrdns", fcrdns) ||
        (shard && !cJSON_AddStringToObject(opt, "shard", shard)))
        goto nomem;
    if (trust && add_trust(opt, trust) != 0)
        goto nomem;
    if (c->fingerprint && compare_fp(c->fingerprint, fp, path, err, errcap) != 0)
        goto fail;
    cJSON_Delete(c->fingerprint);
    c->fingerprint = fp;
    return 0;
nomem:
    snprintf(err, errcap, "out of memory");
fail:
    cJSON_Delete(fp);
    return -1;
}

/* ---- on disk -------------------------------------------------------------------- */

/* Write all of text to fd. */
static int write_all(int fd, const char *text, size_t len)
{
    while (len) {
        ssize_t w = write(fd, text, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        text += w;
        len -= (size_t)w;
    }
    return 0;
}

/* fsync the directory holding path, so a rename into it survives a crash. */
static int sync_dir(const char *path)
{
    char dir[PATH_MAX];
    char *slash;
    int fd, rc;
    if (snprintf(dir, sizeof dir, "%s", path) >= (int)sizeof dir) {
        errno = ENAMETOOLONG;
        return -1;
    }
    if (!(slash = strrchr(dir, '/')))
        strcpy(dir, ".");
    else if (slash == dir)
        dir[1] = '\0';
    else
        *slash = '\0';
    if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
        return -1;
    rc = fsync(fd);
    if (rc != 0 && (errno == EINVAL || errno == EROFS))
        rc = 0; /* a directory that cannot be synced (some file systems) */
    close(fd);
    return rc;
}

int cli_ckpt_write(const cli_ckpt *c, const char *path, long long out_bytes)
{
    cJSON *doc = cJSON_CreateObject(), *todo, *fp;
    char tmp[PATH_MAX + 8], num[32];
    char *text = NULL;
    int fd = -1, ok = 0, saved;
    uint64_t through = c->high > c->prev_high ? c->high : c->prev_high;

    if (!doc)
        goto done;
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) {
        errno = ENAMETOOLONG;
        goto done;
    }
    cJSON_AddNumberToObject(doc, "version", CLI_CKPT_VERSION);
    cJSON_AddStringToObject(doc, "pacedns_version", PDNS_VERSION);
    cJSON_AddStringToObject(doc, "output", c->output);
    snprintf(num, sizeof num, "%llu", c->out_dev);
    cJSON_AddStringToObject(doc, "output_dev", num);
    snprintf(num, sizeof num, "%llu", c->out_ino);
    cJSON_AddStringToObject(doc, "output_ino", num);
    cJSON_AddNumberToObject(doc, "output_bytes", (double)out_bytes);
    cJSON_AddNumberToObject(doc, "records", (double)c->records);
    if (c->fingerprint && (fp = cJSON_Duplicate(c->fingerprint, 1)))
        cJSON_AddItemToObject(doc, "fingerprint", fp);
    cJSON_AddNumberToObject(doc, "done_through", (double)through);
    if (!(todo = cJSON_AddArrayToObject(doc, "not_done")))
        goto done;
    for (size_t i = c->head; i < c->n; i++)
        if (!removable(&c->pend[i]))
            cJSON_AddItemToArray(todo, cJSON_CreateNumber((double)c->pend[i].line));
    for (size_t i = 0; i < c->n_prev_todo; i++) /* earlier run's lines not reached yet */
        if (c->prev_todo[i] > c->high)
            cJSON_AddItemToArray(todo, cJSON_CreateNumber((double)c->prev_todo[i]));
    if (!cJSON_GetObjectItemCaseSensitive(doc, "fingerprint") ||
        !(text = cJSON_PrintUnformatted(doc))) {
        errno = ENOMEM;
        goto done;
    }
    if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0)
        goto done;
    ok = write_all(fd, text, strlen(text)) == 0 && write_all(fd, "\n", 1) == 0 && fsync(fd) == 0;
    saved = errno;
    if (close(fd) != 0 && ok) {
        ok = 0;
        saved = errno;
    }
    errno = saved;
    ok = ok && rename(tmp, path) == 0 && sync_dir(path) == 0;
done:
    saved = errno;
    free(text);
    cJSON_Delete(doc);
    errno = saved;
    return ok ? 0 : -1;
}

/* A whole number in [0, max] from field key of doc. */
static int get_uint(const cJSON *doc, const char *key, double max, uint64_t *out, const char *path,
                    char *err, size_t errcap)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, key);
    if (!v) {
        snprintf(err, errcap, "%s: not a pacedns checkpoint (no field '%s')", path, key);
        return -1;
    }
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble < 0 ||
        v->valuedouble > max || v->valuedouble != floor(v->valuedouble)) {
        snprintf(err, errcap, "%s: field '%s' is not a whole number in [0, %.0f]", path, key, max);
        return -1;
    }
    *out = (uint64_t)v->valuedouble;
    return 0;
}

/* A decimal string that fits in unsigned long long (device and inode numbers). */
static int get_ustr(const cJSON *doc, const char *key, unsigned long long *out, const char *path,
                    char *err, size_t errcap)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, key);
    char *end;
    if (cJSON_IsString(v) && v->valuestring[0] >= '0' && v->valuestring[0] <= '9' &&
        strlen(v->valuestring) <= 20) {
        errno = 0;
        *out = strtoull(v->valuestring, &end, 10);
        if (!errno && !*end)
            return 0;
    }
    snprintf(err, errcap, "%s: field '%s' is missing or not a whole number", path, key);
    return -1;
}

/* Check the fingerprint object's shape (its values are compared later). */
static int fp_valid(const cJSON *fp)
{
    const cJSON *in = cJSON_GetObjectItemCaseSensitive(fp, "inputs"), *e;
    const cJSON *opt = cJSON_GetObjectItemCaseSensitive(fp, "options");
    if (!cJSON_IsObject(fp) || !cJSON_IsArray(in) || !cJSON_IsObject(opt))
        return 0;
    cJSON_ArrayForEach(
        e, in) if (!cJSON_IsObject(e) ||
                   !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(e, "path"))) return 0;
    return 1;
}

/* Read and parse the checkpoint file at path (at most CKPT_MAX_FILE bytes, a JSON
 * object). Returns the document, or NULL with a message naming the file in err. */
static cJSON *read_doc(const char *path, char *err, size_t errcap)
{
    FILE *fp = fopen(path, "r");
    char *text = NULL;
    long len;
    cJSON *doc = NULL;

    if (!fp) {
        snprintf(err, errcap, "cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    if (fseek(fp, 0, SEEK_END) != 0 || (len = ftell(fp)) < 0 || fseek(fp, 0, SEEK_SET) != 0) {
        snprintf(err, errcap, "cannot read %s: %s", path, strerror(errno));
        goto out;
    }
    if (len > CKPT_MAX_FILE) {
        snprintf(err, errcap, "%s: not a pacedns checkpoint (%ld bytes is too large)", path, len);
        goto out;
    }
    if (!(text = malloc((size_t)len + 1)) || fread(text, 1, (size_t)len, fp) != (size_t)len) {
        snprintf(err, errcap, "cannot read %s", path);
        goto out;
    }
    text[len] = '\0';
    if (!(doc = cJSON_Parse(text)) || !cJSON_IsObject(doc)) {
        cJSON_Delete(doc);
        doc = NULL;
        snprintf(err, errcap, "%s: not a pacedns checkpoint (invalid or truncated JSON)", path);
    }
out:
    free(text);
    fclose(fp);
    return doc;
}

/* Check the document's version is CLI_CKPT_VERSION. Returns 0 or -1 with err set. */
static int check_version(const cJSON *doc, const char *path, char *err, size_t errcap)
{
    uint64_t ver;
    if (get_uint(doc, "version", 1000, &ver, path, err, errcap) != 0)
        return -1;
    if (ver == CLI_CKPT_VERSION)
        return 0;
    if (ver < CLI_CKPT_VERSION)
        snprintf(err, errcap,
                 "%s: checkpoint version %llu was written by an older pacedns and lacks "
                 "what resume now checks (the output's identity, the inputs and options); "
                 "start the run again",
                 path, (unsigned long long)ver);
    else
        snprintf(err, errcap,
                 "%s: checkpoint version %llu is not supported (this pacedns "
                 "reads version %d)",
                 path, (unsigned long long)ver, CLI_CKPT_VERSION);
    return -1;
}

/* Load 'not_done' (increasing line numbers in [1, done_through], at most
 * CKPT_MAX_NOTDONE) into c->prev_todo. Returns 0 or -1 with err set. */
static int load_not_done(cli_ckpt *c, const cJSON *arr, const char *path, char *err, size_t errcap)
{
    const cJSON *v;
    uint64_t u, prev = 0;
    size_t i = 0;
    if (!cJSON_IsArray(arr) || (unsigned)cJSON_GetArraySize(arr) > CKPT_MAX_NOTDONE) {
        snprintf(err, errcap, "%s: field 'not_done' is not a list of at most %u line numbers", path,
                 CKPT_MAX_NOTDONE);
        return -1;
    }
    c->n_prev_todo = (size_t)cJSON_GetArraySize(arr);
    if (c->n_prev_todo && !(c->prev_todo = calloc(c->n_prev_todo, sizeof *c->prev_todo))) {
        snprintf(err, errcap, "out of memory");
        return -1;
    }
    cJSON_ArrayForEach(v, arr)
    {
        if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble < 1 ||
            v->valuedouble > (double)c->prev_high || v->valuedouble != floor(v->valuedouble)) {
            snprintf(err, errcap,
                     "%s: field 'not_done': entry %zu is not a line number in [1, done_through]",
                     path, i + 1);
            return -1;
        }
        u = (uint64_t)v->valuedouble;
        if (u <= prev) {
            snprintf(err, errcap, "%s: field 'not_done': entry %zu is not in increasing order",
                     path, i + 1);
            return -1;
        }
        c->prev_todo[i++] = prev = u;
    }
    return 0;
}

int cli_ckpt_load(cli_ckpt *c, const char *path, char *err, size_t errcap)
{
    cJSON *doc, *v;
    uint64_t bytes;
    int rc = -1;

    if (!(doc = read_doc(path, err, errcap)))
        return -1;
    if (check_version(doc, path, err, errcap) != 0)
        goto out;
    v = cJSON_GetObjectItemCaseSensitive(doc, "output");
    if (!cJSON_IsString(v) || v->valuestring[0] != '/' ||
        strlen(v->valuestring) >= sizeof c->output) {
        snprintf(err, errcap, "%s: field 'output' is not an absolute path", path);
        goto out;
    }
    strcpy(c->output, v->valuestring);
    if (get_ustr(doc, "output_dev", &c->out_dev, path, err, errcap) != 0 ||
        get_ustr(doc, "output_ino", &c->out_ino, path, err, errcap) != 0 ||
        get_uint(doc, "output_bytes",
                 (double)LLONG_MAX < CKPT_MAX_UINT ? (double)LLONG_MAX : CKPT_MAX_UINT, &bytes,
                 path, err, errcap) != 0 ||
        get_uint(doc, "records", CKPT_MAX_UINT, &c->records, path, err, errcap) != 0 ||
        get_uint(doc, "done_through", CKPT_MAX_UINT, &c->prev_high, path, err, errcap) != 0)
        goto out;
    c->out_bytes = (long long)bytes;
    v = cJSON_GetObjectItemCaseSensitive(doc, "fingerprint");
    if (!fp_valid(v)) {
        snprintf(err, errcap, "%s: field 'fingerprint' is missing or malformed", path);
        goto out;
    }
    if (!(c->fingerprint = cJSON_Duplicate(v, 1))) {
        snprintf(err, errcap, "out of memory");
        goto out;
    }
    if (load_not_done(c, cJSON_GetObjectItemCaseSensitive(doc, "not_done"), path, err, errcap))
        goto out;
    rc = 0;
out:
    cJSON_Delete(doc);
    return rc;
}
