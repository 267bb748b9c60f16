// SPDX-License-Identifier: GPL-2.0
/*
 * Backing chains in the library: two threads writing interleaved 4 KiB
 * blocks into the same unallocated clusters of an overlay (each partial
 * write copies the rest of its cluster from the base while the other
 * thread writes into it) lose nothing; version 2 overlays (no zero flag)
 * read zeros after write zeroes and discard; a loop in a chain is -ELOOP
 * with a reason; the base is opened read-only; a writer killed with SIGKILL
 * leaves a consistent overlay. qemu-img check is the oracle for the images
 * when it is installed.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <blkprio/qcow2.h>

/* the harness longjmps around its own locals */
#pragma GCC diagnostic ignored "-Wclobbered"
#include "kselftest_harness.h"
#include "testlib.h"

#define BLK	4096u
#define SIZE	(16u << 20)
#define NBLK	(SIZE / BLK)

static uint8_t base_byte(uint64_t blk)
{
	return (uint8_t)(0x5a ^ blk);
}

static uint8_t thread_byte(unsigned int t, uint64_t blk)
{
	return (uint8_t)((t + 1) * 0x11 ^ (blk >> 1) ^ 0x80);
}

FIXTURE(chain) {
	char dir[64];
	char base[128];
	char top[128];
};

/* A base with a byte pattern in every block, and an empty overlay. */
static void make_chain(struct __test_metadata *_metadata, FIXTURE_DATA(chain) *self,
		       int version)
{
	struct qcow2_create_opts o;
	struct qcow2 *q;
	uint8_t *buf;
	uint64_t b;

	qcow2_create_opts_init(&o, SIZE);
	ASSERT_EQ(0, qcow2_create(self->base, &o, 0));
	ASSERT_EQ(0, qcow2_open(self->base, 0, &q));
	buf = malloc(SIZE);
	ASSERT_NE(NULL, buf);
	for (b = 0; b < NBLK; b++)
		memset(buf + b * BLK, base_byte(b), BLK);
	ASSERT_EQ((ssize_t)SIZE, qcow2_pwrite(q, buf, SIZE, 0));
	ASSERT_EQ(0, qcow2_close(q));
	free(buf);
	qcow2_create_opts_init(&o, 0);		/* size from the base */
	o.version = version;
	o.backing_file = "base.qcow2";		/* relative to the overlay */
	o.backing_fmt = "qcow2";
	ASSERT_EQ(0, qcow2_create(self->top, &o, 0));
}

FIXTURE_SETUP(chain)
{
	strcpy(self->dir, "/tmp/blkprio-qcow2bk.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(self->base, sizeof(self->base), "%s/base.qcow2", self->dir);
	snprintf(self->top, sizeof(self->top), "%s/top.qcow2", self->dir);
}

FIXTURE_TEARDOWN(chain)
{
	if (run("rm -rf %s", self->dir))
		TH_LOG("cleanup of %s failed", self->dir);
}

struct writer {
	struct qcow2 *q;
	unsigned int t;
	int err;
};

/* Thread t writes the blocks b with b % 2 == t of the first half, shuffled. */
static void *write_blocks(void *arg)
{
	struct writer *w = arg;
	uint32_t order[NBLK / 4], i, j, tmp, n = 0, seed = w->t + 7;
	uint8_t buf[BLK];

	for (i = w->t; i < NBLK / 2; i += 2)
		order[n++] = i;
	for (i = n - 1; i > 0; i--) {
		j = rand_r(&seed) % (i + 1);
		tmp = order[i];
		order[i] = order[j];
		order[j] = tmp;
	}
	for (i = 0; i < n; i++) {
		memset(buf, thread_byte(w->t, order[i]), BLK);
		if (qcow2_pwrite(w->q, buf, BLK, (uint64_t)order[i] * BLK) != BLK) {
			w->err = -EIO;
			break;
		}
	}
	return NULL;
}

static void check_content(struct __test_metadata *_metadata, struct qcow2 *q)
{
	uint8_t *buf = malloc(SIZE), want;
	uint64_t b, i;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ((ssize_t)SIZE, qcow2_pread(q, buf, SIZE, 0));
	for (b = 0; b < NBLK; b++) {
		want = b < NBLK / 2 ? thread_byte(b & 1, b) : base_byte(b);
		for (i = 0; i < BLK; i++)
			if (buf[b * BLK + i] != want)
				break;
		ASSERT_EQ(BLK, i) {
			TH_LOG("block %llu byte %llu: %#x, want %#x", (unsigned long long)b,
			       (unsigned long long)i, buf[b * BLK + i], want);
		}
	}
	free(buf);
}

TEST_F(chain, racing_partial_writes_copy_from_base)
{
	struct writer w[2];
	pthread_t th;
	struct qcow2 *q;
	char sum[2][64];
	FILE *f;

	make_chain(_metadata, self, 3);
	snprintf(sum[0], sizeof(sum[0]), "md5sum < %s", self->base);
	f = popen(sum[0], "r");
	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(sum[0], sizeof(sum[0]), f));
	pclose(f);
	ASSERT_EQ(0, qcow2_open(self->top, 0, &q));
	w[0] = (struct writer){ .q = q, .t = 0 };
	w[1] = (struct writer){ .q = q, .t = 1 };
	ASSERT_EQ(0, pthread_create(&th, NULL, write_blocks, &w[1]));
	write_blocks(&w[0]);
	pthread_join(th, NULL);
	ASSERT_EQ(0, w[0].err);
	ASSERT_EQ(0, w[1].err);
	check_content(_metadata, q);
	ASSERT_EQ(0, qcow2_close(q));
	ASSERT_EQ(0, qcow2_open(self->top, QCOW2_O_RDONLY, &q));
	check_content(_metadata, q);
	ASSERT_EQ(0, qcow2_close(q));
	/* the base did not change */
	snprintf(sum[1], sizeof(sum[1]), "md5sum < %s", self->base);
	f = popen(sum[1], "r");
	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(sum[1], sizeof(sum[1]), f));
	pclose(f);
	ASSERT_STREQ(sum[0], sum[1]);
	if (run("qemu-img --version >/dev/null 2>&1"))
		SKIP(return, "qemu-img not installed (content checked, not the metadata)");
	ASSERT_EQ(0, run("qemu-img check -q %s", self->top));
}

TEST_F(chain, v2_overlay_zeroes_hide_the_base)
{
	uint8_t *buf = malloc(1 << 20);
	struct qcow2_extent e;
	struct qcow2 *q;
	uint64_t i;

	ASSERT_NE(NULL, buf);
	make_chain(_metadata, self, 2);
	ASSERT_EQ(0, qcow2_open(self->top, 0, &q));
	/* whole clusters, partial clusters, and both */
	ASSERT_EQ(0, qcow2_write_zeroes(q, 1 << 20, 1 << 20, QCOW2_ZERO_UNMAP));
	ASSERT_EQ(0, qcow2_discard(q, (3 << 20) + 1000, 200000));
	ASSERT_EQ(1 << 20, qcow2_pread(q, buf, 1 << 20, 1 << 20));
	for (i = 0; i < (1 << 20); i++)
		ASSERT_EQ(0, buf[i]);
	ASSERT_EQ(200000, qcow2_pread(q, buf, 200000, (3 << 20) + 1000));
	for (i = 0; i < 200000; i++)
		ASSERT_EQ(0, buf[i]);
	ASSERT_EQ(1, qcow2_pread(q, buf, 1, (3 << 20) + 999));
	ASSERT_EQ(base_byte(((3 << 20) + 999) / BLK), buf[0]);
	/* what is left unallocated still comes from the base, at depth 1 */
	ASSERT_EQ(0, qcow2_block_status(q, 8 << 20, 1 << 20, &e));
	ASSERT_EQ(1, e.depth);
	ASSERT_EQ(QCOW2_EXT_DATA, e.type);
	ASSERT_EQ(0, qcow2_close(q));
	free(buf);
	if (!run("qemu-img --version >/dev/null 2>&1"))
		ASSERT_EQ(0, run("qemu-img check -q %s", self->top));
}

TEST_F(chain, v3_discard_over_base_reads_zeros)
{
	uint8_t buf[4096];
	struct qcow2 *q;
	unsigned int i;

	make_chain(_metadata, self, 3);
	ASSERT_EQ(0, qcow2_open(self->top, 0, &q));
	ASSERT_EQ(0, qcow2_discard(q, 0, 1 << 20));
	ASSERT_EQ(4096, qcow2_pread(q, buf, 4096, 65536));
	for (i = 0; i < 4096; i++)
		ASSERT_EQ(0, buf[i]);
	ASSERT_EQ(0, qcow2_close(q));
}

TEST_F(chain, loop_is_eloop_with_a_reason)
{
	struct qcow2_create_opts o;
	struct qcow2 *q = NULL;
	char a[160], b[160];
	const char *why;

	snprintf(a, sizeof(a), "%s/a.qcow2", self->dir);
	snprintf(b, sizeof(b), "%s/b.qcow2", self->dir);
	qcow2_create_opts_init(&o, 1 << 20);
	o.backing_fmt = "qcow2";
	o.backing_file = "b.qcow2";
	ASSERT_EQ(0, qcow2_create(a, &o, QCOW2_CREATE_UNSAFE));
	o.backing_file = "a.qcow2";
	ASSERT_EQ(0, qcow2_create(b, &o, QCOW2_CREATE_UNSAFE));
	/* not unsafe: recreating a on b (whose backing file is a) is a loop */
	o.backing_file = "b.qcow2";
	ASSERT_EQ(-ELOOP, qcow2_create(a, &o, 0));
	ASSERT_EQ(-ELOOP, qcow2_open(a, QCOW2_O_RDONLY, &q));
	why = qcow2_last_error();
	ASSERT_NE(NULL, why);
	ASSERT_NE(NULL, strstr(why, "infinite loop"));
	/* without the chain, the image itself opens */
	ASSERT_EQ(0, qcow2_open(a, QCOW2_O_RDONLY | QCOW2_O_NO_BACKING, &q));
	ASSERT_EQ(0, qcow2_close(q));
}

/* Random writes of any size (mostly partial clusters) and discards. */
static void *overlay_loop(void *arg)
{
	struct writer *w = arg;
	unsigned int seed = w->t * 7919 + 13;
	uint8_t *buf = malloc(200000);
	uint64_t off, len;

	if (!buf)
		_exit(1);
	memset(buf, (int)w->t + 0x40, 200000);
	for (;;) {
		len = (uint64_t)(rand_r(&seed) % 200000) + 1;
		off = ((uint64_t)rand_r(&seed) * 512) % (SIZE - len);
		if (rand_r(&seed) % 8)
			qcow2_pwrite(w->q, buf, len, off);
		else
			qcow2_discard(w->q, off, len);
	}
	return NULL;
}

/* SIGKILL a process writing into an overlay: its metadata stays consistent. */
TEST_F(chain, kill_overlay_writer)
{
	struct writer w[2];
	struct timespec ts;
	struct qcow2 *q;
	pthread_t th;
	int i, rc, st;
	pid_t pid;

	if (run("qemu-img --version >/dev/null 2>&1"))
		SKIP(return, "qemu-img not installed");
	make_chain(_metadata, self, 3);
	srand(7);
	for (i = 0; i < 6; i++) {
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid) {
			if (qcow2_open(self->top, 0, &q))
				_exit(1);
			w[0] = (struct writer){ .q = q, .t = (unsigned int)i * 2 };
			w[1] = (struct writer){ .q = q, .t = (unsigned int)i * 2 + 1 };
			if (pthread_create(&th, NULL, overlay_loop, &w[1]))
				_exit(1);
			overlay_loop(&w[0]);
		}
		ts.tv_sec = 0;
		ts.tv_nsec = (long)(rand() % 100 + 5) * 1000000L;
		nanosleep(&ts, NULL);
		kill(pid, SIGKILL);
		ASSERT_EQ(pid, waitpid(pid, &st, 0));
		ASSERT_TRUE(WIFSIGNALED(st));
		rc = run("qemu-img check -q %s >/dev/null 2>&1", self->top);
		ASSERT_TRUE(rc == 0 || rc == 3) {
			TH_LOG("round %d: qemu-img check exit %d", i, rc);
		}
		if (rc == 3)
			ASSERT_EQ(0, run("qemu-img check -q -r leaks %s >/dev/null 2>&1", self->top));
	}
	ASSERT_EQ(0, run("qemu-img check -q %s", self->base));
}

TEST_HARNESS_MAIN
