/* seed_resolve.c - the seed blog's usage example, in C with libpacedns.
 * SPDX-License-Identifier: MIT
 *
 * The seed (a Python post) did:
 *
 *     ar = AsyncResolver(["host1", "host2", "host3"])
 *     resolved = ar.resolve()
 *     for host, ip in resolved.items():
 *         if ip is None: print "%s could not be resolved." % host
 *         else:          print "%s resolved to %s" % (host, ip)
 *
 * Here: names from the arguments (or stdin, one per line), servers from -s (required:
 * this example never falls back to /etc/resolv.conf), a fixed per-server rate, and the
 * runner on the caller's libuv loop (-L: on a loop owned by the runner instead).
 * Results arrive in completion order; they are collected and printed in input order.
 *
 *     seed_resolve -s 127.0.0.1:5300 [-s ...] [-q QPS] [-L] [NAME...]
 *
 * Exit status: 0 done (whatever the names' outcomes), 1 usage, 2 library/libuv error.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include <pacedns.h>

typedef struct slot {
    const char *name; /* as given */
    char *ip;         /* first A answer, or NULL */
    int done;
} slot;

typedef struct results {
    slot *slots;
    size_t n;
} results;

/* Called once per name (A is the only type asked), in completion order. The record's
 * line is the 1-based input position given at submit: it picks the slot. */
static void on_result(const pdns_result *res, void *user)
{
    results *rs = user;
    slot *s;
    if (res->line < 1 || res->line > rs->n)
        return;
    s = &rs->slots[res->line - 1];
    s->done = 1;
    if (res->status == PDNS_R_NOERROR && res->n_answers > 0 && res->answers[0].data)
        s->ip = strdup(res->answers[0].data); /* NULL on no memory: "not resolved" */
}

static void usage(FILE *fp)
{
    fputs("usage: seed_resolve -s ADDR[:PORT] [-s ...] [-q QPS] [-L] [NAME...]\n"
          "  -s ADDR[:PORT]  nameserver (required, repeatable)\n"
          "  -q QPS          queries per second per server (default 100)\n"
          "  -L              run on a loop owned by the runner (default: the caller's)\n"
          "Names come from the arguments, or from stdin (one per line) when none.\n",
          fp);
}

/* Read names from stdin, one per line; blank lines and '#' comments skipped. */
static int read_stdin(char ***names, size_t *n)
{
    char *line = NULL;
    size_t cap = 0, alloc = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, stdin)) != -1) {
        char *b = line, *e = line + len;
        while (b < e && (*b == ' ' || *b == '\t'))
            b++;
        while (e > b && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
            e--;
        if (b == e || *b == '#')
            continue;
        if (*n == alloc) {
            size_t na = alloc ? 2 * alloc : 64;
            char **p = realloc(*names, na * sizeof *p);
            if (!p)
                goto nomem;
            *names = p;
            alloc = na;
        }
        if (!((*names)[*n] = strndup(b, (size_t)(e - b))))
            goto nomem;
        (*n)++;
    }
    free(line);
    return ferror(stdin) ? -1 : 0;
nomem:
    free(line);
    return -1;
}

int main(int argc, char **argv)
{
    const char **servers = calloc((size_t)argc, sizeof *servers);
    size_t n_servers = 0, n_names = 0;
    char **names = NULL; /* from stdin (owned) */
    const char *const *list;
    double qps = 100;
    int own_loop = 0, ch, rc = 0, uvrc;
    uv_loop_t loop;
    uv_loop_t *lp = NULL;
    pdns_options opt;
    pdns_runner *r = NULL;
    pdns_status st;
    slot *slots = NULL;
    results rs = {NULL, 0};

    if (!servers)
        return 2;
    while ((ch = getopt(argc, argv, "s:q:Lh")) != -1) {
        switch (ch) {
        case 's':
            servers[n_servers++] = optarg;
            break;
        case 'q':
            qps = strtod(optarg, NULL);
            if (!(qps > 0)) {
                fprintf(stderr, "seed_resolve: -q: '%s' is not a positive number\n", optarg);
                return 1;
            }
            break;
        case 'L':
            own_loop = 1;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 1;
        }
    }
    if (n_servers == 0) {
        fprintf(stderr, "seed_resolve: give at least one server with -s ADDR[:PORT]\n");
        usage(stderr);
        return 1;
    }
    if (optind < argc) {
        list = (const char *const *)(argv + optind);
        n_names = (size_t)(argc - optind);
    } else {
        if (read_stdin(&names, &n_names) != 0) {
            fprintf(stderr, "seed_resolve: reading stdin failed\n");
            return 2;
        }
        list = (const char *const *)names;
    }
    if (n_names && !(slots = calloc(n_names, sizeof *slots))) {
        fprintf(stderr, "seed_resolve: out of memory\n");
        return 2;
    }

    /* The caller's loop: the runner's handles live on it next to the caller's own. */
    if (!own_loop) {
        if ((uvrc = uv_loop_init(&loop)) != 0) {
            fprintf(stderr, "seed_resolve: uv_loop_init: %s\n", uv_strerror(uvrc));
            return 2;
        }
        lp = &loop;
    }

    pdns_options_init(&opt);
    opt.qps = qps; /* fixed per-server rate (<= 0 would mean the AIMD controller) */
    rs.slots = slots;
    rs.n = n_names;
    opt.on_result = on_result;
    opt.user = &rs;
    if ((st = pdns_runner_new(lp, &opt, &r)) != PDNS_OK) {
        fprintf(stderr, "seed_resolve: pdns_runner_new: %s\n", pdns_strerror(st));
        rc = 2;
        goto out;
    }
    for (size_t i = 0; i < n_servers; i++) {
        if ((st = pdns_runner_add_server(r, servers[i])) != PDNS_OK) {
            fprintf(stderr, "seed_resolve: server '%s': %s%s%s\n", servers[i], pdns_strerror(st),
                    pdns_runner_errmsg(r)[0] ? ": " : "", pdns_runner_errmsg(r));
            rc = 2;
            goto out;
        }
    }
    for (size_t i = 0; i < n_names; i++) {
        slots[i].name = list[i];
        if ((st = pdns_runner_submit(r, list[i], i + 1, NULL)) != PDNS_OK) {
            fprintf(stderr, "seed_resolve: submit '%s': %s\n", list[i], pdns_strerror(st));
            rc = 2;
            goto out;
        }
    }

    /* With the caller's loop, run() only starts the work and uv_run() drives it; with an
     * owned loop, run() returns when every record was reported. */
    if ((st = pdns_runner_run(r)) != PDNS_OK) {
        fprintf(stderr, "seed_resolve: pdns_runner_run: %s%s%s\n", pdns_strerror(st),
                pdns_runner_errmsg(r)[0] ? ": " : "", pdns_runner_errmsg(r));
        rc = 2;
        goto out;
    }
    if (lp && (uvrc = uv_run(lp, UV_RUN_DEFAULT)) < 0) {
        fprintf(stderr, "seed_resolve: uv_run: %s\n", uv_strerror(uvrc));
        rc = 2;
        goto out;
    }
    if (!pdns_runner_done(r)) {
        fprintf(stderr, "seed_resolve: the runner did not finish\n");
        rc = 2;
        goto out;
    }

    for (size_t i = 0; i < n_names; i++) {
        if (!slots[i].done) {
            fprintf(stderr, "seed_resolve: no record for '%s'\n", slots[i].name);
            rc = 2;
        }
    }
    for (size_t i = 0; i < n_names; i++) {
        if (slots[i].ip)
            printf("%s resolved to %s\n", slots[i].name, slots[i].ip);
        else
            printf("%s could not be resolved.\n", slots[i].name);
    }
    if (fflush(stdout) != 0) {
        perror("seed_resolve: stdout");
        rc = 2;
    }

out:
    pdns_runner_free(r);
    if (lp) {
        /* One more turn lets the closed handles' callbacks release their memory; then the
         * loop must close cleanly (nothing of the runner left on it). */
        uv_run(lp, UV_RUN_DEFAULT);
        if ((uvrc = uv_loop_close(lp)) != 0) {
            fprintf(stderr, "seed_resolve: uv_loop_close: %s\n", uv_strerror(uvrc));
            rc = 2;
        }
    }
    for (size_t i = 0; i < n_names; i++)
        free(slots ? slots[i].ip : NULL);
    for (size_t i = 0; names && i < n_names; i++)
        free(names[i]);
    free(names);
    free(slots);
    free(servers);
    return rc;
}
