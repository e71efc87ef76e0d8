// SPDX-License-Identifier: GPL-2.0
/*
 * tight: N malloc/free pairs of mixed small sizes (16..256 bytes) in a loop.
 * Usage: tight [N]. Prints NS_PER_OP (one op = one malloc + one free),
 * timed after a warm-up (BENCH_WARMUP_MS).
 *
 * Built with -DBENCH_DEPTH=D it is `deep`: each pair is made D calls below
 * main (through a pointer, so no call is folded), for comparing stack walks
 * over a chain of known depth.
 */
#include <stdlib.h>
#include "bench.h"

#define SIZE_CNT 64

static size_t sizes[SIZE_CNT];

static void one_op(long i)
{
	char *p = malloc(sizes[i % SIZE_CNT]);

	if (!p)
		abort();
	p[0] = (char)i;
	bench_escape(p);
	free(p);
}

#ifdef BENCH_DEPTH
static long level(int depth, long i);
/* Called through a pointer the compiler cannot see through: every level stays a real call. */
static long (*volatile next_level)(int depth, long i) = level;

/* The add after each call keeps it a call, not a jump; noipa keeps each level a frame. */
__attribute__((noinline, noipa)) static long level(int depth, long i)
{
	if (depth > 0)
		return next_level(depth - 1, i) + 1;
	one_op(i);
	return 0;
}
#define OP(i) level(BENCH_DEPTH, i)
#else
#define OP(i) one_op(i)
#endif

int main(int argc, char **argv)
{
	long n = bench_arg_count(argc, argv, 1, 1000000), i;
	unsigned long long t0;
	unsigned int x = 12345;

	for (i = 0; i < SIZE_CNT; i++) {
		x = x * 1103515245u + 12345u;
		sizes[i] = 16 + (x >> 8) % 241;
	}
	bench_hold_if_asked();
	t0 = bench_now_ns() + bench_warmup_ns();
	for (i = 0; bench_now_ns() < t0; i++)
		OP(i);
	t0 = bench_now_ns();
	for (i = 0; i < n; i++)
		OP(i);
	bench_report(bench_now_ns() - t0, n);
	return 0;
}
