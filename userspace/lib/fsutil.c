// SPDX-License-Identifier: GPL-2.0
/* Small file helpers. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <blkprio/fsutil.h>

int read_fd_all(int fd, size_t max, char **buf, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *b, *nb;
	ssize_t r;
	int err;

	b = malloc(cap);
	if (!b)
		return -ENOMEM;
	for (;;) {
		if (n + 1 >= cap) {
			if (cap > max) {
				err = -EFBIG;
				goto err_free;
			}
			cap *= 2;
			nb = realloc(b, cap);
			if (!nb) {
				err = -ENOMEM;
				goto err_free;
			}
			b = nb;
		}
		r = read(fd, b + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = -errno;
			goto err_free;
		}
		if (!r)
			break;
		n += (size_t)r;
	}
	if (n > max) {
		err = -EFBIG;
		goto err_free;
	}
	b[n] = '\0';
	*buf = b;
	*len = n;
	return 0;

err_free:
	free(b);
	return err;
}

int read_file_at(int dirfd, const char *path, size_t max, char **buf, size_t *len)
{
	int fd, err;

	fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = read_fd_all(fd, max, buf, len);
	close(fd);
	return err;
}

int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t w;

	while (len) {
		w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int mkdir_p(const char *path, mode_t mode)
{
	char buf[4096];
	size_t len = strlen(path);
	char *p, c;

	if (len == 0 || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, path, len + 1);
	for (p = buf + 1; ; p++) {
		if (*p != '/' && *p)
			continue;
		c = *p;
		*p = '\0';
		if (mkdir(buf, mode) && errno != EEXIST)
			return -errno;
		if (!c)
			break;
		*p = c;
	}
	return 0;
}

int read_line(const char *path, char *buf, size_t len)
{
	ssize_t r;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = read(fd, buf, len - 1);
	if (r < 0) {
		r = -errno;
		close(fd);
		return (int)r;
	}
	close(fd);
	buf[r] = '\0';
	while (r > 0 && (buf[r - 1] == '\n' || buf[r - 1] == ' '))
		buf[--r] = '\0';
	return 0;
}

int write_string(const char *path, const char *val)
{
	size_t len = strlen(val);
	ssize_t w;
	int fd, err = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	w = write(fd, val, len);
	if (w < 0)
		err = -errno;
	else if ((size_t)w != len)
		err = -EIO;
	if (close(fd) && !err)
		err = -errno;
	return err;
}
