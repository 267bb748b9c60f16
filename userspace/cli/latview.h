/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What `blkprio top` and `blkprio latency` share: the probes, the daemon
 * config (cgroup templates), the blkio/io hierarchy, cgroup names, and the
 * per-interval difference of two readings.
 */
#ifndef BLKPRIO_CLI_LATVIEW_H
#define BLKPRIO_CLI_LATVIEW_H

#include <blkprio/cgroup.h>
#include <blkprio/latency.h>

struct latview {
	struct lat_probe *probe;
	struct cg_config cfg;
	struct cg_layout layout;
	bool have_layout;
	struct lat_cgmap *map;		/* NULL without a blkio/io hierarchy */
	struct lat_snap prev, cur, delta;
	double interval;		/* seconds between the last two readings */
};

/* Open everything; on failure prints the error and returns an exit code. */
int latview_open(struct latview *v, enum lat_issue_mode mode);
void latview_close(struct latview *v);
/* First reading (the baseline). */
int latview_start(struct latview *v);
/* Read again: v->delta holds what happened since the last reading. */
int latview_sample(struct latview *v);
void latview_name(struct latview *v, uint64_t cgid, struct lat_cgname *n);
/* "101", "/some/cgroup", "/" (root), "-" (no cgroup), "id:N"; with "(removed)". */
void latview_label(const struct lat_cgname *n, uint64_t cgid, char *buf, size_t len);
/* Sleep up to sec seconds; false when interrupted by SIGINT/SIGTERM. */
bool latview_wait(double sec);
bool latview_stopped(void);
/* Parse a positive interval in seconds ("1", "0.5"). */
int latview_parse_interval(const char *s, double *out);

#endif
