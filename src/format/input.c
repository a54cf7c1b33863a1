/* input.c - lazy, bounded line reader over input files (or stdin) with line numbers.
 * SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "format/input.h"

#define PDNS__INPUT_BUFSZ 65536

struct pdns__input {
    char **paths;       /* copies of the input paths; "-" is stdin */
    size_t n;           /* number of paths */
    size_t idx;         /* path being read (or next to open) */
    int fd;             /* open descriptor, -1 between files */
    int file_start;     /* nothing read yet from fd (for a UTF-8 BOM) */
    uint64_t line;      /* lines finished so far, over all inputs */
    uint64_t total;     /* sum of regular-file sizes, 0 when unknown */
    uint64_t done;      /* bytes consumed by the line scanner */
    unsigned char *raw; /* current line's raw bytes, at most rawcap */
    size_t rawcap;
    size_t rpos, rlen; /* unread window of rbuf */
    char err[512];
    unsigned char rbuf[PDNS__INPUT_BUFSZ];
};

static int pdns__blank(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static int pdns__is_stdin(const char *path)
{
    return strcmp(path, "-") == 0;
}

/* Check that `path` can be read and add its size to in->total (or mark it unknown).
 * Returns 0, or -1 with errno set. */
static int pdns__input_probe(pdns__input *in, const char *path, int *unknown)
{
    struct stat st;
    if (pdns__is_stdin(path)) {
        if (fstat(STDIN_FILENO, &st) != 0)
            return -1;
        off_t off = lseek(STDIN_FILENO, 0, SEEK_CUR);
        if (S_ISREG(st.st_mode) && off >= 0 && off <= st.st_size)
            in->total += (uint64_t)(st.st_size - off);
        else
            *unknown = 1;
        return 0;
    }
    if (stat(path, &st) != 0 || access(path, R_OK) != 0)
        return -1;
    if (S_ISDIR(st.st_mode)) {
        errno = EISDIR;
        return -1;
    }
    if (S_ISREG(st.st_mode))
        in->total += (uint64_t)st.st_size;
    else
        *unknown = 1;
    return 0;
}

pdns_status pdns__input_open(pdns__input **out, const char *const *paths, size_t n, char *err,
                             size_t errcap)
{
    static const char *const stdin_only[] = {"-"};
    int unknown = 0;
    if (err && errcap)
        err[0] = '\0';
    if (n == 0 || !paths) {
        paths = stdin_only;
        n = 1;
    }
    pdns__input *in = calloc(1, sizeof *in);
    if (!in || !(in->paths = calloc(n, sizeof *in->paths))) {
        free(in);
        if (err && errcap)
            snprintf(err, errcap, "%s", "out of memory");
        return PDNS_ERR_NOMEM;
    }
    in->fd = -1;
    for (size_t i = 0; i < n; i++) {
        in->paths[i] = strdup(paths[i] ? paths[i] : "-");
        in->n = i + 1;
        if (!in->paths[i]) {
            if (err && errcap)
                snprintf(err, errcap, "%s", "out of memory");
            pdns__input_close(in);
            return PDNS_ERR_NOMEM;
        }
        if (pdns__input_probe(in, in->paths[i], &unknown) != 0) {
            if (err && errcap)
                snprintf(err, errcap, "cannot open %s: %s", in->paths[i], strerror(errno));
            pdns__input_close(in);
            return PDNS_ERR_IO;
        }
    }
    if (unknown)
        in->total = 0;
    *out = in;
    return PDNS_OK;
}

/* Make unread bytes available in rbuf, opening the next input when needed.
 * Returns 1 with data, 0 at the end of the current input (it is closed and the next
 * one is opened on the following call), 2 when no input is left, -1 on error. */
static int pdns__input_fill(pdns__input *in)
{
    if (in->fd < 0) {
        if (in->idx >= in->n)
            return 2;
        const char *path = in->paths[in->idx];
        if (pdns__is_stdin(path)) {
            in->fd = STDIN_FILENO;
        } else {
            do
                in->fd = open(path, O_RDONLY | O_CLOEXEC);
            while (in->fd < 0 && errno == EINTR);
            if (in->fd < 0) {
                snprintf(in->err, sizeof in->err, "cannot open %s: %s", path, strerror(errno));
                return -1;
            }
        }
        in->file_start = 1;
    }
    ssize_t got;
    do
        got = read(in->fd, in->rbuf, sizeof in->rbuf);
    while (got < 0 && errno == EINTR);
    if (got < 0) {
        snprintf(in->err, sizeof in->err, "cannot read %s: %s", in->paths[in->idx],
                 strerror(errno));
        return -1;
    }
    in->rpos = 0;
    in->rlen = (size_t)got;
    if (got == 0) {
        if (in->fd != STDIN_FILENO)
            close(in->fd);
        in->fd = -1;
        in->idx++;
        return 0;
    }
    if (in->file_start && in->rlen >= 3 && memcmp(in->rbuf, "\xef\xbb\xbf", 3) == 0) {
        in->rpos = 3; /* skip a UTF-8 byte order mark */
        in->done += 3;
    }
    in->file_start = 0;
    return 1;
}

/* Length of the valid UTF-8 sequence (2..4 bytes, not a C1 control) at s, or 0. */
static size_t pdns__utf8_len(const unsigned char *s, size_t n)
{
    unsigned char lo = 0x80, hi = 0xbf;
    size_t len;
    if (s[0] >= 0xc2 && s[0] <= 0xdf)
        len = 2;
    else if (s[0] >= 0xe0 && s[0] <= 0xef)
        len = 3;
    else if (s[0] >= 0xf0 && s[0] <= 0xf4)
        len = 4;
    else
        return 0;
    if (s[0] == 0xe0)
        lo = 0xa0; /* overlong */
    else if (s[0] == 0xed)
        hi = 0x9f; /* surrogates */
    else if (s[0] == 0xf0)
        lo = 0x90; /* overlong */
    else if (s[0] == 0xf4)
        hi = 0x8f; /* above U+10FFFF */
    else if (s[0] == 0xc2)
        lo = 0xa0; /* U+0080..U+009F are C1 controls: escape them */
    if (n < len || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xbf)
            return 0;
    return len;
}

size_t pdns__escape_bytes(const void *src, size_t n, char *buf, size_t cap)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *raw = src;
    size_t o = 0;
    if (cap == 0)
        return 0;
    for (size_t i = 0; i < n;) {
        size_t len = raw[i] >= 0x20 && raw[i] < 0x7f ? 1 : 0;
        if (raw[i] >= 0x80)
            len = pdns__utf8_len(raw + i, n - i);
        if (len) {
            if (o + len > cap - 1)
                break;
            memcpy(buf + o, raw + i, len);
            o += len;
            i += len;
        } else {
            if (o + 4 > cap - 1)
                break;
            buf[o++] = '\\';
            buf[o++] = 'x';
            buf[o++] = hex[raw[i] >> 4];
            buf[o++] = hex[raw[i] & 0xf];
            i++;
        }
    }
    buf[o] = '\0';
    return o;
}

int pdns__input_next(pdns__input *in, char *buf, size_t cap, uint64_t *line)
{
    if (!buf || cap < 2) {
        snprintf(in->err, sizeof in->err, "%s", "line buffer too small");
        return -1;
    }
    if (in->rawcap < cap - 1) {
        unsigned char *raw = realloc(in->raw, cap - 1);
        if (!raw) {
            snprintf(in->err, sizeof in->err, "%s", "out of memory");
            return -1;
        }
        in->raw = raw;
        in->rawcap = cap - 1;
    }
    for (;;) {
        size_t rawlen = 0;
        int started = 0, leading = 1, cut = 0, cut_nonblank = 0, ended = 0;
        while (!ended) {
            if (in->rpos == in->rlen) {
                int r = pdns__input_fill(in);
                if (r < 0)
                    return -1;
                if (r == 2 && !started)
                    return 0;
                if (r == 0 || r == 2) {
                    if (started)
                        break; /* last line of an input without a final newline */
                    continue;
                }
            }
            const unsigned char *p = in->rbuf + in->rpos;
            size_t avail = in->rlen - in->rpos;
            const unsigned char *nl = memchr(p, '\n', avail);
            size_t seg = nl ? (size_t)(nl - p) : avail;
            {
                size_t i = 0, take;
                if (leading) {
                    while (i < seg && pdns__blank(p[i]))
                        i++;
                    leading = i == seg;
                }
                /* the line's bytes in one copy; what does not fit is only looked at */
                take = seg - i < cap - 1 - rawlen ? seg - i : cap - 1 - rawlen;
                memcpy(in->raw + rawlen, p + i, take);
                rawlen += take;
                for (i += take; i < seg; i++) {
                    cut = 1;
                    if (!pdns__blank(p[i]))
                        cut_nonblank = 1;
                }
            }
            started = 1;
            in->rpos += seg + (nl ? 1 : 0);
            in->done += seg + (nl ? 1 : 0);
            ended = nl != NULL;
        }
        in->line++;
        /* Trim trailing blanks, unless the line went on past the cut with more text. */
        if (!(cut && cut_nonblank))
            while (rawlen > 0 && pdns__blank(in->raw[rawlen - 1]))
                rawlen--;
        if (rawlen == 0 || in->raw[0] == '#')
            continue;
        {
            int plain = 1; /* printable ASCII only: copied as it is */
            size_t i = 0;
            for (; i + 8 <= rawlen; i += 8) { /* plain words need no look at each byte */
                uint64_t x;
                memcpy(&x, in->raw + i, 8);
                if (pdns__bytes_special(x, 0, 0))
                    break;
            }
            for (; i < rawlen; i++) {
                unsigned char c = in->raw[i];
                if (c == '\t') /* a tab separates fields ("NAME\tTYPE") */
                    in->raw[i] = c = ' ';
                if (c < 0x20 || c >= 0x7f)
                    plain = 0;
            }
            if (plain) {
                memcpy(buf, in->raw, rawlen); /* rawlen <= cap - 1 */
                buf[rawlen] = '\0';
            } else {
                pdns__escape_bytes(in->raw, rawlen, buf, cap);
            }
        }
        if (line)
            *line = in->line;
        return 1;
    }
}

uint64_t pdns__input_total_bytes(const pdns__input *in)
{
    return in ? in->total : 0;
}

uint64_t pdns__input_done_bytes(const pdns__input *in)
{
    return in ? in->done : 0;
}

const char *pdns__input_error(const pdns__input *in)
{
    return in ? in->err : "";
}

void pdns__input_close(pdns__input *in)
{
    if (!in)
        return;
    if (in->fd >= 0 && in->fd != STDIN_FILENO)
        close(in->fd);
    for (size_t i = 0; i < in->n; i++)
        free(in->paths[i]);
    free(in->paths);
    free(in->raw);
    free(in);
}
