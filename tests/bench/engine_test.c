// SPDX-License-Identifier: GPL-2.0
/* The bench engine: histogram accuracy, verify, engines and depths, jobs. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <string.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include <unistd.h>

#include <blkprio/bench.h>

#include "../../userspace/bench/bench_priv.h"	/* bench_bs_pick */

/* The harness compares with int literals; our counters are unsigned. */
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wclobbered"
#pragma GCC diagnostic ignored "-Wmissing-prototypes"

#include "kselftest_harness.h"

TEST(hist_error_under_one_percent)
{
	static struct bench_hist h;
	uint64_t v, got;
	double err, worst = 0;

	for (v = 1; v < (1ull << 40); v = v * 9 / 8 + 1) {
		got = bench_hist_value(bench_hist_index(v));
		err = (double)(got > v ? got - v : v - got) / (double)v;
		if (err > worst)
			worst = err;
	}
	EXPECT_LT(worst, 0.01);
	bench_hist_init(&h);
	for (v = 1; v <= 100000; v++)
		bench_hist_add(&h, v * 1000);	/* 1 us .. 100 ms uniform */
	EXPECT_EQ(h.count, 100000);
	EXPECT_EQ(h.min, 1000);
	EXPECT_EQ(h.max, 100000000);
	got = bench_hist_percentile(&h, 50);
	EXPECT_LT(got > 50000000 ? got - 50000000 : 50000000 - got, 500000);
	got = bench_hist_percentile(&h, 99);
	EXPECT_LT(got > 99000000 ? got - 99000000 : 99000000 - got, 990000);
	EXPECT_EQ(bench_hist_percentile(&h, 100), 100000000);
	EXPECT_LT(bench_hist_mean(&h) - 50000500.0, 1.0);
	EXPECT_GT(bench_hist_mean(&h) - 50000500.0, -1.0);
}

TEST(hist_merge)
{
	static struct bench_hist a, b;

	bench_hist_init(&a);
	bench_hist_init(&b);
	bench_hist_add(&a, 10);
	bench_hist_add(&b, 1000000);
	bench_hist_merge(&a, &b);
	EXPECT_EQ(a.count, 2);
	EXPECT_EQ(a.min, 10);
	EXPECT_EQ(a.max, 1000000);
	EXPECT_EQ(bench_hist_percentile(&a, 50), 10);
}

TEST(pattern_detects_misplaced_data)
{
	char a[4096], b[4096];
	uint64_t bad = 0;

	bench_pattern_fill(a, sizeof(a), 8192, 42);
	EXPECT_EQ(bench_pattern_check(a, sizeof(a), 8192, 42, &bad), 0);
	EXPECT_EQ(bench_pattern_check(a, sizeof(a), 0, 42, &bad), -EILSEQ);
	EXPECT_EQ(bench_pattern_check(a, sizeof(a), 8192, 43, &bad), -EILSEQ);
	/* Unaligned pieces agree with the whole. */
	bench_pattern_fill(b, 13, 8192 + 3, 42);
	EXPECT_EQ(memcmp(a + 3, b, 13), 0);
	a[1000] ^= 1;
	EXPECT_EQ(bench_pattern_check(a, sizeof(a), 8192, 42, &bad), -EILSEQ);
	EXPECT_EQ(bad, 8192 + 1000);
}

TEST(job_options_by_fio_names)
{
	struct bench_job j;
	const char *why;

	bench_job_init(&j);
	EXPECT_EQ(bench_job_set(&j, "rw", "randrw"), 0);
	EXPECT_EQ(j.rw, BENCH_RANDRW);
	EXPECT_EQ(bench_job_set(&j, "bs", "64k"), 0);
	EXPECT_EQ(j.bs, 65536);
	EXPECT_EQ(bench_job_set(&j, "size", "1G"), 0);
	EXPECT_EQ(j.size, 1ull << 30);
	EXPECT_EQ(bench_job_set(&j, "runtime", "10"), 0);
	EXPECT_EQ(j.runtime_ns, 10000000000ull);
	EXPECT_EQ(bench_job_set(&j, "ioengine", "io_uring"), 0);
	EXPECT_EQ(bench_job_set(&j, "direct", "1"), 0);
	EXPECT_TRUE(j.direct);
	EXPECT_EQ(bench_job_set(&j, "iodepth", "32"), 0);
	EXPECT_EQ(j.iodepth, 32);
	EXPECT_EQ(bench_job_set(&j, "rw", "sideways"), -EINVAL);
	EXPECT_EQ(bench_job_set(&j, "bs", "0"), -EINVAL);
	EXPECT_EQ(bench_job_set(&j, "bs", "4q"), -EINVAL);
	EXPECT_EQ(bench_job_set(&j, "iodepth", "0"), -EINVAL);
	EXPECT_EQ(bench_job_set(&j, "ioengine", "windowsaio"), -EINVAL);
	EXPECT_EQ(bench_job_set(&j, "ioengine", "libaio"), 0);
	EXPECT_EQ(j.engine, BENCH_LIBAIO);
	/* verify names fio's methods, and only those */
	EXPECT_EQ(bench_job_set(&j, "verify", "crc32c"), 0);
	EXPECT_TRUE(j.verify);
	EXPECT_EQ(bench_job_set(&j, "verify", "sha3-256"), 0);
	EXPECT_EQ(bench_job_set(&j, "verify", "crc99"), -EINVAL);
	EXPECT_EQ(bench_job_set(&j, "verify", "md5x"), -EINVAL);
	EXPECT_EQ(bench_job_set(&j, "verify", "0"), 0);
	EXPECT_FALSE(j.verify);
	EXPECT_EQ(bench_job_set(&j, "verify_pattern", "0xdeadbeef"), 0);
	EXPECT_EQ(j.verify_pattern_len, 4);
	EXPECT_EQ(j.verify_pattern[0], 0xde);
	EXPECT_EQ(j.verify_pattern[3], 0xef);
	EXPECT_TRUE(j.verify);		/* a pattern implies verify */
	EXPECT_EQ(bench_job_set(&j, "verify_pattern", "0xabc"), 0);
	EXPECT_EQ(j.verify_pattern_len, 2);
	EXPECT_EQ(j.verify_pattern[0], 0x0a);
	EXPECT_EQ(j.verify_pattern[1], 0xbc);
	EXPECT_EQ(bench_job_set(&j, "verify_pattern", "\"ab\""), 0);
	EXPECT_EQ(j.verify_pattern_len, 2);
	EXPECT_EQ(bench_job_set(&j, "verify_pattern", "0xzz"), -EINVAL);
	/* times: runtime, startdelay and ramp_time in s, thinktime in us, by default */
	EXPECT_EQ(bench_job_set(&j, "startdelay", "1.5"), 0);
	EXPECT_EQ(j.startdelay_ns, 1500000000ull);
	EXPECT_EQ(bench_job_set(&j, "ramp_time", "250ms"), 0);
	EXPECT_EQ(j.ramp_ns, 250000000ull);
	EXPECT_EQ(bench_job_set(&j, "thinktime", "20"), 0);
	EXPECT_EQ(j.thinktime_ns, 20000ull);
	EXPECT_EQ(bench_job_set(&j, "thinktime", "-1"), -EINVAL);
	/* rate: one value for both directions, or each its own */
	EXPECT_EQ(bench_job_set(&j, "rate", "1m"), 0);
	EXPECT_EQ(j.rate[0], 1 << 20);
	EXPECT_EQ(j.rate[1], 1 << 20);
	EXPECT_EQ(bench_job_set(&j, "rate_iops", ",500"), 0);
	EXPECT_EQ(j.rate_iops[0], 0);
	EXPECT_EQ(j.rate_iops[1], 500);
	EXPECT_EQ(bench_job_check(&j, &why), -EINVAL);	/* fio: not both kinds */
	EXPECT_EQ(bench_job_set(&j, "rate", "0"), 0);
	EXPECT_EQ(bench_job_set(&j, "rate_process", "poisson"), 0);
	EXPECT_EQ(bench_job_set(&j, "rate_process", "bursty"), -EINVAL);
	EXPECT_EQ(bench_job_set(&j, "loops", "0"), -EINVAL);
	EXPECT_EQ(bench_job_set(&j, "number_ios", "1k"), 0);
	EXPECT_EQ(j.number_ios, 1024);
	EXPECT_TRUE(j.randrepeat);
	EXPECT_EQ(bench_job_set(&j, "randrepeat", "0"), 0);
	EXPECT_FALSE(j.randrepeat);
	EXPECT_EQ(bench_job_set(&j, "description", "a test job"), 0);
	EXPECT_STREQ(j.description, "a test job");
	EXPECT_EQ(bench_job_set(&j, "rwmixread", "101"), -EINVAL);
	EXPECT_EQ(bench_job_set(&j, "frobnicate", "1"), -ENOENT);
	EXPECT_EQ(bench_job_check(&j, &why), -EINVAL);	/* no filename */
	EXPECT_EQ(bench_job_set(&j, "filename", "/tmp/x"), 0);
	EXPECT_EQ(bench_job_check(&j, &why), 0);
	EXPECT_EQ(bench_job_set(&j, "bs", "1000"), 0);
	EXPECT_EQ(bench_job_check(&j, &why), -EINVAL);	/* direct, unaligned */
	EXPECT_NE(why, NULL);
	/* verify_interval divides bs, as fio has it */
	bench_job_init(&j);
	snprintf(j.filename, sizeof(j.filename), "/dev/null");
	EXPECT_EQ(bench_job_set(&j, "verify_interval", "1k"), 0);
	EXPECT_EQ(bench_job_check(&j, &why), 0);
	EXPECT_EQ(bench_job_set(&j, "verify_interval", "3k"), 0);
	EXPECT_EQ(bench_job_check(&j, &why), -EINVAL);
	EXPECT_STREQ(why, "verify_interval must divide bs");
}

TEST(ini_job_file)
{
	const char *text =
		"; a comment\n[global]\nbs=8k\ndirect=1\nfilename=/tmp/x\n\n"
		"[one]\nrw=randread\niodepth=4\n# another\n[two]\nrw=write\ndirect=0\n";
	struct bench_job base, *jobs;
	unsigned int n, line;
	const char *bad;

	bench_job_init(&base);
	ASSERT_EQ(bench_ini_parse(text, &base, &jobs, &n, &line, &bad), 0);
	ASSERT_EQ(n, 2);
	EXPECT_STREQ(jobs[0].name, "one");
	EXPECT_EQ(jobs[0].bs, 8192);
	EXPECT_EQ(jobs[0].rw, BENCH_RANDREAD);
	EXPECT_EQ(jobs[0].iodepth, 4);
	EXPECT_TRUE(jobs[0].direct);
	EXPECT_EQ(jobs[1].rw, BENCH_WRITE);
	EXPECT_FALSE(jobs[1].direct);
	EXPECT_STREQ(jobs[1].filename, "/tmp/x");
	free(jobs);
	EXPECT_EQ(bench_ini_parse("[a]\nbs=7q\n", &base, &jobs, &n, &line, &bad), -EINVAL);
	EXPECT_EQ(line, 2);
	EXPECT_STREQ(bad, "bs");
	EXPECT_EQ(bench_ini_parse("[a]\nnope=1\n", &base, &jobs, &n, &line, &bad), -ENOENT);
	EXPECT_EQ(bench_ini_parse("bs=4k\n", &base, &jobs, &n, &line, &bad), -EINVAL);
	EXPECT_EQ(bench_ini_parse("[global]\nbs=4k\n", &base, &jobs, &n, &line, &bad), -ENODATA);
}

/* Write a region with verify on, then read it back with a second job. */
FIXTURE(io)
{
	char path[64];
};

FIXTURE_VARIANT(io)
{
	enum bench_engine engine;
	unsigned int depth;
	bool direct;
	enum bench_rw write_rw;
};

FIXTURE_VARIANT_ADD(io, psync_seq) { BENCH_PSYNC, 1, false, BENCH_WRITE };
FIXTURE_VARIANT_ADD(io, psync_rand_direct) { BENCH_PSYNC, 1, true, BENCH_RANDWRITE };
FIXTURE_VARIANT_ADD(io, uring_qd1) { BENCH_IO_URING, 1, true, BENCH_RANDWRITE };
FIXTURE_VARIANT_ADD(io, uring_qd8_buffered) { BENCH_IO_URING, 8, false, BENCH_RANDWRITE };
FIXTURE_VARIANT_ADD(io, uring_qd32_direct) { BENCH_IO_URING, 32, true, BENCH_RANDWRITE };
FIXTURE_VARIANT_ADD(io, uring_qd32_seq) { BENCH_IO_URING, 32, true, BENCH_WRITE };
FIXTURE_VARIANT_ADD(io, aio_qd16_direct) { BENCH_LIBAIO, 16, true, BENCH_RANDWRITE };
FIXTURE_VARIANT_ADD(io, aio_qd4_buffered) { BENCH_LIBAIO, 4, false, BENCH_WRITE };

FIXTURE_SETUP(io)
{
	snprintf(self->path, sizeof(self->path), "/var/tmp/blkprio-bench-%d", getpid());
	unlink(self->path);
}

FIXTURE_TEARDOWN(io)
{
	unlink(self->path);
}

static void make_job(struct bench_job *j, const char *path, enum bench_rw rw,
		     enum bench_engine e, unsigned int depth, bool direct)
{
	bench_job_init(j);
	snprintf(j->filename, sizeof(j->filename), "%s", path);
	j->rw = rw;
	j->engine = e;
	j->iodepth = depth;
	j->direct = direct;
	j->size = 4 << 20;
	j->verify = true;
	j->seed = 1234;
}

TEST_F(io, write_then_verify_read)
{
	struct bench_result *r;
	struct bench_job j;
	unsigned int n;
	int fd;
	char c = 0x5a;

	make_job(&j, self->path, variant->write_rw, variant->engine, variant->depth,
		 variant->direct);
	ASSERT_EQ(bench_run(&j, 1, NULL, &r, &n), 0);
	ASSERT_EQ(n, 1);
	EXPECT_EQ(r[0].error, 0);
	EXPECT_EQ(r[0].verify_errors, 0);
	EXPECT_EQ(r[0].dir[BENCH_DIR_WRITE].bytes, 4 << 20);
	EXPECT_EQ(r[0].dir[BENCH_DIR_WRITE].ios, (4 << 20) / 4096);
	EXPECT_EQ(r[0].dir[BENCH_DIR_WRITE].lat.count, (4 << 20) / 4096);
	/* the verify phase read every block back, as fio's does: reads of their own */
	EXPECT_EQ(r[0].dir[BENCH_DIR_READ].bytes, 4 << 20);
	EXPECT_EQ(r[0].dir[BENCH_DIR_READ].lat.count, (4 << 20) / 4096);
	EXPECT_GT(r[0].dir[BENCH_DIR_READ].runtime_ns, 0);
	bench_results_free(r, n);

	/* A read job with the same seed checks what is on disk. */
	make_job(&j, self->path, BENCH_RANDREAD, variant->engine, variant->depth,
		 variant->direct);
	ASSERT_EQ(bench_run(&j, 1, NULL, &r, &n), 0);
	EXPECT_EQ(r[0].error, 0);
	EXPECT_EQ(r[0].verify_errors, 0);
	EXPECT_EQ(r[0].dir[BENCH_DIR_READ].bytes, 4 << 20);
	bench_results_free(r, n);

	/* One flipped byte on disk is found, at its offset. */
	fd = open(self->path, O_WRONLY);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(pwrite(fd, &c, 1, 777777), 1);
	close(fd);
	ASSERT_EQ(bench_run(&j, 1, NULL, &r, &n), 0);
	EXPECT_EQ(r[0].verify_errors, 1);
	EXPECT_EQ(r[0].error_off, 777777);
	bench_results_free(r, n);
}

TEST(numjobs_samples_and_mix)
{
	struct bench_run_opts ro = { .sample_ms = 100 };
	char path[64];
	struct bench_result *r;
	struct bench_job j[2];
	uint64_t sum[2];
	unsigned int n, i, k;

	snprintf(path, sizeof(path), "/var/tmp/blkprio-bench-nj-%d", getpid());
	make_job(&j[0], path, BENCH_WRITE, BENCH_PSYNC, 1, false);
	j[0].verify = false;
	ASSERT_EQ(bench_run(j, 1, NULL, &r, &n), 0);
	bench_results_free(r, n);
	/* Two jobs, one with 3 copies, all at once, time based. */
	make_job(&j[0], path, BENCH_RANDRW, BENCH_PSYNC, 1, false);
	j[0].verify = false;
	j[0].numjobs = 3;
	j[0].rwmixread = 70;
	j[0].time_based = true;
	j[0].runtime_ns = 350000000;
	snprintf(j[0].name, sizeof(j[0].name), "mix");
	make_job(&j[1], path, BENCH_RANDREAD, BENCH_IO_URING, 4, false);
	j[1].verify = false;
	j[1].time_based = true;
	j[1].runtime_ns = 350000000;
	snprintf(j[1].name, sizeof(j[1].name), "reader");
	ASSERT_EQ(bench_run(j, 2, &ro, &r, &n), 0);
	ASSERT_EQ(n, 4);
	for (i = 0; i < n; i++) {
		EXPECT_EQ(r[i].error, 0);
		EXPECT_STREQ(r[i].name, i < 3 ? "mix" : "reader");
		EXPECT_EQ(r[i].job, i < 3 ? 0 : 1);
		EXPECT_GE(r[i].elapsed_ns, 350000000);
		/* Per-interval samples add up to the totals. */
		EXPECT_GE(r[i].nsamples, 3);
		sum[0] = sum[1] = 0;
		for (k = 0; k < r[i].nsamples; k++) {
			sum[0] += r[i].samples[k].bytes[0];
			sum[1] += r[i].samples[k].bytes[1];
		}
		EXPECT_EQ(sum[0], r[i].dir[0].bytes);
		EXPECT_EQ(sum[1], r[i].dir[1].bytes);
	}
	EXPECT_GT(r[0].dir[BENCH_DIR_READ].ios, r[0].dir[BENCH_DIR_WRITE].ios);
	EXPECT_GT(r[0].dir[BENCH_DIR_WRITE].ios, 0);
	EXPECT_EQ(r[3].dir[BENCH_DIR_WRITE].ios, 0);
	bench_results_free(r, n);
	unlink(path);
}

/* Each worker thread gets the job's I/O priority and runs its init hook. */
static int seen_prio[4];

static int record_prio(const struct bench_job *job, unsigned int index, void *arg)
{
	seen_prio[index] = (int)syscall(SYS_ioprio_get, 1 /* IOPRIO_WHO_PROCESS */, 0);
	return *(int *)arg;
}

TEST(thread_init_and_ioprio)
{
	struct bench_result *r;
	struct bench_job j;
	char path[64];
	unsigned int n, i;
	int ret = 0;

	snprintf(path, sizeof(path), "/var/tmp/blkprio-bench-prio-%d", getpid());
	make_job(&j, path, BENCH_WRITE, BENCH_PSYNC, 1, false);
	j.size = 1 << 20;
	j.numjobs = 4;
	j.verify = false;
	ASSERT_EQ(bench_job_set(&j, "prioclass", "2"), 0);
	ASSERT_EQ(bench_job_set(&j, "prio", "6"), 0);
	j.thread_init = record_prio;
	j.thread_arg = &ret;
	ASSERT_EQ(bench_run(&j, 1, NULL, &r, &n), 0);
	for (i = 0; i < n; i++) {
		EXPECT_EQ(r[i].error, 0);
		EXPECT_EQ(seen_prio[i], 2 << 13 | 6);
	}
	bench_results_free(r, n);
	/* A failing hook fails that job before any I/O. */
	ret = -EPERM;
	j.numjobs = 1;
	ASSERT_EQ(bench_run(&j, 1, NULL, &r, &n), 0);
	EXPECT_EQ(r[0].error, -EPERM);
	EXPECT_EQ(r[0].dir[BENCH_DIR_WRITE].ios, 0);
	bench_results_free(r, n);
	unlink(path);
}

/* fsync/fdatasync policies, io_size and offset bound what a job does. */
TEST(sync_policy_io_size_offset)
{
	struct bench_result *r;
	struct bench_job j;
	char path[64];
	unsigned int n;

	snprintf(path, sizeof(path), "/var/tmp/blkprio-bench-sync-%d", getpid());
	make_job(&j, path, BENCH_WRITE, BENCH_PSYNC, 1, false);
	j.size = 64 << 10;	/* 16 blocks */
	j.verify = false;
	j.fsync_every = 4;
	ASSERT_EQ(bench_run(&j, 1, NULL, &r, &n), 0);
	EXPECT_EQ(r[0].dir[BENCH_DIR_WRITE].ios, 16);
	EXPECT_EQ(r[0].syncs, 4);
	EXPECT_EQ(r[0].sync_lat.count, 4);
	bench_results_free(r, n);
	j.fsync_every = 0;
	j.end_fsync = true;
	ASSERT_EQ(bench_run(&j, 1, NULL, &r, &n), 0);
	EXPECT_EQ(r[0].syncs, 1);
	bench_results_free(r, n);
	/* io_size: half the region; offset: a region further in, verified. */
	j.end_fsync = false;
	j.io_size = 32 << 10;
	j.offset = 1 << 20;
	j.verify = true;
	ASSERT_EQ(bench_run(&j, 1, NULL, &r, &n), 0);
	EXPECT_EQ(r[0].dir[BENCH_DIR_WRITE].bytes, 32 << 10);
	EXPECT_EQ(r[0].verify_errors, 0);
	bench_results_free(r, n);
	{
		char b[4096];
		uint64_t bad;
		int fd = open(path, O_RDONLY);

		ASSERT_GE(fd, 0);
		ASSERT_EQ(pread(fd, b, sizeof(b), 1 << 20), sizeof(b));
		EXPECT_EQ(bench_pattern_check(b, sizeof(b), 1 << 20, j.seed, &bad), 0);
		close(fd);
	}
	unlink(path);
}

/* randrw with verify: reads check the blocks this run has written. */
TEST(randrw_verify)
{
	struct bench_result *r;
	struct bench_job j;
	char path[64];
	unsigned int n;
	int e;

	snprintf(path, sizeof(path), "/var/tmp/blkprio-bench-rw-%d", getpid());
	unlink(path);
	for (e = BENCH_PSYNC; e <= BENCH_LIBAIO; e++) {
		make_job(&j, path, BENCH_RANDRW, e, 8, false);
		j.io_size = 8 << 20;	/* two passes: later reads meet earlier writes */
		j.do_verify = false;	/* the job's own reads check, no verify phase */
		ASSERT_EQ(bench_run(&j, 1, NULL, &r, &n), 0);
		EXPECT_EQ(r[0].error, 0);
		EXPECT_EQ(r[0].verify_errors, 0);
		EXPECT_GT(r[0].dir[BENCH_DIR_READ].ios, 0);
		EXPECT_GT(r[0].dir[BENCH_DIR_WRITE].ios, 0);
		EXPECT_EQ(r[0].dir[0].bytes + r[0].dir[1].bytes, 8 << 20);
		bench_results_free(r, n);
	}
	unlink(path);
}

/*
 * zonemode=strided: a random write over zones of 1 MiB with 1 MiB skipped,
 * twice round the file: every zone written twice, the verify phase reads
 * each written block back once and finds the last write; the skipped
 * megabytes are untouched.
 */
TEST(zones_write_verify)
{
	static char buf[1 << 20];
	struct bench_result *r;
	struct bench_job j;
	char path[64];
	unsigned int n, mb, i;
	int e, fd;

	snprintf(path, sizeof(path), "/var/tmp/blkprio-bench-zone-%d", getpid());
	for (e = BENCH_PSYNC; e <= BENCH_LIBAIO; e++) {
		fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0600);
		ASSERT_GE(fd, 0);
		memset(buf, 0xee, sizeof(buf));
		for (mb = 0; mb < 8; mb++)
			ASSERT_EQ(write(fd, buf, sizeof(buf)), sizeof(buf));
		close(fd);
		make_job(&j, path, BENCH_RANDWRITE, e, 8, false);
		j.size = 0;
		j.io_size = 8 << 20;
		ASSERT_EQ(bench_job_set(&j, "zonemode", "strided"), 0);
		ASSERT_EQ(bench_job_set(&j, "zonesize", "1m"), 0);
		ASSERT_EQ(bench_job_set(&j, "zoneskip", "1m"), 0);
		ASSERT_EQ(bench_run(&j, 1, NULL, &r, &n), 0);
		EXPECT_EQ(r[0].error, 0);
		EXPECT_EQ(r[0].verify_errors, 0);
		EXPECT_EQ(r[0].dir[BENCH_DIR_WRITE].bytes, 8 << 20);
		EXPECT_EQ(r[0].dir[BENCH_DIR_READ].bytes, 4 << 20);
		bench_results_free(r, n);
		fd = open(path, O_RDONLY);
		ASSERT_GE(fd, 0);
		for (mb = 0; mb < 8; mb++) {
			ASSERT_EQ(read(fd, buf, sizeof(buf)), sizeof(buf));
			for (i = 0; i < sizeof(buf) && buf[i] == (char)0xee; i++)
				;
			/* the even megabytes written over, the odd ones skipped */
			EXPECT_EQ(i == sizeof(buf), mb % 2) TH_LOG("engine %d, MiB %u", e, mb);
		}
		close(fd);
	}
	unlink(path);
	bench_job_init(&j);
	EXPECT_EQ(bench_job_set(&j, "zonemode", "zbd"), -EINVAL);
	EXPECT_EQ(bench_job_set(&j, "zoneskip", "2z"), -EINVAL);
}

/*
 * latency_target's search on a model device whose latency is 10 us per I/O
 * in flight, target 45 us: depth 1, 2, 4 meet it, 8 misses at its first
 * I/O, then 6 and 5; 4 meets it again, is kept, and after one more window
 * the job is done at depth 4.
 */
TEST(latency_target_search)
{
	static const unsigned int path[] = { 1, 2, 4, 8, 6, 5, 4, 4 };
	struct bench_result res;
	struct bench_worker w;
	struct bench_job j;
	unsigned int step, k;

	bench_job_init(&j);
	j.iodepth = 16;
	ASSERT_EQ(bench_job_set(&j, "latency_target", "45"), 0);
	ASSERT_EQ(bench_job_set(&j, "latency_window", "1ns"), 0);
	EXPECT_EQ(j.lat_target_ns, 45000);
	memset(&w, 0, sizeof(w));
	memset(&res, 0, sizeof(res));
	w.job = &j;
	w.res = &res;
	bench_lt_init(&w, bench_now_ns());
	for (step = 0; step < 8 && !w.lt.done; step++) {
		ASSERT_EQ(w.lt.qd, path[step]) TH_LOG("step %u", step);
		/* within a window: the depth full is held; a miss drains first */
		j.lat_window_ns = UINT64_MAX / 2;
		w.inflight = w.lt.qd - 1;
		EXPECT_FALSE(bench_lt_hold(&w));
		for (k = 0; k < 32 && !w.lt.drain; k++)
			ASSERT_EQ(bench_lt_done(&w, BENCH_DIR_READ, w.lt.qd * 10000ull), 0);
		w.inflight = w.lt.drain ? 1 : w.lt.qd;
		EXPECT_TRUE(bench_lt_hold(&w));
		w.inflight = 0;
		if (w.lt.drain) {	/* a miss: drained, a new window */
			EXPECT_FALSE(bench_lt_hold(&w));
			continue;
		}
		j.lat_window_ns = 1;	/* the window is over: judged */
		bench_lt_hold(&w);
	}
	EXPECT_TRUE(w.lt.done);
	EXPECT_EQ(res.lat_depth, 4);
	/* at depth 1 with percentile 100, one I/O over the target ends the job */
	bench_lt_init(&w, bench_now_ns());
	EXPECT_EQ(bench_lt_done(&w, BENCH_DIR_READ, 46000), -ETIMEDOUT);
	/* below 100 a window of misses at depth 1 changes nothing */
	ASSERT_EQ(bench_job_set(&j, "latency_percentile", "99.9"), 0);
	bench_lt_init(&w, bench_now_ns());
	EXPECT_EQ(bench_lt_done(&w, BENCH_DIR_READ, 46000), 0);
	EXPECT_FALSE(bench_lt_hold(&w));
	EXPECT_EQ(w.lt.qd, 1);
	EXPECT_FALSE(w.lt.done);
	EXPECT_EQ(bench_job_set(&j, "latency_percentile", "100.5"), -EINVAL);
	ASSERT_EQ(bench_job_set(&j, "max_latency", "1ms,2ms"), 0);
	EXPECT_EQ(j.max_lat_ns[BENCH_DIR_READ], 1000000);
	EXPECT_EQ(j.max_lat_ns[BENCH_DIR_WRITE], 2000000);
	EXPECT_EQ(bench_lt_done(&w, BENCH_DIR_WRITE, 2000001), -ETIMEDOUT);
	EXPECT_EQ(bench_job_set(&j, "max_latency", "1,x"), -EINVAL);
}

/* do_verify, verify_backlog, verify_pattern and verify_fatal as fio has them. */
/* verify_dump's file BASE.OFF.KIND in the working folder: its first 4096
 * bytes into buf (how many were read, -1: none), then the file removed. */
static ssize_t take_dump(const char *base, unsigned int off, const char *kind, char *buf)
{
	char name[512];
	ssize_t got;
	int fd;

	snprintf(name, sizeof(name), "%s.%u.%s", base, off, kind);
	fd = open(name, O_RDONLY);
	if (fd < 0)
		return -1;
	got = read(fd, buf, 4096);
	close(fd);
	unlink(name);
	return got;
}

TEST(verify_phase_options)
{
	struct bench_result *r;
	struct bench_job j;
	char path[64], buf[8];
	unsigned int n;
	int fd;

	snprintf(path, sizeof(path), "/var/tmp/blkprio-bench-vp-%d", getpid());
	unlink(path);
	make_job(&j, path, BENCH_RANDWRITE, BENCH_IO_URING, 8, false);
	j.size = 1 << 20;
	j.do_verify = false;
	ASSERT_EQ(bench_run(&j, 1, NULL, &r, &n), 0);
	EXPECT_EQ(r[0].dir[BENCH_DIR_READ].ios, 0);	/* no verify phase */
	bench_results_free(r, n);

	/* backlog: checked along the way, each block once, none again after */
	j.do_verify = true;
	j.verify_backlog = 64;
	ASSERT_EQ(bench_run(&j, 1, NULL, &r, &n), 0);
	EXPECT_EQ(r[0].error, 0);
	EXPECT_EQ(r[0].verify_errors, 0);
	EXPECT_EQ(r[0].dir[BENCH_DIR_READ].ios, 256);
	bench_results_free(r, n);

	/* a fixed pattern lands on disk as is */
	j.verify_backlog = 0;
	ASSERT_EQ(bench_job_set(&j, "verify_pattern", "\"blk\""), 0);
	ASSERT_EQ(bench_run(&j, 1, NULL, &r, &n), 0);
	EXPECT_EQ(r[0].verify_errors, 0);
	bench_results_free(r, n);
	fd = open(path, O_RDONLY);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(pread(fd, buf, 8, 4096 * 7), 8);
	EXPECT_EQ(memcmp(buf, "blkblkbl", 8), 0);
	/* two bad blocks: both counted, or the job stops at the first (fatal) */
	close(fd);
	fd = open(path, O_WRONLY);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(pwrite(fd, "x", 1, 4096 * 3 + 5), 1);
	ASSERT_EQ(pwrite(fd, "x", 1, 4096 * 200 + 9), 1);
	close(fd);
	make_job(&j, path, BENCH_READ, BENCH_PSYNC, 1, false);
	j.size = 1 << 20;
	ASSERT_EQ(bench_job_set(&j, "verify_pattern", "\"blk\""), 0);
	ASSERT_EQ(bench_run(&j, 1, NULL, &r, &n), 0);
	EXPECT_EQ(r[0].verify_errors, 2);
	EXPECT_EQ(r[0].error_off, 4096 * 3 + 5);
	EXPECT_EQ(r[0].dir[BENCH_DIR_READ].ios, 256);
	bench_results_free(r, n);
	j.verify_fatal = true;
	ASSERT_EQ(bench_run(&j, 1, NULL, &r, &n), 0);
	EXPECT_EQ(r[0].verify_errors, 1);
	EXPECT_EQ(r[0].error, -EILSEQ);
	EXPECT_EQ(r[0].dir[BENCH_DIR_READ].ios, 4);
	bench_results_free(r, n);

	/* verify_dump: the block read and the one expected, in the working folder */
	{
		char cwd[4096], *got = malloc(4096), *want = malloc(4096);
		const char *base = strrchr(path, '/') + 1;

		ASSERT_NE(getcwd(cwd, sizeof(cwd)), NULL);
		ASSERT_EQ(chdir("/var/tmp"), 0);
		j.verify_dump = true;
		ASSERT_EQ(bench_run(&j, 1, NULL, &r, &n), 0);
		EXPECT_EQ(r[0].verify_errors, 1);
		bench_results_free(r, n);
		EXPECT_EQ(take_dump(base, 4096 * 3, "received", got), 4096);
		EXPECT_EQ(take_dump(base, 4096 * 3, "expected", want), 4096);
		/* one byte apart: the one written over */
		EXPECT_EQ(got[5], 'x');
		EXPECT_EQ(want[5], "blk"[5 % 3]);
		got[5] = want[5];
		EXPECT_EQ(memcmp(got, want, 4096), 0);
		EXPECT_EQ(chdir(cwd), 0);
		free(got);
		free(want);
	}
	unlink(path);
}

static uint64_t started_ns[4];

static int record_start(const struct bench_job *job, unsigned int index, void *arg)
{
	started_ns[(uintptr_t)arg] = bench_now_ns();
	return 0;
}

/* stonewall runs a job after the ones before it; the others start together. */
TEST(stonewall_loops_number_ios_ramp)
{
	struct bench_result *r;
	struct bench_job j[3];
	char path[64];
	unsigned int n, i;

	snprintf(path, sizeof(path), "/var/tmp/blkprio-bench-sw-%d", getpid());
	unlink(path);
	for (i = 0; i < 3; i++) {
		make_job(&j[i], path, i ? BENCH_RANDREAD : BENCH_WRITE, BENCH_PSYNC, 1, false);
		j[i].size = 1 << 20;
		j[i].thread_init = record_start;
		j[i].thread_arg = (void *)(uintptr_t)i;
	}
	j[0].rate_iops[BENCH_DIR_WRITE] = 1000;	/* 256 writes: about 0.25 s */
	j[1].loops = 3;
	j[2].stonewall = true;
	j[2].number_ios = 100;
	EXPECT_EQ(bench_jobs_group(j, 3), 2);
	EXPECT_EQ(j[1].groupid, 0);
	EXPECT_EQ(j[2].groupid, 1);
	ASSERT_EQ(bench_run(j, 3, NULL, &r, &n), 0);
	ASSERT_EQ(n, 3);
	for (i = 0; i < 3; i++)
		EXPECT_EQ(r[i].error, 0);
	EXPECT_EQ(r[0].dir[BENCH_DIR_WRITE].ios, 256);
	/* the rate held: no faster than 1000 IOPS */
	EXPECT_GE(r[0].elapsed_ns, 255 * 1000000ull);
	EXPECT_EQ(r[1].dir[BENCH_DIR_READ].ios, 3 * 256);
	EXPECT_EQ(r[2].dir[BENCH_DIR_READ].ios, 100);
	/* job 1 ran beside job 0, job 2 after both */
	EXPECT_LT(llabs((long long)(started_ns[1] - started_ns[0])),
		  (long long)r[0].elapsed_ns);
	EXPECT_GE(started_ns[2] - started_ns[0], r[0].elapsed_ns);
	bench_results_free(r, n);

	/* ramp_time: what the ramp did is not counted */
	make_job(&j[0], path, BENCH_RANDREAD, BENCH_PSYNC, 1, false);
	j[0].size = 1 << 20;
	j[0].rate_iops[BENCH_DIR_READ] = 1000;
	j[0].ramp_ns = 100000000;
	j[0].runtime_ns = 200000000;
	j[0].time_based = true;
	ASSERT_EQ(bench_run(j, 1, NULL, &r, &n), 0);
	EXPECT_EQ(r[0].error, 0);
	EXPECT_LE(r[0].dir[BENCH_DIR_READ].ios, 250);	/* 300 with the ramp */
	EXPECT_GE(r[0].elapsed_ns, 195000000ull);
	EXPECT_LE(r[0].elapsed_ns, 300000000ull);
	bench_results_free(r, n);
	unlink(path);
}

/* One job's report as a string (free it), NULL when it could not be made. */
static char *report_of(enum bench_format fmt, const struct bench_job *job,
		       const struct bench_result *r, unsigned int n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int err;

	if (!f)
		return NULL;
	err = bench_report(f, fmt, job, 1, r, n);
	if (fclose(f) || err) {
		free(buf);
		return NULL;
	}
	return buf;
}

/*
 * exitall: the job that ends ends its group; the next phase still runs.
 * percentile_list and gtod_reduce: what is reported.
 */
TEST(exitall_percentiles_gtod_reduce)
{
	struct bench_result *r;
	struct bench_job j[3];
	char path[64], *buf;
	unsigned int n, i;

	snprintf(path, sizeof(path), "/var/tmp/blkprio-bench-ea-%d", getpid());
	unlink(path);
	for (i = 0; i < 3; i++) {
		make_job(&j[i], path, BENCH_RANDREAD, BENCH_PSYNC, 1, false);
		j[i].size = 1 << 20;
	}
	/* job 0 would run 20 s; job 1 reads 1 MiB and ends the group. Job 1
	 * thinks 1 ms an I/O, so that job 0 has begun long before it ends (the
	 * two threads start side by side, in either order) */
	j[0].time_based = true;
	j[0].runtime_ns = 20000000000ull;
	j[0].rate_iops[BENCH_DIR_READ] = 2000;
	j[1].thinktime_ns = 1000000;
	EXPECT_EQ(bench_job_set(&j[1], "exitall", NULL), 0);
	EXPECT_TRUE(j[1].exitall);
	j[2].stonewall = true;
	EXPECT_EQ(bench_jobs_group(j, 3), 2);
	ASSERT_EQ(bench_run(j, 3, NULL, &r, &n), 0);
	ASSERT_EQ(n, 3);
	EXPECT_EQ(r[1].dir[BENCH_DIR_READ].ios, 256);
	EXPECT_LT(r[0].elapsed_ns, 5000000000ull);
	EXPECT_GT(r[0].dir[BENCH_DIR_READ].ios, 0);
	EXPECT_EQ(r[2].dir[BENCH_DIR_READ].ios, 256);	/* the next group ran whole */
	bench_results_free(r, n);

	/* percentile_list: checked, sorted, and the only percentiles reported */
	EXPECT_EQ(bench_job_set(&j[0], "percentile_list", "101"), -EINVAL);
	EXPECT_EQ(bench_job_set(&j[0], "percentile_list", "abc"), -EINVAL);
	EXPECT_EQ(bench_job_set(&j[0], "percentile_list", "50:"), -EINVAL);
	EXPECT_EQ(bench_job_set(&j[0], "percentile_list", "-1"), -EINVAL);
	EXPECT_EQ(bench_job_set(&j[0], "percentile_list",
				"1:2:3:4:5:6:7:8:9:10:11:12:13:14:15:16:17:18:19:20:21"), -EINVAL);
	EXPECT_EQ(bench_job_set(&j[0], "percentile_list", "99.5:50:0"), 0);
	ASSERT_EQ(j[0].npercentiles, 3);
	EXPECT_EQ(j[0].percentiles[0], 0);
	EXPECT_EQ(j[0].percentiles[1], 50);
	EXPECT_EQ(j[0].percentiles[2], 99.5);
	j[0].time_based = false;
	j[0].rate_iops[BENCH_DIR_READ] = 0;
	ASSERT_EQ(bench_run(j, 1, NULL, &r, &n), 0);
	buf = report_of(BENCH_FMT_JSON, j, r, n);
	ASSERT_NE(buf, NULL);
	EXPECT_NE(strstr(buf, "\"percentile\":{\"0.000000\":"), NULL);
	EXPECT_NE(strstr(buf, "\"50.000000\":"), NULL);
	EXPECT_NE(strstr(buf, "\"99.500000\":"), NULL);
	EXPECT_EQ(strstr(buf, "\"99.000000\":"), NULL);
	/* the write side moved nothing: no percentiles of nothing, as fio */
	EXPECT_NE(strstr(buf, "\"write\":{"), NULL);
	EXPECT_EQ(strstr(strstr(buf, "\"write\":{"), "\"percentile\":"), NULL);
	free(buf);
	bench_results_free(r, n);

	/* gtod_reduce: the I/O counted, no latency measured or printed */
	EXPECT_EQ(bench_job_set(&j[0], "gtod_reduce", "1"), 0);
	ASSERT_EQ(bench_run(j, 1, NULL, &r, &n), 0);
	EXPECT_EQ(r[0].dir[BENCH_DIR_READ].ios, 256);
	EXPECT_EQ(r[0].dir[BENCH_DIR_READ].lat.count, 0);
	buf = report_of(BENCH_FMT_TEXT, j, r, n);
	ASSERT_NE(buf, NULL);
	EXPECT_NE(strstr(buf, "read: IOPS="), NULL);
	EXPECT_EQ(strstr(buf, "lat (usec)"), NULL);
	free(buf);
	bench_results_free(r, n);
	unlink(path);
}

TEST(errors_are_reported)
{
	struct bench_result *r;
	struct bench_job j;
	unsigned int n;

	make_job(&j, "/nonexistent-dir/x", BENCH_READ, BENCH_PSYNC, 1, false);
	ASSERT_EQ(bench_run(&j, 1, NULL, &r, &n), 0);
	EXPECT_EQ(r[0].error, -ENOENT);
	bench_results_free(r, n);
	make_job(&j, "/dev/null", BENCH_READ, BENCH_PSYNC, 1, false);
	j.size = 0;	/* nothing to read */
	ASSERT_EQ(bench_run(&j, 1, NULL, &r, &n), 0);
	EXPECT_EQ(r[0].error, -ENOSPC);
	bench_results_free(r, n);
}

/* img: targets: the guest view of a qcow2 image, checked by qemu-img. */
TEST(img_target_write_verify)
{
	struct bench_result *r;
	struct bench_target t;
	struct bench_job j;
	char path[64], cmd[160];
	unsigned int n;

	snprintf(path, sizeof(path), "/var/tmp/blkprio-bench-img-%d.qcow2", getpid());
	unlink(path);
	ASSERT_EQ(bench_target_open(&t, "img:/nonexistent/x.qcow2", 0, 0), -ENOENT);
	make_job(&j, "", BENCH_RANDWRITE, BENCH_PSYNC, 1, false);
	snprintf(j.filename, sizeof(j.filename), "img:%s", path);
	ASSERT_EQ(bench_run(&j, 1, NULL, &r, &n), 0);
	EXPECT_EQ(r[0].error, 0);
	EXPECT_EQ(r[0].verify_errors, 0);
	EXPECT_EQ(r[0].dir[BENCH_DIR_WRITE].bytes, 4 << 20);
	bench_results_free(r, n);
	j.rw = BENCH_READ;
	ASSERT_EQ(bench_run(&j, 1, NULL, &r, &n), 0);
	EXPECT_EQ(r[0].error, 0);
	EXPECT_EQ(r[0].verify_errors, 0);
	EXPECT_EQ(r[0].dir[BENCH_DIR_READ].bytes, 4 << 20);
	bench_results_free(r, n);
	snprintf(cmd, sizeof(cmd), "qemu-img check -q %s", path);
	if (!access("/usr/bin/qemu-img", X_OK))
		EXPECT_EQ(system(cmd), 0);
	/* The io_uring engine needs a plain fd: refused up front. */
	j.engine = BENCH_IO_URING;
	{
		const char *why;

		EXPECT_EQ(bench_job_check(&j, &why), -EINVAL);
	}
	unlink(path);
}

/* bs=R,W, bsrange and bssplit by fio's rules; refusals change nothing. */
/*
 * wait_for: the waiter starts when every copy of its waitee has ended, even
 * in the same phase; the names are checked as fio checks them.
 */
TEST(wait_for_and_exit_what)
{
	struct bench_result *r;
	struct bench_job j[4];
	const char *why;
	unsigned int n, i, bad;
	char path[64];

	snprintf(path, sizeof(path), "/var/tmp/blkprio-bench-wf-%d", getpid());
	unlink(path);
	for (i = 0; i < 3; i++) {
		make_job(&j[i], path, i ? BENCH_RANDREAD : BENCH_WRITE, BENCH_PSYNC, 1, false);
		j[i].size = 1 << 20;
		j[i].thread_init = record_start;
		j[i].thread_arg = (void *)(uintptr_t)i;
		snprintf(j[i].name, sizeof(j[i].name), "j%u", i);
	}
	j[0].rate_iops[BENCH_DIR_WRITE] = 1000;	/* 256 writes: about 0.25 s */
	snprintf(j[1].wait_for, sizeof(j[1].wait_for), "j0");
	EXPECT_EQ(bench_jobs_group(j, 3), 1);
	ASSERT_EQ(bench_jobs_link(j, 3, &bad, &why), 0);
	EXPECT_EQ(j[1].waitee, 1);
	EXPECT_EQ(j[2].waitee, 0);
	ASSERT_EQ(bench_run(j, 3, NULL, &r, &n), 0);
	ASSERT_EQ(n, 3);
	for (i = 0; i < 3; i++)
		EXPECT_EQ(r[i].error, 0);
	EXPECT_EQ(r[1].dir[BENCH_DIR_READ].ios, 256);
	/* job 1 after job 0's end; job 2 beside job 0 */
	EXPECT_GE(started_ns[1] - started_ns[0], r[0].elapsed_ns);
	EXPECT_LT(llabs((long long)(started_ns[2] - started_ns[0])), (long long)r[0].elapsed_ns);
	bench_results_free(r, n);

	/* fio's checks: itself, a job defined later or not at all, a name twice */
	snprintf(j[1].wait_for, sizeof(j[1].wait_for), "j1");
	EXPECT_EQ(bench_jobs_link(j, 3, &bad, &why), -EINVAL);
	EXPECT_EQ(bad, 1);
	snprintf(j[1].wait_for, sizeof(j[1].wait_for), "j2");
	EXPECT_EQ(bench_jobs_link(j, 3, &bad, &why), -EINVAL);
	snprintf(j[2].name, sizeof(j[2].name), "j0");
	snprintf(j[2].wait_for, sizeof(j[2].wait_for), "j0");
	j[1].wait_for[0] = '\0';
	EXPECT_EQ(bench_jobs_link(j, 3, &bad, &why), -EINVAL);	/* itself */
	snprintf(j[1].name, sizeof(j[1].name), "j0");
	snprintf(j[2].name, sizeof(j[2].name), "j2");
	EXPECT_EQ(bench_jobs_link(j, 3, &bad, &why), -EINVAL);	/* two of them */
	EXPECT_EQ(bad, 2);
	j[2].wait_for[0] = '\0';

	/*
	 * exit_what, with exitall: group 0 is a long job and a short one that
	 * ends; group 1 (same phase) a long job; then a stonewalled phase.
	 * group: group 1 runs on; stonewall: it ends, the next phase runs;
	 * all: the next phase does not run.
	 */
	for (int what = BENCH_EXIT_GROUP; what <= BENCH_EXIT_ALL; what++) {
		for (i = 0; i < 4; i++) {
			make_job(&j[i], path, BENCH_RANDREAD, BENCH_PSYNC, 1, false);
			j[i].size = 1 << 20;
		}
		for (i = 0; i < 3; i += 2) {
			j[i].time_based = true;
			j[i].runtime_ns = 1000000000ull;
			j[i].rate_iops[BENCH_DIR_READ] = 2000;
		}
		EXPECT_EQ(bench_job_set(&j[1], "exitall", NULL), 0);
		EXPECT_EQ(bench_job_set(&j[1], "exit_what",
					what == BENCH_EXIT_ALL ? "all" :
					what == BENCH_EXIT_STONEWALL ? "stonewall" : "group"), 0);
		j[2].new_group = true;
		j[3].stonewall = true;
		EXPECT_EQ(bench_jobs_group(j, 4), 3);
		ASSERT_EQ(bench_run(j, 4, NULL, &r, &n), 0);
		ASSERT_EQ(n, 4);
		EXPECT_EQ(r[1].dir[BENCH_DIR_READ].ios, 256);
		EXPECT_LT(r[0].elapsed_ns, 500000000ull);
		if (what == BENCH_EXIT_GROUP) {
			EXPECT_GE(r[2].elapsed_ns, 950000000ull);
		} else {
			EXPECT_LT(r[2].elapsed_ns, 500000000ull);
		}
		/* the last phase: whole, or (all) not run at all */
		EXPECT_EQ(r[3].dir[BENCH_DIR_READ].ios, what == BENCH_EXIT_ALL ? 0 : 256);
		bench_results_free(r, n);
	}
	EXPECT_EQ(bench_job_set(&j[1], "exit_what", "some"), -EINVAL);
	unlink(path);
}

/* Run j alone: the bytes it moved in d (UINT64_MAX: it did not run), *size the file's. */
static uint64_t run_moved(const struct bench_job *j, enum bench_dir d, off_t *size)
{
	struct bench_result *r;
	struct stat st;
	unsigned int n;
	uint64_t moved;

	if (bench_run(j, 1, NULL, &r, &n))
		return UINT64_MAX;
	moved = r[0].dir[d].bytes;
	bench_results_free(r, n);
	*size = stat(j->filename, &st) ? -1 : st.st_size;
	return moved;
}

/* filesize: the file's size, the region cut to it, a range drawn once */
TEST(filesize_and_rate_min)
{
	struct bench_result *r;
	struct bench_job j;
	const char *why;
	char path[64];
	uint64_t moved;
	unsigned int n;
	off_t size;

	snprintf(path, sizeof(path), "/var/tmp/blkprio-bench-fs-%d", getpid());
	unlink(path);
	make_job(&j, path, BENCH_WRITE, BENCH_PSYNC, 1, false);
	j.verify = false;
	ASSERT_EQ(bench_job_set(&j, "filesize", "1m"), 0);	/* size 4m */
	EXPECT_EQ(run_moved(&j, BENCH_DIR_WRITE, &size), 1 << 20);
	EXPECT_EQ(size, 1 << 20);
	/* a file longer than filesize is not cut, only 1 MiB of it used */
	ASSERT_EQ(truncate(path, 8 << 20), 0);
	EXPECT_EQ(run_moved(&j, BENCH_DIR_WRITE, &size), 1 << 20);
	EXPECT_EQ(size, 8 << 20);
	/* a read job lays out the whole file, reads size of it from offset */
	unlink(path);
	make_job(&j, path, BENCH_READ, BENCH_PSYNC, 1, false);
	j.verify = false;
	j.size = 1 << 20;
	j.offset = 1 << 20;
	ASSERT_EQ(bench_job_set(&j, "filesize", "4m"), 0);
	EXPECT_EQ(run_moved(&j, BENCH_DIR_READ, &size), 1 << 20);
	EXPECT_EQ(size, 4 << 20);
	/* a range: a size in it, a multiple of bs; a file in it is taken as is */
	unlink(path);
	make_job(&j, path, BENCH_WRITE, BENCH_PSYNC, 1, false);
	j.size = 0;
	ASSERT_EQ(bench_job_set(&j, "filesize", "512k-1m"), 0);
	moved = run_moved(&j, BENCH_DIR_WRITE, &size);
	EXPECT_GE(size, 512 << 10);
	EXPECT_LE(size, 1 << 20);
	EXPECT_EQ(size % 4096, 0);
	EXPECT_EQ(moved, (uint64_t)size);
	ASSERT_EQ(truncate(path, 600 << 10), 0);
	EXPECT_EQ(run_moved(&j, BENCH_DIR_WRITE, &size), 600 << 10);
	EXPECT_EQ(bench_job_set(&j, "filesize", "1m-512k"), -EINVAL);
	EXPECT_EQ(bench_job_set(&j, "filesize", "0"), -EINVAL);
	EXPECT_EQ(bench_job_set(&j, "filesize", "1m:2m"), 0);
	EXPECT_EQ(j.filesize_hi, 2 << 20);

	/* rate_iops_min: 10 ms think time is about 100 IOPS: fails after 2 s + a cycle */
	unlink(path);
	make_job(&j, path, BENCH_READ, BENCH_PSYNC, 1, false);
	j.verify = false;
	j.thinktime_ns = 10000000;
	ASSERT_EQ(bench_job_set(&j, "rate_iops_min", "200"), 0);
	ASSERT_EQ(bench_job_check(&j, &why), 0);
	ASSERT_EQ(bench_run(&j, 1, NULL, &r, &n), 0);
	EXPECT_EQ(r[0].error, -EIO);
	EXPECT_NE(strstr(r[0].error_why, "rate_iops_min=200 not met, got "), NULL);
	EXPECT_GE(r[0].elapsed_ns, 2900000000ull);
	EXPECT_LT(r[0].elapsed_ns, 6000000000ull);
	bench_results_free(r, n);
	/* met: no failure (100 IOPS asked, 1 MiB at about 100) */
	ASSERT_EQ(bench_job_set(&j, "rate_iops_min", "50"), 0);
	ASSERT_EQ(bench_job_set(&j, "number_ios", "350"), 0);
	ASSERT_EQ(bench_run(&j, 1, NULL, &r, &n), 0);
	EXPECT_EQ(r[0].error, 0);
	bench_results_free(r, n);
	/* fio's checks: not both kinds, no minimum above the cap */
	ASSERT_EQ(bench_job_set(&j, "rate_iops", "40"), 0);
	EXPECT_EQ(bench_job_check(&j, &why), -EINVAL);
	ASSERT_EQ(bench_job_set(&j, "rate_iops", "100"), 0);
	ASSERT_EQ(bench_job_check(&j, &why), 0);
	ASSERT_EQ(bench_job_set(&j, "rate", "1m"), 0);
	EXPECT_EQ(bench_job_check(&j, &why), -EINVAL);
	unlink(path);
}

/* Run jobs a and b (flow weights fa and fb); the I/Os each did, or -1 when the run failed. */
static void run_flow(struct bench_job *j, unsigned int fa, unsigned int fb, long long ios[2])
{
	struct bench_result *r;
	unsigned int n, i;
	char v[16];

	ios[0] = ios[1] = -1;
	for (i = 0; i < 2; i++) {
		snprintf(v, sizeof(v), "%u", i ? fb : fa);
		if (bench_job_set(&j[i], "flow", v))
			return;
	}
	bench_jobs_group(j, 2);
	if (bench_run(j, 2, NULL, &r, &n))
		return;
	for (i = 0; i < 2; i++)
		if (!r[i].error)
			ios[i] = (long long)(r[i].dir[BENCH_DIR_READ].ios + r[i].dir[BENCH_DIR_WRITE].ios);
	bench_results_free(r, n);
}

/* flow: the I/Os of a flow_id's jobs in their weights' ratio while they run */
TEST(flow_shares)
{
	struct bench_job j[2];
	long long ios[2];
	char path[64];
	unsigned int i;

	snprintf(path, sizeof(path), "/var/tmp/blkprio-bench-flow-%d", getpid());
	unlink(path);
	/* psync, flow_sleep=0: 1 to 3 */
	for (i = 0; i < 2; i++) {
		make_job(&j[i], path, BENCH_RANDREAD, BENCH_PSYNC, 1, false);
		j[i].size = 1 << 20;
		j[i].time_based = true;
		j[i].runtime_ns = 400000000ull;
	}
	run_flow(j, 1, 3, ios);
	ASSERT_GT(ios[0], 100);
	EXPECT_GT(ios[1], ios[0] * 29 / 10);
	EXPECT_LT(ios[1], ios[0] * 31 / 10);
	/* io_uring, 8 in flight, flow_sleep: reaped, then a sleep: 1 to 8 */
	for (i = 0; i < 2; i++) {
		make_job(&j[i], path, i ? BENCH_RANDWRITE : BENCH_RANDREAD, BENCH_IO_URING, 8, false);
		j[i].verify = false;
		j[i].size = 1 << 20;
		j[i].time_based = true;
		j[i].runtime_ns = 400000000ull;
		ASSERT_EQ(bench_job_set(&j[i], "flow_sleep", "200"), 0);
	}
	run_flow(j, 1, 8, ios);
	ASSERT_GT(ios[0], 20);
	EXPECT_GT(ios[1], ios[0] * 75 / 10);
	EXPECT_LT(ios[1], ios[0] * 85 / 10);
	/* two flow_ids: each job alone in its flow, neither held (both read alike) */
	for (i = 0; i < 2; i++) {
		make_job(&j[i], path, BENCH_RANDREAD, BENCH_PSYNC, 1, false);
		j[i].size = 1 << 20;
		j[i].time_based = true;
		j[i].runtime_ns = 300000000ull;
	}
	ASSERT_EQ(bench_job_set(&j[1], "flow_id", "7"), 0);
	run_flow(j, 1, 3, ios);
	ASSERT_GT(ios[0], 100);
	EXPECT_LT(ios[1], ios[0] * 2);
	EXPECT_GT(ios[1], ios[0] / 2);
	/* a job that ends leaves the flow: the other does all its I/Os */
	for (i = 0; i < 2; i++) {
		make_job(&j[i], path, BENCH_RANDREAD, BENCH_PSYNC, 1, false);
		j[i].size = i ? 1 << 20 : 256 << 10;
	}
	run_flow(j, 1, 3, ios);
	EXPECT_EQ(ios[0], 64);
	EXPECT_EQ(ios[1], 256);
	/* behind a stonewall a job is not in the flow yet (fio waits for ever) */
	j[1].stonewall = true;
	run_flow(j, 1, 8, ios);
	EXPECT_EQ(ios[0], 64);
	EXPECT_EQ(ios[1], 256);
	/* fio's range and types */
	EXPECT_EQ(bench_job_set(&j[0], "flow", "1001"), -EINVAL);
	EXPECT_EQ(bench_job_set(&j[0], "flow", "x"), -EINVAL);
	EXPECT_EQ(bench_job_set(&j[0], "flow_sleep", "-1"), -EINVAL);
	EXPECT_EQ(bench_job_set(&j[0], "flow_id", "y"), -EINVAL);
	unlink(path);
}

/* The I/Os of r's direction d at priority ioprio (-1: not among its priorities). */
static long long prio_ios(const struct bench_result *r, enum bench_dir d, int ioprio)
{
	unsigned int i;

	for (i = 0; i < r->dir[d].nprio; i++)
		if (r->dir[d].prio[i].ioprio == ioprio)
			return (long long)r->dir[d].prio[i].lat.count;
	return -1;
}

/* A worker thread without CAP_SYS_NICE and CAP_SYS_ADMIN: no real-time I/O. */
static int drop_rt_caps(const struct bench_job *job, unsigned int index, void *arg)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct c[2];

	if (syscall(SYS_capget, &h, c))
		return -errno;
	c[0].effective &= ~(1u << CAP_SYS_NICE | 1u << CAP_SYS_ADMIN);
	return syscall(SYS_capset, &h, c) ? -errno : 0;
}

/* cmdprio: a share of the I/Os at a priority of their own, counted apart */
TEST(cmdprio_per_io)
{
	struct bench_result *r;
	struct bench_job j;
	const char *why;
	char path[64];
	unsigned int n;
	long long rt, idle;

	snprintf(path, sizeof(path), "/var/tmp/blkprio-bench-cmdprio-%d", getpid());
	unlink(path);
	/* 20 % real-time (cmdprio_class's default), the rest the job's idle class */
	make_job(&j, path, BENCH_RANDREAD, BENCH_IO_URING, 8, false);
	j.verify = false;
	ASSERT_EQ(bench_job_set(&j, "prioclass", "3"), 0);
	EXPECT_EQ(j.ioprio, 3 << 13);		/* fio's level: 0 */
	ASSERT_EQ(bench_job_set(&j, "cmdprio_percentage", "20"), 0);
	ASSERT_EQ(bench_job_check(&j, &why), 0);
	ASSERT_EQ(bench_run(&j, 1, NULL, &r, &n), 0);
	ASSERT_EQ(r[0].error, 0);
	ASSERT_EQ(r[0].dir[BENCH_DIR_READ].nprio, 2);
	EXPECT_EQ(r[0].dir[BENCH_DIR_READ].prio[0].ioprio, 3 << 13);	/* the job's first */
	rt = prio_ios(&r[0], BENCH_DIR_READ, 1 << 13);
	idle = prio_ios(&r[0], BENCH_DIR_READ, 3 << 13);
	EXPECT_EQ(rt + idle, 1024);
	EXPECT_GT(rt, 150);
	EXPECT_LT(rt, 260);
	bench_results_free(r, n);

	/* ramp_time: the priorities count what the job counts, not the ramp */
	j.time_based = true;
	j.ramp_ns = 200000000ull;
	j.runtime_ns = 300000000ull;
	ASSERT_EQ(bench_run(&j, 1, NULL, &r, &n), 0);
	ASSERT_EQ(r[0].error, 0);
	EXPECT_EQ(prio_ios(&r[0], BENCH_DIR_READ, 1 << 13) +
		  prio_ios(&r[0], BENCH_DIR_READ, 3 << 13), r[0].dir[BENCH_DIR_READ].ios);
	bench_results_free(r, n);

	/* per direction: none of the reads, half the writes at best-effort 5 (libaio) */
	make_job(&j, path, BENCH_RANDRW, BENCH_LIBAIO, 8, false);
	j.verify = false;
	ASSERT_EQ(bench_job_set(&j, "cmdprio_percentage", "0,50"), 0);
	ASSERT_EQ(bench_job_set(&j, "cmdprio_class", "2"), 0);
	ASSERT_EQ(bench_job_set(&j, "cmdprio", "5"), 0);
	ASSERT_EQ(bench_run(&j, 1, NULL, &r, &n), 0);
	ASSERT_EQ(r[0].error, 0);
	EXPECT_EQ(r[0].dir[BENCH_DIR_READ].nprio, 0);
	rt = prio_ios(&r[0], BENCH_DIR_WRITE, 2 << 13 | 5);
	EXPECT_EQ(rt + prio_ios(&r[0], BENCH_DIR_WRITE, 0), r[0].dir[BENCH_DIR_WRITE].ios);
	EXPECT_GT(rt * 10, r[0].dir[BENCH_DIR_WRITE].ios * 4);
	EXPECT_LT(rt * 10, r[0].dir[BENCH_DIR_WRITE].ios * 6);
	bench_results_free(r, n);

	/* by block size: the 8k I/Os all idle, a quarter of the 4k ones best-effort 5 */
	make_job(&j, path, BENCH_RANDREAD, BENCH_IO_URING, 8, false);
	j.verify = false;
	ASSERT_EQ(bench_job_set(&j, "bssplit", "4k/50:8k/50"), 0);
	ASSERT_EQ(bench_job_set(&j, "cmdprio_bssplit", "4k/25/2/5:8k/100/3/0"), 0);
	ASSERT_EQ(bench_run(&j, 1, NULL, &r, &n), 0);
	ASSERT_EQ(r[0].error, 0);
	ASSERT_EQ(r[0].dir[BENCH_DIR_READ].nprio, 3);
	idle = prio_ios(&r[0], BENCH_DIR_READ, 3 << 13);
	rt = prio_ios(&r[0], BENCH_DIR_READ, 2 << 13 | 5);
	EXPECT_EQ(idle + rt + prio_ios(&r[0], BENCH_DIR_READ, 0), r[0].dir[BENCH_DIR_READ].ios);
	/* 4 MiB: about 340 8k I/Os, 340 4k ones of which about 85 */
	EXPECT_GT(idle, 250);
	EXPECT_LT(idle, 430);
	EXPECT_GT(rt, 40);
	EXPECT_LT(rt, 140);
	bench_results_free(r, n);

	/* the priority reaches the kernel: real-time I/O needs CAP_SYS_NICE */
	if (geteuid() == 0) {
		make_job(&j, path, BENCH_RANDREAD, BENCH_IO_URING, 8, false);
		j.verify = false;
		j.size = 256 << 10;
		j.thread_init = drop_rt_caps;
		ASSERT_EQ(bench_job_set(&j, "cmdprio_percentage", "100"), 0);
		ASSERT_EQ(bench_run(&j, 1, NULL, &r, &n), 0);
		EXPECT_EQ(r[0].error, -EPERM);
		bench_results_free(r, n);
		j.engine = BENCH_LIBAIO;
		ASSERT_EQ(bench_run(&j, 1, NULL, &r, &n), 0);
		EXPECT_EQ(r[0].error, -EPERM);
		bench_results_free(r, n);
		ASSERT_EQ(bench_job_set(&j, "cmdprio_class", "2"), 0);
		ASSERT_EQ(bench_run(&j, 1, NULL, &r, &n), 0);
		EXPECT_EQ(r[0].error, 0);
		EXPECT_EQ(prio_ios(&r[0], BENCH_DIR_READ, 2 << 13), 64);
		bench_results_free(r, n);
	}

	/* fio's rules */
	make_job(&j, path, BENCH_RANDREAD, BENCH_LIBAIO, 8, false);
	EXPECT_EQ(bench_job_set(&j, "cmdprio_percentage", "101"), -EINVAL);
	EXPECT_EQ(bench_job_set(&j, "cmdprio_class", "0"), -EINVAL);
	EXPECT_EQ(bench_job_set(&j, "cmdprio", "8"), -EINVAL);
	EXPECT_NE(bench_job_set(&j, "cmdprio_bssplit", "4k/60:4k/50"), 0);
	EXPECT_NE(bench_job_set(&j, "cmdprio_bssplit", "4k/10/1"), 0);
	EXPECT_NE(bench_job_set(&j, "cmdprio_bssplit", "x/10"), 0);
	ASSERT_EQ(bench_job_set(&j, "cmdprio_bssplit", "4k/150:8k/10/9/9:16k/0"), 0);
	EXPECT_EQ(j.cmdprio[BENCH_DIR_READ].nsplit, 2);		/* 16k/0 dropped */
	EXPECT_EQ(j.cmdprio[BENCH_DIR_READ].split[0].pct, 100);	/* cut, as fio */
	EXPECT_EQ(j.cmdprio[BENCH_DIR_READ].split[1].ioprio, 3 << 13 | 7);
	EXPECT_NE(bench_job_set(&j, "cmdprio_bssplit", "4k/10/2/1/8"), 0);	/* hints 0..7 */
	ASSERT_EQ(bench_job_set(&j, "cmdprio_bssplit", "4k/10/2/1/3"), 0);
	EXPECT_EQ(j.cmdprio[BENCH_DIR_READ].split[0].ioprio, 2 << 13 | 3 << 3 | 1);
	ASSERT_EQ(bench_job_check(&j, &why), 0);
	ASSERT_EQ(bench_job_set(&j, "cmdprio_percentage", "10"), 0);
	EXPECT_EQ(bench_job_check(&j, &why), -EINVAL);		/* not both */
	bench_job_init(&j);
	snprintf(j.filename, sizeof(j.filename), "%s", path);
	ASSERT_EQ(bench_job_set(&j, "cmdprio_percentage", "10"), 0);
	EXPECT_EQ(bench_job_check(&j, &why), -EINVAL);		/* psync */
	unlink(path);
}

/* steadystate: a job ends once its window is steady, a group as one */
TEST(steadystate_ends_jobs)
{
	struct bench_result *r;
	struct bench_job j[2];
	const char *why;
	char path[64];
	unsigned int n, i, bad;

	snprintf(path, sizeof(path), "/var/tmp/blkprio-bench-ss-%d", getpid());
	unlink(path);
	/* 500 IOPS, every second within 5 % of the mean: steady after 2 s */
	make_job(&j[0], path, BENCH_RANDREAD, BENCH_PSYNC, 1, false);
	j[0].verify = false;
	j[0].time_based = true;
	j[0].runtime_ns = 20000000000ull;
	j[0].rate_iops[BENCH_DIR_READ] = 500;
	ASSERT_EQ(bench_job_set(&j[0], "ss", "iops:5%"), 0);
	ASSERT_EQ(bench_job_set(&j[0], "ss_dur", "2"), 0);
	ASSERT_EQ(bench_run(j, 1, NULL, &r, &n), 0);
	EXPECT_EQ(r[0].error, 0);
	EXPECT_TRUE(r[0].ss.attained);
	EXPECT_EQ(r[0].ss.filled, 2);
	EXPECT_GE(r[0].elapsed_ns, 1900000000ull);
	EXPECT_LT(r[0].elapsed_ns, 4500000000ull);
	for (i = 0; i < 2; i++) {
		EXPECT_GT(r[0].ss.iops[i], 450);
		EXPECT_LT(r[0].ss.iops[i], 550);
		EXPECT_GT(r[0].ss.bw[i], 450 * 4096);
	}
	EXPECT_LT(fabs(r[0].ss.criterion), 5);
	bench_results_free(r, n);
	/* a limit no job meets: the run goes on to its end, not attained */
	ASSERT_EQ(bench_job_set(&j[0], "ss", "bw_slope:0"), 0);
	j[0].runtime_ns = 2500000000ull;
	ASSERT_EQ(bench_run(j, 1, NULL, &r, &n), 0);
	EXPECT_EQ(r[0].error, 0);
	EXPECT_FALSE(r[0].ss.attained);
	EXPECT_GE(r[0].elapsed_ns, 2400000000ull);
	bench_results_free(r, n);
	/* nothing moves (a think time past the run): never steady, as fio's NaN */
	ASSERT_EQ(bench_job_set(&j[0], "ss", "iops:10%"), 0);
	j[0].thinktime_ns = 5000000000ull;
	j[0].runtime_ns = 3500000000ull;
	j[0].rate_iops[BENCH_DIR_READ] = 0;
	ASSERT_EQ(bench_run(j, 1, NULL, &r, &n), 0);
	EXPECT_FALSE(r[0].ss.attained);
	EXPECT_GE(r[0].elapsed_ns, 3400000000ull);
	bench_results_free(r, n);
	j[0].thinktime_ns = 0;
	j[0].rate_iops[BENCH_DIR_READ] = 500;
	/* ss_ramp: nothing counted during it, so steady no sooner than ramp + 1 + dur */
	ASSERT_EQ(bench_job_set(&j[0], "ss", "iops_slope:5%"), 0);
	ASSERT_EQ(bench_job_set(&j[0], "ss_ramp", "1"), 0);
	j[0].runtime_ns = 20000000000ull;
	ASSERT_EQ(bench_run(j, 1, NULL, &r, &n), 0);
	EXPECT_TRUE(r[0].ss.attained);
	EXPECT_GE(r[0].elapsed_ns, 2900000000ull);
	EXPECT_LT(r[0].elapsed_ns, 5500000000ull);
	bench_results_free(r, n);
	/* group_reporting: two copies judged on their sum (1000 IOPS), ending together */
	j[0].numjobs = 2;
	j[0].group_reporting = true;
	ASSERT_EQ(bench_job_set(&j[0], "ss_ramp", "0"), 0);
	ASSERT_EQ(bench_run(j, 1, NULL, &r, &n), 0);
	ASSERT_EQ(n, 2);
	EXPECT_FALSE(r[0].ss.attained);		/* the window is the group's last job's */
	EXPECT_TRUE(r[1].ss.attained);
	EXPECT_GT(r[1].ss.iops[0], 900);
	EXPECT_LT(r[1].ss.iops[0], 1100);
	for (i = 0; i < 2; i++)
		EXPECT_LT(r[i].elapsed_ns, 4500000000ull);
	bench_results_free(r, n);
	/* fio's rules: a criterion and a threshold; one set of options per group */
	EXPECT_EQ(bench_job_set(&j[0], "ss", "iops"), -EINVAL);
	EXPECT_EQ(bench_job_set(&j[0], "ss", "speed:1"), -EINVAL);
	EXPECT_EQ(bench_job_set(&j[0], "ss", "iops:x"), -EINVAL);
	EXPECT_EQ(bench_job_set(&j[0], "ss", "iops:1%x"), -EINVAL);
	ASSERT_EQ(bench_job_set(&j[0], "steadystate", "bw:1m"), 0);
	EXPECT_EQ(j[0].ss_limit, 1 << 20);
	EXPECT_FALSE(j[0].ss_pct);
	j[1] = j[0];
	EXPECT_EQ(bench_jobs_group(j, 2), 1);
	EXPECT_EQ(bench_jobs_link(j, 2, &bad, &why), 0);
	ASSERT_EQ(bench_job_set(&j[1], "ss", "bw:2m"), 0);
	EXPECT_EQ(bench_jobs_link(j, 2, &bad, &why), -EINVAL);
	EXPECT_EQ(bad, 1);
	j[1].new_group = true;
	EXPECT_EQ(bench_jobs_group(j, 2), 2);
	EXPECT_EQ(bench_jobs_link(j, 2, &bad, &why), 0);
	unlink(path);
}

static int seen_policy, seen_cpus;
static unsigned long seen_nodes;

/* What the worker's thread was given: its memory policy and CPUs. */
static int record_numa(const struct bench_job *job, unsigned int index, void *arg)
{
	cpu_set_t set;

	seen_nodes = 0;
	if (syscall(SYS_get_mempolicy, &seen_policy, &seen_nodes, 64UL + 1, NULL, 0UL))
		return -errno;
	if (sched_getaffinity(0, sizeof(set), &set))
		return -errno;
	seen_cpus = CPU_COUNT(&set);
	return 0;
}

/* numa_cpu_nodes, numa_mem_policy: this machine's node 0, other nodes refused */
TEST(numa_placement)
{
	struct bench_result *r;
	struct bench_job j;
	char path[64], node[32];
	unsigned int n, last;
	cpu_set_t all;
	FILE *f;

	for (last = 0; last < 64; last++) {
		snprintf(node, sizeof(node), "/sys/devices/system/node/node%u", last + 1);
		if (access(node, F_OK))
			break;
	}
	f = fopen("/sys/devices/system/node/node0/cpulist", "r");
	if (!f)
		SKIP(return, "no NUMA node 0 in /sys/devices/system/node");
	fclose(f);
	snprintf(path, sizeof(path), "/var/tmp/blkprio-bench-numa-%d", getpid());
	make_job(&j, path, BENCH_WRITE, BENCH_PSYNC, 1, false);
	j.size = 256 << 10;
	j.thread_init = record_numa;
	ASSERT_EQ(bench_job_set(&j, "numa_cpu_nodes", "0"), 0);
	ASSERT_EQ(bench_job_set(&j, "numa_mem_policy", "bind:0"), 0);
	ASSERT_EQ(bench_run(&j, 1, NULL, &r, &n), 0);
	EXPECT_EQ(r[0].error, 0);
	bench_results_free(r, n);
	EXPECT_EQ(seen_policy, 2);			/* MPOL_BIND */
	EXPECT_EQ(seen_nodes, 1);
	ASSERT_EQ(sched_getaffinity(0, sizeof(all), &all), 0);
	if (!last)	/* one node: its CPUs are all of them */
		EXPECT_EQ(seen_cpus, CPU_COUNT(&all));
	EXPECT_GT(seen_cpus, 0);
	ASSERT_EQ(bench_job_set(&j, "numa_mem_policy", "interleave:all"), 0);
	ASSERT_EQ(bench_run(&j, 1, NULL, &r, &n), 0);
	EXPECT_EQ(r[0].error, 0);
	bench_results_free(r, n);
	EXPECT_EQ(seen_policy, 3);			/* MPOL_INTERLEAVE */
	ASSERT_EQ(bench_job_set(&j, "numa_mem_policy", "local"), 0);
	ASSERT_EQ(bench_run(&j, 1, NULL, &r, &n), 0);
	EXPECT_EQ(r[0].error, 0);
	bench_results_free(r, n);
	EXPECT_EQ(seen_policy, 4);			/* MPOL_LOCAL */
	/* fio's rules: nodes the machine has, a list for bind, one for prefer */
	snprintf(node, sizeof(node), "%u", last + 1);
	EXPECT_EQ(bench_job_set(&j, "numa_cpu_nodes", node), -EINVAL);
	snprintf(node, sizeof(node), "0-%u", last + 1);
	EXPECT_EQ(bench_job_set(&j, "numa_cpu_nodes", node), -EINVAL);
	EXPECT_EQ(bench_job_set(&j, "numa_cpu_nodes", "x"), -EINVAL);
	EXPECT_EQ(bench_job_set(&j, "numa_mem_policy", "bind"), -EINVAL);
	EXPECT_EQ(bench_job_set(&j, "numa_mem_policy", "local:0"), -EINVAL);
	EXPECT_EQ(bench_job_set(&j, "numa_mem_policy", "preferred:0"), -EINVAL);
	EXPECT_EQ(bench_job_set(&j, "numa_mem_policy", "prefer:0"), 0);
	unlink(path);
}

TEST(block_sizes_by_fio_rules)
{
	static const char *const bad[][2] = {
		{ "bs", "0" }, { "bs", "1,2,3,4" }, { "bs", "65m" }, { "bsrange", "4k" },
		{ "bsrange", "4k-x" }, { "bssplit", "4k/60:8k/50:16k" }, { "bssplit", "4k/x" },
		{ "bssplit", "4k::8k" }, { "bssplit", "/10" },
	};
	struct bench_bs_dir saved[BENCH_NDIR];
	struct bench_job j;
	uint32_t mn, mx;
	const char *why;
	size_t i;

	bench_job_init(&j);
	EXPECT_TRUE(bench_job_bs_fixed(&j));
	ASSERT_EQ(bench_job_set(&j, "bs", "8k,32k"), 0);
	bench_job_bs(&j, BENCH_DIR_READ, &mn, &mx);
	EXPECT_EQ(mn, 8192);
	EXPECT_EQ(mx, 8192);
	bench_job_bs(&j, BENCH_DIR_WRITE, &mn, &mx);
	EXPECT_EQ(mn, 32768);
	EXPECT_EQ(j.bs, 8192);		/* the smallest */
	EXPECT_FALSE(bench_job_bs_fixed(&j));
	/* an empty field leaves its direction alone */
	ASSERT_EQ(bench_job_set(&j, "bs", ",16k"), 0);
	bench_job_bs(&j, BENCH_DIR_READ, &mn, &mx);
	EXPECT_EQ(mn, 8192);
	bench_job_bs(&j, BENCH_DIR_WRITE, &mn, &mx);
	EXPECT_EQ(mx, 16384);
	/* one value for every direction; a range given the other way round */
	ASSERT_EQ(bench_job_set(&j, "bsrange", "16k-4k"), 0);
	for (i = 0; i < BENCH_NDIR; i++) {
		bench_job_bs(&j, i, &mn, &mx);
		EXPECT_EQ(mn, 4096);
		EXPECT_EQ(mx, 16384);
	}
	/* a size without a percentage takes the rest; sorted by percentage */
	ASSERT_EQ(bench_job_set(&j, "bssplit", "4k/10:64k/50:32k,8k"), 0);
	ASSERT_EQ(j.bsd[BENCH_DIR_READ].nsplit, 3);
	EXPECT_EQ(j.bsd[BENCH_DIR_READ].split[0].bs, 4096);
	EXPECT_EQ(j.bsd[BENCH_DIR_READ].split[0].pct, 10);
	EXPECT_EQ(j.bsd[BENCH_DIR_READ].split[1].bs, 32768);
	EXPECT_EQ(j.bsd[BENCH_DIR_READ].split[1].pct, 40);
	EXPECT_EQ(j.bsd[BENCH_DIR_READ].split[2].bs, 65536);
	EXPECT_EQ(j.bsd[BENCH_DIR_READ].min, 4096);
	EXPECT_EQ(j.bsd[BENCH_DIR_READ].max, 65536);
	bench_job_bs(&j, BENCH_DIR_WRITE, &mn, &mx);
	EXPECT_EQ(mn, 8192);
	EXPECT_EQ(mx, 8192);
	memcpy(saved, j.bsd, sizeof(saved));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(bench_job_set(&j, bad[i][0], bad[i][1]), -EINVAL) {
			TH_LOG("%s=%s", bad[i][0], bad[i][1]);
		}
		EXPECT_EQ(memcmp(saved, j.bsd, sizeof(saved)), 0);
	}
	/* one size per I/O is what verify checks; direct I/O needs 512s */
	snprintf(j.filename, sizeof(j.filename), "/dev/null");
	j.verify = true;
	EXPECT_EQ(bench_job_check(&j, &why), -EINVAL);
	EXPECT_NE(strstr(why, "verify"), NULL);
	j.verify = false;
	EXPECT_EQ(bench_job_check(&j, &why), 0);
	ASSERT_EQ(bench_job_set(&j, "bsrange", "768-4k"), 0);
	j.direct = true;
	EXPECT_EQ(bench_job_check(&j, &why), -EINVAL);
}

/* Sizes drawn as fio draws them: the split's shares, a range's multiples of MIN. */
TEST(block_sizes_drawn)
{
	unsigned int count[5] = { 0 }, i, n = 200000;
	uint64_t r = 88172645463325252ULL;
	struct bench_job j;
	uint32_t len;

	bench_job_init(&j);
	ASSERT_EQ(bench_job_set(&j, "bssplit", "4k/10:64k/50:32k"), 0);
	for (i = 0; i < n; i++) {
		r ^= r << 13, r ^= r >> 7, r ^= r << 17;
		len = bench_bs_pick(&j, BENCH_DIR_READ, r);
		count[len == 4096 ? 0 : len == 32768 ? 1 : len == 65536 ? 2 : 3]++;
	}
	EXPECT_EQ(count[3], 0);
	EXPECT_LT(abs((int)count[0] - (int)(n / 10)), n / 100);
	EXPECT_LT(abs((int)count[1] - (int)(n * 4 / 10)), n / 100);
	EXPECT_LT(abs((int)count[2] - (int)(n / 2)), n / 100);
	/* 4k-16k: 4k + 16k * u, capped, rounded down to 4k: a quarter each */
	ASSERT_EQ(bench_job_set(&j, "bsrange", "4k-16k"), 0);
	memset(count, 0, sizeof(count));
	for (i = 0; i < n; i++) {
		r ^= r << 13, r ^= r >> 7, r ^= r << 17;
		len = bench_bs_pick(&j, BENCH_DIR_WRITE, r);
		if (len % 4096 || len < 4096 || len > 16384)
			count[4]++;
		else
			count[len / 4096 - 1]++;
	}
	EXPECT_EQ(count[4], 0);
	for (i = 0; i < 4; i++)
		EXPECT_LT(abs((int)count[i] - (int)(n / 4)), n / 100);
}

/* Jobs of varying sizes: each direction its own, and the job ends on its size. */
TEST(block_sizes_run)
{
	static const enum bench_engine engines[] = { BENCH_PSYNC, BENCH_IO_URING, BENCH_LIBAIO };
	struct bench_result *r;
	struct bench_job j;
	char path[64];
	unsigned int n, e;
	double mean;

	snprintf(path, sizeof(path), "/var/tmp/blkprio-bench-bs-%d", getpid());
	make_job(&j, path, BENCH_WRITE, BENCH_PSYNC, 1, false);
	j.verify = false;
	ASSERT_EQ(bench_job_set(&j, "bs", "4k,16k"), 0);
	ASSERT_EQ(bench_run(&j, 1, NULL, &r, &n), 0);
	EXPECT_EQ(r[0].dir[BENCH_DIR_WRITE].bytes, 4 << 20);
	EXPECT_EQ(r[0].dir[BENCH_DIR_WRITE].ios, (4 << 20) / 16384);
	bench_results_free(r, n);
	j.rw = BENCH_READ;
	ASSERT_EQ(bench_run(&j, 1, NULL, &r, &n), 0);
	EXPECT_EQ(r[0].dir[BENCH_DIR_READ].ios, (4 << 20) / 4096);
	bench_results_free(r, n);
	for (e = 0; e < sizeof(engines) / sizeof(engines[0]); e++) {
		make_job(&j, path, BENCH_RANDREAD, engines[e], 8, e == 2);
		j.verify = false;
		j.norandommap = true;	/* sizes as drawn (the map cuts them: below) */
		ASSERT_EQ(bench_job_set(&j, "bssplit", "4k/50:16k/50"), 0);
		ASSERT_EQ(bench_run(&j, 1, NULL, &r, &n), 0);
		EXPECT_EQ(r[0].error, 0);
		EXPECT_EQ(r[0].dir[BENCH_DIR_READ].bytes, 4 << 20) {
			TH_LOG("%s", bench_engine_name(engines[e]));
		}
		mean = (double)r[0].dir[BENCH_DIR_READ].bytes / (double)r[0].dir[BENCH_DIR_READ].ios;
		EXPECT_GT(mean, 10240 * 0.85);
		EXPECT_LT(mean, 10240 * 1.15);
		bench_results_free(r, n);
	}
	unlink(path);
}

/* rw=randwrite:8: one random offset, then 7 I/Os that follow on from it. */
TEST(random_runs_of_eight)
{
	static char blk[4096], zero[4096];
	unsigned int n, b, runs = 0, written = 0, last = 0;
	struct bench_result *r;
	struct bench_job j;
	char path[64];
	bool prev = false;
	int fd;

	snprintf(path, sizeof(path), "/var/tmp/blkprio-bench-run8-%d", getpid());
	fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0600);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(ftruncate(fd, 1 << 20), 0);
	close(fd);
	make_job(&j, path, BENCH_WRITE, BENCH_PSYNC, 1, false);
	j.verify = false;
	j.size = 1 << 20;
	j.io_size = 8 * 4096;
	ASSERT_EQ(bench_job_set(&j, "rw", "randwrite:8"), 0);
	EXPECT_EQ(j.rw, BENCH_RANDWRITE);
	ASSERT_EQ(bench_run(&j, 1, NULL, &r, &n), 0);
	EXPECT_EQ(r[0].dir[BENCH_DIR_WRITE].ios, 8);
	bench_results_free(r, n);
	fd = open(path, O_RDONLY);
	ASSERT_GE(fd, 0);
	for (b = 0; b < 256; b++) {
		bool w;

		ASSERT_EQ(pread(fd, blk, sizeof(blk), (off_t)b * 4096), sizeof(blk));
		w = memcmp(blk, zero, sizeof(blk)) != 0;
		if (w && !prev)
			runs++;
		if (w) {
			written++;
			last = b;
		}
		prev = w;
	}
	close(fd);
	unlink(path);
	EXPECT_EQ(written, 8);
	/* one run, or two when the first reached the end and a new one began */
	EXPECT_TRUE(runs == 1 || (runs == 2 && last == 255)) {
		TH_LOG("%u runs", runs);
	}
}

/* A worker over n blocks of 4 KiB for the offset draws, as a run sets it up. */
static void off_worker(struct bench_worker *w, struct bench_job *j, uint64_t n)
{
	memset(w, 0, sizeof(*w));
	w->job = j;
	w->nblocks = n;
	w->unit = j->bs;
	w->rng = 0x2545f4914f6cdd1dULL;
}

static int cmp_desc(const void *a, const void *b)
{
	unsigned int x = *(const unsigned int *)a, y = *(const unsigned int *)b;

	return (x < y) - (x > y);
}

/* Set the distribution, draw reads over n blocks, count them per block. */
static void draw_counts(struct bench_worker *w, struct bench_job *j, const char *distr,
			uint64_t n, unsigned int *count, unsigned int draws)
{
	unsigned int i;

	if (bench_job_set(j, "random_distribution", distr))
		abort();
	off_worker(w, j, n);
	if (bench_off_setup(w))
		abort();
	memset(count, 0, n * sizeof(*count));
	for (i = 0; i < draws; i++)
		count[bench_off_next(w, BENCH_DIR_READ) / 4096]++;
}

/* The share of the draws that the hottest k blocks took. */
static double top_share(unsigned int *count, uint64_t n, uint64_t k, unsigned int draws)
{
	uint64_t i, sum = 0;

	qsort(count, n, sizeof(count[0]), cmp_desc);
	for (i = 0; i < k; i++)
		sum += count[i];
	return (double)sum / draws;
}

/* fill_device: a tmpfs of 4 MiB of its own, written until full */
FIXTURE(fill)
{
	char dir[64], path[80];
	bool mounted;
};

FIXTURE_SETUP(fill)
{
	self->mounted = false;
	if (geteuid())
		SKIP(return, "mounting a tmpfs needs root");
	snprintf(self->dir, sizeof(self->dir), "/var/tmp/blkprio-fill-XXXXXX");
	ASSERT_NE(mkdtemp(self->dir), NULL);
	ASSERT_EQ(mount("tmpfs", self->dir, "tmpfs", 0, "size=4m"), 0);
	self->mounted = true;
	snprintf(self->path, sizeof(self->path), "%s/data", self->dir);
}

FIXTURE_TEARDOWN(fill)
{
	if (self->mounted)
		umount(self->dir);
	if (self->dir[0])
		rmdir(self->dir);
}

TEST_F(fill, fill_device_until_full)
{
	static const enum bench_engine engines[] = { BENCH_PSYNC, BENCH_IO_URING, BENCH_LIBAIO };
	struct bench_result *r;
	struct bench_job j;
	const char *why;
	struct stat st;
	unsigned int n, e;

	for (e = 0; e < 3; e++) {
		unlink(self->path);
		make_job(&j, self->path, BENCH_WRITE, engines[e], 8, false);
		j.size = 1 << 20;		/* fill_device: the size does not count */
		j.bs = 64 << 10;
		ASSERT_EQ(bench_job_set(&j, "fill_device", "1"), 0);
		ASSERT_EQ(bench_job_check(&j, &why), 0);
		ASSERT_EQ(bench_run(&j, 1, NULL, &r, &n), 0);
		EXPECT_EQ(r[0].error, 0) {
			TH_LOG("%s: %s", bench_engine_name(engines[e]), strerror(-r[0].error));
		}
		EXPECT_EQ(r[0].dir[BENCH_DIR_WRITE].bytes, 4 << 20);
		/* and the verify phase read back every block written */
		EXPECT_EQ(r[0].dir[BENCH_DIR_READ].bytes, 4 << 20);
		EXPECT_EQ(r[0].verify_errors, 0);
		bench_results_free(r, n);
		ASSERT_EQ(stat(self->path, &st), 0);
		EXPECT_EQ(st.st_size, 4 << 20);
	}
	/* without it, a full file system is an error */
	unlink(self->path);
	make_job(&j, self->path, BENCH_WRITE, BENCH_PSYNC, 1, false);
	j.size = 8 << 20;
	j.verify = false;
	ASSERT_EQ(bench_run(&j, 1, NULL, &r, &n), 0);
	EXPECT_EQ(r[0].error, -ENOSPC);
	bench_results_free(r, n);
	j.rw = BENCH_READ;
	ASSERT_EQ(bench_job_set(&j, "fill_fs", "1"), 0);
	EXPECT_EQ(bench_job_check(&j, &why), -EINVAL);
}

/* Where the first hole of path is (its size when none). */
static off_t first_hole(const char *path)
{
	int fd = open(path, O_RDONLY);
	off_t h = fd < 0 ? -1 : lseek(fd, 0, SEEK_HOLE);

	if (fd >= 0)
		close(fd);
	return h;
}

/* The random map with sizes drawn per I/O: every block once, I/Os cut to
 * what the pass has not had (fio's map); without it blocks are missed. */
TEST(random_map_sizes_per_io)
{
	struct bench_result *r;
	struct bench_job j;
	char path[64];
	unsigned int n;

	snprintf(path, sizeof(path), "/var/tmp/blkprio-bench-map-%d", getpid());
	for (int nomap = 0; nomap < 2; nomap++) {
		unlink(path);
		make_job(&j, path, BENCH_RANDWRITE, BENCH_PSYNC, 1, false);
		j.verify = false;
		j.size = 1 << 20;
		j.norandommap = nomap;
		ASSERT_EQ(bench_job_set(&j, "bssplit", "4k/50:16k/50"), 0);
		ASSERT_EQ(bench_run(&j, 1, NULL, &r, &n), 0);
		ASSERT_EQ(r[0].error, 0);
		EXPECT_EQ(r[0].dir[BENCH_DIR_WRITE].bytes, 1 << 20);
		/* 16k I/Os cut to the free blocks: more I/Os than 1m at 10k each */
		if (!nomap) {
			EXPECT_GT(r[0].dir[BENCH_DIR_WRITE].ios, 110);
			EXPECT_EQ(first_hole(path), 1 << 20);
		} else {
			EXPECT_LT(first_hole(path), 1 << 20);
		}
		bench_results_free(r, n);
	}
	/* directions on grids of their own (4k and 16k): no I/O shorter than its size */
	unlink(path);
	make_job(&j, path, BENCH_RANDRW, BENCH_PSYNC, 1, false);
	j.verify = false;
	j.size = 1 << 20;
	ASSERT_EQ(bench_job_set(&j, "bsrange", "4k-8k,16k-32k"), 0);
	ASSERT_EQ(bench_run(&j, 1, NULL, &r, &n), 0);
	ASSERT_EQ(r[0].error, 0);
	EXPECT_GE(r[0].dir[BENCH_DIR_READ].bytes, r[0].dir[BENCH_DIR_READ].ios * 4096);
	EXPECT_GE(r[0].dir[BENCH_DIR_WRITE].bytes, r[0].dir[BENCH_DIR_WRITE].ios * 16384);
	bench_results_free(r, n);
	unlink(path);
}

/* random_generator=lfsr: each block once a pass, even with norandommap */
TEST(random_generator_lfsr)
{
	static unsigned int count[1000];
	struct bench_worker w;
	struct bench_job j;
	unsigned int i, twice = 0;

	bench_job_init(&j);
	j.rw = BENCH_RANDREAD;
	j.norandommap = true;
	draw_counts(&w, &j, "random", 1000, count, 1000);
	for (i = 0; i < 1000; i++)
		twice += count[i] > 1;
	EXPECT_GT(twice, 100);		/* without a map, blocks repeat */
	ASSERT_EQ(bench_job_set(&j, "random_generator", "lfsr"), 0);
	draw_counts(&w, &j, "random", 1000, count, 1000);
	for (i = 0; i < 1000; i++)
		EXPECT_EQ(count[i], 1);
	EXPECT_EQ(bench_job_set(&j, "random_generator", "tausworthe64"), 0);
	EXPECT_EQ(bench_job_set(&j, "random_generator", "tausworthe"), 0);
	EXPECT_EQ(bench_job_set(&j, "random_generator", "mt"), -EINVAL);
}

/* random_distribution and blockalign: fio's parameters, checks and shapes. */
TEST(offset_distributions)
{
	static const char *const bad[][2] = {
		{ "random_distribution", "zipf:1" }, { "random_distribution", "zipf:x" },
		{ "random_distribution", "pareto:1" }, { "random_distribution", "pareto:0" },
		{ "random_distribution", "normal:100" }, { "random_distribution", "zipf:1.2:1.5" },
		{ "random_distribution", "zoned:50/5:30/15" }, { "random_distribution", "zoned" },
		{ "random_distribution", "zoned:101/5" }, { "random_distribution", "zoned:60/50:40/60" },
		{ "random_distribution", "gauss" }, { "random_distribution", "random:1" },
		{ "random_distribution", "zoned_abs:50/1x:50/1m" }, { "blockalign", "0" },
		{ "blockalign", "4k,x" },
	};
	const unsigned int draws = 200000;
	unsigned int *count = calloc(16384, sizeof(*count)), zone[4] = { 0 }, i, odd = 0;
	struct bench_worker w;
	struct bench_job j;
	uint64_t off, n = 10000;
	double z, share;
	const char *why;

	ASSERT_NE(count, NULL);
	bench_job_init(&j);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		EXPECT_EQ(bench_job_set(&j, bad[i][0], bad[i][1]), -EINVAL) {
			TH_LOG("%s=%s", bad[i][0], bad[i][1]);
		}
	EXPECT_EQ(j.distr.kind, BENCH_DIST_RANDOM);
	/* zoned: 50% to the first 5%, 30% to the next 15%, 20% to the rest */
	ASSERT_EQ(bench_job_set(&j, "random_distribution", "zoned:50/5:30/15:20/"), 0);
	off_worker(&w, &j, n);
	ASSERT_EQ(bench_off_setup(&w), 0);
	for (i = 0; i < draws; i++) {
		off = bench_off_next(&w, i & 1 ? BENCH_DIR_WRITE : BENCH_DIR_READ) / 4096;
		zone[off < 500 ? 0 : off < 2000 ? 1 : off < n ? 2 : 3]++;
	}
	EXPECT_EQ(zone[3], 0);
	EXPECT_LT(abs((int)zone[0] - (int)(draws / 2)), draws / 100);
	EXPECT_LT(abs((int)zone[1] - (int)(draws * 3 / 10)), draws / 100);
	/* zoned_abs, writes only: reads stay uniform */
	ASSERT_EQ(bench_job_set(&j, "random_distribution", "zoned_abs:,60/1m:40/3m"), 0);
	off_worker(&w, &j, 4096);
	ASSERT_EQ(bench_off_setup(&w), 0);
	memset(zone, 0, sizeof(zone));
	for (i = 0; i < draws; i++) {
		off = bench_off_next(&w, BENCH_DIR_WRITE);
		zone[off < (1 << 20) ? 0 : off < (4 << 20) ? 1 : 2]++;
		if (bench_off_next(&w, BENCH_DIR_READ) >= (4 << 20))
			zone[3]++;
	}
	EXPECT_EQ(zone[2], 0);
	EXPECT_LT(abs((int)zone[0] - (int)(draws * 6 / 10)), draws / 100);
	EXPECT_LT(abs((int)zone[3] - (int)(draws * 3 / 4)), draws / 100);
	/* zones past the region: refused when the run sets up */
	off_worker(&w, &j, 512);
	EXPECT_EQ(bench_off_setup(&w), -ERANGE);
	/* the shapes below over a power of two of blocks, where fio's spreading
	 * (rank times the golden ratio, modulo the blocks) is one to one */
	n = 8192;
	/* pareto 0.2: the hottest 20% of the blocks take 80% of the I/Os */
	draw_counts(&w, &j, "pareto:0.2", n, count, draws);
	share = top_share(count, n, n / 5, draws);
	EXPECT_LT(fabs(share - 0.8), 0.02) {
		TH_LOG("pareto top 20%%: %.3f", share);
	}
	/* zipf 1.1: the hottest block takes 1/zeta(n), the next 2^-1.1 of that */
	draw_counts(&w, &j, "zipf:1.1", n, count, draws);
	for (z = 0, i = 1; i <= n; i++)
		z += pow(i, -1.1);
	qsort(count, n, sizeof(count[0]), cmp_desc);
	EXPECT_LT(fabs((double)count[0] / draws - 1 / z), 0.005);
	EXPECT_LT(fabs((double)count[1] / draws - pow(0.5, 1.1) / z), 0.005);
	/* normal: the densest sixth (two standard deviations) takes about 68% */
	draw_counts(&w, &j, "normal", n, count, draws);
	share = top_share(count, n, n / 6, draws);
	EXPECT_LT(fabs(share - 0.683), 0.03) {
		TH_LOG("normal densest sixth: %.3f", share);
	}
	/* blockalign 1k, bs 4k: offsets at 1k steps, the last I/O inside the region */
	ASSERT_EQ(bench_job_set(&j, "random_distribution", "random"), 0);
	ASSERT_EQ(bench_job_set(&j, "blockalign", "1k"), 0);
	off_worker(&w, &j, 64);
	ASSERT_EQ(bench_off_setup(&w), 0);
	EXPECT_FALSE(w.off.map);	/* as fio: blockalign turns the map off */
	for (i = 0; i < 10000; i++) {
		off = bench_off_next(&w, BENCH_DIR_WRITE);
		EXPECT_EQ(off % 1024, 0);
		EXPECT_LE(off + 4096, 64 * 4096);
		odd += off % 4096 != 0;
	}
	EXPECT_GT(odd, 5000);
	/* verify cannot check overlapping writes */
	snprintf(j.filename, sizeof(j.filename), "/dev/null");
	j.verify = true;
	EXPECT_EQ(bench_job_check(&j, &why), -EINVAL);
	EXPECT_NE(strstr(why, "blockalign"), NULL);
	/* the random map: every block once a pass */
	bench_job_init(&j);
	off_worker(&w, &j, 1000);
	ASSERT_EQ(bench_off_setup(&w), 0);
	EXPECT_TRUE(w.off.map);
	memset(count, 0, 16384 * sizeof(*count));
	for (i = 0; i < 1000; i++)
		count[bench_off_next(&w, BENCH_DIR_READ) / 4096]++;
	for (i = 0; i < 1000; i++)
		EXPECT_EQ(count[i], 1);
	free(count);
}

TEST_HARNESS_MAIN
