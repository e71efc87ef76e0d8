// SPDX-License-Identifier: GPL-2.0
#include <criterion/criterion.h>
#include <signal.h>
#include "analysis/metrics.h"
#include "memvigil/events.h"
#include "model/model.h"

#define T0 1000000000ull

static const uint64_t stack_a[] = { 0x401000, 0x402000 };

/* pid allocates size bytes at addr (size 0: nothing), is seen, and stays running. */
static void start(struct model *m, pid_t pid, uint64_t size)
{
	cr_assert_not_null(model__proc(m, pid));
	if (size)
		cr_assert_eq(model__alloc(m, pid, T0, 0x1000, size, 0, MV_KIND_MALLOC,
					  stack_a, 2), 0);
}

static pid_t pick_pid(const struct model *m, uint32_t keep)
{
	ssize_t i = model__evict_pick(m, keep);

	return i < 0 ? 0 : m->procs[i]->pid;
}

Test(evict, running_processes_are_never_picked_even_keeping_none)
{
	struct model *m = model__new(T0);

	start(m, 10, 64);
	start(m, 11, 0);
	cr_assert_eq(model__evict_pick(m, 0), -1);
	model__exit(m, 11, 0);
	cr_assert_eq(model__exited_cnt(m), 1);
	cr_assert_eq(pick_pid(m, 0), 11);
	cr_assert_eq(model__evict_pick(m, 1), -1, "one exited, one kept: nothing to drop");
	model__free(m);
}

Test(evict, the_first_to_exit_goes_first_whatever_its_place)
{
	struct model *m = model__new(T0);

	start(m, 10, 0);
	start(m, 11, 0);
	start(m, 12, 0);
	model__exit(m, 12, 0);	/* last seen, first gone */
	model__exit(m, 10, 0);
	model__exit(m, 11, 0);
	cr_assert_eq(pick_pid(m, 2), 12);
	model__drop(m, model__evict_pick(m, 2));
	cr_assert_eq(pick_pid(m, 1), 10);
	cr_assert_eq(model__evict_pick(m, 2), -1);
	model__free(m);
}

Test(evict, a_leak_at_exit_outlives_a_clean_exit_and_an_oom_kill_outlives_both)
{
	struct model *m = model__new(T0);
	struct proc *oom;

	start(m, 10, 0);
	start(m, 11, 4096);	/* exits holding a block */
	start(m, 12, 0);
	model__exit(m, 10, SIGKILL);
	oom = model__find(m, 10);
	oom->kernel.oom_kills = 1;	/* as model__oom counts a traced victim */
	model__exit(m, 11, 0);
	model__exit(m, 12, 0);
	cr_assert_eq(pick_pid(m, 0), 12, "held nothing: first, though it exited last");
	model__drop(m, model__evict_pick(m, 0));
	cr_assert_eq(pick_pid(m, 0), 11, "held heap at exit: before the OOM-killed one");
	model__drop(m, model__evict_pick(m, 0));
	cr_assert_eq(pick_pid(m, 0), 10);
	model__free(m);
}

Test(evict, a_drop_keeps_the_order_of_the_rest_and_sums_what_went)
{
	struct model *m = model__new(T0);

	start(m, 10, 100);
	start(m, 11, 300);
	model__free_block(m, 11, 0x1000);
	model__free_block(m, 11, 0xdead);	/* unmatched */
	start(m, 12, 50);
	model__exit(m, 11, 0);
	model__exit(m, 10, 0);
	cr_assert_eq(pick_pid(m, 1), 11);
	model__drop(m, model__evict_pick(m, 1));
	cr_assert_eq(m->proc_cnt, 2);
	cr_assert_eq(m->procs[0]->pid, 10);
	cr_assert_eq(m->procs[1]->pid, 12);
	cr_assert_null(model__find(m, 11));
	cr_assert_eq(m->dropped.cnt, 1);
	cr_assert_eq(m->dropped.heap.total_allocs, 1);
	cr_assert_eq(m->dropped.heap.total_bytes, 300);
	cr_assert_eq(m->dropped.heap.outstanding_bytes, 0);
	cr_assert_eq(m->dropped.heap.unmatched_frees, 1);
	model__drop(m, 0);
	cr_assert_eq(m->dropped.cnt, 2);
	cr_assert_eq(m->dropped.heap.outstanding_bytes, 100);
	cr_assert_eq(m->dropped.heap.outstanding_allocs, 1);
	start(m, 11, 8);	/* the PID names a new process */
	cr_assert_eq(model__find(m, 11)->heap.total_allocs, 1);
	cr_assert_not(model__find(m, 11)->exited);
	model__free(m);
}

Test(evict, a_retired_process_is_exited_and_is_dropped_by_its_own_key)
{
	struct model *m = model__new(T0);
	pid_t key;

	start(m, 10, 0);
	model__exit(m, 10, 0);
	key = model__retire(m, 10);
	start(m, 10, 0);	/* the new process with that PID runs */
	cr_assert_lt(key, 0);
	cr_assert_eq(m->procs[model__evict_pick(m, 0)]->key, key);
	model__drop(m, model__evict_pick(m, 0));
	cr_assert_null(model__find(m, key));
	cr_assert_not_null(model__find(m, 10));
	cr_assert_eq(model__evict_pick(m, 0), -1);
	model__free(m);
}

Test(evict, forgetting_frees_the_metrics_of_that_process_only)
{
	struct model *m = model__new(T0);
	struct metrics *mt = metrics__new(60000, 1000);

	start(m, 10, 64);
	start(m, 11, 64);
	cr_assert_eq(metrics__sample(mt, model__find(m, 10), 0, NULL), 0);
	cr_assert_eq(metrics__sample(mt, model__find(m, 11), 0, NULL), 0);
	metrics__forget(mt, 10);
	metrics__forget(mt, 99);	/* never sampled: nothing happens */
	cr_assert_null(metrics__find(mt, 10));
	cr_assert_not_null(metrics__find(mt, 11));
	cr_assert_eq(metrics__find(mt, 11)->pid, 11);
	metrics__free(mt);
	model__free(m);
}
