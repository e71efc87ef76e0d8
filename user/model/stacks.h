/* SPDX-License-Identifier: GPL-2.0 */
/*
 * stacks: interns call stacks (arrays of return addresses) so each distinct
 * stack is stored once and named by a small id.
 */
#ifndef MV_STACKS_H
#define MV_STACKS_H

#include <stdint.h>

struct stacks;

struct stacks *stacks__new(void);
void stacks__free(struct stacks *st);

/* Id of the stack frames[0..depth), adding it if new; negative errno on failure. */
int64_t stacks__intern(struct stacks *st, const uint64_t *frames, uint32_t depth);
/* Frames of id (NULL for an unknown id); *depth gets their count. */
const uint64_t *stacks__frames(const struct stacks *st, uint32_t id, uint32_t *depth);
uint32_t stacks__count(const struct stacks *st);

#endif
