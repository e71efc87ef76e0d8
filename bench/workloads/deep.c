// SPDX-License-Identifier: GPL-2.0
/*
 * deep: N malloc/free pairs (16..256 bytes), each made DEPTH calls below
 * main, so that every allocation event walks DEPTH + 1 user frames. Built
 * twice (bench/Makefile): with frame pointers (deep) and without them, as
 * distributions build (deep_nofp), to compare the frame-pointer walk with the
 * table walk over the same chain. Usage: deep [N]; prints NS_PER_OP.
 */
#include <stdlib.h>
#include "bench.h"

#define DEPTH 24
#define SIZE_CNT 64

static size_t sizes[SIZE_CNT];

static long level(int depth, long i);
/* Called through a pointer the compiler cannot see through: every level stays a real call. */
static long (*volatile next_level)(int depth, long i) = level;

/* One op at the bottom of the chain; the add after each call keeps it a call, not a jump. */
__attribute__((noinline, noipa)) static long level(int depth, long i)
{
	char *p;

	if (depth > 0)
		return next_level(depth - 1, i) + 1;
	p = malloc(sizes[i % SIZE_CNT]);
	if (!p)
		abort();
	p[0] = (char)i;
	bench_escape(p);
	free(p);
	return 0;
}

int main(int argc, char **argv)
{
	long n = bench_arg_count(argc, argv, 1, 1000000), i, depth = 0;
	unsigned long long t0;
	unsigned int x = 12345;

	for (i = 0; i < SIZE_CNT; i++) {
		x = x * 1103515245u + 12345u;
		sizes[i] = 16 + (x >> 8) % 241;
	}
	bench_hold_if_asked();
	t0 = bench_now_ns() + bench_warmup_ns();
	for (i = 0; bench_now_ns() < t0; i++)
		depth += level(DEPTH, i);
	t0 = bench_now_ns();
	for (depth = 0, i = 0; i < n; i++)
		depth += level(DEPTH, i);
	bench_report(bench_now_ns() - t0, n);
	return depth == (long)DEPTH * n ? 0 : 1;
}
