// SPDX-License-Identifier: GPL-2.0
/* The image handle: open, close, information, allocation status. */
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

#define DEFAULT_L2_CACHE_MAX	(32ull << 20)

static int load_l1(struct qcow2 *q)
{
	size_t bytes = (size_t)q->l1_size * 8;
	uint64_t i;
	int err;

	q->l1 = calloc(1, bytes ? bytes : 8);
	if (!q->l1)
		return -ENOMEM;
	if (!bytes)
		return 0;
	if (q->l1_offset + bytes > q->file_end ||
	    q->l1_offset < q->cluster_size)
		return qcow2_err(-EUCLEAN, "L1 table at %#llx lies outside the image",
				 (unsigned long long)q->l1_offset);
	err = qcow2_host_pread(q, q->l1, bytes, q->l1_offset);
	if (err)
		return qcow2_err(err, "cannot read the L1 table");
	for (i = 0; i < q->l1_size; i++)
		q->l1[i] = be64toh(q->l1[i]);
	return 0;
}

int qcow2_init_caches(struct qcow2 *q, const struct qcow2_open_opts *o)
{
	uint64_t l2n, rbn;
	int err;

	if (o->l2_cache_size) {
		l2n = o->l2_cache_size / q->cluster_size;
	} else {
		l2n = DEFAULT_L2_CACHE_MAX / q->cluster_size;
		if (l2n > q->l1_size)
			l2n = q->l1_size;
	}
	if (l2n < 4)
		l2n = 4;
	if (l2n > 65536)
		l2n = 65536;
	rbn = o->refcount_cache_size / q->cluster_size;
	if (rbn < 4)
		rbn = 4;
	if (rbn > 65536)
		rbn = 65536;
	err = qcow2_cache_init(q, &q->l2c, "l2", (unsigned int)l2n);
	if (err)
		return err;
	return qcow2_cache_init(q, &q->rbc, "refcount", (unsigned int)rbn);
}

void qcow2_free_handle(struct qcow2 *q)
{
	unsigned int i;

	if (q->dfd >= 0 && q->dfd != q->fd)
		close(q->dfd);
	if (q->fd >= 0)
		close(q->fd);
	qcow2_backing_close(q);
	qcow2_crypt_free(q);
	qcow2_cache_destroy(&q->l2c);
	qcow2_cache_destroy(&q->rbc);
	for (i = 0; i < q->nhext; i++)
		free(q->hext[i].data);
	free(q->hext);
	free(q->hdr_extra);
	free(q->backing_file);
	free(q->backing_fmt);
	free(q->l1);
	free(q->reftable);
	free(q->path);
	pthread_rwlock_destroy(&q->io_lock);
	pthread_mutex_destroy(&q->meta_lock);
	pthread_cond_destroy(&q->alloc_done);
	free(q);
}

struct qcow2 *qcow2_alloc_handle(unsigned int flags)
{
	struct qcow2 *q = calloc(1, sizeof(*q));

	if (!q)
		return NULL;
	q->fd = q->dfd = -1;
	q->flags = flags;
	q->read_only = flags & QCOW2_O_RDONLY;
	pthread_rwlock_init(&q->io_lock, NULL);
	pthread_mutex_init(&q->meta_lock, NULL);
	pthread_cond_init(&q->alloc_done, NULL);
	return q;
}

/* A dirty image (lazy refcounts, not closed cleanly): rebuild its refcounts. */
static int repair_dirty(struct qcow2 *q)
{
	struct qcow2_check_result r;
	unsigned int saved = q->flags;
	int err;

	q->flags |= QCOW2_O_CHECK;
	err = qcow2_check(q, QCOW2_FIX_LEAKS | QCOW2_FIX_ERRORS, &r, NULL, NULL);
	q->flags = saved;
	if (err)
		return err;
	if (r.corruptions > r.corruptions_fixed)
		return qcow2_err(-EUCLEAN, "dirty image could not be repaired");
	return qcow2_mark_clean(q);
}

int qcow2_open_opts(const char *path, const struct qcow2_open_opts *o, struct qcow2 **out)
{
	bool ro = o->flags & QCOW2_O_RDONLY;
	struct qcow2 *q;
	struct stat st;
	int err;

	q = qcow2_alloc_handle(o->flags);
	if (!q)
		return -ENOMEM;
	q->path = strdup(path);
	if (!q->path) {
		err = -ENOMEM;
		goto err_free;
	}
	q->fd = open(path, (ro ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (q->fd < 0) {
		err = qcow2_err(-errno, "%s", strerror(errno));
		goto err_free;
	}
	q->dfd = q->fd;
	q->nosync = o->flags & QCOW2_O_UNSAFE;
	if (fstat(q->fd, &st)) {
		err = -errno;
		goto err_free;
	}
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		err = qcow2_err(-EINVAL, "not a regular file");
		goto err_free;
	}
	q->file_end = (uint64_t)st.st_size;
	if (S_ISBLK(st.st_mode) && ioctl(q->fd, BLKGETSIZE64, &q->file_end)) {
		err = -errno;
		goto err_free;
	}
	err = qcow2_read_header(q);
	if (err)
		goto err_free;
	q->alloc_end = qcow2_align_up(q->file_end, q->cluster_size) >> q->cluster_bits;
	q->free_cluster_index = 1;
	q->lazy = q->version >= 3 && (q->compat & QCOW2_COMPAT_LAZY);
	q->corrupt = q->incompat & QCOW2_INCOMPAT_CORRUPT;
	if (q->corrupt && !ro && !(q->flags & QCOW2_O_CHECK)) {
		err = qcow2_err(-EUCLEAN, "image is corrupt; cannot be opened read/write");
		goto err_free;
	}
	err = load_l1(q);
	if (!err)
		err = qcow2_load_reftable(q);
	if (!err)
		err = qcow2_init_caches(q, o);
	if (!err && !ro)
		err = qcow2_find_alloc_end(q);
	if (err)
		goto err_free;
	if (!ro && (q->autoclear & ~QCOW2_AUTOCLEAR_KNOWN)) {
		/* Features we do not maintain are no longer valid once we write. */
		q->autoclear &= QCOW2_AUTOCLEAR_KNOWN;
		err = qcow2_write_header(q);
		if (err)
			goto err_free;
	}
	if (!ro && (q->incompat & QCOW2_INCOMPAT_DIRTY) && !(q->flags & QCOW2_O_CHECK)) {
		err = repair_dirty(q);
		if (err)
			goto err_free;
	}
	if (o->flags & QCOW2_O_DIRECT) {
		struct statx sx;

		q->dfd = open(path, (ro ? O_RDONLY : O_RDWR) | O_CLOEXEC | O_DIRECT);
		if (q->dfd < 0) {
			err = qcow2_err(-errno, "O_DIRECT: %s", strerror(errno));
			q->dfd = q->fd;
			goto err_free;
		}
		/* What the file system needs for direct I/O (else 4 KiB). */
		q->dio_align = 4096;
		if (!statx(q->dfd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &sx) &&
		    (sx.stx_mask & STATX_DIOALIGN) && sx.stx_dio_offset_align) {
			q->dio_align = sx.stx_dio_offset_align > sx.stx_dio_mem_align ?
				       sx.stx_dio_offset_align : sx.stx_dio_mem_align;
			if (q->dio_align < 512 || q->dio_align & (q->dio_align - 1))
				q->dio_align = 4096;
		}
	}
	/* encrypted: unlocked now if a secret was registered for it (crypt.c) */
	err = qcow2_crypt_open(q);
	if (err)
		goto err_free;
	/* the backing chain (read-only); check and info do without it */
	if (q->backing_file && !(o->flags & (QCOW2_O_NO_BACKING | QCOW2_O_CHECK))) {
		err = qcow2_backing_open(q);
		if (err)
			goto err_free;
	}
	*out = q;
	return 0;
err_free:
	qcow2_free_handle(q);
	return err;
}

int qcow2_open(const char *path, unsigned int flags, struct qcow2 **out)
{
	struct qcow2_open_opts o = { .flags = flags };

	return qcow2_open_opts(path, &o, out);
}

int qcow2_close(struct qcow2 *q)
{
	int err = 0;

	if (!q)
		return 0;
	if (!q->read_only || (q->flags & QCOW2_O_CHECK)) {
		err = qcow2_flush_locked(q);
		if (!err && q->dirty_set)
			err = qcow2_mark_clean(q);
	}
	qcow2_free_handle(q);
	return err;
}

uint64_t qcow2_size(const struct qcow2 *q)
{
	return q->size;
}

uint32_t qcow2_cluster_size(const struct qcow2 *q)
{
	return (uint32_t)q->cluster_size;
}

int qcow2_fd(const struct qcow2 *q)
{
	return q->fd;
}

int qcow2_get_info(struct qcow2 *q, struct qcow2_info *info)
{
	struct stat st;

	memset(info, 0, sizeof(*info));
	if (fstat(q->fd, &st))
		return -errno;
	info->virtual_size = q->size;
	info->actual_size = (uint64_t)st.st_blocks * 512;
	info->file_size = (uint64_t)st.st_size;
	info->cluster_size = (uint32_t)q->cluster_size;
	info->refcount_bits = 1u << q->refcount_order;
	info->version = (int)q->version;
	info->lazy_refcounts = q->compat & QCOW2_COMPAT_LAZY;
	info->dirty = q->incompat & QCOW2_INCOMPAT_DIRTY;
	info->corrupt = q->incompat & QCOW2_INCOMPAT_CORRUPT;
	info->extended_l2 = q->incompat & QCOW2_INCOMPAT_EXTL2;
	info->compression_type = q->compression_type;
	info->incompatible_features = q->incompat;
	info->compatible_features = q->compat;
	info->autoclear_features = q->autoclear;
	info->nb_snapshots = q->nb_snapshots;
	if (q->backing_file)
		snprintf(info->backing_file, sizeof(info->backing_file), "%s", q->backing_file);
	if (q->backing_fmt)
		snprintf(info->backing_fmt, sizeof(info->backing_fmt), "%s", q->backing_fmt);
	return 0;
}

static enum qcow2_extent_type ext_type(const struct qcow2 *q, uint64_t e)
{
	switch (qcow2_l2_type(q, e)) {
	case QCOW2_CL_NORMAL:
		return QCOW2_EXT_DATA;
	case QCOW2_CL_COMPRESSED:
		return QCOW2_EXT_COMPRESSED;
	case QCOW2_CL_ZERO_PLAIN:
	case QCOW2_CL_ZERO_ALLOC:
		return QCOW2_EXT_ZERO;
	default:
		return QCOW2_EXT_UNALLOCATED;
	}
}

int qcow2_block_status(struct qcow2 *q, uint64_t off, uint64_t len,
		       struct qcow2_extent *ext)
{
	uint64_t cs = q->cluster_size, cur = off, e, n, host = 0, want_host = 0;
	enum qcow2_extent_type t = QCOW2_EXT_UNALLOCATED;
	bool first = true;
	int err = 0;

	if (off >= q->size)
		return -EINVAL;
	if (len > q->size - off)
		len = q->size - off;
	memset(ext, 0, sizeof(*ext));
	pthread_rwlock_rdlock(&q->io_lock);
	pthread_mutex_lock(&q->meta_lock);
	while (cur < off + len) {
		uint64_t in = cur & (cs - 1), max = ((in + off + len - cur) + cs - 1) >> q->cluster_bits;
		enum qcow2_extent_type et;

		err = qcow2_get_cluster(q, cur, max, &e, &n);
		if (err)
			break;
		et = ext_type(q, e);
		host = e & L2E_OFFSET_MASK;
		if (first) {
			t = et;
			ext->host_offset = (et == QCOW2_EXT_DATA || et == QCOW2_EXT_ZERO) ? host + in : 0;
			want_host = host;
			first = false;
		} else if (et != t || (t == QCOW2_EXT_DATA && host != want_host) ||
			   (t == QCOW2_EXT_ZERO && (host != 0) != (ext->host_offset != 0))) {
			break;
		}
		if (t == QCOW2_EXT_ZERO && host && host != want_host)
			break;
		want_host = host + (n << q->cluster_bits);
		cur += (n << q->cluster_bits) - in;
		if (t == QCOW2_EXT_COMPRESSED)
			break;
	}
	pthread_mutex_unlock(&q->meta_lock);
	pthread_rwlock_unlock(&q->io_lock);
	if (err)
		return err;
	ext->start = off;
	ext->type = t;
	ext->length = (cur > off + len ? off + len : cur) - off;
	ext->filename = q->path;
	if (t == QCOW2_EXT_UNALLOCATED)
		return qcow2_backing_status(q, ext);
	return 0;
}

void qcow2_create_opts_init(struct qcow2_create_opts *o, uint64_t size)
{
	memset(o, 0, sizeof(*o));
	o->size = size;
	o->cluster_size = 65536;
	o->refcount_bits = 16;
	o->version = 3;
	o->prealloc = QCOW2_PREALLOC_OFF;
}

static const char *const prealloc_names[] = { "off", "metadata", "falloc", "full" };

int qcow2_prealloc_parse(const char *name, enum qcow2_prealloc *out)
{
	unsigned int i;

	for (i = 0; i < 4; i++)
		if (!strcmp(name, prealloc_names[i])) {
			*out = (enum qcow2_prealloc)i;
			return 0;
		}
	return -EINVAL;
}

const char *qcow2_prealloc_name(enum qcow2_prealloc p)
{
	return (unsigned int)p < 4 ? prealloc_names[p] : "?";
}
