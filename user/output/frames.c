// SPDX-License-Identifier: GPL-2.0
#include <stdbool.h>
#include <string.h>
#include "lib/format.h"
#include "lib/text_escape.h"
#include "output/frames.h"

void frames__resolve(const struct report_ctx *ctx, pid_t pid, uint64_t addr,
		     struct mv_symbol *sym)
{
	memset(sym, 0, sizeof(*sym));
	if (ctx->resolve)
		ctx->resolve(ctx->resolve_ctx, pid, addr, sym);
}

static const char *basename_of(const char *path)
{
	const char *slash = path ? strrchr(path, '/') : NULL;

	return slash ? slash + 1 : path;
}

/* " (file.c:123)" when file is known: the file's last component. */
static void print_line(FILE *out, const char *file, unsigned int line)
{
	if (!file)
		return;
	fputs(" (", out);
	text_escape__fputs(out, basename_of(file));
	if (line)
		fprintf(out, ":%u", line);
	fputs(")", out);
}

/* The functions inlined at a frame, innermost first, a line each, marked. */
static void print_inlined(FILE *out, const struct mv_symbol *sym)
{
	const struct mv_inlined *in;
	size_t i;

	for (i = 0; i < sym->inlined_cnt; i++) {
		in = &sym->inlined[i];
		fputs("        ", out);
		text_escape__fputs(out, in->symbol ? in->symbol : "?");
		print_line(out, in->file, in->line);
		fputs(" [inlined]\n", out);
	}
}

const char *frames__name(const struct mv_symbol *sym, uint64_t addr, char *buf, size_t len)
{
	if (sym->symbol)
		return sym->symbol;
	if (sym->module)
		snprintf(buf, len, "%s+0x%llx", basename_of(sym->module),
			 (unsigned long long)sym->offset);
	else
		snprintf(buf, len, "0x%llx", (unsigned long long)addr);
	return buf;
}

/* One frame line; names come from the traced process's files and are escaped. */
static void print_frame(FILE *out, uint64_t addr, const struct mv_symbol *sym)
{
	const char *module = sym->module ? basename_of(sym->module) : "?";

	print_inlined(out, sym);
	fputs("        ", out);
	if (sym->symbol) {
		text_escape__fputs(out, sym->symbol);
		fprintf(out, "+0x%llx", (unsigned long long)sym->offset);
		print_line(out, sym->file, sym->line);
		fputs(" (", out);
		text_escape__fputs(out, module);
		fputs(")\n", out);
	} else if (sym->module) {
		fprintf(out, "0x%llx (", (unsigned long long)addr);
		text_escape__fputs(out, module);
		fprintf(out, "+0x%llx)\n", (unsigned long long)sym->offset);
	} else {
		fprintf(out, "0x%llx\n", (unsigned long long)addr);
	}
}

/*
 * The frames of stack_id worth showing: up to the first return address (past
 * the first frame) outside every executable mapping of pid, which ends the
 * stack as garbage would (a frame-pointer walk through code built without
 * frame pointers). *truncated says the stack was cut short, there or in the
 * kernel. NULL, 0 frames, for an unknown stack.
 */
static const uint64_t *usable_frames(const struct report_ctx *ctx, pid_t pid, uint32_t stack_id,
				     uint32_t *depth, bool *truncated)
{
	const uint64_t *frames = stacks__frames(ctx->m->stacks, stack_id, depth);
	struct mv_symbol sym;
	uint32_t i;

	*truncated = frames && stacks__truncated(ctx->m->stacks, stack_id);
	if (!frames) {
		*depth = 0;
		return NULL;
	}
	for (i = 1; ctx->resolve && i < *depth; i++) {
		frames__resolve(ctx, pid, frames[i], &sym);
		if (!sym.executable) {
			*depth = i;
			*truncated = true;
			break;
		}
	}
	return frames;
}

bool frames__truncated(const struct report_ctx *ctx, pid_t pid, uint32_t stack_id)
{
	uint32_t depth;
	bool truncated;

	usable_frames(ctx, pid, stack_id, &depth, &truncated);
	return truncated;
}

void frames__text(FILE *out, const struct report_ctx *ctx, pid_t pid, uint32_t stack_id)
{
	unsigned int limit = ctx->opts.frames;
	const uint64_t *frames;
	struct mv_symbol sym;
	uint32_t depth = 0, shown, i;
	bool truncated;

	frames = usable_frames(ctx, pid, stack_id, &depth, &truncated);
	if (!frames || !depth) {
		fprintf(out, "        [no user stack]\n");
		return;
	}
	shown = limit && limit < depth ? limit : depth;
	for (i = 0; i < shown; i++) {
		frames__resolve(ctx, pid, frames[i], &sym);
		print_frame(out, frames[i], &sym);
	}
	if (depth > shown)
		fprintf(out, "        ... %u more frame%s\n", depth - shown,
			format_plural(depth - shown));
	if (truncated)
		fputs("        \u2026\n", out);	/* cut short: more frames were not seen */
}

/* One JSON frame: a function at addr, inlined or the frame's own. */
static void json_frame(struct json_writer *w, const char *addr, const char *symbol,
		       const char *mangled, uint64_t offset, const char *module,
		       const char *file, unsigned int line, bool inlined)
{
	json_object_begin(w);
	json_string_field(w, "addr", addr);
	json_string_field(w, "symbol", symbol);
	if (mangled)
		json_string_field(w, "mangled", mangled);
	json_u64_field(w, "offset", offset);
	json_string_field(w, "module", module);
	if (file)
		json_string_field(w, "file", file);
	if (file && line)
		json_u64_field(w, "line", line);
	json_bool_field(w, "inlined", inlined);
	json_object_end(w);
}

void frames__json(struct json_writer *w, const struct report_ctx *ctx, pid_t pid,
		  uint32_t stack_id)
{
	const struct mv_inlined *in;
	const uint64_t *frames;
	struct mv_symbol sym;
	uint32_t depth = 0, i;
	bool truncated;
	char addr[32];
	size_t j;

	frames = usable_frames(ctx, pid, stack_id, &depth, &truncated);
	json_array_begin(w);
	for (i = 0; frames && i < depth; i++) {
		frames__resolve(ctx, pid, frames[i], &sym);
		snprintf(addr, sizeof(addr), "0x%llx", (unsigned long long)frames[i]);
		for (j = 0; j < sym.inlined_cnt; j++) {
			in = &sym.inlined[j];
			json_frame(w, addr, in->symbol, in->mangled, 0, sym.module, in->file,
				   in->line, true);
		}
		json_frame(w, addr, sym.symbol, sym.mangled, sym.offset, sym.module, sym.file,
			   sym.line, false);
	}
	json_array_end(w);
}

const char *frames__caller(const struct report_ctx *ctx, pid_t pid, uint32_t stack_id,
			   struct mv_symbol *sym)
{
	const uint64_t *frames;
	uint32_t depth = 0;

	memset(sym, 0, sizeof(*sym));
	frames = stacks__frames(ctx->m->stacks, stack_id, &depth);
	if (frames && depth)
		frames__resolve(ctx, pid, frames[0], sym);
	return sym->symbol;
}

const char *frames__site_name(const struct report_ctx *ctx, pid_t pid, uint32_t stack_id,
			      char *buf, size_t len)
{
	const uint64_t *frames;
	struct mv_symbol sym;
	uint32_t depth = 0;
	const char *name;

	frames = stacks__frames(ctx->m->stacks, stack_id, &depth);
	if (!frames || !depth) {
		snprintf(buf, len, "[no user stack]");
		return buf;
	}
	frames__resolve(ctx, pid, frames[0], &sym);
	name = frames__name(&sym, frames[0], buf, len);
	/* When the symbolizer gives the call's file and line, they go here: "f (file.c:88)". */
	if (name != buf)
		snprintf(buf, len, "%s", name);
	return buf;
}

void frames__json_fields(struct json_writer *w, const struct report_ctx *ctx, pid_t pid,
			 uint32_t stack_id)
{
	json_bool_field(w, "truncated", frames__truncated(ctx, pid, stack_id));
	json_key(w, "frames");
	frames__json(w, ctx, pid, stack_id);
}
