// SPDX-License-Identifier: GPL-2.0
/*
 * The /metrics HTTP endpoint. libmicrohttpd runs in "external select" mode
 * with its own epoll fd, which the daemon's loop watches: every request is
 * answered on the daemon's thread, so the page reads the daemon's state
 * without locks.
 */
#include <errno.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "metrics.h"

#define METRICS_CTYPE	"text/plain; version=0.0.4; charset=utf-8"

struct metrics_srv {
	struct MHD_Daemon *mhd;
	metrics_page_fn page;
	void *ctx;
	unsigned int port;
};

static enum MHD_Result reply(struct MHD_Connection *c, unsigned int status,
			     const char *ctype, char *body, size_t len, bool owned)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, body, owned ? MHD_RESPMEM_MUST_FREE :
					    MHD_RESPMEM_PERSISTENT);
	if (!r) {
		if (owned)
			free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version,
				  const char *upload, size_t *upload_len, void **state)
{
	static char index[] = "<html><body><a href=\"/metrics\">metrics</a></body></html>\n";
	static char notfound[] = "not found\n", bad[] = "method not allowed\n";
	static char failed[] = "internal error\n";
	struct metrics_srv *s = cls;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int err;

	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", bad,
			     sizeof(bad) - 1, false);
	if (*upload_len)
		return MHD_NO;
	if (!strcmp(url, "/"))
		return reply(c, MHD_HTTP_OK, "text/html", index, sizeof(index) - 1, false);
	if (strcmp(url, "/metrics"))
		return reply(c, MHD_HTTP_NOT_FOUND, "text/plain", notfound,
			     sizeof(notfound) - 1, false);
	f = open_memstream(&buf, &len);
	if (!f)
		return reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain", failed,
			     sizeof(failed) - 1, false);
	err = s->page(s->ctx, f);
	if (fclose(f))
		err = err ? err : -EIO;
	if (err) {
		free(buf);
		return reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain", failed,
			     sizeof(failed) - 1, false);
	}
	return reply(c, MHD_HTTP_OK, METRICS_CTYPE, buf, len, true);
}

/* "HOST:PORT", "[V6]:PORT", "PORT" -> host and port strings in buf. */
static int split_listen(const char *listen, char *host, size_t hlen, char *port, size_t plen)
{
	const char *colon, *end;
	size_t n;

	if (!*listen)
		return -EINVAL;
	if (listen[0] == '[') {
		end = strchr(listen, ']');
		if (!end || end[1] != ':')
			return -EINVAL;
		n = (size_t)(end - listen - 1);
		colon = end + 1;
		listen++;
	} else {
		colon = strrchr(listen, ':');
		if (!colon) {
			snprintf(host, hlen, "127.0.0.1");
			snprintf(port, plen, "%s", listen);
			goto check_port;
		}
		n = (size_t)(colon - listen);
	}
	if (!n || n >= hlen)
		return -EINVAL;
	memcpy(host, listen, n);
	host[n] = 0;
	snprintf(port, plen, "%s", colon + 1);
check_port:
	if (!port[0] || strspn(port, "0123456789") != strlen(port) || atoi(port) > 65535)
		return -EINVAL;
	return 0;
}

int metrics_srv_start(const char *listen, metrics_page_fn fn, void *ctx,
		      struct metrics_srv **out, const char **why)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	const union MHD_DaemonInfo *info;
	struct addrinfo *ai = NULL;
	struct metrics_srv *s;
	char host[256], port[16];
	unsigned int flags = MHD_USE_EPOLL;
	int err;

	*why = NULL;
	if (split_listen(listen, host, sizeof(host), port, sizeof(port))) {
		*why = "expected HOST:PORT, [IPV6]:PORT or PORT";
		return -EINVAL;
	}
	err = getaddrinfo(host, port, &hints, &ai);
	if (err) {
		*why = gai_strerror(err);
		return -EINVAL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		freeaddrinfo(ai);
		return -ENOMEM;
	}
	s->page = fn;
	s->ctx = ctx;
	if (ai->ai_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	errno = 0;
	s->mhd = MHD_start_daemon(flags, (uint16_t)atoi(port), NULL, NULL, on_request, s,
				  MHD_OPTION_SOCK_ADDR, ai->ai_addr,
				  MHD_OPTION_CONNECTION_TIMEOUT, 10u,
				  MHD_OPTION_CONNECTION_LIMIT, 64u,
				  MHD_OPTION_END);
	err = errno ? -errno : -EADDRINUSE;
	freeaddrinfo(ai);
	if (!s->mhd) {
		free(s);
		*why = "cannot listen there";
		return err;
	}
	info = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
	s->port = info ? info->port : (unsigned int)atoi(port);
	*out = s;
	return 0;
}

void metrics_srv_stop(struct metrics_srv *s)
{
	if (!s)
		return;
	MHD_stop_daemon(s->mhd);
	free(s);
}

int metrics_srv_fd(const struct metrics_srv *s)
{
	const union MHD_DaemonInfo *info;

	info = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	return info ? info->epoll_fd : -1;
}

void metrics_srv_run(struct metrics_srv *s)
{
	MHD_run(s->mhd);
}

unsigned int metrics_srv_port(const struct metrics_srv *s)
{
	return s->port;
}
