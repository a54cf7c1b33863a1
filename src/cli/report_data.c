/* report_data.c - the comparison report's figures, read from stats JSON files into the
 * plain structs of report.h (no rendering here).
 * SPDX-License-Identifier: MIT */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "report.h"

#define RPT_FILE_MAX (512u << 20) /* a stats file larger than this is refused */

static char *dup_str(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* A number member of obj, or dflt when absent or not a number. */
static double num_or(const cJSON *obj, const char *key, double dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsNumber(v) && isfinite(v->valuedouble) ? v->valuedouble : dflt;
}

static const char *str_or_null(const cJSON *obj, const char *key)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, key));
}

/* The whole file as a NUL-terminated string (caller frees), or NULL with err set. */
static char *slurp(const char *path, size_t *len, char *err, size_t errlen)
{
    FILE *fp = fopen(path, "rb");
    char *buf = NULL;
    size_t cap = 0, n = 0;
    if (!fp) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    for (;;) {
        if (n + 1 >= cap) {
            char *nb;
            if (cap >= RPT_FILE_MAX) {
                snprintf(err, errlen, "%s: larger than %u MB: not a stats file", path,
                         RPT_FILE_MAX >> 20);
                goto fail;
            }
            cap = cap ? cap * 2 : 65536;
            nb = realloc(buf, cap);
            if (!nb) {
                snprintf(err, errlen, "%s: out of memory", path);
                goto fail;
            }
            buf = nb;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, fp);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(fp)) {
        snprintf(err, errlen, "%s: read error: %s", path, strerror(errno));
        goto fail;
    }
    fclose(fp);
    buf[n] = '\0';
    *len = n;
    return buf;
fail:
    fclose(fp);
    free(buf);
    return NULL;
}

/* Line and column (1-based) of byte off in text. */
static void line_col(const char *text, size_t off, unsigned *line, unsigned *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < off; i++) {
        if (text[i] == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
    }
}

static int load_rcodes(rpt_server *s, const cJSON *rc)
{
    const cJSON *it;
    int n = cJSON_GetArraySize(rc);
    if (!cJSON_IsObject(rc) || n == 0)
        return 0;
    s->rcodes = calloc((size_t)n, sizeof *s->rcodes);
    if (!s->rcodes)
        return -1;
    cJSON_ArrayForEach(it, rc)
    {
        if (!cJSON_IsNumber(it) || it->valuedouble <= 0 || !it->string)
            continue;
        snprintf(s->rcodes[s->n_rcodes].name, sizeof s->rcodes[0].name, "%s", it->string);
        s->rcodes[s->n_rcodes++].n = it->valuedouble;
    }
    return 0;
}

/* The CDF from "histogram" rows [lo_ms, hi_ms, count]: cumulative at each hi_ms. */
static int load_cdf(rpt_server *s, const cJSON *hist)
{
    const cJSON *row;
    double total = 0, acc = 0;
    int n = cJSON_GetArraySize(hist);
    if (!cJSON_IsArray(hist) || n == 0)
        return 0;
    cJSON_ArrayForEach(row, hist)
    {
        const cJSON *c = cJSON_GetArrayItem(row, 2);
        if (cJSON_IsNumber(c) && c->valuedouble > 0)
            total += c->valuedouble;
    }
    if (total <= 0)
        return 0;
    s->cdf = calloc((size_t)n, sizeof *s->cdf);
    if (!s->cdf)
        return -1;
    cJSON_ArrayForEach(row, hist)
    {
        const cJSON *hi = cJSON_GetArrayItem(row, 1), *c = cJSON_GetArrayItem(row, 2);
        if (!cJSON_IsNumber(hi) || !cJSON_IsNumber(c) || c->valuedouble <= 0)
            continue;
        acc += c->valuedouble;
        s->cdf[s->n_cdf].ms = hi->valuedouble;
        s->cdf[s->n_cdf++].frac = acc / total;
    }
    return 0;
}

static int load_ts(rpt_server *s, const cJSON *ts)
{
    const cJSON *p;
    double prev_t = 0;
    int n = cJSON_GetArraySize(ts);
    if (!cJSON_IsArray(ts) || n == 0)
        return 0;
    s->ts = calloc((size_t)n, sizeof *s->ts);
    if (!s->ts)
        return -1;
    s->peak_qps = 0;
    cJSON_ArrayForEach(p, ts)
    {
        rpt_point *o = &s->ts[s->n_ts];
        double t = num_or(p, "t", -1);
        if (t < 0)
            continue;
        o->t = t;
        o->target_qps = num_or(p, "target_qps", 0);
        o->sent = num_or(p, "sent", 0);
        o->lost = num_or(p, "lost", 0);
        o->errors = num_or(p, "errors", 0);
        o->tc = num_or(p, "tc", 0);
        o->p50 = num_or(p, "p50_ms", -1);
        o->p99 = num_or(p, "p99_ms", -1);
        o->answered_qps = t > prev_t ? num_or(p, "answered", 0) / (t - prev_t) : 0;
        if (o->answered_qps > s->peak_qps)
            s->peak_qps = o->answered_qps;
        prev_t = t;
        s->n_ts++;
    }
    return 0;
}

/* "trust": a string, or an object whose "state" (or "status") names it. */
static char *trust_text(const cJSON *t)
{
    const char *s = cJSON_GetStringValue(t);
    if (s)
        return strdup(s);
    if (cJSON_IsObject(t)) {
        s = str_or_null(t, "state");
        if (!s)
            s = str_or_null(t, "status");
        if (s)
            return strdup(s);
        return cJSON_PrintUnformatted(t);
    }
    return NULL;
}

/* One server object into s. Returns 0, -1 on no memory. */
static int load_server(rpt_server *s, const cJSON *o)
{
    const cJSON *lat = cJSON_GetObjectItemCaseSensitive(o, "latency_ms");
    const cJSON *conn = cJSON_GetObjectItemCaseSensitive(o, "connections");
    const cJSON *near = cJSON_GetObjectItemCaseSensitive(o, "near");
    const cJSON *cookies = cJSON_GetObjectItemCaseSensitive(o, "cookies");

    s->name = dup_str(str_or_null(o, "server"));
    s->transport = dup_str(str_or_null(o, "transport"));
    s->trust = trust_text(cJSON_GetObjectItemCaseSensitive(o, "trust"));
    s->nsid = dup_str(str_or_null(o, "nsid"));
    if (!s->name)
        return -1;
    s->sent = num_or(o, "sent", 0);
    s->answered = num_or(o, "answered", 0);
    s->timeouts = num_or(o, "timeouts", 0);
    s->retries = num_or(o, "retries", 0);
    s->tc = num_or(o, "tc", 0);
    s->errors = num_or(o, "errors", 0);
    s->malformed = num_or(o, "malformed", 0);
    s->unreachable = num_or(o, "unreachable", 0);
    s->answered_qps = num_or(o, "answered_qps", 0);
    s->peak_qps = -1;
    s->lat_p50 = s->lat_p90 = s->lat_p99 = s->lat_p999 = s->lat_max = -1;
    if (s->answered > 0 && cJSON_IsObject(lat)) {
        s->lat_p50 = num_or(lat, "p50", -1);
        s->lat_p90 = num_or(lat, "p90", -1);
        s->lat_p99 = num_or(lat, "p99", -1);
        s->lat_p999 = num_or(lat, "p999", -1);
        s->lat_max = num_or(lat, "max", -1);
    }
    s->optimal_qps = num_or(o, "optimal_qps", -1);
    s->converged_s = num_or(o, "converged_after_s", -1);
    s->edges = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(o, "edges"));
    s->near_loss = num_or(near, "loss", -1);
    s->near_p50 = num_or(near, "p50_ms", -1);
    s->near_p99 = num_or(near, "p99_ms", -1);
    if (cJSON_IsObject(cookies)) {
        s->has_cookies = 1;
        s->cookie_valid = num_or(cookies, "valid", -1);
        s->cookie_missing = num_or(cookies, "missing", -1);
        s->cookie_bad = num_or(cookies, "bad", -1);
    }
    if (cJSON_IsObject(conn)) {
        const cJSON *hs = cJSON_GetObjectItemCaseSensitive(conn, "handshake_ms");
        s->has_conn = 1;
        s->conn_opened = num_or(conn, "opened", -1);
        s->conn_handshakes = num_or(conn, "handshakes", -1);
        /* main's names; the ones agreed before the transports landed as a fallback */
        s->conn_hs_p50 = num_or(conn, "handshake_p50_ms", num_or(hs, "p50", -1));
        s->conn_hs_p99 = num_or(conn, "handshake_p99_ms", num_or(hs, "p99", -1));
        s->conn_qpc = num_or(conn, "queries_per_connection", num_or(conn, "queries_per_conn", -1));
        s->conn_resets = num_or(conn, "resets", -1);
    }
    if (load_rcodes(s, cJSON_GetObjectItemCaseSensitive(o, "rcodes")) ||
        load_cdf(s, cJSON_GetObjectItemCaseSensitive(o, "histogram")) ||
        load_ts(s, cJSON_GetObjectItemCaseSensitive(o, "timeseries")))
        return -1;
    return 0;
}

static void server_free(rpt_server *s)
{
    free(s->name);
    free(s->transport);
    free(s->trust);
    free(s->nsid);
    free(s->rcodes);
    free(s->cdf);
    free(s->ts);
}

static void run_free(rpt_run *r)
{
    free(r->path);
    free(r->label);
    free(r->started);
    free(r->version);
    free(r->mode);
}

/* The controller as text: "aimd (profile)" or "fixed N q/s"; NULL when absent. */
static char *mode_text(const cJSON *ctl)
{
    const char *mode = str_or_null(ctl, "mode");
    char buf[300];
    if (!mode)
        return NULL;
    if (!strcmp(mode, "fixed"))
        snprintf(buf, sizeof buf, "fixed %g q/s", num_or(ctl, "qps", 0));
    else if (str_or_null(ctl, "profile"))
        snprintf(buf, sizeof buf, "%s (%s)", mode, str_or_null(ctl, "profile"));
    else
        snprintf(buf, sizeof buf, "%s", mode);
    return strdup(buf);
}

int rpt_load(rpt_doc *d, const char *path, char *err, size_t errlen)
{
    size_t len = 0, n_new, i;
    char *text = slurp(path, &len, err, errlen);
    cJSON *doc = NULL;
    const cJSON *servers, *it;
    rpt_run run = {0};
    rpt_server *ns = NULL;
    rpt_run *nr;
    const char *base;

    if (!text)
        return -1;
    doc = cJSON_ParseWithLength(text, len);
    if (!doc) {
        const char *at = cJSON_GetErrorPtr();
        unsigned line = 0, col = 0;
        if (at && at >= text && at <= text + len)
            line_col(text, (size_t)(at - text), &line, &col);
        if (len == 0)
            snprintf(err, errlen, "%s: empty file: not a stats JSON file", path);
        else
            snprintf(err, errlen, "%s: not JSON (line %u, column %u)", path, line, col);
        goto fail;
    }
    servers = cJSON_GetObjectItemCaseSensitive(doc, "servers");
    if (!cJSON_IsObject(doc) || !cJSON_IsArray(servers)) {
        snprintf(err, errlen, "%s: no \"servers\" array: not a pacedns stats file", path);
        goto fail;
    }
    i = 0;
    cJSON_ArrayForEach(it, servers)
    {
        if (!cJSON_IsObject(it) ||
            !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(it, "server"))) {
            snprintf(err, errlen, "%s: servers[%zu]: not an object with a \"server\" name", path,
                     i);
            goto fail;
        }
        i++;
    }
    n_new = i;
    nr = realloc(d->runs, (d->n_runs + 1) * sizeof *d->runs);
    if (!nr)
        goto nomem;
    d->runs = nr;
    if (n_new) {
        ns = realloc(d->servers, (d->n_servers + n_new) * sizeof *d->servers);
        if (!ns)
            goto nomem;
        d->servers = ns;
    }
    base = strrchr(path, '/');
    run.path = strdup(path);
    run.label = strdup(base && base[1] ? base + 1 : path);
    run.started = dup_str(str_or_null(doc, "started"));
    run.version = dup_str(str_or_null(doc, "pacedns_version"));
    run.mode = mode_text(cJSON_GetObjectItemCaseSensitive(doc, "controller"));
    run.duration_s = num_or(doc, "duration_s", -1);
    if (!run.path || !run.label)
        goto nomem;
    i = 0;
    cJSON_ArrayForEach(it, servers)
    {
        rpt_server *s = &d->servers[d->n_servers + i];
        memset(s, 0, sizeof *s);
        s->run = d->n_runs;
        if (load_server(s, it)) {
            for (size_t k = 0; k <= i; k++)
                server_free(&d->servers[d->n_servers + k]);
            goto nomem;
        }
        i++;
    }
    d->runs[d->n_runs++] = run;
    d->n_servers += n_new;
    cJSON_Delete(doc);
    free(text);
    return 0;
nomem:
    snprintf(err, errlen, "%s: out of memory", path);
fail:
    run_free(&run);
    cJSON_Delete(doc);
    free(text);
    return -1;
}

void rpt_free(rpt_doc *d)
{
    for (size_t i = 0; i < d->n_servers; i++)
        server_free(&d->servers[i]);
    for (size_t i = 0; i < d->n_runs; i++)
        run_free(&d->runs[i]);
    free(d->servers);
    free(d->runs);
    memset(d, 0, sizeof *d);
}

int rpt_any_transport(const rpt_doc *d)
{
    for (size_t i = 0; i < d->n_servers; i++)
        if (d->servers[i].transport && strcmp(d->servers[i].transport, "udp") != 0)
            return 1;
    return 0;
}

int rpt_any_conn(const rpt_doc *d)
{
    for (size_t i = 0; i < d->n_servers; i++)
        if (d->servers[i].has_conn)
            return 1;
    return 0;
}

int rpt_any_trust(const rpt_doc *d)
{
    for (size_t i = 0; i < d->n_servers; i++)
        if (d->servers[i].trust)
            return 1;
    return 0;
}

int rpt_any_nsid(const rpt_doc *d)
{
    for (size_t i = 0; i < d->n_servers; i++)
        if (d->servers[i].nsid)
            return 1;
    return 0;
}

int rpt_any_cookies(const rpt_doc *d)
{
    for (size_t i = 0; i < d->n_servers; i++)
        if (d->servers[i].has_cookies)
            return 1;
    return 0;
}

const char *rpt_fmt(char *buf, size_t cap, double v, int prec)
{
    if (v < 0 || !isfinite(v))
        snprintf(buf, cap, "-");
    else
        snprintf(buf, cap, "%.*f", prec, v);
    return buf;
}
