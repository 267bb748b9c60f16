// SPDX-License-Identifier: GPL-2.0
/*
 * img:PATH targets: the guest view of a qcow2 image through our library.
 * A missing image is created sparse when asked (dd of=img:, write jobs);
 * one we created grows when written past its end (dd from a pipe).
 */
#include <errno.h>
#include <unistd.h>

#include <blkprio/qcow2.h>

#include "bench_priv.h"

static int img_open(struct bench_target *t, const char *path, unsigned int flags,
		    uint64_t create_size)
{
	struct qcow2_create_opts co;
	unsigned int of = 0;
	struct qcow2 *q;
	int err;

	if (!(flags & BENCH_T_WRITE))
		of |= QCOW2_O_RDONLY;
	if (flags & BENCH_T_DIRECT)
		of |= QCOW2_O_DIRECT;
	if ((flags & BENCH_T_CREATE) && access(path, F_OK) && errno == ENOENT) {
		qcow2_create_opts_init(&co, create_size);
		err = qcow2_create(path, &co, QCOW2_CREATE_EXCL);
		if (err)
			return err;
		t->created = true;
	}
	err = qcow2_open(path, of, &q);
	if (err)
		return err;
	t->priv = q;
	t->size = qcow2_size(q);
	t->fd = -1;
	return 0;
}

static ssize_t img_pread(struct bench_target *t, void *buf, size_t len, uint64_t off)
{
	if (off >= t->size)
		return 0;
	if (len > t->size - off)
		len = t->size - off;
	return qcow2_pread(t->priv, buf, len, off);
}

static ssize_t img_pwrite(struct bench_target *t, const void *buf, size_t len, uint64_t off)
{
	uint64_t end = off + len;
	int err;

	if (end > t->size) {
		if (!t->created)
			return -ENOSPC;
		err = qcow2_resize(t->priv, (end + 511) & ~511ull, QCOW2_PREALLOC_OFF, 0);
		if (err)
			return err;
		t->size = qcow2_size(t->priv);
	}
	return qcow2_pwrite(t->priv, buf, len, off);
}

static int img_flush(struct bench_target *t, bool datasync)
{
	return qcow2_flush(t->priv);
}

static void img_close(struct bench_target *t)
{
	qcow2_close(t->priv);
	t->priv = NULL;
}

static const struct bench_target_ops img_ops = {
	.kind = "qcow2",
	.open = img_open,
	.pread = img_pread,
	.pwrite = img_pwrite,
	.flush = img_flush,
	.close = img_close,
};

const struct bench_target_ops *const bench_img_ops = &img_ops;
