/* SPDX-License-Identifier: GPL-2.0 */
/*
 * blkpriod, private to userspace/daemon: one epoll loop (fds and timers
 * registered with dm_add_fd/dm_add_timer), the container table, inotify
 * watches, reconcile. Other parts of the daemon (metrics, latency probes)
 * plug in as rows of the module table in main.c and add their fds here.
 */
#ifndef BLKPRIO_DAEMON_H
#define BLKPRIO_DAEMON_H

#include <stdbool.h>
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>

#include <blkprio/cgroup.h>
#include <blkprio/conf.h>

struct daemon;

/* ---- the event loop (loop.c) ---------------------------------------------- */

typedef void (*dm_fd_fn)(struct daemon *d, int fd, uint32_t events, void *ctx);

int dm_loop_init(struct daemon *d);
void dm_loop_fini(struct daemon *d);
/* Watch fd for events (EPOLLIN...); fn runs on each wake-up. */
int dm_add_fd(struct daemon *d, int fd, uint32_t events, dm_fd_fn fn, void *ctx);
void dm_del_fd(struct daemon *d, int fd);
/* A periodic timer (timerfd); returns its fd (close with dm_del_fd + close). */
int dm_add_timer(struct daemon *d, uint64_t period_ns, dm_fd_fn fn, void *ctx);
/* Run until d->stop; pending container work is flushed when the loop is idle. */
int dm_run(struct daemon *d);
uint64_t dm_now_ns(void);

/* ---- containers (ctable.c) ------------------------------------------------ */

struct ct_state {
	char ctid[CTID_MAX_LEN + 1];
	struct ct_settings good;	/* last good settings (bad values keep these) */
	struct ct_settings applied;	/* what is in the kernel, as we wrote it */
	bool have_good;
	bool have_applied;
	bool managed;			/* a config or runtime override exists */
	bool dirty;			/* queued for refresh */
	bool force;			/* write even if unchanged (new cgroup) */
	bool link_watched;		/* its config is a symlink, target watched */
	int last_err;			/* -errno of the last apply, 0 if fine */
};

struct ctable {
	struct ct_state **slot;
	size_t cap, n;
};

struct ct_state *ctable_get(struct ctable *t, const char *ctid, bool create);
void ctable_free(struct ctable *t);
#define ctable_for_each(t, i, c) \
	for ((i) = 0; (i) < (t)->cap; (i)++) \
		if (((c) = (t)->slot[i]))

/* ---- the daemon ----------------------------------------------------------- */

struct dm_watch {
	int wd;
	int kind;			/* DM_W_* */
	char *path;
	size_t dir;			/* index in conf_dirs for DM_W_CONF */
	char *file;			/* DM_W_LINK: the symlink target's name */
	char ctid[CTID_MAX_LEN + 1];	/* DM_W_LINK: whose config it is */
};
/*
 * DM_W_LINK: the folder of a config that is a symlink (VZ7's ve.conf);
 * DM_W_PARENT: the nearest existing parent of a config folder not made yet.
 */
enum { DM_W_CONF, DM_W_RUN, DM_W_CGROUP, DM_W_LINK, DM_W_PARENT };

struct daemon {
	/* options */
	const char *config_path;
	const char *conf_dirs_opt;	/* --conf-dir, overrides CONF_DIRS */
	const char *run_dir_opt;	/* --run-dir, overrides RUN_DIR */
	bool foreground, once;

	struct cg_config cfg;
	struct cg_ctx cx;
	char **conf_dirs;		/* CONF_DIRS split */
	size_t nconf_dirs;
	const char *run_dir;

	int epfd, sigfd, inofd, lockfd;
	struct dm_watch *watch;
	size_t nwatch, capwatch;

	struct ctable cts;
	struct ct_state **dirty;	/* refresh queue */
	size_t ndirty, capdirty;
	uint64_t dirty_since;		/* when the queue became non-empty */
	bool full_pending;		/* a full reconcile is queued */

	bool stop, reload;
	uint64_t applies, errors;	/* counters for logs and metrics */
};

/* reconcile.c */
int dm_config_load(struct daemon *d);
void dm_config_free(struct daemon *d);
void dm_mark(struct daemon *d, const char *ctid, bool force);
int dm_flush(struct daemon *d);
int dm_reconcile_all(struct daemon *d, unsigned int *count);
void dm_apply_bfq_devices(struct daemon *d);

/* levers.c: each device's lever, logged at start and when it changes (a module row) */
int dm_levers_start(struct daemon *d);
void dm_levers_reload(struct daemon *d);
void dm_levers_stop(struct daemon *d);
/* The device's lever, chosen again now (NULL: no such device). */
const struct cg_lever_choice *dm_lever(struct daemon *d, const char *name);
void dm_levers_metrics(struct daemon *d, FILE *f);

/* watch.c */
int dm_watch_init(struct daemon *d);
void dm_watch_fini(struct daemon *d);
int dm_watch_arm(struct daemon *d);
/* If c's config is a symlink, also watch the folder of its target (once). */
void dm_watch_link(struct daemon *d, struct ct_state *c, const char *conf_path);

/* tasks.c: APPLY_TASK_IOPRIO for tasks that join later (a module row) */
int dm_tasks_start(struct daemon *d);
void dm_tasks_reload(struct daemon *d);
void dm_tasks_stop(struct daemon *d);

/* share.c: closed-loop share control (a module row) */
int dm_share_start(struct daemon *d);
void dm_share_reload(struct daemon *d);
void dm_share_stop(struct daemon *d);
/* The metrics page's share-control lines. */
void dm_share_metrics(struct daemon *d, FILE *f);
/* After refresh wrote a container's settings: its caps again, over its new limits. */
void dm_share_ct_applied(struct daemon *d, const char *ctid);

/* latency.c: the loaded probes and cgroup map (NULL when latency is off) */
struct lat_probe;
struct lat_cgmap;
struct lat_probe *dm_latency_probe(struct lat_cgmap **map);

/* notify.c: sd_notify and the single-instance lock */
void dm_notify(const char *state);
int dm_lock(struct daemon *d);

#endif
