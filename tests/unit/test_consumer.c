// SPDX-License-Identifier: GPL-2.0
#include <criterion/criterion.h>
#include <string.h>
#include "memvigil/events.h"
#include "ingest/consumer.h"

struct rec {
	struct mv_event e;
	uint64_t frames[MV_MAX_STACK_DEPTH];
};

static struct consumer make(void)
{
	return (struct consumer){ .model = model__new(0) };
}

Test(consumer, alloc_record_with_stack_reaches_the_model)
{
	struct consumer c = make();
	struct rec r = { .e = { .type = MV_EV_ALLOC, .pid = 9, .kind = MV_KIND_CALLOC,
				.stack_depth = 2, .addr = 0x5000, .size = 48 } };
	const uint64_t *f;
	uint32_t depth;

	r.frames[0] = 0xaaa;
	r.frames[1] = 0xbbb;
	cr_assert_eq(consumer__handle(&c, &r, sizeof(r.e) + 16), 0);
	cr_assert_eq(c.malformed, 0);
	cr_assert_eq(model__find(c.model, 9)->heap.outstanding_bytes, 48);
	f = stacks__frames(c.model->stacks, model__find(c.model, 9)->sites[0].stack_id, &depth);
	cr_assert_eq(depth, 2);
	cr_assert_eq(f[1], 0xbbb);
	model__free(c.model);
}

Test(consumer, truncated_or_unknown_records_are_counted_as_malformed)
{
	struct consumer c = make();
	struct rec r = { .e = { .type = MV_EV_ALLOC, .pid = 9, .stack_depth = 5, .addr = 1 } };

	consumer__handle(&c, &r, sizeof(r.e) + 16);	/* says 5 frames, carries 2 */
	consumer__handle(&c, &r, 10);			/* shorter than the header */
	r.e.type = 77;
	consumer__handle(&c, &r, sizeof(r));
	r.e.type = MV_EV_ALLOC;
	r.e.stack_depth = 0;
	r.e.kind = MV_KIND_CNT;
	consumer__handle(&c, &r, sizeof(r));
	cr_assert_eq(c.malformed, 4);
	cr_assert_null(model__find(c.model, 9));
	model__free(c.model);
}

static int exits_seen, exit_status_seen;

static void count_exit(void *ctx, pid_t pid, int status)
{
	(void)ctx;
	(void)pid;
	exits_seen++;
	exit_status_seen = status;
}

Test(consumer, exit_record_marks_the_process_and_calls_the_hook)
{
	struct consumer c = make();
	struct mv_event e = { .type = MV_EV_EXIT, .pid = 3, .exit_code = 9 };

	c.on_exit = count_exit;
	consumer__handle(&c, &e, sizeof(e));
	cr_assert_eq(exits_seen, 1);
	cr_assert_eq(exit_status_seen, 9);
	cr_assert(model__find(c.model, 3)->exited);
	model__free(c.model);
}

Test(consumer, free_record_removes_the_block)
{
	struct consumer c = make();
	struct rec r = { .e = { .type = MV_EV_ALLOC, .pid = 1, .addr = 0x10, .size = 5 } };
	struct mv_free_event f = { .type = MV_EV_FREE, .pid = 1, .addr = 0x10 };

	consumer__handle(&c, &r, sizeof(r.e));
	consumer__handle(&c, &f, sizeof(f));
	cr_assert_eq(sizeof(f), 16);
	cr_assert_eq(model__find(c.model, 1)->heap.outstanding_allocs, 0);
	cr_assert_eq(model__find(c.model, 1)->heap.total_frees, 1);
	cr_assert_eq(c.malformed, 0);
	model__free(c.model);
}

Test(consumer, short_free_record_is_counted_as_malformed)
{
	struct consumer c = make();
	struct rec r = { .e = { .type = MV_EV_ALLOC, .pid = 1, .addr = 0x10, .size = 5 } };
	struct mv_free_event f = { .type = MV_EV_FREE, .pid = 1, .addr = 0x10 };

	consumer__handle(&c, &r, sizeof(r.e));
	consumer__handle(&c, &f, sizeof(f) - 1);
	cr_assert_eq(c.malformed, 1);
	cr_assert_eq(model__find(c.model, 1)->heap.outstanding_allocs, 1);
	model__free(c.model);
}

static pid_t hook_pid;
static uint32_t hook_flags;
static const struct mv_exec_image *hook_img;

static void note_exec(void *ctx, pid_t pid, const struct mv_exec_image *img, uint32_t flags)
{
	(void)ctx;
	hook_pid = pid;
	hook_img = img;
	hook_flags = flags;
}

static void note_entry(void *ctx, pid_t pid, uint32_t flags)
{
	(void)ctx;
	hook_pid = pid;
	hook_flags = flags | 0x100;
}

Test(consumer, exec_and_entry_records_pass_on_whether_the_process_is_held)
{
	struct consumer c = make();
	struct {
		struct mv_event e;
		struct mv_exec_image img;
	} x = { .e = { .type = MV_EV_EXEC, .pid = 12, .kind = MV_PROC_HELD },
		.img = { .ino = 77 } };
	struct mv_event e = { .type = MV_EV_ENTRY, .pid = 13, .addr = 0x1040 };

	c.on_exec = note_exec;
	c.on_entry = note_entry;
	consumer__handle(&c, &x, sizeof(x));
	cr_assert_eq(hook_pid, 12);
	cr_assert_eq(hook_flags, MV_PROC_HELD);
	cr_assert_eq(hook_img->ino, 77);
	consumer__handle(&c, &e, sizeof(e));
	cr_assert_eq(hook_pid, 13);
	cr_assert_eq(hook_flags, 0x100, "an entry record without MV_PROC_HELD is not held");
	cr_assert_eq(c.malformed, 0);
	model__free(c.model);
}

Test(consumer, a_stack_the_kernel_cut_short_is_marked_and_kept_apart_from_the_whole_one)
{
	struct consumer c = make();
	struct rec r = { .e = { .type = MV_EV_ALLOC, .pid = 9, .kind = MV_KIND_MALLOC,
				.stack_depth = 2, .addr = 0x5000, .size = 48 } };
	const struct proc *p;
	const uint64_t *f;
	uint32_t depth;

	r.frames[0] = 0xaaa;
	r.frames[1] = 0xbbb;
	cr_assert_eq(consumer__handle(&c, &r, sizeof(r.e) + 16), 0);
	r.e.exit_code = MV_STACK_TRUNCATED;
	r.e.addr = 0x6000;
	cr_assert_eq(consumer__handle(&c, &r, sizeof(r.e) + 16), 0);
	p = model__find(c.model, 9);
	cr_assert_eq(p->site_cnt, 2, "cut and whole stacks share a site");
	cr_assert(!stacks__truncated(c.model->stacks, p->sites[0].stack_id));
	cr_assert(stacks__truncated(c.model->stacks, p->sites[1].stack_id));
	f = stacks__frames(c.model->stacks, p->sites[1].stack_id, &depth);
	cr_assert_eq(depth, 2, "the mark is not a frame: depth %u", depth);
	cr_assert_eq(f[1], 0xbbb);
	model__free(c.model);
}
