/* session.c - the run both commands share: loop, runner, servers, profile, signals,
 * progress line.
 * SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "session.h"

int cli_session_open(cli_session *s, const pdns_options *opt)
{
    pdns_status st;
    int uvrc;
    if ((uvrc = uv_mutex_init(&s->mu)) != 0) {
        fprintf(stderr, "pacedns: uv_mutex_init: %s\n", uv_strerror(uvrc));
        return EXIT_RUNTIME;
    }
    s->mu_init = 1;
    if ((uvrc = uv_loop_init(&s->loop)) != 0) {
        fprintf(stderr, "pacedns: uv_loop_init: %s\n", uv_strerror(uvrc));
        return EXIT_RUNTIME;
    }
    s->loop_init = 1;
    if (opt->tls_insecure)
        fprintf(stderr, "pacedns: warning: --tls-insecure: tls:// and https:// servers' "
                        "certificates are not verified\n");
    if ((st = pdns_runner_new(&s->loop, opt, &s->runner)) != PDNS_OK) {
        fprintf(stderr, "pacedns: cannot create runner: %s\n", pdns_strerror(st));
        return EXIT_RUNTIME;
    }
    return 0;
}

int cli_session_add_servers(cli_session *s, const cli_common *com, const char **resolv_conf)
{
    pdns_status st;
    pdns_runner *r = s->runner;

    *resolv_conf = NULL;
    for (size_t i = 0; i < com->n_servers; i++) {
        if ((st = pdns_runner_add_server(r, com->servers[i])) != PDNS_OK) {
            fprintf(stderr, "pacedns: option --server: '%s': %s\n", com->servers[i],
                    st == PDNS_ERR_INVALID ? "duplicate server" : pdns_runner_errmsg(r));
            return EXIT_USAGE;
        }
    }
    if (com->servers_file && pdns_runner_add_servers_file(r, com->servers_file) != PDNS_OK) {
        fprintf(stderr, "pacedns: option --servers-file: %s\n", pdns_runner_errmsg(r));
        return EXIT_USAGE;
    }
    if (!com->n_servers && !com->servers_file) {
        /* PACEDNS_RESOLV_CONF: another file in place of /etc/resolv.conf */
        const char *path = getenv("PACEDNS_RESOLV_CONF");
        if (!path || !*path)
            path = "/etc/resolv.conf";
        *resolv_conf = path;
        if (pdns_runner_add_resolv_conf(r, path) != PDNS_OK) {
            fprintf(stderr, "pacedns: default servers: %s\n", pdns_runner_errmsg(r));
            return EXIT_USAGE;
        }
    }
    if (pdns_runner_server_count(r) == 0) {
        fprintf(stderr, "pacedns: no nameserver: give -s ADDR or -S FILE\n");
        return EXIT_USAGE;
    }
    return 0;
}

/* Whether a server ("127.0.0.1:53", "[::1]:53", "tls://127.0.0.1:853", as
 * pdns_runner_server_info gives it; a URL's scheme is skipped) is
 * on this machine or a private network: 127/8, 10/8, 172.16/12, 192.168/16, 169.254/16,
 * ::1, fc00::/7, fe80::/10 (and those IPv4 ranges IPv4-mapped). Anything else, or text
 * that does not parse, is not. */
static int server_is_local(const char *text)
{
    char host[INET6_ADDRSTRLEN];
    unsigned char b[16];
    const char *end;
    size_t len;
    if (!text)
        return 0;
    if (strstr(text, "://"))
        text = strstr(text, "://") + 3;
    if (text[0] == '[') {
        text++;
        end = strchr(text, ']');
    } else {
        end = strchr(text, ':');
    }
    len = end ? (size_t)(end - text) : strlen(text);
    if (len >= sizeof host)
        return 0;
    memcpy(host, text, len);
    host[len] = '\0';
    if (inet_pton(AF_INET6, host, b) == 1) {
        static const unsigned char loop6[16] = {[15] = 1};
        static const unsigned char mapped[12] = {[10] = 0xff, [11] = 0xff};
        if (!memcmp(b, loop6, 16) || (b[0] & 0xfe) == 0xfc ||
            (b[0] == 0xfe && (b[1] & 0xc0) == 0x80))
            return 1;
        if (memcmp(b, mapped, 12) != 0)
            return 0;
        memmove(b, b + 12, 4);
    } else if (inet_pton(AF_INET, host, b) != 1) {
        return 0;
    }
    return b[0] == 127 || b[0] == 10 || (b[0] == 172 && (b[1] & 0xf0) == 16) ||
           (b[0] == 192 && b[1] == 168) || (b[0] == 169 && b[1] == 254);
}

const char *cli_session_public_server(const cli_session *s)
{
    pdns_server_info si;
    for (size_t i = 0; i < pdns_runner_server_count(s->runner); i++)
        if (pdns_runner_server_info(s->runner, i, &si) == PDNS_OK && !server_is_local(si.server))
            return si.server;
    return NULL;
}

int cli_session_set_profile(cli_session *s, const cli_common *com, const char *profile)
{
    pdns_status st;
    pdns_runner *r = s->runner;
    if (profile && pdns_runner_set_profile(r, profile) != PDNS_OK) {
        fprintf(stderr, "pacedns: option --profile: %s\n", pdns_runner_errmsg(r));
        return EXIT_USAGE;
    }
    for (size_t i = 0; i < com->n_sets; i++) {
        char key[128], *end;
        const char *set = com->sets[i], *eq = strchr(set, '=');
        size_t kl = (size_t)(eq - set);
        double v;
        if (kl >= sizeof key)
            kl = sizeof key - 1;
        memcpy(key, set, kl);
        key[kl] = '\0';
        errno = 0;
        v = strtod(eq + 1, &end);
        if (errno || end == eq + 1 || *end) {
            fprintf(stderr, "pacedns: option --set: '%s': value is not a number\n", set);
            return EXIT_USAGE;
        }
        if ((st = pdns_runner_set_param(r, key, v)) != PDNS_OK) {
            fprintf(stderr, "pacedns: option --set: '%s': %s\n", set,
                    pdns_runner_errmsg(r)[0] ? pdns_runner_errmsg(r) : pdns_strerror(st));
            return EXIT_USAGE;
        }
    }
    return 0;
}

void cli_session_raise_nofile(cli_session *s, const pdns_options *opt)
{
    struct rlimit rl;
    unsigned need = (opt->max_inflight ? opt->max_inflight : 1000) *
                    (unsigned)pdns_runner_server_count(s->runner) * 2;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return;
    if (rl.rlim_cur < need + 64) {
        rlim_t want = need + 64;
        if (rl.rlim_max != RLIM_INFINITY && want > rl.rlim_max)
            want = rl.rlim_max;
        rl.rlim_cur = want;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
    }
}

/* First signal: stop gracefully (failures from then on may be cut short, see
 * resolve.c). Second: leave at once, flushing what a worker thread is not writing. */
static void on_signal(uv_signal_t *h, int signo)
{
    cli_session *s = h->data;
    s->sig_count++;
    if (!s->signo)
        s->signo = signo;
    if (s->sig_count == 1) {
        uv_mutex_lock(&s->mu);
        s->stop_seen = 1;
        uv_mutex_unlock(&s->mu);
    }
    if (s->sig_count > 1) {
        if (s->out_fp && uv_mutex_trylock(&s->mu) == 0)
            fflush(s->out_fp);
        _exit(128 + signo);
    }
    pdns_runner_stop(s->runner);
}

int cli_session_signals(cli_session *s)
{
    int uvrc;
    if ((uvrc = uv_signal_init(&s->loop, &s->sigint)) != 0)
        goto fail;
    if ((uvrc = uv_signal_init(&s->loop, &s->sigterm)) != 0) {
        uv_close((uv_handle_t *)&s->sigint, NULL);
        goto fail;
    }
    s->signals_init = 1;
    s->sigint.data = s->sigterm.data = s;
    if ((uvrc = uv_signal_start(&s->sigint, on_signal, SIGINT)) != 0 ||
        (uvrc = uv_signal_start(&s->sigterm, on_signal, SIGTERM)) != 0)
        goto fail;
    uv_unref((uv_handle_t *)&s->sigint);
    uv_unref((uv_handle_t *)&s->sigterm);
    return 0;
fail:
    fprintf(stderr, "pacedns: cannot set up signal handling: %s\n", uv_strerror(uvrc));
    return EXIT_RUNTIME;
}

int cli_session_timer(cli_session *s, uv_timer_t *t, uv_timer_cb cb, void *data, uint64_t ms,
                      int *init, const char *what)
{
    int uvrc;
    if ((uvrc = uv_timer_init(&s->loop, t)) != 0)
        goto fail;
    *init = 1;
    t->data = data;
    if ((uvrc = uv_timer_start(t, cb, ms, ms)) != 0)
        goto fail;
    uv_unref((uv_handle_t *)t);
    return 0;
fail:
    fprintf(stderr, "pacedns: %s: %s\n", what, uv_strerror(uvrc));
    return EXIT_RUNTIME;
}

int cli_session_run(cli_session *s, const cli_common *com, const pdns_reader *in)
{
    pdns_status st;
    int rc = 0, uvrc;

    s->progress = com->progress < 0 ? !com->quiet && isatty(STDERR_FILENO) : com->progress;
    if (s->progress &&
        cli_progress_start(&s->prog, &s->loop, s->runner, in,
                           com->opt.n_types ? (unsigned)com->opt.n_types : 1, stderr) != 0)
        s->progress = 0;
    if ((st = pdns_runner_run(s->runner)) != PDNS_OK) {
        const char *msg = pdns_runner_errmsg(s->runner);
        fprintf(stderr, "pacedns: %s\n", msg[0] ? msg : pdns_strerror(st));
        rc = st == PDNS_ERR_PARSE || st == PDNS_ERR_RANGE ? EXIT_USAGE : EXIT_RUNTIME;
        s->run_failed = 1;
    } else if ((uvrc = uv_run(&s->loop, UV_RUN_DEFAULT)) < 0) {
        fprintf(stderr, "pacedns: event loop: %s\n", uv_strerror(uvrc));
        rc = EXIT_RUNTIME;
    }
    if (s->progress)
        cli_progress_stop(&s->prog);
    return rc;
}

void cli_session_close_handles(cli_session *s)
{
    if (!s->signals_init)
        return;
    uv_close((uv_handle_t *)&s->sigint, NULL);
    uv_close((uv_handle_t *)&s->sigterm, NULL);
    s->signals_init = 0;
}

int cli_session_end(cli_session *s, int rc)
{
    cli_session_close_handles(s);
    pdns_runner_free(s->runner);
    s->runner = NULL;
    if (s->loop_init) {
        uv_run(&s->loop, UV_RUN_DEFAULT);
        if (uv_loop_close(&s->loop) != 0) {
            fprintf(stderr, "pacedns: internal error: event loop not closed cleanly\n");
            if (rc == 0)
                rc = EXIT_RUNTIME;
        }
    }
    if (s->mu_init)
        uv_mutex_destroy(&s->mu);
    return rc;
}

int cli_write_stats(pdns_runner *r, const char *path, void *extra)
{
    char *js = pdns_runner_stats_json(r, 1);
    cJSON *doc = NULL, *x = extra, *item;
    FILE *fp;
    int ok;
    if (js && x) { /* the command's own objects beside the library's */
        if (!(doc = cJSON_Parse(js))) {
            pdns_free(js);
            js = NULL;
        } else {
            pdns_free(js);
            while ((item = x->child)) {
                const char *key = item->string;
                cJSON_DetachItemViaPointer(x, item);
                cJSON_AddItemToObject(doc, key, item);
            }
            js = cJSON_Print(doc);
            cJSON_Delete(doc);
        }
    }
    cJSON_Delete(x);
    if (!js) {
        fprintf(stderr, "pacedns: out of memory writing stats\n");
        return -1;
    }
    if (!(fp = fopen(path, "w"))) {
        fprintf(stderr, "pacedns: cannot write stats file %s: %s\n", path, strerror(errno));
        free(js);
        return -1;
    }
    ok = fputs(js, fp) >= 0 && fputc('\n', fp) != EOF;
    ok = (fclose(fp) == 0) && ok;
    free(js);
    if (!ok) {
        fprintf(stderr, "pacedns: cannot write stats file %s\n", path);
        return -1;
    }
    return 0;
}
