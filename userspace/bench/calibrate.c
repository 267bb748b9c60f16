// SPDX-License-Identifier: GPL-2.0
/*
 * A device's io.cost model from measurements, the way the kernel's own
 * coefficient tool derives it: scheduler none and merges off for the time
 * of the runs (both put back after), direct I/O, one run per parameter:
 * sequential 1 MiB at depth 8 for the bandwidths, 4 KiB sequential and
 * random at depth 64 for the IOPS. Reads only unless writes are asked for
 * (they overwrite the device); the write parameters are then the read
 * ones, which io.cost takes as "writes cost what reads cost".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <blkprio/bench.h>
#include <blkprio/cgroup.h>

static const struct {
	enum bench_rw rw;
	uint32_t bs;
	unsigned int depth;
} phases[CG_IOCOST_NPARAMS] = {
	[CG_IOCOST_RBPS] = { BENCH_READ, 1 << 20, 8 },
	[CG_IOCOST_RSEQIOPS] = { BENCH_READ, 4096, 64 },
	[CG_IOCOST_RRANDIOPS] = { BENCH_RANDREAD, 4096, 64 },
	[CG_IOCOST_WBPS] = { BENCH_WRITE, 1 << 20, 8 },
	[CG_IOCOST_WSEQIOPS] = { BENCH_WRITE, 4096, 64 },
	[CG_IOCOST_WRANDIOPS] = { BENCH_RANDWRITE, 4096, 64 },
};

static int run_phase(const struct bench_calib_opts *o, unsigned int i,
		     struct bench_calib_phase *ph)
{
	struct bench_run_opts ro = { .sample_ms = 1000, .stop = o->stop };
	struct bench_result *r = NULL;
	struct bench_job job;
	unsigned int n = 0;
	enum bench_dir d;
	int err;

	bench_job_init(&job);
	snprintf(job.name, sizeof(job.name), "%s", cg_iocost_param_name(i));
	snprintf(job.filename, sizeof(job.filename), "%s", o->path);
	job.rw = phases[i].rw;
	job.bs = phases[i].bs;
	job.iodepth = phases[i].depth;
	job.engine = BENCH_IO_URING;
	job.direct = true;
	job.time_based = true;
	job.runtime_ns = o->seconds_ms * 1000000ULL;
	err = bench_run(&job, 1, &ro, &r, &n);
	if (err)
		return err;
	err = n ? r[0].error : -EIO;
	if (!err) {
		d = i < CG_IOCOST_WBPS ? BENCH_DIR_READ : BENCH_DIR_WRITE;
		ph->rw = job.rw;
		ph->bs = job.bs;
		ph->depth = job.iodepth;
		ph->measured = true;
		ph->seconds = r[0].elapsed_ns / 1e9;
		if (ph->seconds > 0) {
			ph->iops = r[0].dir[d].ios / ph->seconds;
			ph->bps = r[0].dir[d].bytes / ph->seconds;
		}
		if (!r[0].dir[d].ios)
			err = -EIO;
	}
	bench_results_free(r, n);
	return err;
}

/* The parameter from a measured phase: bytes/s for r/wbps, else IOPS. */
static uint64_t param_of(unsigned int i, const struct bench_calib_phase *ph)
{
	double v = i == CG_IOCOST_RBPS || i == CG_IOCOST_WBPS ? ph->bps : ph->iops;

	return v < 1 ? 1 : (uint64_t)(v + 0.5);
}

static int measure(const struct bench_calib_opts *o, struct bench_calib *c)
{
	unsigned int i, n = o->writes ? CG_IOCOST_NPARAMS : CG_IOCOST_WBPS;
	int err;

	for (i = 0; i < n; i++) {
		if (o->stop && *o->stop)
			return -EINTR;
		err = run_phase(o, i, &c->phase[i]);
		if (err) {
			c->failed = i;
			return err;
		}
		c->model.v[i] = param_of(i, &c->phase[i]);
	}
	for (; i < CG_IOCOST_NPARAMS; i++)
		c->model.v[i] = c->model.v[i - CG_IOCOST_WBPS];
	return 0;
}

int bench_calibrate(const struct bench_calib_opts *o, struct bench_calib *c)
{
	char was_sched[32], was_merges[32], tmp[32];
	int err, err2;

	memset(c, 0, sizeof(*c));
	c->failed = -1;
	err = cg_dev_queue_set(o->dev, "scheduler", "none", was_sched, sizeof(was_sched));
	if (err)
		return err;
	snprintf(c->sched, sizeof(c->sched), "%s", was_sched);
	err = cg_dev_queue_set(o->dev, "nomerges", "1", was_merges, sizeof(was_merges));
	if (err)
		goto sched_back;
	err = measure(o, c);
	err2 = cg_dev_queue_set(o->dev, "nomerges", was_merges, tmp, sizeof(tmp));
	if (!err)
		err = err2;
sched_back:
	err2 = cg_dev_queue_set(o->dev, "scheduler", was_sched, tmp, sizeof(tmp));
	if (!err)
		err = err2;
	return err;
}
