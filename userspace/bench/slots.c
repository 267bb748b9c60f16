// SPDX-License-Identifier: GPL-2.0
/* The I/O slots of the queued engines: iodepth buffers and a stack of free ones. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bench_priv.h"

int bench_slots_init(struct bench_slots *s, const struct bench_worker *w)
{
	unsigned int i;

	memset(s, 0, sizeof(*s));
	s->depth = w->job->iodepth ? w->job->iodepth : 1;
	s->slot = calloc(s->depth, sizeof(*s->slot));
	s->free = calloc(s->depth, sizeof(*s->free));
	if (!s->slot || !s->free)
		return -ENOMEM;
	for (i = 0; i < s->depth; i++) {
		s->slot[i].buf = bench_alloc_buf(w->bs_max);
		if (!s->slot[i].buf)
			return -ENOMEM;
		bench_pattern_fill(s->slot[i].buf, w->bs_max, i, w->rng);
		s->free[s->nfree++] = i;
	}
	return 0;
}

void bench_slots_free(struct bench_slots *s)
{
	unsigned int i;

	if (s->slot)
		for (i = 0; i < s->depth; i++)
			free(s->slot[i].buf);
	free(s->slot);
	free(s->free);
	memset(s, 0, sizeof(*s));
}

/* The next I/O into the top free slot; false when the job has no more, or
 * none now (w->held: reap, then ask again). */
bool bench_slots_next(struct bench_slots *s, struct bench_worker *w, unsigned int *idx)
{
	struct bench_slot *sl;

	if (!s->nfree)
		return false;
	*idx = s->free[s->nfree - 1];
	sl = &s->slot[*idx];
	w->inflight = s->depth - s->nfree;
	if (!bench_next_io(w, &sl->dir, &sl->off, &sl->len))
		return false;
	s->nfree--;
	sl->ioprio = w->cmdprio ? bench_cmdprio_pick(w, sl->dir, sl->len) : -1;
	bench_io_prep(w, sl->dir, sl->off, sl->buf, sl->len);
	return true;
}
