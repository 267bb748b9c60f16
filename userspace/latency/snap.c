// SPDX-License-Identifier: GPL-2.0
/* Snapshots of the probe's figures: sorted entries, differences, devices. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lat_priv.h"

void lat_snap_init(struct lat_snap *s)
{
	memset(s, 0, sizeof(*s));
}

void lat_snap_free(struct lat_snap *s)
{
	free(s->e);
	lat_snap_init(s);
}

void lat_snap_clear(struct lat_snap *s)
{
	s->n = 0;
	s->time_ns = 0;
}

static int key_cmp(uint64_t cg1, uint32_t dev1, uint32_t op1,
		   const struct lat_entry *b)
{
	if (cg1 != b->cgid)
		return cg1 < b->cgid ? -1 : 1;
	if (dev1 != b->dev)
		return dev1 < b->dev ? -1 : 1;
	if (op1 != b->op)
		return op1 < b->op ? -1 : 1;
	return 0;
}

static int entry_cmp(const void *a, const void *b)
{
	const struct lat_entry *x = a;

	return key_cmp(x->cgid, x->dev, x->op, b);
}

int lat_snap_sort(struct lat_snap *s)
{
	if (s->n)
		qsort(s->e, s->n, sizeof(*s->e), entry_cmp);
	return 0;
}

/* Binary search in the sorted array: index of the key or where it goes. */
static size_t snap_find(const struct lat_snap *s, uint64_t cgid, uint32_t dev,
			uint32_t op, bool *found)
{
	size_t lo = 0, hi = s->n;

	*found = false;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = key_cmp(cgid, dev, op, &s->e[mid]);

		if (!c) {
			*found = true;
			return mid;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

struct lat_entry *lat_snap_get(struct lat_snap *s, uint64_t cgid, uint32_t dev,
			       uint32_t op, bool add)
{
	struct lat_entry *e;
	bool found;
	size_t i = snap_find(s, cgid, dev, op, &found);

	if (found)
		return &s->e[i];
	if (!add)
		return NULL;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;

		e = realloc(s->e, cap * sizeof(*e));
		if (!e)
			return NULL;
		s->e = e;
		s->cap = cap;
	}
	memmove(&s->e[i + 1], &s->e[i], (s->n - i) * sizeof(*s->e));
	s->n++;
	e = &s->e[i];
	memset(e, 0, sizeof(*e));
	e->cgid = cgid;
	e->dev = dev;
	e->op = op;
	return e;
}

int lat_snap_delta(struct lat_snap *out, const struct lat_snap *cur,
		   const struct lat_snap *prev)
{
	size_t i;

	lat_snap_clear(out);
	for (i = 0; i < cur->n; i++) {
		const struct lat_entry *c = &cur->e[i];
		const struct lat_entry *p;
		struct lat_entry *e;
		bool found;
		size_t j = snap_find(prev, c->cgid, c->dev, c->op, &found);

		e = lat_snap_get(out, c->cgid, c->dev, c->op, true);
		if (!e)
			return -ENOMEM;
		p = found ? &prev->e[j] : NULL;
		if (p)
			lat_data_sub(&e->d, &c->d, &p->d);
		else
			e->d = c->d;
	}
	out->time_ns = cur->time_ns;
	return 0;
}

void lat_dev_name(uint32_t dev, char *buf, size_t len)
{
	char path[64], line[256];
	unsigned int ma = lat_dev_major(dev), mi = lat_dev_minor(dev);
	FILE *f;

	snprintf(buf, len, "%u:%u", ma, mi);
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/uevent", ma, mi);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "DEVNAME=", 8)) {
			line[strcspn(line, "\n")] = 0;
			snprintf(buf, len, "%s", line + 8);
			break;
		}
	}
	fclose(f);
}
