// SPDX-License-Identifier: GPL-2.0
/*
 * Saving a config file: read-modify-write under a per-file lock, replaced
 * atomically (FILE.tmp, fsync, rename, fsync of the folder) so that a crash
 * at any moment leaves the old or the new file, never a torn one.
 *
 * The lock is a flock on a hidden ".NAME.lock" beside the file, held across
 * the read-modify-write, so that concurrent saves never lose an update.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <blkprio/conf.h>
#include <blkprio/fsutil.h>

/* Write buf to TMP next to the target with the target's mode and owner. */
static int write_tmp(int dirfd, const char *tmp, const char *buf, size_t len,
		     const struct stat *st)
{
	int fd, err;

	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	err = write_all(fd, buf, len);
	if (err)
		goto err_unlink;
	if (fchown(fd, st->st_uid, st->st_gid) && errno != EPERM) {
		err = -errno;
		goto err_unlink;
	}
	if (fchmod(fd, st->st_mode & 07777) || fsync(fd)) {
		err = -errno;
		goto err_unlink;
	}
	if (close(fd)) {
		fd = -1;
		err = -errno;
		goto err_unlink;
	}
	return 0;

err_unlink:
	if (fd >= 0)
		close(fd);
	unlinkat(dirfd, tmp, 0);
	return err;
}

/* Put TMP in place of NAME and make the rename durable. */
static int commit_tmp(int dirfd, const char *tmp, const char *name)
{
	if (renameat(dirfd, tmp, dirfd, name)) {
		int err = -errno;

		unlinkat(dirfd, tmp, 0);
		return err;
	}
	return fsync(dirfd) ? -errno : 0;
}

struct target {
	int dirfd;
	char name[NAME_MAX + 1];
	char tmp[NAME_MAX + 1];
	char lock[NAME_MAX + 1];
};

/* Split the real path of the file (symlinks followed) into folder and name. */
static int target_open(struct target *t, const char *path)
{
	char real[PATH_MAX], dir[PATH_MAX], base[PATH_MAX];
	const char *p = path;

	if (realpath(path, real))
		p = real;
	else if (errno != ENOENT)
		return -errno;
	if (strlen(p) >= sizeof(dir))
		return -ENAMETOOLONG;
	strcpy(dir, p);
	strcpy(base, p);
	if (snprintf(t->name, sizeof(t->name), "%s", basename(base)) >= (int)sizeof(t->name) ||
	    snprintf(t->tmp, sizeof(t->tmp), "%s.tmp", t->name) >= (int)sizeof(t->tmp) ||
	    snprintf(t->lock, sizeof(t->lock), ".%s.lock", t->name) >= (int)sizeof(t->lock))
		return -ENAMETOOLONG;
	if (!t->name[0] || !strcmp(t->name, "/") || !strcmp(t->name, ".") ||
	    !strcmp(t->name, ".."))
		return -EISDIR;
	t->dirfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return t->dirfd < 0 ? -errno : 0;
}

/*
 * The per-container lock: a hidden ".NAME.lock" beside the file. Locking the
 * file itself would not do, since every save replaces its inode.
 */
static int lock_target(const struct target *t)
{
	int fd;

	fd = openat(t->dirfd, t->lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	while (flock(fd, LOCK_EX)) {
		if (errno != EINTR) {
			int err = -errno;

			close(fd);
			return err;
		}
	}
	return fd;
}

static int save_locked(struct target *t, const struct conf_change *ch, size_t n,
		       unsigned int flags, bool *changed)
{
	struct stat st = { .st_mode = 0644, .st_uid = geteuid(), .st_gid = getegid() };
	size_t len = 0, out_len;
	char *in = NULL, *out;
	int fd, err;

	fd = openat(t->dirfd, t->name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && (errno != ENOENT || !(flags & CONF_SAVE_CREATE)))
		return -errno;
	if (fd >= 0) {
		err = fstat(fd, &st) ? -errno : S_ISREG(st.st_mode) ? 0 : -EINVAL;
		if (!err)
			err = read_fd_all(fd, CONF_MAX_SIZE, &in, &len);
		close(fd);
		if (err)
			return err;
	}
	err = conf_edit(in ? in : "", len, ch, n, &out, &out_len, changed);
	free(in);
	if (err)
		return err;
	if (fd < 0)
		*changed = true;	/* a new file, even if empty */
	if (*changed) {
		err = write_tmp(t->dirfd, t->tmp, out, out_len, &st);
		if (!err)
			err = commit_tmp(t->dirfd, t->tmp, t->name);
	}
	free(out);
	return err;
}

int conf_save(const char *path, const struct conf_change *ch, size_t n,
	      unsigned int flags, bool *changed)
{
	struct target t;
	bool dummy;
	int lockfd, err;

	if (!changed)
		changed = &dummy;
	*changed = false;
	err = target_open(&t, path);
	if (err)
		return err;
	lockfd = lock_target(&t);
	if (lockfd < 0) {
		err = lockfd;
		goto out_dir;
	}
	err = save_locked(&t, ch, n, flags, changed);
	close(lockfd);		/* drops the lock */
out_dir:
	close(t.dirfd);
	return err;
}
