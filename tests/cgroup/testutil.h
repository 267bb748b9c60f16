/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers for the cgroup tests: test cgroups, private mounts, loop devices. */
#ifndef BLKPRIO_TESTS_CGROUP_UTIL_H
#define BLKPRIO_TESTS_CGROUP_UTIL_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/loop.h>

/* Remove a cgroup tree depth-first (cgroup folders hold only files). */
static inline int tu_rm_cgroup_tree(const char *path)
{
	char sub[PATH_MAX + 256];
	struct dirent *de;
	DIR *d = opendir(path);

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		if (snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name) <
		    (int)sizeof(sub))
			tu_rm_cgroup_tree(sub);
	}
	closedir(d);
	return rmdir(path) ? -errno : 0;
}

/* A private cgroup2 mount offering "io", or -ENODEV (mount removed). */
static inline int tu_mount_v2_io(char *dir, size_t len)
{
	char path[PATH_MAX], buf[256] = "";
	FILE *f;

	snprintf(dir, len, "/tmp/blkprio-test-v2-%d", getpid());
	if (mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	if (mount("cgroup2", dir, "cgroup2", 0, NULL)) {
		rmdir(dir);
		return -ENODEV;
	}
	snprintf(path, sizeof(path), "%s/cgroup.controllers", dir);
	f = fopen(path, "r");
	if (f) {
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = '\0';
		fclose(f);
	}
	if (!strstr(buf, "io")) {
		umount2(dir, MNT_DETACH);
		rmdir(dir);
		return -ENODEV;
	}
	return 0;
}

/*
 * Attach a fresh sparse file to a free loop device with autoclear, so it goes
 * away when fd is closed, even if the test crashes. Returns the loop fd and
 * the device's name ("loop5") or -errno.
 */
static inline int tu_loop_new(char *name, size_t len, off_t size)
{
	struct loop_info64 info;
	char file[] = "/tmp/blkprio-test-loopXXXXXX";
	char dev[32];
	int ctl, n, bfd, lfd;

	ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	if (ctl < 0)
		return -errno;
	bfd = mkstemp(file);
	if (bfd < 0) {
		close(ctl);
		return -errno;
	}
	unlink(file);
	if (ftruncate(bfd, size))
		goto err;
	for (int tries = 0; tries < 8; tries++) {
		n = ioctl(ctl, LOOP_CTL_GET_FREE);
		if (n < 0)
			goto err;
		snprintf(dev, sizeof(dev), "/dev/loop%d", n);
		lfd = open(dev, O_RDWR | O_CLOEXEC);
		if (lfd < 0)
			goto err;
		if (!ioctl(lfd, LOOP_SET_FD, bfd)) {
			memset(&info, 0, sizeof(info));
			info.lo_flags = LO_FLAGS_AUTOCLEAR;
			ioctl(lfd, LOOP_SET_STATUS64, &info);
			close(bfd);
			close(ctl);
			snprintf(name, len, "loop%d", n);
			return lfd;
		}
		close(lfd);
		if (errno != EBUSY)
			goto err;
	}
err:
	n = -errno;
	close(bfd);
	close(ctl);
	return n ? n : -EIO;
}

#endif
