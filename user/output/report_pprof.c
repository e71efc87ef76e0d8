// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>
#include "lib/grow.h"
#include "lib/id_table.h"
#include "lib/text_escape.h"
#include "model/query.h"
#include "output/frames.h"
#include "output/report_pprof.h"
#include "sites/allocator.h"

/* Field numbers of google/pprof's proto/profile.proto. */
enum {
	PROFILE_SAMPLE_TYPE = 1, PROFILE_SAMPLE = 2, PROFILE_MAPPING = 3, PROFILE_LOCATION = 4,
	PROFILE_FUNCTION = 5, PROFILE_STRING_TABLE = 6, PROFILE_TIME_NANOS = 9,
	PROFILE_DURATION_NANOS = 10, PROFILE_PERIOD_TYPE = 11, PROFILE_PERIOD = 12,
	PROFILE_COMMENT = 13, PROFILE_DEFAULT_SAMPLE_TYPE = 14,
};
enum { VALUE_TYPE_TYPE = 1, VALUE_TYPE_UNIT = 2 };
enum { SAMPLE_LOCATION_ID = 1, SAMPLE_VALUE = 2, SAMPLE_LABEL = 3 };
enum { LABEL_KEY = 1, LABEL_STR = 2, LABEL_NUM = 3 };
enum {
	MAPPING_ID = 1, MAPPING_MEMORY_START = 2, MAPPING_MEMORY_LIMIT = 3,
	MAPPING_FILE_OFFSET = 4, MAPPING_FILENAME = 5, MAPPING_BUILD_ID = 6,
	MAPPING_HAS_FUNCTIONS = 7, MAPPING_HAS_FILENAMES = 8, MAPPING_HAS_LINE_NUMBERS = 9,
};
enum { LOCATION_ID = 1, LOCATION_MAPPING_ID = 2, LOCATION_ADDRESS = 3, LOCATION_LINE = 4 };
enum { LINE_FUNCTION_ID = 1, LINE_LINE = 2 };
enum {
	FUNCTION_ID = 1, FUNCTION_NAME = 2, FUNCTION_SYSTEM_NAME = 3, FUNCTION_FILENAME = 4,
	FUNCTION_START_LINE = 5,
};

#define PPROF_VALUE_CNT 4
/* Lines of one Location at most: the inlined functions and the function itself. */
#define PPROF_MAX_LINES 17

/* The sample types, in the order of every sample's values. */
static const char *const value_types[PPROF_VALUE_CNT][2] = {
	{ "alloc_objects", "count" }, { "alloc_space", "bytes" },
	{ "inuse_objects", "count" }, { "inuse_space", "bytes" },
};

/* A profile being built: the repeated fields in first-seen order, and what they refer to by id. */
struct pprof {
	const struct report_ctx *ctx;
	struct id_table *strings;	/* string table index = id - 1 ("" first) */
	struct id_table *mappings;	/* by (pid, start) */
	struct id_table *locations;	/* by (pid, address) */
	struct id_table *functions;	/* by (name, system name, file) */
	struct pb_buf samples, maps, locs, funcs;
	struct pb_buf msg, sub;		/* one message being built, and one inside it */
	uint64_t *loc_ids;
	size_t loc_cap;
	int err;
};

/*
 * Where a frame's source is: the symbolizer's file and line of the call (the
 * line inside the function), which go to Function.filename, Line.line and the
 * mappings' has_filenames and has_line_numbers. The functions inlined at the
 * address become Lines of the same Location before it, the innermost first.
 * The function's own first line (start_line) is not known to the symbolizer.
 */
struct frame_source {
	const char *file;	/* NULL: unknown */
	int64_t line;		/* of the call, 0: unknown */
	int64_t start_line;	/* of the function, 0: unknown */
};

static void frame_source(const struct mv_symbol *sym, struct frame_source *src)
{
	*src = (struct frame_source){ .file = sym->file, .line = sym->line };
}

/* id_table__get, remembering a failure in pp->err. */
static uint64_t get_id(struct pprof *pp, struct id_table *t, const void *key, size_t len,
		       bool *added)
{
	uint64_t id = id_table__get(t, key, len, added);

	if (!id)
		pp->err = -ENOMEM;
	return id;
}

/* The string table index of s (NULL: ""), escaped as in text output. */
static uint64_t str(struct pprof *pp, const char *s)
{
	size_t size = TEXT_ESCAPE_SIZE(s ? strlen(s) : 0);
	char *escaped = malloc(size);
	uint64_t id = 0;
	bool added;

	if (escaped) {
		text_escape__copy(escaped, size, s);
		id = id_table__get(pp->strings, escaped, strlen(escaped), &added);
	}
	free(escaped);
	if (!id) {
		pp->err = -ENOMEM;
		return 0;
	}
	return id - 1;
}

/* The id of the mapping that holds sym's address in pid (emitted when first seen). */
static uint64_t mapping_id(struct pprof *pp, pid_t pid, const struct mv_symbol *sym)
{
	int64_t key[2] = { pid, (int64_t)sym->map_start };
	struct frame_source src;
	struct pb_buf *m = &pp->msg;
	bool added;
	uint64_t id = get_id(pp, pp->mappings, key, sizeof(key), &added);

	if (!added)
		return id;
	frame_source(sym, &src);
	pb__reset(m);
	pb__varint(m, MAPPING_ID, id);
	pb__varint_nz(m, MAPPING_MEMORY_START, sym->map_start);
	pb__varint_nz(m, MAPPING_MEMORY_LIMIT, sym->map_end);
	pb__varint_nz(m, MAPPING_FILE_OFFSET, sym->map_offset);
	pb__varint(m, MAPPING_FILENAME,
		   str(pp, sym->module ? sym->module : sym->map_end ? "[anon]" : "[unknown]"));
	pb__varint_nz(m, MAPPING_BUILD_ID, str(pp, sym->build_id));
	/* Names are final: a reader must not symbolize the addresses again. */
	pb__varint(m, MAPPING_HAS_FUNCTIONS, 1);
	pb__varint_nz(m, MAPPING_HAS_FILENAMES, src.file != NULL);
	pb__varint_nz(m, MAPPING_HAS_LINE_NUMBERS, src.line != 0);
	pb__message(&pp->maps, PROFILE_MAPPING, m);
	return id;
}

/* The id of the function name (system name, source file; emitted when first seen). */
static uint64_t function_id(struct pprof *pp, const char *name, const char *system,
			    const struct frame_source *src)
{
	uint64_t key[3], id;
	bool added;

	key[0] = str(pp, name);
	key[1] = str(pp, system ? system : name);
	key[2] = str(pp, src->file);
	id = get_id(pp, pp->functions, key, sizeof(key), &added);
	if (!added)
		return id;
	pb__reset(&pp->sub);
	pb__varint(&pp->sub, FUNCTION_ID, id);
	pb__varint(&pp->sub, FUNCTION_NAME, key[0]);
	pb__varint(&pp->sub, FUNCTION_SYSTEM_NAME, key[1]);
	pb__varint_nz(&pp->sub, FUNCTION_FILENAME, key[2]);
	pb__varint_nz(&pp->sub, FUNCTION_START_LINE, src->start_line);
	pb__message(&pp->funcs, PROFILE_FUNCTION, &pp->sub);
	return id;
}

/* One Line (function, line) into pp->msg, the Location being built. */
static void location_line(struct pprof *pp, uint64_t func, int64_t line)
{
	pb__reset(&pp->sub);
	pb__varint(&pp->sub, LINE_FUNCTION_ID, func);
	pb__varint_nz(&pp->sub, LINE_LINE, line);
	pb__message(&pp->msg, LOCATION_LINE, &pp->sub);
}

/*
 * The function ids of sym's Lines into funcs (the inlined functions innermost
 * first, then sym's own) and their lines into lines; their count.
 */
static size_t location_functions(struct pprof *pp, const struct mv_symbol *sym, uint64_t addr,
				 uint64_t *funcs, int64_t *lines)
{
	const struct mv_inlined *in;
	struct frame_source src;
	const char *name;
	char buf[64];
	size_t i, n = 0;

	for (i = 0; i < sym->inlined_cnt && i < PPROF_MAX_LINES - 1; i++) {
		in = &sym->inlined[i];
		src = (struct frame_source){ .file = in->file, .line = in->line };
		name = in->symbol ? in->symbol : "[inlined]";
		funcs[n] = function_id(pp, name, in->mangled, &src);
		lines[n++] = in->line;
	}
	frame_source(sym, &src);
	name = frames__name(sym, addr, buf, sizeof(buf));
	funcs[n] = function_id(pp, name, sym->mangled, &src);
	lines[n++] = src.line;
	return n;
}

/* The id of return address addr of pid (0: a stack with no frames), emitted when first seen. */
static uint64_t location_id(struct pprof *pp, pid_t pid, uint64_t addr)
{
	static const struct mv_symbol no_stack = { .symbol = "[no user stack]" };
	int64_t key[2] = { pid, (int64_t)addr }, lines[PPROF_MAX_LINES];
	uint64_t id, map, funcs[PPROF_MAX_LINES];
	struct mv_symbol sym;
	size_t cnt, i;
	bool added;

	id = get_id(pp, pp->locations, key, sizeof(key), &added);
	if (!added)
		return id;
	if (addr)
		frames__resolve(pp->ctx, pid, addr, &sym);
	else
		sym = no_stack;
	map = mapping_id(pp, pid, &sym);
	cnt = location_functions(pp, &sym, addr, funcs, lines);
	pb__reset(&pp->msg);
	pb__varint(&pp->msg, LOCATION_ID, id);
	pb__varint(&pp->msg, LOCATION_MAPPING_ID, map);
	pb__varint_nz(&pp->msg, LOCATION_ADDRESS, addr);
	for (i = 0; i < cnt; i++)
		location_line(pp, funcs[i], lines[i]);
	pb__message(&pp->locs, PROFILE_LOCATION, &pp->msg);
	return id;
}

/* A string label (key = value) into msg. */
static void label_str(struct pprof *pp, const char *key, const char *value)
{
	pb__reset(&pp->sub);
	pb__varint(&pp->sub, LABEL_KEY, str(pp, key));
	pb__varint(&pp->sub, LABEL_STR, str(pp, value));
	pb__message(&pp->msg, SAMPLE_LABEL, &pp->sub);
}

static void label_num(struct pprof *pp, const char *key, int64_t value)
{
	pb__reset(&pp->sub);
	pb__varint(&pp->sub, LABEL_KEY, str(pp, key));
	pb__varint(&pp->sub, LABEL_NUM, (uint64_t)value);
	pb__message(&pp->msg, SAMPLE_LABEL, &pp->sub);
}

/* An estimate as a sample value (the JSON report's rounding). */
static uint64_t value_of(double est)
{
	return est > 0 ? (uint64_t)llround(est) : 0;
}

/* The location ids of stack_id's frames in p, the allocator's caller first, in pp->loc_ids. */
static size_t stack_locations(struct pprof *pp, const struct proc *p, uint32_t stack_id)
{
	uint32_t depth = 0, i;
	const uint64_t *frames = stacks__frames(pp->ctx->m->stacks, stack_id, &depth);
	uint64_t *ids;

	if (!frames)
		depth = 0;
	ids = grow__array(pp->loc_ids, &pp->loc_cap, depth + 1, sizeof(*ids), 64);
	if (!ids) {
		pp->err = -ENOMEM;
		return 0;
	}
	pp->loc_ids = ids;
	for (i = 0; i < depth; i++)
		ids[i] = location_id(pp, p->key, frames[i]);
	if (!depth)
		ids[depth++] = location_id(pp, p->key, 0);
	return depth;
}

/* One sample: a site of p, with its outstanding part (rs, NULL: none). */
static void add_sample(struct pprof *pp, const struct proc *p, const struct site *site,
		       const struct report_site *rs)
{
	uint64_t values[PPROF_VALUE_CNT] = {
		value_of(site->est_total_allocs), value_of(site->est_total_bytes),
		rs ? value_of(rs->est_allocs) : 0, rs ? value_of(rs->est_bytes) : 0,
	};
	size_t depth;

	if (!values[0] && !values[1] && !values[2] && !values[3])
		return;
	depth = stack_locations(pp, p, site->stack_id);
	pb__reset(&pp->msg);
	pb__packed(&pp->msg, SAMPLE_LOCATION_ID, pp->loc_ids, depth);
	pb__packed(&pp->msg, SAMPLE_VALUE, values, PPROF_VALUE_CNT);
	label_num(pp, "pid", p->pid);
	label_str(pp, "comm", p->comm);
	if (p->cgroup)
		label_str(pp, "cgroup", p->cgroup);
	label_str(pp, "allocator", allocator__kind_name(site->kind));
	pb__message(&pp->samples, PROFILE_SAMPLE, &pp->msg);
}

/* Every site of p that allocated while traced. */
static int add_proc(struct pprof *pp, const struct proc *p)
{
	const struct report_site **outstanding;
	struct proc_report r;
	size_t i;
	int ret;

	ret = query__build(p, pp->ctx->now_ms, 0, &r);
	if (ret)
		return ret;
	outstanding = calloc(p->site_cnt ? p->site_cnt : 1, sizeof(*outstanding));
	if (!outstanding) {
		query__release(&r);
		return -ENOMEM;
	}
	for (i = 0; i < r.cnt; i++)
		outstanding[r.sites[i].site - p->sites] = &r.sites[i];
	for (i = 0; i < p->site_cnt; i++)
		add_sample(pp, p, &p->sites[i], outstanding[i]);
	free(outstanding);
	query__release(&r);
	return pp->err;
}

/* A ValueType message (type, unit) as field of out. */
static void value_type(struct pprof *pp, struct pb_buf *out, uint32_t field, const char *type,
		       const char *unit)
{
	pb__reset(&pp->msg);
	pb__varint(&pp->msg, VALUE_TYPE_TYPE, str(pp, type));
	pb__varint(&pp->msg, VALUE_TYPE_UNIT, str(pp, unit));
	pb__message(out, field, &pp->msg);
}

/* ns since the epoch of an RFC 3339 UTC time ("2026-01-02T03:04:05Z"); 0 if unknown. */
static uint64_t epoch_ns(const char *rfc3339)
{
	struct tm tm = { 0 };
	const char *end = rfc3339 ? strptime(rfc3339, "%Y-%m-%dT%H:%M:%SZ", &tm) : NULL;
	time_t t;

	if (!end || *end)
		return 0;
	t = timegm(&tm);
	return t > 0 ? (uint64_t)t * 1000000000ull : 0;
}

/* What the profile says of itself (its comment). */
static void describe(const struct report_ctx *ctx, char *buf, size_t len)
{
	if (ctx->m->sample_period)
		snprintf(buf, len, "memvigil heap profile, sampled: one sample per %llu bytes "
			 "allocated on average; values are estimates",
			 (unsigned long long)ctx->m->sample_period);
	else
		snprintf(buf, len, "memvigil heap profile, exact: every allocation traced");
}

/* The profile's own fields around the samples, mappings, locations and functions built. */
static void assemble(struct pprof *pp, struct pb_buf *out)
{
	const struct report_ctx *ctx = pp->ctx;
	uint64_t comment, i;
	char text[160];
	size_t len;

	for (i = 0; i < PPROF_VALUE_CNT; i++)
		value_type(pp, out, PROFILE_SAMPLE_TYPE, value_types[i][0], value_types[i][1]);
	pb__append(out, &pp->samples);
	pb__append(out, &pp->maps);
	pb__append(out, &pp->locs);
	pb__append(out, &pp->funcs);
	pb__varint_nz(out, PROFILE_TIME_NANOS, epoch_ns(ctx->started_at));
	pb__varint_nz(out, PROFILE_DURATION_NANOS, ctx->now_ms * 1000000ull);
	if (ctx->m->sample_period) {
		value_type(pp, out, PROFILE_PERIOD_TYPE, "space", "bytes");
		pb__varint(out, PROFILE_PERIOD, ctx->m->sample_period);
	}
	describe(ctx, text, sizeof(text));
	comment = str(pp, text);
	pb__packed(out, PROFILE_COMMENT, &comment, 1);
	pb__varint(out, PROFILE_DEFAULT_SAMPLE_TYPE, str(pp, "inuse_space"));
	/* Last: every string is interned by now. */
	for (i = 1; i <= id_table__cnt(pp->strings); i++) {
		const void *s = id_table__key(pp->strings, i, &len);

		pb__bytes(out, PROFILE_STRING_TABLE, s, len);
	}
}

static void pprof_release(struct pprof *pp)
{
	id_table__free(pp->strings);
	id_table__free(pp->mappings);
	id_table__free(pp->locations);
	id_table__free(pp->functions);
	pb__release(&pp->samples);
	pb__release(&pp->maps);
	pb__release(&pp->locs);
	pb__release(&pp->funcs);
	pb__release(&pp->msg);
	pb__release(&pp->sub);
	free(pp->loc_ids);
}

int report_pprof__encode(const struct report_ctx *ctx, struct pb_buf *out)
{
	struct pprof pp = {
		.ctx = ctx, .strings = id_table__new(), .mappings = id_table__new(),
		.locations = id_table__new(), .functions = id_table__new(),
	};
	size_t i;
	int ret = -ENOMEM;

	if (!pp.strings || !pp.mappings || !pp.locations || !pp.functions)
		goto out;
	str(&pp, "");	/* the string table starts with "" */
	for (i = 0; i < PPROF_VALUE_CNT; i++) {
		str(&pp, value_types[i][0]);
		str(&pp, value_types[i][1]);
	}
	for (i = 0, ret = 0; i < ctx->m->proc_cnt && !ret; i++)
		ret = add_proc(&pp, ctx->m->procs[i]);
	if (!ret)
		assemble(&pp, out);
	if (!ret)
		ret = pp.err ? pp.err : out->err;	/* out carries its parts' errors */
out:
	pprof_release(&pp);
	return ret;
}

/* data (len bytes) gzip-compressed, to out. 0 or a negative errno. */
static int write_gzip(FILE *out, const uint8_t *data, size_t len)
{
	z_stream zs = { 0 };
	uint8_t *gz;
	size_t gz_len;
	int ret = -ENOMEM;

	/* windowBits 15 + 16: a gzip header and trailer around the deflate stream. */
	if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	gz_len = deflateBound(&zs, len);
	gz = malloc(gz_len);
	if (!gz)
		goto out;
	zs.next_in = (uint8_t *)data;
	zs.avail_in = len;
	zs.next_out = gz;
	zs.avail_out = gz_len;
	ret = deflate(&zs, Z_FINISH) == Z_STREAM_END ? 0 : -EIO;
	if (!ret && (fwrite(gz, 1, zs.total_out, out) != zs.total_out || fflush(out)))
		ret = -EIO;
out:
	deflateEnd(&zs);
	free(gz);
	return ret;
}

int report_pprof__write(FILE *out, const struct report_ctx *ctx)
{
	struct pb_buf pb = { 0 };
	int ret = report_pprof__encode(ctx, &pb);

	if (!ret)
		ret = write_gzip(out, pb.data, pb.len);
	pb__release(&pb);
	return ret;
}
