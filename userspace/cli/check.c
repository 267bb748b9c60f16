// SPDX-License-Identifier: GPL-2.0
/*
 * blkprio check [--fix DEV]... [DEV...]
 *
 * Will IOPRIO take effect? Per block device: the scheduler, the cgroup
 * controller, the lever blkpriod uses there (bfq, iocost, caps or none),
 * whether the promise can be kept, and what would do better. --fix DEV sets
 * BFQ on DEV, and says so. Exit 0 when every device shown has a lever that
 * keeps the promise, 1 otherwise.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libsmartcols/libsmartcols.h>

#include <blkprio/cgroup.h>
#include <blkprio/table.h>

#include "cli.h"

enum { OPT_FIX = OPT_FIRST_PRIVATE };
enum {
	C_DEVICE, C_MAJMIN, C_SCHED, C_BFQ, C_LOWLAT, C_CONTROLLER, C_IOCOST,
	C_WEIGHTS, C_LEVER, C_SHARE, C_PROMISE, C_ADVICE,
};

static const struct colinfo check_cols[] = {
	[C_DEVICE] = { "DEVICE", 8, 0, COL_STR, "block device" },
	[C_MAJMIN] = { "MAJ:MIN", 7, 0, COL_STR, "device number" },
	[C_SCHED] = { "SCHEDULER", 9, 0, COL_STR, "active I/O scheduler (- = none)" },
	[C_BFQ] = { "BFQ", 3, 0, COL_BOOL, "whether bfq can be selected" },
	[C_LOWLAT] = { "LOW_LATENCY", 3, 0, COL_STR,
		       "BFQ low_latency (on raises interactive queues' weights)" },
	[C_CONTROLLER] = { "CONTROLLER", 10, 0, COL_STR, "cgroup controller in use" },
	[C_IOCOST] = { "IOCOST", 3, 0, COL_BOOL, "io.cost enabled for it (cgroup v2)" },
	[C_WEIGHTS] = { "WEIGHTS", 3, 0, COL_BOOL, "whether the kernel's weights act on it" },
	[C_LEVER] = { "LEVER", 6, 0, COL_STR,
		      "how IOPRIO takes effect: bfq, iocost, caps (share control) or none" },
	[C_SHARE] = { "SHARE", 3, 0, COL_BOOL, "whether blkpriod's share control runs on it" },
	[C_PROMISE] = { "PROMISE", 3, 0, COL_BOOL,
			"whether the shares the weights promise can be kept" },
	[C_ADVICE] = { "ADVICE", 0.4, SCOLS_FL_WRAP, COL_STR, "how, or why not; what would do better" },
};
#define NCOLS (sizeof(check_cols) / sizeof(check_cols[0]))

static void check_usage(FILE *out)
{
	fprintf(out,
		"Usage: blkprio check [--fix DEV]... [-o COLUMNS] [-n] [-r] [DEV...]\n\n"
		"How IOPRIO takes effect on each block device (all, or those named): the lever\n"
		"blkpriod uses there, best first: bfq (BFQ weights), iocost (io.cost weights,\n"
		"cgroup v2), caps (share control: throttle caps kept at the promised shares by\n"
		"blkpriod, where the kernel has no weights), or none (with the reason).\n\n"
		"  --fix DEV             set the BFQ scheduler on DEV (repeatable)\n"
		"  -o, --output COLUMNS  columns (-o help lists them)\n"
		"  -n, --noheadings      no header line\n"
		"  -r, --raw             raw output\n\n"
		"Exit status: 0 when every device shown has a lever that keeps the promise,\n"
		"1 otherwise.\n");
}

/* "no" is false and "yes" true for libsmartcols' JSON booleans too. */
static const char *yesno(bool b)
{
	return b ? "yes" : "no";
}

static void check_row(struct table *t, const struct cg_layout *l,
		      const struct cg_devcheck *c, const struct cg_lever_choice *ch)
{
	char ctl[32];
	bool json = cli.json;

	snprintf(ctl, sizeof(ctl), "%s %s", cg_controller_name(l), cg_version_name(l->ver));
	table_row(t);
	table_set(t, C_DEVICE, c->name);
	table_setf(t, C_MAJMIN, "%u:%u", c->major, c->minor);
	table_set(t, C_SCHED, c->sched[0] ? c->sched : json ? NULL : "-");
	table_set(t, C_BFQ, yesno(c->bfq_avail));
	table_set(t, C_LOWLAT, c->low_latency < 0 ? (json ? NULL : "-") :
		  c->low_latency ? "on" : "off");
	table_set(t, C_CONTROLLER, l->ver == CG_NONE ? (json ? NULL : "-") : ctl);
	table_set(t, C_IOCOST, yesno(c->iocost));
	table_set(t, C_WEIGHTS, yesno(c->weights_work));
	table_set(t, C_LEVER, cg_lever_name(ch->lever));
	table_set(t, C_SHARE, yesno(ch->share));
	table_set(t, C_PROMISE, yesno(ch->kept));
	table_setf(t, C_ADVICE, "%s%s%s", ch->why, ch->fix[0] ? "; " : "", ch->fix);
}

static int fix_one(const char *dev)
{
	struct cg_devcheck before;
	struct cg_layout none = { 0 };
	FILE *out = cli.json ? stderr : stdout;
	int err;

	err = cg_dev_check(&none, dev, &before);
	if (!err)
		err = cg_dev_set_bfq(dev);
	if (err == -ENOTSUP)
		return cli_fail(EXIT_FAIL, "set bfq on", dev,
				"this kernel has no bfq scheduler (CONFIG_IOSCHED_BFQ), "
				"built in or as a module");
	if (err)
		return cli_fail(EXIT_FAIL, "set bfq on", dev, "%s", strerror(-err));
	if (!strcmp(before.sched, "bfq"))
		fprintf(out, "%s: scheduler is already bfq\n", dev);
	else
		fprintf(out, "%s: scheduler set to bfq (was %s)\n", dev,
			before.sched[0] ? before.sched : "none");
	return EXIT_OK;
}

struct check_args {
	const char *columns;
	unsigned int flags;
	const char *fix[CG_DEVICES_MAX];
	size_t nfix;
};

static int check_parse(struct check_args *a, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "fix", required_argument, NULL, OPT_FIX },
		{ "output", required_argument, NULL, 'o' },
		{ "noheadings", no_argument, NULL, 'n' },
		{ "raw", no_argument, NULL, 'r' },
		CLI_COMMON_OPTS,
		{ NULL, 0, NULL, 0 },
	};
	bool done;
	int c, code;

	while ((c = getopt_long(argc, argv, "o:nr" CLI_COMMON_SHORT, opts, NULL)) != -1) {
		if (cli_common_opt(c, optarg, &done, &code, check_usage)) {
			if (done)
				return code;
		} else if (c == OPT_FIX) {
			if (a->nfix == CG_DEVICES_MAX)
				return cli_usage_err("too many --fix devices");
			a->fix[a->nfix++] = optarg;
		} else if (c == 'o') {
			a->columns = optarg;
		} else if (c == 'n') {
			a->flags |= TABLE_NOHEAD;
		} else if (c == 'r') {
			a->flags |= TABLE_RAW;
		}
	}
	if (cli.json)
		a->flags |= TABLE_JSON;
	return -1;
}

/* Rows for the devices named, or all; *bad counts devices whose promise is not kept. */
static int check_rows(struct table *t, const struct cg_ctx *cx, char **names,
		      size_t n, int *bad)
{
	struct cg_lever_choice ch;
	struct cg_devcheck c;
	int err, code = EXIT_OK;
	size_t i;

	for (i = 0; i < n; i++) {
		err = cg_dev_check(&cx->layout, names[i], &c);
		if (err) {
			code = cli_fail(EXIT_FAIL, "check device", names[i], "%s",
					err == -ENODEV || err == -EINVAL ?
					"no such block device" : strerror(-err));
			continue;
		}
		cg_dev_lever(&c, cx->cfg, c.btf, &ch);
		check_row(t, &cx->layout, &c, &ch);
		if (!ch.kept)
			(*bad)++;
	}
	return code;
}

int do_check(int argc, char **argv)
{
	static const int defaults[] = { C_DEVICE, C_SCHED, C_CONTROLLER, C_LEVER, C_PROMISE,
					C_ADVICE };
	struct check_args a = { 0 };
	int sel[TABLE_MAX_COLS], nsel, code, err, bad = 0;
	struct cg_config cfg;
	struct cg_ctx cx;
	struct table *t;
	char **names = NULL;
	size_t n = 0, i;
	const char *badcol;

	code = check_parse(&a, argc, argv);
	if (code >= 0)
		return code;
	if (a.columns && !strcmp(a.columns, "help")) {
		table_help(check_cols, NCOLS, stdout);
		return EXIT_OK;
	}
	nsel = sizeof(defaults) / sizeof(defaults[0]);
	memcpy(sel, defaults, sizeof(defaults));
	if (a.columns) {
		nsel = table_parse_columns(check_cols, NCOLS, a.columns, defaults,
					   sizeof(defaults) / sizeof(defaults[0]), sel,
					   TABLE_MAX_COLS, &badcol);
		if (nsel < 0)
			return cli_usage_err("unknown column in '%s' (-o help lists them)",
					     badcol);
	}
	for (i = 0; i < a.nfix; i++) {
		code = fix_one(a.fix[i]);
		if (code)
			return code;
	}
	code = cli_cgroup_open(&cfg, &cx);
	if (code)
		return code;
	if (optind < argc) {
		names = argv + optind;
		n = (size_t)(argc - optind);
	} else if (a.nfix) {
		names = (char **)a.fix;
		n = a.nfix;
	} else {
		err = cg_dev_names(&names, &n);
		if (err) {
			cg_config_free(&cfg);
			return cli_fail(EXIT_FAIL, "list", "/sys/block", "%s", strerror(-err));
		}
	}
	t = table_new("devices", check_cols, sel, (size_t)nsel, a.flags);
	if (!t) {
		code = cli_fail(EXIT_FAIL, "check", NULL, "%s", strerror(ENOMEM));
		goto out;
	}
	code = check_rows(t, &cx, names, n, &bad);
	table_print(t, stdout);
	table_free(t);
	if (bad && !code)
		code = EXIT_FAIL;
out:
	if (optind >= argc && !a.nfix)
		cg_dev_names_free(names, n);
	cg_config_free(&cfg);
	return code;
}
