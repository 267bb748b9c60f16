// SPDX-License-Identifier: GPL-2.0
/*
 * Internal snapshots through the library API: after a snapshot, writes,
 * discards and write-zeroes (with and without unmap) change only the active
 * state; apply brings the snapshot's data back; delete frees; the table
 * fields; errors. qemu-img check (when installed) after every step.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <blkprio/qcow2.h>

/* the harness longjmps around its own locals */
#pragma GCC diagnostic ignored "-Wclobbered"
#include "kselftest_harness.h"

#define SIZE	(8u << 20)

static bool have_qemu(void)
{
	return system("qemu-img --version >/dev/null 2>&1") == 0;
}

static int qemu_check(const char *path)
{
	char cmd[256];

	if (!have_qemu())
		return 0;
	snprintf(cmd, sizeof(cmd), "qemu-img check -q '%s'", path);
	return system(cmd);
}

static void fill(uint8_t *buf, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = (uint8_t)((i * 131 + seed * 7) >> 3 ^ seed);
}

FIXTURE(snap) {
	char dir[64], path[96];
	struct qcow2 *q;
	uint8_t *a, *b;
};

FIXTURE_VARIANT(snap) {
	uint32_t cluster;
};

FIXTURE_VARIANT_ADD(snap, c512) { .cluster = 512 };
FIXTURE_VARIANT_ADD(snap, c4k) { .cluster = 4096 };
FIXTURE_VARIANT_ADD(snap, c64k) { .cluster = 65536 };

FIXTURE_SETUP(snap)
{
	struct qcow2_create_opts o;

	strcpy(self->dir, "/tmp/blkprio-qcow2snap.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(self->path, sizeof(self->path), "%s/s.qcow2", self->dir);
	qcow2_create_opts_init(&o, SIZE);
	o.cluster_size = variant->cluster;
	ASSERT_EQ(0, qcow2_create(self->path, &o, 0));
	ASSERT_EQ(0, qcow2_open(self->path, 0, &self->q));
	self->a = malloc(SIZE);
	self->b = malloc(SIZE);
	ASSERT_TRUE(self->a && self->b);
}

FIXTURE_TEARDOWN(snap)
{
	char cmd[128];

	qcow2_close(self->q);
	free(self->a);
	free(self->b);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", self->dir);
	if (system(cmd))
		TH_LOG("cleanup of %s failed", self->dir);
}

TEST_F(snap, writes_discards_zeroes_keep_snapshot)
{
	struct qcow2 *q = self->q;

	/* state A: data in the first 6 MiB, the rest unallocated */
	fill(self->a, SIZE, 1);
	memset(self->a + (6u << 20), 0, SIZE - (6u << 20));
	ASSERT_EQ(6u << 20, qcow2_pwrite(q, self->a, 6u << 20, 0));
	ASSERT_EQ(0, qcow2_snapshot_create(q, "A"));
	ASSERT_EQ(0, qcow2_flush(q));
	ASSERT_EQ(0, qemu_check(self->path));

	/* every kind of change to the active state */
	fill(self->b, SIZE, 2);
	ASSERT_EQ(1000000, qcow2_pwrite(q, self->b, 1000000, 12345));
	ASSERT_EQ(SIZE - (5u << 20), qcow2_pwrite(q, self->b, SIZE - (5u << 20), 5u << 20));
	ASSERT_EQ(0, qcow2_discard(q, 2u << 20, 1u << 20));
	ASSERT_EQ(0, qcow2_write_zeroes(q, 3u << 20, 512u << 10, 0));
	ASSERT_EQ(0, qcow2_write_zeroes(q, (3u << 20) + (512u << 10), 300000, QCOW2_ZERO_UNMAP));
	ASSERT_EQ(0, qcow2_flush(q));
	ASSERT_EQ(0, qemu_check(self->path));

	ASSERT_EQ(0, qcow2_snapshot_apply(q, "A"));
	ASSERT_EQ(SIZE, qcow2_pread(q, self->b, SIZE, 0));
	ASSERT_EQ(0, memcmp(self->a, self->b, SIZE));
	ASSERT_EQ(0, qcow2_flush(q));
	ASSERT_EQ(0, qemu_check(self->path));

	/* apply by id, then delete: the active data stays, the image is clean */
	ASSERT_EQ(100, qcow2_pwrite(q, self->b + 5000, 100, 77));
	ASSERT_EQ(0, qcow2_snapshot_apply(q, "1"));
	ASSERT_EQ(0, qcow2_snapshot_delete(q, "A"));
	ASSERT_EQ(SIZE, qcow2_pread(q, self->b, SIZE, 0));
	ASSERT_EQ(0, memcmp(self->a, self->b, SIZE));
	ASSERT_EQ(0, qcow2_flush(q));
	ASSERT_EQ(0, qemu_check(self->path));
}

TEST_F(snap, table_fields_and_ids)
{
	struct qcow2_snapshot_info *s;
	unsigned int n;
	time_t now = time(NULL);

	ASSERT_EQ(4096, qcow2_pwrite(self->q, self->a, 4096, 0));
	ASSERT_EQ(0, qcow2_snapshot_create(self->q, "one"));
	ASSERT_EQ(0, qcow2_snapshot_create(self->q, "one"));	/* names may repeat */
	ASSERT_EQ(0, qcow2_snapshot_create(self->q, ""));
	ASSERT_EQ(0, qcow2_snapshot_delete(self->q, "2"));	/* by id */
	ASSERT_EQ(0, qcow2_snapshot_create(self->q, "four"));
	ASSERT_EQ(0, qcow2_snapshot_list(self->q, &s, &n));
	ASSERT_EQ(3, n);
	EXPECT_STREQ("1", s[0].id);
	EXPECT_STREQ("one", s[0].name);
	EXPECT_STREQ("3", s[1].id);
	EXPECT_STREQ("", s[1].name);
	EXPECT_STREQ("4", s[2].id);		/* one more than the largest */
	EXPECT_STREQ("four", s[2].name);
	EXPECT_EQ(SIZE, s[2].disk_size);
	EXPECT_EQ(0, s[2].icount);
	EXPECT_EQ(0, s[2].vm_state_size);
	EXPECT_EQ(0, s[2].vm_clock_nsec);
	EXPECT_LE(now - 2, (time_t)s[2].date_sec);
	EXPECT_GE(now + 2, (time_t)s[2].date_sec);
	EXPECT_EQ(0, s[2].date_nsec % 1000);
	free(s);
	ASSERT_EQ(0, qcow2_snapshot_delete(self->q, "one"));
	ASSERT_EQ(0, qcow2_snapshot_delete(self->q, "3"));
	ASSERT_EQ(0, qcow2_snapshot_delete(self->q, "four"));
	ASSERT_EQ(0, qcow2_snapshot_list(self->q, &s, &n));
	ASSERT_EQ(0, n);
	ASSERT_EQ(0, qcow2_flush(self->q));
	ASSERT_EQ(0, qemu_check(self->path));
}

TEST_F(snap, errors_leave_the_image_alone)
{
	struct qcow2_snapshot_info *s;
	struct qcow2 *ro;
	unsigned int n;
	char *long_name;

	ASSERT_EQ(0, qcow2_snapshot_create(self->q, "keep"));
	EXPECT_EQ(-ENOENT, qcow2_snapshot_apply(self->q, "missing"));
	EXPECT_EQ(-ENOENT, qcow2_snapshot_delete(self->q, "missing"));
	long_name = malloc(70000);
	ASSERT_NE(NULL, long_name);
	memset(long_name, 'n', 69999);
	long_name[69999] = '\0';
	EXPECT_EQ(-ENAMETOOLONG, qcow2_snapshot_create(self->q, long_name));
	free(long_name);
	ASSERT_EQ(0, qcow2_close(self->q));
	self->q = NULL;
	ASSERT_EQ(0, qcow2_open(self->path, QCOW2_O_RDONLY, &ro));
	EXPECT_EQ(-EROFS, qcow2_snapshot_create(ro, "x"));
	EXPECT_EQ(-EROFS, qcow2_snapshot_delete(ro, "keep"));
	EXPECT_EQ(-EROFS, qcow2_snapshot_apply(ro, "keep"));
	ASSERT_EQ(0, qcow2_snapshot_list(ro, &s, &n));
	EXPECT_EQ(1, n);
	free(s);
	qcow2_close(ro);
	ASSERT_EQ(0, qemu_check(self->path));
	ASSERT_EQ(0, qcow2_open(self->path, 0, &self->q));
}

/*
 * Random writes, discards, write-zeroes, creates, applies and deletes
 * against a model (the active state and each snapshot's state in memory);
 * the image is checked against the model and by qemu-img along the way,
 * and every snapshot left is applied and compared at the end.
 */
#define MODEL_SIZE	(2u << 20)
#define MODEL_SNAPS	6

TEST_F(snap, random_ops_against_model)
{
	struct qcow2 *q = self->q;
	uint8_t *cur = self->a, *got = self->b, *snaps[MODEL_SNAPS] = { NULL };
	char names[MODEL_SNAPS][16];
	unsigned int seed = 1234 + variant->cluster, i, k, made = 0;
	int step;

	ASSERT_EQ(0, qcow2_resize(q, MODEL_SIZE, QCOW2_PREALLOC_OFF, QCOW2_RESIZE_SHRINK));
	memset(cur, 0, MODEL_SIZE);
	for (step = 0; step < 300; step++) {
		unsigned int op = (unsigned int)rand_r(&seed) % 20;
		uint64_t off = (uint64_t)rand_r(&seed) % MODEL_SIZE;
		uint64_t len = (uint64_t)rand_r(&seed) % (96u << 10) + 1;

		if (off + len > MODEL_SIZE)
			len = MODEL_SIZE - off;
		if (op < 9) {
			fill(cur + off, len, (unsigned int)step);
			ASSERT_EQ((ssize_t)len, qcow2_pwrite(q, cur + off, len, off));
		} else if (op < 11) {
			ASSERT_EQ(0, qcow2_discard(q, off, len));
			memset(cur + off, 0, len);
		} else if (op < 13) {
			ASSERT_EQ(0, qcow2_write_zeroes(q, off, len, op == 11 ? QCOW2_ZERO_UNMAP : 0));
			memset(cur + off, 0, len);
		} else if (op < 16) {
			k = (unsigned int)rand_r(&seed) % MODEL_SNAPS;
			if (snaps[k])
				continue;
			snaps[k] = malloc(MODEL_SIZE);
			ASSERT_NE(NULL, snaps[k]);
			memcpy(snaps[k], cur, MODEL_SIZE);
			snprintf(names[k], sizeof(names[k]), "m%u", made++);
			ASSERT_EQ(0, qcow2_snapshot_create(q, names[k]));
		} else if (op < 18) {
			k = (unsigned int)rand_r(&seed) % MODEL_SNAPS;
			if (!snaps[k])
				continue;
			ASSERT_EQ(0, qcow2_snapshot_apply(q, names[k]));
			memcpy(cur, snaps[k], MODEL_SIZE);
		} else {
			k = (unsigned int)rand_r(&seed) % MODEL_SNAPS;
			if (!snaps[k])
				continue;
			ASSERT_EQ(0, qcow2_snapshot_delete(q, names[k]));
			free(snaps[k]);
			snaps[k] = NULL;
		}
		if (step % 25 == 0) {
			ASSERT_EQ(MODEL_SIZE, qcow2_pread(q, got, MODEL_SIZE, 0));
			ASSERT_EQ(0, memcmp(cur, got, MODEL_SIZE)) {
				TH_LOG("step %d: active state differs", step);
			}
			ASSERT_EQ(0, qcow2_flush(q));
			ASSERT_EQ(0, qemu_check(self->path)) {
				TH_LOG("step %d", step);
			}
		}
	}
	for (i = 0; i < MODEL_SNAPS; i++) {
		if (!snaps[i])
			continue;
		ASSERT_EQ(0, qcow2_snapshot_apply(q, names[i]));
		ASSERT_EQ(MODEL_SIZE, qcow2_pread(q, got, MODEL_SIZE, 0));
		ASSERT_EQ(0, memcmp(snaps[i], got, MODEL_SIZE)) {
			TH_LOG("snapshot %s differs", names[i]);
		}
		free(snaps[i]);
	}
	ASSERT_EQ(0, qcow2_flush(q));
	ASSERT_EQ(0, qemu_check(self->path));
}

TEST_HARNESS_MAIN
