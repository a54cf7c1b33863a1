/* api_client.c - library tests through the public API only, against a real server.
 * SPDX-License-Identifier: MIT
 *
 * Usage: api_client SERVER ZONE BLACKHOLE   (SERVER answers hostN.ZONE A for N < 100;
 * BLACKHOLE never answers)
 * Run by tests/integration/test_api.py, which starts NSD on loopback. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "pacedns.h"

static int checks, failed;
#define CHECK(c)                                                                                   \
    do {                                                                                           \
        checks++;                                                                                  \
        if (!(c)) {                                                                                \
            failed++;                                                                              \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #c);                  \
        }                                                                                          \
    } while (0)

#define N 100

typedef struct seen {
    int count[N + 2];
    int noerror, invalid, other;
    int bad_user;
    char first_line[4096];
    pdns_writer *w;
} seen;

static void on_result(const pdns_result *r, void *user)
{
    seen *s = user;
    long idx = (long)(intptr_t)r->user;
    if (idx < 0 || idx > N + 1) {
        s->bad_user++;
        return;
    }
    s->count[idx]++;
    if (r->status == PDNS_R_NOERROR && r->n_answers >= 1 && r->answers[0].type == 1 &&
        strncmp(r->answers[0].data, "10.", 3) == 0)
        s->noerror++;
    else if (r->status == PDNS_R_INVALID_NAME && r->error)
        s->invalid++;
    else
        s->other++;
    if (s->w)
        CHECK(pdns_writer_write(s->w, r) == PDNS_OK);
}

/* 1: the runner's own loop, submit(), fixed rate, stats JSON, a writer. */
static void test_owned_loop(const char *server, const char *zone)
{
    pdns_options o;
    pdns_runner *r = NULL;
    seen s;
    char name[300], *mem = NULL;
    size_t memlen = 0;
    FILE *mf = open_memstream(&mem, &memlen);

    memset(&s, 0, sizeof s);
    CHECK(mf != NULL);
    CHECK(pdns_writer_new(mf, "text", &s.w) == PDNS_OK);
    pdns_options_init(&o);
    o.qps = 2000;
    o.on_result = on_result;
    o.user = &s;
    CHECK(pdns_runner_new(NULL, &o, &r) == PDNS_OK);
    CHECK(pdns_runner_add_server(r, server) == PDNS_OK);
    CHECK(pdns_runner_add_server(r, server) == PDNS_ERR_INVALID); /* duplicate */
    CHECK(pdns_runner_add_server(r, "not-an-address") == PDNS_ERR_PARSE);
    for (long i = 0; i < N; i++) {
        snprintf(name, sizeof name, "host%ld.%s", i, zone);
        CHECK(pdns_runner_submit(r, name, (uint64_t)i + 1, (void *)(intptr_t)i) == PDNS_OK);
    }
    CHECK(pdns_runner_submit(r, "bad..name", N + 1, (void *)(intptr_t)N) == PDNS_OK);
    CHECK(pdns_runner_run(r) == PDNS_OK); /* runs the owned loop to the end */
    CHECK(pdns_runner_done(r));
    for (int i = 0; i <= N; i++)
        CHECK(s.count[i] == 1);
    CHECK(s.noerror == N);
    CHECK(s.invalid == 1);
    CHECK(s.other == 0 && s.bad_user == 0);

    pdns_totals t;
    pdns_runner_totals(r, &t);
    CHECK(t.names == N + 1 && t.records == N + 1);
    CHECK(t.statuses[PDNS_R_NOERROR] == N && t.statuses[PDNS_R_INVALID_NAME] == 1);
    pdns_server_info si;
    CHECK(pdns_runner_server_count(r) == 1);
    CHECK(pdns_runner_server_info(r, 0, &si) == PDNS_OK);
    CHECK(si.sent == N && si.answered == N && si.timeouts == 0 && !si.controlled);
    CHECK(pdns_runner_server_info(r, 1, &si) == PDNS_ERR_INVALID);

    char *js = pdns_runner_stats_json(r, 0);
    cJSON *doc = js ? cJSON_Parse(js) : NULL;
    cJSON *srv = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "servers"), 0);
    CHECK(doc && srv);
    CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(srv, "answered")) == N);
    CHECK(cJSON_GetNumberValue(
              cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "totals"), "records")) == N + 1);
    cJSON_Delete(doc);
    pdns_free(js);
    pdns_runner_free(r);

    pdns_writer_free(s.w);
    fclose(mf);
    CHECK(mem && strstr(mem, "host7.") && strstr(mem, "\tA\t10."));
    CHECK(mem && strstr(mem, "bad..name\tA\tINVALID_NAME\n"));
    free(mem);
}

/* 2: the caller's loop, a lazy source through pdns_reader, the controller with a
 * profile; the loop closes cleanly. */
typedef struct src {
    pdns_reader *rd;
} src;

static int source(void *user, char *name, size_t cap, uint64_t *line)
{
    return pdns_reader_next(((src *)user)->rd, name, cap, line);
}

static void on_result2(const pdns_result *r, void *user)
{
    seen *s = user;
    if (r->line >= 1 && r->line <= N + 1)
        s->count[r->line]++;
    if (r->status == PDNS_R_NOERROR)
        s->noerror++;
}

/* Write hostI.ZONE (I < N) into a new file from the template path and open a reader on
 * it. Returns 0, or -1 (a failed check) when either fails. */
static int names_file(const char *zone, char *path, src *sc)
{
    const char *paths[1] = {path};
    char err[256];
    int fd = mkstemp(path);
    FILE *fp = fd >= 0 ? fdopen(fd, "w") : NULL;
    sc->rd = NULL;
    CHECK(fp != NULL);
    if (!fp)
        return -1;
    for (int i = 0; i < N; i++)
        fprintf(fp, "host%d.%s\n", i, zone);
    fclose(fp);
    CHECK(pdns_reader_open(paths, 1, &sc->rd, err, sizeof err) == PDNS_OK);
    return sc->rd ? 0 : -1;
}

static void test_caller_loop(const char *server, const char *zone)
{
    uv_loop_t loop;
    pdns_options o;
    pdns_runner *r = NULL;
    seen s;
    src sc;
    char path[] = "/tmp/pacedns-api-XXXXXX";

    memset(&s, 0, sizeof s);
    if (names_file(zone, path, &sc) != 0)
        return;
    CHECK(uv_loop_init(&loop) == 0);
    pdns_options_init(&o);
    o.on_result = on_result2;
    o.user = &s;
    CHECK(pdns_runner_new(&loop, &o, &r) == PDNS_OK);
    CHECK(pdns_runner_add_server(r, server) == PDNS_OK);
    CHECK(pdns_runner_set_profile(r, "no-such-profile") == PDNS_ERR_IO);
    CHECK(strstr(pdns_runner_errmsg(r), "no-such-profile") != NULL);
    CHECK(pdns_runner_set_profile(r, "bench") == PDNS_OK);
    CHECK(pdns_runner_set_param(r, "no_such_key", 1) == PDNS_ERR_INVALID);
    CHECK(pdns_runner_set_param(r, "start_qps", 500) == PDNS_OK);
    CHECK(pdns_runner_set_source(r, source, &sc) == PDNS_OK);
    CHECK(pdns_runner_run(r) == PDNS_OK);
    CHECK(uv_run(&loop, UV_RUN_DEFAULT) == 0);
    CHECK(pdns_runner_done(r));
    for (int i = 1; i <= N; i++)
        CHECK(s.count[i] == 1);
    CHECK(s.noerror == N);
    pdns_server_info si;
    CHECK(pdns_runner_server_info(r, 0, &si) == PDNS_OK && si.controlled);
    pdns_runner_free(r);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(uv_loop_close(&loop) == 0);
    pdns_reader_close(sc.rd);
    unlink(path);
}

/* 3: worker threads on a caller's loop: a lazy source, one record per name, totals and
 * the merged stats, submit refused once running, the caller's loop closes cleanly. */
static void test_threads(const char *server, const char *zone)
{
    uv_loop_t loop;
    pdns_options o;
    pdns_runner *r = NULL;
    seen s;
    src sc;
    char path[] = "/tmp/pacedns-api-XXXXXX";
    pdns_totals tot;

    memset(&s, 0, sizeof s);
    if (names_file(zone, path, &sc) != 0)
        return;
    CHECK(uv_loop_init(&loop) == 0);
    pdns_options_init(&o);
    o.on_result = on_result2; /* not thread-safe itself: the runner serialises the calls */
    o.user = &s;
    o.qps = 3000;
    o.threads = 3;
    CHECK(pdns_runner_new(&loop, &o, &r) == PDNS_OK);
    CHECK(pdns_runner_add_server(r, server) == PDNS_OK);
    CHECK(pdns_runner_add_server(r, server) == PDNS_ERR_INVALID); /* duplicate */
    CHECK(pdns_runner_server_count(r) == 1);
    CHECK(pdns_runner_set_source(r, source, &sc) == PDNS_OK);
    CHECK(!pdns_runner_done(r));
    CHECK(pdns_runner_run(r) == PDNS_OK);
    CHECK(pdns_runner_submit(r, "late.example.", 0, NULL) == PDNS_ERR_STATE);
    CHECK(uv_run(&loop, UV_RUN_DEFAULT) == 0);
    CHECK(pdns_runner_done(r));
    for (int i = 1; i <= N; i++)
        CHECK(s.count[i] == 1);
    CHECK(s.noerror == N);
    pdns_runner_totals(r, &tot);
    CHECK(tot.names == N && tot.records == N && tot.statuses[PDNS_R_NOERROR] == N);
    pdns_server_info si;
    CHECK(pdns_runner_server_info(r, 0, &si) == PDNS_OK && si.sent == N && si.answered == N);
    CHECK(si.rate_qps > 2999 && si.rate_qps < 3001); /* three engines at 1000 each */
    char *js = pdns_runner_stats_json(r, 0);
    cJSON *doc = js ? cJSON_Parse(js) : NULL;
    CHECK(doc != NULL);
    CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(doc, "threads")) == 3);
    cJSON *srv = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "servers"), 0);
    CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(srv, "sent")) == N);
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(srv, "threads")) == 3);
    cJSON_Delete(doc);
    pdns_free(js);
    pdns_runner_free(r);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(uv_loop_close(&loop) == 0);
    pdns_reader_close(sc.rd);
    unlink(path);
}

/* 5: a runner freed before it finished, on a caller's loop, while queries to a server
 * that never answers are in flight: with worker threads (the parent's `finished` handle
 * must outlive its close callback) and with getdns (its cancelled queries must report
 * no record from inside pdns_runner_free). */
static int in_free, results_in_free;

static void on_result_free(const pdns_result *r, void *user)
{
    (void)user;
    if (in_free) {
        results_in_free++;
        if (results_in_free == 1)
            fprintf(stderr, "a record from inside pdns_runner_free: %s %s %s\n", r->name,
                    pdns_rstatus_name(r->status), r->error ? r->error : "");
    }
}

static void stop_loop(uv_timer_t *t)
{
    uv_stop(t->loop);
}

static void test_free_early(const char *blackhole, unsigned threads, pdns_transport tp)
{
    uv_loop_t loop;
    uv_timer_t t;
    pdns_options o;
    pdns_runner *r = NULL;
    char name[64];

    CHECK(uv_loop_init(&loop) == 0);
    CHECK(uv_timer_init(&loop, &t) == 0);
    pdns_options_init(&o);
    o.on_result = on_result_free;
    o.qps = 200;
    o.threads = threads;
    o.transport = tp;
    o.retries = 0;
    o.timeout_ms = 5000;
    CHECK(pdns_runner_new(&loop, &o, &r) == PDNS_OK);
    CHECK(pdns_runner_add_server(r, blackhole) == PDNS_OK);
    for (int i = 0; i < 50; i++) {
        snprintf(name, sizeof name, "n%d.example.", i);
        CHECK(pdns_runner_submit(r, name, (uint64_t)i + 1, NULL) == PDNS_OK);
    }
    CHECK(pdns_runner_run(r) == PDNS_OK);
    results_in_free = 0;
    CHECK(uv_timer_start(&t, stop_loop, 200, 0) == 0);
    uv_run(&loop, UV_RUN_DEFAULT); /* ends at uv_stop, after 200 ms */
    CHECK(!pdns_runner_done(r));
    in_free = 1;
    pdns_runner_free(r);
    in_free = 0;
    CHECK(results_in_free == 0);
    uv_close((uv_handle_t *)&t, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(uv_loop_close(&loop) == 0);
}

/* 4: errors and helpers. */
static void test_errors(void)
{
    pdns_options o;
    pdns_runner *r = NULL;
    char out[256];
    const char *why = NULL;
    seen s;

    memset(&s, 0, sizeof s);
    pdns_options_init(&o);
    CHECK(pdns_runner_new(NULL, &o, &r) == PDNS_ERR_INVALID); /* no callback */
    o.on_result = on_result;
    o.user = &s;
    CHECK(pdns_runner_new(NULL, &o, &r) == PDNS_OK);
    CHECK(pdns_runner_run(r) == PDNS_ERR_NOSERVER);
    pdns_runner_free(r);
    /* the documented ranges of pdns_options */
    {
        pdns_options b = o;
        b.threads = PDNS_MAX_THREADS + 1;
        CHECK(pdns_runner_new(NULL, &b, &r) == PDNS_ERR_RANGE);
        b = o;
        b.retries = PDNS_MAX_RETRIES + 1;
        CHECK(pdns_runner_new(NULL, &b, &r) == PDNS_ERR_RANGE);
        b = o;
        b.interval_s = 0.001;
        CHECK(pdns_runner_new(NULL, &b, &r) == PDNS_ERR_RANGE);
        b = o;
        b.timeout_ms = PDNS_MAX_TIMEOUT_MS + 1;
        CHECK(pdns_runner_new(NULL, &b, &r) == PDNS_ERR_RANGE);
        b = o;
        b.threads = 4;
        b.max_inflight = 3; /* less than one per thread */
        CHECK(pdns_runner_new(NULL, &b, &r) == PDNS_ERR_RANGE);
        b.max_inflight = 4;
        CHECK(pdns_runner_new(NULL, &b, &r) == PDNS_OK);
        pdns_runner_free(r);
    }
    for (int st = PDNS_OK; st <= PDNS_ERR_NOSERVER; st++)
        CHECK(pdns_strerror((pdns_status)st) && *pdns_strerror((pdns_status)st));
    CHECK(pdns_server_parse("[::1]:5300", out, sizeof out, &why) == PDNS_OK &&
          !strcmp(out, "[::1]:5300"));
    CHECK(pdns_server_parse("127.0.0.1:0", out, sizeof out, &why) == PDNS_ERR_PARSE && why);
    CHECK(pdns_name_normalize("Example.COM", out, sizeof out, &why) == PDNS_OK &&
          !strcmp(out, "Example.COM."));
    CHECK(pdns_name_normalize("a..b", out, sizeof out, &why) == PDNS_ERR_PARSE && why);
    uint16_t t = 0;
    char tb[16];
    CHECK(pdns_rrtype_from_name("aaaa", &t) == PDNS_OK && t == 28);
    CHECK(!strcmp(pdns_rrtype_name(65280, tb), "TYPE65280"));
    pdns_writer *w = NULL;
    CHECK(pdns_writer_new(stdout, "xml", &w) == PDNS_ERR_PARSE);
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: api_client SERVER ZONE BLACKHOLE\n");
        return 2;
    }
    test_owned_loop(argv[1], argv[2]);
    test_caller_loop(argv[1], argv[2]);
    test_threads(argv[1], argv[2]);
    test_errors();
    test_free_early(argv[3], 2, PDNS_TRANSPORT_AUTO);
    test_free_early(argv[3], 1, PDNS_TRANSPORT_GETDNS);
    printf("%d checks, %d failed\n", checks, failed);
    return failed ? 1 : 0;
}
