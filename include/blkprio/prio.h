/* SPDX-License-Identifier: GPL-2.0 */
/*
 * IOPRIO (0..7, higher = more disk time, default 4) to cgroup weights.
 *
 * Every map is expressed on the "default 100" scale that BFQ
 * ({blkio,io}.bfq.weight, 1..1000) and cgroup v2 io.weight (1..10000) use.
 * For a file with another default (the v1 CFQ-era blkio.weight: 10..1000,
 * default 500) the numbers are scaled by default/100, so IOPRIO 4 always
 * equals the kernel's default. The result is clamped to the file's range.
 *
 *   openvz  (default) 64 73 82 92 100 110 120 128: the OpenVZ table
 *           320 365 410 460 500 550 600 640 divided by 5; on blkio.weight it
 *           is that table exactly.
 *   wide    100 * 2^(IOPRIO-4): 6 13 25 50 100 200 400 800 (BFQ; 800 is
 *           within 1..1000), a factor of 2 per step for strong separation.
 *   "W0 W1 ... W7"  eight explicit numbers (1..10000, non-decreasing),
 *           separated by blanks or commas, on the default-100 scale.
 */
#ifndef BLKPRIO_PRIO_H
#define BLKPRIO_PRIO_H

#include <stdbool.h>
#include <stddef.h>

#define PRIO_LEVELS		8
#define PRIO_WEIGHT_DEFAULT	100	/* the scale maps are written in */
#define PRIO_EXPLICIT_MAX	10000

enum prio_map_kind { PRIO_MAP_OPENVZ, PRIO_MAP_WIDE, PRIO_MAP_EXPLICIT };

struct prio_map {
	enum prio_map_kind kind;
	unsigned int w[PRIO_LEVELS];	/* the table on the default-100 scale */
};

/* The weight files a map is written to, with their kernel ranges. */
enum prio_file {
	PRIO_FILE_BFQ,		/* blkio.bfq.weight / io.bfq.weight: 1..1000, 100 */
	PRIO_FILE_IO,		/* v2 io.weight: 1..10000, default 100 */
	PRIO_FILE_BLKIO,	/* v1 blkio.weight (CFQ scale): 10..1000, 500 */
	PRIO_NFILES,
};

struct prio_range {
	unsigned int min, max, def;
};

/* The built-in openvz map. */
void prio_map_default(struct prio_map *m);
/*
 * "openvz", "wide" or eight numbers (case-insensitive names, surrounding
 * blanks ignored). Returns 0, or -EINVAL with *why (static text) set.
 */
int prio_map_parse(const char *s, struct prio_map *m, const char **why);
/* "openvz", "wide" or the eight numbers, into buf. */
const char *prio_map_format(const struct prio_map *m, char *buf, size_t len);

const struct prio_range *prio_file_range(enum prio_file f);
/* Weight for ioprio (clamped to 0..7) in file f: scaled and clamped. */
unsigned int prio_weight(const struct prio_map *m, enum prio_file f, int ioprio);
/*
 * Reverse: the largest IOPRIO whose weight in f is <= w (as OpenVZ read
 * /proc/bc/CTID/ioprio back); 0 for anything below level 1.
 */
int prio_from_weight(const struct prio_map *m, enum prio_file f, unsigned int w);

/* Kernel best-effort ioprio level for an IOPRIO: 7 - IOPRIO (0 = highest). */
static inline int prio_task_level(int ioprio)
{
	return PRIO_LEVELS - 1 - ioprio;
}

#endif
