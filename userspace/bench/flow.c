// SPDX-License-Identifier: GPL-2.0
/*
 * Token-based flow control between jobs, as fio's flow, flow_id and
 * flow_sleep: the jobs of one flow_id share a count of the I/Os they have
 * issued, and a job issues its next I/O only while its part of that count is
 * no more than its weight's part of the running jobs' weights (flow=1 and
 * flow=3: one I/O in four, three in four). The count starts at 1, as fio's.
 *
 * A job joins its flow when it starts and leaves when it ends, taking its
 * I/Os and its weight with it. fio joins every job when the job file is
 * read, so a job waiting behind a stonewall holds its weight in the flow
 * while the jobs before it run, and they wait for it for ever.
 */
#include <errno.h>
#include <stdlib.h>

#include <blkprio/bench.h>

#include "bench_priv.h"

int bench_flows_init(struct bench_ctl *c)
{
	unsigned int i, k;

	c->flows = calloc(c->n ? c->n : 1, sizeof(*c->flows));
	if (!c->flows)
		return -ENOMEM;
	c->nflows = 0;
	for (i = 0; i < c->n; i++) {
		struct bench_worker *w = &c->ws[i];

		w->flow = NULL;
		if (!w->job->flow)
			continue;
		for (k = 0; k < c->nflows && c->flows[k].id != w->job->flow_id; k++)
			;
		if (k == c->nflows) {
			c->flows[k].id = w->job->flow_id;
			atomic_init(&c->flows[k].count, 1);
			atomic_init(&c->flows[k].weight, 0);
			c->nflows++;
		}
		w->flow = &c->flows[k];
	}
	return 0;
}

void bench_flow_join(struct bench_worker *w)
{
	if (!w->flow)
		return;
	w->flow_count = 0;
	atomic_fetch_add(&w->flow->weight, w->job->flow);
}

void bench_flow_leave(struct bench_worker *w)
{
	if (!w->flow)
		return;
	atomic_fetch_sub(&w->flow->count, w->flow_count);
	atomic_fetch_sub(&w->flow->weight, w->job->flow);
	w->flow = NULL;
}

/*
 * true: the job is ahead of its part and must not issue now. Otherwise the
 * I/O about to be issued is counted. fio's test, without its division:
 * mine / count > flow / weight.
 */
bool bench_flow_over(struct bench_worker *w)
{
	struct bench_flow *f = w->flow;
	uint64_t count = atomic_load_explicit(&f->count, memory_order_relaxed);
	uint64_t weight = atomic_load_explicit(&f->weight, memory_order_relaxed);

	if (w->flow_count * weight > (uint64_t)w->job->flow * count)
		return true;
	atomic_fetch_add_explicit(&f->count, 1, memory_order_relaxed);
	w->flow_count++;
	return false;
}
