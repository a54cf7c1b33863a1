/* api.c - public wrappers: name validation, server addresses, name reader, record writer.
 * SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "pacedns.h"
#include "format/input.h"
#include "dns/name.h"
#include "format/output.h"
#include "format/server.h"

struct pdns_reader {
    pdns__input *in;
};

struct pdns_writer {
    pdns__output out;
};

pdns_status pdns_server_parse(const char *text, char *canon, size_t cap, const char **why)
{
    pdns__addr a;
    const char *w = NULL;
    pdns_status st = pdns__addr_parse(text, &a, &w);
    if (why)
        *why = w;
    if (st == PDNS_OK && canon && cap)
        snprintf(canon, cap, "%s", a.text);
    return st;
}

pdns_status pdns_name_normalize(const char *in, char *out, size_t cap, const char **why)
{
    const char *w = NULL;
    pdns_status st;
    if (!out || cap < PDNS__NAME_MAX)
        return PDNS_ERR_INVALID;
    st = pdns__name_normalize(in, out, cap, &w);
    if (why)
        *why = w;
    return st;
}

pdns_status pdns_reader_open(const char *const *paths, size_t n, pdns_reader **out, char *err,
                             size_t errcap)
{
    pdns_reader *rd = calloc(1, sizeof *rd);
    pdns_status st;
    if (!rd)
        return PDNS_ERR_NOMEM;
    if ((st = pdns__input_open(&rd->in, paths, n, err, errcap)) != PDNS_OK) {
        free(rd);
        return st;
    }
    *out = rd;
    return PDNS_OK;
}

int pdns_reader_next(pdns_reader *rd, char *buf, size_t cap, uint64_t *line)
{
    return pdns__input_next(rd->in, buf, cap, line);
}

const char *pdns_reader_error(const pdns_reader *rd)
{
    return rd ? pdns__input_error(rd->in) : "";
}

void pdns_reader_progress(const pdns_reader *rd, uint64_t *done, uint64_t *total)
{
    if (done)
        *done = rd ? pdns__input_done_bytes(rd->in) : 0;
    if (total)
        *total = rd ? pdns__input_total_bytes(rd->in) : 0;
}

void pdns_reader_close(pdns_reader *rd)
{
    if (!rd)
        return;
    pdns__input_close(rd->in);
    free(rd);
}

pdns_status pdns_writer_new(FILE *fp, const char *format, pdns_writer **out)
{
    pdns__format fmt = PDNS__FMT_NDJSON;
    pdns_writer *w;
    if (!fp || !out)
        return PDNS_ERR_INVALID;
    if (format && pdns__format_from_name(format, &fmt) != PDNS_OK)
        return PDNS_ERR_PARSE;
    if (!(w = calloc(1, sizeof *w)))
        return PDNS_ERR_NOMEM;
    pdns__output_init(&w->out, fp, fmt);
    *out = w;
    return PDNS_OK;
}

pdns_status pdns_writer_write(pdns_writer *w, const pdns_result *res)
{
    if (!w || !res)
        return PDNS_ERR_INVALID;
    return pdns__output_write(&w->out, res);
}

void pdns_writer_free(pdns_writer *w)
{
    if (!w)
        return;
    pdns__output_free(&w->out);
    free(w);
}
