/* rcode.c - names of statuses, result statuses and DNS rcodes.
 * SPDX-License-Identifier: MIT */
#include <stdio.h>
#include "pacedns.h"
#include "dns/wire.h"

const char *pdns_strerror(pdns_status st)
{
    switch (st) {
    case PDNS_OK:
        return "success";
    case PDNS_ERR_NOMEM:
        return "out of memory";
    case PDNS_ERR_INVALID:
        return "invalid argument";
    case PDNS_ERR_PARSE:
        return "malformed input";
    case PDNS_ERR_IO:
        return "I/O error";
    case PDNS_ERR_GETDNS:
        return "getdns error";
    case PDNS_ERR_UV:
        return "libuv error";
    case PDNS_ERR_STATE:
        return "invalid state for this call";
    case PDNS_ERR_RANGE:
        return "value out of range";
    case PDNS_ERR_NOSERVER:
        return "no nameserver configured";
    case PDNS_ERR_UNSUPPORTED:
        return "dnssec validation is not supported";
    }
    return "unknown status";
}

const char *pdns_rstatus_name(pdns_rstatus st)
{
    static const char *const names[] = {
        [PDNS_R_NOERROR] = "NOERROR",
        [PDNS_R_NODATA] = "NODATA",
        [PDNS_R_NXDOMAIN] = "NXDOMAIN",
        [PDNS_R_SERVFAIL] = "SERVFAIL",
        [PDNS_R_REFUSED] = "REFUSED",
        [PDNS_R_FORMERR] = "FORMERR",
        [PDNS_R_NOTIMP] = "NOTIMP",
        [PDNS_R_RCODE] = "RCODE",
        [PDNS_R_TIMEOUT] = "TIMEOUT",
        [PDNS_R_CNAME_LOOP] = "CNAME_LOOP",
        [PDNS_R_INVALID_NAME] = "INVALID_NAME",
        [PDNS_R_ERROR] = "ERROR",
        [PDNS_R_UNREACHABLE] = "UNREACHABLE",
        [PDNS_R_WILDCARD] = "WILDCARD",
    };
    if ((unsigned)st < sizeof names / sizeof names[0] && names[st])
        return names[st];
    return "ERROR";
}

const char *pdns_rcode_name(int rcode)
{
    /* RFC 6895 / IANA DNS RCODEs */
    static const char *const names[] = {
        "NOERROR",  "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",  "REFUSED",
        "YXDOMAIN", "YXRRSET", "NXRRSET",  "NOTAUTH",  "NOTZONE", "DSOTYPENI",
    };
    static _Thread_local char buf[16];
    if (rcode >= 0 && (size_t)rcode < sizeof names / sizeof names[0])
        return names[rcode];
    if (rcode == PDNS__RCODE_BADVERS)
        return "BADVERS";
    if (rcode == PDNS__RCODE_BADCOOKIE)
        return "BADCOOKIE";
    snprintf(buf, sizeof buf, "RCODE%d", rcode);
    return buf;
}

pdns_rstatus pdns__rstatus_from_rcode(int rc)
{
    switch (rc) {
    case PDNS__RCODE_NOERROR:
        return PDNS_R_NOERROR;
    case PDNS__RCODE_FORMERR:
        return PDNS_R_FORMERR;
    case PDNS__RCODE_SERVFAIL:
        return PDNS_R_SERVFAIL;
    case PDNS__RCODE_NXDOMAIN:
        return PDNS_R_NXDOMAIN;
    case PDNS__RCODE_NOTIMP:
        return PDNS_R_NOTIMP;
    case PDNS__RCODE_REFUSED:
        return PDNS_R_REFUSED;
    default:
        return PDNS_R_RCODE;
    }
}
