/* report_md.c - the comparison report as Markdown: the tables of report_table.c.
 * SPDX-License-Identifier: MIT */
#include <math.h>

#include "report.h"

#define MD_MAX_TABLES 8

/* A cell's text with the characters that would break a Markdown table cell escaped
 * ('|' and '\\' get a backslash; '`' too; control characters become a space). */
static void md_cell(FILE *fp, const char *s)
{
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '|' || ch == '\\' || ch == '`' || ch == '*' || ch == '<' || ch == '[')
            fputc('\\', fp);
        fputc(ch < 0x20 || ch == 0x7f ? ' ' : ch, fp);
    }
}

/* Whether every cell of column c is a number (right-aligned). */
static int col_numeric(const rpt_table *t, size_t c)
{
    for (size_t r = 0; r < t->n_rows; r++)
        if (isnan(t->cells[r * t->n_cols + c].value))
            return 0;
    return 1;
}

static void md_table(FILE *fp, const rpt_table *t)
{
    fprintf(fp, "\n## %s\n\n", t->title);
    if (t->note)
        fprintf(fp, "%s\n\n", t->note);
    if (t->n_rows == 0) {
        fputs("(none)\n", fp);
        return;
    }
    fputs("|", fp);
    for (size_t c = 0; c < t->n_cols; c++) {
        fputc(' ', fp);
        md_cell(fp, t->heads[c]);
        fputs(" |", fp);
    }
    fputs("\n|", fp);
    for (size_t c = 0; c < t->n_cols; c++)
        fputs(col_numeric(t, c) ? " ---: |" : " --- |", fp);
    fputc('\n', fp);
    for (size_t r = 0; r < t->n_rows; r++) {
        fputs("|", fp);
        for (size_t c = 0; c < t->n_cols; c++) {
            fputc(' ', fp);
            md_cell(fp, t->cells[r * t->n_cols + c].text);
            fputs(" |", fp);
        }
        fputc('\n', fp);
    }
}

int rpt_write_md(const rpt_doc *d, FILE *fp)
{
    rpt_table t[MD_MAX_TABLES];
    int n = rpt_tables(d, t, MD_MAX_TABLES);
    if (n < 0)
        return -1;
    fprintf(fp, "# pacedns report: %zu server%s, %zu run%s\n", d->n_servers,
            d->n_servers == 1 ? "" : "s", d->n_runs, d->n_runs == 1 ? "" : "s");
    for (int i = 0; i < n; i++)
        md_table(fp, &t[i]);
    rpt_tables_free(t, (size_t)n);
    return fflush(fp) == 0 && !ferror(fp) ? 0 : -1;
}
