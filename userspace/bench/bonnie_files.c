// SPDX-License-Identifier: GPL-2.0
/*
 * bonnie++ 2.00's file tests in DIR/Bonnie.PID: NUM*1024 files named by a
 * 10-digit hex index with 0-12 random characters after it (sequential) or
 * before it (random); create, stat (and read any data), delete, first in
 * readdir order, then in a shuffled order. Create and delete end with a
 * sync(), timed. Latency per file.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench_priv.h"
#include "bonnie_priv.h"

#define NAME_LEN 32
/* A directory under the base, and a file in it (names up to 255 bytes). */
#define DIRBUF (PATH_MAX + 16)
#define PATHBUF (DIRBUF + 260)

struct fileset {
	char base[PATH_MAX];
	unsigned int n;
	char (*names)[NAME_LEN];	/* "SUBDIR/NAME" or "NAME" */
	uint8_t *buf;
	size_t buflen;
};

static void rand_chars(struct bonnie_ctx *c, char *out, unsigned int n)
{
	static const char set[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

	while (n--)
		*out++ = set[bonnie_rand(c) % (sizeof(set) - 1)];
	*out = '\0';
}

static void make_names(struct bonnie_ctx *c, struct fileset *fs, bool random)
{
	char rnd[16], sub[8] = "";
	unsigned int i;

	for (i = 0; i < fs->n; i++) {
		rand_chars(c, rnd, bonnie_rand(c) % 13);
		if (c->o->dirs > 1)
			snprintf(sub, sizeof(sub), "%05u/", (unsigned int)((uint64_t)i * c->o->dirs / fs->n));
		if (random)
			snprintf(fs->names[i], NAME_LEN, "%s%s%010x", sub, rnd, i);
		else
			snprintf(fs->names[i], NAME_LEN, "%s%010x%s", sub, i, rnd);
	}
}

static void shuffle(struct bonnie_ctx *c, struct fileset *fs)
{
	char tmp[NAME_LEN];
	unsigned int i, j;

	for (i = fs->n; i > 1; i--) {
		j = bonnie_rand(c) % i;
		memcpy(tmp, fs->names[i - 1], NAME_LEN);
		memcpy(fs->names[i - 1], fs->names[j], NAME_LEN);
		memcpy(fs->names[j], tmp, NAME_LEN);
	}
}

static int sync_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		err = -errno;
	close(fd);
	return err;
}

static int create_one(struct bonnie_ctx *c, struct fileset *fs, const char *name)
{
	const struct bonnie_opts *o = c->o;
	char path[PATHBUF];
	long size = 0, left;
	ssize_t w;
	int fd, err = 0;

	snprintf(path, sizeof(path), "%s/%s", fs->base, name);
	fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (o->max_size > 0)
		size = o->min_size + (long)(bonnie_rand(c) % (uint64_t)(o->max_size - o->min_size + 1));
	for (left = size; left > 0 && !err; left -= w) {
		w = write(fd, fs->buf, (size_t)left < fs->buflen ? (size_t)left : fs->buflen);
		if (w <= 0)
			err = w < 0 ? -errno : -ENOSPC;
	}
	if (!err && o->sync_files && fsync(fd) < 0)
		err = -errno;
	if (close(fd) < 0 && !err)
		err = -errno;
	if (!err && o->sync_files) {
		*strrchr(path, '/') = '\0';
		err = sync_dir(path);
	}
	c->cur->bytes += size;
	return err;
}

static int stat_one(struct bonnie_ctx *c, struct fileset *fs, const char *path)
{
	struct stat st;
	ssize_t r;
	int fd;

	if (stat(path, &st) < 0)
		return -errno;
	if (st.st_size <= 0)
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while ((r = read(fd, fs->buf, fs->buflen)) > 0)
		c->cur->bytes += r;
	close(fd);
	return r < 0 ? -EIO : 0;
}

static int delete_one(struct bonnie_ctx *c, const char *path)
{
	char dir[PATHBUF];

	if (unlink(path) < 0)
		return -errno;
	if (c->o->sync_files) {
		snprintf(dir, sizeof(dir), "%s", path);
		*strrchr(dir, '/') = '\0';
		return sync_dir(dir);
	}
	return 0;
}

/* Stat or delete every file in readdir order, directory by directory. */
static int walk_dirs(struct bonnie_ctx *c, struct fileset *fs, bool del)
{
	char dir[DIRBUF], path[PATHBUF];
	unsigned int d, nd = c->o->dirs > 1 ? c->o->dirs : 1;
	struct dirent *de;
	uint64_t t;
	DIR *dp;
	int err = 0;

	for (d = 0; d < nd && !err; d++) {
		if (c->o->dirs > 1)
			snprintf(dir, sizeof(dir), "%s/%05u", fs->base, d);
		else
			snprintf(dir, sizeof(dir), "%s", fs->base);
		dp = opendir(dir);
		if (!dp)
			return -errno;
		while (!err && (de = readdir(dp))) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			t = bench_now_ns();
			err = del ? delete_one(c, path) : stat_one(c, fs, path);
			bench_hist_add(&c->cur->lat, bench_now_ns() - t);
			c->cur->ops++;
		}
		closedir(dp);
	}
	return err;
}

/* Stat or delete in the (shuffled) order of the names. */
static int walk_names(struct bonnie_ctx *c, struct fileset *fs, bool del)
{
	char path[PATHBUF];
	unsigned int i;
	uint64_t t;
	int err = 0;

	for (i = 0; i < fs->n && !err; i++) {
		snprintf(path, sizeof(path), "%s/%s", fs->base, fs->names[i]);
		t = bench_now_ns();
		err = del ? delete_one(c, path) : stat_one(c, fs, path);
		bench_hist_add(&c->cur->lat, bench_now_ns() - t);
		c->cur->ops++;
	}
	return err;
}

static int create_all(struct bonnie_ctx *c, struct fileset *fs)
{
	unsigned int i;
	uint64_t t;
	int err = 0;

	for (i = 0; i < fs->n && !err; i++) {
		t = bench_now_ns();
		err = create_one(c, fs, fs->names[i]);
		bench_hist_add(&c->cur->lat, bench_now_ns() - t);
		c->cur->ops++;
	}
	sync();
	return err;
}

static int one_order(struct bonnie_ctx *c, struct fileset *fs, bool random)
{
	enum bonnie_test base = random ? BON_RAN_CREATE : BON_SEQ_CREATE;
	const char *order = random ? "random" : "sequential";
	char msg[64];
	int err;

	make_names(c, fs, random);
	snprintf(msg, sizeof(msg), "Create files in %s order...", order);
	bonnie_begin(c, base, msg);
	err = create_all(c, fs);
	bonnie_end(c, "done.\n");
	if (err)
		return err;
	snprintf(msg, sizeof(msg), "Stat files in %s order...", order);
	if (random)
		shuffle(c, fs);
	bonnie_begin(c, base + 1, msg);
	err = random ? walk_names(c, fs, false) : walk_dirs(c, fs, false);
	bonnie_end(c, "done.\n");
	if (err)
		return err;
	snprintf(msg, sizeof(msg), "Delete files in %s order...", order);
	if (random)
		shuffle(c, fs);
	bonnie_begin(c, base + 2, msg);
	err = random ? walk_names(c, fs, true) : walk_dirs(c, fs, true);
	sync();
	bonnie_end(c, "done.\n");
	return err;
}

/* Remove whatever a failed test left behind. */
static void cleanup(struct fileset *fs, unsigned int dirs)
{
	char path[PATHBUF];
	unsigned int i;

	for (i = 0; i < fs->n; i++) {
		snprintf(path, sizeof(path), "%s/%s", fs->base, fs->names[i]);
		unlink(path);
	}
	for (i = 0; dirs > 1 && i < dirs; i++) {
		snprintf(path, sizeof(path), "%s/%05u", fs->base, i);
		rmdir(path);
	}
	rmdir(fs->base);
}

int bonnie_file_tests(struct bonnie_ctx *c)
{
	const struct bonnie_opts *o = c->o;
	char sub[DIRBUF];
	struct fileset fs = { 0 };
	unsigned int i;
	int err = -ENOMEM;

	fs.n = o->files * 1024;
	fs.buflen = o->file_chunk ? o->file_chunk : (o->max_size > 0 ? (size_t)o->max_size : 1);
	if (fs.buflen > (8 << 20))
		fs.buflen = 8 << 20;
	fs.names = calloc(fs.n, NAME_LEN);
	fs.buf = bench_alloc_buf(fs.buflen);
	if (!fs.names || !fs.buf)
		goto out;
	memset(fs.buf, 'b', fs.buflen);
	snprintf(fs.base, sizeof(fs.base), "%s/Bonnie.%d", o->dir, (int)getpid());
	if (mkdir(fs.base, 0700) < 0) {
		err = -errno;
		goto out;
	}
	for (i = 0; o->dirs > 1 && i < o->dirs; i++) {
		snprintf(sub, sizeof(sub), "%s/%05u", fs.base, i);
		if (mkdir(sub, 0700) < 0) {
			err = -errno;
			goto out_clean;
		}
	}
	err = one_order(c, &fs, false);
	if (!err)
		err = one_order(c, &fs, true);
	if (err)
		c->r->failed = (int)(c->cur - c->r->t);
out_clean:
	cleanup(&fs, o->dirs);
out:
	free(fs.buf);
	free(fs.names);
	return err;
}
