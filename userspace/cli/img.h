/* SPDX-License-Identifier: GPL-2.0 */
/* blkprio img: what the sub-command files (img*.c) share. */
#ifndef BLKPRIO_CLI_IMG_H
#define BLKPRIO_CLI_IMG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <blkprio/qcow2.h>

#include "cli.h"

enum { OPT_OUTPUT = OPT_FIRST_PRIVATE, OPT_SHRINK, OPT_PREALLOC, OPT_FORCE_SHARE,
       OPT_BACKING_CHAIN };

#define IMG_COMMON_OPTS \
	CLI_COMMON_OPTS, \
	{ "output", required_argument, NULL, OPT_OUTPUT }, \
	{ "force-share", no_argument, NULL, 'U' }

#define IMG_BUF		(2u << 20)	/* convert/compare chunk */

/* A source or target: a qcow2 image or a raw file. */
struct img {
	struct qcow2 *q;
	int fd;
	uint64_t size;
	const char *path;
	bool is_qcow2;
};

/* img.c: helpers */
int img_fail(const char *what, const char *file, int err);
int img_parse_size(const char *s, uint64_t *out);
void img_size_str(uint64_t val, char *buf, size_t len);
bool img_want_json(const char *output, int *err);
int img_one_file(int argc, char **argv, const char *output, bool *json, const char **file);
void img_json_str(const char *s);
int img_open_flags(struct img *im, const char *path, const char *fmt, bool rw,
		   unsigned int flags);
int img_open(struct img *im, const char *path, const char *fmt, bool rw);
int img_close(struct img *im);
int img_read(struct img *im, void *buf, size_t len, uint64_t off);
uint64_t img_status(struct img *im, uint64_t off, uint64_t len, bool *zero);
bool img_is_zero(const void *buf, size_t len);
void img_create_help(FILE *out);
int img_parse_create_opts(char *list, struct qcow2_create_opts *o, bool *size_set);
/* the snapshot table as qemu-img prints it (nothing when n is 0) */
void img_print_snapshots(const struct qcow2_snapshot_info *s, unsigned int n);

/* the sub-commands */
int img_create(int argc, char **argv);
int img_info(int argc, char **argv);
int img_resize(int argc, char **argv);
int img_check(int argc, char **argv);		/* img_check.c */
int img_map(int argc, char **argv);
int img_convert(int argc, char **argv);		/* img_convert.c */
int img_compare(int argc, char **argv);
int img_snapshot(int argc, char **argv);	/* img_snapshot.c */
int img_bench(int argc, char **argv);		/* img_bench.c */

/* backing chains: img.c (info of one image), img_chain.c */
int img_info_one(const char *file, const char *fmt, bool json, char **next, char **next_fmt);
int img_info_chain(const char *file, const char *fmt, bool json);
int img_backing_size(const char *file, struct qcow2_create_opts *o, bool *size_set,
		     bool unsafe);
int img_commit(int argc, char **argv);
int img_convert_backing_opts(const struct qcow2_create_opts *o, const char *ofmt,
			     const char *out_path, bool compress);
int img_convert_backing(struct img *in, struct img *out);

/* img_secret.c: --object secret,..., --image-opts, encrypt.* options */
int img_secret_args(int *argc, char **argv);
int img_crypt_opt(const char *key, const char *val, struct qcow2_create_opts *o);
int img_crypt_finish(struct qcow2_create_opts *o, const char *file);
int img_crypt_unlock(struct qcow2 *q, const char *path, bool rw, bool need_data);
void img_crypt_print(struct qcow2 *q, bool json);
const char *img_crypt_opts_str(const struct qcow2_create_opts *o);
int img_rebase(int argc, char **argv);

#endif
