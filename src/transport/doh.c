/* doh.c - https://: DNS over HTTPS (RFC 8484) through libcurl's multi interface on libuv.
 * SPDX-License-Identifier: MIT */
#include "transport/transport.h"
const pdns__transport_vt pdns__transport_doh;
