// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the qcow2 reader and checker: any bytes as an image
 * file (header, extensions, L1/L2 tables, refcounts) open or fail cleanly;
 * reads, block status, check, and a few writes with repair never crash, hang
 * or allocate without bound.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <blkprio/qcow2.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void exercise(const char *path, unsigned int flags)
{
	static uint8_t buf[65536];
	struct qcow2_check_result r;
	struct qcow2_extent e;
	struct qcow2_snapshot_info *snaps;
	unsigned int nsnaps;
	struct qcow2_info info;
	struct qcow2_open_opts o = { .flags = flags, .l2_cache_size = 1 << 20 };
	struct qcow2 *q;
	uint64_t vs, off;
	int i;

	if (qcow2_open_opts(path, &o, &q))
		return;
	qcow2_get_info(q, &info);
	if (!qcow2_snapshot_list(q, &snaps, &nsnaps))
		free(snaps);
	vs = qcow2_size(q);
	for (i = 0, off = 0; i < 16 && off < vs; i++) {
		if (qcow2_block_status(q, off, vs - off, &e) || !e.length)
			break;
		off += e.length;
	}
	for (i = 0; i < 8 && vs; i++) {
		uint64_t o2 = (vs / 8) * (uint64_t)i, len = sizeof(buf);

		if (len > vs - o2)
			len = vs - o2;
		qcow2_pread(q, buf, len, o2);
	}
	if (!(flags & QCOW2_O_RDONLY) && vs) {
		memset(buf, 0xa5, sizeof(buf));
		qcow2_pwrite(q, buf, vs < 5000 ? vs : 5000, 0);
		qcow2_discard(q, 0, vs < 70000 ? vs : 70000);
		qcow2_write_zeroes(q, vs / 2, vs - vs / 2 < 4096 ? vs - vs / 2 : 4096, 0);
		qcow2_flush(q);
	}
	qcow2_check(q, (flags & QCOW2_O_CHECK) && !(flags & QCOW2_O_RDONLY) ?
		    QCOW2_FIX_LEAKS | QCOW2_FIX_ERRORS : 0, &r, NULL, NULL);
	qcow2_close(q);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	int fd;

	if (size > (4u << 20))
		return 0;
	fd = memfd_create("qcow2-fuzz", 0);
	if (fd < 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (write(fd, data, size) != (ssize_t)size)
		goto out;
	exercise(path, QCOW2_O_RDONLY);
	exercise(path, QCOW2_O_RDONLY | QCOW2_O_CHECK);
	exercise(path, 0);
	/* the read-write pass may have changed it: start over for repair */
	if (ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size)
		goto out;
	exercise(path, QCOW2_O_CHECK);
out:
	close(fd);
	return 0;
}
