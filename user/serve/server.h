/* SPDX-License-Identifier: GPL-2.0 */
/*
 * server: the live HTTP server (--listen) on libmicrohttpd, driven from
 * memvigil's own event loop: libmicrohttpd runs in its external epoll mode,
 * server__fd() joins the session's event loop and server__run() answers
 * what is ready, on the session's thread, between batches of ring-buffer
 * records. A request is therefore never answered while the model changes.
 *
 * Read-only: GET and HEAD, else 405. With a token, every request but the
 * dashboard's page (which holds no data) needs "Authorization: Bearer
 * TOKEN", else 401. Limits: SERVER_CONN_MAX
 * connections at once, SERVER_REQUEST_BYTES for a request's line and
 * headers (more: 414 or 431), SERVER_IDLE_S seconds of silence on a
 * connection before it is closed (a connection over the limit waits in the
 * listen backlog). A request is answered once it is wholly in, so
 * connections are kept alive; a request with a body is a 400, and one whose
 * body exceeds SERVER_REQUEST_BYTES is dropped. Errors carry a JSON body
 * {"error": "...", "status": N}.
 */
#ifndef MV_SERVER_H
#define MV_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include "serve/api_route.h"

#define SERVER_CONN_MAX 32
#define SERVER_REQUEST_BYTES (32 * 1024)
#define SERVER_IDLE_S 10

/* What a handler answers: body is malloc'ed and handed to the server. */
struct server_reply {
	int status;
	const char *type;		/* Content-Type */
	const char *encoding;		/* Content-Encoding, NULL if none */
	char *body;
	size_t len;
};

/* Fill out for the request r (r->status is 200); out->status 0 means 500. */
typedef void (*server_handler_fn)(void *ctx, const struct api_route *r, struct server_reply *out);

struct server_opts {
	int listen_fd;			/* listen_addr__bind's; the server owns it from now */
	const char *token;		/* NULL: no Authorization needed */
	server_handler_fn handler;
	void *ctx;
};

/* Counters of what the server answered (the /metrics self-figures). */
struct server_stats {
	uint64_t requests;		/* every answered request */
	uint64_t rejected;		/* 4xx answers */
	uint64_t unauthorized;		/* 401 answers */
};

struct server;

/* Start serving; 0 or a negative errno with one line in err. */
int server__start(const struct server_opts *o, struct server **out, char *err, size_t err_len);
void server__free(struct server *srv);

/* The fd that becomes readable when the server has work. */
int server__fd(const struct server *srv);

/* Answer what is ready, close idle connections; 0 or -EIO. */
int server__run(struct server *srv);

const struct server_stats *server__stats(const struct server *srv);

/* An error reply: status and a JSON body {"error": why, "status": status}. */
void server_reply__error(struct server_reply *out, int status, const char *why);

#endif
