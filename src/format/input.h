/* input.h - lazy line reader over input files (or stdin) with line numbers.
 * SPDX-License-Identifier: MIT */
#ifndef PDNS_INPUT_H
#define PDNS_INPUT_H

#include <stddef.h>
#include <stdint.h>
#include "pacedns.h"

typedef struct pdns__input pdns__input;

/* Open the inputs in order; "-" (or n == 0) is stdin. On error returns PDNS_ERR_IO and
 * writes "cannot open FILE: reason" into err. */
pdns_status pdns__input_open(pdns__input **out, const char *const *paths, size_t n, char *err,
                             size_t errcap);

/* Next name-bearing line: blank lines and lines whose first non-blank is '#' are
 * skipped; leading/trailing whitespace and a CR are trimmed, an inner tab becomes a
 * space (it separates "NAME TYPE" fields). Line numbers are
 * cumulative over all inputs (1-based). Bytes that are not printable ASCII nor valid
 * UTF-8 (controls, NUL, invalid sequences) are written as "\xHH" so the text is always
 * valid UTF-8 and the validator rejects it. A line longer than `cap - 1` is cut to
 * fit (the rest is skipped) and still returned (the validator rejects the length).
 * Returns 1 with a line, 0 at end of all input, -1 on a read error (err filled). */
int pdns__input_next(pdns__input *in, char *buf, size_t cap, uint64_t *line);

/* Total bytes of all regular-file inputs, and bytes consumed so far (for progress);
 * total is 0 when any input is not a regular file. */
uint64_t pdns__input_total_bytes(const pdns__input *in);
uint64_t pdns__input_done_bytes(const pdns__input *in);
const char *pdns__input_error(const pdns__input *in);

void pdns__input_close(pdns__input *in);

/* Copy src[0..n) to buf as valid UTF-8 without control characters: printable ASCII and
 * valid UTF-8 sequences (except C1 controls) are kept, every other byte is written as
 * "\xHH". Stops before a unit that would not fit in cap - 1 bytes; always
 * NUL-terminates when cap > 0. Returns the length written. */
size_t pdns__escape_bytes(const void *src, size_t n, char *buf, size_t cap);

/* Eight bytes at a time (the text writers run for every name): w holds 8 bytes of
 * text; a set byte in the result means one of them is not printable ASCII (below 0x20
 * or above 0x7e), or equals one of the one or two bytes q1, q2 (0: none; both below
 * 0x80). Bit tricks on the whole word ("hasless", "hasmore", "haszero"): each test is
 * exact for "any byte" (a borrow or carry only follows a byte that already matched). */
#define PDNS__BYTES_ONES  0x0101010101010101ull
#define PDNS__BYTES_HIGHS 0x8080808080808080ull
static inline uint64_t pdns__bytes_haszero(uint64_t w)
{
    return (w - PDNS__BYTES_ONES) & ~w & PDNS__BYTES_HIGHS;
}
static inline uint64_t pdns__bytes_special(uint64_t w, unsigned char q1, unsigned char q2)
{
    uint64_t bad = ((w - 0x20 * PDNS__BYTES_ONES) & ~w & PDNS__BYTES_HIGHS) /* < 0x20 */
                   | (((w + PDNS__BYTES_ONES) | w) & PDNS__BYTES_HIGHS);    /* > 0x7e */
    if (q1)
        bad |= pdns__bytes_haszero(w ^ (q1 * PDNS__BYTES_ONES));
    if (q2)
        bad |= pdns__bytes_haszero(w ^ (q2 * PDNS__BYTES_ONES));
    return bad;
}

#endif
