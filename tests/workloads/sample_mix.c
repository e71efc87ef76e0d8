// SPDX-License-Identifier: GPL-2.0
/*
 * sample_mix [SECONDS]: a known leak spread over many sizes, among churn
 * that frees everything, for testing byte-sampled estimates against truth.
 *
 * leak_mixed leaks 16 MiB in each of six size classes (about 24 B, 200 B,
 * 1.5 KiB, 12 KiB, 100 KiB and 800 KiB, each size jittered by up to 25%),
 * through malloc, calloc, malloc+realloc, posix_memalign, memalign and
 * aligned_alloc (with alignments glibc serves by calling malloc), in 100 slices spread over the
 * first 80% of the run. Two threads churn the whole time (churn_small,
 * churn_large, churn_realloc, and hold_then_free, which keeps up to 1000
 * blocks until the end), freeing all they allocate. The run lasts SECONDS
 * (default 10) or until the whole leak is done, whichever is later.
 * Prints "TRUTH func=leak_mixed bytes=N allocs=K", CLEAN lines, "TRUTH done".
 */
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "truth.h"
#include "wl_rand.h"

#define CLASSES 6
#define CLASS_BYTES (16u << 20)
#define SLICES 100
#define HOLD_SLOTS 1000

static const size_t class_size[CLASSES] = { 24, 200, 1536, 12288, 102400, 819200 };

struct leak_plan {
	uint64_t seed;
	int cls;
	uint64_t class_bytes;		/* leaked so far in class cls */
	uint64_t bytes, allocs;		/* leaked so far, all classes */
};

static atomic_int stop;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A size around base: base * [0.75, 1.25). */
static size_t jitter(uint64_t *seed, size_t base)
{
	return base - base / 4 + wl_rand_next(seed) % (base / 2);
}

/* Leak one block of about the current class's size; false when the plan is done. */
static __attribute__((noinline)) int leak_mixed(struct leak_plan *lp)
{
	size_t size;
	void *p;

	if (lp->cls >= CLASSES)
		return 0;
	size = jitter(&lp->seed, class_size[lp->cls]);
	switch (lp->allocs % 10) {
	case 0:
		p = calloc(1, size);
		break;
	case 1:
		p = malloc(size / 2 + 1);
		if (p)
			p = realloc(p, size);
		break;
	case 2:
	case 5:	/* small alignments: glibc relays these to malloc (a nested call) */
		if (posix_memalign(&p, 16, size))
			p = NULL;
		break;
	case 3:
		p = memalign(8, size);
		break;
	case 4:
		p = aligned_alloc(16, size);
		break;
	default:
		p = malloc(size);
		break;
	}
	if (!p) {
		perror("sample_mix: allocation");
		exit(1);
	}
	*(volatile char *)p = 1;
	lp->bytes += size;
	lp->allocs++;
	lp->class_bytes += size;
	if (lp->class_bytes >= CLASS_BYTES) {
		lp->cls++;
		lp->class_bytes = 0;
	}
	return 1;
}

static __attribute__((noinline)) void churn_small(uint64_t *seed)
{
	void *p[16];
	int i;

	for (i = 0; i < 16; i++)
		p[i] = malloc(16 + wl_rand_next(seed) % 500);
	for (i = 0; i < 16; i++)
		free(p[i]);
}

static __attribute__((noinline)) void churn_large(uint64_t *seed)
{
	void *p = malloc(32768 + wl_rand_next(seed) % (2u << 20));
	void *q = calloc(4, 1000 + wl_rand_next(seed) % 30000);

	if (p)
		*(volatile char *)p = 1;
	free(p);
	free(q);
}

static __attribute__((noinline)) void churn_realloc(uint64_t *seed)
{
	size_t size = 8 + wl_rand_next(seed) % 64;
	void *p = malloc(size), *q;
	int i;

	for (i = 0; i < 6 && p; i++) {
		size = size * 3 + wl_rand_next(seed) % 100;
		q = realloc(p, size);
		if (!q)
			break;
		p = q;
	}
	free(p);
}

static __attribute__((noinline)) void hold_then_free(void **slots, uint64_t *seed, int free_all)
{
	int i = wl_rand_next(seed) % HOLD_SLOTS;

	if (free_all) {
		for (i = 0; i < HOLD_SLOTS; i++) {
			free(slots[i]);
			slots[i] = NULL;
		}
		return;
	}
	free(slots[i]);
	slots[i] = malloc(1 + wl_rand_next(seed) % 70000);
}

static void churn_once(uint64_t *seed, void **slots)
{
	churn_small(seed);
	churn_realloc(seed);
	hold_then_free(slots, seed, 0);
	if (wl_rand_next(seed) % 8 == 0)
		churn_large(seed);
}

static void *churn_thread(void *arg)
{
	uint64_t seed = (uintptr_t)arg;
	void **slots = calloc(HOLD_SLOTS, sizeof(*slots));

	if (!slots)
		return NULL;
	while (!atomic_load(&stop))
		churn_once(&seed, slots);
	hold_then_free(slots, &seed, 1);
	free(slots);
	return NULL;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 10, t0 = now_s(), t;
	struct leak_plan lp = { .seed = 12345 };
	uint64_t seed = 777, planned_allocs = 0;
	void **slots = calloc(HOLD_SLOTS, sizeof(*slots));
	int slice = 0, more = 1;
	pthread_t th;

	if (!slots || pthread_create(&th, NULL, churn_thread, (void *)(uintptr_t)99)) {
		fprintf(stderr, "sample_mix: cannot start\n");
		return 1;
	}
	/* The plan's block count, from a dry run of the same sizes. */
	{
		struct leak_plan dry = { .seed = 12345 };

		while (dry.cls < CLASSES) {
			dry.class_bytes += jitter(&dry.seed, class_size[dry.cls]);
			dry.allocs++;
			if (dry.class_bytes >= CLASS_BYTES) {
				dry.cls++;
				dry.class_bytes = 0;
			}
		}
		planned_allocs = dry.allocs;
	}
	while (more || (t = now_s() - t0) < secs) {
		t = now_s() - t0;
		/* slice k is due at k% of 80% of the run */
		while (more && (slice * 0.8 * secs / SLICES <= t || t >= secs)) {
			uint64_t until = planned_allocs * (slice + 1) / SLICES;

			while (more && lp.allocs < until)
				more = leak_mixed(&lp);
			if (slice + 1 < SLICES)
				slice++;
			else
				while (more)
					more = leak_mixed(&lp);
		}
		churn_once(&seed, slots);
	}
	atomic_store(&stop, 1);
	pthread_join(th, NULL);
	hold_then_free(slots, &seed, 1);
	free(slots);
	truth_leak("leak_mixed", lp.bytes, lp.allocs);
	truth_clean("churn_small");
	truth_clean("churn_large");
	truth_clean("churn_realloc");
	truth_clean("hold_then_free");
	truth_done();
	return 0;
}
