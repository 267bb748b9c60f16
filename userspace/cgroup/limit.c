// SPDX-License-Identifier: GPL-2.0
/*
 * Throttle limits: IOLIMIT (bytes/s) and IOPSLIMIT on the configured
 * devices, for reads and writes alike. v1: blkio.throttle.*_device, where
 * "MAJ:MIN 0" removes a limit; v2: io.max, where "max" does (0 is refused by
 * the kernel, so it is never written).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <blkprio/fsutil.h>

#include "cgroup_priv.h"

static int parse_majmin(const char *s, unsigned int *maj, unsigned int *min)
{
	unsigned long a, b;
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	a = strtoul(s, &end, 10);
	if (*end != ':' || end[1] < '0' || end[1] > '9')
		return -EINVAL;
	b = strtoul(end + 1, &end, 10);
	if (*end || a > 0xfff || b > 0xfffff)
		return -EINVAL;
	*maj = (unsigned int)a;
	*min = (unsigned int)b;
	return 0;
}

int cg_dev_parse(const char *s, struct cg_dev *d)
{
	char path[PATH_MAX], buf[32];
	struct stat st;
	int err;

	memset(d, 0, sizeof(*d));
	if (!*s || strlen(s) >= sizeof(d->name))
		return -EINVAL;
	snprintf(d->name, sizeof(d->name), "%s", s);
	if (!parse_majmin(s, &d->major, &d->minor))
		return 0;
	if (s[0] == '/') {
		if (stat(s, &st))
			return -errno;
		if (!S_ISBLK(st.st_mode))
			return -ENOTBLK;
		d->major = major(st.st_rdev);
		d->minor = minor(st.st_rdev);
		return 0;
	}
	if (strchr(s, '/') || s[0] == '.')
		return -EINVAL;
	snprintf(path, sizeof(path), "/sys/class/block/%s/dev", s);
	err = read_line(path, buf, sizeof(buf));
	if (err)
		return err == -ENOENT ? -ENODEV : err;
	return parse_majmin(buf, &d->major, &d->minor);
}

static int set_v1(const struct cg_layout *l, const char *rel, const struct cg_dev *d,
		  uint64_t bps, uint64_t iops)
{
	static const char *const files[] = {
		"blkio.throttle.read_bps_device", "blkio.throttle.write_bps_device",
		"blkio.throttle.read_iops_device", "blkio.throttle.write_iops_device",
	};
	char path[PATH_MAX], val[64];
	unsigned int i;
	int err;

	for (i = 0; i < 4; i++) {
		err = cg_path(l, rel, files[i], path, sizeof(path));
		if (err)
			return err;
		snprintf(val, sizeof(val), "%u:%u %" PRIu64, d->major, d->minor,
			 i < 2 ? bps : iops);
		err = write_string(path, val);
		if (err)
			return err;
	}
	return 0;
}

static void fmt_limit(char *buf, size_t len, uint64_t v)
{
	if (v)
		snprintf(buf, len, "%" PRIu64, v);
	else
		snprintf(buf, len, "max");
}

static int set_v2(const struct cg_layout *l, const char *rel, const struct cg_dev *d,
		  uint64_t bps, uint64_t iops)
{
	char path[PATH_MAX], val[160], b[24], o[24];
	int err;

	err = cg_path(l, rel, "io.max", path, sizeof(path));
	if (err)
		return err;
	fmt_limit(b, sizeof(b), bps);
	fmt_limit(o, sizeof(o), iops);
	snprintf(val, sizeof(val), "%u:%u rbps=%s wbps=%s riops=%s wiops=%s",
		 d->major, d->minor, b, b, o, o);
	return write_string(path, val);
}

int cg_limits_set(const struct cg_layout *l, const char *rel,
		  const struct cg_dev *devs, size_t ndevs, uint64_t bps, uint64_t iops)
{
	char path[PATH_MAX];
	size_t i;
	int err;

	for (i = 0; i < ndevs; i++) {
		err = l->ver == CG_V2 ? set_v2(l, rel, &devs[i], bps, iops) :
					set_v1(l, rel, &devs[i], bps, iops);
		if (err == -ENOENT && !cg_path(l, rel, NULL, path, sizeof(path)) &&
		    cg_dir_exists(path))
			return -EOPNOTSUPP;	/* no throttle files */
		if (err)
			return err;
	}
	return 0;
}
