// SPDX-License-Identifier: GPL-2.0
/*
 * blkprio img convert (parallel workers, zero detection, sparse output)
 * and compare.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "img.h"

/* ---- convert ---------------------------------------------------------------------- */

static void usage_convert(FILE *out)
{
	fprintf(out, "Usage: blkprio img convert [-c] [-f FMT] -O raw|qcow2 [-p] [-q] [-o OPTIONS] [-S SIZE] [-W] [-m N] IN OUT\n"
		"  -c  compress the qcow2 output (zlib, or -o compression_type=zstd) on every core\n");
}

static void progress(bool on, uint64_t done, uint64_t total)
{
	if (on)
		fprintf(stdout, "    (%.2f/100%%)\r", total ? done * 100.0 / total : 100.0);
	fflush(stdout);
}

/* Write runs of non-zero blocks of [buf, len) at off; granule = zero-detection unit. */
static int write_nonzero(struct img *out, const uint8_t *buf, uint64_t len, uint64_t off,
			 uint64_t granule)
{
	uint64_t i = 0, s;
	ssize_t n;

	while (i < len) {
		uint64_t g = granule - ((off + i) % granule);

		if (g > len - i)
			g = len - i;
		if (img_is_zero(buf + i, g)) {
			i += g;
			continue;
		}
		s = i;
		i += g;
		while (i < len) {
			g = granule < len - i ? granule : len - i;
			if (img_is_zero(buf + i, g))
				break;
			i += g;
		}
		if (out->q) {
			n = qcow2_pwrite(out->q, buf + s, i - s, off + s);
		} else {
			n = pwrite(out->fd, buf + s, i - s, (off_t)(off + s));
			if (n >= 0 && (uint64_t)n != i - s)
				n = -EIO;
			else if (n < 0)
				n = -errno;
		}
		if (n < 0)
			return (int)n;
	}
	return 0;
}

struct convert {
	struct img *in, *out;
	uint64_t granule;
	uint64_t next;			/* next chunk offset (atomic) */
	uint64_t done;			/* bytes finished (atomic) */
	int err;
	pthread_mutex_t lock;		/* the first error's reason and file */
	char why[256];
	const char *where;
};

/* Keep the first failure's reason: qcow2_last_error() is per thread. */
static void convert_failed(struct convert *cv, int err, const char *file)
{
	const char *why = qcow2_last_error();

	pthread_mutex_lock(&cv->lock);
	if (!cv->err) {
		snprintf(cv->why, sizeof(cv->why), "%s", why ? why : strerror(-err));
		cv->where = file;
		cv->err = err;
	}
	pthread_mutex_unlock(&cv->lock);
}

static void *convert_worker(void *arg)
{
	struct convert *cv = arg;
	uint8_t *buf;
	uint64_t off;
	int err = 0;

	if (posix_memalign((void **)&buf, 4096, IMG_BUF)) {
		convert_failed(cv, -ENOMEM, cv->out->path);
		return NULL;
	}
	while (!__atomic_load_n(&cv->err, __ATOMIC_RELAXED) &&
	       (off = __atomic_fetch_add(&cv->next, IMG_BUF, __ATOMIC_RELAXED)) < cv->in->size) {
		uint64_t end = cv->in->size - off < IMG_BUF ? cv->in->size : off + IMG_BUF;

		while (off < end) {
			bool zero;
			uint64_t len = img_status(cv->in, off, end - off, &zero);

			if (!zero) {
				err = img_read(cv->in, buf, len, off);
				if (err) {
					convert_failed(cv, err, cv->in->path);
					break;
				}
				err = write_nonzero(cv->out, buf, len, off, cv->granule);
				if (err) {
					convert_failed(cv, err, cv->out->path);
					break;
				}
			}
			off += len;
			__atomic_fetch_add(&cv->done, len, __ATOMIC_RELAXED);
		}
		if (err)
			break;
	}
	free(buf);
	return NULL;
}

/*
 * -c: the compression pool (compress.c) takes batches in guest order; whole
 * batches the source reports as zeros are not even read.
 */
static int convert_compressed(struct img *in, struct img *out, bool prog)
{
	uint64_t size = qcow2_size(out->q), off;
	struct qcow2_cpool *p;
	size_t batch;
	int err;

	err = qcow2_cpool_start(out->q, 0, &p);
	if (err)
		return err;
	batch = qcow2_cpool_batch(p);
	progress(prog, 0, size);
	for (off = 0; off < size; off += batch) {
		uint64_t len = size - off < batch ? size - off : batch, pos, n;
		uint8_t *buf;
		bool zero;

		progress(prog, off, size);
		if (off >= in->size)
			break;
		n = img_status(in, off, len, &zero);
		if (zero && n >= len)
			continue;
		buf = qcow2_cpool_buffer(p);
		if (!buf)
			break;		/* the pool failed: finish says why */
		for (pos = 0; pos < len && !err; pos += n) {
			n = len - pos;
			if (off + pos >= in->size) {
				memset(buf + pos, 0, n);
				continue;
			}
			if (n > in->size - off - pos)
				n = in->size - off - pos;
			n = img_status(in, off + pos, n, &zero);
			if (zero)
				memset(buf + pos, 0, n);
			else
				err = img_read(in, buf + pos, n, off + pos);
		}
		if (!err)
			err = qcow2_cpool_submit(p, off, len);
		if (err)
			break;
	}
	if (err) {
		qcow2_cpool_abort(p);
		return err;
	}
	err = qcow2_cpool_finish(p);
	progress(prog, size, size);
	return err;
}

/*
 * Options of the target that rule out -c, as qemu-img refuses them: read
 * from the raw -o strings before they are parsed, so that the reason is
 * about compression whatever parses them later.
 */
static int check_compress_opts(char **olist, unsigned int n, const char *ofmt)
{
	unsigned int i;

	if (strcmp(ofmt, "qcow2"))
		return cli_fail(EXIT_FAIL, "cannot compress", ofmt,
				"Compression not supported for this file format");
	for (i = 0; i < n; i++) {
		const char *kv = olist[i];

		while (kv && *kv) {
			size_t klen = strcspn(kv, "=,");

			/* encrypt.format=..., encrypt.key-secret=..., encryption=on */
			if (!strncmp(kv, "encrypt", 7) && strncmp(kv + klen, "=off", 4) &&
			    strncmp(kv + klen, "=false", 6))
				return cli_fail(EXIT_FAIL, "cannot compress", "-c",
						"Compression and encryption not supported at the same time (compressed clusters are stored unencrypted)");
			if (!strncmp(kv, "preallocation=", 14) && strncmp(kv + 14, "off", 3))
				return cli_fail(EXIT_FAIL, "cannot compress", "-c",
						"Compression and preallocation not supported at the same time");
			kv = strchr(kv, ',');
			if (kv)
				kv++;
		}
	}
	return 0;
}

int img_convert(int argc, char **argv)
{
	static const struct option opts[] = { IMG_COMMON_OPTS, { NULL, 0, NULL, 0 } };
	const char *ifmt = NULL, *ofmt = "raw", *in_path, *out_path;
	struct qcow2_create_opts o;
	char *olist[16];
	unsigned int nolist = 0, i;
	uint64_t granule = 4096, sz;
	unsigned int workers = 4;
	struct img in, out;
	bool done, prog = false, size_set = false, compress = false;
	int c, code, err;

	qcow2_create_opts_init(&o, 0);
	while ((c = getopt_long(argc, argv, CLI_COMMON_SHORT "cf:O:o:pqS:t:T:Wm:B:F:", opts, NULL)) != -1) {
		switch (c) {
		case 'c': compress = true; continue;
		case 'f': ifmt = optarg; continue;
		case 'B': o.backing_file = optarg; continue;	/* img_chain.c */
		case 'F': o.backing_fmt = optarg; continue;
		case 'O': ofmt = optarg; continue;
		case 'o':
			if (nolist >= 16)
				return cli_usage_err("too many -o");
			olist[nolist++] = optarg;
			continue;
		case 'p': prog = true; continue;
		case 'q': prog = false; continue;
		case 'S':
			if (img_parse_size(optarg, &sz))
				return cli_usage_err("Invalid buffer size for sparse output specified");
			granule = sz;
			continue;
		case 'm':
			if (img_parse_size(optarg, &sz) || !sz || sz > 16)
				return cli_usage_err("Invalid number of coroutines. Allowed number of coroutines is between 1 and 16");
			workers = (unsigned int)sz;
			continue;
		case 't': case 'T': case 'W': continue;
		}
		if (cli_common_opt(c, optarg, &done, &code, usage_convert)) {
			if (done)
				return code;
			continue;
		}
		usage_convert(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(ofmt, "raw") && strcmp(ofmt, "qcow2"))
		return cli_fail(EXIT_FAIL, "unknown output format", ofmt, "use raw or qcow2");
	if (compress) {
		code = check_compress_opts(olist, nolist, ofmt);
		if (code)
			return code;
	}
	for (i = 0; i < nolist; i++) {
		err = img_parse_create_opts(olist[i], &o, &size_set);
		if (err == 1) {
			img_create_help(stdout);
			return EXIT_OK;
		}
		if (err)
			return -err;
	}
	if (optind + 2 != argc)
		return cli_usage_err("Expecting one input and one output file name");
	in_path = argv[optind];
	out_path = argv[optind + 1];
	code = img_crypt_finish(&o, out_path);	/* secret, prompt (img_secret.c) */
	if (code)
		return code;
	if (o.backing_file) {
		code = img_convert_backing_opts(&o, ofmt, out_path, compress);
		if (code)
			return code;
	}
	code = img_open(&in, in_path, ifmt, false);
	if (code)
		return code;
	if (!strcmp(ofmt, "qcow2")) {
		o.size = in.size;
		err = qcow2_create(out_path, &o, 0);
		if (err) {
			img_close(&in);
			return img_fail("cannot create", out_path, err);
		}
		/* like qemu-img convert's default target cache mode, unsafe */
		code = img_open_flags(&out, out_path, "qcow2", true, QCOW2_O_UNSAFE);
	} else {
		memset(&out, 0, sizeof(out));
		out.fd = open(out_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		code = out.fd < 0 ? cli_fail(EXIT_FAIL, "cannot create", out_path, "%s", strerror(errno)) : 0;
		if (!code && ftruncate(out.fd, (off_t)in.size))
			code = cli_fail(EXIT_FAIL, "cannot create", out_path, "%s", strerror(errno));
	}
	if (code) {
		img_close(&in);
		return code;
	}
	if (!granule)
		granule = IMG_BUF;
	if (o.backing_file) {
		err = img_convert_backing(&in, &out);
	} else if (compress) {
		err = convert_compressed(&in, &out, prog);
		if (prog)
			printf("\n");
	} else {
		struct convert cv = { .in = &in, .out = &out, .granule = granule,
				      .lock = PTHREAD_MUTEX_INITIALIZER };
		pthread_t th[16];
		unsigned int nt;

		progress(prog, 0, in.size);
		for (nt = 0; nt < workers; nt++)
			if (pthread_create(&th[nt], NULL, convert_worker, &cv))
				break;
		if (!nt)
			convert_worker(&cv);
		while (prog && __atomic_load_n(&cv.done, __ATOMIC_RELAXED) < in.size &&
		       !__atomic_load_n(&cv.err, __ATOMIC_RELAXED)) {
			usleep(100000);
			progress(prog, __atomic_load_n(&cv.done, __ATOMIC_RELAXED), in.size);
		}
		while (nt--)
			pthread_join(th[nt], NULL);
		err = cv.err;
		if (prog)
			printf("\n");
		if (err) {
			img_close(&out);
			img_close(&in);
			unlink(out_path);
			return cli_fail(EXIT_FAIL, "convert", cv.where, "%s", cv.why);
		}
	}
	code = img_close(&out);
	if (!err)
		err = code;
	img_close(&in);
	if (err) {
		img_fail("convert", out_path, err);
		unlink(out_path);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

/* ---- compare ----------------------------------------------------------------------- */

static void usage_compare(FILE *out)
{
	fprintf(out, "Usage: blkprio img compare [-f FMT] [-F FMT] [-q] A B\n"
		"Exit codes: 0 identical, 1 different, 2 error.\n");
}

/* First differing 512-byte sector, relative to the buffers; len if none. */
static uint64_t first_diff(const uint8_t *a, const uint8_t *b, uint64_t len)
{
	uint64_t i;

	for (i = 0; i < len; i += 512) {
		uint64_t n = len - i < 512 ? len - i : 512;

		if (memcmp(a + i, b + i, n))
			return i;
	}
	return len;
}

int img_compare(int argc, char **argv)
{
	static const struct option opts[] = { IMG_COMMON_OPTS, { NULL, 0, NULL, 0 } };
	const char *fa = NULL, *fb = NULL;
	uint8_t *ba = NULL, *bb = NULL;
	struct img a, b;
	uint64_t off = 0, common;
	bool done, quiet = false;
	int c, code, err = 0, ret = 0;

	while ((c = getopt_long(argc, argv, CLI_COMMON_SHORT "f:F:qsU", opts, NULL)) != -1) {
		if (c == 'f') { fa = optarg; continue; }
		if (c == 'F') { fb = optarg; continue; }
		if (c == 'q') { quiet = true; continue; }
		if (c == 's' || c == 'U') continue;
		if (cli_common_opt(c, optarg, &done, &code, usage_compare)) {
			if (done)
				return code;
			continue;
		}
		usage_compare(stderr);
		return EXIT_USAGE;
	}
	if (optind + 2 != argc)
		return cli_usage_err("Expecting two image file names");
	if (img_open(&a, argv[optind], fa, false))
		return 2;
	if (img_open(&b, argv[optind + 1], fb ? fb : fa, false)) {
		img_close(&a);
		return 2;
	}
	ba = malloc(IMG_BUF);
	bb = malloc(IMG_BUF);
	if (!ba || !bb) {
		err = -ENOMEM;
		goto out;
	}
	if (a.size != b.size && !quiet)
		printf("Warning: Image size mismatch!\n");
	common = a.size < b.size ? a.size : b.size;
	while (off < (a.size > b.size ? a.size : b.size)) {
		uint64_t len = IMG_BUF, d;
		bool za, zb;

		if (off < common) {
			if (len > common - off)
				len = common - off;
			len = img_status(&a, off, len, &za);
			len = img_status(&b, off, len, &zb);
			if (za && zb) {
				off += len;
				continue;
			}
			err = img_read(&a, ba, len, off);
			if (!err)
				err = img_read(&b, bb, len, off);
			if (err)
				goto out;
			d = first_diff(ba, bb, len);
		} else {
			struct img *big = a.size > b.size ? &a : &b;
			uint64_t end = big->size;

			if (len > end - off)
				len = end - off;
			len = img_status(big, off, len, &za);
			if (za) {
				off += len;
				continue;
			}
			err = img_read(big, ba, len, off);
			if (err)
				goto out;
			memset(bb, 0, len);
			d = first_diff(ba, bb, len);
		}
		if (d < len) {
			if (!quiet)
				printf("Content mismatch at offset %" PRIu64 "!\n", off + d);
			ret = 1;
			goto out;
		}
		off += len;
	}
	if (!quiet)
		printf("Images are identical.\n");
out:
	free(ba);
	free(bb);
	img_close(&a);
	img_close(&b);
	if (err) {
		img_fail("compare", NULL, err);
		return 2;
	}
	return ret;
}

