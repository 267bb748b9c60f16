// SPDX-License-Identifier: GPL-2.0
/*
 * bonnie++ 2.00's I/O tests on one file Bonnie.PID: per-character write and
 * read with one-byte system calls (on a small size), block write, rewrite
 * (read, change, seek back, write), block read, and random seeks by several
 * threads where one in ten also writes. Bulk tests end with fsync + close,
 * timed, as bonnie++ does. Latency per operation: a chunk of per-char calls,
 * a chunk, a read-modify-write, a seek.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <blkprio/bench.h>

#include "bench_priv.h"
#include "bonnie_priv.h"

double bonnie_cpu_now(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

void bonnie_begin(struct bonnie_ctx *c, enum bonnie_test t, const char *msg)
{
	if (c->o->progress && msg)
		c->o->progress(c->o->arg, msg);
	c->cur = &c->r->t[t];
	bench_hist_init(&c->cur->lat);
	c->t0 = bench_now_ns();
	c->cpu0 = bonnie_cpu_now();
}

void bonnie_end(struct bonnie_ctx *c, const char *msg)
{
	c->cur->elapsed = (bench_now_ns() - c->t0) / 1e9;
	c->cur->cpu = bonnie_cpu_now() - c->cpu0;
	c->cur->ran = true;
	if (c->o->progress && msg)
		c->o->progress(c->o->arg, msg);
}

/* fsync + close, as bonnie++'s Close() does inside every bulk test's time. */
static int sync_close(int fd)
{
	int err = 0;

	if (fsync(fd) < 0)
		err = -errno;
	if (close(fd) < 0 && !err)
		err = -errno;
	return err;
}

static int open_file(struct bonnie_ctx *c, bool create, bool direct)
{
	int fd, flags = O_RDWR | O_CLOEXEC;

	if (create) {
		unlink(c->path);
		flags |= O_CREAT | O_EXCL;
		if (direct)
			flags |= O_DIRECT;
	}
	fd = open(c->path, flags, 0600);
	return fd < 0 ? -errno : fd;
}

static int putc_test(struct bonnie_ctx *c)
{
	uint64_t n = c->o->byte_io_mb << 20, i, t;
	unsigned char ch = 0;
	int fd, err = 0;

	bonnie_begin(c, BON_PUTC, "Writing a byte at a time...");
	fd = open_file(c, true, false);
	if (fd < 0)
		return fd;
	for (i = 0; i < n && !err; ) {
		uint64_t end = i + c->o->chunk < n ? i + c->o->chunk : n;

		t = bench_now_ns();
		for (; i < end; i++, ch++)
			if (write(fd, &ch, 1) != 1) {
				err = errno ? -errno : -ENOSPC;
				break;
			}
		bench_hist_add(&c->cur->lat, bench_now_ns() - t);
		c->cur->ops++;
	}
	c->cur->bytes = i;
	if (!err)
		err = sync_close(fd);
	else
		close(fd);
	bonnie_end(c, "done\n");
	return err;
}

static int getc_test(struct bonnie_ctx *c)
{
	uint64_t n = c->o->byte_io_mb << 20, i, t;
	unsigned char ch;
	ssize_t r = 1;
	int fd, err = 0;

	/* The file left by the block tests is larger than the per-char size. */
	bonnie_begin(c, BON_GETC, "Reading a byte at a time...");
	fd = open_file(c, false, false);
	if (fd < 0)
		return fd;
	for (i = 0; i < n && r == 1; ) {
		uint64_t end = i + c->o->chunk < n ? i + c->o->chunk : n;

		t = bench_now_ns();
		for (; i < end; i++)
			if ((r = read(fd, &ch, 1)) != 1)
				break;
		bench_hist_add(&c->cur->lat, bench_now_ns() - t);
		c->cur->ops++;
	}
	if (r < 0)
		err = -errno;
	else if (r == 0)
		err = -ENODATA;
	c->cur->bytes = i;
	close(fd);
	bonnie_end(c, "done\n");
	return err;
}

static int block_write(struct bonnie_ctx *c, uint8_t *buf)
{
	uint64_t chunks = (c->o->size_mb << 20) / c->o->chunk, i, t;
	int fd, err = 0;

	bonnie_begin(c, BON_PUT_BLOCK, "Writing intelligently...");
	fd = open_file(c, true, c->o->direct);
	if (fd < 0)
		return fd;
	for (i = 0; i < chunks; i++) {
		buf[i % c->o->chunk]++;	/* no two chunks alike */
		t = bench_now_ns();
		if (write(fd, buf, c->o->chunk) != (ssize_t)c->o->chunk) {
			err = errno ? -errno : -ENOSPC;
			break;
		}
		bench_hist_add(&c->cur->lat, bench_now_ns() - t);
		c->cur->bytes += c->o->chunk;
		c->cur->ops++;
	}
	if (!err)
		err = sync_close(fd);
	else
		close(fd);
	bonnie_end(c, "done\n");
	return err;
}

static int rewrite_test(struct bonnie_ctx *c, uint8_t *buf)
{
	uint64_t chunks = (c->o->size_mb << 20) / c->o->chunk, i, t;
	ssize_t n = c->o->chunk;
	int fd, err = 0;

	bonnie_begin(c, BON_REWRITE, "Rewriting...");
	fd = open_file(c, false, false);
	if (fd < 0)
		return fd;
	for (i = 0; i < chunks; i++) {
		t = bench_now_ns();
		if (read(fd, buf, n) != n) {
			err = errno ? -errno : -ENODATA;
			break;
		}
		buf[i % n]--;
		if (lseek(fd, -n, SEEK_CUR) < 0 || write(fd, buf, n) != n) {
			err = errno ? -errno : -ENOSPC;
			break;
		}
		bench_hist_add(&c->cur->lat, bench_now_ns() - t);
		c->cur->bytes += n;
		c->cur->ops++;
	}
	if (!err)
		err = sync_close(fd);
	else
		close(fd);
	bonnie_end(c, "done\n");
	return err;
}

static int block_read(struct bonnie_ctx *c, uint8_t *buf)
{
	uint64_t chunks = (c->o->size_mb << 20) / c->o->chunk, i, t;
	ssize_t n = c->o->chunk;
	int fd, err = 0;

	bonnie_begin(c, BON_GET_BLOCK, "Reading intelligently...");
	fd = open_file(c, false, false);
	if (fd < 0)
		return fd;
	for (i = 0; i < chunks; i++) {
		t = bench_now_ns();
		if (read(fd, buf, n) != n) {
			err = errno ? -errno : -ENODATA;
			break;
		}
		bench_hist_add(&c->cur->lat, bench_now_ns() - t);
		c->cur->bytes += n;
		c->cur->ops++;
	}
	close(fd);
	bonnie_end(c, "done\n");
	return err;
}

/* ---- random seeks: threads take tickets; negative ones also write ---------- */

struct seeker {
	struct bonnie_ctx *c;
	const int64_t *tickets;
	atomic_uint *next;
	struct bench_hist lat;
	uint64_t bytes, ops, start, end;
	int err;
};

static void *seeker_main(void *arg)
{
	struct seeker *s = arg;
	const struct bonnie_opts *o = s->c->o;
	uint64_t chunks = (o->size_mb << 20) / o->chunk, t;
	ssize_t n = o->chunk;
	unsigned int k;
	uint8_t *buf;
	int fd;

	s->start = bench_now_ns();
	buf = bench_alloc_buf(n);
	fd = open(s->c->path, O_RDWR | O_CLOEXEC);
	if (!buf || fd < 0) {
		s->err = buf ? -errno : -ENOMEM;
		goto out;
	}
	while ((k = atomic_fetch_add(s->next, 1)) < o->seeks) {
		int64_t tk = s->tickets[k];
		off_t off = (off_t)((uint64_t)(tk < 0 ? -tk : tk) % chunks) * n;

		t = bench_now_ns();
		if (pread(fd, buf, n, off) != n) {
			s->err = errno ? -errno : -ENODATA;
			break;
		}
		if (tk < 0) {
			buf[(uint64_t)-tk % n]--;
			if (pwrite(fd, buf, n, off) != n) {
				s->err = errno ? -errno : -ENOSPC;
				break;
			}
			if (o->sync_files)
				fsync(fd);
			s->bytes += n;
		}
		bench_hist_add(&s->lat, bench_now_ns() - t);
		s->bytes += n;
		s->ops++;
	}
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	s->end = bench_now_ns();
	return NULL;
}

static int seeks_test(struct bonnie_ctx *c)
{
	const struct bonnie_opts *o = c->o;
	struct seeker *s = calloc(o->seekers, sizeof(*s));
	int64_t *tickets = calloc(o->seeks, sizeof(*tickets));
	pthread_t *tid = calloc(o->seekers, sizeof(*tid));
	uint64_t first = UINT64_MAX, last = 0;
	atomic_uint next = 0;
	unsigned int i, started = 0;
	int err = -ENOMEM;

	if (!s || !tickets || !tid)
		goto out;
	for (i = 0; i < o->seeks; i++) {
		int64_t tk = (int64_t)(bonnie_rand(c) & 0x7fffffff);

		tickets[i] = tk % 10 == 0 ? -tk : tk;	/* one in ten writes back */
	}
	bonnie_begin(c, BON_SEEKS, "start 'em...");
	for (i = 0; i < o->seekers; i++) {
		s[i].c = c;
		s[i].tickets = tickets;
		s[i].next = &next;
		bench_hist_init(&s[i].lat);
		if (pthread_create(&tid[i], NULL, seeker_main, &s[i]))
			break;
		started++;
	}
	err = 0;
	for (i = 0; i < started; i++) {
		pthread_join(tid[i], NULL);
		if (c->o->progress)
			c->o->progress(c->o->arg, "done...");
		bench_hist_merge(&c->cur->lat, &s[i].lat);
		c->cur->bytes += s[i].bytes;
		c->cur->ops += s[i].ops;
		if (s[i].start < first)
			first = s[i].start;
		if (s[i].end > last)
			last = s[i].end;
		if (s[i].err && !err)
			err = s[i].err;
	}
	if (started < o->seekers && !err)
		err = -EAGAIN;
	bonnie_end(c, "\n");
	/* From the first thread's start to the last one's end. */
	if (started)
		c->cur->elapsed = (last - first) / 1e9;
out:
	free(tid);
	free(tickets);
	free(s);
	return err;
}

static int io_tests(struct bonnie_ctx *c)
{
	uint8_t *buf = bench_alloc_buf(c->o->chunk);
	int err = 0;

	if (!buf)
		return -ENOMEM;
	bench_pattern_fill(buf, c->o->chunk, 0, c->r->seed);
	snprintf(c->path, sizeof(c->path), "%s/Bonnie.%d", c->o->dir, (int)getpid());
	if (!c->o->no_byte_io && (err = putc_test(c)))
		goto fail;
	if ((err = block_write(c, buf)))
		goto fail;
	if ((err = rewrite_test(c, buf)))
		goto fail;
	if (!c->o->no_byte_io && (err = getc_test(c)))
		goto fail;
	if ((err = block_read(c, buf)))
		goto fail;
	err = seeks_test(c);
fail:
	if (err)
		c->r->failed = (int)(c->cur - c->r->t);
	unlink(c->path);
	free(buf);
	return err;
}

uint64_t bonnie_rand(struct bonnie_ctx *c)
{
	uint64_t x = c->rng;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return c->rng = x;
}

int bonnie_run(const struct bonnie_opts *o, struct bonnie_result *r)
{
	struct bonnie_ctx c = { .o = o, .r = r };
	int err = 0;

	memset(r, 0, sizeof(*r));
	r->failed = -1;
	r->seed = o->seed_set ? o->seed : (uint32_t)((uint64_t)getpid() ^ bench_now_ns());
	c.rng = r->seed * 0x9e3779b97f4a7c15ULL | 1;
	if (o->size_mb && (o->size_mb << 20) / o->chunk >= 1)
		err = io_tests(&c);
	if (!err && o->files)
		err = bonnie_file_tests(&c);
	r->error = err;
	return err;
}
