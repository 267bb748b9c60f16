// SPDX-License-Identifier: GPL-2.0
/*
 * Editing a KEY="value" file image: only the lines of the keys given change,
 * every other byte stays. A key that appears more than once is changed on its
 * last line, the one readers use; a key that is missing is appended.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <blkprio/conf.h>

struct outbuf {
	char *p;
	size_t len, cap;
};

static int out_put(struct outbuf *o, const char *s, size_t len)
{
	char *np;
	size_t cap;

	if (o->len + len + 1 > o->cap) {
		cap = o->cap ? o->cap : 256;
		while (cap < o->len + len + 1)
			cap *= 2;
		np = realloc(o->p, cap);
		if (!np)
			return -ENOMEM;
		o->p = np;
		o->cap = cap;
	}
	memcpy(o->p + o->len, s, len);
	o->len += len;
	o->p[o->len] = '\0';
	return 0;
}

static int out_kv(struct outbuf *o, const char *key, const char *val)
{
	if (out_put(o, key, strlen(key)) || out_put(o, "=\"", 2) ||
	    out_put(o, val, strlen(val)) || out_put(o, "\"", 1))
		return -ENOMEM;
	return 0;
}

/* The change (last one wins) for a key, or -1. */
static int change_for(const struct conf_change *ch, size_t n, const char *key,
		      size_t key_len)
{
	size_t i = n;

	while (i--)
		if (strlen(ch[i].key) == key_len && !memcmp(ch[i].key, key, key_len))
			return (int)i;
	return -1;
}

/* Lines are numbered from 0; last[i] is the last line of change i's key. */
static void find_last_lines(const char *in, size_t len, const struct conf_change *ch,
			    size_t n, long *last)
{
	const char *p = in, *end = in + len, *nl, *why;
	struct conf_line l;
	long line = 0;
	int c;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		if (conf_parse_line(p, (size_t)(nl - p), &l, &why) == CONF_LINE_KV) {
			c = change_for(ch, n, l.key, l.key_len);
			if (c >= 0)
				last[c] = line;
		}
		line++;
		p = nl + 1;
	}
}

static int edit_lines(const char *in, size_t len, const struct conf_change *ch,
		      size_t n, const long *last, struct outbuf *o)
{
	const char *p = in, *end = in + len, *nl, *why, *eol;
	struct conf_line l;
	long line = 0;
	int c;

	for (; p < end; p = nl + 1, line++) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		eol = nl;
		if (eol > p && eol[-1] == '\r')
			eol--;		/* keep the line's own ending */
		c = -1;
		if (conf_parse_line(p, (size_t)(nl - p), &l, &why) == CONF_LINE_KV)
			c = change_for(ch, n, l.key, l.key_len);
		if (c < 0) {
			if (out_put(o, p, (size_t)(nl - p) + (nl < end)))
				return -ENOMEM;
			continue;
		}
		if (!ch[c].value)
			continue;	/* removed: every occurrence goes */
		if (last[c] != line) {
			if (out_put(o, p, (size_t)(nl - p) + (nl < end)))
				return -ENOMEM;
			continue;
		}
		if (out_kv(o, ch[c].key, ch[c].value))
			return -ENOMEM;
		/* An inline comment is the admin's note: keep it. */
		if (l.comment && (out_put(o, " ", 1) ||
				  out_put(o, l.comment, l.comment_len)))
			return -ENOMEM;
		if (out_put(o, eol, (size_t)(nl - eol) + (nl < end)))
			return -ENOMEM;
	}
	return 0;
}

int conf_edit(const char *in, size_t len, const struct conf_change *ch, size_t n,
	      char **out, size_t *out_len, bool *changed)
{
	struct outbuf o = { NULL, 0, 0 };
	long *last;
	size_t i;
	int err = -ENOMEM;

	for (i = 0; i < n; i++)
		if (!conf_key_valid(ch[i].key) ||
		    (ch[i].value && !conf_value_valid(ch[i].value)))
			return -EINVAL;
	last = malloc((n ? n : 1) * sizeof(*last));
	if (!last)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		last[i] = -1;
	find_last_lines(in, len, ch, n, last);
	if (out_put(&o, "", 0) || edit_lines(in, len, ch, n, last, &o))
		goto err_out;
	for (i = 0; i < n; i++) {
		/* Append keys the file lacks, once each (the last change wins). */
		if (last[i] >= 0 || !ch[i].value ||
		    change_for(ch, n, ch[i].key, strlen(ch[i].key)) != (int)i)
			continue;
		if (o.len && o.p[o.len - 1] != '\n' && out_put(&o, "\n", 1))
			goto err_out;
		if (out_kv(&o, ch[i].key, ch[i].value) || out_put(&o, "\n", 1))
			goto err_out;
	}
	free(last);
	*changed = o.len != len || memcmp(o.p, in, len);
	*out = o.p;
	*out_len = o.len;
	return 0;

err_out:
	free(o.p);
	free(last);
	return err;
}
