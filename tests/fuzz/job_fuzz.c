// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for fio-style job files: any bytes parse or are refused
 * without a crash, and every job parsed keeps its sizes sane: each
 * direction's smallest I/O no larger than its largest, and every size drawn
 * within them; and every random offset drawn (random_distribution,
 * blockalign) inside a region of a few blocks' size, on its alignment.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <blkprio/bench.h>

#include "../../userspace/bench/bench_priv.h"	/* bench_bs_pick */

/* cmdprio: fio's ranges, entries by block size, a size's shares at most 100 */
static void cmdprio(const struct bench_cmdprio *c)
{
	unsigned int i, tot = 0;

	if (c->pct > 100 || c->cls > 3 || c->level > 7 || c->nsplit > BENCH_MAX_BSSPLIT)
		abort();
	for (i = 0; i < c->nsplit; i++) {
		const struct bench_cmdprio_split *e = &c->split[i];

		if (i && e->bs < c->split[i - 1].bs)
			abort();
		tot = i && e->bs == c->split[i - 1].bs ? tot + e->pct : e->pct;
		if (!e->pct || tot > 100 || !e->bs || e->ioprio < -1 ||
		    (e->ioprio >= 0 && ((e->ioprio >> 13) > 3 || (e->ioprio & 0x1fc0))))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Draw offsets as a worker over 17 units of the smallest I/O would. */
static void offsets(const struct bench_job *job)
{
	struct bench_worker w = { .job = job, .nblocks = 17, .rng = 0x2545f4914f6cdd1dULL };
	uint32_t mn, mx, unit = UINT32_MAX;
	unsigned int d, k;
	uint64_t off;

	for (d = 0; d < BENCH_NDIR; d++) {
		bench_job_bs(job, d, &mn, &mx);
		if (mn < unit)
			unit = mn;
	}
	w.unit = unit;
	if (bench_off_setup(&w))
		return;		/* zones past the region: refused */
	for (k = 0; k < 256; k++) {
		d = k & 1;
		off = bench_off_next(&w, d);
		bench_job_bs(job, d, &mn, &mx);
		if (off % w.off.align[d] || (off && off + mn > 17ull * unit))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bench_job base, *jobs = NULL;
	unsigned int njobs = 0, line, i, d, k;
	const char *bad, *why;
	uint32_t mn, mx, len;
	uint64_t r = 0x9e3779b97f4a7c15ULL;
	char *text;

	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	bench_job_init(&base);
	if (!bench_ini_parse(text, &base, &jobs, &njobs, &line, &bad)) {
		bench_jobs_group(jobs, njobs);
		if (!bench_jobs_link(jobs, njobs, &k, &why))
			for (i = 0; i < njobs; i++)	/* a waitee is a job before */
				if (jobs[i].waitee > i)
					abort();
		for (i = 0; i < njobs; i++) {
			uint64_t fend;

			(void)bench_job_check(&jobs[i], &why);
			offsets(&jobs[i]);
			/* filesize: never past the range and never none, whatever
			 * the file's present size */
			fend = bench_file_end(&jobs[i], r);
			if (jobs[i].filesize_lo && (!fend || fend > jobs[i].filesize_hi))
				abort();
			for (d = 0; d < BENCH_NDIR; d++) {
				cmdprio(&jobs[i].cmdprio[d]);
				bench_job_bs(&jobs[i], d, &mn, &mx);
				if (!mn || mn > mx || jobs[i].bsd[d].nsplit > BENCH_MAX_BSSPLIT)
					abort();
				for (k = 0; k < 64; k++) {
					r ^= r << 13, r ^= r >> 7, r ^= r << 17;
					len = bench_bs_pick(&jobs[i], d, r);
					if (len < mn || len > mx)
						abort();
				}
			}
		}
		free(jobs);
	}
	free(text);
	return 0;
}
