// SPDX-License-Identifier: GPL-2.0
/*
 * st_sampled: SAMPLED mode from four threads.
 *
 *   st_sampled          a stream of malloc, calloc and realloc of mixed
 *                       sizes; each thread leaves blocks live when it exits
 *                       and main frees them. Every reported block's free is
 *                       reported, and only those (test build: each free's
 *                       address was reported allocated and not yet freed);
 *                       the weights estimate the bytes allocated within 15%.
 *   st_sampled full     every allocation sampled into a table sized for
 *                       1000 blocks: once full, samples are dropped and
 *                       counted, never reported, and their frees neither.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "stress.h"

#define THREADS 4
#define RING 256
#define STREAM_BYTES (48ull << 20)	/* per thread */
#define PERIOD (64u << 10)
#define GENERATION 21

struct worker {
	pthread_t thread;
	uint64_t rng;
	uint64_t bytes;		/* bytes requested by allocating calls */
	void *ring[RING];
};

static pthread_barrier_t start;

/* The test build's view: addresses reported allocated and not yet freed. */
#define LIVE_SLOTS (1u << 16)
static uint64_t live[LIVE_SLOTS];
static int live_lock;
static uint64_t free_unknown, live_full;

static void lock(void)
{
	while (__atomic_exchange_n(&live_lock, 1, __ATOMIC_ACQUIRE))
		;
}

static void unlock(void)
{
	__atomic_store_n(&live_lock, 0, __ATOMIC_RELEASE);
}

static uint32_t slot_of(uint64_t a)
{
	return (uint32_t)((a * 0x9e3779b97f4a7c15ull) >> 48);
}

static void on_alloc(void *ptr, uint64_t size, uint64_t weight, uint32_t kind, uint64_t gen)
{
	uint32_t i = slot_of((uintptr_t)ptr), n;

	(void)size, (void)weight, (void)kind, (void)gen;
	lock();
	for (n = 0; n < LIVE_SLOTS && live[i]; n++)
		i = (i + 1) % LIVE_SLOTS;
	if (n == LIVE_SLOTS)
		live_full++;
	else
		live[i] = (uintptr_t)ptr;
	unlock();
}

static void on_free(void *ptr, uint32_t kind, uint64_t gen)
{
	uint32_t i = slot_of((uintptr_t)ptr), n;

	(void)kind, (void)gen;
	lock();
	for (n = 0; n < LIVE_SLOTS && live[i] != (uintptr_t)ptr; n++)
		i = (i + 1) % LIVE_SLOTS;
	if (n == LIVE_SLOTS)
		free_unknown++;
	else
		live[i] = 1;	/* a tombstone: keeps later entries of the run findable */
	unlock();
}

static uint64_t next_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* 16 B .. 64 KiB, log-uniform */
static size_t pick_size(uint64_t r)
{
	return ((size_t)16 << (r % 12)) + (r >> 8) % ((size_t)16 << (r % 12));
}

static void *one_alloc(struct worker *w)
{
	uint64_t r = next_rand(&w->rng);
	size_t size = pick_size(r);
	char *p;

	switch ((r >> 40) % 10) {
	case 0:
		p = calloc(2, size / 2 + 1);
		w->bytes += 2 * (size / 2 + 1);
		break;
	case 1: case 2:
		p = malloc(size);
		w->bytes += size;
		if (p) {
			size = pick_size(r >> 17);
			p = realloc(p, size);
			w->bytes += size;
		}
		break;
	default:
		p = malloc(size);
		w->bytes += size;
		break;
	}
	if (!p)
		stress_fail("allocation failed");
	p[0] = 1;
	return p;
}

static void *run(void *arg)
{
	struct worker *w = arg;
	uint64_t i;

	pthread_barrier_wait(&start);
	for (i = 0; w->bytes < STREAM_BYTES; i++) {
		free(w->ring[i % RING]);
		w->ring[i % RING] = one_alloc(w);
	}
	return NULL;	/* its ring stays live: main frees it */
}

static void check_estimate(uint64_t bytes, uint64_t samples)
{
	double ratio = (double)stress_hooks.weight_bytes / (double)bytes;

	if (samples < 100)
		stress_fail("only %llu samples", (unsigned long long)samples);
	if (ratio < 0.85 || ratio > 1.15)
		stress_fail("bytes estimated x%.3f of the %llu allocated (%llu samples)", ratio,
			    (unsigned long long)bytes, (unsigned long long)samples);
	if (free_unknown || live_full)
		stress_fail("%llu frees of addresses not reported live (%llu untracked)",
			    (unsigned long long)free_unknown, (unsigned long long)live_full);
	stress_note("bytes estimated x%.3f of %llu allocated, from %llu samples", ratio,
		    (unsigned long long)bytes, (unsigned long long)samples);
}

static void estimate(void)
{
	struct memvigil_sampler_ctl c0, c1;
	struct worker w[THREADS];
	uint64_t bytes = 0, samples;
	int i, j;

	memset(w, 0, sizeof(w));
	pthread_barrier_init(&start, NULL, THREADS + 1);
	for (i = 0; i < THREADS; i++) {
		w[i].rng = 0x9e3779b97f4a7c15ull * (i + 1);
		if (pthread_create(&w[i].thread, NULL, run, &w[i]))
			stress_fail("pthread_create");
	}
	stress_on_alloc = on_alloc;
	stress_on_free = on_free;
	stress_generation = GENERATION;
	c0 = stress_ctl();
	stress_attach(MV_SAMPLER_SAMPLED, PERIOD, GENERATION);
	pthread_barrier_wait(&start);
	for (i = 0; i < THREADS; i++) {
		pthread_join(w[i].thread, NULL);	/* exited with RING blocks live */
		bytes += w[i].bytes;
	}
	for (i = 0; i < THREADS; i++)
		for (j = 0; j < RING; j++)
			free(w[i].ring[j]);
	c1 = stress_ctl();
	stress_detach();
	samples = c1.alloc_probe_cnt - c0.alloc_probe_cnt;
	if (c1.free_probe_cnt - c0.free_probe_cnt != samples)
		stress_fail("%llu sampled blocks, all freed, but %llu frees reported",
			    (unsigned long long)samples,
			    (unsigned long long)(c1.free_probe_cnt - c0.free_probe_cnt));
	if (c1.sample_drop_cnt != c0.sample_drop_cnt || c1.stale_drop_cnt != c0.stale_drop_cnt)
		stress_fail("samples dropped: %llu (table full), %llu (stale)",
			    (unsigned long long)(c1.sample_drop_cnt - c0.sample_drop_cnt),
			    (unsigned long long)(c1.stale_drop_cnt - c0.stale_drop_cnt));
	if (stress_hooks_expected()) {
		if (stress_hook_allocs() != samples || stress_hook_frees() != samples)
			stress_fail("hooks saw %llu allocs and %llu frees of %llu samples",
				    (unsigned long long)stress_hook_allocs(),
				    (unsigned long long)stress_hook_frees(),
				    (unsigned long long)samples);
		stress_check_hooks();
		check_estimate(bytes, samples);
	} else {
		stress_note("%llu samples, each freed once", (unsigned long long)samples);
	}
}

#define FULL_BLOCKS 8000

static void full(void)
{
	struct memvigil_sampler_ctl c0, c1, c2;
	uint64_t reported, dropped;
	static void *blocks[FULL_BLOCKS];
	int i;

	c0 = stress_ctl();
	if (c0.set_slots)
		stress_fail("the table exists already (%llu slots)",
			    (unsigned long long)c0.set_slots);
	stress_attach_live_max(MV_SAMPLER_SAMPLED, 1, 22, 1000);
	for (i = 0; i < FULL_BLOCKS; i++)
		if (!(blocks[i] = malloc(64)))
			stress_fail("malloc failed");
	c1 = stress_ctl();
	reported = c1.alloc_probe_cnt - c0.alloc_probe_cnt;
	dropped = c1.sample_drop_cnt - c0.sample_drop_cnt;
	if (c1.set_slots != MV_SAMPLER_SLOTS_MIN || reported + dropped != FULL_BLOCKS ||
	    !dropped || reported > c1.set_slots || reported < c1.set_slots / 2)
		stress_fail("%llu slots: %llu of %d allocations reported, %llu dropped",
			    (unsigned long long)c1.set_slots, (unsigned long long)reported,
			    FULL_BLOCKS, (unsigned long long)dropped);
	for (i = 0; i < FULL_BLOCKS; i++)
		free(blocks[i]);
	c2 = stress_ctl();
	if (c2.free_probe_cnt - c1.free_probe_cnt != reported)
		stress_fail("%llu frees reported of %llu reported blocks",
			    (unsigned long long)(c2.free_probe_cnt - c1.free_probe_cnt),
			    (unsigned long long)reported);
	for (i = 0; i < 100; i++)
		free(malloc(64));
	c1 = stress_ctl();
	stress_detach();
	if (c1.alloc_probe_cnt - c2.alloc_probe_cnt != 100)
		stress_fail("the emptied table took %llu of 100 samples",
			    (unsigned long long)(c1.alloc_probe_cnt - c2.alloc_probe_cnt));
	stress_note("table of %llu slots: %llu reported, %llu dropped and counted, all frees "
		    "matched", (unsigned long long)c1.set_slots, (unsigned long long)reported,
		    (unsigned long long)dropped);
}

int main(int argc, char **argv)
{
	stress_init("st_sampled", 120);
	if (argc > 1 && !strcmp(argv[1], "full"))
		full();
	else
		estimate();
	return 0;
}
