// SPDX-License-Identifier: GPL-2.0
/*
 * Metadata cache: whole L2 tables or refcount blocks, LRU eviction, a hash
 * on the host offset, write-back with a flush dependency (the refcount
 * cache reaches the disk, synced, before the L2 tables that rely on it).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "qcow2-int.h"

static unsigned int hash_of(const struct qcow2_cache *c, uint64_t offset)
{
	uint64_t h = (offset >> c->q->cluster_bits) * 0x9e3779b97f4a7c15ull;

	return (unsigned int)(h >> 40) & c->hmask;
}

static void *entry_data(const struct qcow2_cache *c, int i)
{
	return c->mem + (size_t)i * c->size;
}

int qcow2_cache_init(struct qcow2 *q, struct qcow2_cache *c, const char *name,
		     unsigned int n)
{
	unsigned int i, hn = 1;

	memset(c, 0, sizeof(*c));
	c->q = q;
	c->name = name;
	c->n = n;
	c->size = q->cluster_size;
	c->last = -1;
	while (hn < n * 2)
		hn <<= 1;
	c->hmask = hn - 1;
	c->e = calloc(n, sizeof(*c->e));
	c->hash = malloc(hn * sizeof(*c->hash));
	if (!c->e || !c->hash || posix_memalign((void **)&c->mem, 4096, (size_t)n * c->size)) {
		free(c->e);
		free(c->hash);
		c->e = NULL;
		c->hash = NULL;
		c->mem = NULL;
		return -ENOMEM;
	}
	for (i = 0; i < hn; i++)
		c->hash[i] = -1;
	for (i = 0; i < n; i++)
		c->e[i].next = -1;
	return 0;
}

void qcow2_cache_destroy(struct qcow2_cache *c)
{
	free(c->e);
	free(c->hash);
	free(c->mem);
	c->e = NULL;
	c->hash = NULL;
	c->mem = NULL;
}

static int lookup(struct qcow2_cache *c, uint64_t offset)
{
	int i;

	if (c->last >= 0 && c->e[c->last].offset == offset)
		return c->last;
	for (i = c->hash[hash_of(c, offset)]; i >= 0; i = c->e[i].next)
		if (c->e[i].offset == offset)
			return i;
	return -1;
}

static void unhash(struct qcow2_cache *c, int idx)
{
	int *p = &c->hash[hash_of(c, c->e[idx].offset)];

	while (*p >= 0) {
		if (*p == idx) {
			*p = c->e[idx].next;
			break;
		}
		p = &c->e[*p].next;
	}
	c->e[idx].next = -1;
	c->e[idx].offset = 0;
	if (c->last == idx)
		c->last = -1;
}

static int write_entry(struct qcow2_cache *c, int i)
{
	struct qcow2_cache_entry *e = &c->e[i];
	int err;

	if (!e->dirty)
		return 0;
	if (c->depends) {
		err = qcow2_cache_flush(c->depends);
		if (err)
			return err;
		c->depends = NULL;
	}
	err = qcow2_host_pwrite(c->q, entry_data(c, i), c->size, e->offset);
	if (err)
		return err;
	e->dirty = false;
	c->ndirty--;
	return 0;
}

/* A free slot, evicting the least recently used unpinned entry. */
static int victim(struct qcow2_cache *c)
{
	int i, best = -1;
	uint64_t lru = UINT64_MAX;
	int err;

	for (i = 0; i < (int)c->n; i++) {
		if (c->e[i].ref)
			continue;
		if (!c->e[i].offset)
			return i;
		if (c->e[i].lru < lru) {
			lru = c->e[i].lru;
			best = i;
		}
	}
	if (best < 0)
		return -ENOMEM;
	err = write_entry(c, best);
	if (err)
		return err;
	unhash(c, best);
	return best;
}

static int get(struct qcow2_cache *c, uint64_t offset, void **table, bool read)
{
	unsigned int h;
	int i, err;

	i = lookup(c, offset);
	if (i < 0) {
		i = victim(c);
		if (i < 0)
			return i;
		if (read) {
			if (offset + c->size > c->q->file_end)
				return qcow2_signal_corruption(c->q, "%s table at %#llx lies past the end of the file",
							       c->name, (unsigned long long)offset);
			err = qcow2_host_pread(c->q, entry_data(c, i), c->size, offset);
			if (err)
				return err;
		}
		c->e[i].offset = offset;
		h = hash_of(c, offset);
		c->e[i].next = c->hash[h];
		c->hash[h] = i;
	}
	c->e[i].ref++;
	c->e[i].lru = ++c->clock;
	c->last = i;
	*table = entry_data(c, i);
	return 0;
}

int qcow2_cache_get(struct qcow2_cache *c, uint64_t offset, void **table)
{
	return get(c, offset, table, true);
}

int qcow2_cache_get_empty(struct qcow2_cache *c, uint64_t offset, void **table)
{
	return get(c, offset, table, false);
}

static int index_of(const struct qcow2_cache *c, const void *table)
{
	return (int)(((const uint8_t *)table - c->mem) / c->size);
}

void qcow2_cache_put(struct qcow2_cache *c, void **table)
{
	if (!*table)
		return;
	c->e[index_of(c, *table)].ref--;
	*table = NULL;
}

void qcow2_cache_mark_dirty(struct qcow2_cache *c, void *table)
{
	struct qcow2_cache_entry *e = &c->e[index_of(c, table)];

	if (!e->dirty) {
		e->dirty = true;
		c->ndirty++;
	}
}

/* c's dirty tables may only reach the disk after dep's (synced). */
int qcow2_cache_set_dependency(struct qcow2_cache *c, struct qcow2_cache *dep)
{
	int err;

	if (c->q->lazy || !dep->ndirty)
		return 0;
	if (dep->depends == c) {
		/* A cycle: write c out now, then order dep after nothing. */
		err = qcow2_cache_flush(c);
		if (err)
			return err;
		dep->depends = NULL;
	}
	c->depends = dep;
	return 0;
}

int qcow2_cache_writeback(struct qcow2_cache *c)
{
	unsigned int i;
	int err;

	if (!c->ndirty)
		return 0;
	for (i = 0; i < c->n && c->ndirty; i++) {
		err = write_entry(c, i);
		if (err)
			return err;
	}
	return 0;
}

int qcow2_cache_flush(struct qcow2_cache *c)
{
	int err;

	if (!c->ndirty)
		return 0;
	err = qcow2_cache_writeback(c);
	if (err)
		return err;
	return qcow2_host_sync(c->q);
}

bool qcow2_cache_has(struct qcow2_cache *c, uint64_t offset)
{
	return lookup(c, offset) >= 0;
}

void qcow2_cache_discard(struct qcow2_cache *c, uint64_t offset)
{
	int i = lookup(c, offset);

	if (i < 0)
		return;
	if (c->e[i].dirty) {
		c->e[i].dirty = false;
		c->ndirty--;
	}
	if (!c->e[i].ref)
		unhash(c, i);
}

void qcow2_cache_clear(struct qcow2_cache *c)
{
	unsigned int i;

	for (i = 0; i < c->n; i++) {
		c->e[i].dirty = false;
		c->e[i].offset = 0;
		c->e[i].next = -1;
		c->e[i].ref = 0;
	}
	for (i = 0; i <= c->hmask; i++)
		c->hash[i] = -1;
	c->ndirty = 0;
	c->last = -1;
	c->depends = NULL;
}
