// SPDX-License-Identifier: GPL-2.0
/* Reading config files: syntax tolerance, duplicates, diagnostics, typed keys. */
#include <string.h>

#include <blkprio/conf.h>

#include "kselftest_harness.h"

struct diags {
	unsigned int n;
	unsigned int line[16];
	char msg[16][256];
};

static void collect(void *ctx, const char *file, unsigned int line, const char *msg)
{
	struct diags *d = ctx;

	if (d->n < 16) {
		d->line[d->n] = line;
		snprintf(d->msg[d->n], sizeof(d->msg[0]), "%s:%u: %s", file, line, msg);
	}
	d->n++;
}

static const char *get(const struct conf *c, const char *key)
{
	const struct conf_entry *e = conf_find(c, key);

	return e ? e->value : NULL;
}

TEST(syntax_tolerated)
{
	static const char text[] =
		"# comment\n"
		"\n"
		"A=\"double\"\n"
		"B='single'\n"
		"C=unquoted\n"
		"D=\"with # hash\" # and a comment\n"
		"E=plain # inline comment\n"
		"  F = \"spaced\"  \n"
		"G=\"\"\n"
		"H=\"crlf\"\r\n"
		"I=a#b\n"
		"J=\"last line without newline\"";
	struct diags d = { 0 };
	struct conf c;

	conf_init(&c);
	ASSERT_EQ(0, conf_parse(&c, text, strlen(text), "t.conf", collect, &d));
	EXPECT_EQ(0, d.n);
	EXPECT_STREQ("double", get(&c, "A"));
	EXPECT_STREQ("single", get(&c, "B"));
	EXPECT_STREQ("unquoted", get(&c, "C"));
	EXPECT_STREQ("with # hash", get(&c, "D"));
	EXPECT_STREQ("plain", get(&c, "E"));
	EXPECT_STREQ("spaced", get(&c, "F"));
	EXPECT_STREQ("", get(&c, "G"));
	EXPECT_STREQ("crlf", get(&c, "H"));
	EXPECT_STREQ("a#b", get(&c, "I"));	/* '#' inside a word is not a comment */
	EXPECT_STREQ("last line without newline", get(&c, "J"));
	EXPECT_EQ(10, c.n);
	conf_free(&c);
}

TEST(last_duplicate_wins)
{
	static const char text[] = "IOPRIO=\"1\"\nX=\"y\"\nIOPRIO=\"5\"\n";
	const struct conf_entry *e;
	struct conf c;

	conf_init(&c);
	ASSERT_EQ(0, conf_parse(&c, text, strlen(text), "t", NULL, NULL));
	e = conf_find(&c, "IOPRIO");
	ASSERT_NE(NULL, e);
	EXPECT_STREQ("5", e->value);
	EXPECT_EQ(3, e->line);
	EXPECT_EQ(2, c.n);
	conf_free(&c);
}

TEST(malformed_lines_reported_and_skipped)
{
	static const char text[] =
		"A=\"1\"\n"
		"this is not a setting\n"
		"B=\"unterminated\n"
		"C=\"2\" junk\n"
		"9KEY=\"3\"\n"
		"D=\"4\"\n";
	struct diags d = { 0 };
	struct conf c;

	conf_init(&c);
	ASSERT_EQ(0, conf_parse(&c, text, strlen(text), "/etc/vz/conf/101.conf", collect, &d));
	ASSERT_EQ(4, d.n);
	EXPECT_EQ(2, d.line[0]);
	EXPECT_EQ(3, d.line[1]);
	EXPECT_EQ(4, d.line[2]);
	EXPECT_EQ(5, d.line[3]);
	EXPECT_EQ(0, strncmp(d.msg[1], "/etc/vz/conf/101.conf:3: unterminated quote", 43));
	EXPECT_STREQ("1", get(&c, "A"));
	EXPECT_STREQ("4", get(&c, "D"));
	EXPECT_EQ(NULL, get(&c, "B"));
	EXPECT_EQ(NULL, get(&c, "C"));
	conf_free(&c);
}

TEST(many_keys_and_nul_bytes)
{
	char *buf = malloc(1 << 20);
	struct conf c;
	size_t len = 0;
	int i;

	ASSERT_NE(NULL, buf);
	for (i = 0; i < 20000; i++)
		len += (size_t)sprintf(buf + len, "K%d=\"%d\"\n", i % 5000, i);
	buf[len++] = '\0';		/* a NUL inside the file is just a byte */
	len += (size_t)sprintf(buf + len, "\nLAST=\"x\"\n");
	conf_init(&c);
	ASSERT_EQ(0, conf_parse(&c, buf, len, "big", NULL, NULL));
	EXPECT_EQ(5001, c.n);
	EXPECT_STREQ("19999", get(&c, "K4999"));
	EXPECT_STREQ("15000", get(&c, "K0"));
	EXPECT_STREQ("x", get(&c, "LAST"));
	conf_free(&c);
	free(buf);
}

TEST(typed_settings_and_bad_values)
{
	static const char cfg[] = "IOPRIO=\"6\"\nIOLIMIT=\"10M\"\nIOPSLIMIT=\"unlimited\"\n";
	static const char over[] = "IOPRIO=\"9\"\nIOPSLIMIT=\"300\"\n";
	struct diags d = { 0 };
	struct ct_settings s;
	struct conf a, b;

	conf_init(&a);
	conf_init(&b);
	ASSERT_EQ(0, conf_parse(&a, cfg, strlen(cfg), "101.conf", collect, &d));
	ASSERT_EQ(0, conf_parse(&b, over, strlen(over), "run/101.conf", collect, &d));
	ct_settings_init(&s);
	EXPECT_EQ(4, s.v[CT_IOPRIO].val);
	EXPECT_EQ(CT_SRC_DEFAULT, s.v[CT_IOPRIO].src);
	ct_settings_apply(&s, &a, CT_SRC_CONFIG, collect, &d);
	ct_settings_apply(&s, &b, CT_SRC_RUNTIME, collect, &d);
	/* The bad override is reported with file:line and the config value stays. */
	ASSERT_EQ(1, d.n);
	EXPECT_EQ(0, strncmp(d.msg[0], "run/101.conf:1: invalid value for IOPRIO (\"9\")", 46));
	EXPECT_EQ(6, s.v[CT_IOPRIO].val);
	EXPECT_EQ(CT_SRC_CONFIG, s.v[CT_IOPRIO].src);
	EXPECT_TRUE(s.v[CT_IOPRIO].bad);
	EXPECT_EQ(10 << 20, s.v[CT_IOLIMIT].val);
	EXPECT_EQ(300, s.v[CT_IOPSLIMIT].val);
	EXPECT_EQ(CT_SRC_RUNTIME, s.v[CT_IOPSLIMIT].src);
	EXPECT_EQ(2, s.v[CT_IOPSLIMIT].line);
	conf_free(&a);
	conf_free(&b);
}

TEST(ioprio_values)
{
	static const char *const bad[] = { "8", "-1", "abc", "", " 4", "4 ", "4.0", "+4",
					   "0x4", "99999999999999999999" };
	int64_t v;
	size_t i;

	for (i = 0; i <= 7; i++) {
		char s[2] = { (char)('0' + i), 0 };

		ASSERT_EQ(0, ct_parse_value(CT_IOPRIO, s, &v));
		EXPECT_EQ((int64_t)i, v);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		EXPECT_NE(0, ct_parse_value(CT_IOPRIO, bad[i], &v)) TH_LOG("accepted '%s'", bad[i]);
	EXPECT_EQ(0, ct_parse_value(CT_IOLIMIT, "unlimited", &v));
	EXPECT_EQ(0, v);
	EXPECT_EQ(0, ct_parse_value(CT_IOLIMIT, "1G", &v));
	EXPECT_EQ(1 << 30, v);
	EXPECT_NE(0, ct_parse_value(CT_IOLIMIT, "1X", &v));
	EXPECT_NE(0, ct_parse_value(CT_IOPSLIMIT, "-5", &v));
}

TEST(ctids)
{
	static const char *const good[] = { "101", "0", "web", "my-ct.1", "A_b", "2147483644" };
	static const char *const bad[] = { "", ".", "..", "../x", "a/b", ".hidden", "a b",
					   "x\n", "ü", "-1", "-web",
					   "12345678901234567890123456789012345678901234567890123456789012345" };
	char buf[CTID_MAX_LEN + 1];
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		EXPECT_TRUE(ctid_valid(good[i])) TH_LOG("refused '%s'", good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		EXPECT_FALSE(ctid_valid(bad[i])) TH_LOG("accepted '%s'", bad[i]);
	EXPECT_EQ(-EINVAL, ctid_conf_path("/etc/vz/conf", "../x", buf, sizeof(buf)));
	EXPECT_TRUE(ctid_from_filename("101.conf", buf, sizeof(buf)));
	EXPECT_STREQ("101", buf);
	EXPECT_FALSE(ctid_from_filename("ve-basic.conf-sample", buf, sizeof(buf)));
	EXPECT_FALSE(ctid_from_filename(".conf", buf, sizeof(buf)));
	EXPECT_FALSE(ctid_from_filename("101.conf.tmp", buf, sizeof(buf)));
	EXPECT_LT(ctid_cmp("9", "10"), 0);
	EXPECT_LT(ctid_cmp("101", "web"), 0);
	EXPECT_GT(ctid_cmp("b", "a"), 0);
	EXPECT_LT(ctid_cmp("7", "010"), 0);
	EXPECT_NE(0, ctid_cmp("007", "7"));
}

TEST_HARNESS_MAIN
