// SPDX-License-Identifier: GPL-2.0
/*
 * leak_cache_churn [SECONDS]: three kinds of heap use side by side for
 * SECONDS (default 40), the ground truth for leak verdicts:
 *
 *   leak_steadily  leaks 128 bytes every 125 ms: exactly 1 KiB/s, never freed;
 *   cache_fill     fills a 64-entry cache of 4 KiB blocks in 8 s, then keeps
 *                  replacing one entry per tick: 256 KiB held, steady, old;
 *   churn          a second thread allocating and freeing ~5000 blocks a second
 *                  of 16..4096 bytes, holding at most 256 of them.
 *
 * Ticks follow an absolute clock so the leak rate does not drift. Prints
 * "READY <pid>" first; at the end, after the churn thread has freed
 * everything it held:
 *   RATE func=leak_steadily bytes_per_s=1024
 *   CACHE func=cache_fill bytes=262144 allocs=64 full_after_s=8
 *   TRUTH func=leak_steadily bytes=N allocs=K
 *   CLEAN func=churn
 *   TRUTH done
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "truth.h"

#define TICK_NS 125000000L
#define LEAK_BYTES 128
#define CACHE_SLOTS 64
#define CACHE_BYTES 4096
#define CHURN_HELD 256

static void *cache[CACHE_SLOTS];
static unsigned cache_next, cache_used;
static unsigned long long leaked_bytes, leaked_allocs;
static void *volatile sink;
static atomic_int stop;

static __attribute__((noinline)) void leak_steadily(void)
{
	char *p = malloc(LEAK_BYTES);

	if (!p)
		exit(2);
	memset(p, 1, LEAK_BYTES);
	sink = p;
	leaked_bytes += LEAK_BYTES;
	leaked_allocs++;
}

/* One new entry per tick; once full, the oldest is evicted for it. */
static __attribute__((noinline)) void cache_fill(void)
{
	void *e = malloc(CACHE_BYTES);

	if (!e)
		exit(2);
	memset(e, 2, CACHE_BYTES);
	free(cache[cache_next]);
	cache[cache_next] = e;
	cache_next = (cache_next + 1) % CACHE_SLOTS;
	if (cache_used < CACHE_SLOTS)
		cache_used++;
}

static __attribute__((noinline)) void churn_free(void **held)
{
	for (unsigned i = 0; i < CHURN_HELD; i++) {
		free(held[i]);
		held[i] = NULL;
	}
}

static __attribute__((noinline)) void *churn(void *arg)
{
	void *held[CHURN_HELD] = { 0 };
	struct timespec nap = { 0, 10 * 1000 * 1000 };
	unsigned seed = 7, slot = 0;

	(void)arg;
	while (!atomic_load(&stop)) {
		for (int i = 0; i < 50; i++) {
			seed = seed * 1103515245u + 12345u;
			free(held[slot]);
			held[slot] = malloc(16 + (seed >> 8) % 4081);
			slot = (slot + 1) % CHURN_HELD;
		}
		nanosleep(&nap, NULL);
	}
	churn_free(held);
	return NULL;
}

static void tick_after(struct timespec *t)
{
	t->tv_nsec += TICK_NS;
	if (t->tv_nsec >= 1000000000L) {
		t->tv_nsec -= 1000000000L;
		t->tv_sec++;
	}
	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, t, NULL);
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? strtod(argv[1], NULL) : 40;
	long ticks = secs * 1e9 / TICK_NS;
	struct timespec t;
	pthread_t thread;

	truth_ready();
	if (pthread_create(&thread, NULL, churn, NULL))
		return 2;
	clock_gettime(CLOCK_MONOTONIC, &t);
	for (long i = 0; i < ticks; i++) {
		leak_steadily();
		cache_fill();
		tick_after(&t);
	}
	atomic_store(&stop, 1);
	pthread_join(thread, NULL);
	printf("RATE func=leak_steadily bytes_per_s=%ld\n", LEAK_BYTES * 1000000000L / TICK_NS);
	printf("CACHE func=cache_fill bytes=%u allocs=%u full_after_s=%ld\n",
	       cache_used * CACHE_BYTES, cache_used, CACHE_SLOTS * TICK_NS / 1000000000L);
	truth_leak("leak_steadily", leaked_bytes, leaked_allocs);
	truth_clean("churn");
	truth_done();
	return 0;
}
