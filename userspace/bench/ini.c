// SPDX-License-Identifier: GPL-2.0
/*
 * fio job files: "[global]" then "[name]" sections of "key=value" or bare
 * "key" lines; ';' and '#' start comments. Each job starts from the base
 * job plus [global], in file order.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <blkprio/bench.h>

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int add_job(struct bench_job **jobs, unsigned int *n, const struct bench_job *from,
		   const char *name)
{
	struct bench_job *j = realloc(*jobs, sizeof(**jobs) * (*n + 1));

	if (!j)
		return -ENOMEM;
	*jobs = j;
	j[*n] = *from;
	if (strlen(name) >= sizeof(j->name))
		return -EINVAL;
	strcpy(j[*n].name, name);
	(*n)++;
	return 0;
}

int bench_ini_parse(const char *text, const struct bench_job *base,
		    struct bench_job **jobs, unsigned int *njobs,
		    unsigned int *line, const char **bad_key)
{
	static char bad[128];
	struct bench_job global = *base, *cur = NULL;
	char *copy, *p, *nl, *s, *eq;
	unsigned int lineno = 0;
	int err = 0;

	*jobs = NULL;
	*njobs = 0;
	*bad_key = NULL;
	copy = strdup(text);
	if (!copy)
		return -ENOMEM;
	for (p = copy; p && !err; p = nl) {
		nl = strchr(p, '\n');
		if (nl)
			*nl++ = '\0';
		lineno++;
		s = trim(p);
		if (!*s || *s == ';' || *s == '#')
			continue;
		if (*s == '[') {
			char *e = strchr(s, ']');

			if (!e || e == s + 1 || *trim(e + 1)) {
				err = -EINVAL;
				break;
			}
			*e = '\0';
			/* A later [global] applies to the jobs after it, as in fio. */
			if (!strcmp(s + 1, "global")) {
				cur = &global;
				continue;
			}
			err = add_job(jobs, njobs, &global, s + 1);
			cur = err ? NULL : &(*jobs)[*njobs - 1];
			continue;
		}
		if (!cur) {
			err = -EINVAL;
			break;
		}
		eq = strchr(s, '=');
		if (eq) {
			*eq = '\0';
			err = bench_job_set(cur, trim(s), trim(eq + 1));
		} else {
			err = bench_job_set(cur, s, "");
		}
		if (err) {
			snprintf(bad, sizeof(bad), "%s", trim(s));
			*bad_key = bad;
		}
	}
	free(copy);
	if (!err && !*njobs)
		err = -ENODATA;
	if (err) {
		*line = lineno;
		free(*jobs);
		*jobs = NULL;
		*njobs = 0;
	}
	return err;
}
