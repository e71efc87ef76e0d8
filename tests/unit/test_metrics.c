// SPDX-License-Identifier: GPL-2.0
#include <criterion/criterion.h>
#include <math.h>
#include "analysis/metrics.h"
#include "model/model.h"

#define PID 77
#define MS 1000000ull

static const uint64_t leak_stack[] = { 0x401000, 0x402000 };
static const uint64_t cache_stack[] = { 0x403000, 0x402000 };

/* One second of a process: leaks 1 KiB, fills a 64-block cache for 10 s, churns. */
static void one_second(struct model *m, int t, uint64_t *next_addr)
{
	int i;

	model__alloc(m, PID, t * 1000 * MS, (*next_addr)++ * 16, 1024, 0, 0, leak_stack, 2);
	if (t < 10)
		for (i = 0; i < 8; i++)
			model__alloc(m, PID, t * 1000 * MS, 0x100000 + (t * 8 + i) * 16, 4096, 0, 0,
				     cache_stack, 2);
	for (i = 0; i < 100; i++) {
		model__alloc(m, PID, t * 1000 * MS, 0x900000, 100, 0, 0, cache_stack, 1);
		model__free_block(m, PID, 0x900000);
	}
}

static void map_event(struct model *m, uint32_t type, uint64_t ts_ns, uint64_t addr,
		      uint64_t len, uint32_t flags)
{
	struct mv_map_event e = { .type = type, .pid = PID, .ts_ns = ts_ns, .addr = addr,
				  .len = len, .flags = flags, .stack_depth = 2 };

	cr_assert_eq(model__map_event(m, &e, leak_stack), 0);
}

Test(metrics, leak_and_cache_stacks_get_their_verdicts_and_the_heap_its_growth)
{
	struct model *m = model__new(0);
	struct metrics *mt = metrics__new(60000, 1000);
	const struct proc_metrics *pm;
	const struct proc *p;
	uint64_t addr = 1;
	uint32_t i, leaks = 0, stable = 0;
	int t;

	for (t = 0; t <= 60; t++) {
		one_second(m, t, &addr);
		p = model__find(m, PID);
		cr_assert_eq(metrics__sample(mt, p, t * 1000, NULL), 0);
	}
	pm = metrics__find(mt, PID);
	cr_assert_not_null(pm);
	for (i = 0; i < p->site_cnt; i++) {
		const struct site_metrics *sm = metrics__site(pm, i);

		if (!sm)
			continue;
		if (p->sites[i].stack_id == p->sites[0].stack_id)
			cr_assert_eq(sm->verdict, VERDICT_LEAK, "leak site: %s",
				     verdict__name(sm->verdict));
		else
			cr_assert_eq(sm->verdict, VERDICT_STABLE, "cache site: %s",
				     verdict__name(sm->verdict));
		leaks += sm->verdict == VERDICT_LEAK;
		stable += sm->verdict == VERDICT_STABLE;
	}
	cr_assert_eq(leaks, 1);
	cr_assert_eq(stable, 1);
	cr_assert_eq(pm->verdicts[VERDICT_LEAK], 1);
	cr_assert_eq(pm->values.v[METRIC_LEAKS], 1);
	cr_assert_gt(pm->values.v[METRIC_LEAK_SCORE], VERDICT_LEAK_SCORE);
	cr_assert_float_eq(pm->values.v[METRIC_HEAP_GROWTH], pm->heap.st.slope_per_s, 1e-9);
	cr_assert_eq(pm->heap.st.baseline, 1024 + 8 * 4096);
	cr_assert_eq(pm->values.v[METRIC_HEAP], p->heap.outstanding_bytes);
	cr_assert_eq(pm->heap.trend, TREND_INCREASING);
	metrics__free(mt);
	model__free(m);
}

Test(metrics, kernel_signals_unknown_without_a_kernel_sample)
{
	struct model *m = model__new(0);
	struct metrics *mt = metrics__new(60000, 1000);
	const struct proc_metrics *pm;

	model__alloc(m, PID, 0, 0x10, 10, 0, 0, leak_stack, 2);
	cr_assert_eq(metrics__sample(mt, model__find(m, PID), 0, NULL), 0);
	pm = metrics__find(mt, PID);
	cr_assert(isnan(pm->values.v[METRIC_RSS]));
	cr_assert(isnan(pm->values.v[METRIC_PRESSURE]));
	cr_assert(isnan(pm->values.v[METRIC_OOM]));
	cr_assert(isnan(pm->values.v[METRIC_HEAP_GROWTH]), "no growth from one sample");
	cr_assert_null(pm->rss.series);
	cr_assert_eq(pm->pressure.level, PRESSURE_UNKNOWN);
	metrics__free(mt);
	model__free(m);
}

Test(metrics, kernel_sample_feeds_rss_series_pressure_and_oom)
{
	struct model *m = model__new(0);
	struct metrics *mt = metrics__new(60000, 1000);
	const struct proc_metrics *pm;
	struct kernel_sample ks;
	int t;

	model__alloc(m, PID, 0, 0x10, 10, 0, 0, leak_stack, 2);
	kernel_sample__unknown(&ks);
	for (t = 0; t < 10; t++) {
		ks.rss_bytes = (1 << 20) + 65536.0 * t;
		ks.pressure.psi_some_avg10 = 25;
		ks.oom_kills = t == 9;
		cr_assert_eq(metrics__sample(mt, model__find(m, PID), t * 1000, &ks), 0);
	}
	pm = metrics__find(mt, PID);
	cr_assert_float_eq(pm->values.v[METRIC_RSS_GROWTH], 65536, 1e-6);
	cr_assert_eq(pm->rss.trend, TREND_INCREASING);
	cr_assert_eq(pm->values.v[METRIC_PRESSURE], PRESSURE_HIGH);
	cr_assert_eq(pm->values.v[METRIC_OOM], 1);
	cr_assert(isnan(pm->values.v[METRIC_MAPPED]));
	metrics__free(mt);
	model__free(m);
}

Test(metrics, rss_is_fitted_at_the_times_it_was_read)
{
	struct model *m = model__new(0);
	struct metrics *mt = metrics__new(60000, 1000);
	const struct proc_metrics *pm;
	struct kernel_sample ks;
	/* read every 1000 ms, ticks late by a varying 0..900 ms */
	const int late_ms[] = { 0, 900, 100, 700, 0, 500, 900, 200, 0, 600 };
	int t;

	model__alloc(m, PID, 0, 0x10, 10, 0, 0, leak_stack, 2);
	kernel_sample__unknown(&ks);
	for (t = 0; t < 10; t++) {
		ks.rss_t_ms = t * 1000;
		ks.rss_bytes = 1e6 + 1e5 * t;
		metrics__sample(mt, model__find(m, PID), t * 1000 + late_ms[t], &ks);
	}
	pm = metrics__find(mt, PID);
	cr_assert_float_eq(pm->values.v[METRIC_RSS_GROWTH], 1e5, 1e-6);
	cr_assert_float_eq(pm->rss.st.r2, 1, 1e-9);
	metrics__free(mt);
	model__free(m);
}

Test(metrics, major_fault_rate_counts_towards_pressure)
{
	struct model *m = model__new(0);
	struct metrics *mt = metrics__new(60000, 1000);
	const struct proc_metrics *pm;
	struct kernel_sample ks;

	model__alloc(m, PID, 0, 0x10, 10, 0, 0, leak_stack, 2);
	kernel_sample__unknown(&ks);
	ks.major_faults_per_s = 150;
	cr_assert_eq(metrics__sample(mt, model__find(m, PID), 0, &ks), 0);
	pm = metrics__find(mt, PID);
	cr_assert_eq(pm->pressure.level, PRESSURE_HIGH);
	cr_assert_eq(pm->pressure.cause, PSIG_MAJOR_FAULTS);
	cr_assert_eq(pm->values.v[METRIC_MAJOR_FAULTS], 150);
	metrics__free(mt);
	model__free(m);
}

Test(metrics, exec_drops_the_stacks_of_the_old_image)
{
	struct model *m = model__new(0);
	struct metrics *mt = metrics__new(60000, 1000);
	const struct proc_metrics *pm;

	model__alloc(m, PID, 0, 0x10, 10, 0, 0, leak_stack, 2);
	metrics__sample(mt, model__find(m, PID), 0, NULL);
	model__exec(m, PID);
	model__alloc(m, PID, 0, 0x20, 10, 0, 0, cache_stack, 2);
	metrics__sample(mt, model__find(m, PID), 1000, NULL);
	pm = metrics__find(mt, PID);
	cr_assert_eq(pm->site_cnt, model__find(m, PID)->site_cnt);
	cr_assert_eq(pm->sites[0].st.n, 1);
	metrics__free(mt);
	model__free(m);
}

Test(metrics, a_stack_freed_to_zero_is_freed)
{
	struct model *m = model__new(0);
	struct metrics *mt = metrics__new(60000, 1000);
	const struct proc_metrics *pm;

	model__alloc(m, PID, 0, 0x10, 10, 0, 0, leak_stack, 2);
	metrics__sample(mt, model__find(m, PID), 0, NULL);
	model__free_block(m, PID, 0x10);
	metrics__sample(mt, model__find(m, PID), 1000, NULL);
	pm = metrics__find(mt, PID);
	cr_assert_eq(metrics__site(pm, 0)->verdict, VERDICT_FREED);
	cr_assert_eq(pm->verdicts[VERDICT_FREED], 1);
	metrics__free(mt);
	model__free(m);
}

Test(metrics, heap_metrics_are_unknown_when_the_heap_is_not_traced)
{
	struct model *m = model__new(0);
	struct metrics *mt = metrics__new(60000, 1000);
	const struct proc_metrics *pm;

	metrics__set_heap_traced(mt, false);
	model__proc(m, PID);
	cr_assert_eq(metrics__sample(mt, model__find(m, PID), 0, NULL), 0);
	pm = metrics__find(mt, PID);
	cr_assert_null(pm->heap.series);
	cr_assert_eq(pm->heap.trend, TREND_UNKNOWN, "an untraced heap's trend is %s",
		     trend__name(pm->heap.trend));
	cr_assert_eq(pm->mapped.trend, TREND_UNKNOWN, "mappings never seen: %s",
		     trend__name(pm->mapped.trend));
	cr_assert(isnan(pm->values.v[METRIC_HEAP]));
	cr_assert(isnan(pm->values.v[METRIC_HEAP_GROWTH]));
	cr_assert(isnan(pm->values.v[METRIC_LEAK_SCORE]));
	metrics__free(mt);
	model__free(m);
}

Test(metrics, a_stack_that_held_nothing_for_a_whole_window_is_forgotten)
{
	struct model *m = model__new(0);
	struct metrics *mt = metrics__new(10000, 1000);
	const struct proc_metrics *pm;
	int64_t id = stacks__intern(m->stacks, leak_stack, 2);
	int t;

	model__alloc(m, PID, 0, 0x10, 10, 0, 0, leak_stack, 2);
	map_event(m, MV_EV_MMAP, 0, 0x7f0000000000ull, 65536, MV_MAP_FILE);
	metrics__sample(mt, model__find(m, PID), 0, NULL);
	model__free_block(m, PID, 0x10);
	map_event(m, MV_EV_MUNMAP, 500 * MS, 0x7f0000000000ull, 65536, 0);
	for (t = 1; t <= 10; t++)
		metrics__sample(mt, model__find(m, PID), t * 1000, NULL);
	pm = metrics__find(mt, PID);
	cr_assert_not_null(metrics__site(pm, 0), "freed, but still within the window");
	cr_assert_eq(metrics__site(pm, 0)->verdict, VERDICT_FREED);
	cr_assert_eq(metrics__map_site(pm, id, MV_MAP_FILE)->verdict, VERDICT_FREED);
	cr_assert_null(metrics__map_site(pm, id, 0), "anonymous and file mappings are apart");
	metrics__sample(mt, model__find(m, PID), 11000, NULL);
	cr_assert_null(metrics__site(pm, 0), "held nothing for a whole window: forgotten");
	cr_assert_null(metrics__map_site(pm, id, MV_MAP_FILE), "the mapping stack too");
	model__alloc(m, PID, 12000 * MS, 0x20, 10, 0, 0, leak_stack, 2);
	metrics__sample(mt, model__find(m, PID), 12000, NULL);
	cr_assert_eq(metrics__site(pm, 0)->st.baseline, 10, "a new series starts when it holds again");
	metrics__free(mt);
	model__free(m);
}

Test(metrics, zero_window_is_refused_and_free_accepts_null)
{
	cr_assert_null(metrics__new(0, 1000));
	metrics__free(NULL);
}

Test(metrics, retired_process_keeps_its_metrics_and_its_pid_starts_a_new_series)
{
	struct model *m = model__new(0);
	struct metrics *mt = metrics__new(60000, 1000);
	const struct proc_metrics *old;
	pid_t key;
	uint64_t addr = 1;

	one_second(m, 0, &addr);
	cr_assert_eq(metrics__sample(mt, model__find(m, PID), 0, NULL), 0);
	old = metrics__find(mt, PID);
	cr_assert_not_null(old);
	key = model__retire(m, PID);
	metrics__rekey(mt, PID, key);
	cr_assert_eq(metrics__find(mt, key), old);
	cr_assert_null(metrics__find(mt, PID));
	/* the new process by that PID gets metrics of its own */
	one_second(m, 1, &addr);
	cr_assert_eq(metrics__sample(mt, model__find(m, PID), 1000, NULL), 0);
	cr_assert_not_null(metrics__find(mt, PID));
	cr_assert_neq(metrics__find(mt, PID), old);
	cr_assert_eq(old->samples, 1);
	metrics__free(mt);
	model__free(m);
}

/*
 * The verdicts of one stack of a process, as the monitor samples them: a
 * tick of the workload every 125 ms from 50 ms on, a sample every second
 * from 1 s to end_s.
 */
typedef void (*tick_fn)(struct model *m, int tick, uint64_t ts_ns);

struct stack_history {
	enum verdict first, last;
	double first_leak_s;		/* -1 if never */
	uint32_t cnt[VERDICT_CNT];
	double leak_score;		/* the process's, at the end */
	double leaks;			/* the process's leaks metric, at the end */
	uint32_t map_stacks;		/* the process's mapping stacks, at the end */
};

static const struct site_metrics *heap_stack(const struct model *m, const struct proc_metrics *pm,
					     const uint64_t *frames)
{
	const struct proc *p = model__find(m, PID);
	uint32_t i, depth;

	for (i = 0; p && i < p->site_cnt; i++) {
		const uint64_t *f = stacks__frames(m->stacks, p->sites[i].stack_id, &depth);

		if (depth == 2 && f[0] == frames[0] && f[1] == frames[1])
			return metrics__site(pm, i);
	}
	return NULL;
}

static const struct site_metrics *map_stack(const struct model *m, const struct proc_metrics *pm,
					    const uint64_t *frames)
{
	int64_t id = stacks__intern(m->stacks, frames, 2);

	return id < 0 ? NULL : metrics__map_site(pm, id, 0);
}

typedef const struct site_metrics *(*stack_of_fn)(const struct model *m,
						  const struct proc_metrics *pm,
						  const uint64_t *frames);

static struct stack_history run_stack(tick_fn fn, int end_s, stack_of_fn stack_of,
				      const uint64_t *frames)
{
	struct model *m = model__new(0);
	struct metrics *mt = metrics__new(60000, 1000);
	struct stack_history h = { .first = VERDICT_CNT, .first_leak_s = -1 };
	const struct proc_metrics *pm;
	const struct site_metrics *sm;
	int tick = 0, t;

	model__proc(m, PID);
	cr_assert_eq(metrics__sample(mt, model__find(m, PID), 0, NULL), 0);
	for (t = 1; t <= end_s; t++) {
		for (; 50 + tick * 125 <= t * 1000; tick++)
			fn(m, tick, (50 + tick * 125) * MS);
		cr_assert_eq(metrics__sample(mt, model__find(m, PID), t * 1000, NULL), 0);
		pm = metrics__find(mt, PID);
		sm = stack_of(m, pm, frames);
		if (!sm)
			continue;
		h.last = sm->verdict;
		h.cnt[h.last]++;
		if (h.first == VERDICT_CNT)
			h.first = h.last;
		if (h.last == VERDICT_LEAK && h.first_leak_s < 0)
			h.first_leak_s = t;
	}
	pm = metrics__find(mt, PID);
	h.leak_score = pm->values.v[METRIC_LEAK_SCORE];
	h.leaks = pm->values.v[METRIC_LEAKS];
	h.map_stacks = pm->map_site_cnt;
	metrics__free(mt);
	model__free(m);
	return h;
}

/* 8 KiB never freed each tick (64 KiB/s). */
static void steady_leak(struct model *m, int tick, uint64_t ts_ns)
{
	model__alloc(m, PID, ts_ns, 0x100000 + tick * 0x10000ull, 8192, 0, 0, leak_stack, 2);
}

/* 128 bytes never freed each tick (1 KiB/s), and churn from another stack. */
static void slow_leak(struct model *m, int tick, uint64_t ts_ns)
{
	model__alloc(m, PID, ts_ns, 0x100000 + tick * 0x100ull, 128, 0, 0, leak_stack, 2);
	model__alloc(m, PID, ts_ns, 0x900000, 100 + tick % 7, 0, 0, cache_stack, 1);
	model__free_block(m, PID, 0x900000);
}

/* A 48-entry cache of 4 KiB blocks: one new entry a tick, the oldest evicted once full. */
static void cache_6s(struct model *m, int tick, uint64_t ts_ns)
{
	if (tick >= 48)
		model__free_block(m, PID, 0x100000 + (tick - 48) * 0x10000ull);
	model__alloc(m, PID, ts_ns, 0x100000 + tick * 0x10000ull, 4096, 0, 0, cache_stack, 2);
}

/* 2 MiB held for 2 s out of 4. */
static void sawtooth(struct model *m, int tick, uint64_t ts_ns)
{
	if (tick % 32 == 16)
		model__alloc(m, PID, ts_ns, 0x7000000, 2 << 20, 0, 0, cache_stack, 2);
	else if (tick % 32 == 0)
		model__free_block(m, PID, 0x7000000);
}

/* 256 KiB mapped every 100 ms (here 320 KiB every 125 ms), never unmapped. */
static void mapping_leak(struct model *m, int tick, uint64_t ts_ns)
{
	map_event(m, MV_EV_MMAP, ts_ns, 0x7f0000000000ull + tick * 0x100000ull, 327680, 0);
}

/* A mapping made and unmapped a tick later, and one the allocator made for a block. */
static void mapping_churn(struct model *m, int tick, uint64_t ts_ns)
{
	uint64_t addr = 0x7f0000000000ull + tick * 0x100000ull;

	map_event(m, MV_EV_MMAP, ts_ns, addr, 65536, 0);
	if (tick)
		map_event(m, MV_EV_MUNMAP, ts_ns, addr - 0x100000ull, 65536, 0);
	if (tick == 0)
		map_event(m, MV_EV_MMAP, ts_ns, 0x7e0000000000ull, 1 << 20, MV_MAP_ALLOCATOR);
}

static void assert_leak_within_10_s(struct stack_history h, const char *what)
{
	cr_assert_eq(h.last, VERDICT_LEAK, "%s: %s", what, verdict__name(h.last));
	cr_assert(h.first_leak_s > 0 && h.first_leak_s <= 10, "%s: first leak at %.0f s", what,
		  h.first_leak_s);
	cr_assert_eq(h.first, VERDICT_EARLY, "%s: first verdict %s", what, verdict__name(h.first));
	cr_assert_eq(h.cnt[VERDICT_STABLE], 0, "%s was stable %u times", what,
		     h.cnt[VERDICT_STABLE]);
	cr_assert_eq(h.leaks, 1, "%s: leaks metric %.0f", what, h.leaks);
	cr_assert_gt(h.leak_score, VERDICT_LEAK_SCORE);
}

Test(metrics, a_steady_heap_leak_is_leak_within_10_s_of_samples_a_second)
{
	assert_leak_within_10_s(run_stack(steady_leak, 20, heap_stack, leak_stack), "64 KiB/s");
}

Test(metrics, a_slow_1kib_per_s_heap_leak_is_leak_within_10_s)
{
	assert_leak_within_10_s(run_stack(slow_leak, 20, heap_stack, leak_stack), "1 KiB/s");
}

Test(metrics, a_mapping_leak_gets_a_leak_verdict_within_10_s_and_counts_as_a_leak)
{
	assert_leak_within_10_s(run_stack(mapping_leak, 20, map_stack, leak_stack), "mappings");
}

/* Never a leak, and in the end last (VERDICT_CNT: whatever it is). */
static void assert_never_leak(struct stack_history h, enum verdict last, const char *what)
{
	cr_assert_eq(h.cnt[VERDICT_LEAK], 0, "%s: called a leak at %.0f s", what, h.first_leak_s);
	cr_assert(last == VERDICT_CNT || h.last == last, "%s: ends %s", what,
		  verdict__name(h.last));
	cr_assert_eq(h.leaks, 0, "%s: the process counts a leak", what);
}

Test(metrics, a_cache_that_fills_in_6_s_then_churns_is_never_leak)
{
	assert_never_leak(run_stack(cache_6s, 60, heap_stack, cache_stack), VERDICT_STABLE,
			  "6 s cache");
}

Test(metrics, a_sawtooth_is_never_leak)
{
	struct stack_history h = run_stack(sawtooth, 60, heap_stack, cache_stack);

	assert_never_leak(h, VERDICT_CNT, "sawtooth");
	cr_assert_gt(h.cnt[VERDICT_FREED], 0);
}

Test(metrics, mappings_unmapped_again_are_not_a_leak_and_the_allocators_get_no_verdict)
{
	struct stack_history h = run_stack(mapping_churn, 30, map_stack, leak_stack);

	assert_never_leak(h, VERDICT_STABLE, "mapping churn");
	cr_assert_eq(h.map_stacks, 1, "the allocator's mapping is the heap stacks' to count");
}

/* One 10-byte block at the first tick, held. */
static void one_block(struct model *m, int tick, uint64_t ts_ns)
{
	if (!tick)
		model__alloc(m, PID, ts_ns, 0x10, 10, 0, 0, leak_stack, 2);
}

Test(metrics, a_new_stack_is_early_for_its_first_two_samples)
{
	struct stack_history h = run_stack(one_block, 5, heap_stack, leak_stack);

	cr_assert_eq(h.first, VERDICT_EARLY);
	cr_assert_eq(h.cnt[VERDICT_EARLY], 2);
	cr_assert_eq(h.last, VERDICT_STABLE);
}

Test(metrics, heap_and_mapped_baselines_are_what_the_process_had_when_tracing_of_it_began)
{
	struct model *m = model__new(0);
	struct metrics *mt = metrics__new(60000, 1000);
	const struct proc_metrics *pm;
	struct kernel_sample ks;
	struct proc *p = model__proc(m, PID);

	/* Traced from 1 s on; 80 KiB leaked and 2 MiB mapped before its first sample at 3 s. */
	p->traced_ms = 1000;
	model__alloc(m, PID, 2000 * MS, 0x10, 81920, 0, 0, leak_stack, 2);
	kernel_sample__unknown(&ks);
	ks.mapped_bytes = 2 << 20;
	cr_assert_eq(metrics__sample(mt, model__find(m, PID), 3000, &ks), 0);
	cr_assert_eq(metrics__sample(mt, model__find(m, PID), 4000, &ks), 0);
	pm = metrics__find(mt, PID);
	cr_assert_not_null(pm);
	cr_assert_float_eq(pm->heap.st.baseline, 0, 1e-9);
	cr_assert_float_eq(pm->heap.st.delta, 81920, 1e-9);
	cr_assert_gt(pm->heap.st.slope_per_s, 0, "growth %f", pm->heap.st.slope_per_s);
	cr_assert_float_eq(pm->mapped.st.baseline, 0, 1e-9);
	cr_assert_float_eq(pm->mapped.st.delta, 2 << 20, 1e-9);
	metrics__free(mt);
	model__free(m);
}
