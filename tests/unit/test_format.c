// SPDX-License-Identifier: GPL-2.0
#include <criterion/criterion.h>
#include "lib/format.h"

Test(format, bytes_use_binary_units)
{
	char b[32];

	cr_assert_str_eq(format_bytes(0, b, sizeof(b)), "0 B");
	cr_assert_str_eq(format_bytes(1023, b, sizeof(b)), "1023 B");
	cr_assert_str_eq(format_bytes(1024, b, sizeof(b)), "1.0 KiB");
	cr_assert_str_eq(format_bytes(151552, b, sizeof(b)), "148.0 KiB");
	cr_assert_str_eq(format_bytes(3ull << 30, b, sizeof(b)), "3.0 GiB");
}

Test(format, ages_pick_a_readable_unit)
{
	char b[32];

	cr_assert_str_eq(format_age_ms(950, b, sizeof(b)), "950ms");
	cr_assert_str_eq(format_age_ms(2900, b, sizeof(b)), "2.9s");
	cr_assert_str_eq(format_age_ms(245000, b, sizeof(b)), "4m05s");
	cr_assert_str_eq(format_age_ms(3 * 3600000 + 12 * 60000, b, sizeof(b)), "3h12m");
}

Test(format, a_count_of_one_takes_the_singular)
{
	cr_assert_str_eq(format_plural(1), "");
	cr_assert_str_eq(format_plural(0), "s");
	cr_assert_str_eq(format_plural(2), "s");
}
