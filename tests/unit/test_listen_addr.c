// SPDX-License-Identifier: GPL-2.0
/* --listen=[ADDR:]PORT: loopback by default, IPv4 or bracketed IPv6, clear errors. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include "serve/listen_addr.h"

Test(listen_addr, a_port_alone_listens_on_loopback)
{
	struct listen_addr a;
	char err[256];

	cr_assert_eq(listen_addr__parse("9090", &a, err, sizeof(err)), 0);
	cr_assert(a.loopback);
	cr_assert_str_eq(a.text, "127.0.0.1:9090");
	cr_assert_eq(a.ss.ss_family, AF_INET);
	cr_assert_eq(ntohs(((struct sockaddr_in *)&a.ss)->sin_port), 9090);
}

Test(listen_addr, an_address_is_taken_and_judged_loopback_or_not)
{
	struct listen_addr a;
	char err[256];

	cr_assert_eq(listen_addr__parse("0.0.0.0:80", &a, err, sizeof(err)), 0);
	cr_assert_not(a.loopback);
	cr_assert_eq(listen_addr__parse("127.0.0.2:80", &a, err, sizeof(err)), 0);
	cr_assert(a.loopback);
	cr_assert_eq(listen_addr__parse("[::1]:9090", &a, err, sizeof(err)), 0);
	cr_assert(a.loopback);
	cr_assert_eq(a.ss.ss_family, AF_INET6);
	cr_assert_str_eq(a.text, "[::1]:9090");
	cr_assert_eq(listen_addr__parse("[::]:9090", &a, err, sizeof(err)), 0);
	cr_assert_not(a.loopback);
}

Test(listen_addr, bad_ports_and_addresses_say_what_is_expected)
{
	const char *bad[] = { "", "0", "65536", "-1", "90x", "x:90", "localhost:9090",
			      "::1:9090", "[::1]", "[127.0.0.1]:90", "1.2.3:90", ":", "127.0.0.1:" };
	struct listen_addr a;
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		cr_assert_eq(listen_addr__parse(bad[i], &a, err, sizeof(err)), -EINVAL, "%s", bad[i]);
		cr_assert(strstr(err, "bad --listen") && strstr(err, "expected [ADDR:]PORT"), "%s", err);
	}
}

Test(listen_addr, a_port_in_use_is_one_clear_line)
{
	struct listen_addr a;
	char err[256];
	int fd, fd2;

	cr_assert_eq(listen_addr__parse("127.0.0.1:1", &a, err, sizeof(err)), 0);
	((struct sockaddr_in *)&a.ss)->sin_port = 0;	/* any free port */
	fd = listen_addr__bind(&a, err, sizeof(err));
	cr_assert_geq(fd, 0, "%s", err);
	socklen_t len = a.len;
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&a.ss, &len), 0);
	fd2 = listen_addr__bind(&a, err, sizeof(err));
	cr_assert_eq(fd2, -EADDRINUSE);
	cr_assert(strstr(err, "cannot listen on") && strstr(err, "pick another port"), "%s", err);
	close(fd);
}
