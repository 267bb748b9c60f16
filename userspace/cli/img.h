/* SPDX-License-Identifier: GPL-2.0 */
/* blkprio img: what the sub-command files (img*.c) share. */
#ifndef BLKPRIO_CLI_IMG_H
#define BLKPRIO_CLI_IMG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <blkprio/qcow2.h>

#include "cli.h"

enum { OPT_OUTPUT = OPT_FIRST_PRIVATE, OPT_SHRINK, OPT_PREALLOC, OPT_FORCE_SHARE };

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

/* the sub-commands */
int img_create(int argc, char **argv);
int img_info(int argc, char **argv);
int img_resize(int argc, char **argv);
int img_check(int argc, char **argv);		/* img_check.c */
int img_map(int argc, char **argv);
int img_convert(int argc, char **argv);		/* img_convert.c */
int img_compare(int argc, char **argv);
int img_bench(int argc, char **argv);		/* img_bench.c */

#endif
