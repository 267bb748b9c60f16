// SPDX-License-Identifier: GPL-2.0
/*
 * Levers: the one place that names them and chooses one per device from
 * what the kernel offers (cg_dev_check's facts) and the daemon's settings.
 * Best first: BFQ weights, io.cost weights, closed-loop throttle caps (share
 * control; needs only the throttle files and the latency probes), none.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cgroup_priv.h"

static const char *const lever_names[CG_NLEVERS] = {
	[CG_LEVER_NONE] = "none", [CG_LEVER_BFQ] = "bfq",
	[CG_LEVER_IOCOST] = "iocost", [CG_LEVER_CAPS] = "caps",
};

const char *cg_lever_name(enum cg_lever l)
{
	return (unsigned int)l < CG_NLEVERS ? lever_names[l] : "none";
}

int cg_lever_parse(const char *s, enum cg_lever *l)
{
	unsigned int i;

	for (i = 0; i < CG_NLEVERS; i++)
		if (!strcmp(s, lever_names[i])) {
			*l = (enum cg_lever)i;
			return 0;
		}
	return -EINVAL;
}

bool cg_lever_is_weight(enum cg_lever l)
{
	return l == CG_LEVER_BFQ || l == CG_LEVER_IOCOST;
}

const char *cg_levers_join(unsigned int set, char *buf, size_t len)
{
	static const enum cg_lever order[] = {
		CG_LEVER_BFQ, CG_LEVER_IOCOST, CG_LEVER_CAPS, CG_LEVER_NONE,
	};
	size_t at = 0, i;

	snprintf(buf, len, "-");
	for (i = 0; i < sizeof(order) / sizeof(order[0]) && at < len; i++)
		if (set & (1u << order[i]))
			at += (size_t)snprintf(buf + at, len - at, "%s%s", at ? "," : "",
					       lever_names[order[i]]);
	return buf;
}

/* What would give the device weights, where something would. */
static void weight_fix(const struct cg_devcheck *c, struct cg_lever_choice *o)
{
	if (c->bfq_avail && c->bfq_groups)
		snprintf(o->fix, sizeof(o->fix), "'blkprio check --fix %s' sets bfq: weights "
			 "without the throughput cost of caps", c->name);
	else if (c->bfq_module)
		snprintf(o->fix, sizeof(o->fix), "modprobe bfq, then 'blkprio check --fix %s': "
			 "weights without the throughput cost of caps", c->name);
	else if (c->ver == CG_V2)
		snprintf(o->fix, sizeof(o->fix), "'blkprio calibrate %s --apply' measures the "
			 "device and enables io.cost (weights in io.weight) with its model",
			 c->name);
}

/* Why the throttle caps cannot run on a device without weights; NULL if they can. */
static const char *no_caps(const struct cg_devcheck *c, const struct cg_config *cfg,
			   bool probes)
{
	if (cfg->share == CG_SHARE_NO)
		return "share control is off (SHARE_CONTROL=no)";
	if (!cg_config_share_device(cfg, c->name))
		return "the device is not in SHARE_DEVICES";
	if (!c->sched[0])
		return "bio-based device: the latency probes see no requests on it";
	if (!cfg->latency)
		return "caps need the latency probes (LATENCY=no)";
	if (!probes)
		return c->btf ? "caps need the latency probes, which did not load" :
				"caps need the latency probes: the kernel has no BTF";
	if (!c->throttle)
		return "no throttle files (CONFIG_BLK_DEV_THROTTLING not set)";
	return NULL;
}

void cg_dev_lever(const struct cg_devcheck *c, const struct cg_config *cfg, bool probes,
		  struct cg_lever_choice *o)
{
	const char *sched = c->sched[0] ? c->sched : "no scheduler", *why;
	bool bfq = !strcmp(c->sched, "bfq");

	memset(o, 0, sizeof(*o));
	if (c->ver == CG_NONE) {
		snprintf(o->why, sizeof(o->why), "no blkio (v1) or io (v2) cgroup controller");
		snprintf(o->fix, sizeof(o->fix), "mount the blkio or io cgroup controller");
		return;
	}
	if (c->weights_work) {
		o->lever = bfq && c->bfq_groups ? CG_LEVER_BFQ : CG_LEVER_IOCOST;
		o->kept = true;
		o->share = cfg->share == CG_SHARE_YES && cg_config_share_device(cfg, c->name) &&
			   cfg->latency && probes;
		snprintf(o->why, sizeof(o->why), "%s weights%s",
			 o->lever == CG_LEVER_BFQ ? "BFQ" : "io.cost",
			 o->share ? ", corrected by share control" : "");
		if (o->lever == CG_LEVER_BFQ && c->low_latency == 1)
			snprintf(o->fix, sizeof(o->fix), "BFQ low_latency=1 favours interactive I/O "
				 "over weights: echo 0 > /sys/block/%s/queue/iosched/low_latency",
				 c->name);
		else if (o->lever == CG_LEVER_BFQ && !o->share)
			snprintf(o->fix, sizeof(o->fix), "weights alone miss for some workloads "
				 "(random reads, one-at-a-time writes): SHARE_CONTROL=yes closes "
				 "the loop");
		return;
	}
	why = no_caps(c, cfg, probes);
	weight_fix(c, o);
	if (!why) {
		o->lever = CG_LEVER_CAPS;
		o->share = o->kept = true;
		snprintf(o->why, sizeof(o->why), "no weights here (%s%s): shares kept by "
			 "blkpriod with throttle caps, at a throughput cost", sched,
			 bfq ? " without cgroup support" : "");
		return;
	}
	snprintf(o->why, sizeof(o->why), "no weights here (%s%s), and %s", sched,
		 bfq ? " without cgroup support" : "", why);
	if (!o->fix[0] && cfg->share == CG_SHARE_NO)
		snprintf(o->fix, sizeof(o->fix), "SHARE_CONTROL=auto in blkpriod.conf");
}
