// SPDX-License-Identifier: GPL-2.0
/*
 * Compressed clusters through the library, with qemu-img as the oracle:
 * clusters written compressed (zlib and zstd, several cluster sizes) are
 * packed, read back, and survive partial and whole writes, write zeroes and
 * discard into them; the compression pool writes in guest order; corrupt
 * compressed data is an error, not garbage. Every image passes qemu-img
 * check and compares equal with a raw mirror.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <blkprio/qcow2.h>

/* the harness longjmps around its own locals */
#pragma GCC diagnostic ignored "-Wclobbered"
#include "kselftest_harness.h"

#define TEST_RND_SEED	0x2545f4914f6cdd1dull
#include "testlib.h"

#define NCLUSTERS	40

/* Cluster i: zeros, random bytes, or text-like (compresses ~3x). */
static void fill_cluster(uint8_t *p, size_t cs, unsigned int i)
{
	static const char *words[] = { "the ", "qcow2 ", "cluster ", "is ", "compressed ",
				       "and ", "packed ", "byte ", "by ", "zlib ", "zstd ",
				       "reads ", "back\n" };
	size_t k = 0;

	switch (i % 4) {
	case 0:
		memset(p, 0, cs);
		break;
	case 1:
		for (k = 0; k < cs; k += 8) {
			uint64_t v = rnd();

			memcpy(p + k, &v, 8);
		}
		break;
	default:
		while (k < cs) {
			const char *w = words[rnd() % 13];
			size_t n = strlen(w);

			if (n > cs - k)
				n = cs - k;
			memcpy(p + k, w, n);
			k += n;
		}
		p[0] = (uint8_t)i;	/* no two clusters alike */
	}
}

static uint64_t be64_at(int fd, uint64_t off)
{
	uint64_t v = 0;

	if (pread(fd, &v, 8, (off_t)off) != 8)
		return 0;
	return be64toh(v);
}

/* The L2 entry of guest offset off, read from the file (or 0). */
static uint64_t l2_entry(const char *path, uint32_t cs, uint64_t off)
{
	int fd = open(path, O_RDONLY), cb = __builtin_ctz(cs), l2b = cb - 3;
	uint64_t l1, l2, e = 0;

	if (fd < 0)
		return 0;
	l1 = be64_at(fd, 40);
	l2 = be64_at(fd, l1 + (off >> (cb + l2b)) * 8) & 0x00fffffffffffe00ull;
	if (l2)
		e = be64_at(fd, l2 + ((off >> cb) & ((1ull << l2b) - 1)) * 8);
	close(fd);
	return e;
}

/* Overwrite the L2 entry of guest offset off in the file. */
static int set_l2_entry(const char *path, uint32_t cs, uint64_t off, uint64_t e)
{
	int fd = open(path, O_RDWR), cb = __builtin_ctz(cs), l2b = cb - 3, ret = -1;
	uint64_t l1, l2, v = htobe64(e);

	if (fd < 0)
		return -1;
	l1 = be64_at(fd, 40);
	l2 = be64_at(fd, l1 + (off >> (cb + l2b)) * 8) & 0x00fffffffffffe00ull;
	if (l2 && pwrite(fd, &v, 8, (off_t)(l2 + ((off >> cb) & ((1ull << l2b) - 1)) * 8)) == 8)
		ret = 0;
	close(fd);
	return ret;
}

static uint64_t coffset(uint64_t e, uint32_t cs)
{
	unsigned int x = 62 - (__builtin_ctz(cs) - 8);

	return e & ((1ull << x) - 1);
}

FIXTURE(cz) {
	char dir[64];
	char path[128];
	char raw[128];
	uint8_t *mem;
	size_t len;
	struct qcow2 *q;
};

FIXTURE_VARIANT(cz) {
	uint32_t cluster_size;
	int type;
};

FIXTURE_VARIANT_ADD(cz, zlib_c64k) { .cluster_size = 65536, .type = QCOW2_COMPRESS_ZLIB };
FIXTURE_VARIANT_ADD(cz, zstd_c64k) { .cluster_size = 65536, .type = QCOW2_COMPRESS_ZSTD };
FIXTURE_VARIANT_ADD(cz, zlib_c512) { .cluster_size = 512, .type = QCOW2_COMPRESS_ZLIB };
FIXTURE_VARIANT_ADD(cz, zstd_c4k) { .cluster_size = 4096, .type = QCOW2_COMPRESS_ZSTD };
FIXTURE_VARIANT_ADD(cz, zlib_c2m) { .cluster_size = 2 << 20, .type = QCOW2_COMPRESS_ZLIB };

FIXTURE_SETUP(cz)
{
	struct qcow2_create_opts o;
	unsigned int i;

	snprintf(self->dir, sizeof(self->dir), "/tmp/blkprio-cz.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(self->path, sizeof(self->path), "%s/img.qcow2", self->dir);
	snprintf(self->raw, sizeof(self->raw), "%s/img.raw", self->dir);
	self->len = (size_t)NCLUSTERS * variant->cluster_size;
	self->mem = malloc(self->len);
	ASSERT_NE(NULL, self->mem);
	for (i = 0; i < NCLUSTERS; i++)
		fill_cluster(self->mem + (size_t)i * variant->cluster_size, variant->cluster_size, i);
	qcow2_create_opts_init(&o, self->len);
	o.cluster_size = variant->cluster_size;
	o.compression_type = variant->type;
	ASSERT_EQ(0, qcow2_create(self->path, &o, 0));
	ASSERT_EQ(0, qcow2_open(self->path, 0, &self->q));
}

FIXTURE_TEARDOWN(cz)
{
	char cmd[128];

	qcow2_close(self->q);
	free(self->mem);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", self->dir);
	if (system(cmd))
		fprintf(stderr, "cannot remove %s\n", self->dir);
}

/* Close, then qemu-img: check clean, same content as the mirror. */
static int oracle(struct __test_metadata *_metadata, FIXTURE_DATA(cz) *self)
{
	int fd;

	EXPECT_EQ(0, qcow2_close(self->q));
	self->q = NULL;
	fd = open(self->raw, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	EXPECT_LE(0, fd);
	EXPECT_EQ((ssize_t)self->len, write(fd, self->mem, self->len));
	close(fd);
	EXPECT_EQ(0, run("qemu-img check -q %s", self->path));
	EXPECT_EQ(0, run("qemu-img compare -q -f raw -F qcow2 %s %s", self->raw, self->path));
	return 0;
}

static void read_all(struct __test_metadata *_metadata, FIXTURE_DATA(cz) *self)
{
	uint8_t *buf = malloc(self->len);

	ASSERT_NE(NULL, buf);
	ASSERT_EQ((ssize_t)self->len, qcow2_pread(self->q, buf, self->len, 0));
	EXPECT_EQ(0, memcmp(buf, self->mem, self->len));
	free(buf);
}

TEST_F(cz, pack_read_write_into)
{
	uint32_t cs = variant->cluster_size;
	struct qcow2_check_result r;
	uint64_t e2, e3, sub = cs >= 8192 ? 4096 : cs / 2;
	unsigned int i, ntext = 0;
	uint8_t *w;

	if (!have_qemu_img())
		SKIP(return, "qemu-img not installed");
	for (i = 0; i < NCLUSTERS; i++) {
		ASSERT_EQ(0, qcow2_write_compressed(self->q, self->mem + (size_t)i * cs, cs,
						    (uint64_t)i * cs));
		ntext += i % 4 >= 2;
	}
	/* only unallocated clusters take compressed data */
	EXPECT_EQ(-EEXIST, qcow2_write_compressed(self->q, self->mem + 2 * cs, cs, 2ull * cs));
	read_all(_metadata, self);
	memset(&r, 0, sizeof(r));
	ASSERT_EQ(0, qcow2_check(self->q, 0, &r, NULL, NULL));
	EXPECT_EQ(0, r.corruptions + r.leaks);
	EXPECT_EQ(ntext, r.compressed_clusters);
	/* random clusters went uncompressed, zero clusters nowhere */
	EXPECT_EQ(ntext + NCLUSTERS / 4, r.allocated_clusters);
	ASSERT_EQ(0, qcow2_flush(self->q));
	/* packed byte by byte: clusters 2 and 3 share a host cluster (or are adjacent) */
	e2 = l2_entry(self->path, cs, 2ull * cs);
	e3 = l2_entry(self->path, cs, 3ull * cs);
	EXPECT_TRUE(e2 >> 62 & 1);
	EXPECT_TRUE(e3 >> 62 & 1);
	EXPECT_LT(coffset(e2, cs), coffset(e3, cs));
	EXPECT_GT(coffset(e2, cs) + cs, coffset(e3, cs));

	/* partial write into compressed cluster 2, whole write over 3 */
	w = malloc(cs);
	ASSERT_NE(NULL, w);
	memset(w, 0x5a, cs);
	ASSERT_EQ((ssize_t)sub, qcow2_pwrite(self->q, w, sub, 2ull * cs + cs / 4));
	memset(self->mem + 2ull * cs + cs / 4, 0x5a, sub);
	memset(w, 0x6b, cs);
	ASSERT_EQ((ssize_t)cs, qcow2_pwrite(self->q, w, cs, 3ull * cs));
	memset(self->mem + 3ull * cs, 0x6b, cs);
	/* write zeroes and discard over compressed clusters 6 and 7 */
	ASSERT_EQ(0, qcow2_write_zeroes(self->q, 6ull * cs, cs, 0));
	memset(self->mem + 6ull * cs, 0, cs);
	ASSERT_EQ(0, qcow2_discard(self->q, 7ull * cs, cs));
	memset(self->mem + 7ull * cs, 0, cs);
	/* a write spanning a normal and a compressed cluster */
	ASSERT_EQ((ssize_t)cs, qcow2_pwrite(self->q, w, cs, 9ull * cs + cs / 2));
	memset(self->mem + 9ull * cs + cs / 2, 0x6b, cs);
	free(w);
	read_all(_metadata, self);
	memset(&r, 0, sizeof(r));
	ASSERT_EQ(0, qcow2_check(self->q, 0, &r, NULL, NULL));
	EXPECT_EQ(0, r.corruptions + r.leaks);
	EXPECT_EQ(ntext - 5, r.compressed_clusters);
	oracle(_metadata, self);
	/* later normal writes are uncompressed: check says so too */
	EXPECT_EQ(0, run("qemu-img check %s | grep -q 'compressed clusters'", self->path));
}

/* A compressed cluster shared with an internal snapshot: writes copy it. */
TEST_F(cz, write_into_snapshot_shared)
{
	uint32_t cs = variant->cluster_size;
	uint8_t *w;

	if (!have_qemu_img())
		SKIP(return, "qemu-img not installed");
	ASSERT_EQ(0, qcow2_write_compressed(self->q, self->mem + 2 * cs, cs, 2ull * cs));
	ASSERT_EQ(0, qcow2_write_compressed(self->q, self->mem + 3 * cs, cs, 3ull * cs));
	ASSERT_EQ(0, qcow2_close(self->q));
	self->q = NULL;
	ASSERT_EQ(0, run("qemu-img snapshot -c s1 %s", self->path));
	ASSERT_EQ(0, qcow2_open(self->path, 0, &self->q));
	w = malloc(cs);
	ASSERT_NE(NULL, w);
	memset(w, 0x77, cs);
	ASSERT_EQ((ssize_t)(cs / 2), qcow2_pwrite(self->q, w, cs / 2, 2ull * cs));
	ASSERT_EQ(0, qcow2_write_zeroes(self->q, 3ull * cs, cs, QCOW2_ZERO_UNMAP));
	free(w);
	ASSERT_EQ(0, qcow2_close(self->q));
	self->q = NULL;
	EXPECT_EQ(0, run("qemu-img check -q %s", self->path));
	/* the snapshot still holds the compressed data */
	memset(self->mem, 0, 2ull * cs);
	memset(self->mem + 4ull * cs, 0, self->len - 4ull * cs);
	{
		char snap[160];
		int fd;

		snprintf(snap, sizeof(snap), "%s/snap.raw", self->dir);
		fd = open(self->raw, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		ASSERT_LE(0, fd);
		ASSERT_EQ((ssize_t)self->len, write(fd, self->mem, self->len));
		close(fd);
		EXPECT_EQ(0, run("qemu-img convert -l s1 -O raw %s %s", self->path, snap));
		EXPECT_EQ(0, run("cmp -s %s %s", self->raw, snap));
	}
	/* and the active image has the new data */
	memset(self->mem + 2ull * cs, 0x77, cs / 2);
	memset(self->mem + 3ull * cs, 0, cs);
	ASSERT_EQ(0, qcow2_open(self->path, 0, &self->q));
	read_all(_metadata, self);
}

TEST_F(cz, pool_in_guest_order)
{
	uint32_t cs = variant->cluster_size;
	struct qcow2_cpool *p;
	uint64_t off, last = 0;
	size_t batch;
	int mixed = 0;

	if (!have_qemu_img())
		SKIP(return, "qemu-img not installed");
	ASSERT_EQ(0, qcow2_cpool_start(self->q, 0, &p));
	batch = qcow2_cpool_batch(p);
	/* small batches too: several at once in flight */
	if (batch > 4ull * cs)
		batch = 4ull * cs;
	for (off = 0; off < self->len; off += batch) {
		size_t n = self->len - off < batch ? self->len - off : batch;
		void *buf = qcow2_cpool_buffer(p);

		ASSERT_NE(NULL, buf);
		memcpy(buf, self->mem + off, n);
		ASSERT_EQ(0, qcow2_cpool_submit(p, off, n));
	}
	ASSERT_EQ(0, qcow2_cpool_finish(p));
	read_all(_metadata, self);
	ASSERT_EQ(0, qcow2_flush(self->q));
	/* compressed data lies in guest order */
	for (off = 0; off < self->len; off += cs) {
		uint64_t e = l2_entry(self->path, cs, off);

		if (!(e >> 62 & 1))
			continue;
		EXPECT_LT(last, coffset(e, cs));
		last = coffset(e, cs);
		mixed++;
	}
	EXPECT_EQ(NCLUSTERS / 2, mixed);
	oracle(_metadata, self);
}

TEST_F(cz, corrupt_data_is_an_error)
{
	uint32_t cs = variant->cluster_size;
	uint8_t junk[256], *buf;
	uint64_t e;
	int fd;

	ASSERT_EQ(0, qcow2_write_compressed(self->q, self->mem + 2 * cs, cs, 2ull * cs));
	ASSERT_EQ(0, qcow2_write_compressed(self->q, self->mem + 3 * cs, cs, 3ull * cs));
	ASSERT_EQ(0, qcow2_close(self->q));
	self->q = NULL;
	e = l2_entry(self->path, cs, 2ull * cs);
	ASSERT_TRUE(e >> 62 & 1);
	memset(junk, 0xff, sizeof(junk));
	fd = open(self->path, O_WRONLY);
	ASSERT_LE(0, fd);
	/* a reserved deflate block type, a broken zstd frame magic */
	ASSERT_EQ(60, pwrite(fd, junk, 60, (off_t)coffset(e, cs)));
	close(fd);
	ASSERT_EQ(0, qcow2_open(self->path, QCOW2_O_RDONLY, &self->q));
	buf = malloc(cs);
	ASSERT_NE(NULL, buf);
	EXPECT_EQ(-EIO, qcow2_pread(self->q, buf, cs, 2ull * cs));
	ASSERT_NE(NULL, qcow2_last_error());
	EXPECT_NE(NULL, strstr(qcow2_last_error(), "does not decompress"));
	/* the other cluster still reads */
	EXPECT_EQ((ssize_t)cs, qcow2_pread(self->q, buf, cs, 3ull * cs));
	EXPECT_EQ(0, memcmp(buf, self->mem + 3ull * cs, cs));
	/* an entry pointing past the end of the image */
	ASSERT_EQ(0, qcow2_close(self->q));
	self->q = NULL;
	ASSERT_EQ(0, set_l2_entry(self->path, cs, 3ull * cs, (1ull << 62) | (1ull << 40)));
	ASSERT_EQ(0, qcow2_open(self->path, QCOW2_O_RDONLY, &self->q));
	EXPECT_EQ(-EIO, qcow2_pread(self->q, buf, cs, 3ull * cs));
	ASSERT_NE(NULL, qcow2_last_error());
	EXPECT_NE(NULL, strstr(qcow2_last_error(), "out of range"));
	free(buf);
}

TEST(zstd_needs_version_3)
{
	struct qcow2_create_opts o;
	struct qcow2_info info;
	char path[] = "/tmp/blkprio-czh.XXXXXX";
	struct qcow2 *q;
	int fd = mkstemp(path);

	ASSERT_LE(0, fd);
	close(fd);
	qcow2_create_opts_init(&o, 1 << 20);
	o.compression_type = QCOW2_COMPRESS_ZSTD;
	o.version = 2;
	EXPECT_EQ(-EINVAL, qcow2_create(path, &o, 0));
	o.version = 3;
	ASSERT_EQ(0, qcow2_create(path, &o, 0));
	ASSERT_EQ(0, qcow2_open(path, QCOW2_O_RDONLY, &q));
	ASSERT_EQ(0, qcow2_get_info(q, &info));
	EXPECT_EQ(QCOW2_COMPRESS_ZSTD, info.compression_type);
	EXPECT_TRUE(info.incompatible_features & (1 << 3));
	qcow2_close(q);
	unlink(path);
}

/* compression_type and incompatible bit 3 must agree; unknown types refused */
TEST(header_compression_type_checked)
{
	struct qcow2_create_opts o;
	char path[] = "/tmp/blkprio-czt.XXXXXX";
	uint64_t incompat;
	struct qcow2 *q;
	uint8_t type;
	int fd = mkstemp(path);

	ASSERT_LE(0, fd);
	close(fd);
	qcow2_create_opts_init(&o, 1 << 20);
	ASSERT_EQ(0, qcow2_create(path, &o, 0));
	fd = open(path, O_RDWR);
	ASSERT_LE(0, fd);
	/* zstd without the bit */
	type = 1;
	ASSERT_EQ(1, pwrite(fd, &type, 1, 104));
	EXPECT_EQ(-EUCLEAN, qcow2_open(path, QCOW2_O_RDONLY, &q));
	/* the bit with zlib */
	type = 0;
	incompat = htobe64(1 << 3);
	ASSERT_EQ(1, pwrite(fd, &type, 1, 104));
	ASSERT_EQ(8, pwrite(fd, &incompat, 8, 72));
	EXPECT_EQ(-EUCLEAN, qcow2_open(path, QCOW2_O_RDONLY, &q));
	/* an unknown type */
	type = 2;
	ASSERT_EQ(1, pwrite(fd, &type, 1, 104));
	EXPECT_EQ(-ENOTSUP, qcow2_open(path, QCOW2_O_RDONLY, &q));
	EXPECT_NE(NULL, strstr(qcow2_last_error(), "compression type"));
	/* zstd with the bit */
	type = 1;
	ASSERT_EQ(1, pwrite(fd, &type, 1, 104));
	ASSERT_EQ(0, qcow2_open(path, QCOW2_O_RDONLY, &q));
	qcow2_close(q);
	close(fd);
	unlink(path);
}

/* The library refuses compressed writes into an encrypted image too. */
TEST(no_compression_with_encryption)
{
	struct qcow2_crypt_opts co = { .format = QCOW2_CRYPT_LUKS, .secret = "pw",
				       .secret_len = 2, .iter_time_ms = 10 };
	struct qcow2_create_opts o;
	char path[] = "/tmp/blkprio-cze.XXXXXX";
	struct qcow2_cpool *p;
	struct qcow2 *q;
	uint8_t *buf;
	int fd = mkstemp(path);

	ASSERT_LE(0, fd);
	close(fd);
	qcow2_create_opts_init(&o, 1 << 20);
	o.crypt = &co;
	ASSERT_EQ(0, qcow2_create(path, &o, 0));
	ASSERT_EQ(0, qcow2_open(path, 0, &q));
	ASSERT_EQ(0, qcow2_unlock(q, "pw", 2));
	buf = calloc(1, 65536);
	ASSERT_NE(NULL, buf);
	memset(buf, 'x', 100);
	EXPECT_EQ(-EINVAL, qcow2_write_compressed(q, buf, 65536, 0));
	EXPECT_NE(NULL, strstr(qcow2_last_error(), "encryption"));
	EXPECT_EQ(-EINVAL, qcow2_cpool_start(q, 0, &p));
	free(buf);
	qcow2_close(q);
	unlink(path);
}

TEST_HARNESS_MAIN
