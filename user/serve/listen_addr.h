/* SPDX-License-Identifier: GPL-2.0 */
/*
 * listen_addr: --listen=[ADDR:]PORT as a socket address, and the listening
 * socket bound to it. ADDR is an IPv4 address or a bracketed IPv6 one
 * ([::1]); without it the server listens on 127.0.0.1 only.
 */
#ifndef MV_LISTEN_ADDR_H
#define MV_LISTEN_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

struct listen_addr {
	struct sockaddr_storage ss;
	socklen_t len;
	bool loopback;		/* 127.0.0.0/8 or ::1 */
	char text[64];		/* as given, normalised: "127.0.0.1:9090", "[::1]:9090" */
};

/* Parse text; 0, or -EINVAL with one line in err. Pure. */
int listen_addr__parse(const char *text, struct listen_addr *out, char *err, size_t err_len);

/*
 * A non-blocking listening socket bound to a (close-on-exec). The fd, or a
 * negative errno with one line in err (port in use, address not here).
 */
int listen_addr__bind(const struct listen_addr *a, char *err, size_t err_len);

#endif
