// SPDX-License-Identifier: GPL-2.0
/*
 * Shares against weights. A phase is a window of the run with one set of
 * IOPRIOs (a live change starts a second phase after a settling time).
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include <blkprio/prio.h>

#include "effect_priv.h"

/*
 * Settling: from which second on the shares, averaged over 3 s, stay within
 * the tolerance until the end of the phase. Counted from the phase's start.
 */
static double settle_time(const struct effect_phase *ph, const struct effect_report *r,
			  uint64_t start_ms, double tol)
{
	unsigned int s, i, k, first = (unsigned int)(start_ms / 1000);
	unsigned int last = (unsigned int)(ph->to_ms / 1000), settled = UINT32_MAX;
	double ios[EFFECT_MAX_CTS], total;
	bool ok;

	for (s = first + 3; s <= last; s++) {
		for (i = 0, total = 0; i < r->ncts; i++) {
			ios[i] = 0;
			for (k = s - 3; k < s; k++)
				ios[i] += k < r->ct[i].nsec ? r->ct[i].svc[k] : 0;
			total += ios[i];
		}
		for (i = 0, ok = total > 0; i < r->ncts && ok; i++)
			ok = fabs(ios[i] / total / ph->expected[i] - 1) <= tol;
		if (!ok)
			settled = UINT32_MAX;
		else if (settled == UINT32_MAX)
			settled = s - 3;
	}
	return settled == UINT32_MAX ? -1 : (double)(settled - first);
}

static void phase_measure(struct effect_phase *ph, const struct effect_report *r,
			  const struct prio_map *map, double tol)
{
	double total = 0, wsum = 0, ios[EFFECT_MAX_CTS] = { 0 }, svc[EFFECT_MAX_CTS] = { 0 };
	unsigned int i, s;

	for (i = 0; i < r->ncts; i++) {
		ph->weight[i] = prio_weight(map, PRIO_FILE_BFQ, ph->prio[i]);
		wsum += ph->weight[i];
		/* Second s covers (s * 1000, (s + 1) * 1000] ms. */
		for (s = 0; s < r->ct[i].nsec; s++)
			if (s * 1000 >= ph->from_ms && (s + 1) * 1000 <= ph->to_ms) {
				ios[i] += r->ct[i].ios[s];
				svc[i] += r->ct[i].svc[s];
			}
		total += svc[i];
	}
	ph->pass = total > 0;
	for (i = 0; i < r->ncts; i++) {
		ph->expected[i] = ph->weight[i] / wsum;
		ph->measured[i] = total > 0 ? svc[i] / total : 0;
		ph->error[i] = (ph->measured[i] - ph->expected[i]) / ph->expected[i];
		ph->iops[i] = ios[i] * 1000.0 / (double)(ph->to_ms - ph->from_ms);
		if (fabs(ph->error[i]) > tol)
			ph->pass = false;
	}
}

/* Mean operations per second of container i over seconds [from, to). */
static double mean_iops(const struct effect_ct *c, unsigned int from, unsigned int to)
{
	double sum = 0;
	unsigned int s;

	for (s = from; s < to && s < c->nsec; s++)
		sum += c->ios[s];
	return to > from ? sum / (to - from) : 0;
}

/*
 * The lone container alone on the idle device (before the others start) and
 * after they stopped, each without its first seconds (start-up; the
 * controller releases its levers two intervals after contention ends, and
 * that release is what the second one tests).
 */
static void lone_measure(const struct effect_opts *o, struct effect_report *r)
{
	const struct effect_ct *c = &r->ct[r->ncts - 1];
	unsigned int l = (unsigned int)(o->lone_ms / 1000), skip = l >= 5 ? 3 : l / 2;
	unsigned int end = (unsigned int)((o->lone_ms + o->runtime_ms) / 1000);

	r->lone_idle_iops = mean_iops(c, skip, l);
	r->lone_after_iops = mean_iops(c, end + skip, end + l);
	r->lone_pass = r->lone_idle_iops > 0 &&
		       r->lone_after_iops >= EFFECT_LONE_MIN * r->lone_idle_iops;
}

void effect_analyze(const struct effect_opts *o, struct effect_report *r)
{
	struct effect_phase *ph;
	struct prio_map map;
	const char *why;
	unsigned int i;

	if (prio_map_parse(o->weight_map ? o->weight_map : "openvz", &map, &why))
		prio_map_default(&map);
	prio_map_format(&map, r->map, sizeof(r->map));
	r->nphases = o->has_change ? 2 : 1;
	for (i = 0; i < r->nphases; i++) {
		ph = &r->phase[i];
		memcpy(ph->prio, o->prio, sizeof(ph->prio));
		ph->from_ms = o->lone_ms + o->warmup_ms;
		ph->to_ms = o->lone_ms + o->runtime_ms;
		if (o->has_change && i == 0) {
			ph->to_ms = o->lone_ms + o->change_ms;
		} else if (o->has_change) {
			ph->from_ms = o->lone_ms + o->change_ms + o->warmup_ms;
			ph->prio[o->change_ct] = o->change_prio;
		}
		phase_measure(ph, r, &map, o->tolerance);
		ph->settle_s = settle_time(ph, r, o->lone_ms + (i ? o->change_ms : 0),
					   o->tolerance);
	}
	r->pass = true;
	for (i = 0; i < r->nphases; i++)
		r->pass &= r->phase[i].pass;
	if (o->lone_ms) {
		lone_measure(o, r);
		r->pass &= r->lone_pass;
	}
}
