// SPDX-License-Identifier: GPL-2.0
#include <criterion/criterion.h>
#include <string.h>
#include "lib/json_reader.h"

static struct json_value *parse(const char *text)
{
	char err[128];

	return json_reader__parse(text, strlen(text), err, sizeof(err));
}

Test(json_reader, a_report_shaped_document_reads_back)
{
	struct json_value *v = parse(" {\"processes\": [{\"pid\": 42, \"comm\": \"a\\tb\\u00e9\\ud83d\\ude00\","
				     " \"ok\": true, \"none\": null, \"x\": -1.5e2}], \"e\": {}} ");
	const struct json_value *p;

	cr_assert_not_null(v);
	p = json_reader__get(v, "processes");
	cr_assert_eq(p->type, JSON_ARRAY);
	cr_assert_eq(p->cnt, 1);
	p = &p->items[0];
	cr_assert_eq(json_reader__number(json_reader__get(p, "pid"), 0), 42);
	cr_assert_str_eq(json_reader__string(json_reader__get(p, "comm")),
			 "a\tb\xc3\xa9\xf0\x9f\x98\x80");
	cr_assert_eq(json_reader__get(p, "ok")->boolean, true);
	cr_assert_eq(json_reader__get(p, "none")->type, JSON_NULL);
	cr_assert_eq(json_reader__number(json_reader__get(p, "x"), 0), -150);
	cr_assert_null(json_reader__get(p, "missing"));
	cr_assert_eq(json_reader__get(v, "e")->cnt, 0);
	json_reader__free(v);
}

Test(json_reader, malformed_text_is_refused_with_where)
{
	const char *bad[] = { "", "{", "[1,]", "{\"a\" 1}", "01", "1.", "\"\\x\"", "\"\\ud800\"",
			      "tru", "{} x", "\"a\nb\"", "[1 2]", "-", "{\"a\":}" };
	char err[128];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		cr_assert_null(json_reader__parse(bad[i], strlen(bad[i]), err, sizeof(err)),
			       "accepted %s", bad[i]);
		cr_assert(strstr(err, " at byte "), "%s: %s", bad[i], err);
	}
}

Test(json_reader, nesting_is_bounded)
{
	char deep[2 * JSON_READER_MAX_DEPTH + 3];
	struct json_value *v;

	memset(deep, '[', JSON_READER_MAX_DEPTH + 1);
	memset(deep + JSON_READER_MAX_DEPTH + 1, ']', JSON_READER_MAX_DEPTH + 1);
	deep[2 * JSON_READER_MAX_DEPTH + 2] = '\0';
	cr_assert_null(parse(deep));
	deep[JSON_READER_MAX_DEPTH] = ' ';
	deep[JSON_READER_MAX_DEPTH + 1] = ' ';
	v = parse(deep);
	cr_assert_not_null(v);
	json_reader__free(v);
}
