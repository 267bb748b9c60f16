/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The effect proof: containers of different IOPRIO, made through the path a
 * real host uses (config files applied by blkpriod), run the same competing
 * workload on one device at once, under the lever blkpriod uses there (BFQ
 * where the kernel has it, else share control's caps); their measured
 * shares are compared with the shares their weights predict.
 *
 * Share: a container's service in the measured window divided by all
 * containers' service, counted as blkpriod's share control counts it (the
 * run sets SHARE_MEASURE to the same): operations (default), bytes, or device
 * time (from the eBPF probes: the sum of the requests' issue-to-completion
 * times on the device).
 * Expected share: its weight divided by the sum of the weights.
 * A container passes when |measured - expected| <= tolerance * expected.
 */
#ifndef BLKPRIO_EFFECT_H
#define BLKPRIO_EFFECT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <blkprio/bench.h>
#include <blkprio/share.h>

#define EFFECT_MAX_CTS		8
#define EFFECT_MAX_SECONDS	600
#define EFFECT_MAX_PHASES	2

enum effect_disk { EFFECT_DISK_RAW, EFFECT_DISK_QCOW2 };
/* blkpriod's SHARE_CONTROL for the run: auto (its default), on (yes), off (no). */
enum effect_control { EFFECT_CONTROL_AUTO, EFFECT_CONTROL_ON, EFFECT_CONTROL_OFF };

/* BFQ tunables to set on the device; -1 leaves the kernel's value. */
struct effect_sched {
	int low_latency;
	int slice_idle;
	int strict_guarantees;
};

struct effect_opts {
	unsigned int ncts;
	int prio[EFFECT_MAX_CTS];	/* IOPRIO of each container */
	const char *device;		/* NULL: a loop device over a file in workdir */
	const char *workdir;		/* NULL: /var/tmp */
	uint64_t dev_size;		/* backing file (default 1 GiB) */
	enum bench_rw rw;		/* BENCH_RANDREAD, BENCH_READ or BENCH_WRITE */
	enum bench_rw rw_of[EFFECT_MAX_CTS];	/* per container, when nrw_of > 0 */
	unsigned int nrw_of;
	enum share_measure measure;	/* how shares are counted (default iops) */
	enum share_levers levers;	/* blkpriod's SHARE_LEVERS (default auto) */
	/*
	 * Lone phases (0: none): the last container runs alone for lone_ms
	 * before the others start (its rate on an idle device) and lone_ms
	 * after they stop (does it get the device back once contention ends?).
	 */
	uint64_t lone_ms;
	uint32_t bs;			/* default 4096 */
	unsigned int iodepth;		/* default 1 */
	enum bench_engine engine;
	uint64_t runtime_ms;		/* default 20 s */
	uint64_t warmup_ms;		/* not counted (default 2 s) */
	enum effect_disk disk;
	double tolerance;		/* default 0.15 */
	const char *weight_map;		/* WEIGHT_MAP; NULL: openvz */
	struct effect_sched sched;
	const char *scheduler;		/* NULL: bfq where the kernel has it, else the
					 * device's own; or a name, e.g. mq-deadline */
	enum effect_control control;	/* blkpriod's closed-loop share control */
	const char *daemon;		/* blkpriod to run */
	const char *metrics;		/* its METRICS_LISTEN (NULL: no metrics) */
	const char *cli;		/* blkprio, for live changes */
	bool probes;			/* per-container latency from the eBPF probes */
	/* A live change: at change_ms, `blkprio set CT --ioprio change_prio`. */
	bool has_change;
	uint64_t change_ms;
	unsigned int change_ct;
	int change_prio;
	volatile int *stop;		/* set on SIGINT/SIGTERM: stop and clean up */
	/* Progress lines ("creating loop device", ...); may be NULL. */
	void (*log)(void *arg, const char *msg);
	void *log_arg;
	/* Called once the workloads run (demo: start the live view). */
	void (*started)(void *arg, const struct effect_opts *o, const char *conf_dir,
			const char *run_dir, const char *config);
	void *started_arg;
};

void effect_opts_init(struct effect_opts *o);

struct effect_phase {
	uint64_t from_ms, to_ms;	/* window measured, since start */
	int prio[EFFECT_MAX_CTS];
	unsigned int weight[EFFECT_MAX_CTS];
	double expected[EFFECT_MAX_CTS];
	double measured[EFFECT_MAX_CTS];
	double error[EFFECT_MAX_CTS];	/* (measured - expected) / expected */
	double iops[EFFECT_MAX_CTS];
	double settle_s;		/* until every share stays within the tolerance */
	bool pass;
};

struct effect_ct {
	char ctid[16];
	char cgroup[256];		/* relative to the hierarchy */
	int weight_kernel;		/* read back after blkpriod applied it */
	double iops, mbps;		/* whole run after warm-up */
	double eng_p50_us, eng_p99_us;	/* engine: submit to completion */
	double probe_p50_us, probe_p99_us; /* eBPF: request to completion */
	uint64_t probe_count;
	double probe_queue_us, probe_device_us;	/* mean split, where known */
	double cdf_us[101];		/* engine latency at percentiles 0..100 */
	unsigned int nsec;
	double ios[EFFECT_MAX_SECONDS];	/* operations in each second */
	double svc[EFFECT_MAX_SECONDS];	/* service in each second, in the measure */
	char rw[16];			/* its workload */
};

struct effect_report {
	char device[64];
	char sched[16];
	struct effect_sched sched_used;	/* as read back */
	char map[96];
	char control[4];		/* share control ran on the device: "on" or "off" */
	char control_mode[5];		/* SHARE_CONTROL asked for: auto, on, off */
	char lever[8];			/* the device's lever: bfq, iocost, caps, none */
	char lever_why[160];		/* how it acts, or why nothing does */
	char rw[72];			/* "randread", or one per container: "read,write" */
	char measure[8];		/* iops, bytes or time */
	char disk[8];
	uint32_t bs;
	unsigned int iodepth;
	uint64_t runtime_ms, warmup_ms;
	double tolerance;
	unsigned int ncts;
	struct effect_ct ct[EFFECT_MAX_CTS];
	unsigned int nphases;
	struct effect_phase phase[EFFECT_MAX_PHASES];
	bool probes;
	char probe_note[160];		/* why there are no probe figures */
	/* Lone phases: the last container alone before and after contention. */
	uint64_t lone_ms;
	double lone_idle_iops, lone_after_iops;
	bool lone_pass;			/* after >= 95% of idle */
	bool pass;
};

/* A lone container must get back at least this part of its idle-device rate. */
#define EFFECT_LONE_MIN		0.95
/* Share control must keep at least this part of the total throughput. */
#define EFFECT_THROUGHPUT_MIN	0.90

/* The workload of container i. */
enum bench_rw effect_rw(const struct effect_opts *o, unsigned int i);

/*
 * Set up, run, measure and clean up everything it made (cgroups, daemon,
 * loop device, mounts, files), also when interrupted or failing. Returns 0
 * (the report says pass or fail) or -errno with *why set.
 */
int effect_run(const struct effect_opts *o, struct effect_report *r, char *why,
	       size_t whylen);

/* All containers' operations per second in the (first) measured phase. */
double effect_total_iops(const struct effect_report *r);
/* Control on keeps at least EFFECT_THROUGHPUT_MIN of the total with it off. */
bool effect_throughput_kept(const struct effect_report *off, const struct effect_report *on,
			    double *ratio);

int effect_report_text(FILE *f, const struct effect_report *r);
int effect_report_json(FILE *f, const struct effect_report *r);
/*
 * A self-contained page (inline SVG charts, no scripts, no fetches) for one
 * or more runs (e.g. control off and on).
 */
int effect_report_html(FILE *f, const struct effect_report *r, unsigned int n);

#endif
