/* report.c - the stats JSON document, built from plain figures (see report.h).
 * SPDX-License-Identifier: MIT */
#include <cjson/cJSON.h>
#include <math.h>

#include "format/report.h"
#include "profile.h"

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
    cJSON_AddNumberToObject(doc, "duration_s", round(dur * 1000.0) / 1000.0);
    cJSON_AddNumberToObject(doc, "threads", rep->threads > 1 ? rep->threads : 1);
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
        if (sj)
            cJSON_AddItemToArray(servers, sj);
    }
    if (servers && rep->n_threads > 1)
        add_threads(doc, servers, rep);
    out = pretty ? cJSON_Print(doc) : cJSON_PrintUnformatted(doc);
    cJSON_Delete(doc);
    return out;
}
