// SPDX-License-Identifier: GPL-2.0
/* An effect run from start to clean-up. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "effect_priv.h"

void effect_opts_init(struct effect_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->dev_size = 1ull << 30;
	o->rw = BENCH_RANDREAD;
	o->bs = 4096;
	o->iodepth = 1;
	o->engine = BENCH_PSYNC;
	o->runtime_ms = 20000;
	o->warmup_ms = 2000;
	o->tolerance = 0.15;
	o->probes = true;
	o->scheduler = NULL;	/* the kernel's best: BFQ where it has it */
	o->measure = SHARE_IOPS;
	/*
	 * BFQ's low_latency raises the weight of queues it judges interactive,
	 * which is not what a proportional-share test should see.
	 */
	o->sched.low_latency = 0;
	o->sched.slice_idle = -1;
	o->sched.strict_guarantees = -1;
}

enum bench_rw effect_rw(const struct effect_opts *o, unsigned int i)
{
	return o->nrw_of ? o->rw_of[i < o->nrw_of ? i : o->nrw_of - 1] : o->rw;
}

static void say(const struct effect_opts *o, const char *msg)
{
	if (o->log)
		o->log(o->log_arg, msg);
}

static bool stopped(const struct effect_opts *o)
{
	return o->stop && *o->stop;
}

static int check_opts(const struct effect_opts *o, char *why, size_t len)
{
	unsigned int i;

	if (o->ncts < 2 || o->ncts > EFFECT_MAX_CTS) {
		snprintf(why, len, "give 2 to %d priorities", EFFECT_MAX_CTS);
		return -EINVAL;
	}
	for (i = 0; i < o->ncts; i++)
		if (o->prio[i] < 0 || o->prio[i] > 7) {
			snprintf(why, len, "IOPRIO %d is not in 0..7", o->prio[i]);
			return -EINVAL;
		}
	if (o->nrw_of && o->nrw_of != o->ncts) {
		snprintf(why, len, "give one workload for all or one per container (%u)", o->ncts);
		return -EINVAL;
	}
	if (o->lone_ms % 1000) {
		snprintf(why, len, "the lone phases last whole seconds");
		return -EINVAL;
	}
	if (o->measure == SHARE_TIME && !o->probes) {
		snprintf(why, len, "device time is measured by the eBPF probes (drop --no-probes)");
		return -EINVAL;
	}
	if (o->runtime_ms <= o->warmup_ms ||
	    (o->runtime_ms + 2 * o->lone_ms) / 1000 > EFFECT_MAX_SECONDS) {
		snprintf(why, len, "the run time must exceed the warm-up and be at most %d s",
			 EFFECT_MAX_SECONDS);
		return -EINVAL;
	}
	if (o->has_change && (o->change_ct >= o->ncts ||
			      o->change_ms + o->warmup_ms >= o->runtime_ms)) {
		snprintf(why, len, "the live change must come before the end of the run");
		return -EINVAL;
	}
	return 0;
}

static void report_init(const struct effect_opts *o, struct effect_report *r)
{
	unsigned int i;
	size_t at = 0;

	memset(r, 0, sizeof(*r));
	r->ncts = o->ncts;
	r->bs = o->bs;
	r->iodepth = o->iodepth;
	r->runtime_ms = o->runtime_ms;
	r->warmup_ms = o->warmup_ms;
	r->tolerance = o->tolerance;

	for (i = 0; i < o->ncts; i++) {
		snprintf(r->ct[i].rw, sizeof(r->ct[i].rw), "%s", bench_rw_name(effect_rw(o, i)));
		if (!i || o->nrw_of)
			at += (size_t)snprintf(r->rw + at, sizeof(r->rw) - at, "%s%s", i ? "," : "",
					       r->ct[i].rw);
		if (at >= sizeof(r->rw))
			break;
	}
	snprintf(r->measure, sizeof(r->measure), "%s", share_measure_name(o->measure));
	r->lone_ms = o->lone_ms;
	snprintf(r->disk, sizeof(r->disk), "%s", o->disk == EFFECT_DISK_QCOW2 ? "qcow2" : "raw");
	snprintf(r->control_mode, sizeof(r->control_mode), "%s",
		 o->control == EFFECT_CONTROL_ON ? "on" :
		 o->control == EFFECT_CONTROL_OFF ? "off" : "auto");
	if (!o->probes)
		snprintf(r->probe_note, sizeof(r->probe_note), "probes not asked for");
}

int effect_run(const struct effect_opts *o, struct effect_report *r, char *why,
	       size_t len)
{
	struct effect_target targets[EFFECT_MAX_CTS];
	struct effect_probes *probes = NULL;
	struct effect_work *work = NULL;
	struct effect_env env;
	struct effect_dev dev;
	int err;

	*why = '\0';
	err = check_opts(o, why, len);
	if (err)
		return err;
	report_init(o, r);
	effect_env_init(&env);
	effect_dev_init(&dev);
	memset(targets, 0, sizeof(targets));

	err = effect_env_make(&env, o, why, len);
	if (err)
		goto out;
	say(o, o->device ? "using the device given" : "making a loop device (direct I/O)");
	err = o->device ? effect_dev_use(&dev, o->device) :
			  effect_dev_make(&dev, env.dir, o->dev_size);
	if (err) {
		snprintf(why, len, "test device: %s", strerror(-err));
		goto out;
	}
	snprintf(r->device, sizeof(r->device), "%s", dev.path);
	err = effect_dev_sched(&dev, o->scheduler, &o->sched, &r->sched_used, r->sched,
			       sizeof(r->sched));
	if (err) {
		snprintf(why, len, "cannot set %s on %s: %s", o->scheduler, dev.path,
			 strerror(-err));
		goto out;
	}
	err = effect_env_config(&env, o, &dev, why, len);
	if (!err)
		err = effect_env_lever(&env, &dev, r, why, len);
	if (err)
		goto out;
	err = stopped(o) ? -EINTR : effect_env_disks(&env, &dev, o, targets, why, len);
	if (err)
		goto out;
	say(o, "starting blkpriod on the containers' config folder");
	err = stopped(o) ? -EINTR : effect_env_containers(&env, o, r, why, len);
	if (err)
		goto out;
	if (o->probes)
		effect_probes_start(&probes, &env, &dev, r);
	/*
	 * The host's own writeback competes for the disk under the loop
	 * device: let it finish first, so the run measures the containers.
	 */
	sync();
	say(o, "running the workloads");
	err = stopped(o) ? -EINTR : effect_work_start(&work, &env, o, r, targets);
	if (err) {
		snprintf(why, len, "cannot start the workloads: %s", strerror(-err));
		goto out;
	}
	if (o->started)
		o->started(o->started_arg, o, env.conf_dir, env.run_dir, env.config);
	effect_work_wait(work, o, &env, r, probes);
	if (stopped(o)) {
		err = -EINTR;
		goto out;
	}
	err = effect_work_collect(work, o, r, why, len);
	if (err)
		goto out;
	effect_probes_finish(probes, r, o->measure == SHARE_TIME);
	probes = NULL;
	if (o->measure == SHARE_TIME && !r->probes) {
		snprintf(why, len, "device time needs the eBPF probes: %s", r->probe_note);
		err = -ENOTSUP;
		goto out;
	}
	effect_analyze(o, r);
out:
	if (err == -EINTR && !*why)
		snprintf(why, len, "interrupted");
	if (probes)
		effect_probes_finish(probes, r, false);
	effect_work_free(work);
	effect_env_release(&env, r);
	effect_dev_release(&dev);
	return err;
}
