/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-cgroup block latency (the user side of bpf/latency.bpf.c): load the
 * probes, read and merge their per-CPU histograms into snapshots, subtract
 * snapshots into per-interval figures, percentiles from the log-linear
 * histogram, cgroup id -> path (walking only the blkio/io hierarchy), and the
 * Prometheus text exposition.
 *
 * Latency is measured from request allocation (rq->start_time_ns; the issue
 * time where the kernel does not stamp allocation) to completion, and split
 * into queue (allocation -> issue) and device (issue -> completion) time
 * where both are known.
 */
#ifndef BLKPRIO_LATENCY_H
#define BLKPRIO_LATENCY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <limits.h>

#include <blkprio/conf.h>

/* Must equal LAT_SLOTS of bpf/latency.h (checked at build time). */
#define LAT_NSLOTS	496

enum lat_op_id { LAT_READ, LAT_WRITE, LAT_DISCARD, LAT_FLUSH, LAT_OTHER, LAT_NOPS };

const char *lat_op_name(unsigned int op);	/* "read", "write", ... */

/* cgroup id of requests without a bio (the block layer's own flushes). */
#define LAT_NO_CGROUP	0

/* ---- histogram maths (hist.c) ------------------------------------------ */

/* Figures for one key, all CPUs summed. Times in ns. */
struct lat_data {
	uint64_t count, bytes, sum_ns, max_ns;
	uint64_t split, queue_ns, device_ns;	/* where both parts are known */
	uint64_t slots[LAT_NSLOTS];
};

/* Bounds of a slot in microseconds: [lower, upper). */
double lat_slot_lower_us(unsigned int slot);
double lat_slot_upper_us(unsigned int slot);
/* The slot a latency in ns falls into (the probe's own function). */
unsigned int lat_slot_of_ns(uint64_t ns);

void lat_data_add(struct lat_data *dst, const struct lat_data *src);
/*
 * dst = cur - prev. A counter that went backwards (the entry was deleted and
 * recreated) gives cur itself.
 */
void lat_data_sub(struct lat_data *dst, const struct lat_data *cur,
		  const struct lat_data *prev);
/* Requests in the histogram (requests without a start time are not). */
uint64_t lat_data_timed(const struct lat_data *d);
/* q in [0, 1]; interpolated within the slot. 0 when empty. */
double lat_percentile_us(const struct lat_data *d, double q);
/*
 * Largest latency of the data: the recorded maximum when it lies in the
 * highest non-empty slot (for a difference of snapshots, the maximum may
 * belong to an earlier interval), else that slot's upper bound.
 */
double lat_max_us(const struct lat_data *d);
/* Requests of at most us microseconds; exact when us is a power of two. */
uint64_t lat_count_le_us(const struct lat_data *d, uint64_t us);

/* ---- snapshots (snap.c) -------------------------------------------------- */

struct lat_entry {
	uint64_t cgid;		/* kernfs id of the blkcg cgroup, 0 = none */
	uint32_t dev;		/* kernel dev_t: major << 20 | minor */
	uint32_t op;		/* enum lat_op_id */
	struct lat_data d;
};

struct lat_snap {
	struct lat_entry *e;	/* sorted by (cgid, dev, op) */
	size_t n, cap;
	uint64_t time_ns;	/* CLOCK_MONOTONIC when read */
};

void lat_snap_init(struct lat_snap *s);
void lat_snap_free(struct lat_snap *s);
void lat_snap_clear(struct lat_snap *s);
/* The entry for a key, added (zeroed) when absent with add set. */
struct lat_entry *lat_snap_get(struct lat_snap *s, uint64_t cgid, uint32_t dev,
			       uint32_t op, bool add);
int lat_snap_sort(struct lat_snap *s);
/* out = cur - prev, entry by entry (entries gone from cur are dropped). */
int lat_snap_delta(struct lat_snap *out, const struct lat_snap *cur,
		   const struct lat_snap *prev);

static inline unsigned int lat_dev_major(uint32_t dev) { return dev >> 20; }
static inline unsigned int lat_dev_minor(uint32_t dev) { return dev & 0xfffff; }
/* "loop0" from /sys/dev/block/MAJ:MIN, else "MAJ:MIN". */
void lat_dev_name(uint32_t dev, char *buf, size_t len);

/* ---- the probes (probe.c) ------------------------------------------------ */

enum lat_issue_mode {
	LAT_ISSUE_AUTO,		/* attach the issue hook once a queue needs it */
	LAT_ISSUE_NEVER,	/* kernel stamps only */
	LAT_ISSUE_HASHMAP,	/* always time through the issue hook's map
				 * (the common tools' way; for benchmarks) */
	LAT_ISSUE_NOP,		/* a program that does nothing, on the
				 * completion hook: what the hook and the
				 * run-time statistics cost (benchmarks) */
};

struct lat_probe_opts {
	unsigned int max_entries;	/* histogram slots, rounded down to a
					 * power of two; 0: what 16 MiB hold
					 * (256 to 4096) */
	enum lat_issue_mode issue;
	bool raw_tp;			/* raw tracepoints even where tp_btf works
					 * (the fallback for kernels without BPF
					 * trampolines; tests) */
};

struct lat_probe;

/*
 * Load and attach. On failure returns -errno and puts one line saying what
 * is missing ("kernel has no BTF (CONFIG_DEBUG_INFO_BTF)", ...) in why.
 */
int lat_probe_open(const struct lat_probe_opts *o, struct lat_probe **out,
		   char *why, size_t whylen);
void lat_probe_close(struct lat_probe *p);
/*
 * Does the kernel described by the BTF file (NULL: the running kernel) have
 * what the probes need? 0, or -EOPNOTSUPP with *missing naming it.
 */
int lat_probe_features(const char *btf_path, const char **missing);
/* Read every key, CPUs summed, into s (cleared first). */
int lat_probe_read(struct lat_probe *p, struct lat_snap *s);
/*
 * Housekeeping between reads: in LAT_ISSUE_AUTO mode attach the issue hook
 * once a queue without issue stamps was seen. Returns 1 if it attached.
 */
int lat_probe_poll(struct lat_probe *p);
/* Delete every key of a cgroup (it was removed). Returns the count. */
int lat_probe_forget(struct lat_probe *p, uint64_t cgid);

struct lat_probe_info {
	uint64_t run_ns, runs, misses;	/* all programs, from BPF run-time stats */
	uint64_t dropped;		/* events lost: histogram map full */
	uint64_t untimed;		/* requests without a start time */
	bool issue_hook;		/* the issue hook is attached */
	bool raw_tp;			/* raw tracepoints (no BPF trampoline) */
};
int lat_probe_info(struct lat_probe *p, struct lat_probe_info *i);
/*
 * Turn on the kernel's BPF run-time statistics for as long as the probe is
 * open (BPF_ENABLE_STATS; costs two clock reads per event).
 */
int lat_probe_enable_stats(struct lat_probe *p);

/* ---- cgroup id -> path (cgmap.c) ------------------------------------------ */

struct lat_cgmap;

/*
 * ids of the hierarchy mounted at mount (the blkio/io one: kernfs ids are
 * per hierarchy). Paths are relative to mount, "" for the root.
 */
int lat_cgmap_new(const char *mount, struct lat_cgmap **out);
void lat_cgmap_free(struct lat_cgmap *m);
/*
 * The path of an id: 0, or 1 for a cgroup removed since an earlier walk
 * found it (*rel is its last path). On a miss the hierarchy is walked again,
 * at most once per lat_cgmap_expire() call. -ENOENT for an unknown id.
 */
int lat_cgmap_lookup(struct lat_cgmap *m, uint64_t id, const char **rel);
void lat_cgmap_expire(struct lat_cgmap *m);
/* Walk now (to learn which cgroups were removed). */
int lat_cgmap_refresh(struct lat_cgmap *m);
/* Forget the removed cgroups (once their figures are dropped). */
void lat_cgmap_prune(struct lat_cgmap *m);

struct cg_templates;

enum lat_cg_state { LAT_CG_LIVE, LAT_CG_REMOVED, LAT_CG_UNKNOWN, LAT_CG_NONE };

/* A cgroup as shown to users. */
struct lat_cgname {
	enum lat_cg_state state;	/* NONE: id 0, requests without a cgroup */
	char ctid[CTID_MAX_LEN + 1];	/* the container it belongs to, or "" */
	char path[PATH_MAX];		/* "/lxc/101", "/" root; "" unknown, none */
};

/*
 * Name a cgroup id: its path, and the container whose template matches the
 * path or its nearest ancestor (templates may be NULL: no containers).
 */
void lat_cgmap_name(struct lat_cgmap *m, const struct cg_templates *t, uint64_t id,
		    struct lat_cgname *out);

/* ---- Prometheus text exposition (prom.c) ---------------------------------- */

/* Labels of one cgroup, filled by the caller's callback (zeroed before). */
struct lat_prom_cg {
	char ctid[CTID_MAX_LEN + 1];	/* "" for a cgroup that is no container */
	char cgroup[PATH_MAX];		/* path, "/" root, "" none or unknown */
};
typedef void (*lat_prom_label_fn)(void *ctx, uint64_t cgid, struct lat_prom_cg *out);

struct lat_prom_ct {
	const char *ctid;
	int ioprio;		/* configured IOPRIO */
	int weight;		/* applied weight, -1 unknown */
};

struct lat_prom_input {
	const struct lat_snap *snap;		/* cumulative figures */
	lat_prom_label_fn label;
	void *ctx;
	const struct lat_prom_ct *cts;		/* may be NULL */
	size_t ncts;
	const struct lat_probe_info *info;	/* may be NULL */
};

/* Write the page. Returns 0 or -errno (-ENOMEM, a write error). */
int lat_prom_write(FILE *f, const struct lat_prom_input *in);

#endif
