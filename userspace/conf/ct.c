// SPDX-License-Identifier: GPL-2.0
/*
 * Typed container settings: each key has a parser (as systemd does it). A bad
 * value is reported with file:line and ignored; the previous value stays.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <blkprio/conf.h>
#include <blkprio/parse.h>

struct ct_keyinfo {
	const char *name;
	int64_t def;
	const char *expect;	/* for messages */
};

static const struct ct_keyinfo ct_keys[CT_NKEYS] = {
	[CT_IOPRIO] = { "IOPRIO", CT_IOPRIO_DEFAULT, "an integer from 0 to 7" },
	[CT_IOLIMIT] = { "IOLIMIT", 0, "bytes per second (suffix K, M, G), 0 or unlimited" },
	[CT_IOPSLIMIT] = { "IOPSLIMIT", 0, "operations per second, 0 or unlimited" },
};

static const char *const source_names[] = {
	[CT_SRC_DEFAULT] = "default", [CT_SRC_CONFIG] = "config",
	[CT_SRC_RUNTIME] = "runtime",
};

const char *ct_key_name(enum ct_key k)
{
	return ct_keys[k].name;
}

int ct_key_lookup(const char *name)
{
	int k;

	for (k = 0; k < CT_NKEYS; k++)
		if (!strcmp(ct_keys[k].name, name))
			return k;
	return -ENOENT;
}

const char *ct_source_name(enum ct_source s)
{
	return source_names[s];
}

int ct_parse_value(enum ct_key k, const char *s, int64_t *out)
{
	long long v;
	uint64_t u;
	int err;

	switch (k) {
	case CT_IOPRIO:
		err = parse_int_range(s, CT_IOPRIO_MIN, CT_IOPRIO_MAX, &v);
		break;
	case CT_IOLIMIT:
		err = parse_size(s, PARSE_SIZE_UNLIMITED, &u);
		if (!err && u > INT64_MAX)
			err = -ERANGE;
		v = (long long)u;
		break;
	case CT_IOPSLIMIT:
		if (s && !strcmp(s, "unlimited")) {
			v = 0;
			err = 0;
			break;
		}
		err = parse_int_range(s, 0, INT64_MAX, &v);
		break;
	default:
		return -EINVAL;
	}
	if (!err)
		*out = v;
	return err;
}

void ct_format_value(enum ct_key k, int64_t v, char *buf, size_t len)
{
	snprintf(buf, len, "%" PRId64, v);
}

void ct_display_value(enum ct_key k, int64_t v, char *buf, size_t len)
{
	if (k == CT_IOPRIO)
		snprintf(buf, len, "%" PRId64, v);
	else if (!v)
		snprintf(buf, len, "unlimited");
	else if (k == CT_IOLIMIT)
		format_size((uint64_t)v, buf, (unsigned int)len);
	else
		snprintf(buf, len, "%" PRId64, v);
}

void ct_settings_init(struct ct_settings *s)
{
	int k;

	memset(s, 0, sizeof(*s));
	for (k = 0; k < CT_NKEYS; k++)
		s->v[k].val = ct_keys[k].def;
}

void ct_settings_apply(struct ct_settings *s, const struct conf *c,
		       enum ct_source src, conf_diag_fn diag, void *ctx)
{
	const struct conf_entry *e;
	char msg[256];
	int64_t v;
	int k;

	for (k = 0; k < CT_NKEYS; k++) {
		e = conf_find(c, ct_keys[k].name);
		if (!e)
			continue;
		if (ct_parse_value(k, e->value, &v)) {
			s->v[k].bad = true;
			if (diag) {
				snprintf(msg, sizeof(msg),
					 "invalid value for %s (\"%.32s\"): expected %s, ignored",
					 ct_keys[k].name, e->value, ct_keys[k].expect);
				diag(ctx, c->name, e->line, msg);
			}
			continue;
		}
		s->v[k].val = v;
		s->v[k].src = src;
		s->v[k].line = e->line;
		s->v[k].bad = false;
	}
}

static int load_one(struct ct_settings *s, const char *dir, const char *ctid,
		    enum ct_source src, conf_diag_fn diag, void *ctx)
{
	char path[4096];
	struct conf c;
	int err;

	err = ctid_conf_path(dir, ctid, path, sizeof(path));
	if (err)
		return err;
	conf_init(&c);
	err = conf_load(&c, path, diag, ctx);
	if (!err)
		ct_settings_apply(s, &c, src, diag, ctx);
	conf_free(&c);
	return err;
}

int ct_load(const struct ct_dirs *d, const char *ctid, struct ct_settings *s,
	    unsigned int *exists, conf_diag_fn diag, void *ctx)
{
	unsigned int found = 0;
	int err;

	ct_settings_init(s);
	err = load_one(s, d->conf_dir, ctid, CT_SRC_CONFIG, diag, ctx);
	if (!err)
		found |= CT_HAS_CONFIG;
	else if (err != -ENOENT)
		return err;
	if (d->run_dir) {
		err = load_one(s, d->run_dir, ctid, CT_SRC_RUNTIME, diag, ctx);
		if (!err)
			found |= CT_HAS_RUNTIME;
		else if (err != -ENOENT)
			return err;
	}
	if (exists)
		*exists = found;
	return 0;
}
