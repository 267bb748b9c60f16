// SPDX-License-Identifier: GPL-2.0
/* Bench jobs: defaults, options by fio's names, consistency checks. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <blkprio/bench.h>
#include <blkprio/parse.h>

#include "bench_priv.h"

/* Values an enum option takes, in fio's words; aliases are rows of their own. */
struct job_name {
	const char *name;
	int value;
};

static const struct job_name rw_values[] = {
	{ "read", BENCH_READ }, { "write", BENCH_WRITE }, { "randread", BENCH_RANDREAD },
	{ "randwrite", BENCH_RANDWRITE }, { "randrw", BENCH_RANDRW }, { "rw", BENCH_RW },
	{ "readwrite", BENCH_RW }, { "randreadwrite", BENCH_RANDRW }, { NULL },
};
static const struct job_name engine_values[] = {
	{ "psync", BENCH_PSYNC }, { "sync", BENCH_PSYNC }, { "pvsync", BENCH_PSYNC },
	{ "io_uring", BENCH_IO_URING }, { "libaio", BENCH_LIBAIO }, { NULL },
};
static const struct job_name exit_what_values[] = {
	{ "group", BENCH_EXIT_GROUP }, { "stonewall", BENCH_EXIT_STONEWALL },
	{ "all", BENCH_EXIT_ALL }, { NULL },
};
static const struct job_name rng_values[] = {
	{ "tausworthe", BENCH_RNG_TAUSWORTHE }, { "lfsr", BENCH_RNG_LFSR },
	{ "tausworthe64", BENCH_RNG_TAUSWORTHE64 }, { NULL, 0 },
};
static const struct job_name zonemode_values[] = {
	{ "none", BENCH_ZONE_NONE }, { "strided", BENCH_ZONE_STRIDED }, { NULL, 0 },
};
static const struct job_name rate_process_values[] = {
	{ "linear", BENCH_RATE_LINEAR }, { "poisson", BENCH_RATE_POISSON }, { NULL },
};

/* A value's name: the first row that has it (the canonical one). */
static const char *value_name(const struct job_name *t, int value)
{
	for (; t->name; t++)
		if (t->value == value)
			return t->name;
	return "?";
}

const char *bench_rw_name(enum bench_rw rw)
{
	return value_name(rw_values, rw);
}

const char *bench_engine_name(enum bench_engine e)
{
	return value_name(engine_values, e);
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
	job->do_verify = true;
	job->randrepeat = true;
	job->loops = 1;
	job->thinktime_blocks = 1;
	job->per_job_logs = true;
	job->ratecycle_ms = 1000;
	job->ss_kind = BENCH_SS_IOPS_SLOPE;	/* fio's default: iops_slope:0.01% */
	job->ss_pct = true;
	job->ss_limit = 0.01;
	job->lat_pct = 100.0;
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

static int set_runtime(struct bench_job *job, const char *v)
{
	uint64_t ns;

	if (parse_duration_ns(v, &ns) || !ns)
		return -EINVAL;
	job->runtime_ns = ns;
	return 0;
}

static int set_prio_class(struct bench_job *job, const char *v, bool class)
{
	unsigned int x, cls = job->ioprio < 0 ? 2 : (unsigned int)job->ioprio >> 13;
	unsigned int lvl = job->ioprio < 0 ? 0 : (unsigned int)job->ioprio & 7;

	if (set_uint(v, class ? 1 : 0, class ? 3 : 7, &x))
		return -EINVAL;
	if (class)
		cls = x;
	else
		lvl = x;
	job->ioprio = (int)(cls << 13 | lvl);
	return 0;
}

/*
 * A duration; a bare number is in unit_ns (fio: seconds for runtime,
 * startdelay and ramp_time, microseconds for thinktime).
 */
static int set_time(const char *v, uint64_t unit_ns, uint64_t *out)
{
	size_t n = strlen(v);
	double x;
	char *end;

	if (n && isdigit((unsigned char)v[n - 1])) {
		if (!isdigit((unsigned char)*v))
			return -EINVAL;
		errno = 0;
		x = strtod(v, &end);
		if (errno || *end || x * (double)unit_ns > 9e18)
			return -EINVAL;
		*out = (uint64_t)(x * (double)unit_ns + 0.5);
		return 0;
	}
	return parse_duration_ns(v, out) ? -EINVAL : 0;
}

/* max_latency=R[,W[,T]]: µs unless a unit says otherwise; one for both. */
static int set_max_latency(struct bench_job *job, const char *v)
{
	char buf[96], *p, *save = NULL;
	uint64_t x[3] = { 0, 0, 0 };
	unsigned int n = 0;

	if (strlen(v) >= sizeof(buf) || !*v)
		return -EINVAL;
	strcpy(buf, v);
	for (p = strtok_r(buf, ",", &save); p; p = strtok_r(NULL, ",", &save))
		if (n >= 3 || set_time(p, 1000, &x[n++]))
			return -EINVAL;
	job->max_lat_ns[BENCH_DIR_READ] = x[0];
	job->max_lat_ns[BENCH_DIR_WRITE] = n > 1 ? x[1] : x[0];
	return 0;
}

/* "R[,W]": one value for both directions, or each its own ("rate=,1m"). */
static int set_pair(const char *v, uint64_t out[BENCH_NDIR])
{
	char buf[64], *comma;
	uint64_t x[BENCH_NDIR] = { 0, 0 };

	if (strlen(v) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, v);
	comma = strchr(buf, ',');
	if (comma) {
		*comma++ = '\0';
		if (strchr(comma, ','))		/* a third, for trims: none here */
			*strchr(comma, ',') = '\0';
	}
	if (*buf && parse_size(buf, 0, &x[0]))
		return -EINVAL;
	if (!comma)
		x[1] = x[0];
	else if (*comma && parse_size(comma, 0, &x[1]))
		return -EINVAL;
	out[0] = x[0];
	out[1] = x[1];
	return 0;
}

/* fio's verify methods; the engine checks its own per-offset pattern for all. */
static int set_verify(struct bench_job *job, const char *v)
{
	static const char *const methods[] = {
		"md5", "crc64", "crc32", "crc32c-intel", "crc32c", "crc16", "crc7",
		"sha1", "sha256", "sha512", "sha3-224", "sha3-256", "sha3-384", "sha3-512",
		"xxhash", "meta", "pattern", "pattern_hdr", "1",
	};
	size_t i;

	if (!strcmp(v, "0") || !strcmp(v, "null")) {	/* null: pretend */
		job->verify = false;
		return 0;
	}
	if (!*v) {					/* bare --verify */
		job->verify = true;
		return 0;
	}
	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (!strcmp(v, methods[i])) {
			job->verify = true;
			return 0;
		}
	return -EINVAL;
}

static unsigned int hexval(char c)
{
	return isdigit((unsigned char)c) ? (unsigned int)(c - '0') :
					   (unsigned int)(tolower((unsigned char)c) - 'a' + 10);
}

/*
 * verify_pattern, buffer_pattern: 0x hex bytes, a decimal number (its low
 * bytes, as fio), or "text"; into pat (cap bytes), its length in *len.
 */
static int parse_pattern(const char *v, uint8_t *pat, size_t cap, unsigned int *len)
{
	size_t n = strlen(v), i;
	ptrdiff_t k;
	long long x;

	if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
		if (n - 2 == 0 || n - 2 > cap)
			return -EINVAL;
		memcpy(pat, v + 1, n - 2);
		*len = (unsigned int)(n - 2);
		return 0;
	}
	if (!strncasecmp(v, "0x", 2)) {
		v += 2;
		n -= 2;
		if (!n || (n + 1) / 2 > cap)
			return -EINVAL;
		for (i = 0; i < n; i++)
			if (!isxdigit((unsigned char)v[i]))
				return -EINVAL;
		/* an odd count reads as if it had a leading 0: "abc" is 0a bc */
		for (i = 0, k = n % 2 ? -1 : 0; i < (n + 1) / 2; i++, k += 2)
			pat[i] = (uint8_t)((k >= 0 ? hexval(v[k]) << 4 : 0) | hexval(v[k + 1]));
		*len = (unsigned int)((n + 1) / 2);
		return 0;
	}
	if (parse_int_range(v, 0, UINT32_MAX, &x))
		return -EINVAL;
	for (i = 0; i < 4; i++)
		pat[i] = (uint8_t)(x >> (8 * i));
	*len = x > 0xffffff ? 4 : x > 0xffff ? 3 : x > 0xff ? 2 : 1;
	return 0;
}

static int set_buffer_pattern(struct bench_job *job, const char *v)
{
	return parse_pattern(v, job->buffer_pattern, sizeof(job->buffer_pattern),
			     &job->buffer_pattern_len);
}

/* fio: a verify_pattern implies verify=pattern */
static int set_pattern(struct bench_job *job, const char *v)
{
	int err = parse_pattern(v, job->verify_pattern, sizeof(job->verify_pattern),
				&job->verify_pattern_len);

	if (!err)
		job->verify = true;
	return err;
}

/* How an option's value is read; its target is a field of struct bench_job. */
enum opt_kind {
	O_STR, O_UINT, O_SIZE, O_FLAG, O_NOTFLAG, O_SECONDS, O_USECS, O_PAIR,
	O_ENUM, O_FUNC, O_NOP,
};

struct job_opt {
	const char *name;
	enum opt_kind kind;
	bool bare;			/* the name alone is a value ("direct") */
	size_t off, len;		/* the field */
	long long min, max;		/* O_UINT's range; O_SIZE's maximum (0: none) */
	const struct job_name *values;	/* O_ENUM's */
	int (*set)(struct bench_job *job, const char *v);
};

#define F(field) .off = offsetof(struct bench_job, field), \
		 .len = sizeof(((struct bench_job *)0)->field)
#define ROW(n, k, field)	{ .name = n, .kind = k, F(field) }
#define STR(n, field)		ROW(n, O_STR, field)
#define UINT(n, field, lo, hi)	{ .name = n, .kind = O_UINT, F(field), .min = lo, .max = hi }
#define SIZE(n, field, hi)	{ .name = n, .kind = O_SIZE, F(field), .max = hi }
#define FLAG(n, field)		{ .name = n, .kind = O_FLAG, .bare = true, F(field) }
#define TIME(n, k, field)	ROW(n, k, field)
#define ENUM(n, field, vals)	{ .name = n, .kind = O_ENUM, F(field), .values = vals }
#define FUNC(n, fn)		{ .name = n, .kind = O_FUNC, .set = fn }
#define NOP(n)			{ .name = n, .kind = O_NOP, .bare = true }

static int set_prio(struct bench_job *job, const char *v) { return set_prio_class(job, v, false); }
static int set_class(struct bench_job *job, const char *v) { return set_prio_class(job, v, true); }

/*
 * rw=NAME[:MOD]: for a sequential job MOD is a size, the hole after every
 * I/O (negative: the job goes backwards); for a random one a count, a new
 * random offset every MOD I/Os.
 */
static int set_rw(struct bench_job *job, const char *v)
{
	const struct job_name *t;
	const char *mod = strchr(v, ':');
	size_t n = mod ? (size_t)(mod - v) : strlen(v);
	uint64_t x;
	long long c;

	for (t = rw_values; t->name; t++)
		if (strlen(t->name) == n && !strncmp(v, t->name, n))
			break;
	if (!t->name)
		return -EINVAL;
	if (!mod) {
		job->rw = t->value;
		job->seq_add = 0;
		job->rand_every = 0;
		return 0;
	}
	mod++;
	if (bench_rw_random(t->value)) {
		if (parse_int_range(mod, 1, 1 << 30, &c))
			return -EINVAL;
		job->rand_every = (unsigned int)c;
		job->seq_add = 0;
	} else {
		if (parse_size(mod + (*mod == '-'), 0, &x) || x > (1ull << 62))
			return -EINVAL;
		job->seq_add = *mod == '-' ? -(int64_t)x : (int64_t)x;
		job->rand_every = 0;
	}
	job->rw = t->value;
	return 0;
}

/*
 * io_submit_mode: fio's inline or offload (submission by helper threads);
 * checked, and every I/O is submitted from its job's thread either way.
 */
static int set_submit_mode(struct bench_job *job, const char *v)
{
	(void)job;
	return strcmp(v, "inline") && strcmp(v, "offload") ? -EINVAL : 0;
}

/*
 * filesize=SIZE or LOW-HIGH (also LOW:HIGH, LOW,HIGH; "LOW-" is LOW). At
 * least 1 byte, as fio; a range upside down is refused (fio's own draw then
 * wraps around to a size of terabytes).
 */
static int set_filesize(struct bench_job *job, const char *v)
{
	char buf[64], *sep;
	uint64_t lo, hi;

	if (strlen(v) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, v);
	sep = strpbrk(buf, "-:,");
	if (sep)
		*sep++ = '\0';
	if (set_size(buf, &lo, UINT64_MAX) || !lo)
		return -EINVAL;
	hi = lo;
	if (sep && *sep && (set_size(sep, &hi, UINT64_MAX) || hi < lo))
		return -EINVAL;
	job->filesize_lo = lo;
	job->filesize_hi = hi;
	return 0;
}

static int set_rwmixwrite(struct bench_job *job, const char *v)
{
	if (set_uint(v, 0, 100, &job->rwmixread))
		return -EINVAL;
	job->rwmixread = 100 - job->rwmixread;
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* percentile_list=P[:P...]: up to 20 percentages, reported in ascending order. */
static int set_percentiles(struct bench_job *job, const char *v)
{
	double p[BENCH_MAX_PCTS];
	unsigned int n = 0;
	const char *s = v;
	char *end;

	do {
		if (n == BENCH_MAX_PCTS)
			return -EINVAL;
		errno = 0;
		p[n] = strtod(s, &end);
		if (end == s || errno || !(p[n] >= 0 && p[n] <= 100) ||
		    (*end && *end != ':'))
			return -EINVAL;
		n++;
		s = end + 1;
	} while (*end);
	qsort(p, n, sizeof(p[0]), cmp_double);
	memcpy(job->percentiles, p, n * sizeof(p[0]));
	job->npercentiles = n;
	return 0;
}

/* write_*_log[=NAME]: the log's file name starts with NAME, else the job's. */
static int set_log(struct bench_job *job, enum bench_log_type k, const char *v)
{
	if (strlen(v) >= sizeof(job->log_name[k]))
		return -EINVAL;
	strcpy(job->log_name[k], v);
	job->log_on[k] = true;
	return 0;
}

static int set_bw_log(struct bench_job *job, const char *v) { return set_log(job, BENCH_LOG_BW, v); }
static int set_lat_log(struct bench_job *job, const char *v) { return set_log(job, BENCH_LOG_LAT, v); }
static int set_iops_log(struct bench_job *job, const char *v) { return set_log(job, BENCH_LOG_IOPS, v); }

static int set_thinktime_blocks(struct bench_job *job, const char *v)
{
	return set_uint(v, 1, 1 << 30, &job->thinktime_blocks);
}

/* Rows in fio's names; aliases are rows of their own. */
static const struct job_opt job_opts[] = {
	STR("name", name), STR("filename", filename),
	FUNC("rw", set_rw), FUNC("readwrite", set_rw),
	UINT("rwmixread", rwmixread, 0, 100), FUNC("rwmixwrite", set_rwmixwrite),
	FUNC("bs", bench_bs_set), FUNC("blocksize", bench_bs_set),
	FUNC("bsrange", bench_bs_set_range), FUNC("blocksize_range", bench_bs_set_range),
	FUNC("bssplit", bench_bs_set_split),
	FUNC("blockalign", bench_ba_set), FUNC("ba", bench_ba_set),
	FUNC("random_distribution", bench_distr_set), FLAG("norandommap", norandommap),
	ENUM("random_generator", random_generator, rng_values),
	SIZE("size", size, 0), SIZE("offset", offset, 0), FUNC("filesize", set_filesize),
	SIZE("offset_increment", offset_increment, 0),
	ENUM("zonemode", zonemode, zonemode_values), SIZE("zonesize", zone_size, 0),
	SIZE("zonerange", zone_range, 0), SIZE("zoneskip", zone_skip, 0),
	SIZE("io_size", io_size, 0), SIZE("io_limit", io_size, 0),
	FUNC("runtime", set_runtime), FUNC("timeout", set_runtime),
	FLAG("time_based", time_based),
	UINT("iodepth", iodepth, 1, 4096), ENUM("ioengine", engine, engine_values),
	FUNC("io_submit_mode", set_submit_mode),
	FLAG("direct", direct), { .name = "buffered", .kind = O_NOTFLAG, .bare = true, F(direct) },
	UINT("fsync", fsync_every, 0, 1 << 30), UINT("fdatasync", fdatasync_every, 0, 1 << 30),
	FLAG("end_fsync", end_fsync),
	{ .name = "verify", .kind = O_FUNC, .bare = true, .set = set_verify },
	FLAG("do_verify", do_verify),
	FLAG("verify_fatal", verify_fatal), FLAG("verify_dump", verify_dump),
	SIZE("verify_backlog", verify_backlog, 0),
	SIZE("verify_interval", verify_interval, 64 << 20),
	FUNC("verify_pattern", set_pattern), FUNC("buffer_pattern", set_buffer_pattern),
	SIZE("randseed", seed, 0), FLAG("randrepeat", randrepeat),
	UINT("numjobs", numjobs, 1, 256), STR("description", description),
	FUNC("prio", set_prio), FUNC("prioclass", set_class),
	FLAG("stonewall", stonewall), FLAG("wait_for_previous", stonewall),
	FLAG("new_group", new_group),
	TIME("startdelay", O_SECONDS, startdelay_ns), TIME("ramp_time", O_SECONDS, ramp_ns),
	UINT("loops", loops, 1, 1 << 30), SIZE("number_ios", number_ios, 0),
	TIME("thinktime", O_USECS, thinktime_ns),
	TIME("thinktime_spin", O_USECS, thinktime_spin_ns),
	FUNC("thinktime_blocks", set_thinktime_blocks),
	ROW("rate", O_PAIR, rate), ROW("rate_iops", O_PAIR, rate_iops),
	ENUM("rate_process", rate_process, rate_process_values),
	ROW("rate_min", O_PAIR, rate_min), ROW("ratemin", O_PAIR, rate_min),
	ROW("rate_iops_min", O_PAIR, rate_iops_min),
	UINT("rate_cycle", ratecycle_ms, 0, 1 << 30), UINT("ratecycle", ratecycle_ms, 0, 1 << 30),
	FUNC("cmdprio_percentage", bench_cmdprio_set_pct),
	FUNC("cmdprio_class", bench_cmdprio_set_class), FUNC("cmdprio", bench_cmdprio_set_level),
	FUNC("cmdprio_bssplit", bench_cmdprio_set_split),
	TIME("latency_target", O_USECS, lat_target_ns), TIME("latency_window", O_USECS, lat_window_ns),
	FUNC("latency_percentile", bench_lt_set_pct), FLAG("latency_run", lat_run),
	FUNC("max_latency", set_max_latency),
	FUNC("steadystate", bench_ss_set), FUNC("ss", bench_ss_set),
	FUNC("steadystate_duration", bench_ss_dur_set), FUNC("ss_dur", bench_ss_dur_set),
	TIME("steadystate_ramp_time", O_SECONDS, ss_ramp_ns), TIME("ss_ramp", O_SECONDS, ss_ramp_ns),
	FLAG("fill_device", fill_device), FLAG("fill_fs", fill_device),
	FUNC("numa_cpu_nodes", bench_numa_cpu_set), FUNC("numa_mem_policy", bench_numa_mem_set),
	UINT("flow", flow, 0, 1000), UINT("flow_id", flow_id, 0, INT_MAX),
	UINT("flow_sleep", flow_sleep_us, 0, INT_MAX),
	FUNC("percentile_list", set_percentiles), FLAG("exitall", exitall),
	ENUM("exit_what", exit_what, exit_what_values), STR("wait_for", wait_for),
	FLAG("group_reporting", group_reporting),
	FLAG("gtod_reduce", no_lat), FLAG("disable_lat", no_lat),
	{ .name = "write_bw_log", .kind = O_FUNC, .bare = true, .set = set_bw_log },
	{ .name = "write_lat_log", .kind = O_FUNC, .bare = true, .set = set_lat_log },
	{ .name = "write_iops_log", .kind = O_FUNC, .bare = true, .set = set_iops_log },
	UINT("log_avg_msec", log_avg_ms, 0, 1 << 30), FLAG("log_offset", log_offset),
	FLAG("log_prio", log_prio), FLAG("log_max_value", log_max_value),
	FLAG("per_job_logs", per_job_logs),
	/* accepted for fio compatibility; they change nothing here */
	NOP("thread"),
	/* fio's file creation one job at a time: files are laid out so here */
	NOP("create_serialize"),
	/* fio's tiobench profile's option: without profile= fio takes and ignores it */
	NOP("threads"), NOP("invalidate"),
	/* the one latency measured here is fio's total latency (disable_lat,
	 * gtod_reduce): completion and submission latency are not measured, and
	 * the per-second samples cost no clock reads per I/O */
	NOP("disable_clat"), NOP("disable_slat"), NOP("disable_bw_measurement"),
};
#define NOPTS (sizeof(job_opts) / sizeof(job_opts[0]))

const char *bench_job_opt(unsigned int i, bool *flag)
{
	if (i >= NOPTS)
		return NULL;
	*flag = job_opts[i].bare;
	return job_opts[i].name;
}

static int set_opt(struct bench_job *job, const struct job_opt *o, const char *v)
{
	void *field = (char *)job + o->off;
	const struct job_name *vals;
	uint64_t x;
	bool b;

	switch (o->kind) {
	case O_STR:
		if (!*v || strlen(v) >= o->len)
			return -EINVAL;
		memcpy(field, v, strlen(v) + 1);
		return 0;
	case O_UINT:
		return set_uint(v, o->min, o->max, field);
	case O_SIZE:
		if (set_size(v, &x, o->max ? (uint64_t)o->max : UINT64_MAX))
			return -EINVAL;
		if (o->len == sizeof(uint32_t))
			*(uint32_t *)field = (uint32_t)x;
		else
			*(uint64_t *)field = x;
		return 0;
	case O_FLAG:
		return set_flag(v, field);
	case O_NOTFLAG:
		if (set_flag(v, &b))
			return -EINVAL;
		*(bool *)field = !b;
		return 0;
	case O_SECONDS:
		return set_time(v, 1000000000ull, field);
	case O_USECS:
		return set_time(v, 1000ull, field);
	case O_PAIR:
		return set_pair(v, field);
	case O_ENUM:
		if (o->len != sizeof(int))
			return -EINVAL;
		for (vals = o->values; vals->name; vals++)
			if (!strcmp(v, vals->name)) {
				*(int *)field = vals->value;
				return 0;
			}
		return -EINVAL;
	case O_FUNC:
		return o->set(job, v);
	case O_NOP:
		return 0;
	}
	return -EINVAL;
}

int bench_job_set(struct bench_job *job, const char *name, const char *v)
{
	size_t i;

	if (!v)
		v = "";
	for (i = 0; i < NOPTS; i++)
		if (!strcmp(name, job_opts[i].name))
			return set_opt(job, &job_opts[i], v);
	return -ENOENT;
}

unsigned int bench_jobs_group(struct bench_job *jobs, unsigned int njobs)
{
	unsigned int i, g = 0;

	for (i = 0; i < njobs; i++) {
		if (i && (jobs[i].stonewall || jobs[i].new_group))
			g++;
		jobs[i].groupid = g;
	}
	return njobs ? g + 1 : 0;
}

int bench_jobs_link(struct bench_job *jobs, unsigned int njobs, unsigned int *bad,
		    const char **why)
{
	unsigned int i, k, found;

	for (i = 0; i < njobs; i++) {
		jobs[i].waitee = 0;
		if (!jobs[i].wait_for[0])
			continue;
		*bad = i;
		if (!strcmp(jobs[i].wait_for, jobs[i].name)) {
			*why = "a job cannot wait for itself (wait_for)";
			return -EINVAL;
		}
		for (k = 0, found = 0; k < i; k++)
			if (!strcmp(jobs[k].name, jobs[i].wait_for)) {
				jobs[i].waitee = k + 1;
				found++;
			}
		if (!found) {
			*why = "wait_for names no job defined before it";
			return -EINVAL;
		}
		if (found > 1) {
			*why = "wait_for names a job defined more than once";
			return -EINVAL;
		}
	}
	if (bench_ss_check_group(jobs, njobs, bad)) {
		*why = "steadystate options must be consistent within reporting groups";
		return -EINVAL;
	}
	return 0;
}

/* Every I/O size the job can have is a multiple of align. */
static bool sizes_fit(const struct bench_job *job, uint32_t align)
{
	const struct bench_bs_dir *s;
	unsigned int d, i;

	if (job->bs % align)
		return false;
	for (d = 0; d < BENCH_NDIR; d++) {
		s = &job->bsd[d];
		if (s->min % align || s->max % align)
			return false;
		for (i = 0; i < s->nsplit; i++)
			if (s->split[i].bs % align)
				return false;
	}
	return true;
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
	if (job->direct && (!sizes_fit(job, 512) || job->offset % 512 || job->offset_increment % 512 ||
			    job->ba[BENCH_DIR_READ] % 512 || job->ba[BENCH_DIR_WRITE] % 512)) {
		*why = "direct I/O needs bs, blockalign and offset in multiples of 512";
		return -EINVAL;
	}
	if (job->seq_add % (int64_t)job->bs) {
		*why = "the hole of rw=NAME:SIZE must be a multiple of bs";
		return -EINVAL;
	}
	if (job->verify && !bench_job_bs_fixed(job)) {
		*why = "verify needs one block size (no bsrange, bssplit or bs per direction)";
		return -EINVAL;
	}
	if (job->verify && ((job->ba[BENCH_DIR_READ] && job->ba[BENCH_DIR_READ] != job->bs) ||
			    (job->ba[BENCH_DIR_WRITE] && job->ba[BENCH_DIR_WRITE] != job->bs))) {
		*why = "verify needs blockalign to be bs (overlapping writes cannot be checked)";
		return -EINVAL;
	}
	if (job->verify_interval && job->bs % job->verify_interval) {
		*why = "verify_interval must divide bs";
		return -EINVAL;
	}
	if ((job->rate[0] + job->rate[1] && job->rate_iops[0] + job->rate_iops[1]) ||
	    (job->rate_min[0] + job->rate_min[1] && job->rate_iops_min[0] + job->rate_iops_min[1])) {
		*why = "rate and rate_iops are mutually exclusive";
		return -EINVAL;
	}
	for (unsigned int d = 0; d < BENCH_NDIR; d++)
		if ((job->rate[d] && job->rate[d] < job->rate_min[d]) ||
		    (job->rate_iops[d] && job->rate_iops[d] < job->rate_iops_min[d])) {
			*why = "the minimum rate exceeds the rate";
			return -EINVAL;
		}
	if (job->size && job->size < job->bs) {
		*why = "size is smaller than the block size";
		return -EINVAL;
	}
	if (bench_cmdprio_check(job, why) || bench_zone_check(job, why))
		return -EINVAL;
	if (job->fill_device && (job->rw == BENCH_READ || job->rw == BENCH_RANDREAD)) {
		*why = "fill_device fills the file system with writes: a job that writes";
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
