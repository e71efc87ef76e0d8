// SPDX-License-Identifier: GPL-2.0
/*
 * deep_stack: leaks from the bottom of a call chain deeper than the 64
 * frames memvigil records by default, and from a shallow one.
 *
 * descend(DEPTH) recurses DEPTH times and leaks one block in leak_deep; the
 * recorded stack must be cut at 64 frames by default (counted as a stack
 * error; --mode=debug records all of it) and still start at leak_deep.
 * leak_shallow is called from main. Stdout:
 *
 *   TRUTH func=leak_deep bytes=<N> allocs=1
 *   TRUTH func=leak_shallow bytes=<N> allocs=1
 *   TRUTH done
 */
#include <stdio.h>
#include <stdlib.h>
#include "truth.h"

#define DEPTH 100
#define DEEP_BYTES 4099
#define SHALLOW_BYTES 1031

static void *volatile kept[2];

static __attribute__((noinline)) void leak_deep(void)
{
	kept[0] = malloc(DEEP_BYTES);
}

static __attribute__((noinline)) void descend(int left)
{
	if (left)
		descend(left - 1);
	else
		leak_deep();
	__asm__ volatile("" ::: "memory");	/* not a tail call */
}

static __attribute__((noinline)) void leak_shallow(void)
{
	kept[1] = malloc(SHALLOW_BYTES);
}

int main(void)
{
	descend(DEPTH);
	leak_shallow();
	truth_leak("leak_deep", DEEP_BYTES, 1);
	truth_leak("leak_shallow", SHALLOW_BYTES, 1);
	truth_done();
	return 0;
}
