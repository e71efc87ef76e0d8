/* SPDX-License-Identifier: GPL-2.0 */
/*
 * resolve_memo: a symbol_resolve_fn that remembers what another one said,
 * for the span of one answer of the live server. A report resolves every
 * frame of every stack, and each frame two or three times (frames.c), while
 * stacks share most of their addresses: 10,000 stacks of 18 frames may hold
 * a few hundred addresses. Each (pid, address) is resolved once here.
 *
 * What the inner function returns must stay valid while the memo lives
 * (the symbolizer's names are interned for its lifetime and no event is read
 * during an answer); only the inlined frames, valid until the next call,
 * are copied. At most RESOLVE_MEMO_MAX addresses are kept; more pass through.
 */
#ifndef MV_RESOLVE_MEMO_H
#define MV_RESOLVE_MEMO_H

#include <sys/types.h>
#include "symbolize/symbolizer.h"

#define RESOLVE_MEMO_MAX (1u << 18)

struct resolve_memo;

/* A memo in front of fn(ctx, ...); NULL on ENOMEM. */
struct resolve_memo *resolve_memo__new(symbol_resolve_fn fn, void *ctx);
void resolve_memo__free(struct resolve_memo *memo);

/* The symbol_resolve_fn: ctx is the memo. */
int resolve_memo__resolve(void *ctx, pid_t pid, uint64_t addr, struct mv_symbol *out);

#endif
