/* report.h - "pacedns report": stats JSON files compared side by side. The figures are
 * collected from the files into the plain structs below (report_data.c), then rendered
 * as Markdown (report_md.c) or as one self-contained HTML page with inline SVG pictures
 * and a sortable table (report_html.c).
 * SPDX-License-Identifier: MIT */
#ifndef PDNS_CLI_REPORT_H
#define PDNS_CLI_REPORT_H

#include <stddef.h>
#include <stdio.h>

/* One rcode and how many answers carried it. */
typedef struct rpt_rcode {
    char name[24];
    double n;
} rpt_rcode;

/* One stats interval of a server's time series. answered_qps is answered over the
 * interval's length (from the previous point's t, or 0); p50/p99 are -1 without answers. */
typedef struct rpt_point {
    double t, target_qps, answered_qps, sent, lost, errors, tc, p50, p99;
} rpt_point;

/* A point of the latency CDF: the fraction of answers at or under ms. */
typedef struct rpt_cdf {
    double ms, frac;
} rpt_cdf;

/* One server of one run. A figure the file does not have is -1 (or NULL for text). */
typedef struct rpt_server {
    size_t run;      /* index into rpt_doc.runs */
    char *name;      /* "server" */
    char *transport; /* "transport"; NULL: udp (files from before transports) */
    char *trust;     /* "trust" (a string, or an object's "state"); NULL: none */
    char *nsid;      /* "nsid"; NULL: none */
    double sent, answered, timeouts, retries, tc, errors, malformed, unreachable;
    double answered_qps; /* answers over the run's duration */
    double peak_qps;     /* the highest answered rate of an interval; -1 no series */
    double lat_p50, lat_p90, lat_p99, lat_p999, lat_max; /* ms; -1 without answers */
    double optimal_qps;                                  /* the capacity found; -1 unknown */
    double converged_s;                                  /* -1: did not converge */
    int edges;                                           /* controller edges */
    double near_loss; /* fraction lost near the capacity; -1 unknown */
    double near_p50, near_p99;
    rpt_rcode *rcodes; /* non-zero rcodes, in the file's order */
    size_t n_rcodes;
    rpt_cdf *cdf; /* from "histogram", ascending */
    size_t n_cdf;
    rpt_point *ts; /* "timeseries" */
    size_t n_ts;
    int has_cookies; /* "cookies" present: answers by their server cookie */
    double cookie_valid, cookie_missing, cookie_bad;
    int has_conn; /* "connections" present */
    double conn_opened, conn_handshakes, conn_hs_p50, conn_hs_p99, conn_qpc, conn_resets;
} rpt_server;

/* One stats file. */
typedef struct rpt_run {
    char *path;    /* as given */
    char *label;   /* its base name */
    char *started; /* "started"; NULL: none */
    char *version; /* "pacedns_version" */
    char *mode;    /* controller: "aimd (profile)", "fixed N q/s" or NULL */
    double duration_s;
} rpt_run;

/* Every run and every server, in the order of the files and of their servers. */
typedef struct rpt_doc {
    rpt_run *runs;
    size_t n_runs;
    rpt_server *servers;
    size_t n_servers;
} rpt_doc;

/* Read the stats file path and append its run and servers to d. On a missing,
 * unreadable or malformed file returns -1 with err naming the file and what is wrong
 * (d keeps what it had); 0 on success. */
int rpt_load(rpt_doc *d, const char *path, char *err, size_t errlen);

/* Release everything d holds (d itself is the caller's). */
void rpt_free(rpt_doc *d);

/* Whether any server has the figure: a transport other than udp, connections, trust,
 * NSID. Renderers show the columns only then. */
int rpt_any_transport(const rpt_doc *d);
int rpt_any_conn(const rpt_doc *d);
int rpt_any_trust(const rpt_doc *d);
int rpt_any_nsid(const rpt_doc *d);
int rpt_any_cookies(const rpt_doc *d);

/* A figure as text into buf: "-" when v < 0, else v with prec decimals. Returns buf. */
const char *rpt_fmt(char *buf, size_t cap, double v, int prec);

/* A table of the report, the same for both renderers: a title, column heads and rows
 * of cells; each cell has its text and, for a number, its value (NAN for text) by which
 * the HTML table sorts. */
typedef struct rpt_cell {
    char text[160];
    double value;
} rpt_cell;

typedef struct rpt_table {
    const char *title;
    const char *note; /* one line under the title, or NULL */
    size_t n_cols, n_rows;
    char (*heads)[48]; /* [n_cols] */
    rpt_cell *cells;   /* [n_rows * n_cols], row-major */
} rpt_table;

/* The report's tables, built from d: runs, servers (capacity, loss, latency, counts,
 * trust and NSID when present), rcodes, and connections when any server has them.
 * Returns the number of tables written to out[0..cap), or -1 on no memory. */
int rpt_tables(const rpt_doc *d, rpt_table *out, size_t cap);
void rpt_tables_free(rpt_table *t, size_t n);

/* The comparison as Markdown / as one HTML page on fp. Return 0, or -1 on a write error. */
int rpt_write_md(const rpt_doc *d, FILE *fp);
int rpt_write_html(const rpt_doc *d, FILE *fp);

#endif
