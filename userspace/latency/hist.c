// SPDX-License-Identifier: GPL-2.0
/* Log-linear latency histograms: slot bounds, sums, differences, percentiles. */
#include <string.h>

#include "lat_priv.h"

static const char *const op_names[LAT_NOPS] = {
	[LAT_READ] = "read", [LAT_WRITE] = "write", [LAT_DISCARD] = "discard",
	[LAT_FLUSH] = "flush", [LAT_OTHER] = "other",
};

const char *lat_op_name(unsigned int op)
{
	return op < LAT_NOPS ? op_names[op] : "other";
}

unsigned int lat_slot_of_ns(uint64_t ns)
{
	return lat_slot(lat_units(ns));
}

/* Lower bound of a slot in units of 1/16 us. */
static uint64_t slot_lower(unsigned int slot)
{
	unsigned int oct = slot / LAT_SUB;

	if (!oct)
		return slot;
	return (uint64_t)(LAT_SUB + slot % LAT_SUB) << (oct - 1);
}

static uint64_t slot_width(unsigned int slot)
{
	unsigned int oct = slot / LAT_SUB;

	return oct ? 1ull << (oct - 1) : 1;
}

double lat_slot_lower_us(unsigned int slot)
{
	return (double)slot_lower(slot) / LAT_UNITS_PER_US;
}

double lat_slot_upper_us(unsigned int slot)
{
	return (double)(slot_lower(slot) + slot_width(slot)) / LAT_UNITS_PER_US;
}

void lat_data_add(struct lat_data *dst, const struct lat_data *src)
{
	unsigned int i;

	dst->count += src->count;
	dst->bytes += src->bytes;
	dst->sum_ns += src->sum_ns;
	if (src->max_ns > dst->max_ns)
		dst->max_ns = src->max_ns;
	dst->split += src->split;
	dst->queue_ns += src->queue_ns;
	dst->device_ns += src->device_ns;
	for (i = 0; i < LAT_NSLOTS; i++)
		dst->slots[i] += src->slots[i];
}

void lat_data_sub(struct lat_data *dst, const struct lat_data *cur,
		  const struct lat_data *prev)
{
	unsigned int i;

	if (cur->count < prev->count || cur->bytes < prev->bytes) {
		*dst = *cur;
		return;
	}
	dst->count = cur->count - prev->count;
	dst->bytes = cur->bytes - prev->bytes;
	dst->sum_ns = cur->sum_ns - prev->sum_ns;
	dst->max_ns = cur->max_ns;
	dst->split = cur->split - prev->split;
	dst->queue_ns = cur->queue_ns - prev->queue_ns;
	dst->device_ns = cur->device_ns - prev->device_ns;
	for (i = 0; i < LAT_NSLOTS; i++)
		dst->slots[i] = cur->slots[i] >= prev->slots[i] ?
				cur->slots[i] - prev->slots[i] : 0;
}

uint64_t lat_data_timed(const struct lat_data *d)
{
	uint64_t n = 0;
	unsigned int i;

	for (i = 0; i < LAT_NSLOTS; i++)
		n += d->slots[i];
	return n;
}

double lat_percentile_us(const struct lat_data *d, double q)
{
	uint64_t total = lat_data_timed(d), seen = 0;
	double rank, lo, hi;
	unsigned int i;

	if (!total)
		return 0;
	if (q < 0)
		q = 0;
	if (q > 1)
		q = 1;
	rank = q * (double)total;
	if (rank < 1)
		rank = 1;
	for (i = 0; i < LAT_NSLOTS; i++) {
		if (!d->slots[i])
			continue;
		if ((double)(seen + d->slots[i]) >= rank) {
			double f = (rank - (double)seen - 0.5) / (double)d->slots[i];

			/* the slot's values taken as spread evenly over it */
			lo = lat_slot_lower_us(i);
			hi = lat_slot_upper_us(i);
			return lo + (hi - lo) * (f < 0 ? 0 : f > 1 ? 1 : f);
		}
		seen += d->slots[i];
	}
	return lat_slot_upper_us(LAT_NSLOTS - 1);
}

double lat_max_us(const struct lat_data *d)
{
	double max_us = (double)d->max_ns / 1000, lo, hi;
	int i;

	for (i = LAT_NSLOTS - 1; i >= 0; i--)
		if (d->slots[i])
			break;
	if (i < 0)
		return 0;
	lo = lat_slot_lower_us(i);
	hi = lat_slot_upper_us(i);
	if (max_us >= lo && max_us < hi)
		return max_us;
	return hi;
}

uint64_t lat_count_le_us(const struct lat_data *d, uint64_t us)
{
	uint64_t n = 0;
	unsigned int i;

	/* slots entirely at or below the bound */
	for (i = 0; i < LAT_NSLOTS; i++) {
		if (lat_slot_upper_us(i) > (double)us)
			break;
		n += d->slots[i];
	}
	return n;
}
