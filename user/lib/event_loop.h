/* SPDX-License-Identifier: GPL-2.0 */
/*
 * event_loop: one epoll set of file descriptors, each with the callback to
 * run when it is readable. The session's loop waits here on the ring
 * buffer's fd; more sources (a server's sockets) join with one call.
 */
#ifndef MV_EVENT_LOOP_H
#define MV_EVENT_LOOP_H

/* fd became readable; 0, or a negative errno that event_loop__wait returns. */
typedef int (*event_loop_fn)(void *ctx);

struct event_loop;

struct event_loop *event_loop__new(void);
void event_loop__free(struct event_loop *l);

/* Watch fd for input; fn(ctx) runs when it is readable. 0 or a negative errno. */
int event_loop__add(struct event_loop *l, int fd, event_loop_fn fn, void *ctx);

/*
 * Wait up to timeout_ms for readable fds and run their callbacks. Returns 0
 * (also on a timeout or a signal), or the first negative errno of epoll or of
 * a callback.
 */
int event_loop__wait(struct event_loop *l, int timeout_ms);

#endif
