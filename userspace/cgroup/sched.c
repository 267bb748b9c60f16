// SPDX-License-Identifier: GPL-2.0
/*
 * Block devices and what the kernel offers for them: the scheduler (only
 * BFQ implements weights on v1, blkio.bfq.weight; on v2 BFQ, io.bfq.weight,
 * or the io.cost controller enabled for the device at the root, io.cost.qos
 * "MAJ:MIN enable=1", gives io.weight a meaning), the throttle files and
 * BTF for the latency probes. lever.c turns these facts into a lever.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <blkprio/fsutil.h>

#include "cgroup_priv.h"

static bool dev_name_ok(const char *name)
{
	return name[0] && name[0] != '.' && !strchr(name, '/') && strlen(name) < 32;
}

static int sysblock(const char *name, const char *file, char *buf, size_t len)
{
	char path[PATH_MAX];

	if (!dev_name_ok(name))
		return -EINVAL;
	snprintf(path, sizeof(path), "/sys/block/%s/%s", name, file);
	return read_line(path, buf, len);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void cg_dev_names_free(char **names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* Devices worth showing: a request queue, and some size (no idle loops). */
static bool dev_listed(const char *name)
{
	char buf[64];

	if (sysblock(name, "size", buf, sizeof(buf)) || !strcmp(buf, "0"))
		return false;
	return !sysblock(name, "queue/scheduler", buf, sizeof(buf));
}

int cg_dev_names(char ***names, size_t *n)
{
	char **v = NULL, **nv;
	size_t cnt = 0, cap = 0;
	struct dirent *de;
	DIR *d;
	int err;

	d = opendir("/sys/block");
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (!dev_name_ok(de->d_name) || !dev_listed(de->d_name))
			continue;
		if (cnt == cap) {
			cap = cap ? cap * 2 : 16;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				err = -ENOMEM;
				goto err_free;
			}
			v = nv;
		}
		v[cnt] = strdup(de->d_name);
		if (!v[cnt]) {
			err = -ENOMEM;
			goto err_free;
		}
		cnt++;
	}
	closedir(d);
	if (cnt)
		qsort(v, cnt, sizeof(*v), cmp_names);
	*names = v;
	*n = cnt;
	return 0;

err_free:
	closedir(d);
	cg_dev_names_free(v, cnt);
	return err;
}

/* "none [mq-deadline] kyber bfq": the bracketed one, and whether bfq is there. */
static void parse_sched(const char *s, char *active, size_t len, bool *bfq)
{
	char buf[256], *tok, *save, *end;

	snprintf(buf, sizeof(buf), "%s", s);
	active[0] = '\0';
	*bfq = false;
	for (tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		if (tok[0] == '[') {
			tok++;
			end = strchr(tok, ']');
			if (end)
				*end = '\0';
			snprintf(active, len, "%s", tok);
		}
		if (!strcmp(tok, "bfq"))
			*bfq = true;
	}
}

/* v2 root io.cost.qos: "8:0 enable=1 ctrl=auto ..." for the device? */
static bool iocost_enabled(const struct cg_layout *l, unsigned int maj, unsigned int min)
{
	char path[PATH_MAX], *buf, *line, *save, key[32];
	bool on = false;
	size_t len;

	if (!l->v2_mount[0])
		return false;
	if (snprintf(path, sizeof(path), "%s/io.cost.qos", l->v2_mount) >=
	    (int)sizeof(path))
		return false;
	if (read_file_at(AT_FDCWD, path, 1 << 20, &buf, &len))
		return false;
	snprintf(key, sizeof(key), "%u:%u ", maj, min);
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (!strncmp(line, key, strlen(key)) && strstr(line, " enable=1"))
			on = true;
	free(buf);
	return on;
}

/* v1: BFQ's cgroup files exist at the root once BFQ has group support. */
static bool bfq_groups(const struct cg_layout *l)
{
	char path[PATH_MAX];

	if (l->ver != CG_V1)
		return true;
	if (snprintf(path, sizeof(path), "%s/blkio.bfq.io_service_bytes", l->mount) >=
	    (int)sizeof(path))
		return false;
	return !access(path, F_OK);
}

/*
 * The running kernel has BFQ as a module (a line of its modules.dep). Read
 * once: the daemon asks for every device it sees.
 */
static bool bfq_module(void)
{
	static int known = -1;
	char path[PATH_MAX], *buf, *p;
	struct utsname u;
	size_t len;
	bool found = false;

	if (known >= 0)
		return known;
	known = 0;
	if (uname(&u))
		return false;
	if (snprintf(path, sizeof(path), "/lib/modules/%s/modules.dep", u.release) >=
	    (int)sizeof(path))
		return false;
	if (read_file_at(AT_FDCWD, path, 64 << 20, &buf, &len))
		return false;
	for (p = buf; (p = strstr(p, "/bfq.ko")); p++)
		if (p[7] == ':' || p[7] == '.') {
			found = true;
			break;
		}
	free(buf);
	known = found;
	return found;
}

/*
 * The throttle files: v1 has them at the root; v2 only below it, in any
 * cgroup whose parent enables io (none there yet: assume they come).
 */
static bool throttle_files(const struct cg_layout *l)
{
	char path[PATH_MAX];
	struct dirent *de;
	bool found = false, any = false;
	DIR *d;

	if (l->ver == CG_V1)
		return snprintf(path, sizeof(path), "%s/blkio.throttle.read_bps_device",
				l->mount) < (int)sizeof(path) && !access(path, F_OK);
	if (l->ver != CG_V2)
		return false;
	d = opendir(l->mount);
	if (!d)
		return false;
	while (!found && (de = readdir(d))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		if (snprintf(path, sizeof(path), "%s/%s/io.stat", l->mount, de->d_name) >=
		    (int)sizeof(path) || access(path, F_OK))
			continue;
		any = true;
		found = snprintf(path, sizeof(path), "%s/%s/io.max", l->mount, de->d_name) <
			(int)sizeof(path) && !access(path, F_OK);
	}
	closedir(d);
	return found || !any;
}

int cg_dev_check(const struct cg_layout *l, const char *name, struct cg_devcheck *c)
{
	char buf[256];
	int err;

	memset(c, 0, sizeof(*c));
	c->low_latency = -1;
	if (!dev_name_ok(name))
		return -EINVAL;
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->ver = l->ver;
	err = sysblock(name, "dev", buf, sizeof(buf));
	if (err)
		return err == -ENOENT ? -ENODEV : err;
	if (sscanf(buf, "%u:%u", &c->major, &c->minor) != 2)
		return -EIO;
	if (!sysblock(name, "size", buf, sizeof(buf)))
		c->sectors = strtoull(buf, NULL, 10);
	if (!sysblock(name, "queue/scheduler", buf, sizeof(buf)))
		parse_sched(buf, c->sched, sizeof(c->sched), &c->bfq_avail);
	c->bfq_module = !c->bfq_avail && bfq_module();
	if (!strcmp(c->sched, "bfq") &&
	    !sysblock(name, "queue/iosched/low_latency", buf, sizeof(buf)))
		c->low_latency = atoi(buf);
	c->bfq_groups = l->ver != CG_NONE && bfq_groups(l);
	c->iocost = l->ver == CG_V2 && iocost_enabled(l, c->major, c->minor);
	c->throttle = throttle_files(l);
	c->btf = !access("/sys/kernel/btf/vmlinux", R_OK);
	c->weights_work = l->ver != CG_NONE &&
			  ((!strcmp(c->sched, "bfq") && c->bfq_groups) || c->iocost);
	return 0;
}

int cg_dev_set_bfq(const char *name)
{
	char path[PATH_MAX], buf[256], active[16];
	bool bfq;
	int err;

	err = sysblock(name, "queue/scheduler", buf, sizeof(buf));
	if (err)
		return err == -ENOENT ? -ENODEV : err;
	parse_sched(buf, active, sizeof(active), &bfq);
	if (!strcmp(active, "bfq"))
		return 0;
	/* not offered yet: the kernel loads a BFQ module on this write, if it has one */
	snprintf(path, sizeof(path), "/sys/block/%s/queue/scheduler", name);
	err = write_string(path, "bfq");
	return err == -EINVAL || err == -ENOENT ? -ENOTSUP : err;
}

int cg_dev_queue_set(const char *name, const char *attr, const char *val,
		     char *old, size_t len)
{
	char path[PATH_MAX], file[64], buf[256];
	bool bfq;
	int err;

	snprintf(file, sizeof(file), "queue/%s", attr);
	err = sysblock(name, file, buf, sizeof(buf));
	if (err)
		return err == -ENOENT ? -ENODEV : err;
	if (!strcmp(attr, "scheduler")) {
		parse_sched(buf, old, len, &bfq);
		if (!old[0])
			snprintf(old, len, "none");
	} else {
		snprintf(old, len, "%s", buf);
	}
	snprintf(path, sizeof(path), "/sys/block/%s/%s", name, file);
	return write_string(path, val);
}
