// SPDX-License-Identifier: GPL-2.0
/*
 * Cluster mapping: the L1 table (kept in memory) and L2 tables (through the
 * cache); lookup of guest clusters, allocation and copy-on-write of L2
 * tables, growth of the L1 table.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "qcow2-int.h"

enum qcow2_cluster_type qcow2_l2_type(const struct qcow2 *q, uint64_t e)
{
	if (e & QCOW2_OFLAG_COMPRESSED)
		return QCOW2_CL_COMPRESSED;
	if ((e & QCOW2_OFLAG_ZERO) && q->version >= 3)
		return (e & L2E_OFFSET_MASK) ? QCOW2_CL_ZERO_ALLOC : QCOW2_CL_ZERO_PLAIN;
	return (e & L2E_OFFSET_MASK) ? QCOW2_CL_NORMAL : QCOW2_CL_UNALLOCATED;
}

bool qcow2_offset_valid(const struct qcow2 *q, uint64_t off)
{
	return off >= q->cluster_size && !(off & (q->cluster_size - 1)) &&
	       (off >> q->cluster_bits) < q->alloc_end;
}

static int l2_offset_of(struct qcow2 *q, uint64_t l1i, uint64_t *l2off)
{
	uint64_t e;

	*l2off = 0;
	if (l1i >= q->l1_size)
		return 0;
	e = q->l1[l1i];
	*l2off = e & L1E_OFFSET_MASK;
	if (*l2off && !qcow2_offset_valid(q, *l2off))
		return qcow2_signal_corruption(q, "L2 table offset %#llx unaligned or out of range (L1 index: %#llx)",
					       (unsigned long long)*l2off, (unsigned long long)l1i);
	return 0;
}

static int check_entry(struct qcow2 *q, uint64_t e, uint64_t l2off, uint64_t idx)
{
	enum qcow2_cluster_type t = qcow2_l2_type(q, e);
	uint64_t off = e & L2E_OFFSET_MASK;

	if (t == QCOW2_CL_COMPRESSED)
		return 0;
	if (t == QCOW2_CL_NORMAL || t == QCOW2_CL_ZERO_ALLOC) {
		if (off & (q->cluster_size - 1))
			return qcow2_signal_corruption(q, "Cluster allocation offset %#llx unaligned (L2 offset: %#llx, L2 index: %#llx)",
						       (unsigned long long)off, (unsigned long long)l2off,
						       (unsigned long long)idx);
		if (!qcow2_offset_valid(q, off))
			return qcow2_signal_corruption(q, "Data cluster offset %#llx out of range (L2 offset: %#llx, L2 index: %#llx)",
						       (unsigned long long)off, (unsigned long long)l2off,
						       (unsigned long long)idx);
	}
	return 0;
}

int qcow2_get_cluster(struct qcow2 *q, uint64_t off, uint64_t max, uint64_t *l2e,
		      uint64_t *n)
{
	uint64_t l2off, i, idx = qcow2_l2_index(q, off), left, e, first;
	enum qcow2_cluster_type t;
	uint64_t *l2;
	int err;

	left = (1ull << q->l2_bits) - idx;
	if (max > left)
		max = left;
	if (!max)
		max = 1;
	err = l2_offset_of(q, qcow2_l1_index(q, off), &l2off);
	if (err)
		return err;
	if (!l2off) {
		*l2e = 0;
		*n = max;
		return 0;
	}
	err = qcow2_cache_get(&q->l2c, l2off, (void **)&l2);
	if (err)
		return err;
	first = be64toh(l2[idx]);
	err = check_entry(q, first, l2off, idx);
	if (err)
		goto out;
	t = qcow2_l2_type(q, first);
	for (i = 1; i < max; i++) {
		e = be64toh(l2[idx + i]);
		if (qcow2_l2_type(q, e) != t)
			break;
		if (t == QCOW2_CL_COMPRESSED)
			break;
		if (t == QCOW2_CL_NORMAL || t == QCOW2_CL_ZERO_ALLOC) {
			if ((e & ~QCOW2_OFLAG_ZERO) != (first & ~QCOW2_OFLAG_ZERO) + (i << q->cluster_bits))
				break;
			err = check_entry(q, e, l2off, idx + i);
			if (err)
				goto out;
		}
	}
	*l2e = first;
	*n = i;
out:
	qcow2_cache_put(&q->l2c, (void **)&l2);
	return err;
}

int qcow2_write_l1_entry(struct qcow2 *q, uint32_t idx)
{
	uint64_t v = htobe64(q->l1[idx]);
	int err;

	err = qcow2_host_pwrite(q, &v, 8, q->l1_offset + (uint64_t)idx * 8);
	if (!err)
		err = qcow2_host_sync(q);
	return err;
}

int qcow2_grow_l1(struct qcow2 *q, uint64_t min_size)
{
	uint64_t cs = q->cluster_size, new_size, bytes, i, *nl1 = NULL, *be = NULL;
	uint64_t old_off = q->l1_offset, old_bytes = (uint64_t)q->l1_size * 8;
	int64_t off;
	uint8_t hdr[12];
	int err;

	if (min_size <= q->l1_size)
		return 0;
	new_size = min_size;
	if (new_size * 8 > QCOW2_MAX_L1_BYTES)
		return qcow2_err(-EFBIG, "L1 table would exceed %llu bytes",
				 (unsigned long long)QCOW2_MAX_L1_BYTES);
	bytes = qcow2_align_up(new_size * 8, cs);
	nl1 = calloc(1, bytes);
	be = calloc(1, bytes);
	if (!nl1 || !be) {
		err = -ENOMEM;
		goto out;
	}
	memcpy(nl1, q->l1, (size_t)q->l1_size * 8);
	off = qcow2_alloc_clusters(q, bytes / cs);
	if (off < 0) {
		err = (int)off;
		goto out;
	}
	err = qcow2_cache_flush(&q->rbc);
	if (err)
		goto out;
	for (i = 0; i < new_size; i++)
		be[i] = htobe64(nl1[i]);
	err = qcow2_host_pwrite(q, be, new_size * 8, (uint64_t)off);
	if (!err)
		err = qcow2_host_sync(q);
	if (err)
		goto out;
	{
		uint32_t s = htobe32((uint32_t)new_size);
		uint64_t o = htobe64((uint64_t)off);

		memcpy(hdr, &s, 4);
		memcpy(hdr + 4, &o, 8);
	}
	err = qcow2_host_pwrite(q, hdr, 12, HDR_L1_SIZE);
	if (!err)
		err = qcow2_host_sync(q);
	if (err)
		goto out;
	free(q->l1);
	q->l1 = nl1;
	nl1 = NULL;
	q->l1_size = (uint32_t)new_size;
	q->l1_offset = (uint64_t)off;
	if (old_bytes)
		err = qcow2_free_clusters(q, old_off, qcow2_align_up(old_bytes, cs));
out:
	free(be);
	free(nl1);
	return err;
}

int qcow2_get_l2(struct qcow2 *q, uint64_t off, bool alloc, uint64_t **l2,
		 uint64_t *l2_index)
{
	uint64_t l1i = qcow2_l1_index(q, off), l2off, old;
	int64_t new;
	void *table;
	int err;

	*l2 = NULL;
	*l2_index = qcow2_l2_index(q, off);
	if (l1i >= q->l1_size) {
		if (!alloc)
			return 0;
		err = qcow2_grow_l1(q, l1i + 1);
		if (err)
			return err;
	}
	err = l2_offset_of(q, l1i, &l2off);
	if (err)
		return err;
	old = l2off;
	if (l2off && (q->l1[l1i] & QCOW2_OFLAG_COPIED || !alloc))
		return qcow2_cache_get(&q->l2c, l2off, (void **)l2);
	if (!alloc)
		return 0;

	/* A new table, or a private copy of a shared one. */
	new = qcow2_alloc_clusters(q, 1);
	if (new < 0)
		return (int)new;
	if (!q->lazy) {
		err = qcow2_cache_flush(&q->rbc);
		if (err)
			return err;
	}
	err = qcow2_cache_get_empty(&q->l2c, (uint64_t)new, &table);
	if (err)
		return err;
	if (old) {
		void *src;

		err = qcow2_cache_get(&q->l2c, old, &src);
		if (err) {
			qcow2_cache_put(&q->l2c, &table);
			return err;
		}
		memcpy(table, src, q->cluster_size);
		qcow2_cache_put(&q->l2c, &src);
	} else {
		memset(table, 0, q->cluster_size);
	}
	qcow2_cache_mark_dirty(&q->l2c, table);
	err = qcow2_cache_flush(&q->l2c);
	if (err)
		goto err_put;
	q->l1[l1i] = (uint64_t)new | QCOW2_OFLAG_COPIED;
	err = qcow2_write_l1_entry(q, (uint32_t)l1i);
	if (err) {
		q->l1[l1i] = old;
		goto err_put;
	}
	if (old) {
		err = qcow2_free_clusters(q, old, q->cluster_size);
		if (err)
			goto err_put;
	}
	*l2 = table;
	return 0;
err_put:
	qcow2_cache_put(&q->l2c, &table);
	return err;
}
