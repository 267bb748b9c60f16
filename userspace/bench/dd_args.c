// SPDX-License-Identifier: GPL-2.0
/*
 * dd operands as GNU dd (coreutils 9.1) takes them: KEY=VALUE words, numbers
 * with dd's suffixes (c w b k K kB KiB M MB MiB ... and one NxM product),
 * comma lists for conv/iflag/oflag. Messages are GNU dd's, in the C locale.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <blkprio/bench.h>

void dd_init(struct dd *d)
{
	memset(d, 0, sizeof(*d));
	d->ibs = d->obs = 512;
	d->ifd = d->ofd = -1;
	d->swab_saved = -1;
}

/* One factor: digits and an optional suffix. */
static int dd_factor(const char *s, size_t len, uint64_t *out)
{
	static const char pow_letters[] = "KMGTPEZY";
	uint64_t v = 0, mult = 1, base = 1024;
	const char *p = s, *end = s + len, *u;
	unsigned int i, power = 0;

	if (p == end || *p < '0' || *p > '9')
		return -EINVAL;
	for (; p < end && *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - (*p - '0')) / 10)
			return -EOVERFLOW;
		v = v * 10 + (*p - '0');
	}
	if (p < end) {
		switch (*p) {
		case 'c': mult = 1; break;
		case 'w': mult = 2; break;
		case 'b': mult = 512; break;
		case 'B': mult = 1; break;
		case 'k': power = 1; break;
		default:
			u = strchr(pow_letters, *p);
			if (!u || !*p)
				return -EINVAL;
			power = (unsigned int)(u - pow_letters) + 1;
		}
		p++;
		if (power && p < end) {
			if (end - p == 2 && p[0] == 'i' && p[1] == 'B')
				p += 2;
			else if (end - p == 1 && (*p == 'B' || *p == 'D')) {
				base = 1000;
				p++;
			}
		}
		if (p != end)
			return -EINVAL;
		for (i = 0; i < power; i++) {
			if (mult > UINT64_MAX / base)
				return -EOVERFLOW;
			mult *= base;
		}
	}
	if (mult && v > UINT64_MAX / mult)
		return -EOVERFLOW;
	*out = v * mult;
	return 0;
}

/* A number: FACTOR or FACTORxFACTOR. *zero_x when it starts "0x". */
static int dd_number(const char *s, uint64_t *out, bool *zero_x)
{
	const char *x = strchr(s, 'x');
	uint64_t a, b;
	int err;

	*zero_x = false;
	if (!x)
		return dd_factor(s, strlen(s), out);
	if (strchr(x + 1, 'x'))
		return -EINVAL;
	err = dd_factor(s, x - s, &a);
	if (!err)
		err = dd_factor(x + 1, strlen(x + 1), &b);
	if (err)
		return err;
	if (a && b > UINT64_MAX / a)
		return -EOVERFLOW;
	*zero_x = x - s == 1 && s[0] == '0';
	*out = a * b;
	return 0;
}

static const struct { const char *name; unsigned int bit; } conv_names[] = {
	{ "block", DD_C_BLOCK }, { "unblock", DD_C_UNBLOCK }, { "lcase", DD_C_LCASE },
	{ "ucase", DD_C_UCASE }, { "swab", DD_C_SWAB }, { "sync", DD_C_SYNC },
	{ "noerror", DD_C_NOERROR }, { "notrunc", DD_C_NOTRUNC }, { "sparse", DD_C_SPARSE },
	{ "excl", DD_C_EXCL }, { "nocreat", DD_C_NOCREAT }, { "fsync", DD_C_FSYNC },
	{ "fdatasync", DD_C_FDATASYNC },
}, flag_names[] = {
	{ "append", DD_F_APPEND }, { "direct", DD_F_DIRECT }, { "directory", DD_F_DIRECTORY },
	{ "dsync", DD_F_DSYNC }, { "sync", DD_F_SYNC }, { "fullblock", DD_F_FULLBLOCK },
	{ "noatime", DD_F_NOATIME }, { "nocache", DD_F_NOCACHE }, { "noctty", DD_F_NOCTTY },
	{ "nofollow", DD_F_NOFOLLOW }, { "nonblock", DD_F_NONBLOCK },
	{ "count_bytes", DD_F_COUNT_BYTES }, { "skip_bytes", DD_F_SKIP_BYTES },
	{ "seek_bytes", DD_F_SEEK_BYTES },
};

/* A comma list of names from a table; the first unknown one is the error. */
static int dd_list(const char *val, bool conv, bool out, unsigned int *bits,
		   char *bad, size_t badlen)
{
	const char *p = val, *e;
	size_t i, n, cnt = conv ? sizeof(conv_names) / sizeof(conv_names[0]) :
				  sizeof(flag_names) / sizeof(flag_names[0]);

	for (;;) {
		e = strchr(p, ',');
		n = e ? (size_t)(e - p) : strlen(p);
		for (i = 0; i < cnt; i++) {
			const char *name = conv ? conv_names[i].name : flag_names[i].name;

			if (strlen(name) == n && !strncmp(name, p, n))
				break;
		}
		if (i == cnt || (!conv && out && flag_names[i].bit == DD_F_FULLBLOCK)) {
			snprintf(bad, badlen, "%.*s", (int)n, p);
			return -EINVAL;
		}
		*bits |= conv ? conv_names[i].bit : flag_names[i].bit;
		if (!e)
			return 0;
		p = e + 1;
	}
}

static int bad_number(const char *val, int err, char *why, size_t len)
{
	if (err == -EOVERFLOW)
		snprintf(why, len, "invalid number: '%s': Value too large for defined data type",
			 val);
	else
		snprintf(why, len, "invalid number: '%s'", val);
	return -EINVAL;
}

int dd_operand(struct dd *d, const char *arg, char *why, size_t len, bool *try)
{
	const char *eq = strchr(arg, '='), *val;
	char key[16], bad[256];
	uint64_t *num = NULL, v;
	bool zero_x, *bytes = NULL, blocksize = false;
	size_t klen;
	int err;

	*try = false;
	klen = eq ? (size_t)(eq - arg) : 0;
	if (!eq || klen >= sizeof(key) || !klen)
		goto unrecognized;
	memcpy(key, arg, klen);
	key[klen] = '\0';
	val = eq + 1;
	if (!strcmp(key, "if")) {
		d->ifile = val;
		return 0;
	} else if (!strcmp(key, "of")) {
		d->ofile = val;
		return 0;
	} else if (!strcmp(key, "conv") || !strcmp(key, "iflag") || !strcmp(key, "oflag")) {
		bool conv = key[0] == 'c', out = key[0] == 'o';

		if (dd_list(val, conv, out, conv ? &d->conv : out ? &d->oflags : &d->iflags,
			    bad, sizeof(bad))) {
			snprintf(why, len, "invalid %s: '%s'", conv ? "conversion" :
				 out ? "output flag" : "input flag", bad);
			*try = true;
			return -EINVAL;
		}
		return 0;
	} else if (!strcmp(key, "status")) {
		if (!strcmp(val, "none"))
			d->status = DD_STATUS_NONE;
		else if (!strcmp(val, "noxfer"))
			d->status = DD_STATUS_NOXFER;
		else if (!strcmp(val, "progress"))
			d->status = DD_STATUS_PROGRESS;
		else {
			snprintf(why, len, "invalid status level: '%s'", val);
			*try = true;
			return -EINVAL;
		}
		return 0;
	} else if (!strcmp(key, "ibs")) {
		num = &d->ibs, blocksize = true;
	} else if (!strcmp(key, "obs")) {
		num = &d->obs, blocksize = true;
	} else if (!strcmp(key, "bs")) {
		num = &d->bs, blocksize = true;
	} else if (!strcmp(key, "cbs")) {
		num = &d->cbs, blocksize = true;
	} else if (!strcmp(key, "skip") || !strcmp(key, "iseek")) {
		num = &d->skip, bytes = &d->skip_b;
	} else if (!strcmp(key, "seek") || !strcmp(key, "oseek")) {
		num = &d->seek, bytes = &d->seek_b;
	} else if (!strcmp(key, "count")) {
		num = &d->count, bytes = &d->count_b;
		d->count_set = true;
	} else {
		goto unrecognized;
	}
	err = dd_number(val, &v, &zero_x);
	/* numbers are signed 64-bit in GNU dd (intmax_t) */
	if (!err && v > INT64_MAX)
		err = -EOVERFLOW;
	if (err)
		return bad_number(val, err, why, len);
	if (zero_x && d->msg)
		d->msg(d->arg, "warning: '0x' is a zero multiplier; use '00x' if that is intended");
	/* Buffers must fit in memory: GNU dd's own bound is about this. */
	if (blocksize && (!v || v > ((uint64_t)1 << 40)))
		return bad_number(val, v ? -EOVERFLOW : -EINVAL, why, len);
	*num = v;
	if (bytes)
		*bytes = val[strlen(val) - 1] == 'B';
	return 0;

unrecognized:
	snprintf(why, len, "unrecognized operand '%s'", arg);
	*try = true;
	return -EINVAL;
}

/* A file offset: at most INT64_MAX (off_t), as GNU dd computes it. */
static int mul_bytes(uint64_t n, uint64_t bs, uint64_t *out)
{
	if (bs && n > INT64_MAX / bs)
		return -EOVERFLOW;
	*out = n * bs;
	return 0;
}

int dd_args_done(struct dd *d, char *why, size_t len, bool *try)
{
	unsigned int f = d->iflags | d->oflags;

	*try = false;
	if (d->bs)
		d->ibs = d->obs = d->bs;
	else
		d->conv |= DD_C_TWOBUFS;
	if (!d->cbs)
		d->conv &= ~(DD_C_BLOCK | DD_C_UNBLOCK);
	if (d->conv & (DD_C_BLOCK | DD_C_UNBLOCK))
		d->conv |= DD_C_TWOBUFS;
	if ((d->conv & DD_C_BLOCK) && (d->conv & DD_C_UNBLOCK))
		snprintf(why, len, "cannot combine block and unblock");
	else if ((d->conv & DD_C_LCASE) && (d->conv & DD_C_UCASE))
		snprintf(why, len, "cannot combine lcase and ucase");
	else if ((d->conv & DD_C_EXCL) && (d->conv & DD_C_NOCREAT))
		snprintf(why, len, "cannot combine excl and nocreat");
	else if ((f & DD_F_DIRECT) && (f & DD_F_NOCACHE))
		snprintf(why, len, "cannot combine direct and nocache");
	else
		why[0] = '\0';
	if (why[0])
		return -EINVAL;
	/* an offset past a file's: told when dd gets there, as GNU dd does */
	if (d->skip_b || (d->iflags & DD_F_SKIP_BYTES))
		d->skip_bytes = d->skip;
	else if (mul_bytes(d->skip, d->ibs, &d->skip_bytes))
		d->skip_overflow = true;
	if (d->seek_b || (d->oflags & DD_F_SEEK_BYTES))
		d->seek_bytes = d->seek;
	else if (mul_bytes(d->seek, d->obs, &d->seek_bytes))
		d->seek_overflow = true;
	if ((d->oflags & DD_F_APPEND) && !(d->conv & DD_C_NOTRUNC) && d->msg)
		d->msg(d->arg, "you probably want conv=notrunc with oflag=append");
	if (d->count_b || (d->iflags & DD_F_COUNT_BYTES)) {
		d->max_records = d->count / d->ibs;
		d->max_bytes = d->count % d->ibs;
	} else {
		d->max_records = d->count;
	}
	d->warn_partial = !(d->conv & DD_C_TWOBUFS) && !(d->iflags & DD_F_FULLBLOCK) &&
			  (d->skip_bytes || d->count_set || (f & DD_F_DIRECT));
	return 0;
}
