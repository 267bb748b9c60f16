// SPDX-License-Identifier: GPL-2.0
/*
 * blkprio set CTID --ioprio N [--iolimit B] [--iopslimit N] [--save]
 *
 * vzctl's semantics: the change applies to the running container at once;
 * without --save it is a runtime override (RUN_DIR/CTID.conf, gone at
 * reboot) and we say it was not saved; with --save the config file is
 * written. If applying fails, nothing is saved.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include <blkprio/fsutil.h>

#include "cli.h"

enum { OPT_IOPRIO = OPT_FIRST_PRIVATE, OPT_IOLIMIT, OPT_IOPSLIMIT, OPT_SAVE };

static void set_usage(FILE *out)
{
	fprintf(out,
		"Usage: blkprio set CTID [--ioprio N] [--iolimit BYTES] [--iopslimit N] [--save]\n\n"
		"Change a container's I/O settings; a running container gets them at once.\n"
		"Without --save the change is a runtime override (RUN_DIR/CTID.conf), lost at\n"
		"reboot; with --save it is written to CONF_DIR/CTID.conf.\n\n"
		"  --ioprio N        I/O priority 0..7: higher gets more disk time (default 4)\n"
		"  --iolimit BYTES   bandwidth limit in bytes/s, suffixes K, M, G;\n"
		"                    0 or unlimited removes it\n"
		"  --iopslimit N     I/O operations per second; 0 or unlimited removes it\n"
		"  --save            write the container's config file\n");
}

struct set_req {
	const char *ctid;
	bool save;
	bool given[CT_NKEYS];
	int64_t val[CT_NKEYS];
	char text[CT_NKEYS][32];	/* canonical values to write */
	struct conf_change ch[CT_NKEYS];
	size_t nch;
};

static int set_parse(struct set_req *r, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ioprio", required_argument, NULL, OPT_IOPRIO },
		{ "iolimit", required_argument, NULL, OPT_IOLIMIT },
		{ "iopslimit", required_argument, NULL, OPT_IOPSLIMIT },
		{ "save", no_argument, NULL, OPT_SAVE },
		CLI_COMMON_OPTS,
		{ NULL, 0, NULL, 0 },
	};
	static const char *const expect[CT_NKEYS] = {
		[CT_IOPRIO] = "an integer from 0 to 7",
		[CT_IOLIMIT] = "bytes per second with an optional K, M or G suffix, 0 or unlimited",
		[CT_IOPSLIMIT] = "a whole number, 0 or unlimited",
	};
	bool done;
	int c, k, code;

	while ((c = getopt_long(argc, argv, CLI_COMMON_SHORT, opts, NULL)) != -1) {
		if (cli_common_opt(c, optarg, &done, &code, set_usage)) {
			if (done)
				return code;
			continue;
		}
		if (c == OPT_SAVE) {
			r->save = true;
			continue;
		}
		k = c == OPT_IOPRIO ? CT_IOPRIO : c == OPT_IOLIMIT ? CT_IOLIMIT : CT_IOPSLIMIT;
		if (ct_parse_value(k, optarg, &r->val[k]))
			return cli_usage_err("invalid --%s '%s': expected %s",
					     opts[k].name, optarg, expect[k]);
		r->given[k] = true;
	}
	code = cli_ctid_arg(argc, argv, &r->ctid);
	if (code)
		return code;
	for (k = 0; k < CT_NKEYS; k++) {
		if (!r->given[k])
			continue;
		ct_format_value(k, r->val[k], r->text[k], sizeof(r->text[k]));
		r->ch[r->nch].key = ct_key_name(k);
		r->ch[r->nch].value = r->text[k];
		r->nch++;
	}
	if (!r->nch)
		return cli_usage_err("nothing to set: give --ioprio, --iolimit or --iopslimit");
	return EXIT_OK;
}

/* Drop the keys just saved from the runtime override, so the saved values rule. */
static int drop_override(const struct set_req *r, const char *run_path)
{
	struct conf_change rm[CT_NKEYS];
	size_t i;
	int err;

	for (i = 0; i < r->nch; i++) {
		rm[i].key = r->ch[i].key;
		rm[i].value = NULL;
	}
	err = conf_save(run_path, rm, r->nch, 0, NULL);
	return err == -ENOENT ? 0 : err;
}

static int set_store(const struct set_req *r, const struct ct_dirs *d, char *path,
		     size_t len, bool *changed)
{
	char run_path[4096];
	int err;

	err = ctid_conf_path(d->run_dir, r->ctid, run_path, sizeof(run_path));
	if (!err)
		err = ctid_conf_path(r->save ? d->conf_dir : d->run_dir, r->ctid, path, len);
	if (err)
		return err;
	if (!r->save) {
		err = mkdir_p(d->run_dir, 0755);
		return err ? err : conf_save(path, r->ch, r->nch, CONF_SAVE_CREATE, changed);
	}
	err = conf_save(path, r->ch, r->nch, CONF_SAVE_CREATE, changed);
	return err ? err : drop_override(r, run_path);
}

static void set_report(const struct set_req *r, const char *path, bool changed,
		       bool running)
{
	struct json_object *o, *s;
	size_t i;

	if (cli.json) {
		o = json_object_new_object();
		s = json_object_new_object();
		json_object_object_add(o, "ctid", json_object_new_string(r->ctid));
		for (i = 0; i < CT_NKEYS; i++)
			if (r->given[i])
				json_object_object_add(s, ct_key_name(i),
						       json_object_new_int64(r->val[i]));
		json_object_object_add(o, "settings", s);
		json_object_object_add(o, "saved", json_object_new_boolean(r->save));
		json_object_object_add(o, "file", json_object_new_string(path));
		json_object_object_add(o, "changed", json_object_new_boolean(changed));
		json_object_object_add(o, "running", json_object_new_boolean(running));
		cli_print_json(o);
		return;
	}
	if (running)
		printf("CT %s: applied to the running container\n", r->ctid);
	if (r->save && changed)
		printf("CT %s: configuration saved to %s\n", r->ctid, path);
	else if (r->save)
		printf("CT %s: no changes in configuration, not saving\n", r->ctid);
	else
		fprintf(stderr, "WARNING: Settings were not saved to config and will be "
			"lost after reboot (use --save)\n");
}

int do_set(int argc, char **argv)
{
	struct set_req r = { 0 };
	struct ct_dirs d;
	struct ct_settings eff;
	char path[4096] = "";
	bool changed = false, running = false;
	size_t i;
	int err, code;

	code = set_parse(&r, argc, argv);
	if (code || !r.ctid)
		return code;
	d = cli_dirs();
	err = ct_load(&d, r.ctid, &eff, NULL, cli_conf_diag, NULL);
	if (err)
		return cli_fail(EXIT_FAIL, "read config of CT", r.ctid, "%s", strerror(-err));
	for (i = 0; i < CT_NKEYS; i++) {
		if (!r.given[i])
			continue;
		eff.v[i].val = r.val[i];
		eff.v[i].src = r.save ? CT_SRC_CONFIG : CT_SRC_RUNTIME;
		eff.v[i].bad = false;
	}
	err = cli_apply_live(r.ctid, &eff, &running);
	if (err)
		return cli_fail(EXIT_FAIL, "apply to CT", r.ctid, "%s; nothing saved",
				strerror(-err));
	err = set_store(&r, &d, path, sizeof(path), &changed);
	if (err)
		return cli_fail(EXIT_FAIL, r.save ? "save config" : "save runtime settings",
				*path ? path : r.ctid, "%s", strerror(-err));
	set_report(&r, path, changed, running);
	return EXIT_OK;
}
