// SPDX-License-Identifier: GPL-2.0
/*
 * blkprio bench effect: do the priorities take effect? Containers of the
 * given IOPRIOs run the same workload at once; their shares are compared
 * with what their weights promise.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <blkprio/effect.h>
#include <blkprio/parse.h>

#include "cli.h"

enum {
	OPT_PRIO = OPT_FIRST_PRIVATE, OPT_DEVICE, OPT_RW, OPT_DISK, OPT_RUNTIME, OPT_WARMUP,
	OPT_BS, OPT_IODEPTH, OPT_ENGINE, OPT_TOL, OPT_MAP, OPT_LOWLAT, OPT_IDLE, OPT_STRICT,
	OPT_SIZE, OPT_WORKDIR, OPT_NOPROBES, OPT_FORMAT, OPT_HTML, OPT_CONTROL, OPT_SCHED,
	OPT_MEASURE, OPT_LONE, OPT_METRICS, OPT_LEVERS,
};

static volatile int effect_stop;

static void on_signal(int sig)
{
	effect_stop = 1;
}

static void effect_usage(FILE *out)
{
	fprintf(out,
		"Usage: blkprio bench effect --prio N,N[,...] [--device DEV] [--rw RW] [--disk { raw | qcow2 }]\n"
		"       [--runtime SEC] [--warmup SEC] [--bs SIZE] [--iodepth N] [--ioengine { psync | io_uring }]\n"
		"       [--tolerance PCT] [--weight-map MAP] [--low-latency { 0 | 1 }] [--slice-idle MS]\n"
		"       [--strict-guarantees { 0 | 1 }] [--size SIZE] [--workdir DIR] [--no-probes]\n"
		"       [--control { auto | off | on | both }] [--scheduler { bfq | mq-deadline | ... }]\n"
		"       [--measure { iops | bytes | time }] [--levers { auto | weight | cap }]\n"
		"       [--lone SEC] [--metrics [HOST:]PORT]\n"
		"       [--format { text | json | html }] [--html FILE]\n\n"
		"One container per IOPRIO, made through config files applied by blkpriod, runs the\n"
		"same workload at once on one device, under the lever blkpriod uses there (BFQ\n"
		"weights where the kernel has BFQ, else share control's throttle caps); each\n"
		"container's share of the I/O is compared with the share its weight promises.\n"
		"The report names the lever. Exit 0 when every share is within the tolerance,\n"
		"1 when not (or on failure), 2 for bad usage.\n\n"
		"  --prio LIST          IOPRIO of each container (2 to 8 of 0..7)\n"
		"  --device DEV         a block device to use (default: a loop device over a file\n"
		"                       in --workdir, direct I/O)\n"
		"  --rw RW[,RW...]      randread (default), read, write (direct), randwrite; one\n"
		"                       for all containers or one per container (e.g. read,write)\n"
		"  --disk KIND          raw regions of the device (default) or one qcow2 image per\n"
		"                       container on a filesystem on it\n"
		"  --runtime SEC        length of the run (default 20)\n"
		"  --warmup SEC         first seconds not counted (default 2)\n"
		"  --bs SIZE            block size (default 4K); --iodepth N (default 1)\n"
		"  --tolerance PCT      allowed relative error of each share (default 15)\n"
		"  --weight-map MAP     openvz (default), wide, or eight numbers\n"
		"  --low-latency, --slice-idle, --strict-guarantees   BFQ tunables (default\n"
		"                       low_latency=0, the rest as the kernel has them)\n"
		"  --size SIZE          backing file of the loop device (default 1G)\n"
		"  --workdir DIR        where files go (default /var/tmp)\n"
		"  --no-probes          no eBPF latency figures\n"
		"  --control MODE       blkpriod's closed-loop share control (SHARE_CONTROL): auto\n"
		"                       (default: where the device has no weights), on, off, or\n"
		"                       both (two runs, off then on, one report)\n"
		"  --scheduler NAME     the device's I/O scheduler (default: bfq where the kernel\n"
		"                       has it, else the device's own)\n"
		"  --measure M          count shares in operations (iops, default), bytes, or\n"
		"                       device time from the eBPF probes (time); blkpriod's\n"
		"                       SHARE_MEASURE is set to the same\n"
		"  --levers L           what share control may use: weights, then caps where\n"
		"                       weights fail (auto, default), or only one of them\n"
		"  --lone SEC           the last container also runs alone SEC seconds before and\n"
		"                       after the others: it must get back at least 95%% of its\n"
		"                       idle-device rate once they stop\n"
		"  --metrics [HOST:]PORT  serve the run's blkpriod /metrics there (default: none)\n"
		"  --format FMT         report format on standard output (default text; -j = json)\n"
		"  --html FILE          also write the HTML report to FILE\n");
}

static int parse_prios(const char *s, struct effect_opts *o)
{
	char *copy = strdup(s), *tok, *save = NULL;
	long long v;
	int err = 0;

	if (!copy)
		return -ENOMEM;
	o->ncts = 0;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (o->ncts == EFFECT_MAX_CTS || parse_int_range(tok, 0, 7, &v)) {
			err = -EINVAL;
			break;
		}
		o->prio[o->ncts++] = (int)v;
	}
	free(copy);
	return err || o->ncts < 2 ? -EINVAL : 0;
}

static int parse_rw_one(const char *s, enum bench_rw *rw)
{
	static const struct { const char *name; enum bench_rw rw; } names[] = {
		{ "randread", BENCH_RANDREAD }, { "read", BENCH_READ },
		{ "write", BENCH_WRITE }, { "randwrite", BENCH_RANDWRITE },
	};
	unsigned int i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i].name)) {
			*rw = names[i].rw;
			return 0;
		}
	return -EINVAL;
}

/* One workload for all, or a comma-separated one per container. */
static int parse_rw(const char *s, struct effect_opts *o)
{
	char *copy = strdup(s), *tok, *save = NULL;
	int err = 0;

	if (!copy)
		return -ENOMEM;
	o->nrw_of = 0;
	for (tok = strtok_r(copy, ",", &save); tok && !err; tok = strtok_r(NULL, ",", &save)) {
		if (o->nrw_of == EFFECT_MAX_CTS)
			err = -EINVAL;
		else
			err = parse_rw_one(tok, &o->rw_of[o->nrw_of++]);
	}
	free(copy);
	if (err || !o->nrw_of)
		return -EINVAL;
	o->rw = o->rw_of[0];
	if (o->nrw_of == 1)
		o->nrw_of = 0;
	return 0;
}

static int parse_secs(const char *s, uint64_t *ms)
{
	uint64_t ns;

	if (parse_duration_ns(s, &ns) || ns < 1000000)
		return -EINVAL;
	*ms = ns / 1000000;
	return 0;
}

/* blkpriod and blkprio live side by side (build/ or /usr/sbin). */
static void sibling(char *buf, size_t len, const char *name, const char *env)
{
	char self[PATH_MAX];
	ssize_t n;

	if (getenv(env)) {
		snprintf(buf, len, "%s", getenv(env));
		return;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0) {
		snprintf(buf, len, "%s", name);
		return;
	}
	self[n] = '\0';
	snprintf(buf, len, "%s/%s", dirname(self), name);
}

static int effect_parse(int argc, char **argv, struct effect_opts *o, const char **fmt,
			const char **html, bool *both)
{
	static const struct option opts[] = {
		{ "prio", required_argument, NULL, OPT_PRIO },
		{ "device", required_argument, NULL, OPT_DEVICE },
		{ "rw", required_argument, NULL, OPT_RW },
		{ "disk", required_argument, NULL, OPT_DISK },
		{ "runtime", required_argument, NULL, OPT_RUNTIME },
		{ "warmup", required_argument, NULL, OPT_WARMUP },
		{ "bs", required_argument, NULL, OPT_BS },
		{ "iodepth", required_argument, NULL, OPT_IODEPTH },
		{ "ioengine", required_argument, NULL, OPT_ENGINE },
		{ "tolerance", required_argument, NULL, OPT_TOL },
		{ "weight-map", required_argument, NULL, OPT_MAP },
		{ "low-latency", required_argument, NULL, OPT_LOWLAT },
		{ "slice-idle", required_argument, NULL, OPT_IDLE },
		{ "strict-guarantees", required_argument, NULL, OPT_STRICT },
		{ "size", required_argument, NULL, OPT_SIZE },
		{ "workdir", required_argument, NULL, OPT_WORKDIR },
		{ "no-probes", no_argument, NULL, OPT_NOPROBES },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "html", required_argument, NULL, OPT_HTML },
		{ "control", required_argument, NULL, OPT_CONTROL },
		{ "scheduler", required_argument, NULL, OPT_SCHED },
		{ "measure", required_argument, NULL, OPT_MEASURE },
		{ "lone", required_argument, NULL, OPT_LONE },
		{ "metrics", required_argument, NULL, OPT_METRICS },
		{ "levers", required_argument, NULL, OPT_LEVERS },
		CLI_COMMON_OPTS,
		{ NULL, 0, NULL, 0 },
	};
	long long v;
	uint64_t u;
	bool done;
	int c, code;

	while ((c = getopt_long(argc, argv, CLI_COMMON_SHORT, opts, NULL)) != -1) {
		if (cli_common_opt(c, optarg, &done, &code, effect_usage)) {
			if (done)
				return code;
			continue;
		}
		switch (c) {
		case OPT_PRIO:
			if (parse_prios(optarg, o))
				return cli_usage_err("invalid --prio '%s': 2 to 8 IOPRIOs of 0..7, "
						     "comma-separated", optarg);
			break;
		case OPT_DEVICE:
			o->device = optarg;
			break;
		case OPT_RW:
			if (parse_rw(optarg, o))
				return cli_usage_err("invalid --rw '%s': randread, read, write or "
						     "randwrite, one or one per container", optarg);
			break;
		case OPT_MEASURE:
			if (share_measure_parse(optarg, &o->measure))
				return cli_usage_err("invalid --measure '%s': iops, bytes or time",
						     optarg);
			break;
		case OPT_LEVERS:
			if (share_levers_parse(optarg, &o->levers))
				return cli_usage_err("invalid --levers '%s': auto, weight or cap",
						     optarg);
			break;
		case OPT_METRICS:
			if (!*optarg || strpbrk(optarg, "\"\\\n \t") || strlen(optarg) > 64)
				return cli_usage_err("invalid --metrics '%s': [HOST:]PORT", optarg);
			o->metrics = optarg;
			break;
		case OPT_LONE:
			if (parse_int_range(optarg, 0, 60, &v))
				return cli_usage_err("invalid --lone '%s': 0 to 60 seconds", optarg);
			o->lone_ms = (uint64_t)v * 1000;
			break;
		case OPT_DISK:
			if (strcmp(optarg, "raw") && strcmp(optarg, "qcow2"))
				return cli_usage_err("invalid --disk '%s': raw or qcow2", optarg);
			o->disk = strcmp(optarg, "raw") ? EFFECT_DISK_QCOW2 : EFFECT_DISK_RAW;
			break;
		case OPT_RUNTIME:
		case OPT_WARMUP:
			if (parse_secs(optarg, c == OPT_RUNTIME ? &o->runtime_ms : &o->warmup_ms))
				return cli_usage_err("invalid duration '%s'", optarg);
			break;
		case OPT_BS:
			if (parse_size(optarg, 0, &u) || u < 512 || u > (16u << 20) || u % 512)
				return cli_usage_err("invalid --bs '%s': a multiple of 512 up to 16M",
						     optarg);
			o->bs = (uint32_t)u;
			break;
		case OPT_IODEPTH:
			if (parse_int_range(optarg, 1, 1024, &v))
				return cli_usage_err("invalid --iodepth '%s': 1..1024", optarg);
			o->iodepth = (unsigned int)v;
			break;
		case OPT_ENGINE:
			if (strcmp(optarg, "psync") && strcmp(optarg, "io_uring"))
				return cli_usage_err("invalid --ioengine '%s': psync or io_uring",
						     optarg);
			o->engine = strcmp(optarg, "psync") ? BENCH_IO_URING : BENCH_PSYNC;
			break;
		case OPT_TOL:
			if (parse_int_range(optarg, 1, 100, &v))
				return cli_usage_err("invalid --tolerance '%s': a percentage 1..100",
						     optarg);
			o->tolerance = (double)v / 100;
			break;
		case OPT_MAP:
			o->weight_map = optarg;
			break;
		case OPT_LOWLAT:
		case OPT_STRICT:
			if (parse_int_range(optarg, 0, 1, &v))
				return cli_usage_err("invalid value '%s': 0 or 1", optarg);
			if (c == OPT_LOWLAT)
				o->sched.low_latency = (int)v;
			else
				o->sched.strict_guarantees = (int)v;
			break;
		case OPT_IDLE:
			if (parse_int_range(optarg, 0, 1000, &v))
				return cli_usage_err("invalid --slice-idle '%s': 0..1000 ms", optarg);
			o->sched.slice_idle = (int)v;
			break;
		case OPT_SIZE:
			if (parse_size(optarg, 0, &u) || u < (64u << 20))
				return cli_usage_err("invalid --size '%s': at least 64M", optarg);
			o->dev_size = u;
			break;
		case OPT_WORKDIR:
			o->workdir = optarg;
			break;
		case OPT_NOPROBES:
			o->probes = false;
			break;
		case OPT_FORMAT:
			if (strcmp(optarg, "text") && strcmp(optarg, "json") && strcmp(optarg, "html"))
				return cli_usage_err("invalid --format '%s': text, json or html",
						     optarg);
			*fmt = optarg;
			break;
		case OPT_HTML:
			*html = optarg;
			break;
		case OPT_CONTROL:
			if (strcmp(optarg, "on") && strcmp(optarg, "off") && strcmp(optarg, "both") &&
			    strcmp(optarg, "auto"))
				return cli_usage_err("invalid --control '%s': auto, off, on or both",
						     optarg);
			o->control = !strcmp(optarg, "on") ? EFFECT_CONTROL_ON :
				     !strcmp(optarg, "off") ? EFFECT_CONTROL_OFF : EFFECT_CONTROL_AUTO;
			*both = !strcmp(optarg, "both");
			break;
		case OPT_SCHED:
			if (!*optarg || strchr(optarg, '/') || strlen(optarg) > 15)
				return cli_usage_err("invalid --scheduler '%s'", optarg);
			o->scheduler = optarg;
			break;
		}
	}
	if (optind < argc)
		return cli_usage_err("unexpected argument '%s'", argv[optind]);
	if (!o->ncts)
		return cli_usage_err("give the containers' priorities with --prio (e.g. 0,4,7)");
	if (o->runtime_ms <= o->warmup_ms)
		return cli_usage_err("--runtime must be longer than --warmup");
	if (o->nrw_of && o->nrw_of != o->ncts)
		return cli_usage_err("--rw: give one workload or one per container (%u)", o->ncts);
	if (o->measure == SHARE_TIME && !o->probes)
		return cli_usage_err("--measure time needs the eBPF probes (drop --no-probes)");
	return EXIT_OK;
}

static void effect_log(void *arg, const char *msg)
{
	fprintf(stderr, "blkprio bench effect: %s\n", msg);
}

static int write_html(const char *path, const struct effect_report *r, unsigned int n)
{
	FILE *f = fopen(path, "w");
	int err;

	if (!f)
		return -errno;
	err = effect_report_html(f, r, n);
	if (fclose(f) && !err)
		err = -errno;
	return err;
}

static void print_reports(const char *fmt, const struct effect_report *r, unsigned int n)
{
	unsigned int i;

	if (!strcmp(fmt, "html")) {
		effect_report_html(stdout, r, n);
		return;
	}
	if (n > 1 && (!strcmp(fmt, "json") || cli.json))
		printf("[\n");
	for (i = 0; i < n; i++) {
		if (i && (!strcmp(fmt, "json") || cli.json))
			printf(",\n");
		else if (i)
			printf("\n");
		if (!strcmp(fmt, "json") || cli.json)
			effect_report_json(stdout, &r[i]);
		else
			effect_report_text(stdout, &r[i]);
	}
	if (n > 1 && (!strcmp(fmt, "json") || cli.json))
		printf("]\n");
}

/*
 * Control on (r[1]) must keep at least 90% of the total throughput of
 * control off (r[0]). Said on standard error for JSON and HTML output.
 */
static bool throughput_kept(const char *fmt, const struct effect_report *r)
{
	double ratio;
	bool ok = effect_throughput_kept(&r[0], &r[1], &ratio);

	fprintf(strcmp(fmt, "text") || cli.json ? stderr : stdout,
		"\nthroughput: %.0f IOPS with share control on, %.0f with it off (%.1f%%, at "
		"least %.0f%% wanted): %s\n", effect_total_iops(&r[1]), effect_total_iops(&r[0]),
		100 * ratio, 100 * EFFECT_THROUGHPUT_MIN, ok ? "yes" : "NO");
	return ok;
}

/*
 * Shared with `blkprio demo`: run (twice for both control modes: off, then
 * on), report, exit code.
 */
int cli_effect_run(struct effect_opts *o, const char *fmt, const char *html, bool both)
{
	struct sigaction sa = { .sa_handler = on_signal };
	char daemon[PATH_MAX], self[PATH_MAX], why[256];
	unsigned int n = both ? 2 : 1, i;
	struct effect_report *r;
	int err, code = EXIT_OK;

	sibling(daemon, sizeof(daemon), "blkpriod", "BLKPRIO_DAEMON");
	sibling(self, sizeof(self), "blkprio", "BLKPRIO_CLI");
	o->daemon = daemon;
	o->cli = self;
	o->stop = &effect_stop;
	if (!o->log && !cli.json)
		o->log = effect_log;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	r = calloc(n, sizeof(*r));
	if (!r)
		return cli_fail(EXIT_FAIL, "bench effect", NULL, "%s", strerror(ENOMEM));
	for (i = 0; i < n; i++) {
		if (both)
			o->control = i == 1 ? EFFECT_CONTROL_ON : EFFECT_CONTROL_OFF;
		err = effect_run(o, &r[i], why, sizeof(why));
		if (err) {
			free(r);
			return cli_fail(EXIT_FAIL, "bench effect", NULL, "%s", why);
		}
		if (!r[i].pass)
			code = EXIT_FAIL;
	}
	print_reports(fmt, r, n);
	if (both && !throughput_kept(fmt, r))
		code = EXIT_FAIL;
	if (html) {
		err = write_html(html, r, n);
		if (err)
			code = cli_fail(EXIT_FAIL, "write report", html, "%s", strerror(-err));
	}
	free(r);
	return code;
}

int do_bench_effect(int argc, char **argv)
{
	const char *fmt = "text", *html = NULL;
	struct effect_opts o;
	bool both = false;
	int code;

	effect_opts_init(&o);
	code = effect_parse(argc, argv, &o, &fmt, &html, &both);
	if (code || !o.ncts)
		return code;
	if (geteuid())
		return cli_fail(EXIT_FAIL, "bench effect", NULL,
				"needs root (loop devices, cgroups, schedulers)");
	return cli_effect_run(&o, fmt, html, both);
}
