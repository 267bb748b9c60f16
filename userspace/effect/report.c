// SPDX-License-Identifier: GPL-2.0
/* Effect reports: text for people, JSON for scripts. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "effect_priv.h"

double effect_total_iops(const struct effect_report *r)
{
	double sum = 0;
	unsigned int i;

	for (i = 0; i < r->ncts; i++)
		sum += r->phase[0].iops[i];
	return sum;
}

bool effect_throughput_kept(const struct effect_report *off, const struct effect_report *on,
			    double *ratio)
{
	double t = effect_total_iops(off);

	*ratio = t > 0 ? effect_total_iops(on) / t : 0;
	return *ratio >= EFFECT_THROUGHPUT_MIN;
}

static void text_settings(FILE *f, const struct effect_report *r)
{
	fprintf(f, "blkprio bench effect: %s, bs %u, queue depth %u, %.0f s (first %.0f s "
		"not counted), %s disks on %s\n", r->rw, r->bs, r->iodepth,
		(double)r->runtime_ms / 1000, (double)r->warmup_ms / 1000, r->disk, r->device);
	if (strcmp(r->sched, "bfq"))
		fprintf(f, "scheduler: %s; ", r->sched);
	else
		fprintf(f, "scheduler: bfq (low_latency=%d slice_idle=%d strict_guarantees=%d); ",
			r->sched_used.low_latency, r->sched_used.slice_idle,
			r->sched_used.strict_guarantees);
	fprintf(f, "weight map: %s; share control: %s (SHARE_CONTROL=%s); shares counted in "
		"%s\n", r->map, r->control, r->control_mode,
		!strcmp(r->measure, "time") ? "device time" :
		!strcmp(r->measure, "bytes") ? "bytes" : "operations");
	fprintf(f, "lever: %s (%s)\n", r->lever, r->lever_why);
	if (!r->probes)
		fprintf(f, "eBPF probes: none (%s)\n", r->probe_note);
}

static void text_phase(FILE *f, const struct effect_report *r, unsigned int p)
{
	const struct effect_phase *ph = &r->phase[p];
	const struct effect_ct *c;
	unsigned int i;

	if (r->nphases > 1)
		fprintf(f, "\nphase %u: %.0f s to %.0f s\n", p + 1, (double)ph->from_ms / 1000,
			(double)ph->to_ms / 1000);
	if (ph->settle_s >= 0)
		fprintf(f, "settled (3 s average within the tolerance from then on) after %.0f s\n",
			ph->settle_s);
	else
		fprintf(f, "never settled within the tolerance\n");
	fprintf(f, "%-6s %6s %6s %8s %8s %7s %8s %7s %9s %9s %9s %9s %5s\n", "CTID", "IOPRIO",
		"WEIGHT", "EXPECTED", "MEASURED", "ERROR", "IOPS", "MB/s", "ENG_P50", "ENG_P99",
		"BPF_P50", "BPF_P99", "OK");
	for (i = 0; i < r->ncts; i++) {
		c = &r->ct[i];
		fprintf(f, "%-6s %6d %6u %7.1f%% %7.1f%% %+6.1f%% %8.0f %7.2f %7.0fus %7.0fus ",
			c->ctid, ph->prio[i], ph->weight[i], ph->expected[i] * 100,
			ph->measured[i] * 100, ph->error[i] * 100, ph->iops[i],
			ph->iops[i] * r->bs / 1e6, c->eng_p50_us, c->eng_p99_us);
		if (r->probes)
			fprintf(f, "%7.0fus %7.0fus", c->probe_p50_us, c->probe_p99_us);
		else
			fprintf(f, "%9s %9s", "-", "-");
		fprintf(f, " %5s\n", ph->error[i] <= r->tolerance && ph->error[i] >= -r->tolerance ?
			"yes" : "NO");
	}
}

int effect_report_text(FILE *f, const struct effect_report *r)
{
	unsigned int p;

	text_settings(f, r);
	for (p = 0; p < r->nphases; p++)
		text_phase(f, r, p);
	if (r->lone_ms)
		fprintf(f, "\nalone: CT %s %.0f IOPS on the idle device, %.0f IOPS once the others "
			"stopped (%.1f%%, at least %.0f%% wanted): %s\n", r->ct[r->ncts - 1].ctid,
			r->lone_idle_iops, r->lone_after_iops,
			r->lone_idle_iops > 0 ? 100 * r->lone_after_iops / r->lone_idle_iops : 0,
			100 * EFFECT_LONE_MIN, r->lone_pass ? "yes" : "NO");
	fprintf(f, "\nresult: %s (every share within %.0f%% of what its weight promises%s)\n",
		r->pass ? "PASS" : "FAIL", r->tolerance * 100,
		r->lone_ms ? "; the lone container back to its idle-device rate" : "");
	return ferror(f) ? -EIO : 0;
}

static struct json_object *jphase(const struct effect_report *r, unsigned int p)
{
	const struct effect_phase *ph = &r->phase[p];
	struct json_object *o = json_object_new_object(), *a = json_object_new_array(), *c;
	const struct effect_ct *ct;
	unsigned int i;

	json_object_object_add(o, "from_s", json_object_new_double(ph->from_ms / 1000.0));
	json_object_object_add(o, "to_s", json_object_new_double(ph->to_ms / 1000.0));
	json_object_object_add(o, "pass", json_object_new_boolean(ph->pass));
	json_object_object_add(o, "settle_s", json_object_new_double(ph->settle_s));
	for (i = 0; i < r->ncts; i++) {
		ct = &r->ct[i];
		c = json_object_new_object();
		json_object_object_add(c, "ctid", json_object_new_string(ct->ctid));
		json_object_object_add(c, "ioprio", json_object_new_int(ph->prio[i]));
		json_object_object_add(c, "weight", json_object_new_int((int)ph->weight[i]));
		json_object_object_add(c, "expected_share", json_object_new_double(ph->expected[i]));
		json_object_object_add(c, "measured_share", json_object_new_double(ph->measured[i]));
		json_object_object_add(c, "error", json_object_new_double(ph->error[i]));
		json_object_object_add(c, "iops", json_object_new_double(ph->iops[i]));
		json_object_object_add(c, "mb_per_s",
				       json_object_new_double(ph->iops[i] * r->bs / 1e6));
		json_object_array_add(a, c);
	}
	json_object_object_add(o, "containers", a);
	return o;
}

static struct json_object *jct(const struct effect_report *r, const struct effect_ct *ct)
{
	struct json_object *c = json_object_new_object(), *s = json_object_new_array();
	unsigned int i;

	json_object_object_add(c, "ctid", json_object_new_string(ct->ctid));
	json_object_object_add(c, "rw", json_object_new_string(ct->rw));
	json_object_object_add(c, "cgroup", json_object_new_string(ct->cgroup));
	json_object_object_add(c, "kernel_weight", ct->weight_kernel < 0 ? NULL :
			       json_object_new_int(ct->weight_kernel));
	json_object_object_add(c, "iops", json_object_new_double(ct->iops));
	json_object_object_add(c, "mb_per_s", json_object_new_double(ct->mbps));
	json_object_object_add(c, "engine_p50_us", json_object_new_double(ct->eng_p50_us));
	json_object_object_add(c, "engine_p99_us", json_object_new_double(ct->eng_p99_us));
	if (r->probes) {
		json_object_object_add(c, "probe_requests", json_object_new_int64((int64_t)ct->probe_count));
		json_object_object_add(c, "probe_p50_us", json_object_new_double(ct->probe_p50_us));
		json_object_object_add(c, "probe_p99_us", json_object_new_double(ct->probe_p99_us));
		json_object_object_add(c, "probe_queue_us", json_object_new_double(ct->probe_queue_us));
		json_object_object_add(c, "probe_device_us",
				       json_object_new_double(ct->probe_device_us));
	}
	for (i = 0; i < ct->nsec; i++)
		json_object_array_add(s, json_object_new_double(ct->ios[i]));
	json_object_object_add(c, "ios_per_second", s);
	s = json_object_new_array();
	for (i = 0; i < ct->nsec; i++)
		json_object_array_add(s, json_object_new_double(ct->svc[i]));
	json_object_object_add(c, "service_per_second", s);
	return c;
}

int effect_report_json(FILE *f, const struct effect_report *r)
{
	struct json_object *o = json_object_new_object(), *a, *sched;
	unsigned int i;

	json_object_object_add(o, "rw", json_object_new_string(r->rw));
	json_object_object_add(o, "bs", json_object_new_int((int)r->bs));
	json_object_object_add(o, "iodepth", json_object_new_int((int)r->iodepth));
	json_object_object_add(o, "runtime_s", json_object_new_double(r->runtime_ms / 1000.0));
	json_object_object_add(o, "warmup_s", json_object_new_double(r->warmup_ms / 1000.0));
	json_object_object_add(o, "disk", json_object_new_string(r->disk));
	json_object_object_add(o, "device", json_object_new_string(r->device));
	sched = json_object_new_object();
	json_object_object_add(sched, "name", json_object_new_string(r->sched));
	json_object_object_add(sched, "low_latency", json_object_new_int(r->sched_used.low_latency));
	json_object_object_add(sched, "slice_idle", json_object_new_int(r->sched_used.slice_idle));
	json_object_object_add(sched, "strict_guarantees",
			       json_object_new_int(r->sched_used.strict_guarantees));
	json_object_object_add(o, "scheduler", sched);
	json_object_object_add(o, "weight_map", json_object_new_string(r->map));
	json_object_object_add(o, "share_control", json_object_new_string(r->control));
	json_object_object_add(o, "share_control_mode", json_object_new_string(r->control_mode));
	json_object_object_add(o, "lever", json_object_new_string(r->lever));
	json_object_object_add(o, "lever_why", json_object_new_string(r->lever_why));
	json_object_object_add(o, "measure", json_object_new_string(r->measure));
	json_object_object_add(o, "tolerance", json_object_new_double(r->tolerance));
	if (r->lone_ms) {
		struct json_object *l = json_object_new_object();

		json_object_object_add(l, "ctid", json_object_new_string(r->ct[r->ncts - 1].ctid));
		json_object_object_add(l, "seconds", json_object_new_double(r->lone_ms / 1000.0));
		json_object_object_add(l, "idle_iops", json_object_new_double(r->lone_idle_iops));
		json_object_object_add(l, "after_iops", json_object_new_double(r->lone_after_iops));
		json_object_object_add(l, "pass", json_object_new_boolean(r->lone_pass));
		json_object_object_add(o, "lone", l);
	}
	json_object_object_add(o, "probes", json_object_new_boolean(r->probes));
	if (!r->probes)
		json_object_object_add(o, "probe_note", json_object_new_string(r->probe_note));
	a = json_object_new_array();
	for (i = 0; i < r->nphases; i++)
		json_object_array_add(a, jphase(r, i));
	json_object_object_add(o, "phases", a);
	a = json_object_new_array();
	for (i = 0; i < r->ncts; i++)
		json_object_array_add(a, jct(r, &r->ct[i]));
	json_object_object_add(o, "containers", a);
	json_object_object_add(o, "pass", json_object_new_boolean(r->pass));
	fprintf(f, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
							  JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return ferror(f) ? -EIO : 0;
}
