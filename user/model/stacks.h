/* SPDX-License-Identifier: GPL-2.0 */
/*
 * stacks: interns call stacks (arrays of return addresses) so each distinct
 * stack is stored once and named by a small id.
 */
#ifndef MV_STACKS_H
#define MV_STACKS_H

#include <stdbool.h>
#include <stdint.h>

struct stacks;

struct stacks *stacks__new(void);
void stacks__free(struct stacks *st);

/*
 * The last frame of a stack cut short (by the depth limit, a missing unwind
 * rule, an unreadable stack, a broken frame chain): the same frames cut and
 * whole are two stacks.
 */
#define STACKS_TRUNCATED_MARK UINT64_MAX

/* Id of the stack frames[0..depth), adding it if new; negative errno on failure. */
int64_t stacks__intern(struct stacks *st, const uint64_t *frames, uint32_t depth);
/*
 * Frames of id (NULL for an unknown id); *depth gets their count, without
 * the STACKS_TRUNCATED_MARK of a stack cut short.
 */
const uint64_t *stacks__frames(const struct stacks *st, uint32_t id, uint32_t *depth);
/* Whether stack id was cut short (ends in STACKS_TRUNCATED_MARK). */
bool stacks__truncated(const struct stacks *st, uint32_t id);
uint32_t stacks__count(const struct stacks *st);

#endif
