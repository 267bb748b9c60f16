// SPDX-License-Identifier: GPL-2.0
/*
 * The libaio engine: Linux native AIO (io_submit/io_getevents, called
 * directly), iodepth I/Os in flight as fio's libaio keeps them. Each I/O is
 * timed from just before the io_submit that carries it to its reaping.
 * Without O_DIRECT the kernel does buffered AIO synchronously in io_submit,
 * as it does for fio.
 */
#include <errno.h>
#include <linux/aio_abi.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bench_priv.h"

#ifndef IOCB_FLAG_IOPRIO
#define IOCB_FLAG_IOPRIO (1 << 1)
#endif

struct aio_state {
	aio_context_t ctx;
	struct bench_slots s;
	struct iocb *cbs;		/* one per slot */
	struct iocb **queue;
	struct io_event *events;
};

static int aio_setup(struct aio_state *a, const struct bench_worker *w)
{
	int err = bench_slots_init(&a->s, w);

	if (err)
		return err;
	a->cbs = calloc(a->s.depth, sizeof(*a->cbs));
	a->queue = calloc(a->s.depth, sizeof(*a->queue));
	a->events = calloc(a->s.depth, sizeof(*a->events));
	if (!a->cbs || !a->queue || !a->events)
		return -ENOMEM;
	if (syscall(SYS_io_setup, a->s.depth, &a->ctx) < 0) {
		a->ctx = 0;
		return -errno;
	}
	return 0;
}

static void aio_teardown(struct aio_state *a)
{
	if (a->ctx)
		syscall(SYS_io_destroy, a->ctx);
	bench_slots_free(&a->s);
	free(a->cbs);
	free(a->queue);
	free(a->events);
}

/* Prepare as many new I/Os as there are free slots; returns how many. */
static unsigned int aio_fill(struct aio_state *a, struct bench_worker *w, bool *more)
{
	unsigned int n = 0, idx;
	struct bench_slot *s;
	struct iocb *cb;

	while (*more && a->s.nfree) {
		if (!bench_slots_next(&a->s, w, &idx)) {
			*more = w->held;
			break;
		}
		s = &a->s.slot[idx];
		cb = &a->cbs[idx];
		memset(cb, 0, sizeof(*cb));
		cb->aio_data = idx;
		cb->aio_lio_opcode = s->dir == BENCH_DIR_READ ? IOCB_CMD_PREAD : IOCB_CMD_PWRITE;
		cb->aio_fildes = (uint32_t)w->target.fd;
		cb->aio_buf = (uint64_t)(uintptr_t)s->buf;
		cb->aio_nbytes = s->len;
		cb->aio_offset = (int64_t)s->off;
		if (s->ioprio >= 0) {
			cb->aio_reqprio = (int16_t)s->ioprio;
			cb->aio_flags |= IOCB_FLAG_IOPRIO;
		}
		a->queue[n++] = cb;
	}
	return n;
}

/* Submit n iocbs, all of them (io_submit may take fewer than asked). */
static int aio_submit(struct aio_state *a, unsigned int n, uint64_t now)
{
	unsigned int done = 0, i;
	long ret;

	for (i = 0; i < n; i++)
		a->s.slot[a->queue[i]->aio_data].t0 = now;
	while (done < n) {
		ret = syscall(SYS_io_submit, a->ctx, (long)(n - done), a->queue + done);
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret < 0)
			return -errno;
		if (!ret)
			return -EAGAIN;
		done += (unsigned int)ret;
	}
	return 0;
}

int bench_engine_aio(struct bench_worker *w)
{
	struct aio_state a;
	unsigned int inflight = 0, n;
	bool more = true;
	uint64_t now;
	long got, i;
	int err;

	memset(&a, 0, sizeof(a));
	err = aio_setup(&a, w);
	if (err)
		goto out;
	for (;;) {
		n = aio_fill(&a, w, &more);
		if (n) {
			err = aio_submit(&a, n, bench_lat_now(w));
			if (err)
				break;	/* teardown's io_destroy waits for those in flight */
			inflight += n;
		}
		if (!inflight)
			break;
		got = syscall(SYS_io_getevents, a.ctx, 1L, (long)a.s.depth, a.events, NULL);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			err = -errno;
			break;
		}
		now = bench_lat_now(w);
		for (i = 0; i < got; i++) {
			unsigned int idx = (unsigned int)a.events[i].data;
			struct bench_slot *s = &a.s.slot[idx];

			if (bench_io_done(w, s->dir, s->off, s->buf, s->len,
					  (ssize_t)a.events[i].res, now - s->t0, s->ioprio))
				more = false;
			a.s.free[a.s.nfree++] = idx;
		}
		inflight -= (unsigned int)got;
	}
out:
	/* io_destroy waits out a grace period (28 ms here): not the job's time */
	now = bench_now_ns();
	aio_teardown(&a);
	w->teardown_ns = bench_now_ns() - now;
	return err;
}
