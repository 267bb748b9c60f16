// SPDX-License-Identifier: GPL-2.0
/*
 * The qcow2 header and its extensions: parse and validate on open, rebuild
 * (keeping unknown fields and extensions) on write; feature bits.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qcow2-int.h"

static __thread char last_error[256];
static __thread bool have_error;

int qcow2_err(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
	have_error = true;
	return err;
}

const char *qcow2_last_error(void)
{
	return have_error ? last_error : NULL;
}

int qcow2_signal_corruption(struct qcow2 *q, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
	have_error = true;
	if (!q->corrupt && !q->read_only && q->version >= 3 &&
	    !(q->flags & QCOW2_O_CHECK))
		qcow2_update_incompat(q, q->incompat | QCOW2_INCOMPAT_CORRUPT);
	q->corrupt = true;
	if (!(q->flags & QCOW2_O_CHECK))
		q->read_only = true;
	return -EUCLEAN;
}

static inline uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return be32toh(v);
}

static inline uint64_t get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return be64toh(v);
}

static inline void put32(uint8_t *p, uint32_t v)
{
	v = htobe32(v);
	memcpy(p, &v, 4);
}

static inline void put64(uint8_t *p, uint64_t v)
{
	v = htobe64(v);
	memcpy(p, &v, 8);
}

void qcow2_derive(struct qcow2 *q)
{
	q->cluster_size = 1ull << q->cluster_bits;
	q->l2_bits = q->cluster_bits - 3;
	q->rb_bits = q->cluster_bits + 3 - q->refcount_order;
	q->refcount_max = q->refcount_order == 6 ? UINT64_MAX :
			  (1ull << (1u << q->refcount_order)) - 1;
	q->reftable_size = (uint64_t)q->reftable_clusters << (q->cluster_bits - 3);
}

static int parse_extensions(struct qcow2 *q, const uint8_t *buf, size_t end)
{
	size_t off = q->header_length;

	while (off + 8 <= end) {
		uint32_t type = get32(buf + off), len = get32(buf + off + 4);
		size_t next;

		off += 8;
		if (type == QCOW2_EXT_END)
			return 0;
		if (len > end - off)
			return qcow2_err(-EUCLEAN, "header extension 0x%08x runs past its area", type);
		next = off + qcow2_align_up(len, 8);
		switch (type) {
		case QCOW2_EXT_BACKING_FMT:
			free(q->backing_fmt);
			q->backing_fmt = strndup((const char *)buf + off, len);
			if (!q->backing_fmt)
				return -ENOMEM;
			break;
		case QCOW2_EXT_FEATURES:
			break;		/* rebuilt when writing */
		default: {
			/* Kept as they are: bitmaps, data file, and the crypto
			 * extension (crypt.c reads it from this list). */
			struct qcow2_hext *h;

			if (q->nhext >= 64)
				return qcow2_err(-EUCLEAN, "too many header extensions");
			h = realloc(q->hext, (q->nhext + 1) * sizeof(*h));
			if (!h)
				return -ENOMEM;
			q->hext = h;
			h += q->nhext;
			h->type = type;
			h->len = len;
			h->data = malloc(len ? len : 1);
			if (!h->data)
				return -ENOMEM;
			memcpy(h->data, buf + off, len);
			q->nhext++;
			break;
		}
		}
		off = next > end ? end : next;
	}
	return 0;
}

static const char *incompat_name(int bit)
{
	static const char *const n[] = { "dirty bit", "corrupt bit", "external data file",
					 "compression type", "extended L2 entries" };

	return bit < 5 ? n[bit] : NULL;
}

static int check_features(struct qcow2 *q)
{
	uint64_t unknown = q->incompat & ~QCOW2_INCOMPAT_KNOWN;

	if (unknown) {
		int bit = __builtin_ctzll(unknown);

		return qcow2_err(-ENOTSUP, "Unsupported qcow2 feature(s): Unknown incompatible feature: %llx (bit %d)",
				 (unsigned long long)unknown, bit);
	}
	if (q->incompat & QCOW2_INCOMPAT_DATA_FILE)
		return qcow2_err(-ENOTSUP, "unsupported qcow2 feature: %s", incompat_name(2));
	if (q->incompat & QCOW2_INCOMPAT_EXTL2)
		return qcow2_err(-ENOTSUP, "unsupported qcow2 feature: %s", incompat_name(4));
	/* compression: 0 zlib (bit 3 clear), 1 zstd (bit 3 set), as qemu checks */
	if (q->compression_type > QCOW2_COMPRESS_ZSTD)
		return qcow2_err(-ENOTSUP, "unknown compression type: %u", q->compression_type);
	if (!q->compression_type != !(q->incompat & QCOW2_INCOMPAT_COMPRESSION))
		return qcow2_err(-EUCLEAN, q->compression_type ?
				 "compression type incompatible feature bit must be set" :
				 "compression type incompatible feature bit must not be set");
	if (q->crypt_method > 2)	/* 1 legacy AES, 2 LUKS (crypt.c) */
		return qcow2_err(-ENOTSUP, "unsupported encryption method %u", q->crypt_method);
	return 0;
}

/* Validate and load the header; q->fd is open. */
int qcow2_read_header(struct qcow2 *q)
{
	uint8_t h[QCOW2_HDR_LEN] = { 0 };
	uint8_t *buf;
	ssize_t n;
	size_t ext_end;
	int err;

	n = pread(q->fd, h, sizeof(h), 0);
	if (n < 0)
		return qcow2_err(-errno, "cannot read the header: %s", strerror(errno));
	if (n < QCOW2_V2_HDR_LEN || get32(h) != QCOW2_MAGIC)
		return qcow2_err(-EINVAL, n >= 4 && get32(h) == QCOW2_MAGIC ?
				 "truncated qcow2 header" : "not a qcow2 image");
	q->version = get32(h + 4);
	if (q->version != 2 && q->version != 3)
		return qcow2_err(-ENOTSUP, "unsupported qcow2 version %u", q->version);
	q->backing_offset = get64(h + 8);
	q->backing_size = get32(h + 16);
	q->cluster_bits = get32(h + 20);
	q->size = get64(h + 24);
	q->crypt_method = get32(h + 32);
	q->l1_size = get32(h + 36);
	q->l1_offset = get64(h + 40);
	q->reftable_offset = get64(h + 48);
	q->reftable_clusters = get32(h + 56);
	q->nb_snapshots = get32(h + 60);
	q->snapshots_offset = get64(h + 64);
	if (q->version == 2) {
		q->refcount_order = 4;
		q->header_length = QCOW2_V2_HDR_LEN;
	} else {
		if (n < QCOW2_V3_HDR_LEN)
			return qcow2_err(-EINVAL, "truncated qcow2 header");
		q->incompat = get64(h + 72);
		q->compat = get64(h + 80);
		q->autoclear = get64(h + 88);
		q->refcount_order = get32(h + 96);
		q->header_length = get32(h + 100);
		if (q->header_length < QCOW2_V3_HDR_LEN || q->header_length % 8)
			return qcow2_err(-EUCLEAN, "invalid header length %u", q->header_length);
		if (q->header_length > QCOW2_V3_HDR_LEN && n >= 105)
			q->compression_type = h[104];
	}
	if (q->cluster_bits < QCOW2_MIN_CLUSTER_BITS || q->cluster_bits > QCOW2_MAX_CLUSTER_BITS)
		return qcow2_err(-EUCLEAN, "unsupported cluster size: 2^%u", q->cluster_bits);
	if (q->refcount_order > 6)
		return qcow2_err(-EUCLEAN, "refcount width 2^%u bits is invalid", q->refcount_order);
	if (q->header_length > (1u << q->cluster_bits))
		return qcow2_err(-EUCLEAN, "header length %u exceeds the cluster size", q->header_length);
	err = check_features(q);
	if (err)
		return err;
	qcow2_derive(q);

	/* Tables: alignment and qemu's size limits */
	if (q->reftable_offset & (q->cluster_size - 1) || !q->reftable_offset)
		return qcow2_err(-EUCLEAN, "invalid refcount table offset 0x%llx",
				 (unsigned long long)q->reftable_offset);
	if (!q->reftable_clusters ||
	    (uint64_t)q->reftable_clusters * q->cluster_size > QCOW2_MAX_REFTABLE_BYTES)
		return qcow2_err(-EUCLEAN, "refcount table too large or empty (%u clusters)",
				 q->reftable_clusters);
	if ((uint64_t)q->l1_size * 8 > QCOW2_MAX_L1_BYTES)
		return qcow2_err(-EFBIG, "active L1 table too large");
	if (q->l1_offset & (q->cluster_size - 1))
		return qcow2_err(-EUCLEAN, "invalid L1 table offset");
	if (q->size > (uint64_t)q->l1_size << (q->cluster_bits + q->l2_bits) ||
	    q->size > (1ull << 62))
		return qcow2_err(-EUCLEAN, "L1 table is too small for the virtual size");
	if (q->nb_snapshots > 65536)
		return qcow2_err(-EFBIG, "too many snapshots (%u)", q->nb_snapshots);
	if (q->nb_snapshots && q->snapshots_offset & (q->cluster_size - 1))
		return qcow2_err(-EUCLEAN, "invalid snapshot table offset");
	if (q->backing_offset) {
		if (q->backing_size > QCOW2_MAX_BACKING_NAME ||
		    q->backing_offset > q->cluster_size ||
		    q->backing_size > q->cluster_size - q->backing_offset)
			return qcow2_err(-EUCLEAN, "backing file name too long or outside the first cluster");
	}

	/* The rest of the first cluster: extensions and backing name. */
	buf = calloc(1, q->cluster_size);
	if (!buf)
		return -ENOMEM;
	n = pread(q->fd, buf, q->cluster_size, 0);
	if (n < 0) {
		err = qcow2_err(-errno, "cannot read the header: %s", strerror(errno));
		goto out_free;
	}
	if (q->header_length > QCOW2_HDR_LEN) {
		q->hdr_extra_len = q->header_length - QCOW2_HDR_LEN;
		q->hdr_extra = malloc(q->hdr_extra_len);
		if (!q->hdr_extra) {
			err = -ENOMEM;
			goto out_free;
		}
		memcpy(q->hdr_extra, buf + QCOW2_HDR_LEN, q->hdr_extra_len);
	}
	ext_end = q->cluster_size;
	if (q->backing_offset && q->backing_offset < ext_end)
		ext_end = q->backing_offset;
	/* version 2 images have extensions too (qemu writes the backing format) */
	err = parse_extensions(q, buf, ext_end);
	if (err)
		goto out_free;
	if (q->backing_offset) {
		q->backing_file = strndup((const char *)buf + q->backing_offset, q->backing_size);
		if (!q->backing_file) {
			err = -ENOMEM;
			goto out_free;
		}
	}
	err = 0;
out_free:
	free(buf);
	return err;
}

static const struct {
	uint8_t type, bit;
	const char *name;
} feature_table[] = {
	{ 0, 0, "dirty bit" }, { 0, 1, "corrupt bit" }, { 0, 2, "external data file" },
	{ 0, 3, "compression type" }, { 0, 4, "extended L2 entries" },
	{ 1, 0, "lazy refcounts" }, { 2, 0, "bitmaps" }, { 2, 1, "raw external data" },
};

static int put_ext(uint8_t *buf, size_t len, size_t *off, uint32_t type,
		   const void *data, uint32_t dlen)
{
	size_t need = 8 + qcow2_align_up(dlen, 8);

	if (*off + need + 8 > len)
		return -EFBIG;
	put32(buf + *off, type);
	put32(buf + *off + 4, dlen);
	memset(buf + *off + 8, 0, need - 8);
	if (dlen)
		memcpy(buf + *off + 8, data, dlen);
	*off += need;
	return 0;
}

static int build_header(const struct qcow2 *q, uint8_t *buf, size_t len, bool features)
{
	size_t off, i;
	int err;

	memset(buf, 0, len);
	put32(buf, QCOW2_MAGIC);
	put32(buf + 4, q->version);
	put32(buf + 16, 0);
	put32(buf + 20, q->cluster_bits);
	put64(buf + 24, q->size);
	put32(buf + 32, q->crypt_method);
	put32(buf + 36, q->l1_size);
	put64(buf + 40, q->l1_offset);
	put64(buf + 48, q->reftable_offset);
	put32(buf + 56, q->reftable_clusters);
	put32(buf + 60, q->nb_snapshots);
	put64(buf + 64, q->snapshots_offset);
	if (q->version == 2) {
		off = QCOW2_V2_HDR_LEN;
		/* no feature table, but the backing format as qemu writes it */
		if (q->backing_fmt || q->nhext) {
			err = q->backing_fmt ? put_ext(buf, len, &off, QCOW2_EXT_BACKING_FMT,
						       q->backing_fmt, strlen(q->backing_fmt)) : 0;
			for (i = 0; !err && i < q->nhext; i++)
				err = put_ext(buf, len, &off, q->hext[i].type, q->hext[i].data,
					      q->hext[i].len);
			if (err)
				return err;
			off += 8;	/* end marker */
		}
	} else {
		uint8_t ft[sizeof(feature_table) / sizeof(feature_table[0])][48];

		put64(buf + 72, q->incompat);
		put64(buf + 80, q->compat);
		put64(buf + 88, q->autoclear);
		put32(buf + 96, q->refcount_order);
		put32(buf + 100, QCOW2_HDR_LEN + q->hdr_extra_len);
		buf[104] = q->compression_type;
		if (q->hdr_extra_len)
			memcpy(buf + QCOW2_HDR_LEN, q->hdr_extra, q->hdr_extra_len);
		off = QCOW2_HDR_LEN + q->hdr_extra_len;
		if (q->backing_fmt) {
			err = put_ext(buf, len, &off, QCOW2_EXT_BACKING_FMT, q->backing_fmt,
				      strlen(q->backing_fmt));
			if (err)
				return err;
		}
		/* the encryption header pointer next, where qemu puts it (crypt.c) */
		for (i = 0; i < q->nhext; i++) {
			if (q->hext[i].type != QCOW2_EXT_CRYPTO)
				continue;
			err = put_ext(buf, len, &off, q->hext[i].type, q->hext[i].data,
				      q->hext[i].len);
			if (err)
				return err;
		}
		memset(ft, 0, sizeof(ft));
		for (i = 0; i < sizeof(feature_table) / sizeof(feature_table[0]); i++) {
			ft[i][0] = feature_table[i].type;
			ft[i][1] = feature_table[i].bit;
			strncpy((char *)ft[i] + 2, feature_table[i].name, 46);
		}
		err = features ? put_ext(buf, len, &off, QCOW2_EXT_FEATURES, ft, sizeof(ft)) : 0;
		if (err)
			return err;
		for (i = 0; i < q->nhext; i++) {
			if (q->hext[i].type == QCOW2_EXT_CRYPTO)
				continue;
			err = put_ext(buf, len, &off, q->hext[i].type, q->hext[i].data,
				      q->hext[i].len);
			if (err)
				return err;
		}
		off += 8;	/* end marker (zeros) */
	}
	if (q->backing_file) {
		size_t bl = strlen(q->backing_file);

		if (off + bl > len)
			return -EFBIG;
		memcpy(buf + off, q->backing_file, bl);
		put64(buf + 8, off);
		put32(buf + 16, bl);
		off += bl;
	}
	return (int)off;
}

/*
 * The feature name table is optional: qemu 7.2 leaves it out with clusters
 * of 4 KiB and smaller (observed), where it may not fit with a backing name.
 */
int qcow2_build_header(const struct qcow2 *q, uint8_t *buf, size_t len)
{
	return build_header(q, buf, len, q->cluster_size > 4096);
}

int qcow2_write_header(struct qcow2 *q)
{
	uint8_t *buf;
	int len, err;

	buf = malloc(q->cluster_size);
	if (!buf)
		return -ENOMEM;
	len = qcow2_build_header(q, buf, q->cluster_size);
	if (len < 0) {
		err = qcow2_err(len, "header extensions do not fit in the first cluster");
		goto out;
	}
	err = qcow2_host_pwrite(q, buf, len, 0);
	if (!err)
		err = qcow2_host_sync(q);
out:
	free(buf);
	return err;
}

int qcow2_update_incompat(struct qcow2 *q, uint64_t incompat)
{
	uint64_t v = htobe64(incompat);
	int err;

	if (q->version < 3)
		return 0;
	err = qcow2_host_pwrite(q, &v, 8, HDR_INCOMPAT);
	if (!err)
		err = qcow2_host_sync(q);
	if (!err)
		q->incompat = incompat;
	return err;
}

int qcow2_mark_dirty(struct qcow2 *q)
{
	int err;

	if (q->dirty_set || !q->lazy)
		return 0;
	/* Nothing may reach the disk relying on lazy refcounts before the bit. */
	err = qcow2_update_incompat(q, q->incompat | QCOW2_INCOMPAT_DIRTY);
	if (!err)
		q->dirty_set = true;
	return err;
}

int qcow2_mark_clean(struct qcow2 *q)
{
	int err;

	if (!(q->incompat & QCOW2_INCOMPAT_DIRTY) || q->read_only)
		return 0;
	err = qcow2_update_incompat(q, q->incompat & ~QCOW2_INCOMPAT_DIRTY);
	if (!err)
		q->dirty_set = false;
	return err;
}

int qcow2_probe(const char *path)
{
	uint8_t m[4];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = pread(fd, m, 4, 0);
	close(fd);
	if (n < 0)
		return -errno;
	return n == 4 && get32(m) == QCOW2_MAGIC;
}
