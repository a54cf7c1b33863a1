/* server.h - nameserver addresses: parsing "ADDR[:PORT]", servers files, resolv.conf.
 * SPDX-License-Identifier: MIT */
#ifndef PDNS_SERVER_H
#define PDNS_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include "pacedns.h"

typedef struct pdns__addr {
    int family;              /* AF_INET or AF_INET6 */
    unsigned char bytes[16]; /* 4 or 16 address bytes */
    uint16_t port;           /* host order */
    char text[64];           /* canonical "127.0.0.1:53" or "[::1]:53" */
} pdns__addr;

/* Parse "ADDR", "ADDR:PORT", "[V6]:PORT" or a bare IPv6 address (port 53). Port must be
 * 1..65535. On error returns PDNS_ERR_PARSE and *why names the problem. */
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
