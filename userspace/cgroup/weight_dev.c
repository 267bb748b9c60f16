// SPDX-License-Identifier: GPL-2.0
/*
 * Per-device weights: BFQ's (blkio.bfq.weight_device on v1, "MAJ:MIN W"
 * lines of io.bfq.weight on v2) or io.cost's ("MAJ:MIN W" lines of v2
 * io.weight). The share controller moves a container's weight on one device
 * without touching its default weight, which stays what its IOPRIO maps to.
 */
#include <errno.h>
#include <stdio.h>

#include <blkprio/fsutil.h>

#include "cgroup_priv.h"

int cg_weight_dev_set(const struct cg_layout *l, const char *rel, enum cg_lever lever,
		      unsigned int major, unsigned int minor, unsigned int weight)
{
	const char *file;
	char path[PATH_MAX], val[48];
	int err;

	if (lever == CG_LEVER_BFQ)
		file = l->ver == CG_V2 ? "io.bfq.weight" : "blkio.bfq.weight_device";
	else if (lever == CG_LEVER_IOCOST && l->ver == CG_V2)
		file = "io.weight";
	else
		return -EINVAL;
	err = cg_path(l, rel, file, path, sizeof(path));
	if (err)
		return err;
	if (weight)
		snprintf(val, sizeof(val), "%u:%u %u", major, minor, weight);
	else	/* the kernel refuses 0 here; "default" drops the override */
		snprintf(val, sizeof(val), "%u:%u default", major, minor);
	return write_string(path, val);
}
