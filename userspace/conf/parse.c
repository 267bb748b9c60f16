// SPDX-License-Identifier: GPL-2.0
/*
 * Reading KEY="value" files. One line parser serves the reader and the editor
 * so that the line the editor changes is exactly the one readers take.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <blkprio/conf.h>
#include <blkprio/fsutil.h>

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static bool is_key_start(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static bool is_key_char(char c)
{
	return is_key_start(c) || (c >= '0' && c <= '9');
}

bool conf_key_valid(const char *key)
{
	if (!key || !is_key_start(*key))
		return false;
	while (*++key)
		if (!is_key_char(*key))
			return false;
	return true;
}

bool conf_value_valid(const char *value)
{
	const unsigned char *p = (const unsigned char *)value;

	for (; p && *p; p++)
		if (*p < 0x20 || *p == 0x7f || *p == '"' || *p == '\\')
			return false;
	return p != NULL;
}

/* Leading and trailing blanks are not part of a line's content. */
static void trim(const char **s, size_t *len)
{
	while (*len && is_blank(**s)) {
		(*s)++;
		(*len)--;
	}
	while (*len && is_blank((*s)[*len - 1]))
		(*len)--;
}

enum conf_line_kind conf_parse_line(const char *s, size_t len, struct conf_line *l,
				    const char **why)
{
	const char *p, *end, *q;

	memset(l, 0, sizeof(*l));
	trim(&s, &len);
	if (!len || *s == '#')
		return CONF_LINE_BLANK;
	end = s + len;
	p = s;
	if (!is_key_start(*p)) {
		*why = "expected KEY=\"value\"";
		return CONF_LINE_BAD;
	}
	while (p < end && is_key_char(*p))
		p++;
	l->key = s;
	l->key_len = (size_t)(p - s);
	while (p < end && is_blank(*p))
		p++;
	if (p == end || *p != '=') {
		*why = "expected KEY=\"value\"";
		return CONF_LINE_BAD;
	}
	p++;
	while (p < end && is_blank(*p))
		p++;
	if (p < end && (*p == '"' || *p == '\'')) {
		q = memchr(p + 1, *p, (size_t)(end - p - 1));
		if (!q) {
			*why = "unterminated quote";
			return CONF_LINE_BAD;
		}
		l->val = p + 1;
		l->val_len = (size_t)(q - p - 1);
		p = q + 1;
		while (p < end && is_blank(*p))
			p++;
		if (p < end && *p != '#') {
			*why = "unexpected text after the quoted value";
			return CONF_LINE_BAD;
		}
	} else {
		/* Unquoted: up to an inline comment (a '#' that starts a word). */
		l->val = p;
		for (q = p; q < end; q++)
			if (*q == '#' && (q == p || is_blank(q[-1])))
				break;
		l->val_len = (size_t)(q - p);
		while (l->val_len && is_blank(l->val[l->val_len - 1]))
			l->val_len--;
		p = q;
	}
	if (p < end) {
		l->comment = p;
		l->comment_len = (size_t)(end - p);
	}
	return CONF_LINE_KV;
}

/* ---- the key map: entries in file order of first appearance, hashed ---- */

static uint32_t hash_key(const char *k, size_t len)
{
	uint32_t h = 2166136261u;

	while (len--)
		h = (h ^ (unsigned char)*k++) * 16777619u;
	return h;
}

struct conf_index {
	uint32_t *slot;		/* entry index + 1, 0 = empty */
	size_t mask;
};

static int index_grow(struct conf_index *ix, const struct conf *c)
{
	size_t size = (ix->mask + 1) * 2, i, j;
	uint32_t *slot;

	if (size < 64)
		size = 64;
	slot = calloc(size, sizeof(*slot));
	if (!slot)
		return -ENOMEM;
	for (i = 0; i < c->n; i++) {
		j = hash_key(c->ent[i].key, strlen(c->ent[i].key)) & (size - 1);
		while (slot[j])
			j = (j + 1) & (size - 1);
		slot[j] = (uint32_t)i + 1;
	}
	free(ix->slot);
	ix->slot = slot;
	ix->mask = size - 1;
	return 0;
}

static int conf_set(struct conf *c, struct conf_index *ix, const struct conf_line *l,
		    unsigned int line)
{
	struct conf_entry *e;
	char *val;
	size_t j;

	if ((c->n + 1) * 2 > ix->mask + 1 && index_grow(ix, c))
		return -ENOMEM;
	val = strndup(l->val, l->val_len);
	if (!val)
		return -ENOMEM;
	j = hash_key(l->key, l->key_len) & ix->mask;
	for (; ix->slot[j]; j = (j + 1) & ix->mask) {
		e = &c->ent[ix->slot[j] - 1];
		if (strlen(e->key) == l->key_len && !memcmp(e->key, l->key, l->key_len)) {
			free(e->value);		/* last duplicate wins */
			e->value = val;
			e->line = line;
			return 0;
		}
	}
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 8;

		e = realloc(c->ent, cap * sizeof(*e));
		if (!e)
			goto err_val;
		c->ent = e;
		c->cap = cap;
	}
	e = &c->ent[c->n];
	e->key = strndup(l->key, l->key_len);
	if (!e->key)
		goto err_val;
	e->value = val;
	e->line = line;
	ix->slot[j] = (uint32_t)++c->n;
	return 0;

err_val:
	free(val);
	return -ENOMEM;
}

void conf_init(struct conf *c)
{
	memset(c, 0, sizeof(*c));
}

void conf_free(struct conf *c)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		free(c->ent[i].key);
		free(c->ent[i].value);
	}
	free(c->ent);
	free(c->name);
	conf_init(c);
}

int conf_parse(struct conf *c, const char *buf, size_t len, const char *name,
	       conf_diag_fn diag, void *ctx)
{
	struct conf_index ix = { NULL, 0 };
	const char *p = buf, *end = buf + len, *nl, *why;
	struct conf_line l;
	unsigned int line = 0;
	char msg[128];
	int err = 0;

	if (name && !c->name) {
		c->name = strdup(name);
		if (!c->name)
			return -ENOMEM;
	}
	if (c->n && index_grow(&ix, c))
		return -ENOMEM;
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		line++;
		switch (conf_parse_line(p, (size_t)(nl - p), &l, &why)) {
		case CONF_LINE_KV:
			err = conf_set(c, &ix, &l, line);
			if (err)
				goto out;
			break;
		case CONF_LINE_BAD:
			if (diag) {
				snprintf(msg, sizeof(msg), "%s, line skipped", why);
				diag(ctx, c->name, line, msg);
			}
			break;
		case CONF_LINE_BLANK:
			break;
		}
		p = nl + 1;
	}
out:
	free(ix.slot);
	return err;
}

int conf_load_at(struct conf *c, int dirfd, const char *path, const char *name,
		 conf_diag_fn diag, void *ctx)
{
	size_t len;
	char *buf;
	int err;

	err = read_file_at(dirfd, path, CONF_MAX_SIZE, &buf, &len);
	if (err)
		return err;
	err = conf_parse(c, buf, len, name ? name : path, diag, ctx);
	free(buf);
	return err;
}

int conf_load(struct conf *c, const char *path, conf_diag_fn diag, void *ctx)
{
	return conf_load_at(c, AT_FDCWD, path, path, diag, ctx);
}

const struct conf_entry *conf_find(const struct conf *c, const char *key)
{
	size_t i;

	/* Files hold a handful of keys; a scan beats building an index. */
	for (i = 0; i < c->n; i++)
		if (!strcmp(c->ent[i].key, key))
			return &c->ent[i];
	return NULL;
}
