// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for CGROUP_PATHS and WEIGHT_MAP: any bytes parse without
 * a crash; a template formatted with a CTID matches back to that CTID (or
 * to an earlier template), and a parsed map gives weights within range.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <blkprio/cgroup.h>
#include <blkprio/prio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_templates(const char *s)
{
	char rel[512], ctid[CTID_MAX_LEN + 1];
	struct cg_templates t;
	size_t i;
	int m;

	if (cg_templates_parse(&t, s, NULL))
		return;
	for (i = 0; i < t.n; i++) {
		if (cg_template_format(t.t[i], "101", rel, sizeof(rel)))
			continue;
		m = cg_templates_match(&t, rel, ctid, sizeof(ctid));
		/* a path may also be a parent folder of another template */
		if (m >= 0 && (size_t)m > i)
			abort();
		if (m == (int)i && strcmp(ctid, "101"))
			abort();
		/* no template may escape the hierarchy */
		if (strstr(rel, "/../") || !strncmp(rel, "../", 3) || rel[0] == '/')
			abort();
	}
	cg_templates_free(&t);
}

static void check_map(const char *s)
{
	const struct prio_range *r;
	struct prio_map m;
	int p, f;

	if (prio_map_parse(s, &m, NULL))
		return;
	for (f = 0; f < PRIO_NFILES; f++) {
		r = prio_file_range(f);
		for (p = 0; p < PRIO_LEVELS; p++) {
			unsigned int w = prio_weight(&m, f, p);

			if (w < r->min || w > r->max)
				abort();
			if (p && w < prio_weight(&m, f, p - 1))
				abort();
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	check_templates(s);
	check_map(s);
	free(s);
	return 0;
}
