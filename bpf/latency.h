/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared between bpf/latency.bpf.c and user space: the histogram key and
 * value, fixed-width types only.
 *
 * Latencies are kept in units of 1/16 us (62.5 ns) in a log-linear
 * histogram: values below 16 units have one slot each, above that every
 * power of two is split into 16 equal slots. A slot is at most 1/16 of its
 * lower bound wide, so percentiles are good to a few percent, and powers of
 * two in microseconds are exact slot boundaries (the Prometheus buckets and
 * the log2 view are sums of whole slots).
 */
#ifndef BLKPRIO_BPF_LATENCY_H
#define BLKPRIO_BPF_LATENCY_H

#define LAT_SUB_BITS	4
#define LAT_SUB		(1u << LAT_SUB_BITS)	/* slots per power of two */
#define LAT_MAX_MSB	33			/* clamp at 2^34 units, ~1074 s */
#define LAT_SLOTS	((LAT_MAX_MSB - LAT_SUB_BITS + 2) * LAT_SUB)
#define LAT_UNITS_PER_US	16

/* Operations, the histogram's third key part. */
enum lat_op {
	LAT_OP_READ,
	LAT_OP_WRITE,
	LAT_OP_DISCARD,
	LAT_OP_FLUSH,
	LAT_OP_OTHER,
	LAT_NR_OPS,
};

/* cgroup id 0: requests without a bio (the block layer's flush requests). */
#define LAT_CGID_NONE	0


/*
 * The histograms live in a per-CPU array; which key a slot holds is in a
 * shared array of these, so that every CPU finds a key's slot by the same
 * probe sequence (an open-addressed table, LAT_PROBES slots from the key's
 * hash). A completion claims a free slot with a compare-and-swap of tag;
 * two CPUs racing for one key may each claim one, and user space adds up
 * slots with equal keys. User space frees a forgotten cgroup's slots:
 * LAT_TAG_DEAD while it clears the histograms, then 0.
 */
#define LAT_TAG_VALID	(1ULL << 63)	/* tag = VALID | dev << 8 | op */
#define LAT_TAG_CLAIM	(1ULL << 62)	/* being written by a completion */
#define LAT_TAG_DEAD	(1ULL << 61)	/* being freed by user space */
#define LAT_PROBES	8

struct lat_slot_key {
	__u64 cgid;
	__u64 tag;
};

static inline __u64 lat_tag(__u32 dev, __u32 op)
{
	return LAT_TAG_VALID | (__u64)dev << 8 | op;
}

/* The first slot to try, of 2^bits. */
static inline __u32 lat_key_hash(__u64 cgid, __u64 tag, __u32 bits)
{
	return (__u32)(((cgid ^ tag * 0xff51afd7ed558ccdULL) * 0x9e3779b97f4a7c15ULL) >>
		       (64 - bits));
}

/* One per CPU and slot; user space sums the CPUs. */
struct lat_hist {
	__u64 cgid, tag;	/* this CPU's copy of the slot's key (0: none) */
	__u64 count;		/* completed requests */
	__u64 bytes;		/* bytes completed */
	__u64 sum_ns;		/* allocation (or issue) to completion */
	__u64 max_ns;
	__u64 split;		/* requests where queue and device time are known */
	__u64 queue_ns;		/* allocation to issue, for those */
	__u64 device_ns;	/* issue to completion, for those */
	__u32 slots[LAT_SLOTS];	/* latency histogram, see lat_slot() */
};

/* Counters the probe keeps about itself (global, in .bss). */
struct lat_probe_stats {
	__u64 dropped;		/* histogram map full */
	__u64 untimed;		/* no start time known (counted, no latency) */
	__u64 need_issue;	/* saw a queue that does not stamp issue times */
};

/* Slot of a latency in units of 1/16 us. Shift-only: usable in BPF. */
/*
 * Nanoseconds to histogram units (1/16 us): ns * 2 / 125, without the
 * division on the completion path: 2 / 125 in 40-bit fixed point, rounded up;
 * below 2^29 ns (0.54 s) the product fits in 64 bits and overshoots by less
 * than 0.0003, while ns * 2 / 125 always lies at least 1/125 below the next
 * integer, so the floor is the division's, exactly. Longer times divide.
 */
static inline __u64 lat_units(__u64 ns)
{
	if (ns < (1ULL << 29))
		return ns * 17592186045ULL >> 40;
	return ns * 2 / 125;
}

static inline __u32 lat_slot(__u64 v)
{
	__u32 msb = 0;
	__u64 t = v;

	if (v < LAT_SUB)
		return (__u32)v;
	if (t >> 32) { msb += 32; t >>= 32; }
	if (t >> 16) { msb += 16; t >>= 16; }
	if (t >> 8) { msb += 8; t >>= 8; }
	if (t >> 4) { msb += 4; t >>= 4; }
	if (t >> 2) { msb += 2; t >>= 2; }
	if (t >> 1) msb += 1;
	if (msb > LAT_MAX_MSB)
		return LAT_SLOTS - 1;
	return (msb - LAT_SUB_BITS + 1) * LAT_SUB +
	       (__u32)((v >> (msb - LAT_SUB_BITS)) & (LAT_SUB - 1));
}

#endif
