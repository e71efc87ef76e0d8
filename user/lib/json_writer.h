/* SPDX-License-Identifier: GPL-2.0 */
/*
 * json_writer: streaming JSON output with correct escaping and commas.
 * The writer tracks nesting; callers emit keys and values in order.
 */
#ifndef MV_JSON_WRITER_H
#define MV_JSON_WRITER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct json_writer;

/* pretty: two-space indentation and newlines; otherwise one line. */
struct json_writer *json_writer__new(FILE *out, bool pretty);
/*
 * Returns 0, -EINVAL if objects/arrays are left open, or the stream's errno
 * (-EIO if it gave none) if a write failed.
 */
int json_writer__finish(struct json_writer *w);
void json_writer__free(struct json_writer *w);

void json_object_begin(struct json_writer *w);
void json_object_end(struct json_writer *w);
void json_array_begin(struct json_writer *w);
void json_array_end(struct json_writer *w);
void json_key(struct json_writer *w, const char *key);
/* Strings are UTF-8; invalid bytes are written as U+FFFD. NULL writes null. */
void json_string(struct json_writer *w, const char *s);
void json_u64(struct json_writer *w, uint64_t v);
void json_i64(struct json_writer *w, int64_t v);
/* Non-finite values are written as null. */
void json_double(struct json_writer *w, double v);
void json_bool(struct json_writer *w, bool v);
void json_null(struct json_writer *w);

/*
 * A member of the current object in one call: key, then the value as the
 * call above writes it (a NULL string and a non-finite double as null).
 */
void json_string_field(struct json_writer *w, const char *key, const char *s);
void json_u64_field(struct json_writer *w, const char *key, uint64_t v);
void json_i64_field(struct json_writer *w, const char *key, int64_t v);
void json_double_field(struct json_writer *w, const char *key, double v);
void json_bool_field(struct json_writer *w, const char *key, bool v);
void json_null_field(struct json_writer *w, const char *key);
/* key: v when present, else null. */
void json_u64_or_null_field(struct json_writer *w, const char *key, bool present, uint64_t v);
void json_i64_or_null_field(struct json_writer *w, const char *key, bool present, int64_t v);
/* key, then an object or array opened as its value (closed with the *_end call). */
void json_object_field_begin(struct json_writer *w, const char *key);
void json_array_field_begin(struct json_writer *w, const char *key);

#endif
