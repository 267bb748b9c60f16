// SPDX-License-Identifier: GPL-2.0
/*
 * The share controller: one step per device and interval. See share.h for
 * the promise and the levers; here is how a step decides.
 *
 * Errors are relative: e = realized / promised - 1. Within the dead band
 * nothing moves. Outside it, the lever in use takes a multiplicative step of
 * (promised / realized)^gain, bounded by max_step, so that a large error is
 * corrected over a few intervals rather than overshot in one.
 */
#include <errno.h>
#include <math.h>
#include <string.h>
#include <strings.h>

#include <blkprio/share.h>

void share_params_default(struct share_params *p)
{
	memset(p, 0, sizeof(*p));
	p->measure = SHARE_IOPS;
	p->deadband = 0.05;
	p->gain = 0.5;
	p->max_step = 2.0;
	p->min_ios = 20;
	p->grace = 2;
	p->levers = SHARE_LEVERS_AUTO;
	p->weight_span = 4.0;
	p->weight_tries = 4;
	p->floor_share = 0.05;
	p->smooth = 0.3;
	p->weights_act = true;
	p->weight_min = 1;
	p->weight_max = 1000;
	p->binding = 0.9;
	p->min_elasticity = 0.3;
}


/* The index of s (any case) in a table of three names, or -EINVAL. */
static int name_index(const char *const names[3], const char *s)
{
	int i;

	for (i = 0; i < 3; i++)
		if (!strcasecmp(s, names[i]))
			return i;
	return -EINVAL;
}

static const char *const lever_names[3] = { "none", "weight", "cap" };
static const char *const measure_names[3] = { "time", "iops", "bytes" };
static const char *const levers_names[3] = { "auto", "weight", "cap" };

const char *share_lever_name(enum share_lever l)
{
	return lever_names[l];
}

int share_lever_parse(const char *s, enum share_lever *l)
{
	int i = name_index(lever_names, s);

	if (i < 0)
		return i;
	*l = (enum share_lever)i;
	return 0;
}

int share_measure_parse(const char *s, enum share_measure *m)
{
	int i = name_index(measure_names, s);

	if (i < 0)
		return i;
	*m = (enum share_measure)i;
	return 0;
}

const char *share_measure_name(enum share_measure m)
{
	return measure_names[m];
}

int share_levers_parse(const char *s, enum share_levers *l)
{
	int i = name_index(levers_names, s);

	if (i < 0)
		return i;
	*l = (enum share_levers)i;
	return 0;
}

const char *share_levers_name(enum share_levers l)
{
	return levers_names[l];
}

static double service(const struct share_params *p, const struct share_input *in)
{
	switch (p->measure) {
	case SHARE_IOPS:
		return (double)in->ios;
	case SHARE_BYTES:
		return (double)in->bytes;
	default:
		return (double)in->device_ns;
	}
}

/* Caps are in operations/s, or bytes/s when shares are counted in bytes. */
static double rate(const struct share_params *p, const struct share_input *in, double dt)
{
	return (p->measure == SHARE_BYTES ? (double)in->bytes : (double)in->ios) / dt;
}

/*
 * The step toward the promise. How strongly a share answers a change of its
 * lever is not known (BFQ over-delivers on some workloads), so a container
 * whose error changed sign since its last step, an overshoot, takes half
 * steps from then on: the loop settles instead of oscillating. Steps that
 * keep going the same way three times in a row double again (up to the
 * default): after a change in the workload the loop is not left crawling.
 */
static double step_factor(const struct share_params *p, struct share_state *s)
{
	int sign = s->realized > s->promised ? 1 : -1;
	double f;

	if (!s->gain)
		s->gain = p->gain;
	if (s->last_sign && sign != s->last_sign) {
		if (s->gain > p->gain / 8)
			s->gain /= 2;
		s->same = 0;
	} else if (++s->same >= 3 && s->gain < p->gain) {
		s->gain = s->gain * 2 > p->gain ? p->gain : s->gain * 2;
		s->same = 0;
	}
	s->last_sign = sign;
	f = s->realized > 0 ? pow(s->promised / s->realized, s->gain) : p->max_step;

	if (f > p->max_step)
		f = p->max_step;
	if (f < 1 / p->max_step)
		f = 1 / p->max_step;
	return f;
}

/*
 * A cap is written in bytes/s whenever the container's request size is
 * known: the throttle counts bios before the scheduler merges them, the
 * probes count requests after, and only bytes are the same on both sides
 * (measured: sequential 4 KiB reads at queue depth 8 merge about 6 to 1
 * under mq-deadline, so a cap in operations held a container to a sixth of
 * what the loop meant).
 */
void share_cap_out(const struct share_params *p, const struct share_state *s,
		   struct share_out *o)
{
	double cap = s->cap, bps = p->measure == SHARE_BYTES ? cap : cap * s->size_avg;

	o->set_cap = true;
	o->cap_iops = o->cap_bps = 0;
	if (cap <= 0)
		return;
	if (bps > 0)
		o->cap_bps = bps < 1 ? 1 : (uint64_t)(bps + 0.5);
	else
		o->cap_iops = cap < 1 ? 1 : (uint64_t)(cap + 0.5);	/* never "no cap" */
}

static void put_cap(const struct share_params *p, struct share_state *s,
		    struct share_out *o, double cap)
{
	s->cap = cap;
	share_cap_out(p, s, o);
}

static void put_weight(struct share_state *s, struct share_out *o, double w,
		       unsigned int cfg)
{
	unsigned int old = s->weight > 0 ? (unsigned int)lround(s->weight) : cfg;

	s->weight = w;
	if ((unsigned int)lround(w) != old) {
		o->set_weight = true;
		o->weight = (unsigned int)lround(w);
	}
}

/*
 * The weight back to the configured one, and the step history with it (it
 * belongs to the lever that took it). The averages stay: the container is
 * still competing, and caps are written at its measured request size.
 */
static void weight_back(const struct share_input *in, struct share_state *s,
			struct share_out *o)
{
	if (s->weight > 0) {
		o->set_weight = (unsigned int)lround(s->weight) != in->weight;
		o->weight = in->weight;
		s->weight = 0;
	}
	s->gain = 0;
	s->last_sign = 0;
	s->same = 0;
}

/* Back to the configured settings: weights as mapped, no caps, nothing kept. */
static void release(const struct share_input *in, struct share_state *s,
		    struct share_out *o)
{
	weight_back(in, s, o);
	if (s->cap > 0) {
		s->cap = 0;
		o->set_cap = true;
	}
	s->lever = SHARE_LEVER_NONE;
	s->quiet = 0;
	s->svc_avg = s->rate_avg = s->size_avg = 0;
}

static void weight_step(const struct share_params *p, const struct share_input *in,
			struct share_state *s, struct share_out *o)
{
	double w = s->weight > 0 ? s->weight : in->weight;
	double lo = in->weight / p->weight_span, hi = in->weight * p->weight_span;

	if (fabs(s->realized / s->promised - 1) <= p->deadband)
		return;
	w *= step_factor(p, s);
	if (lo < p->weight_min)
		lo = p->weight_min;
	if (hi > p->weight_max)
		hi = p->weight_max;
	w = w < lo ? lo : w > hi ? hi : w;
	put_weight(s, o, w, in->weight);
	s->lever = SHARE_LEVER_WEIGHT;
}

/* Returns true when a cap came on or off (the rates jump: averages restart). */
static bool cap_step(const struct share_params *p, const struct share_input *in,
		     struct share_state *s, struct share_out *o, double r, double capacity,
		     bool relaxing)
{
	double e = s->realized / s->promised - 1, cap, floor = p->floor_share * capacity;
	bool had = s->cap > 0;

	if (s->weight > 0)
		weight_back(in, s, o);	/* caps work against the configured weights */
	if (e > p->deadband && !relaxing && s->cap <= 0) {
		/*
		 * Over-served, first cap: straight to its promised share of what
		 * the device does now (at most halving its rate); the steps after
		 * correct for what the others could not take up.
		 */
		cap = s->promised * capacity;
		cap = cap < r / p->max_step ? r / p->max_step : cap;
		put_cap(p, s, o, cap < floor ? floor : cap);
	} else if (e > p->deadband && !relaxing) {
		/* Over-served: hold it to what it got, scaled toward the promise. */
		cap = (s->cap < r ? s->cap : r) * step_factor(p, s);
		put_cap(p, s, o, cap < floor ? floor : cap);
	} else if (s->cap > 0 && (e < -p->deadband || r < 0.8 * s->cap)) {
		/* Capped and short of its promise, or no longer using its cap. */
		cap = s->cap * (e < -p->deadband ? step_factor(p, s) : 1.25);
		put_cap(p, s, o, cap >= capacity ? 0 : cap);
	}
	s->lever = s->cap > 0 ? SHARE_LEVER_CAP : SHARE_LEVER_NONE;
	return had != (s->cap > 0);
}

/* A container outside the dead band whose weight is at the bound it must pass. */
static bool weights_pinned(const struct share_params *p, unsigned int n,
			   const struct share_input *in, const struct share_state *st)
{
	double w, lo, hi, e;
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (!st[i].active)
			continue;
		w = st[i].weight > 0 ? st[i].weight : in[i].weight;
		lo = in[i].weight / p->weight_span;
		hi = in[i].weight * p->weight_span;
		lo = lo < p->weight_min ? p->weight_min : lo;
		hi = hi > p->weight_max ? p->weight_max : hi;
		e = st[i].realized / st[i].promised - 1;
		if ((e > p->deadband && w <= lo * 1.001) || (e < -p->deadband && w >= hi * 0.999))
			return true;
	}
	return false;
}

/* How far the weights in force are from the configured ones (a factor >= 1). */
static double weights_moved(unsigned int n, const struct share_input *in,
			    const struct share_state *st)
{
	double most = 1, f;
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (!st[i].active || st[i].weight <= 0)
			continue;
		f = st[i].weight / in[i].weight;
		f = f < 1 ? 1 / f : f;
		most = f > most ? f : most;
	}
	return most;
}

/*
 * How strongly the shares answered the weights since the reference was taken:
 * the slope of log(share) over log(weight) across the active containers, both
 * taken about their mean (what all shares share, the sum being 1, drops out).
 * With two containers it is the change of their share ratio over the change
 * of their weight ratio, as a power: 1 where weights work as promised, about
 * 3 for BFQ's random reads, near 0 where the scheduler ignores them (writes).
 * *moved is how far the weights moved (the variance of log(weight)).
 */
static double elasticity(unsigned int n, const struct share_input *in,
			 const struct share_state *st, double *moved)
{
	double mx = 0, my = 0, sxx = 0, sxy = 0, x, y;
	unsigned int i, k = 0, pass;

	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < n; i++) {
			if (!st[i].active || st[i].ref_share <= 0 || st[i].realized <= 0)
				continue;
			x = log((st[i].weight > 0 ? st[i].weight : in[i].weight) / st[i].ref_weight);
			y = log(st[i].realized / st[i].ref_share);
			if (!pass) {
				mx += x;
				my += y;
				k++;
			} else {
				sxx += (x - mx) * (x - mx);
				sxy += (x - mx) * (y - my);
			}
		}
		if (!pass && k < 2)
			break;
		if (!pass) {
			mx /= k;
			my /= k;
		}
	}
	*moved = sxx;
	return sxx > 0 ? sxy / sxx : 0;
}

/* The weights in force and the shares now, as the reference of the next moves. */
static void take_ref(unsigned int n, const struct share_input *in, struct share_state *st)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		st[i].ref_weight = st[i].weight > 0 ? st[i].weight : in[i].weight;
		st[i].ref_share = st[i].active ? st[i].realized : 0;
	}
}

/*
 * An active container doing mostly writes, one at a time: fewer than two
 * requests in flight on average (its summed whole request times over the
 * interval, by Little's law; not the device part, which BFQ keeps short).
 * BFQ's weights act on a queue that stays backlogged or that it idles for; a
 * writer at queue depth 1 is neither (measured: weights 2:1 split such writes
 * 1.02:1), while at queue depth 8 they split writes as promised (68.3:31.7
 * with control off).
 */
static bool writing(unsigned int n, const struct share_input *in,
		    const struct share_state *st, double dt)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (st[i].active && in[i].writes * 2 > in[i].ios &&
		    (double)in[i].latency_ns < 2 * dt * 1e9)
			return true;
	return false;
}

static bool busy_now(const struct share_params *p, const struct share_input *in)
{
	return in->ios >= p->min_ios && in->weight > 0;
}

void share_step(const struct share_params *p, double dt, unsigned int n,
		const struct share_input *in, struct share_state *st,
		struct share_dev *dev, struct share_out *out)
{
	double wsum = 0, ssum = 0, worst = 0, e, a;
	bool relaxing = false, changed = false;
	unsigned int i, held = 0;

	memset(out, 0, n * sizeof(*out));
	dev->active = 0;
	dev->capacity = 0;
	for (i = 0; i < n; i++) {
		bool busy = busy_now(p, &in[i]), hold = false;

		/*
		 * A busy container that went quiet for no longer than the grace
		 * is still competing (held back by the scheduler, or between
		 * bursts): it keeps its averages and the device holds still.
		 */
		if (busy) {
			st[i].quiet = 0;
		} else if (in[i].weight > 0 && st[i].svc_avg > 0 && st[i].quiet < p->grace) {
			st[i].quiet++;
			hold = true;
			held++;
		}
		changed |= st[i].active != (busy || hold);
		st[i].active = busy || hold;
	}
	for (i = 0; i < n; i++) {
		if (!st[i].active)
			continue;
		if (busy_now(p, &in[i])) {
			/*
			 * Averages start from the first busy interval, and again
			 * the interval after a container joined or left: the
			 * interval of the change is a partial one (measured: a
			 * newcomer's first part-second, carried in the average,
			 * read as 43% for a 33% promise and moved the weights
			 * the wrong way for four intervals).
			 */
			a = st[i].svc_avg > 0 && !changed && !dev->fresh && !dev->restart ?
			    p->smooth : 1;
			st[i].svc_avg += a * (service(p, &in[i]) - st[i].svc_avg);
			st[i].rate_avg += a * (rate(p, &in[i], dt) - st[i].rate_avg);
			st[i].size_avg += a * ((double)in[i].bytes / (double)in[i].ios -
					       st[i].size_avg);
		}
		dev->active++;
		wsum += in[i].weight;
		ssum += st[i].svc_avg;
		dev->capacity += st[i].rate_avg;
	}
	dev->restart = false;
	for (i = 0; i < n; i++) {
		st[i].promised = st[i].active ? in[i].weight / wsum : 0;
		st[i].realized = st[i].active && ssum > 0 ? st[i].svc_avg / ssum : 0;
		if (st[i].active && st[i].promised > 0) {
			e = fabs(st[i].realized / st[i].promised - 1);
			worst = e > worst ? e : worst;
		}
	}
	/*
	 * The set of competitors changed during this interval: its counts are
	 * partial, so nothing moves until a whole interval has been seen.
	 */
	dev->fresh = changed && dev->active >= 2 && !held;
	if (changed)
		dev->ref = false;	/* the shares are of another set now */
	if (dev->fresh)
		return;
	/*
	 * Someone went quiet: hold the weights until it is clear whether it
	 * is gone, but take the caps off now. If it is gone, a cap would keep
	 * the others from a free device; if it comes back, caps start again
	 * from what each one gets.
	 */
	if (held && dev->active >= 2) {
		for (i = 0; i < n; i++)
			if (st[i].cap > 0)
				put_cap(p, &st[i], &out[i], 0);
		return;
	}
	/* No contention: everything back to the configured settings. */
	if (dev->active < 2 || ssum <= 0) {
		for (i = 0; i < n; i++)
			release(&in[i], &st[i], &out[i]);
		dev->lever = SHARE_LEVER_NONE;
		dev->tries = 0;
		dev->flat = 0;
		dev->ref = false;
		return;
	}
	/*
	 * Weights are tried where they can act: BFQ, and no one writing one
	 * request at a time. Such writes go straight to caps (measured at
	 * queue depth 1 with a reader and a writer: the loop walked the weights
	 * from 128:64 to 380:16 at 52:48 throughout, and from caps at once it
	 * settled in 2 s). A writer that joins later moves the device to caps.
	 */
	if (dev->lever == SHARE_LEVER_NONE) {
		dev->lever = p->levers == SHARE_LEVERS_CAP ||
			     (p->levers == SHARE_LEVERS_AUTO &&
			      (!p->weights_act ||
			       (!p->weights_act_writes && writing(n, in, st, dt)))) ?
			     SHARE_LEVER_CAP : SHARE_LEVER_WEIGHT;
		dev->err0 = worst;
		dev->ref = false;
	} else if (dev->lever == SHARE_LEVER_WEIGHT && p->levers == SHARE_LEVERS_AUTO &&
		   !p->weights_act_writes && writing(n, in, st, dt)) {
		dev->lever = SHARE_LEVER_CAP;
	}
	/*
	 * Weights give way to caps only when they do not work: a weight that
	 * must move on is at its bound, or the weights have moved 2x from the
	 * configured ones and the error has not even halved since they started,
	 * outside the dead band, for weight_tries intervals in a row. A share
	 * that is merely noisy stays with the weights: where weights work, a
	 * cap only disturbs the scheduler (measured: capping a sequential reader
	 * under BFQ 3% below its rate cost it a quarter of its share).
	 *
	 * Sooner when the shares plainly do not answer: the weights' ratio
	 * moved 2x since the reference (for two containers; the spread of
	 * log(weight) as much for more) and the shares' ratio moved less than
	 * the min_elasticity power of that, two intervals in a row (measured: BFQ
	 * with a reader and a writer, weights walked from 128:64 to 380:16 in
	 * twelve intervals with the shares at 52:48 throughout; the noise of the
	 * writer's share kept resetting the count above).
	 */
	if (dev->lever == SHARE_LEVER_WEIGHT && p->levers == SHARE_LEVERS_AUTO) {
		double moved, el;

		if (!dev->ref) {
			take_ref(n, in, st);
			dev->ref = true;
			dev->flat = 0;
		}
		el = elasticity(n, in, st, &moved);
		if (worst > p->deadband && moved >= log(2) * log(2) / 2 && el < p->min_elasticity)
			dev->flat++;
		else
			dev->flat = 0;
		if (worst > p->deadband && (weights_pinned(p, n, in, st) ||
					    (weights_moved(n, in, st) >= 2 &&
					     worst > dev->err0 / 2)))
			dev->tries++;
		else
			dev->tries = 0;
		if (dev->tries > p->weight_tries || dev->flat >= 2)
			dev->lever = SHARE_LEVER_CAP;	/* weights did not get there */
	}
	/*
	 * Caps are taken back before new ones are set: while a capped container
	 * is short of its promise because its cap holds it (this interval's rate
	 * at the cap), loosening its cap is the step (tightening the others too
	 * would only cost throughput). One short of its promise well under its
	 * cap is held back by the others, not by its cap: they are tightened
	 * (measured: a BFQ reader capped at 8,500 reads/s doing 7,500 while an
	 * uncapped writer took 45% for a 33% promise; loosening the reader's cap
	 * alone changed nothing for ten intervals).
	 */
	for (i = 0; i < n; i++)
		relaxing |= st[i].active && st[i].cap > 0 &&
			    st[i].realized / st[i].promised - 1 < -p->deadband &&
			    rate(p, &in[i], dt) >= p->binding * st[i].cap;
	for (i = 0; i < n; i++) {
		if (!st[i].active)
			release(&in[i], &st[i], &out[i]);
		else if (dev->lever == SHARE_LEVER_WEIGHT)
			weight_step(p, &in[i], &st[i], &out[i]);
		else
			dev->restart |= cap_step(p, &in[i], &st[i], &out[i], st[i].rate_avg,
						 dev->capacity, relaxing);
	}
}
