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

struct lat_key {
	__u64 cgid;		/* kernfs id of the bio's blkcg cgroup */
	__u32 dev;		/* disk, kernel dev_t encoding (major << 20 | minor) */
	__u32 op;		/* enum lat_op */
};

/* One per CPU and key; user space sums the CPUs. */
struct lat_hist {
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
