/* server.h - nameserver addresses: parsing "ADDR[:PORT]" and the URL forms tcp://,
 * tls://, https://; servers files, resolv.conf.
 * SPDX-License-Identifier: MIT */
#ifndef PDNS_SERVER_H
#define PDNS_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include "pacedns.h"

/* How queries reach a server (the URL scheme). */
typedef enum pdns__proto {
    PDNS__PROTO_UDP = 0, /* "ADDR[:PORT]": UDP, TCP after a TC answer */
    PDNS__PROTO_TCP,     /* "tcp://ADDR[:PORT]": TCP only (port 53) */
    PDNS__PROTO_TLS,     /* "tls://ADDR[:PORT]": DNS over TLS (port 853) */
    PDNS__PROTO_HTTPS    /* "https://ADDR[:PORT]/PATH": DNS over HTTPS (port 443) */
} pdns__proto;

#define PDNS__ADDR_TEXT_MAX 176 /* canonical text, URL forms included */
#define PDNS__ADDR_PATH_MAX 96  /* https:// path, with its leading '/' */

typedef struct pdns__addr {
    int family;              /* AF_INET or AF_INET6 */
    unsigned char bytes[16]; /* 4 or 16 address bytes */
    uint16_t port;           /* host order */
    pdns__proto proto;
    char host[48];                  /* the address as text: "127.0.0.1" or "::1" */
    char path[PDNS__ADDR_PATH_MAX]; /* https: "/dns-query" (query part kept) */
    char text[PDNS__ADDR_TEXT_MAX]; /* canonical: "127.0.0.1:53", "[::1]:53",
                                       "tls://127.0.0.1:853", "https://[::1]:443/dns-query" */
} pdns__addr;

/* The name of a protocol as stats and records give it: "udp", "tcp", "tls", "https". */
const char *pdns__proto_name(pdns__proto p);

/* Parse "ADDR", "ADDR:PORT", "[V6]:PORT" or a bare IPv6 address (port 53), or one of
 * "tcp://A[:PORT]", "tls://A[:PORT]" (port 853), "https://A[:PORT]/PATH" (port 443;
 * a v6 A in brackets). ADDR is an IP address, never a name (a name would need a DNS
 * lookup that could leave the machine; --tls-name gives the name to verify). Port must
 * be 1..65535. On error returns PDNS_ERR_PARSE and *why names the problem (for a URL,
 * which part). */
pdns_status pdns__addr_parse(const char *text, pdns__addr *out, const char **why);

/* Fill a sockaddr from addr; returns its length. */
socklen_t pdns__addr_sockaddr(const pdns__addr *a, struct sockaddr_storage *ss);

/* Read a servers file: one address per line, '#' comments and blank lines skipped.
 * Calls add(text, ud) for each; stops on the first bad line with PDNS_ERR_PARSE and
 * "FILE:LINE: reason" in err, or PDNS_ERR_IO "cannot open FILE: reason". add returning
 * non-OK stops the read with that status and "FILE:LINE: <strerror>" in err. */
pdns_status pdns__servers_file(const char *path, pdns_status (*add)(const char *, void *), void *ud,
                               char *err, size_t errcap);

/* Same for "nameserver ADDR" lines of a resolv.conf-style file. */
pdns_status pdns__servers_resolv_conf(const char *path, pdns_status (*add)(const char *, void *),
                                      void *ud, char *err, size_t errcap);

#endif
