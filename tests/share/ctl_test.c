// SPDX-License-Identifier: GPL-2.0
/*
 * The share controller against a simulated device: a scheduler that gives
 * shares in proportion to weight^alpha (alpha 1: weights work as promised; 3:
 * they over-deliver, as BFQ does for random reads; 0: they do nothing, as for
 * writes), caps enforced with the spare capacity going to the uncapped (work
 * conserving), and a few percent of noise.
 */
#include <math.h>
#include <string.h>

#include <blkprio/share.h>

#include "kselftest_harness.h"

#define N	3
#define STEPS	60

struct plant {
	double capacity;		/* ops/s of the device */
	double alpha;
	double noise;			/* relative amplitude per interval */
	double limit;			/* most a container can do alone (queue depth 1); 0 none */
	unsigned int n;
	bool busy[N];
	bool writes[N];			/* the container writes (else reads) */
	double depth;			/* requests in flight per container (0: 0.5 or
					 * less, as at queue depth 1) */
	unsigned int seed;
};

static double noise(struct plant *pl)
{
	pl->seed = pl->seed * 1103515245u + 12345u;
	return 1 + ((double)((pl->seed >> 8) % 1000) / 1000 - 0.5) * 2 * pl->noise;
}

/* One second of service given the weights and caps in force. */
static void serve(struct plant *pl, const struct share_state *st,
		  const unsigned int *cfg, struct share_input *in)
{
	double want[N], got[N], left = pl->capacity, sum = 0, w;
	bool capped[N] = { false };
	unsigned int i, round;

	for (i = 0; i < pl->n; i++) {
		w = st[i].weight > 0 ? st[i].weight : cfg[i];
		want[i] = pl->busy[i] ? pow(w, pl->alpha) : 0;
		got[i] = 0;
	}
	/*
	 * Water-filling: capped containers stop at their cap (or at what they
	 * can do at all), the rest share what is left.
	 */
	for (round = 0; round <= N; round++) {
		for (i = 0, sum = 0; i < pl->n; i++)
			if (!capped[i])
				sum += want[i];
		if (sum <= 0)
			break;
		for (i = 0; i < pl->n; i++)
			if (!capped[i])
				got[i] = left * want[i] / sum;
		for (i = 0; i < pl->n; i++) {
			double most = st[i].cap > 0 ? st[i].cap : 0;

			if (pl->limit > 0 && (!most || pl->limit < most))
				most = pl->limit;
			if (capped[i] || !most || got[i] <= most)
				continue;
			got[i] = most;
			capped[i] = true;
		}
		for (i = 0, left = pl->capacity; i < pl->n; i++)
			if (capped[i])
				left -= got[i];
	}
	for (i = 0; i < pl->n; i++) {
		memset(&in[i], 0, sizeof(in[i]));
		in[i].weight = cfg[i];
		in[i].ios = (uint64_t)(got[i] * noise(pl));
		in[i].bytes = in[i].ios * 4096;
		in[i].writes = pl->writes[i] ? in[i].ios : 0;
		in[i].device_ns = in[i].ios * 100000;	/* 100 us each */
		in[i].latency_ns = in[i].device_ns;
		if (pl->depth > 0 && in[i].ios)
			in[i].latency_ns = (uint64_t)(pl->depth * 1e9);
	}
}

struct run {
	double share[N];		/* mean realized share over the last 10 steps */
	double spread[N];		/* max - min over them */
	double total;			/* mean ops/s over them */
	double promised[N];
	enum share_lever lever;
};

static void simulate(struct plant *pl, const unsigned int *cfg, bool weights_act,
		     struct run *r, struct share_state *st, struct share_dev *dev)
{
	struct share_input in[N];
	struct share_out out[N];
	struct share_params p;
	double lo[N], hi[N];
	unsigned int s, i;

	share_params_default(&p);
	p.weights_act = weights_act;
	memset(r, 0, sizeof(*r));
	for (i = 0; i < N; i++) {
		lo[i] = 1;
		hi[i] = 0;
	}
	for (s = 0; s < STEPS; s++) {
		serve(pl, st, cfg, in);
		share_step(&p, 1.0, pl->n, in, st, dev, out);
		if (s < STEPS - 10)
			continue;
		for (i = 0; i < pl->n; i++) {
			r->share[i] += st[i].realized / 10;
			r->total += (double)in[i].ios / 10;
			r->promised[i] = st[i].promised;
			lo[i] = st[i].realized < lo[i] ? st[i].realized : lo[i];
			hi[i] = st[i].realized > hi[i] ? st[i].realized : hi[i];
		}
	}
	for (i = 0; i < pl->n; i++)
		r->spread[i] = hi[i] - lo[i];
	r->lever = dev->lever;
}

/*
 * The most the device can serve while keeping the promise: everyone's
 * promised share of the capacity, scaled down when a container's own limit
 * (queue depth 1 on a device that could do more) stops it first.
 */
static double best_total(const struct plant *pl, const unsigned int *cfg)
{
	double wsum = 0, scale = 1, share;
	unsigned int i;

	for (i = 0; i < pl->n; i++)
		wsum += pl->busy[i] ? cfg[i] : 0;
	for (i = 0; i < pl->n; i++) {
		share = pl->busy[i] ? cfg[i] / wsum : 0;
		if (pl->limit > 0 && share * pl->capacity > pl->limit &&
		    pl->limit / (share * pl->capacity) < scale)
			scale = pl->limit / (share * pl->capacity);
	}
	return scale * pl->capacity;
}

static void check_promise(struct __test_metadata *_metadata, const struct run *r,
			  unsigned int n, double best, double pl_noise)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		EXPECT_LE(fabs(r->share[i] / r->promised[i] - 1), 0.10)
			TH_LOG("container %u: share %.3f, promised %.3f", i, r->share[i],
			       r->promised[i]);
		EXPECT_LE(r->spread[i], 0.08 + pl_noise) TH_LOG("container %u oscillates: %.3f", i,
								 r->spread[i]);
	}
	EXPECT_GE(r->total, 0.90 * best);	/* control costs little throughput */
}

FIXTURE(ctl) {
	struct plant pl;
	struct share_state st[N];
	struct share_dev dev;
	struct run r;
};

FIXTURE_VARIANT(ctl) {
	double alpha;
	double noise;			/* 0: 3% */
	double limit;			/* per-container limit, share of the capacity */
	bool weights_act;
	unsigned int n;
	unsigned int cfg[N];
};

/* IOPRIO 7 vs 0 (128:64) and 7:4:0 (128:100:64) on the openvz map. */
FIXTURE_VARIANT_ADD(ctl, faithful_7_0) { .alpha = 1, .weights_act = true, .n = 2, .cfg = { 128, 64 } };
FIXTURE_VARIANT_ADD(ctl, overdelivers_7_0) { .alpha = 3, .weights_act = true, .n = 2, .cfg = { 128, 64 } };
FIXTURE_VARIANT_ADD(ctl, ignored_7_0) { .alpha = 0, .weights_act = true, .n = 2, .cfg = { 128, 64 } };
FIXTURE_VARIANT_ADD(ctl, no_bfq_7_0) { .alpha = 0, .weights_act = false, .n = 2, .cfg = { 128, 64 } };
FIXTURE_VARIANT_ADD(ctl, equal_4_4) { .alpha = 3, .weights_act = true, .n = 2, .cfg = { 100, 100 } };
FIXTURE_VARIANT_ADD(ctl, three_7_4_0) { .alpha = 3, .weights_act = true, .n = 3, .cfg = { 128, 100, 64 } };
FIXTURE_VARIANT_ADD(ctl, three_ignored) { .alpha = 0, .weights_act = true, .n = 3, .cfg = { 128, 100, 64 } };
/* BFQ serves in slices: one second's share swings by a quarter. */
FIXTURE_VARIANT_ADD(ctl, noisy_ignored_7_0) { .alpha = 0, .noise = 0.25, .weights_act = true, .n = 2, .cfg = { 128, 64 } };
FIXTURE_VARIANT_ADD(ctl, noisy_overdelivers_7_0) { .alpha = 3, .noise = 0.25, .weights_act = true, .n = 2, .cfg = { 128, 64 } };
/* Weights that work, with 10% noise: the noise must not push the loop onto caps. */
FIXTURE_VARIANT_ADD(ctl, noisy_faithful_7_0) { .alpha = 1, .noise = 0.10, .weights_act = true, .n = 2, .cfg = { 128, 64 } };
FIXTURE_VARIANT_ADD(ctl, very_noisy_faithful_7_0) { .alpha = 1, .noise = 0.25, .weights_act = true, .n = 2, .cfg = { 128, 64 } };
/*
 * Queue depth 1 writes on a loop device: weights ignored, and a container
 * cannot use more than 55% of the device alone, so holding the other back
 * costs throughput that nobody can use (the promise is kept all the same).
 */
FIXTURE_VARIANT_ADD(ctl, limited_ignored_7_0) { .alpha = 0, .limit = 0.55, .weights_act = true, .n = 2, .cfg = { 128, 64 } };
FIXTURE_VARIANT_ADD(ctl, limited_ignored_7_4_0) { .alpha = 0, .limit = 0.40, .weights_act = true, .n = 3, .cfg = { 128, 100, 64 } };

FIXTURE_SETUP(ctl)
{
	unsigned int i;

	memset(self, 0, sizeof(*self));
	self->pl.capacity = 10000;
	self->pl.alpha = variant->alpha;
	self->pl.noise = variant->noise ? variant->noise : 0.03;
	self->pl.limit = variant->limit * self->pl.capacity;
	self->pl.n = variant->n;
	self->pl.seed = 7;
	for (i = 0; i < variant->n; i++)
		self->pl.busy[i] = true;
}

FIXTURE_TEARDOWN(ctl)
{
}

TEST_F(ctl, keeps_the_promise)
{
	simulate(&self->pl, variant->cfg, variant->weights_act, &self->r, self->st, &self->dev);
	check_promise(_metadata, &self->r, variant->n, best_total(&self->pl, variant->cfg),
		      self->pl.noise);
	if (!variant->weights_act)
		EXPECT_NE(SHARE_LEVER_WEIGHT, self->r.lever);
	if (variant->alpha == 1)
		EXPECT_NE(SHARE_LEVER_CAP, self->r.lever);	/* nothing to correct by force */
}

TEST_F(ctl, lone_container_gets_the_device)
{
	struct share_input in[N];
	struct share_out out[N];
	struct share_params p;
	unsigned int i, k;

	simulate(&self->pl, variant->cfg, variant->weights_act, &self->r, self->st, &self->dev);
	/* Contention ends: all but the first go idle. */
	for (i = 1; i < variant->n; i++)
		self->pl.busy[i] = false;
	share_params_default(&p);
	p.weights_act = variant->weights_act;
	/*
	 * For the grace interval the others may just be held back: weights
	 * stay, but no cap is left on the one still busy.
	 */
	for (k = 0; k < p.grace; k++) {
		serve(&self->pl, self->st, variant->cfg, in);
		share_step(&p, 1.0, variant->n, in, self->st, &self->dev, out);
		for (i = 0; i < variant->n; i++) {
			EXPECT_FALSE(out[i].set_weight);
			EXPECT_EQ(0, self->st[i].cap);
		}
		EXPECT_NE(SHARE_LEVER_NONE, self->dev.lever);
	}
	/* Then contention is over: everything back to the configuration. */
	serve(&self->pl, self->st, variant->cfg, in);
	share_step(&p, 1.0, variant->n, in, self->st, &self->dev, out);
	for (i = 0; i < variant->n; i++) {
		EXPECT_EQ(0, self->st[i].cap);
		EXPECT_EQ(0, self->st[i].weight);	/* back to the configured weight */
		if (out[i].set_weight)
			EXPECT_EQ(variant->cfg[i], out[i].weight);
	}
	EXPECT_EQ(SHARE_LEVER_NONE, self->dev.lever);
	serve(&self->pl, self->st, variant->cfg, in);
	EXPECT_GE((double)in[0].ios, 0.95 * (self->pl.limit > 0 ? self->pl.limit : self->pl.capacity));
}

/*
 * Where the scheduler ignores the weights, the loop finds out from the shares
 * not answering and goes to caps soon (at most 8 intervals; 9 to 10 here by
 * waiting for a weight to reach its bound, 13 measured on BFQ where the
 * noise kept resetting that count); where they act, even noisily, it never
 * does. Without BFQ there are no weights to try.
 */
TEST_F(ctl, weights_judged_by_their_effect)
{
	struct share_input in[N];
	struct share_out out[N];
	struct share_params p;
	unsigned int s, first = 0;

	share_params_default(&p);
	p.weights_act = variant->weights_act;
	for (s = 1; s <= STEPS && !first; s++) {
		serve(&self->pl, self->st, variant->cfg, in);
		share_step(&p, 1.0, variant->n, in, self->st, &self->dev, out);
		if (self->dev.lever == SHARE_LEVER_CAP)
			first = s;
	}
	TH_LOG("caps from interval %u", first);
	if (!variant->weights_act) {
		EXPECT_TRUE(first > 0 && first <= 2);	/* no weights to try */
	} else if (variant->alpha == 0) {
		EXPECT_TRUE(first > 0 && first <= 8);
	} else {
		EXPECT_EQ(0, first);
	}
}

/*
 * Two containers, IOPRIO 7 and 0 (128:64), both busy on a simulated device,
 * driven one interval at a time by the tests below.
 */
struct pair {
	struct plant pl;
	unsigned int cfg[2];
	struct share_state st[N];
	struct share_dev dev;
	struct share_input in[N];
	struct share_out out[N];
	struct share_params p;
};

static void pair_init(struct pair *r, double alpha, double noise, unsigned int seed,
		      bool weights_act)
{
	memset(r, 0, sizeof(*r));
	r->pl.capacity = 10000;
	r->pl.alpha = alpha;
	r->pl.noise = noise;
	r->pl.n = 2;
	r->pl.seed = seed;
	r->pl.busy[0] = r->pl.busy[1] = true;
	r->cfg[0] = 128;
	r->cfg[1] = 64;
	share_params_default(&r->p);
	r->p.weights_act = weights_act;
}

static void pair_serve(struct pair *r)
{
	serve(&r->pl, r->st, r->cfg, r->in);
}

static void pair_step(struct pair *r)
{
	share_step(&r->p, 1.0, 2, r->in, r->st, &r->dev, r->out);
}

/* The loop starts over on the same device: no state kept. */
static void pair_forget(struct pair *r)
{
	memset(r->st, 0, sizeof(r->st));
	memset(&r->dev, 0, sizeof(r->dev));
}

/* The first container's part of this interval's operations. */
static double pair_first_share(const struct pair *r)
{
	return (double)r->in[0].ios / (double)(r->in[0].ios + r->in[1].ios);
}

/*
 * The averages start again after a cap comes on: the first cap is a big step
 * (straight to the promise), and the averages still carrying the intervals
 * before it would read as over-served for two or three more intervals and
 * tighten it past the promise (measured on BFQ: a writer's first cap took it
 * from 48% to 36% for a 33% promise, the lagging average took it on to 28%).
 */
TEST(first_cap_lands_without_overshoot)
{
	struct pair r;
	double low = 1, share;
	unsigned int s;
	bool capped = false;

	pair_init(&r, 0, 0.03, 9, false);
	for (s = 0; s < 30; s++) {
		pair_serve(&r);
		share = 1 - pair_first_share(&r);
		if (capped && share < low)
			low = share;
		pair_step(&r);
		capped |= r.st[1].cap > 0;
	}
	EXPECT_TRUE(capped);
	EXPECT_GE(low, 0.9 / 3) TH_LOG("the capped one went down to %.3f for 0.333", low);
}

/*
 * A reader and a writer (one request at a time) on BFQ: writes go to caps at
 * once, without a weight ever being moved; readers alone try the weights
 * first. A writer joining readers on weights moves the device to caps. A
 * writer keeping 8 requests in flight stays on weights (BFQ splits those).
 */
TEST(writers_go_straight_to_caps)
{
	struct pair r;
	unsigned int s, i;

	pair_init(&r, 0, 0.03, 4, true);
	r.pl.writes[1] = true;
	for (s = 0; s < 30; s++) {
		pair_serve(&r);
		pair_step(&r);
		for (i = 0; i < 2; i++)
			EXPECT_FALSE(r.out[i].set_weight) TH_LOG("step %u: weight for %u", s, i);
		if (s >= 1)
			EXPECT_EQ(SHARE_LEVER_CAP, r.dev.lever);
	}
	EXPECT_LE(fabs(r.st[0].realized / (2.0 / 3) - 1), 0.10);

	/* Readers only: weights; then the second turns to writing. */
	pair_forget(&r);
	r.pl.writes[1] = false;
	for (s = 0; s < 4; s++) {
		pair_serve(&r);
		pair_step(&r);
	}
	EXPECT_EQ(SHARE_LEVER_WEIGHT, r.dev.lever);
	r.pl.writes[1] = true;
	pair_serve(&r);
	pair_step(&r);
	EXPECT_EQ(SHARE_LEVER_CAP, r.dev.lever);

	pair_forget(&r);
	r.pl.depth = 8;
	for (s = 0; s < 4; s++) {
		pair_serve(&r);
		pair_step(&r);
	}
	EXPECT_EQ(SHARE_LEVER_WEIGHT, r.dev.lever);
}

/*
 * The device changes under the loop (another load takes most of it for a
 * while, then leaves): the loop follows and is back on the promise within 20
 * intervals, not crawling at the smallest steps it took while settling.
 */
TEST(recovers_after_a_change)
{
	struct pair r;
	double share = 0;
	unsigned int s;

	pair_init(&r, 0, 0.10, 11, false);
	for (s = 0; s < 100; s++) {
		/* Steps 40..59: the first container is slowed down by something else. */
		r.pl.limit = s >= 40 && s < 60 ? 2500 : 0;
		pair_serve(&r);
		pair_step(&r);
		if (s >= 80 && s < 90)
			share += pair_first_share(&r) / 10;
	}
	EXPECT_LE(fabs(share / (2.0 / 3) - 1), 0.10) TH_LOG("share %.3f after the change", share);
}

/*
 * A container joins one that ran alone, part-way through an interval: the
 * shares are counted afresh from the first whole interval, so on a device
 * whose weights work exactly nothing moves (the partial interval carried in
 * the averages would read as the first one over-served).
 */
TEST(newcomer_counted_afresh)
{
	struct pair r;
	unsigned int s, i;

	pair_init(&r, 1, 0, 5, true);
	for (s = 0; s < 20; s++) {
		r.pl.busy[1] = s >= 10;
		pair_serve(&r);
		if (s == 10)
			r.in[1].ios /= 4;	/* it started a quarter before the interval ended */
		pair_step(&r);
		for (i = 0; i < 2; i++) {
			EXPECT_FALSE(r.out[i].set_weight) TH_LOG("step %u: weight %u for %u", s,
								  r.out[i].weight, i);
			EXPECT_FALSE(r.out[i].set_cap);
		}
	}
	EXPECT_LE(fabs(r.st[0].realized - 2.0 / 3), 0.01);
}

/*
 * Caps are written in bytes/s at the container's request size: the throttle
 * counts bios before the scheduler merges them into the requests the probes
 * count, so a cap in operations would be off by the merge factor. The same
 * when the loop came to caps from weights (the switch keeps the averages).
 */
TEST(caps_in_bytes)
{
	struct share_params p;
	unsigned int s, caps, route;

	share_params_default(&p);
	for (route = 0; route < 2; route++) {
		struct share_input in[2] = {
			{ .weight = 128, .ios = 5000, .bytes = 5000ull * 24576 },
			{ .weight = 64, .ios = 5000, .bytes = 5000ull * 4096 },
		};
		struct share_state st[2] = { 0 };
		struct share_dev dev = { 0 };
		struct share_out out[2];

		p.weights_act = route;	/* 1: weights first, then caps */
		for (s = 0, caps = 0; s < 30; s++) {
			share_step(&p, 1.0, 2, in, st, &dev, out);
			if (!out[1].set_cap || st[1].cap <= 0)
				continue;
			caps++;
			EXPECT_EQ(0, out[1].cap_iops) TH_LOG("route %u step %u", route, s);
			EXPECT_EQ((uint64_t)(st[1].cap * 4096 + 0.5), out[1].cap_bps);
		}
		EXPECT_GT(caps, 0) TH_LOG("route %u", route);
		EXPECT_EQ(0, st[0].cap);	/* the under-served one is never capped */
	}
}

/*
 * Weights gave way to caps, and in the very next interval a container is held
 * back below min_ios (a throttle or a scheduler slice): it is still competing,
 * so it stays active and the device stays on caps, not back to the start.
 */
TEST(switch_to_caps_keeps_the_competitors)
{
	struct share_input in[2] = {
		{ .weight = 128, .ios = 5000, .bytes = 5000ull * 4096 },
		{ .weight = 64, .ios = 5000, .bytes = 5000ull * 4096 },
	};
	struct share_state st[2] = { 0 };
	struct share_dev dev = { 0 };
	struct share_out out[2];
	struct share_params p;
	unsigned int s;

	share_params_default(&p);
	p.weights_act = true;
	for (s = 0; s < 30 && dev.lever != SHARE_LEVER_CAP; s++)
		share_step(&p, 1.0, 2, in, st, &dev, out);
	ASSERT_EQ(SHARE_LEVER_CAP, dev.lever);
	in[1].ios = 5;
	in[1].bytes = 5 * 4096;
	share_step(&p, 1.0, 2, in, st, &dev, out);
	EXPECT_TRUE(st[1].active);
	EXPECT_EQ(2, dev.active);
	EXPECT_EQ(SHARE_LEVER_CAP, dev.lever);
}

/*
 * A capped container short of its promise while doing well under its cap is
 * held back by the others, not by the cap: the over-served one is capped at
 * once instead of waiting until that cap has been loosened away (which, at the
 * small steps left after settling, took ten intervals and more on BFQ).
 */
TEST(tightens_others_when_a_cap_does_not_hold)
{
	struct pair r;
	unsigned int s, first = 0;
	double share = 0;

	pair_init(&r, 0, 0.03, 3, true);
	/* An old cap on the first, settled to small steps; the device splits 50:50. */
	r.dev.lever = SHARE_LEVER_CAP;
	r.st[0].cap = 7000;
	r.st[0].gain = r.p.gain / 8;
	r.st[0].last_sign = -1;
	for (s = 0; s < 40; s++) {
		pair_serve(&r);
		pair_step(&r);
		if (!first && r.st[1].cap > 0)
			first = s;
		if (s >= 30)
			share += pair_first_share(&r) / 10;
	}
	EXPECT_GT(first, 0);
	EXPECT_LE(first, 3) TH_LOG("the over-served one capped only at step %u", first);
	EXPECT_LE(fabs(share / (2.0 / 3) - 1), 0.10) TH_LOG("share %.3f", share);
}

TEST(floors_and_bounds)
{
	struct share_input in[2] = {
		{ .weight = 128, .ios = 100000, .device_ns = 100000ull * 100000 },
		{ .weight = 64, .ios = 20, .device_ns = 20 * 100000 },
	};
	struct share_state st[2] = { 0 };
	struct share_dev dev = { 0 };
	struct share_out out[2];
	struct share_params p;
	unsigned int s;

	share_params_default(&p);
	for (s = 0; s < 50; s++)
		share_step(&p, 1.0, 2, in, st, &dev, out);
	/* The weight moved at most span away; a cap never under the floor. */
	EXPECT_GE(st[0].weight == 0 ? 128 : st[0].weight, 128 / p.weight_span - 1e-9);
	if (st[0].cap > 0)
		EXPECT_GE(st[0].cap, p.floor_share * dev.capacity * 0.999);
	EXPECT_EQ(0, st[1].cap);	/* the under-served one is never capped */
}

TEST(measures)
{
	enum share_measure m;

	EXPECT_EQ(0, share_measure_parse("time", &m));
	EXPECT_EQ(SHARE_TIME, m);
	EXPECT_EQ(0, share_measure_parse("BYTES", &m));
	EXPECT_EQ(SHARE_BYTES, m);
	EXPECT_NE(0, share_measure_parse("speed", &m));
	EXPECT_STREQ("cap", share_lever_name(SHARE_LEVER_CAP));
}

TEST_HARNESS_MAIN
