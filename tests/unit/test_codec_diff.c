/* test_codec_diff.c - the differential test of the two record codecs: every answer of
 * the wire corpus (tests/fuzz/corpus/fuzz_wire) and of tests/unit/data/codec (NSD
 * answers for awkward records, EDNS answers built by hand), and a deterministic sweep of
 * random rdata over every type number to 269, through libknot
 * (dns/codec.c, the UDP transport's) and getdns (transport/gdrecords.c, the getdns
 * transport's, with its text normalised as that transport does). Both must agree on
 * usable vs malformed and give identical records, up to the differences listed in
 * README (IMPLEMENTATION NOTES: record text); each accepted difference is named here.
 * SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <getdns/getdns_extra.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "dns/codec.h"
#include "dns/wire.h"
#include "codec_table.h"
#include "gdrecords.h"

static int verbose;

static size_t read_file(const char *path, uint8_t *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    size_t n;
    if (!f)
        return 0;
    n = fread(buf, 1, cap, f);
    fclose(f);
    return n;
}

static void dump(const char *who, size_t n, const pdns_answer *rr)
{
    for (size_t i = 0; i < n; i++)
        fprintf(stderr, "  %s: %s %u %u %s\n", who, rr[i].name, rr[i].type, rr[i].ttl, rr[i].data);
}

/* Files in which libknot finds a broken record that getdns still prints (row
 * D_KNOT_STRICTER), with what is broken. */
static const struct {
    const char *file, *why;
} stricter[] = {
    {"getdns-549-overread", "a name running into the next record (getdns #549 read past it)"},
    {"getdns-dict2str-ipseckey-short", "an IPSECKEY rdata shorter than its gateway"},
    {"edns-cut", "an OPT record cut by the end of the datagram"},
};

static int seen[D_ROWS];

/* Types whose odd but readable rdata getdns refuses and libknot prints in their own form
 * (row D_GETDNS_REFUSES): a CAA tag that is not alphanumeric (its bytes escaped), a
 * CSYNC with an empty type bitmap, a URI with an empty target. */
static int getdns_refuses_known(uint16_t type)
{
    return type == KNOT_RRTYPE_CAA || type == KNOT_RRTYPE_CSYNC || type == KNOT_RRTYPE_URI;
}

/* One field (owner or data) of one record: equal, or a listed difference. */
static void diff_text(const char *file, uint16_t type, const char *k, const char *g, int data)
{
    static char a[1 << 18], b[1 << 18];
    if (!strcmp(k, g))
        return;
    if (strlen(k) >= sizeof a / 4 || strlen(g) >= sizeof b / 4) {
        CHECK(!"text too long for the test's buffers");
        return;
    }
    {
        int row = codec_diff_row(type, k, g, data, a, b);
        if (row >= 0) {
            seen[row]++;
            return;
        }
    }
    fprintf(stderr, "%s: unlisted difference in %s of type %u:\n  knot:   %s\n  getdns: %s\n", file,
            data ? "data" : "owner", type, k, g);
    CHECK(!"a difference that README's table does not list");
}

/* One answer through both codecs. */
static void diff_one(pdns__codec *c, const char *name, const uint8_t *wire, size_t n)
{
    uint8_t kbuf[65536], gbuf[65536];
    pdns__codec_answer ka;
    pdns__codec_status ks;
    getdns_dict *msg = NULL;
    pdns__gdrecs recs;
    pdns__reply rep = {0};
    int g_ok, k_ok;

    memcpy(kbuf, wire, n);
    memcpy(gbuf, wire, n);
    ks = pdns__codec_decode(c, kbuf, n, &ka);
    k_ok = ks == PDNS__CODEC_OK;
    CHECK(memcmp(kbuf, wire, n) == 0); /* the datagram is given back as it was */
    g_ok = getdns_wire2msg_dict(gbuf, n, &msg) == GETDNS_RETURN_GOOD && msg;
    memset(&recs, 0, sizeof recs);
    if (g_ok) {
        pdns__gdrecs_from_reply(msg, &rep, &recs);
        g_ok = rep.kind == PDNS__T_ANSWER;
    }
    if (verbose) {
        fprintf(stderr, "%s: knot %s (rcode %d), getdns %s (rcode %d)\n", name,
                k_ok ? "ok" : ka.why, ka.rcode, g_ok ? "ok" : "malformed", rep.rcode);
        if (k_ok)
            dump("knot  ", ka.n_rr, ka.rr);
        if (g_ok)
            dump("getdns", rep.n_rr, rep.rr);
    }
    if (!k_ok && g_ok) {
        int listed = 0;
        for (size_t i = 0; i < sizeof stricter / sizeof stricter[0]; i++)
            listed |= !strcmp(name, stricter[i].file);
        /* the sweep's random rdata rarely fits its type's layout (trailing bytes after a
         * name, a fixed-size type of another size, an OPT record among the answers):
         * libknot refusing it is row D_KNOT_STRICTER, getdns printing it is not a reason
         * to print it */
        listed |= !strncmp(name, "sweep-", 6);
        if (!listed)
            fprintf(stderr, "%s: libknot refuses (%s), getdns prints it: not listed\n", name,
                    ka.why);
        CHECK(listed);
        seen[D_KNOT_STRICTER] += listed;
    } else if (k_ok && !g_ok) {
        int generic = 0;
        for (size_t i = 0; i < ka.n_rr; i++)
            generic |= !strncmp(ka.rr[i].data, "\\# ", 3) || getdns_refuses_known(ka.rr[i].type);
        if (!generic)
            fprintf(stderr, "%s: getdns refuses, libknot prints it: not listed\n", name);
        CHECK(generic);
        seen[D_GETDNS_REFUSES] += generic;
    } else if (k_ok && g_ok) {
        CHECK(ka.n_rr == rep.n_rr);
        if (ka.rcode != rep.rcode) {
            CHECK(ka.edns && (ka.rcode & 0xf) == rep.rcode);
            seen[D_EXT_RCODE]++;
        }
        for (size_t i = 0; i < ka.n_rr && i < rep.n_rr; i++) {
            CHECK(ka.rr[i].type == rep.rr[i].type);
            CHECK(ka.rr[i].ttl == rep.rr[i].ttl);
            diff_text(name, ka.rr[i].type, ka.rr[i].name, rep.rr[i].name, 0);
            diff_text(name, ka.rr[i].type, ka.rr[i].data, rep.rr[i].data, 1);
        }
    }
    pdns__gdrecs_free(&recs);
    if (msg)
        getdns_dict_destroy(msg);
}

static int run_dir(pdns__codec *c, const char *dir)
{
    static uint8_t buf[65536];
    struct dirent **ents;
    int n = scandir(dir, &ents, NULL, alphasort), done = 0;
    CHECK(n > 0);
    if (n < 0) {
        fprintf(stderr, "%s: cannot read the folder (run from tests/unit)\n", dir);
        return 0;
    }
    for (int i = 0; i < n; i++) {
        char path[1024];
        size_t len;
        if (ents[i]->d_name[0] != '.') {
            snprintf(path, sizeof path, "%s/%s", dir, ents[i]->d_name);
            if ((len = read_file(path, buf, sizeof buf)) > 0) {
                diff_one(c, ents[i]->d_name, buf, len);
                done++;
            }
        }
        free(ents[i]);
    }
    free(ents);
    return done;
}

/* A sweep: every type number to 269 and a few above, 12 random rdatas each (random
 * bytes, printable bytes, a name then bytes; lengths 0 to 64), each in an answer of one
 * record, through both printers. Deterministic (xorshift, fixed seed), so a difference
 * the fuzzer would find only by luck is found here every run. */
static uint64_t sweep_rng = 0x2545f4914f6cdd1dull;
static unsigned sweep_rand(unsigned n)
{
    sweep_rng ^= sweep_rng >> 12;
    sweep_rng ^= sweep_rng << 25;
    sweep_rng ^= sweep_rng >> 27;
    return (unsigned)((sweep_rng * 2685821657736338717ull) >> 33) % n;
}

static int sweep(pdns__codec *c)
{
    static const unsigned lens[] = {0, 1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 18, 20, 24, 32, 40, 64};
    /* (k >= 12) small numbers first, as type, flag and algorithm fields hold */
    static const uint8_t small[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 253, 254, 255};
    static const char printable[] = "abcXYZ019-_.\x00\x01\x03\x05\x7f\xff ";
    static const uint8_t head[] = {0x12, 0x34, 0x84, 0x00, 0, 1,   0,   1,   0,   0,
                                   0,    0,    1,    'x',  4, 't', 'e', 's', 't', 0};
    int done = 0;
    for (unsigned t = 1; t <= 272; t++) {
        uint16_t type = t <= 269 ? (uint16_t)t : t == 270 ? 32768 : t == 271 ? 32769 : 65280;
        for (int k = 0; k < 18; k++) {
            uint8_t w[256], *p = w;
            unsigned len = lens[sweep_rand(sizeof lens / sizeof lens[0])], rdlen = 0;
            uint8_t *rd;
            char name[32];
            memcpy(p, head, sizeof head);
            p += sizeof head;
            *p++ = (uint8_t)(type >> 8), *p++ = (uint8_t)type, *p++ = 0, *p++ = 1;
            *p++ = 0xc0, *p++ = 0x0c, *p++ = (uint8_t)(type >> 8), *p++ = (uint8_t)type;
            *p++ = 0, *p++ = 1, *p++ = 0, *p++ = 0, *p++ = 1, *p++ = 0x2c; /* TTL 300 */
            p += 2;
            rd = p;
            if (k % 3 == 2) { /* a name first */
                static const uint8_t nm[] = {2, 'a', 'b', 4, 't', 'e', 's', 't', 0};
                memcpy(p, nm, sizeof nm);
                p += sizeof nm;
            }
            for (unsigned i = 0; i < len; i++)
                *p++ = k % 3 == 1         ? (uint8_t)printable[sweep_rand(sizeof printable - 1)]
                       : k >= 12 && i < 6 ? (uint8_t)small[sweep_rand(sizeof small)]
                                          : (uint8_t)sweep_rand(256);
            rdlen = (unsigned)(p - rd);
            rd[-2] = (uint8_t)(rdlen >> 8), rd[-1] = (uint8_t)rdlen;
            snprintf(name, sizeof name, "sweep-type%u-%d", type, k);
            diff_one(c, name, w, (size_t)(p - w));
            done++;
        }
    }
    return done;
}

int main(void)
{
    pdns__codec *c = pdns__codec_new();
    int n = 0;
    verbose = getenv("PDNS_CODEC_DIFF_VERBOSE") != NULL;
    CHECK(c != NULL);
    if (!c)
        return CHECK_DONE();
    n += run_dir(c, "../fuzz/corpus/fuzz_wire");
    n += run_dir(c, "data/codec");
    printf("%d answers compared", n);
    n = sweep(c);
    printf(", and %d of the sweep over type numbers\n", n);
    CHECK(n >= 60);
    for (int r = 0; r < D_ROWS; r++) {
        printf("  %-20s %d\n", codec_row_name[r], seen[r]);
        CHECK(seen[r] > 0); /* every row of the table is still true */
    }
    pdns__codec_free(c);
    return CHECK_DONE();
}
