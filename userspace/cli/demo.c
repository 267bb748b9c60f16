// SPDX-License-Identifier: GPL-2.0
/*
 * blkprio demo: the whole system on an embedded default. Containers 101
 * (IOPRIO 7) and 102 (IOPRIO 0) in a temporary config folder, blkpriod
 * applying them, competing workloads on a loop device under the kernel's
 * best lever (BFQ weights, else share control's caps), the live `top`
 * view, a live `blkprio set 102 --ioprio 7` halfway, then the summary.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <blkprio/effect.h>
#include <blkprio/parse.h>

#include "cli.h"

enum { OPT_SECONDS = OPT_FIRST_PRIVATE, OPT_HTML };

struct demo {
	pid_t top;
	unsigned int seconds;
};

static void demo_usage(FILE *out)
{
	fprintf(out,
		"Usage: blkprio demo [--seconds N] [--html FILE]\n\n"
		"The whole system on an embedded default: containers 101 (IOPRIO 7) and 102\n"
		"(IOPRIO 0) in a temporary config folder, blkpriod applying them, the same\n"
		"sequential-read workload in both on a loop device under the lever blkpriod\n"
		"uses there (BFQ weights where the kernel has BFQ, else share control's\n"
		"throttle caps), the live top view\n"
		"(batch output when standard output is not a terminal), `blkprio set 102\n"
		"--ioprio 7` halfway through, then the measured shares against the promised\n"
		"ones. Everything it makes is removed at the end. Needs root.\n\n"
		"  --seconds N   length of the run (default 24)\n"
		"  --html FILE   also write the effect report as an HTML page\n");
}

/* The live view, as its own process: `blkprio top` on the demo's containers. */
static void demo_started(void *arg, const struct effect_opts *o, const char *conf_dir,
			 const char *run_dir, const char *config)
{
	struct demo *d = arg;
	char n[16];
	pid_t pid;

	printf("\n$ blkprio top%s   (%u s; at %llu s: blkprio set %u --ioprio %d)\n",
	       isatty(STDOUT_FILENO) ? "" : " -b -C -d 1", d->seconds,
	       (unsigned long long)o->change_ms / 1000, 101 + o->change_ct, o->change_prio);
	fflush(stdout);
	snprintf(n, sizeof(n), "%u", d->seconds - 1);
	pid = fork();
	if (pid)
		d->top = pid;
	if (pid)
		return;
	if (isatty(STDOUT_FILENO))
		execl(o->cli, "blkprio", "--conf-dir", conf_dir, "--run-dir", run_dir,
		      "--config", config, "top", "-C", "-d", "1", "-n", n, (char *)NULL);
	else
		execl(o->cli, "blkprio", "--conf-dir", conf_dir, "--run-dir", run_dir,
		      "--config", config, "top", "-b", "-C", "-d", "1", "-n", n, (char *)NULL);
	_exit(127);
}

int do_demo(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seconds", required_argument, NULL, OPT_SECONDS },
		{ "html", required_argument, NULL, OPT_HTML },
		CLI_COMMON_OPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct demo d = { .top = -1, .seconds = 24 };
	const char *html = NULL;
	struct effect_opts o;
	long long v;
	int c, code, status;
	bool done;

	while ((c = getopt_long(argc, argv, CLI_COMMON_SHORT, opts, NULL)) != -1) {
		if (cli_common_opt(c, optarg, &done, &code, demo_usage)) {
			if (done)
				return code;
		} else if (c == OPT_SECONDS) {
			if (parse_int_range(optarg, 10, 600, &v))
				return cli_usage_err("invalid --seconds '%s': 10..600", optarg);
			d.seconds = (unsigned int)v;
		} else if (c == OPT_HTML) {
			html = optarg;
		}
	}
	if (optind < argc)
		return cli_usage_err("unexpected argument '%s'", argv[optind]);
	if (geteuid())
		return cli_fail(EXIT_FAIL, "demo", NULL,
				"needs root (loop devices, cgroups, schedulers)");

	effect_opts_init(&o);
	o.ncts = 2;
	o.prio[0] = 7;
	o.prio[1] = 0;
	/* Sequential reads: where BFQ's weights show as shares on a loop device (and caps too). */
	o.rw = BENCH_READ;
	o.runtime_ms = d.seconds * 1000ull;
	o.has_change = true;
	o.change_ms = o.runtime_ms / 2;
	o.change_ct = 1;
	o.change_prio = 7;
	o.started = demo_started;
	o.started_arg = &d;
	printf("blkprio demo: containers 101 (IOPRIO 7) and 102 (IOPRIO 0) read the same way "
	       "from one device;\nthe lever blkpriod uses there (BFQ weights, else share "
	       "control's caps) should split\nthe disk 2:1, then 1:1 after `set 102 --ioprio 7`. "
	       "The report names the lever.\n");
	fflush(stdout);
	code = cli_effect_run(&o, "text", html, false);
	if (d.top > 0) {
		kill(d.top, SIGTERM);
		waitpid(d.top, &status, 0);
	}
	return code;
}
