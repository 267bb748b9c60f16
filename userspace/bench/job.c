// SPDX-License-Identifier: GPL-2.0
/* Bench jobs: defaults, options by fio's names, consistency checks. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <blkprio/bench.h>
#include <blkprio/parse.h>

static const char *const rw_names[] = {
	[BENCH_READ] = "read", [BENCH_WRITE] = "write",
	[BENCH_RANDREAD] = "randread", [BENCH_RANDWRITE] = "randwrite",
	[BENCH_RANDRW] = "randrw", [BENCH_RW] = "rw",
};

const char *bench_rw_name(enum bench_rw rw)
{
	return rw_names[rw];
}

const char *bench_engine_name(enum bench_engine e)
{
	return e == BENCH_IO_URING ? "io_uring" : "psync";
}

void bench_job_init(struct bench_job *job)
{
	memset(job, 0, sizeof(*job));
	snprintf(job->name, sizeof(job->name), "job");
	job->rw = BENCH_READ;
	job->rwmixread = 50;
	job->bs = 4096;
	job->iodepth = 1;
	job->engine = BENCH_PSYNC;
	job->numjobs = 1;
	job->seed = 0x626c6b7072696fULL;
	job->ioprio = -1;
}

static int set_size(const char *v, uint64_t *out, uint64_t max)
{
	uint64_t x;
	int err = parse_size(v, 0, &x);

	if (err)
		return -EINVAL;
	if (x > max)
		return -EINVAL;
	*out = x;
	return 0;
}

static int set_uint(const char *v, long long min, long long max, unsigned int *out)
{
	long long x;

	if (parse_int_range(v, min, max, &x))
		return -EINVAL;
	*out = (unsigned int)x;
	return 0;
}

static int set_flag(const char *v, bool *out)
{
	long long x;

	if (!v || !*v) {	/* bare "direct" in a job file */
		*out = true;
		return 0;
	}
	if (!parse_int_range(v, 0, 1, &x)) {
		*out = x;
		return 0;
	}
	return parse_bool(v, out) ? -EINVAL : 0;
}

static int set_rw(struct bench_job *job, const char *v)
{
	static const struct { const char *name; enum bench_rw rw; } alias[] = {
		{ "readwrite", BENCH_RW }, { "randreadwrite", BENCH_RANDRW },
	};
	size_t i;

	for (i = 0; i < sizeof(rw_names) / sizeof(rw_names[0]); i++)
		if (!strcmp(v, rw_names[i])) {
			job->rw = i;
			return 0;
		}
	for (i = 0; i < sizeof(alias) / sizeof(alias[0]); i++)
		if (!strcmp(v, alias[i].name)) {
			job->rw = alias[i].rw;
			return 0;
		}
	return -EINVAL;
}

static int set_engine(struct bench_job *job, const char *v)
{
	if (!strcmp(v, "psync") || !strcmp(v, "sync") || !strcmp(v, "pvsync"))
		job->engine = BENCH_PSYNC;
	else if (!strcmp(v, "io_uring"))
		job->engine = BENCH_IO_URING;
	else
		return -EINVAL;
	return 0;
}

static int set_runtime(struct bench_job *job, const char *v)
{
	uint64_t ns;

	if (parse_duration_ns(v, &ns) || !ns)
		return -EINVAL;
	job->runtime_ns = ns;
	return 0;
}

static int set_prio(struct bench_job *job, const char *v, bool class)
{
	unsigned int x, cls = job->ioprio < 0 ? 2 : (unsigned int)job->ioprio >> 13;
	unsigned int lvl = job->ioprio < 0 ? 4 : (unsigned int)job->ioprio & 7;

	if (set_uint(v, class ? 1 : 0, class ? 3 : 7, &x))
		return -EINVAL;
	if (class)
		cls = x;
	else
		lvl = x;
	job->ioprio = (int)(cls << 13 | lvl);
	return 0;
}

int bench_job_set(struct bench_job *job, const char *name, const char *v)
{
	uint64_t x;
	bool b;

	if (!v)
		v = "";
	if (!strcmp(name, "name")) {
		if (!*v || strlen(v) >= sizeof(job->name))
			return -EINVAL;
		snprintf(job->name, sizeof(job->name), "%s", v);
	} else if (!strcmp(name, "filename")) {
		if (!*v || strlen(v) >= sizeof(job->filename))
			return -EINVAL;
		snprintf(job->filename, sizeof(job->filename), "%s", v);
	} else if (!strcmp(name, "rw") || !strcmp(name, "readwrite")) {
		return set_rw(job, v);
	} else if (!strcmp(name, "rwmixread")) {
		return set_uint(v, 0, 100, &job->rwmixread);
	} else if (!strcmp(name, "rwmixwrite")) {
		if (set_uint(v, 0, 100, &job->rwmixread))
			return -EINVAL;
		job->rwmixread = 100 - job->rwmixread;
	} else if (!strcmp(name, "bs") || !strcmp(name, "blocksize")) {
		if (set_size(v, &x, 64 << 20) || !x)
			return -EINVAL;
		job->bs = (uint32_t)x;
	} else if (!strcmp(name, "size")) {
		return set_size(v, &job->size, UINT64_MAX);
	} else if (!strcmp(name, "offset")) {
		return set_size(v, &job->offset, UINT64_MAX);
	} else if (!strcmp(name, "io_size") || !strcmp(name, "io_limit")) {
		return set_size(v, &job->io_size, UINT64_MAX);
	} else if (!strcmp(name, "runtime")) {
		return set_runtime(job, v);
	} else if (!strcmp(name, "time_based")) {
		return set_flag(v, &job->time_based);
	} else if (!strcmp(name, "iodepth")) {
		return set_uint(v, 1, 4096, &job->iodepth);
	} else if (!strcmp(name, "ioengine")) {
		return set_engine(job, v);
	} else if (!strcmp(name, "direct")) {
		return set_flag(v, &job->direct);
	} else if (!strcmp(name, "buffered")) {
		if (set_flag(v, &b))
			return -EINVAL;
		job->direct = !b;
	} else if (!strcmp(name, "fsync")) {
		return set_uint(v, 0, 1 << 30, &job->fsync_every);
	} else if (!strcmp(name, "fdatasync")) {
		return set_uint(v, 0, 1 << 30, &job->fdatasync_every);
	} else if (!strcmp(name, "end_fsync")) {
		return set_flag(v, &job->end_fsync);
	} else if (!strcmp(name, "verify")) {
		/* fio names a checksum; any of them means "check what was written". */
		if (!strcmp(v, "0") || !strcmp(v, "none"))
			job->verify = false;
		else if (!*v || !strcmp(v, "1") || !strcmp(v, "pattern") ||
			 !strncmp(v, "crc", 3) || !strncmp(v, "md5", 3) || !strncmp(v, "sha", 3) ||
			 !strcmp(v, "xxhash") || !strcmp(v, "meta"))
			job->verify = true;
		else
			return -EINVAL;
	} else if (!strcmp(name, "randseed")) {
		return set_size(v, &job->seed, UINT64_MAX);
	} else if (!strcmp(name, "numjobs")) {
		return set_uint(v, 1, 256, &job->numjobs);
	} else if (!strcmp(name, "prio")) {
		return set_prio(job, v, false);
	} else if (!strcmp(name, "prioclass")) {
		return set_prio(job, v, true);
	} else if (!strcmp(name, "group_reporting") || !strcmp(name, "thread") ||
		   !strcmp(name, "norandommap") || !strcmp(name, "invalidate")) {
		return 0;	/* accepted for fio compatibility; no effect here */
	} else {
		return -ENOENT;
	}
	return 0;
}

int bench_job_check(const struct bench_job *job, const char **why)
{
	if (!job->filename[0]) {
		*why = "no target (filename)";
		return -EINVAL;
	}
	if (job->time_based && !job->runtime_ns) {
		*why = "time_based needs a runtime";
		return -EINVAL;
	}
	if (job->direct && (job->bs % 512 || job->offset % 512)) {
		*why = "direct I/O needs bs and offset in multiples of 512";
		return -EINVAL;
	}
	if (job->size && job->size < job->bs) {
		*why = "size is smaller than the block size";
		return -EINVAL;
	}
	if (job->engine == BENCH_IO_URING && bench_target_is_img(job->filename)) {
		*why = "io_uring needs a file or block device (img: targets use psync)";
		return -EINVAL;
	}
	if (bench_target_is_img(job->filename) && job->numjobs > 1 &&
	    job->rw != BENCH_READ && job->rw != BENCH_RANDREAD) {
		*why = "an img: target takes one writer (numjobs=1)";
		return -EINVAL;
	}
	*why = NULL;
	return 0;
}
