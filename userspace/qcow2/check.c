// SPDX-License-Identifier: GPL-2.0
/*
 * Check and repair: count the references to every host cluster (header,
 * tables, L2 tables, data; snapshots' tables too) and compare them with the
 * refcounts; check L1/L2 entries and the COPIED flags. Repair fixes leaks in
 * place and rebuilds the refcount structure when refcounts are too low.
 * Messages use qemu-img's wording.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qcow2-int.h"

#define MAX_CHECK_CLUSTERS	(1ull << 28)

struct check {
	struct qcow2 *q;
	unsigned int fix;
	struct qcow2_check_result *res;
	qcow2_diag_fn diag;
	void *ctx;
	uint64_t *refs;
	uint64_t n;			/* clusters in the file */
	uint64_t *l2buf;
	uint64_t next_host;		/* fragmentation */
	uint64_t refcount_errors;	/* refcount < references */
	uint64_t max_ref;		/* highest referenced cluster + 1 */
};

static void say(struct check *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct check *c, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (!c->diag)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->diag(c->ctx, msg);
}

/* Count a reference to every cluster of [off, off + len). */
static void inc_refs(struct check *c, uint64_t off, uint64_t len)
{
	uint64_t cs = c->q->cluster_size, ci, end;

	if (!len)
		return;
	end = (off + len - 1) / cs;
	for (ci = off / cs; ci <= end; ci++) {
		if (ci >= c->n) {
			say(c, "ERROR: counting reference for region exceeding the end of the file by one cluster or more: offset 0x%llx size 0x%llx",
			    (unsigned long long)off, (unsigned long long)len);
			c->res->corruptions++;
			return;
		}
		c->refs[ci]++;
		if (ci + 1 > c->max_ref)
			c->max_ref = ci + 1;
	}
}

static int write_l2_entry(struct check *c, uint64_t l2off, uint64_t idx, uint64_t e)
{
	uint64_t v = htobe64(e);

	return qcow2_host_pwrite(c->q, &v, 8, l2off + idx * 8);
}

static int check_l2(struct check *c, uint64_t l2off, bool active)
{
	struct qcow2 *q = c->q;
	uint64_t cs = q->cluster_size, i, ents = 1ull << q->l2_bits;
	int err;

	c->next_host = 0;	/* fragmentation is counted per L2 table */
	err = qcow2_host_pread(q, c->l2buf, cs, l2off);
	if (err) {
		say(c, "ERROR: I/O error in check_refcounts_l2");
		c->res->check_errors++;
		return 0;
	}
	for (i = 0; i < ents; i++) {
		uint64_t e = be64toh(c->l2buf[i]), host = e & L2E_OFFSET_MASK;
		enum qcow2_cluster_type t = qcow2_l2_type(q, e);

		switch (t) {
		case QCOW2_CL_COMPRESSED: {
			unsigned int x = 62 - (q->cluster_bits - 8);
			uint64_t coff = e & ((1ull << x) - 1);
			uint64_t secs = ((e >> x) & ((1ull << (q->cluster_bits - 8)) - 1)) + 1;

			if (e & QCOW2_OFLAG_COPIED) {
				say(c, "ERROR: compressed cluster %llu with the COPIED flag",
				    (unsigned long long)i);
				c->res->corruptions++;
			}
			if (active) {
				/* fragmented by nature (sub-sector packing) */
				c->res->allocated_clusters++;
				c->res->compressed_clusters++;
				c->res->fragmented_clusters++;
			}
			inc_refs(c, coff & ~511ull, secs * 512 - 0);
			break;
		}
		case QCOW2_CL_ZERO_ALLOC:
		case QCOW2_CL_NORMAL:
			if (e & L2E_STD_RESERVED_MASK & ~QCOW2_OFLAG_ZERO) {
				say(c, "ERROR found l2 entry with reserved bits set: %llx",
				    (unsigned long long)e);
				c->res->corruptions++;
			}
			if (host & (cs - 1)) {
				say(c, "ERROR offset=%llx: Data cluster is not properly aligned; L2 entry corrupted.",
				    (unsigned long long)host);
				c->res->corruptions++;
				if ((c->fix & QCOW2_FIX_ERRORS) && t == QCOW2_CL_ZERO_ALLOC) {
					err = write_l2_entry(c, l2off, i, QCOW2_OFLAG_ZERO);
					if (!err) {
						c->res->corruptions_fixed++;
						say(c, "Repairing: zero cluster with unaligned offset");
					}
				}
				break;
			}
			if (active) {
				c->res->allocated_clusters++;
				if (c->next_host && host != c->next_host)
					c->res->fragmented_clusters++;
				c->next_host = host + cs;
			}
			inc_refs(c, host, cs);
			break;
		default:
			if (q->version >= 3 && (e & ~QCOW2_OFLAG_ZERO)) {
				say(c, "ERROR found l2 entry with reserved bits set: %llx",
				    (unsigned long long)e);
				c->res->corruptions++;
			}
			break;
		}
	}
	return 0;
}

/* An L1 table (the active one from memory, a snapshot's from disk). */
static int check_l1(struct check *c, uint64_t l1off, uint64_t l1_size, bool active)
{
	struct qcow2 *q = c->q;
	uint64_t i, *l1 = q->l1;
	int err = 0;

	if (l1_size)
		inc_refs(c, l1off, l1_size * 8);
	if (!active) {
		if (l1_size * 8 > QCOW2_MAX_L1_BYTES)
			return 0;
		l1 = malloc(l1_size * 8 + 8);
		if (!l1)
			return -ENOMEM;
		err = qcow2_host_pread(q, l1, l1_size * 8, l1off);
		if (err) {
			c->res->check_errors++;
			free(l1);
			return 0;
		}
		for (i = 0; i < l1_size; i++)
			l1[i] = be64toh(l1[i]);
	}
	for (i = 0; i < l1_size; i++) {
		uint64_t l2off = l1[i] & L1E_OFFSET_MASK;

		if (!l2off)
			continue;
		if (l2off & (q->cluster_size - 1)) {
			say(c, "ERROR l2_offset=%llx: Table is not cluster aligned; L1 entry corrupted",
			    (unsigned long long)l2off);
			c->res->corruptions++;
			continue;
		}
		if (l2off / q->cluster_size >= c->n) {
			inc_refs(c, l2off, q->cluster_size);
			continue;
		}
		inc_refs(c, l2off, q->cluster_size);
		err = check_l2(c, l2off, active);
		if (err)
			break;
	}
	if (!active)
		free(l1);
	return err;
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return be32toh(v);
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return be64toh(v);
}

/* Snapshots: their table and L1 tables hold references too. */
static int check_snapshots(struct check *c)
{
	struct qcow2 *q = c->q;
	uint64_t off = q->snapshots_offset, start = off;
	uint8_t h[40];
	uint32_t i;
	int err;

	for (i = 0; i < q->nb_snapshots; i++) {
		uint64_t l1off;
		uint32_t l1n, extra;
		uint16_t idl, nl;

		off = qcow2_align_up(off, 8);
		err = qcow2_host_pread(q, h, sizeof(h), off);
		if (err || off - start > (64u << 20) || off + sizeof(h) > q->file_end) {
			c->res->check_errors++;
			return 0;
		}
		l1off = get64(h);
		l1n = get32(h + 8);
		idl = (uint16_t)((h[12] << 8) | h[13]);
		nl = (uint16_t)((h[14] << 8) | h[15]);
		extra = get32(h + 36);
		off += 40 + (uint64_t)extra + idl + nl;
		if (l1off & (q->cluster_size - 1)) {
			say(c, "ERROR snapshot %u has an unaligned L1 table", i);
			c->res->corruptions++;
			continue;
		}
		err = check_l1(c, l1off, l1n, false);
		if (err)
			return err;
	}
	if (q->nb_snapshots)
		inc_refs(c, start, off - start);
	return 0;
}

/* Refcounts of clusters past the end of the file: all leaks. */
static void leaks_past_eof(struct check *c, uint64_t *leaks_out)
{
	struct qcow2 *q = c->q;
	uint64_t epb = 1ull << q->rb_bits, t, i, seen = 0;
	void *block;

	for (t = (c->n + epb - 1) / epb; t < q->reftable_size && seen < 4096; t++) {
		uint64_t off = q->reftable[t] & REFT_OFFSET_MASK;

		if (!off || off & (q->cluster_size - 1) || off / q->cluster_size >= c->n)
			continue;
		seen++;
		if (qcow2_cache_get(&q->rbc, off, &block)) {
			c->res->check_errors++;
			continue;
		}
		for (i = 0; i < epb; i++) {
			uint64_t rc = qcow2_rb_get(q, block, i);

			if (!rc)
				continue;
			say(c, "Leaked cluster %llu refcount=%llu reference=0",
			    (unsigned long long)(t * epb + i), (unsigned long long)rc);
			c->res->leaks++;
			leaks_out[0]++;
		}
		qcow2_cache_put(&q->rbc, &block);
	}
}

static int compare_refcounts(struct check *c, uint64_t *leaks_out)
{
	struct qcow2 *q = c->q;
	uint64_t i, rc;
	int err;

	for (i = 0; i < c->n; i++) {
		uint64_t ref = c->refs[i];

		err = qcow2_get_refcount(q, i, &rc);
		if (err) {
			c->res->check_errors++;
			qcow2_cache_clear(&q->rbc);
			i |= (1ull << q->rb_bits) - 1;
			continue;
		}
		if (rc == ref)
			continue;
		if (rc > ref) {
			say(c, "%s cluster %llu refcount=%llu reference=%llu",
			    c->fix & QCOW2_FIX_LEAKS ? "Repairing" : "Leaked",
			    (unsigned long long)i, (unsigned long long)rc,
			    (unsigned long long)ref);
			c->res->leaks++;
			leaks_out[0]++;
		} else {
			say(c, "%s cluster %llu refcount=%llu reference=%llu",
			    c->fix & QCOW2_FIX_ERRORS ? "Repairing" : "ERROR",
			    (unsigned long long)i, (unsigned long long)rc,
			    (unsigned long long)ref);
			c->res->corruptions++;
			c->refcount_errors++;
		}
	}
	leaks_past_eof(c, leaks_out);
	return 0;
}

static int fix_leaks(struct check *c)
{
	struct qcow2 *q = c->q;
	uint64_t i, rc;
	int err;

	for (i = 0; i < c->n; i++) {
		err = qcow2_get_refcount(q, i, &rc);
		if (err)
			return err;
		if (rc > c->refs[i]) {
			err = qcow2_update_refcount(q, i * q->cluster_size, q->cluster_size,
						    -(int64_t)(rc - c->refs[i]));
			if (err)
				return err;
			c->res->leaks_fixed++;
		}
	}
	return qcow2_cache_flush(&q->rbc);
}

/* COPIED flags of the active L1/L2 tables against the refcounts. */
static int check_copied(struct check *c)
{
	struct qcow2 *q = c->q;
	uint64_t i, j, rc, cs = q->cluster_size;
	bool fix = c->fix & QCOW2_FIX_ERRORS;
	int err;

	for (i = 0; i < q->l1_size; i++) {
		uint64_t e = q->l1[i], l2off = e & L1E_OFFSET_MASK;
		bool l2dirty = false;

		if (!l2off || l2off & (cs - 1) || l2off / cs >= c->n)
			continue;
		err = qcow2_get_refcount(q, l2off / cs, &rc);
		if (err)
			return err;
		if ((rc == 1) != !!(e & QCOW2_OFLAG_COPIED)) {
			say(c, "%s OFLAG_COPIED L2 cluster: l1_index=%llu l1_entry=%llx refcount=%llu",
			    fix ? "Repairing" : "ERROR", (unsigned long long)i,
			    (unsigned long long)e, (unsigned long long)rc);
			c->res->corruptions++;
			if (fix) {
				q->l1[i] = rc == 1 ? e | QCOW2_OFLAG_COPIED : e & ~QCOW2_OFLAG_COPIED;
				err = qcow2_write_l1_entry(q, (uint32_t)i);
				if (err)
					return err;
				c->res->corruptions_fixed++;
			}
		}
		err = qcow2_host_pread(q, c->l2buf, cs, l2off);
		if (err)
			return err;
		for (j = 0; j < (1ull << q->l2_bits); j++) {
			uint64_t le = be64toh(c->l2buf[j]), host = le & L2E_OFFSET_MASK;
			enum qcow2_cluster_type t = qcow2_l2_type(q, le);

			if ((t != QCOW2_CL_NORMAL && t != QCOW2_CL_ZERO_ALLOC) ||
			    host & (cs - 1) || host / cs >= c->n)
				continue;
			err = qcow2_get_refcount(q, host / cs, &rc);
			if (err)
				return err;
			if ((rc == 1) == !!(le & QCOW2_OFLAG_COPIED))
				continue;
			say(c, "%s OFLAG_COPIED data cluster: l2_entry=%llx refcount=%llu",
			    fix ? "Repairing" : "ERROR", (unsigned long long)le,
			    (unsigned long long)rc);
			c->res->corruptions++;
			if (fix) {
				le = rc == 1 ? le | QCOW2_OFLAG_COPIED : le & ~QCOW2_OFLAG_COPIED;
				c->l2buf[j] = htobe64(le);
				l2dirty = true;
				c->res->corruptions_fixed++;
			}
		}
		if (l2dirty) {
			qcow2_cache_discard(&q->l2c, l2off);
			err = qcow2_host_pwrite(q, c->l2buf, cs, l2off);
			if (err)
				return err;
		}
	}
	return 0;
}

int qcow2_check(struct qcow2 *q, unsigned int fix, struct qcow2_check_result *res,
		qcow2_diag_fn diag, void *ctx)
{
	struct check c = { .q = q, .fix = fix, .res = res, .diag = diag, .ctx = ctx };
	uint64_t t, cs = q->cluster_size, leaks = 0;
	int err;

	memset(res, 0, sizeof(*res));
	if (fix && q->read_only && !(q->flags & QCOW2_O_CHECK))
		return qcow2_err(-EROFS, "repair needs the image open for writing");
	pthread_rwlock_wrlock(&q->io_lock);
	pthread_mutex_lock(&q->meta_lock);
	err = qcow2_flush_locked(q);
	if (err)
		goto out_unlock;
	c.n = qcow2_align_up(q->file_end, cs) / cs;
	if (c.n > MAX_CHECK_CLUSTERS) {
		err = qcow2_err(-EFBIG, "image file too large to check");
		goto out_unlock;
	}
	c.refs = calloc(c.n + 1, sizeof(*c.refs));
	c.l2buf = malloc(cs);
	if (!c.refs || !c.l2buf) {
		err = -ENOMEM;
		goto out_free;
	}
	res->total_clusters = (q->size + cs - 1) / cs;
	inc_refs(&c, 0, cs);
	err = check_l1(&c, q->l1_offset, q->l1_size, true);
	if (!err)
		err = check_snapshots(&c);
	if (err)
		goto out_free;
	inc_refs(&c, q->reftable_offset, (uint64_t)q->reftable_clusters * cs);
	{
		uint64_t coff, clen;	/* the LUKS header area (crypt.c) */

		if (!qcow2_crypt_area(q, &coff, &clen) && clen)
			inc_refs(&c, coff, qcow2_align_up(clen, cs));
	}
	for (t = 0; t < q->reftable_size; t++) {
		uint64_t off = q->reftable[t] & REFT_OFFSET_MASK;

		if (!off)
			continue;
		if (off & (cs - 1)) {
			say(&c, "ERROR refcount block %llu is not cluster aligned; refcount table entry corrupted",
			    (unsigned long long)t);
			c.res->corruptions++;
			c.refcount_errors++;
			continue;
		}
		if (off / cs >= c.n) {
			say(&c, "ERROR refcount block %llu is outside image", (unsigned long long)t);
			c.res->corruptions++;
			c.refcount_errors++;
			continue;
		}
		inc_refs(&c, off, cs);
	}
	qcow2_cache_clear(&q->rbc);
	if (!c.refcount_errors) {
		err = compare_refcounts(&c, &leaks);
		if (err)
			goto out_free;
	}
	if ((fix & QCOW2_FIX_ERRORS) && c.refcount_errors) {
		uint64_t found = res->corruptions;

		if (diag)
			diag(ctx, "Rebuilding refcount structure");
		/* The old structure is dropped: its clusters become free. */
		for (t = 0; t < q->reftable_size; t++) {
			uint64_t off = q->reftable[t] & REFT_OFFSET_MASK;

			if (off && !(off & (cs - 1)) && off / cs < c.n && c.refs[off / cs])
				c.refs[off / cs]--;
		}
		for (t = 0; t < q->reftable_clusters; t++) {
			uint64_t ci = q->reftable_offset / cs + t;

			if (ci < c.n && c.refs[ci])
				c.refs[ci]--;
		}
		err = qcow2_rebuild_refcounts(q, &c.refs, &c.n);
		if (err)
			goto out_free;
		res->rebuilt = true;
		res->corruptions_fixed += c.refcount_errors;
		res->leaks_fixed = res->leaks;
		(void)found;
	} else if ((fix & QCOW2_FIX_LEAKS) && res->leaks) {
		err = fix_leaks(&c);
		if (err)
			goto out_free;
	}
	err = check_copied(&c);
	if (err)
		goto out_free;
	if ((fix & QCOW2_FIX_ERRORS) && q->corrupt &&
	    res->corruptions == res->corruptions_fixed) {
		err = qcow2_update_incompat(q, q->incompat & ~QCOW2_INCOMPAT_CORRUPT);
		if (!err)
			q->corrupt = false;
	}
	res->image_end_offset = c.max_ref * cs;
out_free:
	free(c.refs);
	free(c.l2buf);
out_unlock:
	if (!err && fix)
		err = qcow2_flush_locked(q);
	pthread_mutex_unlock(&q->meta_lock);
	pthread_rwlock_unlock(&q->io_lock);
	return err;
}
