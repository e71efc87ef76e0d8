// SPDX-License-Identifier: GPL-2.0
#include <criterion/criterion.h>
#include <math.h>
#include "analysis/timeline.h"

/* Every column v, except the heap column heap. */
static void add(struct timeline *tl, uint64_t t_ms, double heap, double v)
{
	double vals[TL_COLUMN_CNT];
	int c;

	for (c = 0; c < TL_COLUMN_CNT; c++)
		vals[c] = v;
	vals[TL_HEAP_BYTES] = heap;
	timeline__add(tl, t_ms, vals);
}

Test(timeline, each_sample_is_a_point_until_the_points_are_full)
{
	static struct timeline tl;
	uint32_t i;

	timeline__init(&tl);
	for (i = 0; i < TIMELINE_MAX_POINTS; i++)
		add(&tl, i * 1000, i, 1);
	cr_assert_eq(tl.cnt, TIMELINE_MAX_POINTS);
	cr_assert_eq(tl.stride, 1);
	cr_assert_eq(tl.points[7].t_ms, 7000);
	cr_assert_eq(tl.points[7].v[TL_HEAP_BYTES], 7);
}

Test(timeline, full_points_merge_pairwise_keeping_the_peak_and_the_later_time)
{
	static struct timeline tl;
	uint32_t i;

	timeline__init(&tl);
	/* A spike at sample 5 among zeros. */
	for (i = 0; i <= TIMELINE_MAX_POINTS; i++)
		add(&tl, i * 1000, i == 5 ? 999 : 0, NAN);
	cr_assert_eq(tl.stride, 2);
	cr_assert_eq(tl.cnt, TIMELINE_MAX_POINTS / 2 + 1);
	cr_assert_eq(tl.points[2].t_ms, 5000, "point 2 covers samples 4 and 5");
	cr_assert_eq(tl.points[2].v[TL_HEAP_BYTES], 999, "the spike is kept");
	cr_assert_eq(tl.points[3].v[TL_HEAP_BYTES], 0);
	cr_assert(isnan(tl.points[2].v[TL_RSS_BYTES]), "unknown stays unknown");
	cr_assert_eq(tl.points[tl.cnt - 1].t_ms, TIMELINE_MAX_POINTS * 1000ull);
}

Test(timeline, a_known_value_wins_over_an_unknown_one_in_a_merged_point)
{
	static struct timeline tl;
	uint32_t i;

	timeline__init(&tl);
	for (i = 0; i < TIMELINE_MAX_POINTS + 2; i++)
		add(&tl, i * 1000, 0, i % 2 ? 42 : NAN);
	cr_assert_eq(tl.points[0].v[TL_RSS_BYTES], 42);
	cr_assert_eq(tl.points[tl.cnt - 1].v[TL_RSS_BYTES], 42, "the newest point fills up too");
}

Test(timeline, stays_bounded_over_a_day_of_samples)
{
	static struct timeline tl;
	uint32_t i, n = 86400;

	timeline__init(&tl);
	for (i = 0; i < n; i++)
		add(&tl, i * 1000ull, i, 0);
	cr_assert_leq(tl.cnt, TIMELINE_MAX_POINTS);
	cr_assert_gt(tl.cnt, TIMELINE_MAX_POINTS / 2);
	cr_assert_eq(tl.stride, 512);
	cr_assert_eq(tl.points[0].t_ms, (tl.stride - 1) * 1000ull);
	cr_assert_eq(tl.points[0].v[TL_HEAP_BYTES], tl.stride - 1, "the highest of its samples");
	cr_assert_eq(tl.points[tl.cnt - 1].t_ms, (n - 1) * 1000ull);
	cr_assert_eq(tl.points[1].t_ms - tl.points[0].t_ms, tl.stride * 1000ull, "evenly spaced");
}
