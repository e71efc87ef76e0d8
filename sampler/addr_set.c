// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdbool.h>
#include "addr_set.h"

#define ADDR_MASK (ADDR_SET_ADDR_LIMIT - 1)
#define TAG_SHIFT 56

/*
 * A count never exceeds ADDR_SET_WAYS plus the inserts in progress on its
 * bucket at once (one per thread and signal nesting level): far below 2^16.
 */

static inline uint64_t load(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline bool cas(uint64_t *p, uint64_t old, uint64_t new)
{
	return __atomic_compare_exchange_n(p, &old, new, false, __ATOMIC_ACQ_REL,
					   __ATOMIC_ACQUIRE);
}

static inline void count_add(struct addr_set *set, uint32_t b, int delta)
{
	__atomic_fetch_add(&set->counts[b], (uint16_t)delta, __ATOMIC_ACQ_REL);
}

static inline uint16_t count_get(const struct addr_set *set, uint32_t b)
{
	return __atomic_load_n(&set->counts[b], __ATOMIC_ACQUIRE);
}

static inline uint8_t tag_of(uint64_t v)
{
	return (uint8_t)(v >> TAG_SHIFT);
}

static inline uint64_t *bucket(struct addr_set *set, uint32_t b)
{
	return set->slots + (size_t)b * ADDR_SET_WAYS;
}

size_t addr_set__bytes(uint32_t slots)
{
	size_t counts = (size_t)slots / ADDR_SET_WAYS * sizeof(uint16_t);

	return sizeof(struct addr_set) + (size_t)slots * sizeof(uint64_t) + ((counts + 63) & ~63ul);
}

struct addr_set *addr_set__init(void *mem, uint32_t slots)
{
	struct addr_set *set = mem;
	uint32_t bits = 0;

	if (slots < 16 || (slots & (slots - 1)) || ((uintptr_t)mem & 63))
		return NULL;
	while ((ADDR_SET_WAYS << bits) < (int64_t)slots)
		bits++;
	set->slots = (uint64_t *)(set + 1);
	set->counts = (uint16_t *)(set->slots + slots);
	set->bucket_bits = bits;
	set->slot_cnt = slots;
	return set;
}

uint32_t addr_set__slots(const struct addr_set *set)
{
	return set->slot_cnt;
}

/* An entry for addr under any tag: replaced in place by key. */
static bool replace_same_addr(struct addr_set *set, const uint32_t b[2], uint64_t addr,
			      uint64_t key)
{
	uint64_t *s, v;
	int i, w;

	for (i = 0; i < 2; i++) {
		s = bucket(set, b[i]);
		for (w = 0; w < ADDR_SET_WAYS; w++) {
			v = load(&s[w]);
			if (v && (v & ADDR_MASK) == addr && (v == key || cas(&s[w], v, key)))
				return true;
		}
	}
	return false;
}

/*
 * key into an empty slot of bucket b, else in place of an entry of another
 * generation: entries of the current one are never evicted by it, and
 * those of a newer one (a thread still inserting under the old generation
 * while memvigil switches) only from a full bucket.
 */
static bool fill_slot(struct addr_set *set, uint32_t b, uint64_t key)
{
	uint64_t *s = bucket(set, b), v;
	int pass, w;

	count_add(set, b, 1);
	for (pass = 0; pass < 2; pass++)
		for (w = 0; w < ADDR_SET_WAYS; w++) {
			v = load(&s[w]);
			if (pass == 0 ? v != 0 : !v || tag_of(v) == tag_of(key))
				continue;
			if (!cas(&s[w], v, key))
				continue;
			if (v)	/* an entry gave way: its slot was counted already */
				count_add(set, b, -1);
			return true;
		}
	count_add(set, b, -1);
	return false;
}

int addr_set__insert(struct addr_set *set, uint64_t addr, uint8_t tag)
{
	uint64_t key = addr | (uint64_t)tag << TAG_SHIFT;
	uint32_t b[2], first;

	if (!addr || addr >= ADDR_SET_ADDR_LIMIT)
		return -EINVAL;
	addr_set__buckets(set, addr, b);
	if (replace_same_addr(set, b, addr, key))
		return 0;
	first = count_get(set, b[1]) < count_get(set, b[0]);
	if (fill_slot(set, b[first], key) || fill_slot(set, b[!first], key))
		return 0;
	return -ENOSPC;
}

enum addr_set_result addr_set__remove(struct addr_set *set, uint64_t addr, uint8_t tag)
{
	uint32_t b[2];
	uint64_t *s, v;
	int i, w;

	if (!addr || addr >= ADDR_SET_ADDR_LIMIT)
		return ADDR_SET_MISS;
	addr_set__buckets(set, addr, b);
	for (i = 0; i < 2; i++) {
		if (!count_get(set, b[i]))
			continue;
		s = bucket(set, b[i]);
		for (w = 0; w < ADDR_SET_WAYS; w++) {
			v = load(&s[w]);
			if (!v || (v & ADDR_MASK) != addr || !cas(&s[w], v, 0))
				continue;
			count_add(set, b[i], -1);
			return tag_of(v) == tag ? ADDR_SET_HIT : ADDR_SET_STALE;
		}
	}
	return ADDR_SET_MISS;
}

uint32_t addr_set__used(const struct addr_set *set)
{
	uint32_t i, n = 0;

	for (i = 0; i < set->slot_cnt; i++)
		n += load(&set->slots[i]) != 0;
	return n;
}
