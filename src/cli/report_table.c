/* report_table.c - the comparison report's tables, built once from the figures and
 * rendered by both report_md.c and report_html.c.
 * SPDX-License-Identifier: MIT */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

#define MAX_RCODE_COLS 24 /* distinct rcodes shown (the rest summed as "other") */

static int table_init(rpt_table *t, const char *title, const char *note, size_t n_cols,
                      size_t n_rows)
{
    memset(t, 0, sizeof *t);
    t->title = title;
    t->note = note;
    t->n_cols = n_cols;
    t->n_rows = n_rows;
    t->heads = calloc(n_cols, sizeof *t->heads);
    t->cells = calloc(n_cols * (n_rows ? n_rows : 1), sizeof *t->cells);
    return t->heads && t->cells ? 0 : -1;
}

static void head(rpt_table *t, size_t c, const char *h)
{
    snprintf(t->heads[c], sizeof t->heads[c], "%s", h);
}

static rpt_cell *cell(rpt_table *t, size_t r, size_t c)
{
    return &t->cells[r * t->n_cols + c];
}

static void text(rpt_table *t, size_t r, size_t c, const char *s)
{
    rpt_cell *x = cell(t, r, c);
    snprintf(x->text, sizeof x->text, "%s", s ? s : "-");
    x->value = NAN;
}

/* A number with prec decimals; "-" (sorting lowest) when v < 0. */
static void number(rpt_table *t, size_t r, size_t c, double v, int prec)
{
    rpt_cell *x = cell(t, r, c);
    rpt_fmt(x->text, sizeof x->text, v, prec);
    x->value = v < 0 || !isfinite(v) ? -1 : v;
}

/* A fraction as a percentage with 2 decimals. */
static void percent(rpt_table *t, size_t r, size_t c, double frac)
{
    number(t, r, c, frac < 0 ? -1 : frac * 100.0, 2);
}

static double ratio(double a, double b)
{
    return b > 0 ? a / b : -1;
}

static int runs_table(const rpt_doc *d, rpt_table *t)
{
    static const char *h[] = {"run",        "file",    "started", "duration s",
                              "controller", "pacedns", "servers"};
    if (table_init(t, "Runs", NULL, 7, d->n_runs))
        return -1;
    for (size_t c = 0; c < 7; c++)
        head(t, c, h[c]);
    for (size_t r = 0; r < d->n_runs; r++) {
        const rpt_run *u = &d->runs[r];
        size_t n = 0;
        for (size_t i = 0; i < d->n_servers; i++)
            n += d->servers[i].run == r;
        number(t, r, 0, (double)(r + 1), 0);
        text(t, r, 1, u->path);
        text(t, r, 2, u->started);
        number(t, r, 3, u->duration_s, 2);
        text(t, r, 4, u->mode);
        text(t, r, 5, u->version);
        number(t, r, 6, (double)n, 0);
    }
    return 0;
}

static int servers_table(const rpt_doc *d, rpt_table *t)
{
    static const char *h[] = {"run",         "server",      "transport", "capacity q/s",
                              "loss near %", "converged s", "edges",     "answered q/s",
                              "peak q/s",    "p50 ms",      "p90 ms",    "p99 ms",
                              "p999 ms",     "sent",        "answered",  "timeouts",
                              "loss %",      "tc",          "errors"};
    const size_t base = sizeof h / sizeof h[0];
    int trust = rpt_any_trust(d), nsid = rpt_any_nsid(d), cookies = rpt_any_cookies(d);
    size_t n = base + (size_t)trust + (size_t)nsid + 3 * (size_t)cookies, c;
    if (table_init(t, "Servers",
                   "capacity: the rate the controller found (probe); loss near: lost, "
                   "errors and TC over sent in the intervals run at 0.85-1.05 x capacity; cookie: "
                   "answers with a valid, missing or bad server cookie (--cookies)",
                   n, d->n_servers))
        return -1;
    for (c = 0; c < base; c++)
        head(t, c, h[c]);
    if (trust)
        head(t, c++, "trust");
    if (nsid)
        head(t, c++, "nsid");
    if (cookies) {
        head(t, c++, "cookie valid");
        head(t, c++, "cookie missing");
        head(t, c++, "cookie bad");
    }
    for (size_t r = 0; r < d->n_servers; r++) {
        const rpt_server *s = &d->servers[r];
        c = 0;
        number(t, r, c++, (double)(s->run + 1), 0);
        text(t, r, c++, s->name);
        text(t, r, c++, s->transport ? s->transport : "udp");
        number(t, r, c++, s->optimal_qps, 0);
        percent(t, r, c++, s->near_loss);
        number(t, r, c++, s->converged_s, 1);
        number(t, r, c++, s->edges, 0);
        number(t, r, c++, s->answered_qps, 0);
        number(t, r, c++, s->peak_qps, 0);
        number(t, r, c++, s->lat_p50, 3);
        number(t, r, c++, s->lat_p90, 3);
        number(t, r, c++, s->lat_p99, 3);
        number(t, r, c++, s->lat_p999, 3);
        number(t, r, c++, s->sent, 0);
        number(t, r, c++, s->answered, 0);
        number(t, r, c++, s->timeouts, 0);
        percent(t, r, c++, ratio(s->timeouts, s->sent));
        number(t, r, c++, s->tc, 0);
        number(t, r, c++, s->errors, 0);
        if (trust)
            text(t, r, c++, s->trust);
        if (nsid)
            text(t, r, c++, s->nsid);
        if (cookies) {
            number(t, r, c++, s->has_cookies ? s->cookie_valid : -1, 0);
            number(t, r, c++, s->has_cookies ? s->cookie_missing : -1, 0);
            number(t, r, c++, s->has_cookies ? s->cookie_bad : -1, 0);
        }
    }
    return 0;
}

static int rcodes_table(const rpt_doc *d, rpt_table *t)
{
    const char *names[MAX_RCODE_COLS];
    size_t n_names = 0, other = 0;
    for (size_t i = 0; i < d->n_servers; i++)
        for (size_t k = 0; k < d->servers[i].n_rcodes; k++) {
            const char *nm = d->servers[i].rcodes[k].name;
            size_t j;
            for (j = 0; j < n_names && strcmp(names[j], nm) != 0; j++)
                ;
            if (j == n_names) {
                if (n_names < MAX_RCODE_COLS)
                    names[n_names++] = nm;
                else
                    other = 1;
            }
        }
    if (table_init(t, "Rcodes", "answers per rcode", 3 + n_names + other, d->n_servers))
        return -1;
    head(t, 0, "run");
    head(t, 1, "server");
    head(t, 2, "answered");
    for (size_t j = 0; j < n_names; j++)
        head(t, 3 + j, names[j]);
    if (other)
        head(t, 3 + n_names, "other");
    for (size_t r = 0; r < d->n_servers; r++) {
        const rpt_server *s = &d->servers[r];
        double rest = 0;
        number(t, r, 0, (double)(s->run + 1), 0);
        text(t, r, 1, s->name);
        number(t, r, 2, s->answered, 0);
        for (size_t j = 0; j < n_names; j++)
            number(t, r, 3 + j, 0, 0);
        for (size_t k = 0; k < s->n_rcodes; k++) {
            size_t j;
            for (j = 0; j < n_names && strcmp(names[j], s->rcodes[k].name) != 0; j++)
                ;
            if (j < n_names)
                number(t, r, 3 + j, s->rcodes[k].n, 0);
            else
                rest += s->rcodes[k].n;
        }
        if (other)
            number(t, r, 3 + n_names, rest, 0);
    }
    return 0;
}

static int conn_table(const rpt_doc *d, rpt_table *t)
{
    static const char *h[] = {"run",        "server",           "transport",        "opened",
                              "handshakes", "handshake p50 ms", "handshake p99 ms", "queries/conn",
                              "resets"};
    size_t n = 0, r = 0;
    for (size_t i = 0; i < d->n_servers; i++)
        n += (size_t)d->servers[i].has_conn;
    if (table_init(t, "Connections", "stream transports: connections and TLS handshakes", 9, n))
        return -1;
    for (size_t c = 0; c < 9; c++)
        head(t, c, h[c]);
    for (size_t i = 0; i < d->n_servers; i++) {
        const rpt_server *s = &d->servers[i];
        if (!s->has_conn)
            continue;
        number(t, r, 0, (double)(s->run + 1), 0);
        text(t, r, 1, s->name);
        text(t, r, 2, s->transport ? s->transport : "udp");
        number(t, r, 3, s->conn_opened, 0);
        number(t, r, 4, s->conn_handshakes, 0);
        number(t, r, 5, s->conn_hs_p50, 3);
        number(t, r, 6, s->conn_hs_p99, 3);
        number(t, r, 7, s->conn_qpc, 1);
        number(t, r, 8, s->conn_resets, 0);
        r++;
    }
    return 0;
}

void rpt_tables_free(rpt_table *t, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(t[i].heads);
        free(t[i].cells);
        memset(&t[i], 0, sizeof t[i]);
    }
}

int rpt_tables(const rpt_doc *d, rpt_table *out, size_t cap)
{
    size_t n = 0;
    if (cap < 4)
        return -1;
    memset(out, 0, cap * sizeof *out);
    if (runs_table(d, &out[n++]) || servers_table(d, &out[n++]) || rcodes_table(d, &out[n++]))
        goto fail;
    if (rpt_any_conn(d) && conn_table(d, &out[n++]))
        goto fail;
    return (int)n;
fail:
    rpt_tables_free(out, n);
    return -1;
}
