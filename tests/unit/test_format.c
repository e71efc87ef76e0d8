// SPDX-License-Identifier: GPL-2.0
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
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

/* format_wrap of text from col into a string (static buffer). */
static const char *wrapped(const char *text, size_t col, size_t cols)
{
	static char buf[1024];
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	format_wrap(f, text, col, cols, "    ");
	fclose(f);
	return buf;
}

Test(format, wrap_breaks_at_spaces_and_indents_the_lines_after)
{
	cr_assert_str_eq(wrapped("one two three four", 2, 14), "one two\n    three four\n");
	cr_assert_str_eq(wrapped("fits", 0, 100), "fits\n");
}

Test(format, wrap_never_passes_the_width_and_cuts_a_longer_word)
{
	const char *s = wrapped("a abcdefghijklmnopqrstuvwxyz b", 0, 10), *line = s;
	size_t n;

	while (*line) {
		n = strcspn(line, "\n");
		cr_assert_leq(n, 10, "line too long in %s", s);
		line += n + (line[n] == '\n');
	}
	cr_assert_str_eq(s, "a\n    abcdef\n    ghijkl\n    mnopqr\n    stuvwx\n    yz b\n");
}

Test(format, wrap_counts_a_utf8_character_as_one_column)
{
	cr_assert_str_eq(wrapped("\xc3\xa9\xc3\xa9\xc3\xa9 \xc3\xa9\xc3\xa9", 0, 6),
			 "\xc3\xa9\xc3\xa9\xc3\xa9 \xc3\xa9\xc3\xa9\n");
}
