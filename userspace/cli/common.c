// SPDX-License-Identifier: GPL-2.0
/* What every command shares: options, dispatch, error lines. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include <blkprio/cgroup.h>

#include "cli.h"

struct cli_opts cli;
static char cli_prog[128] = "blkprio";
const char *cli_cmd = cli_prog;

bool cli_common_opt(int c, const char *arg, bool *done, int *exit_code,
		    void (*usage)(FILE *out))
{
	*done = false;
	switch (c) {
	case OPT_CONF_DIR:
		cli.conf_dir = arg;
		return true;
	case OPT_RUN_DIR:
		cli.run_dir = arg;
		return true;
	case OPT_CONFIG:
		cli.config = arg;
		return true;
	case 'j':
		cli.json = true;
		return true;
	case 'p':
		cli.json = true;
		cli.pretty = true;
		return true;
	case 'h':
		usage(stdout);
		*done = true;
		*exit_code = EXIT_OK;
		return true;
	case '?':
		/* getopt_long has already said what was wrong. */
		fprintf(stderr, "Try '%s --help'.\n", cli_cmd);
		*done = true;
		*exit_code = EXIT_USAGE;
		return true;
	}
	return false;
}

int cmd_select(const struct cmd *cmds, int argc, char **argv,
	       void (*usage)(FILE *out))
{
	const struct cmd *c;

	if (argc < 1 || !argv[0]) {
		usage(stderr);
		return EXIT_USAGE;
	}
	for (c = cmds; c->name; c++) {
		if (strcmp(c->name, argv[0]))
			continue;
		/* "blkprio img create": messages (getopt's too) name the command. */
		snprintf(cli_prog + strlen(cli_prog), sizeof(cli_prog) - strlen(cli_prog),
			 " %s", c->name);
		argv[0] = cli_prog;
		optind = 0;	/* a fresh getopt for the command */
		return c->func(argc, argv);
	}
	return cli_usage_err("unknown command '%s'", argv[0]);
}

void cli_print_json(struct json_object *o)
{
	int flags = JSON_C_TO_STRING_NOSLASHESCAPE;

	flags |= cli.pretty ? JSON_C_TO_STRING_PRETTY : JSON_C_TO_STRING_PLAIN;
	printf("%s\n", json_object_to_json_string_ext(o, flags));
	json_object_put(o);
}

static void json_error(const char *msg)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "error", json_object_new_string(msg));
	cli_print_json(o);
}

static void vsay(char *line, size_t len, const char *what, const char *object,
		 const char *fmt, va_list ap)
{
	char reason[512];

	vsnprintf(reason, sizeof(reason), fmt, ap);
	if (object)
		snprintf(line, len, "%s '%s': %s", what, object, reason);
	else
		snprintf(line, len, "%s: %s", what, reason);
	fprintf(stderr, "blkprio: %s\n", line);
}

int cli_fail(int code, const char *what, const char *object, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsay(line, sizeof(line), what, object, fmt, ap);
	va_end(ap);
	if (cli.json)
		json_error(line);
	return code;
}

void cli_warn(const char *what, const char *object, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsay(line, sizeof(line), what, object, fmt, ap);
	va_end(ap);
}

int cli_usage_err(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: %s\nTry '%s --help'.\n", cli_cmd, msg, cli_cmd);
	if (cli.json)
		json_error(msg);
	return EXIT_USAGE;
}

void cli_conf_diag(void *ctx, const char *file, unsigned int line, const char *msg)
{
	fprintf(stderr, "blkprio: %s:%u: %s\n", file, line, msg);
}

/*
 * The folders the daemon watches are the CLI's defaults too (CONF_DIRS, the
 * first of them, and RUN_DIR in blkpriod.conf), so that `set` writes where
 * blkpriod looks. Options and environment come first.
 */
struct ct_dirs cli_dirs(void)
{
	static char conf_dir[PATH_MAX], run_dir[PATH_MAX];
	static bool loaded;
	const struct conf_entry *e;
	struct ct_dirs d = { cli.conf_dir, cli.run_dir };
	struct conf c;

	if ((!d.conf_dir || !d.run_dir) && !loaded) {
		loaded = true;
		conf_init(&c);
		if (!conf_load(&c, cli.config ? cli.config : CG_CONFIG_DEFAULT, NULL, NULL)) {
			e = conf_find(&c, "CONF_DIRS");
			if (e)
				sscanf(e->value, "%4095[^ \t,]", conf_dir);
			e = conf_find(&c, "RUN_DIR");
			if (e)
				snprintf(run_dir, sizeof(run_dir), "%s", e->value);
		}
		conf_free(&c);
	}
	if (!d.conf_dir)
		d.conf_dir = conf_dir[0] ? conf_dir : CONF_DEFAULT_DIR;
	if (!d.run_dir)
		d.run_dir = run_dir[0] ? run_dir : CONF_DEFAULT_RUN_DIR;
	return d;
}

int cli_ctid_arg(int argc, char **argv, const char **ctid)
{
	if (optind >= argc)
		return cli_usage_err("missing CTID");
	if (optind + 1 < argc)
		return cli_usage_err("unexpected argument '%s'", argv[optind + 1]);
	if (!ctid_valid(argv[optind]))
		return cli_usage_err("invalid CTID '%s' (a number, or letters, digits, "
				     "'.', '_', '-' not starting with '.' or '-')", argv[optind]);
	*ctid = argv[optind];
	return EXIT_OK;
}
