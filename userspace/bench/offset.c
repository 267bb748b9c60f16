// SPDX-License-Identifier: GPL-2.0
/*
 * Where a random I/O goes: fio's random map (every block once a pass), its
 * offset distributions (random_distribution: zipf, pareto, normal, zoned,
 * zoned_abs) and blockalign, with fio's parameters, defaults and checks.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <blkprio/bench.h>
#include <blkprio/parse.h>

#include "bench_priv.h"

#define ZIPF_DEF_THETA	1.1		/* fio's defaults */
#define PARETO_DEF_H	0.2
#define ZETA_MAX_TERMS	10000000ull	/* fio caps the zeta sum there too */
#define GOLDEN_RATIO_64 0x61c8864680b583ebull

/* ---- parsing ------------------------------------------------------------------ */

static int parse_double(const char *v, double *out)
{
	char *end;

	if (!*v)
		return -EINVAL;
	errno = 0;
	*out = strtod(v, &end);
	return errno || *end || !isfinite(*out) ? -EINVAL : 0;
}

/* "PARAM[:CENTER]" after the name; empty: the default. */
static int distr_params(struct bench_distr *d, char *v, double def)
{
	char *center = strchr(v, ':');

	d->param = def;
	d->center = -1;
	if (center) {
		*center++ = '\0';
		if (parse_double(center, &d->center) || d->center < 0 || d->center > 1)
			return -EINVAL;
	}
	if (*v && parse_double(v, &d->param))
		return -EINVAL;
	switch (d->kind) {
	case BENCH_DIST_ZIPF:
		return d->param == 1.0 ? -EINVAL : 0;
	case BENCH_DIST_PARETO:
		return d->param <= 0 || d->param >= 1 ? -EINVAL : 0;
	default:
		return d->param < 0 || d->param >= 100 ? -EINVAL : 0;
	}
}

/* A zone's access percentage: 0 to 100. */
static int zone_access(const char *v, unsigned int *out)
{
	long long x;

	if (parse_int_range(v, 0, 100, &x))
		return -EINVAL;
	*out = (unsigned int)x;
	return 0;
}

/*
 * One direction's "ACCESS/SIZE:ACCESS/SIZE...": ACCESS percent of the I/Os go
 * to the next SIZE (percent of the region, or bytes for zoned_abs). The
 * accesses add up to 100; a zoned SIZE left out (or 0) shares what the
 * others leave. Kept as fio keeps it: for each of the 100 percent of
 * accesses, the zone [lo, hi) it falls in.
 */
static int zones_dir(struct bench_distr *d, unsigned int dir, char *v)
{
	struct { unsigned int acc; uint64_t size; bool missing; } z[BENCH_ZONE_PICKS * 2];
	unsigned int n = 0, acc = 0, missing = 0, i, j, a = 0;
	uint64_t ssum = 0, s = 0;
	char *item, *size;

	while ((item = strsep(&v, ":")) && *item) {
		if (n == sizeof(z) / sizeof(z[0]))
			return -EINVAL;
		size = strchr(item, '/');
		if (size)
			*size++ = '\0';
		if (zone_access(item, &z[n].acc))
			return -EINVAL;
		z[n].size = 0;
		z[n].missing = false;
		if (d->kind == BENCH_DIST_ZONED_ABS) {
			if (size && *size && parse_size(size, 0, &z[n].size))
				return -EINVAL;
		} else if (size && *size) {
			long long x;

			if (parse_int_range(size, 0, 100, &x))
				return -EINVAL;
			z[n].size = (uint64_t)x;
		}
		if (d->kind == BENCH_DIST_ZONED && !z[n].size) {
			z[n].missing = true;
			missing++;
		}
		acc += z[n].acc;
		ssum += z[n].size;
		n++;
	}
	if (v && *v)		/* an empty item before the end */
		return -EINVAL;
	if (!n)
		return 0;	/* this direction stays uniform */
	if (acc != 100 || (d->kind == BENCH_DIST_ZONED && ssum > 100))
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (z[i].missing)
			z[i].size = (100 - ssum) / missing;
		for (j = a; j < a + z[i].acc; j++) {
			d->pick[dir][j].lo = s;
			d->pick[dir][j].hi = s + z[i].size;
		}
		a += z[i].acc;
		s += z[i].size;
	}
	d->zoned[dir] = true;
	return 0;
}

/* "zoned:R,W,T" by fio's per-direction rules; trims are checked, then dropped. */
static int distr_zones(struct bench_distr *d, const char *v)
{
	const char *f[3];
	char buf[1024], x[1024];
	unsigned int i;

	if (bench_dir_fields(v, buf, sizeof(buf), f))
		return -EINVAL;
	for (i = 0; i < 3; i++) {
		struct bench_distr trim = { .kind = d->kind };

		strcpy(x, f[i]);
		if (zones_dir(i < BENCH_NDIR ? d : &trim, i < BENCH_NDIR ? i : 0, x))
			return -EINVAL;
	}
	return 0;
}

int bench_distr_set(struct bench_job *job, const char *v)
{
	static const struct { const char *name; enum bench_distr_kind kind; } names[] = {
		{ "random", BENCH_DIST_RANDOM }, { "zipf", BENCH_DIST_ZIPF },
		{ "pareto", BENCH_DIST_PARETO }, { "normal", BENCH_DIST_NORMAL },
		{ "zoned", BENCH_DIST_ZONED }, { "zoned_abs", BENCH_DIST_ZONED_ABS },
	};
	struct bench_distr d = { 0 };
	char buf[1024], *arg;
	unsigned int i;
	int err = -EINVAL;

	if (strlen(v) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, v);
	arg = strchr(buf, ':');
	if (arg)
		*arg++ = '\0';
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(buf, names[i].name))
			break;
	if (i == sizeof(names) / sizeof(names[0]))
		return -EINVAL;
	d.kind = names[i].kind;
	switch (d.kind) {
	case BENCH_DIST_RANDOM:
		err = arg ? -EINVAL : 0;
		break;
	case BENCH_DIST_ZIPF:
		err = distr_params(&d, arg ? arg : buf + strlen(buf), ZIPF_DEF_THETA);
		break;
	case BENCH_DIST_PARETO:
		err = distr_params(&d, arg ? arg : buf + strlen(buf), PARETO_DEF_H);
		break;
	case BENCH_DIST_NORMAL:
		err = distr_params(&d, arg ? arg : buf + strlen(buf), 0);
		break;
	case BENCH_DIST_ZONED:
	case BENCH_DIST_ZONED_ABS:
		err = arg ? distr_zones(&d, arg) : -EINVAL;
		break;
	}
	if (err)
		return err;
	job->distr = d;
	return 0;
}

/* blockalign: random offsets are multiples of it, per direction. */
int bench_ba_set(struct bench_job *job, const char *v)
{
	uint32_t ba[BENCH_NDIR];
	const char *f[3];
	char buf[256];
	unsigned int i;
	uint64_t x;

	if (bench_dir_fields(v, buf, sizeof(buf), f))
		return -EINVAL;
	memcpy(ba, job->ba, sizeof(ba));
	for (i = 0; i < 3; i++) {
		if (!*f[i])
			continue;
		if (parse_size(f[i], 0, &x) || !x || x > (64u << 20))
			return -EINVAL;
		if (i < BENCH_NDIR)
			ba[i] = (uint32_t)x;
	}
	memcpy(job->ba, ba, sizeof(ba));
	return 0;
}

/* ---- drawing ------------------------------------------------------------------ */

/*
 * The random map: a 4-round Feistel permutation over the smallest even
 * number of bits covering the blocks, cycle-walked into [0, nblocks), visits
 * every block once a pass in a well-mixed order.
 */
static void perm_setup(struct bench_worker *w)
{
	struct bench_off *o = &w->off;
	unsigned int bits = 2, i;

	while (bits < 64 && (1ull << bits) < w->nblocks)
		bits += 2;
	o->perm_half = bits / 2;
	for (i = 0; i < 4; i++)
		o->perm_key[i] = bench_xorshift(&w->rng);
	o->perm_i = 0;
}

static uint64_t feistel(const struct bench_off *o, uint64_t x)
{
	uint64_t mask = (1ull << o->perm_half) - 1, l = x >> o->perm_half, r = x & mask, t;
	unsigned int i;

	for (i = 0; i < 4; i++) {
		t = l ^ (bench_mix64(r ^ o->perm_key[i]) & mask);
		l = r;
		r = t;
	}
	return l << o->perm_half | r;
}

static uint64_t perm_step(struct bench_worker *w)
{
	struct bench_off *o = &w->off;
	uint64_t v = feistel(o, o->perm_i);

	while (v >= w->nblocks)
		v = feistel(o, v);
	if (++o->perm_i == w->nblocks)
		o->perm_i = 0;
	return v;
}

static bool is_taken(const struct bench_off *o, uint64_t b)
{
	return o->taken[b / 64] >> (b % 64) & 1;
}

/* The first block at or after b this pass has not had, wrapping (one is). */
static uint64_t next_free(const struct bench_off *o, uint64_t b, uint64_t n)
{
	uint64_t words = (n + 63) / 64, i = b / 64, w;

	w = ~o->taken[i] & (~0ull << (b % 64));
	while (!w) {
		i = i + 1 < words ? i + 1 : 0;
		w = ~o->taken[i];
	}
	b = i * 64 + (uint64_t)__builtin_ctzll(w);
	return b < n ? b : next_free(o, 0, n);
}

static uint64_t below(struct bench_worker *w, uint64_t n);

void bench_off_reset(struct bench_worker *w)
{
	struct bench_off *o = &w->off;

	o->perm_i = 0;
	if (o->taken) {
		memset(o->taken, 0, (w->nblocks + 63) / 64 * sizeof(*o->taken));
		o->ntaken = 0;
	}
}

/*
 * The next block of a pass: the permutation's; with sizes drawn per I/O,
 * as fio's map: a block at random, or when this pass had it the next free
 * one after it, and a new pass once every block is taken.
 */
static uint64_t perm_next(struct bench_worker *w)
{
	struct bench_off *o = &w->off;

	if (!o->taken)
		return perm_step(w);
	if (o->ntaken >= w->nblocks)
		bench_off_reset(w);
	return next_free(o, below(w, w->nblocks), w->nblocks);
}

uint32_t bench_off_take(struct bench_worker *w, uint64_t pos, uint32_t len)
{
	struct bench_off *o = &w->off;
	uint64_t b = pos / w->unit, k = 0, want = (len + w->unit - 1) / w->unit;

	while (k < want && b + k < w->nblocks && !is_taken(o, b + k)) {
		o->taken[(b + k) / 64] |= 1ull << ((b + k) % 64);
		k++;
	}
	o->ntaken += k;
	return k < want ? (uint32_t)(k * w->unit) : len;
}

/* Uniform in [0, 1]. */
static double uniform(struct bench_worker *w)
{
	return (double)(bench_xorshift(&w->rng) >> 11) / 9007199254740991.0;
}

static uint64_t below(struct bench_worker *w, uint64_t n)
{
	return n ? bench_xorshift(&w->rng) % n : 0;
}

/* The random offset of a rank: hot ranks spread over the region, as fio. */
static uint64_t spread(const struct bench_off *o, uint64_t rank, uint64_t n)
{
	return (rank * GOLDEN_RATIO_64 + o->rand_off) % n;
}

/* Zipf by Gray et al.'s method, as fio draws it (its zeta sum capped too). */
static uint64_t zipf_next(struct bench_worker *w, uint64_t n)
{
	const struct bench_off *o = &w->off;
	double u = uniform(w), z = u * o->zetan, theta = w->job->distr.param;
	uint64_t rank;

	if (z < 1.0)
		rank = 0;
	else if (z < 1.0 + pow(0.5, theta))
		rank = 1;
	else
		rank = (uint64_t)((double)n * pow(o->eta * u - o->eta + 1.0, o->alpha));
	if (rank >= n)
		rank = n - 1;
	return spread(o, rank, n);
}

static uint64_t pareto_next(struct bench_worker *w, uint64_t n)
{
	return spread(&w->off, (uint64_t)((double)(n - 1) * pow(uniform(w), w->off.pareto_pow)), n);
}

/* fio's "normal": the mean of 12 uniform draws, plus a uniform deviation of
 * the given share of the region, pulled in while it would leave it. */
static uint64_t normal_next(struct bench_worker *w, uint64_t n)
{
	const struct bench_off *o = &w->off;
	int64_t sum = 0, dev;
	unsigned int i;

	for (i = 0; i < 12; i++)
		sum += (int64_t)below(w, n + 1);
	sum = (sum + 11) / 12;
	if (o->stddev) {
		dev = (int64_t)(uniform(w) * (double)o->stddev) - (int64_t)(o->stddev / 2);
		while (sum + dev >= (int64_t)n || sum + dev < 0)
			dev /= 2;
		sum += dev;
	}
	if (sum >= (int64_t)n)
		sum = (int64_t)n - 1;
	return spread(o, (uint64_t)sum, n);
}

/* A zoned draw: the zone of one of 100 access percent, then uniform in it. */
static uint64_t zoned_next(struct bench_worker *w, enum bench_dir d)
{
	const struct bench_distr *ds = &w->job->distr;
	const struct bench_zone_pick *z = &ds->pick[d][below(w, 100)];
	uint64_t slots = w->off.slots[d], lo, span;

	if (ds->kind == BENCH_DIST_ZONED) {
		lo = z->lo * slots / 100;
		span = slots * (z->hi - z->lo) / 100;
	} else {
		lo = z->lo / w->off.align[d];
		span = z->hi / w->off.align[d] - lo;
	}
	if (!span)	/* a zone of no size: its start, kept inside the region */
		return lo < slots ? lo : slots - 1;
	return lo + below(w, span);
}

int bench_off_setup(struct bench_worker *w)
{
	const struct bench_job *job = w->job;
	const struct bench_distr *ds = &job->distr;
	struct bench_off *o = &w->off;
	uint64_t region = w->nblocks * w->unit, n = w->nblocks, i, terms;
	bool map = !job->norandommap || job->random_generator == BENCH_RNG_LFSR, grid = true;
	uint32_t mn, mx;
	unsigned int d;
	double theta;

	memset(o, 0, sizeof(*o));
	for (d = 0; d < BENCH_NDIR; d++) {
		bench_job_bs(job, d, &mn, &mx);
		o->align[d] = job->ba[d] ? job->ba[d] : mn;
		/* as fio: any blockalign other than the smallest I/O turns the map off */
		if (o->align[d] != mn)
			map = false;
		o->slots[d] = region >= mn ? (region - mn) / o->align[d] + 1 : 1;
		if (ds->kind == BENCH_DIST_ZONED_ABS && ds->zoned[d] &&
		    ds->pick[d][99].hi / o->align[d] > o->slots[d])
			return -ERANGE;	/* the zones go past the region */
	}
	o->map = map && ds->kind == BENCH_DIST_RANDOM;
	if (o->map)
		perm_setup(w);
	/* in blocks of the smallest I/O: a direction on a coarser grid (its
	 * own smallest size larger) keeps the plain permutation */
	for (d = 0; d < BENCH_NDIR; d++)
		if ((d == BENCH_DIR_READ ? job->rw != BENCH_RANDWRITE : job->rw != BENCH_RANDREAD) &&
		    (o->slots[d] != n || o->align[d] != w->unit))
			grid = false;
	if (o->map && w->bs_var && job->rand_every <= 1 && grid) {
		o->taken = calloc((n + 63) / 64, sizeof(*o->taken));
		if (!o->taken)
			return -ENOMEM;
	}
	o->rand_off = bench_xorshift(&w->rng);
	switch (ds->kind) {
	case BENCH_DIST_ZIPF:
		theta = ds->param;
		terms = n < ZETA_MAX_TERMS ? n : ZETA_MAX_TERMS;
		for (i = 0; i < terms; i++)
			o->zetan += pow(1.0 / (double)(i + 1), theta);
		o->alpha = 1.0 / (1.0 - theta);
		o->eta = (1.0 - pow(2.0 / (double)n, 1.0 - theta)) /
			 (1.0 - (1.0 + pow(0.5, theta)) / o->zetan);
		break;
	case BENCH_DIST_PARETO:
		o->pareto_pow = log(ds->param) / log(1.0 - ds->param);
		break;
	case BENCH_DIST_NORMAL:
		if (ds->param > 0) {
			o->stddev = (uint64_t)ceil((double)n * ds->param / 100.0);
			if (o->stddev > n / 2)
				o->stddev = n / 2;
		}
		/* centred on the middle unless told: no spreading offset */
		o->rand_off = 0;
		if (ds->center >= 0)
			o->rand_off = (uint64_t)(((int64_t)((double)n * (ds->center - 0.5)) +
						  (int64_t)n) % (int64_t)n);
		return 0;
	default:
		return 0;
	}
	if (ds->center >= 0)
		o->rand_off = (uint64_t)((double)n * ds->center);
	return 0;
}

uint64_t bench_off_next(struct bench_worker *w, enum bench_dir d)
{
	const struct bench_distr *ds = &w->job->distr;
	const struct bench_off *o = &w->off;
	uint64_t n = w->nblocks, b;

	/* a direction without zones is uniform */
	if ((ds->kind == BENCH_DIST_ZONED || ds->kind == BENCH_DIST_ZONED_ABS) && ds->zoned[d])
		return zoned_next(w, d) * o->align[d];
	switch (ds->kind) {
	case BENCH_DIST_ZIPF:
		b = zipf_next(w, n);
		break;
	case BENCH_DIST_PARETO:
		b = pareto_next(w, n);
		break;
	case BENCH_DIST_NORMAL:
		b = normal_next(w, n);
		break;
	default:
		if (!o->map)	/* uniform over this direction's aligned starts */
			return below(w, o->slots[d]) * o->align[d];
		b = perm_next(w);
	}
	/* from units of the smallest I/O to this direction's aligned starts */
	if (o->slots[d] != n || o->align[d] != w->unit)
		b = (uint64_t)((unsigned __int128)b * o->slots[d] / n);
	return b * o->align[d];
}
