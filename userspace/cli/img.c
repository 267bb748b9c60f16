// SPDX-License-Identifier: GPL-2.0
/*
 * blkprio img: qemu-img's syntax and output for qcow2 (and raw) images.
 * This file: the command group, shared helpers, create, info, resize;
 * img_check.c check and map, img_convert.c convert and compare,
 * img_bench.c bench.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "img.h"

/* ---- helpers ---------------------------------------------------------------- */

int img_fail(const char *what, const char *file, int err)
{
	const char *why = qcow2_last_error();

	return cli_fail(EXIT_FAIL, what, file, "%s", why ? why : strerror(-err));
}

/* qemu's size syntax: a number (fractions allowed) and k, M, G, T, P, E (or b). */
int img_parse_size(const char *s, uint64_t *out)
{
	char *end;
	double v;
	uint64_t mul = 1;

	if (!*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s)
		return -EINVAL;
	switch (*end) {
	case 'b': case 'B': case '\0': break;
	case 'k': case 'K': mul = 1ull << 10; break;
	case 'm': case 'M': mul = 1ull << 20; break;
	case 'g': case 'G': mul = 1ull << 30; break;
	case 't': case 'T': mul = 1ull << 40; break;
	case 'p': case 'P': mul = 1ull << 50; break;
	case 'e': case 'E': mul = 1ull << 60; break;
	default: return -EINVAL;
	}
	if (*end && end[1])
		return -EINVAL;
	if (v < 0 || v * (double)mul >= 18446744073709551616.0)
		return -ERANGE;
	if (mul == 1 && v != floor(v))
		return -EINVAL;
	*out = (uint64_t)(v * (double)mul);
	return 0;
}

/* qemu's size_to_str: "%0.3g" of the value in the largest fitting unit. */
void img_size_str(uint64_t val, char *buf, size_t len)
{
	static const char *const suf[] = { "", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei" };
	int i;

	frexp((double)val / (1000.0 / 1024.0), &i);
	i = (i - 1) / 10;
	if (i < 0)
		i = 0;
	snprintf(buf, len, "%0.3g %sB", (double)val / (double)(1ull << (i * 10)), suf[i]);
}

/* After the options of a one-image command: --output and exactly one FILE. */
int img_one_file(int argc, char **argv, const char *output, bool *json, const char **file)
{
	int err;

	*json = img_want_json(output, &err);
	if (err)
		return err;
	if (optind + 1 != argc)
		return cli_usage_err("Expecting one image file name");
	*file = argv[optind];
	return EXIT_OK;
}

bool img_want_json(const char *output, int *err)
{
	*err = 0;
	if (!output)
		return cli.json;
	if (!strcmp(output, "json"))
		return true;
	if (!strcmp(output, "human"))
		return false;
	*err = cli_usage_err("--output must be human or json");
	return false;
}

void img_json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

int img_open_flags(struct img *im, const char *path, const char *fmt, bool rw,
			  unsigned int flags)
{
	struct stat st;
	int err;

	memset(im, 0, sizeof(*im));
	im->fd = -1;
	im->path = path;
	if (fmt && strcmp(fmt, "qcow2") && strcmp(fmt, "raw"))
		return cli_fail(EXIT_FAIL, "unknown format", fmt, "only qcow2 and raw are supported");
	if (!fmt) {
		err = qcow2_probe(path);
		if (err < 0)
			return cli_fail(EXIT_FAIL, "cannot open", path, "%s", strerror(-err));
		fmt = err ? "qcow2" : "raw";
	}
	if (!strcmp(fmt, "qcow2")) {
		err = qcow2_open(path, (rw ? 0 : QCOW2_O_RDONLY) | flags, &im->q);
		if (err)
			return img_fail("cannot open", path, err);
		/* encrypted: the secret (info does without: no backing = no data) */
		err = img_crypt_unlock(im->q, path, rw, !(flags & QCOW2_O_NO_BACKING));
		if (err) {
			img_close(im);
			return err;
		}
		im->size = qcow2_size(im->q);
		im->is_qcow2 = true;
		return 0;
	}
	im->fd = open(path, (rw ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (im->fd < 0 || fstat(im->fd, &st))
		return cli_fail(EXIT_FAIL, "cannot open", path, "%s", strerror(errno));
	im->size = (uint64_t)st.st_size;
	return 0;
}

int img_open(struct img *im, const char *path, const char *fmt, bool rw)
{
	return img_open_flags(im, path, fmt, rw, 0);
}

int img_close(struct img *im)
{
	int err = 0;

	if (im->q)
		err = qcow2_close(im->q);
	if (im->fd >= 0 && close(im->fd))
		err = -errno;
	im->q = NULL;
	im->fd = -1;
	return err;
}

int img_read(struct img *im, void *buf, size_t len, uint64_t off)
{
	ssize_t n;
	size_t done = 0;

	if (im->q) {
		n = qcow2_pread(im->q, buf, len, off);
		return n < 0 ? (int)n : 0;
	}
	while (done < len) {
		n = pread(im->fd, (char *)buf + done, len - done, (off_t)(off + done));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (!n) {
			memset((char *)buf + done, 0, len - done);
			break;
		}
		done += (size_t)n;
	}
	return 0;
}

/*
 * How much of [off, off+len) is known to read as zeros (*zero) or may hold
 * data; qcow2 from its metadata, raw from holes.
 */
uint64_t img_status(struct img *im, uint64_t off, uint64_t len, bool *zero)
{
	struct qcow2_extent e;
	off_t d, h;

	*zero = false;
	if (im->q) {
		if (qcow2_block_status(im->q, off, len, &e))
			return len;
		*zero = e.type == QCOW2_EXT_UNALLOCATED || e.type == QCOW2_EXT_ZERO;
		return e.length;
	}
	d = lseek(im->fd, (off_t)off, SEEK_DATA);
	if (d < 0) {
		*zero = errno == ENXIO;
		return len;
	}
	if ((uint64_t)d > off) {
		*zero = true;
		return (uint64_t)d - off < len ? (uint64_t)d - off : len;
	}
	h = lseek(im->fd, (off_t)off, SEEK_HOLE);
	if (h > (off_t)off && (uint64_t)h - off < len)
		return (uint64_t)h - off;
	return len;
}

bool img_is_zero(const void *buf, size_t len)
{
	const uint8_t *p = buf;

	if (len < 16) {
		while (len--)
			if (*p++)
				return false;
		return true;
	}
	if (*(const uint64_t *)p || *(const uint64_t *)(p + 8))
		return false;
	return !memcmp(p, p + 16, len - 16);
}

/* ---- create -------------------------------------------------------------------- */

void img_create_help(FILE *out)
{
	fprintf(out, "Supported qcow2 options:\n"
		"  backing_file=<str>     - File name of a base image\n"
		"  backing_fmt=<str>      - Image format of the base image (qcow2, raw)\n"
		"  cluster_size=<size>    - qcow2 cluster size\n"
		"  compat=<str>           - Compatibility level (v2 [0.10] or v3 [1.1])\n"
		"  encrypt.format=<str>   - Encrypt the image: luks, or aes (legacy, weak)\n"
		"  encrypt.key-secret=<str> - ID of the secret (--object secret,id=ID,...)\n"
		"  encrypt.iter-time=<num> - LUKS: PBKDF2 time in milliseconds (default 2000)\n"
		"  encrypt.cipher-alg=<str> - LUKS: aes-128, aes-192, aes-256 (default)\n"
		"  encrypt.cipher-mode=<str> - LUKS: xts (default), cbc\n"
		"  encrypt.ivgen-alg=<str> - LUKS: plain64 (default), plain, essiv\n"
		"  encrypt.ivgen-hash-alg=<str> - LUKS: essiv hash (default sha256)\n"
		"  encrypt.hash-alg=<str>  - LUKS: PBKDF2 hash (default sha256)\n"
		"  lazy_refcounts=<bool (on/off)> - Postpone refcount updates\n"
		"  preallocation=<str>    - Preallocation mode (allowed values: off, metadata, falloc, full)\n"
		"  refcount_bits=<num>    - Width of a reference count entry in bits\n"
		"  size=<size>            - Virtual disk size\n");
}

static int parse_onoff(const char *v, bool *out)
{
	if (!strcmp(v, "on") || !strcmp(v, "true") || !strcmp(v, "yes"))
		*out = true;
	else if (!strcmp(v, "off") || !strcmp(v, "false") || !strcmp(v, "no"))
		*out = false;
	else
		return -EINVAL;
	return 0;
}

/* "-o a=b,c=d" into o; returns 0, 1 for "help", or an exit code < 0 style. */
int img_parse_create_opts(char *list, struct qcow2_create_opts *o, bool *size_set)
{
	char *save = NULL, *kv;
	uint64_t v;

	for (kv = strtok_r(list, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
		char *val = strchr(kv, '=');

		if (!strcmp(kv, "help") || !strcmp(kv, "?"))
			return 1;
		if (!val)
			return -cli_usage_err("Invalid parameter '%s'", kv);
		*val++ = '\0';
		if (!strcmp(kv, "cluster_size")) {
			if (img_parse_size(val, &v) || v > UINT32_MAX)
				return -cli_usage_err("Invalid cluster_size '%s'", val);
			o->cluster_size = (uint32_t)v;
		} else if (!strcmp(kv, "preallocation")) {
			if (qcow2_prealloc_parse(val, &o->prealloc))
				return -cli_usage_err("Invalid preallocation mode: '%s'", val);
		} else if (!strcmp(kv, "lazy_refcounts")) {
			if (parse_onoff(val, &o->lazy_refcounts))
				return -cli_usage_err("Invalid lazy_refcounts '%s' (on/off)", val);
		} else if (!strcmp(kv, "compat")) {
			if (!strcmp(val, "0.10") || !strcmp(val, "v2"))
				o->version = 2;
			else if (!strcmp(val, "1.1") || !strcmp(val, "v3"))
				o->version = 3;
			else
				return -cli_usage_err("Invalid compatibility level: '%s'", val);
		} else if (!strcmp(kv, "refcount_bits")) {
			if (img_parse_size(val, &v) || v > 64)
				return -cli_usage_err("Invalid refcount_bits '%s'", val);
			o->refcount_bits = (uint32_t)v;
		} else if (!strcmp(kv, "size")) {
			if (img_parse_size(val, &o->size))
				return -cli_usage_err("Invalid size '%s'", val);
			*size_set = true;
		} else if (!strcmp(kv, "compression_type")) {
			if (!strcmp(val, "zlib"))
				o->compression_type = QCOW2_COMPRESS_ZLIB;
			else if (!strcmp(val, "zstd"))
				o->compression_type = QCOW2_COMPRESS_ZSTD;
			else
				return -cli_usage_err("Invalid parameter '%s' (compression_type: zlib or zstd)", val);
		} else if (!strcmp(kv, "extended_l2")) {
			if (strcmp(val, "off"))
				return -cli_fail(EXIT_FAIL, "unsupported option", kv,
						 "only the default is supported (next issue)");
		} else if (!strcmp(kv, "backing_file")) {
			o->backing_file = val;
		} else if (!strcmp(kv, "backing_fmt")) {
			o->backing_fmt = val;
		} else if (!strncmp(kv, "encrypt", 7)) {
			int code = img_crypt_opt(kv, val, o);	/* img_secret.c */

			if (code)
				return code;
		} else if (!strcmp(kv, "data_file")) {
			return -cli_fail(EXIT_FAIL, "unsupported option", kv, "not supported yet");
		} else {
			return -cli_usage_err("Invalid parameter '%s'", kv);
		}
	}
	return 0;
}

static void usage_create(FILE *out)
{
	fprintf(out, "Usage: blkprio img create [-q] -f qcow2 [-b BASE -F FMT [-u]] [-o OPTIONS] FILE [SIZE]\n"
		"  -o help lists the options (cluster_size, preallocation=off|metadata|falloc|full,\n"
		"  lazy_refcounts=on|off, compat=0.10|1.1, refcount_bits).\n");
}

int img_create(int argc, char **argv)
{
	static const struct option opts[] = { IMG_COMMON_OPTS, { NULL, 0, NULL, 0 } };
	struct qcow2_create_opts o;
	const char *fmt = "qcow2", *file;
	char *olist[16];
	unsigned int nolist = 0, i;
	bool quiet = false, done, size_set = false, unsafe = false;
	int c, code, err;

	qcow2_create_opts_init(&o, 0);
	while ((c = getopt_long(argc, argv, CLI_COMMON_SHORT "qf:o:F:b:u", opts, NULL)) != -1) {
		switch (c) {
		case 'q': quiet = true; continue;
		case 'f': fmt = optarg; continue;
		case 'o':
			if (nolist >= 16)
				return cli_usage_err("too many -o");
			olist[nolist++] = optarg;
			continue;
		case 'b': o.backing_file = optarg; continue;
		case 'F': o.backing_fmt = optarg; continue;
		case 'u': unsafe = true; continue;
		}
		if (cli_common_opt(c, optarg, &done, &code, usage_create)) {
			if (done)
				return code;
			continue;
		}
		usage_create(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(fmt, "qcow2"))
		return cli_fail(EXIT_FAIL, "unsupported format", fmt, "img create makes qcow2 images");
	for (i = 0; i < nolist; i++) {
		err = img_parse_create_opts(olist[i], &o, &size_set);
		if (err == 1) {
			img_create_help(stdout);
			return EXIT_OK;
		}
		if (err)
			return -err;
	}
	if (optind >= argc)
		return cli_usage_err("Expecting image file name");
	file = argv[optind++];
	if (optind < argc) {
		if (img_parse_size(argv[optind], &o.size))
			return cli_usage_err("Invalid image size specified. Must be between 0 and 9223372036854775807.");
		optind++;
		size_set = true;
	}
	if (optind < argc)
		return cli_usage_err("unexpected argument '%s'", argv[optind]);
	if (o.backing_file) {
		code = img_backing_size(file, &o, &size_set, unsafe);
		if (code)
			return code;
	}
	if (!size_set)
		return cli_usage_err("Image creation needs a size parameter");
	code = img_crypt_finish(&o, file);	/* secret, prompt (img_secret.c) */
	if (code)
		return code;
	if (!quiet)
		printf("Formatting '%s', fmt=qcow2%s cluster_size=%u extended_l2=off%s%s compression_type=%s size=%" PRIu64 "%s%s%s%s lazy_refcounts=%s refcount_bits=%u\n",
		       file, img_crypt_opts_str(&o), o.cluster_size,
		       o.prealloc ? " preallocation=" : "",
		       o.prealloc ? qcow2_prealloc_name(o.prealloc) : "",
		       o.compression_type ? "zstd" : "zlib", o.size,
		       o.backing_file ? " backing_file=" : "", o.backing_file ? o.backing_file : "",
		       o.backing_file ? " backing_fmt=" : "", o.backing_file ? o.backing_fmt : "",
		       o.lazy_refcounts ? "on" : "off", o.refcount_bits);
	fflush(stdout);
	err = qcow2_create(file, &o, unsafe ? QCOW2_CREATE_UNSAFE : 0);
	if (err)
		return img_fail("cannot create", file, err);
	return EXIT_OK;
}

/* ---- info ---------------------------------------------------------------------- */

/* qemu's bdrv_snapshot_dump layout (also `img snapshot -l`) */
void img_print_snapshots(const struct qcow2_snapshot_info *s, unsigned int n)
{
	char size[32], date[32], clock[48], icount[32];
	unsigned int i;
	time_t t;

	if (!n)
		return;
	printf("Snapshot list:\n%-10s%-17s%8s%20s%13s%11s\n",
	       "ID", "TAG", "VM SIZE", "DATE", "VM CLOCK", "ICOUNT");
	for (i = 0; i < n; i++) {
		uint64_t secs = s[i].vm_clock_nsec / 1000000000;
		struct tm tm;

		img_size_str(s[i].vm_state_size, size, sizeof(size));
		t = (time_t)s[i].date_sec;
		strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S", localtime_r(&t, &tm));
		snprintf(clock, sizeof(clock), "%02d:%02d:%02d.%03d", (int)(secs / 3600),
			 (int)((secs / 60) % 60), (int)(secs % 60),
			 (int)((s[i].vm_clock_nsec / 1000000) % 1000));
		icount[0] = '\0';
		if (s[i].icount != -1)
			snprintf(icount, sizeof(icount), "%" PRId64, s[i].icount);
		printf("%-9s %-16s %8s%20s%13s%11s\n", s[i].id, s[i].name, size, date, clock, icount);
	}
}

static void print_snapshots_json(const struct qcow2_snapshot_info *s, unsigned int n)
{
	unsigned int i;

	if (!n)
		return;
	printf("    \"snapshots\": [\n");
	for (i = 0; i < n; i++) {
		printf("        {\n");
		if (s[i].icount != -1)
			printf("            \"icount\": %" PRId64 ",\n", s[i].icount);
		printf("            \"vm-clock-nsec\": %" PRIu64 ",\n            \"name\": ",
		       s[i].vm_clock_nsec % 1000000000);
		img_json_str(s[i].name);
		printf(",\n            \"date-sec\": %u,\n            \"date-nsec\": %u,\n"
		       "            \"vm-clock-sec\": %" PRIu64 ",\n            \"id\": ",
		       s[i].date_sec, s[i].date_nsec, s[i].vm_clock_nsec / 1000000000);
		img_json_str(s[i].id);
		printf(",\n            \"vm-state-size\": %" PRIu64 "\n        }%s\n",
		       s[i].vm_state_size, i + 1 < n ? "," : "");
	}
	printf("    ],\n");
}

static void usage_info(FILE *out)
{
	fprintf(out, "Usage: blkprio img info [-f FMT] [-U] [--backing-chain] [--output=human|json] FILE\n");
}

int img_info(int argc, char **argv)
{
	static const struct option opts[] = {
		IMG_COMMON_OPTS,
		{ "backing-chain", no_argument, NULL, OPT_BACKING_CHAIN },
		{ NULL, 0, NULL, 0 },
	};
	const char *output = NULL, *fmt = NULL, *file = NULL;
	bool done, json, chain = false;
	int c, code, err;

	while ((c = getopt_long(argc, argv, CLI_COMMON_SHORT "f:U", opts, NULL)) != -1) {
		if (c == OPT_OUTPUT) { output = optarg; continue; }
		if (c == OPT_BACKING_CHAIN) { chain = true; continue; }
		if (c == 'f') { fmt = optarg; continue; }
		if (c == 'U') continue;
		if (cli_common_opt(c, optarg, &done, &code, usage_info)) {
			if (done)
				return code;
			continue;
		}
		usage_info(stderr);
		return EXIT_USAGE;
	}
	err = img_one_file(argc, argv, output, &json, &file);
	if (err)
		return err;
	if (chain)
		return img_info_chain(file, fmt, json);
	return img_info_one(file, fmt, json, NULL, NULL);
}

/*
 * Print one image's information; with next, *next is set to the path of its
 * backing file and *next_fmt to its format (malloc'd; NULL when none).
 */
int img_info_one(const char *file, const char *fmt, bool json, char **next, char **next_fmt)
{
	struct qcow2_snapshot_info *snaps = NULL;
	unsigned int nsnaps = 0;
	struct qcow2_info in;
	char vs[32], ds[32], *full = NULL;
	struct img im;
	struct stat st;
	int code, err;

	/* like qemu-img info: the backing chain need not be there */
	code = img_open_flags(&im, file, fmt, false, QCOW2_O_NO_BACKING);
	if (code)
		return code;
	memset(&in, 0, sizeof(in));
	if (im.q) {
		err = qcow2_get_info(im.q, &in);
	} else {
		err = fstat(im.fd, &st) ? -errno : 0;
		in.virtual_size = im.size;
		in.actual_size = (uint64_t)st.st_blocks * 512;
	}
	if (err) {
		img_close(&im);
		return cli_fail(EXIT_FAIL, "info", file, "%s", strerror(-err));
	}
	img_size_str(in.virtual_size, vs, sizeof(vs));
	img_size_str(in.actual_size, ds, sizeof(ds));
	if (im.q && qcow2_snapshot_list(im.q, &snaps, &nsnaps)) {
		img_close(&im);
		return img_fail("info", file, -EUCLEAN);
	}
	if (in.backing_file[0] && qcow2_backing_path(file, in.backing_file, &full)) {
		free(snaps);
		img_close(&im);
		return cli_fail(EXIT_FAIL, "info", file, "%s", strerror(ENOMEM));
	}
	if (json) {
		printf("{\n");
		if (in.backing_fmt[0]) {
			printf("    \"backing-filename-format\": ");
			img_json_str(in.backing_fmt);
			printf(",\n");
		}
		print_snapshots_json(snaps, nsnaps);
		printf("    \"virtual-size\": %" PRIu64 ",\n    \"filename\": ", in.virtual_size);
		img_json_str(file);
		if (im.q)
			printf(",\n    \"cluster-size\": %u", in.cluster_size);
		printf(",\n    \"format\": \"%s\",\n    \"actual-size\": %" PRIu64 ",\n",
		       im.q ? "qcow2" : "raw", in.actual_size);
		if (im.q) {
			printf("    \"format-specific\": {\n        \"type\": \"qcow2\",\n"
			       "        \"data\": {\n            \"compat\": \"%s\",\n"
			       "            \"compression-type\": \"%s\",\n",
			       in.version >= 3 ? "1.1" : "0.10",
			       in.compression_type ? "zstd" : "zlib");
			if (in.version >= 3)
				printf("            \"lazy-refcounts\": %s,\n",
				       in.lazy_refcounts ? "true" : "false");
			printf("            \"refcount-bits\": %u", in.refcount_bits);
			img_crypt_print(im.q, true);
			if (in.version >= 3)
				printf(",\n            \"corrupt\": %s,\n            \"extended-l2\": %s",
				       in.corrupt ? "true" : "false", in.extended_l2 ? "true" : "false");
			printf("\n        }\n    },\n");
			if (in.backing_file[0]) {
				printf("    \"full-backing-filename\": ");
				img_json_str(full);
				printf(",\n    \"backing-filename\": ");
				img_json_str(in.backing_file);
				printf(",\n");
			}
		}
		if (im.q && qcow2_encryption(im.q))
			printf("    \"encrypted\": true,\n");
		printf("    \"dirty-flag\": %s\n}\n", in.dirty ? "true" : "false");
	} else {
		printf("image: %s\nfile format: %s\nvirtual size: %s (%" PRIu64 " bytes)\n"
		       "disk size: %s\n", file, im.q ? "qcow2" : "raw", vs, in.virtual_size, ds);
		if (im.q && qcow2_encryption(im.q))
			printf("encrypted: yes\n");
		if (im.q) {
			printf("cluster_size: %u\n", in.cluster_size);
			if (in.backing_file[0] && strcmp(full, in.backing_file))
				printf("backing file: %s (actual path: %s)\n", in.backing_file, full);
			else if (in.backing_file[0])
				printf("backing file: %s\n", in.backing_file);
			if (in.backing_fmt[0])
				printf("backing file format: %s\n", in.backing_fmt);
			img_print_snapshots(snaps, nsnaps);
			printf("Format specific information:\n    compat: %s\n"
			       "    compression type: %s\n",
			       in.version >= 3 ? "1.1" : "0.10", in.compression_type ? "zstd" : "zlib");
			if (in.version >= 3)
				printf("    lazy refcounts: %s\n", in.lazy_refcounts ? "true" : "false");
			printf("    refcount bits: %u\n", in.refcount_bits);
			img_crypt_print(im.q, false);
			if (in.version >= 3)
				printf("    corrupt: %s\n    extended l2: %s\n",
				       in.corrupt ? "true" : "false", in.extended_l2 ? "true" : "false");
			if (in.dirty)
				printf("cleanly shut down: no\n");
		}
	}
	free(snaps);
	img_close(&im);
	if (next) {
		*next = full;
		*next_fmt = in.backing_fmt[0] ? strdup(in.backing_fmt) : NULL;
	} else {
		free(full);
	}
	return EXIT_OK;
}

/* ---- resize ----------------------------------------------------------------------- */

static void usage_resize(FILE *out)
{
	fprintf(out, "Usage: blkprio img resize [-q] [-f qcow2] [--shrink] [--preallocation=MODE] FILE [+|-]SIZE\n");
}

int img_resize(int argc, char **argv)
{
	static const struct option opts[] = {
		IMG_COMMON_OPTS,
		{ "shrink", no_argument, NULL, OPT_SHRINK },
		{ "preallocation", required_argument, NULL, OPT_PREALLOC },
		{ NULL, 0, NULL, 0 },
	};
	enum qcow2_prealloc pre = QCOW2_PREALLOC_OFF;
	unsigned int flags = 0;
	const char *file, *arg;
	uint64_t v, size, cur;
	struct qcow2 *q;
	bool done, quiet = false;
	int c, code, err;

	/* "-1G" is a size, not an option: stop option parsing at a sign + digit. */
	for (c = 1; c < argc; c++)
		if (argv[c][0] == '-' && argv[c][1] >= '0' && argv[c][1] <= '9')
			argc = c + 1;
	while ((c = getopt_long(argc, argv, "+" CLI_COMMON_SHORT "qf:", opts, NULL)) != -1) {
		if (c == OPT_SHRINK) { flags |= QCOW2_RESIZE_SHRINK; continue; }
		if (c == 'q') { quiet = true; continue; }
		if (c == 'f') continue;
		if (c == OPT_PREALLOC) {
			if (qcow2_prealloc_parse(optarg, &pre))
				return cli_usage_err("Invalid preallocation mode: '%s'", optarg);
			continue;
		}
		if (cli_common_opt(c, optarg, &done, &code, usage_resize)) {
			if (done)
				return code;
			continue;
		}
		usage_resize(stderr);
		return EXIT_USAGE;
	}
	if (optind + 2 > argc)
		return cli_usage_err("Expecting image file name and size");
	file = argv[optind];
	arg = argv[optind + 1];
	if (img_parse_size(arg + (*arg == '+' || *arg == '-'), &v))
		return cli_usage_err("Invalid size specified: '%s'", arg);
	err = qcow2_open(file, 0, &q);
	if (err)
		return img_fail("cannot open", file, err);
	cur = qcow2_size(q);
	if (*arg == '+')
		size = cur + v;
	else if (*arg == '-')
		size = v > cur ? 0 : cur - v;
	else
		size = v;
	if (*arg == '-' && v > cur) {
		qcow2_close(q);
		return cli_fail(EXIT_FAIL, "resize", file, "New image size must be positive");
	}
	err = qcow2_resize(q, size, pre, flags);
	code = qcow2_close(q);
	if (err)
		return img_fail("resize", file, err);
	if (code)
		return img_fail("resize", file, code);
	if (!quiet)
		printf("Image resized.\n");
	return EXIT_OK;
}

/* ---- the group ------------------------------------------------------------------- */

static const struct cmd img_cmds[] = {
	{ "create", img_create, "[-q] -f qcow2 [-b BASE -F FMT [-u]] [-o OPTIONS] FILE [SIZE]", "create an image" },
	{ "info", img_info, "[--backing-chain] [--output=human|json] FILE", "image information" },
	{ "check", img_check, "[-r leaks|all] [--output=human|json] FILE", "check (and repair) an image" },
	{ "map", img_map, "[--output=human|json] FILE", "allocation map" },
	{ "convert", img_convert, "[-f FMT] -O raw|qcow2 [-p] [-o OPTIONS] IN OUT", "convert an image" },
	{ "resize", img_resize, "[--shrink] FILE [+|-]SIZE", "change the virtual size" },
	{ "compare", img_compare, "[-q] A B", "compare two images' contents" },
	{ "snapshot", img_snapshot, "[-q] [-U] { -l | -c NAME | -a NAME | -d NAME } FILE",
	  "list, create, apply or delete internal snapshots" },
	{ "bench", img_bench, "[-c N] [-d N] [-s SIZE] [-t none|writeback] [-w] [--random] FILE",
	  "I/O benchmark (qemu-img bench syntax)" },
	{ "commit", img_commit, "[-q] [-d] [-b BASE] FILE", "merge an image into its backing image" },
	{ "rebase", img_rebase, "[-q] [-u] -b BACKING [-F FMT] FILE", "change the backing file" },
	{ NULL, NULL, NULL, NULL },
};

static void usage_img(FILE *out)
{
	const struct cmd *c;

	fprintf(out, "Usage: blkprio img COMMAND [ARGS]\n\nqcow2 images, with qemu-img's syntax.\n\nCommands:\n");
	for (c = img_cmds; c->name; c++)
		fprintf(out, "  %-8s %s\n           %s\n", c->name, c->args, c->summary);
}

int do_img(int argc, char **argv)
{
	int c;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage_img(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	c = img_secret_args(&argc, argv);	/* --object, --image-opts */
	if (c)
		return c;
	return cmd_select(img_cmds, argc - 1, argv + 1, usage_img);
}

