// SPDX-License-Identifier: GPL-2.0
/* Container <-> cgroup path templates (CGROUP_PATHS). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cgroup_priv.h"

/* Check one template: exactly one %s, only %% otherwise, sane components. */
static int template_check(const char *t, size_t len, const char **why)
{
	size_t i, comp = 0;
	int holes = 0;

	if (!len) {
		*why = "empty template";
		return -EINVAL;
	}
	for (i = 0; i < len; i++) {
		if (t[i] == '%') {
			if (i + 1 < len && t[i + 1] == 's') {
				holes++;
			} else if (i + 1 >= len || t[i + 1] != '%') {
				*why = "only %s and %% may follow '%'";
				return -EINVAL;
			}
			i++;
			continue;
		}
		if (t[i] != '/')
			continue;
		if (i == comp || (i - comp == 1 && t[comp] == '.') ||
		    (i - comp == 2 && t[comp] == '.' && t[comp + 1] == '.')) {
			*why = "empty, '.' or '..' path component";
			return -EINVAL;
		}
		comp = i + 1;
	}
	if (comp == len || (len - comp == 1 && t[comp] == '.') ||
	    (len - comp == 2 && t[comp] == '.' && t[comp + 1] == '.')) {
		*why = "empty, '.' or '..' path component";
		return -EINVAL;
	}
	if (holes != 1) {
		*why = "a template needs exactly one %s for the CTID";
		return -EINVAL;
	}
	return 0;
}

void cg_templates_free(struct cg_templates *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->t[i]);
	t->n = 0;
}

int cg_templates_parse(struct cg_templates *t, const char *s, const char **why)
{
	struct cg_templates nt = { 0 };
	const char *dummy;
	size_t len;
	int err;

	if (!why)
		why = &dummy;
	if (!s)
		s = CG_TEMPLATES_DEFAULT;
	for (;;) {
		s += strspn(s, " \t,");
		if (!*s)
			break;
		len = strcspn(s, " \t,");
		while (len && *s == '/') {
			s++;
			len--;
		}
		err = template_check(s, len, why);
		if (err)
			goto err_free;
		if (nt.n == CG_TEMPLATES_MAX) {
			*why = "too many templates";
			err = -EINVAL;
			goto err_free;
		}
		nt.t[nt.n] = strndup(s, len);
		if (!nt.t[nt.n]) {
			err = -ENOMEM;
			goto err_free;
		}
		nt.n++;
		s += len;
	}
	if (!nt.n) {
		*why = "no template";
		return -EINVAL;
	}
	*t = nt;
	return 0;

err_free:
	cg_templates_free(&nt);
	return err;
}

int cg_template_format(const char *tmpl, const char *ctid, char *buf, size_t len)
{
	size_t o = 0, cl = strlen(ctid);
	const char *p;

	if (!ctid_valid(ctid))
		return -EINVAL;
	for (p = tmpl; *p; p++) {
		if (*p == '%' && p[1] == 's') {
			if (o + cl >= len)
				return -ENAMETOOLONG;
			memcpy(buf + o, ctid, cl);
			o += cl;
			p++;
			continue;
		}
		if (*p == '%' && p[1] == '%')
			p++;
		if (o + 1 >= len)
			return -ENAMETOOLONG;
		buf[o++] = *p;
	}
	if (!len)
		return -ENAMETOOLONG;
	buf[o] = '\0';
	return 0;
}

/*
 * Match a literal template part (with %% for '%') against s. Returns the
 * number of bytes of s consumed, or -1.
 */
static long match_literal(const char *t, size_t tlen, const char *s, size_t slen)
{
	size_t i, o = 0;

	for (i = 0; i < tlen; i++) {
		if (t[i] == '%')
			i++;	/* "%%" */
		if (o >= slen || s[o] != t[i])
			return -1;
		o++;
	}
	return (long)o;
}

/* Length of a literal part once "%%" is reduced to '%'. */
static size_t literal_len(const char *t, size_t tlen)
{
	size_t i, n = 0;

	for (i = 0; i < tlen; i++, n++)
		if (t[i] == '%')
			i++;
	return n;
}

static const char *hole(const char *t)
{
	const char *p;

	for (p = t; *p; p++) {
		if (*p != '%')
			continue;
		if (p[1] == 's')
			return p;
		p++;
	}
	return NULL;
}

/* The fixed part of a template before its %s, with "%%" reduced, into buf. */
static void literal_prefix(const char *tmpl, char *buf, size_t len)
{
	const char *h = hole(tmpl), *p;
	size_t o = 0;

	for (p = tmpl; p < h && o + 1 < len; p++) {
		if (*p == '%')
			p++;
		buf[o++] = *p;
	}
	buf[o] = '\0';
}

/*
 * A path that is a directory of some template's fixed prefix ("lxc" for
 * "lxc/%s") is a parent of containers, never a container itself.
 */
static bool is_prefix_dir(const struct cg_templates *t, const char *rel)
{
	char pre[PATH_MAX];
	size_t i, rl = strlen(rel);

	for (i = 0; i < t->n; i++) {
		literal_prefix(t->t[i], pre, sizeof(pre));
		if (strlen(pre) > rl && pre[rl] == '/' && !strncmp(pre, rel, rl))
			return true;
	}
	return false;
}

static int match_one(const char *tmpl, const char *rel, char *ctid, size_t len)
{
	const char *h = hole(tmpl), *suf = h + 2;
	size_t rl = strlen(rel), sl = strlen(suf), sufl = literal_len(suf, sl);
	long pre;
	size_t n;

	pre = match_literal(tmpl, (size_t)(h - tmpl), rel, rl);
	if (pre < 0 || (size_t)pre + sufl >= rl)
		return -ENOENT;
	n = rl - (size_t)pre - sufl;
	if (match_literal(suf, sl, rel + pre + n, sufl) != (long)sufl)
		return -ENOENT;
	if (n >= len || n >= CTID_MAX_LEN + 1)
		return -ENOENT;
	memcpy(ctid, rel + pre, n);
	ctid[n] = '\0';
	return ctid_valid(ctid) ? 0 : -ENOENT;
}

int cg_templates_match(const struct cg_templates *t, const char *rel,
		       char *ctid, size_t len)
{
	size_t i;

	while (*rel == '/')
		rel++;
	if (is_prefix_dir(t, rel))
		return -ENOENT;
	for (i = 0; i < t->n; i++)
		if (!match_one(t->t[i], rel, ctid, len))
			return (int)i;
	return -ENOENT;
}

int cg_ct_find(const struct cg_layout *l, const struct cg_templates *t,
	       const char *ctid, char *rel, size_t len)
{
	char path[PATH_MAX];
	size_t i;
	int err;

	for (i = 0; i < t->n; i++) {
		err = cg_template_format(t->t[i], ctid, rel, len);
		if (err)
			return err;
		if (cg_path(l, rel, NULL, path, sizeof(path)))
			continue;
		if (cg_dir_exists(path))
			return (int)i;
	}
	return -ENOENT;
}

/*
 * Report one candidate if it exists and no earlier template claims it.
 * Returns 1 if reported, 0 if not, or fn's non-zero verdict through *stop.
 */
static int foreach_candidate(const struct cg_layout *l, const struct cg_templates *t,
			     size_t idx, const char *ctid, cg_ct_fn fn, void *ctx,
			     int *stop)
{
	char rel[PATH_MAX], path[PATH_MAX];
	struct cg_ct_entry e;
	struct stat st;

	if (cg_ct_find(l, t, ctid, rel, sizeof(rel)) != (int)idx)
		return 0;
	if (is_prefix_dir(t, rel) || cg_path(l, rel, NULL, path, sizeof(path)) ||
	    stat(path, &st))
		return 0;
	e.ctid = ctid;
	e.rel = rel;
	e.ino = st.st_ino;
	*stop = fn(ctx, &e);
	return 1;
}

/* List the folder that holds template idx's CTID component. */
static int foreach_template(const struct cg_layout *l, const struct cg_templates *t,
			    size_t idx, cg_ct_fn fn, void *ctx, int *stop)
{
	const char *tmpl = t->t[idx], *h = hole(tmpl), *cstart, *cend;
	char pre[PATH_MAX], dir[PATH_MAX], comp[PATH_MAX], ctid[CTID_MAX_LEN + 1];
	struct dirent *de;
	size_t dl;
	int count = 0;
	DIR *d;

	/* the component holding %s: from the last '/' before it to the next */
	for (cstart = h; cstart > tmpl && cstart[-1] != '/'; cstart--)
		;
	cend = strchrnul(h, '/');
	if ((size_t)(cend - cstart) >= sizeof(comp))
		return 0;
	memcpy(comp, cstart, (size_t)(cend - cstart));
	comp[cend - cstart] = '\0';
	literal_prefix(tmpl, pre, sizeof(pre));
	dl = strlen(pre);
	while (dl && pre[dl - 1] != '/')
		dl--;
	pre[dl ? dl - 1 : 0] = '\0';
	if (cg_path(l, pre, NULL, dir, sizeof(dir)))
		return 0;
	d = opendir(dir);
	if (!d)
		return 0;
	while (!*stop && (de = readdir(d))) {
		if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
			continue;
		if (match_one(comp, de->d_name, ctid, sizeof(ctid)))
			continue;
		count += foreach_candidate(l, t, idx, ctid, fn, ctx, stop);
	}
	closedir(d);
	return count;
}

int cg_ct_foreach(const struct cg_layout *l, const struct cg_templates *t,
		  cg_ct_fn fn, void *ctx)
{
	int count = 0, stop = 0;
	size_t i;

	for (i = 0; i < t->n && !stop; i++)
		count += foreach_template(l, t, i, fn, ctx, &stop);
	return stop ? stop : count;
}
