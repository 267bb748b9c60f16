// SPDX-License-Identifier: GPL-2.0
/* Changing the virtual size: grow (L1 growth, optional preallocation), shrink. */
#include <errno.h>
#include <string.h>

#include "qcow2-int.h"

static int write_size(struct qcow2 *q, uint64_t size, bool sync)
{
	uint64_t v = htobe64(size);
	int err;

	err = qcow2_host_pwrite(q, &v, 8, HDR_SIZE);
	if (!err && sync)
		err = qcow2_host_sync(q);
	if (!err)
		q->size = size;
	return err;
}

/* Drop whole L2 tables that lie entirely beyond the new size. */
static int drop_l2_tables(struct qcow2 *q, uint64_t new_size)
{
	uint64_t cover = 1ull << (q->cluster_bits + q->l2_bits), i;
	int err;

	for (i = (new_size + cover - 1) / cover; i < q->l1_size; i++) {
		uint64_t l2off = q->l1[i] & L1E_OFFSET_MASK;

		if (!l2off)
			continue;
		q->l1[i] = 0;
		err = qcow2_write_l1_entry(q, (uint32_t)i);
		if (err)
			return err;
		qcow2_cache_discard(&q->l2c, l2off);
		err = qcow2_free_clusters(q, l2off, q->cluster_size);
		if (err)
			return err;
	}
	return 0;
}

int qcow2_resize(struct qcow2 *q, uint64_t new_size, enum qcow2_prealloc prealloc,
		 unsigned int flags)
{
	uint64_t cover = 1ull << (q->cluster_bits + q->l2_bits), old = q->size;
	int err;

	if (q->read_only)
		return qcow2_err(-EROFS, "image is read-only");
	if (new_size % 512)
		return qcow2_err(-EINVAL, "the size must be a multiple of 512 bytes");
	if (q->nb_snapshots)
		return qcow2_err(-ENOTSUP, "resizing images with snapshots is not supported yet");
	if (new_size < old && !(flags & QCOW2_RESIZE_SHRINK))
		return qcow2_err(-EINVAL, "Use the --shrink option to perform a shrink operation.");
	if (new_size < old && prealloc != QCOW2_PREALLOC_OFF)
		return qcow2_err(-EINVAL, "Preallocation can't be used for shrinking an image");
	if (q->crypt_method && prealloc != QCOW2_PREALLOC_OFF)	/* crypt.c */
		return qcow2_err(-ENOTSUP, "preallocation is not supported with encryption");
	pthread_rwlock_wrlock(&q->io_lock);
	pthread_mutex_lock(&q->meta_lock);
	if (new_size > old) {
		/*
		 * Growing is cheap (dd into an image grows it write by write):
		 * the L1 table syncs itself when it moves; a size that has not
		 * reached the disk at a crash only leaves a smaller image.
		 */
		err = qcow2_grow_l1(q, (new_size + cover - 1) / cover);
		if (!err)
			err = write_size(q, new_size, false);
		/* as qemu: grown space reads zeros, not the (longer) backing file */
		if (!err && q->backing && q->backing->size > old)
			err = qcow2_zero_range_locked(q, old, (q->backing->size < new_size ?
							       q->backing->size : new_size) - old,
						      false, false);
		if (!err && prealloc != QCOW2_PREALLOC_OFF)
			err = qcow2_preallocate(q, old, new_size, prealloc);
	} else if (new_size < old) {
		/* Discard the cut-off part, partial cluster included. */
		err = qcow2_zero_range_locked(q, new_size, old - new_size, true, true);
		if (!err)
			err = drop_l2_tables(q, new_size);
		if (!err)
			err = qcow2_flush_locked(q);
		if (!err)
			err = write_size(q, new_size, true);
	} else {
		err = 0;
	}
	pthread_mutex_unlock(&q->meta_lock);
	pthread_rwlock_unlock(&q->io_lock);
	return err;
}
