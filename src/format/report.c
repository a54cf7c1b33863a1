/* report.c - the stats JSON document, built from plain figures (see report.h).
 * SPDX-License-Identifier: MIT */
#include <cjson/cJSON.h>
#include <math.h>
#include <string.h>

#include "format/report.h"
#include "format/profile.h"

/* ---- one server ---- */

struct hist_ctx {
    cJSON *arr;
    int fail;
};

static void hist_row(uint64_t lo_us, uint64_t hi_us, uint64_t count, void *ud)
{
    struct hist_ctx *c = ud;
    if (c->fail)
        return;
    const double row[3] = {(double)lo_us / 1000.0, (double)hi_us / 1000.0, (double)count};
    cJSON *r = cJSON_CreateDoubleArray(row, 3);
    if (!r || !cJSON_AddItemToArray(c->arr, r)) {
        cJSON_Delete(r);
        c->fail = 1;
    }
}

static int add_num(cJSON *o, const char *key, double v)
{
    return cJSON_AddNumberToObject(o, key, v) ? 0 : -1;
}

static int add_latency(cJSON *root, const pdns__hist *h)
{
    cJSON *l = cJSON_AddObjectToObject(root, "latency_ms");
    if (!l)
        return -1;
    int fail = 0;
    fail |= add_num(l, "min", pdns__us_to_ms((double)h->min_us));
    fail |= add_num(l, "mean", pdns__us_to_ms(pdns__hist_mean(h)));
    fail |= add_num(l, "p50", pdns__us_to_ms((double)pdns__hist_quantile(h, 0.50)));
    fail |= add_num(l, "p90", pdns__us_to_ms((double)pdns__hist_quantile(h, 0.90)));
    fail |= add_num(l, "p99", pdns__us_to_ms((double)pdns__hist_quantile(h, 0.99)));
    fail |= add_num(l, "p999", pdns__us_to_ms((double)pdns__hist_quantile(h, 0.999)));
    fail |= add_num(l, "max", pdns__us_to_ms((double)h->max_us));
    return fail;
}

/* "connections" of a stream server: opened, handshakes (usable), failures, resets,
 * handshake latency p50/p99 (ms, -1 without one), queries per usable connection. */
static int add_connections(cJSON *root, const pdns__conn_stats *c)
{
    cJSON *o = cJSON_AddObjectToObject(root, "connections");
    const pdns__hist *h = &c->handshake;
    int fail = 0;
    if (!o)
        return -1;
    fail |= add_num(o, "opened", (double)c->opened);
    fail |= add_num(o, "handshakes", (double)c->handshakes);
    fail |= add_num(o, "failures", (double)c->failures);
    fail |= add_num(o, "resets", (double)c->resets);
    fail |= add_num(o, "handshake_p50_ms",
                    h->count ? pdns__us_to_ms((double)pdns__hist_quantile(h, 0.50)) : -1);
    fail |= add_num(o, "handshake_p99_ms",
                    h->count ? pdns__us_to_ms((double)pdns__hist_quantile(h, 0.99)) : -1);
    fail |= add_num(o, "queries", (double)c->queries);
    fail |= add_num(o, "queries_per_connection",
                    c->handshakes ? (double)c->queries / (double)c->handshakes : 0);
    if (!strcmp(c->transport, "https"))
        fail |= add_num(o, "http2_answers", (double)c->http2);
    if (c->last_error[0])
        fail |= !cJSON_AddStringToObject(o, "last_error", c->last_error);
    return fail;
}

static int add_rcodes(cJSON *root, const pdns__server_stats *s)
{
    cJSON *r = cJSON_AddObjectToObject(root, "rcodes");
    if (!r)
        return -1;
    for (int i = 0; i < PDNS__RCODE_SLOTS; i++) {
        if (!s->rcodes[i])
            continue;
        const char *name = i == PDNS__RCODE_OTHER ? "OTHER" : pdns_rcode_name(i);
        if (add_num(r, name, (double)s->rcodes[i]))
            return -1;
    }
    return 0;
}

static int add_timeseries(cJSON *root, const pdns__server_stats *s)
{
    cJSON *arr = cJSON_AddArrayToObject(root, "timeseries");
    if (!arr)
        return -1;
    for (size_t i = 0; i < s->ts_len; i++) {
        const pdns__ts_point *p = &s->ts[i];
        cJSON *o = cJSON_CreateObject();
        if (!o || !cJSON_AddItemToArray(arr, o)) {
            cJSON_Delete(o);
            return -1;
        }
        int fail = 0;
        fail |= add_num(o, "t", p->t);
        fail |= add_num(o, "target_qps", p->target_qps);
        fail |= add_num(o, "sent", (double)p->sent);
        fail |= add_num(o, "answered", (double)p->answered);
        fail |= add_num(o, "lost", (double)p->lost);
        fail |= add_num(o, "errors", (double)p->errors);
        fail |= add_num(o, "tc", (double)p->tc);
        fail |= add_num(o, "p50_ms", p->p50_ms);
        fail |= add_num(o, "p99_ms", p->p99_ms);
        if (fail)
            return -1;
    }
    return 0;
}

/* Builds the per-server object documented in stats.h. Latency figures are in ms rounded to
 * the microsecond (3 decimals), all 0 when nothing was answered; rcodes lists only non-zero
 * slots, keyed by pdns_rcode_name() ("OTHER" for rcodes > 22); optimal_qps, edges and
 * converged_after_s appear only when known (>= 0, non-empty, >= 0), and with
 * optimal_qps "near" {"loss","p50_ms","p99_ms"} (pdns__stats_near; -1 when no interval
 * ran near it); "nsid" when one was seen; "cookies" {"valid","missing","bad"} (answers by
 * their RFC 7873 check) when cookies were sent. */
cJSON *pdns__stats_server_json(const pdns__server_stats *s, double duration_s)
{
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return NULL;
    int fail = 0;
    fail |= !cJSON_AddStringToObject(root, "server", s->server);
    fail |= add_num(root, "sent", (double)s->sent);
    fail |= add_num(root, "answered", (double)s->answered);
    fail |= add_num(root, "timeouts", (double)s->timeouts);
    fail |= add_num(root, "retries", (double)s->retries);
    fail |= add_rcodes(root, s);
    fail |= add_num(root, "tc", (double)s->tc);
    fail |= add_num(root, "errors", (double)s->errors);
    fail |= add_num(root, "malformed", (double)s->malformed);
    fail |= add_num(root, "ignored", (double)s->ignored);
    fail |= add_num(root, "unreachable", (double)s->unreachable);
    fail |= add_num(root, "send_errors", (double)s->send_errors);
    fail |= !cJSON_AddStringToObject(root, "transport",
                                     s->conn.transport[0] ? s->conn.transport : "udp");
    if (s->conn.active) {
        fail |= add_num(root, "resets", (double)s->resets);
        fail |= add_connections(root, &s->conn);
    }
    fail |= add_latency(root, &s->lat);
    fail |=
        add_num(root, "answered_qps", duration_s > 0.0 ? (double)s->answered / duration_s : 0.0);
    if (!fail) {
        struct hist_ctx hc = {cJSON_AddArrayToObject(root, "histogram"), 0};
        if (hc.arr)
            pdns__hist_foreach(&s->lat, hist_row, &hc);
        fail |= !hc.arr || hc.fail;
    }
    if (!fail)
        fail |= add_timeseries(root, s);
    if (!fail && s->optimal_qps >= 0.0)
        fail |= add_num(root, "optimal_qps", s->optimal_qps);
    if (!fail && s->n_edges > 0) {
        cJSON *e = cJSON_CreateDoubleArray(s->edges, (int)s->n_edges);
        if (!e || !cJSON_AddItemToObject(root, "edges", e)) {
            cJSON_Delete(e);
            fail = 1;
        }
    }
    if (!fail && s->converged_after_s >= 0.0)
        fail |= add_num(root, "converged_after_s", s->converged_after_s);
    if (!fail && s->optimal_qps >= 0.0) {
        pdns__near_figures nf;
        cJSON *nj = cJSON_AddObjectToObject(root, "near");
        pdns__stats_near(s, s->optimal_qps, &nf);
        fail |= !nj || add_num(nj, "loss", nf.loss >= 0 ? round(nf.loss * 1e6) / 1e6 : -1) ||
                add_num(nj, "p50_ms", nf.p50_ms) || add_num(nj, "p99_ms", nf.p99_ms);
    }
    if (!fail && s->nsid[0])
        fail |= !cJSON_AddStringToObject(root, "nsid", s->nsid);
    if (!fail && s->cookies) {
        cJSON *c = cJSON_AddObjectToObject(root, "cookies");
        fail |= !c || add_num(c, "valid", (double)s->cookie_ok) ||
                add_num(c, "missing", (double)s->cookie_missing) ||
                add_num(c, "bad", (double)s->cookie_bad);
    }
    if (fail) {
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

static void add_controller(cJSON *doc, const pdns__report *rep)
{
    cJSON *ctl = cJSON_AddObjectToObject(doc, "controller");
    if (!ctl)
        return;
    cJSON_AddStringToObject(ctl, "mode", rep->aimd ? "aimd" : "fixed");
    if (!rep->aimd) {
        cJSON_AddNumberToObject(ctl, "qps", rep->fixed_qps);
        return;
    }
    cJSON_AddStringToObject(ctl, "profile", rep->profile ? rep->profile : "default");
    cJSON *params = cJSON_AddObjectToObject(ctl, "params");
    for (size_t i = 0; params && rep->params && i < pdns__profile_nkeys(); i++) {
        double v;
        const char *k = pdns__profile_key(i);
        if (k && pdns__profile_get(rep->params, k, &v) == 0)
            cJSON_AddNumberToObject(params, k, v);
    }
}

/* "thread_totals" and each server's "threads" (a pool's breakdown). */
static void add_threads(cJSON *doc, cJSON *servers, const pdns__report *rep)
{
    cJSON *tt = cJSON_AddArrayToObject(doc, "thread_totals");
    for (unsigned i = 0; tt && i < rep->n_threads; i++) {
        cJSON *o = cJSON_CreateObject();
        if (!o)
            break;
        cJSON_AddNumberToObject(o, "names", (double)rep->thread_totals[i].names);
        cJSON_AddNumberToObject(o, "records", (double)rep->thread_totals[i].records);
        cJSON_AddItemToArray(tt, o);
    }
    for (size_t k = 0; k < rep->n_servers; k++) {
        cJSON *sj = cJSON_GetArrayItem(servers, (int)k);
        cJSON *arr = sj ? cJSON_AddArrayToObject(sj, "threads") : NULL;
        for (unsigned i = 0; arr && i < rep->n_threads; i++) {
            const pdns__server_stats *st = rep->thread_servers[i * rep->n_servers + k];
            cJSON *o = cJSON_CreateObject();
            if (!o)
                break;
            cJSON_AddNumberToObject(o, "sent", (double)st->sent);
            cJSON_AddNumberToObject(o, "answered", (double)st->answered);
            cJSON_AddNumberToObject(o, "timeouts", (double)st->timeouts);
            cJSON_AddNumberToObject(o, "retries", (double)st->retries);
            cJSON_AddItemToArray(arr, o);
        }
    }
}

/* servers[].trust = {"state","reason","at_s"}, "canaries", "wildcard_probes". */
static void add_trust(cJSON *sj, const pdns__report_trust *t)
{
    if (strcmp(t->state, "off") != 0) { /* canaries on */
        cJSON *o = cJSON_AddObjectToObject(sj, "trust");
        if (o) {
            cJSON_AddStringToObject(o, "state", t->state);
            if (t->reason)
                cJSON_AddStringToObject(o, "reason", t->reason);
            if (!strcmp(t->state, "quarantined"))
                cJSON_AddNumberToObject(o, "at_s", round(t->at_s * 1000.0) / 1000.0);
        }
        cJSON_AddNumberToObject(sj, "canaries", (double)t->canaries);
    }
    cJSON_AddNumberToObject(sj, "wildcard_probes", (double)t->wildcard_probes);
}

char *pdns__report_json(const pdns__report *rep, int pretty)
{
    cJSON *doc = cJSON_CreateObject(), *totals, *statuses, *servers;
    char started[32];
    struct tm tm;
    char *out;
    double dur = rep->duration_s;

    if (!doc)
        return NULL;
    gmtime_r(&rep->started, &tm);
    strftime(started, sizeof started, "%Y-%m-%dT%H:%M:%SZ", &tm);
    cJSON_AddStringToObject(doc, "pacedns_version", PDNS_VERSION);
    cJSON_AddStringToObject(doc, "started", started);
    if (rep->started_unix > 0)
        cJSON_AddNumberToObject(doc, "started_unix", round(rep->started_unix * 1000.0) / 1000.0);
    cJSON_AddNumberToObject(doc, "duration_s", round(dur * 1000.0) / 1000.0);
    cJSON_AddNumberToObject(doc, "threads", rep->threads > 1 ? rep->threads : 1);
    if (rep->shards > 1) {
        cJSON *sh = cJSON_AddObjectToObject(doc, "shard");
        if (sh) {
            cJSON_AddNumberToObject(sh, "index", rep->shard_index);
            cJSON_AddNumberToObject(sh, "count", rep->shards);
        }
    }
    add_controller(doc, rep);
    totals = cJSON_AddObjectToObject(doc, "totals");
    if (totals) {
        const pdns_totals *t = rep->totals;
        cJSON_AddNumberToObject(totals, "names", (double)t->names);
        cJSON_AddNumberToObject(totals, "records", (double)t->records);
        cJSON_AddNumberToObject(totals, "records_per_s",
                                dur > 0 ? round((double)t->records / dur * 10) / 10 : 0);
        statuses = cJSON_AddObjectToObject(totals, "statuses");
        for (int i = 0; statuses && i < PDNS_R_COUNT; i++)
            if (t->statuses[i])
                cJSON_AddNumberToObject(statuses, pdns_rstatus_name((pdns_rstatus)i),
                                        (double)t->statuses[i]);
    }
    servers = cJSON_AddArrayToObject(doc, "servers");
    for (size_t s = 0; servers && s < rep->n_servers; s++) {
        cJSON *sj = pdns__stats_server_json(rep->servers[s], dur);
        if (sj && rep->trust && rep->trust[s].state)
            add_trust(sj, &rep->trust[s]);
        if (sj)
            cJSON_AddItemToArray(servers, sj);
    }
    if (servers && rep->n_threads > 1)
        add_threads(doc, servers, rep);
    if (rep->n_trusted) { /* the trusted servers: their own figures, never bulk */
        cJSON *tr = cJSON_AddArrayToObject(doc, "trusted");
        for (size_t k = 0; tr && k < rep->n_trusted; k++) {
            cJSON *sj = pdns__stats_server_json(rep->trusted[k], dur);
            if (sj)
                cJSON_AddItemToArray(tr, sj);
        }
    }
    out = pretty ? cJSON_Print(doc) : cJSON_PrintUnformatted(doc);
    cJSON_Delete(doc);
    return out;
}
