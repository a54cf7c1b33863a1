/* dns/codec.c - answers decoded with libknot (parse in place, records printed as text).
 * SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <libknot/descriptor.h>
#include <libknot/dname.h>
#include <libknot/errcode.h>
#include <libknot/packet/pkt.h>
#include <libknot/packet/rrset-wire.h>
#include <libknot/rrset-dump.h>
#include <libknot/rrtype/opt.h>

#include "dns/codec.h"
#include "dns/wire.h"

/* IMPLEMENTATION NOTES
 * Why: decoding an answer through getdns dicts (getdns_wire2msg_dict, getdns_rr_dict2str,
 * destroy) cost ~43,000 instructions for one A record, ~150 mallocs; libknot parses the
 * same datagram in place and prints the record for ~4,000, and with the allocator below
 * it touches the heap only while warming up.
 * - One knot_pkt_t per codec, reused: before each decode it is cleared (knot_pkt_clear,
 *   which also resets the header of the wire it points at: its own scratch header,
 *   never the datagram), then pointed at the datagram (wire, size, max_size) and parsed
 *   with KNOT_PF_NOCANON (records keep the server's letter case, as getdns shows them).
 * - libknot allocates through a knot_mm_t: here a bump arena (16-byte aligned) whose
 *   free is a no-op; it is reset before each decode. When a datagram needs more than
 *   the first chunk (thousands of decompressed owners), further chunks are allocated
 *   and released at the next reset; the first one stays.
 * - Only the answer section is parsed into records: NSCOUNT and ARCOUNT are zeroed in
 *   the header for the parse (knot_pkt_parse then reports KNOT_ETRAIL for the rest, as
 *   expected) and put back afterwards. An authoritative answer often carries NS records
 *   and glue (6 of the 7 records of a host's A answer from NSD) that nobody reads:
 *   parsing them all cost 3,900 instructions more per name. A name whose compression
 *   pointer lands in the header would read the zeroed counts (fuzz_codec found it): when
 *   the parsed question and answer sections hold the bytes of such a pointer (C0 00 to
 *   C0 0B: a memchr pass after the parse), the datagram is parsed again, whole and
 *   untouched (KNOT_PF_KEEPWIRE).
 * - The extended rcode: the OPT record lives in the additional section. When ARCOUNT is
 *   not zero, the authority and additional records after the parsed answer section are
 *   walked (owner checked and sized by knot_dname_wire_check, then type, class, TTL,
 *   RDLENGTH, RDATA skipped) and the first OPT found is parsed with
 *   knot_rrset_rr_from_wire; its extended rcode (knot_edns_get_ext_rcode) becomes the
 *   high 8 bits of the rcode (knot_edns_whole_rcode): BADVERS (16) and BADCOOKIE (23) do
 *   not read as NOERROR or YXRRSET. A walk that runs past the datagram makes the answer
 *   malformed (it was cut). (The whole-message parse takes pkt->opt_rr.)
 * - Header-only answers (pdns__codec_rcode) are not parsed at all: the same walk, from
 *   the end of the question, finds the OPT record.
 * - Types whose libknot printer reads past malformed rdata (pdns__codec_generic), and
 *   NSEC or CSYNC records whose type bitmap is malformed (libknot prints its own reading
 *   of it), are printed in RFC 3597 generic form. AAAA is printed by inet_ntop: libknot shortens
 *   the last of two equally long runs of zero fields, RFC 5952 (4.2.3) and getdns the
 *   first (0:0:40:0:0:ffff:a00:1 is ::40:0:0:ffff:a00:1).
 *   A stays libknot's (its printer formats through inet_ntop, i.e. snprintf: about
 *   1,800 instructions per record, the largest single step left; a printer of our own
 *   would be record printing by hand, which the project leaves to libknot).
 * - Text: owner by knot_dname_to_str, rdata by knot_rrset_txt_dump_data (the default
 *   dump style: one line, no class or TTL) straight into one growing text buffer (a
 *   trailing blank, which libknot leaves after CAA, cut off; an empty rdata, which
 *   libknot accepts for any type because dynamic updates use it, is malformed); the
 *   records into one growing array. Offsets are kept while printing and turned into
 *   pointers at the end, so growing the buffer never leaves a pointer dangling.
 * - The header and question are not checked here beyond what knot_pkt_parse needs:
 *   dns/match.c has decided that the datagram answers our query. */

#define ARENA_CHUNK  (64 * 1024)
#define ARENA_ALIGN  16
#define TEXT_INITIAL 4096
#define RR_INITIAL   16
#define SCRATCH_LEN  PDNS__WIRE_HDR_LEN

typedef struct chunk chunk;
struct chunk {
    chunk *next;
    size_t cap, used;
    unsigned char *mem;
};

typedef struct rr_off { /* a record while its text may still move */
    size_t name, data;
    uint16_t type;
    uint32_t ttl;
} rr_off;

struct pdns__codec {
    knot_mm_t mm;
    chunk first;  /* kept across decodes */
    chunk *extra; /* released by the next reset */
    knot_pkt_t *pkt;
    knot_mm_t pkt_mm;             /* the allocator the packet itself came from */
    uint8_t scratch[SCRATCH_LEN]; /* the packet's wire between decodes */
    char *text;
    size_t text_cap;
    rr_off *off;
    pdns_answer *rr;
    size_t rr_cap;
    knot_dump_style_t style;
    knot_dump_style_t generic; /* RFC 3597 "\# len hex", for pdns__codec_generic types */
};

/* ---- the arena ------------------------------------------------------------------ */

static void *arena_alloc(void *ctx, size_t len)
{
    pdns__codec *c = ctx;
    chunk *k = c->extra ? c->extra : &c->first;
    size_t at = (k->used + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    if (at + len <= k->cap) {
        k->used = at + len;
        return k->mem + at;
    }
    /* a new chunk, large enough for len */
    size_t cap = len > ARENA_CHUNK ? len : ARENA_CHUNK;
    chunk *n = malloc(sizeof *n + cap + ARENA_ALIGN);
    if (!n)
        return NULL;
    n->mem =
        (unsigned char *)(((uintptr_t)(n + 1) + ARENA_ALIGN - 1) & ~(uintptr_t)(ARENA_ALIGN - 1));
    n->cap = cap;
    n->used = len;
    n->next = c->extra;
    c->extra = n;
    return n->mem;
}

static void arena_free(void *p)
{
    (void)p; /* everything goes at the next reset */
}

static void arena_reset(pdns__codec *c)
{
    while (c->extra) {
        chunk *n = c->extra->next;
        free(c->extra);
        c->extra = n;
    }
    c->first.used = 0;
}

/* knot_pkt_clear keeps the packet's rrset arrays for the next parse; they came from the
 * arena, which is about to be reset: forget them (knot allocates them again). */
static void forget_arrays(knot_pkt_t *pkt)
{
    pkt->rr = NULL;
    pkt->rr_info = NULL;
    pkt->rrset_allocd = 0;
}

/* Drop the last decode's rrsets (no-op frees, with the wire on our scratch header) and
 * empty the arena. */
static void drop_last(pdns__codec *c)
{
    c->pkt->wire = c->scratch;
    c->pkt->max_size = SCRATCH_LEN;
    knot_pkt_clear(c->pkt);
    forget_arrays(c->pkt);
    arena_reset(c);
}

/* ---- life cycle ----------------------------------------------------------------- */

pdns__codec *pdns__codec_new(void)
{
    pdns__codec *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    if (!(c->first.mem = malloc(ARENA_CHUNK)))
        goto fail;
    c->first.cap = ARENA_CHUNK;
    c->mm.ctx = c;
    c->mm.alloc = arena_alloc;
    c->mm.free = arena_free;
    /* the packet itself lives on the heap (knot's default allocator): the arena is
     * reset under it */
    if (!(c->pkt = knot_pkt_new(c->scratch, SCRATCH_LEN, NULL)))
        goto fail;
    c->pkt_mm = c->pkt->mm;
    c->pkt->mm = c->mm;
    if (!(c->text = malloc(TEXT_INITIAL)))
        goto fail;
    c->text_cap = TEXT_INITIAL;
    if (!(c->off = malloc(RR_INITIAL * sizeof *c->off)) ||
        !(c->rr = malloc(RR_INITIAL * sizeof *c->rr)))
        goto fail;
    c->rr_cap = RR_INITIAL;
    c->style = KNOT_DUMP_STYLE_DEFAULT;
    c->style.wrap = false;
    c->style.show_class = false;
    c->style.show_ttl = false;
    c->style.generic = false;
    c->style.ascii_to_idn = NULL;
    c->style.color = NULL;
    c->generic = c->style;
    c->generic.generic = true;
    return c;
fail:
    pdns__codec_free(c);
    return NULL;
}

void pdns__codec_free(pdns__codec *c)
{
    if (!c)
        return;
    if (c->pkt) {
        /* the packet was allocated by knot's default allocator; its rrsets (if any)
         * came from the arena: clear them with the arena's no-op free first */
        c->pkt->wire = c->scratch;
        c->pkt->max_size = SCRATCH_LEN;
        knot_pkt_clear(c->pkt);
        forget_arrays(c->pkt);
        c->pkt->mm = c->pkt_mm;
        knot_pkt_free(c->pkt);
    }
    arena_reset(c);
    free(c->first.mem);
    free(c->text);
    free(c->off);
    free(c->rr);
    free(c);
}

/* ---- walking the sections -------------------------------------------------------- */

/* Skip the RR at *pos of p[0..n): *pos moves past it, *type says its type and *fixed
 * where its fixed fields (type, class, TTL, RDLENGTH) start. 0, or -1 when it runs past
 * the end or its owner is no valid name. */
static int skip_rr(const uint8_t *p, size_t n, size_t *pos, uint16_t *type, size_t *fixed)
{
    int l = knot_dname_wire_check(p + *pos, p + n, p);
    size_t at;
    if (l <= 0)
        return -1;
    at = *pos + (size_t)l;
    if (at + PDNS__WIRE_RR_FIXED > n)
        return -1;
    *fixed = at;
    *type = pdns__wire_read_u16(p + at + PDNS__WIRE_RR_OFF_TYPE);
    at += PDNS__WIRE_RR_FIXED + pdns__wire_read_u16(p + at + PDNS__WIRE_RR_OFF_RDLEN);
    if (at > n)
        return -1;
    *pos = at;
    return 0;
}

/* From pos (the start of the authority section, or of the answer section when skip_an
 * records are to be skipped first), find the first OPT record of the additional
 * section and fold its extended rcode into out->rcode. 0, or -1 when malformed.
 * The OPT record's owner and size were checked by skip_rr; its extended rcode is read
 * by knot_edns_get_ext_rcode from the TTL field. Only an OPT of class 1 (IN) is
 * parsed whole by knot_rrset_rr_from_wire, which refuses one with empty rdata (for a
 * known type in class IN that is a dynamic update's deletion); of every other OPT it
 * accepts any rdata, so parsing those (the rdata copied into the arena: 480
 * instructions per answer) decided nothing. */
static int find_opt(pdns__codec *c, const uint8_t *p, size_t n, size_t pos, unsigned skip,
                    unsigned ns, unsigned ar, int header_only, pdns__codec_answer *out)
{
    uint16_t type;
    size_t fixed;
    for (unsigned i = 0; i < skip + ns; i++)
        if (skip_rr(p, n, &pos, &type, &fixed) != 0)
            return -1;
    for (unsigned i = 0; i < ar; i++) {
        size_t at = pos;
        if (skip_rr(p, n, &pos, &type, &fixed) != 0)
            return -1;
        if (type == KNOT_RRTYPE_OPT) {
            knot_rrset_t opt;
            uint16_t rclass = pdns__wire_read_u16(p + fixed + PDNS__WIRE_RR_OFF_CLASS);
            knot_rrset_init_empty(&opt);
            if (rclass == KNOT_CLASS_IN) {
                if (header_only) /* nothing was parsed: the arena is this answer's now */
                    drop_last(c);
                if (knot_rrset_rr_from_wire(p, &at, n, &opt, &c->mm, false) != KNOT_EOK)
                    return -1;
            } else {
                knot_rrset_init(&opt, NULL, KNOT_RRTYPE_OPT, rclass,
                                pdns__wire_read_u32(p + fixed + PDNS__WIRE_RR_OFF_TTL));
            }
            out->rcode = knot_edns_whole_rcode(knot_edns_get_ext_rcode(&opt), (uint8_t)out->rcode);
            out->edns = 1;
            return 0;
        }
    }
    return 0;
}

/* Where the question section ends (QDCOUNT questions from the header on), or 0. */
static size_t question_end(const uint8_t *p, size_t n)
{
    size_t pos = PDNS__WIRE_HDR_LEN;
    for (unsigned i = pdns__wire_get_qdcount(p); i > 0; i--) {
        int l = knot_dname_wire_check(p + pos, p + n, p);
        if (l <= 0 || pos + (size_t)l + PDNS__WIRE_QFIXED > n)
            return 0;
        pos += (size_t)l + PDNS__WIRE_QFIXED;
    }
    return pos;
}

/* Whether p[12..n) (the question and answer sections, once parsed) holds the two bytes
 * of a compression pointer into the header (C0 00 to C0 0B): no valid name does, but a
 * hostile one may, and such a name would have read the counts zeroed for the parse. A
 * false alarm (the bytes inside some rdata) only costs the full parse. */
static int points_into_header(const uint8_t *p, size_t n)
{
    const uint8_t *q = p + PDNS__WIRE_HDR_LEN, *end = p + n;
    while (q + 1 < end && (q = memchr(q, PDNS__WIRE_PTR_MASK, (size_t)(end - 1 - q))) != NULL) {
        if (q[1] < PDNS__WIRE_HDR_LEN)
            return 1;
        q++;
    }
    return 0;
}

static pdns__codec_status malformed(pdns__codec_answer *out, const char *why)
{
    out->n_rr = 0;
    out->rr = NULL;
    out->why = why;
    return PDNS__CODEC_MALFORMED;
}

static void start_answer(const uint8_t *p, pdns__codec_answer *out)
{
    memset(out, 0, sizeof *out);
    out->rcode = pdns__wire_get_rcode(p);
    out->tc = pdns__wire_get_tc(p);
}

static void begin(pdns__codec *c, const uint8_t *p, pdns__codec_answer *out)
{
    drop_last(c);
    start_answer(p, out);
}

pdns__codec_status pdns__codec_rcode(pdns__codec *c, const uint8_t *p, size_t n, size_t qend,
                                     pdns__codec_answer *out)
{
    size_t q = qend;
    unsigned ar;
    if (n < PDNS__WIRE_HDR_LEN) {
        memset(out, 0, sizeof *out);
        return malformed(out, "answer shorter than a header");
    }
    start_answer(p, out); /* the packet and arena are left as they are unless needed */
    if (!(ar = pdns__wire_get_arcount(p)))
        return PDNS__CODEC_OK;
    if (!q && !(q = question_end(p, n)))
        return malformed(out, "malformed question");
    if (find_opt(c, p, n, q, pdns__wire_get_ancount(p), pdns__wire_get_nscount(p), ar, 1, out) != 0)
        return malformed(out, "malformed answer (cut or bad record after the answer section)");
    return PDNS__CODEC_OK;
}

int pdns__codec_generic(uint16_t type)
{
    switch (type) {
    case KNOT_RRTYPE_IPSECKEY:
    case KNOT_RRTYPE_NSEC3:
    case KNOT_RRTYPE_NSEC3PARAM:
    case KNOT_RRTYPE_SVCB:
    case KNOT_RRTYPE_HTTPS:
    case KNOT_RRTYPE_TSIG:
        return 1;
    default:
        return 0;
    }
}

/* Whether a type bitmap (RFC 4034 4.1.2) is well formed: windows in increasing order,
 * each of 1 to 32 octets, filling the rdata. libknot prints a malformed one by its own
 * reading (a window of 0 octets then one of 44 printed window 2's types as window 1's:
 * fuzz_codec), so such rdata is shown as it is, in generic form. */
static int bitmap_ok(const uint8_t *b, size_t len)
{
    int last = -1;
    size_t i = 0;
    while (i < len) {
        unsigned win, n;
        if (len - i < 2)
            return 0;
        win = b[i];
        n = b[i + 1];
        if ((int)win <= last || n < 1 || n > 32 || n > len - i - 2)
            return 0;
        last = (int)win;
        i += 2 + n;
    }
    return 1;
}

/* Whether rr's rdata is printed in generic form: a type whose libknot printer is unsafe
 * (pdns__codec_generic), or an NSEC or CSYNC whose type bitmap is malformed. */
static int generic_form(const knot_rrset_t *rr)
{
    const knot_rdata_t *rd = rr->rrs.rdata;
    size_t skip;
    if (pdns__codec_generic(rr->type))
        return 1;
    if (rr->type == KNOT_RRTYPE_NSEC)
        skip = knot_dname_size(rd->data); /* uncompressed in the parsed rdata */
    else if (rr->type == KNOT_RRTYPE_CSYNC)
        skip = 6; /* SOA serial, flags */
    else
        return 0;
    return skip > rd->len || !bitmap_ok(rd->data + skip, rd->len - skip);
}

/* ---- text ----------------------------------------------------------------------- */

static int text_grow(pdns__codec *c, size_t need)
{
    size_t cap = c->text_cap;
    char *t;
    while (cap < need)
        cap *= 2;
    if (!(t = realloc(c->text, cap)))
        return -1;
    c->text = t;
    c->text_cap = cap;
    return 0;
}

static int rr_room(pdns__codec *c, size_t n)
{
    size_t cap = c->rr_cap;
    rr_off *o;
    pdns_answer *a;
    if (n <= cap)
        return 0;
    while (cap < n)
        cap *= 2;
    if (!(o = realloc(c->off, cap * sizeof *o)))
        return -1;
    c->off = o;
    if (!(a = realloc(c->rr, cap * sizeof *a)))
        return -1;
    c->rr = a;
    c->rr_cap = cap;
    return 0;
}

/* Print rr's owner (with_owner) or its rdata at c->text + *used; *used moves past the
 * terminating NUL. 0, -1 no memory, -2 libknot cannot print it. */
static int print(pdns__codec *c, const knot_rrset_t *rr, int owner, size_t *used)
{
    for (;;) {
        size_t room = c->text_cap - *used;
        char *dst = c->text + *used;
        int len;
        if (owner) {
            len = knot_dname_to_str(dst, rr->owner, room) ? (int)strlen(dst) : KNOT_ESPACE;
        } else if (rr->type == KNOT_RRTYPE_AAAA && rr->rrs.rdata->len == 16) {
            /* RFC 5952: of two equally long runs of zero fields the first is shortened;
             * libknot shortens the last, inet_ntop the first */
            len = inet_ntop(AF_INET6, rr->rrs.rdata->data, dst, (socklen_t)room) ? (int)strlen(dst)
                                                                                 : KNOT_ESPACE;
        } else {
            len = knot_rrset_txt_dump_data(rr, 0, dst, room,
                                           generic_form(rr) ? &c->generic : &c->style);
        }
        if (len >= 0 && (size_t)len < room) {
            /* knot ends some rdata with a blank (CAA): not part of the text */
            while (len > 0 && dst[len - 1] == ' ')
                dst[--len] = '\0';
            /* libknot accepts an empty rdata of any type (dynamic update's deletions);
             * in an answer it is a broken record (an unknown type's reads "\# 0") */
            if (len == 0 && !owner)
                return -2;
            *used += (size_t)len + 1;
            return 0;
        }
        /* knot_dname_to_str fails only for lack of room (the name was checked when
         * parsed); the dump says KNOT_ESPACE */
        if (len != KNOT_ESPACE || room > 16 * 65536)
            return -2;
        if (text_grow(c, c->text_cap * 2) != 0)
            return -1;
    }
}

pdns__codec_status pdns__codec_decode(pdns__codec *c, uint8_t *p, size_t n, pdns__codec_answer *out)
{
    knot_pkt_t *pkt = c->pkt;
    const knot_pktsection_t *an;
    size_t used = 0, k = 0, after;
    uint16_t ns, ar;
    int r, full;

    if (n < PDNS__WIRE_HDR_LEN || n > UINT16_MAX) {
        memset(out, 0, sizeof *out);
        return malformed(out, "answer shorter than a header");
    }
    full = 0;
again:
    begin(c, p, out);
    ns = pdns__wire_get_nscount(p);
    ar = pdns__wire_get_arcount(p);
    if (!full) { /* the answer section alone: see IMPLEMENTATION NOTES */
        pdns__wire_set_nscount(p, 0);
        pdns__wire_set_arcount(p, 0);
    }
    pkt->wire = p;
    pkt->size = pkt->max_size = n;
    pkt->parsed = 0;
    /* KEEPWIRE: a TSIG record is not cut off the caller's bytes */
    r = knot_pkt_parse(pkt, KNOT_PF_NOCANON | KNOT_PF_KEEPWIRE);
    after = pkt->parsed;
    pdns__wire_set_nscount(p, ns); /* the datagram is the caller's again */
    pdns__wire_set_arcount(p, ar);
    if (r != KNOT_EOK && r != KNOT_ETRAIL) {
        pkt->wire = c->scratch;
        pkt->max_size = SCRATCH_LEN;
        pkt->size = PDNS__WIRE_HDR_LEN;
        return malformed(out, "malformed answer");
    }
    if (!full && points_into_header(p, after)) {
        full = 1; /* a name may have read the zeroed counts: parse it all, untouched */
        pkt->wire = c->scratch;
        pkt->max_size = SCRATCH_LEN;
        pkt->size = PDNS__WIRE_HDR_LEN;
        goto again;
    }
    if (full && pkt->opt_rr) {
        out->rcode =
            knot_edns_whole_rcode(knot_edns_get_ext_rcode(pkt->opt_rr), (uint8_t)out->rcode);
        out->edns = 1;
    } else if (!full && ar && find_opt(c, p, n, after, 0, ns, ar, 0, out) != 0) {
        pkt->wire = c->scratch;
        pkt->max_size = SCRATCH_LEN;
        pkt->size = PDNS__WIRE_HDR_LEN;
        return malformed(out, "malformed answer (cut or bad record after the answer section)");
    }

    an = knot_pkt_section(pkt, KNOT_ANSWER);
    if (rr_room(c, an->count) != 0)
        goto nomem;
    for (uint16_t i = 0; i < an->count; i++) {
        const knot_rrset_t *rr = knot_pkt_rr(an, i);
        if (rr->type == KNOT_RRTYPE_OPT || rr->type == KNOT_RRTYPE_RRSIG)
            continue;
        c->off[k].type = rr->type;
        c->off[k].ttl = rr->ttl;
        c->off[k].name = used;
        if ((r = print(c, rr, 1, &used)) != 0)
            goto fail_print;
        c->off[k].data = used;
        if ((r = print(c, rr, 0, &used)) != 0)
            goto fail_print;
        k++;
    }
    for (size_t i = 0; i < k; i++) {
        c->rr[i].name = c->text + c->off[i].name;
        c->rr[i].data = c->text + c->off[i].data;
        c->rr[i].type = c->off[i].type;
        c->rr[i].ttl = c->off[i].ttl;
    }
    out->n_rr = k;
    out->rr = c->rr;
    pkt->wire = c->scratch;
    pkt->max_size = SCRATCH_LEN;
    pkt->size = PDNS__WIRE_HDR_LEN;
    return PDNS__CODEC_OK;
fail_print:
    if (r == -1)
        goto nomem;
    pkt->wire = c->scratch;
    pkt->max_size = SCRATCH_LEN;
    pkt->size = PDNS__WIRE_HDR_LEN;
    return malformed(out, "malformed answer (a record libknot cannot print)");
nomem:
    pkt->wire = c->scratch;
    pkt->max_size = SCRATCH_LEN;
    pkt->size = PDNS__WIRE_HDR_LEN;
    out->n_rr = 0;
    out->rr = NULL;
    out->why = "out of memory";
    return PDNS__CODEC_NOMEM;
}
