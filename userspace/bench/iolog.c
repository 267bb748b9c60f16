// SPDX-License-Identifier: GPL-2.0
/*
 * A job's logs in fio's format (write_bw_log, write_lat_log, write_iops_log):
 * one line per I/O, or per log_avg_msec window and direction,
 * "time_ms, value, direction, size[, offset], priority". Written as the job
 * goes (a buffered stream per log), so a long run holds no samples in memory.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <blkprio/bench.h>

#include "bench_priv.h"

static const char *const log_type[BENCH_NLOG] = { "bw", "lat", "iops" };

/* The priority field: the I/O's priority value (log_prio), else 1 for the
 * real-time class and 0 for the others, as fio writes it. */
static void log_line(struct bench_worker *w, unsigned int k, uint64_t t_ms, uint64_t val,
		     enum bench_dir d, uint64_t bs, uint64_t off, int ioprio)
{
	const struct bench_job *job = w->job;
	unsigned int v = ioprio < 0 ? 0 : (unsigned int)ioprio;
	FILE *f = w->log.f[k];

	fprintf(f, "%llu, %llu, %u, %llu, ", (unsigned long long)t_ms, (unsigned long long)val,
		d, (unsigned long long)bs);
	if (job->log_offset)
		fprintf(f, "%llu, ", (unsigned long long)off);
	if (job->log_prio)
		fprintf(f, "0x%04x\n", v);
	else
		fprintf(f, "%u\n", (v >> 13) == 1);
}

int bench_log_open(struct bench_worker *w)
{
	const struct bench_job *job = w->job;
	char path[512];
	unsigned int k;
	int err;

	memset(&w->log, 0, sizeof(w->log));
	for (k = 0; k < BENCH_NLOG; k++) {
		const char *pre = job->log_name[k][0] ? job->log_name[k] : job->name;

		if (!job->log_on[k] || (k == BENCH_LOG_LAT && job->no_lat))
			continue;
		if (job->per_job_logs)
			snprintf(path, sizeof(path), "%s_%s.%u.log", pre, log_type[k], w->number);
		else
			snprintf(path, sizeof(path), "%s_%s.log", pre, log_type[k]);
		/* without per_job_logs every copy adds to the one file, as fio */
		w->log.f[k] = fopen(path, job->per_job_logs ? "we" : "ae");
		if (!w->log.f[k]) {
			err = -errno;
			snprintf(w->res->error_file, sizeof(w->res->error_file), "%s", path);
			bench_log_close(w);
			return err;
		}
		setvbuf(w->log.f[k], NULL, _IOFBF, 1 << 20);
		w->log.any = true;
	}
	return 0;
}

void bench_log_start(struct bench_worker *w, uint64_t now)
{
	struct bench_log *l = &w->log;

	memset(l->win, 0, sizeof(l->win));
	l->epoch_ns = now;
	l->rate_prev_ms = l->rate_last_ms = 0;
}

/* The latency window of direction d into the log, when it has samples. */
static void lat_window_out(struct bench_worker *w, enum bench_dir d, uint64_t t_ms)
{
	struct bench_log_win *win = &w->log.win[d];

	if (win->lat_n)
		log_line(w, BENCH_LOG_LAT, t_ms, w->job->log_max_value ? win->lat_max :
			 (win->lat_sum + win->lat_n / 2) / win->lat_n, d, 0, 0,
			 bench_cmdprio_default(w->job));
	win->lat_sum = win->lat_n = win->lat_max = 0;
}

/* Every log_avg_msec, the bandwidth (KiB/s) and IOPS of the time since the
 * last entry, per direction that moved anything (size and offset 0, as fio). */
static void rate_windows(struct bench_worker *w, uint64_t t_ms)
{
	struct bench_log *l = &w->log;
	uint64_t spent = t_ms - l->rate_prev_ms;
	unsigned int d;

	for (d = 0; d < BENCH_NDIR; d++) {
		struct bench_log_win *win = &l->win[d];

		if (!win->bytes)
			continue;
		if (l->f[BENCH_LOG_BW])
			log_line(w, BENCH_LOG_BW, t_ms, spent ? win->bytes * 1000 / spent / 1024 : 0,
				 d, 0, 0, bench_cmdprio_default(w->job));
		if (l->f[BENCH_LOG_IOPS])
			log_line(w, BENCH_LOG_IOPS, t_ms, spent ? win->ios * 1000 / spent : 0, d,
				 0, 0, bench_cmdprio_default(w->job));
		win->bytes = win->ios = 0;
	}
	l->rate_prev_ms = t_ms;
	l->rate_last_ms = t_ms - t_ms % w->job->log_avg_ms;
}

void bench_log_io(struct bench_worker *w, enum bench_dir d, uint64_t off, uint32_t len,
		  uint64_t lat_ns, int ioprio)
{
	const struct bench_job *job = w->job;
	struct bench_log *l = &w->log;
	struct bench_log_win *win = &l->win[d];
	uint64_t t_ms = (bench_now_ns() - l->epoch_ns) / 1000000;

	if (!job->log_avg_ms) {
		if (l->f[BENCH_LOG_BW])	/* this I/O's own rate, in fio's unit */
			log_line(w, BENCH_LOG_BW, t_ms, lat_ns ? len * 1000000ull / lat_ns : 0, d,
				 len, off, ioprio);
		if (l->f[BENCH_LOG_LAT])
			log_line(w, BENCH_LOG_LAT, t_ms, lat_ns, d, len, off, ioprio);
		if (l->f[BENCH_LOG_IOPS])
			log_line(w, BENCH_LOG_IOPS, t_ms, 1, d, len, off, ioprio);
		return;
	}
	if (l->f[BENCH_LOG_LAT]) {
		win->lat_sum += lat_ns;
		win->lat_n++;
		if (lat_ns > win->lat_max)
			win->lat_max = lat_ns;
		if (t_ms >= win->lat_last_ms + job->log_avg_ms) {
			lat_window_out(w, d, t_ms);
			win->lat_last_ms = t_ms - t_ms % job->log_avg_ms;
		}
	}
	win->bytes += len;
	win->ios++;
	if (t_ms >= l->rate_last_ms + job->log_avg_ms)
		rate_windows(w, t_ms);
}

int bench_log_close(struct bench_worker *w)
{
	struct bench_log *l = &w->log;
	unsigned int k, d;
	int err = 0;

	/* as fio: the latency windows still open go in; a rate window needs
	 * its whole length */
	if (l->f[BENCH_LOG_LAT] && w->job->log_avg_ms) {
		uint64_t t_ms = (bench_now_ns() - l->epoch_ns) / 1000000;

		for (d = 0; d < BENCH_NDIR; d++)
			lat_window_out(w, d, t_ms);
	}
	for (k = 0; k < BENCH_NLOG; k++) {
		if (!l->f[k])
			continue;
		if ((ferror(l->f[k]) | fclose(l->f[k])) && !err)
			err = -EIO;
		l->f[k] = NULL;
	}
	l->any = false;
	return err;
}
