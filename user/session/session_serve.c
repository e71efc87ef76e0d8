// SPDX-License-Identifier: GPL-2.0
/*
 * session_serve: the session's side of --listen: the socket bound and the
 * token read before anything is attached, the server answering from the
 * session's event loop, and each answer built from a report context of
 * that moment (serve/api.h).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "lib/clock.h"
#include "lib/log.h"
#include "serve/api.h"
#include "serve/listen_addr.h"
#include "serve/resolve_memo.h"
#include "session/session_state.h"

int session_serve__open(struct session *s)
{
	struct listen_addr a;
	int fd;

	s->listen_fd = -1;
	if (!s->opts.listen) {
		if (s->opts.listen_token_file)
			log_warn("--listen-token-file has no effect without --listen: no server runs");
		return 0;
	}
	if (listen_addr__parse(s->opts.listen, &a, s->err, sizeof(s->err)) ||
	    (s->opts.listen_token_file &&
	     token_file__read(s->opts.listen_token_file, s->token, sizeof(s->token), s->err,
			      sizeof(s->err)))) {
		log_error("%s", s->err);
		return -EINVAL;
	}
	fd = listen_addr__bind(&a, s->err, sizeof(s->err));
	if (fd < 0) {
		log_error("%s", s->err);
		return fd;
	}
	if (!a.loopback)
		log_warn("--listen=%s is not a loopback address: every host that can reach it can "
			 "read the traced processes' names, stacks and heap%s", a.text,
			 s->token[0] ? "" : " (no --listen-token-file)");
	s->listen_fd = fd;
	snprintf(s->listen_at, sizeof(s->listen_at), "%s", a.text);
	return 0;
}

/* memvigil's resident bytes from /proc/self/statm, NaN if unreadable. */
static double self_rss_bytes(void)
{
	unsigned long size, resident;
	FILE *f = fopen("/proc/self/statm", "re");
	int n;

	if (!f)
		return NAN;
	n = fscanf(f, "%lu %lu", &size, &resident);
	fclose(f);
	return n == 2 ? (double)resident * sysconf(_SC_PAGESIZE) : NAN;
}

/* The server's handler: a report context of now, then the route's answer. */
static void on_request(void *ctx, const struct api_route *r, struct server_reply *out)
{
	struct session *s = ctx;
	uint64_t t0_ns = clock__mono_ns(), cpu0_ns = clock__cpu_ns();
	struct resolve_memo *memo;
	struct final_report fr;
	struct prom_extra x;

	probes__drain(s->probes);
	session__build_report(s, &fr);
	fr.ctx.opts.compact = true;	/* a third of a large report is whitespace */
	memo = resolve_memo__new(fr.ctx.resolve, fr.ctx.resolve_ctx);
	if (memo) {	/* else each frame is resolved as often as it is shown */
		fr.ctx.resolve = resolve_memo__resolve;
		fr.ctx.resolve_ctx = memo;
	}
	x = (struct prom_extra){ .http = server__stats(s->srv), .self_cpu_s = clock__cpu_ns() / 1e9,
				 .self_rss_bytes = self_rss_bytes() };
	api__answer(&fr.ctx, &x, r, out);
	resolve_memo__free(memo);
	log_info("answered %s with %d, %zu bytes, in %.1f ms (%.1f ms of CPU)",
		 api_route__path(r->endpoint), out->status, out->len,
		 (clock__mono_ns() - t0_ns) / 1e6, (clock__cpu_ns() - cpu0_ns) / 1e6);
}

/* The server's fd is readable. */
static int on_http(void *ctx)
{
	session_serve__poll(ctx);
	return 0;
}

int session_serve__start(struct session *s)
{
	struct server_opts so = { .listen_fd = s->listen_fd, .token = s->token[0] ? s->token : NULL,
				  .handler = on_request, .ctx = s };
	int ret;

	if (s->listen_fd < 0)
		return 0;
	s->listen_fd = -1;	/* the server's now, even on failure */
	ret = server__start(&so, &s->srv, s->err, sizeof(s->err));
	if (!ret)
		ret = event_loop__add(s->loop, server__fd(s->srv), on_http, s);
	if (ret) {
		log_error("%s", ret == -EIO || ret == -ENOMEM ? s->err : strerror(-ret));
		return ret;
	}
	log_info("serving http://%s/ (/metrics, /debug/pprof/heap, /api/v1/...)", s->listen_at);
	return 0;
}

void session_serve__poll(struct session *s)
{
	if (s->srv && server__run(s->srv))
		log_warn("the HTTP server failed to run a turn");
}

void session_serve__free(struct session *s)
{
	server__free(s->srv);
	s->srv = NULL;
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	s->listen_fd = -1;
}
