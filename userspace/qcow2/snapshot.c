// SPDX-License-Identifier: GPL-2.0
/*
 * Internal snapshots: the snapshot table (variable-length entries, each
 * padded to 8 bytes, with the extra data qemu 7.2 writes: 64-bit VM state
 * size, disk size, icount) and the operations on it. A snapshot is a copy
 * of the L1 table plus one more reference on every cluster it reaches;
 * writes copy clusters whose COPIED flag is clear. Every operation leaves
 * at worst leaked clusters (and COPIED flags that a leak repair makes
 * right) when it is interrupted:
 *   create: L1 copy and refcounts (synced), COPIED cleared and the new
 *           table (synced), header, old table freed;
 *   apply:  increments (synced), new L1 (synced), decrements;
 *   delete: new table (synced), header, COPIED recomputed (synced),
 *           decrements.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "qcow2-int.h"

#define SNAP_HDR_LEN		40
#define SNAP_EXTRA_LEN		24	/* vm_state_size_large, disk_size, icount */
#define SNAP_MAX_TABLE		(64u << 20)	/* qemu's limits */
#define SNAP_MAX_EXTRA		1024
#define SNAP_MAX		65536
#define HDR_NB_SNAPSHOTS	60

struct snap {
	uint64_t l1_offset;
	uint32_t l1_size;
	uint32_t date_sec, date_nsec;
	uint64_t vm_clock_nsec;
	uint64_t vm_state_size;
	uint64_t disk_size;
	int64_t icount;
	uint32_t extra_size;		/* as read; at least SNAP_EXTRA_LEN written */
	uint8_t *extra;			/* extra data past the known fields, kept */
	char *id, *name;
};

struct snap_table {
	struct snap *s;
	unsigned int n;
	uint64_t bytes;			/* on disk, from snapshots_offset */
};

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

static void put16(uint8_t *p, uint16_t v)
{
	v = htobe16(v);
	memcpy(p, &v, 2);
}

static void put32(uint8_t *p, uint32_t v)
{
	v = htobe32(v);
	memcpy(p, &v, 4);
}

static void put64(uint8_t *p, uint64_t v)
{
	v = htobe64(v);
	memcpy(p, &v, 8);
}

static void table_free(struct snap_table *t)
{
	unsigned int i;

	for (i = 0; i < t->n; i++) {
		free(t->s[i].extra);
		free(t->s[i].id);
		free(t->s[i].name);
	}
	free(t->s);
	memset(t, 0, sizeof(*t));
}

static char *dup_str(const uint8_t *src, size_t len)
{
	char *s = malloc(len + 1);

	if (s) {
		memcpy(s, src, len);
		s[len] = '\0';
	}
	return s;
}

static int parse_entry(struct qcow2 *q, struct snap *sn, uint64_t *off)
{
	uint8_t h[SNAP_HDR_LEN], *var;
	uint32_t extra;
	uint16_t idl, nl;
	size_t vlen;
	int err;

	*off = qcow2_align_up(*off, 8);
	if (*off - q->snapshots_offset > SNAP_MAX_TABLE || *off + SNAP_HDR_LEN > q->file_end)
		return qcow2_err(-EUCLEAN, "snapshot table runs past the end of the file");
	err = qcow2_host_pread(q, h, SNAP_HDR_LEN, *off);
	if (err)
		return err;
	idl = (uint16_t)(h[12] << 8 | h[13]);
	nl = (uint16_t)(h[14] << 8 | h[15]);
	extra = get32(h + 36);
	if (extra > SNAP_MAX_EXTRA)
		return qcow2_err(-EUCLEAN, "snapshot extra data too large (%u bytes)", extra);
	vlen = (size_t)extra + idl + nl;
	var = malloc(vlen + 1);
	if (!var)
		return -ENOMEM;
	err = qcow2_host_pread(q, var, vlen, *off + SNAP_HDR_LEN);
	if (err)
		goto out;
	sn->l1_offset = get64(h);
	sn->l1_size = get32(h + 8);
	sn->date_sec = get32(h + 16);
	sn->date_nsec = get32(h + 20);
	sn->vm_clock_nsec = get64(h + 24);
	sn->vm_state_size = get32(h + 32);
	sn->extra_size = extra;
	/* what qemu assumes when the extra data is short (version 2 images) */
	sn->disk_size = q->size;
	sn->icount = -1;
	if (extra >= 8)
		sn->vm_state_size = get64(var);
	if (extra >= 16)
		sn->disk_size = get64(var + 8);
	if (extra >= 24)
		sn->icount = (int64_t)get64(var + 16);
	if (extra > SNAP_EXTRA_LEN) {
		sn->extra = malloc(extra - SNAP_EXTRA_LEN);
		if (!sn->extra) {
			err = -ENOMEM;
			goto out;
		}
		memcpy(sn->extra, var + SNAP_EXTRA_LEN, extra - SNAP_EXTRA_LEN);
	}
	sn->id = dup_str(var + extra, idl);
	sn->name = dup_str(var + extra + idl, nl);
	if (!sn->id || !sn->name)
		err = -ENOMEM;
	*off += SNAP_HDR_LEN + vlen;
out:
	free(var);
	return err;
}

static int table_read(struct qcow2 *q, struct snap_table *t)
{
	uint64_t off = q->snapshots_offset;
	unsigned int i;
	int err;

	memset(t, 0, sizeof(*t));
	if (!q->nb_snapshots)
		return 0;
	t->s = calloc(q->nb_snapshots, sizeof(*t->s));
	if (!t->s)
		return -ENOMEM;
	for (i = 0; i < q->nb_snapshots; i++) {
		t->n = i + 1;
		err = parse_entry(q, &t->s[i], &off);
		if (err) {
			table_free(t);
			return err;
		}
	}
	t->bytes = off - q->snapshots_offset;
	return 0;
}

int qcow2_snapshot_list(struct qcow2 *q, struct qcow2_snapshot_info **list,
			unsigned int *n)
{
	struct qcow2_snapshot_info *out;
	struct snap_table t;
	unsigned int i;
	int err;

	*list = NULL;
	*n = 0;
	err = table_read(q, &t);
	if (err || !t.n)
		return err;
	out = calloc(t.n, sizeof(*out));
	if (!out) {
		table_free(&t);
		return -ENOMEM;
	}
	for (i = 0; i < t.n; i++) {
		const struct snap *sn = &t.s[i];

		snprintf(out[i].id, sizeof(out[i].id), "%s", sn->id);
		snprintf(out[i].name, sizeof(out[i].name), "%s", sn->name);
		out[i].vm_state_size = sn->vm_state_size;
		out[i].date_sec = sn->date_sec;
		out[i].date_nsec = sn->date_nsec;
		out[i].vm_clock_nsec = sn->vm_clock_nsec;
		out[i].icount = sn->icount;
		out[i].disk_size = sn->disk_size;
	}
	*list = out;
	*n = t.n;
	table_free(&t);
	return 0;
}

/* The table as qemu writes it; *len excludes the padding after the last entry. */
static int table_build(const struct snap_table *t, uint8_t **buf, size_t *len)
{
	size_t total = 0, off = 0;
	unsigned int i;
	uint8_t *b;

	for (i = 0; i < t->n; i++) {
		uint32_t extra = t->s[i].extra_size > SNAP_EXTRA_LEN ? t->s[i].extra_size : SNAP_EXTRA_LEN;

		total = qcow2_align_up(total, 8) + SNAP_HDR_LEN + extra +
			strlen(t->s[i].id) + strlen(t->s[i].name);
	}
	if (total > SNAP_MAX_TABLE)
		return qcow2_err(-EFBIG, "snapshot table would exceed %u bytes", SNAP_MAX_TABLE);
	b = calloc(1, total + 8);
	if (!b)
		return -ENOMEM;
	for (i = 0; i < t->n; i++) {
		const struct snap *sn = &t->s[i];
		uint32_t extra = sn->extra_size > SNAP_EXTRA_LEN ? sn->extra_size : SNAP_EXTRA_LEN;
		size_t idl = strlen(sn->id), nl = strlen(sn->name);
		uint8_t *h;

		off = qcow2_align_up(off, 8);
		h = b + off;
		put64(h, sn->l1_offset);
		put32(h + 8, sn->l1_size);
		put16(h + 12, (uint16_t)idl);
		put16(h + 14, (uint16_t)nl);
		put32(h + 16, sn->date_sec);
		put32(h + 20, sn->date_nsec);
		put64(h + 24, sn->vm_clock_nsec);
		/* a VM state too large for 32 bits reads as none to old readers */
		put32(h + 32, sn->vm_state_size <= UINT32_MAX ? (uint32_t)sn->vm_state_size : 0);
		put32(h + 36, extra);
		put64(h + 40, sn->vm_state_size);
		put64(h + 48, sn->disk_size);
		put64(h + 56, (uint64_t)sn->icount);
		if (extra > SNAP_EXTRA_LEN)
			memcpy(h + 64, sn->extra, extra - SNAP_EXTRA_LEN);
		off += SNAP_HDR_LEN + extra;
		memcpy(b + off, sn->id, idl);
		memcpy(b + off + idl, sn->name, nl);
		off += idl + nl;
	}
	*buf = b;
	*len = total;
	return 0;
}

/* Clusters for a table of len bytes (refcounts in the cache); 0 when empty. */
static int table_alloc(struct qcow2 *q, size_t len, uint64_t *off)
{
	int64_t a;

	*off = 0;
	if (!len)
		return 0;
	a = qcow2_alloc_clusters(q, qcow2_align_up(len, q->cluster_size) >> q->cluster_bits);
	if (a < 0)
		return (int)a;
	*off = (uint64_t)a;
	return 0;
}

/*
 * Point the header at the new table (written and synced by the caller),
 * then free the old one.
 */
static int table_switch(struct qcow2 *q, const struct snap_table *t, uint64_t off,
			uint64_t old_off, uint64_t old_bytes)
{
	uint8_t h[12];
	int err;

	put32(h, t->n);
	put64(h + 4, off);
	err = qcow2_host_pwrite(q, h, sizeof(h), HDR_NB_SNAPSHOTS);
	if (!err)
		err = qcow2_host_sync(q);
	if (err)
		return err;
	q->nb_snapshots = t->n;
	q->snapshots_offset = off;
	if (old_bytes)
		return qcow2_free_clusters(q, old_off, qcow2_align_up(old_bytes, q->cluster_size));
	return 0;
}

/* Index of the snapshot with this id, else the first with this name, else -1. */
static int table_find(const struct snap_table *t, const char *name_or_id)
{
	unsigned int i;

	for (i = 0; i < t->n; i++)
		if (!strcmp(t->s[i].id, name_or_id))
			return (int)i;
	for (i = 0; i < t->n; i++)
		if (!strcmp(t->s[i].name, name_or_id))
			return (int)i;
	return -1;
}

static int check_usable(struct qcow2 *q)
{
	if (q->read_only)
		return qcow2_err(-EROFS, q->corrupt ? "image is corrupt; it is read-only" :
				 "image is open read-only");
	if (q->incompat & QCOW2_INCOMPAT_DATA_FILE)
		return qcow2_err(-ENOTSUP, "internal snapshots are not supported with an external data file");
	if (q->incompat & QCOW2_INCOMPAT_EXTL2)
		return qcow2_err(-ENOTSUP, "snapshots of images with extended L2 entries are not supported");
	return 0;
}

/*
 * Lock, make the file the whole truth (write back dirty tables, drop the
 * cached L2 tables: whole tables are read and written directly) and read
 * the snapshot table.
 */
static int begin(struct qcow2 *q, struct snap_table *t)
{
	int err;

	pthread_rwlock_wrlock(&q->io_lock);
	pthread_mutex_lock(&q->meta_lock);
	err = check_usable(q);
	if (!err && (q->l2c.ndirty || q->rbc.ndirty))
		err = qcow2_flush_locked(q);
	if (!err) {
		qcow2_cache_clear(&q->l2c);
		err = table_read(q, t);
	}
	if (err) {
		pthread_mutex_unlock(&q->meta_lock);
		pthread_rwlock_unlock(&q->io_lock);
	}
	return err;
}

/*
 * What is left are refcount decrements (freed clusters): written back, and
 * synced by the next flush or close (lost, they would only be leaks).
 */
static int end(struct qcow2 *q, struct snap_table *t, int err)
{
	int err2 = qcow2_cache_writeback(&q->rbc);

	table_free(t);
	pthread_mutex_unlock(&q->meta_lock);
	pthread_rwlock_unlock(&q->io_lock);
	return err ? err : err2;
}

/* An L1 table from the file, host endian. */
static int read_l1(struct qcow2 *q, const struct snap *sn, uint64_t **l1)
{
	uint64_t i, *t;
	int err;

	*l1 = NULL;
	/* as qemu: refused, the image is not marked corrupt */
	if ((uint64_t)sn->l1_size * 8 > QCOW2_MAX_L1_BYTES)
		return qcow2_err(-EFBIG, "Snapshot L1 table too large (%u entries)", sn->l1_size);
	if (sn->l1_size && (!qcow2_offset_valid(q, sn->l1_offset) ||
			    sn->l1_offset + (uint64_t)sn->l1_size * 8 > q->file_end))
		return qcow2_err(-EUCLEAN, "Snapshot L1 table offset invalid (%#llx)",
				 (unsigned long long)sn->l1_offset);
	t = calloc((size_t)sn->l1_size + 1, 8);
	if (!t)
		return -ENOMEM;
	err = qcow2_host_pread(q, t, (size_t)sn->l1_size * 8, sn->l1_offset);
	if (err) {
		free(t);
		return err;
	}
	for (i = 0; i < sn->l1_size; i++)
		t[i] = be64toh(t[i]);
	*l1 = t;
	return 0;
}

/*
 * Write an L1 table (host endian, n entries) over the active one; COPIED
 * set where the L2 table's refcount after d is 1.
 */
static int write_active_l1(struct qcow2 *q, uint64_t *l1, const struct qcow2_delta *d,
			   size_t nd)
{
	uint64_t i, rc, *be;
	int err = 0;

	be = malloc((size_t)q->l1_size * 8 + 8);
	if (!be)
		return -ENOMEM;
	for (i = 0; i < q->l1_size && !err; i++) {
		uint64_t l2off = l1[i] & L1E_OFFSET_MASK;

		l1[i] &= ~QCOW2_OFLAG_COPIED;
		if (l2off && d) {
			err = qcow2_deltas_rc(q, d, nd, l2off >> q->cluster_bits, &rc);
			if (!err && rc == 1)
				l1[i] |= QCOW2_OFLAG_COPIED;
		}
		be[i] = htobe64(l1[i]);
	}
	if (!err && q->l1_size)
		err = qcow2_host_pwrite(q, be, (size_t)q->l1_size * 8, q->l1_offset);
	free(be);
	return err;
}

static void next_id(const struct snap_table *t, char *buf, size_t len)
{
	unsigned long id, max = 0;
	unsigned int i;

	for (i = 0; i < t->n; i++) {
		id = strtoul(t->s[i].id, NULL, 10);
		if (id > max)
			max = id;
	}
	snprintf(buf, len, "%lu", max + 1);
}

int qcow2_snapshot_create(struct qcow2 *q, const char *name)
{
	struct qcow2_refbatch refs = { 0 };
	struct qcow2_delta *d = NULL;
	struct qcow2_pages pages;
	struct snap_table t;
	struct snap *sn;
	struct timespec now;
	uint64_t old_off = q->snapshots_offset, old_bytes, tab_off, *be = NULL, i;
	uint8_t *tab = NULL;
	size_t nd = 0, tab_len;
	char id[32];
	int64_t l1off = 0;
	int err;

	if (strlen(name) > UINT16_MAX)
		return qcow2_err(-ENAMETOOLONG, "snapshot name too long");
	err = begin(q, &t);
	if (err)
		return err;
	qcow2_pages_init(q, &pages);
	old_bytes = t.bytes;
	if (t.n >= SNAP_MAX) {
		err = qcow2_err(-EFBIG, "too many snapshots");
		goto out;
	}
	sn = realloc(t.s, (t.n + 1) * sizeof(*sn));
	if (!sn) {
		err = -ENOMEM;
		goto out;
	}
	t.s = sn;
	sn = &t.s[t.n];
	memset(sn, 0, sizeof(*sn));
	next_id(&t, id, sizeof(id));
	t.n++;
	sn->id = strdup(id);
	sn->name = strdup(name);
	if (!sn->id || !sn->name) {
		err = -ENOMEM;
		goto out;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	sn->date_sec = (uint32_t)now.tv_sec;
	sn->date_nsec = (uint32_t)(now.tv_nsec / 1000 * 1000);	/* qemu: microseconds */
	sn->disk_size = q->size;
	sn->icount = 0;			/* what qemu-img records */
	sn->extra_size = SNAP_EXTRA_LEN;
	sn->l1_size = q->l1_size;

	/* Everything reachable gets one more reference; nothing written yet. */
	err = qcow2_refbatch_add_l1(q, &refs, q->l1, q->l1_size, &pages);
	if (!err)
		err = qcow2_deltas(q, &refs, NULL, &d, &nd);
	if (!err)
		err = table_build(&t, &tab, &tab_len);
	if (err)
		goto out;

	/* The L1 copy (as the active table is now, as qemu copies it). */
	if (q->l1_size) {
		l1off = qcow2_alloc_clusters(q, qcow2_align_up((uint64_t)q->l1_size * 8,
							     q->cluster_size) >> q->cluster_bits);
		if (l1off < 0) {
			err = (int)l1off;
			goto out;
		}
		be = malloc((size_t)q->l1_size * 8);
		if (!be) {
			err = -ENOMEM;
			goto out;
		}
		for (i = 0; i < q->l1_size; i++)
			be[i] = htobe64(q->l1[i]);
		err = qcow2_host_pwrite(q, be, (size_t)q->l1_size * 8, (uint64_t)l1off);
		if (err)
			goto out;
	}
	sn->l1_offset = (uint64_t)l1off;
	free(tab);
	tab = NULL;
	err = table_build(&t, &tab, &tab_len);
	if (!err)
		err = table_alloc(q, tab_len, &tab_off);
	if (!err)
		err = qcow2_deltas_apply(q, d, nd, 1);
	if (!err)
		err = qcow2_cache_flush(&q->rbc);
	if (err)
		goto out;
	/* Refcounts are on disk: now writes must copy, and the table may point. */
	err = qcow2_pages_write(q, &pages);
	if (!err)
		err = write_active_l1(q, q->l1, NULL, 0);
	if (!err && tab_len)
		err = qcow2_host_pwrite(q, tab, tab_len, tab_off);
	if (!err)
		err = qcow2_host_sync(q);
	if (!err)
		err = table_switch(q, &t, tab_off, old_off, old_bytes);
out:
	free(be);
	free(tab);
	free(d);
	qcow2_pages_free(&pages);
	qcow2_refbatch_free(&refs);
	return end(q, &t, err);
}

/* The new virtual size of an applied snapshot (the L1 table is big enough). */
static int set_size(struct qcow2 *q, uint64_t size)
{
	uint64_t v = htobe64(size);
	int err;

	if (size == q->size)
		return 0;
	err = qcow2_host_pwrite(q, &v, 8, HDR_SIZE);
	if (!err)
		err = qcow2_host_sync(q);
	if (!err)
		q->size = size;
	return err;
}

/*
 * Copies of the snapshot's L1 table (sl1, n entries) and of the active one
 * without the L2 tables they have in common at the same index.
 */
static int drop_common(struct qcow2 *q, const uint64_t *sl1, uint32_t n,
		       uint64_t **sout, uint64_t **aout)
{
	uint64_t i, *s, *a;

	s = calloc((size_t)n + 1, 8);
	a = calloc((size_t)q->l1_size + 1, 8);
	if (!s || !a) {
		free(s);
		free(a);
		return -ENOMEM;
	}
	memcpy(s, sl1, (size_t)n * 8);
	memcpy(a, q->l1, (size_t)q->l1_size * 8);
	for (i = 0; i < n && i < q->l1_size; i++) {
		if ((s[i] & L1E_OFFSET_MASK) == (a[i] & L1E_OFFSET_MASK)) {
			s[i] = 0;
			a[i] = 0;
		}
	}
	*sout = s;
	*aout = a;
	return 0;
}

int qcow2_snapshot_apply(struct qcow2 *q, const char *name_or_id)
{
	struct qcow2_refbatch plus = { 0 }, minus = { 0 };
	struct qcow2_delta *d = NULL;
	struct qcow2_pages pages;
	struct snap_table t;
	struct snap *sn;
	uint64_t *sl1 = NULL, *nl1 = NULL, *spl1 = NULL, *apl1 = NULL, cover, need;
	size_t nd = 0;
	int idx, err;

	err = begin(q, &t);
	if (err)
		return err;
	qcow2_pages_init(q, &pages);
	idx = table_find(&t, name_or_id);
	if (idx < 0) {
		err = qcow2_err(-ENOENT, "Failed to load snapshot: %s", strerror(ENOENT));
		goto out;
	}
	sn = &t.s[idx];
	cover = 1ull << (q->cluster_bits + q->l2_bits);
	if (sn->disk_size % 512 || sn->disk_size / cover >= QCOW2_MAX_L1_BYTES / 8) {
		err = qcow2_err(-EUCLEAN, "snapshot %s: invalid disk size %llu", sn->id,
				(unsigned long long)sn->disk_size);
		goto out;
	}
	err = read_l1(q, sn, &sl1);
	if (err)
		goto out;
	/*
	 * The snapshot's references are added (its tables are shared from now
	 * on: no COPIED anywhere in them), the current ones dropped. An L2
	 * table both hold (nothing written there since) adds and drops the
	 * same: neither is read.
	 */
	err = drop_common(q, sl1, sn->l1_size, &spl1, &apl1);
	if (!err)
		err = qcow2_refbatch_add_l1(q, &plus, spl1, sn->l1_size, &pages);
	if (!err)
		err = qcow2_refbatch_add_l1(q, &minus, apl1, q->l1_size, NULL);
	if (!err)
		err = qcow2_deltas(q, &plus, &minus, &d, &nd);
	if (err)
		goto out;
	/* big enough for the snapshot's table and its disk size */
	need = (sn->disk_size + cover - 1) / cover;
	if (need < sn->l1_size)
		need = sn->l1_size;
	err = qcow2_grow_l1(q, need);
	if (err)
		goto out;
	nl1 = calloc((size_t)q->l1_size + 1, 8);
	if (!nl1) {
		err = -ENOMEM;
		goto out;
	}
	memcpy(nl1, sl1, (size_t)sn->l1_size * 8);
	err = qcow2_deltas_apply(q, d, nd, 1);
	if (!err)
		err = qcow2_cache_flush(&q->rbc);
	if (!err)
		err = qcow2_pages_write(q, &pages);
	if (!err)
		err = write_active_l1(q, nl1, d, nd);
	if (!err)
		err = qcow2_host_sync(q);
	if (err)
		goto out;
	memcpy(q->l1, nl1, (size_t)q->l1_size * 8);
	err = set_size(q, sn->disk_size);
	if (!err)
		err = qcow2_deltas_apply(q, d, nd, -1);
out:
	free(nl1);
	free(sl1);
	free(spl1);
	free(apl1);
	free(d);
	qcow2_pages_free(&pages);
	qcow2_refbatch_free(&plus);
	qcow2_refbatch_free(&minus);
	return end(q, &t, err);
}

/* COPIED flags of the active tables as the refcounts after d make them. */
static int recompute_copied(struct qcow2 *q, const struct qcow2_delta *d, size_t nd)
{
	struct qcow2_pages pages;
	uint64_t i, *buf;
	int err = 0;

	if (posix_memalign((void **)&buf, 4096, q->cluster_size))
		return -ENOMEM;
	qcow2_pages_init(q, &pages);
	for (i = 0; i < q->l1_size && !err; i++) {
		uint64_t l2off = q->l1[i] & L1E_OFFSET_MASK;

		if (!l2off)
			continue;
		err = qcow2_read_l2(q, l2off, i, buf);
		if (!err)
			err = qcow2_pages_fix_copied(q, &pages, buf, l2off, d, nd);
	}
	if (!err)
		err = qcow2_pages_write(q, &pages);
	if (!err)
		err = write_active_l1(q, q->l1, d, nd);
	if (!err)
		err = qcow2_host_sync(q);
	qcow2_pages_free(&pages);
	free(buf);
	return err;
}

int qcow2_snapshot_delete(struct qcow2 *q, const char *name_or_id)
{
	struct qcow2_refbatch minus = { 0 };
	struct qcow2_delta *d = NULL;
	struct snap_table t;
	struct snap sn;
	uint64_t old_off = q->snapshots_offset, old_bytes, tab_off, *sl1 = NULL, i, n;
	uint8_t *tab = NULL;
	size_t nd = 0, tab_len;
	int idx, err;

	err = begin(q, &t);
	if (err)
		return err;
	old_bytes = t.bytes;
	idx = table_find(&t, name_or_id);
	if (idx < 0) {
		err = qcow2_err(-ENOENT, "snapshot not found");
		goto out;
	}
	sn = t.s[idx];
	err = read_l1(q, &sn, &sl1);
	if (!err)
		err = qcow2_refbatch_add_l1(q, &minus, sl1, sn.l1_size, NULL);
	n = qcow2_align_up((uint64_t)sn.l1_size * 8, q->cluster_size) >> q->cluster_bits;
	for (i = 0; i < n && !err; i++)
		err = qcow2_refbatch_add(&minus, (sn.l1_offset >> q->cluster_bits) + i);
	if (!err)
		err = qcow2_deltas(q, NULL, &minus, &d, &nd);
	if (err)
		goto out;

	/* The table without it, on disk before the header points at it. */
	memmove(&t.s[idx], &t.s[idx + 1], (t.n - idx - 1) * sizeof(sn));
	t.n--;
	err = table_build(&t, &tab, &tab_len);
	if (!err)
		err = table_alloc(q, tab_len, &tab_off);
	if (!err)
		err = qcow2_cache_writeback(&q->rbc);
	if (!err && tab_len)
		err = qcow2_host_pwrite(q, tab, tab_len, tab_off);
	if (!err)
		err = qcow2_host_sync(q);
	if (!err)
		err = table_switch(q, &t, tab_off, old_off, old_bytes);
	/* sn's strings now belong to no table entry */
	free(sn.extra);
	free(sn.id);
	free(sn.name);
	if (err)
		goto out;
	/*
	 * COPIED where only the active table will hold a cluster, before the
	 * refcounts drop: an interruption leaves leaks, never a shared
	 * cluster marked COPIED.
	 */
	err = recompute_copied(q, d, nd);
	if (!err)
		err = qcow2_deltas_apply(q, d, nd, -1);
out:
	free(tab);
	free(sl1);
	free(d);
	qcow2_refbatch_free(&minus);
	return end(q, &t, err);
}
