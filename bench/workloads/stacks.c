// SPDX-License-Identifier: GPL-2.0
/*
 * stacks: N live blocks (default 10,000), each allocated from a call stack of
 * its own, for the live server's rows (serve_load.py). Block i is allocated
 * at the bottom of a chain of DEPTH calls whose level k goes through left()
 * or right() as bit k of i says, so every block has a distinct stack of
 * DEPTH + 2 frames. Then prints "READY <pid> <N>" and waits for a signal,
 * holding every block.
 * Usage: stacks [N].
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "bench.h"

#define DEPTH 16	/* 2^16 stacks at most */

static void descend(unsigned long i, int level, void **slot);

__attribute__((noinline)) static void left(unsigned long i, int level, void **slot)
{
	descend(i, level + 1, slot);
	__asm__ volatile("" ::: "memory");	/* no tail call: this frame stays */
}

__attribute__((noinline)) static void right(unsigned long i, int level, void **slot)
{
	descend(i, level + 1, slot);
	__asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) static void descend(unsigned long i, int level, void **slot)
{
	if (level == DEPTH) {
		*slot = malloc(64);
		if (!*slot)
			abort();
		return;
	}
	if (i >> level & 1)
		right(i, level, slot);
	else
		left(i, level, slot);
	__asm__ volatile("" ::: "memory");
}

int main(int argc, char **argv)
{
	unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 10) : 10000, i;
	void **blocks;

	bench_hold_if_asked();
	if (n > 1ul << DEPTH)
		n = 1ul << DEPTH;
	blocks = calloc(n, sizeof(*blocks));
	if (!blocks)
		return 1;
	for (i = 0; i < n; i++)
		descend(i, 0, &blocks[i]);
	printf("READY %d %lu\n", getpid(), n);
	fflush(stdout);
	pause();
	return 0;
}
