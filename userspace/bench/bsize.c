// SPDX-License-Identifier: GPL-2.0
/*
 * A job's I/O sizes: fio's bs=R,W,T, bsrange and bssplit, parsed per
 * direction, and the size of each I/O drawn as fio draws it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <blkprio/bench.h>
#include <blkprio/parse.h>

#include "bench_priv.h"

#define BS_LIMIT (64u << 20)

typedef int (*bs_setter)(struct bench_bs_dir *d, char *v);

/* An I/O size: a size with fio's suffixes, 1 byte to 64 MiB. */
static int one_size(const char *v, uint32_t *out)
{
	uint64_t x;

	if (parse_size(v, 0, &x) || !x || x > BS_LIMIT)
		return -EINVAL;
	*out = (uint32_t)x;
	return 0;
}

/*
 * fio's per-direction list "R,W,T" copied into buf (len bytes; too long:
 * -EINVAL) and cut into its fields there: f[i] is the text of direction i (read, write, trim). An empty field leaves its
 * direction as it was, and the last field goes on to the directions after
 * it unless a comma ends the list ("8k,32k" is 32k for writes and trims,
 * "8k,32k," not for trims).
 */
int bench_dir_fields(const char *v, char *buf, size_t len, const char *f[3])
{
	unsigned int n = 1, i;
	char *p;

	if (strlen(v) >= len)
		return -EINVAL;
	strcpy(buf, v);
	f[0] = buf;
	for (p = buf; *p; p++) {
		if (*p != ',')
			continue;
		if (n == 3)
			return -EINVAL;
		*p = '\0';
		f[n++] = p + 1;
	}
	for (i = n; i < 3; i++)
		f[i] = f[n - 1];
	return 0;
}

/* bs, bsrange, bssplit: per direction; trims are checked, then dropped (no
 * trims here). All or nothing. */
static int set_per_dir(struct bench_job *job, const char *v, bs_setter fn)
{
	struct bench_bs_dir dirs[BENCH_NDIR], trim;
	char buf[1024];
	const char *f[3];
	unsigned int i;
	uint32_t lo = 0, mn, mx;

	if (bench_dir_fields(v, buf, sizeof(buf), f))
		return -EINVAL;
	memcpy(dirs, job->bsd, sizeof(dirs));
	for (i = 0; i < 3; i++) {
		struct bench_bs_dir *d = i < BENCH_NDIR ? &dirs[i] : &trim;
		char x[sizeof(buf)];

		/* a copy: the setters cut their field up */
		strcpy(x, f[i]);
		if (*x && fn(d, x))
			return -EINVAL;
	}
	memcpy(job->bsd, dirs, sizeof(dirs));
	/* bs stays the smallest I/O: the checks and the reports read it */
	for (i = 0; i < BENCH_NDIR; i++) {
		bench_job_bs(job, i, &mn, &mx);
		if (!lo || mn < lo)
			lo = mn;
	}
	job->bs = lo;
	return 0;
}

static int bs_one(struct bench_bs_dir *d, char *v)
{
	uint32_t x;

	if (one_size(v, &x))
		return -EINVAL;
	d->min = d->max = x;
	d->nsplit = 0;
	return 0;
}

/* bsrange: "MIN-MAX" (or "MIN:MAX"), swapped when given the other way round. */
static int bs_range(struct bench_bs_dir *d, char *v)
{
	char *sep = strpbrk(v, "-:");
	uint32_t a, b;

	if (!sep)
		return -EINVAL;
	*sep = '\0';
	if (one_size(v, &a) || one_size(sep + 1, &b))
		return -EINVAL;
	d->min = a < b ? a : b;
	d->max = a < b ? b : a;
	d->nsplit = 0;
	return 0;
}

/* A bssplit percentage: digits, any fraction dropped (fio reads it with atoi). */
static int split_pct(const char *v, uint32_t *out)
{
	char *end;
	unsigned long x;

	if (*v < '0' || *v > '9')
		return -EINVAL;
	x = strtoul(v, &end, 10);
	if (*end == '.') {
		for (end++; *end >= '0' && *end <= '9'; end++)
			;
	}
	if (*end)
		return -EINVAL;
	*out = x > 100 ? 100 : (uint32_t)x;
	return 0;
}

/*
 * bssplit: "SIZE/PCT:SIZE/PCT..." up to 64 sizes. A size without a
 * percentage (or with 0) shares what the others leave, evenly; a percentage
 * that is not a number is refused (fio takes it as none). Kept in ascending
 * order of percentage, as fio keeps them.
 */
static int bs_split(struct bench_bs_dir *d, char *v)
{
	struct bench_bs_dir s = { .min = UINT32_MAX };
	unsigned int missing = 0, sum = 0, i, j;
	char *item, *pct;

	while ((item = strsep(&v, ":")) && *item) {
		if (s.nsplit == BENCH_MAX_BSSPLIT)
			return -EINVAL;
		pct = strchr(item, '/');
		if (pct)
			*pct++ = '\0';
		if (one_size(item, &s.split[s.nsplit].bs))
			return -EINVAL;
		if (pct && split_pct(pct, &s.split[s.nsplit].pct))
			return -EINVAL;
		if (!pct || !s.split[s.nsplit].pct) {
			s.split[s.nsplit].pct = 0;
			missing++;
		}
		sum += s.split[s.nsplit].pct;
		if (s.split[s.nsplit].bs < s.min)
			s.min = s.split[s.nsplit].bs;
		if (s.split[s.nsplit].bs > s.max)
			s.max = s.split[s.nsplit].bs;
		s.nsplit++;
	}
	if (v && *v)		/* an empty item before the end */
		return -EINVAL;
	/* as fio: over 100 only when every size has its own (then the last ones
	 * come up less often than they say) */
	if (!s.nsplit || (sum > 100 && missing))
		return -EINVAL;
	for (i = 0; i < s.nsplit; i++)
		if (!s.split[i].pct && missing)
			s.split[i].pct = (100 - sum) / missing;
	/* stable insertion sort by percentage */
	for (i = 1; i < s.nsplit; i++) {
		uint32_t bs = s.split[i].bs, p = s.split[i].pct;

		for (j = i; j > 0 && s.split[j - 1].pct > p; j--)
			s.split[j] = s.split[j - 1];
		s.split[j].bs = bs;
		s.split[j].pct = p;
	}
	*d = s;
	return 0;
}

int bench_bs_set(struct bench_job *job, const char *v)
{
	return set_per_dir(job, v, bs_one);
}

int bench_bs_set_range(struct bench_job *job, const char *v)
{
	return set_per_dir(job, v, bs_range);
}

int bench_bs_set_split(struct bench_job *job, const char *v)
{
	return set_per_dir(job, v, bs_split);
}

void bench_job_bs(const struct bench_job *job, enum bench_dir d, uint32_t *min, uint32_t *max)
{
	if (job->bsd[d].max) {
		*min = job->bsd[d].min;
		*max = job->bsd[d].max;
	} else {
		*min = *max = job->bs;
	}
}

bool bench_job_bs_fixed(const struct bench_job *job)
{
	uint32_t mn, mx;
	unsigned int d;

	for (d = 0; d < BENCH_NDIR; d++) {
		bench_job_bs(job, d, &mn, &mx);
		if (mn != job->bs || mx != job->bs)
			return false;
	}
	return true;
}

/*
 * The size of the next I/O of direction d, as fio draws it: a bssplit size
 * by its percentage (the last one takes what the percentages leave), or in a
 * range MIN + MAX * u for u uniform in [0, 1), capped at MAX (so MAX comes up
 * more often than the others); then rounded down to a multiple of MIN.
 */
uint32_t bench_bs_pick(const struct bench_job *job, enum bench_dir d, uint64_t r)
{
	const struct bench_bs_dir *s = &job->bsd[d];
	uint64_t len = 0, u = r >> 32, cum = 0;	/* u in [0, 2^32) */
	unsigned int i;

	if (!s->max || s->min == s->max)
		return s->max ? s->max : job->bs;
	if (s->nsplit) {
		for (i = 0; i < s->nsplit; i++) {
			if (!s->split[i].pct)
				continue;
			len = s->split[i].bs;
			cum += s->split[i].pct;
			if (u * 100 < cum << 32)
				break;
		}
	} else {
		len = s->min + (((uint64_t)s->max * u) >> 32);
	}
	if (!len)
		len = s->min;
	len -= len % s->min;
	return len > s->max ? s->max : (uint32_t)len;
}
