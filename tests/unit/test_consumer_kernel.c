// SPDX-License-Identifier: GPL-2.0
#include <criterion/criterion.h>
#include <string.h>
#include "memvigil/events.h"
#include "ingest/consumer.h"

struct map_rec {
	struct mv_map_event e;
	uint64_t frames[MV_MAX_STACK_DEPTH];
};

static struct consumer make(void)
{
	return (struct consumer){ .model = model__new(0) };
}

static struct map_rec mmap_rec(uint64_t addr, uint64_t len, uint32_t flags)
{
	return (struct map_rec){ .e = { .type = MV_EV_MMAP, .pid = 7, .tid = 7, .flags = flags,
					.addr = addr, .len = len } };
}

Test(consumer_kernel, mmap_then_munmap_records_change_the_mapping_set)
{
	struct consumer c = make();
	struct map_rec r = mmap_rec(0x10000, 8192, 0);
	struct mv_map_event un = { .type = MV_EV_MUNMAP, .pid = 7, .addr = 0x10000, .len = 4096 };
	struct mapping_totals t;

	cr_assert_eq(consumer__handle(&c, &r, sizeof(r.e)), 0);
	cr_assert_eq(consumer__handle(&c, &un, sizeof(un)), 0);
	mappings__totals(&model__find(c.model, 7)->kernel.maps, &t);
	cr_assert_eq(t.anon_bytes, 4096);
	cr_assert_eq(c.malformed, 0);
	model__free(c.model);
}

Test(consumer_kernel, an_mmap_stack_starts_at_the_wrappers_caller_kept_once)
{
	struct consumer c = make();
	struct map_rec r = mmap_rec(0x10000, 4096, MV_MAP_FILE);
	const uint64_t *f;
	uint32_t depth;

	/* ip in the wrapper, the return address at the stack pointer, then the walk */
	r.e.stack_depth = 4;
	r.frames[0] = 0x7f00;
	r.frames[1] = 0x401234;
	r.frames[2] = 0x401234;		/* the wrapper kept a frame: the walk has it too */
	r.frames[3] = 0x402000;
	cr_assert_eq(consumer__handle(&c, &r, sizeof(r.e) + 4 * 8), 0);
	f = stacks__frames(c.model->stacks, model__find(c.model, 7)->kernel.maps.ranges[0].stack_id,
			   &depth);
	cr_assert_eq(depth, 2, "depth %u", depth);
	cr_assert_eq(f[0], 0x401234);
	cr_assert_eq(f[1], 0x402000);
	model__free(c.model);
}

Test(consumer_kernel, an_mmap_stack_ending_in_a_zero_return_address_drops_it)
{
	struct consumer c = make();
	struct map_rec r = mmap_rec(0x10000, 4096, 0);
	const uint64_t *f;
	uint32_t depth;

	r.e.stack_depth = 4;
	r.frames[0] = 0x7f00;
	r.frames[1] = 0x401234;
	r.frames[2] = 0x402000;
	r.frames[3] = 0;		/* the outermost frame's saved return address */
	cr_assert_eq(consumer__handle(&c, &r, sizeof(r.e) + 4 * 8), 0);
	f = stacks__frames(c.model->stacks, model__find(c.model, 7)->kernel.maps.ranges[0].stack_id,
			   &depth);
	cr_assert_eq(depth, 2, "depth %u", depth);
	cr_assert_eq(f[0], 0x401234);
	cr_assert_eq(f[1], 0x402000);
	model__free(c.model);
}

Test(consumer_kernel, truncated_map_and_oom_records_are_malformed)
{
	struct consumer c = make();
	struct map_rec r = mmap_rec(0x10000, 4096, 0);
	struct mv_oom_event o = { .type = MV_EV_OOM_KILL, .pid = 7 };
	struct mv_map_event un = { .type = MV_EV_MUNMAP, .pid = 7, .stack_depth = 1 };

	r.e.stack_depth = 3;
	consumer__handle(&c, &r, sizeof(r.e) + 8);	/* says 3 frames, has 1 */
	consumer__handle(&c, &o, sizeof(o) - 1);
	consumer__handle(&c, &un, sizeof(un) + 8);	/* only an mmap carries a stack */
	cr_assert_eq(c.malformed, 3);
	model__free(c.model);
}

static int oom_calls;

static void on_oom(void *ctx, const struct oom_kill *k)
{
	(void)ctx;
	(void)k;
	oom_calls++;
}

Test(consumer_kernel, oom_kill_of_a_traced_process_keeps_its_top_heap_stacks)
{
	struct consumer c = make();
	struct mv_oom_event o = { .type = MV_EV_OOM_KILL, .pid = 7, .ts_ns = 5 };
	static const uint64_t stack[] = { 0x401000 };
	const struct oom_kill *k;

	c.on_oom = on_oom;
	oom_calls = 0;
	cr_assert_eq(model__alloc(c.model, 7, 1, 0x5000, 4096, 0, MV_KIND_MALLOC, stack, 1), 0);
	cr_assert_eq(model__alloc(c.model, 7, 1, 0x9000, 100, 0, MV_KIND_CALLOC, stack, 1), 0);
	cr_assert_eq(consumer__handle(&c, &o, sizeof(o)), 0);
	cr_assert_eq(oom_calls, 1);
	cr_assert_eq(c.model->oom_cnt, 1);
	k = &c.model->ooms[0];
	cr_assert(k->victim_traced);
	cr_assert_eq(k->stack_cnt, 2);
	cr_assert_eq(k->stacks[0].bytes, 4096);
	cr_assert_eq(k->heap_outstanding_bytes, 4196);
	cr_assert_eq(model__find(c.model, 7)->kernel.oom_kills, 1);
	model__free(c.model);
}

Test(consumer_kernel, oom_kill_in_a_traced_processs_memcg_is_kept_and_others_are_not)
{
	struct consumer c = make();
	struct mv_oom_event peer = { .type = MV_EV_OOM_KILL, .pid = 99, .memcg = { .id = 1234 } };
	struct mv_oom_event other = { .type = MV_EV_OOM_KILL, .pid = 98, .memcg = { .id = 55 } };

	model__proc(c.model, 7)->kernel.memcg.id = 1234;
	cr_assert_eq(consumer__handle(&c, &peer, sizeof(peer)), 0);
	cr_assert_eq(consumer__handle(&c, &other, sizeof(other)), 0);
	cr_assert_eq(c.model->oom_cnt, 1);
	cr_assert_not(c.model->ooms[0].victim_traced);
	cr_assert_eq(c.model->ooms[0].cgroup_peer, 7);
	model__free(c.model);
}

Test(consumer_kernel, brk_record_sets_the_brk_heap_size)
{
	struct consumer c = make();
	struct mv_map_event b = { .type = MV_EV_BRK, .pid = 7, .addr = 0x600000 + 135168,
				  .old_addr = 0x600000 };

	cr_assert_eq(consumer__handle(&c, &b, sizeof(b)), 0);
	cr_assert_eq(model__find(c.model, 7)->kernel.brk_bytes, 135168);
	model__free(c.model);
}

Test(consumer_kernel, an_mmap_stack_cut_short_is_marked_and_the_flag_kept_off_the_range)
{
	struct consumer c = make();
	struct map_rec r = mmap_rec(0x10000, 4096, MV_MAP_STACK_TRUNCATED);
	const struct proc *p;
	uint32_t depth;

	r.e.stack_depth = 3;
	r.frames[0] = 0x7f00;
	r.frames[1] = 0x401234;
	r.frames[2] = 0x402000;
	cr_assert_eq(consumer__handle(&c, &r, sizeof(r.e) + 3 * 8), 0);
	p = model__find(c.model, 7);
	cr_assert(stacks__truncated(c.model->stacks, p->kernel.maps.ranges[0].stack_id));
	stacks__frames(c.model->stacks, p->kernel.maps.ranges[0].stack_id, &depth);
	cr_assert_eq(depth, 2, "depth %u", depth);
	cr_assert_eq(p->kernel.maps.ranges[0].flags & MV_MAP_STACK_TRUNCATED, 0);
	model__free(c.model);
}
