/* test_server.c - server addresses and URLs: plain ADDR[:PORT], tcp://, tls://, https://.
 * SPDX-License-Identifier: MIT */
#include <string.h>

#include "check.h"
#include "format/server.h"

static void ok(const char *in, pdns__proto proto, unsigned port, const char *text, const char *path)
{
    pdns__addr a, b;
    const char *why = "x";
    CHECK(pdns__addr_parse(in, &a, &why) == PDNS_OK);
    CHECK(why == NULL);
    CHECK(a.proto == proto);
    CHECK(a.port == port);
    CHECK_STR(a.text, text);
    CHECK_STR(a.path, path);
    /* the canonical text parses back to the same server */
    CHECK(pdns__addr_parse(a.text, &b, &why) == PDNS_OK);
    CHECK_STR(b.text, a.text);
    CHECK(b.proto == a.proto && b.port == a.port);
}

static void bad(const char *in, const char *why_part)
{
    pdns__addr a;
    const char *why = NULL;
    CHECK(pdns__addr_parse(in, &a, &why) == PDNS_ERR_PARSE);
    CHECK(why != NULL && strstr(why, why_part) != NULL);
    if (!why || !strstr(why, why_part))
        fprintf(stderr, "  '%s': why '%s', wanted '%s'\n", in, why ? why : "(null)", why_part);
}

int main(void)
{
    ok("127.0.0.1", PDNS__PROTO_UDP, 53, "127.0.0.1:53", "");
    ok("127.0.0.1:5300", PDNS__PROTO_UDP, 5300, "127.0.0.1:5300", "");
    ok("::1", PDNS__PROTO_UDP, 53, "[::1]:53", "");
    ok("[::1]:5300", PDNS__PROTO_UDP, 5300, "[::1]:5300", "");
    ok("tcp://127.0.0.1", PDNS__PROTO_TCP, 53, "tcp://127.0.0.1:53", "");
    ok("TCP://127.0.0.1:5300", PDNS__PROTO_TCP, 5300, "tcp://127.0.0.1:5300", "");
    ok("tls://127.0.0.1", PDNS__PROTO_TLS, 853, "tls://127.0.0.1:853", "");
    ok("tls://[::1]:8853", PDNS__PROTO_TLS, 8853, "tls://[::1]:8853", "");
    ok("https://127.0.0.1/dns-query", PDNS__PROTO_HTTPS, 443, "https://127.0.0.1:443/dns-query",
       "/dns-query");
    ok("https://[::1]:8443/q?x=1", PDNS__PROTO_HTTPS, 8443, "https://[::1]:8443/q?x=1", "/q?x=1");
    CHECK_STR(pdns__proto_name(PDNS__PROTO_HTTPS), "https");
    CHECK_STR(pdns__proto_name(PDNS__PROTO_UDP), "udp");

    bad("", "empty");
    bad("udp://127.0.0.1", "unknown scheme");
    bad("quic://127.0.0.1", "unknown scheme");
    bad("tcp://", "empty");
    bad("tls://dns.example:853", "must be an IPv4 or IPv6 address");
    bad("https://127.0.0.1", "without a path");
    bad("https://127.0.0.1:8443", "without a path");
    bad("https://127.0.0.1/a b", "blank");
    bad("tcp://127.0.0.1:53/x", "only allowed in https://");
    bad("127.0.0.1/x", "not an IPv4");
    bad("127.0.0.1/", "not an IPv4");
    bad("tls://127.0.0.1:0", "port");
    bad("tls://127.0.0.1:99999", "port");
    bad("tls://::1", "must be an IPv4 or IPv6");
    bad("https://u@127.0.0.1/q", "user names");
    return CHECK_DONE();
}
