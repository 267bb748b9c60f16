// SPDX-License-Identifier: GPL-2.0
/*
 * Changing a backing chain: commit (merge an image into its backing image,
 * then empty it) and rebase (safe: keep the guest content; unsafe: header
 * only).
 *
 * Crash safety of commit: the backing image gets all the data and is synced
 * before the first cluster of the image is dropped, and each L2 table of
 * the image reaches the disk before the clusters it no longer uses are
 * freed; so at any moment the image reads the same as before.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qcow2-int.h"

#define CHUNK	(1u << 20)

/* Allocation status of q alone (its backing chain not consulted). */
static int top_status(struct qcow2 *q, uint64_t off, uint64_t len,
		      struct qcow2_extent *ext)
{
	struct qcow2_backing *b = q->backing;
	int err;

	q->backing = NULL;
	err = qcow2_block_status(q, off, len, ext);
	q->backing = b;
	return err;
}

/* ---- the base, opened read/write for commit ------------------------------- */

struct base {
	struct qcow2 *q;
	int fd;
};

static int base_open(struct qcow2 *q, struct qcow2_backing *bk, struct base *b)
{
	struct stat st;
	int err;

	b->q = NULL;
	b->fd = -1;
	if (bk->q) {
		err = qcow2_open(bk->path, q->flags & QCOW2_O_DIRECT, &b->q);
		if (err)
			return err;
		if (qcow2_size(b->q) < q->size)
			return qcow2_resize(b->q, qcow2_align_up(q->size, 512),
					    QCOW2_PREALLOC_OFF, 0);
		return 0;
	}
	b->fd = open(bk->path, O_RDWR | O_CLOEXEC);
	if (b->fd < 0 || fstat(b->fd, &st))
		return qcow2_err(-errno, "cannot open '%s': %s", bk->path, strerror(errno));
	if ((uint64_t)st.st_size < q->size && ftruncate(b->fd, (off_t)q->size))
		return qcow2_err(-errno, "cannot grow '%s': %s", bk->path, strerror(errno));
	return 0;
}

static int base_close(struct base *b, int err)
{
	int e = 0;

	if (b->q)
		e = qcow2_close(b->q);
	if (b->fd >= 0) {
		if (!err && fdatasync(b->fd))
			e = -errno;
		close(b->fd);
	}
	return err ? err : e;
}

static int base_write(struct base *b, const uint8_t *buf, uint64_t len, uint64_t off)
{
	ssize_t n;

	if (b->q) {
		n = qcow2_pwrite(b->q, buf, len, off);
		return n < 0 ? (int)n : 0;
	}
	while (len) {
		n = pwrite(b->fd, buf, len, (off_t)off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += n;
		off += (uint64_t)n;
		len -= (uint64_t)n;
	}
	return 0;
}

static int base_zero(struct base *b, uint8_t *zbuf, uint64_t len, uint64_t off)
{
	int err;

	if (b->q)
		return qcow2_write_zeroes(b->q, off, len, QCOW2_ZERO_UNMAP);
	if (!fallocate(b->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)len))
		return 0;
	memset(zbuf, 0, CHUNK);
	while (len) {
		uint64_t n = len < CHUNK ? len : CHUNK;

		err = base_write(b, zbuf, n, off);
		if (err)
			return err;
		off += n;
		len -= n;
	}
	return 0;
}

static int copy_above(struct qcow2 *q, struct base *b, uint8_t *buf)
{
	struct qcow2_extent e;
	uint64_t off = 0, n;
	ssize_t r;
	int err;

	while (off < q->size) {
		err = qcow2_block_status(q, off, q->size - off, &e);
		if (err)
			return err;
		if (e.type == QCOW2_EXT_ZERO) {
			err = base_zero(b, buf, e.length, off);
			if (err)
				return err;
		} else if (e.type != QCOW2_EXT_UNALLOCATED) {
			for (n = 0; n < e.length; n += CHUNK) {
				uint64_t len = e.length - n < CHUNK ? e.length - n : CHUNK;

				r = qcow2_pread(q, buf, len, off + n);
				if (r < 0)
					return (int)r;
				err = base_write(b, buf, len, off + n);
				if (err)
					return err;
			}
		}
		off += e.length;
	}
	return 0;
}

/*
 * Copy every cluster allocated above the base (data and zeros) into it: the
 * chain is cut below cut (the image right above the base) meanwhile, so the
 * base's read-only handle, stale while the base changes, is never asked.
 */
static int copy_to_base(struct qcow2 *q, struct qcow2 *cut, struct base *b, uint8_t *buf)
{
	struct qcow2_backing *saved = cut->backing;
	int err;

	cut->backing = NULL;
	err = copy_above(q, b, buf);
	cut->backing = saved;
	return err;
}

/* ---- emptying the image ----------------------------------------------------- */

/* Host range a compressed L2 entry uses (whole 512-byte sectors). */
static void compressed_range(const struct qcow2 *q, uint64_t e, uint64_t *off, uint64_t *len)
{
	unsigned int x = 62 - (q->cluster_bits - 8);
	uint64_t host = e & ((1ull << x) - 1);
	uint64_t nsec = ((e >> x) & ((1ull << (q->cluster_bits - 8)) - 1)) + 1;

	*off = host & ~511ull;
	*len = nsec * 512;
}

/* Unmap every cluster of one L2 table; the table reaches the disk first. */
static int empty_l2(struct qcow2 *q, uint64_t off, uint64_t *run_off, uint64_t *run_len)
{
	uint64_t *l2 = NULL, idx, i, entries = 1ull << q->l2_bits, nruns = 0;
	int err;

	err = qcow2_get_l2(q, off, true, &l2, &idx);
	if (err || !l2)
		return err;
	for (i = 0; i < entries; i++) {
		uint64_t e = be64toh(l2[i]), h, len;

		if (!e)
			continue;
		l2[i] = 0;
		switch (qcow2_l2_type(q, e)) {
		case QCOW2_CL_COMPRESSED:
			compressed_range(q, e, &h, &len);
			break;
		case QCOW2_CL_NORMAL:
		case QCOW2_CL_ZERO_ALLOC:
			h = e & L2E_OFFSET_MASK;
			len = q->cluster_size;
			break;
		default:
			continue;
		}
		if (nruns && run_off[nruns - 1] + run_len[nruns - 1] == h &&
		    !(h & (q->cluster_size - 1))) {
			run_len[nruns - 1] += len;
			continue;
		}
		run_off[nruns] = h;
		run_len[nruns++] = len;
	}
	qcow2_cache_mark_dirty(&q->l2c, l2);
	qcow2_cache_put(&q->l2c, (void **)&l2);
	err = qcow2_cache_flush(&q->l2c);
	for (i = 0; !err && i < nruns; i++)
		err = qcow2_free_clusters(q, run_off[i], run_len[i]);
	return err;
}

static int make_empty(struct qcow2 *q)
{
	uint64_t entries = 1ull << q->l2_bits, i, *run_off, *run_len;
	int err = 0;

	run_off = malloc(entries * sizeof(*run_off));
	run_len = malloc(entries * sizeof(*run_len));
	if (!run_off || !run_len) {
		err = -ENOMEM;
		goto out;
	}
	pthread_rwlock_wrlock(&q->io_lock);
	pthread_mutex_lock(&q->meta_lock);
	for (i = 0; !err && i < q->l1_size; i++)
		if (q->l1[i] & L1E_OFFSET_MASK)
			err = empty_l2(q, i << (q->cluster_bits + q->l2_bits), run_off, run_len);
	if (!err)
		err = qcow2_flush_locked(q);
	pthread_mutex_unlock(&q->meta_lock);
	pthread_rwlock_unlock(&q->io_lock);
out:
	free(run_off);
	free(run_len);
	return err;
}

/* Commit into the image depth levels down (1: the backing image). */
static int commit_depth(struct qcow2 *q, unsigned int depth, unsigned int flags)
{
	struct qcow2 *cut = q;
	struct base b;
	uint8_t *buf = NULL;
	int err, e;

	while (--depth)
		cut = cut->backing->q;
	if (posix_memalign((void **)&buf, 4096, CHUNK))
		return -ENOMEM;
	err = base_open(q, cut->backing, &b);
	if (!err)
		err = copy_to_base(q, cut, &b, buf);
	/* the base has everything (synced) before the image lets go of it */
	err = base_close(&b, err);
	free(buf);
	if (!err && !(flags & QCOW2_COMMIT_KEEP))
		err = make_empty(q);
	/* the read-only handle of the base has stale tables now */
	qcow2_backing_close(q);
	e = qcow2_backing_open(q);
	return err ? err : e;
}

static int commit_check(struct qcow2 *q)
{
	if (q->read_only)
		return qcow2_err(-EROFS, "image is open read-only");
	if (!q->backing_file)
		return qcow2_err(-EINVAL, "Image does not have a backing file");
	if (!q->backing)
		return qcow2_err(-EINVAL, "the backing file is not open");
	return 0;
}

int qcow2_commit(struct qcow2 *q, unsigned int flags)
{
	int err = commit_check(q);

	return err ? err : commit_depth(q, 1, flags);
}

int qcow2_commit_to(struct qcow2 *q, const char *base, unsigned int flags)
{
	struct qcow2_backing *bk;
	struct stat st, bst;
	unsigned int depth = 1;
	int err = commit_check(q);

	if (err)
		return err;
	if (stat(base, &st))
		return qcow2_err(-errno, "'%s': %s", base, strerror(errno));
	for (bk = q->backing; bk; bk = bk->q ? bk->q->backing : NULL, depth++) {
		if (fstat(bk->q ? bk->q->fd : bk->fd, &bst))
			return -errno;
		if (bst.st_dev == st.st_dev && bst.st_ino == st.st_ino)
			break;
	}
	if (!bk)
		return qcow2_err(-EINVAL, "'%s' is not in the backing chain of the image", base);
	/* the images in between no longer read right: the top keeps its data */
	return commit_depth(q, depth, depth > 1 ? flags | QCOW2_COMMIT_KEEP : flags);
}

/* ---- rebase ------------------------------------------------------------------- */

/*
 * Copy into q every cluster it does not allocate where the old chain (what
 * q reads now) and the new one differ.
 */
static int copy_differences(struct qcow2 *q, struct qcow2_backing *nb)
{
	uint64_t cs = q->cluster_size, off = 0, i;
	struct qcow2_extent e;
	uint8_t *a = NULL, *b = NULL;
	int err = 0;

	if (posix_memalign((void **)&a, 4096, CHUNK) || posix_memalign((void **)&b, 4096, CHUNK)) {
		err = -ENOMEM;
		goto out;
	}
	while (!err && off < q->size) {
		uint64_t len;

		err = top_status(q, off, q->size - off, &e);
		if (err)
			break;
		if (e.type != QCOW2_EXT_UNALLOCATED) {
			off += e.length;
			continue;
		}
		/* whole clusters: an unallocated run starts and ends on one */
		len = e.length < CHUNK ? e.length : CHUNK;
		err = (int)qcow2_pread(q, a, len, off);
		if (err >= 0 && nb)
			err = qcow2_backing_read(nb, b, len, off);
		else if (err >= 0)
			memset(b, 0, len);
		for (i = 0; err >= 0 && i < len; i += cs) {
			uint64_t n = len - i < cs ? len - i : cs;

			if (!memcmp(a + i, b + i, n))
				continue;
			err = (int)qcow2_pwrite(q, a + i, n, off + i);
		}
		if (err > 0)
			err = 0;
		off += len;
	}
out:
	free(a);
	free(b);
	return err < 0 ? err : 0;
}

int qcow2_rebase(struct qcow2 *q, const char *name, const char *fmt, unsigned int flags)
{
	struct qcow2_backing *nb = NULL;
	char *nname = NULL, *nfmt = NULL;
	char *oname = q->backing_file, *ofmt = q->backing_fmt;
	int err;

	if (q->read_only)
		return qcow2_err(-EROFS, "image is open read-only");
	if (name && !*name)
		name = NULL;
	if (name && !fmt)
		return qcow2_err(-EINVAL, "Could not change the backing file to '%s': backing format must be specified", name);
	if (name && strlen(name) > QCOW2_MAX_BACKING_NAME)
		return qcow2_err(-ENAMETOOLONG, "backing file name too long");
	if (name && !(flags & QCOW2_REBASE_UNSAFE)) {
		struct qcow2_backing *saved = q->backing;
		char *sname = q->backing_file, *sfmt = q->backing_fmt;

		/* open the new chain the way the image will: through q */
		q->backing_file = (char *)name;
		q->backing_fmt = (char *)fmt;
		q->backing = NULL;
		err = qcow2_backing_open(q);
		nb = q->backing;
		q->backing = saved;
		q->backing_file = sname;
		q->backing_fmt = sfmt;
		if (err)
			return err;
	}
	if (!(flags & QCOW2_REBASE_UNSAFE)) {
		if (q->backing_file && !q->backing) {
			err = qcow2_err(-EINVAL, "the old backing file is not open");
			goto err_close;
		}
		err = copy_differences(q, nb);
		if (!err)
			err = qcow2_flush(q);
		if (err)
			goto err_close;
	} else if (name && fmt && strcmp(fmt, "qcow2") && strcmp(fmt, "raw")) {
		err = qcow2_err(-ENOTSUP, "backing format '%s' is not supported (qcow2 or raw)", fmt);
		goto err_close;
	}
	if (name) {
		nname = strdup(name);
		nfmt = fmt ? strdup(fmt) : NULL;
		if (!nname || (fmt && !nfmt)) {
			err = -ENOMEM;
			goto err_free;
		}
	}
	q->backing_file = nname;
	q->backing_fmt = nfmt;
	err = qcow2_write_header(q);
	if (err) {
		q->backing_file = oname;
		q->backing_fmt = ofmt;
		goto err_free;
	}
	free(oname);
	free(ofmt);
	qcow2_backing_close(q);
	q->backing = nb;
	/* unsafe: the new chain from now on, if it opens (it need not exist) */
	if (q->backing_file && !nb && !(q->flags & (QCOW2_O_NO_BACKING | QCOW2_O_CHECK)))
		qcow2_backing_open(q);
	return 0;
err_free:
	free(nname);
	free(nfmt);
err_close:
	if (nb) {
		struct qcow2_backing *saved = q->backing;

		q->backing = nb;
		qcow2_backing_close(q);
		q->backing = saved;
	}
	return err;
}
