// SPDX-License-Identifier: GPL-2.0
/* row_ranges: first-fit ranges of the unwind row array, merged when given back. */
#include <criterion/criterion.h>
#include <errno.h>
#include "unwind/row_ranges.h"

Test(row_ranges, ranges_are_handed_out_back_to_back)
{
	struct row_ranges *r = row_ranges__new(100);
	uint32_t a, b;

	cr_assert_eq(row_ranges__alloc(r, 30, &a), 0);
	cr_assert_eq(row_ranges__alloc(r, 50, &b), 0);
	cr_expect_eq(a, 0);
	cr_expect_eq(b, 30);
	cr_expect_eq(row_ranges__used(r), 80);
	cr_expect_eq(row_ranges__cap(r), 100);
	row_ranges__free(r);
}

Test(row_ranges, a_range_that_does_not_fit_is_refused_with_enospc)
{
	struct row_ranges *r = row_ranges__new(100);
	uint32_t a;

	cr_assert_eq(row_ranges__alloc(r, 90, &a), 0);
	cr_expect_eq(row_ranges__alloc(r, 11, &a), -ENOSPC);
	cr_expect_eq(row_ranges__alloc(r, 0, &a), -EINVAL);
	cr_expect_eq(row_ranges__used(r), 90);
	row_ranges__free(r);
}

Test(row_ranges, released_neighbours_merge_into_one_range)
{
	struct row_ranges *r = row_ranges__new(100);
	uint32_t a, b, c, d;

	cr_assert_eq(row_ranges__alloc(r, 40, &a), 0);
	cr_assert_eq(row_ranges__alloc(r, 40, &b), 0);
	cr_assert_eq(row_ranges__alloc(r, 20, &c), 0);
	cr_assert_eq(row_ranges__release(r, a, 40), 0);
	cr_assert_eq(row_ranges__release(r, c, 20), 0);
	/* two holes of 40 and 20: 50 fits in neither */
	cr_expect_eq(row_ranges__alloc(r, 50, &d), -ENOSPC);
	cr_assert_eq(row_ranges__release(r, b, 40), 0);
	cr_expect_eq(row_ranges__used(r), 0);
	cr_assert_eq(row_ranges__alloc(r, 100, &d), 0);
	cr_expect_eq(d, 0);
	row_ranges__free(r);
}

Test(row_ranges, first_fit_reuses_the_lowest_hole_that_is_long_enough)
{
	struct row_ranges *r = row_ranges__new(100);
	uint32_t a, b, c, d;

	cr_assert_eq(row_ranges__alloc(r, 10, &a), 0);
	cr_assert_eq(row_ranges__alloc(r, 30, &b), 0);
	cr_assert_eq(row_ranges__alloc(r, 10, &c), 0);
	cr_assert_eq(row_ranges__release(r, a, 10), 0);
	cr_assert_eq(row_ranges__release(r, b + 10, 20), 0);	/* a hole inside b's old range */
	cr_assert_eq(row_ranges__alloc(r, 15, &d), 0);
	cr_expect_eq(d, b + 10);
	cr_assert_eq(row_ranges__alloc(r, 5, &d), 0);
	cr_expect_eq(d, 0);
	row_ranges__free(r);
}
