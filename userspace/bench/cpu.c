// SPDX-License-Identifier: GPL-2.0
/*
 * CPU time a worker costs: its own thread's, and that of the io_uring
 * workers the kernel runs for it. A file without non-blocking reads (tmpfs)
 * has every request served by an "iou-wrk-<tid>" thread of this process, and
 * that time is the engine's cost as much as the submitter's.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "bench_priv.h"

static uint64_t tv_ns(struct timeval tv)
{
	return (uint64_t)tv.tv_sec * 1000000000ULL + (uint64_t)tv.tv_usec * 1000ULL;
}

void bench_cpu_thread(struct bench_cpu *c)
{
	struct rusage ru;

	memset(c, 0, sizeof(*c));
	if (getrusage(RUSAGE_THREAD, &ru))
		return;
	c->usr_ns = tv_ns(ru.ru_utime);
	c->sys_ns = tv_ns(ru.ru_stime);
}

/* The CPU time of a thread whose name is want: utime and stime (fields 14 and
 * 15, in clock ticks), or its schedstat's. */
static int task_times(const char *tid, const char *want, uint64_t tick_ns,
		      struct bench_cpu *c)
{
	char path[64], buf[512], *p;
	unsigned long long ut, st;
	size_t len, wl = strlen(want);
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "/proc/self/task/%s/stat", tid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	len = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[len] = '\0';
	p = strchr(buf, '(');
	if (!p || strncmp(p + 1, want, wl) || p[1 + wl] != ')')
		return 0;
	p = strrchr(buf, ')');
	/* after ") ": state, then fields 4..13, then utime and stime */
	n = sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st);
	if (n != 2)
		return -EINVAL;
	/*
	 * utime and stime are whole ticks (10 ms) per thread: with a worker per
	 * I/O in flight their rounding adds up. schedstat's time on the CPU is
	 * in ns: with it the workers' total is exact, its user part the ticks'.
	 */
	snprintf(path, sizeof(path), "/proc/self/task/%s/schedstat", tid);
	f = fopen(path, "re");
	if (f) {
		unsigned long long run;

		n = fscanf(f, "%llu", &run);
		fclose(f);
		if (n == 1) {
			c->usr_ns += ut * tick_ns < run ? ut * tick_ns : run;
			c->sys_ns += ut * tick_ns < run ? run - ut * tick_ns : 0;
			return 1;
		}
	}
	c->usr_ns += ut * tick_ns;
	c->sys_ns += st * tick_ns;
	return 1;
}

int bench_cpu_io_workers(struct bench_cpu *c)
{
	char want[32];
	struct dirent *de;
	long tick = sysconf(_SC_CLK_TCK);
	DIR *d;
	int n = 0, err;

	memset(c, 0, sizeof(*c));
	if (tick <= 0)
		return -EINVAL;
	snprintf(want, sizeof(want), "iou-wrk-%d", (int)gettid());
	d = opendir("/proc/self/task");
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		err = task_times(de->d_name, want, 1000000000ULL / (uint64_t)tick, c);
		if (err > 0)
			n++;	/* a thread that ended meanwhile is no error */
	}
	closedir(d);
	return n;
}
