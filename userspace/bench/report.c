// SPDX-License-Identifier: GPL-2.0
/* Reports of a run: human text, JSON (fio-like names) and CSV. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <blkprio/bench.h>

#include "bench_priv.h"

static const double pcts[] = { 1, 5, 10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 99,
			       99.5, 99.9, 99.95, 99.99 };
#define NPCTS (sizeof(pcts) / sizeof(pcts[0]))
static const char *const dir_name[BENCH_NDIR] = { "read", "write" };

static const struct bench_job *job_of(const struct bench_job *jobs, unsigned int njobs,
				      const struct bench_result *r)
{
	return &jobs[r->job < njobs ? r->job : 0];
}

static double rate(uint64_t n, uint64_t ns)
{
	return ns ? (double)n * 1e9 / (double)ns : 0;
}

/* "236MiB" style, binary units. */
static void bin_units(char *buf, size_t len, double v)
{
	static const char *const u[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	unsigned int i = 0;

	while (v >= 1024 && i < 4) {
		v /= 1024;
		i++;
	}
	snprintf(buf, len, v < 10 && i ? "%.2f%s" : v < 100 && i ? "%.1f%s" : "%.0f%s", v, u[i]);
}

static void json_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(out, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(out, "\\u%04x", *s);
		else
			fputc(*s, out);
	}
	fputc('"', out);
}

/* The percentiles to report: the job's percentile_list, or fio's default. */
struct pct_list {
	const double *p;
	unsigned int n;
	bool own;
};

static struct pct_list pcts_of(const struct bench_job *job)
{
	if (job->npercentiles)
		return (struct pct_list){ job->percentiles, job->npercentiles, true };
	return (struct pct_list){ pcts, NPCTS, false };
}

static void text_lat(FILE *out, const char *what, const struct bench_hist *h,
		     struct pct_list pl)
{
	unsigned int i;

	if (!h->count)		/* not measured (gtod_reduce): fio prints nothing */
		return;
	fprintf(out, "    %s (usec): min=%.1f, max=%.1f, avg=%.2f, stdev=%.2f\n", what,
		h->min / 1e3, h->max / 1e3, bench_hist_mean(h) / 1e3, bench_hist_stddev(h) / 1e3);
	fprintf(out, "    %s percentiles (usec):", what);
	for (i = 0; i < pl.n; i++) {
		/* of the default list, the text shows the ones that say most */
		if (!pl.own && ((pl.p[i] < 50 && pl.p[i] != 1 && pl.p[i] != 10) ||
				pl.p[i] == 60 || pl.p[i] == 70 || pl.p[i] == 80))
			continue;
		fprintf(out, " p%g=%.1f", pl.p[i], bench_hist_percentile(h, pl.p[i]) / 1e3);
	}
	fputc('\n', out);
}

/* CPU ns per I/O (reads, writes and syncs alike). */
static double per_io(const struct bench_result *r, uint64_t ns)
{
	uint64_t n = r->syncs;
	unsigned int d;

	for (d = 0; d < BENCH_NDIR; d++)
		n += r->dir[d].ios;
	return n ? (double)ns / n : 0;
}

/* The time a direction's I/O took: the job's, or its verify phase's. */
static uint64_t dir_ns(const struct bench_result *r, unsigned int d)
{
	return r->dir[d].runtime_ns ? r->dir[d].runtime_ns : r->elapsed_ns;
}

/* "4096", or per direction "(R) 4096-65536, (W) 8192-8192" when they vary. */
static void text_bs(FILE *out, const struct bench_job *job)
{
	uint32_t mn, mx;
	unsigned int d;

	if (bench_job_bs_fixed(job)) {
		fprintf(out, "%u", job->bs);
		return;
	}
	for (d = 0; d < BENCH_NDIR; d++) {
		bench_job_bs(job, d, &mn, &mx);
		fprintf(out, "%s(%c) %u-%u", d ? ", " : "", d ? 'W' : 'R', mn, mx);
	}
}

/* fio shows the priorities' latencies when two or more of them have I/Os. */
static bool prios_shown(const struct bench_dir_stats *s)
{
	unsigned int i, with = 0;

	for (i = 0; i < s->nprio; i++)
		with += s->prio[i].lat.count != 0;
	return with >= 2;
}

static void text_prios(FILE *out, const struct bench_dir_stats *s, struct pct_list pl)
{
	char what[48];
	unsigned int i;

	if (!prios_shown(s))
		return;
	for (i = 0; i < s->nprio; i++) {
		snprintf(what, sizeof(what), "clat prio %d/%d", s->prio[i].ioprio >> 13,
			 s->prio[i].ioprio & 7);
		text_lat(out, what, &s->prio[i].lat, pl);
	}
}

/* steadystate: the mean of the window's figures (fio's: of all of its
 * seconds, those without a figure as 0). */
static uint64_t ss_mean(const struct bench_ss_result *ss, const uint64_t *v)
{
	uint64_t sum = 0;
	unsigned int i;

	for (i = 0; i < ss->dur; i++)
		sum += v[i];
	return ss->dur ? sum / ss->dur : 0;
}

static const char *const ss_kinds[] = { "iops", "iops_slope", "bw", "bw_slope" };

static void text_ss(FILE *out, const struct bench_job *job, const struct bench_ss_result *ss)
{
	char bw[32];

	if (!ss->dur)
		return;
	bin_units(bw, sizeof(bw), (double)ss_mean(ss, ss->bw));
	fprintf(out, "  steadystate: attained=%s, bw=%s/s, iops=%llu, %s%s=%.3f%s\n",
		ss->attained ? "yes" : "no", bw, (unsigned long long)ss_mean(ss, ss->iops),
		job->ss_kind < BENCH_SS_BW ? "iops" : "bw", job->ss_kind & 1 ? " slope" : " mean dev",
		ss->criterion, job->ss_pct ? "%" : "");
}

static void text_one(FILE *out, const struct bench_job *job, const struct bench_result *r)
{
	char bw[32], tot[32];
	unsigned int d;

	fprintf(out, "%s", r->name);
	if (job->numjobs > 1)
		fprintf(out, "[%u]", r->index);
	fprintf(out, ": rw=%s bs=", bench_rw_name(job->rw));
	text_bs(out, job);
	fprintf(out, " ioengine=%s iodepth=%u direct=%d target=%s\n",
		bench_engine_name(job->engine), job->iodepth, job->direct, job->filename);
	if (r->error)
		fprintf(out, "  error: %s (offset %llu)\n", strerror(-r->error),
			(unsigned long long)r->error_off);
	for (d = 0; d < BENCH_NDIR; d++) {
		const struct bench_dir_stats *s = &r->dir[d];

		if (!s->ios)
			continue;
		bin_units(bw, sizeof(bw), rate(s->bytes, dir_ns(r, d)));
		bin_units(tot, sizeof(tot), (double)s->bytes);
		fprintf(out, "  %5s: IOPS=%.0f, BW=%s/s (%.1fMB/s)(%s/%llumsec)\n", dir_name[d],
			rate(s->ios, dir_ns(r, d)), bw, rate(s->bytes, dir_ns(r, d)) / 1e6, tot,
			(unsigned long long)(dir_ns(r, d) / 1000000));
		text_lat(out, "lat", &s->lat, pcts_of(job));
		text_prios(out, s, pcts_of(job));
	}
	if (r->syncs)
		text_lat(out, "sync", &r->sync_lat, pcts_of(job));
	text_ss(out, job, &r->ss);
	if (job->lat_target_ns)
		fprintf(out, "  latency: target=%llu ns, window=%llu us, percentile=%.2f%%, depth=%u\n",
			(unsigned long long)job->lat_target_ns,
			(unsigned long long)(job->lat_window_ns / 1000), job->lat_pct, r->lat_depth);
	fprintf(out, "  cpu: usr=%.2f%%, sys=%.2f%%; per I/O usr=%.2f us, sys=%.2f us\n",
		r->usr_cpu, r->sys_cpu, per_io(r, r->usr_ns) / 1e3, per_io(r, r->sys_ns) / 1e3);
	if (job->verify)
		fprintf(out, "  verify: %s (%llu bad blocks)\n", r->verify_errors ? "FAILED" : "ok",
			(unsigned long long)r->verify_errors);
}

static void json_hist(FILE *out, const char *key, const struct bench_hist *h,
		      struct pct_list pl)
{
	unsigned int i;

	fprintf(out, "\"%s\":{\"N\":%llu,\"min\":%llu,\"max\":%llu,\"mean\":%.3f,\"stddev\":%.3f",
		key, (unsigned long long)h->count,
		(unsigned long long)(h->count ? h->min : 0), (unsigned long long)h->max,
		bench_hist_mean(h), bench_hist_stddev(h));
	/* as fio: no percentiles of nothing */
	for (i = 0; h->count && i < pl.n; i++)
		fprintf(out, "%s\"%f\":%llu", i ? "," : ",\"percentile\":{", pl.p[i],
			(unsigned long long)bench_hist_percentile(h, pl.p[i]));
	fprintf(out, h->count && pl.n ? "}}" : "}");
}

/* fio's "prios": each priority with I/Os, its class, level and latency. */
static void json_prios(FILE *out, const struct bench_dir_stats *s, struct pct_list pl)
{
	unsigned int i;
	bool first = true;

	if (!prios_shown(s))
		return;
	fprintf(out, ",\"prios\":[");
	for (i = 0; i < s->nprio; i++) {
		if (!s->prio[i].lat.count)
			continue;
		fprintf(out, "%s{\"prioclass\":%d,\"prio\":%d,", first ? "" : ",",
			s->prio[i].ioprio >> 13, s->prio[i].ioprio & 7);
		json_hist(out, "clat_ns", &s->prio[i].lat, pl);
		fputc('}', out);
		first = false;
	}
	fputc(']', out);
}

/* The window's figures in fio's order: those with a figure, oldest first, then 0s. */
static void json_ss_list(FILE *out, const char *key, const struct bench_ss_result *ss,
			 const uint64_t *v)
{
	unsigned int i;

	fprintf(out, ",\"%s\":[", key);
	for (i = 0; i < ss->dur; i++)
		fprintf(out, "%s%llu", i ? "," : "",
			(unsigned long long)(i < ss->filled ? v[ss->dur - ss->filled + i] : 0));
	fputc(']', out);
}

/* fio's "steadystate" object. */
static void json_ss(FILE *out, const struct bench_job *job, const struct bench_ss_result *ss)
{
	const char *pct = job->ss_pct ? "%" : "";

	if (!ss->dur)
		return;
	fprintf(out, ",\"steadystate\":{\"ss\":\"%s:%f%s\",\"duration\":%u,\"attained\":%d,"
		"\"criterion\":\"%f%s\",\"max_deviation\":%f,\"slope\":%f,"
		"\"data\":{\"bw_mean\":%llu,\"iops_mean\":%llu", ss_kinds[job->ss_kind],
		job->ss_limit, pct, ss->dur, ss->attained, ss->criterion, pct, ss->deviation,
		ss->slope, (unsigned long long)ss_mean(ss, ss->bw),
		(unsigned long long)ss_mean(ss, ss->iops));
	json_ss_list(out, "iops", ss, ss->iops);
	json_ss_list(out, "bw", ss, ss->bw);
	fprintf(out, "}}");
}

static void json_one(FILE *out, const struct bench_job *job, const struct bench_result *r)
{
	unsigned int d;
	size_t i;

	fprintf(out, "{\"jobname\":");
	json_str(out, r->name);
	fprintf(out, ",\"groupid\":%u,\"index\":%u,\"filename\":", job->groupid, r->index);
	json_str(out, job->filename);
	fprintf(out, ",\"rw\":\"%s\",\"bs\":%u,\"iodepth\":%u,\"ioengine\":\"%s\",\"direct\":%d,"
		"\"error\":%d,\"error_msg\":", bench_rw_name(job->rw), job->bs, job->iodepth,
		bench_engine_name(job->engine), job->direct, -r->error);
	json_str(out, r->error ? strerror(-r->error) : "");
	for (d = 0; d < BENCH_NDIR; d++) {
		uint32_t mn, mx;

		bench_job_bs(job, d, &mn, &mx);
		fprintf(out, ",\"bs_%s\":[%u,%u]", d ? "write" : "read", mn, mx);
	}
	fprintf(out, ",\"elapsed_ns\":%llu", (unsigned long long)r->elapsed_ns);
	for (d = 0; d < BENCH_NDIR; d++) {
		const struct bench_dir_stats *s = &r->dir[d];

		fprintf(out, ",\"%s\":{\"io_bytes\":%llu,\"total_ios\":%llu,\"bw_bytes\":%.0f,"
			"\"iops\":%.3f,\"runtime\":%llu,", dir_name[d], (unsigned long long)s->bytes,
			(unsigned long long)s->ios, rate(s->bytes, dir_ns(r, d)),
			rate(s->ios, dir_ns(r, d)),
			(unsigned long long)(s->ios ? dir_ns(r, d) / 1000000 : 0));
		json_hist(out, "lat_ns", &s->lat, pcts_of(job));
		json_prios(out, s, pcts_of(job));
		fputc('}', out);
	}
	json_ss(out, job, &r->ss);
	/* fio's, always there: the depth, the target in ns, the window in us */
	fprintf(out, ",\"latency_depth\":%u,\"latency_target\":%llu,\"latency_percentile\":%f,"
		"\"latency_window\":%llu", r->lat_depth, (unsigned long long)job->lat_target_ns,
		job->lat_pct, (unsigned long long)(job->lat_window_ns / 1000));
	fprintf(out, ",\"sync\":{\"total_ios\":%llu,", (unsigned long long)r->syncs);
	json_hist(out, "lat_ns", &r->sync_lat, pcts_of(job));
	fprintf(out, "},\"usr_cpu\":%.3f,\"sys_cpu\":%.3f,\"usr_ns_per_io\":%.1f,"
		"\"sys_ns_per_io\":%.1f,\"verify\":%s,\"verify_errors\":%llu,\"samples\":[",
		r->usr_cpu, r->sys_cpu, per_io(r, r->usr_ns), per_io(r, r->sys_ns),
		job->verify ? "true" : "false",
		(unsigned long long)r->verify_errors);
	for (i = 0; i < r->nsamples; i++) {
		const struct bench_sample *s = &r->samples[i];

		fprintf(out, "%s{\"t_ms\":%llu,\"read_bytes\":%llu,\"write_bytes\":%llu,"
			"\"read_ios\":%llu,\"write_ios\":%llu}", i ? "," : "",
			(unsigned long long)s->t_ms, (unsigned long long)s->bytes[0],
			(unsigned long long)s->bytes[1], (unsigned long long)s->ios[0],
			(unsigned long long)s->ios[1]);
	}
	fprintf(out, "]}");
}

static void csv_all(FILE *out, const struct bench_result *r, unsigned int n)
{
	unsigned int i, d;

	fprintf(out, "job,index,dir,ios,bytes,elapsed_ns,iops,bw_bytes,lat_min_ns,lat_mean_ns,"
		"lat_p50_ns,lat_p90_ns,lat_p99_ns,lat_p99.9_ns,lat_max_ns,lat_stddev_ns,"
		"verify_errors,error\n");
	for (i = 0; i < n; i++)
		for (d = 0; d < BENCH_NDIR; d++) {
			const struct bench_dir_stats *s = &r[i].dir[d];
			const struct bench_hist *h = &s->lat;

			if (!s->ios && (d || r[i].dir[1].ios))
				continue;
			fprintf(out, "%s,%u,%s,%llu,%llu,%llu,%.1f,%.0f,%llu,%.0f,%llu,%llu,%llu,"
				"%llu,%llu,%.0f,%llu,%d\n", r[i].name, r[i].index, dir_name[d],
				(unsigned long long)s->ios, (unsigned long long)s->bytes,
				(unsigned long long)dir_ns(&r[i], d), rate(s->ios, dir_ns(&r[i], d)),
				rate(s->bytes, dir_ns(&r[i], d)),
				(unsigned long long)(h->count ? h->min : 0), bench_hist_mean(h),
				(unsigned long long)bench_hist_percentile(h, 50),
				(unsigned long long)bench_hist_percentile(h, 90),
				(unsigned long long)bench_hist_percentile(h, 99),
				(unsigned long long)bench_hist_percentile(h, 99.9),
				(unsigned long long)h->max, bench_hist_stddev(h),
				(unsigned long long)r[i].verify_errors, -r[i].error);
		}
}

/* Every copy of every job of a reporting group together, as fio's "Run status
 * group N", text only. */
static void text_total(FILE *out, const struct bench_job *jobs, unsigned int njobs,
		       unsigned int group, const struct bench_result *r, unsigned int n)
{
	struct bench_dir_stats *sum = calloc(BENCH_NDIR, sizeof(*sum));
	const struct bench_job *gj = NULL;	/* the group's first job */
	uint64_t elapsed = 0;
	unsigned int i, d, m;
	char bw[32];

	if (!sum)
		return;
	for (d = 0; d < BENCH_NDIR; d++)
		bench_hist_init(&sum[d].lat);
	for (i = 0, m = 0; i < n; i++) {
		if (job_of(jobs, njobs, &r[i])->groupid != group)
			continue;
		if (!gj)
			gj = job_of(jobs, njobs, &r[i]);
		m++;
		if (r[i].elapsed_ns > elapsed)
			elapsed = r[i].elapsed_ns;
		for (d = 0; d < BENCH_NDIR; d++) {
			sum[d].ios += r[i].dir[d].ios;
			sum[d].bytes += r[i].dir[d].bytes;
			bench_hist_merge(&sum[d].lat, &r[i].dir[d].lat);
		}
	}
	fprintf(out, "Run status group %u (all jobs): %u job%s\n", group, m, m == 1 ? "" : "s");
	for (d = 0; d < BENCH_NDIR; d++) {
		if (!sum[d].ios)
			continue;
		bin_units(bw, sizeof(bw), rate(sum[d].bytes, elapsed));
		fprintf(out, "  %5s: IOPS=%.0f, BW=%s/s (%.1fMB/s)\n", dir_name[d],
			rate(sum[d].ios, elapsed), bw, rate(sum[d].bytes, elapsed) / 1e6);
		text_lat(out, "lat", &sum[d].lat, pcts_of(gj));
	}
	free(sum);
}

/* src into dst, as fio sums a group: counts added, the longest time kept,
 * the priorities' latencies matched by priority. */
static int merge_result(struct bench_result *dst, const struct bench_result *src)
{
	unsigned int d;

	for (d = 0; d < BENCH_NDIR; d++) {
		dst->dir[d].ios += src->dir[d].ios;
		dst->dir[d].bytes += src->dir[d].bytes;
		if (src->dir[d].runtime_ns > dst->dir[d].runtime_ns)
			dst->dir[d].runtime_ns = src->dir[d].runtime_ns;
		bench_hist_merge(&dst->dir[d].lat, &src->dir[d].lat);
		if (bench_cmdprio_merge(&dst->dir[d], &src->dir[d]))
			return -ENOMEM;
	}
	bench_hist_merge(&dst->sync_lat, &src->sync_lat);
	if (src->ss.dur)	/* the group's window is its last job's */
		dst->ss = src->ss;
	dst->lat_depth = src->lat_depth;	/* as fio's: the last job's */
	dst->syncs += src->syncs;
	dst->verify_errors += src->verify_errors;
	if (!dst->error) {
		dst->error = src->error;
		dst->error_off = src->error_off;
	}
	if (src->elapsed_ns > dst->elapsed_ns)
		dst->elapsed_ns = src->elapsed_ns;
	dst->usr_ns += src->usr_ns;
	dst->sys_ns += src->sys_ns;
	dst->usr_cpu += src->usr_cpu;
	dst->sys_cpu += src->sys_cpu;
	return 0;
}

/* The entries of group_results(): each owns its copy of the priorities. */
static void free_group(struct bench_result *g, unsigned int n)
{
	unsigned int i, d;

	for (i = 0; i < n; i++)
		for (d = 0; d < BENCH_NDIR; d++)
			free(g[i].dir[d].prio);
	free(g);
}

/* g's priorities, copied from the result it was copied from (all or none). */
static int copy_prios(struct bench_result *g)
{
	struct bench_prio_stat *p[BENCH_NDIR] = { NULL };
	unsigned int d;

	for (d = 0; d < BENCH_NDIR; d++) {
		size_t len = g->dir[d].nprio * sizeof(*p[d]);

		if (!len)
			continue;
		p[d] = malloc(len);
		if (!p[d])
			break;
		memcpy(p[d], g->dir[d].prio, len);
	}
	for (unsigned int k = 0; k < BENCH_NDIR; k++) {
		if (d < BENCH_NDIR) {
			free(p[k]);
			p[k] = NULL;
			g->dir[k].nprio = 0;
		}
		g->dir[k].prio = p[k];
	}
	return d < BENCH_NDIR ? -ENOMEM : 0;
}

/*
 * group_reporting: the results of a reporting group's jobs that set it are
 * one entry, named after the first of them, as fio reports them (the
 * per-second samples stay with the copies: the entry has none). A copy of
 * the results, n on return.
 */
static struct bench_result *group_results(const struct bench_job *jobs, unsigned int njobs,
					  const struct bench_result *r, unsigned int *n)
{
	struct bench_result *g = malloc(sizeof(*g) * (*n ? *n : 1));
	const struct bench_job *job, *prev = NULL;
	unsigned int i, m = 0;

	if (!g)
		return NULL;
	for (i = 0; i < *n; i++) {
		job = job_of(jobs, njobs, &r[i]);
		if (m && job->group_reporting && prev->group_reporting &&
		    job->groupid == prev->groupid) {
			if (merge_result(&g[m - 1], &r[i]))
				goto err;
			continue;
		}
		g[m] = r[i];
		if (copy_prios(&g[m]))
			goto err;
		if (job->group_reporting) {
			g[m].samples = NULL;
			g[m].nsamples = 0;
		}
		m++;
		prev = job;
	}
	*n = m;
	return g;
err:
	free_group(g, m);
	return NULL;
}

int bench_report(FILE *out, enum bench_format fmt, const struct bench_job *jobs,
		 unsigned int njobs, const struct bench_result *all, unsigned int n)
{
	struct bench_result *r;
	unsigned int i, g;

	if (!njobs)
		return -EINVAL;
	r = group_results(jobs, njobs, all, &n);
	if (!r)
		return -ENOMEM;
	switch (fmt) {
	case BENCH_FMT_TEXT:
		for (i = 0; i < n; i++)
			text_one(out, job_of(jobs, njobs, &r[i]), &r[i]);
		if (n > 1)
			for (g = 0; g <= jobs[njobs - 1].groupid; g++)
				text_total(out, jobs, njobs, g, r, n);
		break;
	case BENCH_FMT_JSON:
		fprintf(out, "{\"blkprio version\":\"%s\",\"jobs\":[", BLKPRIO_VERSION);
		for (i = 0; i < n; i++) {
			if (i)
				fputc(',', out);
			json_one(out, job_of(jobs, njobs, &r[i]), &r[i]);
		}
		fprintf(out, "]}\n");
		break;
	case BENCH_FMT_CSV:
		csv_all(out, r, n);
		break;
	}
	free_group(r, n);
	return ferror(out) ? -EIO : 0;
}

int bench_report_samples(FILE *out, const struct bench_result *r, unsigned int n)
{
	unsigned int i;
	size_t j;

	fprintf(out, "job,index,t_ms,read_bytes,write_bytes,read_ios,write_ios\n");
	for (i = 0; i < n; i++)
		for (j = 0; j < r[i].nsamples; j++) {
			const struct bench_sample *s = &r[i].samples[j];

			fprintf(out, "%s,%u,%llu,%llu,%llu,%llu,%llu\n", r[i].name, r[i].index,
				(unsigned long long)s->t_ms, (unsigned long long)s->bytes[0],
				(unsigned long long)s->bytes[1], (unsigned long long)s->ios[0],
				(unsigned long long)s->ios[1]);
		}
	return ferror(out) ? -EIO : 0;
}
