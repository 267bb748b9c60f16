// SPDX-License-Identifier: GPL-2.0
/*
 * blkprio create CTID | destroy CTID | exec CTID -- CMD [ARGS]
 *
 * A container's cgroup in the blkio/io hierarchy, at the first path of
 * CGROUP_PATHS (blkpriod.conf). create also applies the container's settings
 * at once; exec runs a command inside the cgroup, like cgexec.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include <blkprio/cgroup.h>

#include "cli.h"

static void create_usage(FILE *out)
{
	fprintf(out,
		"Usage: blkprio create CTID\n\n"
		"Make the container's cgroup (the first CGROUP_PATHS template of the daemon\n"
		"config) and apply the container's settings to it.\n");
}

static void destroy_usage(FILE *out)
{
	fprintf(out,
		"Usage: blkprio destroy CTID\n\n"
		"Remove the container's cgroup. Refused while tasks run inside it.\n");
}

static void exec_usage(FILE *out)
{
	fprintf(out,
		"Usage: blkprio exec CTID -- CMD [ARGS]\n\n"
		"Run CMD inside the container's cgroup (made with 'blkprio create').\n"
		"With APPLY_TASK_IOPRIO=yes it also gets the container's task ioprio.\n");
}

/* Options (only the common ones) and the CTID. */
static int ct_args(int argc, char **argv, void (*usage)(FILE *), const char **ctid,
		   bool rest)
{
	static const struct option opts[] = { CLI_COMMON_OPTS, { NULL, 0, NULL, 0 } };
	bool done;
	int c, code;

	while ((c = getopt_long(argc, argv, "+" CLI_COMMON_SHORT, opts, NULL)) != -1) {
		if (cli_common_opt(c, optarg, &done, &code, usage) && done)
			return code;
	}
	if (!rest)
		return cli_ctid_arg(argc, argv, ctid);
	if (optind >= argc)
		return cli_usage_err("missing CTID");
	if (!ctid_valid(argv[optind]))
		return cli_usage_err("invalid CTID '%s'", argv[optind]);
	*ctid = argv[optind++];
	return EXIT_OK;
}

/* The daemon's config and a mounted I/O controller, or the error line. */
static int open_controller(struct cg_config *cfg, struct cg_ctx *cx, const char *ctid)
{
	int code = cli_cgroup_open(cfg, cx);

	if (code || cx->layout.ver != CG_NONE)
		return code;
	cg_config_free(cfg);
	return cli_fail(EXIT_FAIL, "cgroup of CT", ctid,
			"no blkio (v1) or io (v2) cgroup controller is mounted");
}

static void report(const char *ctid, const char *what, const struct cg_ctx *cx,
		   const char *rel)
{
	struct json_object *o;

	if (!cli.json) {
		printf("CT %s: cgroup %s/%s %s\n", ctid, cx->layout.mount, rel, what);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "ctid", json_object_new_string(ctid));
	json_object_object_add(o, "cgroup", json_object_new_string(rel));
	json_object_object_add(o, "mount", json_object_new_string(cx->layout.mount));
	json_object_object_add(o, "version",
			       json_object_new_string(cg_version_name(cx->layout.ver)));
	json_object_object_add(o, "result", json_object_new_string(what));
	cli_print_json(o);
}

int do_create(int argc, char **argv)
{
	char rel[PATH_MAX];
	struct cg_apply_result r;
	struct ct_settings s;
	struct cg_config cfg;
	struct ct_dirs d;
	struct cg_ctx cx;
	const char *ctid = NULL;
	int err, code;

	code = ct_args(argc, argv, create_usage, &ctid, false);
	if (code || !ctid)
		return code;
	code = open_controller(&cfg, &cx, ctid);
	if (code)
		return code;
	err = cg_ct_find(&cx.layout, &cfg.templates, ctid, rel, sizeof(rel));
	if (err >= 0) {
		code = cli_fail(EXIT_FAIL, "create cgroup of CT", ctid, "%s/%s exists",
				cx.layout.mount, rel);
		goto out;
	}
	err = cg_template_format(cfg.templates.t[0], ctid, rel, sizeof(rel));
	if (!err)
		err = cg_create(&cx.layout, rel);
	if (err) {
		code = cli_fail(EXIT_FAIL, "create cgroup of CT", ctid, "%s/%s: %s",
				cx.layout.mount, rel, strerror(-err));
		goto out;
	}
	/* settings at once, as the daemon would */
	d = cli_dirs();
	err = ct_load(&d, ctid, &s, NULL, cli_conf_diag, NULL);
	if (!err)
		err = cg_ct_apply(&cx, ctid, &s, &r);
	if (err == -ENODEV) {
		fprintf(stderr, "blkprio: warning: CT %s: the cgroup has no weight file "
			"(no BFQ or io.weight): IOPRIO cannot take effect\n", ctid);
		err = 0;
	}
	if (err) {
		cg_destroy(&cx.layout, rel);
		code = cli_fail(EXIT_FAIL, "apply settings to CT", ctid,
				"%s; cgroup removed again", strerror(-err));
		goto out;
	}
	report(ctid, "created", &cx, rel);
out:
	cg_config_free(&cfg);
	return code;
}

int do_destroy(int argc, char **argv)
{
	char rel[PATH_MAX];
	struct cg_config cfg;
	struct cg_ctx cx;
	const char *ctid = NULL;
	int err, code;

	code = ct_args(argc, argv, destroy_usage, &ctid, false);
	if (code || !ctid)
		return code;
	code = open_controller(&cfg, &cx, ctid);
	if (code)
		return code;
	err = cg_ct_find(&cx.layout, &cfg.templates, ctid, rel, sizeof(rel));
	if (err < 0) {
		code = cli_fail(EXIT_FAIL, "destroy cgroup of CT", ctid, "no cgroup");
		goto out;
	}
	err = cg_destroy(&cx.layout, rel);
	if (err) {
		code = cli_fail(EXIT_FAIL, "destroy cgroup of CT", ctid, "%s/%s: %s",
				cx.layout.mount, rel, err == -EBUSY ?
				"tasks or child cgroups are still inside" : strerror(-err));
		goto out;
	}
	report(ctid, "removed", &cx, rel);
out:
	cg_config_free(&cfg);
	return code;
}

/* Enter the cgroup (and the task ioprio if configured); then exec. */
static int exec_enter(const struct cg_ctx *cx, const char *ctid, const char *rel)
{
	struct ct_settings s;
	struct ct_dirs d;
	int err;

	err = cg_attach(&cx->layout, rel, getpid());
	if (err)
		return err;
	if (!cx->cfg->task_ioprio)
		return 0;
	d = cli_dirs();
	err = ct_load(&d, ctid, &s, NULL, cli_conf_diag, NULL);
	if (err)
		return err;
	/* our own task is in the cgroup now; children inherit its ioprio */
	err = cg_task_ioprio_set(&cx->layout, rel, (int)s.v[CT_IOPRIO].val);
	return err < 0 ? err : 0;
}

int do_exec(int argc, char **argv)
{
	char rel[PATH_MAX];
	struct cg_config cfg;
	struct cg_ctx cx;
	const char *ctid = NULL;
	int err, code;

	code = ct_args(argc, argv, exec_usage, &ctid, true);
	if (code || !ctid)
		return code;
	if (optind < argc && !strcmp(argv[optind], "--"))
		optind++;
	if (optind >= argc)
		return cli_usage_err("missing command after CTID");
	code = open_controller(&cfg, &cx, ctid);
	if (code)
		return code;
	err = cg_ct_find(&cx.layout, &cfg.templates, ctid, rel, sizeof(rel));
	if (err < 0) {
		code = cli_fail(EXIT_FAIL, "exec in CT", ctid,
				"no cgroup (make one with 'blkprio create %s')", ctid);
		goto out;
	}
	err = exec_enter(&cx, ctid, rel);
	if (err) {
		code = cli_fail(EXIT_FAIL, "exec in CT", ctid, "enter %s/%s: %s",
				cx.layout.mount, rel, strerror(-err));
		goto out;
	}
	cg_config_free(&cfg);
	fflush(NULL);
	execvp(argv[optind], argv + optind);
	return cli_fail(EXIT_FAIL, "exec in CT", ctid, "%s: %s", argv[optind],
			strerror(errno));
out:
	cg_config_free(&cfg);
	return code;
}
