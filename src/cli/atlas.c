/* atlas.c - the capacity atlas: per-server learned figures in one JSON file, merged
 * under a lock, read at start to skip slow start.
 * SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cjson/cJSON.h>

#include "atlas.h"

/* IMPLEMENTATION NOTES
 * The file: {"pacedns_atlas": 1, "servers": {"ADDR:PORT": {"optimal_qps", "edges",
 * "loss_near", "p50_ms", "p99_ms", "when", "when_utc", "profile", "shards",
 * "threads"}}}. Figures are the whole server's: a shard's estimate (its share) times
 * its shard count, so that the next run, sharded or not, divides it again.
 * Writers (many shards on a shared file system may finish at once) take an exclusive
 * flock on FILE.lock (a file of its own: FILE itself is replaced by rename, and a lock
 * on a replaced inode would lock nothing), read FILE, replace their servers' entries,
 * write FILE.tmp.PID, fsync it, rename it over FILE and fsync the directory. Readers need
 * no lock: a rename is atomic, they see the old or the new file, never half of one.
 * Two writers therefore never lose each other's entries; for the same server the later
 * one wins. (flock on NFS: Linux maps it to POSIX locks since 2.6.12.) */

#define ATLAS_MAX_FILE  (64L * 1024 * 1024)
#define ATLAS_NEAR_FRAC 0.1 /* "loss near the estimate": intervals within 10 % of it */

/* Read and parse path. Missing: an empty atlas (*out a new document). Returns 0, or -1
 * with err set. */
static int atlas_read(const char *path, cJSON **out, char *err, size_t errcap)
{
    FILE *fp = fopen(path, "r");
    char *buf = NULL;
    long len;
    cJSON *doc, *srv;
    *out = NULL;
    if (!fp) {
        if (errno != ENOENT) {
            snprintf(err, errcap, "cannot read %s: %s", path, strerror(errno));
            return -1;
        }
        if (!(doc = cJSON_CreateObject()) || !cJSON_AddNumberToObject(doc, "pacedns_atlas", 1) ||
            !cJSON_AddObjectToObject(doc, "servers")) {
            cJSON_Delete(doc);
            snprintf(err, errcap, "out of memory");
            return -1;
        }
        *out = doc;
        return 0;
    }
    if (fseek(fp, 0, SEEK_END) != 0 || (len = ftell(fp)) < 0 || len > ATLAS_MAX_FILE ||
        fseek(fp, 0, SEEK_SET) != 0 || !(buf = malloc((size_t)len + 1)) ||
        fread(buf, 1, (size_t)len, fp) != (size_t)len) {
        snprintf(err, errcap, "cannot read %s%s", path,
                 len > ATLAS_MAX_FILE ? ": larger than 64 MB, not an atlas" : "");
        free(buf);
        fclose(fp);
        return -1;
    }
    fclose(fp);
    buf[len] = '\0';
    doc = cJSON_Parse(buf);
    free(buf);
    srv = doc ? cJSON_GetObjectItemCaseSensitive(doc, "servers") : NULL;
    if (!doc || !cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(doc, "pacedns_atlas")) ||
        !cJSON_IsObject(srv)) {
        snprintf(err, errcap,
                 "%s is not a pacedns atlas (JSON with \"pacedns_atlas\" and "
                 "\"servers\")",
                 path);
        cJSON_Delete(doc);
        return -1;
    }
    *out = doc;
    return 0;
}

static double num_of(const cJSON *o, const char *key, double dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

int cli_atlas_apply(pdns_runner *r, const cli_common *com)
{
    char err[512];
    cJSON *doc, *servers;
    size_t n = pdns_runner_server_count(r), used = 0;
    double now = (double)time(NULL);

    if (!com->atlas)
        return 0;
    if (atlas_read(com->atlas, &doc, err, sizeof err) != 0) {
        fprintf(stderr, "pacedns: option --atlas: %s\n", err);
        return EXIT_USAGE;
    }
    servers = cJSON_GetObjectItemCaseSensitive(doc, "servers");
    for (size_t i = 0; i < n; i++) {
        pdns_server_info si;
        const cJSON *e;
        double q, when;
        if (pdns_runner_server_info(r, i, &si) != PDNS_OK)
            continue;
        e = cJSON_GetObjectItemCaseSensitive(servers, si.server);
        if (!cJSON_IsObject(e))
            continue;
        q = num_of(e, "optimal_qps", -1);
        when = num_of(e, "when", 0);
        if (!(q > 0) || !isfinite(q) || now - when > com->atlas_max_age_s)
            continue;
        if (pdns_runner_set_server_estimate(r, si.server, q) == PDNS_OK)
            used++;
    }
    cJSON_Delete(doc);
    if (used && !com->quiet)
        fprintf(stderr,
                "pacedns: atlas %s: %zu server(s) start from their known capacity (no slow "
                "start)\n",
                com->atlas, used);
    return 0;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* The directory of path, synced (the rename is durable). */
static void sync_dir_of(const char *path)
{
    char dir[4096];
    char *slash;
    int fd;
    snprintf(dir, sizeof dir, "%s", path);
    slash = strrchr(dir, '/');
    if (slash == dir)
        slash[1] = '\0';
    else if (slash)
        *slash = '\0';
    else
        snprintf(dir, sizeof dir, ".");
    if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

/* Merge entries (an object server -> entry, consumed) into the atlas at path, under
 * its lock. Returns 0 or -1 with err set. */
static int atlas_update(const char *path, cJSON *entries, char *err, size_t errcap)
{
    char lock[4096], tmp[4096];
    int lfd = -1, fd = -1, rc = -1;
    cJSON *doc = NULL, *servers, *e;
    char *text = NULL;

    if (strlen(path) > sizeof lock - 32) {
        snprintf(err, errcap, "atlas path too long");
        cJSON_Delete(entries);
        return -1;
    }
    snprintf(lock, sizeof lock, "%s.lock", path);
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    if ((lfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0) {
        snprintf(err, errcap, "cannot open lock file %s: %s", lock, strerror(errno));
        goto out;
    }
    while (flock(lfd, LOCK_EX) != 0) {
        if (errno != EINTR) {
            snprintf(err, errcap, "cannot lock %s: %s", lock, strerror(errno));
            goto out;
        }
    }
    if (atlas_read(path, &doc, err, errcap) != 0)
        goto out;
    servers = cJSON_GetObjectItemCaseSensitive(doc, "servers");
    while ((e = entries->child)) {
        char *key = e->string;
        cJSON_DetachItemViaPointer(entries, e);
        if (cJSON_GetObjectItemCaseSensitive(servers, key))
            cJSON_ReplaceItemInObjectCaseSensitive(servers, key, e);
        else
            cJSON_AddItemToObject(servers, key, e);
    }
    if (!(text = cJSON_Print(doc))) {
        snprintf(err, errcap, "out of memory");
        goto out;
    }
    if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0 ||
        write_all(fd, text, strlen(text)) != 0 || write_all(fd, "\n", 1) != 0 || fsync(fd) != 0) {
        snprintf(err, errcap, "cannot write %s: %s", tmp, strerror(errno));
        goto out;
    }
    close(fd);
    fd = -1;
    if (rename(tmp, path) != 0) {
        snprintf(err, errcap, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
        goto out;
    }
    sync_dir_of(path);
    rc = 0;
out:
    if (fd >= 0) {
        close(fd);
        unlink(tmp);
    }
    if (lfd >= 0)
        close(lfd); /* releases the lock */
    free(text);
    cJSON_Delete(doc);
    cJSON_Delete(entries);
    return rc;
}

/* Loss ratio of the intervals run near the estimate (target within 10 %), from a
 * server's stats object; -1 when none. */
static double loss_near(const cJSON *s, double est)
{
    const cJSON *p;
    double sent = 0, lost = 0;
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(s, "timeseries"))
    {
        double t = num_of(p, "target_qps", -1);
        if (t < est * (1 - ATLAS_NEAR_FRAC) || t > est * (1 + ATLAS_NEAR_FRAC))
            continue;
        sent += num_of(p, "sent", 0);
        lost += num_of(p, "lost", 0);
    }
    return sent > 0 ? lost / sent : -1;
}

/* One atlas entry from a server's stats object, scaled by k (the shard count). */
static cJSON *entry_of(const cJSON *s, double k, const cJSON *doc, double now)
{
    cJSON *e = cJSON_CreateObject(), *edges;
    const cJSON *lat = cJSON_GetObjectItemCaseSensitive(s, "latency_ms"), *v;
    const cJSON *ctl = cJSON_GetObjectItemCaseSensitive(doc, "controller");
    double est = num_of(s, "optimal_qps", -1);
    char when[32];
    time_t tt = (time_t)now;
    struct tm tm;
    if (!e)
        return NULL;
    cJSON_AddNumberToObject(e, "optimal_qps", round(est * k * 10) / 10);
    if ((edges = cJSON_AddArrayToObject(e, "edges")))
        cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(s, "edges"))
        {
            if (cJSON_IsNumber(v))
                cJSON_AddItemToArray(edges,
                                     cJSON_CreateNumber(round(v->valuedouble * k * 10) / 10));
        }
    cJSON_AddNumberToObject(e, "loss_near", round(loss_near(s, est) * 1e5) / 1e5);
    cJSON_AddNumberToObject(e, "p50_ms", num_of(lat, "p50", -1));
    cJSON_AddNumberToObject(e, "p99_ms", num_of(lat, "p99", -1));
    cJSON_AddNumberToObject(e, "when", now);
    gmtime_r(&tt, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    cJSON_AddStringToObject(e, "when_utc", when);
    v = cJSON_GetObjectItemCaseSensitive(ctl, "profile");
    cJSON_AddStringToObject(e, "profile", cJSON_IsString(v) ? v->valuestring : "default");
    cJSON_AddNumberToObject(e, "shards", k);
    cJSON_AddNumberToObject(e, "threads", num_of(doc, "threads", 1));
    return e;
}

int cli_atlas_record(pdns_runner *r, const cli_common *com)
{
    char err[9000];
    char *js;
    cJSON *doc, *entries, *s;
    double k = com->opt.shards > 1 ? com->opt.shards : 1, now = (double)time(NULL);
    if (!com->atlas || com->opt.qps > 0)
        return 0;
    if (!(js = pdns_runner_stats_json(r, 0)) || !(doc = cJSON_Parse(js)) ||
        !(entries = cJSON_CreateObject())) {
        pdns_free(js);
        fprintf(stderr, "pacedns: atlas: out of memory\n");
        return -1;
    }
    pdns_free(js);
    cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(doc, "servers"))
    {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(s, "server");
        cJSON *e;
        if (!cJSON_IsString(name) || !(num_of(s, "optimal_qps", -1) > 0))
            continue; /* nothing learned about this one */
        if ((e = entry_of(s, k, doc, now)))
            cJSON_AddItemToObject(entries, name->valuestring, e);
    }
    cJSON_Delete(doc);
    if (!entries->child) {
        cJSON_Delete(entries);
        return 0;
    }
    if (atlas_update(com->atlas, entries, err, sizeof err) != 0) {
        fprintf(stderr, "pacedns: atlas: %s\n", err);
        return -1;
    }
    return 0;
}

/* "atlas show FILE": the entries as a table. */
static int atlas_show(const char *path)
{
    char err[512];
    cJSON *doc, *e;
    double now = (double)time(NULL);
    if (atlas_read(path, &doc, err, sizeof err) != 0) {
        fprintf(stderr, "pacedns: atlas show: %s\n", err);
        return EXIT_USAGE;
    }
    printf("%-28s %12s %6s %9s %8s %8s %10s %-10s %6s\n", "server", "optimal_qps", "edges",
           "loss_near", "p50_ms", "p99_ms", "age", "profile", "shards");
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(doc, "servers"))
    {
        const cJSON *prof = cJSON_GetObjectItemCaseSensitive(e, "profile");
        double age = now - num_of(e, "when", 0), loss = num_of(e, "loss_near", -1);
        char ages[32], losss[16];
        if (age < 120)
            snprintf(ages, sizeof ages, "%.0fs", age);
        else if (age < 7200)
            snprintf(ages, sizeof ages, "%.0fm", age / 60);
        else if (age < 172800)
            snprintf(ages, sizeof ages, "%.1fh", age / 3600);
        else
            snprintf(ages, sizeof ages, "%.1fd", age / 86400);
        if (loss < 0)
            snprintf(losss, sizeof losss, "-");
        else
            snprintf(losss, sizeof losss, "%.2f%%", 100 * loss);
        printf("%-28s %12.1f %6d %9s %8.3f %8.3f %10s %-10s %6.0f\n", e->string,
               num_of(e, "optimal_qps", -1),
               cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(e, "edges")), losss,
               num_of(e, "p50_ms", -1), num_of(e, "p99_ms", -1), ages,
               cJSON_IsString(prof) ? prof->valuestring : "-", num_of(e, "shards", 1));
    }
    cJSON_Delete(doc);
    return 0;
}

/* "atlas add FILE SERVER QPS": record a capacity known by other means. */
static int atlas_add(const char *path, const char *server, const char *qps)
{
    char canon[64], err[9000];
    const char *why;
    char *end;
    double q = strtod(qps, &end), now = (double)time(NULL);
    cJSON *entries, *e;
    if (pdns_server_parse(server, canon, sizeof canon, &why) != PDNS_OK) {
        fprintf(stderr, "pacedns: atlas add: bad server address '%s': %s\n", server, why);
        return EXIT_USAGE;
    }
    if (end == qps || *end || !(q > 0) || !isfinite(q)) {
        fprintf(stderr, "pacedns: atlas add: '%s' is not a positive rate (q/s)\n", qps);
        return EXIT_USAGE;
    }
    if (!(entries = cJSON_CreateObject()) || !(e = cJSON_AddObjectToObject(entries, canon))) {
        cJSON_Delete(entries);
        return EXIT_RUNTIME;
    }
    cJSON_AddNumberToObject(e, "optimal_qps", q);
    cJSON_AddArrayToObject(e, "edges");
    cJSON_AddNumberToObject(e, "loss_near", -1);
    cJSON_AddNumberToObject(e, "p50_ms", -1);
    cJSON_AddNumberToObject(e, "p99_ms", -1);
    cJSON_AddNumberToObject(e, "when", now);
    cJSON_AddStringToObject(e, "profile", "given");
    cJSON_AddNumberToObject(e, "shards", 1);
    if (atlas_update(path, entries, err, sizeof err) != 0) {
        fprintf(stderr, "pacedns: atlas add: %s\n", err);
        return EXIT_RUNTIME;
    }
    return 0;
}

int cli_atlas_main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "show"))
        return atlas_show(argv[2]);
    if (argc == 5 && !strcmp(argv[1], "add"))
        return atlas_add(argv[2], argv[3], argv[4]);
    fprintf(stderr, "usage: pacedns atlas show FILE\n"
                    "       pacedns atlas add FILE SERVER QPS\n");
    return EXIT_USAGE;
}
