// SPDX-License-Identifier: GPL-2.0
/*
 * The run's control of its jobs across threads, as fio's: exitall ends other
 * jobs when one ends (exit_what says which), and wait_for holds a job back
 * until every copy of another has ended. fio keeps exitall as one flag of
 * the run: a job that sets it makes every job's end count.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include <blkprio/bench.h>

#include "bench_priv.h"

int bench_ctl_init(struct bench_ctl *c, struct bench_worker *ws, unsigned int n)
{
	unsigned int i;
	int err;

	c->ws = ws;
	c->n = n;
	c->stop_all = 0;
	c->exitall = false;
	for (i = 0; i < n; i++) {
		c->exitall |= ws[i].job->exitall;
		ws[i].ctl = c;
	}
	err = bench_flows_init(c);
	if (err)
		return err;
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->ended, NULL);
	return 0;
}

void bench_ctl_destroy(struct bench_ctl *c)
{
	pthread_cond_destroy(&c->ended);
	pthread_mutex_destroy(&c->lock);
	free(c->flows);
}

/* fio's terminate: the group's jobs, every job started so far, or all. */
static void terminate(struct bench_ctl *c, const struct bench_worker *w)
{
	enum bench_exit_what what = w->job->exit_what;
	unsigned int i;

	if (what == BENCH_EXIT_ALL)
		c->stop_all = 1;
	for (i = 0; i < c->n; i++) {
		struct bench_worker *x = &c->ws[i];

		if (what == BENCH_EXIT_ALL ||
		    (what == BENCH_EXIT_STONEWALL && atomic_load(&x->started)) ||
		    (what == BENCH_EXIT_GROUP && x->job->groupid == w->job->groupid))
			x->terminate = 1;
	}
}

void bench_ctl_ended(struct bench_worker *w)
{
	struct bench_ctl *c = w->ctl;

	pthread_mutex_lock(&c->lock);
	if (c->exitall)
		terminate(c, w);
	atomic_store(&w->running, 0);
	pthread_cond_broadcast(&c->ended);
	pthread_mutex_unlock(&c->lock);
}

static bool waitee_running(const struct bench_ctl *c, unsigned int job)
{
	unsigned int i;

	for (i = 0; i < c->n; i++)
		if (c->ws[i].res->job == job && atomic_load(&c->ws[i].running))
			return true;
	return false;
}

void bench_ctl_wait_for(struct bench_worker *w)
{
	struct bench_ctl *c = w->ctl;
	struct timespec ts;

	if (!w->job->waitee)
		return;
	pthread_mutex_lock(&c->lock);
	while (!bench_stopped(w) && waitee_running(c, w->job->waitee - 1)) {
		/* a stop by signal sets a flag only: look again now and then */
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 50000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&c->ended, &c->lock, &ts);
	}
	pthread_mutex_unlock(&c->lock);
}
