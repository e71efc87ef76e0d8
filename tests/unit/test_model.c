// SPDX-License-Identifier: GPL-2.0
#include <criterion/criterion.h>
#include <sys/wait.h>
#include "memvigil/events.h"
#include "model/model.h"
#include "model/query.h"

#define T0 1000000000ull
#define MS(x) (T0 + (x) * 1000000ull)

static const uint64_t stack_a[] = { 0x401000, 0x402000 };
static const uint64_t stack_b[] = { 0x401100, 0x402000 };

static void alloc(struct model *m, uint64_t addr, uint64_t size, uint64_t old,
		  uint32_t kind, const uint64_t *stack)
{
	cr_assert_eq(model__alloc(m, 42, MS(1), addr, size, old, kind, stack, 2), 0);
}

Test(model, alloc_then_free_leaves_nothing_outstanding)
{
	struct model *m = model__new(T0);
	struct proc *p;

	alloc(m, 0x1000, 100, 0, MV_KIND_MALLOC, stack_a);
	model__free_block(m, 42, 0x1000);
	p = model__find(m, 42);
	cr_assert_eq(p->heap.outstanding_bytes, 0);
	cr_assert_eq(p->heap.total_allocs, 1);
	cr_assert_eq(p->heap.total_frees, 1);
	cr_assert_eq(p->heap.peak_outstanding_bytes, 100);
	cr_assert_eq(p->sites[0].outstanding_allocs, 0);
	cr_assert_eq(p->sites[0].total_bytes, 100);
	model__free(m);
}

Test(model, free_of_unknown_address_is_counted_not_fatal)
{
	struct model *m = model__new(T0);
	struct proc *p;

	model__free_block(m, 42, 0xdead0);
	alloc(m, 0x1000, 8, 0, MV_KIND_MALLOC, stack_a);
	p = model__find(m, 42);
	cr_assert_eq(p->heap.unmatched_frees, 1);
	cr_assert_eq(p->heap.total_frees, 0);
	cr_assert_eq(p->heap.outstanding_bytes, 8);
	model__free(m);
}

Test(model, moved_realloc_frees_old_block_and_allocates_new_one)
{
	struct model *m = model__new(T0);
	struct proc *p;

	alloc(m, 0x1000, 16, 0, MV_KIND_MALLOC, stack_a);
	alloc(m, 0x2000, 4096, 0x1000, MV_KIND_REALLOC, stack_b);
	p = model__find(m, 42);
	cr_assert_eq(p->heap.outstanding_bytes, 4096);
	cr_assert_eq(p->heap.outstanding_allocs, 1);
	cr_assert_eq(p->heap.total_frees, 1);
	cr_assert_eq(p->site_cnt, 2);
	cr_assert_eq(p->sites[0].outstanding_bytes, 0);
	cr_assert_eq(p->sites[1].outstanding_bytes, 4096);
	cr_assert_eq(p->sites[1].kind, MV_KIND_REALLOC);
	model__free(m);
}

Test(model, in_place_realloc_keeps_one_block_with_the_new_size)
{
	struct model *m = model__new(T0);
	struct proc *p;

	alloc(m, 0x1000, 16, 0, MV_KIND_MALLOC, stack_a);
	alloc(m, 0x1000, 32, 0x1000, MV_KIND_REALLOC, stack_a);
	p = model__find(m, 42);
	cr_assert_eq(p->heap.outstanding_bytes, 32);
	cr_assert_eq(p->heap.outstanding_allocs, 1);
	cr_assert_eq(p->heap.unmatched_frees, 0);
	model__free(m);
}

Test(model, realloc_of_a_block_from_before_attach_counts_an_unmatched_free)
{
	struct model *m = model__new(T0);

	alloc(m, 0x3000, 64, 0x7777, MV_KIND_REALLOC, stack_a);
	cr_assert_eq(model__find(m, 42)->heap.unmatched_frees, 1);
	cr_assert_eq(model__find(m, 42)->heap.outstanding_bytes, 64);
	model__free(m);
}

Test(model, address_reused_without_a_seen_free_is_not_counted_twice)
{
	struct model *m = model__new(T0);
	struct proc *p;

	alloc(m, 0x1000, 10, 0, MV_KIND_MALLOC, stack_a);
	alloc(m, 0x1000, 20, 0, MV_KIND_MALLOC, stack_b);
	p = model__find(m, 42);
	cr_assert_eq(p->heap.outstanding_bytes, 20);
	cr_assert_eq(p->heap.outstanding_allocs, 1);
	cr_assert_eq(p->sites[0].outstanding_bytes, 0);
	model__free(m);
}

Test(model, same_stack_through_different_allocators_are_different_sites)
{
	struct model *m = model__new(T0);

	alloc(m, 0x1000, 10, 0, MV_KIND_MALLOC, stack_a);
	alloc(m, 0x2000, 10, 0, MV_KIND_CALLOC, stack_a);
	alloc(m, 0x3000, 10, 0, MV_KIND_MALLOC, stack_a);
	cr_assert_eq(model__find(m, 42)->site_cnt, 2);
	cr_assert_eq(model__find(m, 42)->sites[0].outstanding_allocs, 2);
	model__free(m);
}

Test(model, exec_drops_the_old_images_live_set)
{
	struct model *m = model__new(T0);
	struct proc *p;

	alloc(m, 0x1000, 10, 0, MV_KIND_MALLOC, stack_a);
	model__exec(m, 42);
	p = model__find(m, 42);
	cr_assert_eq(p->heap.outstanding_bytes, 0);
	cr_assert_eq(liveset__count(p->live), 0);
	cr_assert_eq(p->execs, 1);
	alloc(m, 0x1000, 30, 0, MV_KIND_MALLOC, stack_b);
	cr_assert_eq(p->heap.outstanding_bytes, 30);
	cr_assert_eq(p->site_cnt, 1);
	model__free(m);
}

Test(model, exit_keeps_the_live_set_for_the_final_report)
{
	struct model *m = model__new(T0);
	struct proc *p;

	alloc(m, 0x1000, 10, 0, MV_KIND_MALLOC, stack_a);
	model__exit(m, 42, 3 << 8);
	p = model__find(m, 42);
	cr_assert(p->exited);
	cr_assert(WIFEXITED(p->exit_status));
	cr_assert_eq(WEXITSTATUS(p->exit_status), 3);
	cr_assert_eq(p->heap.outstanding_bytes, 10);
	model__free(m);
}

Test(model, processes_are_kept_apart_by_pid)
{
	struct model *m = model__new(T0);
	uint64_t fr[] = { 1 };

	model__alloc(m, 1, MS(1), 0x1000, 5, 0, MV_KIND_MALLOC, fr, 1);
	model__alloc(m, 2, MS(1), 0x1000, 7, 0, MV_KIND_MALLOC, fr, 1);
	model__free_block(m, 1, 0x1000);
	cr_assert_eq(model__find(m, 1)->heap.outstanding_bytes, 0);
	cr_assert_eq(model__find(m, 2)->heap.outstanding_bytes, 7);
	model__free(m);
}

Test(report, sites_are_sorted_by_bytes_and_min_age_filters_young_blocks)
{
	struct model *m = model__new(T0);
	struct proc_report r;
	struct proc *p;

	model__alloc(m, 42, MS(100), 0x1000, 10, 0, MV_KIND_MALLOC, stack_a, 2);
	model__alloc(m, 42, MS(200), 0x2000, 10, 0, MV_KIND_MALLOC, stack_a, 2);
	model__alloc(m, 42, MS(900), 0x3000, 500, 0, MV_KIND_MALLOC, stack_b, 2);
	model__alloc(m, 42, MS(50), 0x4000, 1, 0, MV_KIND_MALLOC, stack_b, 2);
	p = model__find(m, 42);

	cr_assert_eq(query__build(p, 1000, 0, &r), 0);
	cr_assert_eq(r.cnt, 2);
	cr_assert_eq(r.sites[0].bytes, 501);
	cr_assert_eq(r.sites[0].oldest_ms, 50);
	cr_assert_eq(r.sites[1].bytes, 20);
	cr_assert_eq(r.bytes, 521);
	query__release(&r);

	/* At 1000 ms with min age 500 ms only blocks from <= 500 ms count. */
	cr_assert_eq(query__build(p, 1000, 500, &r), 0);
	cr_assert_eq(r.cnt, 2);
	cr_assert_eq(r.sites[0].bytes, 20);
	cr_assert_eq(r.sites[0].allocs, 2);
	cr_assert_eq(r.sites[1].bytes, 1);
	query__release(&r);
	model__free(m);
}

Test(report, fully_freed_sites_are_left_out)
{
	struct model *m = model__new(T0);
	struct proc_report r;

	model__alloc(m, 42, MS(1), 0x1000, 10, 0, MV_KIND_MALLOC, stack_a, 2);
	model__free_block(m, 42, 0x1000);
	cr_assert_eq(query__build(model__find(m, 42), 10, 0, &r), 0);
	cr_assert_eq(r.cnt, 0);
	query__release(&r);
	model__free(m);
}

Test(report, processes_group_by_cgroup_with_summed_totals)
{
	struct model *m = model__new(T0);
	struct proc_group *g;
	size_t cnt;

	model__alloc(m, 1, MS(1), 0x1000, 10, 0, MV_KIND_MALLOC, stack_a, 2);
	model__alloc(m, 2, MS(1), 0x1000, 20, 0, MV_KIND_MALLOC, stack_a, 2);
	model__alloc(m, 3, MS(1), 0x1000, 40, 0, MV_KIND_MALLOC, stack_a, 2);
	model__free_block(m, 3, 0x9999);
	cr_assert_eq(model__set_origin(model__find(m, 1), 0, 0, "/a"), 0);
	cr_assert_eq(model__set_origin(model__find(m, 2), 5, 1, "/b"), 0);
	cr_assert_eq(model__set_origin(model__find(m, 3), 0, 1, "/a"), 0);
	model__exit(m, 3, 0);
	cr_assert_eq(query__groups(m, &g, &cnt), 0);
	cr_assert_eq(cnt, 2);
	cr_assert_str_eq(g[0].path, "/a");
	cr_assert_eq(g[0].cnt, 2);
	cr_assert_eq(g[0].procs[1]->pid, 3);
	cr_assert_eq(g[0].heap.outstanding_bytes, 50);
	cr_assert_eq(g[0].heap.unmatched_frees, 1);
	cr_assert_eq(g[0].exited, 1);
	cr_assert_str_eq(g[1].path, "/b");
	cr_assert_eq(g[1].heap.outstanding_bytes, 20);
	query__groups_free(g, cnt);
	model__free(m);
}

Test(report, without_cgroups_all_processes_are_one_group_with_no_path)
{
	struct model *m = model__new(T0);
	struct proc_group *g;
	size_t cnt;

	model__alloc(m, 1, MS(1), 0x1000, 10, 0, MV_KIND_MALLOC, stack_a, 2);
	model__alloc(m, 2, MS(1), 0x1000, 20, 0, MV_KIND_MALLOC, stack_a, 2);
	cr_assert_eq(query__groups(m, &g, &cnt), 0);
	cr_assert_eq(cnt, 1);
	cr_assert_null(g[0].path);
	cr_assert_eq(g[0].cnt, 2);
	cr_assert_eq(g[0].heap.total_bytes, 30);
	query__groups_free(g, cnt);
	model__free(m);
}

Test(model, retired_process_keeps_its_stacks_under_its_own_key_and_pid_names_the_new_one)
{
	struct model *m = model__new(T0);
	struct proc *old, *new;
	pid_t key;

	alloc(m, 0x1000, 100, 0, MV_KIND_MALLOC, stack_a);
	model__exit(m, 42, 0);
	old = model__find(m, 42);
	key = model__retire(m, 42);
	cr_assert_lt(key, 0);
	cr_assert_eq(old->key, key);
	cr_assert_eq(old->pid, 42, "the report still shows its PID");
	cr_assert_eq(model__find(m, key), old);
	cr_assert_null(model__find(m, 42));
	/* Events of PID 42 now build a second process. */
	alloc(m, 0x2000, 7, 0, MV_KIND_MALLOC, stack_b);
	new = model__find(m, 42);
	cr_assert_not_null(new);
	cr_assert_neq(new, old);
	cr_assert_eq(m->proc_cnt, 2);
	cr_assert_eq(new->heap.outstanding_bytes, 7);
	cr_assert_not(new->exited);
	cr_assert_eq(old->heap.outstanding_bytes, 100);
	cr_assert_eq(old->site_cnt, 1);
	cr_assert(old->exited);
	/* Each retirement gets a key of its own. */
	cr_assert_lt(model__retire(m, 42), key);
	cr_assert_eq(model__retire(m, 42), 0, "nothing left to retire");
	model__free(m);
}

Test(model, process_moved_between_cgroups_is_in_the_last_one_set)
{
	struct model *m = model__new(T0);
	struct proc *p = model__proc(m, 42);

	cr_assert_eq(model__set_origin(p, 0, 0, "/a"), 0);
	cr_assert_eq(model__set_cgroup(p, "/b"), 0);
	cr_assert_str_eq(p->cgroup, "/b");
	model__exit(m, 42, 0);
	cr_assert_str_eq(model__find(m, 42)->cgroup, "/b", "an exit keeps the last cgroup");
	model__free(m);
}
