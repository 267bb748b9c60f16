/* SPDX-License-Identifier: GPL-2.0 */
/*
 * qcow2 library internals, grouped by the file (and on-disk structure)
 * that owns them: header.c, cache.c, refcount.c, cluster.c, io.c,
 * create.c, check.c, resize.c.
 *
 * Locking: io_lock (rwlock) is held shared by reads and in-place overwrites
 * for the whole I/O, exclusive by everything that allocates or frees
 * clusters; meta_lock (mutex) protects the caches and in-memory tables.
 */
#ifndef BLKPRIO_QCOW2_INT_H
#define BLKPRIO_QCOW2_INT_H

#include <endian.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <blkprio/qcow2.h>

#define QCOW2_MAGIC		0x514649fbu	/* "QFI\xfb" */
#define QCOW2_V2_HDR_LEN	72
#define QCOW2_V3_HDR_LEN	104
#define QCOW2_HDR_LEN		112		/* what we write for version 3 */
#define QCOW2_MIN_CLUSTER_BITS	9
#define QCOW2_MAX_CLUSTER_BITS	21
#define QCOW2_MAX_L1_BYTES	(32ull << 20)	/* qemu's limits */
#define QCOW2_MAX_REFTABLE_BYTES (8ull << 20)
#define QCOW2_MAX_BACKING_NAME	1023
#define QCOW2_MAX_INFLIGHT	64

/* Header field offsets */
#define HDR_L1_SIZE		36
#define HDR_REFTABLE		48
#define HDR_INCOMPAT		72
#define HDR_SIZE		24

/* Feature bits */
#define QCOW2_INCOMPAT_DIRTY	(1ull << 0)
#define QCOW2_INCOMPAT_CORRUPT	(1ull << 1)
#define QCOW2_INCOMPAT_DATA_FILE (1ull << 2)
#define QCOW2_INCOMPAT_COMPRESSION (1ull << 3)
#define QCOW2_INCOMPAT_EXTL2	(1ull << 4)
#define QCOW2_INCOMPAT_KNOWN	0x1full
#define QCOW2_COMPAT_LAZY	(1ull << 0)
#define QCOW2_AUTOCLEAR_KNOWN	0ull		/* we understand none of them */

/* Header extension types */
#define QCOW2_EXT_END		0x00000000u
#define QCOW2_EXT_BACKING_FMT	0xe2792acau
#define QCOW2_EXT_FEATURES	0x6803f857u
#define QCOW2_EXT_BITMAPS	0x23852875u
#define QCOW2_EXT_CRYPTO	0x0537be77u
#define QCOW2_EXT_DATA_FILE	0x44415441u

/* L1/L2 entries */
#define QCOW2_OFLAG_COPIED	(1ull << 63)
#define QCOW2_OFLAG_COMPRESSED	(1ull << 62)
#define QCOW2_OFLAG_ZERO	(1ull << 0)
#define L1E_OFFSET_MASK		0x00fffffffffffe00ull
#define L1E_RESERVED_MASK	0x7f000000000001ffull
#define L2E_OFFSET_MASK		0x00fffffffffffe00ull
#define L2E_STD_RESERVED_MASK	0x3f000000000001feull
#define REFT_OFFSET_MASK	0xfffffffffffffe00ull
#define REFT_RESERVED_MASK	0x1ffull

enum qcow2_cluster_type {
	QCOW2_CL_UNALLOCATED,
	QCOW2_CL_ZERO_PLAIN,		/* zero flag, no host cluster */
	QCOW2_CL_ZERO_ALLOC,		/* zero flag with a preallocated host cluster */
	QCOW2_CL_NORMAL,
	QCOW2_CL_COMPRESSED,
};

/* An unknown header extension, kept and written back as it was. */
struct qcow2_hext {
	uint32_t type;
	uint32_t len;
	uint8_t *data;
};

/* ---- cache.c: L2 tables and refcount blocks, one cluster per entry ------ */

struct qcow2_cache_entry {
	uint64_t offset;		/* host offset of the table; 0 = empty */
	uint64_t lru;
	int ref;			/* pinned while > 0 */
	bool dirty;
	int next;			/* hash chain, -1 ends */
};

struct qcow2_cache {
	struct qcow2 *q;
	const char *name;
	unsigned int n;
	size_t size;			/* bytes per table (one cluster) */
	struct qcow2_cache_entry *e;
	uint8_t *mem;			/* n * size, page aligned */
	int *hash;
	unsigned int hmask;
	uint64_t clock;
	int last;			/* last hit, checked first */
	struct qcow2_cache *depends;	/* must be flushed (and synced) first */
	unsigned int ndirty;
};

int qcow2_cache_init(struct qcow2 *q, struct qcow2_cache *c, const char *name,
		     unsigned int n);
void qcow2_cache_destroy(struct qcow2_cache *c);
/* Get a table, read from disk on a miss. Pinned until qcow2_cache_put. */
int qcow2_cache_get(struct qcow2_cache *c, uint64_t offset, void **table);
/* Get a table without reading it (a newly allocated one): contents undefined. */
int qcow2_cache_get_empty(struct qcow2_cache *c, uint64_t offset, void **table);
void qcow2_cache_put(struct qcow2_cache *c, void **table);
void qcow2_cache_mark_dirty(struct qcow2_cache *c, void *table);
/* Write back dirty tables (dependency first), no sync of its own. */
int qcow2_cache_writeback(struct qcow2_cache *c);
/* Write back dirty tables and fdatasync. */
int qcow2_cache_flush(struct qcow2_cache *c);
int qcow2_cache_set_dependency(struct qcow2_cache *c, struct qcow2_cache *dep);
bool qcow2_cache_has(struct qcow2_cache *c, uint64_t offset);
/* Forget a table (freed cluster) without writing it. */
void qcow2_cache_discard(struct qcow2_cache *c, uint64_t offset);
/* Forget everything (after a rebuild). Dirty tables are dropped. */
void qcow2_cache_clear(struct qcow2_cache *c);

struct qcow2 {
	int fd;				/* buffered: metadata, unaligned data */
	int dfd;			/* O_DIRECT for aligned data, or == fd */
	uint32_t dio_align;		/* buffer/offset/length alignment for dfd */
	unsigned int flags;
	bool read_only;
	char *path;

	/* header */
	uint32_t version;
	uint32_t cluster_bits;
	uint64_t cluster_size;
	uint64_t size;
	uint32_t crypt_method;
	uint32_t l1_size;
	uint64_t l1_offset;
	uint64_t reftable_offset;
	uint32_t reftable_clusters;
	uint32_t nb_snapshots;
	uint64_t snapshots_offset;
	uint64_t incompat, compat, autoclear;
	uint32_t refcount_order;
	uint32_t header_length;
	uint8_t compression_type;
	uint8_t *hdr_extra;		/* bytes 112..header_length, kept */
	uint32_t hdr_extra_len;
	uint64_t backing_offset;
	uint32_t backing_size;
	char *backing_file;
	char *backing_fmt;
	struct qcow2_hext *hext;	/* unknown extensions */
	unsigned int nhext;
	struct qcow2_backing *backing;	/* the open backing image (backing.c) */
	struct qcow2_crypt *crypt;	/* data cipher once unlocked (crypt.c) */

	/* derived */
	uint32_t l2_bits;		/* log2 entries per L2 table */
	uint32_t rb_bits;		/* log2 refcounts per refcount block */
	uint64_t refcount_max;
	uint64_t *l1;			/* host endian */
	uint64_t *reftable;		/* host endian */
	uint64_t reftable_size;		/* entries */
	struct qcow2_cache l2c;
	struct qcow2_cache rbc;
	uint64_t free_cluster_index;
	int in_alloc;			/* inside an allocation: frees must not
					 * hand back clusters not yet counted */
	uint64_t file_end;		/* host file length as we last knew it */
	uint64_t alloc_end;		/* first cluster index never handed out */
	bool dirty_set;			/* we set the dirty bit this session */
	bool lazy;			/* lazy refcounts in force */
	bool corrupt;
	bool nosync;			/* bulk metadata set-up: sync once at the end */
	uint64_t free_byte_offset;	/* compress.c: where the next compressed
					 * cluster is packed (0: a new cluster) */

	pthread_rwlock_t io_lock;
	pthread_mutex_t meta_lock;
	/* Guest ranges being allocated with the data I/O outside meta_lock. */
	pthread_cond_t alloc_done;
	struct { uint64_t start, end; } inflight[QCOW2_MAX_INFLIGHT];
	unsigned int ninflight;
};

/* ---- errors (header.c) ---------------------------------------------------- */
/* Record a reason for qcow2_last_error(); returns err. */
int qcow2_err(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/*
 * Corrupt metadata found: record the reason, set the corrupt bit (when
 * writable), make the handle read-only. Returns -EUCLEAN.
 */
int qcow2_signal_corruption(struct qcow2 *q, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ---- header.c -------------------------------------------------------------- */
int qcow2_read_header(struct qcow2 *q);
/* Rewrite cluster 0: header, extensions, backing file name. */
int qcow2_write_header(struct qcow2 *q);
int qcow2_update_incompat(struct qcow2 *q, uint64_t incompat);
/* Set the dirty bit before the first lazy-refcount metadata change. */
int qcow2_mark_dirty(struct qcow2 *q);
int qcow2_mark_clean(struct qcow2 *q);
/* Build the header cluster for q's fields into buf (cluster_size bytes). */
int qcow2_build_header(const struct qcow2 *q, uint8_t *buf, size_t len);
void qcow2_derive(struct qcow2 *q);

/* ---- host file I/O (io.c) ------------------------------------------------- */
int qcow2_host_pread(struct qcow2 *q, void *buf, size_t len, uint64_t off);
int qcow2_host_pwrite(struct qcow2 *q, const void *buf, size_t len, uint64_t off);
int qcow2_host_sync(struct qcow2 *q);
/* Zero a host range (fallocate, else writes). */
int qcow2_host_zero(struct qcow2 *q, uint64_t off, uint64_t len);

/* ---- refcount.c ----------------------------------------------------------- */
uint64_t qcow2_rb_get(const struct qcow2 *q, const void *block, uint64_t idx);
void qcow2_rb_set(const struct qcow2 *q, void *block, uint64_t idx, uint64_t val);
int qcow2_get_refcount(struct qcow2 *q, uint64_t cluster_index, uint64_t *rc);
/* Add addend to the refcounts of the clusters covering [off, off+len). */
int qcow2_update_refcount(struct qcow2 *q, uint64_t off, uint64_t len, int64_t addend);
/* Allocate n contiguous clusters (refcount 1). Returns host offset or -errno. */
int64_t qcow2_alloc_clusters(struct qcow2 *q, uint64_t n);
/* Free (refcount - 1) a cluster run; punches the host range when it hits 0. */
int qcow2_free_clusters(struct qcow2 *q, uint64_t off, uint64_t len);
int qcow2_load_reftable(struct qcow2 *q);
int qcow2_find_alloc_end(struct qcow2 *q);
/*
 * Write a whole new refcount structure from an array of refcounts (one per
 * cluster, nclusters of them) placed after the end of the image (used by
 * repair). The array is extended with the new structure's own clusters.
 */
int qcow2_rebuild_refcounts(struct qcow2 *q, uint64_t **refs, uint64_t *nclusters);

/* ---- cluster.c ------------------------------------------------------------ */
enum qcow2_cluster_type qcow2_l2_type(const struct qcow2 *q, uint64_t l2e);
/*
 * Look up the cluster holding guest offset off: *l2e the L2 entry (0 when
 * unallocated), *n the number of following clusters (up to max) that are of
 * the same type and, for data, host-contiguous.
 */
int qcow2_get_cluster(struct qcow2 *q, uint64_t off, uint64_t max_clusters,
		      uint64_t *l2e, uint64_t *n);
/* Pin the L2 table for guest offset off, allocating (or copying) it. */
int qcow2_get_l2(struct qcow2 *q, uint64_t off, bool alloc, uint64_t **l2,
		 uint64_t *l2_index);
int qcow2_write_l1_entry(struct qcow2 *q, uint32_t idx);
/* Grow the L1 table to at least min_size entries. */
int qcow2_grow_l1(struct qcow2 *q, uint64_t min_size);
bool qcow2_offset_valid(const struct qcow2 *q, uint64_t host_off);

static inline uint64_t qcow2_l1_index(const struct qcow2 *q, uint64_t off)
{
	return off >> (q->cluster_bits + q->l2_bits);
}

static inline uint64_t qcow2_l2_index(const struct qcow2 *q, uint64_t off)
{
	return (off >> q->cluster_bits) & ((1ull << q->l2_bits) - 1);
}

static inline uint64_t qcow2_align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

/* ---- io.c ----------------------------------------------------------------- */
int qcow2_zero_range_locked(struct qcow2 *q, uint64_t off, uint64_t len,
			    bool unmap, bool discard);
int qcow2_flush_locked(struct qcow2 *q);

/* ---- image.c ------------------------------------------------------------- */
int qcow2_init_caches(struct qcow2 *q, const struct qcow2_open_opts *o);
struct qcow2 *qcow2_alloc_handle(unsigned int flags);
void qcow2_free_handle(struct qcow2 *q);

/* ---- backing.c ------------------------------------------------------------ */
/* The backing image of an open image: a read-only qcow2 handle or raw file. */
struct qcow2_backing {
	struct qcow2 *q;		/* qcow2, or NULL for raw */
	int fd;				/* raw file, else -1 */
	uint64_t size;			/* guest size; beyond it reads are zeros */
	char *path;			/* resolved path */
};

/* Open q's backing chain (q->backing_file set); loops and depth checked. */
int qcow2_backing_open(struct qcow2 *q);
void qcow2_backing_close(struct qcow2 *q);
/* Read guest range [off, off + len) of a backing image; zeros beyond its end. */
int qcow2_backing_read(struct qcow2_backing *b, void *buf, uint64_t len, uint64_t off);
/* Read guest range [off, off + len) from q's backing chain (zeros if none). */
int qcow2_backing_pread(struct qcow2 *q, void *buf, uint64_t len, uint64_t off);
/* Refine an extent q leaves unallocated with what the chain holds there. */
int qcow2_backing_status(struct qcow2 *q, struct qcow2_extent *ext);
/*
 * For create: open the chain of backing file name (of the image at path
 * image, which may not exist yet) and return its size.
 */
int qcow2_backing_probe(const char *image, const char *name, const char *fmt,
			uint64_t *size);

/* ---- compress.c ----------------------------------------------------------- */
/* A compression context for one thread (zlib or zstd, one cluster size). */
struct qcow2_codec;

int qcow2_codec_new(int type, uint32_t cluster_size, struct qcow2_codec **out);
void qcow2_codec_free(struct qcow2_codec *c);
/*
 * Compress one whole cluster into out (cluster_size bytes): the compressed
 * size, 0 when it would not shrink (store it uncompressed) or -errno.
 */
ssize_t qcow2_codec_compress(struct qcow2_codec *c, const void *in, void *out);
/* Host range a compressed L2 entry uses (whole 512-byte sectors). */
void qcow2_compressed_range(const struct qcow2 *q, uint64_t e, uint64_t *off,
			    uint64_t *len);
/* Read [in, in + len) of the compressed cluster of L2 entry e into buf. */
int qcow2_compressed_read(struct qcow2 *q, uint64_t e, void *buf, uint64_t in,
			  uint64_t len);
/*
 * A write into the compressed cluster (entry e) holding guest offset off:
 * decompress, merge, write a new normal cluster, drop the compressed
 * reference. meta_lock held. Returns bytes written (up to the cluster's end).
 */
int64_t qcow2_compressed_cow(struct qcow2 *q, const uint8_t *buf, uint64_t len,
			     uint64_t off, uint64_t e);
/* Drop one reference to the host range of compressed entry e. */
int qcow2_compressed_free(struct qcow2 *q, uint64_t e);
/*
 * Store len bytes of compressed data as the guest cluster at off (which must
 * be unallocated), packed after the previous compressed cluster.
 */
int qcow2_store_compressed(struct qcow2 *q, uint64_t off, const void *data, size_t len);

/* ---- snaprefs.c: whole-table reference walks for snapshots -------------- */
/* References (cluster indices; one per reference, repeats allowed). */
struct qcow2_refbatch {
	uint64_t *ci;
	size_t n, cap;
};

/* A net refcount change of one cluster and the refcount it leads to. */
struct qcow2_delta {
	uint64_t ci;
	int64_t d;
	uint64_t rc;
};

/* Changed pages (up to 4 KiB) of metadata tables, written in offset order. */
struct qcow2_pages {
	uint64_t *off;
	uint8_t *data;
	size_t n, cap;
	size_t size;
};

int qcow2_refbatch_add(struct qcow2_refbatch *b, uint64_t ci);
void qcow2_refbatch_free(struct qcow2_refbatch *b);
/* The references of an L2 table's entries (compressed: each host cluster touched). */
int qcow2_refbatch_add_l2(struct qcow2 *q, struct qcow2_refbatch *b,
			  const uint64_t *l2, uint64_t l2off);
/*
 * The L2 tables of an L1 table (host endian) and their entries' references;
 * with p, COPIED cleared in those tables (changed pages into p).
 */
int qcow2_refbatch_add_l1(struct qcow2 *q, struct qcow2_refbatch *b,
			  const uint64_t *l1, uint64_t n, struct qcow2_pages *p);
/* Read a whole L2 table from the file (offset checked). */
int qcow2_read_l2(struct qcow2 *q, uint64_t l2off, uint64_t l1i, uint64_t *buf);
/* Sorted net changes plus - minus; checks the range, writes nothing. */
int qcow2_deltas(struct qcow2 *q, struct qcow2_refbatch *plus,
		 struct qcow2_refbatch *minus, struct qcow2_delta **out, size_t *n);
int qcow2_deltas_rc(struct qcow2 *q, const struct qcow2_delta *d, size_t n,
		    uint64_t ci, uint64_t *rc);
/* Apply the increments (sign > 0) or the decrements (sign < 0; punches freed). */
int qcow2_deltas_apply(struct qcow2 *q, const struct qcow2_delta *d, size_t n, int sign);
void qcow2_pages_init(struct qcow2 *q, struct qcow2_pages *p);
void qcow2_pages_free(struct qcow2_pages *p);
/* COPIED flags of an L2 table: cleared (d NULL) or refcount-after-d == 1. */
int qcow2_pages_fix_copied(struct qcow2 *q, struct qcow2_pages *p, uint64_t *l2,
			   uint64_t l2off, const struct qcow2_delta *d, size_t nd);
int qcow2_pages_write(struct qcow2 *q, struct qcow2_pages *p);

/* ---- create.c ------------------------------------------------------------- */
/* Allocate L2 tables and data clusters for [from, to) as prealloc says. */
int qcow2_preallocate(struct qcow2 *q, uint64_t from, uint64_t to,
		      enum qcow2_prealloc prealloc);


/* ---- crypt.c, luks.c: encryption ------------------------------------------ */
/*
 * Data sectors of an encrypted image go through these on their way to and
 * from the host file: buf holds len bytes (a multiple of 512) at host
 * offset host, guest offset guest (LUKS takes the IV from the host sector,
 * legacy AES from the guest sector). In place.
 */
int qcow2_crypt_encrypt(struct qcow2 *q, void *buf, size_t len, uint64_t host,
			uint64_t guest);
int qcow2_crypt_decrypt(struct qcow2 *q, void *buf, size_t len, uint64_t host,
			uint64_t guest);
/* 0 when data can be read/written: not encrypted, or unlocked; else -ENOKEY. */
int qcow2_crypt_ready(const struct qcow2 *q);
void qcow2_crypt_free(struct qcow2 *q);
/* The LUKS area from the crypto header extension; *len 0 when none. */
int qcow2_crypt_area(const struct qcow2 *q, uint64_t *off, uint64_t *len);
/* At open: unlock q with the secret registered for its file, if any. */
int qcow2_crypt_open(struct qcow2 *q);
/* For create: write the LUKS area (or set legacy AES) and unlock q. */
int qcow2_crypt_create(struct qcow2 *q, const struct qcow2_crypt_opts *o);

#endif
