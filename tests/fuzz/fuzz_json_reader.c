// SPDX-License-Identifier: GPL-2.0
/*
 * The JSON reader of memvigil diff: any text either parses into a tree whose
 * strings and members can be walked, or is refused with a reason.
 */
#include "fuzz_input.h"
#include "lib/json_reader.h"

/* Walk v: every string is NUL-terminated, every object has a key per item. */
static size_t walk(const struct json_value *v, int depth)
{
	size_t n = 1, i;

	FUZZ_CHECK(depth <= JSON_READER_MAX_DEPTH + 1);
	if (v->type == JSON_STRING)
		n += strlen(v->string);
	for (i = 0; i < v->cnt; i++) {
		if (v->type == JSON_OBJECT)
			FUZZ_CHECK(json_reader__get(v, v->keys[i]) != NULL);
		n += walk(&v->items[i], depth + 1);
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_input__string(data, size), err[256] = "";
	struct json_value *v = json_reader__parse(text, size, err, sizeof(err));

	if (v)
		walk(v, 0);
	else
		FUZZ_CHECK(err[0]);
	json_reader__free(v);
	free(text);
	return 0;
}
