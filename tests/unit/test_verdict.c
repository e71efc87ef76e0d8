// SPDX-License-Identifier: GPL-2.0
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include "analysis/verdict.h"

#define WINDOW_MS 60000
#define SAMPLE_MS 1000
#define NEVER 1e9

/* Deterministic pseudo-random numbers for churn. */
static uint32_t rng = 12345;

static uint32_t next_rand(void)
{
	rng = rng * 1103515245u + 12345u;
	return rng >> 8;
}

/* One stack's blocks (or mapped ranges): when each was allocated and freed. */
struct block {
	double alloc_s, free_s;
	double bytes;
};

struct blocks {
	struct block *b;
	size_t cnt, cap;
};

static void add_block(struct blocks *bs, double alloc_s, double free_s, double bytes)
{
	if (bs->cnt == bs->cap) {
		bs->cap = bs->cap ? 2 * bs->cap : 256;
		bs->b = realloc(bs->b, bs->cap * sizeof(*bs->b));
		cr_assert_not_null(bs->b);
	}
	bs->b[bs->cnt++] = (struct block){ alloc_s, free_s, bytes };
}

typedef void (*pattern_fn)(struct blocks *bs, double end_s);

/* What the stack's verdicts were, sample by sample. */
struct history {
	enum verdict last;
	double score;
	double first_leak_s;		/* -1 if never */
	uint32_t cnt[VERDICT_CNT];	/* samples per verdict */
	enum verdict first;		/* the verdict at the first sample */
};

/*
 * Sample the stack the way the metrics do, once a second from 1 s (the
 * first sample after the baseline) to end_s: its outstanding bytes into a
 * series (from the first sample that finds any), the ages of its live
 * blocks, the verdict.
 */
static struct history run(pattern_fn fn, double end_s)
{
	struct series *s = series__new(WINDOW_MS, SAMPLE_MS);
	struct history h = { .first_leak_s = -1, .first = VERDICT_CNT };
	struct blocks bs = { 0 };
	struct series_stats st;
	struct verdict_ages ages;
	bool any = false;
	uint64_t t;
	size_t i;

	fn(&bs, end_s);
	for (t = SAMPLE_MS; t <= end_s * 1000; t += SAMPLE_MS) {
		double now = t / 1000.0, bytes = 0;

		for (i = 0; i < bs.cnt; i++)
			if (bs.b[i].alloc_s <= now && bs.b[i].free_s > now)
				bytes += bs.b[i].bytes;
		if (!bytes && !any)
			continue;
		any = true;
		series__add(s, t, bytes);
		series__stats(s, &st);
		verdict_ages__init(&ages, &st);
		for (i = 0; i < bs.cnt; i++)
			if (bs.b[i].alloc_s <= now && bs.b[i].free_s > now)
				verdict_ages__add(&ages, (uint64_t)(bs.b[i].alloc_s * 1000),
						  bs.b[i].bytes);
		h.last = verdict__of(&st, &ages, &h.score);
		h.cnt[h.last]++;
		if (h.first == VERDICT_CNT)
			h.first = h.last;
		if (h.last == VERDICT_LEAK && h.first_leak_s < 0)
			h.first_leak_s = now;
	}
	series__free(s);
	free(bs.b);
	return h;
}

/* 8 KiB every 125 ms from 50 ms on, never freed: 64 KiB/s. */
static void steady_leak(struct blocks *bs, double end_s)
{
	for (double t = 0.05; t <= end_s; t += 0.125)
		add_block(bs, t, NEVER, 8192);
}

/* 128 bytes every 125 ms: 1 KiB/s. */
static void slow_leak(struct blocks *bs, double end_s)
{
	for (double t = 0.05; t <= end_s; t += 0.125)
		add_block(bs, t, NEVER, 128);
}

/* 1 KiB/s never freed, and from the same stack blocks of up to 4 KiB freed within 2 s. */
static void leak_under_churn(struct blocks *bs, double end_s)
{
	slow_leak(bs, end_s);
	for (double t = 0.01; t <= end_s; t += 0.25)
		add_block(bs, t, t + 0.1 * (next_rand() % 20), next_rand() % 4096);
}

/* A FIFO cache of slots 4 KiB entries, one new entry per 125 ms, the oldest evicted. */
static void fifo_cache(struct blocks *bs, double end_s, int slots)
{
	for (double t = 0.05; t <= end_s; t += 0.125)
		add_block(bs, t, t + slots * 0.125, 4096);
}

/* Fills in 6 s, then churns at a flat level. */
static void cache_6s(struct blocks *bs, double end_s)
{
	fifo_cache(bs, end_s, 48);
}

/* Fills in 8 s (tests/workloads/leak_cache_churn.c's cache). */
static void cache_8s(struct blocks *bs, double end_s)
{
	fifo_cache(bs, end_s, 64);
}

/* A cache filling for 25 s, nearly half the window, then flat. */
static void slow_cache(struct blocks *bs, double end_s)
{
	fifo_cache(bs, end_s, 200);
}

/* 2 MiB held for 2 s, then nothing for 2 s (tests/workloads/sawtooth.c). */
static void sawtooth(struct blocks *bs, double end_s)
{
	for (double t = 2; t <= end_s; t += 4)
		add_block(bs, t, t + 2, 2 << 20);
}

/* Rises 64 KiB/s for 6 s, frees it all, and again. */
static void ramp_sawtooth(struct blocks *bs, double end_s)
{
	for (double t = 0.05; t <= end_s; t += 0.125)
		add_block(bs, t, 6 * ceil(t / 6 + 1e-9), 8192);
}

/* A 256 KiB mapping every 100 ms, never unmapped (tests/workloads/kmem.c grow). */
static void mapping_leak(struct blocks *bs, double end_s)
{
	for (double t = 0.05; t <= end_s; t += 0.1)
		add_block(bs, t, NEVER, 256 * 1024);
}

/* A 1 MiB block held from the start, and a working set of young blocks rising 8 KiB/s. */
static void static_block_and_rising_churn(struct blocks *bs, double end_s)
{
	add_block(bs, 0.01, NEVER, 1 << 20);
	for (double t = 0.05; t <= end_s; t += 0.125)
		add_block(bs, t, t + 0.5 + t / 8, 1024);
}

static void leak_that_stops(struct blocks *bs, double end_s)
{
	slow_leak(bs, end_s < 30 ? end_s : 30);
}

static void all_freed(struct blocks *bs, double end_s)
{
	for (double t = 0.05; t <= end_s && t < 20; t += 0.125)
		add_block(bs, t, 20, 128);
}

static void one_block_held(struct blocks *bs, double end_s)
{
	(void)end_s;
	add_block(bs, 5, NEVER, 4096);
}

static void assert_leak_within(pattern_fn fn, double end_s, double within_s, const char *what)
{
	struct history h = run(fn, end_s);

	cr_assert_eq(h.last, VERDICT_LEAK, "%s: verdict %s score %.2f", what,
		     verdict__name(h.last), h.score);
	cr_assert(h.first_leak_s > 0 && h.first_leak_s <= within_s, "%s: first leak at %.0f s",
		  what, h.first_leak_s);
	cr_assert_eq(h.cnt[VERDICT_STABLE], 0, "%s was called stable %u times", what,
		     h.cnt[VERDICT_STABLE]);
	cr_assert_eq(h.first, VERDICT_EARLY, "%s: first verdict %s", what, verdict__name(h.first));
}

Test(verdict, a_steady_leak_is_leak_within_10_s_and_never_stable)
{
	assert_leak_within(steady_leak, 30, 10, "64 KiB/s");
}

Test(verdict, a_slow_1kib_per_s_leak_is_leak_within_10_s)
{
	assert_leak_within(slow_leak, 30, 10, "1 KiB/s");
}

Test(verdict, a_mapping_leak_is_leak_within_10_s)
{
	assert_leak_within(mapping_leak, 20, 10, "256 KiB per 100 ms");
}

Test(verdict, a_steady_leak_scores_1_once_its_oldest_block_is_8_5_s_old)
{
	struct history h = run(steady_leak, 9);

	cr_assert_eq(h.last, VERDICT_LEAK, "its oldest block is 8.95 s old at 9 s");
	cr_assert_gt(h.score, 0.95);
}

Test(verdict, a_leak_seen_for_only_a_few_seconds_is_growing_not_leak)
{
	struct history h = run(steady_leak, 8);

	cr_assert_eq(h.last, VERDICT_GROWING, "verdict %s score %.2f", verdict__name(h.last),
		     h.score);
	cr_assert_leq(h.score, 0.5, "before 8.5 s a stack scores at most one half");
}

Test(verdict, the_first_two_samples_are_early_not_stable)
{
	struct history h = run(steady_leak, 2);

	cr_assert_eq(h.last, VERDICT_EARLY, "verdict %s", verdict__name(h.last));
	cr_assert_eq(h.cnt[VERDICT_EARLY], 2);
	cr_assert_eq(run(one_block_held, 6).first, VERDICT_EARLY);
}

Test(verdict, a_stack_that_rose_at_every_sample_is_growing_from_its_third)
{
	struct history h = run(steady_leak, 3);

	cr_assert_eq(h.last, VERDICT_GROWING, "verdict %s score %.2f", verdict__name(h.last),
		     h.score);
	h = run(cache_6s, 3);
	cr_assert_eq(h.last, VERDICT_GROWING, "a filling cache: %s", verdict__name(h.last));
}

Test(verdict, a_steady_leak_under_churn_of_the_same_stack_is_leak_within_60_s)
{
	struct history h = run(leak_under_churn, 90);

	cr_assert_eq(h.last, VERDICT_LEAK, "verdict %s score %.2f", verdict__name(h.last),
		     h.score);
	cr_assert(h.first_leak_s > 0 && h.first_leak_s <= 60, "first leak at %.0f s",
		  h.first_leak_s);
}

static void assert_never_leak(struct history h, enum verdict last, const char *what)
{
	cr_assert_eq(h.cnt[VERDICT_LEAK], 0, "%s: called a leak at %.0f s", what, h.first_leak_s);
	cr_assert_eq(h.last, last, "%s: ends %s, score %.2f", what, verdict__name(h.last),
		     h.score);
}

Test(verdict, a_cache_that_fills_in_6_s_then_churns_is_never_leak_and_ends_stable)
{
	assert_never_leak(run(cache_6s, 120), VERDICT_STABLE, "6 s cache");
}

Test(verdict, a_cache_that_fills_in_8_s_is_never_leak_though_it_never_freed_until_then)
{
	assert_never_leak(run(cache_8s, 120), VERDICT_STABLE, "8 s cache");
}

Test(verdict, a_cache_is_stable_once_the_newer_half_of_the_window_is_flat)
{
	/* filled by 25 s; flat from 25 s; the newer half of 1..56 s starts at 28.5 s */
	struct history h = run(slow_cache, 56);

	cr_assert_eq(h.last, VERDICT_STABLE, "verdict %s", verdict__name(h.last));
	cr_assert_eq(h.score, 0);
}

Test(verdict, a_sawtooth_is_never_leak)
{
	struct history h = run(sawtooth, 120);

	/* ends at 120 s, in a low phase */
	assert_never_leak(h, VERDICT_FREED, "sawtooth");
	cr_assert_gt(h.cnt[VERDICT_STABLE], 0, "the high phases are stable");
}

Test(verdict, a_sawtooth_that_ramps_for_6_s_is_never_leak)
{
	/* ends at 120 s, right after freeing everything */
	assert_never_leak(run(ramp_sawtooth, 120), VERDICT_FREED, "ramps");
}

Test(verdict, young_blocks_rising_beside_an_old_block_are_growing_not_leak)
{
	assert_never_leak(run(static_block_and_rising_churn, 60), VERDICT_GROWING,
			  "rising young blocks");
}

Test(verdict, one_block_held_forever_is_stable)
{
	cr_assert_eq(run(one_block_held, 120).last, VERDICT_STABLE);
}

Test(verdict, a_leak_that_stopped_becomes_stable)
{
	struct history h = run(leak_that_stops, 120);

	cr_assert_eq(h.last, VERDICT_STABLE, "verdict %s", verdict__name(h.last));
	cr_assert_gt(h.first_leak_s, 0, "it was a leak while it lasted");
}

Test(verdict, freed_when_outstanding_drops_to_zero)
{
	struct history h = run(all_freed, 25);

	cr_assert_eq(h.last, VERDICT_FREED);
	cr_assert_eq(h.score, 0);
}

/* 256 blocks of random sizes replaced all the time: a level with noise, no trend. */
static double random_churn(void)
{
	double sum = 0;

	for (int i = 0; i < 256; i++)
		sum += 16 + next_rand() % 4081;
	return sum;
}

Test(verdict, random_churn_is_never_a_leak_and_rarely_growing)
{
	struct series *s = series__new(WINDOW_MS, SAMPLE_MS);
	struct series_stats st;
	struct verdict_ages ages;
	int t, growing = 0, leak = 0, samples = 0;

	for (int run = 0; run < 20; run++) {
		for (t = 0; t <= 60; t++, samples++) {
			uint64_t now = run * 100000 + t * 1000;

			series__add(s, now, random_churn());
			series__stats(s, &st);
			/* all its blocks younger than 50 ms */
			verdict_ages__init(&ages, &st);
			verdict_ages__add(&ages, now - 50, st.current);
			switch (verdict__of(&st, &ages, NULL)) {
			case VERDICT_LEAK:
				leak++;
				break;
			case VERDICT_GROWING:
				growing++;
				break;
			default:
				break;
			}
		}
	}
	series__free(s);
	cr_assert_eq(leak, 0);
	cr_assert_lt(growing, samples / 100, "%d of %d samples growing", growing, samples);
}

Test(verdict, a_weak_line_through_noise_scores_low)
{
	/* R^2 0.3 over 17 samples: t = 2.5, a chance line more often than a trend */
	struct series_stats st = { .n = 17, .slope_per_s = 2000, .recent_slope_per_s = 2000,
				   .r2 = 0.3, .rises = 9, .span_ms = 16000, .first_ms = 0,
				   .last_ms = 16000, .current = 5e5 };
	struct verdict_ages ages;

	verdict_ages__init(&ages, &st);
	verdict_ages__add(&ages, 0, 5e5);
	cr_assert_lt(verdict__score(&st, &ages), 0.1);
}

Test(verdict, score_is_between_0_and_1_and_0_without_three_samples)
{
	struct series_stats st = { .n = 2, .slope_per_s = 1e9, .r2 = 1, .current = 1,
				   .last_ms = 20000 };
	struct verdict_ages ages;

	verdict_ages__init(&ages, &st);
	verdict_ages__add(&ages, 0, 1e12);
	cr_assert_eq(verdict__score(&st, &ages), 0);
	st = (struct series_stats){ .n = 100, .slope_per_s = 1, .recent_slope_per_s = 50,
				    .r2 = 1, .rises = 99, .span_ms = 10 * WINDOW_MS,
				    .last_ms = 10 * WINDOW_MS, .current = 1 };
	verdict_ages__init(&ages, &st);
	verdict_ages__add(&ages, 1000, 1e12);
	cr_assert_eq(verdict__score(&st, &ages), 1);
	st.recent_slope_per_s = -5;
	cr_assert_eq(verdict__score(&st, &ages), 0);
}

Test(verdict, without_the_ages_of_its_blocks_a_rising_stack_scores_0)
{
	struct series_stats st = { .n = 30, .slope_per_s = 1024, .recent_slope_per_s = 1024,
				   .r2 = 1, .rises = 29, .span_ms = 29000, .last_ms = 30000,
				   .first_ms = 1000, .current = 30000 };
	struct verdict_ages none = { 0 };

	cr_assert_eq(verdict__score(&st, &none), 0);
	cr_assert_eq(verdict__of(&st, &none, NULL), VERDICT_GROWING);
}

Test(verdict, names)
{
	cr_assert_str_eq(verdict__name(VERDICT_LEAK), "leak");
	cr_assert_str_eq(verdict__name(VERDICT_GROWING), "growing");
	cr_assert_str_eq(verdict__name(VERDICT_STABLE), "stable");
	cr_assert_str_eq(verdict__name(VERDICT_FREED), "freed");
	cr_assert_str_eq(verdict__name(VERDICT_EARLY), "early");
	cr_assert_str_eq(verdict__json_name(VERDICT_EARLY), "too_early");
	cr_assert_str_eq(verdict__json_name(VERDICT_LEAK), "leak");
}
