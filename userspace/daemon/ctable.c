// SPDX-License-Identifier: GPL-2.0
/* The daemon's containers: an open-addressing hash table keyed by CTID. */
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

static size_t hash_ctid(const char *s)
{
	size_t h = 14695981039346656037ull;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h;
}

static int grow(struct ctable *t)
{
	size_t ncap = t->cap ? t->cap * 2 : 256, i, j;
	struct ct_state **ns;

	ns = calloc(ncap, sizeof(*ns));
	if (!ns)
		return -1;
	for (i = 0; i < t->cap; i++) {
		if (!t->slot[i])
			continue;
		for (j = hash_ctid(t->slot[i]->ctid) & (ncap - 1); ns[j]; j = (j + 1) & (ncap - 1))
			;
		ns[j] = t->slot[i];
	}
	free(t->slot);
	t->slot = ns;
	t->cap = ncap;
	return 0;
}

struct ct_state *ctable_get(struct ctable *t, const char *ctid, bool create)
{
	struct ct_state *c;
	size_t i;

	if (t->cap) {
		for (i = hash_ctid(ctid) & (t->cap - 1); t->slot[i]; i = (i + 1) & (t->cap - 1))
			if (!strcmp(t->slot[i]->ctid, ctid))
				return t->slot[i];
	}
	if (!create || strlen(ctid) > CTID_MAX_LEN)
		return NULL;
	if ((t->n + 1) * 4 > t->cap * 3 && grow(t))
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	strcpy(c->ctid, ctid);
	for (i = hash_ctid(ctid) & (t->cap - 1); t->slot[i]; i = (i + 1) & (t->cap - 1))
		;
	t->slot[i] = c;
	t->n++;
	return c;
}

void ctable_free(struct ctable *t)
{
	size_t i;

	for (i = 0; i < t->cap; i++)
		free(t->slot[i]);
	free(t->slot);
	t->slot = NULL;
	t->cap = t->n = 0;
}
