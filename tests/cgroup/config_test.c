// SPDX-License-Identifier: GPL-2.0
/* blkpriod.conf: defaults, every key, bad values reported with file:line. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <blkprio/cgroup.h>

#include "kselftest_harness.h"

struct diags {
	unsigned int n;
	char msg[8][256];
};

static void collect(void *ctx, const char *file, unsigned int line, const char *msg)
{
	struct diags *d = ctx;

	if (d->n < 8)
		snprintf(d->msg[d->n], sizeof(d->msg[0]), "%s:%u: %s",
			 strrchr(file, '/') ? strrchr(file, '/') + 1 : file, line, msg);
	d->n++;
}

FIXTURE(cfg) {
	char dir[64];
	char path[96];
	struct cg_config c;
	struct diags d;
};

FIXTURE_SETUP(cfg)
{
	strcpy(self->dir, "/tmp/blkprio-test-cfg-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(self->path, sizeof(self->path), "%s/blkpriod.conf", self->dir);
	memset(&self->d, 0, sizeof(self->d));
	ASSERT_EQ(0, cg_config_init(&self->c));
}

FIXTURE_TEARDOWN(cfg)
{
	cg_config_free(&self->c);
	unlink(self->path);
	rmdir(self->dir);
}

static void write_conf(struct __test_metadata *_metadata, const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ASSERT_NE(NULL, f);
	fputs(text, f);
	fclose(f);
}

TEST_F(cfg, missing_file_gives_defaults)
{
	ASSERT_EQ(0, cg_config_load(&self->c, self->path, collect, &self->d));
	EXPECT_EQ(0u, self->d.n);
	EXPECT_STREQ(CONF_DEFAULT_DIR, self->c.conf_dirs);
	EXPECT_STREQ(CONF_DEFAULT_RUN_DIR, self->c.run_dir);
	ASSERT_EQ(3u, self->c.templates.n);
	EXPECT_STREQ("lxc/%s", self->c.templates.t[0]);
	EXPECT_EQ(PRIO_MAP_OPENVZ, self->c.map.kind);
	EXPECT_FALSE(self->c.task_ioprio);
	EXPECT_EQ(0u, self->c.nbfq);
	EXPECT_EQ(0u, self->c.nthrottle);
}

TEST_F(cfg, every_key)
{
	write_conf(_metadata, self->path,
		   "# blkpriod\n"
		   "CONF_DIRS=\"/etc/vz/conf /etc/pve/openvz\"\n"
		   "RUN_DIR='/run/x'\n"
		   "CGROUP_PATHS=\"machine.slice/machine-%s.scope,lxc/%s\"\n"
		   "WEIGHT_MAP=\"10 20 30 40 100 200 300 400\"\n"
		   "APPLY_TASK_IOPRIO=yes\n"
		   "BFQ_DEVICES=\"7:0\"\n"
		   "THROTTLE_DEVICES=\"7:0, 7:1\"\n"
		   "LATENCY=\"yes\"\n"
		   "METRICS_LISTEN=\"127.0.0.1:9000\"\n");
	ASSERT_EQ(0, cg_config_load(&self->c, self->path, collect, &self->d));
	EXPECT_EQ(0u, self->d.n) {
		TH_LOG("%s", self->d.msg[0]);
	}
	EXPECT_STREQ("/etc/vz/conf /etc/pve/openvz", self->c.conf_dirs);
	EXPECT_STREQ("/run/x", self->c.run_dir);
	ASSERT_EQ(2u, self->c.templates.n);
	EXPECT_STREQ("machine.slice/machine-%s.scope", self->c.templates.t[0]);
	EXPECT_EQ(PRIO_MAP_EXPLICIT, self->c.map.kind);
	EXPECT_EQ(400u, self->c.map.w[7]);
	EXPECT_TRUE(self->c.task_ioprio);
	ASSERT_EQ(1u, self->c.nbfq);
	EXPECT_EQ(7u, self->c.bfq[0].major);
	ASSERT_EQ(2u, self->c.nthrottle);
	EXPECT_EQ(1u, self->c.throttle[1].minor);
	/* other modules read their keys from the raw config */
	EXPECT_STREQ("127.0.0.1:9000", conf_find(&self->c.raw, "METRICS_LISTEN")->value);
}

TEST_F(cfg, bad_values_keep_defaults)
{
	write_conf(_metadata, self->path,
		   "CGROUP_PATHS=\"lxc/%s/%s\"\n"
		   "WEIGHT_MAP=\"steep\"\n"
		   "APPLY_TASK_IOPRIO=\"perhaps\"\n"
		   "THROTTLE_DEVICES=\"7:0 nosuchdisk0 ../x\"\n"
		   "RUN_DIR=\"\"\n"
		   "FROBNICATE=1\n");
	ASSERT_EQ(0, cg_config_load(&self->c, self->path, collect, &self->d));
	ASSERT_EQ(7u, self->d.n);
	EXPECT_EQ(0, strncmp(self->d.msg[0], "blkpriod.conf:1: invalid CGROUP_PATHS", 37)) {
		TH_LOG("%s", self->d.msg[0]);
	}
	EXPECT_EQ(0, strncmp(self->d.msg[1], "blkpriod.conf:2: invalid WEIGHT_MAP", 35));
	EXPECT_EQ(0, strncmp(self->d.msg[2], "blkpriod.conf:3: invalid value", 30));
	EXPECT_NE(NULL, strstr(self->d.msg[3], "blkpriod.conf:4: THROTTLE_DEVICES: device "
				"'nosuchdisk0' ignored"));
	EXPECT_NE(NULL, strstr(self->d.msg[4], "'../x' ignored"));
	EXPECT_EQ(0, strncmp(self->d.msg[5], "blkpriod.conf:5: invalid value for RUN_DIR", 42));
	EXPECT_NE(NULL, strstr(self->d.msg[6], "blkpriod.conf:6: unknown key FROBNICATE"));
	/* defaults kept; the good device of the list is used */
	EXPECT_STREQ("lxc/%s", self->c.templates.t[0]);
	EXPECT_EQ(PRIO_MAP_OPENVZ, self->c.map.kind);
	EXPECT_FALSE(self->c.task_ioprio);
	EXPECT_EQ(1u, self->c.nthrottle);
	EXPECT_STREQ(CONF_DEFAULT_RUN_DIR, self->c.run_dir);
}

/* Share control and the probes: typed here, since the lever choice needs them. */
TEST_F(cfg, share_and_latency_keys)
{
	EXPECT_EQ(CG_SHARE_AUTO, self->c.share);
	EXPECT_TRUE(self->c.latency);
	EXPECT_TRUE(cg_config_share_device(&self->c, "loop0"));
	write_conf(_metadata, self->path,
		   "SHARE_CONTROL=\"no\"\nLATENCY=\"off\"\nSHARE_DEVICES=\"sda, loop3\"\n");
	ASSERT_EQ(0, cg_config_load(&self->c, self->path, collect, &self->d));
	EXPECT_EQ(0u, self->d.n);
	EXPECT_EQ(CG_SHARE_NO, self->c.share);
	EXPECT_FALSE(self->c.latency);
	EXPECT_TRUE(cg_config_share_device(&self->c, "sda"));
	EXPECT_TRUE(cg_config_share_device(&self->c, "loop3"));
	EXPECT_FALSE(cg_config_share_device(&self->c, "loop"));
	EXPECT_FALSE(cg_config_share_device(&self->c, "sd"));
	EXPECT_FALSE(cg_config_share_device(&self->c, "loop30"));
	cg_config_free(&self->c);
	ASSERT_EQ(0, cg_config_init(&self->c));
	write_conf(_metadata, self->path,
		   "SHARE_CONTROL=\"maybe\"\nLATENCY=\"sometimes\"\n");
	ASSERT_EQ(0, cg_config_load(&self->c, self->path, collect, &self->d));
	ASSERT_EQ(2u, self->d.n);
	EXPECT_STREQ("blkpriod.conf:1: SHARE_CONTROL: 'maybe' is not auto, yes or no; using auto",
		     self->d.msg[0]);
	EXPECT_STREQ("blkpriod.conf:2: LATENCY: 'sometimes' is not yes or no; using yes",
		     self->d.msg[1]);
	EXPECT_EQ(CG_SHARE_AUTO, self->c.share);
	EXPECT_TRUE(self->c.latency);
}

TEST_F(cfg, unreadable_is_an_error)
{
	/* a folder where the file should be */
	ASSERT_EQ(0, mkdir(self->path, 0700));
	EXPECT_NE(0, cg_config_load(&self->c, self->path, collect, &self->d));
	rmdir(self->path);
}

TEST_HARNESS_MAIN
