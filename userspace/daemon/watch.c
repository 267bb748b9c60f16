// SPDX-License-Identifier: GPL-2.0
/*
 * inotify: config folders and the runtime folder (in-place writes, renames,
 * deletions, symlinks), and the cgroup folders where container cgroups
 * appear (the folder of each CGROUP_PATHS template's CTID component, or its
 * nearest existing ancestor until that folder is made).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <blkprio/log.h>

#include "daemon.h"

#define CONF_MASK (IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | \
		   IN_CREATE | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)
#define CG_MASK (IN_CREATE | IN_DELETE | IN_DELETE_SELF | IN_ONLYDIR)

static struct dm_watch *find_wd(struct daemon *d, int wd)
{
	size_t i;

	for (i = 0; i < d->nwatch; i++)
		if (d->watch[i].wd == wd)
			return &d->watch[i];
	return NULL;
}

static bool path_watched(struct daemon *d, const char *path)
{
	size_t i;

	for (i = 0; i < d->nwatch; i++)
		if (!strcmp(d->watch[i].path, path))
			return true;
	return false;
}

static int add_watch(struct daemon *d, const char *path, uint32_t mask, int kind,
		     size_t dir)
{
	struct dm_watch *nw, *w;
	int wd;

	wd = inotify_add_watch(d->inofd, path, mask);
	if (wd < 0)
		return -errno;
	w = find_wd(d, wd);	/* the same folder under another role */
	if (w && w->kind != DM_W_LINK)
		return 0;
	if (d->nwatch == d->capwatch) {
		nw = realloc(d->watch, (d->capwatch * 2 + 8) * sizeof(*nw));
		if (!nw)
			return -ENOMEM;
		d->watch = nw;
		d->capwatch = d->capwatch * 2 + 8;
	}
	w = &d->watch[d->nwatch];
	w->path = strdup(path);
	if (!w->path)
		return -ENOMEM;
	w->wd = wd;
	w->kind = kind;
	w->dir = dir;
	w->file = NULL;
	w->ctid[0] = '\0';
	d->nwatch++;
	return 0;
}

static void drop_watch(struct daemon *d, struct dm_watch *w)
{
	free(w->path);
	free(w->file);
	*w = d->watch[--d->nwatch];
}

void dm_watch_link(struct daemon *d, struct ct_state *c, const char *conf_path)
{
	char target[PATH_MAX], *slash;
	struct dm_watch *nw, *w;
	struct stat st;
	int wd;

	if (d->inofd < 0 || c->link_watched || lstat(conf_path, &st) ||
	    !S_ISLNK(st.st_mode) || !realpath(conf_path, target))
		return;
	slash = strrchr(target, '/');
	if (!slash || slash == target)
		return;
	*slash = '\0';
	/* IN_MASK_ADD: the folder may be watched already in another role */
	wd = inotify_add_watch(d->inofd, target, IN_MASK_ADD | IN_CLOSE_WRITE |
			       IN_MOVED_TO | IN_DELETE | IN_CREATE | IN_ATTRIB | IN_ONLYDIR);
	if (wd < 0) {
		log_warn("%s: cannot watch: %s", target, strerror(errno));
		return;
	}
	if (d->nwatch == d->capwatch) {
		nw = realloc(d->watch, (d->capwatch * 2 + 8) * sizeof(*nw));
		if (!nw)
			return;
		d->watch = nw;
		d->capwatch = d->capwatch * 2 + 8;
	}
	w = &d->watch[d->nwatch];
	memset(w, 0, sizeof(*w));
	w->path = strdup(target);
	w->file = strdup(slash + 1);
	if (!w->path || !w->file) {
		free(w->path);
		free(w->file);
		return;
	}
	w->wd = wd;
	w->kind = DM_W_LINK;
	snprintf(w->ctid, sizeof(w->ctid), "%s", c->ctid);
	d->nwatch++;
	c->link_watched = true;
	log_debug("CT %s: config is a link, watching %s/%s", c->ctid, target, slash + 1);
}

/* Queue the containers whose cgroups already sit in a cgroup folder. */
static int mark_existing(void *ctx, const struct cg_ct_entry *e)
{
	struct daemon *d = ctx;
	struct ct_state *c = ctable_get(&d->cts, e->ctid, false);

	if (c && c->managed && !c->have_applied)
		dm_mark(d, e->ctid, true);
	return 0;
}

/* The folder holding the CTID component of template t ("" = the root). */
static void hole_dir(const char *t, char *buf, size_t len)
{
	const char *h = t, *p;
	size_t o = 0;

	/* the templates are checked: the first "%s" not after '%' is the hole */
	for (p = t; *p; p++) {
		if (p[0] == '%' && p[1] == '%') {
			p++;
			continue;
		}
		if (p[0] == '%' && p[1] == 's') {
			h = p;
			break;
		}
	}
	while (h > t && h[-1] != '/')
		h--;
	for (p = t; p < h && o + 1 < len; p++) {
		if (p[0] == '%' && p[1] == '%')
			p++;
		buf[o++] = *p;
	}
	if (o && buf[o - 1] == '/')
		o--;
	buf[o] = '\0';
}

/*
 * Watch the deepest existing folder of each template's CTID folder; true when
 * a watch was added. A folder made between its stat and its parent's watch
 * sends no event, so the caller looks again until nothing new is added.
 */
static bool arm_cgroups_once(struct daemon *d)
{
	char rel[PATH_MAX], path[PATH_MAX];
	bool added = false;
	struct stat st;
	size_t i;
	char *slash;

	for (i = 0; i < d->cfg.templates.n; i++) {
		hole_dir(d->cfg.templates.t[i], rel, sizeof(rel));
		/* walk up to the nearest folder that exists */
		for (;;) {
			if (snprintf(path, sizeof(path), "%s%s%s", d->cx.layout.mount,
				     rel[0] ? "/" : "", rel) >= (int)sizeof(path))
				break;
			if (!stat(path, &st) && S_ISDIR(st.st_mode)) {
				if (!path_watched(d, path) &&
				    !add_watch(d, path, CG_MASK, DM_W_CGROUP, 0))
					added = true;
				break;
			}
			if (!rel[0])
				break;
			slash = strrchr(rel, '/');
			if (slash)
				*slash = '\0';
			else
				rel[0] = '\0';
		}
	}
	return added;
}

static void arm_cgroups(struct daemon *d)
{
	bool added = false;

	if (d->cx.layout.ver == CG_NONE)
		return;
	while (arm_cgroups_once(d))
		added = true;
	/* cgroups made before their folder was watched */
	if (added)
		cg_ct_foreach(&d->cx.layout, &d->cfg.templates, mark_existing, d);
}

/*
 * A config folder that does not exist yet: watch for it from its nearest
 * existing ancestor; true when a watch was added.
 */
static bool watch_parent(struct daemon *d, const char *dir)
{
	char path[PATH_MAX], *slash;

	snprintf(path, sizeof(path), "%s", dir);
	while ((slash = strrchr(path, '/'))) {
		if (slash == path)
			slash[1] = '\0';
		else
			*slash = '\0';
		if (path_watched(d, path))
			return false;
		if (!add_watch(d, path, IN_CREATE | IN_MOVED_TO | IN_ONLYDIR, DM_W_PARENT, 0))
			return true;
		if (slash == path)
			return false;
	}
	return false;
}

/*
 * Watch config folder I, or the way to it. A folder made between the failed
 * watch and its parent's watch sends no event: after each new watch on the
 * way, try again; when the folder is there by then, read it all.
 */
static void watch_conf_dir(struct daemon *d, size_t i)
{
	bool retried = false;
	int err;

	for (;;) {
		err = add_watch(d, d->conf_dirs[i], CONF_MASK, DM_W_CONF, i);
		if (err != -ENOENT || !watch_parent(d, d->conf_dirs[i]))
			break;
		retried = true;
	}
	if (err && err != -ENOENT)
		log_warn("%s: cannot watch: %s", d->conf_dirs[i], strerror(-err));
	if (!err && retried) {
		d->full_pending = true;
		d->dirty_since = dm_now_ns();
	}
}

int dm_watch_arm(struct daemon *d)
{
	size_t i;
	int err;

	for (i = 0; i < d->nconf_dirs; i++)
		if (!path_watched(d, d->conf_dirs[i]))
			watch_conf_dir(d, i);
	if (!path_watched(d, d->run_dir)) {
		err = add_watch(d, d->run_dir, CONF_MASK, DM_W_RUN, 0);
		if (err)
			log_warn("%s: cannot watch: %s", d->run_dir, strerror(-err));
	}
	arm_cgroups(d);
	return 0;
}

static void conf_event(struct daemon *d, const struct inotify_event *ev)
{
	char ctid[CTID_MAX_LEN + 1];

	if (!ev->len || !ctid_from_filename(ev->name, ctid, sizeof(ctid)))
		return;
	/* a plain new file is still empty: wait for its close or rename */
	if ((ev->mask & IN_CREATE) && !(ev->mask & IN_ISDIR)) {
		struct dm_watch *w = find_wd(d, ev->wd);
		char path[PATH_MAX];
		struct stat st;

		if (!w || snprintf(path, sizeof(path), "%s/%s", w->path, ev->name) >=
		    (int)sizeof(path) || lstat(path, &st) || !S_ISLNK(st.st_mode))
			return;
	}
	dm_mark(d, ctid, false);
}

static void cgroup_event(struct daemon *d, const struct dm_watch *w,
			 const struct inotify_event *ev)
{
	char rel[PATH_MAX], ctid[CTID_MAX_LEN + 1];
	const char *base = w->path + strlen(d->cx.layout.mount);
	struct ct_state *c;
	int n;

	if (!ev->len || !(ev->mask & IN_ISDIR))
		return;
	while (*base == '/')
		base++;
	n = snprintf(rel, sizeof(rel), "%s%s%s", base, *base ? "/" : "", ev->name);
	if (n < 0 || n >= (int)sizeof(rel))
		return;
	if (cg_templates_match(&d->cfg.templates, rel, ctid, sizeof(ctid)) < 0) {
		/* maybe a folder on the way to a template: watch deeper */
		if (ev->mask & IN_CREATE)
			arm_cgroups(d);
		return;
	}
	c = ctable_get(&d->cts, ctid, false);
	if (!c || !c->managed)
		return;
	if (ev->mask & IN_DELETE) {
		log_debug("CT %s: cgroup %s removed (stopped)", ctid, rel);
		c->have_applied = false;
		return;
	}
	log_debug("CT %s: cgroup %s appeared", ctid, rel);
	dm_mark(d, ctid, true);
}

/* One event to every role its folder has (a config folder, a link target...). */
static void dispatch(struct daemon *d, const struct inotify_event *ev)
{
	struct dm_watch *w;
	size_t i;

	if (ev->mask & IN_IGNORED) {
		for (i = d->nwatch; i-- > 0;) {
			if (d->watch[i].wd != ev->wd)
				continue;
			log_debug("%s: no longer watched", d->watch[i].path);
			drop_watch(d, &d->watch[i]);
		}
		arm_cgroups(d);
		return;
	}
	if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF))
		return;
	for (i = 0; i < d->nwatch; i++) {
		w = &d->watch[i];
		if (w->wd != ev->wd)
			continue;
		if (w->kind == DM_W_CGROUP) {
			cgroup_event(d, w, ev);
		} else if (w->kind == DM_W_PARENT) {
			/* maybe a config folder appeared: watch it, read it all */
			if (ev->mask & IN_ISDIR) {
				dm_watch_arm(d);
				d->full_pending = true;
				d->dirty_since = dm_now_ns();
			}
			return;	/* the array may have moved */
		} else if (w->kind != DM_W_LINK)
			conf_event(d, ev);
		else if (ev->len && !strcmp(ev->name, w->file))
			dm_mark(d, w->ctid, false);
	}
}

static void ino_ready(struct daemon *d, int fd, uint32_t events, void *ctx)
{
	char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *ev;
	ssize_t n;
	char *p;

	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n <= 0)
			break;
		for (p = buf; p < buf + n; p += sizeof(*ev) + ev->len) {
			ev = (const struct inotify_event *)p;
			if (ev->mask & IN_Q_OVERFLOW) {
				log_warn("inotify queue overflow: full reconcile");
				d->full_pending = true;
				d->dirty_since = dm_now_ns();
				continue;
			}
			dispatch(d, ev);
		}
	}
}

int dm_watch_init(struct daemon *d)
{
	int err;

	d->inofd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (d->inofd < 0)
		return -errno;
	err = dm_add_fd(d, d->inofd, EPOLLIN, ino_ready, NULL);
	if (err)
		return err;
	return dm_watch_arm(d);
}

void dm_watch_fini(struct daemon *d)
{
	struct ct_state *c;
	size_t i;

	ctable_for_each(&d->cts, i, c)
		c->link_watched = false;
	while (d->nwatch)
		drop_watch(d, &d->watch[0]);
	free(d->watch);
	d->watch = NULL;
	d->capwatch = 0;
	if (d->inofd >= 0) {
		dm_del_fd(d, d->inofd);
		close(d->inofd);
	}
	d->inofd = -1;
}
