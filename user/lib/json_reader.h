/* SPDX-License-Identifier: GPL-2.0 */
/*
 * json_reader: a JSON text parsed into a tree of values, for the commands
 * that read reports memvigil wrote (memvigil diff). Strict RFC 8259 with a
 * nesting limit; strings are UTF-8 with their escapes decoded. Pure.
 */
#ifndef MV_JSON_READER_H
#define MV_JSON_READER_H

#include <stdbool.h>
#include <stddef.h>

#define JSON_READER_MAX_DEPTH 64

enum json_type {
	JSON_NULL,
	JSON_BOOL,
	JSON_NUMBER,
	JSON_STRING,
	JSON_ARRAY,
	JSON_OBJECT,
};

struct json_value {
	enum json_type type;
	bool boolean;
	double number;
	char *string;			/* JSON_STRING, NUL-terminated (an embedded \u0000 ends it) */
	struct json_value *items;	/* JSON_ARRAY's items, JSON_OBJECT's values */
	char **keys;			/* JSON_OBJECT's keys, one per item */
	size_t cnt;
};

/*
 * Parse text[0..len) (one value, white space around it). NULL on bad input,
 * with the reason and the byte offset in err, or on ENOMEM.
 */
struct json_value *json_reader__parse(const char *text, size_t len, char *err, size_t err_len);

/* obj's member key (the first of that name), or NULL (also when obj is no object). */
const struct json_value *json_reader__get(const struct json_value *obj, const char *key);

/* The number of v, or dflt when v is NULL or not a number. */
double json_reader__number(const struct json_value *v, double dflt);

/* The string of v, or NULL when v is NULL or not a string. */
const char *json_reader__string(const struct json_value *v);

void json_reader__free(struct json_value *v);

#endif
