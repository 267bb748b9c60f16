// SPDX-License-Identifier: GPL-2.0
/*
 * blkpriod's latency probes and metrics page (a row of the module table).
 *
 * LATENCY (default yes) loads the probes; METRICS_LISTEN (default
 * METRICS_LISTEN_DEFAULT, "no" to turn off) serves /metrics. Neither failing
 * stops the daemon: priorities matter more than their monitoring, so a
 * kernel without BPF or a port in use is logged and the daemon goes on.
 * Every minute the cgroups are walked again and the figures of removed
 * cgroups are dropped (their series leave the page).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <blkprio/latency.h>
#include <blkprio/log.h>
#include <blkprio/parse.h>

#include "daemon.h"
#include "metrics.h"

#define DM_LAT_POLL_NS		(2ull * 1000000000)	/* issue hook on demand */
#define DM_LAT_GC_EVERY		30			/* polls between cgroup walks */
#define DM_SRV_TICK_NS		(1ull * 1000000000)	/* HTTP timeouts */

static struct dm_metrics {
	struct daemon *d;
	bool latency;
	char listen[128];
	struct lat_probe *probe;
	struct lat_cgmap *map;
	struct lat_snap snap;
	struct metrics_srv *srv;
	int srv_fd, srv_tick, poll_fd;
	unsigned int polls;
} M = { .srv_fd = -1, .srv_tick = -1, .poll_fd = -1 };

/* ---- the page ---------------------------------------------------------- */

static void label(void *ctx, uint64_t cgid, struct lat_prom_cg *out)
{
	struct daemon *d = ctx;
	struct lat_cgname n;

	if (!M.map)
		return;
	lat_cgmap_name(M.map, &d->cfg.templates, cgid, &n);
	snprintf(out->ctid, sizeof(out->ctid), "%s", n.ctid);
	snprintf(out->cgroup, sizeof(out->cgroup), "%s", n.path);
}

/*
 * Configured IOPRIO and weight of every managed running container: the one
 * in its cgroup's weight file, or where it has none, the one share control
 * keeps (its IOPRIO through WEIGHT_MAP).
 */
static int collect_cts(struct daemon *d, struct lat_prom_ct **out, size_t *n)
{
	struct lat_prom_ct *cts;
	struct ct_state *c;
	struct cg_weights w;
	char rel[PATH_MAX];
	size_t i, k = 0;
	int err;

	cts = calloc(d->cts.n ? d->cts.n : 1, sizeof(*cts));
	if (!cts)
		return -ENOMEM;
	ctable_for_each(&d->cts, i, c) {
		if (!c->managed || !c->have_good || k == d->cts.n)
			continue;
		cts[k].ctid = c->ctid;
		cts[k].ioprio = (int)c->good.v[CT_IOPRIO].val;
		cts[k].weight = -1;
		if (d->cx.layout.ver == CG_NONE ||
		    cg_ct_find(&d->cx.layout, &d->cfg.templates, c->ctid, rel, sizeof(rel)) < 0) {
			k++;
			continue;
		}
		err = cg_weight_get(&d->cx.layout, rel, &w);
		if (!err)
			cts[k].weight = w.bfq >= 0 ? w.bfq : w.io >= 0 ? w.io : w.blkio;
		else if (err == -ENODEV)
			cts[k].weight = (int)prio_weight(&d->cfg.map, PRIO_FILE_BFQ, cts[k].ioprio);
		k++;
	}
	*out = cts;
	*n = k;
	return 0;
}

static int write_page(void *ctx, FILE *f)
{
	struct daemon *d = ctx;
	struct lat_prom_input in = { .label = label, .ctx = d };
	struct lat_probe_info info;
	struct lat_prom_ct *cts = NULL;
	int err;

	if (M.probe) {
		err = lat_probe_read(M.probe, &M.snap);
		if (err)
			return err;
		lat_probe_info(M.probe, &info);
		in.snap = &M.snap;
		in.info = &info;
		if (M.map)
			lat_cgmap_expire(M.map);
	}
	err = collect_cts(d, &cts, &in.ncts);
	if (err)
		return err;
	in.cts = cts;
	err = lat_prom_write(f, &in);
	free(cts);
	if (err)
		return err;
	fprintf(f, "# HELP blkprio_latency_probes Whether the latency probes are loaded.\n"
		"# TYPE blkprio_latency_probes gauge\nblkprio_latency_probes %d\n"
		"# HELP blkprio_daemon_applies_total Settings applied to cgroups.\n"
		"# TYPE blkprio_daemon_applies_total counter\nblkprio_daemon_applies_total %llu\n"
		"# HELP blkprio_daemon_errors_total Failed applies.\n"
		"# TYPE blkprio_daemon_errors_total counter\nblkprio_daemon_errors_total %llu\n",
		M.probe != NULL, (unsigned long long)d->applies, (unsigned long long)d->errors);
	dm_levers_metrics(d, f);
	dm_share_metrics(d, f);
	return ferror(f) ? -EIO : 0;
}

struct lat_probe *dm_latency_probe(struct lat_cgmap **map)
{
	*map = M.map;
	return M.probe;
}

/* ---- loop callbacks ------------------------------------------------------ */

static void srv_ready(struct daemon *d, int fd, uint32_t events, void *ctx)
{
	uint64_t ticks;

	if (fd == M.srv_tick && read(fd, &ticks, sizeof(ticks)) < 0)
		log_debug("metrics timer: %s", strerror(errno));
	if (M.srv)
		metrics_srv_run(M.srv);
}

/* Drop the figures of cgroups removed since the last walk. */
static void forget_removed(void)
{
	const char *rel;
	uint64_t last = 0;
	size_t i;
	int n;

	if (!M.map || lat_cgmap_refresh(M.map) || lat_probe_read(M.probe, &M.snap))
		return;
	for (i = 0; i < M.snap.n; i++) {
		uint64_t id = M.snap.e[i].cgid;

		if (id == last || id == LAT_NO_CGROUP)
			continue;
		last = id;
		if (lat_cgmap_lookup(M.map, id, &rel) != 1)
			continue;
		n = lat_probe_forget(M.probe, id);
		log_info("latency: cgroup /%s removed, %d series dropped", rel, n);
	}
	lat_cgmap_prune(M.map);
}

static void poll_ready(struct daemon *d, int fd, uint32_t events, void *ctx)
{
	uint64_t ticks;

	if (read(fd, &ticks, sizeof(ticks)) < 0)
		return;
	if (lat_probe_poll(M.probe) == 1)
		log_info("latency: a queue does not stamp issue times; issue hook attached");
	if (++M.polls % DM_LAT_GC_EVERY == 0)
		forget_removed();
}

/* ---- start, reload, stop ------------------------------------------------- */

/* LATENCY, parsed with the rest of blkpriod.conf (a bad value was logged there). */
static bool want_latency(struct daemon *d)
{
	return d->cfg.latency;
}

static void listen_addr(struct daemon *d, char *buf, size_t len)
{
	const struct conf_entry *e = conf_find(&d->cfg.raw, "METRICS_LISTEN");
	bool on;

	snprintf(buf, len, "%s", e ? e->value : METRICS_LISTEN_DEFAULT);
	if (!parse_bool(buf, &on) && !on)
		buf[0] = 0;
}

static void probes_stop(struct daemon *d)
{
	if (M.poll_fd >= 0) {
		dm_del_fd(d, M.poll_fd);
		close(M.poll_fd);
		M.poll_fd = -1;
	}
	lat_probe_close(M.probe);
	M.probe = NULL;
	lat_cgmap_free(M.map);
	M.map = NULL;
	lat_snap_free(&M.snap);
}

static void probes_start(struct daemon *d)
{
	char why[512];
	int err;

	lat_snap_init(&M.snap);
	err = lat_probe_open(NULL, &M.probe, why, sizeof(why));
	if (err) {
		log_warn("latency: %s; per-container latency is off", why);
		M.probe = NULL;
		return;
	}
	/* the probes' own run time for the page (two clock reads per event) */
	if (lat_probe_enable_stats(M.probe))
		log_debug("latency: BPF run-time statistics unavailable");
	if (d->cx.layout.ver != CG_NONE && lat_cgmap_new(d->cx.layout.mount, &M.map))
		log_warn("latency: cannot walk %s; cgroups shown by id", d->cx.layout.mount);
	M.poll_fd = dm_add_timer(d, DM_LAT_POLL_NS, poll_ready, NULL);
	if (M.poll_fd < 0) {
		log_err("latency: timer: %s", strerror(-M.poll_fd));
		probes_stop(d);
		return;
	}
	log_info("latency: probes loaded");
}

static void server_stop(struct daemon *d)
{
	if (M.srv_fd >= 0)
		dm_del_fd(d, M.srv_fd);
	if (M.srv_tick >= 0) {
		dm_del_fd(d, M.srv_tick);
		close(M.srv_tick);
	}
	M.srv_fd = M.srv_tick = -1;
	metrics_srv_stop(M.srv);
	M.srv = NULL;
}

static void server_start(struct daemon *d)
{
	const char *why;
	int err;

	if (!M.listen[0])
		return;
	err = metrics_srv_start(M.listen, write_page, d, &M.srv, &why);
	if (err) {
		log_err("metrics: METRICS_LISTEN '%s': %s%s%s; no metrics", M.listen,
			why ? why : "", why ? ": " : "", strerror(-err));
		M.srv = NULL;
		return;
	}
	M.srv_fd = metrics_srv_fd(M.srv);
	err = M.srv_fd < 0 ? -EINVAL : dm_add_fd(d, M.srv_fd, EPOLLIN, srv_ready, NULL);
	if (!err) {
		M.srv_tick = dm_add_timer(d, DM_SRV_TICK_NS, srv_ready, NULL);
		err = M.srv_tick < 0 ? M.srv_tick : 0;
	}
	if (err) {
		log_err("metrics: event loop: %s", strerror(-err));
		server_stop(d);
		return;
	}
	log_notice("metrics: serving http://%s/metrics (port %u)", M.listen,
		   metrics_srv_port(M.srv));
}

int dm_metrics_start(struct daemon *d)
{
	M.d = d;
	M.latency = want_latency(d);
	listen_addr(d, M.listen, sizeof(M.listen));
	if (M.latency)
		probes_start(d);
	server_start(d);
	return 0;
}

void dm_metrics_reload(struct daemon *d)
{
	char listen[sizeof(M.listen)];
	bool latency = want_latency(d);

	/* keep what did not change: counters survive a reload */
	if (latency != M.latency || (latency && !M.probe)) {
		probes_stop(d);
		M.latency = latency;
		if (latency)
			probes_start(d);
	} else if (M.probe) {
		lat_cgmap_free(M.map);
		M.map = NULL;
		if (d->cx.layout.ver != CG_NONE && lat_cgmap_new(d->cx.layout.mount, &M.map))
			log_warn("latency: cannot walk %s", d->cx.layout.mount);
	}
	listen_addr(d, listen, sizeof(listen));
	if (strcmp(listen, M.listen) || !M.srv) {
		server_stop(d);
		snprintf(M.listen, sizeof(M.listen), "%s", listen);
		server_start(d);
	}
}

void dm_metrics_stop(struct daemon *d)
{
	server_stop(d);
	probes_stop(d);
}
