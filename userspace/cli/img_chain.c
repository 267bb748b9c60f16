// SPDX-License-Identifier: GPL-2.0
/*
 * blkprio img and backing chains: commit, rebase, info --backing-chain and
 * the backing file of create (qemu-img's syntax and messages).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "img.h"

/* create -b: the format is required (as in qemu-img 7.2), the size defaults. */
int img_backing_size(const char *file, struct qcow2_create_opts *o, bool *size_set,
		     bool unsafe)
{
	struct img bim;
	char *path;
	int code;

	if (!o->backing_fmt)
		return cli_fail(EXIT_FAIL, "cannot create", file,
				"Backing file specified without backing format");
	if (*size_set || unsafe)
		return EXIT_OK;
	if (qcow2_backing_path(file, o->backing_file, &path))
		return cli_fail(EXIT_FAIL, "cannot create", file, "%s", strerror(ENOMEM));
	code = img_open(&bim, path, o->backing_fmt, false);
	free(path);
	if (code)
		return code;
	o->size = bim.size;
	*size_set = true;
	img_close(&bim);
	return EXIT_OK;
}

/* info --backing-chain: each image in turn, from the top (a JSON array). */
int img_info_chain(const char *file, const char *fmt, bool json)
{
	char *cur, *cfmt = NULL, *next, *nfmt;
	struct img im;
	int code = EXIT_OK, i;

	/* the whole chain opens (no loop, nothing missing) before anything is printed */
	code = img_open(&im, file, fmt, false);
	if (code)
		return code;
	img_close(&im);
	cur = strdup(file);
	if (fmt)
		cfmt = strdup(fmt);
	if (!cur || (fmt && !cfmt)) {
		code = cli_fail(EXIT_FAIL, "info", file, "%s", strerror(ENOMEM));
		goto out;
	}
	if (json)
		printf("[\n");
	for (i = 0; cur && i <= QCOW2_MAX_CHAIN; i++) {
		if (i)
			printf(json ? ",\n" : "\n");
		next = nfmt = NULL;
		code = img_info_one(cur, cfmt, json, &next, &nfmt);
		free(cur);
		free(cfmt);
		cur = next;
		cfmt = nfmt;
		if (code)
			goto out;
	}
	if (json)
		printf("]\n");
out:
	free(cur);
	free(cfmt);
	return code;
}

/* ---- commit ------------------------------------------------------------------ */

static void usage_commit(FILE *out)
{
	fprintf(out, "Usage: blkprio img commit [-q] [-f qcow2] [-t CACHE] [-p] [-d] [-b BASE] FILE\n"
		"  Writes FILE's data into its backing image, then empties FILE (-d: keep it).\n"
		"  -b BASE: into BASE, deeper in the chain (implies -d; the images in between\n"
		"  are stale afterwards).\n");
}

int img_commit(int argc, char **argv)
{
	static const struct option opts[] = { IMG_COMMON_OPTS, { NULL, 0, NULL, 0 } };
	const char *file, *base = NULL, *fmt = NULL;
	unsigned int flags = 0;
	bool done, quiet = false;
	struct qcow2 *q;
	int c, code, err, e;

	while ((c = getopt_long(argc, argv, CLI_COMMON_SHORT "qf:t:pdb:r:U", opts, NULL)) != -1) {
		switch (c) {
		case 'q': quiet = true; continue;
		case 'f': fmt = optarg; continue;
		case 'd': flags |= QCOW2_COMMIT_KEEP; continue;
		case 'b': base = optarg; continue;
		case 't': case 'p': case 'r': case 'U': continue;
		}
		if (cli_common_opt(c, optarg, &done, &code, usage_commit)) {
			if (done)
				return code;
			continue;
		}
		usage_commit(stderr);
		return EXIT_USAGE;
	}
	if (optind + 1 != argc)
		return cli_usage_err("Expecting one image file name");
	file = argv[optind];
	if (fmt && strcmp(fmt, "qcow2"))
		return cli_fail(EXIT_FAIL, "commit", file, "only qcow2 images have a backing file");
	err = qcow2_open(file, 0, &q);
	if (err)
		return img_fail("cannot open", file, err);
	err = base ? qcow2_commit_to(q, base, flags) : qcow2_commit(q, flags);
	if (err) {
		code = img_fail("commit", file, err);
		qcow2_close(q);
		return code;
	}
	e = qcow2_close(q);
	if (e)
		return img_fail("commit", file, e);
	if (!quiet)
		printf("Image committed.\n");
	return EXIT_OK;
}

/* ---- rebase ------------------------------------------------------------------ */

static void usage_rebase(FILE *out)
{
	fprintf(out, "Usage: blkprio img rebase [-q] [-f qcow2] [-t CACHE] [-T CACHE] [-p] [-u] -b BACKING [-F FMT] FILE\n"
		"  -b \"\" removes the backing file (the data is copied into FILE unless -u).\n");
}

int img_rebase(int argc, char **argv)
{
	static const struct option opts[] = { IMG_COMMON_OPTS, { NULL, 0, NULL, 0 } };
	const char *file, *name = NULL, *bfmt = NULL, *fmt = NULL;
	unsigned int flags = 0;
	bool done;
	struct qcow2 *q;
	int c, code, err, e;

	while ((c = getopt_long(argc, argv, CLI_COMMON_SHORT "qf:t:T:pub:F:U", opts, NULL)) != -1) {
		switch (c) {
		case 'f': fmt = optarg; continue;
		case 'u': flags |= QCOW2_REBASE_UNSAFE; continue;
		case 'b': name = optarg; continue;
		case 'F': bfmt = optarg; continue;
		case 'q': case 't': case 'T': case 'p': case 'U': continue;
		}
		if (cli_common_opt(c, optarg, &done, &code, usage_rebase)) {
			if (done)
				return code;
			continue;
		}
		usage_rebase(stderr);
		return EXIT_USAGE;
	}
	if (optind + 1 != argc)
		return cli_usage_err("Expecting one image file name");
	if (!name)
		return cli_usage_err("Must specify backing file (-b) or use unsafe mode (-u)");
	file = argv[optind];
	if (fmt && strcmp(fmt, "qcow2"))
		return cli_fail(EXIT_FAIL, "rebase", file, "only qcow2 images have a backing file");
	if (*name && !bfmt)
		return cli_fail(EXIT_FAIL, "rebase", file,
				"Could not change the backing file to '%s': backing format must be specified",
				name);
	/* unsafe: the old backing file may be gone (the usual reason for -u) */
	err = qcow2_open(file, flags & QCOW2_REBASE_UNSAFE ? QCOW2_O_NO_BACKING : 0, &q);
	if (err)
		return img_fail("cannot open", file, err);
	err = qcow2_rebase(q, name, bfmt, flags);
	if (err) {
		code = img_fail("rebase", file, err);
		qcow2_close(q);
		return code;
	}
	e = qcow2_close(q);
	if (e)
		return img_fail("rebase", file, e);
	return EXIT_OK;
}

/* ---- convert -B: the output on a backing file ------------------------------ */

int img_convert_backing_opts(const struct qcow2_create_opts *o, const char *ofmt,
			     const char *out_path, bool compress)
{
	if (strcmp(ofmt, "qcow2"))
		return cli_fail(EXIT_FAIL, "convert", out_path,
				"Backing file not supported for file format '%s'", ofmt);
	if (!o->backing_fmt)
		return cli_fail(EXIT_FAIL, "convert", out_path,
				"Use of backing file requires explicit backing format");
	if (compress)
		return cli_fail(EXIT_FAIL, "convert", out_path,
				"-c with a backing file (-B) is not supported");
	return EXIT_OK;
}

/*
 * The output (empty, on its backing chain) gets every cluster where the
 * input differs from what the output reads already; zeros as zero clusters.
 */
int img_convert_backing(struct img *in, struct img *out)
{
	uint64_t cs = qcow2_cluster_size(out->q), off, i;
	uint8_t *a = NULL, *b = NULL;
	ssize_t n;
	int err = 0;

	a = malloc(IMG_BUF);
	b = malloc(IMG_BUF);
	if (!a || !b) {
		err = -ENOMEM;
		goto out;
	}
	for (off = 0; !err && off < in->size; off += IMG_BUF) {
		uint64_t len = in->size - off < IMG_BUF ? in->size - off : IMG_BUF;

		err = img_read(in, a, len, off);
		if (!err)
			err = img_read(out, b, len, off);
		for (i = 0; !err && i < len; i += cs) {
			uint64_t m = len - i < cs ? len - i : cs;

			if (!memcmp(a + i, b + i, m))
				continue;
			if (img_is_zero(a + i, m)) {
				err = qcow2_write_zeroes(out->q, off + i, m, 0);
			} else {
				n = qcow2_pwrite(out->q, a + i, m, off + i);
				err = n < 0 ? (int)n : 0;
			}
		}
	}
out:
	free(a);
	free(b);
	return err;
}
