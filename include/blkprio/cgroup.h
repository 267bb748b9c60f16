/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Containers and cgroups: where the block-I/O controller lives (cgroup v1
 * "blkio", v2 "io", or a hybrid of a v1 blkio hierarchy next to a v2 mount),
 * which cgroup belongs to which container (path templates), and writing the
 * settings: weights, throttle limits, per-task ioprio. Block-device scheduler
 * checks for "blkprio check" are here too.
 *
 * All functions return 0 (or a count) or -errno; libcgroup's own ECG* codes
 * are translated in one place (cg_errno()). Cgroup paths ("rel") are relative
 * to the hierarchy's mount point, without a leading '/'; "" is the root.
 */
#ifndef BLKPRIO_CGROUP_H
#define BLKPRIO_CGROUP_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <blkprio/conf.h>
#include <blkprio/prio.h>

/* ---- layout ------------------------------------------------------------ */

enum cg_version { CG_NONE = 0, CG_V1 = 1, CG_V2 = 2 };

struct cg_layout {
	enum cg_version ver;		/* hierarchy that holds blkio / io */
	char mount[PATH_MAX];		/* its mount point */
	bool hybrid;			/* v1 blkio and a v2 mount both exist */
	char v2_mount[PATH_MAX];	/* a cgroup2 mount if any ("" if none) */
};

/*
 * Find the I/O controller: v1 "blkio" through libcgroup, else a cgroup2
 * mount whose cgroup.controllers lists "io". -ENODEV when neither exists.
 */
int cg_layout_detect(struct cg_layout *l);
/*
 * Use a given hierarchy (tests: a private v2 mount; a v1 blkio mount).
 * Checks that mount is a cgroup (v1 with blkio files or v2 with "io").
 */
int cg_layout_at(struct cg_layout *l, enum cg_version ver, const char *mount);
const char *cg_version_name(enum cg_version v);	/* "v1", "v2", "none" */
/* The controller's name in this layout: "blkio" or "io". */
const char *cg_controller_name(const struct cg_layout *l);

/* Translate a libcgroup return code (ECG*, or already -errno) to -errno. */
int cg_errno(int ret);

/* ---- levers: how IOPRIO takes effect on a device ---------------------------
 *
 * One per device, the best the kernel offers:
 *   bfq     BFQ weights (blkio.bfq.weight, io.bfq.weight)
 *   iocost  io.cost weights (io.weight on v2, io.cost enabled for the device)
 *   caps    blkpriod's share control: closed-loop throttle caps
 *           (blkio.throttle.*, io.max), measured by the latency probes
 *   none    nothing acts; why says why
 * These names are the ones every view shows (check, list, top, /metrics,
 * the daemon's log, the share state file).
 */
enum cg_lever { CG_LEVER_NONE, CG_LEVER_BFQ, CG_LEVER_IOCOST, CG_LEVER_CAPS, CG_NLEVERS };

const char *cg_lever_name(enum cg_lever l);
int cg_lever_parse(const char *s, enum cg_lever *l);
/* bfq and iocost: the lever is a weight file. */
bool cg_lever_is_weight(enum cg_lever l);
/* A set of levers (bit 1 << lever) as "bfq,caps" in that order; "-" when empty. */
const char *cg_levers_join(unsigned int set, char *buf, size_t len);

/* ---- container <-> cgroup path templates --------------------------------
 *
 * CGROUP_PATHS is a list of templates separated by blanks or commas, tried in
 * order. Each is a path relative to the hierarchy's mount point containing
 * "%s" exactly once for the CTID (it may be part of a component, as in
 * "machine.slice/machine-%s.scope"); "%%" is a literal '%'. Components "."
 * and ".." are refused; a leading '/' is ignored.
 */
#define CG_TEMPLATES_DEFAULT	"lxc/%s machine.slice/%s %s"
#define CG_TEMPLATES_MAX	16

struct cg_templates {
	size_t n;
	char *t[CG_TEMPLATES_MAX];
};

/* Returns 0 or -EINVAL (*why: static text), -ENOMEM. NULL = the default. */
int cg_templates_parse(struct cg_templates *t, const char *s, const char **why);
void cg_templates_free(struct cg_templates *t);
/* One template with a CTID into buf: -EINVAL (bad CTID), -ENAMETOOLONG. */
int cg_template_format(const char *tmpl, const char *ctid, char *buf, size_t len);
/*
 * Which container a cgroup path belongs to: the index of the first template
 * that matches rel with a valid CTID (copied to ctid), or -ENOENT.
 */
int cg_templates_match(const struct cg_templates *t, const char *rel,
		       char *ctid, size_t len);
/*
 * The container's existing cgroup: the first template whose directory
 * exists, as a path relative to the mount (rel). Returns the template index
 * or -ENOENT when the container has no cgroup (it is not running).
 */
int cg_ct_find(const struct cg_layout *l, const struct cg_templates *t,
	       const char *ctid, char *rel, size_t len);

/* Every container cgroup that exists now (one call per CTID). */
struct cg_ct_entry {
	const char *ctid;
	const char *rel;
	uint64_t ino;		/* cgroup directory inode = kernel cgroup id */
};
typedef int (*cg_ct_fn)(void *ctx, const struct cg_ct_entry *e);
/* Stops at the first non-zero return of fn and returns it; else the count. */
int cg_ct_foreach(const struct cg_layout *l, const struct cg_templates *t,
		  cg_ct_fn fn, void *ctx);

/* ---- creating, removing, entering --------------------------------------- */

/*
 * mkdir -p: libcgroup for the system's v1 blkio hierarchy, plain mkdir for
 * others (v2: "io" enabled in each parent's subtree_control). -EEXIST if it
 * exists; -EINVAL for empty, "." or ".." components.
 */
int cg_create(const struct cg_layout *l, const char *rel);
/* rmdir; -EBUSY while tasks are inside, -ENOENT if absent. */
int cg_destroy(const struct cg_layout *l, const char *rel);
/*
 * v2: make sure the io controller reaches the cgroup (cgroups made by a
 * container manager may not have it): "+io" in every ancestor's
 * subtree_control that lacks it. A parent with processes of its own cannot
 * (the kernel's no-internal-process rule) and is left as it is. v1: nothing.
 */
int cg_io_enable(const struct cg_layout *l, const char *rel);
/* Move a process (all its threads) into the cgroup. */
int cg_attach(const struct cg_layout *l, const char *rel, pid_t pid);

/* ---- weights ------------------------------------------------------------ */

/* What is in the kernel; -1 where the file does not exist. */
struct cg_weights {
	int bfq;	/* blkio.bfq.weight / io.bfq.weight (default value) */
	int io;		/* v2 io.weight default */
	int blkio;	/* v1 blkio.weight (CFQ-era kernels) */
};

/*
 * Write IOPRIO through map to each weight file present in the cgroup.
 * Returns 0, -ENOENT if the cgroup is gone, -ENODEV if it has no weight file
 * at all (no BFQ/CFQ/io.weight: weights cannot work), or the write's -errno.
 * *written (may be NULL) receives what was written (-1 for absent files).
 */
int cg_weight_set(const struct cg_layout *l, const char *rel,
		  const struct prio_map *map, int ioprio, struct cg_weights *written);
int cg_weight_get(const struct cg_layout *l, const char *rel, struct cg_weights *w);
/* What map gives for ioprio in the files that are present in *present. */
void cg_weight_expected(const struct prio_map *map, int ioprio,
			const struct cg_weights *present, struct cg_weights *want);
/* True when every present file holds what map gives for ioprio. */
bool cg_weight_matches(const struct prio_map *map, int ioprio,
		       const struct cg_weights *have);

/*
 * A weight for one device only, in the lever's file (bfq: BFQ's per-device
 * override; iocost: "MAJ:MIN W" in io.weight); 0 drops the override so the
 * cgroup's default weight applies again. -EINVAL for a lever without weights.
 */
int cg_weight_dev_set(const struct cg_layout *l, const char *rel, enum cg_lever lever,
		      unsigned int major, unsigned int minor, unsigned int weight);

/* ---- throttle limits ---------------------------------------------------- */

struct cg_dev {
	unsigned int major, minor;
	char name[32];		/* as given ("loop0", "/dev/loop0", "7:0") */
};

/* A device by name ("loop0"), path ("/dev/loop0") or "MAJ:MIN". */
int cg_dev_parse(const char *s, struct cg_dev *d);

/*
 * IOLIMIT (bytes/s) and IOPSLIMIT for reads and writes each, on every
 * device: v1 blkio.throttle.{read,write}_{bps,iops}_device, v2 io.max.
 * 0 removes the limit (v1 writes 0, v2 writes "max").
 */
int cg_limits_set(const struct cg_layout *l, const char *rel,
		  const struct cg_dev *devs, size_t ndevs, uint64_t bps, uint64_t iops);

/* ---- per-task ioprio ----------------------------------------------------- */

/*
 * Best-effort level 7-IOPRIO for every task (thread) in the cgroup.
 * Returns the number of tasks set; tasks that exit meanwhile are skipped.
 */
int cg_task_ioprio_set(const struct cg_layout *l, const char *rel, int ioprio);
/* The ioprio of one task as the kernel reports it (ioprio_get). */
int cg_task_ioprio_get(pid_t tid, int *class_, int *level);

/* ---- the daemon's config (blkpriod.conf), shared with the CLI ------------- */

#define CG_CONFIG_DEFAULT	"/etc/blkprio/blkpriod.conf"

/*
 * SHARE_CONTROL: auto (default) runs share control on the devices whose
 * lever is caps (no weights there); yes on every device blkpriod sees
 * (BFQ's weights too); no nowhere.
 */
enum cg_share_mode { CG_SHARE_AUTO, CG_SHARE_YES, CG_SHARE_NO };
const char *cg_share_mode_name(enum cg_share_mode m);
int cg_share_mode_parse(const char *s, enum cg_share_mode *m);
#define CG_DEVICES_MAX		32

struct cg_config {
	char *conf_dirs;		/* CONF_DIRS: blank-separated folders */
	char *run_dir;			/* RUN_DIR */
	struct cg_templates templates;	/* CGROUP_PATHS */
	struct prio_map map;		/* WEIGHT_MAP */
	bool task_ioprio;		/* APPLY_TASK_IOPRIO */
	size_t nbfq;			/* BFQ_DEVICES: set BFQ on these */
	struct cg_dev bfq[CG_DEVICES_MAX];
	size_t nthrottle;		/* THROTTLE_DEVICES: where limits go */
	struct cg_dev throttle[CG_DEVICES_MAX];
	enum cg_share_mode share;	/* SHARE_CONTROL */
	char share_devices[256];	/* SHARE_DEVICES: blank/comma-separated names, "" all */
	bool latency;			/* LATENCY: load the probes */
	struct conf raw;		/* every key, for other modules' keys */
};

/* Defaults: CONF_DIRS=/etc/vz/conf, RUN_DIR=/run/blkprio, the rest above. */
int cg_config_init(struct cg_config *c);
/*
 * Load a config file over the defaults (path NULL = CG_CONFIG_DEFAULT). A
 * missing file gives the defaults. A bad value is reported through diag with
 * file:line and the default kept for that key; unknown keys are reported.
 * Returns 0, -ENOMEM, or an I/O -errno.
 */
int cg_config_load(struct cg_config *c, const char *path, conf_diag_fn diag, void *ctx);
void cg_config_free(struct cg_config *c);
/* Whether SHARE_DEVICES names the device (always true when it is blank). */
bool cg_config_share_device(const struct cg_config *c, const char *name);

/* ---- one container, everything ------------------------------------------ */

struct cg_ctx {
	struct cg_layout layout;
	const struct cg_config *cfg;
};

struct cg_apply_result {
	char rel[PATH_MAX];		/* the cgroup used */
	struct cg_weights written;
	int tasks;			/* tasks given an ioprio (-1: not asked) */
};

/*
 * Apply a container's effective settings to its cgroup: weight (in the
 * weight files that exist; r->written says which), limits on
 * THROTTLE_DEVICES, and task ioprio if APPLY_TASK_IOPRIO. Returns 0,
 * -ENOENT when the container has no cgroup (not running), or -errno of the
 * first failing write. A cgroup without weight files is fine: the lever of
 * its devices is then caps (share control) or none.
 */
int cg_ct_apply(const struct cg_ctx *cx, const char *ctid, const struct ct_settings *s,
		struct cg_apply_result *r);

/* ---- block devices and schedulers (blkprio check) ------------------------ */

struct cg_devcheck {
	char name[32];			/* "sda", "loop0" */
	enum cg_version ver;		/* of the layout it was checked in */
	unsigned int major, minor;
	uint64_t sectors;		/* size (0: an empty loop device, say) */
	char sched[16];			/* active scheduler, "" if none */
	bool bfq_avail;			/* "bfq" offered in queue/scheduler */
	bool bfq_module;		/* not offered, but the kernel has it as a module */
	int low_latency;		/* BFQ low_latency 0/1, -1 when not BFQ */
	bool bfq_groups;		/* BFQ has cgroup support (its weight files) */
	bool iocost;			/* v2 io.cost.qos has enable=1 for it */
	bool throttle;			/* the throttle files exist (blkio.throttle / io.max) */
	bool btf;			/* kernel BTF: the latency probes can load */
	bool weights_work;		/* BFQ active with groups, or io.cost on v2 */
};

/*
 * Block devices with a queue/scheduler file, sorted by name (malloc'd array
 * of malloc'd names; free with cg_dev_names_free).
 */
int cg_dev_names(char ***names, size_t *n);
void cg_dev_names_free(char **names, size_t n);
int cg_dev_check(const struct cg_layout *l, const char *name, struct cg_devcheck *c);
/* echo bfq > /sys/block/NAME/queue/scheduler. -ENOTSUP when BFQ is absent. */
int cg_dev_set_bfq(const char *name);
/*
 * Write /sys/block/NAME/queue/ATTR ("scheduler", "nomerges"); the value it
 * had goes to old (for "scheduler" the active one, "none" when none).
 */
int cg_dev_queue_set(const char *name, const char *attr, const char *val,
		     char *old, size_t len);

/* ---- io.cost (cgroup v2 root): a device's cost model and its switch ------- */

enum {
	CG_IOCOST_RBPS, CG_IOCOST_RSEQIOPS, CG_IOCOST_RRANDIOPS,
	CG_IOCOST_WBPS, CG_IOCOST_WSEQIOPS, CG_IOCOST_WRANDIOPS, CG_IOCOST_NPARAMS
};
/* The linear model: bytes/s for r/wbps, IOPS of 4 KiB requests for the rest. */
struct cg_iocost_model {
	uint64_t v[CG_IOCOST_NPARAMS];
};
struct cg_iocost_state {
	bool enabled;			/* io.cost.qos enable=1 */
	bool user_model;		/* io.cost.model ctrl=user (else the kernel's) */
	bool have_model;
	struct cg_iocost_model model;
};
/* "rbps", "rseqiops", ... in the order of the enum. */
const char *cg_iocost_param_name(unsigned int i);
/*
 * "rbps=N rseqiops=N rrandiops=N wbps=N wseqiops=N wrandiops=N" (all six,
 * each > 0; "MAJ:MIN", "ctrl=user" and "model=linear" may be there too).
 * -EINVAL for anything else.
 */
int cg_iocost_model_parse(const char *s, struct cg_iocost_model *m);
/* "ctrl=user model=linear rbps=N ..." */
int cg_iocost_model_format(const struct cg_iocost_model *m, char *buf, size_t len);
/* What the root's io.cost files say of maj:min. -ENOTSUP: io is not on v2. */
int cg_iocost_get(const struct cg_layout *l, unsigned int maj, unsigned int min,
		  struct cg_iocost_state *st);
/*
 * Write the model (ctrl=user) and enable io.cost for maj:min. vrate 1..100:
 * the rate pinned at that percentage of the model, no latency targets
 * (io.cost.qos ctrl=user rpct=0 ... min=max=vrate); 0: the kernel's own QoS
 * control (ctrl=auto), which lowers the rate while requests wait for the
 * device's tags, so on a device of queue depth 1 it falls to a few percent.
 */
int cg_iocost_set(const struct cg_layout *l, unsigned int maj, unsigned int min,
		  const struct cg_iocost_model *m, unsigned int vrate);
int cg_iocost_disable(const struct cg_layout *l, unsigned int maj, unsigned int min);

/* ---- the lever of a device ------------------------------------------------ */

struct cg_lever_choice {
	enum cg_lever lever;
	bool share;			/* blkpriod's share control runs on the device */
	bool kept;			/* the promise (shares as the weights say) can be kept */
	char why[160];			/* how it acts, or why nothing does */
	char fix[200];			/* what would do better ("" nothing) */
};

/*
 * The lever for a checked device under the daemon's settings (SHARE_CONTROL,
 * SHARE_DEVICES, LATENCY). probes: the latency probes are (or can be)
 * loaded; callers that loaded them know, others pass c->btf.
 */
void cg_dev_lever(const struct cg_devcheck *c, const struct cg_config *cfg, bool probes,
		  struct cg_lever_choice *out);

#endif
