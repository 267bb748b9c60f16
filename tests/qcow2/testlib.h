/* SPDX-License-Identifier: GPL-2.0 */
/* What the qcow2 library's C tests share: running the qemu tools, random numbers. */
#ifndef BLKPRIO_QCOW2_TESTLIB_H
#define BLKPRIO_QCOW2_TESTLIB_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

static inline bool have_qemu_img(void)
{
	return !system("qemu-img --version >/dev/null 2>&1");
}

/* Run a shell command built like printf; its exit status, or -1 when killed. */
static inline int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline int run(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* xorshift64: the same sequence on every run (a test defines its own seed). */
#ifndef TEST_RND_SEED
#define TEST_RND_SEED	0x9e3779b97f4a7c15ull
#endif
static uint64_t rnd_state = TEST_RND_SEED;

static inline uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

#endif
