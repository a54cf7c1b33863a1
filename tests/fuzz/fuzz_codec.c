/* fuzz_codec.c - arbitrary DNS answers through both record codecs: libknot (dns/codec.c,
 * what both transports print with) and getdns_rr_dict2str (tests/common/gdrecords.c,
 * what pacedns printed before).
 * Oracles on libknot's side: the datagram is given back unchanged; no more records than
 * ANCOUNT; every owner and data is printable ASCII (no raw control or non-ASCII byte
 * can reach a record); every owner reads back as a name (dns/query.c, as the engine
 * reads CNAME targets); the header-only path agrees with the full decode on the rcode;
 * decoding the same bytes twice (the packet and arena reused) gives the same text.
 * When both codecs can use the answer: the same records in the same order (type, TTL)
 * and every text difference a row of the table (tests/common/codec_table.h, README).
 * SPDX-License-Identifier: MIT */
#include <getdns/getdns.h>
#include <getdns/getdns_extra.h>

#include "codec_table.h"
#include "dns/codec.h"
#include "dns/query.h"
#include "dns/wire.h"
#include "fuzz_common.h"
#include "gdrecords.h"

static pdns__codec *codec;

/* getdns_wire2msg_dict reads past malformed messages (getdns #549, see fuzz_wire.c):
 * it gets a zero-padded copy; libknot gets an exact-size heap copy (ASan watches it). */
#define WIRE_PAD 65536
static uint8_t gd_buf[65536 + WIRE_PAD];

static void printable(const char *s, const char *what)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        FUZZ_CHECK(*p >= 0x20 && *p < 0x7f, "%s: byte 0x%02x in \"%s\"", what, *p, s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *k, *again;
    pdns__codec_answer ka, kb, kh;
    pdns__codec_status ks, kbs, khs;
    char **text = NULL;

    if (size > 65535)
        return 0;
    if (!codec && !(codec = pdns__codec_new()))
        abort();
    if (!(k = malloc(size ? size : 1)) || !(again = malloc(size ? size : 1)))
        abort();
    memcpy(k, data, size);
    memcpy(again, data, size);

    ks = pdns__codec_decode(codec, k, size, &ka);
    FUZZ_CHECK(memcmp(k, data, size) == 0, "the datagram was not given back");
    FUZZ_CHECK(ks != PDNS__CODEC_NOMEM, "out of memory");
    if (ks == PDNS__CODEC_OK) {
        FUZZ_CHECK(ka.n_rr <= pdns__wire_get_ancount(data), "%zu records", ka.n_rr);
        if (!(text = calloc(2 * ka.n_rr + 1, sizeof *text)))
            abort();
        for (size_t i = 0; i < ka.n_rr; i++) {
            uint8_t w[PDNS__WIRE_NAME_MAX + 1];
            printable(ka.rr[i].name, "owner");
            printable(ka.rr[i].data, "data");
            FUZZ_CHECK(pdns__dns_name_to_wire(ka.rr[i].name, w, sizeof w) > 0,
                       "owner does not read back: %s", ka.rr[i].name);
            if (!(text[2 * i] = strdup(ka.rr[i].name)) ||
                !(text[2 * i + 1] = strdup(ka.rr[i].data)))
                abort();
        }
        /* the header-only path (no records) reads the same rcode */
        khs = pdns__codec_rcode(codec, data, size, 0, &kh);
        FUZZ_CHECK(khs == PDNS__CODEC_OK && kh.rcode == ka.rcode && kh.tc == ka.tc,
                   "rcode-only: status %d rcode %d vs %d", khs, kh.rcode, ka.rcode);
        /* the same bytes again through the reused packet and arena */
        kbs = pdns__codec_decode(codec, again, size, &kb);
        FUZZ_CHECK(kbs == PDNS__CODEC_OK && kb.n_rr == ka.n_rr && kb.rcode == ka.rcode,
                   "second decode differs");
        for (size_t i = 0; i < kb.n_rr; i++)
            FUZZ_CHECK(!strcmp(kb.rr[i].name, text[2 * i]) &&
                           !strcmp(kb.rr[i].data, text[2 * i + 1]),
                       "second decode: record %zu differs", i);
    }

    /* getdns on the same bytes */
    getdns_dict *msg = NULL;
    memcpy(gd_buf, data, size);
    memset(gd_buf + size, 0, WIRE_PAD);
    if (getdns_wire2msg_dict(gd_buf, size, &msg) == GETDNS_RETURN_GOOD && msg) {
        pdns__gdrecs recs;
        pdns__reply rep = {0};
        if (pdns__gdrecs_from_reply(msg, &rep, &recs) != 0)
            abort();
        if (ks == PDNS__CODEC_OK && rep.kind == PDNS__T_ANSWER) {
            static char a[1 << 20], b[1 << 20];
            FUZZ_CHECK(rep.n_rr == ka.n_rr, "records: getdns %zu, libknot %zu", rep.n_rr, ka.n_rr);
            FUZZ_CHECK(rep.rcode == ka.rcode || (ka.edns && (ka.rcode & 0xf) == rep.rcode),
                       "rcode: getdns %d, libknot %d", rep.rcode, ka.rcode);
            for (size_t i = 0; i < ka.n_rr; i++) {
                const char *kn = text[2 * i], *kd = text[2 * i + 1];
                FUZZ_CHECK(rep.rr[i].type == kb.rr[i].type && rep.rr[i].ttl == kb.rr[i].ttl,
                           "record %zu: type/ttl", i);
                if (strlen(kd) * 4 + 1 > sizeof a || strlen(rep.rr[i].data) * 4 + 1 > sizeof b)
                    continue;
                FUZZ_CHECK(!strcmp(kn, rep.rr[i].name) ||
                               codec_diff_row(rep.rr[i].type, kn, rep.rr[i].name, 0, a, b) >= 0,
                           "owner of type %u: libknot \"%s\", getdns \"%s\" (not in the table)",
                           rep.rr[i].type, kn, rep.rr[i].name);
                FUZZ_CHECK(!strcmp(kd, rep.rr[i].data) ||
                               codec_diff_row(rep.rr[i].type, kd, rep.rr[i].data, 1, a, b) >= 0,
                           "data of type %u: libknot \"%s\", getdns \"%s\" (not in the table)",
                           rep.rr[i].type, kd, rep.rr[i].data);
            }
        }
        pdns__gdrecs_free(&recs);
        getdns_dict_destroy(msg);
    }
    for (size_t i = 0; text && text[i]; i++)
        free(text[i]);
    free(text);
    free(k);
    free(again);
    return 0;
}
