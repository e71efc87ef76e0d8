// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <linux/types.h>
#include <stdint.h>
#include <string.h>
#include "memvigil/events.h"
#include "ingest/consumer.h"

_Static_assert(sizeof(struct mv_event) == 56, "struct mv_event layout changed");
_Static_assert(sizeof(struct mv_map_event) == 64, "struct mv_map_event layout changed");
_Static_assert(sizeof(struct mv_oom_event) == 96, "struct mv_oom_event layout changed");
_Static_assert(sizeof(struct mv_task_sample) == 128, "struct mv_task_sample layout changed");
_Static_assert(sizeof(struct mv_kstat) == 56, "struct mv_kstat layout changed");

static int handle_alloc(struct consumer *c, const struct mv_event *e, size_t size)
{
	const uint64_t *frames = (const void *)(e + 1);
	uint64_t cut[MV_MAX_STACK_DEPTH + 1];
	uint32_t depth = e->stack_depth;

	if (e->stack_depth > MV_MAX_STACK_DEPTH ||
	    size < sizeof(*e) + e->stack_depth * sizeof(uint64_t) ||
	    e->kind >= MV_KIND_CNT || !e->addr)
		return -EINVAL;
	if (e->exit_code & MV_STACK_TRUNCATED) {
		memcpy(cut, frames, depth * sizeof(*cut));
		cut[depth++] = STACKS_TRUNCATED_MARK;
		frames = cut;
	}
	if (model__alloc(c->model, e->pid, e->ts_ns, e->addr, e->size, e->old_addr,
			 e->kind, frames, depth))
		c->model_errors++;
	return 0;
}

/* Remove frames[i] from a stack of depth frames; the new depth. */
static uint32_t drop_frame(uint64_t *frames, uint32_t depth, uint32_t i)
{
	memmove(&frames[i], &frames[i + 1], (depth - i - 1) * sizeof(*frames));
	return depth - 1;
}

/*
 * An mmap's stack is an address in the wrapper (or where the system call
 * was made), the return address into its caller, then the walk; when the
 * wrapper kept a frame the walk repeats that address: keep it once. The
 * kernel's walk may end in the 0 return address of the outermost frame: not
 * a frame. Then the wrapper's own address goes, so that a mapping stack
 * starts at the caller of mmap as a heap stack starts at the caller of malloc.
 */
static uint32_t map_stack_from_caller(uint64_t *frames, uint32_t depth)
{
	while (depth > 1 && frames[depth - 1] == 0)
		depth--;
	if (depth >= 3 && frames[1] == frames[2])
		depth = drop_frame(frames, depth, 1);
	if (depth >= 2 && frames[0] == frames[1])
		depth = drop_frame(frames, depth, 0);
	if (depth >= 2)
		depth = drop_frame(frames, depth, 0);
	return depth;
}

static int handle_map(struct consumer *c, const void *data, size_t size)
{
	uint64_t frames[MV_MAX_STACK_DEPTH + 1];
	struct mv_map_event e;

	if (size < sizeof(e))
		return -EINVAL;
	memcpy(&e, data, sizeof(e));
	if (e.stack_depth > MV_MAX_STACK_DEPTH ||
	    size < sizeof(e) + e.stack_depth * sizeof(uint64_t) ||
	    (e.type != MV_EV_MMAP && e.stack_depth))
		return -EINVAL;
	memcpy(frames, (const char *)data + sizeof(e), e.stack_depth * sizeof(uint64_t));
	e.stack_depth = map_stack_from_caller(frames, e.stack_depth);
	if (e.flags & MV_MAP_STACK_TRUNCATED)
		frames[e.stack_depth++] = STACKS_TRUNCATED_MARK;
	e.flags &= ~MV_MAP_STACK_TRUNCATED;
	if (model__map_event(c->model, &e, frames))
		c->model_errors++;
	return 0;
}

static int handle_oom(struct consumer *c, const void *data, size_t size)
{
	const struct oom_kill *k;
	struct mv_oom_event e;

	if (size < sizeof(e))
		return -EINVAL;
	memcpy(&e, data, sizeof(e));
	e.comm[sizeof(e.comm) - 1] = '\0';
	k = model__oom(c->model, &e);
	if (k && c->on_oom)
		c->on_oom(c->ctx, k);
	return 0;
}

static int handle_free(struct consumer *c, const void *data, size_t size)
{
	struct mv_free_event f;

	if (size < sizeof(f)) {
		c->malformed++;
		return 0;
	}
	memcpy(&f, data, sizeof(f));
	model__free_block(c->model, f.pid, f.addr);
	return 0;
}

int consumer__handle(void *ctx, void *data, size_t size)
{
	struct consumer *c = ctx;
	struct mv_event e;
	uint32_t type;
	int ret = 0;

	if (size < sizeof(type)) {
		c->malformed++;
		return 0;
	}
	memcpy(&type, data, sizeof(type));
	recorder__ring(c->rec, c->model, data, size);
	switch (type) {
	case MV_EV_MMAP:
	case MV_EV_MUNMAP:
	case MV_EV_MREMAP:
	case MV_EV_BRK:
		ret = handle_map(c, data, size);
		goto out;
	case MV_EV_OOM_KILL:
		ret = handle_oom(c, data, size);
		goto out;
	case MV_EV_FREE:
		ret = handle_free(c, data, size);
		goto out;
	default:
		break;
	}
	if (size < sizeof(e)) {
		c->malformed++;
		return 0;
	}
	memcpy(&e, data, sizeof(e));
	switch (e.type) {
	case MV_EV_ALLOC:
		ret = handle_alloc(c, data, size);
		break;
	case MV_EV_EXEC:
		model__exec(c->model, e.pid);
		if (c->on_exec)
			c->on_exec(c->ctx, e.pid, size >= sizeof(e) + sizeof(struct mv_exec_image) ?
				   (const void *)((const char *)data + sizeof(e)) : NULL, e.kind);
		break;
	case MV_EV_ENTRY:
		if (c->on_entry)
			c->on_entry(c->ctx, e.pid, e.kind);
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
	/* what a lifecycle record's callbacks changed of the processes follows it */
	if (e.type != MV_EV_ALLOC)
		recorder__sync(c->rec, c->model);
out:
	if (ret)
		c->malformed++;
	/* A malformed record is counted, never a reason to stop consuming. */
	return 0;
}
