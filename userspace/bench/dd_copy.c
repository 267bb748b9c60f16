// SPDX-License-Identifier: GPL-2.0
/*
 * dd's copy: open (truncate unless notrunc/seek), skip, seek, then read ibs
 * blocks and write them as read (bs=) or reblocked to obs, with conv=
 * conversions; fsync/fdatasync at the end, before the statistics.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <blkprio/bench.h>

#include "bench_priv.h"

#define DD_NAME_MAX (PATH_MAX + 64)

static const char *in_name(const struct dd *d)
{
	return d->ifile ? d->ifile : "standard input";
}

static const char *out_name(const struct dd *d)
{
	return d->ofile ? d->ofile : "standard output";
}

/* Shell-style quoting as GNU tools do: always, or only when needed. */
static const char *quote(const char *s, bool always, char *buf, size_t len)
{
	static const char safe[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				   "0123456789_./,:@%^+=-";
	size_t o = 0;

	if (!always && *s && strspn(s, safe) == strlen(s)) {
		snprintf(buf, len, "%s", s);
		return buf;
	}
	buf[o++] = '\'';
	for (; *s && o + 6 < len; s++) {
		if (*s == '\'') {
			memcpy(buf + o, "'\\''", 4);
			o += 4;
		} else {
			buf[o++] = *s;
		}
	}
	buf[o++] = '\'';
	buf[o] = '\0';
	return buf;
}

static void dd_msgf(struct dd *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void dd_msgf(struct dd *d, const char *fmt, ...)
{
	char line[2 * DD_NAME_MAX + 128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (d->msg)
		d->msg(d->arg, line);
}

static int open_flags(unsigned int f)
{
	int o = 0;

	if (f & DD_F_APPEND)
		o |= O_APPEND;
	if (f & DD_F_DIRECT)
		o |= O_DIRECT;
	if (f & DD_F_DIRECTORY)
		o |= O_DIRECTORY;
	if (f & DD_F_DSYNC)
		o |= O_DSYNC;
	if (f & DD_F_SYNC)
		o |= O_SYNC;
	if (f & DD_F_NOATIME)
		o |= O_NOATIME;
	if (f & DD_F_NOCTTY)
		o |= O_NOCTTY;
	if (f & DD_F_NOFOLLOW)
		o |= O_NOFOLLOW;
	if (f & DD_F_NONBLOCK)
		o |= O_NONBLOCK;
	return o;
}

/* Flags on an inherited descriptor (stdin/stdout), as fcntl allows. */
static int set_fd_flags(struct dd *d, int fd, unsigned int f, const char *name)
{
	int add = open_flags(f) & (O_APPEND | O_DIRECT | O_NOATIME | O_NONBLOCK | O_DSYNC | O_SYNC);
	int cur = fcntl(fd, F_GETFL);
	char q[DD_NAME_MAX];

	if (!add)
		return 0;
	if (cur < 0 || fcntl(fd, F_SETFL, cur | add) < 0) {
		dd_msgf(d, "setting flags for %s: %s", quote(name, true, q, sizeof(q)),
			strerror(errno));
		return -1;
	}
	return 0;
}

static int open_input(struct dd *d)
{
	char q[DD_NAME_MAX];
	int err;

	if (!d->ifile) {
		d->ifd = STDIN_FILENO;
		return set_fd_flags(d, d->ifd, d->iflags, in_name(d));
	}
	if (bench_target_is_img(d->ifile)) {
		d->it = calloc(1, sizeof(*d->it));
		err = d->it ? bench_target_open(d->it, d->ifile,
						(d->iflags & DD_F_DIRECT) ? BENCH_T_DIRECT : 0, 0)
			    : -ENOMEM;
		if (err) {
			free(d->it);
			d->it = NULL;
			dd_msgf(d, "failed to open %s: %s", quote(d->ifile, true, q, sizeof(q)),
				strerror(-err));
			return -1;
		}
		return 0;
	}
	d->ifd = open(d->ifile, O_RDONLY | O_CLOEXEC | open_flags(d->iflags));
	if (d->ifd < 0) {
		dd_msgf(d, "failed to open %s: %s", quote(d->ifile, true, q, sizeof(q)),
			strerror(errno));
		return -1;
	}
	return 0;
}

/* Size of the input when it can be known (to size a new qcow2 image). */
static uint64_t input_size(struct dd *d)
{
	struct stat st;
	uint64_t sz = 0;

	if (d->it) {
		sz = d->it->size;
	} else if (d->ifd >= 0 && !fstat(d->ifd, &st)) {
		if (S_ISREG(st.st_mode)) {
			sz = st.st_size;
		} else if (S_ISBLK(st.st_mode)) {
			off_t end = lseek(d->ifd, 0, SEEK_END);

			sz = end > 0 ? (uint64_t)end : 0;
			lseek(d->ifd, 0, SEEK_SET);
		}
	}
	if (sz <= d->skip_bytes)
		return 0;
	sz -= d->skip_bytes;
	if (d->count_set && d->max_records * d->ibs + d->max_bytes < sz)
		sz = d->max_records * d->ibs + d->max_bytes;
	return sz + d->seek_bytes;
}

static int open_output(struct dd *d)
{
	int flags = O_CLOEXEC | open_flags(d->oflags), mode;
	char q[DD_NAME_MAX];
	struct stat st;
	uint64_t sz;
	int err;

	if (!d->ofile) {
		d->ofd = STDOUT_FILENO;
		return set_fd_flags(d, d->ofd, d->oflags, out_name(d));
	}
	if (bench_target_is_img(d->ofile)) {
		sz = input_size(d);
		d->ot = calloc(1, sizeof(*d->ot));
		err = d->ot ? bench_target_open(d->ot, d->ofile, BENCH_T_WRITE |
				(d->conv & DD_C_NOCREAT ? 0 : BENCH_T_CREATE) |
				(d->oflags & DD_F_DIRECT ? BENCH_T_DIRECT : 0), sz) : -ENOMEM;
		if (err) {
			free(d->ot);
			d->ot = NULL;
			dd_msgf(d, "failed to open %s: %s", quote(d->ofile, true, q, sizeof(q)),
				strerror(-err));
			return -1;
		}
		return 0;
	}
	if (d->seek_overflow && !(d->conv & DD_C_NOTRUNC)) {
		dd_msgf(d, "offset too large: cannot truncate to a length of seek=%llu "
			"(%llu-byte) blocks", (unsigned long long)d->seek,
			(unsigned long long)d->obs);
		return -1;
	}
	if (!(d->conv & DD_C_NOCREAT))
		flags |= O_CREAT;
	if (d->conv & DD_C_EXCL)
		flags |= O_EXCL;
	if (!(d->conv & DD_C_NOTRUNC) && !d->seek_bytes)
		flags |= O_TRUNC;
	mode = d->seek_bytes ? O_RDWR : O_WRONLY;
	d->ofd = open(d->ofile, flags | mode, 0666);
	if (d->ofd < 0 && mode == O_RDWR)
		d->ofd = open(d->ofile, flags | O_WRONLY, 0666);
	if (d->ofd < 0) {
		dd_msgf(d, "failed to open %s: %s", quote(d->ofile, true, q, sizeof(q)),
			strerror(errno));
		return -1;
	}
	if (d->seek_bytes && !(d->conv & DD_C_NOTRUNC) &&
	    ftruncate(d->ofd, d->seek_bytes) < 0) {
		err = errno;
		if (!fstat(d->ofd, &st) &&
		    (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode) || S_TYPEISSHM(&st))) {
			/* told, and dd goes on to seek: GNU dd does */
			dd_msgf(d, "failed to truncate to %llu bytes in output file %s: %s",
				(unsigned long long)d->seek_bytes,
				quote(d->ofile, true, q, sizeof(q)), strerror(err));
			d->exit_status = 1;
		}
	}
	return 0;
}

static ssize_t raw_read(struct dd *d, void *buf, size_t n)
{
	ssize_t r;

	if (d->it) {
		r = d->it->ops->pread(d->it, buf, n, d->ipos);
		if (r > 0)
			d->ipos += r;
		if (r < 0)
			errno = (int)-r;
		return r < 0 ? -1 : r;
	}
	for (;;) {
		r = read(d->ifd, buf, n);
		if (r >= 0 || errno != EINTR || d->interrupted)
			return r;
		if (d->poll)	/* a signal asking for statistics */
			d->poll(d->arg);
	}
}

/* One input block: a single read, or until full with iflag=fullblock. */
static ssize_t read_block(struct dd *d, uint8_t *buf, size_t n)
{
	size_t got = 0;
	ssize_t r;

	do {
		r = raw_read(d, buf + got, n - got);
		if (r < 0)
			return got ? (ssize_t)got : -1;
		got += r;
	} while (r > 0 && got < n && (d->iflags & DD_F_FULLBLOCK));
	/* A short read that was not the end of the input: suggest fullblock. */
	if (got && d->warn_partial && d->prev_nread > 0 && (size_t)d->prev_nread < n) {
		if (d->status != DD_STATUS_NONE)
			dd_msgf(d, "warning: partial read (%zd byte%s); suggest iflag=fullblock",
				d->prev_nread, d->prev_nread == 1 ? "" : "s");
		d->warn_partial = false;
	}
	d->prev_nread = got;
	return got;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	return !n || (p[0] == 0 && !memcmp(p, p + 1, n - 1));
}

/*
 * Write one output block; short blocks count as partial records. A failed
 * write is told as GNU dd tells it: "writing to" for a block the two-buffer
 * mode filled (reblocked, which counts what got out as a partial record),
 * "error writing" for a block as read and for the last one.
 */
enum { WB_AS_READ, WB_REBLOCKED, WB_LAST };

static int write_block(struct dd *d, const uint8_t *buf, size_t n, int how)
{
	char q[DD_NAME_MAX];
	size_t done = 0;
	ssize_t w;
	int fl;

	if (!n)
		return 0;
	/*
	 * conv=sparse, and always into a qcow2 image we created: it reads zeros.
	 * With oflag=append the seek is made all the same and the next write
	 * lands at the end: the zero block is dropped, as in GNU dd.
	 */
	if (((d->conv & DD_C_SPARSE) || (d->ot && d->ot->created)) &&
	    (!d->ot || !(d->oflags & DD_F_APPEND)) && all_zero(buf, n)) {
		if (d->ot || lseek(d->ofd, n, SEEK_CUR) >= 0) {
			d->opos += n;
			d->last_was_seek = true;
			goto counted;
		}
	}
	/* O_DIRECT cannot write an unaligned tail: drop it for that write. */
	if ((d->oflags & DD_F_DIRECT) && n < d->obs && !d->ot && (fl = fcntl(d->ofd, F_GETFL)) >= 0)
		fcntl(d->ofd, F_SETFL, fl & ~O_DIRECT);
	while (done < n) {
		if (d->ot) {
			w = d->ot->ops->pwrite(d->ot, buf + done, n - done, d->opos);
			if (w < 0) {
				errno = (int)-w;
				w = -1;
			}
		} else {
			w = write(d->ofd, buf + done, n - done);
		}
		if (w < 0 && errno == EINTR && !d->interrupted)
			continue;
		if (w <= 0) {
			dd_msgf(d, "%s %s: %s", how == WB_REBLOCKED ? "writing to" : "error writing",
				quote(out_name(d), true, q, sizeof(q)),
				w < 0 ? strerror(errno) : "No space left on device");
			d->st.w_bytes += done;
			if (done && how != WB_AS_READ)
				d->st.w_partial++;
			return -1;
		}
		done += w;
		d->opos += w;
	}
	d->last_was_seek = false;
counted:
	if (n == d->obs)
		d->st.w_full++;
	else
		d->st.w_partial++;
	d->st.w_bytes += n;
	return 0;
}

static int put_bytes(struct dd *d, const uint8_t *p, size_t n)
{
	size_t k;

	while (n) {
		k = d->obs - d->oused;
		if (k > n)
			k = n;
		memcpy(d->obuf + d->oused, p, k);
		d->oused += k;
		p += k;
		n -= k;
		if (d->oused == d->obs) {
			d->oused = 0;
			if (write_block(d, d->obuf, d->obs, WB_REBLOCKED))
				return -1;
		}
	}
	return 0;
}

static int put_char(struct dd *d, uint8_t c)
{
	return put_bytes(d, &c, 1);
}

/* conv=block: newline-terminated lines to cbs-sized space-padded records. */
static int copy_block(struct dd *d, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i] == '\n') {
			for (; d->col < d->cbs; d->col++)
				if (put_char(d, ' '))
					return -1;
			d->col = 0;
			continue;
		}
		if (d->col == d->cbs)
			d->st.r_truncate++;
		if (d->col++ < d->cbs && put_char(d, p[i]))
			return -1;
	}
	return 0;
}

/* conv=unblock: cbs-sized records to lines without trailing spaces. */
static int copy_unblock(struct dd *d, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (d->col == d->cbs) {
			if (put_char(d, '\n'))
				return -1;
			d->col = 0;
			d->oused_spaces = 0;
		}
		d->col++;
		if (p[i] == ' ') {
			d->oused_spaces++;
			continue;
		}
		for (; d->oused_spaces; d->oused_spaces--)
			if (put_char(d, ' '))
				return -1;
		if (put_char(d, p[i]))
			return -1;
	}
	return 0;
}

/* In-place conversions; swab carries an odd byte to the next block. */
static size_t convert(struct dd *d, uint8_t *p, size_t n)
{
	size_t i;

	if (d->conv & DD_C_SWAB) {
		if (d->swab_saved >= 0) {
			memmove(p + 1, p, n);
			p[0] = (uint8_t)d->swab_saved;
			n++;
			d->swab_saved = -1;
		}
		if (n & 1)
			d->swab_saved = p[--n];
		for (i = 0; i + 1 < n; i += 2) {
			uint8_t t = p[i];

			p[i] = p[i + 1];
			p[i + 1] = t;
		}
	}
	if (d->conv & DD_C_LCASE)
		for (i = 0; i < n; i++)
			p[i] = (uint8_t)tolower(p[i]);
	if (d->conv & DD_C_UCASE)
		for (i = 0; i < n; i++)
			p[i] = (uint8_t)toupper(p[i]);
	return n;
}

static int output(struct dd *d, uint8_t *p, size_t n)
{
	if (d->conv & DD_C_BLOCK)
		return copy_block(d, p, n);
	if (d->conv & DD_C_UNBLOCK)
		return copy_unblock(d, p, n);
	/* swab holds a byte back, so it reblocks as the two-buffer mode does. */
	if (d->conv & (DD_C_TWOBUFS | DD_C_SWAB))
		return put_bytes(d, p, n);
	return write_block(d, p, n, WB_AS_READ);
}

/*
 * A skip or seek lseek refused (err; EOVERFLOW when the offset is past what
 * a file offset holds): where the file can still seek to its end, reading
 * on would not get there either, so it is an error, told as GNU dd tells it.
 * False where the file cannot seek at all (a pipe): read on instead.
 */
static bool seek_failed(struct dd *d, int fd, int err, const char *what, const char *name)
{
	char q[DD_NAME_MAX];

	if (lseek(fd, 0, SEEK_END) < 0) {
		errno = err;
		return false;
	}
	dd_msgf(d, "%s: cannot %s: %s", quote(name, false, q, sizeof(q)), what, strerror(err));
	return true;
}

static int do_skip(struct dd *d)
{
	uint64_t left = d->skip_bytes;
	char q[DD_NAME_MAX];
	struct stat st;
	off_t pos;
	ssize_t r;

	if (!left && !d->skip_overflow)
		return 0;
	if (d->it) {
		if (d->skip_overflow || d->skip_bytes > d->it->size)
			goto cannot;
		d->ipos = d->skip_bytes;
		return 0;
	}
	pos = d->skip_overflow ? -1 : lseek(d->ifd, (off_t)left, SEEK_CUR);
	if (pos >= 0) {
		if (!fstat(d->ifd, &st) && S_ISREG(st.st_mode) && pos > st.st_size)
			goto cannot;
		return 0;
	}
	if (seek_failed(d, d->ifd, d->skip_overflow ? EOVERFLOW : errno, "skip", in_name(d)))
		return -1;
	/* Not seekable: read and drop (past any offset when it overflowed). */
	if (d->skip_overflow)
		left = UINT64_MAX;
	while (left) {
		/* read_block: these reads count for the partial-read warning too */
		r = read_block(d, d->ibuf, left < d->ibs ? left : d->ibs);
		if (r < 0) {
			dd_msgf(d, "error reading %s: %s", quote(in_name(d), true, q, sizeof(q)),
				strerror(errno));
			return -1;
		}
		if (!r)
			goto cannot;
		left -= r;
	}
	return 0;
cannot:
	dd_msgf(d, "%s: cannot skip to specified offset", quote(in_name(d), false, q, sizeof(q)));
	d->skip_past_end = true;
	return 0;
}

static int do_seek(struct dd *d)
{
	char q[DD_NAME_MAX];

	if (!d->seek_bytes && !d->seek_overflow)
		return 0;
	if (d->ot && !d->seek_overflow) {
		d->opos = d->seek_bytes;
		return 0;
	}
	if (d->ot)
		errno = EOVERFLOW;
	else if (!d->seek_overflow && lseek(d->ofd, (off_t)d->seek_bytes, SEEK_CUR) >= 0)
		return 0;
	else if (d->seek_overflow)
		errno = EOVERFLOW;
	if (d->ot || !seek_failed(d, d->ofd, errno, "seek", out_name(d)))
		dd_msgf(d, "%s: cannot seek: %s", quote(out_name(d), false, q, sizeof(q)),
			strerror(errno));
	return -1;
}

static int finish_output(struct dd *d)
{
	char q[DD_NAME_MAX];
	struct stat st;
	off_t pos;

	if (d->conv & DD_C_BLOCK && d->col > 0)
		for (; d->col < d->cbs; d->col++)
			if (put_char(d, ' '))
				return -1;
	if (d->conv & DD_C_UNBLOCK && d->col > 0 && put_char(d, '\n'))
		return -1;
	if (d->swab_saved >= 0) {
		uint8_t c = (uint8_t)d->swab_saved;

		d->swab_saved = -1;
		if (output(d, &c, 1))
			return -1;
	}
	if (d->oused) {
		size_t n = d->oused;

		d->oused = 0;
		if (write_block(d, d->obuf, n, WB_LAST))
			return -1;
	}
	/* Skipped NUL blocks at the end: the output still has to reach that size. */
	if (d->last_was_seek && d->ot && d->opos > d->ot->size) {
		static const uint8_t zero[512];
		uint64_t at = d->opos > sizeof(zero) ? d->opos - sizeof(zero) : 0;
		ssize_t w = d->ot->ops->pwrite(d->ot, zero, d->opos - at, at);

		if (w < 0) {
			dd_msgf(d, "error writing %s: %s", quote(out_name(d), true, q, sizeof(q)),
				strerror((int)-w));
			return -1;
		}
	}
	if (d->last_was_seek && !d->ot) {
		pos = lseek(d->ofd, 0, SEEK_CUR);
		if (pos >= 0 && !fstat(d->ofd, &st) && S_ISREG(st.st_mode) && st.st_size < pos &&
		    ftruncate(d->ofd, pos) < 0) {
			dd_msgf(d, "failed to truncate to %lld bytes in output file %s: %s",
				(long long)pos, quote(out_name(d), true, q, sizeof(q)),
				strerror(errno));
			return -1;
		}
	}
	return 0;
}

static int sync_output(struct dd *d)
{
	char q[DD_NAME_MAX];
	bool fsync_said = false;
	int err;

	if (!(d->conv & (DD_C_FSYNC | DD_C_FDATASYNC)))
		return 0;
	if (d->ot) {
		err = d->ot->ops->flush(d->ot, !(d->conv & DD_C_FSYNC));
		errno = -err;
	} else if (d->conv & DD_C_FSYNC) {
		err = fsync(d->ofd);
	} else {
		/* as GNU dd: where fdatasync is not supported, fsync's error is told */
		err = fdatasync(d->ofd);
		if (err && (errno == EINVAL || errno == ENOSYS)) {
			err = fsync(d->ofd);
			fsync_said = true;
		}
	}
	if (err) {
		dd_msgf(d, "%s failed for %s: %s",
			fsync_said || d->conv & DD_C_FSYNC ? "fsync" : "fdatasync",
			quote(out_name(d), true, q, sizeof(q)), strerror(errno));
		return -1;
	}
	return 0;
}

/* A read error: stop, or with noerror report, skip the block and go on. */
static int read_error(struct dd *d, ssize_t *n)
{
	char q[DD_NAME_MAX];

	dd_msgf(d, "error reading %s: %s", quote(in_name(d), true, q, sizeof(q)),
		strerror(errno));
	/* As GNU dd: noerror goes on, and the run still counts as a success. */
	if (!(d->conv & DD_C_NOERROR))
		return -1;
	d->stats_now = true;
	if (d->poll)
		d->poll(d->arg);
	if (d->it)
		d->ipos += d->ibs;
	else
		lseek(d->ifd, (off_t)d->ibs, SEEK_CUR);
	if (!(d->conv & DD_C_SYNC))
		return 1;
	*n = 0;		/* padded below to a whole block of NULs */
	d->st.r_partial++;
	return 0;
}

static int copy(struct dd *d)
{
	bool tail_done = false;
	size_t want;
	ssize_t n;
	int r;

	for (;;) {
		if (d->interrupted)
			return 0;
		want = d->ibs;
		if (d->count_set && d->st.r_full + d->st.r_partial >= d->max_records) {
			if (!d->max_bytes || tail_done)
				break;
			want = d->max_bytes;
			tail_done = true;
		}
		n = read_block(d, d->ibuf, want);
		if (n < 0) {
			if (d->interrupted)
				return 0;
			r = read_error(d, &n);
			if (r < 0)
				return -1;
			if (r > 0)
				continue;
		} else if (n == 0) {
			break;
		} else if ((size_t)n == d->ibs) {
			d->st.r_full++;
		} else {
			d->st.r_partial++;
		}
		if ((d->conv & DD_C_SYNC) && (size_t)n < d->ibs) {
			memset(d->ibuf + n, d->conv & (DD_C_BLOCK | DD_C_UNBLOCK) ? ' ' : 0,
			       d->ibs - n);
			n = d->ibs;
		}
		n = convert(d, d->ibuf, n);
		if (output(d, d->ibuf, n))
			return -1;
		if (d->poll)
			d->poll(d->arg);
	}
	return finish_output(d);
}

static void drop_cache(int fd)
{
	if (fd >= 0)
		posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
}

int dd_run(struct dd *d)
{
	int ret = 1;

	d->ibuf = bench_alloc_buf(d->ibs + 4096);	/* room for a carried swab byte */
	d->obuf = bench_alloc_buf(d->obs);
	if (!d->ibuf || !d->obuf) {
		dd_msgf(d, "memory exhausted by input buffer of size %llu bytes",
			(unsigned long long)d->ibs);
		goto out;
	}
	if (open_input(d) || open_output(d))
		goto out_close;
	d->st.start_ns = bench_now_ns();
	if (do_skip(d) || do_seek(d))
		goto out_close;
	ret = 0;
	if (!d->skip_past_end || !d->it) {
		if (copy(d))
			ret = 1;
	}
	/* GNU dd syncs even after a write error. */
	if (sync_output(d))
		ret = 1;
	if (d->iflags & DD_F_NOCACHE)
		drop_cache(d->ifd);
	if (d->oflags & DD_F_NOCACHE) {
		if (d->ofd >= 0)
			fdatasync(d->ofd);
		drop_cache(d->ofd);
	}
out_close:
	if (d->it) {
		bench_target_close(d->it);
		free(d->it);
		d->it = NULL;
	}
	if (d->ot) {
		if (d->ot->ops->flush(d->ot, true) && !ret) {
			dd_msgf(d, "error writing '%s': %s", d->ofile, strerror(EIO));
			ret = 1;
		}
		bench_target_close(d->ot);
		free(d->ot);
		d->ot = NULL;
	}
	if (d->ifd > STDERR_FILENO)
		close(d->ifd);
	if (d->ofd > STDERR_FILENO && close(d->ofd) < 0 && !ret) {
		char q[DD_NAME_MAX];

		dd_msgf(d, "closing output file %s: %s", quote(out_name(d), true, q, sizeof(q)),
			strerror(errno));
		ret = 1;
	}
out:
	free(d->ibuf);
	free(d->obuf);
	d->ibuf = d->obuf = NULL;
	if (d->exit_status)
		ret = 1;
	d->exit_status = ret;
	return ret;
}
