/* fuzz_servers.c - nameserver address parser (pdns__addr_parse) on the data as one
 * string, and the servers-file / resolv.conf readers on it as a file, with oracles.
 * SPDX-License-Identifier: MIT */
#include <sys/socket.h>
#include "fuzz_common.h"
#include "format/server.h"

#define MAX_SEEN 64

typedef struct seen {
    char text[MAX_SEEN][64];
    size_t n;
} seen;

static void check_addr(const char *text)
{
    pdns__addr a, b;
    const char *why = NULL;
    struct sockaddr_storage ss;

    if (pdns__addr_parse(text, &a, &why) != PDNS_OK) {
        FUZZ_CHECK(why != NULL, "error without a reason for '%s'", text);
        return;
    }
    FUZZ_CHECK(a.family == AF_INET || a.family == AF_INET6, "family %d", a.family);
    FUZZ_CHECK(a.port >= 1, "port 0 accepted from '%s'", text);
    FUZZ_CHECK(memchr(a.text, '\0', sizeof a.text) != NULL, "text not terminated");
    /* the canonical text parses back to the same address */
    FUZZ_CHECK(pdns__addr_parse(a.text, &b, &why) == PDNS_OK, "'%s' -> '%s' rejected: %s", text,
               a.text, why);
    FUZZ_CHECK(a.family == b.family && a.port == b.port &&
                   memcmp(a.bytes, b.bytes, sizeof a.bytes) == 0 && strcmp(a.text, b.text) == 0,
               "'%s' -> '%s' -> '%s'", text, a.text, b.text);
    socklen_t sl = pdns__addr_sockaddr(&a, &ss);
    FUZZ_CHECK(ss.ss_family == a.family && sl > 0 && sl <= sizeof ss, "sockaddr");
}

static pdns_status add_cb(const char *text, void *ud)
{
    seen *s = ud;
    pdns__addr a;
    const char *why;
    FUZZ_CHECK(pdns__addr_parse(text, &a, &why) == PDNS_OK, "add('%s') of a bad address", text);
    check_addr(text);
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->text[i], a.text) == 0)
            return PDNS_ERR_INVALID; /* like the runner: a duplicate stops the read */
    if (s->n < MAX_SEEN)
        memcpy(s->text[s->n++], a.text, sizeof a.text);
    return PDNS_OK;
}

static void check_file(const char *path, int resolv)
{
    seen s = {.n = 0};
    char err[256];
    pdns_status st;
    memset(err, 'x', sizeof err);
    err[sizeof err - 1] = '\0';
    st = resolv ? pdns__servers_resolv_conf(path, add_cb, &s, err, sizeof err)
                : pdns__servers_file(path, add_cb, &s, err, sizeof err);
    FUZZ_CHECK(st == PDNS_OK || st == PDNS_ERR_PARSE || st == PDNS_ERR_INVALID, "status %d", st);
    if (st != PDNS_OK)
        FUZZ_CHECK(err[0] && strstr(err, path) == err, "message '%s'", err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    check_addr(text);
    free(text);

    const char *path = fuzz_memfile(data, size);
    check_file(path, 0);
    check_file(path, 1);
    return 0;
}
