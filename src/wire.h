/* wire.h - the named DNS wire values moved to dns/wire.h (the dns layer's wire header).
 * This forwarding header keeps the old include path working for src/runner.c until its
 * owner includes "dns/wire.h" directly; then delete it.
 * SPDX-License-Identifier: MIT */
#ifndef PDNS_WIRE_H
#define PDNS_WIRE_H
#include "dns/wire.h"
#endif
