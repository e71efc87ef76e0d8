// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "model/liveset.h"

#define LIVESET_MIN_SLOTS 1024

struct liveset {
	struct live_alloc *slots;
	size_t cap;		/* power of two */
	size_t cnt;
};

static inline size_t slot_of(uint64_t addr, size_t cap)
{
	/* Fibonacci hashing: block addresses share their low bits. */
	return (size_t)((addr * 0x9E3779B97F4A7C15ull) >> 32) & (cap - 1);
}

struct liveset *liveset__new(void)
{
	struct liveset *ls = calloc(1, sizeof(*ls));

	if (!ls)
		return NULL;
	ls->cap = LIVESET_MIN_SLOTS;
	ls->slots = calloc(ls->cap, sizeof(*ls->slots));
	if (!ls->slots) {
		free(ls);
		return NULL;
	}
	return ls;
}

void liveset__free(struct liveset *ls)
{
	if (!ls)
		return;
	free(ls->slots);
	free(ls);
}

static inline bool bit_test(const uint64_t *bits, size_t i)
{
	return bits[i / 64] >> (i % 64) & 1;
}

static inline void bit_set(uint64_t *bits, size_t i)
{
	bits[i / 64] |= 1ull << (i % 64);
}

/*
 * Double the table in place: no second table, so memory peaks at the new
 * table's size (realloc of a large block moves pages with mremap, no copy).
 * Entries are rehashed by displacement: a placed entry is marked done and
 * only ever skips done entries, so its probe run stays intact; an entry not
 * yet rehashed that sits where a done one belongs is evicted and placed next.
 */
static int grow(struct liveset *ls)
{
	size_t old_cap = ls->cap, cap = old_cap * 2, mask = cap - 1, i, j;
	struct live_alloc *slots, cur, tmp;
	uint64_t *done;

	done = calloc(cap / 64 + 1, sizeof(*done));
	if (!done)
		return -ENOMEM;
	slots = realloc(ls->slots, cap * sizeof(*slots));
	if (!slots) {
		free(done);
		return -ENOMEM;
	}
	memset(slots + old_cap, 0, old_cap * sizeof(*slots));
	for (i = 0; i < cap; i++) {
		if (!slots[i].addr || bit_test(done, i))
			continue;
		cur = slots[i];
		memset(&slots[i], 0, sizeof(slots[i]));
		for (;;) {
			j = slot_of(cur.addr, cap);
			while (slots[j].addr && bit_test(done, j))
				j = (j + 1) & mask;
			tmp = slots[j];
			slots[j] = cur;
			bit_set(done, j);
			if (!tmp.addr)
				break;
			cur = tmp;
		}
	}
	free(done);
	ls->slots = slots;
	ls->cap = cap;
	return 0;
}

int liveset__insert(struct liveset *ls, const struct live_alloc *a,
		    struct live_alloc *replaced)
{
	size_t i;
	int err;

	if (!a->addr)
		return -EINVAL;
	if ((ls->cnt + 1) * 4 > ls->cap * 3) {
		err = grow(ls);
		if (err)
			return err;
	}
	for (i = slot_of(a->addr, ls->cap); ls->slots[i].addr; i = (i + 1) & (ls->cap - 1)) {
		if (ls->slots[i].addr == a->addr) {
			if (replaced)
				*replaced = ls->slots[i];
			ls->slots[i] = *a;
			return 1;
		}
	}
	ls->slots[i] = *a;
	ls->cnt++;
	return 0;
}

bool liveset__remove(struct liveset *ls, uint64_t addr, struct live_alloc *out)
{
	size_t mask = ls->cap - 1, i, j, home;

	if (!addr)
		return false;
	for (i = slot_of(addr, ls->cap); ls->slots[i].addr != addr; i = (i + 1) & mask)
		if (!ls->slots[i].addr)
			return false;
	if (out)
		*out = ls->slots[i];
	/* Backward-shift: pull later entries of the run into the hole. */
	for (j = (i + 1) & mask; ls->slots[j].addr; j = (j + 1) & mask) {
		home = slot_of(ls->slots[j].addr, ls->cap);
		/* Move j into hole i unless its home lies cyclically in (i, j]. */
		if (((j - home) & mask) >= ((j - i) & mask)) {
			ls->slots[i] = ls->slots[j];
			i = j;
		}
	}
	memset(&ls->slots[i], 0, sizeof(ls->slots[i]));
	ls->cnt--;
	return true;
}

size_t liveset__count(const struct liveset *ls)
{
	return ls->cnt;
}

size_t liveset__memory_bytes(const struct liveset *ls)
{
	return sizeof(*ls) + ls->cap * sizeof(*ls->slots);
}

void liveset__clear(struct liveset *ls)
{
	memset(ls->slots, 0, ls->cap * sizeof(*ls->slots));
	ls->cnt = 0;
}

const struct live_alloc *liveset__next(const struct liveset *ls, size_t *pos)
{
	while (*pos < ls->cap) {
		const struct live_alloc *a = &ls->slots[(*pos)++];

		if (a->addr)
			return a;
	}
	return NULL;
}
