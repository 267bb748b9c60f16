// SPDX-License-Identifier: GPL-2.0
/* blkprio bench { run | bonnie | ... }: the benchmark command group. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <blkprio/bench.h>
#include <blkprio/fsutil.h>

#include "cli.h"

static void bench_usage(FILE *out);

/* Sub-commands are rows; `bench effect` and others add theirs here. */
static const struct cmd bench_cmds[] = {
	{ "run", do_bench_run, "[FIO OPTIONS] { TARGET | --job FILE }",
	  "a fio-like job: psync or io_uring, latency percentiles, per-second samples" },
	{ "bonnie", do_bench_bonnie, "[-d DIR] [-s SIZE] [-n NUM] [-m NAME] [-r RAM] [-x N] [-q] [-f]",
	  "bonnie++ 2.00's tests, its table and CSV line, plus percentiles in JSON" },
	{ "effect", do_bench_effect, "--prio N,N[,...] [--rw RW] [--disk { raw | qcow2 }] ...",
	  "containers of different IOPRIO compete: do the shares match the weights?" },
	{ NULL, NULL, NULL, NULL },
};

static void bench_usage(FILE *out)
{
	const struct cmd *c;

	fprintf(out, "Usage: blkprio bench COMMAND [OPTIONS]\n\nCommands:\n");
	for (c = bench_cmds; c->name; c++)
		fprintf(out, "  %-7s %s\n          %s\n", c->name, c->args, c->summary);
}

int do_bench(int argc, char **argv)
{
	int code = cli_img_secrets(&argc, argv);	/* --object, img:driver=... */

	if (code)
		return code;
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		bench_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	return cmd_select(bench_cmds, argc - 1, argv + 1, bench_usage);
}

/* ---- bench run ---------------------------------------------------------------- */

/* Options named as fio names them: the job's own table (bench_job_opt()). */
#define NFIO_MAX 128
enum { OPT_JOB = OPT_FIRST_PRIVATE, OPT_FORMAT, OPT_SAMPLES, OPT_NOPROGRESS, OPT_FIO };

static void run_usage(FILE *out)
{
	fprintf(out,
		"Usage: blkprio bench run [OPTIONS] { TARGET | --job FILE }\n\n"
		"Run a job on TARGET (a file, a block device, or img:PATH for a qcow2 image).\n"
		"Options as fio names them (--name=VALUE or --name VALUE):\n"
		"  --rw {read|write|randread|randwrite|randrw|rw}[:MOD]  --rwmixread PCT\n"
		"  --bs SIZE[,SIZE]  --bsrange MIN-MAX[,MIN-MAX]\n"
		"  --bssplit SIZE/PCT[:SIZE/PCT...][,...]  --size SIZE  --offset SIZE  --io_size SIZE\n"
		"  --filesize SIZE[-SIZE]\n"
		"  --offset_increment SIZE  --blockalign SIZE[,SIZE]  --norandommap\n"
		"  --random_distribution {random|zipf[:T]|pareto[:H]|normal[:DEV]|zoned:..|zoned_abs:..}\n"
		"  --runtime DURATION  --time_based  --iodepth N\n"
		"  --ioengine {psync|io_uring|libaio}  --direct[=0|1]  --numjobs N\n"
		"  --fsync N  --fdatasync N  --end_fsync  --randseed N  --name NAME\n"
		"  --prio 0..7  --prioclass 1..3  --startdelay DURATION  --ramp_time DURATION\n"
		"  --loops N  --number_ios N  --thinktime USEC  --thinktime_spin USEC\n"
		"  --thinktime_blocks N  --rate BYTES[,BYTES]  --rate_iops N[,N]\n"
		"  --rate_process {linear|poisson}  --rate_min BYTES[,BYTES]  --rate_iops_min N[,N]\n"
		"  --rate_cycle MS  --stonewall  --new_group  --wait_for JOB\n"
		"  --verify[=METHOD]  --do_verify=0|1  --verify_backlog N  --verify_fatal  --verify_dump\n"
		"  --verify_pattern PATTERN  --verify_interval SIZE  --buffer_pattern PATTERN\n"
		"  --percentile_list P[:P...]  --gtod_reduce  --disable_lat  --group_reporting\n"
		"  --exitall  --exit_what {group|stonewall|all}\n"
		"  --steadystate KIND:LIMIT  --ss_dur SECONDS  --ss_ramp DURATION\n"
		"  --flow WEIGHT  --flow_id N  --flow_sleep USEC\n"
		"  --cmdprio_percentage PCT[,PCT]  --cmdprio_class CLASS[,CLASS]  --cmdprio LEVEL[,LEVEL]\n"
		"  --cmdprio_bssplit BS/PCT[/CLASS/LEVEL][:...]  --random_generator NAME\n"
		"  --numa_cpu_nodes NODES  --numa_mem_policy MODE[:NODES]  --fill_device\n"
		"  --zonemode {none|strided}  --zonesize SIZE  --zonerange SIZE  --zoneskip SIZE\n"
		"  --latency_target USEC  --latency_window USEC  --latency_percentile PCT\n"
		"  --latency_run  --max_latency USEC[,USEC]\n"
		"  --write_bw_log[=NAME]  --write_lat_log[=NAME]  --write_iops_log[=NAME]\n"
		"  --log_avg_msec MS  --log_offset  --log_prio  --log_max_value  --per_job_logs=0|1\n"
		"Other options:\n"
		"  --job FILE             jobs from an ini job file in fio's syntax\n"
		"                         (command-line options are the defaults)\n"
		"  --output-format {normal|json|csv}   (-j = json)\n"
		"  --samples FILE         per-second throughput/IOPS samples as CSV\n"
		"  --no-progress          no progress line on a terminal\n"
		"Exit codes: 0 ok, 1 an I/O or verify error, 2 usage error.\n");
}

static volatile int run_stop;

static void on_sigint(int sig)
{
	run_stop = 1;
}

/* "[  5s] 2 running, read 123.4 MB/s 31.6k IOPS, write ..." over the last interval. */
static void run_progress(const struct bench_progress *p, void *arg)
{
	static struct bench_progress prev;
	double dt = (p->elapsed_ms - prev.elapsed_ms) / 1e3;

	if (dt <= 0)
		return;
	fprintf(stderr, "\r[%4.0fs] %u running, read %.1f MB/s %.0f IOPS, write %.1f MB/s "
		"%.0f IOPS   ", p->elapsed_ms / 1e3, p->running,
		(p->bytes[0] - prev.bytes[0]) / 1e6 / dt, (p->ios[0] - prev.ios[0]) / dt,
		(p->bytes[1] - prev.bytes[1]) / 1e6 / dt, (p->ios[1] - prev.ios[1]) / dt);
	prev = *p;
}

static int load_job_file(const char *path, const struct bench_job *base,
			 struct bench_job **jobs, unsigned int *njobs)
{
	const char *bad;
	unsigned int line;
	size_t len;
	char *text;
	int err;

	err = read_file_at(AT_FDCWD, path, 1 << 20, &text, &len);
	if (err)
		return cli_fail(EXIT_FAIL, "cannot read job file", path, "%s", strerror(-err));
	err = bench_ini_parse(text, base, jobs, njobs, &line, &bad);
	free(text);
	if (err == -ENODATA)
		return cli_usage_err("job file '%s' has no job section", path);
	if (err == -ENOENT)
		return cli_usage_err("%s:%u: unknown option '%s'", path, line, bad);
	if (err)
		return cli_usage_err("%s:%u: %s%s%s", path, line,
				     bad ? "bad value for '" : "syntax error",
				     bad ? bad : "", bad ? "'" : "");
	return 0;
}

static int run_jobs(struct bench_job *jobs, unsigned int njobs, enum bench_format fmt,
		    const char *samples, bool progress)
{
	struct bench_run_opts ro = { .sample_ms = 1000, .stop = &run_stop };
	struct bench_result *res;
	unsigned int n, i;
	bool failed = false;
	FILE *sf;
	int err;

	if (progress && isatty(STDERR_FILENO) && fmt == BENCH_FMT_TEXT)
		ro.progress = run_progress;
	signal(SIGINT, on_sigint);
	err = bench_run(jobs, njobs, &ro, &res, &n);
	signal(SIGINT, SIG_DFL);
	if (ro.progress)
		fprintf(stderr, "\r\033[K");
	if (err)
		return cli_fail(EXIT_FAIL, "cannot run", jobs[0].name, "%s", strerror(-err));
	/* Errors go to stderr only: the report (JSON too) carries them as well. */
	for (i = 0; i < n; i++) {
		const struct bench_job *j = &jobs[res[i].job];

		if (res[i].error == -ENOSPC && !res[i].dir[0].ios && !res[i].dir[1].ios)
			fprintf(stderr, "blkprio: job failed '%s': %s: empty or smaller than one "
				"block (give --size)\n", res[i].name, j->filename);
		else if (res[i].error && res[i].error_why[0])
			fprintf(stderr, "blkprio: job failed '%s': %s\n", res[i].name,
				res[i].error_why);
		else if (res[i].error)
			fprintf(stderr, "blkprio: job failed '%s': %s: %s\n", res[i].name,
				res[i].error_file[0] ? res[i].error_file : j->filename,
				strerror(-res[i].error));
		if (res[i].verify_errors)
			fprintf(stderr, "blkprio: verify failed '%s': %llu bad blocks, first bad "
				"byte at offset %llu\n", res[i].name,
				(unsigned long long)res[i].verify_errors,
				(unsigned long long)res[i].error_off);
		if (res[i].error || res[i].verify_errors)
			failed = true;
	}
	bench_report(stdout, fmt, jobs, njobs, res, n);
	if (samples) {
		sf = fopen(samples, "w");
		if (!sf || bench_report_samples(sf, res, n) || fclose(sf)) {
			cli_fail(EXIT_FAIL, "cannot write samples", samples, "%s", strerror(errno));
			failed = true;
		}
	}
	bench_results_free(res, n);
	return failed ? EXIT_FAIL : EXIT_OK;
}

int do_bench_run(int argc, char **argv)
{
	struct option opts[NFIO_MAX + 16] = { CLI_COMMON_OPTS };
	struct bench_job base, *jobs = NULL;
	const char *jobfile = NULL, *samples = NULL, *why, *name;
	enum bench_format fmt = BENCH_FMT_TEXT;
	unsigned int njobs = 0, nopt = 6, i, nfio;
	bool done, progress = true, flag;
	int c, code, err;

	opts[nopt++] = (struct option){ "job", required_argument, NULL, OPT_JOB };
	opts[nopt++] = (struct option){ "output-format", required_argument, NULL, OPT_FORMAT };
	opts[nopt++] = (struct option){ "samples", required_argument, NULL, OPT_SAMPLES };
	opts[nopt++] = (struct option){ "no-progress", no_argument, NULL, OPT_NOPROGRESS };
	for (nfio = 0; nfio < NFIO_MAX && (name = bench_job_opt(nfio, &flag)); nfio++)
		opts[nopt++] = (struct option){ name, flag ? optional_argument :
						required_argument, NULL, OPT_FIO + nfio };
	opts[nopt] = (struct option){ NULL, 0, NULL, 0 };
	bench_job_init(&base);
	snprintf(base.name, sizeof(base.name), "job1");
	while ((c = getopt_long(argc, argv, CLI_COMMON_SHORT, opts, NULL)) != -1) {
		if (cli_common_opt(c, optarg, &done, &code, run_usage)) {
			if (done)
				return code;
			continue;
		}
		if (c == OPT_JOB) {
			jobfile = optarg;
		} else if (c == OPT_SAMPLES) {
			samples = optarg;
		} else if (c == OPT_NOPROGRESS) {
			progress = false;
		} else if (c == OPT_FORMAT) {
			if (!strcmp(optarg, "normal") || !strcmp(optarg, "text"))
				fmt = BENCH_FMT_TEXT;
			else if (!strcmp(optarg, "json"))
				fmt = BENCH_FMT_JSON;
			else if (!strcmp(optarg, "csv"))
				fmt = BENCH_FMT_CSV;
			else
				return cli_usage_err("invalid --output-format '%s' "
						     "(normal, json or csv)", optarg);
		} else if (c >= OPT_FIO && c < OPT_FIO + (int)nfio) {
			name = bench_job_opt(c - OPT_FIO, &flag);
			err = bench_job_set(&base, name, optarg ? optarg : "1");
			if (err)
				return cli_usage_err("invalid value for --%s: '%s'", name,
						     optarg ? optarg : "");
		} else {
			return cli_usage_err("unknown option");
		}
	}
	if (cli.json)
		fmt = BENCH_FMT_JSON;
	if (optind < argc) {
		if (optind + 1 < argc)
			return cli_usage_err("unexpected argument '%s'", argv[optind + 1]);
		if (bench_job_set(&base, "filename", argv[optind]))
			return cli_usage_err("invalid target '%s'", argv[optind]);
	}
	if (jobfile) {
		code = load_job_file(jobfile, &base, &jobs, &njobs);
		if (code)
			return code;
	} else {
		jobs = malloc(sizeof(*jobs));
		if (!jobs)
			return cli_fail(EXIT_FAIL, "cannot run", NULL, "out of memory");
		jobs[0] = base;
		njobs = 1;
	}
	bench_jobs_group(jobs, njobs);
	if (bench_jobs_link(jobs, njobs, &i, &why)) {
		code = cli_usage_err("job '%s': %s", jobs[i].name, why);
		free(jobs);
		return code;
	}
	for (i = 0; i < njobs; i++)
		if (bench_job_check(&jobs[i], &why)) {
			code = cli_usage_err("job '%s': %s", jobs[i].name, why);
			free(jobs);
			return code;
		}
	code = run_jobs(jobs, njobs, fmt, samples, progress);
	free(jobs);
	return code;
}
