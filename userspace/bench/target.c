// SPDX-License-Identifier: GPL-2.0
/* Bench targets: plain files and block devices behind an ops table. */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <blkprio/bench.h>

#include "bench_priv.h"

static int fd_open(struct bench_target *t, const char *path, unsigned int flags,
		   uint64_t create_size)
{
	int oflags = O_CLOEXEC, fd, err;
	struct stat st;

	oflags |= (flags & BENCH_T_WRITE) ? O_RDWR : O_RDONLY;
	if (flags & BENCH_T_DIRECT)
		oflags |= O_DIRECT;
	if (flags & BENCH_T_DSYNC)
		oflags |= O_DSYNC;
	fd = open(path, oflags);
	if (fd < 0 && errno == ENOENT && (flags & BENCH_T_CREATE)) {
		fd = open(path, oflags | O_CREAT | O_EXCL, 0644);
		if (fd >= 0)
			t->created = true;
		else if (errno == EEXIST)	/* another job copy made it first */
			fd = open(path, oflags);
	}
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		err = -errno;
		goto err_close;
	}
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, &t->size) < 0) {
			err = -errno;
			goto err_close;
		}
		t->ops = &bench_blockdev_ops;
	} else if (S_ISREG(st.st_mode)) {
		t->size = st.st_size;
		if (t->size < create_size && (flags & BENCH_T_CREATE)) {
			if (ftruncate(fd, create_size) < 0) {
				err = -errno;
				goto err_close;
			}
			t->size = create_size;
		}
	} else if (S_ISDIR(st.st_mode)) {
		err = -EISDIR;
		goto err_close;
	} else {
		t->size = 0;	/* character device or pipe: no size */
	}
	t->fd = fd;
	return 0;

err_close:
	close(fd);
	return err;
}

static ssize_t fd_pread(struct bench_target *t, void *buf, size_t len, uint64_t off)
{
	ssize_t n = pread(t->fd, buf, len, off);

	return n < 0 ? -errno : n;
}

static ssize_t fd_pwrite(struct bench_target *t, const void *buf, size_t len, uint64_t off)
{
	ssize_t n = pwrite(t->fd, buf, len, off);

	return n < 0 ? -errno : n;
}

static int fd_flush(struct bench_target *t, bool datasync)
{
	if ((datasync ? fdatasync(t->fd) : fsync(t->fd)) < 0)
		return -errno;
	return 0;
}

static void fd_close(struct bench_target *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
}

const struct bench_target_ops bench_file_ops = {
	.kind = "file",
	.open = fd_open,
	.pread = fd_pread,
	.pwrite = fd_pwrite,
	.flush = fd_flush,
	.close = fd_close,
};

const struct bench_target_ops bench_blockdev_ops = {
	.kind = "blockdev",
	.open = fd_open,
	.pread = fd_pread,
	.pwrite = fd_pwrite,
	.flush = fd_flush,
	.close = fd_close,
};

bool bench_target_is_img(const char *spec)
{
	return !strncmp(spec, "img:", 4);
}

int bench_target_open(struct bench_target *t, const char *spec, unsigned int flags,
		      uint64_t create_size)
{
	const struct bench_target_ops *ops = &bench_file_ops;
	int err;

	memset(t, 0, sizeof(*t));
	t->fd = -1;
	if (bench_target_is_img(spec)) {
		ops = bench_img_ops;
		spec += 4;
		if (!ops)
			return -ENOTSUP;
	}
	if (!*spec)
		return -EINVAL;
	t->ops = ops;
	err = ops->open(t, spec, flags, create_size);
	if (err)
		t->ops = NULL;
	return err;
}

void bench_target_close(struct bench_target *t)
{
	if (t->ops)
		t->ops->close(t);
	t->ops = NULL;
}
