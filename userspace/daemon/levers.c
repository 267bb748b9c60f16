// SPDX-License-Identifier: GPL-2.0
/*
 * The lever of each block device (a row of the module table): chosen at
 * start and on SIGHUP for every device and logged once per device; chosen
 * again when the kernel says a device appeared or changed (uevents: a new
 * loop device, another scheduler) and whenever share control asks, and
 * logged when it changes. The metrics page shows it per device.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/netlink.h>

#include <blkprio/log.h>

#include "daemon.h"

struct lever_dev {
	char name[32];
	unsigned int major, minor;
	struct cg_lever_choice ch;
};

static struct {
	struct lever_dev *v;
	size_t n, cap;
	int uevent_fd;
} L = { .uevent_fd = -1 };

/* Share control runs only with the probes: the caps lever needs them loaded. */
static bool probes_loaded(void)
{
	struct lat_cgmap *map;

	return dm_latency_probe(&map) != NULL;
}

static struct lever_dev *find(const char *name)
{
	size_t i;

	for (i = 0; i < L.n; i++)
		if (!strcmp(L.v[i].name, name))
			return &L.v[i];
	return NULL;
}

static struct lever_dev *add(const char *name)
{
	struct lever_dev *nv;

	if (L.n == L.cap) {
		nv = realloc(L.v, (L.cap ? L.cap * 2 : 16) * sizeof(*nv));
		if (!nv)
			return NULL;
		L.v = nv;
		L.cap = L.cap ? L.cap * 2 : 16;
	}
	memset(&L.v[L.n], 0, sizeof(L.v[0]));
	snprintf(L.v[L.n].name, sizeof(L.v[0].name), "%s", name);
	return &L.v[L.n++];
}

static void drop(struct lever_dev *ld)
{
	*ld = L.v[--L.n];
}

static void log_lever(const struct lever_dev *ld, int level, const char *was)
{
	const struct cg_lever_choice *c = &ld->ch;

	log_msg(level, "%s: lever %s%s%s%s: %s%s%s", ld->name, cg_lever_name(c->lever),
		was ? " (was " : "", was ? was : "", was ? ")" : "", c->why,
		c->fix[0] ? "; " : "", c->fix);
}

/*
 * Choose again for one device; log when it is new or its lever changed
 * (always when log_all). NULL when the device is gone.
 */
static struct lever_dev *refresh(struct daemon *d, const char *name, bool log_all)
{
	struct cg_lever_choice ch;
	struct cg_devcheck c;
	struct lever_dev *ld = find(name);
	enum cg_lever was;
	bool fresh = !ld;

	if (cg_dev_check(&d->cx.layout, name, &c) || !c.sectors) {
		if (ld) {
			log_debug("%s: gone", name);
			drop(ld);
		}
		return NULL;
	}
	cg_dev_lever(&c, &d->cfg, probes_loaded(), &ch);
	if (!ld)
		ld = add(name);
	if (!ld)
		return NULL;
	was = ld->ch.lever;
	ld->major = c.major;
	ld->minor = c.minor;
	ld->ch = ch;
	if (log_all || fresh)
		log_lever(ld, LOG_NOTICE, NULL);
	else if (was != ch.lever)
		log_lever(ld, LOG_NOTICE, cg_lever_name(was));
	return ld;
}

/* Every device worth showing (as `blkprio check` lists them). */
static void refresh_all(struct daemon *d)
{
	size_t n, i, kept = 0;
	char **names;

	L.n = 0;
	if (cg_dev_names(&names, &n))
		return;
	for (i = 0; i < n; i++) {
		struct lever_dev *ld = refresh(d, names[i], true);

		kept += ld && ld->ch.kept;
	}
	if (n && !kept)
		log_warn("no block device has a lever for IOPRIO (see 'blkprio check')");
	cg_dev_names_free(names, n);
}

const struct cg_lever_choice *dm_lever(struct daemon *d, const char *name)
{
	struct lever_dev *ld = refresh(d, name, false);

	return ld ? &ld->ch : NULL;
}

/* The disk a uevent is about: DEVPATH=/devices/.../block/NAME[/...]. */
static bool uevent_disk(const char *msg, size_t len, char *name, size_t nlen)
{
	const char *p, *end = msg + len, *path = NULL, *sub = NULL;
	size_t k;

	for (p = msg; p < end; p += strlen(p) + 1) {
		if (!strncmp(p, "DEVPATH=", 8))
			path = p + 8;
		else if (!strncmp(p, "SUBSYSTEM=", 10))
			sub = p + 10;
	}
	if (!path || !sub || (strcmp(sub, "block") && strcmp(sub, "queue")))
		return false;
	p = strstr(path, "/block/");
	if (!p)
		return false;
	p += 7;
	k = strcspn(p, "/");
	if (!k || k >= nlen)
		return false;
	memcpy(name, p, k);
	name[k] = '\0';
	return true;
}

static void uevent_ready(struct daemon *d, int fd, uint32_t events, void *ctx)
{
	char buf[8192], name[32];
	ssize_t n;

	while ((n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT)) > 0) {
		buf[n] = '\0';
		if (uevent_disk(buf, (size_t)n, name, sizeof(name)))
			refresh(d, name, false);
	}
}

/* Kernel uevents (no udev needed); without them, share control still re-checks. */
static void uevent_open(struct daemon *d)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = 1 };
	int fd;

	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    NETLINK_KOBJECT_UEVENT);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    dm_add_fd(d, fd, EPOLLIN, uevent_ready, NULL)) {
		log_debug("levers: no kernel uevents: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	L.uevent_fd = fd;
}

int dm_levers_start(struct daemon *d)
{
	refresh_all(d);
	if (L.uevent_fd < 0)
		uevent_open(d);
	return 0;
}

void dm_levers_reload(struct daemon *d)
{
	refresh_all(d);
}

void dm_levers_stop(struct daemon *d)
{
	if (L.uevent_fd >= 0) {
		dm_del_fd(d, L.uevent_fd);
		close(L.uevent_fd);
		L.uevent_fd = -1;
	}
	free(L.v);
	L.v = NULL;
	L.n = L.cap = 0;
}

void dm_levers_metrics(struct daemon *d, FILE *f)
{
	unsigned int l;
	size_t i;

	fprintf(f, "# HELP blkprio_device_lever How IOPRIO takes effect on the device "
		"(1 for its lever: bfq, iocost, caps or none).\n"
		"# TYPE blkprio_device_lever gauge\n");
	for (i = 0; i < L.n; i++)
		for (l = 0; l < CG_NLEVERS; l++)
			fprintf(f, "blkprio_device_lever{device=\"%s\",lever=\"%s\"} %d\n",
				L.v[i].name, cg_lever_name(l), L.v[i].ch.lever == l);
}
