// SPDX-License-Identifier: GPL-2.0
/*
 * filesize: where a job's file ends, by fio's rules. A file whose size is
 * already in the range is taken as it is; otherwise the file is to be the
 * fixed size, or a size drawn from the range once per job (so the copies of
 * numjobs, which share the file, agree), rounded down to the smallest I/O
 * (as fio rounds it) unless that leaves nothing.
 */
#include <stdint.h>

#include <blkprio/bench.h>

#include "bench_priv.h"

uint64_t bench_file_end(const struct bench_job *job, uint64_t real)
{
	uint32_t mn, mx, unit = UINT32_MAX;
	uint64_t span, x;
	unsigned int d;

	if (!job->filesize_lo)
		return 0;
	if (real >= job->filesize_lo && real <= job->filesize_hi)
		return real;
	if (job->filesize_lo == job->filesize_hi)
		return job->filesize_lo;
	span = job->filesize_hi - job->filesize_lo;
	x = job->filesize_lo +
	    (uint64_t)((double)span * ((double)(bench_mix64(job->seed ^ 0x66696c6573697a65ULL) >> 11) /
				       (double)(1ULL << 53)));
	for (d = 0; d < BENCH_NDIR; d++) {
		bench_job_bs(job, d, &mn, &mx);
		if (mn && mn < unit)
			unit = mn;
	}
	return x % unit < x ? x - x % unit : x;	/* a range below one I/O: as drawn */
}
