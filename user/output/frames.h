/* SPDX-License-Identifier: GPL-2.0 */
/*
 * frames: the return addresses of one stack, named through the report's
 * resolver, in the forms the writers share: indented text lines, a JSON
 * array, and the allocator's caller alone. Every writer that shows a stack
 * calls these; they call no writer.
 */
#ifndef MV_FRAMES_H
#define MV_FRAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include "lib/json_writer.h"
#include "output/report_context.h"
#include "symbolize/symbolizer.h"

/* addr of pid as the report's resolver names it; all NULL/0 when it cannot. */
void frames__resolve(const struct report_ctx *ctx, pid_t pid, uint64_t addr,
		     struct mv_symbol *sym);
/*
 * A frame's name on one line, as profile formats want it: its function, else
 * "FILE+0xOFFSET" (the module's base name), else "0xADDR" (written in buf).
 * Not escaped.
 */
const char *frames__name(const struct mv_symbol *sym, uint64_t addr, char *buf, size_t len);
/*
 * The allocation site of stack_id as a sentence names it, in buf: the first
 * frame's name as frames__name gives it, "[no user stack]" for none.
 */
const char *frames__site_name(const struct report_ctx *ctx, pid_t pid, uint32_t stack_id,
			      char *buf, size_t len);
/*
 * Print stack_id's frames of pid, one indented line each, at most
 * ctx->opts.frames of them (0: all) and a line counting the rest.
 * Names come from the traced process's files and are escaped.
 */
void frames__text(FILE *out, const struct report_ctx *ctx, pid_t pid, uint32_t stack_id);
/* All of stack_id's frames as a JSON array of {addr, symbol, [mangled,] offset, module}. */
void frames__json(struct json_writer *w, const struct report_ctx *ctx, pid_t pid,
		  uint32_t stack_id);
/*
 * Whether stack_id of pid was cut short: by the kernel's walk (depth limit,
 * no unwind rule, unreadable stack, broken frame chain), or at a return
 * address outside every executable mapping (frames__text and frames__json
 * stop there). Text marks it with a last line "…", JSON with "truncated".
 */
bool frames__truncated(const struct report_ctx *ctx, pid_t pid, uint32_t stack_id);
/* The "truncated" and "frames" keys of a stack object. */
void frames__json_fields(struct json_writer *w, const struct report_ctx *ctx, pid_t pid,
			 uint32_t stack_id);
/*
 * The function of stack_id's first frame, the allocator's caller (held in
 * *sym); NULL when the stack is empty or the address has no symbol.
 */
const char *frames__caller(const struct report_ctx *ctx, pid_t pid, uint32_t stack_id,
			   struct mv_symbol *sym);

#endif
