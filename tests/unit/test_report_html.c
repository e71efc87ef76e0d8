// SPDX-License-Identifier: GPL-2.0
/* The HTML report: the page around the JSON report, escaped so that data stays data. */
#include "report_fixture.h"
#include "output/report_html.h"
#include "output/report_json.h"

#define DATA_OPEN "<script id=\"report-data\" type=\"application/json\">"

/* Occurrences of needle in s. */
static int count_of(const char *s, const char *needle)
{
	int n = 0;

	for (; (s = strstr(s, needle)); s += strlen(needle))
		n++;
	return n;
}

/* The page for json, as text (caller frees). */
static char *page_of(const char *json)
{
	struct fx_buf b;

	cr_assert_eq(report_html__from_json(fx_buf_open(&b), json, strlen(json)), 0);
	return strdup(fx_buf_text(&b));
}

/* What the page holds as its data: from after DATA_OPEN up to the next "</script>". */
static char *data_of(const char *page)
{
	const char *start = strstr(page, DATA_OPEN), *end;

	cr_assert_not_null(start, "no data element in the page");
	start += strlen(DATA_OPEN);
	end = strstr(start, "</script>");
	cr_assert_not_null(end);
	return strndup(start, end - start);
}

Test(report_html, markup_in_a_name_cannot_end_the_data_element)
{
	const char *json = "{\"comm\":\"</script><script>alert(1)</script><!--&amp;\"}";
	char *page = page_of(json), *data = data_of(page);

	cr_assert_str_eq(data, "{\"comm\":\"\\u003c/script\\u003e\\u003cscript\\u003ealert(1)"
			 "\\u003c/script\\u003e\\u003c!--\\u0026amp;\"}");
	cr_assert_eq(count_of(page, "</script"), 2, "only the page's own two script ends");
	free(data);
	data = page_of("{}");
	cr_assert_eq(count_of(page, "<!--"), count_of(data, "<!--"), "no comment opened");
	free(data);
	free(page);
}

Test(report_html, other_bytes_and_escapes_of_the_data_pass_unchanged)
{
	const char *json = "{\"s\":\"\\\\u003c \\\"q\\\" \\u0001 gr\xc3\xbc\xc3\x9f\",\"n\":1.5}";
	char *page = page_of(json), *data = data_of(page);

	cr_assert_str_eq(data, json);
	free(data);
	free(page);
}

Test(report_html, the_page_is_whole_around_the_data)
{
	char *page = page_of("{}");

	cr_assert(!strncmp(page, "<!DOCTYPE html>", 15));
	cr_assert(strstr(page, DATA_OPEN "{}</script>"));
	cr_assert(strstr(page, "</html>\n"));
	cr_assert_eq(count_of(page, "@MEMVIGIL_REPORT_JSON@"), 0, "the marker is replaced");
	cr_assert_eq(count_of(page, "http://") + count_of(page, "https://"),
		     count_of(page, "http://www.w3.org/2000/svg"), "no address but SVG's namespace");
	free(page);
}

/*
 * json as report_html.h says the page holds it: the whitespace between
 * tokens dropped, '<', '>' and '&' escaped (caller frees). The test's own
 * oracle: strings are found by their quotes, a backslash escapes one byte.
 */
static char *as_data(const char *json)
{
	char *out = malloc(6 * strlen(json) + 1), *o = out;
	bool in_string = false;

	for (; *json; json++) {
		if (!in_string && strchr(" \t\r\n", *json))
			continue;
		if (in_string && *json == '\\') {
			*o++ = *json++;
		} else if (*json == '"') {
			in_string = !in_string;
		}
		o += *json == '<' ? sprintf(o, "\\u003c") : *json == '>' ? sprintf(o, "\\u003e") :
		     *json == '&' ? sprintf(o, "\\u0026") : sprintf(o, "%c", *json);
	}
	*o = '\0';
	return out;
}

Test(report_html, whitespace_between_tokens_is_dropped_and_kept_in_strings)
{
	char *page = page_of("{ \"a b\" : \"x \\\" \\\\\" ,\n\t\"n\": [1, 2.5 ]\r\n}\n");
	char *data = data_of(page);

	cr_assert_str_eq(data, "{\"a b\":\"x \\\" \\\\\",\"n\":[1,2.5]}");
	free(data);
	free(page);
}

Test(report_html, the_document_embeds_the_json_report_of_the_same_context)
{
	struct fixture f;
	struct report_ctx ctx;
	struct fx_buf jb, hb;
	char *data, *json, *want;

	fixture__exact(&f);
	fixture__ctx(&f, &ctx);
	cr_assert_eq(report_json__document(fx_buf_open(&jb), &ctx), 0);
	json = strdup(fx_buf_text(&jb));
	cr_assert_eq(report_html__document(fx_buf_open(&hb), &ctx), 0);
	data = data_of(fx_buf_text(&hb));
	want = as_data(json);
	cr_assert(strchr(json, '<'), "the fixture's C++ name holds a '<'");
	cr_assert_str_eq(data, want);
	free(want);
	free(data);
	free(json);
	free(jb.text);
	free(hb.text);
	fixture__free(&f);
}
