// SPDX-License-Identifier: GPL-2.0
/*
 * The probes against known I/O: two cgroups write 2,000 and 500 blocks of
 * 4 KiB with O_DIRECT on a loop device of ours; the probe must count exactly
 * those requests and bytes per cgroup, with plausible latencies. Also flush
 * requests, an unknown cgroup, and a cgroup removed while monitored.
 * Privileged: SKIPs without root, the blkio hierarchy, or BPF.
 */
#include <blkprio/cgroup.h>
#include <blkprio/latency.h>

#include "kselftest_harness.h"
#include "latutil.h"

#define N_A	2000ull
#define N_B	500ull

FIXTURE(lat) {
	struct lt_loop loop;
	struct lat_probe *probe;
	uint64_t misses0;		/* runs the kernel skipped, at the start */
	struct lat_snap snap;
	char cg[3][256];
	uint64_t id[3];
	int ncg;
};

/* The same tests over the probe's variants. */
FIXTURE_VARIANT(lat) {
	bool raw_tp;
	enum lat_issue_mode issue;
};

FIXTURE_VARIANT_ADD(lat, tp_btf) {
	.raw_tp = false, .issue = LAT_ISSUE_AUTO,
};

/* the fallback for kernels without BPF trampolines */
FIXTURE_VARIANT_ADD(lat, raw_tp) {
	.raw_tp = true, .issue = LAT_ISSUE_AUTO,
};

/* the benchmark baseline: start times in a hash map */
FIXTURE_VARIANT_ADD(lat, hashmap) {
	.raw_tp = false, .issue = LAT_ISSUE_HASHMAP,
};

FIXTURE_SETUP(lat)
{
	struct lat_probe_opts o = { .raw_tp = variant->raw_tp, .issue = variant->issue };
	char why[512], name[64];
	struct lat_probe_info info;
	int err, i;

	self->loop.fd = -1;
	self->ncg = 0;
	self->probe = NULL;
	lat_snap_init(&self->snap);
	if (geteuid())
		SKIP(return, "needs root");
	if (!lt_cgroup_root())
		SKIP(return, "no blkio (v1) or io (v2) cgroup controller");
	err = lat_probe_open(&o, &self->probe, why, sizeof(why));
	if (err)
		SKIP(return, "%s", why);
	ASSERT_EQ(0, lat_probe_info(self->probe, &info));
	ASSERT_EQ(variant->raw_tp, info.raw_tp);
	self->misses0 = info.misses;
	err = lt_loop_create(&self->loop, "lat", 64 << 20);
	if (err)
		SKIP(return, "no loop device: %s", strerror(-err));
	/* a loop device keeps the settings its last user left: the defaults */
	ASSERT_EQ(0, lt_loop_queue_set(&self->loop, "iostats", "1"));
	ASSERT_EQ(0, lt_loop_queue_set(&self->loop, "scheduler", "none"));
	for (i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "blkprio-test-%d-%c", getpid(), 'a' + i);
		err = lt_cgroup_create(name, self->cg[i], sizeof(self->cg[i]), &self->id[i]);
		ASSERT_EQ(0, err) TH_LOG("mkdir %s: %s", self->cg[i], strerror(-err));
		self->ncg++;
	}
}

FIXTURE_TEARDOWN(lat)
{
	int i;

	for (i = 0; i < self->ncg; i++)
		lt_cgroup_remove(self->cg[i]);
	lt_loop_destroy(&self->loop);
	lat_probe_close(self->probe);
	lat_snap_free(&self->snap);
}

static const struct lat_entry *find(struct lat_snap *s, uint64_t cgid, uint32_t dev,
				    unsigned int op)
{
	return lat_snap_get(s, cgid, dev, op, false);
}

/*
 * n writes from cgroup cg; *d gets what the probe counted for them (cgroup,
 * our device, writes). The kernel may skip a tracepoint's programs while
 * other programs attach to or leave it (seen here: one request in a few
 * thousand, only while other tools load probes), so a short count is tried
 * once more, with a line in the log; the count must then be exact.
 */
static int write_counted(FIXTURE_DATA(lat) *self, int cg, unsigned int n, off_t off,
			 int flush, struct lt_result *r, struct lat_data *d)
{
	struct lat_snap before, after;
	const struct lat_entry *e;
	int attempt, err = 0;

	lat_snap_init(&before);
	lat_snap_init(&after);
	for (attempt = 0; attempt < 2; attempt++) {
		memset(d, 0, sizeof(*d));
		err = lat_probe_read(self->probe, &before);
		if (!err)
			err = lt_write_in(self->cg[cg], self->loop.dev, n, off, flush, r);
		if (!err)
			err = lat_probe_read(self->probe, &after);
		if (err)
			break;
		e = lat_snap_get(&after, self->id[cg], self->loop.kdev, LAT_WRITE, false);
		if (e) {
			const struct lat_entry *p = lat_snap_get(&before, self->id[cg],
								 self->loop.kdev, LAT_WRITE, false);

			if (p)
				lat_data_sub(d, &e->d, &p->d);
			else
				*d = e->d;
		}
		if (d->count == n)
			break;
		fprintf(stderr, "# probe saw %llu of %u writes; again\n",
			(unsigned long long)d->count, n);
	}
	lat_snap_free(&before);
	lat_snap_free(&after);
	return err;
}

TEST_F(lat, counts_bytes_latency_per_cgroup)
{
	struct lat_data *a = calloc(2, sizeof(*a)), *b = a + 1;
	struct lt_result ra, rb;
	double mean_a, mean_b;
	size_t i;

	ASSERT_NE(NULL, a);
	ASSERT_EQ(0, write_counted(self, 0, N_A, 0, 0, &ra, a));
	ASSERT_EQ(0, write_counted(self, 1, N_B, 32 << 20, 0, &rb, b));
	ASSERT_EQ(0, lat_probe_read(self->probe, &self->snap));

	EXPECT_EQ(N_A, a->count);
	EXPECT_EQ(N_A * LT_BS, a->bytes);
	EXPECT_EQ(N_B, b->count);
	EXPECT_EQ(N_B * LT_BS, b->bytes);
	/* every request timed, and in the histogram */
	EXPECT_EQ(a->count, lat_data_timed(a));
	EXPECT_EQ(b->count, lat_data_timed(b));
	/* queue and device time where the kernel stamps both (not the baseline) */
	if (variant->issue != LAT_ISSUE_HASHMAP) {
		EXPECT_EQ(a->count, a->split);
		EXPECT_EQ(a->sum_ns, a->queue_ns + a->device_ns);
	}
	/* nothing else from these cgroups on this device */
	for (i = 0; i < self->snap.n; i++) {
		const struct lat_entry *e = &self->snap.e[i];

		if (e->dev == self->loop.kdev && (e->cgid == self->id[0] ||
						  e->cgid == self->id[1]))
			EXPECT_EQ((uint32_t)LAT_WRITE, e->op);
	}

	/*
	 * Plausible: the block layer's part of a write is less than what the
	 * writer saw around its pwrite() calls, and not vanishingly small.
	 */
	mean_a = (double)a->sum_ns / N_A;
	mean_b = (double)b->sum_ns / N_B;
	TH_LOG("%s: cgroup a: probe mean %.1f us, writer mean %.1f us; p50 %.1f p99 %.1f max %.1f us",
	       self->loop.dev, mean_a / 1e3, (double)ra.ns / N_A / 1e3, lat_percentile_us(a, 0.5),
	       lat_percentile_us(a, 0.99), lat_max_us(a));
	EXPECT_LT(a->sum_ns, ra.ns);
	EXPECT_LT(b->sum_ns, rb.ns);
	EXPECT_GT(mean_a, (double)ra.ns / N_A / 20);
	EXPECT_GT(mean_b, (double)rb.ns / N_B / 20);
	EXPECT_LE(a->max_ns, ra.max_ns);
	EXPECT_LE(lat_percentile_us(a, 0.5), lat_percentile_us(a, 0.99));
	EXPECT_LE(lat_percentile_us(a, 0.99), lat_max_us(a) * 1.07);
	/* the mean lies below the slowest */
	EXPECT_GE(lat_max_us(a) * 1e3, mean_a);
	free(a);
}

/*
 * A table of two slots: the first two keys get one each and are counted
 * exactly; more keys are dropped and counted as dropped, never mixed into
 * another key. Forgetting a cgroup frees its slots for new keys. Other I/O
 * on the machine may take slots too, which the checks allow for.
 */
TEST_F(lat, full_table_drops_and_forget_frees_slots)
{
	struct lat_probe_opts o = { .raw_tp = variant->raw_tp, .issue = variant->issue,
				    .max_entries = 3 };	/* rounded down to 2 slots */
	struct lat_probe_info i0, i1;
	const struct lat_entry *e;
	unsigned int lost = 0;
	struct lt_result r;
	char why[512];
	size_t k;
	int cg;

	lat_probe_close(self->probe);
	self->probe = NULL;
	ASSERT_EQ(0, lat_probe_open(&o, &self->probe, why, sizeof(why))) TH_LOG("%s", why);
	ASSERT_EQ(0, lat_probe_info(self->probe, &i0));
	for (cg = 0; cg < 3; cg++)
		ASSERT_EQ(0, lt_write_in(self->cg[cg], self->loop.dev, 100, cg << 20, 0, &r));
	ASSERT_EQ(0, lat_probe_read(self->probe, &self->snap));
	ASSERT_EQ(0, lat_probe_info(self->probe, &i1));
	EXPECT_LE(self->snap.n, 2u);
	for (cg = 0; cg < 3; cg++) {
		e = find(&self->snap, self->id[cg], self->loop.kdev, LAT_WRITE);
		if (!e) {
			lost++;
			continue;
		}
		EXPECT_EQ(100ull, e->d.count);
		EXPECT_EQ(100ull * LT_BS, e->d.bytes);
	}
	EXPECT_GE(lost, 1u);
	EXPECT_GE(i1.dropped - i0.dropped, 100ull * lost);

	/* forget every key: the table is empty, and takes a new key */
	for (k = 0; k < self->snap.n; k++)
		EXPECT_GE(lat_probe_forget(self->probe, self->snap.e[k].cgid), 1);
	ASSERT_EQ(0, lat_probe_read(self->probe, &self->snap));
	for (k = 0; k < self->snap.n; k++)	/* only what came since */
		EXPECT_NE(self->loop.kdev, self->snap.e[k].dev);
	ASSERT_EQ(0, lt_write_in(self->cg[2], self->loop.dev, 100, 3 << 20, 0, &r));
	ASSERT_EQ(0, lat_probe_read(self->probe, &self->snap));
	e = find(&self->snap, self->id[2], self->loop.kdev, LAT_WRITE);
	if (e) {
		EXPECT_EQ(100ull, e->d.count);	/* from zero: nothing left from before */
	} else {
		EXPECT_EQ(2u, self->snap.n) TH_LOG("no slot taken, yet cgroup c was dropped");
	}
}

/*
 * Without iostats the kernel does not stamp the allocation time (and leaves
 * a stale one in the request): latency is then issue to completion.
 */
TEST_F(lat, no_iostats)
{
	struct lat_data *a = calloc(1, sizeof(*a));
	struct lt_result r;

	ASSERT_NE(NULL, a);
	ASSERT_EQ(0, lt_loop_queue_set(&self->loop, "iostats", "0"));
	ASSERT_EQ(0, write_counted(self, 0, N_B, 0, 0, &r, a));
	EXPECT_EQ(N_B, a->count);
	EXPECT_EQ(a->count, lat_data_timed(a));
	EXPECT_LT(a->sum_ns, r.ns);
	EXPECT_LE(a->max_ns, r.max_ns);
	EXPECT_EQ(0ull, a->split);		/* no allocation time: no queue time */
	free(a);
}

/* Under BFQ (where weights work), with iostats on: all parts known. */
TEST_F(lat, bfq)
{
	struct lat_data *a = calloc(1, sizeof(*a));
	struct lt_result r;

	ASSERT_NE(NULL, a);
	if (lt_loop_queue_set(&self->loop, "scheduler", "bfq"))
		SKIP(free(a); return, "no BFQ");
	ASSERT_EQ(0, write_counted(self, 0, N_B, 0, 0, &r, a));
	EXPECT_EQ(N_B, a->count);
	EXPECT_EQ(N_B * LT_BS, a->bytes);
	EXPECT_EQ(N_B, lat_data_timed(a));
	EXPECT_LT(a->sum_ns, r.ns);
	if (variant->issue != LAT_ISSUE_HASHMAP)
		EXPECT_EQ(N_B, a->split);
	free(a);
}

TEST_F(lat, flush_requests)
{
	const struct lat_entry *f, *none;
	struct lt_result r;
	struct lat_data w;
	char wc[64] = "";
	FILE *fp;
	char path[128];

	snprintf(path, sizeof(path), "/sys/block/loop%d/queue/write_cache", self->loop.num);
	fp = fopen(path, "r");
	if (fp) {
		if (!fgets(wc, sizeof(wc), fp))
			wc[0] = 0;
		fclose(fp);
	}
	if (strncmp(wc, "write back", 10))
		SKIP(return, "loop device without a write cache (%s): no flushes", wc);
	ASSERT_EQ(0, write_counted(self, 0, 4, 0, 1, &r, &w));
	EXPECT_EQ(4ull, w.count);
	ASSERT_EQ(0, lat_probe_read(self->probe, &self->snap));
	/* the submitter's flush, charged to its cgroup, carries no data */
	f = find(&self->snap, self->id[0], self->loop.kdev, LAT_FLUSH);
	ASSERT_NE(NULL, f);
	EXPECT_GE(f->d.count, 1ull);
	EXPECT_EQ(0ull, f->d.bytes);
	/* timed from its allocation (it is never issued itself) */
	if (variant->issue != LAT_ISSUE_HASHMAP)
		EXPECT_EQ(f->d.count, lat_data_timed(&f->d));
	/* the block layer's own flush request has no bio: no cgroup */
	none = find(&self->snap, LAT_NO_CGROUP, self->loop.kdev, LAT_FLUSH);
	ASSERT_NE(NULL, none);
	EXPECT_GE(none->d.count, 1ull);
}

TEST_F(lat, names_unknown_and_removed_cgroups)
{
	struct cg_templates t;
	struct lat_cgmap *map;
	struct lat_cgname n;
	const struct lat_entry *c;
	struct lt_result r;
	struct lat_data w;
	const char *why, *rel;
	char want[300];

	ASSERT_EQ(0, cg_templates_parse(&t, "lxc/%s", &why));
	ASSERT_EQ(0, lat_cgmap_new(lt_cgroup_root(), &map));

	/* a cgroup no template matches: known by its path, no CTID */
	lat_cgmap_name(map, &t, self->id[1], &n);
	EXPECT_EQ(LAT_CG_LIVE, (int)n.state);
	EXPECT_STREQ("", n.ctid);
	snprintf(want, sizeof(want), "/%s", strrchr(self->cg[1], '/') + 1);
	EXPECT_STREQ(want, n.path);
	/* the default templates make a top-level cgroup a container */
	cg_templates_free(&t);
	ASSERT_EQ(0, cg_templates_parse(&t, NULL, &why));
	lat_cgmap_name(map, &t, self->id[1], &n);
	EXPECT_STREQ(want + 1, n.ctid);
	/* an id that is no cgroup of this hierarchy */
	EXPECT_EQ(-ENOENT, lat_cgmap_lookup(map, (1ull << 62) + 12345, &rel));
	lat_cgmap_name(map, &t, (1ull << 62) + 12345, &n);
	EXPECT_EQ(LAT_CG_UNKNOWN, (int)n.state);
	lat_cgmap_name(map, &t, LAT_NO_CGROUP, &n);
	EXPECT_EQ(LAT_CG_NONE, (int)n.state);

	/* cgroup c does I/O, then goes away while the probe runs */
	ASSERT_EQ(0, write_counted(self, 2, 100, 0, 0, &r, &w));
	EXPECT_EQ(100ull, w.count);
	ASSERT_EQ(0, lt_cgroup_remove(self->cg[2]));
	ASSERT_EQ(0, lat_probe_read(self->probe, &self->snap));
	c = find(&self->snap, self->id[2], self->loop.kdev, LAT_WRITE);
	ASSERT_NE(NULL, c);
	EXPECT_GE(c->d.count, 100ull);		/* its figures stay */
	ASSERT_EQ(0, lat_cgmap_refresh(map));
	EXPECT_EQ(1, lat_cgmap_lookup(map, self->id[2], &rel));	/* removed */
	lat_cgmap_name(map, &t, self->id[2], &n);
	EXPECT_EQ(LAT_CG_REMOVED, (int)n.state);
	EXPECT_STREQ(strrchr(self->cg[2], '/') + 1, n.ctid);
	/* and can be forgotten */
	EXPECT_GE(lat_probe_forget(self->probe, self->id[2]), 1);
	ASSERT_EQ(0, lat_probe_read(self->probe, &self->snap));
	EXPECT_EQ(NULL, find(&self->snap, self->id[2], self->loop.kdev, LAT_WRITE));
	/* the other cgroups are untouched by that */
	EXPECT_EQ(0, lat_cgmap_lookup(map, self->id[0], &rel));
	/* pruned, the removed one is unknown; the live ones stay */
	lat_cgmap_prune(map);
	EXPECT_EQ(-ENOENT, lat_cgmap_lookup(map, self->id[2], &rel));
	EXPECT_EQ(0, lat_cgmap_lookup(map, self->id[1], &rel));

	lat_cgmap_free(map);
	cg_templates_free(&t);
}

TEST_HARNESS_MAIN
