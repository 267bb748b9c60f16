// SPDX-License-Identifier: GPL-2.0
/*
 * Running jobs: one thread per job copy, the calling thread samples the live
 * counters every interval (per-second time series) and reports progress.
 */
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <blkprio/bench.h>

#include "bench_priv.h"

static bool job_writes(const struct bench_job *job)
{
	return job->rw == BENCH_WRITE || job->rw == BENCH_RANDWRITE ||
	       ((job->rw == BENCH_RANDRW || job->rw == BENCH_RW) && job->rwmixread < 100);
}

static bool job_reads(const struct bench_job *job)
{
	return job->rw == BENCH_READ || job->rw == BENCH_RANDREAD ||
	       ((job->rw == BENCH_RANDRW || job->rw == BENCH_RW) && job->rwmixread > 0) ||
	       (job->verify && job->do_verify);
}

static bool job_random(const struct bench_job *job)
{
	return bench_rw_random(job->rw);
}

/*
 * A drawn size, kept within the region from pos on and, for a job that ends
 * on bytes, within what is left to move (as fio, which ends on the size).
 */
static uint32_t io_len(struct bench_worker *w, enum bench_dir dir, uint64_t pos,
		       uint64_t total)
{
	uint64_t len = bench_bs_pick(w->job, dir, bench_xorshift(&w->rng));
	uint64_t room = w->span - (w->zone_off + pos), left = total - w->moved;

	if (len > room)
		len = room;
	if (!w->job->time_based && len > left && left >= w->unit)
		len = left - left % w->unit;
	return (uint32_t)len;
}

/*
 * Where the next I/O starts in the region: the sequential cursor, or a new
 * random offset (with rw=randNAME:N every N I/Os, the ones between going on
 * from the last).
 */
static uint64_t next_pos(struct bench_worker *w, enum bench_dir dir)
{
	if (!job_random(w->job))
		return w->seq_next * w->unit;
	if (w->seq_run && w->seq_next < w->nblocks) {
		w->seq_run--;
		return w->seq_next * w->unit;
	}
	w->seq_run = w->job->rand_every ? w->job->rand_every - 1 : 0;
	return bench_off_next(w, dir);
}

/*
 * After an I/O of len bytes at pos: where a sequence goes on, past the hole
 * of rw=NAME:SIZE. Past either end a sequential job wraps as fio wraps it
 * (backwards: to the end plus the hole), and a random run takes a new random
 * offset.
 */
static void seq_advance(struct bench_worker *w, uint64_t pos, uint32_t len)
{
	int64_t n = (int64_t)w->nblocks, next, blk = (int64_t)(pos / w->unit);

	next = blk + (w->bs_var ? (len + w->unit - 1) / w->unit : 1) + w->hole;
	if (job_random(w->job)) {
		w->seq_next = next < n ? (uint64_t)next : w->nblocks;
		return;
	}
	if (next >= n || next < 0)
		next = w->hole < 0 ? n + w->hole : 0;
	w->seq_next = next > 0 ? (uint64_t)next : 0;
}

/*
 * flow: wait while the job is ahead of its part, as fio does: with flow_sleep,
 * reap what is in flight (held: the engine reaps and asks again), then sleep
 * that long and look again; without it, look again at once. false: the job
 * ended meanwhile, or is held.
 */
static bool flow_wait(struct bench_worker *w)
{
	const struct bench_job *job = w->job;

	while (bench_flow_over(w)) {
		if (job->flow_sleep_us && w->inflight) {
			w->held = true;
			return false;
		}
		if (job->flow_sleep_us)
			bench_sleep_until(w, bench_now_ns() + job->flow_sleep_us * 1000ull);
		else
			sched_yield();
		if (bench_stopped(w) || (w->deadline_ns && bench_now_ns() >= w->deadline_ns))
			return false;
	}
	return true;
}

bool bench_next_io(struct bench_worker *w, enum bench_dir *dir, uint64_t *off, uint32_t *len)
{
	const struct bench_job *job = w->job;
	uint64_t pos, total = (job->io_size ? job->io_size : w->region) *
			      (job->loops ? job->loops : 1);

	w->held = false;
	if (bench_stopped(w) || w->full)
		return false;
	if (w->res->error)
		return false;
	if (!job->time_based && w->moved >= total)
		return false;
	if (job->number_ios && w->ios_done >= job->number_ios)
		return false;
	if (w->deadline_ns && bench_now_ns() >= w->deadline_ns)
		return false;
	if (w->flow && !flow_wait(w))
		return false;
	/* latency_target: held at the depth searched, or done */
	if (job->lat_target_ns && (bench_lt_hold(w) || w->lt.done)) {
		w->held = !w->lt.done;
		return false;
	}
	if (w->ios_done)
		bench_think(w);
	switch (job->rw) {
	case BENCH_READ:
	case BENCH_RANDREAD:
		*dir = BENCH_DIR_READ;
		break;
	case BENCH_WRITE:
	case BENCH_RANDWRITE:
		*dir = BENCH_DIR_WRITE;
		break;
	default:
		*dir = bench_xorshift(&w->rng) % 100 < job->rwmixread ? BENCH_DIR_READ : BENCH_DIR_WRITE;
	}
	if (w->zoned)
		bench_zone_step(w);
	pos = next_pos(w, *dir);
	*off = w->base + w->zone_off + pos;
	*len = w->bs_var ? io_len(w, *dir, pos, total) : job->bs;
	/* a zone's I/O past the file's end ends the job, as in fio */
	if (w->zoned && w->zone_off + pos + *len > w->span)
		return false;
	if (w->off.taken)
		*len = bench_off_take(w, pos, *len);
	if (!job_random(job) || job->rand_every > 1)
		seq_advance(w, pos, *len);
	w->zone_bytes += *len;
	/* time went by: the run may have ended meanwhile */
	if (bench_rate_wait(w, *dir, *len) &&
	    (bench_stopped(w) || (w->deadline_ns && bench_now_ns() >= w->deadline_ns)))
		return false;
	w->moved += *len;
	w->ios_done++;
	return true;
}

void bench_io_prep(struct bench_worker *w, enum bench_dir dir, uint64_t off, void *buf,
		   uint32_t len)
{
	uint64_t tag;

	if (dir != BENCH_DIR_WRITE)
		return;
	if (w->job->verify) {
		bench_verify_fill(w->job, buf, off);
		return;
	}
	/* buffer_pattern: every write carries it, as in fio (no dedup guard) */
	if (w->job->buffer_pattern_len) {
		bench_fill_repeat(buf, len, w->job->buffer_pattern, w->job->buffer_pattern_len);
		return;
	}
	/* Change a word per write so no layer can deduplicate the blocks. */
	tag = bench_xorshift(&w->rng);
	memcpy(buf, &tag, len < 8 ? len : 8);
}

int bench_maybe_sync(struct bench_worker *w, bool force)
{
	const struct bench_job *job = w->job;
	bool datasync = job->fdatasync_every && !job->fsync_every;
	unsigned int every = job->fsync_every ? job->fsync_every : job->fdatasync_every;
	uint64_t t0;
	int err;

	if (!force && (!every || w->writes_since_sync < every))
		return 0;
	if (force && !w->writes_since_sync && !job->end_fsync)
		return 0;
	t0 = bench_now_ns();
	err = w->target.ops->flush(&w->target, datasync);
	bench_hist_add(&w->res->sync_lat, bench_now_ns() - t0);
	w->res->syncs++;
	w->writes_since_sync = 0;
	if (err && !w->res->error)
		w->res->error = err;
	return err;
}

static void mark_written(struct bench_worker *w, uint64_t off)
{
	uint64_t blk = (off - w->base) / w->job->bs;

	if (w->written)
		w->written[blk / 8] |= 1u << (blk % 8);
}

static void unmark_written(struct bench_worker *w, uint64_t off)
{
	uint64_t blk = (off - w->base) / w->job->bs;

	w->written[blk / 8] &= ~(1u << (blk % 8));
}

static bool was_written(struct bench_worker *w, uint64_t off)
{
	uint64_t blk = (off - w->base) / w->job->bs;

	return !w->written || (w->written[blk / 8] & (1u << (blk % 8)));
}

/* ramp_time is over (or latency_target found its depth): what was counted
 * so far goes, the job starts anew. */
void bench_counts_restart(struct bench_worker *w, uint64_t now)
{
	struct bench_result *r = w->res;
	unsigned int d;

	for (d = 0; d < BENCH_NDIR; d++) {
		/* the sampler's counters go on counting: its series shows the ramp */
		w->live_base[d][0] += r->dir[d].bytes;
		w->live_base[d][1] += r->dir[d].ios;
		r->dir[d].ios = r->dir[d].bytes = 0;
		bench_hist_init(&r->dir[d].lat);
		for (unsigned int i = 0; i < r->dir[d].nprio; i++)
			bench_hist_init(&r->dir[d].prio[i].lat);
	}
	bench_hist_init(&r->sync_lat);
	r->syncs = 0;
	w->moved = 0;
	w->ios_done = 0;
	w->start_ns = now;
	w->ramp_end_ns = 0;
	bench_log_start(w, now);
	bench_cpu_thread(&w->cpu0);
	if (w->job->engine == BENCH_IO_URING)
		bench_cpu_io_workers(&w->io_workers0);
}

/* verify_backlog: read back and check the blocks written since the last time. */
static int backlog_check(struct bench_worker *w);

int bench_io_done(struct bench_worker *w, enum bench_dir dir, uint64_t off, void *buf,
		  uint32_t len, ssize_t ret, uint64_t lat_ns, int ioprio)
{
	struct bench_dir_stats *d = &w->res->dir[dir];
	uint64_t bad;

	if (w->ramp_end_ns) {
		uint64_t now = bench_now_ns();

		if (now >= w->ramp_end_ns)
			bench_counts_restart(w, now);
	}

	if (w->job->fill_device && dir == BENCH_DIR_WRITE &&
	    (ret == -ENOSPC || ret == -EDQUOT || (ret >= 0 && (size_t)ret < len))) {
		w->full = true;	/* the file system is full: the job's end, as fio's */
		if (ret <= 0)
			return 0;
		len = (uint32_t)ret;
	}
	if (ret < 0 || (size_t)ret < len) {
		if (!w->res->error) {
			w->res->error = ret < 0 ? (int)ret : -EIO;
			w->res->error_off = off;
		}
		return w->res->error;
	}
	d->ios++;
	d->bytes += ret;
	if (ioprio < 0)
		ioprio = bench_cmdprio_default(w->job);
	if (!w->job->no_lat) {
		int err;

		bench_hist_add(&d->lat, lat_ns);
		if (d->nprio)
			bench_cmdprio_done(d, ioprio, lat_ns);
		err = bench_lt_done(w, dir, lat_ns);
		if (err) {
			if (!w->res->error) {
				w->res->error = err;
				w->res->error_off = off;
			}
			return err;
		}
	}
	if (w->log.any && !w->ramp_end_ns)
		bench_log_io(w, dir, off, (uint32_t)ret, lat_ns, ioprio);
	if ((w->job->rate_min[dir] || w->job->rate_iops_min[dir]) && !w->ramp_end_ns) {
		int err = bench_rate_min(w, dir);

		if (err) {
			if (!w->res->error)
				w->res->error = err;
			return err;
		}
	}
	atomic_store_explicit(&w->live_bytes[dir], w->live_base[dir][0] + d->bytes,
			      memory_order_relaxed);
	atomic_store_explicit(&w->live_ios[dir], w->live_base[dir][1] + d->ios,
			      memory_order_relaxed);
	if (dir == BENCH_DIR_WRITE) {
		int err;

		mark_written(w, off);
		w->writes_since_sync++;
		err = bench_maybe_sync(w, false);
		if (!err && w->backlog_offs) {
			w->backlog_offs[w->backlog++] = off;
			if (w->backlog == w->job->verify_backlog)
				err = backlog_check(w);
		}
		return err;
	}
	if (w->job->verify && was_written(w, off) && bench_verify_check(w->job, buf, off, &bad)) {
		if (!w->res->verify_errors++)
			w->res->error_off = bad;
		if (w->job->verify_dump)	/* as fio: a dump that fails is not the job's failure */
			(void)bench_verify_dump(w->job, buf, off);
		if (w->job->verify_fatal && !w->res->error)
			w->res->error = -EILSEQ;
		return w->job->verify_fatal ? -EILSEQ : 0;
	}
	return 0;
}

/* Read one block back, timed and counted as a read (fio's verify reads are). */
static int verify_read(struct bench_worker *w, void *buf, uint64_t off)
{
	uint64_t t0 = bench_lat_now(w);
	ssize_t n = w->target.ops->pread(&w->target, buf, w->job->bs, off);

	return bench_io_done(w, BENCH_DIR_READ, off, buf, w->job->bs, n, bench_lat_now(w) - t0, -1);
}

static int backlog_check(struct bench_worker *w)
{
	uint64_t i, n = w->backlog;
	int err = 0;

	w->backlog = 0;
	if (!w->vbuf && !(w->vbuf = bench_alloc_buf(w->job->bs)))
		return -ENOMEM;
	/* checked now, so not again in the verify phase (as fio) */
	for (i = 0; i < n && !err; i++) {
		err = verify_read(w, w->vbuf, w->backlog_offs[i]);
		unmark_written(w, w->backlog_offs[i]);
	}
	return err;
}

/*
 * After a verify write job (do_verify): read every written block back in
 * offset order and check it. The reads are the job's reads, as in fio; their
 * runtime is the phase's.
 */
static int verify_pass(struct bench_worker *w)
{
	const struct bench_job *job = w->job;
	uint64_t blk, off, t0 = bench_now_ns();
	int err = 0;

	if (!w->vbuf && !(w->vbuf = bench_alloc_buf(job->bs)))
		return -ENOMEM;
	for (blk = 0; blk < w->span / job->bs && !err && !bench_stopped(w); blk++) {
		off = w->base + blk * job->bs;
		if (was_written(w, off))
			err = verify_read(w, w->vbuf, off);
	}
	w->res->dir[BENCH_DIR_READ].runtime_ns += bench_now_ns() - t0;
	return err;
}

/* The smallest and the largest I/O of the directions the job does. */
static void io_sizes(struct bench_worker *w)
{
	const struct bench_job *job = w->job;
	bool does[BENCH_NDIR] = { job_reads(job), job_writes(job) };
	uint32_t mn, mx;
	unsigned int d;

	w->bs_var = !bench_job_bs_fixed(job);
	w->unit = w->bs_max = job->bs;
	if (!w->bs_var)
		return;
	w->unit = UINT32_MAX;
	w->bs_max = 0;
	for (d = 0; d < BENCH_NDIR; d++) {
		if (!does[d])
			continue;
		bench_job_bs(job, d, &mn, &mx);
		if (mn < w->unit)
			w->unit = mn;
		if (mx > w->bs_max)
			w->bs_max = mx;
	}
}

/*
 * fill_device on a file: the region runs from its start to where the file
 * system would be full (the file's bytes past the start and the space still
 * free); the job ends on ENOSPC or EDQUOT, as fio's.
 */
static uint64_t fill_size(const struct bench_worker *w)
{
	uint64_t have = w->target.size > w->base ? w->target.size - w->base : 0;
	struct statvfs sv;

	if (fstatvfs(w->target.fd, &sv))
		return have;
	return have + (uint64_t)sv.f_bavail * sv.f_frsize;
}

static int worker_setup(struct bench_worker *w)
{
	const struct bench_job *job = w->job;
	const char *path = job->filename + (bench_target_is_img(job->filename) ? 4 : 0);
	uint64_t len, create, fend = 0;
	unsigned int flags = 0;
	struct stat st;
	int err;

	if (job->ioprio >= 0 && syscall(SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */,
					 0, job->ioprio) < 0)
		return -errno;
	err = bench_numa_apply(job);
	if (err)
		return err;
	if (job->thread_init) {
		err = job->thread_init(job, w->index, job->thread_arg);
		if (err)
			return err;
	}
	if (job_writes(job))
		flags |= BENCH_T_WRITE | BENCH_T_CREATE;
	if (job->direct)
		flags |= BENCH_T_DIRECT;
	create = job->size && !job->fill_device ? w->base + job->size : 0;
	if (job->filesize_lo) {
		/* a plain file's present size; a device's or image's once open */
		if (!stat(path, &st) && S_ISREG(st.st_mode) && !bench_target_is_img(job->filename))
			fend = bench_file_end(job, st.st_size);
		else if (errno == ENOENT)
			fend = bench_file_end(job, 0);
		if (fend)	/* the file is that long: size is cut to it */
			create = fend;
	}
	err = bench_target_open(&w->target, job->filename, flags, create);
	if (err)
		return err;
	if (job->filesize_lo && !fend)
		fend = bench_file_end(job, w->target.size);
	io_sizes(w);
	len = job->size;
	if (fend) {	/* the region ends with the file: size is at most that */
		uint64_t avail = fend > w->base ? fend - w->base : 0;

		if (!len || len > avail)
			len = avail;
	}
	if (job->fill_device && w->target.ops == &bench_file_ops)
		len = fill_size(w);
	if (!len)
		len = w->target.size > w->base ? w->target.size - w->base : 0;
	if (w->base + len > w->target.size && w->target.size && !job->fill_device)
		len = w->target.size > w->base ? w->target.size - w->base : 0;
	w->nblocks = len / w->unit;
	w->region = w->span = w->nblocks * w->unit;
	if (!w->nblocks) {
		/* Nothing to do I/O on: empty or too small. Leave nothing behind. */
		if (w->target.created)
			unlink(job->filename + (bench_target_is_img(job->filename) ? 4 : 0));
		bench_target_close(&w->target);
		return -ENOSPC;
	}
	bench_zone_setup(w);
	w->rng = (job->seed ^ (0x9e3779b97f4a7c15ULL * (w->index + 1))) | 1;
	if (!job->randrepeat)	/* the verify pattern keeps job->seed */
		w->rng = bench_mix64(w->rng ^ bench_now_ns()) | 1;
	if ((job_random(job) && (err = bench_off_setup(w))) || (err = bench_log_open(w))) {
		free(w->off.taken);
		w->off.taken = NULL;
		bench_target_close(&w->target);
		return err;
	}
	/* backwards too starts at the region's start, then wraps (as fio 3.33) */
	w->hole = job->seq_add / (int64_t)w->unit;
	if (job->verify && job_writes(job)) {
		w->written = calloc(w->span / job->bs / 8 + 1, 1);
		if (job->verify_backlog)
			w->backlog_offs = calloc(job->verify_backlog, sizeof(uint64_t));
		if (!w->written || (job->verify_backlog && !w->backlog_offs)) {
			free(w->written);
			free(w->backlog_offs);
			free(w->off.taken);
			bench_log_close(w);
			bench_target_close(&w->target);
			return -ENOMEM;
		}
	}
	return 0;
}

/* startdelay: wait, unless the run is stopped. */
static void start_delay(struct bench_worker *w)
{
	if (w->job->startdelay_ns)
		bench_sleep_until(w, bench_now_ns() + w->job->startdelay_ns);
}

static void *worker_main(void *arg)
{
	struct bench_worker *w = arg;
	const struct bench_job *job = w->job;
	struct bench_cpu c1;
	uint64_t one = 1;
	int err;

	bench_ctl_wait_for(w);
	if (bench_stopped(w))	/* ended before it began (exitall): no I/O */
		goto out;
	err = worker_setup(w);
	if (err) {
		w->res->error = err;
		goto out;
	}
	atomic_store(&w->started, 1);
	start_delay(w);
	bench_flow_join(w);
	bench_cpu_thread(&w->cpu0);
	w->start_ns = bench_now_ns();
	atomic_store(&w->ss.t0, w->start_ns);
	bench_lt_init(w, w->start_ns);
	bench_log_start(w, w->start_ns);
	if (job->ramp_ns)
		w->ramp_end_ns = w->start_ns + job->ramp_ns;
	if (job->runtime_ns)
		w->deadline_ns = w->start_ns + job->ramp_ns + job->runtime_ns;
	if (job->engine == BENCH_IO_URING && w->target.fd >= 0)
		err = bench_engine_uring(w);
	else if (job->engine == BENCH_LIBAIO && w->target.fd >= 0)
		err = bench_engine_aio(w);
	else
		err = bench_engine_psync(w);
	if (err && !w->res->error)
		w->res->error = err;
	if (job_writes(job) && (job->end_fsync || job->fsync_every || job->fdatasync_every))
		bench_maybe_sync(w, true);
	bench_flow_leave(w);
	if (w->ramp_end_ns)	/* the job ended within its ramp: nothing counted */
		bench_counts_restart(w, bench_now_ns());
	w->res->elapsed_ns = bench_now_ns() - w->start_ns;
	w->res->elapsed_ns -= w->res->elapsed_ns > w->teardown_ns ? w->teardown_ns : w->res->elapsed_ns;
	bench_cpu_thread(&c1);
	w->res->usr_ns = c1.usr_ns - w->cpu0.usr_ns + w->io_workers.usr_ns - w->io_workers0.usr_ns;
	w->res->sys_ns = c1.sys_ns - w->cpu0.sys_ns + w->io_workers.sys_ns - w->io_workers0.sys_ns;
	if (w->res->elapsed_ns) {
		w->res->usr_cpu = w->res->usr_ns * 100.0 / w->res->elapsed_ns;
		w->res->sys_cpu = w->res->sys_ns * 100.0 / w->res->elapsed_ns;
	}
	for (unsigned int d = 0; d < BENCH_NDIR; d++)
		w->res->dir[d].runtime_ns = w->res->dir[d].ios ? w->res->elapsed_ns : 0;
	if (job->verify && job->do_verify && w->written && !w->res->error) {
		err = verify_pass(w);
		if (err && !w->res->error)
			w->res->error = err;
	}
	err = bench_log_close(w);
	if (err && !w->res->error)
		w->res->error = err;
	free(w->written);
	free(w->backlog_offs);
	free(w->off.taken);
	free(w->vbuf);
	bench_target_close(&w->target);
out:
	bench_ctl_ended(w);
	if (w->done_fd >= 0 && write(w->done_fd, &one, sizeof(one)) < 0)
		w->res->error = w->res->error ? w->res->error : -errno;
	return NULL;
}

/*
 * A read-only job on a file that is not there: fio lays the file out (writes
 * its region) before the job starts; so do we, with data of our own.
 */
static int lay_out(const struct bench_job *job)
{
	struct bench_target t;
	uint64_t off, end = job->offset + job->size +
			   (uint64_t)(job->numjobs ? job->numjobs - 1 : 0) * job->offset_increment;
	size_t chunk = 1 << 20;
	void *buf;
	int err;

	if (job_writes(job) || (!job->size && !job->filesize_lo) ||
	    bench_target_is_img(job->filename) || access(job->filename, F_OK) == 0 || errno != ENOENT)
		return 0;
	if (job->filesize_lo)	/* the whole file, whatever part the job does */
		end = bench_file_end(job, 0);
	err = bench_target_open(&t, job->filename, BENCH_T_WRITE | BENCH_T_CREATE, end);
	if (err)
		return err;
	buf = bench_alloc_buf(chunk);
	if (!buf) {
		err = -ENOMEM;
		goto out;
	}
	for (off = job->offset; off < end && !err; off += chunk) {
		size_t len = end - off < chunk ? (size_t)(end - off) : chunk;
		ssize_t n;

		bench_pattern_fill(buf, len, off, ~job->seed);
		n = t.ops->pwrite(&t, buf, len, off);
		if (n < 0 || (size_t)n != len)
			err = n < 0 ? (int)n : -EIO;
	}
	if (!err)
		err = t.ops->flush(&t, true);
	free(buf);
out:
	bench_target_close(&t);
	if (err)
		unlink(job->filename);
	return err;
}

static int add_sample(struct bench_result *r, uint64_t t_ms, const uint64_t *bytes,
		      const uint64_t *ios)
{
	struct bench_sample *s;
	size_t i = r->nsamples;

	if (!(i & (i - 1)) || !i) {	/* grow at powers of two */
		s = realloc(r->samples, sizeof(*s) * (i ? 2 * i : 1));
		if (!s)
			return -ENOMEM;
		r->samples = s;
	}
	s = &r->samples[r->nsamples++];
	s->t_ms = t_ms;
	memcpy(s->bytes, bytes, sizeof(s->bytes));
	memcpy(s->ios, ios, sizeof(s->ios));
	return 0;
}

/* Take one sample of every worker; returns how many still run. */
static unsigned int sample_all(struct bench_worker *ws, unsigned int n, uint64_t t0,
			       uint64_t (*prev)[2][BENCH_NDIR], struct bench_progress *p)
{
	uint64_t now_ms = (bench_now_ns() - t0) / 1000000, b[BENCH_NDIR], io[BENCH_NDIR];
	unsigned int i, d, running = 0;

	memset(p, 0, sizeof(*p));
	p->elapsed_ms = now_ms;
	for (i = 0; i < n; i++) {
		bool live = atomic_load(&ws[i].running);

		for (d = 0; d < BENCH_NDIR; d++) {
			uint64_t cb = atomic_load_explicit(&ws[i].live_bytes[d], memory_order_relaxed);
			uint64_t ci = atomic_load_explicit(&ws[i].live_ios[d], memory_order_relaxed);

			b[d] = cb - prev[i][0][d];
			io[d] = ci - prev[i][1][d];
			prev[i][0][d] = cb;
			prev[i][1][d] = ci;
			p->bytes[d] += cb;
			p->ios[d] += ci;
		}
		if (b[0] || b[1] || live)
			add_sample(ws[i].res, now_ms, b, io);
		running += live;
	}
	p->running = running;
	return running;
}

/* Wait until the absolute time ns, or sooner when a worker ends. */
static void wait_until(int done_fd, uint64_t ns)
{
	struct pollfd p = { .fd = done_fd, .events = POLLIN };
	uint64_t now = bench_now_ns(), cnt;

	if (ns <= now)
		return;
	if (poll(&p, 1, (int)((ns - now + 999999) / 1000000)) > 0 &&
	    read(done_fd, &cnt, sizeof(cnt)) < 0)
		return;
}

static int start_workers(struct bench_worker *ws, unsigned int n, pthread_t *tids)
{
	unsigned int i;
	int err;

	for (i = 0; i < n; i++) {
		atomic_store(&ws[i].running, 1);
		err = pthread_create(&tids[i], NULL, worker_main, &ws[i]);
		if (err) {
			atomic_store(&ws[i].running, 0);
			ws[i].res->error = -err;
			return i;
		}
	}
	return n;
}

int bench_run(const struct bench_job *jobs, unsigned int njobs,
	      const struct bench_run_opts *opts, struct bench_result **results,
	      unsigned int *nresults)
{
	static const struct bench_run_opts defaults = { .sample_ms = 1000 };
	uint64_t (*prev)[2][BENCH_NDIR] = NULL, t0, step;
	struct bench_worker *ws = NULL;
	struct bench_result *res = NULL;
	struct bench_ctl ctl;
	struct bench_progress p;
	pthread_t *tids = NULL;
	unsigned int i, j, n = 0, started, first, last;
	int err = -ENOMEM, done_fd;
	uint64_t ss_next;
	bool ss;

	if (!opts)
		opts = &defaults;
	for (i = 0; i < njobs; i++)
		n += jobs[i].numjobs ? jobs[i].numjobs : 1;
	if (!n)
		return -EINVAL;
	ws = calloc(n, sizeof(*ws));
	res = calloc(n, sizeof(*res));
	tids = calloc(n, sizeof(*tids));
	prev = calloc(n, sizeof(*prev));
	if (!ws || !res || !tids || !prev)
		goto err_free;
	for (i = 0, n = 0; i < njobs; i++)
		for (j = 0; j < (jobs[i].numjobs ? jobs[i].numjobs : 1); j++, n++) {
			ws[n].job = &jobs[i];
			ws[n].res = &res[n];
			ws[n].index = j;
			ws[n].number = n + 1;
			/* offset_increment: each copy's region starts that much further */
			ws[n].base = jobs[i].offset + j * jobs[i].offset_increment;
			ws[n].stop = opts->stop;
			snprintf(res[n].name, sizeof(res[n].name), "%s", jobs[i].name);
			res[n].index = j;
			res[n].job = i;
			for (int d = 0; d < BENCH_NDIR; d++)
				bench_hist_init(&res[n].dir[d].lat);
			bench_hist_init(&res[n].sync_lat);
			ws[n].cmdprio = bench_cmdprio_used(&jobs[i]);
			if ((ws[n].cmdprio && bench_cmdprio_stats(&jobs[i], &res[n])) ||
			    bench_ss_alloc(&jobs[i], &res[n])) {
				n++;
				goto err_free;
			}
		}
	done_fd = eventfd(0, EFD_CLOEXEC);
	if (done_fd < 0) {
		err = -errno;
		goto err_free;
	}
	err = bench_ctl_init(&ctl, ws, n);
	if (err) {
		close(done_fd);
		goto err_free;
	}
	for (i = 0; i < n; i++)
		ws[i].done_fd = done_fd;
	step = (uint64_t)(opts->sample_ms ? opts->sample_ms : 1000) * 1000000ull;
	t0 = bench_now_ns();
	for (ss = false, i = 0; i < njobs; i++)
		ss |= jobs[i].ss_dur != 0;
	ss_next = t0;
	started = 0;
	/* Phases: a stonewall job starts when every job before it has ended. */
	for (first = 0, i = 1; first < n && !(opts->stop && *opts->stop) && !ctl.stop_all;
	     first = last) {
		for (last = first + 1; last < n; last++)
			if (ws[last].job != ws[last - 1].job && ws[last].job->stonewall)
				break;
		for (j = first; j < last; j++)
			if (j == first || ws[j].job != ws[j - 1].job)
				lay_out(ws[j].job);	/* a failure: the job's own error */
		started = first + start_workers(ws + first, last - first, tids + first);
		for (;; i++) {
			/* Wake every interval, or sooner to notice the end. */
			uint64_t next = t0 + i * step, now;
			unsigned int live = 0;

			while ((now = bench_now_ns()) < next) {
				for (live = 0, j = first; j < started; j++)
					live += atomic_load(&ws[j].running);
				if (!live)
					break;
				if (ss && now >= ss_next) {
					bench_ss_tick(ws, started, now);
					ss_next = now + 1000000000ull;
				}
				wait_until(done_fd, ss && ss_next < next ? ss_next : next);
			}
			if (!sample_all(ws, started, t0, prev, &p))
				break;
			if (opts->progress)
				opts->progress(&p, opts->progress_arg);
		}
		if (started < last)
			break;
	}
	for (j = 0; j < started; j++)
		pthread_join(tids[j], NULL);
	close(done_fd);
	bench_ctl_destroy(&ctl);
	free(ws);
	free(tids);
	free(prev);
	*results = res;
	*nresults = n;
	return 0;

err_free:
	free(prev);
	free(tids);
	bench_results_free(res, n);
	free(ws);
	return err;
}

void bench_results_free(struct bench_result *r, unsigned int n)
{
	unsigned int i, d;

	if (!r)
		return;
	for (i = 0; i < n; i++) {
		free(r[i].samples);
		for (d = 0; d < BENCH_NDIR; d++)
			free(r[i].dir[d].prio);
		free(r[i].ss.iops);
		free(r[i].ss.bw);
	}
	free(r);
}
