// SPDX-License-Identifier: GPL-2.0
/*
 * leak_shapes MODE [SECONDS [BLOCK_BYTES [PER_SECOND]]]: one shape of memory
 * use for SECONDS (default 20), the ground truth for how soon and how
 * honestly leak verdicts come:
 *
 *   steady   leak_steadily leaks BLOCK_BYTES (default 4096) PER_SECOND times
 *            a second (default 64: 256 KiB/s), never freed;
 *   slow     leak_slowly leaks 128 bytes every 125 ms: exactly 1 KiB/s;
 *   cache    cache_put fills a 48-entry cache of 4 KiB blocks, one entry per
 *            125 ms: full after 6 s, then each new entry evicts the oldest,
 *            so 192 KiB are held, flat, and no block lives past 6 s;
 *   mapping  map_leak maps 256 KiB of anonymous memory every 100 ms and
 *            never unmaps it (2.5 MiB/s).
 *
 * Ticks follow an absolute clock so the rates do not drift. Prints
 * "READY <pid>" first; at the end
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

#define SLOW_BYTES 128
#define SLOW_TICK_NS 125000000L
#define CACHE_SLOTS 48
#define CACHE_BYTES 4096
#define CACHE_TICK_NS 125000000L
#define MAP_BYTES (256 * 1024)
#define MAP_TICK_NS 100000000L

static void *cache[CACHE_SLOTS];
static unsigned cache_next, cache_used;
static unsigned long long held_bytes, held_cnt;
static void *volatile sink;

static __attribute__((noinline)) void leak_steadily(size_t bytes)
{
	char *p = malloc(bytes);

	if (!p)
		exit(2);
	memset(p, 1, bytes);
	sink = p;
	held_bytes += bytes;
	held_cnt++;
}

static __attribute__((noinline)) void leak_slowly(void)
{
	char *p = malloc(SLOW_BYTES);

	if (!p)
		exit(2);
	memset(p, 1, SLOW_BYTES);
	sink = p;
	held_bytes += SLOW_BYTES;
	held_cnt++;
}

/* One new entry; once full, the oldest is evicted for it. */
static __attribute__((noinline)) void cache_put(void)
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

enum shape { STEADY, SLOW, CACHE, MAPPING, SHAPE_CNT };

static const struct {
	const char *mode, *func;
	long tick_ns;		/* STEADY: from PER_SECOND */
} shapes[SHAPE_CNT] = {
	[STEADY] = { "steady", "leak_steadily", 0 },
	[SLOW] = { "slow", "leak_slowly", SLOW_TICK_NS },
	[CACHE] = { "cache", "cache_put", CACHE_TICK_NS },
	[MAPPING] = { "mapping", "map_leak", MAP_TICK_NS },
};

static void step(enum shape shape, size_t block)
{
	switch (shape) {
	case STEADY:
		leak_steadily(block);
		break;
	case SLOW:
		leak_slowly();
		break;
	case CACHE:
		cache_put();
		break;
	default:
		map_leak();
		break;
	}
}

static void tick_after(struct timespec *t, long ns)
{
	t->tv_nsec += ns;
	while (t->tv_nsec >= 1000000000L) {
		t->tv_nsec -= 1000000000L;
		t->tv_sec++;
	}
	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, t, NULL);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "steady";
	double secs = argc > 2 ? strtod(argv[2], NULL) : 20;
	size_t block = argc > 3 ? strtoul(argv[3], NULL, 0) : 4096;
	long per_s = argc > 4 ? strtol(argv[4], NULL, 0) : 64;
	enum shape shape;
	struct timespec t;
	long tick_ns, ticks;

	for (shape = 0; shape < SHAPE_CNT && strcmp(shapes[shape].mode, mode); shape++)
		;
	if (shape == SHAPE_CNT || !block || per_s <= 0) {
		fprintf(stderr, "usage: leak_shapes steady|slow|cache|mapping [SECONDS "
			"[BLOCK_BYTES [PER_SECOND]]]\n");
		return 64;
	}
	tick_ns = shape == STEADY ? 1000000000L / per_s : shapes[shape].tick_ns;
	ticks = secs * 1e9 / tick_ns;
	printf("READY %d\n", getpid());
	fflush(stdout);
	clock_gettime(CLOCK_MONOTONIC, &t);
	for (long i = 0; i < ticks; i++) {
		step(shape, block);
		tick_after(&t, tick_ns);
	}
	printf("TRUTH func=%s bytes=%llu allocs=%llu\n", shapes[shape].func, held_bytes, held_cnt);
	printf("TRUTH done\n");
	return 0;
}
