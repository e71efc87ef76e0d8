// SPDX-License-Identifier: GPL-2.0
#include <criterion/criterion.h>
#include <errno.h>
#include <limits.h>
#include "lib/number.h"

Test(number, decimal_counts_up_to_the_maximum_are_read)
{
	unsigned long v = 1;

	cr_assert_eq(number__parse_uint("0", 10, &v), 0);
	cr_assert_eq(v, 0);
	cr_assert_eq(number__parse_uint("65535", 65535, &v), 0);
	cr_assert_eq(v, 65535);
	cr_assert_eq(number__parse_uint("007", 10, &v), 0);
	cr_assert_eq(v, 7);
}

Test(number, anything_but_digits_within_the_maximum_is_einval_and_leaves_out_alone)
{
	static const char *const bad[] = {
		"", " 1", "+1", "-1", "1 ", "1k", "0x10", "1.5", "11", "99999999999999999999999",
	};
	unsigned long v = 42;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(number__parse_uint(bad[i], 10, &v), -EINVAL, "'%s'", bad[i]);
	cr_assert_eq(number__parse_uint(NULL, 10, &v), -EINVAL);
	cr_assert_eq(v, 42);
	cr_assert_eq(number__parse_uint("18446744073709551615", ULONG_MAX, &v), 0);
	cr_assert_eq(v, ULONG_MAX);
}
