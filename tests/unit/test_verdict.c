// SPDX-License-Identifier: GPL-2.0
#include <criterion/criterion.h>
#include <stdint.h>
#include "analysis/verdict.h"

#define WINDOW_MS 60000

/* Deterministic pseudo-random numbers for churn. */
static uint32_t rng = 12345;

static uint32_t next_rand(void)
{
	rng = rng * 1103515245u + 12345u;
	return rng >> 8;
}

typedef double (*outstanding_fn)(double t_s);

/*
 * Sample fn every interval_ms from 0 to end_s; return the verdict at the end
 * and, in *first_leak_s, when the verdict first was leak (-1 if never).
 */
static enum verdict run(outstanding_fn fn, uint64_t interval_ms, double end_s,
			double *first_leak_s, double *score)
{
	struct series *s = series__new(WINDOW_MS, interval_ms);
	struct series_stats st;
	enum verdict v = VERDICT_STABLE;
	uint64_t t;

	if (first_leak_s)
		*first_leak_s = -1;
	for (t = 0; t <= end_s * 1000; t += interval_ms) {
		series__add(s, t, fn(t / 1000.0));
		series__stats(s, &st);
		v = verdict__of(&st, WINDOW_MS, score);
		if (v == VERDICT_LEAK && first_leak_s && *first_leak_s < 0)
			*first_leak_s = t / 1000.0;
	}
	series__free(s);
	return v;
}

/* 1 KiB/s never freed, plus up to 8 KiB of blocks from the same stack in flight. */
static double leak_under_churn(double t)
{
	return 1024 * t + next_rand() % 8192;
}

static double pure_leak(double t)
{
	return 1024 * t;
}

/* A cache filling at 20 KiB/s for 10 s, then evicting as much as it adds. */
static double cache_fill_then_hold(double t)
{
	double fill = t < 10 ? 20480 * t : 204800;

	return fill - (t >= 10 ? next_rand() % 2048 : 0);
}

/* A cache filling for 25 s, nearly half the window, then flat. */
static double slow_cache(double t)
{
	return t < 25 ? 4096 * t : 4096 * 25;
}

static double one_block_held(double t)
{
	return t < 5 ? 0 : 4096;
}

static double leak_that_stops(double t)
{
	return t < 30 ? 1024 * t : 1024 * 30;
}

static double all_freed(double t)
{
	return t < 20 ? 1024 * t : 0;
}

Test(verdict, steady_1kib_per_s_leak_under_churn_is_leak_within_60_s)
{
	double first, score;
	enum verdict v = run(leak_under_churn, 1000, 90, &first, &score);

	cr_assert_eq(v, VERDICT_LEAK, "verdict %s score %.2f", verdict__name(v), score);
	cr_assert(first >= 0 && first <= 60, "first leak verdict at %.0f s", first);
}

Test(verdict, steady_leak_is_leak_within_60_s_with_the_default_5_s_interval)
{
	double first;

	cr_assert_eq(run(leak_under_churn, 5000, 60, &first, NULL), VERDICT_LEAK);
	cr_assert(first >= 0 && first <= 60, "first leak verdict at %.0f s", first);
}

Test(verdict, a_pure_leak_scores_near_1_after_half_a_window)
{
	double score;

	cr_assert_eq(run(pure_leak, 1000, 30, NULL, &score), VERDICT_LEAK);
	cr_assert_gt(score, 0.95);
}

Test(verdict, a_leak_seen_for_only_a_few_seconds_is_growing_not_leak)
{
	double score;
	enum verdict v = run(pure_leak, 1000, 8, NULL, &score);

	cr_assert_eq(v, VERDICT_GROWING, "verdict %s score %.2f", verdict__name(v), score);
}

Test(verdict, a_stack_rising_steadily_from_the_first_samples_is_growing_not_stable)
{
	double score;
	enum verdict v;

	/* 4 s at 1 s samples: coverage is only 4/30, yet it clearly rises */
	v = run(pure_leak, 1000, 4, NULL, &score);
	cr_assert_eq(v, VERDICT_GROWING, "verdict %s score %.2f", verdict__name(v), score);
	cr_assert_lt(score, VERDICT_GROWING_SCORE, "the score still says how little was seen");
	/* two samples are no evidence either way */
	cr_assert_eq(run(pure_leak, 1000, 1, NULL, NULL), VERDICT_STABLE);
}

Test(verdict, a_cache_that_fills_then_holds_ends_stable_though_its_blocks_are_old)
{
	double score, first;
	enum verdict v = run(cache_fill_then_hold, 1000, 120, &first, &score);

	cr_assert_eq(v, VERDICT_STABLE, "verdict %s score %.2f", verdict__name(v), score);
	cr_assert_lt(score, VERDICT_GROWING_SCORE);
	cr_assert_lt(first, 0, "the cache was called a leak at %.0f s", first);
}

Test(verdict, a_cache_is_stable_once_the_newer_half_of_the_window_is_flat)
{
	double score;

	/* filled by 25 s; flat from 25 s; the newer half of 0..56 s starts at 28 s */
	cr_assert_eq(run(slow_cache, 1000, 56, NULL, &score), VERDICT_STABLE);
	cr_assert_eq(score, 0);
}

Test(verdict, one_block_held_forever_is_stable)
{
	cr_assert_eq(run(one_block_held, 1000, 120, NULL, NULL), VERDICT_STABLE);
}

Test(verdict, a_leak_that_stopped_becomes_stable)
{
	double first;

	cr_assert_eq(run(leak_that_stops, 1000, 120, &first, NULL), VERDICT_STABLE);
	cr_assert_geq(first, 0, "it was a leak while it lasted");
}

Test(verdict, freed_when_outstanding_drops_to_zero)
{
	double score = -1;

	cr_assert_eq(run(all_freed, 1000, 25, NULL, &score), VERDICT_FREED);
	cr_assert_eq(score, 0);
}

/* 256 blocks of random sizes replaced all the time: a level with noise, no trend. */
static double random_churn(double t)
{
	double sum = 0;

	(void)t;
	for (int i = 0; i < 256; i++)
		sum += 16 + next_rand() % 4081;
	return sum;
}

Test(verdict, random_churn_is_never_a_leak_and_rarely_growing)
{
	struct series *s = series__new(WINDOW_MS, 1000);
	struct series_stats st;
	int t, growing = 0, leak = 0, samples = 0;

	for (int run = 0; run < 20; run++) {
		for (t = 0; t <= 60; t++, samples++) {
			series__add(s, run * 100000 + t * 1000, random_churn(t));
			series__stats(s, &st);
			switch (verdict__of(&st, WINDOW_MS, NULL)) {
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
				   .r2 = 0.3, .rises = 9, .span_ms = WINDOW_MS, .current = 5e5 };

	cr_assert_lt(verdict__score(&st, WINDOW_MS), 0.1);
}

Test(verdict, score_is_between_0_and_1_and_0_without_three_samples)
{
	struct series_stats st = { .n = 2, .slope_per_s = 1e9, .r2 = 1, .current = 1 };

	cr_assert_eq(verdict__score(&st, WINDOW_MS), 0);
	st = (struct series_stats){ .n = 100, .slope_per_s = 1, .recent_slope_per_s = 50,
				    .r2 = 1, .rises = 99, .span_ms = 10 * WINDOW_MS, .current = 1 };
	cr_assert_eq(verdict__score(&st, WINDOW_MS), 1);
	st.recent_slope_per_s = -5;
	cr_assert_eq(verdict__score(&st, WINDOW_MS), 0);
}

Test(verdict, names)
{
	cr_assert_str_eq(verdict__name(VERDICT_LEAK), "leak");
	cr_assert_str_eq(verdict__name(VERDICT_GROWING), "growing");
	cr_assert_str_eq(verdict__name(VERDICT_STABLE), "stable");
	cr_assert_str_eq(verdict__name(VERDICT_FREED), "freed");
}
