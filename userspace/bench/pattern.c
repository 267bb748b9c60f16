// SPDX-License-Identifier: GPL-2.0
/*
 * The verify pattern: each 8-byte word is a hash of its absolute offset and
 * the seed, so any block can be checked on its own, in any order, and data
 * landing at the wrong offset is caught.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <blkprio/bench.h>

#include "bench_priv.h"

uint64_t bench_mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static inline uint8_t pattern_byte(uint64_t off, uint64_t seed)
{
	return (uint8_t)(bench_mix64(seed ^ (off >> 3)) >> (8 * (off & 7)));
}

void bench_pattern_fill(void *buf, size_t len, uint64_t off, uint64_t seed)
{
	uint8_t *p = buf;
	uint64_t w;

	while (len && (off & 7)) {
		*p++ = pattern_byte(off++, seed);
		len--;
	}
	for (; len >= 8; len -= 8, p += 8, off += 8) {
		w = bench_mix64(seed ^ (off >> 3));
		memcpy(p, &w, 8);	/* little-endian hosts: byte k = bits 8k.. */
	}
	while (len--)
		*p++ = pattern_byte(off++, seed);
}

int bench_pattern_check(const void *buf, size_t len, uint64_t off, uint64_t seed,
			uint64_t *bad)
{
	const uint8_t *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != pattern_byte(off + i, seed)) {
			*bad = off + i;
			return -EILSEQ;
		}
	return 0;
}

uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

void *bench_alloc_buf(size_t len)
{
	void *p;

	if (posix_memalign(&p, 4096, len ? len : 1))
		return NULL;
	return p;
}

/* len bytes of pat (plen long) over and over, from buf's start. */
void bench_fill_repeat(void *buf, size_t len, const uint8_t *pat, unsigned int plen)
{
	uint8_t *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = pat[i % plen];
}

/* A job's block: its verify_pattern repeated from the block's start, else the hash. */
void bench_verify_fill(const struct bench_job *job, void *buf, uint64_t off)
{
	if (!job->verify_pattern_len) {
		bench_pattern_fill(buf, job->bs, off, job->seed);
		return;
	}
	bench_fill_repeat(buf, job->bs, job->verify_pattern, job->verify_pattern_len);
}

/*
 * verify_dump, as fio names the files: the block read and the block that was
 * written, as BASENAME.OFFSET.received and BASENAME.OFFSET.expected in the
 * working folder. Returns 0 or -errno (the check's own failure stands).
 */
static int dump_one(const char *name, const void *buf, size_t len)
{
	FILE *f = fopen(name, "w");
	int err = 0;

	if (!f)
		return -errno;
	if (fwrite(buf, 1, len, f) != len)
		err = -EIO;
	if (fclose(f) && !err)
		err = -errno;
	return err;
}

int bench_verify_dump(const struct bench_job *job, const void *buf, uint64_t off)
{
	const char *path = job->filename + (bench_target_is_img(job->filename) ? 4 : 0);
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	char name[4200];
	void *want;
	int err;

	want = malloc(job->bs);
	if (!want)
		return -ENOMEM;
	bench_verify_fill(job, want, off);
	snprintf(name, sizeof(name), "%s.%llu.received", base, (unsigned long long)off);
	err = dump_one(name, buf, job->bs);
	snprintf(name, sizeof(name), "%s.%llu.expected", base, (unsigned long long)off);
	if (!err)
		err = dump_one(name, want, job->bs);
	free(want);
	return err;
}

int bench_verify_check(const struct bench_job *job, const void *buf, uint64_t off,
		       uint64_t *bad)
{
	const uint8_t *p = buf;
	size_t i;

	if (!job->verify_pattern_len)
		return bench_pattern_check(buf, job->bs, off, job->seed, bad);
	for (i = 0; i < job->bs; i++)
		if (p[i] != job->verify_pattern[i % job->verify_pattern_len]) {
			*bad = off + i;
			return -EILSEQ;
		}
	return 0;
}
