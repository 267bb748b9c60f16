// SPDX-License-Identifier: GPL-2.0
/*
 * The event loop: epoll over registered fds. Container work queued by the
 * handlers is flushed once no event is pending, so a burst of edits turns
 * into one apply per container; a steady stream still flushes every
 * DM_COALESCE_MAX_NS.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <blkprio/log.h>

#include "daemon.h"

#define DM_COALESCE_MAX_NS	(2 * 1000 * 1000ull)
#define DM_MAX_SOURCES		64

struct dm_source {
	int fd;
	dm_fd_fn fn;
	void *ctx;
};

static struct dm_source sources[DM_MAX_SOURCES];

uint64_t dm_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int dm_loop_init(struct daemon *d)
{
	size_t i;

	for (i = 0; i < DM_MAX_SOURCES; i++)
		sources[i].fd = -1;
	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	return d->epfd < 0 ? -errno : 0;
}

void dm_loop_fini(struct daemon *d)
{
	if (d->epfd >= 0)
		close(d->epfd);
	d->epfd = -1;
}

int dm_add_fd(struct daemon *d, int fd, uint32_t events, dm_fd_fn fn, void *ctx)
{
	struct epoll_event ev = { .events = events };
	size_t i;

	for (i = 0; i < DM_MAX_SOURCES && sources[i].fd >= 0; i++)
		;
	if (i == DM_MAX_SOURCES)
		return -ENOSPC;
	ev.data.ptr = &sources[i];
	if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev))
		return -errno;
	sources[i] = (struct dm_source){ .fd = fd, .fn = fn, .ctx = ctx };
	return 0;
}

void dm_del_fd(struct daemon *d, int fd)
{
	size_t i;

	for (i = 0; i < DM_MAX_SOURCES; i++)
		if (sources[i].fd == fd) {
			epoll_ctl(d->epfd, EPOLL_CTL_DEL, fd, NULL);
			sources[i].fd = -1;
		}
}

int dm_add_timer(struct daemon *d, uint64_t period_ns, dm_fd_fn fn, void *ctx)
{
	struct itimerspec its = { 0 };
	int fd, err;

	fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	its.it_value.tv_sec = (time_t)(period_ns / 1000000000ull);
	its.it_value.tv_nsec = (long)(period_ns % 1000000000ull);
	its.it_interval = its.it_value;
	if (timerfd_settime(fd, 0, &its, NULL)) {
		err = -errno;
		close(fd);
		return err;
	}
	err = dm_add_fd(d, fd, EPOLLIN, fn, ctx);
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

int dm_run(struct daemon *d)
{
	struct epoll_event evs[16];
	struct dm_source *s;
	bool pending;
	int n, i, timeout;

	while (!d->stop) {
		pending = d->ndirty || d->full_pending;
		timeout = pending ? 0 : -1;
		n = epoll_wait(d->epfd, evs, 16, timeout);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		for (i = 0; i < n; i++) {
			s = evs[i].data.ptr;
			if (s->fd >= 0)
				s->fn(d, s->fd, evs[i].events, s->ctx);
		}
		/* idle, or work waited long enough: apply */
		if ((d->ndirty || d->full_pending) &&
		    (!n || dm_now_ns() - d->dirty_since > DM_COALESCE_MAX_NS))
			dm_flush(d);
	}
	return 0;
}
