// SPDX-License-Identifier: GPL-2.0
/*
 * blkprio latency CTID [-i SEC] [-c COUNT]: a log2 histogram per operation
 * of one container's block I/O (like biolatency), with percentiles.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include <blkprio/parse.h>

#include "cli.h"
#include "latview.h"

#define LOG2_BUCKETS	32

static void latency_usage(FILE *out)
{
	fprintf(out,
		"Usage: blkprio latency { CTID | /CGROUP } [-i SEC] [-c COUNT] [--json]\n\n"
		"Block I/O latency of one container (its cgroup and the cgroups below it),\n"
		"one log2 histogram per operation, with percentiles, every interval.\n"
		"A path starting with '/' names any cgroup of the blkio/io hierarchy.\n\n"
		"  -i, --interval SEC  seconds per report (default 1)\n"
		"  -c, --count COUNT   reports to print, then exit (default: until ^C)\n"
		"  -j, --json          one JSON object per report\n");
}

struct op_sum {
	struct lat_data d;
	bool seen;
};

/* Does the entry's cgroup belong to what was asked for? */
static bool wanted(struct latview *v, uint64_t cgid, const char *what)
{
	struct lat_cgname n;
	size_t len;

	latview_name(v, cgid, &n);
	if (what[0] != '/')
		return !strcmp(n.ctid, what);
	if (n.state != LAT_CG_LIVE && n.state != LAT_CG_REMOVED)
		return false;
	len = strlen(what);
	if (len == 1)
		return true;
	return !strncmp(n.path, what, len) && (!n.path[len] || n.path[len] == '/');
}

/* Requests per log2 bucket of microseconds: [2^k, 2^(k+1)), k = 0 holds [0, 2). */
static void log2_buckets(const struct lat_data *d, uint64_t *b)
{
	unsigned int i, k;
	double lo;

	memset(b, 0, LOG2_BUCKETS * sizeof(*b));
	for (i = 0; i < LAT_NSLOTS; i++) {
		if (!d->slots[i])
			continue;
		lo = lat_slot_lower_us(i);
		for (k = 0; k + 1 < LOG2_BUCKETS && lo >= (double)(2ull << k); k++)
			;
		b[k] += d->slots[i];
	}
}

static void print_hist(const uint64_t *b)
{
	uint64_t max = 0;
	int i, last = -1, stars, j;

	for (i = 0; i < LOG2_BUCKETS; i++) {
		if (b[i])
			last = i;
		if (b[i] > max)
			max = b[i];
	}
	printf("%20s : %-10s distribution\n", "usecs", "count");
	for (i = 0; i <= last; i++) {
		unsigned long long lo = i ? 1ull << i : 0, hi = (2ull << i) - 1;

		stars = max ? (int)(b[i] * 40 / max) : 0;
		printf("%10llu -> %-7llu : %-10llu |", lo, hi, (unsigned long long)b[i]);
		for (j = 0; j < 40; j++)
			putchar(j < stars ? '*' : ' ');
		printf("|\n");
	}
}

static double avg_us(uint64_t ns, uint64_t n)
{
	return n ? (double)ns / (double)n / 1000 : 0;
}

static void print_text(const char *what, const struct op_sum *ops, double interval)
{
	char tbuf[16], sz[16];
	time_t now = time(NULL);
	unsigned int op;
	uint64_t b[LOG2_BUCKETS];
	bool any = false;

	strftime(tbuf, sizeof(tbuf), "%H:%M:%S", localtime(&now));
	printf("%s  %s  (%.1f s)\n", tbuf, what, interval);
	for (op = 0; op < LAT_NOPS; op++) {
		const struct lat_data *d = &ops[op].d;
		uint64_t timed = lat_data_timed(d);

		if (!d->count)
			continue;
		any = true;
		printf("\n%s: %llu requests, %s, avg %.1f us, p50 %.1f, p90 %.1f, p99 %.1f, "
		       "p99.9 %.1f, max %.1f us",
		       lat_op_name(op), (unsigned long long)d->count,
		       format_size(d->bytes, sz, sizeof(sz)), avg_us(d->sum_ns, timed),
		       lat_percentile_us(d, 0.5), lat_percentile_us(d, 0.9),
		       lat_percentile_us(d, 0.99), lat_percentile_us(d, 0.999),
		       lat_max_us(d));
		if (d->split)
			printf("; queue %.1f, device %.1f us avg",
			       avg_us(d->queue_ns, d->split), avg_us(d->device_ns, d->split));
		printf("\n");
		log2_buckets(d, b);
		print_hist(b);
	}
	if (!any)
		printf("no block I/O\n");
	printf("\n");
	fflush(stdout);
}

static struct json_object *jdouble(double v)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%.3f", v);
	return json_object_new_double_s(v, buf);
}

static void print_json(const char *what, const struct op_sum *ops, double interval)
{
	struct json_object *o = json_object_new_object(), *arr = json_object_new_array();
	uint64_t b[LOG2_BUCKETS];
	unsigned int op;
	int i;

	json_object_object_add(o, "time", json_object_new_int64(time(NULL)));
	json_object_object_add(o, what[0] == '/' ? "cgroup" : "ctid",
			       json_object_new_string(what));
	json_object_object_add(o, "interval", jdouble(interval));
	for (op = 0; op < LAT_NOPS; op++) {
		const struct lat_data *d = &ops[op].d;
		struct json_object *j, *h;

		if (!d->count)
			continue;
		j = json_object_new_object();
		json_object_object_add(j, "op", json_object_new_string(lat_op_name(op)));
		json_object_object_add(j, "count", json_object_new_int64((int64_t)d->count));
		json_object_object_add(j, "bytes", json_object_new_int64((int64_t)d->bytes));
		json_object_object_add(j, "avg_us", jdouble(avg_us(d->sum_ns, lat_data_timed(d))));
		json_object_object_add(j, "p50_us", jdouble(lat_percentile_us(d, 0.5)));
		json_object_object_add(j, "p90_us", jdouble(lat_percentile_us(d, 0.9)));
		json_object_object_add(j, "p99_us", jdouble(lat_percentile_us(d, 0.99)));
		json_object_object_add(j, "p999_us", jdouble(lat_percentile_us(d, 0.999)));
		json_object_object_add(j, "max_us", jdouble(lat_max_us(d)));
		if (d->split) {
			json_object_object_add(j, "queue_avg_us",
					       jdouble(avg_us(d->queue_ns, d->split)));
			json_object_object_add(j, "device_avg_us",
					       jdouble(avg_us(d->device_ns, d->split)));
		}
		h = json_object_new_array();
		log2_buckets(d, b);
		for (i = 0; i < LOG2_BUCKETS; i++) {
			struct json_object *x;

			if (!b[i])
				continue;
			x = json_object_new_object();
			json_object_object_add(x, "lo_us", json_object_new_int64(i ? 1ll << i : 0));
			json_object_object_add(x, "hi_us", json_object_new_int64((2ll << i) - 1));
			json_object_object_add(x, "count", json_object_new_int64((int64_t)b[i]));
			json_object_array_add(h, x);
		}
		json_object_object_add(j, "hist", h);
		json_object_array_add(arr, j);
	}
	json_object_object_add(o, "ops", arr);
	cli_print_json(o);
	fflush(stdout);
}

/* The container must have a cgroup now (a path must exist). */
static int check_target(struct latview *v, const char *what)
{
	char rel[PATH_MAX];

	if (!v->have_layout)
		return cli_fail(EXIT_FAIL, "cgroups", NULL, "no blkio (v1) or io (v2) hierarchy");
	if (what[0] == '/') {
		char path[PATH_MAX * 2];

		snprintf(path, sizeof(path), "%s%s", v->layout.mount, what);
		if (access(path, F_OK))
			return cli_fail(EXIT_FAIL, "cgroup", what, "%s", strerror(errno));
		return EXIT_OK;
	}
	if (cg_ct_find(&v->layout, &v->cfg.templates, what, rel, sizeof(rel)) < 0)
		return cli_fail(EXIT_FAIL, "container", what,
				"not running (no cgroup under %s)", v->layout.mount);
	return EXIT_OK;
}

int do_latency(int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_COMMON_OPTS,
		{ "interval", required_argument, NULL, 'i' },
		{ "count", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	struct op_sum ops[LAT_NOPS];
	struct latview v;
	long long count = -1, n;
	double interval = 1;
	const char *what;
	bool done;
	int c, code;
	size_t i;

	while ((c = getopt_long(argc, argv, CLI_COMMON_SHORT "i:c:", opts, NULL)) != -1) {
		if (cli_common_opt(c, optarg, &done, &code, latency_usage)) {
			if (done)
				return code;
			continue;
		}
		switch (c) {
		case 'i':
			if (latview_parse_interval(optarg, &interval))
				return cli_usage_err("invalid interval '%s' (seconds, 0.05 to 86400)",
						     optarg);
			break;
		case 'c':
			if (parse_int_range(optarg, 1, 1000000000, &count))
				return cli_usage_err("invalid count '%s' (1 or more)", optarg);
			break;
		default:
			latency_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc)
		return cli_usage_err("missing CTID");
	if (optind + 1 < argc)
		return cli_usage_err("unexpected argument '%s'", argv[optind + 1]);
	what = argv[optind];
	if (what[0] != '/' && !ctid_valid(what))
		return cli_usage_err("invalid CTID '%s'", what);

	code = latview_open(&v, LAT_ISSUE_AUTO);
	if (code)
		return code;
	code = check_target(&v, what);
	if (code)
		goto out;
	if (latview_start(&v)) {
		code = cli_fail(EXIT_FAIL, "latency probes", NULL, "reading failed");
		goto out;
	}
	for (n = 0; count < 0 || n < count; n++) {
		if (!latview_wait(interval) && n)
			break;
		if (latview_sample(&v)) {
			code = cli_fail(EXIT_FAIL, "latency probes", NULL, "reading failed");
			goto out;
		}
		memset(ops, 0, sizeof(ops));
		for (i = 0; i < v.delta.n; i++) {
			const struct lat_entry *e = &v.delta.e[i];

			if (e->op < LAT_NOPS && wanted(&v, e->cgid, what))
				lat_data_add(&ops[e->op].d, &e->d);
		}
		if (cli.json)
			print_json(what, ops, v.interval);
		else
			print_text(what, ops, v.interval);
		if (latview_stopped())
			break;
	}
out:
	latview_close(&v);
	return code;
}
