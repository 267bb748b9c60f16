// SPDX-License-Identifier: GPL-2.0
/*
 * dd's statistics lines, formatted as GNU dd prints them in the C locale:
 *   N+M records in / N+M records out / [K truncated records]
 *   B bytes (SI, IEC) copied, T s, R UNIT/s
 * Sizes: 3 significant digits at most, one decimal under 10; rates: one
 * decimal under 100 and never below kB/s.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <blkprio/bench.h>

static const char *const si_units[] = { "", "kB", "MB", "GB", "TB", "PB", "EB" };
static const char *const iec_units[] = { "", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };

/* An exact byte count scaled to base (1000 or 1024), rounded to nearest. */
static void human_size(char *buf, size_t len, uint64_t n, unsigned int base)
{
	const char *const *units = base == 1000 ? si_units : iec_units;
	unsigned int e = 0;
	double x = (double)n, r;

	while (x >= base && e < 6) {
		x /= base;
		e++;
	}
	r = round(x * 10) / 10;
	if (r < 10) {
		snprintf(buf, len, "%.1f %s", r, units[e]);
		return;
	}
	r = round(x);
	if (r >= base && e < 6) {
		snprintf(buf, len, "1.0 %s", units[e + 1]);
		return;
	}
	snprintf(buf, len, "%.0f %s", r, units[e]);
}

/* A rate in bytes/s, SI units from kB up. */
static void human_rate(char *buf, size_t len, double x)
{
	unsigned int e = 0;
	char tmp[64];

	do {
		x /= 1000;
		e++;
	} while (x >= 1000 && e < 6);
	snprintf(tmp, sizeof(tmp), "%.1f", x);
	if (strlen(tmp) > 4) {
		snprintf(tmp, sizeof(tmp), "%.0f", x);
		if (!strcmp(tmp, "1000") && e < 6) {
			snprintf(tmp, sizeof(tmp), "1.0");
			e++;
		}
	}
	snprintf(buf, len, "%s %s/s", tmp, si_units[e]);
}

static void xfer_line(const struct dd *d, char *buf, size_t len, bool progress)
{
	uint64_t n = d->st.w_bytes, ns = bench_now_ns() - d->st.start_ns;
	char si[32], iec[32], sizes[80], rate[48], secs[32];

	if (n >= 1024) {
		human_size(si, sizeof(si), n, 1000);
		human_size(iec, sizeof(iec), n, 1024);
		snprintf(sizes, sizeof(sizes), " (%s, %s)", si, iec);
	} else if (n >= 1000) {
		human_size(si, sizeof(si), n, 1000);
		snprintf(sizes, sizeof(sizes), " (%s)", si);
	} else {
		sizes[0] = '\0';
	}
	if (ns)
		human_rate(rate, sizeof(rate), (double)n * 1e9 / (double)ns);
	else
		snprintf(rate, sizeof(rate), "Infinity B/s");
	if (progress)
		snprintf(secs, sizeof(secs), "%.0f", ns / 1e9);
	else
		snprintf(secs, sizeof(secs), "%g", ns / 1e9);
	snprintf(buf, len, "%llu byte%s%s copied, %s s, %s", (unsigned long long)n,
		 n == 1 ? "" : "s", sizes, secs, rate);
}

void dd_format_stats(const struct dd *d, char *buf, size_t len, bool progress)
{
	size_t used;

	if (progress) {
		xfer_line(d, buf, len, true);
		return;
	}
	used = snprintf(buf, len, "%llu+%llu records in\n%llu+%llu records out\n",
			(unsigned long long)d->st.r_full, (unsigned long long)d->st.r_partial,
			(unsigned long long)d->st.w_full, (unsigned long long)d->st.w_partial);
	if (d->st.r_truncate && used < len)
		used += snprintf(buf + used, len - used, "%llu truncated record%s\n",
				 (unsigned long long)d->st.r_truncate,
				 d->st.r_truncate == 1 ? "" : "s");
	if (d->status == DD_STATUS_NOXFER || used >= len)
		return;
	xfer_line(d, buf + used, len - used, false);
	used += strlen(buf + used);
	if (used + 1 < len)
		strcpy(buf + used, "\n");
}
