// SPDX-License-Identifier: GPL-2.0
/*
 * The qcow2 library against a raw mirror, with qemu-img as the oracle:
 * random writes/zeroes/discards of random sizes over several cluster sizes
 * and preallocation modes, then `qemu-img check` (no errors, no leaks) and
 * `qemu-img compare` against the mirror. Plus feature bits, read-only and
 * corrupt handling, refcount widths, resize.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <blkprio/qcow2.h>

/* the harness longjmps around its own locals */
#pragma GCC diagnostic ignored "-Wclobbered"
#include "kselftest_harness.h"
#include "testlib.h"

FIXTURE(img) {
	char dir[64];
	char path[128];
	char raw[128];
};

FIXTURE_VARIANT(img) {
	uint32_t cluster_size;
	enum qcow2_prealloc prealloc;
	uint64_t size;
	int version;
	bool lazy;
};

FIXTURE_VARIANT_ADD(img, c64k) { .cluster_size = 65536, .size = 64 << 20, .version = 3 };
FIXTURE_VARIANT_ADD(img, c512) { .cluster_size = 512, .size = 24 << 20, .version = 3 };
FIXTURE_VARIANT_ADD(img, c4k) { .cluster_size = 4096, .size = 48 << 20, .version = 3 };
FIXTURE_VARIANT_ADD(img, c2m) { .cluster_size = 2 << 20, .size = 96 << 20, .version = 3 };
FIXTURE_VARIANT_ADD(img, metadata) {
	.cluster_size = 65536, .prealloc = QCOW2_PREALLOC_METADATA, .size = 64 << 20, .version = 3 };
FIXTURE_VARIANT_ADD(img, falloc) {
	.cluster_size = 65536, .prealloc = QCOW2_PREALLOC_FALLOC, .size = 64 << 20, .version = 3 };
FIXTURE_VARIANT_ADD(img, full) {
	.cluster_size = 4096, .prealloc = QCOW2_PREALLOC_FULL, .size = 16 << 20, .version = 3 };
FIXTURE_VARIANT_ADD(img, v2) { .cluster_size = 65536, .size = 64 << 20, .version = 2 };
FIXTURE_VARIANT_ADD(img, lazy) {
	.cluster_size = 65536, .size = 64 << 20, .version = 3, .lazy = true };

FIXTURE_SETUP(img)
{
	strcpy(self->dir, "/tmp/blkprio-qcow2.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(self->path, sizeof(self->path), "%s/t.qcow2", self->dir);
	snprintf(self->raw, sizeof(self->raw), "%s/t.raw", self->dir);
}

FIXTURE_TEARDOWN(img)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", self->dir);
	if (system(cmd))
		TH_LOG("cleanup of %s failed", self->dir);
}

static int create(const char *path, const FIXTURE_VARIANT(img) *v)
{
	struct qcow2_create_opts o;

	qcow2_create_opts_init(&o, v->size);
	o.cluster_size = v->cluster_size;
	o.prealloc = v->prealloc;
	o.version = v->version;
	o.lazy_refcounts = v->lazy;
	return qcow2_create(path, &o, 0);
}

TEST_F(img, random_io_matches_mirror)
{
	uint64_t size = variant->size, off, len;
	uint8_t *buf, *chk, *mirror;
	struct qcow2 *q;
	int i, fd, op;

	if (!have_qemu_img())
		SKIP(return, "qemu-img not installed");
	ASSERT_EQ(0, create(self->path, variant));
	ASSERT_EQ(0, qcow2_open(self->path, 0, &q));
	ASSERT_EQ(size, qcow2_size(q));
	mirror = calloc(1, size);
	buf = malloc(4 << 20);
	chk = malloc(4 << 20);
	ASSERT_TRUE(mirror && buf && chk);
	rnd_state = 0x1234567 + variant->cluster_size;
	for (i = 0; i < 400; i++) {
		op = (int)(rnd() % 10);
		len = rnd() % 4 == 0 ? rnd() % (4 << 20) + 1 : rnd() % 70000 + 1;
		if (len > size)
			len = size;
		off = rnd() % (size - len + 1);
		if (rnd() % 3 == 0)
			off &= ~4095ull;
		if (op < 7) {
			uint64_t j;

			for (j = 0; j < len; j++)
				buf[j] = (uint8_t)(i * 7 + j / 512);
			ASSERT_EQ((ssize_t)len, qcow2_pwrite(q, buf, len, off));
			memcpy(mirror + off, buf, len);
		} else if (op == 7) {
			ASSERT_EQ(0, qcow2_write_zeroes(q, off, len, rnd() % 2 ? QCOW2_ZERO_UNMAP : 0));
			memset(mirror + off, 0, len);
		} else if (op == 8) {
			ASSERT_EQ(0, qcow2_discard(q, off, len));
			memset(mirror + off, 0, len);
		} else {
			ASSERT_EQ((ssize_t)len, qcow2_pread(q, chk, len, off));
			ASSERT_EQ(0, memcmp(chk, mirror + off, len)) {
				TH_LOG("op %d: read %llu+%llu differs", i, (unsigned long long)off,
				       (unsigned long long)len);
			}
		}
		if (i % 100 == 99)
			ASSERT_EQ(0, qcow2_flush(q));
	}
	/* Whole image through our reader. */
	for (off = 0; off < size; off += len) {
		len = size - off < (4 << 20) ? size - off : (4 << 20);
		ASSERT_EQ((ssize_t)len, qcow2_pread(q, chk, len, off));
		ASSERT_EQ(0, memcmp(chk, mirror + off, len)) {
			TH_LOG("final read at %llu differs", (unsigned long long)off);
		}
	}
	ASSERT_EQ(0, qcow2_close(q));
	fd = open(self->raw, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ASSERT_LE(0, fd);
	ASSERT_EQ((ssize_t)size, write(fd, mirror, size));
	close(fd);
	free(mirror);
	free(buf);
	free(chk);
	EXPECT_EQ(0, run("qemu-img check -q %s", self->path));
	EXPECT_EQ(0, run("qemu-img compare -q -f qcow2 -F raw %s %s", self->path, self->raw));
	EXPECT_EQ(0, run("qemu-img info --output=json %s | grep -q '\"cluster-size\": %u'",
			 self->path, variant->cluster_size));
	EXPECT_EQ(0, run("qemu-img info --output=json %s | grep -q '\"dirty-flag\": false'",
			 self->path));
	EXPECT_EQ(0, run("qemu-img info --output=json %s | grep -q '\"compat\": \"%s\"'",
			 self->path, variant->version == 2 ? "0.10" : "1.1"));
}

TEST_F(img, reopen_and_read_only)
{
	uint8_t buf[8192], out[8192];
	struct qcow2 *q;

	ASSERT_EQ(0, create(self->path, variant));
	ASSERT_EQ(0, qcow2_open(self->path, 0, &q));
	memset(buf, 0xab, sizeof(buf));
	ASSERT_EQ((ssize_t)sizeof(buf), qcow2_pwrite(q, buf, sizeof(buf), 12345));
	ASSERT_EQ(0, qcow2_close(q));
	ASSERT_EQ(0, qcow2_open(self->path, QCOW2_O_RDONLY, &q));
	ASSERT_EQ((ssize_t)sizeof(out), qcow2_pread(q, out, sizeof(out), 12345));
	ASSERT_EQ(0, memcmp(buf, out, sizeof(buf)));
	EXPECT_EQ(-EROFS, qcow2_pwrite(q, buf, 1, 0));
	EXPECT_EQ(-EINVAL, qcow2_pread(q, out, 2, variant->size - 1));
	ASSERT_EQ(0, qcow2_close(q));
}

TEST_F(img, o_direct)
{
	struct qcow2 *q;
	uint8_t *buf = NULL, *out = NULL;

	ASSERT_EQ(0, create(self->path, variant));
	if (qcow2_open(self->path, QCOW2_O_DIRECT, &q))
		SKIP(return, "O_DIRECT not supported here");
	ASSERT_EQ(0, posix_memalign((void **)&buf, 4096, 1 << 20));
	ASSERT_EQ(0, posix_memalign((void **)&out, 4096, 1 << 20));
	memset(buf, 0x5a, 1 << 20);
	ASSERT_EQ(1 << 20, qcow2_pwrite(q, buf, 1 << 20, 1 << 20));
	ASSERT_EQ(100, qcow2_pwrite(q, buf, 100, 3));		/* unaligned */
	ASSERT_EQ(1 << 20, qcow2_pread(q, out, 1 << 20, 1 << 20));
	ASSERT_EQ(0, memcmp(buf, out, 1 << 20));
	ASSERT_EQ(4096, qcow2_pread(q, out, 4096, 0));
	ASSERT_EQ(0, out[0]);
	ASSERT_EQ(0x5a, out[3]);
	ASSERT_EQ(0x5a, out[102]);
	ASSERT_EQ(0, out[103]);
	ASSERT_EQ(0, qcow2_close(q));
	free(buf);
	free(out);
	if (have_qemu_img())
		EXPECT_EQ(0, run("qemu-img check -q %s", self->path));
}

/* A temporary folder for the tests without variants, removed even on failure. */
FIXTURE(tmp) {
	char dir[64];
};

FIXTURE_SETUP(tmp)
{
	strcpy(self->dir, "/tmp/blkprio-qcow2t.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
}

FIXTURE_TEARDOWN(tmp)
{
	if (run("rm -rf %s", self->dir))
		TH_LOG("cleanup of %s failed", self->dir);
}

TEST_F(tmp, refcount_widths)
{
	static const uint32_t bits[] = { 1, 2, 4, 8, 16, 32, 64 };
	char path[128];
	struct qcow2_create_opts o;
	uint8_t buf[70000];
	struct qcow2 *q;
	unsigned int i;

	if (!have_qemu_img())
		SKIP(return, "qemu-img not installed");
	memset(buf, 0x11, sizeof(buf));
	for (i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
		snprintf(path, sizeof(path), "%s/rb%u.qcow2", self->dir, bits[i]);
		qcow2_create_opts_init(&o, 32 << 20);
		o.refcount_bits = bits[i];
		o.cluster_size = 4096;
		ASSERT_EQ(0, qcow2_create(path, &o, 0));
		ASSERT_EQ(0, qcow2_open(path, 0, &q));
		ASSERT_EQ((ssize_t)sizeof(buf), qcow2_pwrite(q, buf, sizeof(buf), 5 << 20));
		ASSERT_EQ(0, qcow2_discard(q, 5 << 20, 8192));
		ASSERT_EQ(0, qcow2_close(q));
		EXPECT_EQ(0, run("qemu-img check -q %s", path));
		EXPECT_EQ(0, run("qemu-img info %s | grep -q 'refcount bits: %u'", path, bits[i]));
	}
}

TEST_F(tmp, unknown_incompatible_bit_refused)
{
	char path[128];
	struct qcow2_create_opts o;
	uint8_t bit = 0x80, before[512], after[512];
	struct qcow2 *q;
	int fd;

	snprintf(path, sizeof(path), "%s/x.qcow2", self->dir);
	qcow2_create_opts_init(&o, 1 << 20);
	ASSERT_EQ(0, qcow2_create(path, &o, 0));
	fd = open(path, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(1, pwrite(fd, &bit, 1, 72));		/* incompatible bit 63 */
	ASSERT_EQ(512, pread(fd, before, 512, 0));
	EXPECT_EQ(-ENOTSUP, qcow2_open(path, 0, &q));
	EXPECT_NE(NULL, strstr(qcow2_last_error(), "Unsupported"));
	EXPECT_EQ(-ENOTSUP, qcow2_open(path, QCOW2_O_RDONLY, &q));
	ASSERT_EQ(512, pread(fd, after, 512, 0));
	EXPECT_EQ(0, memcmp(before, after, 512));
	close(fd);
}

TEST_F(tmp, autoclear_cleared_unknown_extension_kept)
{
	char path[128];
	struct qcow2_create_opts o;
	uint8_t ac = 0x80, b;
	uint8_t ext[16] = { 0x12, 0x34, 0x56, 0x78, 0, 0, 0, 5, 'h', 'e', 'l', 'l', 'o' };
	uint8_t hdr[1024];
	struct qcow2 *q;
	int fd;

	snprintf(path, sizeof(path), "%s/x.qcow2", self->dir);
	qcow2_create_opts_init(&o, 1 << 20);
	ASSERT_EQ(0, qcow2_create(path, &o, 0));
	fd = open(path, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(1, pwrite(fd, &ac, 1, 95));		/* autoclear bit 7 */
	/* an unknown extension in place of the feature table's end marker */
	ASSERT_EQ(16, pwrite(fd, ext, 16, 504));
	ASSERT_EQ(0, qcow2_open(path, 0, &q));
	ASSERT_EQ(0, qcow2_close(q));
	ASSERT_EQ(1, pread(fd, &b, 1, 95));
	EXPECT_EQ(0, b);
	ASSERT_EQ((ssize_t)sizeof(hdr), pread(fd, hdr, sizeof(hdr), 0));
	EXPECT_EQ(0, memcmp(hdr + 504, ext, 16));
	close(fd);
	if (have_qemu_img())
		EXPECT_EQ(0, run("qemu-img check -q %s", path));
}

TEST_F(tmp, lazy_refcounts_dirty_bit)
{
	char path[128];
	struct qcow2_create_opts o;
	uint8_t buf[4096], inc[8];
	struct qcow2_info info;
	struct qcow2 *q;
	int fd;

	snprintf(path, sizeof(path), "%s/x.qcow2", self->dir);
	qcow2_create_opts_init(&o, 8 << 20);
	o.lazy_refcounts = true;
	ASSERT_EQ(0, qcow2_create(path, &o, 0));
	ASSERT_EQ(0, qcow2_open(path, 0, &q));
	memset(buf, 1, sizeof(buf));
	ASSERT_EQ(4096, qcow2_pwrite(q, buf, 4096, 0));
	/* dirty while open with lazy refcounts */
	fd = open(path, O_RDONLY);
	ASSERT_EQ(8, pread(fd, inc, 8, 72));
	EXPECT_EQ(1, inc[7] & 1);
	ASSERT_EQ(0, qcow2_get_info(q, &info));
	EXPECT_TRUE(info.lazy_refcounts);
	ASSERT_EQ(0, qcow2_close(q));
	ASSERT_EQ(8, pread(fd, inc, 8, 72));
	EXPECT_EQ(0, inc[7] & 1);
	close(fd);
	if (have_qemu_img())
		EXPECT_EQ(0, run("qemu-img check -q %s", path));
}

TEST_F(tmp, corrupt_l2_offset_marks_corrupt)
{
	char path[128];
	struct qcow2_create_opts o;
	uint8_t buf[4096];
	uint64_t l1e;
	struct qcow2 *q;
	int fd;

	snprintf(path, sizeof(path), "%s/x.qcow2", self->dir);
	qcow2_create_opts_init(&o, 8 << 20);
	ASSERT_EQ(0, qcow2_create(path, &o, 0));
	ASSERT_EQ(0, qcow2_open(path, 0, &q));
	memset(buf, 1, sizeof(buf));
	ASSERT_EQ(4096, qcow2_pwrite(q, buf, 4096, 0));
	ASSERT_EQ(0, qcow2_close(q));
	/* L1[0] -> far past the end of the file */
	fd = open(path, O_RDWR);
	l1e = htobe64(0x8000000100000000ull);
	ASSERT_EQ(8, pwrite(fd, &l1e, 8, 0x30000));
	ASSERT_EQ(0, qcow2_open(path, 0, &q));
	EXPECT_EQ(-EUCLEAN, qcow2_pread(q, buf, 4096, 0));
	EXPECT_EQ(-EROFS, qcow2_pwrite(q, buf, 4096, 1 << 20));
	ASSERT_EQ(0, qcow2_close(q));
	/* the corrupt bit is set: read-write open refused, read-only fine */
	EXPECT_EQ(-EUCLEAN, qcow2_open(path, 0, &q));
	ASSERT_EQ(0, qcow2_open(path, QCOW2_O_RDONLY, &q));
	EXPECT_EQ(-EUCLEAN, qcow2_pread(q, buf, 4096, 1 << 20));
	ASSERT_EQ(0, qcow2_close(q));
	if (have_qemu_img())
		EXPECT_EQ(0, run("qemu-img info %s | grep -q 'corrupt: true'", path));
	close(fd);
}

TEST_F(tmp, resize_grow_shrink)
{
	char path[128];
	struct qcow2_create_opts o;
	uint8_t buf[65536], out[65536];
	struct qcow2 *q;

	snprintf(path, sizeof(path), "%s/x.qcow2", self->dir);
	qcow2_create_opts_init(&o, 1 << 20);
	o.cluster_size = 4096;
	ASSERT_EQ(0, qcow2_create(path, &o, 0));
	ASSERT_EQ(0, qcow2_open(path, 0, &q));
	memset(buf, 7, sizeof(buf));
	ASSERT_EQ(0, qcow2_resize(q, 3ull << 30, QCOW2_PREALLOC_OFF, 0));
	ASSERT_EQ(3ull << 30, qcow2_size(q));
	ASSERT_EQ((ssize_t)sizeof(buf), qcow2_pwrite(q, buf, sizeof(buf), (3ull << 30) - 65536));
	ASSERT_EQ((ssize_t)sizeof(buf), qcow2_pwrite(q, buf, sizeof(buf), 4096));
	EXPECT_EQ(-EINVAL, qcow2_resize(q, 1 << 20, QCOW2_PREALLOC_OFF, 0));
	ASSERT_EQ(0, qcow2_resize(q, 32768, QCOW2_PREALLOC_OFF, QCOW2_RESIZE_SHRINK));
	ASSERT_EQ(0, qcow2_resize(q, 1 << 20, QCOW2_PREALLOC_FALLOC, 0));
	ASSERT_EQ((ssize_t)sizeof(out), qcow2_pread(q, out, sizeof(out), 4096));
	EXPECT_EQ(0, memcmp(buf, out, 32768 - 4096));
	EXPECT_EQ(0, out[32768 - 4096]);
	ASSERT_EQ(0, qcow2_close(q));
	if (have_qemu_img()) {
		EXPECT_EQ(0, run("qemu-img check -q %s", path));
		EXPECT_EQ(0, run("qemu-img info %s | grep -q '(1048576 bytes)'", path));
	}
}

/* Threads writing interleaved 4 KiB blocks of the same clusters at once. */
struct mt_arg {
	struct qcow2 *q;
	uint8_t *mirror;
	int t, err;
};

#define MT_THREADS	4
#define MT_SIZE		(16u << 20)

static void *mt_writer(void *p)
{
	struct mt_arg *a = p;
	uint64_t seed = 0x1234567ull * (a->t + 1), i, blk;
	uint8_t buf[4096];

	for (i = 0; i < 3000; i++) {
		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		/* blocks owned by this thread: blk % MT_THREADS == t */
		blk = (seed % (MT_SIZE / 4096 / MT_THREADS)) * MT_THREADS + a->t;
		memset(buf, (int)(i + a->t * 64) | 1, sizeof(buf));
		if (qcow2_pwrite(a->q, buf, sizeof(buf), blk * 4096) != 4096) {
			a->err = 1;
			break;
		}
		memcpy(a->mirror + blk * 4096, buf, sizeof(buf));
	}
	return NULL;
}

TEST_F(tmp, threads_share_clusters)
{
	char path[128];
	struct mt_arg args[MT_THREADS];
	pthread_t th[MT_THREADS];
	struct qcow2_create_opts o;
	uint8_t *mirror, *chk;
	struct qcow2 *q;
	int i;

	snprintf(path, sizeof(path), "%s/x.qcow2", self->dir);
	qcow2_create_opts_init(&o, MT_SIZE);
	ASSERT_EQ(0, qcow2_create(path, &o, 0));
	ASSERT_EQ(0, qcow2_open(path, 0, &q));
	mirror = calloc(1, MT_SIZE);
	chk = malloc(MT_SIZE);
	ASSERT_TRUE(mirror && chk);
	for (i = 0; i < MT_THREADS; i++) {
		args[i] = (struct mt_arg){ .q = q, .mirror = mirror, .t = i };
		ASSERT_EQ(0, pthread_create(&th[i], NULL, mt_writer, &args[i]));
	}
	for (i = 0; i < MT_THREADS; i++) {
		pthread_join(th[i], NULL);
		EXPECT_EQ(0, args[i].err);
	}
	ASSERT_EQ((ssize_t)MT_SIZE, qcow2_pread(q, chk, MT_SIZE, 0));
	EXPECT_EQ(0, memcmp(chk, mirror, MT_SIZE));
	ASSERT_EQ(0, qcow2_close(q));
	if (have_qemu_img())
		EXPECT_EQ(0, run("qemu-img check -q %s", path));
	free(mirror);
	free(chk);
}

TEST_HARNESS_MAIN
