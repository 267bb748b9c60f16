// SPDX-License-Identifier: GPL-2.0
/*
 * Guest I/O: reads, writes (in place, allocating, copy-on-write), write
 * zeroes, discard, flush; and the host file I/O underneath.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qcow2-int.h"

#define DIO_ALIGN	4096u

/* ---- host file ------------------------------------------------------------ */

static int full_pread(int fd, void *buf, size_t len, uint64_t off)
{
	uint8_t *p = buf;
	ssize_t n;

	while (len) {
		n = pread(fd, p, len, (off_t)off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (!n) {		/* past the end of the file: zeros */
			memset(p, 0, len);
			return 0;
		}
		p += n;
		off += n;
		len -= n;
	}
	return 0;
}

static int full_pwrite(int fd, const void *buf, size_t len, uint64_t off)
{
	const uint8_t *p = buf;
	ssize_t n;

	while (len) {
		n = pwrite(fd, p, len, (off_t)off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (!n)
			return -EIO;
		p += n;
		off += n;
		len -= n;
	}
	return 0;
}

static void note_end(struct qcow2 *q, uint64_t end)
{
	if (end > q->file_end)
		__atomic_store_n(&q->file_end, end, __ATOMIC_RELAXED);
}

int qcow2_host_pread(struct qcow2 *q, void *buf, size_t len, uint64_t off)
{
	return full_pread(q->fd, buf, len, off);
}

int qcow2_host_pwrite(struct qcow2 *q, const void *buf, size_t len, uint64_t off)
{
	int err;

	if (q->read_only && !(q->flags & QCOW2_O_CHECK))
		return -EROFS;
	err = full_pwrite(q->fd, buf, len, off);
	if (!err)
		note_end(q, off + len);
	return err;
}

int qcow2_host_sync(struct qcow2 *q)
{
	if (q->nosync)
		return 0;
	if (fdatasync(q->fd))
		return -errno;
	return 0;
}

int qcow2_host_zero(struct qcow2 *q, uint64_t off, uint64_t len)
{
	static const uint8_t zeros[65536];
	int err;

	if (!len || off >= q->file_end)
		return 0;
	if (!fallocate(q->fd, FALLOC_FL_ZERO_RANGE, (off_t)off, (off_t)len))
		return 0;
	while (len) {
		size_t n = len > sizeof(zeros) ? sizeof(zeros) : len;

		err = full_pwrite(q->fd, zeros, n, off);
		if (err)
			return err;
		off += n;
		len -= n;
	}
	return 0;
}

static bool dio_ok(const struct qcow2 *q, const void *buf, size_t len, uint64_t off)
{
	return q->dfd != q->fd && !(((uintptr_t)buf | len | off) & (q->dio_align - 1));
}

static int data_pread(struct qcow2 *q, void *buf, size_t len, uint64_t off)
{
	if (dio_ok(q, buf, len, off)) {
		ssize_t n = pread(q->dfd, buf, len, (off_t)off);

		if (n == (ssize_t)len)
			return 0;
		/* short (end of file) or refused: the buffered way */
	}
	return full_pread(q->fd, buf, len, off);
}

static int data_pwrite(struct qcow2 *q, const void *buf, size_t len, uint64_t off)
{
	int err;

	if (dio_ok(q, buf, len, off)) {
		err = full_pwrite(q->dfd, buf, len, off);
		if (!err) {
			note_end(q, off + len);
			return 0;
		}
		if (err != -EINVAL)
			return err;
	}
	err = full_pwrite(q->fd, buf, len, off);
	if (!err)
		note_end(q, off + len);
	return err;
}

/*
 * Guest data through the image's cipher (crypt.c): decrypt after reading,
 * encrypt into a bounce buffer before writing. host and guest offsets and
 * len are whole 512-byte sectors when the image is encrypted.
 */
#define CRYPT_BOUNCE	(1u << 20)

static int data_read(struct qcow2 *q, void *buf, size_t len, uint64_t host, uint64_t guest)
{
	int err = qcow2_crypt_ready(q);

	if (!err)
		err = data_pread(q, buf, len, host);
	if (!err && q->crypt)
		err = qcow2_crypt_decrypt(q, buf, len, host, guest);
	return err;
}

/* buf NULL: encrypted zeros (what reads back as zeros) */
static int data_write(struct qcow2 *q, const void *buf, size_t len, uint64_t host,
		      uint64_t guest)
{
	uint8_t *b = NULL;
	int err = qcow2_crypt_ready(q);

	if (err)
		return err;
	if (!q->crypt)
		return buf ? data_pwrite(q, buf, len, host) : qcow2_host_zero(q, host, len);
	if (posix_memalign((void **)&b, DIO_ALIGN, len < CRYPT_BOUNCE ? len : CRYPT_BOUNCE))
		return -ENOMEM;
	while (len && !err) {
		size_t n = len < CRYPT_BOUNCE ? len : CRYPT_BOUNCE;

		if (buf)
			memcpy(b, buf, n);
		else
			memset(b, 0, n);
		err = qcow2_crypt_encrypt(q, b, n, host, guest);
		if (!err)
			err = data_pwrite(q, b, n, host);
		if (buf)
			buf = (const uint8_t *)buf + n;
		host += n;
		guest += n;
		len -= n;
	}
	free(b);
	return err;
}

/*
 * Encrypted images work in whole sectors: an I/O not aligned to 512 bytes
 * goes through a bounce buffer (the partial end sectors of a write are read,
 * merged and written back whole).
 */
static bool crypt_unaligned(const struct qcow2 *q, size_t len, uint64_t off)
{
	return q->crypt_method && len && ((off | len) & 511);
}

static ssize_t crypt_rmw(struct qcow2 *q, void *rbuf, const void *wbuf, size_t len,
			 uint64_t off)
{
	uint64_t pos = off & ~511ull, end = qcow2_align_up(off + len, 512);
	uint8_t *b = NULL;
	ssize_t r = 0;

	if (posix_memalign((void **)&b, DIO_ALIGN, CRYPT_BOUNCE))
		return -ENOMEM;
	while (pos < end && r >= 0) {
		uint64_t n = end - pos < CRYPT_BOUNCE ? end - pos : CRYPT_BOUNCE;
		uint64_t from = pos > off ? pos : off;
		uint64_t to = pos + n < off + len ? pos + n : off + len;

		if (rbuf) {
			r = qcow2_pread(q, b, n, pos);
			if (r >= 0)
				memcpy((uint8_t *)rbuf + (from - off), b + (from - pos), to - from);
		} else {
			if (pos < off)
				r = qcow2_pread(q, b, 512, pos);
			if (r >= 0 && pos + n > off + len)
				r = qcow2_pread(q, b + n - 512, 512, pos + n - 512);
			if (r >= 0) {
				memcpy(b + (from - pos), (const uint8_t *)wbuf + (from - off), to - from);
				r = qcow2_pwrite(q, b, n, pos);
			}
		}
		pos += n;
	}
	free(b);
	return r < 0 ? r : (ssize_t)len;
}

/* ---- reads ---------------------------------------------------------------- */

static int check_range(const struct qcow2 *q, uint64_t off, uint64_t len)
{
	if (off > q->size || len > q->size - off)
		return qcow2_err(-EINVAL, "I/O at %llu+%llu is beyond the virtual size %llu",
				 (unsigned long long)off, (unsigned long long)len,
				 (unsigned long long)q->size);
	return 0;
}

static uint64_t clusters_for(const struct qcow2 *q, uint64_t off, uint64_t len)
{
	uint64_t in = off & (q->cluster_size - 1);

	return (in + len + q->cluster_size - 1) >> q->cluster_bits;
}

ssize_t qcow2_pread(struct qcow2 *q, void *buf, size_t len, uint64_t off)
{
	uint64_t done = 0, e, n, cs = q->cluster_size;
	int err;

	err = check_range(q, off, len);
	if (err)
		return err;
	if (crypt_unaligned(q, len, off))
		return crypt_rmw(q, buf, NULL, len, off);
	pthread_rwlock_rdlock(&q->io_lock);
	while (done < len) {
		uint64_t cur = off + done, in = cur & (cs - 1), bytes;

		pthread_mutex_lock(&q->meta_lock);
		err = qcow2_get_cluster(q, cur, clusters_for(q, cur, len - done), &e, &n);
		pthread_mutex_unlock(&q->meta_lock);
		if (err)
			break;
		bytes = (n << q->cluster_bits) - in;
		if (bytes > len - done)
			bytes = len - done;
		switch (qcow2_l2_type(q, e)) {
		case QCOW2_CL_NORMAL:
			err = data_read(q, (uint8_t *)buf + done, bytes, (e & L2E_OFFSET_MASK) + in,
					cur);
			break;
		case QCOW2_CL_COMPRESSED:
			err = qcow2_compressed_read(q, e, (uint8_t *)buf + done, in, bytes);
			break;
		case QCOW2_CL_UNALLOCATED:
			/* the backing chain's data (zeros without one) */
			err = qcow2_backing_pread(q, (uint8_t *)buf + done, bytes, cur);
			break;
		default:
			memset((uint8_t *)buf + done, 0, bytes);
		}
		if (err)
			break;
		done += bytes;
	}
	pthread_rwlock_unlock(&q->io_lock);
	return err ? err : (ssize_t)len;
}

/* ---- writes ----------------------------------------------------------------- */

/*
 * Fill the parts of newly allocated clusters [host, host + n clusters) that
 * the write [in, in + len) does not cover: from the old clusters (COW) when
 * old_host is set, else with zeros.
 */
static int fill_around(struct qcow2 *q, uint64_t host, uint64_t n, uint64_t in,
		       uint64_t len, uint64_t old_host)
{
	uint64_t cs = q->cluster_size, tail = in + len, end = n * cs;
	uint8_t *tmp = NULL;
	int err = 0;

	if (!in && tail == end)
		return 0;
	if (!old_host) {
		/* Beyond the old end of file the host range is zero already. */
		if (in && host < q->file_end)
			err = qcow2_host_zero(q, host, in);
		if (!err && tail < end && host + tail < q->file_end)
			err = qcow2_host_zero(q, host + tail, end - tail);
		return err;
	}
	if (posix_memalign((void **)&tmp, DIO_ALIGN, cs))
		return -ENOMEM;
	if (in) {
		uint64_t s = in & ~(cs - 1);

		err = full_pread(q->fd, tmp, in - s, old_host + s);
		if (!err)
			err = data_pwrite(q, tmp, in - s, host + s);
	}
	if (!err && tail < end) {
		uint64_t e = qcow2_align_up(tail, cs);

		err = full_pread(q->fd, tmp, e - tail, old_host + tail);
		if (!err)
			err = data_pwrite(q, tmp, e - tail, host + tail);
	}
	free(tmp);
	return err;
}

/*
 * fill_around for encrypted images: the old data is decrypted with its old
 * host offset and encrypted again for the new one; zeros are written
 * encrypted. guest is the guest offset of the first cluster.
 */
static int crypt_fill_around(struct qcow2 *q, uint64_t host, uint64_t guest, uint64_t n,
			     uint64_t in, uint64_t len, uint64_t old_host)
{
	uint64_t cs = q->cluster_size, tail = in + len, end = n * cs;
	uint8_t *tmp = NULL;
	int err = 0;

	if (!old_host) {
		if (in)
			err = data_write(q, NULL, in, host, guest);
		if (!err && tail < end)
			err = data_write(q, NULL, end - tail, host + tail, guest + tail);
		return err;
	}
	if (posix_memalign((void **)&tmp, DIO_ALIGN, cs))
		return -ENOMEM;
	if (in) {
		err = data_read(q, tmp, in, old_host, guest);
		if (!err)
			err = data_write(q, tmp, in, host, guest);
	}
	if (!err && tail < end) {
		uint64_t e = qcow2_align_up(tail, cs);

		err = data_read(q, tmp, e - tail, old_host + tail, guest + tail);
		if (!err)
			err = data_write(q, tmp, e - tail, host + tail, guest + tail);
	}
	free(tmp);
	return err;
}

/*
 * New clusters [host, host + n clusters) for guest clusters the image does
 * not allocate, at guest offset guest: the parts the write [in, in + len)
 * does not cover come from the backing chain.
 */
static int fill_from_backing(struct qcow2 *q, uint64_t host, uint64_t guest, uint64_t n,
			     uint64_t in, uint64_t len)
{
	uint64_t cs = q->cluster_size, tail = in + len, end = n * cs;
	uint8_t *tmp = NULL;
	int err = 0;

	if (posix_memalign((void **)&tmp, DIO_ALIGN, cs))
		return -ENOMEM;
	if (in) {
		err = qcow2_backing_pread(q, tmp, in, guest);
		if (!err)
			err = data_write(q, tmp, in, host, guest);
	}
	if (!err && tail < end) {
		uint64_t e = qcow2_align_up(tail, cs);

		err = qcow2_backing_pread(q, tmp, e - tail, guest + tail);
		if (!err)
			err = data_write(q, tmp, e - tail, host + tail, guest + tail);
	}
	free(tmp);
	return err;
}

/*
 * The same with the write's data merged in: one write of whole clusters
 * (what qemu does too), for runs of at most COW_MERGE_MAX bytes.
 */
#define COW_MERGE_MAX	(2u << 20)

static int write_merged(struct qcow2 *q, const uint8_t *buf, uint64_t host, uint64_t guest,
			uint64_t n, uint64_t in, uint64_t len)
{
	uint64_t end = n << q->cluster_bits, tail = in + len;
	uint8_t *tmp = NULL;
	int err = 0;

	if (posix_memalign((void **)&tmp, DIO_ALIGN, end))
		return -ENOMEM;
	if (in)
		err = qcow2_backing_pread(q, tmp, in, guest);
	if (!err && tail < end)
		err = qcow2_backing_pread(q, tmp + tail, end - tail, guest + tail);
	if (!err) {
		memcpy(tmp + in, buf, len);
		err = data_write(q, tmp, end, host, guest);
	}
	free(tmp);
	return err;
}

/* A write into clusters q does not allocate that must copy from its backing. */
static bool fills_from_backing(const struct qcow2 *q, uint64_t e, uint64_t in,
			       uint64_t bytes)
{
	return q->backing && qcow2_l2_type(q, e) == QCOW2_CL_UNALLOCATED &&
	       (in || ((in + bytes) & (q->cluster_size - 1)));
}

/*
 * Write within one L2 table where clusters need allocation, copy-on-write
 * or zero-flag clearing. Called with io_lock held exclusively. Returns
 * bytes written or -errno.
 */
static int64_t write_alloc(struct qcow2 *q, const uint8_t *buf, uint64_t len,
			   uint64_t off, uint64_t e, uint64_t n)
{
	uint64_t cs = q->cluster_size, in = off & (cs - 1), bytes, i, idx;
	enum qcow2_cluster_type t = qcow2_l2_type(q, e);
	uint64_t old = e & L2E_OFFSET_MASK, host, nent;
	bool in_place = t == QCOW2_CL_ZERO_ALLOC && (e & QCOW2_OFLAG_COPIED);
	uint64_t *l2 = NULL;
	int64_t a;
	int err;

	if (t == QCOW2_CL_COMPRESSED)
		return qcow2_compressed_cow(q, buf, len, off, e);
	bytes = (n << q->cluster_bits) - in;
	if (bytes > len)
		bytes = len;
	nent = clusters_for(q, off, bytes);

	err = qcow2_get_l2(q, off, true, &l2, &idx);
	if (err)
		return err;
	if (in_place) {
		/* zero-flagged clusters read zeros: the host bytes may be stale */
		host = old;
		if (in)
			err = data_write(q, NULL, in, host, off - in);
		if (!err && (in + bytes) < nent * cs)
			err = data_write(q, NULL, nent * cs - in - bytes, host + in + bytes,
					 off + bytes);
	} else {
		a = qcow2_alloc_clusters(q, nent);
		if (a < 0) {
			err = (int)a;
			goto out;
		}
		host = (uint64_t)a;
		if (fills_from_backing(q, e, in, bytes))
			err = fill_from_backing(q, host, off - in, nent, in, bytes);
		else if (q->crypt_method)
			err = crypt_fill_around(q, host, off - in, nent, in, bytes,
						t == QCOW2_CL_NORMAL ? old : 0);
		else
			err = fill_around(q, host, nent, in, bytes,
					  t == QCOW2_CL_NORMAL ? old : 0);
	}
	if (err)
		goto out;
	err = data_write(q, buf, bytes, host + in, off);
	if (err)
		goto out;
	/*
	 * Order first (breaking a cycle flushes the L2 cache, which must not
	 * hold the new entries yet), then point the L2 entries at the data.
	 */
	err = qcow2_cache_set_dependency(&q->l2c, &q->rbc);
	if (err)
		goto out;
	for (i = 0; i < nent; i++)
		l2[idx + i] = htobe64((host + (i << q->cluster_bits)) | QCOW2_OFLAG_COPIED);
	qcow2_cache_mark_dirty(&q->l2c, l2);
	if (!in_place && old && t != QCOW2_CL_UNALLOCATED)
		err = qcow2_free_clusters(q, old, nent << q->cluster_bits);
out:
	qcow2_cache_put(&q->l2c, (void **)&l2);
	return err ? err : (int64_t)bytes;
}

/*
 * A data write must never land on metadata (a corrupt L2 entry pointing at
 * the header, the L1 or refcount table, or a cached L2 table or refcount
 * block): qemu's "cached" overlap check.
 */
static int check_overlap(struct qcow2 *q, uint64_t host, uint64_t len)
{
	uint64_t cs = q->cluster_size, c, end = host + len;
	uint64_t l1_end = q->l1_offset + (uint64_t)q->l1_size * 8;
	uint64_t rt_end = q->reftable_offset + (uint64_t)q->reftable_clusters * cs;

	if (host < cs || (q->l1_size && host < l1_end && q->l1_offset < end) ||
	    (host < rt_end && q->reftable_offset < end))
		goto overlap;
	for (c = host & ~(cs - 1); c < end; c += cs)
		if (qcow2_cache_has(&q->l2c, c) || qcow2_cache_has(&q->rbc, c))
			goto overlap;
	return 0;
overlap:
	return qcow2_signal_corruption(q, "Preventing invalid write on metadata (data at %#llx)",
				       (unsigned long long)host);
}

static bool is_in_place(const struct qcow2 *q, uint64_t e)
{
	return qcow2_l2_type(q, e) == QCOW2_CL_NORMAL && (e & QCOW2_OFLAG_COPIED);
}

static bool is_unmapped(const struct qcow2 *q, uint64_t e)
{
	enum qcow2_cluster_type t = qcow2_l2_type(q, e);

	return t == QCOW2_CL_UNALLOCATED || t == QCOW2_CL_ZERO_PLAIN;
}

/*
 * Allocating write into unmapped clusters, with the data I/O outside the
 * metadata lock: allocate private host clusters, write (new clusters past
 * the end of the file read as zeros; reused ones are zeroed first; with bk,
 * unallocated clusters over a backing file, the rest is copied from the
 * chain), then link them into the L2 table if the guest clusters are still
 * unmapped, or give them back and let the caller retry. Called with meta_lock held;
 * returns with it held. Returns bytes written, 0 to retry, or -errno.
 */
static int64_t write_new(struct qcow2 *q, const uint8_t *buf, uint64_t len,
			 uint64_t off, uint64_t n, bool bk)
{
	uint64_t cs = q->cluster_size, in = off & (cs - 1), bytes, nent, i, idx;
	uint64_t *l2 = NULL, gstart, gend;
	int64_t a, ret = 0;
	unsigned int slot;
	bool merged = false;
	int err;

	bytes = (n << q->cluster_bits) - in;
	if (bytes > len)
		bytes = len;
	nent = clusters_for(q, off, bytes);
	/*
	 * Another writer allocating (part of) these clusters: wait for it and
	 * look again (it will usually have mapped them: an overwrite then).
	 */
	gstart = off - in;
	gend = gstart + nent * cs;
	for (i = 0; i < q->ninflight; i++)
		if (q->inflight[i].start < gend && gstart < q->inflight[i].end)
			break;
	if (i < q->ninflight || q->ninflight == QCOW2_MAX_INFLIGHT) {
		pthread_cond_wait(&q->alloc_done, &q->meta_lock);
		return 0;
	}
	slot = q->ninflight++;
	q->inflight[slot].start = gstart;
	q->inflight[slot].end = gend;
	/* The L2 table first, so that it lands before its data. */
	err = qcow2_get_l2(q, off, true, &l2, &idx);
	if (err)
		goto out_inflight;
	qcow2_cache_put(&q->l2c, (void **)&l2);
	a = qcow2_alloc_clusters(q, nent);
	if (a < 0) {
		err = (int)a;
		goto out_inflight;
	}
	pthread_mutex_unlock(&q->meta_lock);

	err = 0;
	if (bk && (in || in + bytes < nent * cs) && nent * cs <= COW_MERGE_MAX) {
		/* unallocated over a backing file: the rest comes from the chain */
		err = write_merged(q, buf, (uint64_t)a, gstart, nent, in, bytes);
		merged = true;
	} else if (bk && (in || in + bytes < nent * cs)) {
		err = fill_from_backing(q, (uint64_t)a, gstart, nent, in, bytes);
	} else if (q->crypt_method && (in || in + bytes < nent * cs)) {
		/* reads as zeros: encrypted zeros around the data */
		if (in)
			err = data_write(q, NULL, in, (uint64_t)a, off - in);
		if (!err && in + bytes < nent * cs)
			err = data_write(q, NULL, nent * cs - in - bytes, (uint64_t)a + in + bytes,
					 off + bytes);
	} else if (in || in + bytes < nent * cs) {
		/* Partial: the whole range reads as zeros first. */
		if ((uint64_t)a >= __atomic_load_n(&q->file_end, __ATOMIC_RELAXED)) {
			/*
			 * Past the end of the file it reads as zeros already;
			 * reserving it makes the sub-cluster writes overwrites
			 * (no file size change per write), as qemu does.
			 */
			if (fallocate(q->fd, 0, a, (off_t)(nent * cs)))
				err = 0;
		} else {
			err = qcow2_host_zero(q, (uint64_t)a, nent * cs);
		}
		note_end(q, (uint64_t)a + nent * cs);
	}
	if (!err && !merged)
		err = data_write(q, buf, bytes, (uint64_t)a + in, off);

	pthread_mutex_lock(&q->meta_lock);
	if (!err)
		err = qcow2_get_l2(q, off, true, &l2, &idx);
	if (err)
		goto err_free;
	for (i = 0; i < nent; i++)
		if (!is_unmapped(q, be64toh(l2[idx + i])))
			break;
	if (i < nent) {
		/* Someone mapped these clusters meanwhile: give ours back, retry. */
		qcow2_cache_put(&q->l2c, (void **)&l2);
		err = qcow2_free_clusters(q, (uint64_t)a, nent * cs);
		goto out_inflight;
	}
	/* Refcounts reach the disk before the entries that use them. */
	err = qcow2_cache_set_dependency(&q->l2c, &q->rbc);
	if (!err) {
		for (i = 0; i < nent; i++)
			l2[idx + i] = htobe64(((uint64_t)a + (i << q->cluster_bits)) |
					      QCOW2_OFLAG_COPIED);
		qcow2_cache_mark_dirty(&q->l2c, l2);
	}
	qcow2_cache_put(&q->l2c, (void **)&l2);
	if (!err)
		ret = (int64_t)bytes;
	goto out_inflight;
err_free:
	qcow2_free_clusters(q, (uint64_t)a, nent * cs);
out_inflight:
	for (i = 0; i < q->ninflight; i++)
		if (q->inflight[i].start == gstart && q->inflight[i].end == gend)
			break;
	q->inflight[i] = q->inflight[--q->ninflight];
	pthread_cond_broadcast(&q->alloc_done);
	return err ? err : ret;
}

ssize_t qcow2_pwrite(struct qcow2 *q, const void *buf, size_t len, uint64_t off)
{
	uint64_t done = 0, e, n, cs = q->cluster_size;
	int err;

	if (q->read_only)
		return qcow2_err(-EROFS, q->corrupt ? "image is corrupt; it is read-only" :
				 "image is open read-only");
	err = check_range(q, off, len);
	if (err)
		return err;
	if (crypt_unaligned(q, len, off))
		return crypt_rmw(q, NULL, buf, len, off);
	/*
	 * Shared: only frees (discard, write zeroes with unmap, shrink) take
	 * io_lock exclusively, so no cluster in use here can be freed.
	 */
	pthread_rwlock_rdlock(&q->io_lock);
	while (done < len) {
		uint64_t cur = off + done, in = cur & (cs - 1), bytes;
		int64_t w;

		pthread_mutex_lock(&q->meta_lock);
		err = qcow2_get_cluster(q, cur, clusters_for(q, cur, len - done), &e, &n);
		if (!err && !is_in_place(q, e)) {
			if (q->read_only)
				w = -EROFS;
			else if (is_unmapped(q, e))
				w = write_new(q, (const uint8_t *)buf + done, len - done, cur, n,
					      q->backing && qcow2_l2_type(q, e) == QCOW2_CL_UNALLOCATED);
			else
				w = write_alloc(q, (const uint8_t *)buf + done, len - done, cur, e, n);
			pthread_mutex_unlock(&q->meta_lock);
			if (w < 0) {
				err = (int)w;
				break;
			}
			done += (uint64_t)w;
			continue;
		}
		bytes = (n << q->cluster_bits) - in;
		if (bytes > len - done)
			bytes = len - done;
		if (!err)
			err = check_overlap(q, (e & L2E_OFFSET_MASK) + in, bytes);
		pthread_mutex_unlock(&q->meta_lock);
		if (err)
			break;
		err = data_write(q, (const uint8_t *)buf + done, bytes, (e & L2E_OFFSET_MASK) + in,
				 cur);
		if (err)
			break;
		done += bytes;
	}
	pthread_rwlock_unlock(&q->io_lock);
	return err ? err : (ssize_t)len;
}

/* ---- zeroes and discard ------------------------------------------------------- */

static int zero_partial(struct qcow2 *q, uint64_t off, uint64_t len)
{
	static const uint8_t zeros[4096];
	uint64_t e, n;
	int64_t w;
	int err;

	while (len) {
		uint64_t chunk = len > sizeof(zeros) ? sizeof(zeros) : len;
		uint64_t room = q->cluster_size - (off & (q->cluster_size - 1));

		if (chunk > room)
			chunk = room;	/* one cluster at a time */

		err = qcow2_get_cluster(q, off, 1, &e, &n);
		if (err)
			return err;
		switch (qcow2_l2_type(q, e)) {
		case QCOW2_CL_UNALLOCATED:
			if (q->backing)
				goto alloc;	/* reads the backing file's data */
			break;
		case QCOW2_CL_ZERO_PLAIN:
		case QCOW2_CL_ZERO_ALLOC:
			break;		/* reads as zeros already */
		case QCOW2_CL_NORMAL:
			if (e & QCOW2_OFLAG_COPIED) {
				err = data_write(q, zeros, chunk,
						 (e & L2E_OFFSET_MASK) + (off & (q->cluster_size - 1)), off);
				if (err)
					return err;
				break;
			}
			/* fall through */
		default:
alloc:
			w = write_alloc(q, zeros, chunk, off, e, n);
			if (w < 0)
				return (int)w;
			chunk = (uint64_t)w;
		}
		off += chunk;
		len -= chunk;
	}
	return 0;
}

/* Whole clusters [off, off + n clusters) within one L2 table. */
static int zero_clusters(struct qcow2 *q, uint64_t off, uint64_t n, bool unmap,
			 bool discard)
{
	uint64_t *l2 = NULL, idx, i, run_start = 0, run_len = 0;
	uint64_t l1i = qcow2_l1_index(q, off);
	/* over a backing file, discarded clusters need zero entries */
	bool alloc = !discard || q->backing;
	int err;

	/* A table a snapshot shares is copied before it changes, even to discard. */
	if (l1i < q->l1_size && (q->l1[l1i] & L1E_OFFSET_MASK) &&
	    !(q->l1[l1i] & QCOW2_OFLAG_COPIED))
		alloc = true;
	err = qcow2_get_l2(q, off, alloc, &l2, &idx);
	if (err || !l2)
		return err;
	for (i = 0; i < n; i++) {
		uint64_t e = be64toh(l2[idx + i]), ne, host = e & L2E_OFFSET_MASK;
		enum qcow2_cluster_type t = qcow2_l2_type(q, e);
		bool free_it = false;

		if (t == QCOW2_CL_COMPRESSED) {
			/* the entry first, then its reference (compress.c) */
			l2[idx + i] = htobe64(q->version < 3 ? 0 : QCOW2_OFLAG_ZERO);
			qcow2_cache_mark_dirty(&q->l2c, l2);
			err = qcow2_compressed_free(q, e);
			if (err)
				break;
			continue;
		}
		if (discard && (t == QCOW2_CL_ZERO_PLAIN ||
				(t == QCOW2_CL_UNALLOCATED && !q->backing)))
			continue;	/* reads as zeros already */
		if (q->version < 3) {
			ne = 0;
			free_it = host != 0;
		} else if (unmap || !host) {
			ne = QCOW2_OFLAG_ZERO;
			free_it = host != 0;
		} else {
			ne = e | QCOW2_OFLAG_ZERO;
		}
		if (ne != e) {
			l2[idx + i] = htobe64(ne);
			qcow2_cache_mark_dirty(&q->l2c, l2);
		}
		if (!free_it)
			continue;
		if (run_len && run_start + run_len * q->cluster_size == host) {
			run_len++;
			continue;
		}
		if (run_len) {
			err = qcow2_free_clusters(q, run_start, run_len * q->cluster_size);
			if (err)
				break;
		}
		run_start = host;
		run_len = 1;
	}
	if (!err && run_len)
		err = qcow2_free_clusters(q, run_start, run_len * q->cluster_size);
	qcow2_cache_put(&q->l2c, (void **)&l2);
	return err;
}

int qcow2_zero_range_locked(struct qcow2 *q, uint64_t off, uint64_t len, bool unmap,
			    bool discard)
{
	uint64_t cs = q->cluster_size, head, tail, n, per_l2 = 1ull << q->l2_bits;
	int err;

	/* version 2 has no zero flag: over a backing file, zeros are written */
	if (q->version < 3 && q->backing)
		return zero_partial(q, off, len);
	head = qcow2_align_up(off, cs);
	if (head > off + len)
		head = off + len;
	if (head > off) {
		err = zero_partial(q, off, head - off);
		if (err)
			return err;
	}
	tail = (off + len) & ~(cs - 1);
	if (tail < head)
		tail = head;
	while (head < tail) {
		n = (tail - head) >> q->cluster_bits;
		if (n > per_l2 - qcow2_l2_index(q, head))
			n = per_l2 - qcow2_l2_index(q, head);
		err = zero_clusters(q, head, n, unmap, discard);
		if (err)
			return err;
		head += n << q->cluster_bits;
	}
	if (off + len > tail)
		return zero_partial(q, tail, off + len - tail);
	return 0;
}

static int zero_common(struct qcow2 *q, uint64_t off, uint64_t len, bool unmap,
		       bool discard)
{
	int err;

	if (q->read_only)
		return qcow2_err(-EROFS, "image is read-only");
	err = check_range(q, off, len);
	if (err)
		return err;
	err = qcow2_crypt_ready(q);	/* encrypted: not without the key */
	if (err)
		return err;
	if (crypt_unaligned(q, len, off)) {
		/* encrypted: the partial end sectors get (encrypted) zeros written */
		static const uint8_t zeros[512];
		uint64_t head = (512 - (off & 511)) & 511, t;
		ssize_t w = 0;

		if (head > len)
			head = len;
		if (head)
			w = qcow2_pwrite(q, zeros, head, off);
		off += head;
		len -= head;
		t = len & 511;
		if (w >= 0 && t)
			w = qcow2_pwrite(q, zeros, t, off + len - t);
		len -= t;
		if (w < 0 || !len)
			return w < 0 ? (int)w : 0;
	}
	pthread_rwlock_wrlock(&q->io_lock);
	pthread_mutex_lock(&q->meta_lock);
	err = qcow2_zero_range_locked(q, off, len, unmap, discard);
	pthread_mutex_unlock(&q->meta_lock);
	pthread_rwlock_unlock(&q->io_lock);
	return err;
}

int qcow2_write_zeroes(struct qcow2 *q, uint64_t off, uint64_t len, unsigned int flags)
{
	return zero_common(q, off, len, flags & QCOW2_ZERO_UNMAP, false);
}

int qcow2_discard(struct qcow2 *q, uint64_t off, uint64_t len)
{
	return zero_common(q, off, len, true, true);
}

/* ---- flush ------------------------------------------------------------------- */

int qcow2_flush_locked(struct qcow2 *q)
{
	int err;

	if (q->read_only && !(q->flags & QCOW2_O_CHECK))
		return 0;
	err = qcow2_cache_writeback(&q->l2c);
	if (!err)
		err = qcow2_cache_writeback(&q->rbc);
	if (!err)
		err = qcow2_host_sync(q);
	return err;
}

int qcow2_flush(struct qcow2 *q)
{
	int err;

	pthread_rwlock_wrlock(&q->io_lock);
	pthread_mutex_lock(&q->meta_lock);
	err = qcow2_flush_locked(q);
	pthread_mutex_unlock(&q->meta_lock);
	pthread_rwlock_unlock(&q->io_lock);
	return err;
}
