/* SPDX-License-Identifier: GPL-2.0 */
/*
 * addr_set: the addresses of the sampled blocks still live, so that a free
 * reaches the probe only for those. Lock-free and async-signal-safe (atomic
 * loads and compare-and-swaps only), fixed size, in memory the caller
 * provides (the library maps it; it never calls malloc).
 *
 * Slots hold addr | tag << 56 (0 = empty) in buckets of 8 slots, one cache
 * line each; an address may live in either of two buckets picked by two
 * hashes, and goes to the emptier one. Every bucket has a count that is never
 * below its used slots (raised before a slot is filled, lowered after one is
 * emptied), so a free of an unsampled block, the common case, usually reads
 * two counts of 0 in a small array and touches no bucket at all.
 *
 * The tag is the low byte of the session's generation: entries with another
 * tag are stale (sampled in an earlier session, freed while no one was
 * watching): an insert into a full bucket takes their slots, and a remove of
 * their address drops them silently.
 */
#ifndef MVS_ADDR_SET_H
#define MVS_ADDR_SET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ADDR_SET_WAYS 8
/* Addresses must be below this (user space on x86-64, also with 5-level paging). */
#define ADDR_SET_ADDR_LIMIT (1ull << 56)

struct addr_set {
	uint64_t *slots;	/* buckets of ADDR_SET_WAYS slots, 64-aligned */
	uint16_t *counts;	/* per bucket: used slots + inserts in progress */
	uint32_t bucket_bits;
	uint32_t slot_cnt;
} __attribute__((aligned(64)));

enum addr_set_result {
	ADDR_SET_MISS = 0,	/* no entry for the address */
	ADDR_SET_HIT = 1,	/* the address's entry, with the current tag, was removed */
	ADDR_SET_STALE = 2,	/* an entry with another tag was removed */
};

/* Bytes of memory a set of slots slots needs (slots: a power of two >= 16). */
size_t addr_set__bytes(uint32_t slots);

/*
 * A set in mem: addr_set__bytes(slots) zeroed bytes, aligned to 64. Returns
 * NULL when slots is not a power of two >= 16 or mem is misaligned.
 */
struct addr_set *addr_set__init(void *mem, uint32_t slots);

/*
 * Remember addr (nonzero, below ADDR_SET_ADDR_LIMIT) under tag. 0 when
 * stored (or already there); -ENOSPC when both of its buckets are full of
 * entries under tag; -EINVAL for an address it cannot hold.
 */
int addr_set__insert(struct addr_set *set, uint64_t addr, uint8_t tag);

/* The two buckets addr may live in (different ones). */
static inline void addr_set__buckets(const struct addr_set *set, uint64_t addr, uint32_t b[2])
{
	uint32_t shift = 64 - set->bucket_bits;

	b[0] = (uint32_t)((addr * 0x9e3779b97f4a7c15ull) >> shift);
	b[1] = (uint32_t)((addr * 0xc2b2ae3d27d4eb4full) >> shift);
	if (b[1] == b[0])
		b[1] ^= 1;
}

/*
 * Whether addr may be in the set: false (certainly not) when both of its
 * buckets are empty, the common case for a block that was not sampled. Two
 * loads from the small count array; cheap enough to inline in every free.
 */
static inline bool addr_set__may_hold(const struct addr_set *set, uint64_t addr)
{
	uint32_t b[2];

	addr_set__buckets(set, addr, b);
	return __atomic_load_n(&set->counts[b[0]], __ATOMIC_ACQUIRE) ||
	       __atomic_load_n(&set->counts[b[1]], __ATOMIC_ACQUIRE);
}

/* Forget addr: whether its entry was there under tag (enum addr_set_result). */
enum addr_set_result addr_set__remove(struct addr_set *set, uint64_t addr, uint8_t tag);

uint32_t addr_set__slots(const struct addr_set *set);

/* Entries present now, stale ones included (a full scan: for tests and reports). */
uint32_t addr_set__used(const struct addr_set *set);

#endif
