// SPDX-License-Identifier: GPL-2.0
#include <criterion/criterion.h>
#include <math.h>
#include "analysis/trend.h"
#include "series_shapes.h"

static enum trend trend_of_line(double start, double per_s, int samples)
{
	struct series *s = series__new(60000, 1000);
	struct series_stats st;
	int t;

	for (t = 0; t < samples; t++)
		series__add(s, t * 1000, start + per_s * t);
	series__stats(s, &st);
	series__free(s);
	return trend__of(&st);
}

Test(trend, steady_growth_is_increasing)
{
	cr_assert_eq(trend_of_line(1 << 20, 1024, 30), TREND_INCREASING);
}

Test(trend, steady_shrinking_is_decreasing)
{
	cr_assert_eq(trend_of_line(1 << 20, -2048, 30), TREND_DECREASING);
}

Test(trend, flat_is_stable)
{
	cr_assert_eq(trend_of_line(1 << 20, 0, 30), TREND_STABLE);
}

Test(trend, fewer_than_three_samples_is_unknown_though_two_points_fit_a_line)
{
	cr_assert_eq(trend_of_line(0, 1 << 20, 2), TREND_UNKNOWN);
	cr_assert_eq(trend_of_line(0, 1 << 20, 3), TREND_INCREASING);
}

Test(trend, growth_below_one_page_over_the_window_is_stable)
{
	/* 100 bytes/s for 30 s: 3000 bytes < TREND_MIN_CHANGE_BYTES */
	cr_assert_eq(trend_of_line(0, 100, 31), TREND_STABLE);
}

Test(trend, growth_below_two_percent_of_the_level_is_stable)
{
	/* 1 GiB heap growing 10 KiB/s for 30 s: 300 KiB < 2% of 1 GiB */
	cr_assert_eq(trend_of_line(1 << 30, 10240, 31), TREND_STABLE);
}

Test(trend, noise_without_a_line_is_stable)
{
	struct series *s = series__new(60000, 1000);
	struct series_stats st;
	int t;

	for (t = 0; t < 60; t++)
		series__add(s, t * 1000, (t * 7919) % 13 * 100000.0);
	series__stats(s, &st);
	series__free(s);
	cr_assert_lt(st.r2, TREND_MIN_R2);
	cr_assert_eq(trend__of(&st), TREND_STABLE);
}

/* The trend of fn sampled once a second from 1 s to end_s. */
static enum trend trend_of(double (*fn)(double t_s), int end_s)
{
	struct series *s = series__new(60000, 1000);
	struct series_stats st;
	int t;

	for (t = 1; t <= end_s; t++)
		series__add(s, t * 1000, fn(t));
	series__stats(s, &st);
	series__free(s);
	return trend__of(&st);
}

/* full after 8 s, then flat. */
static double cache_8s(double t)
{
	return filled_cache(t, 64);
}

/* 1 MiB freed at 8 s, then flat at 64 KiB. */
static double freed_then_flat(double t)
{
	return t < 8 ? 1 << 20 : 65536;
}

Test(trend, a_steady_leak_and_a_mapping_leak_are_increasing_from_three_samples)
{
	cr_assert_eq(trend_of(steady_leak, 3), TREND_INCREASING);
	cr_assert_eq(trend_of(mapping_leak, 3), TREND_INCREASING);
	cr_assert_eq(trend_of(mapping_leak, 30), TREND_INCREASING);
}

Test(trend, a_slow_1kib_per_s_leak_is_increasing_once_it_grew_4_kib)
{
	cr_assert_eq(trend_of(slow_leak, 4), TREND_STABLE, "3 KiB over the window");
	cr_assert_eq(trend_of(slow_leak, 6), TREND_INCREASING);
	cr_assert_eq(trend_of(slow_leak, 60), TREND_INCREASING);
}

Test(trend, a_cache_that_filled_and_holds_is_stable_once_the_newer_half_is_flat)
{
	int t;

	cr_assert_eq(trend_of(cache_8s, 8), TREND_INCREASING, "still filling");
	/* flat from 8 s: the newer half of 1..t is flat from t = 15 */
	for (t = 16; t <= 40; t++)
		cr_assert_eq(trend_of(cache_8s, t), TREND_STABLE, "at %d s: %s", t,
			     trend__name(trend_of(cache_8s, t)));
}

Test(trend, a_heap_that_dropped_and_holds_is_stable_not_decreasing)
{
	cr_assert_eq(trend_of(freed_then_flat, 20), TREND_STABLE, "%s",
		     trend__name(trend_of(freed_then_flat, 20)));
}

Test(trend, a_sawtooth_is_stable)
{
	cr_assert_eq(trend_of(sawtooth, 40), TREND_STABLE);
}

Test(trend, names)
{
	cr_assert_str_eq(trend__name(TREND_INCREASING), "increasing");
	cr_assert_str_eq(trend__name(TREND_DECREASING), "decreasing");
	cr_assert_str_eq(trend__name(TREND_STABLE), "stable");
	cr_assert_str_eq(trend__name(TREND_UNKNOWN), "unknown");
}
