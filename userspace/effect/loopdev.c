// SPDX-License-Identifier: GPL-2.0
/*
 * The test device: a loop device over a file, with direct I/O (so the host's
 * page cache is not what gets measured) and autoclear (it goes away when the
 * last holder closes it, even if we are killed). Its scheduler becomes BFQ
 * with the tunables asked for; on a device we did not make the old settings
 * are restored afterwards.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/loop.h>

#include <blkprio/fsutil.h>

#include "effect_priv.h"

static const char *const tun_names[3] = { "low_latency", "slice_idle", "strict_guarantees" };

void effect_dev_init(struct effect_dev *d)
{
	memset(d, 0, sizeof(*d));
	d->fd = -1;
	d->old_tun[0] = d->old_tun[1] = d->old_tun[2] = -1;
}

/* Real blocks (not holes or unwritten extents), so that reads reach the disk. */
static int fill_file(const char *path, uint64_t size)
{
	const size_t chunk = 1 << 20;
	uint64_t done;
	char *buf;
	int fd, err = 0;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	buf = malloc(chunk);
	if (!buf) {
		err = -ENOMEM;
		goto out;
	}
	for (done = 0; done < size && !err; done += chunk) {
		memset(buf, (int)(done >> 20) | 1, chunk);
		err = write_all(fd, buf, chunk);
	}
	if (!err && fsync(fd))
		err = -errno;
	free(buf);
out:
	close(fd);
	if (err)
		unlink(path);
	return err;
}

static int loop_attach(struct effect_dev *d, int file_fd)
{
	struct loop_config cfg;
	int ctl, nr, fd, err, tries;

	ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	if (ctl < 0)
		return -errno;
	for (tries = 0; tries < 16; tries++) {
		nr = ioctl(ctl, LOOP_CTL_GET_FREE);
		if (nr < 0) {
			err = -errno;
			break;
		}
		snprintf(d->path, sizeof(d->path), "/dev/loop%d", nr);
		snprintf(d->name, sizeof(d->name), "loop%d", nr);
		fd = open(d->path, O_RDWR | O_CLOEXEC);
		if (fd < 0) {
			err = -errno;
			break;
		}
		memset(&cfg, 0, sizeof(cfg));
		cfg.fd = (unsigned int)file_fd;
		cfg.info.lo_flags = LO_FLAGS_DIRECT_IO | LO_FLAGS_AUTOCLEAR;
		snprintf((char *)cfg.info.lo_file_name, LO_NAME_SIZE, "blkprio-effect");
		if (!ioctl(fd, LOOP_CONFIGURE, &cfg)) {
			d->fd = fd;
			err = 0;
			break;
		}
		err = -errno;
		close(fd);
		if (err != -EBUSY)	/* taken by someone else meanwhile: next one */
			break;
	}
	close(ctl);
	return err;
}

int effect_dev_make(struct effect_dev *d, const char *dir, uint64_t size)
{
	int ffd, err;

	snprintf(d->backing, sizeof(d->backing), "%s/disk.img", dir);
	err = fill_file(d->backing, size);
	if (err)
		return err;
	ffd = open(d->backing, O_RDWR | O_CLOEXEC);
	if (ffd < 0)
		return -errno;
	err = loop_attach(d, ffd);
	close(ffd);
	d->made = !err;
	return err;
}

int effect_dev_use(struct effect_dev *d, const char *path)
{
	const char *base = strrchr(path, '/');

	snprintf(d->path, sizeof(d->path), "%s", path);
	snprintf(d->name, sizeof(d->name), "%s", base ? base + 1 : path);
	d->fd = open(path, O_RDONLY | O_CLOEXEC);
	return d->fd < 0 ? -errno : 0;
}

static int sysfs_path(char *buf, size_t len, const char *dev, const char *file)
{
	return snprintf(buf, len, "/sys/block/%s/queue/%s", dev, file) >= (int)len ?
	       -ENAMETOOLONG : 0;
}

/* The bracketed name in queue/scheduler. */
static int read_sched(const char *dev, char *out, size_t len)
{
	char path[128], line[256], *a, *b;
	int err;

	sysfs_path(path, sizeof(path), dev, "scheduler");
	err = read_line(path, line, sizeof(line));
	if (err)
		return err;
	a = strchr(line, '[');
	b = a ? strchr(a, ']') : NULL;
	if (!a || !b)
		return -ENOTSUP;
	*b = '\0';
	snprintf(out, len, "%s", a + 1);
	return 0;
}

static int tun_rw(const char *dev, int i, int set, int *get)
{
	char path[160], val[32];
	int err;

	snprintf(path, sizeof(path), "/sys/block/%s/queue/iosched/%s", dev, tun_names[i]);
	if (set >= 0) {
		snprintf(val, sizeof(val), "%d", set);
		err = write_string(path, val);
		if (err)
			return err;
	}
	err = read_line(path, val, sizeof(val));
	if (!err)
		*get = atoi(val);
	return err;
}

int effect_dev_sched(struct effect_dev *d, const char *name, const struct effect_sched *s,
		     struct effect_sched *used, char *sched, size_t len)
{
	const int want[3] = { s->low_latency, s->slice_idle, s->strict_guarantees };
	int got[3], i, err;
	char path[128];

	err = read_sched(d->name, d->old_sched, sizeof(d->old_sched));
	if (err)
		return err;
	if (!strcmp(d->old_sched, "bfq")) {
		for (i = 0; i < 3; i++)
			tun_rw(d->name, i, -1, &d->old_tun[i]);
	}
	sysfs_path(path, sizeof(path), d->name, "scheduler");
	if (!name) {
		/* the kernel loads a BFQ module on this write, where it has one */
		name = strcmp(d->old_sched, "bfq") && write_string(path, "bfq") ?
		       d->old_sched : "bfq";
	} else if (strcmp(d->old_sched, name)) {
		err = write_string(path, name);
		if (err)
			return err == -EINVAL ? -ENOTSUP : err;
	}
	used->low_latency = used->slice_idle = used->strict_guarantees = -1;
	if (strcmp(name, "bfq"))
		return read_sched(d->name, sched, len);
	for (i = 0; i < 3; i++) {
		err = tun_rw(d->name, i, want[i], &got[i]);
		if (err)
			return err;
	}
	used->low_latency = got[0];
	used->slice_idle = got[1];
	used->strict_guarantees = got[2];
	return read_sched(d->name, sched, len);
}

void effect_dev_release(struct effect_dev *d)
{
	char path[128];
	int i, dummy;

	/* a loop device keeps its scheduler after detaching: put it back on ours too */
	if (d->old_sched[0]) {
		sysfs_path(path, sizeof(path), d->name, "scheduler");
		write_string(path, d->old_sched);
		for (i = 0; i < 3; i++)
			if (d->old_tun[i] >= 0)
				tun_rw(d->name, i, d->old_tun[i], &dummy);
	}
	if (d->fd >= 0)
		close(d->fd);	/* the last close detaches our loop device */
	d->fd = -1;
	if (d->backing[0])
		unlink(d->backing);
	d->backing[0] = '\0';
}
