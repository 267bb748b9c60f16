// SPDX-License-Identifier: GPL-2.0
/*
 * Refcounts: the refcount table, refcount blocks of 1..64-bit entries,
 * cluster allocation, growth of the table (in a fresh area at the end of
 * the image whose blocks describe themselves), and rebuilding the whole
 * structure for repair.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "qcow2-int.h"

uint64_t qcow2_rb_get(const struct qcow2 *q, const void *block, uint64_t idx)
{
	const uint8_t *b = block;
	unsigned int order = q->refcount_order;

	switch (order) {
	case 3:
		return b[idx];
	case 4:
		return be16toh(((const uint16_t *)block)[idx]);
	case 5:
		return be32toh(((const uint32_t *)block)[idx]);
	case 6:
		return be64toh(((const uint64_t *)block)[idx]);
	default: {
		unsigned int bits = 1u << order;
		unsigned int per = 8 >> order;

		return (b[idx / per] >> ((idx % per) * bits)) & ((1u << bits) - 1);
	}
	}
}

void qcow2_rb_set(const struct qcow2 *q, void *block, uint64_t idx, uint64_t val)
{
	uint8_t *b = block;
	unsigned int order = q->refcount_order;

	switch (order) {
	case 3:
		b[idx] = (uint8_t)val;
		break;
	case 4:
		((uint16_t *)block)[idx] = htobe16((uint16_t)val);
		break;
	case 5:
		((uint32_t *)block)[idx] = htobe32((uint32_t)val);
		break;
	case 6:
		((uint64_t *)block)[idx] = htobe64(val);
		break;
	default: {
		unsigned int bits = 1u << order;
		unsigned int per = 8 >> order;
		unsigned int shift = (idx % per) * bits;
		uint8_t mask = (uint8_t)(((1u << bits) - 1) << shift);

		b[idx / per] = (uint8_t)((b[idx / per] & ~mask) | ((val << shift) & mask));
	}
	}
}

int qcow2_load_reftable(struct qcow2 *q)
{
	size_t bytes = (size_t)q->reftable_clusters * q->cluster_size;
	uint64_t i;
	int err;

	if (q->reftable_offset + bytes > qcow2_align_up(q->file_end, q->cluster_size))
		return qcow2_err(-EUCLEAN, "refcount table at %#llx lies past the end of the file",
				 (unsigned long long)q->reftable_offset);
	free(q->reftable);
	q->reftable = malloc(bytes);
	if (!q->reftable)
		return -ENOMEM;
	err = qcow2_host_pread(q, q->reftable, bytes, q->reftable_offset);
	if (err)
		return qcow2_err(err, "cannot read the refcount table");
	for (i = 0; i < q->reftable_size; i++)
		q->reftable[i] = be64toh(q->reftable[i]);
	return 0;
}

/*
 * The allocator treats everything from alloc_end on as free: past the end of
 * the file and past the last cluster with a refcount (a crash can leave
 * refcounts for clusters that never reached the file).
 */
int qcow2_find_alloc_end(struct qcow2 *q)
{
	uint64_t t = q->reftable_size, epb = 1ull << q->rb_bits, i;
	void *block;
	int err;

	while (t--) {
		uint64_t off = q->reftable[t] & REFT_OFFSET_MASK;

		if (!off || off & (q->cluster_size - 1) || !qcow2_offset_valid(q, off))
			continue;
		err = qcow2_cache_get(&q->rbc, off, &block);
		if (err)
			return err;
		for (i = epb; i-- > 0;)
			if (qcow2_rb_get(q, block, i))
				break;
		qcow2_cache_put(&q->rbc, &block);
		if (i < epb) {
			if (t * epb + i + 1 > q->alloc_end)
				q->alloc_end = t * epb + i + 1;
			break;
		}
	}
	return 0;
}

/* The refcount block offset for table index t, 0 when there is none. */
static int refblock_offset(struct qcow2 *q, uint64_t t, uint64_t *off)
{
	uint64_t e;

	*off = 0;
	if (t >= q->reftable_size)
		return 0;
	e = q->reftable[t];
	if (e & REFT_RESERVED_MASK || (e & (q->cluster_size - 1)))
		return qcow2_signal_corruption(q, "refblock offset %#llx unaligned (reftable index %#llx)",
					       (unsigned long long)e, (unsigned long long)t);
	if (e && !qcow2_offset_valid(q, e))
		return qcow2_signal_corruption(q, "refblock offset %#llx out of range",
					       (unsigned long long)e);
	*off = e;
	return 0;
}

int qcow2_get_refcount(struct qcow2 *q, uint64_t ci, uint64_t *rc)
{
	uint64_t off;
	void *block;
	int err;

	err = refblock_offset(q, ci >> q->rb_bits, &off);
	if (err)
		return err;
	if (!off) {
		*rc = 0;
		return 0;
	}
	err = qcow2_cache_get(&q->rbc, off, &block);
	if (err)
		return err;
	*rc = qcow2_rb_get(q, block, ci & ((1ull << q->rb_bits) - 1));
	qcow2_cache_put(&q->rbc, &block);
	return 0;
}

/*
 * The first free cluster at or after free_cluster_index with n free
 * clusters in a row; free_cluster_index moves past them.
 */
static int64_t find_free(struct qcow2 *q, uint64_t n)
{
	uint64_t ci = q->free_cluster_index ? q->free_cluster_index : 1;
	uint64_t start = ci, run = 0, rc, limit;
	int err;

	limit = (1ull << 56) >> q->cluster_bits;
	while (run < n) {
		if (ci >= limit)
			return -ENOSPC;
		/* Past the end of the image everything is free. */
		if (ci >= q->alloc_end) {
			if (!run)
				start = ci;
			ci = start + n;
			run = n;
			break;
		}
		err = qcow2_get_refcount(q, ci, &rc);
		if (err)
			return err;
		if (rc) {
			run = 0;
			ci++;
			start = ci;
			continue;
		}
		if (!run)
			start = ci;
		run++;
		ci++;
	}
	/*
	 * Move past the run even when n > 1 skipped single free clusters:
	 * the run's refcounts are still 0 until the caller sets them, and a
	 * nested allocation (a new refcount block) must not hand them out.
	 */
	q->free_cluster_index = start + n;
	if (start + n > q->alloc_end)
		q->alloc_end = start + n;
	return (int64_t)start;
}

static int write_reftable_entry(struct qcow2 *q, uint64_t t)
{
	uint64_t v = htobe64(q->reftable[t]);
	int err;

	err = qcow2_host_pwrite(q, &v, 8, q->reftable_offset + t * 8);
	if (!err)
		err = qcow2_host_sync(q);
	return err;
}

static int grow_reftable(struct qcow2 *q, uint64_t t_needed);

/* Give table index t a refcount block. */
static int alloc_refblock(struct qcow2 *q, uint64_t t)
{
	uint64_t epb = 1ull << q->rb_bits;
	int64_t r;
	void *block;
	int err;

	if (t >= q->reftable_size) {
		err = grow_reftable(q, t);
		if (err)
			return err;
		if (q->reftable[t])
			return 0;
	}
	r = find_free(q, 1);
	if (r < 0)
		return (int)r;
	err = qcow2_cache_get_empty(&q->rbc, (uint64_t)r << q->cluster_bits, &block);
	if (err)
		return err;
	memset(block, 0, q->cluster_size);
	if ((uint64_t)r / epb == t)
		qcow2_rb_set(q, block, (uint64_t)r & (epb - 1), 1);
	qcow2_cache_mark_dirty(&q->rbc, block);
	qcow2_cache_put(&q->rbc, &block);
	if ((uint64_t)r / epb != t) {
		err = qcow2_update_refcount(q, (uint64_t)r << q->cluster_bits, 1, 1);
		if (err)
			return err;
	}
	/* The block (and its own refcount) on disk before the table points at it. */
	err = qcow2_cache_flush(&q->rbc);
	if (err)
		return err;
	q->reftable[t] = (uint64_t)r << q->cluster_bits;
	err = write_reftable_entry(q, t);
	if (err)
		q->reftable[t] = 0;
	return err;
}

/*
 * A bigger refcount table at the end of the image, with new refcount blocks
 * for the area it occupies (which describe themselves and the table).
 */
static int grow_reftable(struct qcow2 *q, uint64_t t_needed)
{
	uint64_t cs = q->cluster_size, epb = 1ull << q->rb_bits;
	uint64_t a, m, b, nb, entries, t, i, old_off = q->reftable_offset;
	uint64_t old_clusters = q->reftable_clusters, *nt = NULL, *be = NULL;
	uint64_t *newblk = NULL;
	uint8_t hdr[12];
	void *blk = NULL;
	int err;

	a = q->alloc_end;
	if (qcow2_align_up(q->file_end, cs) / cs > a)
		a = qcow2_align_up(q->file_end, cs) / cs;
	entries = t_needed + 1;
	if (entries < q->reftable_size * 3 / 2)
		entries = q->reftable_size * 3 / 2;
	b = 0;
	for (;;) {
		uint64_t last;

		entries = qcow2_align_up(entries, cs / 8);
		m = entries * 8 / cs;
		last = (a + m + b - 1) / epb;
		if (last >= entries) {
			entries = last + 1;
			continue;
		}
		nb = 0;
		for (t = a / epb; t <= last; t++)
			if (t >= q->reftable_size || !q->reftable[t])
				nb++;
		if (nb == b)
			break;
		b = nb;
	}
	if (entries * 8 > QCOW2_MAX_REFTABLE_BYTES)
		return qcow2_err(-EFBIG, "refcount table would exceed %llu bytes",
				 (unsigned long long)QCOW2_MAX_REFTABLE_BYTES);

	nt = calloc(entries, 8);
	newblk = calloc(b ? b : 1, 8);
	err = posix_memalign(&blk, 4096, cs) ? -ENOMEM : 0;
	if (!nt || !newblk || err) {
		err = -ENOMEM;
		goto out;
	}
	memcpy(nt, q->reftable, q->reftable_size * 8);
	/* New blocks at a+m.., one per uncovered table index in the area. */
	i = 0;
	for (t = a / epb; t <= (a + m + b - 1) / epb; t++) {
		if (t < q->reftable_size && q->reftable[t])
			continue;
		nt[t] = (a + m + i) * cs;
		newblk[i++] = t;
	}
	for (i = 0; i < b; i++) {
		uint64_t ci;

		memset(blk, 0, cs);
		t = newblk[i];
		for (ci = a; ci < a + m + b; ci++)
			if (ci / epb == t)
				qcow2_rb_set(q, blk, ci & (epb - 1), 1);
		err = qcow2_host_pwrite(q, blk, cs, (a + m + i) * cs);
		if (err)
			goto out;
	}
	/* Area clusters covered by blocks that already exist. */
	q->alloc_end = a + m + b;
	for (i = a; i < a + m + b; i++) {
		t = i / epb;
		if (t < q->reftable_size && q->reftable[t]) {
			err = qcow2_update_refcount(q, i * cs, 1, 1);
			if (err)
				goto out;
		}
	}
	err = qcow2_cache_flush(&q->rbc);
	if (err)
		goto out;
	be = malloc(m * cs);
	if (!be) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < entries; i++)
		be[i] = htobe64(nt[i]);
	err = qcow2_host_pwrite(q, be, m * cs, a * cs);
	if (!err)
		err = qcow2_host_sync(q);
	if (err)
		goto out;
	/* Switch: offset and size in one sector write. */
	{
		uint64_t o = htobe64(a * cs);
		uint32_t c = htobe32((uint32_t)m);

		memcpy(hdr, &o, 8);
		memcpy(hdr + 8, &c, 4);
	}
	err = qcow2_host_pwrite(q, hdr, 12, HDR_REFTABLE);
	if (!err)
		err = qcow2_host_sync(q);
	if (err)
		goto out;
	free(q->reftable);
	q->reftable = nt;
	nt = NULL;
	q->reftable_offset = a * cs;
	q->reftable_clusters = (uint32_t)m;
	q->reftable_size = entries;
	if ((a + m + b) * cs > q->file_end)
		q->file_end = (a + m + b) * cs;
	err = qcow2_free_clusters(q, old_off, old_clusters * cs);
out:
	free(be);
	free(blk);
	free(newblk);
	free(nt);
	return err;
}

int qcow2_update_refcount(struct qcow2 *q, uint64_t off, uint64_t len, int64_t addend)
{
	uint64_t cs = q->cluster_size, epb = 1ull << q->rb_bits;
	uint64_t ci, end, boff;
	void *block = NULL;
	int err;

	if (!len)
		return 0;
	if (addend < 0) {
		/* Freed clusters: the L2 tables dropping them go first. */
		err = qcow2_cache_set_dependency(&q->rbc, &q->l2c);
		if (err)
			return err;
	}
	ci = off / cs;
	end = (off + len + cs - 1) / cs;
	while (ci < end) {
		uint64_t t = ci / epb, stop;

		err = refblock_offset(q, t, &boff);
		if (err)
			return err;
		if (!boff) {
			if (addend < 0)
				return qcow2_signal_corruption(q, "freeing cluster %#llx without a refcount block",
							       (unsigned long long)ci);
			err = alloc_refblock(q, t);
			if (err)
				return err;
			continue;
		}
		err = qcow2_cache_get(&q->rbc, boff, &block);
		if (err)
			return err;
		stop = (t + 1) * epb;
		if (stop > end)
			stop = end;
		for (; ci < stop; ci++) {
			uint64_t idx = ci & (epb - 1), rc = qcow2_rb_get(q, block, idx);

			if ((addend < 0 && rc < (uint64_t)-addend) ||
			    (addend > 0 && q->refcount_max - rc < (uint64_t)addend)) {
				qcow2_cache_put(&q->rbc, &block);
				if (addend > 0)
					return qcow2_err(-ERANGE, "refcount overflow for cluster %#llx",
							 (unsigned long long)ci);
				return qcow2_signal_corruption(q, "refcount underflow for cluster %#llx",
							       (unsigned long long)ci);
			}
			rc += addend;
			qcow2_rb_set(q, block, idx, rc);
			if (!rc && ci < q->free_cluster_index && !q->in_alloc)
				q->free_cluster_index = ci;
			if (!rc && q->free_byte_offset >> q->cluster_bits == ci)
				q->free_byte_offset = 0;	/* compress.c packs no more there */
		}
		qcow2_cache_mark_dirty(&q->rbc, block);
		qcow2_cache_put(&q->rbc, &block);
	}
	return 0;
}

int64_t qcow2_alloc_clusters(struct qcow2 *q, uint64_t n)
{
	int64_t ci;
	int err;

	if (q->read_only)
		return -EROFS;
	err = qcow2_mark_dirty(q);
	if (err)
		return err;
	/*
	 * Until the refcounts of the run are set, a nested free (the old
	 * refcount table after growing it) must not move the search back
	 * over the run.
	 */
	q->in_alloc++;
	ci = find_free(q, n);
	err = ci < 0 ? (int)ci :
	      qcow2_update_refcount(q, (uint64_t)ci << q->cluster_bits, n << q->cluster_bits, 1);
	q->in_alloc--;
	if (err)
		return err;
	return (int64_t)((uint64_t)ci << q->cluster_bits);
}

int qcow2_free_clusters(struct qcow2 *q, uint64_t off, uint64_t len)
{
	uint64_t cs = q->cluster_size, ci, rc, run = 0, end;
	int err;

	err = qcow2_mark_dirty(q);
	if (err)
		return err;
	err = qcow2_update_refcount(q, off, len, -1);
	if (err)
		return err;
	/* Punch what became free (whole runs at once). */
	end = (off + len) / cs;
	for (ci = off / cs; ci <= end; ci++) {
		rc = 1;
		if (ci < end) {
			err = qcow2_get_refcount(q, ci, &rc);
			if (err)
				return err;
		}
		if (!rc) {
			qcow2_cache_discard(&q->l2c, ci * cs);
			qcow2_cache_discard(&q->rbc, ci * cs);
			run++;
			continue;
		}
		if (run) {
			uint64_t s = (ci - run) * cs;

			if (s < q->file_end)
				fallocate(q->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
					  (off_t)s, (off_t)(run * cs));
			run = 0;
		}
	}
	return 0;
}

/*
 * Repair: write a fresh refcount structure after the last cluster in use
 * from refs[] (one count per cluster). refs grows to cover the new clusters.
 */
int qcow2_rebuild_refcounts(struct qcow2 *q, uint64_t **refs, uint64_t *nclusters)
{
	uint64_t cs = q->cluster_size, epb = 1ull << q->rb_bits;
	uint64_t a = *nclusters, m = 1, b = 0, nb, i, t, entries, *r, *table = NULL;
	void *blk = NULL;
	uint8_t hdr[12];
	int err;

	for (;;) {
		nb = (a + m + b + epb - 1) / epb;
		entries = qcow2_align_up(nb, cs / 8);
		if (nb == b && entries * 8 / cs == m)
			break;
		b = nb;
		m = entries * 8 / cs;
	}
	if (m * cs > QCOW2_MAX_REFTABLE_BYTES)
		return qcow2_err(-EFBIG, "refcount table too large");
	r = realloc(*refs, (a + m + b) * sizeof(*r));
	if (!r)
		return -ENOMEM;
	*refs = r;
	for (i = a; i < a + m + b; i++)
		r[i] = 1;
	*nclusters = a + m + b;
	table = calloc(entries, 8);
	if (!table || posix_memalign(&blk, 4096, cs)) {
		err = -ENOMEM;
		goto out;
	}
	for (t = 0; t < b; t++) {
		memset(blk, 0, cs);
		for (i = t * epb; i < (t + 1) * epb && i < a + m + b; i++) {
			if (r[i] > q->refcount_max) {
				err = qcow2_err(-ERANGE, "refcount of cluster %#llx too large",
						(unsigned long long)i);
				goto out;
			}
			qcow2_rb_set(q, blk, i - t * epb, r[i]);
		}
		err = qcow2_host_pwrite(q, blk, cs, (a + m + t) * cs);
		if (err)
			goto out;
		table[t] = htobe64((a + m + t) * cs);
	}
	err = qcow2_host_pwrite(q, table, m * cs, a * cs);
	if (!err)
		err = qcow2_host_sync(q);
	if (err)
		goto out;
	{
		uint64_t o = htobe64(a * cs);
		uint32_t c = htobe32((uint32_t)m);

		memcpy(hdr, &o, 8);
		memcpy(hdr + 8, &c, 4);
	}
	err = qcow2_host_pwrite(q, hdr, 12, HDR_REFTABLE);
	if (!err)
		err = qcow2_host_sync(q);
	if (err)
		goto out;
	qcow2_cache_clear(&q->rbc);
	q->reftable_offset = a * cs;
	q->reftable_clusters = (uint32_t)m;
	qcow2_derive(q);
	err = qcow2_load_reftable(q);
	q->free_cluster_index = 1;
	q->alloc_end = a + m + b;
	if ((a + m + b) * cs > q->file_end)
		q->file_end = (a + m + b) * cs;
out:
	free(blk);
	free(table);
	return err;
}
