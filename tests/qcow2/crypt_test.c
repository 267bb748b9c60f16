// SPDX-License-Identifier: GPL-2.0
/*
 * Encrypted images through the library: random reads, writes, write zeroes
 * and discards at any offset and length (whole and partial sectors and
 * clusters, fresh clusters, overwrites, O_DIRECT) against a mirror buffer,
 * for LUKS and legacy AES, with qemu-img reading the result with the same
 * secret; a wrong or missing key is an error, never data; no compressed
 * writes on encrypted images.
 */
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
#include "testlib.h"

#define IMG_SIZE	(4u << 20)
#define PASS		"s3cret pass"

/* offset and length: sector aligned or not, within a cluster or across */
static void pick(uint64_t *off, uint64_t *len)
{
	switch (rnd() % 4) {
	case 0:
		*len = 1 + rnd() % 1500;
		break;
	case 1:
		*len = (1 + rnd() % 16) * 512;
		break;
	case 2:
		*len = 1 + rnd() % 200000;
		break;
	default:
		*len = (1 + rnd() % 4) * 65536;
	}
	*off = rnd() % (IMG_SIZE - *len);
	if (rnd() % 2)
		*off &= ~511ull;
}

FIXTURE(crypt) {
	char dir[64];
	char path[128];
	uint8_t *mirror;
	uint8_t *buf;
};

FIXTURE_SETUP(crypt)
{
	strcpy(self->dir, "/tmp/blkprio-crypt.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(self->path, sizeof(self->path), "%s/img.qcow2", self->dir);
	self->mirror = calloc(1, IMG_SIZE);
	self->buf = malloc(IMG_SIZE);
	ASSERT_NE(NULL, self->mirror);
	ASSERT_NE(NULL, self->buf);
}

FIXTURE_TEARDOWN(crypt)
{
	run("rm -rf '%s'", self->dir);
	free(self->mirror);
	free(self->buf);
}

static int make(const char *path, enum qcow2_crypt_format f, uint32_t cs, const char *mode)
{
	struct qcow2_crypt_opts co = {
		.format = f, .secret = PASS, .secret_len = strlen(PASS), .iter_time_ms = 10,
		.cipher_mode = mode,
	};
	struct qcow2_create_opts o;

	qcow2_create_opts_init(&o, IMG_SIZE);
	o.cluster_size = cs;
	o.crypt = &co;
	return qcow2_create(path, &o, 0);
}

static int open_key(const char *path, unsigned int flags, const char *key, struct qcow2 **q)
{
	int err = qcow2_open(path, flags, q);

	if (err)
		return err;
	err = qcow2_unlock(*q, key, strlen(key));
	if (err) {
		qcow2_close(*q);
		*q = NULL;
	}
	return err;
}

/* Random I/O against the mirror, then the whole image read back. */
static void random_io(struct __test_metadata *_metadata, FIXTURE_DATA(crypt) *self,
		      struct qcow2 *q, unsigned int nops)
{
	uint64_t off, len, i;
	unsigned int op;

	for (op = 0; op < nops; op++) {
		pick(&off, &len);
		switch (rnd() % 8) {
		case 0:
			ASSERT_EQ(0, qcow2_write_zeroes(q, off, len, rnd() % 2 ? QCOW2_ZERO_UNMAP : 0));
			memset(self->mirror + off, 0, len);
			break;
		case 1:
			ASSERT_EQ(0, qcow2_discard(q, off, len));
			memset(self->mirror + off, 0, len);
			break;
		case 2:
			ASSERT_EQ((ssize_t)len, qcow2_pread(q, self->buf, len, off));
			ASSERT_EQ(0, memcmp(self->buf, self->mirror + off, len));
			break;
		default:
			for (i = 0; i < len; i++)
				self->buf[i] = (uint8_t)(rnd() >> 32);
			if (rnd() % 3 == 0)
				memset(self->buf, 0x5a, len);
			ASSERT_EQ((ssize_t)len, qcow2_pwrite(q, self->buf, len, off));
			memcpy(self->mirror + off, self->buf, len);
		}
	}
	ASSERT_EQ(IMG_SIZE, qcow2_pread(q, self->buf, IMG_SIZE, 0));
	ASSERT_EQ(0, memcmp(self->buf, self->mirror, IMG_SIZE));
}

/* qemu-img reads the image as the mirror and finds it consistent. */
static void qemu_agrees(struct __test_metadata *_metadata, FIXTURE_DATA(crypt) *self)
{
	char raw[160];
	int fd;

	if (!have_qemu_img())
		return;
	snprintf(raw, sizeof(raw), "%s/out.raw", self->dir);
	ASSERT_EQ(0, run("qemu-img check -q --object secret,id=s,data='%s' --image-opts "
			 "driver=qcow2,file.filename=%s,encrypt.key-secret=s", PASS, self->path));
	ASSERT_EQ(0, run("qemu-img convert --object secret,id=s,data='%s' --image-opts "
			 "driver=qcow2,file.filename=%s,encrypt.key-secret=s -O raw %s",
			 PASS, self->path, raw));
	fd = open(raw, O_RDONLY);
	ASSERT_LE(0, fd);
	memset(self->buf, 0xee, IMG_SIZE);
	ASSERT_EQ(IMG_SIZE, pread(fd, self->buf, IMG_SIZE, 0));
	close(fd);
	ASSERT_EQ(0, memcmp(self->buf, self->mirror, IMG_SIZE));
}

static void io_round(struct __test_metadata *_metadata, FIXTURE_DATA(crypt) *self,
		     enum qcow2_crypt_format f, uint32_t cs, const char *mode)
{
	struct qcow2 *q;

	ASSERT_EQ(0, make(self->path, f, cs, mode));
	ASSERT_EQ(0, open_key(self->path, 0, PASS, &q));
	ASSERT_EQ(f, qcow2_encryption(q));
	random_io(_metadata, self, q, 300);
	ASSERT_EQ(0, qcow2_close(q));
	/* again after reopening: what reached the disk */
	ASSERT_EQ(0, open_key(self->path, 0, PASS, &q));
	random_io(_metadata, self, q, 100);
	ASSERT_EQ(0, qcow2_close(q));
	qemu_agrees(_metadata, self);
}

TEST_F(crypt, luks_random_io_64k)
{
	io_round(_metadata, self, QCOW2_CRYPT_LUKS, 65536, NULL);
}

TEST_F(crypt, luks_random_io_4k_cbc)
{
	io_round(_metadata, self, QCOW2_CRYPT_LUKS, 4096, "cbc");
}

TEST_F(crypt, aes_random_io)
{
	io_round(_metadata, self, QCOW2_CRYPT_AES, 65536, NULL);
}

TEST_F(crypt, luks_direct_io)
{
	struct qcow2 *q;
	uint8_t *b;
	int i;

	ASSERT_EQ(0, make(self->path, QCOW2_CRYPT_LUKS, 65536, NULL));
	ASSERT_EQ(0, open_key(self->path, QCOW2_O_DIRECT, PASS, &q));
	ASSERT_EQ(0, posix_memalign((void **)&b, 4096, 1 << 20));
	for (i = 0; i < 1 << 20; i++)
		b[i] = (uint8_t)(i * 7 + (i >> 12));
	ASSERT_EQ(1 << 20, qcow2_pwrite(q, b, 1 << 20, 65536));
	memcpy(self->mirror + 65536, b, 1 << 20);
	ASSERT_EQ(4096, qcow2_pwrite(q, b + 8192, 4096, 3 << 20));
	memcpy(self->mirror + (3 << 20), b + 8192, 4096);
	ASSERT_EQ(0, qcow2_close(q));
	ASSERT_EQ(0, open_key(self->path, QCOW2_O_DIRECT, PASS, &q));
	memset(b, 0, 1 << 20);
	ASSERT_EQ(1 << 20, qcow2_pread(q, b, 1 << 20, 65536));
	ASSERT_EQ(0, memcmp(b, self->mirror + 65536, 1 << 20));
	ASSERT_EQ(0, qcow2_close(q));
	free(b);
	qemu_agrees(_metadata, self);
}

TEST_F(crypt, wrong_or_missing_key)
{
	uint8_t b[4096];
	struct qcow2 *q;
	char before[160];

	ASSERT_EQ(0, make(self->path, QCOW2_CRYPT_LUKS, 65536, NULL));
	ASSERT_EQ(0, open_key(self->path, 0, PASS, &q));
	memset(b, 0x77, sizeof(b));
	ASSERT_EQ((ssize_t)sizeof(b), qcow2_pwrite(q, b, sizeof(b), 0));
	ASSERT_EQ(0, qcow2_close(q));
	snprintf(before, sizeof(before), "%s/before", self->dir);
	ASSERT_EQ(0, run("cp %s %s", self->path, before));

	ASSERT_EQ(-EKEYREJECTED, open_key(self->path, 0, "wrong", &q));
	ASSERT_NE(NULL, strstr(qcow2_last_error(), "Invalid password"));
	/* open without a key: metadata only; data I/O refuses */
	ASSERT_EQ(0, qcow2_open(self->path, 0, &q));
	ASSERT_EQ(QCOW2_CRYPT_LUKS, qcow2_encryption(q));
	ASSERT_EQ(-ENOKEY, qcow2_pread(q, b, sizeof(b), 0));
	ASSERT_EQ(-ENOKEY, qcow2_pwrite(q, b, sizeof(b), 0));
	ASSERT_EQ(-ENOKEY, qcow2_pwrite(q, b, 100, 1000000));
	ASSERT_EQ(-ENOKEY, qcow2_write_zeroes(q, 0, 65536, 0));
	ASSERT_EQ(-ENOKEY, qcow2_discard(q, 0, 65536));
	ASSERT_EQ(-EKEYREJECTED, qcow2_unlock(q, "nope", 4));
	ASSERT_EQ(0, qcow2_close(q));
	ASSERT_EQ(0, run("cmp -s %s %s", self->path, before));
	/* and the right key still works */
	ASSERT_EQ(0, open_key(self->path, QCOW2_O_RDONLY, PASS, &q));
	ASSERT_EQ((ssize_t)sizeof(b), qcow2_pread(q, b, sizeof(b), 0));
	ASSERT_EQ(0x77, b[4095]);
	ASSERT_EQ(0, qcow2_close(q));
}

TEST_F(crypt, no_compression)
{
	struct qcow2_crypt_opts co = { .format = QCOW2_CRYPT_LUKS };
	struct qcow2_create_opts o;
	struct qcow2 *q;
	uint8_t *b = calloc(1, 65536);

	ASSERT_NE(NULL, b);
	ASSERT_EQ(0, make(self->path, QCOW2_CRYPT_LUKS, 65536, NULL));
	ASSERT_EQ(0, open_key(self->path, 0, PASS, &q));
	memset(b, 'a', 65536);
	ASSERT_GT(0, qcow2_write_compressed(q, b, 65536, 0));
	ASSERT_NE(NULL, strstr(qcow2_last_error(), "Compression and encryption"));
	ASSERT_EQ(0, qcow2_close(q));
	qcow2_create_opts_init(&o, IMG_SIZE);
	ASSERT_EQ(0, qcow2_crypt_compress_check(&o, true));
	o.crypt = &co;
	ASSERT_EQ(0, qcow2_crypt_compress_check(&o, false));
	ASSERT_EQ(-EINVAL, qcow2_crypt_compress_check(&o, true));
	free(b);
}

TEST_F(crypt, bad_options)
{
	struct qcow2_crypt_opts co = {
		.format = QCOW2_CRYPT_LUKS, .secret = PASS, .secret_len = 4, .iter_time_ms = 10,
	};
	struct qcow2_create_opts o;

	qcow2_create_opts_init(&o, IMG_SIZE);
	o.crypt = &co;
	co.cipher_alg = "serpent-256";
	ASSERT_EQ(-ENOTSUP, qcow2_create(self->path, &o, 0));
	ASSERT_NE(0, access(self->path, F_OK));
	co.cipher_alg = NULL;
	o.prealloc = QCOW2_PREALLOC_METADATA;
	ASSERT_EQ(-ENOTSUP, qcow2_create(self->path, &o, 0));
	o.prealloc = QCOW2_PREALLOC_OFF;
	co.secret = NULL;
	ASSERT_EQ(-EINVAL, qcow2_create(self->path, &o, 0));
	ASSERT_NE(0, access(self->path, F_OK));
}

TEST_HARNESS_MAIN
