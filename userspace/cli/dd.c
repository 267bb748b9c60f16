// SPDX-License-Identifier: GPL-2.0
/*
 * blkprio dd: GNU dd's operands, messages, statistics and exit codes, so
 * recipes and scripts written for dd work unchanged; if=img:/of=img: read
 * and write qcow2 images. Messages start "dd: " as GNU dd's do.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <blkprio/bench.h>

#include "cli.h"

static volatile sig_atomic_t got_usr1, got_int;
static struct dd *cur_dd;

static void dd_usage(FILE *out)
{
	fprintf(out,
		"Usage: blkprio dd [OPERAND]...\n"
		"Copy a file, converting and formatting according to the operands (GNU dd).\n\n"
		"  bs=BYTES        read and write up to BYTES bytes at a time (default: 512)\n"
		"  cbs=BYTES       convert BYTES bytes at a time\n"
		"  conv=CONVS      convert the file as per the comma separated symbol list\n"
		"  count=N         copy only N input blocks (N bytes with a B suffix)\n"
		"  ibs=BYTES       read up to BYTES bytes at a time (default: 512)\n"
		"  if=FILE         read from FILE instead of stdin; img:PATH reads a qcow2 image\n"
		"  iflag=FLAGS     read as per the comma separated symbol list\n"
		"  obs=BYTES       write BYTES bytes at a time (default: 512)\n"
		"  of=FILE         write to FILE instead of stdout; img:PATH writes a qcow2\n"
		"                  image (created sparse, sized from the input)\n"
		"  oflag=FLAGS     write as per the comma separated symbol list\n"
		"  seek=N, oseek=N skip N obs-sized output blocks\n"
		"  skip=N, iseek=N skip N ibs-sized input blocks\n"
		"  status=LEVEL    none, noxfer or progress\n\n"
		"N and BYTES may have suffixes: c=1, w=2, b=512, kB=1000, K=1024, MB=1000*1000,\n"
		"M=1024*1024, xM=M, GB, G, and so on for T, P, E, Z, Y; binary prefixes as\n"
		"KiB=K, MiB=M. Each CONV: block unblock lcase ucase sparse swab sync excl\n"
		"nocreat notrunc noerror fdatasync fsync. Each FLAG: append direct directory\n"
		"dsync sync fullblock (iflag) nonblock noatime nocache noctty nofollow\n"
		"count_bytes skip_bytes seek_bytes.\n"
		"Sending a USR1 signal prints I/O statistics to standard error.\n"
		"Exit status: 0 ok, 1 any failure (as GNU dd).\n");
}

static void on_usr1(int sig)
{
	got_usr1 = 1;
}

static void on_int(int sig)
{
	got_int = 1;
	if (cur_dd)
		cur_dd->interrupted = true;
}

static void dd_print_msg(void *arg, const char *text)
{
	fprintf(stderr, "dd: %s\n", text);
}

struct dd_ui {
	uint64_t next_progress_ns;
	size_t progress_len;
};

static void print_stats(struct dd *d, struct dd_ui *ui)
{
	char buf[512];

	if (d->status == DD_STATUS_NONE)
		return;
	if (ui->progress_len) {
		fputc('\n', stderr);
		ui->progress_len = 0;
	}
	dd_format_stats(d, buf, sizeof(buf), false);
	fputs(buf, stderr);
}

static struct dd_ui state;

static void dd_poll(void *arg)
{
	struct dd *d = arg;
	char buf[256];
	uint64_t now;
	size_t len;

	if (got_usr1 || d->stats_now) {
		got_usr1 = 0;
		d->stats_now = false;
		print_stats(d, &state);
	}
	if (d->status != DD_STATUS_PROGRESS)
		return;
	now = bench_now_ns();
	if (!state.next_progress_ns)
		state.next_progress_ns = d->st.start_ns + 1000000000ull;
	if (now < state.next_progress_ns)
		return;
	state.next_progress_ns = now + 1000000000ull;
	dd_format_stats(d, buf, sizeof(buf), true);
	len = strlen(buf);
	fprintf(stderr, "\r%s%*s", buf, state.progress_len > len ?
		(int)(state.progress_len - len) : 0, "");
	state.progress_len = len;
	fflush(stderr);
}

int do_dd(int argc, char **argv)
{
	struct sigaction sa = { 0 }, old_int;
	char why[1024];
	struct dd d;
	bool try;
	int i, ret;

	ret = cli_img_secrets(&argc, argv);	/* --object, img:driver=... */
	if (ret)
		return ret;
	dd_init(&d);
	d.msg = dd_print_msg;
	d.poll = dd_poll;
	d.arg = &d;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help")) {
			dd_usage(stdout);
			return EXIT_OK;
		}
		if (!strcmp(argv[i], "--"))
			continue;
		if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "dd: unrecognized option '%s'\n"
				"Try 'dd --help' for more information.\n", argv[i]);
			return EXIT_FAIL;
		}
		if (dd_operand(&d, argv[i], why, sizeof(why), &try))
			goto bad;
	}
	if (dd_args_done(&d, why, sizeof(why), &try))
		goto bad;

	/* USR1 prints statistics; INT stops, prints them, and dies by INT. */
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGINT, NULL, &old_int);
	if (old_int.sa_handler != SIG_IGN) {
		sa.sa_handler = on_int;
		sigaction(SIGINT, &sa, NULL);
	}
	cur_dd = &d;
	ret = dd_run(&d);
	cur_dd = NULL;
	if (d.st.start_ns)
		print_stats(&d, &state);
	if (got_int) {
		signal(SIGINT, SIG_DFL);
		raise(SIGINT);
	}
	return ret;

bad:
	fprintf(stderr, "dd: %s\n", why);
	if (try)
		fprintf(stderr, "Try 'dd --help' for more information.\n");
	return EXIT_FAIL;
}
