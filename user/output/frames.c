// SPDX-License-Identifier: GPL-2.0
#include <string.h>
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

	fputs("        ", out);
	if (sym->symbol) {
		text_escape__fputs(out, sym->symbol);
		fprintf(out, "+0x%llx (", (unsigned long long)sym->offset);
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
		fprintf(out, "        ... %u more frames\n", depth - shown);
	if (truncated)
		fputs("        \u2026\n", out);	/* cut short: more frames were not seen */
}

void frames__json(struct json_writer *w, const struct report_ctx *ctx, pid_t pid,
		  uint32_t stack_id)
{
	const uint64_t *frames;
	struct mv_symbol sym;
	uint32_t depth = 0, i;
	bool truncated;
	char addr[32];

	frames = usable_frames(ctx, pid, stack_id, &depth, &truncated);
	json_array_begin(w);
	for (i = 0; frames && i < depth; i++) {
		frames__resolve(ctx, pid, frames[i], &sym);
		snprintf(addr, sizeof(addr), "0x%llx", (unsigned long long)frames[i]);
		json_object_begin(w);
		json_string_field(w, "addr", addr);
		json_string_field(w, "symbol", sym.symbol);
		if (sym.mangled) {
			json_string_field(w, "mangled", sym.mangled);
		}
		json_u64_field(w, "offset", sym.offset);
		json_string_field(w, "module", sym.module);
		json_object_end(w);
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

void frames__json_fields(struct json_writer *w, const struct report_ctx *ctx, pid_t pid,
			 uint32_t stack_id)
{
	json_bool_field(w, "truncated", frames__truncated(ctx, pid, stack_id));
	json_key(w, "frames");
	frames__json(w, ctx, pid, stack_id);
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
