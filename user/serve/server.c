// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdbool.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "lib/json_writer.h"
#include "serve/server.h"
#include "serve/token_file.h"

#define TYPE_JSON "application/json"

struct server {
	struct MHD_Daemon *d;
	int epoll_fd;
	char *token;
	server_handler_fn handler;
	void *ctx;
	struct server_stats stats;
};

/* One request's parsed target, made from the raw URI before the handler runs. */
struct request {
	struct api_route route;
	bool headers_seen;	/* the handler's first call (headers in) is past */
	size_t body_bytes;	/* of a body, which no endpoint takes */
};

void server_reply__error(struct server_reply *out, int status, const char *why)
{
	struct json_writer *w;
	FILE *f;

	free(out->body);
	*out = (struct server_reply){ .status = status, .type = TYPE_JSON };
	f = open_memstream(&out->body, &out->len);
	if (!f)
		return;
	w = json_writer__new(f, false);
	if (w) {
		json_object_begin(w);
		json_string_field(w, "error", why);
		json_i64_field(w, "status", status);
		json_object_end(w);
		json_writer__finish(w);
		json_writer__free(w);
	}
	fputc('\n', f);
	fclose(f);
}

/* MHD's URI log callback: the raw request target, parsed once per request. */
static void *server__on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct request *req = calloc(1, sizeof(*req));

	(void)cls;
	(void)c;
	if (req)
		api_route__parse(uri, &req->route);
	return req;
}

static void server__on_done(void *cls, struct MHD_Connection *c, void **con_cls,
			    enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)c;
	(void)toe;
	free(*con_cls);
	*con_cls = NULL;
}

/* Queue reply on c; the body passes to MHD. */
static enum MHD_Result server__send(struct server *srv, struct MHD_Connection *c,
				    struct server_reply *reply)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	if (!reply->status)
		server_reply__error(reply, 500, "the reply could not be made (out of memory?)");
	resp = MHD_create_response_from_buffer(reply->len, reply->body, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(reply->body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, reply->type);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	if (reply->encoding)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_ENCODING, reply->encoding);
	if (reply->status == 405)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	if (reply->status == 401)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
					"Bearer realm=\"memvigil\"");
	srv->stats.requests++;
	if (reply->status >= 400 && reply->status < 500)
		srv->stats.rejected++;
	if (reply->status == 401)
		srv->stats.unauthorized++;
	ret = MHD_queue_response(c, reply->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* Method, token and target checked in that order; the handler answers the rest. */
static enum MHD_Result server__on_request(void *cls, struct MHD_Connection *c, const char *url,
					  const char *method, const char *version,
					  const char *upload, size_t *upload_size, void **con_cls)
{
	struct server *srv = cls;
	struct request *req = *con_cls;
	struct server_reply reply = { 0 };

	(void)url;
	(void)version;
	(void)upload;
	if (req && !req->headers_seen) {
		req->headers_seen = true;	/* answer once the whole request is in: keep-alive */
		return MHD_YES;
	}
	if (req && *upload_size) {
		req->body_bytes += *upload_size;
		*upload_size = 0;
		return req->body_bytes <= SERVER_REQUEST_BYTES ? MHD_YES : MHD_NO;
	}
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		server_reply__error(&reply, 405, "method not allowed: this server is read-only "
				    "(GET and HEAD)");
	else if (srv->token && !(req && req->route.endpoint == API_DASHBOARD) &&
		 !token_file__matches(srv->token, MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						MHD_HTTP_HEADER_AUTHORIZATION)))
		server_reply__error(&reply, 401, "missing or wrong bearer token: send "
				    "'Authorization: Bearer TOKEN' with --listen-token-file's token");
	else if (!req)
		server_reply__error(&reply, 500, "out of memory");
	else if (req->body_bytes)
		server_reply__error(&reply, 400, "a request to this server carries no body");
	else if (req->route.status != 200)
		server_reply__error(&reply, req->route.status, req->route.why);
	else
		srv->handler(srv->ctx, &req->route, &reply);
	return server__send(srv, c, &reply);
}

int server__start(const struct server_opts *o, struct server **out, char *err, size_t err_len)
{
	struct server *srv = calloc(1, sizeof(*srv));
	const union MHD_DaemonInfo *info;

	if (!srv || (o->token && !(srv->token = strdup(o->token)))) {
		free(srv);
		close(o->listen_fd);
		snprintf(err, err_len, "out of memory");
		return -ENOMEM;
	}
	srv->handler = o->handler;
	srv->ctx = o->ctx;
	srv->d = MHD_start_daemon(MHD_USE_EPOLL, 0, NULL, NULL, server__on_request, srv,
				  MHD_OPTION_LISTEN_SOCKET, o->listen_fd,
				  MHD_OPTION_CONNECTION_LIMIT, (unsigned int)SERVER_CONN_MAX,
				  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)SERVER_IDLE_S,
				  MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)SERVER_REQUEST_BYTES,
				  MHD_OPTION_URI_LOG_CALLBACK, server__on_uri, NULL,
				  MHD_OPTION_NOTIFY_COMPLETED, server__on_done, NULL,
				  MHD_OPTION_END);
	info = srv->d ? MHD_get_daemon_info(srv->d, MHD_DAEMON_INFO_EPOLL_FD) : NULL;
	if (!info) {
		snprintf(err, err_len, "cannot start the HTTP server (libmicrohttpd)");
		if (!srv->d)
			close(o->listen_fd);
		server__free(srv);
		return -EIO;
	}
	srv->epoll_fd = info->epoll_fd;
	*out = srv;
	return 0;
}

void server__free(struct server *srv)
{
	if (!srv)
		return;
	if (srv->d)
		MHD_stop_daemon(srv->d);
	free(srv->token);
	free(srv);
}

int server__fd(const struct server *srv)
{
	return srv->epoll_fd;
}

int server__run(struct server *srv)
{
	return MHD_run(srv->d) == MHD_YES ? 0 : -EIO;
}

const struct server_stats *server__stats(const struct server *srv)
{
	return &srv->stats;
}
