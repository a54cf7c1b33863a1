/* test_output.c - golden-file tests of the ndjson, text, hosts and zone formats.
 * SPDX-License-Identifier: MIT */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "check.h"
#include "format/input.h"
#include "format/output.h"

#define T_A    1
#define T_MX   15
#define T_PTR  12
#define T_TXT  16
#define T_AAAA 28
#define T_SRV  33

static const pdns_answer a_two[] = {
    {"example.com.", T_A, 300, "192.0.2.1"},
    {"example.com.", T_A, 300, "192.0.2.2"},
};
static const pdns_answer a_mx[] = {
    {"example.net.", T_MX, 3600, "10 mx1.example.net."},
    {"example.net.", T_MX, 3600, "20 mx2.example.net."},
};
static const pdns_answer a_chain[] = {{"edge.example.net.", T_A, 60, "198.51.100.7"}};
static const char *const chain[] = {"cdn.example.org.", "edge.example.net."};
static const pdns_answer a_ptr[] = {{"1.2.0.192.in-addr.arpa.", T_PTR, 86400, "host.example.com."}};
static const pdns_answer a_txt[] = {
    {"txt.example.", T_TXT, 4294967295u, "\"say \\\"hi\\\"\" \"back\\\\slash\""},
};
static const pdns_answer a_v6[] = {
    {"v6.example.", T_AAAA, 30, "2001:db8::1"},
    {"v6.example.", T_AAAA, 30, "2001:db8::2"},
};

/* name, qname, line, qtype, status, rcode, answers, n, cname, n, server, attempts, rtt,
 * error, fcrdns, user, line_records */
static const pdns_result results[] = {
    {"example.com", "example.com.", 1, T_A, PDNS_R_NOERROR, 0, a_two, 2, NULL, 0, "127.0.0.1:53", 1,
     12.3456, NULL, -1, NULL, 1},
    {"example.net", "example.net.", 2, T_MX, PDNS_R_NOERROR, 0, a_mx, 2, NULL, 0, "127.0.0.1:53", 1,
     3.0, NULL, -1, NULL, 1},
    {"www.example.org", "www.example.org.", 3, T_A, PDNS_R_NOERROR, 0, a_chain, 1, chain, 2,
     "[::1]:5353", 3, 0.25, NULL, -1, NULL, 1},
    {"nope.example", "nope.example.", 4, T_A, PDNS_R_NXDOMAIN, 3, NULL, 0, NULL, 0, "127.0.0.1:53",
     1, 1.0, NULL, -1, NULL, 1},
    {"slow.example", "slow.example.", 5, T_A, PDNS_R_TIMEOUT, -1, NULL, 0, NULL, 0, "127.0.0.1:53",
     4, -1, NULL, -1, NULL, 1},
    {"a..b", NULL, 6, T_A, PDNS_R_INVALID_NAME, -1, NULL, 0, NULL, 0, NULL, 0, -1, "empty label",
     -1, NULL, 1},
    {"192.0.2.1", "1.2.0.192.in-addr.arpa.", 7, T_PTR, PDNS_R_NOERROR, 0, a_ptr, 1, NULL, 0,
     "127.0.0.1:53", 2, 100.0005, NULL, 1, NULL, 1},
    {"txt.example", "txt.example.", 8, T_TXT, PDNS_R_NOERROR, 0, a_txt, 1, NULL, 0, "127.0.0.1:53",
     1, 7.5, NULL, -1, NULL, 1},
    {"v6.example.", "v6.example.", 0, T_AAAA, PDNS_R_NOERROR, 0, a_v6, 2, NULL, 0, "127.0.0.1:53",
     1, 0.0, NULL, -1, NULL, 1},
    {"b\xc3\xbc"
     "cher.example",
     "xn--bcher-kva.example.", 10, T_AAAA, PDNS_R_NODATA, 0, NULL, 0, NULL, 0, "127.0.0.1:53", 1,
     2.0, NULL, -1, NULL, 1},
    {"bad\tname\xff", NULL, 11, 65, PDNS_R_ERROR, 2, NULL, 0, NULL, 0, "127.0.0.1:53", 4, -1,
     "getdns error \"x\"\n", 0, NULL, 1},
};

#define N_RESULTS (sizeof results / sizeof results[0])

static char *read_file(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, fp)) > 0) {
        n += got;
        if (n == cap) {
            char *nb = realloc(buf, cap *= 2);
            if (!nb) {
                free(buf);
                buf = NULL;
            }
            buf = nb;
        }
    }
    fclose(fp);
    *len = n;
    return buf;
}

/* Write every result in `fmt` and compare with golden/<file>; PDNS_UPDATE_GOLDEN=1
 * rewrites the golden file instead. */
static void check_golden(pdns__format fmt, const char *file)
{
    char *out = NULL, path[256];
    size_t out_len = 0, gold_len = 0;
    FILE *fp = open_memstream(&out, &out_len);
    CHECK(fp != NULL);
    if (!fp)
        return;
    pdns__output o;
    pdns__output_init(&o, fp, fmt);
    for (size_t i = 0; i < N_RESULTS; i++)
        CHECK(pdns__output_write(&o, &results[i]) == PDNS_OK);
    pdns__output_free(&o);
    fclose(fp);
    snprintf(path, sizeof path, "golden/%s", file);
    if (getenv("PDNS_UPDATE_GOLDEN")) {
        FILE *g = fopen(path, "wb");
        CHECK(g && fwrite(out, 1, out_len, g) == out_len);
        if (g)
            fclose(g);
    }
    char *gold = read_file(path, &gold_len);
    CHECK(gold != NULL);
    CHECK(gold && gold_len == out_len && memcmp(gold, out, out_len) == 0);
    if (gold && (gold_len != out_len || memcmp(gold, out, out_len) != 0))
        fprintf(stderr, "%s differs; got:\n%.*s", path, (int)out_len, out);
    free(gold);
    free(out);
}

/* Every ndjson line parses, and a big record grows the reused buffer. */
static void test_ndjson_parse(void)
{
    char *out = NULL;
    size_t out_len = 0;
    FILE *fp = open_memstream(&out, &out_len);
    if (!fp)
        return;
    size_t big_len = 200000;
    char *big = malloc(big_len + 1);
    memset(big, 'x', big_len);
    big[0] = big[big_len - 1] = '"';
    big[big_len] = '\0';
    pdns_answer a = {"big.example.", T_TXT, 1, big};
    pdns_result r = results[7];
    r.name = "big.example";
    r.qname = "big.example.";
    r.answers = &a;
    pdns__output o;
    pdns__output_init(&o, fp, PDNS__FMT_NDJSON);
    for (size_t i = 0; i < N_RESULTS; i++)
        CHECK(pdns__output_write(&o, &results[i]) == PDNS_OK);
    CHECK(pdns__output_write(&o, &r) == PDNS_OK);
    CHECK(o.cap > big_len);
    CHECK(pdns__output_write(&o, &results[0]) == PDNS_OK); /* reuses the big buffer */
    pdns__output_free(&o);
    fclose(fp);

    size_t lines = 0;
    for (char *p = out, *nl; p < out + out_len; p = nl + 1) {
        nl = memchr(p, '\n', (size_t)(out + out_len - p));
        CHECK(nl != NULL);
        if (!nl)
            break;
        *nl = '\0';
        cJSON *doc = cJSON_Parse(p);
        CHECK(doc != NULL && cJSON_IsObject(doc));
        CHECK(cJSON_GetObjectItemCaseSensitive(doc, "name") != NULL);
        if (lines == N_RESULTS) {
            cJSON *ans = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "answers"), 0);
            cJSON *data = cJSON_GetObjectItem(ans, "data");
            CHECK(cJSON_IsString(data) && strcmp(data->valuestring, big) == 0);
        }
        cJSON_Delete(doc);
        lines++;
    }
    CHECK(lines == N_RESULTS + 2);
    free(big);
    free(out);
}

/* JSON string values: strings of every length up to 26 with every byte value at every
 * position (the writer copies plain text eight bytes at a time) read back (cJSON) as
 * pdns__escape_bytes's text, and are written as that text with only '"' and '\\'
 * escaped. */
static void test_json_strings(void)
{
    char *out = NULL;
    size_t out_len = 0;
    FILE *fp = open_memstream(&out, &out_len);
    pdns__output o;
    int bad = 0;
    if (!fp)
        return;
    pdns__output_init(&o, fp, PDNS__FMT_NDJSON);
    for (size_t len = 1; len <= 26 && !bad; len++) {
        for (size_t pos = 0; pos < len && !bad; pos++) {
            for (int v = 1; v < 256 && !bad; v++) {
                char s[48], esc[48 * 4 + 1], want[48 * 8 + 3];
                size_t n = 0;
                pdns_result r = results[5]; /* INVALID_NAME: name and error */
                for (size_t i = 0; i < len; i++)
                    s[i] = (char)('a' + i % 26);
                s[pos] = (char)v;
                s[len] = '\0';
                r.error = s;
                fflush(fp);
                size_t start = out_len;
                CHECK(pdns__output_write(&o, &r) == PDNS_OK);
                fflush(fp);
                pdns__escape_bytes(s, len, esc, sizeof esc);
                want[n++] = '"';
                for (const char *e = esc; *e; e++) {
                    if (*e == '"' || *e == '\\')
                        want[n++] = '\\';
                    want[n++] = *e;
                }
                want[n++] = '"';
                want[n] = '\0';
                const char *line = out + start, *f = strstr(line, ",\"error\":");
                if (!f || strncmp(f + 9, want, n) != 0 || f[9 + n] != '}') {
                    fprintf(stderr, "json string of %zu bytes, 0x%02x at %zu: %.*s\n", len, v, pos,
                            (int)(out_len - start), line);
                    bad = 1;
                }
                cJSON *doc = cJSON_ParseWithLength(line, out_len - start);
                cJSON *e = cJSON_GetObjectItemCaseSensitive(doc, "error");
                if (!cJSON_IsString(e) || strcmp(e->valuestring, esc) != 0)
                    bad = 1;
                cJSON_Delete(doc);
            }
        }
    }
    CHECK(!bad);
    pdns__output_free(&o);
    fclose(fp);
    free(out);
}

/* Numbers are written without printf: "line" (64 bits) and "ttl" (32 bits) as
 * snprintf writes them, for 0 to 100,000, around every power of ten and the maxima. */
static void test_numbers(void)
{
    char *out = NULL;
    size_t out_len = 0;
    FILE *fp = open_memstream(&out, &out_len);
    pdns__output o;
    int bad = 0;
    if (!fp)
        return;
    pdns__output_init(&o, fp, PDNS__FMT_NDJSON);
    for (uint64_t k = 0; k < 100000 + 20 * 7 + 2 && !bad; k++) {
        uint64_t v = k;
        char want[96];
        pdns_answer a = {"x.example.", T_A, 0, "192.0.2.1"};
        pdns_result r = results[0];
        if (k >= 100000 && k < 100000 + 20 * 7) { /* 10^e - 3 .. 10^e + 3, e = 1..19 */
            uint64_t p10 = 1;
            for (uint64_t e = (k - 100000) / 7 + 1; e > 0 && e < 20; e--)
                p10 *= 10;
            v = p10 + (k - 100000) % 7 - 3;
        } else if (k >= 100000 + 20 * 7) {
            v = k % 2 ? UINT64_MAX : UINT32_MAX;
        }
        a.ttl = (uint32_t)v;
        r.line = v ? v : 1;
        r.answers = &a;
        r.n_answers = 1;
        fflush(fp);
        size_t start = out_len;
        CHECK(pdns__output_write(&o, &r) == PDNS_OK);
        fflush(fp);
        snprintf(want, sizeof want, ",\"line\":%llu,", (unsigned long long)r.line);
        if (!strstr(out + start, want))
            bad = 1;
        snprintf(want, sizeof want, ",\"ttl\":%lu,", (unsigned long)a.ttl);
        if (!strstr(out + start, want))
            bad = 1;
        if (bad)
            fprintf(stderr, "number %llu: %s", (unsigned long long)v, out + start);
    }
    CHECK(!bad);
    pdns__output_free(&o);
    fclose(fp);
    free(out);
}

/* Write r with a writer of its own into out; returns the length (0 on failure). */
static size_t write_alone(const pdns_result *r, char *out, size_t cap)
{
    char *buf = NULL;
    size_t n = 0, got = 0;
    FILE *fp = open_memstream(&buf, &n);
    pdns__output o;
    if (!fp)
        return 0;
    pdns__output_init(&o, fp, PDNS__FMT_NDJSON);
    if (pdns__output_write(&o, r) == PDNS_OK && fflush(fp) == 0 && n < cap) {
        memcpy(out, buf, n);
        got = n;
    }
    pdns__output_free(&o);
    fclose(fp);
    free(buf);
    return got;
}

/* The record's type, status and rcode, and each answer's type, are written from a
 * text kept while they repeat: a writer that has written other records writes the
 * same bytes as a fresh one, over every status and a mix of types and rcodes, in an
 * order where each of them changes alone. */
static void test_repeated_heads(void)
{
    static const uint16_t types[] = {T_A, T_AAAA, 65, 0, 65535};
    static const int rcodes[] = {-1, 0, 3, 16, 23, 4095};
    char *out = NULL;
    size_t out_len = 0;
    FILE *fp = open_memstream(&out, &out_len);
    pdns__output o;
    int bad = 0;
    if (!fp)
        return;
    pdns__output_init(&o, fp, PDNS__FMT_NDJSON);
    for (int round = 0; round < 2; round++)
        for (size_t t = 0; t < sizeof types / sizeof types[0]; t++)
            for (int st = 0; st < PDNS_R_COUNT; st++)
                for (size_t rc = 0; rc < sizeof rcodes / sizeof rcodes[0]; rc++) {
                    pdns_answer a[2] = {{"x.example.", types[(t + rc) % 5], 60, "d"},
                                        {"x.example.", types[(t + st) % 5], 60, "e"}};
                    pdns_result r = results[0];
                    char alone[2048];
                    r.qtype = types[t];
                    r.status = (pdns_rstatus)st;
                    r.rcode = rcodes[rc];
                    r.answers = a;
                    r.n_answers = round ? 2 : 1;
                    fflush(fp);
                    size_t start = out_len, n = write_alone(&r, alone, sizeof alone);
                    CHECK(pdns__output_write(&o, &r) == PDNS_OK);
                    fflush(fp);
                    if (n == 0 || out_len - start != n || memcmp(out + start, alone, n) != 0) {
                        fprintf(stderr, "written after others:\n%.*salone:\n%.*s",
                                (int)(out_len - start), out + start, (int)n, alone);
                        bad++;
                    }
                }
    CHECK(bad == 0);
    pdns__output_free(&o);
    fclose(fp);
    free(out);
}

static void test_format_names(void)
{
    pdns__format f = PDNS__FMT_ZONE;
    CHECK(pdns__format_from_name("ndjson", &f) == PDNS_OK && f == PDNS__FMT_NDJSON);
    CHECK(pdns__format_from_name("text", &f) == PDNS_OK && f == PDNS__FMT_TEXT);
    CHECK(pdns__format_from_name("HOSTS", &f) == PDNS_OK && f == PDNS__FMT_HOSTS);
    CHECK(pdns__format_from_name("zone", &f) == PDNS_OK && f == PDNS__FMT_ZONE);
    CHECK(pdns__format_from_name("json", &f) == PDNS_ERR_PARSE);
    CHECK(pdns__format_from_name("", &f) == PDNS_ERR_PARSE);
    CHECK(pdns__format_from_name(NULL, &f) == PDNS_ERR_PARSE);
    CHECK(f == PDNS__FMT_ZONE);
}

/* Write results r[0..n) in fmt to memory; the caller frees the text. */
static char *write_all(pdns__format fmt, const pdns_result *r, size_t n)
{
    char *out = NULL;
    size_t out_len = 0;
    FILE *fp = open_memstream(&out, &out_len);
    CHECK(fp != NULL);
    if (!fp)
        return NULL;
    pdns__output o;
    pdns__output_init(&o, fp, fmt);
    for (size_t i = 0; i < n; i++)
        CHECK(pdns__output_write(&o, &r[i]) == PDNS_OK);
    pdns__output_free(&o);
    fclose(fp);
    return out;
}

/* rtt_ms is written without printf (format/output.c: pdns__ms3) and must still be
 * exactly printf's "%.3f": values on and around every rounding tie in [0, 10 s), random
 * values, and large ones (the snprintf path). */
static void test_rtt_digits(void)
{
    static const double fixed[] = {0,           0.0005, 0.0015, 0.0025, 1.0005,   2.5,
                                   0.1234999,   0.1235, 0.9995, 9.9995, 999.9995, 123456.7885,
                                   999999.9999, 1e6,    1.5e6,  1e12,   4e15};
    uint64_t x = 88172645463325252ull;
    int bad = 0;
    for (size_t k = 0; k < sizeof fixed / sizeof fixed[0] + 200000; k++) {
        double v;
        if (k < sizeof fixed / sizeof fixed[0]) {
            v = fixed[k];
        } else if (k % 2) { /* ties: n/1000 + 0.0005, and their neighbours */
            double t = (double)(k % 20000) / 1000.0 + 0.0005;
            v = (k % 3 == 0) ? t : (k % 3 == 1) ? nextafter(t, 0) : nextafter(t, 1e9);
        } else { /* xorshift: any value below 2,000 ms */
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            v = (double)(x >> 11) / (double)(1ull << 53) * 2000.0;
        }
        pdns_result r = {.name = "a.example.",
                         .qtype = 1,
                         .status = PDNS_R_NOERROR,
                         .rcode = 0,
                         .rtt_ms = v,
                         .fcrdns = -1};
        char want[400], *got = write_all(PDNS__FMT_NDJSON, &r, 1), *p;
        snprintf(want, sizeof want, "\"rtt_ms\":%.3f}", v);
        p = got ? strstr(got, "\"rtt_ms\":") : NULL;
        if (!p || strncmp(p, want, strlen(want)) != 0) {
            if (bad++ < 5)
                fprintf(stderr, "rtt %.17g: got %s want %s\n", v, p ? p : "(none)", want);
        }
        free(got);
    }
    CHECK(bad == 0);
}

/* Zone output of names a hostile server chose: nothing may read as a master-file
 * directive, origin, string, comment or group; escapes are \DDD; records outside the
 * queried name's CNAME chain are not written; the chain's CNAMEs are. */
static void test_zone_hostile(void)
{
    static const char *const evil_chain[] = {"$INCLUDE.evil.", "@.evil."};
    static const pdns_answer evil_ans[] = {
        {"@.evil.", T_A, 5, "192.0.2.1"},
        {"$ORIGIN.evil.", T_A, 5, "192.0.2.66"}, /* not on the chain */
        {"other.test.", T_A, 5, "192.0.2.67"},   /* not on the chain */
    };
    static const pdns_answer odd_ans[] = {
        {"a\\.b\\$x\"y(z);w.test.", T_MX, 7, "10 $TTL.evil."},
        {"a\\.b\\$x\"y(z);w.test.", T_TXT, 7, "\"bell\x07\" \"ok\""},
        {"a\\.b\\$x\"y(z);w.test.", T_SRV, 7, "1 2 53 \"q\\032s.evil"},
    };
    static const pdns_answer stray_ans[] = {{"$INCLUDE/etc/passwd.evil.", T_A, 5, "192.0.2.68"}};
    static const pdns_result r[] = {
        {"x.test", "x.test.", 1, T_A, PDNS_R_NOERROR, 0, evil_ans, 3, evil_chain, 2, "127.0.0.1:53",
         1, 1.0, NULL, -1, NULL, 1},
        {"a\\.b\\$x\"y(z);w.test", "a\\.b\\$x\"y(z);w.test.", 2, 255, PDNS_R_NOERROR, 0, odd_ans, 3,
         NULL, 0, "127.0.0.1:53", 1, 1.0, NULL, -1, NULL, 1},
        {"y.test", "y.test.", 3, T_A, PDNS_R_NOERROR, 0, stray_ans, 1, NULL, 0, "127.0.0.1:53", 1,
         1.0, NULL, -1, NULL, 1},
        {"z.test", "z.test.", 4, T_A, PDNS_R_NXDOMAIN, 3, NULL, 0, evil_chain, 1, "127.0.0.1:53", 1,
         1.0, NULL, -1, NULL, 1},
    };
    char *out = write_all(PDNS__FMT_ZONE, r, sizeof r / sizeof r[0]);
    CHECK_STR(out,
              "x.test.\t0\tIN\tCNAME\t\\036INCLUDE.evil.\n"
              "\\036INCLUDE.evil.\t0\tIN\tCNAME\t\\064.evil.\n"
              "\\064.evil.\t5\tIN\tA\t192.0.2.1\n"
              "a\\.b\\036x\\034y\\040z\\041\\059w.test.\t7\tIN\tMX\t10 \\036TTL.evil.\n"
              "a\\.b\\036x\\034y\\040z\\041\\059w.test.\t7\tIN\tTXT\t\"bell\\007\" \"ok\"\n"
              "a\\.b\\036x\\034y\\040z\\041\\059w.test.\t7\tIN\tSRV\t1 2 53 \\034q\\032s.evil.\n"
              "; y.test A NOERROR\n"
              "z.test.\t0\tIN\tCNAME\t\\036INCLUDE.evil.\n"
              "; z.test A NXDOMAIN\n");
    free(out);
}

/* Hosts lines carry the queried name's A-labels, not the UTF-8 input. */
static void test_hosts_alabel(void)
{
    static const pdns_answer ans[] = {{"xn--fa-hia.de.", T_A, 5, "192.0.2.1"}};
    static const pdns_result r[] = {{"fa\xc3\x9f.de", "xn--fa-hia.de.", 1, T_A, PDNS_R_NOERROR, 0,
                                     ans, 1, NULL, 0, "127.0.0.1:53", 1, 1.0, NULL, -1, NULL, 1}};
    char *out = write_all(PDNS__FMT_HOSTS, r, 1);
    CHECK_STR(out, "192.0.2.1\txn--fa-hia.de\n");
    free(out);
}

/* A stream that cannot be written reports PDNS_ERR_IO. */
/* --dnssec and --nsid=record: "ad", "rrsig" and "nsid" after the other fields, only when
 * set (the golden records above have none: their output is unchanged). */
static void test_ndjson_edns(void)
{
    static const pdns_answer ans[] = {{"s.test.", T_A, 5, "192.0.2.1"}};
    pdns_result r[2];
    memset(r, 0, sizeof r);
    r[0] = (pdns_result){.name = "s.test",
                         .qname = "s.test.",
                         .line = 1,
                         .qtype = T_A,
                         .status = PDNS_R_NOERROR,
                         .rcode = 0,
                         .answers = ans,
                         .n_answers = 1,
                         .server = "127.0.0.1:53",
                         .attempts = 1,
                         .rtt_ms = 1.0,
                         .fcrdns = -1,
                         .has_dnssec = 1,
                         .ad = 1,
                         .rrsig = 2,
                         .nsid = "ns\"1"};
    r[1] = (pdns_result){.name = "n.test",
                         .qname = "n.test.",
                         .line = 2,
                         .qtype = T_A,
                         .status = PDNS_R_NXDOMAIN,
                         .rcode = 3,
                         .server = "127.0.0.1:53",
                         .attempts = 1,
                         .rtt_ms = 1.0,
                         .fcrdns = -1,
                         .has_dnssec = 1};
    char *out = write_all(PDNS__FMT_NDJSON, r, 2);
    CHECK_STR(out, "{\"name\":\"s.test\",\"line\":1,\"type\":\"A\",\"status\":\"NOERROR\","
                   "\"rcode\":\"NOERROR\",\"answers\":[{\"name\":\"s.test.\",\"type\":\"A\","
                   "\"ttl\":5,\"data\":\"192.0.2.1\"}],\"cname\":[],\"server\":\"127.0.0.1:53\","
                   "\"attempts\":1,\"rtt_ms\":1.000,\"ad\":true,\"rrsig\":2,\"nsid\":\"ns\\\"1\"}\n"
                   "{\"name\":\"n.test\",\"line\":2,\"type\":\"A\",\"status\":\"NXDOMAIN\","
                   "\"rcode\":\"NXDOMAIN\",\"answers\":[],\"cname\":[],\"server\":\"127.0.0.1:53\","
                   "\"attempts\":1,\"rtt_ms\":1.000,\"ad\":false,\"rrsig\":0}\n");
    free(out);
}

static void test_write_error(void)
{
    FILE *fp = fopen("/dev/null", "r");
    CHECK(fp != NULL);
    if (!fp)
        return;
    pdns__output o;
    pdns__output_init(&o, fp, PDNS__FMT_TEXT);
    CHECK(pdns__output_write(&o, &results[0]) == PDNS_ERR_IO);
    pdns__output_free(&o);
    pdns__output_init(&o, fp, PDNS__FMT_HOSTS); /* nothing to write: no error */
    CHECK(pdns__output_write(&o, &results[3]) == PDNS_OK);
    pdns__output_free(&o);
    fclose(fp);
}

int main(void)
{
    test_ndjson_edns();
    check_golden(PDNS__FMT_NDJSON, "results.ndjson");
    check_golden(PDNS__FMT_TEXT, "results.txt");
    check_golden(PDNS__FMT_HOSTS, "results.hosts");
    check_golden(PDNS__FMT_ZONE, "results.zone");
    test_ndjson_parse();
    test_json_strings();
    test_numbers();
    test_repeated_heads();
    test_format_names();
    test_write_error();
    test_zone_hostile();
    test_hosts_alabel();
    test_rtt_digits();
    return CHECK_DONE();
}
