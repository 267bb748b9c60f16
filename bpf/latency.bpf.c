// SPDX-License-Identifier: GPL-2.0
/*
 * Per-cgroup block latency: one hook at request completion.
 *
 * The request is charged to the cgroup of its bio's blkcg
 * (rq->bio->bi_blkg->blkcg->css.cgroup->kn->id); completion runs in interrupt
 * context, so the current task says nothing about who asked for the I/O.
 * Times come from the kernel's own stamps: rq->start_time_ns (allocation,
 * trusted only when the request is accounted, RQF_IO_STAT) and
 * rq->io_start_time_ns (issue, set when the queue keeps blk-stat statistics,
 * QUEUE_FLAG_STATS: wbt, iolatency, iocost). Only for queues that do not stamp
 * the issue time does the optional issue hook keep a start time per request;
 * the completion hook raises stats.need_issue when it meets such a queue so
 * that user space can attach it.
 *
 * The tp_btf programs read kernel memory through BTF pointers (cheap); the
 * raw_tp copies, for kernels without BPF trampolines, use BPF_CORE_READ.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "latency.h"

char LICENSE[] SEC("license") = "GPL";

/*
 * Set before load: time every request through the issue hook's map and
 * ignore the kernel's stamps, the way common tools do (a benchmark baseline).
 */
const volatile bool targ_hashmap = false;
/* Set by user space once the issue hook is attached. */
bool issue_hooked = false;

/*
 * A value is ~2 KiB per CPU: user space sizes both arrays (a power of two
 * slots) from a memory budget and sets hist_bits to match.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1024);		/* resized by user space */
	__type(key, __u32);
	__type(value, struct lat_hist);
} hists SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1024);		/* as hists */
	__type(key, __u32);
	__type(value, struct lat_slot_key);
} slot_keys SEC(".maps");

const volatile __u32 hist_bits = 10;

/* Issue time per request, for queues that do not stamp it themselves. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u64);			/* struct request * */
	__type(value, __u64);
} issued SEC(".maps");

struct lat_probe_stats stats = {};

#define RD(raw, ptr, field) ((raw) ? BPF_CORE_READ(ptr, field) : (ptr)->field)

static __always_inline bool queue_stamps_issue(struct request_queue *q, bool raw)
{
	unsigned long flags = RD(raw, q, queue_flags);

	/* an anonymous enum: no CO-RE relocation, the bit is taken as built */
	return flags & (1UL << QUEUE_FLAG_STATS);
}

/*
 * rq->start_time_ns is only written when the request is accounted (iostats);
 * otherwise it holds whatever an earlier user of the preallocated request
 * left there (seen here with iostats off, with and without BFQ; older
 * kernels zeroed it). RQF_IO_STAT says it was written.
 */
static __always_inline bool start_stamped(struct request *rq, bool raw)
{
	__u32 flags;

	if (!bpf_core_enum_value_exists(enum rqf_flags, __RQF_IO_STAT))
		return true;
	flags = RD(raw, rq, rq_flags);
	return flags & (1u << bpf_core_enum_value(enum rqf_flags, __RQF_IO_STAT));
}

static __always_inline __u32 rq_op(__u32 flags, __u32 len)
{
	switch (flags & 0xff) {		/* REQ_OP_MASK */
	case REQ_OP_READ:
		return LAT_OP_READ;
	case REQ_OP_WRITE:
		/*
		 * An empty write is a flush: the submitter's preflush request,
		 * whose REQ_PREFLUSH the flush machinery has cleared by now.
		 */
		return len ? LAT_OP_WRITE : LAT_OP_FLUSH;
	case REQ_OP_FLUSH:
		return LAT_OP_FLUSH;
	case REQ_OP_DISCARD:
	case REQ_OP_SECURE_ERASE:
		return LAT_OP_DISCARD;
	default:
		return LAT_OP_OTHER;
	}
}

static __always_inline __u64 rq_cgroup_id(struct request *rq, bool raw)
{
	struct bio *bio = RD(raw, rq, bio);
	struct blkcg_gq *blkg;

	if (!bio)
		return LAT_CGID_NONE;
	blkg = RD(raw, bio, bi_blkg);
	if (!blkg)
		return LAT_CGID_NONE;
	if (raw)
		return BPF_CORE_READ(blkg, blkcg, css.cgroup, kn, id);
	return blkg->blkcg->css.cgroup->kn->id;
}

static __always_inline __u32 rq_dev(struct request *rq, bool raw)
{
	struct gendisk *disk;

	if (raw)
		disk = BPF_CORE_READ(rq, q, disk);
	else
		disk = rq->q->disk;
	if (!disk)
		return 0;
	return (__u32)RD(raw, disk, major) << 20 | (__u32)RD(raw, disk, first_minor);
}

/*
 * The key's histogram on this CPU: the slot that holds the key, or the first
 * free one on its probe sequence, claimed. Array lookups only (the kernel
 * inlines them) and a multiply for the hash: a hash map's lookup cost this
 * probe a third of its time. A slot taken by another key is passed over
 * (LAT_PROBES of them at most, then the request is counted as dropped).
 */
static __always_inline struct lat_hist *hist_get(__u64 cgid, __u32 dev, __u32 op)
{
	__u64 tag = lat_tag(dev, op), t;
	__u32 mask = (1u << hist_bits) - 1, i, idx;
	struct lat_slot_key *k;
	struct lat_hist *h;

	idx = lat_key_hash(cgid, tag, hist_bits);
	for (i = 0; i < LAT_PROBES; i++, idx = (idx + 1) & mask) {
		h = bpf_map_lookup_elem(&hists, &idx);
		if (!h)
			break;
		/* this CPU's copy of the key: no shared line on the way */
		if (h->tag == tag && h->cgid == cgid)
			return h;
		k = bpf_map_lookup_elem(&slot_keys, &idx);
		if (!k)
			break;
		t = k->tag;
		if (t == tag && k->cgid == cgid)
			goto mine;
		if (t)
			continue;
		if (__sync_val_compare_and_swap(&k->tag, 0, LAT_TAG_CLAIM))
			continue;	/* another CPU took it: go on */
		k->cgid = cgid;
		__sync_fetch_and_add(&k->tag, tag - LAT_TAG_CLAIM);	/* publish */
mine:
		h->cgid = cgid;
		h->tag = tag;
		return h;
	}
	__sync_fetch_and_add(&stats.dropped, 1);
	return NULL;
}

static __always_inline int account(struct request *rq, __u32 nr_bytes, bool raw)
{
	__u64 now = bpf_ktime_get_ns(), start, io, lat, rqp = (__u64)rq;
	struct request_queue *q = RD(raw, rq, q);
	__u32 len = RD(raw, rq, __data_len);
	struct lat_hist *h;
	__u64 slot, *ts;

	h = hist_get(rq_cgroup_id(rq, raw), rq_dev(rq, raw), rq_op(RD(raw, rq, cmd_flags), len));
	if (!h)
		return 0;
	h->bytes += nr_bytes;
	if (nr_bytes < len)		/* partial completion: more to come */
		return 0;

	if (targ_hashmap) {
		ts = bpf_map_lookup_elem(&issued, &rqp);
		start = ts ? *ts : 0;
		io = 0;				/* no split: one time stamp */
		if (ts)
			bpf_map_delete_elem(&issued, &rqp);
	} else {
		start = start_stamped(rq, raw) ? RD(raw, rq, start_time_ns) : 0;
		io = RD(raw, rq, io_start_time_ns);
		if (!io && !queue_stamps_issue(q, raw)) {
			if (issue_hooked) {
				ts = bpf_map_lookup_elem(&issued, &rqp);
				if (ts) {
					io = *ts;
					bpf_map_delete_elem(&issued, &rqp);
				}
			} else if (!stats.need_issue) {
				stats.need_issue = 1;
			}
		}
	}
	h->count++;
	if (start && io && io >= start && now >= io) {
		h->split++;
		h->queue_ns += io - start;
		h->device_ns += now - io;
	}
	if (!start)
		start = io;
	if (!start) {
		__sync_fetch_and_add(&stats.untimed, 1);
		return 0;
	}
	/* blk_time_get_ns() may hand out a plug-cached time: guard */
	lat = now > start ? now - start : 0;
	h->sum_ns += lat;
	if (lat > h->max_ns)
		h->max_ns = lat;
	slot = lat_slot(lat_units(lat));
	/* the compiler knows the bound; make it check it for the verifier */
	barrier_var(slot);
	if (slot >= LAT_SLOTS)
		slot = LAT_SLOTS - 1;
	h->slots[slot]++;
	return 0;
}

static __always_inline int stamp_issue(struct request *rq, bool raw)
{
	__u64 rqp = (__u64)rq, now;

	if (!targ_hashmap && queue_stamps_issue(RD(raw, rq, q), raw))
		return 0;
	now = bpf_ktime_get_ns();
	bpf_map_update_elem(&issued, &rqp, &now, BPF_ANY);
	return 0;
}

SEC("tp_btf/block_rq_complete")
int BPF_PROG(lat_complete, struct request *rq, blk_status_t error, unsigned int nr_bytes)
{
	return account(rq, nr_bytes, false);
}

SEC("tp_btf/block_rq_issue")
int BPF_PROG(lat_issue, struct request *rq)
{
	return stamp_issue(rq, false);
}

SEC("raw_tp/block_rq_complete")
int BPF_PROG(lat_complete_raw, struct request *rq, int error, unsigned int nr_bytes)
{
	return account(rq, nr_bytes, true);
}

/* Benchmarks: the cost of the hook, and of measuring it, without ours. */
SEC("tp_btf/block_rq_complete")
int BPF_PROG(lat_nop)
{
	return 0;
}

SEC("raw_tp/block_rq_complete")
int BPF_PROG(lat_nop_raw)
{
	return 0;
}

SEC("raw_tp/block_rq_issue")
int BPF_PROG(lat_issue_raw, struct request *rq)
{
	return stamp_issue(rq, true);
}
