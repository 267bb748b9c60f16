// SPDX-License-Identifier: GPL-2.0
/* blkprio img check and map, with qemu-img's output and exit codes. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "img.h"

/* ---- check ----------------------------------------------------------------------- */

static void usage_check(FILE *out)
{
	fprintf(out, "Usage: blkprio img check [-q] [-f qcow2] [-r leaks|all] [--output=human|json] FILE\n"
		"Exit codes: 0 no errors, 1 check failed, 2 corruptions, 3 leaks only.\n");
}

static void check_diag(void *ctx, const char *msg)
{
	if (!*(bool *)ctx)
		fprintf(stderr, "%s\n", msg);
}

int img_check(int argc, char **argv)
{
	static const struct option opts[] = {
		IMG_COMMON_OPTS, { "repair", required_argument, NULL, 'r' }, { NULL, 0, NULL, 0 },
	};
	const char *output = NULL, *file = NULL;
	struct qcow2_check_result r1, r;
	unsigned int fix = 0, flags;
	struct qcow2 *q;
	bool done, json, quiet = false;
	int c, code, err;

	while ((c = getopt_long(argc, argv, CLI_COMMON_SHORT "f:r:qU", opts, NULL)) != -1) {
		if (c == OPT_OUTPUT) { output = optarg; continue; }
		if (c == 'f') {
			if (strcmp(optarg, "qcow2"))
				return cli_fail(63, "check", optarg, "This image format does not support checks");
			continue;
		}
		if (c == 'q') { quiet = true; continue; }
		if (c == 'U') continue;
		if (c == 'r') {
			if (!strcmp(optarg, "leaks"))
				fix = QCOW2_FIX_LEAKS;
			else if (!strcmp(optarg, "all"))
				fix = QCOW2_FIX_LEAKS | QCOW2_FIX_ERRORS;
			else
				return cli_usage_err("Unknown option value for -r (expecting 'leaks' or 'all'): %s", optarg);
			continue;
		}
		if (cli_common_opt(c, optarg, &done, &code, usage_check)) {
			if (done)
				return code;
			continue;
		}
		usage_check(stderr);
		return EXIT_USAGE;
	}
	err = img_one_file(argc, argv, output, &json, &file);
	if (err)
		return err;
	err = qcow2_probe(file);
	if (err == 0)
		return cli_fail(63, "check", file, "This image format does not support checks");
	flags = QCOW2_O_CHECK | (fix ? 0 : QCOW2_O_RDONLY);
	err = err < 0 ? err : qcow2_open(file, flags, &q);
	if (err)
		return img_fail("cannot open", file, err);
	err = qcow2_check(q, fix, &r1, check_diag, &json);
	r = r1;
	if (!err && (r1.leaks_fixed || r1.corruptions_fixed)) {
		/* Double check the repaired image, as qemu-img does. */
		if (!json && !quiet)
			printf("The following inconsistencies were found and repaired:\n\n"
			       "    %" PRIu64 " leaked clusters\n    %" PRIu64 " corruptions\n\n"
			       "Double checking the fixed image now...\n",
			       r1.leaks_fixed, r1.corruptions_fixed);
		err = qcow2_check(q, 0, &r, check_diag, &json);
		r.leaks_fixed = r1.leaks_fixed;
		r.corruptions_fixed = r1.corruptions_fixed;
	}
	code = qcow2_close(q);
	if (err)
		return img_fail("check", file, err);
	if (code)
		return img_fail("check", file, code);
	if (json) {
		/* in qemu-img's order (the hash buckets of its QDict) */
		printf("{\n    \"image-end-offset\": %" PRIu64 ",\n", r.image_end_offset);
		if (r.compressed_clusters)
			printf("    \"compressed-clusters\": %" PRIu64 ",\n", r.compressed_clusters);
		printf("    \"total-clusters\": %" PRIu64 ",\n", r.total_clusters);
		if (r.corruptions)
			printf("    \"corruptions\": %" PRIu64 ",\n", r.corruptions);
		if (r.corruptions_fixed)
			printf("    \"corruptions-fixed\": %" PRIu64 ",\n", r.corruptions_fixed);
		printf("    \"check-errors\": %" PRIu64 ",\n", r.check_errors);
		if (r.leaks)
			printf("    \"leaks\": %" PRIu64 ",\n", r.leaks);
		if (r.leaks_fixed)
			printf("    \"leaks-fixed\": %" PRIu64 ",\n", r.leaks_fixed);
		if (r.allocated_clusters)
			printf("    \"allocated-clusters\": %" PRIu64 ",\n", r.allocated_clusters);
		printf("    \"filename\": ");
		img_json_str(file);
		printf(",\n    \"format\": \"qcow2\"");
		if (r.fragmented_clusters)
			printf(",\n    \"fragmented-clusters\": %" PRIu64, r.fragmented_clusters);
		printf("\n}\n");
	} else if (!quiet) {
		if (!r.corruptions && !r.leaks && !r.check_errors)
			printf("No errors were found on the image.\n");
		if (r.corruptions)
			printf("\n%" PRIu64 " errors were found on the image.\n"
			       "Data may be corrupted, or further writes to the image may corrupt it.\n",
			       r.corruptions);
		if (r.leaks)
			printf("\n%" PRIu64 " leaked clusters were found on the image.\n"
			       "This means waste of disk space, but no harm to data.\n", r.leaks);
		if (r.check_errors)
			printf("\n%" PRIu64 " internal errors have occurred during the check.\n",
			       r.check_errors);
		if (r.total_clusters && r.allocated_clusters)
			printf("%" PRIu64 "/%" PRIu64 " = %0.2f%% allocated, %0.2f%% fragmented, %0.2f%% compressed clusters\n",
			       r.allocated_clusters, r.total_clusters,
			       r.allocated_clusters * 100.0 / r.total_clusters,
			       r.fragmented_clusters * 100.0 / r.allocated_clusters,
			       r.compressed_clusters * 100.0 / r.allocated_clusters);
		if (r.image_end_offset)
			printf("Image end offset: %" PRIu64 "\n", r.image_end_offset);
	}
	if (r.check_errors)
		return 1;
	if (r.corruptions)
		return 2;
	if (r.leaks)
		return 3;
	return 0;
}

/* ---- map ------------------------------------------------------------------------- */

struct map_ent {
	uint64_t start, length, offset;
	bool present, zero, data, has_offset;
	int depth;			/* in the backing chain */
	const char *file;		/* the image at that depth */
};

static void map_print(const struct map_ent *m, bool json, bool first, const char *file)
{
	if (json) {
		printf("%s{ \"start\": %" PRIu64 ", \"length\": %" PRIu64 ", \"depth\": %d, \"present\": %s, \"zero\": %s, \"data\": %s",
		       first ? "[" : ",\n", m->start, m->length, m->depth, m->present ? "true" : "false",
		       m->zero ? "true" : "false", m->data ? "true" : "false");
		if (m->has_offset)
			printf(", \"offset\": %" PRIu64, m->offset);
		printf("}");
	} else if (m->data && !m->zero && m->has_offset) {
		printf("%#-16" PRIx64 "%#-16" PRIx64 "%#-16" PRIx64 "%s\n", m->start, m->length,
		       m->offset, m->file ? m->file : file);
	}
}

static bool map_merge(struct map_ent *a, const struct map_ent *b)
{
	if (a->present != b->present || a->zero != b->zero || a->data != b->data ||
	    a->has_offset != b->has_offset || a->depth != b->depth || a->file != b->file)
		return false;
	if (a->has_offset && a->offset + a->length != b->offset)
		return false;
	a->length += b->length;
	return true;
}

static void usage_map(FILE *out)
{
	fprintf(out, "Usage: blkprio img map [-f qcow2] [--output=human|json] FILE\n");
}

int img_map(int argc, char **argv)
{
	static const struct option opts[] = { IMG_COMMON_OPTS, { NULL, 0, NULL, 0 } };
	const char *output = NULL, *file = NULL;
	struct map_ent cur = { 0 }, m;
	struct qcow2_extent e;
	uint64_t off = 0, size;
	bool done, json, have = false, first = true, recurse = false;
	struct qcow2 *q;
	int c, code, err, fd;

	while ((c = getopt_long(argc, argv, CLI_COMMON_SHORT "f:U", opts, NULL)) != -1) {
		if (c == OPT_OUTPUT) { output = optarg; continue; }
		if (c == 'f' || c == 'U') continue;
		if (cli_common_opt(c, optarg, &done, &code, usage_map)) {
			if (done)
				return code;
			continue;
		}
		usage_map(stderr);
		return EXIT_USAGE;
	}
	err = img_one_file(argc, argv, output, &json, &file);
	if (err)
		return err;
	err = qcow2_open(file, QCOW2_O_RDONLY, &q);
	if (err)
		return img_fail("cannot open", file, err);
	fd = qcow2_fd(q);
	size = qcow2_size(q);
	{
		/*
		 * Like qemu: only when far fewer clusters are allocated on the
		 * host than the image uses (metadata preallocation) do holes in
		 * the file make data clusters read as zeros.
		 */
		struct stat st;
		uint64_t cs = qcow2_cluster_size(q), real, used;

		if (!fstat(fd, &st)) {
			real = (uint64_t)st.st_blocks * 512 / cs;
			used = (uint64_t)st.st_size / cs;
			recurse = used >= 2 * real + 2;
		}
	}
	if (!json)
		printf("%-16s%-16s%-16s%s\n", "Offset", "Length", "Mapped to", "File");
	while (off < size) {
		err = qcow2_block_status(q, off, size - off, &e);
		if (err)
			break;
		memset(&m, 0, sizeof(m));
		m.start = off;
		m.length = e.length;
		m.present = e.type != QCOW2_EXT_UNALLOCATED;
		m.zero = e.type == QCOW2_EXT_ZERO || e.type == QCOW2_EXT_UNALLOCATED;
		m.data = e.type == QCOW2_EXT_DATA || e.type == QCOW2_EXT_COMPRESSED;
		/* qemu hides where encrypted data lies */
		m.has_offset = (e.host_offset || e.raw) && e.type != QCOW2_EXT_COMPRESSED &&
			       !qcow2_encryption(q);
		m.offset = e.host_offset;
		m.depth = e.depth;
		m.file = e.depth ? e.filename : NULL;
		if (e.type == QCOW2_EXT_DATA && recurse && !e.depth) {
			/* Holes in the host file read as zeros, as qemu reports. */
			off_t d = lseek(fd, (off_t)e.host_offset, SEEK_DATA);

			if (d < 0 || (uint64_t)d > e.host_offset) {
				uint64_t hole = d < 0 ? e.length : (uint64_t)d - e.host_offset;

				m.zero = true;
				if (hole < m.length)
					m.length = hole;
			} else {
				off_t h = lseek(fd, (off_t)e.host_offset, SEEK_HOLE);

				if (h > d && (uint64_t)(h - d) < m.length)
					m.length = (uint64_t)(h - d);
			}
		}
		if (have && map_merge(&cur, &m)) {
			off += m.length;
			continue;
		}
		if (have) {
			map_print(&cur, json, first, file);
			first = false;
		}
		if (!json && m.data && !m.has_offset) {
			/* as qemu-img: the human format cannot say where it is */
			qcow2_close(q);
			return cli_fail(EXIT_FAIL, "map", file,
					"File contains external, encrypted or compressed clusters.");
		}
		cur = m;
		have = true;
		off += m.length;
	}
	if (!err && have)
		map_print(&cur, json, first, file);
	if (json && !err)
		printf("%s]\n", have ? "" : "[");
	qcow2_close(q);
	if (err)
		return img_fail("map", file, err);
	return EXIT_OK;
}

