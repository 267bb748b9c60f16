// SPDX-License-Identifier: GPL-2.0
/*
 * Block devices and their schedulers: can a weight take effect here? Only
 * BFQ implements weights on v1 (blkio.bfq.weight); on v2 either BFQ
 * (io.bfq.weight) or the io.cost controller enabled for the device at the
 * root (io.cost.qos "MAJ:MIN enable=1") gives io.weight a meaning.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

int cg_dev_check(const struct cg_layout *l, const char *name, struct cg_devcheck *c)
{
	char buf[256];
	int err;

	memset(c, 0, sizeof(*c));
	c->low_latency = -1;
	if (!dev_name_ok(name))
		return -EINVAL;
	snprintf(c->name, sizeof(c->name), "%s", name);
	err = sysblock(name, "dev", buf, sizeof(buf));
	if (err)
		return err == -ENOENT ? -ENODEV : err;
	if (sscanf(buf, "%u:%u", &c->major, &c->minor) != 2)
		return -EIO;
	if (!sysblock(name, "queue/scheduler", buf, sizeof(buf)))
		parse_sched(buf, c->sched, sizeof(c->sched), &c->bfq_avail);
	if (!strcmp(c->sched, "bfq") &&
	    !sysblock(name, "queue/iosched/low_latency", buf, sizeof(buf)))
		c->low_latency = atoi(buf);
	c->iocost = l->ver == CG_V2 && iocost_enabled(l, c->major, c->minor);

	if (l->ver == CG_NONE)
		c->why = "no blkio/io cgroup controller is mounted";
	else if (!strcmp(c->sched, "bfq") && !bfq_groups(l))
		c->why = "BFQ without cgroup support (CONFIG_BFQ_GROUP_IOSCHED): "
			 "weights cannot apply";
	else if (!strcmp(c->sched, "bfq") || c->iocost)
		c->weights_work = true;
	else if (!c->sched[0])
		c->why = "no I/O scheduler (bio-based device): weights cannot apply";
	else if (c->bfq_avail)
		c->why = "scheduler is not bfq: weights are ignored ('blkprio check --fix' "
			 "sets bfq)";
	else
		c->why = "bfq is not available (modprobe bfq) and io.cost is off";
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
	if (!bfq)
		return -ENOTSUP;
	snprintf(path, sizeof(path), "/sys/block/%s/queue/scheduler", name);
	return write_string(path, "bfq");
}
