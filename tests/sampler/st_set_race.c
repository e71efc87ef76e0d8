// SPDX-License-Identifier: GPL-2.0
/*
 * st_set_race: the sampler's address table (sampler/addr_set.c) under
 * threads, for ThreadSanitizer (Criterion's runner, which the unit tests
 * use, cannot start under TSan). Threads insert and remove their own
 * addresses in shared buckets, under two generations at once (each one's
 * entries stale to the other, as when a thread still uses the old one while
 * memvigil switches sessions), and hand addresses from one thread to
 * another through a ring. No entry is lost (the table is far from full:
 * only a full bucket gives another generation's slots away) or found twice.
 * Needs no preloaded library.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "addr_set.h"

#define THREADS 4
#define ROUNDS 100000
#define LIVE 48
#define RING 256

static struct addr_set *set;

struct worker {
	pthread_t thread;
	uint64_t base;
	uint8_t tag;
	uint64_t lost;		/* own entries not found at their removal */
};

static void *churn(void *arg)
{
	struct worker *w = arg;
	uint64_t i, a;

	for (i = 0; i < ROUNDS; i++) {
		a = w->base + (i % LIVE) * 16;
		if (i >= LIVE && addr_set__remove(set, a, w->tag) != ADDR_SET_HIT)
			w->lost++;
		if (addr_set__insert(set, a, w->tag))
			w->lost++;
	}
	for (i = 0; i < LIVE; i++)
		if (addr_set__remove(set, w->base + i * 16, w->tag) != ADDR_SET_HIT)
			w->lost++;
	return NULL;
}

static uint64_t ring[RING], head, tail, handed_lost;

static void *producer(void *arg)
{
	uint64_t i, a;

	(void)arg;
	for (i = 0; i < ROUNDS; i++) {
		while (i - __atomic_load_n(&tail, __ATOMIC_ACQUIRE) >= RING)
			;
		a = 0x600000000000ull + (i % 8192) * 32;
		if (addr_set__insert(set, a, 9))
			__atomic_fetch_add(&handed_lost, 1, __ATOMIC_RELAXED);
		__atomic_store_n(&ring[i % RING], a, __ATOMIC_RELAXED);
		__atomic_store_n(&head, i + 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

static void *consumer(void *arg)
{
	uint64_t i;

	(void)arg;
	for (i = 0; i < ROUNDS; i++) {
		while (__atomic_load_n(&head, __ATOMIC_ACQUIRE) <= i)
			;
		if (addr_set__remove(set, __atomic_load_n(&ring[i % RING], __ATOMIC_RELAXED), 9) !=
		    ADDR_SET_HIT)
			__atomic_fetch_add(&handed_lost, 1, __ATOMIC_RELAXED);
		__atomic_store_n(&tail, i + 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

int main(void)
{
	struct worker w[THREADS];
	pthread_t p, c;
	size_t bytes = addr_set__bytes(2048);
	void *mem = aligned_alloc(64, (bytes + 63) & ~(size_t)63);
	int i;

	if (!mem)
		return 1;
	memset(mem, 0, bytes);
	set = addr_set__init(mem, 2048);	/* small: threads share buckets */
	for (i = 0; i < THREADS; i++) {
		w[i] = (struct worker){ .base = 0x7f0000000000ull + i * 0x10000ull,
					.tag = (uint8_t)(1 + i % 2) };
		pthread_create(&w[i].thread, NULL, churn, &w[i]);
	}
	pthread_create(&p, NULL, producer, NULL);
	pthread_create(&c, NULL, consumer, NULL);
	for (i = 0; i < THREADS; i++)
		pthread_join(w[i].thread, NULL);
	pthread_join(p, NULL);
	pthread_join(c, NULL);
	for (i = 0; i < THREADS; i++)
		if (w[i].lost) {
			printf("st_set_race: FAIL: thread %d lost %llu entries\n", i,
			       (unsigned long long)w[i].lost);
			return 1;
		}
	if (handed_lost || addr_set__used(set)) {
		printf("st_set_race: FAIL: %llu handed entries lost, %u left in the table\n",
		       (unsigned long long)handed_lost, addr_set__used(set));
		return 1;
	}
	printf("st_set_race: %d threads, two generations and a hand-off: nothing lost\n",
	       THREADS + 2);
	return 0;
}
