// SPDX-License-Identifier: GPL-2.0
/*
 * blkprio img snapshot: internal snapshots with qemu-img's syntax, messages
 * and exit codes. As in qemu-img 7.2, -a takes an id or a name (id first),
 * -d a name only, -c accepts a name that is already taken (ids are unique).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "img.h"

#define SNAP_NAME_MAX	255	/* qemu-img keeps at most this much of a name */

static void usage_snapshot(FILE *out)
{
	fprintf(out, "Usage: blkprio img snapshot [-q] [-U] { -l | -c NAME | -a NAME | -d NAME } FILE\n"
		"  -l list, -c create, -a apply (revert to), -d delete a snapshot\n"
		"  -U (with -l) open without taking locks\n");
}

static void list_json(const struct qcow2_snapshot_info *s, unsigned int n)
{
	struct json_object *a = json_object_new_array();
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "id", json_object_new_string(s[i].id));
		json_object_object_add(o, "name", json_object_new_string(s[i].name));
		json_object_object_add(o, "vm-state-size", json_object_new_int64((int64_t)s[i].vm_state_size));
		json_object_object_add(o, "date-sec", json_object_new_int64(s[i].date_sec));
		json_object_object_add(o, "date-nsec", json_object_new_int64(s[i].date_nsec));
		json_object_object_add(o, "vm-clock-sec",
				       json_object_new_int64((int64_t)(s[i].vm_clock_nsec / 1000000000)));
		json_object_object_add(o, "vm-clock-nsec",
				       json_object_new_int64((int64_t)(s[i].vm_clock_nsec % 1000000000)));
		if (s[i].icount != -1)
			json_object_object_add(o, "icount", json_object_new_int64(s[i].icount));
		json_object_array_add(a, o);
	}
	cli_print_json(a);
}

static int list_snapshots(struct qcow2 *q, const char *file)
{
	struct qcow2_snapshot_info *s;
	unsigned int n;
	int err;

	err = qcow2_snapshot_list(q, &s, &n);
	if (err)
		return img_fail("Could not list snapshots", file, err);
	if (cli.json)
		list_json(s, n);
	else
		img_print_snapshots(s, n);
	free(s);
	return EXIT_OK;
}

/* The id of the first snapshot called name (qemu-img deletes by name only). */
static int find_by_name(struct qcow2 *q, const char *name, char *id, size_t len)
{
	struct qcow2_snapshot_info *s;
	unsigned int n, i;
	int err;

	err = qcow2_snapshot_list(q, &s, &n);
	if (err)
		return err;
	err = -ENOENT;
	for (i = 0; i < n; i++) {
		if (!strcmp(s[i].name, name)) {
			snprintf(id, len, "%s", s[i].id);
			err = 0;
			break;
		}
	}
	free(s);
	return err;
}

static const char *reason(int err)
{
	const char *why = qcow2_last_error();

	return why ? why : strerror(-err);
}

static int run(struct qcow2 *q, int action, const char *arg, const char *file)
{
	char name[SNAP_NAME_MAX + 1], id[128];
	int err;

	switch (action) {
	case 'c':
		snprintf(name, sizeof(name), "%s", arg);
		err = qcow2_snapshot_create(q, name);
		if (err && qcow2_last_error())
			return cli_fail(EXIT_FAIL, "Could not create snapshot", arg, "%s",
					qcow2_last_error());
		if (err)
			return cli_fail(EXIT_FAIL, "Could not create snapshot", arg, "%d (%s)",
					err, strerror(-err));
		return EXIT_OK;
	case 'a':
		err = qcow2_snapshot_apply(q, arg);
		if (err == -ENOENT)
			return cli_fail(EXIT_FAIL, "Could not apply snapshot", arg,
					"Failed to load snapshot: %s", strerror(ENOENT));
		if (err)
			return cli_fail(EXIT_FAIL, "Could not apply snapshot", arg,
					"Failed to load snapshot: %s", reason(err));
		return EXIT_OK;
	case 'd':
		err = find_by_name(q, arg, id, sizeof(id));
		if (err == -ENOENT)
			return cli_fail(EXIT_FAIL, "Could not delete snapshot", arg,
					"snapshot not found");
		if (!err)
			err = qcow2_snapshot_delete(q, id);
		if (err)
			return cli_fail(EXIT_FAIL, "Could not delete snapshot", arg, "%s", reason(err));
		return EXIT_OK;
	}
	return list_snapshots(q, file);
}

int img_snapshot(int argc, char **argv)
{
	static const struct option opts[] = { IMG_COMMON_OPTS, { NULL, 0, NULL, 0 } };
	const char *arg = NULL, *file;
	bool done, share = false;
	struct qcow2 *q;
	int c, code, err, action = 0;

	while ((c = getopt_long(argc, argv, CLI_COMMON_SHORT "lc:a:d:qU", opts, NULL)) != -1) {
		switch (c) {
		case 'l': case 'c': case 'a': case 'd':
			if (action)
				return cli_usage_err("Cannot mix '-l', '-a', '-c', '-d'");
			action = c;
			arg = optarg;
			continue;
		case 'q':
			continue;	/* nothing is printed but the list anyway */
		case 'U':
			share = true;
			continue;
		}
		if (cli_common_opt(c, optarg, &done, &code, usage_snapshot)) {
			if (done)
				return code;
			continue;
		}
		usage_snapshot(stderr);
		return EXIT_USAGE;
	}
	if (optind + 1 != argc)
		return cli_usage_err("Expecting one image file name");
	file = argv[optind];
	if (share && action != 'l' && action)
		return cli_fail(EXIT_FAIL, "Could not open", file,
				"force-share=on can only be used with read-only images");
	err = qcow2_probe(file);
	if (err < 0)
		return cli_fail(EXIT_FAIL, "Could not open", file, "%s", strerror(-err));
	if (!err) {
		/* raw and other formats have no internal snapshots */
		if (action == 'l' || !action)
			return EXIT_OK;
		return cli_fail(EXIT_FAIL, action == 'c' ? "Could not create snapshot" :
				action == 'a' ? "Could not apply snapshot" : "Could not delete snapshot",
				arg, "%d (%s)", -ENOTSUP, strerror(ENOTSUP));
	}
	if (!action)
		return EXIT_OK;		/* qemu-img: no action, nothing done */
	err = qcow2_open(file, action == 'l' ? QCOW2_O_RDONLY | (share ? QCOW2_O_NOLOCK : 0) : 0, &q);
	if (err)
		return img_fail("Could not open", file, err);
	code = run(q, action, arg, file);
	err = qcow2_close(q);
	if (err && code == EXIT_OK)
		return img_fail("Could not close", file, err);
	return code;
}
