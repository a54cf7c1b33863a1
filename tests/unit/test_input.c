/* test_input.c - unit tests for the line reader (escaping, trimming, long lines).
 * SPDX-License-Identifier: MIT */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "check.h"
#include "format/input.h"

typedef struct expect {
    uint64_t line;
    const char *text;
} expect;

/* Read every line of `in` with buffer size cap and compare with exp[0..n). */
static void expect_lines(pdns__input *in, size_t cap, const expect *exp, size_t n)
{
    char buf[1024];
    uint64_t line = 0;
    for (size_t i = 0; i < n; i++) {
        int r = pdns__input_next(in, buf, cap, &line);
        CHECK(r == 1);
        if (r != 1)
            return;
        CHECK_STR(buf, exp[i].text);
        CHECK(line == exp[i].line);
        if (line != exp[i].line)
            fprintf(stderr, "  line %llu, expected %llu\n", (unsigned long long)line,
                    (unsigned long long)exp[i].line);
    }
    CHECK(pdns__input_next(in, buf, cap, &line) == 0);
    CHECK(pdns__input_next(in, buf, cap, &line) == 0);
}

static const expect mixed[] = {
    {2, "example.com"},
    {5, "www.example.org"},
    {7, "nul\\x00byte.example"},
    {8, "bad\\xffutf8\\xc3.example"},
    {9, "b\xc3\xbc"
        "cher.example"},
    {10, "tab inside"}, /* a tab separates "NAME TYPE" fields */
    {11, "c1\\xc2\\x85ctl"},
    {12, "overlong\\xc0\\xaf"},
    {13, "surrogate\\xed\\xa0\\x80"},
    {14, "emoji\xf0\x9f\x98\x80"},
    {15, "del\\x7f"},
    {16, "last-no-newline.example"},
};

static off_t file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? st.st_size : -1;
}

static void test_mixed(void)
{
    const char *paths[] = {"data/mixed.txt"};
    pdns__input *in = NULL;
    char err[256];
    CHECK(pdns__input_open(&in, paths, 1, err, sizeof err) == PDNS_OK);
    if (!in)
        return;
    CHECK(pdns__input_total_bytes(in) == (uint64_t)file_size("data/mixed.txt"));
    CHECK(pdns__input_done_bytes(in) == 0);
    expect_lines(in, 256, mixed, sizeof mixed / sizeof mixed[0]);
    CHECK(pdns__input_done_bytes(in) == pdns__input_total_bytes(in));
    pdns__input_close(in);
}

static void test_cumulative(void)
{
    const char *paths[] = {"data/mixed.txt", "data/second.txt", "data/bom.txt"};
    static const expect exp[] = {
        {16, "last-no-newline.example"}, /* not joined with the next file's first line */
        {19, "second.example"},
        {20, "third.example"},
        {21, "bom.example"}, /* the byte order mark is dropped */
    };
    pdns__input *in = NULL;
    char err[256], buf[256];
    uint64_t line = 0;
    CHECK(pdns__input_open(&in, paths, 3, err, sizeof err) == PDNS_OK);
    if (!in)
        return;
    CHECK(pdns__input_total_bytes(in) ==
          (uint64_t)(file_size(paths[0]) + file_size(paths[1]) + file_size(paths[2])));
    for (size_t i = 0; i < sizeof mixed / sizeof mixed[0] - 1; i++)
        CHECK(pdns__input_next(in, buf, sizeof buf, &line) == 1);
    expect_lines(in, sizeof buf, exp, sizeof exp / sizeof exp[0]);
    CHECK(pdns__input_done_bytes(in) == pdns__input_total_bytes(in));
    pdns__input_close(in);
}

static void test_errors(void)
{
    pdns__input *in = NULL;
    char err[256];
    const char *missing[] = {"data/mixed.txt", "data/nope.txt"};
    CHECK(pdns__input_open(&in, missing, 2, err, sizeof err) == PDNS_ERR_IO);
    CHECK_STR(err, "cannot open data/nope.txt: No such file or directory");
    CHECK(in == NULL);
    const char *dir[] = {"data"};
    CHECK(pdns__input_open(&in, dir, 1, err, sizeof err) == PDNS_ERR_IO);
    CHECK_STR(err, "cannot open data: Is a directory");

    /* A file that vanishes after open is reported by next(). */
    char tmpl[] = "/tmp/pdns_input_XXXXXX";
    int fd = mkstemp(tmpl);
    CHECK(fd >= 0);
    close(fd);
    const char *gone[] = {tmpl};
    CHECK(pdns__input_open(&in, gone, 1, err, sizeof err) == PDNS_OK);
    unlink(tmpl);
    if (in) {
        char buf[64], want[128];
        uint64_t line;
        CHECK(pdns__input_next(in, buf, sizeof buf, &line) == -1);
        snprintf(want, sizeof want, "cannot open %s: No such file or directory", tmpl);
        CHECK_STR(pdns__input_error(in), want);
        CHECK(pdns__input_next(in, buf, 1, &line) == -1); /* cap too small */
        pdns__input_close(in);
    }
}

/* A 1 MB line is cut to cap - 1 without allocating it; the next line keeps its number. */
static void test_long_line(void)
{
    char tmpl[] = "/tmp/pdns_input_XXXXXX";
    int fd = mkstemp(tmpl);
    CHECK(fd >= 0);
    if (fd < 0)
        return;
    FILE *fp = fdopen(fd, "w");
    fputs("first.example\n", fp);
    for (int i = 0; i < 1024 * 1024; i++)
        fputc('a' + i % 26, fp);
    fputs("\r\nafter.example\n", fp);
    fputs("x.example", fp); /* then ~1 MB of blanks: still just "x.example" */
    for (int i = 0; i < 1024 * 1024; i++)
        fputc(i % 2 ? ' ' : '\t', fp);
    fputs("\n  y  ", fp);
    for (int i = 0; i < 1000; i++)
        fputc(' ', fp);
    fputs("z\n", fp);
    fclose(fp);

    char cut[256];
    for (size_t i = 0; i < sizeof cut - 1; i++)
        cut[i] = (char)('a' + i % 26);
    cut[sizeof cut - 1] = '\0';
    char cut_y[256]; /* the blanks inside a cut line are kept, so it stays invalid */
    memset(cut_y, ' ', sizeof cut_y);
    cut_y[0] = 'y';
    cut_y[sizeof cut_y - 1] = '\0';
    const expect exp[] = {
        {1, "first.example"}, {2, cut}, {3, "after.example"}, {4, "x.example"}, {5, cut_y},
    };
    const char *paths[] = {tmpl};
    pdns__input *in = NULL;
    char err[256];
    CHECK(pdns__input_open(&in, paths, 1, err, sizeof err) == PDNS_OK);
    if (in) {
        expect_lines(in, 256, exp, sizeof exp / sizeof exp[0]);
        CHECK(pdns__input_done_bytes(in) == pdns__input_total_bytes(in));
        pdns__input_close(in);
    }
    unlink(tmpl);
}

/* Cutting never splits a "\xHH" escape nor a UTF-8 sequence. */
static void test_cut_units(void)
{
    char tmpl[] = "/tmp/pdns_input_XXXXXX";
    int fd = mkstemp(tmpl);
    CHECK(fd >= 0);
    if (fd < 0)
        return;
    CHECK(write(fd, "\x01\x02\x03\nabc\xc3\xbc\nab\xc3\xbc\n", 15) == 15);
    close(fd);
    const expect exp[] = {{1, "\\x01"}, {2, "abc"}, {3, "ab\xc3\xbc"}};
    const char *paths[] = {tmpl};
    pdns__input *in = NULL;
    char err[256];
    CHECK(pdns__input_open(&in, paths, 1, err, sizeof err) == PDNS_OK);
    if (in) {
        expect_lines(in, 5, exp, sizeof exp / sizeof exp[0]);
        pdns__input_close(in);
    }
    unlink(tmpl);
}

/* "-" and n == 0 read standard input. */
static void test_stdin(void)
{
    static const expect exp_bom[] = {{1, "bom.example"}};
    const char *dash[] = {"-"};
    pdns__input *in = NULL;
    char err[256];
    int fd = open("data/second.txt", O_RDONLY);
    CHECK(fd >= 0 && dup2(fd, STDIN_FILENO) == STDIN_FILENO);
    close(fd);
    CHECK(pdns__input_open(&in, dash, 1, err, sizeof err) == PDNS_OK);
    if (in) {
        CHECK(pdns__input_total_bytes(in) == (uint64_t)file_size("data/second.txt"));
        static const expect shifted[] = {{3, "second.example"}, {4, "third.example"}};
        expect_lines(in, 256, shifted, 2);
        pdns__input_close(in);
    }
    fd = open("data/bom.txt", O_RDONLY);
    CHECK(fd >= 0 && dup2(fd, STDIN_FILENO) == STDIN_FILENO);
    close(fd);
    in = NULL;
    CHECK(pdns__input_open(&in, NULL, 0, err, sizeof err) == PDNS_OK);
    if (in) {
        expect_lines(in, 256, exp_bom, 1);
        pdns__input_close(in);
    }
}

/* The word-at-a-time test (pdns__bytes_special) against a byte-by-byte one: every byte
 * value at every position of a plain word, and pairs of values at two positions. */
static int special_ref(const unsigned char b[8], unsigned char q1, unsigned char q2)
{
    for (int i = 0; i < 8; i++)
        if (b[i] < 0x20 || b[i] > 0x7e || (q1 && b[i] == q1) || (q2 && b[i] == q2))
            return 1;
    return 0;
}

static void test_bytes_special(void)
{
    static const unsigned char qs[3][2] = {{0, 0}, {'"', '\\'}, {'.', 0}};
    int bad = 0;
    for (int k = 0; k < 3; k++) {
        unsigned char q1 = qs[k][0], q2 = qs[k][1];
        for (int pos = 0; pos < 8; pos++)
            for (int v = 0; v < 256; v++)
                for (int pos2 = 0; pos2 < 8; pos2++)
                    for (int v2 = 0; v2 < 256; v2 += 17) {
                        unsigned char b[8] = {'a', 'b', 'c', '-', '9', '~', ' ', 'Z'};
                        uint64_t w;
                        b[pos] = (unsigned char)v;
                        if (pos2 != pos)
                            b[pos2] = (unsigned char)v2;
                        memcpy(&w, b, 8);
                        if ((pdns__bytes_special(w, q1, q2) != 0) != special_ref(b, q1, q2))
                            bad++;
                    }
    }
    CHECK(bad == 0);
}

/* Lines of 1 to 30 bytes with a tab, a control, DEL or a stray byte of 0x80 or more at
 * every position (the reader looks at plain lines eight bytes at a time): the tab
 * becomes a blank (trimmed at either end), the others "\xHH". */
static void test_every_position(void)
{
    static const unsigned char odd[] = {'\t', 0x01, 0x1f, 0x7f, 0x80, 0xff};
    char path[] = "/tmp/pacedns-test-input-XXXXXX", buf[256];
    FILE *fp;
    int fd = mkstemp(path), bad = 0;
    pdns__input *in = NULL;
    const char *paths[1] = {path};
    char err[256];
    CHECK(fd >= 0 && (fp = fdopen(fd, "w")) != NULL);
    if (fd < 0 || !fp)
        return;
    for (size_t len = 1; len <= 30; len++)
        for (size_t pos = 0; pos < len; pos++)
            for (size_t k = 0; k < sizeof odd; k++) {
                for (size_t i = 0; i < len; i++)
                    fputc(i == pos ? odd[k] : 'a' + (int)(i % 26), fp);
                fputc('\n', fp);
            }
    fclose(fp);
    CHECK(pdns__input_open(&in, paths, 1, err, sizeof err) == PDNS_OK);
    for (size_t len = 1; len <= 30 && in && !bad; len++)
        for (size_t pos = 0; pos < len && !bad; pos++)
            for (size_t k = 0; k < sizeof odd && !bad; k++) {
                char want[64];
                size_t n = 0;
                uint64_t line;
                for (size_t i = 0; i < len; i++) {
                    if (i != pos)
                        want[n++] = (char)('a' + (int)(i % 26));
                    else if (odd[k] == '\t' && i > 0 && i < len - 1)
                        want[n++] = ' ';
                    else if (odd[k] != '\t')
                        n += (size_t)snprintf(want + n, 8, "\\x%02x", odd[k]);
                }
                want[n] = '\0';
                if (n == 0) /* a line of one tab is blank: skipped */
                    continue;
                if (pdns__input_next(in, buf, sizeof buf, &line) != 1 || strcmp(buf, want) != 0) {
                    fprintf(stderr, "line of %zu, 0x%02x at %zu: \"%s\", want \"%s\"\n", len,
                            odd[k], pos, buf, want);
                    bad = 1;
                }
            }
    CHECK(!bad);
    pdns__input_close(in);
    unlink(path);
}

int main(void)
{
    test_bytes_special();
    test_every_position();
    test_mixed();
    test_cumulative();
    test_errors();
    test_long_line();
    test_cut_units();
    test_stdin();
    return CHECK_DONE();
}
