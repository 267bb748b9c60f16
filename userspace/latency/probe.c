// SPDX-License-Identifier: GPL-2.0
/*
 * Loading the latency probes: feature checks that name what an older kernel
 * lacks, tp_btf with a raw_tp fallback, the issue hook on demand, reading
 * the per-CPU histograms.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "lat_priv.h"
#include "latency.skel.h"

/* Histogram slots by default: what 16 MiB hold, 256 to 4096, a power of two. */
#define LAT_MEM_BUDGET		(16u << 20)
#define LAT_MIN_ENTRIES		256
#define LAT_MAX_ENTRIES		4096

struct lat_probe {
	struct latency_bpf *skel;
	enum lat_issue_mode issue;
	bool raw;
	struct bpf_link *issue_link, *complete_link;
	int stats_fd;
	int ncpus;
	struct lat_hist *vals;		/* one per possible CPU */
	struct lat_slot_key *keys;	/* the slot_keys map, mapped */
	size_t keys_len;
	unsigned int nslots;
};

/* libbpf's messages are kept, not printed: the last one explains a failure. */
static char libbpf_last[256];

static int libbpf_keep(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[sizeof(libbpf_last)];
	size_t n;

	if (level == LIBBPF_DEBUG)
		return 0;
	vsnprintf(line, sizeof(line), fmt, ap);
	n = strcspn(line, "\n");
	line[n] = 0;
	if (n)
		memcpy(libbpf_last, line, n + 1);
	return 0;
}

static const struct btf_type *find_struct(const struct btf *btf, const char *name)
{
	int id = btf__find_by_name_kind(btf, name, BTF_KIND_STRUCT);

	return id < 0 ? NULL : btf__type_by_id(btf, id);
}

/* The member's type, typedefs and modifiers skipped; NULL when absent. */
static const struct btf_type *member_type(const struct btf *btf, const char *sname,
					  const char *mname)
{
	const struct btf_type *t = find_struct(btf, sname);
	const struct btf_member *m;
	int i;

	if (!t)
		return NULL;
	m = btf_members(t);
	for (i = 0; i < btf_vlen(t); i++, m++) {
		if (!strcmp(btf__name_by_offset(btf, m->name_off), mname))
			return btf__type_by_id(btf, btf__resolve_type(btf, m->type));
	}
	return NULL;
}

/* Arguments of a tracepoint (after the ctx), -1 when it does not exist. */
static int tp_nargs(const struct btf *btf, const char *tp)
{
	char name[128];
	const struct btf_type *t;
	int id;

	snprintf(name, sizeof(name), "btf_trace_%s", tp);
	id = btf__find_by_name_kind(btf, name, BTF_KIND_TYPEDEF);
	if (id < 0)
		return -1;
	t = btf__type_by_id(btf, btf__resolve_type(btf, id));	/* pointer */
	if (!t || !btf_is_ptr(t))
		return -1;
	t = btf__type_by_id(btf, t->type);
	if (!t || !btf_is_func_proto(t))
		return -1;
	return btf_vlen(t) - 1;
}

int lat_probe_features(const char *btf_path, const char **missing)
{
	struct btf *btf = btf_path ? btf__parse(btf_path, NULL) : btf__load_vmlinux_btf();
	const struct btf_type *t;
	const char *why = NULL;

	*missing = NULL;
	if (!btf) {
		*missing = "kernel type information (/sys/kernel/btf/vmlinux, "
			   "CONFIG_DEBUG_INFO_BTF)";
		return -EOPNOTSUPP;
	}
	if (!member_type(btf, "bio", "bi_blkg"))
		why = "the bio's blkcg (bio->bi_blkg: CONFIG_BLK_CGROUP, Linux 4.18 or later)";
	else if (!member_type(btf, "request", "start_time_ns") ||
		 !member_type(btf, "request", "io_start_time_ns"))
		why = "request time stamps (request->start_time_ns, io_start_time_ns)";
	else if (!member_type(btf, "request_queue", "disk"))
		why = "request_queue->disk (Linux 5.15 or later)";
	else if (!(t = member_type(btf, "kernfs_node", "id")) || !btf_is_int(t))
		why = "64-bit cgroup ids (kernfs_node->id, Linux 5.5 or later)";
	else if (tp_nargs(btf, "block_rq_complete") < 0)
		why = "the block_rq_complete tracepoint";
	else if (tp_nargs(btf, "block_rq_issue") != 1)
		why = "block_rq_issue with a single argument (Linux 5.11 or later)";
	btf__free(btf);
	*missing = why;
	return why ? -EOPNOTSUPP : 0;
}

static unsigned int default_entries(int ncpus)
{
	unsigned int n = LAT_MEM_BUDGET / (sizeof(struct lat_hist) * (unsigned int)ncpus);

	return n < LAT_MIN_ENTRIES ? LAT_MIN_ENTRIES : n > LAT_MAX_ENTRIES ? LAT_MAX_ENTRIES : n;
}

/* A power of two no larger than n (at least 2): the slots' hash needs one. */
static unsigned int slot_bits(unsigned int n)
{
	unsigned int bits = 1;

	while (bits < 31 && (2u << bits) <= n)
		bits++;
	return bits;
}

static int map_keys(struct lat_probe *p)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t len = p->nslots * sizeof(*p->keys);
	void *m;

	len = (len + page - 1) / page * page;
	m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED,
		 bpf_map__fd(p->skel->maps.slot_keys), 0);
	if (m == MAP_FAILED)
		return -errno;
	p->keys = m;
	p->keys_len = len;
	return 0;
}

static int probe_load(struct lat_probe *p, const struct lat_probe_opts *o, bool raw)
{
	struct latency_bpf *s;
	bool issue = o->issue != LAT_ISSUE_NEVER;
	unsigned int bits;
	int err;

	s = latency_bpf__open();
	if (!s)
		return -errno;
	bool nop = o->issue == LAT_ISSUE_NOP;

	issue = issue && !nop;
	bpf_program__set_autoload(s->progs.lat_nop, !raw && nop);
	bpf_program__set_autoload(s->progs.lat_nop_raw, raw && nop);
	bpf_program__set_autoload(s->progs.lat_complete, !raw && !nop);
	bpf_program__set_autoload(s->progs.lat_issue, !raw && issue);
	bpf_program__set_autoload(s->progs.lat_complete_raw, raw && !nop);
	bpf_program__set_autoload(s->progs.lat_issue_raw, raw && issue);
	s->rodata->targ_hashmap = o->issue == LAT_ISSUE_HASHMAP;
	bits = slot_bits(o->max_entries ? o->max_entries : default_entries(p->ncpus));
	s->rodata->hist_bits = bits;
	p->nslots = 1u << bits;
	err = bpf_map__set_max_entries(s->maps.hists, p->nslots);
	if (!err)
		err = bpf_map__set_max_entries(s->maps.slot_keys, p->nslots);
	if (!err)
		err = latency_bpf__load(s);
	if (err) {
		latency_bpf__destroy(s);
		return err;
	}
	p->skel = s;
	p->raw = raw;
	err = map_keys(p);
	if (err) {
		latency_bpf__destroy(s);
		p->skel = NULL;
	}
	return err;
}

static struct bpf_program *issue_prog(struct lat_probe *p)
{
	return p->raw ? p->skel->progs.lat_issue_raw : p->skel->progs.lat_issue;
}

static struct bpf_program *complete_prog(struct lat_probe *p)
{
	if (p->issue == LAT_ISSUE_NOP)
		return p->raw ? p->skel->progs.lat_nop_raw : p->skel->progs.lat_nop;
	return p->raw ? p->skel->progs.lat_complete_raw : p->skel->progs.lat_complete;
}

static int attach_issue(struct lat_probe *p)
{
	struct bpf_link *l = bpf_program__attach(issue_prog(p));

	if (!l)
		return -errno;
	p->issue_link = l;
	p->skel->bss->issue_hooked = true;
	return 0;
}

static int probe_attach(struct lat_probe *p)
{
	struct bpf_link *l;
	int err;

	/* the issue hook first, so the completions find the stamps */
	if (p->issue == LAT_ISSUE_HASHMAP) {
		err = attach_issue(p);
		if (err)
			return err;
	}
	l = bpf_program__attach(complete_prog(p));
	if (!l)
		return -errno;
	p->complete_link = l;
	return 0;
}

static void set_why(char *why, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void set_why(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!why || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
}

int lat_probe_open(const struct lat_probe_opts *o, struct lat_probe **out,
		   char *why, size_t whylen)
{
	static const struct lat_probe_opts defaults = { 0 };
	libbpf_print_fn_t old = libbpf_set_print(libbpf_keep);
	char first[sizeof(libbpf_last)] = "";
	struct lat_probe *p;
	const char *missing;
	int err;

	if (!o)
		o = &defaults;
	libbpf_last[0] = 0;
	if (lat_probe_features(NULL, &missing)) {
		set_why(why, whylen, "this kernel lacks %s", missing);
		err = -EOPNOTSUPP;
		goto err_print;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		err = -ENOMEM;
		goto err_print;
	}
	p->stats_fd = -1;
	p->issue = o->issue;
	p->ncpus = libbpf_num_possible_cpus();
	if (p->ncpus <= 0) {
		err = p->ncpus ? p->ncpus : -EINVAL;
		goto err_free;
	}
	p->vals = calloc(p->ncpus, sizeof(*p->vals));
	if (!p->vals) {
		err = -ENOMEM;
		goto err_free;
	}
	err = o->raw_tp ? -ENOTSUP : probe_load(p, o, false);
	if (err && err != -EPERM && err != -ENOMEM) {
		/* no BPF trampoline (tp_btf): raw tracepoints and probe reads */
		if (!o->raw_tp)
			snprintf(first, sizeof(first), "%s", libbpf_last[0] ? libbpf_last :
				 strerror(-err));
		err = probe_load(p, o, true);
	}
	if (err) {
		if (err == -EPERM)
			set_why(why, whylen, "loading BPF programs needs root "
				"(CAP_BPF and CAP_PERFMON)");
		else
			set_why(why, whylen, "loading the probes failed: %s%s%s%s%s",
				strerror(-err), libbpf_last[0] ? ": " : "", libbpf_last,
				first[0] ? "; with BPF trampolines (tp_btf): " : "", first);
		goto err_free;
	}
	err = probe_attach(p);
	if (err) {
		set_why(why, whylen, "attaching the probes failed: %s", strerror(-err));
		goto err_destroy;
	}
	libbpf_set_print(old);
	*out = p;
	return 0;

err_destroy:
	bpf_link__destroy(p->issue_link);
	munmap(p->keys, p->keys_len);
	latency_bpf__destroy(p->skel);
err_free:
	free(p->vals);
	free(p);
err_print:
	libbpf_set_print(old);
	return err;
}

void lat_probe_close(struct lat_probe *p)
{
	if (!p)
		return;
	bpf_link__destroy(p->issue_link);
	bpf_link__destroy(p->complete_link);
	if (p->keys)
		munmap(p->keys, p->keys_len);
	latency_bpf__destroy(p->skel);
	if (p->stats_fd >= 0)
		close(p->stats_fd);
	free(p->vals);
	free(p);
}

int lat_probe_poll(struct lat_probe *p)
{
	int err;

	if (p->issue != LAT_ISSUE_AUTO || p->issue_link || !p->skel->bss->stats.need_issue)
		return 0;
	err = attach_issue(p);
	return err ? err : 1;
}

static void merge_cpus(const struct lat_hist *v, int ncpus, struct lat_data *d)
{
	int c;
	unsigned int i;

	for (c = 0; c < ncpus; c++, v++) {
		d->count += v->count;
		d->bytes += v->bytes;
		d->sum_ns += v->sum_ns;
		if (v->max_ns > d->max_ns)
			d->max_ns = v->max_ns;
		d->split += v->split;
		d->queue_ns += v->queue_ns;
		d->device_ns += v->device_ns;
		for (i = 0; i < LAT_SLOTS; i++)
			d->slots[i] += v->slots[i];
	}
}

/* A slot's key as a completion published it: false while free, claimed or freed. */
static bool slot_key(const struct lat_slot_key *k, uint64_t *cgid, __u64 *tag)
{
	*tag = __atomic_load_n(&k->tag, __ATOMIC_ACQUIRE);
	*cgid = __atomic_load_n(&k->cgid, __ATOMIC_RELAXED);
	return (*tag & (LAT_TAG_VALID | LAT_TAG_CLAIM | LAT_TAG_DEAD)) == LAT_TAG_VALID;
}

int lat_probe_read(struct lat_probe *p, struct lat_snap *s)
{
	int fd = bpf_map__fd(p->skel->maps.hists);
	uint64_t cgid, cgid2;
	__u64 tag, tag2;
	struct lat_entry *e;
	struct timespec ts;
	__u32 i;

	lat_snap_clear(s);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	s->time_ns = (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
	for (i = 0; i < p->nslots; i++) {
		if (!slot_key(&p->keys[i], &cgid, &tag))
			continue;
		if (bpf_map_lookup_elem(fd, &i, p->vals))
			return -errno;
		/* freed meanwhile: its counts may be half cleared */
		if (!slot_key(&p->keys[i], &cgid2, &tag2) || cgid2 != cgid || tag2 != tag)
			continue;
		/* two slots may hold one key (CPUs racing to claim): add them up */
		e = lat_snap_get(s, cgid, (uint32_t)(tag >> 8), (uint32_t)(tag & 0xff), true);
		if (!e)
			return -ENOMEM;
		merge_cpus(p->vals, p->ncpus, &e->d);
	}
	return 0;
}

int lat_probe_forget(struct lat_probe *p, uint64_t cgid)
{
	int fd = bpf_map__fd(p->skel->maps.hists), n = 0, err = 0;
	uint64_t c;
	__u64 tag;
	__u32 i;

	for (i = 0; i < p->nslots; i++) {
		struct lat_slot_key *k = &p->keys[i];

		if (!slot_key(k, &c, &tag) || c != cgid)
			continue;
		/* no completion matches a dead slot, and none claims it */
		if (!__atomic_compare_exchange_n(&k->tag, &tag, LAT_TAG_DEAD, false,
						 __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
			continue;
		memset(p->vals, 0, sizeof(*p->vals) * p->ncpus);
		if (bpf_map_update_elem(fd, &i, p->vals, BPF_EXIST)) {
			err = err ? err : -errno;
			continue;	/* left dead: never reused with old counts */
		}
		__atomic_store_n(&k->cgid, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&k->tag, 0, __ATOMIC_RELEASE);
		n++;
	}
	return err ? err : n;
}

static void prog_stats(struct bpf_program *prog, struct lat_probe_info *i)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int fd = bpf_program__fd(prog);

	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
		return;
	i->run_ns += info.run_time_ns;
	i->runs += info.run_cnt;
	i->misses += info.recursion_misses;
}

int lat_probe_info(struct lat_probe *p, struct lat_probe_info *i)
{
	memset(i, 0, sizeof(*i));
	prog_stats(complete_prog(p), i);
	if (p->issue_link)
		prog_stats(issue_prog(p), i);
	i->dropped = p->skel->bss->stats.dropped;
	i->untimed = p->skel->bss->stats.untimed;
	i->issue_hook = p->issue_link != NULL;
	i->raw_tp = p->raw;
	return 0;
}

int lat_probe_enable_stats(struct lat_probe *p)
{
	int fd;

	if (p->stats_fd >= 0)
		return 0;
	fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (fd < 0)
		return -errno;
	p->stats_fd = fd;
	return 0;
}
