// SPDX-License-Identifier: GPL-2.0
/*
 * Backing files: opening the chain below an image (qcow2 or raw, read-only,
 * relative names against the image's folder, loops and absurd depths
 * refused), reading through it and describing what it holds.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <linux/fs.h>
#include <unistd.h>

#include "qcow2-int.h"

/*
 * The images being opened in this thread, outermost first: opening is a
 * recursion (each qcow2_open opens its own backing file), so a file met
 * twice is a loop.
 */
static __thread struct {
	dev_t dev;
	ino_t ino;
} chain[QCOW2_MAX_CHAIN + 2];
static __thread unsigned int chain_len;
static __thread bool chain_reported;	/* the innermost failure said why */

int qcow2_backing_path(const char *image, const char *name, char **out)
{
	const char *slash = strrchr(image, '/');
	int dlen = slash ? (int)(slash - image + 1) : 0;

	if (name[0] == '/' || !dlen)
		*out = strdup(name);
	else if (asprintf(out, "%.*s%s", dlen, image, name) < 0)
		*out = NULL;
	return *out ? 0 : -ENOMEM;
}

static bool chain_push(const struct stat *st)
{
	if (chain_len >= sizeof(chain) / sizeof(chain[0]))
		return false;
	chain[chain_len].dev = st->st_dev;
	chain[chain_len].ino = st->st_ino;
	chain_len++;
	return true;
}

static bool in_chain(const struct stat *st)
{
	unsigned int i;

	for (i = 0; i < chain_len; i++)
		if (chain[i].dev == st->st_dev && chain[i].ino == st->st_ino)
			return true;
	return false;
}

/* Record why opening backing file name failed, unless a deeper level did. */
static int bk_fail(int err, const char *name)
{
	const char *why = qcow2_last_error();
	char inner[200];

	if (chain_reported)
		return err;
	snprintf(inner, sizeof(inner), "%s", why ? why : strerror(-err));
	chain_reported = true;
	return qcow2_err(err, "Could not open backing file '%s': %s", name, inner);
}

static void bk_free(struct qcow2_backing *b)
{
	if (!b)
		return;
	if (b->q)
		qcow2_close(b->q);
	if (b->fd >= 0)
		close(b->fd);
	free(b->path);
	free(b);
}

/*
 * Open backing file name of the image at image_path (already on the chain
 * stack), read-only; flags passed on are O_DIRECT and O_NOLOCK.
 */
static int bk_open(const char *image_path, const char *name, const char *fmt,
		   unsigned int flags, struct qcow2_backing **out)
{
	struct qcow2_open_opts o = {
		.flags = QCOW2_O_RDONLY | (flags & (QCOW2_O_DIRECT | QCOW2_O_NOLOCK)),
	};
	struct qcow2_backing *b;
	struct stat st;
	bool qcow2;
	int err;

	*out = NULL;
	if (fmt && strcmp(fmt, "qcow2") && strcmp(fmt, "raw")) {
		chain_reported = true;
		return qcow2_err(-ENOTSUP, "backing format '%s' is not supported (qcow2 or raw)", fmt);
	}
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->fd = -1;
	err = qcow2_backing_path(image_path, name, &b->path);
	if (err)
		goto err_free;
	if (stat(b->path, &st)) {
		err = qcow2_err(-errno, "Could not open '%s': %s", b->path, strerror(errno));
		err = bk_fail(err, name);
		goto err_free;
	}
	if (in_chain(&st)) {
		chain_reported = true;
		err = qcow2_err(-ELOOP, "Backing file '%s' creates an infinite loop.", name);
		goto err_free;
	}
	/* never a FIFO or a terminal (a read would block): files and disks */
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		err = bk_fail(qcow2_err(-EINVAL, "'%s' is not a regular file or block device",
					b->path), name);
		goto err_free;
	}
	if (chain_len > QCOW2_MAX_CHAIN) {
		chain_reported = true;
		err = qcow2_err(-ELOOP, "backing chain is deeper than %d images", QCOW2_MAX_CHAIN);
		goto err_free;
	}
	if (fmt) {
		qcow2 = !strcmp(fmt, "qcow2");
	} else {
		/* no format recorded (old images): probe, as qemu does */
		err = qcow2_probe(b->path);
		if (err < 0) {
			err = bk_fail(qcow2_err(err, "%s", strerror(-err)), name);
			goto err_free;
		}
		qcow2 = err;
	}
	if (qcow2) {
		err = qcow2_open_opts(b->path, &o, &b->q);
		if (err) {
			err = bk_fail(err, name);
			goto err_free;
		}
		b->size = qcow2_size(b->q);
	} else {
		b->fd = open(b->path, O_RDONLY | O_CLOEXEC);
		if (b->fd < 0 || fstat(b->fd, &st)) {
			err = bk_fail(qcow2_err(-errno, "%s", strerror(errno)), name);
			goto err_free;
		}
		b->size = (uint64_t)st.st_size;
		if (S_ISBLK(st.st_mode) && ioctl(b->fd, BLKGETSIZE64, &b->size)) {
			err = bk_fail(qcow2_err(-errno, "%s", strerror(errno)), name);
			goto err_free;
		}
	}
	*out = b;
	return 0;
err_free:
	bk_free(b);
	return err;
}

int qcow2_backing_open(struct qcow2 *q)
{
	unsigned int saved = chain_len;
	struct stat st;
	int err;

	if (!saved)
		chain_reported = false;
	if (fstat(q->fd, &st))
		return -errno;
	if (in_chain(&st)) {
		/* reached through a loop from above: the caller reports it */
		chain_reported = true;
		return qcow2_err(-ELOOP, "Backing file '%s' creates an infinite loop.", q->path);
	}
	if (!chain_push(&st)) {
		chain_reported = true;
		return qcow2_err(-ELOOP, "backing chain is deeper than %d images", QCOW2_MAX_CHAIN);
	}
	err = bk_open(q->path, q->backing_file, q->backing_fmt, q->flags, &q->backing);
	chain_len = saved;
	return err;
}

void qcow2_backing_close(struct qcow2 *q)
{
	bk_free(q->backing);
	q->backing = NULL;
}

int qcow2_backing_probe(const char *image, const char *name, const char *fmt,
			uint64_t *size)
{
	struct qcow2_backing *b;
	struct stat st;
	int err;

	chain_len = 0;
	chain_reported = false;
	if (!fmt)
		return qcow2_err(-EINVAL, "Backing file specified without backing format");
	if (!stat(image, &st))
		chain_push(&st);
	err = bk_open(image, name, fmt, 0, &b);
	chain_len = 0;
	if (err)
		return err;
	*size = b->size;
	bk_free(b);
	return 0;
}

/* Read [off, off + len) of a backing image; zeros beyond its end. */
int qcow2_backing_read(struct qcow2_backing *b, void *buf, uint64_t len, uint64_t off)
{
	uint64_t n = off >= b->size ? 0 : b->size - off;
	uint8_t *p = buf;
	ssize_t r;

	if (n > len)
		n = len;
	memset(p + n, 0, len - n);
	if (b->q) {
		r = n ? qcow2_pread(b->q, p, n, off) : 0;
		return r < 0 ? (int)r : 0;
	}
	while (n) {
		r = pread(b->fd, p, n, (off_t)off);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (!r) {
			memset(p, 0, n);
			break;
		}
		p += r;
		off += (uint64_t)r;
		n -= (uint64_t)r;
	}
	return 0;
}

int qcow2_backing_pread(struct qcow2 *q, void *buf, uint64_t len, uint64_t off)
{
	if (!q->backing) {
		memset(buf, 0, len);
		return 0;
	}
	return qcow2_backing_read(q->backing, buf, len, off);
}

int qcow2_backing_status(struct qcow2 *q, struct qcow2_extent *ext)
{
	struct qcow2_backing *b = q->backing;
	uint64_t start = ext->start, len = ext->length;
	off_t d, h;
	int err;

	/* beyond the backing image's end: zeros, at this depth (as qemu says) */
	if (!b || start >= b->size)
		return 0;
	if (len > b->size - start)
		len = b->size - start;
	if (b->q) {
		err = qcow2_block_status(b->q, start, len, ext);
		if (!err)
			ext->depth++;
		return err;
	}
	memset(ext, 0, sizeof(*ext));
	ext->start = start;
	ext->length = len;
	ext->depth = 1;
	ext->filename = b->path;
	ext->raw = true;
	ext->host_offset = start;
	d = lseek(b->fd, (off_t)start, SEEK_DATA);
	if (d < 0 || (uint64_t)d > start) {
		/* a hole in the raw file: present, reads as zeros */
		ext->type = QCOW2_EXT_ZERO;
		if (d >= 0 && (uint64_t)d - start < len)
			ext->length = (uint64_t)d - start;
		return 0;
	}
	ext->type = QCOW2_EXT_DATA;
	h = lseek(b->fd, (off_t)start, SEEK_HOLE);
	if (h > (off_t)start && (uint64_t)h - start < len)
		ext->length = (uint64_t)h - start;
	return 0;
}
