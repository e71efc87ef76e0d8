// SPDX-License-Identifier: GPL-2.0
#include <criterion/criterion.h>
#include "utf8.h"

static size_t len_of(const char *s, size_t *bad)
{
	return utf8__valid_len(s, bad);
}

Test(utf8, ascii_and_nul_are_one_byte)
{
	size_t bad;

	cr_assert_eq(len_of("a", &bad), 1);
	cr_assert_eq(len_of("\x1b", &bad), 1);
	cr_assert_eq(len_of("", &bad), 1);
}

Test(utf8, well_formed_sequences_have_their_length)
{
	size_t bad;

	cr_assert_eq(len_of("\xc3\xbc", &bad), 2);		/* ü */
	cr_assert_eq(len_of("\xe6\x97\xa5", &bad), 3);		/* 日 */
	cr_assert_eq(len_of("\xf0\x9f\x98\x80", &bad), 4);	/* U+1F600 */
	cr_assert_eq(len_of("\xf4\x8f\xbf\xbf", &bad), 4);	/* U+10FFFF */
	cr_assert_eq(len_of("\xc2\x80", &bad), 2);		/* U+0080 is well-formed */
}

Test(utf8, overlong_forms_are_invalid)
{
	size_t bad;

	cr_assert_eq(len_of("\xc0\xaf", &bad), 0);
	cr_assert_eq(len_of("\xc1\xbf", &bad), 0);
	cr_assert_eq(len_of("\xe0\x80\xaf", &bad), 0);
	cr_assert_eq(len_of("\xf0\x80\x80\xaf", &bad), 0);
	cr_assert_eq(bad, 1);
}

Test(utf8, surrogates_and_code_points_above_10ffff_are_invalid)
{
	size_t bad;

	cr_assert_eq(len_of("\xed\xa0\x80", &bad), 0);		/* U+D800 */
	cr_assert_eq(len_of("\xed\xbf\xbf", &bad), 0);		/* U+DFFF */
	cr_assert_eq(len_of("\xf4\x90\x80\x80", &bad), 0);	/* U+110000 */
	cr_assert_eq(len_of("\xf5\x80\x80\x80", &bad), 0);
	cr_assert_eq(len_of("\xff", &bad), 0);
}

Test(utf8, sequence_cut_short_gives_its_maximal_invalid_prefix)
{
	size_t bad;

	cr_assert_eq(len_of("\xe6\x97", &bad), 0);
	cr_assert_eq(bad, 2);
	cr_assert_eq(len_of("\xf0\x9f\x98" "A", &bad), 0);
	cr_assert_eq(bad, 3);
	cr_assert_eq(len_of("\xc3", &bad), 0);
	cr_assert_eq(bad, 1);
	cr_assert_eq(len_of("\x80", &bad), 0);			/* stray continuation */
	cr_assert_eq(bad, 1);
}
