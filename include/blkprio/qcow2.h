/* SPDX-License-Identifier: GPL-2.0 */
/*
 * qcow2 images: create, open, read and write at any offset and length,
 * discard, write zeroes, flush, resize, inspect and check.
 *
 * Images written are what qemu-img 7.2 writes by default (version 3, 64 KiB
 * clusters, 16-bit refcounts, 112-byte header, feature name table); versions
 * 2 and 3 are read, with cluster sizes 512 B .. 2 MiB and refcount widths of
 * 1 .. 64 bits.
 *
 * All functions return 0 (or a byte count) on success and -errno on failure;
 * nothing is printed. A failure that has more to say than errno (an
 * unsupported feature, which structure is corrupt) leaves a one-line reason
 * that qcow2_last_error() returns in the same thread. Corrupt metadata gives
 * -EUCLEAN and marks the image corrupt (read-only from then on).
 *
 * One handle may be used from several threads at once: reads and overwrites
 * of allocated clusters run in parallel; metadata updates are serialised, but
 * the data I/O of allocating writes runs outside the metadata lock; discard,
 * write zeroes, flush and resize wait for I/O in flight.
 */
#ifndef BLKPRIO_QCOW2_H
#define BLKPRIO_QCOW2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct qcow2;

/* ---- creating ------------------------------------------------------------ */

enum qcow2_prealloc {
	QCOW2_PREALLOC_OFF,		/* nothing allocated */
	QCOW2_PREALLOC_METADATA,	/* every L2 table and entry; data clusters are holes */
	QCOW2_PREALLOC_FALLOC,		/* as metadata, data space reserved with fallocate */
	QCOW2_PREALLOC_FULL,		/* as metadata, zeros written */
};

struct qcow2_create_opts {
	uint64_t size;			/* virtual size in bytes (rounded up to 512) */
	uint32_t cluster_size;		/* power of two, 512 .. 2 MiB; 0 = 64 KiB */
	uint32_t refcount_bits;		/* 1, 2, 4 .. 64; 0 = 16 */
	int version;			/* 2 ("compat=0.10") or 3 ("compat=1.1"); 0 = 3 */
	enum qcow2_prealloc prealloc;
	bool lazy_refcounts;		/* version 3 only */
	/*
	 * Backing file name as stored in the header (a relative name is
	 * relative to the image's folder) and its format ("qcow2" or "raw",
	 * required with a backing file). size 0 = the backing image's size.
	 */
	const char *backing_file;
	const char *backing_fmt;
	int compression_type;		/* QCOW2_COMPRESS_*; zstd needs version 3 */
	const struct qcow2_crypt_opts *crypt;	/* encryption (NULL: none); see below */
};

#define QCOW2_COMPRESS_ZLIB	0	/* raw deflate, 4 KiB window */
#define QCOW2_COMPRESS_ZSTD	1

/* Defaults: everything as qemu-img 7.2 writes it. */
void qcow2_create_opts_init(struct qcow2_create_opts *o, uint64_t size);

/*
 * Create (or truncate: QCOW2_CREATE_EXCL refuses an existing file) an image.
 * Returns 0 or -errno; a half-written file is removed.
 */
#define QCOW2_CREATE_EXCL	0x1
#define QCOW2_CREATE_UNSAFE	0x2	/* do not open the backing file (qemu-img -u) */
int qcow2_create(const char *path, const struct qcow2_create_opts *o,
		 unsigned int flags);

/* Parse a preallocation mode name ("off", "metadata", "falloc", "full"). */
int qcow2_prealloc_parse(const char *name, enum qcow2_prealloc *out);
const char *qcow2_prealloc_name(enum qcow2_prealloc p);

/* ---- opening ------------------------------------------------------------- */

#define QCOW2_O_RDONLY		0x01	/* no writes; dirty/corrupt images open */
#define QCOW2_O_DIRECT		0x02	/* O_DIRECT on the image file for data */
#define QCOW2_O_CHECK		0x04	/* for check/repair: no automatic repair of a
					 * dirty image, a corrupt image opens */
#define QCOW2_O_NOLOCK		0x08	/* like -U; no image locks are taken yet */
#define QCOW2_O_UNSAFE		0x10	/* never fdatasync (qemu's cache=unsafe, e.g.
					 * for convert targets); ordering is kept */

struct qcow2_open_opts {
	unsigned int flags;		/* QCOW2_O_* */
	uint64_t l2_cache_size;		/* bytes; 0 = like qemu (whole image, <= 32 MiB) */
	uint64_t refcount_cache_size;	/* bytes; 0 = 4 clusters */
};

int qcow2_open(const char *path, unsigned int flags, struct qcow2 **out);
int qcow2_open_opts(const char *path, const struct qcow2_open_opts *o,
		    struct qcow2 **out);

/*
 * Flush everything, clear the dirty bit where it was set, close. Returns the
 * first error met while flushing (the handle is freed anyway). NULL is a no-op.
 */
int qcow2_close(struct qcow2 *q);

/* The detailed reason of this thread's last failure (or NULL). */
const char *qcow2_last_error(void);

/* True when the file starts with the qcow2 magic (-errno on I/O error). */
int qcow2_probe(const char *path);

/* ---- data ---------------------------------------------------------------- */

/* Virtual disk size in bytes. */
uint64_t qcow2_size(const struct qcow2 *q);
uint32_t qcow2_cluster_size(const struct qcow2 *q);

/*
 * Read/write len bytes at a guest offset. Any offset and length; no buffer
 * alignment needed (with QCOW2_O_DIRECT, 4 KiB-aligned buffers, offsets and
 * lengths go straight to the disk). Returns len, or -errno; an I/O that
 * extends past the virtual size fails with -EINVAL and does nothing.
 */
ssize_t qcow2_pread(struct qcow2 *q, void *buf, size_t len, uint64_t off);
ssize_t qcow2_pwrite(struct qcow2 *q, const void *buf, size_t len, uint64_t off);

/*
 * Make a range read as zeros. Whole clusters become zero clusters (version 3;
 * in version 2 they are deallocated or written); QCOW2_ZERO_UNMAP also frees
 * their host clusters, otherwise allocated clusters stay allocated. Partial
 * clusters get zero bytes written.
 */
#define QCOW2_ZERO_UNMAP	0x1
int qcow2_write_zeroes(struct qcow2 *q, uint64_t off, uint64_t len,
		       unsigned int flags);

/*
 * Discard: whole clusters are freed (the host range is punched) and read as
 * zeros afterwards; the parts of partial clusters are zeroed.
 */
int qcow2_discard(struct qcow2 *q, uint64_t off, uint64_t len);

/* Write back cached metadata in a crash-safe order and fdatasync. */
int qcow2_flush(struct qcow2 *q);

/*
 * Change the virtual size. Shrinking needs QCOW2_RESIZE_SHRINK (data beyond
 * the new end is dropped). Grown space is allocated as prealloc says.
 */
#define QCOW2_RESIZE_SHRINK	0x1
int qcow2_resize(struct qcow2 *q, uint64_t new_size, enum qcow2_prealloc prealloc,
		 unsigned int flags);

/* ---- allocation status (map, convert, block status) ---------------------- */

enum qcow2_extent_type {
	QCOW2_EXT_UNALLOCATED,		/* nothing in the chain: reads as zeros */
	QCOW2_EXT_ZERO,			/* zero cluster (may have a host offset) */
	QCOW2_EXT_DATA,			/* normal data at host_offset */
	QCOW2_EXT_COMPRESSED,		/* compressed data (no host offset) */
};

struct qcow2_extent {
	uint64_t start;			/* guest offset */
	uint64_t length;
	enum qcow2_extent_type type;
	uint64_t host_offset;		/* DATA, or ZERO with preallocation; else 0 */
	int depth;			/* 0 = this image, 1 its backing image, ... */
	const char *filename;		/* the image at that depth (valid while open) */
	bool raw;			/* in a raw image: host_offset = start */
};

/*
 * Describe the guest range starting at off: the longest run of clusters of
 * one type (and contiguous host offsets for data), at most len bytes.
 * Clusters this image does not allocate are looked up in the backing chain
 * (depth > 0), as qemu-img map reports them.
 */
int qcow2_block_status(struct qcow2 *q, uint64_t off, uint64_t len,
		       struct qcow2_extent *ext);

/* The image file's descriptor (buffered), e.g. for fstat. */
int qcow2_fd(const struct qcow2 *q);

/* ---- information --------------------------------------------------------- */

struct qcow2_info {
	uint64_t virtual_size;
	uint64_t actual_size;		/* bytes allocated on the host (st_blocks) */
	uint64_t file_size;		/* host file length */
	uint32_t cluster_size;
	uint32_t refcount_bits;
	int version;			/* 2 or 3 */
	bool lazy_refcounts;
	bool dirty;
	bool corrupt;
	bool extended_l2;
	int compression_type;		/* 0 zlib, 1 zstd */
	uint64_t incompatible_features, compatible_features, autoclear_features;
	uint32_t nb_snapshots;
	char backing_file[1024];	/* "" when none */
	char backing_fmt[64];
};

int qcow2_get_info(struct qcow2 *q, struct qcow2_info *info);

/* ---- internal snapshots (snapshot.c, snaprefs.c) ------------------------ */

struct qcow2_snapshot_info {
	char id[128];
	char name[256];			/* longer names are cut */
	uint64_t vm_state_size;
	uint32_t date_sec, date_nsec;
	uint64_t vm_clock_nsec;
	int64_t icount;			/* -1 when not recorded */
	uint64_t disk_size;		/* 0 when not recorded (version 2) */
};

/* The snapshot table, in order; *list is malloc'd (free() it), NULL if none. */
int qcow2_snapshot_list(struct qcow2 *q, struct qcow2_snapshot_info **list,
			unsigned int *n);

/*
 * Snapshot the current state under name (up to 65535 bytes; names need not
 * be unique); the id is the next number, as qemu gives it. Copy-on-write
 * through refcounts: later writes never change the snapshot's data.
 */
int qcow2_snapshot_create(struct qcow2 *q, const char *name);

/*
 * Make a snapshot the current state (looked up by id first, then by name;
 * -ENOENT when there is none); the virtual size becomes the snapshot's.
 */
int qcow2_snapshot_apply(struct qcow2 *q, const char *name_or_id);

/* Delete a snapshot (id first, then name), freeing what only it used. */
int qcow2_snapshot_delete(struct qcow2 *q, const char *name_or_id);

/* ---- check and repair ---------------------------------------------------- */

#define QCOW2_FIX_LEAKS		0x1
#define QCOW2_FIX_ERRORS	0x2

struct qcow2_check_result {
	uint64_t corruptions;		/* found (before repair) */
	uint64_t leaks;
	uint64_t check_errors;		/* could not check (I/O errors) */
	uint64_t corruptions_fixed;
	uint64_t leaks_fixed;
	uint64_t image_end_offset;
	uint64_t total_clusters;	/* guest clusters */
	uint64_t allocated_clusters;
	uint64_t fragmented_clusters;
	uint64_t compressed_clusters;
	bool rebuilt;			/* refcount structure rebuilt */
};

/*
 * Per-problem messages in qemu-img's wording ("Leaked cluster 20
 * refcount=1 reference=0", "ERROR cluster 5 refcount=0 reference=1", ...).
 */
typedef void (*qcow2_diag_fn)(void *ctx, const char *msg);

/*
 * Compare every refcount with the references found, check L1/L2 entries.
 * fix is QCOW2_FIX_*; repair needs a writable handle (QCOW2_O_CHECK).
 */
int qcow2_check(struct qcow2 *q, unsigned int fix, struct qcow2_check_result *res,
		qcow2_diag_fn diag, void *ctx);

/* ---- backing files (linked and chained images; backing.c) ---------------- */
/*
 * Opening an image opens its backing chain read-only (formats qcow2 and raw,
 * at most QCOW2_MAX_CHAIN images; a loop is an error). Reads of clusters the
 * image does not allocate come from the chain; a partial write into such a
 * cluster copies the rest of it from the chain first.
 */
#define QCOW2_O_NO_BACKING	0x20	/* do not open the chain (info; implied
					 * by QCOW2_O_CHECK): unallocated
					 * clusters read as zeros */
#define QCOW2_MAX_CHAIN		64

/*
 * The path a backing file name refers to: relative names are taken against
 * the folder of image (as given, like qemu's full-backing-filename).
 * *out is malloc'd.
 */
int qcow2_backing_path(const char *image, const char *name, char **out);

/*
 * Write every cluster the image allocates into its backing image (qcow2 or
 * raw; grown if smaller), flush it, then make the image empty (unless
 * QCOW2_COMMIT_KEEP), like qemu-img commit [-d]. A crash at any point leaves
 * both images consistent and the image's guest content unchanged.
 */
#define QCOW2_COMMIT_KEEP	0x1
int qcow2_commit(struct qcow2 *q, unsigned int flags);
/*
 * The same into the image at path base, anywhere in the chain (qemu-img
 * commit -b). Deeper than the backing image, the images in between no
 * longer read right, so the image keeps its data (QCOW2_COMMIT_KEEP).
 */
int qcow2_commit_to(struct qcow2 *q, const char *base, unsigned int flags);

/*
 * Change the backing file to name ("" or NULL: none) of format fmt. Safe
 * mode first copies into the image every cluster it does not allocate whose
 * content differs between the old and the new chain, so the guest content
 * stays the same; QCOW2_REBASE_UNSAFE only rewrites the header. A relative
 * name is relative to the image's folder.
 */
#define QCOW2_REBASE_UNSAFE	0x1
int qcow2_rebase(struct qcow2 *q, const char *name, const char *fmt, unsigned int flags);

/* ---- compressed clusters (compress.c, compress_pool.c) ------------------- */
/*
 * Compressed clusters are read transparently; a write into one allocates a
 * normal cluster (the compression is read-only, as in qemu). Compressed data
 * is packed byte by byte after the previous compressed cluster, as qemu
 * packs it; a cluster that does not shrink is stored uncompressed, an
 * all-zero cluster is left unallocated.
 */

/*
 * Write the guest cluster at off (cluster aligned) compressed. len is the
 * cluster size, or less only for the image's last cluster (the rest reads as
 * zeros). The cluster must be unallocated (-EEXIST otherwise).
 */
int qcow2_write_compressed(struct qcow2 *q, const void *buf, size_t len, uint64_t off);

/*
 * A pool of threads compressing batches of clusters, with one writer that
 * stores the results in the order the batches were submitted (so the file
 * stays unfragmented when they are submitted in guest order). Use:
 *	start; loop { buf = buffer(); fill buf; submit(off, len); }; finish
 * threads 0 = one per CPU the process may use.
 */
struct qcow2_cpool;

int qcow2_cpool_start(struct qcow2 *q, unsigned int threads, struct qcow2_cpool **out);
/* Bytes per batch (a multiple of the cluster size). */
size_t qcow2_cpool_batch(const struct qcow2_cpool *p);
/* A free batch buffer to fill (waits for one); NULL after an error. */
void *qcow2_cpool_buffer(struct qcow2_cpool *p);
/*
 * Queue the buffer last returned: guest range [off, off + len), off cluster
 * aligned, len <= the batch size (a partial cluster only at the image end).
 * Returns 0 or the first error met so far.
 */
int qcow2_cpool_submit(struct qcow2_cpool *p, uint64_t off, size_t len);
/* Write out everything queued, stop the threads, free; first error or 0. */
int qcow2_cpool_finish(struct qcow2_cpool *p);
/* Discard what is queued (after an error elsewhere), stop, free. */
void qcow2_cpool_abort(struct qcow2_cpool *p);


/* ---- encryption at rest (crypt.c, luks.c) -------------------------------- */
/*
 * LUKS (crypt_method 2: a LUKS1 header and key material in clusters the
 * 0x0537be77 header extension points at; data sectors encrypted with the
 * master key, IV from the host sector) and the legacy AES method
 * (crypt_method 1: AES-128-CBC, key = the passphrase padded with zeros, IV
 * from the guest sector; weak, read for conversion). Metadata is never
 * encrypted. An encrypted image opens without its secret (info, check, map
 * work); data I/O then fails with -ENOKEY until qcow2_unlock.
 */
enum qcow2_crypt_format {
	QCOW2_CRYPT_NONE,
	QCOW2_CRYPT_AES,		/* legacy qcow2 AES */
	QCOW2_CRYPT_LUKS,
};

struct qcow2_crypt_opts {
	enum qcow2_crypt_format format;
	const void *secret;		/* the passphrase bytes */
	size_t secret_len;
	/* LUKS only; NULL/0 = qemu's defaults */
	uint32_t iter_time_ms;		/* PBKDF2 time per key slot; 0 = 2000 */
	const char *cipher_alg;		/* aes-128, aes-192, aes-256 (default) */
	const char *cipher_mode;	/* xts (default), cbc */
	const char *ivgen_alg;		/* plain64 (default), plain, essiv */
	const char *ivgen_hash_alg;	/* essiv hash; default sha256 */
	const char *hash_alg;		/* PBKDF2/AF hash; default sha256 */
};

#define QCOW2_LUKS_SLOTS	8

struct qcow2_crypt_info {
	enum qcow2_crypt_format format;
	bool unlocked;
	/* LUKS */
	char cipher_alg[48];		/* "aes-256" */
	char cipher_mode[48];		/* "xts" */
	char ivgen_alg[48];		/* "plain64" */
	char ivgen_hash_alg[48];	/* essiv only, else "" */
	char hash_alg[48];		/* "sha256" */
	char uuid[41];
	uint64_t payload_offset;	/* bytes */
	uint32_t master_key_iters;
	struct {
		bool active;
		uint32_t iters;
		uint64_t key_offset;	/* bytes from the LUKS header */
		uint32_t stripes;
	} slots[QCOW2_LUKS_SLOTS];
};

/* Which method the image uses (QCOW2_CRYPT_NONE when not encrypted). */
enum qcow2_crypt_format qcow2_encryption(const struct qcow2 *q);
/* True when its data can be read: not encrypted, or unlocked. */
bool qcow2_crypt_unlocked(const struct qcow2 *q);

/*
 * Give the secret of an encrypted image. LUKS: a wrong passphrase fails with
 * -EKEYREJECTED ("Invalid password, cannot unlock any keyslot"), an
 * unsupported cipher with -ENOTSUP. Legacy AES cannot tell a wrong key.
 */
int qcow2_unlock(struct qcow2 *q, const void *secret, size_t len);

int qcow2_crypt_get_info(struct qcow2 *q, struct qcow2_crypt_info *ci);

/*
 * Register the secret of the image file at path (process-wide): opening that
 * file later (also as a backing file, or by code that opens images itself,
 * such as the bench engine's img: targets) unlocks it, and fails with
 * qcow2_unlock's error when the secret is wrong. The bytes are copied.
 */
int qcow2_secret_add(const char *path, const void *secret, size_t len);

/*
 * Compressed clusters are never encrypted (qemu stores them in the clear):
 * -EINVAL with qemu's reason when encryption is asked together with
 * compression (for convert -c and the like), else 0.
 */
int qcow2_crypt_compress_check(const struct qcow2_create_opts *o, bool compress);

#endif
