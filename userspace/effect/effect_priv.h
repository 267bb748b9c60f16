/* SPDX-License-Identifier: GPL-2.0 */
/* The effect proof's parts, one file each. */
#ifndef BLKPRIO_EFFECT_PRIV_H
#define BLKPRIO_EFFECT_PRIV_H

#include <limits.h>
#include <sys/types.h>

#include <blkprio/cgroup.h>
#include <blkprio/effect.h>

#define EFFECT_PATH	256	/* work folder paths (the base is checked) */

/* ---- loopdev.c: the test device and its scheduler ------------------------ */

struct effect_dev {
	char path[64];			/* /dev/loop3 */
	char name[32];			/* loop3 */
	int fd;				/* held open (autoclear detaches at last close) */
	bool made;			/* a loop device we made */
	char backing[EFFECT_PATH + 16];
	char old_sched[16];		/* to restore on a device we did not make */
	int old_tun[3];
};

void effect_dev_init(struct effect_dev *d);
int effect_dev_make(struct effect_dev *d, const char *dir, uint64_t size);
int effect_dev_use(struct effect_dev *d, const char *path);
/*
 * The scheduler (BFQ: with the tunables asked for); what is in force is read
 * back. name NULL: BFQ where the kernel has it (built in or a module the
 * kernel loads), else the device's own.
 */
int effect_dev_sched(struct effect_dev *d, const char *name, const struct effect_sched *s,
		     struct effect_sched *used, char *sched, size_t len);
void effect_dev_release(struct effect_dev *d);

/* ---- setup.c: config folder, blkpriod, containers' cgroups ---------------- */

struct effect_env {
	char dir[EFFECT_PATH];		/* private work folder */
	char conf_dir[EFFECT_PATH + 8];
	char run_dir[EFFECT_PATH + 8];
	char config[EFFECT_PATH + 16];	/* blkpriod.conf */
	char parent[64];		/* cgroup holding the containers */
	char mnt[EFFECT_PATH + 8];	/* filesystem for qcow2 disks ("" none) */
	struct cg_layout layout;
	struct prio_map map;
	struct cg_lever_choice lever;	/* the test device's, under the run's config */
	int notify_fd;			/* blkpriod's readiness (sd_notify) */
	pid_t daemon;
	unsigned int ncg;		/* cgroups made */
};

void effect_env_init(struct effect_env *e);
int effect_env_make(struct effect_env *e, const struct effect_opts *o, char *why,
		    size_t len);
/* blkpriod.conf for the run, controlling the test device only. */
int effect_env_config(struct effect_env *e, const struct effect_opts *o,
		      const struct effect_dev *dev, char *why, size_t len);
/* The test device's lever under the run's blkpriod.conf, into e and the report. */
int effect_env_lever(struct effect_env *e, const struct effect_dev *dev,
		     struct effect_report *r, char *why, size_t len);
int effect_env_containers(struct effect_env *e, const struct effect_opts *o,
			  struct effect_report *r, char *why, size_t len);
/* Where each container's workload goes: the device or an image on it. */
struct effect_target {
	char spec[EFFECT_PATH + 32];	/* "/dev/loop3" or "img:/.../ct0.qcow2" */
	uint64_t offset, size;
};
int effect_env_disks(struct effect_env *e, const struct effect_dev *d,
		     const struct effect_opts *o, struct effect_target *t,
		     char *why, size_t len);
/* A live change through the CLI, as an admin would type it. */
int effect_env_set(const struct effect_env *e, const struct effect_opts *o,
		   const char *ctid, int ioprio);
void effect_env_release(struct effect_env *e, const struct effect_report *r);

/* ---- work.c: one process per container, results in shared memory ---------- */

struct effect_work;
int effect_work_start(struct effect_work **w, const struct effect_env *e,
		      const struct effect_opts *o, const struct effect_report *r,
		      const struct effect_target *t);
struct effect_probes;
/*
 * Wait for the workloads; stop them early when *stop is set. Makes the live
 * change when asked, and marks the probes at the end of the warm-up.
 */
int effect_work_wait(struct effect_work *w, const struct effect_opts *o,
		     const struct effect_env *e, const struct effect_report *r,
		     struct effect_probes *pr);
/* Copy engine figures into the report. Returns -errno of a failed worker. */
int effect_work_collect(struct effect_work *w, const struct effect_opts *o,
			struct effect_report *r, char *why, size_t len);
void effect_work_free(struct effect_work *w);

/* ---- probes.c: per-container latency from the eBPF probes ----------------- */

void effect_probes_start(struct effect_probes **p, const struct effect_env *e,
			 const struct effect_dev *d, struct effect_report *r);
void effect_probes_mark(struct effect_probes *p);	/* end of warm-up */
/* Once a second from the start: each container's device time. */
void effect_probes_second(struct effect_probes *p);
/* Latency figures since the mark; the per-second device time into svc when time. */
void effect_probes_finish(struct effect_probes *p, struct effect_report *r, bool time);

/* ---- analyze.c: shares against weights ------------------------------------ */

void effect_analyze(const struct effect_opts *o, struct effect_report *r);

#endif
