/* SPDX-License-Identifier: GPL-2.0 */
/*
 * stack_diff: how the outstanding heap of two reports differs by stack.
 * Stacks are matched by a key made of their frames' names (symbol and
 * module, never addresses, so two runs of one program match); a key seen in
 * several processes of a report is summed. Pure.
 */
#ifndef MV_STACK_DIFF_H
#define MV_STACK_DIFF_H

#include <stddef.h>
#include <stdint.h>

/* One stack of one report: its key and what it holds. */
struct stack_sum {
	const char *key;		/* frames' names, one per line, innermost first */
	uint64_t bytes;
	uint64_t blocks;
};

enum stack_change_kind {
	STACK_APPEARED,
	STACK_GREW,
	STACK_SHRANK,
	STACK_DISAPPEARED,
	STACK_SAME,
	STACK_CHANGE_CNT,
};

struct stack_change {
	const char *key;		/* as given (one of the inputs' strings) */
	enum stack_change_kind kind;
	uint64_t old_bytes, new_bytes;
	uint64_t old_blocks, new_blocks;
	int64_t bytes_delta;		/* new - old */
	int64_t blocks_delta;
};

/*
 * Compare old[0..old_cnt) with new[0..new_cnt) (both are sorted in place by
 * key). *out (freed by the caller) gets one change per distinct key, the
 * largest byte change first (then by key), *cnt their count; 0 or -ENOMEM.
 * A stack in both with the same bytes but other blocks counts as grown or
 * shrunk by its blocks.
 */
int stack_diff__compute(struct stack_sum *old, size_t old_cnt, struct stack_sum *new,
			size_t new_cnt, struct stack_change **out, size_t *cnt);

/* "appeared", "grew", "shrank", "disappeared", "same". */
const char *stack_diff__kind_name(enum stack_change_kind kind);

#endif
