// SPDX-License-Identifier: GPL-2.0
/*
 * The lever of a device from the kernel's facts and the daemon's settings,
 * for every kind of kernel (facts written here; cgroup_kernel checks them
 * against the running kernel): BFQ, io.cost, caps, none and why.
 */
#include <errno.h>
#include <string.h>

#include <blkprio/cgroup.h>

#include "kselftest_harness.h"

FIXTURE(lv) {
	struct cg_devcheck c;
	struct cg_config cfg;
	struct cg_lever_choice ch;
};

/* A v1 host without BFQ: mq-deadline, the throttle files, BTF. */
FIXTURE_SETUP(lv)
{
	memset(&self->c, 0, sizeof(self->c));
	snprintf(self->c.name, sizeof(self->c.name), "sda");
	self->c.major = 8;
	self->c.ver = CG_V1;
	self->c.sectors = 1 << 20;
	snprintf(self->c.sched, sizeof(self->c.sched), "mq-deadline");
	self->c.low_latency = -1;
	self->c.throttle = self->c.btf = true;
	ASSERT_EQ(0, cg_config_init(&self->cfg));
}

FIXTURE_TEARDOWN(lv)
{
	cg_config_free(&self->cfg);
}

static void bfq_on(struct cg_devcheck *c)
{
	snprintf(c->sched, sizeof(c->sched), "bfq");
	c->bfq_avail = c->bfq_groups = c->weights_work = true;
	c->low_latency = 0;
}

TEST(names_round_trip)
{
	static const char *const names[] = { "none", "bfq", "iocost", "caps" };
	enum cg_lever l;
	char buf[64];
	int i;

	for (i = 0; i < CG_NLEVERS; i++) {
		EXPECT_STREQ(names[i], cg_lever_name((enum cg_lever)i));
		ASSERT_EQ(0, cg_lever_parse(names[i], &l));
		EXPECT_EQ(i, (int)l);
	}
	EXPECT_EQ(-EINVAL, cg_lever_parse("weight", &l));
	EXPECT_EQ(-EINVAL, cg_lever_parse("", &l));
	EXPECT_TRUE(cg_lever_is_weight(CG_LEVER_BFQ));
	EXPECT_TRUE(cg_lever_is_weight(CG_LEVER_IOCOST));
	EXPECT_FALSE(cg_lever_is_weight(CG_LEVER_CAPS));
	EXPECT_STREQ("-", cg_levers_join(0, buf, sizeof(buf)));
	EXPECT_STREQ("bfq,caps", cg_levers_join(1u << CG_LEVER_CAPS | 1u << CG_LEVER_BFQ,
						buf, sizeof(buf)));
	EXPECT_STREQ("none", cg_levers_join(1u << CG_LEVER_NONE, buf, sizeof(buf)));
}

TEST_F(lv, no_weights_means_caps)
{
	cg_dev_lever(&self->c, &self->cfg, true, &self->ch);
	EXPECT_EQ(CG_LEVER_CAPS, self->ch.lever);
	EXPECT_TRUE(self->ch.share);
	EXPECT_TRUE(self->ch.kept);
	EXPECT_NE(NULL, strstr(self->ch.why, "mq-deadline"));
	EXPECT_STREQ("", self->ch.fix);	/* no BFQ, v1: nothing better here */
	/* yes means caps here too */
	self->cfg.share = CG_SHARE_YES;
	cg_dev_lever(&self->c, &self->cfg, true, &self->ch);
	EXPECT_EQ(CG_LEVER_CAPS, self->ch.lever);
}

TEST_F(lv, fixes_offered)
{
	self->c.bfq_avail = self->c.bfq_groups = true;
	cg_dev_lever(&self->c, &self->cfg, true, &self->ch);
	EXPECT_EQ(CG_LEVER_CAPS, self->ch.lever);
	EXPECT_NE(NULL, strstr(self->ch.fix, "blkprio check --fix sda"));
	self->c.bfq_avail = false;
	self->c.bfq_module = true;
	cg_dev_lever(&self->c, &self->cfg, true, &self->ch);
	EXPECT_NE(NULL, strstr(self->ch.fix, "modprobe bfq"));
	self->c.bfq_module = false;
	self->c.ver = CG_V2;
	cg_dev_lever(&self->c, &self->cfg, true, &self->ch);
	EXPECT_NE(NULL, strstr(self->ch.fix, "io.cost")) {
		TH_LOG("%s", self->ch.fix);
	}
	EXPECT_NE(NULL, strstr(self->ch.fix, "blkprio calibrate sda --apply"));
}

TEST_F(lv, bfq_weights_alone_by_default)
{
	bfq_on(&self->c);
	cg_dev_lever(&self->c, &self->cfg, true, &self->ch);
	EXPECT_EQ(CG_LEVER_BFQ, self->ch.lever);
	EXPECT_FALSE(self->ch.share);
	EXPECT_TRUE(self->ch.kept);
	EXPECT_NE(NULL, strstr(self->ch.fix, "SHARE_CONTROL=yes"));
	self->cfg.share = CG_SHARE_YES;
	cg_dev_lever(&self->c, &self->cfg, true, &self->ch);
	EXPECT_EQ(CG_LEVER_BFQ, self->ch.lever);
	EXPECT_TRUE(self->ch.share);
	/* without the probes, no share control even when asked */
	cg_dev_lever(&self->c, &self->cfg, false, &self->ch);
	EXPECT_FALSE(self->ch.share);
	/* low_latency is said */
	self->c.low_latency = 1;
	cg_dev_lever(&self->c, &self->cfg, true, &self->ch);
	EXPECT_NE(NULL, strstr(self->ch.fix, "low_latency"));
}

TEST_F(lv, bfq_without_groups_is_caps)
{
	bfq_on(&self->c);
	self->c.bfq_groups = self->c.weights_work = false;
	cg_dev_lever(&self->c, &self->cfg, true, &self->ch);
	EXPECT_EQ(CG_LEVER_CAPS, self->ch.lever);
	EXPECT_NE(NULL, strstr(self->ch.why, "without cgroup support"));
}

TEST_F(lv, iocost)
{
	self->c.ver = CG_V2;
	self->c.iocost = self->c.weights_work = true;
	cg_dev_lever(&self->c, &self->cfg, true, &self->ch);
	EXPECT_EQ(CG_LEVER_IOCOST, self->ch.lever);
	EXPECT_FALSE(self->ch.share);
	EXPECT_TRUE(self->ch.kept);
}

/* Each reason caps cannot run, said; none keeps no promise. */
TEST_F(lv, none_and_why)
{
	static const struct { const char *why; } want[] = {
		{ "SHARE_CONTROL=no" }, { "SHARE_DEVICES" }, { "bio-based" }, { "LATENCY=no" },
		{ "did not load" }, { "no BTF" }, { "CONFIG_BLK_DEV_THROTTLING" },
		{ "no blkio (v1) or io (v2)" },
	};
	unsigned int i;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct cg_devcheck c = self->c;
		struct cg_config cfg = self->cfg;
		bool probes = true;

		switch (i) {
		case 0: cfg.share = CG_SHARE_NO; break;
		case 1: snprintf(cfg.share_devices, sizeof(cfg.share_devices), "sdb"); break;
		case 2: c.sched[0] = '\0'; break;
		case 3: cfg.latency = false; break;
		case 4: probes = false; break;
		case 5: probes = c.btf = false; break;
		case 6: c.throttle = false; break;
		default: c.ver = CG_NONE; break;
		}
		cg_dev_lever(&c, &cfg, probes, &self->ch);
		EXPECT_EQ(CG_LEVER_NONE, self->ch.lever);
		EXPECT_FALSE(self->ch.kept);
		EXPECT_FALSE(self->ch.share);
		EXPECT_NE(NULL, strstr(self->ch.why, want[i].why)) {
			TH_LOG("%u: %s", i, self->ch.why);
		}
	}
	/* off, with nothing else to offer: the fix is to turn it back on */
	self->cfg.share = CG_SHARE_NO;
	cg_dev_lever(&self->c, &self->cfg, true, &self->ch);
	EXPECT_NE(NULL, strstr(self->ch.fix, "SHARE_CONTROL=auto"));
}

TEST(share_mode_parse)
{
	enum cg_share_mode m;

	ASSERT_EQ(0, cg_share_mode_parse("auto", &m));
	EXPECT_EQ(CG_SHARE_AUTO, m);
	ASSERT_EQ(0, cg_share_mode_parse("on", &m));
	EXPECT_EQ(CG_SHARE_YES, m);
	ASSERT_EQ(0, cg_share_mode_parse("No", &m));
	EXPECT_EQ(CG_SHARE_NO, m);
	EXPECT_EQ(-EINVAL, cg_share_mode_parse("Auto ", &m));
	EXPECT_STREQ("auto", cg_share_mode_name(CG_SHARE_AUTO));
	EXPECT_STREQ("no", cg_share_mode_name(CG_SHARE_NO));
}

TEST_HARNESS_MAIN
