/* fuzz_input.c - input-line reader (pdns__input_open/next) + line split (pdns__qline_parse:
 * NAME [TYPE] [ecs=PREFIX]) + name validator (pdns__name_normalize) + PTR name builder
 * (pdns__name_ptr), with oracles.
 * SPDX-License-Identifier: MIT */
#include "fuzz_common.h"
#include "format/input.h"
#include "dns/edns.h"
#include "dns/name.h"
#include "dns/qline.h"

/* The line split: an error has a reason and a message; an ECS prefix read from a line
 * prints as text that reads back to the same prefix; the public form agrees. */
static void check_split(const char *line)
{
    char name[1024], err[160], text[PDNS__ECS_TEXT_MAX];
    uint16_t type = 0, type2 = 0;
    const char *why = NULL;
    pdns__ecs e, back;
    int has = 0;
    pdns_status st =
        pdns__qline_parse(line, name, sizeof name, &type, &e, &has, &why, err, sizeof err);
    FUZZ_CHECK(pdns_query_line_parse(line, name, sizeof name, &type2, NULL) == st,
               "public and internal split disagree on '%s'", line);
    if (st != PDNS_OK) {
        FUZZ_CHECK(why && err[0], "split error without a reason");
        FUZZ_CHECK(!has, "an ECS prefix from a bad line");
        return;
    }
    FUZZ_CHECK(type == type2, "types differ");
    if (has) {
        FUZZ_CHECK(e.prefix <= (e.family == PDNS__ECS_FAMILY_IPV4 ? 32 : 128), "prefix %u",
                   e.prefix);
        pdns__ecs_text(&e, text, sizeof text);
        FUZZ_CHECK(pdns__ecs_parse_one(text, &back, &why) == 0, "'%s' does not read back: %s", text,
                   why);
        FUZZ_CHECK(back.family == e.family && back.prefix == e.prefix &&
                       !memcmp(back.addr, e.addr, sizeof e.addr),
                   "'%s' reads back as another prefix", text);
    }
}

static void check_name(const char *line)
{
    char out[PDNS__NAME_MAX], again[PDNS__NAME_MAX], ptr[PDNS__NAME_MAX];
    const char *why = NULL;
    size_t n;

    if (pdns__name_normalize(line, out, sizeof out, &why) == PDNS_OK) {
        n = strlen(out);
        FUZZ_CHECK(n >= 1 && n <= 254 && out[n - 1] == '.', "bad normal form '%s'", out);
        FUZZ_CHECK(!fuzz_has_control(out, n), "control in '%s'", out);
        FUZZ_CHECK(pdns__name_equal(out, out), "not equal to itself");
        /* idempotent */
        FUZZ_CHECK(pdns__name_normalize(out, again, sizeof again, &why) == PDNS_OK,
                   "normal form '%s' rejected: %s", out, why);
        FUZZ_CHECK(strcmp(out, again) == 0, "'%s' -> '%s'", out, again);
        /* the output buffer size is honoured */
        FUZZ_CHECK(pdns__name_normalize(line, again, n, &why) != PDNS_OK, "fits in %zu", n);
        FUZZ_CHECK(pdns__name_normalize(line, again, n + 1, &why) == PDNS_OK, "no fit %zu", n);
    } else {
        FUZZ_CHECK(why != NULL, "error without a reason");
    }
    if (pdns__name_ptr(line, ptr, sizeof ptr)) {
        FUZZ_CHECK(pdns__name_normalize(ptr, out, sizeof out, &why) == PDNS_OK,
                   "PTR name '%s' invalid: %s", ptr, why);
        FUZZ_CHECK(strcmp(ptr, out) == 0, "PTR name '%s' not normal", ptr);
        FUZZ_CHECK(!pdns__name_ptr(line, ptr, strlen(ptr)), "PTR ignores cap");
    }
}

static void read_all(const char *path, size_t cap, size_t newlines)
{
    static char buf[4096];
    pdns__input *in = NULL;
    char err[256];
    uint64_t line = 0, prev = 0;
    int rc;

    if (pdns__input_open(&in, &path, 1, err, sizeof err) != PDNS_OK) {
        fprintf(stderr, "open %s: %s\n", path, err);
        abort();
    }
    while ((rc = pdns__input_next(in, buf, cap, &line)) == 1) {
        size_t n = strlen(buf);
        /* empty only when cap < 5: the first unit may be a 4-byte "\xHH" escape */
        FUZZ_CHECK(n < cap && (n > 0 || cap < 5), "line length %zu, cap %zu", n, cap);
        FUZZ_CHECK(line > prev && line <= newlines + 1, "line %llu after %llu",
                   (unsigned long long)line, (unsigned long long)prev);
        FUZZ_CHECK(buf[0] != '#' && buf[0] != ' ', "line starts with '%c'", buf[0]);
        FUZZ_CHECK(!fuzz_has_control(buf, n), "control byte in a line");
        FUZZ_CHECK(fuzz_utf8_valid(buf, n), "invalid UTF-8 in a line");
        prev = line;
        check_name(buf);
        check_split(buf);
    }
    FUZZ_CHECK(rc == 0, "read error: %s", pdns__input_error(in));
    FUZZ_CHECK(pdns__input_done_bytes(in) <= pdns__input_total_bytes(in), "done > total");
    pdns__input_close(in);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_memfile(data, size);
    size_t newlines = 0;
    for (size_t i = 0; i < size; i++)
        newlines += data[i] == '\n';
    read_all(path, 1024, newlines);           /* the runner's buffer size */
    read_all(path, 2 + size % 300, newlines); /* small buffers: the cut path */
    return 0;
}
