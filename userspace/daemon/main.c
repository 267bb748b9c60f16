// SPDX-License-Identifier: GPL-2.0
/*
 * blkpriod: keeps every container's cgroup in step with its config.
 *
 * Start: lock RUN_DIR, reconcile every container, tell systemd we are ready
 * (Type=notify), then follow inotify events. SIGHUP reloads blkpriod.conf
 * and reconciles again; SIGTERM/SIGINT exit. Without --foreground it forks
 * and the parent returns once the child is ready.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <blkprio/log.h>

#include "daemon.h"
#include "metrics.h"

/*
 * Parts of the daemon beyond cgroups (metrics, latency) are rows here:
 * start after the first reconcile, reload on SIGHUP, stop at exit.
 */
struct dm_module {
	const char *name;
	int (*start)(struct daemon *d);
	void (*reload)(struct daemon *d);
	void (*stop)(struct daemon *d);
};

static const struct dm_module modules[] = {
	{ "task-ioprio", dm_tasks_start, dm_tasks_reload, dm_tasks_stop },
	{ "metrics", dm_metrics_start, dm_metrics_reload, dm_metrics_stop },
	/* after the probes: the caps lever needs them */
	{ "levers", dm_levers_start, dm_levers_reload, dm_levers_stop },
	{ "share", dm_share_start, dm_share_reload, dm_share_stop },
	{ NULL, NULL, NULL, NULL },
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: blkpriod [OPTIONS]\n\n"
		"Apply every container's IOPRIO/IOLIMIT/IOPSLIMIT to its cgroup, live.\n\n"
		"  -c, --config FILE    daemon config (default %s)\n"
		"  -C, --conf-dir DIRS  container config folders (overrides CONF_DIRS)\n"
		"  -R, --run-dir DIR    runtime folder (overrides RUN_DIR)\n"
		"  -f, --foreground     do not fork (systemd, tests)\n"
		"      --once           reconcile every container once and exit\n"
		"  -v, --verbose        debug messages      -q, --quiet  warnings and errors only\n"
		"  -h, --help           this help           -V, --version\n\n"
		"Signals: HUP reloads the config and reconciles; TERM and INT exit.\n",
		CG_CONFIG_DEFAULT);
}

static int parse_args(struct daemon *d, int argc, char **argv, int *level)
{
	enum { OPT_ONCE = 0x100 };
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "conf-dir", required_argument, NULL, 'C' },
		{ "run-dir", required_argument, NULL, 'R' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "once", no_argument, NULL, OPT_ONCE },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "c:C:R:fvqhV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			d->config_path = optarg;
			break;
		case 'C':
			d->conf_dirs_opt = optarg;
			break;
		case 'R':
			d->run_dir_opt = optarg;
			break;
		case 'f':
			d->foreground = true;
			break;
		case OPT_ONCE:
			d->once = true;
			break;
		case 'v':
			*level = LOG_DEBUG;
			break;
		case 'q':
			*level = LOG_WARNING;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("blkpriod %s\n", BLKPRIO_VERSION);
			exit(0);
		default:
			fprintf(stderr, "Try 'blkpriod --help'.\n");
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "blkpriod: unexpected argument '%s'\nTry 'blkpriod --help'.\n",
			argv[optind]);
		return 2;
	}
	if (!d->config_path)
		d->config_path = CG_CONFIG_DEFAULT;
	return 0;
}

static void reconcile_logged(struct daemon *d, const char *why)
{
	uint64_t t0 = dm_now_ns();
	unsigned int n = 0;

	dm_reconcile_all(d, &n);
	log_notice("%s: %u containers reconciled in %.1f ms (cgroup %s %s at %s)", why, n,
		   (double)(dm_now_ns() - t0) / 1e6, cg_controller_name(&d->cx.layout),
		   cg_version_name(d->cx.layout.ver),
		   d->cx.layout.mount[0] ? d->cx.layout.mount : "-");
}

static void reload(struct daemon *d)
{
	const struct dm_module *m;

	dm_notify("RELOADING=1");
	log_notice("SIGHUP: reloading %s", d->config_path);
	dm_watch_fini(d);
	if (dm_config_load(d))
		log_err("reload failed; keeping the previous settings where possible");
	dm_apply_bfq_devices(d);
	if (dm_watch_init(d))
		log_err("inotify: %s", strerror(errno));
	reconcile_logged(d, "reload");
	for (m = modules; m->name; m++)
		if (m->reload)
			m->reload(d);
	dm_notify("READY=1");
}

static void signal_ready(struct daemon *d, int fd, uint32_t events, void *ctx)
{
	struct signalfd_siginfo si;

	while (read(fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			reload(d);
			continue;
		}
		log_notice("signal %u: exiting", si.ssi_signo);
		d->stop = true;
	}
}

static int setup_signals(struct daemon *d)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -errno;
	signal(SIGPIPE, SIG_IGN);
	d->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (d->sigfd < 0)
		return -errno;
	return dm_add_fd(d, d->sigfd, EPOLLIN, signal_ready, NULL);
}

/* Fork; the parent waits for "ready" (one byte) on a pipe and exits. */
static int daemonize(int *ready_fd)
{
	int p[2];
	char c = 1;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0) {
		close(p[1]);
		if (read(p[0], &c, 1) != 1)
			c = 1;	/* the child died before it was ready */
		_exit(c ? 1 : 0);
	}
	close(p[0]);
	setsid();
	if (chdir("/"))
		return -errno;
	/* stderr stays: it carries the log */
	if (!freopen("/dev/null", "r", stdin) || !freopen("/dev/null", "w", stdout))
		return -errno;
	*ready_fd = p[1];
	return 0;
}

static void tell_parent(int *ready_fd, char status)
{
	if (*ready_fd < 0)
		return;
	if (write(*ready_fd, &status, 1) != 1)
		log_debug("parent gone");
	close(*ready_fd);
	*ready_fd = -1;
}

static int run(struct daemon *d, int *ready_fd)
{
	const struct dm_module *m;
	int err;

	err = dm_config_load(d);
	if (err)
		return err;
	err = dm_lock(d);
	if (err) {
		if (err != -EBUSY)
			log_err("%s/blkpriod.lock: %s", d->run_dir, strerror(-err));
		return err;
	}
	dm_apply_bfq_devices(d);
	err = dm_loop_init(d);
	if (!err)
		err = setup_signals(d);
	if (!err && !d->once)
		err = dm_watch_init(d);
	if (err) {
		log_err("event loop: %s", strerror(-err));
		return err;
	}
	/* watches first, then the scan: nothing made meanwhile is missed */
	reconcile_logged(d, "start");
	if (d->once)
		return 0;
	for (m = modules; m->name; m++) {
		err = m->start ? m->start(d) : 0;
		if (err) {
			log_err("%s: %s", m->name, strerror(-err));
			return err;
		}
	}
	dm_notify("READY=1");
	tell_parent(ready_fd, 0);
	err = dm_run(d);
	dm_notify("STOPPING=1");
	for (m = modules; m->name; m++)
		if (m->stop)
			m->stop(d);
	return err;
}

int main(int argc, char **argv)
{
	struct daemon d = { .epfd = -1, .sigfd = -1, .inofd = -1, .lockfd = -1 };
	int level = LOG_INFO, code, err, ready_fd = -1;

	log_init("blkpriod", level);
	code = parse_args(&d, argc, argv, &level);
	if (code)
		return code;
	log_set_level(level);
	if (!d.foreground && !d.once) {
		err = daemonize(&ready_fd);
		if (err) {
			log_err("fork: %s", strerror(-err));
			return 1;
		}
	}
	err = run(&d, &ready_fd);
	tell_parent(&ready_fd, 1);
	dm_watch_fini(&d);
	if (d.sigfd >= 0)
		close(d.sigfd);
	dm_loop_fini(&d);
	ctable_free(&d.cts);
	free(d.dirty);
	dm_config_free(&d);
	if (d.lockfd >= 0)
		close(d.lockfd);
	return err ? 1 : 0;
}
