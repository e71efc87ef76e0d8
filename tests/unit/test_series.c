// SPDX-License-Identifier: GPL-2.0
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include "analysis/series.h"
#include "series_shapes.h"

static struct series_stats stats_of(struct series *s)
{
	struct series_stats st;

	series__stats(s, &st);
	return st;
}

Test(series, baseline_is_the_first_sample_peak_the_largest_delta_the_change)
{
	struct series *s = series__new(60000, 1000);
	struct series_stats st;

	series__add(s, 0, 500);
	series__add(s, 1000, 900);
	series__add(s, 2000, 700);
	st = stats_of(s);
	cr_assert_eq(st.baseline, 500);
	cr_assert_eq(st.current, 700);
	cr_assert_eq(st.peak, 900);
	cr_assert_eq(st.delta, 200);
	cr_assert_eq(st.n, 3);
	cr_assert_eq(st.span_ms, 2000);
	series__free(s);
}

Test(series, a_line_of_1kib_per_second_has_that_slope_and_a_perfect_fit)
{
	struct series *s = series__new(60000, 1000);
	struct series_stats st;
	int t;

	for (t = 0; t <= 30; t++)
		series__add(s, t * 1000, 4096 + 1024.0 * t);
	st = stats_of(s);
	cr_assert_float_eq(st.slope_per_s, 1024, 1e-6);
	cr_assert_float_eq(st.recent_slope_per_s, 1024, 1e-6);
	cr_assert_float_eq(st.r2, 1, 1e-9);
	cr_assert_eq(st.rises, 30);
	series__free(s);
}

Test(series, a_constant_series_has_no_slope_and_is_fitted_exactly)
{
	struct series *s = series__new(60000, 1000);
	struct series_stats st;
	int t;

	for (t = 0; t < 10; t++)
		series__add(s, t * 1000, 777);
	st = stats_of(s);
	cr_assert_eq(st.slope_per_s, 0);
	cr_assert_eq(st.r2, 1);
	cr_assert_eq(st.rises, 0);
	series__free(s);
}

Test(series, one_sample_has_no_slope_and_no_fit)
{
	struct series *s = series__new(60000, 1000);
	struct series_stats st;

	series__add(s, 5000, 10);
	st = stats_of(s);
	cr_assert_eq(st.n, 1);
	cr_assert_eq(st.slope_per_s, 0);
	cr_assert_eq(st.r2, 0);
	series__free(s);
}

Test(series, samples_older_than_the_window_leave_the_fit_but_not_baseline_or_peak)
{
	struct series *s = series__new(10000, 1000);
	struct series_stats st;
	int t;

	for (t = 0; t <= 10; t++)
		series__add(s, t * 1000, 100000 + 1000.0 * t);	/* rising */
	for (t = 11; t <= 30; t++)
		series__add(s, t * 1000, 50);			/* then flat */
	st = stats_of(s);
	cr_assert_eq(st.n, 11, "n = %u", st.n);
	cr_assert_eq(st.slope_per_s, 0);
	cr_assert_eq(st.baseline, 100000);
	cr_assert_eq(st.peak, 110000);
	cr_assert_eq(st.span_ms, 10000);
	series__free(s);
}

Test(series, memory_stays_bounded_when_the_window_holds_more_samples_than_the_ring)
{
	struct series *s = series__new(3600 * 1000, 100);
	struct series_stats st;
	uint64_t t;

	for (t = 0; t < 100000; t++)
		series__add(s, t * 100, 2.0 * t);	/* 20 units per second */
	st = stats_of(s);
	cr_assert_leq(st.n, SERIES_MAX_SAMPLES);
	cr_assert_geq(st.n, SERIES_MAX_SAMPLES / 2);
	cr_assert_float_eq(st.slope_per_s, 20, 1e-6);
	cr_assert_eq(st.current, 2.0 * 99999);
	cr_assert_geq(st.span_ms, 3500 * 1000);
	series__free(s);
}

Test(series, recent_slope_is_flat_when_the_newer_half_is_flat)
{
	struct series *s = series__new(60000, 1000);
	struct series_stats st;
	int t;

	for (t = 0; t <= 60; t++)
		series__add(s, t * 1000, t < 20 ? 1000.0 * t : 20000);
	st = stats_of(s);
	cr_assert_gt(st.slope_per_s, 0);
	cr_assert_eq(st.recent_slope_per_s, 0);
	series__free(s);
}

Test(series, noise_lowers_the_fit)
{
	struct series *s = series__new(60000, 1000);
	struct series_stats st;
	int t;

	for (t = 0; t <= 60; t++)
		series__add(s, t * 1000, (t % 2) ? 10000 : 0);
	st = stats_of(s);
	cr_assert_lt(st.r2, 0.1);
	series__free(s);
}

Test(series, a_second_sample_at_the_same_time_replaces_the_first)
{
	struct series *s = series__new(60000, 1000);
	struct series_stats st;

	series__add(s, 1000, 1);
	series__add(s, 1000, 3);
	st = stats_of(s);
	cr_assert_eq(st.n, 1);
	cr_assert_eq(st.current, 3);
	cr_assert_eq(st.mean, 3);
	series__free(s);
}

Test(series, a_sample_within_half_an_interval_replaces_the_last_one)
{
	struct series *s = series__new(60000, 1000);
	struct series_stats st;

	series__add(s, 1000, 10);
	series__add(s, 2000, 20);
	series__add(s, 3000, 30);
	series__add(s, 3001, 31);	/* a final sample right after a periodic one */
	st = stats_of(s);
	cr_assert_eq(st.n, 3);
	cr_assert_eq(st.current, 31);
	cr_assert_eq(st.span_ms, 2001);
	cr_assert_gt(st.recent_slope_per_s, 9, "the newer half still rises: %f",
		     st.recent_slope_per_s);
	series__add(s, 3600, 36);	/* more than half an interval later: a new sample */
	cr_assert_eq(stats_of(s).n, 4);
	series__free(s);
}

Test(series, zero_window_or_interval_is_refused)
{
	errno = 0;
	cr_assert_null(series__new(0, 1000));
	cr_assert_eq(errno, EINVAL);
	cr_assert_null(series__new(1000, 0));
	series__free(NULL);
}

Test(series, stats_give_the_times_of_the_oldest_and_newest_samples_in_the_window)
{
	struct series *s = series__new(10000, 1000);
	struct series_stats st;
	int t;

	for (t = 1; t <= 5; t++)
		series__add(s, t * 1000, t);
	st = stats_of(s);
	cr_assert_eq(st.first_ms, 1000);
	cr_assert_eq(st.last_ms, 5000);
	for (t = 6; t <= 30; t++)
		series__add(s, t * 1000, t);
	st = stats_of(s);
	cr_assert_eq(st.first_ms, 20000, "the oldest sample slides with the window: %llu",
		     (unsigned long long)st.first_ms);
	cr_assert_eq(st.last_ms, 30000);
	cr_assert_eq(st.span_ms, st.last_ms - st.first_ms);
}

/*
 * The shapes the verdicts are tested on (test_verdict.c), as the monitor
 * samples them: once a second, and with each report (every 5 s, a few
 * milliseconds after the second's sample, which it replaces).
 */
static struct series_stats sampled(double (*fn)(double t_s), int end_s)
{
	struct series *s = series__new(60000, 1000);
	struct series_stats st;
	int t;

	for (t = 1; t <= end_s; t++) {
		series__add(s, t * 1000, fn(t));
		if (t % 5 == 0)
			series__add(s, t * 1000 + 20, fn(t + 0.02));
	}
	st = stats_of(s);
	series__free(s);
	return st;
}

/* full after 6 s, then flat. */
static double cache_6s(double t)
{
	return filled_cache(t, 48);
}

Test(series, a_steady_leak_sampled_each_second_and_at_reports_keeps_one_sample_a_second)
{
	struct series_stats st = sampled(steady_leak, 10);

	cr_assert_eq(st.n, 10, "n = %u", st.n);
	cr_assert_eq(st.rises, 9);
	cr_assert_float_eq(st.slope_per_s, 65536, 655);
	cr_assert_float_eq(st.r2, 1, 1e-3);
	cr_assert_eq(st.first_ms, 1000);
	cr_assert_eq(st.last_ms, 10020, "the report's sample replaced the second's");
}

Test(series, a_slow_1kib_per_s_leak_rises_at_every_sample)
{
	struct series_stats st = sampled(slow_leak, 10);

	cr_assert_eq(st.rises, st.n - 1);
	cr_assert_float_eq(st.slope_per_s, 1024, 10);
	cr_assert_float_eq(st.recent_slope_per_s, 1024, 10);
}

Test(series, a_cache_that_filled_in_6_s_has_a_flat_newer_half_by_14_s)
{
	struct series_stats st = sampled(cache_6s, 14);

	cr_assert_gt(st.slope_per_s, 0);
	cr_assert_eq(st.recent_slope_per_s, 0, "newer half slope %f", st.recent_slope_per_s);
	cr_assert_eq(st.rises, 5);
}

Test(series, a_sawtooth_fits_no_line)
{
	struct series_stats st = sampled(sawtooth, 40);

	cr_assert_lt(st.r2, 0.1, "R2 %f", st.r2);
	cr_assert_eq(st.peak, 2 << 20);
}

Test(series, a_mapping_leak_has_its_rate_and_a_perfect_fit)
{
	struct series_stats st = sampled(mapping_leak, 12);

	cr_assert_float_eq(st.slope_per_s, 2621440, 26214);
	cr_assert_float_eq(st.r2, 1, 1e-3);
	cr_assert_eq(st.n, 12);
}
