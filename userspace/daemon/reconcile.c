// SPDX-License-Identifier: GPL-2.0
/*
 * From configs to the kernel: load blkpriod.conf, refresh one container
 * (effective settings -> its cgroup), the refresh queue, full reconcile.
 *
 * A bad value keeps that container's last good one; a container whose files
 * are gone is no longer managed (its cgroup is left as it is); a cgroup that
 * is missing or vanishes means "not running" and is worth a debug line only.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <blkprio/log.h>

#include "daemon.h"

static void conf_diag(void *ctx, const char *file, unsigned int line, const char *msg)
{
	log_warn("%s:%u: %s", file, line, msg);
}

static void free_dirs(char **dirs, size_t n)
{
	while (n)
		free(dirs[--n]);
	free(dirs);
}

void dm_config_free(struct daemon *d)
{
	free_dirs(d->conf_dirs, d->nconf_dirs);
	d->conf_dirs = NULL;
	d->nconf_dirs = 0;
	cg_config_free(&d->cfg);
}

static int split_dirs(const char *s, char ***out, size_t *nout)
{
	char **dirs = NULL, **v;
	size_t n = 0, len;

	while (*(s += strspn(s, " \t,"))) {
		len = strcspn(s, " \t,");
		v = realloc(dirs, (n + 1) * sizeof(*v));
		if (!v)
			goto err_free;
		dirs = v;
		dirs[n] = strndup(s, len);
		if (!dirs[n])
			goto err_free;
		n++;
		s += len;
	}
	if (!n)
		return -EINVAL;
	*out = dirs;
	*nout = n;
	return 0;

err_free:
	free_dirs(dirs, n);
	return -ENOMEM;
}

/*
 * Load (or reload) blkpriod.conf; command-line options override it. On
 * failure the settings in force stay as they were.
 */
int dm_config_load(struct daemon *d)
{
	struct cg_config cfg;
	char **dirs;
	size_t ndirs;
	int err;

	err = cg_config_init(&cfg);
	if (err)
		return err;
	err = cg_config_load(&cfg, d->config_path, conf_diag, NULL);
	if (!err)
		err = split_dirs(d->conf_dirs_opt ? d->conf_dirs_opt : cfg.conf_dirs,
				 &dirs, &ndirs);
	if (err) {
		log_err("%s: %s", d->config_path, strerror(-err));
		cg_config_free(&cfg);
		return err;
	}
	dm_config_free(d);
	d->cfg = cfg;
	d->conf_dirs = dirs;
	d->nconf_dirs = ndirs;
	d->run_dir = d->run_dir_opt ? d->run_dir_opt : d->cfg.run_dir;
	d->cx.cfg = &d->cfg;
	err = cg_layout_detect(&d->cx.layout);
	if (err)
		log_warn("no blkio (v1) or io (v2) cgroup controller: weights cannot be "
			 "applied%s", d->cfg.task_ioprio ? "" : " (APPLY_TASK_IOPRIO=no)");
	return 0;
}

/* Queue a container for refresh. */
void dm_mark(struct daemon *d, const char *ctid, bool force)
{
	struct ct_state *c, **nd;
	size_t ncap;

	if (!ctid_valid(ctid))
		return;
	c = ctable_get(&d->cts, ctid, true);
	if (!c) {
		log_err("CT %s: out of memory", ctid);
		return;
	}
	c->force |= force;
	if (c->dirty)
		return;
	if (d->ndirty == d->capdirty) {
		ncap = d->capdirty ? d->capdirty * 2 : 64;
		nd = realloc(d->dirty, ncap * sizeof(*nd));
		if (!nd) {
			log_err("CT %s: out of memory", ctid);
			return;
		}
		d->dirty = nd;
		d->capdirty = ncap;
	}
	if (!d->ndirty)
		d->dirty_since = dm_now_ns();
	c->dirty = true;
	d->dirty[d->ndirty++] = c;
}

/* The first CONF_DIRS folder holding CTID.conf (the first folder if none). */
static const char *conf_dir_of(const struct daemon *d, const char *ctid)
{
	char path[PATH_MAX];
	size_t i;

	for (i = 0; i < d->nconf_dirs && d->nconf_dirs > 1; i++)
		if (!ctid_conf_path(d->conf_dirs[i], ctid, path, sizeof(path)) &&
		    !access(path, F_OK))
			return d->conf_dirs[i];
	return d->conf_dirs[0];
}

static bool same_settings(const struct ct_settings *a, const struct ct_settings *b)
{
	int k;

	for (k = 0; k < CT_NKEYS; k++)
		if (a->v[k].val != b->v[k].val)
			return false;
	return true;
}

static void log_applied(struct daemon *d, const struct ct_state *c,
			const struct cg_apply_result *r, int level)
{
	int ioprio = (int)c->applied.v[CT_IOPRIO].val;
	int w = r->written.bfq >= 0 ? r->written.bfq :
		r->written.io >= 0 ? r->written.io : r->written.blkio;
	char lim[64] = "";

	if (c->applied.v[CT_IOLIMIT].val || c->applied.v[CT_IOPSLIMIT].val)
		snprintf(lim, sizeof(lim), ", limits %lld B/s %lld IOPS",
			 (long long)c->applied.v[CT_IOLIMIT].val,
			 (long long)c->applied.v[CT_IOPSLIMIT].val);
	if (w >= 0)
		log_msg(level, "CT %s: IOPRIO %d -> weight %d in %s%s%s", c->ctid, ioprio, w,
			r->rel, lim, r->tasks >= 0 ? ", task ioprio set" : "");
	else	/* no weight file: the weight is share control's promise */
		log_msg(level, "CT %s: IOPRIO %d -> weight %u for share control (no weight "
			"file in %s)%s%s", c->ctid, ioprio,
			prio_weight(&d->cfg.map, PRIO_FILE_BFQ, ioprio), r->rel, lim,
			r->tasks >= 0 ? ", task ioprio set" : "");
}

/* Bring one container in line; level is for the "applied" line. */
static int refresh(struct daemon *d, struct ct_state *c, int level)
{
	struct ct_dirs dirs = { conf_dir_of(d, c->ctid), d->run_dir };
	struct cg_apply_result r;
	struct ct_settings s;
	char path[PATH_MAX];
	unsigned int exists;
	bool force = c->force;
	int err, k;

	c->force = false;
	err = ct_load(&dirs, c->ctid, &s, &exists, conf_diag, NULL);
	if (err) {
		log_err("CT %s: reading its config: %s", c->ctid, strerror(-err));
		return err;
	}
	if (!exists) {
		if (c->managed)
			log_info("CT %s: config gone, no longer managed", c->ctid);
		c->managed = c->have_good = c->have_applied = false;
		return 0;
	}
	c->managed = true;
	if (exists & CT_HAS_CONFIG && !c->link_watched &&
	    !ctid_conf_path(dirs.conf_dir, c->ctid, path, sizeof(path)))
		dm_watch_link(d, c, path);
	for (k = 0; k < CT_NKEYS; k++)
		if (s.v[k].bad && c->have_good)
			s.v[k] = c->good.v[k];	/* keep the last good value */
	c->good = s;
	c->have_good = true;
	if (!force && c->have_applied && same_settings(&c->applied, &s))
		return 0;
	if (d->cx.layout.ver == CG_NONE)
		return 0;
	err = cg_ct_apply(&d->cx, c->ctid, &s, &r);
	if (err == -ENOENT) {
		log_debug("CT %s: no cgroup (not running)", c->ctid);
		c->have_applied = false;
		c->last_err = 0;
		return 0;
	}
	if (err) {
		if (err != c->last_err)
			log_err("CT %s: applying to %s: %s", c->ctid, r.rel, strerror(-err));
		c->last_err = err;
		c->have_applied = false;
		d->errors++;
		return err;
	}
	c->last_err = 0;
	c->applied = s;
	c->have_applied = true;
	d->applies++;
	log_applied(d, c, &r, level);
	/* the limits just written may have replaced share control's caps */
	dm_share_ct_applied(d, c->ctid);
	return 0;
}

int dm_flush(struct daemon *d)
{
	struct ct_state *c;
	size_t i, n;
	unsigned int count;

	if (d->full_pending) {
		d->full_pending = false;
		return dm_reconcile_all(d, &count);
	}
	/* refresh may queue more; take the current batch */
	n = d->ndirty;
	for (i = 0; i < n; i++) {
		c = d->dirty[i];
		c->dirty = false;
		refresh(d, c, LOG_INFO);
	}
	memmove(d->dirty, d->dirty + n, (d->ndirty - n) * sizeof(*d->dirty));
	d->ndirty -= n;
	if (d->ndirty)
		d->dirty_since = dm_now_ns();
	return 0;
}

static int scan_dir(struct daemon *d, const char *dir)
{
	char ctid[CTID_MAX_LEN + 1];
	struct dirent *de;
	DIR *dp;

	dp = opendir(dir);
	if (!dp) {
		if (errno != ENOENT)
			log_warn("%s: %s", dir, strerror(errno));
		return -errno;
	}
	while ((de = readdir(dp)))
		if (ctid_from_filename(de->d_name, ctid, sizeof(ctid)))
			dm_mark(d, ctid, true);
	closedir(dp);
	return 0;
}

/* Every container with a config or override, and every one we knew. */
int dm_reconcile_all(struct daemon *d, unsigned int *count)
{
	struct ct_state *c;
	size_t i;

	for (i = 0; i < d->nconf_dirs; i++)
		scan_dir(d, d->conf_dirs[i]);
	scan_dir(d, d->run_dir);
	ctable_for_each(&d->cts, i, c)
		if (c->managed)
			dm_mark(d, c->ctid, true);
	*count = 0;
	for (i = 0; i < d->ndirty; i++) {
		c = d->dirty[i];
		c->dirty = false;
		/* thousands at start: one summary line, details at debug */
		refresh(d, c, LOG_DEBUG);
		if (c->managed)
			(*count)++;
	}
	d->ndirty = 0;
	return 0;
}

/* sysfs name of a whole disk from its number ("7:0" -> "loop0"). */
static int dev_sysname(const struct cg_dev *dev, char *name, size_t len)
{
	char link[PATH_MAX], path[64];
	const char *base;
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u", dev->major, dev->minor);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -errno;
	link[n] = '\0';
	base = strrchr(link, '/');
	base = base ? base + 1 : link;
	if (strlen(base) >= len)
		return -ENAMETOOLONG;
	memcpy(name, base, strlen(base) + 1);
	return 0;
}

void dm_apply_bfq_devices(struct daemon *d)
{
	char name[64];
	size_t i;
	int err;

	for (i = 0; i < d->cfg.nbfq; i++) {
		err = dev_sysname(&d->cfg.bfq[i], name, sizeof(name));
		if (!err)
			err = cg_dev_set_bfq(name);
		if (err)
			log_warn("BFQ_DEVICES: cannot set bfq on %s: %s", d->cfg.bfq[i].name,
				 err == -ENOTSUP ? "bfq not offered (modprobe bfq)" :
				 strerror(-err));
		else
			log_info("%s: I/O scheduler bfq", name);
	}
}
