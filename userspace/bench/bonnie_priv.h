/* SPDX-License-Identifier: GPL-2.0 */
/* Private to the bonnie tests: the run's context shared by its files. */
#ifndef BLKPRIO_BONNIE_PRIV_H
#define BLKPRIO_BONNIE_PRIV_H

#include <limits.h>

#include <blkprio/bench.h>

struct bonnie_ctx {
	const struct bonnie_opts *o;
	struct bonnie_result *r;
	struct bonnie_test_result *cur;
	uint64_t t0, rng;
	double cpu0;
	char path[PATH_MAX];
};

double bonnie_cpu_now(void);
uint64_t bonnie_rand(struct bonnie_ctx *c);
/* Start and end the timing (and CPU) of a test, with bonnie++'s messages. */
void bonnie_begin(struct bonnie_ctx *c, enum bonnie_test t, const char *msg);
void bonnie_end(struct bonnie_ctx *c, const char *msg);
/* bonnie_files.c: create/stat/delete in sequential and random order. */
int bonnie_file_tests(struct bonnie_ctx *c);

#endif
