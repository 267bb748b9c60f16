// SPDX-License-Identifier: GPL-2.0
/* The IOPRIO -> weight maps: openvz, wide, explicit tables, clamping. */
#include <errno.h>
#include <string.h>

#include <blkprio/prio.h>

#include "kselftest_harness.h"

static void expect_row(struct __test_metadata *_metadata, const struct prio_map *m,
		       enum prio_file f, const unsigned int *want)
{
	int p;

	for (p = 0; p < PRIO_LEVELS; p++) {
		EXPECT_EQ(want[p], prio_weight(m, f, p)) {
			TH_LOG("file %d ioprio %d", f, p);
		}
	}
}

TEST(openvz_default)
{
	static const unsigned int bfq[] = { 64, 73, 82, 92, 100, 110, 120, 128 };
	static const unsigned int blkio[] = { 320, 365, 410, 460, 500, 550, 600, 640 };
	struct prio_map m;
	char buf[64];

	prio_map_default(&m);
	expect_row(_metadata, &m, PRIO_FILE_BFQ, bfq);
	expect_row(_metadata, &m, PRIO_FILE_IO, bfq);
	/* the v1 CFQ-scale file gets the OpenVZ kernel table exactly */
	expect_row(_metadata, &m, PRIO_FILE_BLKIO, blkio);
	EXPECT_STREQ("openvz", prio_map_format(&m, buf, sizeof(buf)));
	/* IOPRIO 4 is every file's kernel default */
	EXPECT_EQ(prio_file_range(PRIO_FILE_BFQ)->def, prio_weight(&m, PRIO_FILE_BFQ, 4));
	EXPECT_EQ(prio_file_range(PRIO_FILE_BLKIO)->def, prio_weight(&m, PRIO_FILE_BLKIO, 4));
}

TEST(openvz_parse_names)
{
	struct prio_map m;

	memset(&m, 0, sizeof(m));
	ASSERT_EQ(0, prio_map_parse(" OpenVZ ", &m, NULL));
	EXPECT_EQ(PRIO_MAP_OPENVZ, m.kind);
	EXPECT_EQ(128u, m.w[7]);
	ASSERT_EQ(0, prio_map_parse("WIDE", &m, NULL));
	EXPECT_EQ(PRIO_MAP_WIDE, m.kind);
}

TEST(wide_doubles_and_clamps)
{
	static const unsigned int bfq[] = { 6, 13, 25, 50, 100, 200, 400, 800 };
	/* x5 on blkio.weight, then clamped to 10..1000 */
	static const unsigned int blkio[] = { 31, 63, 125, 250, 500, 1000, 1000, 1000 };
	struct prio_map m;
	int p;

	ASSERT_EQ(0, prio_map_parse("wide", &m, NULL));
	expect_row(_metadata, &m, PRIO_FILE_BFQ, bfq);
	expect_row(_metadata, &m, PRIO_FILE_IO, bfq);
	expect_row(_metadata, &m, PRIO_FILE_BLKIO, blkio);
	/* a factor of 2 per step around IOPRIO 4 */
	for (p = 3; p < 7; p++)
		EXPECT_EQ(2 * prio_weight(&m, PRIO_FILE_BFQ, p),
			  prio_weight(&m, PRIO_FILE_BFQ, p + 1));
}

TEST(explicit_table_and_clamping)
{
	struct prio_map m;
	const char *why = NULL;
	char buf[128];

	ASSERT_EQ(0, prio_map_parse("1, 10 100 200 500 1000 5000 10000", &m, &why));
	EXPECT_EQ(PRIO_MAP_EXPLICIT, m.kind);
	EXPECT_STREQ("1 10 100 200 500 1000 5000 10000",
		     prio_map_format(&m, buf, sizeof(buf)));
	/* BFQ takes 1..1000 */
	EXPECT_EQ(1u, prio_weight(&m, PRIO_FILE_BFQ, 0));
	EXPECT_EQ(1000u, prio_weight(&m, PRIO_FILE_BFQ, 5));
	EXPECT_EQ(1000u, prio_weight(&m, PRIO_FILE_BFQ, 7));
	/* io.weight takes 1..10000 */
	EXPECT_EQ(5000u, prio_weight(&m, PRIO_FILE_IO, 6));
	EXPECT_EQ(10000u, prio_weight(&m, PRIO_FILE_IO, 7));
	/* blkio.weight: x5, clamped to 10..1000 */
	EXPECT_EQ(10u, prio_weight(&m, PRIO_FILE_BLKIO, 0));
	EXPECT_EQ(50u, prio_weight(&m, PRIO_FILE_BLKIO, 1));
	EXPECT_EQ(1000u, prio_weight(&m, PRIO_FILE_BLKIO, 4));
	/* out-of-range IOPRIO is clamped to 0..7 */
	EXPECT_EQ(prio_weight(&m, PRIO_FILE_IO, 0), prio_weight(&m, PRIO_FILE_IO, -3));
	EXPECT_EQ(prio_weight(&m, PRIO_FILE_IO, 7), prio_weight(&m, PRIO_FILE_IO, 9));
}

TEST(explicit_rejects)
{
	static const char *const bad[] = {
		"", "   ", "1 2 3 4 5 6 7", "1 2 3 4 5 6 7 8 9", "0 2 3 4 5 6 7 8",
		"1 2 3 4 5 6 7 10001", "1 2 3 4 5 6 8 7", "1 2 3 4 x 6 7 8",
		"1 2 3 4 5.5 6 7 8", "-1 2 3 4 5 6 7 8", "openvz2",
		"1 2 3 4 5 6 7 99999999999999999999",
	};
	struct prio_map m;
	const char *why;
	size_t i;

	prio_map_default(&m);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		EXPECT_EQ(-EINVAL, prio_map_parse(bad[i], &m, &why)) {
			TH_LOG("'%s'", bad[i]);
		}
		EXPECT_NE(NULL, why);
	}
	/* a failed parse leaves the map as it was */
	EXPECT_EQ(PRIO_MAP_OPENVZ, m.kind);
	EXPECT_EQ(64u, m.w[0]);
}

TEST(reverse_lookup)
{
	struct prio_map m;
	int p;

	prio_map_default(&m);
	for (p = 0; p < PRIO_LEVELS; p++) {
		EXPECT_EQ(p, prio_from_weight(&m, PRIO_FILE_BFQ,
					      prio_weight(&m, PRIO_FILE_BFQ, p)));
		EXPECT_EQ(p, prio_from_weight(&m, PRIO_FILE_BLKIO,
					      prio_weight(&m, PRIO_FILE_BLKIO, p)));
	}
	/* as /proc/bc/CTID/ioprio: largest level whose weight <= w */
	EXPECT_EQ(0, prio_from_weight(&m, PRIO_FILE_BLKIO, 364));
	EXPECT_EQ(1, prio_from_weight(&m, PRIO_FILE_BLKIO, 365));
	EXPECT_EQ(0, prio_from_weight(&m, PRIO_FILE_BFQ, 1));
	EXPECT_EQ(7, prio_from_weight(&m, PRIO_FILE_BFQ, 1000));
}

TEST(task_level_polarity)
{
	/* kernel ioprio levels run the other way: IOPRIO 7 -> BE level 0 */
	EXPECT_EQ(7, prio_task_level(0));
	EXPECT_EQ(3, prio_task_level(4));
	EXPECT_EQ(0, prio_task_level(7));
}

TEST_HARNESS_MAIN
