// SPDX-License-Identifier: GPL-2.0
/*
 * io.cost on cgroup v2: the linear cost model of a device (io.cost.model,
 * "MAJ:MIN ctrl=user model=linear rbps=N rseqiops=N rrandiops=N wbps=N
 * wseqiops=N wrandiops=N") and its switch (io.cost.qos "MAJ:MIN enable=1").
 * Both files live at the cgroup2 root only; with io.cost enabled for a
 * device, io.weight divides it (sched.c sees it, lever.c picks iocost).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <blkprio/fsutil.h>

#include "cgroup_priv.h"

static const char *const param_names[CG_IOCOST_NPARAMS] = {
	[CG_IOCOST_RBPS] = "rbps", [CG_IOCOST_RSEQIOPS] = "rseqiops",
	[CG_IOCOST_RRANDIOPS] = "rrandiops", [CG_IOCOST_WBPS] = "wbps",
	[CG_IOCOST_WSEQIOPS] = "wseqiops", [CG_IOCOST_WRANDIOPS] = "wrandiops",
};

const char *cg_iocost_param_name(unsigned int i)
{
	return i < CG_IOCOST_NPARAMS ? param_names[i] : NULL;
}

static int param_index(const char *key, size_t len)
{
	unsigned int i;

	for (i = 0; i < CG_IOCOST_NPARAMS; i++)
		if (strlen(param_names[i]) == len && !strncmp(param_names[i], key, len))
			return (int)i;
	return -1;
}

/* One "key=value" word of a model line into m; *seen gets its bit. */
static int model_word(const char *w, struct cg_iocost_model *m, unsigned int *seen,
		      bool strict)
{
	const char *eq = strchr(w, '=');
	unsigned long long v;
	char *end;
	int i;

	if (!eq)
		return strict ? -EINVAL : 0;
	if (!strncmp(w, "ctrl=", 5))
		return !strict || !strcmp(eq + 1, "user") ? 0 : -EINVAL;
	if (!strncmp(w, "model=", 6))
		return !strcmp(eq + 1, "linear") ? 0 : -EINVAL;
	i = param_index(w, (size_t)(eq - w));
	if (i < 0)
		return strict ? -EINVAL : 0;
	if (eq[1] < '0' || eq[1] > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(eq + 1, &end, 10);
	if (errno || *end || !v)
		return -EINVAL;
	m->v[i] = v;
	*seen |= 1u << i;
	return 0;
}

static int model_words(char *s, struct cg_iocost_model *m, bool strict)
{
	unsigned int seen = 0, maj, min;
	char *w, *save, tail;
	int err;

	memset(m, 0, sizeof(*m));
	for (w = strtok_r(s, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save)) {
		if (sscanf(w, "%u:%u%c", &maj, &min, &tail) == 2)
			continue;
		err = model_word(w, m, &seen, strict);
		if (err)
			return err;
	}
	return seen == (1u << CG_IOCOST_NPARAMS) - 1 ? 0 : -EINVAL;
}

int cg_iocost_model_parse(const char *s, struct cg_iocost_model *m)
{
	char buf[512];

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%s", s);
	return model_words(buf, m, true);
}

int cg_iocost_model_format(const struct cg_iocost_model *m, char *buf, size_t len)
{
	size_t off = 0;
	unsigned int i;
	int n;

	n = snprintf(buf, len, "ctrl=user model=linear");
	if (n < 0 || (size_t)n >= len)
		return -ENOSPC;
	off = (size_t)n;
	for (i = 0; i < CG_IOCOST_NPARAMS; i++) {
		n = snprintf(buf + off, len - off, " %s=%" PRIu64, param_names[i], m->v[i]);
		if (n < 0 || (size_t)n >= len - off)
			return -ENOSPC;
		off += (size_t)n;
	}
	return 0;
}

/* The root's io.cost.FILE path; -ENOTSUP where io is not on cgroup v2. */
static int root_file(const struct cg_layout *l, const char *file, char *path, size_t len)
{
	if (l->ver != CG_V2)
		return -ENOTSUP;
	if (snprintf(path, len, "%s/io.cost.%s", l->mount, file) >= (int)len)
		return -ENAMETOOLONG;
	return access(path, F_OK) ? -ENOTSUP : 0;
}

/* The line of io.cost.FILE for maj:min, malloc'd in *line. */
static int root_line(const struct cg_layout *l, const char *file, unsigned int maj,
		     unsigned int min, char **line)
{
	char path[PATH_MAX], key[32], *buf, *p, *save;
	size_t len;
	int err;

	*line = NULL;
	err = root_file(l, file, path, sizeof(path));
	if (err)
		return err;
	err = read_file_at(AT_FDCWD, path, 1 << 20, &buf, &len);
	if (err)
		return err;
	snprintf(key, sizeof(key), "%u:%u ", maj, min);
	err = -ENOENT;
	for (p = strtok_r(buf, "\n", &save); p; p = strtok_r(NULL, "\n", &save))
		if (!strncmp(p, key, strlen(key))) {
			*line = strdup(p);
			err = *line ? 0 : -ENOMEM;
			break;
		}
	free(buf);
	return err;
}

int cg_iocost_get(const struct cg_layout *l, unsigned int maj, unsigned int min,
		  struct cg_iocost_state *st)
{
	char *line;
	int err;

	memset(st, 0, sizeof(*st));
	err = root_line(l, "qos", maj, min, &line);
	if (err && err != -ENOENT)
		return err;
	if (line) {
		st->enabled = strstr(line, " enable=1") != NULL;
		free(line);
	}
	err = root_line(l, "model", maj, min, &line);
	if (err && err != -ENOENT)
		return err;
	if (line) {
		st->user_model = strstr(line, " ctrl=user") != NULL;
		/* the kernel's line has every parameter; lenient on what else it has */
		st->have_model = !model_words(line, &st->model, false);
		free(line);
	}
	return 0;
}

int cg_iocost_set(const struct cg_layout *l, unsigned int maj, unsigned int min,
		  const struct cg_iocost_model *m, unsigned int vrate)
{
	char path[PATH_MAX], line[600], words[512];
	int err;

	err = cg_iocost_model_format(m, words, sizeof(words));
	if (err)
		return err;
	err = root_file(l, "model", path, sizeof(path));
	if (err)
		return err;
	snprintf(line, sizeof(line), "%u:%u %s", maj, min, words);
	err = write_string(path, line);
	if (err)
		return err;
	err = root_file(l, "qos", path, sizeof(path));
	if (err)
		return err;
	if (vrate)	/* the model's rate pinned, no latency targets */
		snprintf(line, sizeof(line), "%u:%u enable=1 ctrl=user rpct=0 rlat=0 wpct=0 "
			 "wlat=0 min=%u max=%u", maj, min, vrate, vrate);
	else		/* the kernel's own QoS control */
		snprintf(line, sizeof(line), "%u:%u enable=1 ctrl=auto", maj, min);
	return write_string(path, line);
}

int cg_iocost_disable(const struct cg_layout *l, unsigned int maj, unsigned int min)
{
	char path[PATH_MAX], line[64];
	int err;

	err = root_file(l, "qos", path, sizeof(path));
	if (err)
		return err;
	snprintf(line, sizeof(line), "%u:%u enable=0", maj, min);
	return write_string(path, line);
}
