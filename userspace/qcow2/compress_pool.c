// SPDX-License-Identifier: GPL-2.0
/*
 * The compression pipeline: batches of clusters are filled by the caller,
 * compressed by a pool of worker threads (any batch by any worker), and
 * stored by a single writer thread strictly in submission order, so that
 * compressed clusters are packed back to back and the file stays in guest
 * order. Batches live in a ring of slots indexed by sequence number.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qcow2-int.h"

#define POOL_BATCH	(1u << 20)	/* bytes per batch (or one cluster) */
#define POOL_MAX_THREADS 64
#define CL_ZERO		(-1)		/* all-zero cluster: left unallocated */
#define CL_RAW		0		/* stored uncompressed */

enum slot_state { SLOT_FREE, SLOT_FILLING, SLOT_QUEUED, SLOT_DONE };

struct pool_slot {
	enum slot_state state;
	uint64_t off;
	size_t len;
	uint8_t *in;			/* batch bytes from the caller */
	uint8_t *out;			/* cluster i's compressed data at i * cs */
	ssize_t *csize;			/* per cluster: size, CL_RAW or CL_ZERO */
};

struct qcow2_cpool {
	struct qcow2 *q;
	size_t cs, batch;
	unsigned int nslots, nthreads, started;
	struct pool_slot *slots;
	uint64_t next_fill;		/* sequence of the slot handed out next */
	uint64_t next_work;		/* next queued batch a worker takes */
	uint64_t next_write;		/* next batch the writer stores */
	bool stop;
	int err;
	char why[256];			/* the reason of err, from its thread */
	pthread_mutex_t lock;
	pthread_cond_t work;		/* a batch was queued, or stop */
	pthread_cond_t done;		/* a batch was compressed, or stop */
	pthread_cond_t freed;		/* a slot became free, or an error */
	pthread_t writer;
	pthread_t *th;
};

static struct pool_slot *slot_of(struct qcow2_cpool *p, uint64_t seq)
{
	return &p->slots[seq % p->nslots];
}

static void set_err(struct qcow2_cpool *p, int err)
{
	const char *why = qcow2_last_error();

	if (!p->err) {
		p->err = err;
		snprintf(p->why, sizeof(p->why), "%s", why ? why : strerror(-err));
	}
	pthread_cond_broadcast(&p->freed);
}

static bool is_zero(const uint8_t *b, size_t len)
{
	return !len || (!b[0] && !memcmp(b, b + 1, len - 1));
}

static int compress_slot(struct qcow2_cpool *p, struct qcow2_codec *c, uint8_t *pad,
			 struct pool_slot *s)
{
	size_t i, n = (s->len + p->cs - 1) / p->cs;

	for (i = 0; i < n; i++) {
		const uint8_t *in = s->in + i * p->cs;
		size_t len = s->len - i * p->cs < p->cs ? s->len - i * p->cs : p->cs;
		ssize_t r;

		if (is_zero(in, len)) {
			s->csize[i] = CL_ZERO;
			continue;
		}
		if (len < p->cs) {
			/* the image's last, partial cluster: compressed whole */
			memcpy(pad, in, len);
			memset(pad + len, 0, p->cs - len);
			in = pad;
		}
		r = qcow2_codec_compress(c, in, s->out + i * p->cs);
		if (r < 0)
			return (int)r;
		s->csize[i] = r;
	}
	return 0;
}

static void *pool_worker(void *arg)
{
	struct qcow2_cpool *p = arg;
	struct qcow2_codec *c = NULL;
	struct pool_slot *s;
	uint8_t *pad;
	int err;

	pad = malloc(p->cs);
	err = pad ? qcow2_codec_new(p->q->compression_type, (uint32_t)p->cs, &c) : -ENOMEM;
	pthread_mutex_lock(&p->lock);
	if (err)
		set_err(p, err);
	for (;;) {
		while (p->next_work == p->next_fill && !p->stop)
			pthread_cond_wait(&p->work, &p->lock);
		if (p->next_work == p->next_fill)
			break;
		/* every sequence below next_fill is queued */
		s = slot_of(p, p->next_work++);
		err = p->err;
		pthread_mutex_unlock(&p->lock);
		if (!err)
			err = compress_slot(p, c, pad, s);
		pthread_mutex_lock(&p->lock);
		if (err)
			set_err(p, err);
		s->state = SLOT_DONE;
		pthread_cond_broadcast(&p->done);
	}
	pthread_mutex_unlock(&p->lock);
	qcow2_codec_free(c);
	free(pad);
	return NULL;
}

/* Store one compressed batch: runs of uncompressed clusters in one write. */
static int write_slot(struct qcow2_cpool *p, struct pool_slot *s)
{
	size_t i, n = (s->len + p->cs - 1) / p->cs, run = 0;
	ssize_t w;
	int err = 0;

	for (i = 0; i <= n && !err; i++) {
		if (i < n && s->csize[i] == CL_RAW) {
			run++;
			continue;
		}
		if (run) {
			size_t first = i - run, len = run * p->cs;

			if (first * p->cs + len > s->len)
				len = s->len - first * p->cs;
			w = qcow2_pwrite(p->q, s->in + first * p->cs, len, s->off + first * p->cs);
			if (w < 0)
				err = (int)w;
			run = 0;
		}
		if (!err && i < n && s->csize[i] > 0)
			err = qcow2_store_compressed(p->q, s->off + i * p->cs,
						     s->out + i * p->cs, (size_t)s->csize[i]);
	}
	return err;
}

static void *pool_writer(void *arg)
{
	struct qcow2_cpool *p = arg;
	struct pool_slot *s;
	int err;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		s = slot_of(p, p->next_write);
		while (!(p->next_write < p->next_fill && s->state == SLOT_DONE) &&
		       !(p->stop && p->next_write == p->next_fill))
			pthread_cond_wait(&p->done, &p->lock);
		if (p->next_write == p->next_fill)
			break;
		err = p->err;
		pthread_mutex_unlock(&p->lock);
		if (!err)
			err = write_slot(p, s);
		pthread_mutex_lock(&p->lock);
		if (err)
			set_err(p, err);
		s->state = SLOT_FREE;
		p->next_write++;
		pthread_cond_broadcast(&p->freed);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

static void pool_free(struct qcow2_cpool *p)
{
	unsigned int i;

	for (i = 0; i < p->nslots; i++) {
		free(p->slots[i].in);
		free(p->slots[i].out);
		free(p->slots[i].csize);
	}
	free(p->slots);
	free(p->th);
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->done);
	pthread_cond_destroy(&p->freed);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

/* Stop the threads once everything queued is handled; the first error. */
static int pool_stop(struct qcow2_cpool *p)
{
	unsigned int i;
	int err;

	pthread_mutex_lock(&p->lock);
	p->stop = true;
	pthread_cond_broadcast(&p->work);
	pthread_cond_broadcast(&p->done);
	pthread_mutex_unlock(&p->lock);
	for (i = 0; i < p->started; i++)
		pthread_join(p->th[i], NULL);
	/* wake the writer for the last batches the workers finished */
	pthread_mutex_lock(&p->lock);
	pthread_cond_broadcast(&p->done);
	pthread_mutex_unlock(&p->lock);
	pthread_join(p->writer, NULL);
	err = p->err;
	if (err)
		qcow2_err(err, "%s", p->why);
	pool_free(p);
	return err;
}

int qcow2_cpool_start(struct qcow2 *q, unsigned int threads, struct qcow2_cpool **out)
{
	struct qcow2_cpool *p;
	unsigned int i;
	size_t n;
	int err;

	if (q->read_only)
		return qcow2_err(-EROFS, "image is read-only");
	if (q->crypt_method)
		return qcow2_err(-EINVAL, "Compression and encryption not supported at the same time");
	if (!threads) {
		/* the CPUs this process may run on */
		cpu_set_t set;

		threads = sched_getaffinity(0, sizeof(set), &set) ? 1 : (unsigned int)CPU_COUNT(&set);
	}
	if (threads > POOL_MAX_THREADS)
		threads = POOL_MAX_THREADS;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->q = q;
	p->cs = q->cluster_size;
	p->batch = p->cs > POOL_BATCH ? p->cs : POOL_BATCH;
	p->nthreads = threads;
	p->nslots = 3 * threads + 2;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->done, NULL);
	pthread_cond_init(&p->freed, NULL);
	p->slots = calloc(p->nslots, sizeof(*p->slots));
	p->th = calloc(threads, sizeof(*p->th));
	if (!p->slots || !p->th)
		goto err_nomem;
	n = p->batch / p->cs;
	for (i = 0; i < p->nslots; i++) {
		if (posix_memalign((void **)&p->slots[i].in, 4096, p->batch))
			goto err_nomem;
		p->slots[i].out = malloc(p->batch);
		p->slots[i].csize = calloc(n, sizeof(ssize_t));
		if (!p->slots[i].out || !p->slots[i].csize)
			goto err_nomem;
	}
	err = pthread_create(&p->writer, NULL, pool_writer, p);
	if (err) {
		pool_free(p);
		return -err;
	}
	for (i = 0; i < threads; i++) {
		if (pthread_create(&p->th[i], NULL, pool_worker, p))
			break;
		p->started++;
	}
	if (!p->started) {
		pool_stop(p);
		return -EAGAIN;
	}
	*out = p;
	return 0;
err_nomem:
	pool_free(p);
	return -ENOMEM;
}

size_t qcow2_cpool_batch(const struct qcow2_cpool *p)
{
	return p->batch;
}

void *qcow2_cpool_buffer(struct qcow2_cpool *p)
{
	struct pool_slot *s;

	pthread_mutex_lock(&p->lock);
	s = slot_of(p, p->next_fill);
	while (!p->err && s->state != SLOT_FREE && s->state != SLOT_FILLING)
		pthread_cond_wait(&p->freed, &p->lock);
	if (!p->err)
		s->state = SLOT_FILLING;
	pthread_mutex_unlock(&p->lock);
	return p->err ? NULL : s->in;
}

int qcow2_cpool_submit(struct qcow2_cpool *p, uint64_t off, size_t len)
{
	struct pool_slot *s;
	int err;

	pthread_mutex_lock(&p->lock);
	s = slot_of(p, p->next_fill);
	err = p->err;
	if (!err && (s->state != SLOT_FILLING || !len || len > p->batch ||
		     off & (p->cs - 1) || off + len > p->q->size ||
		     (len & (p->cs - 1) && off + len != p->q->size)))
		err = qcow2_err(-EINVAL, "compression batch at %llu+%zu is invalid",
				(unsigned long long)off, len);
	if (!err) {
		s->off = off;
		s->len = len;
		s->state = SLOT_QUEUED;
		p->next_fill++;
		pthread_cond_broadcast(&p->work);
	}
	pthread_mutex_unlock(&p->lock);
	return err;
}

int qcow2_cpool_finish(struct qcow2_cpool *p)
{
	return pool_stop(p);
}

void qcow2_cpool_abort(struct qcow2_cpool *p)
{
	pthread_mutex_lock(&p->lock);
	set_err(p, -ECANCELED);
	pthread_mutex_unlock(&p->lock);
	pool_stop(p);
}
