// SPDX-License-Identifier: GPL-2.0
/* Saving config files: atomic, locked, mode/owner kept, never torn. */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <blkprio/conf.h>
#include <blkprio/fsutil.h>

#include "kselftest_harness.h"

FIXTURE(dir) {
	char dir[64];
	char path[128];
};

FIXTURE_SETUP(dir)
{
	strcpy(self->dir, "/tmp/blkprio-save.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(self->path, sizeof(self->path), "%s/101.conf", self->dir);
}

FIXTURE_TEARDOWN(dir)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "umount -q %s 2>/dev/null; rm -rf %s", self->dir, self->dir);
	if (system(cmd))
		TH_LOG("cleanup of %s failed", self->dir);
}

static void put(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	if (fd >= 0) {
		if (write_all(fd, text, strlen(text)))
			abort();
		fchmod(fd, mode);
		close(fd);
	}
}

static char *get(const char *path)
{
	size_t len;
	char *buf;

	return read_file_at(AT_FDCWD, path, 1 << 26, &buf, &len) ? NULL : buf;
}

TEST_F(dir, replaces_atomically_keeping_mode_and_owner)
{
	struct conf_change ch = { "IOPRIO", "7" };
	struct stat a, b;
	bool changed;
	char *s;

	put(self->path, "# hi\nIOPRIO=\"2\"\n", 0640);
	if (!geteuid())
		ASSERT_EQ(0, chown(self->path, 1234, 5678));
	ASSERT_EQ(0, stat(self->path, &a));
	ASSERT_EQ(0, conf_save(self->path, &ch, 1, 0, &changed));
	EXPECT_TRUE(changed);
	ASSERT_EQ(0, stat(self->path, &b));
	EXPECT_NE(a.st_ino, b.st_ino);		/* renamed into place, not rewritten */
	EXPECT_EQ(0640, b.st_mode & 07777);
	EXPECT_EQ(a.st_uid, b.st_uid);
	EXPECT_EQ(a.st_gid, b.st_gid);
	s = get(self->path);
	ASSERT_NE(NULL, s);
	EXPECT_STREQ("# hi\nIOPRIO=\"7\"\n", s);
	free(s);
	/* No temp file left behind. */
	s = malloc(256);
	snprintf(s, 256, "%s.tmp", self->path);
	EXPECT_NE(0, access(s, F_OK));
	free(s);
}

TEST_F(dir, unchanged_file_is_not_rewritten)
{
	struct conf_change ch = { "IOPRIO", "2" };
	struct stat a, b;
	bool changed = true;

	put(self->path, "IOPRIO=\"2\"\n", 0644);
	ASSERT_EQ(0, stat(self->path, &a));
	ASSERT_EQ(0, conf_save(self->path, &ch, 1, 0, &changed));
	EXPECT_FALSE(changed);
	ASSERT_EQ(0, stat(self->path, &b));
	EXPECT_EQ(a.st_ino, b.st_ino);
}

TEST_F(dir, missing_file_created_only_when_asked)
{
	struct conf_change ch = { "IOPRIO", "1" };
	struct stat st;
	char *s;

	EXPECT_EQ(-ENOENT, conf_save(self->path, &ch, 1, 0, NULL));
	EXPECT_NE(0, access(self->path, F_OK));
	ASSERT_EQ(0, conf_save(self->path, &ch, 1, CONF_SAVE_CREATE, NULL));
	ASSERT_EQ(0, stat(self->path, &st));
	EXPECT_EQ(0644, st.st_mode & 07777);
	s = get(self->path);
	ASSERT_NE(NULL, s);
	EXPECT_STREQ("IOPRIO=\"1\"\n", s);
	free(s);
}

TEST_F(dir, symlink_is_followed)
{
	struct conf_change ch = { "IOPRIO", "6" };
	char real[160], *s;
	struct stat st;

	snprintf(real, sizeof(real), "%s/ve.conf", self->dir);
	put(real, "IOPRIO=\"1\"\n", 0600);
	ASSERT_EQ(0, symlink(real, self->path));
	ASSERT_EQ(0, conf_save(self->path, &ch, 1, 0, NULL));
	ASSERT_EQ(0, lstat(self->path, &st));
	EXPECT_TRUE(S_ISLNK(st.st_mode));
	s = get(real);
	ASSERT_NE(NULL, s);
	EXPECT_STREQ("IOPRIO=\"6\"\n", s);
	free(s);
}

TEST_F(dir, unwritable_folder_leaves_original)
{
	struct conf_change ch = { "IOPRIO", "6" };
	char *s;

	if (geteuid())
		SKIP(return, "needs root to mount a read-only folder");
	ASSERT_EQ(0, mount("tmpfs", self->dir, "tmpfs", 0, "size=1m"));
	put(self->path, "IOPRIO=\"1\"\n", 0644);
	ASSERT_EQ(0, mount(NULL, self->dir, NULL, MS_REMOUNT | MS_RDONLY, NULL));
	EXPECT_EQ(-EROFS, conf_save(self->path, &ch, 1, 0, NULL));
	s = get(self->path);
	ASSERT_NE(NULL, s);
	EXPECT_STREQ("IOPRIO=\"1\"\n", s);
	free(s);
}

/* Two writers changing different keys 200 times each: no update is lost. */
TEST_F(dir, concurrent_saves_lose_nothing)
{
	static const char *const keys[] = { "IOPRIO", "IOLIMIT", "IOPSLIMIT" };
	struct conf_change ch;
	const struct conf_entry *e;
	char val[16];
	struct conf c;
	pid_t pid[3];
	int i, k, status;

	put(self->path, "# shared\n", 0644);
	for (k = 0; k < 3; k++) {
		pid[k] = fork();
		ASSERT_GE(pid[k], 0);
		if (pid[k])
			continue;
		for (i = 0; i <= 200; i++) {
			snprintf(val, sizeof(val), "%d", i);
			ch.key = keys[k];
			ch.value = val;
			int err = conf_save(self->path, &ch, 1, 0, NULL);

			if (err) {
				fprintf(stderr, "# save %d failed: %s\n", i, strerror(-err));
				_exit(1);
			}
		}
		_exit(0);
	}
	for (k = 0; k < 3; k++) {
		ASSERT_EQ(pid[k], waitpid(pid[k], &status, 0));
		EXPECT_EQ(0, status);
	}
	conf_init(&c);
	ASSERT_EQ(0, conf_load(&c, self->path, NULL, NULL));
	for (k = 0; k < 3; k++) {
		e = conf_find(&c, keys[k]);
		ASSERT_NE(NULL, e) TH_LOG("%s lost", keys[k]);
		EXPECT_STREQ("200", e->value);
	}
	conf_free(&c);
}

/*
 * Kill a saving process at random moments, many times: the file is always
 * exactly the old or the new version.
 */
TEST_F(dir, killed_save_never_tears)
{
	struct conf_change ch = { "IOPRIO", NULL };
	char *old, *cur, *big, val[8];
	size_t i, len = 0, olds = 0, news = 0;
	struct timespec ts;
	unsigned int seed = 42;
	int status;
	pid_t pid;

	/* A large file widens the window in which a kill lands mid-save. */
	big = malloc(300000);
	ASSERT_NE(NULL, big);
	for (i = 0; len < 290000; i++)
		len += (size_t)sprintf(big + len, "# line %zu of padding text for the kill test\n", i);
	sprintf(big + len, "IOPRIO=\"0\"\n");
	put(self->path, big, 0644);
	for (i = 0; i < 300; i++) {
		old = get(self->path);
		ASSERT_NE(NULL, old);
		snprintf(val, sizeof(val), "%d", (old[strlen(old) - 3] - '0' + 1) % 8);
		ch.value = val;
		pid = fork();
		ASSERT_GE(pid, 0);
		if (!pid)
			_exit(conf_save(self->path, &ch, 1, 0, NULL) ? 1 : 0);
		seed = seed * 1103515245u + 12345u;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)((seed >> 8) % 3000) * 1000;
		nanosleep(&ts, NULL);
		kill(pid, SIGKILL);
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		cur = get(self->path);
		ASSERT_NE(NULL, cur);
		if (!strcmp(cur, old)) {
			olds++;
		} else {
			/* The new version: the old text with only the value changed. */
			ASSERT_EQ(strlen(old), strlen(cur));
			ASSERT_EQ(0, memcmp(old, cur, strlen(old) - 3));
			ASSERT_EQ(val[0], cur[strlen(cur) - 3]);
			news++;
		}
		free(old);
		free(cur);
	}
	TH_LOG("%zu kills left the old file, %zu the new one", olds, news);
	free(big);
}

TEST_HARNESS_MAIN
