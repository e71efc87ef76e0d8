// SPDX-License-Identifier: GPL-2.0
/*
 * nofp_chain: a leak at the bottom of a 26-deep call chain built like
 * Debian's binaries (-O2 without frame pointers; see its Makefile rule).
 *
 * main -> chain_01 -> ... -> chain_26 -> malloc, LEAKS times. The levels
 * take turns at the frame shapes a compiler makes without frame pointers:
 * pushes only, a stack array, alloca (%rbp as the frame base) and a frame
 * over 32 KiB (the bodies of the unwind proof's chain). A frame-pointer walk from malloc's return loses the chain at
 * once; a table walk names every level. Stdout:
 *
 *   TRUTH func=chain_26 bytes=<N> allocs=<K>
 *   CHAIN chain_26 chain_25 ... chain_01 main
 *   TRUTH done
 *
 * nofp_chain --wait prints "READY <pid>" first, waits for SIGUSR1 before
 * leaking and for SIGTERM after it (for attaching with -p).
 */
#include <alloca.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "../unwind/deep_chain.h"
#include "truth.h"

#define LEAKS 7
#define LEAK_BYTES 3119
#define DEPTH 26

static void *volatile kept[LEAKS];
static volatile int sink;

__attribute__((noinline)) int deep_sibling(int x)
{
	volatile int v = x * 7;

	return v + 3;
}

__attribute__((noinline)) int chain_26(int x)
{
	char *p = malloc(LEAK_BYTES);

	if (!p)
		abort();
	p[0] = (char)x;
	kept[x % LEAKS] = p;
	return deep_sibling(x) + p[0];
}

/* The frame shapes of the unwind proof's chain (tests/unwind/deep_chain.h). */
#define BODY_PUSH DEEP_BODY_0
#define BODY_ARRAY DEEP_BODY_1
#define BODY_ALLOCA DEEP_BODY_2
#define BODY_BIG DEEP_BODY_3

DEEP_LEVEL(chain_25, chain_26, BODY_PUSH)
DEEP_LEVEL(chain_24, chain_25, BODY_ARRAY)
DEEP_LEVEL(chain_23, chain_24, BODY_ALLOCA)
DEEP_LEVEL(chain_22, chain_23, BODY_BIG)
DEEP_LEVEL(chain_21, chain_22, BODY_PUSH)
DEEP_LEVEL(chain_20, chain_21, BODY_ARRAY)
DEEP_LEVEL(chain_19, chain_20, BODY_ALLOCA)
DEEP_LEVEL(chain_18, chain_19, BODY_PUSH)
DEEP_LEVEL(chain_17, chain_18, BODY_ARRAY)
DEEP_LEVEL(chain_16, chain_17, BODY_BIG)
DEEP_LEVEL(chain_15, chain_16, BODY_PUSH)
DEEP_LEVEL(chain_14, chain_15, BODY_ALLOCA)
DEEP_LEVEL(chain_13, chain_14, BODY_ARRAY)
DEEP_LEVEL(chain_12, chain_13, BODY_PUSH)
DEEP_LEVEL(chain_11, chain_12, BODY_ARRAY)
DEEP_LEVEL(chain_10, chain_11, BODY_ALLOCA)
DEEP_LEVEL(chain_09, chain_10, BODY_PUSH)
DEEP_LEVEL(chain_08, chain_09, BODY_BIG)
DEEP_LEVEL(chain_07, chain_08, BODY_ARRAY)
DEEP_LEVEL(chain_06, chain_07, BODY_PUSH)
DEEP_LEVEL(chain_05, chain_06, BODY_ALLOCA)
DEEP_LEVEL(chain_04, chain_05, BODY_ARRAY)
DEEP_LEVEL(chain_03, chain_04, BODY_PUSH)
DEEP_LEVEL(chain_02, chain_03, BODY_ARRAY)
DEEP_LEVEL(chain_01, chain_02, BODY_PUSH)

int main(int argc, char **argv)
{
	int wait = argc > 1 && !strcmp(argv[1], "--wait");
	sigset_t set;
	int i;

	/* truth_when_signalled would put its work() between main and chain_01 */
	if (wait && truth_ready_then_go(&set))
		return 2;
	for (i = 0; i < LEAKS; i++)
		sink += chain_01(i * LEAKS);
	truth_leak("chain_26", LEAKS * LEAK_BYTES, LEAKS);
	printf("CHAIN");
	for (i = DEPTH; i >= 1; i--)
		printf(" chain_%02d", i);
	printf(" main\n");
	truth_done();
	if (wait && truth_wait_for(&set, SIGTERM))
		return 2;
	return 0;
}
