// SPDX-License-Identifier: GPL-2.0
/*
 * Whole-table work for internal snapshots: the references an L1 table holds
 * (its L2 tables, their data clusters, every host cluster a compressed
 * cluster touches), collected into a batch that is sorted and coalesced so
 * that each refcount block is visited once; and changed parts of L2 tables
 * gathered page by page and written back in offset order with few
 * syscalls.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "qcow2-int.h"

int qcow2_refbatch_add(struct qcow2_refbatch *b, uint64_t ci)
{
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 4096;
		uint64_t *v = realloc(b->ci, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		b->ci = v;
		b->cap = cap;
	}
	b->ci[b->n++] = ci;
	return 0;
}

void qcow2_refbatch_free(struct qcow2_refbatch *b)
{
	free(b->ci);
	memset(b, 0, sizeof(*b));
}

/* Host byte range [*start, *end) of a compressed cluster descriptor. */
static void compressed_range(const struct qcow2 *q, uint64_t e, uint64_t *start,
			     uint64_t *end)
{
	unsigned int x = 62 - (q->cluster_bits - 8);
	uint64_t off = e & ((1ull << x) - 1);
	uint64_t secs = ((e & ~QCOW2_OFLAG_COMPRESSED & ~QCOW2_OFLAG_COPIED) >> x) + 1;

	*start = off;
	*end = (off & ~511ull) + secs * 512;
}

int qcow2_refbatch_add_l2(struct qcow2 *q, struct qcow2_refbatch *b,
			  const uint64_t *l2, uint64_t l2off)
{
	uint64_t i, n = 1ull << q->l2_bits, cs = q->cluster_size;
	int err = 0;

	for (i = 0; i < n && !err; i++) {
		uint64_t e = be64toh(l2[i]), host = e & L2E_OFFSET_MASK, s, end, c;

		if (!e)
			continue;	/* most entries of a sparse image */
		switch (qcow2_l2_type(q, e)) {
		case QCOW2_CL_NORMAL:
		case QCOW2_CL_ZERO_ALLOC:
			if (!qcow2_offset_valid(q, host))
				return qcow2_signal_corruption(q, "Cluster allocation offset %#llx unaligned or out of range (L2 offset: %#llx, L2 index: %#llx)",
							       (unsigned long long)host,
							       (unsigned long long)l2off,
							       (unsigned long long)i);
			err = qcow2_refbatch_add(b, host >> q->cluster_bits);
			break;
		case QCOW2_CL_COMPRESSED:
			compressed_range(q, e, &s, &end);
			if (!s || (end - 1) / cs >= q->alloc_end)
				return qcow2_signal_corruption(q, "compressed cluster at %#llx out of range (L2 offset: %#llx)",
							       (unsigned long long)s,
							       (unsigned long long)l2off);
			for (c = s / cs; c <= (end - 1) / cs && !err; c++)
				err = qcow2_refbatch_add(b, c);
			break;
		default:
			break;
		}
	}
	return err;
}

int qcow2_read_l2(struct qcow2 *q, uint64_t l2off, uint64_t l1i, uint64_t *buf)
{
	uint64_t end = qcow2_align_up(q->file_end, q->cluster_size);

	if (!qcow2_offset_valid(q, l2off) || l2off + q->cluster_size > end)
		return qcow2_signal_corruption(q, "L2 table offset %#llx unaligned or out of range (L1 index: %#llx)",
					       (unsigned long long)l2off,
					       (unsigned long long)l1i);
	return qcow2_host_pread(q, buf, q->cluster_size, l2off);
}

/*
 * The references of an L1 table (host-endian entries; COPIED ignored);
 * with p, the COPIED flags of its L2 tables are cleared into p.
 */
int qcow2_refbatch_add_l1(struct qcow2 *q, struct qcow2_refbatch *b,
			  const uint64_t *l1, uint64_t n, struct qcow2_pages *p)
{
	uint64_t i, *buf;
	int err = 0;

	if (posix_memalign((void **)&buf, 4096, q->cluster_size))
		return -ENOMEM;
	for (i = 0; i < n && !err; i++) {
		uint64_t l2off = l1[i] & L1E_OFFSET_MASK;

		if (!l2off)
			continue;
		err = qcow2_read_l2(q, l2off, i, buf);
		if (!err)
			err = qcow2_refbatch_add(b, l2off >> q->cluster_bits);
		if (!err)
			err = qcow2_refbatch_add_l2(q, b, buf, l2off);
		if (!err && p)
			err = qcow2_pages_fix_copied(q, p, buf, l2off, NULL, 0);
	}
	free(buf);
	return err;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Net changes plus - minus, sorted by cluster, with the refcount each
 * cluster will have. Nothing is written; a change that would overflow
 * fails with -ERANGE, one that would go below zero is corruption.
 */
int qcow2_deltas(struct qcow2 *q, struct qcow2_refbatch *plus,
		 struct qcow2_refbatch *minus, struct qcow2_delta **out, size_t *nout)
{
	static struct qcow2_refbatch none;
	struct qcow2_delta *d;
	size_t i = 0, j = 0, n = 0;
	int err;

	if (!plus)
		plus = &none;
	if (!minus)
		minus = &none;
	*out = NULL;
	*nout = 0;
	if (plus->n)
		qsort(plus->ci, plus->n, sizeof(uint64_t), cmp_u64);
	if (minus->n)
		qsort(minus->ci, minus->n, sizeof(uint64_t), cmp_u64);
	d = malloc((plus->n + minus->n + 1) * sizeof(*d));
	if (!d)
		return -ENOMEM;
	while (i < plus->n || j < minus->n) {
		uint64_t ci, rc;
		int64_t v = 0;

		if (j >= minus->n || (i < plus->n && plus->ci[i] <= minus->ci[j]))
			ci = plus->ci[i];
		else
			ci = minus->ci[j];
		for (; i < plus->n && plus->ci[i] == ci; i++)
			v++;
		for (; j < minus->n && minus->ci[j] == ci; j++)
			v--;
		if (!v)
			continue;
		err = qcow2_get_refcount(q, ci, &rc);
		if (err)
			goto err_free;
		if (v > 0 && q->refcount_max - rc < (uint64_t)v) {
			err = qcow2_err(-ERANGE, "refcount overflow for cluster %#llx (refcount_bits=%u)",
					(unsigned long long)ci, 1u << q->refcount_order);
			goto err_free;
		}
		if (v < 0 && rc < (uint64_t)-v) {
			err = qcow2_signal_corruption(q, "refcount underflow for cluster %#llx",
						      (unsigned long long)ci);
			goto err_free;
		}
		d[n].ci = ci;
		d[n].d = v;
		d[n].rc = rc + (uint64_t)v;
		n++;
	}
	*out = d;
	*nout = n;
	return 0;
err_free:
	free(d);
	return err;
}

/* The refcount cluster ci will have once the deltas are applied. */
int qcow2_deltas_rc(struct qcow2 *q, const struct qcow2_delta *d, size_t n,
		    uint64_t ci, uint64_t *rc)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (d[mid].ci == ci) {
			*rc = d[mid].rc;
			return 0;
		}
		if (d[mid].ci < ci)
			lo = mid + 1;
		else
			hi = mid;
	}
	return qcow2_get_refcount(q, ci, rc);
}

/*
 * Apply the increments (sign > 0) or the decrements (sign < 0), runs of
 * neighbouring clusters with the same change at once; clusters that become
 * free are punched and forgotten by the caches.
 */
int qcow2_deltas_apply(struct qcow2 *q, const struct qcow2_delta *d, size_t n, int sign)
{
	uint64_t cs = q->cluster_size;
	size_t i = 0, k, m;
	int err;

	err = qcow2_mark_dirty(q);
	if (err)
		return err;
	while (i < n) {
		if ((sign > 0) != (d[i].d > 0)) {
			i++;
			continue;
		}
		for (k = i + 1; k < n && d[k].ci == d[k - 1].ci + 1 && d[k].d == d[i].d; k++)
			;
		err = qcow2_update_refcount(q, d[i].ci * cs, (k - i) * cs, d[i].d);
		if (err)
			return err;
		i = k;
	}
	if (sign > 0)
		return 0;
	for (i = 0; i < n; i = k) {
		for (k = i + 1; k < n && d[k].ci == d[k - 1].ci + 1 &&
		     !d[k].rc == !d[i].rc; k++)
			;
		if (d[i].d > 0 || d[i].rc)
			continue;
		for (m = i; m < k; m++) {
			qcow2_cache_discard(&q->l2c, d[m].ci * cs);
			qcow2_cache_discard(&q->rbc, d[m].ci * cs);
		}
		if (d[i].ci * cs < q->file_end)
			fallocate(q->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				  (off_t)(d[i].ci * cs), (off_t)((k - i) * cs));
	}
	return 0;
}

/* ---- changed pages of tables --------------------------------------------- */

void qcow2_pages_init(struct qcow2 *q, struct qcow2_pages *p)
{
	memset(p, 0, sizeof(*p));
	p->size = q->cluster_size < 4096 ? q->cluster_size : 4096;
}

void qcow2_pages_free(struct qcow2_pages *p)
{
	free(p->off);
	free(p->data);
	p->off = NULL;
	p->data = NULL;
	p->n = p->cap = 0;
}

static int pages_add(struct qcow2_pages *p, uint64_t off, const void *data)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 256;
		uint64_t *o = realloc(p->off, cap * sizeof(*o));
		uint8_t *d;

		if (!o)
			return -ENOMEM;
		p->off = o;
		d = realloc(p->data, cap * p->size);
		if (!d)
			return -ENOMEM;
		p->data = d;
		p->cap = cap;
	}
	p->off[p->n] = off;
	memcpy(p->data + p->n * p->size, data, p->size);
	p->n++;
	return 0;
}

/*
 * Give the allocated entries of an L2 table (l2, at host offset l2off) the
 * COPIED flag exactly when want_copied says so; changed pages are kept.
 * With d == NULL every flag is cleared, else an entry is COPIED when its
 * cluster's refcount after the deltas d is 1. Compressed and unallocated
 * entries never carry the flag.
 */
int qcow2_pages_fix_copied(struct qcow2 *q, struct qcow2_pages *p, uint64_t *l2,
			   uint64_t l2off, const struct qcow2_delta *d, size_t nd)
{
	uint64_t i, j, n = 1ull << q->l2_bits, per = p->size / 8;
	int err;

	for (i = 0; i < n; i += per) {
		bool dirty = false;

		for (j = i; j < i + per; j++) {
			uint64_t e, ne, rc;
			enum qcow2_cluster_type t;

			if (!l2[j])
				continue;
			e = be64toh(l2[j]);
			ne = e & ~QCOW2_OFLAG_COPIED;
			t = qcow2_l2_type(q, e);
			if (d && (t == QCOW2_CL_NORMAL || t == QCOW2_CL_ZERO_ALLOC)) {
				err = qcow2_deltas_rc(q, d, nd, (e & L2E_OFFSET_MASK) >> q->cluster_bits,
						      &rc);
				if (err)
					return err;
				if (rc == 1)
					ne |= QCOW2_OFLAG_COPIED;
			}
			if (ne != e) {
				l2[j] = htobe64(ne);
				dirty = true;
			}
		}
		if (dirty) {
			err = pages_add(p, l2off + i * 8, l2 + i);
			if (err)
				return err;
		}
	}
	return 0;
}

static int cmp_page(const void *a, const void *b, void *arg)
{
	const uint64_t *off = arg;

	return cmp_u64(&off[*(const size_t *)a], &off[*(const size_t *)b]);
}

/* Write the kept pages, neighbours in one pwritev, no sync. */
int qcow2_pages_write(struct qcow2 *q, struct qcow2_pages *p)
{
	struct iovec iov[64];
	size_t *ord, i = 0, k;
	int err = 0;

	if (!p->n)
		return 0;
	if (q->read_only)
		return -EROFS;
	ord = malloc(p->n * sizeof(*ord));
	if (!ord)
		return -ENOMEM;
	for (i = 0; i < p->n; i++)
		ord[i] = i;
	qsort_r(ord, p->n, sizeof(*ord), cmp_page, p->off);
	for (i = 0; i < p->n && !err; i = k) {
		size_t len = 0;
		ssize_t w;

		for (k = i; k < p->n && k - i < 64; k++) {
			if (k > i && p->off[ord[k]] != p->off[ord[k - 1]] + p->size)
				break;
			iov[k - i].iov_base = p->data + ord[k] * p->size;
			iov[k - i].iov_len = p->size;
			len += p->size;
		}
		do {
			w = pwritev(q->fd, iov, (int)(k - i), (off_t)p->off[ord[i]]);
		} while (w < 0 && errno == EINTR);
		if (w < 0)
			err = -errno;
		else if ((size_t)w != len)
			err = -EIO;
	}
	free(ord);
	return err;
}
