// SPDX-License-Identifier: GPL-2.0
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include "lib/json_writer.h"

#define PYTHON "/usr/bin/python3"

/* A writer on an in-memory FILE; text() is what it wrote so far. */
struct sink {
	char *buf;
	size_t len;
	FILE *f;
	struct json_writer *w;
};

static void sink_open(struct sink *s, bool pretty)
{
	s->buf = NULL;
	s->len = 0;
	s->f = open_memstream(&s->buf, &s->len);
	cr_assert_not_null(s->f);
	s->w = json_writer__new(s->f, pretty);
	cr_assert_not_null(s->w);
}

static const char *sink_text(struct sink *s)
{
	cr_assert_eq(fflush(s->f), 0);
	return s->buf;
}

static void sink_close(struct sink *s)
{
	json_writer__free(s->w);
	fclose(s->f);
	free(s->buf);
}

/* Finish must succeed and the output must be exactly expect. */
static void expect_document(struct sink *s, const char *expect)
{
	cr_assert_eq(json_writer__finish(s->w), 0);
	cr_assert_str_eq(sink_text(s), expect);
}

/* One string value as a whole document. */
static void expect_string(const char *in, const char *expect)
{
	struct sink s;

	sink_open(&s, false);
	json_string(s.w, in);
	expect_document(&s, expect);
	sink_close(&s);
}

static void expect_double(double in, const char *expect)
{
	struct sink s;

	sink_open(&s, false);
	json_double(s.w, in);
	expect_document(&s, expect);
	sink_close(&s);
}

/* The report's shape in miniature, with awkward strings in it. */
static void write_nested(struct json_writer *w)
{
	json_object_begin(w);
	json_key(w, "version");
	json_u64(w, 1);
	json_key(w, "comm");
	json_string(w, "a\x01\n\t\"\\\x7f" "b");
	json_key(w, "exe");
	json_string(w, "/tmp/x\xff\xc3(y");
	json_key(w, "empty_obj");
	json_object_begin(w);
	json_object_end(w);
	json_key(w, "empty_arr");
	json_array_begin(w);
	json_array_end(w);
	json_key(w, "stacks");
	json_array_begin(w);
	json_object_begin(w);
	json_key(w, "bytes");
	json_u64(w, UINT64_MAX);
	json_key(w, "delta");
	json_i64(w, INT64_MIN);
	json_key(w, "age_s");
	json_double(w, 0.25);
	json_key(w, "bad");
	json_double(w, NAN);
	json_key(w, "frames");
	json_array_begin(w);
	json_string(w, "main");
	json_null(w);
	json_bool(w, true);
	json_bool(w, false);
	json_array_end(w);
	json_object_end(w);
	json_array_end(w);
	json_object_end(w);
}

/* Run python on the document; its exit status says whether the checks held. */
static int python_status(const char *script, const char *doc)
{
	char cmd[1024];
	FILE *p;
	int st;

	snprintf(cmd, sizeof(cmd), "%s -c '%s'", PYTHON, script);
	p = popen(cmd, "w");
	cr_assert_not_null(p, "cannot run %s", PYTHON);
	fputs(doc, p);
	st = pclose(p);
	cr_assert(WIFEXITED(st), "python did not exit normally");
	return WEXITSTATUS(st);
}

/* Decoded by a real JSON parser, the awkward strings come back as written. */
static const char nested_check[] =
	"import json, sys\n"
	"d = json.load(sys.stdin)\n"
	"ok = (d[\"comm\"] == \"a\\x01\\n\\t\\\"\\\\\\x7fb\"\n"
	"      and d[\"exe\"] == \"/tmp/x\\ufffd\\ufffd(y\"\n"
	"      and d[\"empty_obj\"] == {} and d[\"empty_arr\"] == []\n"
	"      and d[\"stacks\"][0][\"bytes\"] == 2**64 - 1\n"
	"      and d[\"stacks\"][0][\"delta\"] == -2**63\n"
	"      and d[\"stacks\"][0][\"age_s\"] == 0.25\n"
	"      and d[\"stacks\"][0][\"bad\"] is None\n"
	"      and d[\"stacks\"][0][\"frames\"] == [\"main\", None, True, False])\n"
	"sys.exit(0 if ok else 3)\n";

Test(json_writer, compact_output_puts_commas_between_members_only)
{
	struct sink s;

	sink_open(&s, false);
	json_object_begin(s.w);
	json_key(s.w, "a");
	json_u64(s.w, 1);
	json_key(s.w, "b");
	json_array_begin(s.w);
	json_u64(s.w, 2);
	json_object_begin(s.w);
	json_key(s.w, "c");
	json_null(s.w);
	json_object_end(s.w);
	json_array_begin(s.w);
	json_array_end(s.w);
	json_array_end(s.w);
	json_key(s.w, "d");
	json_bool(s.w, false);
	json_object_end(s.w);
	expect_document(&s, "{\"a\":1,\"b\":[2,{\"c\":null},[]],\"d\":false}");
	sink_close(&s);
}

Test(json_writer, field_helpers_write_a_key_and_its_value_in_one_call)
{
	struct sink s;

	sink_open(&s, false);
	json_object_begin(s.w);
	json_string_field(s.w, "s", "x\"y");
	json_string_field(s.w, "ns", NULL);
	json_u64_field(s.w, "u", UINT64_MAX);
	json_i64_field(s.w, "i", -3);
	json_double_field(s.w, "d", 0.5);
	json_double_field(s.w, "nan", NAN);
	json_bool_field(s.w, "b", true);
	json_null_field(s.w, "n");
	json_u64_or_null_field(s.w, "u1", true, 7);
	json_u64_or_null_field(s.w, "u0", false, 7);
	json_i64_or_null_field(s.w, "i1", true, -7);
	json_i64_or_null_field(s.w, "i0", false, -7);
	json_object_field_begin(s.w, "o");
	json_u64_field(s.w, "k", 1);
	json_object_end(s.w);
	json_array_field_begin(s.w, "a");
	json_u64(s.w, 2);
	json_array_end(s.w);
	json_object_end(s.w);
	expect_document(&s, "{\"s\":\"x\\\"y\",\"ns\":null,\"u\":18446744073709551615,"
			    "\"i\":-3,\"d\":0.5,\"nan\":null,\"b\":true,\"n\":null,"
			    "\"u1\":7,\"u0\":null,\"i1\":-7,\"i0\":null,"
			    "\"o\":{\"k\":1},\"a\":[2]}");
	sink_close(&s);
}

Test(json_writer, field_helper_outside_an_object_is_reported_by_finish)
{
	struct sink s;

	sink_open(&s, false);
	json_array_begin(s.w);
	json_u64_field(s.w, "k", 1);
	json_array_end(s.w);
	cr_assert_eq(json_writer__finish(s.w), -EINVAL);
	sink_close(&s);
}

Test(json_writer, pretty_output_indents_two_spaces_per_level)
{
	struct sink s;

	sink_open(&s, true);
	json_object_begin(s.w);
	json_key(s.w, "a");
	json_u64(s.w, 1);
	json_key(s.w, "b");
	json_array_begin(s.w);
	json_u64(s.w, 2);
	json_object_begin(s.w);
	json_key(s.w, "c");
	json_null(s.w);
	json_object_end(s.w);
	json_array_end(s.w);
	json_object_end(s.w);
	expect_document(&s,
			"{\n"
			"  \"a\": 1,\n"
			"  \"b\": [\n"
			"    2,\n"
			"    {\n"
			"      \"c\": null\n"
			"    }\n"
			"  ]\n"
			"}");
	sink_close(&s);
}

Test(json_writer, empty_object_and_array_have_no_inner_whitespace_even_when_pretty)
{
	struct sink s;

	sink_open(&s, true);
	json_object_begin(s.w);
	json_key(s.w, "o");
	json_object_begin(s.w);
	json_object_end(s.w);
	json_key(s.w, "a");
	json_array_begin(s.w);
	json_array_end(s.w);
	json_object_end(s.w);
	expect_document(&s, "{\n  \"o\": {},\n  \"a\": []\n}");
	sink_close(&s);
}

Test(json_writer, empty_top_level_containers_are_complete_documents)
{
	struct sink s;

	sink_open(&s, false);
	json_array_begin(s.w);
	json_array_end(s.w);
	expect_document(&s, "[]");
	sink_close(&s);

	sink_open(&s, true);
	json_object_begin(s.w);
	json_object_end(s.w);
	expect_document(&s, "{}");
	sink_close(&s);
}

Test(json_writer, quote_and_backslash_are_escaped)
{
	expect_string("say \"hi\" C:\\tmp", "\"say \\\"hi\\\" C:\\\\tmp\"");
}

Test(json_writer, control_characters_are_escaped)
{
	expect_string("\b\f\n\r\t", "\"\\b\\f\\n\\r\\t\"");
	expect_string("\x01\x1b\x1f\x7f", "\"\\u0001\\u001b\\u001f\\u007f\"");
	expect_string(" ~/", "\" ~/\"");
}

Test(json_writer, keys_are_escaped_like_strings)
{
	struct sink s;

	sink_open(&s, false);
	json_object_begin(s.w);
	json_key(s.w, "k\"\n\xff");
	json_u64(s.w, 0);
	json_object_end(s.w);
	expect_document(&s, "{\"k\\\"\\n\xef\xbf\xbd\":0}");
	sink_close(&s);
}

Test(json_writer, valid_multibyte_utf8_is_copied_verbatim)
{
	/* 2, 3 and 4 byte sequences, and the largest code point U+10FFFF */
	expect_string("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf",
		      "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf\"");
}

Test(json_writer, invalid_utf8_bytes_become_replacement_characters)
{
#define FFFD "\xef\xbf\xbd"
	/* stray continuation byte and a byte that never occurs in UTF-8 */
	expect_string("a\x80" "b\xff" "c", "\"a" FFFD "b" FFFD "c\"");
	/* overlong encodings of '/' */
	expect_string("\xc0\xaf|\xe0\x80\xaf", "\"" FFFD FFFD "|" FFFD FFFD FFFD "\"");
	/* UTF-16 surrogate U+D800 and U+110000, beyond Unicode */
	expect_string("\xed\xa0\x80|\xf4\x90\x80\x80",
		      "\"" FFFD FFFD FFFD "|" FFFD FFFD FFFD FFFD "\"");
	/* a truncated sequence is one replacement, and the next byte survives */
	expect_string("\xe2\x82" "A\xf0\x9f\x98", "\"" FFFD "A" FFFD "\"");
#undef FFFD
}

Test(json_writer, null_string_is_written_as_null)
{
	expect_string(NULL, "null");
}

Test(json_writer, u64_max_is_written_in_full)
{
	struct sink s;

	sink_open(&s, false);
	json_u64(s.w, UINT64_MAX);
	expect_document(&s, "18446744073709551615");
	sink_close(&s);
}

Test(json_writer, negative_i64_keeps_its_sign_down_to_the_minimum)
{
	struct sink s;

	sink_open(&s, false);
	json_array_begin(s.w);
	json_i64(s.w, -1);
	json_i64(s.w, INT64_MIN);
	json_i64(s.w, INT64_MAX);
	json_array_end(s.w);
	expect_document(&s, "[-1,-9223372036854775808,9223372036854775807]");
	sink_close(&s);
}

Test(json_writer, doubles_keep_fifteen_significant_digits)
{
	expect_double(0.1, "0.1");
	expect_double(12.5, "12.5");
	expect_double(-3.0, "-3");
	expect_double(1.0 / 3.0, "0.333333333333333");
	expect_double(123456789012345.0, "123456789012345");
	expect_double(1e20, "1e+20");
	expect_double(1.5e-7, "1.5e-07");
}

Test(json_writer, nan_and_infinities_are_written_as_null)
{
	struct sink s;

	sink_open(&s, false);
	json_array_begin(s.w);
	json_double(s.w, NAN);
	json_double(s.w, INFINITY);
	json_double(s.w, -INFINITY);
	json_array_end(s.w);
	expect_document(&s, "[null,null,null]");
	sink_close(&s);
}

Test(json_writer, unbalanced_end_is_reported_by_finish)
{
	struct sink s;

	sink_open(&s, false);
	json_object_begin(s.w);
	json_object_end(s.w);
	json_object_end(s.w);
	cr_assert_eq(json_writer__finish(s.w), -EINVAL);
	cr_assert_str_eq(sink_text(&s), "{}");
	sink_close(&s);
}

Test(json_writer, end_of_the_wrong_kind_is_reported_by_finish)
{
	struct sink s;

	sink_open(&s, false);
	json_object_begin(s.w);
	json_array_end(s.w);
	cr_assert_eq(json_writer__finish(s.w), -EINVAL);
	sink_close(&s);
}

Test(json_writer, unclosed_containers_are_reported_by_finish)
{
	struct sink s;

	sink_open(&s, false);
	json_array_begin(s.w);
	json_object_begin(s.w);
	json_object_end(s.w);
	cr_assert_eq(json_writer__finish(s.w), -EINVAL);
	sink_close(&s);
}

Test(json_writer, key_without_value_is_reported_by_finish)
{
	struct sink s;

	sink_open(&s, false);
	json_object_begin(s.w);
	json_key(s.w, "k");
	json_object_end(s.w);
	cr_assert_eq(json_writer__finish(s.w), -EINVAL);
	sink_close(&s);
}

Test(json_writer, value_in_object_without_key_is_reported_by_finish)
{
	struct sink s;

	sink_open(&s, false);
	json_object_begin(s.w);
	json_u64(s.w, 1);
	json_object_end(s.w);
	cr_assert_eq(json_writer__finish(s.w), -EINVAL);
	sink_close(&s);
}

Test(json_writer, key_in_array_or_at_top_level_is_reported_by_finish)
{
	struct sink s;

	sink_open(&s, false);
	json_array_begin(s.w);
	json_key(s.w, "k");
	json_array_end(s.w);
	cr_assert_eq(json_writer__finish(s.w), -EINVAL);
	sink_close(&s);

	sink_open(&s, false);
	json_key(s.w, "k");
	cr_assert_eq(json_writer__finish(s.w), -EINVAL);
	sink_close(&s);
}

Test(json_writer, second_top_level_value_is_reported_by_finish)
{
	struct sink s;

	sink_open(&s, false);
	json_object_begin(s.w);
	json_object_end(s.w);
	json_u64(s.w, 1);
	cr_assert_eq(json_writer__finish(s.w), -EINVAL);
	cr_assert_str_eq(sink_text(&s), "{}");
	sink_close(&s);
}

Test(json_writer, empty_document_is_reported_by_finish)
{
	struct sink s;

	sink_open(&s, false);
	cr_assert_eq(json_writer__finish(s.w), -EINVAL);
	sink_close(&s);
}

Test(json_writer, thirty_two_levels_nest_and_the_thirty_third_is_an_error)
{
	struct sink s;
	int i;

	sink_open(&s, false);
	for (i = 0; i < 32; i++)
		json_array_begin(s.w);
	for (i = 0; i < 32; i++)
		json_array_end(s.w);
	cr_assert_eq(json_writer__finish(s.w), 0);
	sink_close(&s);

	sink_open(&s, false);
	for (i = 0; i < 33; i++)
		json_array_begin(s.w);
	for (i = 0; i < 33; i++)
		json_array_end(s.w);
	cr_assert_eq(json_writer__finish(s.w), -EINVAL);
	sink_close(&s);
}

Test(json_writer, nothing_is_written_after_misuse)
{
	struct sink s;

	sink_open(&s, false);
	json_array_begin(s.w);
	json_u64(s.w, 1);
	json_object_end(s.w);
	json_u64(s.w, 2);
	json_array_end(s.w);
	cr_assert_eq(json_writer__finish(s.w), -EINVAL);
	cr_assert_str_eq(sink_text(&s), "[1");
	sink_close(&s);
}

Test(json_writer, write_failure_is_reported_by_finish_with_the_streams_errno)
{
	struct json_writer *w;
	FILE *f = fopen("/dev/full", "w");

	cr_assert_not_null(f, "cannot open /dev/full");
	w = json_writer__new(f, false);
	cr_assert_not_null(w);
	json_string(w, "no space left");
	cr_assert_eq(json_writer__finish(w), -ENOSPC, "a full disk must say so, not EINVAL");
	json_writer__free(w);
	fclose(f);
}

Test(json_writer, new_without_a_stream_fails_with_einval)
{
	errno = 0;
	cr_assert_null(json_writer__new(NULL, false));
	cr_assert_eq(errno, EINVAL);
}

Test(json_writer, free_and_finish_accept_null)
{
	json_writer__free(NULL);
	cr_assert_eq(json_writer__finish(NULL), -EINVAL);
}

Test(json_writer, nested_compact_document_parses_with_python_json)
{
	struct sink s;

	sink_open(&s, false);
	write_nested(s.w);
	cr_assert_eq(json_writer__finish(s.w), 0);
	cr_assert_eq(python_status(nested_check, sink_text(&s)), 0,
		     "python rejected or misread:\n%s", sink_text(&s));
	sink_close(&s);
}

Test(json_writer, nested_pretty_document_parses_with_python_json)
{
	struct sink s;

	sink_open(&s, true);
	write_nested(s.w);
	cr_assert_eq(json_writer__finish(s.w), 0);
	cr_assert_eq(python_status(nested_check, sink_text(&s)), 0,
		     "python rejected or misread:\n%s", sink_text(&s));
	sink_close(&s);
}

Test(json_writer, python_check_rejects_a_broken_document)
{
	/* The validity tests above would prove nothing if this passed. */
	static const char parse_only[] =
		"import json, sys\n"
		"try:\n"
		"    json.load(sys.stdin)\n"
		"except ValueError:\n"
		"    sys.exit(4)\n";

	cr_assert_eq(python_status(parse_only, "{\"a\":1,}"), 4);
	cr_assert_eq(python_status(parse_only, "{\"a\":1}"), 0);
}
