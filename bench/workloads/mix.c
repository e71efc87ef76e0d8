// SPDX-License-Identifier: GPL-2.0
/*
 * mix: a more realistic heap load. Threads (default 2) each run N/threads
 * ops; an op allocates one block (70% malloc, 15% calloc, 15% malloc then
 * realloc to another size) of a size class from 16 B to 4 KiB (1% are 64 KiB),
 * writes to it, and frees it, except that ~10% are kept alive in a per-thread
 * ring of 10,000 slots (storing into an occupied slot frees the older block).
 * Each thread first runs untimed for BENCH_WARMUP_MS (default 250 ms).
 * Usage: mix [N [THREADS]]. Prints NS_PER_OP = wall time x threads / ops.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include "bench.h"

#define RING_SLOTS 10000
#define MAX_THREADS 64

struct worker {
	pthread_t thread;
	long ops;
	uint64_t rng;
	void **ring;
	size_t slot;		/* next ring slot to store into */
	pthread_barrier_t *start;
};

static const size_t size_classes[] = { 16, 24, 32, 48, 64, 96, 128, 160, 256, 384,
				       512, 1024, 2048, 4096 };

static uint64_t next_rand(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

static size_t pick_size(uint64_t r)
{
	if (r % 100 == 0)
		return 64 * 1024;
	r /= 100;
	return size_classes[r % (sizeof(size_classes) / sizeof(size_classes[0]))] - (r >> 20) % 8;
}

static char *alloc_one(uint64_t r)
{
	unsigned int how = (r >> 40) % 100;
	size_t size = pick_size(r);
	char *p, *q;

	p = how < 15 ? calloc(1, size) : malloc(size);
	if (!p)
		abort();
	p[0] = 1;
	p[size - 1] = 2;
	if (how >= 85) {
		size = pick_size(r >> 3);
		q = realloc(p, size);
		if (!q)
			abort();
		p = q;
		p[size - 1] = 3;
	}
	return p;
}

static void one_op(struct worker *w)
{
	uint64_t r = next_rand(&w->rng);
	char *p = alloc_one(r);

	bench_escape(p);
	if ((r >> 56) % 10 == 0) {
		free(w->ring[w->slot]);
		w->ring[w->slot] = p;
		w->slot = (w->slot + 1) % RING_SLOTS;
	} else {
		free(p);
	}
}

static void *run_worker(void *arg)
{
	unsigned long long warm_end = bench_now_ns() + bench_warmup_ns();
	struct worker *w = arg;
	long i;

	while (bench_now_ns() < warm_end)
		one_op(w);
	pthread_barrier_wait(w->start);
	for (i = 0; i < w->ops; i++)
		one_op(w);
	return NULL;
}

int main(int argc, char **argv)
{
	long n = bench_arg_count(argc, argv, 1, 1000000);
	long threads = bench_arg_count(argc, argv, 2, 2), i, j;
	struct worker workers[MAX_THREADS];
	pthread_barrier_t start;
	unsigned long long t0, elapsed;

	if (threads > MAX_THREADS)
		threads = MAX_THREADS;
	bench_hold_if_asked();
	pthread_barrier_init(&start, NULL, (unsigned int)threads + 1);
	for (i = 0; i < threads; i++) {
		workers[i] = (struct worker){ .ops = n / threads, .rng = 0x9e3779b97f4a7c15ull * (i + 1),
					      .start = &start };
		workers[i].ring = calloc(RING_SLOTS, sizeof(void *));
		if (!workers[i].ring ||
		    pthread_create(&workers[i].thread, NULL, run_worker, &workers[i]))
			return 1;
	}
	pthread_barrier_wait(&start);
	t0 = bench_now_ns();
	for (i = 0; i < threads; i++)
		pthread_join(workers[i].thread, NULL);
	elapsed = bench_now_ns() - t0;
	for (i = 0; i < threads; i++) {
		for (j = 0; j < RING_SLOTS; j++)
			free(workers[i].ring[j]);
		free(workers[i].ring);
	}
	bench_report(elapsed * threads, n / threads * threads);
	return 0;
}
