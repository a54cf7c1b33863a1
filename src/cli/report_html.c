/* report_html.c - the comparison report as one self-contained HTML page: the tables of
 * report_table.c (sortable by a small inline script), a capacity chart, the latency
 * CDFs overlaid and each server's rate over time, drawn as inline SVG. Nothing is
 * fetched: no external script, style, font or image.
 * SPDX-License-Identifier: MIT */
#include <math.h>
#include <string.h>

#include "report.h"

#define HTML_MAX_TABLES 8
#define N_COLOURS       10
#define CDF_W           1000 /* chart sizes, in SVG user units (pixels) */
#define CDF_H           380
#define CDF_LEGEND_W    300
#define RATE_W          440
#define RATE_H          230
#define BAR_ROW_H       22
#define BAR_W           900
#define M_LEFT          64 /* plot margins */
#define M_RIGHT         16
#define M_TOP           24
#define M_BOTTOM        40

/* The colours of plots/pacedns-plot (red stays for loss markers), by server index. */
static const char *const colours[N_COLOURS] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd",
                                               "#8c564b", "#e377c2", "#17becf", "#bcbd22",
                                               "#393b79", "#637939"};

static const char *colour(size_t i)
{
    return colours[i % N_COLOURS];
}

/* Text escaped for HTML content and attribute values. */
static void esc(FILE *fp, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&':
            fputs("&amp;", fp);
            break;
        case '<':
            fputs("&lt;", fp);
            break;
        case '>':
            fputs("&gt;", fp);
            break;
        case '"':
            fputs("&quot;", fp);
            break;
        case '\'':
            fputs("&#39;", fp);
            break;
        default:
            fputc((unsigned char)*s < 0x20 ? ' ' : *s, fp);
        }
    }
}

/* A server's label: "run N: name" when there are several runs, else its name. */
static void server_label(FILE *fp, const rpt_doc *d, const rpt_server *s)
{
    if (d->n_runs > 1)
        fprintf(fp, "run %zu: ", s->run + 1);
    esc(fp, s->name);
}

/* A "nice" tick step (1, 2 or 5 x 10^k) giving about n ticks over span. */
static double nice_step(double span, int n)
{
    double raw = span / n, mag, f;
    if (!(raw > 0))
        return 1;
    mag = pow(10, floor(log10(raw)));
    f = raw / mag;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

/* A tick label: integers without decimals, small values with up to 3. */
static void tick_text(char *buf, size_t cap, double v)
{
    if (fabs(v - round(v)) < 1e-9 || fabs(v) >= 100)
        snprintf(buf, cap, "%.0f", v);
    else
        snprintf(buf, cap, "%.3g", v);
}

/* A plot frame: axes box, y ticks on a linear [0, ymax], x ticks on [0, xmax] or, when
 * xlog, decades from 10^xlo to 10^xhi; axis titles. */
typedef struct frame {
    double x0, y0, w, h; /* plot area */
    double xmin, xmax, ymax;
    int xlog;
} frame;

static double fx(const frame *f, double x)
{
    double u =
        f->xlog ? (log10(x) - f->xmin) / (f->xmax - f->xmin) : (x - f->xmin) / (f->xmax - f->xmin);
    if (u < 0)
        u = 0;
    if (u > 1)
        u = 1;
    return f->x0 + u * f->w;
}

static double fy(const frame *f, double y)
{
    double u = f->ymax > 0 ? y / f->ymax : 0;
    if (u > 1)
        u = 1;
    return f->y0 + f->h - u * f->h;
}

static void draw_frame(FILE *fp, const frame *f, const char *xtitle, const char *ytitle)
{
    char b[32];
    double step = nice_step(f->ymax, 5);
    fprintf(fp, "<rect x='%.1f' y='%.1f' width='%.1f' height='%.1f' class='area'/>\n", f->x0, f->y0,
            f->w, f->h);
    for (double y = 0; y <= f->ymax * 1.0001; y += step) {
        tick_text(b, sizeof b, y);
        fprintf(fp,
                "<line x1='%.1f' x2='%.1f' y1='%.1f' y2='%.1f' class='grid'/>"
                "<text x='%.1f' y='%.1f' class='tick' text-anchor='end'>%s</text>\n",
                f->x0, f->x0 + f->w, fy(f, y), fy(f, y), f->x0 - 4, fy(f, y) + 4, b);
    }
    if (f->xlog) {
        for (double e = f->xmin; e <= f->xmax + 1e-9; e += 1) {
            double x = f->x0 + (e - f->xmin) / (f->xmax - f->xmin) * f->w;
            tick_text(b, sizeof b, pow(10, e));
            fprintf(fp,
                    "<line x1='%.1f' x2='%.1f' y1='%.1f' y2='%.1f' class='grid'/>"
                    "<text x='%.1f' y='%.1f' class='tick' text-anchor='middle'>%s</text>\n",
                    x, x, f->y0, f->y0 + f->h, x, f->y0 + f->h + 14, b);
        }
    } else {
        double xs = nice_step(f->xmax - f->xmin, 6);
        for (double x = f->xmin; x <= f->xmax * 1.0001; x += xs) {
            tick_text(b, sizeof b, x);
            fprintf(fp, "<text x='%.1f' y='%.1f' class='tick' text-anchor='middle'>%s</text>\n",
                    fx(f, x), f->y0 + f->h + 14, b);
        }
    }
    fprintf(fp, "<text x='%.1f' y='%.1f' class='axis' text-anchor='middle'>%s</text>\n",
            f->x0 + f->w / 2, f->y0 + f->h + 32, xtitle);
    fprintf(fp,
            "<text x='12' y='%.1f' class='axis' text-anchor='middle' "
            "transform='rotate(-90 12 %.1f)'>%s</text>\n",
            f->y0 + f->h / 2, f->y0 + f->h / 2, ytitle);
}

/* Horizontal bars: each server's capacity found (solid), or its peak answered rate
 * (hatched) when no capacity is known. */
static void capacity_chart(FILE *fp, const rpt_doc *d)
{
    double vmax = 0;
    double label_w = 260, bar_w = BAR_W - label_w - 90;
    int h = (int)(d->n_servers * BAR_ROW_H) + 30;
    for (size_t i = 0; i < d->n_servers; i++) {
        const rpt_server *s = &d->servers[i];
        double v = s->optimal_qps >= 0 ? s->optimal_qps : s->peak_qps;
        if (v > vmax)
            vmax = v;
    }
    fprintf(fp,
            "<figure id='capacity'><figcaption>Capacity found per server (q/s; hatched: no "
            "capacity found, the peak answered rate of an interval)</figcaption>\n"
            "<svg width='%d' height='%d' viewBox='0 0 %d %d' role='img'>\n"
            "<defs><pattern id='hatch' width='6' height='6' patternUnits='userSpaceOnUse' "
            "patternTransform='rotate(45)'><rect width='3' height='6' fill='#999'/></pattern>"
            "</defs>\n",
            BAR_W, h, BAR_W, h);
    for (size_t i = 0; i < d->n_servers; i++) {
        const rpt_server *s = &d->servers[i];
        int known = s->optimal_qps >= 0;
        double v = known ? s->optimal_qps : s->peak_qps;
        double w = vmax > 0 && v > 0 ? v / vmax * bar_w : 0;
        double y = 10 + (double)i * BAR_ROW_H;
        fprintf(fp, "<text x='%.1f' y='%.1f' class='lbl' text-anchor='end'>", label_w - 6, y + 14);
        server_label(fp, d, s);
        fprintf(fp,
                "</text><rect class='bar' x='%.1f' y='%.1f' width='%.1f' height='%d' "
                "fill='%s'/>",
                label_w, y + 2, w, BAR_ROW_H - 6, known ? colour(i) : "url(#hatch)");
        if (v >= 0)
            fprintf(fp, "<text x='%.1f' y='%.1f' class='tick'>%.0f%s</text>\n", label_w + w + 6,
                    y + 14, v, known ? "" : " (peak)");
        else
            fprintf(fp, "<text x='%.1f' y='%.1f' class='tick'>no data</text>\n", label_w + 6,
                    y + 14);
    }
    fputs("</svg></figure>\n", fp);
}

/* The latency CDFs of every server with answers, overlaid, on a log ms axis. */
static void cdf_chart(FILE *fp, const rpt_doc *d)
{
    double lo = INFINITY, hi = 0;
    size_t with = 0;
    frame f;
    for (size_t i = 0; i < d->n_servers; i++) {
        const rpt_server *s = &d->servers[i];
        for (size_t k = 0; k < s->n_cdf; k++) {
            if (s->cdf[k].ms > 0 && s->cdf[k].ms < lo)
                lo = s->cdf[k].ms;
            if (s->cdf[k].ms > hi)
                hi = s->cdf[k].ms;
        }
        with += s->n_cdf > 0;
    }
    fputs("<figure id='cdf'><figcaption>Latency CDF, every server overlaid (fraction of "
          "answers at or under x ms; dotted: 0.5 and 0.99)</figcaption>\n",
          fp);
    if (!with) {
        fputs("<p class='none'>No server has answers.</p></figure>\n", fp);
        return;
    }
    f.x0 = M_LEFT;
    f.y0 = M_TOP;
    f.w = CDF_W - M_LEFT - M_RIGHT - CDF_LEGEND_W;
    f.h = CDF_H - M_TOP - M_BOTTOM;
    f.xmin = floor(log10(lo));
    f.xmax = ceil(log10(hi));
    if (f.xmax <= f.xmin)
        f.xmax = f.xmin + 1;
    f.ymax = 1;
    f.xlog = 1;
    fprintf(fp, "<svg width='%d' height='%d' viewBox='0 0 %d %d' role='img'>\n", CDF_W, CDF_H,
            CDF_W, CDF_H);
    draw_frame(fp, &f, "latency (ms, log scale)", "fraction of answers");
    fprintf(fp,
            "<line x1='%.1f' x2='%.1f' y1='%.1f' y2='%.1f' class='ref'/>"
            "<line x1='%.1f' x2='%.1f' y1='%.1f' y2='%.1f' class='ref'/>\n",
            f.x0, f.x0 + f.w, fy(&f, 0.5), fy(&f, 0.5), f.x0, f.x0 + f.w, fy(&f, 0.99),
            fy(&f, 0.99));
    size_t row = 0;
    for (size_t i = 0; i < d->n_servers; i++) {
        const rpt_server *s = &d->servers[i];
        if (!s->n_cdf)
            continue;
        fprintf(fp, "<polyline class='line' stroke='%s' points='%.1f,%.1f", colour(i),
                fx(&f, s->cdf[0].ms), fy(&f, 0));
        for (size_t k = 0; k < s->n_cdf; k++)
            fprintf(fp, " %.1f,%.1f", fx(&f, s->cdf[k].ms), fy(&f, s->cdf[k].frac));
        fputs("'/>\n", fp);
        fprintf(fp,
                "<line x1='%.1f' x2='%.1f' y1='%.1f' y2='%.1f' stroke='%s' stroke-width='3'/>"
                "<text x='%.1f' y='%.1f' class='lbl'>",
                f.x0 + f.w + 12, f.x0 + f.w + 30, M_TOP + 8 + row * 16.0, M_TOP + 8 + row * 16.0,
                colour(i), f.x0 + f.w + 34, M_TOP + 12 + row * 16.0);
        server_label(fp, d, s);
        fputs("</text>\n", fp);
        row++;
    }
    fputs("</svg></figure>\n", fp);
}

/* One server's rate over time: target (dashed), answered (solid), the capacity found
 * (dash-dot), red crosses on intervals with loss. */
static void rate_chart(FILE *fp, const rpt_doc *d, size_t i)
{
    const rpt_server *s = &d->servers[i];
    double ymax = s->optimal_qps > 0 ? s->optimal_qps : 0, tmax = 0, prev;
    frame f;
    fputs("<figure class='rate'><figcaption>", fp);
    server_label(fp, d, s);
    fputs("</figcaption>\n", fp);
    if (!s->n_ts) {
        fputs("<p class='none'>No time series.</p></figure>\n", fp);
        return;
    }
    for (size_t k = 0; k < s->n_ts; k++) {
        if (s->ts[k].target_qps > ymax)
            ymax = s->ts[k].target_qps;
        if (s->ts[k].answered_qps > ymax)
            ymax = s->ts[k].answered_qps;
        if (s->ts[k].t > tmax)
            tmax = s->ts[k].t;
    }
    f.x0 = M_LEFT;
    f.y0 = M_TOP - 10;
    f.w = RATE_W - M_LEFT - M_RIGHT;
    f.h = RATE_H - M_TOP - M_BOTTOM + 10;
    f.xmin = 0;
    f.xmax = tmax > 0 ? tmax : 1;
    f.ymax = ymax > 0 ? nice_step(ymax * 1.1, 5) * ceil(ymax * 1.1 / nice_step(ymax * 1.1, 5)) : 1;
    f.xlog = 0;
    fprintf(fp, "<svg width='%d' height='%d' viewBox='0 0 %d %d' role='img'>\n", RATE_W, RATE_H,
            RATE_W, RATE_H);
    draw_frame(fp, &f, "time (s)", "q/s");
    for (int pass = 0; pass < 2; pass++) {
        prev = 0;
        fprintf(fp, "<polyline class='line%s' stroke='%s' points='", pass ? "" : " dash",
                colour(i));
        for (size_t k = 0; k < s->n_ts; k++) {
            double v = pass ? s->ts[k].answered_qps : s->ts[k].target_qps;
            fprintf(fp, "%s%.1f,%.1f %.1f,%.1f", k ? " " : "", fx(&f, prev), fy(&f, v),
                    fx(&f, s->ts[k].t), fy(&f, v));
            prev = s->ts[k].t;
        }
        fputs("'/>\n", fp);
    }
    if (s->optimal_qps > 0)
        fprintf(fp,
                "<line x1='%.1f' x2='%.1f' y1='%.1f' y2='%.1f' stroke='%s' class='opt'/>"
                "<text x='%.1f' y='%.1f' class='tick'>capacity %.0f</text>\n",
                f.x0, f.x0 + f.w, fy(&f, s->optimal_qps), fy(&f, s->optimal_qps), colour(i),
                f.x0 + 4, fy(&f, s->optimal_qps) - 4, s->optimal_qps);
    prev = 0;
    for (size_t k = 0; k < s->n_ts; k++) {
        if (s->ts[k].lost > 0) {
            double x = fx(&f, (prev + s->ts[k].t) / 2), y = fy(&f, s->ts[k].answered_qps);
            fprintf(fp, "<path class='loss' d='M%.1f %.1fl6 6m0 -6l-6 6'/>", x - 3, y - 3);
        }
        prev = s->ts[k].t;
    }
    fputs("\n</svg></figure>\n", fp);
}

static void html_table(FILE *fp, const rpt_table *t, int idx)
{
    fprintf(fp, "<h2>%s</h2>\n", t->title);
    if (t->note) {
        fputs("<p class='note'>", fp);
        esc(fp, t->note);
        fputs("</p>\n", fp);
    }
    fprintf(fp, "<table class='sortable' id='t%d'><thead><tr>", idx);
    for (size_t c = 0; c < t->n_cols; c++) {
        fputs("<th title='click to sort'>", fp);
        esc(fp, t->heads[c]);
        fputs("</th>", fp);
    }
    fputs("</tr></thead><tbody>\n", fp);
    for (size_t r = 0; r < t->n_rows; r++) {
        fputs("<tr>", fp);
        for (size_t c = 0; c < t->n_cols; c++) {
            const rpt_cell *x = &t->cells[r * t->n_cols + c];
            if (isnan(x->value))
                fputs("<td>", fp);
            else
                fprintf(fp, "<td class='n' data-v='%.17g'>", x->value);
            esc(fp, x->text);
            fputs("</td>", fp);
        }
        fputs("</tr>\n", fp);
    }
    fputs("</tbody></table>\n", fp);
}

static const char style[] =
    "body{font-family:sans-serif;margin:1.5em;color:#222}"
    "table{border-collapse:collapse;margin:.5em 0 1.5em;font-size:13px}"
    "th,td{border:1px solid #ccc;padding:3px 7px;white-space:nowrap}"
    "th{background:#eef;cursor:pointer;user-select:none;white-space:nowrap}"
    "th.asc::after{content:' \\25B2'}th.desc::after{content:' \\25BC'}"
    "td.n{text-align:right;font-variant-numeric:tabular-nums}"
    "tbody tr:nth-child(even){background:#f7f7f7}"
    "p.note{color:#555;font-size:13px;margin:.2em 0}"
    "figure{margin:0 0 1.5em}figure.rate{display:inline-block;margin:0 1em 1em 0}"
    "figcaption{font-weight:bold;margin-bottom:.3em;font-size:14px}"
    "svg{background:#fff;font-size:11px}"
    ".area{fill:#fcfcfc;stroke:#999}.grid{stroke:#e4e4e4}.ref{stroke:#888;stroke-dasharray:2 3}"
    ".tick{fill:#444}.axis{fill:#222;font-size:12px}.lbl{fill:#222;font-size:12px}"
    ".line{fill:none;stroke-width:1.6}.dash{stroke-dasharray:5 3;stroke-width:1.1}"
    ".opt{stroke-dasharray:8 3 2 3;stroke-width:1.3}.loss{stroke:#d62728;stroke-width:1.5}";

/* Click a head to sort its table by that column (numbers by value, text as text); a
 * second click reverses. */
static const char script[] =
    "(function(){\n"
    "function key(td){var v=td.getAttribute('data-v');return v===null?td.textContent:"
    "parseFloat(v);}\n"
    "document.querySelectorAll('table.sortable').forEach(function(t){\n"
    " t.querySelectorAll('th').forEach(function(th,i){\n"
    "  th.addEventListener('click',function(){\n"
    "   var asc=!th.classList.contains('asc');\n"
    "   t.querySelectorAll('th').forEach(function(h){h.classList.remove('asc','desc');});\n"
    "   th.classList.add(asc?'asc':'desc');\n"
    "   var body=t.tBodies[0],rows=Array.prototype.slice.call(body.rows);\n"
    "   rows.sort(function(a,b){var x=key(a.cells[i]),y=key(b.cells[i]);\n"
    "    var c=(typeof x==='number'&&typeof y==='number')?x-y:String(x).localeCompare("
    "String(y));\n"
    "    return asc?c:-c;});\n"
    "   rows.forEach(function(r){body.appendChild(r);});\n"
    "  });\n"
    " });\n"
    "});\n"
    "document.body.setAttribute('data-ready','1');\n"
    "})();\n";

int rpt_write_html(const rpt_doc *d, FILE *fp)
{
    rpt_table t[HTML_MAX_TABLES];
    int n = rpt_tables(d, t, HTML_MAX_TABLES);
    if (n < 0)
        return -1;
    fprintf(fp,
            "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>\n"
            "<title>pacedns report: %zu server%s</title>\n<style>%s</style></head>\n<body>\n"
            "<h1>pacedns report: %zu server%s, %zu run%s</h1>\n",
            d->n_servers, d->n_servers == 1 ? "" : "s", style, d->n_servers,
            d->n_servers == 1 ? "" : "s", d->n_runs, d->n_runs == 1 ? "" : "s");
    html_table(fp, &t[0], 0);
    capacity_chart(fp, d);
    for (int i = 1; i < n; i++)
        html_table(fp, &t[i], i);
    cdf_chart(fp, d);
    fputs("<h2>Rate over time</h2>\n<p class='note'>dashed: the rate paced; solid: answers "
          "per second; dash-dot: the capacity found; red crosses: intervals with loss</p>\n",
          fp);
    for (size_t i = 0; i < d->n_servers; i++)
        rate_chart(fp, d, i);
    fprintf(fp, "<script>\n%s</script>\n</body></html>\n", script);
    rpt_tables_free(t, (size_t)n);
    return fflush(fp) == 0 && !ferror(fp) ? 0 : -1;
}
