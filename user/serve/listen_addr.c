// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "lib/number.h"
#include "serve/listen_addr.h"

#define LISTEN_BACKLOG 64
#define EXPECT "expected [ADDR:]PORT, e.g. --listen=9090 or --listen=127.0.0.1:9090"

/* A port 1..65535 in decimal; -1 otherwise. */
static int parse_port(const char *s)
{
	unsigned long v;

	return number__parse_uint(s, 65535, &v) || v < 1 ? -1 : (int)v;
}

static int bad(char *err, size_t err_len, const char *text, const char *why)
{
	snprintf(err, err_len, "bad --listen '%.64s': %s", text, why);
	return -EINVAL;
}

/* An IPv4 address (host part, len bytes) into a. */
static int parse_v4(const char *host, size_t len, int port, struct listen_addr *a)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&a->ss;
	char buf[INET_ADDRSTRLEN];

	if (len >= sizeof(buf))
		return -1;
	memcpy(buf, host, len);
	buf[len] = '\0';
	if (inet_pton(AF_INET, buf, &sin->sin_addr) != 1)
		return -1;
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	a->len = sizeof(*sin);
	a->loopback = (ntohl(sin->sin_addr.s_addr) >> 24) == 127;
	snprintf(a->text, sizeof(a->text), "%s:%d", buf, port);
	return 0;
}

/* An IPv6 address inside brackets (host without them, len bytes) into a. */
static int parse_v6(const char *host, size_t len, int port, struct listen_addr *a)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&a->ss;
	char buf[INET6_ADDRSTRLEN];

	if (len >= sizeof(buf))
		return -1;
	memcpy(buf, host, len);
	buf[len] = '\0';
	if (inet_pton(AF_INET6, buf, &sin6->sin6_addr) != 1)
		return -1;
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(port);
	a->len = sizeof(*sin6);
	a->loopback = IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr);
	snprintf(a->text, sizeof(a->text), "[%s]:%d", buf, port);
	return 0;
}

int listen_addr__parse(const char *text, struct listen_addr *out, char *err, size_t err_len)
{
	const char *colon = strrchr(text, ':');
	int port = parse_port(colon ? colon + 1 : text);
	size_t hlen;
	int ret;

	memset(out, 0, sizeof(*out));
	if (port < 0)
		return bad(err, err_len, text, "the port must be a number from 1 to 65535; " EXPECT);
	if (!colon)
		return parse_v4("127.0.0.1", strlen("127.0.0.1"), port, out);
	hlen = colon - text;
	if (hlen >= 2 && text[0] == '[' && text[hlen - 1] == ']')
		ret = parse_v6(text + 1, hlen - 2, port, out);
	else
		ret = parse_v4(text, hlen, port, out);
	if (ret)
		return bad(err, err_len, text, "ADDR must be an IPv4 address or a bracketed IPv6 "
			   "one; " EXPECT);
	return 0;
}

int listen_addr__bind(const struct listen_addr *a, char *err, size_t err_len)
{
	int one = 1, fd, ret;

	fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, err_len, "cannot create a socket for --listen=%s: %s", a->text,
			 strerror(-ret));
		return ret;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (a->ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)&a->ss, a->len) || listen(fd, LISTEN_BACKLOG)) {
		ret = -errno;
		close(fd);
		snprintf(err, err_len, "cannot listen on %s: %s%s", a->text, strerror(-ret),
			 ret == -EADDRINUSE ? "; pick another port with --listen" :
			 ret == -EADDRNOTAVAIL ? "; give an address of this host" : "");
		return ret;
	}
	return fd;
}
