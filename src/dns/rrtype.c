/* rrtype.c - RR type mnemonics <-> numbers, including RFC 3597 "TYPEnnn".
 * SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <strings.h>
#include "pacedns.h"

typedef struct pdns__rrtype_entry {
    uint16_t type;
    const char *name;
} pdns__rrtype_entry;

/* IANA "Resource Record (RR) TYPEs" registry, sorted by number. */
static const pdns__rrtype_entry pdns__rrtypes[] = {
    {1, "A"},           {2, "NS"},         {3, "MD"},        {4, "MF"},       {5, "CNAME"},
    {6, "SOA"},         {7, "MB"},         {8, "MG"},        {9, "MR"},       {10, "NULL"},
    {11, "WKS"},        {12, "PTR"},       {13, "HINFO"},    {14, "MINFO"},   {15, "MX"},
    {16, "TXT"},        {17, "RP"},        {18, "AFSDB"},    {19, "X25"},     {20, "ISDN"},
    {21, "RT"},         {22, "NSAP"},      {23, "NSAP-PTR"}, {24, "SIG"},     {25, "KEY"},
    {26, "PX"},         {27, "GPOS"},      {28, "AAAA"},     {29, "LOC"},     {30, "NXT"},
    {31, "EID"},        {32, "NIMLOC"},    {33, "SRV"},      {34, "ATMA"},    {35, "NAPTR"},
    {36, "KX"},         {37, "CERT"},      {38, "A6"},       {39, "DNAME"},   {40, "SINK"},
    {41, "OPT"},        {42, "APL"},       {43, "DS"},       {44, "SSHFP"},   {45, "IPSECKEY"},
    {46, "RRSIG"},      {47, "NSEC"},      {48, "DNSKEY"},   {49, "DHCID"},   {50, "NSEC3"},
    {51, "NSEC3PARAM"}, {52, "TLSA"},      {53, "SMIMEA"},   {55, "HIP"},     {56, "NINFO"},
    {57, "RKEY"},       {58, "TALINK"},    {59, "CDS"},      {60, "CDNSKEY"}, {61, "OPENPGPKEY"},
    {62, "CSYNC"},      {63, "ZONEMD"},    {64, "SVCB"},     {65, "HTTPS"},   {99, "SPF"},
    {100, "UINFO"},     {101, "UID"},      {102, "GID"},     {103, "UNSPEC"}, {104, "NID"},
    {105, "L32"},       {106, "L64"},      {107, "LP"},      {108, "EUI48"},  {109, "EUI64"},
    {249, "TKEY"},      {250, "TSIG"},     {251, "IXFR"},    {252, "AXFR"},   {253, "MAILB"},
    {254, "MAILA"},     {255, "ANY"},      {256, "URI"},     {257, "CAA"},    {258, "AVC"},
    {259, "DOA"},       {260, "AMTRELAY"}, {261, "RESINFO"}, {32768, "TA"},   {32769, "DLV"},
};

#define PDNS__N_RRTYPES (sizeof pdns__rrtypes / sizeof pdns__rrtypes[0])

/* Parse the decimal part of "TYPEnnn": 1..5 digits, value 1..65535. */
static int pdns__rrtype_parse_generic(const char *digits, uint16_t *type)
{
    unsigned long v = 0;
    size_t n = 0;
    for (; digits[n]; n++) {
        if (digits[n] < '0' || digits[n] > '9' || n >= 5)
            return 0;
        v = v * 10 + (unsigned long)(digits[n] - '0');
    }
    if (n == 0 || v == 0 || v > 65535)
        return 0;
    *type = (uint16_t)v;
    return 1;
}

pdns_status pdns_rrtype_from_name(const char *name, uint16_t *type)
{
    if (!name || !type)
        return PDNS_ERR_PARSE;
    for (size_t i = 0; i < PDNS__N_RRTYPES; i++) {
        if (strcasecmp(name, pdns__rrtypes[i].name) == 0) {
            *type = pdns__rrtypes[i].type;
            return PDNS_OK;
        }
    }
    if (strncasecmp(name, "TYPE", 4) == 0 && pdns__rrtype_parse_generic(name + 4, type))
        return PDNS_OK;
    return PDNS_ERR_PARSE;
}

const char *pdns_rrtype_name(uint16_t type, char buf[16])
{
    size_t lo = 0, hi = PDNS__N_RRTYPES;
    /* types 1..53 fill the table's first 53 entries: no search (once per record) */
    if (type >= 1 && type <= 53 && pdns__rrtypes[type - 1].type == type)
        return pdns__rrtypes[type - 1].name;
    while (lo < hi) { /* binary search: the table is sorted by number */
        size_t mid = lo + (hi - lo) / 2;
        if (pdns__rrtypes[mid].type == type)
            return pdns__rrtypes[mid].name;
        if (pdns__rrtypes[mid].type < type)
            lo = mid + 1;
        else
            hi = mid;
    }
    snprintf(buf, 16, "TYPE%u", (unsigned)type);
    return buf;
}
