// SPDX-License-Identifier: GPL-2.0
/*
 * Priorities per I/O, as fio's io_uring and libaio engines set them:
 * cmdprio_percentage of a direction's I/Os (or, by block size,
 * cmdprio_bssplit's shares) are issued at cmdprio_class/cmdprio (real-time
 * level 0 unless given), the rest at the job's prio/prioclass (none: 0).
 * Each priority's latency is counted on its own, as fio's "prios".
 *
 * fio's rules: percentages 0..100, classes 1..3, levels 0..7; a
 * cmdprio_bssplit entry is BS/PERCENT or BS/PERCENT/CLASS/LEVEL[/HINT], a percentage
 * above 100, a class or a level too high are cut to the highest, entries of
 * 0 % are dropped, a block size's shares may add up to 100 at most, and
 * cmdprio_percentage and cmdprio_bssplit do not go together.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <blkprio/bench.h>
#include <blkprio/parse.h>

#include "bench_priv.h"

#define IOPRIO(cls, lvl)	((int)((cls) << 13 | (lvl)))

typedef int (*dir_setter)(struct bench_cmdprio *c, const char *v);

/* "R[,W]": one setter per direction, all or nothing; trims are dropped. */
static int set_dirs(struct bench_job *job, const char *v, dir_setter fn)
{
	struct bench_cmdprio c[BENCH_NDIR];
	const char *f[3];
	char buf[1024];
	unsigned int d;

	if (bench_dir_fields(v, buf, sizeof(buf), f))
		return -EINVAL;
	memcpy(c, job->cmdprio, sizeof(c));
	for (d = 0; d < BENCH_NDIR; d++)
		if (*f[d] && fn(&c[d], f[d]))
			return -EINVAL;
	memcpy(job->cmdprio, c, sizeof(c));
	return 0;
}

static int one_uint(const char *v, long long lo, long long hi, uint8_t *out)
{
	long long x;

	if (parse_int_range(v, lo, hi, &x))
		return -EINVAL;
	*out = (uint8_t)x;
	return 0;
}

static int dir_pct(struct bench_cmdprio *c, const char *v) { return one_uint(v, 0, 100, &c->pct); }
static int dir_class(struct bench_cmdprio *c, const char *v) { return one_uint(v, 1, 3, &c->cls); }
static int dir_level(struct bench_cmdprio *c, const char *v) { return one_uint(v, 0, 7, &c->level); }

static int split_cmp(const void *a, const void *b)
{
	const struct bench_cmdprio_split *x = a, *y = b;

	return x->bs < y->bs ? -1 : x->bs > y->bs;
}

/* One entry: BS/ , BS/PERCENT, BS/PERCENT/CLASS/LEVEL or, as newer fios,
 * BS/PERCENT/CLASS/LEVEL/HINT (the kernel's priority hint, 0..7). */
static int split_entry(char *e, struct bench_cmdprio_split *s)
{
	char *part[5], *p = e;
	unsigned long long n[4] = { 0, 0, 0, 0 };
	unsigned int k = 0, i;
	uint64_t bs;

	while (k < 5 && (part[k] = strsep(&p, "/")))
		k++;
	if (p || parse_size(part[0], 0, &bs) || !bs || bs > UINT32_MAX)
		return -EINVAL;
	if (k == 2 && !*part[1])
		k = 1;			/* "BS/": no share */
	if (k == 3)
		return -EINVAL;
	for (i = 1; i < k; i++) {
		char *end;

		if (!*part[i] || *part[i] == '-')
			return -EINVAL;
		n[i - 1] = strtoull(part[i], &end, 10);
		if (*end)
			return -EINVAL;
	}
	if (k == 5 && n[3] > 7)
		return -EINVAL;
	s->bs = (uint32_t)bs;
	s->pct = (uint8_t)(n[0] > 100 ? 100 : n[0]);
	s->ioprio = k >= 4 ? IOPRIO(n[1] > 3 ? 3 : n[1], n[2] > 7 ? 7 : n[2]) | (int)(n[3] << 3) :
			     -1;
	return 0;
}

static int dir_split(struct bench_cmdprio *c, const char *v)
{
	char buf[1024], *p = buf, *e;
	unsigned int i, j, tot;

	if (strlen(v) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, v);
	c->nsplit = 0;
	while ((e = strsep(&p, ":")) && *e) {
		if (c->nsplit == BENCH_MAX_BSSPLIT || split_entry(e, &c->split[c->nsplit]))
			return -EINVAL;
		if (c->split[c->nsplit].pct)
			c->nsplit++;
	}
	qsort(c->split, c->nsplit, sizeof(c->split[0]), split_cmp);
	for (i = 0; i < c->nsplit; i = j) {
		for (tot = 0, j = i; j < c->nsplit && c->split[j].bs == c->split[i].bs; j++)
			tot += c->split[j].pct;
		if (tot > 100)
			return -ERANGE;
	}
	return 0;
}

int bench_cmdprio_set_pct(struct bench_job *job, const char *v)
{
	return set_dirs(job, v, dir_pct);
}

int bench_cmdprio_set_class(struct bench_job *job, const char *v)
{
	return set_dirs(job, v, dir_class);
}

int bench_cmdprio_set_level(struct bench_job *job, const char *v)
{
	return set_dirs(job, v, dir_level);
}

int bench_cmdprio_set_split(struct bench_job *job, const char *v)
{
	int err = set_dirs(job, v, dir_split);

	if (!err)
		job->cmdprio_bssplit = true;
	return err;
}

bool bench_cmdprio_used(const struct bench_job *job)
{
	unsigned int d;

	for (d = 0; d < BENCH_NDIR; d++)
		if (job->cmdprio[d].pct || job->cmdprio[d].nsplit)
			return true;
	return false;
}

int bench_cmdprio_check(const struct bench_job *job, const char **why)
{
	unsigned int d;
	bool pct = false;

	if (!bench_cmdprio_used(job))
		return 0;
	for (d = 0; d < BENCH_NDIR; d++)
		pct |= job->cmdprio[d].pct != 0;
	if (pct && job->cmdprio_bssplit) {
		*why = "cmdprio_percentage and cmdprio_bssplit options are mutually exclusive";
		return -EINVAL;
	}
	if ((job->engine != BENCH_IO_URING && job->engine != BENCH_LIBAIO) ||
	    bench_target_is_img(job->filename)) {
		*why = "cmdprio_percentage and cmdprio_bssplit need ioengine=io_uring or libaio "
		       "on a file or block device";
		return -EINVAL;
	}
	return 0;
}

/* The priority of the I/Os that get none of their own. */
int bench_cmdprio_default(const struct bench_job *job)
{
	return job->ioprio < 0 ? 0 : job->ioprio;
}

/* cmdprio_class and cmdprio: real-time unless a class was given. */
static int implicit(const struct bench_cmdprio *c)
{
	return IOPRIO(c->cls ? c->cls : 1, c->level);
}

/* fio's directions of a job: a mix does both, whatever its rwmixread. */
static bool does(enum bench_rw rw, enum bench_dir d)
{
	if (rw == BENCH_RW || rw == BENCH_RANDRW)
		return true;
	return (d == BENCH_DIR_READ) == (rw == BENCH_READ || rw == BENCH_RANDREAD);
}

static void add_prio(struct bench_dir_stats *s, int ioprio)
{
	unsigned int i;

	for (i = 0; i < s->nprio; i++)
		if (s->prio[i].ioprio == ioprio)
			return;
	s->prio[s->nprio].ioprio = ioprio;
	bench_hist_init(&s->prio[s->nprio].lat);
	s->nprio++;
}

int bench_cmdprio_stats(const struct bench_job *job, struct bench_result *r)
{
	unsigned int d, i;

	for (d = 0; d < BENCH_NDIR; d++) {
		const struct bench_cmdprio *c = &job->cmdprio[d];
		struct bench_dir_stats *s = &r->dir[d];

		if (!c->pct && !c->nsplit)
			continue;
		if (!does(job->rw, d))
			continue;
		s->prio = calloc(c->nsplit + 2, sizeof(*s->prio));
		if (!s->prio)
			return -ENOMEM;
		add_prio(s, bench_cmdprio_default(job));	/* always the first, as fio's */
		if (c->pct)
			add_prio(s, implicit(c));
		for (i = 0; i < c->nsplit; i++)
			add_prio(s, c->split[i].ioprio < 0 ? implicit(c) : c->split[i].ioprio);
	}
	return 0;
}

int bench_cmdprio_pick(struct bench_worker *w, enum bench_dir d, uint32_t len)
{
	const struct bench_cmdprio *c = &w->job->cmdprio[d];
	unsigned int i, r, tot = 0;

	if (c->pct)
		return bench_xorshift(&w->rng) % 100 < c->pct ? implicit(c) : -1;
	for (i = 0; i < c->nsplit && c->split[i].bs != len; i++)
		;
	if (i == c->nsplit)
		return -1;
	r = (unsigned int)(bench_xorshift(&w->rng) % 100);
	for (; i < c->nsplit && c->split[i].bs == len; i++) {
		tot += c->split[i].pct;
		if (r < tot)
			return c->split[i].ioprio < 0 ? implicit(c) : c->split[i].ioprio;
	}
	return -1;
}

void bench_cmdprio_done(struct bench_dir_stats *s, int ioprio, uint64_t lat_ns)
{
	unsigned int i;

	for (i = 0; i < s->nprio; i++)
		if (s->prio[i].ioprio == ioprio) {
			bench_hist_add(&s->prio[i].lat, lat_ns);
			return;
		}
}

int bench_cmdprio_merge(struct bench_dir_stats *dst, const struct bench_dir_stats *src)
{
	struct bench_prio_stat *p;
	unsigned int i, k;

	for (i = 0; i < src->nprio; i++) {
		for (k = 0; k < dst->nprio && dst->prio[k].ioprio != src->prio[i].ioprio; k++)
			;
		if (k == dst->nprio) {
			p = realloc(dst->prio, (dst->nprio + 1) * sizeof(*p));
			if (!p)
				return -ENOMEM;
			dst->prio = p;
			dst->prio[k].ioprio = src->prio[i].ioprio;
			bench_hist_init(&dst->prio[k].lat);
			dst->nprio++;
		}
		bench_hist_merge(&dst->prio[k].lat, &src->prio[i].lat);
	}
	return 0;
}
