// SPDX-License-Identifier: GPL-2.0
/* CGROUP_PATHS templates: parsing, formatting, path -> CTID matching. */
#include <errno.h>
#include <string.h>

#include <blkprio/cgroup.h>

#include "kselftest_harness.h"

TEST(default_list)
{
	struct cg_templates t;

	ASSERT_EQ(0, cg_templates_parse(&t, NULL, NULL));
	ASSERT_EQ(3u, t.n);
	EXPECT_STREQ("lxc/%s", t.t[0]);
	EXPECT_STREQ("machine.slice/%s", t.t[1]);
	EXPECT_STREQ("%s", t.t[2]);
	cg_templates_free(&t);
}

TEST(separators_and_leading_slash)
{
	struct cg_templates t;

	ASSERT_EQ(0, cg_templates_parse(&t, " /a/%s ,b/c-%s.scope\t%s/x ", NULL));
	ASSERT_EQ(3u, t.n);
	EXPECT_STREQ("a/%s", t.t[0]);
	EXPECT_STREQ("b/c-%s.scope", t.t[1]);
	EXPECT_STREQ("%s/x", t.t[2]);
	cg_templates_free(&t);
}

TEST(rejects)
{
	static const char *const bad[] = {
		"", " , ", "lxc", "lxc/%s/%s", "lxc/%d", "lxc/%", "a//%s", "./%s",
		"../%s", "a/../%s", "%s/", "%s/..", "a/%s/.",
	};
	struct cg_templates t;
	const char *why;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		EXPECT_EQ(-EINVAL, cg_templates_parse(&t, bad[i], &why)) {
			TH_LOG("'%s'", bad[i]);
		}
		EXPECT_NE(NULL, why);
	}
}

TEST(format)
{
	char buf[64];

	ASSERT_EQ(0, cg_template_format("lxc/%s", "101", buf, sizeof(buf)));
	EXPECT_STREQ("lxc/101", buf);
	ASSERT_EQ(0, cg_template_format("m.slice/m-%s.scope", "web", buf, sizeof(buf)));
	EXPECT_STREQ("m.slice/m-web.scope", buf);
	ASSERT_EQ(0, cg_template_format("100%%/%s", "7", buf, sizeof(buf)));
	EXPECT_STREQ("100%/7", buf);
	/* a CTID can never climb out of the hierarchy */
	EXPECT_EQ(-EINVAL, cg_template_format("lxc/%s", "../x", buf, sizeof(buf)));
	EXPECT_EQ(-EINVAL, cg_template_format("lxc/%s", "..", buf, sizeof(buf)));
	EXPECT_EQ(-ENAMETOOLONG, cg_template_format("lxc/%s", "101", buf, 5));
}

TEST(match)
{
	struct cg_templates t;
	char ctid[CTID_MAX_LEN + 1];

	ASSERT_EQ(0, cg_templates_parse(&t,
		"lxc/%s machine.slice/machine-%s.scope 100%%/%s %s", NULL));
	EXPECT_EQ(0, cg_templates_match(&t, "lxc/101", ctid, sizeof(ctid)));
	EXPECT_STREQ("101", ctid);
	EXPECT_EQ(0, cg_templates_match(&t, "/lxc/101", ctid, sizeof(ctid)));
	EXPECT_EQ(1, cg_templates_match(&t, "machine.slice/machine-web1.scope",
					ctid, sizeof(ctid)));
	EXPECT_STREQ("web1", ctid);
	EXPECT_EQ(2, cg_templates_match(&t, "100%/55", ctid, sizeof(ctid)));
	EXPECT_STREQ("55", ctid);
	EXPECT_EQ(3, cg_templates_match(&t, "202", ctid, sizeof(ctid)));
	EXPECT_STREQ("202", ctid);
	/* parents of containers are not containers */
	EXPECT_EQ(-ENOENT, cg_templates_match(&t, "lxc", ctid, sizeof(ctid)));
	EXPECT_EQ(-ENOENT, cg_templates_match(&t, "machine.slice", ctid, sizeof(ctid)));
	/* deeper paths and empty or invalid CTIDs match nothing */
	EXPECT_EQ(-ENOENT, cg_templates_match(&t, "lxc/101/payload", ctid, sizeof(ctid)));
	EXPECT_EQ(-ENOENT, cg_templates_match(&t, "lxc/", ctid, sizeof(ctid)));
	EXPECT_EQ(-ENOENT, cg_templates_match(&t, "machine.slice/machine-.scope",
					      ctid, sizeof(ctid)));
	EXPECT_EQ(-ENOENT, cg_templates_match(&t, "", ctid, sizeof(ctid)));
	EXPECT_EQ(-ENOENT, cg_templates_match(&t, ".hidden", ctid, sizeof(ctid)));
	cg_templates_free(&t);
}

TEST(match_suffix_template)
{
	struct cg_templates t;
	char ctid[CTID_MAX_LEN + 1];

	ASSERT_EQ(0, cg_templates_parse(&t, "ct/%s/payload", NULL));
	EXPECT_EQ(0, cg_templates_match(&t, "ct/7/payload", ctid, sizeof(ctid)));
	EXPECT_STREQ("7", ctid);
	EXPECT_EQ(-ENOENT, cg_templates_match(&t, "ct/7", ctid, sizeof(ctid)));
	EXPECT_EQ(-ENOENT, cg_templates_match(&t, "ct/a/b/payload", ctid, sizeof(ctid)));
	cg_templates_free(&t);
}

TEST_HARNESS_MAIN
