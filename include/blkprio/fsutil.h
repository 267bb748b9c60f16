/* SPDX-License-Identifier: GPL-2.0 */
/* Small file helpers shared by the modules. All return 0 or -errno. */
#ifndef BLKPRIO_FSUTIL_H
#define BLKPRIO_FSUTIL_H

#include <stddef.h>
#include <sys/types.h>

/* Read a whole file (at most max bytes) into a NUL-terminated malloc'd buffer. */
int read_fd_all(int fd, size_t max, char **buf, size_t *len);
int read_file_at(int dirfd, const char *path, size_t max, char **buf, size_t *len);
/* Write all of buf to fd, retrying short writes and EINTR. */
int write_all(int fd, const void *buf, size_t len);
/* mkdir -p with mode for the missing parts. */
int mkdir_p(const char *path, mode_t mode);
/* Read a small sysfs/cgroupfs value (trailing newline stripped). */
int read_line(const char *path, char *buf, size_t len);
/* Write a string to a sysfs/cgroupfs file in one write(). */
int write_string(const char *path, const char *val);

#endif
