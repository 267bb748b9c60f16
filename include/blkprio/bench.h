/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The benchmark engine: jobs on a target (a file, a block device, or a qcow2
 * image "img:PATH"), run by worker threads with the psync or io_uring I/O
 * engine. Every I/O's latency goes into a log-linear histogram; per-second
 * samples give time series. dd, bonnie, `bench run` and `bench effect` are
 * built on it. Functions return 0 or -errno and never print.
 */
#ifndef BLKPRIO_BENCH_H
#define BLKPRIO_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include <blkprio/cgroup.h>

/* ---- latency histogram: log-linear, relative error <= 1/128 ---------------- */

#define BENCH_HIST_SUB_BITS	6
#define BENCH_HIST_SUB		(1u << BENCH_HIST_SUB_BITS)
#define BENCH_HIST_BUCKETS	((64 - BENCH_HIST_SUB_BITS + 1) * BENCH_HIST_SUB)

struct bench_hist {
	uint64_t count;
	uint64_t min, max;		/* exact, ns */
	double sum, sumsq;		/* for mean and standard deviation */
	uint64_t bucket[BENCH_HIST_BUCKETS];
};

void bench_hist_init(struct bench_hist *h);
void bench_hist_add(struct bench_hist *h, uint64_t ns);
void bench_hist_merge(struct bench_hist *dst, const struct bench_hist *src);
/* Value at percentile p (0..100): the midpoint of the first bucket reaching it. */
uint64_t bench_hist_percentile(const struct bench_hist *h, double p);
double bench_hist_mean(const struct bench_hist *h);
double bench_hist_stddev(const struct bench_hist *h);
/* Bucket of a value, and the value a bucket stands for (exposed for tests). */
unsigned int bench_hist_index(uint64_t ns);
uint64_t bench_hist_value(unsigned int idx);

/* ---- targets: an ops table per kind ------------------------------------------ */

#define BENCH_T_WRITE	0x1	/* open for writing */
#define BENCH_T_DIRECT	0x2	/* O_DIRECT (files and devices) */
#define BENCH_T_CREATE	0x4	/* create if missing (size from create_size) */
#define BENCH_T_DSYNC	0x8

struct bench_target;

struct bench_target_ops {
	const char *kind;		/* "file", "blockdev", "qcow2" */
	int (*open)(struct bench_target *t, const char *path, unsigned int flags,
		    uint64_t create_size);
	ssize_t (*pread)(struct bench_target *t, void *buf, size_t len, uint64_t off);
	ssize_t (*pwrite)(struct bench_target *t, const void *buf, size_t len, uint64_t off);
	int (*flush)(struct bench_target *t, bool datasync);
	void (*close)(struct bench_target *t);
};

struct bench_target {
	const struct bench_target_ops *ops;
	int fd;				/* -1 when there is no plain fd (qcow2) */
	uint64_t size;			/* bytes visible to I/O */
	bool created;
	void *priv;			/* the ops' own state */
};

/*
 * Open "PATH" (file or block device) or "img:PATH" (qcow2 image, when the
 * qcow2 library is built in). Returns 0 or -errno; -ENOTSUP for img: without it.
 */
int bench_target_open(struct bench_target *t, const char *spec, unsigned int flags,
		      uint64_t create_size);
void bench_target_close(struct bench_target *t);
/* True when spec names a qcow2 image ("img:PATH"). */
bool bench_target_is_img(const char *spec);

/* ---- jobs ---------------------------------------------------------------------- */

enum bench_rw { BENCH_READ, BENCH_WRITE, BENCH_RANDREAD, BENCH_RANDWRITE,
		BENCH_RANDRW, BENCH_RW };
enum bench_engine { BENCH_PSYNC, BENCH_IO_URING, BENCH_LIBAIO };
enum bench_dir { BENCH_DIR_READ, BENCH_DIR_WRITE, BENCH_NDIR };
enum bench_rate_process { BENCH_RATE_LINEAR, BENCH_RATE_POISSON };
/* exitall's reach, as fio's exit_what: the job's group; every job started so
 * far (the next phase still runs); or every job, those not started too */
enum bench_exit_what { BENCH_EXIT_GROUP, BENCH_EXIT_STONEWALL, BENCH_EXIT_ALL };

#define BENCH_MAX_PCTS	20		/* fio's FIO_IO_U_LIST_MAX_LEN */
#define BENCH_MAX_BSSPLIT 64		/* fio's BSSPLIT_MAX */

/*
 * A direction's I/O sizes (bs=R,W, bsrange, bssplit): max 0 is the job's bs;
 * min == max one size; else the bssplit sizes by percentage (ascending by
 * percentage, as fio looks them up) when nsplit, else the range.
 */
struct bench_bs_dir {
	uint32_t min, max;
	unsigned int nsplit;
	struct { uint32_t bs, pct; } split[BENCH_MAX_BSSPLIT];
};

/*
 * cmdprio: one direction's priorities per I/O (io_uring, libaio), as fio's
 * cmdprio_percentage, cmdprio_class, cmdprio and cmdprio_bssplit (entries
 * sorted by bs; ioprio -1: cmdprio_class and cmdprio's).
 */
struct bench_cmdprio_split {
	uint32_t bs;
	uint8_t pct;
	int ioprio;
};
struct bench_cmdprio {
	uint8_t pct;			/* cmdprio_percentage */
	uint8_t cls, level;		/* cmdprio_class (0: not given, real-time), cmdprio */
	unsigned int nsplit;
	struct bench_cmdprio_split split[BENCH_MAX_BSSPLIT];
};

/* random_generator: fio's names; lfsr draws each block once a pass, as the
 * random map does, norandommap or not; the others are this engine's own */
enum bench_rng { BENCH_RNG_TAUSWORTHE, BENCH_RNG_LFSR, BENCH_RNG_TAUSWORTHE64 };

/* zonemode: fio's none (the default) and strided */
enum bench_zonemode { BENCH_ZONE_NONE, BENCH_ZONE_STRIDED };

/* steadystate's criteria, in fio's order */
enum bench_ss_kind { BENCH_SS_IOPS, BENCH_SS_IOPS_SLOPE, BENCH_SS_BW, BENCH_SS_BW_SLOPE };

/* random_distribution: where random offsets go (fio's names and parameters) */
enum bench_distr_kind {
	BENCH_DIST_RANDOM, BENCH_DIST_ZIPF, BENCH_DIST_PARETO, BENCH_DIST_NORMAL,
	BENCH_DIST_ZONED, BENCH_DIST_ZONED_ABS,
};
#define BENCH_ZONE_PICKS 100		/* one per percent of the accesses */
struct bench_zone_pick {
	uint64_t lo, hi;		/* percent of the region, or bytes (zoned_abs) */
};
struct bench_distr {
	enum bench_distr_kind kind;
	double param;			/* zipf theta, pareto h, normal deviation (%) */
	double center;			/* 0..1, or -1: a random spreading offset */
	bool zoned[BENCH_NDIR];		/* the direction has zones (else uniform) */
	struct bench_zone_pick pick[BENCH_NDIR][BENCH_ZONE_PICKS];
};

/* fio's job logs, by type */
enum bench_log_type { BENCH_LOG_BW, BENCH_LOG_LAT, BENCH_LOG_IOPS, BENCH_NLOG };

struct bench_job {
	char name[64];
	char filename[4096];		/* target spec */
	enum bench_rw rw;
	/* rw=NAME:MOD, as fio: a sequential job's hole after each I/O (bytes;
	 * negative: backwards), a random job's new offset every N I/Os (the
	 * ones between follow on sequentially) */
	int64_t seq_add;
	unsigned int rand_every;
	unsigned int rwmixread;		/* percent reads for randrw/rw (default 50) */
	uint32_t bs;			/* block size (default 4096) */
	struct bench_bs_dir bsd[BENCH_NDIR];	/* sizes per direction, when set */
	struct bench_distr distr;	/* random_distribution (default uniform) */
	uint32_t ba[BENCH_NDIR];	/* blockalign: random offsets' multiple (0: min size) */
	bool norandommap;		/* random offsets may repeat within a pass */
	enum bench_rng random_generator;
	uint64_t size;			/* region size; 0 = the target's size */
	/* filesize: the file's own size, or a range drawn from once per job; a
	 * file whose size is in the range is taken as it is (fio's rules) */
	uint64_t filesize_lo, filesize_hi;
	uint64_t offset;		/* region start */
	uint64_t offset_increment;	/* copy N of numjobs starts N times further */
	/* zonemode=strided, as fio: zone_size bytes of I/O in a zone of
	 * zone_range bytes (0: zone_size), then zone_range + zone_skip on,
	 * back to the start past the file's end */
	enum bench_zonemode zonemode;
	uint64_t zone_size, zone_range, zone_skip;
	/* latency_target: the deepest queue up to iodepth at which lat_pct
	 * percent of a lat_window's I/Os take at most the target (fio's
	 * latency profiling); lat_run: keep adjusting; max_lat: an I/O over it
	 * is the job's error (ETIMEDOUT) */
	uint64_t lat_target_ns, lat_window_ns;
	double lat_pct;
	bool lat_run;
	uint64_t max_lat_ns[BENCH_NDIR];
	uint64_t io_size;		/* bytes to move; 0 = size (one pass) */
	uint64_t runtime_ns;		/* stop after this long (0 = none) */
	bool time_based;		/* keep going until runtime_ns */
	unsigned int iodepth;		/* default 1 */
	enum bench_engine engine;
	bool direct;
	unsigned int fsync_every;	/* fsync after N writes (0 = never) */
	unsigned int fdatasync_every;
	bool end_fsync;			/* fsync at the end, timed */
	bool verify;			/* checkable pattern; reads check it */
	bool do_verify;			/* write jobs: read back and check after
					 * the writes (default true, as fio) */
	bool verify_fatal;		/* stop at the first bad block */
	bool verify_dump;		/* a bad block to NAME.OFF.received/.expected */
	uint64_t verify_backlog;	/* check after every N blocks written */
	uint32_t verify_interval;	/* fio's checksum unit: must divide bs (the
					 * checks here are byte by byte anyway) */
	uint8_t verify_pattern[256];	/* fixed pattern instead of the hashed one */
	unsigned int verify_pattern_len;
	uint8_t buffer_pattern[256];	/* the data written, without verify */
	unsigned int buffer_pattern_len;
	/* fio's phases and reporting groups */
	bool stonewall;			/* start after every job before it ends */
	bool new_group;			/* start a reporting group */
	unsigned int groupid;		/* set by bench_jobs_group() */
	uint64_t startdelay_ns;		/* wait this long before the first I/O */
	uint64_t ramp_ns;		/* run this long before counting */
	unsigned int loops;		/* passes over the region (default 1) */
	uint64_t number_ios;		/* stop after this many I/Os (0: no limit) */
	uint64_t thinktime_ns;		/* pause after every thinktime_blocks I/Os, */
	uint64_t thinktime_spin_ns;	/* of which this long spinning */
	unsigned int thinktime_blocks;	/* default 1 */
	uint64_t rate[BENCH_NDIR];	/* bytes per second (0: no cap) */
	uint64_t rate_iops[BENCH_NDIR];
	enum bench_rate_process rate_process;
	uint64_t seed;			/* for offsets and the verify pattern */
	bool randrepeat;		/* the same offsets every run (default true);
					 * false: offsets seeded from the clock */
	char description[128];		/* fio's description (reported, no effect) */
	double percentiles[BENCH_MAX_PCTS];	/* percentile_list, ascending */
	unsigned int npercentiles;	/* 0: fio's default list */
	bool exitall;			/* when this job ends, exit_what ends */
	enum bench_exit_what exit_what;	/* which jobs exitall ends (default group) */
	char wait_for[64];		/* start when every copy of this job has ended */
	unsigned int waitee;		/* its index + 1 (bench_jobs_link), 0: none */
	uint64_t rate_min[BENCH_NDIR];	/* fail when a cycle is slower (bytes/s) */
	uint64_t rate_iops_min[BENCH_NDIR];
	unsigned int ratecycle_ms;	/* the cycle (default 1000), after 2 s */
	/* steadystate: end when the last ss_dur seconds' figures are steady */
	enum bench_ss_kind ss_kind;
	bool ss_pct;			/* the limit is a percentage of the mean */
	double ss_limit;
	unsigned int ss_dur;		/* seconds, 0: no steady state */
	uint64_t ss_ramp_ns;		/* collect from this long after the start */
	struct bench_cmdprio cmdprio[BENCH_NDIR];
	bool cmdprio_bssplit;
	bool fill_device;		/* write until the file system is full */
	uint64_t numa_cpu_nodes;	/* run on these nodes' CPUs (0: anywhere) */
	bool numa_mem_set;		/* numa_mem_policy: the mode, the nodes */
	int numa_mem_mode;
	uint64_t numa_mem_nodes;		/* cmdprio_bssplit was given */
	unsigned int flow;		/* weight among its flow_id's jobs (0: none) */
	unsigned int flow_id;
	unsigned int flow_sleep_us;	/* ahead of its part: reap, sleep this long */
	bool group_reporting;		/* reported with its group's others as one */
	/* write_bw_log, write_lat_log, write_iops_log: NAME_TYPE.N.log in the
	 * working folder (NAME: the job's name unless given) */
	bool log_on[BENCH_NLOG];
	char log_name[BENCH_NLOG][128];
	uint32_t log_avg_ms;		/* one entry per window (0: per I/O) */
	bool log_offset, log_prio, log_max_value;
	bool per_job_logs;		/* the copy's number in the name (default) */
	bool no_lat;			/* gtod_reduce/disable_lat: no clock reads per I/O */
	unsigned int numjobs;		/* copies of the job run at once */
	int ioprio;			/* -1: leave, else IOPRIO_PRIO_VALUE */
	/* Called in each worker thread before its first I/O (e.g. join a cgroup). */
	int (*thread_init)(const struct bench_job *job, unsigned int index, void *arg);
	void *thread_arg;
};

void bench_job_init(struct bench_job *job);
/*
 * Set one job option from fio's name and value ("rw", "randread"). Returns 0,
 * -ENOENT for an unknown name or -EINVAL for a bad value.
 */
int bench_job_set(struct bench_job *job, const char *name, const char *value);
/*
 * The options bench_job_set() knows, for command lines: the i-th name, or
 * NULL past the last; *flag tells that a bare name is a value ("direct").
 */
const char *bench_job_opt(unsigned int i, bool *flag);
/* Reporting groups as fio forms them: a job with stonewall or new_group
 * starts the next one; sets every job's groupid, returns how many. */
unsigned int bench_jobs_group(struct bench_job *jobs, unsigned int njobs);
/*
 * wait_for: each job's waitee from the names, as fio checks them (a job
 * defined before it, not itself, one of that name). Returns 0, or -EINVAL
 * with *bad the job at fault and *why a static reason.
 */
int bench_jobs_link(struct bench_job *jobs, unsigned int njobs, unsigned int *bad,
		    const char **why);
/* Consistency of a job before running; *why gets a static reason. */
int bench_job_check(const struct bench_job *job, const char **why);
/* The smallest and largest I/O of direction d; every I/O bs long, or not. */
void bench_job_bs(const struct bench_job *job, enum bench_dir d, uint32_t *min, uint32_t *max);
bool bench_job_bs_fixed(const struct bench_job *job);
const char *bench_rw_name(enum bench_rw rw);
const char *bench_engine_name(enum bench_engine e);

/*
 * A small ini job file in fio's syntax: [global] and [name] sections,
 * "key=value" or bare "key" lines, ';' or '#' comments. Jobs inherit
 * [global]; base holds defaults (e.g. from the command line). On error
 * *line is set and *bad_key names the culprit (static buffer).
 */
int bench_ini_parse(const char *text, const struct bench_job *base,
		    struct bench_job **jobs, unsigned int *njobs,
		    unsigned int *line, const char **bad_key);

/* ---- running ------------------------------------------------------------------- */

struct bench_sample {
	uint64_t t_ms;			/* end of the interval, since start */
	uint64_t bytes[BENCH_NDIR];
	uint64_t ios[BENCH_NDIR];
};

/* The latency of one I/O priority's I/Os (cmdprio). */
struct bench_prio_stat {
	int ioprio;
	struct bench_hist lat;
};

struct bench_dir_stats {
	uint64_t ios, bytes;
	uint64_t runtime_ns;		/* the time they took: the job's, or the
					 * verify phase's for its reads */
	struct bench_hist lat;		/* ns, submit to completion */
	struct bench_prio_stat *prio;	/* cmdprio: per priority, the job's first */
	unsigned int nprio;
};

/* A steady state window (the job's, or its group's last job's): figures
 * per second, oldest first, the newest last; bw in bytes/s. */
struct bench_ss_result {
	unsigned int dur, filled;	/* seconds in the window, and with figures */
	bool attained;
	double criterion, deviation, slope;	/* when last judged */
	uint64_t *iops, *bw;
};

struct bench_result {
	char name[64];
	unsigned int job;		/* index of its job in the array run */
	unsigned int index;		/* which copy (numjobs) */
	int error;			/* 0 or -errno of the first failure */
	char error_file[512];		/* a file of the job's own that failed (a log),
					 * or empty: the target */
	char error_why[96];		/* the engine's own reason (rate_min), or empty */
	uint64_t error_off;
	uint64_t verify_errors;
	uint64_t elapsed_ns;
	struct bench_dir_stats dir[BENCH_NDIR];
	struct bench_hist sync_lat;	/* fsync/fdatasync calls */
	uint64_t syncs;
	struct bench_sample *samples;
	size_t nsamples;
	struct bench_ss_result ss;	/* steadystate (dur 0: none here) */
	/* CPU time: the worker's thread and the io_uring workers serving it */
	uint64_t usr_ns, sys_ns;
	double usr_cpu, sys_cpu;	/* the same as percent of elapsed */
	unsigned int lat_depth;		/* the depth at the end (latency_target's) */
};

struct bench_run;
struct bench_progress {
	uint64_t elapsed_ms;
	uint64_t bytes[BENCH_NDIR], ios[BENCH_NDIR];
	unsigned int running;
};

struct bench_run_opts {
	unsigned int sample_ms;		/* sample interval (default 1000) */
	/* Called from the calling thread about every sample interval. */
	void (*progress)(const struct bench_progress *p, void *arg);
	void *progress_arg;
	volatile int *stop;		/* set non-zero to stop all jobs */
};

/*
 * Run jobs (each expanded to numjobs copies) all at once, one thread per
 * copy, and wait for them. *results gets one entry per copy.
 */
int bench_run(const struct bench_job *jobs, unsigned int njobs,
	      const struct bench_run_opts *opts,
	      struct bench_result **results, unsigned int *nresults);
void bench_results_free(struct bench_result *r, unsigned int n);

/* ---- io.cost calibration (calibrate.c) ----------------------------------------- */

struct bench_calib_opts {
	const char *dev;		/* "sdb": its scheduler and merges are switched */
	const char *path;		/* "/dev/sdb": what the runs read (and write) */
	unsigned int seconds_ms;	/* per run */
	bool writes;			/* measure writes too: overwrites the device */
	volatile int *stop;		/* set non-zero to stop (the device is put back) */
};
struct bench_calib_phase {
	bool measured;
	enum bench_rw rw;
	uint32_t bs;
	unsigned int depth;
	double seconds, iops, bps;
};
struct bench_calib {
	char sched[32];			/* the device's scheduler before (and after) */
	struct bench_calib_phase phase[6];	/* in the order of CG_IOCOST_* */
	struct cg_iocost_model model;	/* unmeasured writes: the read values */
	int failed;			/* the phase that failed, -1 none */
};
/*
 * Measure DEV for io.cost's linear model: scheduler none and nomerges=1
 * during the runs, the old values back after (also on failure).
 */
int bench_calibrate(const struct bench_calib_opts *o, struct bench_calib *c);

/* ---- reports ------------------------------------------------------------------- */

enum bench_format { BENCH_FMT_TEXT, BENCH_FMT_JSON, BENCH_FMT_CSV };
int bench_report(FILE *out, enum bench_format fmt, const struct bench_job *jobs,
		 unsigned int njobs, const struct bench_result *r, unsigned int n);
/* Per-second samples as CSV: job,index,t_ms,read_bytes,write_bytes,read_ios,write_ios */
int bench_report_samples(FILE *out, const struct bench_result *r, unsigned int n);

/* ---- the verify pattern -------------------------------------------------------- */

/* Fill buf (len bytes at offset off) with the pattern for seed. */
void bench_pattern_fill(void *buf, size_t len, uint64_t off, uint64_t seed);
/* 0 if buf matches; else -EILSEQ and *bad the first wrong byte's offset. */
int bench_pattern_check(const void *buf, size_t len, uint64_t off, uint64_t seed,
			uint64_t *bad);

/* ---- dd: GNU dd's operands and behaviour over the same targets ------------------ */

/* conv= */
#define DD_C_BLOCK	0x0001
#define DD_C_UNBLOCK	0x0002
#define DD_C_LCASE	0x0004
#define DD_C_UCASE	0x0008
#define DD_C_SWAB	0x0010
#define DD_C_SYNC	0x0020
#define DD_C_NOERROR	0x0040
#define DD_C_NOTRUNC	0x0080
#define DD_C_SPARSE	0x0100
#define DD_C_EXCL	0x0200
#define DD_C_NOCREAT	0x0400
#define DD_C_FSYNC	0x0800
#define DD_C_FDATASYNC	0x1000
#define DD_C_TWOBUFS	0x8000	/* reblock input into obs-sized output blocks */

/* iflag= / oflag= */
#define DD_F_APPEND	0x0001
#define DD_F_DIRECT	0x0002
#define DD_F_DIRECTORY	0x0004
#define DD_F_DSYNC	0x0008
#define DD_F_SYNC	0x0010
#define DD_F_FULLBLOCK	0x0020
#define DD_F_NOATIME	0x0040
#define DD_F_NOCACHE	0x0080
#define DD_F_NOCTTY	0x0100
#define DD_F_NOFOLLOW	0x0200
#define DD_F_NONBLOCK	0x0400
#define DD_F_COUNT_BYTES 0x0800
#define DD_F_SKIP_BYTES	0x1000
#define DD_F_SEEK_BYTES	0x2000

enum dd_status { DD_STATUS_DEFAULT, DD_STATUS_NONE, DD_STATUS_NOXFER, DD_STATUS_PROGRESS };

struct dd_stats {
	uint64_t r_full, r_partial, w_full, w_partial, r_truncate;
	uint64_t w_bytes;
	uint64_t start_ns;
};

struct dd {
	/* operands */
	const char *ifile, *ofile;		/* NULL: standard input/output */
	uint64_t ibs, obs, cbs, bs;
	uint64_t skip, seek, count;		/* as given; units resolved by dd_args_done */
	bool skip_b, seek_b, count_b;		/* given with a 'B' suffix: bytes */
	bool count_set;
	unsigned int conv, iflags, oflags;
	enum dd_status status;
	/* resolved */
	uint64_t skip_bytes, seek_bytes, max_records, max_bytes;
	/* diagnostics: "dd: MSG" lines the caller prints */
	void (*msg)(void *arg, const char *text);
	/* called after every block; the caller may print statistics */
	void (*poll)(void *arg);
	void *arg;
	/* state */
	int ifd, ofd;
	struct bench_target *it, *ot;		/* img: targets */
	uint64_t ipos, opos;
	struct dd_stats st;
	int exit_status;
	volatile bool interrupted;		/* set from a signal handler */
	/* buffers and conversion state (private) */
	uint8_t *ibuf, *obuf;
	size_t oused;
	uint64_t col, oused_spaces;
	int swab_saved;
	ssize_t prev_nread;
	bool warn_partial, last_was_seek, skip_past_end;
	bool skip_overflow, seek_overflow;	/* offset past INT64_MAX */
	bool stats_now;				/* poll: print statistics now (noerror) */
};

/* Defaults (ibs = obs = 512, standard input and output). */
void dd_init(struct dd *d);
/*
 * One "key=value" operand. On error *why gets GNU dd's message (without the
 * "dd: " prefix) and *try is set when dd adds its "Try --help" line.
 */
int dd_operand(struct dd *d, const char *arg, char *why, size_t len, bool *try);
/* After the operands: resolve sizes and check combinations (same contract). */
int dd_args_done(struct dd *d, char *why, size_t len, bool *try);
/* Open, copy, sync, close. Returns the exit status (0 or 1). */
int dd_run(struct dd *d);
/* Statistics as GNU dd prints them; progress = the one-line "\r" form. */
void dd_format_stats(const struct dd *d, char *buf, size_t len, bool progress);

/* ---- bonnie: bonnie++ 2.00's tests, table and CSV (format 1.98) ---------------- */

enum bonnie_test {
	BON_PUTC, BON_PUT_BLOCK, BON_REWRITE, BON_GETC, BON_GET_BLOCK, BON_SEEKS,
	BON_SEQ_CREATE, BON_SEQ_STAT, BON_SEQ_DEL, BON_RAN_CREATE, BON_RAN_STAT,
	BON_RAN_DEL, BON_NTESTS
};
#define BON_NIO 6

struct bonnie_opts {
	const char *dir;		/* -d (default ".") */
	const char *name;		/* -m (default the host name) */
	uint64_t size_mb;		/* -s size in MiB; 0 skips the I/O tests */
	bool size_set;
	uint32_t chunk;			/* -s size:chunk (default 8192) */
	unsigned int seeks;		/* -s ::seeks (default 8192) */
	unsigned int seekers;		/* -s :::seekers (default 5) */
	unsigned int files;		/* -n count in 1024s; 0 skips the file tests */
	long max_size, min_size;	/* -n :max:min bytes (0: empty files) */
	unsigned int dirs;		/* -n :::dirs (default 1) */
	uint32_t file_chunk;		/* -n ::::chunk (default the file size) */
	char files_str[64];		/* -n as given, for the table and CSV */
	uint64_t byte_io_mb;		/* -fN size of the per-char tests (default 3) */
	bool no_byte_io;		/* -f */
	bool sync_files;		/* -b: fsync created files and updates */
	bool direct;			/* -D: O_DIRECT on the block write */
	uint64_t ram_mb;		/* -r (0: no RAM checks) */
	bool ram_set;
	uint64_t seed;			/* -z */
	bool seed_set;
	unsigned int concurrency;	/* -c, printed only */
	/* progress lines as bonnie++ prints them ("Rewriting..." then "done") */
	void (*progress)(void *arg, const char *text);
	void *arg;
};

struct bonnie_test_result {
	bool ran;
	double elapsed;			/* seconds */
	double cpu;			/* seconds of user + system CPU */
	uint64_t bytes;			/* data moved (I/O tests) */
	uint64_t ops;			/* chunks, seeks, or files */
	struct bench_hist lat;		/* ns per operation (bonnie++'s unit) */
};

struct bonnie_result {
	uint64_t seed;
	int error;			/* -errno of the failing test */
	int failed;			/* which test, or -1 */
	struct bonnie_test_result t[BON_NTESTS];
};

void bonnie_opts_init(struct bonnie_opts *o);
/* -s size[:chunk[:seeks[:seekers]]] and -n num[:max[:min[:dirs[:chunk]]]] */
int bonnie_parse_size(struct bonnie_opts *o, const char *arg);
int bonnie_parse_files(struct bonnie_opts *o, const char *arg);
const char *bonnie_test_name(enum bonnie_test t);
/* Run every selected test once; r is filled (allocate it on the heap). */
int bonnie_run(const struct bonnie_opts *o, struct bonnie_result *r);
/* bonnie++'s two tables, its CSV line (format 1.98), the CSV header, JSON. */
void bonnie_print_text(FILE *out, const struct bonnie_opts *o, const struct bonnie_result *r);
void bonnie_print_csv(FILE *out, const struct bonnie_opts *o, const struct bonnie_result *r);
void bonnie_print_csv_header(FILE *out);
/* One run as a JSON object: every test's rate, CPU, counts and percentiles. */
void bonnie_print_json(FILE *out, const struct bonnie_opts *o, const struct bonnie_result *r);

/* Monotonic clock in ns. */
uint64_t bench_now_ns(void);

#endif
