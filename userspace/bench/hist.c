// SPDX-License-Identifier: GPL-2.0
/*
 * Log-linear latency histogram. Values below 2 * SUB are exact; above, a
 * value falls in the group of its most significant bit and in one of SUB
 * equal sub-buckets by the next SUB_BITS bits. The reported value is the
 * bucket midpoint, so the relative error is at most 1 / (2 * SUB) = 0.78%.
 */
#include <math.h>
#include <string.h>

#include <blkprio/bench.h>

void bench_hist_init(struct bench_hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

unsigned int bench_hist_index(uint64_t v)
{
	unsigned int msb, shift;

	if (v < 2 * BENCH_HIST_SUB)
		return v;
	msb = 63 - __builtin_clzll(v);
	shift = msb - BENCH_HIST_SUB_BITS;
	return (shift + 1) * BENCH_HIST_SUB + (unsigned int)((v >> shift) - BENCH_HIST_SUB);
}

uint64_t bench_hist_value(unsigned int idx)
{
	unsigned int group = idx / BENCH_HIST_SUB, shift;
	uint64_t lo;

	if (idx < 2 * BENCH_HIST_SUB)
		return idx;
	shift = group - 1;
	lo = (uint64_t)(BENCH_HIST_SUB + idx % BENCH_HIST_SUB) << shift;
	return lo + ((1ull << shift) >> 1);
}

void bench_hist_add(struct bench_hist *h, uint64_t ns)
{
	h->bucket[bench_hist_index(ns)]++;
	h->count++;
	if (ns < h->min)
		h->min = ns;
	if (ns > h->max)
		h->max = ns;
	h->sum += (double)ns;
	h->sumsq += (double)ns * (double)ns;
}

void bench_hist_merge(struct bench_hist *dst, const struct bench_hist *src)
{
	unsigned int i;

	if (!src->count)
		return;
	for (i = 0; i < BENCH_HIST_BUCKETS; i++)
		dst->bucket[i] += src->bucket[i];
	dst->count += src->count;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
	dst->sum += src->sum;
	dst->sumsq += src->sumsq;
}

uint64_t bench_hist_percentile(const struct bench_hist *h, double p)
{
	uint64_t seen = 0, v;
	double want;
	unsigned int i;

	if (!h->count)
		return 0;
	want = p / 100.0 * (double)h->count;
	if (want < 1)
		want = 1;
	for (i = 0; i < BENCH_HIST_BUCKETS; i++) {
		seen += h->bucket[i];
		if ((double)seen >= want)
			break;
	}
	if (i == BENCH_HIST_BUCKETS)
		return h->max;
	v = bench_hist_value(i);
	/* The midpoint may lie outside what was seen: clamp to the exact ends. */
	if (v < h->min)
		v = h->min;
	if (v > h->max)
		v = h->max;
	return v;
}

double bench_hist_mean(const struct bench_hist *h)
{
	return h->count ? h->sum / (double)h->count : 0;
}

double bench_hist_stddev(const struct bench_hist *h)
{
	double mean, var;

	if (h->count < 2)
		return 0;
	mean = h->sum / (double)h->count;
	var = (h->sumsq - mean * h->sum) / (double)(h->count - 1);
	return var > 0 ? sqrt(var) : 0;
}
