// SPDX-License-Identifier: GPL-2.0
/*
 * Crash consistency: a child (two threads) writes (allocating writes,
 * overwrites, zeroes, discards, flushes) into an image and is killed with
 * SIGKILL at a random moment, many times over the same image; each time `qemu-img check` must
 * find no corruption (leaks are allowed, and `check -r leaks` clears them).
 * With lazy refcounts the image is left dirty and our open repairs it.
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

struct wr {
	struct qcow2 *q;
	unsigned int seed;
};

/* Two of these per writer process: allocations race with each other. */
static void *write_loop(void *arg)
{
	struct wr *w = arg;
	uint8_t *buf = malloc(256 << 10);
	uint64_t size = qcow2_size(w->q), off, len;

	if (!buf)
		_exit(1);
	memset(buf, (int)w->seed, 256 << 10);
	for (;;) {
		int op = rand_r(&w->seed) % 16;

		len = (uint64_t)(rand_r(&w->seed) % (256 << 10)) + 1;
		off = ((uint64_t)rand_r(&w->seed) * 4096) % (size - len);
		if (op < 11)
			qcow2_pwrite(w->q, buf, len, off);
		else if (op < 13)
			qcow2_discard(w->q, off, len);
		else if (op < 14)
			qcow2_write_zeroes(w->q, off, len, QCOW2_ZERO_UNMAP);
		else
			qcow2_flush(w->q);
	}
	return NULL;
}

static void writer(const char *path, unsigned int seed)
{
	struct wr a, b;
	pthread_t th;
	struct qcow2 *q;

	if (qcow2_open(path, 0, &q))
		_exit(1);
	a = (struct wr){ .q = q, .seed = seed };
	b = (struct wr){ .q = q, .seed = seed * 7919 + 1 };
	if (pthread_create(&th, NULL, write_loop, &b))
		_exit(1);
	write_loop(&a);
}

static void crash_loop(struct __test_metadata *_metadata, const char *dir, bool lazy,
		       uint32_t cluster)
{
	char path[128];
	struct qcow2_create_opts o;
	struct timespec ts;
	struct qcow2 *q;
	int i, rc, st;
	pid_t pid;

	if (run("qemu-img --version >/dev/null 2>&1"))
		SKIP(return, "qemu-img not installed");
	snprintf(path, sizeof(path), "%s/c.qcow2", dir);
	qcow2_create_opts_init(&o, 256 << 20);
	o.cluster_size = cluster;
	o.lazy_refcounts = lazy;
	ASSERT_EQ(0, qcow2_create(path, &o, 0));
	srand(42 + cluster);
	for (i = 0; i < 12; i++) {
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid)
			writer(path, (unsigned int)i + 1);
		ts.tv_sec = 0;
		ts.tv_nsec = (long)(rand() % 150 + 5) * 1000000L;
		nanosleep(&ts, NULL);
		kill(pid, SIGKILL);
		ASSERT_EQ(pid, waitpid(pid, &st, 0));
		ASSERT_TRUE(WIFSIGNALED(st)) {
			TH_LOG("writer exited early (status %d)", st);
		}
		if (lazy) {
			/* dirty: our read-write open rebuilds the refcounts */
			ASSERT_EQ(0, qcow2_open(path, 0, &q));
			ASSERT_EQ(0, qcow2_close(q));
		}
		rc = run("qemu-img check -q %s >/dev/null 2>&1", path);
		ASSERT_TRUE(rc == 0 || rc == 3) {
			TH_LOG("round %d: qemu-img check exit %d", i, rc);
			run("qemu-img check %s", path);
		}
		if (rc == 3)
			ASSERT_EQ(0, run("qemu-img check -q -r leaks %s >/dev/null 2>&1 && qemu-img check -q %s",
					 path, path));
	}
}

FIXTURE(tmp) {
	char dir[64];
};

FIXTURE_SETUP(tmp)
{
	strcpy(self->dir, "/tmp/blkprio-qcow2crash.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
}

FIXTURE_TEARDOWN(tmp)
{
	if (run("rm -rf %s", self->dir))
		TH_LOG("cleanup of %s failed", self->dir);
}

TEST_F(tmp, kill_writer_64k)
{
	crash_loop(_metadata, self->dir, false, 65536);
}

TEST_F(tmp, kill_writer_4k)
{
	crash_loop(_metadata, self->dir, false, 4096);
}

TEST_F(tmp, kill_writer_lazy_refcounts)
{
	crash_loop(_metadata, self->dir, true, 65536);
}

TEST_HARNESS_MAIN
