// SPDX-License-Identifier: GPL-2.0
/*
 * latency_target, fio's latency profiling: the job starts at depth 1 and
 * searches, one latency_window at a time, for the deepest queue (up to
 * iodepth) at which latency_percentile of its I/Os stay at or under the
 * target: a window that meets it doubles the depth (or bisects towards the
 * lowest depth that failed), one that misses bisects down and lets the I/Os
 * in flight drain first; at depth 1 a miss changes nothing, and the window
 * goes on growing until it meets the target, as in fio. With percentile 100 a single I/O over the target
 * is a miss at once. Once a window leaves the depth where it was, the
 * counts start again for one more window at that depth and the job ends
 * (unless latency_run: it goes on adjusting). A miss at depth 1 with
 * percentile 100 is the job's error (ETIMEDOUT), as in fio; so is an I/O
 * over max_latency.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <blkprio/bench.h>

#include "bench_priv.h"

int bench_lt_set_pct(struct bench_job *job, const char *v)
{
	char *end;
	double x;

	errno = 0;
	x = strtod(v, &end);
	if (errno || end == v || *end || !(x >= 0.0 && x <= 100.0))
		return -EINVAL;
	job->lat_pct = x;
	return 0;
}

static void new_cycle(struct bench_worker *w, uint64_t now)
{
	w->lt.t0 = now;
	w->lt.ios = 0;
	w->lt.failed = 0;
}

void bench_lt_init(struct bench_worker *w, uint64_t now)
{
	struct bench_lt *lt = &w->lt;
	unsigned int depth = w->job->iodepth ? w->job->iodepth : 1;

	memset(lt, 0, sizeof(*lt));
	lt->qd = depth;
	w->res->lat_depth = depth;
	if (!w->job->lat_target_ns)
		return;
	lt->qd = 1;
	lt->qd_low = 1;
	lt->qd_high = depth;
	new_cycle(w, now);
	w->res->lat_depth = 1;
}

/* A window missed, or one I/O at percentile 100: down, after a drain. */
static int missed(struct bench_worker *w)
{
	struct bench_lt *lt = &w->lt;

	if (lt->qd == 1)
		return -ETIMEDOUT;
	lt->qd_high = lt->qd;
	if (lt->qd == lt->qd_low)
		lt->qd_low--;
	lt->qd = (lt->qd + lt->qd_low) / 2;
	lt->stable = 0;
	lt->drain = true;
	new_cycle(w, bench_now_ns());
	return 0;
}

static void met(struct bench_worker *w, uint64_t now)
{
	const struct bench_job *job = w->job;
	struct bench_lt *lt = &w->lt;
	unsigned int qd = lt->qd, depth = job->iodepth ? job->iodepth : 1;

	lt->qd_low = lt->qd;
	/* one below the lowest miss: try one more now and then (fio's) */
	if (lt->qd + 1 == lt->qd_high && ++lt->stable >= 3) {
		lt->qd_high++;
		lt->stable = 0;
	}
	if (lt->qd_high != depth)
		lt->qd = (lt->qd + lt->qd_high) / 2;
	else
		lt->qd *= 2;
	if (lt->qd > depth)
		lt->qd = depth;
	if (!job->lat_run && lt->qd == qd) {
		if (lt->final) {
			lt->done = true;
		} else {	/* one more window, counted alone */
			lt->final = true;
			lt->drain = true;
			bench_counts_restart(w, now);
		}
	}
	new_cycle(w, now);
}

/* Before an I/O: a window that is over is judged; true: no new I/O now. */
bool bench_lt_hold(struct bench_worker *w)
{
	struct bench_lt *lt = &w->lt;
	uint64_t now;

	if (w->job->lat_target_ns && !w->ramp_end_ns && !lt->done) {
		now = bench_now_ns();
		if (now - lt->t0 >= w->job->lat_window_ns) {
			/* no I/O in the window is a miss, as fio's 0/0 */
			if (lt->ios && (double)(lt->ios - lt->failed) * 100.0 / (double)lt->ios >=
				       w->job->lat_pct)
				met(w, now);
			else	/* at depth 1 it stays, and the window grows */
				(void)missed(w);
		}
		w->res->lat_depth = lt->qd;
	}
	if (lt->drain && !w->inflight)
		lt->drain = false;
	return lt->drain || w->inflight >= lt->qd;
}

/* An I/O done in lat_ns: 0, or the job's error. */
int bench_lt_done(struct bench_worker *w, enum bench_dir dir, uint64_t lat_ns)
{
	const struct bench_job *job = w->job;
	struct bench_lt *lt = &w->lt;

	if (job->max_lat_ns[dir] && lat_ns > job->max_lat_ns[dir]) {
		snprintf(w->res->error_why, sizeof(w->res->error_why),
			 "latency of %llu ns over max_latency", (unsigned long long)lat_ns);
		return -ETIMEDOUT;
	}
	if (!job->lat_target_ns)
		return 0;
	lt->ios++;
	if (lat_ns <= job->lat_target_ns)
		return 0;
	if (job->lat_pct < 100.0) {
		lt->failed++;
		return 0;
	}
	if (missed(w)) {
		snprintf(w->res->error_why, sizeof(w->res->error_why),
			 "latency of %llu ns over latency_target at depth 1",
			 (unsigned long long)lat_ns);
		return -ETIMEDOUT;
	}
	return 0;
}
