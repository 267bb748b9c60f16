// SPDX-License-Identifier: GPL-2.0
/*
 * Compressed clusters: the codecs (zlib raw deflate with a 4 KiB window,
 * zstd frames), reading, copy-on-write into a normal cluster, freeing, and
 * packing newly compressed clusters byte by byte as qemu does.
 *
 * A compressed L2 entry: bits 0..x-1 the host byte offset, bits x..61 the
 * number of 512-byte sectors used beyond the first, x = 62 - (cluster_bits
 * - 8). Its reference counts once on every host cluster the sectors touch.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "qcow2-int.h"

#define CSECTOR		512u
#define ZLIB_WBITS	(-12)	/* raw deflate, 4 KiB window: what qemu reads */
#define ZLIB_MEMLEVEL	9
#define ZSTD_LEVEL	ZSTD_CLEVEL_DEFAULT	/* qemu sets no level */

struct qcow2_codec {
	int type;
	uint32_t cs;
	z_stream z;
	bool z_ready;
	ZSTD_CCtx *zc;
};

static unsigned int csize_shift(const struct qcow2 *q)
{
	return 62 - (q->cluster_bits - 8);
}

void qcow2_compressed_range(const struct qcow2 *q, uint64_t e, uint64_t *off, uint64_t *len)
{
	unsigned int x = csize_shift(q);
	uint64_t host = e & ((1ull << x) - 1);
	uint64_t nsec = ((e >> x) & ((1ull << (q->cluster_bits - 8)) - 1)) + 1;

	*off = host & ~(uint64_t)(CSECTOR - 1);
	*len = nsec * CSECTOR;
}

/* ---- codecs ---------------------------------------------------------------- */

int qcow2_codec_new(int type, uint32_t cluster_size, struct qcow2_codec **out)
{
	struct qcow2_codec *c;

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->type = type;
	c->cs = cluster_size;
	if (type == QCOW2_COMPRESS_ZSTD) {
		c->zc = ZSTD_createCCtx();
		if (!c->zc || ZSTD_isError(ZSTD_CCtx_setParameter(c->zc, ZSTD_c_compressionLevel,
								  ZSTD_LEVEL)))
			goto err_free;
	} else {
		if (deflateInit2(&c->z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, ZLIB_WBITS,
				 ZLIB_MEMLEVEL, Z_DEFAULT_STRATEGY) != Z_OK)
			goto err_free;
		c->z_ready = true;
	}
	*out = c;
	return 0;
err_free:
	ZSTD_freeCCtx(c->zc);
	free(c);
	return -ENOMEM;
}

void qcow2_codec_free(struct qcow2_codec *c)
{
	if (!c)
		return;
	if (c->z_ready)
		deflateEnd(&c->z);
	ZSTD_freeCCtx(c->zc);
	free(c);
}

/*
 * Random-looking data (order-0 entropy within sampling noise of 8 bits per
 * byte) does not shrink under deflate or zstd: store it without trying.
 * Clusters of 32 KiB and more are sampled (4 bytes of every 16, across the
 * whole cluster), smaller ones counted whole; none below 4 KiB, where the
 * estimate is unreliable. The noise of a uniform source's estimate is
 * 255 / (2 n ln 2) bits, with a spread of a tenth of that: 1.5 times it
 * leaves random data well inside and anything Huffman coding could shrink
 * by more than a few bytes outside.
 */
static bool looks_incompressible(const uint8_t *p, uint32_t n)
{
	uint32_t hist[4][256] = { { 0 } }, i, k, ns;
	double h = 0, noise;

	if (n < 4096)
		return false;
	if (n >= 32768) {
		for (i = 0; i + 16 <= n; i += 16) {
			hist[0][p[i]]++;
			hist[1][p[i + 5]]++;
			hist[2][p[i + 10]]++;
			hist[3][p[i + 15]]++;
		}
		ns = n / 4;
	} else {
		for (i = 0; i + 4 <= n; i += 4) {
			hist[0][p[i]]++;
			hist[1][p[i + 1]]++;
			hist[2][p[i + 2]]++;
			hist[3][p[i + 3]]++;
		}
		ns = n;
	}
	for (k = 0; k < 256; k++) {
		uint32_t c = hist[0][k] + hist[1][k] + hist[2][k] + hist[3][k];

		if (!c)
			return false;	/* a byte value never seen: not random */
		h -= c * log2((double)c / ns);
	}
	h /= ns;
	noise = 255.0 / (2.0 * ns * M_LN2);
	return h > 8.0 - 1.5 * noise;
}

ssize_t qcow2_codec_compress(struct qcow2_codec *c, const void *in, void *out)
{
	size_t cap = c->cs - 1;	/* qemu: must be smaller than a cluster */
	size_t r;
	int ret;

	if (looks_incompressible(in, c->cs))
		return 0;
	if (c->type == QCOW2_COMPRESS_ZSTD) {
		r = ZSTD_compress2(c->zc, out, cap, in, c->cs);
		if (ZSTD_isError(r))
			return ZSTD_getErrorCode(r) == ZSTD_error_dstSize_tooSmall ? 0 : -EIO;
		return (ssize_t)r;
	}
	if (deflateReset(&c->z) != Z_OK)
		return -EIO;
	c->z.next_in = (Bytef *)in;
	c->z.avail_in = c->cs;
	c->z.next_out = out;
	c->z.avail_out = (uInt)cap;
	ret = deflate(&c->z, Z_FINISH);
	if (ret != Z_STREAM_END)
		return ret == Z_OK || ret == Z_BUF_ERROR ? 0 : -EIO;
	return (ssize_t)(cap - c->z.avail_out);
}

/* Decompress exactly one cluster from src[0..len) (len may include the start of the next). */
static int decompress(int type, void *dst, size_t cs, const void *src, size_t len)
{
	z_stream z;
	int ret;

	if (type == QCOW2_COMPRESS_ZSTD) {
		ZSTD_inBuffer ib = { src, len, 0 };
		ZSTD_outBuffer ob = { dst, cs, 0 };
		ZSTD_DCtx *d = ZSTD_createDCtx();
		size_t r = 1;

		if (!d)
			return -ENOMEM;
		/* frames until the cluster is full, as qemu reads them */
		while (ob.pos < ob.size) {
			size_t in0 = ib.pos, out0 = ob.pos;

			r = ZSTD_decompressStream(d, &ob, &ib);
			if (ZSTD_isError(r) || (ib.pos <= in0 && ob.pos <= out0)) {
				r = 1;
				break;
			}
		}
		ZSTD_freeDCtx(d);
		return ob.pos == ob.size && !r ? 0 : -EIO;
	}
	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, ZLIB_WBITS) != Z_OK)
		return -ENOMEM;
	z.next_in = (Bytef *)src;
	z.avail_in = (uInt)len;
	z.next_out = dst;
	z.avail_out = (uInt)cs;
	ret = inflate(&z, Z_FINISH);
	inflateEnd(&z);
	/* the input length is only known to the sector: a full output is enough */
	if ((ret == Z_STREAM_END || ret == Z_BUF_ERROR) && !z.avail_out)
		return 0;
	return -EIO;
}

/* ---- reading --------------------------------------------------------------- */

/* Read and decompress the cluster of entry e into dst (cluster_size bytes). */
static int read_cluster(struct qcow2 *q, uint64_t e, uint8_t *dst)
{
	unsigned int x = csize_shift(q);
	uint64_t coff = e & ((1ull << x) - 1), off, len, csize, end;
	uint8_t *src;
	int err;

	qcow2_compressed_range(q, e, &off, &len);
	csize = len - (coff - off);
	end = __atomic_load_n(&q->alloc_end, __ATOMIC_RELAXED);
	/* (reads hold no metadata lock: an error, not a corruption mark) */
	if (coff < q->cluster_size || ((coff + csize - 1) >> q->cluster_bits) >= end)
		return qcow2_err(-EIO, "compressed cluster at host offset %#llx is out of range (L2 entry %#llx): corrupt image",
				 (unsigned long long)coff, (unsigned long long)e);
	src = malloc(csize);
	if (!src)
		return -ENOMEM;
	err = qcow2_host_pread(q, src, csize, coff);
	if (!err) {
		err = decompress(q->compression_type, dst, q->cluster_size, src, csize);
		if (err == -EIO)
			err = qcow2_err(-EIO, "compressed cluster at host offset %#llx does not decompress (%s): corrupt data",
					(unsigned long long)coff,
					q->compression_type ? "zstd" : "zlib");
	}
	free(src);
	return err;
}

int qcow2_compressed_read(struct qcow2 *q, uint64_t e, void *buf, uint64_t in, uint64_t len)
{
	uint8_t *tmp;
	int err;

	if (!in && len == q->cluster_size)
		return read_cluster(q, e, buf);
	tmp = malloc(q->cluster_size);
	if (!tmp)
		return -ENOMEM;
	err = read_cluster(q, e, tmp);
	if (!err)
		memcpy(buf, tmp + in, len);
	free(tmp);
	return err;
}

/* ---- writes into compressed clusters and freeing ------------------------- */

int qcow2_compressed_free(struct qcow2 *q, uint64_t e)
{
	uint64_t off, len;

	qcow2_compressed_range(q, e, &off, &len);
	return qcow2_free_clusters(q, off, len);
}

int64_t qcow2_compressed_cow(struct qcow2 *q, const uint8_t *buf, uint64_t len,
			     uint64_t off, uint64_t e)
{
	uint64_t cs = q->cluster_size, in = off & (cs - 1), bytes = cs - in, idx;
	uint64_t *l2 = NULL;
	uint8_t *tmp;
	int64_t a;
	int err;

	if (bytes > len)
		bytes = len;
	if (posix_memalign((void **)&tmp, 4096, cs))
		return -ENOMEM;
	if (bytes < cs) {
		err = read_cluster(q, e, tmp);
		if (err)
			goto out_free;
	}
	memcpy(tmp + in, buf, bytes);
	err = qcow2_get_l2(q, off, true, &l2, &idx);
	if (err)
		goto out_free;
	if (be64toh(l2[idx]) != e) {
		/* the table was copied (shared): same entry expected */
		e = be64toh(l2[idx]);
		if (qcow2_l2_type(q, e) != QCOW2_CL_COMPRESSED) {
			err = qcow2_err(-EAGAIN, "L2 entry changed under a compressed write");
			goto out_put;
		}
	}
	a = qcow2_alloc_clusters(q, 1);
	if (a < 0) {
		err = (int)a;
		goto out_put;
	}
	/* encrypted image: the new normal cluster is encrypted (crypt.c) */
	err = qcow2_crypt_encrypt(q, tmp, cs, (uint64_t)a, off - in);
	if (!err)
		err = qcow2_host_pwrite(q, tmp, cs, (uint64_t)a);
	if (!err)
		err = qcow2_cache_set_dependency(&q->l2c, &q->rbc);
	if (err) {
		qcow2_free_clusters(q, (uint64_t)a, cs);
		goto out_put;
	}
	l2[idx] = htobe64((uint64_t)a | QCOW2_OFLAG_COPIED);
	qcow2_cache_mark_dirty(&q->l2c, l2);
	err = qcow2_compressed_free(q, e);
out_put:
	qcow2_cache_put(&q->l2c, (void **)&l2);
out_free:
	free(tmp);
	return err ? err : (int64_t)bytes;
}

/* ---- packing new compressed clusters ------------------------------------- */

/*
 * Host bytes for len bytes of compressed data right after the previous ones
 * (qemu's qcow2_alloc_bytes): continue in the current cluster when the data
 * fits or the next cluster allocated is adjacent, else start a new one. Every
 * cluster touched gains one reference.
 */
static int64_t alloc_bytes(struct qcow2 *q, uint64_t len)
{
	uint64_t cs = q->cluster_size, off = q->free_byte_offset, rc = 0;
	uint64_t free_in;
	int64_t a;
	int err;

	if (off) {
		err = qcow2_get_refcount(q, off >> q->cluster_bits, &rc);
		if (err)
			return err;
		if (!rc || rc >= q->refcount_max)
			off = 0;
	}
	free_in = off ? cs - (off & (cs - 1)) : 0;
	if (off && free_in >= len) {
		err = qcow2_update_refcount(q, off, 1, 1);
		if (err)
			return err;
	} else {
		/* len < cs: one new cluster always suffices */
		a = qcow2_alloc_clusters(q, 1);
		if (a < 0)
			return a;
		if (off && (uint64_t)a == qcow2_align_up(off, cs)) {
			err = qcow2_update_refcount(q, off, 1, 1);
			if (err) {
				qcow2_free_clusters(q, (uint64_t)a, cs);
				return err;
			}
		} else {
			off = (uint64_t)a;
		}
	}
	q->free_byte_offset = (off + len) & (cs - 1) ? off + len : 0;
	return (int64_t)off;
}

int qcow2_store_compressed(struct qcow2 *q, uint64_t off, const void *data, size_t len)
{
	uint64_t *l2 = NULL, idx, e, nsec;
	int64_t host;
	int err;

	if (q->read_only)
		return qcow2_err(-EROFS, "image is read-only");
	if (q->crypt_method)
		return qcow2_err(-EINVAL, "Compression and encryption not supported at the same time");
	if (!len || len >= q->cluster_size || off & (q->cluster_size - 1) || off >= q->size)
		return -EINVAL;
	pthread_rwlock_rdlock(&q->io_lock);
	pthread_mutex_lock(&q->meta_lock);
	/* the L2 table first, so that it lands before its data */
	err = qcow2_get_l2(q, off, true, &l2, &idx);
	if (err)
		goto out_unlock;
	e = be64toh(l2[idx]);
	if (qcow2_l2_type(q, e) != QCOW2_CL_UNALLOCATED &&
	    qcow2_l2_type(q, e) != QCOW2_CL_ZERO_PLAIN) {
		err = qcow2_err(-EEXIST, "compressed writes need an unallocated cluster (guest offset %llu)",
				(unsigned long long)off);
		goto out_put;
	}
	host = alloc_bytes(q, len);
	if (host < 0) {
		err = (int)host;
		goto out_put;
	}
	if ((uint64_t)host >> csize_shift(q)) {
		err = qcow2_err(-EFBIG, "compressed data beyond the offset range of a compressed L2 entry");
		goto out_free;
	}
	err = qcow2_host_pwrite(q, data, len, (uint64_t)host);
	if (!err)
		err = qcow2_cache_set_dependency(&q->l2c, &q->rbc);
	if (err)
		goto out_free;
	nsec = (((uint64_t)host + len - 1) >> 9) - ((uint64_t)host >> 9);
	l2[idx] = htobe64(QCOW2_OFLAG_COMPRESSED | (nsec << csize_shift(q)) | (uint64_t)host);
	qcow2_cache_mark_dirty(&q->l2c, l2);
	goto out_put;
out_free:
	qcow2_update_refcount(q, (uint64_t)host, len, -1);
out_put:
	qcow2_cache_put(&q->l2c, (void **)&l2);
out_unlock:
	pthread_mutex_unlock(&q->meta_lock);
	pthread_rwlock_unlock(&q->io_lock);
	return err;
}

static bool all_zero(const uint8_t *p, size_t len)
{
	return !len || (!p[0] && !memcmp(p, p + 1, len - 1));
}

int qcow2_write_compressed(struct qcow2 *q, const void *buf, size_t len, uint64_t off)
{
	uint64_t cs = q->cluster_size;
	struct qcow2_codec *c;
	uint8_t *in, *out;
	ssize_t n;
	int err;

	if (off & (cs - 1) || !len || len > cs || off >= q->size ||
	    (len < cs && off + len != q->size))
		return qcow2_err(-EINVAL, "compressed writes are whole clusters (guest offset %llu, %zu bytes)",
				 (unsigned long long)off, len);
	if (q->crypt_method)
		return qcow2_err(-EINVAL, "Compression and encryption not supported at the same time");
	if (all_zero(buf, len))
		return 0;
	err = qcow2_codec_new(q->compression_type, (uint32_t)cs, &c);
	if (err)
		return err;
	in = calloc(1, cs);
	out = malloc(cs);
	if (!in || !out) {
		err = -ENOMEM;
		goto out;
	}
	memcpy(in, buf, len);
	n = qcow2_codec_compress(c, in, out);
	if (n < 0)
		err = (int)n;
	else if (n)
		err = qcow2_store_compressed(q, off, out, (size_t)n);
	else if ((n = qcow2_pwrite(q, buf, len, off)) < 0)
		err = (int)n;
out:
	free(in);
	free(out);
	qcow2_codec_free(c);
	return err;
}
