// SPDX-License-Identifier: GPL-2.0
/*
 * deep_chain: the executable of the unwind proof (chain in deep_chain.h).
 *
 *   deep_chain [LOOPS]
 *
 * Prints "READY <pid>" once its libraries are mapped, waits for a line on
 * stdin, runs the chain LOOPS times (default 1; each run allocates and frees
 * DEEP_CHAIN_MAGIC bytes at the bottom) and prints "NS_PER_CHAIN <ns>".
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include "deep_chain.h"

static volatile long sink;

__attribute__((noinline)) int deep_sibling(int x)
{
	volatile int v = x * 7;

	return v + 3;
}

__attribute__((noinline)) int chain_c08(int x);
__attribute__((noinline)) int chain_c08(int x)
{
	char *p = malloc(DEEP_CHAIN_MAGIC);
	int r;

	if (!p)
		abort();
	p[0] = (char)x;
	sink += p[0];
	r = deep_sibling(x) + (int)sink;
	free(p);
	return r;
}

DEEP_LEVEL(chain_c07, chain_c08, DEEP_BODY_4)
DEEP_LEVEL(chain_c06, chain_c07, DEEP_BODY_3)
DEEP_LEVEL(chain_c05, chain_c06, DEEP_BODY_2)
DEEP_LEVEL(chain_c04, chain_c05, DEEP_BODY_1)
DEEP_LEVEL(chain_c03, chain_c04, DEEP_BODY_0)
DEEP_LEVEL(chain_c02, chain_c03, DEEP_BODY_4)
DEEP_LEVEL(chain_c01, chain_c02, DEEP_BODY_3)

__attribute__((noinline)) int chain_a08(int x);
__attribute__((noinline)) int chain_a08(int x)
{
	int r = deep_sibling(x) + chain_b01(x + 1, chain_c01);

	return r * 7 + x;
}

DEEP_LEVEL(chain_a07, chain_a08, DEEP_BODY_3)
DEEP_LEVEL(chain_a06, chain_a07, DEEP_BODY_2)
DEEP_LEVEL(chain_a05, chain_a06, DEEP_BODY_1)
DEEP_LEVEL(chain_a04, chain_a05, DEEP_BODY_0)
DEEP_LEVEL(chain_a03, chain_a04, DEEP_BODY_4)
DEEP_LEVEL(chain_a02, chain_a03, DEEP_BODY_2)
DEEP_LEVEL(chain_a01, chain_a02, DEEP_BODY_1)

int main(int argc, char **argv)
{
	long loops = argc > 1 ? atol(argv[1]) : 1;
	struct timespec t0, t1;
	char line[16];

	if (loops < 1)
		loops = 1;
	printf("READY %d\n", (int)getpid());
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < loops; i++)
		sink += chain_a01((int)i);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("NS_PER_CHAIN %.1f\n",
	       ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / (double)loops);
	return 0;
}
