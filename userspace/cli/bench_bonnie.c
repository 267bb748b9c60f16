// SPDX-License-Identifier: GPL-2.0
/* blkprio bench bonnie: bonnie++ 2.00's tests, table, CSV; JSON with percentiles. */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <blkprio/bench.h>
#include <blkprio/parse.h>

#include "cli.h"

static void bonnie_usage(FILE *out)
{
	fprintf(out,
		"Usage: blkprio bench bonnie [-d DIR] [-s SIZE[:CHUNK[:SEEKS[:SEEKERS]]]]\n"
		"         [-n NUM[:MAX[:MIN[:DIRS[:CHUNK]]]]] [-m NAME] [-r RAM] [-x RUNS]\n"
		"         [-u USER[:GROUP]] [-g GROUP] [-z SEED] [-q] [-f[SIZE]] [-b] [-D] [--json]\n\n"
		"bonnie++ 2.00's tests with its semantics, its result table and CSV line\n"
		"(format 1.98, for bon_csv2html and bon_csv2txt).\n\n"
		"  -d DIR     directory for the test file and files (default .)\n"
		"  -s SIZE    file size in MiB (g, t suffixes); 0 skips the I/O tests;\n"
		"             default twice the RAM (at least 300M)\n"
		"  -n NUM     file tests with NUM*1024 files; 0 skips them (default 16)\n"
		"  -m NAME    machine name in the results (default the host name)\n"
		"  -r RAM     RAM in MiB for the size checks (0: no checks)\n"
		"  -x RUNS    run the tests RUNS times: CSV lines only, after a header\n"
		"  -u USER[:GROUP], -g GROUP   run as this user and group\n"
		"  -z SEED    random seed       -q  quiet: CSV on stdout, table on stderr\n"
		"  -f         skip per-char tests; -fSIZE: per-char tests of SIZE MiB (default 3)\n"
		"  -b         fsync every created file and seek update    -D  O_DIRECT block writes\n"
		"  -j, --json every test's rate, CPU, byte counts and latency percentiles\n");
}

/* Interrupted: remove the (possibly huge) test file, then die by the signal. */
static char test_file[PATH_MAX];

static void on_signal(int sig)
{
	if (test_file[0])
		unlink(test_file);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void bonnie_progress(void *arg, const char *text)
{
	fputs(text, stderr);
	fflush(stderr);
}

static int parse_mb(const char *s, uint64_t *out)
{
	long long v;

	if (parse_int_range(s, 0, 1ll << 40, &v))
		return -EINVAL;
	*out = v;
	return 0;
}

static int drop_privileges(const char *user, const char *group)
{
	char name[256], *colon;
	struct passwd *pw;
	struct group *gr;
	uid_t uid;
	gid_t gid;

	snprintf(name, sizeof(name), "%s", user ? user : "");
	colon = strchr(name, ':');
	if (colon) {
		*colon = '\0';
		if (!group)
			group = colon + 1;
	}
	pw = getpwnam(name);
	if (user && !pw)
		return cli_fail(EXIT_USAGE, "unknown user", name, "not in the user database");
	uid = pw ? pw->pw_uid : getuid();
	gid = pw ? pw->pw_gid : getgid();
	if (group) {
		gr = getgrnam(group);
		if (!gr)
			return cli_fail(EXIT_USAGE, "unknown group", group, "not in the group database");
		gid = gr->gr_gid;
	}
	if (setgroups(0, NULL) && errno != EPERM)
		return cli_fail(EXIT_FAIL, "cannot drop groups", NULL, "%s", strerror(errno));
	if (setgid(gid) || setuid(uid))
		return cli_fail(EXIT_FAIL, "cannot change to user", name, "%s", strerror(errno));
	fprintf(stderr, "Using uid:%d, gid:%d.\n", (int)uid, (int)gid);
	return 0;
}

static void default_size(struct bonnie_opts *o)
{
	uint64_t mb = o->ram_mb * 2;

	if (mb < 300)
		mb = 300;
	if (mb % 1024 > 512)
		mb += 1024 - mb % 1024;
	o->size_mb = mb;
}

static int run_all(struct bonnie_opts *o, unsigned int runs, bool quiet)
{
	struct bonnie_result *r = malloc(sizeof(*r));
	unsigned int i;
	int err = 0;

	if (!r)
		return cli_fail(EXIT_FAIL, "cannot run", NULL, "out of memory");
	/* One seed for every run, as bonnie++ reuses its seed with -x. */
	if (!o->seed_set) {
		o->seed = (uint32_t)((uint64_t)getpid() ^ (uint64_t)time(NULL) << 8);
		o->seed_set = true;
	}
	if (cli.json)
		printf("{\"runs\":[");
	else if (runs > 1)
		bonnie_print_csv_header(stdout);
	for (i = 0; i < runs; i++) {
		err = bonnie_run(o, r);
		if (err) {
			/* stderr only: in JSON the error closes the document below. */
			fprintf(stderr, "blkprio: test failed '%s': %s in '%s'\n",
				r->failed >= 0 ? bonnie_test_name(r->failed) : "setup",
				strerror(-err), o->dir);
			break;
		}
		if (cli.json) {
			if (i)
				putchar(',');
			bonnie_print_json(stdout, o, r);
		} else if (runs > 1) {
			bonnie_print_csv(stdout, o, r);
		} else if (o->size_mb || o->files) {	/* bonnie++ prints nothing else */
			bonnie_print_text(quiet ? stderr : stdout, o, r);
			bonnie_print_csv(stdout, o, r);
		}
		fflush(stdout);
	}
	if (cli.json && err)
		printf("],\"error\":\"%s: %s\"}\n", r->failed >= 0 ? bonnie_test_name(r->failed) :
		       "setup", strerror(-err));
	else if (cli.json)
		printf("]}\n");
	free(r);
	return err ? EXIT_FAIL : EXIT_OK;
}

int do_bench_bonnie(int argc, char **argv)
{
	static const struct option opts[] = { CLI_COMMON_OPTS, { NULL, 0, NULL, 0 } };
	const char *user = NULL, *group = NULL;
	char host[65] = "localhost";
	struct bonnie_opts o;
	struct utsname un;
	unsigned int runs = 1;
	long long v;
	bool quiet = false, done;
	struct stat st;
	int c, code;

	bonnie_opts_init(&o);
	while ((c = getopt_long(argc, argv, "bc:d:f::g:m:n:qr:s:u:x:z:Djh", opts, NULL)) != -1) {
		if (c != 'p' && cli_common_opt(c, optarg, &done, &code, bonnie_usage)) {
			if (done)
				return code;
			continue;
		}
		switch (c) {
		case 'b':
			o.sync_files = true;
			break;
		case 'c':
			if (parse_int_range(optarg, 1, 200, &v))
				return cli_usage_err("invalid -c '%s' (1..200)", optarg);
			o.concurrency = (unsigned int)v;
			break;
		case 'd':
			o.dir = optarg;
			break;
		case 'f':
			if (!optarg)
				o.no_byte_io = true;
			else if (parse_mb(optarg, &o.byte_io_mb) || !o.byte_io_mb)
				return cli_usage_err("invalid -f '%s' (MiB of per-char I/O)", optarg);
			break;
		case 'g':
			group = optarg;
			break;
		case 'm':
			if (!*optarg || strchr(optarg, ','))
				return cli_usage_err("invalid -m '%s' (no commas: it goes into CSV)",
						     optarg);
			o.name = optarg;
			break;
		case 'n':
			if (bonnie_parse_files(&o, optarg))
				return cli_usage_err("invalid -n '%s' (NUM[:MAX[:MIN[:DIRS[:CHUNK]]]])",
						     optarg);
			break;
		case 'q':
			quiet = true;
			break;
		case 'r':
			if (parse_mb(optarg, &o.ram_mb))
				return cli_usage_err("invalid -r '%s' (RAM in MiB)", optarg);
			o.ram_set = true;
			break;
		case 's':
			if (bonnie_parse_size(&o, optarg))
				return cli_usage_err("invalid -s '%s' (SIZE[:CHUNK[:SEEKS[:SEEKERS]]])",
						     optarg);
			break;
		case 'u':
			user = optarg;
			break;
		case 'x':
			if (parse_int_range(optarg, 1, 10000, &v))
				return cli_usage_err("invalid -x '%s'", optarg);
			runs = (unsigned int)v;
			break;
		case 'z':
			if (parse_int_range(optarg, 0, 1ll << 62, &v))
				return cli_usage_err("invalid -z '%s'", optarg);
			o.seed = (uint64_t)v;
			o.seed_set = true;
			break;
		case 'D':
			o.direct = true;
			break;
		default:
			return cli_usage_err("unknown option");
		}
	}
	if (optind < argc)
		return cli_usage_err("unexpected argument '%s'", argv[optind]);
	if (o.direct && !o.no_byte_io)
		return cli_usage_err("-D needs -f (one-byte writes cannot be O_DIRECT)");
	if (stat(o.dir, &st) || !S_ISDIR(st.st_mode))
		return cli_fail(EXIT_FAIL, "cannot use directory", o.dir, "%s",
				errno && !S_ISDIR(st.st_mode) ? strerror(errno) : "not a directory");
	if (!o.name) {
		if (!uname(&un))
			snprintf(host, sizeof(host), "%s", un.nodename);
		o.name = host;
	}
	if (!o.ram_set)
		o.ram_mb = (uint64_t)sysconf(_SC_PHYS_PAGES) * sysconf(_SC_PAGESIZE) >> 20;
	if (!o.size_set)
		default_size(&o);
	else if (o.size_mb && o.ram_mb && o.size_mb * o.concurrency < 2 * o.ram_mb)
		fprintf(stderr, "blkprio bench bonnie: warning: file size %lluM is under twice "
			"the RAM (%lluM): the page cache is measured, not the disk "
			"(state the RAM with -r)\n", (unsigned long long)o.size_mb,
			(unsigned long long)o.ram_mb);
	if ((user || group) && (code = drop_privileges(user, group)))
		return code;
	if (!quiet)
		o.progress = bonnie_progress;
	snprintf(test_file, sizeof(test_file), "%s/Bonnie.%d", o.dir, (int)getpid());
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	return run_all(&o, runs, quiet);
}
