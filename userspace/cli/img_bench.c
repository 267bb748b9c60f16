// SPDX-License-Identifier: GPL-2.0
/*
 * blkprio img bench: qemu-img bench's syntax and output ("Run completed in
 * N seconds."), through the qcow2 library (or plain pread/pwrite for raw),
 * with -d worker threads; --random picks random aligned offsets instead of
 * offset + step.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <blkprio/parse.h>

#include "img.h"

enum { OPT_PATTERN = OPT_FIRST_PRIVATE + 0x10, OPT_RANDOM, OPT_FLUSH_INTERVAL };

struct bench {
	struct qcow2 *q;
	int fd;
	bool write, random;
	uint64_t size, step, offset, count, img_size, flush_interval;
	uint64_t next;			/* next request number (atomic) */
	int pattern;
	int err;
};

static int do_io(struct bench *b, void *buf, uint64_t off)
{
	ssize_t n;

	if (b->q)
		n = b->write ? qcow2_pwrite(b->q, buf, b->size, off) :
			       qcow2_pread(b->q, buf, b->size, off);
	else if (b->write)
		n = pwrite(b->fd, buf, b->size, (off_t)off);
	else
		n = pread(b->fd, buf, b->size, (off_t)off);
	if (n < 0)
		return b->q ? (int)n : -errno;
	return 0;
}

static void *worker(void *arg)
{
	struct bench *b = arg;
	uint64_t seed = (uint64_t)(uintptr_t)&seed ^ (uint64_t)time(NULL), i, off, span;
	void *buf;
	int err;

	if (posix_memalign(&buf, 4096, b->size)) {
		b->err = -ENOMEM;
		return NULL;
	}
	memset(buf, b->pattern, b->size);
	span = (b->img_size - b->offset - b->size) / b->size + 1;
	while ((i = __atomic_fetch_add(&b->next, 1, __ATOMIC_RELAXED)) < b->count) {
		if (b->random) {
			seed ^= seed << 13;
			seed ^= seed >> 7;
			seed ^= seed << 17;
			off = b->offset + (seed % span) * b->size;
		} else {
			off = (b->offset + i * b->step) % (b->img_size - b->size + 1);
		}
		err = do_io(b, buf, off);
		if (!err && b->flush_interval && i % b->flush_interval == b->flush_interval - 1)
			err = b->q ? qcow2_flush(b->q) : (fdatasync(b->fd) ? -errno : 0);
		if (err) {
			b->err = err;
			break;
		}
	}
	free(buf);
	return NULL;
}

static void usage_bench(FILE *out)
{
	fprintf(out, "Usage: blkprio img bench [-c COUNT] [-d DEPTH] [-f FMT] [-o OFFSET] [-q] [-s SIZE]\n"
		"       [-S STEP] [-t none|writeback] [-w] [--pattern=N] [--random] [--flush-interval=N] FILE\n");
}

static int parse_u64(const char *s, uint64_t *out)
{
	long long v;

	if (parse_int_range(s, 0, INT64_MAX, &v))
		return -EINVAL;
	*out = (uint64_t)v;
	return 0;
}

int img_bench(int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_COMMON_OPTS,
		{ "pattern", required_argument, NULL, OPT_PATTERN },
		{ "random", no_argument, NULL, OPT_RANDOM },
		{ "flush-interval", required_argument, NULL, OPT_FLUSH_INTERVAL },
		{ NULL, 0, NULL, 0 },
	};
	struct bench b = { .fd = -1, .size = 4096, .count = 75000, .pattern = 0xa5 };
	const char *fmt = NULL, *cache = "writeback", *file;
	uint64_t depth = 64, v;
	pthread_t th[64];
	struct timespec t0, t1;
	bool done, quiet = false, step_set = false;
	unsigned int i, n;
	int c, code, err;

	while ((c = getopt_long(argc, argv, CLI_COMMON_SHORT "c:d:f:o:qs:S:t:wi:nU", opts, NULL)) != -1) {
		switch (c) {
		case 'c': if (parse_u64(optarg, &b.count)) return cli_usage_err("bad count"); continue;
		case 'd': if (parse_u64(optarg, &depth) || !depth) return cli_usage_err("bad depth"); continue;
		case 'f': fmt = optarg; continue;
		case 'o': if (parse_size(optarg, 0, &b.offset)) return cli_usage_err("bad offset"); continue;
		case 'q': quiet = true; continue;
		case 's': if (parse_size(optarg, 0, &b.size) || !b.size) return cli_usage_err("bad size"); continue;
		case 'S': if (parse_size(optarg, 0, &b.step)) return cli_usage_err("bad step"); step_set = true; continue;
		case 't': cache = optarg; continue;
		case 'w': b.write = true; continue;
		case 'i': case 'n': case 'U': continue;
		case OPT_PATTERN: if (parse_u64(optarg, &v) || v > 255) return cli_usage_err("bad pattern"); b.pattern = (int)v; continue;
		case OPT_RANDOM: b.random = true; continue;
		case OPT_FLUSH_INTERVAL: if (parse_u64(optarg, &b.flush_interval)) return cli_usage_err("bad interval"); continue;
		}
		if (cli_common_opt(c, optarg, &done, &code, usage_bench)) {
			if (done)
				return code;
			continue;
		}
		usage_bench(stderr);
		return EXIT_USAGE;
	}
	if (optind + 1 != argc)
		return cli_usage_err("Expecting one image file name");
	if (strcmp(cache, "none") && strcmp(cache, "writeback") && strcmp(cache, "directsync"))
		return cli_usage_err("cache mode must be none or writeback");
	file = argv[optind];
	if (!step_set)
		b.step = b.size;
	if (!fmt) {
		err = qcow2_probe(file);
		if (err < 0)
			return cli_fail(EXIT_FAIL, "cannot open", file, "%s", strerror(-err));
		fmt = err ? "qcow2" : "raw";
	}
	if (!strcmp(fmt, "qcow2")) {
		err = qcow2_open(file, (b.write ? 0 : QCOW2_O_RDONLY) |
				 (strcmp(cache, "writeback") ? QCOW2_O_DIRECT : 0), &b.q);
		if (err) {
			const char *why = qcow2_last_error();

			return cli_fail(EXIT_FAIL, "cannot open", file, "%s", why ? why : strerror(-err));
		}
		b.img_size = qcow2_size(b.q);
		code = img_crypt_unlock(b.q, file, b.write, true);	/* img_secret.c */
		if (code) {
			qcow2_close(b.q);
			return code;
		}
	} else {
		b.fd = open(file, (b.write ? O_RDWR : O_RDONLY) | O_CLOEXEC |
			    (strcmp(cache, "writeback") ? O_DIRECT : 0));
		if (b.fd < 0)
			return cli_fail(EXIT_FAIL, "cannot open", file, "%s", strerror(errno));
		b.img_size = (uint64_t)lseek(b.fd, 0, SEEK_END);
	}
	if (b.img_size < b.offset + b.size) {
		code = cli_fail(EXIT_FAIL, "bench", file, "image smaller than offset + size");
		goto out;
	}
	if (!quiet)
		printf("Sending %" PRIu64 " %s requests, %" PRIu64 " bytes each, %" PRIu64
		       " in parallel (starting at offset %" PRIu64 ", step size %" PRIu64 ")\n",
		       b.count, b.write ? "write" : "read", b.size, depth, b.offset,
		       b.random ? 0 : b.step);
	n = depth > 64 ? 64 : (unsigned int)depth;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < n; i++)
		if (pthread_create(&th[i], NULL, worker, &b))
			break;
	n = i;
	for (i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	if (!b.err && b.write)
		b.err = b.q ? qcow2_flush(b.q) : (fdatasync(b.fd) ? -errno : 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (b.err) {
		code = cli_fail(EXIT_FAIL, "bench", file, "%s", strerror(-b.err));
		goto out;
	}
	printf("Run completed in %.3f seconds.\n",
	       (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	code = EXIT_OK;
out:
	if (b.q && qcow2_close(b.q) && code == EXIT_OK)
		code = cli_fail(EXIT_FAIL, "bench", file, "closing failed");
	if (b.fd >= 0)
		close(b.fd);
	return code;
}
