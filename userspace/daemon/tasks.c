// SPDX-License-Identifier: GPL-2.0
/*
 * APPLY_TASK_IOPRIO=yes: tasks forked inside a container inherit the ioprio
 * set at apply time, but tasks moved in from outside (lxc-attach, vzctl
 * enter) do not. A timer re-applies the task ioprio of every running managed
 * container every DM_TASKS_PERIOD_NS.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <blkprio/log.h>

#include "daemon.h"

#define DM_TASKS_PERIOD_NS	(2 * 1000000000ull)

static int timer_fd = -1;

static void tasks_tick(struct daemon *d, int fd, uint32_t events, void *ctx)
{
	char rel[PATH_MAX];
	struct ct_state *c;
	uint64_t ticks;
	size_t i;
	int err;

	if (read(fd, &ticks, sizeof(ticks)) != sizeof(ticks))
		return;
	ctable_for_each(&d->cts, i, c) {
		if (!c->managed || !c->have_applied)
			continue;
		if (cg_ct_find(&d->cx.layout, &d->cfg.templates, c->ctid, rel, sizeof(rel)) < 0)
			continue;
		err = cg_task_ioprio_set(&d->cx.layout, rel, (int)c->applied.v[CT_IOPRIO].val);
		if (err < 0 && err != -ENOENT)
			log_debug("CT %s: task ioprio: %s", c->ctid, strerror(-err));
	}
}

void dm_tasks_stop(struct daemon *d)
{
	if (timer_fd < 0)
		return;
	dm_del_fd(d, timer_fd);
	close(timer_fd);
	timer_fd = -1;
}

int dm_tasks_start(struct daemon *d)
{
	if (!d->cfg.task_ioprio || d->cx.layout.ver == CG_NONE || timer_fd >= 0)
		return 0;
	timer_fd = dm_add_timer(d, DM_TASKS_PERIOD_NS, tasks_tick, NULL);
	return timer_fd < 0 ? timer_fd : 0;
}

void dm_tasks_reload(struct daemon *d)
{
	int err;

	if (!d->cfg.task_ioprio) {
		dm_tasks_stop(d);
		return;
	}
	err = dm_tasks_start(d);
	if (err)
		log_err("task ioprio timer: %s", strerror(-err));
}
