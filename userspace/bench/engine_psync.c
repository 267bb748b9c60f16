// SPDX-License-Identifier: GPL-2.0
/* The psync engine: one pread/pwrite at a time, timed around the call. */
#include <errno.h>
#include <stdlib.h>

#include "bench_priv.h"

int bench_engine_psync(struct bench_worker *w)
{
	const struct bench_job *job = w->job;
	struct bench_target *t = &w->target;
	enum bench_dir dir;
	uint64_t off, t0;
	ssize_t n;
	void *buf;
	int err = 0;

	buf = bench_alloc_buf(job->bs);
	if (!buf)
		return -ENOMEM;
	bench_pattern_fill(buf, job->bs, 0, w->rng);
	while (!err && bench_next_io(w, &dir, &off)) {
		bench_io_prep(w, dir, off, buf);
		t0 = bench_lat_now(w);
		if (dir == BENCH_DIR_READ)
			n = t->ops->pread(t, buf, job->bs, off);
		else
			n = t->ops->pwrite(t, buf, job->bs, off);
		err = bench_io_done(w, dir, off, buf, n, bench_lat_now(w) - t0);
	}
	free(buf);
	return err;
}
