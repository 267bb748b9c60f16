// SPDX-License-Identifier: GPL-2.0
/* blkprio: the command table and global options. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <blkprio/log.h>

#include "cli.h"

static int do_help(int argc, char **argv);
static int do_version(int argc, char **argv);

/* Adding a command is adding a row. */
static const struct cmd cmds[] = {
	{ "set", do_set, "CTID [--ioprio N] [--iolimit BYTES] [--iopslimit N] [--save]",
	  "change a container's I/O settings (live; --save writes its config)" },
	{ "show", do_show, "CTID", "effective settings of a container and where they come from" },
	{ "list", do_list, "[-o COLUMNS] [-n] [-r]", "one row per container" },
	{ "top", do_top, "[-b] [-d SEC] [-n COUNT] [-s KEY] [-C] [--json]",
	  "live block I/O latency per container and device (eBPF)" },
	{ "latency", do_latency, "CTID [-i SEC] [-c COUNT]",
	  "latency histograms of one container, per operation" },
	{ "dd", do_dd, "[OPERAND]...", "GNU dd, qcow2-aware (if=img:PATH, of=img:PATH)" },
	{ "img", do_img, "{ create | info | check | map | convert | resize | compare | bench } ...",
	  "qcow2 images, qemu-img syntax" },
	{ "bench", do_bench, "{ run | bonnie | effect } ...", "benchmarks: fio-like jobs, bonnie++ tests" },
	{ "create", do_create, "CTID", "make a container's cgroup and apply its settings" },
	{ "destroy", do_destroy, "CTID", "remove a container's cgroup" },
	{ "exec", do_exec, "CTID -- CMD [ARGS]", "run a command inside a container's cgroup" },
	{ "check", do_check, "[--fix DEV]... [DEV...]",
	  "can weights take effect? scheduler, controller, advice per device" },
	{ "calibrate", do_calibrate, "DEV [--seconds N] [--write] [--apply]",
	  "measure a device for io.cost's model; --apply enables io.cost with it" },
	{ "demo", do_demo, "[--seconds N] [--html FILE]",
	  "the whole system on an embedded default, live, then the measured shares" },
	{ "help", do_help, "[COMMAND]", "this help, or a command's" },
	{ "version", do_version, "", "print the version" },
	{ NULL, NULL, NULL, NULL },
};

static void usage(FILE *out)
{
	const struct cmd *c;

	fprintf(out, "Usage: blkprio [OPTIONS] COMMAND [ARGS]\n\n"
		"Container block-I/O priorities (OpenVZ IOPRIO) made real.\n\n"
		"Commands:\n");
	for (c = cmds; c->name; c++)
		fprintf(out, "  %-10s %s\n", c->name, c->summary);
	fprintf(out, "\nOptions (every command):\n"
		"  --conf-dir DIR   container configs (default %s, env BLKPRIO_CONF_DIR)\n"
		"  --run-dir DIR    runtime overrides (default %s, env BLKPRIO_RUN_DIR)\n"
		"  --config FILE    daemon config (default /etc/blkprio/blkpriod.conf, env BLKPRIO_CONFIG)\n"
		"  -j, --json       JSON output     -p, --pretty   indented JSON\n"
		"  -h, --help       help            -V, --version  version\n\n"
		"Exit codes: 0 ok, 1 failed, 2 usage error.\n"
		"Run 'blkprio help COMMAND' for a command's options.\n",
		CONF_DEFAULT_DIR, CONF_DEFAULT_RUN_DIR);
}

static int run_command_help(const struct cmd *table, const char *name)
{
	char *argv[] = { (char *)name, "--help", NULL };

	return cmd_select(table, 2, argv, usage);
}

static int do_help(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--help") && strcmp(argv[1], "-h"))
		return run_command_help(cmds, argv[1]);
	usage(stdout);
	return EXIT_OK;
}

static int do_version(int argc, char **argv)
{
	if (cli.json)
		printf("{\"version\":\"%s\"}\n", BLKPRIO_VERSION);
	else
		printf("blkprio %s\n", BLKPRIO_VERSION);
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_COMMON_OPTS,
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	bool done = false;
	int c, code = EXIT_OK;

	log_init("blkprio", LOG_NOTICE);
	cli.conf_dir = getenv("BLKPRIO_CONF_DIR");
	cli.run_dir = getenv("BLKPRIO_RUN_DIR");
	cli.config = getenv("BLKPRIO_CONFIG");

	/* Global options stop at the command name ("+"). */
	while ((c = getopt_long(argc, argv, "+" CLI_COMMON_SHORT "V", opts, NULL)) != -1) {
		if (c == 'V')
			return do_version(0, NULL);
		if (cli_common_opt(c, optarg, &done, &code, usage)) {
			if (done)
				return code;
			continue;
		}
		usage(stderr);
		return EXIT_USAGE;
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	return cmd_select(cmds, argc - optind, argv + optind, usage);
}
