// SPDX-License-Identifier: GPL-2.0
/* IOPRIO -> weight maps (see include/blkprio/prio.h for the scales). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <blkprio/parse.h>
#include <blkprio/prio.h>

static const unsigned int openvz_table[PRIO_LEVELS] = {
	64, 73, 82, 92, 100, 110, 120, 128,
};

static const struct prio_range ranges[PRIO_NFILES] = {
	[PRIO_FILE_BFQ] = { 1, 1000, 100 },
	[PRIO_FILE_IO] = { 1, 10000, 100 },
	[PRIO_FILE_BLKIO] = { 10, 1000, 500 },
};

void prio_map_default(struct prio_map *m)
{
	m->kind = PRIO_MAP_OPENVZ;
	memcpy(m->w, openvz_table, sizeof(m->w));
}

static void prio_map_wide(struct prio_map *m)
{
	int i;

	m->kind = PRIO_MAP_WIDE;
	/* 100 * 2^(i-4), rounded half up: 6 13 25 50 100 200 400 800 */
	for (i = 0; i < PRIO_LEVELS; i++)
		m->w[i] = ((PRIO_WEIGHT_DEFAULT << i) + 8) / 16;
}

static int parse_explicit(const char *s, struct prio_map *m, const char **why)
{
	char tok[16];
	long long v;
	size_t len;
	int i = 0;

	for (;;) {
		s += strspn(s, " \t,");
		if (!*s)
			break;
		len = strcspn(s, " \t,");
		if (i == PRIO_LEVELS) {
			*why = "more than 8 weights";
			return -EINVAL;
		}
		if (len >= sizeof(tok))
			goto err_value;
		memcpy(tok, s, len);
		tok[len] = '\0';
		if (parse_int_range(tok, 1, PRIO_EXPLICIT_MAX, &v))
			goto err_value;
		if (i && (unsigned int)v < m->w[i - 1]) {
			*why = "weights must not decrease from IOPRIO 0 to 7";
			return -EINVAL;
		}
		m->w[i++] = (unsigned int)v;
		s += len;
	}
	if (i != PRIO_LEVELS) {
		*why = i ? "fewer than 8 weights" : "empty weight map";
		return -EINVAL;
	}
	m->kind = PRIO_MAP_EXPLICIT;
	return 0;

err_value:
	*why = "not openvz, wide, or 8 weights of 1..10000";
	return -EINVAL;
}

int prio_map_parse(const char *s, struct prio_map *m, const char **why)
{
	struct prio_map tmp;
	const char *dummy;
	size_t len;
	int err;

	if (!why)
		why = &dummy;
	s += strspn(s, " \t");
	len = strlen(s);
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	if (len == 6 && !strncasecmp(s, "openvz", 6)) {
		prio_map_default(m);
		return 0;
	}
	if (len == 4 && !strncasecmp(s, "wide", 4)) {
		prio_map_wide(m);
		return 0;
	}
	err = parse_explicit(s, &tmp, why);
	if (err)
		return err;
	*m = tmp;
	return 0;
}

const char *prio_map_format(const struct prio_map *m, char *buf, size_t len)
{
	size_t off = 0;
	int i, n;

	switch (m->kind) {
	case PRIO_MAP_OPENVZ:
		snprintf(buf, len, "openvz");
		return buf;
	case PRIO_MAP_WIDE:
		snprintf(buf, len, "wide");
		return buf;
	default:
		break;
	}
	if (len)
		buf[0] = '\0';
	for (i = 0; i < PRIO_LEVELS && off < len; i++) {
		n = snprintf(buf + off, len - off, "%s%u", i ? " " : "", m->w[i]);
		if (n < 0)
			break;
		off += (size_t)n;
	}
	return buf;
}

const struct prio_range *prio_file_range(enum prio_file f)
{
	if ((unsigned int)f >= PRIO_NFILES)
		f = PRIO_FILE_BFQ;
	return &ranges[f];
}

unsigned int prio_weight(const struct prio_map *m, enum prio_file f, int ioprio)
{
	const struct prio_range *r = prio_file_range(f);
	unsigned long w;

	if (ioprio < 0)
		ioprio = 0;
	if (ioprio >= PRIO_LEVELS)
		ioprio = PRIO_LEVELS - 1;
	if (m->kind == PRIO_MAP_WIDE)	/* exact powers of two of the default */
		w = (((unsigned long)r->def << ioprio) + 8) / 16;
	else
		w = ((unsigned long)m->w[ioprio] * r->def + PRIO_WEIGHT_DEFAULT / 2) /
		    PRIO_WEIGHT_DEFAULT;
	if (w < r->min)
		w = r->min;
	if (w > r->max)
		w = r->max;
	return (unsigned int)w;
}

int prio_from_weight(const struct prio_map *m, enum prio_file f, unsigned int w)
{
	int p;

	for (p = PRIO_LEVELS - 1; p > 0; p--)
		if (prio_weight(m, f, p) <= w)
			break;
	return p;
}
