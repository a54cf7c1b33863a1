/* progress.c - the CLI's live progress line on stderr (a terminal).
 * SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "progress.h"

static int term_width(FILE *fp)
{
    struct winsize ws;
    if (ioctl(fileno(fp), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20)
        return ws.ws_col;
    return 100;
}

/* One line: done/total, percent, names/s, ETA, then each server's current rate,
 * cut to the terminal's width. */
static void draw(cli_progress *p)
{
    pdns_totals t;
    char line[1024];
    size_t len;
    int w = term_width(p->fp);
    uint64_t done, in_done = 0, in_total = 0;
    double rate;

    pdns_runner_totals(p->r, &t);
    done = p->n_types ? t.records / p->n_types : t.records;
    rate = t.elapsed_s > 0 ? (double)done / t.elapsed_s : 0;
    if (p->in)
        pdns_reader_progress(p->in, &in_done, &in_total);
    if (in_total && in_done && t.names) {
        /* names in the input: exact once all of it is read, else scaled from its bytes */
        int exact = in_done >= in_total;
        uint64_t total =
            exact ? t.names : (uint64_t)((double)t.names * (double)in_total / (double)in_done);
        double left;
        if (total < done)
            total = done;
        left = rate > 0 ? (double)(total - done) / rate : 0;
        len =
            (size_t)snprintf(line, sizeof line, "%llu/%s%llu names %5.1f%% %6.0f/s ETA %02d:%02d",
                             (unsigned long long)done, exact ? "" : "~", (unsigned long long)total,
                             total ? 100.0 * (double)done / (double)total : 0.0, rate,
                             (int)(left / 60), (int)left % 60);
    } else {
        len = (size_t)snprintf(line, sizeof line, "%llu names %6.0f/s", (unsigned long long)done,
                               rate);
    }
    for (size_t i = 0; i < pdns_runner_server_count(p->r) && len < sizeof line - 64; i++) {
        pdns_server_info si;
        if (pdns_runner_server_info(p->r, i, &si) != PDNS_OK)
            continue;
        len += (size_t)snprintf(line + len, sizeof line - len, "%s %s %.0f q/s", i ? "," : " |",
                                si.server, si.rate_qps);
    }
    if (len > (size_t)w - 1)
        len = (size_t)w - 1;
    line[len] = '\0';
    fprintf(p->fp, "\r\033[K%s", line);
    fflush(p->fp);
    p->drawn = 1;
}

static void tick(uv_timer_t *t)
{
    draw(t->data);
}

int cli_progress_start(cli_progress *p, uv_loop_t *loop, pdns_runner *r, const pdns_reader *in,
                       unsigned n_types, FILE *fp)
{
    int rc;
    memset(p, 0, sizeof *p);
    p->r = r;
    p->in = in;
    p->n_types = n_types;
    p->fp = fp;
    if ((rc = uv_timer_init(loop, &p->timer)) != 0)
        return rc;
    p->timer.data = p;
    p->active = 1;
    if ((rc = uv_timer_start(&p->timer, tick, 250, 250)) != 0)
        return rc;
    uv_unref((uv_handle_t *)&p->timer);
    return 0;
}

void cli_progress_stop(cli_progress *p)
{
    if (!p->active)
        return;
    uv_timer_stop(&p->timer);
    if (p->drawn) {
        fprintf(p->fp, "\r\033[K");
        fflush(p->fp);
    }
    uv_close((uv_handle_t *)&p->timer, NULL);
    p->active = 0;
}
