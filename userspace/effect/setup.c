// SPDX-License-Identifier: GPL-2.0
/*
 * The containers of an effect run, made the way a real host makes them:
 * config files in a config folder, blkpriod started on it, a cgroup per
 * container; the weights in the kernel are blkpriod's doing, not ours.
 */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <poll.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/fs.h>

#include <blkprio/fsutil.h>
#include <blkprio/qcow2.h>

#include "effect_priv.h"

#define WEIGHT_WAIT_MS	5000

void effect_env_init(struct effect_env *e)
{
	memset(e, 0, sizeof(*e));
	e->daemon = -1;
	e->notify_fd = -1;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static int write_text(const char *path, const char *text)
{
	int fd, err;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	err = write_all(fd, text, strlen(text));
	if (close(fd) && !err)
		err = -errno;
	return err;
}

int effect_env_make(struct effect_env *e, const struct effect_opts *o, char *why,
		    size_t len)
{
	const char *base = o->workdir ? o->workdir : "/var/tmp", *bad;
	int err;

	if (strlen(base) > EFFECT_PATH - 32) {
		snprintf(why, len, "work folder path too long");
		return -ENAMETOOLONG;
	}
	snprintf(e->dir, sizeof(e->dir), "%s/blkprio-effect.XXXXXX", base);
	if (!mkdtemp(e->dir)) {
		err = -errno;
		snprintf(why, len, "cannot make a work folder in %s: %s", base, strerror(errno));
		e->dir[0] = '\0';
		return err;
	}
	snprintf(e->conf_dir, sizeof(e->conf_dir), "%s/conf", e->dir);
	snprintf(e->run_dir, sizeof(e->run_dir), "%s/run", e->dir);
	snprintf(e->config, sizeof(e->config), "%s/blkpriod.conf", e->dir);
	snprintf(e->parent, sizeof(e->parent), "blkprio-effect-%d", (int)getpid());
	if (mkdir(e->conf_dir, 0755) || mkdir(e->run_dir, 0755)) {
		err = -errno;
		snprintf(why, len, "cannot make %s: %s", e->conf_dir, strerror(errno));
		return err;
	}
	err = prio_map_parse(o->weight_map ? o->weight_map : "openvz", &e->map, &bad);
	if (err) {
		snprintf(why, len, "WEIGHT_MAP '%s': %s", o->weight_map, bad);
		return err;
	}
	err = cg_layout_detect(&e->layout);
	if (err)
		snprintf(why, len, "no blkio (v1) or io (v2) cgroup controller on this host");
	return err;
}

int effect_env_config(struct effect_env *e, const struct effect_opts *o,
		      const struct effect_dev *dev, char *why, size_t len)
{
	char text[2048];
	int err;

	/* Metrics off unless asked: a daemon of the host may hold the port. */
	snprintf(text, sizeof(text),
		 "# blkpriod for a `blkprio bench effect` run\n"
		 "CONF_DIRS=\"%s\"\nRUN_DIR=\"%s\"\nCGROUP_PATHS=\"%s/%%s\"\n"
		 "WEIGHT_MAP=\"%s\"\nMETRICS_LISTEN=\"%s\"\nLATENCY=\"%s\"\n"
		 "SHARE_CONTROL=\"%s\"\nSHARE_DEVICES=\"%s\"\nSHARE_MEASURE=\"%s\"\n"
		 "SHARE_LEVERS=\"%s\"\n",
		 e->conf_dir, e->run_dir, e->parent,
		 o->weight_map ? o->weight_map : "openvz", o->metrics ? o->metrics : "no",
		 o->control == EFFECT_CONTROL_OFF ? "no" : "yes",
		 o->control == EFFECT_CONTROL_ON ? "yes" :
		 o->control == EFFECT_CONTROL_OFF ? "no" : "auto", dev->name,
		 share_measure_name(o->measure), share_levers_name(o->levers));
	err = write_text(e->config, text);
	if (err)
		snprintf(why, len, "cannot write %s: %s", e->config, strerror(-err));
	return err;
}

int effect_env_lever(struct effect_env *e, const struct effect_dev *dev,
		     struct effect_report *r, char *why, size_t len)
{
	struct cg_config cfg;
	struct cg_devcheck c;
	int err;

	err = cg_config_init(&cfg);
	if (!err)
		err = cg_config_load(&cfg, e->config, NULL, NULL);
	if (!err)
		err = cg_dev_check(&e->layout, dev->name, &c);
	if (err) {
		snprintf(why, len, "the lever of %s: %s", dev->name, strerror(-err));
		cg_config_free(&cfg);
		return err;
	}
	cg_dev_lever(&c, &cfg, c.btf, &e->lever);
	cg_config_free(&cfg);
	snprintf(r->lever, sizeof(r->lever), "%s", cg_lever_name(e->lever.lever));
	snprintf(r->lever_why, sizeof(r->lever_why), "%s", e->lever.why);
	snprintf(r->control, sizeof(r->control), "%s", e->lever.share ? "on" : "off");
	return 0;
}

/* blkpriod in the foreground, telling its readiness on a socket of ours. */
static int start_daemon(struct effect_env *e, const struct effect_opts *o)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	pid_t pid;

	if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/notify", e->dir) >=
	    sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	e->notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (e->notify_fd < 0 || bind(e->notify_fd, (struct sockaddr *)&sa, sizeof(sa)))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		setenv("NOTIFY_SOCKET", sa.sun_path, 1);
		execl(o->daemon, "blkpriod", "--foreground", "--quiet", "--config", e->config,
		      (char *)NULL);
		_exit(127);
	}
	e->daemon = pid;
	return 0;
}

static int daemon_gone(struct effect_env *e, const struct effect_opts *o, char *why,
		       size_t len)
{
	int status;

	if (waitpid(e->daemon, &status, WNOHANG) != e->daemon)
		return 0;
	e->daemon = -1;
	snprintf(why, len, "blkpriod (%s) exited with status %d", o->daemon,
		 WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	return -ECHILD;
}

/* Until blkpriod says READY=1: it reconciled and its share control runs. */
static int wait_ready(struct effect_env *e, const struct effect_opts *o, char *why,
		      size_t len)
{
	struct pollfd p = { .fd = e->notify_fd, .events = POLLIN };
	char msg[256];
	unsigned int ms;
	ssize_t n;
	int err;

	for (ms = 0; ms < WEIGHT_WAIT_MS; ms += 10) {
		err = daemon_gone(e, o, why, len);
		if (err)
			return err;
		while (poll(&p, 1, 10) > 0) {
			n = recv(e->notify_fd, msg, sizeof(msg) - 1, MSG_DONTWAIT);
			if (n <= 0)
				break;
			msg[n] = '\0';
			if (strstr(msg, "READY=1"))
				return 0;
		}
		if (o->stop && *o->stop)
			return -EINTR;
	}
	snprintf(why, len, "blkpriod was not ready within %u ms", WEIGHT_WAIT_MS);
	return -ETIMEDOUT;
}

/*
 * Until blkpriod has put every container's weight into the kernel, where
 * the lever is a weight; caps need no wait (share control acts on I/O).
 */
static int wait_weights(struct effect_env *e, const struct effect_opts *o,
			struct effect_report *r, char *why, size_t len)
{
	struct cg_weights w;
	unsigned int i, ms, ok;
	int err;

	for (i = 0; i < o->ncts; i++)
		r->ct[i].weight_kernel = -1;
	if (!cg_lever_is_weight(e->lever.lever))
		return 0;
	for (ms = 0; ms < WEIGHT_WAIT_MS; ms += 10) {
		err = daemon_gone(e, o, why, len);
		if (err)
			return err;
		for (i = ok = 0; i < o->ncts; i++)
			if (!cg_weight_get(&e->layout, r->ct[i].cgroup, &w) &&
			    cg_weight_matches(&e->map, o->prio[i], &w)) {
				r->ct[i].weight_kernel = w.bfq >= 0 ? w.bfq : w.io;
				ok++;
			}
		if (ok == o->ncts)
			return 0;
		if (o->stop && *o->stop)
			return -EINTR;
		sleep_ms(10);
	}
	snprintf(why, len, "blkpriod did not apply the weights within %u ms", WEIGHT_WAIT_MS);
	return -ETIMEDOUT;
}

int effect_env_containers(struct effect_env *e, const struct effect_opts *o,
			  struct effect_report *r, char *why, size_t len)
{
	char path[EFFECT_PATH + 64], text[64];
	unsigned int i;
	int err;

	for (i = 0; i < o->ncts; i++) {
		snprintf(r->ct[i].ctid, sizeof(r->ct[i].ctid), "%u", 101 + i);
		snprintf(r->ct[i].cgroup, sizeof(r->ct[i].cgroup), "%s/%u", e->parent, 101 + i);
		snprintf(path, sizeof(path), "%s/%s.conf", e->conf_dir, r->ct[i].ctid);
		snprintf(text, sizeof(text), "# effect container %u\nIOPRIO=\"%d\"\n", i,
			 o->prio[i]);
		err = write_text(path, text);
		if (err) {
			snprintf(why, len, "cannot write %s: %s", path, strerror(-err));
			return err;
		}
	}
	err = start_daemon(e, o);
	if (err) {
		snprintf(why, len, "cannot start %s: %s", o->daemon, strerror(-err));
		return err;
	}
	err = wait_ready(e, o, why, len);
	if (err)
		return err;
	/* Containers start after blkpriod: it must notice their cgroups appear. */
	err = cg_create(&e->layout, e->parent);
	if (err && err != -EEXIST) {
		snprintf(why, len, "cannot create cgroup %s: %s", e->parent, strerror(-err));
		return err;
	}
	e->ncg = 0;
	for (i = 0; i < o->ncts; i++) {
		err = cg_create(&e->layout, r->ct[i].cgroup);
		if (err) {
			snprintf(why, len, "cannot create cgroup %s: %s", r->ct[i].cgroup,
				 strerror(-err));
			return err;
		}
		e->ncg++;
	}
	return wait_weights(e, o, r, why, len);
}

static int dev_size(const struct effect_dev *d, uint64_t *size)
{
	return ioctl(d->fd, BLKGETSIZE64, size) ? -errno : 0;
}

static int run_cmd(char *const argv[])
{
	int status, devnull;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		devnull = open("/dev/null", O_WRONLY);
		if (devnull >= 0)
			dup2(devnull, STDOUT_FILENO);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -errno;
	return WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : -EIO;
}

/* One qcow2 image per container on a filesystem made on the device. */
static int make_images(struct effect_env *e, const struct effect_dev *d,
		       const struct effect_opts *o, uint64_t size, struct effect_target *t,
		       char *why, size_t len)
{
	char *mkfs[] = { "mkfs.ext4", "-q", "-F", "-E", "nodiscard", (char *)d->path, NULL };
	struct qcow2_create_opts co;
	uint64_t each;
	unsigned int i;
	int err;

	err = run_cmd(mkfs);
	if (err) {
		snprintf(why, len, "mkfs.ext4 on %s failed", d->path);
		return err;
	}
	snprintf(e->mnt, sizeof(e->mnt), "%s/mnt", e->dir);
	if (mkdir(e->mnt, 0755) || mount(d->path, e->mnt, "ext4", 0, NULL)) {
		err = -errno;
		snprintf(why, len, "cannot mount %s on %s: %s", d->path, e->mnt, strerror(errno));
		e->mnt[0] = '\0';
		return err;
	}
	/* Leave a fifth of the filesystem for its own metadata. */
	each = (size / 5 * 4 / o->ncts) & ~((1ull << 20) - 1);
	for (i = 0; i < o->ncts; i++) {
		snprintf(t[i].spec, sizeof(t[i].spec), "img:%s/ct%u.qcow2", e->mnt, i);
		qcow2_create_opts_init(&co, each);
		co.prealloc = QCOW2_PREALLOC_FULL;	/* real blocks: reads reach the disk */
		err = qcow2_create(t[i].spec + 4, &co, QCOW2_CREATE_EXCL);
		if (err) {
			snprintf(why, len, "cannot create %s: %s", t[i].spec + 4, strerror(-err));
			return err;
		}
		t[i].offset = 0;
		t[i].size = each;
	}
	sync();
	return 0;
}

int effect_env_disks(struct effect_env *e, const struct effect_dev *d,
		     const struct effect_opts *o, struct effect_target *t,
		     char *why, size_t len)
{
	uint64_t size, each;
	unsigned int i;
	int err;

	err = dev_size(d, &size);
	if (err) {
		snprintf(why, len, "cannot size %s: %s", d->path, strerror(-err));
		return err;
	}
	if (o->disk == EFFECT_DISK_QCOW2)
		return make_images(e, d, o, size, t, why, len);
	/* Raw: each container its own region of the device. */
	each = (size / o->ncts) & ~((1ull << 20) - 1);
	if (!each) {
		snprintf(why, len, "%s is too small for %u containers", d->path, o->ncts);
		return -ENOSPC;
	}
	for (i = 0; i < o->ncts; i++) {
		snprintf(t[i].spec, sizeof(t[i].spec), "%s", d->path);
		t[i].offset = each * i;
		t[i].size = each;
	}
	return 0;
}

int effect_env_set(const struct effect_env *e, const struct effect_opts *o,
		   const char *ctid, int ioprio)
{
	char prio[16];
	char *argv[] = { (char *)o->cli, "--conf-dir", (char *)e->conf_dir, "--run-dir",
			 (char *)e->run_dir, "--config", (char *)e->config, "set",
			 (char *)ctid, "--ioprio", prio, NULL };

	snprintf(prio, sizeof(prio), "%d", ioprio);
	return run_cmd(argv);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path) ? 0 : 0;	/* best effort: keep going */
}

void effect_env_release(struct effect_env *e, const struct effect_report *r)
{
	unsigned int i;
	int status, tries;

	if (e->daemon > 0) {
		kill(e->daemon, SIGTERM);
		for (tries = 0; tries < 300; tries++) {
			if (waitpid(e->daemon, &status, WNOHANG) == e->daemon)
				break;
			sleep_ms(10);
		}
		if (tries == 300) {
			kill(e->daemon, SIGKILL);
			waitpid(e->daemon, &status, 0);
		}
		e->daemon = -1;
	}
	for (i = 0; i < e->ncg; i++)
		for (tries = 0; tries < 100 && cg_destroy(&e->layout, r->ct[i].cgroup) == -EBUSY;
		     tries++)
			sleep_ms(10);	/* its last task is still exiting */
	if (e->parent[0] && e->layout.ver != CG_NONE)
		cg_destroy(&e->layout, e->parent);
	if (e->mnt[0])
		umount2(e->mnt, MNT_DETACH);
	if (e->notify_fd >= 0)
		close(e->notify_fd);
	e->notify_fd = -1;
	if (e->dir[0])
		nftw(e->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	e->dir[0] = '\0';
}
