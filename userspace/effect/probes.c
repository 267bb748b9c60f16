// SPDX-License-Identifier: GPL-2.0
/*
 * Per-container latency as the kernel saw it: the eBPF probes' histograms for
 * each container's cgroup on the test device, over the measured window.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <blkprio/latency.h>

#include "effect_priv.h"

struct effect_probes {
	struct lat_probe *p;
	struct lat_snap mark;
	bool marked;
};

void effect_probes_start(struct effect_probes **pp, struct effect_report *r)
{
	struct lat_probe_opts po = { 0 };
	struct effect_probes *p;
	int err;

	*pp = NULL;
	p = calloc(1, sizeof(*p));
	if (!p) {
		snprintf(r->probe_note, sizeof(r->probe_note), "out of memory");
		return;
	}
	lat_snap_init(&p->mark);
	po.issue = LAT_ISSUE_AUTO;
	err = lat_probe_open(&po, &p->p, r->probe_note, sizeof(r->probe_note));
	if (err) {
		if (!r->probe_note[0])
			snprintf(r->probe_note, sizeof(r->probe_note), "probes: %s",
				 strerror(-err));
		lat_snap_free(&p->mark);
		free(p);
		return;
	}
	r->probes = true;
	*pp = p;
}

void effect_probes_mark(struct effect_probes *p)
{
	if (p && !lat_probe_read(p->p, &p->mark))
		p->marked = true;
}

/* Sum of a cgroup's entries for the device and the workload's direction. */
static void figures(const struct lat_snap *s, uint64_t cgid, uint32_t dev,
		    unsigned int op, struct effect_ct *ct)
{
	struct lat_data sum;
	size_t i;

	memset(&sum, 0, sizeof(sum));
	for (i = 0; i < s->n; i++)
		if (s->e[i].cgid == cgid && s->e[i].dev == dev && s->e[i].op == op)
			lat_data_add(&sum, &s->e[i].d);
	ct->probe_count = sum.count;
	ct->probe_p50_us = lat_percentile_us(&sum, 0.50);
	ct->probe_p99_us = lat_percentile_us(&sum, 0.99);
	if (sum.split) {
		ct->probe_queue_us = (double)sum.queue_ns / (double)sum.split / 1000.0;
		ct->probe_device_us = (double)sum.device_ns / (double)sum.split / 1000.0;
	}
}

void effect_probes_finish(struct effect_probes *p, const struct effect_env *e,
			  const struct effect_dev *d, struct effect_report *r)
{
	struct lat_snap cur, delta;
	char path[PATH_MAX + 300];
	struct stat st, dst;
	unsigned int i, op;
	uint32_t dev;

	if (!p)
		return;
	lat_snap_init(&cur);
	lat_snap_init(&delta);
	if (stat(d->path, &dst) || lat_probe_read(p->p, &cur) ||
	    lat_snap_delta(&delta, &cur, &p->mark)) {
		snprintf(r->probe_note, sizeof(r->probe_note), "cannot read the probes' maps");
		r->probes = false;
		goto out;
	}
	dev = (major(dst.st_rdev) << 20) | minor(dst.st_rdev);
	op = !strcmp(r->rw, "write") || !strcmp(r->rw, "randwrite") ? LAT_WRITE : LAT_READ;
	for (i = 0; i < r->ncts; i++) {
		/* Under v1 blkio the kernel's cgroup id is the directory's inode. */
		snprintf(path, sizeof(path), "%s/%s", e->layout.mount, r->ct[i].cgroup);
		if (!stat(path, &st))
			figures(&delta, st.st_ino, dev, op, &r->ct[i]);
	}
out:
	lat_snap_free(&cur);
	lat_snap_free(&delta);
	lat_snap_free(&p->mark);
	lat_probe_close(p->p);
	free(p);
}
