// SPDX-License-Identifier: GPL-2.0
/* One container's effective settings into its cgroup. */
#include <errno.h>
#include <string.h>

#include "cgroup_priv.h"

int cg_ct_apply(const struct cg_ctx *cx, const char *ctid, const struct ct_settings *s,
		struct cg_apply_result *r)
{
	const struct cg_config *cfg = cx->cfg;
	const struct cg_layout *l = &cx->layout;
	int ioprio = (int)s->v[CT_IOPRIO].val;
	int err;

	r->tasks = -1;
	r->written.bfq = r->written.io = r->written.blkio = -1;
	if (l->ver == CG_NONE)
		return -ENODEV;
	err = cg_ct_find(l, &cfg->templates, ctid, r->rel, sizeof(r->rel));
	if (err < 0)
		return err;
	err = cg_io_enable(l, r->rel);
	if (err)
		return err;
	/* limits first: they are the writes a bad device makes fail */
	if (cfg->nthrottle) {
		err = cg_limits_set(l, r->rel, cfg->throttle, cfg->nthrottle,
				    (uint64_t)s->v[CT_IOLIMIT].val,
				    (uint64_t)s->v[CT_IOPSLIMIT].val);
		if (err)
			return err;
	}
	/*
	 * A cgroup without weight files is not an error: the device's lever is
	 * then caps or none, which the daemon says per device (cg_dev_lever).
	 */
	err = cg_weight_set(l, r->rel, &cfg->map, ioprio, &r->written);
	if (err && err != -ENODEV)
		return err;
	if (cfg->task_ioprio) {
		err = cg_task_ioprio_set(l, r->rel, ioprio);
		if (err < 0)
			return err;
		r->tasks = err;
	}
	return 0;
}
