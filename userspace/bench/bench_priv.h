/* SPDX-License-Identifier: GPL-2.0 */
/* Private to userspace/bench: target ops, I/O engines, worker state. */
#ifndef BLKPRIO_BENCH_PRIV_H
#define BLKPRIO_BENCH_PRIV_H

#include <stdatomic.h>

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

/* A worker: one copy of a job. */
struct bench_worker {
	const struct bench_job *job;
	struct bench_result *res;
	struct bench_target target;
	unsigned int index;
	uint64_t rng;			/* xorshift state */
	/* offsets: sequential cursor, or a permutation of the blocks */
	uint64_t nblocks, seq_next;
	uint64_t perm_i, perm_key[4];
	unsigned int perm_half;
	uint64_t moved, writes_since_sync;
	uint64_t start_ns, deadline_ns;
	uint8_t *written;		/* verify: bitmap of blocks written */
	struct bench_cpu io_workers;	/* io_uring: its workers' CPU time */
	/* live counters read by the sampler */
	_Atomic uint64_t live_bytes[BENCH_NDIR];
	_Atomic uint64_t live_ios[BENCH_NDIR];
	_Atomic int running;
	volatile int *stop;
	int done_fd;			/* eventfd the worker signals when it ends */
};

/* One I/O to do next: direction and offset; false when the job is done. */
bool bench_next_io(struct bench_worker *w, enum bench_dir *dir, uint64_t *off);
/* Account a finished I/O (bytes moved or -errno). */
int bench_io_done(struct bench_worker *w, enum bench_dir dir, uint64_t off, void *buf,
		  ssize_t ret, uint64_t lat_ns);
/* Before a write: fill buf with the pattern (verify) or refresh it. */
void bench_io_prep(struct bench_worker *w, enum bench_dir dir, uint64_t off, void *buf);
/* After a completed write: fsync policy. */
int bench_maybe_sync(struct bench_worker *w, bool force);

int bench_engine_psync(struct bench_worker *w);
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
