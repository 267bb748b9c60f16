// SPDX-License-Identifier: GPL-2.0
/* Strict parsing of user-given numbers, sizes and durations. */
#include <blkprio/parse.h>

#include "kselftest_harness.h"

TEST(sizes)
{
	static const struct { const char *s; uint64_t v; } good[] = {
		{ "0", 0 }, { "512", 512 }, { "4K", 4096 }, { "4k", 4096 }, { "4KiB", 4096 },
		{ "4KB", 4096 }, { "10M", 10 << 20 }, { "1G", 1ull << 30 }, { "2T", 2ull << 40 },
		{ "7B", 7 },
	};
	static const char *const bad[] = { "", "K", "-1", "1.5M", "1Q", "1MX", " 1", "1 ",
					   "99999999999999999999", "16777216T" };
	uint64_t v;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ASSERT_EQ(0, parse_size(good[i].s, 0, &v)) TH_LOG("%s", good[i].s);
		EXPECT_EQ(good[i].v, v) TH_LOG("%s", good[i].s);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		EXPECT_NE(0, parse_size(bad[i], 0, &v)) TH_LOG("accepted '%s'", bad[i]);
	EXPECT_NE(0, parse_size("unlimited", 0, &v));
	EXPECT_EQ(0, parse_size("unlimited", PARSE_SIZE_UNLIMITED, &v));
	EXPECT_EQ(0, v);
}

TEST(integers)
{
	long long v;

	EXPECT_EQ(0, parse_int_range("7", 0, 7, &v));
	EXPECT_EQ(7, v);
	EXPECT_EQ(-ERANGE, parse_int_range("8", 0, 7, &v));
	EXPECT_EQ(-EINVAL, parse_int_range("-1", 0, 7, &v));
	EXPECT_EQ(0, parse_int_range("-1", -5, 7, &v));
	EXPECT_EQ(-1, v);
	EXPECT_EQ(-EINVAL, parse_int_range("", 0, 7, &v));
	EXPECT_EQ(-EINVAL, parse_int_range("3x", 0, 7, &v));
	EXPECT_EQ(-ERANGE, parse_int_range("99999999999999999999", 0, 7, &v));
}

TEST(durations_and_bools)
{
	uint64_t ns;
	bool b;

	EXPECT_EQ(0, parse_duration_ns("2", &ns));
	EXPECT_EQ(2000000000ull, ns);
	EXPECT_EQ(0, parse_duration_ns("250ms", &ns));
	EXPECT_EQ(250000000ull, ns);
	EXPECT_EQ(0, parse_duration_ns("1.5s", &ns));
	EXPECT_EQ(1500000000ull, ns);
	EXPECT_EQ(0, parse_duration_ns("3m", &ns));
	EXPECT_EQ(180000000000ull, ns);
	EXPECT_NE(0, parse_duration_ns("3 s", &ns));
	EXPECT_NE(0, parse_duration_ns("-1", &ns));
	EXPECT_EQ(0, parse_bool("YES", &b));
	EXPECT_TRUE(b);
	EXPECT_EQ(0, parse_bool("off", &b));
	EXPECT_FALSE(b);
	EXPECT_NE(0, parse_bool("maybe", &b));
}

TEST(format)
{
	char buf[32];

	EXPECT_STREQ("0", format_size(0, buf, sizeof(buf)));
	EXPECT_STREQ("1023", format_size(1023, buf, sizeof(buf)));
	EXPECT_STREQ("4K", format_size(4096, buf, sizeof(buf)));
	EXPECT_STREQ("1.5M", format_size(3 << 19, buf, sizeof(buf)));
}

TEST_HARNESS_MAIN
