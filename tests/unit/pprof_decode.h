/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pprof_decode: a profile.proto message read back as indented text, for the
 * pprof writer's golden tests. A small protobuf reader with the schema of
 * the fields memvigil writes; a field it does not know, a wire type that
 * does not match, a string index past the table or a reference to a
 * mapping, location or function never defined fails the test. String
 * indexes are shown with the string they name.
 */
#ifndef MV_TEST_PPROF_DECODE_H
#define MV_TEST_PPROF_DECODE_H

#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

enum pd_msg { PD_PROFILE, PD_VALUE_TYPE, PD_SAMPLE, PD_LABEL, PD_MAPPING, PD_LOCATION, PD_LINE,
	      PD_FUNCTION, PD_NONE };
enum pd_kind { PD_VARINT, PD_STRIDX, PD_STRING, PD_MESSAGE, PD_PACKED, PD_REF_MAPPING,
	       PD_REF_LOCATION, PD_REF_FUNCTION, PD_ID };

struct pd_field {
	enum pd_msg msg;
	uint32_t field;
	const char *name;
	enum pd_kind kind;
	enum pd_msg sub;
};

static const struct pd_field pd_schema[] = {
	{ PD_PROFILE, 1, "sample_type", PD_MESSAGE, PD_VALUE_TYPE },
	{ PD_PROFILE, 2, "sample", PD_MESSAGE, PD_SAMPLE },
	{ PD_PROFILE, 3, "mapping", PD_MESSAGE, PD_MAPPING },
	{ PD_PROFILE, 4, "location", PD_MESSAGE, PD_LOCATION },
	{ PD_PROFILE, 5, "function", PD_MESSAGE, PD_FUNCTION },
	{ PD_PROFILE, 6, "string_table", PD_STRING, PD_NONE },
	{ PD_PROFILE, 9, "time_nanos", PD_VARINT, PD_NONE },
	{ PD_PROFILE, 10, "duration_nanos", PD_VARINT, PD_NONE },
	{ PD_PROFILE, 11, "period_type", PD_MESSAGE, PD_VALUE_TYPE },
	{ PD_PROFILE, 12, "period", PD_VARINT, PD_NONE },
	{ PD_PROFILE, 13, "comment", PD_PACKED, PD_NONE },
	{ PD_PROFILE, 14, "default_sample_type", PD_STRIDX, PD_NONE },
	{ PD_VALUE_TYPE, 1, "type", PD_STRIDX, PD_NONE },
	{ PD_VALUE_TYPE, 2, "unit", PD_STRIDX, PD_NONE },
	{ PD_SAMPLE, 1, "location_id", PD_PACKED, PD_NONE },
	{ PD_SAMPLE, 2, "value", PD_PACKED, PD_NONE },
	{ PD_SAMPLE, 3, "label", PD_MESSAGE, PD_LABEL },
	{ PD_LABEL, 1, "key", PD_STRIDX, PD_NONE },
	{ PD_LABEL, 2, "str", PD_STRIDX, PD_NONE },
	{ PD_LABEL, 3, "num", PD_VARINT, PD_NONE },
	{ PD_MAPPING, 1, "id", PD_ID, PD_NONE },
	{ PD_MAPPING, 2, "memory_start", PD_VARINT, PD_NONE },
	{ PD_MAPPING, 3, "memory_limit", PD_VARINT, PD_NONE },
	{ PD_MAPPING, 4, "file_offset", PD_VARINT, PD_NONE },
	{ PD_MAPPING, 5, "filename", PD_STRIDX, PD_NONE },
	{ PD_MAPPING, 6, "build_id", PD_STRIDX, PD_NONE },
	{ PD_MAPPING, 7, "has_functions", PD_VARINT, PD_NONE },
	{ PD_MAPPING, 8, "has_filenames", PD_VARINT, PD_NONE },
	{ PD_MAPPING, 9, "has_line_numbers", PD_VARINT, PD_NONE },
	{ PD_LOCATION, 1, "id", PD_ID, PD_NONE },
	{ PD_LOCATION, 2, "mapping_id", PD_REF_MAPPING, PD_NONE },
	{ PD_LOCATION, 3, "address", PD_VARINT, PD_NONE },
	{ PD_LOCATION, 4, "line", PD_MESSAGE, PD_LINE },
	{ PD_LINE, 1, "function_id", PD_REF_FUNCTION, PD_NONE },
	{ PD_LINE, 2, "line", PD_VARINT, PD_NONE },
	{ PD_FUNCTION, 1, "id", PD_ID, PD_NONE },
	{ PD_FUNCTION, 2, "name", PD_STRIDX, PD_NONE },
	{ PD_FUNCTION, 3, "system_name", PD_STRIDX, PD_NONE },
	{ PD_FUNCTION, 4, "filename", PD_STRIDX, PD_NONE },
	{ PD_FUNCTION, 5, "start_line", PD_VARINT, PD_NONE },
};

#define PD_MAX 4096

/* What a dump has seen: the string table, the ids defined and referred to. */
struct pd_state {
	FILE *out;
	const uint8_t *strings[PD_MAX];
	size_t string_len[PD_MAX];
	size_t string_cnt;
	uint8_t defined[3][PD_MAX];	/* [mapping, location, function][id] */
	uint8_t referred[3][PD_MAX];
};

static inline uint64_t pd_varint(const uint8_t **p, const uint8_t *end)
{
	uint64_t v = 0;
	int shift = 0;

	for (;;) {
		cr_assert(*p < end && shift < 64, "varint cut short");
		v |= (uint64_t)(**p & 0x7f) << shift;
		shift += 7;
		if (!(*(*p)++ & 0x80))
			return v;
	}
}

static inline const struct pd_field *pd_find(enum pd_msg msg, uint32_t field)
{
	size_t i;

	for (i = 0; i < sizeof(pd_schema) / sizeof(pd_schema[0]); i++)
		if (pd_schema[i].msg == msg && pd_schema[i].field == field)
			return &pd_schema[i];
	cr_assert_fail("unknown field %u of message %d", field, msg);
	return NULL;
}

static inline void pd_quoted(FILE *out, const uint8_t *s, size_t len)
{
	size_t i;

	fputc('"', out);
	for (i = 0; i < len; i++) {
		if (s[i] < 0x20 || s[i] >= 0x7f || s[i] == '"' || s[i] == '\\')
			fprintf(out, "\\x%02x", s[i]);
		else
			fputc(s[i], out);
	}
	fputc('"', out);
}

/* The string table, read first so that indexes can be shown with their strings. */
static inline void pd_strings(struct pd_state *st, const uint8_t *p, const uint8_t *end)
{
	uint64_t tag, len;

	while (p < end) {
		tag = pd_varint(&p, end);
		if ((tag & 7) == 0) {
			pd_varint(&p, end);
			continue;
		}
		cr_assert_eq(tag & 7, 2, "wire type %d", (int)(tag & 7));
		len = pd_varint(&p, end);
		cr_assert(len <= (uint64_t)(end - p));
		if (tag >> 3 == 6) {
			cr_assert(st->string_cnt < PD_MAX);
			st->strings[st->string_cnt] = p;
			st->string_len[st->string_cnt++] = len;
		}
		p += len;
	}
}

static inline void pd_value(struct pd_state *st, const struct pd_field *f, enum pd_msg msg,
			    uint64_t v)
{
	int kind = f->kind == PD_ID ? msg == PD_MAPPING ? 0 : msg == PD_LOCATION ? 1 : 2 :
		   f->kind - PD_REF_MAPPING;

	fprintf(st->out, "%llu", (unsigned long long)v);
	if (f->kind == PD_STRIDX) {
		cr_assert(v < st->string_cnt, "string index %llu past the table",
			  (unsigned long long)v);
		fputc(' ', st->out);
		pd_quoted(st->out, st->strings[v], st->string_len[v]);
	} else if (f->kind >= PD_REF_MAPPING) {
		cr_assert(v > 0 && v < PD_MAX, "id %llu", (unsigned long long)v);
		if (f->kind == PD_ID) {
			cr_assert_not(st->defined[kind][v], "id %llu defined twice",
				      (unsigned long long)v);
			st->defined[kind][v] = 1;
		} else {
			st->referred[kind][v] = 1;
		}
	}
}

static inline void pd_message(struct pd_state *st, enum pd_msg msg, const uint8_t *p,
			      const uint8_t *end, int depth)
{
	const struct pd_field *f;
	const uint8_t *q;
	uint64_t tag, len;

	while (p < end) {
		tag = pd_varint(&p, end);
		f = pd_find(msg, tag >> 3);
		fprintf(st->out, "%*s%s", 2 * depth, "", f->name);
		if (f->kind == PD_STRING || f->kind == PD_MESSAGE || f->kind == PD_PACKED) {
			cr_assert_eq(tag & 7, 2, "%s: wire type %d", f->name, (int)(tag & 7));
			len = pd_varint(&p, end);
			cr_assert(len <= (uint64_t)(end - p));
		} else {
			cr_assert_eq(tag & 7, 0, "%s: wire type %d", f->name, (int)(tag & 7));
			fputs(": ", st->out);
			pd_value(st, f, msg, pd_varint(&p, end));
			fputc('\n', st->out);
			continue;
		}
		if (f->kind == PD_STRING) {
			fputs(": ", st->out);
			pd_quoted(st->out, p, len);
			fputc('\n', st->out);
		} else if (f->kind == PD_PACKED) {
			fputs(": [", st->out);
			for (q = p; q < p + len;) {
				const uint8_t *at = q;
				uint64_t v = pd_varint(&q, p + len);

				fprintf(st->out, "%s%llu", at == p ? "" : " ", (unsigned long long)v);
				if (msg == PD_SAMPLE && f->field == 1)
					st->referred[1][v < PD_MAX ? v : 0] = 1;
			}
			fputs("]\n", st->out);
		} else {
			fputs(" {\n", st->out);
			pd_message(st, f->sub, p, p + len, depth + 1);
			fprintf(st->out, "%*s}\n", 2 * depth, "");
		}
		p += len;
	}
}

/* The profile's bytes as text (malloc'd); fails the test on anything malformed. */
static inline char *pd_dump(const uint8_t *data, size_t len)
{
	static struct pd_state st;
	char *text = NULL;
	size_t text_len = 0;
	int k, id;

	memset(&st, 0, sizeof(st));
	st.out = open_memstream(&text, &text_len);
	cr_assert_not_null(st.out);
	pd_strings(&st, data, data + len);
	cr_assert(st.string_cnt > 0 && st.string_len[0] == 0, "string_table[0] must be \"\"");
	pd_message(&st, PD_PROFILE, data, data + len, 0);
	for (k = 0; k < 3; k++)
		for (id = 0; id < PD_MAX; id++)
			cr_assert(!st.referred[k][id] || st.defined[k][id],
				  "%s %d referred to, never defined",
				  k == 0 ? "mapping" : k == 1 ? "location" : "function", id);
	cr_assert_eq(fclose(st.out), 0);
	return text;
}

#endif
