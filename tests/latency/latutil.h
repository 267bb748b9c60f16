/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Test helpers for the latency tests: a loop device over a file in tmpfs
 * (detached when its last descriptor closes, even if the test dies), child
 * cgroups under the v1 blkio hierarchy, and writers doing O_DIRECT I/O from
 * inside a cgroup.
 */
#ifndef BLKPRIO_TESTS_LATUTIL_H
#define BLKPRIO_TESTS_LATUTIL_H

#include <errno.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <blkprio/cgroup.h>

#define LT_BS		4096

struct lt_loop {
	int fd;			/* the loop device, open: keeps it attached */
	int num;
	char dev[32];		/* /dev/loopN */
	char backing[128];
	uint32_t kdev;		/* major << 20 | minor, as the probe keys it */
};

/* Attach a loop device over a new tmpfs file of size bytes. 0 or -errno. */
static inline int lt_loop_create(struct lt_loop *l, const char *tag, off_t size)
{
	struct loop_config cfg;
	struct stat st;
	int ctl, bfd, i, err = 0;

	memset(l, 0, sizeof(*l));
	l->fd = -1;
	snprintf(l->backing, sizeof(l->backing), "/dev/shm/blkprio-%s-%d.img", tag, getpid());
	bfd = open(l->backing, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (bfd < 0)
		return -errno;
	if (ftruncate(bfd, size)) {
		err = -errno;
		goto out;
	}
	ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	if (ctl < 0) {
		err = -errno;
		goto out;
	}
	/* others may take the same free device: retry */
	for (i = 0; i < 20; i++) {
		l->num = ioctl(ctl, LOOP_CTL_GET_FREE);
		if (l->num < 0) {
			err = -errno;
			break;
		}
		snprintf(l->dev, sizeof(l->dev), "/dev/loop%d", l->num);
		l->fd = open(l->dev, O_RDWR | O_CLOEXEC);
		if (l->fd < 0) {
			err = -errno;
			break;
		}
		memset(&cfg, 0, sizeof(cfg));
		cfg.fd = bfd;
		cfg.info.lo_flags = LO_FLAGS_AUTOCLEAR;
		if (!ioctl(l->fd, LOOP_CONFIGURE, &cfg)) {
			err = 0;
			break;
		}
		err = -errno;
		close(l->fd);
		l->fd = -1;
		if (err != -EBUSY)
			break;
	}
	close(ctl);
	if (!err && fstat(l->fd, &st))
		err = -errno;
	if (!err)
		l->kdev = major(st.st_rdev) << 20 | minor(st.st_rdev);
out:
	close(bfd);
	if (err) {
		if (l->fd >= 0)
			close(l->fd);
		l->fd = -1;
		unlink(l->backing);
	}
	return err;
}

/* Write a queue setting of our loop device (0 or -errno). */
static inline int lt_loop_queue_set(const struct lt_loop *l, const char *attr, const char *val)
{
	char path[128];
	int fd, err = 0;

	snprintf(path, sizeof(path), "/sys/block/loop%d/queue/%s", l->num, attr);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		err = -errno;
	close(fd);
	return err;
}

static inline void lt_loop_destroy(struct lt_loop *l)
{
	/* the settings outlive the attachment: leave the defaults behind */
	if (l->fd >= 0) {
		lt_loop_queue_set(l, "iostats", "1");
		lt_loop_queue_set(l, "scheduler", "none");
	}
	if (l->fd >= 0) {
		ioctl(l->fd, LOOP_CLR_FD, 0);
		close(l->fd);
		l->fd = -1;
	}
	if (l->backing[0])
		unlink(l->backing);
}

/*
 * The hierarchy with the block-I/O controller (v1 blkio, or a cgroup2 mount
 * offering io, where io is then enabled for the root's children so that
 * their bios are charged to them). NULL when there is none.
 */
static inline const char *lt_cgroup_root(void)
{
	static struct cg_layout l;
	static int done;
	char ctl[PATH_MAX + 32];
	int fd;

	if (!done) {
		done = cg_layout_detect(&l) ? -1 : 1;
		if (done > 0 && l.ver == CG_V2) {
			snprintf(ctl, sizeof(ctl), "%s/cgroup.subtree_control", l.mount);
			fd = open(ctl, O_WRONLY);
			if (fd < 0 || write(fd, "+io", 3) != 3)
				done = -1;
			if (fd >= 0)
				close(fd);
		}
	}
	return done > 0 ? l.mount : NULL;
}

/* A child cgroup of the block-I/O hierarchy: path into buf, its id (directory inode). */
static inline int lt_cgroup_create(const char *name, char *path, size_t len, uint64_t *id)
{
	const char *root = lt_cgroup_root();
	struct stat st;

	if (!root)
		return -ENODEV;
	snprintf(path, len, "%s/%s", root, name);
	if (mkdir(path, 0755))
		return -errno;
	if (stat(path, &st))
		return -errno;
	*id = st.st_ino;
	return 0;
}

/* rmdir, retrying while the last task leaves. */
static inline int lt_cgroup_remove(const char *path)
{
	int i;

	for (i = 0; i < 100; i++) {
		if (!rmdir(path) || errno == ENOENT)
			return 0;
		if (errno != EBUSY)
			return -errno;
		usleep(10000);
	}
	return -EBUSY;
}

struct lt_result {
	uint64_t ns;		/* total time the writes took, measured by the writer */
	uint64_t max_ns;
	int err;
};

/*
 * Fork a writer: it joins the cgroup (cgroup.procs), does n O_DIRECT writes
 * of 4 KiB at offsets off, off + 4K, ..., then fsync()s the device when
 * flush is set, and reports its own timings. Returns 0 or -errno.
 */
static inline int lt_write_in(const char *cgpath, const char *dev, unsigned int n,
			      off_t off, int flush, struct lt_result *res)
{
	int pfd[2], status;
	pid_t pid;

	memset(res, 0, sizeof(*res));
	if (pipe(pfd))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		struct lt_result r = { 0 };
		struct timespec a, b;
		char procs[512], me[32];
		void *buf = NULL;
		unsigned int i;
		int fd = -1, cfd;

		close(pfd[0]);
		snprintf(procs, sizeof(procs), "%s/cgroup.procs", cgpath);
		snprintf(me, sizeof(me), "%d", getpid());
		cfd = open(procs, O_WRONLY);
		if (cfd < 0 || write(cfd, me, strlen(me)) < 0)
			r.err = -errno;
		if (cfd >= 0)
			close(cfd);
		if (!r.err && posix_memalign(&buf, LT_BS, LT_BS))
			r.err = -ENOMEM;
		if (!r.err) {
			memset(buf, 0xa5, LT_BS);
			fd = open(dev, O_RDWR | O_DIRECT);
			if (fd < 0)
				r.err = -errno;
		}
		for (i = 0; !r.err && i < n; i++) {
			uint64_t t;

			clock_gettime(CLOCK_MONOTONIC, &a);
			if (pwrite(fd, buf, LT_BS, off + (off_t)i * LT_BS) != LT_BS)
				r.err = -EIO;
			clock_gettime(CLOCK_MONOTONIC, &b);
			t = (uint64_t)(b.tv_sec - a.tv_sec) * 1000000000ull + b.tv_nsec - a.tv_nsec;
			r.ns += t;
			if (t > r.max_ns)
				r.max_ns = t;
		}
		if (!r.err && flush && fsync(fd))
			r.err = -errno;
		if (write(pfd[1], &r, sizeof(r)) != sizeof(r))
			_exit(2);
		_exit(0);
	}
	close(pfd[1]);
	if (read(pfd[0], res, sizeof(*res)) != sizeof(*res))
		res->err = -EPIPE;
	close(pfd[0]);
	waitpid(pid, &status, 0);
	return res->err;
}

#endif
