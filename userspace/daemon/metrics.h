/* SPDX-License-Identifier: GPL-2.0 */
/*
 * blkpriod's metrics: an HTTP endpoint (libmicrohttpd, driven from the
 * daemon's epoll loop, no threads) serving /metrics in the Prometheus text
 * format, and the latency module that loads the probes and writes the page.
 */
#ifndef BLKPRIO_DAEMON_METRICS_H
#define BLKPRIO_DAEMON_METRICS_H

#include <stddef.h>
#include <stdio.h>

#define METRICS_LISTEN_DEFAULT	"127.0.0.1:9722"

struct metrics_srv;

/* Write the page to out; 0 or -errno (the client gets a 500). */
typedef int (*metrics_page_fn)(void *ctx, FILE *out);

/*
 * Listen on "HOST:PORT", "[V6ADDR]:PORT" or "PORT" (127.0.0.1). Port 0 picks
 * a free one (metrics_srv_port). -EINVAL (why: static text) for a bad
 * address, -errno when binding fails.
 */
int metrics_srv_start(const char *listen, metrics_page_fn fn, void *ctx,
		      struct metrics_srv **out, const char **why);
void metrics_srv_stop(struct metrics_srv *s);
/* An fd that becomes readable when the server has work (an epoll fd). */
int metrics_srv_fd(const struct metrics_srv *s);
/* Do the pending work (accept, read, answer); never blocks. */
void metrics_srv_run(struct metrics_srv *s);
unsigned int metrics_srv_port(const struct metrics_srv *s);

/* The daemon module (latency.c): rows of the module table in main.c. */
struct daemon;
int dm_metrics_start(struct daemon *d);
void dm_metrics_reload(struct daemon *d);
void dm_metrics_stop(struct daemon *d);

#endif
