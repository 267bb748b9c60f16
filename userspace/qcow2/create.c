// SPDX-License-Identifier: GPL-2.0
/*
 * Creating images the way qemu-img 7.2 lays them out (header, refcount
 * table, first refcount block, L1 table) and preallocation of L2 tables and
 * data clusters (metadata / falloc / full).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qcow2-int.h"

static bool is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

static int check_opts(const struct qcow2_create_opts *o)
{
	if (!is_pow2(o->cluster_size) || o->cluster_size < 512 || o->cluster_size > (2u << 20))
		return qcow2_err(-EINVAL, "Cluster size must be a power of two between 512 and 2048k");
	if (!is_pow2(o->refcount_bits) || o->refcount_bits > 64)
		return qcow2_err(-EINVAL, "Refcount width must be a power of two and may not exceed 64 bits");
	if (o->version != 2 && o->version != 3)
		return qcow2_err(-EINVAL, "Invalid compatibility level");
	if (o->version == 2 && o->refcount_bits != 16)
		return qcow2_err(-EINVAL, "Different refcount widths than 16 bits require compatibility level 1.1 or above (use compat=1.1 or greater)");
	if (o->compression_type < 0 || o->compression_type > QCOW2_COMPRESS_ZSTD)
		return qcow2_err(-EINVAL, "Unknown compression type");
	if (o->version == 2 && o->compression_type)
		return qcow2_err(-EINVAL, "Non-zlib compression type is only supported with compatibility level 1.1 and above (use compat=1.1 or greater)");
	if (o->version == 2 && o->lazy_refcounts)
		return qcow2_err(-EINVAL, "Lazy refcounts only supported with compatibility level 1.1 and above (use compat=1.1 or greater)");
	if (o->backing_file && !o->backing_fmt)
		return qcow2_err(-EINVAL, "Backing file specified without backing format");
	if (o->backing_file && strlen(o->backing_file) > QCOW2_MAX_BACKING_NAME)
		return qcow2_err(-ENAMETOOLONG, "backing file name too long");
	if (o->backing_file && o->prealloc != QCOW2_PREALLOC_OFF)
		return qcow2_err(-EINVAL, "Backing file and preallocation can only be used at the same time if extended_l2 is on");
	if (o->size > (1ull << 62))
		return qcow2_err(-EFBIG, "image size too large");
	return 0;
}

/* Header, refcount table and the first refcount block (clusters 0..2). */
static int write_initial(struct qcow2 *q)
{
	uint64_t cs = q->cluster_size;
	uint8_t *buf;
	int len, err;

	buf = calloc(1, cs);
	if (!buf)
		return -ENOMEM;
	len = qcow2_build_header(q, buf, cs);
	err = len < 0 ? len : qcow2_host_pwrite(q, buf, cs, 0);
	if (err)
		goto out;
	memset(buf, 0, cs);
	*(uint64_t *)buf = htobe64(2 * cs);
	err = qcow2_host_pwrite(q, buf, cs, cs);
	if (err)
		goto out;
	memset(buf, 0, cs);
	qcow2_rb_set(q, buf, 0, 1);
	qcow2_rb_set(q, buf, 1, 1);
	qcow2_rb_set(q, buf, 2, 1);
	err = qcow2_host_pwrite(q, buf, cs, 2 * cs);
out:
	free(buf);
	return err;
}

int qcow2_create(const char *path, const struct qcow2_create_opts *o, unsigned int flags)
{
	struct qcow2_open_opts oo = { .l2_cache_size = 1 << 20 };
	struct qcow2 *q;
	uint64_t size = qcow2_align_up(o->size, 512), l2_cover, bsize;
	int err;

	err = check_opts(o);
	if (err)
		return err;
	if (o->backing_file && !(flags & QCOW2_CREATE_UNSAFE)) {
		/* the chain must open; its size is the default */
		err = qcow2_backing_probe(path, o->backing_file, o->backing_fmt, &bsize);
		if (err)
			return err;
		if (!o->size)
			size = qcow2_align_up(bsize, 512);
	} else if (o->backing_file && !o->size) {
		return qcow2_err(-EINVAL, "Image creation needs a size parameter");
	}
	q = qcow2_alloc_handle(0);
	if (!q)
		return -ENOMEM;
	if (o->backing_file) {
		q->backing_file = strdup(o->backing_file);
		q->backing_fmt = strdup(o->backing_fmt);
		if (!q->backing_file || !q->backing_fmt) {
			qcow2_free_handle(q);
			return -ENOMEM;
		}
	}
	q->fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC |
		     (flags & QCOW2_CREATE_EXCL ? O_EXCL : 0), 0644);
	if (q->fd < 0) {
		err = qcow2_err(-errno, "%s", strerror(errno));
		qcow2_free_handle(q);
		return err;
	}
	q->dfd = q->fd;
	q->version = (uint32_t)o->version;
	q->cluster_bits = (uint32_t)__builtin_ctz(o->cluster_size);
	q->refcount_order = (uint32_t)__builtin_ctz(o->refcount_bits);
	q->header_length = o->version >= 3 ? QCOW2_HDR_LEN : QCOW2_V2_HDR_LEN;
	q->compat = o->lazy_refcounts ? QCOW2_COMPAT_LAZY : 0;
	q->compression_type = (uint8_t)o->compression_type;
	if (o->compression_type)
		q->incompat |= QCOW2_INCOMPAT_COMPRESSION;
	q->reftable_clusters = 1;
	qcow2_derive(q);
	q->reftable_offset = q->cluster_size;
	q->size = size;
	q->alloc_end = 3;
	q->free_cluster_index = 3;
	q->nosync = true;
	l2_cover = 1ull << (q->cluster_bits + q->l2_bits);
	err = write_initial(q);
	if (!err)
		err = qcow2_load_reftable(q);
	if (!err)
		err = qcow2_init_caches(q, &oo);
	if (err)
		goto err_unlink;
	/* The L1 table through the allocator, as qemu-img does. */
	q->l1 = calloc(1, 8);
	if (!q->l1) {
		err = -ENOMEM;
		goto err_unlink;
	}
	err = qcow2_grow_l1(q, (size + l2_cover - 1) / l2_cover);
	if (err)
		goto err_unlink;
	if (o->crypt && o->crypt->format != QCOW2_CRYPT_NONE) {
		/* preallocated clusters would not read back as encrypted zeros */
		err = o->prealloc != QCOW2_PREALLOC_OFF ?
		      qcow2_err(-ENOTSUP, "preallocation is not supported with encryption") :
		      qcow2_crypt_create(q, o->crypt);
		if (err)
			goto err_unlink;
	}
	if (o->prealloc != QCOW2_PREALLOC_OFF) {
		err = qcow2_preallocate(q, 0, size, o->prealloc);
		if (err)
			goto err_unlink;
	}
	err = qcow2_flush_locked(q);
	if (err)
		goto err_unlink;
	err = qcow2_write_header(q);
	q->nosync = false;
	if (!err)
		err = qcow2_host_sync(q);
	if (err)
		goto err_unlink;
	qcow2_free_handle(q);
	return 0;
err_unlink:
	unlink(path);
	qcow2_free_handle(q);
	return err;
}

static int fill_data(struct qcow2 *q, uint64_t host, uint64_t len,
		     enum qcow2_prealloc prealloc)
{
	static const uint8_t zeros[1 << 16];
	int err;

	if (prealloc == QCOW2_PREALLOC_FALLOC) {
		err = posix_fallocate(q->fd, (off_t)host, (off_t)len);
		if (err)
			return qcow2_err(-err, "fallocate: %s", strerror(err));
		if (host + len > q->file_end)
			q->file_end = host + len;
		return 0;
	}
	if (prealloc == QCOW2_PREALLOC_FULL) {
		while (len) {
			uint64_t n = len > sizeof(zeros) ? sizeof(zeros) : len;

			err = qcow2_host_pwrite(q, zeros, n, host);
			if (err)
				return err;
			host += n;
			len -= n;
		}
	}
	return 0;
}

static bool needs_alloc(const struct qcow2 *q, uint64_t e)
{
	enum qcow2_cluster_type t = qcow2_l2_type(q, e);

	return t == QCOW2_CL_UNALLOCATED || t == QCOW2_CL_ZERO_PLAIN;
}

/* Clusters of [off, end) that have no host cluster yet. */
static int count_unallocated(struct qcow2 *q, uint64_t off, uint64_t end, uint64_t *count)
{
	uint64_t e, n;
	int err;

	*count = 0;
	while (off < end) {
		err = qcow2_get_cluster(q, off, (end - off) >> q->cluster_bits, &e, &n);
		if (err)
			return err;
		if (needs_alloc(q, e))
			*count += n;
		off += n << q->cluster_bits;
	}
	return 0;
}

/*
 * metadata: L2 tables interleaved with their (sparse) data clusters, as
 * qemu-img lays them out. falloc/full: one contiguous data area, reserved
 * or zeroed in one go, then the L2 tables.
 */
int qcow2_preallocate(struct qcow2 *q, uint64_t from, uint64_t to,
		      enum qcow2_prealloc prealloc)
{
	uint64_t cs = q->cluster_size, off = from & ~(cs - 1), end;
	uint64_t *l2 = NULL, idx, n, i, j, k, last_end = 0, area = 0, total = 0;
	bool saved = q->nosync;
	int64_t host;
	int err = 0;

	end = qcow2_align_up(to, cs);
	q->nosync = true;
	if (prealloc != QCOW2_PREALLOC_METADATA) {
		err = count_unallocated(q, off, end, &total);
		if (!err && total) {
			host = qcow2_alloc_clusters(q, total);
			err = host < 0 ? (int)host : 0;
			if (!err) {
				area = (uint64_t)host;
				err = fill_data(q, area, total * cs, prealloc);
			}
		}
	}
	while (!err && off < end) {
		err = qcow2_get_l2(q, off, true, &l2, &idx);
		if (err)
			break;
		n = (1ull << q->l2_bits) - idx;
		if (n > (end - off) >> q->cluster_bits)
			n = (end - off) >> q->cluster_bits;
		for (i = 0; i < n && !err; i = j) {
			if (!needs_alloc(q, be64toh(l2[idx + i]))) {
				j = i + 1;
				continue;
			}
			for (j = i + 1; j < n; j++)
				if (!needs_alloc(q, be64toh(l2[idx + j])))
					break;
			if (area) {
				host = (int64_t)area;
				area += (j - i) * cs;
			} else {
				host = qcow2_alloc_clusters(q, j - i);
				if (host < 0) {
					err = (int)host;
					break;
				}
			}
			err = qcow2_cache_set_dependency(&q->l2c, &q->rbc);
			for (k = i; k < j; k++)
				l2[idx + k] = htobe64(((uint64_t)host + (k - i) * cs) | QCOW2_OFLAG_COPIED);
			qcow2_cache_mark_dirty(&q->l2c, l2);
			if ((uint64_t)host + (j - i) * cs > last_end)
				last_end = (uint64_t)host + (j - i) * cs;
		}
		qcow2_cache_put(&q->l2c, (void **)&l2);
		off += n << q->cluster_bits;
	}
	/* metadata: the data clusters are holes, but inside the file */
	if (!err && last_end > q->file_end) {
		if (ftruncate(q->fd, (off_t)last_end))
			err = -errno;
		else
			q->file_end = last_end;
	}
	if (!err)
		err = qcow2_flush_locked(q);
	q->nosync = saved;
	if (!err)
		err = qcow2_host_sync(q);
	return err;
}
