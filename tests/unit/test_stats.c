/* test_stats.c - unit tests of per-server stats and their JSON export.
 * SPDX-License-Identifier: MIT */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <cjson/cJSON.h>
#include "check.h"
#include "format/report.h"
#include "core/stats.h"

#define MS UINT64_C(1000000)

static double num(const cJSON *o, const char *key)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(it) ? it->valuedouble : NAN;
}

static int near(double got, double want, double tol)
{
    return fabs(got - want) <= tol;
}

/* Export, print, parse back: checks the JSON is well-formed text, not just a tree. */
static cJSON *roundtrip(const pdns__server_stats *s, double duration_s)
{
    cJSON *j = pdns__stats_server_json(s, duration_s);
    CHECK(j != NULL);
    if (!j)
        return NULL;
    char *txt = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    CHECK(txt != NULL);
    if (!txt)
        return NULL;
    cJSON *back = cJSON_Parse(txt);
    free(txt);
    CHECK(back != NULL);
    return back;
}

static void check_point(const cJSON *p, double t, double target, double sent, double answered,
                        double lost, double errors, double tc, double p50, double p99)
{
    CHECK(cJSON_IsObject(p));
    CHECK(cJSON_GetArraySize(p) == 9);
    CHECK(num(p, "t") == t);
    CHECK(num(p, "target_qps") == target);
    CHECK(num(p, "sent") == sent);
    CHECK(num(p, "answered") == answered);
    CHECK(num(p, "lost") == lost);
    CHECK(num(p, "errors") == errors);
    CHECK(num(p, "tc") == tc);
    CHECK(near(num(p, "p50_ms"), p50, fabs(p50) * 0.02 + 1e-9));
    CHECK(near(num(p, "p99_ms"), p99, fabs(p99) * 0.02 + 1e-9));
}

static void test_scripted(void)
{
    pdns__server_stats s;
    pdns__stats_init(&s, "127.0.0.1:5300");
    CHECK_STR(s.server, "127.0.0.1:5300");
    CHECK(s.optimal_qps < 0 && s.converged_after_s < 0);

    /* interval 1: 12 sends (2 retries); answers 1..5 ms NOERROR, NXDOMAIN+TC, SERVFAIL,
     * REFUSED, rcode 30 ("other"), BADVERS (16); 2 timeouts */
    for (int i = 0; i < 12; i++)
        pdns__stats_on_send(&s, i >= 10);
    for (int i = 1; i <= 5; i++)
        pdns__stats_on_answer(&s, 0, 0, (uint64_t)i * MS);
    pdns__stats_on_answer(&s, 3, 1, 6 * MS);
    pdns__stats_on_answer(&s, 2, 0, 7 * MS);
    pdns__stats_on_answer(&s, 5, 0, 8 * MS);
    pdns__stats_on_answer(&s, 30, 0, 9 * MS);
    pdns__stats_on_answer(&s, 16, 0, 10 * MS);
    pdns__stats_on_timeout(&s);
    pdns__stats_on_timeout(&s);
    CHECK(s.iv_sent == 12 && s.iv_answered == 10 && s.iv_lost == 2 && s.iv_errors == 2);
    CHECK(s.iv_tc == 1 && s.lat_iv.count == 10);
    CHECK(pdns__stats_close_interval(&s, 1.0, 100.0) == 0);
    CHECK(s.iv_sent == 0 && s.iv_answered == 0 && s.iv_lost == 0 && s.iv_errors == 0);
    CHECK(s.iv_tc == 0 && s.lat_iv.count == 0);
    CHECK(s.lat.count == 10);

    /* interval 2: nothing */
    CHECK(pdns__stats_close_interval(&s, 2.0, 150.0) == 0);

    /* interval 3: 4 sends, 4 NOERROR answers at 20 ms, the last one rounded from ns */
    for (int i = 0; i < 4; i++)
        pdns__stats_on_send(&s, 0);
    for (int i = 0; i < 3; i++)
        pdns__stats_on_answer(&s, 0, 0, 20 * MS);
    pdns__stats_on_answer(&s, 0, 0, 20 * MS + 499); /* rounds to 20000 us */
    CHECK(pdns__stats_close_interval(&s, 3.0, 200.5) == 0);

    CHECK(pdns__stats_add_edge(&s, 120.0) == 0);
    CHECK(pdns__stats_add_edge(&s, 180.25) == 0);
    s.optimal_qps = 175.5;
    s.converged_after_s = 2.5;

    cJSON *j = roundtrip(&s, 4.0);
    if (!j) {
        pdns__stats_free(&s);
        return;
    }
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "server")),
              "127.0.0.1:5300");
    CHECK(num(j, "sent") == 16);
    CHECK(num(j, "answered") == 14);
    CHECK(num(j, "timeouts") == 2);
    CHECK(num(j, "retries") == 2);
    CHECK(num(j, "tc") == 1);
    CHECK(num(j, "errors") == 2);
    CHECK(num(j, "answered_qps") == 14 / 4.0);

    const cJSON *rc = cJSON_GetObjectItemCaseSensitive(j, "rcodes");
    CHECK(cJSON_IsObject(rc));
    CHECK(cJSON_GetArraySize(rc) == 6);
    CHECK(num(rc, "NOERROR") == 9);
    CHECK(num(rc, "NXDOMAIN") == 1);
    CHECK(num(rc, "SERVFAIL") == 1);
    CHECK(num(rc, "REFUSED") == 1);
    CHECK(num(rc, "BADVERS") == 1);
    CHECK(num(rc, "OTHER") == 1);
    CHECK(cJSON_GetObjectItemCaseSensitive(rc, "FORMERR") == NULL);

    /* latency over all answers: 1..10 ms and 4 x 20 ms (exact: p50 = 7th = 7 ms,
     * p90 = ceil(12.6) = 13th = 20 ms, p99/p999/max = 20 ms) */
    const cJSON *lat = cJSON_GetObjectItemCaseSensitive(j, "latency_ms");
    CHECK(cJSON_IsObject(lat));
    CHECK(cJSON_GetArraySize(lat) == 7);
    CHECK(num(lat, "min") == 1.0);
    CHECK(num(lat, "max") == 20.0);
    CHECK(near(num(lat, "mean"), (55.0 + 80.0) / 14.0, 0.0006));
    CHECK(near(num(lat, "p50"), 7.0, 7.0 * 0.02));
    CHECK(near(num(lat, "p90"), 20.0, 20.0 * 0.02));
    CHECK(near(num(lat, "p99"), 20.0, 20.0 * 0.02));
    CHECK(near(num(lat, "p999"), 20.0, 20.0 * 0.02));
    /* ms with at most 3 decimals */
    CHECK(near(num(lat, "mean") * 1000.0, round(num(lat, "mean") * 1000.0), 1e-6));
    CHECK(near(num(lat, "p50") * 1000.0, round(num(lat, "p50") * 1000.0), 1e-6));

    /* histogram rows [lo_ms, hi_ms, count], increasing, counts sum to answered, and each
     * sample lies in a row */
    const cJSON *hist = cJSON_GetObjectItemCaseSensitive(j, "histogram");
    CHECK(cJSON_IsArray(hist));
    CHECK(cJSON_GetArraySize(hist) == 11);
    double total = 0, prev_hi = 0;
    int rows_ok = 1, found20 = 0;
    const cJSON *row;
    cJSON_ArrayForEach(row, hist)
    {
        if (!cJSON_IsArray(row) || cJSON_GetArraySize(row) != 3) {
            rows_ok = 0;
            continue;
        }
        double lo = cJSON_GetArrayItem(row, 0)->valuedouble;
        double hi = cJSON_GetArrayItem(row, 1)->valuedouble;
        double c = cJSON_GetArrayItem(row, 2)->valuedouble;
        if (!(lo < hi) || lo < prev_hi || c <= 0)
            rows_ok = 0;
        if (lo <= 20.0 && 20.0 < hi && c == 4)
            found20 = 1;
        prev_hi = hi;
        total += c;
    }
    CHECK(rows_ok);
    CHECK(found20);
    CHECK(total == 14);

    const cJSON *ts = cJSON_GetObjectItemCaseSensitive(j, "timeseries");
    CHECK(cJSON_IsArray(ts));
    CHECK(cJSON_GetArraySize(ts) == 3);
    /* interval 1: answers 1..10 ms: p50 = 5th = 5 ms, p99 = 10th = 10 ms */
    check_point(cJSON_GetArrayItem(ts, 0), 1.0, 100.0, 12, 10, 2, 2, 1, 5.0, 10.0);
    check_point(cJSON_GetArrayItem(ts, 1), 2.0, 150.0, 0, 0, 0, 0, 0, -1.0, -1.0);
    check_point(cJSON_GetArrayItem(ts, 2), 3.0, 200.5, 4, 4, 0, 0, 0, 20.0, 20.0);
    CHECK(num(cJSON_GetArrayItem(ts, 2), "p50_ms") == 20.0); /* exact, clamped */

    CHECK(num(j, "optimal_qps") == 175.5);
    CHECK(num(j, "converged_after_s") == 2.5);
    const cJSON *edges = cJSON_GetObjectItemCaseSensitive(j, "edges");
    CHECK(cJSON_IsArray(edges) && cJSON_GetArraySize(edges) == 2);
    CHECK(cJSON_GetArrayItem(edges, 0) && cJSON_GetArrayItem(edges, 0)->valuedouble == 120.0);
    CHECK(cJSON_GetArrayItem(edges, 1) && cJSON_GetArrayItem(edges, 1)->valuedouble == 180.25);

    /* "near": the intervals at [0.85, 1.05] x 175.5: only interval 2 (target 150), which
     * sent nothing and had no answer */
    const cJSON *nj = cJSON_GetObjectItemCaseSensitive(j, "near");
    CHECK(cJSON_IsObject(nj) && num(nj, "loss") == -1 && num(nj, "p50_ms") == -1 &&
          num(nj, "p99_ms") == -1);

    /* exactly the documented keys ("transport" since #15; near with optimal_qps) */
    CHECK(cJSON_GetArraySize(j) == 21);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "transport")), "udp");
    CHECK(cJSON_GetObjectItemCaseSensitive(j, "connections") == NULL);
    CHECK(num(j, "malformed") == 0 && num(j, "ignored") == 0);
    CHECK(num(j, "unreachable") == 0 && num(j, "send_errors") == 0);
    cJSON_Delete(j);
    pdns__stats_free(&s);
    CHECK(s.ts == NULL && s.ts_len == 0 && s.edges == NULL && s.n_edges == 0);
    pdns__stats_free(&s); /* idempotent */
}

/* EDNS readings: the NSID kept as text, cookie checks counted; in the JSON only when
 * seen / sent; merged by pdns__stats_merge. */
static void test_edns(void)
{
    pdns__server_stats a, b;
    pdns__edns_info e;
    cJSON *j;
    pdns__stats_init(&a, "127.0.0.1:53");
    pdns__stats_init(&b, "127.0.0.1:53");
    j = pdns__stats_server_json(&a, 1.0);
    CHECK(j && !cJSON_GetObjectItemCaseSensitive(j, "nsid") &&
          !cJSON_GetObjectItemCaseSensitive(j, "cookies"));
    cJSON_Delete(j);
    memset(&e, 0, sizeof e);
    e.has_nsid = 1;
    e.nsid_len = 3;
    memcpy(e.nsid, "ns1", 3);
    e.cookie = PDNS__COOKIE_OK;
    a.cookies = 1;
    pdns__stats_on_edns(&a, &e);
    e.cookie = PDNS__COOKIE_MISSING;
    e.has_nsid = 0;
    pdns__stats_on_edns(&a, &e); /* no NSID this time: the last one stays */
    e.cookie = PDNS__COOKIE_BAD;
    pdns__stats_on_edns(&b, &e);
    CHECK(pdns__stats_merge(&a, &b) == 0);
    j = pdns__stats_server_json(&a, 1.0);
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(j, "cookies");
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "nsid")), "ns1");
    CHECK(cJSON_IsObject(c) && num(c, "valid") == 1 && num(c, "missing") == 1 &&
          num(c, "bad") == 1);
    cJSON_Delete(j);
    pdns__stats_free(&a);
    pdns__stats_free(&b);
}

static void test_empty_and_optional(void)
{
    pdns__server_stats s;
    pdns__stats_init(&s, "[::1]:5300");
    cJSON *j = roundtrip(&s, 0.0);
    if (j) {
        CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "server")),
                  "[::1]:5300");
        CHECK(num(j, "sent") == 0 && num(j, "answered") == 0);
        CHECK(num(j, "answered_qps") == 0); /* duration 0: no division */
        CHECK(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "rcodes")) == 0);
        const cJSON *lat = cJSON_GetObjectItemCaseSensitive(j, "latency_ms");
        CHECK(num(lat, "min") == 0 && num(lat, "p50") == 0 && num(lat, "max") == 0);
        CHECK(num(lat, "mean") == 0);
        CHECK(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "histogram")) == 0);
        CHECK(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "timeseries")) == 0);
        CHECK(cJSON_GetObjectItemCaseSensitive(j, "optimal_qps") == NULL);
        CHECK(cJSON_GetObjectItemCaseSensitive(j, "edges") == NULL);
        CHECK(cJSON_GetObjectItemCaseSensitive(j, "converged_after_s") == NULL);
        CHECK(cJSON_GetArraySize(j) == 17);
        cJSON_Delete(j);
    }
    pdns__stats_free(&s);

    /* long server strings are truncated, NUL-terminated */
    char longname[200];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    pdns__stats_init(&s, longname);
    CHECK(strlen(s.server) == sizeof s.server - 1);
    pdns__stats_free(&s);
}

static void test_growth(void)
{
    pdns__server_stats s;
    pdns__stats_init(&s, "10.0.0.1:53");
    int rc = 0;
    for (int i = 1; i <= 1000; i++) {
        for (int k = 0; k < i % 7; k++) {
            pdns__stats_on_send(&s, 0);
            pdns__stats_on_answer(&s, 0, 0, (uint64_t)(k + 1) * MS);
        }
        rc |= pdns__stats_close_interval(&s, i * 0.5, 10.0 * i);
    }
    for (int i = 0; i < 300; i++)
        rc |= pdns__stats_add_edge(&s, i);
    CHECK(rc == 0);
    CHECK(s.ts_len == 1000 && s.ts_cap >= 1000 && s.ts_cap < 2000);
    CHECK((s.ts_cap & (s.ts_cap - 1)) == 0); /* doubling from a power of two */
    CHECK(s.n_edges == 300 && s.edges_cap >= 300);
    int ok = 1;
    for (int i = 1; i <= 1000; i++) {
        const pdns__ts_point *p = &s.ts[i - 1];
        if (p->t != i * 0.5 || p->target_qps != 10.0 * i || p->sent != (uint64_t)(i % 7) ||
            p->answered != (uint64_t)(i % 7))
            ok = 0;
        if (i % 7 == 0 && (p->p50_ms != -1.0 || p->p99_ms != -1.0))
            ok = 0;
        if (i % 7 && !near(p->p99_ms, i % 7, (i % 7) * 0.02))
            ok = 0;
    }
    CHECK(ok);
    for (int i = 0; i < 300; i++)
        ok &= s.edges[i] == i;
    CHECK(ok);

    cJSON *j = roundtrip(&s, 500.0);
    if (j) {
        CHECK(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "timeseries")) == 1000);
        CHECK(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "edges")) == 300);
        CHECK(num(j, "answered_qps") == (double)s.answered / 500.0);
        cJSON_Delete(j);
    }
    pdns__stats_free(&s);
}

/* Two threads' stats of one server merge into the sums a single engine would have. */
static void test_merge(void)
{
    pdns__server_stats a, b, one;
    pdns__stats_init(&a, "127.0.0.1:5300");
    pdns__stats_init(&b, "127.0.0.1:5300");
    pdns__stats_init(&one, "127.0.0.1:5300");
    /* thread a: 3 sends, 2 answers (1 ms, 3 ms), 1 timeout; thread b: 2 sends, 2 answers
     * (2 ms NOERROR, 4 ms SERVFAIL), one a retry; `one` sees all of it */
    for (int i = 0; i < 3; i++) {
        pdns__stats_on_send(&a, 0);
        pdns__stats_on_send(&one, 0);
    }
    pdns__stats_on_send(&b, 0);
    pdns__stats_on_send(&b, 1);
    pdns__stats_on_send(&one, 0);
    pdns__stats_on_send(&one, 1);
    pdns__stats_on_answer(&a, 0, 0, 1000000);
    pdns__stats_on_answer(&a, 3, 0, 3000000);
    pdns__stats_on_timeout(&a);
    pdns__stats_on_answer(&b, 0, 0, 2000000);
    pdns__stats_on_answer(&b, 2, 1, 4000000);
    pdns__stats_on_answer(&one, 0, 0, 1000000);
    pdns__stats_on_answer(&one, 3, 0, 3000000);
    pdns__stats_on_timeout(&one);
    pdns__stats_on_answer(&one, 0, 0, 2000000);
    pdns__stats_on_answer(&one, 2, 1, 4000000);
    CHECK(pdns__stats_close_interval(&a, 1.0, 100) == 0);
    CHECK(pdns__stats_close_interval(&b, 1.0, 100) == 0);
    CHECK(pdns__stats_close_interval(&b, 2.0, 150) == 0); /* b has one point more */
    CHECK(pdns__stats_add_edge(&a, 400) == 0);
    CHECK(pdns__stats_add_edge(&b, 380) == 0);
    CHECK(pdns__stats_add_edge(&b, 390) == 0);
    a.optimal_qps = 400;
    b.optimal_qps = 390;
    a.converged_after_s = 2.5;
    b.converged_after_s = 3.0;

    CHECK(pdns__stats_merge(&a, &b) == 0);
    CHECK(a.sent == one.sent && a.sent == 5);
    CHECK(a.answered == one.answered && a.timeouts == one.timeouts);
    CHECK(a.retries == 1 && a.errors == 1 && a.tc == 1);
    CHECK(memcmp(a.rcodes, one.rcodes, sizeof a.rcodes) == 0);
    CHECK(a.lat.count == 4 && a.lat.min_us == one.lat.min_us && a.lat.max_us == one.lat.max_us);
    CHECK(pdns__hist_quantile(&a.lat, 0.5) == pdns__hist_quantile(&one.lat, 0.5));
    CHECK(memcmp(a.lat.buckets, one.lat.buckets, sizeof a.lat.buckets) == 0);
    CHECK(a.ts_len == 2);
    CHECK(a.ts[0].sent == 5 && a.ts[0].answered == 4 && a.ts[0].lost == 1);
    CHECK(a.ts[0].target_qps == 200 && a.ts[0].errors == 1 && a.ts[0].tc == 1);
    CHECK(a.ts[0].p99_ms >= 3.9 && a.ts[0].p99_ms <= 4.1); /* the larger of the two */
    CHECK(a.ts[1].t == 2.0 && a.ts[1].target_qps == 150 && a.ts[1].sent == 0);
    CHECK(a.n_edges == 2 && a.edges[0] == 780 && a.edges[1] == 390);
    CHECK(a.optimal_qps == 790 && a.converged_after_s == 3.0);
    /* an unknown estimate makes the sum unknown */
    b.optimal_qps = -1;
    b.converged_after_s = -1;
    CHECK(pdns__stats_merge(&a, &b) == 0);
    CHECK(a.optimal_qps < 0 && a.converged_after_s < 0);
    pdns__stats_free(&a);
    pdns__stats_free(&b);
    pdns__stats_free(&one);
}

/* Attempts that ended at once (ICMP, failed send): their own counters, in the JSON and
 * merged; neither a loss (timeouts, interval lost) nor an answer. */
static void test_unreachable(void)
{
    pdns__server_stats a, b;
    pdns__stats_init(&a, "127.0.0.1:53");
    pdns__stats_init(&b, "127.0.0.1:53");
    pdns__stats_on_send(&a, 0);
    pdns__stats_on_unreachable(&a, 0);
    pdns__stats_on_send(&a, 1);
    pdns__stats_on_unreachable(&a, 0);
    pdns__stats_on_send(&a, 1);
    pdns__stats_on_unreachable(&a, 1);
    pdns__stats_on_unreachable(&b, 1);
    CHECK(a.unreachable == 2 && a.send_errors == 1);
    CHECK(a.timeouts == 0 && a.iv_lost == 0 && a.answered == 0 && a.errors == 0);
    CHECK(pdns__stats_merge(&a, &b) == 0);
    CHECK(a.unreachable == 2 && a.send_errors == 2);
    cJSON *j = pdns__stats_server_json(&a, 1.0);
    CHECK(j != NULL);
    if (j) {
        CHECK(num(j, "unreachable") == 2 && num(j, "send_errors") == 2);
        CHECK(num(j, "timeouts") == 0 && num(j, "sent") == 3);
        cJSON_Delete(j);
    }
    pdns__stats_free(&a);
    pdns__stats_free(&b);
}

/* A run of 10,000 intervals keeps at most PDNS__TS_MAX points, with every count. */
static void test_series_bounded(void)
{
    pdns__server_stats st;
    uint64_t sent = 0, answered = 0;
    pdns__stats_init(&st, "127.0.0.1:53");
    for (int i = 1; i <= 10000; i++) {
        for (int k = 0; k < i % 7; k++) {
            pdns__stats_on_send(&st, 0);
            pdns__stats_on_answer(&st, 0, 0, 1000000);
            sent++;
            answered++;
        }
        CHECK(pdns__stats_close_interval(&st, i * 0.5, 100) == 0);
    }
    CHECK(st.ts_len <= PDNS__TS_MAX && st.ts_len >= PDNS__TS_MAX / 2);
    uint64_t s2 = 0, a2 = 0;
    for (size_t i = 0; i < st.ts_len; i++) {
        s2 += st.ts[i].sent;
        a2 += st.ts[i].answered;
        CHECK(i == 0 || st.ts[i].t > st.ts[i - 1].t);
    }
    CHECK(s2 == sent && a2 == answered);
    CHECK(st.ts[st.ts_len - 1].t == 5000.0);
    pdns__stats_free(&st);
}

/* A stream server: "resets" and "connections" (figures, handshake percentiles, queries
 * per connection, the last error); merging two threads' figures sums them. */
static void test_connections(void)
{
    pdns__server_stats a, b;
    pdns__stats_init(&a, "tls://127.0.0.1:853");
    pdns__stats_init(&b, "tls://127.0.0.1:853");
    snprintf(a.conn.transport, sizeof a.conn.transport, "tls");
    a.conn.active = 1;
    for (int i = 0; i < 4; i++) {
        pdns__conn_on_open(&a.conn);
        pdns__conn_on_ready(&a.conn, (uint64_t)(i + 1) * 1000000u); /* 1..4 ms */
    }
    pdns__conn_on_open(&a.conn);
    pdns__conn_on_fail(&a.conn, "tls://127.0.0.1:853: TLS certificate verify failed: x");
    pdns__conn_on_reset(&a.conn, "tls://127.0.0.1:853: connection reset");
    a.conn.queries = 400;
    pdns__stats_on_send(&a, 0);
    pdns__stats_on_reset(&a);
    CHECK(a.resets == 1 && a.iv_lost == 1); /* a reset is the interval's loss */
    cJSON *j = roundtrip(&a, 1.0);
    if (j) {
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(j, "connections");
        CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "transport")), "tls");
        CHECK(num(j, "resets") == 1);
        CHECK(num(c, "opened") == 5 && num(c, "handshakes") == 4 && num(c, "failures") == 1);
        CHECK(num(c, "resets") == 1 && num(c, "queries") == 400);
        CHECK(num(c, "queries_per_connection") == 100);
        CHECK(num(c, "handshake_p50_ms") >= 1.9 && num(c, "handshake_p50_ms") <= 2.1);
        CHECK(num(c, "handshake_p99_ms") >= 3.9 && num(c, "handshake_p99_ms") <= 4.1);
        CHECK(cJSON_GetObjectItemCaseSensitive(c, "http2_answers") == NULL);
        CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "last_error")),
                  "tls://127.0.0.1:853: connection reset");
        cJSON_Delete(j);
    }
    b.conn = a.conn; /* the other thread saw the same */
    pdns__stats_merge(&b, &a);
    CHECK(b.conn.opened == 10 && b.conn.handshakes == 8 && b.conn.queries == 800);
    CHECK(b.conn.handshake.count == 8 && b.resets == 1);
    pdns__stats_free(&a);
    pdns__stats_free(&b);
}

int main(void)
{
    test_connections();
    test_edns();
    test_series_bounded();
    test_unreachable();
    test_merge();
    test_scripted();
    test_empty_and_optional();
    test_growth();
    return CHECK_DONE();
}
