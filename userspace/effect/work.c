// SPDX-License-Identifier: GPL-2.0
/*
 * The competing workloads: one process per container, moved into the
 * container's cgroup before its first I/O (a process, not a thread, since a
 * cgroup v2 io controller takes whole processes), all released at once. Each
 * leaves its engine figures in shared memory.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "effect_priv.h"

struct work_slot {
	volatile int ready;
	int error;			/* 0 or -errno */
	char why[128];
	struct bench_result res;	/* samples point into the slot, below */
	size_t nsamples;
	struct bench_sample samples[EFFECT_MAX_SECONDS + 8];
};

struct work_shm {
	volatile int go;
	volatile int stop;
	struct work_slot slot[EFFECT_MAX_CTS];
};

struct effect_work {
	struct work_shm *shm;
	pid_t pid[EFFECT_MAX_CTS];
	unsigned int n;
	uint64_t start_ns;
	bool changed;
	unsigned int seconds;		/* probe samples taken */
};

/* With lone phases the last container runs alone before and after the others. */
static bool is_lone(const struct effect_opts *o, unsigned int i)
{
	return o->lone_ms && i == o->ncts - 1;
}

static uint64_t delay_ms(const struct effect_opts *o, unsigned int i)
{
	return is_lone(o, i) ? 0 : o->lone_ms;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static void job_for(struct bench_job *job, const struct effect_opts *o,
		    const struct effect_report *r, const struct effect_target *t,
		    unsigned int i)
{
	bench_job_init(job);
	snprintf(job->name, sizeof(job->name), "ct%s", r->ct[i].ctid);
	snprintf(job->filename, sizeof(job->filename), "%.*s", (int)sizeof(t->spec), t->spec);
	job->rw = effect_rw(o, i);
	job->bs = o->bs;
	job->offset = t->offset;
	job->size = t->size;
	job->runtime_ns = (o->runtime_ms + (is_lone(o, i) ? 2 * o->lone_ms : 0)) * 1000000ull;
	job->time_based = true;
	job->iodepth = o->iodepth;
	job->engine = o->engine;
	job->direct = true;
	job->seed = 0x5eed + i;
}

static void child(struct work_shm *shm, unsigned int i, const struct effect_env *e,
		  const struct effect_opts *o, const struct effect_report *r,
		  const struct effect_target *t)
{
	struct work_slot *s = &shm->slot[i];
	struct bench_run_opts ro = { .sample_ms = 1000, .stop = &shm->stop };
	struct bench_result *res;
	unsigned int nres;
	struct bench_job job;
	uint64_t ms;
	int err;

	signal(SIGINT, SIG_IGN);	/* the parent decides when to stop */
	err = cg_attach(&e->layout, r->ct[i].cgroup, getpid());
	if (err) {
		snprintf(s->why, sizeof(s->why), "cannot join cgroup %.80s", r->ct[i].cgroup);
		goto out;
	}
	job_for(&job, o, r, &t[i], i);
	s->ready = 1;
	while (!shm->go && !shm->stop)
		sleep_ms(1);
	for (ms = 0; ms < delay_ms(o, i) && !shm->stop; ms += 10)
		sleep_ms(10);
	err = bench_run(&job, 1, &ro, &res, &nres);
	if (err) {
		snprintf(s->why, sizeof(s->why), "workload on %.90s", t[i].spec);
		goto out;
	}
	s->res = res[0];
	s->nsamples = res[0].nsamples < EFFECT_MAX_SECONDS + 8 ? res[0].nsamples :
		      EFFECT_MAX_SECONDS + 8;
	memcpy(s->samples, res[0].samples, s->nsamples * sizeof(s->samples[0]));
	s->res.samples = NULL;
	err = res[0].error;
	if (err)
		snprintf(s->why, sizeof(s->why), "I/O error on %.90s", t[i].spec);
	bench_results_free(res, nres);
out:
	s->error = err;
	s->ready = 1;
	_exit(err ? 1 : 0);
}

int effect_work_start(struct effect_work **wp, const struct effect_env *e,
		      const struct effect_opts *o, const struct effect_report *r,
		      const struct effect_target *t)
{
	struct effect_work *w;
	unsigned int i, ready, ms;

	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->shm = mmap(NULL, sizeof(*w->shm), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (w->shm == MAP_FAILED) {
		free(w);
		return -ENOMEM;
	}
	*wp = w;
	fflush(NULL);
	for (i = 0; i < o->ncts; i++) {
		w->pid[i] = fork();
		if (w->pid[i] < 0)
			return -errno;
		if (!w->pid[i])
			child(w->shm, i, e, o, r, t);
		w->n++;
	}
	/* Release them together once all are in their cgroups. */
	for (ms = 0; ms < 10000; ms++) {
		for (i = ready = 0; i < o->ncts; i++)
			ready += w->shm->slot[i].ready;
		if (ready == o->ncts || (o->stop && *o->stop))
			break;
		sleep_ms(1);
	}
	w->start_ns = bench_now_ns();
	w->shm->go = 1;
	return 0;
}

int effect_work_wait(struct effect_work *w, const struct effect_opts *o,
		     const struct effect_env *e, const struct effect_report *r,
		     struct effect_probes *pr)
{
	bool marked = false;
	unsigned int left = w->n, i;
	uint64_t elapsed_ms;
	int status;

	while (left) {
		for (i = 0; i < w->n; i++) {
			if (w->pid[i] > 0 && waitpid(w->pid[i], &status, WNOHANG) == w->pid[i]) {
				w->pid[i] = -1;
				left--;
			}
		}
		if (o->stop && *o->stop)
			w->shm->stop = 1;
		elapsed_ms = (bench_now_ns() - w->start_ns) / 1000000;
		while (elapsed_ms >= (w->seconds + 1) * 1000ull && w->seconds < EFFECT_MAX_SECONDS) {
			effect_probes_second(pr);
			w->seconds++;
		}
		if (!marked && elapsed_ms >= o->lone_ms + o->warmup_ms) {
			marked = true;
			effect_probes_mark(pr);
		}
		if (o->has_change && !w->changed && elapsed_ms >= o->lone_ms + o->change_ms) {
			w->changed = true;
			effect_env_set(e, o, r->ct[o->change_ct].ctid, o->change_prio);
		}
		if (left)
			sleep_ms(20);
	}
	return 0;
}

int effect_work_collect(struct effect_work *w, const struct effect_opts *o,
			struct effect_report *r, char *why, size_t len)
{
	const struct bench_hist *h;
	struct effect_ct *ct;
	struct work_slot *s;
	uint64_t ios = 0, bytes = 0, from, to;
	double window;
	unsigned int i, k, shift;
	size_t j;

	for (i = 0; i < w->n; i++) {
		s = &w->shm->slot[i];
		ct = &r->ct[i];
		if (s->error) {
			snprintf(why, len, "container %s: %s: %s", ct->ctid, s->why,
				 strerror(-s->error));
			return s->error;
		}
		ios = bytes = 0;
		/* Seconds since the first container started. */
		shift = (unsigned int)(delay_ms(o, i) / 1000);
		memset(ct->ios, 0, sizeof(ct->ios));
		if (o->measure != SHARE_TIME)
			memset(ct->svc, 0, sizeof(ct->svc));
		ct->nsec = shift;
		from = o->lone_ms + o->warmup_ms;
		to = o->lone_ms + o->runtime_ms;
		for (j = 0; j < s->nsamples && ct->nsec < EFFECT_MAX_SECONDS; j++) {
			uint64_t n = s->samples[j].ios[0] + s->samples[j].ios[1];
			uint64_t b = s->samples[j].bytes[0] + s->samples[j].bytes[1];
			uint64_t t = s->samples[j].t_ms + shift * 1000ull;

			if (o->measure != SHARE_TIME)
				ct->svc[ct->nsec] = (double)(o->measure == SHARE_BYTES ? b : n);
			ct->ios[ct->nsec++] = (double)n;
			if (t > from && t <= to) {
				ios += n;
				bytes += b;
			}
		}
		window = (double)(o->runtime_ms - o->warmup_ms) / 1000.0;
		ct->iops = window > 0 ? (double)ios / window : 0;
		ct->mbps = window > 0 ? (double)bytes / window / 1e6 : 0;
		h = &s->res.dir[effect_rw(o, i) == BENCH_WRITE || effect_rw(o, i) == BENCH_RANDWRITE ?
				BENCH_DIR_WRITE : BENCH_DIR_READ].lat;
		ct->eng_p50_us = (double)bench_hist_percentile(h, 50) / 1000.0;
		ct->eng_p99_us = (double)bench_hist_percentile(h, 99) / 1000.0;
		for (k = 0; k <= 100; k++)
			ct->cdf_us[k] = (double)bench_hist_percentile(h, k) / 1000.0;
	}
	return 0;
}

void effect_work_free(struct effect_work *w)
{
	unsigned int i;
	int status;

	if (!w)
		return;
	if (w->shm != MAP_FAILED && w->shm) {
		w->shm->stop = 1;
		w->shm->go = 1;
	}
	for (i = 0; i < w->n; i++) {
		if (w->pid[i] <= 0)
			continue;
		kill(w->pid[i], SIGKILL);
		waitpid(w->pid[i], &status, 0);
	}
	if (w->shm)
		munmap(w->shm, sizeof(*w->shm));
	free(w);
}
