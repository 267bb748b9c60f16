// SPDX-License-Identifier: GPL-2.0
/* The psync engine: one pread/pwrite at a time, timed around the call. */
#include <errno.h>
#include <stdlib.h>

#include "bench_priv.h"

int bench_engine_psync(struct bench_worker *w)
{
	struct bench_target *t = &w->target;
	enum bench_dir dir;
	uint64_t off, t0;
	uint32_t len;
	ssize_t n;
	void *buf;
	int err = 0;

	buf = bench_alloc_buf(w->bs_max);
	if (!buf)
		return -ENOMEM;
	bench_pattern_fill(buf, w->bs_max, 0, w->rng);
	while (!err && bench_next_io(w, &dir, &off, &len)) {
		bench_io_prep(w, dir, off, buf, len);
		t0 = bench_lat_now(w);
		if (dir == BENCH_DIR_READ)
			n = t->ops->pread(t, buf, len, off);
		else
			n = t->ops->pwrite(t, buf, len, off);
		err = bench_io_done(w, dir, off, buf, len, n, bench_lat_now(w) - t0, -1);
	}
	free(buf);
	return err;
}
