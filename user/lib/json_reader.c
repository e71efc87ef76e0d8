// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/grow.h"
#include "lib/json_reader.h"

struct parser {
	const char *s;
	size_t len, at;
	const char *why;	/* the first error, NULL if none */
	int depth;
};

static int parse_value(struct parser *p, struct json_value *v);

static int fail(struct parser *p, const char *why)
{
	if (!p->why)
		p->why = why;
	return -EINVAL;
}

static void skip_space(struct parser *p)
{
	while (p->at < p->len && strchr(" \t\r\n", p->s[p->at]) && p->s[p->at])
		p->at++;
}

/* The literal word at p->at (true, false, null), or an error. */
static int parse_word(struct parser *p, const char *word)
{
	size_t n = strlen(word);

	if (p->len - p->at < n || memcmp(p->s + p->at, word, n))
		return fail(p, "unexpected character");
	p->at += n;
	return 0;
}

static int parse_number(struct parser *p, struct json_value *v)
{
	size_t start = p->at;
	char buf[64];

	if (p->at < p->len && p->s[p->at] == '-')
		p->at++;
	if (p->at >= p->len || p->s[p->at] < '0' || p->s[p->at] > '9')
		return fail(p, "malformed number");
	if (p->s[p->at] == '0')
		p->at++;	/* no digit after a leading zero */
	else
		while (p->at < p->len && p->s[p->at] >= '0' && p->s[p->at] <= '9')
			p->at++;
	if (p->at < p->len && p->s[p->at] == '.') {
		if (++p->at >= p->len || p->s[p->at] < '0' || p->s[p->at] > '9')
			return fail(p, "malformed number");
		while (p->at < p->len && p->s[p->at] >= '0' && p->s[p->at] <= '9')
			p->at++;
	}
	if (p->at < p->len && (p->s[p->at] == 'e' || p->s[p->at] == 'E')) {
		p->at++;
		if (p->at < p->len && (p->s[p->at] == '+' || p->s[p->at] == '-'))
			p->at++;
		if (p->at >= p->len || p->s[p->at] < '0' || p->s[p->at] > '9')
			return fail(p, "malformed number");
		while (p->at < p->len && p->s[p->at] >= '0' && p->s[p->at] <= '9')
			p->at++;
	}
	if (p->at - start >= sizeof(buf))
		return fail(p, "number too long");
	memcpy(buf, p->s + start, p->at - start);
	buf[p->at - start] = '\0';
	v->type = JSON_NUMBER;
	v->number = strtod(buf, NULL);
	return 0;
}

/* Four hex digits at p->at into *out. */
static int parse_hex4(struct parser *p, unsigned int *out)
{
	unsigned int c = 0, d;
	int i;

	if (p->len - p->at < 4)
		return fail(p, "malformed \\u escape");
	for (i = 0; i < 4; i++) {
		d = (unsigned char)p->s[p->at++];
		if (d >= '0' && d <= '9')
			d -= '0';
		else if ((d | 0x20) >= 'a' && (d | 0x20) <= 'f')
			d = (d | 0x20) - 'a' + 10;
		else
			return fail(p, "malformed \\u escape");
		c = c << 4 | d;
	}
	*out = c;
	return 0;
}

/* Code point c as UTF-8 into out; its length. */
static size_t put_utf8(char *out, unsigned int c)
{
	if (c < 0x80) {
		out[0] = c;
		return 1;
	}
	if (c < 0x800) {
		out[0] = 0xc0 | c >> 6;
		out[1] = 0x80 | (c & 0x3f);
		return 2;
	}
	if (c < 0x10000) {
		out[0] = 0xe0 | c >> 12;
		out[1] = 0x80 | ((c >> 6) & 0x3f);
		out[2] = 0x80 | (c & 0x3f);
		return 3;
	}
	out[0] = 0xf0 | c >> 18;
	out[1] = 0x80 | ((c >> 12) & 0x3f);
	out[2] = 0x80 | ((c >> 6) & 0x3f);
	out[3] = 0x80 | (c & 0x3f);
	return 4;
}

/* A \u escape (after the backslash and u), a surrogate pair whole, into out; its length. */
static int parse_unicode(struct parser *p, char *out, size_t *n)
{
	unsigned int c, lo;

	if (parse_hex4(p, &c))
		return -EINVAL;
	if (c >= 0xd800 && c < 0xdc00) {
		if (p->len - p->at < 2 || p->s[p->at] != '\\' || p->s[p->at + 1] != 'u')
			return fail(p, "lone surrogate in \\u escape");
		p->at += 2;
		if (parse_hex4(p, &lo) || lo < 0xdc00 || lo >= 0xe000)
			return fail(p, "lone surrogate in \\u escape");
		c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
	} else if (c >= 0xdc00 && c < 0xe000) {
		return fail(p, "lone surrogate in \\u escape");
	}
	*n = put_utf8(out, c);
	return 0;
}

/* One escape after the backslash into out (room for 4 bytes); its length in *n. */
static int parse_escape(struct parser *p, char *out, size_t *n)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *e;

	if (p->at >= p->len)
		return fail(p, "unterminated string");
	if (p->s[p->at] == 'u') {
		p->at++;
		return parse_unicode(p, out, n);
	}
	e = p->s[p->at] ? strchr(from, p->s[p->at]) : NULL;
	if (!e)
		return fail(p, "unknown escape");
	p->at++;
	out[0] = to[e - from];
	*n = 1;
	return 0;
}

/* A string at p->at (its opening quote) into a new NUL-terminated block. */
static int parse_string(struct parser *p, char **out)
{
	size_t cap = 0, n = 0, k;
	char *b = NULL, *nb;
	unsigned char c;

	p->at++;
	for (;;) {
		nb = grow__array(b, &cap, n + 5, 1, 16);	/* an escape writes up to 4 bytes */
		if (!nb)
			goto nomem;
		b = nb;
		if (p->at >= p->len) {
			fail(p, "unterminated string");
			goto bad;
		}
		c = p->s[p->at++];
		if (c == '"')
			break;
		if (c < 0x20) {
			fail(p, "control character in a string");
			goto bad;
		}
		if (c != '\\') {
			b[n++] = c;
			continue;
		}
		if (parse_escape(p, b + n, &k))
			goto bad;
		n += k;
	}
	b[n] = '\0';
	*out = b;
	return 0;
nomem:
	free(b);
	return -ENOMEM;
bad:
	free(b);
	return -EINVAL;
}

/* Room for one more item in v (an array or object). */
static int add_item(struct json_value *v, size_t *cap)
{
	size_t items_cap = *cap, keys_cap = *cap;
	struct json_value *items;
	char **keys;

	items = grow__array(v->items, &items_cap, v->cnt + 1, sizeof(*items), 8);
	if (!items)
		return -ENOMEM;
	v->items = items;
	if (v->type == JSON_OBJECT) {
		keys = grow__array(v->keys, &keys_cap, v->cnt + 1, sizeof(*keys), 8);
		if (!keys)
			return -ENOMEM;
		v->keys = keys;
	}
	*cap = items_cap;	/* keys, when there are, have as much room */
	return 0;
}

/* The items of an array or object (p->at at its opening bracket), up to its closing one. */
static int parse_items(struct parser *p, struct json_value *v, char close)
{
	size_t cap = 0;
	int ret;

	p->at++;
	skip_space(p);
	if (p->at < p->len && p->s[p->at] == close) {
		p->at++;
		return 0;
	}
	for (;;) {
		if ((ret = add_item(v, &cap)))
			return ret;
		memset(&v->items[v->cnt], 0, sizeof(v->items[0]));
		skip_space(p);
		if (v->type == JSON_OBJECT) {
			if (p->at >= p->len || p->s[p->at] != '"')
				return fail(p, "expected a member name");
			if ((ret = parse_string(p, &v->keys[v->cnt])))
				return ret;
			skip_space(p);
			if (p->at >= p->len || p->s[p->at++] != ':') {
				free(v->keys[v->cnt]);
				return fail(p, "expected ':'");
			}
		}
		ret = parse_value(p, &v->items[v->cnt++]);
		if (ret)
			return ret;
		skip_space(p);
		if (p->at < p->len && p->s[p->at] == ',') {
			p->at++;
			continue;
		}
		if (p->at < p->len && p->s[p->at] == close) {
			p->at++;
			return 0;
		}
		return fail(p, "expected ',' or a closing bracket");
	}
}

static int parse_value(struct parser *p, struct json_value *v)
{
	int ret;

	skip_space(p);
	if (p->at >= p->len)
		return fail(p, "unexpected end");
	switch (p->s[p->at]) {
	case '{':
	case '[':
		if (++p->depth > JSON_READER_MAX_DEPTH)
			return fail(p, "nested too deep");
		v->type = p->s[p->at] == '{' ? JSON_OBJECT : JSON_ARRAY;
		ret = parse_items(p, v, v->type == JSON_OBJECT ? '}' : ']');
		p->depth--;
		return ret;
	case '"':
		v->type = JSON_STRING;
		return parse_string(p, &v->string);
	case 't':
		v->type = JSON_BOOL;
		v->boolean = true;
		return parse_word(p, "true");
	case 'f':
		v->type = JSON_BOOL;
		return parse_word(p, "false");
	case 'n':
		return parse_word(p, "null");
	default:
		return parse_number(p, v);
	}
}

/* Free what v holds, not v itself. */
static void value_release(struct json_value *v)
{
	size_t i;

	for (i = 0; i < v->cnt; i++) {
		value_release(&v->items[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->string);
}

struct json_value *json_reader__parse(const char *text, size_t len, char *err, size_t err_len)
{
	struct parser p = { .s = text, .len = len };
	struct json_value *v = calloc(1, sizeof(*v));
	int ret;

	if (!v) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	ret = parse_value(&p, v);
	skip_space(&p);
	if (!ret && p.at < p.len)
		ret = fail(&p, "text after the value");
	if (!ret)
		return v;
	if (ret == -ENOMEM)
		snprintf(err, err_len, "out of memory");
	else
		snprintf(err, err_len, "%s at byte %zu", p.why, p.at);
	json_reader__free(v);
	return NULL;
}

const struct json_value *json_reader__get(const struct json_value *obj, const char *key)
{
	size_t i;

	if (!obj || obj->type != JSON_OBJECT)
		return NULL;
	for (i = 0; i < obj->cnt; i++)
		if (!strcmp(obj->keys[i], key))
			return &obj->items[i];
	return NULL;
}

double json_reader__number(const struct json_value *v, double dflt)
{
	return v && v->type == JSON_NUMBER ? v->number : dflt;
}

const char *json_reader__string(const struct json_value *v)
{
	return v && v->type == JSON_STRING ? v->string : NULL;
}

void json_reader__free(struct json_value *v)
{
	if (!v)
		return;
	value_release(v);
	free(v);
}
