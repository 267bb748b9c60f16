// SPDX-License-Identifier: GPL-2.0
/*
 * NUMA placement of a job's thread, as fio's numa_cpu_nodes and
 * numa_mem_policy: run on the CPUs of the nodes given, and take memory by a
 * policy (default, prefer:NODE, bind:NODES, interleave:NODES, local). The
 * nodes are this machine's (/sys/devices/system/node), so a job file that
 * names a node the machine lacks is refused, as fio refuses it; "all" is
 * every node. Set with sched_setaffinity and set_mempolicy, per thread.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <blkprio/bench.h>
#include <blkprio/parse.h>

#include "bench_priv.h"

#define NODE_DIR "/sys/devices/system/node"

/* the kernel's MPOL_* */
enum { MPOL_DEFAULT, MPOL_PREFERRED, MPOL_BIND, MPOL_INTERLEAVE, MPOL_LOCAL };

static bool node_exists(unsigned int n)
{
	char path[64];

	snprintf(path, sizeof(path), NODE_DIR "/node%u", n);
	return !access(path, F_OK);
}

/* "N", "N-M", "N,M-K", or "all": the nodes as a mask; each must exist. */
static int nodes_parse(const char *v, uint64_t *mask)
{
	char buf[128], *p, *tok, *dash;
	long long lo, hi, i;

	*mask = 0;
	if (!strcmp(v, "all")) {
		for (i = 0; i < 64; i++)
			if (node_exists((unsigned int)i))
				*mask |= 1ull << i;
		return *mask ? 0 : -EINVAL;
	}
	if (!*v || strlen(v) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, v);
	for (p = buf; (tok = strsep(&p, ","));) {
		dash = strchr(tok, '-');
		if (dash)
			*dash++ = '\0';
		if (parse_int_range(tok, 0, 63, &lo) ||
		    parse_int_range(dash ? dash : tok, 0, 63, &hi) || hi < lo)
			return -EINVAL;
		for (i = lo; i <= hi; i++) {
			if (!node_exists((unsigned int)i))
				return -EINVAL;
			*mask |= 1ull << i;
		}
	}
	return 0;
}

int bench_numa_cpu_set(struct bench_job *job, const char *v)
{
	return nodes_parse(v, &job->numa_cpu_nodes);
}

int bench_numa_mem_set(struct bench_job *job, const char *v)
{
	static const char *const modes[] = { "default", "prefer", "bind", "interleave", "local" };
	char mode[16];
	const char *nodes = strchr(v, ':');
	size_t len = nodes ? (size_t)(nodes - v) : strlen(v);
	uint64_t mask = 0;
	unsigned int m;

	if (len >= sizeof(mode))
		return -EINVAL;
	memcpy(mode, v, len);
	mode[len] = '\0';
	for (m = 0; m < 5 && strcmp(mode, modes[m]); m++)
		;
	if (m == 5)
		return -EINVAL;
	/* fio: default and local take no nodes; prefer one; bind, interleave some */
	if ((m == MPOL_DEFAULT || m == MPOL_LOCAL) != !nodes)
		return -EINVAL;
	if (nodes && nodes_parse(nodes + 1, &mask))
		return -EINVAL;
	if (m == MPOL_PREFERRED && (mask & (mask - 1)))
		return -EINVAL;
	job->numa_mem_mode = (int)m;
	job->numa_mem_nodes = mask;
	job->numa_mem_set = true;
	return 0;
}

/* Add the CPUs of a node's cpulist ("0-3,8") to set. */
static int node_cpus(unsigned int n, cpu_set_t *set)
{
	char path[64], line[1024], *p, *tok, *dash;
	long long lo, hi;
	FILE *f;

	snprintf(path, sizeof(path), NODE_DIR "/node%u/cpulist", n);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	if (!fgets(line, sizeof(line), f)) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	line[strcspn(line, "\n")] = '\0';
	for (p = line; (tok = strsep(&p, ",")) && *tok;) {
		dash = strchr(tok, '-');
		if (dash)
			*dash++ = '\0';
		if (parse_int_range(tok, 0, CPU_SETSIZE - 1, &lo) ||
		    parse_int_range(dash ? dash : tok, lo, CPU_SETSIZE - 1, &hi))
			return -EIO;
		for (; lo <= hi; lo++)
			CPU_SET((int)lo, set);
	}
	return 0;
}

int bench_numa_apply(const struct bench_job *job)
{
	unsigned long mask = (unsigned long)job->numa_mem_nodes;
	unsigned int n;
	cpu_set_t set;
	int err;

	if (job->numa_cpu_nodes) {
		CPU_ZERO(&set);
		for (n = 0; n < 64; n++)
			if (job->numa_cpu_nodes & (1ull << n)) {
				err = node_cpus(n, &set);
				if (err)
					return err;
			}
		if (sched_setaffinity(0, sizeof(set), &set))
			return -errno;
	}
	if (job->numa_mem_set &&
	    syscall(SYS_set_mempolicy, job->numa_mem_mode, mask ? &mask : NULL,
		    mask ? 64UL + 1 : 0UL))
		return -errno;
	return 0;
}
