// SPDX-License-Identifier: GPL-2.0
/*
 * systemd readiness (the sd_notify datagram protocol: NOTIFY_SOCKET names
 * an AF_UNIX socket, '@' for the abstract namespace) and the
 * single-instance lock RUN_DIR/blkpriod.lock (flock, holds our pid).
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <blkprio/fsutil.h>
#include <blkprio/log.h>

#include "daemon.h"

void dm_notify(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len;
	int fd;

	if (!path || !*path || strlen(path) >= sizeof(sa.sun_path))
		return;
	if (path[0] != '/' && path[0] != '@')
		return;
	len = strlen(path);
	memcpy(sa.sun_path, path, len);
	if (path[0] == '@')
		sa.sun_path[0] = '\0';
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa,
		   (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)) < 0)
		log_debug("sd_notify %s: %s", path, strerror(errno));
	close(fd);
}

int dm_lock(struct daemon *d)
{
	char path[PATH_MAX], buf[32];
	ssize_t n;
	int fd, err;

	err = mkdir_p(d->run_dir, 0755);
	if (err)
		return err;
	snprintf(path, sizeof(path), "%s/blkpriod.lock", d->run_dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		err = errno == EWOULDBLOCK ? -EBUSY : -errno;
		n = pread(fd, buf, sizeof(buf) - 1, 0);
		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		if (err == -EBUSY)
			log_err("another blkpriod is running (pid %s, lock %s)",
				buf[0] ? buf : "?", path);
		close(fd);
		return err;
	}
	n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) || pwrite(fd, buf, (size_t)n, 0) != n) {
		err = -errno;
		close(fd);
		return err;
	}
	d->lockfd = fd;
	return 0;
}
