// SPDX-License-Identifier: GPL-2.0
/*
 * The effect report as one self-contained HTML page: inline SVG charts (share
 * over time per container against its promised share; latency distribution
 * per container), no scripts, nothing fetched.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "effect_priv.h"

static const char *const colors[EFFECT_MAX_CTS] = {
	"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
};

#define W	720
#define H	300
#define L	60	/* plot area margins */
#define R	20
#define T	20
#define B	40

static double px(double x, double x0, double x1)
{
	return L + (x - x0) / (x1 - x0) * (W - L - R);
}

static double py(double y, double y0, double y1)
{
	return H - B - (y - y0) / (y1 - y0) * (H - T - B);
}

static void axes(FILE *f, const char *xlabel, const char *ylabel)
{
	fprintf(f, "<line x1='%d' y1='%d' x2='%d' y2='%d' stroke='#333'/>", L, H - B, W - R, H - B);
	fprintf(f, "<line x1='%d' y1='%d' x2='%d' y2='%d' stroke='#333'/>", L, T, L, H - B);
	fprintf(f, "<text x='%d' y='%d' text-anchor='middle'>%s</text>", (L + W - R) / 2, H - 5,
		xlabel);
	fprintf(f, "<text x='14' y='%d' transform='rotate(-90 14 %d)' text-anchor='middle'>%s"
		"</text>", (T + H - B) / 2, (T + H - B) / 2, ylabel);
}

static void share_chart(FILE *f, const struct effect_report *r, unsigned int id)
{
	double x1 = (double)(r->runtime_ms + 2 * r->lone_ms) / 1000, total, y;
	unsigned int i, s, n = 0, p;
	const struct effect_phase *ph;

	for (i = 0; i < r->ncts; i++)
		n = r->ct[i].nsec > n ? r->ct[i].nsec : n;
	fprintf(f, "<svg class='chart' id='share-%u' width='%d' height='%d' "
		"xmlns='http://www.w3.org/2000/svg' font-size='12'>", id, W, H);
	for (y = 0; y <= 1.0001; y += 0.25) {
		fprintf(f, "<line x1='%d' x2='%d' y1='%.1f' y2='%.1f' stroke='#ddd'/>", L, W - R,
			py(y, 0, 1), py(y, 0, 1));
		fprintf(f, "<text x='%d' y='%.1f' text-anchor='end'>%.0f%%</text>", L - 4,
			py(y, 0, 1) + 4, y * 100);
	}
	for (s = 0; s <= (unsigned int)x1; s += (x1 > 30 ? 10 : 5))
		fprintf(f, "<text x='%.1f' y='%d' text-anchor='middle'>%u</text>", px(s, 0, x1),
			H - B + 15, s);
	axes(f, "time (s)", "share of I/O");
	/* The promise: a dashed line per container and phase. */
	for (p = 0; p < r->nphases; p++) {
		ph = &r->phase[p];
		for (i = 0; i < r->ncts; i++)
			fprintf(f, "<line x1='%.1f' x2='%.1f' y1='%.1f' y2='%.1f' stroke='%s' "
				"stroke-dasharray='6 4' stroke-width='1.5'/>",
				px(ph->from_ms / 1000.0, 0, x1), px(ph->to_ms / 1000.0, 0, x1),
				py(ph->expected[i], 0, 1), py(ph->expected[i], 0, 1), colors[i]);
	}
	for (i = 0; i < r->ncts; i++) {
		fprintf(f, "<polyline fill='none' stroke='%s' stroke-width='2' points='", colors[i]);
		for (s = 0; s < n && s + 1 <= x1; s++) {
			unsigned int k;

			for (k = 0, total = 0; k < r->ncts; k++)
				total += s < r->ct[k].nsec ? r->ct[k].svc[s] : 0;
			y = total > 0 && s < r->ct[i].nsec ? r->ct[i].svc[s] / total : 0;
			fprintf(f, "%.1f,%.1f ", px(s + 1, 0, x1), py(y, 0, 1));
		}
		fprintf(f, "'/>");
	}
	fprintf(f, "</svg>\n");
}

static void latency_chart(FILE *f, const struct effect_report *r, unsigned int id)
{
	double lo = 1e18, hi = 0, v, lx0, lx1, d;
	unsigned int i, k;

	for (i = 0; i < r->ncts; i++) {
		if (r->ct[i].cdf_us[1] > 0 && r->ct[i].cdf_us[1] < lo)
			lo = r->ct[i].cdf_us[1];
		if (r->ct[i].cdf_us[99] > hi)
			hi = r->ct[i].cdf_us[99];
	}
	if (hi <= 0 || lo >= hi) {
		lo = 1;
		hi = 10;
	}
	lx0 = floor(log10(lo));
	lx1 = ceil(log10(hi));
	if (lx1 <= lx0)
		lx1 = lx0 + 1;
	fprintf(f, "<svg class='chart' id='latency-%u' width='%d' height='%d' "
		"xmlns='http://www.w3.org/2000/svg' font-size='12'>", id, W, H);
	for (v = 0; v <= 100; v += 25) {
		fprintf(f, "<line x1='%d' x2='%d' y1='%.1f' y2='%.1f' stroke='#ddd'/>", L, W - R,
			py(v, 0, 100), py(v, 0, 100));
		fprintf(f, "<text x='%d' y='%.1f' text-anchor='end'>p%.0f</text>", L - 4,
			py(v, 0, 100) + 4, v);
	}
	for (d = lx0; d <= lx1; d++)
		fprintf(f, "<text x='%.1f' y='%d' text-anchor='middle'>%g</text>", px(d, lx0, lx1),
			H - B + 15, pow(10, d));
	axes(f, "latency (µs, log scale; engine, submit to completion)", "percentile");
	for (i = 0; i < r->ncts; i++) {
		fprintf(f, "<polyline fill='none' stroke='%s' stroke-width='2' points='", colors[i]);
		for (k = 1; k < 100; k++) {
			v = r->ct[i].cdf_us[k] > 0 ? log10(r->ct[i].cdf_us[k]) : lx0;
			v = v < lx0 ? lx0 : v > lx1 ? lx1 : v;
			fprintf(f, "%.1f,%.1f ", px(v, lx0, lx1), py(k, 0, 100));
		}
		fprintf(f, "'/>");
	}
	fprintf(f, "</svg>\n");
}

static void table(FILE *f, const struct effect_report *r, unsigned int p)
{
	const struct effect_phase *ph = &r->phase[p];
	const struct effect_ct *c;
	unsigned int i;

	if (r->nphases > 1)
		fprintf(f, "<h3>Phase %u: %.0f s to %.0f s</h3>\n", p + 1, ph->from_ms / 1000.0,
			ph->to_ms / 1000.0);
	fprintf(f, "<table><tr><th>CTID</th><th>IOPRIO</th><th>weight</th><th>expected</th>"
		"<th>measured</th><th>error</th><th>IOPS</th><th>MB/s</th><th>engine p50/p99 "
		"(µs)</th><th>eBPF p50/p99 (µs)</th><th>ok</th></tr>\n");
	for (i = 0; i < r->ncts; i++) {
		c = &r->ct[i];
		fprintf(f, "<tr><td><span class='dot' style='background:%s'></span>%s</td>"
			"<td>%d</td><td>%u</td><td>%.1f%%</td><td>%.1f%%</td><td>%+.1f%%</td>"
			"<td>%.0f</td><td>%.2f</td><td>%.0f / %.0f</td>", colors[i], c->ctid,
			ph->prio[i], ph->weight[i], ph->expected[i] * 100, ph->measured[i] * 100,
			ph->error[i] * 100, ph->iops[i], ph->iops[i] * r->bs / 1e6,
			c->eng_p50_us, c->eng_p99_us);
		if (r->probes)
			fprintf(f, "<td>%.0f / %.0f</td>", c->probe_p50_us, c->probe_p99_us);
		else
			fprintf(f, "<td>-</td>");
		fprintf(f, "<td class='%s'>%s</td></tr>\n",
			fabs(ph->error[i]) <= r->tolerance ? "pass" : "fail",
			fabs(ph->error[i]) <= r->tolerance ? "yes" : "no");
	}
	fprintf(f, "</table>\n");
}

static void section(FILE *f, const struct effect_report *r, unsigned int id, bool many)
{
	unsigned int p;

	if (many)
		fprintf(f, "<h2>Share control %s</h2>\n", r->control);
	fprintf(f, "<p class='verdict'>Result: <span class='%s'>%s</span> &mdash; every "
		"container's share within %.0f%% of what its weight promises.</p>\n",
		r->pass ? "pass" : "fail", r->pass ? "PASS" : "FAIL", r->tolerance * 100);
	fprintf(f, "<p>Workload: %s, %u-byte blocks, queue depth %u, direct I/O, %.0f s "
		"(the first %.0f s of each phase not counted), %s disks on %s. Scheduler %s "
		"(low_latency=%d, slice_idle=%d, strict_guarantees=%d). Weight map: %s. "
		"blkpriod share control: %s. Lever: %s (%s). Shares counted in %s.</p>\n",
		r->rw, r->bs, r->iodepth, r->runtime_ms / 1000.0, r->warmup_ms / 1000.0, r->disk,
		r->device, r->sched, r->sched_used.low_latency, r->sched_used.slice_idle,
		r->sched_used.strict_guarantees, r->map, r->control, r->lever, r->lever_why,
		r->measure);
	for (p = 0; p < r->nphases; p++)
		table(f, r, p);
	if (r->lone_ms)
		fprintf(f, "<p>Alone: CT %s made %.0f IOPS on the idle device and %.0f IOPS once "
			"the others had stopped (%.1f%%; at least %.0f%% wanted): <span class='%s'>"
			"%s</span>.</p>\n", r->ct[r->ncts - 1].ctid, r->lone_idle_iops,
			r->lone_after_iops,
			r->lone_idle_iops > 0 ? 100 * r->lone_after_iops / r->lone_idle_iops : 0,
			100 * EFFECT_LONE_MIN, r->lone_pass ? "pass" : "fail",
			r->lone_pass ? "yes" : "no");
	if (!r->probes)
		fprintf(f, "<p>eBPF probes: none (%s).</p>\n", r->probe_note);
	fprintf(f, "<h3>Share over time</h3>\n<p>Solid: each container's share of the I/O in "
		"each second (counted as above). Dashed: the share its weight promises.</p>\n");
	share_chart(f, r, id);
	fprintf(f, "<h3>Latency distribution</h3>\n");
	latency_chart(f, r, id);
}

int effect_report_html(FILE *f, const struct effect_report *r, unsigned int n)
{
	bool pass = true;
	unsigned int i;

	for (i = 0; i < n; i++)
		pass &= r[i].pass;
	fprintf(f, "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
		"<title>blkprio bench effect: %s</title>\n<style>"
		"body{font-family:sans-serif;margin:2em;color:#222}"
		"table{border-collapse:collapse;margin:1em 0;font-size:13px}"
		"td,th{border:1px solid #ccc;padding:3px 6px;text-align:right}"
		"th{background:#f4f4f4}.pass{color:#080;font-weight:bold}"
		".fail{color:#c00;font-weight:bold}"
		".dot{display:inline-block;width:10px;height:10px;border-radius:5px;"
		"margin-right:6px}.verdict{font-size:1.3em}</style></head><body>\n",
		pass ? "PASS" : "FAIL");
	fprintf(f, "<h1>Do the priorities take effect?</h1>\n");
	if (n == 2 && strcmp(r[0].control, r[1].control)) {
		double ratio;
		bool ok = effect_throughput_kept(&r[0], &r[1], &ratio);

		fprintf(f, "<p class='verdict'>Throughput with share control on: %.0f IOPS, "
			"%.1f%% of the %.0f with it off (at least %.0f%% wanted): <span "
			"class='%s'>%s</span></p>\n", effect_total_iops(&r[1]), 100 * ratio,
			effect_total_iops(&r[0]), 100 * EFFECT_THROUGHPUT_MIN, ok ? "pass" : "fail",
			ok ? "yes" : "no");
	}
	for (i = 0; i < n; i++)
		section(f, &r[i], i, n > 1);
	fprintf(f, "</body></html>\n");
	return ferror(f) ? -EIO : 0;
}
