// SPDX-License-Identifier: GPL-2.0
/*
 * Internal snapshots: the snapshot table (variable-length entries, each
 * padded to 8 bytes). Listing only for now; creating, applying and
 * deleting come with the next issue.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "qcow2-int.h"

#define SNAP_HDR_LEN		40
#define SNAP_MAX_TABLE		(64u << 20)	/* qemu's limit */
#define SNAP_MAX_EXTRA		1024

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return be32toh(v);
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return be64toh(v);
}

static void copy_str(char *dst, size_t size, const uint8_t *src, size_t len)
{
	if (len >= size)
		len = size - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

int qcow2_snapshot_list(struct qcow2 *q, struct qcow2_snapshot_info **list,
			unsigned int *n)
{
	struct qcow2_snapshot_info *out;
	uint8_t h[SNAP_HDR_LEN], *var = NULL;
	uint64_t off = q->snapshots_offset;
	unsigned int i;
	int err = 0;

	*list = NULL;
	*n = 0;
	if (!q->nb_snapshots)
		return 0;
	out = calloc(q->nb_snapshots, sizeof(*out));
	var = malloc(SNAP_MAX_EXTRA + 2 * 65536);
	if (!out || !var) {
		err = -ENOMEM;
		goto err_free;
	}
	for (i = 0; i < q->nb_snapshots; i++) {
		uint32_t extra;
		uint16_t idl, nl;
		size_t vlen;

		off = qcow2_align_up(off, 8);
		if (off - q->snapshots_offset > SNAP_MAX_TABLE || off + SNAP_HDR_LEN > q->file_end) {
			err = qcow2_err(-EUCLEAN, "snapshot table runs past the end of the file");
			goto err_free;
		}
		err = qcow2_host_pread(q, h, SNAP_HDR_LEN, off);
		if (err)
			goto err_free;
		idl = (uint16_t)(h[12] << 8 | h[13]);
		nl = (uint16_t)(h[14] << 8 | h[15]);
		extra = get32(h + 36);
		if (extra > SNAP_MAX_EXTRA) {
			err = qcow2_err(-EUCLEAN, "snapshot %u: extra data too large", i);
			goto err_free;
		}
		vlen = (size_t)extra + idl + nl;
		err = qcow2_host_pread(q, var, vlen, off + SNAP_HDR_LEN);
		if (err)
			goto err_free;
		out[i].date_sec = get32(h + 16);
		out[i].date_nsec = get32(h + 20);
		out[i].vm_clock_nsec = get64(h + 24);
		out[i].vm_state_size = get32(h + 32);
		out[i].icount = -1;
		if (extra >= 8)
			out[i].vm_state_size = get64(var);
		if (extra >= 16)
			out[i].disk_size = get64(var + 8);
		if (extra >= 24)
			out[i].icount = (int64_t)get64(var + 16);
		copy_str(out[i].id, sizeof(out[i].id), var + extra, idl);
		copy_str(out[i].name, sizeof(out[i].name), var + extra + idl, nl);
		off += SNAP_HDR_LEN + vlen;
	}
	free(var);
	*list = out;
	*n = q->nb_snapshots;
	return 0;
err_free:
	free(var);
	free(out);
	return err;
}
