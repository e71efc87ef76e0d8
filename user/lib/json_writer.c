// SPDX-License-Identifier: GPL-2.0
/*
 * json_writer: streaming JSON output with correct escaping and commas.
 *
 * Nesting is tracked on a small fixed stack. Misuse (a key outside an
 * object, a value without its key, an end that does not match its begin,
 * nesting deeper than JSON_MAX_DEPTH, a second top-level value) puts the
 * writer in an error state: later calls write nothing and
 * json_writer__finish() reports it.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include "lib/json_writer.h"
#include "lib/utf8.h"

#define JSON_MAX_DEPTH 32

enum json_scope {
	JSON_SCOPE_OBJECT,
	JSON_SCOPE_ARRAY,
};

struct json_level {
	unsigned char scope;		/* enum json_scope */
	bool has_items;
};

struct json_writer {
	FILE *out;
	bool pretty;
	bool failed;			/* misuse seen; nothing more is written */
	bool have_key;			/* a key was written, its value is due */
	bool have_root;			/* the top-level value was started */
	unsigned int depth;
	struct json_level stack[JSON_MAX_DEPTH];
};

struct json_writer *json_writer__new(FILE *out, bool pretty)
{
	struct json_writer *w;

	if (!out) {
		errno = EINVAL;
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->out = out;
	w->pretty = pretty;
	return w;
}

void json_writer__free(struct json_writer *w)
{
	free(w);
}

int json_writer__finish(struct json_writer *w)
{
	if (!w)
		return -EINVAL;
	errno = 0;
	if (fflush(w->out) || ferror(w->out))
		return errno ? -errno : -EIO;	/* the stream's own error: ENOSPC, EIO, ... */
	if (w->failed || w->depth || w->have_key || !w->have_root)
		return -EINVAL;
	return 0;
}

static struct json_level *top(struct json_writer *w)
{
	return w->depth ? &w->stack[w->depth - 1] : NULL;
}

static void newline_indent(struct json_writer *w, unsigned int depth)
{
	unsigned int i;

	fputc('\n', w->out);
	for (i = 0; i < depth; i++)
		fputs("  ", w->out);
}

/* Separator and indentation before a new member or element of the top scope. */
static void begin_item(struct json_writer *w, struct json_level *l)
{
	if (l->has_items)
		fputc(',', w->out);
	if (w->pretty)
		newline_indent(w, w->depth);
	l->has_items = true;
}

/* Everything due before a value; false (and the error state) on misuse. */
static bool begin_value(struct json_writer *w)
{
	struct json_level *l = top(w);

	if (w->failed)
		return false;
	if (!l) {
		if (w->have_root)
			goto misuse;
		w->have_root = true;
		return true;
	}
	if (l->scope == JSON_SCOPE_OBJECT) {
		if (!w->have_key)
			goto misuse;
		w->have_key = false;
		return true;
	}
	begin_item(w, l);
	return true;
misuse:
	w->failed = true;
	return false;
}

static void write_escaped_char(FILE *out, unsigned char c)
{
	switch (c) {
	case '"':
		fputs("\\\"", out);
		break;
	case '\\':
		fputs("\\\\", out);
		break;
	case '\b':
		fputs("\\b", out);
		break;
	case '\f':
		fputs("\\f", out);
		break;
	case '\n':
		fputs("\\n", out);
		break;
	case '\r':
		fputs("\\r", out);
		break;
	case '\t':
		fputs("\\t", out);
		break;
	default:
		if (c < 0x20 || c == 0x7f)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
}

/* Bytes at s written as they are: printable ASCII other than '"' and '\\'. */
static size_t plain_run(const char *s)
{
	size_t n = 0;

	while (s[n] >= 0x20 && s[n] < 0x7f && s[n] != '"' && s[n] != '\\')
		n++;
	return n;
}

static void write_quoted(FILE *out, const char *s)
{
	size_t len, bad;

	fputc('"', out);
	while (*s) {
		len = plain_run(s);
		if (len) {	/* most names: one write, not one per byte */
			fwrite(s, 1, len, out);
			s += len;
			continue;
		}
		len = utf8__valid_len(s, &bad);
		if (len == 1) {
			write_escaped_char(out, (unsigned char)*s);
		} else if (len) {
			fwrite(s, 1, len, out);
		} else {
			fputs("\xef\xbf\xbd", out);	/* U+FFFD */
			len = bad;
		}
		s += len;
	}
	fputc('"', out);
}

void json_key(struct json_writer *w, const char *key)
{
	struct json_level *l = top(w);

	if (w->failed)
		return;
	if (!key || !l || l->scope != JSON_SCOPE_OBJECT || w->have_key) {
		w->failed = true;
		return;
	}
	begin_item(w, l);
	write_quoted(w->out, key);
	fputs(w->pretty ? ": " : ":", w->out);
	w->have_key = true;
}

static void open_scope(struct json_writer *w, enum json_scope scope)
{
	if (w->depth >= JSON_MAX_DEPTH) {
		w->failed = true;
		return;
	}
	if (!begin_value(w))
		return;
	w->stack[w->depth].scope = scope;
	w->stack[w->depth].has_items = false;
	w->depth++;
	fputc(scope == JSON_SCOPE_OBJECT ? '{' : '[', w->out);
}

static void close_scope(struct json_writer *w, enum json_scope scope)
{
	struct json_level *l = top(w);

	if (w->failed)
		return;
	if (!l || l->scope != scope || w->have_key) {
		w->failed = true;
		return;
	}
	w->depth--;
	if (w->pretty && l->has_items)
		newline_indent(w, w->depth);
	fputc(scope == JSON_SCOPE_OBJECT ? '}' : ']', w->out);
}

void json_object_begin(struct json_writer *w)
{
	open_scope(w, JSON_SCOPE_OBJECT);
}

void json_object_end(struct json_writer *w)
{
	close_scope(w, JSON_SCOPE_OBJECT);
}

void json_array_begin(struct json_writer *w)
{
	open_scope(w, JSON_SCOPE_ARRAY);
}

void json_array_end(struct json_writer *w)
{
	close_scope(w, JSON_SCOPE_ARRAY);
}

void json_string(struct json_writer *w, const char *s)
{
	if (!begin_value(w))
		return;
	if (s)
		write_quoted(w->out, s);
	else
		fputs("null", w->out);
}

void json_u64(struct json_writer *w, uint64_t v)
{
	if (begin_value(w))
		fprintf(w->out, "%" PRIu64, v);
}

void json_i64(struct json_writer *w, int64_t v)
{
	if (begin_value(w))
		fprintf(w->out, "%" PRId64, v);
}

/*
 * 15 significant digits: any decimal of up to 15 digits prints back as
 * written (0.1 stays 0.1, not 0.10000000000000001) and integral values up
 * to 10^15 print exactly. Under a locale whose decimal point is not '.',
 * printf's separator (possibly several bytes) is replaced by '.'.
 */
static void write_number(FILE *out, double v)
{
	char buf[64], *p;
	bool in_sep = false;

	snprintf(buf, sizeof(buf), "%.15g", v);
	for (p = buf; *p; p++) {
		if ((*p >= '0' && *p <= '9') || *p == '-' || *p == '+' || *p == 'e') {
			fputc(*p, out);
			in_sep = false;
		} else if (!in_sep) {
			fputc('.', out);
			in_sep = true;
		}
	}
}

void json_double(struct json_writer *w, double v)
{
	if (!begin_value(w))
		return;
	if (isfinite(v))
		write_number(w->out, v);
	else
		fputs("null", w->out);
}

void json_bool(struct json_writer *w, bool v)
{
	if (begin_value(w))
		fputs(v ? "true" : "false", w->out);
}

void json_null(struct json_writer *w)
{
	if (begin_value(w))
		fputs("null", w->out);
}

void json_string_field(struct json_writer *w, const char *key, const char *s)
{
	json_key(w, key);
	json_string(w, s);
}

void json_u64_field(struct json_writer *w, const char *key, uint64_t v)
{
	json_key(w, key);
	json_u64(w, v);
}

void json_i64_field(struct json_writer *w, const char *key, int64_t v)
{
	json_key(w, key);
	json_i64(w, v);
}

void json_double_field(struct json_writer *w, const char *key, double v)
{
	json_key(w, key);
	json_double(w, v);
}

void json_bool_field(struct json_writer *w, const char *key, bool v)
{
	json_key(w, key);
	json_bool(w, v);
}

void json_null_field(struct json_writer *w, const char *key)
{
	json_key(w, key);
	json_null(w);
}

/* key, and null unless present; true when the caller is to write the value. */
static bool key_or_null(struct json_writer *w, const char *key, bool present)
{
	json_key(w, key);
	if (!present)
		json_null(w);
	return present;
}

void json_u64_or_null_field(struct json_writer *w, const char *key, bool present, uint64_t v)
{
	if (key_or_null(w, key, present))
		json_u64(w, v);
}

void json_i64_or_null_field(struct json_writer *w, const char *key, bool present, int64_t v)
{
	if (key_or_null(w, key, present))
		json_i64(w, v);
}

void json_object_field_begin(struct json_writer *w, const char *key)
{
	json_key(w, key);
	json_object_begin(w);
}

void json_array_field_begin(struct json_writer *w, const char *key)
{
	json_key(w, key);
	json_array_begin(w);
}
