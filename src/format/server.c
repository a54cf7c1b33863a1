/* server.c - nameserver addresses: parsing "ADDR[:PORT]" and the URL forms, servers
 * files, resolv.conf.
 * SPDX-License-Identifier: MIT */
#include "format/server.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

const char *pdns__proto_name(pdns__proto p)
{
    switch (p) {
    case PDNS__PROTO_TCP:
        return "tcp";
    case PDNS__PROTO_TLS:
        return "tls";
    case PDNS__PROTO_HTTPS:
        return "https";
    case PDNS__PROTO_UDP:
    default:
        return "udp";
    }
}

/* "ADDR[:PORT]" as in a plain server address (Contract: see server.h). Accepted forms,
 * in order of checks: "[v6]" or "[v6]:port"; text with two or more ':' is a bare IPv6
 * address (only when bare_v6); "v4" or "v4:port". */
static pdns_status parse_hostport(const char *text, int bare_v6, pdns__addr *out, const char **why)
{
    char host[64];
    const char *port_s = NULL;
    const char *colon;
    size_t len;

    if (!*text) {
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
    } else if (bare_v6 && (colon = strchr(text, ':')) && strchr(colon + 1, ':')) {
        if (strlen(text) >= sizeof host)
            goto bad_addr;
        strcpy(host, text);
        out->family = AF_INET6;
    } else {
        colon = strchr(text, ':');
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
    inet_ntop(out->family, out->bytes, out->host, sizeof out->host);
    return PDNS_OK;
bad_addr:
    *why = "not an IPv4 or IPv6 address";
    return PDNS_ERR_PARSE;
}

/* Contract: see server.h. */
pdns_status pdns__addr_parse(const char *text, pdns__addr *out, const char **why)
{
    static const struct {
        const char *prefix;
        pdns__proto proto;
        uint16_t port;
    } schemes[] = {{"tcp://", PDNS__PROTO_TCP, 53},
                   {"tls://", PDNS__PROTO_TLS, 853},
                   {"https://", PDNS__PROTO_HTTPS, 443}};
    char hp[PDNS__ADDR_TEXT_MAX];
    const char *rest = text, *sep;
    pdns_status st;
    size_t len;

    memset(out, 0, sizeof *out);
    out->port = 53;
    *why = NULL;
    if (!text || !*text) {
        *why = "empty server address";
        return PDNS_ERR_PARSE;
    }
    sep = strstr(text, "://");
    if (sep) {
        size_t k;
        for (k = 0; k < sizeof schemes / sizeof schemes[0]; k++)
            if (strncasecmp(text, schemes[k].prefix, strlen(schemes[k].prefix)) == 0)
                break;
        if (k == sizeof schemes / sizeof schemes[0]) {
            *why = "unknown scheme (tcp://, tls:// or https://)";
            return PDNS_ERR_PARSE;
        }
        out->proto = schemes[k].proto;
        out->port = schemes[k].port;
        rest = text + strlen(schemes[k].prefix);
    }
    len = strcspn(rest, "/");
    if (out->proto != PDNS__PROTO_HTTPS && rest[len] == '/') {
        *why = out->proto == PDNS__PROTO_UDP ? "not an IPv4 or IPv6 address"
                                             : "a path is only allowed in https:// URLs";
        return PDNS_ERR_PARSE;
    }
    if (out->proto == PDNS__PROTO_HTTPS) {
        const char *p = rest + len;
        if (*p != '/' || strlen(p) >= sizeof out->path) {
            *why = *p != '/' ? "https:// URL without a path (e.g. /dns-query)"
                             : "https:// URL path too long";
            return PDNS_ERR_PARSE;
        }
        for (const char *c = p; *c; c++)
            if ((unsigned char)*c <= ' ' || (unsigned char)*c >= 0x7f || *c == '#') {
                *why = "https:// URL path has a blank, control, '#' or non-ASCII byte";
                return PDNS_ERR_PARSE;
            }
        strcpy(out->path, p);
    }
    if (len >= sizeof hp) {
        *why = "not an IPv4 or IPv6 address";
        return PDNS_ERR_PARSE;
    }
    memcpy(hp, rest, len);
    hp[len] = '\0';
    if (sep && strchr(hp, '@')) {
        *why = "user names are not allowed in server URLs";
        return PDNS_ERR_PARSE;
    }
    if ((st = parse_hostport(hp, !sep, out, why)) != PDNS_OK) {
        if (sep && *why && strcmp(*why, "not an IPv4 or IPv6 address") == 0)
            *why = "the URL's host must be an IPv4 or IPv6 address (IPv6 in brackets); "
                   "a name would need a DNS lookup (see --tls-name)";
        return st;
    }
    {
        char hostport[64];
        snprintf(hostport, sizeof hostport, out->family == AF_INET6 ? "[%s]:%u" : "%s:%u",
                 out->host, (unsigned)out->port);
        if (out->proto == PDNS__PROTO_UDP)
            snprintf(out->text, sizeof out->text, "%s", hostport);
        else
            snprintf(out->text, sizeof out->text, "%s://%s%s", pdns__proto_name(out->proto),
                     hostport, out->path);
    }
    return PDNS_OK;
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
            snprintf(err, errcap, "%s:%lu: bad server %s '%s': %s", path, lineno,
                     strstr(word, "://") ? "URL" : "address", word, why);
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
