/* SPDX-License-Identifier: GPL-2.0 */
/* Private to userspace/latency: the probe's shared header. */
#ifndef BLKPRIO_LAT_PRIV_H
#define BLKPRIO_LAT_PRIV_H

#include <linux/types.h>

#include <blkprio/latency.h>

#include "../../bpf/latency.h"

_Static_assert(LAT_NSLOTS == LAT_SLOTS, "LAT_NSLOTS differs from the probe's LAT_SLOTS");
_Static_assert((int)LAT_READ == (int)LAT_OP_READ && (int)LAT_WRITE == (int)LAT_OP_WRITE &&
	       (int)LAT_DISCARD == (int)LAT_OP_DISCARD && (int)LAT_FLUSH == (int)LAT_OP_FLUSH &&
	       (int)LAT_NOPS == (int)LAT_NR_OPS, "ops differ from the probe's");

#endif
