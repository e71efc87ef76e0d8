// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <linux/types.h>
#include <stdint.h>
#include <string.h>
#include "memvigil/events.h"
#include "consumer.h"

_Static_assert(sizeof(struct mv_event) == 56, "struct mv_event layout changed");

static int handle_alloc(struct consumer *c, const struct mv_event *e, size_t size)
{
	const uint64_t *frames = (const void *)(e + 1);

	if (e->stack_depth > MV_MAX_STACK_DEPTH ||
	    size < sizeof(*e) + e->stack_depth * sizeof(uint64_t) ||
	    e->kind >= MV_KIND_CNT || !e->addr)
		return -EINVAL;
	if (model__alloc(c->model, e->pid, e->ts_ns, e->addr, e->size, e->old_addr,
			 e->kind, frames, e->stack_depth))
		c->model_errors++;
	return 0;
}

int consumer__handle(void *ctx, void *data, size_t size)
{
	struct consumer *c = ctx;
	struct mv_event e;
	int ret = 0;

	if (size < sizeof(e)) {
		c->malformed++;
		return 0;
	}
	memcpy(&e, data, sizeof(e));
	switch (e.type) {
	case MV_EV_ALLOC:
		ret = handle_alloc(c, data, size);
		break;
	case MV_EV_FREE:
		model__free_block(c->model, e.pid, e.addr);
		break;
	case MV_EV_EXEC:
		model__exec(c->model, e.pid);
		if (c->on_exec)
			c->on_exec(c->ctx, e.pid);
		break;
	case MV_EV_EXIT:
		model__exit(c->model, e.pid, (int)e.exit_code);
		if (c->on_exit)
			c->on_exit(c->ctx, e.pid, (int)e.exit_code);
		break;
	case MV_EV_FORK:
		if (!e.pid || !e.addr || e.addr > INT32_MAX) {
			ret = -EINVAL;
			break;
		}
		c->model->events++;
		if (c->on_fork)
			c->on_fork(c->ctx, (pid_t)e.addr, e.pid, e.ts_ns);
		break;
	default:
		ret = -EINVAL;
	}
	if (ret)
		c->malformed++;
	/* A malformed record is counted, never a reason to stop consuming. */
	return 0;
}
