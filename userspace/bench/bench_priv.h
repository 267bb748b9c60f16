/* SPDX-License-Identifier: GPL-2.0 */
/* Private to userspace/bench: target ops, I/O engines, worker state. */
#ifndef BLKPRIO_BENCH_PRIV_H
#define BLKPRIO_BENCH_PRIV_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

#include <blkprio/bench.h>

/* target.c */
extern const struct bench_target_ops bench_file_ops;
extern const struct bench_target_ops bench_blockdev_ops;
/* target_img.c, or NULL when the qcow2 library is not built in */
extern const struct bench_target_ops *const bench_img_ops;

/* CPU time, ns (cpu.c) */
struct bench_cpu {
	uint64_t usr_ns, sys_ns;
};

static inline uint64_t bench_xorshift(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

/* A worker's random offsets (offset.c): the map and the distribution's state. */
struct bench_off {
	bool map;			/* every block once a pass (fio's random map) */
	uint64_t *taken, ntaken;	/* the map with sizes drawn per I/O: the
					 * blocks this pass has read or written */
	uint64_t perm_i, perm_key[4];
	unsigned int perm_half;
	uint32_t align[BENCH_NDIR];	/* offsets are multiples of this, */
	uint64_t slots[BENCH_NDIR];	/* and this many fit in the region */
	uint64_t rand_off;		/* spreads the distribution's hot ranks */
	double zetan, eta, alpha;	/* zipf */
	double pareto_pow;
	uint64_t stddev;		/* normal, in blocks */
};

/* A worker's open logs (iolog.c) and their log_avg_msec windows. */
struct bench_log_win {
	uint64_t lat_sum, lat_n, lat_max, lat_last_ms;
	uint64_t bytes, ios;		/* since the last rate entry */
};
struct bench_log {
	bool any;
	FILE *f[BENCH_NLOG];
	uint64_t epoch_ns;		/* time 0 of the entries: counting's start */
	uint64_t rate_prev_ms, rate_last_ms;
	struct bench_log_win win[BENCH_NDIR];
};

/* A worker's steady state figures so far (steady.c). */
struct bench_ss {
	_Atomic uint64_t t0;		/* the job's start, set by its thread */
	uint64_t prev_ns, prev_bytes, prev_ios;
};

/* latency_target's search (lattarget.c): the depth now, the lowest that
 * missed and the highest that met, the window's counts. */
struct bench_lt {
	unsigned int qd, qd_low, qd_high, stable;
	uint64_t t0, ios, failed;
	bool drain;			/* let the I/Os in flight finish first */
	bool final;			/* the last window, counted alone */
	bool done;
};

/* A worker: one copy of a job. */
struct bench_worker {
	const struct bench_job *job;
	struct bench_result *res;
	struct bench_target target;
	unsigned int index;
	unsigned int number;		/* 1.. over the whole run (fio's job number) */
	uint64_t base;			/* where its region starts (offset_increment) */
	uint64_t rng;			/* xorshift state */
	/* offsets: sequential cursor, or a permutation of the blocks, in
	 * units of the smallest I/O (bs when every I/O is bs long) */
	uint64_t nblocks, seq_next;
	uint64_t region;		/* bytes of a pass (size, or the target's) */
	uint64_t span;			/* bytes from base the job may touch */
	bool zoned;			/* zonemode=strided: nblocks is a zone's */
	uint64_t zone_off, zone_bytes;	/* the zone's start from base, I/O in it */
	uint32_t unit, bs_max;		/* the smallest and the largest I/O */
	int64_t hole;			/* rw=NAME:SIZE, in units */
	uint64_t seq_run;		/* rw=randNAME:N: sequential I/Os still to go */
	bool bs_var;			/* sizes drawn per I/O (bsrange, bssplit, bs=R,W) */
	struct bench_off off;		/* random offsets */
	struct bench_log log;
	uint64_t moved, writes_since_sync;
	uint64_t start_ns, deadline_ns;
	uint64_t teardown_ns;		/* the engine's own teardown: not counted */
	uint8_t *written;		/* verify: bitmap of blocks written */
	uint64_t *backlog_offs;		/* verify_backlog: offsets written since */
	uint64_t backlog;		/* the last check, and how many */
	void *vbuf;			/* the verify reads' buffer */
	struct bench_cpu cpu0;		/* the thread's CPU time when counting began */
	struct bench_cpu io_workers0;	/* and its io_uring workers' (ramp_time) */
	uint64_t live_base[BENCH_NDIR][2];	/* bytes and I/Os before ramp_time's end */
	uint64_t ios_done;		/* number_ios: I/Os handed out */
	uint64_t think_count;		/* I/Os since the last think time */
	uint64_t ramp_end_ns;		/* counting starts here (0: counting) */
	uint64_t rate_next_ns[BENCH_NDIR];	/* earliest start of the next I/O */
	struct bench_cpu io_workers;	/* io_uring: its workers' CPU time */
	/* live counters read by the sampler */
	_Atomic uint64_t live_bytes[BENCH_NDIR];
	_Atomic uint64_t live_ios[BENCH_NDIR];
	uint64_t rmin_bytes[BENCH_NDIR], rmin_ios[BENCH_NDIR], rmin_ns[BENCH_NDIR];
					/* rate_min: the last check */
	_Atomic int running;
	_Atomic int started;		/* past set-up and wait_for: doing I/O */
	volatile int *stop;
	volatile int terminate;		/* exitall: another job's end ends this one */
	struct bench_ctl *ctl;
	struct bench_flow *flow;	/* its flow (flow=), NULL: none */
	uint64_t flow_count;		/* the I/Os it has issued in it */
	unsigned int inflight;		/* the queued engines' I/Os in flight */
	bool held;			/* bench_next_io: not now, reap first */
	bool full;			/* fill_device: the file system is full */
	bool cmdprio;			/* priorities per I/O (cmdprio.c) */
	struct bench_ss ss;
	struct bench_lt lt;
	int done_fd;			/* eventfd the worker signals when it ends */
};

/* Random offsets (randread, randwrite, randrw). */
static inline bool bench_rw_random(enum bench_rw rw)
{
	return rw == BENCH_RANDREAD || rw == BENCH_RANDWRITE || rw == BENCH_RANDRW;
}

/* The run is stopped, or the worker is (exitall). */
static inline bool bench_stopped(const struct bench_worker *w)
{
	return (w->stop && *w->stop) || w->terminate;
}

/* A flow_id's jobs (flow.c): the I/Os they issued + 1, their weights. */
struct bench_flow {
	unsigned int id;
	_Atomic uint64_t count;
	_Atomic uint64_t weight;
};

/* The run's control of its jobs (control.c). */
struct bench_ctl {
	struct bench_worker *ws;
	unsigned int n;
	volatile int stop_all;		/* exit_what=all: no phase starts any more */
	bool exitall;			/* any job set it: every job's end counts */
	pthread_mutex_t lock;		/* the ends, for wait_for */
	pthread_cond_t ended;
	struct bench_flow *flows;	/* one per flow_id in use */
	unsigned int nflows;
};
int bench_ctl_init(struct bench_ctl *c, struct bench_worker *ws, unsigned int n);
void bench_ctl_destroy(struct bench_ctl *c);
/* The worker has ended: exitall's terminate, and wake wait_for's waiters. */
void bench_ctl_ended(struct bench_worker *w);
/* wait_for: return when every copy of the job waited for has ended, or stopped. */
void bench_ctl_wait_for(struct bench_worker *w);

/* flow.c: the run's flows (-ENOMEM); a job joins its flow when it starts,
 * leaves it when it ends; bench_flow_over: true when it must not issue now,
 * else its next I/O is counted (w->flow set). */
int bench_flows_init(struct bench_ctl *c);
void bench_flow_join(struct bench_worker *w);
void bench_flow_leave(struct bench_worker *w);
bool bench_flow_over(struct bench_worker *w);

/* cmdprio.c: the options, their checks, the result's priorities (-ENOMEM),
 * an I/O's own priority (-1: the job's), a completion's latency to its
 * priority, a group's sum (-ENOMEM). */
int bench_cmdprio_set_pct(struct bench_job *job, const char *v);
int bench_cmdprio_set_class(struct bench_job *job, const char *v);
int bench_cmdprio_set_level(struct bench_job *job, const char *v);
int bench_cmdprio_set_split(struct bench_job *job, const char *v);
bool bench_cmdprio_used(const struct bench_job *job);
int bench_cmdprio_check(const struct bench_job *job, const char **why);
int bench_cmdprio_default(const struct bench_job *job);
int bench_cmdprio_stats(const struct bench_job *job, struct bench_result *r);
int bench_cmdprio_pick(struct bench_worker *w, enum bench_dir d, uint32_t len);
void bench_cmdprio_done(struct bench_dir_stats *s, int ioprio, uint64_t lat_ns);
int bench_cmdprio_merge(struct bench_dir_stats *dst, const struct bench_dir_stats *src);

/* steady.c: the options; the window of a result that holds one (-ENOMEM);
 * once a second, judge the windows and end the jobs that are steady. */
int bench_ss_set(struct bench_job *job, const char *v);
int bench_ss_dur_set(struct bench_job *job, const char *v);
int bench_ss_check_group(const struct bench_job *jobs, unsigned int n, unsigned int *bad);
int bench_ss_alloc(const struct bench_job *job, struct bench_result *r);
void bench_ss_tick(struct bench_worker *ws, unsigned int n, uint64_t now);

/* numa.c: numa_cpu_nodes, numa_mem_policy; applied to the calling thread. */
int bench_numa_cpu_set(struct bench_job *job, const char *v);
int bench_numa_mem_set(struct bench_job *job, const char *v);
int bench_numa_apply(const struct bench_job *job);

/* pace.c: thinktime, rate caps, rate_min */
void bench_sleep_until(struct bench_worker *w, uint64_t ns);
void bench_think(struct bench_worker *w);
/* Wait for the direction's rate slot; true when it has a cap. */
bool bench_rate_wait(struct bench_worker *w, enum bench_dir dir, uint32_t len);
/* At a completion of dir: 0, or -EIO when the job fell below its minimum. */
int bench_rate_min(struct bench_worker *w, enum bench_dir dir);

/* The clock for an I/O's latency; not read at all under gtod_reduce/disable_lat. */
static inline uint64_t bench_lat_now(const struct bench_worker *w)
{
	return w->job->no_lat ? 0 : bench_now_ns();
}

/* One I/O to do next: direction, offset and length; false when the job is done. */
bool bench_next_io(struct bench_worker *w, enum bench_dir *dir, uint64_t *off, uint32_t *len);
/* Account a finished I/O of len bytes asked (ret: bytes moved or -errno). */
int bench_io_done(struct bench_worker *w, enum bench_dir dir, uint64_t off, void *buf,
		  uint32_t len, ssize_t ret, uint64_t lat_ns, int ioprio);
/* Before a write: fill buf with the pattern (verify) or refresh it. */
void bench_io_prep(struct bench_worker *w, enum bench_dir dir, uint64_t off, void *buf,
		   uint32_t len);

/* bsize.c: bs, bsrange and bssplit by fio's rules; the length of the next
 * I/O of direction d from the random number r. */
int bench_bs_set(struct bench_job *job, const char *v);
int bench_bs_set_range(struct bench_job *job, const char *v);
int bench_bs_set_split(struct bench_job *job, const char *v);
uint32_t bench_bs_pick(const struct bench_job *job, enum bench_dir d, uint64_t r);
/* The text of each of fio's per-direction fields "R,W,T" (v copied into buf). */
int bench_dir_fields(const char *v, char *buf, size_t len, const char *f[3]);

/* offset.c: random_distribution and blockalign; a worker's random offsets
 * (set up once its region is known: -ERANGE for zones past it), the next
 * one for direction d in bytes from the region's start. */
int bench_distr_set(struct bench_job *job, const char *v);
int bench_ba_set(struct bench_job *job, const char *v);
int bench_off_setup(struct bench_worker *w);
uint64_t bench_off_next(struct bench_worker *w, enum bench_dir d);
/* The map with sizes drawn per I/O: the I/O at pos cut, as fio cuts it, to
 * the blocks from pos on that this pass has not had; they are taken. */
uint32_t bench_off_take(struct bench_worker *w, uint64_t pos, uint32_t len);
/* A new pass: every block free again, the permutation from its start. */
void bench_off_reset(struct bench_worker *w);

/* latency_target, max_latency (lattarget.c) */
int bench_lt_set_pct(struct bench_job *job, const char *v);
void bench_lt_init(struct bench_worker *w, uint64_t now);
bool bench_lt_hold(struct bench_worker *w);
int bench_lt_done(struct bench_worker *w, enum bench_dir dir, uint64_t lat_ns);
/* What was counted so far goes, the job's counts start anew (run.c). */
void bench_counts_restart(struct bench_worker *w, uint64_t now);

/* zonemode=strided (zone.c) */
int bench_zone_check(const struct bench_job *job, const char **why);
void bench_zone_setup(struct bench_worker *w);
void bench_zone_step(struct bench_worker *w);
/* iolog.c: open the job's logs (-errno), start their clock (again after
 * ramp_time), log a counted I/O, close them (-EIO when a write failed). */
int bench_log_open(struct bench_worker *w);
void bench_log_start(struct bench_worker *w, uint64_t now);
void bench_log_io(struct bench_worker *w, enum bench_dir d, uint64_t off, uint32_t len,
		  uint64_t lat_ns, int ioprio);
int bench_log_close(struct bench_worker *w);
/* After a completed write: fsync policy. */
int bench_maybe_sync(struct bench_worker *w, bool force);

/* len bytes of pat (plen long) over and over, from buf's start. */
void bench_fill_repeat(void *buf, size_t len, const uint8_t *pat, unsigned int plen);
/* The verify data of a job's block at off (verify_pattern, or the hashed one). */
void bench_verify_fill(const struct bench_job *job, void *buf, uint64_t off);
/* verify_dump: the bad block and the expected one to files (pattern.c) */
int bench_verify_dump(const struct bench_job *job, const void *buf, uint64_t off);
int bench_verify_check(const struct bench_job *job, const void *buf, uint64_t off,
		       uint64_t *bad);

/* The queued engines' slots: a buffer and the I/O in it (slots.c). */
struct bench_slot {
	void *buf;
	uint64_t off, t0;
	uint32_t len;
	enum bench_dir dir;
	int ioprio;			/* its own (cmdprio), -1: the job's */
};
struct bench_slots {
	struct bench_slot *slot;
	unsigned int *free;		/* stack of free slot indexes */
	unsigned int nfree, depth;
};
int bench_slots_init(struct bench_slots *s, const struct bench_worker *w);
void bench_slots_free(struct bench_slots *s);
/* The job's next I/O, prepared in the top free slot (taken); false when the
 * job has no more or no slot is free. */
bool bench_slots_next(struct bench_slots *s, struct bench_worker *w, unsigned int *idx);

int bench_engine_psync(struct bench_worker *w);
int bench_engine_aio(struct bench_worker *w);
int bench_engine_uring(struct bench_worker *w);

/* This thread's CPU time so far. */
void bench_cpu_thread(struct bench_cpu *c);
/* The CPU time of the io_uring workers serving this thread (read them before
 * the ring goes); returns how many there are, or -errno. */
int bench_cpu_io_workers(struct bench_cpu *c);

void *bench_alloc_buf(size_t len);
/* A 64-bit mixing function (splitmix64's finaliser). */
uint64_t bench_mix64(uint64_t x);
/* filesize: where the job's file is to end, given its present size (0: none
 * yet); 0 when the job has no filesize (region.c) */
uint64_t bench_file_end(const struct bench_job *job, uint64_t real);

#endif
