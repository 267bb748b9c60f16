// SPDX-License-Identifier: GPL-2.0
/*
 * Creating, removing and entering cgroups. Creating in the system's v1 blkio
 * hierarchy goes through libcgroup; a hierarchy libcgroup does not manage (a
 * v2 mount, a private test mount) gets plain mkdir. Removing is a plain
 * rmdir: libcgroup's delete migrates a running container's tasks to the
 * parent, where the kernel's EBUSY is what we want. Entering writes
 * cgroup.procs on both versions: libcgroup's attach writes "tasks", which
 * moves a single thread.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libcgroup.h>

#include <blkprio/fsutil.h>

#include "cgroup_priv.h"

static int lcg_create(const char *rel)
{
	struct cgroup *cg;
	int err;

	cg = cgroup_new_cgroup(rel);
	if (!cg)
		return -ENOMEM;
	if (!cgroup_add_controller(cg, "blkio")) {
		err = -ENOMEM;
		goto out_free;
	}
	err = cg_errno(cgroup_create_cgroup(cg, 0));
out_free:
	cgroup_free(&cg);
	return err;
}

/* v2: let the children of the cgroup that holds child have "io". */
static int enable_io_above(char *child)
{
	char ctl[PATH_MAX];
	char *slash = strrchr(child, '/');
	int err;

	if (snprintf(ctl, sizeof(ctl), "%.*s/cgroup.subtree_control",
		     (int)(slash - child), child) >= (int)sizeof(ctl))
		return -ENAMETOOLONG;
	err = write_string(ctl, "+io");
	/* EBUSY: the parent has processes of its own; nothing to be done */
	return err == -EBUSY ? 0 : err;
}

/* mkdir each missing component; on v2 enable io in every parent first. */
static int plain_create(const struct cg_layout *l, const char *rel)
{
	char path[PATH_MAX];
	size_t i, len;
	int err;

	err = cg_path(l, rel, NULL, path, sizeof(path));
	if (err)
		return err;
	len = strlen(path);
	for (i = strlen(l->mount) + 1; i <= len; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		path[i] = '\0';
		if (l->ver == CG_V2) {
			err = enable_io_above(path);
			if (err)
				return err;
		}
		if (mkdir(path, 0755) && errno != EEXIST)
			return -errno;
		if (i < len)
			path[i] = '/';
	}
	return 0;
}

int cg_io_enable(const struct cg_layout *l, const char *rel)
{
	char path[PATH_MAX], ctl[PATH_MAX + 32], buf[512];
	size_t i, len;
	int err;

	if (l->ver != CG_V2)
		return 0;
	err = cg_path(l, rel, NULL, path, sizeof(path));
	if (err)
		return err;
	len = strlen(path);
	for (i = strlen(l->mount) + 1; i <= len; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		path[i] = '\0';
		/* the parent of this component: already enabled there? */
		snprintf(ctl, sizeof(ctl), "%.*s/cgroup.subtree_control",
			 (int)(strrchr(path, '/') - path), path);
		if (read_line(ctl, buf, sizeof(buf)) || !strstr(buf, "io")) {
			err = enable_io_above(path);
			if (err)
				return err;
		}
		if (i < len)
			path[i] = '/';
	}
	return 0;
}

/* A path below the mount: no empty, "." or ".." components. */
static bool rel_valid(const char *rel)
{
	const char *p = rel;
	size_t n;

	if (!*rel)
		return false;
	for (;;) {
		n = strcspn(p, "/");
		if (!n || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		if (!p[n])
			return true;
		p += n + 1;
	}
}

int cg_create(const struct cg_layout *l, const char *rel)
{
	char path[PATH_MAX];
	int err;

	while (*rel == '/')
		rel++;
	if (!rel_valid(rel))
		return -EINVAL;
	err = cg_path(l, rel, NULL, path, sizeof(path));
	if (err)
		return err;
	if (cg_dir_exists(path))
		return -EEXIST;
	if (cg_lcg_owns(l))
		return lcg_create(rel);
	return plain_create(l, rel);
}

int cg_destroy(const struct cg_layout *l, const char *rel)
{
	char path[PATH_MAX];
	int err;

	while (*rel == '/')
		rel++;
	if (!rel_valid(rel))
		return -EINVAL;
	err = cg_path(l, rel, NULL, path, sizeof(path));
	if (err)
		return err;
	/* the kernel refuses (EBUSY) while tasks or child cgroups remain */
	return rmdir(path) ? -errno : 0;
}

int cg_attach(const struct cg_layout *l, const char *rel, pid_t pid)
{
	char path[PATH_MAX], val[24];
	int err;

	err = cg_path(l, rel, "cgroup.procs", path, sizeof(path));
	if (err)
		return err;
	snprintf(val, sizeof(val), "%d", (int)pid);
	err = write_string(path, val);
	/* the cgroup folder itself is gone */
	if (err == -ENOENT)
		return -ENOENT;
	return err;
}
