// SPDX-License-Identifier: GPL-2.0
/*
 * zonemode=strided, fio's semantics: a job does zonesize bytes of I/O in a
 * zone of zonerange bytes (zonesize unless told) from the region's start,
 * sequential I/O going round the zone, random I/O spread over it; then the
 * zone moves zonerange + zoneskip on, and back to the start once it begins
 * past the file's end. The job still moves size (or io_size) bytes; an I/O
 * that would end past the file ends it, as fio's.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include <blkprio/bench.h>

#include "bench_priv.h"

static uint64_t zone_range(const struct bench_job *job)
{
	return job->zone_range ? job->zone_range : job->zone_size;
}

int bench_zone_check(const struct bench_job *job, const char **why)
{
	uint32_t mn, mx;
	unsigned int d;

	if (job->zonemode == BENCH_ZONE_STRIDED && !job->zone_size) {
		*why = "zonemode=strided needs zonesize";
		return -EINVAL;
	}
	/* as fio: zonesize is not taken as asking for zones */
	if (job->zonemode == BENCH_ZONE_NONE && job->zone_size) {
		*why = "zonemode=none and zonesize are not compatible (zonemode=strided?)";
		return -EINVAL;
	}
	if (job->zonemode != BENCH_ZONE_STRIDED)
		return 0;
	/* fio does nothing then, and says nothing */
	for (d = 0; d < BENCH_NDIR; d++) {
		bench_job_bs(job, d, &mn, &mx);
		if (bench_rw_random(job->rw) && zone_range(job) < mn) {
			*why = "random I/O in zones needs zonerange (zonesize unless given) of a block at least";
			return -EINVAL;
		}
	}
	return 0;
}

/*
 * The zone is the region offsets are drawn from: nblocks is its blocks; the
 * job may touch everything from its start to the file's end.
 */
void bench_zone_setup(struct bench_worker *w)
{
	const struct bench_job *job = w->job;

	w->zoned = job->zonemode == BENCH_ZONE_STRIDED;
	if (!w->zoned)
		return;
	w->span = w->target.size > w->base ? w->target.size - w->base : 0;
	w->span -= w->span % w->unit;
	/* a zone smaller than an I/O: one I/O at its start (as fio) */
	w->nblocks = zone_range(job) / w->unit ? zone_range(job) / w->unit : 1;
	w->zone_off = 0;
	w->zone_bytes = 0;
}

/* Before an I/O: the next zone once this one had zonesize bytes. */
void bench_zone_step(struct bench_worker *w)
{
	const struct bench_job *job = w->job;
	uint64_t range = zone_range(job);

	if (w->zone_bytes >= job->zone_size) {
		w->zone_bytes = 0;
		w->zone_off += range + job->zone_skip;
		if (w->zone_off >= w->span)
			w->zone_off = 0;
		w->seq_next = 0;
	}
	/* a pass over the zone begins: a new random map, the cursor back */
	if (w->zone_bytes % range == 0) {
		w->seq_next = 0;
		bench_off_reset(w);
	}
}
