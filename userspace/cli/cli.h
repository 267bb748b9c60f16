/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The blkprio command line: commands are rows of a table (struct cmd), each
 * command group in a file of its own. Help text grammar: { a | b } choices,
 * [optional], UPPERCASE placeholders.
 */
#ifndef BLKPRIO_CLI_H
#define BLKPRIO_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include <blkprio/conf.h>

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

struct cmd {
	const char *name;
	int (*func)(int argc, char **argv);	/* argv[0] is the command name */
	const char *args;			/* synopsis after the name */
	const char *summary;			/* one line for "blkprio help" */
};

/* Options every command takes, set from the command line or environment. */
struct cli_opts {
	const char *conf_dir;		/* --conf-dir, BLKPRIO_CONF_DIR */
	const char *run_dir;		/* --run-dir, BLKPRIO_RUN_DIR */
	const char *config;		/* --config (blkpriod.conf), BLKPRIO_CONFIG */
	bool json;			/* -j, --json */
	bool pretty;			/* -p, --pretty */
};
extern struct cli_opts cli;
extern const char *cli_cmd;		/* "blkprio set": the command, for messages */

/* Long options every command accepts; put CLI_COMMON_OPTS in each table. */
enum {
	OPT_CONF_DIR = 0x1000, OPT_RUN_DIR, OPT_CONFIG, OPT_FIRST_PRIVATE = 0x1100,
};
#define CLI_COMMON_OPTS \
	{ "conf-dir", required_argument, NULL, OPT_CONF_DIR }, \
	{ "run-dir", required_argument, NULL, OPT_RUN_DIR }, \
	{ "config", required_argument, NULL, OPT_CONFIG }, \
	{ "json", no_argument, NULL, 'j' }, \
	{ "pretty", no_argument, NULL, 'p' }, \
	{ "help", no_argument, NULL, 'h' }
#define CLI_COMMON_SHORT "jph"

/*
 * Handle a common option returned by getopt_long. Returns 1 if handled,
 * 0 if not a common option, or an exit code (>= 0 through *exit_code) for
 * --help and errors: when *done is set the caller returns *exit_code.
 */
bool cli_common_opt(int c, const char *arg, bool *done, int *exit_code,
		    void (*usage)(FILE *out));

/*
 * Run the row named argv[0] with (argc, argv), argv[0] being the command name.
 * A command group ("img create ...") calls it again with argc - 1, argv + 1.
 */
/*
 * img_secret.c, for commands outside `img` naming images img:PATH (dd, bench
 * run): take out --object secret,... options; an img: followed by
 * driver=qcow2,file.filename=F,encrypt.key-secret=ID becomes img:F, its
 * secret registered for F with the qcow2 library.
 */
int cli_img_secrets(int *argc, char **argv);
int cmd_select(const struct cmd *cmds, int argc, char **argv,
	       void (*usage)(FILE *out));

/* One line "blkprio: WHAT 'OBJECT': REASON" (JSON: {"error": ...}). */
int cli_fail(int code, const char *what, const char *object, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* The same line on stderr only: the failure is also in the listing's rows. */
void cli_warn(const char *what, const char *object, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Print a JSON document (takes the reference), plain or --pretty. */
struct json_object;
void cli_print_json(struct json_object *o);
/* Usage error: one line and a hint, returns EXIT_USAGE. */
int cli_usage_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Diagnostics callback for the config parsers: "FILE:LINE: MSG" on stderr. */
void cli_conf_diag(void *ctx, const char *file, unsigned int line, const char *msg);
/* Directories in force. */
struct ct_dirs cli_dirs(void);
/* Exactly one positional CTID after options; checks it. */
int cli_ctid_arg(int argc, char **argv, const char **ctid);

/*
 * Apply a container's effective settings to its cgroup if it is running
 * (*running false and 0 when it has no cgroup); -errno when applying fails.
 */
int cli_apply_live(const char *ctid, const struct ct_settings *eff, bool *running);

/* Command tables, one per file. */
int do_set(int argc, char **argv);
int do_show(int argc, char **argv);
int do_list(int argc, char **argv);
int do_bench_effect(int argc, char **argv);
int do_demo(int argc, char **argv);
struct effect_opts;
int cli_effect_run(struct effect_opts *o, const char *fmt, const char *html, bool both);

/* cgroup.c, check.c: containers' cgroups and device checks. */
int do_create(int argc, char **argv);
int do_destroy(int argc, char **argv);
int do_exec(int argc, char **argv);
int do_check(int argc, char **argv);
int do_calibrate(int argc, char **argv);

/*
 * apply.c: apply effective settings to a running container's cgroup, with
 * the daemon config (cli.config, default /etc/blkprio/blkpriod.conf; missing
 * means defaults). 0 with *running = false when it has no cgroup; -errno when
 * applying failed (then nothing must be saved). Prints nothing.
 */
struct ct_settings;
int cli_apply_live(const char *ctid, const struct ct_settings *eff, bool *running);
/* Daemon config (cli.config) and cgroup layout (ver CG_NONE if no controller). */
struct cg_config;
struct cg_ctx;
int cli_cgroup_ctx(struct cg_config *cfg, struct cg_ctx *cx);
/* The same, saying what went wrong: EXIT_OK or EXIT_FAIL. */
int cli_cgroup_open(struct cg_config *cfg, struct cg_ctx *cx);
/*
 * The weight a container has in the kernel (*weight, -1 if none) and what its
 * settings give (*want): CLI_KW_* or -errno. *files (may be NULL): the weight
 * files its cgroup has (-1 absent), when it has a cgroup.
 */
enum { CLI_KW_OK, CLI_KW_DRIFT, CLI_KW_STOPPED, CLI_KW_NOWEIGHT };
struct cg_weights;
int cli_ct_kernel_weight(const struct cg_ctx *cx, const char *ctid,
			 const struct ct_settings *s, int *weight, int *want,
			 struct cg_weights *files);

/* top.c, latency.c: live per-container block latency (eBPF). */
int do_top(int argc, char **argv);
int do_latency(int argc, char **argv);

/* bench.c, bench_bonnie.c, dd.c: the benchmark group and GNU-compatible dd. */
int do_bench(int argc, char **argv);
int do_bench_run(int argc, char **argv);
int do_bench_bonnie(int argc, char **argv);
int do_dd(int argc, char **argv);

/* img.c: qcow2 images with qemu-img's syntax. */
int do_img(int argc, char **argv);

#endif
