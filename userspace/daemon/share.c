// SPDX-License-Identifier: GPL-2.0
/*
 * Closed-loop share control in blkpriod (a row of the module table).
 *
 * Every SHARE_INTERVAL the latency probes' figures are turned into each
 * container's service on each device (SHARE_MEASURE: iops, bytes or time),
 * the controller (userspace/share) compares it with what the container's
 * weight promises, and its decisions are written: a per-device weight, or a
 * throttle cap on that device (SHARE_LEVERS: auto, weight or cap). Which
 * devices: those whose lever (levers.c) says share control runs there;
 * with SHARE_CONTROL=auto, the default, that is where the lever is caps (no
 * weights in the kernel), with yes every device, with no none. SHARE_DEVICES
 * limits them further. The state is written to RUN_DIR/share.state for
 * `blkprio top`, and to the metrics page.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <blkprio/fsutil.h>
#include <blkprio/latency.h>
#include <blkprio/log.h>
#include <blkprio/parse.h>
#include <blkprio/share.h>

#include "daemon.h"

#define SH_MAX_DEVS	32
#define SH_MAX_CTS	64

struct sh_ct {
	char ctid[CTID_MAX_LEN + 1];
	char rel[PATH_MAX];
	unsigned int weight;		/* configured, from IOPRIO and the map */
};

/* A device: its containers, with the controller's inputs and memory beside. */
struct sh_dev {
	uint32_t dev;
	char name[32];
	enum cg_lever lever;		/* the device's lever at the last interval */
	bool on;			/* share control ran on it last interval */
	struct share_dev d;
	unsigned int n;
	struct sh_ct ct[SH_MAX_CTS];
	struct share_input in[SH_MAX_CTS];
	struct share_state st[SH_MAX_CTS];
};

static struct dm_share {
	uint64_t interval_ns;
	enum share_measure measure;
	enum share_levers levers;
	int timer;
	struct lat_snap prev;
	unsigned int ndevs;
	struct sh_dev dev[SH_MAX_DEVS];
} S = { .timer = -1 };

static struct sh_dev *dev_get(uint32_t dev)
{
	struct sh_dev *sd;
	unsigned int i;

	for (i = 0; i < S.ndevs; i++)
		if (S.dev[i].dev == dev)
			return &S.dev[i];
	if (S.ndevs == SH_MAX_DEVS)
		return NULL;
	sd = &S.dev[S.ndevs];
	memset(sd, 0, sizeof(*sd));
	sd->dev = dev;
	lat_dev_name(dev, sd->name, sizeof(sd->name));
	S.ndevs++;
	return sd;
}

static int ct_get(struct sh_dev *sd, const char *ctid)
{
	unsigned int i;

	for (i = 0; i < sd->n; i++)
		if (!strcmp(sd->ct[i].ctid, ctid))
			return i;
	if (sd->n == SH_MAX_CTS)
		return -1;
	memset(&sd->ct[sd->n], 0, sizeof(sd->ct[0]));
	memset(&sd->st[sd->n], 0, sizeof(sd->st[0]));
	snprintf(sd->ct[sd->n].ctid, sizeof(sd->ct[0].ctid), "%s", ctid);
	return (int)sd->n++;
}

/* A container's configured weight on the BFQ/io scale, 0 if not managed. */
static unsigned int ct_weight(struct daemon *d, const char *ctid)
{
	struct ct_state *c = ctable_get(&d->cts, ctid, false);

	if (!c || !c->managed || !c->have_good)
		return 0;
	return prio_weight(&d->cfg.map, PRIO_FILE_BFQ, (int)c->good.v[CT_IOPRIO].val);
}

/* Add one snapshot entry (a container's reads or writes on a device). */
static void account(struct daemon *d, struct lat_cgmap *map, const struct lat_entry *e)
{
	const struct lat_data *x = &e->d;
	struct share_input *in;
	struct lat_cgname n;
	struct sh_dev *sd;
	int k;

	if ((e->op != LAT_READ && e->op != LAT_WRITE) || !x->count)
		return;
	lat_cgmap_name(map, &d->cfg.templates, e->cgid, &n);
	if (!n.ctid[0] || n.state != LAT_CG_LIVE)
		return;
	sd = dev_get(e->dev);
	k = sd ? ct_get(sd, n.ctid) : -1;
	if (k < 0)
		return;
	snprintf(sd->ct[k].rel, sizeof(sd->ct[k].rel), "%.*s", PATH_MAX - 2,
		 n.path[0] == '/' ? n.path + 1 : n.path);
	in = &sd->in[k];
	in->ios += x->count;
	in->bytes += x->bytes;
	if (e->op == LAT_WRITE)
		in->writes += x->count;
	in->latency_ns += x->sum_ns;
	/* Device time where the kernel split it; else the whole latency. */
	in->device_ns += x->split ? (uint64_t)((double)x->device_ns * x->count / x->split) :
				    x->sum_ns;
}

/* The device is one of THROTTLE_DEVICES: the container's own limits are there. */
static bool admin_device(const struct daemon *d, uint32_t dev)
{
	size_t i;

	for (i = 0; i < d->cfg.nthrottle; i++)
		if (d->cfg.throttle[i].major == lat_dev_major(dev) &&
		    d->cfg.throttle[i].minor == lat_dev_minor(dev))
			return true;
	return false;
}

static void apply(struct daemon *d, struct sh_dev *sd, const struct sh_ct *c,
		  const struct share_out *o)
{
	struct ct_state *cs = ctable_get(&d->cts, c->ctid, false);
	struct cg_dev cd = { .major = lat_dev_major(sd->dev), .minor = lat_dev_minor(sd->dev) };
	uint64_t bps = o->cap_bps, iops = o->cap_iops, lim;
	int err;

	snprintf(cd.name, sizeof(cd.name), "%s", sd->name);
	if (o->set_weight && cg_lever_is_weight(sd->lever)) {
		err = cg_weight_dev_set(&d->cx.layout, c->rel, sd->lever, cd.major, cd.minor,
					o->weight == c->weight ? 0 : o->weight);
		if (err && err != -ENOENT)
			log_warn("share: CT %s on %s: weight %u: %s", c->ctid, sd->name,
				 o->weight, strerror(-err));
	}
	if (!o->set_cap)
		return;
	/*
	 * Where the container's own IOLIMIT/IOPSLIMIT are in force (its
	 * THROTTLE_DEVICES), the stricter of them and the cap is written, and
	 * without a cap they are put back as they are.
	 */
	if (cs && cs->have_applied && admin_device(d, sd->dev)) {
		lim = (uint64_t)cs->applied.v[CT_IOLIMIT].val;
		bps = lim && (!bps || lim < bps) ? lim : bps;
		lim = (uint64_t)cs->applied.v[CT_IOPSLIMIT].val;
		iops = lim && (!iops || lim < iops) ? lim : iops;
	}
	err = cg_limits_set(&d->cx.layout, c->rel, &cd, 1, bps, iops);
	if (err && err != -ENOENT)
		log_warn("share: CT %s on %s: cap: %s", c->ctid, sd->name, strerror(-err));
}

/* After the daemon wrote a container's settings: its caps again, over its new limits. */
void dm_share_ct_applied(struct daemon *d, const char *ctid)
{
	struct share_params p;
	struct share_out o = { 0 };
	unsigned int i, k;

	share_params_default(&p);
	p.measure = S.measure;
	for (i = 0; i < S.ndevs; i++)
		for (k = 0; k < S.dev[i].n; k++)
			if (S.dev[i].on && S.dev[i].st[k].cap > 0 && S.dev[i].ct[k].rel[0] &&
			    !strcmp(S.dev[i].ct[k].ctid, ctid)) {
				share_cap_out(&p, &S.dev[i].st[k], &o);
				apply(d, &S.dev[i], &S.dev[i].ct[k], &o);
			}
}

/* Put one device back to the configured settings; its controller starts afresh. */
static void release_dev(struct daemon *d, struct sh_dev *sd)
{
	struct share_out o = { .set_weight = true, .set_cap = true };
	unsigned int k;

	for (k = 0; k < sd->n; k++) {
		if (!sd->ct[k].rel[0] || (sd->st[k].weight <= 0 && sd->st[k].cap <= 0))
			continue;
		o.weight = sd->ct[k].weight;
		apply(d, sd, &sd->ct[k], &o);
	}
	memset(&sd->d, 0, sizeof(sd->d));
	memset(sd->st, 0, sizeof(sd->st));
	sd->on = false;
}

/*
 * Whether share control runs on the device this interval: its lever says
 * so (chosen again now: a scheduler may have changed). A device it leaves,
 * or whose lever changed, is put back as configured first.
 */
static bool controlled(struct daemon *d, struct sh_dev *sd)
{
	const struct cg_lever_choice *ch = dm_lever(d, sd->name);
	enum cg_lever lever = ch ? ch->lever : CG_LEVER_NONE;
	bool on = ch && ch->share;

	if (sd->on && (!on || lever != sd->lever))
		release_dev(d, sd);
	sd->lever = lever;
	sd->on = on;
	return on;
}

/* The lever the views show for what the controller does on the device. */
static enum cg_lever row_lever(const struct sh_dev *sd)
{
	if (sd->d.lever == SHARE_LEVER_CAP)
		return CG_LEVER_CAPS;
	return sd->lever;
}

/* This interval's active containers, as the state file and metrics show them. */
static size_t collect_rows(struct share_row *rows, size_t max)
{
	unsigned int i, k;
	size_t n = 0;

	for (i = 0; i < S.ndevs; i++)
		for (k = 0; k < S.dev[i].n && n < max; k++) {
			const struct share_state *st = &S.dev[i].st[k];
			const struct sh_ct *c = &S.dev[i].ct[k];
			struct share_row *r = &rows[n];

			if (!st->active || !S.dev[i].on)
				continue;
			memset(r, 0, sizeof(*r));
			snprintf(r->ctid, sizeof(r->ctid), "%s", c->ctid);
			snprintf(r->device, sizeof(r->device), "%s", S.dev[i].name);
			r->promised = st->promised;
			r->realized = st->realized;
			r->lever = row_lever(&S.dev[i]);
			r->weight = st->weight > 0 ? (unsigned int)lround(st->weight) : c->weight;
			r->cap = st->cap;
			r->measure = S.measure;
			n++;
		}
	return n;
}

static void write_state(struct daemon *d)
{
	static struct share_row rows[SH_MAX_DEVS * SH_MAX_CTS];
	char path[PATH_MAX];
	int err;

	snprintf(path, sizeof(path), "%s/%s", d->run_dir, SHARE_STATE_FILE);
	err = share_rows_write(path, rows, collect_rows(rows, SH_MAX_DEVS * SH_MAX_CTS));
	if (err)
		log_warn("share: %s: %s", path, strerror(-err));
}

/* The metrics page's part: each active container's promise, share and lever. */
void dm_share_metrics(struct daemon *d, FILE *f)
{
	static struct share_row rows[SH_MAX_DEVS * SH_MAX_CTS];
	static const char *const names[] = { "promised", "realized" };
	size_t n = S.timer >= 0 ? collect_rows(rows, SH_MAX_DEVS * SH_MAX_CTS) : 0, i;
	unsigned int m, l;

	fprintf(f, "# HELP blkprio_share_control Whether closed-loop share control runs.\n"
		"# TYPE blkprio_share_control gauge\nblkprio_share_control %d\n", S.timer >= 0);
	for (m = 0; m < 2; m++) {
		fprintf(f, "# HELP blkprio_share_%s_ratio Share of the device's service (%s) "
			"the container's weight %s, busy containers only.\n"
			"# TYPE blkprio_share_%s_ratio gauge\n", names[m],
			share_measure_name(S.measure), m ? "got in the last interval" : "promises",
			names[m]);
		for (i = 0; i < n; i++)
			fprintf(f, "blkprio_share_%s_ratio{ctid=\"%s\",device=\"%s\"} %.4f\n",
				names[m], rows[i].ctid, rows[i].device,
				m ? rows[i].realized : rows[i].promised);
	}
	fprintf(f, "# HELP blkprio_share_lever The lever the controller acts with on the "
		"device for the container (1 for the one in use: bfq, iocost, caps, none).\n"
		"# TYPE blkprio_share_lever gauge\n");
	for (i = 0; i < n; i++)
		for (l = 0; l < CG_NLEVERS; l++)
			fprintf(f, "blkprio_share_lever{ctid=\"%s\",device=\"%s\",lever=\"%s\"} %d\n",
				rows[i].ctid, rows[i].device, cg_lever_name(l),
				rows[i].lever == l);
	fprintf(f, "# HELP blkprio_share_weight The weight share control keeps in force on "
		"the device (the configured one where it set none).\n"
		"# TYPE blkprio_share_weight gauge\n");
	for (i = 0; i < n; i++)
		fprintf(f, "blkprio_share_weight{ctid=\"%s\",device=\"%s\"} %u\n",
			rows[i].ctid, rows[i].device, rows[i].weight);
	fprintf(f, "# HELP blkprio_share_cap The throttle cap set by the controller "
		"(requests/s as the probes count them, or bytes/s when measuring bytes; "
		"written to the throttle as bytes/s at the container's request size; 0 none).\n"
		"# TYPE blkprio_share_cap gauge\n");
	for (i = 0; i < n; i++)
		fprintf(f, "blkprio_share_cap{ctid=\"%s\",device=\"%s\"} %.0f\n",
			rows[i].ctid, rows[i].device, rows[i].cap);
}

static void tick(struct daemon *d, int fd, uint32_t events, void *ctx)
{
	struct share_out out[SH_MAX_CTS];
	struct share_params p;
	struct lat_snap cur, delta;
	struct lat_cgmap *map;
	struct lat_probe *probe;
	struct sh_dev *sd;
	unsigned int i, k;
	uint64_t ticks;
	size_t j;

	if (read(fd, &ticks, sizeof(ticks)) < 0)
		return;
	probe = dm_latency_probe(&map);
	if (!probe || !map)
		return;
	lat_snap_init(&cur);
	lat_snap_init(&delta);
	if (lat_probe_read(probe, &cur) || lat_snap_delta(&delta, &cur, &S.prev)) {
		lat_snap_free(&cur);
		goto out;
	}
	lat_cgmap_expire(map);
	for (i = 0; i < S.ndevs; i++)
		memset(S.dev[i].in, 0, sizeof(S.dev[i].in));
	for (j = 0; j < delta.n; j++)
		account(d, map, &delta.e[j]);
	share_params_default(&p);
	p.measure = S.measure;
	p.levers = S.levers;
	for (i = 0; i < S.ndevs; i++) {
		sd = &S.dev[i];
		if (!controlled(d, sd))
			continue;
		p.weights_act = cg_lever_is_weight(sd->lever);
		for (k = 0; k < sd->n; k++) {
			sd->ct[k].weight = ct_weight(d, sd->ct[k].ctid);
			/* Quiet ones too: the controller decides when they are idle. */
			sd->in[k].weight = sd->ct[k].weight;
		}
		share_step(&p, (double)S.interval_ns / 1e9, sd->n, sd->in, sd->st, &sd->d, out);
		for (k = 0; k < sd->n; k++)
			if ((out[k].set_weight || out[k].set_cap) && sd->ct[k].rel[0])
				apply(d, sd, &sd->ct[k], &out[k]);
	}
	write_state(d);
	lat_snap_free(&S.prev);
	S.prev = cur;
out:
	lat_snap_free(&delta);
}

/* Put every device back to the configured settings (control turned off). */
static void release_all(struct daemon *d)
{
	unsigned int i;

	for (i = 0; i < S.ndevs; i++)
		release_dev(d, &S.dev[i]);
	S.ndevs = 0;
}

static void read_config(struct daemon *d)
{
	const struct conf_entry *e;
	uint64_t ns;

	S.interval_ns = 1000000000ull;
	S.measure = SHARE_IOPS;
	e = conf_find(&d->cfg.raw, "SHARE_INTERVAL");
	if (e && (parse_duration_ns(e->value, &ns) || ns < 100000000ull || ns > 60000000000ull))
		log_warn("%s:%u: SHARE_INTERVAL: '%s' is not 0.1 s to 60 s; using 1 s",
			 d->config_path, e->line, e->value);
	else if (e)
		S.interval_ns = ns;
	e = conf_find(&d->cfg.raw, "SHARE_MEASURE");
	if (e && share_measure_parse(e->value, &S.measure))
		log_warn("%s:%u: SHARE_MEASURE: '%s' is not iops, bytes or time; using iops",
			 d->config_path, e->line, e->value);
	S.levers = SHARE_LEVERS_AUTO;
	e = conf_find(&d->cfg.raw, "SHARE_LEVERS");
	if (e && share_levers_parse(e->value, &S.levers))
		log_warn("%s:%u: SHARE_LEVERS: '%s' is not auto, weight or cap; using auto",
			 d->config_path, e->line, e->value);
}

static void share_stop_timer(struct daemon *d)
{
	if (S.timer >= 0) {
		dm_del_fd(d, S.timer);
		close(S.timer);
		S.timer = -1;
	}
	lat_snap_free(&S.prev);
}

int dm_share_start(struct daemon *d)
{
	struct lat_cgmap *map;

	read_config(d);
	lat_snap_init(&S.prev);
	if (d->cfg.share == CG_SHARE_NO)
		return 0;
	if (!dm_latency_probe(&map)) {
		log_warn("share: share control needs the latency probes (LATENCY=yes and a "
			 "kernel with BPF and BTF); it is off, and devices without weights "
			 "have no lever");
		return 0;
	}
	S.timer = dm_add_timer(d, S.interval_ns, tick, NULL);
	if (S.timer < 0) {
		log_err("share: timer: %s", strerror(-S.timer));
		S.timer = -1;
		return 0;
	}
	log_notice("share: closed-loop control every %.1f s by device %s, on %s "
		   "(SHARE_CONTROL=%s)", S.interval_ns / 1e9, share_measure_name(S.measure),
		   d->cfg.share == CG_SHARE_YES ? "every device" :
		   "the devices whose lever is caps", cg_share_mode_name(d->cfg.share));
	return 0;
}

void dm_share_reload(struct daemon *d)
{
	share_stop_timer(d);
	release_all(d);
	dm_share_start(d);
}

void dm_share_stop(struct daemon *d)
{
	share_stop_timer(d);
	release_all(d);
	if (d->run_dir) {
		char path[PATH_MAX];

		snprintf(path, sizeof(path), "%s/%s", d->run_dir, SHARE_STATE_FILE);
		unlink(path);
	}
}
