// SPDX-License-Identifier: GPL-2.0
/*
 * The cgroup module against the real kernel: layout, create/destroy/attach,
 * weights read back from the kernel, limits, per-task ioprio, the scheduler
 * check. Each test works under its own cgroup "blkprio-test-<pid>" (v1: the
 * system blkio hierarchy; v2: a private cgroup2 mount when the io controller
 * is free) and removes it in the teardown, pass or fail.
 */
#include <errno.h>
#include <signal.h>
#include <sys/vfs.h>
#include <sys/wait.h>

#include <linux/magic.h>

#include <blkprio/cgroup.h>

#include "kselftest_harness.h"
#include "testutil.h"

FIXTURE(cg) {
	struct cg_layout l;
	struct cg_templates t;
	char parent[64];
	char root[PATH_MAX];	/* MOUNT/parent */
	char v2dir[PATH_MAX];	/* private mount, if any */
	pid_t child;
};

FIXTURE_VARIANT(cg) {
	enum cg_version ver;
};
FIXTURE_VARIANT_ADD(cg, v1) { .ver = CG_V1 };
FIXTURE_VARIANT_ADD(cg, v2) { .ver = CG_V2 };

FIXTURE_SETUP(cg)
{
	char tmpl[128];
	int err;

	self->root[0] = '\0';
	if (geteuid())
		SKIP(return, "needs root for cgroups");
	err = cg_layout_detect(&self->l);
	if (variant->ver == CG_V1 && (err || self->l.ver != CG_V1))
		SKIP(return, "no cgroup v1 blkio hierarchy here");
	if (variant->ver == CG_V2 && (err || self->l.ver != CG_V2)) {
		if (tu_mount_v2_io(self->v2dir, sizeof(self->v2dir))) {
			self->v2dir[0] = '\0';
			SKIP(return, "no cgroup v2 io controller%s",
			     self->l.ver == CG_V1 ? ": io is held by the v1 blkio hierarchy" : "");
		}
		ASSERT_EQ(0, cg_layout_at(&self->l, CG_V2, self->v2dir));
	}
	snprintf(self->parent, sizeof(self->parent), "blkprio-test-%d", getpid());
	snprintf(tmpl, sizeof(tmpl), "%s/%%s", self->parent);
	ASSERT_EQ(0, cg_templates_parse(&self->t, tmpl, NULL));
	ASSERT_LT(strlen(self->l.mount) + strlen(self->parent) + 1, sizeof(self->root));
	strcat(strcat(strcpy(self->root, self->l.mount), "/"), self->parent);
}

FIXTURE_TEARDOWN(cg)
{
	if (self->child > 0) {
		kill(self->child, SIGKILL);
		waitpid(self->child, NULL, 0);
	}
	if (self->root[0])
		tu_rm_cgroup_tree(self->root);
	cg_templates_free(&self->t);
	if (self->v2dir[0]) {
		umount2(self->v2dir, MNT_DETACH);
		rmdir(self->v2dir);
	}
}

/* First line of MOUNT/REL/FILE without its newline ("" for an empty file). */
static int read_cg_line(const struct cg_layout *l, const char *rel, const char *file,
			char *buf, size_t len)
{
	char path[PATH_MAX * 2 + 64];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/%s", l->mount, rel, file);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	if (!fgets(buf, (int)len, f))
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/* A child that sleeps inside the container's cgroup. */
static pid_t spawn_in(const struct cg_layout *l, const char *rel)
{
	pid_t pid = fork();

	if (pid == 0) {
		if (cg_attach(l, rel, getpid()))
			_exit(1);
		for (;;)
			pause();
	}
	return pid;
}

TEST_F(cg, layout)
{
	struct cg_layout l;

	EXPECT_EQ(variant->ver, self->l.ver);
	EXPECT_STREQ(variant->ver == CG_V2 ? "io" : "blkio", cg_controller_name(&self->l));
	EXPECT_EQ(0, cg_layout_at(&l, self->l.ver, self->l.mount));
	EXPECT_STREQ(self->l.mount, l.mount);
	/* a hierarchy of another kind is refused */
	EXPECT_NE(0, cg_layout_at(&l, variant->ver == CG_V1 ? CG_V2 : CG_V1, self->l.mount));
	EXPECT_NE(0, cg_layout_at(&l, variant->ver, "/tmp"));
	/* hybrid: v1 blkio next to a cgroup2 mount, which is named */
	if (self->l.hybrid) {
		struct statfs sfs;

		EXPECT_EQ(CG_V1, self->l.ver);
		ASSERT_EQ(0, statfs(self->l.v2_mount, &sfs));
		EXPECT_EQ(CGROUP2_SUPER_MAGIC, sfs.f_type);
	}
}

static int count_cb(void *ctx, const struct cg_ct_entry *e)
{
	(*(int *)ctx)++;
	return strcmp(e->ctid, "101") && strcmp(e->ctid, "202") ? -EINVAL : 0;
}

TEST_F(cg, create_find_destroy)
{
	char rel[PATH_MAX], ctid[CTID_MAX_LEN + 1];
	struct cg_templates both;
	char spec[256];
	int seen = 0;

	ASSERT_EQ(-ENOENT, cg_ct_find(&self->l, &self->t, "101", rel, sizeof(rel)));
	ASSERT_EQ(0, cg_template_format(self->t.t[0], "101", rel, sizeof(rel)));
	ASSERT_EQ(0, cg_create(&self->l, rel));
	EXPECT_EQ(-EEXIST, cg_create(&self->l, rel));
	EXPECT_EQ(-EINVAL, cg_create(&self->l, "blkprio-test-none/../x"));
	EXPECT_EQ(-EINVAL, cg_destroy(&self->l, ".."));
	EXPECT_EQ(0, cg_ct_find(&self->l, &self->t, "101", rel, sizeof(rel)));
	EXPECT_EQ(0, cg_templates_match(&self->t, rel, ctid, sizeof(ctid)));
	EXPECT_STREQ("101", ctid);

	/* a second template: the first existing one wins, foreach reports once */
	snprintf(spec, sizeof(spec), "%s/other/%%s %s/%%s", self->parent, self->parent);
	ASSERT_EQ(0, cg_templates_parse(&both, spec, NULL));
	snprintf(rel, sizeof(rel), "%s/other/202", self->parent);
	ASSERT_EQ(0, cg_create(&self->l, rel));
	EXPECT_EQ(0, cg_ct_find(&self->l, &both, "202", rel, sizeof(rel)));
	EXPECT_EQ(1, cg_ct_find(&self->l, &both, "101", rel, sizeof(rel)));

	/* "other" is the parent of a template, not a container */
	EXPECT_EQ(2, cg_ct_foreach(&self->l, &both, count_cb, &seen));
	EXPECT_EQ(2, seen);
	cg_templates_free(&both);

	snprintf(rel, sizeof(rel), "%s/101", self->parent);
	EXPECT_EQ(0, cg_destroy(&self->l, rel));
	EXPECT_EQ(-ENOENT, cg_destroy(&self->l, rel));
	EXPECT_EQ(-ENOENT, cg_ct_find(&self->l, &self->t, "101", rel, sizeof(rel)));
}

TEST_F(cg, destroy_busy_and_attach)
{
	char rel[PATH_MAX], buf[64];

	snprintf(rel, sizeof(rel), "%s/7", self->parent);
	ASSERT_EQ(0, cg_create(&self->l, rel));
	self->child = spawn_in(&self->l, rel);
	ASSERT_GT(self->child, 0);
	/* wait until the child is inside */
	for (int i = 0; i < 1000; i++) {
		ASSERT_EQ(0, read_cg_line(&self->l, rel, "cgroup.procs", buf, sizeof(buf)));
		if (atoi(buf) == self->child)
			break;
		usleep(1000);
	}
	ASSERT_EQ(self->child, atoi(buf));
	/* a running container's cgroup is never torn away from it */
	EXPECT_EQ(-EBUSY, cg_destroy(&self->l, rel));
	kill(self->child, SIGKILL);
	waitpid(self->child, NULL, 0);
	self->child = 0;
	EXPECT_EQ(0, cg_destroy(&self->l, rel));
}

TEST_F(cg, weights_every_map)
{
	static const char *const maps[] = { "openvz", "wide", "1 2 3 4 5 6 7 2000" };
	struct cg_weights w, have;
	struct prio_map m;
	char rel[PATH_MAX];
	size_t i;
	int p;

	snprintf(rel, sizeof(rel), "%s/101", self->parent);
	ASSERT_EQ(0, cg_create(&self->l, rel));
	ASSERT_EQ(0, prio_map_parse("openvz", &m, NULL));
	/* a kernel without weights: -ENODEV, nothing written (ct_apply tests that case) */
	if (cg_weight_set(&self->l, rel, &m, 4, &w) == -ENODEV) {
		EXPECT_EQ(-1, w.bfq);
		EXPECT_EQ(-1, w.io);
		EXPECT_EQ(-ENODEV, cg_weight_get(&self->l, rel, &have));
		SKIP(return, "no weight file in the cgroup: no BFQ (v1 blkio.bfq.weight) "
		     "and no io.weight here");
	}
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, prio_map_parse(maps[i], &m, NULL));
		for (p = 0; p < PRIO_LEVELS; p++) {
			ASSERT_EQ(0, cg_weight_set(&self->l, rel, &m, p, &w)) {
				TH_LOG("map %s ioprio %d", maps[i], p);
			}
			ASSERT_EQ(0, cg_weight_get(&self->l, rel, &have));
			EXPECT_EQ(w.bfq, have.bfq) {
				TH_LOG("map %s ioprio %d", maps[i], p);
			}
			EXPECT_EQ(w.io, have.io);
			EXPECT_EQ(w.blkio, have.blkio);
			if (have.bfq >= 0)
				EXPECT_EQ((int)prio_weight(&m, PRIO_FILE_BFQ, p), have.bfq);
			EXPECT_TRUE(cg_weight_matches(&m, p, &have));
			EXPECT_FALSE(cg_weight_matches(&m, p == 7 ? 6 : 7, &have) &&
				     prio_weight(&m, PRIO_FILE_BFQ, p) !=
				     prio_weight(&m, PRIO_FILE_BFQ, p == 7 ? 6 : 7));
		}
	}
	/* clamped: 2000 in the map becomes BFQ's maximum 1000 */
	ASSERT_EQ(0, cg_weight_set(&self->l, rel, &m, 7, &w));
	if (w.bfq >= 0)
		EXPECT_EQ(1000, w.bfq);
	/* a vanished cgroup is -ENOENT, not a hard error */
	ASSERT_EQ(0, cg_destroy(&self->l, rel));
	EXPECT_EQ(-ENOENT, cg_weight_set(&self->l, rel, &m, 4, &w));
	EXPECT_EQ(-ENOENT, cg_weight_get(&self->l, rel, &have));
}

static void dev_parse_forms(struct __test_metadata *_metadata, const char *dev,
			    const struct cg_dev *d)
{
	struct cg_dev d2;
	char p[64];

	snprintf(p, sizeof(p), "/dev/%s", dev);
	EXPECT_EQ(0, cg_dev_parse(p, &d2));
	EXPECT_EQ(d->minor, d2.minor);
	snprintf(p, sizeof(p), "%u:%u", d->major, d->minor);
	EXPECT_EQ(0, cg_dev_parse(p, &d2));
	EXPECT_EQ(d->minor, d2.minor);
	EXPECT_EQ(-ENODEV, cg_dev_parse("nosuchdisk0", &d2));
	EXPECT_EQ(-EINVAL, cg_dev_parse("../vda", &d2));
	EXPECT_EQ(-EINVAL, cg_dev_parse("", &d2));
}

TEST_F(cg, limits_on_own_loop)
{
	char rel[PATH_MAX], dev[32], buf[256], want[128];
	const char *file;
	struct cg_dev d;
	int lfd;

	snprintf(rel, sizeof(rel), "%s/101", self->parent);
	ASSERT_EQ(0, cg_create(&self->l, rel));
	lfd = tu_loop_new(dev, sizeof(dev), 16 << 20);
	if (lfd < 0)
		SKIP(return, "no loop device: %s", strerror(-lfd));
	ASSERT_EQ(0, cg_dev_parse(dev, &d));
	EXPECT_EQ(7u, d.major);
	dev_parse_forms(_metadata, dev, &d);

	ASSERT_EQ(0, cg_limits_set(&self->l, rel, &d, 1, 10 << 20, 300));
	if (self->l.ver == CG_V1) {
		file = "blkio.throttle.write_bps_device";
		snprintf(want, sizeof(want), "%u:%u %u", d.major, d.minor, 10 << 20);
	} else {
		file = "io.max";
		snprintf(want, sizeof(want), "%u:%u rbps=%u wbps=%u riops=300 wiops=300",
			 d.major, d.minor, 10 << 20, 10 << 20);
	}
	ASSERT_EQ(0, read_cg_line(&self->l, rel, file, buf, sizeof(buf)));
	EXPECT_STREQ(want, buf);
	if (self->l.ver == CG_V1) {
		snprintf(want, sizeof(want), "%u:%u 300", d.major, d.minor);
		ASSERT_EQ(0, read_cg_line(&self->l, rel, "blkio.throttle.read_iops_device",
					  buf, sizeof(buf)));
		EXPECT_STREQ(want, buf);
	}
	/* 0 removes the limits (v2: "max", never 0) */
	ASSERT_EQ(0, cg_limits_set(&self->l, rel, &d, 1, 0, 0));
	ASSERT_EQ(0, read_cg_line(&self->l, rel, file, buf, sizeof(buf)));
	EXPECT_STREQ("", buf);
	close(lfd);
}

/*
 * One container's settings through cg_ct_apply, on whatever this kernel has:
 * weights where the cgroup has weight files, none written (and no error)
 * where it has not; the limits on THROTTLE_DEVICES either way.
 */
TEST_F(cg, ct_apply_any_kernel)
{
	struct cg_config cfg;
	struct cg_apply_result r;
	struct ct_settings s;
	struct cg_weights have;
	struct cg_ctx cx;
	char rel[PATH_MAX], dev[32], buf[256], want[128];
	int lfd, err;

	ASSERT_EQ(0, cg_config_init(&cfg));
	cg_templates_free(&cfg.templates);
	cfg.templates = self->t;
	memset(&self->t, 0, sizeof(self->t));
	cx.layout = self->l;
	cx.cfg = &cfg;
	ct_settings_init(&s);
	s.v[CT_IOPRIO].val = 7;
	s.v[CT_IOPSLIMIT].val = 250;
	/* not running: no cgroup */
	EXPECT_EQ(-ENOENT, cg_ct_apply(&cx, "101", &s, &r));
	snprintf(rel, sizeof(rel), "%s/101", self->parent);
	ASSERT_EQ(0, cg_create(&self->l, rel));
	lfd = tu_loop_new(dev, sizeof(dev), 16 << 20);
	if (lfd >= 0) {
		ASSERT_EQ(0, cg_dev_parse(dev, &cfg.throttle[0]));
		cfg.nthrottle = 1;
	}
	ASSERT_EQ(0, cg_ct_apply(&cx, "101", &s, &r));
	EXPECT_STREQ(rel, r.rel);
	err = cg_weight_get(&self->l, rel, &have);
	if (err == -ENODEV) {
		EXPECT_EQ(-1, r.written.bfq);
		EXPECT_EQ(-1, r.written.io);
		EXPECT_EQ(-1, r.written.blkio);
	} else {
		ASSERT_EQ(0, err);
		EXPECT_TRUE(cg_weight_matches(&cfg.map, 7, &have));
		EXPECT_TRUE(r.written.bfq == 128 || r.written.io == 128);
	}
	if (lfd >= 0) {
		snprintf(want, sizeof(want), self->l.ver == CG_V1 ? "%u:%u 250" :
			 "%u:%u rbps=max wbps=max riops=250 wiops=250",
			 cfg.throttle[0].major, cfg.throttle[0].minor);
		ASSERT_EQ(0, read_cg_line(&self->l, rel, self->l.ver == CG_V1 ?
					  "blkio.throttle.read_iops_device" : "io.max",
					  buf, sizeof(buf)));
		EXPECT_STREQ(want, buf);
		close(lfd);
	}
	cg_config_free(&cfg);
}

/*
 * The lever of a loop device of ours, from what this kernel offers: BFQ's
 * weights where BFQ runs it, else caps where the throttle files and BTF are
 * there; none when share control is off or the probes cannot run.
 */
TEST_F(cg, lever_own_loop)
{
	struct cg_lever_choice ch;
	struct cg_devcheck c;
	struct cg_config cfg;
	char dev[32];
	int lfd;

	lfd = tu_loop_new(dev, sizeof(dev), 16 << 20);
	if (lfd < 0)
		SKIP(return, "no loop device: %s", strerror(-lfd));
	ASSERT_EQ(0, cg_config_init(&cfg));
	ASSERT_EQ(0, cg_dev_check(&self->l, dev, &c));
	EXPECT_EQ(32768u, c.sectors);
	/* the throttle files are what this layout offers (v1: at the root) */
	if (self->l.ver == CG_V1)
		EXPECT_EQ(!access("/sys/fs/cgroup/blkio/blkio.throttle.read_bps_device", F_OK) ||
			  strcmp(self->l.mount, "/sys/fs/cgroup/blkio"), c.throttle);
	EXPECT_EQ(!access("/sys/kernel/btf/vmlinux", R_OK), c.btf);
	cg_dev_lever(&c, &cfg, c.btf, &ch);
	if (c.weights_work) {
		EXPECT_TRUE(cg_lever_is_weight(ch.lever));
		EXPECT_FALSE(ch.share);		/* auto: weights act alone */
	} else if (c.throttle && c.btf) {
		EXPECT_EQ(CG_LEVER_CAPS, ch.lever);
		EXPECT_TRUE(ch.share);
	} else {
		EXPECT_EQ(CG_LEVER_NONE, ch.lever);
	}
	EXPECT_EQ(ch.lever != CG_LEVER_NONE, ch.kept);
	if (!c.weights_work) {
		cfg.share = CG_SHARE_NO;
		cg_dev_lever(&c, &cfg, c.btf, &ch);
		EXPECT_EQ(CG_LEVER_NONE, ch.lever);
		EXPECT_FALSE(ch.kept);
		EXPECT_NE(NULL, strstr(ch.why, "SHARE_CONTROL=no"));
		cfg.share = CG_SHARE_AUTO;
		cfg.latency = false;
		cg_dev_lever(&c, &cfg, c.btf, &ch);
		EXPECT_EQ(CG_LEVER_NONE, ch.lever);
		EXPECT_NE(NULL, strstr(ch.why, "LATENCY=no"));
	}
	cg_config_free(&cfg);
	close(lfd);
}

TEST_F(cg, task_ioprio)
{
	char rel[PATH_MAX];
	int cls, lvl, n;

	snprintf(rel, sizeof(rel), "%s/101", self->parent);
	ASSERT_EQ(0, cg_create(&self->l, rel));
	self->child = spawn_in(&self->l, rel);
	ASSERT_GT(self->child, 0);
	for (n = 0; n < 1000; n++) {
		n = cg_task_ioprio_set(&self->l, rel, 6);
		if (n > 0)
			break;
		usleep(1000);
	}
	ASSERT_EQ(1, n);
	ASSERT_EQ(0, cg_task_ioprio_get(self->child, &cls, &lvl));
	EXPECT_EQ(2, cls);	/* best effort */
	EXPECT_EQ(1, lvl);	/* 7 - 6 */
	EXPECT_EQ(1, cg_task_ioprio_set(&self->l, rel, 0));
	ASSERT_EQ(0, cg_task_ioprio_get(self->child, &cls, &lvl));
	EXPECT_EQ(7, lvl);
	EXPECT_EQ(-EINVAL, cg_task_ioprio_set(&self->l, rel, 8));
}

TEST_F(cg, check_and_fix_own_loop)
{
	struct cg_devcheck c;
	char dev[32], path[PATH_MAX];
	int lfd, err;
	FILE *f;

	lfd = tu_loop_new(dev, sizeof(dev), 16 << 20);
	if (lfd < 0)
		SKIP(return, "no loop device: %s", strerror(-lfd));
	ASSERT_EQ(0, cg_dev_check(&self->l, dev, &c));
	EXPECT_EQ(7u, c.major);
	if (!c.bfq_avail) {
		close(lfd);
		SKIP(return, "BFQ not available for loop devices");
	}
	err = cg_dev_set_bfq(dev);
	ASSERT_EQ(0, err);
	ASSERT_EQ(0, cg_dev_check(&self->l, dev, &c));
	EXPECT_STREQ("bfq", c.sched);
	EXPECT_TRUE(c.weights_work);
	EXPECT_NE(-1, c.low_latency);
	/* set it back to none: weights cannot work, and check says why */
	snprintf(path, sizeof(path), "/sys/block/%s/queue/scheduler", dev);
	f = fopen(path, "w");
	ASSERT_NE(NULL, f);
	fputs("none", f);
	fclose(f);
	ASSERT_EQ(0, cg_dev_check(&self->l, dev, &c));
	if (!c.iocost)
		EXPECT_FALSE(c.weights_work);
	EXPECT_EQ(-ENODEV, cg_dev_check(&self->l, "nosuchdisk0", &c));
	EXPECT_EQ(-EINVAL, cg_dev_check(&self->l, "../x", &c));
	close(lfd);
}

TEST_HARNESS_MAIN
