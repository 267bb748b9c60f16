/* SPDX-License-Identifier: GPL-2.0 */
/* Strict parsing of numbers, sizes and durations given by users. */
#ifndef BLKPRIO_PARSE_H
#define BLKPRIO_PARSE_H

#include <stdbool.h>
#include <stdint.h>

/* Decimal integer in [min, max]; no sign unless min < 0, no blanks, no junk. */
int parse_int_range(const char *s, long long min, long long max, long long *out);

/*
 * A size with an optional binary suffix: K, M, G, T (x1024), optional "B"/"iB"
 * ("4K", "4KiB", "4KB" all mean 4096). "unlimited" is accepted when
 * PARSE_SIZE_UNLIMITED is set and gives 0.
 */
#define PARSE_SIZE_UNLIMITED	0x1
int parse_size(const char *s, unsigned int flags, uint64_t *out);

/* A duration: plain seconds or with a unit ns, us, ms, s, m, h; result in ns. */
int parse_duration_ns(const char *s, uint64_t *out);

/* "yes"/"no", "on"/"off", "true"/"false", "1"/"0". */
int parse_bool(const char *s, bool *out);

/* Human-readable binary size into buf ("1.5M", "512K", "0"). */
const char *format_size(uint64_t bytes, char *buf, unsigned int len);

#endif
