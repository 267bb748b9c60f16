// SPDX-License-Identifier: GPL-2.0
/*
 * Histogram maths (slots, percentiles, differences), snapshots and the
 * Prometheus page, without the kernel. The page is also checked with
 * Prometheus' own checker (promtool check metrics) when it is installed.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <errno.h>
#include <fcntl.h>

#include <bpf/btf.h>

#include <blkprio/latency.h>

#include "../../userspace/latency/lat_priv.h"

#include "kselftest_harness.h"

static void add_ns(struct lat_data *d, uint64_t ns)
{
	d->slots[lat_slot_of_ns(ns)]++;
	d->count++;
	d->sum_ns += ns;
	if (ns > d->max_ns)
		d->max_ns = ns;
}

TEST(slots_cover_values)
{
	unsigned int prev = 0, s;
	double x, lo, hi, at;
	uint64_t ns;

	for (x = 1; x < 1e12; x *= 1.01) {
		ns = (uint64_t)x;
		s = lat_slot_of_ns(ns);
		ASSERT_LT(s, (unsigned int)LAT_NSLOTS);
		ASSERT_GE(s, prev);		/* monotonic */
		prev = s;
		lo = lat_slot_lower_us(s) * 1000;
		hi = lat_slot_upper_us(s) * 1000;
		/* the value, floored to 62.5 ns units, lies in the slot */
		at = (double)(ns * 2 / 125) * 62.5;
		ASSERT_LE(lo, at);
		ASSERT_GT(hi, at);
		/* slots above 1 us are at most 1/16 of their value wide */
		if (lo >= 1000)
			ASSERT_LE((hi - lo) / lo, 1.0 / 16 + 1e-9);
	}
	/* slots tile the line */
	for (s = 1; s < LAT_NSLOTS; s++)
		ASSERT_EQ(lat_slot_upper_us(s - 1), lat_slot_lower_us(s));
}

/*
 * The probe's division-free conversion to 1/16 us gives the division's
 * result: every value up to 2^22 ns, each side of every multiple of 62.5 ns
 * up to the 2^29 ns switch-over and beyond, and random values.
 */
TEST(units_equal_the_division)
{
	uint64_t ns, k, r = 88172645463325252ULL;
	int i;

	for (ns = 0; ns < (1u << 22); ns++)
		ASSERT_EQ(lat_units(ns), ns * 2 / 125);
	for (k = 0; k * 125 / 2 < (1ULL << 30); k += 7) {
		for (ns = k * 125 / 2 - (k ? 2 : 0); ns <= k * 125 / 2 + 2; ns++)
			ASSERT_EQ(lat_units(ns), ns * 2 / 125);
	}
	for (i = 0; i < 1000000; i++) {
		r ^= r << 13, r ^= r >> 7, r ^= r << 17;
		ns = r >> (r & 31);
		ASSERT_EQ(lat_units(ns), ns * 2 / 125);
	}
}

TEST(powers_of_two_us_are_boundaries)
{
	unsigned int k, s;
	bool found;

	for (k = 0; k <= 25; k++) {
		found = false;
		for (s = 0; s < LAT_NSLOTS; s++)
			if (lat_slot_lower_us(s) == (double)(1u << k))
				found = true;
		EXPECT_TRUE(found) TH_LOG("2^%u us is not a slot boundary", k);
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

TEST(percentiles_within_a_few_percent)
{
	static const double qs[] = { 0.5, 0.9, 0.99, 0.999 };
	struct lat_data *d = calloc(1, sizeof(*d));
	uint64_t *v = calloc(100000, sizeof(*v));
	unsigned int i, j;
	double exact, got;

	ASSERT_NE(NULL, d);
	ASSERT_NE(NULL, v);
	srand(42);
	/* log-uniform from 20 us to 200 ms, like a mixed workload */
	for (i = 0; i < 100000; i++) {
		v[i] = (uint64_t)(20000.0 * pow(10000.0, (double)rand() / RAND_MAX));
		add_ns(d, v[i]);
	}
	qsort(v, 100000, sizeof(*v), cmp_u64);
	for (j = 0; j < sizeof(qs) / sizeof(qs[0]); j++) {
		exact = (double)v[(size_t)(qs[j] * 100000) - 1] / 1000;
		got = lat_percentile_us(d, qs[j]);
		EXPECT_LT(fabs(got - exact) / exact, 0.03)
			TH_LOG("p%g: %.1f us, exact %.1f us", qs[j] * 100, got, exact);
	}
	EXPECT_EQ((double)v[99999] / 1000, lat_max_us(d));
	free(v);
	free(d);
}

TEST(empty_and_single)
{
	struct lat_data *d = calloc(1, sizeof(*d));

	ASSERT_NE(NULL, d);
	EXPECT_EQ(0, lat_percentile_us(d, 0.5));
	EXPECT_EQ(0, lat_max_us(d));
	add_ns(d, 50000);
	EXPECT_LT(fabs(lat_percentile_us(d, 0.5) - 50) / 50, 0.07);
	EXPECT_EQ(50, lat_max_us(d));
	free(d);
}

TEST(difference_and_reset)
{
	struct lat_data *a = calloc(3, sizeof(*a)), *b = a + 1, *out = a + 2;
	int i;

	ASSERT_NE(NULL, a);
	for (i = 0; i < 10; i++)
		add_ns(a, 1000);
	*b = *a;
	for (i = 0; i < 5; i++)
		add_ns(b, 1000000);
	lat_data_sub(out, b, a);
	EXPECT_EQ(5ull, out->count);
	EXPECT_EQ(5ull, lat_data_timed(out));
	EXPECT_EQ(5000000ull, out->sum_ns);
	/* the interval's maximum: the recorded one lies in its top slot */
	EXPECT_EQ(1000, lat_max_us(out));
	/* a counter that went back (entry recreated) gives the new figures */
	lat_data_sub(out, a, b);
	EXPECT_EQ(10ull, out->count);
	free(a);
}

TEST(count_le_exact_at_powers_of_two)
{
	struct lat_data *d = calloc(1, sizeof(*d));
	uint64_t vals[] = { 500, 999, 1000, 1999, 2000, 2048, 4095, 4096, 65536000, 3 };
	unsigned int i, k;
	uint64_t n;

	ASSERT_NE(NULL, d);
	for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++)
		add_ns(d, vals[i]);
	for (k = 0; k <= 25; k++) {
		/* below the bound, at 62.5 ns resolution */
		for (n = 0, i = 0; i < sizeof(vals) / sizeof(vals[0]); i++)
			if (vals[i] * 2 / 125 < (16ull << k))
				n++;
		EXPECT_EQ(n, lat_count_le_us(d, 1ull << k)) TH_LOG("le 2^%u us", k);
	}
	free(d);
}

TEST(snapshot_delta)
{
	struct lat_snap a, b, d;
	struct lat_entry *e;

	lat_snap_init(&a);
	lat_snap_init(&b);
	lat_snap_init(&d);
	e = lat_snap_get(&a, 5, 7 << 20, LAT_WRITE, true);
	ASSERT_NE(NULL, e);
	add_ns(&e->d, 1000);
	ASSERT_NE(NULL, lat_snap_get(&b, 9, 1, LAT_READ, true));
	e = lat_snap_get(&b, 5, 7 << 20, LAT_WRITE, true);
	add_ns(&e->d, 1000);
	add_ns(&e->d, 3000);
	ASSERT_NE(NULL, lat_snap_get(&b, 1, 1, LAT_READ, true));
	/* sorted by key */
	EXPECT_EQ(1ull, b.e[0].cgid);
	EXPECT_EQ(5ull, b.e[1].cgid);
	EXPECT_EQ(9ull, b.e[2].cgid);
	ASSERT_EQ(0, lat_snap_delta(&d, &b, &a));
	ASSERT_EQ(3u, d.n);
	e = lat_snap_get(&d, 5, 7 << 20, LAT_WRITE, false);
	ASSERT_NE(NULL, e);
	EXPECT_EQ(1ull, e->d.count);
	EXPECT_EQ(3000ull, e->d.sum_ns);
	EXPECT_EQ(NULL, lat_snap_get(&d, 5, 7 << 20, LAT_READ, false));
	lat_snap_free(&a);
	lat_snap_free(&b);
	lat_snap_free(&d);
}

/* Labels for the page: cgroups 10 and 11 are the same container. */
static void label(void *ctx, uint64_t cgid, struct lat_prom_cg *out)
{
	snprintf(out->ctid, sizeof(out->ctid), "%s", cgid == 10 || cgid == 11 ? "101" : "");
	snprintf(out->cgroup, sizeof(out->cgroup), "%s", cgid == 10 || cgid == 11 ? "/lxc/101" :
		 cgid == 1 ? "/" : cgid ? "/odd\"name\\" : "");
}

static char *page(struct lat_snap *s, size_t *len)
{
	static const struct lat_prom_ct cts[] = { { "101", 7, 128 }, { "102", 4, -1 } };
	struct lat_probe_info info = { .run_ns = 5000, .runs = 20 };
	struct lat_prom_input in = {
		.snap = s, .label = label, .cts = cts, .ncts = 2, .info = &info,
	};
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (!f)
		return NULL;
	if (lat_prom_write(f, &in)) {
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	return buf;
}

TEST(prometheus_page)
{
	struct lat_snap s;
	struct lat_entry *e;
	char *text, *p, path[] = "/tmp/blkprio-prom-XXXXXX", cmd[256];
	unsigned long long prev = 0, v;
	size_t len;
	int i, fd, buckets = 0;

	lat_snap_init(&s);
	for (i = 0; i < 3; i++) {
		e = lat_snap_get(&s, i == 0 ? 10 : i == 1 ? 11 : 42, 7 << 20, LAT_WRITE, true);
		ASSERT_NE(NULL, e);
		add_ns(&e->d, 1500);		/* 1.5 us */
		add_ns(&e->d, 3000000);		/* 3 ms */
		e->d.bytes = 8192;
	}
	e = lat_snap_get(&s, 0, 7 << 20, LAT_FLUSH, true);
	add_ns(&e->d, 100000);
	text = page(&s, &len);
	ASSERT_NE(NULL, text);

	/* cgroups 10 and 11 share labels: one series, summed */
	p = strstr(text, "blkprio_io_latency_seconds_count{ctid=\"101\",cgroup=\"/lxc/101\","
		   "device=\"7:0\",op=\"write\"} ");
	if (!p)	/* the device may be named by sysfs (loop0) */
		p = strstr(text, "blkprio_io_latency_seconds_count{ctid=\"101\"");
	ASSERT_NE(NULL, p);
	EXPECT_EQ(4, atoi(strchr(p, '}') + 2));
	EXPECT_EQ(NULL, strstr(strchr(p, '\n'), "_count{ctid=\"101\""));
	EXPECT_NE(NULL, strstr(text, "blkprio_io_bytes_total{ctid=\"101\""));
	EXPECT_NE(NULL, strstr(text, "cgroup=\"/odd\\\"name\\\\\""));	/* escaped */
	EXPECT_NE(NULL, strstr(text, "op=\"flush\""));
	EXPECT_NE(NULL, strstr(text, "blkprio_container_ioprio{ctid=\"101\"} 7\n"));
	EXPECT_NE(NULL, strstr(text, "blkprio_container_weight{ctid=\"101\"} 128\n"));
	EXPECT_EQ(NULL, strstr(text, "blkprio_container_weight{ctid=\"102\"}"));
	EXPECT_NE(NULL, strstr(text, "blkprio_probe_runs_total 20\n"));

	/* the buckets of the first series: cumulative, le 2 us holds 1.5 us */
	p = strstr(text, "blkprio_io_latency_seconds_bucket{ctid=\"101\"");
	ASSERT_NE(NULL, p);
	for (; p && !strncmp(p, "blkprio_io_latency_seconds_bucket{ctid=\"101\"", 44);
	     p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		v = strtoull(strstr(p, "} ") + 2, NULL, 10);
		EXPECT_GE(v, prev);
		if (strstr(p, "le=\"0.000002\"} ") && strstr(p, "le=\"0.000002\"} ") < strchr(p, '\n'))
			EXPECT_EQ(2ull, v);	/* both 1.5 us, one per cgroup */
		prev = v;
		buckets++;
	}
	EXPECT_EQ(27, buckets);		/* 1 us .. 2^25 us and +Inf */
	EXPECT_EQ(4ull, prev);

	/* Prometheus' own checker, where installed */
	if (access("/usr/bin/promtool", X_OK) == 0) {
		fd = mkstemp(path);
		ASSERT_GE(fd, 0);
		ASSERT_EQ((ssize_t)len, write(fd, text, len));
		close(fd);
		snprintf(cmd, sizeof(cmd), "promtool check metrics < %s", path);
		EXPECT_EQ(0, system(cmd));
		unlink(path);
	}
	free(text);
	lat_snap_free(&s);
}

/* ---- feature checks against kernels described by hand-made BTF ---------- */

enum { NO_BLKG = 1, OLD_KN_ID = 2, TWO_ARG_ISSUE = 4, NO_BTF_FIELDS = 0 };

/* The types the probes look for, as a kernel with the quirks in q has them. */
static int fake_btf(const char *path, int q)
{
	struct btf *b = btf__new_empty();
	int u64, u32, vp, st, fp, pt, kid, fd;
	const void *raw;
	__u32 size;

	if (!b)
		return -1;
	u64 = btf__add_int(b, "unsigned long long", 8, 0);
	u32 = btf__add_int(b, "unsigned int", 4, 0);
	vp = btf__add_ptr(b, 0);
	btf__add_struct(b, "bio", 16);
	btf__add_field(b, "bi_next", vp, 0, 0);
	if (!(q & NO_BLKG))
		btf__add_field(b, "bi_blkg", vp, 64, 0);
	btf__add_struct(b, "request", 16);
	btf__add_field(b, "start_time_ns", u64, 0, 0);
	btf__add_field(b, "io_start_time_ns", u64, 64, 0);
	btf__add_struct(b, "request_queue", 8);
	btf__add_field(b, "disk", vp, 0, 0);
	if (q & OLD_KN_ID) {
		kid = btf__add_union(b, "kernfs_node_id", 8);
		btf__add_field(b, "id", u64, 0, 0);
	} else {
		kid = u64;
	}
	btf__add_struct(b, "kernfs_node", 8);
	btf__add_field(b, "id", kid, 0, 0);
	/* typedef void (*btf_trace_X)(void *, struct request *, ...) */
	st = btf__add_ptr(b, 0);
	fp = btf__add_func_proto(b, 0);
	btf__add_func_param(b, "__data", vp);
	btf__add_func_param(b, "rq", st);
	btf__add_func_param(b, "error", u32);
	btf__add_func_param(b, "nr_bytes", u32);
	pt = btf__add_ptr(b, fp);
	btf__add_typedef(b, "btf_trace_block_rq_complete", pt);
	fp = btf__add_func_proto(b, 0);
	btf__add_func_param(b, "__data", vp);
	if (q & TWO_ARG_ISSUE)
		btf__add_func_param(b, "q", vp);
	btf__add_func_param(b, "rq", st);
	pt = btf__add_ptr(b, fp);
	btf__add_typedef(b, "btf_trace_block_rq_issue", pt);

	raw = btf__raw_data(b, &size);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (!raw || fd < 0 || write(fd, raw, size) != (ssize_t)size) {
		btf__free(b);
		return -1;
	}
	close(fd);
	btf__free(b);
	return 0;
}

TEST(features_name_what_is_missing)
{
	static const struct {
		int quirks;
		const char *says;
	} cases[] = {
		{ NO_BTF_FIELDS, NULL },
		{ NO_BLKG, "bio->bi_blkg" },
		{ OLD_KN_ID, "kernfs_node->id" },
		{ TWO_ARG_ISSUE, "single argument" },
	};
	char path[] = "/tmp/blkprio-btf-XXXXXX";
	const char *missing;
	unsigned int i;
	int fd = mkstemp(path);

	ASSERT_GE(fd, 0);
	close(fd);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ASSERT_EQ(0, fake_btf(path, cases[i].quirks));
		if (!cases[i].says) {
			EXPECT_EQ(0, lat_probe_features(path, &missing)) TH_LOG("%s", missing);
			continue;
		}
		EXPECT_EQ(-EOPNOTSUPP, lat_probe_features(path, &missing));
		ASSERT_NE(NULL, missing);
		EXPECT_NE(NULL, strstr(missing, cases[i].says)) TH_LOG("case %u: %s", i, missing);
	}
	/* no type information at all */
	EXPECT_EQ(-EOPNOTSUPP, lat_probe_features("/nonexistent/vmlinux", &missing));
	EXPECT_NE(NULL, strstr(missing, "CONFIG_DEBUG_INFO_BTF"));
	unlink(path);
	/* and this kernel, where the probes are meant to run */
	if (!access("/sys/kernel/btf/vmlinux", R_OK))
		EXPECT_EQ(0, lat_probe_features(NULL, &missing)) TH_LOG("%s", missing);
}

TEST_HARNESS_MAIN
