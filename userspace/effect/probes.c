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
	uint32_t dev;
	uint64_t cgid[EFFECT_MAX_CTS];
	unsigned int n;
	/* Device time of each container up to the last second read. */
	double total[EFFECT_MAX_CTS];
	double svc[EFFECT_MAX_CTS][EFFECT_MAX_SECONDS];
	unsigned int nsec;
};

/* The test device and the containers' cgroup ids, as the probes key them. */
static int probe_keys(struct effect_probes *p, const struct effect_env *e,
		      const struct effect_dev *d, const struct effect_report *r)
{
	char path[PATH_MAX + 300];
	struct stat st;
	unsigned int i;

	if (stat(d->path, &st))
		return -errno;
	p->dev = (major(st.st_rdev) << 20) | minor(st.st_rdev);
	for (i = 0; i < r->ncts; i++) {
		/* Under v1 blkio the kernel's cgroup id is the directory's inode. */
		snprintf(path, sizeof(path), "%s/%s", e->layout.mount, r->ct[i].cgroup);
		if (stat(path, &st))
			return -errno;
		p->cgid[i] = st.st_ino;
	}
	p->n = r->ncts;
	return 0;
}

void effect_probes_start(struct effect_probes **pp, const struct effect_env *e,
			 const struct effect_dev *d, struct effect_report *r)
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
	if (probe_keys(p, e, d, r)) {
		snprintf(r->probe_note, sizeof(r->probe_note), "cannot find the containers' cgroups");
		lat_probe_close(p->p);
		lat_snap_free(&p->mark);
		free(p);
		return;
	}
	r->probes = true;
	*pp = p;
}

/*
 * Once a second: each container's device time on the test device (issue to
 * completion where the kernel split it, else the whole latency), as blkpriod's
 * share control counts it.
 */
void effect_probes_second(struct effect_probes *p)
{
	struct lat_snap cur;
	double now[EFFECT_MAX_CTS] = { 0 };
	unsigned int i;
	size_t j;

	if (!p || p->nsec >= EFFECT_MAX_SECONDS)
		return;
	lat_snap_init(&cur);
	if (lat_probe_read(p->p, &cur))
		goto out;
	for (j = 0; j < cur.n; j++) {
		const struct lat_entry *x = &cur.e[j];

		if (x->dev != p->dev || (x->op != LAT_READ && x->op != LAT_WRITE))
			continue;
		for (i = 0; i < p->n; i++)
			if (x->cgid == p->cgid[i])
				now[i] += x->d.split ? (double)x->d.device_ns * x->d.count / x->d.split :
						      (double)x->d.sum_ns;
	}
	for (i = 0; i < p->n; i++) {
		p->svc[i][p->nsec] = now[i] - p->total[i];
		p->total[i] = now[i];
	}
	p->nsec++;
out:
	lat_snap_free(&cur);
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

void effect_probes_finish(struct effect_probes *p, struct effect_report *r, bool time)
{
	struct lat_snap cur, delta;
	unsigned int i, op, k;

	if (!p)
		return;
	lat_snap_init(&cur);
	lat_snap_init(&delta);
	if (lat_probe_read(p->p, &cur) || lat_snap_delta(&delta, &cur, &p->mark)) {
		snprintf(r->probe_note, sizeof(r->probe_note), "cannot read the probes' maps");
		r->probes = false;
		goto out;
	}
	for (i = 0; i < r->ncts; i++) {
		op = !strcmp(r->ct[i].rw, "write") || !strcmp(r->ct[i].rw, "randwrite") ?
		     LAT_WRITE : LAT_READ;
		figures(&delta, p->cgid[i], p->dev, op, &r->ct[i]);
		for (k = 0; time && k < p->nsec; k++)
			r->ct[i].svc[k] = p->svc[i][k];
	}
out:
	lat_snap_free(&cur);
	lat_snap_free(&delta);
	lat_snap_free(&p->mark);
	lat_probe_close(p->p);
	free(p);
}
