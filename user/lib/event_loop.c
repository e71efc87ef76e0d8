// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>
#include "lib/event_loop.h"

#define MAX_SOURCES 16

struct event_source {
	event_loop_fn fn;
	void *ctx;
};

struct event_loop {
	int epfd;
	struct event_source sources[MAX_SOURCES];
	int cnt;
};

struct event_loop *event_loop__new(void)
{
	struct event_loop *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		free(l);
		return NULL;
	}
	return l;
}

void event_loop__free(struct event_loop *l)
{
	if (!l)
		return;
	close(l->epfd);
	free(l);
}

int event_loop__add(struct event_loop *l, int fd, event_loop_fn fn, void *ctx)
{
	struct epoll_event ev = { .events = EPOLLIN };

	if (l->cnt == MAX_SOURCES)
		return -ENOSPC;
	ev.data.u32 = l->cnt;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev))
		return -errno;
	l->sources[l->cnt++] = (struct event_source){ .fn = fn, .ctx = ctx };
	return 0;
}

int event_loop__wait(struct event_loop *l, int timeout_ms)
{
	struct epoll_event evs[MAX_SOURCES];
	int n, i, ret;

	n = epoll_wait(l->epfd, evs, MAX_SOURCES, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (i = 0; i < n; i++) {
		const struct event_source *src = &l->sources[evs[i].data.u32];

		ret = src->fn(src->ctx);
		if (ret)
			return ret;
	}
	return 0;
}
