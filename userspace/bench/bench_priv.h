/* SPDX-License-Identifier: GPL-2.0 */
/* Private to userspace/bench: target ops, I/O engines, worker state. */
#ifndef BLKPRIO_BENCH_PRIV_H
#define BLKPRIO_BENCH_PRIV_H

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
	uint32_t unit, bs_max;		/* the smallest and the largest I/O */
	int64_t hole;			/* rw=NAME:SIZE, in units */
	uint64_t seq_run;		/* rw=randNAME:N: sequential I/Os still to go */
	bool bs_var;			/* sizes drawn per I/O (bsrange, bssplit, bs=R,W) */
	struct bench_off off;		/* random offsets */
	struct bench_log log;
	uint64_t moved, writes_since_sync;
	uint64_t start_ns, deadline_ns;
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
	_Atomic int running;
	volatile int *stop;
	volatile int *group_stop;	/* exitall: a job of the group has ended */
	int done_fd;			/* eventfd the worker signals when it ends */
};

/* Random offsets (randread, randwrite, randrw). */
static inline bool bench_rw_random(enum bench_rw rw)
{
	return rw == BENCH_RANDREAD || rw == BENCH_RANDWRITE || rw == BENCH_RANDRW;
}

/* The run is stopped, or the worker's group is (exitall). */
static inline bool bench_stopped(const struct bench_worker *w)
{
	return (w->stop && *w->stop) || (w->group_stop && *w->group_stop);
}

/* The clock for an I/O's latency; not read at all under gtod_reduce/disable_lat. */
static inline uint64_t bench_lat_now(const struct bench_worker *w)
{
	return w->job->no_lat ? 0 : bench_now_ns();
}

/* One I/O to do next: direction, offset and length; false when the job is done. */
bool bench_next_io(struct bench_worker *w, enum bench_dir *dir, uint64_t *off, uint32_t *len);
/* Account a finished I/O of len bytes asked (ret: bytes moved or -errno). */
int bench_io_done(struct bench_worker *w, enum bench_dir dir, uint64_t off, void *buf,
		  uint32_t len, ssize_t ret, uint64_t lat_ns);
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
/* iolog.c: open the job's logs (-errno), start their clock (again after
 * ramp_time), log a counted I/O, close them (-EIO when a write failed). */
int bench_log_open(struct bench_worker *w);
void bench_log_start(struct bench_worker *w, uint64_t now);
void bench_log_io(struct bench_worker *w, enum bench_dir d, uint64_t off, uint32_t len,
		  uint64_t lat_ns);
int bench_log_close(struct bench_worker *w);
/* After a completed write: fsync policy. */
int bench_maybe_sync(struct bench_worker *w, bool force);

/* len bytes of pat (plen long) over and over, from buf's start. */
void bench_fill_repeat(void *buf, size_t len, const uint8_t *pat, unsigned int plen);
/* The verify data of a job's block at off (verify_pattern, or the hashed one). */
void bench_verify_fill(const struct bench_job *job, void *buf, uint64_t off);
int bench_verify_check(const struct bench_job *job, const void *buf, uint64_t off,
		       uint64_t *bad);

/* The queued engines' slots: a buffer and the I/O in it (slots.c). */
struct bench_slot {
	void *buf;
	uint64_t off, t0;
	uint32_t len;
	enum bench_dir dir;
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

#endif
