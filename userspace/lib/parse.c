// SPDX-License-Identifier: GPL-2.0
/* Strict parsing of user-given numbers, sizes and durations. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <blkprio/parse.h>

int parse_int_range(const char *s, long long min, long long max, long long *out)
{
	const char *p = s;
	long long v;
	char *end;

	if (!s || !*s)
		return -EINVAL;
	if (*p == '-' && min < 0)
		p++;
	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*end)
		return -EINVAL;
	if (errno == ERANGE || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

static int suffix_shift(const char *sfx, unsigned int *shift)
{
	static const char units[] = "KMGTPE";
	const char *u;

	if (!*sfx) {
		*shift = 0;
		return 0;
	}
	if (!strcasecmp(sfx, "B")) {
		*shift = 0;
		return 0;
	}
	u = strchr(units, toupper((unsigned char)sfx[0]));
	if (!u || !sfx[0])
		return -EINVAL;
	if (sfx[1] && strcasecmp(sfx + 1, "B") && strcasecmp(sfx + 1, "iB"))
		return -EINVAL;
	*shift = 10 * (unsigned int)(u - units + 1);
	return 0;
}

int parse_size(const char *s, unsigned int flags, uint64_t *out)
{
	unsigned long long v;
	unsigned int shift;
	char *end;

	if (!s || !*s)
		return -EINVAL;
	if ((flags & PARSE_SIZE_UNLIMITED) && !strcmp(s, "unlimited")) {
		*out = 0;
		return 0;
	}
	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	if (suffix_shift(end, &shift))
		return -EINVAL;
	if (shift && v > (UINT64_MAX >> shift))
		return -ERANGE;
	*out = (uint64_t)v << shift;
	return 0;
}

int parse_duration_ns(const char *s, uint64_t *out)
{
	static const struct { const char *unit; uint64_t ns; } units[] = {
		{ "ns", 1 }, { "us", 1000 }, { "ms", 1000000 }, { "s", 1000000000ull },
		{ "", 1000000000ull }, { "m", 60000000000ull }, { "h", 3600000000000ull },
	};
	double v;
	char *end;
	size_t i;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno == ERANGE)
		return -ERANGE;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].unit))
			continue;
		if (v * units[i].ns > 1.8e19)
			return -ERANGE;
		*out = (uint64_t)(v * units[i].ns + 0.5);
		return 0;
	}
	return -EINVAL;
}

int parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "yes", "on", "true", "1", "y" };
	static const char *const no[] = { "no", "off", "false", "0", "n" };
	size_t i;

	for (i = 0; s && i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcasecmp(s, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(s, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

const char *format_size(uint64_t bytes, char *buf, unsigned int len)
{
	static const char units[] = "KMGTPE";
	double v = (double)bytes;
	int u = -1;

	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, len, "%llu", (unsigned long long)bytes);
	else if (v == (double)(uint64_t)v)
		snprintf(buf, len, "%llu%c", (unsigned long long)v, units[u]);
	else
		snprintf(buf, len, "%.1f%c", v, units[u]);
	return buf;
}
