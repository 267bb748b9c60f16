// SPDX-License-Identifier: GPL-2.0
/*
 * cgroup id -> path. A cgroup's id is its kernfs node id, which is the inode
 * number of its directory; ids are per hierarchy, so only the blkio (v1) or
 * io (v2) hierarchy is walked. Ids are not reused within a boot, so a found
 * path stays right until the cgroup is removed; a miss walks again, at most
 * once per lat_cgmap_expire().
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <blkprio/cgroup.h>

#include "lat_priv.h"

#define CGMAP_MAX_DEPTH	32

struct cgmap_ent {
	uint64_t id;
	char *rel;
	bool gone;		/* seen in an earlier walk, removed since */
};

struct lat_cgmap {
	char *mount;
	struct cgmap_ent *e;
	size_t n, cap;
	bool walked;		/* walked since the last expire */
};

static void cgmap_drop(struct lat_cgmap *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		free(m->e[i].rel);
	m->n = 0;
}

static int cgmap_add(struct lat_cgmap *m, uint64_t id, const char *rel, bool gone)
{
	struct cgmap_ent *e;

	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 64;

		e = realloc(m->e, cap * sizeof(*e));
		if (!e)
			return -ENOMEM;
		m->e = e;
		m->cap = cap;
	}
	e = &m->e[m->n];
	e->id = id;
	e->gone = gone;
	e->rel = strdup(rel);
	if (!e->rel)
		return -ENOMEM;
	m->n++;
	return 0;
}

/* Add the children of the directory dfd (path rel) and recurse. */
static int cgmap_walk(struct lat_cgmap *m, int dfd, const char *rel, int depth)
{
	char sub[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int err = 0, fd;

	if (depth > CGMAP_MAX_DEPTH)
		return 0;
	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return -errno;
	}
	while ((de = readdir(d))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(sub, sizeof(sub), "%s%s%s", rel, *rel ? "/" : "",
				     de->d_name) >= sizeof(sub))
			continue;
		err = cgmap_add(m, de->d_ino, sub, false);
		if (err)
			break;
		fd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			continue;	/* removed meanwhile */
		err = cgmap_walk(m, fd, sub, depth + 1);
		if (err)
			break;
	}
	closedir(d);
	return err;
}

static int ent_cmp(const void *a, const void *b)
{
	const struct cgmap_ent *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static const struct cgmap_ent *cgmap_find(const struct lat_cgmap *m, uint64_t id);

static bool still_there(const struct lat_cgmap *m, const struct cgmap_ent *e)
{
	char path[PATH_MAX * 2];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", m->mount, e->rel);
	return !stat(path, &st) && st.st_ino == e->id;
}

/* Walk again; cgroups of the last walk that are gone stay, marked gone. */
static int cgmap_scan(struct lat_cgmap *m)
{
	struct lat_cgmap old = *m;
	struct stat st;
	int fd, err;
	size_t i;

	m->e = NULL;
	m->n = m->cap = 0;
	m->walked = true;
	fd = open(m->mount, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	if (fstat(fd, &st)) {
		err = -errno;
		close(fd);
		goto out;
	}
	err = cgmap_add(m, st.st_ino, "", false);
	if (err) {
		close(fd);
		goto out;
	}
	err = cgmap_walk(m, fd, "", 0);
	if (m->n)
		qsort(m->e, m->n, sizeof(*m->e), ent_cmp);
	/*
	 * Known before, not seen now: gone, unless it is still there (readdir
	 * can miss entries while siblings come and go).
	 */
	for (i = 0; !err && i < old.n; i++)
		if (!cgmap_find(m, old.e[i].id))
			err = cgmap_add(m, old.e[i].id, old.e[i].rel,
					old.e[i].gone || !still_there(m, &old.e[i]));
	if (m->n)
		qsort(m->e, m->n, sizeof(*m->e), ent_cmp);
out:
	cgmap_drop(&old);
	free(old.e);
	return err;
}

int lat_cgmap_new(const char *mount, struct lat_cgmap **out)
{
	struct lat_cgmap *m = calloc(1, sizeof(*m));
	int err;

	if (!m)
		return -ENOMEM;
	m->mount = strdup(mount);
	if (!m->mount) {
		free(m);
		return -ENOMEM;
	}
	err = cgmap_scan(m);
	if (err) {
		lat_cgmap_free(m);
		return err;
	}
	m->walked = false;	/* a miss may walk once more */
	*out = m;
	return 0;
}

void lat_cgmap_free(struct lat_cgmap *m)
{
	if (!m)
		return;
	cgmap_drop(m);
	free(m->e);
	free(m->mount);
	free(m);
}

void lat_cgmap_expire(struct lat_cgmap *m)
{
	m->walked = false;
}

int lat_cgmap_refresh(struct lat_cgmap *m)
{
	return cgmap_scan(m);
}

void lat_cgmap_prune(struct lat_cgmap *m)
{
	size_t i, j;

	for (i = j = 0; i < m->n; i++) {
		if (m->e[i].gone) {
			free(m->e[i].rel);
			continue;
		}
		m->e[j++] = m->e[i];
	}
	m->n = j;
}

static const struct cgmap_ent *cgmap_find(const struct lat_cgmap *m, uint64_t id)
{
	struct cgmap_ent k = { .id = id };

	if (!m->n)
		return NULL;
	return bsearch(&k, m->e, m->n, sizeof(*m->e), ent_cmp);
}

int lat_cgmap_lookup(struct lat_cgmap *m, uint64_t id, const char **rel)
{
	const struct cgmap_ent *e = cgmap_find(m, id);
	int err;

	if (!e && !m->walked) {
		err = cgmap_scan(m);
		if (err)
			return err;
		e = cgmap_find(m, id);
	}
	if (!e)
		return -ENOENT;
	*rel = e->rel;
	return e->gone;
}

void lat_cgmap_name(struct lat_cgmap *m, const struct cg_templates *t, uint64_t id,
		    struct lat_cgname *out)
{
	char rel[PATH_MAX], *slash;
	const char *r;
	int ret;

	memset(out, 0, sizeof(*out));
	if (id == LAT_NO_CGROUP) {
		out->state = LAT_CG_NONE;
		return;
	}
	ret = lat_cgmap_lookup(m, id, &r);
	if (ret < 0) {
		out->state = LAT_CG_UNKNOWN;
		return;
	}
	out->state = ret ? LAT_CG_REMOVED : LAT_CG_LIVE;
	snprintf(out->path, sizeof(out->path), "/%s", r);
	if (!t)
		return;
	/* the cgroup itself, else its nearest ancestor that is a container */
	snprintf(rel, sizeof(rel), "%s", r);
	while (rel[0]) {
		if (cg_templates_match(t, rel, out->ctid, sizeof(out->ctid)) >= 0)
			return;
		slash = strrchr(rel, '/');
		if (!slash)
			break;
		*slash = 0;
	}
	out->ctid[0] = 0;
}
