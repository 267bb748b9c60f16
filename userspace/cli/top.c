// SPDX-License-Identifier: GPL-2.0
/*
 * blkprio top: live block I/O latency per container and device. A refreshing
 * terminal view (ncurses), or -b batch text and --json (one object per
 * interval) for scripts. It loads its own probes, so it works with or
 * without the daemon.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <libsmartcols/libsmartcols.h>

#include <blkprio/parse.h>
#include <blkprio/table.h>

#include "cli.h"
#include "latview.h"
#include "top.h"

const struct colinfo top_cols[NCOLS] = {
	[COL_CTID] = { "CTID", 8, 0, COL_STR, "container, else the cgroup path (- no cgroup)" },
	[COL_CGROUP] = { "CGROUP", 0.2, SCOLS_FL_TRUNC, COL_STR, "cgroup path" },
	[COL_DEVICE] = { "DEVICE", 6, 0, COL_STR, "disk (* all, per-container view)" },
	[COL_IOPRIO] = { "IOPRIO", 6, SCOLS_FL_RIGHT, COL_NUM, "configured IOPRIO (- none)" },
	[COL_WEIGHT] = { "WEIGHT", 6, SCOLS_FL_RIGHT, COL_NUM,
			 "BFQ weight in the cgroup, for the device where one is set (- none)" },
	[COL_RS] = { "R/S", 7, SCOLS_FL_RIGHT, COL_FLOAT, "reads per second" },
	[COL_WS] = { "W/S", 7, SCOLS_FL_RIGHT, COL_FLOAT, "writes (and flushes) per second" },
	[COL_MBS] = { "MB/S", 7, SCOLS_FL_RIGHT, COL_FLOAT, "megabytes (10^6) per second" },
	[COL_P50] = { "P50", 7, SCOLS_FL_RIGHT, COL_FLOAT, "median latency, ms" },
	[COL_P99] = { "P99", 7, SCOLS_FL_RIGHT, COL_FLOAT, "99th percentile latency, ms" },
	[COL_MAX] = { "MAX", 7, SCOLS_FL_RIGHT, COL_FLOAT, "largest latency, ms" },
	[COL_QUEUE] = { "QUEUE", 7, SCOLS_FL_RIGHT, COL_FLOAT,
			"average time before issue to the driver, ms" },
	[COL_DISK] = { "DISK", 7, SCOLS_FL_RIGHT, COL_FLOAT,
		       "average time from issue to completion, ms" },
	[COL_PROMISED] = { "PROMISED", 8, SCOLS_FL_RIGHT, COL_FLOAT,
			   "share of the device its weight promises, % (share control; - off or idle)" },
	[COL_REALIZED] = { "REALIZED", 8, SCOLS_FL_RIGHT, COL_FLOAT,
			   "share of the device it got in blkpriod's last interval, %" },
	[COL_LEVER] = { "LEVER", 6, 0, COL_STR,
			"how IOPRIO takes effect on the device: bfq, iocost, caps (share control) "
			"or none; share control's own where it runs" },
};
static const int top_default[] = {
	COL_CTID, COL_DEVICE, COL_IOPRIO, COL_WEIGHT, COL_LEVER, COL_RS, COL_WS, COL_MBS,
	COL_P50, COL_P99, COL_MAX, COL_QUEUE, COL_DISK,
};
#define NDEFAULT (sizeof(top_default) / sizeof(top_default[0]))
/* With share control running, its columns are shown too. */
static const int top_default_share[] = {
	COL_CTID, COL_DEVICE, COL_IOPRIO, COL_WEIGHT, COL_LEVER, COL_RS, COL_WS, COL_MBS,
	COL_P50, COL_P99, COL_MAX, COL_QUEUE, COL_DISK, COL_PROMISED, COL_REALIZED,
};
#define NDEFAULT_SHARE (sizeof(top_default_share) / sizeof(top_default_share[0]))

const char *const top_sort_names[NSORT] = { "iops", "mbs", "p50", "p99", "max", "ctid" };


static void top_usage(FILE *out)
{
	fprintf(out,
		"Usage: blkprio top [-b] [-d SEC] [-n COUNT] [-s KEY] [-C] [-o COLUMNS] [--json]\n\n"
		"Block I/O per container and device, live: IOPRIO, weight, reads and writes\n"
		"per second, MB/s, latency p50/p99/max, queue and device time (ms).\n"
		"Keys: s/S next/previous sort key, c per-container/per-device, q quit.\n\n"
		"  -b, --batch           plain text, one table per interval (like top -b)\n"
		"  -d, --delay SEC       seconds between updates (default 2)\n"
		"  -n, --iterations N    updates to show, then exit\n"
		"  -s, --sort KEY        iops, mbs, p50, p99, max, ctid (default iops)\n"
		"  -C, --per-container   one row per container (all devices)\n"
		"  -o, --output COLUMNS  columns (\"+COL\" adds); -o help lists them\n"
		"      --stats           the probes' own run time (BPF statistics; costs a\n"
		"                        little per event), in the header and JSON\n"
		"  -j, --json            one JSON object per interval (implies -b)\n");
}

static struct top_row *row_get(struct top *t, const char *label, uint32_t dev)
{
	struct top_row *r;
	size_t i;

	for (i = 0; i < t->n; i++)
		if (t->rows[i].dev == dev && !strcmp(t->rows[i].label, label))
			return &t->rows[i];
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;

		r = realloc(t->rows, cap * sizeof(*r));
		if (!r)
			return NULL;
		t->rows = r;
		t->cap = cap;
	}
	r = &t->rows[t->n++];
	memset(r, 0, sizeof(*r));
	snprintf(r->label, sizeof(r->label), "%s", label);
	r->dev = dev;
	r->ioprio = r->weight = -1;
	r->promised = r->realized = -1;
	return r;
}

/*
 * A per-device BFQ weight ("MAJ:MIN W" lines of blkio.bfq.weight_device, v2
 * io.bfq.weight), as share control writes them; -1 when there is none.
 */
static int dev_weight(const struct cg_layout *l, const char *rel, uint32_t dev)
{
	char path[PATH_MAX * 2 + 32], line[128];
	unsigned int ma, mi;
	int w, found = -1;
	FILE *f;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s/%s", l->mount, rel,
			     l->ver == CG_V1 ? "blkio.bfq.weight_device" : "io.bfq.weight") >=
	    sizeof(path))
		return -1;
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%u:%u %d", &ma, &mi, &w) == 3 &&
		    ma == lat_dev_major(dev) && mi == lat_dev_minor(dev))
			found = w;
	fclose(f);
	return found;
}

/*
 * Share control's figures for the row: its device's, or in the per-container
 * view the sum over its devices. Where it runs, its lever is the row's.
 */
static void row_share(struct top *t, struct top_row *r)
{
	char name[32];
	size_t i;

	if (r->dev)
		lat_dev_name(r->dev, name, sizeof(name));
	for (i = 0; r->ctid[0] && i < t->nshare; i++) {
		const struct share_row *s = &t->share[i];

		if (strcmp(s->ctid, r->ctid) || (r->dev && strcmp(s->device, name)))
			continue;
		if (r->promised < 0) {
			r->promised = r->realized = 0;
			r->levers = 0;
		}
		r->promised += s->promised;
		r->realized += s->realized;
		r->levers |= 1u << s->lever;
	}
}

/*
 * The device's lever under the daemon's settings, chosen once an interval
 * (the probes here are top's own: BTF says whether the daemon's can load).
 */
static unsigned int dev_lever(struct top *t, uint32_t dev)
{
	struct cg_lever_choice ch;
	struct cg_devcheck c;
	char name[32];
	size_t i;

	for (i = 0; i < t->nlev; i++)
		if (t->lev[i].dev == dev)
			return 1u << t->lev[i].lever;
	lat_dev_name(dev, name, sizeof(name));
	if (!t->v.have_layout || cg_dev_check(&t->v.layout, name, &c))
		return 0;
	cg_dev_lever(&c, &t->v.cfg, c.btf, &ch);
	if (t->nlev < sizeof(t->lev) / sizeof(t->lev[0])) {
		t->lev[t->nlev].dev = dev;
		t->lev[t->nlev++].lever = ch.lever;
	}
	return 1u << ch.lever;
}

static void share_load(struct top *t)
{
	struct ct_dirs dirs = cli_dirs();
	char path[PATH_MAX];

	free(t->share);
	t->share = NULL;
	t->nshare = 0;
	snprintf(path, sizeof(path), "%s/%s", dirs.run_dir, SHARE_STATE_FILE);
	share_rows_read(path, &t->share, &t->nshare);	/* none: control off */
}

static void row_settings(struct top *t, struct top_row *r)
{
	struct ct_dirs dirs = cli_dirs();
	struct ct_settings s;
	struct cg_weights w;
	char rel[PATH_MAX];
	unsigned int exists;

	if (r->ctid[0] && !ct_load(&dirs, r->ctid, &s, &exists, NULL, NULL))
		r->ioprio = (int)s.v[CT_IOPRIO].val;
	if (!t->v.have_layout)
		return;
	if (r->ctid[0]) {
		if (cg_ct_find(&t->v.layout, &t->v.cfg.templates, r->ctid, rel, sizeof(rel)) < 0)
			return;
	} else if (r->path[0] == '/') {
		snprintf(rel, sizeof(rel), "%s", r->path + 1);
	} else {
		return;
	}
	if (r->dev) {
		r->weight = dev_weight(&t->v.layout, rel, r->dev);
		if (r->weight >= 0)
			return;
	}
	if (cg_weight_get(&t->v.layout, rel, &w))
		return;
	r->weight = w.bfq >= 0 ? w.bfq : w.io >= 0 ? w.io : w.blkio;
}

static double row_key(const struct top *t, const struct top_row *r, double iv)
{
	switch (t->sort) {
	case SORT_MBS:
		return (double)r->d.bytes;
	case SORT_P50:
		return lat_percentile_us(&r->d, 0.5);
	case SORT_P99:
		return lat_percentile_us(&r->d, 0.99);
	case SORT_MAX:
		return lat_max_us(&r->d);
	default:
		return (double)r->d.count;
	}
}

static struct top *sort_top;

static int row_cmp(const void *a, const void *b)
{
	const struct top_row *x = a, *y = b;
	double kx, ky;

	if (sort_top->sort != SORT_CTID) {
		kx = row_key(sort_top, x, 1);
		ky = row_key(sort_top, y, 1);
		if (kx != ky)
			return kx > ky ? -1 : 1;
	}
	if (strcmp(x->label, y->label))
		return ctid_cmp(x->label, y->label);
	return x->dev < y->dev ? -1 : x->dev > y->dev;
}

/* Rows of the last interval, merged by label (and device), sorted. */
int top_build(struct top *t)
{
	struct lat_cgname n;
	char label[sizeof(t->rows[0].label)];
	struct top_row *r;
	size_t i;

	t->n = 0;
	t->nlev = 0;
	for (i = 0; i < t->v.delta.n; i++) {
		const struct lat_entry *e = &t->v.delta.e[i];

		if (!e->d.count && !e->d.bytes)
			continue;
		latview_name(&t->v, e->cgid, &n);
		latview_label(&n, e->cgid, label, sizeof(label));
		r = row_get(t, label, t->per_ct ? 0 : e->dev);
		if (!r)
			return -ENOMEM;
		if (!r->path[0]) {
			snprintf(r->ctid, sizeof(r->ctid), "%s", n.ctid);
			snprintf(r->path, sizeof(r->path), "%s", n.path[0] ? n.path : "-");
		}
		lat_data_add(&r->d, &e->d);
		if (n.ctid[0])
			r->levers |= dev_lever(t, e->dev);
		if (e->op == LAT_READ)
			r->reads += e->d.count;
		else if (e->op == LAT_WRITE || e->op == LAT_FLUSH)
			r->writes += e->d.count;
	}
	share_load(t);
	for (i = 0; i < t->n; i++) {
		row_settings(t, &t->rows[i]);
		row_share(t, &t->rows[i]);
	}
	sort_top = t;
	if (t->n)
		qsort(t->rows, t->n, sizeof(*t->rows), row_cmp);
	return 0;
}

/* After each reading: the probes' own figures for the interval. */
void top_probe_info(struct top *t)
{
	t->info0 = t->info;
	lat_probe_info(t->v.probe, &t->info);
}

static double ms(double us)
{
	return us / 1000;
}

/* The text of one cell (the plain, JSON and curses views share it). */
void top_cell(const struct top *t, const struct top_row *r, int col, char *buf, size_t len)
{
	double iv = t->v.interval;
	const struct lat_data *d = &r->d;

	switch (col) {
	case COL_CTID:
		snprintf(buf, len, "%s", r->label);
		break;
	case COL_CGROUP:
		snprintf(buf, len, "%s", r->path);
		break;
	case COL_DEVICE:
		if (r->dev)
			lat_dev_name(r->dev, buf, len);
		else
			snprintf(buf, len, "*");
		break;
	case COL_IOPRIO:
	case COL_WEIGHT: {
		int v = col == COL_IOPRIO ? r->ioprio : r->weight;

		if (v < 0)
			snprintf(buf, len, "-");
		else
			snprintf(buf, len, "%d", v);
		break;
	}
	case COL_PROMISED:
	case COL_REALIZED:
		if (r->promised < 0)
			snprintf(buf, len, "-");
		else
			snprintf(buf, len, "%.1f",
				 100 * (col == COL_PROMISED ? r->promised : r->realized));
		break;
	case COL_LEVER:
		cg_levers_join(r->levers, buf, len);
		break;
	case COL_RS:
		snprintf(buf, len, "%.1f", (double)r->reads / iv);
		break;
	case COL_WS:
		snprintf(buf, len, "%.1f", (double)r->writes / iv);
		break;
	case COL_MBS:
		snprintf(buf, len, "%.2f", (double)d->bytes / iv / 1e6);
		break;
	case COL_P50:
		snprintf(buf, len, "%.3f", ms(lat_percentile_us(d, 0.5)));
		break;
	case COL_P99:
		snprintf(buf, len, "%.3f", ms(lat_percentile_us(d, 0.99)));
		break;
	case COL_MAX:
		snprintf(buf, len, "%.3f", ms(lat_max_us(d)));
		break;
	case COL_QUEUE:
	case COL_DISK:
		if (!d->split) {
			snprintf(buf, len, "-");
			break;
		}
		snprintf(buf, len, "%.3f", (double)(col == COL_QUEUE ? d->queue_ns : d->device_ns) /
			 (double)d->split / 1e6);
		break;
	}
}

/* Probe run time per program run, and per request completed (all devices). */
static double probe_ns_per_event(const struct top *t)
{
	uint64_t runs = t->info.runs - t->info0.runs;

	return runs ? (double)(t->info.run_ns - t->info0.run_ns) / (double)runs : 0;
}

static double probe_ns_per_io(const struct top *t)
{
	uint64_t ios = 0;
	size_t i;

	for (i = 0; i < t->v.delta.n; i++)
		ios += t->v.delta.e[i].d.count;
	return ios ? (double)(t->info.run_ns - t->info0.run_ns) / (double)ios : 0;
}

void top_header_line(const struct top *t, char *buf, size_t len)
{
	char tbuf[16];
	time_t now = time(NULL);

	strftime(tbuf, sizeof(tbuf), "%H:%M:%S", localtime(&now));
	int n;

	n = snprintf(buf, len, "blkprio top - %s, interval %.1f s, %s, sort %s, %zu rows%s",
		     tbuf, t->v.interval, t->per_ct ? "per container" : "per device",
		     top_sort_names[t->sort], t->n, t->info.issue_hook ? ", issue hook" : "");
	if (t->stats && n > 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, ", probes %.0f ns/request",
			 probe_ns_per_io(t));
}

static int print_batch(struct top *t)
{
	char buf[PATH_MAX + 64];
	struct table *tb;
	size_t i, c;
	int err;

	top_header_line(t, buf, sizeof(buf));
	printf("%s\n", buf);
	tb = table_new("top", top_cols, t->sel, t->nsel, 0);
	if (!tb)
		return -ENOMEM;
	for (i = 0; i < t->n; i++) {
		err = table_row(tb);
		for (c = 0; !err && c < t->nsel; c++) {
			top_cell(t, &t->rows[i], t->sel[c], buf, sizeof(buf));
			err = table_set(tb, t->sel[c], buf);
		}
		if (err) {
			table_free(tb);
			return err;
		}
	}
	if (t->n)
		err = table_print(tb, stdout);
	else
		err = 0;
	table_free(tb);
	printf("\n");
	fflush(stdout);
	return err;
}

/* A number with 'decimals' places (no binary noise in the JSON). */
static struct json_object *jnum(double v, int decimals)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%.*f", decimals, v);
	return json_object_new_double_s(v, buf);
}

static void print_json(struct top *t)
{
	struct json_object *o = json_object_new_object(), *rows = json_object_new_array();
	struct json_object *p = json_object_new_object();
	char buf[PATH_MAX + 64], key[16];
	size_t i, c, k;

	json_object_object_add(o, "time", json_object_new_int64(time(NULL)));
	json_object_object_add(o, "interval", jnum(t->v.interval, 3));
	json_object_object_add(o, "view", json_object_new_string(t->per_ct ? "container" :
								  "device"));
	for (i = 0; i < t->n; i++) {
		struct json_object *r = json_object_new_object();

		for (c = 0; c < NCOLS; c++) {
			struct json_object *val;

			top_cell(t, &t->rows[i], (int)c, buf, sizeof(buf));
			for (k = 0; top_cols[c].name[k] && k + 1 < sizeof(key); k++)
				key[k] = top_cols[c].name[k] == '/' ? '_' :
					 (char)(top_cols[c].name[k] | 0x20);
			key[k] = 0;
			if (top_cols[c].type == COL_STR || !strcmp(buf, "-"))
				val = strcmp(buf, "-") || top_cols[c].type == COL_STR ?
				      json_object_new_string(buf) : NULL;
			else if (top_cols[c].type == COL_NUM)
				val = json_object_new_int64(atoll(buf));
			else
				val = json_object_new_double_s(atof(buf), buf);
			json_object_object_add(r, key, val);
		}
		json_object_object_add(r, "ios", json_object_new_int64((int64_t)t->rows[i].d.count));
		json_object_object_add(r, "bytes", json_object_new_int64((int64_t)t->rows[i].d.bytes));
		json_object_array_add(rows, r);
	}
	json_object_object_add(o, "rows", rows);
	json_object_object_add(p, "stats", json_object_new_boolean(t->stats));
	json_object_object_add(p, "runs", json_object_new_int64((int64_t)(t->info.runs -
									  t->info0.runs)));
	json_object_object_add(p, "run_ns", json_object_new_int64((int64_t)(t->info.run_ns -
									    t->info0.run_ns)));
	json_object_object_add(p, "ns_per_run", jnum(probe_ns_per_event(t), 1));
	json_object_object_add(p, "ns_per_io", jnum(probe_ns_per_io(t), 1));
	json_object_object_add(p, "dropped", json_object_new_int64((int64_t)t->info.dropped));
	json_object_object_add(p, "issue_hook", json_object_new_boolean(t->info.issue_hook));
	json_object_object_add(o, "probe", p);
	cli_print_json(o);
	fflush(stdout);
}

static int run_batch(struct top *t, double delay, long long count)
{
	long long n;

	for (n = 0; count < 0 || n < count; n++) {
		if (!latview_wait(delay) && n)
			break;
		if (latview_sample(&t->v) || top_build(t))
			return cli_fail(EXIT_FAIL, "latency probes", NULL, "reading failed");
		top_probe_info(t);
		if (cli.json)
			print_json(t);
		else if (print_batch(t))
			return cli_fail(EXIT_FAIL, "output", NULL, "%s", strerror(ENOMEM));
		if (latview_stopped())
			break;
	}
	return EXIT_OK;
}

/* blkpriod runs share control: its state file is there. */
static bool share_running(void)
{
	struct ct_dirs dirs = cli_dirs();
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dirs.run_dir, SHARE_STATE_FILE);
	return !access(path, F_OK);
}

static int parse_sort(const char *s, enum sort_key *k)
{
	int i;

	for (i = 0; i < NSORT; i++)
		if (!strcmp(s, top_sort_names[i])) {
			*k = i;
			return 0;
		}
	return -EINVAL;
}

int do_top(int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_COMMON_OPTS,
		{ "batch", no_argument, NULL, 'b' },
		{ "delay", required_argument, NULL, 'd' },
		{ "iterations", required_argument, NULL, 'n' },
		{ "sort", required_argument, NULL, 's' },
		{ "per-container", no_argument, NULL, 'C' },
		{ "output", required_argument, NULL, 'o' },
		{ "probe-mode", required_argument, NULL, OPT_FIRST_PRIVATE },
		{ "stats", no_argument, NULL, OPT_FIRST_PRIVATE + 1 },
		{ NULL, 0, NULL, 0 },
	};
	enum lat_issue_mode mode = LAT_ISSUE_AUTO;
	const char *cols = NULL, *bad;
	long long count = -1;
	double delay = 2;
	bool batch = false, done;
	struct top t = { 0 };
	int c, code, n;

	while ((c = getopt_long(argc, argv, CLI_COMMON_SHORT "bd:n:s:Co:", opts, NULL)) != -1) {
		if (cli_common_opt(c, optarg, &done, &code, top_usage)) {
			if (done)
				return code;
			continue;
		}
		switch (c) {
		case 'b':
			batch = true;
			break;
		case 'd':
			if (latview_parse_interval(optarg, &delay))
				return cli_usage_err("invalid delay '%s' (seconds, 0.05 to 86400)",
						     optarg);
			break;
		case 'n':
			if (parse_int_range(optarg, 1, 1000000000, &count))
				return cli_usage_err("invalid iterations '%s' (1 or more)", optarg);
			break;
		case 's':
			if (parse_sort(optarg, &t.sort))
				return cli_usage_err("invalid sort key '%s' (iops, mbs, p50, p99, "
						     "max, ctid)", optarg);
			break;
		case 'C':
			t.per_ct = true;
			break;
		case 'o':
			cols = optarg;
			break;
		case OPT_FIRST_PRIVATE:
			/*
			 * benchmarks: "stamps" (kernel stamps only), "hashmap"
			 * (baseline), "nop" (the hook's and the statistics' cost)
			 */
			if (!strcmp(optarg, "stamps"))
				mode = LAT_ISSUE_NEVER;
			else if (!strcmp(optarg, "hashmap"))
				mode = LAT_ISSUE_HASHMAP;
			else if (!strcmp(optarg, "nop"))
				mode = LAT_ISSUE_NOP;
			else if (strcmp(optarg, "auto"))
				return cli_usage_err("invalid probe mode '%s'", optarg);
			break;
		case OPT_FIRST_PRIVATE + 1:
			t.stats = true;
			break;
		default:
			top_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc)
		return cli_usage_err("unexpected argument '%s'", argv[optind]);
	if (cols && !strcmp(cols, "help")) {
		table_help(top_cols, NCOLS, stdout);
		return EXIT_OK;
	}
	if (cols) {
		n = table_parse_columns(top_cols, NCOLS, cols, top_default, NDEFAULT, t.sel,
					NCOLS, &bad);
	} else if (share_running()) {
		memcpy(t.sel, top_default_share, sizeof(top_default_share));
		n = NDEFAULT_SHARE;
	} else {
		memcpy(t.sel, top_default, sizeof(top_default));
		n = NDEFAULT;
	}
	if (n < 0)
		return cli_usage_err("unknown column '%s' (-o help lists them)", bad);
	t.nsel = (size_t)n;
	if (!batch && !cli.json && !isatty(STDOUT_FILENO))
		batch = true;

	code = latview_open(&t.v, mode);
	if (code)
		return code;
	if (t.stats && lat_probe_enable_stats(t.v.probe)) {
		code = cli_fail(EXIT_FAIL, "BPF statistics", NULL, "cannot enable them");
		goto out;
	}
	if (latview_start(&t.v)) {
		code = cli_fail(EXIT_FAIL, "latency probes", NULL, "reading failed");
		goto out;
	}
	lat_probe_info(t.v.probe, &t.info);
	if (batch || cli.json)
		code = run_batch(&t, delay, count);
	else
		code = top_run_live(&t, delay, count);
out:
	free(t.rows);
	free(t.share);
	latview_close(&t.v);
	return code;
}
