// SPDX-License-Identifier: GPL-2.0
/* The one place where libcgroup's ECG* codes become -errno. */
#include <errno.h>

#include <libcgroup.h>

#include <blkprio/cgroup.h>

static int last_errno_or(int fallback)
{
	int e = cgroup_get_last_errno();

	return e > 0 ? -e : fallback;
}

int cg_errno(int ret)
{
	if (ret <= 0)
		return ret;
	switch (ret) {
	case ECGROUPNOTEXIST:
	case ECGROUPVALUENOTEXIST:
		return -ENOENT;
	case ECGROUPNOTMOUNTED:
	case ECGROUPSUBSYSNOTMOUNTED:
	case ECGROUPNOTINITIALIZED:
		return -ENODEV;
	case ECGROUPNOTOWNER:
	case ECGROUPNOTALLOWED:
		return -EPERM;
	case ECGINVAL:
	case ECGROUPPARSEFAIL:
	case ECGCONFIGPARSEFAIL:
		return -EINVAL;
	case ECGNONEMPTY:
		return -EBUSY;
	case ECGROUPUNSUPP:
	case ECGROUPNOTCOMPILED:
		return -EOPNOTSUPP;
	case ECGMAXVALUESEXCEEDED:
		return -E2BIG;
	case ECGCONTROLLEREXISTS:
	case ECGVALUEEXISTS:
		return -EEXIST;
	case ECGEOF:
		return -ENODATA;
	case ECGROUPMULTIMOUNTED:
		return -EBUSY;
	case ECGOTHER:
	case ECGROUPNOTCREATED:
	case ECGCONTROLLERCREATEFAILED:
	case ECGCANTSETVALUE:
	case ECGMOUNTFAIL:
	case ECGFAIL:
		return last_errno_or(-EIO);
	default:
		return -EIO;
	}
}
