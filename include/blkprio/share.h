/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Closed-loop share control: the part of a device's service each busy
 * container gets should be what its weight promises, whatever the workload.
 *
 * Promise: an active container's share is its configured weight divided by
 * the sum of the active containers' weights; idle containers get nothing
 * reserved, so a lone busy container gets the whole device.
 *
 * Each interval the controller compares the realized shares (device time by
 * default: the sum of the container's requests' issue-to-completion times,
 * which is what "more time for using disks" means; operations or bytes as
 * options) with the promise and acts with the kernel's levers:
 *   1. weights: the BFQ/io weight is adjusted around the configured one
 *      (within [configured / span, configured * span]), where weights act;
 *   2. caps: where weights cannot act (no BFQ, writes) or do not converge,
 *      the over-served containers are throttled (blkio.throttle / io.max) at
 *      their promised share of the capacity just measured; caps relax as
 *      soon as contention ends.
 * A dead band, bounded multiplicative steps and floors keep the loop stable
 * and never starve anyone. Pure computation: no I/O, no printing.
 */
#ifndef BLKPRIO_SHARE_H
#define BLKPRIO_SHARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <blkprio/cgroup.h>

enum share_measure { SHARE_TIME, SHARE_IOPS, SHARE_BYTES };
enum share_lever { SHARE_LEVER_NONE, SHARE_LEVER_WEIGHT, SHARE_LEVER_CAP };
/* Which levers may be used (SHARE_LEVERS): weights then caps, or one of them. */
enum share_levers { SHARE_LEVERS_AUTO, SHARE_LEVERS_WEIGHT, SHARE_LEVERS_CAP };

struct share_params {
	enum share_measure measure;
	double deadband;		/* relative error left alone (0.05) */
	double gain;			/* exponent of each multiplicative step (0.5) */
	double max_step;		/* largest factor per interval (2.0) */
	unsigned int min_ios;		/* requests per interval to count as active (20) */
	unsigned int grace;		/* quiet intervals before a busy container counts as
					 * idle (2): a scheduler may hold one back a whole
					 * interval, which is not the end of contention */
	enum share_levers levers;
	double weight_span;		/* weights stay within cfg/span .. cfg*span (4) */
	unsigned int weight_tries;	/* intervals weights may fail before caps (4) */
	double floor_share;		/* a cap never below this share of capacity (0.05) */
	double smooth;			/* weight of the newest interval in the averages (0.3) */
	bool weights_act;		/* the device runs BFQ (or v2 io.cost) */
	bool weights_act_writes;	/* they also split writes issued one at a time
					 * (false): caps from the start for those */
	unsigned int weight_min, weight_max;	/* the weight file's range */
	double binding;			/* a cap holds a container doing at least this
					 * share of it in an interval (0.9) */
	double min_elasticity;		/* weights that moved the shares less than this
					 * power of their own move do not act (0.3) */
};

void share_params_default(struct share_params *p);
const char *share_lever_name(enum share_lever l);
int share_lever_parse(const char *s, enum share_lever *l);
int share_measure_parse(const char *s, enum share_measure *m);
const char *share_measure_name(enum share_measure m);
int share_levers_parse(const char *s, enum share_levers *l);
const char *share_levers_name(enum share_levers l);

/* One container on one device over one interval. */
struct share_input {
	unsigned int weight;		/* configured (from its IOPRIO and the map) */
	uint64_t ios, bytes;
	uint64_t writes;		/* of the ios, writes */
	uint64_t device_ns;		/* sum of issue-to-completion times */
	uint64_t latency_ns;		/* sum of whole request times (allocation to
					 * completion): requests in flight x interval */
};

/* Kept per container and device between intervals. */
struct share_state {
	double weight;			/* weight in force (0: the configured one) */
	double cap;			/* operations/s, or bytes/s for SHARE_BYTES; 0 none */
	double promised, realized;	/* last interval's shares (0 when idle) */
	bool active;
	unsigned int quiet;		/* intervals in a row below min_ios */
	enum share_lever lever;
	double gain;			/* own step gain (0: the default), halved on overshoot */
	int last_sign;			/* sign of the last error outside the dead band */
	unsigned int same;		/* steps in a row with that sign */
	double svc_avg, rate_avg;	/* smoothed service and rate (schedulers serve in
					 * slices, so one interval's share is noisy) */
	double size_avg;		/* smoothed bytes per request */
	double ref_weight, ref_share;	/* weight and share when the weights' effect
					 * started to be measured */
};

/* Per device, between intervals. */
struct share_dev {
	enum share_lever lever;		/* the lever in use */
	unsigned int tries;		/* intervals the weights have tried */
	unsigned int flat;		/* intervals in a row the shares did not answer */
	double err0;			/* worst relative error when weights started */
	double capacity;		/* operations (or bytes) per second, all active */
	unsigned int active;
	bool fresh;			/* the competitors changed last interval */
	bool restart;			/* averages start again next interval (a cap
					 * came on or off) */
	bool ref;			/* ref_weight/ref_share taken for the set */
};

/* What to write after a step. */
struct share_out {
	bool set_weight;
	unsigned int weight;
	bool set_cap;
	uint64_t cap_iops, cap_bps;	/* 0: no limit; bytes/s whenever the request size
					 * is known (the throttle counts bios before
					 * merging, the probes requests after) */
};

/*
 * One control step for a device with n containers. st and dev carry the
 * controller's memory (zero them at the start); out says what to write.
 */
void share_step(const struct share_params *p, double interval_s, unsigned int n,
		const struct share_input *in, struct share_state *st,
		struct share_dev *dev, struct share_out *out);

/*
 * What to write for the cap in force in s (s->cap; 0: none), as the step
 * that set it wrote it: bytes/s at the smoothed request size where known.
 */
void share_cap_out(const struct share_params *p, const struct share_state *s,
		   struct share_out *o);

/*
 * The state file (RUN_DIR/share.state): what the controller did in its last
 * interval, one line per active container and device, for `blkprio top`.
 *   # ctid device promised realized lever weight cap measure
 *   101 loop0 0.6667 0.6512 bfq 240 0 time
 * (lever: the names of cg_lever_name: bfq, iocost, caps, none)
 * Written atomically (a temporary file renamed over the old one).
 */
#define SHARE_STATE_FILE	"share.state"

struct share_row {
	char ctid[65];
	char device[32];
	double promised, realized;	/* 0..1 */
	enum cg_lever lever;		/* what acts for it: the device's weights, or caps */
	unsigned int weight;		/* in force on the device */
	double cap;			/* operations/s (bytes/s when measure is bytes); 0 none */
	enum share_measure measure;
};

int share_rows_write(const char *path, const struct share_row *rows, size_t n);
/* *rows is malloc'd (free() it); a missing file is -ENOENT, a bad line -EINVAL. */
int share_rows_read(const char *path, struct share_row **rows, size_t *n);

#endif
