// SPDX-License-Identifier: GPL-2.0
/*
 * The io_uring engine (liburing): keep iodepth I/Os in flight. Each I/O is
 * timed from just before the submit call that carries it to the moment its
 * completion is reaped.
 */
#include <errno.h>
#include <liburing.h>
#include <stdlib.h>
#include <string.h>

#include "bench_priv.h"

struct uring_slot {
	void *buf;
	uint64_t off;
	uint64_t t0;
	enum bench_dir dir;
};

struct uring_state {
	struct io_uring ring;
	struct uring_slot *slots;
	unsigned int *free;		/* stack of free slot indexes */
	unsigned int nfree, depth;
	struct io_uring_cqe **cqes;
};

/*
 * Where the kernel completes an I/O in a worker (a file without non-blocking
 * reads, such as tmpfs, sends every request to io-wq), the completion reaches
 * this thread as task work. By default each one interrupts the thread; with
 * DEFER_TASKRUN they wait until the thread asks for completions, and a batch
 * costs one entry into the kernel (2.5x the IOPS on a cached tmpfs file).
 * Older kernels refuse the flags: fall back to COOP_TASKRUN, then to none.
 */
static const unsigned int uring_flags[] = {
	IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
	IORING_SETUP_COOP_TASKRUN,
	0,
};

static int uring_setup(struct uring_state *u, struct bench_worker *w)
{
	unsigned int i;
	int err = -EINVAL;

	u->depth = w->job->iodepth ? w->job->iodepth : 1;
	for (i = 0; i < sizeof(uring_flags) / sizeof(uring_flags[0]) && err == -EINVAL; i++)
		err = io_uring_queue_init(u->depth, &u->ring, uring_flags[i]);
	if (err)
		return err;
	u->slots = calloc(u->depth, sizeof(*u->slots));
	u->free = calloc(u->depth, sizeof(*u->free));
	u->cqes = calloc(u->depth, sizeof(*u->cqes));
	if (!u->slots || !u->free || !u->cqes)
		return -ENOMEM;
	for (i = 0; i < u->depth; i++) {
		u->slots[i].buf = bench_alloc_buf(w->job->bs);
		if (!u->slots[i].buf)
			return -ENOMEM;
		bench_pattern_fill(u->slots[i].buf, w->job->bs, i, w->rng);
		u->free[u->nfree++] = i;
	}
	return 0;
}

static void uring_teardown(struct uring_state *u)
{
	unsigned int i;

	if (u->slots)
		for (i = 0; i < u->depth; i++)
			free(u->slots[i].buf);
	free(u->slots);
	free(u->free);
	free(u->cqes);
	if (u->ring.ring_fd > 0)
		io_uring_queue_exit(&u->ring);
}

/* Queue as many new I/Os as there are free slots; returns how many. */
static unsigned int uring_fill(struct uring_state *u, struct bench_worker *w,
			       unsigned int *queued, bool *more)
{
	struct io_uring_sqe *sqe;
	struct uring_slot *s;
	unsigned int n = 0, idx;

	while (*more && u->nfree) {
		idx = u->free[u->nfree - 1];
		s = &u->slots[idx];
		if (!bench_next_io(w, &s->dir, &s->off)) {
			*more = false;
			break;
		}
		sqe = io_uring_get_sqe(&u->ring);
		if (!sqe)
			break;
		u->nfree--;
		bench_io_prep(w, s->dir, s->off, s->buf);
		if (s->dir == BENCH_DIR_READ)
			io_uring_prep_read(sqe, w->target.fd, s->buf, w->job->bs, s->off);
		else
			io_uring_prep_write(sqe, w->target.fd, s->buf, w->job->bs, s->off);
		io_uring_sqe_set_data64(sqe, idx);
		queued[n++] = idx;
	}
	return n;
}

int bench_engine_uring(struct bench_worker *w)
{
	struct uring_state u;
	unsigned int *queued, inflight = 0, n, i, got;
	bool more = true;
	uint64_t now;
	int err, ret;

	memset(&u, 0, sizeof(u));
	u.ring.ring_fd = -1;
	err = uring_setup(&u, w);
	if (err)
		goto out;
	queued = calloc(u.depth, sizeof(*queued));
	if (!queued) {
		err = -ENOMEM;
		goto out;
	}
	for (;;) {
		n = uring_fill(&u, w, queued, &more);
		if (n) {
			now = bench_now_ns();
			for (i = 0; i < n; i++)
				u.slots[queued[i]].t0 = now;
			inflight += n;
		}
		if (!inflight)
			break;
		ret = io_uring_submit_and_wait(&u.ring, 1);
		if (ret < 0 && ret != -EINTR && ret != -EAGAIN) {
			err = ret;
			break;
		}
		got = io_uring_peek_batch_cqe(&u.ring, u.cqes, u.depth);
		now = bench_now_ns();
		for (i = 0; i < got; i++) {
			unsigned int idx = (unsigned int)io_uring_cqe_get_data64(u.cqes[i]);
			struct uring_slot *s = &u.slots[idx];

			if (bench_io_done(w, s->dir, s->off, s->buf, u.cqes[i]->res,
					  now - s->t0))
				more = false;
			u.free[u.nfree++] = idx;
		}
		io_uring_cq_advance(&u.ring, got);
		inflight -= got;
	}
	free(queued);
	bench_cpu_io_workers(&w->io_workers);	/* they go with the ring */
out:
	uring_teardown(&u);
	return err;
}
