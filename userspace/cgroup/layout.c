// SPDX-License-Identifier: GPL-2.0
/* Where the block-I/O controller lives: v1 blkio, v2 io, or both (hybrid). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <libcgroup.h>
#include <linux/magic.h>

#include <blkprio/fsutil.h>

#include "cgroup_priv.h"

static int lcg_state;		/* 0 untried, 1 ready, -1 failed */
static char lcg_blkio[PATH_MAX];

bool cg_lcg_ready(void)
{
	char *mp = NULL;

	if (lcg_state)
		return lcg_state > 0;
	lcg_state = -1;
	if (cgroup_init())
		return false;
	lcg_state = 1;
	if (!cgroup_get_subsys_mount_point("blkio", &mp) && mp) {
		snprintf(lcg_blkio, sizeof(lcg_blkio), "%s", mp);
		free(mp);
	}
	return true;
}

bool cg_lcg_owns(const struct cg_layout *l)
{
	return l->ver == CG_V1 && cg_lcg_ready() && lcg_blkio[0] &&
	       !strcmp(lcg_blkio, l->mount);
}

bool cg_dir_exists(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISDIR(st.st_mode);
}

int cg_path(const struct cg_layout *l, const char *rel, const char *file,
	    char *buf, size_t len)
{
	int n;

	while (*rel == '/')
		rel++;
	n = snprintf(buf, len, "%s%s%s%s%s", l->mount, *rel ? "/" : "", rel,
		     file ? "/" : "", file ? file : "");
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return 0;
}

const char *cg_version_name(enum cg_version v)
{
	switch (v) {
	case CG_V1:
		return "v1";
	case CG_V2:
		return "v2";
	default:
		return "none";
	}
}

const char *cg_controller_name(const struct cg_layout *l)
{
	return l->ver == CG_V2 ? "io" : "blkio";
}

/* Does a cgroup2 mount offer the io controller? */
static bool v2_has_io(const char *mount)
{
	char path[PATH_MAX], buf[512], *tok, *save;

	if (snprintf(path, sizeof(path), "%s/cgroup.controllers", mount) >= (int)sizeof(path))
		return false;
	if (read_line(path, buf, sizeof(buf)))
		return false;
	for (tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
		if (!strcmp(tok, "io"))
			return true;
	return false;
}

/* The first cgroup2 mount in mountinfo, for hybrid set-ups and pure v2. */
static void find_v2_mount(char *out, size_t len)
{
	char *line = NULL, *p, *sep;
	size_t cap = 0;
	FILE *f;
	int i;

	out[0] = '\0';
	f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return;
	while (getline(&line, &cap, f) > 0) {
		/* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE ... */
		sep = strstr(line, " - ");
		if (!sep || strncmp(sep + 3, "cgroup2 ", 8))
			continue;
		p = line;
		for (i = 0; i < 4 && p; i++) {
			p = strchr(p, ' ');
			if (p)
				p++;
		}
		if (!p)
			continue;
		*strchrnul(p, ' ') = '\0';
		/* mountinfo escapes blanks as \040; cgroup mounts have none */
		snprintf(out, len, "%s", p);
		break;
	}
	free(line);
	fclose(f);
}

int cg_layout_at(struct cg_layout *l, enum cg_version ver, const char *mount)
{
	char path[PATH_MAX];
	struct statfs sfs;

	memset(l, 0, sizeof(*l));
	if (strlen(mount) >= sizeof(l->mount))
		return -ENAMETOOLONG;
	if (statfs(mount, &sfs))
		return -errno;
	switch (ver) {
	case CG_V1:
		if (sfs.f_type != CGROUP_SUPER_MAGIC)
			return -EINVAL;
		/* a blkio hierarchy's root always has the throttle files */
		snprintf(path, sizeof(path), "%s/blkio.throttle.read_bps_device", mount);
		if (access(path, F_OK))
			return -ENODEV;
		break;
	case CG_V2:
		if (sfs.f_type != CGROUP2_SUPER_MAGIC)
			return -EINVAL;
		if (!v2_has_io(mount))
			return -ENODEV;
		break;
	default:
		return -EINVAL;
	}
	l->ver = ver;
	snprintf(l->mount, sizeof(l->mount), "%s", mount);
	/* strip a trailing '/' so that paths join cleanly */
	while (strlen(l->mount) > 1 && l->mount[strlen(l->mount) - 1] == '/')
		l->mount[strlen(l->mount) - 1] = '\0';
	if (ver == CG_V2)
		snprintf(l->v2_mount, sizeof(l->v2_mount), "%s", l->mount);
	return 0;
}

int cg_layout_detect(struct cg_layout *l)
{
	char v2[PATH_MAX];

	find_v2_mount(v2, sizeof(v2));
	if (cg_lcg_ready() && lcg_blkio[0] && !cg_layout_at(l, CG_V1, lcg_blkio)) {
		if (v2[0]) {
			l->hybrid = true;
			snprintf(l->v2_mount, sizeof(l->v2_mount), "%s", v2);
		}
		return 0;
	}
	if (v2[0] && !cg_layout_at(l, CG_V2, v2))
		return 0;
	memset(l, 0, sizeof(*l));
	snprintf(l->v2_mount, sizeof(l->v2_mount), "%s", v2);
	return -ENODEV;
}
