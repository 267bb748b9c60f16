// SPDX-License-Identifier: GPL-2.0
/* bonnie++ 2.00's -s and -n arguments and defaults. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <blkprio/bench.h>

void bonnie_opts_init(struct bonnie_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->dir = ".";
	o->chunk = 8192;
	o->seeks = 8192;
	o->seekers = 5;
	o->files = 16;
	o->dirs = 1;
	o->byte_io_mb = 3;
	o->concurrency = 1;
	snprintf(o->files_str, sizeof(o->files_str), "16");
}

/* Digits and one optional suffix letter from units (each x1024 more). */
static int num_suffix(const char *s, size_t len, const char *units, uint64_t *out)
{
	uint64_t v = 0;
	size_t i = 0;
	const char *u;

	if (!len || !isdigit((unsigned char)s[0]))
		return -EINVAL;
	for (; i < len && isdigit((unsigned char)s[i]); i++) {
		if (v > UINT64_MAX / 10 - 9)
			return -ERANGE;
		v = v * 10 + (s[i] - '0');
	}
	if (i < len) {
		if (i + 1 != len || !(u = strchr(units, tolower((unsigned char)s[i]))) || !*u)
			return -EINVAL;
		v <<= 10 * (u - units);
	}
	*out = v;
	return 0;
}

/* Split "a:b:c" into fields; returns their count (more than n is an error). */
static unsigned int split(const char *arg, const char **f, size_t *len, unsigned int n)
{
	unsigned int k = 0;
	const char *p = arg, *c;

	for (c = arg; *c; c++)
		k += *c == ':';
	if (k >= n)
		return n + 1;
	for (k = 0;; k++) {
		c = strchr(p, ':');
		f[k] = p;
		len[k] = c ? (size_t)(c - p) : strlen(p);
		if (!c)
			return k + 1;
		p = c + 1;
	}
}

int bonnie_parse_size(struct bonnie_opts *o, const char *arg)
{
	const char *f[4];
	size_t len[4];
	unsigned int n = split(arg, f, len, 4);
	uint64_t v;

	if (n > 4)
		return -EINVAL;
	/* Size in MiB; "m" is the unit itself, g and t scale up. */
	if (num_suffix(f[0], len[0], "mgt", &v) || v > (1ull << 40))
		return -EINVAL;
	o->size_mb = v;
	o->size_set = true;
	if (n > 1 && len[1]) {
		if (num_suffix(f[1], len[1], " km", &v) || v < 256 || v > (1 << 20) || (v & (v - 1)))
			return -EINVAL;
		o->chunk = (uint32_t)v;
	}
	if (n > 2 && len[2]) {
		if (num_suffix(f[2], len[2], " k", &v) || !v || v > (1u << 30))
			return -EINVAL;
		o->seeks = (unsigned int)v;
	}
	if (n > 3 && len[3]) {
		if (num_suffix(f[3], len[3], " ", &v) || !v || v > 1000)
			return -EINVAL;
		o->seekers = (unsigned int)v;
	}
	return 0;
}

int bonnie_parse_files(struct bonnie_opts *o, const char *arg)
{
	const char *f[5];
	size_t len[5];
	unsigned int n = split(arg, f, len, 5);
	uint64_t v;

	if (n > 5 || strlen(arg) >= sizeof(o->files_str))
		return -EINVAL;
	if (num_suffix(f[0], len[0], " m", &v) || v > 1024 * 1024)
		return -EINVAL;
	o->files = (unsigned int)v;
	if (n > 1 && len[1]) {
		/* -1 (hard links) and -2 (symlinks) are not supported. */
		if (num_suffix(f[1], len[1], " kmg", &v) || v > (1ull << 31))
			return -EINVAL;
		o->max_size = (long)v;
	}
	if (n > 2 && len[2]) {
		if (num_suffix(f[2], len[2], " kmg", &v) || (long)v > o->max_size)
			return -EINVAL;
		o->min_size = (long)v;
	}
	if (n > 3 && len[3]) {
		if (num_suffix(f[3], len[3], " k", &v) || !v || v > 100000)
			return -EINVAL;
		o->dirs = (unsigned int)v;
	}
	if (n > 4 && len[4]) {
		if (num_suffix(f[4], len[4], " kmg", &v) || !v || v > (64 << 20))
			return -EINVAL;
		o->file_chunk = (uint32_t)v;
	}
	snprintf(o->files_str, sizeof(o->files_str), "%s", arg);
	return 0;
}

const char *bonnie_test_name(enum bonnie_test t)
{
	static const char *const names[BON_NTESTS] = {
		"putc", "put_block", "rewrite", "getc", "get_block", "seeks",
		"seq_create", "seq_stat", "seq_del", "ran_create", "ran_stat", "ran_del",
	};
	return names[t];
}
