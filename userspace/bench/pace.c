// SPDX-License-Identifier: GPL-2.0
/*
 * A job's pace, as fio keeps it: thinktime between I/Os, the rate and
 * rate_iops caps, and rate_min/rate_iops_min, which fail a job that falls
 * below them over a rate_cycle.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <time.h>

#include <blkprio/bench.h>

#include "bench_priv.h"

/* Sleep until the absolute time ns (or the job is stopped). */
void bench_sleep_until(struct bench_worker *w, uint64_t ns)
{
	uint64_t now;

	while ((now = bench_now_ns()) < ns && !bench_stopped(w)) {
		uint64_t d = ns - now > 100000000 ? 100000000 : ns - now;
		struct timespec ts = { .tv_sec = 0, .tv_nsec = (long)d };

		nanosleep(&ts, NULL);
	}
}

/* thinktime: after every thinktime_blocks I/Os, spin then sleep (fio's order). */
void bench_think(struct bench_worker *w)
{
	const struct bench_job *job = w->job;
	uint64_t t0, spin;

	if (!job->thinktime_ns || ++w->think_count < job->thinktime_blocks)
		return;
	w->think_count = 0;
	t0 = bench_now_ns();
	spin = job->thinktime_spin_ns < job->thinktime_ns ? job->thinktime_spin_ns :
							    job->thinktime_ns;
	while (bench_now_ns() - t0 < spin)
		;
	bench_sleep_until(w, t0 + job->thinktime_ns);
}

/*
 * rate/rate_iops: the I/O of a direction may start no sooner than its slot;
 * slots are evenly spaced (linear) or exponentially (poisson), at the
 * slower of the two caps. Behind schedule, the job catches up. True when
 * the direction has a cap (time went by: the deadline is to be checked).
 */
bool bench_rate_wait(struct bench_worker *w, enum bench_dir dir, uint32_t len)
{
	const struct bench_job *job = w->job;
	double period = 0, u;

	if (job->rate[dir])
		period = (double)len * 1e9 / (double)job->rate[dir];
	if (job->rate_iops[dir] && 1e9 / (double)job->rate_iops[dir] > period)
		period = 1e9 / (double)job->rate_iops[dir];
	if (period <= 0)
		return false;
	if (!w->rate_next_ns[dir])
		w->rate_next_ns[dir] = bench_now_ns();
	bench_sleep_until(w, w->rate_next_ns[dir]);
	if (job->rate_process == BENCH_RATE_POISSON) {
		u = (double)((bench_xorshift(&w->rng) >> 11) + 1) / 9007199254740993.0;
		period *= -log(u);
	}
	w->rate_next_ns[dir] += (uint64_t)period;
	return true;
}

/*
 * rate_min/rate_iops_min, checked as fio checks them at a completion: none in
 * the first 2 s; then the bytes (or I/Os) of each direction since the last
 * check, once a whole rate_cycle has gone by. Below the minimum: the job
 * fails with -EIO, the reason in the result.
 */
int bench_rate_min(struct bench_worker *w, enum bench_dir dir)
{
	const struct bench_job *job = w->job;
	const struct bench_dir_stats *d = &w->res->dir[dir];
	uint64_t now = bench_now_ns(), spent_ms, got;

	if ((!job->rate_min[dir] && !job->rate_iops_min[dir]) || now - w->start_ns < 2000000000ull)
		return 0;
	if (w->rmin_bytes[dir] || w->rmin_ios[dir]) {
		spent_ms = (now - w->rmin_ns[dir]) / 1000000;
		if (!spent_ms || spent_ms < job->ratecycle_ms)
			return 0;
		if (job->rate_min[dir]) {
			got = (d->bytes - w->rmin_bytes[dir]) * 1000 / spent_ms;
			if (got < job->rate_min[dir]) {
				snprintf(w->res->error_why, sizeof(w->res->error_why),
					 "rate_min=%lluB/s not met, got %lluB/s",
					 (unsigned long long)job->rate_min[dir], (unsigned long long)got);
				return -EIO;
			}
		} else {
			got = (d->ios - w->rmin_ios[dir]) * 1000 / spent_ms;
			if (got < job->rate_iops_min[dir]) {
				snprintf(w->res->error_why, sizeof(w->res->error_why),
					 "rate_iops_min=%llu not met, got %llu IOPS",
					 (unsigned long long)job->rate_iops_min[dir],
					 (unsigned long long)got);
				return -EIO;
			}
		}
	}
	w->rmin_bytes[dir] = d->bytes;
	w->rmin_ios[dir] = d->ios;
	w->rmin_ns[dir] = now;
	return 0;
}
