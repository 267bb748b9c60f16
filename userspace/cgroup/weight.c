// SPDX-License-Identifier: GPL-2.0
/*
 * Weights in the kernel: blkio.bfq.weight and blkio.weight (v1),
 * io.bfq.weight and io.weight (v2), each written where it exists.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup_priv.h"

enum wslot { W_BFQ, W_IO, W_BLKIO, W_NSLOTS };

static const char *slot_file(const struct cg_layout *l, enum wslot s)
{
	switch (s) {
	case W_BFQ:
		return l->ver == CG_V2 ? "io.bfq.weight" : "blkio.bfq.weight";
	case W_IO:
		return l->ver == CG_V2 ? "io.weight" : NULL;
	default:
		return l->ver == CG_V1 ? "blkio.weight" : NULL;
	}
}

static const enum prio_file slot_scale[W_NSLOTS] = {
	[W_BFQ] = PRIO_FILE_BFQ, [W_IO] = PRIO_FILE_IO, [W_BLKIO] = PRIO_FILE_BLKIO,
};

static int *slot_val(struct cg_weights *w, enum wslot s)
{
	return s == W_BFQ ? &w->bfq : s == W_IO ? &w->io : &w->blkio;
}

static int slot_get(const struct cg_weights *w, enum wslot s)
{
	return s == W_BFQ ? w->bfq : s == W_IO ? w->io : w->blkio;
}

/* Write to an existing file only; -ENOENT tells "file absent". */
static int write_existing(const char *path, const char *val, size_t len)
{
	ssize_t r;
	int fd, err = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = write(fd, val, len);
	if (r < 0)
		err = -errno;
	else if ((size_t)r != len)
		err = -EIO;
	close(fd);
	return err;
}

/* After every file came back ENOENT: is the cgroup gone, or just bare? */
static int absent_reason(const struct cg_layout *l, const char *rel)
{
	char path[PATH_MAX];

	if (cg_path(l, rel, NULL, path, sizeof(path)))
		return -ENAMETOOLONG;
	return cg_dir_exists(path) ? -ENODEV : -ENOENT;
}

int cg_weight_set(const struct cg_layout *l, const char *rel,
		  const struct prio_map *map, int ioprio, struct cg_weights *written)
{
	struct cg_weights dummy;
	char path[PATH_MAX], val[32];
	const char *f;
	unsigned int w;
	int s, n, err, any = 0;

	if (!written)
		written = &dummy;
	written->bfq = written->io = written->blkio = -1;
	for (s = 0; s < W_NSLOTS; s++) {
		f = slot_file(l, s);
		if (!f)
			continue;
		err = cg_path(l, rel, f, path, sizeof(path));
		if (err)
			return err;
		w = prio_weight(map, slot_scale[s], ioprio);
		n = snprintf(val, sizeof(val), "%s%u\n", s == W_IO ? "default " : "", w);
		err = write_existing(path, val, (size_t)n);
		if (err == -ENOENT)
			continue;
		if (err)
			return err;
		*slot_val(written, s) = (int)w;
		any++;
	}
	return any ? 0 : absent_reason(l, rel);
}

/* "150", "default 150" or "default 150\n8:0 200": the default weight. */
static int parse_weight(const char *buf)
{
	const char *p = buf;
	char *end;
	long v;

	if (!strncmp(p, "default ", 8))
		p += 8;
	v = strtol(p, &end, 10);
	if (end == p || v < 0 || v > 100000)
		return -EINVAL;
	return (int)v;
}

int cg_weight_get(const struct cg_layout *l, const char *rel, struct cg_weights *w)
{
	char path[PATH_MAX], buf[256];
	ssize_t r;
	int s, fd, v, any = 0;

	w->bfq = w->io = w->blkio = -1;
	for (s = 0; s < W_NSLOTS; s++) {
		if (!slot_file(l, s) ||
		    cg_path(l, rel, slot_file(l, s), path, sizeof(path)))
			continue;
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			if (errno == ENOENT)
				continue;
			return -errno;
		}
		r = read(fd, buf, sizeof(buf) - 1);
		v = r < 0 ? -errno : 0;
		close(fd);
		if (v)
			return v;
		buf[r] = '\0';
		v = parse_weight(buf);
		if (v < 0)
			return v;
		*slot_val(w, s) = v;
		any++;
	}
	return any ? 0 : absent_reason(l, rel);
}

void cg_weight_expected(const struct prio_map *map, int ioprio,
			const struct cg_weights *present, struct cg_weights *want)
{
	int s;

	for (s = 0; s < W_NSLOTS; s++)
		*slot_val(want, s) = slot_get(present, s) < 0 ? -1 :
			(int)prio_weight(map, slot_scale[s], ioprio);
}

bool cg_weight_matches(const struct prio_map *map, int ioprio,
		       const struct cg_weights *have)
{
	struct cg_weights want;

	cg_weight_expected(map, ioprio, have, &want);
	return want.bfq == have->bfq && want.io == have->io && want.blkio == have->blkio;
}
