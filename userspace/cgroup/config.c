// SPDX-License-Identifier: GPL-2.0
/*
 * blkpriod.conf: the daemon's settings, which the CLI honours too when it
 * applies live. Same KEY="value" syntax and parser as container configs.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <blkprio/parse.h>

#include "cgroup_priv.h"

/* Keys read by other modules from cfg->raw; known, so not "unknown". */
static const char *const other_keys[] = {
	"METRICS_LISTEN", "SHARE_INTERVAL", "SHARE_MEASURE", "SHARE_LEVERS",
	NULL,
};

int cg_config_init(struct cg_config *c)
{
	int err;

	memset(c, 0, sizeof(*c));
	conf_init(&c->raw);
	prio_map_default(&c->map);
	c->share = CG_SHARE_AUTO;
	c->latency = true;
	c->conf_dirs = strdup(CONF_DEFAULT_DIR);
	c->run_dir = strdup(CONF_DEFAULT_RUN_DIR);
	if (!c->conf_dirs || !c->run_dir) {
		err = -ENOMEM;
		goto err_free;
	}
	err = cg_templates_parse(&c->templates, NULL, NULL);
	if (err)
		goto err_free;
	return 0;

err_free:
	cg_config_free(c);
	return err;
}

void cg_config_free(struct cg_config *c)
{
	free(c->conf_dirs);
	free(c->run_dir);
	c->conf_dirs = c->run_dir = NULL;
	cg_templates_free(&c->templates);
	conf_free(&c->raw);
}

__attribute__((format(printf, 5, 6)))
static void diag(conf_diag_fn fn, void *ctx, const struct cg_config *c,
		 const struct conf_entry *e, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (!fn)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fn(ctx, c->raw.name, e->line, msg);
}

/* A blank/comma separated device list; bad entries are reported, skipped. */
static void parse_devs(struct cg_config *c, const struct conf_entry *e,
		       struct cg_dev *devs, size_t *n, conf_diag_fn fn, void *ctx)
{
	const char *s = e->value;
	char tok[64];
	size_t len;
	int err;

	*n = 0;
	for (;;) {
		s += strspn(s, " \t,");
		if (!*s)
			break;
		len = strcspn(s, " \t,");
		snprintf(tok, sizeof(tok), "%.*s", (int)len, s);
		s += len;
		if (*n == CG_DEVICES_MAX) {
			diag(fn, ctx, c, e, "%s: more than 32 devices, '%s' ignored",
			     e->key, tok);
			continue;
		}
		err = cg_dev_parse(tok, &devs[*n]);
		if (err) {
			diag(fn, ctx, c, e, "%s: device '%s' ignored: %s", e->key, tok,
			     strerror(-err));
			continue;
		}
		(*n)++;
	}
}

static const char *const share_names[] = {
	[CG_SHARE_AUTO] = "auto", [CG_SHARE_YES] = "yes", [CG_SHARE_NO] = "no",
};

const char *cg_share_mode_name(enum cg_share_mode m)
{
	return share_names[m];
}

int cg_share_mode_parse(const char *s, enum cg_share_mode *m)
{
	bool on;

	if (!strcmp(s, "auto")) {
		*m = CG_SHARE_AUTO;
		return 0;
	}
	if (parse_bool(s, &on))
		return -EINVAL;
	*m = on ? CG_SHARE_YES : CG_SHARE_NO;
	return 0;
}

bool cg_config_share_device(const struct cg_config *c, const char *name)
{
	const char *p = c->share_devices;
	size_t len = strlen(name), n;

	for (;;) {
		p += strspn(p, " \t,");
		if (!*p)
			return !c->share_devices[strspn(c->share_devices, " \t,")];
		n = strcspn(p, " \t,");
		if (n == len && !strncmp(p, name, len))
			return true;
		p += n;
	}
}

/* The typed keys of other modules: a bad value is a diagnostic, the default stays. */
static bool module_entry(struct cg_config *c, const struct conf_entry *e,
			 conf_diag_fn fn, void *ctx)
{
	if (!strcmp(e->key, "SHARE_CONTROL")) {
		if (cg_share_mode_parse(e->value, &c->share))
			diag(fn, ctx, c, e, "SHARE_CONTROL: '%s' is not auto, yes or no; using "
			     "auto", e->value);
		return true;
	}
	if (!strcmp(e->key, "LATENCY")) {
		if (parse_bool(e->value, &c->latency))
			diag(fn, ctx, c, e, "LATENCY: '%s' is not yes or no; using yes",
			     e->value);
		return true;
	}
	if (!strcmp(e->key, "SHARE_DEVICES")) {
		if (strlen(e->value) >= sizeof(c->share_devices))
			diag(fn, ctx, c, e, "SHARE_DEVICES: longer than %zu characters; all "
			     "devices used", sizeof(c->share_devices) - 1);
		else
			snprintf(c->share_devices, sizeof(c->share_devices), "%s", e->value);
		return true;
	}
	return false;
}

static int set_string(char **dst, const char *val)
{
	char *s = strdup(val);

	if (!s)
		return -ENOMEM;
	free(*dst);
	*dst = s;
	return 0;
}

static int apply_entry(struct cg_config *c, const struct conf_entry *e,
		       conf_diag_fn fn, void *ctx)
{
	struct cg_templates t;
	const char *why;
	size_t i;
	int err;

	if (!strcmp(e->key, "CONF_DIRS") || !strcmp(e->key, "RUN_DIR")) {
		if (!e->value[0] || (e->key[0] == 'R' && strpbrk(e->value, " \t"))) {
			diag(fn, ctx, c, e, "invalid value for %s (\"%s\"), default kept",
			     e->key, e->value);
			return 0;
		}
		return set_string(e->key[0] == 'C' ? &c->conf_dirs : &c->run_dir, e->value);
	}
	if (!strcmp(e->key, "CGROUP_PATHS")) {
		err = cg_templates_parse(&t, e->value, &why);
		if (err == -ENOMEM)
			return err;
		if (err) {
			diag(fn, ctx, c, e, "invalid CGROUP_PATHS (%s): %s, default kept",
			     e->value, why);
			return 0;
		}
		cg_templates_free(&c->templates);
		c->templates = t;
		return 0;
	}
	if (!strcmp(e->key, "WEIGHT_MAP")) {
		if (prio_map_parse(e->value, &c->map, &why))
			diag(fn, ctx, c, e, "invalid WEIGHT_MAP (%s): %s, openvz used",
			     e->value, why);
		return 0;
	}
	if (!strcmp(e->key, "APPLY_TASK_IOPRIO")) {
		if (parse_bool(e->value, &c->task_ioprio))
			diag(fn, ctx, c, e, "invalid value for %s (\"%s\"), 'no' used",
			     e->key, e->value);
		return 0;
	}
	if (!strcmp(e->key, "BFQ_DEVICES")) {
		parse_devs(c, e, c->bfq, &c->nbfq, fn, ctx);
		return 0;
	}
	if (!strcmp(e->key, "THROTTLE_DEVICES")) {
		parse_devs(c, e, c->throttle, &c->nthrottle, fn, ctx);
		return 0;
	}
	if (module_entry(c, e, fn, ctx))
		return 0;
	for (i = 0; other_keys[i]; i++)
		if (!strcmp(e->key, other_keys[i]))
			return 0;
	diag(fn, ctx, c, e, "unknown key %s (\"%s\"), ignored", e->key, e->value);
	return 0;
}

int cg_config_load(struct cg_config *c, const char *path, conf_diag_fn fn, void *ctx)
{
	size_t i;
	int err;

	if (!path)
		path = CG_CONFIG_DEFAULT;
	err = conf_load(&c->raw, path, fn, ctx);
	if (err == -ENOENT)
		return 0;
	if (err)
		return err;
	for (i = 0; i < c->raw.n; i++) {
		err = apply_entry(c, &c->raw.ent[i], fn, ctx);
		if (err)
			return err;
	}
	return 0;
}
