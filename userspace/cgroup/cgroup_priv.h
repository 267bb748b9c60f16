/* SPDX-License-Identifier: GPL-2.0 */
/* Private to userspace/cgroup: paths and small file access in a hierarchy. */
#ifndef BLKPRIO_CGROUP_PRIV_H
#define BLKPRIO_CGROUP_PRIV_H

#include <stddef.h>

#include <blkprio/cgroup.h>

/* MOUNT/REL[/FILE] into buf; -ENAMETOOLONG. file may be NULL. */
int cg_path(const struct cg_layout *l, const char *rel, const char *file,
	    char *buf, size_t len);
/* libcgroup initialised (once); false when it could not be. */
bool cg_lcg_ready(void);
/* True when l's hierarchy is the one libcgroup manages for the controller. */
bool cg_lcg_owns(const struct cg_layout *l);
/* Whether a directory exists. */
bool cg_dir_exists(const char *path);

#endif
