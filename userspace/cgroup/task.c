// SPDX-License-Identifier: GPL-2.0
/*
 * Per-task ioprio (APPLY_TASK_IOPRIO): best-effort class, level 7-IOPRIO,
 * for every thread in the cgroup ("tasks" on v1, "cgroup.threads" on v2).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/ioprio.h>

#include <blkprio/fsutil.h>

#include "cgroup_priv.h"

#define TASKS_MAX_SIZE	(64u << 20)

static int ioprio_set_tid(pid_t tid, int value)
{
	return syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, tid, value) ? -errno : 0;
}

int cg_task_ioprio_get(pid_t tid, int *class_, int *level)
{
	long v = syscall(SYS_ioprio_get, IOPRIO_WHO_PROCESS, tid);

	if (v < 0)
		return -errno;
	*class_ = (int)IOPRIO_PRIO_CLASS(v);
	*level = (int)(v & 7);
	return 0;
}

int cg_task_ioprio_set(const struct cg_layout *l, const char *rel, int ioprio)
{
	char path[PATH_MAX], *buf, *p, *end;
	int value, err, count = 0;
	size_t len;
	long tid;

	if (ioprio < 0 || ioprio >= PRIO_LEVELS)
		return -EINVAL;
	value = IOPRIO_PRIO_VALUE(IOPRIO_CLASS_BE, prio_task_level(ioprio));
	err = cg_path(l, rel, l->ver == CG_V2 ? "cgroup.threads" : "tasks",
		      path, sizeof(path));
	if (err)
		return err;
	err = read_file_at(AT_FDCWD, path, TASKS_MAX_SIZE, &buf, &len);
	if (err)
		return err;
	for (p = buf; *p; p = end) {
		tid = strtol(p, &end, 10);
		if (end == p)
			break;
		while (*end == '\n')
			end++;
		err = ioprio_set_tid((pid_t)tid, value);
		if (err == -ESRCH)
			continue;	/* exited meanwhile */
		if (err)
			goto out_free;
		count++;
	}
	err = count;
out_free:
	free(buf);
	return err;
}
