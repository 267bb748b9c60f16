// SPDX-License-Identifier: GPL-2.0
/*
 * Prometheus text exposition (format 0.0.4) of the latency figures.
 *
 * Histogram buckets are powers of two in microseconds, 1 us to 2^25 us
 * (~33.5 s), which are exact slot boundaries of the probe's histogram, so
 * every "le" count is exact. Entries whose labels coincide (a cgroup removed
 * and made again under the same path) are summed: one series per label set.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lat_priv.h"

#define PROM_LE_MAX	25		/* last finite bucket: 2^25 us */

struct prom_row {
	struct lat_prom_cg cg;
	char device[32];
	const char *op;
	const struct lat_data *d;
};

static int row_cmp(const void *a, const void *b)
{
	const struct prom_row *x = a, *y = b;
	int c;

	c = strcmp(x->cg.ctid, y->cg.ctid);
	if (!c)
		c = strcmp(x->cg.cgroup, y->cg.cgroup);
	if (!c)
		c = strcmp(x->device, y->device);
	if (!c)
		c = strcmp(x->op, y->op);
	return c;
}

static void put_escaped(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fputc('\\', f);
		if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

static void put_labels(FILE *f, const struct prom_row *r)
{
	fputs("{ctid=\"", f);
	put_escaped(f, r->cg.ctid);
	fputs("\",cgroup=\"", f);
	put_escaped(f, r->cg.cgroup);
	fputs("\",device=\"", f);
	put_escaped(f, r->device);
	fprintf(f, "\",op=\"%s\"", r->op);
}

static void put_header(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void put_histogram(FILE *f, const struct prom_row *r, const struct lat_data *d)
{
	static const char *name = "blkprio_io_latency_seconds";
	unsigned int k;

	for (k = 0; k <= PROM_LE_MAX; k++) {
		fprintf(f, "%s_bucket", name);
		put_labels(f, r);
		fprintf(f, ",le=\"%.6f\"} %llu\n", (double)(1ull << k) / 1e6,
			(unsigned long long)lat_count_le_us(d, 1ull << k));
	}
	fprintf(f, "%s_bucket", name);
	put_labels(f, r);
	fprintf(f, ",le=\"+Inf\"} %llu\n", (unsigned long long)lat_data_timed(d));
	fprintf(f, "%s_sum", name);
	put_labels(f, r);
	fprintf(f, "} %.9f\n", (double)d->sum_ns / 1e9);
	fprintf(f, "%s_count", name);
	put_labels(f, r);
	fprintf(f, "} %llu\n", (unsigned long long)lat_data_timed(d));
}

enum { CTR_OPS, CTR_BYTES, CTR_QUEUE, CTR_DEVICE, CTR_SPLIT, NCTRS };

static const struct {
	const char *name, *help;
} ctrs[NCTRS] = {
	[CTR_OPS] = { "blkprio_io_operations_total", "Completed block I/O requests." },
	[CTR_BYTES] = { "blkprio_io_bytes_total", "Bytes of completed block I/O requests." },
	[CTR_QUEUE] = { "blkprio_io_queue_seconds_total",
		"Time from request allocation to issue to the driver, for the requests "
		"where the issue time is known." },
	[CTR_DEVICE] = { "blkprio_io_device_seconds_total",
		"Time from issue to the driver to completion, for the same requests." },
	[CTR_SPLIT] = { "blkprio_io_split_operations_total",
		"Requests whose queue and device time are known." },
};

static void put_counter(FILE *f, int which, const struct prom_row *r,
			const struct lat_data *d)
{
	fputs(ctrs[which].name, f);
	put_labels(f, r);
	switch (which) {
	case CTR_OPS:
		fprintf(f, "} %llu\n", (unsigned long long)d->count);
		break;
	case CTR_BYTES:
		fprintf(f, "} %llu\n", (unsigned long long)d->bytes);
		break;
	case CTR_QUEUE:
		fprintf(f, "} %.9f\n", (double)d->queue_ns / 1e9);
		break;
	case CTR_DEVICE:
		fprintf(f, "} %.9f\n", (double)d->device_ns / 1e9);
		break;
	default:
		fprintf(f, "} %llu\n", (unsigned long long)d->split);
		break;
	}
}

/*
 * Rows sorted by labels, with runs of equal labels merged into sums[]:
 * returns the number of distinct rows; rows[i].d points at the sum.
 */
static size_t merge_rows(struct prom_row *rows, size_t n, struct lat_data *sums)
{
	size_t i, out = 0;

	qsort(rows, n, sizeof(*rows), row_cmp);
	for (i = 0; i < n; i++) {
		if (out && !row_cmp(&rows[out - 1], &rows[i])) {
			lat_data_add(&sums[out - 1], rows[i].d);
			continue;
		}
		sums[out] = *rows[i].d;
		rows[out] = rows[i];
		rows[out].d = &sums[out];
		out++;
	}
	return out;
}

static void put_self(FILE *f, const struct lat_probe_info *i)
{
	put_header(f, "blkprio_probe_run_seconds_total", "counter",
		   "Time the latency probes ran (BPF run-time statistics; 0 while they are off).");
	fprintf(f, "blkprio_probe_run_seconds_total %.9f\n", (double)i->run_ns / 1e9);
	put_header(f, "blkprio_probe_runs_total", "counter",
		   "Runs of the latency probes (BPF run-time statistics).");
	fprintf(f, "blkprio_probe_runs_total %llu\n", (unsigned long long)i->runs);
	put_header(f, "blkprio_probe_dropped_total", "counter",
		   "Requests not counted because the histogram map was full.");
	fprintf(f, "blkprio_probe_dropped_total %llu\n", (unsigned long long)i->dropped);
}

static void put_cts(FILE *f, const struct lat_prom_ct *cts, size_t n)
{
	size_t i;

	put_header(f, "blkprio_container_ioprio", "gauge",
		   "The container's configured IOPRIO (0..7).");
	for (i = 0; i < n; i++) {
		fputs("blkprio_container_ioprio{ctid=\"", f);
		put_escaped(f, cts[i].ctid);
		fprintf(f, "\"} %d\n", cts[i].ioprio);
	}
	put_header(f, "blkprio_container_weight", "gauge",
		   "The container's block-I/O weight: in its cgroup's weight file, or where "
		   "the kernel has none, the one share control keeps (IOPRIO through WEIGHT_MAP).");
	for (i = 0; i < n; i++) {
		if (cts[i].weight < 0)
			continue;
		fputs("blkprio_container_weight{ctid=\"", f);
		put_escaped(f, cts[i].ctid);
		fprintf(f, "\"} %d\n", cts[i].weight);
	}
}

int lat_prom_write(FILE *f, const struct lat_prom_input *in)
{
	const struct lat_snap *s = in->snap;
	struct lat_data *sums = NULL;
	struct prom_row *rows = NULL;
	size_t i, n = 0;
	int c;

	if (s && s->n) {
		rows = calloc(s->n, sizeof(*rows));
		sums = calloc(s->n, sizeof(*sums));
		if (!rows || !sums) {
			free(rows);
			free(sums);
			return -ENOMEM;
		}
		for (i = 0; i < s->n; i++) {
			const struct lat_entry *e = &s->e[i];

			if (in->label)
				in->label(in->ctx, e->cgid, &rows[i].cg);
			lat_dev_name(e->dev, rows[i].device, sizeof(rows[i].device));
			rows[i].op = lat_op_name(e->op);
			rows[i].d = &e->d;
		}
		n = merge_rows(rows, s->n, sums);
	}

	put_header(f, "blkprio_io_latency_seconds", "histogram",
		   "Block I/O latency from request allocation to completion, by the "
		   "cgroup of the request's bio.");
	for (i = 0; i < n; i++)
		put_histogram(f, &rows[i], rows[i].d);
	for (c = 0; c < NCTRS; c++) {
		put_header(f, ctrs[c].name, "counter", ctrs[c].help);
		for (i = 0; i < n; i++)
			put_counter(f, c, &rows[i], rows[i].d);
	}
	if (in->cts)
		put_cts(f, in->cts, in->ncts);
	if (in->info)
		put_self(f, in->info);
	free(rows);
	free(sums);
	if (fflush(f) || ferror(f))
		return -EIO;
	return 0;
}
