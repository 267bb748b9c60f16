// SPDX-License-Identifier: GPL-2.0
/* blkprio list | show CTID: containers and their effective settings. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include <libsmartcols/libsmartcols.h>

#include <blkprio/cgroup.h>
#include <blkprio/table.h>

#include "cli.h"

enum {
	COL_CTID, COL_IOPRIO, COL_SOURCE, COL_IOLIMIT, COL_IOPSLIMIT, COL_CONFIG,
	COL_WEIGHT, COL_WANT, COL_LEVER, COL_STATE,
};

static const struct colinfo list_cols[] = {
	[COL_CTID] = { "CTID", 6, SCOLS_FL_RIGHT, COL_STR, "container ID" },
	[COL_IOPRIO] = { "IOPRIO", 6, SCOLS_FL_RIGHT, COL_NUM,
			 "I/O priority 0..7 in effect (4 when not set)" },
	[COL_SOURCE] = { "SOURCE", 7, 0, COL_STR,
			 "where IOPRIO comes from: config, runtime, default, invalid" },
	[COL_IOLIMIT] = { "IOLIMIT", 7, SCOLS_FL_RIGHT, COL_NUM,
			  "bandwidth limit, bytes/s (JSON) or human (- = none)" },
	[COL_IOPSLIMIT] = { "IOPSLIMIT", 9, SCOLS_FL_RIGHT, COL_NUM,
			    "IOPS limit (- = none)" },
	[COL_CONFIG] = { "CONFIG", 0.3, SCOLS_FL_TRUNC, COL_STR, "config file" },
	[COL_WEIGHT] = { "WEIGHT", 6, SCOLS_FL_RIGHT, COL_NUM,
			 "weight in the kernel (- = no cgroup: not running)" },
	[COL_WANT] = { "WANT", 4, SCOLS_FL_RIGHT, COL_NUM,
		       "weight the settings give (daemon config WEIGHT_MAP)" },
	[COL_LEVER] = { "LEVER", 6, 0, COL_STR,
			"how its IOPRIO acts: bfq, iocost, caps, none (- = not running)" },
	[COL_STATE] = { "STATE", 7, 0, COL_STR,
			"ok, drift (kernel weight differs), caps (no weight file), no-lever, "
			"stopped, error" },
};
#define NCOLS (sizeof(list_cols) / sizeof(list_cols[0]))

static void list_usage(FILE *out)
{
	fprintf(out,
		"Usage: blkprio list [-o COLUMNS] [-n] [-r] [--json]\n\n"
		"One row per container with a config file (or a runtime override).\n\n"
		"  -o, --output COLUMNS  columns to show (\"+COL\" adds to the default);\n"
		"                        -o help lists them\n"
		"  -n, --noheadings      no header line\n"
		"  -r, --raw             raw output (no alignment)\n");
}

struct ct_names {
	char **v;
	size_t n, cap;
};

static int names_add(struct ct_names *l, const char *name)
{
	char **nv;

	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		nv = realloc(l->v, l->cap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		l->v = nv;
	}
	l->v[l->n] = strdup(name);
	return l->v[l->n++] ? 0 : -ENOMEM;
}

static void names_free(struct ct_names *l)
{
	while (l->n)
		free(l->v[--l->n]);
	free(l->v);
}

static int cmp_names(const void *a, const void *b)
{
	return ctid_cmp(*(char *const *)a, *(char *const *)b);
}

/* CTIDs with a *.conf in dir. */
static int scan_dir(const char *dir, struct ct_names *l)
{
	char ctid[CTID_MAX_LEN + 1];
	struct dirent *de;
	DIR *d;
	int err = 0;

	d = opendir(dir);
	if (!d)
		return -errno;
	while (!err && (de = readdir(d)))
		if (ctid_from_filename(de->d_name, ctid, sizeof(ctid)))
			err = names_add(l, ctid);
	closedir(d);
	return err;
}

static void sort_unique(struct ct_names *l)
{
	size_t i, j;

	if (!l->n)
		return;
	qsort(l->v, l->n, sizeof(*l->v), cmp_names);
	for (i = j = 0; i < l->n; i++) {
		if (j && !strcmp(l->v[j - 1], l->v[i])) {
			free(l->v[i]);
			continue;
		}
		l->v[j++] = l->v[i];
	}
	l->n = j;
}

static bool names_has(const struct ct_names *l, const char *ctid)
{
	return l->n && bsearch(&ctid, l->v, l->n, sizeof(*l->v), cmp_names);
}

/*
 * Every container: config files, plus runtime overrides without one. The
 * overrides are listed apart so that rows need not look for missing ones.
 */
static int collect(const struct ct_dirs *d, struct ct_names *all, struct ct_names *run)
{
	size_t i;
	int err;

	err = scan_dir(d->conf_dir, all);
	if (err)
		return err;
	err = scan_dir(d->run_dir, run);
	if (err && err != -ENOENT)
		return err;
	sort_unique(run);
	for (i = 0; i < run->n; i++) {
		err = names_add(all, run->v[i]);
		if (err)
			return err;
	}
	sort_unique(all);
	return 0;
}

static void set_limit(struct table *t, int col, enum ct_key k, int64_t v)
{
	char buf[32];

	if (cli.json) {
		table_setf(t, col, "%lld", (long long)v);
		return;
	}
	if (!v) {
		table_set(t, col, "-");
		return;
	}
	ct_display_value(k, v, buf, sizeof(buf));
	table_set(t, col, buf);
}

/* The levers the host's devices have (bit 1 << cg_lever), found once. */
static unsigned int host_levers(const struct cg_ctx *cx)
{
	static unsigned int set;
	static bool done;
	struct cg_lever_choice ch;
	struct cg_devcheck c;
	char **names;
	size_t n, i;

	if (done)
		return set;
	done = true;
	if (cg_dev_names(&names, &n))
		return set;
	for (i = 0; i < n; i++)
		if (!cg_dev_check(&cx->layout, names[i], &c)) {
			cg_dev_lever(&c, cx->cfg, c.btf, &ch);
			set |= 1u << ch.lever;
		}
	cg_dev_names_free(names, n);
	return set;
}

/*
 * A running container's levers: a device's weights where its cgroup has
 * that weight file, and caps wherever share control runs.
 */
static unsigned int ct_levers(const struct cg_ctx *cx, const struct cg_weights *have)
{
	unsigned int host = host_levers(cx), set = 0;

	if (host & (1u << CG_LEVER_BFQ) && have->bfq >= 0)
		set |= 1u << CG_LEVER_BFQ;
	if (host & (1u << CG_LEVER_IOCOST) && have->io >= 0)
		set |= 1u << CG_LEVER_IOCOST;
	set |= host & (1u << CG_LEVER_CAPS);
	return set ? set : 1u << CG_LEVER_NONE;
}

/* What the kernel holds for the container, against its settings. */
static void set_kernel(struct table *t, const struct cg_ctx *cx, const char *ctid,
		       const struct ct_settings *s)
{
	static const char *const state[] = {
		[CLI_KW_OK] = "ok", [CLI_KW_DRIFT] = "drift",
		[CLI_KW_STOPPED] = "stopped", [CLI_KW_NOWEIGHT] = "no-lever",
	};
	struct cg_weights have;
	unsigned int levers = 0;
	char buf[48];
	bool caps = false;
	int weight, want, st;

	st = cli_ct_kernel_weight(cx, ctid, s, &weight, &want, &have);
	if (st >= 0 && st != CLI_KW_STOPPED)
		levers = ct_levers(cx, &have);
	if (levers || !cli.json)
		table_set(t, COL_LEVER, cg_levers_join(levers, buf, sizeof(buf)));
	/* no weight file, but share control's caps: the weight is what they keep */
	if (st == CLI_KW_NOWEIGHT && levers & (1u << CG_LEVER_CAPS)) {
		want = (int)prio_weight(&cx->cfg->map, PRIO_FILE_BFQ,
					(int)s->v[CT_IOPRIO].val);
		caps = true;
	}
	if (weight >= 0)
		table_setf(t, COL_WEIGHT, "%d", weight);
	else if (!cli.json)
		table_set(t, COL_WEIGHT, "-");
	if (want >= 0)
		table_setf(t, COL_WANT, "%d", want);
	else if (!cli.json)
		table_set(t, COL_WANT, "-");
	if (caps)
		table_set(t, COL_STATE, "caps");
	else if (st < 0)
		table_setf(t, COL_STATE, "error: %s", strerror(-st));
	else
		table_set(t, COL_STATE, state[st]);
}

static int list_row(struct table *t, const struct ct_dirs *dirs, const struct cg_ctx *cx,
		    const char *ctid, bool has_runtime)
{
	static const int none[] = { COL_IOPRIO, COL_SOURCE, COL_IOLIMIT, COL_IOPSLIMIT,
				    COL_WEIGHT, COL_WANT, COL_LEVER };
	struct ct_dirs dd = *dirs, *d = &dd;
	const struct ct_value *prio;
	size_t i;
	struct ct_settings s;
	unsigned int exists;
	char path[4096];
	int err;

	if (!has_runtime)
		dd.run_dir = NULL;
	err = ct_load(d, ctid, &s, &exists, cli_conf_diag, NULL);
	if (err) {
		/* a row of its own: the listing stays one table, one document */
		if (table_row(t))
			return -ENOMEM;
		table_set(t, COL_CTID, ctid);
		table_setf(t, COL_STATE, "error: %s", strerror(-err));
		if (!ctid_conf_path(d->conf_dir, ctid, path, sizeof(path)))
			table_set(t, COL_CONFIG, path);
		for (i = 0; !cli.json && i < sizeof(none) / sizeof(none[0]); i++)
			table_set(t, none[i], "-");
		return err;
	}
	err = table_row(t);
	if (err)
		return err;
	prio = &s.v[CT_IOPRIO];
	table_set(t, COL_CTID, ctid);
	table_setf(t, COL_IOPRIO, "%lld", (long long)prio->val);
	table_set(t, COL_SOURCE, prio->bad ? "invalid" : ct_source_name(prio->src));
	set_limit(t, COL_IOLIMIT, CT_IOLIMIT, s.v[CT_IOLIMIT].val);
	set_limit(t, COL_IOPSLIMIT, CT_IOPSLIMIT, s.v[CT_IOPSLIMIT].val);
	if (exists & CT_HAS_CONFIG && !ctid_conf_path(d->conf_dir, ctid, path, sizeof(path)))
		table_set(t, COL_CONFIG, path);
	else if (!cli.json)
		table_set(t, COL_CONFIG, "-");
	set_kernel(t, cx, ctid, &s);
	return 0;
}

int do_list(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "noheadings", no_argument, NULL, 'n' },
		{ "raw", no_argument, NULL, 'r' },
		CLI_COMMON_OPTS,
		{ NULL, 0, NULL, 0 },
	};
	static const int defaults[] = { COL_CTID, COL_IOPRIO, COL_SOURCE, COL_IOLIMIT,
					COL_IOPSLIMIT, COL_WEIGHT, COL_LEVER, COL_STATE,
					COL_CONFIG };
	struct cg_config cfg;
	struct cg_ctx cx;
	struct ct_dirs d;
	struct ct_names names = { 0 }, run = { 0 };
	const char *columns = NULL, *bad;
	int sel[TABLE_MAX_COLS], nsel, c, code, err;
	unsigned int flags = 0;
	struct table *t;
	bool done;
	size_t i;

	while ((c = getopt_long(argc, argv, "o:nr" CLI_COMMON_SHORT, opts, NULL)) != -1) {
		if (cli_common_opt(c, optarg, &done, &code, list_usage)) {
			if (done)
				return code;
		} else if (c == 'o') {
			columns = optarg;
		} else if (c == 'n') {
			flags |= TABLE_NOHEAD;
		} else if (c == 'r') {
			flags |= TABLE_RAW;
		}
	}
	if (optind < argc)
		return cli_usage_err("unexpected argument '%s'", argv[optind]);
	if (columns && !strcmp(columns, "help")) {
		table_help(list_cols, NCOLS, stdout);
		return EXIT_OK;
	}
	nsel = sizeof(defaults) / sizeof(defaults[0]);
	memcpy(sel, defaults, sizeof(defaults));
	if (columns) {
		nsel = table_parse_columns(list_cols, NCOLS, columns, defaults,
					   sizeof(defaults) / sizeof(defaults[0]), sel,
					   TABLE_MAX_COLS, &bad);
		if (nsel < 0)
			return cli_usage_err("unknown column in '%s' (-o help lists them)", bad);
	}
	if (cli.json)
		flags |= TABLE_JSON;
	d = cli_dirs();
	err = collect(&d, &names, &run);
	if (err) {
		names_free(&names);
		names_free(&run);
		return cli_fail(EXIT_FAIL, "list", d.conf_dir, "%s", strerror(-err));
	}
	code = cli_cgroup_open(&cfg, &cx);	/* the daemon's map and cgroup paths */
	if (code) {
		names_free(&names);
		names_free(&run);
		return code;
	}
	t = table_new("containers", list_cols, sel, (size_t)nsel, flags);
	if (!t) {
		names_free(&names);
		names_free(&run);
		cg_config_free(&cfg);
		return cli_fail(EXIT_FAIL, "list", d.conf_dir, "%s", strerror(ENOMEM));
	}
	code = EXIT_OK;
	for (i = 0; i < names.n; i++) {
		err = list_row(t, &d, &cx, names.v[i], names_has(&run, names.v[i]));
		if (err == -ENOMEM) {
			table_free(t);
			names_free(&names);
			names_free(&run);
			cg_config_free(&cfg);
			return cli_fail(EXIT_FAIL, "list", d.conf_dir, "%s", strerror(ENOMEM));
		}
		if (err) {
			cli_warn("read config of CT", names.v[i], "%s", strerror(-err));
			code = EXIT_FAIL;
		}
	}
	if (names.n || cli.json)
		table_print(t, stdout);
	table_free(t);
	names_free(&names);
	names_free(&run);
	cg_config_free(&cfg);
	return code;
}

/* ---- show ------------------------------------------------------------ */

enum { SCOL_KEY, SCOL_VALUE, SCOL_SOURCE, SCOL_FILE };

static const struct colinfo show_cols[] = {
	[SCOL_KEY] = { "KEY", 10, 0, COL_STR, "setting" },
	[SCOL_VALUE] = { "VALUE", 10, SCOLS_FL_RIGHT, COL_NUM, "value in effect" },
	[SCOL_SOURCE] = { "SOURCE", 8, 0, COL_STR, "config, runtime or default" },
	[SCOL_FILE] = { "FILE", 0.5, 0, COL_STR, "file and line it comes from" },
};

static void show_usage(FILE *out)
{
	fprintf(out,
		"Usage: blkprio show CTID [--json]\n\n"
		"Effective settings of a container: its config file merged with the runtime\n"
		"override, and where each value comes from.\n");
}

static void show_row(struct table *t, const struct ct_dirs *d, const char *ctid,
		     enum ct_key k, const struct ct_value *v)
{
	char buf[64], path[4096];

	table_row(t);
	table_set(t, SCOL_KEY, ct_key_name(k));
	if (cli.json) {
		table_setf(t, SCOL_VALUE, "%lld", (long long)v->val);
	} else {
		ct_display_value(k, v->val, buf, sizeof(buf));
		table_set(t, SCOL_VALUE, buf);
	}
	table_setf(t, SCOL_SOURCE, "%s%s", ct_source_name(v->src),
		   v->bad ? " (a bad value was ignored)" : "");
	if (v->src == CT_SRC_DEFAULT) {
		if (!cli.json)
			table_set(t, SCOL_FILE, "-");
		return;
	}
	if (!ctid_conf_path(v->src == CT_SRC_RUNTIME ? d->run_dir : d->conf_dir, ctid,
			    path, sizeof(path)))
		table_setf(t, SCOL_FILE, "%s:%u", path, v->line);
}

int do_show(int argc, char **argv)
{
	static const struct option opts[] = { CLI_COMMON_OPTS, { NULL, 0, NULL, 0 } };
	static const int sel[] = { SCOL_KEY, SCOL_VALUE, SCOL_SOURCE, SCOL_FILE };
	struct ct_dirs d;
	struct ct_settings s;
	const char *ctid = NULL;
	unsigned int exists;
	char path[4096];
	struct table *t;
	int c, code, err, k;
	bool done;

	while ((c = getopt_long(argc, argv, CLI_COMMON_SHORT, opts, NULL)) != -1)
		if (cli_common_opt(c, optarg, &done, &code, show_usage) && done)
			return code;
	code = cli_ctid_arg(argc, argv, &ctid);
	if (code)
		return code;
	d = cli_dirs();
	err = ct_load(&d, ctid, &s, &exists, cli_conf_diag, NULL);
	if (err)
		return cli_fail(EXIT_FAIL, "read config of CT", ctid, "%s", strerror(-err));
	if (!exists) {
		ctid_conf_path(d.conf_dir, ctid, path, sizeof(path));
		return cli_fail(EXIT_FAIL, "show CT", ctid, "no config file %s", path);
	}
	t = table_new("settings", show_cols, sel, 4, cli.json ? TABLE_JSON : 0);
	if (!t)
		return cli_fail(EXIT_FAIL, "show CT", ctid, "%s", strerror(ENOMEM));
	for (k = 0; k < CT_NKEYS; k++)
		show_row(t, &d, ctid, k, &s.v[k]);
	table_print(t, stdout);
	table_free(t);
	return EXIT_OK;
}
