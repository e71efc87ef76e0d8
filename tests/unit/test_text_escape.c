// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>
#include "text_escape.h"
#include "utf8.h"

/* The escaped form of s, from text_escape__copy into a buffer that holds it all. */
static const char *esc(const char *s)
{
	static char buf[1024];

	cr_assert_eq(text_escape__copy(buf, sizeof(buf), s), 0);
	return buf;
}

Test(text_escape, printable_ascii_is_unchanged)
{
	cr_assert_str_eq(esc("leak_malloc ~!@#$%^&*()[]{}<>=+-/|'\"`"),
			 "leak_malloc ~!@#$%^&*()[]{}<>=+-/|'\"`");
}

Test(text_escape, empty_string_and_null_give_the_empty_string)
{
	char buf[4] = "xyz";

	cr_assert_str_eq(esc(""), "");
	cr_assert_eq(text_escape__copy(buf, sizeof(buf), NULL), 0);
	cr_assert_str_eq(buf, "");
}

Test(text_escape, control_bytes_newline_tab_cr_and_del_are_hex)
{
	cr_assert_str_eq(esc("a\nb\tc\rd\x7f" "e\x01\x1f"),
			 "a\\x0ab\\x09c\\x0dd\\x7fe\\x01\\x1f");
}

Test(text_escape, terminal_escape_sequences_lose_their_esc_and_bel)
{
	cr_assert_str_eq(esc("\x1b]0;pwned\x07"), "\\x1b]0;pwned\\x07");
	cr_assert_str_eq(esc("ev\r\x1b[2Kil"), "ev\\x0d\\x1b[2Kil");
}

Test(text_escape, forged_report_lines_stay_on_one_line)
{
	cr_assert_str_eq(esc("f\n=== final report\nPID 1 (sshd)"),
			 "f\\x0a=== final report\\x0aPID 1 (sshd)");
}

Test(text_escape, backslash_is_doubled_so_the_form_reads_back_unambiguously)
{
	cr_assert_str_eq(esc("a\\x1b"), "a\\\\x1b");
	cr_assert_str_eq(esc("\\"), "\\\\");
}

Test(text_escape, valid_multibyte_utf8_passes_through)
{
	cr_assert_str_eq(esc("gr\xc3\xbc\xc3\x9f"), "gr\xc3\xbc\xc3\x9f");		/* grüß */
	cr_assert_str_eq(esc("\xe6\x97\xa5\xe6\x9c\xac"), "\xe6\x97\xa5\xe6\x9c\xac");	/* 日本 */
	cr_assert_str_eq(esc("\xf0\x9f\x90\x9b"), "\xf0\x9f\x90\x9b");		/* U+1F41B */
	cr_assert_str_eq(esc("\xc2\xa0\xf4\x8f\xbf\xbf"), "\xc2\xa0\xf4\x8f\xbf\xbf");
}

Test(text_escape, c1_control_characters_are_hex)
{
	cr_assert_str_eq(esc("a\xc2\x9b" "31m"), "a\\xc2\\x9b31m");	/* U+009B, CSI */
	cr_assert_str_eq(esc("\xc2\x80"), "\\xc2\\x80");
}

Test(text_escape, each_byte_of_invalid_utf8_is_hex)
{
	cr_assert_str_eq(esc("\xc0\xaf"), "\\xc0\\xaf");			/* overlong '/' */
	cr_assert_str_eq(esc("\xe0\x80\xaf"), "\\xe0\\x80\\xaf");		/* overlong */
	cr_assert_str_eq(esc("\xed\xa0\x80"), "\\xed\\xa0\\x80");		/* surrogate */
	cr_assert_str_eq(esc("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80");	/* > U+10FFFF */
	cr_assert_str_eq(esc("\xff\xfe"), "\\xff\\xfe");
	cr_assert_str_eq(esc("\x80" "a"), "\\x80a");				/* stray */
}

Test(text_escape, sequence_cut_short_is_hex_and_what_follows_is_kept)
{
	cr_assert_str_eq(esc("\xe6\x97"), "\\xe6\\x97");
	cr_assert_str_eq(esc("\xf0\x9f\x90" "A\xc3\xbc"), "\\xf0\\x9f\\x90A\xc3\xbc");
}

Test(text_escape, escaped_form_has_no_control_byte_and_is_valid_utf8)
{
	char in[256], out[TEXT_ESCAPE_SIZE(255)];
	size_t len, bad;
	int i;

	for (i = 0; i < 255; i++)
		in[i] = (char)(i + 1);
	in[255] = '\0';
	cr_assert_eq(text_escape__copy(out, sizeof(out), in), 0);
	for (i = 0; out[i]; i++)
		cr_assert((unsigned char)out[i] >= 0x20 && out[i] != 0x7f, "byte %d is %#x", i,
			  (unsigned char)out[i]);
	cr_assert_eq(strlen(out), 0x1f * 4 + (0x7e - 0x20) + 2 + 1 * 4 + 0x80 * 4);
	for (i = 0; out[i]; i += len) {
		len = utf8__valid_len(out + i, &bad);
		cr_assert(len, "invalid UTF-8 at byte %d", i);
	}
}

Test(text_escape, truncation_never_cuts_an_escape)
{
	char buf[8];

	/* "ab\x1b" escapes to "ab\\x1b" (6 bytes): 5 bytes of room keep "ab" */
	cr_assert_eq(text_escape__copy(buf, 6, "ab\x1b"), -ENOSPC);
	cr_assert_str_eq(buf, "ab");
	cr_assert_eq(text_escape__copy(buf, 7, "ab\x1b"), 0);
	cr_assert_str_eq(buf, "ab\\x1b");
	cr_assert_eq(text_escape__copy(buf, 3, "a\\b"), -ENOSPC);
	cr_assert_str_eq(buf, "a");
}

Test(text_escape, truncation_never_cuts_a_utf8_character)
{
	char buf[8];

	cr_assert_eq(text_escape__copy(buf, 6, "ab\xf0\x9f\x90\x9b"), -ENOSPC);
	cr_assert_str_eq(buf, "ab");
	cr_assert_eq(text_escape__copy(buf, 7, "ab\xf0\x9f\x90\x9b"), 0);
	cr_assert_str_eq(buf, "ab\xf0\x9f\x90\x9b");
}

Test(text_escape, truncation_keeps_the_nul_and_reports_enospc)
{
	char buf[4];

	cr_assert_eq(text_escape__copy(buf, sizeof(buf), "abcdef"), -ENOSPC);
	cr_assert_str_eq(buf, "abc");
	cr_assert_eq(text_escape__copy(buf, 1, "abc"), -ENOSPC);
	cr_assert_str_eq(buf, "");
	cr_assert_eq(text_escape__copy(buf, sizeof(buf), "abc"), 0);
}

Test(text_escape, no_buffer_is_einval)
{
	char buf[1] = { 'x' };

	cr_assert_eq(text_escape__copy(NULL, 8, "a"), -EINVAL);
	cr_assert_eq(text_escape__copy(buf, 0, "a"), -EINVAL);
	cr_assert_eq(buf[0], 'x');
}

Test(text_escape, size_macro_holds_the_worst_case)
{
	char buf[TEXT_ESCAPE_SIZE(16)];

	cr_assert_eq(text_escape__copy(buf, sizeof(buf), "\x1b\x1b\x1b\x1b\x1b\x1b\x1b\x1b"
				       "\x1b\x1b\x1b\x1b\x1b\x1b\x1b\x1b"), 0);
	cr_assert_eq(strlen(buf), 64);
}

/* What text_escape__fputs writes for s. */
static char *fputs_of(const char *s)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	cr_assert_not_null(f);
	cr_assert_eq(text_escape__fputs(f, s), 0);
	cr_assert_eq(fclose(f), 0);
	return text;
}

Test(text_escape, fputs_writes_what_copy_gives)
{
	static const char *const cases[] = {
		"", "plain", "a\\b", "\x1b]0;pwned\x07\n=== final report\nPID 1 (sshd)",
		"\xe6\x97\xa5\xf0\x9f\x90\x9b\xc3\xbc", "\xc2\x9b\xed\xa0\x80\xff\x7f\r",
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *text = fputs_of(cases[i]);

		cr_assert_str_eq(text, esc(cases[i]), "case %zu", i);
		free(text);
	}
}

Test(text_escape, fputs_of_null_writes_nothing)
{
	char *text = fputs_of(NULL);

	cr_assert_str_eq(text, "");
	free(text);
}
