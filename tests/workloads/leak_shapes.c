// SPDX-License-Identifier: GPL-2.0
/*
 * leak_shapes MODE [SECONDS [BLOCK_BYTES [PER_SECOND]]]: one shape of memory
 * use for SECONDS (default 20), the ground truth for how soon and how
 * honestly leak verdicts come:
 *
 *   steady   leak_steadily leaks BLOCK_BYTES (default 4096) PER_SECOND times
 *            a second (default 64: 256 KiB/s), never freed; "steady 20 128 8"
 *            is exactly 1 KiB/s;
 *   cache    cache_put fills a 48-entry cache of 4 KiB blocks, one entry per
 *            125 ms: full after 6 s, then each new entry evicts the oldest,
 *            so 192 KiB are held, flat, and no block lives past 6 s;
 *   mapping  map_leak maps 256 KiB of anonymous memory every 100 ms and
 *            never unmaps it (2.5 MiB/s);
 *   realloc  grow_buffer grows one buffer by BLOCK_BYTES PER_SECOND times a
 *            second with realloc, as an ever-growing log or vector does: its
 *            bytes rise like steady's, but each realloc frees the block before,
 *            so one block is held and it is never older than one step.
 *
 * Each step runs at its own time on an absolute clock, so the rates do not
 * drift. Prints "READY <pid>" first; at the end
 *   TRUTH func=F bytes=N allocs=K     (K blocks or mappings still held)
 *   TRUTH done
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include "truth.h"

#define CACHE_SLOTS 48
#define CACHE_BYTES 4096
#define MAP_BYTES (256 * 1024)

enum shape { STEADY, CACHE, MAPPING, REALLOC, SHAPE_CNT };

static const struct {
	const char *mode, *func;
	long per_s;		/* 0: PER_SECOND */
} shapes[SHAPE_CNT] = {
	[STEADY] = { "steady", "leak_steadily", 0 },
	[CACHE] = { "cache", "cache_put", 8 },
	[MAPPING] = { "mapping", "map_leak", 10 },
	[REALLOC] = { "realloc", "grow_buffer", 0 },
};

static void *cache[CACHE_SLOTS];
static unsigned cache_next, cache_used;
static unsigned long long held_bytes, held_cnt;
static void *volatile sink;

/* bytes from malloc, written; inlined, so its caller is the allocating frame. */
static inline __attribute__((always_inline)) void *written_block(size_t bytes)
{
	void *p = malloc(bytes);

	if (!p)
		exit(2);
	return memset(p, 0xa5, bytes);
}

static __attribute__((noinline)) void leak_steadily(size_t bytes)
{
	sink = written_block(bytes);
	held_bytes += bytes;
	held_cnt++;
}

/* One new entry; once full, the oldest is evicted for it. */
static __attribute__((noinline)) void cache_put(void)
{
	free(cache[cache_next]);
	cache[cache_next] = written_block(CACHE_BYTES);
	cache_next = (cache_next + 1) % CACHE_SLOTS;
	cache_used += cache_used < CACHE_SLOTS;
	held_bytes = (unsigned long long)cache_used * CACHE_BYTES;
	held_cnt = cache_used;
}

static __attribute__((noinline)) void map_leak(void)
{
	void *p = mmap(NULL, MAP_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		exit(2);
	sink = p;
	held_bytes += MAP_BYTES;
	held_cnt++;
}

/* The one buffer, bytes longer; written, so its pages are real. */
static __attribute__((noinline)) void grow_buffer(size_t bytes)
{
	static char *buffer;
	char *p = realloc(buffer, held_bytes + bytes);

	if (!p)
		exit(2);
	memset(p + held_bytes, 0xa5, bytes);
	buffer = p;
	sink = p;
	held_bytes += bytes;
	held_cnt = 1;
}

static void step(enum shape shape, size_t block)
{
	if (shape == STEADY)
		leak_steadily(block);
	else if (shape == REALLOC)
		grow_buffer(block);
	else if (shape == CACHE)
		cache_put();
	else
		map_leak();
}

/* Sleep until ns after start (CLOCK_MONOTONIC). */
static void sleep_until(const struct timespec *start, long long ns)
{
	long long at = start->tv_nsec + ns;
	struct timespec t = { start->tv_sec + at / 1000000000LL, at % 1000000000LL };

	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "steady";
	double secs = argc > 2 ? strtod(argv[2], NULL) : 20;
	size_t block = argc > 3 ? strtoul(argv[3], NULL, 0) : 4096;
	long per_s = argc > 4 ? strtol(argv[4], NULL, 0) : 64;
	struct timespec start;
	enum shape shape;
	long steps;

	for (shape = 0; shape < SHAPE_CNT && strcmp(shapes[shape].mode, mode); shape++)
		;
	if (shape == SHAPE_CNT || !block || per_s <= 0) {
		fprintf(stderr, "usage: leak_shapes steady|cache|mapping|realloc [SECONDS "
			"[BLOCK_BYTES [PER_SECOND]]]\n");
		return 64;
	}
	if (shapes[shape].per_s)
		per_s = shapes[shape].per_s;
	steps = secs * per_s;
	truth_ready();
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (long i = 0; i < steps; i++) {
		step(shape, block);
		sleep_until(&start, (i + 1) * 1000000000LL / per_s);
	}
	truth_leak(shapes[shape].func, held_bytes, held_cnt);
	truth_done();
	return 0;
}
