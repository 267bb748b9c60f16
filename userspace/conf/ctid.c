// SPDX-License-Identifier: GPL-2.0
/* Container IDs: what may name a container, and its config file. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <blkprio/conf.h>

static bool is_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/*
 * Anything that could leave the config folder ("../x", "a/b", "") is refused,
 * and a leading '-': another tool handed "-1" would take it for an option.
 */
bool ctid_valid(const char *ctid)
{
	const char *p;

	if (!ctid || !*ctid || *ctid == '.' || *ctid == '-' || strlen(ctid) > CTID_MAX_LEN)
		return false;
	for (p = ctid; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' || *p == '-')
			continue;
		return false;
	}
	return true;
}

int ctid_conf_path(const char *dir, const char *ctid, char *buf, size_t len)
{
	int n;

	if (!ctid_valid(ctid))
		return -EINVAL;
	n = snprintf(buf, len, "%s/%s.conf", dir, ctid);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

bool ctid_from_filename(const char *fname, char *buf, size_t len)
{
	size_t n = strlen(fname);

	if (n <= 5 || strcmp(fname + n - 5, ".conf") || n - 5 >= len)
		return false;
	memcpy(buf, fname, n - 5);
	buf[n - 5] = '\0';
	return ctid_valid(buf);
}

int ctid_cmp(const char *a, const char *b)
{
	bool na = is_digits(a), nb = is_digits(b);
	const char *sa = a, *sb = b;
	size_t la, lb;
	int r;

	if (na != nb)
		return na ? -1 : 1;
	if (na) {
		while (*sa == '0' && sa[1])
			sa++;
		while (*sb == '0' && sb[1])
			sb++;
		la = strlen(sa);
		lb = strlen(sb);
		if (la != lb)
			return la < lb ? -1 : 1;
		r = strcmp(sa, sb);
		if (r)
			return r;
	}
	return strcmp(a, b);	/* "007" and "7" are different names */
}
