// SPDX-License-Identifier: GPL-2.0
/*
 * Live apply for `blkprio set` (and `create`): the container's effective
 * settings go into its cgroup under the daemon's rules (blkpriod.conf:
 * CGROUP_PATHS, WEIGHT_MAP, THROTTLE_DEVICES, APPLY_TASK_IOPRIO), so the CLI
 * and the daemon never disagree about what a setting means.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <blkprio/cgroup.h>

#include "cli.h"

int cli_cgroup_ctx(struct cg_config *cfg, struct cg_ctx *cx)
{
	int err;

	err = cg_config_init(cfg);
	if (err)
		return err;
	err = cg_config_load(cfg, cli.config, cli_conf_diag, NULL);
	if (err) {
		cg_config_free(cfg);
		return err;
	}
	cx->cfg = cfg;
	err = cg_layout_detect(&cx->layout);
	if (err == -ENODEV)	/* no I/O controller: no container runs in one */
		return 0;
	if (err)
		cg_config_free(cfg);
	return err;
}

int cli_cgroup_open(struct cg_config *cfg, struct cg_ctx *cx)
{
	int err = cli_cgroup_ctx(cfg, cx);

	if (!err)
		return EXIT_OK;
	return cli_fail(EXIT_FAIL, "daemon config", cli.config ? cli.config : CG_CONFIG_DEFAULT,
			"%s", strerror(-err));
}

/* After a failed apply: put back what the files say (best effort). */
static void restore(const struct cg_ctx *cx, const char *ctid)
{
	struct cg_apply_result r;
	struct ct_settings old;
	struct ct_dirs d = cli_dirs();

	if (!ct_load(&d, ctid, &old, NULL, NULL, NULL))
		cg_ct_apply(cx, ctid, &old, &r);
}

int cli_apply_live(const char *ctid, const struct ct_settings *eff, bool *running)
{
	struct cg_apply_result r;
	struct cg_config cfg;
	struct cg_ctx cx;
	int err;

	*running = false;
	err = cli_cgroup_ctx(&cfg, &cx);
	if (err)
		return err;
	err = cx.layout.ver == CG_NONE ? -ENOENT : cg_ct_apply(&cx, ctid, eff, &r);
	if (err && err != -ENOENT)
		restore(&cx, ctid);
	if (err == -ENOENT)
		err = 0;	/* no cgroup: not running */
	else if (!err)
		*running = true;
	cg_config_free(&cfg);
	return err;
}

/*
 * For listings: the container cgroups that exist, found once with one
 * directory scan per template instead of a stat per container and template.
 */
struct running {
	const struct cg_ctx *cx;
	char **v;		/* "CTID\0REL" pairs, sorted by CTID */
	size_t n, cap;
};
static struct running running;

static int running_add(void *ctx, const struct cg_ct_entry *e)
{
	size_t cl = strlen(e->ctid) + 1, rl = strlen(e->rel) + 1;
	char **nv, *p;

	if (running.n == running.cap) {
		running.cap = running.cap ? running.cap * 2 : 64;
		nv = realloc(running.v, running.cap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		running.v = nv;
	}
	p = malloc(cl + rl);
	if (!p)
		return -ENOMEM;
	memcpy(p, e->ctid, cl);
	memcpy(p + cl, e->rel, rl);
	running.v[running.n++] = p;
	return 0;
}

static int cmp_ctid(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static const char *running_rel(const struct cg_ctx *cx, const char *ctid)
{
	const char *key = ctid;
	char **hit;
	int err;

	if (running.cx != cx) {
		while (running.n)
			free(running.v[--running.n]);
		running.cx = cx;
		err = cg_ct_foreach(&cx->layout, &cx->cfg->templates, running_add, NULL);
		if (err < 0)
			return NULL;
		if (running.n)
			qsort(running.v, running.n, sizeof(*running.v), cmp_ctid);
	}
	if (!running.n)
		return NULL;
	hit = bsearch(&key, running.v, running.n, sizeof(*running.v), cmp_ctid);
	return hit ? *hit + strlen(*hit) + 1 : NULL;
}

int cli_ct_kernel_weight(const struct cg_ctx *cx, const char *ctid,
			 const struct ct_settings *s, int *weight, int *want,
			 struct cg_weights *files)
{
	struct cg_weights have, exp;
	int ioprio = (int)s->v[CT_IOPRIO].val, err;
	const char *rel;

	*weight = *want = -1;
	rel = cx->layout.ver == CG_NONE ? NULL : running_rel(cx, ctid);
	if (!rel)
		return CLI_KW_STOPPED;
	err = cg_weight_get(&cx->layout, rel, &have);
	if (files)
		*files = have;
	if (err == -ENOENT)
		return CLI_KW_STOPPED;
	if (err)
		return err == -ENODEV ? CLI_KW_NOWEIGHT : err;
	cg_weight_expected(&cx->cfg->map, ioprio, &have, &exp);
	/* the file that decides: BFQ, else io.weight, else blkio.weight */
	*weight = have.bfq >= 0 ? have.bfq : have.io >= 0 ? have.io : have.blkio;
	*want = exp.bfq >= 0 ? exp.bfq : exp.io >= 0 ? exp.io : exp.blkio;
	return cg_weight_matches(&cx->cfg->map, ioprio, &have) ? CLI_KW_OK : CLI_KW_DRIFT;
}
