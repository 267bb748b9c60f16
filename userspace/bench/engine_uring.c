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

struct uring_state {
	struct io_uring ring;
	struct bench_slots s;
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
	int err = bench_slots_init(&u->s, w);

	if (err)
		return err;
	err = -EINVAL;
	for (i = 0; i < sizeof(uring_flags) / sizeof(uring_flags[0]) && err == -EINVAL; i++)
		err = io_uring_queue_init(u->s.depth, &u->ring, uring_flags[i]);
	if (err)
		return err;
	u->cqes = calloc(u->s.depth, sizeof(*u->cqes));
	return u->cqes ? 0 : -ENOMEM;
}

static void uring_teardown(struct uring_state *u)
{
	bench_slots_free(&u->s);
	free(u->cqes);
	if (u->ring.ring_fd > 0)
		io_uring_queue_exit(&u->ring);
}

/* Queue as many new I/Os as there are free slots; returns how many. */
static unsigned int uring_fill(struct uring_state *u, struct bench_worker *w,
			       unsigned int *queued, bool *more)
{
	struct io_uring_sqe *sqe;
	struct bench_slot *s;
	unsigned int n = 0, idx;

	/* the ring has depth entries: one for each slot, never short of one */
	while (*more && u->s.nfree) {
		if (!bench_slots_next(&u->s, w, &idx)) {
			*more = w->held;
			break;
		}
		s = &u->s.slot[idx];
		sqe = io_uring_get_sqe(&u->ring);
		if (s->dir == BENCH_DIR_READ)
			io_uring_prep_read(sqe, w->target.fd, s->buf, s->len, s->off);
		else
			io_uring_prep_write(sqe, w->target.fd, s->buf, s->len, s->off);
		if (s->ioprio >= 0)
			sqe->ioprio = (uint16_t)s->ioprio;
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
	queued = calloc(u.s.depth, sizeof(*queued));
	if (!queued) {
		err = -ENOMEM;
		goto out;
	}
	for (;;) {
		n = uring_fill(&u, w, queued, &more);
		if (n) {
			now = bench_lat_now(w);
			for (i = 0; i < n; i++)
				u.s.slot[queued[i]].t0 = now;
			inflight += n;
		}
		if (!inflight)
			break;
		ret = io_uring_submit_and_wait(&u.ring, 1);
		if (ret < 0 && ret != -EINTR && ret != -EAGAIN) {
			err = ret;
			break;
		}
		got = io_uring_peek_batch_cqe(&u.ring, u.cqes, u.s.depth);
		now = bench_lat_now(w);
		for (i = 0; i < got; i++) {
			unsigned int idx = (unsigned int)io_uring_cqe_get_data64(u.cqes[i]);
			struct bench_slot *s = &u.s.slot[idx];

			if (bench_io_done(w, s->dir, s->off, s->buf, s->len, u.cqes[i]->res,
					  now - s->t0, s->ioprio))
				more = false;
			u.s.free[u.s.nfree++] = idx;
		}
		io_uring_cq_advance(&u.ring, got);
		inflight -= got;
	}
	free(queued);
	bench_cpu_io_workers(&w->io_workers);	/* they go with the ring */
out:
	now = bench_now_ns();
	uring_teardown(&u);
	w->teardown_ns = bench_now_ns() - now;
	return err;
}
