// SPDX-License-Identifier: GPL-2.0
/*
 * sawtooth [CYCLES [HIGH_S [LOW_S]]]: the heap crosses 1 MiB exactly CYCLES
 * times (default 3): hold_block allocates 2 MiB, holds it HIGH_S seconds
 * (default 2), frees it and waits LOW_S seconds (default 2). A heap>1M
 * alert must fire once per cycle. Prints "READY <pid>" first, "UP n" and
 * "DOWN n" per cycle, "CYCLES n" last.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "truth.h"

#define BLOCK_BYTES (2u << 20)

static void *volatile held;

static void sleep_s(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (time_t)s) * 1e9) };

	nanosleep(&ts, NULL);
}

static __attribute__((noinline)) void hold_block(void)
{
	held = malloc(BLOCK_BYTES);
	if (!held)
		exit(2);
}

static __attribute__((noinline)) void release_block(void)
{
	free(held);
	held = NULL;
}

int main(int argc, char **argv)
{
	int cycles = argc > 1 ? atoi(argv[1]) : 3;
	double high = argc > 2 ? strtod(argv[2], NULL) : 2, low = argc > 3 ? strtod(argv[3], NULL) : 2;

	setvbuf(stdout, NULL, _IONBF, 0);
	truth_ready();
	sleep_s(low);
	for (int i = 1; i <= cycles; i++) {
		hold_block();
		printf("UP %d\n", i);
		sleep_s(high);
		release_block();
		printf("DOWN %d\n", i);
		sleep_s(low);
	}
	printf("CYCLES %d\n", cycles);
	return 0;
}
