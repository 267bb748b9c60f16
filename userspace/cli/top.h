/* SPDX-License-Identifier: GPL-2.0 */
/* blkprio top, private: rows of an interval, shared by the batch and live views. */
#ifndef BLKPRIO_CLI_TOP_H
#define BLKPRIO_CLI_TOP_H

#include <limits.h>

#include <blkprio/share.h>
#include <blkprio/table.h>

#include "latview.h"

enum {
	COL_CTID, COL_CGROUP, COL_DEVICE, COL_IOPRIO, COL_WEIGHT, COL_RS, COL_WS,
	COL_MBS, COL_P50, COL_P99, COL_MAX, COL_QUEUE, COL_DISK, COL_PROMISED, COL_REALIZED,
	COL_LEVER, NCOLS
};

enum sort_key { SORT_IOPS, SORT_MBS, SORT_P50, SORT_P99, SORT_MAX, SORT_CTID, NSORT };

struct top_row {
	char label[PATH_MAX + 16];	/* CTID, or the cgroup path */
	char ctid[CTID_MAX_LEN + 1];
	char path[PATH_MAX];
	uint32_t dev;			/* 0 in the per-container view */
	struct lat_data d;		/* all operations */
	uint64_t reads, writes;
	int ioprio, weight;		/* -1 unknown */
	/* blkpriod's share control (RUN_DIR/share.state); promised < 0: none */
	double promised, realized;
	unsigned int levers;		/* set of cg_lever bits: its devices', or share control's */
};

struct top {
	struct latview v;
	struct top_row *rows;
	size_t n, cap;
	bool per_ct;
	enum sort_key sort;
	int sel[NCOLS];
	size_t nsel;
	struct lat_probe_info info, info0;	/* now, and at the last update */
	bool stats;				/* BPF run-time statistics on */
	struct share_row *share;		/* share control's last interval */
	size_t nshare;
	struct { uint32_t dev; enum cg_lever lever; } lev[64];	/* devices' levers, */
	size_t nlev;						/* this interval */
};

extern const struct colinfo top_cols[NCOLS];
extern const char *const top_sort_names[NSORT];

/* Rows of the last interval, merged by label (and device), sorted. */
int top_build(struct top *t);
/* After each reading: the probes' own figures for the interval. */
void top_probe_info(struct top *t);
/* The text of one cell (the plain, JSON and curses views share it). */
void top_cell(const struct top *t, const struct top_row *r, int col, char *buf, size_t len);
void top_header_line(const struct top *t, char *buf, size_t len);
/* The ncurses view (top_live.c). */
int top_run_live(struct top *t, double delay, long long count);

#endif
