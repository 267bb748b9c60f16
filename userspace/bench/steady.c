// SPDX-License-Identifier: GPL-2.0
/*
 * Steady state, as fio's steadystate/ss, ss_dur and ss_ramp: once a second
 * the IOPS or bandwidth of the last second goes into a window of ss_dur
 * seconds; once the window is full, a job whose figures vary less than the
 * limit ends (not an error). iops and bw: every figure within the limit of
 * the window's mean; iops_slope and bw_slope: the least-squares slope below
 * it; a limit with % is a percentage of the mean. With group_reporting a
 * reporting group is judged as one, on the sum of its jobs, and ends as one.
 *
 * Without ss_ramp the first figure is of the time from the job's start to
 * the first look; with it, figures start one second after the ramp.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <blkprio/bench.h>
#include <blkprio/parse.h>

#include "bench_priv.h"

static const char *const kinds[] = { "iops", "iops_slope", "bw", "bw_slope" };

int bench_ss_set(struct bench_job *job, const char *v)
{
	char buf[64], *lim, *end, *pct;
	unsigned int k;
	uint64_t x;
	double f;

	if (strlen(v) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, v);
	lim = strchr(buf, ':');
	if (!lim)
		return -EINVAL;			/* fio: a threshold must be given */
	*lim++ = '\0';
	for (k = 0; k < 4 && strcmp(buf, kinds[k]); k++)
		;
	if (k == 4 || !*lim)
		return -EINVAL;
	pct = strchr(lim, '%');
	if (pct || k < 2) {			/* a percentage, or IOPS: a number */
		if (pct && pct[1])
			return -EINVAL;
		if (pct)
			*pct = '\0';
		f = strtod(lim, &end);
		if (end == lim || *end || !isfinite(f) || f < 0)
			return -EINVAL;
	} else {				/* bandwidth: a size */
		if (parse_size(lim, 0, &x))
			return -EINVAL;
		f = (double)x;
	}
	job->ss_kind = (enum bench_ss_kind)k;
	job->ss_pct = pct != NULL;
	job->ss_limit = f;
	return 0;
}

int bench_ss_dur_set(struct bench_job *job, const char *v)
{
	uint64_t ns;

	if (parse_duration_ns(v, &ns))
		return -EINVAL;
	/* whole seconds, as fio keeps them; under one second: none */
	job->ss_dur = (unsigned int)(ns / 1000000000ull);
	return 0;
}

/* fio: a reporting group's jobs have the same steady state options. */
int bench_ss_check_group(const struct bench_job *jobs, unsigned int n, unsigned int *bad)
{
	unsigned int i, k;

	for (i = 0; i < n; i++)
		for (k = 0; k < i; k++)
			if (jobs[k].groupid == jobs[i].groupid &&
			    (jobs[k].ss_dur != jobs[i].ss_dur ||
			     jobs[k].ss_ramp_ns != jobs[i].ss_ramp_ns ||
			     (jobs[i].ss_dur && (jobs[k].ss_kind != jobs[i].ss_kind ||
						 jobs[k].ss_pct != jobs[i].ss_pct ||
						 jobs[k].ss_limit != jobs[i].ss_limit)))) {
				*bad = i;
				return -EINVAL;
			}
	return 0;
}

int bench_ss_alloc(const struct bench_job *job, struct bench_result *r)
{
	struct bench_ss_result *s = &r->ss;

	if (!job->ss_dur)
		return 0;
	s->iops = calloc(job->ss_dur, sizeof(*s->iops));
	s->bw = calloc(job->ss_dur, sizeof(*s->bw));
	if (!s->iops || !s->bw)
		return -ENOMEM;
	s->dur = job->ss_dur;
	return 0;
}

/* The window, oldest first, judged: true when steady. */
static bool judge(const struct bench_job *job, struct bench_ss_result *s)
{
	const uint64_t *y = job->ss_kind < 2 ? s->iops : s->bw;
	unsigned int n = s->dur, i;
	double mean = 0, sx = 0, sxx = 0, sxy = 0, dev = 0, crit;

	for (i = 0; i < n; i++)
		mean += (double)y[i];
	mean /= n;
	for (i = 0; i < n; i++) {
		double d = fabs((double)y[i] - mean);

		dev = d > dev ? d : dev;
		sx += i;
		sxx += (double)i * i;
		sxy += (double)i * (double)y[i];
	}
	s->deviation = dev;
	s->slope = n > 1 ? (sxy - sx * mean) / (sxx - sx * sx / n) : 0;
	crit = job->ss_kind & 1 ? s->slope : dev;
	if (job->ss_pct && !mean)	/* nothing moved: fio's NaN, never steady */
		return false;
	if (job->ss_pct)
		crit = 100.0 * crit / mean;
	s->criterion = crit;
	return fabs(crit) < job->ss_limit;
}

/* Add the last second's figures of one worker (false: none to add yet). */
static bool rates(struct bench_worker *w, uint64_t now, uint64_t *iops, uint64_t *bw)
{
	struct bench_ss *ss = &w->ss;
	uint64_t t0 = atomic_load(&ss->t0), b = 0, io = 0, dt;
	unsigned int d;

	if (!t0 || !atomic_load(&w->running))
		return false;
	for (d = 0; d < BENCH_NDIR; d++) {
		b += atomic_load_explicit(&w->live_bytes[d], memory_order_relaxed);
		io += atomic_load_explicit(&w->live_ios[d], memory_order_relaxed);
	}
	if (!ss->prev_ns)		/* from the job's start, nothing moved then */
		ss->prev_ns = t0;
	dt = now > ss->prev_ns ? now - ss->prev_ns : 0;
	/* fio's rule: the first figure one second after the ramp, so that its
	 * second begins after the ramp */
	if ((w->job->ss_ramp_ns && now < t0 + w->job->ss_ramp_ns + 1000000000ull) || !dt) {
		ss->prev_ns = now;
		ss->prev_bytes = b;
		ss->prev_ios = io;
		return false;
	}
	*bw += (uint64_t)((unsigned __int128)(b - ss->prev_bytes) * 1000000000u / dt);
	*iops += (uint64_t)((unsigned __int128)(io - ss->prev_ios) * 1000000000u / dt);
	ss->prev_ns = now;
	ss->prev_bytes = b;
	ss->prev_ios = io;
	return true;
}

/* The workers judged as one: w alone, or with group_reporting its group's. */
static bool same_unit(const struct bench_worker *a, const struct bench_worker *b)
{
	if (a == b)
		return true;
	return a->job->group_reporting && b->job->group_reporting &&
	       a->job->groupid == b->job->groupid;
}

void bench_ss_tick(struct bench_worker *ws, unsigned int n, uint64_t now)
{
	unsigned int i, k, owner;

	for (i = 0; i < n; i++) {
		struct bench_ss_result *s;
		uint64_t iops = 0, bw = 0;
		bool any = false;

		if (!ws[i].job->ss_dur)
			continue;
		/* the unit's last worker holds its window, as fio's last job */
		for (owner = i, k = i + 1; k < n; k++)
			if (same_unit(&ws[i], &ws[k]))
				owner = k;
		if (owner != i)
			continue;
		for (k = 0; k <= i; k++)
			if (same_unit(&ws[k], &ws[i]))
				any |= rates(&ws[k], now, &iops, &bw);
		s = &ws[i].res->ss;
		if (!any || s->attained)
			continue;
		memmove(s->iops, s->iops + 1, (s->dur - 1) * sizeof(*s->iops));
		memmove(s->bw, s->bw + 1, (s->dur - 1) * sizeof(*s->bw));
		s->iops[s->dur - 1] = iops;
		s->bw[s->dur - 1] = bw;
		if (s->filled < s->dur)
			s->filled++;
		if (s->filled < s->dur || !judge(ws[i].job, s))
			continue;
		s->attained = true;
		for (k = 0; k <= i; k++)
			if (same_unit(&ws[k], &ws[i]))
				ws[k].terminate = 1;
	}
}
