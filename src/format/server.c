/* server.c - nameserver addresses: parsing "ADDR[:PORT]", servers files, resolv.conf.
 * SPDX-License-Identifier: MIT */
#include "format/server.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse_port(const char *s, uint16_t *port)
{
    char *end;
    long v;
    if (!*s || !isdigit((unsigned char)*s))
        return -1;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || *end || v < 1 || v > 65535)
        return -1;
    *port = (uint16_t)v;
    return 0;
}

/* Contract: see server.h. Accepted forms, in order of checks: "[v6]" or "[v6]:port";
 * text with two or more ':' is a bare IPv6 address; "v4" or "v4:port". */
pdns_status pdns__addr_parse(const char *text, pdns__addr *out, const char **why)
{
    char host[64];
    const char *port_s = NULL;
    const char *colon;
    size_t len;

    memset(out, 0, sizeof *out);
    out->port = 53;
    *why = NULL;
    if (!text || !*text) {
        *why = "empty server address";
        return PDNS_ERR_PARSE;
    }
    if (text[0] == '[') {
        const char *close = strchr(text, ']');
        if (!close) {
            *why = "missing ']' in IPv6 server address";
            return PDNS_ERR_PARSE;
        }
        len = (size_t)(close - text - 1);
        if (len >= sizeof host)
            goto bad_addr;
        memcpy(host, text + 1, len);
        host[len] = '\0';
        if (close[1] == ':')
            port_s = close + 2;
        else if (close[1] != '\0')
            goto bad_addr;
        out->family = AF_INET6;
    } else if ((colon = strchr(text, ':')) && strchr(colon + 1, ':')) {
        if (strlen(text) >= sizeof host)
            goto bad_addr;
        strcpy(host, text);
        out->family = AF_INET6;
    } else {
        len = colon ? (size_t)(colon - text) : strlen(text);
        if (len >= sizeof host)
            goto bad_addr;
        memcpy(host, text, len);
        host[len] = '\0';
        if (colon)
            port_s = colon + 1;
        out->family = AF_INET;
    }
    if (inet_pton(out->family, host, out->bytes) != 1)
        goto bad_addr;
    if (port_s && parse_port(port_s, &out->port) != 0) {
        *why = "port must be a number from 1 to 65535";
        return PDNS_ERR_PARSE;
    }
    {
        char abuf[INET6_ADDRSTRLEN];
        inet_ntop(out->family, out->bytes, abuf, sizeof abuf);
        snprintf(out->text, sizeof out->text, out->family == AF_INET6 ? "[%s]:%u" : "%s:%u", abuf,
                 (unsigned)out->port);
    }
    return PDNS_OK;
bad_addr:
    *why = "not an IPv4 or IPv6 address";
    return PDNS_ERR_PARSE;
}

socklen_t pdns__addr_sockaddr(const pdns__addr *a, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof *ss);
    if (a->family == AF_INET) {
        struct sockaddr_in *sin = (struct sockaddr_in *)ss;
        sin->sin_family = AF_INET;
        sin->sin_port = htons(a->port);
        memcpy(&sin->sin_addr, a->bytes, 4);
        return sizeof *sin;
    }
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(a->port);
    memcpy(&sin6->sin6_addr, a->bytes, 16);
    return sizeof *sin6;
}

/* Shared reader: for each non-blank, non-comment line, take the first word (or, when
 * keyword is set, the word after a leading keyword) and validate it. */
static pdns_status read_list(const char *path, const char *keyword,
                             pdns_status (*add)(const char *, void *), void *ud, char *err,
                             size_t errcap)
{
    FILE *fp = fopen(path, "r");
    char line[1024];
    unsigned long lineno = 0;
    pdns_status st = PDNS_OK;

    if (!fp) {
        snprintf(err, errcap, "cannot open %s: %s", path, strerror(errno));
        return PDNS_ERR_IO;
    }
    while (fgets(line, sizeof line, fp)) {
        char *p = line, *word, *end;
        pdns__addr a;
        const char *why;
        lineno++;
        if (!strchr(line, '\n') && !feof(fp)) {
            snprintf(err, errcap, "%s:%lu: line too long", path, lineno);
            st = PDNS_ERR_PARSE;
            break;
        }
        while (isspace((unsigned char)*p))
            p++;
        if (*p == '#' || *p == ';' || *p == '\0')
            continue;
        if (keyword) {
            size_t kl = strlen(keyword);
            if (strncmp(p, keyword, kl) != 0 || !isspace((unsigned char)p[kl]))
                continue;
            p += kl;
            while (isspace((unsigned char)*p))
                p++;
        }
        word = p;
        end = p;
        while (*end && !isspace((unsigned char)*end) && *end != '#')
            end++;
        *end = '\0';
        if (pdns__addr_parse(word, &a, &why) != PDNS_OK) {
            snprintf(err, errcap, "%s:%lu: bad server address '%s': %s", path, lineno, word, why);
            st = PDNS_ERR_PARSE;
            break;
        }
        if ((st = add(word, ud)) != PDNS_OK) {
            snprintf(err, errcap, "%s:%lu: server '%s': %s", path, lineno, word,
                     st == PDNS_ERR_INVALID ? "duplicate server" : pdns_strerror(st));
            break;
        }
    }
    if (st == PDNS_OK && ferror(fp)) {
        snprintf(err, errcap, "cannot read %s: %s", path, strerror(errno));
        st = PDNS_ERR_IO;
    }
    fclose(fp);
    return st;
}

pdns_status pdns__servers_file(const char *path, pdns_status (*add)(const char *, void *), void *ud,
                               char *err, size_t errcap)
{
    return read_list(path, NULL, add, ud, err, errcap);
}

pdns_status pdns__servers_resolv_conf(const char *path, pdns_status (*add)(const char *, void *),
                                      void *ud, char *err, size_t errcap)
{
    return read_list(path, "nameserver", add, ud, err, errcap);
}
