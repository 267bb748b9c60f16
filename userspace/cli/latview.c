// SPDX-License-Identifier: GPL-2.0
/* Shared by top.c and latency.c: probes, config, names, intervals. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "latview.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

bool latview_stopped(void)
{
	return stop;
}

bool latview_wait(double sec)
{
	struct timespec ts = {
		.tv_sec = (time_t)sec,
		.tv_nsec = (long)((sec - floor(sec)) * 1e9),
	};

	while (!stop && nanosleep(&ts, &ts) && errno == EINTR)
		;
	return !stop;
}

int latview_parse_interval(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= 0.05 && v <= 86400))
		return -EINVAL;
	*out = v;
	return 0;
}

int latview_open(struct latview *v, enum lat_issue_mode mode)
{
	struct lat_probe_opts po = { .issue = mode };
	struct sigaction sa = { .sa_handler = on_signal };
	char why[512];
	int err;

	memset(v, 0, sizeof(*v));
	lat_snap_init(&v->prev);
	lat_snap_init(&v->cur);
	lat_snap_init(&v->delta);
	err = cg_config_init(&v->cfg);
	if (!err)
		err = cg_config_load(&v->cfg, cli.config, cli_conf_diag, NULL);
	if (err) {
		cg_config_free(&v->cfg);
		return cli_fail(EXIT_FAIL, "config", cli.config ? cli.config : CG_CONFIG_DEFAULT,
				"%s", strerror(-err));
	}
	if (!cg_layout_detect(&v->layout)) {
		v->have_layout = true;
		err = lat_cgmap_new(v->layout.mount, &v->map);
		if (err) {
			cg_config_free(&v->cfg);
			return cli_fail(EXIT_FAIL, "cgroups", v->layout.mount, "%s",
					strerror(-err));
		}
	}
	err = lat_probe_open(&po, &v->probe, why, sizeof(why));
	if (err) {
		lat_cgmap_free(v->map);
		cg_config_free(&v->cfg);
		return cli_fail(EXIT_FAIL, "latency probes", NULL, "%s", why);
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	return EXIT_OK;
}

void latview_close(struct latview *v)
{
	lat_probe_close(v->probe);
	lat_cgmap_free(v->map);
	cg_config_free(&v->cfg);
	lat_snap_free(&v->prev);
	lat_snap_free(&v->cur);
	lat_snap_free(&v->delta);
}

int latview_start(struct latview *v)
{
	return lat_probe_read(v->probe, &v->prev);
}

int latview_sample(struct latview *v)
{
	struct lat_snap t;
	int err;

	lat_probe_poll(v->probe);
	if (v->map)
		lat_cgmap_expire(v->map);
	err = lat_probe_read(v->probe, &v->cur);
	if (err)
		return err;
	err = lat_snap_delta(&v->delta, &v->cur, &v->prev);
	if (err)
		return err;
	v->interval = (double)(v->cur.time_ns - v->prev.time_ns) / 1e9;
	if (v->interval <= 0)
		v->interval = 1e-9;
	t = v->prev;
	v->prev = v->cur;
	v->cur = t;
	return 0;
}

void latview_name(struct latview *v, uint64_t cgid, struct lat_cgname *n)
{
	if (!v->map) {
		memset(n, 0, sizeof(*n));
		n->state = cgid ? LAT_CG_UNKNOWN : LAT_CG_NONE;
		return;
	}
	lat_cgmap_name(v->map, &v->cfg.templates, cgid, n);
}

void latview_label(const struct lat_cgname *n, uint64_t cgid, char *buf, size_t len)
{
	const char *gone = n->state == LAT_CG_REMOVED ? " (removed)" : "";

	switch (n->state) {
	case LAT_CG_NONE:
		snprintf(buf, len, "-");
		break;
	case LAT_CG_UNKNOWN:
		snprintf(buf, len, "id:%llu", (unsigned long long)cgid);
		break;
	default:
		snprintf(buf, len, "%s%s", n->ctid[0] ? n->ctid : n->path, gone);
		break;
	}
}
