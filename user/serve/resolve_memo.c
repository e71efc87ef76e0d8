// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "serve/resolve_memo.h"

#define MEMO_FIRST_CAP 1024u

struct memo_entry {
	bool used;
	pid_t pid;
	uint64_t addr;
	int ret;
	struct mv_symbol sym;	/* inlined points to the entry's own copy */
};

struct resolve_memo {
	symbol_resolve_fn fn;
	void *ctx;
	struct memo_entry *slots;
	uint32_t cap, cnt;	/* cap: a power of 2, kept at most half full */
};

struct resolve_memo *resolve_memo__new(symbol_resolve_fn fn, void *ctx)
{
	struct resolve_memo *memo = calloc(1, sizeof(*memo));

	if (!memo)
		return NULL;
	memo->fn = fn;
	memo->ctx = ctx;
	memo->cap = MEMO_FIRST_CAP;
	memo->slots = calloc(memo->cap, sizeof(*memo->slots));
	if (!memo->slots) {
		free(memo);
		return NULL;
	}
	return memo;
}

void resolve_memo__free(struct resolve_memo *memo)
{
	uint32_t i;

	if (!memo)
		return;
	for (i = 0; i < memo->cap; i++)
		free((void *)memo->slots[i].sym.inlined);
	free(memo->slots);
	free(memo);
}

static uint32_t memo__hash(pid_t pid, uint64_t addr)
{
	uint64_t h = (addr ^ ((uint64_t)(uint32_t)pid << 40)) * 0x9e3779b97f4a7c15ull;

	return (uint32_t)(h >> 32);
}

/* The slot of (pid, addr): its entry, or the free slot where it goes. */
static struct memo_entry *memo__slot(struct memo_entry *slots, uint32_t cap, pid_t pid,
				     uint64_t addr)
{
	uint32_t i = memo__hash(pid, addr) & (cap - 1);

	while (slots[i].used && (slots[i].pid != pid || slots[i].addr != addr))
		i = (i + 1) & (cap - 1);
	return &slots[i];
}

/* Double the table; 0 or -ENOMEM (the memo stays as it was). */
static int memo__grow(struct resolve_memo *memo)
{
	uint32_t cap = memo->cap * 2, i;
	struct memo_entry *slots = calloc(cap, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (i = 0; i < memo->cap; i++)
		if (memo->slots[i].used)
			*memo__slot(slots, cap, memo->slots[i].pid, memo->slots[i].addr) =
				memo->slots[i];
	free(memo->slots);
	memo->slots = slots;
	memo->cap = cap;
	return 0;
}

/* Keep what the inner function said in e; false when the inlined frames cannot be copied. */
static bool memo__keep(struct memo_entry *e, pid_t pid, uint64_t addr, int ret,
		       const struct mv_symbol *sym)
{
	struct mv_inlined *in = NULL;

	if (sym->inlined_cnt) {
		in = malloc(sym->inlined_cnt * sizeof(*in));
		if (!in)
			return false;
		memcpy(in, sym->inlined, sym->inlined_cnt * sizeof(*in));
	}
	*e = (struct memo_entry){ .used = true, .pid = pid, .addr = addr, .ret = ret, .sym = *sym };
	e->sym.inlined = in;
	return true;
}

int resolve_memo__resolve(void *ctx, pid_t pid, uint64_t addr, struct mv_symbol *out)
{
	struct resolve_memo *memo = ctx;
	struct memo_entry *e = memo__slot(memo->slots, memo->cap, pid, addr);
	int ret;

	if (e->used) {
		*out = e->sym;
		return e->ret;
	}
	ret = memo->fn(memo->ctx, pid, addr, out);
	if (memo->cnt >= RESOLVE_MEMO_MAX)
		return ret;	/* full: pass through */
	if (memo->cnt + 1 > memo->cap / 2) {
		if (memo__grow(memo))
			return ret;
		e = memo__slot(memo->slots, memo->cap, pid, addr);
	}
	if (memo__keep(e, pid, addr, ret, out))
		memo->cnt++;
	return ret;
}
