// SPDX-License-Identifier: GPL-2.0
/*
 * blkprio calibrate DEV [--seconds N] [--write] [--apply [--vrate PCT|auto]]
 * blkprio calibrate DEV --model MODEL --apply [--vrate PCT|auto]
 * blkprio calibrate DEV --disable
 *
 * io.cost's linear model for a device, measured (reads only unless --write:
 * writes overwrite the device), printed as the line io.cost.model takes;
 * --apply writes it and enables io.cost for the device (cgroup v2), after
 * which io.weight divides the device and blkpriod's lever there is iocost.
 * --model applies a model saved earlier without measuring (at boot).
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include <blkprio/bench.h>
#include <blkprio/cgroup.h>
#include <blkprio/parse.h>

#include "cli.h"

enum { OPT_SECONDS = OPT_FIRST_PRIVATE, OPT_WRITE, OPT_APPLY, OPT_MODEL, OPT_VRATE, OPT_DISABLE };

#define VRATE_DEFAULT 90

static void calibrate_usage(FILE *out)
{
	fprintf(out,
		"Usage: blkprio calibrate DEV [--seconds N] [--write] [--apply [--vrate PCT]]\n"
		"       blkprio calibrate DEV --model MODEL --apply [--vrate PCT]\n"
		"       blkprio calibrate DEV --disable\n\n"
		"Measure a whole block device (/dev/sdb or sdb) for io.cost's linear model, as\n"
		"the kernel's coefficient tool does: scheduler none and merges off during the\n"
		"runs (put back after), direct I/O, one run per parameter: sequential 1 MiB\n"
		"at depth 8 (rbps, wbps), 4 KiB sequential and random at depth 64 (r/wseqiops,\n"
		"r/wrandiops). Prints the line for io.cost.model.\n\n"
		"  --seconds N      length of each run (default 5)\n"
		"  --write          measure writes too: OVERWRITES the device (refused while\n"
		"                   it is mounted); without it writes are taken to cost what\n"
		"                   reads cost\n"
		"  --apply          write the model to io.cost.model and enable io.cost for\n"
		"                   the device (io.cost.qos enable=1; cgroup v2 with io)\n"
		"  --model MODEL    apply this model instead of measuring (\"rbps=N\n"
		"                   rseqiops=N rrandiops=N wbps=N wseqiops=N wrandiops=N\")\n"
		"  --vrate PCT      with --apply: io.cost's rate pinned at PCT%% of the model\n"
		"                   (1..100, default %d; io.cost.qos ctrl=user min=max=PCT, no\n"
		"                   latency targets), so that contention shows before the\n"
		"                   device's own queue hides it; 'auto': the kernel's QoS\n"
		"                   control, which on a device of queue depth 1 lowers the\n"
		"                   rate to a few percent\n"
		"  --disable        turn io.cost off for the device (io.cost.qos enable=0)\n\n"
		"Settings in io.cost files do not survive a reboot: apply a saved model at\n"
		"boot with --model. blkpriod takes the iocost lever on its next device check\n"
		"(reload it: SIGHUP).\n\n"
		"Exit status: 0 done, 1 failed (the device is put back), 2 usage error.\n",
		VRATE_DEFAULT);
}

struct calib_args {
	const char *dev;		/* as given */
	char name[32];			/* "sdb" */
	char path[PATH_MAX];		/* "/dev/sdb" */
	unsigned int seconds_ms;
	unsigned int vrate;		/* 1..100, 0: the kernel's (auto) */
	bool vrate_given;
	bool writes, apply, disable;
	const char *model;		/* --model as given, parsed into m */
	struct cg_iocost_model m;
};

static int calib_parse(struct calib_args *a, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seconds", required_argument, NULL, OPT_SECONDS },
		{ "write", no_argument, NULL, OPT_WRITE },
		{ "apply", no_argument, NULL, OPT_APPLY },
		{ "model", required_argument, NULL, OPT_MODEL },
		{ "vrate", required_argument, NULL, OPT_VRATE },
		{ "disable", no_argument, NULL, OPT_DISABLE },
		CLI_COMMON_OPTS,
		{ NULL, 0, NULL, 0 },
	};
	long long v;
	bool done;
	int c, code;

	a->seconds_ms = 5000;
	a->vrate = VRATE_DEFAULT;
	while ((c = getopt_long(argc, argv, CLI_COMMON_SHORT, opts, NULL)) != -1) {
		if (cli_common_opt(c, optarg, &done, &code, calibrate_usage)) {
			if (done)
				return code;
		} else if (c == OPT_SECONDS) {
			if (parse_int_range(optarg, 1, 3600, &v))
				return cli_usage_err("--seconds: '%s' is not 1..3600", optarg);
			a->seconds_ms = (unsigned int)v * 1000;
		} else if (c == OPT_WRITE) {
			a->writes = true;
		} else if (c == OPT_APPLY) {
			a->apply = true;
		} else if (c == OPT_MODEL) {
			a->model = optarg;
		} else if (c == OPT_VRATE) {
			a->vrate_given = true;
			if (!strcmp(optarg, "auto"))
				a->vrate = 0;
			else if (parse_int_range(optarg, 1, 100, &v))
				return cli_usage_err("--vrate: '%s' is not 1..100 or auto", optarg);
			else
				a->vrate = (unsigned int)v;
		} else if (c == OPT_DISABLE) {
			a->disable = true;
		}
	}
	if (optind + 1 != argc)
		return cli_usage_err(optind < argc ? "one device only" : "which device?");
	a->dev = argv[optind];
	if (a->model && !a->apply)
		return cli_usage_err("--model applies a model: give --apply too");
	if (a->vrate_given && !a->apply)
		return cli_usage_err("--vrate is for --apply");
	if (a->disable && (a->apply || a->model || a->writes))
		return cli_usage_err("--disable goes alone");
	if (a->model && a->writes)
		return cli_usage_err("--model measures nothing: --write has no use with it");
	if (a->model && cg_iocost_model_parse(a->model, &a->m))
		return cli_usage_err("--model: '%s' is not \"rbps=N rseqiops=N rrandiops=N "
				     "wbps=N wseqiops=N wrandiops=N\" (each > 0)", a->model);
	if (!strncmp(a->dev, "/dev/", 5))
		snprintf(a->name, sizeof(a->name), "%s", a->dev + 5);
	else
		snprintf(a->name, sizeof(a->name), "%s", a->dev);
	snprintf(a->path, sizeof(a->path), "/dev/%s", a->name);
	return -1;
}

/* Is a file system of DEV, or of one of its partitions, mounted? */
static bool dev_mounted(const char *name)
{
	char line[4096], link[PATH_MAX], real[PATH_MAX], want[64];
	unsigned int maj, min;
	bool found = false;
	FILE *f;

	f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return true;	/* cannot tell: take it as in use */
	snprintf(want, sizeof(want), "/%s", name);
	while (!found && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*u %*u %u:%u", &maj, &min) != 2 || !maj)
			continue;
		snprintf(link, sizeof(link), "/sys/dev/block/%u:%u", maj, min);
		if (!realpath(link, real))
			continue;
		/* .../block/sdb or .../block/sdb/sdb1 */
		found = strstr(real, want) && (strstr(real, want)[strlen(want)] == '\0' ||
					       strstr(real, want)[strlen(want)] == '/');
	}
	fclose(f);
	return found;
}

static volatile int stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static const char *rw_of(unsigned int i)
{
	static const char *const rw[CG_IOCOST_NPARAMS] = {
		"read", "read", "randread", "write", "write", "randwrite",
	};

	return rw[i];
}

static void print_plain(const struct calib_args *a, const struct cg_devcheck *d,
			const struct bench_calib *c, const char *line)
{
	const struct bench_calib_phase *ph;
	unsigned int i;

	printf("calibrate %s (%u:%u): scheduler none and nomerges=1 during the runs "
	       "(%s before and after), %u s per run\n",
	       a->name, d->major, d->minor, c->sched, a->seconds_ms / 1000);
	printf("%-10s %-9s %5s %5s %12s %10s\n", "PARAM", "RW", "BS", "DEPTH", "IOPS", "MB/s");
	for (i = 0; i < CG_IOCOST_NPARAMS; i++) {
		ph = &c->phase[i];
		if (!ph->measured) {
			printf("%-10s %-9s %5s %5s %12s %10s  = %s\n", cg_iocost_param_name(i),
			       rw_of(i), "-", "-", "-", "-", cg_iocost_param_name(i - 3));
			continue;
		}
		printf("%-10s %-9s %4uK %5u %12.0f %10.1f\n", cg_iocost_param_name(i), rw_of(i),
		       ph->bs / 1024, ph->depth, ph->iops, ph->bps / 1e6);
	}
	if (!a->writes)
		printf("writes not measured (--write measures them, overwriting the device): "
		       "they cost what reads cost\n");
	printf("io.cost.model: %u:%u %s\n", d->major, d->minor, line);
}

static struct json_object *calib_json(const struct calib_args *a,
				      const struct cg_devcheck *d,
				      const struct bench_calib *c, const char *line)
{
	struct json_object *o = json_object_new_object(), *ph, *m, *arr;
	char majmin[32];
	unsigned int i;

	snprintf(majmin, sizeof(majmin), "%u:%u", d->major, d->minor);
	json_object_object_add(o, "device", json_object_new_string(a->name));
	json_object_object_add(o, "majmin", json_object_new_string(majmin));
	json_object_object_add(o, "scheduler", json_object_new_string(c->sched));
	json_object_object_add(o, "seconds", json_object_new_int(a->seconds_ms / 1000));
	json_object_object_add(o, "writes_measured", json_object_new_boolean(a->writes));
	arr = json_object_new_array();
	for (i = 0; i < CG_IOCOST_NPARAMS; i++) {
		if (!c->phase[i].measured)
			continue;
		ph = json_object_new_object();
		json_object_object_add(ph, "param",
				       json_object_new_string(cg_iocost_param_name(i)));
		json_object_object_add(ph, "rw", json_object_new_string(rw_of(i)));
		json_object_object_add(ph, "bs", json_object_new_int((int)c->phase[i].bs));
		json_object_object_add(ph, "iodepth", json_object_new_int((int)c->phase[i].depth));
		json_object_object_add(ph, "iops", json_object_new_double(c->phase[i].iops));
		json_object_object_add(ph, "bw_bytes", json_object_new_double(c->phase[i].bps));
		json_object_array_add(arr, ph);
	}
	json_object_object_add(o, "runs", arr);
	m = json_object_new_object();
	for (i = 0; i < CG_IOCOST_NPARAMS; i++)
		json_object_object_add(m, cg_iocost_param_name(i),
				       json_object_new_int64((int64_t)c->model.v[i]));
	json_object_object_add(o, "model", m);
	json_object_object_add(o, "line", json_object_new_string(line));
	return o;
}

static int calib_fail(const struct calib_args *a, int err, const struct bench_calib *c)
{
	if (err == -EINTR)
		return cli_fail(EXIT_FAIL, "calibrate", a->dev,
				"interrupted; scheduler and merges put back");
	if (c->failed >= 0)
		return cli_fail(EXIT_FAIL, "calibrate", a->dev, "the %s run failed: %s",
				cg_iocost_param_name((unsigned int)c->failed), strerror(-err));
	return cli_fail(EXIT_FAIL, "calibrate", a->dev, "%s", strerror(-err));
}

static int apply_fail(const struct calib_args *a, const struct cg_ctx *cx, int err)
{
	if (err == -ENOTSUP)
		return cli_fail(EXIT_FAIL, "enable io.cost on", a->dev,
				"io.cost needs the io controller on cgroup v2 and a kernel with "
				"CONFIG_BLK_CGROUP_IOCOST; here io is on %s",
				cx->layout.ver == CG_V1 ? "cgroup v1 blkio" :
				cx->layout.ver == CG_V2 ? "cgroup v2 without io.cost files" :
				"no cgroup hierarchy");
	return cli_fail(EXIT_FAIL, "enable io.cost on", a->dev, "%s%s", strerror(-err),
			err == -EINVAL ? " (the kernel refused the model or the device: "
			"io.cost takes whole blk-mq disks)" : "");
}

/* Measure (or take --model), print, and apply if asked. */
static int calibrate(const struct calib_args *a, const struct cg_ctx *cx,
		     const struct cg_devcheck *d)
{
	struct bench_calib_opts o = {
		.dev = a->name, .path = a->path, .seconds_ms = a->seconds_ms,
		.writes = a->writes, .stop = &stop_flag,
	};
	struct sigaction sa = { .sa_handler = on_signal };
	struct bench_calib c;
	char line[512];
	int err;

	if (a->apply) {
		struct cg_iocost_state st;

		/* before a measurement that would be for nothing */
		err = cg_iocost_get(&cx->layout, d->major, d->minor, &st);
		if (err)
			return apply_fail(a, cx, err);
	}
	if (a->model) {
		memset(&c, 0, sizeof(c));
		c.model = a->m;
	} else {
		if (a->writes && dev_mounted(a->name))
			return cli_fail(EXIT_FAIL, "calibrate", a->dev,
					"in use (a file system on it is mounted): --write "
					"would destroy it");
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		err = bench_calibrate(&o, &c);
		if (err)
			return calib_fail(a, err, &c);
	}
	cg_iocost_model_format(&c.model, line, sizeof(line));
	if (a->apply) {
		err = cg_iocost_set(&cx->layout, d->major, d->minor, &c.model, a->vrate);
		if (err)
			return apply_fail(a, cx, err);
	}
	if (cli.json) {
		struct json_object *o2 = calib_json(a, d, &c, line);

		json_object_object_add(o2, "applied", json_object_new_boolean(a->apply));
		if (a->apply)
			json_object_object_add(o2, "vrate", a->vrate ?
					       json_object_new_int((int)a->vrate) :
					       json_object_new_string("auto"));
		cli_print_json(o2);
		return EXIT_OK;
	}
	if (!a->model)
		print_plain(a, d, &c, line);
	if (a->apply && a->vrate)
		printf("applied: io.cost enabled for %s (%u:%u) with %s%s, its rate pinned "
		       "at %u%%\n", a->name, d->major, d->minor,
		       a->model ? "the model given: " : "this model", a->model ? line : "",
		       a->vrate);
	else if (a->apply)
		printf("applied: io.cost enabled for %s (%u:%u) with %s%s, the kernel's "
		       "QoS control\n", a->name, d->major, d->minor,
		       a->model ? "the model given: " : "this model", a->model ? line : "");
	return EXIT_OK;
}

int do_calibrate(int argc, char **argv)
{
	struct calib_args a = { 0 };
	struct cg_devcheck d;
	struct cg_config cfg;
	struct cg_ctx cx;
	int code, err;

	code = calib_parse(&a, argc, argv);
	if (code >= 0)
		return code;
	code = cli_cgroup_open(&cfg, &cx);
	if (code)
		return code;
	err = cg_dev_check(&cx.layout, a.name, &d);
	if (err) {
		code = cli_fail(EXIT_FAIL, "calibrate", a.dev, "%s",
				err == -ENODEV || err == -EINVAL ?
				"no such whole block device (see /sys/block)" : strerror(-err));
		goto out;
	}
	if (a.disable) {
		err = cg_iocost_disable(&cx.layout, d.major, d.minor);
		code = err ? apply_fail(&a, &cx, err) : EXIT_OK;
		if (!err && !cli.json)
			printf("io.cost disabled for %s (%u:%u)\n", a.name, d.major, d.minor);
		goto out;
	}
	code = calibrate(&a, &cx, &d);
out:
	cg_config_free(&cfg);
	return code;
}
