// SPDX-License-Identifier: GPL-2.0
/*
 * The HTTP server on a loopback port, driven from a thread as the session's
 * loop drives it: answers not yet read count against the pending limit, and
 * past it new requests get 503 until the slow reader goes.
 */
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "serve/listen_addr.h"
#include "serve/server.h"

#define BIG_BODY (8u << 20)

struct fixture_srv {
	struct server *srv;
	int port;
	atomic_bool stop;
	pthread_t thread;
};

static void big_handler(void *ctx, const struct api_route *r, struct server_reply *out)
{
	(void)ctx;
	out->len = r->endpoint == API_DASHBOARD ? BIG_BODY : 3;
	out->body = malloc(out->len);
	cr_assert_not_null(out->body);
	memset(out->body, 'x', out->len);
	out->type = "text/plain";
	out->status = 200;
}

static void *serve_loop(void *arg)
{
	struct fixture_srv *f = arg;
	struct pollfd pfd = { .fd = server__fd(f->srv), .events = POLLIN };

	while (!atomic_load(&f->stop)) {
		poll(&pfd, 1, 10);
		server__run(f->srv);
	}
	return NULL;
}

static void start(struct fixture_srv *f, size_t pending_max)
{
	struct listen_addr a;
	socklen_t len = sizeof(a.ss);
	char err[256];
	int fd;

	cr_assert_eq(listen_addr__parse("127.0.0.1:1", &a, err, sizeof(err)), 0);
	((struct sockaddr_in *)&a.ss)->sin_port = 0;
	fd = listen_addr__bind(&a, err, sizeof(err));
	cr_assert_geq(fd, 0, "%s", err);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&a.ss, &len), 0);
	f->port = ntohs(((struct sockaddr_in *)&a.ss)->sin_port);
	struct server_opts o = { .listen_fd = fd, .handler = big_handler,
				 .pending_max = pending_max };
	cr_assert_eq(server__start(&o, &f->srv, err, sizeof(err)), 0, "%s", err);
	atomic_store(&f->stop, false);
	cr_assert_eq(pthread_create(&f->thread, NULL, serve_loop, f), 0);
}

static void stop(struct fixture_srv *f)
{
	atomic_store(&f->stop, true);
	pthread_join(f->thread, NULL);
	server__free(f->srv);
}

/* A connection that sent GET path; rcvbuf small: a client that reads slowly. */
static int request(int port, const char *path, int rcvbuf)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	char req[128];
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	cr_assert_geq(fd, 0);
	if (rcvbuf)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	cr_assert_eq(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path);
	cr_assert_eq(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	return fd;
}

/* The first bytes of the answer on fd (waits up to 10 s). */
static void answer_head(int fd, char *buf, size_t size)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t n;

	cr_assert_eq(poll(&pfd, 1, 10000), 1, "no answer within 10 s");
	n = read(fd, buf, size - 1);
	cr_assert_gt(n, 0);
	buf[n] = '\0';
}

Test(server, a_slow_reader_of_a_large_answer_makes_new_requests_wait_with_503)
{
	struct fixture_srv f;
	char head[512];
	int slow, fd;

	start(&f, 1u << 20);
	slow = request(f.port, "/", 4096);
	answer_head(slow, head, 256);	/* its answer began: 8 MiB wait for a reader */
	cr_assert(strstr(head, "HTTP/1.1 200"), "%s", head);
	fd = request(f.port, "/healthz", 0);
	answer_head(fd, head, sizeof(head));
	cr_assert(strstr(head, "HTTP/1.1 503") && strstr(head, "Retry-After: 1"), "%s", head);
	close(fd);
	close(slow);		/* its answer is dropped, its memory freed */
	for (int tries = 0; tries < 100; tries++) {	/* once the server saw the close */
		fd = request(f.port, "/healthz", 0);
		answer_head(fd, head, sizeof(head));
		close(fd);
		if (!strstr(head, "HTTP/1.1 503"))
			break;
		usleep(100 * 1000);
	}
	cr_assert(strstr(head, "HTTP/1.1 200"), "%s", head);
	stop(&f);
}

Test(server, answers_read_in_full_leave_nothing_pending)
{
	struct fixture_srv f;
	char head[512];
	int fd;

	start(&f, 0);
	for (int i = 0; i < 3; i++) {
		fd = request(f.port, "/healthz", 0);
		answer_head(fd, head, sizeof(head));
		cr_assert(strstr(head, "HTTP/1.1 200") && strstr(head, "\r\n\r\nxxx"), "%s", head);
		close(fd);
	}
	atomic_store(&f.stop, true);
	pthread_join(f.thread, NULL);
	cr_assert_eq(server__stats(f.srv)->pending_bytes, 0);
	cr_assert_eq(server__stats(f.srv)->requests, 3);
	server__free(f.srv);
}
