// SPDX-License-Identifier: GPL-2.0
/*
 * The sampler library's table of sampled live addresses (sampler/addr_set.c):
 * insert, remove, full buckets, stale generations, and threads inserting and
 * removing at once (tests/sampler/st_set_race.c runs the threaded cases under
 * ThreadSanitizer, which Criterion's runner does not start under).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "addr_set.h"

static struct addr_set *set_new(uint32_t slots)
{
	size_t bytes = addr_set__bytes(slots);
	void *mem = aligned_alloc(64, (bytes + 63) & ~(size_t)63);

	cr_assert_not_null(mem);
	memset(mem, 0, bytes);
	return addr_set__init(mem, slots);
}

/* Distinct heap-like addresses: 16-aligned, spread like a real heap. */
static uint64_t addr_n(uint64_t i)
{
	return 0x55550000000ull + i * 48;
}

Test(sampler_set, init_refuses_sizes_that_are_not_powers_of_two_and_misaligned_memory)
{
	static char mem[4096] __attribute__((aligned(64)));

	cr_assert_null(addr_set__init(mem, 8));
	cr_assert_null(addr_set__init(mem, 48));
	cr_assert_null(addr_set__init(mem + 8, 16));
	cr_assert_not_null(addr_set__init(mem, 16));
}

Test(sampler_set, an_inserted_address_is_removed_once)
{
	struct addr_set *set = set_new(1024);

	cr_assert_eq(addr_set__insert(set, addr_n(1), 1), 0);
	cr_assert_eq(addr_set__used(set), 1);
	cr_assert_eq(addr_set__remove(set, addr_n(1), 1), ADDR_SET_HIT);
	cr_assert_eq(addr_set__remove(set, addr_n(1), 1), ADDR_SET_MISS);
	cr_assert_eq(addr_set__used(set), 0);
}

Test(sampler_set, removing_an_unknown_address_is_a_miss)
{
	struct addr_set *set = set_new(1024);
	uint64_t i;

	for (i = 0; i < 100; i++)
		cr_assert_eq(addr_set__insert(set, addr_n(i), 1), 0);
	for (i = 100; i < 10000; i++)
		cr_assert_eq(addr_set__remove(set, addr_n(i), 1), ADDR_SET_MISS);
	cr_assert_eq(addr_set__used(set), 100);
}

Test(sampler_set, inserting_an_address_twice_keeps_one_entry)
{
	struct addr_set *set = set_new(64);

	cr_assert_eq(addr_set__insert(set, addr_n(7), 3), 0);
	cr_assert_eq(addr_set__insert(set, addr_n(7), 3), 0);
	cr_assert_eq(addr_set__used(set), 1);
	cr_assert_eq(addr_set__remove(set, addr_n(7), 3), ADDR_SET_HIT);
	cr_assert_eq(addr_set__remove(set, addr_n(7), 3), ADDR_SET_MISS);
}

Test(sampler_set, addresses_it_cannot_hold_are_refused)
{
	struct addr_set *set = set_new(64);

	cr_assert_eq(addr_set__insert(set, 0, 1), -EINVAL);
	cr_assert_eq(addr_set__insert(set, ADDR_SET_ADDR_LIMIT, 1), -EINVAL);
	cr_assert_eq(addr_set__remove(set, 0, 1), ADDR_SET_MISS);
	cr_assert_eq(addr_set__used(set), 0);
}

Test(sampler_set, a_full_set_refuses_and_keeps_what_it_holds)
{
	struct addr_set *set = set_new(16);	/* two buckets: every address may use both */
	uint64_t i;

	for (i = 0; i < 16; i++)
		cr_assert_eq(addr_set__insert(set, addr_n(i), 1), 0, "i=%llu",
			     (unsigned long long)i);
	cr_assert_eq(addr_set__insert(set, addr_n(16), 1), -ENOSPC);
	cr_assert_eq(addr_set__used(set), 16);
	for (i = 0; i < 16; i++)
		cr_assert_eq(addr_set__remove(set, addr_n(i), 1), ADDR_SET_HIT);
	cr_assert_eq(addr_set__insert(set, addr_n(16), 1), 0, "room again once emptied");
}

/*
 * The library maps twice the slots of the live blocks it is sized for (at
 * most half full); greedy two-choice placement first refuses well above that.
 */
Test(sampler_set, a_set_refuses_nothing_until_well_past_half_full)
{
	struct addr_set *set = set_new(1u << 16);
	uint64_t i;

	for (i = 0; addr_set__insert(set, addr_n(i), 1) == 0; i++)
		;
	cr_assert_gt(i, (1u << 16) * 0.6, "first refusal after %llu", (unsigned long long)i);
	while (i--)
		cr_assert_eq(addr_set__remove(set, addr_n(i), 1), ADDR_SET_HIT);
	cr_assert_eq(addr_set__used(set), 0);
}

Test(sampler_set, entries_of_an_earlier_generation_are_stale)
{
	struct addr_set *set = set_new(64);

	cr_assert_eq(addr_set__insert(set, addr_n(1), 1), 0);
	cr_assert_eq(addr_set__remove(set, addr_n(1), 2), ADDR_SET_STALE);
	cr_assert_eq(addr_set__used(set), 0, "a stale entry is dropped when seen");
	cr_assert_eq(addr_set__insert(set, addr_n(2), 1), 0);
	cr_assert_eq(addr_set__insert(set, addr_n(2), 2), 0, "the same address, a new session");
	cr_assert_eq(addr_set__used(set), 1);
	cr_assert_eq(addr_set__remove(set, addr_n(2), 2), ADDR_SET_HIT);
}

Test(sampler_set, stale_entries_give_way_to_new_ones)
{
	struct addr_set *set = set_new(16);
	uint64_t i;

	for (i = 0; i < 16; i++)
		cr_assert_eq(addr_set__insert(set, addr_n(i), 1), 0);
	for (i = 100; i < 116; i++)
		cr_assert_eq(addr_set__insert(set, addr_n(i), 2), 0, "i=%llu",
			     (unsigned long long)i);
	cr_assert_eq(addr_set__used(set), 16);
	for (i = 0; i < 16; i++)
		cr_assert_eq(addr_set__remove(set, addr_n(i), 2), ADDR_SET_MISS);
	for (i = 100; i < 116; i++)
		cr_assert_eq(addr_set__remove(set, addr_n(i), 2), ADDR_SET_HIT);
}

Test(sampler_set, another_generation_loses_its_slots_only_from_a_full_bucket)
{
	struct addr_set *set = set_new(16);	/* two buckets, both open to every address */
	uint64_t i;

	cr_assert_eq(addr_set__insert(set, addr_n(0), 1), 0);
	for (i = 1; i < 16; i++)
		cr_assert_eq(addr_set__insert(set, addr_n(i), 2), 0);
	cr_assert_eq(addr_set__used(set), 16, "empty slots first: nothing evicted");
	cr_assert_eq(addr_set__remove(set, addr_n(0), 1), ADDR_SET_HIT);
	cr_assert_eq(addr_set__insert(set, addr_n(0), 1), 0);
	cr_assert_eq(addr_set__insert(set, addr_n(16), 2), 0, "full: the other generation's goes");
	cr_assert_eq(addr_set__remove(set, addr_n(0), 1), ADDR_SET_MISS);
}

#define THREADS 4
#define ROUNDS 20000
#define LIVE 64

struct worker {
	struct addr_set *set;
	uint64_t base;
	uint64_t misses;
};

/* Each thread keeps up to LIVE addresses of its own in the set at once. */
static void *churn(void *arg)
{
	struct worker *w = arg;
	uint64_t i, a;

	for (i = 0; i < ROUNDS; i++) {
		a = w->base + (i % LIVE) * 16;
		if (i >= LIVE && addr_set__remove(w->set, a, 1) != ADDR_SET_HIT)
			w->misses++;
		if (addr_set__insert(w->set, a, 1))
			w->misses++;
	}
	for (i = 0; i < LIVE; i++)
		if (addr_set__remove(w->set, w->base + i * 16, 1) != ADDR_SET_HIT)
			w->misses++;
	return NULL;
}

Test(sampler_set, threads_inserting_and_removing_at_once_lose_nothing)
{
	struct addr_set *set = set_new(1024);	/* small: threads share buckets */
	struct worker w[THREADS];
	pthread_t t[THREADS];
	int i;

	for (i = 0; i < THREADS; i++) {
		w[i] = (struct worker){ .set = set, .base = 0x7f0000000000ull + i * 0x100000ull };
		cr_assert_eq(pthread_create(&t[i], NULL, churn, &w[i]), 0);
	}
	for (i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		cr_assert_eq(w[i].misses, 0, "thread %d: %llu misses", i,
			     (unsigned long long)w[i].misses);
	}
	cr_assert_eq(addr_set__used(set), 0);
}

/* A block sampled in one thread and freed in another: a ring of addresses between them. */
#define RING 256

struct handoff {
	struct addr_set *set;
	uint64_t ring[RING];
	uint64_t head, tail;	/* head: next to fill (producer), tail: next to take */
	uint64_t hits;
};

static void *producer(void *arg)
{
	struct handoff *h = arg;
	uint64_t i;

	for (i = 0; i < ROUNDS; i++) {
		while (i - __atomic_load_n(&h->tail, __ATOMIC_ACQUIRE) >= RING)
			;
		cr_assert_eq(addr_set__insert(h->set, addr_n(i % 4096), 1), 0);
		__atomic_store_n(&h->ring[i % RING], addr_n(i % 4096), __ATOMIC_RELAXED);
		__atomic_store_n(&h->head, i + 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

static void *consumer(void *arg)
{
	struct handoff *h = arg;
	uint64_t i, a;

	for (i = 0; i < ROUNDS; i++) {
		while (__atomic_load_n(&h->head, __ATOMIC_ACQUIRE) <= i)
			;
		a = __atomic_load_n(&h->ring[i % RING], __ATOMIC_RELAXED);
		h->hits += addr_set__remove(h->set, a, 1) == ADDR_SET_HIT;
		__atomic_store_n(&h->tail, i + 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

Test(sampler_set, an_address_inserted_by_one_thread_is_removed_by_another)
{
	static struct handoff h;
	pthread_t p, c;

	h.set = set_new(8192);
	cr_assert_eq(pthread_create(&p, NULL, producer, &h), 0);
	cr_assert_eq(pthread_create(&c, NULL, consumer, &h), 0);
	pthread_join(p, NULL);
	pthread_join(c, NULL);
	cr_assert_eq(h.hits, ROUNDS);
	cr_assert_eq(addr_set__used(h.set), 0);
}
